//! Transfers (UPD-9): a call moves from one agent to another. The sending adapter stops writing
//! for it (its screen shows the call ended, transferred; what it queued before still goes out).
//! The receiving adapter takes the call on screen, assigns the ticket to its agent with the
//! transfer's comment (once, under the transfer's event id), pops the ticket, and logs the end.
//! A call transferred before its ticket was known waits for the platform to name the ticket
//! (`call.ticket`, once the sending adapter has reported it).

use crate::{
    platform::{CallStatus, Direction, PlatformEvent, TransferredTo},
    services::{
        host::{backend, now_ms, Backend},
        journal::enqueue_on,
        live::{ActiveCall, Adapter, CallPhase},
        zaf_host::route_to_ticket,
    },
};
use domain::{
    call::{CallTicket, JobKey, Listed},
    labels::Label,
    rules::Event,
};
use leptos::prelude::*;
use std::rc::Rc;

/// Takes `event` if it is about a transfer (true).
pub(crate) fn on_transfer_event(adapter: Adapter, event: &PlatformEvent) -> bool {
    match event {
        PlatformEvent::Transferred {
            call_id,
            event_id,
            to_agent,
            ticket_id,
            status,
            direction,
            customer_number,
            lang,
            menu_path,
            durations,
            ..
        } => {
            let Some(b) = backend() else { return true };
            let mine = b.platform_agent.get() == Some(to_agent.id);
            if !mine {
                sent_away(adapter, &b, *call_id, to_agent);
                return true;
            }
            let listed = Listed {
                id: *call_id,
                inbound: *direction == Direction::Inbound,
                phase: phase_of(*status),
                customer_number: customer_number.clone(),
                lang: lang.clone(),
                menu: menu_path.clone(),
                ticket_id: *ticket_id,
                talked_s: durations.call,
            };
            received(adapter, &b, &listed, *event_id, to_agent);
            true
        }
        PlatformEvent::TicketKnown { call_id, ticket_id } => {
            if let Some(b) = backend() {
                ticket_known(adapter, &b, *call_id, *ticket_id);
            }
            true
        }
        _ => false,
    }
}

fn phase_of(status: CallStatus) -> CallPhase {
    match status {
        CallStatus::Dialling => CallPhase::Dialling,
        CallStatus::Ringing => CallPhase::Ringing,
        CallStatus::Connected => CallPhase::Connected,
        CallStatus::OnHold => CallPhase::OnHold,
        CallStatus::Ended => CallPhase::Ended,
    }
}

/// This agent transferred the call away: it shows ended here and nothing more is written for it
/// here (the receiving adapter logs its end).
fn sent_away(adapter: Adapter, b: &Rc<Backend>, call: u64, to: &TransferredTo) {
    if ended_here(adapter, b, call) {
        adapter.notice(format!(
            "{} {}",
            adapter.word(Label::CallTransferredTo),
            to.name
        ));
    }
}

/// The call on screen is no longer the agent's, and its transfer's event never came (the event
/// stream was down): the platform no longer shows it to this agent. It ends here as a call sent
/// away does, with a word of why.
pub(crate) fn gone_while_away(adapter: Adapter, b: &Rc<Backend>, call: u64) {
    if ended_here(adapter, b, call) {
        adapter.notice(adapter.word(Label::CallGoneWhileAway));
    }
}

/// This adapter stops with `call`: shown ended if it is on screen (true then), and its end is
/// not this adapter's to log.
fn ended_here(adapter: Adapter, b: &Rc<Backend>, call: u64) -> bool {
    let now = now_ms();
    let mut shown = false;
    adapter.call.update(|c| {
        if let Some(c) = c.as_mut().filter(|c| c.id == Some(call)) {
            c.hand_on(now);
            shown = true;
        }
    });
    b.unlogged_ends.borrow_mut().retain(|(id, _)| *id != call);
    shown
}

/// The call was transferred to this agent: on screen (unless another call is live here), the
/// transfer written on its ticket, the ticket popped.
fn received(adapter: Adapter, b: &Rc<Backend>, listed: &Listed, event_id: u64, to: &TransferredTo) {
    if b.leader.other_leads(now_ms()) {
        // Zendesk is open in several of the agent's tabs: the leading one takes the call.
        return;
    }
    let call = listed.id;
    // Live on screen already (a repeat of the event). A call of this id shown ended here (it
    // was transferred away from this agent earlier, and now comes back) is taken on again.
    let on_screen_already = adapter.call.with_untracked(|c| {
        c.as_ref()
            .is_some_and(|c| c.id == Some(call) && c.is_live())
    });
    let busy = adapter
        .call
        .with_untracked(|c| c.as_ref().is_some_and(ActiveCall::is_live));
    if !on_screen_already && !busy {
        let mut taken = ActiveCall::resumed(listed, None, now_ms());
        if let Some(inbound) = taken.inbound.as_mut() {
            // Its caller was worked out by the sending adapter.
            inbound.logged = true;
        }
        adapter.call.set(Some(taken));
        adapter.show_call();
        adapter.notice(adapter.word(Label::CallTransferredToYou));
        // Who the call is with: the ticket's requester (the screen showed the number alone).
        crate::services::resume::name_the_caller(adapter, b);
    }
    let name = receiver_name(b, to);
    match listed.ticket_id {
        Some(ticket) => {
            write_transfer(adapter, b, call, event_id, ticket, name);
            route_to_ticket(ticket);
        }
        None => b.transfers_waiting.borrow_mut().push((call, event_id)),
    }
}

/// The platform lists a call as transferred to this agent, and this adapter has not written
/// that transfer: its event came while the event stream was down. A live call is taken on as
/// the event would have (on screen, the transfer written, the ticket popped); one that ended
/// meanwhile gets its transfer written (the resume then logs its end), nothing on screen. A
/// transfer taken on already and waiting for its ticket takes the ticket the list names: its
/// `call.ticket` came while the stream was down.
pub(crate) fn received_while_away(
    adapter: Adapter,
    b: &Rc<Backend>,
    listed: &Listed,
    event_id: u64,
    to: &TransferredTo,
) {
    if b.transfers_waiting
        .borrow()
        .contains(&(listed.id, event_id))
    {
        if let Some(ticket) = listed.ticket_id {
            ticket_known(adapter, b, listed.id, ticket);
        }
        return;
    }
    if listed.phase != CallPhase::Ended {
        received(adapter, b, listed, event_id, to);
        return;
    }
    if b.leader.other_leads(now_ms()) {
        return;
    }
    match listed.ticket_id {
        Some(ticket) => {
            let name = receiver_name(b, to);
            write_transfer(adapter, b, listed.id, event_id, ticket, name);
        }
        None => b.transfers_waiting.borrow_mut().push((listed.id, event_id)),
    }
}

/// The name the transfer's comment gives this agent: the platform's, else Zendesk's.
fn receiver_name(b: &Backend, to: &TransferredTo) -> String {
    if to.name.trim().is_empty() {
        b.agent_zendesk.name.clone()
    } else {
        to.name.clone()
    }
}

/// Assigns the call's ticket to this agent with the transfer's comment (once: the job's key is
/// the transfer's event).
fn write_transfer(
    adapter: Adapter,
    b: &Rc<Backend>,
    call: u64,
    event_id: u64,
    ticket: u64,
    agent_name: String,
) {
    let agent_id = b.agent_zendesk.id;
    enqueue_on(
        adapter,
        b,
        JobKey::event(call, event_id),
        CallTicket::Known(ticket),
        move |ticket_id| Event::Transferred {
            ticket_id,
            agent_id,
            agent_name,
        },
    );
}

/// The platform names the ticket of a call transferred here before it was known: the call on
/// screen shows it, the transfer is written, and an end that waited for it is logged.
fn ticket_known(adapter: Adapter, b: &Rc<Backend>, call: u64, ticket: u64) {
    // The ticket the platform names now wins over the one the transfer named (the sending
    // adapter's collision check may have moved the call to a new ticket meanwhile).
    adapter.call.update(|c| {
        if let Some(c) = c.as_mut().filter(|c| c.id == Some(call)) {
            c.ticket_id = Some(ticket);
        }
    });
    crate::services::resume::name_the_caller(adapter, b);
    let waiting: Vec<u64> = {
        let mut all = b.transfers_waiting.borrow_mut();
        let (these, rest): (Vec<_>, Vec<_>) = all.drain(..).partition(|(id, _)| *id == call);
        *all = rest;
        these.into_iter().map(|(_, event)| event).collect()
    };
    let name = b.agent_zendesk.name.clone();
    for event_id in waiting {
        write_transfer(adapter, b, call, event_id, ticket, name.clone());
        route_to_ticket(ticket);
    }
    let ends: Vec<_> = {
        let mut all = b.unlogged_ends.borrow_mut();
        let (these, rest): (Vec<_>, Vec<_>) = all.drain(..).partition(|(id, _)| *id == call);
        *all = rest;
        these
    };
    for (_, make) in ends {
        enqueue_on(
            adapter,
            b,
            JobKey::ended(call),
            CallTicket::Known(ticket),
            make,
        );
    }
    crate::services::session_events::take_waiting(adapter, b, call);
}
