//! The Zendesk emulator as Zendesk documents it (issue #18), each behaviour tested on the
//! sandbox alone: audit metadata, authentication, pagination, search index lag, bulk jobs that
//! take their time, phone rules, ticket fields, search types, side-loads and bad JSON.

use serde_json::{json, Value};

use sandbox::testkit::{
    api_token_auth, caller_and_agent, http, http_anonymous, start, state, API_EMAIL,
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
