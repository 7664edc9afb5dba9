//! Click-to-call: Zendesk's `voice.dialout` (FLOW-2, FLOW-4, FLOW-9) becomes an open dial
//! screen, in the tab that holds the lease.

use crate::{
    services::{
        host::{backend, now_ms},
        live::{Adapter, Screen},
        zaf_host::{notify_notice, show_popover},
    },
    zaf::VoiceDialout,
};
use domain::{
    call::{dialout, Dialout},
    dial::EntryPoint,
    labels::Label,
};
use leptos::prelude::*;

/// Click-to-call (FLOW-2, FLOW-4, FLOW-9): only the leading tab handles it.
pub(crate) fn on_dialout(adapter: Adapter, d: VoiceDialout) {
    let Some(b) = backend() else { return };
    let signed_in = b.platform.is_signed_in();
    if !signed_in && b.leader.other_leads(now_ms()) {
        // The agent works in another tab, signed in there: that tab takes the call.
        return;
    }
    if signed_in && !b.leader.tick(now_ms()) {
        notify_notice(adapter.word(Label::OtherTabActive));
        return;
    }
    if matches!(
        adapter.screen.get_untracked(),
        Screen::SignIn | Screen::Booting
    ) {
        adapter.error(adapter.word(Label::SignInFirst));
        show_popover();
        return;
    }
    match dialout(d.number, d.user_id, d.ticket_id) {
        Dialout::Open(entry) => adapter.open_dial(entry),
        Dialout::Typed(number) => {
            // As if typed, with the choices in view.
            adapter.open_dial(EntryPoint::Keypad);
            if let Some(n) = number {
                adapter.edit(|s| s.set_number(&n));
                adapter.keypad_open.set(false);
            }
        }
    }
    show_popover();
}
