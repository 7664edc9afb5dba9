//! The agent's call history (`GET /platform/calls` a page at a time, with each call's outcome),
//! its seeding for benchmarks (`POST /_sandbox/history`), the voicemails the platform keeps
//! (`/platform/voicemails`, their recordings, their events) and calls back (`callback_of`).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use sandbox::model::now_ms;
use sandbox::testkit::{
    call_action, http, http_json, sign_in_agent as sign_in, start_quiet as start,
};

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const ADA: &str = "ada@sandbox.test";
const BEN: &str = "ben@sandbox.test";
const CUSTOMER: &str = "+15550101100";
const THREE_DAYS_MS: i64 = 3 * 24 * 60 * 60 * 1_000;

/// `POST /_sandbox/events`, which must succeed.
async fn event(addr: SocketAddr, body: Value) -> Value {
    let (status, v) = http_json(addr, "POST", "/_sandbox/events", Some(body), None).await;
    assert_eq!(status, 200, "{v}");
    v
}

/// `POST /_sandbox/history`, which must succeed: the seeded calls' ids, newest first.
async fn seed(addr: SocketAddr, body: Value) -> Vec<u64> {
    let (status, v) = http_json(addr, "POST", "/_sandbox/history", Some(body), None).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["ok"], true);
    ids(&v["call_ids"])
}

fn ids(list: &Value) -> Vec<u64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().or_else(|| c["id"].as_u64()).unwrap())
        .collect()
}

/// `GET /platform/calls` with `query` as the agent with `token`: the status and the answer.
async fn history(addr: SocketAddr, token: &str, query: &str) -> (u16, Value) {
    http_json(
        addr,
        "GET",
        &format!("/platform/calls{query}"),
        None,
        Some(token),
    )
    .await
}

/// Every page of the history since `since` at `limit` a page: the calls, and how many pages.
async fn all_pages(addr: SocketAddr, token: &str, since: i64, limit: u32) -> (Vec<Value>, usize) {
    let mut calls = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1.. {
        let mut query = format!("?since={since}&limit={limit}");
        if let Some(c) = &cursor {
            query.push_str(&format!("&cursor={c}"));
        }
        let (status, v) = history(addr, token, &query).await;
        assert_eq!(status, 200, "{v}");
        let page = v["calls"].as_array().unwrap();
        assert!(page.len() <= limit as usize);
        calls.extend(page.iter().cloned());
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => {
                assert!(v["next_cursor"].is_null(), "{v}");
                return (calls, pages);
            }
        }
        assert!(pages < 100, "the pages never end");
    }
    unreachable!()
}

/// An outbound call from the agent with `token`, still ringing; `extra` merged into the body.
async fn place_call(addr: SocketAddr, token: &str, extra: Value) -> (u16, Value) {
    let mut call = json!({"to": CUSTOMER, "outbound_number": "+15550199001", "lang": "en-US",
                          "ticket": "none", "entered_number": false});
    if let (Some(call), Some(extra)) = (call.as_object_mut(), extra.as_object()) {
        call.extend(extra.clone());
    }
    http_json(addr, "POST", "/platform/calls", Some(call), Some(token)).await
}

/// Call `id` as the platform lists it to its agent (the first page of the last hour).
async fn listed(addr: SocketAddr, token: &str, id: u64) -> Value {
    let (status, v) = history(addr, token, "").await;
    assert_eq!(status, 200, "{v}");
    v["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("call {id} in {v}"))
}

/// Every platform call, as `GET /_sandbox/calls` lists them.
async fn every_call(addr: SocketAddr) -> Vec<Value> {
    let (_, v) = http_json(addr, "GET", "/_sandbox/calls", None, None).await;
    v["calls"].as_array().unwrap().clone()
}

/// A voicemail from `from` (6 s, with a transcript): the control API's answer.
async fn voicemail(addr: SocketAddr, from: &str) -> Value {
    event(
        addr,
        json!({"type": "voicemail", "from": from, "duration_s": 6,
               "transcript": "Please call me back about my order"}),
    )
    .await
}

/// `GET /platform/voicemails`.
async fn voicemails(addr: SocketAddr, token: &str) -> Value {
    let (status, v) = http_json(addr, "GET", "/platform/voicemails", None, Some(token)).await;
    assert_eq!(status, 200, "{v}");
    v
}

/// `POST /platform/voicemails/{id}/{action}`: the status and the answer.
async fn voicemail_action(
    addr: SocketAddr,
    token: Option<&str>,
    id: u64,
    action: &str,
) -> (u16, Value) {
    let path = format!("/platform/voicemails/{id}/{action}");
    http_json(addr, "POST", &path, None, token).await
}

/// The agent's event stream, past its `session.ready`.
async fn events(addr: SocketAddr, token: &str) -> Stream {
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/platform/agent/events"))
            .await
            .expect("ws");
    let auth = json!({"type": "auth", "token": token}).to_string();
    ws.send(Message::Text(auth.into())).await.expect("auth");
    assert_eq!(
        next_of(&mut ws, "session.ready").await["type"],
        "session.ready"
    );
    ws
}

/// The next event of type `kind`, skipping the others.
async fn next_of(ws: &mut Stream, kind: &str) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("an event in time")
            .expect("open")
            .expect("ok");
        let v: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
        if v["type"] == kind {
            return v;
        }
    }
}

#[tokio::test]
async fn live_calls_have_no_outcome_and_ended_ones_say_how_they_went() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    // Missed: the agent gives up while it rings.
    let (_, v) = place_call(addr, &ada, json!({})).await;
    let missed = v["call"]["id"].as_u64().unwrap();
    let live = listed(addr, &ada, missed).await;
    assert_eq!(
        (&live["outcome"], &live["ended_at"], &live["callback_of"]),
        (&Value::Null, &Value::Null, &Value::Null),
        "{live}"
    );
    call_action(addr, &ada, missed, "hangup", None).await;
    let ended = listed(addr, &ada, missed).await;
    assert_eq!(ended["outcome"], "missed", "{ended}");
    assert!(ended["ended_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    // Too short: answered and hung up at once.
    let (_, v) = place_call(addr, &ada, json!({})).await;
    let short = v["call"]["id"].as_u64().unwrap();
    event(addr, json!({"type": "answer", "call_id": short})).await;
    call_action(addr, &ada, short, "hangup", None).await;
    assert_eq!(listed(addr, &ada, short).await["outcome"], "too_short");
    // Abandoned: an inbound caller hangs up while it rings for the agent.
    let v = event(addr, json!({"type": "inbound", "from": "+15550109901"})).await;
    let abandoned = v["call_id"].as_u64().unwrap();
    event(addr, json!({"type": "hangup", "call_id": abandoned})).await;
    assert_eq!(listed(addr, &ada, abandoned).await["outcome"], "abandoned");
    // A voicemail is no agent's call: the platform shows its outcome all the same.
    let vm = voicemail(addr, "+15550109901").await["call_id"].clone();
    let all = every_call(addr).await;
    let left = all.iter().find(|c| c["id"] == vm).unwrap();
    assert_eq!(left["outcome"], "voicemail", "{left}");
}

#[tokio::test]
async fn seeded_calls_are_answered_too_short_and_missed_in_turn_with_their_contacts() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let seeded = seed(addr, json!({"agent_email": ADA, "count": 6})).await;
    let (calls, _) = all_pages(addr, &ada, now_ms() - THREE_DAYS_MS, 100).await;
    assert_eq!(ids(&json!(calls)), seeded, "newest first, as seeded");
    let state = sandbox::testkit::state(addr).await;
    for (i, c) in calls.iter().enumerate() {
        let (outcome, talk) = [("answered", 60), ("too_short", 5), ("missed", 0)][i % 3];
        assert_eq!(c["outcome"], outcome, "{c}");
        assert_eq!(c["durations"]["call"], talk, "{c}");
        assert_eq!(c["status"], "ended");
        assert_eq!(c["direction"], ["outbound", "inbound"][i % 2]);
        assert!(c["ended_at"].is_string());
        let contact = state["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == c["contact_id"])
            .unwrap_or_else(|| panic!("a contact for {c}"));
        assert_eq!(contact["phone"], c["customer_number"]);
        let ticket = sandbox::testkit::ticket_in(&state, c["ticket_id"].as_u64().unwrap());
        assert_eq!(
            ticket["requester_id"], c["contact_id"],
            "the contact's own ticket"
        );
    }
    // Starts at least 5 minutes apart.
    let starts: Vec<i64> = calls
        .iter()
        .map(|c| domain::time::parse_iso8601(c["started_at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(
        starts.windows(2).all(|w| w[0] - w[1] >= 5 * 60 - 1),
        "{starts:?}"
    );
}

#[tokio::test]
async fn seeded_calls_take_the_tickets_named_in_turn_and_an_unknown_agent_is_refused() {
    let addr = start().await;
    let (ben, _) = sign_in(addr, BEN).await;
    seed(
        addr,
        json!({"agent_email": BEN, "count": 5, "ticket_ids": [7, 8]}),
    )
    .await;
    let (calls, _) = all_pages(addr, &ben, now_ms() - THREE_DAYS_MS, 10).await;
    let tickets: Vec<u64> = calls
        .iter()
        .map(|c| c["ticket_id"].as_u64().unwrap())
        .collect();
    assert_eq!(tickets, [7, 8, 7, 8, 7]);
    let (ada, _) = sign_in(addr, ADA).await;
    let (_, mine) = history(addr, &ada, &format!("?since={}", now_ms() - THREE_DAYS_MS)).await;
    assert_eq!(mine["calls"], json!([]), "Ben's history is not Ada's");
    for bad in [
        json!({"agent_email": "nobody@sandbox.test", "count": 5}),
        json!({"agent_email": ADA, "count": 0}),
        json!({"agent_email": ADA, "count": 5, "ticket_ids": "7"}),
    ] {
        let (status, v) = http_json(addr, "POST", "/_sandbox/history", Some(bad), None).await;
        assert_eq!(status, 422, "{v}");
        assert!(v["error"].is_string());
    }
}

#[tokio::test]
async fn paging_through_200_seeded_calls_lists_each_once_in_order() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let seeded = seed(addr, json!({"agent_email": ADA, "count": 200})).await;
    let since = now_ms() - THREE_DAYS_MS;
    let (calls, pages) = all_pages(addr, &ada, since, 30).await;
    assert_eq!(pages, 7);
    assert_eq!(ids(&json!(calls)), seeded);
    let unique: HashSet<u64> = seeded.iter().copied().collect();
    assert_eq!(unique.len(), 200);
    // Pages that end exactly at the last call: the last one says there is no more.
    let (calls, pages) = all_pages(addr, &ada, since, 100).await;
    assert_eq!((calls.len(), pages), (200, 2));
    // The cursor alone goes on with the `since` it was handed out with.
    let (_, first) = history(addr, &ada, &format!("?since={since}&limit=100")).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (status, rest) = history(addr, &ada, &format!("?cursor={cursor}&limit=100")).await;
    assert_eq!(status, 200, "{rest}");
    assert_eq!(ids(&rest["calls"]), seeded[100..]);
    assert!(rest["next_cursor"].is_null());
}

#[tokio::test]
async fn without_parameters_the_history_is_the_last_hour_s_first_page() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    seed(addr, json!({"agent_email": ADA, "count": 200})).await;
    let (_, v) = place_call(addr, &ada, json!({})).await;
    let live = v["call"]["id"].as_u64().unwrap();
    let (status, v) = history(addr, &ada, "").await;
    assert_eq!(status, 200, "{v}");
    let hour_ago = now_ms() / 1_000 - 3_600;
    let calls = v["calls"].as_array().unwrap();
    assert_eq!(calls[0]["id"], live, "newest first");
    assert!(calls.len() < 10, "only the last hour's: {}", calls.len());
    for c in calls {
        let started = domain::time::parse_iso8601(c["started_at"].as_str().unwrap()).unwrap();
        assert!(started >= hour_ago - 1, "{c}");
    }
}

#[tokio::test]
async fn since_leaves_out_the_calls_that_started_before_it() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    seed(addr, json!({"agent_email": ADA, "count": 200})).await;
    let (all, _) = all_pages(addr, &ada, now_ms() - THREE_DAYS_MS, 100).await;
    let since = now_ms() - 24 * 60 * 60 * 1_000;
    let (recent, _) = all_pages(addr, &ada, since, 100).await;
    assert!(
        !recent.is_empty() && recent.len() < all.len(),
        "{}",
        recent.len()
    );
    let kept: HashSet<u64> = ids(&json!(recent)).into_iter().collect();
    for c in &all {
        // `started_at` is whole seconds: a call kept started at `since` or later.
        let started_ms =
            domain::time::parse_iso8601(c["started_at"].as_str().unwrap()).unwrap() * 1_000;
        let id = c["id"].as_u64().unwrap();
        if kept.contains(&id) {
            assert!(started_ms + 999 >= since, "{c}");
        } else {
            assert!(started_ms < since, "{c}");
        }
    }
}

#[tokio::test]
async fn a_bad_limit_cursor_or_since_is_a_422_naming_it() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    for query in ["?limit=0", "?limit=101", "?limit=ten", "?limit=-1"] {
        let (status, v) = history(addr, &ada, query).await;
        assert_eq!(
            (status, &v),
            (422, &json!({"error": "limit: 1 to 100"})),
            "{query}"
        );
    }
    for query in [
        "?cursor=nope",
        "?cursor=1.2",
        "?cursor=",
        "?since=5&cursor=a.b.c",
    ] {
        let (status, v) = history(addr, &ada, query).await;
        assert_eq!(status, 422, "{query}");
        assert!(v["error"].as_str().unwrap().starts_with("cursor"), "{v}");
    }
    let (status, v) = history(addr, &ada, "?since=yesterday").await;
    assert_eq!(status, 422);
    assert!(v["error"].as_str().unwrap().starts_with("since"), "{v}");
    let (status, _) = http_json(addr, "GET", "/platform/calls?limit=5", None, None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_voicemail_is_listed_unread_with_its_ticket_and_reaches_every_agent() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let (ben, _) = sign_in(addr, BEN).await;
    let mut ada_ws = events(addr, &ada).await;
    let mut ben_ws = events(addr, &ben).await;
    let answer = voicemail(addr, "+15550109911").await;
    let id = answer["call_id"].as_u64().unwrap();
    let v = voicemails(addr, &ada).await;
    assert_eq!(v["unread"], 1, "{v}");
    let vm = &v["voicemails"][0];
    assert_eq!(vm, &answer["voicemail"]);
    assert_eq!(vm["id"], id);
    assert_eq!(vm["from"], "+15550109911");
    assert_eq!(vm["duration_s"], 6);
    assert_eq!(vm["transcript"], "Please call me back about my order");
    assert_eq!(vm["menu_path"], "Main menu");
    assert_eq!(vm["lang"], "en-US");
    assert_eq!(
        (&vm["read"], &vm["closed"], &vm["called_back"]),
        (&json!(false), &json!(false), &json!(false))
    );
    assert!(vm["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(
        vm["ticket_id"], answer["rules"]["tickets_created"][0],
        "{answer}"
    );
    let state = sandbox::testkit::state(addr).await;
    let ticket = sandbox::testkit::ticket_in(&state, vm["ticket_id"].as_u64().unwrap());
    assert_eq!(ticket["requester_id"], vm["contact_id"]);
    assert_eq!(state["voicemails"][0], *vm, "the state shows it too");
    let url = vm["recording_url"].as_str().unwrap();
    assert!(
        url.ends_with(&format!("/platform/recordings/{id}.wav")),
        "{url}"
    );
    for ws in [&mut ada_ws, &mut ben_ws] {
        let got = next_of(ws, "voicemail.created").await;
        assert_eq!(got["voicemail"], *vm);
    }
    let (status, _) = http_json(addr, "GET", "/platform/voicemails", None, None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_recording_is_a_wav_served_without_a_token_and_404_for_an_unknown_id() {
    let addr = start().await;
    let id = voicemail(addr, CUSTOMER).await["call_id"].as_u64().unwrap();
    let r = http(
        addr,
        "GET",
        &format!("/platform/recordings/{id}.wav"),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("audio/wav"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let length: usize = r.header("content-length").unwrap().parse().unwrap();
    // 3 s at most of 8 kHz 16-bit mono, after the 44-byte header.
    assert_eq!(length, 44 + 3 * 8_000 * 2);
    // The body is read as text: the binary sizes and samples do not survive, the tags do.
    assert!(r.text.starts_with("RIFF"));
    assert!(r.text.contains("WAVEfmt "));
    for unknown in [
        "/platform/recordings/1.wav",
        &format!("/platform/recordings/{id}.mp3"),
    ] {
        let r = http(addr, "GET", unknown, None, None).await;
        assert_eq!(r.status, 404, "{unknown}");
    }
}

#[tokio::test]
async fn read_and_close_are_idempotent_and_a_closed_voicemail_is_not_listed() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let first = voicemail(addr, CUSTOMER).await["call_id"].as_u64().unwrap();
    let second = voicemail(addr, "+15550109901").await["call_id"]
        .as_u64()
        .unwrap();
    let mut ws = events(addr, &ada).await;
    let v = voicemails(addr, &ada).await;
    assert_eq!(
        (ids(&v["voicemails"]), &v["unread"]),
        (vec![second, first], &json!(2))
    );

    let (status, once) = voicemail_action(addr, Some(&ada), first, "read").await;
    assert_eq!(status, 200, "{once}");
    assert_eq!(once["voicemail"]["read"], true);
    assert_eq!(
        next_of(&mut ws, "voicemail.updated").await["voicemail"],
        once["voicemail"]
    );
    let (status, twice) = voicemail_action(addr, Some(&ada), first, "read").await;
    assert_eq!(
        (status, &twice),
        (200, &once),
        "reading twice changes nothing"
    );
    assert_eq!(voicemails(addr, &ada).await["unread"], 1);

    let (status, closed) = voicemail_action(addr, Some(&ada), second, "close").await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(
        (&closed["voicemail"]["closed"], &closed["voicemail"]["read"]),
        (&json!(true), &json!(true))
    );
    // The repeated read sent nothing: the next update is the close.
    assert_eq!(
        next_of(&mut ws, "voicemail.updated").await["voicemail"],
        closed["voicemail"]
    );
    let (status, again) = voicemail_action(addr, Some(&ada), second, "close").await;
    assert_eq!((status, &again), (200, &closed));
    let v = voicemails(addr, &ada).await;
    assert_eq!(
        (ids(&v["voicemails"]), &v["unread"]),
        (vec![first], &json!(0))
    );

    for action in ["read", "close"] {
        let (status, v) = voicemail_action(addr, Some(&ada), 12_345, action).await;
        assert_eq!((status, v), (404, json!({"error": "no such voicemail"})));
        let (status, _) = voicemail_action(addr, None, first, action).await;
        assert_eq!(status, 401);
    }
    let (status, _) = http_json(
        addr,
        "POST",
        "/platform/voicemails/x/read",
        None,
        Some(&ada),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_call_back_of_a_voicemail_marks_it_called_back_and_shows_in_the_history() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let vm = voicemail(addr, CUSTOMER).await["call_id"].as_u64().unwrap();
    let mut ws = events(addr, &ada).await;
    let (status, v) = place_call(addr, &ada, json!({"callback_of": {"voicemail": vm}})).await;
    assert_eq!(status, 201, "{v}");
    let id = v["call"]["id"].as_u64().unwrap();
    let updated = next_of(&mut ws, "voicemail.updated").await;
    assert_eq!(
        (
            &updated["voicemail"]["called_back"],
            &updated["voicemail"]["read"]
        ),
        (&json!(true), &json!(true))
    );
    let listed_vm = voicemails(addr, &ada).await;
    assert_eq!(
        (
            &listed_vm["voicemails"][0]["called_back"],
            &listed_vm["unread"]
        ),
        (&json!(true), &json!(0))
    );
    assert_eq!(
        listed(addr, &ada, id).await["callback_of"],
        json!({"voicemail": vm})
    );
    // A call back of one of the agent's calls.
    let (status, v) = place_call(addr, &ada, json!({"callback_of": {"call": id}})).await;
    assert_eq!(status, 201, "{v}");
    let again = v["call"]["id"].as_u64().unwrap();
    assert_eq!(
        listed(addr, &ada, again).await["callback_of"],
        json!({"call": id})
    );
}

#[tokio::test]
async fn an_invalid_callback_of_is_a_422_and_places_no_call() {
    let addr = start().await;
    let (ada, _) = sign_in(addr, ADA).await;
    let (ben, _) = sign_in(addr, BEN).await;
    let vm = voicemail(addr, CUSTOMER).await["call_id"].as_u64().unwrap();
    let (_, v) = place_call(addr, &ben, json!({})).await;
    let bens = v["call"]["id"].as_u64().unwrap();
    let before = every_call(addr).await.len();
    for bad in [
        json!({"voicemail": 12_345}),
        json!({"call": 12_345}),
        json!({"call": bens}),
        json!({"voicemail": vm, "call": bens}),
        json!({"voicemail": "x"}),
        json!({"ticket": 1}),
        json!({}),
        json!("voicemail"),
        json!([vm]),
    ] {
        let (status, v) = place_call(addr, &ada, json!({"callback_of": bad})).await;
        assert_eq!(status, 422, "{bad}: {v}");
        assert!(
            v["error"].as_str().unwrap().starts_with("callback_of: "),
            "{v}"
        );
    }
    assert_eq!(every_call(addr).await.len(), before, "no call placed");
    assert_eq!(
        voicemails(addr, &ada).await["voicemails"][0]["called_back"],
        false
    );
}
