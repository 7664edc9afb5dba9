//! Customer chats: started by the customer's side (`/_sandbox/chats`), offered to an agent with
//! room (at most `chat_limit` offered and active at once, the rest waiting in the order they
//! were started), accepted, written, ended, declined, transferred and rated through the agent's
//! routes (`/platform/chats…`), with their `chat.*` and `csat.rated` events on the agent's
//! stream, to the chat's agent only.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use sandbox::testkit::{http, http_json, sign_in_agent as sign_in, start_quiet as start};

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const ADA: &str = "ada@sandbox.test";
const BEN: &str = "ben@sandbox.test";
const CLEO: &str = "cleo@sandbox.test";
const ADA_ID: u64 = 501;
const BEN_ID: u64 = 502;
const CLEO_ID: u64 = 503;
const FIRST_CHAT: u64 = 700_001;

/// `POST /_sandbox/chats` with `body`: the status and the answer.
async fn start_chat(addr: SocketAddr, body: Value) -> (u16, Value) {
    http_json(addr, "POST", "/_sandbox/chats", Some(body), None).await
}

/// A web chat opened with `text`, `extra` merged into the body, which must be taken: its id and
/// its status (`offered` or `queued`).
async fn chat_with(addr: SocketAddr, text: &str, extra: Value) -> (u64, String) {
    let mut body = json!({"platform": "web", "name": "Ana Customer", "text": text});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let (status, v) = start_chat(addr, body).await;
    assert_eq!(status, 200, "{v}");
    let id = v["chat_id"].as_u64().unwrap_or_else(|| panic!("{v}"));
    (id, v["status"].as_str().unwrap_or_default().to_owned())
}

/// A web chat opened with `text`: its id.
async fn chat(addr: SocketAddr, text: &str) -> u64 {
    chat_with(addr, text, json!({})).await.0
}

/// `POST /platform/chats/{id}/{action}` as the agent with `token`.
async fn agent(
    addr: SocketAddr,
    token: &str,
    id: u64,
    action: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let path = format!("/platform/chats/{id}/{action}");
    http_json(addr, "POST", &path, body, Some(token)).await
}

/// `POST /_sandbox/chats/{id}/{action}`: the customer's side.
async fn customer(addr: SocketAddr, id: u64, action: &str, body: Option<Value>) -> (u16, Value) {
    let path = format!("/_sandbox/chats/{id}/{action}");
    http_json(addr, "POST", &path, body, None).await
}

/// The customer writes `text` on chat `id`, which must be taken: the message.
async fn customer_says(addr: SocketAddr, id: u64, text: &str) -> Value {
    let (status, v) = customer(addr, id, "messages", Some(json!({"text": text}))).await;
    assert_eq!(status, 200, "{v}");
    v["message"].clone()
}

/// The agent accepts chat `id`, which must succeed: the chat.
async fn accept(addr: SocketAddr, token: &str, id: u64) -> Value {
    let (status, v) = agent(addr, token, id, "accept", None).await;
    assert_eq!(status, 200, "{v}");
    v
}

/// `GET /platform/chats` as the agent with `token`: the ids listed.
async fn listed(addr: SocketAddr, token: &str) -> Vec<u64> {
    let (status, v) = http_json(addr, "GET", "/platform/chats", None, Some(token)).await;
    assert_eq!(status, 200, "{v}");
    ids(&v["chats"])
}

/// The `id`s of a list of chats, in order.
fn ids(list: &Value) -> Vec<u64> {
    list.as_array()
        .map(|l| l.iter().filter_map(|c| c["id"].as_u64()).collect())
        .unwrap_or_default()
}

/// Chat `id` as `GET /_sandbox/chats` shows it.
async fn control_view(addr: SocketAddr, id: u64) -> Value {
    let (status, v) = http_json(addr, "GET", "/_sandbox/chats", None, None).await;
    assert_eq!(status, 200, "{v}");
    v["chats"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["id"] == id).cloned())
        .unwrap_or_else(|| panic!("chat {id} in {v}"))
}

/// The agent's event stream, past its `session.ready`.
async fn events(addr: SocketAddr, token: &str) -> Stream {
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/platform/agent/events"))
            .await
            .expect("ws");
    let auth = json!({"type": "auth", "token": token}).to_string();
    ws.send(Message::Text(auth.into())).await.expect("auth");
    assert_eq!(next_event(&mut ws).await["type"], "session.ready");
    ws
}

/// The next event on the stream, whatever it is.
async fn next_event(ws: &mut Stream) -> Value {
    let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("an event in time")
        .expect("open")
        .expect("ok");
    serde_json::from_str(msg.to_text().unwrap_or("null")).unwrap_or(Value::Null)
}

/// The next chat event (`chat.*`, `csat.rated`), skipping the others.
async fn next_chat_event(ws: &mut Stream) -> Value {
    loop {
        let v = next_event(ws).await;
        let kind = v["type"].as_str().unwrap_or_default();
        if kind.starts_with("chat.") || kind == "csat.rated" {
            return v;
        }
    }
}

/// Whether `t` is ISO-8601 UTC with milliseconds (`2024-05-01T10:00:00.250Z`).
fn iso_with_ms(t: &Value) -> bool {
    let Some(t) = t.as_str() else { return false };
    let b = t.as_bytes();
    t.len() == 24 && b[10] == b'T' && b[19] == b'.' && t.ends_with('Z')
}

#[tokio::test]
async fn a_started_chat_is_offered_to_the_first_signed_in_agent_with_its_info() {
    let addr = start().await;
    let (ben, _) = sign_in(addr, BEN).await;
    let (ada, _) = sign_in(addr, ADA).await;
    let mut ada_ws = events(addr, &ada).await;
    let mut ben_ws = events(addr, &ben).await;
    let hostile = "<img src=x onerror=alert(1)> hi";
    let (status, v) = start_chat(
        addr,
        json!({"platform": "mobile", "name": "Ana Customer", "email": "ana@example.com",
               "external_id": "crm-7", "phone": "+15550101100", "menu": "Support > Billing",
               "lang": "fr", "custom_data": {"order": "A-17", "items": 3, "vip": true},
               "text": hostile}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v, json!({"chat_id": FIRST_CHAT, "status": "offered"}));
    let ev = next_chat_event(&mut ada_ws).await;
    assert_eq!(
        (&ev["type"], &ev["chat_id"]),
        (&json!("chat.offered"), &json!(FIRST_CHAT))
    );
    let c = &ev["chat"];
    assert_eq!(c["id"], FIRST_CHAT);
    assert_eq!(c["status"], "offered");
    assert_eq!(c["platform"], "mobile");
    assert_eq!(c["menu_path"], "Support > Billing");
    assert_eq!(c["queue"], "Billing");
    assert_eq!(c["lang"], "fr");
    assert_eq!(
        c["customer"],
        json!({"name": "Ana Customer", "email": "ana@example.com", "external_id": "crm-7",
               "phone": "+15550101100"})
    );
    assert_eq!(
        c["custom_data"],
        json!({"order": "A-17", "items": 3, "vip": true})
    );
    assert_eq!(
        c["agent_id"], ADA_ID,
        "the lowest agent id signed in with room"
    );
    assert_eq!(c["wait_s"], 0);
    assert!(iso_with_ms(&c["offered_at"]), "{c}");
    for key in ["accepted_at", "ended_at", "ended_by", "transferred_from"] {
        assert!(c[key].is_null(), "{key}: {c}");
    }
    let messages = c["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 1, "{c}");
    assert_eq!(messages[0]["author"], "customer");
    assert_eq!(messages[0]["text"], hostile, "never sanitised");
    assert!(messages[0]["client_id"].is_null());
    assert!(messages[0]["id"].as_u64().is_some());
    assert!(iso_with_ms(&messages[0]["at"]), "{c}");
    // Ben heard nothing of it: his next chat event is the chat named for him.
    let (for_ben, status) = chat_with(addr, "For Ben", json!({"agent_id": BEN_ID})).await;
    assert_eq!(status, "offered");
    let ev = next_chat_event(&mut ben_ws).await;
    assert_eq!(
        (&ev["type"], &ev["chat_id"]),
        (&json!("chat.offered"), &json!(for_ben))
    );
    assert_eq!(ev["chat"]["queue"], "General", "no menu, the general queue");
    assert_eq!(ev["chat"]["platform"], "web");
    assert_eq!(ev["chat"]["lang"], "en");
    assert_eq!(ev["chat"]["custom_data"], json!({}));
}

#[tokio::test]
async fn a_chat_needs_a_first_message_a_platform_and_a_known_agent() {
    let addr = start().await;
    for (body, field) in [
        (json!({"platform": "web"}), "text:"),
        (json!({"platform": "web", "text": "   "}), "text:"),
        (json!({"text": "Hi"}), "platform:"),
        (
            json!({"platform": "web", "text": "Hi", "agent_id": 999}),
            "agent_id:",
        ),
        (
            json!({"platform": "web", "text": "Hi", "custom_data": "x"}),
            "custom_data:",
        ),
    ] {
        let (status, v) = start_chat(addr, body.clone()).await;
        assert_eq!(status, 422, "{body}: {v}");
        assert!(
            v["error"].as_str().is_some_and(|e| e.starts_with(field)),
            "{body}: {v}"
        );
    }
    let r = http(addr, "POST", "/_sandbox/chats", None, None).await;
    assert_eq!(r.status, 422, "no body at all: {}", r.text);
    let (_, v) = http_json(addr, "GET", "/_sandbox/chats", None, None).await;
    assert_eq!(v["chats"], json!([]), "nothing was started");
}

#[tokio::test]
async fn accepting_is_idempotent_and_customer_messages_reach_the_agent() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let (ben, _) = sign_in(addr, BEN).await;
    let mut ws = events(addr, &ada).await;
    let id = chat(addr, "Hello").await;
    assert_eq!(next_chat_event(&mut ws).await["type"], "chat.offered");
    let first = accept(addr, &ada, id).await;
    assert_eq!(first["status"], "active");
    assert!(iso_with_ms(&first["accepted_at"]), "{first}");
    let again = accept(addr, &ada, id).await;
    assert_eq!(again["accepted_at"], first["accepted_at"], "accepted once");
    let (status, v) = agent(addr, &ben, id, "accept", None).await;
    assert_eq!(
        (status, v),
        (409, json!({"error": "the chat is not offered to you"}))
    );
    let (status, v) = http_json(
        addr,
        "GET",
        &format!("/platform/chats/{id}"),
        None,
        Some(&ben),
    )
    .await;
    assert_eq!((status, v), (404, json!({"error": "no such chat"})));
    let (status, v) = agent(addr, &ada, 123, "accept", None).await;
    assert_eq!((status, v), (404, json!({"error": "no such chat"})));
    let (status, _) = agent(addr, &ada, 0, "x", None).await;
    assert_eq!(status, 404);
    let r = http(
        addr,
        "GET",
        "/platform/chats/not-a-number",
        None,
        Some(&ada),
    )
    .await;
    assert_eq!(
        (r.status, r.json()),
        (404, json!({"error": "no such chat"}))
    );

    let m = customer_says(addr, id, "<script>alert(1)</script>").await;
    let ev = next_chat_event(&mut ws).await;
    assert_eq!(ev["type"], "chat.message");
    assert_eq!(ev["chat_id"], id);
    assert_eq!(ev["message"], m);
    assert_eq!(ev["message"]["author"], "customer");
    assert_eq!(ev["message"]["text"], "<script>alert(1)</script>");
    let (status, shown) = http_json(
        addr,
        "GET",
        &format!("/platform/chats/{id}"),
        None,
        Some(&ada),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(shown["messages"].as_array().map(Vec::len), Some(2));
    assert_eq!(shown["messages"][1], m, "oldest first");
}

#[tokio::test]
async fn an_agent_message_is_taken_once_per_client_id() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let mut ws = events(addr, &ada).await;
    let id = chat(addr, "Hello").await;
    next_chat_event(&mut ws).await;
    let (status, v) = agent(
        addr,
        &ada,
        id,
        "messages",
        Some(json!({"text": "Not yet", "client_id": "c-0"})),
    )
    .await;
    assert_eq!(
        (status, v),
        (409, json!({"error": "the chat is not active"})),
        "an offered chat takes no agent message"
    );
    accept(addr, &ada, id).await;
    let body = json!({"text": "How can I help?", "client_id": "c-1"});
    let (status, first) = agent(addr, &ada, id, "messages", Some(body.clone())).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["author"], "agent");
    assert_eq!(first["client_id"], "c-1");
    assert_eq!(first["text"], "How can I help?");
    assert!(iso_with_ms(&first["at"]));
    let (status, repeat) = agent(addr, &ada, id, "messages", Some(body)).await;
    assert_eq!((status, &repeat), (200, &first), "the same message again");
    let ev = next_chat_event(&mut ws).await;
    assert_eq!(
        (&ev["type"], &ev["message"]),
        (&json!("chat.message"), &first)
    );
    // The repeat sent nothing: the next message event is the customer's.
    let later = customer_says(addr, id, "Thanks").await;
    let ev = next_chat_event(&mut ws).await;
    assert_eq!(ev["message"], later, "one event for c-1");
    assert!(later["id"].as_u64() > first["id"].as_u64(), "ids increase");
    for text in [
        json!(""),
        json!("  \n "),
        json!("a".repeat(4_001)),
        json!(null),
    ] {
        let (status, v) = agent(
            addr,
            &ada,
            id,
            "messages",
            Some(json!({"text": text, "client_id": "c-2"})),
        )
        .await;
        assert_eq!(status, 422, "{v}");
        assert!(
            v["error"].as_str().is_some_and(|e| e.starts_with("text:")),
            "{v}"
        );
    }
    let (status, v) = customer(addr, id, "messages", Some(json!({"text": " "}))).await;
    assert_eq!(status, 422, "{v}");
    let (status, _) = agent(
        addr,
        &ada,
        id,
        "messages",
        Some(json!({"text": "a".repeat(4_000), "client_id": "c-3"})),
    )
    .await;
    assert_eq!(status, 200, "4000 characters are fine");
    let (_, shown) = http_json(
        addr,
        "GET",
        &format!("/platform/chats/{id}"),
        None,
        Some(&ada),
    )
    .await;
    let clients: Vec<&Value> = shown["messages"]
        .as_array()
        .map(|l| l.iter().map(|m| &m["client_id"]).collect())
        .unwrap_or_default();
    assert_eq!(
        clients,
        [&json!(null), &json!("c-1"), &json!(null), &json!("c-3")],
        "c-1 once, c-2 never"
    );
}

#[tokio::test]
async fn an_agent_end_is_idempotent_and_nothing_is_written_after_it() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let mut ws = events(addr, &ada).await;
    let id = chat(addr, "Hello").await;
    next_chat_event(&mut ws).await;
    accept(addr, &ada, id).await;
    let (status, ended) = agent(addr, &ada, id, "end", None).await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(
        (&ended["status"], &ended["ended_by"]),
        (&json!("ended"), &json!("agent"))
    );
    assert!(iso_with_ms(&ended["ended_at"]));
    let ev = next_chat_event(&mut ws).await;
    assert_eq!(
        ev,
        json!({"type": "chat.ended", "chat_id": id, "by": "agent", "ended_at": ended["ended_at"]})
    );
    let (status, again) = agent(addr, &ada, id, "end", None).await;
    assert_eq!((status, &again), (200, &ended), "the ended chat as it was");
    let body = json!({"text": "One more thing", "client_id": "late"});
    let (status, v) = agent(addr, &ada, id, "messages", Some(body)).await;
    assert_eq!((status, v), (409, json!({"error": "the chat has ended"})));
    let (status, v) = customer(addr, id, "messages", Some(json!({"text": "Hello?"}))).await;
    assert_eq!((status, v), (409, json!({"error": "the chat has ended"})));
    let (status, v) = customer(addr, id, "leave", None).await;
    assert_eq!((status, v), (409, json!({"error": "the chat has ended"})));
    let (status, v) = agent(addr, &ada, id, "accept", None).await;
    assert_eq!((status, v), (409, json!({"error": "the chat has ended"})));
    // The second end sent nothing: the next chat event is a new chat's offer.
    let next = chat(addr, "Another").await;
    let ev = next_chat_event(&mut ws).await;
    assert_eq!(
        (&ev["type"], &ev["chat_id"]),
        (&json!("chat.offered"), &json!(next))
    );
    assert_eq!(
        listed(addr, &ada).await,
        [id, next],
        "the ended chat is listed for a reload"
    );
}

#[tokio::test]
async fn the_customer_leaving_ends_the_chat() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let mut ws = events(addr, &ada).await;
    let id = chat(addr, "Hello").await;
    next_chat_event(&mut ws).await;
    accept(addr, &ada, id).await;
    let (status, v) = customer(addr, id, "leave", None).await;
    assert_eq!((status, v), (200, json!({"ok": true})));
    let ev = next_chat_event(&mut ws).await;
    assert_eq!(
        (&ev["type"], &ev["by"]),
        (&json!("chat.ended"), &json!("customer"))
    );
    assert!(iso_with_ms(&ev["ended_at"]));
    let (status, v) = agent(addr, &ada, id, "end", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&v["status"], &v["ended_by"]),
        (&json!("ended"), &json!("customer"))
    );
    assert_eq!(v["ended_at"], ev["ended_at"]);
    let (status, _) = customer(addr, 999, "leave", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_fourth_chat_waits_and_is_offered_when_a_place_frees() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let mut ws = events(addr, &ada).await;
    let mut chats = Vec::new();
    for n in 1..=4 {
        let (id, status) = chat_with(addr, &format!("Chat {n}"), json!({})).await;
        assert_eq!(status, if n < 4 { "offered" } else { "queued" });
        chats.push(id);
    }
    for id in &chats[..3] {
        let ev = next_chat_event(&mut ws).await;
        assert_eq!(
            (&ev["type"], &ev["chat_id"]),
            (&json!("chat.offered"), &json!(id))
        );
    }
    let waiting = control_view(addr, chats[3]).await;
    assert_eq!(
        (&waiting["status"], &waiting["agent_id"]),
        (&json!("offered"), &Value::Null)
    );
    assert_eq!(
        listed(addr, &ada).await,
        chats[..3],
        "the waiting chat is nobody's"
    );
    let fifth = chat(addr, "Chat 5").await;
    accept(addr, &ada, chats[0]).await;
    accept(addr, &ada, chats[1]).await;
    let (status, _) = agent(addr, &ada, chats[1], "end", None).await;
    assert_eq!(status, 200);
    let ev = next_chat_event(&mut ws).await;
    assert_eq!(
        (&ev["type"], &ev["chat_id"]),
        (&json!("chat.ended"), &json!(chats[1]))
    );
    let ev = next_chat_event(&mut ws).await;
    assert_eq!(
        (&ev["type"], &ev["chat_id"]),
        (&json!("chat.offered"), &json!(chats[3])),
        "the oldest waiting chat first"
    );
    assert_eq!(ev["chat"]["agent_id"], ADA_ID);
    assert_eq!(
        control_view(addr, fifth).await["agent_id"],
        Value::Null,
        "still waiting"
    );
    // The customer leaving frees a place as well.
    customer(addr, chats[2], "leave", None).await;
    let ev = next_chat_event(&mut ws).await;
    assert_eq!(ev["type"], "chat.ended");
    let ev = next_chat_event(&mut ws).await;
    assert_eq!(
        (&ev["type"], &ev["chat_id"]),
        (&json!("chat.offered"), &json!(fifth))
    );
}

#[tokio::test]
async fn the_limit_is_a_world_setting_a_reset_restores() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let limit = |n: Value| async move {
        http_json(
            addr,
            "PUT",
            "/_sandbox/chat_limit",
            Some(json!({"limit": n})),
            None,
        )
        .await
    };
    assert_eq!(limit(json!(1)).await, (200, json!({"limit": 1})));
    assert_eq!(limit(json!(0)).await.0, 422);
    assert_eq!(limit(json!("two")).await.0, 422);
    let first = chat(addr, "One").await;
    let (second, status) = chat_with(addr, "Two", json!({})).await;
    assert_eq!(status, "queued");
    let mut ws = events(addr, &ada).await;
    // Raised: the waiting chat is offered at once.
    assert_eq!(limit(json!(2)).await.0, 200);
    let ev = next_chat_event(&mut ws).await;
    // The stream opened with the pending offer of the first chat.
    assert_eq!(ev["chat_id"], first);
    let ev = next_chat_event(&mut ws).await;
    assert_eq!(
        (&ev["type"], &ev["chat_id"]),
        (&json!("chat.offered"), &json!(second))
    );
    let before = customer_says(addr, first, "Before the reset").await;
    let (status, _) = http_json(addr, "POST", "/_sandbox/reset", Some(json!({})), None).await;
    assert_eq!(status, 200);
    let (_, v) = http_json(addr, "GET", "/_sandbox/chat_limit", None, None).await;
    assert_eq!(v, json!({"limit": 3}));
    let (_, v) = http_json(addr, "GET", "/_sandbox/chats", None, None).await;
    assert_eq!(v["chats"], json!([]), "chats cleared");
    assert_eq!(sandbox::testkit::state(addr).await["chats"], json!([]));
    let (again, status) = chat_with(addr, "After the reset", json!({})).await;
    assert_eq!(
        (again, status.as_str()),
        (FIRST_CHAT, "queued"),
        "no one signed in any more"
    );
    let after = &control_view(addr, again).await["messages"][0];
    assert!(
        after["id"].as_u64() > before["id"].as_u64(),
        "message ids never repeat: {before} {after}"
    );
}

#[tokio::test]
async fn a_declined_chat_goes_to_the_next_agent_or_waits() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let (ben, _) = sign_in(addr, BEN).await;
    let mut ada_ws = events(addr, &ada).await;
    let mut ben_ws = events(addr, &ben).await;
    let id = chat(addr, "Hello").await;
    assert_eq!(next_chat_event(&mut ada_ws).await["chat_id"], id);
    let (status, v) = agent(addr, &ben, id, "decline", None).await;
    assert_eq!(
        (status, v),
        (409, json!({"error": "the chat is not offered to you"}))
    );
    let (status, v) = agent(addr, &ada, id, "decline", None).await;
    assert_eq!((status, v), (200, json!({"ok": true})));
    let ev = next_chat_event(&mut ben_ws).await;
    assert_eq!(
        (&ev["type"], &ev["chat_id"]),
        (&json!("chat.offered"), &json!(id))
    );
    assert_eq!(ev["chat"]["agent_id"], BEN_ID);
    assert!(ev["chat"]["transferred_from"].is_null());
    assert!(listed(addr, &ada).await.is_empty(), "no longer Ada's");
    let (status, _) = http_json(
        addr,
        "GET",
        &format!("/platform/chats/{id}"),
        None,
        Some(&ada),
    )
    .await;
    assert_eq!(status, 404);
    // Declined by both signed-in agents: it waits.
    agent(addr, &ben, id, "decline", None).await;
    let waiting = control_view(addr, id).await;
    assert_eq!(
        (&waiting["status"], &waiting["agent_id"]),
        (&json!("offered"), &Value::Null)
    );
    // Cleo signs in: it is hers, offered on her stream when it opens.
    let (cleo, _) = sign_in(addr, CLEO).await;
    assert_eq!(control_view(addr, id).await["agent_id"], CLEO_ID);
    let mut cleo_ws = events(addr, &cleo).await;
    let ev = next_chat_event(&mut cleo_ws).await;
    assert_eq!(
        (&ev["type"], &ev["chat_id"]),
        (&json!("chat.offered"), &json!(id))
    );
    accept(addr, &cleo, id).await;
    let (status, v) = agent(addr, &cleo, id, "decline", None).await;
    assert_eq!(
        (status, v),
        (409, json!({"error": "the chat has been accepted"}))
    );
    agent(addr, &cleo, id, "end", None).await;
    let (status, v) = agent(addr, &cleo, id, "decline", None).await;
    assert_eq!((status, v), (409, json!({"error": "the chat has ended"})));
}

#[tokio::test]
async fn a_chat_nobody_can_take_waits_for_a_sign_in() {
    let addr = start().await;
    let (id, status) = chat_with(addr, "Anyone there?", json!({})).await;
    assert_eq!(status, "queued");
    let waiting = control_view(addr, id).await;
    assert_eq!(
        (&waiting["status"], &waiting["agent_id"]),
        (&json!("offered"), &Value::Null)
    );
    assert_eq!(waiting["agent_typing"], false);
    customer_says(addr, id, "Still here").await;
    let (ben, _) = sign_in(addr, BEN).await;
    let mut ws = events(addr, &ben).await;
    let ev = next_chat_event(&mut ws).await;
    assert_eq!(
        (&ev["type"], &ev["chat_id"]),
        (&json!("chat.offered"), &json!(id))
    );
    assert_eq!(
        ev["chat"]["messages"].as_array().map(Vec::len),
        Some(2),
        "what was written while it waited"
    );
}

#[tokio::test]
async fn every_chat_route_needs_the_agents_token() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let id = chat(addr, "Hello").await;
    let routes = [
        ("GET", "/platform/chats".to_owned()),
        ("GET", format!("/platform/chats/{id}")),
        ("POST", format!("/platform/chats/{id}/accept")),
        ("POST", format!("/platform/chats/{id}/decline")),
        ("POST", format!("/platform/chats/{id}/messages")),
        ("POST", format!("/platform/chats/{id}/typing")),
        ("POST", format!("/platform/chats/{id}/end")),
        ("POST", format!("/platform/chats/{id}/transfer")),
    ];
    for (method, path) in &routes {
        for token in [None, Some("not-a-session")] {
            let body =
                Some(json!({"text": "x", "client_id": "k", "typing": true, "to_agent_id": BEN_ID}));
            let (status, v) = http_json(addr, method, path, body, token).await;
            assert_eq!(
                (status, v),
                (401, json!({"error": "unauthorized"})),
                "{method} {path}"
            );
        }
    }
    assert_eq!(
        control_view(addr, id).await["status"],
        "offered",
        "nothing changed"
    );
    assert_eq!(listed(addr, &ada).await, [id]);
}

#[tokio::test]
async fn the_agents_list_has_their_own_live_and_recent_chats_only() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let (ben, _) = sign_in(addr, BEN).await;
    let offered = chat(addr, "One").await;
    let active = chat(addr, "Two").await;
    let ended = chat(addr, "Three").await;
    let bens = chat_with(addr, "Four", json!({"agent_id": BEN_ID})).await.0;
    accept(addr, &ada, active).await;
    accept(addr, &ada, ended).await;
    agent(addr, &ada, ended, "end", None).await;
    assert_eq!(
        listed(addr, &ada).await,
        [offered, active, ended],
        "oldest first"
    );
    assert_eq!(listed(addr, &ben).await, [bens]);
    let (_, v) = http_json(addr, "GET", "/platform/chats", None, Some(&ada)).await;
    let statuses: Vec<&Value> = v["chats"]
        .as_array()
        .map(|l| l.iter().map(|c| &c["status"]).collect())
        .unwrap_or_default();
    assert_eq!(
        statuses,
        [&json!("offered"), &json!("active"), &json!("ended")]
    );
    // Transferred away: no longer listed for the sender.
    let (status, v) = agent(
        addr,
        &ada,
        active,
        "transfer",
        Some(json!({"to_agent_id": BEN_ID})),
    )
    .await;
    assert_eq!((status, v), (200, json!({"ok": true})));
    assert_eq!(listed(addr, &ada).await, [offered, ended]);
    assert_eq!(listed(addr, &ben).await, [active, bens]);
}

#[tokio::test]
async fn typing_is_recorded_and_the_customers_is_sent_when_it_changes() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let mut ws = events(addr, &ada).await;
    let id = chat(addr, "Hello").await;
    next_chat_event(&mut ws).await;
    let (status, v) = customer(addr, id, "typing", Some(json!({"typing": true}))).await;
    assert_eq!((status, v), (200, json!({"ok": true})));
    customer(addr, id, "typing", Some(json!({"typing": true}))).await;
    customer(addr, id, "typing", Some(json!({"typing": false}))).await;
    assert_eq!(
        next_chat_event(&mut ws).await,
        json!({"type": "chat.typing", "chat_id": id, "typing": true})
    );
    assert_eq!(
        next_chat_event(&mut ws).await,
        json!({"type": "chat.typing", "chat_id": id, "typing": false}),
        "the repeat was not sent"
    );
    let (status, _) = customer(addr, id, "typing", Some(json!({"typing": "yes"}))).await;
    assert_eq!(status, 422);
    accept(addr, &ada, id).await;
    let (status, v) = agent(addr, &ada, id, "typing", Some(json!({"typing": true}))).await;
    assert_eq!((status, v), (200, json!({"ok": true})));
    assert_eq!(control_view(addr, id).await["agent_typing"], true);
    let (status, _) = agent(addr, &ada, id, "typing", None).await;
    assert_eq!(status, 422);
    agent(addr, &ada, id, "end", None).await;
    assert_eq!(control_view(addr, id).await["agent_typing"], false);
    let (status, _) = agent(addr, &ada, id, "typing", Some(json!({"typing": true}))).await;
    assert_eq!(status, 200, "a late typing state is taken and ignored");
    assert_eq!(control_view(addr, id).await["agent_typing"], false);
}

#[tokio::test]
async fn a_rating_goes_to_the_chats_agent_with_the_chat_id() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let mut ws = events(addr, &ada).await;
    let id = chat(addr, "Hello").await;
    next_chat_event(&mut ws).await;
    accept(addr, &ada, id).await;
    customer(addr, id, "leave", None).await;
    next_chat_event(&mut ws).await;
    let (status, v) = customer(addr, id, "rate", Some(json!({"score": 5}))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["ok"], true);
    let event_id = v["event_id"].as_u64().unwrap_or_else(|| panic!("{v}"));
    assert_eq!(
        next_chat_event(&mut ws).await,
        json!({"type": "csat.rated", "chat_id": id, "event_id": event_id, "score": 5})
    );
    assert_eq!(control_view(addr, id).await["rating"], 5);
    for score in [json!(0), json!(6), json!("5"), json!(null)] {
        let (status, _) = customer(addr, id, "rate", Some(json!({"score": score}))).await;
        assert_eq!(status, 422, "{score}");
    }
    let (status, _) = customer(addr, 999, "rate", Some(json!({"score": 3}))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_transfer_moves_the_chat_and_tells_both_agents() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let (ben, ben_agent) = sign_in(addr, BEN).await;
    let mut ada_ws = events(addr, &ada).await;
    let mut ben_ws = events(addr, &ben).await;
    let id = chat(addr, "Hello").await;
    next_chat_event(&mut ada_ws).await;
    accept(addr, &ada, id).await;
    let to = |n: u64| Some(json!({"to_agent_id": n}));
    let (status, v) = agent(addr, &ada, id, "transfer", to(ADA_ID)).await;
    assert_eq!(status, 422, "not to the chat's own agent: {v}");
    let (status, _) = agent(addr, &ada, id, "transfer", to(999)).await;
    assert_eq!(status, 422);
    let (status, v) = agent(addr, &ada, id, "transfer", to(CLEO_ID)).await;
    assert_eq!(
        (status, v),
        (409, json!({"error": "the agent is not signed in"}))
    );
    let (status, _) = agent(addr, &ben, id, "transfer", to(CLEO_ID)).await;
    assert_eq!(status, 404, "not Ben's chat");

    let (status, v) = agent(addr, &ada, id, "transfer", to(BEN_ID)).await;
    assert_eq!((status, v), (200, json!({"ok": true})));
    let ev = next_chat_event(&mut ada_ws).await;
    assert_eq!(
        ev,
        json!({"type": "chat.transferred", "chat_id": id,
               "to": {"id": BEN_ID, "name": ben_agent["name"],
                      "zendesk_user_id": ben_agent["zendesk_user_id"]}})
    );
    let ev = next_chat_event(&mut ben_ws).await;
    assert_eq!(
        (&ev["type"], &ev["chat_id"]),
        (&json!("chat.offered"), &json!(id))
    );
    let c = &ev["chat"];
    assert_eq!(
        (&c["status"], &c["agent_id"]),
        (&json!("offered"), &json!(BEN_ID))
    );
    assert_eq!(c["transferred_from"]["id"], ADA_ID);
    assert_eq!(c["transferred_from"]["name"], "Ada Agent");
    assert!(c["transferred_from"]["zendesk_user_id"].as_u64().is_some());
    assert!(c["accepted_at"].is_null(), "Ben accepts it anew");
    assert_eq!(
        c["messages"].as_array().map(Vec::len),
        Some(1),
        "the conversation comes along"
    );
    accept(addr, &ben, id).await;
    // The customer's next message reaches Ben, not Ada.
    let m = customer_says(addr, id, "Hi Ben").await;
    assert_eq!(next_chat_event(&mut ben_ws).await["message"], m);
    let (status, _) = agent(
        addr,
        &ada,
        id,
        "messages",
        Some(json!({"text": "x", "client_id": "k"})),
    )
    .await;
    assert_eq!(status, 404, "no longer Ada's");
    let other = chat_with(addr, "Ada's next", json!({"agent_id": ADA_ID}))
        .await
        .0;
    let ev = next_chat_event(&mut ada_ws).await;
    assert_eq!(
        (&ev["type"], &ev["chat_id"]),
        (&json!("chat.offered"), &json!(other))
    );

    // Back to Ada through the control route; Ada at her limit cannot take one more.
    let (status, v) = customer(addr, id, "transfer", to(ADA_ID)).await;
    assert_eq!((status, v), (200, json!({"ok": true})));
    assert_eq!(
        next_chat_event(&mut ben_ws).await["type"],
        "chat.transferred"
    );
    let ev = next_chat_event(&mut ada_ws).await;
    assert_eq!(ev["chat"]["transferred_from"]["id"], BEN_ID);
    chat_with(addr, "Ada's third", json!({"agent_id": ADA_ID})).await;
    let full = chat_with(addr, "Ben's", json!({"agent_id": BEN_ID}))
        .await
        .0;
    let (status, v) = agent(addr, &ben, full, "transfer", to(ADA_ID)).await;
    assert_eq!(
        (status, v),
        (
            409,
            json!({"error": "the agent has no room for another chat"})
        )
    );
    agent(addr, &ada, id, "end", None).await;
    let (status, v) = customer(addr, id, "transfer", to(BEN_ID)).await;
    assert_eq!((status, v), (409, json!({"error": "the chat has ended"})));
}

#[tokio::test]
async fn faults_and_latency_on_chat_paths_apply() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let fault = json!({"path_prefix": "/platform/chats", "status": 503, "count": 1,
                       "latency_ms": 300, "retry_after": 2});
    let (status, _) = http_json(addr, "POST", "/_sandbox/faults", Some(fault), None).await;
    assert_eq!(status, 200);
    let id = chat(addr, "Hello").await;
    let t = Instant::now();
    let r = http(
        addr,
        "POST",
        &format!("/platform/chats/{id}/accept"),
        None,
        Some(&ada),
    )
    .await;
    assert_eq!(
        (r.status, r.json()),
        (503, json!({"error": "injected fault"}))
    );
    assert_eq!(r.header("retry-after"), Some("2"));
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        control_view(addr, id).await["status"],
        "offered",
        "the fault kept it from the route"
    );
    let t = Instant::now();
    let again = accept(addr, &ada, id).await;
    assert_eq!(again["status"], "active");
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "the latency stays"
    );
    // The control API is not the platform: a fault on its chat paths is not applied.
    let fault = json!({"path_prefix": "/_sandbox/chats", "status": 500});
    http_json(addr, "POST", "/_sandbox/faults", Some(fault), None).await;
    customer_says(addr, id, "Still fine").await;
}

// The adapter that logs a chat names its ticket; the chat carries it, also to the agent it is
// transferred to (who writes on it), and after its end. Only the chat's agent (or the one who
// transferred it) may name it.
#[tokio::test]
async fn the_chats_ticket_is_reported_and_follows_a_transfer() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let (ben, _) = sign_in(addr, BEN).await;
    let id = chat(addr, "Hello").await;
    accept(addr, &ada, id).await;
    let (status, _) = agent(addr, &ada, id, "ticket", Some(json!({}))).await;
    assert_eq!(status, 422, "a ticket id is needed");
    let (status, _) = agent(addr, &ben, id, "ticket", Some(json!({"ticket_id": 9}))).await;
    assert_eq!(status, 404, "not Ben's chat");
    let (status, v) = agent(addr, &ada, id, "ticket", Some(json!({"ticket_id": 42}))).await;
    assert_eq!((status, v), (200, json!({"ok": true})));
    let (status, _) = agent(
        addr,
        &ada,
        id,
        "transfer",
        Some(json!({"to_agent_id": BEN_ID})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, c) = http_json(
        addr,
        "GET",
        &format!("/platform/chats/{id}"),
        None,
        Some(&ben),
    )
    .await;
    assert_eq!((status, &c["ticket_id"]), (200, &json!(42)), "{c}");
    // The sender may still name it (its first write may finish after the transfer).
    let (status, _) = agent(addr, &ada, id, "ticket", Some(json!({"ticket_id": 43}))).await;
    assert_eq!(status, 200);
    accept(addr, &ben, id).await;
    let (status, c) = agent(addr, &ben, id, "end", None).await;
    assert_eq!((status, &c["ticket_id"]), (200, &json!(43)));
}
