//! A typed client for the parts of the Zendesk Support and Talk Partner Edition APIs the adapter
//! needs, over a [`Transport`] (ZAF `request()` in the app, a fake in tests).
//!
//! Every response is classified into one error enum; unknown JSON keys are ignored; ids are u64.
//! Shapes: `shared/reference/zendesk.md` §4-5.

mod client;
mod error;
mod gate;
mod wire;

pub use client::{
    audit_op_key, merge_target_in, next_page_path, op_key_metadata, phone_search_query, JobStatus,
    NewTicket, NewUser, TicketChange, TicketField, UserMatches, VoiceComment, Zendesk,
    AUDIT_METADATA_KEY, IDEMPOTENCY_HEADER, MAX_PAGES, MERGED_TAG, PAGE_SIZE,
};
pub use error::{classify, ZendeskError, DEFAULT_RETRY_AFTER_S};
pub use gate::Gated;
pub use wire::parse_timestamp;

pub use crate::http::Transport;
