//! The one seam between the live state and the outside world: the intents the state hands on
//! to Zendesk and the platform. The browser gives the real implementation (`browser`) once ZAF
//! is reachable; until then, and in component and native tests, the state holds [`NoEffects`]
//! or a [`Recording`] fake.

use domain::{comments::VoicemailAction, dial::DialPlan, history::CallbackOf};
use leptos::prelude::RwSignal;
use std::cell::RefCell;

/// What the live state asks of the outside world. Every method returns at once; the work runs
/// in the background and reports back through the state's signals.
pub trait Effects {
    /// Connects to Zendesk (the app's first intent).
    fn boot(&self) {}
    /// The agent typed in the sign-in form: a sign-in is coming.
    fn sign_in_typed(&self) {}
    /// Signs in to the platform; `busy` is true while the request runs.
    fn sign_in(&self, email: String, password: String, busy: RwSignal<bool>);
    /// Reads the settings again for the dial screen just opened (SET-16).
    fn dial_opened(&self);
    /// Fetches the CRM data the open dial screen needs.
    fn refresh(&self);
    /// Places the plan's call and logs it.
    fn place(&self, plan: DialPlan);
    /// Answers the inbound call on screen.
    fn answer(&self);
    /// Holds (`true`) or resumes (`false`) the call on screen.
    fn hold(&self, on: bool);
    /// Sends a touch tone on the call on screen.
    fn send_tone(&self, tone: char);
    /// Tells the platform which contact the caller is (TICKET-6).
    fn pick_caller(&self, contact_id: u64);
    /// Ends the call on screen.
    fn hang_up(&self);
    /// Reads a number from the clipboard into the dial screen.
    fn read_clipboard(&self);
    /// Tells the agent through Zendesk, in case the adapter is not in view.
    fn notify_error(&self, message: &str);
    /// Opens a ticket in the agent's workspace.
    fn route_to_ticket(&self, id: u64);
    /// Signs the agent out of the platform (what is not written yet is kept).
    fn sign_out(&self);
    /// Reads the first page of the agent's history again, or (`more`) the next one.
    fn load_history(&self, _more: bool) {}
    /// Reads the voicemails.
    fn load_voicemails(&self) {}
    /// Marks a voicemail read or closes it, and writes it on its ticket (UPD-15).
    fn voicemail_action(&self, _id: u64, _action: VoicemailAction) {}
    /// Places a call back (hanging up `hang_up_first` before it), already on screen, and logs
    /// it.
    fn place_callback(&self, _plan: DialPlan, _of: CallbackOf, _hang_up_first: Option<u64>) {}
    /// Takes the chat offered (`accept`) or refuses it.
    fn answer_chat(&self, _id: u64, _accept: bool) {}
    /// Sends the agent's message (a new one, or one that failed, by its client id).
    fn send_chat(&self, _id: u64, _client_id: String, _text: String) {}
    /// Tells the customer whether the agent types.
    fn chat_typing(&self, _id: u64, _typing: bool) {}
    /// Ends the chat.
    fn end_chat(&self, _id: u64) {}
    /// What the agent writes in a chat changed (kept for a reload).
    fn chat_draft_changed(&self) {}
    /// True when another of the agent's tabs has a call on: Call places none beside it.
    fn call_elsewhere(&self) -> bool {
        false
    }
    /// Tells the agent's other tabs whether this one has a call on.
    fn say_on_call(&self, _on: bool) {}
    /// The chat on screen changed (`None`: a phone screen): kept for a reload.
    fn chat_screen_changed(&self, _chat: Option<u64>) {}
    /// The chats' messages or unread counts changed: what the agent has seen is kept for a
    /// reload.
    fn chats_seen_changed(&self, _seen: Vec<(u64, u64)>) {}
}

/// No outside world (before the browser's implementation is set): intents change the state only.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEffects;

impl Effects for NoEffects {
    fn sign_in(&self, _: String, _: String, _: RwSignal<bool>) {}
    fn dial_opened(&self) {}
    fn refresh(&self) {}
    fn place(&self, _: DialPlan) {}
    fn answer(&self) {}
    fn hold(&self, _: bool) {}
    fn send_tone(&self, _: char) {}
    fn pick_caller(&self, _: u64) {}
    fn hang_up(&self) {}
    fn read_clipboard(&self) {}
    fn notify_error(&self, _: &str) {}
    fn route_to_ticket(&self, _: u64) {}
    fn sign_out(&self) {}
}

/// One intent handed to the outside world, as a [`Recording`] keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    /// [`Effects::boot`].
    Boot,
    /// [`Effects::sign_in_typed`].
    SignInTyped,
    /// [`Effects::sign_in`], with the e-mail address (the password is not kept).
    SignIn(String),
    /// [`Effects::dial_opened`].
    DialOpened,
    /// [`Effects::refresh`].
    Refresh,
    /// [`Effects::place`].
    Place(DialPlan),
    /// [`Effects::answer`].
    Answer,
    /// [`Effects::hold`].
    Hold(bool),
    /// [`Effects::send_tone`].
    Tone(char),
    /// [`Effects::pick_caller`].
    PickCaller(u64),
    /// [`Effects::hang_up`].
    HangUp,
    /// [`Effects::read_clipboard`].
    ReadClipboard,
    /// [`Effects::notify_error`].
    NotifyError(String),
    /// [`Effects::route_to_ticket`].
    RouteToTicket(u64),
    /// [`Effects::sign_out`].
    SignOut,
    /// [`Effects::load_history`].
    LoadHistory(bool),
    /// [`Effects::load_voicemails`].
    LoadVoicemails,
    /// [`Effects::voicemail_action`].
    VoicemailAction(u64, VoicemailAction),
    /// [`Effects::place_callback`].
    PlaceCallback(DialPlan, CallbackOf, Option<u64>),
}

/// A fake outside world for tests: records each intent, in order, and does nothing else.
#[derive(Debug, Default)]
pub struct Recording {
    intents: RefCell<Vec<Intent>>,
}

impl Recording {
    /// The intents recorded so far.
    pub fn intents(&self) -> Vec<Intent> {
        self.intents.borrow().clone()
    }

    fn push(&self, intent: Intent) {
        self.intents.borrow_mut().push(intent);
    }
}

impl Effects for Recording {
    fn boot(&self) {
        self.push(Intent::Boot)
    }
    fn sign_in_typed(&self) {
        self.push(Intent::SignInTyped)
    }
    fn sign_in(&self, email: String, _: String, _: RwSignal<bool>) {
        self.push(Intent::SignIn(email))
    }
    fn dial_opened(&self) {
        self.push(Intent::DialOpened)
    }
    fn refresh(&self) {
        self.push(Intent::Refresh)
    }
    fn place(&self, plan: DialPlan) {
        self.push(Intent::Place(plan))
    }
    fn answer(&self) {
        self.push(Intent::Answer)
    }
    fn hold(&self, on: bool) {
        self.push(Intent::Hold(on))
    }
    fn send_tone(&self, tone: char) {
        self.push(Intent::Tone(tone))
    }
    fn pick_caller(&self, contact_id: u64) {
        self.push(Intent::PickCaller(contact_id))
    }
    fn hang_up(&self) {
        self.push(Intent::HangUp)
    }
    fn read_clipboard(&self) {
        self.push(Intent::ReadClipboard)
    }
    fn notify_error(&self, message: &str) {
        self.push(Intent::NotifyError(message.to_owned()))
    }
    fn route_to_ticket(&self, id: u64) {
        self.push(Intent::RouteToTicket(id))
    }
    fn sign_out(&self) {
        self.push(Intent::SignOut)
    }
    fn load_history(&self, more: bool) {
        self.push(Intent::LoadHistory(more))
    }
    fn load_voicemails(&self) {
        self.push(Intent::LoadVoicemails)
    }
    fn voicemail_action(&self, id: u64, action: VoicemailAction) {
        self.push(Intent::VoicemailAction(id, action))
    }
    fn place_callback(&self, plan: DialPlan, of: CallbackOf, hang_up_first: Option<u64>) {
        self.push(Intent::PlaceCallback(plan, of, hang_up_first))
    }
}
