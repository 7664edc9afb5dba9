//! The outbound dial screen: number display, keypad, Call and Cancel (UI-1 … UI-12).

use crate::ui::{keypad::Keypad, labels};
use domain::phone::{Key, NumberBuffer};
use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;

stylance::import_crate_style!(style, "src/ui/dial_screen.module.css");

/// The test id of the number display (DESIGN.md §5.1).
const NUMBER_TEST_ID: &str = "dial-number";

/// What a key pressed anywhere on the page means to the dial screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyIntent {
    Type(Key),
    Backspace,
    Call,
    Cancel,
}

/// Maps a keyboard key (`KeyboardEvent.key`) to an intent; modifier chords are left to the browser
/// so copy and paste keep working.
fn key_intent(key: &str, modified: bool) -> Option<KeyIntent> {
    if modified {
        return None;
    }
    match key {
        "Backspace" => Some(KeyIntent::Backspace),
        "Enter" => Some(KeyIntent::Call),
        "Escape" => Some(KeyIntent::Cancel),
        _ => {
            let mut chars = key.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Key::from_char(c).map(KeyIntent::Type),
                _ => None,
            }
        }
    }
}

/// True when the key event belongs to another text control (a search box, a select), which must
/// keep its own typing; the number display itself is handled here.
fn typed_into_other_control(ev: &ev::KeyboardEvent) -> bool {
    let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    let editable = matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT");
    editable && el.get_attribute("data-testid").as_deref() != Some(NUMBER_TEST_ID)
}

/// The dial screen. Typing on the keyboard anywhere in the adapter types into the number.
#[component]
pub fn DialScreen() -> impl IntoView {
    let number = RwSignal::new(NumberBuffer::default());
    let status = RwSignal::new(None::<String>);

    let type_key = move |key: Key| {
        number.update(|n| {
            n.press(key);
        })
    };
    let backspace = move || number.update(NumberBuffer::backspace);
    let can_call = move || number.with(|n| !n.is_empty());
    let place_call = move || {
        if can_call() {
            status.set(Some(format!(
                "{} {}…",
                labels::CALLING,
                number.get_untracked().as_str()
            )));
        }
    };
    let cancel = move || {
        number.update(NumberBuffer::clear);
        status.set(None);
    };

    let keydown = window_event_listener(ev::keydown, move |ev| {
        if ev.default_prevented() || typed_into_other_control(&ev) {
            return;
        }
        let modified = ev.ctrl_key() || ev.meta_key() || ev.alt_key();
        let Some(intent) = key_intent(&ev.key(), modified) else {
            return;
        };
        ev.prevent_default();
        match intent {
            KeyIntent::Type(key) => type_key(key),
            KeyIntent::Backspace => backspace(),
            KeyIntent::Call => place_call(),
            KeyIntent::Cancel => cancel(),
        }
    });
    on_cleanup(move || keydown.remove());

    view! {
        <section class=style::screen aria-label="Outbound call">
            <label class=style::visually_hidden for="dial-number">{labels::NUMBER_LABEL}</label>
            <input
                id="dial-number"
                class=style::number
                type="tel"
                inputmode="tel"
                autocomplete="off"
                data-testid=NUMBER_TEST_ID
                placeholder=labels::NUMBER_PLACEHOLDER
                prop:value=move || number.with(|n| n.as_str().to_owned())
                on:input:target=move |ev| number.set(NumberBuffer::from_text(&ev.target().value()))
            />
            <Keypad on_key=type_key on_backspace=move |()| backspace()/>
            <p class=style::status role="status" data-testid="call-status">
                {move || status.get()}
            </p>
            <div class=style::actions>
                <button
                    type="button"
                    class=style::cancel
                    data-testid="cancel-button"
                    on:click=move |_| cancel()
                >
                    {labels::CANCEL}
                </button>
                <button
                    type="button"
                    class=style::call
                    data-testid="call-button"
                    prop:disabled=move || !can_call()
                    on:click=move |_| place_call()
                >
                    {labels::CALL}
                </button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyboard_keys_map_to_intents() {
        assert_eq!(key_intent("7", false), Some(KeyIntent::Type(Key::Digit(7))));
        assert_eq!(key_intent("#", false), Some(KeyIntent::Type(Key::Hash)));
        assert_eq!(key_intent("Enter", false), Some(KeyIntent::Call));
        assert_eq!(key_intent("Escape", false), Some(KeyIntent::Cancel));
        assert_eq!(key_intent("Backspace", false), Some(KeyIntent::Backspace));
        assert_eq!(key_intent("a", false), None);
        assert_eq!(key_intent("F5", false), None);
        // Ctrl+V must reach the browser so a paste arrives as an input event.
        assert_eq!(key_intent("v", true), None);
        assert_eq!(key_intent("1", true), None);
    }
}
