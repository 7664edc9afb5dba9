//! Who may write through the platform's CRM queue (`POST /platform/crm/ops`): the queue writes
//! with the account's API token, so it takes operations only for tickets of the requesting
//! agent's own calls (`sandbox::queue::permits`), and refuses a batch whole (403, the refused
//! keys named, nothing queued) when any of its operations is not.

use std::net::SocketAddr;
use std::time::Duration;

use sandbox::fixtures::matrix_number;
use sandbox::testkit::{
    api_token_auth, http, http_with_headers, requests_from, sign_in_agent as sign_in,
    ticket_in as ticket,
};
use serde_json::{json, Value};

/// A number no contact of the fixture has.
const UNKNOWN_NUMBER: &str = "+15550108888";

async fn start() -> SocketAddr {
    let addr = sandbox::testkit::start("default").await;
    // The customer answers only when told; nothing else of the calls matters here.
    let r = http(
        addr,
        "PUT",
        "/_sandbox/settings",
        Some(json!({"auto_answer_ms": null})),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    addr
}

async fn state(addr: SocketAddr) -> Value {
    sandbox::testkit::state(addr).await
}

/// An outbound call the agent of `token` places to `to`; `ticket` is the dial screen's choice
/// (`{"ticket": "existing", "ticket_id": N}`, `{"ticket": "none"}`, …).
async fn place_call(addr: SocketAddr, token: &str, to: &str, ticket: Value) -> u64 {
    let mut call = json!({"to": to, "outbound_number": "+15550199001", "lang": "en-US",
                          "entered_number": false});
    for (k, v) in ticket.as_object().unwrap() {
        call[k] = v.clone();
    }
    let r = http(addr, "POST", "/platform/calls", Some(call), Some(token)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["call"]["id"].as_u64().unwrap()
}

/// An inbound IVR call from `from`, offered to platform agent `agent_id`.
async fn inbound_call(addr: SocketAddr, agent_id: &Value, from: &str) -> u64 {
    let r = http(
        addr,
        "POST",
        "/_sandbox/events",
        Some(json!({"type": "inbound", "from": from, "agent_id": agent_id})),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["call_id"].as_u64().unwrap()
}

/// An Add Comment operation.
fn comment(key: &str, ticket: u64, text: &str) -> Value {
    json!({"key": key, "ticket_id": ticket, "kind": "add_comment", "body": text})
}

/// `POST /platform/crm/ops` with `ops`: the status and the answer.
async fn queue(addr: SocketAddr, token: &str, ops: Vec<Value>) -> (u16, Value) {
    let r = http(
        addr,
        "POST",
        "/platform/crm/ops",
        Some(json!({ "ops": ops })),
        Some(token),
    )
    .await;
    (r.status, r.json())
}

/// The state of `key` in the queue (`None`: the queue does not know it).
async fn key_state(addr: SocketAddr, token: &str, key: &str) -> Option<String> {
    let r = http(
        addr,
        "GET",
        &format!("/platform/crm/ops/{key}"),
        None,
        Some(token),
    )
    .await;
    match r.status {
        404 => None,
        200 => Some(r.json()["state"].as_str().unwrap().to_string()),
        other => panic!("GET /platform/crm/ops/{key}: {other} {}", r.text),
    }
}

/// Closes the batch window and waits until `keys` are written.
async fn written(addr: SocketAddr, token: &str, keys: &[&str]) {
    for _ in 0..100 {
        http(addr, "POST", "/_sandbox/queue/flush", None, None).await;
        let mut all = true;
        for k in keys {
            if key_state(addr, token, k).await.as_deref() != Some("written") {
                all = false;
            }
        }
        if all {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{keys:?} not written in time");
}

/// Closes the batch window and gives the queue time to write whatever it holds.
async fn drain(addr: SocketAddr) {
    for _ in 0..10 {
        http(addr, "POST", "/_sandbox/queue/flush", None, None).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The bodies of the ticket's comments.
fn comments(s: &Value, id: u64) -> Vec<String> {
    ticket(s, id)["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The open tickets the contact with `number` requested.
fn open_tickets_of(s: &Value, number: &str) -> Vec<u64> {
    let users: Vec<&Value> = s["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["phone"] == number)
        .collect();
    s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| users.iter().any(|u| u["id"] == t["requester_id"]))
        .filter(|t| t["status"] == "open")
        .map(|t| t["id"].as_u64().unwrap())
        .collect()
}

/// A ticket created through the Zendesk API as the agent user with `email` (as the adapter
/// creates a call's ticket, with the agent's own session), requested by `requester`.
async fn ticket_created_by(addr: SocketAddr, email: &str, requester: u64) -> u64 {
    let auth = api_token_auth(email);
    let r = http_with_headers(
        addr,
        "POST",
        "/api/v2/tickets.json",
        Some(
            json!({"ticket": {"subject": "Outbound call", "requester_id": requester,
            "comment": {"body": "Call details", "public": false}}}),
        ),
        &[("Authorization", auth.as_str())],
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["ticket"]["id"].as_u64().unwrap()
}

// Agent A cannot write through the queue to the ticket of agent B's call: not under B's call's
// key, nor under a key of A's own call. The batch is refused whole, naming the refused keys; a
// good operation sent with it is not queued either, and nothing reaches Zendesk.
#[tokio::test]
async fn ops_on_another_agent_s_call_ticket_are_refused_and_nothing_is_written() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, "ada@sandbox.test").await;
    let (ben, _) = sign_in(addr, "ben@sandbox.test").await;
    let s = state(addr).await;
    // Ben's call, logged on his customer's open ticket.
    let bens_number = matrix_number(1, 1);
    let bens_ticket = open_tickets_of(&s, &bens_number)[0];
    let bens_call = place_call(
        addr,
        &ben,
        &bens_number,
        json!({"ticket": "existing", "ticket_id": bens_ticket}),
    )
    .await;
    // Ada's own call, to another customer, whose open ticket she may write.
    let adas_number = matrix_number(1, 2);
    let adas_ticket = open_tickets_of(&s, &adas_number)[0];
    let adas_call = place_call(addr, &ada, &adas_number, json!({"ticket": "none"})).await;
    http(addr, "DELETE", "/_sandbox/requests", None, None).await;

    let under_bens_key = format!("{bens_call}.ended.0");
    let (status, v) = queue(
        addr,
        &ada,
        vec![comment(&under_bens_key, bens_ticket, "written by Ada")],
    )
    .await;
    assert_eq!(status, 403, "another agent's call: {v}");
    assert_eq!(v["refused"], json!([under_bens_key]));
    assert_eq!(v["error"], "not a ticket of the agent's calls");

    let good = format!("{adas_call}.ended.0");
    let bad = format!("{adas_call}.ended.1");
    let (status, v) = queue(
        addr,
        &ada,
        vec![
            comment(&good, adas_ticket, "Ada's own call"),
            comment(&bad, bens_ticket, "written by Ada"),
        ],
    )
    .await;
    assert_eq!(status, 403, "a ticket of none of Ada's calls: {v}");
    assert_eq!(v["refused"], json!([bad]), "only the refused key is named");

    drain(addr).await;
    for key in [&under_bens_key, &good, &bad] {
        assert_eq!(key_state(addr, &ada, key).await, None, "{key} not queued");
    }
    let after = state(addr).await;
    assert_eq!(
        comments(&after, bens_ticket),
        comments(&s, bens_ticket),
        "nothing written to Ben's ticket"
    );
    assert_eq!(comments(&after, adas_ticket), comments(&s, adas_ticket));
    assert_eq!(
        requests_from(addr, "platform").await,
        Vec::<String>::new(),
        "the queue sent nothing to Zendesk"
    );

    // The same operation is Ben's to queue: taken and written.
    let (status, v) = queue(
        addr,
        &ben,
        vec![comment(&under_bens_key, bens_ticket, "written by Ben")],
    )
    .await;
    assert_eq!(status, 200, "{v}");
    written(addr, &ben, &[&under_bens_key]).await;
    let after = state(addr).await;
    assert!(comments(&after, bens_ticket).contains(&"written by Ben".to_string()));
    assert!(!comments(&after, bens_ticket).contains(&"written by Ada".to_string()));
}

// Under the keys of her own calls, an agent writes to each ticket the platform can tie to the
// call: the ticket she named when placing it, the caller's open ticket, a ticket she created
// (as the adapter creates a call's ticket), the surviving ticket of a merge, the ticket of the
// contact she picked for an entered number. Another agent cannot write to the one she created.
#[tokio::test]
async fn ops_on_the_agent_s_own_call_tickets_are_accepted_and_written() {
    let addr = start().await;
    let (ada, ada_agent) = sign_in(addr, "ada@sandbox.test").await;
    let (ben, _) = sign_in(addr, "ben@sandbox.test").await;
    let s = state(addr).await;

    // The ticket named on the dial screen.
    let named = open_tickets_of(&s, &matrix_number(1, 1))[0];
    let call = place_call(
        addr,
        &ada,
        UNKNOWN_NUMBER,
        json!({"ticket": "existing", "ticket_id": named}),
    )
    .await;
    let k_named = format!("{call}.placed.0");

    // The open ticket of the contact picked on the dial screen, called at an entered number
    // the contact does not have.
    let picked = s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| open_tickets_of(&s, &matrix_number(2, 2)).contains(&t["id"].as_u64().unwrap()))
        .unwrap();
    let (picked, contact) = (
        picked["id"].as_u64().unwrap(),
        picked["requester_id"].clone(),
    );
    let call_entered = place_call(
        addr,
        &ada,
        UNKNOWN_NUMBER,
        json!({"ticket": "none", "contact_id": contact, "entered_number": true}),
    )
    .await;
    let k_picked = format!("{call_entered}.ended.0");

    // An inbound caller's open ticket (UPD-1: the call is appended to it, and assigned).
    let caller = matrix_number(1, 2);
    let callers = open_tickets_of(&s, &caller)[0];
    let inbound = inbound_call(addr, &ada_agent["id"], &caller).await;
    let k_caller = format!("{inbound}.assigned.0");
    let ada_user = ada_agent["zendesk_user_id"].as_u64().unwrap();

    // A ticket Ada created herself for a call to a number no contact has (the requester is the
    // contact she picked on the dial screen, which the platform was not told).
    let requester = s["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["phone"] == matrix_number(2, 0))
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let created = ticket_created_by(addr, "ada@sandbox.test", requester).await;
    let call_new = place_call(addr, &ada, UNKNOWN_NUMBER, json!({"ticket": "new"})).await;
    let k_created = format!("{call_new}.placed.1");

    // A ticket named on the dial screen and merged since: the adapter writes to the survivor.
    let source = s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| !t["merged_into"].is_null())
        .unwrap();
    let survivor = source["merged_into"].as_u64().unwrap();
    let call_merged = place_call(
        addr,
        &ada,
        UNKNOWN_NUMBER,
        json!({"ticket": "existing", "ticket_id": source["id"]}),
    )
    .await;
    let k_merged = format!("{call_merged}.ended.0");

    let (status, v) = queue(
        addr,
        &ada,
        vec![
            comment(&k_named, named, "on the named ticket"),
            json!({"key": k_caller, "ticket_id": callers, "kind": "update_ticket",
                   "body": {"status": "open", "assignee_id": ada_user, "comment": "on the caller's ticket"}}),
            comment(&k_created, created, "on the ticket Ada created"),
            comment(&k_merged, survivor, "on the surviving ticket"),
            comment(&k_picked, picked, "on the picked contact's ticket"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["accepted"],
        json!([k_named, k_caller, k_created, k_merged, k_picked])
    );
    written(
        addr,
        &ada,
        &[&k_named, &k_caller, &k_created, &k_merged, &k_picked],
    )
    .await;
    let after = state(addr).await;
    for (id, text) in [
        (named, "on the named ticket"),
        (callers, "on the caller's ticket"),
        (created, "on the ticket Ada created"),
        (survivor, "on the surviving ticket"),
        (picked, "on the picked contact's ticket"),
    ] {
        let n = comments(&after, id).iter().filter(|c| *c == text).count();
        assert_eq!(n, 1, "ticket {id}: {text}");
    }
    assert_eq!(ticket(&after, callers)["assignee_id"], ada_user);

    // Sent again (a replay after a reload): accepted and ignored.
    let (status, _) = queue(
        addr,
        &ada,
        vec![comment(&k_named, named, "on the named ticket")],
    )
    .await;
    assert_eq!(status, 200);

    // Ben, under a key of his own call to that number, may not write the ticket Ada created.
    let bens_call = place_call(addr, &ben, UNKNOWN_NUMBER, json!({"ticket": "none"})).await;
    let k_ben = format!("{bens_call}.ended.0");
    let (status, v) = queue(addr, &ben, vec![comment(&k_ben, created, "written by Ben")]).await;
    assert_eq!((status, &v["refused"]), (403, &json!([k_ben])), "{v}");
}

// A key that names no call of the agent (another form, a call that does not exist, an id that
// is not a call's), or a ticket that does not exist, is refused.
#[tokio::test]
async fn an_op_whose_key_names_no_call_of_the_agent_is_refused() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, "ada@sandbox.test").await;
    let s = state(addr).await;
    let number = matrix_number(1, 1);
    let open = open_tickets_of(&s, &number)[0];
    let call = place_call(
        addr,
        &ada,
        &number,
        json!({"ticket": "existing", "ticket_id": open}),
    )
    .await;
    http(addr, "DELETE", "/_sandbox/requests", None, None).await;
    for key in [
        "k1".to_string(),
        "bench-1-end".to_string(),
        format!("x{call}.ended.0"),
        format!("{}.ended.0", call + 1_000_000),
        // A ticket's id where a call's should be.
        format!("{open}.ended.0"),
    ] {
        let (status, v) = queue(addr, &ada, vec![comment(&key, open, "no call")]).await;
        assert_eq!(status, 403, "{key}: {v}");
        assert_eq!(v["refused"], json!([key]));
    }
    let missing = s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .max()
        .unwrap()
        + 1_000_000;
    let key = format!("{call}.ended.0");
    let (status, v) = queue(addr, &ada, vec![comment(&key, missing, "no ticket")]).await;
    assert_eq!((status, &v["refused"]), (403, &json!([key])), "{v}");

    drain(addr).await;
    assert_eq!(comments(&state(addr).await, open), comments(&s, open));
    assert!(requests_from(addr, "platform").await.is_empty());
    // The call's own key on its ticket is taken.
    let (status, v) = queue(addr, &ada, vec![comment(&key, open, "the call")]).await;
    assert_eq!(status, 200, "{v}");
}

// A key the queue has taken is a repeat, ignored whoever sends it: a replay after a reload is
// accepted even when the ticket is no longer the agent's, and writes nothing again; a new key
// on that ticket is refused.
#[tokio::test]
async fn a_replayed_key_is_accepted_after_the_ticket_changed_hands() {
    let addr = start().await;
    let (ada, ada_agent) = sign_in(addr, "ada@sandbox.test").await;
    let (_, ben_agent) = sign_in(addr, "ben@sandbox.test").await;
    let s = state(addr).await;
    let requester = s["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["phone"] == matrix_number(2, 0))
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    // Ben's ticket, assigned to Ada: hers to write while she holds it.
    let t = ticket_created_by(addr, "ben@sandbox.test", requester).await;
    let assign = |agent: &Value| json!({"ticket": {"assignee_id": agent["zendesk_user_id"]}});
    let r = http(
        addr,
        "PUT",
        &format!("/api/v2/tickets/{t}.json"),
        Some(assign(&ada_agent)),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let call = place_call(addr, &ada, UNKNOWN_NUMBER, json!({"ticket": "none"})).await;
    let key = format!("{call}.ended.0");
    let (status, v) = queue(addr, &ada, vec![comment(&key, t, "Ada's note")]).await;
    assert_eq!(status, 200, "{v}");
    written(addr, &ada, &[&key]).await;

    let r = http(
        addr,
        "PUT",
        &format!("/api/v2/tickets/{t}.json"),
        Some(assign(&ben_agent)),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (status, v) = queue(addr, &ada, vec![comment(&key, t, "Ada's note")]).await;
    assert_eq!(status, 200, "a replay: {v}");
    let again = format!("{call}.ended.1");
    let (status, v) = queue(addr, &ada, vec![comment(&again, t, "another note")]).await;
    assert_eq!((status, &v["refused"]), (403, &json!([again])), "{v}");
    drain(addr).await;
    let n = comments(&state(addr).await, t)
        .iter()
        .filter(|c| c.starts_with("Ada's note") || c.starts_with("another note"))
        .count();
    assert_eq!(n, 1, "written once");
}
