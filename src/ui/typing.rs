//! The agent's typing. A call offered while the agent types (a number on the keypad, a Ticket
//! ID) takes the screen, and the field they typed in goes with it: the keys still on their way
//! (a space in a number, the Enter meant for Next) must not answer the call. A run of typing is
//! keys with less than [`TYPING_PAUSE_MS`] between them; keys of a run that began before a call
//! was offered do not answer it, and Answer takes the keyboard focus once the run ends. The
//! same holds for the focus a call found on screen takes (Hang up, New call) and for a chat
//! offer's Accept. (A call that comes while the agent is in a chat they hold does not take the
//! screen at all: `Adapter::show_call`.)

use leptos::{ev, prelude::*};
use std::cell::Cell;

/// A pause this long between two keys ends a run of typing: longer than the gap between two
/// keys of a word or a number, short enough that an agent who stops to look is not kept waiting.
pub(crate) const TYPING_PAUSE_MS: f64 = 1000.0;

thread_local! {
    /// The run of typing: when its first key and its last key came (ms); none yet when the
    /// last key is at minus infinity.
    static RUN: Cell<(f64, f64)> = const { Cell::new((f64::NEG_INFINITY, f64::NEG_INFINITY)) };
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// A key that types: a character (Shift allowed), Backspace, Delete, or Enter (which ends a
/// line, sends a message, goes Next). Anything else (Tab, the arrows, Escape, a shortcut with
/// Alt, Ctrl or Meta) is the agent steering, and ends the run.
fn types(key: &str, modified: bool) -> bool {
    !modified && (key.chars().count() == 1 || matches!(key, "Backspace" | "Delete" | "Enter"))
}

/// Notes a key the agent pressed at `at`.
fn note(key: &str, modified: bool, at: f64) {
    RUN.with(|run| {
        let (first, last) = run.get();
        run.set(if !types(key, modified) {
            (f64::NEG_INFINITY, f64::NEG_INFINITY)
        } else if at - last < TYPING_PAUSE_MS {
            (first, at)
        } else {
            (at, at)
        });
    });
}

/// Whether the agent is in a run of typing that began before `at` (a key of it came less than
/// [`TYPING_PAUSE_MS`] ago).
pub(crate) fn typing_since_before(at: f64) -> bool {
    in_run_since_before(at, now())
}

fn in_run_since_before(at: f64, now: f64) -> bool {
    let (first, last) = RUN.with(Cell::get);
    now - last < TYPING_PAUSE_MS && first < at
}

/// Whether a run of typing is going on now.
pub(crate) fn typing_now() -> bool {
    typing_since_before(f64::INFINITY)
}

/// Watches the keys of the session's screens (mounted once per session, beside the tabs).
#[component]
pub fn TypingWatch() -> impl IntoView {
    // Whether this runs before or after a screen's own handler of the same key, the answer
    // for that key is the same: a key that starts a run starts it after the screen showed.
    let handle = window_event_listener(ev::keydown, move |e| {
        note(&e.key(), e.alt_key() || e.ctrl_key() || e.meta_key(), now());
    });
    on_cleanup(move || handle.remove());
}

/// Runs `then` once no run of typing is going on: at once, or when the run ends.
pub(crate) fn after_typing(then: impl FnOnce() + 'static) {
    if !typing_now() {
        then();
        return;
    }
    let (_, last) = RUN.with(Cell::get);
    let wait = (last + TYPING_PAUSE_MS - now()).max(0.0) as u64 + 10;
    set_timeout(
        move || after_typing(then),
        std::time::Duration::from_millis(wait),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_type_and_keys_that_steer() {
        for key in ["a", "7", " ", "+", "è", "Backspace", "Delete", "Enter"] {
            assert!(types(key, false), "{key}");
        }
        for key in ["Tab", "Escape", "ArrowDown", "Shift", "F5"] {
            assert!(!types(key, false), "{key}");
        }
        assert!(!types("1", true), "Alt+1 steers");
    }

    #[test]
    fn a_run_that_began_before_an_offer_holds_until_a_pause() {
        // Keys every 200 ms from t=0; a call offered at t=500.
        for at in [0.0, 200.0, 400.0, 600.0] {
            note("5", false, at);
        }
        assert!(
            in_run_since_before(500.0, 700.0),
            "Enter at 700 is still the number's"
        );
        assert!(in_run_since_before(500.0, 1599.0));
        assert!(
            !in_run_since_before(500.0, 1600.0),
            "a pause of a second ends it"
        );
        // The first key after the pause starts a run of its own, after the offer.
        note("Enter", false, 1700.0);
        assert!(!in_run_since_before(500.0, 1700.0));
        assert!(in_run_since_before(f64::INFINITY, 1700.0), "typing now");
        // A key that steers ends the run at once.
        note("Tab", false, 1800.0);
        assert!(!in_run_since_before(f64::INFINITY, 1800.0));
        note("1", true, 1900.0);
        assert!(!in_run_since_before(f64::INFINITY, 1900.0));
    }
}
