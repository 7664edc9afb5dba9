//! Custom ticket fields for SDK sessions (FIELD-1 … FIELD-14).
//!
//! The Portal's "Create" (FIELD-13) makes one Zendesk ticket field per [`SessionField`]; their ids
//! come back as a [`FieldIds`] map. Two fields are written at session start, the rest at session
//! end (OQ-24); each session writes every field it owns, `null` when the value is not available,
//! so the ticket always shows the last session only (FIELD-3). Non-SDK sessions write nothing
//! (FIELD-2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::crm::{Channel, SessionPlatform};

/// One SDK session ticket field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionField {
    /// FIELD-4, start: "Call / Mobile" (OQ-23).
    SessionType,
    /// FIELD-5, start: the number used to place outbound calls.
    FromNumber,
    /// FIELD-6, end: seconds, hold included, queue wait excluded (OQ-22).
    CallDuration,
    /// FIELD-7, end: seconds from queue entry to agent connection.
    WaitTime,
    /// FIELD-8, end: last queue.
    QueueName,
    /// FIELD-9, end: the Platform's call or chat id.
    SessionId,
    /// FIELD-10, end: aggregate hold seconds.
    HoldTime,
    /// FIELD-11, end: CSAT 1–5.
    Csat,
    /// FIELD-12, end, mobile: verification Smart Action result.
    Verification,
    /// FIELD-12, end, mobile: customer text feedback.
    CustomerTextFeedback,
}

impl SessionField {
    /// Every field, in the order "Create" makes them.
    pub const ALL: [SessionField; 10] = [
        Self::SessionType,
        Self::FromNumber,
        Self::CallDuration,
        Self::WaitTime,
        Self::QueueName,
        Self::SessionId,
        Self::HoldTime,
        Self::Csat,
        Self::Verification,
        Self::CustomerTextFeedback,
    ];

    /// OQ-24: the two fields written when the session starts.
    pub fn at_start(self) -> bool {
        matches!(self, Self::SessionType | Self::FromNumber)
    }

    /// Title given to the Zendesk field on creation (FIELD-13)†.
    pub fn title(self) -> &'static str {
        match self {
            Self::SessionType => "Session Type",
            Self::FromNumber => "From Phone Number",
            Self::CallDuration => "Call Duration",
            Self::WaitTime => "Wait Time",
            Self::QueueName => "Queue Name",
            Self::SessionId => "Call/Chat ID",
            Self::HoldTime => "Hold Time",
            Self::Csat => "Customer Satisfaction Rating",
            Self::Verification => "Verification",
            Self::CustomerTextFeedback => "Customer Text Feedback",
        }
    }

    /// Zendesk field type (Anchors §1 #7).
    pub fn zendesk_type(self) -> &'static str {
        match self {
            Self::CallDuration | Self::WaitTime | Self::HoldTime | Self::Csat => "integer",
            Self::Verification => "checkbox",
            Self::CustomerTextFeedback => "textarea",
            _ => "text",
        }
    }
}

/// Field ids created in Zendesk, by session field (FIELD-13, FIELD-14: admins may reorder them;
/// ids do not change).
pub type FieldIds = BTreeMap<SessionField, u64>;

/// What is known about a session; times are unix seconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionFacts {
    /// Platform session id.
    pub session_id: String,
    /// Call or chat.
    pub channel: Option<Channel>,
    /// IVR, web, mobile or outbound.
    pub platform: Option<SessionPlatform>,
    /// Outbound caller ID.
    pub from_number: Option<String>,
    /// Entered the queue.
    pub queued_at: Option<i64>,
    /// Connected to an agent.
    pub connected_at: Option<i64>,
    /// Ended.
    pub ended_at: Option<i64>,
    /// Aggregate hold, seconds.
    pub hold_s: u64,
    /// Last queue.
    pub queue_name: Option<String>,
    /// CSAT score.
    pub csat: Option<u8>,
    /// Verification result (mobile).
    pub verification: Option<bool>,
    /// Customer text feedback (mobile).
    pub feedback: Option<String>,
}

/// OQ-23: channel and platform, e.g. "Call / Mobile", "Chat / Web".
pub fn session_type_value(channel: Channel, platform: SessionPlatform) -> String {
    let c = match channel {
        Channel::Call => "Call",
        Channel::Chat => "Chat",
    };
    let p = match platform {
        SessionPlatform::Ivr => "IVR",
        SessionPlatform::Web => "Web",
        SessionPlatform::Mobile => "Mobile",
        SessionPlatform::Outbound => "Outbound",
    };
    format!("{c} / {p}")
}

/// OQ-22: duration runs from connection to end (hold inside it, queue wait outside it).
pub fn call_duration_s(f: &SessionFacts) -> Option<u64> {
    Some(f.ended_at?.saturating_sub(f.connected_at?).max(0) as u64)
}

/// OQ-22: wait = queue entry to agent connection.
pub fn wait_time_s(f: &SessionFacts) -> Option<u64> {
    Some(f.connected_at?.saturating_sub(f.queued_at?).max(0) as u64)
}

fn value(field: SessionField, f: &SessionFacts) -> Value {
    let opt = |v: Option<Value>| v.unwrap_or(Value::Null);
    match field {
        SessionField::SessionType => opt(f
            .channel
            .zip(f.platform)
            .map(|(c, p)| json!(session_type_value(c, p)))),
        SessionField::FromNumber => opt(f.from_number.as_ref().map(|n| json!(n))),
        SessionField::CallDuration => opt(call_duration_s(f).map(|v| json!(v))),
        SessionField::WaitTime => opt(wait_time_s(f).map(|v| json!(v))),
        SessionField::QueueName => opt(f.queue_name.as_ref().map(|n| json!(n))),
        SessionField::SessionId => json!(f.session_id),
        SessionField::HoldTime => json!(f.hold_s),
        SessionField::Csat => opt(f.csat.map(|v| json!(v))),
        SessionField::Verification => opt(f.verification.map(|v| json!(v))),
        SessionField::CustomerTextFeedback => opt(f.feedback.as_ref().map(|n| json!(n))),
    }
}

fn fields(f: &SessionFacts, ids: &FieldIds, start: bool) -> Vec<(u64, Value)> {
    // FIELD-2: SDK sessions only.
    if !f.platform.is_some_and(SessionPlatform::is_sdk) {
        return Vec::new();
    }
    SessionField::ALL
        .into_iter()
        .filter(|field| field.at_start() == start)
        .filter_map(|field| ids.get(&field).map(|id| (*id, value(field, f))))
        .collect()
}

/// FIELD-4, FIELD-5: the values written when an SDK session starts.
pub fn start_fields(f: &SessionFacts, ids: &FieldIds) -> Vec<(u64, Value)> {
    fields(f, ids, true)
}

/// FIELD-6 … FIELD-12: the values written when an SDK session ends (null = not available,
/// overwriting the previous session's value, FIELD-3).
pub fn end_fields(f: &SessionFacts, ids: &FieldIds) -> Vec<(u64, Value)> {
    fields(f, ids, false)
}

/// A custom ticket field of the account, as Zendesk lists it: id, title, active.
pub type AccountField<'a> = (u64, &'a str, bool);

fn same_title(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// FIELD-13, FIELD-14: the session fields "Create" made, found among the account's fields by
/// their titles (admins may reorder them; a deactivated field is not written). The lowest id
/// wins when two active fields share a title.
pub fn discover(account: &[AccountField<'_>]) -> FieldIds {
    let mut ids = FieldIds::new();
    for field in SessionField::ALL {
        let found = account
            .iter()
            .filter(|(_, title, active)| *active && same_title(title, field.title()))
            .map(|(id, ..)| *id)
            .min();
        if let Some(id) = found {
            ids.insert(field, id);
        }
    }
    ids
}

/// UPD-12: the Portal's mapping resolved to field ids, for the keys whose field exists and is
/// active (by id, else by title); a key whose field is missing is left out, so the rules name it
/// as having no designated field (UPD-13).
pub fn mapping_ids(
    mapping: &[crate::settings::FieldMapping],
    account: &[AccountField<'_>],
) -> Vec<(String, u64)> {
    mapping
        .iter()
        .filter_map(|m| {
            let by_id = m.field.trim().parse::<u64>().ok();
            account
                .iter()
                .filter(|(_, _, active)| *active)
                .filter(|(id, title, _)| Some(*id) == by_id || same_title(title, &m.field))
                .map(|(id, ..)| *id)
                .min()
                .map(|id| (m.key.clone(), id))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> FieldIds {
        SessionField::ALL
            .iter()
            .enumerate()
            .map(|(i, f)| (*f, 100 + i as u64))
            .collect()
    }

    fn facts() -> SessionFacts {
        SessionFacts {
            session_id: "C-9".into(),
            channel: Some(Channel::Call),
            platform: Some(SessionPlatform::Mobile),
            from_number: Some("+15550002".into()),
            queued_at: Some(1_000),
            connected_at: Some(1_030),
            ended_at: Some(1_130),
            hold_s: 20,
            queue_name: Some("Billing".into()),
            csat: Some(5),
            verification: Some(true),
            feedback: Some("great".into()),
        }
    }

    // FIELD-1, FIELD-4, FIELD-5, OQ-23, OQ-24: start fields.
    #[test]
    fn start_values() {
        assert_eq!(
            start_fields(&facts(), &ids()),
            vec![(100, json!("Call / Mobile")), (101, json!("+15550002"))]
        );
        assert_eq!(
            session_type_value(Channel::Chat, SessionPlatform::Web),
            "Chat / Web"
        );
    }

    // FIELD-6 … FIELD-12, OQ-22: end fields.
    #[test]
    fn end_values() {
        let got: BTreeMap<u64, Value> = end_fields(&facts(), &ids()).into_iter().collect();
        assert_eq!(
            got[&102],
            json!(100),
            "FIELD-6: connection to end, hold inside"
        );
        assert_eq!(got[&103], json!(30), "FIELD-7: queue to connection");
        assert_eq!(got[&104], json!("Billing"), "FIELD-8");
        assert_eq!(got[&105], json!("C-9"), "FIELD-9");
        assert_eq!(got[&106], json!(20), "FIELD-10");
        assert_eq!(got[&107], json!(5), "FIELD-11");
        assert_eq!(got[&108], json!(true), "FIELD-12");
        assert_eq!(got[&109], json!("great"), "FIELD-12");
        assert_eq!(got.len(), 8);
    }

    // FIELD-13, FIELD-14: the created fields are found by title, whatever their order or case;
    // a deactivated one is not, and of two with one title the older (lower id) is.
    #[test]
    fn created_fields_are_found_by_title() {
        let account = [
            (900, "Priority note", true),
            (712, " call duration ", true),
            (705, "Call Duration", true),
            (640, "Queue Name", false),
            (650, "Customer Satisfaction Rating", true),
        ];
        let ids = discover(&account);
        assert_eq!(ids.get(&SessionField::CallDuration), Some(&705));
        assert_eq!(ids.get(&SessionField::Csat), Some(&650));
        assert_eq!(ids.get(&SessionField::QueueName), None, "deactivated");
        assert_eq!(ids.len(), 2);
    }

    // UPD-12, UPD-13: a mapping names its field by title or id; one whose field is missing or
    // deactivated is left out.
    #[test]
    fn mapping_resolves_to_existing_fields() {
        use crate::settings::FieldMapping;
        let m = |key: &str, field: &str| FieldMapping {
            key: key.into(),
            field: field.into(),
        };
        let account = [
            (300, "Loyalty tier", true),
            (301, "Old", false),
            (302, "Order", true),
        ];
        let mapping = [
            m("tier", "loyalty TIER"),
            m("order", "302"),
            m("old", "Old"),
            m("pet", "Pet name"),
        ];
        assert_eq!(
            mapping_ids(&mapping, &account),
            vec![("tier".to_owned(), 300), ("order".to_owned(), 302)]
        );
    }

    // FIELD-2: IVR and outbound sessions leave the fields alone.
    #[test]
    fn non_sdk_sessions_write_nothing() {
        for p in [SessionPlatform::Ivr, SessionPlatform::Outbound] {
            let f = SessionFacts {
                platform: Some(p),
                ..facts()
            };
            assert!(start_fields(&f, &ids()).is_empty() && end_fields(&f, &ids()).is_empty());
        }
    }

    // FIELD-3: a later session overwrites every field, with null where it has no value.
    #[test]
    fn last_session_wins() {
        let second = SessionFacts {
            session_id: "C-10".into(),
            csat: None,
            feedback: None,
            verification: None,
            ..facts()
        };
        let got: BTreeMap<u64, Value> = end_fields(&second, &ids()).into_iter().collect();
        assert_eq!(got[&105], json!("C-10"));
        assert_eq!(got[&107], Value::Null);
        assert_eq!(got.len(), 8, "every end field written");
    }

    // FIELD-13, FIELD-14: only created fields are written; types for creation.
    #[test]
    fn only_created_fields() {
        let mut some = FieldIds::new();
        some.insert(SessionField::Csat, 7);
        assert_eq!(end_fields(&facts(), &some), vec![(7, json!(5))]);
        assert_eq!(SessionField::Csat.zendesk_type(), "integer");
        assert_eq!(SessionField::SessionId.title(), "Call/Chat ID");
    }

    // FIELD-13, Anchors §1 #7: "Create" makes each field with its Zendesk type: numbers as
    // integers, the verification result as a checkbox, the customer's feedback as a text area,
    // the rest as text. Used to survive mutation testing: the checkbox and text area arms deleted
    // (both fell back to text).
    #[test]
    fn every_field_type() {
        let types: Vec<(&str, &str)> = SessionField::ALL
            .iter()
            .map(|f| (f.title(), f.zendesk_type()))
            .collect();
        assert_eq!(
            types,
            vec![
                ("Session Type", "text"),
                ("From Phone Number", "text"),
                ("Call Duration", "integer"),
                ("Wait Time", "integer"),
                ("Queue Name", "text"),
                ("Call/Chat ID", "text"),
                ("Hold Time", "integer"),
                ("Customer Satisfaction Rating", "integer"),
                ("Verification", "checkbox"),
                ("Customer Text Feedback", "textarea"),
            ]
        );
    }
}
