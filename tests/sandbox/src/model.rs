//! The emulated Zendesk account's records and the platform's records, and how each renders as
//! JSON in the shapes of `reference/zendesk.md` §4-5 and DESIGN.md §5.2.
//!
//! Records are plain structs held in [`crate::state::World`]; rendering is separate so that a
//! fixture can be written without the dozens of keys Zendesk returns.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use domain::settings::{Settings, Team};

/// The Zendesk subdomain the sandbox pretends to be.
pub const SUBDOMAIN: &str = "sandbox";

/// Seconds since the Unix epoch, now.
pub fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A Unix time as Zendesk's ISO-8601 UTC form, `2024-05-01T10:00:00Z`.
pub fn iso(t: i64) -> String {
    domain::time::iso8601(t)
}

/// The digits of a phone number, for matching (`+1 (555) 010-0001` → `15550100001`).
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A Zendesk user identity (`/users/{id}/identities`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Identity {
    /// Identity id.
    pub id: u64,
    /// `phone_number`, `email`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The number or address.
    pub value: String,
    /// Primary identity of its type.
    #[serde(default)]
    pub primary: bool,
}

/// A Zendesk user: an end user (contact) or an agent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    /// User id.
    pub id: u64,
    /// Full name.
    pub name: String,
    /// Primary email.
    #[serde(default)]
    pub email: Option<String>,
    /// Primary phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// `end-user`, `agent` or `admin`.
    #[serde(default = "end_user")]
    pub role: String,
    /// External id.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Other identities (phone numbers beyond `phone`).
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// `shared_phone_number`.
    #[serde(default)]
    pub shared_phone_number: bool,
    /// Locale, e.g. `en-US`.
    #[serde(default = "en_us")]
    pub locale: String,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: i64,
    /// Unix seconds.
    #[serde(default)]
    pub updated_at: i64,
}

fn end_user() -> String {
    "end-user".into()
}

fn en_us() -> String {
    "en-US".into()
}

impl User {
    /// Every phone number of the user: `phone` first, then phone identities.
    pub fn phones(&self) -> Vec<String> {
        let mut out: Vec<String> = self.phone.iter().cloned().collect();
        for i in &self.identities {
            if i.kind == "phone_number" && !out.contains(&i.value) {
                out.push(i.value.clone());
            }
        }
        out
    }

    /// The user in Zendesk's shape (`reference/zendesk.md` §5.1).
    pub fn to_json(&self, base: &str) -> Value {
        json!({
            "id": self.id,
            "url": format!("{base}/api/v2/users/{}.json", self.id),
            "name": self.name,
            "email": self.email,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "time_zone": "UTC",
            "iana_time_zone": "Etc/UTC",
            "phone": self.phone,
            "shared_phone_number": self.shared_phone_number,
            "photo": null,
            "locale_id": 1,
            "locale": self.locale,
            "organization_id": null,
            "role": self.role,
            "verified": true,
            "external_id": self.external_id,
            "tags": self.tags,
            "alias": null,
            "active": true,
            "shared": false,
            "shared_agent": false,
            "last_login_at": null,
            "two_factor_auth_enabled": false,
            "signature": null,
            "details": "",
            "notes": "",
            "role_type": null,
            "custom_role_id": null,
            "moderator": self.role != "end-user",
            "ticket_restriction": if self.role == "end-user" { json!("requested") } else { Value::Null },
            "only_private_comments": false,
            "restricted_agent": false,
            "suspended": false,
            "default_group_id": null,
            "report_csv": false,
            "user_fields": {},
        })
    }
}

/// One comment on a ticket (also voice comments).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Comment {
    /// Comment id.
    pub id: u64,
    /// `Comment`, `VoiceComment` or `TpeVoiceComment`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Text.
    pub body: String,
    /// Public (false = internal note).
    pub public: bool,
    /// Author.
    pub author_id: u64,
    /// The audit that added it.
    pub audit_id: u64,
    /// Voice data (`voice_comment` keys), if any.
    #[serde(default)]
    pub data: Option<Value>,
    /// Unix seconds.
    pub created_at: i64,
}

impl Comment {
    /// The comment in Zendesk's shape.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "type": self.kind,
            "author_id": self.author_id,
            "body": self.body,
            "html_body": format!("<div class=\"zd-comment\"><p>{}</p></div>", html_escape(&self.body)),
            "plain_body": self.body,
            "public": self.public,
            "attachments": [],
            "audit_id": self.audit_id,
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": null}},
            "created_at": iso(self.created_at),
            "metadata": {"system": {}, "custom": {}},
            "data": self.data,
        })
    }
}

/// Escapes text for an HTML body.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One audit: a change set with its metadata (the CRM queue finds its keys here).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Audit {
    /// Audit id.
    pub id: u64,
    /// Ticket.
    pub ticket_id: u64,
    /// Author.
    pub author_id: u64,
    /// `metadata.custom` sent with the update.
    pub custom: Value,
    /// The events (`Create`, `Change`, `Comment`).
    pub events: Vec<Value>,
    /// Unix seconds.
    pub created_at: i64,
}

impl Audit {
    /// The audit in Zendesk's shape.
    pub fn to_json(&self, via: &Value) -> Value {
        json!({
            "id": self.id,
            "ticket_id": self.ticket_id,
            "created_at": iso(self.created_at),
            "author_id": self.author_id,
            "metadata": {
                "system": {"client": "sandbox", "ip_address": "127.0.0.1", "location": "Localhost"},
                "custom": self.custom,
            },
            "events": self.events,
            "via": via,
        })
    }
}

/// A Zendesk ticket.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ticket {
    /// Ticket id.
    pub id: u64,
    /// Subject.
    pub subject: String,
    /// First comment's text.
    #[serde(default)]
    pub description: String,
    /// `new`, `open`, `pending`, `hold`, `solved`, `closed`.
    pub status: String,
    /// Requester.
    pub requester_id: u64,
    /// Submitter.
    #[serde(default)]
    pub submitter_id: Option<u64>,
    /// Assignee.
    #[serde(default)]
    pub assignee_id: Option<u64>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom field values `{id, value}`.
    #[serde(default)]
    pub custom_fields: Vec<Value>,
    /// `via_id` (0 = web, 4 = API here; 44/45/46 voice).
    #[serde(default = "api_via")]
    pub via_id: u32,
    /// Comments, oldest first.
    #[serde(default)]
    pub comments: Vec<Comment>,
    /// Audits, oldest first.
    #[serde(default)]
    pub audits: Vec<Audit>,
    /// Set when merged into another ticket.
    #[serde(default)]
    pub merged_into: Option<u64>,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: i64,
    /// Unix seconds.
    #[serde(default)]
    pub updated_at: i64,
}

fn api_via() -> u32 {
    4
}

/// The `via` object for a `via_id`.
pub fn via_json(via_id: u32) -> Value {
    match via_id {
        44 => json!({"channel": "voice", "source": {"from": {}, "to": {}, "rel": "voicemail"}}),
        45 => json!({"channel": "voice", "source": {"from": {}, "to": {}, "rel": "inbound"}}),
        46 => json!({"channel": "voice", "source": {"from": {}, "to": {}, "rel": "outbound"}}),
        0 => json!({"channel": "web", "source": {"from": {}, "to": {}, "rel": null}}),
        _ => json!({"channel": "api", "source": {"from": {}, "to": {}, "rel": null}}),
    }
}

impl Ticket {
    /// The ticket in Zendesk's shape (`reference/zendesk.md` §5.3).
    pub fn to_json(&self, base: &str) -> Value {
        json!({
            "url": format!("{base}/api/v2/tickets/{}.json", self.id),
            "id": self.id,
            "external_id": null,
            "via": via_json(self.via_id),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "type": null,
            "subject": self.subject,
            "raw_subject": self.subject,
            "description": self.description,
            "priority": null,
            "status": self.status,
            "recipient": null,
            "requester_id": self.requester_id,
            "submitter_id": self.submitter_id.unwrap_or(self.requester_id),
            "assignee_id": self.assignee_id,
            "organization_id": null,
            "group_id": null,
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "forum_topic_id": null,
            "problem_id": null,
            "has_incidents": false,
            "is_public": self.comments.first().is_none_or(|c| c.public),
            "due_at": null,
            "tags": self.tags,
            "custom_fields": self.custom_fields,
            "satisfaction_rating": null,
            "sharing_agreement_ids": [],
            "custom_status_id": null,
            "fields": self.custom_fields,
            "followup_ids": [],
            "ticket_form_id": null,
            "brand_id": 1,
            "allow_channelback": false,
            "allow_attachments": true,
            "from_messaging_channel": false,
        })
    }
}

/// A custom ticket field.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TicketField {
    /// Field id.
    pub id: u64,
    /// `text`, `tagger`, `integer`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Active.
    #[serde(default = "yes")]
    pub active: bool,
    /// Dropdown options.
    #[serde(default)]
    pub custom_field_options: Vec<Value>,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: i64,
}

fn yes() -> bool {
    true
}

impl TicketField {
    /// The field in Zendesk's shape.
    pub fn to_json(&self, base: &str, position: usize) -> Value {
        json!({
            "id": self.id,
            "url": format!("{base}/api/v2/ticket_fields/{}.json", self.id),
            "type": self.kind,
            "title": self.title,
            "raw_title": self.title,
            "description": self.description,
            "raw_description": self.description,
            "position": position,
            "active": self.active,
            "required": false,
            "collapsed_for_agents": false,
            "regexp_for_validation": null,
            "title_in_portal": self.title,
            "visible_in_portal": false,
            "editable_in_portal": false,
            "required_in_portal": false,
            "tag": null,
            "custom_field_options": self.custom_field_options,
            "system_field_options": null,
            "removable": true,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.created_at),
        })
    }
}

/// A platform agent (signs in to the adapter) and the Zendesk agent user it is.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Agent {
    /// Platform agent id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Sign-in email.
    pub email: String,
    /// Sign-in password (sandbox only; printed by `make run`).
    pub password: String,
    /// Team id.
    pub team_id: u64,
    /// The Zendesk agent user.
    pub zendesk_user_id: u64,
}

/// A platform administrator: signs in to the portal (`/portal`), never to the adapter (BATCH-6:
/// only administrators change settings).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Admin {
    /// Name.
    pub name: String,
    /// Sign-in email.
    pub email: String,
    /// Sign-in password (sandbox only; printed by `make run`).
    pub password: String,
}

/// An IVR queue as Settings > Queue > IVR configures it (TEAM-13, TEAM-14).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IvrQueue {
    /// Queue id (the `queue_id` of its outbound numbers).
    pub id: u64,
    /// Queue name.
    pub name: String,
    /// "Instant Voice Call"†: the queue takes calls.
    #[serde(default)]
    pub instant_voice_call: bool,
    /// "Assign Agents"†: the teams that take its calls.
    #[serde(default)]
    pub team_ids: Vec<u64>,
    /// The queue's default outbound number (TEAM-14); None: agents assigned to it cannot place
    /// outbound calls.
    #[serde(default)]
    pub outbound_number: Option<String>,
}

impl IvrQueue {
    /// One queue per queue id of `numbers`, named after its first number's label, taking calls
    /// with every team in `team_ids` and that number as its default: the queues of a fixture
    /// that models none.
    pub fn from_numbers(numbers: &[OutboundNumber], team_ids: &[u64]) -> Vec<IvrQueue> {
        let mut queues: Vec<IvrQueue> = Vec::new();
        for n in numbers {
            if queues.iter().any(|q| q.id == n.queue_id) {
                continue;
            }
            queues.push(IvrQueue {
                id: n.queue_id,
                name: n.label.clone(),
                instant_voice_call: true,
                team_ids: team_ids.to_vec(),
                outbound_number: Some(n.number.clone()),
            });
        }
        queues
    }
}

/// An outbound number offered on the dial screen.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutboundNumber {
    /// E.164 number.
    pub number: String,
    /// Label.
    pub label: String,
    /// Queue it belongs to.
    pub queue_id: u64,
    /// Default language of the queue.
    pub lang: String,
    /// Selected by default.
    #[serde(default)]
    pub default: bool,
}

/// What a fixture holds: the whole starting state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Fixture {
    /// Fixture name.
    pub name: String,
    /// Zendesk users (agents and end users).
    pub users: Vec<User>,
    /// Zendesk tickets.
    pub tickets: Vec<Ticket>,
    /// Custom ticket fields.
    pub ticket_fields: Vec<TicketField>,
    /// Platform agents.
    pub agents: Vec<Agent>,
    /// Platform teams.
    pub teams: Vec<Team>,
    /// Platform settings.
    pub settings: Settings,
    /// Languages offered.
    pub languages: Vec<String>,
    /// Outbound numbers offered.
    pub numbers: Vec<OutboundNumber>,
    /// Customer behaviour: answer outbound calls by themselves after this many ms (None = only
    /// when told through `POST /_sandbox/events`).
    pub auto_answer_ms: Option<u64>,
    /// Platform administrators (the portal's accounts); a fixture that names none gets
    /// [`crate::fixtures::default_admins`].
    #[serde(default = "crate::fixtures::default_admins")]
    pub admins: Vec<Admin>,
    /// IVR queues; a fixture that names none gets one per queue id of its outbound numbers
    /// ([`IvrQueue::from_numbers`]).
    #[serde(default)]
    pub queues: Vec<IvrQueue>,
}

/// Talk time under which an answered call counts as `too_short` in the call history, ms.
pub const SHORT_CALL_MS: i64 = 10_000;

/// A call on the platform.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlatformCall {
    /// Call id.
    pub id: u64,
    /// `ringing`, `connected`, `on_hold`, `ended`.
    pub status: String,
    /// `outbound` or `inbound`.
    pub direction: String,
    /// Agent handling it.
    pub agent_id: Option<u64>,
    /// Customer number.
    pub customer_number: String,
    /// Our line.
    pub line: String,
    /// Language.
    pub lang: String,
    /// What the agent asked for (outbound: the `POST /calls` body).
    pub request: Value,
    /// Unix ms when it started ringing.
    pub started_ms: i64,
    /// Unix ms when it was answered.
    pub connected_ms: Option<i64>,
    /// Unix ms when it ended.
    pub ended_ms: Option<i64>,
    /// Who ended it: `agent`, `customer`, `abandoned`, `voicemail`.
    pub ended_by: Option<String>,
    /// Queue/menu path.
    pub menu_path: String,
    /// Time on hold in holds that are over, ms.
    #[serde(default)]
    pub hold_ms: i64,
    /// Unix ms when the current hold began (None when not on hold).
    #[serde(default)]
    pub hold_started_ms: Option<i64>,
    /// The DTMF digits the agent sent, in order.
    #[serde(default)]
    pub dtmf: String,
    /// The contact the agent picked among several matching an inbound caller (TICKET-6).
    #[serde(default)]
    pub picked_contact_id: Option<u64>,
    /// The agents the call was transferred away from, oldest first (UPD-9).
    #[serde(default)]
    pub transferred_from: Vec<u64>,
    /// The transfer that gave the call its agent, as the API lists it: `{event_id,
    /// from_agent_id, to_agent {id, name, zendesk_user_id}}` (the last one; None: never
    /// transferred). An adapter whose event stream was down when it came learns it from here.
    #[serde(default)]
    pub transfer: Option<Value>,
    /// The recording the platform announced (`call.recording_ready`); None: the one every call
    /// that was answered and ended has ([`PlatformCall::to_json`]).
    #[serde(default)]
    pub recording_url: Option<String>,
    /// The session events the platform wrote itself (no agent signed in), by event id: what its
    /// rules did (`{"running": true}` while they run). Each is written once.
    #[serde(default)]
    pub platform_events: std::collections::BTreeMap<u64, Value>,
    /// The tickets agents' adapters reported for the call (`POST /calls/{id}/ticket`), in
    /// order: for tests (`GET /_sandbox/state`).
    #[serde(default)]
    pub reported_tickets: Vec<u64>,
}

impl PlatformCall {
    /// A call that has just started ringing: not answered, never held, no digits sent.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: u64,
        direction: &str,
        agent_id: Option<u64>,
        customer_number: String,
        line: String,
        lang: String,
        request: Value,
        menu_path: String,
    ) -> Self {
        PlatformCall {
            id,
            status: "ringing".into(),
            direction: direction.into(),
            agent_id,
            customer_number,
            line,
            lang,
            request,
            started_ms: now_ms(),
            connected_ms: None,
            ended_ms: None,
            ended_by: None,
            menu_path,
            hold_ms: 0,
            hold_started_ms: None,
            dtmf: String::new(),
            picked_contact_id: None,
            transferred_from: Vec::new(),
            transfer: None,
            recording_url: None,
            platform_events: std::collections::BTreeMap::new(),
            reported_tickets: Vec::new(),
        }
    }

    /// Puts a connected call on hold at `now`; false when it was on hold already.
    pub fn hold(&mut self, now: i64) -> bool {
        if self.hold_started_ms.is_some() {
            return false;
        }
        self.status = "on_hold".into();
        self.hold_started_ms = Some(now);
        true
    }

    /// Ends the current hold at `now` (the call stays as it is otherwise); false when it was not
    /// on hold.
    pub fn close_hold(&mut self, now: i64) -> bool {
        let Some(start) = self.hold_started_ms.take() else {
            return false;
        };
        self.hold_ms += (now - start).max(0);
        true
    }

    /// Takes a held call off hold at `now`; false when it was not on hold.
    pub fn resume(&mut self, now: i64) -> bool {
        let held = self.close_hold(now);
        if held {
            self.status = "connected".into();
        }
        held
    }

    /// Total time on hold, ms: the holds that are over plus the current one up to the end of
    /// the call, or up to now.
    pub fn hold_total_ms(&self) -> i64 {
        let current = self
            .hold_started_ms
            .map_or(0, |s| (self.ended_ms.unwrap_or_else(now_ms) - s).max(0));
        self.hold_ms + current
    }

    /// The call as the platform API returns it.
    pub fn to_json(&self) -> Value {
        let secs = |a: i64, b: Option<i64>| b.map(|b| (b - a).max(0) / 1_000);
        let call_s = self
            .connected_ms
            .and_then(|c| secs(c, self.ended_ms.or(Some(now_ms()))));
        let wait_s = secs(self.started_ms, self.connected_ms.or(self.ended_ms));
        json!({
            "id": self.id,
            "status": self.status,
            "direction": self.direction,
            "agent_id": self.agent_id,
            "customer_number": self.customer_number,
            "line": self.line,
            "lang": self.lang,
            "menu_path": self.menu_path,
            "contact_id": self.request.get("contact_id").cloned().unwrap_or(Value::Null),
            "ticket_id": self.request.get("ticket_id").cloned().unwrap_or(Value::Null),
            "ticket": self.request.get("ticket").cloned().unwrap_or(Value::Null),
            "entered_number": self.request.get("entered_number").cloned().unwrap_or(json!(false)),
            "started_at": iso(self.started_ms / 1_000),
            "durations": {"call": call_s.unwrap_or(0), "wait": wait_s.unwrap_or(0), "hold": self.hold_total_ms() / 1_000},
            "dtmf": self.dtmf,
            "picked_contact_id": self.picked_contact_id,
            "ended_by": self.ended_by,
            "recording_url": self.recording(),
            "transferred_from": self.transferred_from,
            "transfer": self.transfer,
            "outcome": self.outcome(),
            "ended_at": self.ended_ms.map(|t| iso(t / 1_000)),
            "callback_of": self.request.get("callback_of").cloned().unwrap_or(Value::Null),
        })
    }

    /// How the call went, once it has ended (None while it is live): `voicemail`, `abandoned`,
    /// `answered` (talked [`SHORT_CALL_MS`] or longer), `too_short`, or `missed` (never
    /// answered).
    pub fn outcome(&self) -> Option<&'static str> {
        let ended = self.ended_ms?;
        Some(match (self.ended_by.as_deref(), self.connected_ms) {
            (Some("voicemail"), _) => "voicemail",
            (Some("abandoned"), _) => "abandoned",
            (_, Some(connected)) if ended - connected < SHORT_CALL_MS => "too_short",
            (_, Some(_)) => "answered",
            (_, None) => "missed",
        })
    }

    /// OUT-10: the agent chose "Do not create a ticket" for this call (`"ticket": "none"`): the
    /// platform keeps no recording of it.
    pub fn not_stored(&self) -> bool {
        self.request.get("ticket").and_then(Value::as_str) == Some("none")
    }

    /// The call's recording: the one the platform announced, else the one an answered call has
    /// once it has ended; none for a call the agent chose to keep no record of (OUT-10).
    pub fn recording(&self) -> Option<String> {
        if self.not_stored() {
            return None;
        }
        self.recording_url.clone().or_else(|| {
            self.ended_ms
                .and(self.connected_ms)
                .map(|_| self.default_recording())
        })
    }

    /// Where the sandbox says the call's recording is when nothing else was announced.
    pub fn default_recording(&self) -> String {
        format!("http://127.0.0.1/recordings/{}.mp3", self.id)
    }

    /// The call's known ticket (`ticket_id`): named when it was placed, created by the
    /// platform's rules, or reported by the adapter (`POST /calls/{id}/ticket`).
    pub fn known_ticket(&self) -> Option<u64> {
        self.request.get("ticket_id").and_then(Value::as_u64)
    }

    /// Sets the call's known ticket; true when it was not the known one before.
    pub fn set_known_ticket(&mut self, ticket_id: u64) -> bool {
        if !self.request.is_object() {
            self.request = json!({});
        }
        let changed = self.known_ticket() != Some(ticket_id);
        self.request["ticket_id"] = json!(ticket_id);
        changed
    }
}

/// A voicemail the platform keeps for the agents (`/platform/voicemails`), besides the ticket
/// its rules wrote (TICKET-10).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Voicemail {
    /// The id of the call that left it.
    pub id: u64,
    /// The caller's number.
    pub from: String,
    /// The caller's contact, as the rules found or created it.
    pub contact_id: Option<u64>,
    /// The voicemail ticket the rules created.
    pub ticket_id: Option<u64>,
    /// The recording.
    pub recording_url: String,
    /// Length, seconds.
    pub duration_s: u64,
    /// Unix ms when it was left.
    pub created_ms: i64,
    /// Queue/menu path.
    pub menu_path: String,
    /// Language.
    pub lang: String,
    /// Transcript, when the platform made one.
    pub transcript: Option<String>,
    /// An agent has read it (or called back).
    pub read: bool,
    /// An agent has closed it: no longer listed.
    pub closed: bool,
    /// An agent has called the customer back about it.
    pub called_back: bool,
}

impl Voicemail {
    /// The voicemail as the platform API returns it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "from": self.from,
            "contact_id": self.contact_id,
            "ticket_id": self.ticket_id,
            "recording_url": self.recording_url,
            "duration_s": self.duration_s,
            "created_at": iso(self.created_ms / 1_000),
            "menu_path": self.menu_path,
            "lang": self.lang,
            "transcript": self.transcript,
            "read": self.read,
            "closed": self.closed,
            "called_back": self.called_back,
        })
    }
}

/// A Unix time in ms as ISO-8601 UTC with milliseconds, `2024-05-01T10:00:00.250Z` (chats).
pub fn iso_ms(ms: i64) -> String {
    let whole = iso(ms.div_euclid(1_000));
    let frac = ms.rem_euclid(1_000);
    match whole.strip_suffix('Z') {
        Some(head) => format!("{head}.{frac:03}Z"),
        None => whole,
    }
}

/// Where a customer chats from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatPlatform {
    /// The web chat widget.
    Web,
    /// A mobile app's chat.
    Mobile,
}

impl ChatPlatform {
    /// `web` or `mobile`, as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Mobile => "mobile",
        }
    }

    /// The platform named `text` (`web`, `mobile`), if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "web" => Some(Self::Web),
            "mobile" => Some(Self::Mobile),
            _ => None,
        }
    }
}

/// Where a chat is: offered (to an agent, or waiting for one when it has no agent), active
/// (accepted) or ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatStatus {
    /// Offered to its agent, or waiting in the queue (no agent).
    Offered,
    /// Accepted by its agent.
    Active,
    /// Over.
    Ended,
}

impl ChatStatus {
    /// `offered`, `active` or `ended`, as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offered => "offered",
            Self::Active => "active",
            Self::Ended => "ended",
        }
    }
}

/// One side of a chat: who wrote a message, who ended the chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatParty {
    /// The customer.
    Customer,
    /// The agent.
    Agent,
}

impl ChatParty {
    /// `customer` or `agent`, as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Agent => "agent",
        }
    }
}

/// One message of a chat.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Message id: unique in the whole sandbox, increasing.
    pub id: u64,
    /// Who wrote it.
    pub author: ChatParty,
    /// As typed, never sanitised (it may hold HTML).
    pub text: String,
    /// Unix ms when the platform took it.
    pub at_ms: i64,
    /// The agent's client id for a message the adapter sent (None for the customer's).
    pub client_id: Option<String>,
    /// The name of the agent who wrote it (None for the customer's): a transferred chat has
    /// messages of two agents.
    pub agent_name: Option<String>,
}

impl ChatMessage {
    /// The message as the platform API returns it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "author": self.author.as_str(),
            "text": self.text,
            "at": iso_ms(self.at_ms),
            "client_id": self.client_id,
            "agent_name": self.agent_name,
        })
    }
}

/// Who the customer of a chat says they are (each as the chat SDK sent it, if it did).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCustomer {
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// The customer's id in the business's own systems.
    pub external_id: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

/// An agent named in a chat (`transferred_from`, a transfer's `to`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatAgent {
    /// Platform agent id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// The agent's Zendesk user.
    pub zendesk_user_id: Option<u64>,
}

impl ChatAgent {
    /// The agent as a chat names it.
    pub fn of(agent: &Agent) -> Self {
        Self {
            id: agent.id,
            name: agent.name.clone(),
            zendesk_user_id: Some(agent.zendesk_user_id),
        }
    }

    /// `{id, name, zendesk_user_id}`.
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "zendesk_user_id": self.zendesk_user_id})
    }
}

/// A customer chat on the platform (`/platform/chats`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Chat {
    /// Chat id (their own counter, from 700001).
    pub id: u64,
    /// Offered, active or ended.
    pub status: ChatStatus,
    /// Web or mobile.
    pub platform: ChatPlatform,
    /// The menu the customer went through, e.g. `Support > Billing` (may be empty).
    pub menu_path: String,
    /// Language, e.g. `en`.
    pub lang: String,
    /// Who the customer says they are.
    pub customer: ChatCustomer,
    /// What the SDK sent besides (an object).
    pub custom_data: Value,
    /// Oldest first.
    pub messages: Vec<ChatMessage>,
    /// Unix ms when the customer started it.
    pub created_ms: i64,
    /// Unix ms when it was offered to its agent (None while it waits for one).
    pub offered_ms: Option<i64>,
    /// Unix ms when its agent accepted it.
    pub accepted_ms: Option<i64>,
    /// Unix ms when it ended.
    pub ended_ms: Option<i64>,
    /// Who ended it.
    pub ended_by: Option<ChatParty>,
    /// The agent it is offered to or accepted by (kept once it ended); None while it waits.
    pub agent_id: Option<u64>,
    /// The agent who transferred it to its agent, if it was.
    pub transferred_from: Option<ChatAgent>,
    /// The agent a waiting chat is for (named when it was started), None for any agent.
    pub wanted_agent: Option<u64>,
    /// The agents who declined it: it is not offered to them again.
    pub declined_by: Vec<u64>,
    /// The agent's typing state, as the adapter last said.
    pub agent_typing: bool,
    /// The customer's typing state, as the customer last said.
    pub customer_typing: bool,
    /// The customer's last rating, 1 to 5.
    pub rating: Option<u8>,
    /// The Zendesk ticket the chat is logged on, as the adapter that logs it reported it
    /// (`POST /chats/{id}/ticket`): a transfer's receiver writes on it.
    pub ticket_id: Option<u64>,
}

impl Chat {
    /// Whether it waits in the queue: not ended and no agent's.
    pub fn waiting(&self) -> bool {
        self.status == ChatStatus::Offered && self.agent_id.is_none()
    }

    /// Whether it takes one of agent `agent_id`'s places (offered to them or active).
    pub fn holds_place_of(&self, agent_id: u64) -> bool {
        self.status != ChatStatus::Ended && self.agent_id == Some(agent_id)
    }

    /// The queue it is in: the last segment of its menu path, or `General`.
    pub fn queue(&self) -> String {
        self.menu_path
            .rsplit('>')
            .next()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .unwrap_or("General")
            .to_owned()
    }

    /// The chat (ChatInfo) as the platform API returns it, at `now` (unix ms). A chat waiting
    /// for an agent shows its creation as `offered_at` and the wait so far as `wait_s`.
    pub fn to_json(&self, now: i64) -> Value {
        let waited_until = self.offered_ms.or(self.ended_ms).unwrap_or(now);
        json!({
            "id": self.id,
            "status": self.status.as_str(),
            "platform": self.platform.as_str(),
            "menu_path": self.menu_path,
            "lang": self.lang,
            "customer": {
                "name": self.customer.name,
                "email": self.customer.email,
                "external_id": self.customer.external_id,
                "phone": self.customer.phone,
            },
            "custom_data": self.custom_data,
            "messages": self.messages.iter().map(ChatMessage::to_json).collect::<Vec<_>>(),
            "offered_at": iso_ms(self.offered_ms.unwrap_or(self.created_ms)),
            "accepted_at": self.accepted_ms.map(iso_ms),
            "ended_at": self.ended_ms.map(iso_ms),
            "ended_by": self.ended_by.map(ChatParty::as_str),
            "wait_s": u64::try_from((waited_until - self.created_ms).max(0) / 1_000).unwrap_or(0),
            "queue": self.queue(),
            "agent_id": self.agent_id,
            "transferred_from": self.transferred_from.as_ref().map(ChatAgent::to_json),
            "ticket_id": self.ticket_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_714_557_600), "2024-05-01T10:00:00Z");
        assert_eq!(iso(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn chat_times_have_milliseconds() {
        assert_eq!(iso_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_ms(1_714_557_600_250), "2024-05-01T10:00:00.250Z");
        assert_eq!(iso_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn a_chats_queue_is_the_last_segment_of_its_menu() {
        let mut c = Chat {
            id: 700_001,
            status: ChatStatus::Offered,
            platform: ChatPlatform::Web,
            menu_path: "Support > Billing".into(),
            lang: "en".into(),
            customer: ChatCustomer::default(),
            custom_data: json!({}),
            messages: Vec::new(),
            created_ms: 0,
            offered_ms: None,
            accepted_ms: None,
            ended_ms: None,
            ended_by: None,
            agent_id: None,
            transferred_from: None,
            wanted_agent: None,
            declined_by: Vec::new(),
            agent_typing: false,
            customer_typing: false,
            rating: None,
            ticket_id: None,
        };
        assert_eq!(c.queue(), "Billing");
        c.menu_path = "Sales".into();
        assert_eq!(c.queue(), "Sales");
        c.menu_path = String::new();
        assert_eq!(c.queue(), "General");
        c.menu_path = "Support > ".into();
        assert_eq!(c.queue(), "General");
        assert!(c.waiting());
        assert_eq!(
            c.to_json(4_500)["wait_s"],
            4,
            "a waiting chat counts up to now"
        );
        c.offered_ms = Some(2_000);
        assert_eq!(c.to_json(9_000)["wait_s"], 2);
        assert_eq!(c.to_json(9_000)["offered_at"], "1970-01-01T00:00:02.000Z");
    }

    #[test]
    fn hold_time_adds_up_and_stops_at_the_end() {
        let mut c = PlatformCall::new(
            1,
            "outbound",
            Some(501),
            "+15550100000".into(),
            "+15550199001".into(),
            "en-US".into(),
            json!({}),
            "Outbound".into(),
        );
        c.status = "connected".into();
        c.connected_ms = Some(0);
        assert!(c.hold(1_000));
        assert!(!c.hold(1_500), "holding a held call changes nothing");
        assert_eq!(c.status, "on_hold");
        assert!(c.resume(3_000));
        assert!(!c.resume(3_500));
        assert_eq!((c.status.as_str(), c.hold_total_ms()), ("connected", 2_000));
        assert!(c.hold(10_000));
        c.ended_ms = Some(14_000);
        assert_eq!(
            c.hold_total_ms(),
            6_000,
            "an open hold counts up to the end"
        );
        c.close_hold(14_000);
        assert_eq!(c.hold_total_ms(), 6_000);
        assert_eq!(c.to_json()["durations"]["hold"], 6);
        assert_eq!(c.to_json()["durations"]["call"], 14);
    }

    #[test]
    fn the_outcome_follows_how_the_call_ended_and_how_long_it_was_talked() {
        let mut c = PlatformCall::new(
            1,
            "inbound",
            Some(501),
            "+15550100000".into(),
            "+15550199001".into(),
            "en-US".into(),
            json!({}),
            "Main menu".into(),
        );
        c.started_ms = 0;
        assert_eq!(c.outcome(), None, "a live call has none");
        assert_eq!(c.to_json()["ended_at"], Value::Null);
        c.ended_ms = Some(30_000);
        c.ended_by = Some("agent".into());
        assert_eq!(c.outcome(), Some("missed"));
        c.connected_ms = Some(20_001);
        assert_eq!(c.outcome(), Some("too_short"));
        c.connected_ms = Some(20_000);
        assert_eq!(c.outcome(), Some("answered"), "10 s of talk is enough");
        c.ended_by = Some("abandoned".into());
        assert_eq!(c.outcome(), Some("abandoned"));
        c.ended_by = Some("voicemail".into());
        assert_eq!(c.outcome(), Some("voicemail"));
        assert_eq!(c.to_json()["ended_at"], "1970-01-01T00:00:30Z");
    }
}
