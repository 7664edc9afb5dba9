//! The sandbox's state: one [`World`] behind a mutex, shared by every route through [`App`].
//!
//! The world holds the emulated Zendesk account (users, tickets, fields, calls, jobs), the
//! platform (agents, sessions, settings, calls) and the test instruments (request log, faults,
//! rate budget). Resetting replaces it with a fresh one built from a fixture; the CRM write
//! queue lives beside it ([`crate::queue`]) because it must survive resets of nothing but its
//! own store.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::{broadcast, Notify};

use crate::model::{
    now_ms, Admin, Agent, Chat, Fixture, IvrQueue, OutboundNumber, PlatformCall, Ticket,
    TicketField, User, Voicemail,
};
use crate::queue::Queue;
use domain::settings::{Settings, Team};

/// Zendesk's default budget for an Enterprise account, requests per minute.
pub const DEFAULT_RATE_LIMIT: u32 = 700;

/// How many chats an agent has offered and active at once unless told otherwise.
pub const DEFAULT_CHAT_LIMIT: usize = 3;

/// The first chat id of a world.
pub const FIRST_CHAT_ID: u64 = 700_001;

/// One Zendesk API request as received, for `GET /_sandbox/requests`.
#[derive(Clone, Debug, Serialize)]
pub struct LoggedRequest {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// Unix ms, when it was answered (after any injected latency).
    pub at_ms: i64,
    /// Unix ms, when it arrived (before any injected latency).
    pub received_ms: i64,
    /// `GET`, `POST`, …
    pub method: String,
    /// Path with query string.
    pub path: String,
    /// JSON body, if any.
    pub body: Value,
    /// Status returned.
    pub status: u16,
    /// `app` (through the workspace's `request()` proxy or any HTTP client) or `platform` (the
    /// platform's own writes with the API token).
    pub source: String,
    /// The `Idempotency-Key` header, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// A ticket creation made with an `Idempotency-Key`, remembered to answer its replays.
#[derive(Clone, Debug)]
pub struct IdempotentCreation {
    /// The ticket it created.
    pub ticket_id: u64,
    /// The route it went to (`tickets`, `channels/voice/tickets`).
    pub route: &'static str,
    /// The request body, which a replay must repeat.
    pub body: Value,
}

/// A fault injected on every path starting with `path_prefix`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fault {
    /// e.g. `/api/v2/tickets/update_many`.
    pub path_prefix: String,
    /// Only requests of this method (`GET`, `POST`…; any when absent): a fault can single out
    /// the read of a path whose writes go under it (`GET /platform/chats`, not
    /// `POST /platform/chats/{id}/decline`).
    #[serde(default)]
    pub method: Option<String>,
    /// Added before answering.
    #[serde(default)]
    pub latency_ms: u64,
    /// Added after the request is applied (and, on the Zendesk API, logged), before its answer
    /// leaves: a write lands at once and its answer is slow, so a page can go before it comes,
    /// and a read's answer is older than what the event stream says meanwhile.
    #[serde(default)]
    pub answer_latency_ms: u64,
    /// Status to answer with instead (None = only latency).
    #[serde(default)]
    pub status: Option<u16>,
    /// Share of matching requests that get `status`, 0–1 (default 1).
    #[serde(default = "one")]
    pub rate: f64,
    /// `Retry-After` seconds sent with `status`.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// Stop after this many injected statuses (None = forever).
    #[serde(default)]
    pub count: Option<u64>,
}

fn one() -> f64 {
    1.0
}

/// What a fault does to one request.
#[derive(Clone, Debug, Default)]
pub struct FaultAction {
    /// Sleep first.
    pub latency_ms: u64,
    /// Sleep after applying, before answering.
    pub answer_latency_ms: u64,
    /// Then answer with this status and `Retry-After`, instead of the real answer.
    pub status: Option<(u16, Option<u64>)>,
}

/// A fixed one-minute window counter, as Zendesk's account budget.
#[derive(Clone, Debug)]
pub struct RateBudget {
    /// Requests per minute.
    pub limit: u32,
    window_start_ms: i64,
    used: u32,
}

/// The outcome of charging one request to the budget.
pub enum Charge {
    /// Allowed; this many remain in the window.
    Ok { remaining: u32 },
    /// Over budget; retry after this many seconds.
    Limited { retry_after_s: u64 },
}

impl RateBudget {
    /// A full budget of `limit` requests a minute.
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            window_start_ms: now_ms(),
            used: 0,
        }
    }

    /// Counts one request at `now`.
    pub fn charge(&mut self, now: i64) -> Charge {
        if now - self.window_start_ms >= 60_000 {
            self.window_start_ms = now;
            self.used = 0;
        }
        if self.used >= self.limit {
            let left_ms = 60_000 - (now - self.window_start_ms);
            return Charge::Limited {
                retry_after_s: u64::try_from((left_ms + 999) / 1_000).unwrap_or(1).max(1),
            };
        }
        self.used += 1;
        Charge::Ok {
            remaining: self.limit - self.used,
        }
    }
}

/// A bulk job (`/job_statuses/{id}`): `queued`, then `working`, then applied and `completed`.
#[derive(Clone, Debug)]
pub struct Job {
    /// The `job_status` object as it stands.
    pub status: Value,
    /// Polls answered so far.
    pub polls: u32,
    /// The updates still to apply: (ticket id, patch), with the acting user.
    pub pending: Vec<(u64, Value)>,
    /// Who queued it.
    pub actor: Option<u64>,
    /// When it starts `working` and when it is applied and `completed` (unix ms).
    pub working_at_ms: i64,
    /// When it is applied and `completed` (unix ms).
    pub done_at_ms: i64,
}

/// A screen pop requested through the Talk Partner Edition display endpoints.
#[derive(Clone, Debug, Serialize)]
pub struct Display {
    /// Order, from 1.
    pub seq: u64,
    /// Zendesk agent user id.
    pub agent_id: u64,
    /// `ticket` or `user`.
    pub kind: String,
    /// Record id.
    pub id: u64,
}

/// Everything the sandbox emulates.
pub struct World {
    /// The fixture it was built from.
    pub fixture_name: String,
    /// Users by id.
    pub users: BTreeMap<u64, User>,
    /// Tickets by id.
    pub tickets: BTreeMap<u64, Ticket>,
    /// Custom ticket fields.
    pub ticket_fields: Vec<TicketField>,
    /// TPE calls (`/api/v2/calls`) by id.
    pub zd_calls: BTreeMap<u64, Value>,
    /// Bulk jobs by id.
    pub jobs: HashMap<String, Job>,
    /// Screen pops.
    pub displays: Vec<Display>,
    /// Ticket creations by `Idempotency-Key` (emptied by a reset, which builds a new world).
    pub idempotency: HashMap<String, IdempotentCreation>,
    /// Platform agents.
    pub agents: Vec<Agent>,
    /// Platform teams.
    pub teams: Vec<Team>,
    /// Platform settings.
    pub settings: Settings,
    /// How many times the platform has answered `GET /settings` (any agent): a test sees when an
    /// adapter has read settings saved meanwhile.
    pub settings_reads: u64,
    /// The Zendesk API token and its user's email, as Developer Settings saved them: the token
    /// never leaves the platform (`settings.developer.api_token_configured` says whether one is
    /// saved).
    pub api_credentials: ApiCredentials,
    /// Platform administrators (the portal's accounts).
    pub admins: Vec<Admin>,
    /// IVR queues (Settings > Queue, TEAM-13, TEAM-14).
    pub queues: Vec<IvrQueue>,
    /// Languages offered.
    pub languages: Vec<String>,
    /// Outbound numbers.
    pub numbers: Vec<OutboundNumber>,
    /// Bearer token → agent id.
    pub sessions: HashMap<String, u64>,
    /// Resume credential → what it may resume (single use, short-lived; see `platform`).
    pub resumes: HashMap<String, ResumeGrant>,
    /// Platform calls by id.
    pub calls: BTreeMap<u64, PlatformCall>,
    /// Voicemails by the id of the call that left them (`/platform/voicemails`).
    pub voicemails: BTreeMap<u64, Voicemail>,
    /// Customer chats by id (`/platform/chats`), in the order they were started.
    pub chats: BTreeMap<u64, Chat>,
    /// How many chats an agent has offered and active at once (`PUT /_sandbox/chat_limit`).
    pub chat_limit: usize,
    /// Customer answers outbound calls after this long.
    pub auto_answer_ms: Option<u64>,
    /// Zendesk API requests received.
    pub requests: Vec<LoggedRequest>,
    /// Injected faults.
    pub faults: Vec<Fault>,
    /// Account request budget.
    pub budget: RateBudget,
    /// How Zendesk's timing is modelled (search index lag, bulk job delays); kept by resets.
    pub timing: Timing,
    /// When each user or ticket created through the API becomes searchable (unix ms); records
    /// not listed are searchable.
    pub indexed_at_ms: HashMap<u64, i64>,
    /// Users deleted within the index lag, with when the index lets them go (unix ms): until
    /// then the searches still find them, soft-deleted (`active: false`), as they were.
    pub unindexed_users: Vec<(crate::model::User, i64)>,
    /// The end users the platform's rules created, by number: the platform's own record, read
    /// besides the search (which lags).
    pub platform_contacts: Vec<(String, u64)>,
    /// Each agent's journal (`crate::journal`): what a frame without browser storage keeps.
    pub journals: HashMap<u64, BTreeMap<String, String>>,
    /// Per agent, each tab's highest request landed in its journal (`from` of `POST
    /// /agent/journal`), with when it landed (a count, to forget the longest idle first): a
    /// tab's request older than one already landed changes nothing.
    pub journal_tabs: HashMap<u64, BTreeMap<String, (u64, u64)>>,
    /// Requests landed in any journal with a `from` (the clock of `journal_tabs`).
    pub journal_landed: u64,
    next_id: u64,
    last_event_id: u64,
    last_chat_id: u64,
    /// The last chat message id handed out: kept by resets, so that message ids never repeat.
    last_message_id: u64,
    rng: u64,
}

impl World {
    /// A world built from `fixture`, with a budget of `rate_limit` requests a minute.
    pub fn new(fixture: Fixture, rate_limit: u32) -> Self {
        let max_id = fixture
            .users
            .iter()
            .map(|u| u.id)
            .chain(fixture.tickets.iter().map(|t| t.id))
            .chain(fixture.ticket_fields.iter().map(|f| f.id))
            .chain(
                fixture
                    .users
                    .iter()
                    .flat_map(|u| u.identities.iter().map(|i| i.id)),
            )
            .max()
            .unwrap_or(crate::fixtures::FIRST_ID);
        let queues = if fixture.queues.is_empty() {
            let team_ids: Vec<u64> = fixture.teams.iter().map(|t| t.id).collect();
            IvrQueue::from_numbers(&fixture.numbers, &team_ids)
        } else {
            fixture.queues
        };
        let api_credentials = ApiCredentials::for_fixture(&fixture.settings, &fixture.agents);
        Self {
            fixture_name: fixture.name,
            users: fixture.users.into_iter().map(|u| (u.id, u)).collect(),
            tickets: fixture.tickets.into_iter().map(|t| (t.id, t)).collect(),
            ticket_fields: fixture.ticket_fields,
            zd_calls: BTreeMap::new(),
            jobs: HashMap::new(),
            displays: Vec::new(),
            idempotency: HashMap::new(),
            agents: fixture.agents,
            teams: fixture.teams,
            settings: fixture.settings,
            settings_reads: 0,
            api_credentials,
            admins: fixture.admins,
            queues,
            languages: fixture.languages,
            numbers: fixture.numbers,
            sessions: HashMap::new(),
            resumes: HashMap::new(),
            calls: BTreeMap::new(),
            voicemails: BTreeMap::new(),
            chats: BTreeMap::new(),
            chat_limit: DEFAULT_CHAT_LIMIT,
            auto_answer_ms: fixture.auto_answer_ms,
            requests: Vec::new(),
            faults: Vec::new(),
            budget: RateBudget::new(rate_limit),
            timing: Timing::default(),
            indexed_at_ms: HashMap::new(),
            unindexed_users: Vec::new(),
            platform_contacts: Vec::new(),
            journals: HashMap::new(),
            journal_tabs: HashMap::new(),
            journal_landed: 0,
            next_id: max_id.max(crate::fixtures::FIRST_ID) + 1_000,
            last_event_id: 0,
            last_chat_id: FIRST_CHAT_ID - 1,
            last_message_id: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// A fresh id for any record.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A fresh id for a platform event that carries one (session events, transfers): 1, 2, 3…
    pub fn next_event_id(&mut self) -> u64 {
        self.last_event_id += 1;
        self.last_event_id
    }

    /// A fresh chat id: 700001, 700002… (never a call's id).
    pub fn next_chat_id(&mut self) -> u64 {
        self.last_chat_id += 1;
        self.last_chat_id
    }

    /// A fresh chat message id, greater than every one handed out before (resets included).
    pub fn next_message_id(&mut self) -> u64 {
        self.last_message_id += 1;
        self.last_message_id
    }

    /// How many agents have a session (are signed in to an adapter), each counted once.
    pub fn agents_signed_in(&self) -> usize {
        let mut ids: Vec<u64> = self.sessions.values().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }

    /// Saves `settings`, keeping the saved API token in step with `api_token_configured` when
    /// the settings are set as values (the control API): switched on without a token saved, the
    /// account's token is saved; switched off, the token is forgotten.
    pub fn set_settings(&mut self, settings: Settings) {
        if !settings.developer.api_token_configured {
            self.api_credentials.token = None;
        } else if self.api_credentials.token.is_none() {
            self.api_credentials.token = Some(crate::zendesk::API_TOKEN.to_owned());
        }
        self.settings = settings;
    }

    /// Whether platform agent `agent_id` has a session (is signed in to an adapter).
    pub fn signed_in(&self, agent_id: u64) -> bool {
        self.sessions.values().any(|a| *a == agent_id)
    }

    /// A pseudo-random number in [0, 1) (xorshift; reproducible per reset).
    pub fn random(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The latency of the faults that name `path` itself or a path under it (not those of a
    /// shorter prefix that also covers it); counts and draws nothing.
    pub fn latency_named(&self, path: &str) -> u64 {
        self.faults
            .iter()
            .filter(|f| f.path_prefix.starts_with(path))
            .map(|f| f.latency_ms)
            .sum()
    }

    /// What the faults do to a `method` request on `path`; counts the injected ones.
    pub fn fault_for(&mut self, method: &str, path: &str) -> FaultAction {
        let mut action = FaultAction::default();
        for i in 0..self.faults.len() {
            if !path.starts_with(&self.faults[i].path_prefix)
                || self.faults[i]
                    .method
                    .as_ref()
                    .is_some_and(|m| !m.eq_ignore_ascii_case(method))
            {
                continue;
            }
            if self.faults[i].status.is_none() {
                // A latency alone, `count` times at most when a count is given.
                if self.faults[i].count == Some(0) {
                    continue;
                }
                if let Some(c) = self.faults[i].count.as_mut() {
                    *c -= 1;
                }
            }
            action.latency_ms += self.faults[i].latency_ms;
            action.answer_latency_ms += self.faults[i].answer_latency_ms;
            let Some(status) = self.faults[i].status else {
                continue;
            };
            if action.status.is_some() || self.faults[i].count == Some(0) {
                continue;
            }
            if self.random() < self.faults[i].rate {
                action.status = Some((status, self.faults[i].retry_after));
                if let Some(c) = self.faults[i].count.as_mut() {
                    *c -= 1;
                }
            }
        }
        action
    }

    /// Ends every session of `agent` (or of all agents) and revokes their resume credentials:
    /// their next request is a 401, as when a platform session expires mid-shift.
    pub fn end_sessions(&mut self, agent: Option<u64>) -> usize {
        let before = self.sessions.len();
        self.sessions
            .retain(|_, a| agent.is_some_and(|id| *a != id));
        self.resumes
            .retain(|_, g| agent.is_some_and(|id| g.agent_id != id));
        before - self.sessions.len()
    }

    /// Records that user or ticket `id` was just created: searchable after the index lag.
    pub fn index_later(&mut self, id: u64) {
        if self.timing.search_lag_ms > 0 {
            let at = crate::model::now_ms() + i64::try_from(self.timing.search_lag_ms).unwrap_or(0);
            self.indexed_at_ms.insert(id, at);
        }
    }

    /// Records that `user` was just deleted: the search index, if it had them, holds them for
    /// the index lag (a user created and deleted within the lag was never found).
    pub fn unindex_later(&mut self, user: crate::model::User) {
        let now = crate::model::now_ms();
        self.unindexed_users.retain(|(_, until)| *until > now);
        if self.timing.search_lag_ms > 0 && self.searchable(user.id) {
            let until = now + i64::try_from(self.timing.search_lag_ms).unwrap_or(0);
            self.unindexed_users.push((user, until));
        }
    }

    /// The deleted users the search index still holds.
    pub fn stale_users(&self) -> impl Iterator<Item = &crate::model::User> {
        let now = crate::model::now_ms();
        self.unindexed_users
            .iter()
            .filter(move |(_, until)| *until > now)
            .map(|(u, _)| u)
    }

    /// Whether user or ticket `id` is in the search index yet.
    pub fn searchable(&self, id: u64) -> bool {
        self.indexed_at_ms
            .get(&id)
            .is_none_or(|at| *at <= crate::model::now_ms())
    }

    /// Every chat, oldest first, as the control API lists them: the chat (ChatInfo) with the
    /// agent's typing state (`agent_typing`) and the customer's last rating (`rating`).
    pub fn chats_for_control(&self) -> Vec<Value> {
        let now = now_ms();
        self.chats
            .values()
            .map(|c| {
                let mut j = c.to_json(now);
                j["agent_typing"] = json!(c.agent_typing);
                j["rating"] = json!(c.rating);
                j
            })
            .collect()
    }

    /// The platform agent signed in with `token`.
    pub fn agent_for_token(&self, token: &str) -> Option<&Agent> {
        let id = self.sessions.get(token)?;
        self.agents.iter().find(|a| a.id == *id)
    }

    /// The agent's team.
    pub fn team_of(&self, agent: &Agent) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == agent.team_id)
    }

    /// `GET /_sandbox/state`: users, tickets with their comments and changes, fields, calls (with what the
    /// platform wrote for their session events, `platform_events`), voicemails, chats (as
    /// [`World::chats_for_control`] lists them), agents (`signed_in`), teams, IVR queues.
    pub fn dump(&self, base: &str) -> Value {
        json!({
            "fixture": self.fixture_name,
            "users": self.users.values().map(|u| {
                let mut j = u.to_json(base);
                j["identities"] = json!(u.identities);
                j
            }).collect::<Vec<_>>(),
            "tickets": self.tickets.values().map(|t| {
                let mut j = t.to_json(base);
                j["comments"] = t.comments.iter().map(|c| c.to_json()).collect();
                j["merged_into"] = json!(t.merged_into);
                // Who changed which field, update by update (comments are above): what a test
                // that finds a field wrong prints to name the write at fault.
                j["changes"] = t.audits.iter().map(|a| json!({
                    "author_id": a.author_id,
                    "custom": a.custom,
                    "fields": a.events.iter()
                        .filter(|e| e["type"] != "Comment")
                        .map(|e| json!([e["field_name"], e["value"]]))
                        .collect::<Vec<_>>(),
                })).collect();
                j
            }).collect::<Vec<_>>(),
            "ticket_fields": self.ticket_fields.iter().enumerate().map(|(i, f)| f.to_json(base, i)).collect::<Vec<_>>(),
            "zendesk_calls": self.zd_calls.values().collect::<Vec<_>>(),
            "platform_calls": self.calls.values().map(|c| {
                let mut j = c.to_json();
                j["platform_events"] = json!(c.platform_events);
                j["reported_tickets"] = json!(c.reported_tickets);
                j
            }).collect::<Vec<_>>(),
            "voicemails": self.voicemails.values().map(Voicemail::to_json).collect::<Vec<_>>(),
            "chats": self.chats_for_control(),
            "displays": self.displays,
            "settings": self.settings,
            "agents": self.agents.iter().map(|a| json!({"id": a.id, "name": a.name, "email": a.email, "team_id": a.team_id, "zendesk_user_id": a.zendesk_user_id, "signed_in": self.signed_in(a.id)})).collect::<Vec<_>>(),
            "teams": self.teams,
            "queues": self.queues,
        })
    }
}

/// The Zendesk API token Developer Settings saved, and the email of the user it acts as.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiCredentials {
    /// The API user's email.
    pub email: String,
    /// The token; None = no token saved.
    pub token: Option<String>,
}

impl ApiCredentials {
    /// What a fixture's settings imply: with `api_token_configured`, the account's token
    /// ([`crate::zendesk::API_TOKEN`]) acting as the first agent.
    pub fn for_fixture(settings: &Settings, agents: &[Agent]) -> Self {
        Self {
            email: agents.first().map(|a| a.email.clone()).unwrap_or_default(),
            token: settings
                .developer
                .api_token_configured
                .then(|| crate::zendesk::API_TOKEN.to_owned()),
        }
    }
}

/// A platform event for the agent WebSocket: `agent_id` None = every agent.
#[derive(Clone, Debug)]
pub struct AgentEvent {
    /// Platform agent id, or every agent.
    pub agent_id: Option<u64>,
    /// The event object (`type` + data).
    pub event: Value,
}

/// How Zendesk's and the platform's timing is modelled (`PUT /_sandbox/timing`,
/// `--search-lag-ms`, `--job-delay-ms`, `--stream-ready-ms`). All 0 here; the binary routes a new
/// event stream after [`DEFAULT_STREAM_READY_MS`] unless told otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// How long a new user or ticket takes to be found by search (Zendesk: seconds to minutes).
    #[serde(default)]
    pub search_lag_ms: u64,
    /// How long a bulk job stays `queued`, then `working`, before it is applied and `completed`
    /// (each phase lasts this long).
    #[serde(default)]
    pub job_delay_ms: u64,
    /// How long the platform takes to route the agent's events to a new event stream after it
    /// authenticates (events sent meanwhile do not reach it). A fault's latency on
    /// `STREAM_READY_PATH` adds to it.
    #[serde(default)]
    pub stream_ready_ms: u64,
}

/// The binary's [`Timing::stream_ready_ms`]: a platform is never instant at routing a new
/// socket. (The e2e suite passes its own, 0 unless `SANDBOX_STREAM_READY_MS` says otherwise:
/// README, "the event stream".)
pub const DEFAULT_STREAM_READY_MS: u64 = 150;

/// Start-up options.
#[derive(Clone, Debug)]
pub struct Config {
    /// Fixture name or JSON path.
    pub fixture: String,
    /// Built adapter (trunk's `dist`), served under `/app/`.
    pub app_dir: PathBuf,
    /// Requests a minute.
    pub rate_limit: u32,
    /// Where the CRM write queue persists itself (None = memory only).
    pub queue_file: Option<PathBuf>,
    /// The bundled ZAF SDK served at `/vendor/zaf_sdk.js`.
    pub zaf_sdk: PathBuf,
    /// The port, for URLs in answers.
    pub port: u16,
    /// Zendesk's timing at start-up.
    pub timing: Timing,
}

/// Shared handle to the sandbox, cloned into every handler.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    world: Mutex<World>,
    zendesk_sessions: Mutex<HashMap<String, u64>>,
    portal_sessions: Mutex<HashMap<String, String>>,
    queue: Mutex<Queue>,
    queue_wake: Notify,
    events: broadcast::Sender<AgentEvent>,
    config: Config,
    /// How many times the world was reset ([`App::generation`]).
    generation: AtomicU64,
}

impl App {
    /// A sandbox loaded from the configured fixture.
    pub fn new(config: Config) -> Result<Self, String> {
        let fixture = crate::fixtures::load(&config.fixture)?;
        let queue = Queue::open(config.queue_file.clone(), &fixture.settings)?;
        let (events, _) = broadcast::channel(1_024);
        Ok(Self {
            inner: Arc::new(Inner {
                world: Mutex::new({
                    let mut w = World::new(fixture, config.rate_limit);
                    w.timing = config.timing;
                    w
                }),
                zendesk_sessions: Mutex::new(HashMap::new()),
                portal_sessions: Mutex::new(HashMap::new()),
                queue: Mutex::new(queue),
                queue_wake: Notify::new(),
                events,
                config,
                generation: AtomicU64::new(0),
            }),
        })
    }

    /// The world, locked. Never hold it across an `.await`.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.inner
            .world
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Opens a Zendesk agent session for user `user_id` (the workspace's signed-in agent); the
    /// token its cookie carries. Sessions outlive resets (user ids are the fixture's).
    pub fn open_zendesk_session(&self, user_id: u64) -> String {
        let token = crate::platform::token();
        self.inner
            .zendesk_sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(token.clone(), user_id);
        token
    }

    /// The user a Zendesk session cookie belongs to.
    pub fn zendesk_session_user(&self, token: &str) -> Option<u64> {
        self.inner
            .zendesk_sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(token)
            .copied()
    }

    /// Opens a portal session for administrator `email`; the token its cookie carries. Sessions
    /// outlive resets; each request checks that the email is still an administrator's.
    pub fn open_portal_session(&self, email: &str) -> String {
        let token = crate::platform::token();
        self.portal_sessions()
            .insert(token.clone(), email.to_owned());
        token
    }

    /// The administrator's email a portal session cookie belongs to.
    pub fn portal_session_email(&self, token: &str) -> Option<String> {
        self.portal_sessions().get(token).cloned()
    }

    /// Ends a portal session.
    pub fn end_portal_session(&self, token: &str) {
        self.portal_sessions().remove(token);
    }

    fn portal_sessions(&self) -> MutexGuard<'_, HashMap<String, String>> {
        self.inner
            .portal_sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The CRM write queue, locked. Never hold it across an `.await`.
    pub fn queue(&self) -> MutexGuard<'_, Queue> {
        self.inner
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Wakes the CRM queue worker (new ops, new settings).
    pub fn wake_queue(&self) {
        self.inner.queue_wake.notify_one();
    }

    /// Waits until [`App::wake_queue`] is called.
    pub async fn queue_woken(&self) {
        self.inner.queue_wake.notified().await;
    }

    /// Saves the platform settings (the world's, and the CRM queue's batching); true when they
    /// differ from those saved before. Agents learn of it from [`App::announce_settings`].
    pub fn save_settings(&self, settings: Settings) -> bool {
        let changed = {
            let mut w = self.world();
            let changed = w.settings != settings;
            w.set_settings(settings.clone());
            changed
        };
        self.queue().configure(&settings);
        self.wake_queue();
        changed
    }

    /// Tells every signed-in agent that an administrator saved the settings
    /// (`{"type":"settings.changed"}`): their adapters read them again (SET-16).
    pub fn announce_settings(&self) {
        self.emit(None, json!({"type": "settings.changed"}));
    }

    /// Sends an event to agent WebSockets.
    pub fn emit(&self, agent_id: Option<u64>, event: Value) {
        let _ = self.inner.events.send(AgentEvent { agent_id, event });
    }

    /// Receives agent events.
    pub fn subscribe(&self) -> broadcast::Receiver<AgentEvent> {
        self.inner.events.subscribe()
    }

    /// Start-up options.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The base URL Zendesk-shaped `url` keys use.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.inner.config.port)
    }

    /// Which world this is: it changes at each [`App::reset`]. What was under way in the world
    /// before (a request waiting out an injected latency, a scheduled answer or hang-up, a
    /// batch the queue was sending) checks it before it acts, and acts on nothing in a world it
    /// was not started in: a test's leftovers never write into the next test's fresh world,
    /// whose ids (calls, tickets, events) start again from the same numbers.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::SeqCst)
    }

    /// Replaces the world with `fixture`'s and empties the CRM queue.
    pub fn reset(&self, fixture: &str) -> Result<(), String> {
        let f = crate::fixtures::load(fixture)?;
        let (limit, timing, last_message_id) = {
            let w = self.world();
            (w.budget.limit, w.timing, w.last_message_id)
        };
        let mut queue = self.queue();
        queue.reset(&f.settings)?;
        let mut world = World::new(f, limit);
        world.timing = timing;
        world.last_message_id = last_message_id;
        {
            let mut w = self.world();
            *w = world;
            // Under the world's lock and the queue's (taken in that order, nowhere the other
            // way): a request, a timer or the queue's worker that acts after this sees it.
            self.inner.generation.fetch_add(1, Ordering::SeqCst);
        }
        drop(queue);
        self.wake_queue();
        Ok(())
    }
}

/// A resume credential the platform handed out: whose, for which session, until when.
#[derive(Clone, Debug)]
pub struct ResumeGrant {
    /// The agent it signs in.
    pub agent_id: u64,
    /// The session token it was issued with (ended when the credential is used).
    pub session: String,
    /// Unix ms after which it is refused.
    pub expires_ms: i64,
}
