//! The agent's keys on their way. A call offered while the agent types (a number on the keypad,
//! a Ticket ID) or moves about a list (Recent, with the arrows) takes the screen, and the field
//! or the list goes with it: the keys still on their way (a space in a number, the Enter meant
//! for Next or for a Recent row's Call back) must not answer the call. A run of keys is keys with
//! less than [`TYPING_PAUSE_MS`] between them; the keys of a run that began before a call was
//! offered, or less than [`REACTION_MS`] after it showed, do not answer it, and Answer takes the
//! keyboard focus once the run ends. The same holds for the focus a call found on screen takes
//! (Hang up, New call) and for a chat offer's Accept. A shortcut (Alt+1 to open the phone's tab)
//! is the agent acting on what they see: it ends a run. (A call that comes while the agent is in
//! a chat they hold does not take the screen at all: `Adapter::show_call`.)

use leptos::{ev, prelude::*};
use std::cell::Cell;

/// A pause this long between two keys ends a run of typing: longer than the gap between two
/// keys of a word or a number, short enough that an agent who stops to look is not kept waiting.
pub(crate) const TYPING_PAUSE_MS: f64 = 1000.0;

/// Nobody sees a new screen and decides what to press on it in less: a key pressed sooner after
/// it showed was meant for the screen before.
pub(crate) const REACTION_MS: f64 = 300.0;

thread_local! {
    /// The run of typing: when its first key and its last key came (ms); none yet when the
    /// last key is at minus infinity.
    static RUN: Cell<(f64, f64)> = const { Cell::new((f64::NEG_INFINITY, f64::NEG_INFINITY)) };
    /// When the agent last gave a command (a shortcut, a press of the mouse or a touch).
    static COMMAND: Cell<f64> = const { Cell::new(f64::NEG_INFINITY) };
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// What a key does to a run of keys.
#[derive(Debug, PartialEq)]
enum Key {
    /// A key meant for the screen the agent is on: a character (Shift allowed, or AltGr: Ctrl
    /// and Alt together on some systems, as for "@" on an Italian keyboard), a dead key or an
    /// input method's, Backspace, Delete, Enter (which ends a line, sends a message, goes Next,
    /// calls back from a Recent row), Tab, the arrows, Escape.
    OnTheWay,
    /// A shortcut with Alt, Ctrl or Meta: a command the agent gives knowing what is on screen
    /// (Alt+1 opens the phone's tab, where Enter then answers). It ends a run.
    Shortcut,
    /// A modifier pressed alone (Shift before a capital, Alt before Alt+1): it neither types
    /// nor ends a run, so the key it leads to decides.
    Neither,
}

/// The modifiers held with a key that make it a shortcut: Meta, or Ctrl or Alt alone (both
/// together, or AltGraph, is AltGr typing a character).
fn shortcut(alt: bool, ctrl: bool, meta: bool, alt_graph: bool) -> bool {
    meta || (alt != ctrl && !alt_graph)
}

fn kind(key: &str, shortcut: bool) -> Key {
    match key {
        "Shift" | "Control" | "Alt" | "AltGraph" | "Meta" | "CapsLock" | "NumLock" | "Fn"
        | "OS" => Key::Neither,
        _ if shortcut => Key::Shortcut,
        _ => Key::OnTheWay,
    }
}

/// Notes a command the agent gave at `at` (a shortcut, a click): they act on what they see, so
/// it ends a run, and a screen it opens is theirs at once (no [`REACTION_MS`] for it).
fn command(at: f64) {
    RUN.with(|run| run.set((f64::NEG_INFINITY, f64::NEG_INFINITY)));
    COMMAND.with(|c| c.set(at));
}

/// A screen shown this soon after a command was opened by it.
const OPENED_BY_COMMAND_MS: f64 = 250.0;

/// Until when keys are taken as meant for the screen before one that showed at `shown`.
fn keys_for_before_until(shown: f64) -> f64 {
    if COMMAND.with(Cell::get) >= shown - OPENED_BY_COMMAND_MS {
        shown
    } else {
        shown + REACTION_MS
    }
}

/// Notes a key the agent pressed at `at`.
fn note(key: &str, shortcut: bool, at: f64) {
    RUN.with(|run| {
        let (first, last) = run.get();
        match kind(key, shortcut) {
            Key::Neither => {}
            Key::Shortcut => command(at),
            Key::OnTheWay if at - last < TYPING_PAUSE_MS => run.set((first, at)),
            Key::OnTheWay => run.set((at, at)),
        }
    });
}

/// Whether the agent is in a run of keys meant for what was on screen before `shown` (ms): a
/// run that began before it, or less than [`REACTION_MS`] after it, and a key of it came less
/// than [`TYPING_PAUSE_MS`] ago.
pub(crate) fn typing_since_before(shown: f64) -> bool {
    in_run_since_before(keys_for_before_until(shown), now())
}

fn in_run_since_before(at: f64, now: f64) -> bool {
    let (first, last) = RUN.with(Cell::get);
    now - last < TYPING_PAUSE_MS && first < at
}

/// Whether a run of keys is going on now.
pub(crate) fn typing_now() -> bool {
    in_run_since_before(f64::INFINITY, now())
}

/// Watches the keys of the session's screens (mounted once per session, beside the tabs).
#[component]
pub fn TypingWatch() -> impl IntoView {
    // Whether this runs before or after a screen's own handler of the same key, the answer
    // for that key is the same: a key that starts a run starts it after the screen showed.
    let handle = window_event_listener(ev::keydown, move |e| {
        let held = shortcut(
            e.alt_key(),
            e.ctrl_key(),
            e.meta_key(),
            e.get_modifier_state("AltGraph"),
        );
        note(&e.key(), held, now());
    });
    let pressed = window_event_listener(ev::pointerdown, move |_| command(now()));
    on_cleanup(move || {
        handle.remove();
        pressed.remove();
    });
}

/// Whether the agent pressed a key (not a modifier alone) at `since` (ms) or later.
pub(crate) fn keys_since(since: f64) -> bool {
    RUN.with(Cell::get).1 >= since
}

/// Runs `then` for what showed at `shown` (ms) once the keys meant for the screen before have
/// come: [`REACTION_MS`] after it showed, then once no run of keys is going on.
pub(crate) fn after_keys_on_their_way(shown: f64, then: impl FnOnce() + 'static) {
    let wait = (keys_for_before_until(shown) - now()).max(0.0) as u64;
    set_timeout(
        move || after_typing(then),
        std::time::Duration::from_millis(wait),
    );
}

/// Gives the keyboard to what just showed (`then` focuses it): at once, unless the agent is
/// typing in a text field that what showed took away (a chat's composer, when the chat went to
/// another agent or ended as they wrote), and the keyboard is on nothing. Their keys are meant
/// for that field: the next chat's composer, or the ended chat's Close, takes the keyboard once
/// they stop, and only if it is still on nothing (before, the rest of the sentence, and its
/// Enter, went to another customer). A button pressed (Accept, Close) gives it at once.
pub(crate) fn take_keyboard(then: impl FnOnce() + 'static) {
    if !(typing_now() && crate::ui::focus_lost() && crate::ui::typed_into_gone_field()) {
        then();
        return;
    }
    after_typing(move || {
        if crate::ui::focus_lost() {
            then();
        }
    });
}

/// Runs `then` once no run of keys is going on: at once, or when the run ends.
fn after_typing(then: impl FnOnce() + 'static) {
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
    fn keys_on_their_way_and_shortcuts() {
        for key in [
            "a",
            "7",
            " ",
            "+",
            "è",
            "Backspace",
            "Delete",
            "Enter",
            "Dead",
            "Tab",
            "Escape",
            "ArrowDown",
        ] {
            assert_eq!(kind(key, false), Key::OnTheWay, "{key}");
        }
        assert_eq!(kind("1", true), Key::Shortcut, "Alt+1");
        assert_eq!(kind("v", true), Key::Shortcut, "Ctrl+V");
        for key in ["Shift", "Control", "Alt", "AltGraph", "Meta", "CapsLock"] {
            assert_eq!(kind(key, false), Key::Neither, "{key} alone");
            assert_eq!(kind(key, true), Key::Neither, "{key} with another");
        }
    }

    #[test]
    fn altgr_types_and_ctrl_or_alt_alone_is_a_shortcut() {
        // (alt, ctrl, meta, AltGraph)
        assert!(!shortcut(false, false, false, false));
        assert!(shortcut(true, false, false, false), "Alt+1");
        assert!(shortcut(false, true, false, false), "Ctrl+V");
        assert!(shortcut(false, false, true, false), "Meta+V");
        assert!(
            !shortcut(true, true, false, false),
            "AltGr as Ctrl+Alt: @ on an Italian keyboard"
        );
        assert!(!shortcut(true, false, false, true), "AltGraph");
        assert!(shortcut(true, true, true, false));
    }

    #[test]
    fn a_modifier_alone_leaves_the_run_as_it_is() {
        // "Ro" with Shift for the capital (t=0 and 100), then Shift again at 600 and "@"
        // typed at 700.
        note("Shift", false, 0.0);
        note("R", false, 100.0);
        note("o", false, 200.0);
        note("Shift", false, 600.0);
        assert!(in_run_since_before(150.0, 650.0), "Shift kept the run");
        note("@", false, 700.0);
        // AltGr held, then the character it types: still the same run.
        note("AltGraph", true, 800.0);
        note("@", shortcut(true, true, false, false), 900.0);
        assert!(in_run_since_before(150.0, 950.0), "AltGr typed in the run");
        // Alt pressed before Alt+1 changes nothing; Alt+1 then ends the run.
        note("Alt", true, 1000.0);
        assert!(in_run_since_before(150.0, 1050.0));
        note("1", true, 1100.0);
        assert!(!in_run_since_before(f64::INFINITY, 1100.0));
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
        // A shortcut ends the run at once.
        note("1", true, 1900.0);
        assert!(!in_run_since_before(f64::INFINITY, 1900.0));
    }

    #[test]
    fn the_arrows_and_enter_of_a_list_are_on_their_way_too() {
        // Down, Down in Recent (t=0, 300); a call shows at 500; Down at 900 (the agent has
        // not looked up yet) and the Enter meant for the row at 1100.
        note("ArrowDown", false, 0.0);
        note("ArrowDown", false, 300.0);
        note("ArrowDown", false, 900.0);
        note("Enter", false, 1100.0);
        assert!(in_run_since_before(500.0, 1100.0), "the Enter is the row's");
        assert!(
            !in_run_since_before(500.0, 2100.0),
            "a pause of a second ends it"
        );
    }

    #[test]
    fn a_key_sooner_after_a_screen_showed_than_anyone_reacts_was_meant_for_the_one_before() {
        // Nothing pressed before; a call shows at 5000 and Enter comes at 5100: it was pressed
        // for the Recent row, not the call.
        note("Enter", false, 5100.0);
        assert_eq!(keys_for_before_until(5000.0), 5000.0 + REACTION_MS);
        assert!(in_run_since_before(keys_for_before_until(5000.0), 5100.0));
        // An Enter after a look at the screen (and no key since the one before) answers.
        note("Enter", false, 6400.0);
        assert!(!in_run_since_before(keys_for_before_until(5000.0), 6400.0));
    }

    #[test]
    fn a_screen_the_agent_opened_is_theirs_at_once() {
        // Typing in a chat; Alt+1 at 1000 opens the phone's tab (shown at 1010), and Enter at
        // 1100 answers the call ringing there: Alt+1 ended the run, and the agent asked for
        // that screen.
        note("a", false, 800.0);
        note("1", true, 1000.0);
        assert_eq!(keys_for_before_until(1010.0), 1010.0);
        note("Enter", false, 1100.0);
        assert!(!in_run_since_before(keys_for_before_until(1010.0), 1100.0));
        // A click is a command too: it ends a run.
        note("b", false, 2000.0);
        command(2100.0);
        assert!(!in_run_since_before(f64::INFINITY, 2100.0));
        // A screen that showed by itself well after the command gets the reaction time again.
        assert_eq!(keys_for_before_until(3000.0), 3000.0 + REACTION_MS);
    }
}
