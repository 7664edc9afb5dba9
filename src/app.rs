//! The root component: boots the adapter and shows the screen it is on.

use crate::{
    services::live::{Adapter, Screen},
    ui::{sign_in::SignIn, word},
};
use domain::labels::Label;
use leptos::prelude::*;

stylance::import_crate_style!(style, "src/app.module.css");

/// The adapter as mounted in the top-bar popover: connects to Zendesk, then asks the agent to
/// sign in to the platform, then shows the dial screen.
#[component]
pub fn App() -> impl IntoView {
    let adapter = Adapter::new().provide();
    // In the browser, intents reach Zendesk and the platform from here on.
    #[cfg(target_arch = "wasm32")]
    crate::services::browser::SignedOut::install(adapter);
    adapter.effects().boot();
    view! { <Screens adapter=adapter/> }
}

/// The screen the adapter is on.
#[component]
pub fn Screens(
    /// The adapter state (already provided as context).
    adapter: Adapter,
) -> impl IntoView {
    // The page's language follows the agent's (screen readers pronounce the words by it).
    Effect::new(move |_| {
        let language = adapter.catalogue.with(|c| c.language.clone());
        let root = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element());
        if let Some(root) = root {
            let _ = root.set_attribute("lang", &language);
        }
    });
    crate::ui::focus_when_pane_shown(adapter);
    // The session's screens and tabs come from its code (`crate::session_code`), loaded before
    // a session starts; the tabs are drawn again only when a session starts or ends.
    let in_session = Memo::new(move |_| adapter.screen.with(Screen::in_session));
    view! {
        <main class=style::app data-testid="adapter-root">
            {move || {
                in_session.get().then(|| crate::session_code::get().map(|code| (code.tabs)()))
            }}
            {move || match adapter.screen.get() {
                // Not `aria-busy`: a busy region's words are held back, so "Connecting…" was
                // never said.
                Screen::Booting => view! {
                    <p class=style::notice role="status">{word(Label::Connecting)}</p>
                }
                .into_any(),
                Screen::Background => ().into_any(),
                Screen::Unavailable(why) => view! {
                    <div class=style::notice role="alert">
                        <h1 class=style::title>{word(Label::CannotStart)}</h1>
                        <p>{why}</p>
                    </div>
                }
                .into_any(),
                Screen::SignIn => view! { <SignIn/> }.into_any(),
                screen => match crate::session_code::get() {
                    Some(code) => (code.view)(screen),
                    // Not reached: a session screen shows only once its code is loaded.
                    None => view! {
                        <p class=style::notice role="status">{word(Label::Connecting)}</p>
                    }
                    .into_any(),
                },
            }}
        </main>
    }
}
