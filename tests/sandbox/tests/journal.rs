//! The platform's journal (`POST /platform/agent/journal`): what a frame without browser storage
//! keeps there, and the order of one tab's requests.

use serde_json::{json, Value};

use sandbox::testkit::{http_json as http, sign_in_agent as sign_in, start_quiet as start};

async fn sync(addr: std::net::SocketAddr, token: &str, body: Value) -> Value {
    let (status, v) = http(
        addr,
        "POST",
        "/platform/agent/journal",
        Some(body),
        Some(token),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v["entries"].clone()
}

#[tokio::test]
async fn a_tabs_older_request_changes_nothing_once_a_newer_one_landed() {
    let addr = start().await;
    let (token, _) = sign_in(addr, "ada@sandbox.test").await;
    // Tab t1's page goes: its last words (seq 2, in two requests) land first.
    sync(
        addr,
        &token,
        json!({"set": {"lease": null, "alive.t1": null}, "from": {"tab": "t1", "seq": 2}}),
    )
    .await;
    let after = sync(
        addr,
        &token,
        json!({"set": {"outbox.t1": "placed+event"}, "from": {"tab": "t1", "seq": 2}}),
    )
    .await;
    assert_eq!(
        after,
        json!({"outbox.t1": "placed+event"}),
        "both last words"
    );
    // Tab t2 takes t1's outbox over and leads.
    let after = sync(
        addr,
        &token,
        json!({"set": {"outbox.t1": null, "outbox.t2": "placed+event", "lease": "t2"},
               "from": {"tab": "t2", "seq": 1}}),
    )
    .await;
    assert_eq!(after, json!({"lease": "t2", "outbox.t2": "placed+event"}));
    // Then t1's exchange cut short by its reload (seq 1) lands: it changes nothing, neither
    // what t1 said last nor what t2 wrote since.
    let after = sync(
        addr,
        &token,
        json!({"set": {"outbox.t1": "placed", "lease": "t1", "alive.t1": "9"},
               "from": {"tab": "t1", "seq": 1}}),
    )
    .await;
    assert_eq!(after, json!({"lease": "t2", "outbox.t2": "placed+event"}));
    // A request without `from` (a sign-in taking the hand-over back) is applied as it comes,
    // and t2's next request as well.
    let after = sync(addr, &token, json!({"set": {"handed": "x"}})).await;
    assert_eq!(after["handed"], "x");
    let after = sync(
        addr,
        &token,
        json!({"set": {"handed": null}, "from": {"tab": "t2", "seq": 2}}),
    )
    .await;
    assert_eq!(after, json!({"lease": "t2", "outbox.t2": "placed+event"}));
}
