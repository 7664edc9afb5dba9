//! The platform's journal (`POST /platform/agent/journal`, DESIGN.md §5.2): where an adapter
//! whose frame may not use the browser's storage (third-party storage blocked) keeps what it
//! would have kept in localStorage: its outbox and its tab lease. The platform holds it per
//! agent, so a reload, or another tab of the same agent, finds it again.
//!
//! One request does both ways: the body names the keys this tab set (a string) or removed
//! (`null`), applied in order; the answer is every entry the agent has after that, so the tab
//! also sees what its other tabs wrote.
//!
//! ```text
//! POST /agent/journal  {"set": {"agent-adapter.outbox.7.t1": "{…}", "agent-adapter.leader": null},
//!                       "from": {"tab": "t1", "seq": 12}}
//! 200 {"entries": {"agent-adapter.outbox.7.t1": "{…}", …}}
//! ```
//!
//! `from` (optional) names the tab and the request's place in its order: a request older
//! (lower `seq`) than one of the same tab already landed changes nothing, and is answered as
//! any other. A page that goes away sends its last changes (all it could not know kept) in one
//! last request, while its exchange under way may still land after it: that older request must
//! undo neither it nor what another tab wrote since (taking over the page's outbox, its lease).
//! Requests of one `seq` are all applied. Otherwise the last request wins.
//!
//! Limits keep one agent from filling the platform: at most [`MAX_KEYS`] keys, a value at most
//! [`MAX_VALUE_BYTES`]; a request over them is refused whole (413) and changes nothing.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

use crate::state::App;

/// Most keys one agent's journal holds (an outbox per open tab, the lease, tab beats).
pub const MAX_KEYS: usize = 64;
/// Largest value (an outbox with its finished keys is a few tens of KB).
pub const MAX_VALUE_BYTES: usize = 512 * 1024;

#[derive(Deserialize)]
pub(crate) struct Sync {
    #[serde(default)]
    set: BTreeMap<String, Option<String>>,
    #[serde(default)]
    from: Option<From>,
}

/// The tab a request comes from, and its place in the tab's order.
#[derive(Deserialize)]
struct From {
    tab: String,
    seq: u64,
}

/// Most tabs whose highest request is remembered, per agent (the longest idle forgotten).
const MAX_TABS: usize = 256;

/// `POST /agent/journal`: applies this tab's changes, answers the agent's whole journal.
pub(crate) async fn sync(
    State(app): State<App>,
    headers: HeaderMap,
    body: Option<Json<Sync>>,
) -> Response {
    let Some(agent) = crate::platform::signed_in_agent(&app, &headers) else {
        return crate::platform::unauthorized();
    };
    let Some(Json(body)) = body else {
        return crate::platform::err(
            StatusCode::BAD_REQUEST,
            "{set:{key:value|null}} is required",
        );
    };
    let mut w = app.world();
    let mut next = w.journals.get(&agent.id).cloned().unwrap_or_default();
    let mut tabs = w.journal_tabs.get(&agent.id).cloned().unwrap_or_default();
    let stale = body.from.as_ref().is_some_and(|from| {
        tabs.get(&from.tab)
            .is_some_and(|(highest, _)| *highest > from.seq)
    });
    if stale {
        return Json(json!({ "entries": next })).into_response();
    }
    for (key, value) in body.set {
        match value {
            Some(v) => next.insert(key, v),
            None => next.remove(&key),
        };
    }
    if next.len() > MAX_KEYS || next.values().any(|v| v.len() > MAX_VALUE_BYTES) {
        return crate::platform::err(StatusCode::PAYLOAD_TOO_LARGE, "the journal is full");
    }
    if let Some(from) = body.from {
        w.journal_landed += 1;
        tabs.insert(from.tab, (from.seq, w.journal_landed));
        if tabs.len() > MAX_TABS {
            let idlest = tabs
                .iter()
                .min_by_key(|(_, (_, landed))| *landed)
                .map(|(tab, _)| tab.clone());
            if let Some(tab) = idlest {
                tabs.remove(&tab);
            }
        }
        w.journal_tabs.insert(agent.id, tabs);
    }
    w.journals.insert(agent.id, next.clone());
    Json(json!({ "entries": next })).into_response()
}
