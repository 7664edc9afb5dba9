//! The customer's side of chats in the control API (`/_sandbox/chats…`, `/_sandbox/chat_limit`),
//! for tests and the workspace's Customer panel; the platform's side is
//! [`crate::platform::chats`].
//!
//! - `POST /chats` `{"platform":"web"|"mobile","name"?,"email"?,"external_id"?,"phone"?,
//!   "menu"?,"lang"?,"custom_data"?,"text","agent_id"?}` → `{"chat_id","status":"offered"|
//!   "queued"}`: offered to `agent_id` (when they have room) or to the first signed-in agent
//!   with room, else queued. 422 naming the field that is wrong (no `text`, no `platform`, an
//!   unknown `agent_id`…).
//! - `GET /chats` → `{"chats": [<chat> + "agent_typing" + "rating"]}`: every chat, all states,
//!   oldest first (also `chats` in `GET /state`).
//! - `POST /chats/{id}/messages` `{"text"}` → `{"message": <message>}`: the customer writes.
//!   422 for a blank text or one too long, 409 once the chat has ended.
//! - `POST /chats/{id}/typing` `{"typing": bool}` → `{"ok":true}`.
//! - `POST /chats/{id}/leave` → `{"ok":true}`: ended by the customer; 409 once ended.
//! - `POST /chats/{id}/rate` `{"score": 1..5}` → `{"ok":true,"event_id"}`: `csat.rated`.
//! - `POST /chats/{id}/transfer` `{"to_agent_id"}` → `{"ok":true}`: as the agent's route, for the
//!   chat's agent.
//! - `GET /chat_limit`, `PUT /chat_limit` `{"limit": n}` (1 to 100) → `{"limit": n}`.
//!
//! Every route on an unknown chat answers 404 `{"error":"no such chat"}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::platform::chats::{self, NewChat, NO_SUCH_CHAT};
use crate::platform::json_body;
use crate::platform::session::Refusal;
use crate::state::App;

/// The chat routes of the control API, to merge into [`super::routes`].
pub fn routes() -> Router<App> {
    Router::new()
        .route("/chats", get(all).post(start))
        .route("/chats/{id}/messages", post(message))
        .route("/chats/{id}/typing", post(typing))
        .route("/chats/{id}/leave", post(leave))
        .route("/chats/{id}/rate", post(rate))
        .route("/chats/{id}/transfer", post(transfer))
        .route("/chat_limit", get(get_limit).put(put_limit))
}

/// 200 with the JSON, or the refusal.
fn reply(r: Result<Value, Refusal>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// The chat id of the path; 404 when it is not a number.
fn chat_id(id: &str) -> Result<u64, Refusal> {
    id.parse()
        .map_err(|_| Refusal::new(StatusCode::NOT_FOUND, NO_SUCH_CHAT))
}

/// `POST /chats`: the customer starts a chat.
async fn start(State(app): State<App>, body: Bytes) -> Response {
    let started = NewChat::parse(&json_body(&body))
        .map_err(|e| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, e))
        .and_then(|new| chats::start(&app, new));
    reply(started.map(|(id, offered)| {
        json!({"chat_id": id, "status": if offered { "offered" } else { "queued" }})
    }))
}

/// `GET /chats`: every chat.
async fn all(State(app): State<App>) -> Json<Value> {
    Json(json!({ "chats": app.world().chats_for_control() }))
}

/// `POST /chats/{id}/messages`: the customer writes.
async fn message(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
    let body = json_body(&body);
    reply(
        chat_id(&id)
            .and_then(|id| chats::customer_message(&app, id, &body))
            .map(|m| json!({ "message": m })),
    )
}

/// `POST /chats/{id}/typing`: the customer types, or stops.
async fn typing(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
    let body = json_body(&body);
    reply(
        chat_id(&id)
            .and_then(|id| chats::customer_typing(&app, id, &body))
            .map(|()| json!({"ok": true})),
    )
}

/// `POST /chats/{id}/leave`: the customer leaves.
async fn leave(State(app): State<App>, Path(id): Path<String>) -> Response {
    reply(
        chat_id(&id)
            .and_then(|id| chats::leave(&app, id))
            .map(|()| json!({"ok": true})),
    )
}

/// `POST /chats/{id}/rate`: the customer rates the chat.
async fn rate(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
    let body = json_body(&body);
    reply(
        chat_id(&id)
            .and_then(|id| chats::rate(&app, id, &body))
            .map(|event_id| json!({"ok": true, "event_id": event_id})),
    )
}

/// `POST /chats/{id}/transfer`: the chat goes to another agent.
async fn transfer(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
    let to = json_body(&body)["to_agent_id"].as_u64();
    reply(
        chat_id(&id)
            .and_then(|id| chats::transfer(&app, id, None, to))
            .map(|()| json!({"ok": true})),
    )
}

/// `GET /chat_limit`.
async fn get_limit(State(app): State<App>) -> Json<Value> {
    Json(json!({"limit": app.world().chat_limit}))
}

/// `PUT /chat_limit {"limit": n}`.
async fn put_limit(State(app): State<App>, body: Bytes) -> Response {
    reply(chats::set_limit(&app, &json_body(&body)).map(|limit| json!({ "limit": limit })))
}
