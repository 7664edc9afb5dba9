//! The root component.

use crate::ui::dial_screen::DialScreen;
use leptos::prelude::*;

stylance::import_crate_style!(style, "src/app.module.css");

/// The adapter as mounted in the top-bar popover.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <main class=style::app>
            <DialScreen/>
        </main>
    }
}
