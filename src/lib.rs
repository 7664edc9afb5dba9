//! Agent adapter for Zendesk: the contact-centre softphone that runs in the Zendesk top bar.
//!
//! Layers point one way: `ui -> services -> (zendesk, platform, zaf) -> domain`. The `domain`
//! crate (`src/domain/`) holds every behaviour rule as pure Rust and is re-exported here.

// The wasm's global allocator; natively only its tests run.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod allocator;
pub mod app;
pub mod http;
pub mod italian;
pub mod origins;
pub mod platform;
pub mod services;
pub mod session_code;
pub mod ui;
pub mod zaf;
pub mod zendesk;

pub use app::App;
pub use domain;
