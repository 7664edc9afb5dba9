//! Native tests of the platform client against a scripted fake of the platform API.

use agent_adapter::{
    http::{HttpRequest, HttpResponse, Method, Transport},
    platform::{
        call_request, CallStatus, Direction, Durations, Platform, PlatformError, PlatformEvent,
    },
};
use domain::dial::{ContactPlan, DialPlan, TicketPlan};
use futures::executor::block_on;
use serde_json::json;
use std::{cell::RefCell, collections::VecDeque};

#[derive(Default)]
struct Scripted {
    answers: RefCell<VecDeque<(u16, serde_json::Value)>>,
    seen: RefCell<Vec<HttpRequest>>,
}

impl Scripted {
    fn answer(&self, status: u16, body: serde_json::Value) {
        self.answers.borrow_mut().push_back((status, body));
    }
}

impl Transport for &Scripted {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        self.seen.borrow_mut().push(request);
        match self.answers.borrow_mut().pop_front() {
            Some((status, body)) => Ok(HttpResponse {
                status,
                headers: vec![],
                body: body.to_string(),
            }),
            None => Err("connection refused".into()),
        }
    }
}

fn bearer(request: &HttpRequest) -> Option<&str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n == "Authorization")
        .map(|(_, v)| v.as_str())
}

#[test]
fn sign_in_keeps_the_token_in_memory_and_sends_it() {
    let fake = Scripted::default();
    let platform = Platform::new(&fake);
    fake.answer(
        200,
        json!({"token": "t-123", "agent": {"id": 5, "name": "Alice", "email": "a@example.com",
            "team": {"id": 1, "name": "Sales", "ticket_id_entry": {"enabled": true, "required": false}}}}),
    );
    let agent = block_on(platform.sign_in(" a@example.com ", "pw")).unwrap();
    assert!(agent.team.unwrap().ticket_id_entry.enabled);
    assert!(platform.is_signed_in());
    {
        let seen = fake.seen.borrow();
        assert_eq!(
            seen[0].body.as_ref().unwrap()["email"],
            "a@example.com",
            "trimmed"
        );
        assert_eq!(bearer(&seen[0]), None);
    }
    fake.answer(200, json!({"operation": {"allow_create_new_ticket": true}}));
    let settings = block_on(platform.settings()).unwrap();
    assert!(settings.operation.allow_create_new_ticket);
    assert_eq!(bearer(&fake.seen.borrow()[1]), Some("Bearer t-123"));
}

// "Trust and failure": settings are validated on receipt; a refused value is replaced by its
// safe one and the valid ones are kept.
#[test]
fn settings_the_portal_would_refuse_are_made_safe_on_receipt() {
    let fake = Scripted::default();
    let platform = Platform::new(&fake);
    fake.answer(
        200,
        json!({"operation": {"prompt_select_open_ticket": true, "ticket_title": "{oops}"},
               "developer": {"batch_frequency_s": 0, "batch_add_comment": true,
                             "api_token_configured": false}}),
    );
    let settings = block_on(platform.settings()).unwrap();
    assert!(settings.validate().is_ok());
    assert!(settings.operation.prompt_select_open_ticket);
    assert_eq!(settings.developer.batch_frequency_s, 1);
    assert!(!settings.developer.batching_enabled());
    assert_eq!(
        settings.operation.ticket_title,
        domain::settings::DEFAULT_TICKET_TITLE
    );
}

// SET-16, TEAM-12: the settings' answer carries the agent's team as it is now; a team of
// `null` is "no team"; an answer without the field leaves the team of sign-in to stand.
#[test]
fn the_settings_read_says_the_agents_team_now_or_nothing() {
    let fake = Scripted::default();
    let platform = Platform::new(&fake);
    fake.answer(
        200,
        json!({"operation": {"team_ticket_entry": true},
               "team": {"id": 2, "name": "Billing", "ticket_id_entry": {"enabled": true, "required": true}}}),
    );
    let (settings, team) = block_on(platform.settings_now()).unwrap();
    assert!(settings.operation.team_ticket_entry);
    let team = team.expect("said").expect("a team");
    assert_eq!((team.id, team.ticket_id_entry.required), (2, true));

    fake.answer(200, json!({"operation": {}, "team": null}));
    assert_eq!(
        block_on(platform.settings_now()).unwrap().1,
        Some(None),
        "no team"
    );

    fake.answer(200, json!({"operation": {"allow_create_new_ticket": true}}));
    let (settings, team) = block_on(platform.settings_now()).unwrap();
    assert!(settings.operation.allow_create_new_ticket);
    assert_eq!(team, None, "not said");
}

#[test]
fn errors_have_messages_an_agent_understands() {
    let fake = Scripted::default();
    let platform = Platform::new(&fake);
    fake.answer(401, json!({"error": "invalid email or password"}));
    let err = block_on(platform.sign_in("a@example.com", "wrong")).unwrap_err();
    assert_eq!(err, PlatformError::BadCredentials);
    assert_eq!(err.to_string(), "The email or password is not correct.");
    // Signed in, then the session ends: 401 signs out.
    fake.answer(
        200,
        json!({"token": "t", "agent": {"id": 5, "name": "A", "email": "a@x"}}),
    );
    block_on(platform.sign_in("a@x", "pw")).unwrap();
    fake.answer(401, json!({"error": "unauthorized"}));
    assert_eq!(block_on(platform.settings()), Err(PlatformError::SignedOut));
    assert!(!platform.is_signed_in(), "a 401 signs the agent out");
    // No answer at all.
    let err = block_on(platform.outbound_options()).unwrap_err();
    assert!(matches!(err, PlatformError::Unreachable(_)));
    assert!(err.to_string().contains("cannot be reached"));
    // An answer that is a server error: reached, and failed (not "cannot be reached").
    fake.answer(503, json!({"error": "maintenance"}));
    let err = block_on(platform.outbound_options()).unwrap_err();
    assert_eq!(err, PlatformError::Server(503));
    assert!(!err.to_string().contains("cannot be reached"), "{err}");
    // Too many requests: a moment later asking again works, as after a server error (it is
    // not a refusal of what was asked).
    fake.answer(429, json!({"error": "too many requests"}));
    let err = block_on(platform.outbound_options()).unwrap_err();
    assert_eq!(err, PlatformError::Server(429));
    // A refusal keeps the platform's reason.
    fake.answer(
        422,
        json!({"error": "outbound_number: not one of the options"}),
    );
    let err = block_on(platform.outbound_options()).unwrap_err();
    assert!(err.to_string().contains("outbound_number"), "{err}");
}

// UI-2, OUT-10, FLOW-10: what the call request carries.
#[test]
fn call_request_carries_the_plan() {
    let plan = DialPlan {
        to: "+14155550100".into(),
        extension: None,
        outbound_number: "+15550002".into(),
        language: "it".into(),
        contact: ContactPlan::Existing {
            id: 16_444_799_095_826,
        },
        ticket: TicketPlan::Existing { id: 42 },
        entered_number: true,
        comments: vec![],
    };
    assert_eq!(
        call_request(&plan),
        json!({"to": "+14155550100", "outbound_number": "+15550002", "lang": "it",
            "contact_id": 16444799095826_u64, "ticket_id": 42, "ticket": "existing",
            "entered_number": true})
    );
    let none = DialPlan {
        ticket: TicketPlan::None,
        contact: ContactPlan::None,
        ..plan
    };
    let body = call_request(&none);
    assert_eq!(
        (body["ticket"].as_str(), body["contact_id"].is_null()),
        (Some("none"), true)
    );
    let fake = Scripted::default();
    let platform = Platform::new(&fake);
    fake.answer(201, json!({"call": {"id": 77, "status": "ringing"}}));
    let call = block_on(platform.place_call(&none)).unwrap();
    assert_eq!((call.id, call.status), (77, CallStatus::Ringing));
    assert_eq!(fake.seen.borrow()[0].method, Method::Post);
}

#[test]
fn an_event_is_one_object_whose_type_may_come_anywhere() {
    // The type after the fields, or between them, reads the same as before them.
    for text in [
        r#"{"call_id":3,"type":"call.held"}"#,
        r#"{"type":"call.held","call_id":3}"#,
        r#" { "x" : [1, {"y": null}], "call_id" : 3 , "type" : "call.held" } "#,
    ] {
        assert_eq!(
            PlatformEvent::from_json(text).unwrap(),
            PlatformEvent::Held { call_id: 3 },
            "{text}"
        );
    }
    // Events without fields, known or not, may carry any fields.
    assert_eq!(
        PlatformEvent::from_json(r#"{"by":{"a":[1,2]},"type":"settings.changed"}"#).unwrap(),
        PlatformEvent::SettingsChanged
    );
    assert_eq!(
        PlatformEvent::from_json(r#"{"type":"call.parked","call_id":"x"}"#).unwrap(),
        PlatformEvent::Other
    );
    // Not an event: no type, a type that is not a string, not one object, a field of the wrong
    // type, a missing field without a default, trailing text, a variant named serde's other way.
    for text in [
        r#"{"call_id":3}"#,
        r#"{"type":7,"call_id":3}"#,
        r#""call.held""#,
        r#"[{"type":"call.held","call_id":3}]"#,
        r#"{"type":"call.held","call_id":"3"}"#,
        r#"{"type":"call.held"}"#,
        r#"{"type":"call.held","call_id":3} {}"#,
        r#"{"type":"call.held","call_id":3"#,
        r#"{"call.held":{"call_id":3}}"#,
        r#"{"type":"session.ready","type":"call.held","call_id":3}"#,
    ] {
        assert!(PlatformEvent::from_json(text).is_err(), "{text}");
    }
}

#[test]
fn events_decode_and_unknown_types_are_ignored() {
    let ended: PlatformEvent = PlatformEvent::from_json(
        r#"{"type":"call.ended","call_id":9,"recording_url":"https://r/9.mp3","durations":{"call":42,"wait":3,"hold":0},"x":1,
            "line":"+15550199001","started_at":"2024-05-01T10:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(
        ended,
        PlatformEvent::Ended {
            call_id: 9,
            recording_url: Some("https://r/9.mp3".into()),
            durations: Durations {
                call: 42,
                wait: 3,
                hold: 0
            },
            line: "+15550199001".into(),
            started_at: "2024-05-01T10:00:00Z".into(),
        }
    );
    let other: PlatformEvent =
        PlatformEvent::from_json(r#"{"type":"chat.assigned_elsewhere","chat_id":5}"#).unwrap();
    assert_eq!(other, PlatformEvent::Other);
    // The platform's hello, from which the stream counts as up (it names the agent).
    let ready: PlatformEvent =
        PlatformEvent::from_json(r#"{"type":"session.ready","agent_id":7}"#).unwrap();
    assert_eq!(ready, PlatformEvent::Ready);
    // A session event decodes with its call and event id; one without them does not decode (the
    // stream drops the frame) rather than being written nowhere.
    let rated: PlatformEvent =
        PlatformEvent::from_json(r#"{"type":"csat.rated","call_id":9,"event_id":3,"score":5}"#)
            .unwrap();
    assert_eq!(
        rated,
        PlatformEvent::CsatRated {
            call_id: 9,
            chat_id: None,
            event_id: 3,
            score: 5
        }
    );
    // A chat's rating names the chat instead.
    let rated: PlatformEvent = PlatformEvent::from_json(
        r#"{"type":"csat.rated","chat_id":700001,"event_id":4,"score":2}"#,
    )
    .unwrap();
    assert!(matches!(
        rated,
        PlatformEvent::CsatRated {
            call_id: 0,
            chat_id: Some(700001),
            event_id: 4,
            score: 2
        }
    ));
    assert!(PlatformEvent::from_json(r#"{"type":"csat.rated","score":5}"#).is_err());
    let done: PlatformEvent = PlatformEvent::from_json(
        r#"{"type":"smart_action.completed","call_id":9,"event_id":4,"action":"Verify",
            "results":[["verified","yes"]],"files":["https://f/1.png"]}"#,
    )
    .unwrap();
    assert_eq!(
        done,
        PlatformEvent::SmartActionCompleted {
            call_id: 9,
            event_id: 4,
            action: "Verify".into(),
            results: vec![("verified".into(), "yes".into())],
            files: vec!["https://f/1.png".into()],
        }
    );
}

// The transfer, the ticket named after it, SDK custom data and a late recording decode with
// what the adapter needs of them; a transfer without the agent it went to does not decode.
#[test]
fn transfer_custom_data_and_late_recording_decode() {
    let moved: PlatformEvent = PlatformEvent::from_json(
        r#"{"type":"call.transferred","call_id":9,"event_id":7,"from_agent_id":501,
            "to_agent":{"id":502,"name":"Bo","zendesk_user_id":12},"ticket_id":40,
            "status":"connected","direction":"outbound","customer_number":"+15550101000",
            "lang":"en","menu_path":"","durations":{"call":3}}"#,
    )
    .unwrap();
    match moved {
        PlatformEvent::Transferred {
            call_id: 9,
            event_id: 7,
            from_agent_id: 501,
            to_agent,
            ticket_id: Some(40),
            status: CallStatus::Connected,
            direction: Direction::Outbound,
            ..
        } => assert_eq!((to_agent.id, to_agent.name.as_str()), (502, "Bo")),
        other => panic!("{other:?}"),
    }
    assert!(PlatformEvent::from_json(
        r#"{"type":"call.transferred","call_id":9,"event_id":7,"from_agent_id":501,"status":"connected"}"#
    )
    .is_err());
    let named: PlatformEvent =
        PlatformEvent::from_json(r#"{"type":"call.ticket","call_id":9,"ticket_id":41}"#).unwrap();
    assert_eq!(
        named,
        PlatformEvent::TicketKnown {
            call_id: 9,
            ticket_id: 41
        }
    );
    let data: PlatformEvent = PlatformEvent::from_json(
        r#"{"type":"session.custom_data","call_id":9,"event_id":8,"data":{"tier":"gold","n":3}}"#,
    )
    .unwrap();
    match data {
        PlatformEvent::CustomData {
            call_id: 9,
            event_id: 8,
            data,
        } => {
            assert_eq!(data["tier"], json!("gold"));
            assert_eq!(data["n"], json!(3));
        }
        other => panic!("{other:?}"),
    }
    let late: PlatformEvent = PlatformEvent::from_json(
        r#"{"type":"call.recording_ready","call_id":9,"event_id":9,"recording_url":"https://r/9.mp3",
            "direction":"inbound","line":"+15550199001","started_at":"2026-12-02T10:00:00Z",
            "durations":{"call":75}}"#,
    )
    .unwrap();
    match late {
        PlatformEvent::RecordingReady {
            recording_url,
            direction: Direction::Inbound,
            durations,
            ..
        } => assert_eq!(
            (recording_url.as_str(), durations.call),
            ("https://r/9.mp3", 75)
        ),
        other => panic!("{other:?}"),
    }
}

// The in-call controls: answer, hold, touch tones and the inbound contact pick each post to the
// call's own route and read back the call's status; refusals keep the platform's reason.
#[test]
fn call_controls_post_to_the_call_and_read_its_status() {
    let fake = Scripted::default();
    let platform = Platform::new(&fake);
    fake.answer(
        200,
        json!({"token": "t", "agent": {"id": 5, "name": "A", "email": "a@x"}}),
    );
    block_on(platform.sign_in("a@x", "pw")).unwrap();

    fake.answer(
        200,
        json!({"call": {"id": 7, "status": "connected", "x": 1}}),
    );
    assert_eq!(
        block_on(platform.answer(7)).unwrap().status,
        CallStatus::Connected
    );
    fake.answer(200, json!({"call": {"id": 7, "status": "on_hold"}}));
    assert_eq!(
        block_on(platform.hold(7, true)).unwrap().status,
        CallStatus::OnHold
    );
    fake.answer(200, json!({"call": {"id": 7, "status": "connected"}}));
    assert_eq!(
        block_on(platform.hold(7, false)).unwrap().status,
        CallStatus::Connected
    );
    fake.answer(200, json!({"call": {"id": 7, "status": "connected"}}));
    block_on(platform.send_dtmf(7, "12#")).unwrap();
    fake.answer(200, json!({"call": {"id": 7, "status": "connected"}}));
    block_on(platform.pick_contact(7, 42)).unwrap();
    fake.answer(409, json!({"error": "the call is not connected"}));
    let err = block_on(platform.send_dtmf(7, "5")).unwrap_err();
    assert!(err.to_string().contains("not connected"), "{err}");

    let seen = fake.seen.borrow();
    let sent: Vec<(String, serde_json::Value)> = seen[1..]
        .iter()
        .map(|r| (r.url.clone(), r.body.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        sent,
        vec![
            ("/calls/7/answer".into(), json!({})),
            ("/calls/7/hold".into(), json!({"hold": true})),
            ("/calls/7/hold".into(), json!({"hold": false})),
            ("/calls/7/dtmf".into(), json!({"digits": "12#"})),
            ("/calls/7/contact".into(), json!({"contact_id": 42})),
            ("/calls/7/dtmf".into(), json!({"digits": "5"})),
        ]
    );
    assert!(seen[1..].iter().all(|r| r.method == Method::Post));
    assert!(seen[1..].iter().all(|r| bearer(r) == Some("Bearer t")));
}

#[test]
fn inbound_offers_and_hold_events_decode() {
    let offer: PlatformEvent = PlatformEvent::from_json(
        r#"{"type":"call.ringing","call_id":3,"direction":"inbound","customer_number":"+15550101100","menu_path":"Support","lang":"it-IT","status":"ringing"}"#,
    )
    .unwrap();
    assert_eq!(
        offer,
        PlatformEvent::Ringing {
            call_id: 3,
            direction: Direction::Inbound,
            customer_number: "+15550101100".into(),
            menu_path: "Support".into(),
            lang: "it-IT".into(),
        }
    );
    // The agent's own call: outbound when the platform does not say.
    let own: PlatformEvent =
        PlatformEvent::from_json(r#"{"type":"call.ringing","call_id":4}"#).unwrap();
    assert!(matches!(
        own,
        PlatformEvent::Ringing {
            direction: Direction::Outbound,
            ..
        }
    ));
    let odd: PlatformEvent =
        PlatformEvent::from_json(r#"{"type":"call.ringing","call_id":5,"direction":"callback"}"#)
            .unwrap();
    assert!(matches!(
        odd,
        PlatformEvent::Ringing {
            direction: Direction::Other,
            ..
        }
    ));
    let held: PlatformEvent =
        PlatformEvent::from_json(r#"{"type":"call.held","call_id":3}"#).unwrap();
    assert_eq!(held, PlatformEvent::Held { call_id: 3 });
    let resumed: PlatformEvent =
        PlatformEvent::from_json(r#"{"type":"call.resumed","call_id":3}"#).unwrap();
    assert_eq!(resumed, PlatformEvent::Resumed { call_id: 3 });
}

// "Trust and failure": a reload does not ask for the password again. Sign-in hands out a resume
// credential; resuming with it signs the same agent in with a new token and a new credential;
// a refused one (expired, used) is SignedOut, and nothing of the old session is kept.
#[test]
fn a_resume_credential_signs_in_again_without_the_password() {
    let fake = Scripted::default();
    let platform = Platform::new(&fake);
    fake.answer(
        200,
        json!({"token": "t-1", "resume": {"token": "r-1", "expires_in": 900},
               "agent": {"id": 5, "name": "A", "email": "a@x"}}),
    );
    block_on(platform.sign_in("a@x", "pw")).unwrap();
    let credential = platform.resume_credential().unwrap();
    assert_eq!(
        (credential.token.as_str(), credential.expires_in),
        ("r-1", 900)
    );

    // The page renews it while it lives.
    fake.answer(200, json!({"resume": {"token": "r-2", "expires_in": 900}}));
    let renewed = block_on(platform.renew_resume()).unwrap();
    assert_eq!(renewed.token, "r-2");
    {
        let seen = fake.seen.borrow();
        assert_eq!(seen[1].url, "/agent/session/renew");
        assert_eq!(bearer(&seen[1]), Some("Bearer t-1"));
    }

    // After a reload: a new client, the credential from the tab's storage.
    let after = Platform::new(&fake);
    fake.answer(
        200,
        json!({"token": "t-2", "resume": {"token": "r-3", "expires_in": 900},
               "agent": {"id": 5, "name": "A", "email": "a@x"}}),
    );
    let agent = block_on(after.resume("r-2")).unwrap();
    assert_eq!(agent.id, 5);
    assert_eq!(after.token().as_deref(), Some("t-2"));
    assert_eq!(after.resume_credential().unwrap().token, "r-3");
    {
        let seen = fake.seen.borrow();
        assert_eq!(seen[2].url, "/agent/session/resume");
        assert_eq!(seen[2].body.as_ref().unwrap()["resume"], "r-2");
        assert_eq!(bearer(&seen[2]), None, "no old token sent along");
        assert!(
            !seen[2].body.as_ref().unwrap().to_string().contains("pw"),
            "never the password"
        );
    }

    // Used or expired: SignedOut, and nothing kept.
    fake.answer(401, json!({"error": "unauthorized"}));
    assert_eq!(block_on(after.resume("r-2")), Err(PlatformError::SignedOut));
    assert!(!after.is_signed_in());
    assert_eq!(after.resume_credential(), None);

    // Sign-out ends the session on the platform.
    block_on(platform.end_session());
    let seen = fake.seen.borrow();
    let last = seen.last().unwrap();
    assert_eq!(
        (last.method, last.url.as_str()),
        (Method::Delete, "/agent/session")
    );
    assert!(!platform.is_signed_in());
}

// The CRM queue takes operations only for tickets of the agent's own calls: a 403 is a refusal
// for good (nothing of the batch was queued; the outbox writes directly instead), anything else
// that fails may be taken later. A 403 does not sign the agent out.
#[test]
fn the_crm_queue_s_403_is_a_refusal_for_good() {
    use agent_adapter::services::outbox::{CrmQueue, QueueError};
    let fake = Scripted::default();
    let platform = Platform::new(&fake);
    fake.answer(
        200,
        json!({"token": "t", "agent": {"id": 5, "name": "A", "email": "a@x"}}),
    );
    block_on(platform.sign_in("a@x", "pw")).unwrap();
    let ops = [json!({"key": "41.ended.0", "ticket_id": 7, "kind": "add_comment", "body": "x"})];
    fake.answer(200, json!({"accepted": ["41.ended.0"]}));
    assert_eq!(block_on(CrmQueue::queue(&platform, &ops)), Ok(()));
    let sent = fake.seen.borrow().last().cloned().unwrap();
    assert_eq!((sent.method, sent.url.as_str()), (Method::Post, "/crm/ops"));

    fake.answer(
        403,
        json!({"error": "not a ticket of the agent's calls", "refused": ["41.ended.0"]}),
    );
    assert_eq!(
        block_on(CrmQueue::queue(&platform, &ops)),
        Err(QueueError::Refused(
            "not a ticket of the agent's calls".into()
        ))
    );
    assert!(platform.is_signed_in());
    for status in [503, 429] {
        fake.answer(status, json!({"error": "busy"}));
        assert!(
            matches!(
                block_on(CrmQueue::queue(&platform, &ops)),
                Err(QueueError::Unavailable(_))
            ),
            "{status}"
        );
    }
    // No answer at all.
    assert!(matches!(
        block_on(CrmQueue::queue(&platform, &ops)),
        Err(QueueError::Unavailable(_))
    ));
}

// The chat events and a chat's description decode into the adapter's chat: messages in order
// (a repeat kept once), the SDK's parameters, custom data as text; a message's text is kept as
// sent (markup included: the screen renders it as text).
#[test]
fn chat_events_decode() {
    use agent_adapter::platform::ChatInfo;
    use domain::chat::{Author, ChatStatus};
    let offered: PlatformEvent = PlatformEvent::from_json(
        r#"{"type":"chat.offered","chat_id":700001,"chat":{"id":700001,"status":"offered",
            "platform":"mobile","menu_path":"Support > Billing","lang":"it",
            "customer":{"name":"Ann","email":"ann@x.com","external_id":null,"phone":null},
            "custom_data":{"order":"A-1","vip":true},
            "messages":[{"id":12,"author":"customer","text":"<img src=x onerror=alert(1)>","at":"2026-12-02T10:00:01.000Z","client_id":null},
                        {"id":11,"author":"customer","text":"hi","at":"2026-12-02T10:00:00.000Z"},
                        {"id":12,"author":"customer","text":"<img src=x onerror=alert(1)>","at":"2026-12-02T10:00:01.000Z"}],
            "offered_at":"2026-12-02T10:00:02.000Z","accepted_at":null,"ended_at":null,"ended_by":null,
            "wait_s":3,"queue":"Billing","agent_id":1,"transferred_from":null}}"#,
    )
    .unwrap();
    let PlatformEvent::ChatOffered { chat_id, chat } = offered else {
        panic!("not an offer: {offered:?}")
    };
    assert_eq!(chat_id, 700001);
    let chat = chat.into_chat();
    assert_eq!(chat.status, ChatStatus::Offered);
    assert_eq!(chat.platform, Some(domain::crm::SessionPlatform::Mobile));
    assert_eq!(
        chat.messages.iter().map(|m| m.id).collect::<Vec<_>>(),
        [11, 12]
    );
    assert_eq!(chat.messages[1].text, "<img src=x onerror=alert(1)>");
    assert_eq!(
        chat.custom_data,
        [
            ("order".to_string(), "A-1".to_string()),
            ("vip".to_string(), "true".to_string())
        ]
    );
    assert_eq!(chat.customer.email.as_deref(), Some("ann@x.com"));
    let message: PlatformEvent = PlatformEvent::from_json(
        r#"{"type":"chat.message","chat_id":7,"message":{"id":3,"author":"agent","text":"ok","at":"","client_id":"p-7-1"}}"#,
    )
    .unwrap();
    assert!(matches!(
        message,
        PlatformEvent::ChatMessage { chat_id: 7, ref message } if message.author == Author::Agent
            && message.client_id.as_deref() == Some("p-7-1")
    ));
    let ended: PlatformEvent = PlatformEvent::from_json(
        r#"{"type":"chat.ended","chat_id":7,"by":"customer","ended_at":"2026-12-02T10:05:00.000Z"}"#,
    )
    .unwrap();
    assert!(matches!(
        ended,
        PlatformEvent::ChatEnded {
            chat_id: 7,
            by: Some(Author::Customer),
            ..
        }
    ));
    let typing: PlatformEvent =
        PlatformEvent::from_json(r#"{"type":"chat.typing","chat_id":7,"typing":true}"#).unwrap();
    assert_eq!(
        typing,
        PlatformEvent::ChatTyping {
            chat_id: 7,
            typing: true
        }
    );
    // A chat without the optional parts still decodes.
    let bare: ChatInfo = serde_json::from_str(r#"{"id":5}"#).unwrap();
    assert_eq!(bare.into_chat().id, 5);
}

// The resume's list of recent calls says whether it is whole: a list cut into pages (the
// platform names the next with `next_cursor`) is not, and the resume then drops no intent for
// a call missing from it (it may be on the next page).
#[test]
fn recent_calls_say_whether_they_are_all_of_them() {
    let fake = Scripted::default();
    let platform = Platform::new(&fake);
    let call = json!({"id": 9, "status": "ended", "direction": "inbound",
        "customer_number": "+15550101000", "lang": "en", "menu_path": "", "durations": {"call": 3}});
    fake.answer(200, json!({"calls": [call.clone()], "next_cursor": null}));
    let (calls, whole) = block_on(platform.recent_calls()).unwrap();
    assert_eq!((calls.len(), calls[0].id, whole), (1, 9, true));
    fake.answer(200, json!({"calls": [call.clone()]}));
    assert!(
        block_on(platform.recent_calls()).unwrap().1,
        "no cursor named: whole"
    );
    fake.answer(200, json!({"calls": [call], "next_cursor": "c2"}));
    let (calls, whole) = block_on(platform.recent_calls()).unwrap();
    assert_eq!((calls.len(), whole), (1, false), "a page of a longer list");
    assert_eq!(fake.seen.borrow()[2].url, "/calls");
}
