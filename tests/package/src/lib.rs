//! Offline check of the Zendesk app package (the zip an admin uploads as a private app).
//!
//! Zendesk validates a package on its servers at upload; this crate checks the documented rules
//! (`reference/zendesk.md` §3.1, §3.2) without a network, plus the project's own: the locations and
//! the parameter the adapter needs, complete translations, a wasm loader that does not depend on
//! the `application/wasm` type, and manifest `version` ≥ 1.4.0 equal to the app crate's version
//! (PRE-2).
//!
//! [`Package`] is the archive read into memory ([`archive`]); [`check`] returns every [`Problem`]
//! found, each tagged with the [`Rule`] it breaks, so a failing upload is explained in one run.

pub mod archive;
pub mod json;
pub mod rules;

pub use archive::{Entry, EntryKind, Package};
pub use rules::{check, Expectations, Problem, Rule};

#[cfg(test)]
mod tests;
