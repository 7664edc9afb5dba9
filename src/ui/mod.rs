//! Leptos components, one per file, each with its CSS module beside it.
//!
//! Components render state and send intents; they hold no business rules (those live in
//! `domain`) and never call the network.

pub mod dial_screen;
pub mod keypad;
pub mod labels;
