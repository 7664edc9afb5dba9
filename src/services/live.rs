//! The adapter's live state, shared by the components through context, and the intents they
//! send. Components render these signals; the decisions come from `domain`, the I/O from the
//! backend (present in Zendesk; absent in component tests, where the CRM data is given).

use domain::{
    crm::CrmState,
    dial::{DialContext, DialPlan, DialScreen, DialView, EntryPoint},
    labels::{Catalogue, Label},
};
use leptos::prelude::*;

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
    /// Its look.
    pub kind: BannerKind,
}

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
    /// True while the number-entry keypad is shown (UI-5).
    pub keypad_open: RwSignal<bool>,
    /// Settings, team and options, copied into each dial screen when it opens (SET-16).
    pub context: RwSignal<DialContext>,
    /// The call in progress, if any.
    pub call: RwSignal<Option<ActiveCall>>,
    /// The plans placed (the last one is the current call).
    pub placed: RwSignal<Vec<DialPlan>>,
    /// Message of the last refused Call (shown inline).
    pub refusal: RwSignal<Option<String>>,
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
            keypad_open: RwSignal::new(false),
            context: RwSignal::new(DialContext::default()),
            call: RwSignal::new(None),
            placed: RwSignal::new(Vec::new()),
            refusal: RwSignal::new(None),
        }
    }

    /// Provides this state to the components below.
    pub fn provide(self) -> Self {
        provide_context(self);
        self
    }

    /// A label in the agent's language (untracked: for messages built in intents).
    pub fn word(&self, label: Label) -> String {
        self.catalogue.with_untracked(|c| c.get(label).to_owned())
    }

    /// What the dial screen shows, recomputed when the screen, the CRM data or the language
    /// change.
    pub fn view(&self) -> Option<DialView> {
        let crm = self.crm;
        let catalogue = self.catalogue;
        self.dial.with(|d| {
            d.as_ref()
                .map(|d| crm.with(|crm| catalogue.with(|cat| d.view(crm, cat))))
        })
    }

    /// Opens the dial screen for an entry point (UI-13, FLOW-1).
    pub fn open_dial(&self, entry: EntryPoint) {
        // FLOW-6: manual dial opens on the keypad; FLOW-9: "Enter new number" too.
        let keypad = matches!(
            entry,
            EntryPoint::Keypad | EntryPoint::TicketNewNumber { .. }
        );
        let screen = DialScreen::open(entry, self.context.get_untracked());
        self.dial.set(Some(screen));
        self.keypad_open.set(keypad);
        self.refusal.set(None);
        self.banner.set(None);
        self.screen.set(Screen::Dial);
        super::backend::refresh(*self);
    }

    /// Applies an agent's edit to the dial screen, then fetches what it now needs.
    pub fn edit(&self, f: impl FnOnce(&mut DialScreen)) {
        self.dial.update(|d| {
            if let Some(d) = d {
                f(d)
            }
        });
        self.refusal.set(None);
        super::backend::refresh(*self);
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
                self.catalogue
                    .with_untracked(|cat| d.call(crm, cat).map_err(|e| e.message(cat)))
            }))
        });
        match result {
            Some(Ok(plan)) => {
                self.placed.update(|p| p.push(plan.clone()));
                self.call.set(Some(ActiveCall {
                    id: None,
                    phase: CallPhase::Dialling,
                    plan: plan.clone(),
                    connected_at_ms: None,
                    ended_at_ms: None,
                    ticket_id: None,
                }));
                self.screen.set(Screen::InCall);
                super::backend::place(*self, plan);
            }
            Some(Err(message)) => {
                super::backend::notify_error(&message);
                self.refusal.set(Some(message));
            }
            None => {}
        }
    }

    /// UI-12: discards the draft and shows a fresh dial screen.
    pub fn cancel(&self) {
        self.open_dial(EntryPoint::Keypad);
    }

    /// Shows an error in the banner.
    pub fn error(&self, text: impl Into<String>) {
        self.banner.set(Some(Banner {
            text: text.into(),
            kind: BannerKind::Error,
        }));
    }
}

/// The adapter state provided by [`App`](crate::App).
pub fn use_adapter() -> Adapter {
    expect_context::<Adapter>()
}
