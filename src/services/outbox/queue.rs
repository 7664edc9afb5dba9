//! The platform's CRM write queue, and which writes go through it (Developer Settings).

use super::*;
use crate::zendesk::TicketChange;
use serde_json::{json, Value};

/// The platform's CRM write queue (`POST /crm/ops`): it batches Add Comment and Ticket Update
/// operations across all agents with the account's API token. A repeated key is accepted and
/// ignored, so a replay after a reload is safe without any check. It takes operations only for
/// tickets of the agent's own calls; a batch with any other is refused whole (403).
#[allow(async_fn_in_trait)]
pub trait CrmQueue {
    /// Queues operations, all of them or none.
    async fn queue(&self, ops: &[Value]) -> Result<(), QueueError>;
    /// True once the operation `key` has left the queue (written, or failed for good).
    async fn settled(&self, key: &str) -> Result<bool, String>;
    /// The recording link of the agent's call `call_id` (stored jobs keep none); `None` when the
    /// call has none or the platform no longer knows it.
    async fn recording_of(&self, call_id: u64) -> Result<Option<String>, String>;
    /// Tells the platform's directory about an end-user just created for `phone` (best effort:
    /// a lookup that misses it falls back on Zendesk's search).
    async fn contact_created(&self, _phone: &str, _user_id: u64) {}
}

/// Why the queue did not take a batch of operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueError {
    /// Not this time (no answer, a server error, signed out): the same batch may be taken later.
    Unavailable(String),
    /// Never (403: not a ticket of the agent's own calls, as the platform knows them). Nothing
    /// of the batch was queued: the write goes directly to Zendesk instead, where the agent's
    /// own rights decide.
    Refused(String),
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
    async fn queue(&self, _: &[Value]) -> Result<(), QueueError> {
        Err(QueueError::Unavailable("no CRM queue".into()))
    }
    async fn settled(&self, _: &str) -> Result<bool, String> {
        Ok(true)
    }
    async fn recording_of(&self, _: u64) -> Result<Option<String>, String> {
        Ok(None)
    }
}

impl<T: crate::http::Transport> CrmQueue for crate::platform::Platform<T> {
    async fn queue(&self, ops: &[Value]) -> Result<(), QueueError> {
        match self.queue_crm_ops(ops).await {
            Ok(_) => Ok(()),
            Err(crate::platform::PlatformError::Forbidden(why)) => Err(QueueError::Refused(why)),
            Err(e) => Err(QueueError::Unavailable(e.to_string())),
        }
    }
    async fn settled(&self, key: &str) -> Result<bool, String> {
        match self.crm_op_state(key).await {
            Ok(state) => Ok(state.is_settled()),
            // The queue does not know the key (a reset): nothing of it is waiting.
            Err(crate::platform::PlatformError::Refused(_)) => Ok(true),
            Err(e) => Err(e.to_string()),
        }
    }
    async fn contact_created(&self, phone: &str, user_id: u64) {
        let _ = self.report_contact(phone, user_id).await;
    }
    async fn recording_of(&self, call_id: u64) -> Result<Option<String>, String> {
        match self.call_info(call_id).await {
            Ok(call) => Ok(call.recording_url),
            // Not the agent's call, or gone: nothing to put back.
            Err(crate::platform::PlatformError::Refused(_)) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}
