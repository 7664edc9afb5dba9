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
async fn a_tabs_older_request_never_undoes_its_newer_one() {
    let addr = start().await;
    let (token, _) = sign_in(addr, "ada@sandbox.test").await;
    // The page's last word (seq 2) lands before its exchange cut short by the reload (seq 1).
    sync(
        addr,
        &token,
        json!({"set": {"outbox.t1": "placed+event", "lease": null}, "from": {"tab": "t1", "seq": 2}}),
    )
    .await;
    let after = sync(
        addr,
        &token,
        json!({"set": {"outbox.t1": "placed", "lease": "t1"}, "from": {"tab": "t1", "seq": 1}}),
    )
    .await;
    assert_eq!(
        after,
        json!({"outbox.t1": "placed+event"}),
        "neither key undone"
    );
    // Another tab's request is not older than t1's: the last one wins, as in localStorage.
    let after = sync(
        addr,
        &token,
        json!({"set": {"outbox.t1": null, "lease": "t2"}, "from": {"tab": "t2", "seq": 1}}),
    )
    .await;
    assert_eq!(after, json!({"lease": "t2"}));
    // A request without `from` (a sign-in's hand-over) is applied as it comes.
    let after = sync(addr, &token, json!({"set": {"outbox.t1": "handed"}})).await;
    assert_eq!(after, json!({"lease": "t2", "outbox.t1": "handed"}));
    // t1's newer request still wins over its older ones.
    let after = sync(
        addr,
        &token,
        json!({"set": {"lease": "t1"}, "from": {"tab": "t1", "seq": 3}}),
    )
    .await;
    assert_eq!(after["lease"], "t1");
}
