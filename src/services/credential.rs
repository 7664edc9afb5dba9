//! Where the tab keeps its platform resume credential between reloads: the tab's own session
//! storage (never localStorage, never a cookie or a URL), with its expiry, so a reload signs the
//! agent in again without the password. Closing the tab, signing out, or a refused resume removes
//! it. What it is and why this is safe enough: README, "Security".

use crate::platform::Resume;
use serde::{Deserialize, Serialize};

/// The session-storage key.
#[cfg(target_arch = "wasm32")]
const KEY: &str = "agent-adapter.resume";

/// What is stored: the credential and when it stops working (Unix ms).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// The credential.
    pub token: String,
    /// Unix ms after which the platform refuses it.
    pub expires_ms: i64,
}

impl Stored {
    /// The credential as handed out at `now_ms`, expiring a little early (a resume sent just as
    /// it expires is refused anyway).
    pub fn of(resume: &Resume, now_ms: i64) -> Self {
        let life_ms = (resume.expires_in as i64).saturating_mul(1000);
        Self {
            token: resume.token.clone(),
            expires_ms: now_ms.saturating_add(life_ms * 9 / 10),
        }
    }

    /// Reads what was stored; None for nothing, an unreadable value or an expired credential.
    pub fn decode(text: Option<&str>, now_ms: i64) -> Option<Self> {
        let stored: Stored = serde_json::from_str(text?).ok()?;
        (stored.expires_ms > now_ms && !stored.token.is_empty()).then_some(stored)
    }

    /// How long to wait before renewing: half the credential's life, at least 10 s.
    pub fn renew_after_ms(resume: &Resume) -> i64 {
        ((resume.expires_in as i64).saturating_mul(1000) / 2).max(10_000)
    }
}

#[cfg(target_arch = "wasm32")]
fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The stored credential, if any and still good (an expired or unreadable one is removed).
#[cfg(target_arch = "wasm32")]
pub fn load(now_ms: i64) -> Option<Stored> {
    let storage = session_storage()?;
    let text = storage.get_item(KEY).ok().flatten();
    let stored = Stored::decode(text.as_deref(), now_ms);
    if stored.is_none() && text.is_some() {
        let _ = storage.remove_item(KEY);
    }
    stored
}

/// Keeps `resume` for the next reload of this tab (nothing when storage is blocked: the agent
/// then signs in after a reload, as before).
#[cfg(target_arch = "wasm32")]
pub fn save(resume: &Resume, now_ms: i64) {
    if let (Some(storage), Ok(text)) = (
        session_storage(),
        serde_json::to_string(&Stored::of(resume, now_ms)),
    ) {
        let _ = storage.set_item(KEY, &text);
    }
}

/// Forgets the credential (sign-out, refused resume, ended session).
#[cfg(target_arch = "wasm32")]
pub fn clear() {
    if let Some(storage) = session_storage() {
        let _ = storage.remove_item(KEY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resume(s: u64) -> Resume {
        Resume {
            token: "r".into(),
            expires_in: s,
        }
    }

    #[test]
    fn a_stored_credential_is_good_until_just_before_it_expires() {
        let stored = Stored::of(&resume(900), 1_000);
        assert_eq!(stored.expires_ms, 1_000 + 810_000);
        let text = serde_json::to_string(&stored).unwrap();
        assert_eq!(Stored::decode(Some(&text), 2_000), Some(stored.clone()));
        assert_eq!(Stored::decode(Some(&text), stored.expires_ms), None);
    }

    #[test]
    fn nothing_unreadable_or_empty_is_used() {
        for bad in [
            "",
            "{",
            "null",
            "42",
            r#"{"token":"","expires_ms":99999999999999}"#,
            "\u{0}",
        ] {
            assert_eq!(Stored::decode(Some(bad), 0), None, "{bad:?}");
        }
        assert_eq!(Stored::decode(None, 0), None);
    }

    #[test]
    fn renewal_comes_at_half_life() {
        assert_eq!(Stored::renew_after_ms(&resume(900)), 450_000);
        assert_eq!(Stored::renew_after_ms(&resume(4)), 10_000);
    }
}
