//! The root component: boots the adapter and shows the screen it is on.

use crate::{
    services::live::{Adapter, Screen},
    ui::{
        chat::{ChatScreen, SessionTabs},
        dial_screen::DialScreen,
        in_call::InCall,
        recent::Recent,
        sign_in::SignIn,
        voicemail::VoicemailScreen,
        word,
    },
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
    crate::services::browser::Browser::install(adapter);
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
    view! {
        <main class=style::app data-testid="adapter-root">
            <SessionTabs/>
            {move || match adapter.screen.get() {
                Screen::Booting => view! {
                    <p class=style::notice role="status" aria-busy="true">{word(Label::Connecting)}</p>
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
                Screen::Dial => view! { <DialScreen/> }.into_any(),
                Screen::InCall => view! { <InCall/> }.into_any(),
                Screen::Recent => view! { <Recent/> }.into_any(),
                Screen::Voicemail => view! { <VoicemailScreen/> }.into_any(),
                Screen::Chat(id) => view! { <ChatScreen id=id/> }.into_any(),
            }}
        </main>
    }
}
