//! The platform's own rules, end to end: the customer's side is simulated through
//! `POST /_sandbox/events`, the platform runs `domain::rules::decide` and writes to the emulated
//! Zendesk with its API token; each test checks that Zendesk then holds exactly the users,
//! tickets and comments the rules say, after exactly the expected `platform` requests.

use std::net::SocketAddr;

use sandbox::fixtures::matrix_number;
use serde_json::{json, Value};

/// One request; the status and the JSON answer.
async fn http(addr: SocketAddr, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = sandbox::testkit::http(addr, method, path, body, None).await;
    (r.status, r.json())
}

async fn start() -> SocketAddr {
    sandbox::testkit::start("default").await
}

async fn event(addr: SocketAddr, body: Value) -> Value {
    let (status, v) = http(addr, "POST", "/_sandbox/events", Some(body)).await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn state(addr: SocketAddr) -> Value {
    http(addr, "GET", "/_sandbox/state", None).await.1
}

/// The platform's requests to Zendesk, as `METHOD path status`.
async fn platform_requests(addr: SocketAddr) -> Vec<String> {
    sandbox::testkit::requests_from(addr, "platform").await
}

fn users_with_phone(s: &Value, phone: &str) -> Vec<Value> {
    s["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["phone"] == phone)
        .cloned()
        .collect()
}

fn tickets_of(s: &Value, requester: &Value) -> Vec<Value> {
    s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| &t["requester_id"] == requester)
        .cloned()
        .collect()
}

fn count(s: &Value, key: &str) -> usize {
    s[key].as_array().unwrap().len()
}

fn default_crm_user(s: &Value) -> Value {
    s["settings"]["developer"]["default_crm_user_id"].clone()
}

/// The platform's contact search for `number` (E.164): end users, digits without the `+`.
fn search(number: &str) -> String {
    format!(
        "GET /api/v2/users/search.json?query=role:end-user%20phone:{} 200",
        &number[1..]
    )
}

// TICKET-9, OQ-26, CONTACT-1, CONTACT-8, TICKET-13: an abandoned call from a number no contact
// has creates the contact ("Caller +1…", E.164) and a ticket owned by the default CRM user,
// via 45, with the standard data as its one internal comment.
#[tokio::test]
async fn abandoned_call_from_a_new_number_creates_the_contact_and_a_ticket() {
    let addr = start().await;
    let before = state(addr).await;
    let number = matrix_number(0, 0);
    let r = event(
        addr,
        json!({"type": "abandoned", "from": number, "menu": "Sales > Renewals"}),
    )
    .await;
    assert_eq!(r["rules"]["error"], Value::Null, "{r}");
    let s = state(addr).await;
    assert_eq!(count(&s, "users"), count(&before, "users") + 1);
    assert_eq!(count(&s, "tickets"), count(&before, "tickets") + 1);
    let users = users_with_phone(&s, &number);
    assert_eq!(users.len(), 1);
    let u = &users[0];
    assert_eq!(u["name"], format!("Caller {number}"));
    assert_eq!(u["role"], "end-user");
    let tickets = tickets_of(&s, &u["id"]);
    assert_eq!(tickets.len(), 1);
    let t = &tickets[0];
    assert_eq!(t["assignee_id"], default_crm_user(&s));
    assert_eq!(t["status"], "open");
    assert_eq!(t["via"]["channel"], "voice");
    assert!(t["subject"].as_str().unwrap().contains(&number), "{t}");
    assert!(t["tags"].as_array().unwrap().contains(&json!("ccaip_call")));
    let comments = t["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["public"], false);
    assert!(comments[0]["body"]
        .as_str()
        .unwrap()
        .contains("Sales > Renewals"));
    assert_eq!(
        platform_requests(addr).await,
        [
            search(&number),
            "POST /api/v2/users.json 201".to_string(),
            "POST /api/v2/channels/voice/tickets.json 201".to_string(),
        ]
    );
    // The call record says whose call it was and which ticket it made.
    let call = s["platform_calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == r["call_id"])
        .cloned()
        .unwrap();
    assert_eq!(call["ended_by"], "abandoned");
    assert_eq!(call["contact_id"], u["id"]);
    assert_eq!(call["ticket_id"], t["id"]);
}

// SET-14: with abandoned-call tickets off, nothing is read or written.
#[tokio::test]
async fn abandoned_call_tickets_can_be_switched_off() {
    let addr = start().await;
    let (status, _) = http(
        addr,
        "PUT",
        "/_sandbox/settings",
        Some(json!({"operation": {"abandoned_call_ticket": false}})),
    )
    .await;
    assert_eq!(status, 200);
    let before = state(addr).await;
    let r = event(
        addr,
        json!({"type": "abandoned", "from": matrix_number(0, 0)}),
    )
    .await;
    assert_eq!(r["rules"]["actions"], json!([]));
    let s = state(addr).await;
    assert_eq!(count(&s, "users"), count(&before, "users"));
    assert_eq!(count(&s, "tickets"), count(&before, "tickets"));
    assert!(platform_requests(addr).await.is_empty());
}

// TICKET-9, CONTACT-5: several contacts have the number: the ticket goes to the most recently
// created one, and no contact is created.
#[tokio::test]
async fn abandoned_call_from_a_shared_number_goes_to_the_newest_contact() {
    let addr = start().await;
    let number = matrix_number(2, 0);
    let before = state(addr).await;
    let contacts = users_with_phone(&before, &number);
    assert_eq!(contacts.len(), 2);
    let newest = contacts
        .iter()
        .max_by_key(|u| {
            (
                u["created_at"].as_str().unwrap().to_string(),
                u["id"].as_u64(),
            )
        })
        .unwrap();
    event(addr, json!({"type": "abandoned", "from": number})).await;
    let s = state(addr).await;
    assert_eq!(count(&s, "users"), count(&before, "users"));
    assert_eq!(count(&s, "tickets"), count(&before, "tickets") + 1);
    let new: Vec<Value> = s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !before["tickets"].as_array().unwrap().contains(t))
        .cloned()
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["requester_id"], newest["id"]);
    assert_eq!(
        platform_requests(addr).await,
        [
            search(&number),
            "POST /api/v2/channels/voice/tickets.json 201".to_string()
        ]
    );
}

// TICKET-10, TICKET-13: a voicemail makes a new voicemail ticket (via 44, the recording as a voice
// comment) even though the caller has an open ticket, which is left as it was.
#[tokio::test]
async fn voicemail_makes_a_new_ticket_even_with_an_open_one() {
    let addr = start().await;
    let number = matrix_number(1, 1);
    let before = state(addr).await;
    let contact = users_with_phone(&before, &number).remove(0);
    let open_before = tickets_of(&before, &contact["id"]);
    assert!(open_before.iter().any(|t| t["status"] != "solved"));
    let r = event(
        addr,
        json!({"type": "voicemail", "from": number, "recording_url": "https://pbx.example/r/7.mp3",
               "duration_s": 42, "transcript": "Please call me back", "menu": "Support"}),
    )
    .await;
    assert_eq!(r["ok"], true, "{r}");
    let s = state(addr).await;
    assert_eq!(count(&s, "users"), count(&before, "users"));
    let after = tickets_of(&s, &contact["id"]);
    assert_eq!(after.len(), open_before.len() + 1);
    for t in &open_before {
        let now = after.iter().find(|x| x["id"] == t["id"]).unwrap();
        assert_eq!(
            now["comments"], t["comments"],
            "the open ticket is untouched"
        );
        assert_eq!(now["status"], t["status"]);
    }
    let t = after
        .iter()
        .find(|t| !open_before.iter().any(|o| o["id"] == t["id"]))
        .unwrap();
    assert_eq!(t["via"]["source"]["rel"], "voicemail", "{t}");
    assert_eq!(t["assignee_id"], default_crm_user(&s));
    assert!(t["subject"].as_str().unwrap().starts_with("Voicemail"));
    let comments = t["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert_eq!(comments[0]["type"], "Comment");
    assert_eq!(comments[0]["public"], false);
    assert_eq!(comments[1]["type"], "VoiceComment");
    assert_eq!(
        comments[1]["data"]["recording_url"],
        "https://pbx.example/r/7.mp3"
    );
    assert_eq!(comments[1]["data"]["call_duration"], 42);
    assert_eq!(
        comments[1]["data"]["transcription_text"],
        "Please call me back"
    );
    assert_eq!(
        platform_requests(addr).await,
        [
            search(&number),
            "POST /api/v2/channels/voice/tickets.json 201".to_string()
        ]
    );
}

// TICKET-10, CONTACT-1: a voicemail from an unknown number creates the contact too; a number
// stored as a second identity finds its contact (the identities are read).
#[tokio::test]
async fn voicemail_from_new_and_identity_numbers() {
    let addr = start().await;
    let before = state(addr).await;
    let number = matrix_number(0, 1);
    event(addr, json!({"type": "voicemail", "from": number})).await;
    let s = state(addr).await;
    let users = users_with_phone(&s, &number);
    assert_eq!(users.len(), 1);
    assert_eq!(tickets_of(&s, &users[0]["id"]).len(), 1);
    assert_eq!(count(&s, "users"), count(&before, "users") + 1);

    let olga = users_with_phone(&before, "+15550109901").remove(0);
    let olga_tickets = tickets_of(&before, &olga["id"]).len();
    http(addr, "DELETE", "/_sandbox/requests", None).await;
    event(addr, json!({"type": "voicemail", "from": "+15550109902"})).await;
    let s2 = state(addr).await;
    assert_eq!(count(&s2, "users"), count(&s, "users"), "no new contact");
    assert_eq!(tickets_of(&s2, &olga["id"]).len(), olga_tickets + 1);
    assert_eq!(
        platform_requests(addr).await,
        [
            search("+15550109902"),
            format!("GET /api/v2/users/{}/identities.json 200", olga["id"]),
            "POST /api/v2/channels/voice/tickets.json 201".to_string()
        ]
    );
}

// CONTACT-1, CONTACT-8: an IVR call from a number no contact has gets a contact before it is
// offered (no ticket: that is the agent's adapter's, on assignment); a known caller's call
// carries its contact, and nothing is written.
#[tokio::test]
async fn a_new_ivr_caller_gets_a_contact_before_assignment() {
    let addr = start().await;
    let before = state(addr).await;
    let number = matrix_number(0, 2);
    let r = event(
        addr,
        json!({"type": "inbound", "from": number, "menu_path": "Billing"}),
    )
    .await;
    let s = state(addr).await;
    let users = users_with_phone(&s, &number);
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["name"], format!("Caller {number}"));
    assert_eq!(count(&s, "tickets"), count(&before, "tickets"));
    let call = s["platform_calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == r["call_id"])
        .cloned()
        .unwrap();
    assert_eq!(call["status"], "ringing");
    assert_eq!(call["contact_id"], users[0]["id"]);
    assert_eq!(
        platform_requests(addr).await,
        [search(&number), "POST /api/v2/users.json 201".to_string()]
    );

    http(addr, "DELETE", "/_sandbox/requests", None).await;
    let known = matrix_number(1, 0);
    let contact = users_with_phone(&s, &known).remove(0);
    let r = event(addr, json!({"type": "inbound", "from": known})).await;
    let s2 = state(addr).await;
    assert_eq!(count(&s2, "users"), count(&s, "users"));
    assert_eq!(count(&s2, "tickets"), count(&s, "tickets"));
    assert_eq!(r["rules"]["contact_id"], contact["id"]);
    assert_eq!(platform_requests(addr).await, [search(&known)]);

    // TICKET-6: several contacts: the agent picks; the platform writes nothing.
    http(addr, "DELETE", "/_sandbox/requests", None).await;
    let shared = matrix_number(2, 1);
    let r = event(addr, json!({"type": "inbound", "from": shared})).await;
    assert_eq!(r["rules"]["contact_id"], Value::Null);
    assert_eq!(count(&state(addr).await, "users"), count(&s, "users"));
    assert_eq!(platform_requests(addr).await, [search(&shared)]);
}

// TICKET-9: an inbound call the customer hangs up while it is still ringing is abandoned.
#[tokio::test]
async fn hanging_up_a_ringing_inbound_call_is_an_abandoned_call() {
    let addr = start().await;
    let number = matrix_number(1, 0);
    let before = state(addr).await;
    let contact = users_with_phone(&before, &number).remove(0);
    let r = event(
        addr,
        json!({"type": "inbound", "from": number, "menu_path": "Sales"}),
    )
    .await;
    let id = r["call_id"].as_u64().unwrap();
    let r = event(addr, json!({"type": "hangup", "call_id": id})).await;
    assert_eq!(r["rules"]["tickets_created"].as_array().unwrap().len(), 1);
    let s = state(addr).await;
    let tickets = tickets_of(&s, &contact["id"]);
    assert_eq!(tickets.len(), tickets_of(&before, &contact["id"]).len() + 1);
    let t = tickets
        .iter()
        .find(|t| t["id"] == r["rules"]["tickets_created"][0])
        .unwrap();
    assert!(
        t["subject"].as_str().unwrap().starts_with("Abandoned"),
        "{t}"
    );
    assert!(t["tags"]
        .as_array()
        .unwrap()
        .contains(&json!("ccaip_menu_sales")));
}

// Faults: the platform's writes go through the account's budget and faults: a 503 and a 429
// are retried (after Retry-After), and the call still ends with exactly one ticket.
#[tokio::test]
async fn the_platforms_writes_retry_through_faults() {
    let addr = start().await;
    let (status, _) = http(
        addr,
        "POST",
        "/_sandbox/faults",
        Some(json!([
            {"path_prefix": "/api/v2/channels/voice/tickets", "status": 503, "count": 1},
            {"path_prefix": "/api/v2/users.json", "status": 429, "retry_after": 1, "count": 1}
        ])),
    )
    .await;
    assert_eq!(status, 200);
    let before = state(addr).await;
    let number = matrix_number(0, 0);
    let r = event(addr, json!({"type": "abandoned", "from": number})).await;
    assert_eq!(r["rules"]["error"], Value::Null, "{r}");
    assert_eq!(r["rules"]["requests"], 5);
    let s = state(addr).await;
    assert_eq!(count(&s, "users"), count(&before, "users") + 1);
    assert_eq!(count(&s, "tickets"), count(&before, "tickets") + 1);
    assert_eq!(
        platform_requests(addr).await,
        [
            search(&number),
            "POST /api/v2/users.json 429".to_string(),
            "POST /api/v2/users.json 201".to_string(),
            "POST /api/v2/channels/voice/tickets.json 503".to_string(),
            "POST /api/v2/channels/voice/tickets.json 201".to_string(),
        ]
    );
}
