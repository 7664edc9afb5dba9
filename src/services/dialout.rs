//! Click-to-call: Zendesk's `voice.dialout` (FLOW-2, FLOW-4, FLOW-9) becomes an open dial
//! screen, in the tab that holds the lease.

use crate::{
    services::{
        host::{after_this_task, backend, now_ms},
        live::{Adapter, Screen},
        zaf_host::show_popover,
    },
    zaf::VoiceDialout,
};
use domain::{call::dialout, labels::Label};
use leptos::prelude::*;

/// Click-to-call (FLOW-2, FLOW-4, FLOW-9): served in the tab where the agent clicked (Zendesk
/// sends `voice.dialout` to the apps of that tab only), which takes the tab lease: the calls
/// offered next come to the tab the agent is using.
pub(crate) fn on_dialout(adapter: Adapter, d: VoiceDialout) {
    let Some(b) = backend() else { return };
    if b.platform.is_signed_in() {
        b.leader.take(now_ms());
    }
    if matches!(
        adapter.screen.get_untracked(),
        Screen::SignIn | Screen::Booting
    ) {
        adapter.error(adapter.word(Label::SignInFirst));
        show_popover();
        return;
    }
    // A session shows: its code is loaded.
    if let Some(code) = crate::session_code::get() {
        (code.dialout)(adapter, d);
    }
}

/// The dial screen of a click-to-call, in a session. In the session's code
/// (`crate::session_code`).
pub(crate) fn open(adapter: Adapter, d: VoiceDialout) {
    if adapter.refuse_while_on_call() {
        show_popover();
        return;
    }
    // The reads leave in this task; the screen is drawn in the next one, as the messages that
    // carry the reads do not leave before this task ends (one round trip: the agent waits for
    // the reads, not for the drawing).
    let staged = adapter.stage_dialout(dialout(d.number, d.user_id, d.ticket_id));
    after_this_task(move || {
        adapter.show_staged(&staged);
        // The agent clicked: the adapter shows, whatever took the screen meanwhile.
        show_popover();
    });
}
