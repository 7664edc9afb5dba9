//! TEAM: team-based outbound call ticket entry on the dial screen, table-driven over the entry
//! points, required/optional, and the ticket states.

use domain::crm::{Contact, CrmState, Ticket, TicketStatus};
use domain::dial::*;
use domain::labels::Catalogue;
use domain::settings::{team_entry_applies, Settings, Team, TicketIdEntry};

const PHONE_FIELD: u64 = 360_000_000_001;

/// required, phone field, Ticket ID text, outcome: (number, ticket; 0 = new) or the error.
type Row = (
    bool,
    Option<u64>,
    &'static str,
    Result<(&'static str, u64), DialError>,
);

fn ctx(global: bool, enabled: bool, required: bool, field: Option<u64>) -> DialContext {
    let mut settings = Settings::default();
    settings.operation.team_ticket_entry = global;
    settings.developer.outbound_ticket_phone_field = field;
    // Flexible-outbound options on, to prove TEAM-18 hides them.
    settings.operation.allow_use_entered_number = true;
    settings.operation.allow_do_not_create_ticket = true;
    settings.operation.prompt_select_open_ticket = true;
    settings.operation.allow_create_new_ticket = true;
    DialContext {
        settings,
        team: Some(Team {
            id: 1,
            name: "Team".into(),
            ticket_id_entry: TicketIdEntry { enabled, required },
        }),
        region: "US".into(),
        agent_language: "en".into(),
        options: OutboundOptions {
            languages: vec!["en".into()],
            numbers: vec![OutboundNumber {
                number: "+15550002".into(),
                label: "Q".into(),
                queue_id: 1,
                lang: "en".into(),
                default: true,
            }],
        },
        remembered: Default::default(),
    }
}

fn crm() -> CrmState {
    let mut with_field = Ticket::new(13, TicketStatus::Open, 1, 5);
    with_field
        .custom_fields
        .push((PHONE_FIELD, serde_json::json!("+44 20 7183 8750")));
    let mut bad_field = Ticket::new(14, TicketStatus::Open, 1, 5);
    bad_field
        .custom_fields
        .push((PHONE_FIELD, serde_json::json!("n/a")));
    CrmState {
        contacts: vec![
            Contact {
                id: 1,
                name: "Ann".into(),
                phone: Some("+14155550100".into()),
                ..Default::default()
            },
            Contact {
                id: 2,
                name: "NoPhone".into(),
                ..Default::default()
            },
        ],
        tickets: vec![
            Ticket::new(11, TicketStatus::New, 1, 1),
            Ticket::new(12, TicketStatus::Hold, 1, 2),
            Ticket::new(15, TicketStatus::Solved, 1, 3),
            Ticket::new(16, TicketStatus::Closed, 1, 4),
            Ticket::new(17, TicketStatus::Pending, 2, 4),
            Ticket::new(18, TicketStatus::Open, 1, 4),
            with_field,
            bad_field,
        ],
        gone: Vec::new(),
    }
}

// TEAM-3, OQ-17: applies only with the global switch AND the team's switch; otherwise the
// flexible screen (TEAM-1 baseline resolution) is shown.
#[test]
fn applies_only_with_both_switches() {
    let cat = Catalogue::english();
    for (global, enabled, applies) in [
        (false, false, false),
        (true, false, false),
        (false, true, false),
        (true, true, true),
    ] {
        let c = ctx(global, enabled, false, None);
        assert_eq!(team_entry_applies(&c.settings, c.team.as_ref()), applies);
        let mut d = DialScreen::open(EntryPoint::Keypad, c);
        d.set_number("+14155550100");
        let v = d.view(&crm(), &cat);
        assert_eq!(
            matches!(v.ticket.mode, TicketMode::Entry { .. }),
            applies,
            "TEAM-4 ({global},{enabled})"
        );
    }
}

// TEAM-5, TEAM-6: the Ticket ID optional, and nothing typed in either field: the agent is told
// that a Ticket ID would do as well as a number (it said "Enter a phone number." with the focus
// in the Ticket ID). Required, it asks for the Ticket ID; with a number typed, the number is used.
#[test]
fn nothing_to_call_names_the_ticket_id_when_it_would_do() {
    let cat = Catalogue::english();
    let blocker = |required: bool, number: &str| {
        let mut d = DialScreen::open(EntryPoint::Keypad, ctx(true, true, required, None));
        d.set_number(number);
        d.view(&crm(), &cat).blocker
    };
    assert_eq!(blocker(false, ""), Some(DialError::NoNumberOrTicketId));
    assert_eq!(
        DialError::NoNumberOrTicketId.message(&cat),
        "Enter a phone number or a Ticket ID."
    );
    assert_eq!(blocker(true, ""), Some(DialError::TicketIdRequired));
    assert_ne!(
        blocker(false, "+14155550100"),
        Some(DialError::NoNumberOrTicketId)
    );
    // Without team entry, the number alone is asked for.
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(false, false, false, None));
    d.set_number("");
    assert_eq!(d.view(&crm(), &cat).blocker, Some(DialError::NoNumber));
}

// TEAM-6, OQ-19: a Ticket ID's number stands in for a number the agent typed. The screen says so
// (it showed the ticket's number in place of the typed one without a word), and the typed number
// comes back, unsaid, once the Ticket ID is cleared. Nothing is said when nothing was typed, when
// the typed number is the ticket's, or when the ticket gives no number.
#[test]
fn a_ticket_id_s_number_over_a_typed_one_is_said_and_the_typed_one_kept() {
    let cat = Catalogue::english();
    let note = "The ticket's number is called instead of the one you typed. Clear the Ticket ID to call yours.";
    let screen = |typed: &str, ticket_id: &str| {
        let mut d = DialScreen::open(EntryPoint::Keypad, ctx(true, true, false, None));
        d.set_number(typed);
        d.set_ticket_id_text(ticket_id);
        d
    };
    let d = screen("+1 202 555 0143", "11");
    let v = d.view(&crm(), &cat);
    assert_eq!(
        (v.number_read_only, v.number_warning.as_deref()),
        (true, Some(note))
    );
    assert_eq!(
        v.number_text, "(415) 555-0100",
        "Ann's number, ticket 11's requester"
    );
    assert_eq!(v.blocker, None);
    // Cleared: the typed number is back, and nothing is said.
    let mut d = d;
    d.set_ticket_id_text("");
    let v = d.view(&crm(), &cat);
    assert_eq!((v.number_read_only, v.number_warning), (false, None));
    assert_eq!(v.number_text, "(202) 555-0143");
    // Nothing typed; the ticket's own number typed (written another way); no number on the
    // ticket (the error says why instead).
    for (typed, id) in [
        ("", "11"),
        ("415-555-0100", "11"),
        ("+1 202 555 0143", "17"),
    ] {
        let v = screen(typed, id).view(&crm(), &cat);
        assert_eq!(v.number_warning, None, "{typed:?} with #{id}");
    }
    // A ticket's number that may not be valid: both are said, the change first.
    let mut odd = crm();
    odd.contacts[0].phone = Some("+15550101100".into());
    let v = screen("+1 202 555 0143", "11").view(&odd, &cat);
    assert_eq!(
        v.number_warning,
        Some(format!(
            "{note} This number may not be valid. Check it before calling."
        ))
    );
    // In Italian.
    let it: Catalogue = serde_json::from_str(include_str!("../../../assets/i18n/it.json")).unwrap();
    let v = screen("+1 202 555 0143", "11").view(&crm(), &it);
    assert_eq!(
        v.number_warning.as_deref(),
        Some("Viene chiamato il numero del ticket invece di quello che hai digitato. Svuota l'ID ticket per chiamare il numero digitato.")
    );
}

// TEAM-4, TEAM-10: a Ticket ID typed digit by digit is read and judged once the agent pauses,
// not at every digit. Regression: each prefix was read from Zendesk (ten reads for a ten-digit
// id), and one read before ("1", "12"… of the id typed last) was refused at once as "Ticket not
// found", each with its Zendesk notification.
#[test]
fn a_ticket_id_being_typed_is_neither_read_nor_refused_until_the_pause() {
    let cat = Catalogue::english();
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(true, true, true, None));
    d.set_number("+1 415 555 0199");
    for typed in ["1", "11"] {
        d.type_ticket_id_text(typed);
        assert!(
            d.lookups().tickets.is_empty(),
            "{typed}: not read while typed"
        );
        // "1" is no ticket of the CRM data, and nothing is pending: still not "not found".
        let v = d.view(&crm(), &cat);
        assert_eq!(
            v.blocker,
            Some(DialError::ContactLoading),
            "{typed}: Call waits"
        );
        assert!(!v.call_enabled);
        assert!(
            d.call(&crm(), &cat).is_err(),
            "{typed}: no call on a half-typed id"
        );
    }
    assert!(d.settle_ticket_id(), "it was being typed");
    assert!(!d.settle_ticket_id(), "settled once");
    assert_eq!(d.lookups().tickets, vec![11], "read once settled");
    let plan = d.call(&crm(), &cat).expect("ticket 11 is open");
    assert_eq!(plan.ticket, TicketPlan::Existing { id: 11 });
    // A prefix of no ticket, settled: judged as typed.
    d.type_ticket_id_text("99");
    assert_eq!(
        d.view(&crm(), &cat).blocker,
        Some(DialError::ContactLoading)
    );
    d.settle_ticket_id();
    assert_eq!(
        d.view(&crm(), &cat).blocker,
        Some(DialError::TicketNotFound { id: 99 })
    );
    // Letters are refused at once: no read would make them an id.
    d.type_ticket_id_text("1a");
    assert_eq!(
        d.view(&crm(), &cat).blocker,
        Some(DialError::TicketIdInvalid)
    );
}

// TEAM-2, TEAM-4, TEAM-5, TEAM-6, TEAM-8, TEAM-9, TEAM-10, TEAM-19, TEAM-20, OQ-19, OQ-20, OQ-21,
// UPD-4: what an entered Ticket ID does, required and optional.
#[test]
fn entered_ticket_id_table() {
    let cat = Catalogue::english();
    #[rustfmt::skip]
    let rows: &[Row] = &[
        // required, field, Ticket ID text, outcome (number, ticket) or error
        (true,  None, "",    Err(DialError::TicketIdRequired)),
        (false, None, "",    Ok(("+14155550199", 0))),
        (true,  None, "11",  Ok(("+14155550100", 11))),
        (true,  None, "#12", Ok(("+14155550100", 12))),
        (false, None, "18",  Ok(("+14155550100", 18))),
        (true,  None, "15",  Err(DialError::TicketNotUsable { id: 15, status: TicketStatus::Solved })),
        (true,  None, "16",  Err(DialError::TicketNotUsable { id: 16, status: TicketStatus::Closed })),
        (true,  None, "99",  Err(DialError::TicketNotFound { id: 99 })),
        (true,  None, "abc", Err(DialError::TicketIdInvalid)),
        (true,  None, "0",   Err(DialError::TicketIdInvalid)),
        (true,  None, "+12", Err(DialError::TicketIdInvalid)),
        (true,  None, "012", Err(DialError::TicketIdInvalid)),
        (true,  None, "1 2", Err(DialError::TicketIdInvalid)),
        (true,  None, "##12", Err(DialError::TicketIdInvalid)),
        (true,  None, "12345678901234567890", Err(DialError::TicketIdInvalid)),
        (false, None, "-5",  Err(DialError::TicketIdInvalid)),
        (true,  None, " 11 ", Ok(("+14155550100", 11))),
        (true,  None, "17",  Err(DialError::RequesterNoPhone { id: 17 })),
        (true,  Some(PHONE_FIELD), "13", Ok(("+442071838750", 13))),
        (true,  Some(PHONE_FIELD), "14", Err(DialError::TicketFieldEmpty { id: 14, field_id: PHONE_FIELD })),
        (true,  Some(PHONE_FIELD), "11", Err(DialError::TicketFieldEmpty { id: 11, field_id: PHONE_FIELD })),
    ];
    for (required, field, text, want) in rows {
        let mut d = DialScreen::open(EntryPoint::Keypad, ctx(true, true, *required, *field));
        d.set_number("+1 415 555 0199");
        d.set_ticket_id_text(text);
        let v = d.view(&crm(), &cat);
        let what = format!("required={required} field={field:?} id={text:?}");
        assert_eq!(
            v.ticket.mode,
            TicketMode::Entry {
                required: *required
            },
            "{what}"
        );
        assert_eq!(v.use_entered_number, None, "TEAM-18 {what}");
        assert!(
            v.ticket.options.is_empty(),
            "TEAM-18 {what}: no chooser entries"
        );
        match want {
            Ok((number, ticket)) => {
                let plan = d
                    .call(&crm(), &cat)
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(plan.to, *number, "{what}");
                if *ticket == 0 {
                    assert_eq!(
                        plan.ticket,
                        TicketPlan::New,
                        "{what}: TEAM-5 optional blank"
                    );
                    assert!(!v.number_read_only);
                } else {
                    assert_eq!(
                        plan.ticket,
                        TicketPlan::Existing { id: *ticket },
                        "{what}: TEAM-8"
                    );
                    assert!(v.number_read_only, "{what}: OQ-19 number from the ticket");
                    assert_eq!(plan.contact, ContactPlan::Existing { id: 1 });
                }
            }
            Err(e) => {
                assert_eq!(v.blocker.as_ref(), Some(e), "{what}");
                assert!(!v.call_enabled);
                assert_eq!(d.call(&crm(), &cat).unwrap_err(), *e, "{what}");
            }
        }
    }
    // TEAM-9: the message names the ticket and its status.
    let msg = DialError::TicketNotUsable {
        id: 15,
        status: TicketStatus::Solved,
    }
    .message(&cat);
    assert_eq!(
        msg,
        "Ticket #15 is solved, so it cannot be used for a call."
    );
    // In Italian one whole sentence too, the status an adjective of the ticket.
    let it: Catalogue = serde_json::from_str(include_str!("../../../assets/i18n/it.json")).unwrap();
    assert_eq!(
        DialError::TicketNotUsable {
            id: 15,
            status: TicketStatus::Solved,
        }
        .message(&it),
        "Il ticket #15 è risolto: non può essere usato per una chiamata."
    );
    assert_eq!(
        DialError::TicketNotUsable {
            id: 16,
            status: TicketStatus::Closed,
        }
        .message(&it),
        "Il ticket #16 è chiuso: non può essere usato per una chiamata."
    );
    assert_eq!(
        DialError::TicketNotFound { id: 9 }.message(&cat),
        "Ticket #9 not found."
    );
    assert_eq!(
        DialError::RequesterNoPhone { id: 17 }.message(&it),
        "Il richiedente del ticket #17 non ha un numero di telefono."
    );
}

// OUT-8, TEAM-15, TEAM-16, TEAM-17, UI-16: entry points under team entry (flexible parts locked).
#[test]
fn entry_points_table() {
    let cat = Catalogue::english();
    let rows: Vec<(EntryPoint, Result<u64, DialError>)> = vec![
        (
            EntryPoint::Ticket {
                number: "+14155550100".into(),
                user_id: 1,
                ticket_id: 12,
            },
            Ok(12),
        ),
        (
            EntryPoint::TicketNewNumber { ticket_id: 12 },
            Err(DialError::TeamEnterNewNumber),
        ),
        (
            EntryPoint::Contact {
                number: "+14155550100".into(),
                user_id: 1,
            },
            Err(DialError::TeamClickToCall),
        ),
    ];
    for (entry, want) in rows {
        let d = DialScreen::open(entry.clone(), ctx(true, true, true, None));
        let v = d.view(&crm(), &cat);
        match want {
            Ok(id) => {
                assert_eq!(
                    v.ticket.entry_text,
                    id.to_string(),
                    "TEAM-15 fills the Ticket ID"
                );
                assert_eq!(
                    d.call(&crm(), &cat).unwrap().ticket,
                    TicketPlan::Existing { id }
                );
            }
            Err(e) => {
                assert!(e.is_banner());
                assert_eq!(v.blocker, Some(e.clone()), "{entry:?}");
                assert_eq!(d.call(&crm(), &cat), Err(e));
            }
        }
    }
    // The refused click's screen asks for a Ticket ID: one entered there calls by it, the
    // number coming from the ticket (TEAM-6), not from the click.
    let mut d = DialScreen::open(
        EntryPoint::Contact {
            number: "+14155550199".into(),
            user_id: 1,
        },
        ctx(true, true, true, None),
    );
    d.set_ticket_id_text("12");
    let plan = d.call(&crm(), &cat).unwrap();
    assert_eq!(plan.ticket, TicketPlan::Existing { id: 12 });
    assert_ne!(
        plan.to, "+14155550199",
        "the ticket's number, not the clicked one"
    );
    // Nothing was typed: no "instead of the one you typed".
    assert_eq!(d.view(&crm(), &cat).number_warning, None);
    d.set_ticket_id_text("");
    assert_eq!(d.call(&crm(), &cat), Err(DialError::TeamClickToCall));
}

// TEAM-1, TEAM-7, TEAM-11 … TEAM-14 are configuration steps (Portal/queue); what the adapter
// depends on is the default outbound number of the queue (TEAM-14) and the field (TEAM-7).
#[test]
fn configuration_dependencies() {
    let cat = Catalogue::english();
    let mut c = ctx(true, true, false, None);
    c.options.numbers.clear();
    let mut d = DialScreen::open(EntryPoint::Keypad, c);
    d.set_ticket_id_text("11");
    assert_eq!(
        d.call(&crm(), &cat),
        Err(DialError::NoOutboundNumber),
        "TEAM-14"
    );
    // TEAM-1: without a resolved ticket an outbound call creates a new one.
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(true, true, false, None));
    d.set_number("+1 212 555 0100");
    assert_eq!(d.call(&crm(), &cat).unwrap().ticket, TicketPlan::New);
}
