//! Customer chats beside calls: the offer, the conversation, the end, and Zendesk kept in step
//! by the ticket rules (TICKET-1 … TICKET-5, CONTACT-3, CONTACT-4, UPD-1, SET-11, SET-15,
//! AGENT-2): the contact found or created and the ticket created or appended when the agent
//! takes the chat (job `{chat}.chat`), the transcript written once when it ends
//! (`{chat}.chat-end`). Both go through the outbox, so a reload or a failure loses nothing and
//! writes nothing twice; a reload takes the agent's chats up again from the platform.

use crate::{
    platform::{PlatformError, PlatformEvent},
    services::{
        crm::{add_tickets_of, merge},
        host::{
            backend, fail_platform, now_ms, read_to_log, sleep, zendesk_message, Backend, Working,
        },
        journal::{enqueue_for, enqueue_on, queue_writes},
        live::{Adapter, Screen},
        messages,
        zaf_host::{notify_error, show_popover},
    },
    zaf::{Invoke, NotifyKind},
    zendesk::ZendeskError,
};
use domain::{
    call::{CallPhase, CallTicket, JobKey},
    chat::{transcript, Author, Chat, ChatStatus},
    crm::CrmState,
    labels::Label,
    rules::{Action, Event, TicketRef},
};
use leptos::prelude::*;
use std::{cell::RefCell, collections::BTreeSet, rc::Rc};

thread_local! {
    /// Chats whose end is being written (its full read under way): a second end waits.
    static ENDING: RefCell<BTreeSet<u64>> = const { RefCell::new(BTreeSet::new()) };
}

/// Waits while chat `id`'s first job is being decided (its reads may wait out 429s and a
/// transfer's ticket).
async fn wait_for_first_job(id: u64) {
    // The first job is always let go when its reads end (their retries are bounded); the cap
    // is a guard only.
    for _ in 0..6_000 {
        if !Working::under_way(&JobKey::chat(id)) {
            return;
        }
        sleep(100).await;
    }
}

/// A chat event of the platform's stream, taken here; false for any other event.
pub(crate) fn on_chat_event(adapter: Adapter, event: &PlatformEvent) -> bool {
    let Some(b) = backend() else {
        return is_chat_event(event);
    };
    match event.clone() {
        PlatformEvent::ChatOffered { chat, .. } => {
            // Zendesk open in several tabs: the leading tab takes the agent's chats, as it
            // takes their calls, so each is logged once.
            if b.leader.tick(now_ms()) {
                offered(adapter, chat.into_chat());
            }
        }
        PlatformEvent::ChatMessage { chat_id, message } => {
            let on_screen = adapter.screen.get_untracked() == Screen::Chat(chat_id);
            update(adapter, chat_id, |c| {
                let customer = message.author == Author::Customer;
                if c.add_message(message) && customer {
                    c.typing = false;
                    if !on_screen {
                        c.unread += 1;
                    }
                }
            });
        }
        PlatformEvent::ChatTyping { chat_id, typing } => update(adapter, chat_id, |c| {
            c.typing = typing && c.status != ChatStatus::Ended;
        }),
        PlatformEvent::ChatEnded {
            chat_id,
            by,
            ended_at,
        } => {
            let mut ours = false;
            update(adapter, chat_id, |c| {
                ours = c.status != ChatStatus::Offered;
                c.status = ChatStatus::Ended;
                c.typing = false;
                c.ended_by = by.or(c.ended_by);
                if !ended_at.is_empty() {
                    c.ended_at = Some(ended_at.clone());
                }
            });
            adapter
                .chat_busy
                .update(|busy| busy.retain(|c| *c != chat_id));
            if ours {
                leptos::task::spawn_local(log_end(adapter, b, chat_id, None));
            }
        }
        PlatformEvent::ChatTransferred { chat_id, to } => {
            // UPD-9: the chat is another agent's now. Their adapter assigns the ticket and
            // writes the whole transcript at the end; this one stops (what it queued still goes
            // out) and the tab closes with a word of where the chat went.
            if held(adapter, chat_id).is_some() {
                drop_chat(adapter, chat_id);
                let text = format!("{} {}", adapter.word(Label::ChatTransferredAway), to.name);
                adapter.notice(text);
            }
        }
        PlatformEvent::CsatRated {
            chat_id: Some(chat_id),
            event_id,
            score,
            ..
        } => {
            // UPD-14: a chat's rating, on the chat's ticket, once.
            if (1..=5).contains(&score) {
                leptos::task::spawn_local(async move {
                    // Rated while the chat's first job is being decided: it waits for it.
                    wait_for_first_job(chat_id).await;
                    if let Some(ticket) = ticket_of_chat(adapter, &b, chat_id) {
                        let key = JobKey::event(chat_id, event_id);
                        let chat = JobKey::chat(chat_id);
                        enqueue_for(adapter, &b, key, chat, ticket, move |ticket_id| {
                            Event::CsatRated { ticket_id, score }
                        });
                    }
                });
            }
        }
        _ => return false,
    }
    true
}

/// True for the events this module takes.
fn is_chat_event(event: &PlatformEvent) -> bool {
    matches!(
        event,
        PlatformEvent::ChatOffered { .. }
            | PlatformEvent::ChatMessage { .. }
            | PlatformEvent::ChatTyping { .. }
            | PlatformEvent::ChatEnded { .. }
            | PlatformEvent::ChatTransferred { .. }
            | PlatformEvent::CsatRated {
                chat_id: Some(_),
                ..
            }
    )
}

/// Changes chat `id` as the agent holds it (nothing when it is not held).
fn update(adapter: Adapter, id: u64, f: impl FnOnce(&mut Chat)) {
    adapter.chats.update(|all| {
        if let Some(c) = all.iter_mut().find(|c| c.id == id) {
            f(c)
        }
    });
}

/// The chat as held now.
fn held(adapter: Adapter, id: u64) -> Option<Chat> {
    adapter
        .chats
        .with_untracked(|all| all.iter().find(|c| c.id == id).cloned())
}

/// Keeps `chat` (a chat held already takes what the platform now says of it).
fn hold(adapter: Adapter, mut chat: Chat) {
    if held(adapter, chat.id).is_none() {
        // Taken up after a reload: what the agent had not seen of it before, and what came
        // while the page was away, is unread (not on screen: the chat shown clears it).
        if let Some(seen) = SEEN_BEFORE.with(|s| {
            let mut s = s.borrow_mut();
            let at = s.iter().position(|(id, _)| *id == chat.id)?;
            Some(s.swap_remove(at).1)
        }) {
            chat.unread = chat.unread_after(seen);
        }
    }
    adapter
        .chats
        .update(|all| match all.iter_mut().find(|c| c.id == chat.id) {
            Some(c) => c.refresh(chat),
            None => all.push(chat),
        });
}

thread_local! {
    /// What the agent had seen of each chat before a reload ([`seen_before`]), until the chat
    /// is taken up again.
    static SEEN_BEFORE: std::cell::RefCell<Vec<(u64, u64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What the agent had seen of their chats before a reload (`dial_draft::load_chats_seen`): the
/// chats taken up again count the rest unread.
pub(crate) fn seen_before(seen: Vec<(u64, u64)>) {
    SEEN_BEFORE.with(|s| *s.borrow_mut() = seen);
}

/// A chat offered to the agent: its tab, the popover opened, Zendesk's notification; it shows
/// at once unless the agent is on a call or in another chat (then its tab says so).
fn offered(adapter: Adapter, chat: Chat) {
    if chat.status != ChatStatus::Offered {
        hold(adapter, chat);
        return;
    }
    let id = chat.id;
    let fresh = held(adapter, id).is_none();
    let who = adapter.catalogue.with_untracked(|cat| chat.who(cat));
    hold(adapter, chat);
    if !fresh {
        return;
    }
    // The offer takes the screen only from an agent at rest: not on a call, not in a chat, not
    // typing a number (their next Enter must not take a chat they have not seen).
    let busy = adapter
        .call
        .with_untracked(|c| c.as_ref().is_some_and(|c| c.phase != CallPhase::Ended))
        || match adapter.screen.get_untracked() {
            Screen::Chat(other) => {
                other != id && held(adapter, other).is_some_and(|c| c.status == ChatStatus::Active)
            }
            Screen::Dial => adapter
                .dial
                .with_untracked(|d| d.as_ref().is_some_and(|d| !d.buffer().is_empty())),
            Screen::SignIn | Screen::Booting | Screen::Background | Screen::Unavailable(_) => true,
            _ => false,
        };
    if busy {
        update(adapter, id, |c| c.unread = c.unread.max(1));
    } else {
        adapter.open_chat(id);
    }
    show_popover();
    // Zendesk's notification names who; what they wrote stays in the adapter, where it is
    // shown as text.
    let text = format!("{}: {who}", adapter.word(Label::NewChat));
    if let Some(b) = backend() {
        let notice = Invoke::Notify {
            message: text,
            kind: NotifyKind::Notice,
        };
        leptos::task::spawn_local(async move {
            let _ = b.zaf.invoke(&notice).await;
        });
    }
}

/// The agent took (`accept`) or refused the chat offered.
pub(crate) fn answer(adapter: Adapter, id: u64, accept: bool) {
    let Some(b) = backend() else { return };
    leptos::task::spawn_local(async move {
        let result = if accept {
            retried(|| b.platform.accept_chat(id))
                .await
                .map(|info| Some(info.into_chat()))
        } else {
            retried(|| b.platform.decline_chat(id)).await.map(|()| None)
        };
        adapter.chat_busy.update(|busy| busy.retain(|c| *c != id));
        match result {
            Ok(Some(chat)) => {
                // Taken; the customer may have left while the answer came (the end is kept).
                hold(adapter, chat);
                let mut ended = false;
                update(adapter, id, |c| {
                    if c.status == ChatStatus::Ended {
                        ended = true;
                    } else {
                        c.status = ChatStatus::Active;
                    }
                });
                log_chat(adapter, b.clone(), id, None).await;
                if ended {
                    log_end(adapter, b, id, None).await;
                }
            }
            Ok(None) => {
                gone_from_reads(&b, id);
                drop_chat(adapter, id);
            }
            Err(PlatformError::Refused(_)) => {
                // Taken by another agent, ended by the customer, or transferred meanwhile.
                gone_from_reads(&b, id);
                drop_chat(adapter, id);
                adapter.notice(adapter.word(Label::ChatTakenElsewhere));
            }
            Err(e) => fail_platform(adapter, &e),
        }
    });
}

/// The offer `id` is no longer the agent's (declined, or refused as taken elsewhere): a read of
/// the chats sent before that, answered after, must not bring it back (the latest 32 kept).
fn gone_from_reads(b: &Backend, id: u64) {
    let mut declined = b.declined.borrow_mut();
    declined.push_back((id, b.chat_reads.get()));
    if declined.len() > 32 {
        declined.pop_front();
    }
}

/// The chat is no longer the agent's: its tab goes, and the phone (or the next chat) shows.
fn drop_chat(adapter: Adapter, id: u64) {
    adapter.chats.update(|all| all.retain(|c| c.id != id));
    adapter.set_draft(id, String::new());
    if adapter.screen.get_untracked() == Screen::Chat(id) {
        match adapter.chats.with_untracked(|c| c.first().map(|c| c.id)) {
            Some(next) => adapter.open_chat(next),
            None => adapter.open_phone(),
        }
    }
}

/// What the stream did not say while it was down (or before a reload), told by a read of the
/// agent's chats: a chat this page held as the read left, and that nothing has changed since,
/// went elsewhere. Not listed any more, it is another agent's (transferred away, or an offer
/// given to someone else): its tab closes, with a word (what it queued still goes out).
/// Listed as offered where it was active, it went away and came back: it is offered again (the
/// platform waits for Accept), as a fresh offer, the agent's unsent text kept.
fn gone_while_away(adapter: Adapter, before: &[(u64, ChatStatus)], listed: &[Chat]) {
    for &(id, status) in before {
        let Some(held_now) = held(adapter, id).filter(|c| c.status == status) else {
            // Gone meanwhile, or the stream said more since: that stands.
            continue;
        };
        match listed.iter().find(|c| c.id == id) {
            None if status == ChatStatus::Offered => {
                drop_chat(adapter, id);
                adapter.notice(adapter.word(Label::ChatTakenElsewhere));
            }
            None => {
                drop_chat(adapter, id);
                let who = adapter.catalogue.with_untracked(|cat| held_now.who(cat));
                let text = format!("{}: {who}", adapter.word(Label::ChatGoneWhileAway));
                adapter.notice(text);
            }
            Some(c) if status == ChatStatus::Active && c.status == ChatStatus::Offered => {
                // Not `drop_chat`: the agent's unsent text stays for when they accept again.
                adapter.chats.update(|all| all.retain(|c| c.id != id));
            }
            Some(_) => {}
        }
    }
}

/// A platform request tried again (after 1 s, then 2 s) while the platform cannot be reached.
async fn retried<T, F, Fut>(request: F) -> Result<T, PlatformError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, PlatformError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match request().await {
            Err(e) if e.may_pass_if_asked_again() && attempt < 3 => sleep(attempt * 1_000).await,
            other => return other,
        }
    }
}

/// Sends the agent's message (the same client id sent again is the same message): confirmed,
/// it joins the conversation; failed, it stays on screen with the reason and "Send again".
pub(crate) fn send(adapter: Adapter, id: u64, client_id: String, text: String) {
    let Some(b) = backend() else { return };
    leptos::task::spawn_local(async move {
        match retried(|| b.platform.send_chat_message(id, &text, &client_id)).await {
            Ok(message) => update(adapter, id, |c| {
                c.add_message(message);
            }),
            Err(PlatformError::SignedOut) => fail_platform(adapter, &PlatformError::SignedOut),
            Err(e) => {
                let why = adapter
                    .catalogue
                    .with_untracked(|c| messages::platform(&e, c))
                    .text;
                update(adapter, id, |c| {
                    if let Some(o) = c.outgoing.iter_mut().find(|o| o.client_id == client_id) {
                        o.failed = Some(why);
                    }
                });
            }
        }
    });
}

/// Tells the customer whether the agent types (best effort: a lost one changes nothing).
pub(crate) fn typing(adapter: Adapter, id: u64, typing: bool) {
    let Some(b) = backend() else { return };
    let _ = adapter;
    leptos::task::spawn_local(async move {
        let _ = b.platform.chat_typing(id, typing).await;
    });
}

/// The agent ends the chat; its transcript is written once it has ended.
pub(crate) fn end(adapter: Adapter, id: u64) {
    let Some(b) = backend() else { return };
    leptos::task::spawn_local(async move {
        let result = retried(|| b.platform.end_chat(id)).await;
        adapter.chat_busy.update(|busy| busy.retain(|c| *c != id));
        match result {
            Ok(info) => {
                hold(adapter, info.into_chat());
                update(adapter, id, |c| c.status = ChatStatus::Ended);
                log_end(adapter, b, id, None).await;
            }
            Err(e) => fail_platform(adapter, &e),
        }
    });
}

/// The ticket chat `id` is logged on, when this adapter logs it.
fn ticket_of_chat(adapter: Adapter, b: &Rc<Backend>, id: u64) -> Option<CallTicket> {
    if let Some(t) = held(adapter, id).and_then(|c| c.ticket_id) {
        return Some(CallTicket::Known(t));
    }
    let outbox = b.outbox.borrow().clone()?;
    let first = JobKey::chat(id);
    let key = first.to_string();
    outbox.knows(&key).then(|| match outbox.created_by(&key) {
        Some(t) => CallTicket::Known(t),
        None => CallTicket::Pending(first),
    })
}

/// The chat's first job (TICKET-1 … TICKET-5, CONTACT-3, CONTACT-4, UPD-1): the contact the
/// SDK names is read (by identifier, else email) with their tickets, then the rules decide on
/// what Zendesk holds (a failed read is tried again, never taken as "no contact"), and the
/// writes are queued once. The chat is the one held, else `seen` (its tab closed meanwhile, or a
/// chat that ended while no page could log it): nothing when neither.
async fn log_chat(adapter: Adapter, b: Rc<Backend>, id: u64, seen: Option<Chat>) {
    let key = JobKey::chat(id);
    let known = b
        .outbox
        .borrow()
        .as_ref()
        .is_some_and(|o| o.knows(&key.to_string()));
    if known {
        return;
    }
    // Decided once at a time: the chat's end waits for it (`wait_for_first_job`).
    let Some(working) = Working::start(key) else {
        return;
    };
    let Some(chat) = held(adapter, id).or(seen) else {
        return;
    };
    // The platform names a ticket and the chat was not transferred here: an earlier page of the
    // agent's logged it (its outbox's memory is not this page's).
    if let Some(t) = Some(&chat)
        .filter(|c| c.transferred_from.is_none())
        .and_then(|c| c.ticket_id)
    {
        update(adapter, id, |c| c.ticket_id = Some(t));
        return;
    }
    // Kept with the outbox until queued: a reload while the reads run (they may wait out a
    // rate limit) leaves the page that comes back a chat to log (`restore`), even with another
    // of the agent's tabs open. Kept on a failure too: the chat's end decides it again.
    b.intend(key, None);
    // The chat starts here: its writes keep these settings (SET-16).
    b.rules_for(key);
    let result = match transferred_ticket(adapter, &b, &chat).await {
        Some(ticket) => Ok((taken_over(adapter, &b, id, ticket), Some(ticket))),
        None => decide_chat(adapter, &b, &chat).await,
    };
    drop(working);
    match result {
        Ok((actions, existing)) => {
            if let Some(t) = existing {
                update(adapter, id, |c| c.ticket_id = Some(t));
            }
            queue_writes(adapter, &b, key, &actions, None);
            b.forget_intent(key);
            if let Some(t) = existing {
                report_ticket(&b, id, t);
            }
            adapter.chat_logged(id);
        }
        Err(e) => {
            let why = zendesk_message(adapter, &e);
            let text = adapter.word(Label::ErrChatNotLogged);
            notify_error(&format!("{text}: {}", why.text));
            adapter.fail_chat(
                id,
                messages::Message {
                    text,
                    detail: Some(why.text),
                },
            );
        }
    }
}

/// How long a transfer's receiver waits for the sender to name the chat's ticket.
const TICKET_WAIT_MS: i32 = 30_000;

/// The ticket of a chat transferred to this agent, named by the adapter that logged it (asked
/// again for up to [`TICKET_WAIT_MS`] while the sender's first write is not done); None for a
/// chat that was not transferred, or whose ticket is not named in time (the rules decide then).
async fn transferred_ticket(adapter: Adapter, b: &Rc<Backend>, chat: &Chat) -> Option<u64> {
    let id = chat.id;
    chat.transferred_from.as_ref()?;
    if let Some(t) = chat.ticket_id {
        return Some(t);
    }
    let mut waited = 0;
    while waited < TICKET_WAIT_MS {
        sleep(1_000).await;
        waited += 1_000;
        if let Ok(Some(t)) = b.platform.chat(id).await.map(|c| c.ticket_id) {
            update(adapter, id, |c| c.ticket_id = Some(t));
            return Some(t);
        }
    }
    None
}

/// UPD-9: a chat transferred to this agent: its ticket is assigned to them with the
/// transfer's comment, and shown.
fn taken_over(adapter: Adapter, b: &Rc<Backend>, id: u64, ticket: u64) -> Vec<Action> {
    let agent_name = adapter
        .agent_name
        .get_untracked()
        .unwrap_or_else(|| adapter.word(Label::You));
    let event = Event::Transferred {
        ticket_id: ticket,
        agent_id: b.agent_zendesk.id,
        agent_name,
    };
    let mut actions = crate::services::journal::decide_on(adapter, b, JobKey::chat(id), &event);
    actions.push(Action::ScreenPop {
        ticket: TicketRef::Existing(ticket),
        agent_id: b.agent_zendesk.id,
    });
    actions
}

/// Tells the platform the ticket chat `id` is logged on (a transfer's receiver writes on it);
/// tried again while the platform cannot be reached, as a call's is (three tries in three
/// seconds gave up on a platform down for a moment: the receiver then decided alone).
pub(crate) fn report_ticket(b: &Rc<Backend>, id: u64, ticket: u64) {
    let b = b.clone();
    crate::services::journal::report_until_taken(&b.clone(), move || {
        let b = b.clone();
        async move { b.platform.report_chat_ticket(id, ticket).await }
    });
}

/// What the rules write for `chat` taken by the agent, and the existing ticket it appends to,
/// if any. Its reads are tried again for up to two minutes
/// ([`ZendeskError::logging_read_wait_ms`]).
async fn decide_chat(
    adapter: Adapter,
    b: &Rc<Backend>,
    chat: &Chat,
) -> Result<(Vec<Action>, Option<u64>), ZendeskError> {
    let session = chat.session();
    let found = read_to_log(|| read_contact(b, &session.email, &session.external_id)).await?;
    adapter.crm.update(|crm| merge(crm, found));
    if crate::services::fields::needed(b) {
        let _ = crate::services::fields::account_fields(b).await;
    }
    let rules = b.rules_for(JobKey::chat(chat.id));
    let decide_for = |chosen: Option<u64>| {
        let event = Event::Assigned {
            session: session.clone(),
            agent_id: b.agent_zendesk.id,
            chosen_contact: chosen,
        };
        crate::services::journal::decide_with(adapter, &rules, &event)
    };
    let mut actions = decide_for(None);
    // Several contacts named by the SDK's parameters: the first the rules list (no agent pick
    // for a chat).
    let ask = actions.iter().find_map(|a| match a {
        Action::AskContact { contact_ids } => contact_ids.first().copied(),
        _ => None,
    });
    if let Some(first) = ask {
        actions = decide_for(Some(first));
    }
    let existing = actions.iter().find_map(|a| match a {
        Action::AddComment {
            ticket: TicketRef::Existing(t),
            ..
        } => Some(*t),
        _ => None,
    });
    Ok((actions, existing))
}

/// The contacts an SDK chat names and their tickets, as CRM data.
async fn read_contact(
    b: &Rc<Backend>,
    email: &Option<String>,
    external_id: &Option<String>,
) -> Result<CrmState, ZendeskError> {
    let mut crm = CrmState::default();
    if email.is_none() && external_id.is_none() {
        return Ok(crm);
    }
    let contacts = b
        .zendesk
        .users_by_sdk(email.as_deref(), external_id.as_deref())
        .await?;
    for c in contacts.iter().take(3) {
        add_tickets_of(&b.zendesk, &mut crm, c.id).await?;
    }
    crm.contacts = contacts;
    Ok(crm)
}

/// The chat's end: the whole conversation read from the platform (a message missed during a
/// reload is in it), then the transcript queued once on the chat's ticket. The chat is the one
/// held, else `seen` (one that ended while no page could log it).
async fn log_end(adapter: Adapter, b: Rc<Backend>, id: u64, seen: Option<Chat>) {
    let end_key = JobKey::chat_ended(id).to_string();
    let knows = |key: &str| b.outbox.borrow().as_ref().is_some_and(|o| o.knows(key));
    if knows(&end_key) || !ENDING.with(|e| e.borrow_mut().insert(id)) {
        return;
    }
    // The chat as held now: what is written if the platform cannot be read, and what the first
    // job is decided on (the agent may close its tab meanwhile).
    let snapshot = held(adapter, id).or(seen);
    // The first job first: being decided, it is waited for; never decided (its reads failed),
    // it is decided now, on the chat as it was if its tab is closed (and waited for again, as
    // another decision may have started in between).
    wait_for_first_job(id).await;
    if !knows(&JobKey::chat(id).to_string()) {
        log_chat(adapter, b.clone(), id, snapshot.clone()).await;
        wait_for_first_job(id).await;
    }
    let chat = match retried(|| b.platform.chat(id)).await {
        Ok(info) => {
            let mut fresh = info.into_chat();
            fresh.status = ChatStatus::Ended;
            // What the agent holds (the ticket, their side) joins what the platform says; a tab
            // closed meanwhile is not opened again.
            if let Some(mut held_now) = held(adapter, id).or(snapshot) {
                held_now.refresh(fresh);
                if held(adapter, id).is_some() {
                    hold(adapter, held_now.clone());
                }
                Some(held_now)
            } else {
                Some(fresh)
            }
        }
        Err(_) => held(adapter, id).or(snapshot),
    };
    ENDING.with(|e| e.borrow_mut().remove(&id));
    let ticket = chat
        .as_ref()
        .and_then(|c| c.ticket_id)
        .map(CallTicket::Known)
        .or_else(|| ticket_of_chat(adapter, &b, id));
    let (Some(chat), Some(ticket)) = (chat, ticket) else {
        return;
    };
    let agent = adapter
        .agent_name
        .get_untracked()
        .unwrap_or_else(|| adapter.word(Label::You));
    let text = adapter
        .catalogue
        .with_untracked(|cat| transcript(cat, &chat, &agent));
    let session = chat.session();
    enqueue_on(
        adapter,
        &b,
        JobKey::chat_ended(id),
        ticket,
        move |ticket_id| Event::ChatEnded {
            session,
            ticket_id,
            transcript: text,
        },
    );
}

/// True for a chat the agent took that no page of theirs logged: the platform names no ticket
/// for it (the page that logs a chat names one), it was not transferred here (the sender names
/// its ticket), and no other tab of the agent is alive to be logging it. This page has taken over
/// what the tabs gone left (before its event stream connects), so a first job queued by the page
/// that took the chat would be known here.
fn never_logged(b: &Rc<Backend>, chat: &Chat) -> bool {
    chat.accepted_at.is_some()
        && chat.ticket_id.is_none()
        && chat.transferred_from.is_none()
        && !b.leader.others_alive(now_ms())
}

thread_local! {
    /// The chat that was on screen before a reload, to show again once the chats are read, and
    /// when the page began.
    static COME_BACK_TO: std::cell::Cell<Option<(u64, i64)>> = const { std::cell::Cell::new(None) };
}

/// How long after the page began the chat it comes back to may still take the screen: later,
/// the agent may be at work on the keypad (a first read of the chats that failed, and a later
/// one that succeeded), and a chat taking the screen would take their keys.
const COME_BACK_WITHIN_MS: i64 = 10_000;

/// Shows chat `id` again once the chats are read (the chat on screen before a reload).
pub(crate) fn come_back_to(id: Option<u64>) {
    let now = crate::services::host::now_ms();
    COME_BACK_TO.with(|c| c.set(id.map(|id| (id, now))));
}

/// The agent's chats taken up again (each time the event stream connects, so after a reload):
/// offered and active ones shown, an active one not logged yet logged, one that ended while
/// the page was away has its transcript written once.
pub(crate) fn restore(adapter: Adapter, all: bool) {
    // `all` after a takeover; after a load, until a first read as the leader succeeds.
    let Some(b) = backend() else { return };
    leptos::task::spawn_local(async move {
        // The leading tab takes the chats up; a page that just loaded leads once the lease of
        // the page it replaces is given up or runs out.
        if !crate::services::host::lead_within_lease(&b).await {
            return;
        }
        let session = b.platform.token();
        let read = b.chat_reads.get() + 1;
        b.chat_reads.set(read);
        // The chats this page holds as the read leaves, and how.
        let before: Vec<(u64, ChatStatus)> = adapter.chats.with_untracked(|all| {
            all.iter()
                .filter(|c| c.status != ChatStatus::Ended)
                .map(|c| (c.id, c.status))
                .collect()
        });
        let list = match retried(|| b.platform.chats()).await {
            Ok(list) => list,
            Err(e) => {
                // A 401 that ended the session is told, as for any request.
                crate::services::host::told_if_ended(adapter, &b, &session, &e);
                return;
            }
        };
        if !b.platform.still(&session) {
            // Signed out meanwhile: the next sign-in takes its own chats up.
            return;
        }
        let all = all || !b.chats_restored.replace(true);
        let knows = |key: &str| b.outbox.borrow().as_ref().is_some_and(|o| o.knows(key));
        let chats: Vec<Chat> = list.into_iter().map(|info| info.into_chat()).collect();
        gone_while_away(adapter, &before, &chats);
        for chat in chats {
            let id = chat.id;
            // On a reconnect, only the chats this page holds (and new offers): a chat another
            // of the agent's tabs holds is that tab's to write.
            if !all && held(adapter, id).is_none() && chat.status != ChatStatus::Offered {
                continue;
            }
            // Declined after this read was sent: the offer is no longer the agent's.
            if chat.status == ChatStatus::Offered
                && b.declined
                    .borrow()
                    .iter()
                    .any(|&(c, at)| c == id && at >= read)
            {
                continue;
            }
            match chat.status {
                ChatStatus::Offered => offered(adapter, chat),
                ChatStatus::Active => {
                    hold(adapter, chat);
                    if !knows(&JobKey::chat(id).to_string()) {
                        // Its own task: its reads may wait out a rate limit, and the chats
                        // listed after it show meanwhile.
                        leptos::task::spawn_local(log_chat(adapter, b.clone(), id, None));
                    }
                }
                ChatStatus::Ended => {
                    // Ended while the page was away: its transcript written once, when this
                    // page's outbox logged it (a chat logged by a page whose memory this page
                    // does not have is that page's: writing it here could write it twice)...
                    let logged = knows(&JobKey::chat(id).to_string());
                    let written = knows(&JobKey::chat_ended(id).to_string());
                    let unwritten = logged && !written;
                    // ...or when no page logged it: the page that took it went away (a
                    // reload) while its first job was being decided.
                    // A first job a page began and never queued is known exactly (its intent,
                    // with the writes of the tabs gone); else it is judged.
                    let intended = b.intended(JobKey::chat(id)).is_some();
                    let orphaned = !logged && (intended || (all && never_logged(&b, &chat)));
                    if unwritten || held(adapter, id).is_some() {
                        hold(adapter, chat.clone());
                    }
                    if unwritten || orphaned {
                        let seen = Some(chat);
                        leptos::task::spawn_local(log_end(adapter, b.clone(), id, seen));
                    }
                }
            }
        }
        // The chat the agent was in before a reload, still theirs: shown again, unless a call
        // took the screen meanwhile (or the agent went elsewhere than the keypad).
        let back = COME_BACK_TO.with(std::cell::Cell::take);
        let now = crate::services::host::now_ms();
        if let Some((id, _)) = back.filter(|(_, at)| now - at < COME_BACK_WITHIN_MS) {
            let active = adapter.chats.with_untracked(|all| {
                all.iter()
                    .any(|c| c.id == id && c.status == ChatStatus::Active)
            });
            let at_rest = adapter.screen.get_untracked() == Screen::Dial
                && adapter
                    .call
                    .with_untracked(|c| c.as_ref().is_none_or(|c| !c.is_live()));
            if active && at_rest {
                adapter.open_chat(id);
            }
        }
    });
}
