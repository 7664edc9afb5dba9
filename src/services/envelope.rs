//! How the outbox's state is kept in browser storage: a versioned envelope with the time it was
//! written, so that a change of the state's shape, a corrupt value, or data left for days never
//! panics and never silently drops writes:
//! - the current version opens as is; the version before the envelope (the bare state) is read
//!   as the same shape (migrated);
//! - data that cannot be read is *set aside* under its own key (kept for support, reported to
//!   the agent once, dated: removed once older than [`MAX_AGE_MS`], like the writes it held),
//!   and the outbox starts empty beside it;
//! - data older than [`MAX_AGE_MS`] is expired: its writes are past use (a call from days ago),
//!   it is removed and reported.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The envelope's version: 2 (1 was the bare state, before the envelope).
pub const VERSION: u32 = 2;
/// How long unsent writes are kept: three days (a weekend away does not replay Friday's calls
/// on Monday, nor keep customer data in the browser longer).
pub const MAX_AGE_MS: i64 = 3 * 24 * 60 * 60 * 1000;
/// Where unreadable data is set aside: this prefix, then the key it came from.
pub const SET_ASIDE_PREFIX: &str = "agent-adapter.set-aside.";

#[derive(Serialize)]
struct SealRef<'a, T> {
    v: u32,
    saved_ms: i64,
    state: &'a T,
}

#[derive(Deserialize)]
struct Sealed<T> {
    v: u32,
    saved_ms: i64,
    state: T,
}

/// What was found under a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened<T> {
    /// Nothing stored.
    Empty,
    /// The state, readable and recent (or migrated from the bare format).
    State(T),
    /// Written longer than [`MAX_AGE_MS`] ago: to remove; the state is given for the report.
    Expired(T),
    /// Not readable as any known version: to set aside (the raw text is kept by the caller).
    Unreadable,
}

/// The text to store for `state`, written at `now_ms`.
pub fn seal<T: Serialize>(state: &T, now_ms: i64) -> Option<String> {
    serde_json::to_string(&SealRef {
        v: VERSION,
        saved_ms: now_ms,
        state,
    })
    .ok()
}

/// Reads what `seal` wrote (or the bare state of version 1); never panics on any text.
pub fn open<T: DeserializeOwned>(text: Option<&str>, now_ms: i64) -> Opened<T> {
    let Some(text) = text else {
        return Opened::Empty;
    };
    if let Ok(sealed) = serde_json::from_str::<Sealed<T>>(text) {
        if sealed.v != VERSION {
            return Opened::Unreadable;
        }
        return if now_ms.saturating_sub(sealed.saved_ms) > MAX_AGE_MS {
            Opened::Expired(sealed.state)
        } else {
            Opened::State(sealed.state)
        };
    }
    // Version 1: the state itself, with no envelope and no date (kept as recent).
    match serde_json::from_str::<T>(text) {
        Ok(state) => Opened::State(state),
        Err(_) => Opened::Unreadable,
    }
}

/// The wall clock, in Unix ms (the envelope's dates).
pub fn wall_clock_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }
}

/// The key unreadable data from `key` is kept under.
pub fn set_aside_key(key: &str) -> String {
    format!("{SET_ASIDE_PREFIX}{key}")
}

/// What set-aside `raw` text is stored as: itself, dated `now_ms` ([`judge_set_aside`]).
pub fn seal_set_aside(raw: &str, now_ms: i64) -> String {
    seal(&raw, now_ms).unwrap_or_else(|| raw.to_owned())
}

/// What becomes of set-aside data found at `now_ms`.
#[derive(Debug, PartialEq, Eq)]
pub enum SetAside {
    /// Dated, and not older than [`MAX_AGE_MS`]: kept.
    Keep,
    /// Older than [`MAX_AGE_MS`]: removed (customer data is not kept longer than the writes).
    Remove,
    /// Set aside before set-aside data was dated: to be stored as this, dated now.
    Date(String),
}

/// Judges set-aside `text` (as [`seal_set_aside`] wrote it, or undated) at `now_ms`.
pub fn judge_set_aside(text: &str, now_ms: i64) -> SetAside {
    match serde_json::from_str::<Sealed<String>>(text) {
        Ok(sealed) if sealed.v == VERSION => {
            if now_ms.saturating_sub(sealed.saved_ms) > MAX_AGE_MS {
                SetAside::Remove
            } else {
                SetAside::Keep
            }
        }
        _ => SetAside::Date(seal_set_aside(text, now_ms)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    type State = BTreeMap<String, Vec<u64>>;

    fn state() -> State {
        BTreeMap::from([("42.placed".to_owned(), vec![1, 2])])
    }

    #[test]
    fn what_is_sealed_opens_again_until_it_expires() {
        let text = seal(&state(), 1_000).unwrap();
        assert_eq!(open::<State>(Some(&text), 2_000), Opened::State(state()));
        assert_eq!(
            open::<State>(Some(&text), 1_000 + MAX_AGE_MS + 1),
            Opened::Expired(state())
        );
    }

    #[test]
    fn the_bare_state_of_version_1_is_migrated() {
        let v1 = serde_json::to_string(&state()).unwrap();
        assert_eq!(open::<State>(Some(&v1), 5), Opened::State(state()));
    }

    #[test]
    fn nothing_unreadable_panics_or_passes_for_state() {
        for text in [
            "",
            "{",
            "null",
            "[1,2]",
            r#"{"v":3,"saved_ms":0,"state":{}}"#,
            r#"{"v":2,"saved_ms":"x","state":{}}"#,
            r#"{"42.placed":"not a list"}"#,
            "\u{0}\u{ffff}",
        ] {
            assert_eq!(open::<State>(Some(text), 0), Opened::Unreadable, "{text:?}");
        }
        assert_eq!(open::<State>(None, 0), Opened::Empty);
    }

    #[test]
    fn set_aside_data_is_dated_and_goes_when_the_writes_would() {
        let raw = "{\"jobs\": [ not json";
        let aside = seal_set_aside(raw, 1_000);
        assert_eq!(
            open::<String>(Some(&aside), 2_000),
            Opened::State(raw.to_owned())
        );
        assert_eq!(judge_set_aside(&aside, 1_000 + MAX_AGE_MS), SetAside::Keep);
        assert_eq!(
            judge_set_aside(&aside, 1_000 + MAX_AGE_MS + 1),
            SetAside::Remove
        );
        // Undated (set aside by an earlier version), whatever it holds: dated now.
        for undated in [
            raw,
            "\"a JSON string\"",
            "",
            r#"{"v":1,"saved_ms":0,"state":"x"}"#,
        ] {
            assert_eq!(
                judge_set_aside(undated, 5),
                SetAside::Date(seal_set_aside(undated, 5)),
                "{undated:?}"
            );
        }
    }

    #[test]
    fn set_aside_data_keeps_its_origin_in_its_key() {
        assert_eq!(
            set_aside_key("agent-adapter.outbox.7"),
            "agent-adapter.set-aside.agent-adapter.outbox.7"
        );
    }
}
