//! The platform's in-call routes over HTTP (hold, DTMF, the agent's contact pick) and what the
//! platform does when an inbound call ends with no contact picked (TICKET-7, CONTACT-5).

use std::net::SocketAddr;
use std::time::Duration;

use sandbox::fixtures::matrix_number;
use serde_json::{json, Value};

use sandbox::testkit::{
    call_action, http_json as http, sign_in_agent as sign_in, start_quiet as start,
};

async fn event(addr: SocketAddr, body: Value) -> Value {
    let (status, v) = http(addr, "POST", "/_sandbox/events", Some(body), None).await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn state(addr: SocketAddr) -> Value {
    http(addr, "GET", "/_sandbox/state", None, None).await.1
}

/// An outbound call, still ringing.
async fn place_call(addr: SocketAddr, token: &str) -> u64 {
    let call = json!({"to": "+15550101100", "outbound_number": "+15550199001", "lang": "en-US",
                      "ticket": "none", "entered_number": false});
    let (status, v) = http(addr, "POST", "/platform/calls", Some(call), Some(token)).await;
    assert_eq!(status, 201, "{v}");
    v["call"]["id"].as_u64().unwrap()
}

/// An outbound call the customer has answered.
async fn connected_call(addr: SocketAddr, token: &str) -> u64 {
    let id = place_call(addr, token).await;
    event(addr, json!({"type": "answer", "call_id": id})).await;
    id
}

async fn show(addr: SocketAddr, token: &str, id: u64) -> Value {
    let (status, v) = http(
        addr,
        "GET",
        &format!("/platform/calls/{id}"),
        None,
        Some(token),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v["call"].clone()
}

/// The platform's requests to Zendesk, as `METHOD path status`.
async fn platform_requests(addr: SocketAddr) -> Vec<String> {
    sandbox::testkit::requests_from(addr, "platform").await
}

async fn clear_requests(addr: SocketAddr) {
    http(addr, "DELETE", "/_sandbox/requests", None, None).await;
}

/// The platform's contact search for `number` (E.164): end users, digits without the `+`.
fn search(number: &str) -> String {
    format!(
        "GET /api/v2/users/search.json?query=role:end-user%20phone:{} 200",
        &number[1..]
    )
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

/// Tickets in `after` that `before` did not have.
fn new_tickets(before: &Value, after: &Value) -> Vec<Value> {
    let old = before["tickets"].as_array().unwrap();
    after["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !old.iter().any(|o| o["id"] == t["id"]))
        .cloned()
        .collect()
}

/// The newest of the contacts with `number` (created last; the higher id on a tie).
fn newest_contact(s: &Value, number: &str) -> Value {
    let contacts = users_with_phone(s, number);
    assert!(contacts.len() >= 2, "a shared number: {contacts:?}");
    contacts
        .into_iter()
        .max_by_key(|u| {
            (
                u["created_at"].as_str().unwrap().to_string(),
                u["id"].as_u64(),
            )
        })
        .unwrap()
}

/// An inbound IVR call from `from`, offered to platform agent `agent_id`, which answers it.
async fn answered_inbound(addr: SocketAddr, token: &str, agent_id: &Value, from: &str) -> u64 {
    let r = event(
        addr,
        json!({"type": "inbound", "from": from, "agent_id": agent_id, "menu_path": "Billing"}),
    )
    .await;
    let id = r["call_id"].as_u64().unwrap();
    let (status, v) = call_action(addr, token, id, "answer", None).await;
    assert_eq!((status, &v["call"]["status"]), (200, &json!("connected")));
    id
}

#[tokio::test]
async fn hold_and_resume_count_the_time_on_hold_and_reach_the_event_stream() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let addr = start().await;
    let (token, _) = sign_in(addr, "ada@sandbox.test").await;
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/platform/agent/events"))
            .await
            .expect("ws");
    let auth = json!({"type": "auth", "token": token}).to_string();
    ws.send(Message::Text(auth.into())).await.expect("auth");
    let mut next_event = async || -> Value {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("event in time")
            .expect("open")
            .expect("ok");
        serde_json::from_str(msg.to_text().unwrap()).unwrap()
    };
    assert_eq!(next_event().await["type"], "session.ready");

    let id = place_call(addr, &token).await;
    let hold = Some(json!({"hold": true}));
    let resume = Some(json!({"hold": false}));
    let (status, v) = call_action(addr, &token, id, "hold", hold.clone()).await;
    assert_eq!(
        (status, v),
        (409, json!({"error": "the call is not connected"})),
        "a ringing call"
    );
    event(addr, json!({"type": "answer", "call_id": id})).await;
    for body in [None, Some(json!({})), Some(json!({"hold": "yes"}))] {
        let (status, v) = call_action(addr, &token, id, "hold", body.clone()).await;
        assert_eq!(
            (status, v),
            (422, json!({"error": "hold: true or false is required"})),
            "{body:?}"
        );
    }
    let (other, _) = sign_in(addr, "ben@sandbox.test").await;
    let (status, v) = call_action(addr, &other, id, "hold", hold.clone()).await;
    assert_eq!((status, v), (404, json!({"error": "no such call"})));
    let (status, _) = http(
        addr,
        "POST",
        &format!("/platform/calls/{id}/hold"),
        hold.clone(),
        None,
    )
    .await;
    assert_eq!(status, 401);

    let (status, v) = call_action(addr, &token, id, "hold", hold.clone()).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["call"]["status"], "on_hold");
    assert_eq!(v["call"]["durations"]["hold"], 0);
    let (status, v) = call_action(addr, &token, id, "hold", hold.clone()).await;
    assert_eq!((status, &v["call"]["status"]), (200, &json!("on_hold")));
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let ongoing = show(addr, &token, id).await["durations"]["hold"].clone();
    assert!(
        ongoing.as_u64().unwrap() >= 1,
        "an ongoing hold counts: {ongoing}"
    );
    let (status, v) = call_action(addr, &token, id, "hold", resume.clone()).await;
    assert_eq!((status, &v["call"]["status"]), (200, &json!("connected")));
    let held = v["call"]["durations"]["hold"].as_u64().unwrap();
    assert!(held >= 1, "{v}");
    let (status, v) = call_action(addr, &token, id, "hold", resume.clone()).await;
    assert_eq!((status, &v["call"]["status"]), (200, &json!("connected")));
    assert_eq!(v["call"]["durations"]["hold"], held);

    // Hanging up a held call ends its hold; the call's length includes the hold (OQ-22).
    call_action(addr, &token, id, "hold", hold.clone()).await;
    let (status, v) = call_action(addr, &token, id, "hangup", None).await;
    assert_eq!((status, &v["call"]["status"]), (200, &json!("ended")));
    let d = &v["call"]["durations"];
    assert!(d["hold"].as_u64().unwrap() >= held, "{d}");
    assert!(
        d["call"].as_u64().unwrap() >= d["hold"].as_u64().unwrap(),
        "{d}"
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(
        show(addr, &token, id).await["durations"],
        *d,
        "nothing counts after the end"
    );
    let (status, v) = call_action(addr, &token, id, "hold", resume).await;
    assert_eq!(
        (status, v),
        (409, json!({"error": "the call is not connected"})),
        "an ended call"
    );

    // Only the changes are events.
    let mut types = Vec::new();
    while types.last().map(String::as_str) != Some("call.ended") {
        let v = next_event().await;
        if v["type"] == "call.held" {
            assert_eq!(
                (&v["call_id"], &v["status"]),
                (&json!(id), &json!("on_hold"))
            );
            assert!(v["durations"]["hold"].is_u64(), "{v}");
        }
        types.push(v["type"].as_str().unwrap().to_string());
    }
    assert_eq!(
        types,
        [
            "call.ringing",
            "call.connected",
            "call.held",
            "call.resumed",
            "call.held",
            "call.ended"
        ]
    );
}

#[tokio::test]
async fn dtmf_digits_accumulate_on_a_connected_call_only() {
    let addr = start().await;
    let (token, _) = sign_in(addr, "ada@sandbox.test").await;
    let ringing = place_call(addr, &token).await;
    let (status, v) =
        call_action(addr, &token, ringing, "dtmf", Some(json!({"digits": "1"}))).await;
    assert_eq!(
        (status, v),
        (409, json!({"error": "the call is not connected"})),
        "a ringing call"
    );

    let id = connected_call(addr, &token).await;
    assert_eq!(show(addr, &token, id).await["dtmf"], "");
    let (status, v) = call_action(addr, &token, id, "dtmf", Some(json!({"digits": "12"}))).await;
    assert_eq!((status, &v["call"]["dtmf"]), (200, &json!("12")));
    let (status, v) = call_action(addr, &token, id, "dtmf", Some(json!({"digits": "#*9"}))).await;
    assert_eq!((status, &v["call"]["dtmf"]), (200, &json!("12#*9")));
    let longest = "0123456789*#".repeat(3)[..32].to_string();
    let (status, v) = call_action(addr, &token, id, "dtmf", Some(json!({"digits": longest}))).await;
    assert_eq!(status, 200, "32 digits");
    assert_eq!(v["call"]["dtmf"], format!("12#*9{longest}"));

    for body in [
        None,
        Some(json!({})),
        Some(json!({"digits": ""})),
        Some(json!({"digits": "12a"})),
        Some(json!({"digits": "+1"})),
        Some(json!({"digits": 12})),
        Some(json!({"digits": "1".repeat(33)})),
    ] {
        let (status, v) = call_action(addr, &token, id, "dtmf", body.clone()).await;
        assert_eq!(
            (status, v),
            (422, json!({"error": "digits: 1 to 32 of 0-9 * #"})),
            "{body:?}"
        );
    }
    let (other, _) = sign_in(addr, "ben@sandbox.test").await;
    let (status, _) = call_action(addr, &other, id, "dtmf", Some(json!({"digits": "1"}))).await;
    assert_eq!(status, 404);

    call_action(addr, &token, id, "hold", Some(json!({"hold": true}))).await;
    let (status, v) = call_action(addr, &token, id, "dtmf", Some(json!({"digits": "1"}))).await;
    assert_eq!(
        (status, v),
        (409, json!({"error": "the call is not connected"})),
        "on hold"
    );
    call_action(addr, &token, id, "hangup", None).await;
    let (status, _) = call_action(addr, &token, id, "dtmf", Some(json!({"digits": "1"}))).await;
    assert_eq!(status, 409, "ended");
    assert_eq!(
        show(addr, &token, id).await["dtmf"],
        format!("12#*9{longest}")
    );
}

#[tokio::test]
async fn the_agent_picks_a_contact_on_inbound_calls_only() {
    let addr = start().await;
    let (token, agent) = sign_in(addr, "ada@sandbox.test").await;
    let outbound = connected_call(addr, &token).await;
    let (status, v) = call_action(
        addr,
        &token,
        outbound,
        "contact",
        Some(json!({"contact_id": 1})),
    )
    .await;
    assert_eq!((status, v), (409, json!({"error": "not an inbound call"})));

    let number = matrix_number(2, 0);
    let contact = newest_contact(&state(addr).await, &number);
    let r = event(
        addr,
        json!({"type": "inbound", "from": number, "agent_id": agent["id"]}),
    )
    .await;
    let id = r["call_id"].as_u64().unwrap();
    assert_eq!(
        show(addr, &token, id).await["picked_contact_id"],
        Value::Null
    );
    for body in [
        None,
        Some(json!({})),
        Some(json!({"contact_id": "x"})),
        Some(json!({"contact_id": -1})),
    ] {
        let (status, v) = call_action(addr, &token, id, "contact", body.clone()).await;
        assert_eq!(status, 422, "{body:?}");
        assert!(v["error"].as_str().unwrap().contains("contact_id"), "{v}");
    }
    let (other, _) = sign_in(addr, "ben@sandbox.test").await;
    let pick = Some(json!({"contact_id": contact["id"]}));
    let (status, _) = call_action(addr, &other, id, "contact", pick.clone()).await;
    assert_eq!(status, 404);
    let (status, v) = call_action(addr, &token, id, "contact", pick).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["call"]["picked_contact_id"], contact["id"]);
    assert_eq!(v["call"]["status"], "ringing");
    assert_eq!(
        show(addr, &token, id).await["picked_contact_id"],
        contact["id"]
    );
    // Once the call has ended, its ticket is settled (TICKET-7): a pick comes too late.
    let (status, _) = call_action(addr, &token, id, "hangup", None).await;
    assert_eq!(status, 200);
    let pick = Some(json!({"contact_id": contact["id"]}));
    let (status, v) = call_action(addr, &token, id, "contact", pick).await;
    assert_eq!(status, 409, "{v}");
    assert_eq!(v["error"], "the call has ended");
}

// TICKET-7, CONTACT-5: an answered IVR call from a number two contacts share, with no contact
// picked, gets a ticket on the most recently created of them when it ends, whoever hangs up.
#[tokio::test]
async fn an_unpicked_shared_number_call_gets_a_ticket_on_the_newest_contact() {
    let addr = start().await;
    // Not the default CRM user, so that the ticket is the agent's inbound call ticket.
    let (token, agent) = sign_in(addr, "ben@sandbox.test").await;
    let number = matrix_number(2, 0);
    let before = state(addr).await;
    let newest = newest_contact(&before, &number);

    let id = answered_inbound(addr, &token, &agent["id"], &number).await;
    assert_eq!(show(addr, &token, id).await["contact_id"], Value::Null);
    clear_requests(addr).await;
    let (status, v) = call_action(addr, &token, id, "hangup", None).await;
    assert_eq!(status, 200, "{v}");
    let s = state(addr).await;
    let new = new_tickets(&before, &s);
    assert_eq!(new.len(), 1, "{new:?}");
    let t = &new[0];
    assert_eq!(t["requester_id"], newest["id"]);
    assert_eq!(t["assignee_id"], agent["zendesk_user_id"]);
    assert_eq!(t["via"]["source"]["rel"], "inbound");
    assert!(
        !t["subject"].as_str().unwrap().starts_with("Abandoned"),
        "the agent's call, not an abandoned one: {t}"
    );
    assert_eq!(s["users"], before["users"], "no contact is created");
    // The call says where its ticket went, at once.
    assert_eq!(v["call"]["ticket_id"], t["id"]);
    assert_eq!(v["call"]["contact_id"], newest["id"]);
    assert_eq!(
        platform_requests(addr).await,
        [
            search(&number),
            "POST /api/v2/channels/voice/tickets.json 201".to_string(),
            format!(
                "POST /api/v2/channels/voice/agents/{}/tickets/{}/display.json 200",
                agent["zendesk_user_id"], t["id"]
            ),
        ]
    );

    // The customer hanging up does the same.
    let id = answered_inbound(addr, &token, &agent["id"], &number).await;
    let r = event(addr, json!({"type": "hangup", "call_id": id})).await;
    let created = r["rules"]["tickets_created"].as_array().unwrap().clone();
    assert_eq!(created.len(), 1, "{r}");
    let s2 = state(addr).await;
    let new = new_tickets(&s, &s2);
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["id"], created[0]);
    assert_eq!(new[0]["requester_id"], newest["id"]);
}

// TICKET-6: with a contact picked the adapter writes the ticket; the platform writes nothing at
// the end. Nor does it for a number one contact has, and it does not even read.
#[tokio::test]
async fn a_picked_contact_or_a_single_contact_leaves_the_end_of_the_call_alone() {
    let addr = start().await;
    let (token, agent) = sign_in(addr, "ben@sandbox.test").await;
    let shared = matrix_number(2, 1);
    let before = state(addr).await;
    let picked = users_with_phone(&before, &shared).remove(0);

    let id = answered_inbound(addr, &token, &agent["id"], &shared).await;
    let (status, _) = call_action(
        addr,
        &token,
        id,
        "contact",
        Some(json!({"contact_id": picked["id"]})),
    )
    .await;
    assert_eq!(status, 200);
    clear_requests(addr).await;
    let (status, v) = call_action(addr, &token, id, "hangup", None).await;
    assert_eq!((status, &v["call"]["status"]), (200, &json!("ended")));
    assert_eq!(v["call"]["ticket_id"], Value::Null);
    assert_eq!(v["call"]["picked_contact_id"], picked["id"]);
    assert_eq!(platform_requests(addr).await, Vec::<String>::new());

    let single = matrix_number(1, 0);
    let id = answered_inbound(addr, &token, &agent["id"], &single).await;
    clear_requests(addr).await;
    let r = event(addr, json!({"type": "hangup", "call_id": id})).await;
    assert_eq!(r, json!({"ok": true}), "no rules ran");
    call_action(addr, &token, id, "hangup", None).await;

    assert_eq!(platform_requests(addr).await, Vec::<String>::new());
    let s = state(addr).await;
    assert_eq!(new_tickets(&before, &s), Vec::<Value>::new());
    assert_eq!(s["users"], before["users"]);
}

// `GET /platform/calls`: the agent's own recent calls, newest first, live and ended, with what a
// reloaded adapter needs to resume them (status, number, ticket choice, durations, recording).
#[tokio::test]
async fn recent_calls_list_the_agent_s_own_calls_newest_first() {
    let addr = start().await;
    let (ben, _) = sign_in(addr, "ben@sandbox.test").await;
    let (cleo, _) = sign_in(addr, "cleo@sandbox.test").await;
    let first = connected_call(addr, &ben).await;
    let (status, _) = call_action(addr, &ben, first, "hangup", None).await;
    assert_eq!(status, 200);
    let second = connected_call(addr, &ben).await;
    let other = place_call(addr, &cleo).await;

    let (status, v) = http(addr, "GET", "/platform/calls", None, Some(&ben)).await;
    assert_eq!(status, 200, "{v}");
    let calls = v["calls"].as_array().unwrap();
    let ids: Vec<u64> = calls.iter().map(|c| c["id"].as_u64().unwrap()).collect();
    assert_eq!(
        ids,
        [second, first],
        "own calls only, newest first (not {other})"
    );
    assert_eq!(calls[0]["status"], "connected");
    assert_eq!(calls[1]["status"], "ended");
    assert_eq!(calls[1]["customer_number"], "+15550101100");
    assert_eq!(calls[1]["ticket"], "none");
    assert_eq!(
        calls[1]["recording_url"],
        json!(null),
        "OUT-10: no recording of a call placed with \"Do not create a ticket\""
    );
    assert!(calls[1]["durations"]["call"].is_u64());
    let (status, _) = http(addr, "GET", "/platform/calls", None, None).await;
    assert_eq!(status, 401);
}
