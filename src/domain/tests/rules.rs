//! TICKET, UPD, CONTACT and AGENT rules: event + CRM state + settings -> ordered actions.

use domain::comments::VoicemailAction;
use domain::crm::*;
use domain::dial::{ContactPlan, DialPlan, TicketPlan};
use domain::fields::SessionField;
use domain::labels::Catalogue;
use domain::rules::*;
use domain::voice::{CallLine, VoiceComment};
use serde_json::json;

const NUM: &str = "+14155550100";

fn call(menu: &str) -> Session {
    Session {
        id: "C-1".into(),
        channel: Some(Channel::Call),
        platform: Some(SessionPlatform::Ivr),
        menu: menu.into(),
        language: "en".into(),
        customer_number: Some(NUM.into()),
        ..Default::default()
    }
}

fn contact(id: u64, created_at: i64) -> Contact {
    Contact {
        id,
        name: format!("C{id}"),
        phone: Some(NUM.into()),
        created_at,
        ..Default::default()
    }
}

fn platform_ticket(
    id: u64,
    status: TicketStatus,
    requester: u64,
    channel: Channel,
    menu: &str,
) -> Ticket {
    let mut t = Ticket::new(id, status, requester, id as i64);
    t.origin = Some(TicketOrigin {
        channel,
        menu: menu.into(),
    });
    t
}

fn ctx() -> RuleContext {
    RuleContext {
        region: "US".into(),
        ..Default::default()
    }
}

fn decide_en(e: &Event, crm: &CrmState, ctx: &RuleContext) -> Vec<Action> {
    decide(e, crm, ctx, &Catalogue::english())
}

fn created_ticket(actions: &[Action]) -> (&str, UserRef, Option<u64>, Option<u16>, &str) {
    actions
        .iter()
        .find_map(|a| match a {
            Action::CreateTicket {
                subject,
                requester,
                assignee_id,
                via_id,
                description,
                ..
            } => Some((
                subject.as_str(),
                *requester,
                *assignee_id,
                *via_id,
                description.as_str(),
            )),
            _ => None,
        })
        .expect("a ticket is created")
}

// CONTACT-1, CONTACT-8, TICKET-13, AGENT-5, AGENT-6, AGENT-2, PRE-3: a new IVR caller gets a contact
// named after the number and a ticket assigned to the agent, with the standard data, screen-popped.
#[test]
fn new_ivr_caller() {
    let a = decide_en(
        &Event::Assigned {
            session: call("Support"),
            agent_id: 7,
            chosen_contact: None,
        },
        &CrmState::default(),
        &ctx(),
    );
    assert_eq!(
        a[0],
        Action::CreateUser {
            name: format!("Caller {NUM}"),
            phone: Some(NUM.into()),
            email: None,
            external_id: None
        }
    );
    let (subject, requester, assignee, via, description) = created_ticket(&a);
    assert_eq!(
        (subject, requester, assignee, via),
        (
            &*format!("Call from {NUM}"),
            UserRef::Created(0),
            Some(7),
            Some(45)
        )
    );
    assert_eq!(
        description,
        "Call details\nCall ID: C-1\nLanguage: en\nMenu selection: Support"
    );
    assert_eq!(
        a[2],
        Action::ScreenPop {
            ticket: TicketRef::Created(1),
            agent_id: 7
        }
    );
    assert_eq!(a.len(), 3);
}

// UPD-1, OQ-11, OQ-37, UPD-2, SET-12: same customer + menu + channel + open set => append, Open;
// a different menu, channel or a solved ticket => new; "Do not append" => new.
#[test]
fn append_rule() {
    let crm = CrmState {
        contacts: vec![contact(1, 1)],
        tickets: vec![
            platform_ticket(10, TicketStatus::Solved, 1, Channel::Call, "Support"),
            platform_ticket(11, TicketStatus::Pending, 1, Channel::Call, "Support"),
            platform_ticket(12, TicketStatus::Open, 1, Channel::Chat, "Support"),
            platform_ticket(13, TicketStatus::Open, 1, Channel::Call, "Sales"),
        ],
        gone: Vec::new(),
    };
    let e = Event::Assigned {
        session: call("Support"),
        agent_id: 7,
        chosen_contact: None,
    };
    let a = decide_en(&e, &crm, &ctx());
    let t = TicketRef::Existing(11);
    assert_eq!(
        a[0],
        Action::SetStatus {
            ticket: t,
            status: TicketStatus::Open
        }
    );
    assert_eq!(
        a[1],
        Action::Assign {
            ticket: t,
            agent_id: 7
        }
    );
    assert!(matches!(&a[2], Action::AddComment { ticket, .. } if *ticket == t));
    assert_eq!(
        a[3],
        Action::ScreenPop {
            ticket: t,
            agent_id: 7
        }
    );
    let e = Event::Assigned {
        session: call("Billing"),
        agent_id: 7,
        chosen_contact: None,
    };
    assert_eq!(
        created_ticket(&decide_en(&e, &crm, &ctx())).1,
        UserRef::Existing(1)
    );
    let mut c = ctx();
    c.settings.operation.do_not_append = true;
    let e = Event::Assigned {
        session: call("Support"),
        agent_id: 7,
        chosen_contact: None,
    };
    assert_eq!(created_ticket(&decide_en(&e, &crm, &c)).3, Some(45));
}

// TICKET-6, TICKET-7, CONTACT-5: several matches: the agent picks; none picked => at call end the
// most recently created contact gets the ticket.
#[test]
fn ivr_several_contacts() {
    let crm = CrmState {
        contacts: vec![contact(1, 100), contact(2, 300), contact(3, 200)],
        tickets: vec![],
        gone: Vec::new(),
    };
    let a = decide_en(
        &Event::Assigned {
            session: call("S"),
            agent_id: 7,
            chosen_contact: None,
        },
        &crm,
        &ctx(),
    );
    assert_eq!(
        a,
        vec![Action::AskContact {
            contact_ids: vec![2, 3, 1]
        }]
    );
    let a = decide_en(
        &Event::Assigned {
            session: call("S"),
            agent_id: 7,
            chosen_contact: Some(3),
        },
        &crm,
        &ctx(),
    );
    assert_eq!(created_ticket(&a).1, UserRef::Existing(3));
    let a = decide_en(
        &Event::EndedWithoutTicket {
            session: call("S"),
            agent_id: 7,
        },
        &crm,
        &ctx(),
    );
    assert_eq!(created_ticket(&a).1, UserRef::Existing(2));
}

// TICKET-7, TICKET-9: an answered call is an inbound call even when the agent who took it is also
// the default CRM user; only a call no agent took is titled abandoned (regression: the subject
// was inferred from the assignee).
#[test]
fn answered_calls_are_not_abandoned_whoever_the_agent_is() {
    let crm = CrmState {
        contacts: vec![contact(1, 100), contact(2, 300)],
        tickets: vec![],
        gone: Vec::new(),
    };
    let mut c = ctx();
    c.settings.developer.default_crm_user_id = Some(7);
    c.settings.operation.abandoned_call_ticket = true;
    for event in [
        Event::EndedWithoutTicket {
            session: call("S"),
            agent_id: 7,
        },
        Event::Assigned {
            session: call("S"),
            agent_id: 7,
            chosen_contact: Some(1),
        },
    ] {
        let a = decide_en(&event, &crm, &c);
        let (subject, _, assignee, via, _) = created_ticket(&a);
        assert!(subject.starts_with("Call from"), "{subject}");
        assert_eq!((assignee, via), (Some(7), Some(45)));
    }
    let a = decide_en(&Event::Abandoned { session: call("S") }, &crm, &c);
    assert!(
        created_ticket(&a).0.starts_with("Abandoned call"),
        "{}",
        created_ticket(&a).0
    );
}

// SET-15: a chat ticket's title left as it came is written in the agent's language, as the
// call tickets' are ("Chiamata da …"); an admin's own title is kept as written. A visitor who
// gave no name, email or number is named as the adapter names them ("Visitatore web"), not
// "Visitor <session id>" in English and "Chat from  via …".
#[test]
fn a_chat_ticket_title_left_as_it_came_speaks_the_agents_language() {
    use domain::labels::Label;
    let italian = Catalogue::from_words(
        "it",
        &[
            (
                Label::ChatTicketTitle,
                "{channel} da {contact_name} tramite {menu_path}",
            ),
            (Label::WebVisitor, "Visitatore web"),
            (Label::MobileVisitor, "Visitatore da app"),
        ],
    );
    let mut chat = Session {
        id: "H-9".into(),
        channel: Some(Channel::Chat),
        platform: Some(SessionPlatform::Mobile),
        menu: "Assistenza".into(),
        language: "it".into(),
        ..Default::default()
    };
    chat.facts.channel = Some(Channel::Chat);
    chat.facts.platform = Some(SessionPlatform::Mobile);
    let assigned = Event::Assigned {
        session: chat.clone(),
        agent_id: 7,
        chosen_contact: None,
    };
    let c = ctx();
    assert_eq!(
        c.settings.operation.ticket_title,
        domain::settings::DEFAULT_TICKET_TITLE
    );
    let a = decide(&assigned, &CrmState::default(), &c, &italian);
    assert!(
        matches!(&a[0], Action::CreateUser { name, .. } if name == "Visitatore da app H-9"),
        "{:?}",
        a[0]
    );
    assert_eq!(
        created_ticket(&a).0,
        "Chat da Visitatore da app tramite Assistenza"
    );
    // In English, as before but for the nameless visitor.
    let a = decide_en(&assigned, &CrmState::default(), &c);
    assert_eq!(
        created_ticket(&a).0,
        "Chat from Mobile visitor via Assistenza"
    );
    // The admin's own title, whatever the agent's language.
    let mut own = ctx();
    own.settings.operation.ticket_title = "{channel}: {contact_name}".into();
    let a = decide(&assigned, &CrmState::default(), &own, &italian);
    assert_eq!(created_ticket(&a).0, "Chat: Visitatore da app");
}

// TICKET-1, TICKET-2, TICKET-3, TICKET-4, TICKET-5, CONTACT-2, CONTACT-3, CONTACT-4, SET-15, FIELD-4: SDK chat assignment.
#[test]
fn sdk_chat_assignment() {
    let mut chat = Session {
        id: "H-1".into(),
        channel: Some(Channel::Chat),
        platform: Some(SessionPlatform::Web),
        menu: "Sales".into(),
        language: "en".into(),
        email: Some("ann@x.com".into()),
        name: Some("Ann".into()),
        custom_data: vec![("order".into(), "A-1".into())],
        ..Default::default()
    };
    chat.facts.channel = Some(Channel::Chat);
    chat.facts.platform = Some(SessionPlatform::Web);
    let mut c = ctx();
    c.settings.operation.ticket_title = "{channel}: {contact_name} ({menu_path})".into();
    c.settings.developer.custom_fields_created = true;
    c.field_ids.insert(SessionField::SessionType, 900);
    // CONTACT-3: unknown => created.
    let a = decide_en(
        &Event::Assigned {
            session: chat.clone(),
            agent_id: 7,
            chosen_contact: None,
        },
        &CrmState::default(),
        &c,
    );
    assert_eq!(
        a[0],
        Action::CreateUser {
            name: "Ann".into(),
            phone: None,
            email: Some("ann@x.com".into()),
            external_id: None
        }
    );
    let (subject, _, assignee, via, description) = created_ticket(&a);
    assert_eq!(
        (subject, assignee, via),
        ("Chat: Ann (Sales)", Some(7), None)
    );
    assert!(
        description.contains("Chat ID: H-1") && description.contains("Custom data\norder: A-1"),
        "TICKET-5"
    );
    assert_eq!(
        a.last(),
        Some(&Action::SetCustomFields {
            ticket: TicketRef::Created(1),
            fields: vec![(900, json!("Chat / Web"))]
        })
    );
    // CONTACT-4, TICKET-1: existing contact reused (by email or SDK identifier, CONTACT-2).
    let known = Contact {
        id: 5,
        email: Some("ann@x.com".into()),
        ..Default::default()
    };
    let crm = CrmState {
        contacts: vec![known],
        tickets: vec![],
        gone: Vec::new(),
    };
    assert_eq!(
        created_ticket(&decide_en(
            &Event::Assigned {
                session: chat.clone(),
                agent_id: 7,
                chosen_contact: None
            },
            &crm,
            &c
        ))
        .1,
        UserRef::Existing(5)
    );
    let mobile = Session {
        email: None,
        external_id: Some("app-9".into()),
        platform: Some(SessionPlatform::Mobile),
        ..chat
    };
    let a = decide_en(
        &Event::Assigned {
            session: mobile,
            agent_id: 7,
            chosen_contact: None,
        },
        &CrmState::default(),
        &c,
    );
    assert!(matches!(&a[0], Action::CreateUser { external_id: Some(x), .. } if x == "app-9"));
}

// TICKET-9, SET-14, TICKET-11, OQ-26, OQ-27: abandoned calls.
#[test]
fn abandoned_call() {
    let mut c = ctx();
    c.settings.developer.default_crm_user_id = Some(99);
    let a = decide_en(
        &Event::Abandoned { session: call("S") },
        &CrmState::default(),
        &c,
    );
    let (subject, _, assignee, via, _) = created_ticket(&a);
    assert_eq!(
        (subject, assignee, via),
        (&*format!("Abandoned call from {NUM}"), Some(99), Some(45))
    );
    assert!(
        !a.iter().any(|x| matches!(x, Action::ScreenPop { .. })),
        "no agent, no screen pop"
    );
    c.settings.developer.default_crm_user_id = None;
    assert_eq!(
        created_ticket(&decide_en(
            &Event::Abandoned { session: call("S") },
            &CrmState::default(),
            &c
        ))
        .2,
        None,
        "never random"
    );
    c.settings.operation.abandoned_call_ticket = false;
    assert!(decide_en(
        &Event::Abandoned { session: call("S") },
        &CrmState::default(),
        &c
    )
    .is_empty());
}

// TICKET-10, TICKET-12, OQ-28: voicemail always creates a ticket; it is reusable by the next call.
#[test]
fn voicemail_ticket() {
    let crm = CrmState {
        contacts: vec![contact(1, 1)],
        tickets: vec![platform_ticket(
            11,
            TicketStatus::Open,
            1,
            Channel::Call,
            "S",
        )],
        gone: Vec::new(),
    };
    let e = Event::Voicemail {
        session: call("S"),
        recording_url: "https://r/1.mp3".into(),
        duration_s: 30,
    };
    let a = decide_en(&e, &crm, &ctx());
    assert!(
        matches!(&a[0], Action::CreateTicket { via_id: Some(44), recording_url: Some(u), requester: UserRef::Existing(1), .. } if u == "https://r/1.mp3")
    );
    // The voicemail ticket (origin call, menu S) is appended to by the next IVR call.
    let vm = platform_ticket(20, TicketStatus::New, 1, Channel::Call, "S");
    let crm = CrmState {
        contacts: vec![contact(1, 1)],
        tickets: vec![vm],
        gone: Vec::new(),
    };
    let a = decide_en(
        &Event::Assigned {
            session: call("S"),
            agent_id: 7,
            chosen_contact: None,
        },
        &crm,
        &ctx(),
    );
    assert_eq!(
        a[0],
        Action::SetStatus {
            ticket: TicketRef::Existing(20),
            status: TicketStatus::Open
        }
    );
}

fn plan(contact: ContactPlan, ticket: TicketPlan, comments: Vec<String>) -> DialPlan {
    DialPlan {
        to: NUM.into(),
        extension: None,
        outbound_number: "+15550002".into(),
        language: "en".into(),
        contact,
        ticket,
        entered_number: !comments.is_empty(),
        comments,
    }
}

// OUT-10, CONTACT-7, UPD-3, OQ-12, FLOW-10, CONTACT-6, TICKET-8, TEAM-1: outbound plans.
#[test]
fn outbound_plans() {
    let s = Session {
        platform: Some(SessionPlatform::Outbound),
        ..call("")
    };
    let none = decide_en(
        &Event::OutboundPlaced {
            session: s.clone(),
            plan: plan(ContactPlan::None, TicketPlan::None, vec![]),
            agent_id: 7,
        },
        &CrmState::default(),
        &ctx(),
    );
    assert!(none.is_empty(), "OUT-10: nothing stored");
    let p = plan(
        ContactPlan::New {
            phone: NUM.into(),
            name: "Caller x".into(),
        },
        TicketPlan::New,
        vec![],
    );
    let a = decide_en(
        &Event::OutboundPlaced {
            session: s.clone(),
            plan: p,
            agent_id: 7,
        },
        &CrmState::default(),
        &ctx(),
    );
    assert!(matches!(&a[0], Action::CreateUser { phone: Some(p), .. } if p == NUM));
    assert_eq!(created_ticket(&a).3, Some(46));
    let p = plan(
        ContactPlan::Existing { id: 1 },
        TicketPlan::Existing { id: 11 },
        vec!["Dialled number (not saved on the contact): +1".into()],
    );
    let a = decide_en(
        &Event::OutboundPlaced {
            session: s,
            plan: p,
            agent_id: 7,
        },
        &CrmState::default(),
        &ctx(),
    );
    assert_eq!(
        a[0],
        Action::SetStatus {
            ticket: TicketRef::Existing(11),
            status: TicketStatus::Open
        }
    );
    assert!(
        !a.iter().any(|x| matches!(x, Action::CreateUser { .. })),
        "CONTACT-6: contact untouched"
    );
    assert!(
        matches!(a.last(), Some(Action::AddComment { body, .. }) if body.starts_with("Dialled number"))
    );
}

// UPD-3, UPD-5, UPD-6, OQ-29: callbacks without dial-screen resolution.
#[test]
fn callbacks() {
    let mut agent_made = Ticket::new(12, TicketStatus::Open, 1, 50);
    agent_made.origin = None;
    let crm = CrmState {
        contacts: vec![contact(1, 1)],
        tickets: vec![
            platform_ticket(11, TicketStatus::Pending, 1, Channel::Call, ""),
            agent_made,
            Ticket::new(13, TicketStatus::Solved, 1, 60),
        ],
        gone: Vec::new(),
    };
    let s = Session {
        platform: Some(SessionPlatform::Outbound),
        ..call("")
    };
    let ev = |prev| Event::OutboundUnresolved {
        session: s.clone(),
        contact_id: 1,
        previous_ticket: prev,
        agent_id: 7,
    };
    // UPD-3: only the Platform-created open ticket qualifies (12 was made by an agent).
    assert_eq!(
        decide_en(&ev(None), &crm, &ctx())[0],
        Action::SetStatus {
            ticket: TicketRef::Existing(11),
            status: TicketStatus::Open
        }
    );
    // UPD-5 / UPD-6: the ticket of the call just ended, when still open.
    assert_eq!(
        decide_en(&ev(Some(12)), &crm, &ctx())[0],
        Action::SetStatus {
            ticket: TicketRef::Existing(12),
            status: TicketStatus::Open
        }
    );
    assert_eq!(
        decide_en(&ev(Some(13)), &crm, &ctx())[0],
        Action::SetStatus {
            ticket: TicketRef::Existing(11),
            status: TicketStatus::Open
        }
    );
    // TICKET-8: no open Platform ticket => new.
    let empty = CrmState {
        contacts: vec![contact(1, 1)],
        tickets: vec![],
        gone: Vec::new(),
    };
    assert_eq!(
        created_ticket(&decide_en(&ev(None), &empty, &ctx())).3,
        Some(46)
    );
}

// UPD-7, UPD-8, OQ-30, OQ-36, AGENT-7, FIELD-6: call end writes to the surviving ticket.
#[test]
fn call_end_and_merge() {
    let mut a_t = Ticket::new(1, TicketStatus::Closed, 9, 1);
    a_t.merged_into = Some(2);
    let crm = CrmState {
        contacts: vec![],
        tickets: vec![a_t, Ticket::new(2, TicketStatus::Open, 9, 2)],
        gone: Vec::new(),
    };
    let e = Event::Ended {
        session: call("S"),
        ticket_id: 1,
        recording_url: Some("https://r/2.mp3".into()),
        duration_s: 61,
        call: CallLine {
            outbound: false,
            line: Some("+15550199001".into()),
            started_at: Some("2024-05-01T10:00:00Z".into()),
        },
    };
    let a = decide_en(&e, &crm, &ctx());
    assert_eq!(
        a[0],
        Action::AddComment {
            ticket: TicketRef::Existing(2),
            body: "Call finished\nCall ID: C-1\nDuration: 1:01\nRecording: https://r/2.mp3".into()
        }
    );
    assert_eq!(
        a[1],
        Action::AddRecording {
            ticket: TicketRef::Existing(2),
            voice: VoiceComment::new(NUM, "+15550199001", "2024-05-01T10:00:00Z", 61)
                .unwrap()
                .with_recording("https://r/2.mp3")
        }
    );
    let mut c = ctx();
    c.settings.developer.call_recording = false;
    assert_eq!(
        decide_en(&e, &crm, &c).len(),
        1,
        "no recording when recording is off"
    );
}

// UPD-9, UPD-10, UPD-11, UPD-14, UPD-15, UPD-16, FIELD-11: session updates.
#[test]
fn session_updates() {
    let crm = CrmState::default();
    let t = TicketRef::Existing(5);
    let a = decide_en(
        &Event::Transferred {
            ticket_id: 5,
            agent_id: 8,
            agent_name: "Bo".into(),
        },
        &crm,
        &ctx(),
    );
    assert_eq!(
        a[0],
        Action::Assign {
            ticket: t,
            agent_id: 8
        }
    );
    let a = decide_en(
        &Event::SmartActionCompleted {
            ticket_id: 5,
            action: "Verify".into(),
            results: vec![],
            files: vec!["a.png".into()],
        },
        &crm,
        &ctx(),
    );
    assert_eq!(
        a,
        vec![Action::AddComment {
            ticket: t,
            body: "Smart Action completed: Verify\nFiles: a.png".into()
        }]
    );
    let a = decide_en(
        &Event::SmartActionFailed {
            ticket_id: 5,
            action: "Pay".into(),
            message: "declined".into(),
        },
        &crm,
        &ctx(),
    );
    assert_eq!(
        a,
        vec![Action::AddComment {
            ticket: t,
            body: "Smart Action failed: Pay\nError: declined".into()
        }]
    );
    let mut c = ctx();
    c.settings.developer.custom_fields_created = true;
    c.field_ids.insert(SessionField::Csat, 77);
    let a = decide_en(
        &Event::CsatRated {
            ticket_id: 5,
            score: 4,
        },
        &crm,
        &c,
    );
    assert_eq!(
        a[1],
        Action::SetCustomFields {
            ticket: t,
            fields: vec![(77, json!(4))]
        }
    );
    let a = decide_en(
        &Event::VoicemailHandled {
            ticket_id: 5,
            action: VoicemailAction::CalledBack,
            agent_name: "Bo".into(),
        },
        &crm,
        &ctx(),
    );
    assert_eq!(
        a,
        vec![Action::AddComment {
            ticket: t,
            body: "Voicemail called back\nAgent: Bo".into()
        }]
    );
    let api = Event::ApiResponse {
        ticket_id: 5,
        source: "crm".into(),
        data: json!({"a": 1}),
    };
    assert!(
        decide_en(&api, &crm, &ctx()).is_empty(),
        "UPD-16 off by default"
    );
    c.settings.developer.api_response_comment = domain::settings::ApiResponseComment::KeyValue;
    assert_eq!(
        decide_en(&api, &crm, &c),
        vec![Action::AddComment {
            ticket: t,
            body: "API response: crm\na: 1".into()
        }]
    );
}

// UPD-12, UPD-13, AGENT-8, AGENT-9: custom data as a comment, mapped keys to fields, unmapped named.
#[test]
fn custom_data_mapping() {
    let e = Event::CustomData {
        ticket_id: 5,
        items: vec![("tier".into(), "gold".into()), ("pet".into(), "cat".into())],
        mapping: vec![("tier".into(), 300)],
        mapping_configured: true,
    };
    let a = decide_en(&e, &CrmState::default(), &ctx());
    let t = TicketRef::Existing(5);
    assert_eq!(
        a,
        vec![
            Action::AddComment {
                ticket: t,
                body:
                    "Custom data\ntier: gold\npet: cat\nNo designated field found for \"pet\": cat"
                        .into()
            },
            Action::SetCustomFields {
                ticket: t,
                fields: vec![(300, json!("gold"))]
            }
        ]
    );
}

// AGENT-4: no rule depends on tags other than the Platform's own origin tags.
#[test]
fn foreign_tags_ignored() {
    let o = TicketOrigin::from_tags(&["vip".into(), "urgent".into()]);
    assert_eq!(o, None);
}

// Actions serialise for the platform/sandbox exchange.
#[test]
fn actions_serialise() {
    let a = Action::SetStatus {
        ticket: TicketRef::Created(1),
        status: TicketStatus::Open,
    };
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["action"], "set_status");
    assert_eq!(serde_json::from_value::<Action>(v).unwrap(), a);
}

// AGENT-2, TICKET-11 (issue 11, item 5): the default CRM user stands in for records no agent owns;
// an agent who is also the default CRM user still gets the ticket of their own call or chat popped
// (regression: the pop was skipped whenever the assignee was the default CRM user, so the
// sandbox's first agent never saw one). Records no agent handles (abandoned calls, voicemail)
// still pop nothing.
#[test]
fn agent_2_pops_the_new_ticket_even_for_the_default_crm_user() {
    let mut c = ctx();
    c.settings.developer.default_crm_user_id = Some(7);
    let pops = |a: &[Action]| {
        a.iter()
            .filter_map(|x| match x {
                Action::ScreenPop { ticket, agent_id } => Some((*ticket, *agent_id)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let created = |a: &[Action]| {
        let i = a
            .iter()
            .position(|x| matches!(x, Action::CreateTicket { .. }))
            .expect("a ticket is created");
        TicketRef::Created(i)
    };
    // An outbound call to a known contact with a new ticket.
    let outbound = Event::OutboundPlaced {
        session: Session {
            platform: Some(SessionPlatform::Outbound),
            ..call("")
        },
        plan: plan(ContactPlan::Existing { id: 1 }, TicketPlan::New, vec![]),
        agent_id: 7,
    };
    // An inbound IVR call from a new caller, and an SDK chat.
    let inbound = Event::Assigned {
        session: call("Support"),
        agent_id: 7,
        chosen_contact: None,
    };
    let chat = Event::Assigned {
        session: Session {
            id: "H-1".into(),
            channel: Some(Channel::Chat),
            platform: Some(SessionPlatform::Web),
            email: Some("ann@x.com".into()),
            ..Default::default()
        },
        agent_id: 7,
        chosen_contact: None,
    };
    for (what, event) in [("outbound", outbound), ("inbound", inbound), ("chat", chat)] {
        let a = decide_en(&event, &CrmState::default(), &c);
        assert_eq!(pops(&a), [(created(&a), 7)], "{what}: {a:?}");
    }
    // The ticket of an open one the call is appended to pops too.
    let crm = CrmState {
        contacts: vec![contact(1, 1)],
        tickets: vec![platform_ticket(
            11,
            TicketStatus::Open,
            1,
            Channel::Call,
            "S",
        )],
        gone: Vec::new(),
    };
    let a = decide_en(
        &Event::Assigned {
            session: call("S"),
            agent_id: 7,
            chosen_contact: None,
        },
        &crm,
        &c,
    );
    assert_eq!(pops(&a), [(TicketRef::Existing(11), 7)]);
    // No agent: an abandoned call and a voicemail, owned by the default CRM user, pop nothing.
    c.settings.operation.abandoned_call_ticket = true;
    for event in [
        Event::Abandoned { session: call("S") },
        Event::Voicemail {
            session: call("S"),
            recording_url: "https://r/1.mp3".into(),
            duration_s: 30,
        },
    ] {
        let a = decide_en(&event, &CrmState::default(), &c);
        assert_eq!(
            created_ticket(&a).2,
            Some(7),
            "owned by the default CRM user"
        );
        assert!(pops(&a).is_empty(), "no agent, no screen pop: {a:?}");
    }
}

// UPD-7, OQ-36 (issue 11, item 4): the voice comment with the recording is filled from the call:
// an outbound call from the outbound number to the customer, an inbound one from the customer to
// the number they dialled, started when the call started (regression: From, To and Started were
// sent empty). A call whose numbers or start are unknown gets no voice comment; its "Call
// finished" comment still carries the recording link.
#[test]
fn upd_7_the_voice_comment_carries_the_call_numbers_and_start() {
    let crm = CrmState::default();
    let ended = |line: CallLine| Event::Ended {
        session: call("S"),
        ticket_id: 40,
        recording_url: Some("https://r/3.mp3".into()),
        duration_s: 30,
        call: line,
    };
    let voice = |a: &[Action]| {
        a.iter().find_map(|x| match x {
            Action::AddRecording { voice, .. } => Some(voice.clone()),
            _ => None,
        })
    };
    let line = "+15550199001";
    let started = Some("2024-05-01T10:00:00Z".to_owned());
    let out = voice(&decide_en(
        &ended(CallLine {
            outbound: true,
            line: Some(line.into()),
            started_at: started.clone(),
        }),
        &crm,
        &ctx(),
    ))
    .expect("a voice comment");
    assert_eq!(
        (out.from(), out.to(), out.started_at(), out.call_duration()),
        (line, NUM, "2024-05-01T10:00:00Z", 30)
    );
    assert_eq!(out.recording_url(), Some("https://r/3.mp3"));
    let inbound = voice(&decide_en(
        &ended(CallLine {
            outbound: false,
            line: Some(line.into()),
            started_at: started.clone(),
        }),
        &crm,
        &ctx(),
    ))
    .expect("a voice comment");
    assert_eq!((inbound.from(), inbound.to()), (NUM, line));
    for unknown in [
        CallLine {
            outbound: true,
            line: None,
            started_at: started,
        },
        CallLine {
            outbound: true,
            line: Some(line.into()),
            started_at: None,
        },
    ] {
        let a = decide_en(&ended(unknown), &crm, &ctx());
        assert_eq!(voice(&a), None, "{a:?}");
        assert!(
            matches!(&a[0], Action::AddComment { body, .. } if body.contains("https://r/3.mp3")),
            "{a:?}"
        );
    }
}

// The tests below were written against mutants of `rules.rs` that every other test let through
// (scripts/mutants.sh): each names the rule a surviving mutant broke.

// FIELD-6 … FIELD-12, FIELD-2: an SDK session's end writes its end fields once they exist; a session
// with no end field to write (an IVR call: FIELD-2) gets no empty field update. Used to survive: the
// emptiness check inverted, so the fields were dropped and an empty update sent instead.
#[test]
fn call_end_writes_end_fields_and_no_empty_update() {
    let mut c = ctx();
    c.settings.developer.custom_fields_created = true;
    c.field_ids.insert(SessionField::HoldTime, 301);
    let mut mobile = Session {
        platform: Some(SessionPlatform::Mobile),
        ..call("S")
    };
    mobile.facts.platform = Some(SessionPlatform::Mobile);
    mobile.facts.hold_s = 20;
    let ended = |session| Event::Ended {
        session,
        ticket_id: 5,
        recording_url: None,
        duration_s: 30,
        call: CallLine::default(),
    };
    let a = decide_en(&ended(mobile), &CrmState::default(), &c);
    assert_eq!(
        a.last(),
        Some(&Action::SetCustomFields {
            ticket: TicketRef::Existing(5),
            fields: vec![(301, json!(20))]
        })
    );
    let a = decide_en(&ended(call("S")), &CrmState::default(), &c);
    assert_eq!(a.len(), 1, "the call finished comment only: {a:?}");
    assert!(matches!(a[0], Action::AddComment { .. }));
}

// UPD-13: "no designated field" is said of a key only when a field mapping exists; without a
// mapping the data is one comment (AGENT-8), nothing more. Used to survive: the guard forced true,
// which named every key as missing its field.
#[test]
fn custom_data_without_mapping_is_one_comment() {
    let e = Event::CustomData {
        ticket_id: 5,
        items: vec![("tier".into(), "gold".into()), ("pet".into(), "cat".into())],
        mapping: vec![],
        mapping_configured: false,
    };
    assert_eq!(
        decide_en(&e, &CrmState::default(), &ctx()),
        vec![Action::AddComment {
            ticket: TicketRef::Existing(5),
            body: "Custom data\ntier: gold\npet: cat".into()
        }]
    );
}

fn sdk_chat(email: Option<&str>, external_id: Option<&str>) -> Session {
    Session {
        id: "H-2".into(),
        channel: Some(Channel::Chat),
        platform: Some(SessionPlatform::Web),
        menu: "Sales".into(),
        language: "en".into(),
        email: email.map(Into::into),
        external_id: external_id.map(Into::into),
        ..Default::default()
    }
}

fn assigned_to_7(session: Session, crm: &CrmState) -> Vec<Action> {
    decide_en(
        &Event::Assigned {
            session,
            agent_id: 7,
            chosen_contact: None,
        },
        crm,
        &ctx(),
    )
}

// CONTACT-2, CONTACT-3, TICKET-1: an SDK contact is found by the identifier or the email the
// session gives, never by a value both lack (a contact with no identifier is not "the same" as a
// session with none) nor by a value that differs; a new contact is the ticket's requester. Used to
// survive: `&&` -> `||` and `==` -> `!=` in the search, and the created contact's index off by one.
#[test]
fn sdk_contact_matches_only_given_values() {
    let other = Contact {
        id: 1,
        name: "Bob".into(),
        email: Some("bob@x.com".into()),
        external_id: Some("app-1".into()),
        phone: Some(NUM.into()),
        created_at: 1,
        ..Default::default()
    };
    let bare = Contact {
        id: 2,
        name: "No email, no identifier".into(),
        created_at: 2,
        ..Default::default()
    };
    let crm = CrmState {
        contacts: vec![other, bare],
        tickets: vec![],
        gone: Vec::new(),
    };
    for session in [
        sdk_chat(Some("ann@x.com"), None),
        sdk_chat(None, Some("app-9")),
        sdk_chat(Some("ann@x.com"), Some("app-9")),
    ] {
        let a = assigned_to_7(session.clone(), &crm);
        assert!(
            matches!(&a[0], Action::CreateUser { email, external_id, .. }
                if *email == session.email && *external_id == session.external_id),
            "CONTACT-3: a new contact for {session:?}: {a:?}"
        );
        assert_eq!(created_ticket(&a).1, UserRef::Created(0), "TICKET-1");
    }
    // Either value alone finds the contact (CONTACT-2, CONTACT-4).
    let by_email = sdk_chat(Some("bob@x.com"), Some("app-9"));
    let by_id = sdk_chat(Some("ann@x.com"), Some("app-1"));
    for session in [by_email, by_id] {
        let a = assigned_to_7(session, &crm);
        assert_eq!(created_ticket(&a).1, UserRef::Existing(1));
        assert!(!a.iter().any(|x| matches!(x, Action::CreateUser { .. })));
    }
}

// CONTACT-1, TICKET-1: an SDK session that gives neither email nor identifier is matched by its
// number like an IVR call, not created as an anonymous visitor. Used to survive: `&&` -> `||` in
// the choice between the two searches.
#[test]
fn sdk_session_without_email_or_id_is_matched_by_number() {
    let s = Session {
        platform: Some(SessionPlatform::Mobile),
        ..call("S")
    };
    let crm = CrmState {
        contacts: vec![contact(1, 1)],
        tickets: vec![],
        gone: Vec::new(),
    };
    let a = assigned_to_7(s, &crm);
    assert_eq!(created_ticket(&a).1, UserRef::Existing(1));
    assert!(!a.iter().any(|x| matches!(x, Action::CreateUser { .. })));
}

// CONTACT-7, TICKET-13: an outbound call to a new contact creates the contact first, and that
// contact (action 0) is the new ticket's requester. Used to survive: the index off by one.
#[test]
fn outbound_new_contact_is_the_requester() {
    let a = decide_en(
        &Event::OutboundPlaced {
            session: Session {
                platform: Some(SessionPlatform::Outbound),
                ..call("")
            },
            plan: plan(
                ContactPlan::New {
                    phone: NUM.into(),
                    name: "Caller x".into(),
                },
                TicketPlan::New,
                vec![],
            ),
            agent_id: 7,
        },
        &CrmState::default(),
        &ctx(),
    );
    assert_eq!(created_ticket(&a).1, UserRef::Created(0));
}

fn tags_of_created(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .find_map(|a| match a {
            Action::CreateTicket { tags, .. } => Some(tags.clone()),
            _ => None,
        })
        .expect("a ticket is created")
}

// UPD-2, OQ-28, TICKET-10: a new ticket carries its session's channel in its origin tags (a chat's
// ticket is a chat ticket, so a later call does not append to it); a voicemail's is a call ticket.
// Used to survive: `==` -> `!=` on the voicemail test, which tagged chats as calls.
#[test]
fn new_ticket_origin_tags_follow_the_channel() {
    let chat = assigned_to_7(sdk_chat(Some("ann@x.com"), None), &CrmState::default());
    assert_eq!(
        tags_of_created(&chat),
        vec!["ccaip", "ccaip_chat", "ccaip_menu_sales"]
    );
    let vm = decide_en(
        &Event::Voicemail {
            session: call("S"),
            recording_url: "https://r/1.mp3".into(),
            duration_s: 30,
        },
        &CrmState::default(),
        &ctx(),
    );
    assert_eq!(
        tags_of_created(&vm),
        vec!["ccaip", "ccaip_call", "ccaip_menu_s"]
    );
}

// TICKET-6, TICKET-7, TICKET-9: the IVR session the platform and the adapter both build for an
// inbound call carries its id, channel, platform, menu, language and number, which the rules
// match contacts and tickets by. Used to survive: the constructor replaced by an empty session.
#[test]
fn ivr_session_carries_the_call() {
    assert_eq!(
        Session::ivr(42, NUM, "Billing", "it"),
        Session {
            id: "42".into(),
            channel: Some(Channel::Call),
            platform: Some(SessionPlatform::Ivr),
            menu: "Billing".into(),
            language: "it".into(),
            customer_number: Some(NUM.into()),
            ..Default::default()
        }
    );
}

// UPD-13: a mapping is configured but none of its fields exists in Zendesk: the data is still
// written as a comment, and each item is named as having no designated field.
#[test]
fn custom_data_with_a_mapping_whose_fields_are_missing() {
    let e = Event::CustomData {
        ticket_id: 5,
        items: vec![("tier".into(), "gold".into())],
        mapping: vec![],
        mapping_configured: true,
    };
    let a = decide_en(&e, &CrmState::default(), &ctx());
    assert_eq!(
        a,
        vec![Action::AddComment {
            ticket: TicketRef::Existing(5),
            body: "Custom data\ntier: gold\nNo designated field found for \"tier\": gold".into()
        }]
    );
}

// UPD-7, AGENT-7: a recording that arrives after the end is one write: the voice comment that
// plays it, or, without the call's numbers, the link as an internal comment; nothing when calls
// are not recorded; on the surviving ticket of a merge (UPD-8).
#[test]
fn late_recording_is_one_write() {
    let call = CallLine {
        outbound: true,
        line: Some("+15550199001".into()),
        started_at: Some("2026-12-02T10:00:00Z".into()),
    };
    let e = |call: CallLine| Event::RecordingReady {
        ticket_id: 5,
        recording_url: "https://rec/5.mp3".into(),
        duration_s: 75,
        customer_number: Some("+14155550100".into()),
        call,
    };
    let a = decide_en(&e(call.clone()), &CrmState::default(), &ctx());
    match &a[..] {
        [Action::AddRecording { ticket, voice }] => {
            assert_eq!(*ticket, TicketRef::Existing(5));
            assert_eq!(voice.recording_url(), Some("https://rec/5.mp3"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        decide_en(&e(CallLine::default()), &CrmState::default(), &ctx()),
        vec![Action::AddComment {
            ticket: TicketRef::Existing(5),
            body: "Recording: https://rec/5.mp3".into()
        }]
    );
    let mut off = ctx();
    off.settings.developer.call_recording = false;
    assert!(decide_en(&e(call), &CrmState::default(), &off).is_empty());
}
