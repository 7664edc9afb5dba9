//! The sandbox over HTTP: the Zendesk emulator's keys and status codes (reference/zendesk.md
//! §4-5), the platform's sign-in and 401s, the CRM write queue's idempotency and 429 handling,
//! and the app's index.html served with the ZAF SDK rewritten.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use sandbox::{fixtures, state::Config};
use serde_json::{json, Value};

use sandbox::testkit::http;

async fn start_with(fixture: &str, rate_limit: u32, queue_file: Option<PathBuf>) -> SocketAddr {
    let dir = std::env::temp_dir().join(format!("sandbox-test-app-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("index.html"),
        r#"<script src="https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"></script>"#,
    )
    .expect("index.html");
    sandbox::start(Config {
        fixture: fixture.into(),
        app_dir: dir,
        rate_limit,
        queue_file,
        zaf_sdk: PathBuf::from("/nonexistent"),
        port: 0,
        timing: Default::default(),
    })
    .await
    .expect("server starts")
}

async fn start() -> SocketAddr {
    start_with("default", 700, None).await
}

fn has_keys(v: &Value, keys: &[&str]) {
    for k in keys {
        assert!(v.get(*k).is_some(), "missing key {k} in {v}");
    }
}

const TICKET_KEYS: [&str; 20] = [
    "url",
    "id",
    "via",
    "created_at",
    "updated_at",
    "subject",
    "raw_subject",
    "description",
    "status",
    "requester_id",
    "submitter_id",
    "assignee_id",
    "organization_id",
    "group_id",
    "tags",
    "custom_fields",
    "fields",
    "is_public",
    "brand_id",
    "collaborator_ids",
];
const USER_KEYS: [&str; 14] = [
    "id",
    "url",
    "name",
    "email",
    "phone",
    "shared_phone_number",
    "role",
    "verified",
    "external_id",
    "tags",
    "active",
    "locale",
    "created_at",
    "user_fields",
];

async fn state(addr: SocketAddr) -> Value {
    http(addr, "GET", "/_sandbox/state", None, None)
        .await
        .json()
}

async fn user_with_phone(addr: SocketAddr, phone: &str) -> Value {
    let s = state(addr).await;
    s["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["phone"] == phone)
        .cloned()
        .expect("user")
}

async fn ticket_with_status(addr: SocketAddr, status: &str) -> Value {
    let s = state(addr).await;
    s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == status)
        .cloned()
        .expect("ticket")
}

#[tokio::test]
async fn users_show_search_create_and_identities() {
    let addr = start().await;
    let u = user_with_phone(addr, &fixtures::matrix_number(1, 1)).await;
    let id = u["id"].as_u64().unwrap();
    assert!(id > u64::from(u32::MAX));

    let r = http(addr, "GET", &format!("/api/v2/users/{id}.json"), None, None).await;
    assert_eq!(r.status, 200);
    has_keys(&r.json()["user"], &USER_KEYS);
    assert_eq!(r.header("X-Rate-Limit"), Some("700"));
    assert!(r.header("X-Rate-Limit-Remaining").is_some());

    let r = http(addr, "GET", "/api/v2/users/1.json", None, None).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"error": "RecordNotFound", "description": "Not found"})
    );

    // phone: exact (digits, no `+`), and the suffix wildcard production adapters use.
    let n = fixtures::matrix_number(2, 0);
    let r = http(
        addr,
        "GET",
        &format!(
            "/api/v2/search.json?query=type%3Auser%20phone%3A{}",
            &n[1..]
        ),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let j = r.json();
    has_keys(
        &j,
        &["results", "facets", "next_page", "previous_page", "count"],
    );
    assert_eq!(j["count"], 2, "the number is on two contacts");
    assert_eq!(j["results"][0]["result_type"], "user");
    let r = http(
        addr,
        "GET",
        &format!(
            "/api/v2/search.json?query=role%3Aend-user%20phone%3A*{}",
            &n[5..]
        ),
        None,
        None,
    )
    .await;
    assert_eq!(r.json()["count"], 2);
    let r = http(
        addr,
        "GET",
        "/api/v2/users/search.json?query=phone%3A15550100000",
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["count"], 0, "the MATRIX number on no contact");
    // A number held as a second identity is found too.
    let r = http(
        addr,
        "GET",
        "/api/v2/users/search.json?query=phone%3A15550109902",
        None,
        None,
    )
    .await;
    assert_eq!(r.json()["users"][0]["name"], "Olga Twophones");

    let r = http(addr, "POST", "/api/v2/users.json", Some(json!({"user": {"name": "Caller +15557654321", "phone": "+15557654321", "role": "end-user"}})), None).await;
    assert_eq!(r.status, 201);
    assert!(r
        .header("Location")
        .is_some_and(|l| l.contains("/api/v2/users/")));
    let new_id = r.json()["user"]["id"].as_u64().unwrap();
    let r = http(
        addr,
        "POST",
        "/api/v2/users.json",
        Some(json!({"user": {"name": "", "phone": "+1"}})),
        None,
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"], "RecordInvalid");
    assert!(r.json()["details"]["name"].is_array());
    let email = u["email"].as_str().unwrap();
    let r = http(
        addr,
        "POST",
        "/api/v2/users.json",
        Some(json!({"user": {"name": "Dup", "email": email}})),
        None,
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["details"]["email"][0]["error"], "DuplicateValue");

    let r = http(
        addr,
        "POST",
        &format!("/api/v2/users/{new_id}/identities.json"),
        Some(json!({"identity": {"type": "phone_number", "value": "+15557650000"}})),
        None,
    )
    .await;
    assert_eq!(r.status, 201);
    has_keys(
        &r.json()["identity"],
        &["id", "user_id", "type", "value", "verified", "primary"],
    );
    let r = http(
        addr,
        "GET",
        &format!("/api/v2/users/{new_id}/identities.json?type[]=phone_number"),
        None,
        None,
    )
    .await;
    assert_eq!(r.json()["count"], 2);
}

#[tokio::test]
async fn tickets_create_update_requested_and_closed_is_terminal() {
    let addr = start().await;
    let u = user_with_phone(addr, &fixtures::matrix_number(1, 2)).await;
    let uid = u["id"].as_u64().unwrap();
    let agent = state(addr).await["agents"][0]["zendesk_user_id"]
        .as_u64()
        .unwrap();

    let r = http(
        addr,
        "GET",
        &format!("/api/v2/users/{uid}/tickets/requested.json?sort_by=updated_at&sort_order=desc"),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let j = r.json();
    has_keys(&j, &["tickets", "next_page", "previous_page", "count"]);
    assert_eq!(j["count"], 3, "two open and one solved");
    has_keys(&j["tickets"][0], &TICKET_KEYS);

    let body = json!({"ticket": {"subject": "Outbound call to +15550101200", "comment": {"body": "Call placed", "public": false},
        "requester_id": uid, "assignee_id": agent, "via_id": 46, "tags": ["phone"], "custom_fields": [{"id": 1, "value": "x"}]}});
    let r = http(addr, "POST", "/api/v2/tickets.json", Some(body), None).await;
    assert_eq!(r.status, 201);
    assert!(r.header("Location").is_some());
    let j = r.json();
    has_keys(&j, &["ticket", "audit"]);
    has_keys(
        &j["audit"],
        &[
            "id",
            "ticket_id",
            "created_at",
            "author_id",
            "metadata",
            "events",
            "via",
        ],
    );
    let t = &j["ticket"];
    has_keys(t, &TICKET_KEYS);
    assert_eq!(t["status"], "open", "a new ticket with an assignee is open");
    assert_eq!(t["via"]["channel"], "voice");
    let tid = t["id"].as_u64().unwrap();

    let r = http(
        addr,
        "POST",
        "/api/v2/tickets.json",
        Some(json!({"ticket": {"subject": "no comment", "requester_id": uid}})),
        None,
    )
    .await;
    assert_eq!(r.status, 422, "a ticket needs a description");
    let r = http(
        addr,
        "POST",
        "/api/v2/tickets.json",
        Some(json!({"ticket": {"comment": {"body": "x"}, "requester_id": 1}})),
        None,
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.json()["details"]["requester"].is_array());

    let r = http(addr, "PUT", &format!("/api/v2/tickets/{tid}.json"), Some(json!({"ticket": {"status": "solved", "comment": {"body": "Call finished", "public": false}}})), None).await;
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(j["ticket"]["status"], "solved");
    let events = j["audit"]["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e["type"] == "Change"
        && e["field_name"] == "status"
        && e["previous_value"] == "open"));
    assert!(events
        .iter()
        .any(|e| e["type"] == "Comment" && e["public"] == false));
    let r = http(
        addr,
        "PUT",
        &format!("/api/v2/tickets/{tid}.json"),
        Some(json!({"ticket": {"status": "bogus"}})),
        None,
    )
    .await;
    assert_eq!(r.status, 422);

    let closed = ticket_with_status(addr, "closed").await["id"]
        .as_u64()
        .unwrap();
    let r = http(
        addr,
        "PUT",
        &format!("/api/v2/tickets/{closed}.json"),
        Some(json!({"ticket": {"comment": {"body": "late", "public": false}}})),
        None,
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json(),
        json!({"error": "RecordInvalid", "description": "Record validation errors",
        "details": {"status": [{"description": "Status: closed prevents ticket update"}]}})
    );
    let r = http(
        addr,
        "PUT",
        "/api/v2/tickets/1.json",
        Some(json!({"ticket": {}})),
        None,
    )
    .await;
    assert_eq!(r.status, 404);

    let s = state(addr).await;
    let t = s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == tid)
        .unwrap()
        .clone();
    let comments = t["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 2);
    assert!(
        comments.iter().all(|c| c["public"] == false),
        "internal comments stay internal"
    );
}

#[tokio::test]
async fn update_many_job_status_limit_and_merge() {
    let addr = start().await;
    let open = ticket_with_status(addr, "open").await["id"]
        .as_u64()
        .unwrap();
    let closed = ticket_with_status(addr, "closed").await["id"]
        .as_u64()
        .unwrap();
    let body = json!({"tickets": [
        {"id": open, "comment": {"body": "batched", "public": false}, "metadata": {"op_keys": ["k1"]}},
        {"id": closed, "comment": {"body": "too late", "public": false}},
    ]});
    let r = http(
        addr,
        "PUT",
        "/api/v2/tickets/update_many.json",
        Some(body),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let js = &r.json()["job_status"];
    has_keys(
        js,
        &[
            "id", "url", "total", "progress", "status", "message", "results",
        ],
    );
    assert_eq!(js["status"], "queued");
    let id = js["id"].as_str().unwrap();
    let r = http(
        addr,
        "GET",
        &format!("/api/v2/job_statuses/{id}.json"),
        None,
        None,
    )
    .await;
    let js = &r.json()["job_status"];
    assert_eq!(js["status"], "completed");
    let results = js["results"].as_array().unwrap();
    assert_eq!(results[0]["success"], true);
    assert_eq!(results[0]["status"], "Updated");
    assert_eq!(results[1]["success"], false);

    let many: Vec<Value> = (0..101)
        .map(|i| json!({"id": i, "status": "open"}))
        .collect();
    let r = http(
        addr,
        "PUT",
        "/api/v2/tickets/update_many.json",
        Some(json!({"tickets": many})),
        None,
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "TooManyValues");
    assert_eq!(r.json()["max_count"], 100);
    let ids: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    let r = http(
        addr,
        "PUT",
        &format!("/api/v2/tickets/update_many.json?ids={}", ids.join(",")),
        Some(json!({"ticket": {"status": "open"}})),
        None,
    )
    .await;
    assert_eq!(r.status, 400);

    // Merge: the source is closed (terminal) and points at the target.
    let s = state(addr).await;
    let olga = s["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "Olga Twophones")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let r = http(
        addr,
        "POST",
        "/api/v2/tickets.json",
        Some(
            json!({"ticket": {"comment": {"body": "dup", "public": false}, "requester_id": olga}}),
        ),
        None,
    )
    .await;
    let src = r.json()["ticket"]["id"].as_u64().unwrap();
    let target = s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["requester_id"] == olga)
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let r = http(addr, "POST", &format!("/api/v2/tickets/{target}/merge.json"), Some(json!({"ids": [src], "source_comment_is_public": false, "target_comment_is_public": false})), None).await;
    assert_eq!(r.status, 200);
    has_keys(&r.json()["job_status"], &["id", "status"]);
    let r = http(
        addr,
        "GET",
        &format!("/api/v2/tickets/{src}.json"),
        None,
        None,
    )
    .await;
    assert_eq!(r.json()["ticket"]["status"], "closed");
    let r = http(
        addr,
        "PUT",
        &format!("/api/v2/tickets/{src}.json"),
        Some(json!({"ticket": {"status": "open"}})),
        None,
    )
    .await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn fields_voice_tickets_display_and_calls() {
    let addr = start().await;
    let r = http(addr, "GET", "/api/v2/ticket_fields.json", None, None).await;
    assert_eq!(r.status, 200);
    let custom = r.json()["ticket_fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["type"] == "text")
        .cloned()
        .expect("a custom field");
    has_keys(
        &custom,
        &[
            "id",
            "url",
            "type",
            "title",
            "raw_title",
            "description",
            "position",
            "active",
            "required",
            "custom_field_options",
            "removable",
        ],
    );
    let r = http(
        addr,
        "POST",
        "/api/v2/ticket_fields.json",
        Some(json!({"ticket_field": {"type": "text", "title": "Session ID"}})),
        None,
    )
    .await;
    assert_eq!(r.status, 201);
    let r = http(
        addr,
        "POST",
        "/api/v2/ticket_fields.json",
        Some(json!({"ticket_field": {"type": "text", "title": ""}})),
        None,
    )
    .await;
    assert_eq!(r.status, 422);

    let (caller, agent) = sandbox::testkit::caller_and_agent(addr).await;
    let vm = json!({"display_to_agent": agent, "ticket": {"via_id": 44, "subject": "Voicemail", "requester_id": caller,
        "voice_comment": {"from": "+15551234567", "to": "+15550199001", "recording_url": "https://pbx.example/r/1.mp3",
        "started_at": "2024-05-01T10:00:00Z", "call_duration": 42, "answered_by_id": agent}}});
    let r = http(
        addr,
        "POST",
        "/api/v2/channels/voice/tickets.json",
        Some(vm),
        None,
    )
    .await;
    assert_eq!(r.status, 201);
    let tid = r.json()["ticket"]["id"].as_u64().unwrap();
    assert_eq!(r.json()["ticket"]["via"]["source"]["rel"], "voicemail");
    let r = http(addr, "POST", "/api/v2/channels/voice/tickets.json", Some(json!({"display_to_agent": 12, "ticket": {"via_id": 45, "requester_id": caller, "comment": {"body": "x"}}})), None).await;
    assert_eq!(r.status, 422, "invalid display_to_agent");
    let r = http(
        addr,
        "POST",
        "/api/v2/channels/voice/tickets.json",
        Some(json!({"ticket": {"via_id": 44, "requester_id": caller}})),
        None,
    )
    .await;
    assert_eq!(r.status, 422, "voicemail without voice_comment");

    let r = http(
        addr,
        "POST",
        &format!("/api/v2/channels/voice/agents/{agent}/tickets/{tid}/display.json"),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let r = http(
        addr,
        "POST",
        &format!("/api/v2/channels/voice/agents/{agent}/users/1/display.json"),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let d = http(addr, "GET", "/_sandbox/displays", None, None)
        .await
        .json();
    assert_eq!(
        d["displays"].as_array().unwrap().len(),
        2,
        "voice ticket display + display endpoint"
    );

    let call = json!({"call": {"app_id": 1, "from_line": "+15550199001", "to_line": "+15557654321", "call_started_at": "2024-05-01T10:00:00Z", "direction": "outbound"},
        "comment": {"title": "Outbound call"}});
    let r = http(addr, "POST", "/api/v2/calls", Some(call), None).await;
    assert_eq!(r.status, 201);
    let c = r.json()["call"].clone();
    has_keys(&c, &["id", "ticket_id", "created_at", "direction"]);
    let cid = c["id"].as_u64().unwrap();
    let r = http(
        addr,
        "POST",
        &format!("/api/v2/calls/{cid}/comments"),
        Some(json!({"title": "Call ended", "call_fields": ["direction"]})),
        None,
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["type"], "TpeVoiceComment");
    let r = http(
        addr,
        "POST",
        "/api/v2/calls",
        Some(json!({"call": {"app_id": 1}})),
        None,
    )
    .await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn rate_limit_429_with_retry_after_and_faults() {
    let addr = start_with("default", 3, None).await;
    for remaining in ["2", "1", "0"] {
        let r = http(addr, "GET", "/api/v2/ticket_fields.json", None, None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("X-Rate-Limit-Remaining"), Some(remaining));
    }
    let r = http(addr, "GET", "/api/v2/ticket_fields.json", None, None).await;
    assert_eq!(r.status, 429);
    let wait: u64 = r
        .header("Retry-After")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    assert_eq!(r.header("X-Rate-Limit"), Some("3"));

    let r = http(
        addr,
        "PUT",
        "/_sandbox/settings",
        Some(json!({"rate_limit": 700})),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let fault =
        json!({"path_prefix": "/api/v2/users", "status": 503, "count": 1, "latency_ms": 50});
    http(addr, "POST", "/_sandbox/faults", Some(fault), None).await;
    let t0 = std::time::Instant::now();
    let r = http(
        addr,
        "GET",
        "/api/v2/users/search.json?query=anna",
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 503);
    assert!(t0.elapsed() >= Duration::from_millis(50));
    let r = http(
        addr,
        "GET",
        "/api/v2/users/search.json?query=anna",
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "count: 1 injects once");
    // A fault for one method leaves the others alone.
    let fault = json!({"path_prefix": "/api/v2/users/search", "method": "POST", "status": 503});
    http(addr, "POST", "/_sandbox/faults", Some(fault), None).await;
    let r = http(
        addr,
        "GET",
        "/api/v2/users/search.json?query=anna",
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "a POST fault leaves a GET alone");
    http(addr, "DELETE", "/_sandbox/faults", None, None).await;

    let log = http(addr, "GET", "/_sandbox/requests", None, None)
        .await
        .json();
    let statuses: Vec<u64> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [200, 200, 200, 429, 503, 200, 200],
        "every request logged in order with its status"
    );
    has_keys(
        &log["requests"][0],
        &[
            "seq",
            "method",
            "path",
            "body",
            "status",
            "source",
            "received_ms",
            "at_ms",
        ],
    );
    // The 503 waited its injected latency between arriving and being answered.
    let slow = &log["requests"][4];
    let waited = slow["at_ms"].as_i64().unwrap() - slow["received_ms"].as_i64().unwrap();
    assert!(
        waited >= 50,
        "received_ms is before the injected latency: waited {waited} ms"
    );

    // A latency alone with a count delays that many requests, then none.
    http(addr, "DELETE", "/_sandbox/requests", None, None).await;
    let fault = json!({"path_prefix": "/api/v2/users", "count": 1, "latency_ms": 400});
    http(addr, "POST", "/_sandbox/faults", Some(fault), None).await;
    for _ in 0..2 {
        let path = "/api/v2/users/search.json?query=anna";
        assert_eq!(http(addr, "GET", path, None, None).await.status, 200);
    }
    let log = http(addr, "GET", "/_sandbox/requests", None, None)
        .await
        .json();
    let waited: Vec<i64> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["at_ms"].as_i64().unwrap() - r["received_ms"].as_i64().unwrap())
        .collect();
    assert_eq!(waited.len(), 2);
    assert!(waited[0] >= 400, "the first delayed: {waited:?}");
    assert!(waited[1] < 400, "the second not: {waited:?}");
}

async fn sign_in(addr: SocketAddr, email: &str) -> String {
    let r = http(
        addr,
        "POST",
        "/platform/agent/session",
        Some(json!({"email": email, "password": fixtures::AGENT_PASSWORD})),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let j = r.json();
    has_keys(&j["agent"], &["id", "name", "email", "team"]);
    j["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn platform_sign_in_401_options_and_call_lifecycle() {
    let addr = start().await;
    let r = http(
        addr,
        "POST",
        "/platform/agent/session",
        Some(json!({"email": "ada@sandbox.test", "password": "wrong"})),
        None,
    )
    .await;
    assert_eq!(r.status, 401);
    for path in [
        "/platform/settings",
        "/platform/outbound/options",
        "/platform/crm/ops/x",
    ] {
        assert_eq!(
            http(addr, "GET", path, None, None).await.status,
            401,
            "{path}"
        );
        assert_eq!(
            http(addr, "GET", path, None, Some("forged")).await.status,
            401,
            "{path}"
        );
    }
    let r = http(
        addr,
        "POST",
        "/platform/agent/session",
        Some(json!({"email": "cleo@sandbox.test", "password": "sandbox"})),
        None,
    )
    .await;
    assert_eq!(
        r.json()["agent"]["team"]["ticket_id_entry"],
        json!({"enabled": true, "required": true})
    );
    let token = sign_in(addr, "ada@sandbox.test").await;
    let r = http(addr, "GET", "/platform/settings", None, Some(&token)).await;
    assert_eq!(r.status, 200);
    has_keys(&r.json(), &["operation", "developer"]);
    let r = http(
        addr,
        "GET",
        "/platform/outbound/options",
        None,
        Some(&token),
    )
    .await;
    let j = r.json();
    assert!(j["languages"].as_array().unwrap().len() >= 3);
    has_keys(
        &j["numbers"][0],
        &["number", "label", "queue_id", "lang", "default"],
    );

    http(
        addr,
        "PUT",
        "/_sandbox/settings",
        Some(json!({"auto_answer_ms": null})),
        None,
    )
    .await;
    let call = json!({"to": "+15550101100", "outbound_number": "+15550199001", "lang": "en-US", "ticket": "new", "entered_number": false});
    let r = http(addr, "POST", "/platform/calls", Some(call), Some(&token)).await;
    assert_eq!(r.status, 201);
    let id = r.json()["call"]["id"].as_u64().unwrap();
    assert_eq!(r.json()["call"]["status"], "ringing");
    let r = http(
        addr,
        "POST",
        "/_sandbox/events",
        Some(json!({"type": "answer", "call_id": id})),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let r = http(
        addr,
        "GET",
        &format!("/platform/calls/{id}"),
        None,
        Some(&token),
    )
    .await;
    assert_eq!(r.json()["call"]["status"], "connected");
    let r = http(
        addr,
        "POST",
        &format!("/platform/calls/{id}/hangup"),
        None,
        Some(&token),
    )
    .await;
    assert_eq!(r.json()["call"]["status"], "ended");
    assert_eq!(r.json()["call"]["ended_by"], "agent");
    let other = sign_in(addr, "ben@sandbox.test").await;
    let r = http(
        addr,
        "GET",
        &format!("/platform/calls/{id}"),
        None,
        Some(&other),
    )
    .await;
    assert_eq!(r.status, 404, "another agent's call");
}

#[tokio::test]
async fn agent_events_websocket_streams_the_call_lifecycle() {
    use futures_util::StreamExt;
    let addr = start().await;
    let token = sign_in(addr, "ada@sandbox.test").await;
    http(
        addr,
        "PUT",
        "/_sandbox/settings",
        Some(json!({"auto_answer_ms": 100})),
        None,
    )
    .await;
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    // The token is the first message, never part of the URL.
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/platform/agent/events"))
            .await
            .expect("ws");
    let auth = json!({"type": "auth", "token": token}).to_string();
    ws.send(Message::Text(auth.into())).await.expect("auth");
    let call = json!({"to": "+15550101100", "outbound_number": "+15550199001", "lang": "en-US", "ticket": "none", "entered_number": false});
    let id = http(addr, "POST", "/platform/calls", Some(call), Some(&token))
        .await
        .json()["call"]["id"]
        .as_u64()
        .unwrap();
    http(
        addr,
        "POST",
        "/_sandbox/events",
        Some(json!({"type": "hangup", "call_id": id, "after_s": 0.3})),
        None,
    )
    .await;
    let mut types = Vec::new();
    while types.last().map(String::as_str) != Some("call.ended") {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("event in time")
            .expect("open")
            .expect("ok");
        let v: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
        types.push(v["type"].as_str().unwrap().to_string());
        if v["type"] == "call.ended" {
            assert_eq!(v["call_id"], id);
            assert_eq!(v["ended_by"], "customer");
            has_keys(
                &v,
                &["durations", "customer_number", "direction", "recording_url"],
            );
        }
    }
    assert_eq!(
        types,
        [
            "session.ready",
            "call.ringing",
            "call.connected",
            "call.ended"
        ]
    );
    let (mut forged, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/platform/agent/events"))
            .await
            .expect("ws");
    let auth = json!({"type": "auth", "token": "forged"}).to_string();
    forged.send(Message::Text(auth.into())).await.expect("auth");
    let first = tokio::time::timeout(Duration::from_secs(5), forged.next())
        .await
        .expect("answer in time")
        .expect("message")
        .expect("ok");
    let v: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
    assert_eq!(v["error"], "unauthorized", "a forged token gets no events");
    let next = tokio::time::timeout(Duration::from_secs(5), forged.next())
        .await
        .expect("closed");
    assert!(
        matches!(next, None | Some(Ok(Message::Close(_))) | Some(Err(_))),
        "the socket closes: {next:?}"
    );
}

async fn wait_written(addr: SocketAddr, token: &str, keys: &[String]) {
    for _ in 0..200 {
        let mut all = true;
        for k in keys {
            let r = http(
                addr,
                "GET",
                &format!("/platform/crm/ops/{k}"),
                None,
                Some(token),
            )
            .await;
            if r.json()["state"] != "written" {
                all = false;
                break;
            }
        }
        if all {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("ops not written in time");
}

/// An outbound call placed by the agent of `token` on the existing `ticket`: the platform holds
/// that ticket as the call's, so the CRM queue takes operations on it under the call's keys.
async fn call_on(addr: SocketAddr, token: &str, ticket: u64) -> u64 {
    let call = json!({"to": "+15550101100", "outbound_number": "+15550199001", "lang": "en-US",
                      "ticket": "existing", "ticket_id": ticket, "entered_number": false});
    let r = http(addr, "POST", "/platform/calls", Some(call), Some(token)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["call"]["id"].as_u64().unwrap()
}

#[tokio::test]
async fn crm_queue_ignores_repeated_keys_and_survives_429s() {
    let addr = start().await;
    let token = sign_in(addr, "ada@sandbox.test").await;
    let s = state(addr).await;
    let open: Vec<u64> = s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "open")
        .map(|t| t["id"].as_u64().unwrap())
        .take(3)
        .collect();
    // Two 429 bursts on update_many, then it works.
    http(addr, "POST", "/_sandbox/faults", Some(json!({"path_prefix": "/api/v2/tickets/update_many", "status": 429, "retry_after": 1, "count": 2})), None).await;
    let mut keys = Vec::new();
    for t in &open {
        keys.push(format!("{}.ended.0", call_on(addr, &token, *t).await));
    }
    let ops: Vec<Value> = open.iter().zip(&keys).enumerate().map(|(i, (t, k))| json!({"key": k, "ticket_id": t, "kind": "add_comment", "body": format!("comment {i}")})).collect();
    let r = http(
        addr,
        "POST",
        "/platform/crm/ops",
        Some(json!({"ops": ops})),
        Some(&token),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["accepted"].as_array().unwrap().len(), 3);
    // The same keys again (a replay after a reload): accepted and ignored.
    let r = http(
        addr,
        "POST",
        "/platform/crm/ops",
        Some(json!({"ops": ops})),
        Some(&token),
    )
    .await;
    assert_eq!(r.status, 200);
    // A second write of the first call, on its ticket.
    let u0 = format!("{}.1", keys[0].trim_end_matches(".0"));
    let upd = json!({"ops": [{"key": u0, "ticket_id": open[0], "kind": "update_ticket", "body": {"status": "pending"}}]});
    let r = http(addr, "POST", "/platform/crm/ops", Some(upd), Some(&token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    keys.push(u0);
    wait_written(addr, &token, &keys).await;
    let r = http(
        addr,
        "POST",
        "/platform/crm/ops",
        Some(json!({"ops": ops})),
        Some(&token),
    )
    .await;
    assert_eq!(r.status, 200, "a key already written is still accepted");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let s = state(addr).await;
    for (i, t) in open.iter().enumerate() {
        let t = s["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == *t)
            .unwrap();
        let n = t["comments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["body"] == format!("comment {i}"))
            .count();
        assert_eq!(n, 1, "exactly one comment {i}: none lost, none doubled");
        assert!(t["comments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["body"] == format!("comment {i}"))
            .all(|c| c["public"] == false));
    }
    let t0 = s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == open[0])
        .unwrap();
    assert_eq!(t0["status"], "pending");
    let log = http(addr, "GET", "/_sandbox/requests", None, None)
        .await
        .json();
    let puts: Vec<u64> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"].as_str().unwrap().contains("update_many"))
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(&puts[..2], [429, 429]);
    assert!(puts[2..].iter().all(|s| *s == 200));
    assert!(log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["source"] == "platform"));

    let r = http(
        addr,
        "GET",
        "/platform/crm/ops/never-sent",
        None,
        Some(&token),
    )
    .await;
    assert_eq!(r.status, 404);
    let closed = s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "closed")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let c1 = format!("{}.ended.0", call_on(addr, &token, closed).await);
    let r = http(addr, "POST", "/platform/crm/ops", Some(json!({"ops": [{"key": c1, "ticket_id": closed, "kind": "add_comment", "body": "late"}]})), Some(&token)).await;
    assert_eq!(r.status, 200);
    for _ in 0..50 {
        let r = http(
            addr,
            "GET",
            &format!("/platform/crm/ops/{c1}"),
            None,
            Some(&token),
        )
        .await;
        if r.json()["state"] == "failed" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("an op on a closed ticket should end failed");
}

#[tokio::test]
async fn crm_queue_survives_a_restart() {
    let file = std::env::temp_dir().join(format!("sandbox-queue-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let mut f = fixtures::load("batching").unwrap();
    f.settings.developer.batch_frequency_s = 2;
    let open = f.tickets.iter().find(|t| t.status == "open").unwrap().id;
    {
        // A platform process that queued an op and stopped before its window ended.
        let mut q = sandbox::queue::Queue::open(Some(file.clone()), &f.settings).unwrap();
        let op = domain::batch::Op::comment("r1", open, "kept");
        q.enqueue(vec![op], sandbox::model::now_ms()).unwrap();
        assert_eq!(q.status("r1").unwrap().state, "queued");
    }
    let stored = std::fs::read_to_string(&file).expect("queue file");
    assert!(
        stored.contains("\"r1\""),
        "the op is on disk before it is written"
    );
    // The next process on the same store writes it, once.
    let addr = start_with("default", 700, Some(file.clone())).await;
    let token = sign_in(addr, "ada@sandbox.test").await;
    wait_written(addr, &token, &["r1".to_string()]).await;
    let s = state(addr).await;
    let t = s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == open)
        .unwrap()
        .clone();
    assert_eq!(
        t["comments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["body"] == "kept")
            .count(),
        1
    );
    let _ = std::fs::remove_file(&file);
}

#[tokio::test]
async fn app_index_loads_the_local_zaf_sdk_and_host_page_is_served() {
    let addr = start().await;
    let r = http(addr, "GET", "/app/", None, None).await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("/vendor/zaf_sdk.js"));
    assert!(!r.text.contains("static.zdassets.com"));
    let r = http(addr, "GET", "/", None, None).await;
    assert!(r.text.contains("/host.js"));
    let r = http(addr, "GET", "/app/../Cargo.toml", None, None).await;
    assert_ne!(r.status, 200);
    let r = http(
        addr,
        "POST",
        "/_sandbox/reset",
        Some(json!({"fixture": "empty"})),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let s = state(addr).await;
    assert!(s["tickets"].as_array().unwrap().is_empty());
    let r = http(
        addr,
        "POST",
        "/_sandbox/reset",
        Some(json!({"fixture": "nope"})),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
}

/// Users API "Update User": the fields sent change, the rest stays; an unknown user is 404. The
/// end-to-end tests give an agent an Italian locale this way.
#[tokio::test]
async fn users_update_changes_only_what_is_sent() {
    let addr = start().await;
    let user = user_with_phone(addr, "+15550109901").await;
    let id = user["id"].as_u64().unwrap();
    let r = http(
        addr,
        "PUT",
        &format!("/api/v2/users/{id}.json"),
        Some(json!({"user": {"locale": "it-IT"}})),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let updated = r.json()["user"].clone();
    has_keys(&updated, &USER_KEYS);
    assert_eq!(updated["locale"], "it-IT");
    assert_eq!(updated["name"], user["name"]);
    assert_eq!(updated["phone"], user["phone"]);
    let r = http(
        addr,
        "PUT",
        "/api/v2/users/1.json",
        Some(json!({"user": {"locale": "it-IT"}})),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
}

/// A request the world received before a reset, still waiting out an injected latency when the
/// reset comes, acts on nothing in the fresh world (whose ticket ids are the same): it is answered
/// 503. Tests reset the world between them, and a page of the test before may have a write under
/// way; it must not land in the next test's tickets.
#[tokio::test]
async fn a_write_waiting_out_a_latency_across_a_reset_lands_nowhere() {
    use sandbox::testkit::{state, ticket_in};
    let addr = start().await;
    let tid = state(addr).await["tickets"][0]["id"]
        .as_u64()
        .expect("a fixture ticket");
    let assignee = ticket_in(&state(addr).await, tid)["assignee_id"].clone();
    assert_ne!(
        assignee,
        json!(4300000001u64),
        "the write would change the assignee"
    );
    let fault = json!({"path_prefix": format!("/api/v2/tickets/{tid}"), "latency_ms": 400});
    http(addr, "POST", "/_sandbox/faults", Some(fault), None).await;
    let body = json!({"ticket": {"assignee_id": 4300000001u64, "comment": {"body": "from the world before", "public": false}}});
    let path = format!("/api/v2/tickets/{tid}.json");
    let write = tokio::spawn(async move { http(addr, "PUT", &path, Some(body), None).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let fixture = Some(json!({"fixture": "default"}));
    let reset = http(addr, "POST", "/_sandbox/reset", fixture, None).await;
    assert_eq!(reset.status, 200);
    assert_eq!(write.await.expect("the write answers").status, 503);
    let ticket = ticket_in(&state(addr).await, tid);
    let landed = ticket["comments"]
        .to_string()
        .contains("from the world before");
    assert!(!landed, "the write landed in the fresh world: {ticket}");
    assert_eq!(
        ticket["assignee_id"], assignee,
        "the assignee as the fixture has it"
    );
    // A request sent after the reset is the new world's, and acts.
    let now = json!({"ticket": {"comment": {"body": "now", "public": false}}});
    let path = format!("/api/v2/tickets/{tid}.json");
    assert_eq!(http(addr, "PUT", &path, Some(now), None).await.status, 200);
}
