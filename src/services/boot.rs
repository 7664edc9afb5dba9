//! Boot: connects to Zendesk through ZAF, chooses the agent's language and region, makes the
//! page's connections and listens for click-to-call.

use crate::{
    services::{
        dialout::on_dialout,
        host::{self, Backend},
        live::{Adapter, Screen},
        messages,
    },
    zaf::{Invoke, VoiceDialout, Zaf},
};
use domain::labels::{language_for_locale, Catalogue, Label};
use leptos::prelude::*;
use std::rc::Rc;

/// The region numbers without a country code are read in, from the agent's locale.
fn region_for_locale(locale: &str) -> String {
    let region = locale.split(['-', '_']).nth(1).map(str::to_ascii_uppercase);
    match (region, locale.get(..2)) {
        (Some(r), _) if r.len() == 2 => r,
        (_, Some("it")) => "IT".into(),
        _ => "US".into(),
    }
}

fn catalogue_for(locale: &str) -> Catalogue {
    match language_for_locale(locale) {
        "it" => crate::italian::catalogue(),
        _ => Catalogue::english(),
    }
}

/// Connects to Zendesk: reads the agent, the language and the platform URL, listens for
/// click-to-call, then asks the agent to sign in.
pub(crate) fn boot(adapter: Adapter) {
    // Until Zendesk says the agent's language (a round trip or two), the browser's: an Italian
    // agent's form and "Connecting" are Italian from the first frame, not English for a moment.
    if let Some(language) = web_sys::window().and_then(|w| w.navigator().language()) {
        adapter.catalogue.set(catalogue_for(&language));
    }
    let zaf = match Zaf::init() {
        Ok(zaf) => zaf,
        Err(e) => {
            let m = adapter.catalogue.with_untracked(|c| messages::zaf(&e, c));
            adapter.screen.set(Screen::Unavailable(m.text));
            return;
        }
    };
    // The sign-in form needs nothing from Zendesk until it is sent: show it at once, and
    // connect (agent, language, platform URL) while the agent types. After a reload with a
    // resume credential, "Connecting" shows instead until the session is back (no form flash).
    let resuming = crate::services::credential::load(host::now_ms()).is_some();
    adapter.screen.set(if resuming {
        Screen::Booting
    } else {
        Screen::SignIn
    });
    leptos::task::spawn_local(async move {
        if zaf
            .context()
            .await
            .is_ok_and(|c| c.location == "background")
        {
            adapter.screen.set(Screen::Background);
            preload_top_bar(&zaf).await;
            return;
        }
        let (user, metadata) = match (zaf.current_user().await, zaf.metadata().await) {
            (Ok(u), Ok(m)) => (u, m),
            (Err(e), _) | (_, Err(e)) => {
                let m = adapter.catalogue.with_untracked(|c| messages::zaf(&e, c));
                adapter.screen.set(Screen::Unavailable(m.text));
                return;
            }
        };
        let locale = user.locale.clone().unwrap_or_else(|| "en".into());
        adapter.catalogue.set(catalogue_for(&locale));
        let Some(platform_url) = metadata.setting("platform_url").map(str::to_owned) else {
            adapter
                .screen
                .set(Screen::Unavailable(adapter.word(Label::ErrNoPlatformUrl)));
            return;
        };
        // The password goes only to an https platform (or this machine's, the sandbox).
        let platform_url = match crate::origins::platform_base(&platform_url) {
            Ok(url) => url,
            Err(e) => {
                let m = adapter
                    .catalogue
                    .with_untracked(|c| messages::origin(&e, c));
                adapter.screen.set(Screen::Unavailable(m.text));
                return;
            }
        };
        crate::origins::narrow_connect_policy(&platform_url);
        adapter
            .platform_host
            .set(crate::origins::display_host(&platform_url));
        adapter.context.update(|c| {
            c.region = region_for_locale(&locale);
            // The whole locale: the dial screen matches it by language, then region (OQ-33).
            c.agent_language = locale.clone();
        });
        let tab = format!("tab-{}", (js_sys::Math::random() * 1e12) as u64);
        let backend = Rc::new(Backend::new(zaf.clone(), user, platform_url, tab));
        let dialout = zaf.on("voice.dialout", move |d: VoiceDialout| {
            on_dialout(adapter, d)
        });
        backend.subscriptions.borrow_mut().push(dialout);
        // The pane shown again by the agent (the top bar's icon): the keyboard comes back into
        // it (`ui::focus_when_pane_shown`); not when the adapter showed it itself. Its payload
        // says nothing more.
        let shown = zaf.on("pane.activated", move |_: serde::de::IgnoredAny| {
            if crate::services::zaf_host::shown_by_agent() {
                adapter.pane_shown.update(|n| *n = n.wrapping_add(1));
            }
        });
        backend.subscriptions.borrow_mut().push(shown);
        host::install(backend.clone());
        // After a reload: signed in again without the password, when the tab kept a credential.
        crate::services::session::resume_session(adapter, backend.clone());
        // A reload or a closed tab gives the lease up at once, so the next page (or another
        // tab) takes click-to-call without waiting for the lease to expire.
        let leaving = backend.clone();
        // Without browser storage, what the page changed and the platform's journal may not
        // hold yet (the outbox's last jobs, the lease given up) goes in a request that
        // outlives the page.
        let pagehide = window_event_listener(leptos::ev::pagehide, move |_| {
            leaving.leader.release();
            if let Some(journal) = leaving.store.journal() {
                journal.leave();
            }
        });
        backend.listeners.borrow_mut().push(pagehide);
        // A page brought back from the browser's back-forward cache after its last word (its
        // lease given up, its outbox maybe taken over by another tab) starts again: its memory
        // is older than what the agent's other tabs did meanwhile.
        let back = backend.clone();
        let pageshow = window_event_listener(leptos::ev::pageshow, move |ev| {
            let left = back.store.journal().is_some_and(|j| j.has_left());
            if ev.persisted() && left {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            }
        });
        backend.listeners.borrow_mut().push(pageshow);
    });
}

/// From the background location: puts the top bar in the page (hidden) so it is listening
/// for click-to-call before the agent first opens it.
async fn preload_top_bar(zaf: &Zaf) {
    let Ok(instances) = zaf.instances().await else {
        return;
    };
    for (guid, info) in instances {
        if info.location == "top_bar" {
            let _ = zaf.instance(&guid).invoke(&Invoke::PreloadPane).await;
        }
    }
}
