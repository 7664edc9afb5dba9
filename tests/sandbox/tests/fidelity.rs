//! The Zendesk emulator as Zendesk documents it (issue #18), each behaviour tested on the
//! sandbox alone: audit metadata, authentication, pagination, search index lag, bulk jobs that
//! take their time, phone rules, ticket fields, search types, side-loads and bad JSON.

use serde_json::{json, Value};

use sandbox::testkit::{http, start, state};

async fn ticket_with_status(addr: std::net::SocketAddr, status: &str) -> u64 {
    state(addr).await["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == status)
        .and_then(|t| t["id"].as_u64())
        .expect("ticket")
}

async fn audits(addr: std::net::SocketAddr, ticket: u64) -> Vec<Value> {
    let r = http(
        addr,
        "GET",
        &format!("/api/v2/tickets/{ticket}/audits.json"),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["audits"].as_array().cloned().unwrap_or_default()
}

// Tickets API, "Setting Metadata": the `metadata` sent is the audit's `metadata.custom`; an
// update that changes nothing makes no audit.
#[tokio::test]
async fn update_metadata_is_the_audits_custom_metadata_and_no_change_makes_no_audit() {
    let addr = start("default").await;
    let open = ticket_with_status(addr, "open").await;
    let before = audits(addr, open).await.len();
    let body = json!({"ticket": {"comment": {"body": "noted", "public": false},
        "metadata": {"op_key": "call-1.0"}}});
    let r = http(
        addr,
        "PUT",
        &format!("/api/v2/tickets/{open}.json"),
        Some(body),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json()["audit"]["metadata"]["custom"],
        json!({"op_key": "call-1.0"})
    );
    let all = audits(addr, open).await;
    assert_eq!(all.len(), before + 1);
    assert_eq!(all[before]["metadata"]["custom"]["op_key"], "call-1.0");
    assert!(all[before]["metadata"]["system"].is_object());

    // The same status again, with metadata: nothing changes, no audit, no metadata kept.
    let body = json!({"ticket": {"status": "open", "metadata": {"op_key": "call-1.1"}}});
    let r = http(
        addr,
        "PUT",
        &format!("/api/v2/tickets/{open}.json"),
        Some(body),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json().get("audit").is_none(), "{}", r.text);
    let after = audits(addr, open).await;
    assert_eq!(
        after.len(),
        before + 1,
        "no audit for an update that changed nothing"
    );
    assert!(!after
        .iter()
        .any(|a| a["metadata"]["custom"]["op_key"] == "call-1.1"));
}
