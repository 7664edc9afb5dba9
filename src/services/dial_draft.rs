//! The dial screen the agent is working on, kept in the tab's session storage so that a reload
//! in the middle of it loses nothing: the number typed, the contact and ticket chosen, the
//! Ticket ID. Only the agent's work is kept (`DialWork`: no settings, no outbound options, no
//! CRM data, which are read again), for the agent who did it and for 15 minutes; placing the
//! call, a fresh screen, signing out and the end of the session remove it. README, "Security".
//!
//! The chats' composers are kept the same way ([`keep_chats`]): what the agent was writing to
//! each customer, for the chats still open; which chat was on screen ([`keep_chat_screen`]);
//! and what the agent had seen of each ([`keep_chats_seen`]: message ids only).

use domain::dial::DialWork;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The session-storage key.
#[cfg(target_arch = "wasm32")]
const KEY: &str = "agent-adapter.dial";

/// How long a kept screen is taken up again: a reload comes back in seconds; work left for
/// longer is not put back in front of the agent.
pub const KEEP_MS: i64 = 15 * 60_000;

/// The session-storage key of the chats' composers.
#[cfg(target_arch = "wasm32")]
const CHATS_KEY: &str = "agent-adapter.chat-drafts";

/// What the agent was writing in each chat: the chat's id and the text.
pub type ChatDrafts = Vec<(u64, String)>;

/// What is stored: whose work, when, and the work (the dial screen's, or the chats').
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored<W = DialWork> {
    /// The platform agent who was working on it.
    pub agent: u64,
    /// When it was kept (Unix ms).
    pub saved_ms: i64,
    /// The work.
    pub work: W,
}

impl<W: DeserializeOwned> Stored<W> {
    /// The work kept for `agent`, unless it is unreadable, another agent's, or older than
    /// [`KEEP_MS`] at `now_ms`.
    pub fn decode(text: Option<&str>, agent: u64, now_ms: i64) -> Option<W> {
        let stored: Stored<W> = serde_json::from_str(text?).ok()?;
        let age = now_ms - stored.saved_ms;
        (stored.agent == agent && (0..KEEP_MS).contains(&age)).then_some(stored.work)
    }
}

/// The platform agent signed in on this page, whose work is kept.
#[cfg(target_arch = "wasm32")]
fn signed_in_agent() -> Option<u64> {
    crate::services::host::backend().and_then(|b| b.platform_agent.get())
}

#[cfg(target_arch = "wasm32")]
fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Keeps the agent's work (or removes what was kept when there is none: a fresh screen).
#[cfg(target_arch = "wasm32")]
pub fn keep(work: Option<DialWork>, agent: u64, now_ms: i64) {
    keep_at(KEY, work, agent, now_ms)
}

/// [`keep`] under `key`.
#[cfg(target_arch = "wasm32")]
fn keep_at<W: Serialize>(key: &str, work: Option<W>, agent: u64, now_ms: i64) {
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
        Some(text) => storage.set_item(key, &text),
        None => storage.remove_item(key),
    };
}

/// Keeps what the agent is writing in the chats still open (or removes what was kept when
/// there is nothing: a message sent, the chats closed).
#[cfg(target_arch = "wasm32")]
pub(crate) fn keep_chats(adapter: crate::services::live::Adapter) {
    use leptos::prelude::*;
    let drafts: ChatDrafts = adapter.drafts.with_untracked(|d| {
        adapter.chats.with_untracked(|chats| {
            d.iter()
                .filter(|(id, _)| {
                    chats
                        .iter()
                        .any(|c| c.id == *id && c.status != domain::chat::ChatStatus::Ended)
                })
                .cloned()
                .collect()
        })
    });
    keep_list(CHATS_KEY, drafts);
}

/// Keeps `work` for the agent signed in on this page, now (removes what was kept: `None`).
#[cfg(target_arch = "wasm32")]
fn keep_for_agent<W: Serialize>(key: &str, work: Option<W>) {
    if let Some(agent) = signed_in_agent() {
        keep_at(key, work, agent, crate::services::host::now_ms());
    }
}

/// [`keep_for_agent`] for a list: an empty one removes what was kept.
#[cfg(target_arch = "wasm32")]
fn keep_list<T: Serialize>(key: &str, list: Vec<T>) {
    keep_for_agent(key, (!list.is_empty()).then_some(list));
}

/// What `agent` was writing in their chats in this tab before a reload (read once: what cannot
/// be taken up is removed).
#[cfg(target_arch = "wasm32")]
pub(crate) fn load_chats(agent: u64, now_ms: i64) -> ChatDrafts {
    load_at(CHATS_KEY, agent, now_ms).unwrap_or_default()
}

/// The session-storage key of what the agent has seen of each chat.
#[cfg(target_arch = "wasm32")]
const CHATS_SEEN_KEY: &str = "agent-adapter.chat-seen";

/// For each chat still open, the id of the newest customer message the agent has seen
/// ([`domain::chat::Chat::seen_through`]): ids only, no text.
pub type ChatsSeen = Vec<(u64, u64)>;

/// Keeps what the agent has seen of each chat still open ([`domain::chat::seen_of_open`]), so
/// that a reload shows as unread what they had not seen, and what came while the page was away
/// (or removes it: no chat open).
#[cfg(target_arch = "wasm32")]
pub(crate) fn keep_chats_seen(seen: ChatsSeen) {
    keep_list(CHATS_SEEN_KEY, seen);
}

/// What `agent` had seen of their chats in this tab before a reload (read once).
#[cfg(target_arch = "wasm32")]
pub(crate) fn load_chats_seen(agent: u64, now_ms: i64) -> ChatsSeen {
    load_at(CHATS_SEEN_KEY, agent, now_ms).unwrap_or_default()
}

/// The session-storage key of the chat on screen.
#[cfg(target_arch = "wasm32")]
const CHAT_SCREEN_KEY: &str = "agent-adapter.chat-screen";

/// Keeps which chat is on screen (`None`: the phone's screens), so that a reload comes back to
/// the chat the agent was in, not to the keypad, where their next keys would type a number.
#[cfg(target_arch = "wasm32")]
pub(crate) fn keep_chat_screen(chat: Option<u64>) {
    keep_for_agent(CHAT_SCREEN_KEY, chat);
}

/// The chat `agent` had on screen in this tab before a reload, if any.
#[cfg(target_arch = "wasm32")]
pub(crate) fn load_chat_screen(agent: u64, now_ms: i64) -> Option<u64> {
    load_at(CHAT_SCREEN_KEY, agent, now_ms)
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
    let Some(agent) = signed_in_agent() else {
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
    load_at(KEY, agent, now_ms)
}

/// [`load`] under `key`.
#[cfg(target_arch = "wasm32")]
fn load_at<W: DeserializeOwned>(key: &str, agent: u64, now_ms: i64) -> Option<W> {
    let storage = session_storage()?;
    let text = storage.get_item(key).ok().flatten();
    let work = Stored::<W>::decode(text.as_deref(), agent, now_ms);
    if work.is_none() && text.is_some() {
        let _ = storage.remove_item(key);
    }
    work
}

/// Forgets the kept dial screen (the call placed, sign-out, the session ended).
#[cfg(target_arch = "wasm32")]
pub fn clear() {
    if let Some(storage) = session_storage() {
        let _ = storage.remove_item(KEY);
    }
}

/// Forgets everything kept: the dial screen and the chats' composers (sign-out, the session
/// ended: the next agent on this computer finds none of it).
#[cfg(target_arch = "wasm32")]
pub fn clear_all() {
    clear();
    if let Some(storage) = session_storage() {
        let _ = storage.remove_item(CHATS_KEY);
        let _ = storage.remove_item(CHATS_SEEN_KEY);
        let _ = storage.remove_item(CHAT_SCREEN_KEY);
    }
}
