//! The agent's history and callbacks (`domain::history`): what "Call back", "Hang up and call
//! back" and "Callback" place (UPD-5, UPD-6, OQ-28, OQ-29), the voicemail list (UPD-15) and the
//! pages of Recent.

use domain::call::{ActiveCall, CallEvent, CallPhase, Dialout, JobKey};
use domain::comments::VoicemailAction;
use domain::crm::{CrmState, Ticket, TicketStatus};
use domain::dial::{
    ContactPlan, DialContext, DialPlan, EntryPoint, OutboundNumber, OutboundOptions, TicketPlan,
};
use domain::history::*;
use domain::rules::{decide, Action, Event, RuleContext, Session, TicketRef};

fn ctx() -> DialContext {
    DialContext {
        options: OutboundOptions {
            languages: vec!["en-US".into(), "it-IT".into()],
            numbers: vec![OutboundNumber {
                number: "+15550001".into(),
                label: "Main".into(),
                queue_id: 1,
                lang: "en-US".into(),
                default: true,
            }],
        },
        agent_language: "en-US".into(),
        region: "US".into(),
        ..DialContext::default()
    }
}

fn placed(contact: ContactPlan, ticket: TicketPlan) -> ActiveCall {
    let mut call = ActiveCall::placed(DialPlan {
        to: "+14155550100".into(),
        extension: Some("12".into()),
        outbound_number: "+15550002".into(),
        language: "it-IT".into(),
        contact,
        ticket,
        entered_number: true,
        comments: vec!["dialled".into()],
    });
    call.numbered(7);
    call
}

// UPD-5, OQ-29: the same number, from the same line, on the call's ticket, with nothing the
// first call's dial screen added (extension, dialled-number comment).
#[test]
fn hang_up_and_call_back_goes_on_the_same_open_ticket() {
    let mut call = placed(ContactPlan::Existing { id: 5 }, TicketPlan::New);
    call.phase = CallPhase::Connected;
    call.ticket_id = Some(40);
    let mut crm = CrmState::default();
    crm.tickets.push(Ticket::new(40, TicketStatus::Open, 5, 0));
    let plan = callback_plan(&call, &crm, &ctx()).expect("one action");
    assert_eq!(plan.to, "+14155550100");
    assert_eq!(plan.outbound_number, "+15550002");
    assert_eq!(plan.language, "it-IT");
    assert_eq!(plan.contact, ContactPlan::Existing { id: 5 });
    assert_eq!(plan.ticket, TicketPlan::Existing { id: 40 });
    assert_eq!(plan.extension, None);
    assert!(plan.comments.is_empty() && !plan.entered_number);
}

// OQ-29: a ticket solved meanwhile is not appended to; the dial screen resolves instead. A
// ticket not known yet cannot be called back in one action either.
#[test]
fn callback_needs_a_known_open_ticket() {
    let mut call = placed(ContactPlan::Existing { id: 5 }, TicketPlan::New);
    call.phase = CallPhase::Ended;
    assert_eq!(callback_plan(&call, &CrmState::default(), &ctx()), None);
    call.ticket_id = Some(40);
    let mut crm = CrmState::default();
    crm.tickets
        .push(Ticket::new(40, TicketStatus::Solved, 5, 0));
    assert_eq!(callback_plan(&call, &crm, &ctx()), None);
    // Not in the cache: the ticket the call was logged on is used.
    assert!(callback_plan(&call, &CrmState::default(), &ctx()).is_some());
}

// OUT-10: a call on no ticket is called back on no ticket, while "Do not create a ticket" is
// offered (SET-7); once the admin has withdrawn it, every outbound call has a ticket (SET-17):
// the dial screen decides, not a callback that stores nothing.
#[test]
fn callback_of_a_call_without_ticket_stores_nothing_again() {
    let call = placed(ContactPlan::None, TicketPlan::None);
    let mut offered = ctx();
    offered.settings.operation.allow_do_not_create_ticket = true;
    let plan = callback_plan(&call, &CrmState::default(), &offered).unwrap();
    assert_eq!(plan.ticket, TicketPlan::None);
    assert_eq!(callback_plan(&call, &CrmState::default(), &ctx()), None);
}

// SET-11, OQ-7: with "Do not append" on, every call gets a new ticket, callbacks too: "Hang up
// and call back", "Callback" and a voicemail's "Call back" place their call on a new ticket of
// the same contact, or leave it to the dial screen when there is no contact. Before, they
// appended to the ticket of the call or voicemail whatever the setting.
#[test]
fn callbacks_under_do_not_append_get_a_new_ticket() {
    let mut separate = ctx();
    separate.settings.operation.do_not_append = true;
    let mut crm = CrmState::default();
    crm.tickets.push(Ticket::new(40, TicketStatus::Open, 5, 0));
    let mut call = placed(ContactPlan::Existing { id: 5 }, TicketPlan::New);
    call.phase = CallPhase::Connected;
    call.ticket_id = Some(40);
    let plan = callback_plan(&call, &crm, &separate).expect("one action");
    assert_eq!(
        (plan.contact, plan.ticket),
        (ContactPlan::Existing { id: 5 }, TicketPlan::New)
    );
    let mut nobody = placed(ContactPlan::None, TicketPlan::Existing { id: 40 });
    nobody.ticket_id = Some(40);
    assert_eq!(callback_plan(&nobody, &crm, &separate), None);
    let plan = voicemail_plan(&vm(1, "2026-12-02T10:00:00Z"), &separate).unwrap();
    assert_eq!(
        (plan.contact, plan.ticket),
        (ContactPlan::Existing { id: 5 }, TicketPlan::New)
    );
    let unknown = Voicemail {
        contact_id: None,
        ..vm(1, "")
    };
    assert_eq!(voicemail_plan(&unknown, &separate), None);
}

// An inbound call is called back from the dial screen's default line, in the call's language.
#[test]
fn inbound_callback_uses_the_default_line_and_the_call_s_language() {
    let mut call = ActiveCall::offered(9, "+14155550100", "Sales".into(), "it-IT".into());
    call.phase = CallPhase::Ended;
    call.ticket_id = Some(41);
    let plan = callback_plan(&call, &CrmState::default(), &ctx()).unwrap();
    assert_eq!(plan.outbound_number, "+15550001");
    assert_eq!(plan.language, "it-IT");
    assert_eq!(plan.ticket, TicketPlan::Existing { id: 41 });
}

// A callback whose contact is not known is still appended to its ticket (the ticket's requester
// is the contact): the rules write the append, not nothing.
#[test]
fn a_callback_without_contact_appends_to_its_ticket() {
    let mut call = ActiveCall::offered(9, "+14155550100", "Sales".into(), "en-US".into());
    call.phase = CallPhase::Ended;
    call.ticket_id = Some(41);
    let plan = callback_plan(&call, &CrmState::default(), &ctx()).unwrap();
    assert_eq!(plan.contact, ContactPlan::None);
    let event = Event::OutboundPlaced {
        session: Session {
            id: "12".into(),
            ..Session::default()
        },
        plan,
        agent_id: 3,
    };
    let actions = decide(
        &event,
        &CrmState::default(),
        &RuleContext::default(),
        &domain::labels::Catalogue::english(),
    );
    assert!(
        actions.iter().any(|a| matches!(
            a,
            Action::AddComment {
                ticket: TicketRef::Existing(41),
                ..
            }
        )),
        "{actions:?}"
    );
    assert!(!actions
        .iter()
        .any(|a| matches!(a, Action::CreateUser { .. } | Action::CreateTicket { .. })));
}

// UPD-6: Callback after less than 10 s of talk, an outbound call never answered, or a customer's
// call the agent missed; not after a real conversation, nor while the call is on.
#[test]
fn callback_is_offered_after_a_short_call() {
    let mut call = placed(ContactPlan::None, TicketPlan::New);
    call.phase = CallPhase::Ended;
    call.connected_at_ms = Some(1_000);
    call.ended_at_ms = Some(6_000);
    assert!(ended_offers_callback(&call));
    call.ended_at_ms = Some(11_000);
    assert!(!ended_offers_callback(&call));
    call.connected_at_ms = None;
    assert!(ended_offers_callback(&call));
    call.phase = CallPhase::Connected;
    assert!(!ended_offers_callback(&call));
    // A customer's call the agent missed (it ended while it rang): no talk at all, so Callback;
    // one found ended after a reload is not known to be missed (it may have been talked on).
    let mut missed = ActiveCall::offered(9, "+14155550100", "Sales".into(), "en".into());
    missed.on_event(CallEvent::Ended, 1_000);
    assert!(ended_offers_callback(&missed));
    let mut found = ActiveCall::offered(9, "+14155550100", "Sales".into(), "en".into());
    found.end_missed(1_000);
    assert!(!ended_offers_callback(&found));
    // A short call transferred to a colleague: the customer talks to them now, no Callback.
    let mut sent = placed(ContactPlan::None, TicketPlan::New);
    sent.on_event(CallEvent::Connected, 1_000);
    sent.hand_on(4_000);
    assert_eq!(sent.phase, CallPhase::Ended);
    assert!(!ended_offers_callback(&sent));
}

fn recent(contact: Option<u64>, ticket: Option<u64>) -> RecentCall {
    RecentCall {
        id: 3,
        inbound: false,
        number: "+14155550100".into(),
        contact_id: contact,
        ticket_id: ticket,
        started_s: 0,
        talked_s: 5,
        outcome: Some(Outcome::TooShort),
    }
}

// Recent's Call back opens the dial screen with what the call had, preselected.
#[test]
fn recent_call_back_preselects_number_contact_and_ticket() {
    assert_eq!(
        recent(Some(5), Some(40)).call_back(false),
        Dialout::Open(EntryPoint::Ticket {
            number: "+14155550100".into(),
            user_id: 5,
            ticket_id: 40
        })
    );
    assert_eq!(
        recent(Some(5), None).call_back(false),
        Dialout::Open(EntryPoint::Contact {
            number: "+14155550100".into(),
            user_id: 5
        })
    );
    assert_eq!(
        recent(None, Some(40)).call_back(false),
        Dialout::Typed(Some("+14155550100".into()))
    );
    assert!(recent(None, None).offers_callback());
    // Under team Ticket ID entry a contact's screen cannot call (TEAM-17): a call back with no
    // ticket is the keypad with the number, where the Ticket ID is asked (TEAM-4); one with a
    // ticket opens on it, as its Call button would (TEAM-15).
    assert_eq!(
        recent(Some(5), None).call_back(true),
        Dialout::Typed(Some("+14155550100".into()))
    );
    assert_eq!(
        recent(Some(5), Some(40)).call_back(true),
        Dialout::Open(EntryPoint::Ticket {
            number: "+14155550100".into(),
            user_id: 5,
            ticket_id: 40
        })
    );
}

// A page boundary that moved (new calls came in) lists no call twice; the names to read are
// those the cache lacks, each once, and none of a contact known to be gone.
#[test]
fn pages_and_names() {
    let mut listed = vec![recent(Some(5), None)];
    let mut next = recent(Some(6), None);
    next.id = 4;
    append_page(&mut listed, vec![recent(Some(5), None), next.clone(), next]);
    assert_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), [3, 4]);
    let mut crm = CrmState::default();
    crm.contacts.push(domain::crm::Contact {
        id: 5,
        ..Default::default()
    });
    assert_eq!(
        names_to_fetch(listed.iter().map(|c| c.contact_id), &crm),
        [6]
    );
    // A contact Zendesk no longer has is not asked for again at each opening.
    crm.gone.push(6);
    assert!(names_to_fetch(listed.iter().map(|c| c.contact_id), &crm).is_empty());
}

fn vm(id: u64, at: &str) -> Voicemail {
    Voicemail {
        id,
        from: "+14155550100".into(),
        contact_id: Some(5),
        ticket_id: Some(70 + id),
        recording_url: String::new(),
        duration_s: 6,
        created_at: at.into(),
        menu_path: String::new(),
        lang: "it-IT".into(),
        transcript: None,
        read: false,
        closed: false,
        called_back: false,
    }
}

// UPD-15: the list follows the platform's events; closed ones leave it; the unread count is of
// those nobody listened to. Each action has its own job key (written once).
#[test]
fn voicemail_list_and_unread_count() {
    let mut list = Vec::new();
    merge_voicemail(&mut list, vm(1, "2026-12-02T10:00:00Z"));
    merge_voicemail(&mut list, vm(2, "2026-12-02T11:00:00Z"));
    assert_eq!(list.iter().map(|v| v.id).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(unread(&list), 2);
    merge_voicemail(
        &mut list,
        Voicemail {
            read: true,
            ..vm(1, "2026-12-02T10:00:00Z")
        },
    );
    assert_eq!(unread(&list), 1);
    merge_voicemail(
        &mut list,
        Voicemail {
            closed: true,
            ..vm(2, "2026-12-02T11:00:00Z")
        },
    );
    assert_eq!(list.len(), 1);
    assert_eq!(unread(&list), 0);
    let keys: Vec<String> = [
        VoicemailAction::Read,
        VoicemailAction::Closed,
        VoicemailAction::CalledBack,
    ]
    .into_iter()
    .map(|a| JobKey::voicemail(9, a).to_string())
    .collect();
    assert_eq!(keys, ["9.vm-read", "9.vm-closed", "9.vm-called-back"]);
    for k in &keys {
        assert_eq!(
            JobKey::parse(k).map(|j| j.to_string()).as_deref(),
            Some(k.as_str())
        );
    }
}

// OQ-28: a voicemail is called back on its own ticket, from the default line, in its language.
#[test]
fn voicemail_call_back_goes_on_the_voicemail_ticket() {
    let plan = voicemail_plan(&vm(1, "2026-12-02T10:00:00Z"), &ctx()).unwrap();
    assert_eq!(plan.ticket, TicketPlan::Existing { id: 71 });
    assert_eq!(plan.contact, ContactPlan::Existing { id: 5 });
    assert_eq!(plan.outbound_number, "+15550001");
    assert_eq!(plan.language, "it-IT");
    assert_eq!(
        voicemail_plan(
            &Voicemail {
                ticket_id: None,
                ..vm(1, "")
            },
            &ctx()
        ),
        None
    );
}

// Recent says how a call ended in the agent's words: a customer's call nobody answered is
// missed, and one the caller hung up while it rang (the platform's "abandoned") is missed too,
// with why, as the call screen said "Missed call" (Recent said "Abandoned"); a call the agent
// placed that nobody answered had no answer (it said "Missed", or "Abandoned" when the customer
// declined). Only the customer's calls are marked as missed.
#[test]
fn recent_says_how_a_call_ended_from_the_agents_side() {
    use domain::labels::{Catalogue, Label};
    let call = |inbound, outcome| RecentCall {
        inbound,
        outcome,
        ..recent(None, None)
    };
    let cases = [
        (
            true,
            Some(Outcome::Missed),
            Some(Label::OutcomeMissed),
            true,
        ),
        (
            true,
            Some(Outcome::Abandoned),
            Some(Label::OutcomeAbandoned),
            true,
        ),
        (
            false,
            Some(Outcome::Missed),
            Some(Label::OutcomeNoAnswer),
            false,
        ),
        (
            false,
            Some(Outcome::Abandoned),
            Some(Label::OutcomeNoAnswer),
            false,
        ),
        (
            true,
            Some(Outcome::Answered),
            Some(Label::OutcomeAnswered),
            false,
        ),
        (
            false,
            Some(Outcome::Answered),
            Some(Label::OutcomeAnswered),
            false,
        ),
        (
            false,
            Some(Outcome::TooShort),
            Some(Label::OutcomeTooShort),
            false,
        ),
        (
            true,
            Some(Outcome::Voicemail),
            Some(Label::OutcomeVoicemail),
            false,
        ),
        (true, None, None, false),
    ];
    for (inbound, outcome, label, marked) in cases {
        let c = call(inbound, outcome);
        assert_eq!(c.outcome_label(), label, "{inbound} {outcome:?}");
        assert_eq!(c.missed_by_agent(), marked, "{inbound} {outcome:?}");
    }
    let en = Catalogue::english();
    assert_eq!(
        en.get(Label::OutcomeAbandoned),
        "Missed: the caller hung up"
    );
    assert!(en
        .get(Label::OutcomeAbandoned)
        .starts_with(en.get(Label::OutcomeMissed)));
    assert_eq!(en.get(Label::OutcomeNoAnswer), "No answer");
}
