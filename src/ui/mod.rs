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
