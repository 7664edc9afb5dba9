//! The on-screen keypad (UI-5): twelve phone keys, `+`, paste and delete; in a call, the twelve
//! touch-tone keys alone.

use crate::ui::word;
use domain::labels::Label;
use domain::phone::Key;
use leptos::prelude::*;

stylance::import_crate_style!(style, "src/ui/keypad.module.css");

/// The letters printed under a digit, as on a phone (decorative only).
fn letters(key: Key) -> &'static str {
    match key {
        Key::Digit(2) => "ABC",
        Key::Digit(3) => "DEF",
        Key::Digit(4) => "GHI",
        Key::Digit(5) => "JKL",
        Key::Digit(6) => "MNO",
        Key::Digit(7) => "PQRS",
        Key::Digit(8) => "TUV",
        Key::Digit(9) => "WXYZ",
        _ => "",
    }
}

/// The accessible name of a symbol key (screen readers would read `*` and `#` poorly); digits
/// are named by their visible digit.
fn aria_label(key: Key) -> Option<Label> {
    match key {
        Key::Star => Some(Label::KeyStar),
        Key::Hash => Some(Label::KeyHash),
        Key::Plus => Some(Label::KeyPlus),
        Key::Digit(_) => None,
    }
}

/// A grid of keys; each press is reported through `on_key`. With `on_backspace` and `on_paste`
/// it is the number-entry keypad (with `+`, delete and paste); without, the touch-tone keypad.
#[component]
pub fn Keypad(
    /// Called with the key the agent pressed.
    #[prop(into)]
    on_key: Callback<Key>,
    /// Called when the agent presses the delete key.
    #[prop(optional, into)]
    on_backspace: Option<Callback<()>>,
    /// Called when the agent presses the paste key.
    #[prop(optional, into)]
    on_paste: Option<Callback<()>>,
) -> impl IntoView {
    let entry = on_backspace.is_some();
    let keys = Key::ALL
        .into_iter()
        .filter(|key| entry || *key != Key::Plus)
        .map(|key| {
            view! {
                <button
                    type="button"
                    class=style::key
                    data-testid=format!("keypad-key-{}", key.name())
                    aria-label=aria_label(key).map(word)
                    on:click=move |_| on_key.run(key)
                >
                    <span class=style::digit>{key.as_char().to_string()}</span>
                    <span class=style::letters aria-hidden="true">{letters(key)}</span>
                </button>
            }
        })
        .collect_view();
    let paste = on_paste.map(|on_paste| {
        view! {
            <button
                type="button"
                class=style::key
                data-testid="keypad-paste"
                on:click=move |_| on_paste.run(())
            >
                <span class=style::word>{word(Label::Paste)}</span>
            </button>
        }
    });
    let backspace = on_backspace.map(|on_backspace| {
        view! {
            <button
                type="button"
                class=stylance::classes!(style::key, style::backspace)
                data-testid="keypad-backspace"
                aria-label=word(Label::DeleteDigit)
                on:click=move |_| on_backspace.run(())
            >
                <span class=style::digit aria-hidden="true">"⌫"</span>
            </button>
        }
    });
    view! {
        <div class=style::keypad role="group" aria-label=word(Label::Keypad)>
            {keys}
            {paste}
            {backspace}
        </div>
    }
}
