//! Events of a call's session besides its own life: a customer's rating (UPD-14), a SmartAction
//! that completed or failed (UPD-10, UPD-11), an API direct access point's answer (UPD-16), SDK
//! custom data (UPD-12, UPD-13, AGENT-8, AGENT-9), a recording that arrived after the end
//! (UPD-7), and a transfer (UPD-9). Each is written on the call's ticket by the adapter that
//! logs the call, through the outbox, under a key made of the call and the platform's event id:
//! a repeat of the event (a reconnect, a second tab) is written once.

use crate::{
    platform::{call_line, Direction, PlatformEvent},
    services::{
        host::{backend, sleep, Backend},
        journal::enqueue_on,
        live::Adapter,
    },
};
use domain::{
    call::{CallTicket, JobKey},
    fields::mapping_ids,
    rules::Event,
};
use leptos::prelude::*;
use std::rc::Rc;

/// What a session event writes, once its ticket is known.
type Make = Box<dyn FnOnce(u64) -> Event>;

/// Takes `event` if it is a session event (true), writing it when the call is this adapter's.
pub(crate) fn on_session_event(adapter: Adapter, event: &PlatformEvent) -> bool {
    if crate::services::transfer::on_transfer_event(adapter, event) {
        return true;
    }
    if let PlatformEvent::SettingsChanged = event {
        crate::services::settings::settings_changed(adapter);
        return true;
    }
    if let (PlatformEvent::FieldsChanged, Some(b)) = (event, backend()) {
        crate::services::fields::fields_changed(b);
        return true;
    }
    let Some(call) = call_of(event) else {
        return false;
    };
    let Some(b) = backend() else { return true };
    if ticket_of_call(adapter, &b, call).is_none() {
        // The call on screen whose ticket work is not queued yet: the event waits for it.
        // Any other call this adapter did not log is another agent's (or the platform's).
        let on_screen = adapter
            .call
            .with_untracked(|c| c.as_ref().is_some_and(|c| c.id == Some(call)));
        let mut waiting = b.events_waiting.borrow_mut();
        if on_screen && waiting.len() < MAX_WAITING_EVENTS {
            waiting.push((call, event.clone()));
        }
        return true;
    }
    if let PlatformEvent::CustomData {
        call_id,
        event_id,
        data,
    } = event
    {
        custom_data(adapter, *call_id, *event_id, data.clone());
        return true;
    }
    let Some((call, event_id, make)) = decided(event) else {
        return true;
    };
    leptos::task::spawn_local(async move {
        // The rules may write a session field (a rating's): decided on the account's fields as
        // they are now, read first when they changed (or could not be read) since.
        if crate::services::fields::needed(&b) {
            let _ = crate::services::fields::account_fields(&b).await;
        }
        if let Some(ticket) = ticket_of_call(adapter, &b, call) {
            enqueue_on(adapter, &b, JobKey::event(call, event_id), ticket, make);
        }
    });
    true
}

/// The most session events kept waiting for their call's ticket work.
const MAX_WAITING_EVENTS: usize = 64;

/// The call a session event is about; `None` for any other event.
fn call_of(event: &PlatformEvent) -> Option<u64> {
    match event {
        PlatformEvent::CsatRated {
            call_id,
            chat_id: None,
            ..
        }
        | PlatformEvent::SmartActionCompleted { call_id, .. }
        | PlatformEvent::SmartActionFailed { call_id, .. }
        | PlatformEvent::ApiResponse { call_id, .. }
        | PlatformEvent::CustomData { call_id, .. }
        | PlatformEvent::RecordingReady { call_id, .. } => Some(*call_id),
        _ => None,
    }
}

/// The call's ticket work is queued now (its caller picked, its ticket named): the session
/// events that waited for it are taken, in the order they came.
pub(crate) fn take_waiting(adapter: Adapter, b: &Rc<Backend>, call: u64) {
    let these: Vec<PlatformEvent> = {
        let mut all = b.events_waiting.borrow_mut();
        let (these, rest): (Vec<_>, Vec<_>) = all.drain(..).partition(|(id, _)| *id == call);
        *all = rest;
        these.into_iter().map(|(_, event)| event).collect()
    };
    for event in these {
        on_session_event(adapter, &event);
    }
}

/// The call, the event id and what the rules write, for a session event; `None` for any other
/// event, or one whose values the rules cannot use (a rating outside 1 to 5).
fn decided(event: &PlatformEvent) -> Option<(u64, u64, Make)> {
    Some(match event.clone() {
        PlatformEvent::CsatRated {
            call_id,
            event_id,
            score,
            ..
        } => {
            if !(1..=5).contains(&score) {
                return None;
            }
            (
                call_id,
                event_id,
                Box::new(move |ticket_id| Event::CsatRated { ticket_id, score }),
            )
        }
        PlatformEvent::SmartActionCompleted {
            call_id,
            event_id,
            action,
            results,
            files,
        } => (
            call_id,
            event_id,
            Box::new(move |ticket_id| Event::SmartActionCompleted {
                ticket_id,
                action,
                results,
                files,
            }),
        ),
        PlatformEvent::SmartActionFailed {
            call_id,
            event_id,
            action,
            error,
        } => (
            call_id,
            event_id,
            Box::new(move |ticket_id| Event::SmartActionFailed {
                ticket_id,
                action,
                message: error,
            }),
        ),
        PlatformEvent::RecordingReady {
            call_id,
            event_id,
            recording_url,
            direction,
            customer_number,
            durations,
            line,
            started_at,
        } => {
            let call = call_line(direction != Direction::Inbound, &line, &started_at);
            let customer_number = Some(customer_number).filter(|n| !n.trim().is_empty());
            (
                call_id,
                event_id,
                Box::new(move |ticket_id| Event::RecordingReady {
                    ticket_id,
                    recording_url,
                    duration_s: durations.call,
                    customer_number,
                    call,
                }),
            )
        }
        PlatformEvent::ApiResponse {
            call_id,
            event_id,
            source,
            data,
        } => (
            call_id,
            event_id,
            Box::new(move |ticket_id| Event::ApiResponse {
                ticket_id,
                source,
                data,
            }),
        ),
        _ => return None,
    })
}

/// SDK custom data: the data as a comment, mapped keys to their fields (the Portal's mapping
/// resolved against the account's fields, read once per session), the others named as having no
/// designated field.
fn custom_data(
    adapter: Adapter,
    call: u64,
    event_id: u64,
    data: serde_json::Map<String, serde_json::Value>,
) {
    let Some(b) = backend() else { return };
    if ticket_of_call(adapter, &b, call).is_none() {
        return;
    }
    let items: Vec<(String, String)> = data
        .into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => (k, s),
            other => (k, other.to_string()),
        })
        .collect();
    leptos::task::spawn_local(async move {
        // The mapping the call started with (SET-16), as its other writes.
        let mapping = (b
            .rules_for(JobKey::event(call, event_id))
            .settings
            .developer)
            .field_mapping;
        // The account's fields, read (again) if need be; tried three times. When Zendesk cannot
        // list them, the data is still written as a comment, without claiming any key has no
        // field (mapping not applied).
        let mut account = None;
        for attempt in 0..3 {
            if mapping.is_empty() {
                break;
            }
            if attempt > 0 {
                sleep(1_000 * attempt).await;
            }
            account = crate::services::fields::account_fields(&b).await;
            if account.is_some() {
                break;
            }
        }
        let resolved = account.as_ref().map(|account| {
            let titles: Vec<_> = account
                .iter()
                .map(|(id, title, active)| (*id, title.as_str(), *active))
                .collect();
            mapping_ids(&mapping, &titles)
        });
        let configured = resolved.is_some();
        let resolved = resolved.unwrap_or_default();
        // Asked again now: the ticket may have become known while the fields were read.
        let Some(ticket) = ticket_of_call(adapter, &b, call) else {
            return;
        };
        enqueue_on(
            adapter,
            &b,
            JobKey::event(call, event_id),
            ticket,
            move |ticket_id| Event::CustomData {
                ticket_id,
                items,
                mapping: resolved,
                mapping_configured: configured,
            },
        );
    });
}

/// The ticket call `call` is logged on, when this adapter logs it: the one on screen, else the
/// one its first job created or wrote to (named by the job while it may still change), else
/// the one its end was written to (a call transferred to this agent).
pub(crate) fn ticket_of_call(adapter: Adapter, b: &Rc<Backend>, call: u64) -> Option<CallTicket> {
    let on_screen = adapter.call.with_untracked(|c| {
        c.as_ref()
            .filter(|c| c.id == Some(call))
            .and_then(|c| c.ticket_id)
    });
    if let Some(ticket) = on_screen {
        return Some(CallTicket::Known(ticket));
    }
    let outbox = b.outbox.borrow().clone()?;
    let first = [false, true].into_iter().find_map(|inbound| {
        let first = JobKey::first(call, inbound);
        let key = first.to_string();
        outbox.knows(&key).then(|| match outbox.created_by(&key) {
            Some(ticket) => CallTicket::Known(ticket),
            None => CallTicket::Pending(first),
        })
    });
    first.or_else(|| {
        outbox
            .created_by(&JobKey::ended(call).to_string())
            .map(CallTicket::Known)
    })
}
