//! Resuming after a reload: calls this adapter logged come back on screen, and the end of a
//! call that ended while the page was away is logged.

use crate::{
    platform::{CallInfo, CallStatus, Direction, PlatformError, PlatformEvent},
    services::{
        calls::session_of,
        events::{call_event_of, on_event},
        host::{fail_platform, now_ms, sleep, told_if_ended, Backend, Working},
        inbound::log_inbound,
        journal::enqueue_on,
        live::{ActiveCall, Adapter, CallPhase, Screen},
        outbox::Outbox,
        storage::PageStore,
        transfer::received_while_away,
    },
};
use domain::{
    call::{missed_answer, resume, resume_unqueued, CallEvent, JobKey, Listed, Resume, Unqueued},
    rules::Event,
};
use leptos::prelude::*;
use std::rc::Rc;

/// A call found again after a reload knows its ticket (or the caller the agent picked), not its
/// contact's record: the screen showed the number alone, for good. The contact is read (the
/// ticket first, for its requester), and the screen names who the call is with again. Nothing
/// when the call is named already, or its ticket not known yet (asked again once its first job
/// makes it: `journal`); a read that fails is tried again (after 2 s, 4 s and 8 s) while the
/// call is on screen.
pub(crate) fn name_the_caller(adapter: Adapter, b: &Rc<Backend>) {
    let region = adapter.context.with_untracked(|c| c.region.clone());
    let Some((call_id, named, picked, ticket)) = adapter.call.with_untracked(|c| {
        c.as_ref().map(|c| {
            let named = adapter
                .crm
                .with_untracked(|crm| c.caller_name(crm, &region))
                .is_some();
            let picked = c.inbound.as_ref().and_then(|i| i.picked);
            (c.id, named, picked, c.ticket())
        })
    }) else {
        return;
    };
    if named || (picked.is_none() && ticket.is_none()) {
        return;
    }
    let b = b.clone();
    leptos::task::spawn_local(async move {
        let on_screen =
            || adapter.call.with_untracked(|c| c.as_ref().map(|c| c.id)) == Some(call_id);
        for wait in [0, 2_000, 4_000, 8_000] {
            if wait > 0 {
                sleep(wait).await;
            }
            if !on_screen() {
                return;
            }
            let mut found = domain::crm::CrmState::default();
            let contact = match (picked, ticket) {
                (Some(id), _) => Ok(id),
                (None, Some(ticket)) => b.zendesk.ticket(ticket).await.map(|t| {
                    let requester = t.requester_id;
                    found.tickets.push(t);
                    requester
                }),
                (None, None) => return,
            };
            let known = |id| adapter.crm.with_untracked(|crm| crm.contact(id).is_some());
            let read = match contact {
                Ok(id) if known(id) => Ok(()),
                Ok(id) => b
                    .zendesk
                    .user(id)
                    .await
                    .map(|user| found.contacts.push(user)),
                Err(e) => Err(e),
            };
            if !found.tickets.is_empty() || !found.contacts.is_empty() {
                adapter
                    .crm
                    .update(|crm| crate::services::crm::merge(crm, found));
            }
            if read.is_ok() {
                return;
            }
        }
    });
}

/// How long after taking over another tab's work a call found ended is shown ended here.
const TAKEOVER_SHOWS_ENDED_MS: i64 = 10_000;

/// After a reload in the middle of a call: the call comes back on screen, and the end of a
/// call that ended while the page was away is logged. Only calls this adapter logged (their
/// first job is known to the outbox, or it wrote their transfer to this agent) and whose end it
/// has not queued are taken up; a call listed as transferred to this agent whose transfer it
/// has not written is taken on first (the transfer's event came while the stream was down).
/// It runs each time the event stream (re)connects, since events sent while it was down
/// are not sent again, and when the end of a call not on screen arrives.
pub(crate) fn resume_calls(adapter: Adapter, b: Rc<Backend>) {
    let session = b.platform.token();
    leptos::task::spawn_local(async move {
        b.resuming.set(b.resuming.get() + 1);
        let began = b.resume_events.get();
        let live_before = live_on_screen(adapter);
        // The intents stored before the list is read: only they can be judged by it.
        let intents_before = b.intended_keys();
        let calls = read_calls(adapter, &b, &session).await;
        b.resuming.set(b.resuming.get() - 1);
        // What came while reading, for the call this read puts on screen (the others' are of
        // no screen here); the last resume under way lets the kept events go.
        let during: Vec<PlatformEvent> = b
            .while_resuming
            .borrow()
            .iter()
            .filter(|(n, _)| *n > began)
            .map(|(_, e)| e.clone())
            .collect();
        if b.resuming.get() == 0 {
            b.while_resuming.borrow_mut().clear();
        }
        // Signed out meanwhile: no call of that session comes on screen (over the sign-in
        // form, or another agent's).
        let Some((mut calls, whole)) = calls.filter(|_| b.platform.still(&session)) else {
            return;
        };
        // The live call on screen, not listed: older than the list reaches, or no longer the
        // agent's (transferred while the stream was down: that event never came). Asked by id.
        if let Some(id) = live_before.filter(|id| !calls.iter().any(|c| c.id == *id)) {
            match b.platform.call_info(id).await {
                Ok(info) => calls.push(info),
                Err(PlatformError::Refused(_))
                    if b.platform.still(&session) && live_on_screen(adapter) == Some(id) =>
                {
                    crate::services::transfer::gone_while_away(adapter, &b, id);
                }
                Err(_) => {}
            }
            // Signed out while it was asked for: nothing of that session comes on screen.
            if !b.platform.still(&session) {
                return;
            }
        }
        let Some(outbox) = b.outbox.borrow().clone() else {
            return;
        };
        // Intents whose call the whole list does not hold can never be worked out: dropped,
        // not handed over at every sign-out and taken back at every sign-in. (A list in pages
        // may hold it further on: nothing is judged by its first.)
        let listed_ids: Vec<u64> = calls.iter().map(|c| c.id).collect();
        let on_screen = adapter
            .call
            .with_untracked(|c| c.as_ref().and_then(|c| c.id));
        let keep =
            |call: u64| on_screen == Some(call) || Working::under_way(&JobKey::first(call, true));
        if whole {
            for key in domain::call::unlisted_intents(&intents_before, &listed_ids, keep) {
                outbox.forget_intent(&key);
            }
        }
        for info in calls {
            let inbound = match info.direction {
                Direction::Outbound => false,
                Direction::Inbound => true,
                Direction::Other => continue,
            };
            let listed = listed(&info, inbound);
            let first = JobKey::first(info.id, inbound);
            let created = outbox.created_by(&first.to_string());
            // Transferred to this agent while the stream was down: taken on as its event would
            // have been (before the decision below, which it makes this adapter's call).
            if let Some(t) = info
                .transfer
                .as_ref()
                .filter(|t| b.platform_agent.get() == Some(t.to_agent.id))
            {
                let key = JobKey::event(info.id, t.event_id).to_string();
                if !outbox.knows(&key) {
                    received_while_away(adapter, &b, &listed, t.event_id, &t.to_agent);
                }
            }
            // The call on screen, further on in the list than it shows: its events came before
            // the stream was routed (a call placed just after sign-in) or while it was down. It
            // takes what it missed (ringing, answered, held), as the events would have brought
            // it.
            let shown = adapter.call.with_untracked(|c| {
                c.as_ref()
                    .filter(|c| c.id == Some(info.id))
                    .map(|c| c.phase)
            });
            for missed in shown.map_or_else(Vec::new, |p| missed_answer(p, listed.phase)) {
                let call_id = info.id;
                on_event(
                    adapter,
                    match missed {
                        // Only ever for the agent's own call shown dialling (outbound).
                        CallEvent::Ringing => PlatformEvent::Ringing {
                            call_id,
                            direction: crate::platform::Direction::Outbound,
                            customer_number: info.customer_number.clone(),
                            menu_path: String::new(),
                            lang: info.lang.clone(),
                        },
                        CallEvent::Held => PlatformEvent::Held { call_id },
                        _ => PlatformEvent::Connected { call_id },
                    },
                );
            }
            let screen_live = adapter
                .call
                .with_untracked(|c| c.as_ref().is_some_and(ActiveCall::is_live));
            // A call transferred to this agent has no first job here: whatever this adapter
            // wrote for it (the transfer) makes it this adapter's.
            let knows = |key: &JobKey| {
                outbox.knows(&key.to_string()) || (key.is_first() && outbox.knows_call(key.call))
            };
            // An inbound call whose first job a page began to work out (its reads) and never
            // queued: a reload cut it short. Worked out again here, never lost.
            let intended = outbox.intended(&first.to_string());
            match resume_unqueued(&listed, intended, knows, screen_live) {
                Some(Unqueued::Show { picked }) => {
                    adapter.call.set(Some(ActiveCall::resumed_unqueued(
                        &listed,
                        picked,
                        now_ms(),
                    )));
                    adapter.screen.set(Screen::InCall);
                    name_the_caller(adapter, &b);
                    let of_this =
                        |e: &&PlatformEvent| call_event_of(e).is_some_and(|(id, _)| id == info.id);
                    for event in during.iter().filter(of_this) {
                        on_event(adapter, event.clone());
                    }
                    log_inbound(adapter, info.id, None);
                    continue;
                }
                Some(Unqueued::LogEnded { picked }) => {
                    let now = now_ms();
                    adapter.call.update(|c| {
                        if let Some(c) = c.as_mut().filter(|c| c.id == Some(info.id)) {
                            c.end_missed(now);
                        }
                    });
                    let call = ActiveCall::resumed_unqueued(&listed, picked, now);
                    // Its end follows its first job (`log_inbound` takes it from here).
                    let mut ends = b.unlogged_ends.borrow_mut();
                    if !ends.iter().any(|(id, _)| *id == info.id) {
                        ends.push((info.id, Box::new(end_of(&info, &call))));
                    }
                    drop(ends);
                    log_inbound(adapter, info.id, Some(call));
                    continue;
                }
                None => {}
            }
            match resume(&listed, knows, created, screen_live) {
                Resume::Skip if end_waits_with_transfer(&b, &listed, &outbox) => {
                    // Transferred here before its ticket was known, and ended while the stream
                    // was down: its end waits with the transfer for the ticket the platform
                    // names (`call.ticket`).
                    let call = ActiveCall::resumed(&listed, None, now_ms());
                    b.unlogged_ends
                        .borrow_mut()
                        .push((info.id, Box::new(end_of(&info, &call))));
                }
                Resume::Skip | Resume::Leave => {}
                Resume::LogEnd(ticket) => {
                    let now = now_ms();
                    adapter.call.update(|c| {
                        if let Some(c) = c.as_mut().filter(|c| c.id == Some(info.id)) {
                            c.end_missed(now);
                        }
                    });
                    let call = ActiveCall::resumed(&listed, created, now);
                    // Just after taking over a closed tab's work (whichever resume gets here
                    // first: the takeover's, or one the end's own event started), the call that
                    // tab showed shows here, ended.
                    let taking_over = now - b.took_over_ms.get() < TAKEOVER_SHOWS_ENDED_MS;
                    if taking_over && adapter.call.with_untracked(Option::is_none) {
                        // The tab the agent was calling from closed: the call shows here, ended.
                        adapter.call.set(Some(call.clone()));
                        adapter.screen.set(Screen::InCall);
                    }
                    enqueue_on(
                        adapter,
                        &b,
                        JobKey::ended(info.id),
                        ticket,
                        end_of(&info, &call),
                    );
                }
                Resume::Show => {
                    let mut call = ActiveCall::resumed(&listed, created, now_ms());
                    // Its first job still queued (the reload came while it was written, or
                    // waited): it is being logged, and the screen says so until the job names
                    // its ticket, or fails (it said nothing, for up to a minute when the job
                    // had to make sure a write cut short by the reload had not landed).
                    if created.is_none() && outbox.is_queued(&first.to_string()) {
                        call.logging = domain::call::Logging::Working;
                    }
                    adapter.call.set(Some(call));
                    adapter.screen.set(Screen::InCall);
                    name_the_caller(adapter, &b);
                    // The call's events that came during the read, in order: the screen ends
                    // in the call's latest phase (the read may predate them).
                    let of_this =
                        |e: &&PlatformEvent| call_event_of(e).is_some_and(|(id, _)| id == info.id);
                    for event in during.iter().filter(of_this) {
                        on_event(adapter, event.clone());
                    }
                }
            }
        }
    });
}

/// The end of listed call `info` as this adapter writes it (`call`: the call as shown here).
fn end_of(info: &CallInfo, call: &ActiveCall) -> impl FnOnce(u64) -> Event + 'static {
    let session = session_of(info.id, call);
    let (recording_url, duration_s) = (info.recording_url.clone(), info.durations.call);
    let line = info.call_line();
    move |ticket_id| Event::Ended {
        session,
        ticket_id,
        recording_url,
        duration_s,
        call: line,
    }
}

/// True when `listed` ended, its transfer to this agent waits for the ticket to be named, and
/// its end is neither written nor waiting already.
fn end_waits_with_transfer(b: &Backend, listed: &Listed, outbox: &Outbox<PageStore>) -> bool {
    listed.phase == CallPhase::Ended
        && b.transfers_waiting
            .borrow()
            .iter()
            .any(|(id, _)| *id == listed.id)
        && !b
            .unlogged_ends
            .borrow()
            .iter()
            .any(|(id, _)| *id == listed.id)
        && !outbox.knows(&JobKey::ended(listed.id).to_string())
}

/// The platform's recent calls, and whether they are all of them (see
/// [`crate::platform::Platform::recent_calls`]), a failed read tried twice more; `None` (the agent told) when
/// all three fail. A session that ended meanwhile is not tried again: a 401 that ended it is
/// told at once, and after a sign-out here the next try would read the next agent's calls.
async fn read_calls(
    adapter: Adapter,
    b: &Backend,
    session: &Option<String>,
) -> Option<(Vec<CallInfo>, bool)> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match b.platform.recent_calls().await {
            Ok(calls) => return Some(calls),
            Err(e) if !b.platform.still(session) => {
                told_if_ended(adapter, b, session, &e);
                return None;
            }
            Err(_) if attempt < 3 => {
                sleep(attempt * 2_000).await;
                if !b.platform.still(session) {
                    return None;
                }
            }
            Err(e) => {
                fail_platform(adapter, &e);
                return None;
            }
        }
    }
}

/// The id of the live call on screen.
fn live_on_screen(adapter: Adapter) -> Option<u64> {
    adapter
        .call
        .with_untracked(|c| c.as_ref().filter(|c| c.is_live()).and_then(|c| c.id))
}

/// A call listed by the platform, as the call model sees it.
fn listed(info: &CallInfo, inbound: bool) -> Listed {
    Listed {
        id: info.id,
        inbound,
        phase: match info.status {
            CallStatus::Dialling => CallPhase::Dialling,
            CallStatus::Ringing => CallPhase::Ringing,
            CallStatus::Connected => CallPhase::Connected,
            CallStatus::OnHold => CallPhase::OnHold,
            CallStatus::Ended => CallPhase::Ended,
        },
        customer_number: info.customer_number.clone(),
        lang: info.lang.clone(),
        menu: info.menu_path.clone(),
        ticket_id: info.ticket_id,
        talked_s: info.durations.call,
    }
}
