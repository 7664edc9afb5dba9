//! Fetches the session's code (`crate::session_code`) when a sign-in or a resume starts, beside
//! the platform's requests and the phone metadata, and tries a failed fetch again (0.5 s,
//! doubling to 30 s) until it succeeds: a session starts only once its code is there.

use crate::{
    services::{host::Fetched, live::Adapter},
    session_code::{self, SessionCode},
};
use domain::labels::Label;

/// How long a session waits for its code before the agent is told why.
const NOTICE_AFTER_MS: u64 = 3_000;

thread_local! {
    static CODE: Fetched = Fetched::new();
}

/// Starts fetching the session's code, once per page; nothing when it is loaded.
pub(crate) fn load() {
    if session_code::get().is_some() {
        return;
    }
    CODE.with(|c| c.start(|| async { session_code::load().await.is_ok() }));
}

/// The session's code, once loaded (started if nothing has).
pub(crate) async fn loaded() -> SessionCode {
    load();
    loop {
        if let Some(code) = session_code::get() {
            return code;
        }
        let _ = CODE.with(Fetched::done).await;
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
        let _ = CODE.with(Fetched::done).await;
        if let Some(code) = session_code::get() {
            if let Ok(handle) = notice {
                handle.clear();
            }
            return code;
        }
    }
}
