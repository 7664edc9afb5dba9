//! The account's custom ticket fields, read once per session when the settings need them: the
//! SDK session fields "Create" made (FIELD-1 … FIELD-14, found by title) and the fields of the
//! Portal's custom field mapping (UPD-12). Nothing is read when neither is in use. When the
//! platform says the fields changed they are read again (once for a burst of changes), and so
//! they are each time the event stream (re)connects (a notice sent while it was down is lost);
//! the ids known before stay in use until the new read answers.

use crate::services::host::{sleep, AccountField as Field, Backend};
use domain::fields::discover;
use std::rc::Rc;

/// How long a burst of "fields changed" is waited out before the one read (ms).
const CHANGES_SETTLE_MS: i32 = 500;

/// How many reads in a row may find the fields changed meanwhile before one is used as is.
const CHANGED_READS: u32 = 3;

/// True when the settings the rules run with need the account's fields.
pub(crate) fn needed(b: &Backend) -> bool {
    let rules = b.rules.borrow();
    let developer = &rules.settings.developer;
    developer.custom_fields_created || !developer.field_mapping.is_empty()
}

/// At sign-in: forgets the last session's fields, and reads them when the settings need them
/// (the rules get the SDK session fields' ids). A failed read leaves them unknown; the next
/// custom data event or change of fields reads them again.
pub(crate) fn load_for_session(b: Rc<Backend>) {
    *b.ticket_fields.borrow_mut() = None;
    b.rules.borrow_mut().field_ids.clear();
    if !needed(&b) {
        return;
    }
    leptos::task::spawn_local(async move {
        let _ = account_fields(&b).await;
    });
}

/// The platform says the account's fields changed: they are read again once the burst of
/// changes has settled (the known ids stay in use meanwhile).
pub(crate) fn fields_changed(b: Rc<Backend>) {
    let generation = b.fields_generation.get() + 1;
    b.fields_generation.set(generation);
    *b.ticket_fields.borrow_mut() = None;
    if !needed(&b) {
        return;
    }
    leptos::task::spawn_local(async move {
        sleep(CHANGES_SETTLE_MS).await;
        if b.fields_generation.get() == generation && b.ticket_fields.borrow().is_none() {
            let _ = account_fields(&b).await;
        }
    });
}

/// The event stream (re)connected: a change of fields made while no stream was open sent its
/// notice to no one, so a copy read before this connection may predate it. A read under way
/// reads again when it answers (the generation moved); a copy already kept is read again now.
pub(crate) fn stream_connected(b: Rc<Backend>) {
    let generation = b.fields_generation.get() + 1;
    b.fields_generation.set(generation);
    let kept = b.ticket_fields.borrow_mut().take().is_some();
    if !kept || !needed(&b) {
        return;
    }
    leptos::task::spawn_local(async move {
        if b.fields_generation.get() == generation && b.ticket_fields.borrow().is_none() {
            let _ = account_fields(&b).await;
        }
    });
}

/// The account's custom fields: the session's copy, or read now (and kept, with the session
/// fields' ids handed to the rules). `None` when Zendesk could not say.
pub(crate) async fn account_fields(b: &Rc<Backend>) -> Option<Rc<Vec<Field>>> {
    if let Some(known) = b.ticket_fields.borrow().clone() {
        return Some(known);
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let generation = b.fields_generation.get();
        let read = b.zendesk.ticket_fields().await.ok()?;
        let fields: Rc<Vec<Field>> = Rc::new(
            read.into_iter()
                .map(|f| (f.id, f.title, f.active))
                .collect(),
        );
        // The fields changed while they were read: this answer may predate the change, and
        // kept, it would stand for the session (the change's own read sees fields known).
        // Read again; after a few changed reads, the last is used, not kept.
        if b.fields_generation.get() != generation {
            if attempt < CHANGED_READS {
                continue;
            }
            return Some(fields);
        }
        let titles: Vec<(u64, &str, bool)> = fields
            .iter()
            .map(|(id, title, active)| (*id, title.as_str(), *active))
            .collect();
        b.rules.borrow_mut().field_ids = discover(&titles);
        *b.ticket_fields.borrow_mut() = Some(fields.clone());
        return Some(fields);
    }
}
