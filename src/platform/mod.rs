//! The contact-centre platform's API (DESIGN.md §5.2): sign-in, settings, outbound options,
//! calls, the CRM write queue, and the live event stream.
//!
//! Beyond §5.2, this module and the sandbox's platform agree on the in-call routes, each
//! answering `{call:{id,status,…}}`:
//! - `GET /calls` `{calls:[…], next_cursor}`: the agent's calls of the last hour, newest first (an
//!   adapter reloaded mid-call resumes its call, or logs the end it missed); a `next_cursor`
//!   that is not null says the list goes on in pages (the resume then drops no intent);
//! - `POST /calls/{id}/answer` answers an inbound call offered to the agent;
//! - `POST /calls/{id}/hold` `{hold:bool}`: status `on_hold` or `connected` (409 unless talking);
//! - `POST /calls/{id}/dtmf` `{digits}`: 1 to 32 of `0-9 * #` on a connected call;
//! - `POST /calls/{id}/contact` `{contact_id}`: the agent's pick among the contacts sharing an
//!   inbound caller's number (TICKET-6), so the platform does not give the ticket to the newest
//!   contact at the end of the call (TICKET-7);
//!
//! - `GET /settings` also carries `team`, the signed-in agent's team as it is now (or `null`):
//!   each dial screen's read of the settings reads the team's Ticket ID entry with them (SET-16);
//! - `GET /calls?since=&limit=&cursor=` `{calls:[…], next_cursor}`: the agent's history, a page
//!   at a time (each call with its `outcome`, `contact_id` and `ticket_id`);
//! - `GET /voicemails` `{voicemails:[…], unread}`, `POST /voicemails/{id}/read|close`
//!   `{voicemail}`; `POST /calls {…, callback_of: {call|voicemail: id}}` places a call back;
//!
//! and on the events `call.held` and `call.resumed`, and the inbound fields of `call.ringing`
//! (`direction`, `customer_number`, `menu_path`, `lang`); on every (re)connect the stream first
//! offers again each inbound call still ringing for the agent (an offer made while the socket was
//! down is not lost; the same call id may come twice). A call (in `GET /calls` and in every
//! `call.*` event) also carries `line`, the platform's own number on it (the outbound number it
//! was placed from, or the number an inbound caller dialled), and `started_at` (ISO-8601): the
//! From/To/Started block of the call's voice comment.
//!
//! Requests go through a [`Transport`] (gloo-net in the app, a fake in tests). The bearer token
//! from sign-in lives in this client's memory only: never in storage, a URL or a log. A 401 forgets
//! the token and answers [`PlatformError::SignedOut`] (the caller says so to the agent; nothing
//! signs in again by itself).

mod events;
#[cfg(target_arch = "wasm32")]
mod gloo;

pub use events::{CallStatus, ChatInfo, Direction, Durations, PlatformEvent, TransferredTo};
#[cfg(target_arch = "wasm32")]
pub use gloo::{EventStream, GlooTransport};

use crate::http::{HttpRequest, HttpResponse, Method, Transport};
use domain::{
    comments::VoicemailAction,
    dial::{ContactPlan, DialPlan, OutboundOptions, TicketPlan},
    history::{CallbackOf, Outcome, RecentCall, Voicemail},
    settings::{DeveloperSettings, OperationManagement, Settings, Team},
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::json;
use std::cell::RefCell;

/// Where an operation of the platform's CRM queue is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrmOpState {
    /// Waiting in the queue.
    Queued,
    /// Written to Zendesk.
    Written,
    /// Given up by the queue.
    Failed,
    /// A state this client does not know (a newer platform): not waiting, as far as it knows.
    #[serde(other)]
    Other,
}

impl CrmOpState {
    /// True once the operation no longer waits in the queue.
    pub fn is_settled(self) -> bool {
        self != CrmOpState::Queued
    }
}

/// Where a sign-in with email and password is sent.
pub const SIGN_IN_PATH: &str = "/agent/session";

/// What a platform call can fail with; each carries the message the agent sees.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    /// Wrong email or password.
    #[error("The email or password is not correct.")]
    BadCredentials,
    /// The session ended (401): the agent must sign in again.
    #[error("Your session has ended. Sign in again.")]
    SignedOut,
    /// The platform refused the request.
    #[error("The contact centre refused the request: {0}")]
    Refused(String),
    /// 403: the platform does not let this agent do this (the CRM queue: an operation that is
    /// not for a ticket of the agent's own calls). Asking again changes nothing.
    #[error("The contact centre refused the request: {0}")]
    Forbidden(String),
    /// No answer (the network, a server down).
    #[error("The contact centre cannot be reached. Check your connection and try again.")]
    Unreachable(String),
    /// The platform answered with a server error (5xx, 429, or a status it does not
    /// document); asking again may work.
    #[error("The contact centre answered with an error: HTTP {0}")]
    Server(u16),
    /// An answer of an unexpected shape.
    #[error("Unexpected answer from the contact centre: {0}")]
    Decode(String),
}

impl PlatformError {
    /// True when asking again may answer: no answer came, or a server error or a 429. A
    /// refusal, or a session ended, would be the same again.
    pub fn may_pass_if_asked_again(&self) -> bool {
        matches!(self, Self::Unreachable(_) | Self::Server(_))
    }
}

/// The agent, as the platform knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// Platform agent id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Email.
    pub email: String,
    /// The agent's team, with its ticket ID entry settings (TEAM-3).
    #[serde(default)]
    pub team: Option<Team>,
    /// The agent's Zendesk user id, when the platform maps it.
    #[serde(default)]
    pub zendesk_user_id: Option<u64>,
}

/// A call as the platform reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// Platform call id.
    pub id: u64,
    /// Where it is in its life.
    pub status: CallStatus,
}

/// A page of the agent's history (`GET /calls?since=…`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct HistoryPage {
    /// The calls, newest first.
    pub calls: Vec<CallInfo>,
    /// The next page's cursor; `None` on the last page.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

impl HistoryPage {
    /// The calls as the Recent screen lists them.
    pub fn recent(&self) -> Vec<RecentCall> {
        self.calls.iter().map(CallInfo::recent).collect()
    }
}

/// A call as `GET /calls` reports it: what an adapter reloaded in the middle of a call resumes
/// from.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CallInfo {
    /// Platform call id.
    pub id: u64,
    /// Where it is in its life.
    pub status: CallStatus,
    /// Outbound or inbound.
    #[serde(default)]
    pub direction: Direction,
    /// The customer's number.
    #[serde(default)]
    pub customer_number: String,
    /// The call's language.
    #[serde(default)]
    pub lang: String,
    /// The queue/menu path (inbound).
    #[serde(default)]
    pub menu_path: String,
    /// The existing ticket the agent chose, if any.
    #[serde(default)]
    pub ticket_id: Option<u64>,
    /// Talk, wait and hold times so far.
    #[serde(default)]
    pub durations: Durations,
    /// The recording, once the call has ended.
    #[serde(default)]
    pub recording_url: Option<String>,
    /// The platform's number on the call (E.164); empty when not reported.
    #[serde(default)]
    pub line: String,
    /// When the call started (ISO-8601); empty when not reported.
    #[serde(default)]
    pub started_at: String,
    /// The contact the call was with, when the platform knows it.
    #[serde(default)]
    pub contact_id: Option<u64>,
    /// The contact the agent picked among those sharing an inbound caller's number.
    #[serde(default)]
    pub picked_contact_id: Option<u64>,
    /// How it ended; `None` while live (or from a platform that does not say).
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// The transfer that gave the call its agent (the last one); `None` for a call never
    /// transferred. An adapter whose event stream was down when it came learns it from here.
    #[serde(default)]
    pub transfer: Option<CallTransfer>,
}

/// A call's transfer as `GET /calls` lists it (the `call.transferred` event's own fields).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CallTransfer {
    /// The platform's id of the transfer's event.
    pub event_id: u64,
    /// The agent who has the call since.
    pub to_agent: TransferredTo,
}

impl CallInfo {
    /// The call as the Recent screen lists it.
    pub fn recent(&self) -> RecentCall {
        RecentCall {
            id: self.id,
            inbound: self.direction == Direction::Inbound,
            number: self.customer_number.clone(),
            contact_id: self.picked_contact_id.or(self.contact_id),
            ticket_id: self.ticket_id,
            started_s: domain::time::parse_iso8601(&self.started_at).unwrap_or(0),
            talked_s: self.durations.call,
            outcome: self.outcome,
        }
    }

    /// Which way the call went, its line and its start, for its voice comment.
    pub fn call_line(&self) -> domain::voice::CallLine {
        call_line(
            self.direction != Direction::Inbound,
            &self.line,
            &self.started_at,
        )
    }
}

/// What a voice comment needs of a call besides the customer: `outbound`, the platform's `line`
/// and `started_at` as reported (empty = unknown).
pub fn call_line(outbound: bool, line: &str, started_at: &str) -> domain::voice::CallLine {
    let known = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    domain::voice::CallLine {
        outbound,
        line: known(line),
        started_at: known(started_at),
    }
}

/// The platform's answer about one call.
#[derive(Deserialize)]
struct CallEnvelope {
    call: Call,
}

/// The `POST /calls` body for a dial plan.
pub fn call_request(plan: &DialPlan) -> serde_json::Value {
    let contact_id = match plan.contact {
        ContactPlan::Existing { id } => Some(id),
        _ => None,
    };
    let (ticket, ticket_id) = match plan.ticket {
        TicketPlan::Existing { id } => ("existing", Some(id)),
        TicketPlan::New => ("new", None),
        TicketPlan::None => ("none", None),
    };
    json!({
        "to": plan.to,
        "outbound_number": plan.outbound_number,
        "lang": plan.language,
        "contact_id": contact_id,
        "ticket_id": ticket_id,
        "ticket": ticket,
        "entered_number": plan.entered_number,
    })
}

/// The platform client.
pub struct Platform<T> {
    transport: T,
    token: RefCell<Option<String>>,
    resume: RefCell<Option<Resume>>,
    /// The session the platform's last 401 ended (its token, in memory only).
    ended: RefCell<Option<String>>,
}

/// A credential that signs the agent in again after a reload of this tab, without the password.
/// The platform hands a new one out at each sign-in, resume and renewal; it is single use,
/// short-lived (`expires_in` seconds) and ends at sign-out. The app keeps it in the tab's
/// session storage only (README, "Security").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    /// The credential.
    pub token: String,
    /// Seconds it lives unless renewed.
    pub expires_in: u64,
}

#[derive(Deserialize)]
struct SignedIn {
    token: String,
    agent: Agent,
    #[serde(default)]
    resume: Option<Resume>,
}

impl<T: Transport> Platform<T> {
    /// A signed-out client over `transport` (whose base URL is the platform's).
    pub fn new(transport: T) -> Self {
        Self {
            transport,
            token: RefCell::new(None),
            resume: RefCell::new(None),
            ended: RefCell::new(None),
        }
    }

    /// The resume credential of this session, if the platform gave one.
    pub fn resume_credential(&self) -> Option<Resume> {
        self.resume.borrow().clone()
    }

    /// Signs the agent in again with a resume credential (after a reload): a 401 means it
    /// expired or was used ([`PlatformError::SignedOut`]); the password is then needed.
    pub async fn resume(&self, credential: &str) -> Result<Agent, PlatformError> {
        self.sign_out();
        let request = HttpRequest::new(Method::Post, "/agent/session/resume")
            .json(json!({"resume": credential}));
        let signed_in: SignedIn = self.call(request).await?;
        Ok(self.keep(signed_in))
    }

    /// Swaps the resume credential for a fresh one (the page renews it while it lives, so a
    /// reload minutes from now still finds it good).
    pub async fn renew_resume(&self) -> Result<Resume, PlatformError> {
        #[derive(Deserialize)]
        struct Renewed {
            resume: Resume,
        }
        let renewed: Renewed = self
            .call(HttpRequest::new(Method::Post, "/agent/session/renew"))
            .await?;
        *self.resume.borrow_mut() = Some(renewed.resume.clone());
        Ok(renewed.resume)
    }

    /// Ends the session on the platform (its token and resume credentials stop working), then
    /// forgets it here. A failure to reach the platform still forgets it here.
    pub async fn end_session(&self) {
        if self.is_signed_in() {
            let _ = self
                .send(HttpRequest::new(Method::Delete, "/agent/session"))
                .await;
        }
        self.sign_out();
    }

    fn keep(&self, signed_in: SignedIn) -> Agent {
        *self.token.borrow_mut() = Some(signed_in.token);
        *self.resume.borrow_mut() = signed_in.resume;
        // A new session: a late answer of the one a 401 ended is of no screen here.
        self.ended.borrow_mut().take();
        signed_in.agent
    }

    /// True while signed in.
    pub fn is_signed_in(&self) -> bool {
        self.token.borrow().is_some()
    }

    /// Forgets the token and the resume credential.
    pub fn sign_out(&self) {
        self.token.borrow_mut().take();
        self.resume.borrow_mut().take();
    }

    /// The token, for the event stream's first message (never for a URL).
    pub fn token(&self) -> Option<String> {
        self.token.borrow().clone()
    }

    /// True while the session `mark` (a [`Platform::token`] taken when a read was sent) is the
    /// one signed in: an answer that comes after a sign-out, or after another sign-in, is of
    /// no screen here (the next agent must not see the last one's calls).
    pub fn still(&self, mark: &Option<String>) -> bool {
        mark.is_some() && *self.token.borrow() == *mark
    }

    /// True when the session `mark` was ended by the platform (a 401 to one of its requests),
    /// not by a sign-out here: a read of that session that answers afterwards is not shown,
    /// but the agent is told the session ended.
    pub fn ended(&self, mark: &Option<String>) -> bool {
        mark.is_some() && *self.ended.borrow() == *mark
    }

    async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse, PlatformError> {
        let sent_with = self.token.borrow().clone();
        if let Some(token) = sent_with.as_ref() {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = self
            .transport
            .send(request)
            .await
            .map_err(PlatformError::Unreachable)?;
        match response.status {
            200..=299 => Ok(response),
            401 => {
                // Only the session the request was sent in ends: a late 401 of an earlier
                // session (signed out here meanwhile) must not sign the next agent out.
                if sent_with.is_some() && *self.token.borrow() == sent_with {
                    self.sign_out();
                    *self.ended.borrow_mut() = sent_with;
                }
                Err(PlatformError::SignedOut)
            }
            403 => Err(PlatformError::Forbidden(error_text(&response))),
            // Too many requests: asking again in a moment works, as after a server error.
            429 => Err(PlatformError::Server(429)),
            400..=499 => Err(PlatformError::Refused(error_text(&response))),
            status => Err(PlatformError::Server(status)),
        }
    }

    async fn call<R: DeserializeOwned>(&self, request: HttpRequest) -> Result<R, PlatformError> {
        let response = self.send(request).await?;
        serde_json::from_str(&response.body).map_err(|e| PlatformError::Decode(e.to_string()))
    }

    /// Signs in; the token is kept in memory for the page's life.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<Agent, PlatformError> {
        self.sign_out();
        let request = HttpRequest::new(Method::Post, SIGN_IN_PATH)
            .json(json!({"email": email.trim(), "password": password}));
        let signed_in: SignedIn = match self.call(request).await {
            Err(PlatformError::SignedOut) => return Err(PlatformError::BadCredentials),
            other => other?,
        };
        Ok(self.keep(signed_in))
    }

    /// Operation Management and Developer Settings. SET-16: read again each time a dial screen
    /// opens (not pushed on the event stream): the screen opens at once with the settings last
    /// read and holds Call until this answers, so an admin's change reaches a signed-in agent at
    /// the next opening without a visible delay; a failed read keeps the last settings.
    ///
    /// Values the Portal would refuse are checked on receipt and replaced by their safe ones
    /// ([`Settings::sanitized`]): an out-of-range batch window, batching without a token, an
    /// unknown title placeholder never reach the rules.
    pub async fn settings(&self) -> Result<Settings, PlatformError> {
        let received: Settings = self
            .call(HttpRequest::new(Method::Get, "/settings"))
            .await?;
        Ok(received.sanitized().0)
    }

    /// [`Platform::settings`], with the signed-in agent's team as the platform has it now
    /// (`team` in the same answer: Settings > Users & Teams, TEAM-12, is a setting too, and
    /// SET-16 reads it at each opening; an admin may switch the team's Ticket ID entry, or move
    /// the agent to another team, while they are signed in). `None`: the answer does not say
    /// (a platform without the field), and the team of sign-in stands; `Some(None)`: no team.
    /// Apart from [`Platform::settings`], which the sign-in reads: only the session's code reads
    /// the team, so its parsing is not fetched before the first screen.
    pub async fn settings_now(&self) -> Result<(Settings, Option<Option<Team>>), PlatformError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            operation: OperationManagement,
            #[serde(default)]
            developer: DeveloperSettings,
            #[serde(default, deserialize_with = "said")]
            team: Option<Option<Team>>,
        }
        /// A field present (even `null`) is `Some`; absent, `#[serde(default)]` makes it `None`.
        fn said<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Team>>, D::Error> {
            Option::<Team>::deserialize(d).map(Some)
        }
        let received: Answer = self
            .call(HttpRequest::new(Method::Get, "/settings"))
            .await?;
        let settings = Settings {
            operation: received.operation,
            developer: received.developer,
        };
        Ok((settings.sanitized().0, received.team))
    }

    /// Outbound numbers and languages (UI-2).
    pub async fn outbound_options(&self) -> Result<OutboundOptions, PlatformError> {
        self.call(HttpRequest::new(Method::Get, "/outbound/options"))
            .await
    }

    /// Places the call of a dial plan.
    pub async fn place_call(&self, plan: &DialPlan) -> Result<Call, PlatformError> {
        let request = HttpRequest::new(Method::Post, "/calls").json(call_request(plan));
        Ok(self.call::<CallEnvelope>(request).await?.call)
    }

    /// Hangs up.
    pub async fn hang_up(&self, call_id: u64) -> Result<(), PlatformError> {
        let url = format!("/calls/{call_id}/hangup");
        self.send(HttpRequest::new(Method::Post, url))
            .await
            .map(|_| ())
    }

    /// The agent's calls of the last hour, newest first, and whether they are all of them (a
    /// long list comes in pages: `next_cursor` then names the rest).
    pub async fn recent_calls(&self) -> Result<(Vec<CallInfo>, bool), PlatformError> {
        #[derive(Deserialize)]
        struct Calls {
            calls: Vec<CallInfo>,
            #[serde(default)]
            next_cursor: Option<String>,
        }
        let page = self
            .call::<Calls>(HttpRequest::new(Method::Get, "/calls"))
            .await?;
        Ok((page.calls, page.next_cursor.is_none()))
    }

    /// A page of the agent's history since `since_ms` (unix ms), newest first: up to `limit`
    /// calls, and the cursor of the next page.
    pub async fn history(
        &self,
        since_ms: i64,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<HistoryPage, PlatformError> {
        let mut url = format!("/calls?since={since_ms}&limit={limit}");
        if let Some(cursor) = cursor {
            url.push_str("&cursor=");
            url.push_str(&crate::http::percent_encode(cursor));
        }
        self.call(HttpRequest::new(Method::Get, url)).await
    }

    /// The voicemails of the queues the agent serves that are not closed, newest first.
    pub async fn voicemails(&self) -> Result<Vec<Voicemail>, PlatformError> {
        #[derive(Deserialize)]
        struct List {
            voicemails: Vec<Voicemail>,
        }
        Ok(self
            .call::<List>(HttpRequest::new(Method::Get, "/voicemails"))
            .await?
            .voicemails)
    }

    /// Marks a voicemail read, or closes it (UPD-15); returns it as it now is. Doing it twice
    /// is harmless.
    pub async fn voicemail_action(
        &self,
        id: u64,
        action: VoicemailAction,
    ) -> Result<Voicemail, PlatformError> {
        #[derive(Deserialize)]
        struct Envelope {
            voicemail: Voicemail,
        }
        let verb = match action {
            VoicemailAction::Read => "read",
            VoicemailAction::Closed => "close",
            VoicemailAction::CalledBack => {
                return Err(PlatformError::Refused(
                    "a call back is placed as a call".into(),
                ))
            }
        };
        let request = HttpRequest::new(Method::Post, format!("/voicemails/{id}/{verb}"));
        Ok(self.call::<Envelope>(request).await?.voicemail)
    }

    /// Places a call back of a call or a voicemail (UPD-5, UPD-6, UPD-15).
    pub async fn place_callback(
        &self,
        plan: &DialPlan,
        of: CallbackOf,
    ) -> Result<Call, PlatformError> {
        let mut body = call_request(plan);
        body["callback_of"] = serde_json::to_value(of).unwrap_or_default();
        let request = HttpRequest::new(Method::Post, "/calls").json(body);
        Ok(self.call::<CallEnvelope>(request).await?.call)
    }

    /// The agent's chats: offered, active, and ended in the last hour (a reload takes them up).
    pub async fn chats(&self) -> Result<Vec<ChatInfo>, PlatformError> {
        #[derive(Deserialize)]
        struct List {
            chats: Vec<ChatInfo>,
        }
        Ok(self
            .call::<List>(HttpRequest::new(Method::Get, "/chats"))
            .await?
            .chats)
    }

    /// One of the agent's chats, with every message.
    pub async fn chat(&self, id: u64) -> Result<ChatInfo, PlatformError> {
        self.call(HttpRequest::new(Method::Get, format!("/chats/{id}")))
            .await
    }

    /// Takes a chat offered to the agent; the chat as it now is (taking it twice is harmless).
    pub async fn accept_chat(&self, id: u64) -> Result<ChatInfo, PlatformError> {
        let request = HttpRequest::new(Method::Post, format!("/chats/{id}/accept")).json(json!({}));
        self.call(request).await
    }

    /// Refuses a chat offered to the agent (it goes back to the queue).
    pub async fn decline_chat(&self, id: u64) -> Result<(), PlatformError> {
        let request =
            HttpRequest::new(Method::Post, format!("/chats/{id}/decline")).json(json!({}));
        self.call::<serde_json::Value>(request).await.map(|_| ())
    }

    /// Sends the agent's message; the same `client_id` sent again is the same message.
    pub async fn send_chat_message(
        &self,
        id: u64,
        text: &str,
        client_id: &str,
    ) -> Result<domain::chat::ChatMessage, PlatformError> {
        let body = json!({ "text": text, "client_id": client_id });
        let request = HttpRequest::new(Method::Post, format!("/chats/{id}/messages")).json(body);
        self.call(request).await
    }

    /// Tells the customer whether the agent is typing.
    pub async fn chat_typing(&self, id: u64, typing: bool) -> Result<(), PlatformError> {
        let request = HttpRequest::new(Method::Post, format!("/chats/{id}/typing"))
            .json(json!({ "typing": typing }));
        self.call::<serde_json::Value>(request).await.map(|_| ())
    }

    /// Names the ticket the chat is logged on (the agent a transfer sends it to writes on it).
    pub async fn report_chat_ticket(&self, id: u64, ticket_id: u64) -> Result<(), PlatformError> {
        let request = HttpRequest::new(Method::Post, format!("/chats/{id}/ticket"))
            .json(json!({ "ticket_id": ticket_id }));
        self.call::<serde_json::Value>(request).await.map(|_| ())
    }

    /// Ends the chat; the chat as it now is (ending it twice is harmless).
    pub async fn end_chat(&self, id: u64) -> Result<ChatInfo, PlatformError> {
        let request = HttpRequest::new(Method::Post, format!("/chats/{id}/end")).json(json!({}));
        self.call(request).await
    }

    /// One of the agent's calls (`GET /calls/{id}`), whatever its age.
    pub async fn call_info(&self, call_id: u64) -> Result<CallInfo, PlatformError> {
        #[derive(Deserialize)]
        struct Envelope {
            call: CallInfo,
        }
        let request = HttpRequest::new(Method::Get, format!("/calls/{call_id}"));
        Ok(self.call::<Envelope>(request).await?.call)
    }

    /// Answers an inbound call offered to the agent.
    pub async fn answer(&self, call_id: u64) -> Result<Call, PlatformError> {
        self.call_action(call_id, "answer", json!({})).await
    }

    /// Puts the call on hold (`on`) or takes it off hold; returns the call as it now is.
    pub async fn hold(&self, call_id: u64, on: bool) -> Result<Call, PlatformError> {
        self.call_action(call_id, "hold", json!({ "hold": on }))
            .await
    }

    /// Sends touch tones (`0-9`, `*`, `#`) on a connected call.
    pub async fn send_dtmf(&self, call_id: u64, digits: &str) -> Result<Call, PlatformError> {
        self.call_action(call_id, "dtmf", json!({ "digits": digits }))
            .await
    }

    /// TICKET-6: the contact the agent picked among those matching an inbound caller, so the
    /// platform does not fall back to the newest one when the call ends (TICKET-7).
    pub async fn pick_contact(&self, call_id: u64, contact_id: u64) -> Result<Call, PlatformError> {
        self.call_action(call_id, "contact", json!({ "contact_id": contact_id }))
            .await
    }

    /// Tells the platform which ticket the call is logged on, once it is known: the platform
    /// names it in the call's later events (a transfer, a rating) and writes the session's
    /// events itself on it when no agent is signed in.
    pub async fn report_ticket(&self, call_id: u64, ticket_id: u64) -> Result<Call, PlatformError> {
        self.call_action(call_id, "ticket", json!({ "ticket_id": ticket_id }))
            .await
    }

    async fn call_action(
        &self,
        call_id: u64,
        action: &str,
        body: serde_json::Value,
    ) -> Result<Call, PlatformError> {
        let request =
            HttpRequest::new(Method::Post, format!("/calls/{call_id}/{action}")).json(body);
        Ok(self.call::<CallEnvelope>(request).await?.call)
    }

    /// Where the CRM queue's operation `key` is.
    pub async fn crm_op_state(&self, key: &str) -> Result<CrmOpState, PlatformError> {
        #[derive(Deserialize)]
        struct OpState {
            state: CrmOpState,
        }
        let url = format!("/crm/ops/{}", encode_path(key));
        Ok(self
            .call::<OpState>(HttpRequest::new(Method::Get, url))
            .await?
            .state)
    }

    /// Queues Add Comment / Ticket Update operations on the platform's batched CRM writer; a
    /// repeated key is accepted and ignored. Returns the accepted keys. The queue takes only
    /// operations for tickets of the agent's own calls (each key names the call, `<call
    /// id>.<stage>.<write>`): it refuses a batch whole, queueing nothing of it, with a 403
    /// ([`PlatformError::Forbidden`]) naming the refused keys.
    pub async fn queue_crm_ops(
        &self,
        ops: &[serde_json::Value],
    ) -> Result<Vec<String>, PlatformError> {
        #[derive(Deserialize)]
        struct Accepted {
            accepted: Vec<String>,
        }
        let request = HttpRequest::new(Method::Post, "/crm/ops").json(json!({"ops": ops}));
        Ok(self.call::<Accepted>(request).await?.accepted)
    }

    /// Tells the platform's directory that the adapter created end-user `user_id` for `phone`
    /// (E.164): other agents' lookups, and this one's after a reload, find it while Zendesk's
    /// search index still lags.
    pub async fn report_contact(&self, phone: &str, user_id: u64) -> Result<(), PlatformError> {
        let request = HttpRequest::new(Method::Post, "/contacts")
            .json(json!({"phone": phone, "user_id": user_id}));
        self.send(request).await.map(|_| ())
    }

    /// The users the platform's directory holds for `phone` (E.164), created lately by any
    /// agent's adapter or by the platform itself.
    pub async fn contacts_for(&self, phone: &str) -> Result<Vec<u64>, PlatformError> {
        #[derive(Deserialize)]
        struct Found {
            user_ids: Vec<u64>,
        }
        let url = format!("/contacts?phone={}", crate::http::percent_encode(phone));
        Ok(self
            .call::<Found>(HttpRequest::new(Method::Get, url))
            .await?
            .user_ids)
    }

    /// The agent's journal (for a frame without browser storage): sends this tab's changes
    /// (`None` removes a key) and returns every entry the agent has after them. `from` names
    /// the tab and the request's place in its order: the platform drops a tab's request older
    /// than one of that tab already landed.
    pub async fn journal_sync(
        &self,
        changes: &std::collections::BTreeMap<String, Option<String>>,
        from: Option<(&str, u64)>,
    ) -> Result<std::collections::BTreeMap<String, String>, PlatformError> {
        #[derive(Deserialize)]
        struct Journal {
            entries: std::collections::BTreeMap<String, String>,
        }
        Ok(self
            .call::<Journal>(journal_request(changes, from))
            .await?
            .entries)
    }

    /// A page's last word to the journal as it goes away (see `JournalStore::leave`): sent to
    /// outlive the page when `outlive`, else as an ordinary request; its answer is not read.
    pub async fn journal_leave(
        &self,
        changes: &std::collections::BTreeMap<String, Option<String>>,
        from: (&str, u64),
        outlive: bool,
    ) {
        let request = journal_request(changes, Some(from));
        let request = if outlive {
            request.outliving_the_page()
        } else {
            request
        };
        let _ = self.send(request).await;
    }
}

/// `POST /agent/journal` with `changes`, from a tab at its place in the tab's order.
fn journal_request(
    changes: &std::collections::BTreeMap<String, Option<String>>,
    from: Option<(&str, u64)>,
) -> HttpRequest {
    let mut body = json!({ "set": changes });
    if let Some((tab, seq)) = from {
        body["from"] = json!({ "tab": tab, "seq": seq });
    }
    HttpRequest::new(Method::Post, "/agent/journal").json(body)
}

/// A path segment: keys are made of letters, digits, `.`, `-` and `_`; anything else is escaped
/// (by the crate's one encoder).
fn encode_path(segment: &str) -> String {
    crate::http::percent_encode(segment)
}

fn error_text(response: &HttpResponse) -> String {
    serde_json::from_str::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| format!("HTTP {}", response.status))
}
