//! The phone library's metadata: about 230 KB (55 KB gzipped) that the sign-in screen does not
//! need, so the app's wasm leaves it out (`domain` without `embedded-metadata`) and this fetches
//! it when the agent starts typing in the sign-in form, or a sign-in or a resume starts, beside
//! the platform's requests: the sign-in screen left alone neither downloads nor holds it. Numbers
//! are read only in a session, and a session starts only once the metadata is installed
//! ([`ready`]).

use crate::services::{
    host::{say_if_slow, Fetched},
    live::Adapter,
};
use domain::labels::Label;
use leptos::prelude::WithUntracked;

/// The metadata beside index.html (trunk copies it there: scripts/phone-metadata.mjs).
const URL: &str = "phone-metadata.dat";

thread_local! {
    static METADATA: Fetched = Fetched::new();
}

/// Fetches and installs the metadata, once per page; a failed fetch (the network, an error
/// status, bytes that are not the metadata) is tried again after 0.5 s, doubling to 30 s, until
/// it succeeds.
pub(crate) fn load() {
    if domain::phone::metadata_ready() {
        return;
    }
    METADATA.with(|m| {
        m.start(|| async {
            let Some(bytes) = fetch().await else {
                return false;
            };
            // The phone library is the session's code (`crate::session_code`), fetched beside
            // these bytes.
            let code = crate::services::session_loader::loaded().await;
            (code.install_phone)(bytes)
        })
    });
}

/// [`load`], for Sign in pressed: a fetch that failed (while the agent typed) is tried again now.
pub(crate) fn load_now() {
    load();
    METADATA.with(Fetched::now);
}

async fn fetch() -> Option<Vec<u8>> {
    let response = gloo_net::http::Request::get(URL).send().await.ok()?;
    if !response.ok() {
        return None;
    }
    response.binary().await.ok()
}

/// Fetches the metadata and builds the tables of the agent's region while the page waits for the
/// platform (a sign-in, or the resume after a reload): the dial screen that follows reads its
/// first number at the usual speed (a fresh frame's first parse used to hold its lookups back by
/// about 40 ms), and the sign-in screen holds neither. In a task of its own, after the caller's
/// has sent its request.
pub(crate) fn warm(adapter: Adapter) {
    let region = adapter.context.with_untracked(|c| c.region.clone());
    leptos::task::spawn_local(async move {
        installed().await;
        // Installed through the session's code: it is loaded.
        if let Some(code) = crate::session_code::get() {
            (code.warm_phone)(&region);
        }
    });
}

/// [`warm`] again, half a second after numbers were read (a dial screen's reads, an inbound
/// caller's lookup), if reading a foreign number rebuilt the tables since (a rebuild starts
/// them cold; the screen drawn meanwhile may read more numbers): the next click-to-call is read
/// at the usual speed too. Nothing when they are warm.
pub(crate) fn keep_warm(adapter: Adapter) {
    let region = adapter.context.with_untracked(|c| c.region.clone());
    leptos::task::spawn_local(async move {
        crate::services::host::sleep(500).await;
        if domain::phone::metadata_ready() {
            domain::phone::warm_up(&region);
        }
    });
}

/// Resolves once numbers can be read; starts the fetch if nothing has.
pub(crate) async fn installed() {
    load();
    if domain::phone::metadata_ready() {
        return;
    }
    let _ = METADATA.with(Fetched::done).await;
}

/// [`installed`], for a session about to start (the metadata arrives while the platform answers
/// the sign-in or the resume, so nearly always at once): a wait of more than a few seconds (the
/// fetch failed and is tried again) is said in the banner; the session clears it.
pub(crate) async fn ready(adapter: Adapter) {
    if domain::phone::metadata_ready() {
        return;
    }
    say_if_slow(adapter, Label::PhoneDataRetrying, installed()).await
}
