//! Leptos components, one per file, each with its CSS module beside it.
//!
//! Components render the live state (`services::live`) and send it intents; they hold no
//! business rules (those live in `domain`) and never call the network. Text from Zendesk or the
//! platform is always rendered as text.

pub mod associations;
pub mod banner;
pub mod call_parts;
pub mod chat;
pub mod chooser;
pub mod dial_screen;
pub mod home;
pub mod in_call;
pub mod keypad;
pub mod recent;
pub mod sign_in;
pub mod typing;
pub mod voicemail;

/// Classes every component may use (text for screen readers only).
pub mod a11y {
    stylance::import_crate_style!(pub style, "src/ui/a11y.module.css");
}

use crate::services::live::Adapter;
use domain::labels::Label;
use leptos::prelude::*;

/// A word in the agent's language, tracked (re-renders when the language changes).
pub fn word(label: Label) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let adapter = use_context::<Adapter>();
    move || match adapter {
        Some(a) => a.catalogue.with(|c| c.get(label).to_owned()),
        None => label.english().to_owned(),
    }
}

/// A session screen (`crate::session_code`'s table): the dial screen, the call, Recent,
/// Voicemail, a chat; nothing for the others.
pub fn session_view(screen: crate::services::live::Screen) -> AnyView {
    use crate::services::live::Screen;
    match screen {
        Screen::Dial => view! { <dial_screen::DialScreen/> }.into_any(),
        Screen::InCall => view! { <in_call::InCall/> }.into_any(),
        Screen::Recent => view! { <recent::Recent/> }.into_any(),
        Screen::Voicemail => view! { <voicemail::VoicemailScreen/> }.into_any(),
        Screen::Chat(id) => view! { <chat::ChatScreen id=id/> }.into_any(),
        Screen::Booting | Screen::Background | Screen::Unavailable(_) | Screen::SignIn => {
            ().into_any()
        }
    }
}

/// The row of session tabs (`crate::session_code`'s table), the watch on the agent's typing
/// (`typing`), and the word to the agent's other tabs that this one has a call on, all for as
/// long as the session.
pub fn session_tabs() -> AnyView {
    view! {
        <typing::TypingWatch/>
        <OnCallWord/>
        <ChatScreenWord/>
        <ChatsSeenWord/>
        <chat::SessionTabs/>
    }
    .into_any()
}

/// Keeps which chat is on screen for a reload (written when a chat shows, and when the agent
/// leaves it for the phone: not for the phone's screen a page starts on, before the chats it
/// comes back to are read).
#[component]
fn ChatScreenWord() -> impl IntoView {
    use crate::services::live::Screen;
    let adapter = crate::services::live::use_adapter();
    Effect::new(move |before: Option<Option<u64>>| {
        let now = match adapter.screen.get() {
            Screen::Chat(id) => Some(id),
            _ => None,
        };
        if now.is_some() || before.flatten().is_some() {
            adapter.chat_screen_changed(now);
        }
        now
    });
}

/// Keeps what the agent has seen of each open chat for a reload (when it changes: a message
/// came, a chat was opened; not for the empty list a page starts with, before its chats are read
/// again).
#[component]
fn ChatsSeenWord() -> impl IntoView {
    let adapter = crate::services::live::use_adapter();
    Effect::new(move |before: Option<Vec<(u64, u64)>>| {
        let now = adapter.chats.with(|c| domain::chat::seen_of_open(c));
        let changed = match &before {
            None => !now.is_empty(),
            Some(before) => *before != now,
        };
        if changed {
            adapter.chats_seen_changed(now.clone());
        }
        now
    });
}

/// Tells the agent's other tabs whether this one has a call on (placed, ringing, connected, on
/// hold): their Call places no second call beside it (`Leader::call_elsewhere`).
#[component]
fn OnCallWord() -> impl IntoView {
    let adapter = crate::services::live::use_adapter();
    Effect::new(move |_| {
        let on = adapter
            .call
            .with(|c| c.as_ref().is_some_and(|c| c.is_live()));
        adapter.say_on_call(on);
    });
    on_cleanup(move || adapter.say_on_call(false));
}

/// When `busy` ends (a request that did not go through: its button is enabled again) and the
/// keyboard focus fell to the page while the button was disabled, the button takes it back, so
/// Enter tries again.
pub(crate) fn focus_back_when_done(
    busy: impl Fn() -> bool + 'static,
    button: NodeRef<leptos::html::Button>,
) {
    Effect::new(move |was: Option<bool>| {
        let now = busy();
        if was == Some(true) && !now {
            if let Some(b) = button.get_untracked().filter(|_| focus_lost()) {
                let _ = b.focus();
            }
        }
        now
    });
}

/// True when the keyboard focus is on nothing in the frame (the page body): the element that
/// had it went, or nothing took it yet.
pub(crate) fn focus_lost() -> bool {
    document()
        .active_element()
        .is_none_or(|e| e.tag_name().eq_ignore_ascii_case("body"))
}

/// Puts the keyboard focus on the first element matching `selector`; false when there is none.
pub(crate) fn focus_on(selector: &str) -> bool {
    use wasm_bindgen::JsCast;
    let el = document()
        .query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    el.map(|el| el.focus().is_ok()).unwrap_or(false)
}
