//! The account's custom ticket fields, read once per session when the settings need them: the
//! SDK session fields "Create" made (FIELD-1 … FIELD-14, found by title) and the fields of the
//! Portal's custom field mapping (UPD-12). Nothing is read when neither is in use.

use crate::services::host::{AccountField as Field, Backend};
use domain::fields::discover;
use std::rc::Rc;

/// True when the settings the rules run with need the account's fields.
fn needed(b: &Backend) -> bool {
    let rules = b.rules.borrow();
    let developer = &rules.settings.developer;
    developer.custom_fields_created || !developer.field_mapping.is_empty()
}

/// At sign-in: reads the fields when the settings need them, and gives the rules the SDK
/// session fields' ids. A failed read leaves the fields unknown (the data still reaches the
/// ticket as comments) and is tried again by the next event that needs them.
pub(crate) fn load_for_session(b: Rc<Backend>) {
    *b.ticket_fields.borrow_mut() = None;
    b.rules.borrow_mut().field_ids.clear();
    if !needed(&b) {
        return;
    }
    leptos::task::spawn_local(async move {
        account_fields(&b).await;
    });
}

/// The account's custom fields: the session's copy, or read now (and kept, with the session
/// fields' ids handed to the rules). Empty when Zendesk cannot say.
pub(crate) async fn account_fields(b: &Rc<Backend>) -> Rc<Vec<Field>> {
    if let Some(known) = b.ticket_fields.borrow().clone() {
        return known;
    }
    let Ok(read) = b.zendesk.ticket_fields().await else {
        return Rc::new(Vec::new());
    };
    let fields: Rc<Vec<Field>> = Rc::new(
        read.into_iter()
            .map(|f| (f.id, f.title, f.active))
            .collect(),
    );
    let titles: Vec<(u64, &str, bool)> = fields
        .iter()
        .map(|(id, title, active)| (*id, title.as_str(), *active))
        .collect();
    b.rules.borrow_mut().field_ids = discover(&titles);
    *b.ticket_fields.borrow_mut() = Some(fields.clone());
    fields
}
