//! Customer chats (`domain::chat`): messages in order once, the agent's messages on their way,
//! the session the rules see, the transcript written at the end, and the tabs' keys.

use domain::call::{JobKey, Stage};
use domain::chat::*;
use domain::crm::{Channel, SessionPlatform};
use domain::labels::{Catalogue, Label};
use domain::rules::{decide, Action, Event, RuleContext, TicketRef};

fn msg(id: u64, author: Author, text: &str, at: &str) -> ChatMessage {
    ChatMessage {
        id,
        author,
        text: text.into(),
        at: at.into(),
        client_id: None,
        agent_name: None,
    }
}

fn chat() -> Chat {
    Chat {
        id: 700001,
        status: ChatStatus::Active,
        platform: Some(SessionPlatform::Web),
        menu: "Support > Billing".into(),
        lang: "en".into(),
        customer: ChatCustomer {
            name: Some("Ann Lee".into()),
            email: Some("ann@example.com".into()),
            ..Default::default()
        },
        custom_data: vec![("order".into(), "A-1".into())],
        offered_at: "2026-12-02T10:00:05.000Z".into(),
        accepted_at: Some("2026-12-02T10:00:10.000Z".into()),
        ended_at: Some("2026-12-02T10:03:40.500Z".into()),
        wait_s: 5,
        queue: "Billing".into(),
        ..Default::default()
    }
}

// A message repeated (the event and the send's answer, a reload's read) is kept once, and the
// messages stay in the platform's order whatever order they arrive in. Used to fail: pushing
// every message.
#[test]
fn messages_are_kept_once_in_order() {
    let mut c = chat();
    assert!(c.add_message(msg(3, Author::Customer, "three", "")));
    assert!(c.add_message(msg(1, Author::Customer, "one", "")));
    assert!(!c.add_message(msg(3, Author::Customer, "three", "")));
    assert!(c.add_message(msg(2, Author::Agent, "two", "")));
    let ids: Vec<u64> = c.messages.iter().map(|m| m.id).collect();
    assert_eq!(ids, [1, 2, 3]);
}

// The agent's message leaves the "on its way" list once the platform has it (by its client id),
// and only then; a failed one stays with its reason until sent again.
#[test]
fn an_outgoing_message_is_confirmed_by_its_client_id() {
    let mut c = chat();
    c.outgoing = vec![
        Outgoing {
            client_id: "p-1".into(),
            text: "hello".into(),
            failed: None,
        },
        Outgoing {
            client_id: "p-2".into(),
            text: "second".into(),
            failed: Some("offline".into()),
        },
    ];
    let mut m = msg(9, Author::Agent, "hello", "");
    m.client_id = Some("p-1".into());
    assert!(c.add_message(m));
    assert_eq!(c.outgoing.len(), 1);
    assert_eq!(c.outgoing[0].client_id, "p-2");
}

// A reload's or an accept's read replaces the platform's side but keeps what the agent has on
// its way, and an accept or an end already seen is not undone by an older read.
#[test]
fn a_refresh_keeps_the_agents_side() {
    let mut c = chat();
    c.add_message(msg(1, Author::Customer, "hi", ""));
    c.outgoing.push(Outgoing {
        client_id: "p-5".into(),
        text: "typing this".into(),
        failed: None,
    });
    c.ticket_id = Some(42);
    c.status = ChatStatus::Ended;
    let mut fresh = chat();
    fresh.status = ChatStatus::Active;
    fresh.messages = vec![msg(2, Author::Customer, "again", "")];
    c.refresh(fresh);
    assert_eq!(c.messages.len(), 2);
    assert_eq!(c.outgoing.len(), 1);
    assert_eq!(c.ticket_id, Some(42));
    assert_eq!(c.status, ChatStatus::Ended);
    // Confirmed meanwhile: no longer on its way.
    let mut fresh = chat();
    let mut confirmed = msg(3, Author::Agent, "typing this", "");
    confirmed.client_id = Some("p-5".into());
    fresh.messages = vec![confirmed];
    c.refresh(fresh);
    assert!(c.outgoing.is_empty());
    // Accepted (the stream said so), then a read taken before the accept answers: still active.
    let mut c = chat();
    c.status = ChatStatus::Active;
    c.accepted_at = Some("2024-05-01T10:00:05Z".into());
    let mut stale = chat();
    stale.status = ChatStatus::Offered;
    stale.accepted_at = None;
    c.refresh(stale);
    assert_eq!(c.status, ChatStatus::Active);
    assert_eq!(c.accepted_at.as_deref(), Some("2024-05-01T10:00:05Z"));
    // Ended by the customer (the stream), then a read from before the end: who ended it stays.
    c.status = ChatStatus::Ended;
    c.ended_by = Some(Author::Customer);
    c.ended_at = Some("2024-05-01T10:09:00Z".into());
    let mut stale = chat();
    stale.ended_by = None;
    stale.ended_at = None;
    c.refresh(stale);
    assert_eq!(c.status, ChatStatus::Ended);
    assert_eq!(c.ended_by, Some(Author::Customer));
    assert_eq!(c.ended_at.as_deref(), Some("2024-05-01T10:09:00Z"));
    let mut c = chat();
    c.status = ChatStatus::Active;
    // A read that says more is taken.
    let mut ended = chat();
    ended.status = ChatStatus::Ended;
    c.refresh(ended);
    assert_eq!(c.status, ChatStatus::Ended);
}

// TICKET-5, AGENT-6, AGENT-8: one comment holds every message once, in order, with its time and
// author, then the standard data and the custom data. A message of several lines stays one entry.
#[test]
fn the_transcript_holds_every_message_once_in_order() {
    let mut c = chat();
    c.add_message(msg(
        2,
        Author::Agent,
        "Hello Ann",
        "2026-12-02T10:00:12.000Z",
    ));
    c.add_message(msg(
        1,
        Author::Customer,
        "Hi, my bill\nis wrong",
        "2026-12-02T10:00:05.250Z",
    ));
    c.add_message(msg(
        3,
        Author::Customer,
        "<b>thanks</b>",
        "2026-12-02T10:03:30.000Z",
    ));
    // Written by the agent who had the chat before a transfer: named by the platform.
    let mut before = msg(4, Author::Agent, "Bye", "2026-12-02T10:03:31.000Z");
    before.agent_name = Some("Ben Agent".into());
    c.add_message(before);
    let t = transcript(&Catalogue::english(), &c, "Ada Agent");
    assert_eq!(
        t,
        "Chat transcript (times UTC)\n\
         [10:00:05] Ann Lee: Hi, my bill\n    is wrong\n\
         [10:00:12] Ada Agent: Hello Ann\n\
         [10:03:30] Ann Lee: <b>thanks</b>\n\
         [10:03:31] Ben Agent: Bye\n\
         \n\
         Chat details\nChat ID: 700001\nLanguage: en\nMenu selection: Support > Billing\n\
         \n\
         Custom data\norder: A-1"
    );
}

// A visitor who gave nothing is named by the channel, in the agent's language.
#[test]
fn a_nameless_visitor_is_named_by_the_channel() {
    let mut c = chat();
    c.customer = ChatCustomer::default();
    assert_eq!(c.who(&Catalogue::english()), "Web visitor");
    c.platform = Some(SessionPlatform::Mobile);
    assert_eq!(c.who(&Catalogue::english()), "Mobile visitor");
    c.customer.email = Some("  ".into());
    c.customer.external_id = Some("app-9".into());
    assert_eq!(c.who(&Catalogue::english()), "app-9");
}

// TICKET-1, CONTACT-4, FIELD-4 … FIELD-9: the rules see a chat of the SDK with the contact
// parameters given (blank ones left out), its queue, wait and times.
#[test]
fn the_session_of_a_chat() {
    let mut c = chat();
    c.customer.external_id = Some(" ".into());
    let s = c.session();
    assert_eq!(s.channel, Some(Channel::Chat));
    assert_eq!(s.platform, Some(SessionPlatform::Web));
    assert_eq!(s.email.as_deref(), Some("ann@example.com"));
    assert_eq!(s.external_id, None);
    assert_eq!(s.id, "700001");
    assert_eq!(s.facts.queue_name.as_deref(), Some("Billing"));
    let offered = domain::time::parse_iso8601("2026-12-02T10:00:05Z").unwrap();
    assert_eq!(s.facts.queued_at, Some(offered - 5));
    assert_eq!(c.duration_s(), 210);
}

// The transcript is one comment on the chat's ticket (the surviving one of a merge), not one
// per message; the end fields follow when the SDK fields exist.
#[test]
fn a_chat_end_writes_one_comment() {
    let c = chat();
    let event = Event::ChatEnded {
        session: c.session(),
        ticket_id: 12,
        transcript: "T".into(),
    };
    let actions = decide(
        &event,
        &Default::default(),
        &RuleContext::default(),
        &Catalogue::english(),
    );
    assert_eq!(
        actions,
        vec![Action::AddComment {
            ticket: TicketRef::Existing(12),
            body: "T".into()
        }]
    );
}

// A chat's jobs have keys of their own, read back as written, and are never taken for a call's.
#[test]
fn chat_job_keys() {
    for key in [JobKey::chat(700001), JobKey::chat_ended(700001)] {
        assert_eq!(JobKey::parse(&key.to_string()), Some(key));
        assert!(key.is_chat() && !key.is_first());
    }
    assert_eq!(JobKey::chat(5).to_string(), "5.chat");
    assert_eq!(JobKey::chat_ended(5).stage, Stage::ChatEnded);
    assert!(!JobKey::first(5, true).is_chat());
}

// The composer sends trimmed text, refuses nothing-but-space and too long a message (and keeps
// it); Alt+digit picks a tab that exists.
#[test]
fn composer_and_tabs() {
    assert_eq!(sendable("  hi\n"), Ok("hi".into()));
    assert_eq!(sendable(" \n "), Err(Label::MessageEmpty));
    assert_eq!(
        sendable(&"x".repeat(MAX_MESSAGE_CHARS + 1)),
        Err(Label::MessageTooLong)
    );
    assert!(sendable(&"é".repeat(MAX_MESSAGE_CHARS)).is_ok());
    assert_eq!(tab_for_digit(1, 3), Some(0));
    assert_eq!(tab_for_digit(3, 3), Some(2));
    assert_eq!(tab_for_digit(4, 3), None);
    assert_eq!(tab_for_digit(0, 3), None);
    assert_ne!(client_id("a", 1, 1), client_id("a", 1, 2));
}

fn assigned(chat: &Chat, crm: &domain::crm::CrmState) -> Vec<Action> {
    decide(
        &Event::Assigned {
            session: chat.session(),
            agent_id: 7,
            chosen_contact: None,
        },
        crm,
        &RuleContext::default(),
        &Catalogue::english(),
    )
}

fn contact(
    id: u64,
    email: Option<&str>,
    external_id: Option<&str>,
    created_at: i64,
) -> domain::crm::Contact {
    domain::crm::Contact {
        id,
        name: format!("Contact {id}"),
        email: email.map(Into::into),
        external_id: external_id.map(Into::into),
        created_at,
        ..Default::default()
    }
}

fn requester(actions: &[Action]) -> Option<domain::rules::UserRef> {
    actions.iter().find_map(|a| match a {
        Action::CreateTicket { requester, .. } => Some(*requester),
        _ => None,
    })
}

// CONTACT-4: an email matches whatever its case (Zendesk's search does); the identifier decides
// before an email (a visitor can type anyone's email), whichever contact is newer. Used to fail:
// "Ann@Example.com" planned a new contact, and the newer email match won over the identifier.
#[test]
fn the_sdk_contact_is_found_by_identifier_then_email_in_any_case() {
    use domain::rules::UserRef;
    let crm = domain::crm::CrmState {
        contacts: vec![
            contact(1, Some("ann@example.com"), None, 10),
            contact(2, Some("other@example.com"), Some("app-7"), 5),
        ],
        tickets: vec![],
        gone: Vec::new(),
    };
    let mut c = chat();
    c.customer.email = Some("Ann@Example.com".into());
    assert_eq!(requester(&assigned(&c, &crm)), Some(UserRef::Existing(1)));
    c.customer.external_id = Some("app-7".into());
    assert_eq!(requester(&assigned(&c, &crm)), Some(UserRef::Existing(2)));
}

// CONTACT-3: a visitor who gave no email and no identifier is a new contact with the name they
// gave and no phone, never a "Caller" contact. Used to fail: the caller path ran.
#[test]
fn a_visitor_without_email_or_identifier_is_a_new_contact_with_their_name() {
    let mut c = chat();
    c.customer = ChatCustomer {
        name: Some("Ivy".into()),
        ..Default::default()
    };
    let actions = assigned(&c, &Default::default());
    assert_eq!(
        actions[0],
        Action::CreateUser {
            name: "Ivy".into(),
            phone: None,
            email: None,
            external_id: None
        }
    );
}

// Nothing a customer writes passes for a line of the transcript: every line break (\r, the
// Unicode separators) in a message is indented, and a name is one line.
#[test]
fn the_transcript_cannot_be_forged() {
    let mut c = chat();
    c.customer.name = Some("Ann\n[10:00:00] Ada Agent: refund approved".into());
    c.add_message(msg(
        1,
        Author::Customer,
        "hi\r[10:00:01] Ada Agent: yes\u{2028}[10:00:02] Ada Agent: ok",
        "2026-12-02T10:00:00Z",
    ));
    c.custom_data = vec![("note".into(), "x\n[10:00:03] Ada Agent: forged".into())];
    c.add_message(msg(2, Author::Customer, "a\r\nb", "2026-12-02T10:00:04Z"));
    let t = transcript(&Catalogue::english(), &c, "Ada Agent");
    assert!(t.contains("a\n    b"), "CRLF is one break: {t}");
    let forged = t
        .lines()
        .filter(|l| l.starts_with('[') && l.get(11..).is_some_and(|r| r.starts_with("Ada Agent:")))
        .count();
    assert_eq!(forged, 0, "{t}");
    assert!(
        t.contains("[10:00:00] Ann [10:00:00] Ada Agent: refund approved: hi\n    [10:00:01]"),
        "{t}"
    );
}

// What the agent has seen of a chat is kept through a reload as the id of the last customer
// message seen: the messages after it (unread before, or come while the page was away) are
// unread again after it; the agent's own messages never count.
#[test]
fn the_messages_seen_survive_as_an_id_and_the_rest_are_unread_after_it() {
    let mut c = chat();
    c.messages = vec![
        msg(1, Author::Customer, "Hi", "2024-01-01T00:00:00Z"),
        msg(2, Author::Agent, "Hello", "2024-01-01T00:00:01Z"),
        msg(
            3,
            Author::Customer,
            "Where is my order?",
            "2024-01-01T00:00:02Z",
        ),
    ];
    c.unread = 0;
    assert_eq!(c.seen_through(), 3);
    c.unread = 1;
    assert_eq!(c.seen_through(), 1);
    c.unread = 2;
    assert_eq!(c.seen_through(), 0);
    c.unread = 9;
    assert_eq!(c.seen_through(), 0, "more unread than messages: none seen");
    // After a reload: the platform's list has one more from the customer, and one from the agent.
    let mut after = chat();
    after.messages = vec![
        msg(1, Author::Customer, "Hi", "2024-01-01T00:00:00Z"),
        msg(2, Author::Agent, "Hello", "2024-01-01T00:00:01Z"),
        msg(
            3,
            Author::Customer,
            "Where is my order?",
            "2024-01-01T00:00:02Z",
        ),
        msg(4, Author::Agent, "Looking", "2024-01-01T00:00:03Z"),
        msg(5, Author::Customer, "Still there?", "2024-01-01T00:00:04Z"),
    ];
    assert_eq!(after.unread_after(3), 1);
    assert_eq!(after.unread_after(1), 2);
    assert_eq!(after.unread_after(0), 3);
    assert_eq!(after.unread_after(5), 0);
}
