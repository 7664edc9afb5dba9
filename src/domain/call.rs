//! The life of one call on the agent's screen, as plain data and rules: its phases, the events
//! that change them and what each change asks to be done, the keys of the jobs that log the
//! call in Zendesk, the ticket it is logged on, and how a call found again after a reload comes
//! back. The services run the effects; nothing here does I/O or reads the clock.

use crate::{
    comments::VoicemailAction,
    crm::CrmState,
    dial::{ContactPlan, DialPlan, EntryPoint, TicketPlan},
    labels::Label,
};
use std::fmt;

/// Where a call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallPhase {
    /// Placed, waiting for the platform.
    Dialling,
    /// Ringing at the customer.
    Ringing,
    /// Talking.
    Connected,
    /// On hold.
    OnHold,
    /// Over.
    Ended,
}

/// What an inbound call adds to the in-call screen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inbound {
    /// The queue/menu path the caller chose.
    pub menu: String,
    /// The call's language.
    pub language: String,
    /// TICKET-6: the contacts sharing the caller's number, newest first, when the agent must pick
    /// one; empty otherwise.
    pub candidates: Vec<u64>,
    /// The contact the agent picked.
    pub picked: Option<u64>,
    /// True once the call's ticket work is queued (the agent answered, and picked if asked to).
    pub logged: bool,
    /// True from the agent's Answer until the platform connects the call (one answer only).
    pub answering: bool,
}

/// The call on the in-call screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveCall {
    /// Platform call id, once known.
    pub id: Option<u64>,
    /// Its phase.
    pub phase: CallPhase,
    /// What was dialled.
    pub plan: DialPlan,
    /// When it connected (unix ms), for the timer.
    pub connected_at_ms: Option<i64>,
    /// When it ended (unix ms).
    pub ended_at_ms: Option<i64>,
    /// The ticket it is logged on, once known.
    pub ticket_id: Option<u64>,
    /// Set for a customer's call offered to the agent.
    pub inbound: Option<Inbound>,
    /// The touch tones sent so far.
    pub tones: String,
    /// What the platform last said of hold (its events, and the answer to the last Hold or
    /// Resume press): on hold or not. The phase shows a press at once; a refused press puts
    /// this back.
    pub held: bool,
    /// Where the call's logging stands, as this page worked it out.
    pub logging: Logging,
    /// True from the agent's Hang up (or Decline, or the hang-up of "Hang up and call back")
    /// until the call ends, or until the platform refuses the hang-up: the screen says the call
    /// is being hung up, a second press sends nothing more, and the end that follows is the
    /// agent's own (never "No answer": [`ActiveCall::unanswered`]).
    pub hanging_up: bool,
    /// A customer's call that ended while it still rang for the agent, as this page saw it
    /// (the caller hung up, or it went elsewhere, before the agent answered). Not known for a
    /// call found ended after a reload.
    pub missed: bool,
    /// A call the agent placed that the other end ended before anyone answered (declined,
    /// rang out), as this page saw it: the screen says "No answer", as Recent does. Not
    /// set when the agent hung up (the call ended, as they chose), nor for a call found ended
    /// after a reload.
    pub unanswered: bool,
    /// The call went on to another agent (transferred away, or no longer this agent's): it
    /// ended here, not for the customer, who talks to a colleague now.
    pub handed_on: bool,
}

/// Where a call's logging stands, as this page worked it out: what the in-call screen says
/// while the call's ticket is not known yet ([`ActiveCall::ticket_line`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Logging {
    /// Not worked out here: a call found again after a reload or transferred in, an inbound
    /// call not answered yet.
    #[default]
    Unknown,
    /// Its first job is being worked out (its reads may wait out a rate limit) or waits in
    /// the outbox.
    Working,
    /// Its first job could not be worked out or was refused: nothing of it is written (the
    /// agent was told why).
    Failed,
    /// Its first job waits because Zendesk refused access (401, 403): kept, tried again, and
    /// not written yet (the agent was told why).
    Waiting,
}

/// What the in-call screen says of the call's ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketLine {
    /// Nothing (not known here, or the agent must pick the caller first).
    Nothing,
    /// Not logged in Zendesk: its first job failed, or was refused.
    NotLogged,
    /// Not logged in Zendesk, as the agent chose: "Do not create a ticket" (OUT-10).
    NotLoggedAsChosen,
    /// Being logged: the ticket is not known yet.
    Logging,
    /// Not logged yet: Zendesk refused access, and the writes wait (on this ticket, if known).
    Waiting(Option<u64>),
    /// Logged on this ticket.
    On(u64),
}

/// Which step of a call a job of the outbox logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// An outbound call was placed (its first job: contact, ticket, comment).
    Placed,
    /// An inbound call's caller is known (its first job).
    Assigned,
    /// The call ended (recording, duration).
    Ended,
    /// An event of the call's session with this platform event id (a rating, a SmartAction's
    /// outcome, an API response): written `ev{id}`.
    Event(u64),
    /// What the agent did with the voicemail the call left (UPD-15): `vm-read`, `vm-closed`,
    /// `vm-called-back`.
    Voicemail(VoicemailAction),
    /// A chat taken by the agent (its first job: contact, ticket, standard data): `chat`.
    ChatAssigned,
    /// A chat's end (its transcript, the end fields): `chat-end`.
    ChatEnded,
}

impl Stage {
    /// The stage's name in a job key, for the fixed stages (`None` for [`Stage::Event`], whose
    /// name carries its id).
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            Stage::Placed => Some("placed"),
            Stage::Assigned => Some("assigned"),
            Stage::Ended => Some("ended"),
            Stage::Voicemail(VoicemailAction::Read) => Some("vm-read"),
            Stage::Voicemail(VoicemailAction::Closed) => Some("vm-closed"),
            Stage::Voicemail(VoicemailAction::CalledBack) => Some("vm-called-back"),
            Stage::ChatAssigned => Some("chat"),
            Stage::ChatEnded => Some("chat-end"),
            Stage::Event(_) => None,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.as_str()) {
            (_, Some(name)) => f.write_str(name),
            (Stage::Event(id), None) => write!(f, "ev{id}"),
            _ => Ok(()),
        }
    }
}

/// The key of the outbox job that logs one stage of one call; written `{call}.{stage}`, which
/// is also the root of the job's idempotency keys, so its text must never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobKey {
    /// The platform's call id.
    pub call: u64,
    /// The step it logs.
    pub stage: Stage,
}

impl JobKey {
    /// The job that logs a call first: `placed` for an outbound call, `assigned` for an inbound
    /// one.
    pub fn first(call: u64, inbound: bool) -> Self {
        let stage = if inbound {
            Stage::Assigned
        } else {
            Stage::Placed
        };
        Self { call, stage }
    }

    /// The job that logs the call's end.
    pub fn ended(call: u64) -> Self {
        Self {
            call,
            stage: Stage::Ended,
        }
    }

    /// The job that writes the session event `event_id` of `call`.
    pub fn event(call: u64, event_id: u64) -> Self {
        Self {
            call,
            stage: Stage::Event(event_id),
        }
    }

    /// Reads a key written by [`JobKey`]'s `Display`; `None` for any other text.
    pub fn parse(text: &str) -> Option<Self> {
        let (call, stage) = text.split_once('.')?;
        let event = stage
            .strip_prefix("ev")
            .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|id| id.parse().ok())
            .map(Stage::Event);
        let stage = event.or_else(|| {
            [
                Stage::Placed,
                Stage::Assigned,
                Stage::Ended,
                Stage::Voicemail(VoicemailAction::Read),
                Stage::Voicemail(VoicemailAction::Closed),
                Stage::Voicemail(VoicemailAction::CalledBack),
                Stage::ChatAssigned,
                Stage::ChatEnded,
            ]
            .into_iter()
            .find(|s| s.as_str() == Some(stage))
        })?;
        let call = call
            .parse()
            .ok()
            .filter(|_| call.bytes().all(|b| b.is_ascii_digit()))?;
        Some(Self { call, stage })
    }

    /// The job that writes what the agent did with the voicemail `voicemail` (UPD-15).
    pub fn voicemail(voicemail: u64, action: VoicemailAction) -> Self {
        Self {
            call: voicemail,
            stage: Stage::Voicemail(action),
        }
    }

    /// The job that logs chat `chat` first (contact, ticket, standard data).
    pub fn chat(chat: u64) -> Self {
        Self {
            call: chat,
            stage: Stage::ChatAssigned,
        }
    }

    /// The job that writes chat `chat`'s transcript at its end.
    pub fn chat_ended(chat: u64) -> Self {
        Self {
            call: chat,
            stage: Stage::ChatEnded,
        }
    }

    /// True for a job of a chat (its id is a chat's, not a call's).
    pub fn is_chat(&self) -> bool {
        matches!(self.stage, Stage::ChatAssigned | Stage::ChatEnded)
    }

    /// True for the job that logs the call first (the one that creates its ticket).
    pub fn is_first(&self) -> bool {
        matches!(self.stage, Stage::Placed | Stage::Assigned)
    }
}

impl fmt::Display for JobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.call, self.stage)
    }
}

/// The ticket a call's later writes go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallTicket {
    /// A ticket whose id is known.
    Known(u64),
    /// The ticket this earlier job of the call creates (still being created: a 429 or a slow
    /// network held it up, or the page reloaded meanwhile).
    Pending(JobKey),
}

/// How the end of a call is logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndLog {
    /// Queued now, on this ticket.
    Now(CallTicket),
    /// An inbound call whose ticket is still being worked out (a read under way, or the agent's
    /// pick being recorded): queued once the ticket's job is, on its ticket.
    AfterCaller,
    /// Not logged here: the call has no ticket (OUT-10 "Do not create", or an inbound caller the
    /// agent did not pick, whom the platform gives to the newest matching contact, TICKET-7).
    NotLogged,
}

/// What the platform says of a call (its event stream, reduced to what changes the screen).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallEvent {
    /// The call rings.
    Ringing,
    /// The call connected (the customer picked up, or the agent answered).
    Connected,
    /// The call was put on hold.
    Held,
    /// The call came off hold.
    Resumed,
    /// The call ended.
    Ended,
}

/// What a change of the call asks the services to do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallEffect {
    /// Send these touch tones (the extension typed after the number, once the customer
    /// picks up).
    Tones(String),
    /// Work out the inbound call's ticket (look the caller up, run the assignment rules).
    LogInbound,
    /// Log the call's end.
    LogEnd(EndLog),
}

/// Where one of the platform's call events goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// A customer's call offered to the agent.
    Offer,
    /// The call on screen was placed and `POST /calls` has not answered: the event waits for
    /// the call's id (events can overtake the answer).
    Early,
    /// The end of a call not on screen (the page reloaded during it): calls this adapter logged
    /// are looked up, to log its end.
    ResumeOthers,
    /// The event is the call on screen's.
    Apply,
    /// Not for this screen.
    Ignore,
}

/// Where an event of call `event_call` goes, given the call on screen. `inbound_offer` is true
/// for an inbound call ringing.
pub fn route(
    on_screen: Option<&ActiveCall>,
    event_call: u64,
    event: CallEvent,
    inbound_offer: bool,
) -> Route {
    if inbound_offer {
        return Route::Offer;
    }
    if on_screen.is_some_and(|c| c.id.is_none() && c.is_live()) {
        return Route::Early;
    }
    match on_screen.and_then(|c| c.id) {
        Some(id) if id == event_call => Route::Apply,
        _ if event == CallEvent::Ended => Route::ResumeOthers,
        _ => Route::Ignore,
    }
}

/// At most this many early events are kept for a call not yet numbered.
pub const EARLY_EVENTS: usize = 32;

/// The events that overtook `POST /calls`'s answer, kept in order until the call has its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EarlyEvents<E> {
    events: Vec<E>,
}

impl<E> Default for EarlyEvents<E> {
    fn default() -> Self {
        Self { events: Vec::new() }
    }
}

impl<E> EarlyEvents<E> {
    /// Keeps an event (beyond [`EARLY_EVENTS`], it is dropped); true if kept.
    pub fn push(&mut self, event: E) -> bool {
        if self.events.len() >= EARLY_EVENTS {
            return false;
        }
        self.events.push(event);
        true
    }

    /// The events kept, in order, leaving none (the call has its id: they are replayed).
    pub fn take(&mut self) -> Vec<E> {
        std::mem::take(&mut self.events)
    }

    /// Forgets the events kept (the call was not placed).
    pub fn clear(&mut self) {
        self.events.clear();
    }
}

/// The touch tones pressed and not yet sent. Tones go one request after another, so they
/// reach the customer in the order pressed; keys pressed while one is in flight go together in
/// the next.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToneQueue {
    waiting: String,
    sending: bool,
}

impl ToneQueue {
    /// A key pressed; true if a sender must start (none is running).
    pub fn press(&mut self, tone: char) -> bool {
        self.waiting.push(tone);
        !std::mem::replace(&mut self.sending, true)
    }

    /// The tones to send next, all those waiting; `None` when none wait or `same_call` is false
    /// (tones pressed for another call are not sent on this one): the sender stops.
    pub fn next(&mut self, same_call: bool) -> Option<String> {
        let digits = std::mem::take(&mut self.waiting);
        if digits.is_empty() || !same_call {
            self.sending = false;
            return None;
        }
        Some(digits)
    }
}

/// What click-to-call (`voice.dialout`, FLOW-2, FLOW-4, FLOW-9) opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dialout {
    /// The dial screen for this entry point.
    Open(EntryPoint),
    /// A number without a user (or nothing): the keypad, as if the number had been typed, with
    /// the choices in view.
    Typed(Option<String>),
}

/// The entry point of a click-to-call with these fields of `voice.dialout`.
pub fn dialout(number: Option<String>, user_id: Option<u64>, ticket_id: Option<u64>) -> Dialout {
    match (number.filter(|n| !n.is_empty()), user_id, ticket_id) {
        (Some(number), Some(user_id), Some(ticket_id)) => Dialout::Open(EntryPoint::Ticket {
            number,
            user_id,
            ticket_id,
        }),
        (None, _, Some(ticket_id)) => Dialout::Open(EntryPoint::TicketNewNumber { ticket_id }),
        (Some(number), Some(user_id), None) => {
            Dialout::Open(EntryPoint::Contact { number, user_id })
        }
        (number, _, _) => Dialout::Typed(number),
    }
}

/// A call back the adapter itself offers (Recent's, a voicemail's, an ended call's Callback, a
/// refused one tried again): as [`dialout`], except that under team Ticket ID entry (TEAM-4) one
/// that names no ticket opens the keypad with the number, where the Ticket ID is asked, and not a
/// contact's screen, which team entry refuses as a click-to-call on a contact's number (TEAM-17)
/// with no way to call from it.
pub fn call_back_dialout(
    number: Option<String>,
    user_id: Option<u64>,
    ticket_id: Option<u64>,
    team_entry: bool,
) -> Dialout {
    match dialout(number, user_id, ticket_id) {
        Dialout::Open(EntryPoint::Contact { number, .. }) if team_entry => {
            Dialout::Typed(Some(number))
        }
        d => d,
    }
}

/// What the in-call screen needs of a call the agent did not dial here (an inbound call, or
/// one resumed after a reload): the customer's number, the language, the ticket.
pub fn plan_of(to: &str, lang: &str, ticket: TicketPlan) -> DialPlan {
    DialPlan {
        to: to.to_owned(),
        extension: None,
        outbound_number: String::new(),
        language: lang.to_owned(),
        contact: ContactPlan::None,
        ticket,
        entered_number: false,
        comments: Vec::new(),
    }
}

/// A call listed by the platform after a reload, as the resume sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// Call id.
    pub id: u64,
    /// True for a customer's call.
    pub inbound: bool,
    /// Its phase now.
    pub phase: CallPhase,
    /// The customer's number.
    pub customer_number: String,
    /// The call's language.
    pub lang: String,
    /// The queue/menu path (inbound).
    pub menu: String,
    /// The ticket the platform knows it by.
    pub ticket_id: Option<u64>,
    /// Talk time so far, seconds.
    pub talked_s: u64,
}

/// What the resume does with one listed call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Not this adapter's (its first job is unknown), or its end is already queued.
    Skip,
    /// It ended while the page was away (or its end was missed): its end is logged on this
    /// ticket, and a call on screen with its id shows it ended.
    LogEnd(CallTicket),
    /// It is still going and nothing is on screen: it comes back on screen.
    Show,
    /// It is still going, another call is on screen: left alone.
    Leave,
}

/// The resume's decision for `listed`: `knows` says whether the outbox knows a job key, `created`
/// is the ticket its first job created, `screen_live` whether a live call is on screen.
pub fn resume(
    listed: &Listed,
    knows: impl Fn(&JobKey) -> bool,
    created: Option<u64>,
    screen_live: bool,
) -> Resume {
    let first = JobKey::first(listed.id, listed.inbound);
    if !knows(&first) || knows(&JobKey::ended(listed.id)) {
        return Resume::Skip;
    }
    if listed.phase == CallPhase::Ended {
        // What this adapter's outbox wrote comes first: the platform lists the ticket the call
        // was placed on, which the collision check may have given up for a new one.
        return Resume::LogEnd(match created.or(listed.ticket_id) {
            Some(id) => CallTicket::Known(id),
            None => CallTicket::Pending(first),
        });
    }
    if screen_live {
        Resume::Leave
    } else {
        Resume::Show
    }
}

/// What the resume does with an inbound call whose first job this adapter began to work out
/// (its reads under way, maybe waiting out a rate limit) and never queued: the page that did
/// it went (a reload, a closed tab) in between ([`resume_unqueued`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unqueued {
    /// Still going, nothing on screen: it comes back on screen and its first job is worked out
    /// again, for the contact the agent had picked.
    Show { picked: Option<u64> },
    /// It ended meanwhile: its first job is worked out again, then its end logged.
    LogEnded { picked: Option<u64> },
}

/// The resume's decision for a listed call whose first job was `intended` (`Some(picked)`) and
/// is not known queued (`knows`): `None` when it is not such a call, or another live call is on
/// screen (`screen_live`: it is left for a later resume).
pub fn resume_unqueued(
    listed: &Listed,
    intended: Option<Option<u64>>,
    knows: impl Fn(&JobKey) -> bool,
    screen_live: bool,
) -> Option<Unqueued> {
    let picked = intended?;
    let first = JobKey::first(listed.id, listed.inbound);
    if !listed.inbound || knows(&first) || knows(&JobKey::ended(listed.id)) {
        return None;
    }
    if listed.phase == CallPhase::Ended {
        Some(Unqueued::LogEnded { picked })
    } else if screen_live {
        None
    } else {
        Some(Unqueued::Show { picked })
    }
}

/// The intents (`intents`: first jobs a page began to work out and never queued) that a read
/// of the platform's recent calls, begun after they were stored, shows can no longer be worked
/// out: an inbound call's first job whose call the whole list (`listed`) does not hold. The list
/// is the only way back to such a call (its caller, its end): one older than the list reaches
/// stays out of it; one that went to another agent comes back only if transferred back, and
/// its first job is then that agent's transfer's (UPD-9). `keep`: a call this page still
/// works out by other means (on its screen, or its reads under way). A chat's or a voicemail's
/// are worked out from lists of their own, and are not this list's to drop.
pub fn unlisted_intents(
    intents: &[String],
    listed: &[u64],
    keep: impl Fn(u64) -> bool,
) -> Vec<String> {
    intents
        .iter()
        .filter(|k| {
            JobKey::parse(k).is_some_and(|k| {
                k.stage == Stage::Assigned && !listed.contains(&k.call) && !keep(k.call)
            })
        })
        .cloned()
        .collect()
}

/// The events the call on screen missed, by the platform's list: ringing while it still shows
/// dialling, answered (and held) while it still shows dialling or ringing, as when its events
/// came before the event stream was routed (a call placed just after sign-in: it showed
/// "Dialling…" while the customer's phone rang) or while it was down. Nothing otherwise: the
/// list may be older than an event taken since (held, resumed), and an end is the resume's own
/// decision.
pub fn missed_answer(shown: CallPhase, listed: CallPhase) -> Vec<CallEvent> {
    if !matches!(shown, CallPhase::Dialling | CallPhase::Ringing) {
        return Vec::new();
    }
    match listed {
        CallPhase::Ringing if shown == CallPhase::Dialling => vec![CallEvent::Ringing],
        CallPhase::Connected => vec![CallEvent::Connected],
        CallPhase::OnHold => vec![CallEvent::Connected, CallEvent::Held],
        _ => Vec::new(),
    }
}

impl ActiveCall {
    /// An outbound call just placed.
    pub fn placed(plan: DialPlan) -> Self {
        Self {
            id: None,
            phase: CallPhase::Dialling,
            connected_at_ms: None,
            ended_at_ms: None,
            ticket_id: None,
            inbound: None,
            tones: String::new(),
            held: false,
            // An outbound call's first job is queued once it has its id; "Do not create a
            // ticket" (OUT-10) queues none.
            logging: match plan.ticket {
                TicketPlan::None => Logging::Unknown,
                _ => Logging::Working,
            },
            missed: false,
            unanswered: false,
            handed_on: false,
            hanging_up: false,
            plan,
        }
    }

    /// A customer's call `id` from `from`, ringing for the agent.
    pub fn offered(id: u64, from: &str, menu: String, language: String) -> Self {
        let mut call = Self::placed(plan_of(from, &language, TicketPlan::New));
        call.id = Some(id);
        call.phase = CallPhase::Ringing;
        // Worked out once the agent answers (`Logging::Working` from then).
        call.logging = Logging::Unknown;
        call.inbound = Some(Inbound {
            menu,
            language,
            ..Inbound::default()
        });
        call
    }

    /// Whether this is a customer's call still ringing for the agent: not answered, refused
    /// or ended yet.
    pub fn offered_to_agent(&self) -> bool {
        self.inbound.is_some() && self.phase == CallPhase::Ringing
    }

    /// A call found again after a reload, at `now_ms`; `created` is the ticket its first job
    /// created.
    pub fn resumed(listed: &Listed, created: Option<u64>, now_ms: i64) -> Self {
        let ticket = match listed.ticket_id {
            Some(id) => TicketPlan::Existing { id },
            None => TicketPlan::New,
        };
        let mut call = Self::placed(plan_of(&listed.customer_number, &listed.lang, ticket));
        call.id = Some(listed.id);
        // Whether its first job is still to write is the outbox's to say, not this screen's.
        call.logging = Logging::Unknown;
        call.phase = listed.phase;
        call.held = listed.phase == CallPhase::OnHold;
        if matches!(call.phase, CallPhase::Connected | CallPhase::OnHold) {
            call.connected_at_ms = Some(now_ms - (listed.talked_s as i64) * 1_000);
        }
        call.ticket_id = created.or(listed.ticket_id);
        if listed.inbound {
            call.inbound = Some(Inbound {
                menu: listed.menu.clone(),
                language: listed.lang.clone(),
                logged: true,
                ..Inbound::default()
            });
        }
        call
    }

    /// An inbound call found again after a reload whose first job was being worked out and
    /// not queued ([`Unqueued`]): its caller as the agent had picked, not logged yet, being
    /// logged.
    pub fn resumed_unqueued(listed: &Listed, picked: Option<u64>, now_ms: i64) -> Self {
        let mut call = Self::resumed(listed, None, now_ms);
        if let Some(inbound) = call.inbound.as_mut() {
            inbound.logged = false;
            inbound.picked = picked;
        }
        call.logging = Logging::Working;
        call
    }

    /// What the in-call screen says of the call's phase.
    pub fn status_label(&self) -> Label {
        if self.hanging_up && self.is_live() {
            return Label::CallHangingUp;
        }
        match self.phase {
            CallPhase::Ringing if self.inbound.is_some() => Label::IncomingCall,
            CallPhase::Dialling => Label::CallDialling,
            CallPhase::Ringing => Label::CallRinging,
            CallPhase::Connected => Label::CallConnected,
            CallPhase::OnHold => Label::CallOnHold,
            CallPhase::Ended if self.missed => Label::CallMissed,
            CallPhase::Ended if self.unanswered => Label::OutcomeNoAnswer,
            CallPhase::Ended => Label::CallEnded,
        }
    }

    /// Who the call is with: the contact the dial screen resolved (or the new contact's
    /// name); for an inbound call, the contact the agent picked, else the single contact with
    /// the number (`region` reads national numbers). Else, the requester of the call's ticket
    /// (a call found again after a reload knows its ticket, not its contact).
    pub fn caller_name(&self, crm: &CrmState, region: &str) -> Option<String> {
        let id =
            match (&self.inbound, &self.plan.contact) {
                (Some(inbound), _) => inbound.picked.or_else(|| {
                    match crm.contacts_with_number(&self.plan.to, region)[..] {
                        [only] => Some(only.id),
                        _ => None,
                    }
                }),
                (None, ContactPlan::Existing { id }) => Some(*id),
                (None, ContactPlan::New { name, .. }) => return Some(name.clone()),
                (None, ContactPlan::None) => None,
            };
        let id = id.or_else(|| {
            self.ticket()
                .and_then(|t| crm.ticket(t))
                .map(|t| t.requester_id)
        })?;
        crm.contact(id).map(|c| c.name.clone())
    }

    /// The ticket the call is logged on, once known (created, found, or dialled on).
    pub fn ticket(&self) -> Option<u64> {
        match (self.ticket_id, &self.plan.ticket) {
            (Some(id), _) => Some(id),
            (None, TicketPlan::Existing { id }) => Some(*id),
            _ => None,
        }
    }

    /// What the in-call screen says of the call's ticket: the ticket once known; "not logged,
    /// as chosen" for "Do not create a ticket"; "not logged" for a first job that failed;
    /// "not logged yet" while its first job waits for Zendesk's access;
    /// "being logged" while this page works its first job out (its reads waiting out a rate
    /// limit included) or the outbox holds it (a call found again after a reload with its
    /// first job still queued, too);
    /// nothing while the agent must pick the caller, or where this page does not know (a call
    /// found again after a reload with no job of it queued, an inbound call not answered).
    pub fn ticket_line(&self) -> TicketLine {
        if self.plan.ticket == TicketPlan::None {
            return TicketLine::NotLoggedAsChosen;
        }
        if self.logging == Logging::Waiting {
            return TicketLine::Waiting(self.ticket());
        }
        if let Some(id) = self.ticket() {
            return TicketLine::On(id);
        }
        match self.logging {
            Logging::Failed => TicketLine::NotLogged,
            // An outbound call's job is queued once `POST /calls` answered.
            Logging::Working if self.id.is_some() && !self.must_pick() => TicketLine::Logging,
            _ => TicketLine::Nothing,
        }
    }

    /// TICKET-6: the agent must still pick the caller among the contacts sharing the number.
    pub fn must_pick(&self) -> bool {
        self.inbound
            .as_ref()
            .is_some_and(|i| !i.candidates.is_empty() && i.picked.is_none())
    }

    /// True until the call has ended.
    pub fn is_live(&self) -> bool {
        self.phase != CallPhase::Ended
    }

    /// The platform lists the call ended while it was on screen as live (its end was missed):
    /// it shows ended, from `now_ms`.
    pub fn end_missed(&mut self, now_ms: i64) {
        if self.is_live() {
            self.phase = CallPhase::Ended;
            self.ended_at_ms = Some(now_ms);
        }
    }

    /// The call went on to another agent: it ends here ([`ActiveCall::handed_on`]).
    pub fn hand_on(&mut self, now_ms: i64) {
        if self.is_live() {
            self.handed_on = true;
        }
        self.end_missed(now_ms);
    }

    /// `POST /calls` answered: the call has its id, and the ticket it was dialled on, if any.
    pub fn numbered(&mut self, id: u64) {
        self.id = Some(id);
        if let TicketPlan::Existing { id } = self.plan.ticket {
            self.ticket_id = Some(id);
        }
    }

    /// The job that logs this call first, once it has an id.
    pub fn first_job(&self) -> Option<JobKey> {
        self.id.map(|id| JobKey::first(id, self.inbound.is_some()))
    }

    /// True once the call's ticket work is queued (or, outbound, will be: any plan but "Do not
    /// create a ticket").
    pub fn is_logged(&self) -> bool {
        match &self.inbound {
            Some(inbound) => inbound.logged,
            None => self.plan.ticket != TicketPlan::None,
        }
    }

    /// How this call's end is logged (see [`EndLog`]).
    pub fn end_log(&self) -> EndLog {
        match (self.ticket_id, self.first_job()) {
            (Some(ticket), _) => EndLog::Now(CallTicket::Known(ticket)),
            (None, Some(first)) if self.is_logged() => EndLog::Now(CallTicket::Pending(first)),
            (None, _)
                if self
                    .inbound
                    .as_ref()
                    .is_some_and(|i| i.candidates.is_empty() || i.picked.is_some()) =>
            {
                EndLog::AfterCaller
            }
            _ => EndLog::NotLogged,
        }
    }

    /// The platform's line for the end's voice comment: for a call placed here whose end names
    /// no line, the number it was placed from.
    pub fn line_of(&self, platform_line: String) -> String {
        if platform_line.is_empty() && self.inbound.is_none() {
            self.plan.outbound_number.clone()
        } else {
            platform_line
        }
    }

    /// The platform's event for this call, at `now_ms`: the new phase, and what it asks to be
    /// done (the extension dialled and an inbound call's ticket once connected the first time;
    /// the end logged).
    pub fn on_event(&mut self, event: CallEvent, now_ms: i64) -> Vec<CallEffect> {
        let phase = match event {
            CallEvent::Ringing => CallPhase::Ringing,
            CallEvent::Connected | CallEvent::Resumed => CallPhase::Connected,
            CallEvent::Held => CallPhase::OnHold,
            CallEvent::Ended => CallPhase::Ended,
        };
        let first_connect = event == CallEvent::Connected && self.connected_at_ms.is_none();
        if event == CallEvent::Ended && self.offered_to_agent() {
            self.missed = true;
        }
        if event == CallEvent::Ended
            && self.inbound.is_none()
            && self.connected_at_ms.is_none()
            && !self.hanging_up
            && matches!(self.phase, CallPhase::Dialling | CallPhase::Ringing)
        {
            self.unanswered = true;
        }
        self.phase = phase;
        match event {
            CallEvent::Held => self.held = true,
            CallEvent::Connected | CallEvent::Resumed => self.held = false,
            _ => {}
        }
        if phase == CallPhase::Connected && self.connected_at_ms.is_none() {
            self.connected_at_ms = Some(now_ms);
        }
        if phase == CallPhase::Ended {
            self.ended_at_ms = Some(now_ms);
        }
        let mut effects = Vec::new();
        if first_connect {
            if let Some(extension) = self.plan.extension.as_deref().filter(|e| !e.is_empty()) {
                effects.push(CallEffect::Tones(extension.to_owned()));
            }
            if self.inbound.is_some() {
                effects.push(CallEffect::LogInbound);
            }
        }
        if event == CallEvent::Ended {
            effects.push(CallEffect::LogEnd(self.end_log()));
        }
        effects
    }

    /// The answer to the agent's last Hold or Resume press (`Some(true)` on hold, `Some(false)`
    /// connected, `None` anything else; `Err` refused): the phase the screen shows. A refusal
    /// shows what the platform said last, not the opposite of the press: after Hold refused and
    /// then Resume refused, the call was never on hold. Nothing changes on an ended call.
    pub fn after_hold(&mut self, answer: Result<Option<bool>, ()>) {
        if let Ok(Some(on_hold)) = answer {
            self.held = on_hold;
        }
        let phase = match answer {
            Ok(Some(true)) => CallPhase::OnHold,
            Ok(Some(false)) => CallPhase::Connected,
            Ok(None) => return,
            Err(()) if self.held => CallPhase::OnHold,
            Err(()) => CallPhase::Connected,
        };
        if self.is_live() {
            self.phase = phase;
        }
    }
}
