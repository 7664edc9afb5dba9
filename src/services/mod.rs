//! Orchestration: turns the domain's actions into the fewest Zendesk requests, writes them
//! through a persistent outbox, and decides which browser tab does the work.
//!
//! The live state (`live`) sends its intents through one seam (`effects`). In the browser,
//! `browser` hands each one to the module whose one job it is; those modules exist only in the
//! browser build and import one another one way: `host` (the page's connections) at the
//! bottom, then `zaf_host`, `journal`, `calls`, `resume`, `inbound`, `events`, `session`,
//! `settings`, `lookups`, `history`, `dialout`, `boot`, and `browser` on top.

pub mod credential;
pub mod crm;
pub mod dial_draft;
pub mod effects;
pub mod envelope;
pub mod leader;
pub mod live;
pub mod messages;
pub mod outbox;
pub mod storage;
pub mod writes;
pub mod zaf_transport;

#[cfg(target_arch = "wasm32")]
mod boot;
#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(target_arch = "wasm32")]
mod calls;
#[cfg(target_arch = "wasm32")]
mod chats;
#[cfg(target_arch = "wasm32")]
mod dialout;
#[cfg(target_arch = "wasm32")]
mod events;
#[cfg(target_arch = "wasm32")]
mod fields;
#[cfg(target_arch = "wasm32")]
mod history;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod inbound;
#[cfg(target_arch = "wasm32")]
mod journal;
#[cfg(target_arch = "wasm32")]
mod lookups;
#[cfg(target_arch = "wasm32")]
mod phone_data;
#[cfg(target_arch = "wasm32")]
mod resume;
#[cfg(target_arch = "wasm32")]
mod session;
#[cfg(target_arch = "wasm32")]
mod session_events;
#[cfg(target_arch = "wasm32")]
mod session_loader;
#[cfg(target_arch = "wasm32")]
mod settings;
#[cfg(target_arch = "wasm32")]
mod transfer;
#[cfg(target_arch = "wasm32")]
mod zaf_host;

/// How the session's code starts a signed-in session (`crate::session_code`).
#[cfg(target_arch = "wasm32")]
pub(crate) type SessionBegin = fn(
    live::Adapter,
    std::rc::Rc<host::Backend>,
    crate::platform::Agent,
    session::HandedBack,
) -> futures::future::LocalBoxFuture<'static, ()>;

/// [`session::read_handed_back`]'s signature, for the session code's table.
#[cfg(target_arch = "wasm32")]
pub(crate) type SessionReadBack =
    fn(std::rc::Rc<host::Backend>) -> futures::future::LocalBoxFuture<'static, session::Handed>;

/// Starts a signed-in session: every intent goes to the browser from now on, then the session
/// begins (`session::begin`). In the session's code: reached only through its table.
#[cfg(target_arch = "wasm32")]
pub(crate) fn session_begin(
    adapter: live::Adapter,
    b: std::rc::Rc<host::Backend>,
    agent: crate::platform::Agent,
    handed: session::HandedBack,
) -> futures::future::LocalBoxFuture<'static, ()> {
    browser::Browser::install(adapter);
    session::begin(adapter, b, agent, handed)
}

/// Reads the writes handed to the platform at a sign-out (`session::read_handed_back`). In the
/// session's code: reached only through its table.
#[cfg(target_arch = "wasm32")]
pub(crate) fn session_read_back(
    b: std::rc::Rc<host::Backend>,
) -> futures::future::LocalBoxFuture<'static, session::Handed> {
    Box::pin(session::read_handed_back(b))
}

/// Opens the dial screen of a click-to-call in a session (`dialout::open`). In the session's
/// code: reached only through its table.
#[cfg(target_arch = "wasm32")]
pub(crate) fn session_dialout(adapter: live::Adapter, d: crate::zaf::VoiceDialout) {
    dialout::open(adapter, d)
}
