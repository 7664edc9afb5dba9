//! The home screen's parts: the row of places (New call, Recent, Voicemail with its unread
//! count), each opened by one key shown on it, and the agent's status line. The home screen is
//! the keypad of a fresh dial screen with these above and below it, so the agent's most common
//! action, typing a number, costs nothing more; Cancel and the end of a call return to it.

use crate::{
    services::live::{use_adapter, Adapter, Screen},
    ui::word,
};
use domain::{history::unread, labels::Label};
use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;

stylance::import_crate_style!(style, "src/ui/home.module.css");

/// One of the home screen's places.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The keypad (a new call).
    NewCall,
    /// The agent's calls.
    Recent,
    /// The queue's voicemails.
    Voicemail,
}

impl Place {
    /// The key that opens it.
    pub fn key(self) -> char {
        match self {
            Place::NewCall => 'n',
            Place::Recent => 'r',
            Place::Voicemail => 'v',
        }
    }

    /// The place a key opens (either case).
    pub fn of_key(key: &str) -> Option<Place> {
        [Place::NewCall, Place::Recent, Place::Voicemail]
            .into_iter()
            .find(|p| key.eq_ignore_ascii_case(&p.key().to_string()))
    }

    /// Goes there.
    pub fn open(self, adapter: Adapter) {
        match self {
            Place::NewCall => adapter.home(),
            Place::Recent => adapter.open_recent(),
            Place::Voicemail => adapter.open_voicemails(),
        }
    }
}

/// True when a key pressed on `target` belongs to it (a text field, a select, an editable
/// element), not to the page.
fn typed_into(target: Option<web_sys::EventTarget>) -> bool {
    let Some(el) = target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
        return false;
    };
    if el.get_attribute("data-testid").as_deref() == Some("dial-number") {
        // An empty number's letters are the page's (N, R, V); once a number is begun they are
        // the number's (an extension's `x`, or dropped), never a place that leaves it.
        return el
            .dyn_ref::<web_sys::HtmlInputElement>()
            .is_some_and(|i| !i.value().is_empty());
    }
    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        || el.get_attribute("contenteditable").is_some()
}

/// The places, `current` marked; N, R and V open them from anywhere on the screen (not while
/// typing in a field; the number takes digits only).
#[component]
pub fn HomeNav(
    /// The place shown.
    current: Place,
) -> impl IntoView {
    let adapter = use_adapter();
    let keydown = window_event_listener(ev::keydown, move |ev| {
        if ev.default_prevented()
            || ev.ctrl_key()
            || ev.meta_key()
            || ev.alt_key()
            || typed_into(ev.target())
        {
            return;
        }
        // Escape from Recent or Voicemail: home (on the keypad, Escape is the dial screen's).
        if ev.key() == "Escape" && current != Place::NewCall {
            ev.prevent_default();
            Place::NewCall.open(adapter);
            focus_first(Place::NewCall);
            return;
        }
        if let Some(place) = Place::of_key(&ev.key()) {
            ev.prevent_default();
            if place != current {
                place.open(adapter);
            }
            focus_first(place);
        }
    });
    on_cleanup(move || keydown.remove());
    let count = move || adapter.voicemails.with(|v| unread(&v.list));
    let tab = move |place: Place, label: Label, testid: &'static str| {
        let key = place.key().to_ascii_uppercase().to_string();
        view! {
            <button
                type="button"
                class=style::tab
                data-testid=testid
                aria-current=move || (place == current).then_some("page")
                aria-keyshortcuts=key.clone()
                on:click=move |_| {
                    if place != current {
                        place.open(adapter);
                    }
                    focus_first(place);
                }
            >
                <span>{word(label)}</span>
                {(place == Place::Voicemail)
                    .then(|| {
                        view! {
                            <Show when=move || { count() > 0 }>
                                <span class=style::badge data-testid="voicemail-unread">
                                    <span class=crate::ui::a11y::style::visually_hidden>{word(Label::Unread)} ": "</span>
                                    {count}
                                </span>
                            </Show>
                        }
                    })}
                <kbd class=style::key aria-hidden="true">{key.clone()}</kbd>
            </button>
        }
    };
    view! {
        <nav class=style::nav aria-label=word(Label::HomeKeys) data-testid="home-nav">
            {tab(Place::NewCall, Label::NavNewCall, "home-new-call")}
            {tab(Place::Recent, Label::Recent, "home-recent")}
            {tab(Place::Voicemail, Label::Voicemails, "home-voicemail")}
        </nav>
    }
}

/// Moves the focus into the place just opened, once it is drawn: the number on the keypad, the
/// first call or voicemail in the lists (else their heading).
fn focus_first(place: Place) {
    request_animation_frame(move || {
        let selector = match place {
            Place::NewCall => "[data-testid=dial-number]",
            Place::Recent => "[data-testid=recent-call-back], [data-testid=recent-title]",
            Place::Voicemail => "[data-testid=voicemail-call-back], [data-testid=voicemail-title]",
        };
        crate::ui::focus_on(selector);
    });
}

/// "Signed in as <name>": the agent's status line.
#[component]
pub fn StatusLine() -> impl IntoView {
    let adapter = use_adapter();
    let name = move || adapter.agent_name.get();
    view! {
        <Show when=move || name().is_some()>
            <p class=style::status data-testid="agent-status">
                {word(Label::SignedInAs)} " " {move || name().unwrap_or_default()}
            </p>
        </Show>
    }
}

/// The place a screen is (for the row above it).
pub fn place_of(screen: &Screen) -> Option<Place> {
    match screen {
        Screen::Dial => Some(Place::NewCall),
        Screen::Recent => Some(Place::Recent),
        Screen::Voicemail => Some(Place::Voicemail),
        _ => None,
    }
}
