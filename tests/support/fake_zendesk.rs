//! An in-memory Zendesk behind the `Transport` trait, for native tests of the client, the
//! lookups and the outbox. It keeps what a real account would (users, tickets, comments, audits)
//! and can be told to fail: 429 with Retry-After, network loss, 5xx, or "the request landed but
//! the page died before the answer" (a reload in the middle of a write).

use agent_adapter::{
    http::{HttpRequest, HttpResponse, Method},
    zendesk::Transport,
};
use serde_json::{json, Value};
use std::{
    cell::RefCell,
    collections::{BTreeMap, VecDeque},
};

/// A fault to inject into the next request.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Answer 429 with this Retry-After.
    RateLimited(u64),
    /// No answer at all; nothing applied.
    Network,
    /// 503; nothing applied.
    Unavailable,
    /// Apply the request, then lose the answer.
    LostAnswer,
    /// 401 (the agent's Zendesk session ended); nothing applied.
    Unauthorized,
    /// Answered as usual (a fault meant for a later request waits behind it).
    Pass,
    /// 422: Zendesk refuses the data (a field's value); nothing applied.
    Invalid,
}

#[derive(Clone, Debug)]
pub struct FakeTicket {
    pub id: u64,
    pub status: String,
    pub requester_id: u64,
    pub assignee_id: Option<u64>,
    pub subject: String,
    pub comments: Vec<String>,
    pub voice_comments: usize,
    /// The `voice_comment` objects received, in order.
    pub voice_data: Vec<Value>,
    pub custom_fields: BTreeMap<u64, Value>,
    pub op_keys: Vec<String>,
    pub created_at: String,
    /// Updates so far: `updated_at` is a second later for each, so every change is seen by a
    /// safe update's stamp.
    pub updates: i64,
    pub tags: Vec<String>,
}

/// Unix seconds of every fake ticket's creation; `updated_at` counts a second per update from it.
const CREATED_S: i64 = 1_714_557_600;

#[derive(Default)]
pub struct State {
    pub users: Vec<(u64, String, String)>,
    pub tickets: BTreeMap<u64, FakeTicket>,
    pub idempotency: BTreeMap<String, u64>,
    pub next_id: u64,
    pub faults: VecDeque<Fault>,
    pub reads: usize,
    pub writes: usize,
    pub log: Vec<String>,
    /// Updates that came with the collision check.
    pub safe_updates: usize,
    /// Users deleted but still shown by id, with `active: false`.
    pub inactive: Vec<u64>,
    /// Users deleted that the search index still shows as they were: every read by id (the
    /// user, their requested tickets) answers 404.
    pub stale: Vec<u64>,
    /// Live users a ticket is refused for, as for a deleted requester (another refusal that
    /// names the requester).
    pub refused_requesters: Vec<u64>,
    /// True while the search index lags creations: a user created is not found by the search
    /// until the test indexes it ([`FakeZendesk::index_now`]).
    pub lag_creations: bool,
    /// Users created that the search does not show yet.
    pub unindexed: Vec<u64>,
    /// Tickets the agent may not edit (moved to a group of others): an update answers 403.
    pub forbidden: Vec<u64>,
    /// Busy tickets: someone else changes each one just after every read of it.
    pub busy: Vec<u64>,
}

#[derive(Default)]
pub struct FakeZendesk {
    pub state: RefCell<State>,
}

fn ok(status: u16, body: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![],
        body: body.to_string(),
    }
}

fn error(status: u16, body: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![],
        body: body.to_string(),
    }
}

fn not_found() -> HttpResponse {
    error(
        404,
        json!({"error": "RecordNotFound", "description": "Not found"}),
    )
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

impl FakeZendesk {
    pub fn new() -> Self {
        let fake = Self::default();
        fake.state.borrow_mut().next_id = 1000;
        fake
    }

    pub fn add_user(&self, name: &str, phone: &str) -> u64 {
        let mut s = self.state.borrow_mut();
        s.next_id += 1;
        let id = s.next_id;
        s.users.push((id, name.to_owned(), phone.to_owned()));
        id
    }

    pub fn add_ticket(&self, requester_id: u64, status: &str) -> u64 {
        let mut s = self.state.borrow_mut();
        s.next_id += 1;
        let id = s.next_id;
        s.tickets.insert(
            id,
            FakeTicket {
                id,
                status: status.to_owned(),
                requester_id,
                assignee_id: None,
                subject: format!("Ticket {id}"),
                comments: vec![],
                voice_comments: 0,
                voice_data: vec![],
                custom_fields: BTreeMap::new(),
                op_keys: vec![],
                created_at: format!("2024-05-01T10:00:{:02}Z", id % 60),
                updates: 0,
                tags: vec![],
            },
        );
        id
    }

    /// Merges `source` into `target` as Zendesk does: the source is closed, tagged, and its last
    /// comment points to the target.
    pub fn merge(&self, source: u64, target: u64) {
        let mut s = self.state.borrow_mut();
        let t = s.tickets.get_mut(&source).unwrap();
        t.status = "closed".into();
        t.tags.push("closed_by_merge".into());
        t.comments.push(format!(
            "This request was closed and merged into request #{target}."
        ));
    }

    /// Someone else changes ticket `id` (another agent, a trigger): its status becomes `status`
    /// and `updated_at` moves on.
    pub fn change_elsewhere(&self, id: u64, status: &str) {
        let mut s = self.state.borrow_mut();
        let t = s.tickets.get_mut(&id).unwrap();
        t.status = status.to_owned();
        t.updates += 1;
    }

    /// Another agent gives ticket `id` to another requester (the ticket changes).
    pub fn give_elsewhere(&self, id: u64, requester_id: u64) {
        let mut s = self.state.borrow_mut();
        let t = s.tickets.get_mut(&id).unwrap();
        t.requester_id = requester_id;
        t.updates += 1;
    }

    /// The search index catches up: every user created shows in the search.
    pub fn index_now(&self) {
        self.state.borrow_mut().unindexed.clear();
    }

    pub fn fail_next(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.borrow_mut().faults.extend(faults);
    }

    pub fn counts(&self) -> (usize, usize) {
        let s = self.state.borrow();
        (s.reads, s.writes)
    }

    pub fn reset_counts(&self) {
        let mut s = self.state.borrow_mut();
        s.reads = 0;
        s.writes = 0;
    }

    pub fn tickets(&self) -> Vec<FakeTicket> {
        self.state.borrow().tickets.values().cloned().collect()
    }

    /// An end user as the search and `users/{id}` answer it.
    fn user_json(id: u64, name: &str, phone: &str) -> Value {
        json!({"id": id, "name": name, "phone": phone, "created_at": "2024-01-01T00:00:00Z", "role": "end-user"})
    }

    fn ticket_json(t: &FakeTicket) -> Value {
        json!({
            "id": t.id, "status": t.status, "requester_id": t.requester_id,
            "assignee_id": t.assignee_id, "subject": t.subject, "created_at": t.created_at,
            "updated_at": domain::time::iso8601(CREATED_S + 60 + t.updates), "tags": t.tags,
            "custom_fields": t.custom_fields.iter().map(|(id, v)| json!({"id": id, "value": v})).collect::<Vec<_>>(),
            "via": {"channel": "api"}, "unknown_key": {"ignored": true}
        })
    }

    fn handle(&self, req: &HttpRequest) -> HttpResponse {
        let mut s = self.state.borrow_mut();
        let (path, query) = req.url.split_once('?').unwrap_or((req.url.as_str(), ""));
        let parts: Vec<&str> = path.trim_start_matches("/api/v2/").split('/').collect();
        let id_of = |p: &str| p.trim_end_matches(".json").parse::<u64>().ok();
        match (req.method, parts.as_slice()) {
            (Method::Get, ["users", "search.json"]) => {
                let q = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("query="))
                    .unwrap_or("")
                    .replace("%3A", ":")
                    .replace("%2A", "*");
                let q = q.replace("%20", " ");
                let tail = q
                    .split(' ')
                    .find_map(|t| t.strip_prefix("phone:*"))
                    .unwrap_or("")
                    .to_string();
                let users: Vec<_> = s
                    .users
                    .iter()
                    .filter(|(id, _, phone)| {
                        !tail.is_empty()
                            && digits(phone).ends_with(tail.as_str())
                            && !s.unindexed.contains(id)
                    })
                    .cloned()
                    .collect();
                let mut counts = serde_json::Map::new();
                for (id, _, _) in &users {
                    let n = s
                        .tickets
                        .values()
                        .filter(|t| {
                            t.requester_id == *id
                                && ["new", "open", "pending", "hold"].contains(&t.status.as_str())
                        })
                        .count();
                    counts.insert(id.to_string(), json!(n));
                }
                // The search index still holds a user deleted moments ago: found, soft-deleted.
                let users: Vec<Value> = users
                    .iter()
                    .map(|(id, name, phone)| {
                        let mut user = Self::user_json(*id, name, phone);
                        user["active"] = json!(!s.inactive.contains(id));
                        user
                    })
                    .collect();
                ok(
                    200,
                    json!({"users": users, "open_ticket_count": counts, "count": users.len()}),
                )
            }
            (Method::Post, ["users.json"]) => {
                let user = &req.body.as_ref().unwrap()["user"];
                s.next_id += 1;
                let id = s.next_id;
                let (name, phone) = (
                    user["name"].as_str().unwrap_or("").to_owned(),
                    user["phone"].as_str().unwrap_or("").to_owned(),
                );
                s.users.push((id, name.clone(), phone.clone()));
                if s.lag_creations {
                    s.unindexed.push(id);
                }
                ok(
                    201,
                    json!({"user": {"id": id, "name": name, "phone": phone}}),
                )
            }
            (Method::Get, ["users", id, ..])
                if id_of(id).is_some_and(|id| s.stale.contains(&id)) =>
            {
                not_found()
            }
            (Method::Get, ["users", id]) if id.ends_with(".json") => {
                match id_of(id).and_then(|id| s.users.iter().find(|(u, _, _)| *u == id)) {
                    Some((id, name, phone)) => {
                        let mut user = Self::user_json(*id, name, phone);
                        user["active"] = json!(!s.inactive.contains(id));
                        ok(200, json!({"user": user}))
                    }
                    None => not_found(),
                }
            }
            (Method::Get, ["users", id, "tickets", "requested.json"]) => {
                let id = id.parse::<u64>().unwrap_or(0);
                let tickets: Vec<Value> = s
                    .tickets
                    .values()
                    .filter(|t| t.requester_id == id)
                    .map(Self::ticket_json)
                    .collect();
                ok(200, json!({"tickets": tickets}))
            }
            (Method::Get, ["tickets", id]) => {
                let busy = id_of(id).is_some_and(|id| s.busy.contains(&id));
                match id_of(id).and_then(|id| s.tickets.get_mut(&id)) {
                    Some(t) => {
                        let answer = ok(200, json!({"ticket": Self::ticket_json(t)}));
                        if busy {
                            t.updates += 1;
                        }
                        answer
                    }
                    None => not_found(),
                }
            }
            (Method::Get, ["tickets", id, "comments.json"]) => {
                match id.parse::<u64>().ok().and_then(|id| s.tickets.get(&id)) {
                    Some(t) => ok(
                        200,
                        json!({"comments": t.comments.iter().rev().map(|c| json!({"body": c, "public": false})).collect::<Vec<_>>()}),
                    ),
                    None => not_found(),
                }
            }
            (Method::Get, ["tickets", id, "audits.json"]) => {
                match id.parse::<u64>().ok().and_then(|id| s.tickets.get(&id)) {
                    Some(t) => ok(
                        200,
                        json!({"audits": t.op_keys.iter().map(|k| json!({"metadata": {"custom": {"op_key": k}}})).collect::<Vec<_>>()}),
                    ),
                    None => not_found(),
                }
            }
            (Method::Post, ["channels", "voice", "tickets.json"]) => {
                let key = idempotency_key(req);
                if let Some(id) = key.as_ref().and_then(|k| s.idempotency.get(k)) {
                    return ok(201, json!({"ticket": Self::ticket_json(&s.tickets[id])}));
                }
                let body = req.body.as_ref().unwrap();
                let t = &body["ticket"];
                assert!(
                    t["via_id"].is_u64(),
                    "Talk Partner Edition tickets need via_id"
                );
                s.next_id += 1;
                let id = s.next_id;
                let ticket = FakeTicket {
                    id,
                    status: "new".into(),
                    requester_id: t["requester_id"].as_u64().unwrap_or(0),
                    assignee_id: body["display_to_agent"].as_u64(),
                    subject: t["subject"].as_str().unwrap_or("").into(),
                    comments: vec![t["comment"]["body"].as_str().unwrap_or("").into()],
                    voice_comments: usize::from(t.get("voice_comment").is_some()),
                    voice_data: t.get("voice_comment").cloned().into_iter().collect(),
                    custom_fields: BTreeMap::new(),
                    op_keys: vec![],
                    created_at: "2024-05-01T10:00:00Z".into(),
                    updates: 0,
                    tags: vec![],
                };
                let out = json!({"ticket": Self::ticket_json(&ticket)});
                s.tickets.insert(id, ticket);
                if let Some(k) = key {
                    s.idempotency.insert(k, id);
                }
                ok(201, out)
            }
            (Method::Post, ["tickets.json"]) => {
                let key = idempotency_key(req);
                if let Some(id) = key.as_ref().and_then(|k| s.idempotency.get(k)) {
                    let t = &s.tickets[id];
                    return ok(201, json!({"ticket": Self::ticket_json(t)}));
                }
                let t = &req.body.as_ref().unwrap()["ticket"];
                // A requester deleted since it was read: refused, as Zendesk names a refused value.
                let requester = t["requester_id"].as_u64().unwrap_or(0);
                if s.stale.contains(&requester)
                    || s.inactive.contains(&requester)
                    || s.refused_requesters.contains(&requester)
                {
                    return ok(
                        422,
                        json!({"error": "RecordInvalid", "description": "Record validation errors",
                            "details": {"requester": [{"description": "Requester: is invalid", "error": "InvalidValue"}]}}),
                    );
                }
                s.next_id += 1;
                let id = s.next_id;
                let ticket = FakeTicket {
                    id,
                    status: "open".into(),
                    requester_id: t["requester_id"].as_u64().unwrap_or(0),
                    assignee_id: t["assignee_id"].as_u64(),
                    subject: t["subject"].as_str().unwrap_or("").into(),
                    comments: vec![t["comment"]["body"].as_str().unwrap_or("").into()],
                    voice_comments: 0,
                    voice_data: vec![],
                    custom_fields: t["custom_fields"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|f| (f["id"].as_u64().unwrap(), f["value"].clone()))
                                .collect()
                        })
                        .unwrap_or_default(),
                    op_keys: vec![],
                    created_at: "2024-05-01T10:00:00Z".into(),
                    updates: 0,
                    tags: vec![],
                };
                let body = json!({"ticket": Self::ticket_json(&ticket)});
                s.tickets.insert(id, ticket);
                if let Some(k) = key {
                    s.idempotency.insert(k, id);
                }
                ok(201, body)
            }
            (Method::Put, ["tickets", id]) => {
                if req.body.as_ref().unwrap()["ticket"]["safe_update"] == json!(true) {
                    s.safe_updates += 1;
                }
                if id_of(id).is_some_and(|id| s.forbidden.contains(&id)) {
                    return error(
                        403,
                        json!({"error": "Forbidden", "description": "You do not have access to this page."}),
                    );
                }
                let Some(t) = id_of(id).and_then(|id| s.tickets.get_mut(&id)) else {
                    return not_found();
                };
                if t.status == "closed" {
                    return error(
                        422,
                        json!({"error": "RecordInvalid", "description": "Record validation errors",
                        "details": {"status": [{"description": "Status: closed prevents ticket update"}]}}),
                    );
                }
                let change = &req.body.as_ref().unwrap()["ticket"];
                if change["safe_update"] == json!(true) {
                    let seen = change["updated_stamp"]
                        .as_str()
                        .and_then(domain::time::parse_iso8601)
                        .expect("a safe update names the stamp it saw");
                    if CREATED_S + 60 + t.updates > seen {
                        return error(
                            409,
                            json!({"error": "UpdateConflict", "description": "Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again."}),
                        );
                    }
                }
                t.updates += 1;
                if let Some(body) = change["comment"]["body"].as_str() {
                    assert_eq!(
                        change["comment"]["public"],
                        json!(false),
                        "comments are internal"
                    );
                    t.comments.push(body.to_owned());
                }
                if let Some(voice) = change.get("voice_comment") {
                    t.voice_comments += 1;
                    t.voice_data.push(voice.clone());
                }
                if let Some(status) = change["status"].as_str() {
                    t.status = status.to_owned();
                }
                if let Some(a) = change["assignee_id"].as_u64() {
                    t.assignee_id = Some(a);
                }
                for f in change["custom_fields"].as_array().into_iter().flatten() {
                    t.custom_fields
                        .insert(f["id"].as_u64().unwrap(), f["value"].clone());
                }
                // Zendesk keeps the update's `metadata` as the audit's `metadata.custom`.
                if let Some(k) = change["metadata"]["op_key"].as_str() {
                    t.op_keys.push(k.to_owned());
                }
                ok(200, json!({"ticket": Self::ticket_json(t)}))
            }
            _ => not_found(),
        }
    }
}

impl Transport for &FakeZendesk {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        let fault = self.state.borrow_mut().faults.pop_front();
        {
            let mut s = self.state.borrow_mut();
            if request.method.is_write() {
                s.writes += 1
            } else {
                s.reads += 1
            }
            s.log
                .push(format!("{} {}", request.method.as_str(), request.url));
        }
        match fault {
            Some(Fault::RateLimited(after)) => Ok(HttpResponse {
                status: 429,
                headers: vec![("retry-after".into(), after.to_string())],
                body: "{}".into(),
            }),
            Some(Fault::Network) => Err("connection reset".into()),
            Some(Fault::Unavailable) => Ok(error(503, json!({}))),
            Some(Fault::Unauthorized) => {
                Ok(error(401, json!({"error": "Couldn't authenticate you"})))
            }
            Some(Fault::LostAnswer) => {
                let _ = self.handle(&request);
                Err("the page was reloaded".into())
            }
            Some(Fault::Invalid) => Ok(error(
                422,
                json!({"error": "RecordInvalid", "description": "Record validation errors",
                       "details": {"subject": [{"description": "Subject: is too long"}]}}),
            )),
            None | Some(Fault::Pass) => Ok(self.handle(&request)),
        }
    }
}

/// The request's `Idempotency-Key`, if any (any letter case).
fn idempotency_key(req: &HttpRequest) -> Option<String> {
    req.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("idempotency-key"))
        .map(|(_, v)| v.clone())
}
