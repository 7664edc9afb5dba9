//! Customer chats (web and mobile SDK): a chat as the adapter holds it, its messages in order,
//! the agent's messages on their way, the session the ticket rules see (TICKET-1 … TICKET-5,
//! CONTACT-3, CONTACT-4, UPD-1), and the transcript written once at its end.

use serde::{Deserialize, Serialize};

use crate::{
    comments,
    crm::{Channel, SessionPlatform},
    fields::SessionFacts,
    labels::{Catalogue, Label},
    rules::Session,
    time::parse_iso8601,
};

/// Who wrote a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    /// The customer.
    #[default]
    Customer,
    /// The agent.
    Agent,
}

/// One message of a chat, as the platform numbered it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// The platform's id (increasing: the order of the chat).
    pub id: u64,
    /// Who wrote it.
    #[serde(default)]
    pub author: Author,
    /// The text as typed (shown as text, never as HTML).
    #[serde(default)]
    pub text: String,
    /// When it was sent (ISO-8601).
    #[serde(default)]
    pub at: String,
    /// The adapter's id for a message the agent sent (a repeat of it is the same message).
    #[serde(default)]
    pub client_id: Option<String>,
    /// The name of the agent who wrote it (a transferred chat has two agents' messages).
    #[serde(default)]
    pub agent_name: Option<String>,
}

/// Where a chat is in its life, in order: a chat never goes back.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ChatStatus {
    /// Offered to the agent, not yet accepted.
    #[default]
    Offered,
    /// Taken by the agent.
    Active,
    /// Over.
    Ended,
}

/// The SDK's contact parameters (CONTACT-4).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCustomer {
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// The app's identifier of the user.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
}

/// A message of the agent's not confirmed by the platform yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The adapter's id for it (sent again with the same id, it is one message).
    pub client_id: String,
    /// What the agent wrote.
    pub text: String,
    /// Why it was not sent, once a send failed (the agent can send it again).
    pub failed: Option<String>,
}

/// A chat as the adapter holds it: what the platform says of it, and the agent's side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chat {
    /// The platform's chat id.
    pub id: u64,
    /// Offered, active or ended.
    pub status: ChatStatus,
    /// Web or mobile SDK.
    pub platform: Option<SessionPlatform>,
    /// The menu path the customer chose.
    pub menu: String,
    /// The chat's language.
    pub lang: String,
    /// The SDK's contact parameters.
    pub customer: ChatCustomer,
    /// The SDK's custom data, in the order sent.
    pub custom_data: Vec<(String, String)>,
    /// The messages, in the platform's order.
    pub messages: Vec<ChatMessage>,
    /// When it was offered, taken and ended (ISO-8601).
    pub offered_at: String,
    /// When the agent took it.
    pub accepted_at: Option<String>,
    /// When it ended.
    pub ended_at: Option<String>,
    /// Who ended it.
    pub ended_by: Option<Author>,
    /// Time in the queue, seconds.
    pub wait_s: u64,
    /// The queue it came through.
    pub queue: String,
    /// The agent who handed it over, for a transferred chat.
    pub transferred_from: Option<String>,
    /// True while the customer types.
    pub typing: bool,
    /// Messages from the customer not seen by the agent (the chat was not on screen).
    pub unread: u32,
    /// The agent's messages on their way (or failed), in the order written.
    pub outgoing: Vec<Outgoing>,
    /// The ticket it is logged on, once known.
    pub ticket_id: Option<u64>,
}

/// What the agent has seen of each chat still open (its id, [`Chat::seen_through`]): kept for a
/// reload, so that a chat taken up again counts the rest unread ([`Chat::unread_after`]).
pub fn seen_of_open(chats: &[Chat]) -> Vec<(u64, u64)> {
    chats
        .iter()
        .filter(|c| c.status != ChatStatus::Ended)
        .map(|c| (c.id, c.seen_through()))
        .collect()
}

impl Chat {
    /// Adds a message the platform sent (a repeat or an older copy changes nothing); true when
    /// it was new. The agent's message it confirms is no longer on its way.
    pub fn add_message(&mut self, message: ChatMessage) -> bool {
        if let Some(client) = &message.client_id {
            self.outgoing.retain(|o| &o.client_id != client);
        }
        match self.messages.binary_search_by_key(&message.id, |m| m.id) {
            Ok(_) => false,
            Err(at) => {
                self.messages.insert(at, message);
                true
            }
        }
    }

    /// The id of the newest message from the customer the agent has seen (0: none): every one
    /// but the last [`Chat::unread`]. Kept for a reload ([`Chat::unread_after`]).
    pub fn seen_through(&self) -> u64 {
        let customer: Vec<u64> = self
            .messages
            .iter()
            .filter(|m| m.author == Author::Customer)
            .map(|m| m.id)
            .collect();
        let seen = customer.len().saturating_sub(self.unread as usize);
        seen.checked_sub(1).map_or(0, |last| customer[last])
    }

    /// The customer's messages after `seen` (a [`Chat::seen_through`] kept before a reload): what
    /// the agent has not seen of this chat, those that came while the page was away included.
    pub fn unread_after(&self, seen: u64) -> u32 {
        let n = self
            .messages
            .iter()
            .filter(|m| m.author == Author::Customer && m.id > seen)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Takes what the platform now says of the chat (a reload, an accept's answer): its state
    /// and every message, keeping the agent's side (typing, unread, outgoing, ticket).
    pub fn refresh(&mut self, from: Chat) {
        let keep = (
            std::mem::take(&mut self.messages),
            std::mem::take(&mut self.outgoing),
            self.unread,
            self.typing,
            self.ticket_id,
        );
        // A read answered after the stream said more (accepted, ended) does not take it back,
        // nor what the stream said of it (when it was accepted, who ended it, when).
        let reached = (
            self.status,
            self.accepted_at.take(),
            self.ended_at.take(),
            self.ended_by.take(),
        );
        *self = from;
        let (messages, outgoing, unread, typing, ticket_id) = keep;
        for m in messages {
            self.add_message(m);
        }
        for o in outgoing {
            if !self
                .messages
                .iter()
                .any(|m| m.client_id.as_deref() == Some(o.client_id.as_str()))
            {
                self.outgoing.push(o);
            }
        }
        let (status, accepted_at, ended_at, ended_by) = reached;
        self.status = self.status.max(status);
        self.accepted_at = self.accepted_at.take().or(accepted_at);
        self.ended_at = self.ended_at.take().or(ended_at);
        self.ended_by = self.ended_by.take().or(ended_by);
        self.unread = unread;
        self.typing = typing && self.status != ChatStatus::Ended;
        self.ticket_id = self.ticket_id.or(ticket_id);
    }

    /// Who the customer is, as the agent reads it: name, else email, else the identifier, else
    /// the channel ("Web visitor").
    pub fn who(&self, cat: &Catalogue) -> String {
        let c = &self.customer;
        [&c.name, &c.email, &c.external_id, &c.phone]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                let label = match self.platform {
                    Some(SessionPlatform::Mobile) => Label::MobileVisitor,
                    _ => Label::WebVisitor,
                };
                cat.get(label).to_owned()
            })
    }

    /// The first message of the customer (the offer shows it).
    pub fn first_message(&self) -> Option<&ChatMessage> {
        self.messages.iter().find(|m| m.author == Author::Customer)
    }

    /// The session the ticket rules see (TICKET-1 … TICKET-5, FIELD-4 … FIELD-10).
    pub fn session(&self) -> Session {
        let platform = self.platform.unwrap_or(SessionPlatform::Web);
        let at = |s: &Option<String>| s.as_deref().and_then(parse_iso8601);
        let offered = parse_iso8601(&self.offered_at);
        Session {
            id: self.id.to_string(),
            channel: Some(Channel::Chat),
            platform: Some(platform),
            menu: self.menu.clone(),
            language: self.lang.clone(),
            customer_number: None,
            email: nonempty(&self.customer.email),
            external_id: nonempty(&self.customer.external_id),
            name: nonempty(&self.customer.name),
            custom_data: self.custom_data.clone(),
            facts: SessionFacts {
                session_id: self.id.to_string(),
                channel: Some(Channel::Chat),
                platform: Some(platform),
                queued_at: offered.map(|o| o - self.wait_s as i64),
                connected_at: at(&self.accepted_at),
                ended_at: at(&self.ended_at),
                queue_name: Some(self.queue.clone()).filter(|q| !q.is_empty()),
                ..SessionFacts::default()
            },
        }
    }

    /// Seconds from the agent taking the chat to its end (0 when either is unknown).
    pub fn duration_s(&self) -> u64 {
        let at = |s: &Option<String>| s.as_deref().and_then(parse_iso8601);
        match (at(&self.accepted_at), at(&self.ended_at)) {
            (Some(a), Some(e)) if e > a => (e - a) as u64,
            _ => 0,
        }
    }
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The one internal comment a chat leaves at its end: every message once, in order, with its
/// time (UTC) and author, then the chat's standard data and the SDK's custom data
/// (`domain::comments`). `agent` names the agent's messages the platform did not name.
pub fn transcript(cat: &Catalogue, chat: &Chat, agent: &str) -> String {
    let customer = chat.who(cat);
    let mut out = format!(
        "{} ({})",
        cat.get(Label::ChatTranscript),
        cat.get(Label::TimesInUtc)
    );
    if chat.messages.is_empty() {
        out.push('\n');
        out.push_str(cat.get(Label::NoMessages));
    }
    let customer = one_line(&customer);
    for m in &chat.messages {
        let who = match m.author {
            Author::Customer => customer.clone(),
            Author::Agent => one_line(m.agent_name.as_deref().unwrap_or(agent)),
        };
        out.push_str(&format!("\n[{}] {who}: ", clock(&m.at)));
        // A message of several lines stays one entry: each of its lines (whatever breaks it)
        // is indented, so no text of the customer's can pass for a line of the transcript.
        let text = m.text.trim_end().replace("\r\n", "\n");
        let lines: Vec<&str> = text.split(is_line_break).collect();
        out.push_str(&lines.join("\n    "));
    }
    out.push_str("\n\n");
    out.push_str(&comments::standard_data(
        cat,
        &chat.id.to_string(),
        true,
        &one_line(&chat.lang),
        &one_line(&chat.menu),
    ));
    if !chat.custom_data.is_empty() {
        out.push_str("\n\n");
        // The SDK's data is the customer's text too: each item on its line.
        let items: Vec<(String, String)> = chat
            .custom_data
            .iter()
            .map(|(k, v)| (one_line(k), one_line(v)))
            .collect();
        out.push_str(&comments::custom_data(cat, &items));
    }
    out
}

/// True for the characters that break a line in some reader (Zendesk shows comments as text or
/// as rendered markdown): `\n`, `\r`, vertical tab, form feed, next line, line and paragraph
/// separators.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// A name on one line: its line breaks become spaces.
fn one_line(name: &str) -> String {
    name.split(is_line_break)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `HH:MM:SS` of an ISO-8601 time (UTC), or the text itself when it is not one.
fn clock(at: &str) -> String {
    match parse_iso8601(at) {
        Some(s) => {
            let s = s.rem_euclid(86_400);
            format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
        }
        None => at.to_owned(),
    }
}

/// A fresh client id for the agent's next message in chat `chat`: unique in this page (the
/// counter) and across pages and reloads (`page`, the page's own random id).
pub fn client_id(page: &str, chat: u64, counter: u64) -> String {
    format!("{page}-{chat}-{counter}")
}

/// The longest message the platform takes, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// What the composer's text sends: trimmed of blank lines around it; None when nothing is left
/// or it is too long (the composer says so and keeps it).
pub fn sendable(text: &str) -> Result<String, Label> {
    let t = text.trim();
    if t.is_empty() {
        Err(Label::MessageEmpty)
    } else if t.chars().count() > MAX_MESSAGE_CHARS {
        Err(Label::MessageTooLong)
    } else {
        Ok(t.to_owned())
    }
}

/// The session tab Alt+`digit` selects among `count` tabs (1-based digits; 0 and digits past
/// the last tab select nothing).
pub fn tab_for_digit(digit: u32, count: usize) -> Option<usize> {
    let i = (digit as usize).checked_sub(1)?;
    (i < count && digit <= 9).then_some(i)
}
