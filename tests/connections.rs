//! Native tests of the connection layer: the Zendesk client, the CRM lookup, the write folding
//! and the outbox, against an in-memory Zendesk that can fail in every way the real one does.

mod support {
    pub mod fake_zendesk;
}

use agent_adapter::{
    services::{
        crm::lookup_number,
        outbox::{
            agent_keys, holds_writes, Batching, CrmQueue, Guard, NoQueue, Outbox, QueueError,
            RequesterGone, TICKET_OF_EARLIER_JOB,
        },
        storage::{MemoryStore, Store},
        writes::{fold, Write},
    },
    zendesk::{NewTicket, TicketChange, Zendesk, ZendeskError},
};
use domain::{
    dial::{ContactPlan, DialPlan, TicketPlan},
    labels::Catalogue,
    rules::{decide, Event, RuleContext, Session},
    voice::CallLine,
};
use futures::executor::block_on;
use support::fake_zendesk::{FakeZendesk, Fault};

const AGENT: u64 = 7;
const NUMBER: &str = "+14155550100";
/// The outbound number the test calls are placed from.
const LINE: &str = "+15550002";
/// When the test calls started, as the platform reports it.
const STARTED_AT: &str = "2024-05-01T10:00:00Z";

fn session(id: &str) -> Session {
    Session {
        id: id.to_owned(),
        language: "en".into(),
        customer_number: Some(NUMBER.into()),
        ..Session::default()
    }
}

fn rule_context() -> RuleContext {
    RuleContext {
        region: "US".into(),
        ..RuleContext::default()
    }
}

/// The writes for placing an outbound call to a known contact with a new ticket.
fn placed(call: &str, contact: u64) -> Vec<Write> {
    placed_on(call, contact, TicketPlan::New)
}

/// The writes for placing an outbound call to a known contact, logged as `ticket` says.
fn placed_on(call: &str, contact: u64, ticket: TicketPlan) -> Vec<Write> {
    placed_for(call, ContactPlan::Existing { id: contact }, ticket)
}

/// The writes for placing an outbound call to `NUMBER` for `contact`, logged as `ticket` says.
fn placed_for(call: &str, contact: ContactPlan, ticket: TicketPlan) -> Vec<Write> {
    let plan = DialPlan {
        to: NUMBER.into(),
        extension: None,
        outbound_number: LINE.into(),
        language: "en".into(),
        contact,
        ticket,
        entered_number: false,
        comments: vec![],
    };
    let event = Event::OutboundPlaced {
        session: session(call),
        plan,
        agent_id: AGENT,
    };
    fold(&decide(
        &event,
        &Default::default(),
        &rule_context(),
        &Catalogue::english(),
    ))
}

/// The writes for the end of that call, with a recording.
/// Places `call` to `contact` with nothing in the way; the ticket it created.
fn logged_call<S: Store>(
    outbox: &Outbox<S>,
    zd: &Zendesk<&FakeZendesk>,
    contact: u64,
    call: &str,
) -> u64 {
    outbox.enqueue(&format!("{call}.placed"), placed(call, contact));
    block_on(outbox.run(zd, 0)).created_tickets[0].1
}

fn ended(call: &str, ticket: u64) -> Vec<Write> {
    let event = Event::Ended {
        session: session(call),
        ticket_id: ticket,
        recording_url: Some(format!("https://recordings.example/{call}.mp3")),
        duration_s: 42,
        call: CallLine {
            outbound: true,
            line: Some(LINE.into()),
            started_at: Some(STARTED_AT.into()),
        },
    };
    fold(&decide(
        &event,
        &Default::default(),
        &rule_context(),
        &Catalogue::english(),
    ))
}

#[test]
fn client_maps_every_status() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let user = fake.add_user("Ann", NUMBER);
    let closed = fake.add_ticket(user, "closed");
    // 200
    let found = block_on(zd.users_by_phone(NUMBER)).unwrap();
    assert_eq!(found.contacts.len(), 1);
    // 201
    let created = block_on(zd.create_ticket(&NewTicket {
        subject: "s".into(),
        requester_id: user,
        comment: "c".into(),
        ..NewTicket::default()
    }))
    .unwrap();
    assert!(created.id > user);
    // 404
    assert_eq!(block_on(zd.ticket(999_999)), Err(ZendeskError::NotFound));
    // 422 on a closed ticket
    let change = TicketChange {
        comment: Some("x".into()),
        ..TicketChange::default()
    };
    assert_eq!(
        block_on(zd.update_ticket(closed, &change, None)),
        Err(ZendeskError::Closed)
    );
    // 429 with Retry-After
    fake.fail_next([Fault::RateLimited(17)]);
    assert_eq!(
        block_on(zd.ticket(created.id)),
        Err(ZendeskError::RateLimited { retry_after_s: 17 })
    );
    // a network failure is a transport error, a 5xx a server error: both retryable
    fake.fail_next([Fault::Network, Fault::Unavailable]);
    let err = block_on(zd.ticket(created.id)).unwrap_err();
    assert!(matches!(err, ZendeskError::Transport(_)), "{err:?}");
    assert!(err.is_retryable(), "{err:?}");
    let err = block_on(zd.ticket(created.id)).unwrap_err();
    assert!(matches!(err, ZendeskError::Server(_)), "{err:?}");
    assert!(err.is_retryable(), "{err:?}");
}

// MATRIX-1, MATRIX-2: the lookup finds exact matches only and reads the single match's tickets
// (Zendesk's `open_ticket_count` side-load counts tickets assigned to a user, so it cannot say
// an end user has none: the tickets are read, also when there are none).
#[test]
fn lookup_finds_exact_matches_and_reads_the_single_matchs_tickets() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", "(415) 555-0100");
    fake.add_user("Other", "+44 20 4155 0100"); // same last digits, another number
    let crm = block_on(lookup_number(&zd, NUMBER, "US")).unwrap();
    assert_eq!(crm.contacts.iter().map(|c| c.id).collect::<Vec<_>>(), [ann]);
    assert_eq!(
        fake.counts(),
        (2, 0),
        "the search, then the contact's tickets"
    );
    fake.add_ticket(ann, "pending");
    fake.reset_counts();
    let crm = block_on(lookup_number(&zd, NUMBER, "US")).unwrap();
    assert_eq!(crm.open_tickets_of(ann).len(), 1);
    assert_eq!(fake.counts(), (2, 0));
}

// A number's search beside reads by id (a click-to-call on a known contact, or the search sent
// again after a failure): a contact whose tickets are read apart is not read again; one whose
// own record is owed is read by id when the search does not return it, and only then.
#[test]
fn lookup_leaves_tickets_read_apart_and_reads_owed_records_once() {
    use agent_adapter::services::crm::lookup_number_detailed;
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let bob = fake.add_user("Bob", "+1 212 555 0100");
    let search = |owed: &[u64], read: &[u64]| {
        block_on(lookup_number_detailed(
            &zd,
            NUMBER,
            "US",
            async { Vec::new() },
            owed,
            read,
        ))
        .unwrap()
    };
    // Ann's tickets read apart, her record brought by the search: the search alone.
    fake.reset_counts();
    let found = search(&[], &[ann]);
    assert_eq!(
        found.crm.contacts.iter().map(|c| c.id).collect::<Vec<_>>(),
        [ann]
    );
    assert!(
        found.tickets_known.is_empty(),
        "her tickets are not read here"
    );
    assert_eq!(fake.counts(), (1, 0), "the search only");
    // Ann's record owed: the search brings it; her tickets are left to her own read.
    fake.reset_counts();
    let found = search(&[ann], &[]);
    assert_eq!(
        found.crm.contacts.iter().map(|c| c.id).collect::<Vec<_>>(),
        [ann]
    );
    assert!(found.tickets_known.is_empty());
    assert_eq!(
        fake.counts(),
        (1, 0),
        "the search only: no read by id, no tickets"
    );
    // Bob (known by id, another number) owed: read by id, beside Ann found by the search,
    // whose tickets are read.
    fake.reset_counts();
    let found = search(&[bob], &[bob]);
    let mut ids: Vec<u64> = found.crm.contacts.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, {
        let mut v = vec![ann, bob];
        v.sort_unstable();
        v
    });
    assert_eq!(
        fake.counts(),
        (3, 0),
        "the search, Bob by id, Ann's tickets"
    );
    // Bob's record already read on this screen (not owed): not read again.
    fake.reset_counts();
    let found = search(&[], &[bob]);
    assert!(found.crm.contacts.iter().all(|c| c.id != bob));
    assert_eq!(fake.counts(), (2, 0), "the search and Ann's tickets");
    assert!(found.crm.gone.is_empty());
    // A user owed that Zendesk no longer has (404): said gone, not an error.
    let deleted = 999_999;
    let found = search(&[deleted], &[deleted]);
    assert_eq!(found.crm.gone, [deleted]);
    assert!(found.crm.contacts.iter().all(|c| c.id != deleted));
    // Nor one it still shows by id as no longer active (soft-deleted), on another number.
    let soft = fake.add_user("Soft", "+1 212 555 0199");
    fake.state.borrow_mut().inactive.push(soft);
    let found = search(&[soft], &[soft]);
    assert_eq!(found.crm.gone, [soft]);
    assert!(found.crm.contacts.iter().all(|c| c.id != soft));
    assert_eq!(block_on(zd.user(soft)).unwrap_err(), ZendeskError::NotFound);
    assert_eq!(
        block_on(zd.user(ann)).unwrap().id,
        ann,
        "an active user is read"
    );
}

// Zendesk's search index lags a deletion as it lags a creation: a contact deleted moments ago
// is still found by the number's search, soft-deleted (`active: false`). It is no contact to
// offer, nor to log a call on; the number's other contacts are.
#[test]
fn a_search_that_still_finds_a_deleted_user_offers_only_the_live_ones() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let gone = fake.add_user("Gone", NUMBER);
    fake.state.borrow_mut().inactive.push(gone);
    let found = block_on(zd.users_by_phone(NUMBER)).unwrap();
    let ids: Vec<u64> = found.contacts.iter().map(|c| c.id).collect();
    assert_eq!(ids, [ann]);
    let crm = block_on(lookup_number(&zd, NUMBER, "US")).unwrap();
    assert!(crm.contacts.iter().all(|c| c.id != gone));
    assert!(crm.contacts.iter().any(|c| c.id == ann));
    // The only contact of a number, deleted: the number has none.
    fake.state.borrow_mut().inactive.push(ann);
    assert!(block_on(zd.users_by_phone(NUMBER))
        .unwrap()
        .contacts
        .is_empty());

    // Shown by the search as they were (active), deleted since: their tickets' read answers
    // 404. The lookup says them gone, and the number without a contact; not a failed lookup
    // (before, it failed, and was tried again for as long as the index lagged).
    let other = "+14155550111";
    let bea = fake.add_user("Bea", other);
    fake.state.borrow_mut().stale.push(bea);
    let crm = block_on(lookup_number(&zd, other, "US")).expect("not a failed lookup");
    assert!(crm.contacts.is_empty(), "{:?}", crm.contacts);
    assert_eq!(crm.gone, [bea]);
}

/// The writes for placing an outbound call to the number with no contact: one made for it.
fn placed_for_new_contact(call: &str) -> Vec<Write> {
    let contact = ContactPlan::New {
        phone: NUMBER.into(),
        name: format!("Caller {NUMBER}"),
    };
    placed_for(call, contact, TicketPlan::New)
}

// A contact deleted in Zendesk between the dial screen's read and the call's ticket: Zendesk
// refuses the ticket for them (422 naming the requester). Before, the job failed and the call
// was logged nowhere (the end of the call, queued on its ticket, failed too). Now, once a read
// by id says the contact is gone and nobody else has the number, the rules' writes for the
// number with no contact take the job's place: a contact made for the number, the ticket
// theirs, and the end of the call on it.
#[test]
fn a_ticket_refused_for_a_deleted_contact_is_made_for_a_new_contact_of_the_number() {
    let gone_for = |requester: u64, call: &str| RequesterGone {
        requester,
        instead: placed_for_new_contact(call),
    };
    // Deleted, and still shown by a lagging search as they were.
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    fake.state.borrow_mut().stale.push(ann);
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    assert!(outbox.enqueue_with_requester(
        "call-9.placed",
        placed("call-9", ann),
        gone_for(ann, "call-9")
    ));
    assert!(outbox.enqueue_on_ticket_of(
        "call-9.placed",
        "call-9.ended",
        ended("call-9", TICKET_OF_EARLIER_JOB)
    ));
    let report = block_on(outbox.run(&zd, 0));
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.requester_gone, [("call-9.placed".to_owned(), ann)]);
    let (_, ticket) = report.created_tickets[0].clone();
    let t = fake.tickets().into_iter().find(|t| t.id == ticket).unwrap();
    let made = fake
        .state
        .borrow()
        .users
        .iter()
        .find(|u| u.0 == t.requester_id)
        .cloned();
    assert!(
        made.as_ref().is_some_and(|u| u.0 != ann && u.2 == NUMBER),
        "a contact made for the number: {made:?}"
    );
    assert!(
        t.comments.iter().any(|c| c.contains("Call finished")),
        "the end of the call on it: {t:?}"
    );
    assert!(outbox.jobs().is_empty());

    // Soft-deleted, and a reload before the run: the fallback is kept with the job.
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let bea = fake.add_user("Bea", NUMBER);
    fake.state.borrow_mut().inactive.push(bea);
    let store = MemoryStore::default();
    Outbox::open(store.clone(), AGENT).enqueue_with_requester(
        "call-10.placed",
        placed("call-10", bea),
        gone_for(bea, "call-10"),
    );
    let report = block_on(Outbox::open(store, AGENT).run(&zd, 0));
    assert_eq!(report.requester_gone, [("call-10.placed".to_owned(), bea)]);
    assert_eq!(report.created_tickets.len(), 1);

    // Refused while Zendesk still has them: not taken for a deletion; the job ends, said, and
    // no contact is made.
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let cid = fake.add_user("Cid", NUMBER);
    fake.state.borrow_mut().refused_requesters.push(cid);
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    outbox.enqueue_with_requester(
        "call-11.placed",
        placed("call-11", cid),
        gone_for(cid, "call-11"),
    );
    let report = block_on(outbox.run(&zd, 0));
    assert!(report.requester_gone.is_empty());
    assert_eq!(report.failed.len(), 1);
    assert_eq!(fake.state.borrow().users.len(), 1, "no contact made");

    // Gone, but another contact has the number now (a merge target, a second contact): no
    // third contact is made for it; the job ends, said.
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let dan = fake.add_user("Dan", NUMBER);
    let eve = fake.add_user("Eve", NUMBER);
    fake.state.borrow_mut().inactive.push(dan);
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    outbox.enqueue_with_requester(
        "call-12.placed",
        placed("call-12", dan),
        gone_for(dan, "call-12"),
    );
    let report = block_on(outbox.run(&zd, 0));
    assert!(report.requester_gone.is_empty());
    assert_eq!(report.failed.len(), 1);
    assert!(
        fake.state
            .borrow()
            .users
            .iter()
            .all(|u| u.0 == dan || u.0 == eve),
        "no contact made"
    );

    // The read that tells whether the contact is gone is refused (401: the agent's Zendesk
    // session ended): the job pauses as a refused write does, the agent told once, and goes on
    // once access is back; then 429 on it: not before its Retry-After.
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let fay = fake.add_user("Fay", NUMBER);
    fake.state.borrow_mut().stale.push(fay);
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    outbox.enqueue_with_requester(
        "call-13.placed",
        placed("call-13", fay),
        gone_for(fay, "call-13"),
    );
    // The ticket (refused: the requester), then the contact read by id.
    fake.fail_next([Fault::Pass, Fault::Unauthorized]);
    let report = block_on(outbox.run(&zd, 0));
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.paused.len(), 1, "the agent is told");
    assert!(report.wake_at_ms.unwrap() >= 30_000, "a pause");
    fake.fail_next([Fault::Pass, Fault::RateLimited(40)]);
    let report = block_on(outbox.run(&zd, 30_000));
    assert!(report.paused.is_empty(), "told once");
    assert_eq!(report.wake_at_ms, Some(70_000), "not before Retry-After");
    let report = block_on(outbox.run(&zd, 70_000));
    assert_eq!(report.requester_gone, [("call-13.placed".to_owned(), fay)]);
    assert_eq!(report.created_tickets.len(), 1);
}

// The request budget of one outbound call: known contact, new ticket, recording on.
#[test]
fn one_outbound_call_costs_two_reads_and_two_writes() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    let crm = block_on(lookup_number(&zd, NUMBER, "US")).unwrap();
    assert_eq!(crm.contacts.len(), 1);
    assert!(outbox.enqueue("call-1.placed", placed("call-1", ann)));
    let report = block_on(outbox.run(&zd, 0));
    let ticket = report.created_tickets[0].1;
    assert_eq!(report.screen_pops, [ticket], "AGENT-2: the new ticket pops");
    assert!(outbox.enqueue("call-1.ended", ended("call-1", ticket)));
    block_on(outbox.run(&zd, 0));
    let (reads, writes) = fake.counts();
    println!(
        "Zendesk requests for one outbound call (known contact, new ticket, recording on): \
         {reads} read(s), {writes} write(s)"
    );
    assert_eq!((reads, writes), (2, 2));
    let t = &fake.tickets()[0];
    assert_eq!(t.requester_id, ann);
    assert_eq!(t.assignee_id, Some(AGENT));
    assert_eq!(t.comments.len(), 2, "{:?}", t.comments);
    assert!(t.comments[1].contains("https://recordings.example/call-1.mp3"));
    assert_eq!(t.voice_comments, 1);
    // Issue 11, item 4: the voice comment's From/To/Started block is filled from the call: an
    // outbound call is from the outbound number to the customer, with its start in RFC 3339.
    let voice = &t.voice_data[0];
    assert_eq!(
        (
            voice["from"].as_str(),
            voice["to"].as_str(),
            voice["started_at"].as_str()
        ),
        (Some(LINE), Some(NUMBER), Some(STARTED_AT)),
        "{voice}"
    );
    assert_eq!(
        voice["recording_url"],
        "https://recordings.example/call-1.mp3"
    );
    assert_eq!(voice["call_duration"], 42);
}

// A reload while a write is in flight: the write landed, the answer was lost. The reopened
// outbox finishes the job without writing anything twice.
#[test]
fn reload_in_the_middle_of_a_write_loses_and_duplicates_nothing() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let store = MemoryStore::default();

    let outbox = Outbox::open(store.clone(), AGENT);
    outbox.enqueue("call-1.placed", placed("call-1", ann));
    fake.fail_next([Fault::LostAnswer]);
    let report = block_on(outbox.run(&zd, 0));
    assert!(report.completed.is_empty());
    drop(outbox); // the page goes away

    let outbox = Outbox::open(store.clone(), AGENT);
    assert_eq!(outbox.jobs().len(), 1, "the job survived the reload");
    let report = block_on(outbox.run(&zd, 10_000));
    assert_eq!(report.completed, ["call-1.placed"]);
    assert_eq!(
        fake.tickets().len(),
        1,
        "the replayed creation did not make a second ticket"
    );
    let ticket = fake.tickets()[0].id;

    outbox.enqueue("call-1.ended", ended("call-1", ticket));
    fake.fail_next([Fault::LostAnswer]);
    block_on(outbox.run(&zd, 20_000));
    let outbox = Outbox::open(store, AGENT);
    block_on(outbox.run(&zd, 40_000));
    assert!(outbox.jobs().is_empty());
    let t = &fake.tickets()[0];
    assert_eq!(
        t.comments.len(),
        2,
        "call finished written once: {:?}",
        t.comments
    );
    // A replayed event after the reload is ignored.
    assert!(!outbox.enqueue("call-1.ended", ended("call-1", ticket)));
}

// A contact creation cut short by a reload landed, but Zendesk's search does not show the new
// contact yet (its index lags creations): the replay does not make a second contact. It asks the
// search again every few seconds, and uses the contact once the search shows it. Before, the
// replay found nobody and made the contact again: two contacts for one caller.
#[test]
fn a_contact_creation_cut_short_is_not_made_twice_while_the_search_lags() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    fake.state.borrow_mut().lag_creations = true;
    let store = MemoryStore::default();
    let outbox = Outbox::open(store.clone(), AGENT);
    outbox.enqueue("call-1.placed", placed_for_new_contact("call-1"));
    fake.fail_next([Fault::LostAnswer]);
    block_on(outbox.run(&zd, 0));
    drop(outbox); // the page goes away
    assert_eq!(fake.state.borrow().users.len(), 1, "the creation landed");

    let outbox = Outbox::open(store.clone(), AGENT);
    let report = block_on(outbox.run(&zd, 1_000));
    assert!(report.completed.is_empty(), "{report:?}");
    assert_eq!(fake.state.borrow().users.len(), 1, "not made again");
    let wake = report.wake_at_ms.expect("asks the search again");
    assert!((1_000..=6_000).contains(&wake), "soon: {wake}");
    fake.index_now();
    let report = block_on(outbox.run(&zd, wake));
    assert_eq!(report.completed, ["call-1.placed"], "{report:?}");
    let users = fake.state.borrow().users.clone();
    assert_eq!(users.len(), 1, "one contact: {users:?}");
    assert_eq!(
        fake.tickets()[0].requester_id,
        users[0].0,
        "the ticket is theirs"
    );

    // A creation that never reached Zendesk (the network failed before it): made once the
    // search has had its time without showing it.
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    fake.state.borrow_mut().lag_creations = true;
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    outbox.enqueue("call-2.placed", placed_for_new_contact("call-2"));
    fake.fail_next([Fault::Network]);
    let mut now = 0;
    let mut runs = 0;
    let report = loop {
        let report = block_on(outbox.run(&zd, now));
        runs += 1;
        match report.wake_at_ms {
            Some(at) if runs < 40 => now = at,
            _ => break report,
        }
    };
    assert_eq!(report.completed, ["call-2.placed"], "{report:?}");
    assert!(now >= 60_000, "made after the index's time: {now}");
    assert_eq!(fake.state.borrow().users.len(), 1, "one contact");

    // Made again after the index's time, and that request refused (429): nothing landed, so
    // the wait is not started over; the creation goes after Retry-After.
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    fake.state.borrow_mut().lag_creations = true;
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    outbox.enqueue("call-3.placed", placed_for_new_contact("call-3"));
    fake.fail_next([Fault::Network]);
    block_on(outbox.run(&zd, 0));
    // The search (nobody), then the creation again: 429.
    fake.fail_next([Fault::Pass, Fault::RateLimited(2)]);
    let report = block_on(outbox.run(&zd, 60_000));
    assert_eq!(report.wake_at_ms, Some(62_000), "{report:?}");
    let report = block_on(outbox.run(&zd, 62_000));
    assert_eq!(report.completed, ["call-3.placed"], "{report:?}");
    assert_eq!(fake.state.borrow().users.len(), 1, "one contact");
}

// The end of a call whose ticket creation a 429 holds up is queued at once, on the ticket the
// call's first job will create, and survives a reload (regression: it was kept in memory and a
// reload lost it).
#[test]
fn the_end_of_a_call_waits_for_its_ticket_across_a_reload() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let store = MemoryStore::default();
    let outbox = Outbox::open(store.clone(), AGENT);
    outbox.enqueue("call-1.placed", placed("call-1", ann));
    fake.fail_next([Fault::RateLimited(3)]);
    let report = block_on(outbox.run(&zd, 0));
    assert!(report.created_tickets.is_empty(), "held up by the 429");
    assert!(outbox.enqueue_on_ticket_of(
        "call-1.placed",
        "call-1.ended",
        ended("call-1", TICKET_OF_EARLIER_JOB)
    ));
    drop(outbox); // the page goes away before Retry-After

    let outbox = Outbox::open(store, AGENT);
    assert_eq!(outbox.jobs().len(), 2, "both jobs survived the reload");
    let report = block_on(outbox.run(&zd, 5_000));
    assert_eq!(report.completed, ["call-1.placed", "call-1.ended"]);
    let tickets = fake.tickets();
    assert_eq!(tickets.len(), 1);
    assert_eq!(
        tickets[0].comments.len(),
        2,
        "call details, then call finished"
    );
    assert!(
        tickets[0].comments[1].contains("Call finished"),
        "{:?}",
        tickets[0].comments
    );
}

// A job queued on an earlier job that appended to an existing ticket (an inbound call logged on
// the caller's open ticket) writes to that ticket, before and after the earlier job finished.
#[test]
fn a_job_on_an_appending_job_writes_to_its_ticket() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    let ticket = logged_call(&outbox, &zd, ann, "call-0");
    outbox.enqueue("call-1.assigned", ended("call-1", ticket));
    outbox.enqueue_on_ticket_of(
        "call-1.assigned",
        "call-1.ended",
        ended("call-1", TICKET_OF_EARLIER_JOB),
    );
    let report = block_on(outbox.run(&zd, 1_000));
    assert_eq!(report.completed, ["call-1.assigned", "call-1.ended"]);
    assert_eq!(outbox.created_by("call-1.assigned"), Some(ticket));
    outbox.enqueue_on_ticket_of(
        "call-1.assigned",
        "call-1.late",
        ended("call-1", TICKET_OF_EARLIER_JOB),
    );
    let report = block_on(outbox.run(&zd, 2_000));
    assert_eq!(report.completed, ["call-1.late"]);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(fake.tickets()[0].comments.len(), 4);
}

// A comment in flight at a reload (answer lost), then batching switched on: the resumed job
// looks in the ticket's audits before it queues the comment on the platform, so the comment is
// not written twice (regression: with batching on the audit check was skipped).
#[test]
fn a_write_in_flight_is_not_queued_again_after_batching_is_switched_on() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let store = MemoryStore::default();
    let outbox = Outbox::open(store.clone(), AGENT);
    let ticket = logged_call(&outbox, &zd, ann, "call-1");
    outbox.enqueue("call-1.ended", ended("call-1", ticket));
    fake.fail_next([Fault::LostAnswer]);
    block_on(outbox.run(&zd, 1_000));
    assert_eq!(
        fake.tickets()[0].comments.len(),
        2,
        "the comment landed, its answer did not"
    );
    drop(outbox);

    let queue = RecordingQueue::default();
    let batching = Batching {
        add_comment: true,
        ticket_update: true,
    };
    let outbox = Outbox::open(store, AGENT);
    let report = block_on(outbox.run_with(&zd, &&queue, batching, 10_000));
    assert_eq!(report.completed, ["call-1.ended"]);
    assert!(
        queue.ops.borrow().is_empty(),
        "not queued again: {:?}",
        queue.ops.borrow()
    );
    assert_eq!(fake.tickets()[0].comments.len(), 2, "written once");
}

// Retry-After counts from when the 429 came, not from when the run started: a run that waited
// on the network for seconds does not send again too early.
#[test]
fn retry_after_counts_from_the_answer() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    outbox.enqueue("call-1.placed", placed("call-1", ann));
    fake.fail_next([Fault::RateLimited(3)]);
    // Each look at the clock finds it 10 s later (a slow network).
    let now = std::cell::Cell::new(0_i64);
    let clock = || {
        now.set(now.get() + 10_000);
        now.get()
    };
    let report = block_on(outbox.run_clocked(&zd, &NoQueue, Batching::default(), &clock));
    assert_eq!(report.wake_at_ms, Some(now.get() + 3_000));
}

// Two tabs of the same agent keep their writes apart (neither overwrites the other's), and the
// writes a tab left when it went away (a reload, a closed tab) are taken over by another, once.
#[test]
fn tabs_keep_their_writes_apart_and_take_over_those_of_a_tab_gone() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let store = MemoryStore::default();
    let a = Outbox::open_for_tab(store.clone(), AGENT, "a");
    let b = Outbox::open_for_tab(store.clone(), AGENT, "b");
    a.enqueue("call-1.placed", placed("call-1", ann));
    b.enqueue("call-2.placed", placed("call-2", ann));
    fake.fail_next([Fault::RateLimited(5)]);
    block_on(a.run(&zd, 0));
    assert_eq!(a.jobs().len(), 1, "held up by the 429");
    assert_eq!(b.jobs().len(), 1, "b's own job, a's untouched");
    // Tab a is alive: b leaves its writes alone.
    assert_eq!(b.adopt_orphans(|tab| tab == "a"), 0);
    drop(a); // the page reloads: tab a is gone
    let c = Outbox::open_for_tab(store.clone(), AGENT, "c");
    assert_eq!(c.adopt_orphans(|tab| tab == "b"), 1, "a's job, not b's");
    drop(c); // gone in turn before sending anything
    assert_eq!(b.adopt_orphans(|_| false), 1, "b takes it over from c");
    assert_eq!(b.adopt_orphans(|_| false), 0, "taken once");
    let report = block_on(b.run(&zd, 10_000));
    assert_eq!(report.completed, ["call-2.placed", "call-1.placed"]);
    assert_eq!(fake.tickets().len(), 2, "one ticket each, none twice");
    // An outbox kept under the agent's key alone (an earlier version) is taken over too.
    let old = Outbox::open(store.clone(), AGENT);
    old.enqueue("call-3.placed", placed("call-3", ann));
    assert_eq!(b.adopt_orphans(|_| true), 1);
}

// Sign-out while an inbound call's first job is worked out (its reads waiting out a 429) and no
// job is queued yet: the stored outbox is handed to the platform, intent and all, and the next
// sign-in works the call out again. Before, it counted as finished keys only and was removed:
// the call was never logged.
#[test]
fn a_first_job_being_worked_out_is_handed_over_at_sign_out() {
    let store = MemoryStore::default();
    let a = Outbox::open_for_tab(store.clone(), AGENT, "a");
    a.intend("9.assigned", Some(42));
    assert!(a.jobs().is_empty());
    a.detach();
    let keys = agent_keys(&store.keys(), AGENT);
    assert_eq!(keys.len(), 1, "{keys:?}");
    let text = store.get(&keys[0]).unwrap();
    assert!(
        holds_writes(&text),
        "an intent alone is handed over, not removed"
    );
    // Taken back in another browser, adopted by a new tab: still intended.
    let other = MemoryStore::default();
    other.set(&keys[0], &text);
    let b = Outbox::open_for_tab(other, AGENT, "b");
    b.adopt_orphans(|_| false);
    assert_eq!(b.intended("9.assigned"), Some(Some(42)));
}

// An inbound call's first job being worked out (its reads waiting out a rate limit) is kept
// with the outbox until it is queued: the page that comes back after a reload, or the tab that
// takes over, finds it and works it out again; queued or forgotten, it is no longer intended.
#[test]
fn a_first_job_being_worked_out_outlives_its_page() {
    let fake = FakeZendesk::new();
    let ann = fake.add_user("Ann", NUMBER);
    let store = MemoryStore::default();
    let a = Outbox::open_for_tab(store.clone(), AGENT, "a");
    a.intend("9.assigned", Some(ann));
    a.intend("10.assigned", None);
    assert_eq!(a.intended("9.assigned"), Some(Some(ann)));
    // The page reloads: the same tab's outbox opened again keeps it.
    drop(a);
    let a = Outbox::open_for_tab(store.clone(), AGENT, "a");
    assert_eq!(a.intended("9.assigned"), Some(Some(ann)));
    // The tab closes: another takes it over with its writes.
    drop(a);
    let b = Outbox::open_for_tab(store.clone(), AGENT, "b");
    assert_eq!(
        b.intended("9.assigned"),
        None,
        "another tab's, until taken over"
    );
    b.adopt_orphans(|_| false);
    assert_eq!(b.intended("9.assigned"), Some(Some(ann)));
    assert_eq!(b.intended("10.assigned"), Some(None));
    // Queued: no longer only intended; and never intended again once known.
    assert!(b.enqueue("9.assigned", placed("9", ann)));
    assert_eq!(b.intended("9.assigned"), None);
    b.intend("9.assigned", Some(ann));
    assert_eq!(b.intended("9.assigned"), None, "already queued");
    // Forgotten (its reads failed for good, or nothing to log): gone, across a reload too.
    b.forget_intent("10.assigned");
    drop(b);
    let b = Outbox::open_for_tab(store.clone(), AGENT, "b");
    assert_eq!(b.intended("10.assigned"), None);
}

// A closed ticket cannot take the call's data: the job ends with a clear error, the rest go on.
#[test]
fn closed_ticket_is_reported_not_retried() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let closed = fake.add_ticket(ann, "closed");
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    outbox.enqueue("call-1.ended", ended("call-1", closed));
    outbox.enqueue("call-2.placed", placed("call-2", ann));
    let report = block_on(outbox.run(&zd, 0));
    assert_eq!(
        report.failed,
        [("call-1.ended".to_owned(), ZendeskError::Closed)]
    );
    assert_eq!(report.completed, ["call-2.placed"]);
}

/// A small deterministic generator, so the storm is the same on every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

// 200 calls through a storm of 429s, 5xx, network loss and reloads mid-write: every call ends
// with exactly its two comments, on exactly one ticket, in order.
#[test]
fn storm_of_faults_and_reloads_loses_and_duplicates_nothing() {
    for seed in [42, 7, 2026, 31_337, 9_001] {
        storm(seed);
    }
}

fn storm(seed: u64) {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let store = MemoryStore::default();
    let mut outbox = Outbox::open(store.clone(), AGENT);
    let mut rng = Lcg(seed);
    let mut now = 0_i64;
    let (mut faults, mut reloads) = (0, 0);
    let calls = 200;
    for call in 0..calls {
        let id = format!("call-{call}");
        outbox.enqueue(&format!("{id}.placed"), placed(&id, ann));
        let mut ticket = None;
        let mut ended_queued = false;
        for _round in 0..200 {
            if rng.next(3) == 0 {
                let fault = match rng.next(4) {
                    0 => Fault::RateLimited(1 + rng.next(5)),
                    1 => Fault::Network,
                    2 => Fault::Unavailable,
                    _ => Fault::LostAnswer,
                };
                fake.fail_next([fault]);
                faults += 1;
            }
            let report = block_on(outbox.run(&zd, now));
            if let Some((_, t)) = report.created_tickets.first() {
                ticket = Some(*t);
            }
            if rng.next(5) == 0 {
                outbox = Outbox::open(store.clone(), AGENT);
                reloads += 1;
            }
            if !ended_queued && call % 2 == 1 {
                // The agent hangs up before the ticket exists: the end waits for it.
                outbox.enqueue_on_ticket_of(
                    &format!("{id}.placed"),
                    &format!("{id}.ended"),
                    ended(&id, TICKET_OF_EARLIER_JOB),
                );
                ended_queued = true;
            }
            if let (Some(t), false) = (ticket, ended_queued) {
                if outbox.jobs().iter().all(|j| !j.key.ends_with(".placed")) {
                    outbox.enqueue(&format!("{id}.ended"), ended(&id, t));
                    ended_queued = true;
                }
            }
            now += report.wake_at_ms.map_or(1_000, |at| (at - now).max(1));
            if ended_queued && outbox.jobs().is_empty() {
                break;
            }
        }
        // A creation whose answer was lost and then replayed still reports its ticket through
        // the idempotent replay; the call cannot end without one.
        assert!(ended_queued, "{id} never finished");
        fake.state.borrow_mut().faults.clear();
    }
    let tickets = fake.tickets();
    let (reads, writes) = fake.counts();
    println!(
        "storm (seed {seed}): {calls} calls, {faults} injected faults, {reloads} reloads, {reads} reads, \
         {writes} writes; tickets {}",
        tickets.len()
    );
    assert_eq!(
        tickets.len(),
        calls,
        "one ticket per call, none lost, none duplicated"
    );
    for t in &tickets {
        assert_eq!(
            t.comments.len(),
            2,
            "ticket {} comments {:?}",
            t.id,
            t.comments
        );
        assert!(
            t.comments[0].starts_with("Call details"),
            "{:?}",
            t.comments
        );
        assert!(
            t.comments[1].starts_with("Call finished"),
            "{:?}",
            t.comments
        );
        assert_eq!(t.voice_comments, 1);
    }
}

/// The platform's queue, recording what it was given.
#[derive(Default)]
struct RecordingQueue {
    ops: std::cell::RefCell<Vec<serde_json::Value>>,
    refuse_next: std::cell::Cell<bool>,
    /// True while the queue holds what it was given (its batch window has not closed).
    holding: std::cell::Cell<bool>,
    /// The next ops are taken, but the answer is lost (the page went away meanwhile).
    lose_answer: std::cell::Cell<bool>,
    asked: std::cell::Cell<usize>,
    /// Recording links by call, as the platform keeps them.
    recordings: std::cell::RefCell<std::collections::BTreeMap<u64, String>>,
    /// True while the platform cannot be reached for a recording's link.
    recordings_down: std::cell::Cell<bool>,
    /// While true, every batch is refused for good (403: not a ticket of the agent's calls).
    forbid: std::cell::Cell<bool>,
    /// Batches offered, taken or not.
    offered: std::cell::Cell<usize>,
    /// The contacts made, as told to the platform's directory (phone, user id).
    reported: std::cell::RefCell<Vec<(String, u64)>>,
}

impl CrmQueue for &RecordingQueue {
    async fn queue(&self, ops: &[serde_json::Value]) -> Result<(), QueueError> {
        self.offered.set(self.offered.get() + 1);
        if self.forbid.get() {
            return Err(QueueError::Refused(
                "not a ticket of the agent's calls".into(),
            ));
        }
        if self.refuse_next.replace(false) {
            return Err(QueueError::Unavailable(
                "the contact centre cannot be reached".into(),
            ));
        }
        self.ops.borrow_mut().extend(ops.iter().cloned());
        if self.lose_answer.replace(false) {
            return Err(QueueError::Unavailable("no answer".into()));
        }
        Ok(())
    }
    async fn settled(&self, _: &str) -> Result<bool, String> {
        self.asked.set(self.asked.get() + 1);
        Ok(!self.holding.get())
    }
    async fn recording_of(&self, call_id: u64) -> Result<Option<String>, String> {
        if self.recordings_down.get() {
            return Err("the contact centre cannot be reached".into());
        }
        Ok(self.recordings.borrow().get(&call_id).cloned())
    }
    async fn contact_created(&self, phone: &str, user_id: u64) {
        self.reported.borrow_mut().push((phone.to_owned(), user_id));
    }
}

// The platform's directory is told of a contact made for a number; a contact made with none (a
// web chat's visitor) is not: the platform refused each such report (422 "phone is not a
// number"), one wasted request and a console error per chat.
#[test]
fn a_contact_made_without_a_number_is_not_reported_to_the_directory() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let queue = RecordingQueue::default();
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    let visitor = ContactPlan::New {
        phone: String::new(),
        name: "Visitor".into(),
    };
    outbox.enqueue(
        "call-1.placed",
        placed_for("call-1", visitor, TicketPlan::New),
    );
    outbox.enqueue("call-2.placed", placed_for_new_contact("call-2"));
    let report = block_on(outbox.run_with(&zd, &&queue, Batching::default(), 0));
    assert_eq!(
        report.completed,
        ["call-1.placed", "call-2.placed"],
        "{report:?}"
    );
    let made: Vec<(String, u64)> = fake
        .state
        .borrow()
        .users
        .iter()
        .filter(|(_, _, phone)| !phone.is_empty())
        .map(|(id, _, phone)| (phone.clone(), *id))
        .collect();
    assert_eq!(fake.state.borrow().users.len(), 2, "both made");
    assert_eq!(*queue.reported.borrow(), made, "only the one with a number");
}

/// Everything the store holds, as text.
fn stored_text(store: &MemoryStore) -> String {
    store.keys().iter().filter_map(|k| store.get(k)).collect()
}

// #17: the browser's storage keeps no recording link (the platform has it): a job read back after
// a reload asks the platform for the link before it writes, waits while it cannot, and writes the
// comment and the voice comment with the real link.
#[test]
fn a_stored_job_keeps_no_recording_link_and_gets_it_from_the_platform() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let store = MemoryStore::default();
    let queue = RecordingQueue::default();
    let outbox = Outbox::open(store.clone(), AGENT);
    let ticket = logged_call(&outbox, &zd, ann, "41");
    let link = "https://recordings.example/41.mp3";
    assert!(outbox.enqueue_with_recording(
        "41.ended",
        ended("41", ticket),
        None,
        Some(link.into())
    ));
    let stored = stored_text(&store);
    assert!(stored.contains("41.ended"), "the job is stored: {stored}");
    assert!(
        !stored.contains("recordings.example"),
        "but not the link: {stored}"
    );
    drop(outbox);

    // The reloaded page, with the platform out of reach: the job waits, nothing is written.
    let outbox = Outbox::open(store.clone(), AGENT);
    queue.recordings_down.set(true);
    let report = block_on(outbox.run_with(&zd, &&queue, Batching::default(), 1_000));
    assert!(report.completed.is_empty());
    assert!(report.wake_at_ms.is_some(), "tried again later");
    let t = fake.tickets().into_iter().find(|t| t.id == ticket).unwrap();
    assert_eq!(
        t.comments.len(),
        1,
        "only the call's details so far: {:?}",
        t.comments
    );

    queue.recordings_down.set(false);
    queue.recordings.borrow_mut().insert(41, link.into());
    let report = block_on(outbox.run_with(&zd, &&queue, Batching::default(), 10_000_000));
    assert_eq!(report.completed, vec!["41.ended".to_owned()]);
    let t = fake.tickets().into_iter().find(|t| t.id == ticket).unwrap();
    assert!(t.comments[1].contains(link), "{:?}", t.comments);
    assert!(!t.comments[1].contains("withheld"), "{:?}", t.comments);
    assert_eq!(t.voice_comments, 1);
    assert_eq!(t.voice_data[0]["recording_url"], link);
    assert!(!stored_text(&store).contains("recordings.example"));
}

// A comment handed to the platform's queue whose answer was lost at a reload, resumed after
// batching was switched off: it goes to the queue again (which ignores the repeated key), never
// directly as well (regression: the fault suite saw it written twice).
#[test]
fn a_write_resumed_after_a_settings_change_is_split_as_it_was() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let store = MemoryStore::default();
    let queue = RecordingQueue::default();
    let outbox = Outbox::open(store.clone(), AGENT);
    let ticket = logged_call(&outbox, &zd, ann, "call-1");
    outbox.enqueue("call-1.ended", ended("call-1", ticket));
    queue.lose_answer.set(true);
    let on = Batching {
        add_comment: true,
        ticket_update: true,
    };
    let report = block_on(outbox.run_with(&zd, &&queue, on, 1_000));
    assert!(report.completed.is_empty());
    drop(outbox);

    let outbox = Outbox::open(store, AGENT);
    let report = block_on(outbox.run_with(&zd, &&queue, Batching::default(), 60_000));
    assert_eq!(report.completed, ["call-1.ended"]);
    let keys: Vec<String> = queue
        .ops
        .borrow()
        .iter()
        .map(|o| o["key"].to_string())
        .collect();
    assert_eq!(keys.len(), 2, "queued again under the same key: {keys:?}");
    assert_eq!(keys[0], keys[1]);
    assert_eq!(
        fake.tickets()[0].comments.len(),
        1,
        "not written directly as well"
    );
}

// The platform's queue takes operations only for tickets of the agent's own calls; it refuses
// others for good (403) and queues nothing of them. Such a write goes directly to Zendesk, where
// the agent's own rights decide: once, nothing lost, and never offered to the queue again, even
// when the direct write must be retried (regression: a refusal was retried for ever).
#[test]
fn a_write_the_queue_refuses_goes_directly_once() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let store = MemoryStore::default();
    let queue = RecordingQueue::default();
    let outbox = Outbox::open(store.clone(), AGENT);
    let ticket = logged_call(&outbox, &zd, ann, "call-1");
    let on = Batching {
        add_comment: true,
        ticket_update: true,
    };
    queue.forbid.set(true);
    outbox.enqueue("call-1.ended", ended("call-1", ticket));
    // The direct write meets a 503 first: it is retried directly.
    fake.fail_next([Fault::Unavailable]);
    let report = block_on(outbox.run_with(&zd, &&queue, on, 1_000));
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(queue.offered.get(), 1, "offered to the queue once");
    let at = report.wake_at_ms.expect("the direct write is retried");
    drop(outbox);

    // Resumed after a reload, with the queue taking everything again: still direct.
    queue.forbid.set(false);
    let outbox = Outbox::open(store, AGENT);
    let report = block_on(outbox.run_with(&zd, &&queue, on, at));
    assert_eq!(report.completed, ["call-1.ended"], "{report:?}");
    assert!(report.failed.is_empty());
    assert_eq!(queue.offered.get(), 1, "never offered again");
    assert!(queue.ops.borrow().is_empty(), "nothing queued");
    let t = &fake.tickets()[0];
    let finished = t
        .comments
        .iter()
        .filter(|c| c.starts_with("Call finished"))
        .count();
    assert_eq!(finished, 1, "written directly, once: {:?}", t.comments);
    assert_eq!(t.voice_comments, 1, "with its recording");
}

// BATCH: a ticket's order holds across a change of Developer Settings: a comment handed to the
// platform's queue (batching on) is written before a later direct write to the same ticket
// (batching off), which waits for the queue (regression: the later call's end overtook it).
#[test]
fn a_direct_write_waits_for_the_queue_to_write_the_ticket_s_earlier_comments() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let queue = RecordingQueue::default();
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    let ticket = logged_call(&outbox, &zd, ann, "call-1");
    let on = Batching {
        add_comment: true,
        ticket_update: false,
    };
    outbox.enqueue("call-1.ended", ended("call-1", ticket));
    queue.holding.set(true);
    let report = block_on(outbox.run_with(&zd, &&queue, on, 1_000));
    assert_eq!(report.completed, ["call-1.ended"], "handed to the queue");
    assert_eq!(queue.ops.borrow().len(), 1);

    // Batching switched off; the next write to the ticket goes directly, after the queue's.
    outbox.enqueue("call-2.ended", ended("call-2", ticket));
    let before = fake.tickets()[0].comments.len();
    let report = block_on(outbox.run_with(&zd, &&queue, Batching::default(), 2_000));
    assert!(report.completed.is_empty(), "waits for the queue");
    assert_eq!(report.wake_at_ms, Some(3_000), "asks again in a second");
    assert_eq!(
        fake.tickets()[0].comments.len(),
        before,
        "nothing overtook the queue"
    );
    queue.holding.set(false);
    let report = block_on(outbox.run_with(&zd, &&queue, Batching::default(), 3_000));
    assert_eq!(report.completed, ["call-2.ended"]);
    assert_eq!(fake.tickets()[0].comments.len(), before + 1);
    // Known written: later direct writes do not ask again.
    let asked = queue.asked.get();
    outbox.enqueue("call-3.ended", ended("call-3", ticket));
    block_on(outbox.run_with(&zd, &&queue, Batching::default(), 4_000));
    assert_eq!(queue.asked.get(), asked);

    // A queue that does not move holds a direct write up for a while, not for ever.
    queue.holding.set(true);
    outbox.enqueue("call-4.ended", ended("call-4", ticket));
    block_on(outbox.run_with(&zd, &&queue, on, 5_000));
    outbox.enqueue("call-5.ended", ended("call-5", ticket));
    let mut now = 6_000;
    let mut report = block_on(outbox.run_with(&zd, &&queue, Batching::default(), now));
    while report.completed.is_empty() && now < 1_000_000 {
        now = report.wake_at_ms.expect("waiting");
        report = block_on(outbox.run_with(&zd, &&queue, Batching::default(), now));
    }
    assert_eq!(report.completed, ["call-5.ended"]);
    assert!(
        (100_000..200_000).contains(&now),
        "went after about two minutes: {now}"
    );
}

// BATCH-1, BATCH-2: with Add Comment batched, the end-of-call comment goes to the platform's
// queue under its operation key; it carries the recording link, OQ-36's fallback form of the
// recording, so nothing is written directly. A refused queue is retried, and a replay after a
// reload sends the same key again (the queue ignores it).
#[test]
fn batched_comments_go_to_the_platform_queue() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let queue = RecordingQueue::default();
    let batching = Batching {
        add_comment: true,
        ticket_update: false,
    };
    let store = MemoryStore::default();
    let outbox = Outbox::open(store.clone(), AGENT);
    outbox.enqueue("1.placed", placed("1", ann));
    let report = block_on(outbox.run_with(&zd, &&queue, batching, 0));
    let ticket = report.created_tickets[0].1;
    fake.reset_counts();
    outbox.enqueue("1.ended", ended("1", ticket));
    queue.refuse_next.set(true);
    let report = block_on(outbox.run_with(&zd, &&queue, batching, 0));
    assert!(
        report.completed.is_empty() && report.wake_at_ms.is_some(),
        "retried later"
    );
    // After the reload, the stored job asks the platform for the recording's link.
    queue
        .recordings
        .borrow_mut()
        .insert(1, "https://recordings.example/1.mp3".into());
    let outbox = Outbox::open(store, AGENT);
    let report = block_on(outbox.run_with(&zd, &&queue, batching, 10_000));
    assert_eq!(report.completed, ["1.ended"]);
    let ops = queue.ops.borrow();
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert_eq!(ops[0]["kind"], "add_comment");
    assert_eq!(ops[0]["ticket_id"], ticket);
    assert_eq!(ops[0]["key"], "1.ended.0");
    let body = ops[0]["body"].as_str().unwrap();
    assert!(body.starts_with("Call finished"), "{body}");
    assert!(
        body.contains("https://recordings.example/1.mp3"),
        "UPD-7: the recording link"
    );
    let t = &fake.tickets()[0];
    assert_eq!(t.comments.len(), 1, "the comment was not written directly");
    assert_eq!(t.voice_comments, 0, "no separate voice comment");
    assert_eq!(fake.counts().1, 0, "no direct write at the end of the call");
}

// BATCH-1: Ticket Update batched: status, assignee and fields go to the queue as one operation.
#[test]
fn batched_ticket_updates_carry_status_and_fields() {
    use agent_adapter::zendesk::TicketChange;
    let batching = Batching {
        add_comment: true,
        ticket_update: true,
    };
    let change = TicketChange {
        comment: Some("Call details".into()),
        status: Some(domain::crm::TicketStatus::Open),
        assignee_id: Some(AGENT),
        custom_fields: vec![(9, serde_json::json!("ivr"))],
        ..TicketChange::default()
    };
    let (ops, direct) = batching.split(40, "k.0", &change);
    assert_eq!(
        ops,
        [
            serde_json::json!({"key": "k.0", "ticket_id": 40, "kind": "update_ticket",
            "body": {"status": "open", "assignee_id": AGENT, "comment": "Call details",
                "custom_fields": [{"id": 9, "value": "ivr"}]}})
        ]
    );
    assert_eq!(
        direct,
        TicketChange::default(),
        "nothing left to send directly"
    );
    let (ops, direct) = Batching::default().split(40, "k.0", &change);
    assert!(ops.is_empty());
    assert_eq!(direct, change, "not batched: all direct");
}

/// An account with Ann and one ticket of hers in `status`, and an outbox.
fn ann_with_ticket(status: &str) -> (FakeZendesk, u64, u64, Outbox<MemoryStore>) {
    let fake = FakeZendesk::new();
    let ann = fake.add_user("Ann", NUMBER);
    let picked = fake.add_ticket(ann, status);
    (
        fake,
        ann,
        picked,
        Outbox::open(MemoryStore::default(), AGENT),
    )
}

/// A call placed on `ticket` (open when the dial screen read it), queued with its collision
/// check as the adapter queues it.
fn place_guarded<S: Store>(
    outbox: &Outbox<S>,
    zd: &Zendesk<&FakeZendesk>,
    call: &str,
    contact: u64,
    ticket: u64,
) {
    let read = block_on(zd.ticket(ticket)).unwrap();
    let guard = Guard {
        ticket,
        seen_updated_at: read.updated_at,
        open_when_read: read.status.is_open_set(),
        instead: placed_on(call, contact, TicketPlan::New),
        requester: Some(read.requester_id),
    };
    let writes = placed_on(call, contact, TicketPlan::Existing { id: ticket });
    assert!(outbox.enqueue_guarded(&format!("{call}.placed"), writes, guard));
    assert!(outbox.is_guarded(&format!("{call}.placed")));
}

// Issue 21, UPD-3: the ticket the dial screen picked was solved by someone else before the call
// was logged: Zendesk's collision check refuses the append, the adapter reads the ticket again,
// and the rules decide again: the call goes on a new ticket and the solved one is left solved.
#[test]
fn a_ticket_solved_meanwhile_is_not_reopened_and_the_call_gets_a_new_ticket() {
    let (fake, ann, picked, outbox) = ann_with_ticket("open");
    let zd = Zendesk::new(&fake);
    place_guarded(&outbox, &zd, "call-1", ann, picked);
    fake.change_elsewhere(picked, "solved");
    let report = block_on(outbox.run(&zd, 0));
    assert_eq!(report.completed, ["call-1.placed"], "{report:?}");
    assert_eq!(report.redecided, [("call-1.placed".to_owned(), picked)]);
    let tickets = fake.tickets();
    let old = tickets.iter().find(|t| t.id == picked).unwrap();
    assert_eq!(old.status, "solved", "never reopened");
    assert!(
        old.comments.is_empty(),
        "nothing appended: {:?}",
        old.comments
    );
    let (_, new) = report.created_tickets[0];
    let new = tickets.iter().find(|t| t.id == new).unwrap();
    assert_eq!(new.requester_id, ann);
    assert!(
        new.comments.iter().any(|c| c.contains("call-1")),
        "{:?}",
        new.comments
    );
    assert_eq!(
        outbox.created_by("call-1.placed"),
        Some(new.id),
        "the call's ticket"
    );
}

// The ticket the dial screen picked for Ann was given to another requester before the call was
// logged: Zendesk's collision check refuses the append, the ticket read again is open but no
// longer Ann's, so the call goes on a new ticket of hers and the other customer's ticket is left
// alone. Before, only its status was looked at, and Ann's call was appended to Bob's ticket.
#[test]
fn a_ticket_given_to_another_requester_meanwhile_is_not_appended_to() {
    let (fake, ann, picked, outbox) = ann_with_ticket("open");
    let bob = fake.add_user("Bob", "+15550109999");
    let zd = Zendesk::new(&fake);
    place_guarded(&outbox, &zd, "call-7", ann, picked);
    fake.give_elsewhere(picked, bob);
    let report = block_on(outbox.run(&zd, 0));
    assert_eq!(report.completed, ["call-7.placed"], "{report:?}");
    assert_eq!(report.redecided, [("call-7.placed".to_owned(), picked)]);
    let tickets = fake.tickets();
    let old = tickets.iter().find(|t| t.id == picked).unwrap();
    assert!(
        old.comments.is_empty(),
        "nothing on Bob's ticket: {:?}",
        old.comments
    );
    let (_, new) = report.created_tickets[0];
    let new = tickets.iter().find(|t| t.id == new).unwrap();
    assert_eq!(new.requester_id, ann, "a new ticket of Ann's");
    assert!(
        new.comments.iter().any(|c| c.contains("call-7")),
        "{:?}",
        new.comments
    );
}

// The same after a network failure and a 429 on the way: the refused write is tried again after
// its wait, still with the collision check, and the rules decide once.
#[test]
fn a_ticket_solved_meanwhile_is_caught_after_failures_too() {
    let (fake, ann, picked, outbox) = ann_with_ticket("open");
    let zd = Zendesk::new(&fake);
    place_guarded(&outbox, &zd, "call-4", ann, picked);
    fake.change_elsewhere(picked, "solved");
    fake.fail_next([Fault::Network, Fault::RateLimited(2)]);
    let first = block_on(outbox.run(&zd, 0));
    assert!(first.completed.is_empty(), "{first:?}");
    let wake = first.wake_at_ms.expect("waits");
    // The write cut off by the network may have landed: the audits are read, then 429.
    let second = block_on(outbox.run(&zd, wake));
    assert!(second.completed.is_empty(), "{second:?}");
    let wake = second.wake_at_ms.expect("waits for Retry-After");
    let last = block_on(outbox.run(&zd, wake));
    assert_eq!(last.completed, ["call-4.placed"], "{last:?}");
    assert_eq!(last.redecided, [("call-4.placed".to_owned(), picked)]);
    let tickets = fake.tickets();
    let old = tickets.iter().find(|t| t.id == picked).unwrap();
    assert_eq!(old.status, "solved");
    assert!(old.comments.is_empty() && old.op_keys.is_empty());
    assert_eq!(tickets.len(), 2, "one new ticket");
    assert_eq!(
        fake.state.borrow().safe_updates,
        1,
        "the append that reached Zendesk carried the check"
    );
}

// The read that decides again answers 429: the job waits out its Retry-After (an earlier
// backoff of a second or two met another 429), then decides once.
#[test]
fn a_collision_whose_read_again_is_rate_limited_waits_for_retry_after() {
    let (fake, ann, picked, outbox) = ann_with_ticket("open");
    let zd = Zendesk::new(&fake);
    place_guarded(&outbox, &zd, "call-5", ann, picked);
    fake.change_elsewhere(picked, "solved");
    // The append (refused by the collision check), then the ticket read again: 429.
    fake.fail_next([Fault::Pass, Fault::RateLimited(20)]);
    let first = block_on(outbox.run(&zd, 0));
    assert!(first.completed.is_empty(), "{first:?}");
    assert_eq!(first.wake_at_ms, Some(20_000), "not before Retry-After");
    let last = block_on(outbox.run(&zd, 20_000));
    assert_eq!(last.completed, ["call-5.placed"], "{last:?}");
    assert_eq!(last.redecided, [("call-5.placed".to_owned(), picked)]);
    assert_eq!(
        fake.tickets().len(),
        2,
        "one new ticket; the solved one left"
    );
}

// The picked ticket changed meanwhile but is still open (another agent's comment, a trigger):
// the append goes ahead, once, against the ticket as read again.
#[test]
fn a_ticket_changed_but_still_open_gets_the_call_once() {
    let (fake, ann, picked, outbox) = ann_with_ticket("open");
    let zd = Zendesk::new(&fake);
    place_guarded(&outbox, &zd, "call-2", ann, picked);
    fake.change_elsewhere(picked, "pending");
    fake.reset_counts();
    let report = block_on(outbox.run(&zd, 0));
    assert_eq!(report.completed, ["call-2.placed"], "{report:?}");
    assert!(report.redecided.is_empty());
    assert_eq!(
        report.created_tickets,
        [("call-2.placed".to_owned(), picked)],
        "the call's ticket, settled once the append landed"
    );
    let t = fake.tickets().into_iter().find(|t| t.id == picked).unwrap();
    assert_eq!(t.status, "open", "UPD-3: appended, set Open");
    assert_eq!(t.op_keys, ["call-2.placed.0"], "written once");
    // The refused update, the read, the update again.
    assert_eq!(fake.counts(), (1, 2));
    assert!(!outbox.is_guarded("call-2.placed"));
}

// A busy ticket changes again at every try: after three collisions, read open each time, the
// append goes without the check, and the call's ticket is still settled (reported as the job's
// ticket: an inbound call shows and reports it from there).
#[test]
fn a_busy_ticket_gets_the_call_without_the_check_and_is_the_call_s_ticket() {
    let (fake, ann, picked, outbox) = ann_with_ticket("open");
    let zd = Zendesk::new(&fake);
    place_guarded(&outbox, &zd, "call-6", ann, picked);
    fake.change_elsewhere(picked, "open");
    fake.state.borrow_mut().busy.push(picked);
    let report = block_on(outbox.run(&zd, 0));
    assert_eq!(report.completed, ["call-6.placed"], "{report:?}");
    assert_eq!(
        report.created_tickets,
        [("call-6.placed".to_owned(), picked)],
        "the call's ticket, settled"
    );
    let t = fake.tickets().into_iter().find(|t| t.id == picked).unwrap();
    assert_eq!(t.op_keys, ["call-6.placed.0"], "written once");
}

// Nothing changed: one update, no extra read.
#[test]
fn a_ticket_unchanged_costs_nothing_more() {
    let (fake, ann, picked, outbox) = ann_with_ticket("pending");
    let zd = Zendesk::new(&fake);
    place_guarded(&outbox, &zd, "call-3", ann, picked);
    fake.reset_counts();
    let report = block_on(outbox.run(&zd, 0));
    assert_eq!(report.completed, ["call-3.placed"], "{report:?}");
    assert_eq!(fake.counts(), (0, 1));
    assert_eq!(
        fake.state.borrow().safe_updates,
        1,
        "with the collision check"
    );
}

// UPD-8: the call's ticket was merged while the call went on: the end of the call is written to
// the ticket it was merged into, not refused.
#[test]
fn writes_follow_a_merge() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let source = fake.add_ticket(ann, "open");
    let target = fake.add_ticket(ann, "open");
    fake.merge(source, target);
    assert_eq!(block_on(zd.merge_target(source)), Ok(Some(target)));
    assert_eq!(block_on(zd.merge_target(target)), Ok(None));
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    outbox.enqueue("call-1.ended", ended("call-1", source));
    let report = block_on(outbox.run(&zd, 0));
    assert_eq!(report.completed, ["call-1.ended"], "{report:?}");
    let tickets = fake.tickets();
    let t = tickets.iter().find(|t| t.id == target).unwrap();
    assert!(
        t.comments.iter().any(|c| c.starts_with("Call finished")),
        "{:?}",
        t.comments
    );
    assert_eq!(t.voice_comments, 1);
}

#[test]
fn merge_comment_parsing() {
    use agent_adapter::zendesk::merge_target_in;
    assert_eq!(
        merge_target_in("This request was closed and merged into request #4012."),
        Some(4012)
    );
    assert_eq!(
        merge_target_in("Merged into request #77 by an agent"),
        Some(77)
    );
    assert_eq!(merge_target_in("Call finished"), None);
}

// TICKET-10, TICKET-13: a voicemail ticket through Talk Partner Edition, with its voice comment.
#[test]
fn voice_tickets_carry_via_and_voice_comment() {
    use agent_adapter::zendesk::VoiceComment;
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let ticket = NewTicket {
        subject: "Voicemail from +14155550100".into(),
        requester_id: ann,
        comment: "Voicemail".into(),
        via_id: Some(44),
        idempotency_key: Some("vm-1.0".into()),
        ..NewTicket::default()
    };
    let voice = VoiceComment::new(NUMBER, LINE, STARTED_AT, 12)
        .unwrap()
        .with_recording("https://recordings.example/v.mp3");
    let created = block_on(zd.create_voice_ticket(&ticket, Some(&voice), Some(AGENT))).unwrap();
    let t = fake
        .tickets()
        .into_iter()
        .find(|t| t.id == created.id)
        .unwrap();
    assert_eq!(
        (t.requester_id, t.assignee_id, t.voice_comments),
        (ann, Some(AGENT), 1)
    );
    // A replay (its answer was lost) returns the same ticket through the idempotency key.
    let again = block_on(zd.create_voice_ticket(&ticket, Some(&voice), Some(AGENT))).unwrap();
    assert_eq!(again.id, created.id);
    assert_eq!(fake.tickets().len(), 1);
}

// Issue 11, item 4: a write persisted before voice comments were checked, with an empty
// From/To/Started block, is read back without its voice comment (so it is never sent empty);
// the rest of the change, with the "Call finished" comment and its recording link, stays.
#[test]
fn a_persisted_empty_voice_comment_is_dropped_when_read_back() {
    let persisted = serde_json::json!({
        "comment": "Call finished\nRecording: https://r/1.mp3",
        "voice_comment": {"from": "", "to": "", "started_at": "", "call_duration": 42,
            "recording_url": "https://r/1.mp3"},
    });
    let change: TicketChange = serde_json::from_value(persisted).unwrap();
    assert!(change.comment.unwrap().contains("https://r/1.mp3"));
    assert_eq!(change.voice_comment, None);
    let filled = serde_json::json!({"voice_comment": {"from": LINE, "to": NUMBER,
        "started_at": STARTED_AT, "call_duration": 42}});
    let change: TicketChange = serde_json::from_value(filled).unwrap();
    assert_eq!(change.voice_comment.unwrap().from(), LINE);
}

// "Trust and failure": the outbox's storage. A corrupt value is set aside (kept, reported once)
// and the outbox works beside it; the bare state an older adapter wrote is read (migrated);
// writes older than three days are removed and reported; no byte sequence panics.
#[test]
fn stored_writes_survive_shape_changes_and_corruption_without_loss_or_panic() {
    use agent_adapter::services::{envelope, outbox::StorageNotice};
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let key = format!("agent-adapter.outbox.{AGENT}");

    // Corrupt: set aside under its own key, reported once, and the outbox still writes.
    let store = MemoryStore::default();
    store.set(&key, "{\"jobs\": [ this is not json");
    let outbox = Outbox::open(store.clone(), AGENT);
    assert_eq!(outbox.take_notices(), [StorageNotice::SetAside]);
    assert!(outbox.take_notices().is_empty(), "reported once");
    let aside = store.get(&envelope::set_aside_key(&key));
    assert_eq!(
        envelope::open::<String>(aside.as_deref(), envelope::wall_clock_ms()),
        envelope::Opened::State("{\"jobs\": [ this is not json".to_owned()),
        "kept, not dropped (dated)"
    );
    outbox.enqueue("call-1.placed", placed("call-1", ann));
    block_on(outbox.run(&zd, 0));
    assert_eq!(fake.tickets().len(), 1, "the outbox works beside it");
    drop(outbox);
    assert!(Outbox::open(store.clone(), AGENT).take_notices().is_empty());

    // Version 1 (the bare state, before the envelope): read as is, then sealed.
    let store = MemoryStore::default();
    let outbox = Outbox::open(store.clone(), AGENT);
    outbox.enqueue("call-2.placed", placed("call-2", ann));
    drop(outbox);
    let sealed: serde_json::Value = serde_json::from_str(&store.get(&key).unwrap()).unwrap();
    assert_eq!(sealed["v"], envelope::VERSION);
    store.set(&key, &sealed["state"].to_string());
    let outbox = Outbox::open(store.clone(), AGENT);
    assert_eq!(outbox.jobs().len(), 1, "the old format's job is kept");
    assert!(outbox.take_notices().is_empty());
    drop(outbox);

    // Older than three days: removed and reported, not replayed.
    let mut old = sealed.clone();
    old["saved_ms"] = serde_json::json!(envelope::wall_clock_ms() - envelope::MAX_AGE_MS - 1);
    store.set(&key, &old.to_string());
    let outbox = Outbox::open(store.clone(), AGENT);
    assert!(outbox.jobs().is_empty());
    assert_eq!(outbox.take_notices(), [StorageNotice::Expired(1)]);
    assert_eq!(store.get(&key), None);

    // Any bytes at all: no panic.
    for text in [
        "",
        "null",
        "[]",
        "{\"v\":2}",
        "{\"v\":2,\"saved_ms\":0,\"state\":7}",
        "\u{0}",
    ] {
        let store = MemoryStore::default();
        store.set(&key, text);
        let outbox = Outbox::open(store, AGENT);
        assert!(outbox.jobs().is_empty(), "{text:?}");
    }
}

// What was set aside goes when the writes it held would have: older than three days, it is
// removed the next time an outbox opens in the browser (any agent's); what an earlier version
// set aside undated is dated then, so it goes three days later.
#[test]
fn set_aside_data_is_removed_once_older_than_the_writes_it_held() {
    use agent_adapter::services::envelope;
    let store = MemoryStore::default();
    let now = envelope::wall_clock_ms();
    let old = envelope::set_aside_key("agent-adapter.outbox.7");
    let recent = envelope::set_aside_key("agent-adapter.outbox.8.tab");
    let undated = envelope::set_aside_key("agent-adapter.outbox.9");
    store.set(
        &old,
        &envelope::seal_set_aside("{ old", now - envelope::MAX_AGE_MS - 60_000),
    );
    store.set(&recent, &envelope::seal_set_aside("{ recent", now - 60_000));
    store.set(&undated, "{ undated");
    store.set("other.app.key", "{ not ours");
    drop(Outbox::open(store.clone(), AGENT));
    assert_eq!(store.get(&old), None, "older than three days: removed");
    let opened = |key: &str| envelope::open::<String>(store.get(key).as_deref(), now + 1_000);
    assert_eq!(
        opened(&recent),
        envelope::Opened::State("{ recent".to_owned())
    );
    assert_eq!(
        opened(&undated),
        envelope::Opened::State("{ undated".to_owned())
    );
    assert_eq!(
        envelope::open::<String>(
            store.get(&undated).as_deref(),
            now + envelope::MAX_AGE_MS + 60_000
        ),
        envelope::Opened::Expired("{ undated".to_owned()),
        "dated now: it goes in three days"
    );
    assert_eq!(store.get("other.app.key").as_deref(), Some("{ not ours"));
}

// "Trust and failure": Zendesk refusing access (401/403: the agent's Zendesk session ended) ends
// no job. The job waits, keeps its place, is reported once, and is written once access is back.
#[test]
fn zendesk_refusing_access_pauses_the_write_and_loses_nothing() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    outbox.enqueue("call-1.placed", placed("call-1", ann));
    fake.fail_next([Fault::Unauthorized]);
    let report = block_on(outbox.run(&zd, 0));
    assert!(report.failed.is_empty(), "not dropped: {:?}", report.failed);
    assert_eq!(report.paused.len(), 1, "the agent is told");
    assert_eq!(outbox.jobs().len(), 1, "the job is kept");
    assert!(
        report.wake_at_ms.unwrap() >= 30_000,
        "tried again after a pause"
    );
    fake.fail_next([Fault::Unauthorized]);
    let report = block_on(outbox.run(&zd, 40_000));
    assert!(report.paused.is_empty(), "told once, not at every retry");
    assert!(!report.access_back, "still waiting");
    let report = block_on(outbox.run(&zd, 200_000));
    assert_eq!(report.completed, ["call-1.placed"]);
    assert!(report.access_back, "the word that the updates wait is over");
    assert_eq!(fake.tickets().len(), 1, "written once access is back");
    // A job never refused says nothing of access.
    outbox.enqueue("call-2.placed", placed("call-2", ann));
    assert!(!block_on(outbox.run(&zd, 300_000)).access_back);
}

// A ticket moved to a group the agent may not edit: Zendesk refuses its updates with 403. That
// job, and the later ones of its call or ticket, wait aside, tried again after a pause; the jobs
// of other calls go on (they waited behind it, for up to the outbox's three days). Once access
// is back, the held jobs are written in their order. A 401 (the session ended) still holds all.
#[test]
fn a_ticket_refused_with_403_holds_only_the_jobs_that_depend_on_it() {
    let (fake, ann, moved, outbox) = ann_with_ticket("open");
    let zd = Zendesk::new(&fake);
    let bo = fake.add_user("Bo", "+15550109999");
    fake.state.borrow_mut().forbidden.push(moved);
    let on_moved = |call: &str| placed_on(call, ann, TicketPlan::Existing { id: moved });
    outbox.enqueue("call-1.placed", on_moved("call-1"));
    outbox.enqueue("call-1.ended", ended("call-1", moved));
    outbox.enqueue("call-2.placed", placed("call-2", bo));
    outbox.enqueue("call-3.placed", on_moved("call-3"));
    outbox.enqueue("call-4.placed", placed("call-4", ann));
    let report = block_on(outbox.run(&zd, 0));
    assert_eq!(
        report.completed,
        ["call-2.placed", "call-4.placed"],
        "the other calls are written: {report:?}"
    );
    assert_eq!(report.paused.len(), 1, "the agent is told once: {report:?}");
    assert_eq!(report.paused[0].1, ZendeskError::Forbidden);
    assert!(
        report.failed.is_empty(),
        "nothing dropped: {:?}",
        report.failed
    );
    assert!(
        report.wake_at_ms.unwrap() >= 30_000,
        "tried again after a pause"
    );
    let held: Vec<String> = outbox.jobs().iter().map(|j| j.key.clone()).collect();
    assert_eq!(held, ["call-1.placed", "call-1.ended", "call-3.placed"]);
    let puts = |fake: &FakeZendesk| {
        let path = format!("PUT /api/v2/tickets/{moved}.json");
        fake.state
            .borrow()
            .log
            .iter()
            .filter(|l| **l == path)
            .count()
    };
    assert_eq!(
        puts(&fake),
        1,
        "one refused update: the jobs held behind it are not sent"
    );
    // A 429 on another job holds every job till its Retry-After, the one set aside included.
    outbox.enqueue("call-8.placed", placed("call-8", bo));
    fake.fail_next([Fault::RateLimited(60)]);
    let report = block_on(outbox.run(&zd, 1_000));
    assert!(report.completed.is_empty(), "{report:?}");
    let report = block_on(outbox.run(&zd, 40_000));
    assert!(report.completed.is_empty(), "{report:?}");
    assert_eq!(report.wake_at_ms, Some(61_000), "the account's pause");
    assert_eq!(puts(&fake), 1, "nothing sent during the pause");
    let report = block_on(outbox.run(&zd, 61_000));
    assert_eq!(report.completed, ["call-8.placed"], "{report:?}");
    assert_eq!(
        puts(&fake),
        2,
        "the job set aside tried again after the pause"
    );
    assert!(report.paused.is_empty(), "told once");
    // Still refused: tried again once, not told again; a job queued now for another call goes.
    outbox.enqueue("call-5.placed", placed("call-5", bo));
    let report = block_on(outbox.run(&zd, 200_000));
    assert_eq!(report.completed, ["call-5.placed"], "{report:?}");
    assert!(report.paused.is_empty(), "told once");
    assert_eq!(puts(&fake), 3);
    // Access back: the held jobs are written in their order.
    fake.state.borrow_mut().forbidden.clear();
    let report = block_on(outbox.run(&zd, 900_000));
    assert_eq!(
        report.completed,
        ["call-1.placed", "call-1.ended", "call-3.placed"],
        "{report:?}"
    );
    let comments = fake
        .tickets()
        .into_iter()
        .find(|t| t.id == moved)
        .unwrap()
        .comments;
    let order: Vec<usize> = ["call-1", "Call finished", "call-3"]
        .iter()
        .map(|what| {
            comments
                .iter()
                .position(|c| c.contains(what))
                .unwrap_or(usize::MAX)
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "in order: {comments:?}"
    );
    // A 401 still holds every job: nothing after it goes.
    outbox.enqueue("call-6.placed", placed("call-6", ann));
    outbox.enqueue("call-7.placed", placed("call-7", bo));
    fake.fail_next([Fault::Unauthorized]);
    let report = block_on(outbox.run(&zd, 1_000_000));
    assert!(report.completed.is_empty(), "{report:?}");
    assert_eq!(outbox.jobs().len(), 2);
}

// Three tickets refused (403), two of them given back. The first of those to be tried meets a
// 429 on the way, then is written: the other refused jobs are tried at once (before, only a
// write right after the refusal released them; after a 429 they waited out the shared pause).
// The word that updates wait for access is over only once no refused job waits (before, it went
// with the first job written, over a ticket still refused).
#[test]
fn access_given_back_releases_the_refused_jobs_and_is_said_when_none_waits() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let (x, y, z) = (
        fake.add_ticket(ann, "open"),
        fake.add_ticket(ann, "open"),
        fake.add_ticket(ann, "open"),
    );
    fake.state.borrow_mut().forbidden = vec![x, y, z];
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    for (call, t) in [("call-1", x), ("call-2", y), ("call-3", z)] {
        outbox.enqueue(
            &format!("{call}.placed"),
            placed_on(call, ann, TicketPlan::Existing { id: t }),
        );
    }
    assert_eq!(block_on(outbox.run(&zd, 0)).paused.len(), 3);
    // The first probe (x's, the first queued) is refused again; y and z are given back.
    let report = block_on(outbox.run(&zd, 30_000));
    assert!(report.completed.is_empty(), "{report:?}");
    fake.state.borrow_mut().forbidden = vec![x];
    fake.fail_next([Fault::RateLimited(1)]);
    let mut done: Vec<(i64, String)> = Vec::new();
    let mut now = 30_000;
    while now < 200_000 && done.len() < 2 {
        now += 1_000;
        let report = block_on(outbox.run(&zd, now));
        assert!(!report.access_back, "x still waits: {report:?}");
        done.extend(report.completed.into_iter().map(|k| (now, k)));
    }
    let keys: Vec<&str> = done.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(keys, ["call-2.placed", "call-3.placed"], "{done:?}");
    assert_eq!(
        done[0].0, done[1].0,
        "z's write follows y's in the same run: {done:?}"
    );
    fake.state.borrow_mut().forbidden.clear();
    let mut back = false;
    while now < 1_000_000 && !outbox.jobs().is_empty() {
        now += 10_000;
        back |= block_on(outbox.run(&zd, now)).access_back;
    }
    assert!(outbox.jobs().is_empty());
    assert!(back, "said once the last refused job is written");
}

// A call's first job refused for good (422: Zendesk refuses the ticket's data): the call's end,
// queued on the ticket it was to create, ends unsent with it and says nothing more. Before, it
// failed in turn as "an unexpected answer": a second banner and notification over the one that
// said why. The next call is written as usual.
#[test]
fn a_calls_end_after_its_first_job_failed_ends_quietly() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    outbox.enqueue("call-1.placed", placed("call-1", ann));
    outbox.enqueue_on_ticket_of(
        "call-1.placed",
        "call-1.ended",
        ended("call-1", TICKET_OF_EARLIER_JOB),
    );
    outbox.enqueue("call-2.placed", placed("call-2", ann));
    fake.fail_next([Fault::Invalid]);
    let report = block_on(outbox.run(&zd, 0));
    let failed: Vec<&str> = report.failed.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        failed,
        ["call-1.placed"],
        "said once, for the reason: {report:?}"
    );
    assert_eq!(report.dropped, ["call-1.ended"]);
    assert_eq!(report.completed, ["call-2.placed"]);
    assert!(outbox.jobs().is_empty());
    assert_eq!(fake.tickets().len(), 1, "call-2's ticket only");
}

// A permission withdrawn (the agent's role may no longer edit the team's tickets): Zendesk
// refuses every call's writes with 403. Each refused job used to be tried again on its own
// pause, so an agent's twelve calls meant twelve requests every five minutes all day, and a
// team's adapters together a storm against the account's rate limit. Now the refused jobs
// share one pause: one of them is tried at a time, in turn, and once Zendesk takes one, the
// rest follow at once. Calls on tickets the agent may still edit are written meanwhile.
#[test]
fn jobs_refused_with_403_are_tried_again_one_at_a_time_in_turn() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let tickets: Vec<u64> = (0..12).map(|_| fake.add_ticket(ann, "open")).collect();
    fake.state.borrow_mut().forbidden = tickets.clone();
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    for (i, t) in tickets.iter().enumerate() {
        outbox.enqueue(
            &format!("call-{i}.placed"),
            placed_on(&format!("call-{i}"), ann, TicketPlan::Existing { id: *t }),
        );
    }
    let refused_puts = |fake: &FakeZendesk| -> Vec<u64> {
        let log = fake.state.borrow().log.clone();
        log.iter()
            .filter_map(|l| l.strip_prefix("PUT /api/v2/tickets/"))
            .filter_map(|l| l.strip_suffix(".json")?.parse().ok())
            .filter(|id| tickets.contains(id))
            .collect()
    };
    let report = block_on(outbox.run(&zd, 0));
    assert_eq!(
        refused_puts(&fake).len(),
        12,
        "each call tried once: {report:?}"
    );
    assert_eq!(report.paused.len(), 12, "each call's wait said");
    // Twelve calls refused, not one ticket: the agent is told so (likely their role).
    assert_eq!(report.refused_calls, 12, "{report:?}");
    // An hour, with the adapter waking every 10 s (the timer asks for less): at most one
    // request per pause, the pause growing from 30 s to five minutes.
    let mut now = 0;
    while now < 3_600_000 {
        now += 10_000;
        let report = block_on(outbox.run(&zd, now));
        assert!(
            report.completed.is_empty() && report.failed.is_empty(),
            "{report:?}"
        );
    }
    let tried = refused_puts(&fake);
    let again = tried.len() - 12;
    println!("12 calls refused with 403 for an hour: {again} requests tried again");
    assert!(
        (10..=25).contains(&again),
        "one request per shared pause, not one per call (about 200 before): {again}"
    );
    // In turn: every call's write was tried again, none left out.
    for t in &tickets {
        assert!(
            tried[12..].iter().filter(|id| *id == t).count() >= 1,
            "ticket {t} tried again: {tried:?}"
        );
    }
    // A call on a ticket the agent may still edit is written meanwhile, at once.
    let open = fake.add_ticket(ann, "open");
    outbox.enqueue(
        "call-99.placed",
        placed_on("call-99", ann, TicketPlan::Existing { id: open }),
    );
    let report = block_on(outbox.run(&zd, now + 1));
    assert_eq!(report.completed, ["call-99.placed"], "{report:?}");
    assert_eq!(
        report.refused_calls, 12,
        "a call written is not a refused one"
    );
    // Access given back: the next try is taken, and the eleven others follow in the same run.
    fake.state.borrow_mut().forbidden.clear();
    let mut done = Vec::new();
    for _ in 0..40 {
        now += 10_000;
        done.extend(block_on(outbox.run(&zd, now)).completed);
        if done.len() == 12 {
            break;
        }
    }
    assert_eq!(done.len(), 12, "all written: {done:?}");
    assert!(outbox.jobs().is_empty());
    assert_eq!(block_on(outbox.run(&zd, now)).refused_calls, 0);
    assert!(
        now <= 3_600_000 + 10_000 + 300_000 + 10_000,
        "within one pause: {now}"
    );
}

// A call's first job decided again (its ticket solved meanwhile) whose new ticket is not made
// yet (the network failed): its later jobs still follow the job, not the solved ticket, until
// the new ticket exists.
#[test]
fn a_job_decided_again_keeps_its_later_jobs_following_it_until_written() {
    let (fake, ann, picked, outbox) = ann_with_ticket("open");
    let zd = Zendesk::new(&fake);
    place_guarded(&outbox, &zd, "call-9", ann, picked);
    fake.change_elsewhere(picked, "solved");
    fake.fail_next([Fault::Pass, Fault::Pass, Fault::Network]);
    let report = block_on(outbox.run(&zd, 0));
    assert_eq!(report.redecided, [("call-9.placed".to_owned(), picked)]);
    assert!(report.completed.is_empty(), "{report:?}");
    assert!(
        outbox.is_guarded("call-9.placed"),
        "the call's ticket is still to come"
    );
    let report = block_on(outbox.run(&zd, 600_000));
    assert_eq!(report.completed, ["call-9.placed"], "{report:?}");
    assert!(!outbox.is_guarded("call-9.placed"));
    let (_, made) = report.created_tickets[0];
    assert_ne!(made, picked);
    assert_eq!(outbox.created_by("call-9.placed"), Some(made));
}

// A refusal of access after another failure (the network first, then the Zendesk session
// ended) is still told: the agent hears why the updates wait whatever failed before it. Once
// a write lands, a later refusal is news again.
#[test]
fn zendesk_refusing_access_after_a_network_failure_is_told() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    // Two writes: the number's new contact, then its ticket.
    outbox.enqueue("call-1.placed", placed_for_new_contact("call-1"));
    fake.fail_next([Fault::Network]);
    let report = block_on(outbox.run(&zd, 0));
    assert!(
        report.paused.is_empty(),
        "a network failure is not a refusal"
    );
    fake.fail_next([Fault::Unauthorized]);
    let report = block_on(outbox.run(&zd, 60_000));
    assert_eq!(
        report.paused.len(),
        1,
        "told, though the job had failed before"
    );
    fake.fail_next([Fault::Unauthorized]);
    let report = block_on(outbox.run(&zd, 200_000));
    assert!(report.paused.is_empty(), "told once");
    // Access back: the contact is made (after the search for one cut short by the network);
    // the ticket is refused: told again.
    fake.fail_next([Fault::Pass, Fault::Pass, Fault::Unauthorized]);
    let report = block_on(outbox.run(&zd, 400_000));
    assert_eq!(fake.state.borrow().users.len(), 1, "the contact made");
    assert_eq!(
        report.paused.len(),
        1,
        "a new refusal after a write landed is told"
    );
    let report = block_on(outbox.run(&zd, 600_000));
    assert_eq!(report.completed, ["call-1.placed"]);
    assert_eq!(fake.tickets().len(), 1);
}

// UPD-15: what the agent did with a voicemail is kept under the voicemail's id, which is the id
// of the call that left it: it never makes that call look like one this adapter logged (the
// resume would log an end for it).
#[test]
fn a_voicemail_job_is_not_a_job_of_the_call_that_left_it() {
    let outbox = Outbox::open(MemoryStore::default(), AGENT);
    assert!(outbox.enqueue("77.vm-read", ended("77", 5)));
    assert!(!outbox.knows_call(77));
    assert!(outbox.enqueue("78.ended", ended("78", 5)));
    assert!(outbox.knows_call(78));
}

// A sign-out while a run is sending (a backlog after an outage). The outbox is closed: the run
// stops once the write under way has its answer, and that answer is stored; so is a job queued
// during the sign-out's wait. Past the wait the outbox is detached: a write still without its
// answer then changes nothing stored, and stays stored as in flight. The next sign-in writes the
// rest, each once. Before, the run went on through every job beside the copy handed on, and the
// next sign-in wrote them again.
#[test]
fn a_sign_out_during_a_run_stops_it_after_the_write_under_way() {
    use agent_adapter::http::{HttpRequest, HttpResponse};
    use agent_adapter::zendesk::Transport;
    /// Zendesk, with the agent signing out while the first write is answered: the outbox is
    /// closed then (`detach`: the wait is over, and it is detached).
    struct SignOutAtFirstWrite<'a> {
        fake: &'a FakeZendesk,
        outbox: &'a Outbox<MemoryStore>,
        detach: bool,
    }
    impl Transport for SignOutAtFirstWrite<'_> {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
            let write = request.method.is_write();
            let answer = self.fake.send(request).await;
            match (write, self.detach) {
                (true, false) => self.outbox.close(),
                (true, true) => self.outbox.detach(),
                _ => {}
            }
            answer
        }
    }
    let fake = FakeZendesk::new();
    let ann = fake.add_user("Ann", NUMBER);
    let store = MemoryStore::default();
    let outbox = Outbox::open(store.clone(), AGENT);
    for call in ["call-1", "call-2", "call-3"] {
        assert!(outbox.enqueue(&format!("{call}.placed"), placed(call, ann)));
    }
    let zd = Zendesk::new(SignOutAtFirstWrite {
        fake: &fake,
        outbox: &outbox,
        detach: false,
    });
    block_on(outbox.run(&zd, 0));
    assert_eq!(fake.tickets().len(), 1, "the write under way, and no other");
    assert_eq!(fake.counts().1, 1);
    // Closed: a later run (the run's wake-up) sends nothing; a job queued meanwhile is stored.
    block_on(outbox.run(&zd, 60_000));
    assert_eq!(fake.counts().1, 1, "nothing sent once closed");
    assert!(outbox.enqueue("call-4.placed", placed("call-4", ann)));
    outbox.detach();
    drop(zd);
    drop(outbox);
    let stored = Outbox::open(store.clone(), AGENT);
    let jobs = stored.jobs();
    let keys: Vec<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "call-1.placed",
            "call-2.placed",
            "call-3.placed",
            "call-4.placed"
        ]
    );
    assert!(
        jobs[0].done == 1 && !jobs[0].in_flight,
        "call-1's ticket stored as made: {:?}",
        jobs[0]
    );
    drop(stored);

    // The next sign-in, signed out again before its first write is answered and past the wait.
    let next = Outbox::open(store.clone(), AGENT);
    let zd = Zendesk::new(SignOutAtFirstWrite {
        fake: &fake,
        outbox: &next,
        detach: true,
    });
    block_on(next.run(&zd, 120_000));
    assert_eq!(fake.tickets().len(), 2, "call-2's ticket");
    drop(zd);
    drop(next);
    let last = Outbox::open(store.clone(), AGENT);
    let jobs = last.jobs();
    assert_eq!(jobs.len(), 3, "nothing stored after the detach");
    assert!(jobs[0].in_flight, "call-2's write stored as in flight");
    let report = block_on(last.run(&Zendesk::new(&fake), 180_000));
    assert_eq!(report.completed.len(), 3, "{report:?}");
    let tickets = fake.tickets();
    assert_eq!(tickets.len(), 4, "each call's ticket once: {tickets:?}");
    assert!(tickets.iter().all(|t| t.comments.len() == 1), "{tickets:?}");
}

// A write Zendesk refuses for days (a 403 that never lifts: a ticket moved to a group the agent
// may not edit) was tried again every while for good, and its outbox, saved at each try, never
// got old: the customer's data it carries stayed in the browser with it. A job queued more than
// three days ago is now dropped, unsent, and said: at a run, and when stored writes are read
// (another tab's, a sign-in's). Jobs queued since are kept.
#[test]
fn a_job_refused_for_days_is_dropped_not_kept_for_ever() {
    let fake = FakeZendesk::new();
    let zd = Zendesk::new(&fake);
    let ann = fake.add_user("Ann", NUMBER);
    let moved = fake.add_ticket(ann, "open");
    fake.state.borrow_mut().forbidden.push(moved);
    let store = MemoryStore::default();
    let outbox = Outbox::open(store.clone(), AGENT);
    outbox.enqueue(
        "call-1.placed",
        placed_on("call-1", ann, TicketPlan::Existing { id: moved }),
    );
    let report = block_on(outbox.run(&zd, 0));
    assert_eq!(report.paused.len(), 1, "refused, kept: {report:?}");
    assert!(report.expired.is_empty());
    let queued = outbox.jobs()[0].queued_ms;
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(
        (wall - queued).abs() < 60_000,
        "dated when queued: {queued}"
    );
    // Three days less a minute on: still kept.
    let day = 24 * 60 * 60 * 1_000;
    assert!(outbox.expire_jobs(queued + 3 * day - 60_000).is_empty());
    assert_eq!(outbox.jobs().len(), 1);
    // The call's end, waiting behind it; another call's job, which does not.
    outbox.enqueue("call-1.ended", ended("call-1", moved));
    outbox.enqueue("call-5.placed", placed("call-5", ann));
    // Stored writes read back, the first job queued four days ago: dropped with its call's
    // end, which could only follow it (left, it would fail at once), and said once.
    let text = store.get(&format!("agent-adapter.outbox.{AGENT}")).unwrap();
    let aged = text.replacen(
        &format!("\"queued_ms\":{queued}"),
        &format!("\"queued_ms\":{}", queued - 4 * day),
        1,
    );
    assert_ne!(aged, text, "the stored job carries its date: {text}");
    assert!(
        text.contains("Call ID: call-1"),
        "the call's comment was stored: {text}"
    );
    store.set(&format!("agent-adapter.outbox.{AGENT}"), &aged);
    let reopened = Outbox::open(store.clone(), AGENT);
    assert_eq!(
        reopened.take_notices(),
        [agent_adapter::services::outbox::StorageNotice::Expired(2)]
    );
    let left: Vec<String> = reopened.jobs().iter().map(|j| j.key.clone()).collect();
    assert_eq!(left, ["call-5.placed"]);
    assert!(
        !stored_text(&store).contains("Call ID: call-1"),
        "nothing of the call's kept"
    );
    assert!(
        reopened.knows("call-1.placed"),
        "remembered: not queued again"
    );
    assert!(!reopened.enqueue(
        "call-1.placed",
        placed_on("call-1", ann, TicketPlan::Existing { id: moved })
    ));
    // At a run, by the wall clock: the job queued since goes on; an old one is dropped.
    outbox.enqueue("call-2.placed", placed("call-2", ann));
    let gone = outbox.expire_jobs(queued + 4 * day);
    assert_eq!(
        gone,
        [
            "call-1.placed",
            "call-1.ended",
            "call-5.placed",
            "call-2.placed"
        ],
        "all older than three days then"
    );
    let fresh = Outbox::open(MemoryStore::default(), AGENT);
    fresh.enqueue("call-3.placed", placed("call-3", ann));
    let report = block_on(fresh.run(&zd, 0));
    assert!(report.expired.is_empty(), "{report:?}");
    assert_eq!(report.completed, ["call-3.placed"]);
}
