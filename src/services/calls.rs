//! The call on screen, as the platform sees it: placing, answering, holding, touch tones and
//! hanging up, and the session the rules see for a call.

use crate::{
    platform::CallStatus,
    services::{
        host::{backend, current_call, fail_platform, Backend},
        journal::enqueue,
        live::{ActiveCall, Adapter, Screen},
        messages,
        zaf_host::notify_error,
    },
};
use domain::{
    call::{CallPhase, JobKey},
    dial::{ContactPlan, DialPlan, TicketPlan},
    history::CallbackOf,
    rules::{Event, Session},
};
use leptos::prelude::*;

/// The session the rules see for a call placed here.
fn session(call_id: u64, plan: &DialPlan) -> Session {
    Session {
        id: call_id.to_string(),
        language: plan.language.clone(),
        customer_number: Some(plan.to.clone()),
        ..Session::default()
    }
}

/// The session the rules see for the call on screen.
pub(crate) fn session_of(id: u64, call: &ActiveCall) -> Session {
    match &call.inbound {
        Some(inbound) => Session::ivr(id, &call.plan.to, &inbound.menu, &inbound.language),
        None => session(id, &call.plan),
    }
}

/// Places the plan's call through the platform, then logs it in Zendesk (OUT-10: nothing
/// for "Do not create a ticket"); `numbered` runs once the call has its id.
pub(crate) fn place(adapter: Adapter, plan: DialPlan, numbered: impl FnOnce() + 'static) {
    place_as(adapter, plan, None, numbered)
}

/// [`place`], for a call back of `of` when named (the platform records what it calls back).
pub(crate) fn place_as(
    adapter: Adapter,
    plan: DialPlan,
    of: Option<CallbackOf>,
    numbered: impl FnOnce() + 'static,
) {
    let Some(b) = backend() else { return };
    // The call shows after a reload, not the screen it was placed from.
    crate::services::dial_draft::clear();
    leptos::task::spawn_local(async move {
        let answer = match of {
            Some(of) => b.platform.place_callback(&plan, of).await,
            None => b.platform.place_call(&plan).await,
        };
        match answer {
            Ok(call) => {
                adapter.call.update(|c| {
                    if let Some(c) = c {
                        c.numbered(call.id);
                    }
                });
                let event = Event::OutboundPlaced {
                    session: session(call.id, &plan),
                    plan: plan.clone(),
                    agent_id: b.agent_zendesk.id,
                };
                enqueue(adapter, &b, JobKey::first(call.id, false), &event);
                numbered();
            }
            Err(e) => {
                adapter.call.set(None);
                // Events that came while the call was being placed belong to no call of the
                // screen now (a call hung up for a call back, whose end came late): the routing
                // sends them on (a call's end is logged by the resume).
                crate::services::events::replay_early(adapter);
                match of {
                    // A voicemail's call back: back to Voicemail, where its Call back tries
                    // again as one (noted on its ticket, UPD-15; the platform told what it
                    // calls back).
                    Some(CallbackOf::Voicemail(vm)) => {
                        adapter
                            .voicemails
                            .update_untracked(|v| v.called_back = Some(vm));
                        adapter.screen.set(Screen::Voicemail);
                        // A number left on the keypad stays kept for a reload (the placing
                        // cleared it).
                        crate::services::dial_draft::keep_screen(adapter);
                    }
                    // A call's call back (Callback, Hang up and call back) comes back as a dial
                    // screen of its own number, contact and ticket, to try again. Neither comes
                    // back as the screen the adapter still holds, another customer's (a number
                    // left on the keypad, a draft put aside for a call, a click-to-call not
                    // drawn).
                    Some(CallbackOf::Call(_)) => {
                        adapter.open_dialout(retry_screen(adapter, &plan));
                        crate::services::dial_draft::keep_screen(adapter);
                    }
                    None if adapter.dial.with_untracked(Option::is_some) => {
                        adapter.screen.set(Screen::Dial);
                        // Back to the screen: kept again for a reload.
                        crate::services::dial_draft::keep_screen(adapter);
                    }
                    None => adapter.home(),
                }
                if e == crate::platform::PlatformError::SignedOut {
                    // The platform ended the session: the sign-in form, as for any request
                    // (the screen said so over a dial screen that looked signed in, Call
                    // enabled). What was typed is kept above for the agent signing in again.
                    fail_platform(adapter, &e);
                    return;
                }
                let message = adapter
                    .catalogue
                    .with_untracked(|c| messages::platform(&e, c));
                notify_error(&message.text);
                adapter.fail(message);
            }
        }
    });
}

/// The dial screen a refused call back comes back as, to try again: its number, on its ticket
/// (the requester's, when the call back named no contact) as a ticket's Call button opens it
/// (TEAM-15: the Ticket ID filled); with no ticket, on its contact; and the keypad with the
/// number where a contact's screen cannot call (team Ticket ID entry, TEAM-17) or none is known.
fn retry_screen(adapter: Adapter, plan: &DialPlan) -> domain::call::Dialout {
    let ticket = match plan.ticket {
        TicketPlan::Existing { id } => Some(id),
        _ => None,
    };
    let contact = match plan.contact {
        ContactPlan::Existing { id } => Some(id),
        _ => ticket.and_then(|t| {
            adapter
                .crm
                .with_untracked(|c| c.ticket(t).map(|t| t.requester_id))
        }),
    };
    let to = Some(plan.to.clone());
    match (contact, ticket) {
        (Some(_), _) => domain::call::call_back_dialout(to, contact, ticket, adapter.team_entry()),
        _ => domain::call::Dialout::Typed(to),
    }
}

/// Answers the inbound call on screen.
pub(crate) fn answer(adapter: Adapter) {
    let Some((b, id)) = current_call(adapter) else {
        return;
    };
    // From the agent's Answer on, a reload shows the call, not the dial screen kept behind it.
    crate::services::dial_draft::clear();
    leptos::task::spawn_local(async move {
        if let Err(e) = b.platform.answer(id).await {
            // Not answered: Answer (or Enter) works again while the call still rings; it did
            // nothing before, the call ringing on with an error above it.
            adapter.call.update(|c| {
                if let Some(inbound) = c
                    .as_mut()
                    .filter(|c| c.id == Some(id) && c.phase == CallPhase::Ringing)
                    .and_then(|c| c.inbound.as_mut())
                {
                    inbound.answering = false;
                }
            });
            fail_platform(adapter, &e);
        }
    });
}

/// Ends the call.
pub(crate) fn hang_up(adapter: Adapter) {
    let Some((b, id)) = current_call(adapter) else {
        return;
    };
    // Tried again: the last try's error goes (it comes back if this one fails too).
    forget_hang_up_error(adapter, &b);
    leptos::task::spawn_local(async move {
        if let Err(e) = b.platform.hang_up(id).await {
            // Not hung up: Hang up works again (and says so no more).
            adapter.call.update(|c| {
                if let Some(c) = c.as_mut().filter(|c| c.id == Some(id)) {
                    c.hanging_up = false;
                }
            });
            fail_platform(adapter, &e);
            *b.hang_up_error.borrow_mut() = adapter.banner.get_untracked();
        }
    });
}

/// Takes away the error of a Hang up that did not go through, if it still shows: on a new
/// try, and when the call ends (by the customer, or the platform's own end). Nothing else the
/// banner says goes with it (a notice of where the call is logged stays).
pub(crate) fn forget_hang_up_error(adapter: Adapter, b: &Backend) {
    if let Some(last) = b.hang_up_error.borrow_mut().take() {
        if adapter
            .banner
            .with_untracked(|shown| shown.as_ref() == Some(&last))
        {
            adapter.banner.set(None);
        }
    }
}

/// Holds or resumes the call; on a refusal the screen goes back to what the platform says.
pub(crate) fn hold(adapter: Adapter, on: bool) {
    let Some((b, id)) = current_call(adapter) else {
        return;
    };
    let press = b.holds.get() + 1;
    b.holds.set(press);
    leptos::task::spawn_local(async move {
        let answer = match b.platform.hold(id, on).await {
            Ok(call) if call.status == CallStatus::OnHold => Ok(Some(true)),
            Ok(call) if call.status == CallStatus::Connected => Ok(Some(false)),
            Ok(_) => Ok(None),
            Err(e) => {
                fail_platform(adapter, &e);
                Err(())
            }
        };
        if b.holds.get() != press {
            // Pressed again meanwhile: that press's answer, and the events (the platform's
            // word as it happens: `call.held`, `call.resumed`), say what shows. This older
            // answer may come after them and is not taken.
            return;
        }
        adapter.call.update(|c| {
            if let Some(c) = c.as_mut().filter(|c| c.id == Some(id)) {
                c.after_hold(answer);
            }
        });
    });
}

/// Sends a touch tone. Tones go one request after another, so they reach the customer in
/// the order pressed; keys pressed while one is in flight go together in the next.
pub(crate) fn send_tone(adapter: Adapter, tone: char) {
    let Some((b, id)) = current_call(adapter) else {
        return;
    };
    if !b.tones.borrow_mut().press(tone) {
        // The sender running takes it.
        return;
    }
    leptos::task::spawn_local(async move {
        loop {
            let same_call = current_call(adapter).is_some_and(|(_, now)| now == id);
            // Tones pressed for another call are not sent on this one.
            let Some(digits) = b.tones.borrow_mut().next(same_call) else {
                return;
            };
            if let Err(e) = b.platform.send_dtmf(id, &digits).await {
                fail_platform(adapter, &e);
            }
        }
    });
}
