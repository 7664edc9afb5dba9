//! The Zendesk records the rules read: contacts (users) and tickets, reduced to what decides.
//!
//! Ids are 64-bit (Zendesk ids exceed 32 bits). Times are unix seconds, passed in. A Platform
//! ticket's origin (channel, menu selection) is carried by tags the Platform itself writes
//! ([`TicketOrigin::tags`]); AGENT-4 forbids depending on tags that account triggers add, and these
//! are not those.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::labels::Label;

/// A Zendesk ticket status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// `new`
    New,
    /// `open`
    Open,
    /// `pending`
    Pending,
    /// `hold` (On-hold)
    Hold,
    /// `solved`
    Solved,
    /// `closed`: terminal, any update is refused with 422.
    Closed,
}

impl TicketStatus {
    /// OQ-4: "open" means the open set {new, open, pending, hold} everywhere.
    pub fn is_open_set(self) -> bool {
        matches!(self, Self::New | Self::Open | Self::Pending | Self::Hold)
    }

    /// The catalogue entry naming the status.
    pub fn label(self) -> Label {
        match self {
            Self::New => Label::StatusNew,
            Self::Open => Label::StatusOpen,
            Self::Pending => Label::StatusPending,
            Self::Hold => Label::StatusHold,
            Self::Solved => Label::StatusSolved,
            Self::Closed => Label::StatusClosed,
        }
    }
}

/// Interaction type (OQ-37).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A phone call (IVR, SDK call, outbound, voicemail).
    Call,
    /// A chat.
    Chat,
}

/// Where a session came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionPlatform {
    /// Phone network through the IVR.
    Ivr,
    /// Web SDK.
    Web,
    /// Mobile SDK.
    Mobile,
    /// Placed by an agent.
    Outbound,
}

impl SessionPlatform {
    /// FIELD-2: only SDK sessions fill the session fields.
    pub fn is_sdk(self) -> bool {
        matches!(self, Self::Web | Self::Mobile)
    }
}

/// How the Platform created a ticket, read back from its own tags.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketOrigin {
    /// Channel of the session that created it (voicemail counts as call, OQ-28).
    pub channel: Channel,
    /// Menu selection (queue) of that session; empty for outbound.
    pub menu: String,
}

/// Tag prefix the Platform writes on tickets it creates.
pub const ORIGIN_TAG: &str = "ccaip";

impl TicketOrigin {
    /// The tags that record this origin on the ticket.
    pub fn tags(&self) -> Vec<String> {
        let channel = match self.channel {
            Channel::Call => "call",
            Channel::Chat => "chat",
        };
        let mut tags = vec![ORIGIN_TAG.to_owned(), format!("{ORIGIN_TAG}_{channel}")];
        if !self.menu.is_empty() {
            tags.push(format!("{ORIGIN_TAG}_menu_{}", slug(&self.menu)));
        }
        tags
    }

    /// Reads an origin back from tags; `None` when the Platform did not create the ticket.
    /// The menu comes back as its slug, so compare menus with [`TicketOrigin::same_menu`].
    pub fn from_tags(tags: &[String]) -> Option<Self> {
        if !tags.iter().any(|t| t == ORIGIN_TAG) {
            return None;
        }
        let channel = if tags.iter().any(|t| t == &format!("{ORIGIN_TAG}_chat")) {
            Channel::Chat
        } else {
            Channel::Call
        };
        let prefix = format!("{ORIGIN_TAG}_menu_");
        let menu = tags
            .iter()
            .find_map(|t| t.strip_prefix(&prefix))
            .unwrap_or_default()
            .to_owned();
        Some(Self { channel, menu })
    }

    /// Menu equality that survives the tag round trip.
    pub fn same_menu(&self, menu: &str) -> bool {
        slug(&self.menu) == slug(menu)
    }
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// A Zendesk user, as the rules need it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// User id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Primary email, if any.
    #[serde(default)]
    pub email: Option<String>,
    /// Default phone (`user.phone`), E.164 or as stored.
    #[serde(default)]
    pub phone: Option<String>,
    /// Other phone identities.
    #[serde(default)]
    pub other_phones: Vec<String>,
    /// SDK identifier (`external_id`), CONTACT-2.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Creation time, unix seconds.
    #[serde(default)]
    pub created_at: i64,
    /// `shared_phone_number`; such users still count individually (MATRIX-1).
    #[serde(default)]
    pub shared_phone_number: bool,
}

impl Contact {
    /// The default phone first, then the identities.
    pub fn phones(&self) -> impl Iterator<Item = &str> {
        self.phone
            .iter()
            .chain(self.other_phones.iter())
            .map(String::as_str)
    }
}

/// A Zendesk ticket, as the rules need it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Ticket id.
    pub id: u64,
    /// Subject.
    #[serde(default)]
    pub subject: String,
    /// Status.
    pub status: TicketStatus,
    /// Requester (the contact).
    pub requester_id: u64,
    /// Creation time, unix seconds.
    #[serde(default)]
    pub created_at: i64,
    /// Last update, unix seconds (shown in the chooser, UI-14).
    #[serde(default)]
    pub updated_at: i64,
    /// Set when the Platform created the ticket (UPD-1, UPD-3).
    #[serde(default)]
    pub origin: Option<TicketOrigin>,
    /// Custom field values, by field id (TEAM-19).
    #[serde(default)]
    pub custom_fields: Vec<(u64, serde_json::Value)>,
    /// When the ticket was closed by a merge: the ticket it was merged into (UPD-8).
    #[serde(default)]
    pub merged_into: Option<u64>,
}

impl Ticket {
    /// A plain ticket with the given id, status, requester and creation time.
    pub fn new(id: u64, status: TicketStatus, requester_id: u64, created_at: i64) -> Self {
        Self {
            id,
            subject: format!("Ticket {id}"),
            status,
            requester_id,
            created_at,
            updated_at: created_at,
            origin: None,
            custom_fields: Vec::new(),
            merged_into: None,
        }
    }

    /// The value of a custom field, if set.
    pub fn field(&self, field_id: u64) -> Option<&serde_json::Value> {
        self.custom_fields
            .iter()
            .find(|(id, _)| *id == field_id)
            .map(|(_, v)| v)
    }
}

/// OQ-5: "most recent" = `created_at` descending, ties broken by the higher ticket id.
pub fn most_recent_first(a: &Ticket, b: &Ticket) -> Ordering {
    b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id))
}

/// UI-15, TICKET-7: contacts most recently created first, ties by higher id.
pub fn newest_contact_first(a: &Contact, b: &Contact) -> Ordering {
    b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id))
}

/// The CRM records known for one decision. Lookups the caller made are complete for what they
/// asked: a ticket id absent here does not exist or is not visible (TEAM-10).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CrmState {
    /// Known users.
    pub contacts: Vec<Contact>,
    /// Known tickets.
    pub tickets: Vec<Ticket>,
    /// Users asked for by id that Zendesk answered it does not have (404): deleted, or merged
    /// into another user, since the agent's page showed them.
    #[serde(default)]
    pub gone: Vec<u64>,
}

impl CrmState {
    /// Whether Zendesk answered that user `id` does not exist (and no read found it since).
    pub fn is_gone(&self, id: u64) -> bool {
        self.gone.contains(&id) && self.contact(id).is_none()
    }

    /// The contact with this id.
    pub fn contact(&self, id: u64) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.id == id)
    }

    /// The ticket with this id.
    pub fn ticket(&self, id: u64) -> Option<&Ticket> {
        self.tickets.iter().find(|t| t.id == id)
    }

    /// MATRIX-1: contacts whose phone equals `e164` after normalisation, newest first.
    /// `region` parses stored numbers that lack a country code.
    pub fn contacts_with_number(&self, e164: &str, region: &str) -> Vec<&Contact> {
        let mut found: Vec<&Contact> = self
            .contacts
            .iter()
            .filter(|c| {
                c.phones()
                    .any(|p| crate::phone::same_number(p, e164, region))
            })
            .collect();
        found.sort_by(|a, b| newest_contact_first(a, b));
        found
    }

    /// MATRIX-2: the open-set tickets requested by `contact_id`, most recent first (OQ-5).
    pub fn open_tickets_of(&self, contact_id: u64) -> Vec<&Ticket> {
        let mut found: Vec<&Ticket> = self
            .tickets
            .iter()
            .filter(|t| t.requester_id == contact_id && t.status.is_open_set())
            .collect();
        found.sort_by(|a, b| most_recent_first(a, b));
        found
    }

    /// UPD-8, OQ-30: follows merges to the surviving ticket (cycle-safe).
    pub fn surviving_ticket(&self, id: u64) -> u64 {
        let mut current = id;
        for _ in 0..32 {
            match self.ticket(current).and_then(|t| t.merged_into) {
                Some(next) if next != current => current = next,
                _ => break,
            }
        }
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // OQ-4: the open set.
    #[test]
    fn open_set() {
        use TicketStatus::*;
        let open: Vec<_> = [New, Open, Pending, Hold, Solved, Closed]
            .into_iter()
            .filter(|s| s.is_open_set())
            .collect();
        assert_eq!(open, [New, Open, Pending, Hold]);
    }

    // OQ-5: created_at descending, ties by higher id.
    #[test]
    fn most_recent_ordering() {
        let crm = CrmState {
            contacts: vec![],
            tickets: vec![
                Ticket::new(1, TicketStatus::Open, 9, 100),
                Ticket::new(3, TicketStatus::Pending, 9, 200),
                Ticket::new(2, TicketStatus::New, 9, 200),
                Ticket::new(4, TicketStatus::Solved, 9, 300),
                Ticket::new(5, TicketStatus::Open, 8, 400),
            ],
            gone: Vec::new(),
        };
        let ids: Vec<u64> = crm.open_tickets_of(9).iter().map(|t| t.id).collect();
        assert_eq!(ids, [3, 2, 1]);
    }

    #[test]
    fn origin_tags_round_trip() {
        let o = TicketOrigin {
            channel: Channel::Chat,
            menu: "Sales > EU".into(),
        };
        let back = TicketOrigin::from_tags(&o.tags()).unwrap();
        assert_eq!(back.channel, Channel::Chat);
        assert!(back.same_menu("Sales > EU"));
        assert!(!back.same_menu("Support"));
        assert_eq!(TicketOrigin::from_tags(&["vip".into()]), None);
    }

    // UPD-2, OQ-28, AGENT-4: the origin tags are exactly these (the channel, the menu as a slug,
    // words joined by one `_`), and a call's tags read back as a call. Used to survive mutation
    // testing: `==` -> `!=` in the chat test (a call's ticket read back as a chat) and the `!`
    // deleted in the slug (menu words run together).
    #[test]
    fn origin_tags_exact() {
        let call = TicketOrigin {
            channel: Channel::Call,
            menu: "Main menu > Billing".into(),
        };
        assert_eq!(
            call.tags(),
            ["ccaip", "ccaip_call", "ccaip_menu_main_menu_billing"]
        );
        let back = TicketOrigin::from_tags(&call.tags()).unwrap();
        assert_eq!(back.channel, Channel::Call);
        assert!(back.same_menu("Main menu > Billing"));
        assert!(!back.same_menu("Mainmenu Billing"));
        let outbound = TicketOrigin {
            channel: Channel::Call,
            menu: String::new(),
        };
        assert_eq!(outbound.tags(), ["ccaip", "ccaip_call"]);
    }

    // UPD-8, OQ-30: merges are followed to the survivor, cycles do not hang.
    #[test]
    fn merge_chain() {
        let mut a = Ticket::new(1, TicketStatus::Closed, 9, 1);
        a.merged_into = Some(2);
        let mut b = Ticket::new(2, TicketStatus::Closed, 9, 1);
        b.merged_into = Some(3);
        let c = Ticket::new(3, TicketStatus::Open, 9, 1);
        let crm = CrmState {
            contacts: vec![],
            tickets: vec![a, b, c],
            gone: Vec::new(),
        };
        assert_eq!(crm.surviving_ticket(1), 3);
        assert_eq!(crm.surviving_ticket(3), 3);
        let mut x = Ticket::new(7, TicketStatus::Closed, 9, 1);
        x.merged_into = Some(8);
        let mut y = Ticket::new(8, TicketStatus::Closed, 9, 1);
        y.merged_into = Some(7);
        let crm = CrmState {
            contacts: vec![],
            tickets: vec![x, y],
            gone: Vec::new(),
        };
        let s = crm.surviving_ticket(7);
        assert!(s == 7 || s == 8);
    }
}
