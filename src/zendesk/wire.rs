//! Zendesk's JSON as it arrives, and its conversion to the domain's records.

use domain::crm::{Contact, Ticket, TicketOrigin, TicketStatus};
use serde::Deserialize;

/// A user as the API returns it (only the keys the adapter reads).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WireUser {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub shared_phone_number: Option<bool>,
    /// False for a user deleted (soft-deleted) but still shown by id.
    #[serde(default = "shown_active")]
    pub active: bool,
}

fn shown_active() -> bool {
    true
}

impl WireUser {
    pub fn into_contact(self) -> Contact {
        Contact {
            id: self.id,
            name: self.name,
            email: self.email,
            phone: self.phone.filter(|p| !p.is_empty()),
            other_phones: Vec::new(),
            external_id: self.external_id,
            created_at: self
                .created_at
                .as_deref()
                .and_then(parse_timestamp)
                .unwrap_or(0),
            shared_phone_number: self.shared_phone_number.unwrap_or(false),
        }
    }
}

/// A custom field value on a ticket.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WireField {
    pub id: u64,
    #[serde(default)]
    pub value: serde_json::Value,
}

/// A ticket as the API returns it.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WireTicket {
    pub id: u64,
    #[serde(default)]
    pub subject: Option<String>,
    pub status: TicketStatus,
    #[serde(default)]
    pub requester_id: Option<u64>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub custom_fields: Vec<WireField>,
}

impl WireTicket {
    pub fn into_ticket(self) -> Ticket {
        let created_at = self
            .created_at
            .as_deref()
            .and_then(parse_timestamp)
            .unwrap_or(0);
        Ticket {
            id: self.id,
            subject: self.subject.unwrap_or_default(),
            status: self.status,
            requester_id: self.requester_id.unwrap_or(0),
            created_at,
            updated_at: self
                .updated_at
                .as_deref()
                .and_then(parse_timestamp)
                .unwrap_or(created_at),
            origin: TicketOrigin::from_tags(&self.tags),
            custom_fields: self
                .custom_fields
                .into_iter()
                .map(|f| (f.id, f.value))
                .collect(),
            merged_into: None,
        }
    }
}

/// Parses Zendesk's UTC timestamps (`2024-05-01T10:00:00Z`, fractions and offsets allowed) into
/// unix seconds.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    domain::time::parse_iso8601(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("2024-05-01T10:00:00Z"), Some(1_714_557_600));
        assert_eq!(
            parse_timestamp("2024-01-17T18:31:18.123Z"),
            Some(1_705_516_278)
        );
        assert_eq!(
            parse_timestamp("2024-05-01T12:00:00+02:00"),
            Some(1_714_557_600)
        );
        assert_eq!(parse_timestamp("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("2024-13-01T00:00:00Z"), None);
    }

    #[test]
    fn unknown_keys_are_ignored_and_ids_are_64_bit() {
        let json = r#"{"id":16444799095826,"name":"Ann","phone":"+14155550100","photo":null,
            "created_at":"2024-05-01T10:00:00Z","user_fields":{"x":1},"role":"end-user"}"#;
        let user: WireUser = serde_json::from_str(json).unwrap();
        let contact = user.into_contact();
        assert_eq!(contact.id, 16_444_799_095_826);
        assert_eq!(contact.created_at, 1_714_557_600);
        let json = r#"{"id":4012,"status":"hold","requester_id":16444799095826,"subject":"S",
            "via":{"channel":"api"},"custom_fields":[{"id":360001,"value":"abc"}],"tags":[]}"#;
        let ticket: WireTicket = serde_json::from_str(json).unwrap();
        let ticket = ticket.into_ticket();
        assert_eq!(ticket.status, TicketStatus::Hold);
        assert_eq!(ticket.field(360001), Some(&serde_json::json!("abc")));
    }
}
