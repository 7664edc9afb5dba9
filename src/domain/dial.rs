//! The dial screen as a state machine: entry point + agent edits + CRM data + settings ->
//! what the screen shows, and on Call a [`DialPlan`] or a [`DialError`].
//!
//! The screen is resolved afresh from its inputs every time (OUT-12): number, then contact, then
//! ticket, then whether Call is enabled. Nothing is cached, so changing the number or the contact
//! re-runs the later steps by construction. The service layer asks [`DialScreen::lookups`] what to
//! fetch from Zendesk, gathers it in a [`CrmState`], and renders [`DialScreen::view`].
//! Reads asked for and not answered yet are [`Pending`]: whatever depends on one shows that it is
//! loading and holds Call, so a slow search never turns an existing contact into "New contact".
//! Settings are read afresh each time the screen opens (SET-16): the screen opens with the last
//! settings known and holds Call until [`DialScreen::apply_settings`] brings the current ones;
//! a change saved while it is open applies from the next opening.

use serde::{Deserialize, Serialize};

use crate::comments;
use crate::crm::{Contact, CrmState, Ticket, TicketStatus};
use crate::labels::{Catalogue, Label};
use crate::phone::{self, Key, NotPossible, NumberBuffer, ParsedNumber, Validity};
use crate::settings::{team_entry_applies, Settings, Team};

/// How the dial screen was opened (FLOW-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryPoint {
    /// Manual dial from the adapter (FLOW-6).
    Keypad,
    /// Click-to-call on a user's phone number (FLOW-2): `voice.dialout {number, userId}`.
    Contact {
        /// The clicked number.
        number: String,
        /// The user clicked from.
        user_id: u64,
    },
    /// The Call menu of a ticket with one of the requester's numbers (FLOW-4).
    Ticket {
        /// The chosen number.
        number: String,
        /// The requester.
        user_id: u64,
        /// The ticket.
        ticket_id: u64,
    },
    /// The Call menu of a ticket, "Enter new number"† (FLOW-9).
    TicketNewNumber {
        /// The ticket.
        ticket_id: u64,
    },
}

/// One outbound number the agent may call from (UI-2, `GET /outbound/options`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundNumber {
    /// E.164 caller ID.
    pub number: String,
    /// Label shown in the selector.
    pub label: String,
    /// Queue it belongs to.
    pub queue_id: u64,
    /// Language the queue answers in.
    pub lang: String,
    /// The queue's default outbound number (OQ-33).
    pub default: bool,
}

/// The outbound numbers and languages offered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundOptions {
    /// Languages, in display order.
    pub languages: Vec<String>,
    /// Outbound numbers, in display order.
    pub numbers: Vec<OutboundNumber>,
}

/// The last choice an agent made, remembered per agent (OQ-33).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedChoice {
    /// Outbound number last used.
    pub outbound_number: Option<String>,
    /// Language last used.
    pub language: Option<String>,
}

/// OQ-33: outbound number = the remembered one if still offered, else the queue's default, else
/// the first; language = remembered, else the agent's language (their locale, matched by language,
/// then region: [`crate::labels::best_language`], preferring the outbound number's own language),
/// else the first offered.
pub fn default_outbound(
    options: &OutboundOptions,
    agent_language: &str,
    remembered: &RememberedChoice,
) -> (Option<String>, Option<String>) {
    let number = remembered
        .outbound_number
        .as_ref()
        .filter(|n| options.numbers.iter().any(|o| &o.number == *n))
        .cloned()
        .or_else(|| {
            options
                .numbers
                .iter()
                .find(|o| o.default)
                .map(|o| o.number.clone())
        })
        .or_else(|| options.numbers.first().map(|o| o.number.clone()));
    let offered =
        |l: &str| options.languages.is_empty() || options.languages.iter().any(|o| o == l);
    let number_language = number
        .as_ref()
        .and_then(|n| options.numbers.iter().find(|o| &o.number == n))
        .map(|o| o.lang.as_str());
    let agent = agent_language.trim();
    let language = remembered
        .language
        .clone()
        .filter(|l| offered(l))
        .or_else(|| {
            if options.languages.is_empty() {
                Some(agent.to_owned()).filter(|l| !l.is_empty())
            } else {
                crate::labels::best_language(agent, &options.languages, number_language)
                    .map(str::to_owned)
            }
        })
        .or_else(|| options.languages.first().cloned());
    (number, language)
}

/// Everything fixed when the screen opens (SET-16).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialContext {
    /// Settings as read when the screen opened.
    pub settings: Settings,
    /// The agent's team.
    pub team: Option<Team>,
    /// Default region for parsing typed numbers (agent or outbound number's country).
    pub region: String,
    /// The agent's language: their Zendesk locale (`it-IT`), matched to the offered call
    /// languages by language, then region (OQ-33).
    pub agent_language: String,
    /// Outbound numbers and languages.
    pub options: OutboundOptions,
    /// Last choice.
    pub remembered: RememberedChoice,
}

/// A ticket choice on the dial screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum TicketChoice {
    /// Append to this open ticket.
    Existing(u64),
    /// "New ticket"† / "Create a new ticket".
    New,
    /// "Do not create a ticket" (OUT-10).
    DoNotCreate,
}

/// A contact choice on the dial screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ContactChoice {
    /// This Zendesk user.
    Existing(u64),
    /// "New contact"† (MATRIX-0.0).
    New,
}

/// How the Contact ID field behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactMode {
    /// No number yet: nothing to show.
    AwaitingNumber,
    /// Filled and read-only (context, single match or designated).
    Fixed,
    /// "New contact"†.
    New,
    /// The contact chooser (UI-15).
    Chooser,
    /// The search that names the contact has not answered yet.
    Loading,
}

/// One entry of the contact chooser (UI-15).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactOption {
    /// User id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// Creation time, unix seconds.
    pub created_at: i64,
}

/// The Contact ID field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactControl {
    /// Behaviour.
    pub mode: ContactMode,
    /// Chooser entries, newest first; the fixed contact alone otherwise.
    pub options: Vec<ContactOption>,
    /// The current value; `None` until chosen.
    pub selected: Option<ContactChoice>,
    /// Text shown in the field.
    pub text: String,
}

/// How the Ticket ID field behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketMode {
    /// Hidden (SET-11, OQ-6); "Do not create a ticket" may still be offered in its place.
    Hidden,
    /// The contact is not resolved yet.
    AwaitingContact,
    /// Filled and read-only (SET-2, context ticket, "New ticket"†).
    ReadOnly,
    /// The ticket chooser (SET-3, UI-14).
    Chooser,
    /// The contact's open tickets have not been read yet.
    Loading,
    /// Free entry (TEAM-4, OQ-18).
    Entry {
        /// TEAM-5.
        required: bool,
    },
}

/// One entry of the ticket chooser (UI-14).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketOption {
    /// What picking it means.
    pub choice: TicketChoice,
    /// Text: `#id subject` for tickets, the label otherwise.
    pub label: String,
    /// Status, for tickets.
    pub status: Option<TicketStatus>,
    /// Last update, for tickets.
    pub updated_at: Option<i64>,
}

/// The Ticket ID field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketControl {
    /// Behaviour.
    pub mode: TicketMode,
    /// What the agent may pick, in display order.
    pub options: Vec<TicketOption>,
    /// The current value; `None` until chosen.
    pub selected: Option<TicketChoice>,
    /// The free-entry text (TEAM-4).
    pub entry_text: String,
}

/// Why Call is disabled or was refused, with the message the agent sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DialError {
    /// UI-4: nothing to call.
    #[error("no number")]
    NoNumber,
    /// UI-4 with team ticket entry, the Ticket ID optional: nothing to call, and a Ticket ID
    /// would give the number (TEAM-6).
    #[error("no number or ticket id")]
    NoNumberOrTicketId,
    /// UI-7: not a callable number.
    #[error("number not possible: {reason}")]
    NumberNotPossible {
        /// Why.
        reason: NotPossible,
    },
    /// UI-11, OQ-14: a contact must be chosen.
    #[error("choose a contact")]
    ContactNotChosen,
    /// UI-11, SET-3: a ticket must be chosen.
    #[error("choose a ticket")]
    TicketNotChosen,
    /// SET-9, FLOW-11: unsaved numbers are refused.
    #[error("unsaved number refused")]
    UnsavedNumberDisabled,
    /// SET-10: the checkbox must be ticked to call an unsaved number.
    #[error("unsaved number needs the checkbox")]
    UnsavedNumberNeedsCheckbox,
    /// TEAM-16.
    #[error("enter new number is incompatible with team ticket entry")]
    TeamEnterNewNumber,
    /// TEAM-17.
    #[error("click-to-call is incompatible with team ticket entry")]
    TeamClickToCall,
    /// TEAM-5.
    #[error("ticket id required")]
    TicketIdRequired,
    /// The Ticket ID typed is not a number.
    #[error("ticket id invalid")]
    TicketIdInvalid,
    /// TEAM-10.
    #[error("ticket {id} not found")]
    TicketNotFound {
        /// The id entered.
        id: u64,
    },
    /// TEAM-9, OQ-21.
    #[error("ticket {id} is {status:?}")]
    TicketNotUsable {
        /// The id entered.
        id: u64,
        /// Its status.
        status: TicketStatus,
    },
    /// TEAM-20, OQ-20.
    #[error("ticket {id} has no valid number in field {field_id}")]
    TicketFieldEmpty {
        /// The ticket.
        id: u64,
        /// The configured field.
        field_id: u64,
    },
    /// TEAM-6: the requester has no phone.
    #[error("requester of ticket {id} has no phone")]
    RequesterNoPhone {
        /// The ticket.
        id: u64,
    },
    /// SET-10: the Contact ID typed names no contact in Zendesk.
    #[error("contact {id} not found")]
    ContactNotFound {
        /// The id typed.
        id: u64,
    },
    /// TEAM-14: nothing to call from.
    #[error("no outbound number")]
    NoOutboundNumber,
    /// A read the plan depends on has not answered (the contact's search, its open tickets, the
    /// context ticket, the settings): Call waits, and no refusal or "New contact" is shown
    /// before it is known.
    #[error("contact loading")]
    ContactLoading,
}

impl DialError {
    /// The message shown to the agent, in the catalogue's language.
    pub fn message(&self, cat: &Catalogue) -> String {
        match self {
            Self::NoNumber => cat.get(Label::ErrNoNumber).to_owned(),
            Self::NoNumberOrTicketId => cat.get(Label::ErrNoNumberOrTicketId).to_owned(),
            Self::NumberNotPossible { .. } => cat.get(Label::ErrNumberNotPossible).to_owned(),
            Self::ContactNotChosen => cat.get(Label::ErrChooseContact).to_owned(),
            Self::TicketNotChosen => cat.get(Label::ErrChooseTicket).to_owned(),
            Self::UnsavedNumberDisabled => cat.get(Label::ErrUnsavedNumberDisabled).to_owned(),
            Self::UnsavedNumberNeedsCheckbox => cat.get(Label::ErrUnsavedNumberTickBox).to_owned(),
            Self::TeamEnterNewNumber => cat.get(Label::ErrTeamEnterNewNumber).to_owned(),
            Self::TeamClickToCall => cat.get(Label::ErrTeamClickToCall).to_owned(),
            Self::TicketIdRequired => cat.get(Label::ErrTicketIdRequired).to_owned(),
            Self::TicketIdInvalid => cat.get(Label::ErrTicketIdInvalid).to_owned(),
            Self::TicketNotFound { id } => cat.fill(Label::ErrTicketNotFound, &[("id", id)]),
            Self::ContactNotFound { id } => cat.fill(Label::ErrContactNotFound, &[("id", id)]),
            // The status said as a word of the sentence ("is solved", "è risolto"): the status
            // names are written as the ticket's adjective, capitalised for a column.
            Self::TicketNotUsable { id, status } => cat.fill(
                Label::ErrTicketNotUsable,
                &[
                    ("id", id),
                    ("status", &cat.get(status.label()).to_lowercase()),
                ],
            ),
            Self::TicketFieldEmpty { id, .. } => {
                cat.fill(Label::ErrTicketFieldEmpty, &[("id", id)])
            }
            Self::RequesterNoPhone { id } => cat.fill(Label::ErrRequesterNoPhone, &[("id", id)]),
            Self::NoOutboundNumber => cat.get(Label::ErrNoOutboundNumber).to_owned(),
            Self::ContactLoading => cat.get(Label::LookingUp).to_owned(),
        }
    }

    /// UI-16: errors shown as a banner plus a Zendesk notification (the rest are inline hints
    /// while the agent completes the screen).
    pub fn is_banner(&self) -> bool {
        matches!(
            self,
            Self::UnsavedNumberDisabled
                | Self::TeamEnterNewNumber
                | Self::TeamClickToCall
                | Self::TicketNotFound { .. }
                | Self::TicketNotUsable { .. }
                | Self::TicketFieldEmpty { .. }
                | Self::RequesterNoPhone { .. }
        )
    }
}

/// The contact a call is associated with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ContactPlan {
    /// An existing user.
    Existing {
        /// User id.
        id: u64,
    },
    /// CONTACT-7, CONTACT-8: create an end-user with the E.164 number.
    New {
        /// E.164 phone.
        phone: String,
        /// Temporary name, e.g. "Caller +15551234567".
        name: String,
    },
    /// OUT-10: "Do not create a ticket" for an unknown number: no contact either.
    None,
}

/// The ticket a call is associated with (`POST /calls` `ticket`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TicketPlan {
    /// Append to this ticket and set it Open (UPD-3, OQ-11).
    Existing {
        /// Ticket id.
        id: u64,
    },
    /// Create a ticket (TEAM-1, TICKET-8).
    New,
    /// OUT-10: nothing is stored.
    None,
}

/// What Call places, and what the Platform will write for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialPlan {
    /// E.164 number to call.
    pub to: String,
    /// Extension to send as DTMF after connection.
    pub extension: Option<String>,
    /// Caller ID (UI-2).
    pub outbound_number: String,
    /// Language (UI-2).
    pub language: String,
    /// Contact association.
    pub contact: ContactPlan,
    /// Ticket association.
    pub ticket: TicketPlan,
    /// "Use entered number to make call" was used (FLOW-10).
    pub entered_number: bool,
    /// Internal comments to add to the ticket once resolved (FLOW-10 dialled number).
    pub comments: Vec<String>,
}

/// What the service must fetch before the screen can be resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookups {
    /// Search users by this E.164 number (FLOW-7).
    pub number: Option<String>,
    /// Fetch these users and their open tickets.
    pub users: Vec<u64>,
    /// Fetch these tickets (and their requesters).
    pub tickets: Vec<u64>,
}

/// Reads asked for and not answered yet (the service's side of [`Lookups`]). A lookup that
/// failed stays pending while it is retried: nothing is decided on a read that did not answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Phone searches under way (E.164).
    pub numbers: Vec<String>,
    /// Users whose record or open tickets are being read.
    pub users: Vec<u64>,
    /// Tickets being read.
    pub tickets: Vec<u64>,
}

impl Pending {
    /// Nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty() && self.users.is_empty() && self.tickets.is_empty()
    }
}

/// The whole screen as rendered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialView {
    /// Text of the number display (placeholder when empty, UI-4).
    pub number_text: String,
    /// The display shows the placeholder.
    pub number_placeholder: bool,
    /// The number comes from a ticket and cannot be edited (TEAM-6).
    pub number_read_only: bool,
    /// UI-7 warning for a possible-but-not-valid number.
    pub number_warning: Option<String>,
    /// FLOW-11: the designated contact's stored numbers, offered instead.
    pub stored_numbers: Vec<String>,
    /// UI-8: `None` = hidden, `Some(checked)`.
    pub use_entered_number: Option<bool>,
    /// UI-9.
    pub contact: ContactControl,
    /// The contact asked for (a click-to-call's user) is no longer in Zendesk, deleted or
    /// merged away: the number decided the contact instead. Said under the contact.
    pub contact_notice: Option<String>,
    /// SET-10, MATRIX-0.0: on the keypad, the agent may name the contact by its Contact ID for
    /// a number no contact has (or change the one named): the call then goes on that
    /// contact's ticket, the number left off the contact (CONTACT-6, FLOW-10).
    pub contact_editable: bool,
    /// UI-10.
    pub ticket: TicketControl,
    /// UI-2 selection.
    pub outbound_number: Option<String>,
    /// UI-2 selection.
    pub language: Option<String>,
    /// UI-11.
    pub call_enabled: bool,
    /// Why Call is disabled.
    pub blocker: Option<DialError>,
    /// The blocker's message.
    pub message: Option<String>,
}

/// The dial screen's state: the entry point and what the agent changed since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialScreen {
    entry: EntryPoint,
    ctx: DialContext,
    buffer: NumberBuffer,
    contact_pick: Option<u64>,
    designated: Option<u64>,
    ticket_pick: Option<TicketChoice>,
    use_entered_number: bool,
    ticket_id_text: String,
    outbound_number: Option<String>,
    language: Option<String>,
    /// False from [`DialScreen::expect_settings`] until the current settings are applied.
    #[serde(default = "yes")]
    settings_current: bool,
    /// UI-7: the number is judged (its refusal shown) once the agent is done with it (Next,
    /// leaving the field, Enter, a paste or a number given by Zendesk), not on every key.
    #[serde(default = "yes")]
    number_judged: bool,
    /// TEAM-4: the agent is typing in the Ticket ID entry: the id is neither read nor judged
    /// until they pause ([`DialScreen::settle_ticket_id`]), so an id typed digit by digit is one
    /// read, and no digit on the way is refused as "not found".
    #[serde(default)]
    ticket_id_typing: bool,
}

fn yes() -> bool {
    true
}

/// The agent's work on a dial screen, without its context (no settings, no options): what a
/// reload keeps ([`DialScreen::work`], [`DialScreen::resume`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialWork {
    entry: EntryPoint,
    buffer: NumberBuffer,
    contact_pick: Option<u64>,
    designated: Option<u64>,
    ticket_pick: Option<TicketChoice>,
    use_entered_number: bool,
    ticket_id_text: String,
    outbound_number: Option<String>,
    language: Option<String>,
    number_judged: bool,
    /// The country typed numbers are read in (the picker's, UI-7).
    #[serde(default)]
    region: Option<String>,
}

impl DialWork {
    /// True when the screen goes back to the keypad: the agent was still typing the number
    /// (not judged yet), or nothing is typed, chosen or entered on a keypad screen. Else it
    /// shows the choices, as after Next.
    pub fn on_keypad(&self) -> bool {
        let keypad_entry = matches!(
            self.entry,
            EntryPoint::Keypad | EntryPoint::TicketNewNumber { .. }
        );
        keypad_entry
            && (!self.number_judged
                || (self.buffer.is_empty()
                    && self.contact_pick.is_none()
                    && self.ticket_pick.is_none()
                    && self.ticket_id_text.trim().is_empty()))
    }
}

/// Where the number shown comes from.
enum NumberSource {
    Parsed(ParsedNumber),
    Empty,
    Bad(NotPossible),
}

struct Resolved {
    number: NumberSource,
    number_read_only: bool,
    stored_numbers: Vec<String>,
    use_entered_number: Option<bool>,
    /// The number is not stored on the call's contact, a designated one (FLOW-10): only then
    /// does a ticked "Use entered number" mean anything, and the ticket is told the number.
    number_unsaved: bool,
    contact: ContactControl,
    contact_plan: Option<ContactPlan>,
    ticket: TicketControl,
    blocker: Option<DialError>,
    /// The contact asked for by id that Zendesk no longer has (the number decided instead).
    gone_contact: Option<u64>,
}

/// TEAM-4: a Ticket ID as typed: digits `[1-9][0-9]{0,18}`, optionally after one `#` (as
/// Zendesk prints ids). `0`, `+12`, `007`, `1e3` and ids past 19 digits are not ticket ids.
pub fn parse_ticket_id(text: &str) -> Option<u64> {
    let digits = text.trim();
    let digits = digits.strip_prefix('#').unwrap_or(digits);
    let valid = (1..=19).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    valid.then(|| digits.parse().ok()).flatten()
}

impl DialScreen {
    /// Opens the screen (UI-13) for an entry point, with the context fixed at opening (SET-16).
    pub fn open(entry: EntryPoint, ctx: DialContext) -> Self {
        let buffer = match &entry {
            EntryPoint::Contact { number, .. } | EntryPoint::Ticket { number, .. } => {
                NumberBuffer::from_text(number)
            }
            _ => NumberBuffer::default(),
        };
        let ticket_id_text = match &entry {
            // TEAM-15: the ticket's Call menu fills the Ticket ID.
            EntryPoint::Ticket { ticket_id, .. } | EntryPoint::TicketNewNumber { ticket_id } => {
                ticket_id.to_string()
            }
            _ => String::new(),
        };
        // FLOW-9, OQ-2: "Enter new number" pre-ticks the checkbox when SET-10 applies.
        let use_entered_number = matches!(entry, EntryPoint::TicketNewNumber { .. })
            && ctx.settings.operation.allow_use_entered_number;
        let (outbound_number, language) =
            default_outbound(&ctx.options, &ctx.agent_language, &ctx.remembered);
        Self {
            entry,
            ctx,
            buffer,
            contact_pick: None,
            designated: None,
            ticket_pick: None,
            use_entered_number,
            ticket_id_text,
            outbound_number,
            language,
            settings_current: true,
            number_judged: true,
            ticket_id_typing: false,
        }
    }

    /// The agent's work on this screen, when there is any (a number typed, a choice made, a
    /// Ticket ID, or a screen Zendesk opened on a contact or a ticket): what a reload in the
    /// middle of it must not lose.
    pub fn work(&self) -> Option<DialWork> {
        let blank = matches!(self.entry, EntryPoint::Keypad)
            && self.buffer.is_empty()
            && self.buffer.extension().is_none()
            && self.contact_pick.is_none()
            && self.designated.is_none()
            && self.ticket_pick.is_none()
            && self.ticket_id_text.trim().is_empty();
        (!blank).then(|| DialWork {
            entry: self.entry.clone(),
            buffer: self.buffer.clone(),
            contact_pick: self.contact_pick,
            designated: self.designated,
            ticket_pick: self.ticket_pick,
            use_entered_number: self.use_entered_number,
            ticket_id_text: self.ticket_id_text.clone(),
            outbound_number: self.outbound_number.clone(),
            language: self.language.clone(),
            number_judged: self.number_judged,
            region: Some(self.ctx.region.clone()),
        })
    }

    /// The screen the agent was working on, opened again (after a reload) with the context as
    /// it is now: the settings, team and outbound numbers of now (read again at opening, as for
    /// any screen: SET-16), the agent's work as it was. An outbound number or language no longer
    /// offered falls back to the default.
    pub fn resume(work: DialWork, ctx: DialContext) -> Self {
        let mut screen = Self::open(work.entry, ctx);
        // The country the agent picked (nothing re-resolved: the number and choices follow).
        if let Some(region) = work.region.filter(|r| phone::is_known_region(r)) {
            screen.ctx.region = region;
        }
        let offered = |n: &String| screen.ctx.options.numbers.iter().any(|o| o.number == *n);
        if work.outbound_number.as_ref().is_some_and(offered) {
            screen.outbound_number = work.outbound_number;
        }
        if work
            .language
            .as_ref()
            .is_some_and(|l| screen.ctx.options.languages.contains(l))
        {
            screen.language = work.language;
        }
        screen.buffer = work.buffer;
        screen.contact_pick = work.contact_pick;
        screen.designated = work.designated;
        screen.ticket_pick = work.ticket_pick;
        screen.use_entered_number = work.use_entered_number;
        screen.ticket_id_text = work.ticket_id_text;
        screen.number_judged = work.number_judged;
        screen
    }

    /// SET-16: the settings are being read again; Call waits for them.
    pub fn expect_settings(&mut self) {
        self.settings_current = false;
    }

    /// SET-16: the settings (and the agent's team) as they are now, read as the screen opened.
    /// Choices the new settings no longer offer are dropped by the next view.
    pub fn apply_settings(&mut self, settings: Settings, team: Option<Team>) {
        if settings != self.ctx.settings || team != self.ctx.team {
            if matches!(self.entry, EntryPoint::TicketNewNumber { .. }) {
                self.use_entered_number = settings.operation.allow_use_entered_number;
            }
            self.ctx.settings = settings;
            self.ctx.team = team;
        }
        self.settings_current = true;
    }

    /// True while the settings read at opening has not answered.
    pub fn awaiting_settings(&self) -> bool {
        !self.settings_current
    }

    /// SET-16: a keypad the agent has not begun to use (nothing typed, nothing picked, no Ticket
    /// ID) and whose own settings read has answered. Nothing on it is the agent's work, so it
    /// can take settings saved since it opened as if it opened now: an agent who waits on the
    /// keypad after sign-in is not left with the settings of sign-in until a Cancel or a call.
    /// The outbound number and language stay as the agent set them (they are not settings).
    pub fn untouched(&self) -> bool {
        matches!(self.entry, EntryPoint::Keypad)
            && self.settings_current
            && self.buffer.is_empty()
            && self.buffer.extension().is_none()
            && self.contact_pick.is_none()
            && self.designated.is_none()
            && self.ticket_pick.is_none()
            && self.ticket_id_text.trim().is_empty()
    }

    /// UI-7: the agent is done with the number (Next, the field left, Enter): a number that
    /// cannot be called is now said so.
    pub fn judge_number(&mut self) {
        self.number_judged = true;
    }

    /// The settings the screen applies.
    pub fn settings(&self) -> &Settings {
        &self.ctx.settings
    }

    /// The entry point.
    pub fn entry(&self) -> &EntryPoint {
        &self.entry
    }

    /// The number buffer.
    pub fn buffer(&self) -> &NumberBuffer {
        &self.buffer
    }

    fn number_changed(&mut self) {
        // OUT-12: a new number re-runs the contact and ticket steps.
        self.contact_pick = None;
        self.ticket_pick = None;
    }

    /// Types a key (UI-5).
    pub fn press(&mut self, key: Key) -> bool {
        let accepted = self.buffer.press(key);
        if accepted {
            self.number_changed();
            self.number_judged = false;
        }
        accepted
    }

    /// Deletes the last character.
    pub fn backspace(&mut self) {
        self.buffer.backspace();
        self.number_changed();
        self.number_judged = false;
    }

    /// Replaces the number with pasted or given text (UI-5, UI-7): a whole number, judged at once.
    pub fn set_number(&mut self, text: &str) {
        self.buffer = NumberBuffer::from_text(text);
        self.number_changed();
        self.number_judged = true;
    }

    /// The number field's text as the agent types it: judged once they are done (UI-7).
    pub fn type_number(&mut self, text: &str) {
        self.buffer = NumberBuffer::from_text(text);
        self.number_changed();
        self.number_judged = false;
    }

    /// FLOW-11: picks one of the designated contact's stored numbers.
    pub fn pick_stored_number(&mut self, number: &str) {
        self.set_number(number);
    }

    /// UI-15: picks a contact in the chooser.
    pub fn choose_contact(&mut self, id: u64) {
        // The contact chosen again (Enter on the list's chosen entry) keeps the ticket chosen
        // for them: "Do not create a ticket" went back to a new ticket.
        if self.contact_pick == Some(id) {
            return;
        }
        self.contact_pick = Some(id);
        self.ticket_pick = None;
    }

    /// The contact the agent designated by its Contact ID (SET-10), if any.
    pub fn designated(&self) -> Option<u64> {
        self.designated
    }

    /// MATRIX-0.1: the contact designated by its Contact ID, while the number `e164` is stored
    /// on no contact known; a number (edited since) a contact has decides the contact as from
    /// the keypad, not the one named for another number.
    fn designation(&self, crm: &CrmState, e164: Option<&str>) -> Option<u64> {
        let region = &self.ctx.region;
        self.designated
            .filter(|_| e164.is_none_or(|n| crm.contacts_with_number(n, region).is_empty()))
    }

    /// UI-9: the agent types a Contact ID, designating a contact for the number (MATRIX-0.1);
    /// `None` designates none again.
    pub fn designate_contact(&mut self, id: Option<u64>) {
        self.designated = id;
        self.ticket_pick = None;
    }

    /// UI-14: picks a ticket choice.
    pub fn choose_ticket(&mut self, choice: TicketChoice) {
        self.ticket_pick = Some(choice);
    }

    /// UI-8: ticks or unticks "Use entered number to make call".
    pub fn set_use_entered_number(&mut self, on: bool) {
        self.use_entered_number = on;
    }

    /// TEAM-4: the text in the Ticket ID entry, complete (pasted, or given whole).
    pub fn set_ticket_id_text(&mut self, text: &str) {
        self.ticket_id_text = text.trim().to_owned();
        self.ticket_id_typing = false;
    }

    /// TEAM-4: the text in the Ticket ID entry as the agent types it: not read nor judged until
    /// [`DialScreen::settle_ticket_id`] (Call waits meanwhile).
    pub fn type_ticket_id_text(&mut self, text: &str) {
        self.ticket_id_text = text.trim().to_owned();
        self.ticket_id_typing = true;
    }

    /// True while the Ticket ID entry is being typed in (see [`DialScreen::settle_ticket_id`]).
    pub fn ticket_id_typing(&self) -> bool {
        self.ticket_id_typing
    }

    /// The agent paused in the Ticket ID entry, left it or pressed Enter: the id typed is read
    /// and judged. True when it was being typed (something changes).
    pub fn settle_ticket_id(&mut self) -> bool {
        std::mem::replace(&mut self.ticket_id_typing, false)
    }

    /// UI-2: picks the outbound number.
    pub fn set_outbound_number(&mut self, number: &str) {
        self.outbound_number = Some(number.to_owned());
    }

    /// UI-2: picks the language.
    pub fn set_language(&mut self, language: &str) {
        self.language = Some(language.to_owned());
    }

    /// UI-7: the country picker: numbers typed without a country code are read in `region`
    /// (ISO 3166 code, e.g. `IT`); an unknown code is ignored. Changing it re-resolves the
    /// number, so the contact and ticket choices are made again (OUT-12).
    pub fn set_region(&mut self, region: &str) {
        let region = region.trim().to_ascii_uppercase();
        if phone::is_known_region(&region) && region != self.ctx.region {
            self.ctx.region = region;
            self.number_changed();
        }
    }

    /// The region typed numbers are read in.
    pub fn region(&self) -> &str {
        &self.ctx.region
    }

    /// What the choice to remember is, after a call (OQ-33).
    pub fn remembered(&self) -> RememberedChoice {
        RememberedChoice {
            outbound_number: self.outbound_number.clone(),
            language: self.language.clone(),
        }
    }

    fn team_mode(&self) -> bool {
        team_entry_applies(&self.ctx.settings, self.ctx.team.as_ref())
    }

    fn team_ticket_id(&self) -> Option<Result<u64, DialError>> {
        if self.ticket_id_text.is_empty() {
            return None;
        }
        Some(parse_ticket_id(&self.ticket_id_text).ok_or(DialError::TicketIdInvalid))
    }

    /// What to fetch from Zendesk for the current state.
    pub fn lookups(&self) -> Lookups {
        let mut l = Lookups::default();
        // The E.164 form only: the search leaves before the number's validity is judged.
        if let Ok(e164) = phone::normalize(&self.buffer.to_parse_input(), &self.ctx.region) {
            l.number = Some(e164);
        }
        match &self.entry {
            EntryPoint::Contact { user_id, .. } | EntryPoint::Ticket { user_id, .. } => {
                l.users.push(*user_id)
            }
            _ => {}
        }
        match &self.entry {
            EntryPoint::Ticket { ticket_id, .. } | EntryPoint::TicketNewNumber { ticket_id } => {
                l.tickets.push(*ticket_id)
            }
            _ => {}
        }
        if let Some(Ok(id)) = self.team_ticket_id().filter(|_| !self.ticket_id_typing) {
            if !l.tickets.contains(&id) {
                l.tickets.push(id);
            }
        }
        l.users.extend(
            self.designated
                .iter()
                .chain(self.contact_pick.iter())
                .copied(),
        );
        l.users.dedup();
        l
    }

    /// Renders the screen from the CRM data fetched for [`DialScreen::lookups`], all answered.
    pub fn view(&self, crm: &CrmState, cat: &Catalogue) -> DialView {
        self.view_with(crm, &Pending::default(), cat)
    }

    /// Renders the screen while the reads in `pending` have not answered.
    pub fn view_with(&self, crm: &CrmState, pending: &Pending, cat: &Catalogue) -> DialView {
        let r = self.resolve(crm, pending, cat);
        let (number_text, number_placeholder, number_warning) = match &r.number {
            NumberSource::Parsed(p) => (
                match &p.extension {
                    Some(ext) => phone::with_extension(
                        p.display(&self.ctx.region),
                        cat.get(Label::ExtensionMarker),
                        ext,
                    ),
                    None => p.display(&self.ctx.region).to_owned(),
                },
                false,
                (p.validity == Validity::PossibleNotValid)
                    .then(|| cat.get(Label::WarnNumberNotValid).to_owned()),
            ),
            NumberSource::Empty => (cat.get(Label::NumberPlaceholder).to_owned(), true, None),
            NumberSource::Bad(_) => (
                self.buffer.display(cat.get(Label::ExtensionMarker)),
                false,
                None,
            ),
        };
        // TEAM-6: a Ticket ID's number stands in for a number the agent typed; the typed one is
        // kept, and comes back when the Ticket ID is cleared. Said first, so that the change of
        // number is not a surprise (a doubt about the ticket's number follows).
        // (A clicked contact's number is no number the agent typed: team entry refuses that
        // click, and clearing the Ticket ID brings the refusal back, not a number to call.)
        let replaced = match &r.number {
            NumberSource::Parsed(from_ticket) => {
                r.number_read_only
                    && !self.buffer.is_empty()
                    && !matches!(self.entry, EntryPoint::Contact { .. })
                    && !matches!(self.parse_buffer(), NumberSource::Parsed(p) if p.e164 == from_ticket.e164)
            }
            _ => false,
        };
        let number_warning = match (replaced, number_warning) {
            (false, warning) => warning,
            (true, None) => Some(cat.get(Label::NoteTicketNumberReplacesTyped).to_owned()),
            (true, Some(warning)) => Some(format!(
                "{} {warning}",
                cat.get(Label::NoteTicketNumberReplacesTyped)
            )),
        };
        // The settings decide every choice below: while they are read, nothing else is said.
        let blocker = if self.awaiting_settings() {
            Some(DialError::ContactLoading)
        } else {
            r.blocker.clone().or_else(|| {
                self.outbound_number
                    .is_none()
                    .then_some(DialError::NoOutboundNumber)
            })
        };
        // UI-7: while the agent is still typing, an incomplete number keeps Call disabled
        // without calling it wrong.
        let quiet = !self.number_judged
            && matches!(
                &blocker,
                Some(DialError::NumberNotPossible { reason }) if *reason != NotPossible::TooLong
            );
        let e164 = match &r.number {
            NumberSource::Parsed(p) => Some(p.e164.as_str()),
            _ => None,
        };
        let contact_editable = matches!(self.entry, EntryPoint::Keypad)
            && r.use_entered_number.is_some()
            && (r.contact.mode == ContactMode::New || self.designation(crm, e164).is_some());
        DialView {
            contact_editable,
            number_text,
            number_placeholder,
            number_read_only: r.number_read_only,
            number_warning,
            stored_numbers: r.stored_numbers,
            use_entered_number: r.use_entered_number,
            contact: r.contact,
            contact_notice: r
                .gone_contact
                .map(|id| cat.fill(Label::ContactGone, &[("id", &id)])),
            ticket: r.ticket,
            outbound_number: self.outbound_number.clone(),
            language: self.language.clone(),
            call_enabled: blocker.is_none(),
            message: blocker.as_ref().filter(|_| !quiet).map(|b| b.message(cat)),
            blocker,
        }
    }

    /// UI-11: Call. The plan to place, or why the call is refused.
    pub fn call(&self, crm: &CrmState, cat: &Catalogue) -> Result<DialPlan, DialError> {
        self.call_with(crm, &Pending::default(), cat)
    }

    /// UI-11 while the reads in `pending` have not answered: refused with
    /// [`DialError::ContactLoading`] when the plan depends on one.
    pub fn call_with(
        &self,
        crm: &CrmState,
        pending: &Pending,
        cat: &Catalogue,
    ) -> Result<DialPlan, DialError> {
        if self.awaiting_settings() {
            return Err(DialError::ContactLoading);
        }
        let r = self.resolve(crm, pending, cat);
        if let Some(b) = r.blocker {
            return Err(b);
        }
        let outbound_number = self
            .outbound_number
            .clone()
            .ok_or(DialError::NoOutboundNumber)?;
        let NumberSource::Parsed(number) = r.number else {
            return Err(DialError::NoNumber);
        };
        let ticket_choice = r.ticket.selected.ok_or(DialError::TicketNotChosen)?;
        let contact = r.contact_plan.ok_or(DialError::ContactNotChosen)?;
        // FLOW-10, CONTACT-6: ticked for a number the contact has, or with no contact
        // designated (a new contact is made from the number, CONTACT-7), it changes nothing,
        // and the ticket is not told the number is "not saved on the contact".
        let entered_number = r.use_entered_number == Some(true) && r.number_unsaved;
        let (contact, ticket) = match ticket_choice {
            // OUT-10: nothing stored; an unknown number gets no contact either.
            TicketChoice::DoNotCreate => {
                let contact = match contact {
                    ContactPlan::New { .. } => ContactPlan::None,
                    other => other,
                };
                (contact, TicketPlan::None)
            }
            TicketChoice::New => (contact, TicketPlan::New),
            TicketChoice::Existing(id) => (contact, TicketPlan::Existing { id }),
        };
        let mut comments_out = Vec::new();
        if entered_number && ticket != TicketPlan::None {
            comments_out.push(comments::dialled_number(
                cat,
                &number.e164,
                number.extension.as_deref(),
            ));
        }
        Ok(DialPlan {
            to: number.e164,
            extension: number.extension,
            outbound_number,
            language: self
                .language
                .clone()
                .unwrap_or_else(|| self.ctx.agent_language.clone()),
            contact,
            ticket,
            entered_number,
            comments: comments_out,
        })
    }

    fn parse_buffer(&self) -> NumberSource {
        if self.buffer.is_empty() {
            return NumberSource::Empty;
        }
        match phone::parse(&self.buffer.to_parse_input(), &self.ctx.region) {
            Ok(p) => NumberSource::Parsed(p),
            Err(e) => NumberSource::Bad(e),
        }
    }

    fn resolve(&self, crm: &CrmState, pending: &Pending, cat: &Catalogue) -> Resolved {
        if self.team_mode() {
            return self.resolve_team(crm, pending, cat);
        }
        self.resolve_flexible(crm, pending, cat, false)
    }

    /// OUT-12 for flexible outbound; `force_new` is TEAM-5's optional blank Ticket ID.
    fn resolve_flexible(
        &self,
        crm: &CrmState,
        pending: &Pending,
        cat: &Catalogue,
        force_new: bool,
    ) -> Resolved {
        let op = &self.ctx.settings.operation;
        let region = &self.ctx.region;
        let number = self.parse_buffer();
        let mut blocker: Option<DialError> = match &number {
            NumberSource::Empty => Some(DialError::NoNumber),
            NumberSource::Bad(reason) => Some(DialError::NumberNotPossible {
                reason: reason.clone(),
            }),
            NumberSource::Parsed(_) => None,
        };
        let e164 = match &number {
            NumberSource::Parsed(p) => Some(p.e164.clone()),
            _ => None,
        };

        // Step 2: the contact. Context and designation fix it (MATRIX-3); otherwise lookup (§5).
        let context_ticket = match &self.entry {
            EntryPoint::Ticket { ticket_id, .. } | EntryPoint::TicketNewNumber { ticket_id } => {
                crm.ticket(*ticket_id)
            }
            _ => None,
        };
        let context_user = match &self.entry {
            EntryPoint::Contact { user_id, .. } | EntryPoint::Ticket { user_id, .. } => {
                Some(*user_id)
            }
            EntryPoint::TicketNewNumber { .. } => context_ticket.map(|t| t.requester_id),
            EntryPoint::Keypad => None,
        };
        let context_ticket_loading = match &self.entry {
            EntryPoint::Ticket { ticket_id, .. } | EntryPoint::TicketNewNumber { ticket_id } => {
                pending.tickets.contains(ticket_id)
            }
            _ => false,
        };
        // A contact asked for by id that Zendesk answered it does not have (deleted, or merged
        // into another user since the agent's page showed it), and not being read again: the
        // number decides the contact, as from the keypad (the user it was merged into holds its
        // numbers), never a "looking up" that does not end.
        let gone = |id: &u64| crm.is_gone(*id) && !pending.users.contains(id);
        let designated = self.designation(crm, e164.as_deref());
        let asked = designated.or(context_user);
        // SET-10: a Contact ID the agent typed that Zendesk does not have names nobody: Call
        // waits for another id (or none), never makes a contact the agent did not mean.
        let unknown = designated.filter(|id| gone(id));
        let gone_contact = asked.filter(|id| gone(id)).filter(|_| unknown.is_none());
        let fixed = asked.filter(|id| !gone(id));
        // The contact cannot be named yet: its search, or the context ticket naming it, is out.
        let contact_loading = match (fixed, &e164) {
            (Some(_), _) => false,
            (None, _) if matches!(self.entry, EntryPoint::TicketNewNumber { .. }) => {
                context_ticket_loading
            }
            (None, Some(n)) => pending.numbers.contains(n),
            (None, None) => false,
        };
        // Said once the number's search, which may name someone else, has answered: until then
        // the screen is looking up, not refusing.
        if let Some(id) = unknown.filter(|_| !contact_loading) {
            blocker = blocker.or(Some(DialError::ContactNotFound { id }));
        }
        let mut stored_numbers = Vec::new();
        let mut use_entered: Option<bool> = None;
        let mut number_unsaved = false;
        let entered_allowed = op.allow_use_entered_number && !force_new;
        let (contact, contact_plan, contact_id) = if contact_loading {
            blocker = blocker.or(Some(DialError::ContactLoading));
            let control = ContactControl {
                mode: ContactMode::Loading,
                options: vec![],
                selected: None,
                text: cat.get(Label::Loading).to_owned(),
            };
            (control, None, None)
        } else if let Some(id) = fixed {
            let c = crm.contact(id);
            let control = fixed_contact(id, c);
            if entered_allowed {
                use_entered = Some(self.use_entered_number);
            }
            // SET-9 / SET-10: a number not stored on the designated contact.
            let stored = c.map(|c| {
                c.phones()
                    .filter_map(|p| phone::normalize(p, region).ok())
                    .collect::<Vec<_>>()
            });
            let on_contact = match (&e164, &stored) {
                (Some(n), Some(s)) => s.contains(n),
                _ => false,
            };
            let entering_new = matches!(self.entry, EntryPoint::TicketNewNumber { .. });
            if stored.is_none() && (e164.is_some() || entering_new) {
                blocker = blocker.or(Some(DialError::ContactLoading));
            } else if !on_contact && (e164.is_some() || entering_new) {
                number_unsaved = e164.is_some();
                if entered_allowed {
                    if !self.use_entered_number && e164.is_some() {
                        blocker = blocker.or(Some(DialError::UnsavedNumberNeedsCheckbox));
                    }
                } else {
                    // FLOW-11: refused, with the stored numbers offered instead.
                    stored_numbers = stored.unwrap_or_default();
                    blocker = Some(DialError::UnsavedNumberDisabled);
                }
            }
            (control, Some(ContactPlan::Existing { id }), Some(id))
        } else if let Some(n) = &e164 {
            let matches = crm.contacts_with_number(n, region);
            match matches.len() {
                0 => {
                    // MATRIX-0.0, OQ-13, CONTACT-7/8.
                    let name = comments::caller_name(cat, n);
                    let control = ContactControl {
                        mode: ContactMode::New,
                        options: vec![],
                        selected: Some(ContactChoice::New),
                        // The Contact ID typed that names nobody stays shown, under its error.
                        text: unknown.map_or_else(
                            || cat.get(Label::NewContact).to_owned(),
                            |id| format!("#{id}"),
                        ),
                    };
                    (
                        control,
                        Some(ContactPlan::New {
                            phone: n.clone(),
                            name,
                        }),
                        None,
                    )
                }
                1 => (
                    fixed_contact(matches[0].id, Some(matches[0])),
                    Some(ContactPlan::Existing { id: matches[0].id }),
                    Some(matches[0].id),
                ),
                _ => {
                    // MATRIX-M.*, UI-15, OQ-14: chooser, nothing preselected, no fallback.
                    let options: Vec<ContactOption> =
                        matches.iter().map(|c| contact_option(c)).collect();
                    let picked = self
                        .contact_pick
                        .filter(|p| options.iter().any(|o| o.id == *p));
                    let text = picked
                        .and_then(|p| crm.contact(p))
                        .map(|c| c.name.clone())
                        .unwrap_or_default();
                    let control = ContactControl {
                        mode: ContactMode::Chooser,
                        options,
                        selected: picked.map(ContactChoice::Existing),
                        text,
                    };
                    if picked.is_none() {
                        blocker = blocker.or(Some(DialError::ContactNotChosen));
                    }
                    (
                        control,
                        picked.map(|id| ContactPlan::Existing { id }),
                        picked,
                    )
                }
            }
        } else {
            let control = ContactControl {
                mode: ContactMode::AwaitingNumber,
                options: vec![],
                selected: None,
                text: String::new(),
            };
            (control, None, None)
        };
        if entered_allowed && use_entered.is_none() {
            // UI-8: shown whenever SET-10 applies; it matters once a contact is designated.
            use_entered = Some(self.use_entered_number);
        }

        // Step 3: the ticket.
        let dnc = op.allow_do_not_create_ticket && !force_new;
        let new_opt = || TicketOption {
            choice: TicketChoice::New,
            label: cat.get(Label::NewTicket).to_owned(),
            status: None,
            updated_at: None,
        };
        let dnc_opt = || TicketOption {
            choice: TicketChoice::DoNotCreate,
            label: cat.get(Label::DoNotCreateTicket).to_owned(),
            status: None,
            updated_at: None,
        };
        let pick = |options: &[TicketOption], default: Option<TicketChoice>| {
            self.ticket_pick
                .filter(|p| options.iter().any(|o| o.choice == *p))
                .or(default)
        };
        // The contact's open tickets (or the context ticket) are still being read.
        let tickets_loading = context_ticket_loading
            || contact_id.is_some_and(|id| pending.users.contains(&id))
            || e164.as_ref().is_some_and(|n| pending.numbers.contains(n)) && fixed.is_none();
        let ticket = if op.do_not_append && !force_new {
            // SET-11, OQ-6, OQ-7: hidden; every call gets a new ticket; SET-7 still offered.
            let options = if dnc {
                vec![new_opt(), dnc_opt()]
            } else {
                vec![]
            };
            let selected = pick(&options, Some(TicketChoice::New));
            TicketControl {
                mode: TicketMode::Hidden,
                options,
                selected,
                entry_text: String::new(),
            }
        } else if contact_plan.is_none() {
            TicketControl {
                mode: TicketMode::AwaitingContact,
                options: vec![],
                selected: None,
                entry_text: String::new(),
            }
        } else if tickets_loading && !force_new {
            blocker = blocker.or(Some(DialError::ContactLoading));
            TicketControl {
                mode: TicketMode::Loading,
                options: vec![],
                selected: None,
                entry_text: String::new(),
            }
        } else if force_new {
            TicketControl {
                mode: TicketMode::ReadOnly,
                options: vec![new_opt()],
                selected: Some(TicketChoice::New),
                entry_text: String::new(),
            }
        } else {
            let ctx_open = context_ticket
                .filter(|t| t.status.is_open_set() && Some(t.requester_id) == contact_id);
            let open = contact_id
                .map(|id| crm.open_tickets_of(id))
                .unwrap_or_default();
            if let Some(t) = ctx_open {
                // MATRIX-3, OQ-16: an open context ticket fixes the ticket.
                let mut options = vec![ticket_option(t, cat)];
                if dnc {
                    options.push(dnc_opt());
                }
                let selected = pick(&options, Some(TicketChoice::Existing(t.id)));
                TicketControl {
                    mode: TicketMode::ReadOnly,
                    options,
                    selected,
                    entry_text: String::new(),
                }
            } else if open.is_empty() {
                // MATRIX-*.0, TICKET-8, OQ-8.
                let mut options = vec![new_opt()];
                if dnc {
                    options.push(dnc_opt());
                }
                let selected = pick(&options, Some(TicketChoice::New));
                TicketControl {
                    mode: TicketMode::ReadOnly,
                    options,
                    selected,
                    entry_text: String::new(),
                }
            } else if !op.prompt_select_open_ticket {
                // SET-2: the most recent open ticket, automatically (OQ-5).
                let mut options = vec![ticket_option(open[0], cat)];
                if dnc {
                    options.push(dnc_opt());
                }
                let selected = pick(&options, Some(TicketChoice::Existing(open[0].id)));
                TicketControl {
                    mode: TicketMode::ReadOnly,
                    options,
                    selected,
                    entry_text: String::new(),
                }
            } else {
                // SET-3, UI-14, OQ-10: every open ticket, then SET-5 / SET-7 entries; no preselection.
                let mut options: Vec<TicketOption> =
                    open.iter().map(|t| ticket_option(t, cat)).collect();
                if op.create_new_ticket_offered() {
                    options.push(TicketOption {
                        label: cat.get(Label::CreateNewTicket).to_owned(),
                        ..new_opt()
                    });
                }
                if dnc {
                    options.push(dnc_opt());
                }
                let selected = pick(&options, None);
                TicketControl {
                    mode: TicketMode::Chooser,
                    options,
                    selected,
                    entry_text: String::new(),
                }
            }
        };
        if ticket.selected.is_none() && contact_plan.is_some() {
            blocker = blocker.or(Some(DialError::TicketNotChosen));
        }
        Resolved {
            number,
            number_read_only: false,
            stored_numbers,
            use_entered_number: use_entered,
            number_unsaved,
            contact,
            contact_plan,
            ticket,
            blocker,
            gone_contact,
        }
    }

    /// TEAM-4 … TEAM-20: Ticket ID entry replaces the flexible-outbound ticket sections (OQ-18).
    fn resolve_team(&self, crm: &CrmState, pending: &Pending, cat: &Catalogue) -> Resolved {
        let required = self
            .ctx
            .team
            .as_ref()
            .is_some_and(|t| t.ticket_id_entry.required);
        let entry_control = |selected: Option<TicketChoice>| TicketControl {
            mode: TicketMode::Entry { required },
            options: vec![],
            selected,
            entry_text: self.ticket_id_text.clone(),
        };
        let refuse = |err: DialError, this: &Self| Resolved {
            number: this.parse_buffer(),
            number_read_only: false,
            stored_numbers: vec![],
            use_entered_number: None,
            number_unsaved: false,
            contact: ContactControl {
                mode: ContactMode::AwaitingNumber,
                options: vec![],
                selected: None,
                text: String::new(),
            },
            contact_plan: None,
            ticket: entry_control(None),
            blocker: Some(err),
            gone_contact: None,
        };
        match self.entry {
            // TEAM-17: the click on a contact's number places nothing. A Ticket ID the agent
            // enters in its place, as the error asks, is a call by Ticket ID like the keypad's
            // (TEAM-4, TEAM-6: the number comes from the ticket); without it the screen offered
            // a Ticket ID field that nothing read.
            EntryPoint::Contact { .. } if self.team_ticket_id().is_none() => {
                return refuse(DialError::TeamClickToCall, self)
            }
            EntryPoint::TicketNewNumber { .. } => {
                return refuse(DialError::TeamEnterNewNumber, self)
            }
            _ => {}
        }
        let id = match self.team_ticket_id() {
            None if required => return refuse(DialError::TicketIdRequired, self),
            None => {
                // TEAM-5, OQ-19: optional and blank: the typed number, a new ticket. With no
                // number either, the agent is told a Ticket ID would do too.
                let mut r = self.resolve_flexible(crm, pending, cat, true);
                r.use_entered_number = None;
                r.ticket = entry_control(r.ticket.selected);
                if r.blocker == Some(DialError::NoNumber) {
                    r.blocker = Some(DialError::NoNumberOrTicketId);
                }
                return r;
            }
            Some(Err(e)) => return refuse(e, self),
            Some(Ok(id)) => id,
        };
        // Still being typed: read once the agent pauses; Call waits, nothing refused yet.
        if self.ticket_id_typing || pending.tickets.contains(&id) {
            return refuse(DialError::ContactLoading, self);
        }
        let Some(ticket) = crm.ticket(id) else {
            return refuse(DialError::TicketNotFound { id }, self);
        };
        if pending.users.contains(&ticket.requester_id) {
            return refuse(DialError::ContactLoading, self);
        }
        if !ticket.status.is_open_set() {
            return refuse(
                DialError::TicketNotUsable {
                    id,
                    status: ticket.status,
                },
                self,
            );
        }
        // TEAM-6, TEAM-19, TEAM-20, OQ-20: the number comes from the ticket; no fallback.
        let requester = crm.contact(ticket.requester_id);
        let source = match self.ctx.settings.developer.outbound_ticket_phone_field {
            Some(field_id) => {
                let value = ticket
                    .field(field_id)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                match phone::parse(value, &self.ctx.region) {
                    Ok(p) => p,
                    Err(_) => return refuse(DialError::TicketFieldEmpty { id, field_id }, self),
                }
            }
            None => match requester
                .and_then(|c| c.phone.as_deref())
                .map(|p| phone::parse(p, &self.ctx.region))
            {
                Some(Ok(p)) => p,
                _ => return refuse(DialError::RequesterNoPhone { id }, self),
            },
        };
        Resolved {
            number: NumberSource::Parsed(source),
            number_read_only: true,
            stored_numbers: vec![],
            use_entered_number: None,
            number_unsaved: false,
            contact: fixed_contact(ticket.requester_id, requester),
            contact_plan: Some(ContactPlan::Existing {
                id: ticket.requester_id,
            }),
            ticket: entry_control(Some(TicketChoice::Existing(id))),
            blocker: None,
            gone_contact: None,
        }
    }
}

fn contact_option(c: &Contact) -> ContactOption {
    ContactOption {
        id: c.id,
        name: c.name.clone(),
        email: c.email.clone(),
        created_at: c.created_at,
    }
}

fn fixed_contact(id: u64, c: Option<&Contact>) -> ContactControl {
    ContactControl {
        mode: ContactMode::Fixed,
        options: c.map(contact_option).into_iter().collect(),
        selected: Some(ContactChoice::Existing(id)),
        text: c
            .map(|c| c.name.clone())
            .unwrap_or_else(|| format!("#{id}")),
    }
}

fn ticket_option(t: &Ticket, _cat: &Catalogue) -> TicketOption {
    TicketOption {
        choice: TicketChoice::Existing(t.id),
        label: format!("#{} {}", t.id, t.subject),
        status: Some(t.status),
        updated_at: Some(t.updated_at),
    }
}
