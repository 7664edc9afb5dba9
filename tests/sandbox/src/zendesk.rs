//! The Zendesk REST API emulator (`/api/v2/...`), shapes from `reference/zendesk.md` §4-5.
//!
//! Every request, whether it came over HTTP (the workspace's `request()` proxy, tests) or from the
//! platform's own writers in-process, goes through [`handle`]: faults first, then the account's
//! per-minute budget (429 + `Retry-After`), then the route; the request and its status are
//! appended to the request log. A trailing `.json` is optional on every path.
//!
//! Authentication ([`authenticate`]): every request needs a credential, as on Zendesk: an API
//! token (`Authorization: Basic base64("{email}/token:{API_TOKEN}")`, acting as the user with
//! that email) or the workspace's agent session (the [`SESSION_COOKIE`] cookie the workspace
//! gets for its signed-in agent, sent by the emulated ZAF `request()`). Otherwise 401
//! `{"error":"Couldn't authenticate you"}`, except `GET users/me`, which answers the anonymous
//! user. The platform's own writers run in-process with the account's API token.
//!
//! Search lags writes as on Zendesk: a user or ticket created here is found by `search` and
//! `users/search?query=` only after [`crate::state::Timing::search_lag_ms`] (0 by default);
//! reads by id, `show_many`, `external_id` and lists are at once.
//!
//! Choices where Zendesk's behaviour is not pinned down (`reference/zendesk.md` marks them
//! UNCONFIRMED): bulk jobs (`update_many`) are `queued` for [`crate::state::Timing::job_delay_ms`],
//! `working` as long again, then applied and `completed` (0: applied at once, `completed` at
//! the first poll); merges complete at once; a deleted user (`DELETE users/{id}`) answers 404
//! to every read by id, their requested tickets included (Zendesk may instead answer a
//! soft-deleted user with `active: false`), and the searches find them, soft-deleted
//! (`active: false`), until the index lag has passed; `phone:` search
//! compares digits only (`phone:15550100` exact, `phone:*5550100` suffix; a value with a `+`
//! finds no one, see [`phone_matches`]); a ticket is created
//! only with a comment or a voice comment ("Description: cannot be blank" otherwise); unknown
//! custom field ids are stored as sent.
//!
//! Ticket creation (`POST tickets`, `POST channels/voice/tickets`) honours the
//! [`IDEMPOTENCY_HEADER`] request header: the first creation with a key is remembered (ticket id,
//! route, body); a replay with the same key and body creates nothing and answers 201 with that
//! ticket as it is now, [`IDEMPOTENCY_LOOKUP_HEADER`] `hit` (a fresh creation: `miss`); the same
//! key with another body or on the other route answers 400 [`IDEMPOTENCY_MISMATCH`]. Only
//! successful creations are remembered; a reset forgets them all.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::model::{
    digits, iso, now_ms, now_s, Audit, Comment, Identity, Ticket, TicketField, User,
};
use crate::state::{App, Charge, IdempotentCreation, Job, World};

/// Zendesk's per-request limit of `update_many` ids.
pub const MAX_BULK: usize = 100;

/// The request header that makes a ticket creation idempotent (the app sends it as
/// `zendesk::IDEMPOTENCY_HEADER`). HTTP header names are case-insensitive.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// The answer header saying whether a keyed creation was a replay (`hit`: nothing created) or
/// not (`miss`).
pub const IDEMPOTENCY_LOOKUP_HEADER: &str = "x-idempotency-lookup";

/// The 400 answer to a key already used with other parameters: (`error`, `description`).
/// UNCONFIRMED: the form Zendesk documents for this case (status, `error`, `description`) has not
/// been checked; the texts live here only, so that a correction is made in one place.
pub const IDEMPOTENCY_MISMATCH: (&str, &str) = (
    "IdempotentRequestError",
    "Idempotency key was already used with different parameters",
);

/// The creation route of `POST tickets`, as remembered with a key.
const TICKETS_ROUTE: &str = "tickets";

/// The creation route of `POST channels/voice/tickets`, as remembered with a key.
const VOICE_TICKETS_ROUTE: &str = "channels/voice/tickets";

/// One request to the emulator.
#[derive(Clone, Debug)]
pub struct ApiRequest {
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
    pub method: String,
    /// Path from `/api/v2/`.
    pub path: String,
    /// Raw query string (without `?`).
    pub query: String,
    /// JSON body (Null when none, or when it is not JSON).
    pub body: Value,
    /// The body as sent when it is not JSON: answered with [`invalid_json`] (after the
    /// credentials and the rate limit, like any request) and logged as this text.
    pub unparsed_body: Option<String>,
    /// `app` or `platform`, for the request log.
    pub source: &'static str,
    /// The Zendesk user acting, set from the credential; None = the account's API token user
    /// (the platform's in-process writers).
    pub actor: Option<u64>,
    /// What the request authenticates with.
    pub credential: Credential,
    /// The [`IDEMPOTENCY_HEADER`] value, if sent (honoured by ticket creation only).
    pub idempotency_key: Option<String>,
}

/// The account's API token (Admin Center > Apps and integrations > Zendesk API): requests
/// authenticate with `Authorization: Basic base64("{email}/token:{API_TOKEN}")`.
pub const API_TOKEN: &str = "sandbox-api-token";

/// The cookie of a Zendesk agent session in the workspace. UNCONFIRMED: the name of Zendesk's
/// own session cookie; only the sandbox's workspace sets and sends it.
pub const SESSION_COOKIE: &str = "_zendesk_session";

/// What a request authenticates with.
#[derive(Clone, Debug)]
pub enum Credential {
    /// The platform's in-process writers: the account's API token, trusted.
    ApiToken,
    /// Over HTTP: the `Authorization` header and the [`SESSION_COOKIE`] value, as sent.
    Http {
        /// The `Authorization` header.
        authorization: Option<String>,
        /// The session cookie's value.
        session: Option<String>,
    },
}

/// Zendesk's answer to a request without valid credentials (reference/zendesk.md §5.4).
pub fn unauthenticated() -> ApiResponse {
    ApiResponse::json(401, status_body(401))
}

/// The types a custom ticket field may have (Ticket Fields API, "Create Ticket Field"); system
/// fields have types of their own (`subject`, `status`, …).
pub const CUSTOM_FIELD_TYPES: [&str; 11] = [
    "text",
    "textarea",
    "checkbox",
    "date",
    "integer",
    "decimal",
    "regexp",
    "partialcreditcard",
    "multiselect",
    "tagger",
    "lookup",
];

/// `Authorization` for an API token acting as `email` (Zendesk: Basic `{email}/token:{token}`).
pub fn token_authorization(email: &str, token: &str) -> String {
    format!(
        "Basic {}",
        base64_encode(format!("{email}/token:{token}").as_bytes())
    )
}

/// Encodes standard base64, with padding.
fn base64_encode(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]));
        }
        for _ in chunk.len()..3 {
            out.push('=');
        }
    }
    out
}

/// Decodes standard base64 (padding optional); None when it is not base64.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = text.trim().trim_end_matches('=').bytes().collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        let take = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&n.to_be_bytes()[1..=take]);
    }
    Some(out)
}

/// A credential that authenticates no one (401).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unauthenticated;

/// Whom `credential` authenticates (Zendesk Support API, "Security and authentication": API
/// token as `{email}/token:{token}` over Basic, or the agent's browser session): `Ok(None)` for
/// the in-process API token, `Ok(Some(user))` for a user, [`Unauthenticated`] when it
/// authenticates no one.
pub fn authenticate(
    w: &World,
    app_sessions: impl Fn(&str) -> Option<u64>,
    credential: &Credential,
) -> Result<Option<u64>, Unauthenticated> {
    let (authorization, session) = match credential {
        Credential::ApiToken => return Ok(None),
        Credential::Http {
            authorization,
            session,
        } => (authorization, session),
    };
    if let Some(auth) = authorization {
        let decoded = auth
            .strip_prefix("Basic ")
            .and_then(base64_decode)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(Unauthenticated)?;
        let (email, token) = decoded.split_once("/token:").ok_or(Unauthenticated)?;
        if token != API_TOKEN {
            return Err(Unauthenticated);
        }
        return w
            .users
            .values()
            .find(|u| {
                u.role != "end-user"
                    && u.email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .map(|u| Some(u.id))
            .ok_or(Unauthenticated);
    }
    session
        .as_deref()
        .and_then(app_sessions)
        .filter(|u| w.users.contains_key(u))
        .map(Some)
        .ok_or(Unauthenticated)
}

/// The emulator's answer.
#[derive(Clone, Debug)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// Extra headers (`Retry-After`, `Location`, rate-limit headers).
    pub headers: Vec<(String, String)>,
    /// JSON body; None = empty body.
    pub body: Option<Value>,
}

impl ApiResponse {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![],
            body: Some(body),
        }
    }

    fn empty(status: u16) -> Self {
        Self {
            status,
            headers: vec![],
            body: None,
        }
    }

    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `GET users/me` without credentials: 200 with the anonymous user (reference/zendesk.md §5.1).
fn anonymous_user() -> ApiResponse {
    ApiResponse::json(
        200,
        json!({"user": {"id": null, "url": null, "name": "Anonymous user", "email": "invalid@example.com",
            "role": "end-user", "locale": "en-US", "verified": false, "active": true}}),
    )
}

/// The answer to a request whose body is not JSON: 400, as Zendesk answers a bad request (API
/// introduction, "Requests": a malformed request is a 400, whose body may even be
/// `text/plain`). UNCONFIRMED: the body; `{"error": "InvalidJSON", "description": …}` follows
/// the `{error, description}` shape of Zendesk's other errors, and lives here only, so that a
/// correction is made in one place.
pub fn invalid_json() -> ApiResponse {
    ApiResponse::json(
        400,
        json!({"error": "InvalidJSON", "description": "The request body is not valid JSON"}),
    )
}

/// 404 `RecordNotFound`.
pub fn not_found() -> ApiResponse {
    ApiResponse::json(
        404,
        json!({"error": "RecordNotFound", "description": "Not found"}),
    )
}

/// 422 `RecordInvalid` with `details`.
pub fn invalid(details: Value) -> ApiResponse {
    ApiResponse::json(
        422,
        json!({"error": "RecordInvalid", "description": "Record validation errors", "details": details}),
    )
}

fn detail(field: &str, description: &str, error: &str) -> Value {
    json!({ field: [{"description": description, "error": error}] })
}

fn closed_details() -> Value {
    json!({"status": [{"description": "Status: closed prevents ticket update"}]})
}

/// The body Zendesk answers an injected or limited status with.
pub fn status_body(status: u16) -> Value {
    match status {
        400 => json!({"error": "InvalidValue", "description": "Bad request"}),
        401 => json!({"error": "Couldn't authenticate you"}),
        403 => {
            json!({"error": {"title": "Forbidden", "message": "You do not have access to this page."}})
        }
        404 => json!({"error": "RecordNotFound", "description": "Not found"}),
        409 => {
            json!({"error": "UpdateConflict", "description": "Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again."})
        }
        422 => {
            json!({"error": "RecordInvalid", "description": "Record validation errors", "details": {"base": [{"description": "Injected fault"}]}})
        }
        429 => {
            json!({"error": "TooManyRequests", "description": "Rate limit exceeded: retry after the number of seconds in Retry-After"})
        }
        503 => json!({"error": "ServiceUnavailable", "description": "Temporarily unavailable"}),
        _ => json!({"error": "InternalError", "description": "Something went wrong"}),
    }
}

/// Answers one request: faults, budget, route, log; then an answer latency, if a fault asks.
pub async fn handle(app: &App, req: ApiRequest) -> ApiResponse {
    let (resp, answer_latency_ms) = answer(app, req).await;
    if answer_latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(answer_latency_ms)).await;
    }
    resp
}

/// [`handle`] up to the answer, and the answer latency its faults ask for.
async fn answer(app: &App, req: ApiRequest) -> (ApiResponse, u64) {
    let received_ms = now_ms();
    let full_path = if req.query.is_empty() {
        format!("/api/v2/{}", req.path)
    } else {
        format!("/api/v2/{}?{}", req.path, req.query)
    };
    let fault = app.world().fault_for(&req.method, &full_path);
    if fault.latency_ms > 0 {
        let generation = app.generation();
        tokio::time::sleep(std::time::Duration::from_millis(fault.latency_ms)).await;
        if app.generation() != generation {
            // Received by the world before a reset: it acts on nothing in the new one.
            return (ApiResponse::json(503, status_body(503)), 0);
        }
    }
    let base = app.base();
    let mut req = req;
    let mut w = app.world();
    let who = authenticate(&w, |t| app.zendesk_session_user(t), &req.credential);
    if let Ok(Some(user)) = who {
        req.actor = Some(user);
    }
    let mut resp = if let Some((status, retry_after)) = fault.status {
        let mut r = ApiResponse::json(status, status_body(status));
        if let Some(s) = retry_after {
            r.headers.push(("Retry-After".into(), s.to_string()));
        }
        r
    } else if who.is_err() {
        if req.method == "GET" && req.path.trim_end_matches(".json") == "users/me" {
            anonymous_user()
        } else {
            unauthenticated()
        }
    } else {
        match w.budget.charge(now_ms()) {
            Charge::Limited { retry_after_s } => {
                let mut r = ApiResponse::json(429, status_body(429));
                r.headers
                    .push(("Retry-After".into(), retry_after_s.to_string()));
                r.headers
                    .push(("X-Rate-Limit-Remaining".into(), "0".into()));
                r
            }
            Charge::Ok { remaining } => {
                let mut r = match req.unparsed_body {
                    Some(_) => invalid_json(),
                    None => route(&mut w, &base, &req),
                };
                r.headers
                    .push(("X-Rate-Limit-Remaining".into(), remaining.to_string()));
                r
            }
        }
    };
    let limit = w.budget.limit.to_string();
    resp.headers.push(("X-Rate-Limit".into(), limit));
    let seq = w.requests.len() as u64 + 1;
    w.requests.push(crate::state::LoggedRequest {
        seq,
        at_ms: now_ms(),
        received_ms,
        method: req.method.clone(),
        path: full_path,
        body: match &req.unparsed_body {
            Some(text) => Value::String(text.clone()),
            None => req.body.clone(),
        },
        status: resp.status,
        source: req.source.into(),
        idempotency_key: req.idempotency_key.clone(),
    });
    drop(w);
    let fields_changed = req.method != "GET" && req.path.starts_with("ticket_fields");
    if fields_changed && (200..300).contains(&resp.status) {
        // The platform tells signed-in adapters that the account's ticket fields changed (in
        // the product, the Portal's "Create" does): they read them again.
        app.emit(None, json!({"type": "crm.fields_changed"}));
    }
    (resp, fault.answer_latency_ms)
}

/// Decodes `a=b&c=d` (percent-encoding, `+` as space).
pub fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn route(w: &mut World, base: &str, req: &ApiRequest) -> ApiResponse {
    run_jobs(w, base);
    let path = req.path.trim_end_matches('/');
    let path = path.strip_suffix(".json").unwrap_or(path);
    let segs: Vec<&str> = path.split('/').collect();
    let q = parse_query(&req.query);
    let id = |s: &str| s.parse::<u64>().ok();
    let body = &req.body;
    let own_url = format!("{base}/api/v2/{path}.json");
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["users", "me"]) => {
            let me = req.actor.or_else(|| first_agent(w));
            match me.and_then(|i| w.users.get(&i)) {
                Some(u) => one(w, base, &q, "user", u.to_json(base)),
                None => not_found(),
            }
        }
        ("GET", ["users", "search"]) => users_search(w, base, &q, &own_url),
        ("POST", ["users"]) => create_user(w, base, body, false),
        ("POST", ["users", "create_or_update"]) => create_user(w, base, body, true),
        ("GET", ["users", "show_many"]) => {
            let ids = ids_param(&q);
            let users: Vec<Value> = ids
                .iter()
                .filter_map(|i| w.users.get(i))
                .map(|u| u.to_json(base))
                .collect();
            list(w, base, &q, "users", users)
        }
        ("GET", ["users", u]) => match id(u).and_then(|i| w.users.get(&i)) {
            Some(u) => one(w, base, &q, "user", u.to_json(base)),
            None => not_found(),
        },
        // A user deleted (or merged away): gone from reads from now on (404), and from the
        // searches once the index lag has passed (until then they find it soft-deleted); their
        // tickets stay. The answer is the user as it was, no longer active.
        ("DELETE", ["users", u]) => match id(u).and_then(|i| w.users.remove(&i)) {
            Some(u) => {
                let mut user = u.to_json(base);
                user["active"] = json!(false);
                w.unindex_later(u);
                one(w, base, &q, "user", user)
            }
            None => not_found(),
        },
        ("PUT", ["users", u]) => match id(u) {
            Some(u) if w.users.contains_key(&u) => update_user(w, base, u, body),
            _ => not_found(),
        },
        ("GET", ["users", u, "identities"]) => match id(u).and_then(|i| w.users.get(&i)) {
            Some(u) => identities(u, base, &q, &own_url),
            None => not_found(),
        },
        ("POST", ["users", u, "identities"]) => add_identity(w, base, id(u), body),
        ("GET", ["users", u, "tickets", "requested"]) => match id(u) {
            Some(u) if w.users.contains_key(&u) => requested(w, base, u, &q, &own_url),
            _ => not_found(),
        },
        ("GET", ["search"]) => search(w, base, &q, &own_url),
        ("GET", ["tickets"]) => {
            let t: Vec<Value> = w.tickets.values().map(|t| t.to_json(base)).collect();
            let side = |page: &[Value]| sideloads(w, base, &q, "tickets", page);
            paged("tickets", t, &own_url, &q, Paging::CursorOrOffset, &side)
        }
        ("GET", ["tickets", "show_many"]) => {
            let t: Vec<Value> = ids_param(&q)
                .iter()
                .filter_map(|i| w.tickets.get(i))
                .map(|t| t.to_json(base))
                .collect();
            list(w, base, &q, "tickets", t)
        }
        ("POST", ["tickets"]) => idempotent(w, base, req, TICKETS_ROUTE, |w| {
            create_ticket(w, base, body.get("ticket"), req.actor, None)
        }),
        ("PUT", ["tickets", "update_many"]) => update_many(w, base, body, &q, req.actor),
        ("GET", ["tickets", t]) => match id(t).and_then(|i| w.tickets.get(&i)) {
            Some(t) => one(w, base, &q, "ticket", t.to_json(base)),
            None => not_found(),
        },
        ("PUT", ["tickets", t]) => match id(t) {
            Some(t) if w.tickets.contains_key(&t) => {
                let mut patch = body.get("ticket").cloned().unwrap_or(json!({}));
                if let Some(refused) = collision(&w.tickets[&t], &mut patch) {
                    return refused;
                }
                match update_ticket(w, t, &patch, req.actor) {
                    Ok(audit) => {
                        let tk = &w.tickets[&t];
                        let via = crate::model::via_json(tk.via_id);
                        let mut j = json!({"ticket": tk.to_json(base)});
                        if let Some(audit) = audit {
                            j["audit"] = audit.to_json(&via);
                        }
                        ApiResponse::json(200, j)
                    }
                    Err(details) => invalid(details),
                }
            }
            _ => not_found(),
        },
        ("GET", ["tickets", t, "comments"]) => match id(t).and_then(|i| w.tickets.get(&i)) {
            // Ticket Comments API, "List Comments": oldest first unless `sort_order=desc`.
            Some(t) => {
                let c: Vec<Value> = t.comments.iter().map(Comment::to_json).collect();
                paged(
                    "comments",
                    sort_order(c, &q),
                    &own_url,
                    &q,
                    Paging::CursorOrOffset,
                    &nothing,
                )
            }
            None => not_found(),
        },
        ("GET", ["tickets", t, "audits"]) => match id(t).and_then(|i| w.tickets.get(&i)) {
            Some(t) => {
                let via = crate::model::via_json(t.via_id);
                // Ticket Audits API, "List Audits for a Ticket": oldest first unless
                // `sort_order=desc`.
                let a: Vec<Value> = t.audits.iter().map(|a| a.to_json(&via)).collect();
                paged(
                    "audits",
                    sort_order(a, &q),
                    &own_url,
                    &q,
                    Paging::CursorOrOffset,
                    &nothing,
                )
            }
            None => not_found(),
        },
        ("POST", ["tickets", t, "merge"]) => merge(w, base, id(t), body, req.actor),
        ("GET", ["job_statuses", j]) => match w.jobs.get_mut(*j) {
            Some(job) => {
                job.polls += 1;
                ApiResponse::json(200, json!({"job_status": job.status}))
            }
            None => not_found(),
        },
        ("GET", ["ticket_fields"]) => paged(
            "ticket_fields",
            ticket_fields(w, base),
            &own_url,
            &q,
            Paging::CursorOrOffset,
            &nothing,
        ),
        ("GET", ["ticket_fields", f]) => {
            match ticket_fields(w, base)
                .into_iter()
                .find(|x| x["id"].as_u64() == id(f))
            {
                Some(f) => ApiResponse::json(200, json!({ "ticket_field": f })),
                None => not_found(),
            }
        }
        ("POST", ["ticket_fields"]) => create_field(w, base, body.get("ticket_field")),
        ("POST", ["channels", "voice", "tickets"]) => {
            idempotent(w, base, req, VOICE_TICKETS_ROUTE, |w| {
                voice_ticket(w, base, body, req.actor)
            })
        }
        (
            "POST",
            ["channels", "voice", "agents", a, kind @ ("tickets" | "users"), r, "display"],
        ) => {
            let agent_ok = id(a)
                .and_then(|a| w.users.get(&a))
                .is_some_and(|u| u.role != "end-user");
            let rid = id(r);
            let record_ok = match *kind {
                "tickets" => rid.is_some_and(|r| w.tickets.contains_key(&r)),
                _ => rid.is_some_and(|r| w.users.contains_key(&r)),
            };
            if !(agent_ok && record_ok) {
                return not_found();
            }
            let seq = w.displays.len() as u64 + 1;
            w.displays.push(crate::state::Display {
                seq,
                agent_id: id(a).unwrap_or(0),
                kind: kind.trim_end_matches('s').into(),
                id: rid.unwrap_or(0),
            });
            ApiResponse::empty(200)
        }
        ("POST", ["calls"]) => create_call(w, base, body, req.actor),
        ("GET", ["calls", c]) => match id(c).and_then(|i| w.zd_calls.get(&i)) {
            Some(c) => ApiResponse::json(200, json!({"call": c})),
            None => not_found(),
        },
        ("PATCH", ["calls", c]) => match id(c) {
            Some(c) if w.zd_calls.contains_key(&c) => {
                let call = w.zd_calls.get_mut(&c).expect("checked");
                if let (Some(dst), Some(src)) = (
                    call.as_object_mut(),
                    body.get("call").and_then(Value::as_object),
                ) {
                    for (k, v) in src {
                        if !["id", "app_id", "created_at"].contains(&k.as_str()) {
                            dst.insert(k.clone(), v.clone());
                        }
                    }
                    dst.insert("updated_at".into(), json!(iso(now_s())));
                }
                ApiResponse::json(200, json!({"call": call}))
            }
            _ => not_found(),
        },
        ("POST", ["calls", c, "comments"]) => call_comment(w, id(c), body, req.actor),
        _ => ApiResponse::json(
            404,
            json!({"error": "InvalidEndpoint", "description": "Not found"}),
        ),
    }
}

/// A system ticket field: `type`, title, description, `removable`, `system_field_options`
/// (name, value).
type SystemField = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [(&'static str, &'static str)],
);

/// The system ticket fields every account has (Ticket Fields API, "List Ticket Fields": "a list
/// of all system and custom ticket fields"), in their positions (0-6), as recorded List Ticket
/// Fields answers show them: `subject`, `description`, `status`, `tickettype`, `priority`,
/// `group`, `assignee`. `removable` is as recorded, false for all but `tickettype` and
/// `priority`: a client that keeps only `removable: true` fields still gets system fields; it
/// must go by `type` to find the custom ones.
pub const SYSTEM_TICKET_FIELDS: [SystemField; 7] = [
    ("subject", "Subject", "", false, &[]),
    (
        "description",
        "Description",
        "Please enter the details of your request. A member of our support staff will respond as soon as possible.",
        false,
        &[],
    ),
    (
        "status",
        "Status",
        "Request status",
        false,
        &[("Open", "open"), ("Pending", "pending"), ("Solved", "solved")],
    ),
    (
        "tickettype",
        "Type",
        "Request type",
        true,
        &[
            ("Question", "question"),
            ("Incident", "incident"),
            ("Problem", "problem"),
            ("Task", "task"),
        ],
    ),
    (
        "priority",
        "Priority",
        "Request priority",
        true,
        &[
            ("Low", "low"),
            ("Normal", "normal"),
            ("High", "high"),
            ("Urgent", "urgent"),
        ],
    ),
    ("group", "Group", "Request group", false, &[]),
    (
        "assignee",
        "Assignee",
        "Agent assigned to your request",
        false,
        &[],
    ),
];

/// The first system ticket field's id: below every id the sandbox hands out
/// ([`crate::fixtures::FIRST_ID`]), as the fields an account is created with have the oldest
/// ids, and above `u32::MAX` like every Zendesk id here.
pub const SYSTEM_TICKET_FIELD_FIRST_ID: u64 = crate::fixtures::FIRST_ID - 1_000;

/// When the account's system fields were made (the fixtures' clock starts after).
const ACCOUNT_CREATED_AT: i64 = 1_714_500_000;

/// Every ticket field, system fields first (positions 0-6), then the custom ones (from
/// position 7), each in Zendesk's shape. Ids increase in the same order, so the order by
/// position (no pagination) and by id (cursor pagination) agree.
fn ticket_fields(w: &World, base: &str) -> Vec<Value> {
    let system = SYSTEM_TICKET_FIELDS.iter().enumerate().map(
        |(i, (kind, title, description, removable, options))| {
            let id = SYSTEM_TICKET_FIELD_FIRST_ID + i as u64;
            let at = iso(ACCOUNT_CREATED_AT);
            let mut f = json!({
                "id": id,
                "url": format!("{base}/api/v2/ticket_fields/{id}.json"),
                "type": kind, "title": title, "raw_title": title,
                "description": description, "raw_description": description,
                "position": i, "active": true, "required": *kind == "assignee",
                "collapsed_for_agents": false, "regexp_for_validation": null,
                "title_in_portal": title, "raw_title_in_portal": title,
                "visible_in_portal": matches!(*kind, "subject" | "description" | "priority" | "assignee"),
                "editable_in_portal": matches!(*kind, "subject" | "description"),
                "required_in_portal": matches!(*kind, "subject" | "description"),
                "tag": null, "created_at": at, "updated_at": at,
                "removable": removable, "agent_description": null,
            });
            if !options.is_empty() {
                f["system_field_options"] = options
                    .iter()
                    .map(|(name, value)| json!({"name": name, "value": value}))
                    .collect();
            }
            f
        },
    );
    let custom = w
        .ticket_fields
        .iter()
        .enumerate()
        .map(|(i, f)| f.to_json(base, SYSTEM_TICKET_FIELDS.len() + i));
    system.chain(custom).collect()
}

/// Zendesk's largest page, and the default (Pagination: "a maximum of 100 records per page").
pub const MAX_PAGE: usize = 100;

/// Which pagination a list endpoint offers (reference/zendesk.md §5, "Pagination").
#[derive(Clone, Copy, PartialEq, Eq)]
enum Paging {
    /// Offset only (`page`, `per_page`): search, users search.
    Offset,
    /// Cursor (`page[size]`, `page[after]`, `page[before]`) or offset, as the request asks.
    CursorOrOffset,
}

/// The cursor of the records from `offset` on. Opaque to clients, as Zendesk's are.
fn cursor(offset: usize) -> String {
    format!("c{offset:x}")
}

fn from_cursor(text: &str) -> Option<usize> {
    usize::from_str_radix(text.strip_prefix('c')?, 16).ok()
}

/// `url` with the query `q` where `set` replaces (or adds) keys and `drop` removes them.
fn page_url(
    url: &str,
    q: &HashMap<String, String>,
    set: &[(&str, String)],
    drop: &[&str],
) -> String {
    let mut keys: Vec<(&String, &String)> = q
        .iter()
        .filter(|(k, _)| !drop.contains(&k.as_str()) && !set.iter().any(|(s, _)| s == k))
        .collect();
    keys.sort();
    let mut parts: Vec<String> = keys
        .into_iter()
        .map(|(k, v)| format!("{}={}", encode_query(k), encode_query(v)))
        .collect();
    parts.extend(
        set.iter()
            .map(|(k, v)| format!("{}={}", encode_query(k), encode_query(v))),
    );
    format!("{url}?{}", parts.join("&"))
}

/// Percent-encodes a query-string key or value (the sandbox's one encoder: the links it serves
/// and the platform's own requests). Kept as they are: RFC 3986's unreserved characters, and `*`
/// and `:`, which a query may carry literally and which have no meaning in
/// `application/x-www-form-urlencoded` pairs, so that search terms (`phone:*5550100`) stay
/// readable in links and in the request log. Everything else is encoded, `+` (a space in a
/// query), `&`, `=`, `#` and spaces included.
pub fn encode_query(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'*' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The ticket fields of one `GET ticket_fields.json` answer (id, title, active) and the cursor of
/// the next page, if there is one (cursor pagination).
pub fn ticket_fields_page(body: &Value) -> (Vec<(u64, String, bool)>, Option<String>) {
    let fields = body["ticket_fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            Some((
                f["id"].as_u64()?,
                f["title"].as_str().unwrap_or_default().to_owned(),
                f["active"].as_bool().unwrap_or(true),
            ))
        })
        .collect();
    let next = body["meta"]["after_cursor"]
        .as_str()
        .filter(|_| body["meta"]["has_more"] == true)
        .map(String::from);
    (fields, next)
}

/// One page of `items` as Zendesk serves lists (Pagination): with `page[size]` (or a cursor),
/// cursor pagination `{key, meta{has_more, after_cursor, before_cursor}, links{next, prev}}`;
/// otherwise offset pagination `{key, next_page, previous_page, count}`, `per_page` records from
/// `page` (1-based). Pages hold at most [`MAX_PAGE`] records, whatever is asked; `url` is the
/// list's own URL, for the links. `extra` gives the keys added beside the page (side-loads,
/// which Zendesk sends for the records of the page only; `facets`) from the page's records.
fn paged(
    key: &str,
    items: Vec<Value>,
    url: &str,
    q: &HashMap<String, String>,
    paging: Paging,
    extra: &dyn Fn(&[Value]) -> Map<String, Value>,
) -> ApiResponse {
    let wants_cursor = paging == Paging::CursorOrOffset
        && ["page[size]", "page[after]", "page[before]"]
            .iter()
            .any(|k| q.contains_key(*k));
    let total = items.len();
    let mut body = Map::new();
    if wants_cursor {
        let size = q
            .get("page[size]")
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(MAX_PAGE)
            .clamp(1, MAX_PAGE);
        let start = match (q.get("page[after]"), q.get("page[before]")) {
            (Some(a), _) => from_cursor(a).unwrap_or(0),
            (None, Some(b)) => from_cursor(b).unwrap_or(0).saturating_sub(size),
            (None, None) => 0,
        }
        .min(total);
        let end = (start + size).min(total);
        let has_more = end < total;
        let drop = ["page[after]", "page[before]", "page[size]"];
        let next = has_more.then(|| {
            page_url(
                url,
                q,
                &[
                    ("page[size]", size.to_string()),
                    ("page[after]", cursor(end)),
                ],
                &drop,
            )
        });
        let prev = (start > 0).then(|| {
            page_url(
                url,
                q,
                &[
                    ("page[size]", size.to_string()),
                    ("page[before]", cursor(start)),
                ],
                &drop,
            )
        });
        body.extend(extra(&items[start..end]));
        body.insert(key.into(), Value::Array(items[start..end].to_vec()));
        body.insert(
            "meta".into(),
            json!({"has_more": has_more, "after_cursor": cursor(end), "before_cursor": cursor(start)}),
        );
        body.insert("links".into(), json!({"next": next, "prev": prev}));
    } else {
        let per_page = q
            .get("per_page")
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(MAX_PAGE)
            .clamp(1, MAX_PAGE);
        let page = q
            .get("page")
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        let start = ((page - 1) * per_page).min(total);
        let end = (start + per_page).min(total);
        let link = |p: usize| {
            page_url(
                url,
                q,
                &[("page", p.to_string()), ("per_page", per_page.to_string())],
                &[],
            )
        };
        body.extend(extra(&items[start..end]));
        body.insert(key.into(), Value::Array(items[start..end].to_vec()));
        body.insert(
            "next_page".into(),
            json!((end < total).then(|| link(page + 1))),
        );
        body.insert(
            "previous_page".into(),
            json!((page > 1).then(|| link(page - 1))),
        );
        body.insert("count".into(), json!(total));
    }
    ApiResponse::json(200, Value::Object(body))
}

/// Reverses `items` when the request asks `sort_order=desc` (their natural order is oldest
/// first).
fn sort_order(mut items: Vec<Value>, q: &HashMap<String, String>) -> Vec<Value> {
    if q.get("sort_order").map(String::as_str) == Some("desc") {
        items.reverse();
    }
    items
}

/// A whole list (`show_many`) in one page, with the side-loads asked for.
fn list(
    w: &World,
    base: &str,
    q: &HashMap<String, String>,
    key: &str,
    items: Vec<Value>,
) -> ApiResponse {
    let count = items.len();
    let mut body = sideloads(w, base, q, key, &items);
    body.insert(key.into(), json!(items));
    body.insert("next_page".into(), Value::Null);
    body.insert("previous_page".into(), Value::Null);
    body.insert("count".into(), json!(count));
    ApiResponse::json(200, Value::Object(body))
}

/// One record (`{"ticket": …}`, `{"user": …}`) with the side-loads asked for.
fn one(
    w: &World,
    base: &str,
    q: &HashMap<String, String>,
    key: &str,
    record: Value,
) -> ApiResponse {
    let mut body = sideloads(
        w,
        base,
        q,
        &format!("{key}s"),
        std::slice::from_ref(&record),
    );
    body.insert(key.into(), record);
    ApiResponse::json(200, Value::Object(body))
}

/// No keys beside a page.
fn nothing(_: &[Value]) -> Map<String, Value> {
    Map::new()
}

/// The side-loads (API introduction, "Side-Loading") asked for with `include=` (a
/// comma-separated list) that answers about `kind` records (`tickets` or `users`) honour, for
/// `records` (the page served, not the whole list):
/// - tickets: `users`, the tickets' requesters, submitters and assignees, each once (Tickets
///   API, "Sideloads"; the documented example is `tickets/1.json?include=users,groups`);
/// - users: `open_ticket_count`, `{"<user id>": n}` (Side-Loading, "Open Ticket Count": "the
///   total number of open tickets assigned to the user"): the tickets assigned to the user that
///   are new, open, pending or on hold. An end user's is 0 whatever they requested, so the
///   adapter does not read it as "no open tickets".
///
/// Names an endpoint does not offer (`groups`, `organizations`, typos) are ignored, as Zendesk
/// ignores them: the answer is the same as without them.
fn sideloads(
    w: &World,
    base: &str,
    q: &HashMap<String, String>,
    kind: &str,
    records: &[Value],
) -> Map<String, Value> {
    let asked: Vec<&str> = q
        .get("include")
        .map(|i| i.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let mut out = Map::new();
    if kind == "tickets" && asked.contains(&"users") {
        let mut ids: Vec<u64> = Vec::new();
        for t in records {
            for k in ["requester_id", "submitter_id", "assignee_id"] {
                if let Some(id) = t[k].as_u64().filter(|id| !ids.contains(id)) {
                    ids.push(id);
                }
            }
        }
        let users: Vec<Value> = ids
            .iter()
            .filter_map(|id| w.users.get(id))
            .map(|u| u.to_json(base))
            .collect();
        out.insert("users".into(), Value::Array(users));
    }
    if kind == "users" && asked.contains(&"open_ticket_count") {
        let counts: Map<String, Value> = records
            .iter()
            .filter_map(|u| u["id"].as_u64())
            .map(|id| {
                let open = w
                    .tickets
                    .values()
                    .filter(|t| {
                        t.assignee_id == Some(id)
                            && matches!(t.status.as_str(), "new" | "open" | "pending" | "hold")
                    })
                    .count();
                (id.to_string(), json!(open))
            })
            .collect();
        out.insert("open_ticket_count".into(), Value::Object(counts));
    }
    out
}

fn ids_param(q: &HashMap<String, String>) -> Vec<u64> {
    q.get("ids")
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_default()
}

fn first_agent(w: &World) -> Option<u64> {
    w.agents.first().map(|a| a.zendesk_user_id)
}

/// The author of a write: the acting agent, else the default CRM user, else the first agent.
fn author(w: &World, actor: Option<u64>) -> u64 {
    actor
        .or(w.settings.developer.default_crm_user_id)
        .or_else(|| first_agent(w))
        .unwrap_or(0)
}

/// Whether `user` has a phone matching the `phone:` search term `pattern` (`*digits` = suffix,
/// else all digits equal), in `search` and `users/search`.
///
/// Talk Partner Edition guide (searching users by phone number): leave the `+` out of a
/// `phone:` search. A value with a `+` in it matches no one: the search answers 200 with no
/// results, as Zendesk does, and a client that sends one finds no caller.
fn phone_matches(user: &User, pattern: &str) -> bool {
    !pattern.contains('+') && phone_is(user, pattern)
}

/// Whether `user` has the phone `pattern` (`*digits` = suffix, else all digits equal).
fn phone_is(user: &User, pattern: &str) -> bool {
    let (suffix, p) = match pattern.strip_prefix('*') {
        Some(rest) => (true, digits(rest)),
        None => (false, digits(pattern)),
    };
    if p.is_empty() {
        return false;
    }
    user.phones().iter().any(|ph| {
        let d = digits(ph);
        if suffix {
            d.ends_with(&p)
        } else {
            d == p
        }
    })
}

fn users_search(w: &World, base: &str, q: &HashMap<String, String>, url: &str) -> ApiResponse {
    let found: Vec<Value> = if let Some(ext) = q.get("external_id") {
        w.users
            .values()
            .filter(|u| u.external_id.as_deref() == Some(ext.as_str()))
            .map(|u| u.to_json(base))
            .collect()
    } else {
        let query = q.get("query").map(|s| s.trim()).unwrap_or("");
        if query.is_empty() {
            return invalid(detail("query", "Query: cannot be blank", "BlankValue"));
        }
        // Search-backed: a user created within the index lag is not found yet, and one
        // deleted within it is still found.
        w.users
            .values()
            .filter(|u| w.searchable(u.id) && user_matches(u, query))
            .map(|u| u.to_json(base))
            .chain(stale_users_matching(w, base, query))
            .collect()
    };
    let side = |page: &[Value]| sideloads(w, base, q, "users", page);
    paged("users", found, url, q, Paging::Offset, &side)
}

/// The users deleted within the index lag that `query` matches, as the index still shows them:
/// soft-deleted (`active: false`). UNCONFIRMED (reference/zendesk.md says nothing of deleted
/// users in search): Zendesk's index lags a deletion as it lags a creation; the soft-deleted
/// record is what Zendesk shows of a deleted user by id.
fn stale_users_matching<'a>(
    w: &'a World,
    base: &'a str,
    query: &'a str,
) -> impl Iterator<Item = Value> + 'a {
    w.stale_users()
        .filter(move |u| !w.users.contains_key(&u.id) && user_matches(u, query))
        .map(move |u| {
            let mut j = u.to_json(base);
            j["active"] = json!(false);
            j
        })
}

/// Users search: every term must match (name, email, phone, `phone:`/`role:`/`email:` terms).
fn user_matches(u: &User, query: &str) -> bool {
    query.split_whitespace().all(|term| {
        if let Some(p) = term.strip_prefix("phone:") {
            return phone_matches(u, p);
        }
        if let Some(r) = term.strip_prefix("role:") {
            return u.role == r;
        }
        if let Some(e) = term.strip_prefix("email:") {
            return u
                .email
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(e));
        }
        if term.starts_with("type:") {
            return true;
        }
        if TICKET_ONLY_TERMS.iter().any(|k| term.starts_with(k)) {
            return false;
        }
        let t = term.to_lowercase();
        let d = digits(term);
        u.name.to_lowercase().contains(&t)
            || u.email
                .as_deref()
                .is_some_and(|e| e.to_lowercase().contains(&t))
            || (d.len() >= 3
                && d.len() == term.trim_start_matches('+').len()
                && u.phones().iter().any(|p| digits(p).contains(&d)))
    })
}

/// The record types `search` returns and the `type:` keyword names (Search API, "Using the
/// 'type' keyword": ticket, user, organization, group). The sandbox has no organizations or
/// groups, so those searches find nothing.
const SEARCH_TYPES: [&str; 4] = ["ticket", "user", "organization", "group"];

/// Search API, "List Search Results": a query without `type:` returns every record type that
/// matches ("query=Greenbriar: any record with the word Greenbriar"), users and tickets here,
/// each result with its `result_type`; `type:user` or `type:ticket` returns that type only.
/// Terms that name another type's property (`phone:`, `role:` for users; `status:`,
/// `requester:` for tickets) match no record of the other type. Tickets are ordered by
/// `sort_by` (`updated_at` by default, `created_at`), newest first unless `sort_order=asc`;
/// with both types, users come first. UNCONFIRMED: Zendesk's default order is relevance, which
/// is not modelled.
fn search(w: &World, base: &str, q: &HashMap<String, String>, url: &str) -> ApiResponse {
    let query = q.get("query").map(|s| s.trim()).unwrap_or("");
    if query.is_empty() {
        return ApiResponse::json(
            400,
            json!({"error": "invalid", "description": "Query: cannot be blank"}),
        );
    }
    let kind = query
        .split_whitespace()
        .find_map(|t| t.strip_prefix("type:"))
        .map(str::to_ascii_lowercase);
    let wants = |t: &str| match &kind {
        Some(k) => k == t,
        None => SEARCH_TYPES.contains(&t),
    };
    let mut results: Vec<Value> = Vec::new();
    if wants("user") {
        for u in w
            .users
            .values()
            .filter(|u| w.searchable(u.id) && user_matches(u, query))
        {
            let mut j = u.to_json(base);
            j["result_type"] = json!("user");
            results.push(j);
        }
        for mut j in stale_users_matching(w, base, query) {
            j["result_type"] = json!("user");
            results.push(j);
        }
    }
    if wants("ticket") {
        let mut tickets: Vec<Value> = Vec::new();
        for t in w
            .tickets
            .values()
            .filter(|t| w.searchable(t.id) && ticket_matches(t, query))
        {
            let mut j = t.to_json(base);
            j["result_type"] = json!("ticket");
            tickets.push(j);
        }
        let desc = q.get("sort_order").map(String::as_str) != Some("asc");
        match q.get("sort_by").map(String::as_str) {
            Some("created_at") => {
                tickets.sort_by_key(|t| t["created_at"].as_str().map(String::from))
            }
            _ => tickets.sort_by_key(|t| t["updated_at"].as_str().map(String::from)),
        }
        if desc {
            tickets.reverse();
        }
        results.extend(tickets);
    }
    let facets = |_: &[Value]| {
        let mut extra = Map::new();
        extra.insert("facets".into(), Value::Null);
        extra
    };
    paged("results", results, url, q, Paging::Offset, &facets)
}

const STATUS_ORDER: [&str; 6] = ["new", "open", "pending", "hold", "solved", "closed"];

fn status_rank(s: &str) -> usize {
    STATUS_ORDER.iter().position(|x| *x == s).unwrap_or(0)
}

/// Search terms naming a ticket property: no user matches them.
const TICKET_ONLY_TERMS: [&str; 8] = [
    "requester_id:",
    "requester:",
    "assignee:",
    "tags:",
    "tag:",
    "status<",
    "status>",
    "status:",
];

/// Search terms naming a user property: no ticket matches them.
const USER_ONLY_TERMS: [&str; 3] = ["phone:", "role:", "email:"];

fn ticket_matches(t: &Ticket, query: &str) -> bool {
    query.split_whitespace().all(|term| {
        if term.starts_with("type:") {
            return true;
        }
        if USER_ONLY_TERMS.iter().any(|k| term.starts_with(k)) {
            return false;
        }
        for key in ["requester_id:", "requester:"] {
            if let Some(v) = term.strip_prefix(key) {
                return v.parse::<u64>().ok() == Some(t.requester_id);
            }
        }
        if let Some(v) = term.strip_prefix("assignee:") {
            return v.parse::<u64>().ok() == t.assignee_id;
        }
        if let Some(v) = term
            .strip_prefix("tags:")
            .or_else(|| term.strip_prefix("tag:"))
        {
            return t.tags.iter().any(|x| x == v);
        }
        if let Some(v) = term.strip_prefix("status<") {
            return status_rank(&t.status) < status_rank(v);
        }
        if let Some(v) = term.strip_prefix("status>") {
            return status_rank(&t.status) > status_rank(v);
        }
        if let Some(v) = term.strip_prefix("status:") {
            return t.status == v;
        }
        let term = term.to_lowercase();
        t.subject.to_lowercase().contains(&term) || t.id.to_string() == term
    })
}

fn identities(u: &User, base: &str, q: &HashMap<String, String>, url: &str) -> ApiResponse {
    let mut all: Vec<Identity> = Vec::new();
    if let Some(e) = &u.email {
        all.push(Identity {
            id: u.id * 10 + 1,
            kind: "email".into(),
            value: e.clone(),
            primary: true,
        });
    }
    if let Some(p) = &u.phone {
        all.push(Identity {
            id: u.id * 10 + 2,
            kind: "phone_number".into(),
            value: p.clone(),
            primary: true,
        });
    }
    all.extend(u.identities.iter().cloned());
    let want = q
        .get("type[]")
        .or_else(|| q.get("type"))
        .map(String::as_str);
    let items: Vec<Value> = all
        .iter()
        .filter(|i| want.is_none_or(|t| t == i.kind))
        .map(|i| identity_json(i, u, base))
        .collect();
    paged(
        "identities",
        items,
        url,
        q,
        Paging::CursorOrOffset,
        &nothing,
    )
}

fn identity_json(i: &Identity, u: &User, base: &str) -> Value {
    json!({
        "url": format!("{base}/api/v2/users/{}/identities/{}.json", u.id, i.id),
        "id": i.id, "user_id": u.id, "type": i.kind, "value": i.value,
        "verified": true, "primary": i.primary,
        "created_at": iso(u.created_at), "updated_at": iso(u.updated_at),
        "undeliverable_count": 0, "deliverable_state": "deliverable",
    })
}

fn add_identity(w: &mut World, base: &str, user: Option<u64>, body: &Value) -> ApiResponse {
    let Some(uid) = user.filter(|u| w.users.contains_key(u)) else {
        return not_found();
    };
    let ident = body.get("identity").cloned().unwrap_or(json!({}));
    let kind = ident["type"].as_str().unwrap_or("").to_string();
    let value = ident["value"].as_str().unwrap_or("").trim().to_string();
    if ![
        "email",
        "phone_number",
        "twitter",
        "facebook",
        "google",
        "agent_forwarding",
    ]
    .contains(&kind.as_str())
    {
        return invalid(detail("type", "Type: is not valid", "InvalidValue"));
    }
    if value.is_empty() {
        return invalid(detail("value", "Value: cannot be blank", "BlankValue"));
    }
    if kind == "phone_number" {
        if let Some(bad) = phone_invalid(&value) {
            return invalid(bad);
        }
        // User Identities API: a phone number identity belongs to one user only.
        let taken = w.users.values().any(|o| {
            o.id != uid
                && o.identities
                    .iter()
                    .any(|i| i.kind == "phone_number" && digits(&i.value) == digits(&value))
        });
        if taken {
            return invalid(detail(
                "value",
                &format!("Value: {value} is already being used by another user"),
                "DuplicateValue",
            ));
        }
    }
    let id = w.next_id();
    let u = w.users.get_mut(&uid).expect("checked");
    if u.phones().contains(&value) || u.email.as_deref() == Some(&value) {
        return invalid(detail(
            "value",
            &format!("Value: {value} is already being used by another user"),
            "DuplicateValue",
        ));
    }
    let i = Identity {
        id,
        kind,
        value,
        primary: false,
    };
    u.identities.push(i.clone());
    u.updated_at = now_s();
    let j = identity_json(&i, u, base);
    ApiResponse::json(201, json!({ "identity": j }))
}

fn requested(
    w: &World,
    base: &str,
    user: u64,
    q: &HashMap<String, String>,
    url: &str,
) -> ApiResponse {
    let mut t: Vec<&Ticket> = w
        .tickets
        .values()
        .filter(|t| t.requester_id == user)
        .collect();
    match q.get("sort_by").map(String::as_str) {
        Some("created_at") => t.sort_by_key(|t| (t.created_at, t.id)),
        Some("id") => t.sort_by_key(|t| t.id),
        _ => t.sort_by_key(|t| (t.updated_at, t.id)),
    }
    if q.get("sort_order").map(String::as_str) == Some("desc") {
        t.reverse();
    }
    let t = t.into_iter().map(|t| t.to_json(base)).collect();
    let side = |page: &[Value]| sideloads(w, base, q, "tickets", page);
    paged("tickets", t, url, q, Paging::CursorOrOffset, &side)
}

/// Users API: a phone must look like a phone number (digits, optionally `+`, spaces, dashes,
/// dots, parentheses, an `x` extension); otherwise 422 `InvalidValue`. UNCONFIRMED: Zendesk's
/// exact rule; this one refuses letters and numbers of fewer than 5 or more than 20 digits.
fn phone_invalid(phone: &str) -> Option<Value> {
    let allowed = |c: char| c.is_ascii_digit() || " +-.()x".contains(c);
    let n = phone.chars().filter(char::is_ascii_digit).count();
    (!phone.chars().all(allowed) || !(5..=20).contains(&n)).then(|| {
        detail(
            "phone",
            &format!("Phone: {phone} is not properly formatted"),
            "InvalidValue",
        )
    })
}

/// Users API "Update User": the fields given change (name, phone, locale); the rest stays.
fn update_user(w: &mut World, base: &str, id: u64, body: &Value) -> ApiResponse {
    let patch = body.get("user").cloned().unwrap_or(json!({}));
    let text = |k: &str| patch.get(k).and_then(Value::as_str).map(str::to_owned);
    if let Some(bad) = text("phone")
        .filter(|p| !p.is_empty())
        .and_then(|p| phone_invalid(&p))
    {
        return invalid(bad);
    }
    let user = w.users.get_mut(&id).expect("checked by the route");
    if let Some(name) = text("name") {
        user.name = name;
    }
    if let Some(phone) = text("phone") {
        user.phone = Some(phone);
    }
    if let Some(locale) = text("locale") {
        user.locale = locale;
    }
    user.updated_at = crate::model::now_s();
    ApiResponse::json(200, json!({"user": user.to_json(base)}))
}

fn create_user(w: &mut World, base: &str, body: &Value, upsert: bool) -> ApiResponse {
    let Some(u) = body.get("user").and_then(Value::as_object) else {
        return invalid(detail("user", "User: is required", "BlankValue"));
    };
    let s = |k: &str| {
        u.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let email = s("email");
    let external_id = s("external_id");
    if upsert {
        let existing = w.users.values().find(|x| {
            (email.is_some()
                && x.email.as_deref().map(str::to_lowercase)
                    == email.as_deref().map(str::to_lowercase))
                || (external_id.is_some()
                    && x.external_id.as_deref().map(str::to_lowercase)
                        == external_id.as_deref().map(str::to_lowercase))
        });
        if let Some(id) = existing.map(|x| x.id) {
            let x = w.users.get_mut(&id).expect("found");
            if let Some(n) = s("name") {
                x.name = n;
            }
            if let Some(p) = s("phone") {
                x.phone = Some(p);
            }
            x.updated_at = now_s();
            let mut r = ApiResponse::json(200, json!({"user": x.to_json(base)}));
            r.headers
                .push(("Location".into(), format!("{base}/api/v2/users/{id}.json")));
            return r;
        }
    }
    let Some(name) = s("name") else {
        return invalid(detail(
            "name",
            "Name: is too short (minimum is 1 character)",
            "BlankValue",
        ));
    };
    if let Some(bad) = s("phone").and_then(|p| phone_invalid(&p)) {
        return invalid(bad);
    }
    if let Some(e) = &email {
        if w.users.values().any(|x| {
            x.email
                .as_deref()
                .is_some_and(|y| y.eq_ignore_ascii_case(e))
        }) {
            return invalid(detail(
                "email",
                &format!("Email: {e} is already being used by another user"),
                "DuplicateValue",
            ));
        }
    }
    let role = s("role").unwrap_or_else(|| "end-user".into());
    if !["end-user", "agent", "admin"].contains(&role.as_str()) {
        return invalid(detail("role", "Role: is not valid", "InvalidValue"));
    }
    let id = w.next_id();
    let now = now_s();
    let mut user = User {
        id,
        name,
        email,
        phone: s("phone"),
        role,
        external_id,
        tags: u
            .get("tags")
            .and_then(|t| serde_json::from_value(t.clone()).ok())
            .unwrap_or_default(),
        identities: vec![],
        shared_phone_number: u
            .get("shared_phone_number")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        locale: s("locale").unwrap_or_else(|| "en-US".into()),
        created_at: now,
        updated_at: now,
    };
    if let Some(list) = u.get("identities").and_then(Value::as_array) {
        for i in list {
            if let (Some(kind), Some(value)) = (i["type"].as_str(), i["value"].as_str()) {
                let iid = w.next_id();
                user.identities.push(Identity {
                    id: iid,
                    kind: kind.into(),
                    value: value.into(),
                    primary: false,
                });
            }
        }
    }
    let j = user.to_json(base);
    w.users.insert(id, user);
    w.index_later(id);
    let mut r = ApiResponse::json(201, json!({ "user": j }));
    r.headers
        .push(("Location".into(), format!("{base}/api/v2/users/{id}.json")));
    r
}

const STATUSES: [&str; 6] = STATUS_ORDER;

/// Applies a ticket patch (create when `is_new`); returns the audit (none for an update that
/// changed nothing) or the 422 `details`.
fn apply(
    w: &mut World,
    t: &mut Ticket,
    patch: &Value,
    actor: Option<u64>,
    is_new: bool,
) -> Result<Option<Audit>, Value> {
    let Some(p) = patch.as_object() else {
        return Err(detail("ticket", "Ticket: is invalid", "InvalidValue"));
    };
    if !is_new && t.status == "closed" {
        return Err(closed_details());
    }
    let author_id = author(w, actor);
    let mut events: Vec<Value> = Vec::new();
    let mut change = |field: &str, value: Value, previous: Value| {
        if is_new {
            events.push(json!({"id": 0, "type": "Create", "field_name": field, "value": value}));
        } else if value != previous {
            events.push(json!({"id": 0, "type": "Change", "field_name": field, "value": value, "previous_value": previous}));
        }
    };
    if let Some(s) = p.get("status") {
        let s = s.as_str().unwrap_or("");
        if !STATUSES.contains(&s) {
            return Err(detail("status", "Status: is not valid", "InvalidValue"));
        }
        change("status", json!(s), json!(t.status));
        t.status = s.into();
    }
    if let Some(s) = p.get("subject").and_then(Value::as_str) {
        change("subject", json!(s), json!(t.subject));
        t.subject = s.into();
    }
    if let Some(r) = p.get("requester_id") {
        match r.as_u64().filter(|r| w.users.contains_key(r)) {
            Some(r) => {
                change("requester_id", json!(r), json!(t.requester_id));
                t.requester_id = r;
            }
            None => return Err(detail("requester", "Requester: is invalid", "InvalidValue")),
        }
    } else if let Some(r) = p.get("requester").and_then(Value::as_object) {
        // Inline requester: an existing user by email or phone, else a new end user.
        let email = r.get("email").and_then(Value::as_str);
        let phone = r.get("phone").and_then(Value::as_str);
        let found = w.users.values().find(|u| {
            email.is_some_and(|e| u.email.as_deref() == Some(e))
                || phone.is_some_and(|ph| phone_is(u, ph))
        });
        let rid = match found {
            Some(u) => u.id,
            None => {
                let name = r.get("name").and_then(Value::as_str).unwrap_or("Caller");
                let id = w.next_id();
                let now = now_s();
                w.users.insert(
                    id,
                    User {
                        id,
                        name: name.into(),
                        email: email.map(Into::into),
                        phone: phone.map(Into::into),
                        role: "end-user".into(),
                        external_id: None,
                        tags: vec![],
                        identities: vec![],
                        shared_phone_number: false,
                        locale: "en-US".into(),
                        created_at: now,
                        updated_at: now,
                    },
                );
                w.index_later(id);
                id
            }
        };
        change("requester_id", json!(rid), json!(t.requester_id));
        t.requester_id = rid;
    } else if is_new {
        return Err(detail(
            "requester",
            "Requester: cannot be blank",
            "BlankValue",
        ));
    }
    if let Some(a) = p.get("assignee_id") {
        if a.is_null() {
            change("assignee_id", Value::Null, json!(t.assignee_id));
            t.assignee_id = None;
        } else {
            match a
                .as_u64()
                .filter(|a| w.users.get(a).is_some_and(|u| u.role != "end-user"))
            {
                Some(a) => {
                    change("assignee_id", json!(a), json!(t.assignee_id));
                    t.assignee_id = Some(a);
                }
                None => return Err(detail("assignee", "Assignee: is invalid", "InvalidValue")),
            }
        }
    }
    let tag_list = |v: &Value| -> Vec<String> {
        match v {
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
            Value::String(s) => s.split_whitespace().map(String::from).collect(),
            _ => vec![],
        }
    };
    let before_tags = json!(t.tags);
    if let Some(tags) = p.get("tags") {
        t.tags = tag_list(tags);
    }
    for tag in p.get("additional_tags").map(tag_list).unwrap_or_default() {
        if !t.tags.contains(&tag) {
            t.tags.push(tag);
        }
    }
    if let Some(remove) = p.get("remove_tags").map(tag_list) {
        t.tags.retain(|x| !remove.contains(x));
    }
    if json!(t.tags) != before_tags {
        change("tags", json!(t.tags), before_tags);
    }
    if let Some(fields) = p.get("custom_fields").and_then(Value::as_array) {
        for f in fields {
            let Some(fid) = f.get("id").and_then(Value::as_u64) else {
                return Err(detail(
                    "custom_fields",
                    "Custom fields: id is missing",
                    "InvalidValue",
                ));
            };
            let value = f.get("value").cloned().unwrap_or(Value::Null);
            let prev = t
                .custom_fields
                .iter()
                .find(|x| x["id"].as_u64() == Some(fid))
                .map(|x| x["value"].clone())
                .unwrap_or(Value::Null);
            change(&fid.to_string(), value.clone(), prev);
            t.custom_fields.retain(|x| x["id"].as_u64() != Some(fid));
            t.custom_fields.push(json!({"id": fid, "value": value}));
        }
    }
    if let Some(v) = p.get("via_id").and_then(Value::as_u64) {
        if is_new {
            t.via_id = u32::try_from(v).unwrap_or(4);
        }
    }
    let audit_id = w.next_id();
    let now = now_s();
    let mut new_comments = Vec::new();
    if let Some(c) = p.get("comment").and_then(Value::as_object) {
        let text = c
            .get("body")
            .or_else(|| c.get("html_body"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if !text.trim().is_empty() {
            let public = c
                .get("public")
                .and_then(Value::as_bool)
                .unwrap_or_else(|| t.comments.first().is_none_or(|f| f.public));
            new_comments.push(Comment {
                id: w.next_id(),
                kind: "Comment".into(),
                body: text.into(),
                public,
                author_id: c
                    .get("author_id")
                    .and_then(Value::as_u64)
                    .unwrap_or(author_id),
                audit_id,
                data: None,
                created_at: now,
            });
        }
    }
    if let Some(vc) = p.get("voice_comment").filter(|v| v.is_object()) {
        new_comments.push(Comment {
            id: w.next_id(),
            kind: "VoiceComment".into(),
            body: voice_body(vc),
            public: false,
            author_id: vc
                .get("answered_by_id")
                .and_then(Value::as_u64)
                .unwrap_or(author_id),
            audit_id,
            data: Some(vc.clone()),
            created_at: now,
        });
    }
    if is_new && new_comments.is_empty() {
        return Err(detail(
            "description",
            "Description: cannot be blank",
            "BlankValue",
        ));
    }
    for c in &new_comments {
        events.push(json!({
            "id": c.id, "type": c.kind, "body": c.body, "plain_body": c.body,
            "html_body": format!("<div class=\"zd-comment\"><p>{}</p></div>", crate::model::html_escape(&c.body)),
            "public": c.public, "author_id": c.author_id, "attachments": [], "audit_id": audit_id,
        }));
    }
    if is_new {
        t.description = new_comments
            .first()
            .map(|c| c.body.clone())
            .unwrap_or_default();
        t.submitter_id = Some(author_id);
        t.created_at = now;
    }
    if !is_new && events.is_empty() {
        // Tickets API, "Setting Metadata": an update that changes nothing makes no audit (and so
        // keeps no metadata) and leaves `updated_at` as it was.
        return Ok(None);
    }
    t.comments.extend(new_comments);
    t.updated_at = now;
    for e in events.iter_mut() {
        if e["id"] == json!(0) {
            e["id"] = json!(w.next_id());
        }
    }
    let audit = Audit {
        id: audit_id,
        ticket_id: t.id,
        author_id,
        // Tickets API, "Setting Metadata": the `metadata` object sent with the request is stored
        // as the audit's `metadata.custom`, as it came.
        custom: p
            .get("metadata")
            .filter(|m| m.is_object())
            .cloned()
            .unwrap_or(json!({})),
        events,
        created_at: now,
    };
    t.audits.push(audit.clone());
    Ok(Some(audit))
}

fn voice_body(vc: &Value) -> String {
    let s = |k: &str| {
        vc.get(k).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    let mut out = String::from("Call");
    for (label, key) in [
        ("From", "from"),
        ("To", "to"),
        ("Started", "started_at"),
        ("Duration (s)", "call_duration"),
        ("Recording", "recording_url"),
        ("Location", "location"),
        ("Transcription", "transcription_text"),
    ] {
        if let Some(v) = s(key) {
            out.push_str(&format!("\n{label}: {v}"));
        }
    }
    out
}

/// Tickets API, "Protecting against ticket update collisions": an update with `safe_update`
/// and the `updated_stamp` the writer last saw is refused with 409 when the ticket was updated
/// after that stamp (compared in whole seconds, the stamp's precision). The two keys are taken
/// out of the patch. A safe update without a readable stamp is refused with 400 (UNCONFIRMED:
/// the status Zendesk answers a missing or malformed stamp with).
fn collision(t: &Ticket, patch: &mut Value) -> Option<ApiResponse> {
    let fields = patch.as_object_mut()?;
    let safe = fields.remove("safe_update").and_then(|v| v.as_bool()) == Some(true);
    let stamp = fields.remove("updated_stamp");
    if !safe {
        return None;
    }
    let seen = stamp
        .as_ref()
        .and_then(Value::as_str)
        .and_then(domain::time::parse_iso8601);
    match seen {
        None => Some(ApiResponse::json(
            400,
            json!({"error": "InvalidValue", "description": "updated_stamp: a timestamp is required with safe_update"}),
        )),
        Some(seen) if t.updated_at > seen => Some(ApiResponse::json(409, status_body(409))),
        Some(_) => None,
    }
}

/// Updates ticket `id` with `patch`; the audit (none when nothing changed), or the 422 details.
pub fn update_ticket(
    w: &mut World,
    id: u64,
    patch: &Value,
    actor: Option<u64>,
) -> Result<Option<Audit>, Value> {
    let mut t = w
        .tickets
        .get(&id)
        .cloned()
        .ok_or_else(|| json!({"base": [{"description": "Not found"}]}))?;
    let audit = apply(w, &mut t, patch, actor, false)?;
    w.tickets.insert(id, t);
    Ok(audit)
}

fn blank_ticket(id: u64) -> Ticket {
    Ticket {
        id,
        subject: String::new(),
        description: String::new(),
        status: "new".into(),
        requester_id: 0,
        submitter_id: None,
        assignee_id: None,
        tags: vec![],
        custom_fields: vec![],
        via_id: 4,
        comments: vec![],
        audits: vec![],
        merged_into: None,
        created_at: 0,
        updated_at: 0,
    }
}

fn create_ticket(
    w: &mut World,
    base: &str,
    patch: Option<&Value>,
    actor: Option<u64>,
    display_to: Option<u64>,
) -> ApiResponse {
    let Some(patch) = patch else {
        return invalid(detail("ticket", "Ticket: is required", "BlankValue"));
    };
    let id = w.next_id();
    let mut t = blank_ticket(id);
    let mut p = patch.clone();
    // A new ticket with an assignee and no status is `open`, as in Zendesk.
    if p.get("status").is_none() {
        let has_assignee = p.get("assignee_id").is_some_and(|a| !a.is_null());
        p["status"] = json!(if has_assignee { "open" } else { "new" });
    }
    match apply(w, &mut t, &p, actor, true) {
        Ok(audit) => {
            if t.subject.is_empty() {
                t.subject = t
                    .description
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(80)
                    .collect();
            }
            let via = crate::model::via_json(t.via_id);
            let mut j = json!({"ticket": t.to_json(base)});
            if let Some(audit) = audit {
                j["audit"] = audit.to_json(&via);
            }
            w.tickets.insert(id, t);
            w.index_later(id);
            if let Some(agent) = display_to {
                let seq = w.displays.len() as u64 + 1;
                w.displays.push(crate::state::Display {
                    seq,
                    agent_id: agent,
                    kind: "ticket".into(),
                    id,
                });
            }
            let mut r = ApiResponse::json(201, j);
            r.headers.push((
                "Location".into(),
                format!("{base}/api/v2/tickets/{id}.json"),
            ));
            r
        }
        Err(details) => invalid(details),
    }
}

/// 400 [`IDEMPOTENCY_MISMATCH`].
pub fn idempotency_mismatch() -> ApiResponse {
    let (error, description) = IDEMPOTENCY_MISMATCH;
    ApiResponse::json(400, json!({"error": error, "description": description}))
}

/// A ticket creation on `route` made idempotent by the request's key: `create` runs unless the
/// key was seen; a replay with the same body answers the ticket it created, as it is now, in the
/// shape of a fresh creation (`POST tickets` with the creation audit, the voice route without).
fn idempotent(
    w: &mut World,
    base: &str,
    req: &ApiRequest,
    route: &'static str,
    create: impl FnOnce(&mut World) -> ApiResponse,
) -> ApiResponse {
    let Some(key) = req.idempotency_key.as_deref() else {
        return create(w);
    };
    if let Some(seen) = w.idempotency.get(key) {
        if seen.route != route || seen.body != req.body {
            return idempotency_mismatch();
        }
        if let Some(t) = w.tickets.get(&seen.ticket_id) {
            let mut j = json!({"ticket": t.to_json(base)});
            if route == TICKETS_ROUTE {
                if let Some(audit) = t.audits.first() {
                    j["audit"] = audit.to_json(&crate::model::via_json(t.via_id));
                }
            }
            let mut r = ApiResponse::json(201, j);
            r.headers.push((
                "Location".into(),
                format!("{base}/api/v2/tickets/{}.json", t.id),
            ));
            r.headers
                .push((IDEMPOTENCY_LOOKUP_HEADER.into(), "hit".into()));
            return r;
        }
    }
    let mut r = create(w);
    let created = r
        .body
        .as_ref()
        .and_then(|b| b["ticket"]["id"].as_u64())
        .filter(|_| r.status == 201);
    if let Some(ticket_id) = created {
        w.idempotency.insert(
            key.to_string(),
            IdempotentCreation {
                ticket_id,
                route,
                body: req.body.clone(),
            },
        );
    }
    r.headers
        .push((IDEMPOTENCY_LOOKUP_HEADER.into(), "miss".into()));
    r
}

fn voice_ticket(w: &mut World, base: &str, body: &Value, actor: Option<u64>) -> ApiResponse {
    let display = match body.get("display_to_agent") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(v) => {
            let id = v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
            match id.filter(|a| w.users.get(a).is_some_and(|u| u.role != "end-user")) {
                Some(a) => Some(a),
                None => {
                    return invalid(detail(
                        "display_to_agent",
                        "Display to agent: is invalid",
                        "InvalidValue",
                    ))
                }
            }
        }
    };
    let Some(ticket) = body.get("ticket") else {
        return invalid(detail("ticket", "Ticket: is required", "BlankValue"));
    };
    match ticket.get("via_id").and_then(Value::as_u64) {
        Some(44) if ticket.get("voice_comment").is_none_or(|v| !v.is_object()) => {
            return invalid(detail(
                "voice_comment",
                "Voice comment: is required for a voicemail",
                "BlankValue",
            ))
        }
        Some(44..=46) => {}
        _ => return invalid(detail("via_id", "Via: is invalid", "InvalidValue")),
    }
    let mut r = create_ticket(w, base, Some(ticket), actor, display);
    if let Some(b) = r.body.as_mut() {
        if let Some(o) = b.as_object_mut() {
            o.remove("audit");
        }
    }
    r
}

/// The `job_status` of a job (Job Statuses API, "Show Job Status"): `queued` with no
/// progress, `working` with progress, `completed` with `results`.
fn job_status_json(
    base: &str,
    id: &str,
    total: usize,
    status: &str,
    results: Option<Vec<Value>>,
) -> Value {
    let url = format!("{base}/api/v2/job_statuses/{id}.json");
    match (status, results) {
        ("completed", Some(results)) => json!({
            "id": id, "url": url, "total": total, "progress": total,
            "status": "completed", "message": format!("Completed at {}", iso(now_s())),
            "results": results,
        }),
        ("working", _) => {
            json!({"id": id, "url": url, "total": total, "progress": 0, "status": "working", "message": null, "results": null})
        }
        _ => {
            json!({"id": id, "url": url, "total": total, "progress": null, "status": "queued", "message": null, "results": null})
        }
    }
}

/// Queues a bulk job over `items` (ticket id, patch): with no job delay it is applied now and
/// `completed` at the first poll; otherwise it stays `queued` for the delay, `working` for as
/// long again, and is applied when that is over ([`run_jobs`]).
fn queue_updates(w: &mut World, base: &str, items: Vec<(u64, Value)>, actor: Option<u64>) -> Value {
    let n = w.next_id();
    let id = format!("V3-{n:x}");
    let total = items.len();
    let delay = i64::try_from(w.timing.job_delay_ms).unwrap_or(0);
    let now = now_ms();
    w.jobs.insert(
        id.clone(),
        Job {
            status: job_status_json(base, &id, total, "queued", None),
            polls: 0,
            pending: items,
            actor,
            working_at_ms: now + delay,
            done_at_ms: now + 2 * delay,
        },
    );
    if delay == 0 {
        run_jobs(w, base);
    }
    job_status_json(base, &id, total, "queued", None)
}

/// Moves the bulk jobs on: `working` once their delay is over, applied and `completed` after
/// as long again. Runs before every request.
pub fn run_jobs(w: &mut World, base: &str) {
    let now = now_ms();
    let due: Vec<String> = w
        .jobs
        .iter()
        .filter(|(_, j)| j.status["status"] != "completed")
        .map(|(id, _)| id.clone())
        .collect();
    for id in due {
        let (working_at, done_at, total) = {
            let j = &w.jobs[&id];
            (j.working_at_ms, j.done_at_ms, j.pending.len())
        };
        if now >= done_at {
            let (items, actor) = {
                let j = w.jobs.get_mut(&id).expect("listed");
                (std::mem::take(&mut j.pending), j.actor)
            };
            let results = apply_updates(w, items, actor);
            if let Some(j) = w.jobs.get_mut(&id) {
                j.status = job_status_json(base, &id, total, "completed", Some(results));
            }
        } else if now >= working_at {
            if let Some(j) = w.jobs.get_mut(&id) {
                j.status = job_status_json(base, &id, total, "working", None);
            }
        }
    }
}

/// A finished job (merge): `completed` at the first poll.
fn job(w: &mut World, base: &str, results: Vec<Value>) -> Value {
    let n = w.next_id();
    let id = format!("V3-{n:x}");
    let total = results.len();
    w.jobs.insert(
        id.clone(),
        Job {
            status: job_status_json(base, &id, total, "completed", Some(results)),
            polls: 0,
            pending: vec![],
            actor: None,
            working_at_ms: 0,
            done_at_ms: 0,
        },
    );
    job_status_json(base, &id, total, "queued", None)
}

fn too_many() -> ApiResponse {
    ApiResponse::json(
        400,
        json!({"error": "TooManyValues", "description": "Parameter  cannot specify more than 100 values", "max_count": MAX_BULK}),
    )
}

fn update_many(
    w: &mut World,
    base: &str,
    body: &Value,
    q: &HashMap<String, String>,
    actor: Option<u64>,
) -> ApiResponse {
    let items: Vec<(u64, Value)> = if let Some(list) = body.get("tickets").and_then(Value::as_array)
    {
        if list.len() > MAX_BULK {
            return too_many();
        }
        let mut out = Vec::new();
        for t in list {
            let Some(id) = t.get("id").and_then(Value::as_u64) else {
                return invalid(detail(
                    "id",
                    "Id: is required for every ticket",
                    "BlankValue",
                ));
            };
            let mut patch = t.clone();
            if let Some(o) = patch.as_object_mut() {
                o.remove("id");
            }
            out.push((id, patch));
        }
        out
    } else {
        let ids = ids_param(q);
        if ids.len() > MAX_BULK {
            return too_many();
        }
        let Some(patch) = body.get("ticket") else {
            return invalid(detail("ticket", "Ticket: is required", "BlankValue"));
        };
        ids.into_iter().map(|i| (i, patch.clone())).collect()
    };
    if items.is_empty() {
        return invalid(detail("tickets", "Tickets: cannot be blank", "BlankValue"));
    }
    let js = queue_updates(w, base, items, actor);
    ApiResponse::json(200, json!({ "job_status": js }))
}

/// Applies a bulk job's updates; the per-ticket results.
fn apply_updates(w: &mut World, items: Vec<(u64, Value)>, actor: Option<u64>) -> Vec<Value> {
    let mut results = Vec::new();
    for (index, (id, patch)) in items.into_iter().enumerate() {
        if !w.tickets.contains_key(&id) {
            results.push(json!({"index": index, "id": id, "action": "update", "success": false, "status": "Failed", "error": "RecordNotFound", "details": "Not found"}));
            continue;
        }
        match update_ticket(w, id, &patch, actor) {
            Ok(_) => results.push(json!({"index": index, "id": id, "action": "update", "success": true, "status": "Updated"})),
            Err(details) => {
                let text = details
                    .as_object()
                    .and_then(|o| o.values().next())
                    .and_then(|v| v[0]["description"].as_str())
                    .unwrap_or("invalid")
                    .to_string();
                results.push(json!({"index": index, "id": id, "action": "update", "success": false, "status": "Failed", "error": "RecordInvalid", "details": text}));
            }
        }
    }
    results
}

fn merge(
    w: &mut World,
    base: &str,
    target: Option<u64>,
    body: &Value,
    actor: Option<u64>,
) -> ApiResponse {
    let Some(target) = target.filter(|t| w.tickets.contains_key(t)) else {
        return not_found();
    };
    let ids: Vec<u64> = body
        .get("ids")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
                .collect()
        })
        .unwrap_or_default();
    if ids.is_empty() {
        return invalid(detail("ids", "Ids: cannot be blank", "BlankValue"));
    }
    if ids.len() > 5 {
        return too_many();
    }
    if w.tickets[&target].status == "closed" {
        return invalid(closed_details());
    }
    for s in &ids {
        match w.tickets.get(s) {
            None => return not_found(),
            Some(t) if t.status == "closed" || *s == target => {
                return invalid(detail(
                    "base",
                    &format!("Ticket #{s} cannot be merged"),
                    "InvalidValue",
                ))
            }
            Some(_) => {}
        }
    }
    let list = ids
        .iter()
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let text = |k: &str, default: String| {
        body.get(k)
            .and_then(Value::as_str)
            .map(String::from)
            .unwrap_or(default)
    };
    let pub_flag = |k: &str| body.get(k).and_then(Value::as_bool).unwrap_or(false);
    let target_comment = text(
        "target_comment",
        format!("Requests {list} were closed and merged into this request."),
    );
    let tpatch = json!({"comment": {"body": target_comment, "public": pub_flag("target_comment_is_public")}});
    if let Err(d) = update_ticket(w, target, &tpatch, actor) {
        return invalid(d);
    }
    let mut results = Vec::new();
    for s in &ids {
        let source_comment = text(
            "source_comment",
            format!("This request was closed and merged into request #{target}."),
        );
        let spatch = json!({
            "status": "closed",
            "additional_tags": ["closed_by_merge"],
            "comment": {"body": source_comment, "public": pub_flag("source_comment_is_public")},
        });
        if let Err(d) = update_ticket(w, *s, &spatch, actor) {
            return invalid(d);
        }
        if let Some(t) = w.tickets.get_mut(s) {
            t.merged_into = Some(target);
        }
        results.push(json!({"id": s, "action": "merge", "success": true, "status": "Merged"}));
    }
    let js = job(w, base, results);
    ApiResponse::json(200, json!({ "job_status": js }))
}

fn create_field(w: &mut World, base: &str, f: Option<&Value>) -> ApiResponse {
    let Some(f) = f.and_then(Value::as_object) else {
        return invalid(detail(
            "ticket_field",
            "Ticket field: is required",
            "BlankValue",
        ));
    };
    let title = f.get("title").and_then(Value::as_str).unwrap_or("").trim();
    if title.is_empty() {
        return invalid(detail("title", "Title: cannot be blank", "BlankValue"));
    }
    let kind = f.get("type").and_then(Value::as_str).unwrap_or("");
    if !CUSTOM_FIELD_TYPES.contains(&kind) {
        return invalid(detail("type", "Type: is not valid", "InvalidValue"));
    }
    let id = w.next_id();
    let mut options = Vec::new();
    for o in f
        .get("custom_field_options")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let oid = w.next_id();
        let name = o["name"].as_str().unwrap_or("");
        options.push(json!({"id": oid, "name": name, "raw_name": name, "value": o["value"], "default": false}));
    }
    let field = TicketField {
        id,
        kind: kind.into(),
        title: title.into(),
        description: f
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .into(),
        active: f.get("active").and_then(Value::as_bool).unwrap_or(true),
        custom_field_options: options,
        created_at: now_s(),
    };
    let j = field.to_json(base, SYSTEM_TICKET_FIELDS.len() + w.ticket_fields.len());
    w.ticket_fields.push(field);
    let mut r = ApiResponse::json(201, json!({ "ticket_field": j }));
    r.headers.push((
        "Location".into(),
        format!("{base}/api/v2/ticket_fields/{id}.json"),
    ));
    r
}

fn create_call(w: &mut World, base: &str, body: &Value, actor: Option<u64>) -> ApiResponse {
    let Some(call) = body.get("call").and_then(Value::as_object) else {
        return invalid(detail("call", "Call: is required", "BlankValue"));
    };
    for k in [
        "app_id",
        "from_line",
        "to_line",
        "call_started_at",
        "direction",
    ] {
        if call.get(k).is_none_or(Value::is_null) {
            return invalid(detail(k, &format!("{k}: cannot be blank"), "BlankValue"));
        }
    }
    let dir = call["direction"].as_str().unwrap_or("");
    if !["inbound", "outbound", "internal", "callback"].contains(&dir) {
        return invalid(detail(
            "direction",
            "direction: is not valid",
            "InvalidValue",
        ));
    }
    let id = w.next_id();
    let now = iso(now_s());
    let mut stored: Map<String, Value> = call.clone();
    stored.insert("id".into(), json!(id));
    stored.insert("account_id".into(), json!(1));
    stored.insert("created_at".into(), json!(now));
    stored.insert("updated_at".into(), json!(now));
    if let Some(comment) = body.get("comment").filter(|c| c.is_object()) {
        if call.contains_key("ticket_id") {
            return invalid(detail(
                "ticket_id",
                "ticket_id: must not be sent with a comment",
                "InvalidValue",
            ));
        }
        let customer = if dir == "outbound" {
            "to_line"
        } else {
            "from_line"
        };
        let number = call[customer].as_str().unwrap_or("").to_string();
        let requester = call.get("end_user_id").and_then(Value::as_u64).or_else(|| {
            w.users
                .values()
                .find(|u| phone_is(u, &number))
                .map(|u| u.id)
        });
        let subject = comment
            .get("subject")
            .or_else(|| comment.get("title"))
            .and_then(Value::as_str)
            .unwrap_or("Call")
            .to_string();
        let mut patch = json!({
            "subject": subject,
            "via_id": if dir == "outbound" { 46 } else { 45 },
            "comment": {"body": subject, "public": false},
        });
        match requester {
            Some(r) => patch["requester_id"] = json!(r),
            None => {
                patch["requester"] = json!({"name": format!("Caller {number}"), "phone": number})
            }
        }
        let r = create_ticket(w, base, Some(&patch), actor, None);
        if r.status != 201 {
            return r;
        }
        let tid = r
            .body
            .as_ref()
            .and_then(|b| b["ticket"]["id"].as_u64())
            .unwrap_or(0);
        stored.insert("ticket_id".into(), json!(tid));
        if let Some(t) = w.tickets.get_mut(&tid) {
            if let Some(c) = t.comments.last_mut() {
                c.kind = "TpeVoiceComment".into();
                c.data = Some(json!({"call_id": id, "title": subject, "direction": dir}));
            }
        }
    }
    let j = Value::Object(stored);
    w.zd_calls.insert(id, j.clone());
    ApiResponse::json(201, json!({ "call": j }))
}

fn call_comment(w: &mut World, call: Option<u64>, body: &Value, actor: Option<u64>) -> ApiResponse {
    let Some(cid) = call.filter(|c| w.zd_calls.contains_key(c)) else {
        return not_found();
    };
    let Some(title) = body.get("title").and_then(Value::as_str) else {
        return invalid(detail("title", "title: cannot be blank", "BlankValue"));
    };
    let call = w.zd_calls[&cid].clone();
    let Some(tid) = call["ticket_id"]
        .as_u64()
        .filter(|t| w.tickets.contains_key(t))
    else {
        return invalid(detail(
            "ticket_id",
            "The call has no ticket",
            "InvalidValue",
        ));
    };
    if w.tickets[&tid].status == "closed" {
        return invalid(closed_details());
    }
    let fields: Vec<String> = body
        .get("call_fields")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_else(|| vec!["direction".into()]);
    let mut text = format!("{title}\n\nSummary");
    for f in &fields {
        if let Some(v) = call.get(f.as_str()).filter(|v| !v.is_null()) {
            let v = v.as_str().map_or_else(|| v.to_string(), String::from);
            text.push_str(&format!("\n{f}: {v}"));
        }
    }
    let patch = json!({"comment": {"body": text, "public": false, "author_id": body.get("author_id").and_then(Value::as_u64).or(call["end_user_id"].as_u64())}});
    let audit_id = match update_ticket(w, tid, &patch, actor) {
        Ok(a) => a.map_or(0, |a| a.id),
        Err(d) => return invalid(d),
    };
    let data = json!({"app_id": call["app_id"], "call_id": cid, "direction": call["direction"], "title": title, "via_id": if call["direction"] == "outbound" { 46 } else { 45 }, "recording_url": call.get("recording_url").cloned().unwrap_or(json!(""))});
    let t = w.tickets.get_mut(&tid).expect("checked");
    let c = t.comments.last_mut().expect("just added");
    c.kind = "TpeVoiceComment".into();
    c.data = Some(data.clone());
    let j = json!({
        "id": c.id, "type": "TpeVoiceComment", "public": false, "data": data,
        "formatted_from": call["from_line"], "formatted_to": call["to_line"],
        "transcription_visible": false, "author_id": c.author_id, "body": c.body,
        "html_body": format!("<div class=\"zd-comment\"><p>{}</p></div>", crate::model::html_escape(&c.body)),
        "trusted": true, "attachments": [], "created_at": iso(c.created_at), "audit_id": audit_id, "title": title,
    });
    if let Some(a) = body.get("display_to_agent").and_then(Value::as_u64) {
        let seq = w.displays.len() as u64 + 1;
        w.displays.push(crate::state::Display {
            seq,
            agent_id: a,
            kind: "ticket".into(),
            id: tid,
        });
    }
    ApiResponse::json(201, j)
}

#[cfg(test)]
mod tests {
    use super::*;

    // One encoder for the links the emulator serves and the platform's own requests: search
    // terms stay readable (`:` and `*` kept), what a query gives a meaning to is encoded.
    #[test]
    fn query_values_keep_colons_and_stars_and_encode_the_rest() {
        assert_eq!(
            encode_query("role:end-user phone:*+1 555"),
            "role:end-user%20phone:*%2B1%20555"
        );
        assert_eq!(encode_query("a&b=c#d/e"), "a%26b%3Dc%23d%2Fe");
        assert_eq!(encode_query("page[size]"), "page%5Bsize%5D");
        let q = parse_query(&format!(
            "query={}",
            encode_query("type:user phone:*5550100")
        ));
        assert_eq!(q["query"], "type:user phone:*5550100");
    }
}
