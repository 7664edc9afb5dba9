//! The write batcher as a pure state machine; time is an input (BATCH-1 … BATCH-11, OQ-25).
//!
//! Operations ("Add Comment", "Assignment / Ticket Update") are enqueued with an idempotency key.
//! A batched service's operation becomes due at the end of its batch window (windows are aligned
//! on multiples of the frequency, so every operation issued within one window is grouped,
//! BATCH-4); an operation of a service not ticked is due at once (BATCH-5). [`Batcher::next_work`]
//! hands out bulk requests of at most 100 tickets (`update_many`, BATCH-9); each ticket appears
//! at most once per request and never in two requests at the same time, so a ticket's operations
//! are applied in the order they were enqueued (BATCH-10). Consecutive operations of one ticket
//! merge into one update while they carry at most one comment (Zendesk takes one comment per
//! update).
//!
//! Failures never drop an operation (BATCH-11): a 429 pauses everything until `Retry-After`; any
//! other failure retries the tickets with exponential backoff; only a ticket Zendesk refuses for
//! good (Closed, 422) is discarded, and that is reported. Keys already seen are ignored, so a
//! replay cannot write twice. The state is serialisable: persist it after each change, and in
//! particular after [`Batcher::next_work`] and before sending what it returned (write-ahead); after a
//! crash, [`Batcher::recover`] turns requests that were in flight into verification work — the
//! executor checks whether Zendesk applied them (the update carries its keys in the audit
//! metadata) — and only the ones not applied are sent again.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::crm::TicketStatus;
use crate::settings::DeveloperSettings;

/// Zendesk's limit of tickets per `update_many` request (Zendesk §5.3).
pub const MAX_TICKETS_PER_REQUEST: usize = 100;
/// First retry delay after a failure.
pub const BASE_BACKOFF_MS: i64 = 1_000;
/// Longest retry delay.
pub const MAX_BACKOFF_MS: i64 = 300_000;

/// The two services that can be batched (BATCH-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// "Add Comment"†.
    AddComment,
    /// "Assignment / Ticket Update"†.
    UpdateTicket,
}

/// One write to one ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// Idempotency key: the same key is written at most once.
    pub key: String,
    /// Target ticket.
    pub ticket_id: u64,
    /// Service.
    pub kind: OpKind,
    /// Internal comment body.
    #[serde(default)]
    pub comment: Option<String>,
    /// New status.
    #[serde(default)]
    pub status: Option<TicketStatus>,
    /// New assignee.
    #[serde(default)]
    pub assignee_id: Option<u64>,
    /// Custom field values.
    #[serde(default)]
    pub custom_fields: Vec<(u64, Value)>,
}

impl Op {
    /// An "Add Comment" operation (internal comment).
    pub fn comment(key: impl Into<String>, ticket_id: u64, body: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            ticket_id,
            kind: OpKind::AddComment,
            comment: Some(body.into()),
            status: None,
            assignee_id: None,
            custom_fields: vec![],
        }
    }

    /// An "Assignment / Ticket Update" operation.
    pub fn update(
        key: impl Into<String>,
        ticket_id: u64,
        status: Option<TicketStatus>,
        assignee_id: Option<u64>,
    ) -> Self {
        Self {
            key: key.into(),
            ticket_id,
            kind: OpKind::UpdateTicket,
            comment: None,
            status,
            assignee_id,
            custom_fields: vec![],
        }
    }
}

/// Batching configuration, from Developer Settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchConfig {
    /// Window length in seconds (1–60, BATCH-3).
    pub frequency_s: u32,
    /// "Add Comment"† batched.
    pub batch_add_comment: bool,
    /// "Assignment / Ticket Update"† batched.
    pub batch_ticket_update: bool,
}

impl From<&DeveloperSettings> for BatchConfig {
    fn from(d: &DeveloperSettings) -> Self {
        Self {
            frequency_s: d.batch_frequency_s.clamp(1, 60),
            batch_add_comment: d.batch_add_comment,
            batch_ticket_update: d.batch_ticket_update,
        }
    }
}

impl BatchConfig {
    /// BATCH-5: whether this service waits for the window.
    pub fn batched(&self, kind: OpKind) -> bool {
        match kind {
            OpKind::AddComment => self.batch_add_comment,
            OpKind::UpdateTicket => self.batch_ticket_update,
        }
    }

    /// BATCH-4: when an operation enqueued at `now_ms` is due: the end of its aligned window.
    pub fn due_at(&self, kind: OpKind, now_ms: i64) -> i64 {
        if !self.batched(kind) {
            return now_ms;
        }
        let w = i64::from(self.frequency_s.max(1)) * 1_000;
        (now_ms.div_euclid(w) + 1) * w
    }
}

/// The retry delay after `attempt` consecutive failures (1-based): 1 s, 2 s, 4 s … 5 min.
/// The adapter's outbox uses the same curve.
pub fn retry_delay_ms(attempt: u32) -> i64 {
    let shift = attempt.saturating_sub(1).min(20);
    (BASE_BACKOFF_MS << shift).min(MAX_BACKOFF_MS)
}

/// The longest wait between two attempts of a lookup the agent waits on: short enough that the
/// screen recovers soon after Zendesk does.
pub const MAX_LOOKUP_BACKOFF_MS: i64 = 30_000;

/// The wait before a failed lookup is tried again (`attempt` 1-based): 1 s doubling to 30 s,
/// spread over ±25 % by `jitter` (in [0, 1)) so that adapters that failed together do not all
/// try again together.
pub fn lookup_retry_delay_ms(attempt: u32, jitter: f64) -> i64 {
    let base = retry_delay_ms(attempt).min(MAX_LOOKUP_BACKOFF_MS) as f64;
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.5
    };
    (base * (0.75 + 0.5 * jitter)) as i64
}

/// The merged update of one ticket within a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketUpdate {
    /// Ticket.
    pub ticket_id: u64,
    /// At most one comment.
    pub comment: Option<String>,
    /// Last status set.
    pub status: Option<TicketStatus>,
    /// Last assignee set.
    pub assignee_id: Option<u64>,
    /// Field values, later ones win.
    pub custom_fields: Vec<(u64, Value)>,
    /// The keys merged, in order.
    pub keys: Vec<String>,
    ops: Vec<Op>,
}

impl TicketUpdate {
    /// The `update_many` entry, with the keys in the audit metadata for verification. Zendesk
    /// stores the `metadata` object sent as the audit's `metadata.custom` (Tickets API, "Setting
    /// Metadata"), so the keys are read back from `metadata.custom.op_keys`.
    pub fn to_json(&self) -> Value {
        let mut t = json!({ "id": self.ticket_id, "metadata": { "op_keys": self.keys } });
        if let Some(c) = &self.comment {
            t["comment"] = json!({ "body": c, "public": false });
        }
        if let Some(s) = self.status {
            t["status"] = serde_json::to_value(s).unwrap_or(Value::Null);
        }
        if let Some(a) = self.assignee_id {
            t["assignee_id"] = json!(a);
        }
        if !self.custom_fields.is_empty() {
            t["custom_fields"] = self
                .custom_fields
                .iter()
                .map(|(id, v)| json!({ "id": id, "value": v }))
                .collect();
        }
        t
    }
}

/// One bulk request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Id to report the outcome with.
    pub id: u64,
    /// At most [`MAX_TICKETS_PER_REQUEST`] tickets, each once.
    pub tickets: Vec<TicketUpdate>,
}

impl Request {
    /// Body of `PUT /api/v2/tickets/update_many.json`.
    pub fn update_many_body(&self) -> Value {
        json!({ "tickets": self.tickets.iter().map(TicketUpdate::to_json).collect::<Vec<_>>() })
    }
}

/// What the executor must do next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Work {
    /// Send this request, poll its job to completion, report with [`Batcher::complete`].
    Send(Request),
    /// After a crash: check which tickets of this request were applied, report
    /// [`Outcome::Verified`].
    Verify(Request),
}

/// Why Zendesk refused one ticket of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketError {
    /// 422 on a Closed ticket: can never succeed; discarded and reported (BATCH-11).
    Closed,
    /// Anything else: retried.
    Retryable,
}

/// The result of a piece of work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The job completed for every ticket.
    Done,
    /// The job completed; these tickets failed, the others were applied.
    Partial {
        /// Failed tickets.
        failed: Vec<(u64, TicketError)>,
    },
    /// 429: wait this long before sending anything.
    RateLimited {
        /// `Retry-After`, seconds.
        retry_after_s: u64,
    },
    /// Transport error, 5xx, failed job: nothing applied, retry with backoff.
    Failed,
    /// Answer to [`Work::Verify`]: the tickets whose update was found applied.
    Verified {
        /// Applied tickets.
        applied: Vec<u64>,
    },
}

/// Something the operator must see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The key discarded.
    pub key: String,
    /// Its ticket.
    pub ticket_id: u64,
    /// Why.
    pub reason: String,
}

/// Whether a key was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enqueued {
    /// New key, queued.
    Accepted,
    /// Key already seen: ignored.
    Duplicate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Queued {
    op: Op,
    due_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KeyState {
    Pending,
    Written { at_ms: i64 },
    Discarded,
}

/// The batcher's whole state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batcher {
    config: BatchConfig,
    queues: BTreeMap<u64, VecDeque<Queued>>,
    keys: BTreeMap<String, KeyState>,
    in_flight: BTreeMap<u64, Request>,
    unverified: VecDeque<Request>,
    verifying: BTreeMap<u64, Request>,
    busy: BTreeSet<u64>,
    retry: BTreeMap<u64, (i64, u32)>,
    paused_until_ms: i64,
    next_id: u64,
    reports: Vec<Report>,
}

impl Batcher {
    /// An empty batcher.
    pub fn new(config: BatchConfig) -> Self {
        Self {
            config,
            queues: BTreeMap::new(),
            keys: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            unverified: VecDeque::new(),
            verifying: BTreeMap::new(),
            busy: BTreeSet::new(),
            retry: BTreeMap::new(),
            paused_until_ms: i64::MIN,
            next_id: 1,
            reports: Vec::new(),
        }
    }

    /// Changes the configuration (saved in the Portal); queued operations keep their due times.
    pub fn set_config(&mut self, config: BatchConfig) {
        self.config = config;
    }

    /// Queues an operation. A key seen before (queued, written or discarded) is ignored.
    pub fn enqueue(&mut self, op: Op, now_ms: i64) -> Enqueued {
        if self.keys.contains_key(&op.key) {
            return Enqueued::Duplicate;
        }
        self.keys.insert(op.key.clone(), KeyState::Pending);
        let due_ms = self.config.due_at(op.kind, now_ms);
        self.queues
            .entry(op.ticket_id)
            .or_default()
            .push_back(Queued { op, due_ms });
        Enqueued::Accepted
    }

    /// Number of operations not yet written (queued or in flight).
    pub fn pending(&self) -> usize {
        self.keys
            .values()
            .filter(|s| **s == KeyState::Pending)
            .count()
    }

    /// True when nothing is queued, in flight or awaiting verification.
    pub fn is_idle(&self) -> bool {
        self.queues.is_empty()
            && self.in_flight.is_empty()
            && self.unverified.is_empty()
            && self.verifying.is_empty()
    }

    /// Reports of discarded operations, drained.
    pub fn take_reports(&mut self) -> Vec<Report> {
        std::mem::take(&mut self.reports)
    }

    /// When to call [`Batcher::next_work`] again if it returned `None` (a timer's deadline).
    pub fn next_wakeup(&self) -> Option<i64> {
        self.queues
            .iter()
            .filter(|(t, _)| !self.busy.contains(t))
            .filter_map(|(t, q)| {
                let head = q.front()?.due_ms;
                Some(head.max(self.retry.get(t).map_or(i64::MIN, |r| r.0)))
            })
            .min()
            .map(|t| t.max(self.paused_until_ms))
    }

    /// The next piece of work, if any is due at `now_ms`.
    pub fn next_work(&mut self, now_ms: i64) -> Option<Work> {
        if let Some(req) = self.unverified.pop_front() {
            self.verifying.insert(req.id, req.clone());
            return Some(Work::Verify(req));
        }
        if now_ms < self.paused_until_ms {
            return None;
        }
        let mut tickets = Vec::new();
        for (&ticket, queue) in &self.queues {
            if tickets.len() == MAX_TICKETS_PER_REQUEST {
                break;
            }
            if self.busy.contains(&ticket) || self.retry.get(&ticket).is_some_and(|r| r.0 > now_ms)
            {
                continue;
            }
            if let Some(update) = merge_head(ticket, queue, now_ms) {
                tickets.push(update);
            }
        }
        if tickets.is_empty() {
            return None;
        }
        for u in &tickets {
            let q = self.queues.get_mut(&u.ticket_id).expect("ticket queued");
            q.drain(..u.ops.len());
            if q.is_empty() {
                self.queues.remove(&u.ticket_id);
            }
            self.busy.insert(u.ticket_id);
        }
        let req = Request {
            id: self.next_id,
            tickets,
        };
        self.next_id += 1;
        self.in_flight.insert(req.id, req.clone());
        Some(Work::Send(req))
    }

    /// Reports the outcome of the work with id `request_id`.
    pub fn complete(&mut self, request_id: u64, outcome: Outcome, now_ms: i64) {
        let Some(req) = self
            .in_flight
            .remove(&request_id)
            .or_else(|| self.verifying.remove(&request_id))
        else {
            return; // unknown or already reported: a repeated ack changes nothing
        };
        match outcome {
            Outcome::Done => {
                for u in req.tickets {
                    self.written(u, now_ms);
                }
            }
            Outcome::Partial { failed } => {
                let failed: BTreeMap<u64, TicketError> = failed.into_iter().collect();
                for u in req.tickets {
                    match failed.get(&u.ticket_id) {
                        None => self.written(u, now_ms),
                        Some(TicketError::Closed) => self.discard(u),
                        Some(TicketError::Retryable) => self.requeue(u, Some(now_ms)),
                    }
                }
            }
            Outcome::RateLimited { retry_after_s } => {
                let until = now_ms.saturating_add(
                    i64::try_from(retry_after_s)
                        .unwrap_or(i64::MAX / 2)
                        .saturating_mul(1_000),
                );
                self.paused_until_ms = self.paused_until_ms.max(until);
                for u in req.tickets {
                    self.requeue(u, None);
                }
            }
            Outcome::Failed => {
                for u in req.tickets {
                    self.requeue(u, Some(now_ms));
                }
            }
            Outcome::Verified { applied } => {
                for u in req.tickets {
                    if applied.contains(&u.ticket_id) {
                        self.written(u, now_ms);
                    } else {
                        self.requeue(u, None);
                    }
                }
            }
        }
    }

    /// After a restart from persisted state: whatever was in flight may or may not have been
    /// applied; it becomes verification work before anything else is sent.
    pub fn recover(&mut self) {
        let mut pending: Vec<Request> = std::mem::take(&mut self.verifying).into_values().collect();
        pending.extend(std::mem::take(&mut self.in_flight).into_values());
        pending.sort_by_key(|r| r.id);
        self.unverified.extend(pending);
    }

    /// Forgets keys written before `before_ms`, bounding memory; replays older than that
    /// retention are no longer recognised.
    pub fn prune_written(&mut self, before_ms: i64) {
        self.keys
            .retain(|_, s| !matches!(s, KeyState::Written { at_ms } if *at_ms < before_ms));
    }

    fn written(&mut self, u: TicketUpdate, now_ms: i64) {
        self.busy.remove(&u.ticket_id);
        self.retry.remove(&u.ticket_id);
        for k in u.keys {
            self.keys.insert(k, KeyState::Written { at_ms: now_ms });
        }
    }

    fn discard(&mut self, u: TicketUpdate) {
        self.busy.remove(&u.ticket_id);
        self.retry.remove(&u.ticket_id);
        // A Closed ticket refuses every later update too: discard what is still queued for it.
        let later: Vec<Op> = self
            .queues
            .remove(&u.ticket_id)
            .into_iter()
            .flatten()
            .map(|q| q.op)
            .collect();
        for op in u.ops.into_iter().chain(later) {
            self.keys.insert(op.key.clone(), KeyState::Discarded);
            self.reports.push(Report {
                key: op.key,
                ticket_id: op.ticket_id,
                reason: "ticket is closed".into(),
            });
        }
    }

    /// Puts the update's operations back at the front of their ticket's queue, in order.
    /// `backoff_from` = a failure at that time (exponential backoff); `None` = no penalty.
    fn requeue(&mut self, u: TicketUpdate, backoff_from: Option<i64>) {
        self.busy.remove(&u.ticket_id);
        let q = self.queues.entry(u.ticket_id).or_default();
        for op in u.ops.into_iter().rev() {
            q.push_front(Queued {
                op,
                due_ms: i64::MIN,
            });
        }
        if let Some(now) = backoff_from {
            let attempts = self.retry.get(&u.ticket_id).map_or(0, |r| r.1) + 1;
            self.retry
                .insert(u.ticket_id, (now + retry_delay_ms(attempts), attempts));
        }
    }
}

/// BATCH-10: the ticket's due head operations merged while at most one comment is carried.
fn merge_head(ticket_id: u64, queue: &VecDeque<Queued>, now_ms: i64) -> Option<TicketUpdate> {
    let mut u = TicketUpdate {
        ticket_id,
        comment: None,
        status: None,
        assignee_id: None,
        custom_fields: vec![],
        keys: vec![],
        ops: vec![],
    };
    for q in queue {
        if q.due_ms > now_ms || (q.op.comment.is_some() && u.comment.is_some()) {
            break;
        }
        let op = &q.op;
        if op.comment.is_some() {
            u.comment.clone_from(&op.comment);
        }
        u.status = op.status.or(u.status);
        u.assignee_id = op.assignee_id.or(u.assignee_id);
        for (id, v) in &op.custom_fields {
            u.custom_fields.retain(|(i, _)| i != id);
            u.custom_fields.push((*id, v.clone()));
        }
        u.keys.push(op.key.clone());
        u.ops.push(op.clone());
    }
    (!u.ops.is_empty()).then_some(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(comment: bool, update: bool) -> BatchConfig {
        BatchConfig {
            frequency_s: 10,
            batch_add_comment: comment,
            batch_ticket_update: update,
        }
    }

    fn send(w: Option<Work>) -> Request {
        match w {
            Some(Work::Send(r)) => r,
            other => panic!("expected a request, got {other:?}"),
        }
    }

    // BATCH-4, BATCH-3: grouped per aligned window; nothing goes before the window ends.
    #[test]
    fn window_groups_requests() {
        let mut b = Batcher::new(cfg(true, true));
        b.enqueue(Op::comment("a", 1, "x"), 1_000);
        b.enqueue(Op::comment("b", 2, "y"), 9_999);
        assert_eq!(b.next_work(9_999), None);
        assert_eq!(b.next_wakeup(), Some(10_000));
        let r = send(b.next_work(10_000));
        assert_eq!(r.tickets.len(), 2, "both sessions' comments in one request");
        b.enqueue(Op::comment("c", 3, "z"), 10_000);
        assert_eq!(b.next_work(15_000), None, "next window");
        assert_eq!(send(b.next_work(20_000)).tickets[0].keys, ["c"]);
    }

    // BATCH-5, BATCH-2: a service not ticked is sent immediately.
    #[test]
    fn unbatched_service_is_immediate() {
        let mut b = Batcher::new(cfg(true, false));
        b.enqueue(Op::update("u", 1, Some(TicketStatus::Open), Some(7)), 1_000);
        b.enqueue(Op::comment("c", 2, "x"), 1_000);
        let r = send(b.next_work(1_000));
        assert_eq!(r.tickets.len(), 1);
        assert_eq!(r.tickets[0].keys, ["u"]);
        assert_eq!(
            BatchConfig::from(&DeveloperSettings::default()),
            cfg(false, false)
        );
    }

    // BATCH-10: one ticket's ops merge with at most one comment, order kept across requests.
    #[test]
    fn merge_and_order_per_ticket() {
        let mut b = Batcher::new(cfg(true, true));
        b.enqueue(Op::update("1", 5, Some(TicketStatus::Open), None), 0);
        b.enqueue(Op::comment("2", 5, "first"), 0);
        b.enqueue(Op::update("3", 5, None, Some(9)), 0);
        b.enqueue(Op::comment("4", 5, "second"), 0);
        let r = send(b.next_work(10_000));
        let u = &r.tickets[0];
        assert_eq!(u.keys, ["1", "2", "3"]);
        assert_eq!(
            (u.comment.as_deref(), u.status, u.assignee_id),
            (Some("first"), Some(TicketStatus::Open), Some(9))
        );
        assert_eq!(
            b.next_work(10_000),
            None,
            "the ticket's next update waits for the first"
        );
        b.complete(r.id, Outcome::Done, 10_500);
        assert_eq!(send(b.next_work(10_500)).tickets[0].keys, ["4"]);
        let body = r.update_many_body();
        assert_eq!(body["tickets"][0]["comment"]["public"], false);
        assert_eq!(body["tickets"][0]["metadata"]["op_keys"][0], "1");
        assert!(body["tickets"][0]["metadata"].get("custom").is_none());
    }

    // BATCH-9: at most 100 tickets per request.
    #[test]
    fn chunks_of_100() {
        let mut b = Batcher::new(cfg(true, true));
        for t in 0..250 {
            b.enqueue(Op::comment(format!("k{t}"), t, "x"), 0);
        }
        let sizes: Vec<usize> = std::iter::from_fn(|| match b.next_work(10_000) {
            Some(Work::Send(r)) => Some(r.tickets.len()),
            _ => None,
        })
        .collect();
        assert_eq!(sizes, [100, 100, 50]);
    }

    #[test]
    fn lookup_backoff_stays_under_ten_requests_a_minute() {
        // Item 3 ("An agent's first hour"): a lookup failing for a minute is tried at most
        // 10 times, whatever the jitter, and waits at most 37.5 s between two attempts.
        for jitter in [0.0, 0.5, 0.999] {
            let (mut t, mut attempts, mut attempt) = (0, 0, 0);
            while t < 60_000 {
                attempts += 1;
                attempt += 1;
                t += lookup_retry_delay_ms(attempt, jitter);
            }
            assert!(attempts <= 10, "{attempts} attempts at jitter {jitter}");
            assert!(attempts >= 5, "gives up too soon: {attempts}");
        }
        assert_eq!(lookup_retry_delay_ms(1, 0.5), 1_000);
        assert_eq!(lookup_retry_delay_ms(2, 0.0), 1_500);
        assert_eq!(lookup_retry_delay_ms(30, 0.999), 37_485);
        assert_eq!(lookup_retry_delay_ms(3, f64::NAN), 4_000);
    }

    // BATCH-11: 429 waits Retry-After for everyone; failures back off; nothing dropped.
    #[test]
    fn rate_limit_and_backoff() {
        let mut b = Batcher::new(cfg(false, false));
        b.enqueue(Op::comment("a", 1, "x"), 0);
        let r = send(b.next_work(0));
        b.complete(r.id, Outcome::RateLimited { retry_after_s: 30 }, 100);
        b.enqueue(Op::comment("b", 2, "y"), 200);
        assert_eq!(b.next_work(29_000), None);
        let r = send(b.next_work(30_100));
        assert_eq!(r.tickets.len(), 2);
        b.complete(r.id, Outcome::Failed, 31_000);
        assert_eq!(b.next_work(31_500), None);
        let r = send(b.next_work(32_000));
        b.complete(r.id, Outcome::Failed, 32_000);
        assert_eq!(b.next_work(33_500), None, "second failure waits 2 s");
        let r = send(b.next_work(34_000));
        b.complete(r.id, Outcome::Done, 34_000);
        assert_eq!(b.pending(), 0);
        assert_eq!(
            (retry_delay_ms(1), retry_delay_ms(3), retry_delay_ms(40)),
            (1_000, 4_000, MAX_BACKOFF_MS)
        );
    }

    // BATCH-11: a Closed ticket is reported and discarded, with what is queued behind it.
    #[test]
    fn closed_ticket_reported() {
        let mut b = Batcher::new(cfg(false, false));
        b.enqueue(Op::comment("a", 1, "x"), 0);
        b.enqueue(Op::comment("b", 2, "y"), 0);
        let r = send(b.next_work(0));
        b.enqueue(Op::comment("c", 1, "z"), 0);
        b.complete(
            r.id,
            Outcome::Partial {
                failed: vec![(1, TicketError::Closed)],
            },
            0,
        );
        let reports = b.take_reports();
        assert_eq!(
            reports.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
            ["a", "c"]
        );
        assert!(b.is_idle());
        assert_eq!(b.enqueue(Op::comment("a", 1, "x"), 0), Enqueued::Duplicate);
    }

    // Replay after a crash cannot write twice: in-flight work is verified, duplicates ignored.
    #[test]
    fn crash_recovery_verifies() {
        let mut b = Batcher::new(cfg(false, false));
        b.enqueue(Op::comment("a", 1, "x"), 0);
        b.enqueue(Op::comment("b", 2, "y"), 0);
        let r = send(b.next_work(0));
        let saved = serde_json::to_string(&b).unwrap();
        let mut b: Batcher = serde_json::from_str(&saved).unwrap();
        b.recover();
        let Some(Work::Verify(v)) = b.next_work(1) else {
            panic!("verify first")
        };
        assert_eq!(v.tickets, r.tickets);
        b.complete(v.id, Outcome::Verified { applied: vec![1] }, 1);
        let again = send(b.next_work(1));
        assert_eq!(
            again
                .tickets
                .iter()
                .map(|t| t.ticket_id)
                .collect::<Vec<_>>(),
            [2]
        );
        assert_eq!(b.enqueue(Op::comment("a", 1, "x"), 2), Enqueued::Duplicate);
        b.complete(again.id, Outcome::Done, 2);
        b.complete(again.id, Outcome::Done, 2);
        assert!(b.is_idle());
        b.prune_written(3);
        assert_eq!(b.enqueue(Op::comment("a", 1, "x"), 4), Enqueued::Accepted);
    }
    // The tests below were written against mutants of this file that every other test let
    // through (scripts/mutants.sh); each names the rule a surviving mutant broke.

    // BATCH-10, FIELD-3: one ticket's field values merge, the later value of a field winning and
    // the other fields kept; the update names `custom_fields` only when there are some. Used to
    // survive: `!=` -> `==` in the merge (other fields dropped) and the `!` deleted in the body.
    #[test]
    fn field_values_merge_per_ticket() {
        let mut b = Batcher::new(cfg(true, true));
        let with_fields = |key: &str, fields: Vec<(u64, Value)>| Op {
            custom_fields: fields,
            ..Op::update(key, 5, None, None)
        };
        b.enqueue(with_fields("1", vec![(100, json!("a"))]), 0);
        b.enqueue(with_fields("2", vec![(200, json!("b"))]), 0);
        b.enqueue(with_fields("3", vec![(100, json!("c"))]), 0);
        b.enqueue(Op::update("4", 6, Some(TicketStatus::Open), None), 0);
        let body = send(b.next_work(10_000)).update_many_body();
        assert_eq!(
            body["tickets"][0]["custom_fields"],
            json!([{"id": 200, "value": "b"}, {"id": 100, "value": "c"}])
        );
        assert_eq!(body["tickets"][1].get("custom_fields"), None);
    }

    // BATCH-2, BATCH-5: a configuration saved in the Portal applies to the next operation: with
    // batching switched off, a comment goes at once. Used to survive: `set_config` doing nothing.
    #[test]
    fn new_config_applies() {
        let mut b = Batcher::new(cfg(true, true));
        b.set_config(cfg(false, false));
        b.enqueue(Op::comment("a", 1, "x"), 1_000);
        assert_eq!(send(b.next_work(1_000)).tickets[0].keys, ["a"]);
    }

    // BATCH-11, BATCH-9: operations not yet written are counted (queued and in flight) until
    // written; requests in flight at once have their own ids, so one's answer never settles the
    // other. Used to survive: `pending` answering 0, and `+=` -> `*=` on the request id.
    #[test]
    fn pending_ops_and_request_ids() {
        let mut b = Batcher::new(cfg(false, false));
        b.enqueue(Op::comment("a", 1, "x"), 0);
        assert_eq!(b.pending(), 1);
        let first = send(b.next_work(0));
        b.enqueue(Op::comment("b", 2, "y"), 0);
        let second = send(b.next_work(0));
        assert_ne!(first.id, second.id);
        assert_eq!(b.pending(), 2, "both in flight");
        b.complete(second.id, Outcome::Done, 0);
        assert_eq!(b.pending(), 1, "only the second is written");
        b.complete(first.id, Outcome::Done, 0);
        assert_eq!(b.pending(), 0);
    }

    // BATCH-11: a Retry-After too large for the clock pauses the writes (as long as the clock
    // goes), never for a second. Used to survive: `/` -> `%` in the overflow fallback.
    #[test]
    fn huge_retry_after_pauses() {
        let mut b = Batcher::new(cfg(false, false));
        b.enqueue(Op::comment("a", 1, "x"), 0);
        let r = send(b.next_work(0));
        b.complete(
            r.id,
            Outcome::RateLimited {
                retry_after_s: u64::MAX,
            },
            0,
        );
        assert_eq!(b.next_work(3_600_000), None, "still paused an hour later");
    }
}
