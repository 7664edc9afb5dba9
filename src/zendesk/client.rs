//! The Zendesk calls the rules need, each one request.

use super::{
    error::{classify, ZendeskError},
    wire::{WireTicket, WireUser},
    Transport,
};
use crate::http::{HttpRequest, Method};
use domain::crm::{Contact, Ticket};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{json, Value};
use std::cell::RefCell;

/// UNCONFIRMED: the header Zendesk reads to make a ticket creation idempotent; a replay with the
/// same key returns the ticket created the first time instead of a second one.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// The user search that finds a caller: `role:end-user phone:*<last 9 digits>`.
///
/// - `role:end-user`: a caller is an end user; an agent or admin whose profile has the same
///   number is never taken for the caller (Search API, user `role` property).
/// - No `+`: Zendesk's Talk Partner Edition guide says to leave the `+` out of a phone search
///   (with it, nothing is found), so only digits are sent.
/// - UNCONFIRMED (reference/zendesk.md §5.1): the `phone:` search matches a suffix wildcard on
///   the digits, whatever format the number was stored in. The last 9 digits are specific
///   enough to keep the candidate list short and short enough to skip country and trunk
///   prefixes; the caller then keeps only exact E.164 matches (MATRIX-1).
pub fn phone_search_query(e164: &str) -> String {
    let digits: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(9)..].iter().collect();
    format!("role:end-user phone:*{tail}")
}

/// A ticket creation carries its idempotency key, so a replay after a lost answer returns the
/// ticket the first attempt created instead of making a second one.
fn idempotent(request: HttpRequest, ticket: &NewTicket) -> HttpRequest {
    match &ticket.idempotency_key {
        Some(key) => request.header(IDEMPOTENCY_HEADER, key.clone()),
        None => request,
    }
}

/// Whether two numbers have the same digits (both are E.164 as the adapter writes them).
fn same_digits(a: &str, b: &str) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    digits(a) == digits(b)
}

/// Percent-encodes a query-string value (the crate's one encoder).
fn encode(value: &str) -> String {
    crate::http::percent_encode(value)
}

/// Users a phone search returned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserMatches {
    /// The users, as the search returned them (not yet filtered by exact number).
    pub contacts: Vec<Contact>,
}

/// UNCONFIRMED (reference/zendesk.md §5.3): a ticket closed by a merge carries this tag, and its
/// last comment says where it went ("…closed and merged into request #N…", Zendesk's default
/// source comment). [`merge_target_in`] reads that text.
pub const MERGED_TAG: &str = "closed_by_merge";

/// The ticket a merge comment points to: the number after "merged into request #".
pub fn merge_target_in(comment: &str) -> Option<u64> {
    let lower = comment.to_ascii_lowercase();
    let at = lower.find("merged into request #")? + "merged into request #".len();
    let digits: String = lower[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Tickets API, "Setting Metadata" (reference/zendesk.md §5.3): a ticket update may carry a
/// `metadata` object, which Zendesk stores as the update's audit `metadata.custom`; the adapter
/// puts its operation key there ([`op_key_metadata`]) and reads it back ([`audit_op_key`]).
pub const AUDIT_METADATA_KEY: &str = "metadata";

/// The `metadata` object an update carries its operation key in: `{"op_key": key}`.
pub fn op_key_metadata(key: &str) -> Value {
    json!({ "op_key": key })
}

/// The operation key an audit carries, where Zendesk keeps the update's metadata:
/// `audit.metadata.custom.op_key`.
pub fn audit_op_key(audit: &Value) -> Option<&str> {
    audit
        .get("metadata")?
        .get("custom")?
        .get("op_key")?
        .as_str()
}

/// Zendesk's largest page (reference/zendesk.md §5): lists are read 100 at a time.
pub const PAGE_SIZE: u32 = 100;

/// The most pages one list read follows, so that a huge list cannot hold a screen or an outbox
/// for ever (10 pages = 1,000 records).
pub const MAX_PAGES: usize = 10;

/// The next page of a list answer: `links.next` while `meta.has_more` (cursor pagination), else
/// `next_page` (offset pagination); as a path on the same Zendesk (`/api/v2/…`), since the
/// requests go through the agent's session.
pub fn next_page_path(page: &Value) -> Option<String> {
    let url = match page.get("meta").and_then(|m| m.get("has_more")) {
        Some(more) => {
            if more.as_bool() != Some(true) {
                return None;
            }
            page.get("links")?.get("next")?.as_str()?
        }
        None => page.get("next_page")?.as_str()?,
    };
    Some(match url.find("/api/v2/") {
        Some(at) => url[at..].to_string(),
        None => url.to_string(),
    })
}

/// A user to create.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewUser {
    /// Display name.
    pub name: String,
    /// The phone, in E.164 (empty for an SDK contact that gave none).
    pub phone: String,
    /// An SDK contact's email (CONTACT-4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// An SDK contact's identifier (CONTACT-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl NewUser {
    /// An end-user known by a phone number only.
    pub fn with_phone(name: &str, phone: &str) -> Self {
        Self {
            name: name.to_owned(),
            phone: phone.to_owned(),
            email: None,
            external_id: None,
        }
    }

    /// True for an SDK contact (an email or an identifier names it).
    pub fn is_sdk(&self) -> bool {
        self.email.is_some() || self.external_id.is_some()
    }
}

/// A Talk Partner Edition voice comment (reference/zendesk.md §4.1): built only through its
/// checked constructor, so it is never sent with empty numbers or start.
pub use domain::voice::VoiceComment;

/// A ticket to create.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewTicket {
    /// Subject.
    pub subject: String,
    /// Requester (the contact).
    pub requester_id: u64,
    /// Assignee (the agent).
    pub assignee_id: Option<u64>,
    /// The first comment, always internal.
    pub comment: String,
    /// `via_id`: 45 inbound call, 46 outbound call, 44 voicemail.
    pub via_id: Option<u64>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom field values.
    pub custom_fields: Vec<(u64, Value)>,
    /// The idempotency key: a replay of the same creation returns the same ticket.
    pub idempotency_key: Option<String>,
}

/// Changes to a ticket, all optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketChange {
    /// An internal comment to add.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// New status (sent as `open`, `solved`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<domain::crm::TicketStatus>,
    /// New assignee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<u64>,
    /// Custom field values to set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<(u64, Value)>,
    /// Tags to add.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_tags: Vec<String>,
    /// A voice comment to add. One persisted before voice comments were checked, with empty
    /// numbers or start, is dropped when read back rather than sent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "checked_or_none"
    )]
    pub voice_comment: Option<VoiceComment>,
}

/// A voice comment as read back, or none when it does not pass [`VoiceComment::new`].
fn checked_or_none<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<VoiceComment>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
}

impl TicketChange {
    /// The `ticket` object of an update request.
    pub fn to_json(&self) -> Value {
        let mut ticket = serde_json::Map::new();
        if let Some(body) = &self.comment {
            // Always say `public` explicitly: the default follows the ticket's first comment.
            ticket.insert("comment".into(), json!({"body": body, "public": false}));
        }
        if let Some(status) = &self.status {
            ticket.insert("status".into(), json!(status));
        }
        if let Some(assignee) = self.assignee_id {
            ticket.insert("assignee_id".into(), json!(assignee));
        }
        if !self.custom_fields.is_empty() {
            let fields: Vec<Value> = self
                .custom_fields
                .iter()
                .map(|(id, v)| json!({"id": id, "value": v}))
                .collect();
            ticket.insert("custom_fields".into(), Value::Array(fields));
        }
        if !self.additional_tags.is_empty() {
            ticket.insert("additional_tags".into(), json!(self.additional_tags));
        }
        if let Some(voice) = &self.voice_comment {
            ticket.insert("voice_comment".into(), json!(voice));
        }
        Value::Object(ticket)
    }
}

/// A background job's state (`update_many`, merge).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct JobStatus {
    /// Job id.
    pub id: String,
    /// `queued`, `working`, `completed`, `failed`, `killed`.
    pub status: String,
    /// Per-item results when done.
    #[serde(default)]
    pub results: Option<Value>,
}

impl JobStatus {
    /// True once the job will not change any more.
    pub fn is_finished(&self) -> bool {
        matches!(self.status.as_str(), "completed" | "failed" | "killed")
    }
}

/// The types of custom ticket fields (Ticket Fields API, "Create Ticket Field"). System fields
/// have types of their own (`subject`, `description`, `status`, `tickettype`, `priority`,
/// `group`, `assignee`, `custom_status`, …) and are told from custom ones by type only:
/// `removable` does not tell them apart, Zendesk answers `removable: true` for the system
/// `tickettype` and `priority` fields.
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

/// A ticket field definition.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TicketField {
    /// Field id.
    pub id: u64,
    /// `text`, `integer`, `tagger`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Title shown to agents.
    pub title: String,
    /// False for deactivated fields.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl TicketField {
    /// True for a custom field (one of [`CUSTOM_FIELD_TYPES`]), false for a system field.
    pub fn is_custom(&self) -> bool {
        CUSTOM_FIELD_TYPES.contains(&self.kind.as_str())
    }
}

/// The most pages of ticket fields read (Zendesk allows a few hundred fields an account).
pub const FIELD_PAGES: usize = 20;

/// `{"ticket": …}`, the body of every single-ticket answer.
#[derive(Deserialize)]
struct TicketEnvelope {
    ticket: WireTicket,
}

/// `{"user": …}`, the body of every single-user answer.
#[derive(Deserialize)]
struct UserEnvelope {
    user: WireUser,
}

/// Whether Zendesk's answer is a user it no longer has. UNCONFIRMED (reference/zendesk.md lists
/// `active` on users without saying what a deleted one answers): a deleted user, or one merged
/// into another, answers 404 (the sandbox's model), or may still be shown by id with
/// `active: false`; both are gone to the adapter (`user` answers `NotFound`).
fn deleted(user: &WireUser) -> bool {
    !user.active
}

/// The users of a search answer Zendesk still has. Its index lags a deletion as it lags a
/// creation: a user deleted moments ago may still be found, soft-deleted ([`deleted`]), and
/// is no contact to offer or to log a call on.
fn live(users: Vec<WireUser>) -> impl Iterator<Item = Contact> {
    users
        .into_iter()
        .filter(|u| !deleted(u))
        .map(WireUser::into_contact)
}

/// How many users this client created it remembers (number, id) for [`Zendesk::users_by_phone`].
pub const RECENT_USERS: usize = 64;

/// The Zendesk client.
pub struct Zendesk<T> {
    transport: T,
    /// The users this client created, newest last, by the phone they were created with: the
    /// search index lags writes (seconds to minutes), so a caller whose contact was created
    /// moments ago is read by id instead of being created again.
    recent_users: RefCell<Vec<(String, u64)>>,
    /// The SDK contacts this client created or found by email or identifier
    /// (`email:{lower-case}`, `external_id:{id}`), newest last: read by id while the search
    /// does not show them yet.
    recent_sdk: RefCell<Vec<(String, u64)>>,
}

/// The keys an SDK contact is remembered by.
fn sdk_keys(email: Option<&str>, external_id: Option<&str>) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(e) = email {
        keys.push(format!("email:{}", e.trim().to_lowercase()));
    }
    if let Some(x) = external_id {
        keys.push(format!("external_id:{}", x.trim()));
    }
    keys
}

impl<T: Transport> Zendesk<T> {
    /// A client over `transport`.
    pub fn new(transport: T) -> Self {
        Self {
            transport,
            recent_users: RefCell::new(Vec::new()),
            recent_sdk: RefCell::new(Vec::new()),
        }
    }

    /// The transport (tests read its counters).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    async fn call<R: DeserializeOwned>(&self, request: HttpRequest) -> Result<R, ZendeskError> {
        let response = self
            .transport
            .send(request)
            .await
            .map_err(ZendeskError::Transport)?;
        let body = classify(&response)?;
        let body = if body.trim().is_empty() { "null" } else { body };
        serde_json::from_str(body).map_err(|e| ZendeskError::Decode(e.to_string()))
    }

    /// Users whose phone (any format) ends like `e164`: one read a page.
    pub async fn users_by_phone(&self, e164: &str) -> Result<UserMatches, ZendeskError> {
        #[derive(Deserialize)]
        struct Found {
            #[serde(default)]
            users: Vec<WireUser>,
        }
        // Users search pages by offset only (`per_page` ≤ 100, `next_page`).
        let mut next = Some(format!(
            "/api/v2/users/search.json?query={}&per_page={PAGE_SIZE}",
            encode(&phone_search_query(e164))
        ));
        let mut matches = UserMatches::default();
        let mut pages = 0;
        while let Some(url) = next.take() {
            let page: Value = self.call(HttpRequest::new(Method::Get, url)).await?;
            let found: Found = serde_json::from_value(page.clone())
                .map_err(|e| ZendeskError::Decode(e.to_string()))?;
            matches.contacts.extend(live(found.users));
            pages += 1;
            if pages < MAX_PAGES {
                next = next_page_path(&page);
            }
        }
        // Users created here for this number that the search does not show yet: read by id.
        let missing: Vec<u64> = self
            .recent_users
            .borrow()
            .iter()
            .filter(|(phone, _)| same_digits(phone, e164))
            .map(|(_, id)| *id)
            .filter(|id| !matches.contacts.iter().any(|c| c.id == *id))
            .collect();
        for id in missing {
            match self.user(id).await {
                Ok(contact) => matches.contacts.push(contact),
                Err(ZendeskError::NotFound) => {
                    self.recent_users.borrow_mut().retain(|(_, x)| *x != id)
                }
                Err(e) => return Err(e),
            }
        }
        Ok(matches)
    }

    /// The users an SDK chat's contact parameters name (CONTACT-4): by identifier (an exact
    /// read, at once), else by email (the search). At most one page each.
    pub async fn users_by_sdk(
        &self,
        email: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<Vec<Contact>, ZendeskError> {
        #[derive(Deserialize)]
        struct Found {
            #[serde(default)]
            users: Vec<WireUser>,
        }
        let mut out: Vec<Contact> = Vec::new();
        if let Some(x) = external_id {
            let url = format!("/api/v2/users/search.json?external_id={}", encode(x));
            let found: Found = self.call(HttpRequest::new(Method::Get, url)).await?;
            out.extend(live(found.users));
        }
        // An email is searched only when the identifier names nobody (the identifier decides).
        if let Some(e) = email.filter(|_| out.is_empty()) {
            let url = format!(
                "/api/v2/users/search.json?query={}&per_page={PAGE_SIZE}",
                encode(&format!("email:{e}"))
            );
            let found: Found = self.call(HttpRequest::new(Method::Get, url)).await?;
            for c in live(found.users) {
                if !out.iter().any(|o| o.id == c.id) {
                    out.push(c);
                }
            }
        }
        // Contacts created here moments ago that the search does not show yet: read by id.
        let keys = sdk_keys(email, external_id);
        let missing: Vec<u64> = self
            .recent_sdk
            .borrow()
            .iter()
            .filter(|(k, _)| keys.contains(k))
            .map(|(_, id)| *id)
            .filter(|id| !out.iter().any(|c| c.id == *id))
            .collect();
        for id in missing {
            match self.user(id).await {
                Ok(contact) if !out.iter().any(|c| c.id == contact.id) => out.push(contact),
                Ok(_) => {}
                Err(ZendeskError::NotFound) => {
                    self.recent_sdk.borrow_mut().retain(|(_, x)| *x != id)
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// One user.
    pub async fn user(&self, id: u64) -> Result<Contact, ZendeskError> {
        let one: UserEnvelope = self
            .call(HttpRequest::new(
                Method::Get,
                format!("/api/v2/users/{id}.json"),
            ))
            .await?;
        if deleted(&one.user) {
            return Err(ZendeskError::NotFound);
        }
        Ok(one.user.into_contact())
    }

    /// Several users by id in one request (`users/show_many`, at most 100 ids); ids that name
    /// no user, or a user Zendesk no longer has ([`deleted`]), are left out of the answer.
    pub async fn users_many(&self, ids: &[u64]) -> Result<Vec<Contact>, ZendeskError> {
        #[derive(Deserialize)]
        struct Users {
            users: Vec<WireUser>,
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = ids.iter().take(100).map(u64::to_string).collect();
        let url = format!("/api/v2/users/show_many.json?ids={}", ids.join(","));
        let many: Users = self.call(HttpRequest::new(Method::Get, url)).await?;
        Ok(live(many.users).collect())
    }

    /// A user's phone identities (numbers besides the default phone).
    pub async fn phone_identities(&self, user_id: u64) -> Result<Vec<String>, ZendeskError> {
        #[derive(Deserialize)]
        struct Identity {
            #[serde(rename = "type")]
            kind: String,
            #[serde(default)]
            value: String,
        }
        let url = format!(
            "/api/v2/users/{user_id}/identities.json?type[]=phone_number&page[size]={PAGE_SIZE}"
        );
        let identities: Vec<Identity> = self.list(url, "identities", MAX_PAGES, |_| false).await?;
        Ok(identities
            .into_iter()
            .filter(|i| i.kind == "phone_number")
            .map(|i| i.value)
            .collect())
    }

    /// Creates an end-user with a phone number. An SDK contact (an email or an identifier) is
    /// created or found by them in one request (`users/create_or_update`): a contact the search
    /// does not show yet is not created twice, and a repeat is harmless.
    pub async fn create_user(&self, user: &NewUser) -> Result<Contact, ZendeskError> {
        let request = if user.is_sdk() {
            let mut u = json!({"name": user.name, "role": "end-user"});
            if let Some(e) = &user.email {
                u["email"] = json!(e);
            }
            if let Some(x) = &user.external_id {
                u["external_id"] = json!(x);
            }
            if !user.phone.is_empty() {
                u["phone"] = json!(user.phone);
            }
            HttpRequest::new(Method::Post, "/api/v2/users/create_or_update.json")
                .json(json!({ "user": u }))
        } else {
            let mut u = json!({"name": user.name, "role": "end-user"});
            if !user.phone.is_empty() {
                u["phone"] = json!(user.phone);
            }
            HttpRequest::new(Method::Post, "/api/v2/users.json").json(json!({ "user": u }))
        };
        let one: UserEnvelope = self.call(request).await?;
        let contact = one.user.into_contact();
        if user.is_sdk() {
            let mut recent = self.recent_sdk.borrow_mut();
            for key in sdk_keys(user.email.as_deref(), user.external_id.as_deref()) {
                recent.push((key, contact.id));
            }
            let excess = recent.len().saturating_sub(RECENT_USERS);
            recent.drain(..excess);
            return Ok(contact);
        }
        let mut recent = self.recent_users.borrow_mut();
        recent.push((user.phone.clone(), contact.id));
        let excess = recent.len().saturating_sub(RECENT_USERS);
        recent.drain(..excess);
        Ok(contact)
    }

    /// The tickets a user requested, most recently created first: every page, up to
    /// [`MAX_PAGES`] of 100 (Tickets API, "List Tickets": cursor pagination).
    pub async fn requested_tickets(&self, user_id: u64) -> Result<Vec<Ticket>, ZendeskError> {
        let url = format!(
            "/api/v2/users/{user_id}/tickets/requested.json?sort_by=created_at&sort_order=desc&page[size]={PAGE_SIZE}"
        );
        let tickets: Vec<WireTicket> = self.list(url, "tickets", MAX_PAGES, |_| false).await?;
        Ok(tickets.into_iter().map(WireTicket::into_ticket).collect())
    }

    /// One ticket.
    pub async fn ticket(&self, id: u64) -> Result<Ticket, ZendeskError> {
        let one: TicketEnvelope = self
            .call(HttpRequest::new(
                Method::Get,
                format!("/api/v2/tickets/{id}.json"),
            ))
            .await?;
        Ok(one.ticket.into_ticket())
    }

    /// Creates a ticket whose first comment is internal.
    pub async fn create_ticket(&self, ticket: &NewTicket) -> Result<Ticket, ZendeskError> {
        let mut body = json!({
            "subject": ticket.subject,
            "requester_id": ticket.requester_id,
            "comment": {"body": ticket.comment, "public": false},
        });
        if let Some(assignee) = ticket.assignee_id {
            body["assignee_id"] = json!(assignee);
        }
        if let Some(via) = ticket.via_id {
            body["via_id"] = json!(via);
        }
        if !ticket.tags.is_empty() {
            body["tags"] = json!(ticket.tags);
        }
        if !ticket.custom_fields.is_empty() {
            body["custom_fields"] = Value::Array(
                ticket
                    .custom_fields
                    .iter()
                    .map(|(id, v)| json!({"id": id, "value": v}))
                    .collect(),
            );
        }
        let request =
            HttpRequest::new(Method::Post, "/api/v2/tickets.json").json(json!({"ticket": body}));
        let one: TicketEnvelope = self.call(idempotent(request, ticket)).await?;
        Ok(one.ticket.into_ticket())
    }

    /// Applies changes to one ticket. `op_key` is recorded in the audit's custom metadata so a
    /// replay can check whether the change already landed ([`Zendesk::update_applied`]).
    pub async fn update_ticket(
        &self,
        id: u64,
        change: &TicketChange,
        op_key: Option<&str>,
    ) -> Result<Ticket, ZendeskError> {
        self.update_ticket_if_unchanged(id, change, op_key, None)
            .await
    }

    /// [`Zendesk::update_ticket`] with Zendesk's collision check when `seen` is the ticket's
    /// `updated_at` as last read (unix seconds): the update is refused with
    /// [`ZendeskError::Conflict`] if the ticket changed since, and nothing is written.
    pub async fn update_ticket_if_unchanged(
        &self,
        id: u64,
        change: &TicketChange,
        op_key: Option<&str>,
        seen: Option<i64>,
    ) -> Result<Ticket, ZendeskError> {
        let mut ticket = change.to_json();
        if let Some(key) = op_key {
            ticket[AUDIT_METADATA_KEY] = op_key_metadata(key);
        }
        if let Some(seen) = seen {
            ticket["safe_update"] = json!(true);
            ticket["updated_stamp"] = json!(domain::time::iso8601(seen));
        }
        let request = HttpRequest::new(Method::Put, format!("/api/v2/tickets/{id}.json"))
            .json(json!({"ticket": ticket}));
        let one: TicketEnvelope = self.call(request).await?;
        Ok(one.ticket.into_ticket())
    }

    /// True when an update carrying `op_key` is already in the ticket's audits (a replay after a
    /// reload must not write twice).
    ///
    /// The audits are read newest first, a page of 100 at a time, until the key is found or
    /// the list ends (Ticket Audits API, "List Audits for a Ticket": cursor pagination,
    /// `sort_order`).
    pub async fn update_applied(&self, ticket_id: u64, op_key: &str) -> Result<bool, ZendeskError> {
        let url = format!(
            "/api/v2/tickets/{ticket_id}/audits.json?sort_order=desc&page[size]={PAGE_SIZE}"
        );
        let found = |audits: &[Value]| audits.iter().any(|a| audit_op_key(a) == Some(op_key));
        let audits: Vec<Value> = self.list(url, "audits", usize::MAX, found).await?;
        Ok(found(&audits))
    }

    /// Reads a list from `url` page after page (at most `max_pages`), stopping early once
    /// `enough` says so; the items under `key`, in the order served.
    async fn list<I: DeserializeOwned>(
        &self,
        url: String,
        key: &str,
        max_pages: usize,
        enough: impl Fn(&[I]) -> bool,
    ) -> Result<Vec<I>, ZendeskError> {
        let mut items = Vec::new();
        let mut next = Some(url);
        let mut pages = 0;
        while let Some(url) = next.take() {
            let page: Value = self.call(HttpRequest::new(Method::Get, url)).await?;
            let these: Vec<I> = match page.get(key) {
                Some(list) => serde_json::from_value(list.clone())
                    .map_err(|e| ZendeskError::Decode(e.to_string()))?,
                None => Vec::new(),
            };
            items.extend(these);
            pages += 1;
            if pages < max_pages && !enough(&items) {
                next = next_page_path(&page);
            }
        }
        Ok(items)
    }

    /// Where a closed ticket was merged to (UPD-8), or `None` when it was not merged: two reads,
    /// made only after an update was refused because the ticket is closed.
    pub async fn merge_target(&self, ticket_id: u64) -> Result<Option<u64>, ZendeskError> {
        #[derive(Deserialize)]
        struct Tags {
            #[serde(default)]
            tags: Vec<String>,
        }
        #[derive(Deserialize)]
        struct One {
            ticket: Tags,
        }
        #[derive(Deserialize)]
        struct Comment {
            #[serde(default)]
            body: String,
        }
        let url = format!("/api/v2/tickets/{ticket_id}.json");
        let one: One = self.call(HttpRequest::new(Method::Get, url)).await?;
        if !one.ticket.tags.iter().any(|t| t == MERGED_TAG) {
            return Ok(None);
        }
        // Newest first (the merge comment is the last one written), a page at a time until it
        // is found (Ticket Comments API, "List Comments": `sort_order`, cursor pagination).
        let url = format!(
            "/api/v2/tickets/{ticket_id}/comments.json?sort_order=desc&page[size]={PAGE_SIZE}"
        );
        let found = |c: &[Comment]| c.iter().any(|c| merge_target_in(&c.body).is_some());
        let comments: Vec<Comment> = self.list(url, "comments", MAX_PAGES, found).await?;
        Ok(comments.iter().find_map(|c| merge_target_in(&c.body)))
    }

    /// Creates a ticket through Talk Partner Edition (`via_id` 44 voicemail, 45 inbound, 46
    /// outbound), optionally shown to an agent at once; voicemails carry their voice comment.
    pub async fn create_voice_ticket(
        &self,
        ticket: &NewTicket,
        voice_comment: Option<&VoiceComment>,
        display_to_agent: Option<u64>,
    ) -> Result<Ticket, ZendeskError> {
        let mut body = json!({
            "subject": ticket.subject,
            "requester_id": ticket.requester_id,
            "via_id": ticket.via_id.unwrap_or(45),
            "comment": {"body": ticket.comment, "public": false},
        });
        if let Some(voice) = voice_comment {
            body["voice_comment"] = json!(voice);
        }
        let mut request = json!({"ticket": body});
        if let Some(agent) = display_to_agent {
            request["display_to_agent"] = json!(agent);
        }
        let request =
            HttpRequest::new(Method::Post, "/api/v2/channels/voice/tickets.json").json(request);
        let one: TicketEnvelope = self.call(idempotent(request, ticket)).await?;
        Ok(one.ticket.into_ticket())
    }

    /// Applies changes to up to 100 tickets in one background job.
    pub async fn update_many(
        &self,
        changes: &[(u64, TicketChange)],
    ) -> Result<JobStatus, ZendeskError> {
        #[derive(Deserialize)]
        struct Job {
            job_status: JobStatus,
        }
        if changes.len() > domain::batch::MAX_TICKETS_PER_REQUEST {
            return Err(ZendeskError::Invalid {
                description: "at most 100 tickets per request".into(),
                details: Value::Null,
            });
        }
        let tickets: Vec<Value> = changes
            .iter()
            .map(|(id, change)| {
                let mut t = change.to_json();
                t["id"] = json!(id);
                t
            })
            .collect();
        let request = HttpRequest::new(Method::Put, "/api/v2/tickets/update_many.json")
            .json(json!({"tickets": tickets}));
        let job: Job = self.call(request).await?;
        Ok(job.job_status)
    }

    /// A background job's state.
    pub async fn job_status(&self, id: &str) -> Result<JobStatus, ZendeskError> {
        #[derive(Deserialize)]
        struct Job {
            job_status: JobStatus,
        }
        let url = format!("/api/v2/job_statuses/{}.json", encode(id));
        let job: Job = self.call(HttpRequest::new(Method::Get, url)).await?;
        Ok(job.job_status)
    }

    /// The account's custom ticket fields. Zendesk lists the system fields too (subject,
    /// status, priority, …; Ticket Fields API, "List Ticket Fields"); they are left out by
    /// type ([`TicketField::is_custom`]), so a system field is never taken for a custom one,
    /// whatever its title.
    /// Every page is read (cursor pagination, 100 a page, at most [`FIELD_PAGES`] pages).
    pub async fn ticket_fields(&self) -> Result<Vec<TicketField>, ZendeskError> {
        let url = "/api/v2/ticket_fields.json?page[size]=100".to_owned();
        let all: Vec<TicketField> = self
            .list(url, "ticket_fields", FIELD_PAGES, |_| false)
            .await?;
        Ok(all.into_iter().filter(TicketField::is_custom).collect())
    }

    /// Creates a custom ticket field (FIELD-13).
    pub async fn create_ticket_field(
        &self,
        title: &str,
        kind: &str,
    ) -> Result<TicketField, ZendeskError> {
        #[derive(Deserialize)]
        struct One {
            ticket_field: TicketField,
        }
        let request = HttpRequest::new(Method::Post, "/api/v2/ticket_fields.json")
            .json(json!({"ticket_field": {"type": kind, "title": title}}));
        let one: One = self.call(request).await?;
        Ok(one.ticket_field)
    }

    /// Screen pop: opens the ticket in the agent's browser (Talk Partner Edition).
    pub async fn display_ticket(&self, agent_id: u64, ticket_id: u64) -> Result<(), ZendeskError> {
        let url =
            format!("/api/v2/channels/voice/agents/{agent_id}/tickets/{ticket_id}/display.json");
        self.call::<Value>(HttpRequest::new(Method::Post, url))
            .await
            .map(|_| ())
    }

    /// Screen pop: opens the user profile in the agent's browser.
    pub async fn display_user(&self, agent_id: u64, user_id: u64) -> Result<(), ZendeskError> {
        let url = format!("/api/v2/channels/voice/agents/{agent_id}/users/{user_id}/display.json");
        self.call::<Value>(HttpRequest::new(Method::Post, url))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpResponse;
    use futures::executor::block_on;

    /// Answers every request with one body and keeps the URLs asked for.
    struct Answer(Value, RefCell<Vec<String>>);

    impl Transport for &Answer {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
            self.1.borrow_mut().push(request.url.clone());
            Ok(HttpResponse {
                status: 200,
                headers: vec![],
                body: self.0.to_string(),
            })
        }
    }

    // The caller search asks for end users only and never sends a `+` (Talk Partner Edition:
    // a phone search with a `+` finds no one); the last 9 digits, whatever the format.
    #[test]
    fn the_phone_search_asks_for_end_users_by_digits_without_a_plus() {
        assert_eq!(
            phone_search_query("+14155550123"),
            "role:end-user phone:*155550123"
        );
        assert_eq!(
            phone_search_query("+44 20 7946 0958"),
            "role:end-user phone:*079460958"
        );
        assert_eq!(phone_search_query("+3912"), "role:end-user phone:*3912");
        for n in ["+14155550123", "+390299990001", "+1 (555) 010-1100", "+"] {
            assert!(!phone_search_query(n).contains('+'), "{n}");
        }
        let zendesk = Answer(json!({"users": [], "next_page": null}), RefCell::default());
        block_on(Zendesk::new(&zendesk).users_by_phone("+14155550123")).unwrap();
        let url = zendesk.1.borrow()[0].clone();
        assert!(
            url.contains("query=role%3Aend-user%20phone%3A%2A155550123&"),
            "{url}"
        );
        assert!(!url.contains("%2B"), "{url}");
    }

    // Zendesk lists the system fields before the custom ones; `tickettype` and `priority` say
    // `removable: true`. Only custom fields come back, even one titled like a system field.
    #[test]
    fn ticket_fields_are_the_custom_ones_only() {
        let system = |id: u64, kind: &str, title: &str, removable: bool| json!({"id": id, "type": kind, "title": title, "active": true, "removable": removable});
        let zendesk = Answer(
            json!({"ticket_fields": [
                system(1, "subject", "Subject", false),
                system(2, "description", "Description", false),
                system(3, "status", "Status", false),
                system(4, "tickettype", "Type", true),
                system(5, "priority", "Priority", true),
                system(6, "group", "Group", false),
                system(7, "assignee", "Assignee", false),
                system(8, "custom_status", "Ticket status", false),
                {"id": 9, "type": "text", "title": "Number to dial", "removable": true},
                {"id": 10, "type": "tagger", "title": "Priority", "removable": true},
            ], "next_page": null}),
            RefCell::default(),
        );
        let fields = block_on(Zendesk::new(&zendesk).ticket_fields()).unwrap();
        let ids: Vec<u64> = fields.iter().map(|f| f.id).collect();
        assert_eq!(ids, vec![9, 10]);
        assert!(fields.iter().all(TicketField::is_custom));
    }
}
