//! The agent's platform session: sign-in (settings, team, options, the outbox), the tab lease
//! kept from then on, and adopting what other tabs of the agent left unsent.

use crate::services::{
    events::connect_events,
    host::{backend, fail_platform, now_ms, sleep, Backend},
    journal::run_outbox,
    leader::RENEW_EVERY_MS,
    live::{Adapter, Screen},
    outbox::Outbox,
    resume::resume_calls,
    storage::LocalStore,
};
use domain::dial::{DialContext, EntryPoint};
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
        let result = async {
            let agent = b.platform.sign_in(&email, &password).await?;
            let settings = b.platform.settings().await?;
            let options = b.platform.outbound_options().await?;
            Ok::<_, crate::platform::PlatformError>((agent, settings, options))
        }
        .await;
        busy.set(false);
        match result {
            Ok((agent, settings, options)) => {
                adapter.banner.set(None);
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
                let outbox =
                    Outbox::open_for_tab(LocalStore, b.agent_zendesk.id, b.leader.tab_id());
                *b.outbox.borrow_mut() = Some(Rc::new(outbox));
                keep_lease(adapter, b.clone());
                adopt_orphans(adapter, &b);
                connect_events(adapter, &b);
                adapter.open_dial(EntryPoint::Keypad);
                // Anything left from before a reload is written now.
                run_outbox(adapter, b.clone());
            }
            Err(e) => fail_platform(adapter, &e),
        }
    });
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
    if outbox.adopt_orphans(|tab| b.leader.alive(tab, now)) > 0 {
        run_outbox(adapter, b.clone());
        // The calls those writes belong to may need their end logged, or to come back.
        if b.platform.is_signed_in() && b.stream.borrow().is_some() {
            resume_calls(adapter, b.clone());
        }
    }
}
