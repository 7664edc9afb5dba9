//! Events of a call's session besides its own life: a customer's rating (UPD-14), a SmartAction
//! that completed or failed (UPD-10, UPD-11), an API direct access point's answer (UPD-16). Each
//! is written on the call's ticket by the adapter that logs the call, through the outbox, under
//! a key made of the call and the platform's event id: a repeat of the event (a reconnect, a
//! second tab) is written once.

use crate::{
    platform::PlatformEvent,
    services::{
        host::{backend, Backend},
        journal::enqueue_on,
        live::Adapter,
    },
};
use domain::{
    call::{CallTicket, JobKey},
    rules::Event,
};
use leptos::prelude::*;
use std::rc::Rc;

/// What a session event writes, once its ticket is known.
type Make = Box<dyn FnOnce(u64) -> Event>;

/// Takes `event` if it is a session event (true), writing it when the call is this adapter's.
pub(crate) fn on_session_event(adapter: Adapter, event: &PlatformEvent) -> bool {
    let Some((call, event_id, make)) = decided(event) else {
        return false;
    };
    let Some(b) = backend() else { return true };
    // A call this adapter did not log is another agent's (or the platform's) to write.
    if let Some(ticket) = ticket_of_call(adapter, &b, call) {
        enqueue_on(adapter, &b, JobKey::event(call, event_id), ticket, make);
    }
    true
}

/// The call, the event id and what the rules write, for a session event; `None` for any other
/// event, or one whose values the rules cannot use (a rating outside 1 to 5).
fn decided(event: &PlatformEvent) -> Option<(u64, u64, Make)> {
    Some(match event.clone() {
        PlatformEvent::CsatRated {
            call_id,
            event_id,
            score,
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

/// The ticket call `call` is logged on, when this adapter logs it: the one on screen, else the
/// one its first job created or wrote to (named by the job while it may still change).
fn ticket_of_call(adapter: Adapter, b: &Rc<Backend>, call: u64) -> Option<CallTicket> {
    let on_screen = adapter.call.with_untracked(|c| {
        c.as_ref()
            .filter(|c| c.id == Some(call))
            .and_then(|c| c.ticket_id)
    });
    if let Some(ticket) = on_screen {
        return Some(CallTicket::Known(ticket));
    }
    let outbox = b.outbox.borrow().clone()?;
    [false, true].into_iter().find_map(|inbound| {
        let first = JobKey::first(call, inbound);
        let key = first.to_string();
        outbox.knows(&key).then(|| match outbox.created_by(&key) {
            Some(ticket) => CallTicket::Known(ticket),
            None => CallTicket::Pending(first),
        })
    })
}
