//! Fetches the session's code (`crate::session_code`) when the agent starts typing in the
//! sign-in form, or a sign-in or a resume starts, beside the platform's requests and the phone
//! metadata, and tries a failed fetch again (0.5 s, doubling to 30 s) until it succeeds: a
//! session starts only once its code is there.

use crate::{
    services::{
        host::{say_if_slow, Fetched},
        live::Adapter,
    },
    session_code::{self, SessionCode},
};
use domain::labels::Label;

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

/// [`load`], for Sign in pressed: a fetch that failed (while the agent typed) is tried again now.
pub(crate) fn load_now() {
    load();
    CODE.with(Fetched::now);
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
    say_if_slow(adapter, Label::SessionCodeRetrying, loaded()).await
}
