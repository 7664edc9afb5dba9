//! The agent's platform session: sign-in (settings, team, options, the outbox), the tab lease
//! kept from then on, and adopting what other tabs of the agent left unsent.

use crate::platform::PlatformError;
use crate::services::{
    credential,
    events::connect_events,
    host::{backend, fail_platform, now_ms, sleep, Backend},
    journal::run_outbox,
    leader::RENEW_EVERY_MS,
    live::{Adapter, Screen},
    messages,
    outbox::{Outbox, StorageNotice},
    resume::resume_calls,
    storage::LocalStore,
};
use domain::dial::{DialContext, EntryPoint};
use domain::labels::Label;
use leptos::prelude::*;
use std::rc::Rc;

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
fn storage_notice(adapter: Adapter, notice: StorageNotice) {
    let text = match notice {
        StorageNotice::SetAside => adapter.word(Label::WritesSetAside),
        StorageNotice::Expired(n) => format!("{}: {n}", adapter.word(Label::WritesExpired)),
    };
    adapter.fail(messages::Message { text, detail: None });
}

/// What follows a sign-in (password or resume): settings and options, the outbox, the tab
/// lease, the event stream, the dial screen.
async fn start_session(
    adapter: Adapter,
    b: Rc<Backend>,
    agent: Result<crate::platform::Agent, PlatformError>,
) {
    let result = async {
        let agent = agent?;
        let settings = b.platform.settings().await?;
        let options = b.platform.outbound_options().await?;
        Ok::<_, PlatformError>((agent, settings, options))
    }
    .await;
    match result {
        Ok((agent, settings, options)) => {
            adapter.banner.set(None);
            keep_resume(b.clone());
            b.rules.borrow_mut().settings = settings.clone();
            b.rules.borrow_mut().region = adapter.context.with_untracked(|c| c.region.clone());
            adapter.context.update(|c| {
                *c = DialContext {
                    settings,
                    team: agent.team.clone(),
                    options,
                    ..c.clone()
                }
            });
            let outbox = Outbox::open_for_tab(LocalStore, b.agent_zendesk.id, b.leader.tab_id());
            for notice in outbox.take_notices() {
                storage_notice(adapter, notice);
            }
            *b.outbox.borrow_mut() = Some(Rc::new(outbox));
            keep_lease(adapter, b.clone());
            adopt_orphans(adapter, &b);
            connect_events(adapter, &b);
            adapter.open_dial(EntryPoint::Keypad);
            // Anything left from before a reload is written now.
            run_outbox(adapter, b.clone());
        }
        Err(e) => {
            // Back to the form (after a refused resume) without re-drawing it when it shows
            // already: what the agent typed stays.
            if adapter.screen.get_untracked() != Screen::SignIn {
                adapter.screen.set(Screen::SignIn);
            }
            fail_platform(adapter, &e)
        }
    }
}

/// Takes the tab lease and renews it while the page lives: from sign-in on, so a tab where
/// nobody signed in never keeps calls from the one where the agent works.
fn keep_lease(adapter: Adapter, backend: Rc<Backend>) {
    if backend.leasing.replace(true) {
        return;
    }
    backend.leader.tick(now_ms());
    backend.leader.beat(now_ms());
    leptos::task::spawn_local(async move {
        loop {
            sleep(RENEW_EVERY_MS as i32).await;
            backend.leader.tick(now_ms());
            backend.leader.beat(now_ms());
            adopt_orphans(adapter, &backend);
        }
    });
}

/// Takes over what other tabs of this agent left unsent (reloaded or closed), and sends it.
fn adopt_orphans(adapter: Adapter, b: &Rc<Backend>) {
    let Some(outbox) = b.outbox.borrow().clone() else {
        return;
    };
    let now = now_ms();
    let adopted = outbox.adopt_orphans(|tab| b.leader.alive(tab, now));
    for notice in outbox.take_notices() {
        storage_notice(adapter, notice);
    }
    if adopted > 0 {
        run_outbox(adapter, b.clone());
        // The calls those writes belong to may need their end logged, or to come back.
        if b.platform.is_signed_in() && b.stream.borrow().is_some() {
            resume_calls(adapter, b.clone());
        }
    }
}
