//! A call's life besides its own events: transfers between agents (UPD-9), the ticket the
//! adapter reports for a call (`POST /platform/calls/{id}/ticket`), and the customer's session
//! events (`POST /_sandbox/events {"type":"session"}`), which go to the call's signed-in agent or,
//! with no agent signed in, are written by the platform itself with the same rules.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};

use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const CUSTOMER: &str = "+15550101100";
const LINE: &str = "+15550199001";

use sandbox::testkit::{
    call_action, http_json as http, sign_in_agent as sign_in, start_quiet as start,
    ticket_in as ticket,
};

async fn sign_out(addr: SocketAddr, token: &str) {
    let (status, _) = http(addr, "DELETE", "/platform/agent/session", None, Some(token)).await;
    assert_eq!(status, 204);
}

/// `POST /_sandbox/events`: the status and the answer.
async fn event(addr: SocketAddr, body: Value) -> (u16, Value) {
    http(addr, "POST", "/_sandbox/events", Some(body), None).await
}

/// `POST /_sandbox/events`, which must succeed.
async fn event_ok(addr: SocketAddr, body: Value) -> Value {
    let (status, v) = event(addr, body).await;
    assert_eq!(status, 200, "{v}");
    v
}

/// A session event of call `id`.
async fn session(addr: SocketAddr, id: u64, ev: Value) -> (u16, Value) {
    event(addr, json!({"type": "session", "call_id": id, "event": ev})).await
}

async fn state(addr: SocketAddr) -> Value {
    sandbox::testkit::state(addr).await
}

/// The platform's requests to Zendesk, as `METHOD path status`.
async fn platform_requests(addr: SocketAddr) -> Vec<String> {
    sandbox::testkit::requests_from(addr, "platform").await
}

async fn clear_requests(addr: SocketAddr) {
    http(addr, "DELETE", "/_sandbox/requests", None, None).await;
}

/// An outbound call the customer answered; `ticket` is the ticket named when placing it.
async fn connected_call(addr: SocketAddr, token: &str, ticket: Option<u64>) -> u64 {
    let mut call = json!({"to": CUSTOMER, "outbound_number": LINE, "lang": "en-US",
                          "ticket": "none", "entered_number": false});
    if let Some(t) = ticket {
        call["ticket"] = json!("existing");
        call["ticket_id"] = json!(t);
    }
    let (status, v) = http(addr, "POST", "/platform/calls", Some(call), Some(token)).await;
    assert_eq!(status, 201, "{v}");
    let id = v["call"]["id"].as_u64().unwrap();
    event_ok(addr, json!({"type": "answer", "call_id": id})).await;
    id
}

/// Open tickets of the fixture (not merged), oldest first.
fn open_tickets(s: &Value) -> Vec<u64> {
    s["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "open" && t["merged_into"].is_null())
        .filter_map(|t| t["id"].as_u64())
        .collect()
}

/// The comments of ticket `id` after the first `skip`.
fn comments_after(s: &Value, id: u64, skip: usize) -> Vec<Value> {
    ticket(s, id)["comments"]
        .as_array()
        .unwrap()
        .iter()
        .skip(skip)
        .cloned()
        .collect()
}

fn comment_count(s: &Value, id: u64) -> usize {
    ticket(s, id)["comments"].as_array().unwrap().len()
}

/// Platform call `id` as the state shows it.
fn platform_call(s: &Value, id: u64) -> Value {
    s["platform_calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap()
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

async fn next_event(ws: &mut Stream) -> Value {
    let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("an event in time")
        .expect("open")
        .expect("ok");
    serde_json::from_str(msg.to_text().unwrap()).unwrap()
}

/// The next event of type `kind`, skipping the others (the call's own life).
async fn next_of(ws: &mut Stream, kind: &str) -> Value {
    loop {
        let v = next_event(ws).await;
        if v["type"] == kind {
            return v;
        }
    }
}

// UPD-9: a transfer moves the call to the receiving agent: both adapters hear the same event,
// the receiver can hold and hang up the call and write its ticket through the CRM queue, the
// sender no longer has it.
#[tokio::test]
async fn a_transfer_moves_the_call_to_the_receiving_agent() {
    let addr = start().await;
    let (ada, ada_agent) = sign_in(addr, "ada@sandbox.test").await;
    let (ben, ben_agent) = sign_in(addr, "ben@sandbox.test").await;
    let cleo_id = state(addr).await["agents"][2]["id"].clone();
    let t = open_tickets(&state(addr).await)[0];
    let mut ada_ws = events(addr, &ada).await;
    let mut ben_ws = events(addr, &ben).await;

    // A ringing call cannot be transferred; nor an unknown one, nor to the call's own agent, an
    // unknown agent, or one who is not signed in.
    let call = json!({"to": CUSTOMER, "outbound_number": LINE, "lang": "en-US", "ticket": "none"});
    let (_, placed) = http(addr, "POST", "/platform/calls", Some(call), Some(&ada)).await;
    let ringing = placed["call"]["id"].as_u64().unwrap();
    let to_ben =
        |id: u64| json!({"type": "transfer", "call_id": id, "to_agent_id": ben_agent["id"]});
    assert_eq!(
        event(addr, to_ben(ringing)).await,
        (409, json!({"error": "the call is not connected"}))
    );
    assert_eq!(
        event(addr, to_ben(1)).await,
        (404, json!({"error": "no call with that call_id"}))
    );
    let id = connected_call(addr, &ada, None).await;
    let (status, v) = call_action(addr, &ada, id, "ticket", Some(json!({"ticket_id": t}))).await;
    assert_eq!((status, &v["call"]["ticket_id"]), (200, &json!(t)), "{v}");
    for to in [ada_agent["id"].clone(), json!(9_999), Value::Null] {
        let (status, v) = event(
            addr,
            json!({"type": "transfer", "call_id": id, "to_agent_id": to}),
        )
        .await;
        assert_eq!(status, 422, "{to}: {v}");
    }
    assert_eq!(
        event(
            addr,
            json!({"type": "transfer", "call_id": id, "to_agent_id": cleo_id})
        )
        .await,
        (409, json!({"error": "the agent is not signed in"}))
    );

    let r = event_ok(addr, to_ben(id)).await;
    assert_eq!(r["ok"], true);
    let event_id = r["event_id"].as_u64().unwrap();
    let sent = next_of(&mut ada_ws, "call.transferred").await;
    let got = next_of(&mut ben_ws, "call.transferred").await;
    assert_eq!(sent, got, "the same event to both");
    assert_eq!(got["call_id"], id);
    assert_eq!(got["event_id"], event_id);
    assert_eq!(got["from_agent_id"], ada_agent["id"]);
    assert_eq!(
        got["to_agent"],
        json!({"id": ben_agent["id"], "name": "Ben Billing",
               "zendesk_user_id": ben_agent["zendesk_user_id"]})
    );
    assert_eq!(got["ticket_id"], t);
    assert_eq!(
        (&got["status"], &got["customer_number"]),
        (&json!("connected"), &json!(CUSTOMER))
    );

    // The sender has no such call any more.
    let (status, _) = http(
        addr,
        "GET",
        &format!("/platform/calls/{id}"),
        None,
        Some(&ada),
    )
    .await;
    assert_eq!(status, 404);
    let (_, mine) = http(addr, "GET", "/platform/calls", None, Some(&ada)).await;
    assert!(
        !mine["calls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id),
        "{mine}"
    );
    let (status, _) = call_action(addr, &ada, id, "hangup", None).await;
    assert_eq!(status, 404);
    // The receiver writes the call's ticket through the queue; so may the sender, for what its
    // adapter queued before the transfer; an agent the call never had may not.
    let op = |key: &str| json!({"ops": [{"key": key, "ticket_id": t, "kind": "add_comment", "body": "note"}]});
    let (status, v) = http(
        addr,
        "POST",
        "/platform/crm/ops",
        Some(op(&format!("{id}.ben.0"))),
        Some(&ben),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let (status, _) = http(
        addr,
        "POST",
        "/platform/crm/ops",
        Some(op(&format!("{id}.ada.0"))),
        Some(&ada),
    )
    .await;
    assert_eq!(status, 200);
    let (cleo, _) = sign_in(addr, "cleo@sandbox.test").await;
    let (status, _) = http(
        addr,
        "POST",
        "/platform/crm/ops",
        Some(op(&format!("{id}.cleo.0"))),
        Some(&cleo),
    )
    .await;
    assert_eq!(status, 403);

    // The receiver holds and hangs up; its stream has the call's events from now on.
    let (status, v) = call_action(addr, &ben, id, "hold", Some(json!({"hold": true}))).await;
    assert_eq!((status, &v["call"]["status"]), (200, &json!("on_hold")));
    let (status, v) = call_action(addr, &ben, id, "hangup", None).await;
    assert_eq!((status, &v["call"]["status"]), (200, &json!("ended")));
    assert_eq!(next_of(&mut ben_ws, "call.held").await["call_id"], id);
    assert_eq!(next_of(&mut ben_ws, "call.ended").await["call_id"], id);
    let c = platform_call(&state(addr).await, id);
    assert_eq!(c["agent_id"], ben_agent["id"]);
    assert_eq!(c["transferred_from"], json!([ada_agent["id"]]));
}

// The adapter reports the call's ticket: the call's agent and the agent it was transferred from
// may; the receiver hears of a ticket it did not know once; a stranger's call is 404.
#[tokio::test]
async fn the_call_s_ticket_is_reported_by_its_agent_or_the_one_it_was_transferred_from() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, "ada@sandbox.test").await;
    let (ben, ben_agent) = sign_in(addr, "ben@sandbox.test").await;
    let (cleo, _) = sign_in(addr, "cleo@sandbox.test").await;
    let tickets = open_tickets(&state(addr).await);
    let (first, second) = (tickets[0], tickets[1]);
    let mut ben_ws = events(addr, &ben).await;
    let id = connected_call(addr, &ada, None).await;

    for body in [
        None,
        Some(json!({})),
        Some(json!({"ticket_id": "12"})),
        Some(json!({"ticket_id": -1})),
    ] {
        let (status, v) = call_action(addr, &ada, id, "ticket", body.clone()).await;
        assert_eq!(
            (status, v),
            (422, json!({"error": "ticket_id: a number is required"})),
            "{body:?}"
        );
    }
    let report = |t: u64| Some(json!({"ticket_id": t}));
    let (status, v) = call_action(addr, &cleo, id, "ticket", report(first)).await;
    assert_eq!((status, v), (404, json!({"error": "no such call"})));
    let (status, _) = http(
        addr,
        "POST",
        &format!("/platform/calls/{id}/ticket"),
        report(first),
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, v) = call_action(addr, &ada, id, "ticket", report(first)).await;
    assert_eq!(
        (status, &v["call"]["ticket_id"]),
        (200, &json!(first)),
        "{v}"
    );

    event_ok(
        addr,
        json!({"type": "transfer", "call_id": id, "to_agent_id": ben_agent["id"]}),
    )
    .await;
    assert_eq!(
        next_of(&mut ben_ws, "call.transferred").await["ticket_id"],
        first
    );
    // The sender reports another ticket: the receiver hears it, once.
    let (status, v) = call_action(addr, &ada, id, "ticket", report(second)).await;
    assert_eq!(
        (status, &v["call"]["ticket_id"]),
        (200, &json!(second)),
        "{v}"
    );
    assert_eq!(
        next_event(&mut ben_ws).await,
        json!({"type": "call.ticket", "call_id": id, "ticket_id": second})
    );
    let (status, _) = call_action(addr, &ada, id, "ticket", report(second)).await;
    assert_eq!(status, 200, "a repeat");
    let (status, v) = call_action(addr, &ben, id, "ticket", report(second)).await;
    assert_eq!((status, &v["call"]["ticket_id"]), (200, &json!(second)));
    let (status, _) = call_action(addr, &ben, id, "hold", Some(json!({"hold": true}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        next_event(&mut ben_ws).await["type"],
        "call.held",
        "no second call.ticket"
    );
    let (status, _) = call_action(addr, &cleo, id, "ticket", report(second)).await;
    assert_eq!(status, 404);
    let (status, v) = http(
        addr,
        "GET",
        &format!("/platform/calls/{id}"),
        None,
        Some(&ben),
    )
    .await;
    assert_eq!((status, &v["call"]["ticket_id"]), (200, &json!(second)));
}

// UPD-14: the agent signed out, so the platform writes the rating itself: one internal comment on
// the call's ticket; the same event again writes nothing. A call whose ticket is not known gets
// nothing; a bad score or kind is refused before anything.
#[tokio::test]
async fn a_csat_for_a_signed_out_agent_s_call_is_written_once_by_the_platform() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, "ada@sandbox.test").await;
    let t = open_tickets(&state(addr).await)[0];
    let id = connected_call(addr, &ada, Some(t)).await;
    let unknown = connected_call(addr, &ada, None).await;
    sign_out(addr, &ada).await;
    let before = comment_count(&state(addr).await, t);
    clear_requests(addr).await;

    let csat = |score: Value| json!({"type": "csat.rated", "score": score});
    for score in [json!(0), json!(6), json!("4"), Value::Null] {
        let (status, v) = session(addr, id, csat(score.clone())).await;
        assert_eq!(
            (status, v),
            (
                422,
                json!({"error": "score: a number from 1 to 5 is required"})
            ),
            "{score}"
        );
    }
    let (status, v) = session(addr, id, json!({"type": "csat.unknown"})).await;
    assert_eq!(status, 422, "{v}");
    let (status, _) = session(addr, 1, csat(json!(4))).await;
    assert_eq!(status, 404);

    let (status, v) = session(addr, unknown, csat(json!(4))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (&v["ok"], &v["event_id"], &v["written_by"]),
        (&json!(false), &json!(1), &json!("platform")),
        "the first event id: {v}"
    );
    assert_eq!(v["rules"]["error"], "the call's ticket is not known");

    let rated = json!({"type": "csat.rated", "score": 4, "event_id": 7});
    let (status, v) = session(addr, id, rated.clone()).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (&v["ok"], &v["event_id"], &v["written_by"]),
        (&json!(true), &json!(7), &json!("platform")),
        "{v}"
    );
    let s = state(addr).await;
    let new = comments_after(&s, t, before);
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0]["body"], "Customer satisfaction rating\nScore: 4/5");
    assert_eq!(new[0]["public"], false);
    assert_eq!(
        platform_requests(addr).await,
        [format!("PUT /api/v2/tickets/{t}.json 200")]
    );
    assert!(platform_call(&s, id)["platform_events"]["7"]["actions"].is_array());

    let (status, v) = session(addr, id, rated).await;
    assert_eq!(
        (status, v),
        (
            200,
            json!({"ok": true, "event_id": 7, "written_by": "platform", "repeat": true})
        )
    );
    assert_eq!(comment_count(&state(addr).await, t), before + 1);
    assert_eq!(platform_requests(addr).await.len(), 1, "nothing more");
}

// UPD-7, AGENT-7: a recording that arrives after the call ended, with no agent signed in, is one
// voice comment on the call's ticket, from the line to the customer; the call remembers it.
#[tokio::test]
async fn a_late_recording_with_no_agent_signed_in_is_one_voice_comment() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, "ada@sandbox.test").await;
    let t = open_tickets(&state(addr).await)[0];
    let id = connected_call(addr, &ada, Some(t)).await;
    let url = "https://pbx.example/r/late.mp3";
    let ready = json!({"type": "call.recording_ready", "recording_url": url});
    assert_eq!(
        session(addr, id, ready.clone()).await,
        (409, json!({"error": "the call has not ended"}))
    );
    let (status, _) = call_action(addr, &ada, id, "hangup", None).await;
    assert_eq!(status, 200);
    sign_out(addr, &ada).await;
    let before = comment_count(&state(addr).await, t);
    clear_requests(addr).await;

    let v = session(addr, id, ready).await.1;
    assert_eq!(
        (&v["ok"], &v["written_by"]),
        (&json!(true), &json!("platform")),
        "{v}"
    );
    let s = state(addr).await;
    let new = comments_after(&s, t, before);
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0]["type"], "VoiceComment");
    assert_eq!(new[0]["public"], false);
    let data = &new[0]["data"];
    assert_eq!(
        (&data["recording_url"], &data["from"], &data["to"]),
        (&json!(url), &json!(LINE), &json!(CUSTOMER)),
        "{data}"
    );
    assert_eq!(
        platform_requests(addr).await,
        [format!("PUT /api/v2/tickets/{t}.json 200")]
    );
    assert_eq!(platform_call(&s, id)["recording_url"], url);
}

// OUT-10: a call placed with "Do not create a ticket" keeps no recording on the platform: none
// when it ends, and a late one is refused and goes to nobody; a call with a ticket keeps its own.
#[tokio::test]
async fn a_call_with_no_ticket_keeps_no_recording() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, "ada@sandbox.test").await;
    let t = open_tickets(&state(addr).await)[0];
    let none = connected_call(addr, &ada, None).await;
    let kept = connected_call(addr, &ada, Some(t)).await;
    for id in [none, kept] {
        let (status, _) = call_action(addr, &ada, id, "hangup", None).await;
        assert_eq!(status, 200);
    }
    let s = state(addr).await;
    assert_eq!(platform_call(&s, none)["recording_url"], json!(null));
    assert!(platform_call(&s, kept)["recording_url"].is_string());

    let ready =
        json!({"type": "call.recording_ready", "recording_url": "https://pbx.example/r/n.mp3"});
    assert_eq!(
        session(addr, none, ready.clone()).await,
        (
            409,
            json!({"error": sandbox::platform::session::NOT_STORED})
        )
    );
    assert_eq!(
        platform_call(&state(addr).await, none)["recording_url"],
        json!(null)
    );
    let (status, v) = session(addr, kept, ready).await;
    assert_eq!((status, &v["ok"]), (200, &json!(true)), "{v}");
}

// UPD-12, UPD-13, AGENT-8, AGENT-9: custom data with no agent signed in: the data as a comment,
// a mapped key's value in its field, a key whose field does not exist named in a comment.
#[tokio::test]
async fn custom_data_with_no_agent_fills_mapped_fields_and_names_the_rest() {
    let addr = start().await;
    let field = json!({"ticket_field": {"type": "text", "title": "Customer tier"}});
    let (status, v) = http(
        addr,
        "POST",
        "/api/v2/ticket_fields.json",
        Some(field),
        None,
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let field_id = v["ticket_field"]["id"].as_u64().unwrap();
    let mapping = json!({"developer": {"field_mapping": [
        {"key": "tier", "field": "customer tier"},
        {"key": "order", "field": "Order number"},
    ]}});
    let (status, v) = http(addr, "PUT", "/_sandbox/settings", Some(mapping), None).await;
    assert_eq!(status, 200, "{v}");
    let (ada, _) = sign_in(addr, "ada@sandbox.test").await;
    let t = open_tickets(&state(addr).await)[0];
    let id = connected_call(addr, &ada, Some(t)).await;
    sign_out(addr, &ada).await;
    let before = comment_count(&state(addr).await, t);
    clear_requests(addr).await;

    let data = json!({"type": "session.custom_data", "sdk": "web",
                      "data": {"tier": "gold", "order": "A-17"}});
    let v = session(addr, id, data).await.1;
    assert_eq!(
        (&v["ok"], &v["written_by"]),
        (&json!(true), &json!("platform")),
        "{v}"
    );
    let s = state(addr).await;
    let bodies: Vec<Value> = comments_after(&s, t, before)
        .iter()
        .map(|c| c["body"].clone())
        .collect();
    // One comment: the data, and the key with no field named in it (UPD-13).
    assert_eq!(
        bodies,
        vec![json!(
            "Custom data\norder: A-17\ntier: gold\nNo designated field found for \"order\": A-17"
        )]
    );
    assert!(
        ticket(&s, t)["custom_fields"]
            .as_array()
            .unwrap()
            .contains(&json!({"id": field_id, "value": "gold"})),
        "{}",
        ticket(&s, t)["custom_fields"]
    );
    let requests = platform_requests(addr).await;
    assert!(
        requests[0].starts_with("GET /api/v2/ticket_fields.json?") && requests[0].ends_with(" 200"),
        "{requests:?}"
    );
    // The comment and the field value in one update.
    assert_eq!(requests[1..], [format!("PUT /api/v2/tickets/{t}.json 200")]);
}

// With the call's agent signed in, a session event is the agent's adapter's to write: it is
// emitted to that agent (a late recording with the call's fields), and the platform writes
// nothing.
#[tokio::test]
async fn a_session_event_while_the_agent_is_signed_in_goes_to_the_agent_only() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, "ada@sandbox.test").await;
    let t = open_tickets(&state(addr).await)[0];
    let mut ws = events(addr, &ada).await;
    let id = connected_call(addr, &ada, Some(t)).await;
    let before = state(addr).await;
    clear_requests(addr).await;

    let done = json!({"type": "smart_action.completed", "action": "Verify",
                      "results": [["verified", "yes"]], "files": []});
    let (status, v) = session(addr, id, done).await;
    assert_eq!(
        (status, v),
        (
            200,
            json!({"ok": true, "event_id": 1, "written_by": "agent"})
        )
    );
    let got = next_of(&mut ws, "smart_action.completed").await;
    assert_eq!(
        got,
        json!({"type": "smart_action.completed", "call_id": id, "event_id": 1, "action": "Verify",
               "results": [["verified", "yes"]], "files": []})
    );

    let (status, _) = call_action(addr, &ada, id, "hangup", None).await;
    assert_eq!(status, 200);
    let ready =
        json!({"type": "call.recording_ready", "recording_url": "https://pbx.example/r/9.mp3"});
    let (status, v) = session(addr, id, ready).await;
    assert_eq!(
        (status, &v["written_by"], &v["event_id"]),
        (200, &json!("agent"), &json!(2))
    );
    let got = next_of(&mut ws, "call.recording_ready").await;
    assert_eq!(
        (&got["call_id"], &got["event_id"], &got["recording_url"]),
        (&json!(id), &json!(2), &json!("https://pbx.example/r/9.mp3"))
    );
    assert_eq!(
        (&got["direction"], &got["customer_number"], &got["line"]),
        (&json!("outbound"), &json!(CUSTOMER), &json!(LINE))
    );
    assert!(
        got["durations"]["call"].is_u64() && got["started_at"].is_string(),
        "{got}"
    );

    assert_eq!(platform_requests(addr).await, Vec::<String>::new());
    let s = state(addr).await;
    assert_eq!(ticket(&s, t)["comments"], ticket(&before, t)["comments"]);
    // Remembered as sent to the agent: sent again after a sign-out, it is a repeat, not the
    // platform's to write.
    assert_eq!(
        platform_call(&s, id)["platform_events"],
        json!({"1": {"routed": "agent"}, "2": {"routed": "agent"}})
    );
}
