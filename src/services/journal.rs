//! The journal: decides what an event writes, queues it in the outbox and runs the outbox,
//! reporting created tickets, screen pops and failures back to the screen.

use crate::services::{
    host::{now_ms, sleep, zendesk_message, Backend},
    live::Adapter,
    outbox::{Batching, Guard, Outbox, RequesterGone, RunReport, TICKET_OF_EARLIER_JOB},
    storage::PageStore,
    writes::{fold, Ref, Write},
    zaf_host::{notify_error, route_to_ticket},
};
use domain::labels::Label;
use domain::{
    call::{CallTicket, JobKey, Logging, Stage},
    crm::TicketStatus,
    dial::{ContactPlan, DialPlan, TicketPlan},
    rules::{decide, Action, Event},
};
use leptos::prelude::*;
use std::rc::Rc;

/// Decides what `event` writes and queues it under `key`.
pub(crate) fn enqueue(adapter: Adapter, b: &Rc<Backend>, key: JobKey, event: &Event) {
    let actions = decide_on(adapter, b, key, event);
    if let Some(guard) = guard_of(adapter, b, key, event) {
        queue_then_run(adapter, b, |outbox| {
            outbox.enqueue_guarded(&key.to_string(), fold(&actions), guard)
        });
        return;
    }
    if let Some(gone) = requester_gone_of(adapter, b, key, event) {
        queue_then_run(adapter, b, |outbox| {
            outbox.enqueue_with_requester(&key.to_string(), fold(&actions), gone)
        });
        return;
    }
    queue_recorded(adapter, b, key, &actions, None, recording_of(event));
}

/// Queues a job with `queue` on the page's outbox, if it has one, and runs the outbox.
fn queue_then_run(
    adapter: Adapter,
    b: &Rc<Backend>,
    queue: impl FnOnce(&Outbox<PageStore>) -> bool,
) {
    let Some(outbox) = b.outbox.borrow().clone() else {
        return;
    };
    queue(&outbox);
    run_outbox(adapter, b.clone());
}

/// An outbound call's placing: its plan, and the same placing with another plan (what the rules
/// are asked to decide instead).
fn outbound(event: &Event) -> Option<(&DialPlan, impl Fn(DialPlan) -> Event + '_)> {
    let Event::OutboundPlaced {
        session,
        plan,
        agent_id,
    } = event
    else {
        return None;
    };
    let replanned = move |plan| Event::OutboundPlaced {
        session: session.clone(),
        plan,
        agent_id: *agent_id,
    };
    Some((plan, replanned))
}

/// An outbound call placed on a new ticket for a contact the dial screen read: what the rules
/// write if Zendesk refuses that contact as the requester (deleted meanwhile; see
/// [`RequesterGone`]): the plan for the number with no contact, a contact made for it
/// (CONTACT-7, CONTACT-8), and the new ticket theirs.
fn requester_gone_of(
    adapter: Adapter,
    b: &Rc<Backend>,
    key: JobKey,
    event: &Event,
) -> Option<RequesterGone> {
    let (plan, replanned) = outbound(event)?;
    let (ContactPlan::Existing { id }, TicketPlan::New) = (&plan.contact, plan.ticket) else {
        return None;
    };
    let name = adapter
        .catalogue
        .with_untracked(|cat| domain::comments::caller_name(cat, &plan.to));
    let instead = replanned(DialPlan {
        contact: ContactPlan::New {
            phone: plan.to.clone(),
            name,
        },
        ..plan.clone()
    });
    Some(RequesterGone {
        requester: *id,
        instead: fold(&decide_on(adapter, b, key, &instead)),
    })
}

/// The collision check of an outbound call placed on an existing ticket (see [`Guard`]): the
/// ticket as the dial screen read it, and what the rules write if it is no longer open when
/// the call is logged (the plan with a new ticket).
fn guard_of(adapter: Adapter, b: &Rc<Backend>, key: JobKey, event: &Event) -> Option<Guard> {
    let (plan, replanned) = outbound(event)?;
    let TicketPlan::Existing { id } = plan.ticket else {
        return None;
    };
    let read = adapter.crm.with_untracked(|crm| crm.ticket(id).cloned())?;
    // A call back on a ticket may not name its contact: the new ticket is the requester's.
    let contact = match plan.contact {
        ContactPlan::None => ContactPlan::Existing {
            id: read.requester_id,
        },
        ref known => known.clone(),
    };
    let instead = replanned(DialPlan {
        ticket: TicketPlan::New,
        contact,
        ..plan.clone()
    });
    Some(Guard {
        ticket: id,
        seen_updated_at: read.updated_at,
        open_when_read: read.status.is_open_set(),
        instead: fold(&decide_on(adapter, b, key, &instead)),
        requester: Some(read.requester_id),
    })
}

/// An inbound call's first job, when it creates a ticket for the caller's contact: what the
/// rules write if Zendesk refuses that contact as the requester (deleted since the caller was
/// looked up; see [`RequesterGone`]): the same call decided on the CRM data without them, when
/// that makes a contact for the number (CONTACT-7). None when it would pick another contact of
/// the number instead: the call is not moved to someone the agent did not pick.
fn requester_gone_inbound(
    adapter: Adapter,
    b: &Rc<Backend>,
    key: JobKey,
    event: &Event,
    writes: &[Write],
) -> Option<RequesterGone> {
    let Event::Assigned {
        session,
        agent_id,
        chosen_contact,
    } = event
    else {
        return None;
    };
    let Some(Write::CreateTicket {
        requester: Ref::Existing(id),
        ..
    }) = writes.first()
    else {
        return None;
    };
    let without = Event::Assigned {
        session: session.clone(),
        agent_id: *agent_id,
        chosen_contact: chosen_contact.filter(|c| c != id),
    };
    let actions = decide_on_changed(adapter, b, key, &without, |crm| {
        crm.contacts.retain(|c| c.id != *id)
    });
    let instead = fold(&actions);
    matches!(instead.first(), Some(Write::CreateUser(_))).then_some(RequesterGone {
        requester: *id,
        instead,
    })
}

/// Queues the first job of an inbound call (`event`, decided as `actions`) and runs the outbox:
/// with what it writes instead if the caller's contact is refused as the ticket's requester, or
/// if the ticket it appends to was solved since the call rang. True when queued with that
/// collision check: the call's ticket is known once the append lands.
pub(crate) fn queue_inbound(
    adapter: Adapter,
    b: &Rc<Backend>,
    key: JobKey,
    event: &Event,
    actions: &[Action],
) -> bool {
    let writes = fold(actions);
    if let Some(guard) = guard_inbound(adapter, b, key, event, &writes) {
        let mut guarded = false;
        queue_then_run(adapter, b, |outbox| {
            let key = key.to_string();
            let queued = outbox.enqueue_guarded(&key, writes, guard);
            guarded = outbox.is_guarded(&key);
            queued
        });
        return guarded;
    }
    match requester_gone_inbound(adapter, b, key, event, &writes) {
        Some(gone) => queue_then_run(adapter, b, |outbox| {
            outbox.enqueue_with_requester(&key.to_string(), writes, gone)
        }),
        None => queue_writes(adapter, b, key, actions, None),
    }
    false
}

/// The collision check of an inbound call's first job, when it appends to the caller's open
/// ticket (UPD-1): that ticket was read when the call rang, and another agent may solve or close
/// it before the answer. The append then meets Zendesk's collision check, and the rules decide
/// again without that ticket (UPD-3: never reopened), as for an outbound call's ticket.
fn guard_inbound(
    adapter: Adapter,
    b: &Rc<Backend>,
    key: JobKey,
    event: &Event,
    writes: &[Write],
) -> Option<Guard> {
    let Event::Assigned { .. } = event else {
        return None;
    };
    let Some(Write::UpdateTicket {
        ticket: Ref::Existing(id),
        ..
    }) = writes.first()
    else {
        return None;
    };
    let read = adapter.crm.with_untracked(|crm| crm.ticket(*id).cloned())?;
    // A new ticket: the caller's other open tickets were read when the call rang too, and none
    // is appended to without the check (closed here, no rule appends to them).
    let actions = decide_on_changed(adapter, b, key, event, |crm| {
        for t in crm
            .tickets
            .iter_mut()
            .filter(|t| t.requester_id == read.requester_id)
        {
            t.status = TicketStatus::Closed;
        }
    });
    Some(Guard {
        ticket: *id,
        seen_updated_at: read.updated_at,
        open_when_read: read.status.is_open_set(),
        instead: fold(&actions),
        requester: Some(read.requester_id),
    })
}

/// The recording link an event carries (kept out of storage: see `Job::recording_url`).
fn recording_of(event: &Event) -> Option<String> {
    match event {
        Event::Ended { recording_url, .. } => recording_url.clone(),
        Event::RecordingReady { recording_url, .. } => Some(recording_url.clone()),
        _ => None,
    }
}

/// Decides what the event `make` builds for a ticket writes, and queues it under `key` on
/// `ticket`: a known ticket, or the one an earlier job of the call creates (the outbox puts
/// that ticket's id in once it is known). Decided with the settings `key`'s call or chat
/// started with (SET-16).
pub(crate) fn enqueue_on(
    adapter: Adapter,
    b: &Rc<Backend>,
    key: JobKey,
    ticket: CallTicket,
    make: impl FnOnce(u64) -> Event,
) {
    enqueue_for(adapter, b, key, key, ticket, make)
}

/// [`enqueue_on`], decided with the settings the call or chat of `settings_of` started with (a
/// chat's event, whose key does not say it is a chat's).
pub(crate) fn enqueue_for(
    adapter: Adapter,
    b: &Rc<Backend>,
    key: JobKey,
    settings_of: JobKey,
    ticket: CallTicket,
    make: impl FnOnce(u64) -> Event,
) {
    let ticket = settled(b, &key, ticket);
    let (ticket_id, earlier) = match ticket {
        CallTicket::Known(id) => (id, None),
        CallTicket::Pending(job) => (TICKET_OF_EARLIER_JOB, Some(job)),
    };
    let event = make(ticket_id);
    let actions = decide_on(adapter, b, settings_of, &event);
    queue_recorded(adapter, b, key, &actions, earlier, recording_of(&event));
}

/// The ticket a later job of a call writes to: while the call's first job is queued with its
/// collision check, the ticket may still change (the one dialled on was solved meanwhile, and a
/// new one is created), so the later job follows the first job, not the ticket dialled on.
fn settled(b: &Rc<Backend>, key: &JobKey, ticket: CallTicket) -> CallTicket {
    // An outbound call's first job is guarded when placed on a ticket read for the dial screen,
    // an inbound call's when it appends to a ticket read when the call rang.
    // A voicemail's and a chat's keys carry ids of another kind: never a call's first job.
    if key.is_chat() || matches!(key.stage, Stage::Voicemail(_)) {
        return ticket;
    }
    let outbox = b.outbox.borrow();
    let guarded = [false, true]
        .map(|inbound| JobKey::first(key.call, inbound))
        .into_iter()
        .find(|first| {
            outbox
                .as_ref()
                .is_some_and(|o| o.is_guarded(&first.to_string()))
        });
    match (ticket, guarded) {
        (CallTicket::Known(_), Some(first)) if first != *key => CallTicket::Pending(first),
        (other, _) => other,
    }
}

/// What the rules decide `event` of `key`'s call writes, on the CRM data known (with the
/// settings the call started with, SET-16).
pub(crate) fn decide_on(
    adapter: Adapter,
    b: &Rc<Backend>,
    key: JobKey,
    event: &Event,
) -> Vec<Action> {
    decide_with(adapter, &b.rules_for(key), event)
}

/// What the rules decide `event` writes with `rules`, on the CRM data known.
pub(crate) fn decide_with(
    adapter: Adapter,
    rules: &domain::rules::RuleContext,
    event: &Event,
) -> Vec<Action> {
    adapter.crm.with_untracked(|crm| {
        adapter
            .catalogue
            .with_untracked(|cat| decide(event, crm, rules, cat))
    })
}

/// What the rules decide `event` writes, on a copy of the CRM data known that `change` alters
/// (what the writes instead are decided on).
fn decide_on_changed(
    adapter: Adapter,
    b: &Rc<Backend>,
    key: JobKey,
    event: &Event,
    change: impl FnOnce(&mut domain::crm::CrmState),
) -> Vec<Action> {
    let mut crm = adapter.crm.get_untracked();
    change(&mut crm);
    adapter
        .catalogue
        .with_untracked(|cat| decide(event, &crm, &b.rules_for(key), cat))
}

/// Queues the writes of `actions` (at once, even while a run is sending) and runs the outbox.
pub(crate) fn queue_writes(
    adapter: Adapter,
    b: &Rc<Backend>,
    key: JobKey,
    actions: &[Action],
    on_ticket_of: Option<JobKey>,
) {
    queue_recorded(adapter, b, key, actions, on_ticket_of, None);
}

/// [`queue_writes`] for writes that may carry the call recording's link `recording`.
fn queue_recorded(
    adapter: Adapter,
    b: &Rc<Backend>,
    key: JobKey,
    actions: &[Action],
    on_ticket_of: Option<JobKey>,
    recording: Option<String>,
) {
    let writes = fold(actions);
    let earlier = on_ticket_of.map(|k| k.to_string());
    queue_then_run(adapter, b, |outbox| {
        outbox.enqueue_with_recording(&key.to_string(), writes, earlier.as_deref(), recording)
    });
}

/// How many times a call's or chat's ticket is reported before the adapter gives up (about 2
/// minutes of backoff: a transfer's receiver waits for it).
const REPORT_ATTEMPTS: u32 = 7;

/// Tells the platform the ticket call `call` is logged on (it names it in the call's later
/// events, and writes them itself when no agent is signed in). The call's own writes never wait
/// for it.
pub(crate) fn report_ticket(b: &Rc<Backend>, call: u64, ticket: u64) {
    let b = b.clone();
    report_until_taken(&b.clone(), move || {
        let b = b.clone();
        async move { b.platform.report_ticket(call, ticket).await.map(|_| ()) }
    });
}

/// Sends a report the platform needs from this adapter (the ticket of a call or a chat), tried
/// again with backoff (1 s doubling, [`REPORT_ATTEMPTS`] tries) while the platform cannot be
/// reached or the agent's session is down; a refusal is final, and so is another agent signing
/// in at this frame (the report is of a call or chat that is not theirs).
pub(crate) fn report_until_taken<F, Fut>(b: &Rc<Backend>, report: F)
where
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = Result<(), crate::platform::PlatformError>> + 'static,
{
    use crate::platform::PlatformError;
    let (b, agent) = (b.clone(), b.platform_agent.get());
    leptos::task::spawn_local(async move {
        for attempt in 1..=REPORT_ATTEMPTS {
            if b.platform_agent.get() != agent {
                return;
            }
            match report().await {
                Ok(()) => return,
                Err(PlatformError::Refused(_) | PlatformError::Forbidden(_)) => return,
                Err(_) if attempt < REPORT_ATTEMPTS => sleep(1_000 << (attempt - 1)).await,
                Err(_) => {}
            }
        }
    });
}

/// Sends the outbox's due work; schedules itself again while work waits.
pub(crate) fn run_outbox(adapter: Adapter, b: Rc<Backend>) {
    leptos::task::spawn_local(async move {
        let Some(outbox) = b.outbox.borrow().clone() else {
            return;
        };
        if outbox.is_running() {
            // The run under way takes the new jobs too.
            return;
        }
        let batching = Batching::from_settings(&b.rules.borrow().settings);
        if (batching.add_comment || batching.ticket_update) && !b.platform.is_signed_in() {
            // The platform's queue needs a session: the jobs wait for the next sign-in (which
            // runs the outbox), instead of retrying a 401 behind every later write.
            return;
        }
        let report: RunReport = outbox
            .run_clocked(&b.zendesk, &b.platform, batching, &now_ms)
            .await;
        for (key, ticket) in &report.created_tickets {
            // A chat's first job created its ticket: the chat shows it.
            if let Some(chat) = JobKey::parse(key).filter(|k| k.stage == Stage::ChatAssigned) {
                adapter.chats.update(|all| {
                    if let Some(c) = all.iter_mut().find(|c| c.id == chat.call) {
                        c.ticket_id = Some(*ticket);
                    }
                });
                crate::services::chats::report_ticket(&b, chat.call, *ticket);
                continue;
            }
            // The job that logs a call first created its ticket: the in-call screen shows it.
            let Some(call_id) = JobKey::parse(key).filter(JobKey::is_first).map(|k| k.call) else {
                continue;
            };
            // Known already (an outbound call placed on it): nothing new to show or report.
            let known = adapter.call.with_untracked(|c| {
                c.as_ref()
                    .is_some_and(|c| c.id == Some(call_id) && c.ticket_id == Some(*ticket))
            });
            if known {
                continue;
            }
            adapter.call.update(|c| {
                if let Some(c) = c.as_mut().filter(|c| c.id == Some(call_id)) {
                    c.ticket_id = Some(*ticket);
                }
            });
            report_ticket(&b, call_id, *ticket);
            // A call found again after a reload before its ticket was made: who it is with is
            // read now (the ticket's requester).
            crate::services::resume::name_the_caller(adapter, &b);
        }
        for (key, given_up) in &report.redecided {
            // The ticket dialled on was solved, closed or given to another requester meanwhile:
            // the call is logged on a new one (its id reaches the in-call screen as a created
            // ticket) and the agent hears why.
            if let Some(first) = JobKey::parse(key).filter(JobKey::is_first) {
                let why = match first.stage {
                    Stage::Assigned => Label::CallMovedToNewTicketRinging,
                    _ => Label::CallMovedToNewTicket,
                };
                adapter.notice(adapter.fill(why, &[("id", given_up)]));
            }
        }
        for (key, contact) in &report.requester_gone {
            // The contact called was deleted in Zendesk meanwhile: the call is logged on a
            // contact made for the number, the call names that one, and the agent hears why.
            let Some(k) = JobKey::parse(key).filter(|k| k.is_first()) else {
                continue;
            };
            let name = adapter.crm.with_untracked(|crm| {
                crm.contact(*contact)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| format!("#{contact}"))
            });
            adapter.crm.update(|crm| {
                crate::services::crm::merge(
                    crm,
                    domain::crm::CrmState {
                        gone: vec![*contact],
                        ..Default::default()
                    },
                )
            });
            adapter.call.update(|c| {
                if let Some(c) = c.as_mut().filter(|c| c.id == Some(k.call)) {
                    if c.plan.contact == (ContactPlan::Existing { id: *contact }) {
                        let made = adapter
                            .catalogue
                            .with_untracked(|cat| domain::comments::caller_name(cat, &c.plan.to));
                        c.plan.contact = ContactPlan::New {
                            phone: c.plan.to.clone(),
                            name: made,
                        };
                    }
                }
            });
            adapter.notice(format!(
                "{name}: {}",
                adapter.word(Label::CallMovedToNewContact)
            ));
        }
        if !report.expired.is_empty() {
            // Queued days ago and never written (refused all that time): dropped, and said as
            // stored writes found too old are.
            crate::services::session::storage_notice(
                adapter,
                crate::services::outbox::StorageNotice::Expired(report.expired.len()),
            );
        }
        for ticket in &report.screen_pops {
            route_to_ticket(*ticket);
        }
        for key in &report.completed {
            // A call's first job written after it waited for access: logged now.
            if let Some(first) = JobKey::parse(key).filter(JobKey::is_first) {
                adapter.call.update(|c| {
                    if let Some(c) = c
                        .as_mut()
                        .filter(|c| c.id == Some(first.call) && c.logging == Logging::Waiting)
                    {
                        c.logging = Logging::Working;
                    }
                });
            }
        }
        if report.access_back && report.paused.is_empty() {
            // The banner that said the updates wait for access goes, once one is written.
            let many = adapter.word(Label::WritesWaitRefusedMany);
            let waiting = [
                adapter.word(Label::WritesWaitRefused),
                adapter.word(Label::WritesWaitForAccess),
            ];
            if adapter.banner.with_untracked(|b| {
                b.as_ref()
                    .and_then(|b| b.detail.as_ref())
                    .is_some_and(|d| waiting.contains(d) || domain::labels::fills_count(&many, d))
            }) {
                adapter.banner.set(None);
            }
        }
        for (key, error) in &report.paused {
            // A call's first job waits: the in-call screen says it is not logged yet.
            if let Some(first) = JobKey::parse(key).filter(JobKey::is_first) {
                adapter.set_logging(first.call, Logging::Waiting);
            }
            // Kept and tried again: the agent hears why the updates wait (a 403: this call's;
            // the others go on).
            let mut message = zendesk_message(adapter, error);
            message.detail = Some(match error {
                // Several calls refused: likely the agent's role or groups, not one ticket (the
                // others are not logged meanwhile, as one call's detail says).
                crate::zendesk::ZendeskError::Forbidden if report.refused_calls > 1 => adapter
                    .fill(
                        Label::WritesWaitRefusedMany,
                        &[("n", &report.refused_calls)],
                    ),
                crate::zendesk::ZendeskError::Forbidden => adapter.word(Label::WritesWaitRefused),
                _ => adapter.word(Label::WritesWaitForAccess),
            });
            adapter.fail(message);
        }
        for (key, error) in &report.failed {
            // A call's first job refused for good: the in-call screen says it is not logged.
            if let Some(first) = JobKey::parse(key).filter(JobKey::is_first) {
                adapter.set_logging(first.call, Logging::Failed);
            }
            let message = zendesk_message(adapter, error);
            notify_error(&message.text);
            adapter.fail(message);
        }
        if let Some(at) = report.wake_at_ms {
            sleep((at - now_ms()).clamp(50, 300_000) as i32).await;
            run_outbox(adapter, b);
        }
    });
}
