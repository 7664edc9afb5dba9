//! The adapter's live state, shared by the components through context, and the intents they
//! send. Components render these signals; the decisions come from `domain`, the I/O from the
//! [`Effects`] the state holds (the browser's in Zendesk; none, or a recording fake, in
//! component tests, where the CRM data is given).

use super::{
    effects::{Effects, NoEffects},
    messages::Message,
};
pub use domain::call::{ActiveCall, CallPhase, Inbound};
use domain::{
    call::{call_back_dialout, Dialout},
    chat::{client_id, sendable, Chat, ChatStatus, Outgoing},
    comments::VoicemailAction,
    crm::CrmState,
    dial::{
        ContactPlan, DialContext, DialError, DialPlan, DialScreen, DialView, DialWork, EntryPoint,
        Pending,
    },
    history::{callback_plan, voicemail_plan, CallbackOf, RecentCall, Voicemail},
    labels::{Catalogue, Label},
};
use leptos::prelude::*;
use std::rc::Rc;

/// Which screen the adapter shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen {
    /// Connecting to Zendesk.
    Booting,
    /// The `background` location: no screen; it preloads the top bar so click-to-call reaches
    /// it before the agent has opened the adapter.
    Background,
    /// The adapter cannot work here; the text says why.
    Unavailable(String),
    /// Platform sign-in.
    SignIn,
    /// The outbound dial screen.
    Dial,
    /// A call in progress or just ended.
    InCall,
    /// The agent's calls of the last days.
    Recent,
    /// The queue's voicemails.
    Voicemail,
    /// A chat: its offer, its conversation, or its end.
    Chat(u64),
}

impl Screen {
    /// Whether only a signed-in session shows this screen (its code is the session's:
    /// `crate::session_code`).
    pub fn in_session(&self) -> bool {
        !matches!(
            self,
            Screen::Booting | Screen::Background | Screen::Unavailable(_) | Screen::SignIn
        )
    }
}

/// The agent's history as the Recent screen shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// The calls listed, newest first.
    pub calls: Vec<RecentCall>,
    /// The next page's cursor; `None` on the last page.
    pub next_cursor: Option<String>,
    /// True while a page is being read.
    pub loading: bool,
    /// The first page asked for again while a read was under way (Recent opened again): read
    /// once that read answers (its answer may predate a call that just ended).
    pub again: bool,
    /// True once a first page has been read in this session.
    pub loaded: bool,
    /// Why the last read failed (the list keeps what was read before).
    pub failed: Option<String>,
    /// True when the read that failed was of the next page (Try again reads it again).
    pub failed_more: bool,
    /// The reads tried again by themselves since the last one the agent asked for (0 when
    /// none): a later one is made only if this has not changed meanwhile.
    pub retries: u32,
    /// True when the list shown came from a read made again by itself after a failed one: the
    /// keyboard that was on Try again waits on the heading, not on a row (where the Enter the
    /// agent meant for Try again would call someone back).
    pub by_itself: bool,
}

/// The voicemails as the Voicemail screen shows them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Voicemails {
    /// Not closed, newest first.
    pub list: Vec<Voicemail>,
    /// True while they are being read.
    pub loading: bool,
    /// A read asked for while one was under way (the stream reconnected, Voicemail opened):
    /// made once that one answers, as its answer may predate what the ask was for.
    pub again: bool,
    /// What the stream said while a read was under way: put back on its answer, which may have
    /// been taken before (a voicemail left then would otherwise go until the next read).
    pub streamed: Vec<Voicemail>,
    /// True once they have been read in this session.
    pub loaded: bool,
    /// Why the last read or action failed.
    pub failed: Option<String>,
    /// True when what [`Voicemails::failed`] says is a read of the list (Try again reads it
    /// again), not an action on one voicemail.
    pub read_failed: bool,
    /// Voicemails with an action under way (its buttons wait).
    pub busy: Vec<u64>,
    /// The voicemail whose call back the platform refused: when the list shows again, the
    /// keyboard goes back to its Call back, not to the first row (whose Enter would call another
    /// customer).
    pub called_back: Option<u64>,
    /// The reads tried again by themselves since the last one the agent asked for (see
    /// [`History::retries`]).
    pub retries: u32,
    /// As [`History::by_itself`].
    pub by_itself: bool,
}

/// How an error banner looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BannerKind {
    /// Something failed.
    Error,
    /// Information.
    Notice,
}

/// A message at the top of the adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Banner {
    /// The text (always rendered as text).
    pub text: String,
    /// What the server said behind it, shown on a smaller line.
    pub detail: Option<String>,
    /// Its look.
    pub kind: BannerKind,
    /// The chat it is about, when it says that chat could not be logged: it gives way to a word
    /// that the chat is logged once it is (its end decides its first job again).
    pub chat: Option<u64>,
}

impl Banner {
    /// A banner about no one chat.
    pub fn new(kind: BannerKind, text: String, detail: Option<String>) -> Self {
        Self {
            text,
            detail,
            kind,
            chat: None,
        }
    }
}

/// A click-to-call's dial screen, staged and not drawn yet ([`Adapter::stage_dialout`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staged {
    /// The screen shown when it was staged.
    pub before: Screen,
    /// The keypad opens with it.
    pub keypad: bool,
    /// Which staging it is: only the latest is drawn.
    number: u64,
}

/// The adapter's state: copyable handles to signals, provided once as context.
#[derive(Clone, Copy)]
pub struct Adapter {
    /// The screen shown.
    pub screen: RwSignal<Screen>,
    /// The words of the agent's language.
    pub catalogue: RwSignal<Catalogue>,
    /// The banner, if any.
    pub banner: RwSignal<Option<Banner>>,
    /// The open dial screen's state machine.
    pub dial: RwSignal<Option<DialScreen>>,
    /// The CRM data fetched for it.
    pub crm: RwSignal<CrmState>,
    /// True while CRM data is being fetched.
    pub loading: RwSignal<bool>,
    /// The reads the dial screen asked for that have not answered (a failed one stays until
    /// its retry succeeds): what depends on them waits.
    pub pending: RwSignal<Pending>,
    /// True while the number-entry keypad is shown (UI-5).
    pub keypad_open: RwSignal<bool>,
    /// How many times Zendesk showed the adapter's pane again (`pane.activated`: the agent
    /// opened it from the top bar after it was hidden): the keyboard comes back into it.
    pub pane_shown: RwSignal<u32>,
    /// Settings, team and options, copied into each dial screen when it opens (SET-16).
    pub context: RwSignal<DialContext>,
    /// The call in progress, if any.
    pub call: RwSignal<Option<ActiveCall>>,
    /// The plans placed (the last one is the current call).
    pub placed: RwSignal<Vec<DialPlan>>,
    /// Message of the last refused Call (shown inline).
    pub refusal: RwSignal<Option<String>>,
    /// The platform's host, shown on the sign-in form: where the password goes.
    pub platform_host: RwSignal<Option<String>>,
    /// The signed-in agent's name (the home screen's status line).
    pub agent_name: RwSignal<Option<String>>,
    /// The agent's history (Recent).
    pub history: RwSignal<History>,
    /// The voicemails (Voicemail, and the unread count on the home screen).
    pub voicemails: RwSignal<Voicemails>,
    /// The call being hung up for "Hang up and call back" (its button waits meanwhile).
    pub calling_back: RwSignal<Option<u64>>,
    /// The agent's chats (offered, active, ended and not closed), in the order they came.
    pub chats: RwSignal<Vec<Chat>>,
    /// The phone's screen to go back to from a chat (home, a call, Recent, Voicemail).
    pub phone_screen: RwSignal<Screen>,
    /// The composer's text of each chat (kept while the agent switches tabs).
    pub drafts: RwSignal<Vec<(u64, String)>>,
    /// Chats with an accept, a decline or an end under way (their buttons wait).
    pub chat_busy: RwSignal<Vec<u64>>,
    /// Where intents go out (see [`Adapter::set_effects`]).
    effects: StoredValue<Rc<dyn Effects>, LocalStorage>,
    /// How many click-to-calls were staged ([`Adapter::stage_dialout`]).
    staged: StoredValue<u64>,
}

impl Default for Adapter {
    fn default() -> Self {
        Self::new()
    }
}

impl Adapter {
    /// A fresh state on the booting screen.
    pub fn new() -> Self {
        Self {
            screen: RwSignal::new(Screen::Booting),
            catalogue: RwSignal::new(Catalogue::english()),
            banner: RwSignal::new(None),
            dial: RwSignal::new(None),
            crm: RwSignal::new(CrmState::default()),
            loading: RwSignal::new(false),
            pending: RwSignal::new(Pending::default()),
            keypad_open: RwSignal::new(false),
            pane_shown: RwSignal::new(0),
            context: RwSignal::new(DialContext::default()),
            call: RwSignal::new(None),
            placed: RwSignal::new(Vec::new()),
            refusal: RwSignal::new(None),
            platform_host: RwSignal::new(None),
            agent_name: RwSignal::new(None),
            history: RwSignal::new(History::default()),
            voicemails: RwSignal::new(Voicemails::default()),
            calling_back: RwSignal::new(None),
            chats: RwSignal::new(Vec::new()),
            phone_screen: RwSignal::new(Screen::Dial),
            drafts: RwSignal::new(Vec::new()),
            chat_busy: RwSignal::new(Vec::new()),
            effects: StoredValue::new_local(Rc::new(NoEffects)),
            staged: StoredValue::new(0),
        }
    }

    /// Sends this state's intents to `effects` from now on (the browser's, once ZAF is
    /// reachable; a recording fake in tests).
    pub fn set_effects(&self, effects: Rc<dyn Effects>) {
        self.effects.set_value(effects);
    }

    /// The outside world this state's intents go to (none once the state is disposed).
    pub fn effects(&self) -> Rc<dyn Effects> {
        self.effects
            .try_get_value()
            .unwrap_or_else(|| Rc::new(NoEffects))
    }

    /// Provides this state to the components below.
    pub fn provide(self) -> Self {
        provide_context(self);
        self
    }

    /// What the in-call screen says of call `id`'s logging (`ActiveCall::ticket_line`), while
    /// it is the call on screen (an inbound call's first job, or any call's failing for good).
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn set_logging(&self, id: u64, logging: domain::call::Logging) {
        self.call.update(|c| {
            if let Some(c) = c.as_mut().filter(|c| c.id == Some(id)) {
                c.logging = logging;
            }
        });
    }

    /// A label in the agent's language (untracked: for messages built in intents).
    pub fn word(&self, label: Label) -> String {
        self.catalogue.with_untracked(|c| c.get(label).to_owned())
    }

    /// A sentence of the agent's language with its `{name}`s filled in (untracked).
    pub fn fill(&self, label: Label, values: &[(&str, &dyn std::fmt::Display)]) -> String {
        self.catalogue.with_untracked(|c| c.fill(label, values))
    }

    /// What the dial screen shows, recomputed when the screen, the CRM data or the language
    /// change.
    pub fn view(&self) -> Option<DialView> {
        let (crm, pending, catalogue) = (self.crm, self.pending, self.catalogue);
        self.dial.with(|d| {
            d.as_ref().map(|d| {
                crm.with(|crm| pending.with(|p| catalogue.with(|cat| d.view_with(crm, p, cat))))
            })
        })
    }

    /// Opens the dial screen for an entry point (UI-13, FLOW-1).
    pub fn open_dial(&self, entry: EntryPoint) {
        let keypad = self.stage_dial(entry, None);
        self.show_dial(keypad);
    }

    /// The first half of opening a dial screen: its draft in place (untracked, nothing is
    /// drawn) with `number` typed in it, and the reads it needs sent. Says whether the keypad
    /// opens with it. [`Adapter::show_dial`] draws it.
    pub fn stage_dial(&self, entry: EntryPoint, number: Option<String>) -> bool {
        // FLOW-6: manual dial opens on the keypad; FLOW-9: "Enter new number" too; a number
        // given as if typed shows the choices instead.
        let keypad = number.is_none()
            && matches!(
                entry,
                EntryPoint::Keypad | EntryPoint::TicketNewNumber { .. }
            );
        let mut screen = DialScreen::open(entry, self.context.get_untracked());
        if let Some(number) = number {
            screen.set_number(&number);
        }
        self.stage_screen(screen);
        keypad
    }

    /// Opens the dial screen the agent was working on before a reload (`services::dial_draft`),
    /// with the settings and options of now: on the keypad while the agent was typing the
    /// number or nothing is done yet, else on the choices, as after Next ([`DialWork::on_keypad`]).
    pub fn open_work(&self, work: DialWork) {
        let keypad = work.on_keypad();
        let screen = DialScreen::resume(work, self.context.get_untracked());
        self.stage_screen(screen);
        self.show_dial(keypad);
    }

    /// [`Adapter::stage_dial`] for a screen made up: in place, its reads sent, not drawn.
    fn stage_screen(&self, screen: DialScreen) {
        // What the last screen said goes now, so that what the reads say (a lookup waiting
        // out a 429, refused at once) stays when the screen is drawn.
        if self.refusal.with_untracked(Option::is_some) {
            self.refusal.set(None);
        }
        self.clear_banner();
        // The screen's reads are sent before it is drawn: the draft is in place (untracked),
        // the reads leave, then the screen renders.
        self.dial.update_untracked(|d| *d = Some(screen));
        // SET-16: the settings as they are now, not as they were at sign-in.
        self.effects().dial_opened();
        self.effects().refresh();
    }

    /// Draws a click-to-call's dial screen ([`Adapter::stage_dialout`]), unless a later
    /// click-to-call was staged since (its own drawing shows it) or something else took the
    /// screen in between (a call offered, a sign-out): as when that came after the dial screen
    /// was drawn. True when it is drawn.
    pub fn show_staged(&self, staged: &Staged) -> bool {
        if self.staged.get_value() != staged.number
            || self.screen.with_untracked(|s| *s != staged.before)
        {
            return false;
        }
        self.show_dial(staged.keypad);
        true
    }

    /// Draws the dial screen [`Adapter::stage_dial`] put in place.
    pub fn show_dial(&self, keypad: bool) {
        self.dial.notify();
        self.pending.notify();
        self.loading.notify();
        self.keypad_open.set(keypad);
        self.screen.set(Screen::Dial);
    }

    /// Applies an agent's edit to the dial screen, then fetches what it now needs.
    pub fn edit(&self, f: impl FnOnce(&mut DialScreen)) {
        self.dial.update(|d| {
            if let Some(d) = d {
                f(d)
            }
        });
        self.refusal.set(None);
        self.effects().refresh();
    }

    /// UI-11: places the call, or says why it cannot be placed.
    pub fn call(&self) {
        if self
            .call
            .with_untracked(|c| c.as_ref().is_some_and(|c| c.phase != CallPhase::Ended))
        {
            return;
        }
        let result = self.dial.with_untracked(|d| {
            let d = d.as_ref()?;
            Some(self.crm.with_untracked(|crm| {
                self.pending.with_untracked(|p| {
                    self.catalogue.with_untracked(|cat| {
                        d.call_with(crm, p, cat).map_err(|e| (e.message(cat), e))
                    })
                })
            }))
        });
        match result {
            // One call at a time: another of the agent's tabs has one on.
            Some(Ok(_)) if self.refuse_while_on_call_elsewhere() => {}
            Some(Ok(plan)) => {
                // A new try: what the last one said goes (it shows again if this one fails).
                self.clear_banner();
                self.placed.update(|p| p.push(plan.clone()));
                self.call.set(Some(ActiveCall::placed(plan.clone())));
                self.screen.set(Screen::InCall);
                self.effects().place(plan);
            }
            // Still looking up: nothing failed, and the screen says so while the reads are out
            // (a refusal kept it said after they answered, beside what they found).
            Some(Err((_, DialError::ContactLoading))) => {}
            Some(Err((message, _))) => {
                self.effects().notify_error(&message);
                self.refusal.set(Some(message));
            }
            None => {}
        }
    }

    /// Answers the inbound call offered to the agent.
    pub fn answer(&self) {
        let mut first = false;
        self.call.update(|c| {
            if let Some(c) = c.as_mut().filter(|c| c.phase == CallPhase::Ringing) {
                if let Some(inbound) = c.inbound.as_mut().filter(|i| !i.answering) {
                    inbound.answering = true;
                    first = true;
                }
            }
        });
        if first {
            // A new try: what the last one said goes (it shows again if this one fails).
            self.clear_banner();
            self.effects().answer();
        }
    }

    /// Puts a connected call on hold, or takes it off hold. The screen changes at once; the
    /// browser puts it back and says why if the platform refuses.
    pub fn toggle_hold(&self) {
        let mut on = None;
        self.call.update(|c| {
            if let Some(c) = c {
                match c.phase {
                    CallPhase::Connected => {
                        c.phase = CallPhase::OnHold;
                        on = Some(true);
                    }
                    CallPhase::OnHold => {
                        c.phase = CallPhase::Connected;
                        on = Some(false);
                    }
                    _ => {}
                }
            }
        });
        if let Some(on) = on {
            self.effects().hold(on);
        }
    }

    /// Sends a touch tone on a connected call (not on hold: the customer would not hear it).
    pub fn tone(&self, key: domain::phone::Key) {
        if key == domain::phone::Key::Plus {
            return;
        }
        let mut sent = false;
        self.call.update(|c| {
            if let Some(c) = c.as_mut().filter(|c| c.phase == CallPhase::Connected) {
                c.tones.push(key.as_char());
                sent = true;
            }
        });
        if sent {
            self.effects().send_tone(key.as_char());
        }
    }

    /// TICKET-6: the agent picked the caller among the contacts sharing the number.
    pub fn pick_caller(&self, contact_id: u64) {
        let mut picked = false;
        self.call.update(|c| {
            if let Some(inbound) = c.as_mut().and_then(|c| c.inbound.as_mut()) {
                if inbound.picked.is_none() && inbound.candidates.contains(&contact_id) {
                    inbound.picked = Some(contact_id);
                    picked = true;
                }
            }
        });
        if picked {
            self.effects().pick_caller(contact_id);
        }
    }

    /// Leaves the ended call's screen: after an inbound call that came in while the agent was
    /// preparing a call, back to that draft as it was; otherwise a fresh dial screen.
    ///
    /// After a conversation (the call was answered), the draft comes back to be looked over,
    /// not ready to call: on the keypad, its number where the agent left it (Enter: Next, then
    /// the choices), its contact's tickets and the settings read again (the call, often with
    /// another customer, may have changed them). Before, it came back on its choices with the
    /// keyboard on Call: the Enter after New call called the customer set up before the call,
    /// on what was read then.
    pub fn after_call(&self) {
        let (inbound, talked) = self.call.with_untracked(|c| {
            c.as_ref().map_or((false, false), |c| {
                (c.inbound.is_some(), c.connected_at_ms.is_some())
            })
        });
        self.call.set(None);
        if inbound && self.dial.with_untracked(Option::is_some) {
            self.banner.set(None);
            if talked {
                self.effects().dial_opened();
                self.effects().refresh();
                self.show_dial(true);
                return;
            }
            self.screen.set(Screen::Dial);
            // The offer took the draft out of the tab's storage: it is kept again (and any
            // read it still owes is sent).
            self.effects().refresh();
        } else {
            self.cancel();
        }
    }

    /// Signs out, unless a call is on (its end must be logged by this adapter): the draft is
    /// dropped, and what is not written yet is kept (`services::session::sign_out`).
    pub fn sign_out(&self) {
        let call_on = self
            .call
            .with_untracked(|c| c.as_ref().is_some_and(ActiveCall::is_live));
        if call_on {
            self.notice(self.word(Label::SignOutAfterCall));
            return;
        }
        self.dial.set(None);
        self.effects().sign_out();
    }

    /// UI-12: discards the draft and shows a fresh dial screen.
    pub fn cancel(&self) {
        self.open_dial(EntryPoint::Keypad);
    }

    /// Shows chat `id` (its unread messages are read once on screen); the phone's screen is
    /// kept to come back to.
    pub fn open_chat(&self, id: u64) {
        if !self.chats.with_untracked(|c| c.iter().any(|c| c.id == id)) {
            return;
        }
        let now = self.screen.get_untracked();
        if !matches!(now, Screen::Chat(_)) {
            self.phone_screen.set(now);
        }
        self.chats.update(|all| {
            if let Some(c) = all.iter_mut().find(|c| c.id == id) {
                c.unread = 0;
            }
        });
        self.screen.set(Screen::Chat(id));
    }

    /// Back to the phone's screen from a chat: the call when one is on, else where the agent was.
    pub fn open_phone(&self) {
        let live = self
            .call
            .with_untracked(|c| c.as_ref().is_some_and(|c| c.phase != CallPhase::Ended));
        let back = self.phone_screen.get_untracked();
        match back {
            _ if live => self.screen.set(Screen::InCall),
            Screen::Dial if self.dial.with_untracked(Option::is_none) => self.home(),
            Screen::Chat(_) | Screen::Booting | Screen::SignIn => self.home(),
            other => self.screen.set(other),
        }
    }

    /// The session tabs (the phone, then each chat) in order; Alt+`digit` opens the one at
    /// [`domain::chat::tab_for_digit`].
    pub fn open_tab(&self, index: usize) {
        if index == 0 {
            self.open_phone();
            return;
        }
        let id = self
            .chats
            .with_untracked(|c| c.get(index - 1).map(|c| c.id));
        if let Some(id) = id {
            self.open_chat(id);
        }
    }

    /// Takes (`accept`) or refuses the chat offered; a second press while it is under way does
    /// nothing.
    pub fn answer_chat(&self, id: u64, accept: bool) {
        if self.chat_busy.with_untracked(|b| b.contains(&id)) {
            return;
        }
        let offered = self.chats.with_untracked(|c| {
            c.iter()
                .any(|c| c.id == id && c.status == ChatStatus::Offered)
        });
        if offered {
            // Tried again: what the last try said goes (it comes back if this one fails too).
            self.clear_banner();
            self.chat_busy.update(|b| b.push(id));
            self.effects().answer_chat(id, accept);
        }
    }

    /// The composer's text of chat `id`.
    pub fn draft(&self, id: u64) -> String {
        self.drafts.with(|d| {
            d.iter()
                .find(|(c, _)| *c == id)
                .map(|(_, t)| t.clone())
                .unwrap_or_default()
        })
    }

    /// Keeps what the agent writes in chat `id`'s composer (in the tab too, for a reload).
    pub fn set_draft(&self, id: u64, text: String) {
        self.drafts.update(|d| {
            d.retain(|(c, _)| *c != id);
            if !text.is_empty() {
                d.push((id, text));
            }
        });
        self.effects().chat_draft_changed();
    }

    /// Sends the composer's text of chat `id`: it shows at once as on its way, the composer
    /// empties; a text that cannot be sent stays, with the reason. Returns the reason.
    pub fn send_chat(&self, id: u64, counter: u64, page: &str) -> Option<String> {
        let text = self.draft(id);
        let active = self.chats.with_untracked(|c| {
            c.iter()
                .any(|c| c.id == id && c.status == ChatStatus::Active)
        });
        if !active {
            return None;
        }
        match sendable(&text) {
            Err(label) => Some(self.word(label)),
            Ok(text) => {
                let client = client_id(page, id, counter);
                self.chats.update(|all| {
                    if let Some(c) = all.iter_mut().find(|c| c.id == id) {
                        c.outgoing.push(Outgoing {
                            client_id: client.clone(),
                            text: text.clone(),
                            failed: None,
                        });
                    }
                });
                self.set_draft(id, String::new());
                self.effects().send_chat(id, client, text);
                None
            }
        }
    }

    /// Sends again a message of chat `id` that failed (the same message: its client id).
    pub fn resend_chat(&self, id: u64, client: &str) {
        let mut text = None;
        self.chats.update(|all| {
            if let Some(o) = all
                .iter_mut()
                .find(|c| c.id == id && c.status == ChatStatus::Active)
                .and_then(|c| c.outgoing.iter_mut().find(|o| o.client_id == client))
                .filter(|o| o.failed.is_some())
            {
                o.failed = None;
                text = Some(o.text.clone());
            }
        });
        if let Some(text) = text {
            self.effects().send_chat(id, client.to_owned(), text);
        }
    }

    /// Ends chat `id` (its transcript is written once it has ended).
    pub fn end_chat(&self, id: u64) {
        if self.chat_busy.with_untracked(|b| b.contains(&id)) {
            return;
        }
        let active = self.chats.with_untracked(|c| {
            c.iter()
                .any(|c| c.id == id && c.status == ChatStatus::Active)
        });
        if active {
            // A new try: what the last one said goes (it shows again if this one fails).
            self.clear_banner();
            self.chat_busy.update(|b| b.push(id));
            self.effects().end_chat(id);
        }
    }

    /// Closes the tab of an ended chat; the next chat, else the phone, shows.
    pub fn close_chat(&self, id: u64) {
        let mut next = None;
        self.chats.update(|all| {
            if let Some(i) = all
                .iter()
                .position(|c| c.id == id && c.status == ChatStatus::Ended)
            {
                all.remove(i);
                next = all.get(i).or(all.last()).map(|c| c.id);
            }
        });
        self.set_draft(id, String::new());
        if self.screen.get_untracked() == Screen::Chat(id) {
            match next {
                Some(n) => self.open_chat(n),
                None => self.open_phone(),
            }
        }
    }

    /// The home screen: the keypad of a fresh dial screen, with Recent and Voicemail beside it;
    /// a number left on the keypad for Recent or Voicemail is found there again.
    pub fn home(&self) {
        let left = self
            .screen
            .with_untracked(|s| matches!(s, Screen::Recent | Screen::Voicemail))
            && self.dial.with_untracked(|d| {
                d.as_ref()
                    .is_some_and(|d| *d.entry() == EntryPoint::Keypad && d.work().is_some())
            });
        if left {
            self.banner.set(None);
            self.show_dial(true);
        } else {
            self.cancel();
        }
    }

    /// Opens Recent: what was read shows at once, and the first page is read again.
    pub fn open_recent(&self) {
        self.banner.set(None);
        self.screen.set(Screen::Recent);
        self.effects().load_history(false);
    }

    /// Reads the next page of Recent.
    pub fn more_recent(&self) {
        let more = self
            .history
            .with_untracked(|h| h.next_cursor.is_some() && !h.loading);
        if more {
            self.effects().load_history(true);
        }
    }

    /// Opens Voicemail (read again on opening).
    pub fn open_voicemails(&self) {
        self.banner.set(None);
        self.screen.set(Screen::Voicemail);
        self.effects().load_voicemails();
    }

    /// Recent's "Call back": the dial screen with the number, the contact and the call's
    /// ticket preselected.
    pub fn call_back(&self, call: &RecentCall) {
        self.open_dialout(call.call_back(self.team_entry()));
    }

    /// True when team Ticket ID entry applies to the agent (TEAM-3): the adapter's own call
    /// backs without a ticket then open on the keypad ([`call_back_dialout`]).
    pub(crate) fn team_entry(&self) -> bool {
        self.context
            .with_untracked(|c| domain::settings::team_entry_applies(&c.settings, c.team.as_ref()))
    }

    /// Opens the dial screen a click-to-call (or a call back) asks for: an entry point, or a
    /// number as if typed, with the choices in view.
    pub fn open_dialout(&self, dialout: Dialout) {
        if self.refuse_while_on_call() {
            return;
        }
        let staged = self.stage_dialout(dialout);
        self.show_staged(&staged);
    }

    /// True (and the agent told, the call kept in view) while a call is on here: a dial screen
    /// must not cover it (its Hang up, Hold and tones would have no way back), and a second call
    /// cannot be placed beside it.
    pub fn refuse_while_on_call(&self) -> bool {
        let live = self
            .call
            .with_untracked(|c| c.as_ref().is_some_and(ActiveCall::is_live));
        if live {
            let message = self.word(Label::ErrOnCall);
            self.effects().notify_error(&message);
            self.error(message);
            self.screen.set(Screen::InCall);
        }
        live
    }

    /// True (and the agent told) while another of the agent's tabs has a call on: one call at a
    /// time.
    fn refuse_while_on_call_elsewhere(&self) -> bool {
        let elsewhere = self.effects().call_elsewhere();
        if elsewhere {
            let message = self.word(Label::ErrCallInOtherTab);
            self.effects().notify_error(&message);
            self.error(message);
        }
        elsewhere
    }

    /// [`Adapter::stage_dial`] for a click-to-call: the draft in place and its reads sent,
    /// not drawn yet; [`Adapter::show_staged`] draws it.
    pub fn stage_dialout(&self, dialout: Dialout) -> Staged {
        let before = self.screen.get_untracked();
        let keypad = match dialout {
            Dialout::Open(entry) => self.stage_dial(entry, None),
            Dialout::Typed(number) => self.stage_dial(EntryPoint::Keypad, number),
        };
        let number = self.staged.get_value() + 1;
        self.staged.set_value(number);
        Staged {
            before,
            keypad,
            number,
        }
    }

    /// "Hang up and call back" (UPD-5) on a live call, "Callback" (UPD-6) on an ended one: the
    /// same number again, on the call's ticket while it is open (OQ-29), in one action; where
    /// that cannot be decided here, the dial screen opens preselected instead.
    pub fn call_back_now(&self) {
        let Some(call) = self.call.get_untracked() else {
            return;
        };
        // Once per call: a second press while the first hangs up places nothing more.
        if call.id.is_some() && self.calling_back.get_untracked() == call.id {
            return;
        }
        let plan = self
            .crm
            .with_untracked(|crm| callback_plan(&call, crm, &self.context.get_untracked()));
        let (Some(plan), Some(id)) = (plan, call.id) else {
            // A live call is only called back in one action (its end is logged the usual
            // way); the button is not offered otherwise.
            if call.is_live() {
                return;
            }
            let contact = match &call.plan.contact {
                ContactPlan::Existing { id } => Some(*id),
                _ => call.inbound.as_ref().and_then(|i| i.picked),
            };
            self.call.set(None);
            let team = self.team_entry();
            self.open_dialout(call_back_dialout(
                Some(call.plan.to.clone()),
                contact,
                None,
                team,
            ));
            return;
        };
        // A live call is hung up first; the new call shows once the end is on screen (and
        // logged the usual way).
        let hang_up_first = call.is_live().then_some(id);
        if hang_up_first.is_none() && self.refuse_while_on_call_elsewhere() {
            return;
        }
        match hang_up_first {
            Some(id) => self.calling_back.set(Some(id)),
            None => self.show_placed(plan.clone()),
        }
        self.effects()
            .place_callback(plan, CallbackOf::Call(id), hang_up_first);
    }

    /// True when "Hang up and call back" can call the live call on screen back in one action
    /// (its ticket known and open, or no ticket by choice), and is not already doing so.
    pub fn can_call_back_live(&self) -> bool {
        let Some(call) = self.call.get() else {
            return false;
        };
        call.is_live()
            && self.calling_back.get() != call.id
            && self.crm.with(|crm| {
                self.context
                    .with(|ctx| callback_plan(&call, crm, ctx).is_some())
            })
    }

    /// A voicemail's "Call back": the caller, on the voicemail's ticket (OQ-28), at once; without
    /// a ticket, the dial screen with the caller's number.
    pub fn call_back_voicemail(&self, vm: &Voicemail) {
        if self
            .call
            .with_untracked(|c| c.as_ref().is_some_and(ActiveCall::is_live))
        {
            return;
        }
        match voicemail_plan(vm, &self.context.get_untracked()) {
            Some(_) if self.refuse_while_on_call_elsewhere() => {}
            Some(plan) => {
                self.show_placed(plan.clone());
                self.effects()
                    .place_callback(plan, CallbackOf::Voicemail(vm.id), None);
            }
            None => self.open_dialout(call_back_dialout(
                Some(vm.from.clone()),
                vm.contact_id,
                None,
                self.team_entry(),
            )),
        }
    }

    /// Marks a voicemail read or closes it (UPD-15).
    pub fn voicemail_action(&self, id: u64, action: VoicemailAction) {
        let mut first = false;
        self.voicemails.update(|v| {
            if !v.busy.contains(&id) {
                v.busy.push(id);
                first = true;
            }
        });
        if first {
            self.effects().voicemail_action(id, action);
        }
    }

    /// Shows the call that came to the agent (offered, or transferred to them) on the in-call
    /// screen; an agent in a chat they are holding keeps it (what they are writing there stays
    /// theirs, and no key meant for it answers or ends the call): the call is then in the phone's
    /// tab, marked, which opens it (Alt+1), as a chat offered while the agent is in another chat
    /// waits in its tab. A chat offered or ended on screen gives way to the call.
    pub fn show_call(&self) {
        let in_chat = match self.screen.get_untracked() {
            Screen::Chat(id) => self.chats.with_untracked(|all| {
                all.iter()
                    .any(|c| c.id == id && c.status == ChatStatus::Active)
            }),
            _ => false,
        };
        if in_chat {
            self.phone_screen.set(Screen::InCall);
        } else {
            self.screen.set(Screen::InCall);
        }
    }

    /// Shows a call placed without the dial screen (a call back) on the in-call screen.
    pub fn show_placed(&self, plan: DialPlan) {
        self.calling_back.set(None);
        self.placed.update(|p| p.push(plan.clone()));
        self.call.set(Some(ActiveCall::placed(plan)));
        self.banner.set(None);
        self.screen.set(Screen::InCall);
    }

    /// Clears the banner; nothing is drawn again when there is none.
    fn clear_banner(&self) {
        if self.banner.with_untracked(Option::is_some) {
            self.banner.set(None);
        }
    }

    /// Shows information in the banner.
    pub fn notice(&self, text: impl Into<String>) {
        self.banner
            .set(Some(Banner::new(BannerKind::Notice, text.into(), None)));
    }

    /// Shows a failure: the catalogue's text, and the server's detail on a smaller line.
    pub fn fail(&self, message: Message) {
        self.banner.set(Some(Banner::new(
            BannerKind::Error,
            message.text,
            message.detail,
        )));
    }

    /// Shows that chat `id` could not be logged (see [`Banner::chat`]).
    pub fn fail_chat(&self, id: u64, message: Message) {
        self.banner.set(Some(Banner {
            chat: Some(id),
            ..Banner::new(BannerKind::Error, message.text, message.detail)
        }));
    }

    /// Chat `id` is logged: a banner still saying it could not be says it is now.
    pub fn chat_logged(&self, id: u64) {
        if self
            .banner
            .with_untracked(|b| b.as_ref().is_some_and(|b| b.chat == Some(id)))
        {
            self.notice(self.word(Label::ChatLoggedAfterAll));
        }
    }

    /// Puts pasted text in the number (cleaned by the dial screen's rules), or says the clipboard
    /// held no number; what was typed stays when nothing usable was pasted.
    pub fn paste_number(&self, text: &str) {
        if !text.chars().any(|c| c.is_ascii_digit()) {
            self.notice(self.word(Label::NothingToPaste));
            return;
        }
        self.banner.set(None);
        self.edit(|d| d.set_number(text.trim()));
    }

    /// The keypad's paste key: reads the clipboard; where the browser does not allow it, tells
    /// the agent to press the paste shortcut, which the dial screen takes.
    pub fn paste(&self) {
        self.effects().read_clipboard();
    }

    /// The agent typed in the sign-in form (their first key is enough: later ones change
    /// nothing).
    pub fn sign_in_typed(&self) {
        self.effects().sign_in_typed();
    }

    /// Signs in to the platform; `busy` is true while the request runs.
    pub fn sign_in(&self, email: String, password: String, busy: RwSignal<bool>) {
        self.effects().sign_in(email, password, busy);
    }

    /// Ends the call on screen (or declines the call offered).
    pub fn hang_up(&self) {
        // Once per press until the platform answers: a second Hang up (an impatient Enter on a
        // slow link) sends nothing more, and the screen says the call is being hung up.
        // A call whose id the platform has not given yet (Call just pressed on a slow link) has
        // nothing to hang up: the press does nothing, as before, rather than wait for good.
        let mut press = false;
        self.call.update(|c| {
            if let Some(c) = c
                .as_mut()
                .filter(|c| c.is_live() && c.id.is_some() && !c.hanging_up)
            {
                c.hanging_up = true;
                press = true;
            }
        });
        if press {
            self.effects().hang_up();
        }
    }

    /// Opens a ticket in the agent's workspace.
    pub fn open_ticket(&self, id: u64) {
        self.effects().route_to_ticket(id);
    }

    /// The chat on screen changed (`None`: a phone screen): kept, so that a reload comes back
    /// to it.
    pub fn chat_screen_changed(&self, chat: Option<u64>) {
        self.effects().chat_screen_changed(chat);
    }

    /// The chats' messages or unread counts changed: what the agent has seen of each is kept,
    /// so that a reload shows the rest as unread.
    pub fn chats_seen_changed(&self, seen: Vec<(u64, u64)>) {
        self.effects().chats_seen_changed(seen);
    }

    /// Tells the agent's other tabs whether this one has a call on (their Call places none
    /// beside it).
    pub fn say_on_call(&self, on: bool) {
        self.effects().say_on_call(on);
    }

    /// Tells the agent through Zendesk too, in case the adapter is not in view.
    pub fn notify_error(&self, message: &str) {
        self.effects().notify_error(message);
    }

    /// Shows an error in the banner.
    pub fn error(&self, text: impl Into<String>) {
        self.banner
            .set(Some(Banner::new(BannerKind::Error, text.into(), None)));
    }
}

/// The adapter state provided by [`App`](crate::App).
pub fn use_adapter() -> Adapter {
    expect_context::<Adapter>()
}
