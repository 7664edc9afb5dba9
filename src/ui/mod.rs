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

/// True when the keyboard was last in a message box the page no longer holds (a chat's
/// composer taken away as the agent wrote in it): the keys the agent types next were meant for
/// it. (A sign-in form's fields, gone with the sign-in, do not count: the dial screen after it
/// takes the keys typed on at once.)
pub(crate) fn typed_into_gone_field() -> bool {
    LAST_FOCUS.with(|l| {
        l.borrow()
            .as_ref()
            .is_some_and(|e| !e.is_connected() && e.tag_name() == "TEXTAREA")
    })
}

/// The test id of the field the agent last typed in, when it went with its screen (the dial
/// screen's number, replaced by a call offered as the agent typed).
pub(crate) fn gone_field() -> Option<String> {
    LAST_FOCUS.with(|l| {
        l.borrow()
            .as_ref()
            .filter(|e| !e.is_connected())
            .and_then(|e| e.get_attribute("data-testid"))
    })
}

/// True when the keyboard focus is on nothing in the frame (the page body): the element that
/// had it went, or nothing took it yet.
pub(crate) fn focus_lost() -> bool {
    document()
        .active_element()
        .is_none_or(|e| e.tag_name().eq_ignore_ascii_case("body"))
}

thread_local! {
    /// The element of the frame that last took the keyboard focus.
    static LAST_FOCUS: std::cell::RefCell<Option<web_sys::HtmlElement>> =
        const { std::cell::RefCell::new(None) };
}

/// Where the keyboard goes when Zendesk shows the pane again, in this order (after where it
/// was): the number on the dial screen, the sign-in form's email, a screen's heading (Recent,
/// Voicemail and the call screens have one that takes it).
const PANE_FOCUS: [&str; 3] = [
    "[data-testid=dial-number]",
    "[data-testid=sign-in-email]",
    "h1[tabindex='-1']",
];

/// The agent opens the adapter again from Zendesk's top bar (`pane.activated`): the browser
/// left the keyboard on Zendesk's icon, so the digits the agent types went nowhere. It comes
/// back into the adapter, to the element that had it when the pane was hidden (the number the
/// agent was typing, the reply to a chat), or, when that is gone, to the screen's first field.
/// Nothing moves when the adapter has the keyboard already (a click-to-call's screen put it
/// where the agent needs it next). How Zendesk hides the pane is not known (UNCONFIRMED): the
/// frame may come back with no element focused (Chromium clears it when the frame loses the
/// keyboard) or, in a browser that keeps it, with the element that had it; either way the
/// keyboard comes back to that element.
pub(crate) fn focus_when_pane_shown(adapter: Adapter) {
    use wasm_bindgen::JsCast;
    let listener = window_event_listener(leptos::ev::focusin, |ev| {
        let el = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
        if el.is_some() {
            LAST_FOCUS.with(|l| *l.borrow_mut() = el);
        }
    });
    on_cleanup(move || listener.remove());
    Effect::new(move |was: Option<u32>| {
        let shown = adapter.pane_shown.get();
        if was.is_some_and(|was| was != shown) {
            // Once the pane is laid out again.
            request_animation_frame(focus_back_into_pane);
        }
        shown
    });
}

fn focus_back_into_pane() {
    use wasm_bindgen::JsCast;
    let has_keyboard = document().has_focus().unwrap_or(true);
    if has_keyboard && !focus_lost() {
        return;
    }
    if !has_keyboard {
        // The frame takes the keyboard from Zendesk's page; an element that kept the focus in
        // the frame has it again.
        if let Some(w) = web_sys::window() {
            let _ = w.focus();
        }
        let kept = document()
            .active_element()
            .filter(|_| !focus_lost())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if kept.is_some_and(|e| e.focus().is_ok()) {
            return;
        }
    }
    let last = LAST_FOCUS
        .with(|l| l.borrow().clone())
        .filter(|e| e.is_connected() && e.offset_parent().is_some());
    // A disabled element does not take it: the next place does.
    if last.is_some_and(|e| e.focus().is_ok()) && !focus_lost() {
        return;
    }
    for selector in PANE_FOCUS {
        if focus_on(selector) && !focus_lost() {
            return;
        }
    }
}

/// Puts the keyboard focus on the screen's first place for it ([`PANE_FOCUS`], then a chat's
/// composer); false when the screen has none.
pub(crate) fn focus_screen() -> bool {
    PANE_FOCUS
        .iter()
        .chain(&["[data-testid=chat-input]"])
        .any(|selector| focus_on(selector) && !focus_lost())
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
