//! The platform's event stream into the screen: phase changes, the events that overtook
//! `POST /calls`, an inbound offer, and the end of a call logged on its ticket.

use crate::{
    platform::{Direction, EventStream, PlatformEvent},
    services::{
        calls::{send_tone, session_of},
        host::{backend, now_ms, Backend},
        inbound::{log_inbound, offer},
        journal::enqueue_on,
        live::{ActiveCall, Adapter},
        resume::resume_calls,
    },
};
use domain::{
    call::{route, CallEffect, CallEvent, CallTicket, EndLog, JobKey, Route},
    rules::Event,
};
use leptos::prelude::*;
use std::rc::Rc;

/// Connects the platform's event stream; each time it (re)connects, calls are resumed, and
/// what a lost event would have said is read again (events sent while it was down are not sent
/// again): voicemails, chats, settings, ticket fields.
pub(crate) fn connect_events(adapter: Adapter, b: &Rc<Backend>) {
    let Some(token) = b.platform.token() else {
        return;
    };
    let stream = EventStream::connect(
        &b.platform_url,
        token,
        move |event| on_event(adapter, event),
        move |connected| {
            if let (true, Some(b)) = (connected, backend()) {
                resume_calls(adapter, b.clone());
                // Voicemails left or handled while the stream was down are read again.
                crate::services::history::load_voicemails(adapter);
                // Chats offered, said or ended while it was down (or before a reload).
                crate::services::chats::restore(adapter, false);
                // Settings and ticket fields changed while it was down (or since sign-in read
                // them): their notices reached no stream.
                crate::services::settings::settings_changed(adapter);
                crate::services::fields::stream_connected(b);
            }
        },
    );
    *b.stream.borrow_mut() = Some(stream);
}

/// One event of the platform's stream: routed by the call model (an offer, an event that
/// overtook `POST /calls`, the end of a call not on screen, or the call on screen's), then the
/// call on screen changes and its effects run.
pub(crate) fn on_event(adapter: Adapter, event: PlatformEvent) {
    if let PlatformEvent::Refused { .. } = event {
        crate::services::host::session_ended(adapter);
        return;
    }
    if crate::services::chats::on_chat_event(adapter, &event)
        || crate::services::session_events::on_session_event(adapter, &event)
        || crate::services::history::on_voicemail_event(adapter, &event)
    {
        return;
    }
    let Some((call_id, kind)) = call_event_of(&event) else {
        return;
    };
    let offered = matches!(
        event,
        PlatformEvent::Ringing {
            direction: Direction::Inbound,
            ..
        }
    );
    let current = adapter.call.get_untracked();
    match route(current.as_ref(), call_id, kind, offered) {
        Route::Offer => {
            if let PlatformEvent::Ringing {
                customer_number,
                menu_path,
                lang,
                ..
            } = event
            {
                offer(adapter, call_id, customer_number, menu_path, lang);
            }
        }
        Route::Early => {
            if let Some(b) = backend() {
                b.early.borrow_mut().push(event);
            }
        }
        Route::ResumeOthers => {
            if let Some(b) = backend() {
                resume_calls(adapter, b);
            }
        }
        Route::Apply => {
            if let Some(call) = current {
                apply(adapter, call_id, call, kind, event);
            }
        }
        Route::Ignore => {
            // A resume may put this call on screen from a read older than this event.
            if let Some(b) = backend().filter(|b| b.resuming.get() > 0) {
                let n = b.resume_events.get() + 1;
                b.resume_events.set(n);
                let mut kept = b.while_resuming.borrow_mut();
                if kept.len() == RESUME_EVENTS_KEPT {
                    kept.pop_front();
                }
                kept.push_back((n, event));
            }
        }
    }
}

/// The call on screen (`call`, as it was before the event) takes the event; its effects run.
fn apply(adapter: Adapter, id: u64, call: ActiveCall, kind: CallEvent, event: PlatformEvent) {
    let mut effects = Vec::new();
    adapter.call.update(|c| {
        if let Some(c) = c {
            effects = c.on_event(kind, now_ms());
        }
    });
    for effect in effects {
        match effect {
            CallEffect::Tones(tones) => tones.chars().for_each(|c| send_tone(adapter, c)),
            CallEffect::LogInbound => {
                // Connected: a reload shows the call, not the dial screen kept behind it.
                crate::services::dial_draft::clear();
                log_inbound(adapter, id, None)
            }
            CallEffect::LogEnd(log) => {
                if let Some(b) = backend() {
                    crate::services::calls::forget_hang_up_error(adapter, &b);
                }
                log_end(adapter, id, &call, log, &event)
            }
        }
    }
}

/// Logs the end of `call` as the model says.
fn log_end(adapter: Adapter, id: u64, call: &ActiveCall, log: EndLog, event: &PlatformEvent) {
    let Some(b) = backend() else { return };
    let PlatformEvent::Ended {
        recording_url,
        durations,
        line,
        started_at,
        ..
    } = event
    else {
        return;
    };
    let session = session_of(id, call);
    let line = call.line_of(line.clone());
    let (recording_url, duration_s) = (recording_url.clone(), durations.call);
    let outbound = call.inbound.is_none();
    let started_at = started_at.clone();
    let make = move |ticket_id| Event::Ended {
        session,
        ticket_id,
        recording_url,
        duration_s,
        call: crate::platform::call_line(outbound, &line, &started_at),
    };
    let waits_for_transfer = b.transfers_waiting.borrow().iter().any(|(c, _)| *c == id);
    match log {
        // A call transferred here before its ticket was known: its end waits for the ticket.
        EndLog::Now(CallTicket::Pending(_)) if waits_for_transfer => {
            b.unlogged_ends.borrow_mut().push((id, Box::new(make)))
        }
        EndLog::Now(ticket) => enqueue_on(adapter, &b, JobKey::ended(id), ticket, make),
        EndLog::AfterCaller => b.unlogged_ends.borrow_mut().push((id, Box::new(make))),
        EndLog::NotLogged => {}
    }
}

/// At most this many events of calls not on screen are kept while resumes read the calls (the
/// latest: a read that never answers does not keep old ones for the next).
pub(crate) const RESUME_EVENTS_KEPT: usize = 64;

/// The call and the change an event names, for call events.
pub(crate) fn call_event_of(event: &PlatformEvent) -> Option<(u64, CallEvent)> {
    match event {
        PlatformEvent::Ringing { call_id, .. } => Some((*call_id, CallEvent::Ringing)),
        PlatformEvent::Connected { call_id } => Some((*call_id, CallEvent::Connected)),
        PlatformEvent::Held { call_id } => Some((*call_id, CallEvent::Held)),
        PlatformEvent::Resumed { call_id } => Some((*call_id, CallEvent::Resumed)),
        PlatformEvent::Ended { call_id, .. } => Some((*call_id, CallEvent::Ended)),
        _ => None,
    }
}

/// Replays the events that overtook `POST /calls`'s answer (ringing, connected, even the end),
/// now that the call's id is known.
pub(crate) fn replay_early(adapter: Adapter) {
    let Some(b) = backend() else { return };
    let early = b.early.borrow_mut().take();
    for event in early {
        on_event(adapter, event);
    }
}
