//! The browser's [`Effects`]: each intent of the live state handed to the service that does it.

use crate::services::{
    boot, calls, dial_draft, effects::Effects, events, history, inbound, live::Adapter, lookups,
    session, settings, zaf_host,
};
use domain::{comments::VoicemailAction, dial::DialPlan, history::CallbackOf};
use leptos::prelude::RwSignal;
use std::rc::Rc;

/// The intents of one adapter state, done in the browser (ZAF, the platform, Zendesk).
#[derive(Clone, Copy)]
pub struct Browser {
    adapter: Adapter,
}

impl Browser {
    /// Sends `adapter`'s intents to the browser from now on. In the session's code
    /// (`crate::session_code`): a signed-in session installs it.
    pub fn install(adapter: Adapter) {
        adapter.set_effects(Rc::new(Browser { adapter }));
    }
}

/// The intents before a session: what the sign-in screen and the boot ask of the browser. The
/// others come from screens only a session shows; until its code installs [`Browser`], they
/// change the state only.
#[derive(Clone, Copy)]
pub struct SignedOut {
    adapter: Adapter,
}

impl SignedOut {
    /// Sends `adapter`'s boot and sign-in to the browser.
    pub fn install(adapter: Adapter) {
        adapter.set_effects(Rc::new(SignedOut { adapter }));
    }
}

impl Effects for SignedOut {
    fn boot(&self) {
        boot::boot(self.adapter)
    }
    fn sign_in_typed(&self) {
        session::sign_in_typed()
    }
    fn sign_in(&self, email: String, password: String, busy: RwSignal<bool>) {
        session::sign_in(self.adapter, email, password, busy)
    }
    fn dial_opened(&self) {}
    fn refresh(&self) {}
    fn place(&self, _: DialPlan) {}
    fn answer(&self) {}
    fn hold(&self, _: bool) {}
    fn send_tone(&self, _: char) {}
    fn pick_caller(&self, _: u64) {}
    fn hang_up(&self) {}
    fn read_clipboard(&self) {}
    fn notify_error(&self, message: &str) {
        zaf_host::notify_error(message)
    }
    fn route_to_ticket(&self, id: u64) {
        zaf_host::route_to_ticket(id)
    }
    fn sign_out(&self) {}
}

impl Effects for Browser {
    fn boot(&self) {
        boot::boot(self.adapter)
    }
    fn sign_in_typed(&self) {
        session::sign_in_typed()
    }
    fn sign_in(&self, email: String, password: String, busy: RwSignal<bool>) {
        session::sign_in(self.adapter, email, password, busy)
    }
    fn dial_opened(&self) {
        // The screen's reads leave first (they are what the agent waits for), then the
        // settings read; the screen is drawn after both are on their way.
        lookups::reopened(self.adapter);
        settings::dial_opened(self.adapter)
    }
    fn chat_draft_changed(&self) {
        dial_draft::keep_chats(self.adapter);
    }
    fn chat_screen_changed(&self, chat: Option<u64>) {
        dial_draft::keep_chat_screen(chat);
    }
    fn chats_seen_changed(&self, seen: Vec<(u64, u64)>) {
        dial_draft::keep_chats_seen(seen);
    }
    fn say_on_call(&self, on: bool) {
        if let Some(b) = crate::services::host::backend() {
            b.leader.set_on_call(on);
        }
    }
    fn call_elsewhere(&self) -> bool {
        crate::services::host::backend()
            .is_some_and(|b| b.leader.call_elsewhere(crate::services::host::now_ms()))
    }
    fn refresh(&self) {
        lookups::refresh(self.adapter);
        // Every change of the dial screen comes here: what the agent did is kept for a reload.
        dial_draft::keep_screen(self.adapter);
    }
    fn place(&self, plan: DialPlan) {
        let adapter = self.adapter;
        // Events that overtook `POST /calls`'s answer are replayed once the call has its id.
        calls::place(adapter, plan, move || events::replay_early(adapter))
    }
    fn answer(&self) {
        calls::answer(self.adapter)
    }
    fn hold(&self, on: bool) {
        calls::hold(self.adapter, on)
    }
    fn send_tone(&self, tone: char) {
        calls::send_tone(self.adapter, tone)
    }
    fn pick_caller(&self, contact_id: u64) {
        inbound::pick_caller(self.adapter, contact_id)
    }
    fn hang_up(&self) {
        calls::hang_up(self.adapter)
    }
    fn read_clipboard(&self) {
        zaf_host::read_clipboard(self.adapter)
    }
    fn notify_error(&self, message: &str) {
        zaf_host::notify_error(message)
    }
    fn route_to_ticket(&self, id: u64) {
        zaf_host::route_to_ticket(id)
    }
    fn sign_out(&self) {
        session::sign_out(self.adapter)
    }
    fn load_history(&self, more: bool) {
        history::load_history(self.adapter, more)
    }
    fn load_voicemails(&self) {
        history::load_voicemails(self.adapter)
    }
    fn voicemail_action(&self, id: u64, action: VoicemailAction) {
        history::voicemail_action(self.adapter, id, action)
    }
    fn place_callback(&self, plan: DialPlan, of: CallbackOf, hang_up_first: Option<u64>) {
        history::place_callback(self.adapter, plan, of, hang_up_first)
    }
    fn answer_chat(&self, id: u64, accept: bool) {
        crate::services::chats::answer(self.adapter, id, accept)
    }
    fn send_chat(&self, id: u64, client_id: String, text: String) {
        crate::services::chats::send(self.adapter, id, client_id, text)
    }
    fn chat_typing(&self, id: u64, typing: bool) {
        crate::services::chats::typing(self.adapter, id, typing)
    }
    fn end_chat(&self, id: u64) {
        crate::services::chats::end(self.adapter, id)
    }
}
