//! Reads the CRM data a dial decision needs, in as few requests as possible.

use crate::zendesk::{Transport, Zendesk, ZendeskError};
use domain::{
    crm::{Contact, CrmState, Ticket},
    phone::same_number,
};

/// One CRM read, as the fetch cache knows it (each is asked once while it is needed).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FetchKey {
    /// The contacts with this E.164 number (and the open tickets of a single match).
    Number(String),
    /// A contact.
    User(u64),
    /// A ticket.
    Ticket(u64),
    /// A contact's open tickets.
    TicketsOf(u64),
    /// A contact's own record (its name, its numbers): read by id, or brought by a number's
    /// search, or found to be gone.
    Record(u64),
}

/// What a number lookup found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NumberLookup {
    /// The matching contacts, and the open tickets of the single match.
    pub crm: CrmState,
    /// Contacts whose open tickets are all in `crm` (fetched, or known to be none).
    pub tickets_known: Vec<u64>,
}

/// The contacts whose phone is `e164` (MATRIX-1), and the open tickets of the contact when there
/// is exactly one (MATRIX-2): the search, then that contact's tickets. (The search's
/// `open_ticket_count` side-load counts tickets *assigned to* a user, not those an end user
/// requested, so it cannot spare the ticket read.)
pub async fn lookup_number<T: Transport>(
    zendesk: &Zendesk<T>,
    e164: &str,
    region: &str,
) -> Result<CrmState, ZendeskError> {
    Ok(
        lookup_number_detailed(zendesk, e164, region, async { Vec::new() }, &[], &[])
            .await?
            .crm,
    )
}

/// [`lookup_number`], also saying whose tickets are known. `recorded` gives the users the
/// platform's directory says were created for this number (by any agent's adapter, or by the
/// platform, in the last minutes): read at the same time as the search, and read by id when the
/// search does not show them yet (its index lags writes), so a caller created moments ago, by
/// another agent or before a reload, is found rather than created again. The contacts in
/// `read_elsewhere` (known by id, their own record not read yet: a click-to-call from a
/// profile) are in the answer whatever their number, read by id only when the search does not
/// return them; their tickets are left to the caller, as are those of `tickets_read` (read
/// already, or being read beside the search).
pub async fn lookup_number_detailed<T: Transport>(
    zendesk: &Zendesk<T>,
    e164: &str,
    region: &str,
    recorded: impl std::future::Future<Output = Vec<u64>>,
    read_elsewhere: &[u64],
    tickets_read: &[u64],
) -> Result<NumberLookup, ZendeskError> {
    let (found, recorded) = futures::join!(zendesk.users_by_phone(e164), recorded);
    let mut found = found?;
    for id in recorded {
        if found.contacts.iter().any(|c| c.id == id) {
            continue;
        }
        found.contacts.extend(user_if_any(zendesk, id).await?);
    }
    let mut crm = CrmState::default();
    // Contacts asked for by id that the search returned for another of their numbers.
    let mut asked = Vec::new();
    for mut contact in found.contacts {
        if !contact.phones().any(|p| same_number(p, e164, region)) {
            // The search matched another of the user's numbers: check the identities.
            contact.other_phones = match zendesk.phone_identities(contact.id).await {
                Ok(phones) => phones,
                // Deleted since the search's index saw them.
                Err(ZendeskError::NotFound) => {
                    crm.gone.push(contact.id);
                    continue;
                }
                Err(e) => return Err(e),
            };
            if !contact
                .other_phones
                .iter()
                .any(|p| same_number(p, e164, region))
            {
                if read_elsewhere.contains(&contact.id) {
                    asked.push(contact);
                }
                continue;
            }
        }
        crm.contacts.push(contact);
    }
    let mut tickets_known: Vec<u64> = Vec::new();
    if let [only] = crm.contacts.as_slice() {
        let id = only.id;
        if !read_elsewhere.contains(&id) && !tickets_read.contains(&id) {
            match zendesk.requested_tickets(id).await {
                Ok(tickets) => {
                    crm.tickets = tickets;
                    tickets_known.push(id);
                }
                // A user Zendesk no longer has, whom the search still showed (its index lags a
                // deletion, or the user went since): gone, and the number without them. Not a
                // failed lookup, tried again for as long as the index lags.
                Err(ZendeskError::NotFound) => {
                    crm.contacts.clear();
                    crm.gone.push(id);
                }
                Err(e) => return Err(e),
            }
        }
    }
    // The contacts asked for by id come with the search's answer; one it did not return (the
    // index lags, or the number is not theirs) is read by id.
    for &id in read_elsewhere {
        if crm.contacts.iter().any(|c| c.id == id) {
            continue;
        }
        match asked.iter().position(|c| c.id == id) {
            Some(i) => crm.contacts.push(asked.swap_remove(i)),
            None => match user_if_any(zendesk, id).await? {
                Some(contact) => crm.contacts.push(contact),
                None => crm.gone.push(id),
            },
        }
    }
    Ok(NumberLookup { crm, tickets_known })
}

/// Adds the tickets of a contact the agent picked among several (MATRIX-M.*).
pub async fn add_tickets_of<T: Transport>(
    zendesk: &Zendesk<T>,
    crm: &mut CrmState,
    contact_id: u64,
) -> Result<(), ZendeskError> {
    let tickets = zendesk.requested_tickets(contact_id).await?;
    replace_tickets_of(crm, contact_id, tickets);
    Ok(())
}

/// Puts `tickets`, read for `contact_id`, in place of the contact's tickets known before.
pub fn replace_tickets_of(crm: &mut CrmState, contact_id: u64, tickets: Vec<Ticket>) {
    crm.tickets.retain(|t| t.requester_id != contact_id);
    crm.tickets.extend(tickets);
}

/// User `id`, or none when Zendesk no longer has it (deleted, or merged away).
async fn user_if_any<T: Transport>(
    zendesk: &Zendesk<T>,
    id: u64,
) -> Result<Option<Contact>, ZendeskError> {
    match zendesk.user(id).await {
        Ok(contact) => Ok(Some(contact)),
        Err(ZendeskError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Adds what a number's lookup found to the CRM data, as [`merge`]; the tickets it read for a
/// contact replace all those known as theirs (a ticket given to another requester since is no
/// longer theirs, and must not be offered, nor appended to, for their calls).
pub fn merge_lookup(crm: &mut CrmState, found: NumberLookup) {
    for id in &found.tickets_known {
        crm.tickets.retain(|t| t.requester_id != *id);
    }
    merge(crm, found.crm);
}

/// Adds what a read found to the CRM data: a contact or ticket read again replaces the one known.
pub fn merge(crm: &mut CrmState, found: CrmState) {
    for c in found.contacts {
        crm.contacts.retain(|x| x.id != c.id);
        crm.gone.retain(|x| *x != c.id);
        crm.contacts.push(c);
    }
    for id in found.gone {
        crm.contacts.retain(|x| x.id != id);
        if !crm.gone.contains(&id) {
            crm.gone.push(id);
        }
    }
    for t in found.tickets {
        crm.tickets.retain(|x| x.id != t.id);
        crm.tickets.push(t);
    }
}
