//! Reads the CRM data a dial decision needs, in as few requests as possible.

use crate::zendesk::{Transport, Zendesk, ZendeskError};
use domain::{crm::CrmState, phone::same_number};

/// The contacts whose phone is `e164` (MATRIX-1), and the open tickets of the contact when there
/// is exactly one (MATRIX-2). Usually one read: the search sideloads open ticket counts, so a
/// contact without open tickets needs no ticket read.
pub async fn lookup_number<T: Transport>(
    zendesk: &Zendesk<T>,
    e164: &str,
    region: &str,
) -> Result<CrmState, ZendeskError> {
    let found = zendesk.users_by_phone(e164).await?;
    let mut crm = CrmState::default();
    for mut contact in found.contacts {
        if !contact.phones().any(|p| same_number(p, e164, region)) {
            // The search matched another of the user's numbers: check the identities.
            contact.other_phones = zendesk.phone_identities(contact.id).await?;
            if !contact
                .other_phones
                .iter()
                .any(|p| same_number(p, e164, region))
            {
                continue;
            }
        }
        crm.contacts.push(contact);
    }
    if let [only] = crm.contacts.as_slice() {
        let id = only.id;
        if found.open_ticket_counts.get(&id).copied() != Some(0) {
            crm.tickets = zendesk.requested_tickets(id).await?;
        }
    }
    Ok(crm)
}

/// Adds the tickets of a contact the agent picked among several (MATRIX-M.*).
pub async fn add_tickets_of<T: Transport>(
    zendesk: &Zendesk<T>,
    crm: &mut CrmState,
    contact_id: u64,
) -> Result<(), ZendeskError> {
    let tickets = zendesk.requested_tickets(contact_id).await?;
    crm.tickets.retain(|t| t.requester_id != contact_id);
    crm.tickets.extend(tickets);
    Ok(())
}
