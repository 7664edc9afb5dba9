//! Native tests of the Zendesk client against lists served as Zendesk documents them: pages of
//! at most 100 records (cursor pagination: `page[size]`, `page[after]`, `meta.has_more`,
//! `links.next`), `sort_order=desc` newest first, and the update's `metadata` kept as the audit's
//! `metadata.custom` (Tickets API, "Setting Metadata").

use agent_adapter::{
    http::{HttpRequest, HttpResponse, Method, Transport},
    zendesk::{TicketChange, Zendesk},
};
use futures::executor::block_on;
use serde_json::{json, Value};
use std::cell::RefCell;

/// One list, oldest first, served in documented cursor pages; every request is logged.
#[derive(Default)]
struct Pages {
    /// The records under `key`, oldest first.
    records: RefCell<Vec<Value>>,
    key: &'static str,
    log: RefCell<Vec<String>>,
    /// The answer to `GET /api/v2/tickets/5.json`, when set.
    ticket: Option<Value>,
}

fn query(url: &str, name: &str) -> Option<String> {
    let (_, q) = url.split_once('?')?;
    q.split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .map(String::from)
}

impl Transport for &Pages {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        self.log
            .borrow_mut()
            .push(format!("{} {}", request.method.as_str(), request.url));
        if let (Some(t), true) = (&self.ticket, request.url == "/api/v2/tickets/5.json") {
            return Ok(HttpResponse {
                status: 200,
                headers: vec![],
                body: json!({ "ticket": t }).to_string(),
            });
        }
        if request.method == Method::Put {
            // An update: Zendesk keeps the `metadata` sent as the new audit's `metadata.custom`.
            let metadata = request
                .body
                .as_ref()
                .and_then(|b| b["ticket"].get("metadata").cloned())
                .unwrap_or(json!({}));
            let id = 9000 + self.records.borrow().len();
            self.records.borrow_mut().push(json!({
                "id": id,
                "metadata": {"custom": metadata, "system": {"client": "test"}},
                "events": [{"type": "Comment"}],
            }));
            return Ok(HttpResponse {
                status: 200,
                headers: vec![],
                body: json!({"ticket": {"id": 5, "status": "open"}}).to_string(),
            });
        }
        let size: usize = query(&request.url, "page[size]")
            .and_then(|s| s.parse().ok())
            .unwrap_or(100)
            .min(100);
        let after: usize = query(&request.url, "page[after]")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut all = self.records.borrow().clone();
        if query(&request.url, "sort_order").as_deref() == Some("desc") {
            all.reverse();
        }
        let page: Vec<Value> = all.iter().skip(after).take(size).cloned().collect();
        let more = after + size < all.len();
        let base = request.url.split('?').next().unwrap_or("");
        let next = format!(
            "https://acme.zendesk.com{base}?sort_order={}&page[size]={size}&page[after]={}",
            query(&request.url, "sort_order").unwrap_or_else(|| "asc".into()),
            after + size
        );
        Ok(HttpResponse {
            status: 200,
            headers: vec![],
            body: json!({
                self.key: page,
                "meta": {"has_more": more, "after_cursor": (after + size).to_string()},
                "links": {"next": if more { Value::String(next) } else { Value::Null }},
            })
            .to_string(),
        })
    }
}

fn audits(n: usize, key_at: Option<usize>) -> Pages {
    let records = (0..n)
        .map(|i| {
            let custom = if Some(i) == key_at {
                json!({"op_key": "call-1.2"})
            } else {
                json!({})
            };
            json!({"id": i, "metadata": {"custom": custom, "system": {}}, "events": []})
        })
        .collect();
    Pages {
        records: RefCell::new(records),
        key: "audits",
        ..Pages::default()
    }
}

// #17: a ticket with 150 audits, the key in the oldest one: found on the second page.
#[test]
fn a_replay_reads_as_many_audit_pages_as_needed() {
    let pages = audits(150, Some(0));
    let zd = Zendesk::new(&pages);
    assert_eq!(block_on(zd.update_applied(5, "call-1.2")), Ok(true));
    let log = pages.log.borrow();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0].contains("sort_order=desc"), "{log:?}");
    assert!(
        log[1].starts_with("GET /api/v2/tickets/5/audits"),
        "{log:?}"
    );
}

// Newest first: a key in the latest audit is found with one read however long the history.
#[test]
fn the_newest_audits_are_read_first() {
    let pages = audits(150, Some(149));
    let zd = Zendesk::new(&pages);
    assert_eq!(block_on(zd.update_applied(5, "call-1.2")), Ok(true));
    assert_eq!(pages.log.borrow().len(), 1);
    let none = audits(150, None);
    let zd = Zendesk::new(&none);
    assert_eq!(block_on(zd.update_applied(5, "call-1.2")), Ok(false));
    assert_eq!(
        none.log.borrow().len(),
        2,
        "every page read before saying no"
    );
}

// #18 item 1: the key the adapter writes is found where Zendesk keeps it
// (`audit.metadata.custom.op_key`), so a replay after an uncertain update does not write again.
#[test]
fn an_update_key_is_found_where_zendesk_stores_it() {
    let pages = audits(3, None);
    let zd = Zendesk::new(&pages);
    let change = TicketChange {
        comment: Some("Call ended".into()),
        ..TicketChange::default()
    };
    block_on(zd.update_ticket(5, &change, Some("call-9.0"))).unwrap();
    let stored = pages.records.borrow().last().cloned().unwrap();
    assert_eq!(stored["metadata"]["custom"], json!({"op_key": "call-9.0"}));
    assert_eq!(block_on(zd.update_applied(5, "call-9.0")), Ok(true));
}

// #18 item 5: a user with 150 requested tickets: all of them, newest first, in two reads.
#[test]
fn all_150_requested_tickets_are_read() {
    let records = (1..=150)
        .map(|i| {
            json!({"id": i, "status": "open", "requester_id": 3, "subject": format!("T{i}"),
                "created_at": format!("2024-05-01T10:{:02}:{:02}Z", i / 60, i % 60)})
        })
        .collect();
    let pages = Pages {
        records: RefCell::new(records),
        key: "tickets",
        ..Pages::default()
    };
    let zd = Zendesk::new(&pages);
    let tickets = block_on(zd.requested_tickets(3)).unwrap();
    assert_eq!(tickets.len(), 150);
    assert_eq!((tickets[0].id, tickets[149].id), (150, 1), "newest first");
    let log = pages.log.borrow();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0].contains("page[size]=100"), "{log:?}");
}

// #18 items 5-6: a merged ticket with 250 comments: the merge comment, the newest, is found on
// the first page read newest first; without it in the newest 100 the next pages are read.
#[test]
fn a_merge_target_is_found_among_250_comments() {
    let comments = |merge_at: usize| -> Vec<Value> {
        (0..250)
            .map(|i| {
                let body = if i == merge_at {
                    "This request was closed and merged into request #77.".to_string()
                } else {
                    format!("comment {i}")
                };
                json!({"id": i, "body": body, "public": false})
            })
            .collect()
    };
    let merged = json!({"id": 5, "status": "closed", "tags": ["closed_by_merge"]});
    let pages = Pages {
        records: RefCell::new(comments(249)),
        key: "comments",
        ticket: Some(merged.clone()),
        ..Pages::default()
    };
    let zd = Zendesk::new(&pages);
    assert_eq!(block_on(zd.merge_target(5)), Ok(Some(77)));
    assert_eq!(
        pages.log.borrow().len(),
        2,
        "the ticket, then one page of comments"
    );
    let older = Pages {
        records: RefCell::new(comments(20)),
        key: "comments",
        ticket: Some(merged),
        ..Pages::default()
    };
    let zd = Zendesk::new(&older);
    assert_eq!(block_on(zd.merge_target(5)), Ok(Some(77)));
    assert_eq!(older.log.borrow().len(), 4, "the ticket, then three pages");
}

/// Zendesk whose search index has not caught up: users created are read by id at once but not
/// found by search (reference/zendesk.md §5.1, "Index is eventually consistent").
#[derive(Default)]
struct LaggingSearch {
    users: RefCell<Vec<Value>>,
    log: RefCell<Vec<String>>,
}

impl Transport for &LaggingSearch {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        self.log
            .borrow_mut()
            .push(format!("{} {}", request.method.as_str(), request.url));
        let ok = |body: Value| {
            Ok(HttpResponse {
                status: 200,
                headers: vec![],
                body: body.to_string(),
            })
        };
        let path = request.url.split('?').next().unwrap_or("").to_string();
        match (request.method, path.as_str()) {
            (Method::Post, "/api/v2/users.json") => {
                let mut user = request.body.clone().unwrap()["user"].clone();
                user["id"] = json!(100 + self.users.borrow().len());
                self.users.borrow_mut().push(user.clone());
                Ok(HttpResponse {
                    status: 201,
                    headers: vec![],
                    body: json!({ "user": user }).to_string(),
                })
            }
            // Not indexed yet: the search finds no one.
            (Method::Get, "/api/v2/users/search.json") => {
                ok(json!({"users": [], "open_ticket_count": {}, "next_page": null, "count": 0}))
            }
            (Method::Get, p) if p.ends_with("/tickets/requested.json") => {
                ok(json!({"tickets": [], "meta": {"has_more": false}, "links": {"next": null}}))
            }
            (Method::Get, p) => {
                let id: u64 = p
                    .trim_start_matches("/api/v2/users/")
                    .trim_end_matches(".json")
                    .parse()
                    .unwrap_or(0);
                match self.users.borrow().iter().find(|u| u["id"] == id) {
                    Some(u) => ok(json!({ "user": u })),
                    None => Ok(HttpResponse {
                        status: 404,
                        headers: vec![],
                        body: json!({"error": "RecordNotFound", "description": "Not found"})
                            .to_string(),
                    }),
                }
            }
            _ => ok(json!({})),
        }
    }
}

// #18 item 2: a caller whose contact was created moments ago, not yet in the search index, is
// found when they call again (twice), not created a second time.
#[test]
fn a_caller_created_moments_ago_is_found_while_search_lags() {
    use agent_adapter::{services::crm::lookup_number, zendesk::NewUser};
    let zendesk = LaggingSearch::default();
    let zd = Zendesk::new(&zendesk);
    let created =
        block_on(zd.create_user(&NewUser::with_phone("Caller +14155550177", "+14155550177")))
            .unwrap();
    for _ in 0..2 {
        let crm = block_on(lookup_number(&zd, "+14155550177", "US")).unwrap();
        let ids: Vec<u64> = crm.contacts.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![created.id], "found by id while the search lags");
    }
    assert_eq!(zendesk.users.borrow().len(), 1, "no second user");
    // Another number is not confused with it.
    let other = block_on(lookup_number(&zd, "+14155550178", "US")).unwrap();
    assert!(other.contacts.is_empty());
}

/// Zendesk answering `users/show_many` with what it still shows of each id asked for: a user it
/// no longer has may still be listed, `active: false` (reference/zendesk.md: UNCONFIRMED).
struct ShowMany(Vec<Value>);

impl Transport for &ShowMany {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        assert!(request.url.starts_with("/api/v2/users/show_many.json?ids="));
        Ok(HttpResponse {
            status: 200,
            headers: vec![],
            body: json!({ "users": self.0 }).to_string(),
        })
    }
}

// The names of Recent and Voicemail: a contact deleted in Zendesk and still listed by
// `show_many` as inactive is no contact to name (Recent shows its number, and marks it gone).
#[test]
fn show_many_leaves_out_users_zendesk_no_longer_has() {
    let zendesk = ShowMany(vec![
        json!({"id": 7, "name": "Ada Customer", "active": true}),
        json!({"id": 8, "name": "Gone Customer", "active": false}),
    ]);
    let zd = Zendesk::new(&zendesk);
    let found = block_on(zd.users_many(&[7, 8, 9])).unwrap();
    let ids: Vec<u64> = found.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![7]);
}
