//! The dial screen while its reads have not answered (issue "An agent's first hour", item 2),
//! settings read again at every opening (SET-16, item 1), and a number judged only once the
//! agent is done with it (UI-7).
//!
//! What used to break: with 1.5 s of latency on the user search, Call was enabled and showed
//! "New contact" / "New ticket" before the search answered, and pressing it created a second
//! contact "Caller +1…" and a new ticket; the chooser kept options an admin had switched off
//! since sign-in; "This is not a phone number…" appeared as soon as "+" was typed.

use domain::crm::{Contact, CrmState, Ticket, TicketStatus};
use domain::dial::*;
use domain::labels::{Catalogue, Label};
use domain::phone::Key;
use domain::settings::{Settings, Team, TicketIdEntry};

const A: &str = "+14155550100";

mod common;
use common::ctx;

/// Ann (id 1) has the number and one open ticket (11).
fn ann() -> CrmState {
    CrmState {
        contacts: vec![Contact {
            id: 1,
            name: "Ann".into(),
            phone: Some(A.into()),
            created_at: 100,
            ..Default::default()
        }],
        tickets: vec![Ticket::new(11, TicketStatus::Open, 1, 100)],
        gone: Vec::new(),
    }
}

fn typed(settings: Settings) -> DialScreen {
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(settings, None));
    d.set_number(A);
    d
}

fn searching(number: &str) -> Pending {
    Pending {
        numbers: vec![number.into()],
        ..Pending::default()
    }
}

// Item 2, OUT-12: while the number's search is out, the contact is "loading", never
// "New contact", no ticket is offered, and Call (or Enter) is refused.
#[test]
fn number_search_under_way_holds_call_and_names_no_new_contact() {
    let cat = Catalogue::english();
    let d = typed(Settings::default());
    let nothing_yet = CrmState::default();
    let v = d.view_with(&nothing_yet, &searching(A), &cat);
    assert_eq!(v.contact.mode, ContactMode::Loading);
    assert_ne!(v.contact.text, cat.get(Label::NewContact));
    assert_eq!(v.contact.selected, None);
    assert!(v.ticket.options.is_empty(), "no ticket offered yet");
    assert!(!v.call_enabled);
    assert_eq!(v.blocker, Some(DialError::ContactLoading));
    assert_eq!(
        d.call_with(&nothing_yet, &searching(A), &cat),
        Err(DialError::ContactLoading)
    );
    // Once the search answers, the existing contact's open ticket is the plan.
    let plan = d.call_with(&ann(), &Pending::default(), &cat).unwrap();
    assert_eq!(plan.contact, ContactPlan::Existing { id: 1 });
    assert_eq!(plan.ticket, TicketPlan::Existing { id: 11 });
}

// Item 2: the search of another number does not hold this one.
#[test]
fn only_the_reads_this_screen_needs_hold_it() {
    let cat = Catalogue::english();
    let d = typed(Settings::default());
    let v = d.view_with(&ann(), &searching("+14155550199"), &cat);
    assert!(v.call_enabled);
}

// Item 2, FLOW-2: click-to-call from a contact whose open tickets are still being read shows
// the contact but no "New ticket", and holds Call.
#[test]
fn contact_tickets_under_way_hold_the_ticket_choice() {
    let cat = Catalogue::english();
    let d = DialScreen::open(
        EntryPoint::Contact {
            number: A.into(),
            user_id: 1,
        },
        ctx(Settings::default(), None),
    );
    let reading_ann = Pending {
        users: vec![1],
        ..Pending::default()
    };
    let mut known_without_tickets = ann();
    known_without_tickets.tickets.clear();
    let v = d.view_with(&known_without_tickets, &reading_ann, &cat);
    assert_eq!(v.ticket.mode, TicketMode::Loading);
    assert!(v.ticket.options.is_empty());
    assert!(!v.call_enabled);
    assert!(d
        .call_with(&known_without_tickets, &reading_ann, &cat)
        .is_err());
    let v = d.view_with(&ann(), &Pending::default(), &cat);
    assert_eq!(v.ticket.selected, Some(TicketChoice::Existing(11)));
    assert!(v.call_enabled);
}

// Item 2, MATRIX-M.*: after the agent picks one of several contacts, that contact's tickets
// are read; until then no ticket is chosen for them.
#[test]
fn picked_contact_tickets_under_way_hold_call() {
    let cat = Catalogue::english();
    let mut crm = ann();
    crm.contacts.push(Contact {
        id: 2,
        name: "Bo".into(),
        phone: Some(A.into()),
        created_at: 200,
        ..Default::default()
    });
    let mut d = typed(Settings::default());
    d.choose_contact(2);
    let reading_bo = Pending {
        users: vec![2],
        ..Pending::default()
    };
    let v = d.view_with(&crm, &reading_bo, &cat);
    assert_eq!(v.ticket.mode, TicketMode::Loading);
    assert!(!v.call_enabled);
    let plan = d.call_with(&crm, &Pending::default(), &cat).unwrap();
    assert_eq!(plan.contact, ContactPlan::Existing { id: 2 });
    assert_eq!(plan.ticket, TicketPlan::New);
}

// Item 2, FLOW-9: "Enter new number" on a ticket still being read names no contact yet.
#[test]
fn context_ticket_under_way_holds_enter_new_number() {
    let cat = Catalogue::english();
    let mut d = DialScreen::open(
        EntryPoint::TicketNewNumber { ticket_id: 11 },
        ctx(Settings::default(), None),
    );
    d.set_number("+14155550177");
    let reading = Pending {
        tickets: vec![11],
        ..Pending::default()
    };
    let v = d.view_with(&CrmState::default(), &reading, &cat);
    assert_eq!(v.contact.mode, ContactMode::Loading);
    assert!(!v.call_enabled);
}

// Item 2, TEAM-10: a typed Ticket ID being read is not "not found" yet (no banner flashes).
#[test]
fn team_ticket_under_way_is_not_reported_missing() {
    let cat = Catalogue::english();
    let mut s = Settings::default();
    s.operation.team_ticket_entry = true;
    let team = Team {
        id: 5,
        name: "T".into(),
        ticket_id_entry: TicketIdEntry {
            enabled: true,
            required: true,
        },
    };
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, Some(team)));
    d.set_ticket_id_text("11");
    let reading = Pending {
        tickets: vec![11],
        ..Pending::default()
    };
    let v = d.view_with(&CrmState::default(), &reading, &cat);
    assert_eq!(v.blocker, Some(DialError::ContactLoading));
    assert!(!v.blocker.unwrap().is_banner());
    let v = d.view_with(&CrmState::default(), &Pending::default(), &cat);
    assert_eq!(v.blocker, Some(DialError::TicketNotFound { id: 11 }));
}

// SET-16 (item 1): a screen opened with the settings of sign-in holds Call until the settings
// read at opening answer, then follows them: "Do not create a ticket" switched off since
// sign-in is no longer offered, and "Prompt agents to select an open ticket" switched off
// picks the most recent open ticket by itself (SET-2).
#[test]
fn settings_read_at_opening_replace_those_of_sign_in() {
    let cat = Catalogue::english();
    let mut at_sign_in = Settings::default();
    at_sign_in.operation.allow_do_not_create_ticket = true;
    at_sign_in.operation.prompt_select_open_ticket = true;
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(at_sign_in, None));
    d.set_number(A);
    d.expect_settings();
    let v = d.view_with(&ann(), &Pending::default(), &cat);
    assert!(!v.call_enabled, "Call waits for the settings");
    assert_eq!(d.call(&ann(), &cat), Err(DialError::ContactLoading));

    let now = Settings::default(); // an admin switched both off
    d.apply_settings(now.clone(), None);
    assert_eq!(d.settings(), &now);
    let v = d.view(&ann(), &cat);
    assert!(v
        .ticket
        .options
        .iter()
        .all(|o| o.choice != TicketChoice::DoNotCreate));
    assert_eq!(v.ticket.mode, TicketMode::ReadOnly);
    assert_eq!(v.ticket.selected, Some(TicketChoice::Existing(11)));
    assert!(v.call_enabled);
}

// SET-16: the same settings applied again change nothing the agent chose.
#[test]
fn unchanged_settings_keep_the_agents_choices() {
    let cat = Catalogue::english();
    let mut s = Settings::default();
    s.operation.allow_do_not_create_ticket = true;
    let mut d = typed(s.clone());
    d.choose_ticket(TicketChoice::DoNotCreate);
    d.expect_settings();
    d.apply_settings(s, None);
    let v = d.view(&ann(), &cat);
    assert_eq!(v.ticket.selected, Some(TicketChoice::DoNotCreate));
}

// SET-16: only a keypad the agent has not begun to use may take settings saved since it
// opened; anything typed, picked or entered (a Ticket ID), a context entry, or its own settings
// read still out keeps the screen's settings until the next opening.
#[test]
fn only_an_untouched_keypad_takes_settings_saved_since_it_opened() {
    let keypad = || DialScreen::open(EntryPoint::Keypad, ctx(Settings::default(), None));
    assert!(keypad().untouched());

    let mut d = keypad();
    d.press(Key::Digit(4));
    assert!(!d.untouched(), "a digit typed");
    d.backspace();
    assert!(
        d.untouched(),
        "typed and deleted again: nothing of the agent's is left"
    );

    let mut d = typed(Settings::default());
    d.choose_contact(1);
    assert!(!d.untouched(), "a number typed and its contact picked");

    let mut d = keypad();
    d.set_number("x123");
    assert!(!d.untouched(), "an extension pasted alone");

    let mut d = keypad();
    d.designate_contact(Some(1));
    assert!(!d.untouched(), "a contact designated");

    let mut d = keypad();
    d.set_ticket_id_text("12");
    assert!(!d.untouched(), "a Ticket ID entered");

    let mut d = keypad();
    d.expect_settings();
    assert!(!d.untouched(), "its own settings read is still out");
    d.apply_settings(Settings::default(), None);
    assert!(d.untouched());

    let from_profile = DialScreen::open(
        EntryPoint::Contact {
            number: A.into(),
            user_id: 1,
        },
        ctx(Settings::default(), None),
    );
    assert!(!from_profile.untouched(), "a click-to-call's screen");
}

// UI-7: "+" or a few digits typed are not called wrong while the agent types; Next (or leaving
// the field) judges the number; a paste is judged at once.
#[test]
fn a_number_is_judged_when_the_agent_is_done() {
    let cat = Catalogue::english();
    let refusal = cat.get(Label::ErrNumberNotPossible).to_owned();
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(Settings::default(), None));
    d.press(Key::Plus);
    let v = d.view(&CrmState::default(), &cat);
    assert!(!v.call_enabled);
    assert_eq!(v.message, None, "no refusal while typing");
    for k in [1, 4, 1, 5] {
        d.press(Key::Digit(k));
    }
    assert_eq!(d.view(&CrmState::default(), &cat).message, None);
    d.judge_number();
    assert_eq!(
        d.view(&CrmState::default(), &cat).message,
        Some(refusal.clone())
    );
    // Typing again: quiet until judged again.
    d.press(Key::Digit(5));
    assert_eq!(d.view(&CrmState::default(), &cat).message, None);
    // A pasted number is whole: judged at once.
    d.set_number("+1415");
    assert_eq!(
        d.view(&CrmState::default(), &cat).message,
        Some(refusal.clone())
    );
    // Typed into the field character by character: quiet until done.
    d.type_number("+1415");
    assert_eq!(d.view(&CrmState::default(), &cat).message, None);
}

// FLOW-9, TEAM-15: the context ticket of a Call-menu entry is read whatever the Ticket ID text
// says (the agent may clear or change it), since its requester is the designated contact.
// Used to survive mutation: the lookup arm of the context ticket deleted (the pre-filled Ticket
// ID text asked for the same ticket until it was edited).
#[test]
fn the_context_ticket_is_read_even_after_the_ticket_id_is_edited() {
    let mut d = DialScreen::open(
        EntryPoint::TicketNewNumber { ticket_id: 11 },
        ctx(Settings::default(), None),
    );
    d.set_ticket_id_text("");
    assert_eq!(d.lookups().tickets, vec![11]);
    d.set_ticket_id_text("12");
    assert!(d.lookups().tickets.contains(&11));
}

// A reload in the middle of a dial screen loses nothing: the agent's work (the number, the
// choices, the Ticket ID, the outbound number) comes back on a screen opened with the context of
// now; a screen with no work keeps nothing.
#[test]
fn the_agents_work_on_a_dial_screen_outlives_a_reload() {
    let fresh = DialScreen::open(EntryPoint::Keypad, ctx(Settings::default(), None));
    assert_eq!(fresh.work(), None, "a fresh keypad keeps nothing");
    let mut d = typed(Settings::default());
    d.choose_contact(1);
    d.choose_ticket(TicketChoice::Existing(11));
    d.set_outbound_number("+15550001");
    d.set_language("it");
    let work = d.work().expect("a number typed is work");
    // Kept as text (the tab's session storage) and read back.
    let text = serde_json::to_string(&work).unwrap();
    assert!(!text.contains("operation"), "no settings kept: {text}");
    let back: DialWork = serde_json::from_str(&text).unwrap();
    let again = DialScreen::resume(back, ctx(Settings::default(), None));
    let cat = Catalogue::default();
    assert_eq!(again.buffer(), d.buffer());
    assert_eq!(
        again.view(&ann(), &cat),
        d.view(&ann(), &cat),
        "the same screen"
    );
    assert_eq!(
        again.call(&ann(), &cat),
        d.call(&ann(), &cat),
        "the same call"
    );
    // An outbound number no longer offered falls back to the default.
    let mut fewer = ctx(Settings::default(), None);
    fewer.options.numbers.retain(|n| n.number != "+15550001");
    let moved = DialScreen::resume(d.work().unwrap(), fewer);
    assert_eq!(
        moved.remembered().outbound_number.as_deref(),
        Some("+15550002")
    );
    assert_eq!(moved.remembered().language.as_deref(), Some("it"));
    assert!(!work.on_keypad(), "a number done with: back on the choices");
    // The country picked is kept, and a number still being typed goes back to the keypad.
    let mut it = DialScreen::open(EntryPoint::Keypad, ctx(Settings::default(), None));
    it.set_region("IT");
    it.type_number("02 1234 5678");
    let w = it.work().unwrap();
    assert!(w.on_keypad(), "still typing: back on the keypad");
    let back = DialScreen::resume(w, ctx(Settings::default(), None));
    assert_eq!(back.region(), "IT");
    assert_eq!(
        back.lookups(),
        it.lookups(),
        "the number read in the country picked"
    );
    // A click-to-call's screen is work even before anything is typed.
    let clicked = DialScreen::open(
        EntryPoint::Contact {
            number: A.into(),
            user_id: 1,
        },
        ctx(Settings::default(), None),
    );
    assert!(clicked.work().is_some());
}
