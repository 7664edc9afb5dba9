//! Zendesk Apps framework (ZAF): raw bindings in `sys`, the typed facade in `client`.
//!
//! The SDK script is loaded by `index.html` from Zendesk's CDN; the sandbox and the tests load
//! the npm build instead.

mod client;
mod sys;

pub use client::{
    Context, CurrentAccount, CurrentUser, InstanceInfo, Invoke, Metadata, NotifyKind, Subscription,
    VoiceDialout, Zaf, ZafError,
};
