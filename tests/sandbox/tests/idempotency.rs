//! Ticket creation with an `Idempotency-Key` over HTTP: a replay whose first answer was lost
//! returns the ticket created the first time and creates nothing, another key creates another
//! ticket, the same key with another body is refused; on `tickets.json` and on the Talk Partner
//! Edition voice route. The header is read from the HTTP request, whatever its case, is logged,
//! and a reset forgets the keys.

use std::net::SocketAddr;

use sandbox::testkit::{http, http_with_headers, Response};
use sandbox::zendesk::{IDEMPOTENCY_LOOKUP_HEADER, IDEMPOTENCY_MISMATCH};
use serde_json::{json, Value};

async fn start() -> SocketAddr {
    sandbox::testkit::start("default").await
}

async fn state(addr: SocketAddr) -> Value {
    http(addr, "GET", "/_sandbox/state", None, None)
        .await
        .json()
}

async fn ticket_count(addr: SocketAddr) -> usize {
    state(addr).await["tickets"].as_array().unwrap().len()
}

/// The ids of the tickets whose subject is `subject`.
async fn tickets_with_subject(addr: SocketAddr, subject: &str) -> Vec<u64> {
    state(addr).await["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["subject"] == subject)
        .map(|t| t["id"].as_u64().unwrap())
        .collect()
}

async fn post_with_key(addr: SocketAddr, path: &str, body: &Value, key: &str) -> Response {
    http_with_headers(
        addr,
        "POST",
        path,
        Some(body.clone()),
        &[("Idempotency-Key", key)],
    )
    .await
}

fn assert_mismatch(r: &Response) {
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"error": IDEMPOTENCY_MISMATCH.0, "description": IDEMPOTENCY_MISMATCH.1})
    );
}

/// The logged requests to `path` that carried `key`: (status, body).
async fn logged_with_key(addr: SocketAddr, path: &str, key: &str) -> Vec<(u64, Value)> {
    let log = http(addr, "GET", "/_sandbox/requests", None, None)
        .await
        .json();
    log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == path && r["idempotency_key"] == key)
        .map(|r| (r["status"].as_u64().unwrap(), r["body"].clone()))
        .collect()
}

#[tokio::test]
async fn ticket_creation_replayed_with_its_key_returns_the_same_ticket() {
    let addr = start().await;
    let (caller, agent) = sandbox::testkit::caller_and_agent(addr).await;
    let before = ticket_count(addr).await;
    let path = "/api/v2/tickets.json";
    let body = json!({"ticket": {"subject": "Outbound call to +15550101200", "requester_id": caller,
        "assignee_id": agent, "via_id": 46, "comment": {"body": "Call placed", "public": false}}});

    let first = post_with_key(addr, path, &body, "op-1/create").await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.header(IDEMPOTENCY_LOOKUP_HEADER), Some("miss"));
    let id = first.json()["ticket"]["id"].as_u64().unwrap();

    // The answer was lost (the page reloaded): the app sends the same creation again.
    let replay = post_with_key(addr, path, &body, "op-1/create").await;
    assert_eq!(replay.status, 201, "{}", replay.text);
    assert_eq!(replay.header(IDEMPOTENCY_LOOKUP_HEADER), Some("hit"));
    assert_eq!(replay.json()["ticket"]["id"], id);
    assert_eq!(
        replay.json(),
        first.json(),
        "the same answer while the ticket is unchanged"
    );
    assert_eq!(replay.header("Location"), first.header("Location"));
    assert_eq!(ticket_count(addr).await, before + 1, "one ticket created");
    assert_eq!(
        tickets_with_subject(addr, "Outbound call to +15550101200").await,
        vec![id]
    );

    // A replay answers the ticket as it is now.
    let r = http(
        addr,
        "PUT",
        &format!("/api/v2/tickets/{id}.json"),
        Some(json!({"ticket": {"status": "pending"}})),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let replay = post_with_key(addr, path, &body, "op-1/create").await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.header(IDEMPOTENCY_LOOKUP_HEADER), Some("hit"));
    assert_eq!(replay.json()["ticket"]["id"], id);
    assert_eq!(replay.json()["ticket"]["status"], "pending");
    assert_eq!(replay.json()["audit"], first.json()["audit"]);

    // Another key is another creation.
    let other = post_with_key(addr, path, &body, "op-2/create").await;
    assert_eq!(other.status, 201);
    assert_eq!(other.header(IDEMPOTENCY_LOOKUP_HEADER), Some("miss"));
    let other_id = other.json()["ticket"]["id"].as_u64().unwrap();
    assert_ne!(other_id, id);
    assert_eq!(ticket_count(addr).await, before + 2);

    // The same key with another body is refused, and creates nothing.
    let mut changed = body.clone();
    changed["ticket"]["subject"] = json!("Another subject");
    let r = post_with_key(addr, path, &changed, "op-1/create").await;
    assert_mismatch(&r);
    assert_eq!(ticket_count(addr).await, before + 2);
    assert!(tickets_with_subject(addr, "Another subject")
        .await
        .is_empty());

    // Every request Zendesk received is logged, replays included.
    let logged = logged_with_key(addr, path, "op-1/create").await;
    let statuses: Vec<u64> = logged.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, [201, 201, 201, 400]);
    assert_eq!(logged[1].1, body);
}

#[tokio::test]
async fn voice_ticket_creation_replayed_with_its_key_returns_the_same_ticket() {
    let addr = start().await;
    let (caller, agent) = sandbox::testkit::caller_and_agent(addr).await;
    let before = ticket_count(addr).await;
    let path = "/api/v2/channels/voice/tickets.json";
    let body = json!({"display_to_agent": agent, "ticket": {"via_id": 44, "subject": "Voicemail from +15551234567",
        "requester_id": caller, "voice_comment": {"from": "+15551234567", "to": "+15550199001",
        "recording_url": "https://pbx.example/r/1.mp3", "started_at": "2024-05-01T10:00:00Z",
        "call_duration": 42, "answered_by_id": agent}}});

    let first = post_with_key(addr, path, &body, "vm-1").await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.header(IDEMPOTENCY_LOOKUP_HEADER), Some("miss"));
    let id = first.json()["ticket"]["id"].as_u64().unwrap();
    assert!(first.json().get("audit").is_none());

    let replay = post_with_key(addr, path, &body, "vm-1").await;
    assert_eq!(replay.status, 201, "{}", replay.text);
    assert_eq!(replay.header(IDEMPOTENCY_LOOKUP_HEADER), Some("hit"));
    assert_eq!(replay.json(), first.json(), "the shape of the voice route");
    assert_eq!(ticket_count(addr).await, before + 1, "one ticket created");
    assert_eq!(
        tickets_with_subject(addr, "Voicemail from +15551234567").await,
        vec![id]
    );
    let displays = state(addr).await["displays"].as_array().unwrap().len();
    assert_eq!(
        displays, 1,
        "a replay shows the ticket to the agent once only"
    );

    let other = post_with_key(addr, path, &body, "vm-2").await;
    assert_eq!(other.status, 201);
    assert_eq!(other.header(IDEMPOTENCY_LOOKUP_HEADER), Some("miss"));
    assert_ne!(other.json()["ticket"]["id"], id);
    assert_eq!(ticket_count(addr).await, before + 2);

    let mut changed = body.clone();
    changed["ticket"]["voice_comment"]["call_duration"] = json!(43);
    assert_mismatch(&post_with_key(addr, path, &changed, "vm-1").await);
    // A key used on one creation route is refused on the other, even with the same body.
    let inbound = json!({"ticket": {"via_id": 45, "subject": "Inbound call", "requester_id": caller,
        "comment": {"body": "Call answered", "public": false}}});
    let r = post_with_key(addr, "/api/v2/tickets.json", &inbound, "call-9").await;
    assert_eq!(r.status, 201);
    assert_mismatch(&post_with_key(addr, path, &inbound, "call-9").await);
    assert_eq!(ticket_count(addr).await, before + 3);

    let statuses: Vec<u64> = logged_with_key(addr, path, "vm-1")
        .await
        .iter()
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(statuses, [201, 201, 400]);
}

#[tokio::test]
async fn the_idempotency_key_header_reaches_the_emulator_over_http() {
    let addr = start().await;
    let (caller, _) = sandbox::testkit::caller_and_agent(addr).await;
    let before = ticket_count(addr).await;
    let path = "/api/v2/tickets.json";
    let body = json!({"ticket": {"subject": "Keyed", "requester_id": caller,
        "comment": {"body": "x", "public": false}}});

    // Header names are case-insensitive.
    let send = |name: &'static str, key: &'static str| {
        let body = body.clone();
        async move { http_with_headers(addr, "POST", path, Some(body), &[(name, key)]).await }
    };
    let first = send("idempotency-key", "k-1").await;
    assert_eq!(first.status, 201);
    assert_eq!(first.header(IDEMPOTENCY_LOOKUP_HEADER), Some("miss"));
    let replay = send("IDEMPOTENCY-KEY", "k-1").await;
    assert_eq!(replay.header(IDEMPOTENCY_LOOKUP_HEADER), Some("hit"));
    assert_eq!(replay.json()["ticket"]["id"], first.json()["ticket"]["id"]);
    assert_eq!(logged_with_key(addr, path, "k-1").await.len(), 2);

    // Without the header (or with an empty one) every creation is a new ticket, as before.
    for headers in [vec![], vec![("Idempotency-Key", "")]] {
        let r = http_with_headers(addr, "POST", path, Some(body.clone()), &headers).await;
        assert_eq!(r.status, 201);
        assert_eq!(r.header(IDEMPOTENCY_LOOKUP_HEADER), None);
    }
    assert_eq!(ticket_count(addr).await, before + 3);
    let log = http(addr, "GET", "/_sandbox/requests", None, None)
        .await
        .json();
    let last = log["requests"].as_array().unwrap().last().cloned().unwrap();
    assert!(
        last.get("idempotency_key").is_none(),
        "no key, none logged: {last}"
    );

    // A reset forgets the keys.
    let r = http(
        addr,
        "POST",
        "/_sandbox/reset",
        Some(json!({"fixture": "default"})),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let before = ticket_count(addr).await;
    let again = send("Idempotency-Key", "k-1").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header(IDEMPOTENCY_LOOKUP_HEADER), Some("miss"));
    assert_eq!(ticket_count(addr).await, before + 1);
}
