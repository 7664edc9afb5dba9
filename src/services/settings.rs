//! The settings read again each time a dial screen opens (SET-16), and when the platform says an
//! administrator saved them (`settings.changed`).

use crate::services::{
    host::{backend, Backend},
    live::Adapter,
};
use leptos::prelude::*;

/// A dial screen opened: the settings are read again (SET-16). The screen opens at once
/// with the settings known (so nothing waits to be drawn) and holds Call until the read
/// answers; if the platform cannot answer, the known settings stand.
pub(crate) fn dial_opened(adapter: Adapter) {
    let Some(b) = backend() else { return };
    if !b.platform.is_signed_in() {
        return;
    }
    let asked = b.settings_asked.get() + 1;
    b.settings_asked.set(asked);
    // The screen is not drawn yet (`Adapter::stage_dial`): it is drawn with this.
    adapter.dial.update_untracked(|d| {
        if let Some(d) = d {
            d.expect_settings();
        }
    });
    let read_no = next_read(&b);
    leptos::task::spawn_local(async move {
        use futures::future::{select, Either};
        // After the screen's Zendesk reads have left (they are what the agent waits for).
        crate::services::host::next_task().await;
        let read = std::pin::pin!(b.platform.settings_now());
        let wait = std::pin::pin!(crate::services::host::sleep(SETTINGS_WAIT_MS));
        let late = match select(read, wait).await {
            Either::Left((answer, _)) => {
                if let Ok((settings, team)) = answer {
                    take(adapter, &b, read_no, settings, team);
                }
                None
            }
            Either::Right((_, read)) => Some(read),
        };
        // If the platform cannot answer (or not in time), the known settings stand; a later
        // opening that asked again releases its own screen with its own answer.
        if b.settings_asked.get() == asked {
            apply_known(adapter);
        }
        if let Some(read) = late {
            // Still taken when it comes, for the next screens, and for this one while nobody
            // has touched it (as an administrator's save is).
            if let Ok((settings, team)) = read.await {
                if take(adapter, &b, read_no, settings, team) && untouched(adapter) {
                    apply_known(adapter);
                }
            }
        }
    });
}

/// How long a dial screen's Call waits for its settings read (SET-16) before the settings known
/// stand: an agent must not be kept from calling by a platform that is slow to answer.
const SETTINGS_WAIT_MS: i32 = 5_000;

/// True when the open dial screen is a keypad nobody has touched yet.
fn untouched(adapter: Adapter) -> bool {
    adapter
        .dial
        .with_untracked(|d| d.as_ref().is_some_and(|d| d.untouched()))
}

/// An administrator saved the settings (the platform's `settings.changed`): they are read now,
/// so the next dial screen opens with them even before its own read answers. A dial screen the
/// agent has begun to use keeps the settings it opened with (SET-16: a change applies from the
/// next opening); a keypad nobody has touched yet takes them at once, as if it opened now (an
/// agent waiting on the keypad after sign-in used to keep the settings of sign-in until a
/// Cancel or a call). Also each time the event stream (re)connects: a notice sent while it was
/// down, or before the platform routed it after sign-in, reached no one.
///
/// A read that fails for a while (the platform busy, every agent's adapter asking at once, the
/// network) is asked again, 1 s doubling to 30 s, spread so that adapters told together do not
/// ask again together: an agent who only takes calls opens no dial screen, and would otherwise
/// work with the old settings until a reload. It stops once a later read has been taken, a
/// later notice reads them, or at a sign-out.
pub(crate) fn settings_changed(adapter: Adapter) {
    let Some(b) = backend() else { return };
    if !b.platform.is_signed_in() {
        return;
    }
    let first = next_read(&b);
    // The latest notice's reads ask again; an earlier one's stop (one loop at a time).
    let notice = b.settings_notices.get() + 1;
    b.settings_notices.set(notice);
    leptos::task::spawn_local(async move {
        let mut read_no = first;
        let mut attempt = 0;
        let (settings, team) = loop {
            match b.platform.settings_now().await {
                Ok(answer) => break answer,
                Err(e) if !e.may_pass_if_asked_again() => return,
                Err(_) => {}
            }
            attempt += 1;
            let jitter = js_sys::Math::random();
            crate::services::host::sleep(
                domain::batch::lookup_retry_delay_ms(attempt, jitter) as i32
            )
            .await;
            let later = b.settings_notices.get() != notice || b.settings_reads.get().1 > first;
            if later || !b.platform.is_signed_in() {
                return;
            }
            read_no = next_read(&b);
        };
        if !take(adapter, &b, read_no, settings, team) {
            return;
        }
        if untouched(adapter) {
            apply_known(adapter);
        }
    });
}

/// The open dial screen takes the settings and team known now.
fn apply_known(adapter: Adapter) {
    let (settings, team) = adapter
        .context
        .with_untracked(|c| (c.settings.clone(), c.team.clone()));
    adapter.dial.update(|d| {
        if let Some(d) = d {
            d.apply_settings(settings, team);
        }
    });
}

/// Settings read from the platform become those the next dial screens open with (SET-16).
/// Operation Management and Developer Settings follow at once (the rules of the next calls use
/// them: Outbound Ticket Settings, the SDK fields, the field mapping, call recording, the API
/// response comment), and the agent's team when the platform names it (its Ticket ID entry,
/// TEAM-12: an admin may switch it, or move the agent to another team, while they are signed
/// in). CRM batching too: a change applies to the writes queued from then on (a job already
/// begun keeps the path it took, `Job::batching`), so an admin who switches batching on in a
/// storm of 429s, or whose token was removed, reaches the agents at once.
///
/// Reads may answer in any order: an answer older than one taken already (read `read_no`, in
/// the order sent) is not taken, and false is returned. Otherwise an admin who saves twice in a
/// row, or a screen's read sent before a save and answered after the read that followed it,
/// would leave the older settings in force until the next opening. (Chromium holds a second
/// read of the same address until the first has answered, so there they do not cross.)
fn take(
    adapter: Adapter,
    b: &Backend,
    read_no: u64,
    settings: domain::settings::Settings,
    team: Option<Option<domain::settings::Team>>,
) -> bool {
    let (sent, taken) = b.settings_reads.get();
    if read_no < taken {
        return false;
    }
    b.settings_reads.set((sent, read_no));
    let fields_before = fields_in_use(&b.rules.borrow().settings.developer);
    let developer = {
        let mut rules = b.rules.borrow_mut();
        rules.settings.operation = settings.operation.clone();
        rules.settings.developer = settings.developer;
        rules.settings.developer.clone()
    };
    let fields_now = fields_in_use(&developer);
    adapter.context.update(|c| {
        c.settings.operation = settings.operation;
        c.settings.developer = developer.clone();
        if let Some(team) = team {
            c.team = team;
        }
    });
    if fields_now != fields_before {
        // The fields the rules fill changed ("Create" made the SDK fields, the mapping was
        // edited): read the account's fields again.
        if let Some(b) = crate::services::host::backend() {
            crate::services::fields::fields_changed(b);
        }
    }
    true
}

/// What of the Developer Settings decides the account fields the rules need.
fn fields_in_use(
    d: &domain::settings::DeveloperSettings,
) -> (bool, Vec<domain::settings::FieldMapping>) {
    (d.custom_fields_created, d.field_mapping.clone())
}

/// The number of a settings read about to be sent (see [`take`]).
fn next_read(b: &Backend) -> u64 {
    let (sent, taken) = b.settings_reads.get();
    b.settings_reads.set((sent + 1, taken));
    sent + 1
}
