//! What happens to a call after it was placed or offered, besides its own life: the adapter
//! reports the call's ticket ([`report_ticket`], `POST /calls/{id}/ticket`), the call is
//! transferred to another agent ([`transfer`], UPD-9), and the customer's session sends events
//! ([`route_session_event`]): to the agent's adapter when the agent is signed in, written by the
//! platform itself ([`super::rules::session_event`]) when not.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::rules::{self, SessionEvent};
use super::{err, json_body, signed_in_agent, unauthorized, NOT_CONNECTED};
use crate::model::PlatformCall;
use crate::state::App;

/// Why a control request on a call was refused: the status and the error text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `error` text.
    pub error: String,
}

impl Refusal {
    /// A refusal with `status` and `error`.
    pub fn new(status: StatusCode, error: impl Into<String>) -> Self {
        Self {
            status,
            error: error.into(),
        }
    }
}

impl IntoResponse for Refusal {
    /// `status` with `{"error": …}`.
    fn into_response(self) -> Response {
        err(self.status, &self.error)
    }
}

/// The answer for a call id the platform does not know.
pub const NO_SUCH_CALL: &str = "no call with that call_id";

/// Whether `agent_id` may report the call's ticket: its agent, or one it was transferred from.
fn reporter_of(call: &PlatformCall, agent_id: u64) -> bool {
    call.agent_id == Some(agent_id) || call.transferred_from.contains(&agent_id)
}

/// `POST /calls/{id}/ticket` `{"ticket_id": N}`: the adapter reports the ticket it logs the call
/// on, which becomes the call's known ticket (`ticket_id`). Its current agent and any agent it
/// was transferred from may report it; when one of the latter reports a ticket the platform did
/// not know, the current agent hears it: `{"type":"call.ticket","call_id","ticket_id"}`.
pub async fn report_ticket(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    let Some(a) = signed_in_agent(&app, &headers) else {
        return unauthorized();
    };
    let mine = app
        .world()
        .calls
        .get(&id)
        .is_some_and(|c| reporter_of(c, a.id));
    if !mine {
        return err(StatusCode::NOT_FOUND, "no such call");
    }
    let Some(ticket_id) = json_body(&body)["ticket_id"].as_u64() else {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "ticket_id: a number is required",
        );
    };
    let (call, tell) = {
        let mut w = app.world();
        let Some(c) = w.calls.get_mut(&id) else {
            return err(StatusCode::NOT_FOUND, "no such call");
        };
        c.reported_tickets.push(ticket_id);
        let changed = c.set_known_ticket(ticket_id);
        let tell = c.agent_id.filter(|current| changed && *current != a.id);
        (c.to_json(), tell)
    };
    if let Some(current) = tell {
        let ev = json!({"type": "call.ticket", "call_id": id, "ticket_id": ticket_id});
        app.emit(Some(current), ev);
    }
    Json(json!({ "call": call })).into_response()
}

/// Transfers call `call_id` to platform agent `to` (UPD-9): the call must be connected or on
/// hold, `to` a signed-in agent other than the call's. The agent who had it joins the call's
/// `transferred_from`; both agents get the same `call.transferred` event (the call, `event_id`,
/// `from_agent_id`, `to_agent {id, name, zendesk_user_id}`, `ticket_id`), and the call lists it
/// as its `transfer` from then on (`GET /calls`, `GET /calls/{id}`). Returns the event id.
pub fn transfer(app: &App, call_id: u64, to: Option<u64>) -> Result<u64, Refusal> {
    let (from, ev) = {
        let mut w = app.world();
        let Some(c) = w.calls.get(&call_id) else {
            return Err(Refusal::new(StatusCode::NOT_FOUND, NO_SUCH_CALL));
        };
        if !matches!(c.status.as_str(), "connected" | "on_hold") {
            return Err(Refusal::new(StatusCode::CONFLICT, NOT_CONNECTED));
        }
        let Some(from) = c.agent_id else {
            return Err(Refusal::new(StatusCode::CONFLICT, "the call has no agent"));
        };
        let receiver = to
            .filter(|to| *to != from)
            .and_then(|to| w.agents.iter().find(|a| a.id == to))
            .cloned();
        let Some(receiver) = receiver else {
            return Err(Refusal::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "to_agent_id: a known agent other than the call's is required",
            ));
        };
        if !w.signed_in(receiver.id) {
            return Err(Refusal::new(
                StatusCode::CONFLICT,
                "the agent is not signed in",
            ));
        }
        let event_id = w.next_event_id();
        let Some(c) = w.calls.get_mut(&call_id) else {
            return Err(Refusal::new(StatusCode::NOT_FOUND, NO_SUCH_CALL));
        };
        c.transferred_from.push(from);
        c.agent_id = Some(receiver.id);
        let to_agent = json!({"id": receiver.id, "name": receiver.name,
                              "zendesk_user_id": receiver.zendesk_user_id});
        c.transfer = Some(json!({"event_id": event_id, "from_agent_id": from,
                                 "to_agent": to_agent.clone()}));
        let mut ev = c.to_json();
        ev["type"] = json!("call.transferred");
        ev["call_id"] = json!(call_id);
        ev["event_id"] = json!(event_id);
        ev["from_agent_id"] = json!(from);
        ev["to_agent"] = to_agent;
        (from, ev)
    };
    let event_id = ev["event_id"].as_u64().unwrap_or_default();
    let to = ev["to_agent"]["id"].as_u64();
    app.emit(Some(from), ev.clone());
    app.emit(to, ev);
    Ok(event_id)
}

/// Who writes a session event, as the control API answers it.
#[derive(Clone, Debug)]
pub enum Routed {
    /// Emitted to the call's signed-in agent, whose adapter writes it.
    Agent {
        /// The event's id.
        event_id: u64,
    },
    /// Written by the platform (no agent signed in); `outcome` None for a repeat, not written
    /// again.
    Platform {
        /// The event's id.
        event_id: u64,
        /// What the rules did.
        outcome: Option<rules::Outcome>,
    },
}

impl Routed {
    /// The control API's answer: `{ok, event_id, written_by}`, plus `repeat: true` or the
    /// platform's `rules`.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Agent { event_id } => {
                json!({"ok": true, "event_id": event_id, "written_by": "agent"})
            }
            Self::Platform {
                event_id,
                outcome: None,
            } => {
                json!({"ok": true, "event_id": event_id, "written_by": "platform", "repeat": true})
            }
            Self::Platform {
                event_id,
                outcome: Some(o),
            } => json!({"ok": o.error.is_none(), "event_id": event_id, "written_by": "platform",
                        "rules": o.to_json()}),
        }
    }
}

/// The refusal of a recording for a call placed with "Do not create a ticket" (OUT-10).
pub const NOT_STORED: &str =
    "the call keeps no recording: the agent chose \"Do not create a ticket\"";

/// Routes session event `event` (`{"type": K, …}`, [`rules::SESSION_EVENT_KINDS`]) of call
/// `call_id` as the platform does: it gets the call's id and an event id (a new one unless it
/// carries a numeric `event_id`), a late recording (`call.recording_ready`, only once the call
/// has ended, and never for a call placed with "Do not create a ticket", OUT-10) the call's fields and is remembered as the call's recording; then it goes to the
/// call's agent when signed in, or the platform writes it itself, once per event id.
pub async fn route_session_event(
    app: &App,
    call_id: u64,
    event: &Value,
) -> Result<Routed, Refusal> {
    let parsed = SessionEvent::parse(event)
        .map_err(|e| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let (ev, agent) = prepare(app, call_id, event, &parsed)?;
    let event_id = ev["event_id"].as_u64().unwrap_or_default();
    if let Some(agent) = agent {
        // Remembered as the agent's: the same event sent again after the agent signed out is a
        // repeat, not the platform's to write a second time.
        if let Some(c) = app.world().calls.get_mut(&call_id) {
            c.platform_events
                .entry(event_id)
                .or_insert_with(|| json!({"routed": "agent"}));
        }
        app.emit(Some(agent), ev);
        return Ok(Routed::Agent { event_id });
    }
    if !claim(app, call_id, event_id) {
        return Ok(Routed::Platform {
            event_id,
            outcome: None,
        });
    }
    let outcome = write_once(app, call_id, ev).await;
    if outcome.error.as_deref() == Some(rules::TICKET_NOT_KNOWN) {
        // Nothing was written: a later send of the event (its event id again, once the
        // platform knows the call's ticket) can still be written.
        release(app, call_id, event_id);
    } else if let Some(c) = app.world().calls.get_mut(&call_id) {
        c.platform_events.insert(event_id, outcome.to_json());
    }
    Ok(Routed::Platform {
        event_id,
        outcome: Some(outcome),
    })
}

/// The event as emitted (with `call_id` and `event_id`; a late recording over the call's JSON)
/// and the signed-in agent it goes to, if any. Takes an event id and records a late recording.
fn prepare(
    app: &App,
    call_id: u64,
    event: &Value,
    parsed: &SessionEvent,
) -> Result<(Value, Option<u64>), Refusal> {
    let mut w = app.world();
    let Some(c) = w.calls.get(&call_id) else {
        return Err(Refusal::new(StatusCode::NOT_FOUND, NO_SUCH_CALL));
    };
    let agent = c.agent_id.filter(|a| w.signed_in(*a));
    let mut ev = match parsed {
        SessionEvent::RecordingReady { recording_url } => {
            if c.status != "ended" {
                return Err(Refusal::new(StatusCode::CONFLICT, "the call has not ended"));
            }
            if c.not_stored() {
                return Err(Refusal::new(StatusCode::CONFLICT, NOT_STORED));
            }
            let url = recording_url
                .clone()
                .unwrap_or_else(|| c.default_recording());
            let mut ev = c.to_json();
            crate::control::merge(&mut ev, event);
            ev["recording_url"] = json!(url);
            ev
        }
        _ => event.clone(),
    };
    let event_id = match event["event_id"].as_u64() {
        Some(given) => given,
        None => w.next_event_id(),
    };
    ev["call_id"] = json!(call_id);
    ev["event_id"] = json!(event_id);
    if let (SessionEvent::RecordingReady { .. }, Some(c)) = (parsed, w.calls.get_mut(&call_id)) {
        c.recording_url = ev["recording_url"].as_str().map(String::from);
    }
    Ok((ev, agent))
}

/// Runs the platform's write of a session event in a task of its own, so that it completes
/// even when the control request that started it goes away.
async fn write_once(app: &App, call_id: u64, ev: Value) -> rules::Outcome {
    let app = app.clone();
    let run = tokio::spawn(async move { rules::session_event(&app, call_id, &ev).await });
    run.await.unwrap_or_else(|e| rules::Outcome {
        error: Some(format!("the platform's write stopped: {e}")),
        ..rules::Outcome::default()
    })
}

/// Marks event `event_id` of the call as the platform's to write; false when it was already.
fn claim(app: &App, call_id: u64, event_id: u64) -> bool {
    let mut w = app.world();
    let Some(c) = w.calls.get_mut(&call_id) else {
        return false;
    };
    if c.platform_events.contains_key(&event_id) {
        return false;
    }
    c.platform_events.insert(event_id, json!({"running": true}));
    true
}

/// Undoes [`claim`]: nothing of the event was written.
fn release(app: &App, call_id: u64, event_id: u64) {
    if let Some(c) = app.world().calls.get_mut(&call_id) {
        c.platform_events.remove(&event_id);
    }
}
