//! Recent, Voicemail and calls back, in the browser: the agent's history read a page at a time
//! from the platform (the names from the CRM cache, or one batched Zendesk read for those it
//! lacks), the voicemails kept in step with the platform's events, what the agent does with a
//! voicemail written once on its ticket through the outbox (UPD-15), and a call back placed with
//! what it calls back (UPD-5, UPD-6).

use crate::{
    platform::{PlatformError, PlatformEvent},
    services::{
        calls,
        crm::merge,
        events::replay_early,
        host::{backend, fail_platform, now_ms, sleep, told_if_ended, Backend},
        journal::enqueue_on,
        live::{ActiveCall, Adapter, Screen},
        messages,
    },
};
use domain::{
    call::{CallTicket, JobKey},
    comments::VoicemailAction,
    crm::CrmState,
    dial::{ContactPlan, DialPlan, TicketPlan},
    history::{append_page, merge_voicemail, names_to_fetch, CallbackOf},
    labels::Label,
    rules::Event,
};
use leptos::prelude::*;
use std::rc::Rc;

/// How far back Recent looks.
pub(crate) const HISTORY_DAYS: i64 = 3;

/// Calls per page of Recent: five screens of the popover, drawn in one frame or two.
pub(crate) const PAGE: u32 = 25;

/// How long a "Hang up and call back" waits for the end of the call on screen before it places
/// the new one anyway (the end is then logged by the resume, as for any call not on screen).
const END_WAIT_MS: i64 = 3_000;

/// The text of a platform failure, in the agent's language; a session that ended signs out.
fn failure(adapter: Adapter, e: &PlatformError, label: Label) -> String {
    if *e == PlatformError::SignedOut {
        fail_platform(adapter, e);
    }
    let said = adapter
        .catalogue
        .with_untracked(|c| messages::platform(e, c));
    // With what the platform said (its status, its reason) in the sentence.
    format!("{} {}", adapter.word(label), said.sentence())
}

/// True when a list read that failed with `e` is tried again by itself: the platform could
/// not be reached, or answered with a server error or a 429. A refusal would be refused again.
fn tried_again_by_itself(e: &PlatformError) -> bool {
    e.may_pass_if_asked_again()
}

/// After a list read failed (its error and Try again on screen; `failed`: its attempt, 0 for a
/// read the agent asked for), the read made again by itself (`read`, given its attempt) after
/// 1 s, doubling to 30 s, while the list's screen is open, the same agent signed in and the
/// list still failed with nothing read meanwhile (`attempts`: the list's count of reads tried
/// again while its read is failed and none is under way, else `None`; a Try again, or another
/// read, changes it).
fn again_by_itself(
    adapter: Adapter,
    b: &Rc<Backend>,
    session: &Option<String>,
    screen: Screen,
    attempts: impl Fn() -> Option<u32> + 'static,
    failed: u32,
    read: impl FnOnce(u32) + 'static,
) {
    let (b, session) = (b.clone(), session.clone());
    let attempt = failed + 1;
    leptos::task::spawn_local(async move {
        let wait = domain::batch::lookup_retry_delay_ms(attempt, js_sys::Math::random());
        sleep(i32::try_from(wait).unwrap_or(i32::MAX)).await;
        let on_screen = adapter.screen.with_untracked(|s| *s == screen);
        if on_screen && b.platform.still(&session) && attempts() == Some(failed) {
            read(attempt);
        }
    });
}

/// Reads the first page of the history again (what was listed stays until it answers), or
/// the next page (`more`): what the agent asked for (opening Recent, Show more, Try again).
pub(crate) fn load_history(adapter: Adapter, more: bool) {
    read_history(adapter, more, None);
}

/// [`load_history`]; `retry` is the attempt of a read made again by itself after a failed
/// one, which leaves the error and its Try again on screen until it answers (no flicker, and
/// the keyboard stays where it is).
fn read_history(adapter: Adapter, more: bool, retry: Option<u32>) {
    let Some(b) = backend() else { return };
    let (busy, cursor) = adapter
        .history
        .with_untracked(|h| (h.loading, h.next_cursor.clone()));
    if busy && !more {
        adapter.history.update(|h| h.again = true);
    }
    if busy || (more && cursor.is_none()) {
        return;
    }
    let cursor = if more { cursor } else { None };
    adapter.history.update(|h| {
        h.loading = true;
        h.again = h.again && more;
        match retry {
            Some(attempt) => h.retries = attempt,
            None => {
                h.failed = None;
                h.retries = 0;
                h.by_itself = false;
            }
        }
    });
    let session = b.platform.token();
    leptos::task::spawn_local(async move {
        let since = now_ms() - HISTORY_DAYS * 86_400_000;
        let answer = b.platform.history(since, PAGE, cursor.as_deref()).await;
        if !b.platform.still(&session) {
            // Signed out meanwhile (another agent may have signed in): none of it is shown,
            // and the sign-out cleared the list. A 401 that ended the session is told.
            if let Err(e) = &answer {
                told_if_ended(adapter, &b, &session, e);
            }
            return;
        }
        match answer {
            Ok(page) => {
                let calls = page.recent();
                let wanted = adapter
                    .crm
                    .with_untracked(|crm| names_to_fetch(calls.iter().map(|c| c.contact_id), crm));
                adapter.history.update(|h| {
                    if more {
                        append_page(&mut h.calls, calls);
                    } else {
                        h.calls = calls;
                    }
                    h.next_cursor = page.next_cursor;
                    h.loading = false;
                    h.loaded = true;
                    h.by_itself = h.failed.take().is_some() && retry.is_some();
                    h.retries = 0;
                });
                history_again_if_asked(adapter);
                fetch_names(adapter, &b, wanted).await;
            }
            Err(e) => {
                let text = failure(adapter, &e, Label::HistoryFailed);
                let mut retries = 0;
                adapter.history.update(|h| {
                    h.loading = false;
                    h.failed = Some(text);
                    h.failed_more = more;
                    retries = h.retries;
                });
                if tried_again_by_itself(&e) {
                    let attempts = move || {
                        adapter.history.with_untracked(|h| {
                            (h.failed.is_some() && !h.loading).then_some(h.retries)
                        })
                    };
                    let read = move |attempt| read_history(adapter, more, Some(attempt));
                    let screen = Screen::Recent;
                    again_by_itself(adapter, &b, &session, screen, attempts, retries, read);
                }
                history_again_if_asked(adapter);
            }
        }
    });
}

/// The first page, read again when it was asked for while the read that just answered was
/// under way (not behind that read's names: Zendesk may hold those back).
fn history_again_if_asked(adapter: Adapter) {
    if adapter.history.with_untracked(|h| h.again && !h.loading) {
        adapter.history.update(|h| h.again = false);
        load_history(adapter, false);
    }
}

/// The names of the listed contacts the CRM cache lacks, in one `show_many` (a page holds at
/// most 25 calls, so at most 25 contacts). A failed read leaves the numbers shown. A contact
/// Zendesk no longer has (left out of the answer) is gone: its number shows, as the agent reads
/// numbers, and it is not asked for again.
async fn fetch_names(adapter: Adapter, b: &Rc<Backend>, ids: Vec<u64>) {
    if ids.is_empty() {
        return;
    }
    if let Ok(contacts) = b.zendesk.users_many(&ids).await {
        let gone = ids
            .iter()
            .take(100)
            .filter(|id| !contacts.iter().any(|c| c.id == **id))
            .copied()
            .collect();
        adapter.crm.update(|crm| {
            merge(
                crm,
                CrmState {
                    contacts,
                    tickets: Vec::new(),
                    gone,
                },
            )
        });
    }
}

/// Reads the voicemails (at sign-in, each time the event stream reconnects, and on opening
/// Voicemail).
pub(crate) fn load_voicemails(adapter: Adapter) {
    read_voicemails(adapter, None);
}

/// [`load_voicemails`]; `retry` as in [`read_history`].
fn read_voicemails(adapter: Adapter, retry: Option<u32>) {
    let Some(b) = backend() else { return };
    if adapter.voicemails.with_untracked(|v| v.loading) {
        adapter.voicemails.update(|v| v.again = true);
        return;
    }
    adapter.voicemails.update(|v| {
        v.loading = true;
        v.again = false;
        match retry {
            Some(attempt) => v.retries = attempt,
            None => {
                v.failed = None;
                v.read_failed = false;
                v.retries = 0;
                v.by_itself = false;
            }
        }
    });
    let session = b.platform.token();
    leptos::task::spawn_local(async move {
        let answer = b.platform.voicemails().await;
        if !b.platform.still(&session) {
            // Signed out meanwhile: the sign-out cleared the voicemails. A 401 that ended the
            // session is told.
            if let Err(e) = &answer {
                told_if_ended(adapter, &b, &session, e);
            }
            return;
        }
        let again = match answer {
            Ok(list) => {
                let wanted = adapter
                    .crm
                    .with_untracked(|crm| names_to_fetch(list.iter().map(|v| v.contact_id), crm));
                let mut again = false;
                adapter.voicemails.update(|v| {
                    v.list.clear();
                    for vm in list.into_iter().chain(std::mem::take(&mut v.streamed)) {
                        merge_voicemail(&mut v.list, vm);
                    }
                    v.loading = false;
                    v.loaded = true;
                    if v.read_failed {
                        v.failed = None;
                        v.read_failed = false;
                        v.by_itself = retry.is_some();
                    }
                    v.retries = 0;
                    again = std::mem::take(&mut v.again);
                });
                // Read again first, not behind the names (Zendesk may hold those back).
                if again {
                    load_voicemails(adapter);
                }
                fetch_names(adapter, &b, wanted).await;
                false
            }
            Err(e) => {
                let text = failure(adapter, &e, Label::VoicemailsFailed);
                let (mut again, mut retries) = (false, 0);
                adapter.voicemails.update(|v| {
                    v.loading = false;
                    v.streamed.clear();
                    v.failed = Some(text);
                    v.read_failed = true;
                    again = std::mem::take(&mut v.again);
                    retries = v.retries;
                });
                if tried_again_by_itself(&e) && !again {
                    let attempts = move || {
                        adapter
                            .voicemails
                            .with_untracked(|v| (v.read_failed && !v.loading).then_some(v.retries))
                    };
                    let read = move |attempt| read_voicemails(adapter, Some(attempt));
                    let screen = Screen::Voicemail;
                    again_by_itself(adapter, &b, &session, screen, attempts, retries, read);
                }
                again
            }
        };
        if again {
            load_voicemails(adapter);
        }
    });
}

/// A voicemail event of the platform's stream: the list (and the unread count) follows. True
/// when `event` was one.
pub(crate) fn on_voicemail_event(adapter: Adapter, event: &PlatformEvent) -> bool {
    let vm = match event {
        PlatformEvent::VoicemailCreated { voicemail }
        | PlatformEvent::VoicemailUpdated { voicemail } => voicemail.clone(),
        _ => return false,
    };
    adapter.voicemails.update(|v| {
        if v.loading {
            v.streamed.push(vm.clone());
        }
        merge_voicemail(&mut v.list, vm);
    });
    true
}

/// Writes what the agent did with voicemail `id` on its ticket, once (UPD-15): the job's key
/// names the voicemail and the action, so a repeat is not written again.
fn write_handled(adapter: Adapter, b: &Rc<Backend>, id: u64, ticket: u64, action: VoicemailAction) {
    let agent_name = b.agent_zendesk.name.clone();
    enqueue_on(
        adapter,
        b,
        JobKey::voicemail(id, action),
        CallTicket::Known(ticket),
        move |ticket_id| Event::VoicemailHandled {
            ticket_id,
            action,
            agent_name,
        },
    );
}

thread_local! {
    /// The voicemail actions this page has sent and not had an answer to.
    static IN_FLIGHT: std::cell::RefCell<Vec<(u64, VoicemailAction)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Marks voicemail `id` read or closes it on the platform, then writes it on its ticket.
pub(crate) fn voicemail_action(adapter: Adapter, id: u64, action: VoicemailAction) {
    let Some(b) = backend() else {
        adapter.voicemails.update(|v| v.busy.retain(|x| *x != id));
        return;
    };
    leptos::task::spawn_local(act_on_voicemail(adapter, b, id, action, true));
}

/// Finishes the voicemail actions a page of the agent's sent and never heard the answer to (a
/// reload, a tab closed while the platform was answering): sent again (the platform takes a
/// repeat as one), and written on the ticket once. Called when this page takes over what the
/// agent's pages left (`session::adopt_orphans`).
pub(crate) fn finish_voicemail_actions(adapter: Adapter, b: &Rc<Backend>) {
    for (id, action) in b.intended_voicemail_actions() {
        let sent_here = IN_FLIGHT.with(|f| f.borrow().contains(&(id, action)));
        if !sent_here && matches!(action, VoicemailAction::Read | VoicemailAction::Closed) {
            leptos::task::spawn_local(act_on_voicemail(adapter, b.clone(), id, action, false));
        }
    }
}

/// [`voicemail_action`]; `pressed`: the agent pressed it on this page (the Voicemail screen
/// shows its progress and its failure), else it is one a page left to finish.
async fn act_on_voicemail(
    adapter: Adapter,
    b: Rc<Backend>,
    id: u64,
    action: VoicemailAction,
    pressed: bool,
) {
    let key = JobKey::voicemail(id, action);
    // Kept with the outbox until its note is queued: a reload before the platform answers
    // leaves the page that comes back the action to finish (the platform may have done it).
    b.intend(key, None);
    IN_FLIGHT.with(|f| f.borrow_mut().push((id, action)));
    let answer = b.platform.voicemail_action(id, action).await;
    IN_FLIGHT.with(|f| f.borrow_mut().retain(|x| *x != (id, action)));
    if pressed {
        adapter.voicemails.update(|v| v.busy.retain(|x| *x != id));
    }
    match answer {
        Ok(vm) => {
            if let Some(ticket) = vm.ticket_id {
                write_handled(adapter, &b, id, ticket, action);
            }
            b.forget_intent(key);
            adapter.voicemails.update(|v| {
                // Done, by this press or by a try after one that got no answer (which said
                // so): what it said is over.
                v.failed = None;
                merge_voicemail(&mut v.list, vm);
            });
        }
        Err(e) => {
            // No answer (the network, or the page going away: a reload cuts the request
            // short, and the platform may have done it): left to finish, tried again at the
            // next takeover (every 2 s), as one a page left is while the platform cannot
            // answer. An answer that it failed is the agent's to press again if they still
            // mean it.
            let unknown = matches!(e, PlatformError::Unreachable(_))
                || (!pressed && matches!(e, PlatformError::Server(_)));
            if !unknown {
                b.forget_intent(key);
            }
            if pressed {
                let text = failure(adapter, &e, Label::VoicemailActionFailed);
                adapter.voicemails.update(|v| {
                    v.failed = Some(text);
                    v.read_failed = false;
                });
            }
        }
    }
}

/// Places a call back: after hanging up `hang_up_first` (UPD-5) and waiting for its end to be
/// on screen; then like a call from the dial screen, with what it calls back. A voicemail
/// called back is written on its ticket once the call is placed (UPD-15).
pub(crate) fn place_callback(
    adapter: Adapter,
    plan: DialPlan,
    of: CallbackOf,
    hang_up_first: Option<u64>,
) {
    let Some(b) = backend() else { return };
    // The voicemail's own ticket takes the note (UPD-15) wherever the call is logged: on it, or
    // on a new ticket (SET-11, OQ-29). Read now, while the pressed row is on the list.
    let noted = match of {
        CallbackOf::Voicemail(vm) => adapter
            .voicemails
            .with_untracked(|v| v.list.iter().find(|x| x.id == vm).and_then(|x| x.ticket_id)),
        CallbackOf::Call(_) => None,
    };
    leptos::task::spawn_local(async move {
        if let Some(old) = hang_up_first {
            // Hung up by the agent, as Hang up would: the screen says so, and the end that
            // follows is theirs (not "No answer").
            let hanging_up = move |on: bool| {
                adapter.call.update(|c| {
                    if let Some(c) = c.as_mut().filter(|c| c.id == Some(old)) {
                        c.hanging_up = on;
                    }
                })
            };
            hanging_up(true);
            if let Err(e) = b.platform.hang_up(old).await {
                hanging_up(false);
                adapter.calling_back.set(None);
                fail_platform(adapter, &e);
                return;
            }
            let ended = move || {
                adapter.call.with_untracked(|c| {
                    c.as_ref()
                        .is_none_or(|c| c.id != Some(old) || !ActiveCall::is_live(c))
                })
            };
            let deadline = now_ms() + END_WAIT_MS;
            while !ended() && now_ms() < deadline {
                sleep(50).await;
            }
            adapter.show_placed(plan.clone());
        }
        let ticket = match plan.ticket {
            TicketPlan::Existing { id } => Some(id),
            _ => None,
        };
        // The ticket as it is now, when the cache does not hold it (a voicemail's, usually): the
        // call's first write checks it is still open before appending (the collision check),
        // else logs the call on a new ticket of its requester instead of reopening it (OQ-29).
        if let Some(id) =
            ticket.filter(|id| adapter.crm.with_untracked(|c| c.ticket(*id).is_none()))
        {
            if let Ok(t) = b.zendesk.ticket(id).await {
                adapter.crm.update(|crm| {
                    merge(
                        crm,
                        CrmState {
                            contacts: Vec::new(),
                            tickets: vec![t],
                            gone: Vec::new(),
                        },
                    )
                });
            }
        }
        // OQ-29: a ticket no longer open is not appended to (nor reopened): the call is logged
        // on a new ticket of its requester, as a call with no ticket to append to would be.
        let mut plan = plan;
        let closed = ticket.and_then(|id| {
            adapter.crm.with_untracked(|crm| {
                crm.ticket(id)
                    .filter(|t| !t.status.is_open_set())
                    .map(|t| t.requester_id)
            })
        });
        if let Some(requester) = closed {
            plan.ticket = TicketPlan::New;
            if plan.contact == ContactPlan::None {
                plan.contact = ContactPlan::Existing { id: requester };
            }
            adapter.call.update(|c| {
                if let Some(c) = c.as_mut().filter(|c| c.id.is_none()) {
                    c.plan = plan.clone();
                }
            });
        }
        // The voicemail's own ticket takes the note that it was called back (UPD-15), open or not:
        // a comment does not reopen it.
        let noted = noted.or(ticket);
        calls::place_as(adapter, plan, Some(of), move || {
            replay_early(adapter);
            if let (CallbackOf::Voicemail(vm), Some(ticket), Some(b)) = (of, noted, backend()) {
                write_handled(adapter, &b, vm, ticket, VoicemailAction::CalledBack);
            }
        });
    });
}
