//! The Zendesk emulator as Zendesk documents it (issue #18), each behaviour tested on the
//! sandbox alone: audit metadata, authentication, pagination, search index lag, bulk jobs that
//! take their time, phone rules, ticket fields, search types, side-loads and bad JSON.

use serde_json::{json, Value};

use sandbox::testkit::{
    api_token_auth, caller_and_agent, http, http_anonymous, http_text, start, state, API_EMAIL,
};

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

// #17: the Zendesk API needs credentials, as Zendesk's does: the API token over Basic
// (`{email}/token:{token}`) or the workspace's agent session; 401 with Zendesk's body otherwise.
#[tokio::test]
async fn the_api_needs_an_api_token_or_the_workspace_session() {
    let addr = start("default").await;
    let open = ticket_with_status(addr, "open").await;
    let path = format!("/api/v2/tickets/{open}.json");
    let no_one = http_anonymous(addr, "GET", &path, None, &[]).await;
    assert_eq!(no_one.status, 401);
    assert_eq!(no_one.json(), json!({"error": "Couldn't authenticate you"}));
    // The old unauthenticated header names no one.
    let forged = http_anonymous(addr, "GET", &path, None, &[("x-sandbox-user", "1")]).await;
    assert_eq!(forged.status, 401);
    let wrong = format!(
        "Basic {}",
        "YWRhQHNhbmRib3gudGVzdC90b2tlbjp3cm9uZw==" // ada@sandbox.test/token:wrong
    );
    let r = http_anonymous(addr, "GET", &path, None, &[("Authorization", &wrong)]).await;
    assert_eq!(r.status, 401);
    let s = state(addr).await;
    let end_user = s["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["role"] == "end-user" && u["email"].is_string())
        .and_then(|u| u["email"].as_str())
        .unwrap()
        .to_string();
    let as_end_user = api_token_auth(&end_user);
    let r = http_anonymous(addr, "GET", &path, None, &[("Authorization", &as_end_user)]).await;
    assert_eq!(r.status, 401, "an end user's token call is refused");
    let ok = api_token_auth(API_EMAIL);
    let r = http_anonymous(addr, "GET", &path, None, &[("Authorization", &ok)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // `users/me` without credentials is the anonymous user, as on Zendesk.
    let me = http_anonymous(addr, "GET", "/api/v2/users/me.json", None, &[]).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["user"]["id"], Value::Null);
    // The 401s are in the request log like any answer.
    let log = http(addr, "GET", "/_sandbox/requests", None, None)
        .await
        .json();
    let statuses: Vec<u64> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["status"].as_u64())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        4,
        "{statuses:?}"
    );

    // The workspace's session: its cookie authenticates as the agent, who authors the writes.
    let (_, agent) = caller_and_agent(addr).await;
    let other = s["agents"][1]["zendesk_user_id"].as_u64().unwrap();
    let r = http(
        addr,
        "POST",
        "/_sandbox/zendesk_session",
        Some(json!({"user_id": other})),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let set = r
        .header("set-cookie")
        .expect("a session cookie")
        .to_string();
    let cookie = set.split(';').next().unwrap().to_string();
    assert!(cookie.starts_with("_zendesk_session="), "{set}");
    let body = json!({"ticket": {"comment": {"body": "from the workspace", "public": false}}});
    let r = http_anonymous(addr, "PUT", &path, Some(body), &[("Cookie", &cookie)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["audit"]["author_id"], other);
    assert_ne!(other, agent);
    let bad = http_anonymous(
        addr,
        "GET",
        &path,
        None,
        &[("Cookie", "_zendesk_session=nope")],
    )
    .await;
    assert_eq!(bad.status, 401);
    // Sessions are for agents only.
    let caller = s["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["role"] == "end-user")
        .and_then(|u| u["id"].as_u64())
        .unwrap();
    let r = http(
        addr,
        "POST",
        "/_sandbox/zendesk_session",
        Some(json!({"user_id": caller})),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
}

// #17: static files only from inside the app folder, whatever form the path takes.
#[tokio::test]
async fn static_files_are_served_only_from_inside_the_app_folder() {
    let root = std::env::temp_dir().join(format!("sandbox-traversal-{}", std::process::id()));
    let app_dir = root.join("app");
    std::fs::create_dir_all(&app_dir).unwrap();
    std::fs::write(app_dir.join("index.html"), "<p>the app</p>").unwrap();
    std::fs::write(root.join("secret.txt"), "outside the app folder").unwrap();
    let addr = sandbox::start(sandbox::state::Config {
        fixture: "default".into(),
        app_dir: app_dir.clone(),
        rate_limit: sandbox::state::DEFAULT_RATE_LIMIT,
        queue_file: None,
        zaf_sdk: std::path::PathBuf::from("/nonexistent"),
        port: 0,
        timing: Default::default(),
    })
    .await
    .unwrap();
    let ok = http(addr, "GET", "/app/index.html", None, None).await;
    assert_eq!(ok.status, 200);
    assert!(ok.text.contains("the app"));
    let absolute = format!(
        "/app/{}",
        root.join("secret.txt")
            .display()
            .to_string()
            .replace('/', "%2F")
    );
    for path in [
        "/app/%2Fetc%2Fpasswd",
        "/app/../secret.txt",
        "/app/..%2fsecret.txt",
        "/app/..%2F..%2FCargo.toml",
        "/app/..%2f..%2fCargo.toml",
        "/app/../Cargo.toml",
        "/app/%2e%2e/secret.txt",
        "/app/.%2e/secret.txt",
        "/app/..%5csecret.txt",
        absolute.as_str(),
    ] {
        let r = http(addr, "GET", path, None, None).await;
        assert_ne!(r.status, 200, "{path}: {}", r.text);
        assert!(
            !r.text.contains("outside the app folder")
                && !r.text.contains("root:")
                && !r.text.contains("[package]"),
            "{path}: {}",
            r.text
        );
    }
}

/// Creates `n` tickets requested by `requester`; their ids, oldest first.
async fn tickets_for(addr: std::net::SocketAddr, requester: u64, n: usize) -> Vec<u64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let body = json!({"ticket": {"subject": format!("T{i}"), "requester_id": requester,
            "comment": {"body": format!("ticket {i}"), "public": false}}});
        let r = http(addr, "POST", "/api/v2/tickets.json", Some(body), None).await;
        assert_eq!(r.status, 201, "{}", r.text);
        ids.push(r.json()["ticket"]["id"].as_u64().unwrap());
    }
    ids
}

/// A path on the sandbox from a Zendesk link (`http://127.0.0.1:PORT/api/v2/…`).
fn path_of(link: &Value) -> String {
    let link = link.as_str().expect("a link");
    link[link.find("/api/v2/").unwrap()..].to_string()
}

// Pagination: at most 100 per page whatever is asked; offset (`next_page`, `count`) and
// cursor (`page[size]`, `meta.has_more`, `links.next`) both lead through all 150 tickets.
#[tokio::test]
async fn a_user_with_150_requested_tickets_is_read_in_pages() {
    let addr = start("default").await;
    let (caller, _) = caller_and_agent(addr).await;
    let before = http(
        addr,
        "GET",
        &format!("/api/v2/users/{caller}/tickets/requested.json"),
        None,
        None,
    )
    .await
    .json()["count"]
        .as_u64()
        .unwrap() as usize;
    tickets_for(addr, caller, 150).await;
    let total = before + 150;

    // Offset: per_page above 100 is capped; next_page until null.
    let mut seen = std::collections::BTreeSet::new();
    let mut next = Some(format!(
        "/api/v2/users/{caller}/tickets/requested.json?sort_by=created_at&sort_order=desc&per_page=500"
    ));
    let mut pages = 0;
    while let Some(path) = next {
        let j = http(addr, "GET", &path, None, None).await.json();
        let page = j["tickets"].as_array().unwrap();
        assert!(page.len() <= 100, "a page holds at most 100");
        assert_eq!(j["count"].as_u64().unwrap() as usize, total);
        seen.extend(page.iter().map(|t| t["id"].as_u64().unwrap()));
        next = j["next_page"].as_str().map(|_| path_of(&j["next_page"]));
        pages += 1;
    }
    assert_eq!((pages, seen.len()), (total.div_ceil(100), total));

    // Cursor: page[size] 100, has_more and links.next; newest first across pages.
    let mut ids = Vec::new();
    let mut next = Some(format!(
        "/api/v2/users/{caller}/tickets/requested.json?sort_by=created_at&sort_order=desc&page[size]=100"
    ));
    while let Some(path) = next {
        let j = http(addr, "GET", &path, None, None).await.json();
        assert!(j.get("count").is_none(), "cursor pages have no count");
        ids.extend(
            j["tickets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_u64().unwrap()),
        );
        next = (j["meta"]["has_more"] == true).then(|| path_of(&j["links"]["next"]));
    }
    assert_eq!(ids.len(), total);
    let mut sorted = ids.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted, "newest first across pages");
}

// Comments: 250 on one ticket, read newest first with `sort_order=desc`, 100 at a time.
#[tokio::test]
async fn a_ticket_with_250_comments_is_read_newest_first_in_pages() {
    let addr = start("default").await;
    let (caller, _) = caller_and_agent(addr).await;
    let ticket = tickets_for(addr, caller, 1).await[0];
    for i in 1..250 {
        let body =
            json!({"ticket": {"comment": {"body": format!("comment {i}"), "public": false}}});
        let r = http(
            addr,
            "PUT",
            &format!("/api/v2/tickets/{ticket}.json"),
            Some(body),
            None,
        )
        .await;
        assert_eq!(r.status, 200);
    }
    let path = format!("/api/v2/tickets/{ticket}/comments.json");
    let asc = http(addr, "GET", &path, None, None).await.json();
    assert_eq!(asc["comments"].as_array().unwrap().len(), 100);
    assert_eq!(asc["count"], 250);
    assert_eq!(
        asc["comments"][0]["body"], "ticket 0",
        "oldest first by default"
    );
    let desc = http(
        addr,
        "GET",
        &format!("{path}?sort_order=desc&page[size]=100"),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(desc["comments"][0]["body"], "comment 249", "newest first");
    assert_eq!(desc["meta"]["has_more"], true);
    let mut bodies: Vec<String> = Vec::new();
    let mut next = Some(format!("{path}?sort_order=desc&page[size]=100"));
    while let Some(p) = next {
        let j = http(addr, "GET", &p, None, None).await.json();
        bodies.extend(
            j["comments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["body"].as_str().unwrap().to_string()),
        );
        next = (j["meta"]["has_more"] == true).then(|| path_of(&j["links"]["next"]));
    }
    assert_eq!(bodies.len(), 250);
    assert_eq!(bodies.last().map(String::as_str), Some("ticket 0"));
}

// Search lags writes: with a 2 s index lag a new user is read by id at once but found by
// `users/search` and `search` only after the lag. The platform keeps its own record of the
// contacts it created, so a caller who calls again within the lag is found, not duplicated.
#[tokio::test]
async fn search_lags_new_users_and_the_platform_does_not_duplicate_a_new_caller() {
    let addr = start("default").await;
    let r = http(
        addr,
        "PUT",
        "/_sandbox/timing",
        Some(json!({"search_lag_ms": 2000})),
        None,
    )
    .await;
    assert_eq!(r.json()["search_lag_ms"], 2000);
    let body = json!({"user": {"name": "Lagging", "phone": "+14155550199", "role": "end-user"}});
    let r = http(addr, "POST", "/api/v2/users.json", Some(body), None).await;
    let id = r.json()["user"]["id"].as_u64().unwrap();
    let users_search = "/api/v2/users/search.json?query=phone:*4155550199";
    let search = "/api/v2/search.json?query=type:user%20phone:14155550199";
    let found = |j: Value, key: &str| {
        j[key]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"].as_u64() == Some(id))
    };
    assert!(!found(
        http(addr, "GET", users_search, None, None).await.json(),
        "users"
    ));
    assert!(!found(
        http(addr, "GET", search, None, None).await.json(),
        "results"
    ));
    let by_id = http(addr, "GET", &format!("/api/v2/users/{id}.json"), None, None).await;
    assert_eq!(by_id.status, 200, "a read by id is at once");

    // The platform: two abandoned calls from a new number within the lag make one contact.
    let number = "+14155550123";
    for _ in 0..2 {
        let r = http(
            addr,
            "POST",
            "/_sandbox/events",
            Some(json!({"type": "abandoned", "from": number, "menu": "Sales"})),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["rules"]["error"], Value::Null, "{}", r.text);
    }
    let s = state(addr).await;
    let callers: Vec<&Value> = s["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["phone"] == number)
        .collect();
    assert_eq!(callers.len(), 1, "one contact for the caller, not two");

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert!(found(
        http(addr, "GET", users_search, None, None).await.json(),
        "users"
    ));
    assert!(found(
        http(addr, "GET", search, None, None).await.json(),
        "results"
    ));
}

// The index lags a deletion too: a user deleted within the lag is gone from reads by id at
// once (404) and still found by both searches, soft-deleted (`active: false`), until the lag
// has passed. Without a lag, no search finds them.
#[tokio::test]
async fn search_lags_a_deleted_user_and_shows_them_soft_deleted() {
    let addr = start("default").await;
    let r = http(
        addr,
        "PUT",
        "/_sandbox/timing",
        Some(json!({"search_lag_ms": 1500})),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Created without the lag's wait: made searchable by waiting it out first.
    let id = new_user(addr, "Deleted Soon", "+14155550177", "end-user").await;
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let users_search = "/api/v2/users/search.json?query=phone:*4155550177";
    let search = "/api/v2/search.json?query=type:user%20phone:14155550177";
    let shown = |j: &Value, key: &str| -> Option<Value> {
        j[key]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"].as_u64() == Some(id))
            .map(|u| u["active"].clone())
    };
    let before = http(addr, "GET", users_search, None, None).await.json();
    assert_eq!(shown(&before, "users"), Some(json!(true)));
    let r = http(
        addr,
        "DELETE",
        &format!("/api/v2/users/{id}.json"),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let by_id = http(addr, "GET", &format!("/api/v2/users/{id}.json"), None, None).await;
    assert_eq!(by_id.status, 404, "gone from reads by id at once");
    let stale = http(addr, "GET", users_search, None, None).await.json();
    assert_eq!(shown(&stale, "users"), Some(json!(false)), "{stale}");
    let stale = http(addr, "GET", search, None, None).await.json();
    assert_eq!(shown(&stale, "results"), Some(json!(false)), "{stale}");
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let after = http(addr, "GET", users_search, None, None).await.json();
    assert_eq!(shown(&after, "users"), None, "{after}");
    let after = http(addr, "GET", search, None, None).await.json();
    assert_eq!(shown(&after, "results"), None, "{after}");

    // Created and deleted within the lag: the index never had them, and never finds them.
    let brief = new_user(addr, "Brief", "+14155550179", "end-user").await;
    let r = http(
        addr,
        "DELETE",
        &format!("/api/v2/users/{brief}.json"),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let never = http(
        addr,
        "GET",
        "/api/v2/users/search.json?query=phone:*4155550179",
        None,
        None,
    )
    .await;
    assert!(ids(&never.json(), "users").is_empty(), "{}", never.text);

    // No lag: gone from the searches at once.
    let r = http(
        addr,
        "PUT",
        "/_sandbox/timing",
        Some(json!({"search_lag_ms": 0})),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let other = new_user(addr, "Deleted Now", "+14155550178", "end-user").await;
    let r = http(
        addr,
        "DELETE",
        &format!("/api/v2/users/{other}.json"),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let now = http(
        addr,
        "GET",
        "/api/v2/users/search.json?query=phone:*4155550178",
        None,
        None,
    )
    .await;
    assert!(ids(&now.json(), "users").is_empty(), "{}", now.text);
}

// Bulk jobs take their time: with a job delay, `update_many` is `queued`, then `working`, and
// only then applied and `completed`; the tickets do not show the change before.
#[tokio::test]
async fn bulk_jobs_are_queued_then_working_then_completed() {
    let addr = start("default").await;
    http(
        addr,
        "PUT",
        "/_sandbox/timing",
        Some(json!({"job_delay_ms": 300})),
        None,
    )
    .await;
    let open = ticket_with_status(addr, "open").await;
    let body = json!({"tickets": [{"id": open, "comment": {"body": "batched", "public": false},
        "metadata": {"op_keys": ["k1"]}}]});
    let r = http(
        addr,
        "PUT",
        "/api/v2/tickets/update_many.json",
        Some(body),
        None,
    )
    .await;
    let id = r.json()["job_status"]["id"].as_str().unwrap().to_string();
    let poll = || async {
        http(
            addr,
            "GET",
            &format!("/api/v2/job_statuses/{id}.json"),
            None,
            None,
        )
        .await
        .json()["job_status"]
            .clone()
    };
    let comments = || async {
        let s = state(addr).await;
        s["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == open)
            .map(|t| t["comments"].as_array().unwrap().len())
            .unwrap()
    };
    let before = comments().await;
    assert_eq!(poll().await["status"], "queued");
    assert_eq!(comments().await, before, "not applied while queued");
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    let working = poll().await;
    assert_eq!(working["status"], "working");
    assert_eq!(working["results"], Value::Null);
    assert_eq!(comments().await, before, "not applied while working");
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    let done = poll().await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["results"][0]["success"], true);
    assert_eq!(comments().await, before + 1);
    let all = audits(addr, open).await;
    assert_eq!(
        all.last().unwrap()["metadata"]["custom"]["op_keys"],
        json!(["k1"])
    );
}

// Phones as Zendesk takes them: 422 for a phone that is not one, and a phone identity belongs
// to one user only.
#[tokio::test]
async fn phones_are_checked_and_owned_once() {
    let addr = start("default").await;
    let body = json!({"user": {"name": "Pat", "phone": "+14155550111", "role": "end-user"}});
    let r = http(addr, "POST", "/api/v2/users.json", Some(body), None).await;
    assert_eq!(r.status, 201);
    let pat = r.json()["user"]["id"].as_u64().unwrap();
    let bad = json!({"user": {"name": "Bad", "phone": "call me maybe", "role": "end-user"}});
    let r = http(addr, "POST", "/api/v2/users.json", Some(bad), None).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["details"]["phone"][0]["error"], "InvalidValue");
    let r = http(
        addr,
        "PUT",
        &format!("/api/v2/users/{pat}.json"),
        Some(json!({"user": {"phone": "12"}})),
        None,
    )
    .await;
    assert_eq!(r.status, 422);

    // An identity another user has is refused.
    let body = json!({"identity": {"type": "phone_number", "value": "+14155550222"}});
    let r = http(
        addr,
        "POST",
        &format!("/api/v2/users/{pat}/identities.json"),
        Some(body.clone()),
        None,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let body2 = json!({"user": {"name": "Quinn", "role": "end-user"}});
    let quinn = http(addr, "POST", "/api/v2/users.json", Some(body2), None)
        .await
        .json()["user"]["id"]
        .as_u64()
        .unwrap();
    let r = http(
        addr,
        "POST",
        &format!("/api/v2/users/{quinn}/identities.json"),
        Some(body),
        None,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["details"]["value"][0]["error"], "DuplicateValue");
}

/// Creates a user; their id.
async fn new_user(addr: std::net::SocketAddr, name: &str, phone: &str, role: &str) -> u64 {
    let body = json!({"user": {"name": name, "phone": phone, "role": role}});
    let r = http(addr, "POST", "/api/v2/users.json", Some(body), None).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["user"]["id"].as_u64().unwrap()
}

/// The ids in a list answer under `key`.
fn ids(answer: &Value, key: &str) -> Vec<u64> {
    answer[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {answer}"))
        .iter()
        .filter_map(|r| r["id"].as_u64())
        .collect()
}

// Talk Partner Edition guide: leave the `+` out of a phone search. A `phone:` value with a `+`
// finds no one (200, no results), in `search` and in `users/search`; the digits find the user.
#[tokio::test]
async fn a_phone_search_with_a_plus_finds_no_one() {
    let addr = start("default").await;
    let pat = new_user(addr, "Pat Plus", "+14155550131", "end-user").await;
    for path in [
        "/api/v2/search.json?query=type:user%20phone:%2B14155550131",
        "/api/v2/users/search.json?query=phone:%2B14155550131",
        "/api/v2/users/search.json?query=phone:*%2B14155550131",
        "/api/v2/users/search.json?query=role:end-user%20phone:%2B14155550131",
    ] {
        let r = http(addr, "GET", path, None, None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        let j = r.json();
        assert_eq!(j["count"], 0, "{path}: {j}");
    }
    for (path, key) in [
        (
            "/api/v2/search.json?query=type:user%20phone:14155550131",
            "results",
        ),
        ("/api/v2/users/search.json?query=phone:14155550131", "users"),
        ("/api/v2/users/search.json?query=phone:*155550131", "users"),
    ] {
        let j = http(addr, "GET", path, None, None).await.json();
        assert_eq!(ids(&j, key), vec![pat], "{path}: {j}");
    }
}

// Search API: `role:end-user` keeps agents out. The adapter looks a caller up with
// `role:end-user phone:*<last 9 digits>` (`agent_adapter::zendesk::phone_search_query`, whose
// unit test pins that form): an agent whose profile has the caller's number is not returned,
// though the same search without the role finds both.
#[tokio::test]
async fn an_agent_with_the_callers_number_is_not_taken_for_the_caller() {
    let addr = start("default").await;
    let number = "+14155550142";
    let caller = new_user(addr, "Cal Caller", number, "end-user").await;
    let agent = new_user(addr, "Agnes Agent", number, "agent").await;
    let adapters_query = "role:end-user%20phone:*155550142";
    let path = format!(
        "/api/v2/users/search.json?query={adapters_query}&include=open_ticket_count&per_page=100"
    );
    let j = http(addr, "GET", &path, None, None).await.json();
    assert_eq!(ids(&j, "users"), vec![caller], "{j}");
    assert!(j["open_ticket_count"].get(agent.to_string()).is_none());
    let j = http(
        addr,
        "GET",
        &format!("/api/v2/search.json?query={adapters_query}"),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(ids(&j, "results"), vec![caller], "{j}");
    // Without the role, both.
    let j = http(
        addr,
        "GET",
        "/api/v2/users/search.json?query=phone:*155550142",
        None,
        None,
    )
    .await
    .json();
    let mut both = ids(&j, "users");
    both.sort_unstable();
    assert_eq!(both, vec![caller, agent], "{j}");
}

// Ticket Fields API, "List Ticket Fields": the system fields (subject, description, status,
// type, priority, group, assignee) come first, then the custom ones; ids and positions in the
// same order. `removable` does not tell system from custom (Zendesk says true for the system
// type and priority fields): the custom ones are those of a custom type.
#[tokio::test]
async fn ticket_fields_list_the_system_fields_before_the_custom_ones() {
    let addr = start("default").await;
    let j = http(addr, "GET", "/api/v2/ticket_fields.json", None, None)
        .await
        .json();
    let all = j["ticket_fields"].as_array().unwrap().clone();
    let kinds: Vec<&str> = all.iter().map(|f| f["type"].as_str().unwrap()).collect();
    let system = [
        "subject",
        "description",
        "status",
        "tickettype",
        "priority",
        "group",
        "assignee",
    ];
    assert_eq!(kinds[..7], system, "{kinds:?}");
    let removable: Vec<bool> = all[..7]
        .iter()
        .map(|f| f["removable"].as_bool().unwrap())
        .collect();
    assert_eq!(
        removable,
        [false, false, false, true, true, false, false],
        "as Zendesk answers"
    );
    assert_eq!(
        all[2]["system_field_options"][0],
        json!({"name": "Open", "value": "open"})
    );
    assert_eq!(all[4]["system_field_options"][3]["value"], "urgent");
    let custom_types = sandbox::zendesk::CUSTOM_FIELD_TYPES;
    let custom: Vec<&Value> = all
        .iter()
        .filter(|f| custom_types.contains(&f["type"].as_str().unwrap()))
        .collect();
    let world = state(addr).await;
    let fixture_custom: Vec<&Value> = world["ticket_fields"].as_array().unwrap().iter().collect();
    assert_eq!(custom.len(), fixture_custom.len());
    assert_eq!(
        all.len(),
        7 + custom.len(),
        "system, then custom, nothing else"
    );
    for (f, x) in custom.iter().zip(&fixture_custom) {
        assert_eq!((&f["id"], &f["title"]), (&x["id"], &x["title"]));
    }
    let positions: Vec<u64> = all
        .iter()
        .map(|f| f["position"].as_u64().unwrap())
        .collect();
    let id_order: Vec<u64> = all.iter().map(|f| f["id"].as_u64().unwrap()).collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]), "{positions:?}");
    assert!(id_order.windows(2).all(|p| p[0] < p[1]), "{id_order:?}");
    assert!(id_order[0] > u64::from(u32::MAX));

    // A system field by id; cursor pages by id start with the system fields.
    let status_id = all[2]["id"].as_u64().unwrap();
    let one = http(
        addr,
        "GET",
        &format!("/api/v2/ticket_fields/{status_id}.json"),
        None,
        None,
    )
    .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["ticket_field"]["type"], "status");
    let page = http(
        addr,
        "GET",
        "/api/v2/ticket_fields.json?page[size]=5",
        None,
        None,
    )
    .await
    .json();
    assert_eq!(ids(&page, "ticket_fields"), id_order[..5]);
    assert_eq!(page["meta"]["has_more"], true);

    // A new custom field is listed after the others.
    let r = http(
        addr,
        "POST",
        "/api/v2/ticket_fields.json",
        Some(json!({"ticket_field": {"type": "text", "title": "Priority"}})),
        None,
    )
    .await;
    assert_eq!(r.status, 201);
    let created = r.json()["ticket_field"].clone();
    let j = http(addr, "GET", "/api/v2/ticket_fields.json", None, None)
        .await
        .json();
    let last = j["ticket_fields"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last, created);
    assert_eq!(j["ticket_fields"][4]["title"], "Priority");
    assert_eq!(j["ticket_fields"][4]["type"], "priority");
}

// Search API: a query without `type:` returns every type that matches, users and tickets,
// each with its `result_type`; `type:user` and `type:ticket` return that type only.
#[tokio::test]
async fn a_search_without_type_returns_users_and_tickets() {
    let addr = start("default").await;
    let user = new_user(addr, "Zephyrine Quill", "+14155550153", "end-user").await;
    let body = json!({"ticket": {"subject": "Zephyrine printer on fire", "requester_id": user,
        "comment": {"body": "smoke", "public": false}}});
    let r = http(addr, "POST", "/api/v2/tickets.json", Some(body), None).await;
    assert_eq!(r.status, 201);
    let ticket = r.json()["ticket"]["id"].as_u64().unwrap();
    let both = vec![("ticket".to_string(), ticket), ("user".to_string(), user)];
    assert_eq!(search_results(addr, "zephyrine").await, both);
    assert_eq!(
        search_results(addr, "type:user%20zephyrine").await,
        both[1..]
    );
    assert_eq!(
        search_results(addr, "type:ticket%20zephyrine").await,
        both[..1]
    );
    assert_eq!(
        search_results(addr, "type:organization%20zephyrine").await,
        vec![]
    );
    // Properties of one type find only that type.
    assert_eq!(search_results(addr, "phone:*155550153").await, both[1..]);
    assert_eq!(
        search_results(addr, &format!("requester:{user}")).await,
        both[..1]
    );
}

/// `search` for `query` (encoded): (`result_type`, id) of every result, sorted.
async fn search_results(addr: std::net::SocketAddr, query: &str) -> Vec<(String, u64)> {
    let j = http(
        addr,
        "GET",
        &format!("/api/v2/search.json?query={query}"),
        None,
        None,
    )
    .await
    .json();
    let mut out: Vec<(String, u64)> = j["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{j}"))
        .iter()
        .map(|r| {
            let kind = r["result_type"].as_str().expect("a result_type");
            (kind.to_string(), r["id"].as_u64().unwrap())
        })
        .collect();
    out.sort();
    assert_eq!(j["count"].as_u64(), Some(out.len() as u64), "{j}");
    out
}

// Side-Loading: `include=users` on a ticket, a ticket list and a user's requested tickets
// brings the requester (and submitter, assignee) along; `open_ticket_count` on a user; names
// an endpoint does not offer are ignored, the answer is as without them.
#[tokio::test]
async fn side_loads_asked_for_come_along_and_unknown_ones_are_ignored() {
    let addr = start("default").await;
    let (caller, agent) = caller_and_agent(addr).await;
    let body = json!({"ticket": {"subject": "Side-loaded", "requester_id": caller,
        "assignee_id": agent, "comment": {"body": "x", "public": false}}});
    let r = http(addr, "POST", "/api/v2/tickets.json", Some(body), None).await;
    let ticket = r.json()["ticket"]["id"].as_u64().unwrap();
    let get = |path: String| async move {
        let r = http(addr, "GET", &path, None, None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        r.json()
    };
    let plain = get(format!("/api/v2/tickets/{ticket}.json")).await;
    assert!(plain.get("users").is_none(), "{plain}");
    let with = get(format!("/api/v2/tickets/{ticket}.json?include=users")).await;
    assert_eq!(with["ticket"], plain["ticket"]);
    let mut users = ids(&with, "users");
    users.sort_unstable();
    let t = &plain["ticket"];
    let mut expected: Vec<u64> = ["requester_id", "submitter_id", "assignee_id"]
        .iter()
        .filter_map(|k| t[*k].as_u64())
        .collect();
    expected.sort_unstable();
    expected.dedup();
    assert!(expected.contains(&caller) && expected.contains(&agent));
    assert_eq!(
        users, expected,
        "the requester, submitter and assignee, each once"
    );
    assert!(with["users"][0]["name"].is_string());
    let mixed = get(format!(
        "/api/v2/tickets/{ticket}.json?include=groups,users,no_such_thing"
    ))
    .await;
    assert_eq!(mixed, with, "unknown side-loads are ignored");
    let unknown = get(format!(
        "/api/v2/tickets/{ticket}.json?include=no_such_thing"
    ))
    .await;
    assert_eq!(unknown, plain);

    let requested = get(format!(
        "/api/v2/users/{caller}/tickets/requested.json?include=users&page[size]=2"
    ))
    .await;
    assert!(ids(&requested, "users").contains(&caller), "{requested}");
    let shown = get(format!(
        "/api/v2/tickets/show_many.json?ids={ticket}&include=users"
    ))
    .await;
    assert!(ids(&shown, "users").contains(&caller));

    // Side-Loading, "Open Ticket Count": open tickets *assigned to* the user. The caller
    // requested the open ticket and is assigned none; the agent is assigned it.
    let count = |user: Value, id: u64| user["open_ticket_count"][id.to_string()].as_u64();
    let user = get(format!(
        "/api/v2/users/{caller}.json?include=open_ticket_count"
    ))
    .await;
    assert_eq!(count(user.clone(), caller), Some(0), "{user}");
    let assignee = get(format!(
        "/api/v2/users/{agent}.json?include=open_ticket_count"
    ))
    .await;
    assert!(count(assignee.clone(), agent) >= Some(1), "{assignee}");
    let bare = get(format!("/api/v2/users/{caller}.json")).await;
    assert!(bare.get("open_ticket_count").is_none());
}

// A body that is not JSON: 400 with Zendesk's `{error, description}` shape (the body's text is
// UNCONFIRMED), nothing changes, and the request is in the request log with its status, like
// any other.
#[tokio::test]
async fn a_body_that_is_not_json_is_answered_400_and_logged() {
    let addr = start("default").await;
    let open = ticket_with_status(addr, "open").await;
    let path = format!("/api/v2/tickets/{open}.json");
    http(addr, "DELETE", "/_sandbox/requests", None, None).await;
    let before = http(addr, "GET", &path, None, None).await.json();
    let broken = r#"{"ticket": {"status": "solved""#;
    let r = http_text(addr, "PUT", &path, broken).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["error"], "InvalidJSON");
    assert!(r.json()["description"].is_string());
    assert!(
        r.header("X-Rate-Limit").is_some(),
        "counted like any request"
    );
    let after = http(addr, "GET", &path, None, None).await.json();
    assert_eq!(after["ticket"]["status"], before["ticket"]["status"]);
    let log = http(addr, "GET", "/_sandbox/requests", None, None)
        .await
        .json();
    let logged: Vec<&Value> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "PUT")
        .collect();
    assert_eq!(logged.len(), 1, "{log}");
    assert_eq!(logged[0]["path"], path.as_str());
    assert_eq!(logged[0]["status"], 400);
    assert_eq!(logged[0]["body"], broken, "the body as sent");
}

// Tickets API, "Protecting against ticket update collisions": a safe update names the
// `updated_stamp` it saw; the ticket updated after it refuses the update with 409
// `UpdateConflict` and keeps nothing of it; the stamp read now lets it through.
#[tokio::test]
async fn a_safe_update_is_refused_once_the_ticket_changed_after_its_stamp() {
    let addr = start("default").await;
    let open = ticket_with_status(addr, "open").await;
    let path = format!("/api/v2/tickets/{open}.json");
    let read = http(addr, "GET", &path, None, None).await.json();
    let seen = read["ticket"]["updated_at"].as_str().unwrap().to_owned();
    // Someone else's change, a second later (the stamp has one-second precision).
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let other = json!({"ticket": {"comment": {"body": "from another agent", "public": false}}});
    assert_eq!(
        http(addr, "PUT", &path, Some(other), None).await.status,
        200
    );
    let comments = |s: &Value| {
        s["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == open)
            .unwrap()["comments"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = comments(&state(addr).await);
    let safe = |stamp: &str| {
        json!({"ticket": {"comment": {"body": "the call", "public": false},
            "status": "open", "safe_update": true, "updated_stamp": stamp}})
    };
    let r = http(addr, "PUT", &path, Some(safe(&seen)), None).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.json()["error"], "UpdateConflict");
    assert_eq!(comments(&state(addr).await), before, "nothing kept");

    let now = http(addr, "GET", &path, None, None).await.json()["ticket"]["updated_at"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(now, seen);
    let r = http(addr, "PUT", &path, Some(safe(&now)), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(comments(&state(addr).await), before + 1);
    assert!(
        r.json()["ticket"].get("safe_update").is_none(),
        "not stored as a field"
    );

    let r = http(addr, "PUT", &path, Some(safe("yesterday")), None).await;
    assert_eq!(r.status, 400, "{}", r.text);
}
