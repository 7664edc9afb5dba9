//! The platform's CRM write queue (`POST /platform/crm/ops`): every agent's Add Comment and
//! Ticket Update operations, batched across all sessions with `domain::batch::Batcher` and written
//! to the emulated Zendesk with `update_many` under the account's API token.
//!
//! One worker sends one request at a time: it persists the batcher's state before sending
//! (write-ahead), sends, polls the job, reports the outcome, persists again. A 429 pauses the
//! whole queue for `Retry-After`; 5xx and transport failures retry with backoff; a ticket that is
//! Closed is discarded and its keys reported `failed`. If the job of a sent request cannot be
//! read (its poll keeps failing), the request is handed to the batcher's recovery: the worker
//! looks for its keys in the tickets' audits (`metadata.custom.op_keys`) and resends only what
//! is missing, so nothing is written twice.
//!
//! The store is one JSON file, replaced atomically (write to `.tmp`, rename) after each change;
//! on start-up, requests that were in flight become verification work ([`Batcher::recover`]).
//!
//! Who may queue what ([`permits`]): since the queue writes with the account's API token, it
//! takes an operation only for a ticket of the requesting agent's own session, as a real platform
//! does; otherwise any signed-in agent could write any ticket through it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use domain::batch::{
    BatchConfig, Batcher, Enqueued, Op, OpKind, Outcome, Request, TicketError, Work,
};
use domain::settings::Settings;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::model::{digits, now_ms, Agent, PlatformCall, Ticket};
use crate::state::{App, World};
use crate::zendesk::{handle, ApiRequest, ApiResponse};

/// Where one key stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyState {
    /// `queued`, `written` or `failed`.
    pub state: String,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One operation as `POST /crm/ops` takes it (DESIGN.md §5.2).
#[derive(Clone, Debug, Deserialize)]
pub struct OpIn {
    /// Idempotency key.
    pub key: String,
    /// Target ticket.
    pub ticket_id: u64,
    /// `add_comment` or `update_ticket`.
    pub kind: OpKind,
    /// `add_comment`: the comment text (or `{"body": text}`); `update_ticket`: `{status?,
    /// assignee_id?, custom_fields?: [{id, value}], comment?}`.
    #[serde(default)]
    pub body: Value,
}

impl OpIn {
    /// The domain operation, or why it is malformed.
    pub fn to_op(&self) -> Result<Op, String> {
        let text = |v: &Value| -> Option<String> {
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get("body").or_else(|| o.get("comment")).and_then(|c| {
                    c.as_str()
                        .map(String::from)
                        .or_else(|| c.get("body")?.as_str().map(String::from))
                }),
                _ => None,
            }
        };
        match self.kind {
            OpKind::AddComment => {
                let body = text(&self.body)
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| format!("{}: add_comment needs a comment text", self.key))?;
                Ok(Op::comment(&self.key, self.ticket_id, body))
            }
            OpKind::UpdateTicket => {
                let status = match self.body.get("status") {
                    None | Some(Value::Null) => None,
                    Some(s) => Some(
                        serde_json::from_value(s.clone())
                            .map_err(|_| format!("{}: unknown status {s}", self.key))?,
                    ),
                };
                let mut op = Op::update(
                    &self.key,
                    self.ticket_id,
                    status,
                    self.body.get("assignee_id").and_then(Value::as_u64),
                );
                op.comment = self
                    .body
                    .get("comment")
                    .and_then(|c| text(&json!({ "body": c })));
                for f in self
                    .body
                    .get("custom_fields")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let id = f["id"]
                        .as_u64()
                        .ok_or_else(|| format!("{}: custom field without id", self.key))?;
                    op.custom_fields.push((id, f["value"].clone()));
                }
                Ok(op)
            }
        }
    }
}

/// The call an operation's key names: keys are `<call id>.<anything>` (the adapter's are
/// `<call id>.<stage>.<write index>`, from its job keys `<call id>.<stage>`); None for a key of
/// another form.
pub fn call_of_key(key: &str) -> Option<u64> {
    let (call, _) = key.split_once('.')?;
    call.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| call.parse().ok())
        .flatten()
}

/// How many merges [`permits`] follows back from a ticket (the adapter follows at most 5).
const MAX_MERGE_HOPS: usize = 5;

/// Whether `agent` may queue an operation with `key` on ticket `ticket_id`: the queue's rule.
///
/// 1. The key names a call the platform assigned to the agent ([`call_of_key`]; the call's
///    `agent_id`), or one transferred away from the agent (what its adapter queued before the
///    transfer still goes out). A key of another form, of an unknown call or of another agent's
///    call is refused.
/// 2. The ticket is one of that call. The platform is not told which ticket the adapter made
///    for a call (the adapter creates it a moment before, directly in Zendesk with the agent's
///    own session), so it reads the ticket as Zendesk has it. The ticket, or a ticket merged
///    into it (UPD-8: the adapter writes to the surviving ticket), must be
///    - the call's ticket as the platform holds it (the call's `ticket_id`: the ticket the agent
///      named when placing the call, or the one the platform's rules created for it);
///    - requested by the call's customer: the call's contact (`contact_id`, or the agent's pick,
///      `picked_contact_id`) or a user who has the call's number (UPD-1: the caller's open
///      ticket the call is appended to); or
///    - created by or assigned to the agent's Zendesk user (the ticket the adapter created for
///      the call through the agent's own session, or one the agent holds).
///
///    A ticket that does not exist is refused.
///
/// The sandbox reads the ticket from its own store, so the check costs no Zendesk request and
/// shows in no request log; a real platform reads it with its API token. A key the queue holds
/// already is not checked again: a repeat is ignored whoever sends it (`crm_ops`).
pub fn permits(w: &World, agent: &Agent, key: &str, ticket_id: u64) -> bool {
    let Some(call) = call_of_key(key).and_then(|id| w.calls.get(&id)) else {
        return false;
    };
    let handled = call.agent_id == Some(agent.id) || call.transferred_from.contains(&agent.id);
    if !handled || !w.tickets.contains_key(&ticket_id) {
        return false;
    }
    w.tickets
        .values()
        .filter(|t| t.id == ticket_id || merged_into(w, t, ticket_id))
        .any(|t| ticket_of_call(w, agent, call, t))
}

/// True when `t` was merged into `target`, directly or through other merges.
fn merged_into(w: &World, t: &Ticket, target: u64) -> bool {
    let mut at = t.merged_into;
    for _ in 0..MAX_MERGE_HOPS {
        match at {
            Some(id) if id == target => return true,
            Some(id) => at = w.tickets.get(&id).and_then(|t| t.merged_into),
            None => return false,
        }
    }
    false
}

/// Whether ticket `t` is one of `call`, handled by `agent` (rule 2 of [`permits`]).
fn ticket_of_call(w: &World, agent: &Agent, call: &PlatformCall, t: &Ticket) -> bool {
    let known = call.request.get("ticket_id").and_then(Value::as_u64) == Some(t.id);
    let contact = call.request.get("contact_id").and_then(Value::as_u64) == Some(t.requester_id)
        || call.picked_contact_id == Some(t.requester_id);
    let number = digits(&call.customer_number);
    let caller = !number.is_empty()
        && w.users
            .get(&t.requester_id)
            .is_some_and(|u| u.phones().iter().any(|p| digits(p) == number));
    let agents = t.submitter_id == Some(agent.zendesk_user_id)
        || t.assignee_id == Some(agent.zendesk_user_id);
    known || contact || caller || agents
}

#[derive(Serialize, Deserialize)]
struct Stored {
    batcher: Batcher,
    keys: BTreeMap<String, KeyState>,
}

/// The queue: the batcher, each key's state, and the file they are kept in.
pub struct Queue {
    batcher: Batcher,
    keys: BTreeMap<String, KeyState>,
    file: Option<PathBuf>,
    /// Requests sent to Zendesk by the queue, for benchmarks.
    pub requests_sent: u64,
    /// The batch window length, ms.
    window_ms: i64,
    /// Until then, the queue acts as if it were then ([`Queue::flush`]).
    flush_until_ms: i64,
}

impl Queue {
    /// The queue stored in `file` (recovered), or an empty one.
    pub fn open(file: Option<PathBuf>, settings: &Settings) -> Result<Self, String> {
        let config = BatchConfig::from(&settings.developer);
        let stored = match &file {
            Some(f) if f.exists() => {
                let text =
                    std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
                Some(
                    serde_json::from_str::<Stored>(&text)
                        .map_err(|e| format!("{}: {e}", f.display()))?,
                )
            }
            _ => None,
        };
        let q = match stored {
            Some(mut s) => {
                s.batcher.set_config(config);
                s.batcher.recover();
                Self {
                    batcher: s.batcher,
                    keys: s.keys,
                    file,
                    requests_sent: 0,
                    window_ms: window_ms(&config),
                    flush_until_ms: i64::MIN,
                }
            }
            None => Self {
                batcher: Batcher::new(config),
                keys: BTreeMap::new(),
                file,
                requests_sent: 0,
                window_ms: window_ms(&config),
                flush_until_ms: i64::MIN,
            },
        };
        q.persist()?;
        Ok(q)
    }

    /// Empties the queue (sandbox reset).
    pub fn reset(&mut self, settings: &Settings) -> Result<(), String> {
        let config = BatchConfig::from(&settings.developer);
        self.batcher = Batcher::new(config);
        self.window_ms = window_ms(&config);
        self.flush_until_ms = i64::MIN;
        self.keys.clear();
        self.persist()
    }

    /// New Developer Settings.
    pub fn configure(&mut self, settings: &Settings) {
        let config = BatchConfig::from(&settings.developer);
        self.batcher.set_config(config);
        self.window_ms = window_ms(&config);
        let _ = self.persist();
    }

    /// Queues operations; repeated keys are ignored. Returns every key (accepted or repeated).
    pub fn enqueue(&mut self, ops: Vec<Op>, now: i64) -> Result<Vec<String>, String> {
        let mut keys = Vec::new();
        for op in ops {
            let key = op.key.clone();
            if self.batcher.enqueue(op, now) == Enqueued::Accepted {
                self.keys.insert(
                    key.clone(),
                    KeyState {
                        state: "queued".into(),
                        error: None,
                    },
                );
            }
            keys.push(key);
        }
        self.persist()?;
        Ok(keys)
    }

    /// True when the queue has taken `key` (queued, written or failed): sent again, it is
    /// ignored.
    pub fn knows(&self, key: &str) -> bool {
        self.keys.contains_key(key)
    }

    /// The state of `key`.
    pub fn status(&self, key: &str) -> Option<&KeyState> {
        self.keys.get(key)
    }

    /// Counts by state, and whether the batcher is idle.
    pub fn summary(&self) -> Value {
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        for s in self.keys.values() {
            *counts.entry(s.state.as_str()).or_default() += 1;
        }
        json!({"keys": counts, "idle": self.batcher.is_idle(), "requests_sent": self.requests_sent})
    }

    fn persist(&self) -> Result<(), String> {
        let Some(f) = &self.file else { return Ok(()) };
        if let Some(dir) = f.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let text = serde_json::to_string(&Stored {
            batcher: self.batcher.clone(),
            keys: self.keys.clone(),
        })
        .map_err(|e| e.to_string())?;
        let tmp = f.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, f).map_err(|e| format!("{}: {e}", f.display()))
    }

    /// Closes the batch window open at `now`: what is queued in it is sent at once, as if the
    /// window had ended (the clock is advanced for the batcher to the window's end, so 429
    /// pauses and retry delays running past it still hold).
    pub fn flush(&mut self, now: i64) {
        let end = (now.div_euclid(self.window_ms) + 1) * self.window_ms;
        self.flush_until_ms = self.flush_until_ms.max(end);
    }

    fn next(&mut self, now: i64) -> (Option<Work>, Option<i64>) {
        let now = now.max(self.flush_until_ms);
        let work = self.batcher.next_work(now);
        if work.is_some() {
            let _ = self.persist();
        }
        (work, self.batcher.next_wakeup())
    }

    fn complete(&mut self, req: &Request, outcome: Outcome, now: i64) {
        let written: Vec<u64> = match &outcome {
            Outcome::Done => req.tickets.iter().map(|t| t.ticket_id).collect(),
            Outcome::Partial { failed } => req
                .tickets
                .iter()
                .map(|t| t.ticket_id)
                .filter(|id| !failed.iter().any(|(f, _)| f == id))
                .collect(),
            Outcome::Verified { applied } => applied.clone(),
            _ => vec![],
        };
        self.batcher.complete(req.id, outcome, now);
        for t in &req.tickets {
            if written.contains(&t.ticket_id) {
                for k in &t.keys {
                    self.keys.insert(
                        k.clone(),
                        KeyState {
                            state: "written".into(),
                            error: None,
                        },
                    );
                }
            }
        }
        for r in self.batcher.take_reports() {
            self.keys.insert(
                r.key,
                KeyState {
                    state: "failed".into(),
                    error: Some(r.reason),
                },
            );
        }
        let _ = self.persist();
    }

    /// A sent request whose outcome is unknown becomes verification work.
    fn unknown(&mut self) {
        self.batcher.recover();
        let _ = self.persist();
    }
}

fn window_ms(config: &BatchConfig) -> i64 {
    i64::from(config.frequency_s.max(1)) * 1_000
}

async fn zendesk(app: &App, method: &str, path: String, body: Value) -> ApiResponse {
    app.queue().requests_sent += 1;
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (path, String::new()),
    };
    handle(
        app,
        ApiRequest {
            method: method.into(),
            path,
            query,
            body,
            unparsed_body: None,
            source: "platform",
            actor: None,
            credential: crate::zendesk::Credential::ApiToken,
            idempotency_key: None,
        },
    )
    .await
}

fn retry_after(r: &ApiResponse) -> u64 {
    r.header("Retry-After")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(60)
}

/// What sending one request came to.
enum Sent {
    Outcome(Outcome),
    Unknown,
}

async fn send(app: &App, req: &Request) -> Sent {
    let r = zendesk(
        app,
        "PUT",
        "tickets/update_many.json".into(),
        req.update_many_body(),
    )
    .await;
    match r.status {
        200 => {}
        429 => {
            return Sent::Outcome(Outcome::RateLimited {
                retry_after_s: retry_after(&r),
            })
        }
        _ => return Sent::Outcome(Outcome::Failed),
    }
    let Some(job) = r
        .body
        .as_ref()
        .and_then(|b| b["job_status"]["id"].as_str().map(String::from))
    else {
        return Sent::Outcome(Outcome::Failed);
    };
    // Polled until done (Zendesk's jobs are queued, then worked on), backing off from 200 ms to
    // 5 s between polls: about two minutes in all before the outcome is taken as unknown.
    for attempt in 0..30u32 {
        let backoff = (200u64 << attempt.min(5)).min(5_000);
        let p = zendesk(app, "GET", format!("job_statuses/{job}.json"), Value::Null).await;
        let wait = match p.status {
            200 => {
                let js = &p
                    .body
                    .as_ref()
                    .map(|b| b["job_status"].clone())
                    .unwrap_or_default();
                match js["status"].as_str() {
                    Some("completed") => return Sent::Outcome(job_outcome(js)),
                    Some("failed" | "killed") => return Sent::Unknown,
                    _ => backoff,
                }
            }
            429 => retry_after(&p) * 1_000,
            _ => backoff.max(1_000),
        };
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }
    Sent::Unknown
}

fn job_outcome(js: &Value) -> Outcome {
    let failed: Vec<(u64, TicketError)> = js["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["success"] == json!(false))
        .filter_map(|r| {
            let id = r["id"].as_u64()?;
            let closed = r["details"].as_str().is_some_and(|d| d.contains("closed"));
            Some((
                id,
                if closed {
                    TicketError::Closed
                } else {
                    TicketError::Retryable
                },
            ))
        })
        .collect();
    if failed.is_empty() {
        Outcome::Done
    } else {
        Outcome::Partial { failed }
    }
}

async fn verify(app: &App, req: &Request) -> Outcome {
    let mut applied = Vec::new();
    for t in &req.tickets {
        // The audits newest first, page after page, until every key is found or the list ends.
        let mut found: Vec<Value> = Vec::new();
        let mut next = Some(format!(
            "tickets/{}/audits.json?sort_order=desc&page[size]=100",
            t.ticket_id
        ));
        while let Some(path) = next.clone() {
            let r = zendesk(app, "GET", path, Value::Null).await;
            match r.status {
                200 => {
                    let body = r.body.unwrap_or_default();
                    found.extend(body["audits"].as_array().cloned().unwrap_or_default());
                    let has = |k: &String| {
                        found.iter().any(|a| {
                            a["metadata"]["custom"]["op_keys"]
                                .as_array()
                                .is_some_and(|ks| ks.iter().any(|x| x.as_str() == Some(k)))
                        })
                    };
                    if t.keys.iter().all(has) {
                        applied.push(t.ticket_id);
                        break;
                    }
                    next = (body["meta"]["has_more"] == json!(true))
                        .then(|| body["links"]["next"].as_str())
                        .flatten()
                        .and_then(|l| l.split_once("/api/v2/"))
                        .map(|(_, p)| p.to_string());
                }
                404 => break,
                429 => tokio::time::sleep(Duration::from_secs(retry_after(&r))).await,
                _ => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        }
    }
    Outcome::Verified { applied }
}

/// The worker: runs for the life of the server.
pub async fn run(app: App) {
    loop {
        // The work and its world, read under the queue's lock (a reset changes both under it).
        let (work, wakeup, generation) = {
            let mut queue = app.queue();
            let (work, wakeup) = queue.next(now_ms());
            (work, wakeup, app.generation())
        };
        // A batch under way when the world was reset is not the new queue's to settle.
        let same_world = || app.generation() == generation;
        match work {
            Some(Work::Send(req)) => match send(&app, &req).await {
                Sent::Outcome(o) if same_world() => app.queue().complete(&req, o, now_ms()),
                Sent::Unknown if same_world() => app.queue().unknown(),
                Sent::Outcome(_) | Sent::Unknown => {}
            },
            Some(Work::Verify(req)) => {
                let o = verify(&app, &req).await;
                if same_world() {
                    app.queue().complete(&req, o, now_ms());
                }
            }
            None => {
                let wait = wakeup
                    .map(|t| (t - now_ms()).clamp(5, 1_000))
                    .unwrap_or(1_000);
                tokio::select! {
                    () = app.queue_woken() => {}
                    () = tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(1_000))) => {}
                }
            }
        }
    }
}
