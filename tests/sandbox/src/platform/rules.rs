//! The platform's own server-side rules: what happens with no agent (DESIGN.md §1, "Who does
//! what"). An IVR call abandoned before an agent answers (TICKET-9, SET-14), a voicemail
//! (TICKET-10), a new IVR caller before assignment (CONTACT-1, CONTACT-8), and an answered IVR
//! call from a number several contacts share that ended with no contact picked (TICKET-7,
//! CONTACT-5).
//!
//! Each case runs `domain::rules::decide` — the same rules the adapter runs — with the current
//! platform settings and the CRM state read from the emulated Zendesk, and writes the resulting
//! actions to it through [`crate::zendesk::handle`] with source `platform` (the account's API
//! token): so the reads and writes appear in the request log, count against the rate budget and
//! can hit injected faults. A 429 waits for `Retry-After`, a 5xx, 409 or 408 is retried with the
//! batcher's backoff curve; any other refusal stops the run and is reported.
//!
//! Reads: one users search by phone (plus the identities of a user the search matched through
//! another number, as the adapter does). Nothing is read when the rules on an empty CRM already
//! say there is nothing to write (an abandoned call with SET-14 off). Writes: the actions folded
//! as the adapter folds them — a ticket creation absorbs the assignee and field values aimed at
//! it and, for a voicemail, the recording as its `voice_comment`; call tickets are created with
//! the Talk Partner Edition endpoint `POST /channels/voice/tickets` and their `via_id` (TICKET-13).
//!
//! Session events of a call whose agent is not signed in ([`session_event`]: CSAT, SmartAction
//! results and failures, API responses, custom data, a late recording) are written the same way
//! on the call's known ticket. They read no contact; custom data with a field mapping reads the
//! account's ticket fields (every page), and so does a CSAT when the session fields were created
//! (its field, FIELD-11). The ticket is taken as known, merges not followed.

use std::time::Duration;

use domain::crm::{Contact, CrmState};
use domain::fields::{self, AccountField};
use domain::labels::Catalogue;
use domain::rules::{decide, Action, Event, RuleContext, Session, TicketRef, UserRef};
use domain::voice::{CallLine, VoiceComment};
use serde::Serialize;
use serde_json::{json, Value};

use crate::model::iso;
use crate::state::App;
use crate::zendesk::{encode_query, handle, ApiRequest, ApiResponse};

/// How many times one request is tried before the run gives up.
const MAX_ATTEMPTS: u32 = 6;
/// The longest `Retry-After` honoured, seconds (a longer one is waited in steps of this).
const MAX_RETRY_AFTER_S: u64 = 60;

/// What one run of the rules did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Outcome {
    /// The actions `decide` returned.
    pub actions: Vec<Action>,
    /// Zendesk requests sent (reads, writes, retries included).
    pub requests: u32,
    /// The contact the session belongs to (existing or created), when known.
    pub contact_id: Option<u64>,
    /// Users created.
    pub users_created: Vec<u64>,
    /// Tickets created.
    pub tickets_created: Vec<u64>,
    /// Why the run stopped early.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Outcome {
    /// As JSON, for the control API and the call record.
    pub fn to_json(&self) -> Value {
        json!(self)
    }
}

/// Which of the actions the platform applies itself.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Every action (no agent is involved).
    All,
    /// Only the contact (CONTACT-1): the ticket is the assigned agent's adapter's to write.
    ContactOnly,
    /// Every action, but only when several contacts have the caller's number (TICKET-7): with
    /// one or none the agent's adapter had no choice to make and wrote the ticket itself.
    SeveralContacts,
}

/// The rule inputs besides the event: the platform's current settings.
fn context(app: &App) -> RuleContext {
    RuleContext {
        settings: app.world().settings.clone(),
        ..RuleContext::default()
    }
}

/// An IVR session of a call from `from` through `menu`.
pub fn ivr_session(call_id: u64, from: &str, menu: &str, lang: &str) -> Session {
    Session::ivr(call_id, from, menu, lang)
}

/// TICKET-9, SET-14, OQ-26, OQ-27: the caller hung up before an agent answered.
pub async fn abandoned(app: &App, session: Session) -> Outcome {
    run(app, Event::Abandoned { session }, Scope::All, None).await
}

/// What the platform knows about a voicemail besides its session.
#[derive(Clone, Debug, Default)]
pub struct Voicemail {
    /// Recording link.
    pub recording_url: String,
    /// Length, seconds.
    pub duration_s: u64,
    /// Transcript, when the platform made one.
    pub transcript: Option<String>,
    /// The line the caller dialled.
    pub line: String,
    /// When the call started, unix seconds.
    pub started_s: i64,
}

/// TICKET-10: a voicemail ticket, even when the caller has an open ticket.
pub async fn voicemail(app: &App, session: Session, vm: Voicemail) -> Outcome {
    let event = Event::Voicemail {
        session,
        recording_url: vm.recording_url.clone(),
        duration_s: vm.duration_s,
    };
    run(app, event, Scope::All, Some(&vm)).await
}

/// CONTACT-1, CONTACT-8: a caller no contact has gets one before the call is assigned. The
/// rules are those of the assignment (`Event::Assigned`); the platform applies the contact only,
/// the ticket being the adapter's once the agent has the call. Several matching contacts
/// (TICKET-6) leave it to the agent: nothing is written.
pub async fn new_caller(app: &App, session: Session, agent_id: u64) -> Outcome {
    let event = Event::Assigned {
        session,
        agent_id,
        chosen_contact: None,
    };
    run(app, event, Scope::ContactOnly, None).await
}

/// TICKET-7, CONTACT-5: an IVR call that `agent_id` (a Zendesk user) answered ended with no
/// contact picked among those matching the caller (TICKET-6), so no ticket was written: the
/// most recently created contact with the number gets it. Reads the caller's contacts; with
/// fewer than two nothing is written.
pub async fn ended_without_ticket(app: &App, session: Session, agent_id: u64) -> Outcome {
    let event = Event::EndedWithoutTicket { session, agent_id };
    run(app, event, Scope::SeveralContacts, None).await
}

async fn run(app: &App, event: Event, scope: Scope, vm: Option<&Voicemail>) -> Outcome {
    let ctx = context(app);
    let cat = Catalogue::english();
    let mut out = Outcome::default();
    // Nothing to write even for an unknown caller (SET-14 off): nothing to read either. (The
    // rules for several contacts write nothing on an empty CRM, but do on the caller's.)
    if scope != Scope::SeveralContacts
        && decide(&event, &CrmState::default(), &ctx, &cat).is_empty()
    {
        return out;
    }
    let number = session_of(&event)
        .and_then(|s| s.customer_number.clone())
        .unwrap_or_default();
    let crm = match read_contacts(app, &number, &mut out).await {
        Ok(crm) => crm,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    if scope == Scope::SeveralContacts
        && crm
            .contacts_with_number(&number, domain::phone::DEFAULT_REGION)
            .len()
            < 2
    {
        return out;
    }
    let mut actions = decide(&event, &crm, &ctx, &cat);
    if scope == Scope::ContactOnly {
        // The contact the session belongs to: created here, or the single match.
        out.contact_id = match crm.contacts_with_number(&number, domain::phone::DEFAULT_REGION)[..]
        {
            [only] => Some(only.id),
            _ => None,
        };
        actions.retain(|a| matches!(a, Action::CreateUser { .. }));
    }
    out.actions = actions.clone();
    if let Err(e) = execute(app, &actions, vm, &number, &mut out).await {
        out.error = Some(e);
    }
    out
}

fn session_of(event: &Event) -> Option<&Session> {
    match event {
        Event::Assigned { session, .. }
        | Event::Abandoned { session }
        | Event::Voicemail { session, .. }
        | Event::EndedWithoutTicket { session, .. } => Some(session),
        _ => None,
    }
}

/// The session event kinds the platform routes (`POST /_sandbox/events {"type":"session"}`).
pub const SESSION_EVENT_KINDS: [&str; 6] = [
    "csat.rated",
    "smart_action.completed",
    "smart_action.failed",
    "api.response",
    "session.custom_data",
    "call.recording_ready",
];

/// A session event of a call, checked: what its body gives the rules besides the call.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionEvent {
    /// `csat.rated {score}` (UPD-14).
    CsatRated {
        /// 1 to 5.
        score: u8,
    },
    /// `smart_action.completed {action, results, files}` (UPD-10).
    SmartActionCompleted {
        /// The SmartAction's name.
        action: String,
        /// `[name, value]` pairs, in order.
        results: Vec<(String, String)>,
        /// Links to the files shared.
        files: Vec<String>,
    },
    /// `smart_action.failed {action, error}` (UPD-11).
    SmartActionFailed {
        /// The SmartAction's name.
        action: String,
        /// What went wrong.
        error: String,
    },
    /// `api.response {source, data}` (UPD-16).
    ApiResponse {
        /// The access point.
        source: String,
        /// What it returned.
        data: Value,
    },
    /// `session.custom_data {data}` (UPD-12, UPD-13, AGENT-8, AGENT-9).
    CustomData {
        /// The data as (key, value) pairs; a value that is not a string as its JSON text.
        items: Vec<(String, String)>,
    },
    /// `call.recording_ready {recording_url}` (UPD-7, AGENT-7).
    RecordingReady {
        /// The recording, when the event names it.
        recording_url: Option<String>,
    },
}

impl SessionEvent {
    /// Reads a session event (`{"type": K, …}`); the error says what is wrong with it.
    pub fn parse(event: &Value) -> Result<Self, String> {
        let text = |k: &str| event[k].as_str().unwrap_or_default().to_owned();
        match event["type"].as_str().unwrap_or_default() {
            "csat.rated" => event["score"]
                .as_u64()
                .filter(|s| (1..=5).contains(s))
                .and_then(|s| u8::try_from(s).ok())
                .map(|score| Self::CsatRated { score })
                .ok_or_else(|| "score: a number from 1 to 5 is required".to_owned()),
            "smart_action.completed" => Ok(Self::SmartActionCompleted {
                action: text("action"),
                results: results(&event["results"])?,
                files: event["files"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.as_str().map(String::from))
                    .collect(),
            }),
            "smart_action.failed" => Ok(Self::SmartActionFailed {
                action: text("action"),
                error: text("error"),
            }),
            "api.response" => Ok(Self::ApiResponse {
                source: text("source"),
                data: event["data"].clone(),
            }),
            "session.custom_data" => {
                let data = event["data"]
                    .as_object()
                    .ok_or("data: an object of key: value is required")?;
                let items = data.iter().map(|(k, v)| (k.clone(), as_text(v))).collect();
                Ok(Self::CustomData { items })
            }
            "call.recording_ready" => Ok(Self::RecordingReady {
                recording_url: event["recording_url"]
                    .as_str()
                    .filter(|u| !u.is_empty())
                    .map(String::from),
            }),
            other => Err(format!(
                "event.type: {other:?} is not one of {}",
                SESSION_EVENT_KINDS.join(", ")
            )),
        }
    }

    /// Whether the rules need the account's ticket fields for this event: custom data with a
    /// field mapping, or a CSAT when the session fields were created (FIELD-11).
    fn needs_fields(&self, ctx: &RuleContext) -> bool {
        match self {
            Self::CustomData { .. } => !ctx.settings.developer.field_mapping.is_empty(),
            Self::CsatRated { .. } => ctx.settings.developer.custom_fields_created,
            _ => false,
        }
    }

    /// The rules' event on `ticket_id`; `call` is the call's JSON with the event's fields over
    /// it, `account` the ticket fields read (empty when none were).
    fn to_rule_event(
        &self,
        ticket_id: u64,
        call: &Value,
        account: &[AccountField<'_>],
        ctx: &RuleContext,
    ) -> Event {
        match self.clone() {
            Self::CsatRated { score } => Event::CsatRated { ticket_id, score },
            Self::SmartActionCompleted {
                action,
                results,
                files,
            } => Event::SmartActionCompleted {
                ticket_id,
                action,
                results,
                files,
            },
            Self::SmartActionFailed { action, error } => Event::SmartActionFailed {
                ticket_id,
                action,
                message: error,
            },
            Self::ApiResponse { source, data } => Event::ApiResponse {
                ticket_id,
                source,
                data,
            },
            Self::CustomData { items } => {
                let wanted = &ctx.settings.developer.field_mapping;
                Event::CustomData {
                    ticket_id,
                    items,
                    mapping: fields::mapping_ids(wanted, account),
                    mapping_configured: !wanted.is_empty(),
                }
            }
            Self::RecordingReady { recording_url } => {
                let text = |k: &str| call[k].as_str().filter(|v| !v.is_empty()).map(String::from);
                Event::RecordingReady {
                    ticket_id,
                    recording_url: recording_url
                        .or_else(|| text("recording_url"))
                        .unwrap_or_default(),
                    duration_s: call["durations"]["call"].as_u64().unwrap_or(0),
                    customer_number: text("customer_number"),
                    call: CallLine {
                        outbound: call["direction"] == "outbound",
                        line: text("line"),
                        started_at: text("started_at"),
                    },
                }
            }
        }
    }
}

/// SmartAction results: `[[name, value]…]` (a value that is not a string as its JSON text).
fn results(v: &Value) -> Result<Vec<(String, String)>, String> {
    const WANTED: &str = "results: a list of [name, value] pairs is required";
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(all) => all
            .iter()
            .map(|pair| match pair.as_array().map(Vec::as_slice) {
                Some([Value::String(name), value]) => Ok((name.clone(), as_text(value))),
                _ => Err(WANTED.to_owned()),
            })
            .collect(),
        _ => Err(WANTED.to_owned()),
    }
}

/// A string as it is; any other value as its JSON text.
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What the outcome says when the call's ticket is not known: nothing can be written.
pub const TICKET_NOT_KNOWN: &str = "the call's ticket is not known";

/// A session event of call `call_id` that no signed-in agent's adapter will write (UPD-7,
/// UPD-10 … UPD-14, UPD-16): the platform runs the rules itself and writes the actions on the
/// call's known ticket. `event` is the event as emitted (`{type, …}`); for a late recording, the
/// call's own fields (durations, line, start, number, direction) fill in what it lacks. The
/// caller makes sure each event is written once.
pub async fn session_event(app: &App, call_id: u64, event: &Value) -> Outcome {
    let mut out = Outcome::default();
    let known = {
        let w = app.world();
        w.calls
            .get(&call_id)
            .map(|c| (c.to_json(), c.known_ticket()))
    };
    let (mut call, ticket) = match known {
        Some(found) => found,
        None => {
            out.error = Some("no such call".into());
            return out;
        }
    };
    let parsed = match SessionEvent::parse(event) {
        Ok(parsed) => parsed,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    let Some(ticket_id) = ticket else {
        out.error = Some(TICKET_NOT_KNOWN.into());
        return out;
    };
    crate::control::merge(&mut call, event);
    let mut ctx = context(app);
    let cat = Catalogue::english();
    let account = if parsed.needs_fields(&ctx) {
        match read_ticket_fields(app, &mut out).await {
            Ok(all) => all,
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        }
    } else {
        Vec::new()
    };
    let account: Vec<AccountField<'_>> = account
        .iter()
        .map(|(id, title, active)| (*id, title.as_str(), *active))
        .collect();
    ctx.field_ids = fields::discover(&account);
    let rule_event = parsed.to_rule_event(ticket_id, &call, &account, &ctx);
    let actions = decide(&rule_event, &CrmState::default(), &ctx, &cat);
    out.actions = actions.clone();
    if let Err(e) = execute(app, &actions, None, "", &mut out).await {
        out.error = Some(e);
    }
    out
}

/// The account's ticket fields (id, title, active), every page of `GET ticket_fields.json`
/// (cursor pagination, the largest pages).
async fn read_ticket_fields(
    app: &App,
    out: &mut Outcome,
) -> Result<Vec<(u64, String, bool)>, String> {
    let size = crate::zendesk::MAX_PAGE;
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = format!("page%5Bsize%5D={size}");
        if let Some(cursor) = &after {
            query.push_str(&format!("&page%5Bafter%5D={}", encode_query(cursor)));
        }
        let page = call(app, "GET", "ticket_fields.json", query, Value::Null, out).await?;
        let (fields, next) = crate::zendesk::ticket_fields_page(&page);
        all.extend(fields);
        if page["meta"]["has_more"] != true {
            return Ok(all);
        }
        if next.is_none() || next == after {
            return Err("GET /api/v2/ticket_fields.json: the next page has no cursor".into());
        }
        after = next;
    }
}

/// One request with the platform's API token, retried on 429 and transient failures.
async fn call(
    app: &App,
    method: &str,
    path: &str,
    query: String,
    body: Value,
    out: &mut Outcome,
) -> Result<Value, String> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        out.requests += 1;
        let r = handle(
            app,
            ApiRequest {
                method: method.into(),
                path: path.into(),
                query: query.clone(),
                body: body.clone(),
                unparsed_body: None,
                source: "platform",
                actor: None,
                credential: crate::zendesk::Credential::ApiToken,
                idempotency_key: None,
            },
        )
        .await;
        let wait_ms = match r.status {
            200..=299 => return Ok(r.body.unwrap_or(Value::Null)),
            429 => retry_after_s(&r).min(MAX_RETRY_AFTER_S) * 1_000,
            408 | 409 | 500..=599 => {
                u64::try_from(domain::batch::retry_delay_ms(attempt)).unwrap_or(1_000)
            }
            status => {
                return Err(format!(
                    "{method} /api/v2/{path}: {status} {}",
                    r.body.unwrap_or(Value::Null)
                ))
            }
        };
        if attempt >= MAX_ATTEMPTS {
            return Err(format!(
                "{method} /api/v2/{path}: {} after {attempt} attempts",
                r.status
            ));
        }
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
    }
}

fn retry_after_s(r: &ApiResponse) -> u64 {
    r.header("Retry-After")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(1)
}

/// The Users API search (`users/search?query=`) the rules find a number's contacts with:
/// `role:end-user phone:<digits>`. The number goes without its `+` (Talk Partner Edition guide:
/// leave the `+` out of a `phone:` search; with it Zendesk finds no one), and only end users,
/// since an agent who has the same number is not the caller.
fn contact_search(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    format!(
        "query={}",
        encode_query(&format!("role:end-user phone:{digits}"))
    )
}

/// The end-users whose phone is `number` (MATRIX-1), as the rules read them.
async fn read_contacts(app: &App, number: &str, out: &mut Outcome) -> Result<CrmState, String> {
    let mut crm = CrmState::default();
    if number.is_empty() {
        return Ok(crm);
    }
    let region = domain::phone::DEFAULT_REGION;
    let query = contact_search(number);
    let found = call(app, "GET", "users/search.json", query, Value::Null, out).await?;
    for u in found["users"].as_array().into_iter().flatten() {
        if u["role"] != "end-user" {
            continue;
        }
        let Some(mut c) = contact(u) else { continue };
        if !c
            .phones()
            .any(|p| domain::phone::same_number(p, number, region))
        {
            // The search matched another of the user's numbers: read the identities.
            let path = format!("users/{}/identities.json", c.id);
            let ids = call(app, "GET", &path, String::new(), Value::Null, out).await?;
            c.other_phones = ids["identities"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|i| i["type"] == "phone_number")
                .filter_map(|i| i["value"].as_str().map(String::from))
                .collect();
        }
        crm.contacts.push(c);
    }
    // Users the platform created for this number that the search does not show yet (its index
    // lags): read by id.
    let recorded: Vec<u64> = app
        .world()
        .platform_contacts
        .iter()
        .filter(|(n, _)| domain::phone::same_number(n, number, region))
        .map(|(_, id)| *id)
        .filter(|id| !crm.contacts.iter().any(|c| c.id == *id))
        .collect();
    for id in recorded {
        let path = format!("users/{id}.json");
        if let Ok(u) = call(app, "GET", &path, String::new(), Value::Null, out).await {
            if let Some(c) = contact(&u["user"]).filter(|_| u["user"]["role"] == "end-user") {
                crm.contacts.push(c);
            }
        }
    }
    Ok(crm)
}

fn contact(u: &Value) -> Option<Contact> {
    let s = |k: &str| u[k].as_str().map(String::from);
    Some(Contact {
        id: u["id"].as_u64()?,
        name: s("name").unwrap_or_default(),
        email: s("email"),
        phone: s("phone"),
        other_phones: vec![],
        external_id: s("external_id"),
        created_at: u["created_at"]
            .as_str()
            .and_then(domain::time::parse_iso8601)
            .unwrap_or(0),
        shared_phone_number: u["shared_phone_number"].as_bool().unwrap_or(false),
    })
}

/// One Zendesk write, folded from one or more actions.
enum Write {
    User {
        action: usize,
        body: Value,
    },
    Ticket {
        action: usize,
        requester: UserRef,
        voice: bool,
        body: Value,
    },
    Update {
        ticket: TicketRef,
        body: Value,
    },
    Display {
        ticket: TicketRef,
        agent_id: u64,
    },
}

/// Folds the actions: a creation absorbs the status, assignee and fields aimed at the new ticket;
/// consecutive changes to one ticket make one update with at most one comment and one voice
/// comment (Zendesk takes one of each per update).
fn fold(actions: &[Action], vm: Option<&Voicemail>, number: &str) -> Vec<Write> {
    let mut writes: Vec<Write> = Vec::new();
    let created_at = |i: usize| TicketRef::Created(i);
    for (i, a) in actions.iter().enumerate() {
        match a {
            Action::CreateUser {
                name,
                phone,
                email,
                external_id,
            } => {
                let mut user = json!({"name": name, "role": "end-user"});
                for (k, v) in [
                    ("phone", phone),
                    ("email", email),
                    ("external_id", external_id),
                ] {
                    if let Some(v) = v {
                        user[k] = json!(v);
                    }
                }
                writes.push(Write::User {
                    action: i,
                    body: json!({ "user": user }),
                });
            }
            Action::CreateTicket {
                subject,
                requester,
                assignee_id,
                via_id,
                tags,
                custom_fields,
                description,
                recording_url,
            } => {
                let mut t = json!({
                    "subject": subject,
                    "tags": tags,
                    "comment": {"body": description, "public": false},
                });
                if let Some(a) = assignee_id {
                    t["assignee_id"] = json!(a);
                }
                if let Some(v) = via_id {
                    t["via_id"] = json!(v);
                }
                if !custom_fields.is_empty() {
                    t["custom_fields"] = fields_json(custom_fields);
                }
                // A voicemail ticket without its voice comment (no line or start known) is
                // refused by Zendesk: the run reports it rather than writing an empty block.
                if let Some(voice) = recording_url
                    .as_deref()
                    .and_then(|u| voice_comment(u, vm, number))
                {
                    t["voice_comment"] = voice;
                }
                writes.push(Write::Ticket {
                    action: i,
                    requester: *requester,
                    voice: via_id.is_some(),
                    body: json!({ "ticket": t }),
                });
            }
            Action::ScreenPop { ticket, agent_id } => writes.push(Write::Display {
                ticket: *ticket,
                agent_id: *agent_id,
            }),
            Action::AskContact { .. } => {}
            Action::SetStatus { ticket, .. }
            | Action::Assign { ticket, .. }
            | Action::AddComment { ticket, .. }
            | Action::AddRecording { ticket, .. }
            | Action::SetCustomFields { ticket, .. } => {
                let comment_key = match a {
                    Action::AddComment { .. } => Some("comment"),
                    Action::AddRecording { .. } => Some("voice_comment"),
                    _ => None,
                };
                let target = match writes.last_mut() {
                    Some(Write::Ticket { action, body, .. })
                        if created_at(*action) == *ticket && comment_key.is_none() =>
                    {
                        Some(&mut body["ticket"])
                    }
                    Some(Write::Update { ticket: t, body })
                        if t == ticket
                            && comment_key.is_none_or(|k| body["ticket"][k].is_null()) =>
                    {
                        Some(&mut body["ticket"])
                    }
                    _ => None,
                };
                match target {
                    Some(t) => change(t, a),
                    None => {
                        let mut body = json!({"ticket": {}});
                        change(&mut body["ticket"], a);
                        writes.push(Write::Update {
                            ticket: *ticket,
                            body,
                        });
                    }
                }
            }
        }
    }
    writes
}

fn fields_json(fields: &[(u64, Value)]) -> Value {
    fields
        .iter()
        .map(|(id, v)| json!({"id": id, "value": v}))
        .collect()
}

/// The voicemail's voice comment: from the caller (`number`) to the line they dialled, started
/// when the call did (the checked [`VoiceComment`], so never with an empty From/To/Started);
/// None when the voicemail's line or start is not known.
fn voice_comment(url: &str, vm: Option<&Voicemail>, number: &str) -> Option<Value> {
    let vm = vm?;
    let voice = VoiceComment::new(number, &vm.line, &iso(vm.started_s), vm.duration_s)
        .ok()?
        .with_recording(url);
    let voice = match &vm.transcript {
        Some(t) => voice.with_transcription(t),
        None => voice,
    };
    Some(json!(voice))
}

fn change(t: &mut Value, a: &Action) {
    match a {
        Action::SetStatus { status, .. } => t["status"] = json!(status),
        Action::Assign { agent_id, .. } => t["assignee_id"] = json!(agent_id),
        Action::AddComment { body, .. } => t["comment"] = json!({"body": body, "public": false}),
        Action::AddRecording { voice, .. } => t["voice_comment"] = json!(voice),
        Action::SetCustomFields { fields, .. } => {
            let mut all: Vec<Value> = t["custom_fields"].as_array().cloned().unwrap_or_default();
            for (id, v) in fields {
                all.retain(|f| f["id"] != json!(id));
                all.push(json!({"id": id, "value": v}));
            }
            t["custom_fields"] = Value::Array(all);
        }
        _ => {}
    }
}

/// Sends the folded writes in order; `Created(i)` references resolve to the ids the creations
/// returned.
async fn execute(
    app: &App,
    actions: &[Action],
    vm: Option<&Voicemail>,
    number: &str,
    out: &mut Outcome,
) -> Result<(), String> {
    let mut created: Vec<Option<u64>> = vec![None; actions.len()];
    let resolve_user = |r: UserRef, created: &[Option<u64>]| match r {
        UserRef::Existing(id) => Some(id),
        UserRef::Created(i) => created.get(i).copied().flatten(),
    };
    let resolve_ticket = |r: TicketRef, created: &[Option<u64>]| match r {
        TicketRef::Existing(id) => Some(id),
        TicketRef::Created(i) => created.get(i).copied().flatten(),
    };
    for w in fold(actions, vm, number) {
        match w {
            Write::User { action, body } => {
                let phone = body["user"]["phone"].as_str().map(String::from);
                let r = call(app, "POST", "users.json", String::new(), body, out).await?;
                let id = r["user"]["id"].as_u64().ok_or("POST users: no id")?;
                if let Some(phone) = phone {
                    // The platform's own record: search does not find the user for a while.
                    app.world().platform_contacts.push((phone, id));
                }
                created[action] = Some(id);
                out.users_created.push(id);
                out.contact_id = Some(id);
            }
            Write::Ticket {
                action,
                requester,
                voice,
                mut body,
            } => {
                let rid = resolve_user(requester, &created).ok_or("requester not created")?;
                body["ticket"]["requester_id"] = json!(rid);
                out.contact_id = Some(rid);
                let path = if voice {
                    "channels/voice/tickets.json"
                } else {
                    "tickets.json"
                };
                let r = call(app, "POST", path, String::new(), body, out).await?;
                let id = r["ticket"]["id"].as_u64().ok_or("POST tickets: no id")?;
                created[action] = Some(id);
                out.tickets_created.push(id);
            }
            Write::Update { ticket, body } => {
                let id = resolve_ticket(ticket, &created).ok_or("ticket not created")?;
                let path = format!("tickets/{id}.json");
                call(app, "PUT", &path, String::new(), body, out).await?;
            }
            Write::Display { ticket, agent_id } => {
                let id = resolve_ticket(ticket, &created).ok_or("ticket not created")?;
                let path = format!("channels/voice/agents/{agent_id}/tickets/{id}/display.json");
                call(app, "POST", &path, String::new(), Value::Null, out).await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_voicemail_ticket_carries_its_recording_in_the_creation() {
        let actions = vec![
            Action::CreateUser {
                name: "Caller +15550100000".into(),
                phone: Some("+15550100000".into()),
                email: None,
                external_id: None,
            },
            Action::CreateTicket {
                subject: "Voicemail from +15550100000".into(),
                requester: UserRef::Created(0),
                assignee_id: Some(7),
                via_id: Some(domain::rules::VIA_VOICEMAIL),
                tags: vec!["ccaip".into()],
                custom_fields: vec![],
                description: "Standard data".into(),
                recording_url: Some("https://r/1.mp3".into()),
            },
        ];
        let vm = Voicemail {
            recording_url: "https://r/1.mp3".into(),
            duration_s: 42,
            transcript: Some("Call me".into()),
            line: "+15550199001".into(),
            started_s: 1_714_557_600,
        };
        let writes = fold(&actions, Some(&vm), "+15550100000");
        assert_eq!(writes.len(), 2);
        let Write::Ticket { body, voice, .. } = &writes[1] else {
            panic!("a ticket creation")
        };
        assert!(voice);
        let t = &body["ticket"];
        assert_eq!(t["via_id"], 44);
        assert_eq!(t["voice_comment"]["recording_url"], "https://r/1.mp3");
        assert_eq!(t["voice_comment"]["call_duration"], 42);
        assert_eq!(t["voice_comment"]["transcription_text"], "Call me");
        // Issue 11, item 4: the From/To/Started block is filled: from the caller to the line.
        assert_eq!(t["voice_comment"]["from"], "+15550100000");
        assert_eq!(t["voice_comment"]["to"], "+15550199001");
        assert_eq!(t["voice_comment"]["started_at"], "2024-05-01T10:00:00Z");
        assert_eq!(t["comment"]["public"], false);
    }

    #[test]
    fn changes_fold_into_the_creation_and_comments_into_one_update_each() {
        let t = TicketRef::Created(0);
        let actions = vec![
            Action::CreateTicket {
                subject: "s".into(),
                requester: UserRef::Existing(1),
                assignee_id: None,
                via_id: Some(45),
                tags: vec![],
                custom_fields: vec![],
                description: "d".into(),
                recording_url: None,
            },
            Action::Assign {
                ticket: t,
                agent_id: 9,
            },
            Action::AddComment {
                ticket: t,
                body: "a".into(),
            },
            Action::SetCustomFields {
                ticket: t,
                fields: vec![(3, json!("x"))],
            },
            Action::AddComment {
                ticket: t,
                body: "b".into(),
            },
        ];
        let writes = fold(&actions, None, "+1");
        assert_eq!(writes.len(), 3);
        let Write::Ticket { body, .. } = &writes[0] else {
            panic!()
        };
        assert_eq!(body["ticket"]["assignee_id"], 9);
        let Write::Update { body, .. } = &writes[1] else {
            panic!()
        };
        assert_eq!(body["ticket"]["comment"]["body"], "a");
        assert_eq!(body["ticket"]["custom_fields"][0]["id"], 3);
        let Write::Update { body, .. } = &writes[2] else {
            panic!()
        };
        assert_eq!(body["ticket"]["comment"]["body"], "b");
    }

    #[test]
    fn session_events_parse_with_their_values_as_text() {
        let data = json!({"type": "session.custom_data", "data": {"tier": "gold", "visits": 3}});
        assert_eq!(
            SessionEvent::parse(&data),
            Ok(SessionEvent::CustomData {
                items: vec![
                    ("tier".into(), "gold".into()),
                    ("visits".into(), "3".into())
                ]
            })
        );
        let done = json!({"type": "smart_action.completed", "action": "Verify",
                          "results": [["verified", true]], "files": ["https://f/1", 2]});
        assert_eq!(
            SessionEvent::parse(&done),
            Ok(SessionEvent::SmartActionCompleted {
                action: "Verify".into(),
                results: vec![("verified".into(), "true".into())],
                files: vec!["https://f/1".into()],
            })
        );
    }

    #[test]
    fn a_bad_session_event_says_what_is_wrong() {
        let err = |v: Value| SessionEvent::parse(&v).unwrap_err();
        assert!(err(json!({"type": "csat.rated", "score": 6})).starts_with("score:"));
        assert!(err(json!({"type": "session.custom_data", "data": [1]})).starts_with("data:"));
        let results = json!({"type": "smart_action.completed", "results": [["only a name"]]});
        assert!(err(results).starts_with("results:"));
        assert!(err(json!({"type": "chat.message"})).contains("csat.rated"));
    }

    #[test]
    fn the_contact_search_has_no_plus_and_asks_for_end_users() {
        assert_eq!(
            contact_search("+1 555-0100"),
            "query=role:end-user%20phone:15550100"
        );
    }
}
