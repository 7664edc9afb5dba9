//! The dial screen's CRM reads: what it needs and has not fetched, each read once, a failed
//! read kept pending and tried again after its backoff.

use crate::{
    services::{
        crm::{lookup_number_detailed, merge, merge_lookup, replace_tickets_of, FetchKey},
        host::{backend, sleep, zendesk_message, Backend},
        live::Adapter,
        messages,
    },
    zendesk::ZendeskError,
};
use domain::{dial::Pending, labels::Label};
use leptos::prelude::*;
use std::rc::Rc;

/// A dial screen just opened: fresh enough to decide. What was read for an earlier screen may
/// show at once, but this one reads it again, and Call waits for those reads (other agents,
/// triggers and the customer change tickets all day). The screen is not drawn yet: what is
/// pending is drawn with it (`Adapter::show_dial`), not before.
///
/// The reads and retries of the screen before are no longer this one's: what they find is
/// dropped (an older answer must not replace what this screen read), and they neither settle
/// nor send this screen's reads (a retry of the last screen used to send this one's search a
/// second time). What they left pending goes with them: "looking up" stays only while this
/// screen reads.
pub(crate) fn reopened(adapter: Adapter) {
    if let Some(b) = backend() {
        b.lookup_round.set(b.lookup_round.get() + 1);
        b.fetched.borrow_mut().clear();
        b.retries.borrow_mut().clear();
        // An earlier screen's reads still out find nothing of theirs here when they settle.
        b.users_out.borrow_mut().clear();
        b.records_out.borrow_mut().clear();
    }
    adapter
        .pending
        .update_untracked(|p| *p = Pending::default());
    adapter.loading.update_untracked(|l| *l = false);
    send(adapter, false);
}

/// Fetches the CRM data the open dial screen needs and has not fetched yet. What is asked
/// is pending (the screen waits for it) until it answers; a failed read stays pending and
/// is tried again after a backoff (1 s doubling to 30 s, with jitter, or the 429's
/// Retry-After), never at once (item 3: a failing search used to be sent about 50 times a
/// second).
pub(crate) fn refresh(adapter: Adapter) {
    send(adapter, true)
}

/// [`refresh`]; `draw`: what becomes pending is drawn now (false for a screen not drawn yet).
fn send(adapter: Adapter, draw: bool) {
    let Some(b) = backend() else { return };
    let Some(lookups) = adapter
        .dial
        .with_untracked(|d| d.as_ref().map(|d| d.lookups()))
    else {
        return;
    };
    let region = adapter.context.with_untracked(|c| c.region.clone());
    let mut todo = Vec::new();
    // The contacts the screen asks for by id (its own, a context ticket's requester).
    let mut asked: Vec<u64> = Vec::new();
    {
        let mut fetched = b.fetched.borrow_mut();
        // The number's search carries the records still owed: when it is sent in this pass, or
        // when it failed and will be sent again after its backoff.
        let mut search_carries = false;
        if let Some(n) = &lookups.number {
            let key = FetchKey::Number(n.clone());
            if fetched.insert(key.clone()) {
                todo.push(Fetch::Number(n.clone()));
                search_carries = true;
            } else {
                search_carries = b.retries.borrow().contains_key(&key);
            }
        }
        // The requester of a context ticket is the designated contact (FLOW-9, FLOW-11):
        // its stored numbers are needed too, once the ticket is known.
        let requesters: Vec<u64> = adapter.crm.with_untracked(|crm| {
            lookups
                .tickets
                .iter()
                .filter_map(|t| crm.ticket(*t))
                .map(|t| t.requester_id)
                .collect()
        });
        for id in lookups.users.iter().chain(requesters.iter()) {
            if asked.contains(id) {
                continue;
            }
            asked.push(*id);
            let new = fetched.insert(FetchKey::User(*id));
            // A record still owed that no search will carry (the search that was to bring it
            // failed, then the number was edited away or to one searched without it): read by
            // id, unless its own read failed and waits out its backoff (then it is sent again
            // when the backoff ends, never at once).
            let owed = !search_carries
                && !fetched.contains(&FetchKey::Record(*id))
                && !b.retries.borrow().contains_key(&FetchKey::User(*id));
            if new || owed {
                todo.push(Fetch::User(*id));
            }
        }
        for id in &lookups.tickets {
            if fetched.insert(FetchKey::Ticket(*id)) {
                todo.push(Fetch::Ticket(*id));
            }
        }
    }
    if todo.is_empty() {
        return;
    }
    let mark = |p: &mut Pending| {
        for fetch in &todo {
            fetch.mark(p, true);
        }
    };
    if draw {
        adapter.pending.update(mark);
        adapter.loading.set(true);
    } else {
        adapter.pending.update_untracked(mark);
        adapter.loading.update_untracked(|l| *l = true);
    }
    // Every read at once (one round trip for what the screen shows): the contact's own
    // tickets are read beside the number's search when the contact is known by id, so the
    // search need not wait to read them after it.
    let number_too = todo.iter().any(|f| matches!(f, Fetch::Number(_)));
    let plan = Rc::new(plan_records(&b, &todo, &asked, number_too));
    let round = b.lookup_round.get();
    // The contacts whose own read goes out now, and whose record this pass brings (see
    // `settle`).
    b.users_out
        .borrow_mut()
        .extend(todo.iter().filter_map(|f| match f {
            Fetch::User(id) => Some((round, *id)),
            _ => None,
        }));
    {
        let mut records = b.records_out.borrow_mut();
        for id in plan.by_search.iter().chain(plan.by_id.iter()) {
            if !records.contains(&(round, *id)) {
                records.push((round, *id));
            }
        }
    }
    b.passes_out.borrow_mut().push(round);
    leptos::task::spawn_local(async move {
        let reads = todo.into_iter().map(|fetch| {
            let (b, region, plan) = (b.clone(), region.clone(), plan.clone());
            async move {
                let result = read(adapter, &b, &fetch, &region, &plan, round).await;
                settle(adapter, &b, fetch, result, round);
            }
        });
        futures::future::join_all(reads).await;
        let others_out = {
            let mut out = b.passes_out.borrow_mut();
            if let Some(at) = out.iter().position(|r| *r == round) {
                out.swap_remove(at);
            }
            out.contains(&round)
        };
        crate::services::phone_data::keep_warm(adapter);
        if b.lookup_round.get() != round {
            // Another screen opened meanwhile: its own reads say when it is done.
            return;
        }
        // Still looking up while another pass of this screen is out (a ticket's requester is
        // read in a pass of its own, as soon as the ticket answers; a number edited sends one).
        if !others_out {
            adapter.loading.set(false);
        }
        // What was fetched may name more to fetch (a ticket's requester).
        refresh(adapter);
    });
}

/// Who reads what of the contacts a dial screen asks for by id, in one pass of reads. A
/// contact's own record (`FetchKey::Record`) is read once per screen: it is marked when a read
/// that brings it is sent, and unmarked if that read fails.
struct Records {
    /// Their record owed, brought by this pass's number search (or read by id by it).
    by_search: Vec<u64>,
    /// Their record owed, read by id by their own read in this pass (no number searched).
    by_id: Vec<u64>,
    /// Their tickets read, or being read, apart from the number's search.
    tickets_read: Vec<u64>,
}

/// Decides [`Records`] for a pass and marks the records it will bring.
fn plan_records(b: &Backend, todo: &[Fetch], asked: &[u64], number_too: bool) -> Records {
    let mut fetched = b.fetched.borrow_mut();
    let in_pass = |id: &u64| todo.iter().any(|f| matches!(f, Fetch::User(u) if u == id));
    let owed: Vec<u64> = asked
        .iter()
        .copied()
        .filter(|id| !fetched.contains(&FetchKey::Record(*id)))
        .collect();
    let (by_search, by_id) = if number_too {
        (owed, Vec::new())
    } else {
        (
            Vec::new(),
            owed.into_iter().filter(|id| in_pass(id)).collect(),
        )
    };
    for id in by_search.iter().chain(by_id.iter()) {
        fetched.insert(FetchKey::Record(*id));
    }
    let tickets_read = asked
        .iter()
        .copied()
        .filter(|id| in_pass(id) || fetched.contains(&FetchKey::TicketsOf(*id)))
        .collect();
    Records {
        by_search,
        by_id,
        tickets_read,
    }
}

/// Performs one read and puts what it found in the CRM data.
async fn read(
    adapter: Adapter,
    b: &Rc<Backend>,
    fetch: &Fetch,
    region: &str,
    plan: &Records,
    round: u64,
) -> Result<(), ZendeskError> {
    // What a read found is kept only while its screen is the one open (see `reopened`).
    let mine = || b.lookup_round.get() == round;
    if !mine() {
        // Replaced before this read left: it is not this screen's (its keys are not set for
        // the screen open now).
        return Ok(());
    }
    match fetch {
        Fetch::Number(n) => {
            let found = lookup_number_detailed(
                &b.zendesk,
                n,
                region,
                b.recorded_contacts(n),
                &plan.by_search,
                &plan.tickets_read,
            )
            .await;
            if !mine() {
                return Ok(());
            }
            {
                let mut fetched = b.fetched.borrow_mut();
                match &found {
                    Ok(found) => {
                        for id in &found.tickets_known {
                            fetched.insert(FetchKey::TicketsOf(*id));
                        }
                        // Every contact it found was read on this screen: one picked later, or
                        // named a ticket's requester, is not read again. The records it was to
                        // bring are answered (found, or gone).
                        for c in &found.crm.contacts {
                            fetched.insert(FetchKey::Record(c.id));
                            record_read(b, round, c.id);
                        }
                        for id in &plan.by_search {
                            record_read(b, round, *id);
                        }
                    }
                    // The records it was to bring are owed again.
                    Err(_) => {
                        for id in &plan.by_search {
                            fetched.remove(&FetchKey::Record(*id));
                        }
                    }
                }
            }
            let found = found?;
            adapter.crm.update(|crm| merge_lookup(crm, found));
            Ok(())
        }
        Fetch::User(id) if !plan.by_id.contains(id) => {
            // The number's search brings the user (or reads it by id), or its record was read
            // on this screen already: only the tickets here, at the same time.
            if !b.fetched.borrow_mut().insert(FetchKey::TicketsOf(*id)) {
                return Ok(());
            }
            let answer = gone_is_none(b.zendesk.requested_tickets(*id).await);
            if !mine() {
                return Ok(());
            }
            match answer {
                Ok(Some(tickets)) => {
                    adapter
                        .crm
                        .update(|crm| replace_tickets_of(crm, *id, tickets));
                    Ok(())
                }
                // Zendesk no longer has the user (deleted, or merged away): an answer.
                Ok(None) => {
                    adapter.crm.update(|crm| {
                        replace_tickets_of(crm, *id, Vec::new());
                        merge(crm, gone(*id));
                    });
                    Ok(())
                }
                Err(e) => {
                    b.fetched.borrow_mut().remove(&FetchKey::TicketsOf(*id));
                    Err(e)
                }
            }
        }
        Fetch::User(id) => {
            // The user and their tickets at the same time.
            let tickets_wanted = b.fetched.borrow_mut().insert(FetchKey::TicketsOf(*id));
            let tickets = async {
                if tickets_wanted {
                    b.zendesk.requested_tickets(*id).await.map(Some)
                } else {
                    Ok(None)
                }
            };
            let (user, tickets) = futures::join!(b.zendesk.user(*id), tickets);
            if !mine() {
                return Ok(());
            }
            // A user Zendesk no longer has (deleted, or merged away) answers "not found": read,
            // and absent from the CRM data (the dial screen then leaves the contact to the
            // number), never tried again.
            let user = gone_is_none(user);
            if user.is_ok() {
                // Its record is answered, whatever its tickets did.
                record_read(b, round, *id);
            }
            let tickets = match tickets {
                Err(ZendeskError::NotFound) => Ok(Some(Vec::new())),
                other => other,
            };
            if tickets.is_err() {
                b.fetched.borrow_mut().remove(&FetchKey::TicketsOf(*id));
            }
            if user.is_err() {
                b.fetched.borrow_mut().remove(&FetchKey::Record(*id));
            }
            let found = match user? {
                Some(user) => domain::crm::CrmState {
                    contacts: vec![user],
                    ..Default::default()
                },
                None => gone(*id),
            };
            adapter.crm.update(|crm| merge(crm, found));
            if let Some(tickets) = tickets? {
                adapter
                    .crm
                    .update(|crm| replace_tickets_of(crm, *id, tickets));
            }
            Ok(())
        }
        Fetch::Ticket(id) => match b.zendesk.ticket(*id).await {
            // A read of a screen since replaced: dropped.
            _ if !mine() => Ok(()),
            Ok(t) => {
                adapter.crm.update(|crm| {
                    merge(
                        crm,
                        domain::crm::CrmState {
                            contacts: vec![],
                            tickets: vec![t],
                            gone: Vec::new(),
                        },
                    )
                });
                Ok(())
            }
            // TEAM-10: absent from the CRM data means "not found" to the rules; a ticket the
            // agent may not see (403) is not found to them either, not a read to try again. A
            // copy read earlier (on an earlier screen, before the ticket was deleted or moved
            // to a group the agent may not see) goes: the call must not be placed on it.
            Err(ZendeskError::NotFound | ZendeskError::Forbidden) => {
                adapter
                    .crm
                    .update(|crm| crm.tickets.retain(|t| t.id != *id));
                Ok(())
            }
            Err(e) => Err(e),
        },
    }
}

/// What Zendesk's 404 on user `id` says: the user is gone.
fn gone(id: u64) -> domain::crm::CrmState {
    domain::crm::CrmState {
        gone: vec![id],
        ..Default::default()
    }
}

/// What a read found, `None` when Zendesk answered that it does not exist (404).
fn gone_is_none<T>(result: Result<T, ZendeskError>) -> Result<Option<T>, ZendeskError> {
    match result {
        Ok(found) => Ok(Some(found)),
        Err(ZendeskError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A read answered: no longer pending (and the waiting notice goes once all work again), or
/// failed: tried again after its backoff.
/// A read of a screen since replaced (`round`) settles nothing.
///
/// A contact leaves `pending` only once nothing the screen waits for about it is out: its own
/// reads (its tickets; `Backend::users_out`) and its record, until a read answers it (a number
/// search that finds it or was to bring it, or its own read by id; `Backend::records_out`,
/// kept while a failed read of it waits to be tried again). Call is decided on the record read
/// for this screen, not on one an earlier screen read: a contact used to leave `pending` as
/// soon as its tickets answered, the search bringing its record still out.
fn settle(
    adapter: Adapter,
    b: &Rc<Backend>,
    fetch: Fetch,
    result: Result<(), ZendeskError>,
    round: u64,
) {
    if let Fetch::User(id) = &fetch {
        let mut out = b.users_out.borrow_mut();
        if let Some(at) = out.iter().position(|x| *x == (round, *id)) {
            out.swap_remove(at);
        }
    }
    if b.lookup_round.get() != round {
        return;
    }
    match result {
        Ok(()) => {
            let retried = b.retries.borrow_mut().remove(&fetch.key()).is_some();
            let done = |id: &u64| {
                !b.users_out.borrow().contains(&(round, *id))
                    && !b.records_out.borrow().contains(&(round, *id))
                    && !b.retries.borrow().contains_key(&FetchKey::User(*id))
            };
            adapter.pending.update(|p| {
                if !matches!(fetch, Fetch::User(_)) {
                    fetch.mark(p, false);
                }
                // The contacts nothing is out for any more (this read's own, and those whose
                // record it brought).
                p.users.retain(|id| !done(id));
            });
            if matches!(fetch, Fetch::Ticket(_)) {
                // The ticket names its requester: read now, and pending from now, not once the
                // rest of this pass has answered. Until then a screen whose ticket decides the
                // contact (a team's Ticket ID: the number is the requester's) decided on the
                // record an earlier screen read, with Call enabled.
                send(adapter, true);
            }
            if retried {
                // The lookup works again: the waiting notice goes by itself.
                waiting_notice_goes(adapter, b);
            }
        }
        Err(e) => retry_later(adapter, b, fetch, &e, round),
    }
}

/// True while the open dial screen still depends on this read.
fn needed(adapter: Adapter, fetch: &Fetch) -> bool {
    let Some(lookups) = adapter
        .dial
        .with_untracked(|d| d.as_ref().map(|d| d.lookups()))
    else {
        return false;
    };
    match fetch {
        Fetch::Number(n) => lookups.number.as_ref() == Some(n),
        Fetch::Ticket(id) => lookups.tickets.contains(id),
        Fetch::User(id) => {
            lookups.users.contains(id)
                || adapter.crm.with_untracked(|crm| {
                    lookups
                        .tickets
                        .iter()
                        .filter_map(|t| crm.ticket(*t))
                        .any(|t| t.requester_id == *id)
                })
        }
    }
}

/// A failed lookup stays pending and is tried again after its backoff; the agent is told
/// that it waits, and for how long.
fn retry_later(adapter: Adapter, b: &Rc<Backend>, fetch: Fetch, error: &ZendeskError, round: u64) {
    let jitter = js_sys::Math::random();
    let wait_ms = match error {
        // The account is paused (this page's writes may have met the 429): wait for the
        // pause to end, and no longer; it is not a failure of the lookup, so the backoff
        // does not grow.
        ZendeskError::RateLimited { retry_after_s } => {
            b.retries.borrow_mut().entry(fetch.key()).or_insert(0);
            (*retry_after_s as i64).max(1) * 1_000 + (jitter * 250.0) as i64
        }
        _ => {
            let attempt = {
                let mut retries = b.retries.borrow_mut();
                let n = retries.entry(fetch.key()).or_insert(0);
                *n += 1;
                *n
            };
            domain::batch::lookup_retry_delay_ms(attempt, jitter)
        }
    };
    let wait = adapter
        .catalogue
        .with_untracked(|c| c.seconds(((wait_ms + 999) / 1_000).max(0) as u64));
    match error {
        // Zendesk's pause is said as what it is, a notice, not a failure: the lookup waits.
        ZendeskError::RateLimited { .. } => {
            adapter.notice(adapter.fill(Label::LookupWaitsForZendesk, &[("wait", &wait)]))
        }
        _ => {
            // Why, with what Zendesk said ("HTTP 500") when it said something.
            let why = zendesk_message(adapter, error);
            adapter.fail(messages::Message {
                text: adapter.fill(Label::LookupRetrying, &[("wait", &wait)]),
                detail: Some(why.sentence()),
            });
        }
    }
    let b = b.clone();
    leptos::task::spawn_local(async move {
        sleep(wait_ms as i32).await;
        if b.lookup_round.get() != round {
            // The screen it was for is gone; the one open now reads for itself. Its entry went
            // when that screen opened (`reopened`): one under the same key now is the open
            // screen's own retry, and stays (taken off, that screen's Call was enabled with the
            // read it waits for not done). Its notice goes, once nothing else waits.
            waiting_notice_goes(adapter, &b);
            return;
        }
        // Let it be asked again; if the screen still needs it, it is.
        b.fetched.borrow_mut().remove(&fetch.key());
        if !needed(adapter, &fetch) {
            // A number no longer on screen (typed on): not asked again, and its notice goes
            // (it stayed, saying "trying again in 2 s", over a lookup that had worked).
            b.retries.borrow_mut().remove(&fetch.key());
            adapter.pending.update(|p| fetch.mark(p, false));
            waiting_notice_goes(adapter, &b);
        }
        refresh(adapter);
    });
}

/// The notice that a lookup waits to be tried again goes, once no lookup waits.
fn waiting_notice_goes(adapter: Adapter, b: &Backend) {
    if !b.retries.borrow().is_empty() {
        return;
    }
    // Told by the words before the wait ("… Trying again in {wait}.").
    let opening = |label| {
        let text = adapter.word(label);
        text[..text.find('{').unwrap_or(text.len())].to_owned()
    };
    let failed = opening(Label::LookupRetrying);
    let paused = opening(Label::LookupWaitsForZendesk);
    if adapter.banner.with_untracked(|x| {
        x.as_ref()
            .is_some_and(|x| x.text.starts_with(&failed) || x.text.starts_with(&paused))
    }) {
        adapter.banner.set(None);
    }
}

/// The record of contact `id` answered for the screen of `round` (found, or gone): the screen
/// no longer waits for it (`Backend::records_out`).
fn record_read(b: &Backend, round: u64, id: u64) {
    b.records_out.borrow_mut().retain(|x| *x != (round, id));
}

/// One CRM read the dial screen asked for.
enum Fetch {
    Number(String),
    User(u64),
    Ticket(u64),
}

impl Fetch {
    /// Its key in the fetch cache.
    fn key(&self) -> FetchKey {
        match self {
            Fetch::Number(n) => FetchKey::Number(n.clone()),
            Fetch::User(id) => FetchKey::User(*id),
            Fetch::Ticket(id) => FetchKey::Ticket(*id),
        }
    }

    /// Marks (or clears) this read as pending for the dial screen.
    fn mark(&self, p: &mut Pending, on: bool) {
        fn set<T: PartialEq + Clone>(list: &mut Vec<T>, item: &T, on: bool) {
            list.retain(|x| x != item);
            if on {
                list.push(item.clone());
            }
        }
        match self {
            Fetch::Number(n) => set(&mut p.numbers, n, on),
            Fetch::User(id) => set(&mut p.users, id, on),
            Fetch::Ticket(id) => set(&mut p.tickets, id, on),
        }
    }
}
