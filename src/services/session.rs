//! The agent's platform session: sign-in (settings, team, options, the outbox), the tab lease
//! kept from then on, and adopting what other tabs of the agent left unsent.

use crate::platform::PlatformError;
use crate::services::{
    credential,
    events::connect_events,
    host::{backend, fail_platform, now_ms, sleep, Backend},
    journal::run_outbox,
    leader,
    leader::RENEW_EVERY_MS,
    live::{Adapter, Screen},
    messages,
    outbox::{Outbox, StorageNotice},
    resume::resume_calls,
};
use domain::dial::{DialContext, EntryPoint};
use domain::labels::Label;
use leptos::prelude::*;
use std::rc::Rc;

/// The agent typed in the sign-in form: the session's code and the phone metadata are fetched
/// from now, while they type, so the sign-in that follows waits for neither (on a slow link, a
/// download of some 560 KB gzip). The sign-in screen left alone fetches nothing: a Zendesk tab
/// left signed out pays for neither. Once per page; a sign-in starts both too.
pub(crate) fn sign_in_typed() {
    crate::services::session_loader::load();
    crate::services::phone_data::load();
}

/// Signs in to the platform, loads settings and options, opens the dial screen.
pub(crate) fn sign_in(adapter: Adapter, email: String, password: String, busy: RwSignal<bool>) {
    busy.set(true);
    leptos::task::spawn_local(async move {
        // Sent before the connection to Zendesk finished: wait for it (a few round trips).
        let mut waited = 0;
        let b = loop {
            if let Some(b) = backend() {
                break b;
            }
            if waited >= 10_000 || matches!(adapter.screen.get_untracked(), Screen::Unavailable(_))
            {
                busy.set(false);
                return;
            }
            sleep(50).await;
            waited += 50;
        };
        crate::services::phone_data::load_now();
        crate::services::phone_data::warm(adapter);
        crate::services::session_loader::load_now();
        let agent = b.platform.sign_in(&email, &password).await;
        start_session(adapter, b, agent).await;
        busy.set(false);
    });
}

/// After a reload: signs the agent in again with the tab's resume credential (no password),
/// showing "Connecting" meanwhile; a refused one is forgotten and the sign-in form shows.
pub(crate) fn resume_session(adapter: Adapter, b: Rc<Backend>) {
    let Some(stored) = credential::load(now_ms()) else {
        return;
    };
    adapter.screen.set(Screen::Booting);
    crate::services::phone_data::warm(adapter);
    crate::services::session_loader::load();
    leptos::task::spawn_local(async move {
        let agent = b.platform.resume(&stored.token).await;
        if agent.is_err() {
            credential::clear();
            adapter.screen.set(Screen::SignIn);
            return;
        }
        start_session(adapter, b, agent).await;
    });
}

/// Keeps the tab's resume credential fresh while the session lives (each renewal swaps it).
fn keep_resume(b: Rc<Backend>) {
    let Some(first) = b.platform.resume_credential() else {
        return;
    };
    credential::save(&first, now_ms());
    let token = b.platform.token();
    leptos::task::spawn_local(async move {
        let mut wait = credential::Stored::renew_after_ms(&first);
        loop {
            sleep(wait.min(i32::MAX as i64) as i32).await;
            // Signed out, or signed in again (which keeps its own renewal): stop.
            if b.platform.token() != token {
                return;
            }
            match b.platform.renew_resume().await {
                Ok(next) => {
                    credential::save(&next, now_ms());
                    wait = credential::Stored::renew_after_ms(&next);
                }
                Err(PlatformError::SignedOut) => return,
                Err(_) => wait = 30_000,
            }
        }
    });
}

/// Tells the agent, once, what opening the stored writes found.
pub(crate) fn storage_notice(adapter: Adapter, notice: StorageNotice) {
    let text = match notice {
        StorageNotice::SetAside => adapter.word(Label::WritesSetAside),
        StorageNotice::Expired(n) => adapter.fill(Label::WritesExpired, &[("n", &n)]),
    };
    adapter.fail(messages::Message { text, detail: None });
}

/// What follows a sign-in (password or resume): the session's code (fetched beside the sign-in)
/// reads the settings and options, then opens the outbox, the tab lease, the event stream and
/// the dial screen ([`begin`]). A refused sign-in shows at once.
async fn start_session(
    adapter: Adapter,
    b: Rc<Backend>,
    agent: Result<crate::platform::Agent, PlatformError>,
) {
    match agent {
        Ok(agent) => {
            // What the session needs from the platform's journal is read beside the settings
            // (by the session's code, once here: fetched from the first key, it nearly always
            // is): the dial screen waits for one round trip after the sign-in, not two.
            let handed = read_handed_back_now(b.clone());
            let code = crate::services::session_loader::ready(adapter).await;
            (code.begin)(adapter, b, agent, handed).await;
        }
        Err(e) => back_to_form(adapter, &e),
    }
}

/// Back to the sign-in form, saying why (after a refused resume, or a session that could not
/// start) without re-drawing it when it shows already: what the agent typed stays.
pub(crate) fn back_to_form(adapter: Adapter, e: &PlatformError) {
    if adapter.screen.get_untracked() != Screen::SignIn {
        adapter.screen.set(Screen::SignIn);
    }
    fail_platform(adapter, e)
}

/// What a sign-out handed to the platform's journal, read for the session that starts: `None`
/// when there is nothing to take back this way (the page keeps its state in that journal, or the
/// read failed: tried again at the next sign-in; nothing is lost meanwhile).
pub(crate) type Handed = Option<std::collections::BTreeMap<String, String>>;

/// [`read_handed_back`]'s answer, on its way.
pub(crate) type HandedBack = futures::channel::oneshot::Receiver<Handed>;

/// Starts [`read_handed_back`] (through the session's code, once it is here) in a task of its
/// own: a refused sign-in does not wait for it.
fn read_handed_back_now(b: Rc<Backend>) -> HandedBack {
    let (tx, rx) = futures::channel::oneshot::channel();
    leptos::task::spawn_local(async move {
        let code = crate::services::session_loader::loaded().await;
        let _ = tx.send((code.read_back)(b).await);
    });
    rx
}

/// What the session needs from the platform's journal before its outbox opens, read beside the
/// settings: the page's own state, when it keeps it there (storage blocked: what earlier pages
/// left, [`link_journal`]); else the writes a sign-out handed to it ([`Handed`]). In the
/// session's code: reached only through its table.
pub(crate) async fn read_handed_back(b: Rc<Backend>) -> Handed {
    if b.store.journal().is_some() {
        link_journal(&b).await;
        return None;
    }
    b.platform
        .journal_sync(&Default::default(), None)
        .await
        .ok()
}

/// The signed-in session: the outbox, the tab lease, the event stream, the dial screen. In the
/// session's code (`crate::session_code`): reached only through its table.
pub(crate) fn begin(
    adapter: Adapter,
    b: Rc<Backend>,
    agent: crate::platform::Agent,
    handed: HandedBack,
) -> futures::future::LocalBoxFuture<'static, ()> {
    Box::pin(async move {
        // The tab's new resume credential is kept at once (a resume used up the last one): a
        // reload while the settings are read signs the agent in again.
        keep_resume(b.clone());
        let (settings, options) = match settings_and_options(&b).await {
            Ok(both) => both,
            Err(e) => {
                // Nothing of the session starts: it ends, on the platform and in the tab (its
                // credential, whose renewal stops with it), so that neither a reload nor the
                // next person at this computer is signed in as this agent behind the form.
                b.platform.end_session().await;
                credential::clear();
                return back_to_form(adapter, &e);
            }
        };
        // Numbers are read from the first signed-in screen on: the phone metadata must be
        // there (fetched beside these requests, so nearly always already).
        crate::services::phone_data::ready(adapter).await;
        adapter.banner.set(None);
        b.rules.borrow_mut().settings = settings.clone();
        b.rules.borrow_mut().region = adapter.context.with_untracked(|c| c.region.clone());
        // The platform ended the last session with a call on screen (`host::session_ended`
        // keeps it, for that agent signing in again): another agent sees none of it, and their
        // Call is not held back by it.
        if b.platform_agent.get().is_some_and(|last| last != agent.id) {
            adapter.call.set(None);
        }
        b.platform_agent.set(Some(agent.id));
        adapter.agent_name.set(Some(agent.name.clone()));
        crate::services::fields::load_for_session(b.clone());
        adapter.context.update(|c| {
            *c = DialContext {
                settings,
                team: agent.team.clone(),
                options,
                ..c.clone()
            }
        });
        // An outbox of the session the platform ended (kept for writes that need no platform)
        // stops before this one opens on the same storage: two would send the same jobs.
        stop_outbox(&b).await;
        // Without browser storage, what earlier pages left is on the platform; with it, writes
        // handed over at a sign-out come back: both read beside the settings
        // ([`read_handed_back`]), and in before the outbox opens.
        take_back_writes(&b, handed.await.ok().flatten()).await;
        let outbox = Outbox::open_for_tab(b.store.clone(), b.agent_zendesk.id, b.leader.tab_id());
        for notice in outbox.take_notices() {
            storage_notice(adapter, notice);
        }
        *b.outbox.borrow_mut() = Some(Rc::new(outbox));
        keep_lease(adapter, b.clone());
        adopt_orphans(adapter, &b);
        connect_events(adapter, &b);
        // What the agent was writing in their chats before a reload: each composer shows it
        // when its chat comes back.
        adapter
            .drafts
            .set(crate::services::dial_draft::load_chats(agent.id, now_ms()));
        // What the agent had seen of each chat: the rest shows unread once they are read.
        crate::services::chats::seen_before(crate::services::dial_draft::load_chats_seen(
            agent.id,
            now_ms(),
        ));
        // The chat the agent was in before a reload: shown again once the chats are read.
        crate::services::chats::come_back_to(crate::services::dial_draft::load_chat_screen(
            agent.id,
            now_ms(),
        ));
        // The screen the agent was working on before a reload, if any; else a fresh keypad.
        match crate::services::dial_draft::load(agent.id, now_ms()) {
            Some(work) => adapter.open_work(work),
            None => adapter.open_dial(EntryPoint::Keypad),
        }
        // Anything left from before a reload is written now.
        run_outbox(adapter, b.clone());
    })
}

/// The settings and the outbound options, read at once (the screen needs both). A failure that
/// asking again may mend (no answer, a server error, 429) is asked again (after 2 s, 4 s, then
/// what is left of 10 s; a read that timed out is not) while the screen says it connects: the
/// session is up, and one busy moment of the platform's must not send the agent back to the
/// password form (after a reload, mid-call).
async fn settings_and_options(
    b: &Backend,
) -> Result<(domain::settings::Settings, domain::dial::OutboundOptions), PlatformError> {
    let until = now_ms() + 10_000;
    let mut wait = 1_000;
    loop {
        let answer =
            futures::future::try_join(b.platform.settings(), b.platform.outbound_options()).await;
        let left = until - now_ms();
        match answer {
            Err(e) if e.may_pass_if_asked_again() && left > 0 => {
                wait *= 2;
                sleep(wait.min(left as i32)).await;
            }
            answer => return answer,
        }
    }
}

/// Signs the agent out: the outbox stops once the write under way is done; what it has not
/// written is handed to the platform's journal (where the next sign-in, in any browser, takes
/// it back) and removed from this browser; the session ends on the platform (its token and
/// resume credential stop working) and the sign-in form shows. If the platform cannot take the
/// writes, they stay in this browser and the agent is told.
pub(crate) fn sign_out(adapter: Adapter) {
    leptos::task::spawn_local(async move {
        let Some(b) = backend() else { return };
        stop_outbox(&b).await;
        let kept_here = hand_over_writes(&b).await;
        b.stream.borrow_mut().take();
        b.leader.release();
        b.platform.end_session().await;
        credential::clear();
        crate::services::dial_draft::clear_all();
        adapter.call.set(None);
        // The next agent on this computer sees none of this one's calls or voicemails.
        adapter.agent_name.set(None);
        adapter.history.set(Default::default());
        adapter.voicemails.set(Default::default());
        // Nor their chats (the platform keeps them: signing in again takes them up).
        adapter.chats.set(Vec::new());
        adapter.drafts.set(Vec::new());
        adapter.chat_busy.set(Vec::new());
        b.chats_restored.set(false);
        adapter.screen.set(Screen::SignIn);
        let detail = match kept_here {
            None => None,
            Some(false) => Some(adapter.word(Label::WritesHandedOver)),
            Some(true) => Some(adapter.word(Label::WritesKeptHere)),
        };
        adapter.banner.set(Some(crate::services::live::Banner::new(
            crate::services::live::BannerKind::Notice,
            adapter.word(Label::SignedOut),
            detail,
        )));
    });
}

/// Stops the page's outbox before what storage holds is handed on: its run ends once the write
/// it is sending has its answer (5 s at most), and none starts after. Jobs queued meanwhile are
/// still stored. Then it is taken from the page and stores nothing more (`Outbox::detach`), so
/// storage is the whole of its state for whatever takes it on. A write still without its answer
/// past the wait stays stored as in flight: checked before it is sent again, as after a reload.
async fn stop_outbox(b: &Rc<Backend>) {
    let Some(outbox) = b.outbox.borrow().clone() else {
        return;
    };
    outbox.close();
    for _ in 0..100 {
        if !outbox.is_running() {
            break;
        }
        sleep(50).await;
    }
    b.outbox.borrow_mut().take();
    outbox.detach();
}

/// Moves the agent's unwritten writes from this browser to the platform's journal: this tab's,
/// and those of tabs gone (closed, reloaded). Another tab still open keeps its own: its outbox
/// goes on sending them (a copy handed over would come back at the next sign-in and be written
/// again). `None` when there were none; `Some(false)` when handed over; `Some(true)` when they
/// stay here (the platform could not be reached). Without browser storage they are on the
/// platform already.
async fn hand_over_writes(b: &Rc<Backend>) -> Option<bool> {
    use crate::services::{outbox, storage::Store};
    if b.store.journal().is_some() {
        return None;
    }
    let (agent, now) = (b.agent_zendesk.id, now_ms());
    let keys: Vec<String> = outbox::agent_keys(&b.store.keys(), agent)
        .into_iter()
        .filter(|key| {
            outbox::tab_of(key, agent)
                .is_none_or(|tab| tab == b.leader.tab_id() || !b.leader.alive(tab, now))
        })
        .collect();
    let mut handed = std::collections::BTreeMap::new();
    for key in &keys {
        match b.store.get(key) {
            Some(text) if outbox::holds_writes(&text) => {
                handed.insert(key.clone(), Some(text));
            }
            // Finished keys only (no job, no intent): nothing to keep.
            _ => b.store.remove(key),
        }
    }
    if handed.is_empty() {
        return None;
    }
    match b.platform.journal_sync(&handed, None).await {
        Ok(_) => {
            for (key, sent) in &handed {
                // Removed only as sent: a copy that changed meanwhile is newer than the
                // platform's (the next sign-in keeps a key this browser has).
                if b.store.get(key) == *sent {
                    b.store.remove(key);
                }
            }
            Some(false)
        }
        Err(_) => Some(true),
    }
}

/// At sign-in in a browser that has storage: writes this agent handed to the platform at a
/// sign-out (here or in another browser), read beside the session's first reads
/// ([`read_handed_back`]), come back into this browser's outbox, and leave the platform's journal.
async fn take_back_writes(b: &Rc<Backend>, handed: Handed) {
    use crate::services::{outbox, storage::Store};
    let Some(entries) = handed else {
        return;
    };
    let keys: Vec<String> = entries.keys().cloned().collect();
    let mut taken = std::collections::BTreeMap::new();
    for key in outbox::agent_keys(&keys, b.agent_zendesk.id) {
        if b.store.get(&key).is_none() {
            b.store.set(&key, &entries[&key]);
        }
        taken.insert(key, None);
    }
    if !taken.is_empty() {
        let _ = b.platform.journal_sync(&taken, None).await;
    }
}

/// Connects the platform's journal, when the page keeps its state there (storage blocked), and
/// loads what earlier pages of the agent left.
async fn link_journal(b: &Rc<Backend>) {
    let Some(journal) = b.store.journal() else {
        return;
    };
    if !journal.is_linked() {
        let weak = Rc::downgrade(b);
        let leaving = weak.clone();
        let tab: Rc<str> = b.leader.tab_id().into();
        let leaving_tab = tab.clone();
        journal.link(
            Rc::new(move |changes, seq| {
                let (weak, tab) = (weak.clone(), tab.clone());
                Box::pin(async move {
                    let b = weak.upgrade().ok_or("the page is closing")?;
                    b.platform
                        .journal_sync(&changes, Some((&tab, seq)))
                        .await
                        .map_err(|e| e.to_string())
                })
            }),
            Rc::new(leptos::task::spawn_local),
            Rc::new(move |changes, seq, outlive| {
                let Some(b) = leaving.upgrade() else { return };
                let tab = leaving_tab.clone();
                leptos::task::spawn_local(async move {
                    b.platform
                        .journal_leave(&changes, (&tab, seq), outlive)
                        .await;
                });
            }),
        );
    }
    let _ = journal.flush().await;
}

/// Takes the tab lease and renews it while the page lives: from sign-in on, so a tab where
/// nobody signed in never keeps calls from the one where the agent works.
fn keep_lease(adapter: Adapter, backend: Rc<Backend>) {
    if backend.leasing.replace(true) {
        return;
    }
    backend.leader.tick(now_ms());
    backend.leader.beat(now_ms());
    // Another tab of this browser closing says so in the shared storage (its page-hide gives
    // the lease up and removes its word): this tab takes its lease, writes and call at once,
    // not at its next renewal, so a customer who hangs up a moment later is still logged here.
    let watching = backend.clone();
    let departures = window_event_listener(leptos::ev::storage, move |e| {
        let gone = e.new_value().is_none();
        if gone && e.key().is_some_and(|k| leader::is_departure(&k)) {
            if !watching.platform.is_signed_in() {
                return;
            }
            watching.leader.tick(now_ms());
            adopt_orphans(adapter, &watching);
        }
    });
    backend.listeners.borrow_mut().push(departures);
    // The agent came to this tab (another Zendesk tab, or another program, before): the calls
    // and chats offered from now on ring here, where the agent looks, not in a tab behind it.
    // Not while a call is on in another tab: a call offered meanwhile stays with that tab, as
    // it would if the agent had not moved.
    let looking = backend.clone();
    let shown = window_event_listener(
        leptos::ev::Custom::<web_sys::Event>::new("visibilitychange"),
        move |_| {
            if document().hidden() || !looking.platform.is_signed_in() {
                return;
            }
            let now = now_ms();
            if !looking.leader.call_elsewhere(now) {
                looking.leader.take(now);
            }
        },
    );
    backend.listeners.borrow_mut().push(shown);
    leptos::task::spawn_local(async move {
        loop {
            sleep(RENEW_EVERY_MS as i32).await;
            if !backend.platform.is_signed_in() {
                // Signed out: another tab where the agent is signed in takes the calls. A session
                // the platform ended keeps its outbox sending (the writes that need no
                // platform): while it has some to send, this tab says it is alive, so that no
                // other tab takes them over and sends them beside it. With CRM batching on it
                // sends nothing without a session: another tab signed in takes them.
                let batching = crate::services::outbox::Batching::from_settings(
                    &backend.rules.borrow().settings,
                );
                let sending = !(batching.add_comment || batching.ticket_update)
                    && backend
                        .outbox
                        .borrow()
                        .as_ref()
                        .is_some_and(|o| !o.jobs().is_empty());
                if sending {
                    backend.leader.beat(now_ms());
                }
                continue;
            }
            backend.leader.tick(now_ms());
            backend.leader.beat(now_ms());
            adopt_orphans(adapter, &backend);
            backend.leader.sweep(now_ms());
        }
    });
}

/// Takes over what other tabs of this agent left unsent (reloaded or closed), and sends it.
fn adopt_orphans(adapter: Adapter, b: &Rc<Backend>) {
    let Some(outbox) = b.outbox.borrow().clone() else {
        return;
    };
    let now = now_ms();
    let adopted = outbox.adopt_orphan_tabs(|tab| b.leader.alive(tab, now));
    for notice in outbox.take_notices() {
        storage_notice(adapter, notice);
    }
    if adopted.jobs > 0 {
        run_outbox(adapter, b.clone());
    }
    if adopted.tabs > 0 {
        b.took_over_ms.set(now);
    }
    if b.platform.is_signed_in() {
        // A voicemail read or closed by a page that went before the platform answered.
        crate::services::history::finish_voicemail_actions(adapter, b);
    }
    if adopted.tabs > 0 && b.platform.is_signed_in() && b.stream.borrow().is_some() {
        // A tab gone may have had a call on screen, even with every write done: the call comes
        // here (live, with its controls, or ended, its end logged once).
        resume_calls(adapter, b.clone());
        // And its chats: this tab writes them from now on.
        crate::services::chats::restore(adapter, true);
    }
}
