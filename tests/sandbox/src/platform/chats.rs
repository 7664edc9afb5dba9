//! Customer chats: the platform's queue of chats, the agent's routes (`/platform/chats…`) and
//! what the customer's side does (started, written, typed, left, rated, transferred), which the
//! control API ([`crate::control`]) and the workspace's Customer panel drive.
//!
//! - `GET /chats` → `{"chats": [<chat>…]}`: the agent's chats offered to them or active, and
//!   those of theirs that ended in the last hour, oldest first. `GET /chats/{id}` → `<chat>`;
//!   404 `{"error":"no such chat"}` when it is unknown or not the agent's.
//! - `POST /chats/{id}/accept` → `<chat>` (active); idempotent. 409 `{"error":"the chat has
//!   ended"}`, 409 `{"error":"the chat is not offered to you"}`.
//! - `POST /chats/{id}/decline` → `{"ok":true}`: back to the queue, never offered to that agent
//!   again. 409 when it is ended, accepted (`the chat has been accepted`) or another's.
//! - `POST /chats/{id}/messages` `{"text","client_id"}` → `<message>`; a repeat of a
//!   `client_id` answers the same message and emits nothing. 422 for a blank text or one over
//!   4000 characters; 409 when the chat has ended or is not active (`the chat is not active`).
//! - `POST /chats/{id}/typing` `{"typing": bool}` → `{"ok":true}` (nothing is recorded once the
//!   chat has ended); 422 without a boolean.
//! - `POST /chats/{id}/end` → `<chat>` ended by the agent; a second end answers the ended chat
//!   and emits nothing.
//! - `POST /chats/{id}/transfer` `{"to_agent_id"}` → `{"ok":true}`: the chat is offered to that
//!   agent (`transferred_from` names the sender). 422 for an unknown receiver or the chat's own
//!   agent, 409 when the chat has ended, the receiver is not signed in (`the agent is not
//!   signed in`) or has no room (`the agent has no room for another chat`).
//!
//! A chat (`ChatInfo`) is [`Chat::to_json`]: `id` (from 700001), `status` (`offered`, `active`,
//! `ended`), `platform`, `menu_path`, `lang`, `customer {name, email, external_id, phone}`,
//! `custom_data`, `messages` (oldest first: `{id, author, text, at, client_id}`), `offered_at`,
//! `accepted_at`, `ended_at`, `ended_by`, `wait_s`, `queue`, `agent_id`, `transferred_from`.
//!
//! Events, to the chat's agent only: `chat.offered {chat_id, chat}`, `chat.message {chat_id,
//! message}` (the customer's and the agent's own), `chat.typing {chat_id, typing}` (the
//! customer's, when it changes), `chat.ended {chat_id, by, ended_at}`, `chat.transferred
//! {chat_id, to}` (to the sender), `csat.rated {chat_id, event_id, score}`. A chat offered to an
//! agent and not yet accepted is offered again when the agent's event stream (re)connects.
//!
//! The queue: an agent has at most `chat_limit` chats offered and active at once (3 unless
//! `PUT /_sandbox/chat_limit` says otherwise). A chat goes to the agent it names when they have
//! room, else to the signed-in agent with the lowest id who has room and has not declined it;
//! otherwise it waits (`status` `offered`, `agent_id` null). Waiting chats are offered in the
//! order they were started whenever a place frees (an end, a decline, a transfer away), an agent
//! signs in, or the limit rises.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::json_body;
use super::session::Refusal;
use crate::model::{
    now_ms, Chat, ChatAgent, ChatCustomer, ChatMessage, ChatParty, ChatPlatform, ChatStatus,
};
use crate::state::{App, World};

/// The answer for a chat id the platform does not know (or not the agent's).
pub const NO_SUCH_CHAT: &str = "no such chat";

/// The answer for a change to a chat that has ended.
pub const CHAT_ENDED: &str = "the chat has ended";

/// The answer for accepting or declining a chat that is another's (or waits for an agent).
pub const NOT_OFFERED_TO_YOU: &str = "the chat is not offered to you";

/// The answer for an agent's message on a chat not accepted yet.
pub const NOT_ACTIVE: &str = "the chat is not active";

/// The answer for declining a chat already accepted.
pub const ACCEPTED: &str = "the chat has been accepted";

/// The longest message, in characters.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// How long an ended chat stays in its agent's list, ms.
pub const RECENT_MS: i64 = 60 * 60 * 1_000;

/// The highest chat limit the control API takes.
pub const MAX_CHAT_LIMIT: u64 = 100;

/// Events to send once the world is unlocked: each to one agent.
type Outbox = Vec<(u64, Value)>;

/// Sends each event of `outbox` to its agent.
fn send(app: &App, outbox: Outbox) {
    for (agent, event) in outbox {
        app.emit(Some(agent), event);
    }
}

/// `404 no such chat`.
fn no_such_chat() -> Refusal {
    Refusal::new(StatusCode::NOT_FOUND, NO_SUCH_CHAT)
}

/// `409` with `text`.
fn conflict(text: &str) -> Refusal {
    Refusal::new(StatusCode::CONFLICT, text)
}

/// `422` with `text`.
fn unprocessable(text: impl Into<String>) -> Refusal {
    Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, text)
}

/// `{"type":"chat.offered","chat_id","chat"}` for `c` at `now`.
fn offered_event(c: &Chat, now: i64) -> Value {
    json!({"type": "chat.offered", "chat_id": c.id, "chat": c.to_json(now)})
}

/// `{"type":"chat.message","chat_id","message"}`.
fn message_event(chat_id: u64, m: &ChatMessage) -> Value {
    json!({"type": "chat.message", "chat_id": chat_id, "message": m.to_json()})
}

// ---------- the queue ----------

/// Whether agent `agent_id` may take one more chat (offered and active under the limit).
fn has_room(w: &World, agent_id: u64) -> bool {
    let held = w
        .chats
        .values()
        .filter(|c| c.holds_place_of(agent_id))
        .count();
    held < w.chat_limit
}

/// The agent waiting chat `c` goes to now, if any: the agent it names when they have room,
/// else the signed-in agent with the lowest id who has room and has not declined it.
fn agent_for(w: &World, c: &Chat) -> Option<u64> {
    if let Some(wanted) = c.wanted_agent {
        return has_room(w, wanted).then_some(wanted);
    }
    w.agents
        .iter()
        .map(|a| a.id)
        .filter(|id| w.signed_in(*id) && has_room(w, *id) && !c.declined_by.contains(id))
        .min()
}

/// Offers `c` to agent `agent_id` at `now`: not accepted, nobody typing on the agent's side.
fn offer(c: &mut Chat, agent_id: u64, now: i64) {
    c.agent_id = Some(agent_id);
    c.status = ChatStatus::Offered;
    c.offered_ms = Some(now);
    c.accepted_ms = None;
    c.agent_typing = false;
    c.wanted_agent = None;
}

/// Offers the waiting chats, in the order they were started, to the agents who may take them;
/// the `chat.offered` events to send.
pub fn dispatch_in(w: &mut World, now: i64) -> Vec<(u64, Value)> {
    let waiting: Vec<u64> = w
        .chats
        .values()
        .filter(|c| c.waiting())
        .map(|c| c.id)
        .collect();
    let mut out = Vec::new();
    for id in waiting {
        let Some(agent) = w.chats.get(&id).and_then(|c| agent_for(w, c)) else {
            continue;
        };
        if let Some(c) = w.chats.get_mut(&id) {
            offer(c, agent, now);
            out.push((agent, offered_event(c, now)));
        }
    }
    out
}

/// Offers the waiting chats that can be offered now and tells their agents.
pub fn dispatch(app: &App) {
    let out = dispatch_in(&mut app.world(), now_ms());
    send(app, out);
}

/// The `chat.offered` events of the chats offered to agent `agent_id` and not yet accepted,
/// oldest first: sent again when the agent's event stream (re)connects.
pub fn pending_offers(app: &App, agent_id: u64) -> Vec<Value> {
    let now = now_ms();
    let w = app.world();
    w.chats
        .values()
        .filter(|c| c.status == ChatStatus::Offered && c.agent_id == Some(agent_id))
        .map(|c| offered_event(c, now))
        .collect()
}

/// Sets the chat limit from `{"limit": n}` (1 to [`MAX_CHAT_LIMIT`]) and offers what the new
/// limit makes room for; the limit.
pub fn set_limit(app: &App, body: &Value) -> Result<usize, Refusal> {
    let limit = body["limit"]
        .as_u64()
        .filter(|n| (1..=MAX_CHAT_LIMIT).contains(n))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| unprocessable(format!("limit: 1 to {MAX_CHAT_LIMIT}")))?;
    app.world().chat_limit = limit;
    dispatch(app);
    Ok(limit)
}

// ---------- the customer's side ----------

/// What `POST /_sandbox/chats` asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct NewChat {
    /// Web or mobile.
    pub platform: ChatPlatform,
    /// Who the customer says they are.
    pub customer: ChatCustomer,
    /// The menu path (`menu`), empty when none was given.
    pub menu_path: String,
    /// Language (`en` unless given).
    pub lang: String,
    /// An object (empty unless given).
    pub custom_data: Value,
    /// The customer's first message.
    pub text: String,
    /// The agent it is for, if named.
    pub agent_id: Option<u64>,
}

impl NewChat {
    /// Reads `{"platform","name"?,"email"?,"external_id"?,"phone"?,"menu"?,"lang"?,
    /// "custom_data"?,"text","agent_id"?}`; the error names the field that is wrong.
    pub fn parse(body: &Value) -> Result<Self, String> {
        let text = text_of(&body["text"]).map_err(|_| {
            format!("text: the first message is required (1 to {MAX_TEXT_CHARS} characters)")
        })?;
        let platform = body["platform"]
            .as_str()
            .and_then(ChatPlatform::parse)
            .ok_or("platform: web or mobile")?;
        let custom_data = match body.get("custom_data") {
            None | Some(Value::Null) => json!({}),
            Some(v) if v.is_object() => v.clone(),
            Some(_) => return Err("custom_data: an object is expected".into()),
        };
        let agent_id = match body.get("agent_id") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().ok_or("agent_id: an agent id is expected")?),
        };
        Ok(Self {
            platform,
            customer: ChatCustomer {
                name: optional_text(body, "name")?,
                email: optional_text(body, "email")?,
                external_id: optional_text(body, "external_id")?,
                phone: optional_text(body, "phone")?,
            },
            menu_path: optional_text(body, "menu")?.unwrap_or_default(),
            lang: optional_text(body, "lang")?.unwrap_or_else(|| "en".into()),
            custom_data,
            text,
            agent_id,
        })
    }
}

/// Field `key` of `body`: a string trimmed (None when absent, null or blank).
fn optional_text(body: &Value, key: &str) -> Result<Option<String>, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        Some(_) => Err(format!("{key}: a string is expected")),
    }
}

/// A message's text as given: 1 to [`MAX_TEXT_CHARS`] characters, not only spaces.
fn text_of(v: &Value) -> Result<String, Refusal> {
    match v.as_str() {
        Some(t) if t.trim().is_empty() => Err(unprocessable("text: a message is required")),
        Some(t) if t.chars().count() > MAX_TEXT_CHARS => Err(unprocessable(format!(
            "text: at most {MAX_TEXT_CHARS} characters"
        ))),
        Some(t) => Ok(t.to_owned()),
        None => Err(unprocessable("text: a message is required")),
    }
}

/// Starts a chat: offered at once when an agent may take it, else waiting. Its id, and whether
/// it was offered. 422 when it names an agent the platform does not know.
pub fn start(app: &App, new: NewChat) -> Result<(u64, bool), Refusal> {
    let (id, offered, out) = {
        let mut w = app.world();
        if let Some(wanted) = new.agent_id {
            if !w.agents.iter().any(|a| a.id == wanted) {
                return Err(unprocessable("agent_id: no such agent"));
            }
        }
        let now = now_ms();
        let id = w.next_chat_id();
        let first = ChatMessage {
            id: w.next_message_id(),
            author: ChatParty::Customer,
            text: new.text,
            at_ms: now,
            client_id: None,
            agent_name: None,
        };
        w.chats.insert(
            id,
            Chat {
                id,
                status: ChatStatus::Offered,
                platform: new.platform,
                menu_path: new.menu_path,
                lang: new.lang,
                customer: new.customer,
                custom_data: new.custom_data,
                messages: vec![first],
                created_ms: now,
                offered_ms: None,
                accepted_ms: None,
                ended_ms: None,
                ended_by: None,
                agent_id: None,
                transferred_from: None,
                wanted_agent: new.agent_id,
                declined_by: Vec::new(),
                agent_typing: false,
                customer_typing: false,
                rating: None,
                ticket_id: None,
            },
        );
        let out = dispatch_in(&mut w, now);
        let offered = w.chats.get(&id).is_some_and(|c| c.agent_id.is_some());
        (id, offered, out)
    };
    send(app, out);
    Ok((id, offered))
}

/// The customer writes `{"text"}` on chat `id` (waiting, offered or active); the message. Its
/// agent, if it has one, gets `chat.message`.
pub fn customer_message(app: &App, id: u64, body: &Value) -> Result<Value, Refusal> {
    let (message, out) = {
        let mut w = app.world();
        let ended = w.chats.get(&id).ok_or_else(no_such_chat)?.status == ChatStatus::Ended;
        let text = text_of(&body["text"])?;
        if ended {
            return Err(conflict(CHAT_ENDED));
        }
        let m = append(&mut w, id, ChatParty::Customer, text, None)?;
        let agent = w.chats.get(&id).and_then(|c| c.agent_id);
        let out: Outbox = agent
            .map(|a| (a, message_event(id, &m)))
            .into_iter()
            .collect();
        (m.to_json(), out)
    };
    send(app, out);
    Ok(message)
}

/// Adds a message to chat `id` now; the message.
fn append(
    w: &mut World,
    id: u64,
    author: ChatParty,
    text: String,
    client_id: Option<String>,
) -> Result<ChatMessage, Refusal> {
    let m = ChatMessage {
        id: w.next_message_id(),
        author,
        text,
        at_ms: now_ms(),
        client_id,
        agent_name: None,
    };
    let c = w.chats.get_mut(&id).ok_or_else(no_such_chat)?;
    c.messages.push(m.clone());
    Ok(m)
}

/// `{"typing": bool}` as given; 422 otherwise.
fn typing_of(body: &Value) -> Result<bool, Refusal> {
    body["typing"]
        .as_bool()
        .ok_or_else(|| unprocessable("typing: true or false is required"))
}

/// The customer says whether they are typing on chat `id` (`{"typing": bool}`); the chat's
/// agent gets `chat.typing` when it changed. Nothing is recorded once the chat has ended.
pub fn customer_typing(app: &App, id: u64, body: &Value) -> Result<(), Refusal> {
    let typing = typing_of(body)?;
    let out: Outbox = {
        let mut w = app.world();
        let c = w.chats.get_mut(&id).ok_or_else(no_such_chat)?;
        if c.status == ChatStatus::Ended || c.customer_typing == typing {
            return Ok(());
        }
        c.customer_typing = typing;
        let ev = json!({"type": "chat.typing", "chat_id": id, "typing": typing});
        c.agent_id.map(|a| (a, ev)).into_iter().collect()
    };
    send(app, out);
    Ok(())
}

/// Ends `c` now, `by` one side; the `chat.ended` event for its agent, if it has one.
fn finish(c: &mut Chat, by: ChatParty, now: i64) -> Option<(u64, Value)> {
    c.status = ChatStatus::Ended;
    c.ended_ms = Some(now);
    c.ended_by = Some(by);
    c.agent_typing = false;
    c.customer_typing = false;
    let ev = json!({"type": "chat.ended", "chat_id": c.id, "by": by.as_str(),
                    "ended_at": crate::model::iso_ms(now)});
    c.agent_id.map(|a| (a, ev))
}

/// The customer leaves chat `id`: it ends (`ended_by` customer), its agent hears of it, and a
/// waiting chat may take the place it held. 409 when it has ended already.
pub fn leave(app: &App, id: u64) -> Result<(), Refusal> {
    let out = {
        let mut w = app.world();
        let now = now_ms();
        let c = w.chats.get_mut(&id).ok_or_else(no_such_chat)?;
        if c.status == ChatStatus::Ended {
            return Err(conflict(CHAT_ENDED));
        }
        let mut out: Outbox = finish(c, ChatParty::Customer, now).into_iter().collect();
        out.extend(dispatch_in(&mut w, now));
        out
    };
    send(app, out);
    Ok(())
}

/// The customer rates chat `id` (`{"score": 1..5}`): its agent, if it has one, gets
/// `csat.rated` with a new event id, which is returned.
pub fn rate(app: &App, id: u64, body: &Value) -> Result<u64, Refusal> {
    let score = body["score"]
        .as_u64()
        .filter(|s| (1..=5).contains(s))
        .and_then(|s| u8::try_from(s).ok())
        .ok_or_else(|| unprocessable("score: 1 to 5"))?;
    let (event_id, out) = {
        let mut w = app.world();
        if !w.chats.contains_key(&id) {
            return Err(no_such_chat());
        }
        let event_id = w.next_event_id();
        let c = w.chats.get_mut(&id).ok_or_else(no_such_chat)?;
        c.rating = Some(score);
        let ev = json!({"type": "csat.rated", "chat_id": id, "event_id": event_id,
                        "score": score});
        let out: Outbox = c.agent_id.map(|a| (a, ev)).into_iter().collect();
        (event_id, out)
    };
    send(app, out);
    Ok(event_id)
}

/// Transfers chat `id` to agent `to` (a known agent other than the chat's, signed in, with
/// room). With `by`, only that agent's chat may be transferred (404 otherwise). The sender gets
/// `chat.transferred`, the receiver `chat.offered` with `transferred_from`; a waiting chat may
/// take the place the sender freed.
pub fn transfer(app: &App, id: u64, by: Option<u64>, to: Option<u64>) -> Result<(), Refusal> {
    let out = {
        let mut w = app.world();
        let c = w.chats.get(&id).ok_or_else(no_such_chat)?;
        if by.is_some_and(|me| c.agent_id != Some(me)) {
            return Err(no_such_chat());
        }
        if c.status == ChatStatus::Ended {
            return Err(conflict(CHAT_ENDED));
        }
        let from = c
            .agent_id
            .ok_or_else(|| conflict("the chat has no agent"))?;
        let receiver = to
            .filter(|to| *to != from)
            .and_then(|to| w.agents.iter().find(|a| a.id == to))
            .map(ChatAgent::of)
            .ok_or_else(|| {
                unprocessable("to_agent_id: a known agent other than the chat's is required")
            })?;
        if !w.signed_in(receiver.id) {
            return Err(conflict("the agent is not signed in"));
        }
        if !has_room(&w, receiver.id) {
            return Err(conflict("the agent has no room for another chat"));
        }
        let sender = w
            .agents
            .iter()
            .find(|a| a.id == from)
            .map_or_else(|| sender_unknown(from), ChatAgent::of);
        let now = now_ms();
        let c = w.chats.get_mut(&id).ok_or_else(no_such_chat)?;
        c.transferred_from = Some(sender);
        offer(c, receiver.id, now);
        let mut out: Outbox = vec![
            (
                from,
                json!({"type": "chat.transferred", "chat_id": id, "to": receiver.to_json()}),
            ),
            (receiver.id, offered_event(c, now)),
        ];
        out.extend(dispatch_in(&mut w, now));
        out
    };
    send(app, out);
    Ok(())
}

/// An agent id the fixture does not name, as a chat names it.
fn sender_unknown(id: u64) -> ChatAgent {
    ChatAgent {
        id,
        name: format!("Agent {id}"),
        zendesk_user_id: None,
    }
}

// ---------- the agent's side ----------

/// The agent's chats at `now`: offered to them or active, and those that ended in the last
/// hour; oldest first.
fn chats_of(w: &World, agent_id: u64, now: i64) -> Vec<Value> {
    w.chats
        .values()
        .filter(|c| c.agent_id == Some(agent_id))
        .filter(|c| c.ended_ms.is_none_or(|t| now - t <= RECENT_MS))
        .map(|c| c.to_json(now))
        .collect()
}

/// Chat `id` when it is agent `agent_id`'s; 404 otherwise.
fn own(w: &World, agent_id: u64, id: u64) -> Result<&Chat, Refusal> {
    w.chats
        .get(&id)
        .filter(|c| c.agent_id == Some(agent_id))
        .ok_or_else(no_such_chat)
}

/// The agent accepts chat `id` offered to them: active. Idempotent.
pub fn accept(app: &App, agent_id: u64, id: u64) -> Result<Value, Refusal> {
    let now = now_ms();
    let mut w = app.world();
    let c = w.chats.get_mut(&id).ok_or_else(no_such_chat)?;
    if c.status == ChatStatus::Ended {
        return Err(conflict(CHAT_ENDED));
    }
    if c.agent_id != Some(agent_id) {
        return Err(conflict(NOT_OFFERED_TO_YOU));
    }
    if c.status == ChatStatus::Offered {
        c.status = ChatStatus::Active;
        c.accepted_ms = Some(now);
    }
    Ok(c.to_json(now))
}

/// The agent declines chat `id` offered to them: it goes back to the queue (never to them
/// again), and is offered to the next agent who may take it, as may another waiting chat.
pub fn decline(app: &App, agent_id: u64, id: u64) -> Result<(), Refusal> {
    let out = {
        let mut w = app.world();
        let c = w.chats.get_mut(&id).ok_or_else(no_such_chat)?;
        if c.status == ChatStatus::Ended {
            return Err(conflict(CHAT_ENDED));
        }
        if c.agent_id != Some(agent_id) {
            return Err(conflict(NOT_OFFERED_TO_YOU));
        }
        if c.status == ChatStatus::Active {
            return Err(conflict(ACCEPTED));
        }
        c.declined_by.push(agent_id);
        c.agent_id = None;
        c.offered_ms = None;
        c.agent_typing = false;
        c.transferred_from = None;
        dispatch_in(&mut w, now_ms())
    };
    send(app, out);
    Ok(())
}

/// The agent writes `{"text","client_id"}` on their active chat `id`; the message, also sent
/// to them as `chat.message`. A repeat of a `client_id` answers the message it made and sends
/// nothing.
pub fn agent_message(app: &App, agent_id: u64, id: u64, body: &Value) -> Result<Value, Refusal> {
    let client_id = body["client_id"]
        .as_str()
        .filter(|k| !k.is_empty())
        .map(String::from);
    let m = {
        let mut w = app.world();
        let c = own(&w, agent_id, id)?;
        let repeat = client_id.as_deref().and_then(|k| {
            c.messages
                .iter()
                .find(|m| m.author == ChatParty::Agent && m.client_id.as_deref() == Some(k))
        });
        if let Some(m) = repeat {
            return Ok(m.to_json());
        }
        let text = text_of(&body["text"])?;
        match c.status {
            ChatStatus::Ended => return Err(conflict(CHAT_ENDED)),
            ChatStatus::Offered => return Err(conflict(NOT_ACTIVE)),
            ChatStatus::Active => {}
        }
        let name = w
            .agents
            .iter()
            .find(|a| a.id == agent_id)
            .map(|a| a.name.clone());
        let mut m = append(&mut w, id, ChatParty::Agent, text, client_id)?;
        m.agent_name = name;
        if let Some(c) = w.chats.get_mut(&id) {
            c.agent_typing = false;
            if let Some(last) = c.messages.last_mut() {
                last.agent_name = m.agent_name.clone();
            }
        }
        m
    };
    app.emit(Some(agent_id), message_event(id, &m));
    Ok(m.to_json())
}

/// The agent says whether they are typing on chat `id`; recorded for the customer's side (not
/// once the chat has ended).
pub fn agent_typing(app: &App, agent_id: u64, id: u64, body: &Value) -> Result<(), Refusal> {
    let typing = typing_of(body)?;
    let mut w = app.world();
    own(&w, agent_id, id)?;
    if let Some(c) = w.chats.get_mut(&id) {
        if c.status != ChatStatus::Ended {
            c.agent_typing = typing;
        }
    }
    Ok(())
}

/// The agent ends chat `id`: ended by the agent, who gets `chat.ended`, and a waiting chat may
/// take its place. A chat that has ended already is answered as it is, with no event.
pub fn end(app: &App, agent_id: u64, id: u64) -> Result<Value, Refusal> {
    let now = now_ms();
    let (chat, out) = {
        let mut w = app.world();
        own(&w, agent_id, id)?;
        let c = w.chats.get_mut(&id).ok_or_else(no_such_chat)?;
        if c.status == ChatStatus::Ended {
            return Ok(c.to_json(now));
        }
        let mut out: Outbox = finish(c, ChatParty::Agent, now).into_iter().collect();
        let chat = c.to_json(now);
        out.extend(dispatch_in(&mut w, now));
        (chat, out)
    };
    send(app, out);
    Ok(chat)
}

/// The adapter that logs chat `id` names its ticket (a chat that has ended too: its ticket may
/// be known after its end). The chat's next agent, after a transfer, writes on it.
pub fn report_ticket(app: &App, agent_id: u64, id: u64, body: &Value) -> Result<Value, Refusal> {
    let ticket = body
        .get("ticket_id")
        .and_then(Value::as_u64)
        .ok_or_else(|| unprocessable("ticket_id: a ticket id is required"))?;
    let mut w = app.world();
    let c = w.chats.get(&id).ok_or_else(no_such_chat)?;
    let was_theirs = c.agent_id == Some(agent_id)
        || c.transferred_from
            .as_ref()
            .is_some_and(|f| f.id == agent_id);
    if !was_theirs {
        return Err(no_such_chat());
    }
    if let Some(c) = w.chats.get_mut(&id) {
        c.ticket_id = Some(ticket);
    }
    Ok(ok())
}

// ---------- the agent's routes ----------

/// The signed-in agent's id and the chat id of the path: 401 without a live session, 404 for
/// an id that is not a number.
fn caller_and_chat(app: &App, headers: &HeaderMap, id: &str) -> Result<(u64, u64), Refusal> {
    let agent = super::signed_in_agent(app, headers)
        .ok_or_else(|| Refusal::new(StatusCode::UNAUTHORIZED, "unauthorized"))?;
    let id = id.parse::<u64>().map_err(|_| no_such_chat())?;
    Ok((agent.id, id))
}

/// 200 with the JSON, or the refusal.
fn reply(r: Result<Value, Refusal>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// `{"ok": true}`.
fn ok() -> Value {
    json!({"ok": true})
}

/// `GET /chats`.
pub async fn list(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(a) = super::signed_in_agent(&app, &headers) else {
        return super::unauthorized();
    };
    let chats = chats_of(&app.world(), a.id, now_ms());
    Json(json!({ "chats": chats })).into_response()
}

/// `GET /chats/{id}`.
pub async fn show(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    reply(
        caller_and_chat(&app, &headers, &id).and_then(|(agent, id)| {
            let w = app.world();
            own(&w, agent, id).map(|c| c.to_json(now_ms()))
        }),
    )
}

/// `POST /chats/{id}/accept`.
pub async fn accept_route(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    reply(caller_and_chat(&app, &headers, &id).and_then(|(agent, id)| accept(&app, agent, id)))
}

/// `POST /chats/{id}/decline`.
pub async fn decline_route(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    reply(
        caller_and_chat(&app, &headers, &id)
            .and_then(|(agent, id)| decline(&app, agent, id))
            .map(|()| ok()),
    )
}

/// `POST /chats/{id}/messages`.
pub async fn message_route(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body = json_body(&body);
    reply(
        caller_and_chat(&app, &headers, &id)
            .and_then(|(agent, id)| agent_message(&app, agent, id, &body)),
    )
}

/// `POST /chats/{id}/typing`.
pub async fn typing_route(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body = json_body(&body);
    reply(
        caller_and_chat(&app, &headers, &id)
            .and_then(|(agent, id)| agent_typing(&app, agent, id, &body))
            .map(|()| ok()),
    )
}

/// `POST /chats/{id}/ticket`.
pub async fn ticket_route(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body = json_body(&body);
    reply(
        caller_and_chat(&app, &headers, &id)
            .and_then(|(agent, id)| report_ticket(&app, agent, id, &body)),
    )
}

/// `POST /chats/{id}/end`.
pub async fn end_route(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    reply(caller_and_chat(&app, &headers, &id).and_then(|(agent, id)| end(&app, agent, id)))
}

/// `POST /chats/{id}/transfer`.
pub async fn transfer_route(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let to = json_body(&body)["to_agent_id"].as_u64();
    reply(
        caller_and_chat(&app, &headers, &id)
            .and_then(|(agent, id)| transfer(&app, id, Some(agent), to))
            .map(|()| ok()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_chat_needs_a_first_message_and_a_platform() {
        let err = |body: Value| NewChat::parse(&body).err().unwrap_or_default();
        assert!(err(json!({"platform": "web"})).starts_with("text:"));
        assert!(err(json!({"platform": "web", "text": "  "})).starts_with("text:"));
        assert!(err(json!({"text": "Hi"})).starts_with("platform:"));
        assert!(err(json!({"platform": "fax", "text": "Hi"})).starts_with("platform:"));
        assert!(
            err(json!({"platform": "web", "text": "Hi", "custom_data": [1]}))
                .starts_with("custom_data:")
        );
        assert!(err(json!({"platform": "web", "text": "Hi", "name": 7})).starts_with("name:"));
        assert!(
            err(json!({"platform": "web", "text": "Hi", "agent_id": "x"})).starts_with("agent_id:")
        );
        let new = NewChat::parse(
            &json!({"platform": "mobile", "text": " Hi ", "name": " Ana ",
                                         "email": "", "menu": "Support > Billing"}),
        );
        let new = new.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(new.text, " Hi ", "the text is kept as typed");
        assert_eq!(new.customer.name.as_deref(), Some("Ana"));
        assert_eq!(new.customer.email, None);
        assert_eq!((new.lang.as_str(), new.custom_data), ("en", json!({})));
        assert_eq!(new.menu_path, "Support > Billing");
    }

    #[test]
    fn a_message_is_one_to_four_thousand_characters_not_only_spaces() {
        assert!(text_of(&json!("<b>hi</b>")).is_ok());
        assert!(text_of(&json!(" \n\t")).is_err());
        assert!(text_of(&json!(null)).is_err());
        assert!(text_of(&json!("é".repeat(MAX_TEXT_CHARS))).is_ok());
        let long = text_of(&json!("a".repeat(MAX_TEXT_CHARS + 1)));
        assert_eq!(
            long.err().map(|r| r.status),
            Some(StatusCode::UNPROCESSABLE_ENTITY)
        );
    }
}
