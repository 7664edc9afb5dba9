//! Inbound calls: the offer on screen, the caller looked up (with retries), the agent's pick of
//! the caller, and the call's ticket once the caller is known (TICKET-6, UPD-1).

use crate::{
    services::{
        calls::session_of,
        crm::{lookup_number_detailed, merge_lookup, replace_tickets_of},
        host::{
            backend, current_call, fail_platform, read_to_log, sleep, zendesk_message, Backend,
            EndOfCall, Working,
        },
        journal::{enqueue_on, queue_inbound},
        live::{ActiveCall, Adapter},
        messages,
        zaf_host::{notify_error, show_popover},
    },
    zaf::{Invoke, NotifyKind},
};
use domain::{
    call::{CallTicket, JobKey, Logging},
    labels::Label,
    rules::{Action, Event, TicketRef},
};
use leptos::prelude::*;
use std::rc::Rc;

/// A customer's call offered to the agent: the adapter shows it (popover open), and looks
/// the caller up meanwhile. A call already on screen keeps the screen.
pub(crate) fn offer(adapter: Adapter, id: u64, from: String, menu: String, lang: String) {
    let Some(b) = backend() else { return };
    leptos::task::spawn_local(async move {
        // Zendesk open in several tabs: the leading tab takes the call, as for
        // click-to-call, so the call is logged once. A lease left by a page that closed
        // without saying so runs out within LEASE_MS: the offer waits that long for it.
        if !crate::services::host::lead_within_lease(&b).await {
            return;
        }
        show_offer(adapter, b, id, from, menu, lang).await;
    });
}

/// The offer on screen (the same call offered twice shows once), then its caller looked up.
async fn show_offer(
    adapter: Adapter,
    b: Rc<Backend>,
    id: u64,
    from: String,
    menu: String,
    lang: String,
) {
    if adapter
        .call
        .with_untracked(|c| c.as_ref().is_some_and(ActiveCall::is_live))
    {
        return;
    }
    let call = ActiveCall::offered(id, &from, menu, lang);
    // The dial screen behind the offer stays kept while it rings: a reload now loses nothing of
    // it. Once the call is answered, a reload shows the call, never a draft Call could place
    // beside it (`calls::answer`, and the connect of a call answered elsewhere: `events`).
    adapter.banner.set(None);
    adapter.call.set(Some(call));
    // In a chat, it rings in the phone's tab; Zendesk's notification says who calls.
    adapter.show_call();
    show_popover();
    let region = adapter.context.with_untracked(|c| c.region.clone());
    // The number as the in-call screen shows it (national format in the agent's country).
    let shown = domain::phone::parse(&from, &region)
        .map(|p| p.display(&region).to_owned())
        .unwrap_or_else(|_| from.clone());
    let text = adapter.fill(Label::IncomingCallFrom, &[("number", &shown)]);
    let notice = Invoke::Notify {
        message: text,
        kind: NotifyKind::Notice,
    };
    // Waited for: the caller is looked up once the agent has been told.
    let _ = b.zaf.invoke(&notice).await;
    match lookup_number_detailed(
        &b.zendesk,
        &from,
        &region,
        b.recorded_contacts(&from),
        &[],
        &[],
    )
    .await
    {
        Ok(found) => adapter.crm.update(|crm| merge_lookup(crm, found)),
        Err(e) => adapter.fail(zendesk_message(adapter, &e)),
    }
    crate::services::phone_data::keep_warm(adapter);
}

/// The inbound call's ticket (TICKET-6, UPD-1): once the caller is known (one matching
/// contact, a new caller's contact, or the agent's pick), the assignment rules run. Several
/// contacts and no pick yet: the agent is asked, and nothing is written until then.
///
/// `seen`: the call as the page found it again (`services::resume`), when it is not the call
/// on screen (it ended while the page was away).
pub(crate) fn log_inbound(adapter: Adapter, id: u64, seen: Option<ActiveCall>) {
    let Some(b) = backend() else { return };
    leptos::task::spawn_local(async move {
        let Some(call) = adapter
            .call
            .get_untracked()
            .filter(|c| c.id == Some(id))
            .or(seen)
        else {
            return;
        };
        let Some(inbound) = call.inbound.clone().filter(|i| !i.logged) else {
            return;
        };
        let first = JobKey::first(id, true);
        // Once at a time per call: a resume that finds it being worked out here leaves it.
        let Some(_working) = Working::start(first) else {
            return;
        };
        adapter.set_logging(id, Logging::Working);
        // Kept with the outbox until the job is queued: a reload while the reads run (they may
        // wait out a rate limit for minutes) works it out again (`services::resume`).
        b.intend(first, inbound.picked);
        let forget = || b.forget_intent(first);
        let region = adapter.context.with_untracked(|c| c.region.clone());
        // The rules decide on what Zendesk holds: a failed read is tried again, never taken
        // as "no contact" (that would create a second contact) or "no open ticket".
        // Tried again for up to two minutes: the call's end waits for it meanwhile.
        let read = {
            let (b, call, region, picked) = (&b, &call, &region, inbound.picked);
            read_to_log(|| async move {
                if let Some(contact) = picked {
                    if adapter
                        .crm
                        .with_untracked(|crm| crm.contact(contact).is_none())
                    {
                        // Found again after a reload: the caller's contacts are read first (the
                        // rules and the screen need the picked one).
                        read_callers(adapter, b, &call.plan.to, region).await?;
                    }
                    // Put in place once read: the CRM data as it is then (a dial screen's lookups
                    // may have added to it meanwhile), not a copy taken before the read.
                    b.zendesk.requested_tickets(contact).await.map(|tickets| {
                        adapter
                            .crm
                            .update(|crm| replace_tickets_of(crm, contact, tickets))
                    })
                } else if adapter.crm.with_untracked(|crm| {
                    crm.contacts_with_number(&call.plan.to, region).is_empty()
                }) {
                    // The offer's lookup may not have finished: look again (one read).
                    read_callers(adapter, b, &call.plan.to, region).await
                } else {
                    Ok(())
                }
            })
            .await
        };
        if let Err(e) = read {
            let why = zendesk_message(adapter, &e);
            let text = adapter.word(Label::ErrCallNotLogged);
            notify_error(&format!("{text}: {}", why.text));
            adapter.fail(messages::Message {
                text,
                detail: Some(why.text),
            });
            b.unlogged_ends.borrow_mut().retain(|(call, _)| *call != id);
            adapter.set_logging(id, Logging::Failed);
            forget();
            return;
        }
        let event = Event::Assigned {
            session: session_of(id, &call),
            agent_id: b.agent_zendesk.id,
            chosen_contact: inbound.picked,
        };
        // The call starts here: its later writes keep these settings (SET-16).
        let first = JobKey::first(id, true);
        let actions = crate::services::journal::decide_on(adapter, &b, first, &event);
        if let Some(Action::AskContact { contact_ids }) = actions
            .iter()
            .find(|a| matches!(a, Action::AskContact { .. }))
        {
            let ids = contact_ids.clone();
            // An ended call is not picked for any more: nothing of it is to be logged here
            // (the platform gives it to the newest contact, TICKET-7).
            let live = adapter
                .call
                .with_untracked(|c| c.as_ref().is_some_and(|c| c.id == Some(id) && c.is_live()));
            if !live {
                forget();
            }
            // This call's choices, never the next call's (this one may have ended while
            // Zendesk was read, and another been offered).
            adapter.call.update(|c| {
                if let Some(i) = c
                    .as_mut()
                    .filter(|c| c.id == Some(id))
                    .and_then(|c| c.inbound.as_mut())
                {
                    i.candidates = ids;
                }
            });
            return;
        }
        let existing = actions.iter().find_map(|a| match a {
            Action::AddComment {
                ticket: TicketRef::Existing(t),
                ..
            } => Some(*t),
            _ => None,
        });
        // An append with the collision check may yet go to a new ticket: its ticket is shown
        // and reported once the append lands (as a created ticket is).
        let guarded = queue_inbound(adapter, &b, first, &event, &actions);
        let existing = existing.filter(|_| !guarded);
        adapter.call.update(|c| {
            if let Some(c) = c.as_mut().filter(|c| c.id == Some(id)) {
                if let Some(i) = c.inbound.as_mut() {
                    i.logged = true;
                }
                if existing.is_some() {
                    c.ticket_id = existing;
                }
            }
        });
        if let Some(ticket) = existing {
            crate::services::journal::report_ticket(&b, id, ticket);
        }
        // Queued (or nothing to write): no longer only intended.
        forget();
        // The call ended while this was worked out: its end follows, on the ticket found or
        // the one this job creates.
        let ended: Vec<EndOfCall> = {
            let mut ends = b.unlogged_ends.borrow_mut();
            let (mine, others) = ends.drain(..).partition(|(call, _)| *call == id);
            *ends = others;
            mine.into_iter().map(|(_, end)| end).collect()
        };
        let ticket = existing.map_or(CallTicket::Pending(first), CallTicket::Known);
        for end in ended {
            enqueue_on(adapter, &b, JobKey::ended(id), ticket, end);
        }
        crate::services::session_events::take_waiting(adapter, &b, id);
    });
}

/// TICKET-6: the agent named the caller; the platform is told (so it does not fall back to
/// the newest contact, TICKET-7) and the ticket is logged for that contact.
pub(crate) fn pick_caller(adapter: Adapter, contact_id: u64) {
    let Some((b, id)) = current_call(adapter) else {
        return;
    };
    leptos::task::spawn_local(async move {
        // The platform must know the pick before the ticket is logged for it, or it would
        // also give the call to the newest contact when it ends (TICKET-7).
        let mut attempt = 0;
        let recorded = loop {
            attempt += 1;
            match b.platform.pick_contact(id, contact_id).await {
                Err(
                    crate::platform::PlatformError::Unreachable(_)
                    | crate::platform::PlatformError::Server(_),
                ) if attempt < 3 => {
                    sleep(attempt * 1_000).await;
                }
                other => break other,
            }
        };
        match recorded {
            Ok(_) => log_inbound(adapter, id, None),
            Err(e) => {
                // Not recorded: the agent may pick again while the call lasts.
                adapter.call.update(|c| {
                    if let Some(i) = c.as_mut().and_then(|c| c.inbound.as_mut()) {
                        i.picked = None;
                    }
                });
                fail_platform(adapter, &e);
            }
        }
    });
}

/// Reads the contacts with the caller's number `to` into the CRM data (one search).
async fn read_callers(
    adapter: Adapter,
    b: &Backend,
    to: &str,
    region: &str,
) -> Result<(), crate::zendesk::ZendeskError> {
    let found =
        lookup_number_detailed(&b.zendesk, to, region, b.recorded_contacts(to), &[], &[]).await?;
    adapter.crm.update(|crm| merge_lookup(crm, found));
    Ok(())
}
