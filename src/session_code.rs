//! The session's code: everything the adapter runs only once the agent is signed in (the dial
//! screen and its reads, calls, chats, history, the outbox, the event stream), reached from the
//! rest of the app only through [`SessionCode`], a table of entry points.
//!
//! In the release build (`split` feature, scripts/split.mjs) that table is the one split point of
//! the wasm: the code only it reaches goes to a file of its own, which the page fetches when the
//! agent starts typing in the sign-in form, or a sign-in or a resume starts, so the sign-in
//! screen left alone neither downloads nor compiles it. Elsewhere (tests, native builds, a build
//! without the feature) the table is at hand at once.
//!
//! The rule that keeps the split: code the sign-in screen runs (`app`, `services::boot`,
//! `services::session` up to the platform's answer, `ui::sign_in`, click-to-call's first
//! checks) never calls a session function directly, only through the table. The phone library
//! is the session's too: its metadata, fetched apart, is installed through the table.

use crate::services::live::Screen;
use leptos::prelude::*;

/// The session's entry points. `Copy`: plain function pointers into the session's code.
#[derive(Clone, Copy)]
pub struct SessionCode {
    /// Draws a session screen (dial, call, Recent, Voicemail, a chat); nothing for the others.
    pub view: fn(Screen) -> AnyView,
    /// Draws the row of session tabs (the phone and each chat).
    pub tabs: fn() -> AnyView,
    /// Installs the phone library's metadata (fetched apart: `services::phone_data`); false
    /// when the bytes are not the metadata.
    pub install_phone: fn(Vec<u8>) -> bool,
    /// Builds the phone tables of a region ahead of its first number.
    pub warm_phone: fn(&str),
    /// Starts the signed-in session (see `services::session::begin`).
    #[cfg(target_arch = "wasm32")]
    pub(crate) begin: crate::services::SessionBegin,
    /// Reads the writes a sign-out handed to the platform, beside the session's first reads.
    #[cfg(target_arch = "wasm32")]
    pub(crate) read_back: crate::services::SessionReadBack,
    /// Opens the dial screen of a click-to-call, in a session (`services::dialout`).
    #[cfg(target_arch = "wasm32")]
    pub(crate) dialout: fn(crate::services::live::Adapter, crate::zaf::VoiceDialout),
}

/// The table, with its functions: reached only from [`load`] in a split build.
fn table() -> SessionCode {
    SessionCode {
        view: crate::ui::session_view,
        tabs: crate::ui::session_tabs,
        install_phone: |bytes| domain::phone::install_metadata(bytes).is_ok(),
        warm_phone: domain::phone::warm_up,
        #[cfg(target_arch = "wasm32")]
        begin: crate::services::session_begin,
        #[cfg(target_arch = "wasm32")]
        read_back: crate::services::session_read_back,
        #[cfg(target_arch = "wasm32")]
        dialout: crate::services::session_dialout,
    }
}

/// Loads the session's code: the split point. A failed fetch is an error (tried again by the
/// caller), never a panic, which would stop the adapter.
#[cfg(all(feature = "split", target_arch = "wasm32"))]
#[leptos::wasm_split::wasm_split(session, fallible, wasm_split_path = ::leptos::wasm_split)]
fn fetch_table() -> Result<SessionCode, leptos::wasm_split::SplitLoaderError> {
    Ok(table())
}

#[cfg(all(feature = "split", target_arch = "wasm32"))]
thread_local! {
    static LOADED: std::cell::Cell<Option<SessionCode>> = const { std::cell::Cell::new(None) };
}

/// The session's code, once loaded (always, in a build that is not split).
pub fn get() -> Option<SessionCode> {
    #[cfg(all(feature = "split", target_arch = "wasm32"))]
    return LOADED.with(std::cell::Cell::get);
    #[cfg(not(all(feature = "split", target_arch = "wasm32")))]
    Some(table())
}

/// Fetches the session's code once (memoised on success); `Err` when the fetch failed.
#[cfg(target_arch = "wasm32")]
pub(crate) async fn load() -> Result<SessionCode, ()> {
    if let Some(code) = get() {
        return Ok(code);
    }
    #[cfg(feature = "split")]
    {
        let code = fetch_table().await.map_err(|_| ())?;
        LOADED.with(|l| l.set(Some(code)));
        Ok(code)
    }
    #[cfg(not(feature = "split"))]
    unreachable!("an unsplit build has its session code at hand")
}
