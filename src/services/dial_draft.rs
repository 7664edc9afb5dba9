//! The dial screen the agent is working on, kept in the tab's session storage so that a reload
//! in the middle of it loses nothing: the number typed, the contact and ticket chosen, the
//! Ticket ID. Only the agent's work is kept (`DialWork`: no settings, no outbound options, no
//! CRM data, which are read again), for the agent who did it and for 15 minutes; placing the
//! call, a fresh screen, signing out and the end of the session remove it. README, "Security".

use domain::dial::DialWork;
use serde::{Deserialize, Serialize};

/// The session-storage key.
#[cfg(target_arch = "wasm32")]
const KEY: &str = "agent-adapter.dial";

/// How long a kept screen is taken up again: a reload comes back in seconds; work left for
/// longer is not put back in front of the agent.
pub const KEEP_MS: i64 = 15 * 60_000;

/// What is stored: whose work, when, and the work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// The platform agent who was working on it.
    pub agent: u64,
    /// When it was kept (Unix ms).
    pub saved_ms: i64,
    /// The work.
    pub work: DialWork,
}

impl Stored {
    /// The work kept for `agent`, unless it is unreadable, another agent's, or older than
    /// [`KEEP_MS`] at `now_ms`.
    pub fn decode(text: Option<&str>, agent: u64, now_ms: i64) -> Option<DialWork> {
        let stored: Stored = serde_json::from_str(text?).ok()?;
        let age = now_ms - stored.saved_ms;
        (stored.agent == agent && (0..KEEP_MS).contains(&age)).then_some(stored.work)
    }
}

#[cfg(target_arch = "wasm32")]
fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Keeps the agent's work (or removes what was kept when there is none: a fresh screen).
#[cfg(target_arch = "wasm32")]
pub fn keep(work: Option<DialWork>, agent: u64, now_ms: i64) {
    let Some(storage) = session_storage() else {
        return;
    };
    let text = work.and_then(|work| {
        serde_json::to_string(&Stored {
            agent,
            saved_ms: now_ms,
            work,
        })
        .ok()
    });
    let _ = match text {
        Some(text) => storage.set_item(KEY, &text),
        None => storage.remove_item(KEY),
    };
}

/// Keeps the dial screen as it is now, while no call is on screen (a call placed from it, or
/// one that came in, takes the draft away: after a reload the call shows, not the draft, and a
/// field that loses the focus as the call shows must not keep the placed plan again).
#[cfg(target_arch = "wasm32")]
pub(crate) fn keep_screen(adapter: crate::services::live::Adapter) {
    use leptos::prelude::*;
    if adapter.call.with_untracked(Option::is_some) {
        return;
    }
    let Some(agent) = crate::services::host::backend().and_then(|b| b.platform_agent.get()) else {
        return;
    };
    let work = adapter
        .dial
        .with_untracked(|d| d.as_ref().and_then(domain::dial::DialScreen::work));
    keep(work, agent, crate::services::host::now_ms());
}

/// The work `agent` left in this tab, if any (what cannot be taken up is removed).
#[cfg(target_arch = "wasm32")]
pub fn load(agent: u64, now_ms: i64) -> Option<DialWork> {
    let storage = session_storage()?;
    let text = storage.get_item(KEY).ok().flatten();
    let work = Stored::decode(text.as_deref(), agent, now_ms);
    if work.is_none() && text.is_some() {
        let _ = storage.remove_item(KEY);
    }
    work
}

/// Forgets the kept work (the call placed, sign-out, the session ended).
#[cfg(target_arch = "wasm32")]
pub fn clear() {
    if let Some(storage) = session_storage() {
        let _ = storage.remove_item(KEY);
    }
}
