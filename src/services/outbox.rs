//! The outbox: every Zendesk write the adapter makes goes through it.
//!
//! A job (the folded writes of one rule decision) is persisted before its first request and after
//! every step, so a reload resumes it where it stopped and nothing is lost. Nothing is written
//! twice either: a creation is replayed with the same idempotency key, and an update that was in
//! flight when the page went away is first looked up in the ticket's audits by its key.
//! Transient failures (429, network, 5xx) wait and retry with the batcher's backoff curve;
//! a 429 pauses every job until its `Retry-After`. Permanent failures (closed ticket, not found,
//! refused data) end the job and are reported to the agent.
//!
//! Jobs run strictly one after another, first queued first. Events keep arriving while a run
//! waits on the network: [`Outbox::enqueue`] takes them at any time (the methods take `&self`
//! and hold no borrow across a request), and a job may name an earlier job whose ticket it
//! writes to ([`Outbox::enqueue_on_ticket_of`]): the end of a call whose ticket a 429 still
//! holds up is queued, and persisted, at once.

use super::{
    envelope::{self, Opened},
    storage::Store,
    writes::{Ref, Write},
};
use crate::zendesk::{TicketChange, Transport, Zendesk, ZendeskError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};

/// In a job queued with [`Outbox::enqueue_on_ticket_of`], the ticket id that stands for the
/// ticket the named earlier job created.
pub const TICKET_OF_EARLIER_JOB: u64 = 0;

/// The platform's CRM write queue (`POST /crm/ops`): it batches Add Comment and Ticket Update
/// operations across all agents with the account's API token. A repeated key is accepted and
/// ignored, so a replay after a reload is safe without any check.
#[allow(async_fn_in_trait)]
pub trait CrmQueue {
    /// Queues operations; `Err` carries why they were not accepted (retry later).
    async fn queue(&self, ops: &[Value]) -> Result<(), String>;
    /// True once the operation `key` has left the queue (written, or failed for good).
    async fn settled(&self, key: &str) -> Result<bool, String>;
}

/// Which services go through the platform's queue (Developer Settings, BATCH rules).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batching {
    /// "Add Comment"†: internal comments.
    pub add_comment: bool,
    /// "Assignment / Ticket Update"†: status, assignee, custom fields.
    pub ticket_update: bool,
}

impl Batching {
    /// From the platform's settings.
    pub fn from_settings(settings: &domain::settings::Settings) -> Self {
        Self {
            add_comment: settings.developer.batch_add_comment,
            ticket_update: settings.developer.batch_ticket_update,
        }
    }

    /// Splits an update into the operations the queue takes and what must still go directly:
    /// a comment goes to the queue when Add Comment is batched; status, assignee and fields when
    /// Ticket Update is (a comment travels with them then, so the ticket's order holds). The
    /// queue has no voice comment: one goes directly unless the queued comment carries its
    /// recording link (OQ-36's fallback form).
    pub fn split(
        &self,
        ticket_id: u64,
        key: &str,
        change: &TicketChange,
    ) -> (Vec<Value>, TicketChange) {
        let has_update = change.status.is_some()
            || change.assignee_id.is_some()
            || !change.custom_fields.is_empty();
        let mut direct = change.clone();
        let mut ops = Vec::new();
        if has_update && self.ticket_update {
            let fields: Vec<Value> = change
                .custom_fields
                .iter()
                .map(|(id, v)| json!({"id": id, "value": v}))
                .collect();
            let mut body = json!({"status": change.status, "assignee_id": change.assignee_id,
                "custom_fields": fields});
            if let Some(comment) = change.comment.as_ref().filter(|_| self.add_comment) {
                body["comment"] = json!(comment);
                direct.comment = None;
            }
            ops.push(
                json!({"key": key, "ticket_id": ticket_id, "kind": "update_ticket", "body": body}),
            );
            direct.status = None;
            direct.assignee_id = None;
            direct.custom_fields.clear();
        } else if let Some(comment) = change
            .comment
            .as_ref()
            .filter(|_| self.add_comment && !has_update)
        {
            ops.push(
                json!({"key": key, "ticket_id": ticket_id, "kind": "add_comment", "body": comment}),
            );
            direct.comment = None;
        }
        // OQ-36: the queue has no voice comment; when the queued comment already carries the
        // recording link, that internal comment is the recording's fallback form, and nothing is
        // left to write directly.
        let queued_text = |op: &Value| {
            op["body"]
                .as_str()
                .or(op["body"]["comment"].as_str())
                .map(str::to_owned)
        };
        if let Some(url) = direct
            .voice_comment
            .as_ref()
            .and_then(|v| v.recording_url().map(str::to_owned))
        {
            if ops.iter().filter_map(queued_text).any(|t| t.contains(&url)) {
                direct.voice_comment = None;
            }
        }
        (ops, direct)
    }
}

/// No queue: every write goes directly to Zendesk.
pub struct NoQueue;

impl CrmQueue for NoQueue {
    async fn queue(&self, _: &[Value]) -> Result<(), String> {
        Err("no CRM queue".into())
    }
    async fn settled(&self, _: &str) -> Result<bool, String> {
        Ok(true)
    }
}

/// How often a direct write asks whether the queue has written what it holds for the ticket.
const QUEUE_POLL_MS: i64 = 1_000;
/// How long (in polls) a direct write waits for the queue before it goes anyway: a queue that
/// does not move must not hold up every later write (the order of that ticket may then differ).
const QUEUE_WAIT_LIMIT: u32 = 120;

/// The ticket a job creates (once created), else the existing ticket it writes to.
fn ticket_of_job(job: &Job) -> Option<u64> {
    let created = job
        .writes
        .iter()
        .zip(&job.ids)
        .find(|(w, _)| matches!(w, Write::CreateTicket { .. }))
        .map(|(_, id)| *id);
    match created {
        Some(id) => id,
        None => job.writes.iter().find_map(|w| match w {
            Write::UpdateTicket {
                ticket: Ref::Existing(id),
                ..
            } if *id != TICKET_OF_EARLIER_JOB => Some(*id),
            _ => None,
        }),
    }
}

/// True when nothing is left to send.
fn is_empty(change: &TicketChange) -> bool {
    change.to_json().as_object().is_none_or(|o| o.is_empty())
}

/// One queued decision: its writes in order, and how far it got.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Unique key (from the platform's session id and the event), also the idempotency root.
    pub key: String,
    /// The writes, in order.
    pub writes: Vec<Write>,
    /// How many writes are done.
    pub done: usize,
    /// The id each done creation returned, by write index.
    pub ids: Vec<Option<u64>>,
    /// True while a request for `writes[done]` may have reached Zendesk without an answer.
    pub in_flight: bool,
    /// Consecutive transient failures.
    pub attempts: u32,
    /// Do not send before this time (unix ms).
    pub not_before_ms: i64,
    /// Merges followed so far (UPD-8).
    #[serde(default)]
    pub merge_hops: u32,
    /// The earlier job whose created ticket `Ref::Existing(TICKET_OF_EARLIER_JOB)` stands for.
    #[serde(default)]
    pub ticket_of: Option<String>,
    /// How the write under way was split between the platform's queue and direct requests: a
    /// retry or a resume after a reload splits it the same way, whatever the settings are now,
    /// so no part goes both ways.
    #[serde(default)]
    pub batching: Option<Batching>,
    /// How many times the write under way waited for the platform's queue.
    #[serde(default)]
    pub queue_waits: u32,
}

/// How many merges a write follows before it gives up (merges chain rarely; a loop must end).
const MAX_MERGE_HOPS: u32 = 5;

/// What a run of the outbox did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunReport {
    /// Jobs finished.
    pub completed: Vec<String>,
    /// Jobs that cannot succeed, with the reason the agent sees.
    pub failed: Vec<(String, ZendeskError)>,
    /// Jobs that wait because Zendesk refused access (401/403): kept, tried again later. Each
    /// is reported once, when it first waits.
    pub paused: Vec<(String, ZendeskError)>,
    /// Tickets to show the agent.
    pub screen_pops: Vec<u64>,
    /// Tickets created, by job key (the call's ticket, for the in-call screen).
    pub created_tickets: Vec<(String, u64)>,
    /// When to run again (unix ms), if work is waiting.
    pub wake_at_ms: Option<i64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct State {
    jobs: Vec<Job>,
    /// Keys of jobs already finished, so a replayed event does not enqueue twice.
    #[serde(default)]
    finished: Vec<String>,
    /// The ticket each recent job created, by job key (for jobs queued on it).
    #[serde(default)]
    created: Vec<(String, u64)>,
    /// Operations handed to the platform's queue and not known written yet, by ticket: a direct
    /// write to that ticket waits for them, so the ticket's order holds when batching is
    /// switched off, or a job goes partly through the queue.
    #[serde(default)]
    handed: Vec<(u64, String)>,
}

/// The storage key of an agent's outbox (then `.{agent}` and, per tab, `.{tab}`).
const OUTBOX_KEY: &str = "agent-adapter.outbox";

/// The shortest wait after Zendesk refused access: long enough for the agent to sign in to
/// Zendesk again, short enough that the writes follow soon after.
const DENIED_PAUSE_MS: i64 = 30_000;

/// How many finished keys are remembered.
const FINISHED_MEMORY: usize = 500;

/// The persistent outbox of one agent.
pub struct Outbox<S: Store> {
    store: S,
    /// The agent's outbox key; tabs add `.{tab}`.
    agent_key: String,
    storage_key: String,
    state: RefCell<State>,
    running: Cell<bool>,
    notices: RefCell<Vec<StorageNotice>>,
}

/// What opening the stored writes found (`services::envelope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageNotice {
    /// Stored writes could not be read: they were kept aside, not sent.
    SetAside,
    /// This many unsent writes were older than `envelope::MAX_AGE_MS`: removed, not sent.
    Expired(usize),
}

impl<S: Store> Outbox<S> {
    /// Opens (or resumes) the outbox of `agent_id` kept under the agent's own key (one tab).
    pub fn open(store: S, agent_id: u64) -> Self {
        Self::open_for_tab(store, agent_id, "")
    }

    /// Opens the outbox of `agent_id` in tab `tab_id`. Each tab keeps its writes under a key of
    /// its own, so two tabs never overwrite each other's; the writes of a tab that is gone (a
    /// reload, a closed tab) are taken over with [`Outbox::adopt_orphans`].
    pub fn open_for_tab(store: S, agent_id: u64, tab_id: &str) -> Self {
        let agent_key = format!("{OUTBOX_KEY}.{agent_id}");
        let storage_key = if tab_id.is_empty() {
            agent_key.clone()
        } else {
            format!("{agent_key}.{tab_id}")
        };
        let outbox = Self {
            store,
            agent_key,
            storage_key,
            state: RefCell::new(State::default()),
            running: Cell::new(false),
            notices: RefCell::new(Vec::new()),
        };
        if let Some(state) = outbox.read(&outbox.storage_key) {
            *outbox.state.borrow_mut() = state;
        }
        outbox
    }

    /// The state stored under `key`, through its envelope: unreadable data is set aside (kept,
    /// reported once), expired data removed (reported); neither stops the outbox.
    fn read(&self, key: &str) -> Option<State> {
        let text = self.store.get(key);
        match envelope::open::<State>(text.as_deref(), envelope::wall_clock_ms()) {
            Opened::Empty => None,
            Opened::State(state) => Some(state),
            Opened::Expired(state) => {
                self.store.remove(key);
                if !state.jobs.is_empty() {
                    self.notices
                        .borrow_mut()
                        .push(StorageNotice::Expired(state.jobs.len()));
                }
                None
            }
            Opened::Unreadable => {
                if let Some(raw) = text {
                    self.store.set(&envelope::set_aside_key(key), &raw);
                }
                self.store.remove(key);
                self.notices.borrow_mut().push(StorageNotice::SetAside);
                None
            }
        }
    }

    /// What opening the stored writes found that the agent should hear about, once.
    pub fn take_notices(&self) -> Vec<StorageNotice> {
        std::mem::take(&mut *self.notices.borrow_mut())
    }

    fn persist(&self) {
        if let Some(text) = envelope::seal(&*self.state.borrow(), envelope::wall_clock_ms()) {
            self.store.set(&self.storage_key, &text);
        }
    }

    /// Takes over the writes other tabs of the same agent left (the tabs `alive` says are gone):
    /// their jobs join this outbox, in their order, after its own; their storage is cleared.
    /// Returns how many jobs were taken over.
    pub fn adopt_orphans(&self, alive: impl Fn(&str) -> bool) -> usize {
        let agent_key = &self.agent_key;
        let mut adopted = 0;
        for key in self.store.keys() {
            let tab = match key.strip_prefix(agent_key.as_str()) {
                Some("") => "",
                Some(rest) => match rest.strip_prefix('.') {
                    Some(tab) if !tab.contains('.') => tab,
                    _ => continue,
                },
                None => continue,
            };
            if key == self.storage_key || (!tab.is_empty() && alive(tab)) {
                continue;
            }
            let Some(theirs) = self.read(&key) else {
                continue;
            };
            {
                let mut state = self.state.borrow_mut();
                for key in theirs.finished {
                    if !state.finished.contains(&key) {
                        state.finished.push(key);
                    }
                }
                for job in theirs.jobs {
                    let known = state.jobs.iter().any(|j| j.key == job.key)
                        || state.finished.contains(&job.key);
                    if !known {
                        state.jobs.push(job);
                        adopted += 1;
                    }
                }
                state.created.extend(theirs.created);
                state.handed.extend(theirs.handed);
            }
            self.persist();
            self.store.remove(&key);
        }
        adopted
    }

    /// Queued jobs.
    pub fn jobs(&self) -> Vec<Job> {
        self.state.borrow().jobs.clone()
    }

    /// True while a run is sending (a second run started meanwhile returns at once).
    pub fn is_running(&self) -> bool {
        self.running.get()
    }

    /// Queues a job; a key seen before (queued or finished) is ignored. Returns true if queued.
    pub fn enqueue(&self, key: &str, writes: Vec<Write>) -> bool {
        self.push(key, writes, None)
    }

    /// Queues a job that writes to the ticket the job `earlier` created (named in `writes` as
    /// `Ref::Existing(TICKET_OF_EARLIER_JOB)`); it runs after that job, as every job runs after
    /// the ones queued before it.
    pub fn enqueue_on_ticket_of(&self, earlier: &str, key: &str, writes: Vec<Write>) -> bool {
        self.push(key, writes, Some(earlier.to_owned()))
    }

    fn push(&self, key: &str, writes: Vec<Write>, ticket_of: Option<String>) -> bool {
        {
            let mut state = self.state.borrow_mut();
            let known =
                state.jobs.iter().any(|j| j.key == key) || state.finished.iter().any(|k| k == key);
            if known || writes.is_empty() {
                return false;
            }
            let n = writes.len();
            state.jobs.push(Job {
                key: key.to_owned(),
                writes,
                done: 0,
                ids: vec![None; n],
                in_flight: false,
                attempts: 0,
                not_before_ms: 0,
                merge_hops: 0,
                ticket_of,
                batching: None,
                queue_waits: 0,
            });
        }
        self.persist();
        true
    }

    /// True when a job `key` is queued or was finished recently.
    pub fn knows(&self, key: &str) -> bool {
        let state = self.state.borrow();
        state.jobs.iter().any(|j| j.key == key) || state.finished.iter().any(|k| k == key)
    }

    /// The ticket the job `key` created or wrote to, if it did recently.
    pub fn created_by(&self, key: &str) -> Option<u64> {
        let state = self.state.borrow();
        let queued = state
            .jobs
            .iter()
            .find(|j| j.key == key)
            .and_then(ticket_of_job);
        queued.or_else(|| {
            state
                .created
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, id)| *id)
        })
    }

    /// Sends what is due, in order, until done or blocked; every write goes directly.
    pub async fn run<T: Transport>(&self, zendesk: &Zendesk<T>, now_ms: i64) -> RunReport {
        self.run_with(zendesk, &NoQueue, Batching::default(), now_ms)
            .await
    }

    /// Sends what is due, with the batched services going to the platform's queue.
    /// Jobs queued during the run are sent in the same run. A run started while another is
    /// sending returns an empty report at once: the one sending goes on to the new jobs.
    pub async fn run_with<T: Transport, Q: CrmQueue>(
        &self,
        zendesk: &Zendesk<T>,
        queue: &Q,
        batching: Batching,
        now_ms: i64,
    ) -> RunReport {
        self.run_clocked(zendesk, queue, batching, &|| now_ms).await
    }

    /// [`Outbox::run_with`], reading the time from `clock` at each step: a run that waits on the
    /// network for seconds still honours `Retry-After` from when the answer came.
    pub async fn run_clocked<T: Transport, Q: CrmQueue>(
        &self,
        zendesk: &Zendesk<T>,
        queue: &Q,
        batching: Batching,
        clock: &dyn Fn() -> i64,
    ) -> RunReport {
        let mut report = RunReport::default();
        if self.running.replace(true) {
            return report;
        }
        loop {
            let Some(job) = self.state.borrow().jobs.first().cloned() else {
                break;
            };
            if job.not_before_ms > clock() {
                report.wake_at_ms = Some(job.not_before_ms);
                break;
            }
            match self
                .step(zendesk, queue, batching, job, clock, &mut report)
                .await
            {
                Step::Continue => {}
                Step::Wait(at) => {
                    report.wake_at_ms = Some(at);
                    break;
                }
            }
        }
        self.running.set(false);
        report
    }

    /// Performs the next write of the first job.
    async fn step<T: Transport, Q: CrmQueue>(
        &self,
        zendesk: &Zendesk<T>,
        queue: &Q,
        batching: Batching,
        mut job: Job,
        clock: &dyn Fn() -> i64,
        report: &mut RunReport,
    ) -> Step {
        let index = job.done;
        let recovering = job.in_flight;
        let op_key = format!("{}.{index}", job.key);
        let earlier = job.ticket_of.as_deref().map(|k| self.created_by(k));
        let resolve = |r: Ref, job: &Job| match (r, earlier) {
            (Ref::Existing(TICKET_OF_EARLIER_JOB), Some(created)) => created,
            (Ref::Existing(id), _) => Some(id),
            (Ref::Created(i), _) => job.ids.get(i).copied().flatten(),
        };
        let batching = *job.batching.get_or_insert(batching);
        job.in_flight = true;
        self.replace_first(job.clone());
        let result: Result<Option<u64>, ZendeskError> = match job.writes[index].clone() {
            Write::CreateUser(user) => {
                // A creation cut short by a reload may have landed: look for it first.
                let existing = if recovering {
                    zendesk
                        .users_by_phone(&user.phone)
                        .await
                        .map(|m| m.contacts.into_iter().find(|c| c.name == user.name))
                } else {
                    Ok(None)
                };
                match existing {
                    Ok(Some(contact)) => Ok(Some(contact.id)),
                    Ok(None) => zendesk.create_user(&user).await.map(|c| Some(c.id)),
                    Err(e) => Err(e),
                }
            }
            Write::CreateTicket {
                mut ticket,
                requester,
            } => match resolve(requester, &job) {
                Some(requester_id) => {
                    ticket.requester_id = requester_id;
                    ticket.idempotency_key = Some(op_key.clone());
                    zendesk.create_ticket(&ticket).await.map(|t| {
                        report.created_tickets.push((job.key.clone(), t.id));
                        let mut state = self.state.borrow_mut();
                        state.created.push((job.key.clone(), t.id));
                        let excess = state.created.len().saturating_sub(FINISHED_MEMORY);
                        state.created.drain(..excess);
                        Some(t.id)
                    })
                }
                None => Err(ZendeskError::Decode("the requester was not created".into())),
            },
            Write::UpdateTicket { ticket, change } => match resolve(ticket, &job) {
                Some(id) => {
                    // A request cut short (a reload) may have landed, whichever way it went:
                    // the ticket's audits say. Batching may have been switched on meanwhile,
                    // and the queue only knows repeats of its own keys.
                    let landed = if recovering {
                        zendesk.update_applied(id, &op_key).await
                    } else {
                        Ok(false)
                    };
                    let (ops, change) = batching.split(id, &op_key, &change);
                    let earlier = if landed == Ok(false)
                        && !is_empty(&change)
                        && job.queue_waits < QUEUE_WAIT_LIMIT
                    {
                        self.queue_holds(queue, id).await
                    } else {
                        Ok(false)
                    };
                    match (landed, earlier) {
                        (Ok(true), _) => Ok(None),
                        (Err(e), _) => Err(e),
                        (_, Err(e)) => Err(ZendeskError::Transport(e)),
                        (Ok(false), Ok(true)) => {
                            // The queue still holds earlier writes to this ticket: wait for them.
                            job.in_flight = recovering;
                            job.queue_waits += 1;
                            let at = clock() + QUEUE_POLL_MS;
                            job.not_before_ms = at;
                            self.replace_first(job);
                            return Step::Wait(at);
                        }
                        (Ok(false), Ok(false)) => {
                            // The queue ignores a key it has seen: queueing again is safe.
                            let queued = if ops.is_empty() {
                                Ok(())
                            } else {
                                let queued =
                                    queue.queue(&ops).await.map_err(ZendeskError::Transport);
                                if queued.is_ok() {
                                    self.handed_to_queue(id, &ops);
                                }
                                queued
                            };
                            match queued {
                                Ok(()) if is_empty(&change) => Ok(None),
                                Ok(()) => zendesk
                                    .update_ticket(id, &change, Some(&op_key))
                                    .await
                                    .map(|_| None),
                                Err(e) => Err(e),
                            }
                        }
                    }
                }
                None => Err(ZendeskError::Decode("the ticket was not created".into())),
            },
            Write::ScreenPop { ticket } => {
                if let Some(id) = resolve(ticket, &job) {
                    report.screen_pops.push(id);
                }
                Ok(None)
            }
        };
        match result {
            Ok(id) => {
                job.ids[index] = id;
                job.done += 1;
                job.in_flight = false;
                job.batching = None;
                job.queue_waits = 0;
                job.attempts = 0;
                if job.done == job.writes.len() {
                    // A job that wrote to an existing ticket: jobs queued on it find it too.
                    if let Some(ticket) = ticket_of_job(&job) {
                        let mut state = self.state.borrow_mut();
                        if !state.created.iter().any(|(k, _)| *k == job.key) {
                            state.created.push((job.key.clone(), ticket));
                            let excess = state.created.len().saturating_sub(FINISHED_MEMORY);
                            state.created.drain(..excess);
                        }
                    }
                    self.finish_first(&job.key);
                    report.completed.push(job.key);
                } else {
                    self.replace_first(job);
                }
                Step::Continue
            }
            Err(ZendeskError::RateLimited { retry_after_s }) => {
                let at = clock() + (retry_after_s as i64) * 1000;
                // This request was refused, but an earlier one cut short may still have landed
                // (the 429 may have answered the check): keep what was known before it.
                job.in_flight = recovering;
                job.not_before_ms = at;
                self.replace_first(job);
                Step::Wait(at)
            }
            Err(e) if e.is_retryable() => {
                // The request may or may not have landed: keep `in_flight` so the retry checks.
                job.attempts += 1;
                let at = clock() + domain::batch::retry_delay_ms(job.attempts);
                job.not_before_ms = at;
                self.replace_first(job);
                Step::Wait(at)
            }
            Err(ZendeskError::Closed) if job.merge_hops < MAX_MERGE_HOPS => {
                // UPD-8: a ticket closed by a merge lives on in its target: write there.
                let target = match &job.writes[index] {
                    Write::UpdateTicket { ticket, .. } => resolve(*ticket, &job),
                    _ => None,
                };
                let followed = match target {
                    Some(id) => zendesk.merge_target(id).await,
                    None => Ok(None),
                };
                match followed {
                    Ok(Some(survivor)) => {
                        if let Write::UpdateTicket { ticket, .. } = &mut job.writes[index] {
                            *ticket = Ref::Existing(survivor);
                        }
                        job.merge_hops += 1;
                        job.in_flight = false;
                        self.replace_first(job);
                        Step::Continue
                    }
                    Ok(None) => {
                        self.finish_first(&job.key);
                        report.failed.push((job.key, ZendeskError::Closed));
                        Step::Continue
                    }
                    Err(_) => {
                        // The write was refused, nothing landed: look again later.
                        job.attempts += 1;
                        let at = clock() + domain::batch::retry_delay_ms(job.attempts);
                        job.not_before_ms = at;
                        job.in_flight = false;
                        self.replace_first(job);
                        Step::Wait(at)
                    }
                }
            }
            Err(ZendeskError::Unauthorized) => {
                // Zendesk refused access (the agent's Zendesk session ended, a permission was
                // withdrawn): nothing of this request landed, and nothing is lost. The job waits,
                // keeps its place, and is tried again after a pause; the agent hears it once.
                if job.attempts == 0 {
                    report
                        .paused
                        .push((job.key.clone(), ZendeskError::Unauthorized));
                }
                job.attempts += 1;
                job.in_flight = recovering;
                let at = clock() + domain::batch::retry_delay_ms(job.attempts).max(DENIED_PAUSE_MS);
                job.not_before_ms = at;
                self.replace_first(job);
                Step::Wait(at)
            }
            Err(e) => {
                self.finish_first(&job.key);
                report.failed.push((job.key, e));
                Step::Continue
            }
        }
    }

    /// True while the platform's queue holds operations handed to it for `ticket`; forgets those
    /// it has written.
    async fn queue_holds<Q: CrmQueue>(&self, queue: &Q, ticket: u64) -> Result<bool, String> {
        let keys: Vec<String> = self
            .state
            .borrow()
            .handed
            .iter()
            .filter(|(t, _)| *t == ticket)
            .map(|(_, k)| k.clone())
            .collect();
        for key in keys {
            if !queue.settled(&key).await? {
                return Ok(true);
            }
            self.state.borrow_mut().handed.retain(|(_, k)| *k != key);
            self.persist();
        }
        Ok(false)
    }

    fn handed_to_queue(&self, ticket: u64, ops: &[Value]) {
        {
            let mut state = self.state.borrow_mut();
            for key in ops.iter().filter_map(|op| op["key"].as_str()) {
                if !state.handed.iter().any(|(_, k)| k == key) {
                    state.handed.push((ticket, key.to_owned()));
                }
            }
            let excess = state.handed.len().saturating_sub(FINISHED_MEMORY);
            state.handed.drain(..excess);
        }
        self.persist();
    }

    fn replace_first(&self, job: Job) {
        if let Some(first) = self.state.borrow_mut().jobs.first_mut() {
            *first = job;
        }
        self.persist();
    }

    fn finish_first(&self, key: &str) {
        {
            let mut state = self.state.borrow_mut();
            state.jobs.retain(|j| j.key != key);
            state.finished.push(key.to_owned());
            let excess = state.finished.len().saturating_sub(FINISHED_MEMORY);
            state.finished.drain(..excess);
        }
        self.persist();
    }
}

enum Step {
    Continue,
    Wait(i64),
}

impl<T: crate::http::Transport> CrmQueue for crate::platform::Platform<T> {
    async fn queue(&self, ops: &[Value]) -> Result<(), String> {
        self.queue_crm_ops(ops)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
    async fn settled(&self, key: &str) -> Result<bool, String> {
        match self.crm_op_state(key).await {
            Ok(state) => Ok(state != "queued"),
            // The queue does not know the key (a reset): nothing of it is waiting.
            Err(crate::platform::PlatformError::Refused(_)) => Ok(true),
            Err(e) => Err(e.to_string()),
        }
    }
}
