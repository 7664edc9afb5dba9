//! The reference contact-centre platform (`/platform/...`), DESIGN.md §5.2.
//!
//! - `POST /agent/session` `{email,password}` → `{token, agent:{id,name,email,team}}`; the token
//!   is random, returned once and never logged. Every other route needs `Authorization: Bearer
//!   <token>` and answers 401 `{"error":"unauthorized"}` without it. Browsers cannot set a
//!   WebSocket's headers and a token must never travel in a URL, so the event stream takes it as
//!   its first message, `{"type":"auth","token":…}` (a Bearer header works too).
//!   Sign-in also hands out `resume: {token, expires_in}`, a credential that signs the same agent
//!   in again after a reload without the password: `POST /agent/session/resume {"resume": R}` →
//!   the same shape with a new token and a new resume credential; R is single use, lives
//!   [`RESUME_TTL_MS`] and ends the session it was issued with. `POST /agent/session/renew`
//!   (Bearer) swaps the resume credential for a fresh one (the page renews it while it lives);
//!   `DELETE /agent/session` (Bearer) signs out: the token and its resume credentials end.
//! - `GET /settings` (with `team`: the agent's team as it is now, or null), `GET /outbound/options`.
//! - `POST /calls` places an outbound call: `call.ringing` at once, `call.connected` when the
//!   customer answers (after the fixture's `auto_answer_ms`, or `POST /_sandbox/events
//!   {"type":"answer"}`), `call.ended` on `POST /calls/{id}/hangup` or a customer hang-up.
//!   `POST /calls/{id}/answer` accepts an inbound call offered to the agent. Every `/calls/{id}`
//!   route answers 404 `{"error":"no such call"}` for a call that is not the agent's, and 200
//!   `{"call": <call>}` when it succeeds.
//!   `POST /calls` may name what the call returns to, `"callback_of": {"voicemail": id}` (a
//!   known voicemail, which becomes `called_back` and `read`: `voicemail.updated`) or
//!   `{"call": id}` (one of the agent's calls); anything else is a 422 `{"error":"callback_of:
//!   …"}` and no call is placed. The call shows it as its `callback_of`.
//! - `GET /calls[?since=&limit=&cursor=]`: the agent's call history ([`history`]), the calls
//!   that started at `since` (unix ms; default an hour ago: a reloaded adapter resumes from the
//!   call with no parameters) or later, newest first by start (then id), `limit` (1 to 100,
//!   default 50) a page: `{"calls": [<call>…], "next_cursor": "…" | null}`, null on the last
//!   page; `cursor` is the previous page's `next_cursor`, which goes on with that page's `since`
//!   unless one is sent. 422 `{"error":"limit: 1 to 100"}`, `{"error":"cursor: …"}`,
//!   `{"error":"since: unix ms"}`. The calls are those the agent has now (a call transferred
//!   away is the receiver's).
//! - `GET /voicemails` → `{"voicemails": [<voicemail>…], "unread": n}`: those not closed,
//!   newest first, and how many of them are unread ([`voicemails`]). A voicemail is `{id (the
//!   call that left it), from, contact_id, ticket_id (the voicemail ticket), recording_url,
//!   duration_s, created_at, menu_path, lang, transcript, read, closed, called_back}`.
//!   `POST /voicemails/{id}/read` marks it read, `POST /voicemails/{id}/close` closed and read:
//!   `{"voicemail": <voicemail>}`, idempotent; 404 `{"error":"no such voicemail"}`. Every
//!   signed-in agent gets `{"type":"voicemail.created","voicemail"}` when one is left and
//!   `{"type":"voicemail.updated","voicemail"}` when one changes (a repeat changes nothing).
//! - `GET /recordings/{id}.wav`, no token (an `<audio>` element sends none): a voicemail's
//!   recording when the event named none, a WAV the sandbox makes (`audio/wav`, 8 kHz mono
//!   16-bit, a quiet tone of the voicemail's length, 1 to 3 s); 404 for an unknown id.
//! - `POST /calls/{id}/hold` `{"hold": true|false}` puts a connected call on hold (status
//!   `on_hold`, event `call.held`) or resumes it (status `connected`, event `call.resumed`);
//!   asking for the state the call is in already is a 200 with no event. A ringing or ended
//!   call: 409 `{"error":"the call is not connected"}`; no boolean `hold`: 422
//!   `{"error":"hold: true or false is required"}`.
//! - `POST /calls/{id}/dtmf` `{"digits":"12#"}` sends tones: 1 to 32 of `0-9*#` (else 422
//!   `{"error":"digits: 1 to 32 of 0-9 * #"}`) on a connected call, not on hold (else 409 `{"error":
//!   "the call is not connected"}`); they are appended to the call's `dtmf`.
//! - `POST /calls/{id}/contact` `{"contact_id": N}`: the agent's pick among the contacts matching
//!   an inbound IVR caller (TICKET-6), kept as the call's `picked_contact_id`. 409 `{"error":"not
//!   an inbound call"}` for an outbound call, 422 without a numeric `contact_id`.
//! - `POST /calls/{id}/ticket` `{"ticket_id": N}`: the adapter reports the ticket it logs the call
//!   on, which becomes the call's known ticket (its `ticket_id`). The call's agent may report it,
//!   and so may any agent the call was transferred away from (its `transferred_from`); for anyone
//!   else 404 `{"error":"no such call"}`; 422 `{"error":"ticket_id: a number is required"}`
//!   without a numeric `ticket_id`. Idempotent. When an agent the call was transferred from
//!   reports a ticket the platform did not know, the call's agent gets `{"type":"call.ticket",
//!   "call_id","ticket_id"}` ([`session::report_ticket`]).
//! - `POST /crm/ops` `{ops:[{key, ticket_id, kind, body}]}` → `{accepted:[key…]}`: the CRM
//!   write queue ([`crate::queue`]), which writes with the account's API token. It takes
//!   operations only for tickets of the agent's own calls ([`crate::queue::permits`]): the key
//!   names one of the agent's calls (`<call id>.…`) and the ticket is that call's (the one it
//!   holds for the call, one the call's customer requested, or one the agent's Zendesk user
//!   created or is assigned). A batch is taken whole or not at all: when any of its operations
//!   is refused, nothing of it is queued and the answer is 403 `{"error": "not a ticket of the
//!   agent's calls", "refused": [key…]}` naming every refused key. A key the queue has taken
//!   already is accepted and ignored, as before, unchecked. A malformed operation: 422.
//! - `GET /crm/ops/{key}` → `{state: "queued"|"written"|"failed", error?}`; 404 for a key the
//!   queue does not know.
//! - `POST /contacts` `{"phone","user_id"}`, `GET /contacts?phone=` → `{"user_ids":[…]}`: the
//!   directory of contacts created lately ([`crate::directory`]).
//! - `POST /agent/journal` `{"set":{key: value|null}, "from":{tab, seq}}` → `{"entries":{…}}`:
//!   the agent's journal, kept for frames the browser gives no storage ([`crate::journal`]; a
//!   tab's request older than one it already landed changes nothing).
//! - `GET /agent/events`: WebSocket, one JSON object per event: the call (`id, status, direction,
//!   customer_number, line, lang, menu_path, contact_id, ticket_id, durations{call,wait,hold},
//!   dtmf, picked_contact_id, recording_url, outcome, started_at, ended_at, callback_of, …`)
//!   plus `type` and `call_id`, for `call.ringing`,
//!   `call.connected`, `call.held`, `call.resumed` and `call.ended`; other kinds carry what
//!   `POST /_sandbox/events {"type":"emit"}` gave.
//!   - Session events (`POST /_sandbox/events {"type":"session"}`), each with `call_id` and
//!     `event_id` (a repeat carries the same id): `csat.rated {score}`, `smart_action.completed
//!     {action, results: [[name, value]…], files}`, `smart_action.failed {action, error}`,
//!     `api.response {source, data}`, `session.custom_data {data: {key: value…}, sdk}`, and
//!     `call.recording_ready`: the call (as above) with `recording_url`, once the call has ended.
//!     A call placed with `"ticket": "none"` ("Do not create a ticket") keeps no recording
//!     (OUT-10): its `recording_url` is null and its late recording is refused (409).
//!     They go to the call's agent when signed in, whose adapter writes them; otherwise the
//!     platform writes them itself, once per event id ([`rules::session_event`]).
//!   - `call.transferred` (`POST /_sandbox/events {"type":"transfer"}`, UPD-9): the call (as
//!     above, `agent_id` the new agent) with `event_id`, `from_agent_id`, `to_agent {id, name,
//!     zendesk_user_id}` and `ticket_id` (the known ticket or null), the same event to the agent
//!     who had the call and to the one who has it now. From then on the call is the receiver's:
//!     its events, its `/calls/{id}` routes, its tickets in the CRM queue ([`session::transfer`]).
//!     The call lists that last transfer as `transfer {event_id, from_agent_id, to_agent}` (null
//!     for a call never transferred): an adapter whose stream was down learns it from its
//!     `GET /calls` on reconnect.
//!   - `call.ticket {call_id, ticket_id}`: the ticket of a call transferred to the agent, reported
//!     by the agent it came from.
//!
//! Event ids (session events, transfers) count from 1 in each world (reset).
//!
//! A call's `status` is `ringing`, `connected`, `on_hold` or `ended`; its `outcome` null while
//! it is live, then `voicemail`, `abandoned`, `answered`, `too_short` (answered, under 10 s of
//! talk) or `missed` (never answered); `ended_at` null until it ends. Its `durations` are whole
//! seconds: `wait` from ringing to the answer (or the end), `call` from the answer to the end
//! (or now), hold included (OQ-22), `hold` the time spent on hold (an ongoing hold counts up to
//! now; ending a held call ends its hold).
//!
//! The platform's own server-side rules (abandoned calls, voicemail, new IVR callers, an answered
//! IVR call from a shared number that ended with no contact picked, session events with no agent
//! signed in) are in [`rules`]: they write to the emulated Zendesk with the account's API token;
//! [`after_end`] runs the end-of-call ones. Transfers, the ticket report and the routing of
//! session events are in [`session`].
//!
//! Customer chats (`/chats…`, their queue and their `chat.*` events) are in [`chats`].

pub mod chats;
pub mod history;
pub mod rules;
pub mod session;
pub mod voicemails;

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::model::{now_ms, Agent, PlatformCall};
use crate::state::App;

/// The platform's routes, to nest under `/platform`.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/agent/session", post(sign_in).delete(sign_out))
        .route("/agent/session/resume", post(resume))
        .route("/agent/session/renew", post(renew))
        .route("/settings", get(settings))
        .route("/outbound/options", get(options))
        .route("/calls", post(place_call).get(history::recent_calls))
        .route("/calls/{id}", get(show_call))
        .route("/calls/{id}/hangup", post(hangup))
        .route("/calls/{id}/answer", post(answer_inbound))
        .route("/calls/{id}/hold", post(hold))
        .route("/calls/{id}/dtmf", post(dtmf))
        .route("/calls/{id}/contact", post(pick_contact))
        .route("/calls/{id}/ticket", post(session::report_ticket))
        .route("/crm/ops", post(crm_ops))
        .route("/crm/ops/{key}", get(crm_op))
        .route("/agent/journal", post(crate::journal::sync))
        .route(
            "/contacts",
            post(crate::directory::report).get(crate::directory::lookup),
        )
        .route("/voicemails", get(voicemails::list))
        .route("/voicemails/{id}/read", post(voicemails::read))
        .route("/voicemails/{id}/close", post(voicemails::close))
        .route("/recordings/{file}", get(voicemails::recording))
        .route("/chats", get(chats::list))
        .route("/chats/{id}", get(chats::show))
        .route("/chats/{id}/accept", post(chats::accept_route))
        .route("/chats/{id}/decline", post(chats::decline_route))
        .route("/chats/{id}/messages", post(chats::message_route))
        .route("/chats/{id}/typing", post(chats::typing_route))
        .route("/chats/{id}/end", post(chats::end_route))
        .route("/chats/{id}/ticket", post(chats::ticket_route))
        .route("/chats/{id}/transfer", post(chats::transfer_route))
        .route("/agent/events", get(events))
}

pub(crate) fn err(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({ "error": text }))).into_response()
}

pub(crate) fn unauthorized() -> Response {
    err(StatusCode::UNAUTHORIZED, "unauthorized")
}

/// A random token: 32 hex digits from the OS.
/// A random token (16 bytes from `/dev/urandom`, hex).
pub fn token() -> String {
    let mut buf = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut f, &mut buf);
    }
    if buf == [0; 16] {
        let t = now_ms().to_le_bytes();
        buf[..8].copy_from_slice(&t);
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get("authorization")?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|s| s.trim().to_string())
}

fn agent(app: &App, headers: &HeaderMap) -> Option<Agent> {
    let t = bearer(headers)?;
    app.world().agent_for_token(&t).cloned()
}

/// The agent whose bearer token `headers` carry, if it is a live session.
pub(crate) fn signed_in_agent(app: &App, headers: &HeaderMap) -> Option<Agent> {
    agent(app, headers)
}

#[derive(Deserialize)]
struct SignIn {
    email: String,
    password: String,
}

async fn sign_in(State(app): State<App>, body: Option<Json<SignIn>>) -> Response {
    let Some(Json(body)) = body else {
        return err(StatusCode::BAD_REQUEST, "email and password are required");
    };
    let mut w = app.world();
    let found = w
        .agents
        .iter()
        .find(|a| a.email.eq_ignore_ascii_case(body.email.trim()) && a.password == body.password)
        .cloned();
    let Some(a) = found else {
        return err(StatusCode::UNAUTHORIZED, "invalid email or password");
    };
    let answer = signed_in(&mut w, &a);
    drop(w);
    // Chats waiting for an agent with room may be the new agent's now.
    chats::dispatch(&app);
    answer
}

/// How long a resume credential lives unless renewed: a reload is seconds; a tab closed for
/// longer than this signs in with the password again.
pub const RESUME_TTL_MS: i64 = 15 * 60 * 1000;

/// A new session for `a`: its token, a resume credential, the agent.
fn signed_in(w: &mut crate::state::World, a: &Agent) -> Response {
    let t = token();
    w.sessions.insert(t.clone(), a.id);
    let resume = grant_resume(w, a.id, &t);
    let team = w.team_of(a).cloned();
    Json(json!({
        "token": t,
        "resume": resume,
        "agent": {"id": a.id, "name": a.name, "email": a.email, "team": team, "zendesk_user_id": a.zendesk_user_id},
    }))
    .into_response()
}

fn grant_resume(w: &mut crate::state::World, agent_id: u64, session: &str) -> Value {
    let r = token();
    w.resumes.insert(
        r.clone(),
        crate::state::ResumeGrant {
            agent_id,
            session: session.to_owned(),
            expires_ms: now_ms() + RESUME_TTL_MS,
        },
    );
    json!({"token": r, "expires_in": RESUME_TTL_MS / 1000})
}

#[derive(Deserialize)]
struct ResumeBody {
    resume: String,
}

async fn resume(State(app): State<App>, body: Option<Json<ResumeBody>>) -> Response {
    let Some(Json(body)) = body else {
        return err(StatusCode::BAD_REQUEST, "resume is required");
    };
    let mut w = app.world();
    // Single use: taken out whether it is still good or not.
    let Some(grant) = w.resumes.remove(&body.resume) else {
        return err(StatusCode::UNAUTHORIZED, "unauthorized");
    };
    if grant.expires_ms < now_ms() {
        return err(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let Some(a) = w.agents.iter().find(|a| a.id == grant.agent_id).cloned() else {
        return err(StatusCode::UNAUTHORIZED, "unauthorized");
    };
    // The page that held the old session is gone (reloaded): its token ends.
    w.sessions.remove(&grant.session);
    let answer = signed_in(&mut w, &a);
    drop(w);
    chats::dispatch(&app);
    answer
}

async fn renew(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(t) = bearer(&headers) else {
        return unauthorized();
    };
    let mut w = app.world();
    let Some(agent_id) = w.sessions.get(&t).copied() else {
        return unauthorized();
    };
    w.resumes.retain(|_, g| g.session != t);
    Json(json!({"resume": grant_resume(&mut w, agent_id, &t)})).into_response()
}

async fn sign_out(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(t) = bearer(&headers) else {
        return unauthorized();
    };
    let mut w = app.world();
    if w.sessions.remove(&t).is_none() {
        return unauthorized();
    }
    w.resumes.retain(|_, g| g.session != t);
    StatusCode::NO_CONTENT.into_response()
}

async fn settings(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(agent) = agent(&app, &headers) else {
        return unauthorized();
    };
    let mut w = app.world();
    w.settings_reads += 1;
    // The agent's team as it is now (its Ticket ID entry may have changed since sign-in).
    let team = w.team_of(&agent).cloned();
    let mut answer = json!(w.settings);
    answer["team"] = json!(team);
    Json(answer).into_response()
}

async fn options(State(app): State<App>, headers: HeaderMap) -> Response {
    if agent(&app, &headers).is_none() {
        return unauthorized();
    }
    let w = app.world();
    Json(json!({"languages": w.languages, "numbers": w.numbers})).into_response()
}

/// Emits `type` for call `id` to its agent.
pub fn emit_call(app: &App, id: u64, kind: &str) {
    let (agent, mut ev) = {
        let w = app.world();
        let Some(c) = w.calls.get(&id) else { return };
        (c.agent_id, c.to_json())
    };
    ev["type"] = json!(kind);
    ev["call_id"] = json!(id);
    app.emit(agent, ev);
}

/// Connects a ringing call; false if it is not ringing.
pub fn connect(app: &App, id: u64) -> bool {
    {
        let mut w = app.world();
        match w.calls.get_mut(&id) {
            Some(c) if c.status == "ringing" => {
                c.status = "connected".into();
                c.connected_ms = Some(now_ms());
            }
            _ => return false,
        }
    }
    emit_call(app, id, "call.connected");
    true
}

/// Ends a call that has not ended; false if it had.
pub fn end(app: &App, id: u64, by: &str) -> bool {
    {
        let mut w = app.world();
        match w.calls.get_mut(&id) {
            Some(c) if c.status != "ended" => {
                let now = now_ms();
                c.close_hold(now);
                c.status = "ended".into();
                c.ended_ms = Some(now);
                c.ended_by = Some(if c.connected_ms.is_none() && by == "customer" {
                    "abandoned".into()
                } else {
                    by.into()
                });
            }
            _ => return false,
        }
    }
    emit_call(app, id, "call.ended");
    true
}

/// Records what the platform's rules did on the call: `contact_id` and `ticket_id` show in the
/// call's events and in the state dump, the whole outcome under `request.rules`.
pub fn record_rules(app: &App, id: u64, outcome: &rules::Outcome) {
    let mut w = app.world();
    if let Some(c) = w.calls.get_mut(&id) {
        if !c.request.is_object() {
            c.request = json!({});
        }
        if let Some(contact) = outcome.contact_id {
            c.request["contact_id"] = json!(contact);
        }
        if let Some(t) = outcome.tickets_created.first() {
            c.request["ticket_id"] = json!(t);
        }
        c.request["rules"] = outcome.to_json();
    }
}

/// What the platform does once a call has ended ([`end`]), whoever ended it. Only inbound IVR
/// calls concern it:
/// - one no agent answered is abandoned (TICKET-9): the abandoned-call rules run;
/// - one an agent answered from a number several contacts share, with no contact picked
///   (`POST /calls/{id}/contact`, TICKET-6), has no ticket: the most recently created contact
///   gets one (TICKET-7, CONTACT-5). A call whose contact was settled when it was offered (one
///   contact had the number, or one was created for it) needs nothing and reads nothing.
///
/// What the rules did is recorded on the call ([`record_rules`]) and returned; None when
/// nothing was to be done.
pub async fn after_end(app: &App, id: u64) -> Option<rules::Outcome> {
    enum Next {
        Abandoned,
        Unpicked(u64),
    }
    let (session, next) = {
        let w = app.world();
        let c = w.calls.get(&id)?;
        if c.direction != "inbound" || c.status != "ended" {
            return None;
        }
        let next = if c.ended_by.as_deref() == Some("abandoned") {
            Next::Abandoned
        } else if c.connected_ms.is_some()
            && c.picked_contact_id.is_none()
            && c.request.get("contact_id").is_none_or(Value::is_null)
        {
            // The Zendesk user the ticket is assigned to; an agent the fixture lacks has none.
            let agent = w.agents.iter().find(|a| Some(a.id) == c.agent_id)?;
            Next::Unpicked(agent.zendesk_user_id)
        } else {
            return None;
        };
        let session = rules::ivr_session(id, &c.customer_number, &c.menu_path, &c.lang);
        (session, next)
    };
    let outcome = match next {
        Next::Abandoned => rules::abandoned(app, session).await,
        Next::Unpicked(agent) => rules::ended_without_ticket(app, session, agent).await,
    };
    record_rules(app, id, &outcome);
    Some(outcome)
}

/// Starts a call ringing and, if the customer answers by themselves, schedules the answer.
pub fn start_call(app: &App, call: PlatformCall, auto_answer: Option<u64>) -> u64 {
    let id = call.id;
    app.world().calls.insert(id, call);
    emit_call(app, id, "call.ringing");
    if let Some(ms) = auto_answer {
        let app = app.clone();
        let generation = app.generation();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            // Not a call of the same id in a world reset meanwhile.
            if app.generation() == generation {
                connect(&app, id);
            }
        });
    }
    id
}

/// `POST /calls`: places an outbound call for the agent (the module doc has the contract).
async fn place_call(
    State(app): State<App>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    let Some(a) = agent(&app, &headers) else {
        return unauthorized();
    };
    let Some(Json(body)) = body else {
        return err(StatusCode::BAD_REQUEST, "a JSON body is required");
    };
    let to = body["to"].as_str().unwrap_or("").trim().to_string();
    if crate::model::digits(&to).len() < 3 {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "to: a number to call is required",
        );
    }
    if !matches!(body["ticket"].as_str(), Some("existing" | "new" | "none")) {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "ticket: must be existing, new or none",
        );
    }
    let (id, line, lang, auto, callback) = {
        let mut w = app.world();
        let line = body["outbound_number"]
            .as_str()
            .map(String::from)
            .or_else(|| {
                w.numbers
                    .iter()
                    .find(|n| n.default)
                    .map(|n| n.number.clone())
            })
            .unwrap_or_default();
        if !w.numbers.iter().any(|n| n.number == line) {
            return err(
                StatusCode::UNPROCESSABLE_ENTITY,
                "outbound_number: not one of the options",
            );
        }
        let callback = match voicemails::CallbackOf::check(&w, a.id, body.get("callback_of")) {
            Ok(c) => c,
            Err(e) => return err(StatusCode::UNPROCESSABLE_ENTITY, &e),
        };
        let lang = body["lang"].as_str().unwrap_or("en-US").to_string();
        (w.next_id(), line, lang, w.auto_answer_ms, callback)
    };
    let call = PlatformCall::new(
        id,
        "outbound",
        Some(a.id),
        to,
        line,
        lang,
        body,
        "Outbound".into(),
    );
    start_call(&app, call, auto);
    if let Some(voicemails::CallbackOf::Voicemail(vm)) = callback {
        voicemails::called_back(&app, vm);
    }
    let status = app.world().calls[&id].status.clone();
    (
        StatusCode::CREATED,
        Json(json!({"call": {"id": id, "status": status}})),
    )
        .into_response()
}

fn own_call(app: &App, a: &Agent, id: u64) -> Option<Value> {
    let w = app.world();
    w.calls
        .get(&id)
        .filter(|c| c.agent_id == Some(a.id))
        .map(PlatformCall::to_json)
}

/// The signed-in agent when call `id` is theirs; otherwise the answer to send (401 or 404).
fn owner(app: &App, headers: &HeaderMap, id: u64) -> Result<Agent, Box<Response>> {
    let a = agent(app, headers).ok_or_else(|| Box::new(unauthorized()))?;
    match own_call(app, &a, id) {
        Some(_) => Ok(a),
        None => Err(Box::new(err(StatusCode::NOT_FOUND, "no such call"))),
    }
}

async fn show_call(State(app): State<App>, headers: HeaderMap, Path(id): Path<u64>) -> Response {
    let Some(a) = agent(&app, &headers) else {
        return unauthorized();
    };
    match own_call(&app, &a, id) {
        Some(c) => Json(json!({ "call": c })).into_response(),
        None => err(StatusCode::NOT_FOUND, "no such call"),
    }
}

async fn hangup(State(app): State<App>, headers: HeaderMap, Path(id): Path<u64>) -> Response {
    let a = match owner(&app, &headers, id) {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    // The platform's end-of-call rules run before the answer, so that what they wrote is there
    // when the agent's client (or a test) looks.
    if end(&app, id, "agent") {
        after_end(&app, id).await;
    }
    Json(json!({ "call": own_call(&app, &a, id) })).into_response()
}

async fn answer_inbound(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Response {
    let a = match owner(&app, &headers, id) {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    if !connect(&app, id) {
        return err(StatusCode::CONFLICT, "the call is not ringing");
    }
    Json(json!({ "call": own_call(&app, &a, id) })).into_response()
}

/// A request body as JSON (`null` when it is missing or not JSON), so that the routes below
/// answer their own 422 whatever was sent.
pub(crate) fn json_body(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

const NOT_CONNECTED: &str = "the call is not connected";

/// `POST /calls/{id}/hold` `{"hold": true|false}`: puts a connected call on hold or resumes it.
async fn hold(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    let a = match owner(&app, &headers, id) {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    let Some(on) = json_body(&body)["hold"].as_bool() else {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "hold: true or false is required",
        );
    };
    let changed = {
        let mut w = app.world();
        let Some(c) = w.calls.get_mut(&id) else {
            return err(StatusCode::NOT_FOUND, "no such call");
        };
        if !matches!(c.status.as_str(), "connected" | "on_hold") {
            return err(StatusCode::CONFLICT, NOT_CONNECTED);
        }
        if on {
            c.hold(now_ms())
        } else {
            c.resume(now_ms())
        }
    };
    if changed {
        emit_call(&app, id, if on { "call.held" } else { "call.resumed" });
    }
    Json(json!({ "call": own_call(&app, &a, id) })).into_response()
}

/// The most DTMF digits one request may send.
const MAX_DTMF: usize = 32;

/// `POST /calls/{id}/dtmf` `{"digits":"12#"}`: sends tones on a connected call (not on hold).
async fn dtmf(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    let a = match owner(&app, &headers, id) {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    let body = json_body(&body);
    let Some(digits) = body["digits"].as_str().filter(|d| {
        (1..=MAX_DTMF).contains(&d.len())
            && d.chars()
                .all(|ch| ch.is_ascii_digit() || ch == '*' || ch == '#')
    }) else {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "digits: 1 to 32 of 0-9 * #",
        );
    };
    {
        let mut w = app.world();
        let Some(c) = w.calls.get_mut(&id) else {
            return err(StatusCode::NOT_FOUND, "no such call");
        };
        if c.status != "connected" {
            return err(StatusCode::CONFLICT, NOT_CONNECTED);
        }
        c.dtmf.push_str(digits);
    }
    Json(json!({ "call": own_call(&app, &a, id) })).into_response()
}

/// `POST /calls/{id}/contact` `{"contact_id": N}`: the agent's pick among the contacts matching
/// an inbound caller (TICKET-6); with a pick the platform writes nothing at the end (TICKET-7).
async fn pick_contact(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    let a = match owner(&app, &headers, id) {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    let Some(contact) = json_body(&body)["contact_id"].as_u64() else {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "contact_id: a contact id is required",
        );
    };
    {
        let mut w = app.world();
        let Some(c) = w.calls.get_mut(&id) else {
            return err(StatusCode::NOT_FOUND, "no such call");
        };
        if c.direction != "inbound" {
            return err(StatusCode::CONFLICT, "not an inbound call");
        }
        // TICKET-7: once the call has ended the platform has settled its ticket.
        if c.status == "ended" {
            return err(StatusCode::CONFLICT, "the call has ended");
        }
        c.picked_contact_id = Some(contact);
    }
    Json(json!({ "call": own_call(&app, &a, id) })).into_response()
}

#[derive(Deserialize)]
struct Ops {
    ops: Vec<crate::queue::OpIn>,
}

/// The answer to a batch with operations the agent may not queue.
pub const NOT_THE_AGENTS: &str = "not a ticket of the agent's calls";

/// `POST /crm/ops`: queues a batch whole, or refuses it whole (403) when any operation is not
/// for a ticket of the agent's own calls ([`crate::queue::permits`]; the module doc has the
/// contract).
async fn crm_ops(State(app): State<App>, headers: HeaderMap, body: Option<Json<Ops>>) -> Response {
    let Some(a) = agent(&app, &headers) else {
        return unauthorized();
    };
    let Some(Json(body)) = body else {
        return err(
            StatusCode::BAD_REQUEST,
            "{ops:[{key,ticket_id,kind,body}]} is required",
        );
    };
    let mut ops = Vec::new();
    for o in &body.ops {
        match o.to_op() {
            Ok(op) => ops.push(op),
            Err(e) => return err(StatusCode::UNPROCESSABLE_ENTITY, &e),
        }
    }
    // A key the queue has taken is a repeat, ignored whoever sends it: not checked again, so a
    // replay after a reload is accepted even if the ticket changed since.
    let known: Vec<bool> = {
        let q = app.queue();
        body.ops.iter().map(|o| q.knows(&o.key)).collect()
    };
    let refused: Vec<&str> = {
        let w = app.world();
        body.ops
            .iter()
            .zip(known)
            .filter(|(o, known)| !known && !crate::queue::permits(&w, &a, &o.key, o.ticket_id))
            .map(|(o, _)| o.key.as_str())
            .collect()
    };
    if !refused.is_empty() {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "error": NOT_THE_AGENTS, "refused": refused })),
        )
            .into_response();
    }
    let accepted = app.queue().enqueue(ops, now_ms());
    app.wake_queue();
    match accepted {
        Ok(keys) => Json(json!({ "accepted": keys })).into_response(),
        Err(e) => err(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

async fn crm_op(State(app): State<App>, headers: HeaderMap, Path(key): Path<String>) -> Response {
    if agent(&app, &headers).is_none() {
        return unauthorized();
    }
    match app.queue().status(&key) {
        Some(s) => Json(json!(s)).into_response(),
        None => err(StatusCode::NOT_FOUND, "unknown key"),
    }
}

/// The path a fault names to slow the event stream's readiness after authentication (the time
/// before the platform routes the agent's events to the socket and says `session.ready`).
pub const STREAM_READY_PATH: &str = "/platform/agent/events/ready";

/// How long an event-stream socket may stay open without authenticating.
const AUTH_TIMEOUT: Duration = Duration::from_secs(5);

async fn events(State(app): State<App>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    match bearer(&headers) {
        Some(t) => {
            let agent = app.world().agent_for_token(&t).map(|a| a.id);
            match agent {
                Some(id) => ws.on_upgrade(move |socket| stream(app, id, t, socket)),
                None => unauthorized(),
            }
        }
        None => ws.on_upgrade(move |socket| authenticate(app, socket)),
    }
}

/// Waits for `{"type":"auth","token":…}`; anything else, or nothing in time, closes the socket.
async fn authenticate(app: App, mut socket: WebSocket) {
    let first = tokio::time::timeout(AUTH_TIMEOUT, socket.recv()).await;
    let token = match first {
        Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str::<Value>(&text)
            .ok()
            .filter(|m| m["type"] == "auth")
            .and_then(|m| m["token"].as_str().map(str::to_owned)),
        _ => None,
    };
    let agent = token
        .as_ref()
        .and_then(|t| app.world().agent_for_token(t).map(|a| a.id));
    match (agent, token) {
        (Some(id), Some(t)) => stream(app, id, t, socket).await,
        _ => {
            let refusal = json!({"type": "error", "error": "unauthorized"});
            let _ = socket.send(Message::Text(refusal.to_string().into())).await;
            let _ = socket.send(Message::Close(None)).await;
        }
    }
}

async fn stream(app: App, agent_id: u64, token: String, mut socket: WebSocket) {
    // A platform takes a moment to route the agent's events to a new socket after it
    // authenticates; a fault's latency on `STREAM_READY_PATH` makes that moment longer. Events
    // sent meanwhile do not reach this socket: the adapter must catch up after the hello.
    let wait = {
        let w = app.world();
        w.timing.stream_ready_ms + w.latency_named(STREAM_READY_PATH)
    };
    if wait > 0 {
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }
    let mut rx = app.subscribe();
    let hello = json!({"type": "session.ready", "agent_id": agent_id});
    if socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    // A call still ringing for the agent is offered again on every (re)connect: an offer made
    // while the agent's socket was down (signing in, a reload, a dropped link) is not lost. An
    // offer sent both ways is the same call id; the adapter takes it once.
    let ringing: Vec<u64> = {
        let w = app.world();
        w.calls
            .values()
            .filter(|c| {
                c.direction == "inbound" && c.status == "ringing" && c.agent_id == Some(agent_id)
            })
            .map(|c| c.id)
            .collect()
    };
    for id in ringing {
        let ev = {
            let w = app.world();
            let Some(c) = w.calls.get(&id) else { continue };
            let mut ev = c.to_json();
            ev["type"] = json!("call.ringing");
            ev["call_id"] = json!(id);
            ev
        };
        if socket
            .send(Message::Text(ev.to_string().into()))
            .await
            .is_err()
        {
            return;
        }
    }
    // Likewise every chat offered to the agent and not accepted yet.
    for ev in chats::pending_offers(&app, agent_id) {
        if socket
            .send(Message::Text(ev.to_string().into()))
            .await
            .is_err()
        {
            return;
        }
    }
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                // The session ended (signed out elsewhere, expired): the platform hangs up,
                // telling the adapter why.
                Ok(_) if !app.world().sessions.contains_key(&token) => {
                    let refusal = json!({"type": "error", "error": "unauthorized"});
                    let _ = socket.send(Message::Text(refusal.to_string().into())).await;
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
                Ok(ev) if ev.event["type"] == "session.ended" => {}
                // The agent's link drops (`POST /_sandbox/streams/drop`): the socket closes
                // with no word; the session stays.
                Ok(ev) if ev.event["type"] == "stream.drop" => {
                    if ev.agent_id.is_none_or(|a| a == agent_id) {
                        return;
                    }
                }
                Ok(ev) if ev.agent_id.is_none_or(|a| a == agent_id) => {
                    if socket.send(Message::Text(ev.event.to_string().into())).await.is_err() {
                        return;
                    }
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
