//! The agent's call history: `GET /calls` a page at a time ([`recent_calls`]), and the control
//! API's seeding of it with ended calls for benchmarks ([`seed`], `POST /_sandbox/history`).
//!
//! A page is the agent's calls that started at `since` or later, newest first by
//! `(started_ms, id)`. Its `next_cursor` names the last call of the page and the `since` it
//! was listed with, so the next page goes on from there whether or not `since` is sent again
//! (a `since` that is sent wins).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{err, signed_in_agent, unauthorized};
use crate::model::{now_ms, PlatformCall};
use crate::state::{App, World};

/// How far back `GET /calls` looks without `since`: what a reloaded adapter resumes from.
pub const RECENT_MS: i64 = 60 * 60 * 1_000;

/// Calls in a page without `limit`.
pub const DEFAULT_LIMIT: usize = 50;

/// The most calls one page may hold.
pub const MAX_LIMIT: usize = 100;

/// The answer to a `limit` that is not a number from 1 to [`MAX_LIMIT`].
pub const BAD_LIMIT: &str = "limit: 1 to 100";

/// The answer to a `cursor` that no page handed out.
pub const BAD_CURSOR: &str = "cursor: not a cursor from a previous page";

/// The answer to a `since` that is not a number.
pub const BAD_SINCE: &str = "since: unix ms";

/// Where the next page of a listing starts: after the call `(started_ms, id)`, among the calls
/// that started at `since` or later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The listing's `since`, unix ms.
    pub since: i64,
    /// The last call listed: when it started, unix ms.
    pub started_ms: i64,
    /// The last call listed: its id.
    pub id: u64,
}

impl Cursor {
    /// The cursor as the API hands it out: `since.started_ms.id`.
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.since, self.started_ms, self.id)
    }

    /// A cursor [`Cursor::encode`] made; None for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let since = parts.next()?.parse().ok()?;
        let started_ms = parts.next()?.parse().ok()?;
        let id = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some(Self {
            since,
            started_ms,
            id,
        })
    }
}

/// One page asked for: calls that started at `since` or later, after `after` if given, at
/// most `limit` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// Unix ms.
    pub since: i64,
    /// 1 to [`MAX_LIMIT`].
    pub limit: usize,
    /// The last call of the previous page, `(started_ms, id)`.
    pub after: Option<(i64, u64)>,
}

impl PageRequest {
    /// Reads `since`, `limit` and `cursor` from a query at `now`; the error names the parameter.
    pub fn parse(query: &HashMap<String, String>, now: i64) -> Result<Self, &'static str> {
        let limit = match query.get("limit") {
            None => DEFAULT_LIMIT,
            Some(l) => l
                .parse()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or(BAD_LIMIT)?,
        };
        let cursor = match query.get("cursor") {
            None => None,
            Some(c) => Some(Cursor::parse(c).ok_or(BAD_CURSOR)?),
        };
        let since = match query.get("since") {
            Some(s) => s.parse().map_err(|_| BAD_SINCE)?,
            None => cursor.map_or(now - RECENT_MS, |c| c.since),
        };
        Ok(Self {
            since,
            limit,
            after: cursor.map(|c| (c.started_ms, c.id)),
        })
    }
}

/// Agent `agent_id`'s page of calls: `{"calls": […], "next_cursor": "…" | null}`.
pub fn page(w: &World, agent_id: u64, req: &PageRequest) -> Value {
    let mut calls: Vec<&PlatformCall> = w
        .calls
        .values()
        .filter(|c| c.agent_id == Some(agent_id) && c.started_ms >= req.since)
        .filter(|c| req.after.is_none_or(|after| (c.started_ms, c.id) < after))
        .collect();
    calls.sort_by_key(|c| std::cmp::Reverse((c.started_ms, c.id)));
    let more = calls.len() > req.limit;
    calls.truncate(req.limit);
    let next_cursor = calls.last().filter(|_| more).map(|c| {
        Cursor {
            since: req.since,
            started_ms: c.started_ms,
            id: c.id,
        }
        .encode()
    });
    let calls: Vec<Value> = calls.into_iter().map(PlatformCall::to_json).collect();
    json!({ "calls": calls, "next_cursor": next_cursor })
}

/// `GET /calls[?since=&limit=&cursor=]`: the agent's calls, newest first, a page at a time
/// (live ones and those that ended). Without parameters, the first page of the last hour's:
/// what a reloaded adapter resumes from.
pub async fn recent_calls(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(a) = signed_in_agent(&app, &headers) else {
        return unauthorized();
    };
    match PageRequest::parse(&query, now_ms()) {
        Ok(req) => Json(page(&app.world(), a.id, &req)).into_response(),
        Err(e) => err(StatusCode::UNPROCESSABLE_ENTITY, e),
    }
}

/// How far back the seeded history goes: three days, less a margin so that all of it is still
/// within "the last three days" when a test asks a moment later.
pub const SEED_SPAN_MS: i64 = 3 * 24 * 60 * 60 * 1_000 - 10 * 60 * 1_000;

/// The least time between two seeded calls' starts.
pub const SEED_MIN_GAP_MS: i64 = 5 * 60 * 1_000;

/// The most calls one seeding makes: as many as fit [`SEED_SPAN_MS`] [`SEED_MIN_GAP_MS`] apart.
pub const MAX_SEEDED: u64 = (SEED_SPAN_MS / SEED_MIN_GAP_MS) as u64;

/// How long a seeded call rings before it is answered (or given up, when missed), ms.
const SEED_RING_MS: i64 = 8_000;

/// How the seeded calls go, in turn: talk time in ms, or None for a missed call.
const SEED_TALK_MS: [Option<i64>; 3] = [Some(60_000), Some(5_000), None];

/// A seeding as `POST /_sandbox/history` asks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedRequest {
    /// The agent's sign-in email.
    pub agent_email: String,
    /// How many calls, 1 to [`MAX_SEEDED`].
    pub count: u64,
    /// The tickets the calls are logged on, in turn (empty: the contact's own).
    pub ticket_ids: Vec<u64>,
}

impl SeedRequest {
    /// Reads `{"agent_email", "count", "ticket_ids"?}`; the error names the field.
    pub fn parse(body: &Value) -> Result<Self, String> {
        let agent_email = body["agent_email"]
            .as_str()
            .ok_or("agent_email: an agent's email is required")?
            .trim()
            .to_owned();
        let count = body["count"]
            .as_u64()
            .filter(|n| (1..=MAX_SEEDED).contains(n))
            .ok_or_else(|| format!("count: 1 to {MAX_SEEDED}"))?;
        let ticket_ids = match &body["ticket_ids"] {
            Value::Null => Vec::new(),
            Value::Array(list) => list
                .iter()
                .map(Value::as_u64)
                .collect::<Option<Vec<u64>>>()
                .ok_or("ticket_ids: a list of ticket ids")?,
            _ => return Err("ticket_ids: a list of ticket ids".into()),
        };
        Ok(Self {
            agent_email,
            count,
            ticket_ids,
        })
    }
}

/// Creates the ended calls `req` asks for, newest first, and returns their ids in that order:
/// spread over the last three days, directions alternating, answered (60 s of talk), too short
/// (5 s) and missed in turn, the callers the fixture's end users with a phone in turn (the call's
/// `contact_id`), each logged on the next of `ticket_ids`, else on the next of its contact's
/// tickets, else on none. No event is sent and no rule runs: it is history.
pub fn seed(w: &mut World, req: &SeedRequest, now: i64) -> Result<Vec<u64>, String> {
    let agent = w
        .agents
        .iter()
        .find(|a| a.email.eq_ignore_ascii_case(&req.agent_email))
        .map(|a| a.id)
        .ok_or("agent_email: no such agent")?;
    let callers: Vec<(String, u64)> = w
        .users
        .values()
        .filter(|u| u.role == "end-user")
        .filter_map(|u| u.phones().first().map(|p| (p.clone(), u.id)))
        .collect();
    let (line, lang) = w
        .numbers
        .iter()
        .find(|n| n.default)
        .or(w.numbers.first())
        .map(|n| (n.number.clone(), n.lang.clone()))
        .unwrap_or_else(|| (String::new(), "en-US".into()));
    let gap = (SEED_SPAN_MS / i64::try_from(req.count).unwrap_or(1)).max(SEED_MIN_GAP_MS);
    let mut ids = Vec::new();
    for i in 0..usize::try_from(req.count).unwrap_or(0) {
        let caller = callers.get(i % callers.len().max(1)).cloned();
        let ticket = seeded_ticket(w, req, caller.as_ref().map(|c| c.1), i, callers.len());
        let started = now - gap * (i as i64 + 1);
        let id = w.next_id();
        let call = seeded_call(id, agent, i, caller, ticket, started, (&line, &lang));
        w.calls.insert(id, call);
        ids.push(id);
    }
    Ok(ids)
}

/// The ticket seeded call `i` is logged on: the next of the request's, else the next of its
/// contact's (each contact's turn comes every `callers` calls), else none.
fn seeded_ticket(
    w: &World,
    req: &SeedRequest,
    contact: Option<u64>,
    i: usize,
    callers: usize,
) -> Option<u64> {
    if !req.ticket_ids.is_empty() {
        return Some(req.ticket_ids[i % req.ticket_ids.len()]);
    }
    let contact = contact?;
    let own: Vec<u64> = w
        .tickets
        .values()
        .filter(|t| t.requester_id == contact)
        .map(|t| t.id)
        .collect();
    let turn = i / callers.max(1);
    own.get(turn % own.len().max(1)).copied()
}

/// Seeded call `i`: ended, of `agent`, from or to `caller` (number, contact), started at
/// `started`, on our `line` (number, language).
fn seeded_call(
    id: u64,
    agent: u64,
    i: usize,
    caller: Option<(String, u64)>,
    ticket: Option<u64>,
    started: i64,
    line: (&str, &str),
) -> PlatformCall {
    let outbound = i.is_multiple_of(2);
    let (number, contact) = match caller {
        Some((number, contact)) => (number, Some(contact)),
        None => ("+15550100000".to_owned(), None),
    };
    let mut request = json!({"contact_id": contact, "ticket_id": ticket});
    if outbound {
        request["ticket"] = json!(if ticket.is_some() { "existing" } else { "none" });
        request["entered_number"] = json!(false);
    }
    let (direction, menu) = if outbound {
        ("outbound", "Outbound")
    } else {
        ("inbound", "Main menu")
    };
    let talk = SEED_TALK_MS[i % SEED_TALK_MS.len()];
    let connected = talk.map(|_| started + SEED_RING_MS);
    let ended = started + SEED_RING_MS + talk.unwrap_or(0);
    PlatformCall {
        status: "ended".into(),
        started_ms: started,
        connected_ms: connected,
        ended_ms: Some(ended),
        ended_by: Some("agent".into()),
        ..PlatformCall::new(
            id,
            direction,
            Some(agent),
            number,
            line.0.to_owned(),
            line.1.to_owned(),
            request,
            menu.into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_cursor_reads_back_what_it_encodes_and_nothing_else() {
        let c = Cursor {
            since: 1_000,
            started_ms: 5_000,
            id: 42,
        };
        assert_eq!(Cursor::parse(&c.encode()), Some(c));
        for bad in ["", "x", "1.2", "1.2.3.4", "1.2.-3", "a.b.c"] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn without_parameters_a_page_is_the_last_hour_s_first_fifty() {
        let req = PageRequest::parse(&query(&[]), 10 * RECENT_MS);
        assert_eq!(
            req,
            Ok(PageRequest {
                since: 9 * RECENT_MS,
                limit: DEFAULT_LIMIT,
                after: None,
            })
        );
    }

    #[test]
    fn the_cursor_keeps_its_since_unless_one_is_sent() {
        let cursor = Cursor {
            since: 7,
            started_ms: 9,
            id: 3,
        }
        .encode();
        let next = PageRequest::parse(&query(&[("cursor", &cursor)]), 1_000_000_000);
        assert_eq!(next.map(|r| (r.since, r.after)), Ok((7, Some((9, 3)))));
        let given = PageRequest::parse(&query(&[("cursor", &cursor), ("since", "8")]), 0);
        assert_eq!(given.map(|r| r.since), Ok(8));
    }

    #[test]
    fn a_bad_parameter_is_named() {
        let bad = |pairs: &[(&str, &str)]| PageRequest::parse(&query(pairs), 0).unwrap_err();
        assert_eq!(bad(&[("limit", "0")]), BAD_LIMIT);
        assert_eq!(bad(&[("limit", "101")]), BAD_LIMIT);
        assert_eq!(bad(&[("limit", "ten")]), BAD_LIMIT);
        assert_eq!(bad(&[("cursor", "nope")]), BAD_CURSOR);
        assert_eq!(bad(&[("since", "yesterday")]), BAD_SINCE);
    }

    #[test]
    fn a_seeding_is_checked_field_by_field() {
        let parse = |v: Value| SeedRequest::parse(&v).unwrap_err();
        assert!(parse(json!({"count": 1})).starts_with("agent_email:"));
        assert!(parse(json!({"agent_email": "a", "count": 0})).starts_with("count:"));
        let too_many = json!({"agent_email": "a", "count": MAX_SEEDED + 1});
        assert!(parse(too_many).starts_with("count:"));
        let tickets = json!({"agent_email": "a", "count": 1, "ticket_ids": ["1"]});
        assert!(parse(tickets).starts_with("ticket_ids:"));
    }
}
