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
//! Jobs run one after another, first queued first. One exception: a job Zendesk refuses with
//! 403 (a record the agent may not edit) waits aside, with every later job that depends on it
//! (its call, its tickets, the numbers it makes contacts for: [`Job::depends_on`]), and the
//! other jobs go on. Events keep arriving while a run
//! waits on the network: [`Outbox::enqueue`] takes them at any time (the methods take `&self`
//! and hold no borrow across a request), and a job may name an earlier job whose ticket it
//! writes to ([`Outbox::enqueue_on_ticket_of`]): the end of a call whose ticket a 429 still
//! holds up is queued, and persisted, at once.
//!
//! The run itself (one job at a time) is in `run`; the platform's CRM queue and the split of
//! writes between it and Zendesk in `queue`.

mod queue;
mod run;

pub use queue::{Batching, CrmQueue, NoQueue, QueueError};

use super::{
    envelope::{self, Opened},
    storage::Store,
    writes::{Ref, Write},
};
use crate::zendesk::ZendeskError;
use domain::call::JobKey;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};

/// In a job queued with [`Outbox::enqueue_on_ticket_of`], the ticket id that stands for the
/// ticket the named earlier job created.
pub const TICKET_OF_EARLIER_JOB: u64 = 0;

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

/// What [`Outbox::adopt_orphan_tabs`] took over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Adoption {
    /// Tabs gone whose outbox was taken over (with or without jobs).
    pub tabs: usize,
    /// Jobs taken over.
    pub jobs: usize,
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
    /// The call recording's link, in memory only: stored jobs carry [`RECORDING_WITHHELD`] in
    /// its place (the platform keeps recordings; the browser keeps no link to one), and a job
    /// read back from storage asks the platform for the link before it writes.
    #[serde(skip)]
    pub recording_url: Option<String>,
    /// True when the writes carry [`RECORDING_WITHHELD`] where the link goes.
    #[serde(default)]
    pub recording_withheld: bool,
    /// The collision check of a job that appends to a ticket read for the dial screen.
    #[serde(default)]
    pub guard: Option<Guard>,
    /// Collisions met by the guarded write so far.
    #[serde(default)]
    pub collisions: u32,
    /// What the job writes instead if Zendesk refuses the requester of the ticket it creates.
    #[serde(default)]
    pub if_requester_gone: Option<RequesterGone>,
    /// When the contact creation under way was sent (unix ms): one cut short (a reload, a lost
    /// answer) is looked for in the search, which shows a new contact only after a while; it is
    /// made again only once that while has passed with the search not showing it.
    #[serde(default)]
    pub creation_sent_ms: Option<i64>,
    /// True once the agent was told that Zendesk refuses this job access (told once, whatever
    /// failed before it: a network failure first must not keep the agent from hearing it).
    #[serde(default)]
    pub denied_told: bool,
    /// True while Zendesk refuses this job's write or read with 403 (a ticket moved to a group
    /// the agent may not edit, a permission withdrawn): the job waits aside, and the jobs after
    /// it that touch none of its tickets, contacts or call go before it (see
    /// [`Job::depends_on`]). A 401 (the agent's Zendesk session ended) holds every job instead.
    #[serde(default)]
    pub refused: bool,
    /// True once the collision check gave up the ticket read (see [`Guard`]) and the writes were
    /// decided again, until the first of them lands: the call's ticket is still to come.
    #[serde(default)]
    pub redecided: bool,
    /// When the job was queued (unix ms; 0 for a job stored before jobs were dated, dated when
    /// read). A job older than [`envelope::MAX_AGE_MS`] is dropped, unsent: one that Zendesk
    /// refuses for days (a 403 that never lifts) must not keep its customer's data in the
    /// browser, nor be tried again, for ever; its outbox, saved at each try, never got old.
    #[serde(default)]
    pub queued_ms: i64,
}

/// A job whose first write creates a ticket for a contact the dial screen read: if Zendesk
/// refuses that requester (the contact was deleted meanwhile), nothing was written, and the
/// job's writes become `instead`: what the rules write for the number with no contact (a
/// contact made for it, and the ticket theirs). The call is logged either way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequesterGone {
    /// The contact the ticket was for.
    pub requester: u64,
    /// The writes that replace the job's.
    pub instead: Vec<Write>,
}

/// A job's first write appends to an existing ticket the rules picked on what was read: it goes
/// with Zendesk's collision check (`safe_update`), and if the ticket changed meanwhile it is read
/// again and the rules decide again. Still open (or the agent chose it as it was): the append
/// goes ahead. No longer open: the job's writes become `instead` (what the rules write with no
/// ticket to append to), and the ticket is not touched (UPD-3: never reopened).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Guard {
    /// The ticket appended to (the job's first write is to it).
    pub ticket: u64,
    /// Its `updated_at` as last read (unix seconds).
    pub seen_updated_at: i64,
    /// True when it was in the open set when read: only a ticket the rules picked as open is
    /// given up when it is no longer open (one the agent chose in another state stays chosen).
    pub open_when_read: bool,
    /// The writes that replace the job's when the ticket is no longer open.
    pub instead: Vec<Write>,
    /// Its requester when read (the call's contact): a ticket given to another requester since
    /// is not the caller's any more, and is given up like one no longer open. None in jobs
    /// stored before it was kept (not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<u64>,
}

/// Stands for a call recording's link in stored jobs.
pub const RECORDING_WITHHELD: &str = "about:recording-withheld";

impl Job {
    /// True when this job must keep its order after `earlier`: it is of the same call (or chat),
    /// writes to a ticket `earlier` created or writes to, makes a contact for a number `earlier`
    /// makes one for, or writes to the ticket `earlier` creates. `of_earlier_job` gives the
    /// ticket a job's earlier job (`ticket_of`) wrote to, when known.
    pub fn depends_on(&self, earlier: &Job, of_earlier_job: &dyn Fn(&Job) -> Option<u64>) -> bool {
        let call = |key: &str| key.split('.').next().unwrap_or_default().to_owned();
        if self.ticket_of.as_deref() == Some(earlier.key.as_str())
            || call(&self.key) == call(&earlier.key)
        {
            return true;
        }
        let (mut mine, mut theirs) = (self.touches(), earlier.touches());
        mine.0.extend(of_earlier_job(self));
        theirs.0.extend(of_earlier_job(earlier));
        mine.0.iter().any(|t| theirs.0.contains(t)) || mine.1.iter().any(|p| theirs.1.contains(p))
    }

    /// The tickets this job writes to (known ids: created, named, or guarded) and the numbers it
    /// makes contacts for.
    fn touches(&self) -> (Vec<u64>, Vec<&str>) {
        let mut tickets: Vec<u64> = self.guard.iter().map(|g| g.ticket).collect();
        let mut phones = Vec::new();
        for (write, id) in self.writes.iter().zip(&self.ids) {
            match write {
                Write::CreateUser(user) if !user.phone.is_empty() => {
                    phones.push(user.phone.as_str())
                }
                Write::CreateTicket { .. } => tickets.extend(*id),
                Write::UpdateTicket {
                    ticket: Ref::Existing(t),
                    ..
                }
                | Write::ScreenPop {
                    ticket: Ref::Existing(t),
                } if *t != TICKET_OF_EARLIER_JOB => tickets.push(*t),
                _ => {}
            }
        }
        (tickets, phones)
    }

    /// The links this job's writes carry: its voice comments' and the one it was given.
    fn recording_links(&self) -> Vec<String> {
        let mut links: Vec<String> = self
            .writes
            .iter()
            .filter_map(|w| match w {
                Write::UpdateTicket { change, .. } => change
                    .voice_comment
                    .as_ref()
                    .and_then(|v| v.recording_url().map(str::to_owned)),
                _ => None,
            })
            .chain(self.recording_url.clone())
            .filter(|u| !u.is_empty() && u != RECORDING_WITHHELD)
            .collect();
        links.sort();
        links.dedup();
        links
    }

    /// The job as it is stored: every recording link replaced by [`RECORDING_WITHHELD`].
    fn withheld(&self) -> Job {
        let links = self.recording_links();
        let mut job = self.clone();
        if links.is_empty() {
            return job;
        }
        job.writes = replace_in_writes(&job.writes, &links, RECORDING_WITHHELD);
        job.recording_withheld = true;
        job
    }

    /// Puts the recording's link back where stored jobs withheld it.
    pub fn with_recording(&self, url: &str) -> Job {
        let mut job = self.clone();
        job.writes = replace_in_writes(&job.writes, &[RECORDING_WITHHELD.to_owned()], url);
        job.recording_withheld = false;
        job.recording_url = Some(url.to_owned()).filter(|u| !u.is_empty());
        job
    }
}

/// `writes` with every occurrence of each of `from` (in comment texts, voice comments) made `to`.
fn replace_in_writes(writes: &[Write], from: &[String], to: &str) -> Vec<Write> {
    // JSON-escaped forms, so that a link is replaced as the serialized text holds it.
    let escaped = |s: &str| {
        let quoted = serde_json::to_string(s).unwrap_or_default();
        let inner = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"'));
        inner.unwrap_or_default().to_owned()
    };
    let Ok(mut text) = serde_json::to_string(writes) else {
        return writes.to_vec();
    };
    let to = escaped(to);
    for f in from {
        text = text.replace(&escaped(f), &to);
    }
    serde_json::from_str(&text).unwrap_or_else(|_| writes.to_vec())
}

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
    /// Jobs dropped unsent, queued longer than [`envelope::MAX_AGE_MS`] ago (see
    /// [`Job::queued_ms`]).
    pub expired: Vec<String>,
    /// Tickets created, by job key (the call's ticket, for the in-call screen); also the
    /// existing ticket a guarded append landed on (see [`Guard`]): the call's ticket, settled.
    pub created_tickets: Vec<(String, u64)>,
    /// Jobs decided again because the ticket they were to append to was no longer open when
    /// written (see [`Guard`]), with that ticket.
    pub redecided: Vec<(String, u64)>,
    /// Jobs decided again because the contact their ticket was for is gone (see
    /// [`RequesterGone`]), with that contact.
    pub requester_gone: Vec<(String, u64)>,
    /// When to run again (unix ms), if work is waiting.
    pub wake_at_ms: Option<i64>,
    /// True when Zendesk took a write of a job the agent was told waits for access: what that
    /// said is over.
    pub access_back: bool,
    /// Jobs ended unsent because the job whose ticket they write to (their call's first) ended
    /// without one: it failed, and the agent was told then.
    pub dropped: Vec<String>,
    /// How many calls (or chats) have a job waiting because Zendesk refuses it with 403, after
    /// the run.
    pub refused_calls: usize,
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
    /// First jobs being worked out (their reads under way, maybe waiting out a rate limit)
    /// and not queued yet, by job key, with the contact the agent picked: a reload in between
    /// works them out again instead of losing the call ([`Outbox::intend`]).
    #[serde(default)]
    intents: Vec<(String, Option<u64>)>,
}

/// The storage key of an agent's outbox (then `.{agent}` and, per tab, `.{tab}`).
const OUTBOX_KEY: &str = "agent-adapter.outbox";

/// The keys among `keys` that hold outbox data of `agent_id`: its outbox (any tab's) and what
/// was set aside of it. Sign-out hands these to the platform; sign-in takes them back.
pub fn agent_keys(keys: &[String], agent_id: u64) -> Vec<String> {
    let own = format!("{OUTBOX_KEY}.{agent_id}");
    let aside = envelope::set_aside_key(&own);
    let under = |k: &str, root: &str| {
        k == root
            || k.strip_prefix(root)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|tab| !tab.is_empty() && !tab.contains('.'))
    };
    keys.iter()
        .filter(|k| under(k, &own) || under(k, &aside))
        .cloned()
        .collect()
}

/// The tab whose live outbox the stored `key` (one of [`agent_keys`]) is; `None` for the
/// agent's key that names no tab, and for writes set aside (no tab sends those).
pub fn tab_of(key: &str, agent_id: u64) -> Option<&str> {
    let own = format!("{OUTBOX_KEY}.{agent_id}");
    key.strip_prefix(own.as_str())?
        .strip_prefix('.')
        .filter(|tab| !tab.is_empty() && !tab.contains('.'))
}

/// True when the stored outbox `text` holds writes not made yet (not only finished keys), first
/// jobs still being worked out (intents: the session that takes them works them out again from
/// the platform's calls; dropped, a call hung up and signed out from while its reads waited was
/// never logged), or cannot be read (then it is kept, not judged).
pub fn holds_writes(text: &str) -> bool {
    match envelope::open::<State>(Some(text), envelope::wall_clock_ms()) {
        Opened::State(state) | Opened::Expired(state) => {
            !state.jobs.is_empty() || !state.intents.is_empty()
        }
        Opened::Empty => false,
        Opened::Unreadable => true,
    }
}

/// The shortest wait after Zendesk refused access: long enough for the agent to sign in to
/// Zendesk again, short enough that the writes follow soon after.
const DENIED_PAUSE_MS: i64 = 30_000;

/// How long Zendesk's search may take to show a contact just created (UNCONFIRMED: Zendesk
/// says only that the index is eventually consistent). A contact creation cut short is made
/// again only after this long with the search not showing it.
const CREATION_INDEX_LAG_MS: i64 = 60_000;

/// How often, within [`CREATION_INDEX_LAG_MS`], the search is asked again for a contact
/// creation cut short.
const CREATION_RECHECK_MS: i64 = 5_000;

/// How many first jobs being worked out are remembered ([`Outbox::intend`]).
const MAX_INTENTS: usize = 50;

/// How many finished keys are remembered.
const FINISHED_MEMORY: usize = 500;

impl State {
    /// Drops the jobs queued longer than [`envelope::MAX_AGE_MS`] before `now_ms` (remembered
    /// as finished, so nothing queues them again), and dates those stored undated; the keys
    /// dropped.
    fn expire(&mut self, now_ms: i64) -> Vec<String> {
        let mut gone = Vec::new();
        self.jobs.retain_mut(|job| {
            if job.queued_ms == 0 {
                job.queued_ms = now_ms;
            }
            let old = now_ms.saturating_sub(job.queued_ms) > envelope::MAX_AGE_MS;
            if old {
                gone.push(job.key.clone());
            }
            !old
        });
        // The jobs that could only follow one dropped go with it: those of its call (a call's
        // end after its first job) and those on the ticket it was to create (`ticket_of`).
        // Left, they ran at once and failed on a ticket never made.
        // (A chat's id and a call's are of two kinds: a chat's jobs never follow a call's.)
        let same_call = |a: &str, b: &str| match (JobKey::parse(a), JobKey::parse(b)) {
            (Some(a), Some(b)) => a.call == b.call && a.is_chat() == b.is_chat(),
            _ => a.split('.').next() == b.split('.').next(),
        };
        loop {
            let before = gone.len();
            self.jobs.retain(|job| {
                let follows = gone.iter().any(|g| {
                    job.ticket_of.as_deref() == Some(g.as_str()) || same_call(&job.key, g)
                });
                if follows {
                    gone.push(job.key.clone());
                }
                !follows
            });
            if gone.len() == before {
                break;
            }
        }
        for key in &gone {
            if !self.finished.contains(key) {
                self.remember_finished(key);
            }
        }
        gone
    }

    /// Remembers job `key` as finished (the latest [`FINISHED_MEMORY`] are kept).
    fn remember_finished(&mut self, key: &str) {
        self.finished.push(key.to_owned());
        let excess = self.finished.len().saturating_sub(FINISHED_MEMORY);
        self.finished.drain(..excess);
    }
}

/// The persistent outbox of one agent.
pub struct Outbox<S: Store> {
    store: S,
    /// The agent's outbox key; tabs add `.{tab}`.
    agent_key: String,
    storage_key: String,
    state: RefCell<State>,
    running: Cell<bool>,
    /// Closed at a sign-out ([`Outbox::close`]): no further write is sent.
    closed: Cell<bool>,
    /// Detached once its stored writes are handed on ([`Outbox::detach`]): nothing more is
    /// stored.
    detached: Cell<bool>,
    /// Until when (unix ms) Zendesk's last 429 holds every job, those set aside included.
    rate_limited_until: Cell<i64>,
    /// The jobs Zendesk refuses with 403 share one pause ([`Outbox::note_refusal`]): before this
    /// time (unix ms) none of them is tried again, and then one at a time, the one waiting
    /// longest. A permission withdrawn refuses every call's writes alike: each refused job
    /// tried on its own pause would send one request per call every five minutes, all day,
    /// and a team's adapters together would bring the account's rate limit down on everyone.
    refused_until: Cell<i64>,
    /// Refusals met since access was last given (the shared pause grows with them).
    refusals: Cell<u32>,
    /// True for the rest of a run in which access was given back: every refused job is tried
    /// once in it, a refusal among them pausing only that job (a ticket still refused must not
    /// hold back those given back with it).
    releasing: Cell<bool>,
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
            closed: Cell::new(false),
            rate_limited_until: Cell::new(0),
            refused_until: Cell::new(0),
            refusals: Cell::new(0),
            releasing: Cell::new(false),
            detached: Cell::new(false),
            notices: RefCell::new(Vec::new()),
        };
        if let Some(state) = outbox.read(&outbox.storage_key) {
            *outbox.state.borrow_mut() = state;
            // Jobs dropped as too old go from storage now, not at the next write.
            if !outbox.notices.borrow().is_empty() {
                outbox.persist();
            }
        }
        outbox.sweep_set_aside();
        outbox
    }

    /// Set-aside data (any agent's, in this browser) older than [`envelope::MAX_AGE_MS`] is
    /// removed, and data set aside before it was dated is dated now: kept for support, not for
    /// ever.
    fn sweep_set_aside(&self) {
        let now = envelope::wall_clock_ms();
        let keys = self.store.keys();
        for key in keys
            .iter()
            .filter(|k| k.starts_with(envelope::SET_ASIDE_PREFIX))
        {
            let Some(text) = self.store.get(key) else {
                continue;
            };
            match envelope::judge_set_aside(&text, now) {
                envelope::SetAside::Keep => {}
                envelope::SetAside::Remove => self.store.remove(key),
                envelope::SetAside::Date(dated) => self.store.set(key, &dated),
            }
        }
    }

    /// The state stored under `key`, through its envelope: unreadable data is set aside (kept,
    /// reported once), expired data removed (reported); neither stops the outbox.
    fn read(&self, key: &str) -> Option<State> {
        let text = self.store.get(key);
        match envelope::open::<State>(text.as_deref(), envelope::wall_clock_ms()) {
            Opened::Empty => None,
            Opened::State(mut state) => {
                let gone = state.expire(envelope::wall_clock_ms());
                if !gone.is_empty() {
                    self.notices
                        .borrow_mut()
                        .push(StorageNotice::Expired(gone.len()));
                }
                Some(state)
            }
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
                    let dated = envelope::seal_set_aside(&raw, envelope::wall_clock_ms());
                    self.store.set(&envelope::set_aside_key(key), &dated);
                }
                self.store.remove(key);
                self.notices.borrow_mut().push(StorageNotice::SetAside);
                None
            }
        }
    }

    /// Drops the jobs queued longer than [`envelope::MAX_AGE_MS`] before `now_ms` (see
    /// [`Job::queued_ms`]); the keys dropped. Each run does it first, by the wall clock.
    pub fn expire_jobs(&self, now_ms: i64) -> Vec<String> {
        let gone = self.state.borrow_mut().expire(now_ms);
        if !gone.is_empty() {
            self.persist();
        }
        gone
    }

    /// What opening the stored writes found that the agent should hear about, once.
    pub fn take_notices(&self) -> Vec<StorageNotice> {
        std::mem::take(&mut *self.notices.borrow_mut())
    }

    fn persist(&self) {
        if self.detached.get() {
            return;
        }
        let stored = {
            let state = self.state.borrow();
            State {
                jobs: state.jobs.iter().map(Job::withheld).collect(),
                ..state.clone()
            }
        };
        if let Some(text) = envelope::seal(&stored, envelope::wall_clock_ms()) {
            self.store.set(&self.storage_key, &text);
        }
    }

    /// Takes over the writes other tabs of the same agent left (the tabs `alive` says are gone):
    /// their jobs join this outbox, in their order, after its own; their storage is cleared.
    /// Returns how many jobs were taken over.
    pub fn adopt_orphans(&self, alive: impl Fn(&str) -> bool) -> usize {
        self.adopt_orphan_tabs(alive).jobs
    }

    /// [`Outbox::adopt_orphans`], saying how many tabs were taken over as well as how many
    /// jobs: a tab gone with nothing left to write still leaves its memory of what it wrote (the
    /// first job of a call still going, whose end the taker must log).
    pub fn adopt_orphan_tabs(&self, alive: impl Fn(&str) -> bool) -> Adoption {
        if self.detached.get() {
            // Nothing taken that could no longer be stored.
            return Adoption::default();
        }
        let agent_key = &self.agent_key;
        let mut adopted = Adoption::default();
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
                        adopted.jobs += 1;
                    }
                }
                state.created.extend(theirs.created);
                state.handed.extend(theirs.handed);
                for (key, picked) in theirs.intents {
                    let known = state.jobs.iter().any(|j| j.key == key)
                        || state.finished.contains(&key)
                        || state.intents.iter().any(|(k, _)| *k == key);
                    if !known {
                        state.intents.push((key, picked));
                    }
                }
            }
            self.persist();
            self.store.remove(&key);
            adopted.tabs += 1;
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

    /// Closes the outbox (a sign-out, or a new session in the page): a run under way stops once
    /// the write it is sending has its answer, and no run starts after. What it is told meanwhile
    /// (that answer, a job queued) is still stored, for what is handed on next.
    pub fn close(&self) {
        self.closed.set(true);
    }

    /// Detaches the outbox once what storage holds is handed on (to the platform's journal and
    /// the next sign-in, or to the outbox that follows it): it stores nothing more. A write
    /// still waiting for its answer stays stored as in flight, and the next run makes sure it
    /// is not written twice, as after a reload.
    pub fn detach(&self) {
        self.closed.set(true);
        self.detached.set(true);
    }

    /// Queues a job; a key seen before (queued or finished) is ignored. Returns true if queued.
    pub fn enqueue(&self, key: &str, writes: Vec<Write>) -> bool {
        self.push(key, writes, None, None)
    }

    /// [`Outbox::enqueue`] (on the ticket of `earlier`, when named) for writes that carry the
    /// call recording `recording`: the link is never stored (see [`Job::recording_url`]).
    pub fn enqueue_with_recording(
        &self,
        key: &str,
        writes: Vec<Write>,
        earlier: Option<&str>,
        recording: Option<String>,
    ) -> bool {
        self.push(key, writes, earlier.map(str::to_owned), recording)
    }

    /// Queues a job that writes to the ticket the job `earlier` created (named in `writes` as
    /// `Ref::Existing(TICKET_OF_EARLIER_JOB)`); it runs after that job (see [`Job::depends_on`]).
    pub fn enqueue_on_ticket_of(&self, earlier: &str, key: &str, writes: Vec<Write>) -> bool {
        self.push(key, writes, Some(earlier.to_owned()), None)
    }

    fn push(
        &self,
        key: &str,
        writes: Vec<Write>,
        ticket_of: Option<String>,
        recording_url: Option<String>,
    ) -> bool {
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
                recording_url,
                recording_withheld: false,
                guard: None,
                collisions: 0,
                if_requester_gone: None,
                creation_sent_ms: None,
                denied_told: false,
                refused: false,
                redecided: false,
                queued_ms: envelope::wall_clock_ms(),
            });
            // Queued: no longer only intended.
            state.intents.retain(|(k, _)| k != key);
        }
        self.persist();
        true
    }

    /// Queues a job whose first write creates a ticket for contact `gone.requester`, with what
    /// it writes if Zendesk refuses that requester (see [`RequesterGone`]). Otherwise queued as
    /// [`Outbox::enqueue`] would.
    pub fn enqueue_with_requester(
        &self,
        key: &str,
        writes: Vec<Write>,
        gone: RequesterGone,
    ) -> bool {
        let first_creates_for_it = matches!(
            writes.first(),
            Some(Write::CreateTicket { requester: Ref::Existing(id), .. }) if *id == gone.requester
        );
        self.push_then(key, writes, |job| {
            if first_creates_for_it {
                job.if_requester_gone = Some(gone);
            }
        })
    }

    /// Queues a job whose first write appends to an existing ticket, with its collision check
    /// (see [`Guard`]). A guard that does not name the ticket of the first write is dropped: the
    /// job is queued as [`Outbox::enqueue`] would.
    pub fn enqueue_guarded(&self, key: &str, writes: Vec<Write>, guard: Guard) -> bool {
        let first_is_guarded = matches!(
            writes.first(),
            Some(Write::UpdateTicket { ticket: Ref::Existing(id), .. }) if *id == guard.ticket
        );
        self.push_then(key, writes, |job| {
            if first_is_guarded {
                job.guard = Some(guard);
            }
        })
    }

    /// [`Outbox::enqueue`], then `complete` on the job queued (before it is stored).
    fn push_then(&self, key: &str, writes: Vec<Write>, complete: impl FnOnce(&mut Job)) -> bool {
        if !self.push(key, writes, None, None) {
            return false;
        }
        if let Some(job) = self
            .state
            .borrow_mut()
            .jobs
            .iter_mut()
            .find(|j| j.key == key)
        {
            complete(job);
        }
        self.persist();
        true
    }

    /// True while the job `key` is queued with a collision check, or decided again after one
    /// and not yet written: the ticket it writes to may still change, so a later job of its call
    /// names it by the job, not by the ticket.
    pub fn is_guarded(&self, key: &str) -> bool {
        self.state
            .borrow()
            .jobs
            .iter()
            .any(|j| j.key == key && (j.guard.is_some() || j.redecided))
    }

    /// True while the job `key` is queued: not finished, nor failed for good.
    pub fn is_queued(&self, key: &str) -> bool {
        self.state.borrow().jobs.iter().any(|j| j.key == key)
    }

    /// True when a job `key` is queued or was finished recently.
    pub fn knows(&self, key: &str) -> bool {
        let state = self.state.borrow();
        state.jobs.iter().any(|j| j.key == key) || state.finished.iter().any(|k| k == key)
    }

    /// True when any job of call `call` is queued or was finished recently.
    pub fn knows_call(&self, call: u64) -> bool {
        // A voicemail's jobs carry the id of the call that left it, which is no call of this
        // adapter's; a chat's carry a chat's id.
        let of_call = |key: &str| {
            JobKey::parse(key).is_some_and(|k| {
                k.call == call
                    && !k.is_chat()
                    && !matches!(k.stage, domain::call::Stage::Voicemail(_))
            })
        };
        let state = self.state.borrow();
        state.jobs.iter().any(|j| of_call(&j.key)) || state.finished.iter().any(|k| of_call(k))
    }

    /// Keeps that the first job `key` is being worked out, for the contact `picked` (if the
    /// agent picked one), until it is queued or [`Outbox::forget_intent`]: a page that comes
    /// back after a reload finds it ([`Outbox::intended`]) and works it out again. Nothing is
    /// kept for a job already queued or finished.
    pub fn intend(&self, key: &str, picked: Option<u64>) {
        {
            let mut state = self.state.borrow_mut();
            let known =
                state.jobs.iter().any(|j| j.key == key) || state.finished.iter().any(|k| k == key);
            if known {
                return;
            }
            state.intents.retain(|(k, _)| k != key);
            state.intents.push((key.to_owned(), picked));
            // Bounded: the oldest go first (a call that never came back).
            let over = state.intents.len().saturating_sub(MAX_INTENTS);
            state.intents.drain(..over);
        }
        self.persist();
    }

    /// The first job `key` is being worked out and not queued: `Some(picked)`.
    pub fn intended(&self, key: &str) -> Option<Option<u64>> {
        self.state
            .borrow()
            .intents
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, picked)| *picked)
    }

    /// The keys of the jobs intended and not queued ([`Outbox::intend`]).
    pub fn intended_keys(&self) -> Vec<String> {
        self.state
            .borrow()
            .intents
            .iter()
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The first job `key` is no longer to be worked out (it failed for good, or there is
    /// nothing to log).
    pub fn forget_intent(&self, key: &str) {
        let had = {
            let mut state = self.state.borrow_mut();
            let before = state.intents.len();
            state.intents.retain(|(k, _)| k != key);
            state.intents.len() != before
        };
        if had {
            self.persist();
        }
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
}
