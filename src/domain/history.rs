//! The agent's history and callbacks: the calls of the last days as the Recent screen lists
//! them, the queue's voicemails, and what "Call back", "Hang up and call back" and "Callback"
//! place (UPD-5, UPD-6, UPD-15, OQ-28, OQ-29).

use crate::{
    call::{call_back_dialout, ActiveCall, CallPhase, Dialout},
    crm::CrmState,
    dial::{default_outbound, ContactPlan, DialContext, DialPlan, TicketPlan},
    labels::Label,
};
use serde::{Deserialize, Serialize};

/// UPD-6: a call that lasted less than this many seconds offers "Callback".
pub const SHORT_CALL_S: u64 = 10;

/// How a call of the history ended, as the platform reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The customer and the agent talked.
    Answered,
    /// They talked for less than [`SHORT_CALL_S`] seconds (UPD-6).
    TooShort,
    /// Nobody answered.
    Missed,
    /// The caller hung up before reaching an agent (TICKET-9).
    Abandoned,
    /// The caller left a voicemail (TICKET-10).
    Voicemail,
}

impl Outcome {
    /// The word shown for it.
    pub fn label(self) -> Label {
        match self {
            Outcome::Answered => Label::OutcomeAnswered,
            Outcome::TooShort => Label::OutcomeTooShort,
            Outcome::Missed => Label::OutcomeMissed,
            Outcome::Abandoned => Label::OutcomeAbandoned,
            Outcome::Voicemail => Label::OutcomeVoicemail,
        }
    }
}

/// One call of the agent's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentCall {
    /// The platform's call id.
    pub id: u64,
    /// True for a customer's call.
    pub inbound: bool,
    /// The customer's number (E.164).
    pub number: String,
    /// The contact the call was with, when the platform knows it.
    pub contact_id: Option<u64>,
    /// The ticket the call was logged on, when the platform knows it.
    pub ticket_id: Option<u64>,
    /// When it started (unix seconds).
    pub started_s: i64,
    /// Talk time, seconds.
    pub talked_s: u64,
    /// How it ended; `None` while it is still going.
    pub outcome: Option<Outcome>,
}

impl RecentCall {
    /// UPD-6: the call ended after less than [`SHORT_CALL_S`] seconds of talk, or was never
    /// answered by the customer: "Callback" is offered.
    pub fn offers_callback(&self) -> bool {
        matches!(self.outcome, Some(Outcome::TooShort))
    }

    /// How the call ended, in the agent's words (None while it is still going). A call nobody
    /// answered is missed for the agent only when it rang for them (a customer's call; the
    /// caller's hanging up while it rang, the platform's "abandoned", is said as missed too, as
    /// the call screen said it); one the agent placed had no answer.
    pub fn outcome_label(&self) -> Option<Label> {
        Some(match self.outcome? {
            Outcome::Missed | Outcome::Abandoned if !self.inbound => Label::OutcomeNoAnswer,
            o => o.label(),
        })
    }

    /// True when the call rang for the agent and nobody answered it: Recent marks it.
    pub fn missed_by_agent(&self) -> bool {
        self.inbound && matches!(self.outcome, Some(Outcome::Missed | Outcome::Abandoned))
    }

    /// What Recent's "Call back" opens: the dial screen with the number, the contact and the
    /// call's ticket preselected, resolved by the settings like any dial screen (the agent can
    /// still change them); with no contact, or with no ticket under team Ticket ID entry, the
    /// number typed on the keypad ([`call_back_dialout`]).
    pub fn call_back(&self, team_entry: bool) -> Dialout {
        call_back_dialout(
            Some(self.number.clone()),
            self.contact_id,
            self.ticket_id,
            team_entry,
        )
    }
}

/// The contacts named (calls' or voicemails' `contact_id`) whose names the CRM cache does not
/// hold: what one batched read fetches for Recent or Voicemail (in first-seen order, each once).
/// A contact the cache knows to be gone (deleted in Zendesk) is not read again.
pub fn names_to_fetch(contacts: impl IntoIterator<Item = Option<u64>>, crm: &CrmState) -> Vec<u64> {
    let mut ids = Vec::new();
    for id in contacts.into_iter().flatten() {
        if crm.contact(id).is_none() && !crm.gone.contains(&id) && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// Adds a page of the history after what is listed: a call already listed (a page boundary
/// that moved while new calls came in) is not listed twice.
pub fn append_page(listed: &mut Vec<RecentCall>, page: Vec<RecentCall>) {
    for call in page {
        if !listed.iter().any(|c| c.id == call.id) {
            listed.push(call);
        }
    }
}

/// A voicemail left in a queue the agent serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voicemail {
    /// Its id (the platform's id of the call that left it).
    pub id: u64,
    /// The caller's number.
    pub from: String,
    /// The caller's contact, when known.
    #[serde(default)]
    pub contact_id: Option<u64>,
    /// The voicemail ticket (TICKET-10).
    #[serde(default)]
    pub ticket_id: Option<u64>,
    /// The recording.
    #[serde(default)]
    pub recording_url: String,
    /// Length, seconds.
    #[serde(default)]
    pub duration_s: u64,
    /// When it was left (ISO-8601).
    #[serde(default)]
    pub created_at: String,
    /// The queue/menu path.
    #[serde(default)]
    pub menu_path: String,
    /// The call's language.
    #[serde(default)]
    pub lang: String,
    /// The platform's transcript.
    #[serde(default)]
    pub transcript: Option<String>,
    /// Somebody listened to it.
    #[serde(default)]
    pub read: bool,
    /// It is dealt with.
    #[serde(default)]
    pub closed: bool,
    /// The caller was called back.
    #[serde(default)]
    pub called_back: bool,
}

/// The voicemails still to deal with, newest first, with one updated in place (or added, or
/// taken out once closed).
pub fn merge_voicemail(list: &mut Vec<Voicemail>, vm: Voicemail) {
    list.retain(|v| v.id != vm.id);
    if !vm.closed {
        list.push(vm);
    }
    list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
}

/// How many voicemails nobody has listened to.
pub fn unread(list: &[Voicemail]) -> usize {
    list.iter().filter(|v| !v.read && !v.closed).count()
}

/// What a call back from the history, the in-call screen or a voicemail is a callback of (the
/// platform records it with the new call: `POST /calls {callback_of}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackOf {
    /// A call ("Hang up and call back", "Callback").
    Call(u64),
    /// A voicemail.
    Voicemail(u64),
}

/// The caller ID and language of a call back: the ones of the call called back when it was
/// placed here, else the defaults of the dial screen (OQ-33).
fn line_and_language(
    previous: Option<&DialPlan>,
    ctx: &DialContext,
    lang: &str,
) -> (String, String) {
    let (number, language) = default_outbound(&ctx.options, &ctx.agent_language, &ctx.remembered);
    let offered = |l: &str| {
        !l.is_empty()
            && (ctx.options.languages.is_empty() || ctx.options.languages.iter().any(|o| o == l))
    };
    let number = previous
        .map(|p| p.outbound_number.clone())
        .filter(|n| !n.is_empty())
        .or(number)
        .unwrap_or_default();
    let language = previous
        .map(|p| p.language.clone())
        .filter(|l| offered(l))
        .or_else(|| Some(lang.to_owned()).filter(|l| offered(l)))
        .or(language)
        .unwrap_or_default();
    (number, language)
}

/// UPD-5, UPD-6, OQ-29: the call "Hang up and call back" or "Callback" places for `call`: the
/// same number, appended to the call's ticket while it is in the open set; with "Do not append"
/// on (SET-11, OQ-7), on a new ticket of the call's contact. `None` when it cannot be placed in
/// one action (the agent decides on the dial screen): the call's ticket is not known yet, or no
/// longer open (OQ-29: normal resolution), the call had no number, or a new ticket has no
/// contact to be for. A call logged on no ticket ("Do not create a ticket") is called back the
/// same way while that choice is still offered (SET-17: else the dial screen decides).
pub fn callback_plan(call: &ActiveCall, crm: &CrmState, ctx: &DialContext) -> Option<DialPlan> {
    let op = &ctx.settings.operation;
    if call.plan.to.is_empty() {
        return None;
    }
    let contact = match (&call.inbound, &call.plan.contact) {
        (Some(inbound), _) => inbound.picked.or_else(|| {
            match crm.contacts_with_number(&call.plan.to, &ctx.region)[..] {
                [only] => Some(only.id),
                _ => None,
            }
        }),
        (None, ContactPlan::Existing { id }) => Some(*id),
        _ => None,
    };
    let ticket = match call.ticket() {
        Some(id) => {
            // OQ-29: a ticket the cache knows to be solved or closed is not appended to.
            if crm.ticket(id).is_some_and(|t| !t.status.is_open_set()) {
                return None;
            }
            if op.do_not_append {
                contact?;
                TicketPlan::New
            } else {
                TicketPlan::Existing { id }
            }
        }
        None if call.inbound.is_none()
            && call.plan.ticket == TicketPlan::None
            && op.allow_do_not_create_ticket =>
        {
            TicketPlan::None
        }
        None => return None,
    };
    let previous = call.inbound.is_none().then_some(&call.plan);
    let lang = call.inbound.as_ref().map_or("", |i| i.language.as_str());
    let (outbound_number, language) = line_and_language(previous, ctx, lang);
    Some(DialPlan {
        to: call.plan.to.clone(),
        extension: None,
        outbound_number,
        language,
        contact: contact.map_or(ContactPlan::None, |id| ContactPlan::Existing { id }),
        ticket,
        entered_number: false,
        comments: Vec::new(),
    })
}

/// Whether the ended screen offers "Callback" for `call` (UPD-6): it ended after less than
/// [`SHORT_CALL_S`] seconds of talk, the customer never answered an outbound call, or the agent
/// missed a customer's call (it ended while it rang: [`ActiveCall::missed`]).
pub fn ended_offers_callback(call: &ActiveCall) -> bool {
    // Handed on to a colleague, the customer is on the line with them: no call back (the
    // platform refused it, and the dial screen it left called that customer on the next Enter).
    if call.phase != CallPhase::Ended || call.handed_on {
        return false;
    }
    match (call.connected_at_ms, call.ended_at_ms) {
        (Some(start), Some(end)) => end - start < (SHORT_CALL_S as i64) * 1000,
        (None, _) => call.inbound.is_none() || call.missed,
        _ => false,
    }
}

/// The call a voicemail's "Call back" places: the caller's number on the voicemail ticket
/// (OQ-28), from the dial screen's default line; with "Do not append" on (SET-11, OQ-7), on a
/// new ticket of the voicemail's contact. `None` when the voicemail has no ticket, or a new
/// ticket no contact (the dial screen opens instead, with the caller's number).
pub fn voicemail_plan(vm: &Voicemail, ctx: &DialContext) -> Option<DialPlan> {
    let ticket = match vm.ticket_id? {
        _ if ctx.settings.operation.do_not_append => {
            vm.contact_id?;
            TicketPlan::New
        }
        id => TicketPlan::Existing { id },
    };
    if vm.from.is_empty() {
        return None;
    }
    let (outbound_number, language) = line_and_language(None, ctx, &vm.lang);
    Some(DialPlan {
        to: vm.from.clone(),
        extension: None,
        outbound_number,
        language,
        contact: vm
            .contact_id
            .map_or(ContactPlan::None, |id| ContactPlan::Existing { id }),
        ticket,
        entered_number: false,
        comments: Vec::new(),
    })
}
