//! The adapter's behaviour rules (`shared/spec/behaviour.md`) as plain Rust.
//!
//! Nothing here touches the web, the network or the clock: the app, the Zendesk writer and the
//! sandbox's platform all call these functions, so they all make the same decisions. A check in
//! the test command fails if a web crate is ever imported here.
//!
//! Modules, in the order data flows: [`settings`] (what the Portal saved), [`phone`] (numbers),
//! [`crm`] (the Zendesk records the rules read), [`dial`] (the dial screen), [`call`] (the life of
//! the call on screen), [`rules`] (what to write to Zendesk for each event), [`comments`], [`fields`] and [`voice`] (what the writes
//! contain), [`batch`] (how writes are grouped and retried). [`labels`] holds every word shown or
//! written.

pub mod batch;
pub mod call;
pub mod chat;
pub mod comments;
pub mod crm;
pub mod dial;
pub mod fields;
pub mod history;
pub mod labels;
pub mod phone;
mod phone_tables;
pub mod rules;
pub mod settings;
pub mod time;
pub mod voice;
