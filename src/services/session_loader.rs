//! Fetches the session's code (`crate::session_code`) when a sign-in or a resume starts, beside
//! the platform's requests and the phone metadata, and tries a failed fetch again (0.5 s,
//! doubling to 30 s) until it succeeds: a session starts only once its code is there.

use crate::{
    services::{host::sleep, live::Adapter},
    session_code::{self, SessionCode},
};
use domain::labels::Label;
use std::cell::Cell;
use wasm_bindgen::JsValue;

/// The first wait before a failed fetch is tried again, doubled up to [`MAX_RETRY_MS`].
const FIRST_RETRY_MS: i32 = 500;
const MAX_RETRY_MS: i32 = 30_000;

/// How long a session waits for its code before the agent is told why.
const NOTICE_AFTER_MS: u64 = 3_000;

thread_local! {
    static STARTED: Cell<bool> = const { Cell::new(false) };
    /// Resolved once the code is loaded: what [`ready`] waits on (a promise, not a timer: a
    /// hidden frame's timers are slowed down, and a resume may happen in one).
    static LOADED: (js_sys::Promise, js_sys::Function) = {
        let mut resolve = None;
        let promise = js_sys::Promise::new(&mut |res, _| resolve = Some(res));
        (promise, resolve.expect("a promise's executor runs at once"))
    };
}

/// Starts fetching the session's code, once per page; nothing when it is loaded.
pub(crate) fn load() {
    if session_code::get().is_some() || STARTED.with(|s| s.replace(true)) {
        return;
    }
    leptos::task::spawn_local(async {
        let mut wait = FIRST_RETRY_MS;
        loop {
            if session_code::load().await.is_ok() {
                LOADED.with(|(_, resolve)| {
                    let _ = resolve.call0(&JsValue::NULL);
                });
                return;
            }
            sleep(wait).await;
            wait = (wait * 2).min(MAX_RETRY_MS);
        }
    });
}

/// The session's code, once loaded (started if nothing has).
pub(crate) async fn loaded() -> SessionCode {
    load();
    loop {
        if let Some(code) = session_code::get() {
            return code;
        }
        let loaded = LOADED.with(|(promise, _)| promise.clone());
        let _ = wasm_bindgen_futures::JsFuture::from(loaded).await;
    }
}

/// The session's code, for a session about to start (fetched while the platform answered, so
/// nearly always at once): a wait of more than a few seconds (the fetch failed and is tried
/// again) is said in the banner; the session clears it.
pub(crate) async fn ready(adapter: Adapter) -> SessionCode {
    if let Some(code) = session_code::get() {
        return code;
    }
    load();
    let notice = leptos::prelude::set_timeout_with_handle(
        move || {
            if session_code::get().is_none() {
                adapter.notice(adapter.word(Label::SessionCodeRetrying));
            }
        },
        std::time::Duration::from_millis(NOTICE_AFTER_MS),
    );
    loop {
        let loaded = LOADED.with(|(promise, _)| promise.clone());
        let _ = wasm_bindgen_futures::JsFuture::from(loaded).await;
        if let Some(code) = session_code::get() {
            if let Ok(handle) = notice {
                handle.clear();
            }
            return code;
        }
    }
}
