//! The platform's directory of contacts created lately (`/platform/contacts`, DESIGN.md §5.2):
//! Zendesk's search index lags writes by seconds to minutes, so a caller whose contact was just
//! created (by another agent's adapter, by this agent's before a reload, or by the platform's own
//! rules) would not be found by a search and would be created a second time. Adapters report
//! each end-user they create; lookups ask the directory beside the search and read the ids it
//! gives directly. The platform's own creations are in the same list.
//!
//! ```text
//! POST /contacts {"phone": "+15550199999", "user_id": 4021}   → 204
//! GET  /contacts?phone=%2B15550199999                          → {"user_ids": [4021]}
//! ```

use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::json;

use crate::state::App;

/// Most entries kept (oldest dropped first): the directory bridges the index lag, no more.
pub const MAX_ENTRIES: usize = 10_000;

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

#[derive(Deserialize)]
pub(crate) struct Created {
    phone: String,
    user_id: u64,
}

/// `POST /contacts`: an adapter created end-user `user_id` for `phone`.
pub(crate) async fn report(
    State(app): State<App>,
    headers: HeaderMap,
    body: Option<Json<Created>>,
) -> Response {
    if crate::platform::signed_in_agent(&app, &headers).is_none() {
        return crate::platform::unauthorized();
    }
    let Some(Json(c)) = body else {
        return crate::platform::err(StatusCode::BAD_REQUEST, "{phone, user_id} is required");
    };
    if !(5..=20).contains(&digits(&c.phone).len()) {
        return crate::platform::err(StatusCode::UNPROCESSABLE_ENTITY, "phone is not a number");
    }
    let mut w = app.world();
    if !w.platform_contacts.iter().any(|(_, id)| *id == c.user_id) {
        w.platform_contacts.push((c.phone, c.user_id));
        let excess = w.platform_contacts.len().saturating_sub(MAX_ENTRIES);
        w.platform_contacts.drain(..excess);
    }
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
pub(crate) struct Lookup {
    phone: String,
}

/// `GET /contacts?phone=`: the users created lately for that number (same digits).
pub(crate) async fn lookup(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<Lookup>,
) -> Response {
    if crate::platform::signed_in_agent(&app, &headers).is_none() {
        return crate::platform::unauthorized();
    }
    let wanted = digits(&q.phone);
    let w = app.world();
    let ids: Vec<u64> = w
        .platform_contacts
        .iter()
        .filter(|(phone, _)| !wanted.is_empty() && digits(phone) == wanted)
        .map(|(_, id)| *id)
        .collect();
    Json(json!({ "user_ids": ids })).into_response()
}
