//! Orchestration: turns the domain's actions into the fewest Zendesk requests, writes them
//! through a persistent outbox, and decides which browser tab does the work.

pub mod backend;
pub mod credential;
pub mod crm;
pub mod envelope;
pub mod leader;
pub mod live;
pub mod messages;
pub mod outbox;
pub mod storage;
pub mod writes;
pub mod zaf_transport;
