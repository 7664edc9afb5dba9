//! The phone library's metadata: about 230 KB (55 KB gzipped) that the sign-in screen does not
//! need, so the app's wasm leaves it out (`domain` without `embedded-metadata`) and this fetches
//! it when a sign-in or a resume starts, beside the platform's requests: the sign-in screen
//! neither downloads nor holds it. Numbers are read only in a session, and a session starts only
//! once the metadata is installed ([`ready`]).

use crate::services::host::sleep;
use leptos::prelude::{request_animation_frame, set_timeout};
use std::cell::Cell;

/// The metadata beside index.html (trunk copies it there: scripts/phone-metadata.mjs).
const URL: &str = "phone-metadata.pb";

/// The first wait before a failed fetch is tried again, doubled up to [`MAX_RETRY_MS`].
const FIRST_RETRY_MS: i32 = 500;
const MAX_RETRY_MS: i32 = 30_000;

thread_local! {
    static STARTED: Cell<bool> = const { Cell::new(false) };
}

/// Fetches and installs the metadata (after the next paint: a resume starts as the page loads),
/// once per page; a failed fetch (the
/// network, an error status, bytes that are not the metadata) is tried again after 0.5 s,
/// doubling to 30 s, until it succeeds.
pub(crate) fn load() {
    if domain::phone::metadata_ready() || STARTED.with(|s| s.replace(true)) {
        return;
    }
    // The frame is painted after the animation frame's callbacks: a task queued from one runs
    // after that paint.
    request_animation_frame(|| {
        set_timeout(
            || leptos::task::spawn_local(fetch_until_installed()),
            std::time::Duration::ZERO,
        )
    });
}

async fn fetch_until_installed() {
    let mut wait = FIRST_RETRY_MS;
    loop {
        if let Some(bytes) = fetch().await {
            if domain::phone::install_metadata(bytes).is_ok() {
                return;
            }
        }
        sleep(wait).await;
        wait = (wait * 2).min(MAX_RETRY_MS);
    }
}

async fn fetch() -> Option<Vec<u8>> {
    let response = gloo_net::http::Request::get(URL).send().await.ok()?;
    if !response.ok() {
        return None;
    }
    response.binary().await.ok()
}

/// Resolves once numbers can be read; starts the fetch if nothing has (the metadata arrives
/// while the platform answers the sign-in or the resume).
pub(crate) async fn ready() {
    load();
    while !domain::phone::metadata_ready() {
        sleep(20).await;
    }
}
