//! MATRIX: the nine cells of spec §5, each under the defaults and under every setting the cell
//! says changes it, plus the rules of the dial screen that the cells rely on (SET, UI, FLOW, OUT).

use domain::crm::{Contact, CrmState, Ticket, TicketStatus};
use domain::dial::*;
use domain::labels::{Catalogue, Label};
use domain::phone::Key;
use domain::settings::{Settings, Team, TicketIdEntry};

const A: &str = "+14155550100"; // the dialled number
const B: &str = "+14155550199"; // another number of contact 1 (rows 0.*)

mod common;
use common::{ctx, options};

/// CRM data for a cell: `n` = contacts with the number (0, 1, 2), `t` = open tickets of contact 1.
fn crm(n: u8, t: u8) -> CrmState {
    let c1 = Contact {
        id: 1,
        name: "Ann".into(),
        phone: Some(if n == 0 { B.into() } else { A.into() }),
        created_at: 100,
        ..Default::default()
    };
    let mut contacts = vec![c1];
    if n >= 2 {
        contacts.push(Contact {
            id: 2,
            name: "Bo".into(),
            phone: Some("(415) 555-0100".into()),
            created_at: 200,
            ..Default::default()
        });
    }
    // A solved ticket never counts (OQ-4); another contact's open ticket never counts (MATRIX-2).
    let mut tickets = vec![
        Ticket::new(10, TicketStatus::Solved, 1, 300),
        Ticket::new(20, TicketStatus::Open, 2, 400),
    ];
    if t >= 1 {
        tickets.push(Ticket::new(11, TicketStatus::Pending, 1, 100));
    }
    if t >= 2 {
        tickets.push(Ticket::new(12, TicketStatus::Hold, 1, 200));
    }
    CrmState {
        contacts,
        tickets,
        gone: Vec::new(),
    }
}

fn settings(variant: &str) -> (Settings, Option<Team>) {
    let mut s = Settings::default();
    let mut team = None;
    for part in variant.split('+') {
        match part {
            "default" => {}
            "SET-3" => s.operation.prompt_select_open_ticket = true,
            "SET-5" => s.operation.allow_create_new_ticket = true,
            "SET-7" => s.operation.allow_do_not_create_ticket = true,
            "SET-10" => s.operation.allow_use_entered_number = true,
            "SET-11" => s.operation.do_not_append = true,
            "TEAM-4" => {
                s.operation.team_ticket_entry = true;
                team = Some(Team {
                    id: 5,
                    name: "T".into(),
                    ticket_id_entry: TicketIdEntry {
                        enabled: true,
                        required: false,
                    },
                });
            }
            other => panic!("unknown variant {other}"),
        }
    }
    (s, team)
}

fn choice(s: &str) -> TicketChoice {
    match s {
        "N" => TicketChoice::New,
        "D" => TicketChoice::DoNotCreate,
        id => TicketChoice::Existing(id.parse().unwrap()),
    }
}

/// Opens the dial screen for a cell: row `0` designates contact 1 for a number it does not store
/// (ticking the checkbox when SET-10 offers it); row `M` chooses contact 1 in the chooser.
fn screen(cell: &str, variant: &str) -> (DialScreen, CrmState) {
    let (row, col) = cell.split_once('.').unwrap();
    let t = match col {
        "0" => 0,
        "1" => 1,
        _ => 2,
    };
    let n = match row {
        "0" => 0,
        "1" => 1,
        _ => 2,
    };
    let (s, team) = settings(variant);
    let entered = s.operation.allow_use_entered_number;
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, team));
    d.set_number("415 555 0100");
    if row == "0" && col != "0" {
        d.designate_contact(Some(1));
        if entered {
            d.set_use_entered_number(true);
        }
    }
    if row == "M" {
        d.choose_contact(1);
    }
    (d, crm(n, t))
}

// MATRIX-4, MATRIX-0.0, MATRIX-0.1, MATRIX-0.M, MATRIX-1.0, MATRIX-1.1, MATRIX-1.M, MATRIX-M.0,
// MATRIX-M.1, MATRIX-M.M: every cell × every setting its "Changed by" names. This is also
// OUT-1, OUT-11, SET-13, OUT-7 (settings change the options shown), OUT-2 (choice among the
// contact's tickets) and OUT-3 (existing, new or no ticket is configurable, not hard-wired).
// Columns: cell, settings, ticket mode, ticket options, selected, blocker, checkbox.
#[test]
fn matrix_cells_under_each_setting() {
    use TicketMode::*;
    #[rustfmt::skip]
    let rows: &[(&str, &str, TicketMode, &str, &str, &str, &str)] = &[
        // MATRIX-0.0: new contact + new ticket. SET-7, SET-10 change it; SET-3/5 do not.
        ("0.0", "default",       ReadOnly, "N",     "N",  "",          "hidden"),
        ("0.0", "SET-3+SET-5",   ReadOnly, "N",     "N",  "",          "hidden"),
        ("0.0", "SET-7",         ReadOnly, "N,D",   "N",  "",          "hidden"),
        ("0.0", "SET-10",        ReadOnly, "N",     "N",  "",          "off"),
        ("0.0", "SET-11",        Hidden,   "",      "N",  "",          "hidden"),
        // MATRIX-0.1: refused by default; SET-10 uses the one open ticket as in 1.1.
        ("0.1", "default",       ReadOnly, "11",    "11", "unsaved",   "hidden"),
        ("0.1", "SET-10",        ReadOnly, "11",    "11", "",          "on"),
        ("0.1", "SET-10+SET-3",  Chooser,  "11",    "-",  "ticket",    "on"),
        ("0.1", "SET-10+SET-3+SET-5", Chooser, "11,N", "-", "ticket",  "on"),
        ("0.1", "SET-10+SET-7",  ReadOnly, "11,D",  "11", "",          "on"),
        ("0.1", "SET-10+SET-11", Hidden,   "",      "N",  "",          "on"),
        // MATRIX-0.M: as 0.1; SET-10 picks the most recent open ticket (12) or the chooser.
        ("0.M", "default",       ReadOnly, "12",    "12", "unsaved",   "hidden"),
        ("0.M", "SET-10",        ReadOnly, "12",    "12", "",          "on"),
        ("0.M", "SET-10+SET-3",  Chooser,  "12,11", "-",  "ticket",    "on"),
        ("0.M", "SET-10+SET-3+SET-5+SET-7", Chooser, "12,11,N,D", "-", "ticket", "on"),
        ("0.M", "SET-10+SET-11", Hidden,   "",      "N",  "",          "on"),
        // MATRIX-1.0: contact auto-filled, new ticket. SET-3/5/11 no visible change beyond OQ-6.
        ("1.0", "default",       ReadOnly, "N",     "N",  "",          "hidden"),
        ("1.0", "SET-3",         ReadOnly, "N",     "N",  "",          "hidden"),
        ("1.0", "SET-3+SET-5",   ReadOnly, "N",     "N",  "",          "hidden"),
        ("1.0", "SET-7",         ReadOnly, "N,D",   "N",  "",          "hidden"),
        ("1.0", "SET-10",        ReadOnly, "N",     "N",  "",          "off"),
        ("1.0", "SET-11",        Hidden,   "",      "N",  "",          "hidden"),
        // MATRIX-1.1: contact and its ticket auto-filled.
        ("1.1", "default",       ReadOnly, "11",    "11", "",          "hidden"),
        ("1.1", "SET-5",         ReadOnly, "11",    "11", "",          "hidden"),
        ("1.1", "SET-3",         Chooser,  "11",    "-",  "ticket",    "hidden"),
        ("1.1", "SET-3+SET-5",   Chooser,  "11,N",  "-",  "ticket",    "hidden"),
        ("1.1", "SET-7",         ReadOnly, "11,D",  "11", "",          "hidden"),
        ("1.1", "SET-3+SET-7",   Chooser,  "11,D",  "-",  "ticket",    "hidden"),
        ("1.1", "SET-11",        Hidden,   "",      "N",  "",          "hidden"),
        ("1.1", "SET-11+SET-7",  Hidden,   "N,D",   "N",  "",          "hidden"),
        ("1.1", "SET-10",        ReadOnly, "11",    "11", "",          "off"),
        // MATRIX-1.M: most recent open ticket auto-filled (OQ-5).
        ("1.M", "default",       ReadOnly, "12",    "12", "",          "hidden"),
        ("1.M", "SET-3",         Chooser,  "12,11", "-",  "ticket",    "hidden"),
        ("1.M", "SET-3+SET-5",   Chooser,  "12,11,N", "-", "ticket",   "hidden"),
        ("1.M", "SET-7",         ReadOnly, "12,D",  "12", "",          "hidden"),
        ("1.M", "SET-11",        Hidden,   "",      "N",  "",          "hidden"),
        ("1.M", "SET-10",        ReadOnly, "12",    "12", "",          "off"),
        // MATRIX-M.0 / M.1 / M.M: after the agent picks contact 1, as 1.0 / 1.1 / 1.M.
        ("M.0", "default",       ReadOnly, "N",     "N",  "",          "hidden"),
        ("M.0", "SET-7",         ReadOnly, "N,D",   "N",  "",          "hidden"),
        ("M.0", "SET-10",        ReadOnly, "N",     "N",  "",          "off"),
        ("M.0", "SET-11",        Hidden,   "",      "N",  "",          "hidden"),
        ("M.1", "default",       ReadOnly, "11",    "11", "",          "hidden"),
        ("M.1", "SET-3",         Chooser,  "11",    "-",  "ticket",    "hidden"),
        ("M.1", "SET-3+SET-5",   Chooser,  "11,N",  "-",  "ticket",    "hidden"),
        ("M.1", "SET-7",         ReadOnly, "11,D",  "11", "",          "hidden"),
        ("M.1", "SET-11",        Hidden,   "",      "N",  "",          "hidden"),
        ("M.1", "SET-10",        ReadOnly, "11",    "11", "",          "off"),
        ("M.M", "default",       ReadOnly, "12",    "12", "",          "hidden"),
        ("M.M", "SET-3",         Chooser,  "12,11", "-",  "ticket",    "hidden"),
        ("M.M", "SET-3+SET-5+SET-7", Chooser, "12,11,N,D", "-", "ticket", "hidden"),
        ("M.M", "SET-7",         ReadOnly, "12,D",  "12", "",          "hidden"),
        ("M.M", "SET-11",        Hidden,   "",      "N",  "",          "hidden"),
        ("M.M", "SET-10",        ReadOnly, "12",    "12", "",          "off"),
    ];
    let cat = Catalogue::english();
    for &(cell, variant, mode, opts, selected, blocker, checkbox) in rows {
        let (d, crm) = screen(cell, variant);
        let v = d.view(&crm, &cat);
        let what = format!("MATRIX-{cell} under {variant}");
        assert_eq!(v.ticket.mode, mode, "{what}: ticket mode");
        let got: Vec<TicketChoice> = v.ticket.options.iter().map(|o| o.choice).collect();
        let want: Vec<TicketChoice> = opts
            .split(',')
            .filter(|s| !s.is_empty())
            .map(choice)
            .collect();
        assert_eq!(got, want, "{what}: ticket options");
        let want_sel = (selected != "-").then(|| choice(selected));
        assert_eq!(v.ticket.selected, want_sel, "{what}: selected ticket");
        let want_blocker = match blocker {
            "" => None,
            "unsaved" => Some(DialError::UnsavedNumberDisabled),
            "ticket" => Some(DialError::TicketNotChosen),
            other => panic!("{other}"),
        };
        assert_eq!(v.blocker, want_blocker, "{what}: blocker");
        assert_eq!(
            v.call_enabled,
            want_blocker.is_none(),
            "{what}: call enabled"
        );
        let want_box = match checkbox {
            "hidden" => None,
            "off" => Some(false),
            _ => Some(true),
        };
        assert_eq!(v.use_entered_number, want_box, "{what}: checkbox");
        // Contact: row 0.0 "New contact", every other cell has contact 1 (designated, auto or picked).
        let want_contact = if cell == "0.0" {
            ContactChoice::New
        } else {
            ContactChoice::Existing(1)
        };
        assert_eq!(v.contact.selected, Some(want_contact), "{what}: contact");
        // The plan, when Call is enabled, appends to the selected ticket or creates one.
        if v.call_enabled {
            let plan = d.call(&crm, &cat).unwrap();
            assert_eq!(plan.to, A, "{what}");
            let want_ticket = match want_sel.unwrap() {
                TicketChoice::Existing(id) => TicketPlan::Existing { id },
                TicketChoice::New => TicketPlan::New,
                TicketChoice::DoNotCreate => TicketPlan::None,
            };
            assert_eq!(plan.ticket, want_ticket, "{what}: plan");
            assert_eq!(
                plan.entered_number,
                want_box == Some(true),
                "{what}: entered"
            );
        } else {
            assert_eq!(
                d.call(&crm, &cat).unwrap_err(),
                want_blocker.unwrap(),
                "{what}: refusal"
            );
        }
    }
}

// MATRIX-4: TEAM-4 changes every cell: Ticket ID becomes free entry; optional and blank, the
// typed number gets a new ticket (OQ-19); an entered ticket replaces the number (TEAM-6).
#[test]
fn matrix_cells_under_team_entry() {
    let cat = Catalogue::english();
    for cell in ["0.0", "1.0", "1.1", "1.M", "M.0", "M.1", "M.M"] {
        let (mut d, crm) = screen(cell, "TEAM-4");
        let v = d.view(&crm, &cat);
        assert_eq!(
            v.ticket.mode,
            TicketMode::Entry { required: false },
            "MATRIX-{cell} TEAM-4"
        );
        assert_eq!(
            v.ticket.selected,
            Some(TicketChoice::New),
            "MATRIX-{cell} TEAM-4"
        );
        assert_eq!(v.use_entered_number, None, "TEAM-18: checkbox hidden");
        assert!(v.call_enabled, "MATRIX-{cell} TEAM-4 blank optional");
        assert_eq!(d.call(&crm, &cat).unwrap().ticket, TicketPlan::New);
        if cell.ends_with(".1") || cell.ends_with(".M") {
            d.set_ticket_id_text("11");
            let v = d.view(&crm, &cat);
            assert!(v.number_read_only && v.call_enabled, "MATRIX-{cell} TEAM-6");
            let plan = d.call(&crm, &cat).unwrap();
            assert_eq!(plan.ticket, TicketPlan::Existing { id: 11 });
            assert_eq!(plan.contact, ContactPlan::Existing { id: 1 });
        }
    }
    // MATRIX-0.1 / 0.M under TEAM-4: "Enter new number" from the ticket Call menu is refused.
    let (s, team) = settings("TEAM-4");
    let d = DialScreen::open(EntryPoint::TicketNewNumber { ticket_id: 11 }, ctx(s, team));
    assert_eq!(
        d.view(&crm(0, 1), &cat).blocker,
        Some(DialError::TeamEnterNewNumber)
    );
}

// MATRIX-M.*, UI-15, OQ-14, OUT-4: several contacts: chooser newest first, nothing preselected,
// Call disabled until a pick; no automatic fallback on outbound.
#[test]
fn contact_chooser_before_choice() {
    let cat = Catalogue::english();
    let (s, team) = settings("default");
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, team));
    d.set_number("+1 415 555 0100");
    let crm = crm(2, 2);
    let v = d.view(&crm, &cat);
    assert_eq!(v.contact.mode, ContactMode::Chooser);
    assert_eq!(
        v.contact.options.iter().map(|o| o.id).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(v.contact.selected, None);
    assert_eq!(v.ticket.mode, TicketMode::AwaitingContact);
    assert_eq!(v.blocker, Some(DialError::ContactNotChosen));
    assert_eq!(d.call(&crm, &cat), Err(DialError::ContactNotChosen));
    // MATRIX-2: T counts only the chosen contact's tickets: contact 2 has ticket 20.
    d.choose_contact(2);
    let v = d.view(&crm, &cat);
    assert_eq!(v.ticket.selected, Some(TicketChoice::Existing(20)));
    // OUT-12: changing the number re-runs the contact step.
    d.set_number("+1 415 555 0101");
    assert_eq!(d.view(&crm, &cat).contact.mode, ContactMode::New);
}

// UI-15, SET-7: the ticket the agent chose for a contact stays when the same contact is chosen
// again (Enter on the contact list's chosen entry); before, "Do not create a ticket" went back
// to the contact's ticket, and the next Enter called on it. Another contact starts afresh.
#[test]
fn choosing_the_same_contact_again_keeps_the_ticket_chosen() {
    let cat = Catalogue::english();
    let (s, team) = settings("SET-7");
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, team));
    d.set_number("+1 415 555 0100");
    let crm = crm(2, 2);
    d.choose_contact(2);
    assert_eq!(
        d.view(&crm, &cat).ticket.selected,
        Some(TicketChoice::Existing(20))
    );
    d.choose_ticket(TicketChoice::DoNotCreate);
    assert_eq!(
        d.view(&crm, &cat).ticket.selected,
        Some(TicketChoice::DoNotCreate)
    );
    d.choose_contact(2);
    assert_eq!(
        d.view(&crm, &cat).ticket.selected,
        Some(TicketChoice::DoNotCreate)
    );
    assert_eq!(d.call(&crm, &cat).unwrap().ticket, TicketPlan::None);
    d.choose_contact(1);
    assert_ne!(
        d.view(&crm, &cat).ticket.selected,
        Some(TicketChoice::DoNotCreate)
    );
}

// MATRIX-1: users sharing a number count individually, whatever the stored format.
#[test]
fn matching_counts_each_user() {
    let mut crm = crm(2, 0);
    crm.contacts[0].shared_phone_number = true;
    crm.contacts[0].phone = Some("415.555.0100".into());
    assert_eq!(crm.contacts_with_number(A, "US").len(), 2);
}

// MATRIX-3, FLOW-2, FLOW-3, UI-3: a context user fixes the contact (N treated as 1) and the
// display shows the associated number.
#[test]
fn context_user_fixes_contact() {
    let cat = Catalogue::english();
    let (s, _) = settings("default");
    let d = DialScreen::open(
        EntryPoint::Contact {
            number: "(415) 555-0100".into(),
            user_id: 2,
        },
        ctx(s, None),
    );
    let crm = crm(2, 2);
    let v = d.view(&crm, &cat);
    assert_eq!(v.contact.mode, ContactMode::Fixed);
    assert_eq!(v.contact.selected, Some(ContactChoice::Existing(2)));
    assert_eq!(v.number_text, "(415) 555-0100");
    assert_eq!(v.ticket.selected, Some(TicketChoice::Existing(20)));
    assert!(v.call_enabled);
    assert_eq!(d.lookups().users, [2]);
}

// FLOW-3, SET-9: until the context user is read, whether the number is stored on it is unknown:
// Call waits with a "looking up" hint and no refusal banner (regression: the unsaved-number
// refusal flashed while the contact loaded).
#[test]
fn context_user_still_loading_is_not_refused() {
    let cat = Catalogue::english();
    let (s, _) = settings("default");
    let d = DialScreen::open(
        EntryPoint::Contact {
            number: "(415) 555-0100".into(),
            user_id: 2,
        },
        ctx(s, None),
    );
    let reading = Pending {
        users: vec![2],
        ..Pending::default()
    };
    let v = d.view_with(&CrmState::default(), &reading, &cat);
    assert!(!v.call_enabled);
    assert_eq!(v.blocker, Some(DialError::ContactLoading));
    assert!(!v.blocker.as_ref().unwrap().is_banner());
    assert!(
        d.call_with(&CrmState::default(), &reading, &cat).is_err(),
        "no call before the contact is known"
    );
    assert!(d.view(&crm(2, 2), &cat).call_enabled, "then as usual");
}

// FLOW-2, MATRIX-3: a click-to-call on a contact Zendesk no longer has (deleted, or merged into
// another user since the agent's page showed it). Once Zendesk answered 404 for it, the number
// decides the contact as from the keypad (here Ann, who holds the number, and her open ticket),
// and the agent is told why; the screen used to say "looking up" for good. Absent without that
// answer (its record still coming, by a search for an earlier number, say) it is looked up, and
// no deletion is claimed; while it is read again, too.
#[test]
fn context_user_gone_leaves_the_contact_to_the_number() {
    let cat = Catalogue::english();
    let (s, _) = settings("default");
    let d = DialScreen::open(
        EntryPoint::Contact {
            number: "(415) 555-0100".into(),
            user_id: 7,
        },
        ctx(s, None),
    );
    let absent = crm(1, 1);
    let gone = CrmState {
        gone: vec![7],
        ..crm(1, 1)
    };
    let reading = Pending {
        users: vec![7],
        ..Pending::default()
    };
    for (crm, pending) in [
        (&absent, &Pending::default()),
        (&absent, &reading),
        (&gone, &reading),
    ] {
        let v = d.view_with(crm, pending, &cat);
        assert_eq!(
            v.blocker,
            Some(DialError::ContactLoading),
            "{:?} {pending:?}",
            crm.gone
        );
        assert_eq!(v.contact_notice, None, "no deletion claimed");
    }
    let v = d.view(&gone, &cat);
    assert!(v.call_enabled, "{:?}", v.blocker);
    assert_eq!(v.contact.selected, Some(ContactChoice::Existing(1)));
    // The agent is told why another contact shows.
    let notice = v
        .contact_notice
        .expect("the contact clicked is said to be gone");
    assert_eq!(notice, cat.fill(Label::ContactGone, &[("id", &7)]));
    assert!(notice.contains("#7,"), "{notice}");
    let plan = d.call(&gone, &cat).unwrap();
    assert_eq!(plan.contact, ContactPlan::Existing { id: 1 });
    assert_eq!(plan.ticket, TicketPlan::Existing { id: 11 });
    // Nobody holds the number either: a new contact, as from the keypad.
    let nobody = CrmState {
        gone: vec![7],
        ..CrmState::default()
    };
    let plan = d.call(&nobody, &cat).unwrap();
    assert!(
        matches!(plan.contact, ContactPlan::New { .. }),
        "{:?}",
        plan.contact
    );
    // Read again and found (restored): no longer gone.
    let back = CrmState {
        gone: vec![7],
        ..crm(1, 1)
    };
    let mut back = back;
    back.contacts.push(domain::crm::Contact {
        id: 7,
        name: "Back".into(),
        phone: Some(A.into()),
        ..Default::default()
    });
    let v = d.view(&back, &cat);
    assert_eq!(v.contact.selected, Some(ContactChoice::Existing(7)));
    assert_eq!(v.contact_notice, None);
}

// MATRIX-3, FLOW-4, FLOW-5, OQ-16, OQ-15: the ticket Call menu fills number, contact and the
// ticket when open; a solved context ticket is ignored and the requester's tickets apply.
#[test]
fn context_ticket() {
    let cat = Catalogue::english();
    let (s, _) = settings("SET-3");
    let d = DialScreen::open(
        EntryPoint::Ticket {
            number: A.into(),
            user_id: 1,
            ticket_id: 11,
        },
        ctx(s.clone(), None),
    );
    let crm = crm(1, 2);
    let v = d.view(&crm, &cat);
    assert_eq!(
        v.ticket.mode,
        TicketMode::ReadOnly,
        "context ticket skips the chooser"
    );
    assert_eq!(v.ticket.selected, Some(TicketChoice::Existing(11)));
    assert_eq!(
        d.call(&crm, &cat).unwrap().ticket,
        TicketPlan::Existing { id: 11 }
    );
    let d = DialScreen::open(
        EntryPoint::Ticket {
            number: A.into(),
            user_id: 1,
            ticket_id: 10,
        },
        ctx(s, None),
    );
    let v = d.view(&crm, &cat);
    assert_eq!(
        v.ticket.mode,
        TicketMode::Chooser,
        "OQ-15: solved ticket 10 is not used"
    );
    assert_eq!(d.lookups().tickets, [10]);
}

// OUT-6 (one capability, the checkbox), FLOW-9, FLOW-10, OUT-9, OQ-2, SET-10, CONTACT-6, OUT-5, FLOW-8, UI-8: "Enter new number" ticks
// the checkbox; the dialled number goes to a ticket comment, never to the contact.
#[test]
fn enter_new_number_with_set10() {
    let cat = Catalogue::english();
    let (s, _) = settings("SET-10");
    let mut d = DialScreen::open(EntryPoint::TicketNewNumber { ticket_id: 11 }, ctx(s, None));
    let crm = crm(0, 2);
    let v = d.view(&crm, &cat);
    assert_eq!(v.use_entered_number, Some(true), "pre-ticked");
    assert!(v.number_placeholder, "UI-4 placeholder");
    assert_eq!(v.number_text, "(415) 123-4567");
    assert_eq!(v.blocker, Some(DialError::NoNumber));
    assert_eq!(
        v.ticket.selected,
        Some(TicketChoice::Existing(11)),
        "Ticket ID filled"
    );
    d.set_number("+44 20 7183 8750");
    let plan = d.call(&crm, &cat).unwrap();
    assert_eq!(plan.to, "+442071838750");
    assert_eq!(plan.contact, ContactPlan::Existing { id: 1 });
    assert_eq!(plan.ticket, TicketPlan::Existing { id: 11 });
    assert!(plan.entered_number);
    assert_eq!(
        plan.comments,
        ["Dialled number (not saved on the contact): +442071838750"]
    );
    // Unticking refuses an unsaved number (SET-10 needs the checkbox).
    d.set_use_entered_number(false);
    assert_eq!(
        d.call(&crm, &cat),
        Err(DialError::UnsavedNumberNeedsCheckbox)
    );
}

// SET-10, MATRIX-0.0 / 0.1: on the keypad the Contact ID can be typed for a number no contact
// has; the contact named stands only while that holds. A number edited to one another contact
// has decides the contact as from the keypad (MATRIX-1.*), not the one named for the old number.
#[test]
fn a_designated_contact_stands_only_for_a_number_no_contact_has() {
    let cat = Catalogue::english();
    let (s, _) = settings("SET-10");
    let mut crm = crm(0, 1);
    crm.contacts.push(Contact {
        id: 3,
        name: "Cy".into(),
        phone: Some("+12125550111".into()),
        created_at: 300,
        ..Default::default()
    });
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, None));
    d.set_number("+1 212 555 0100");
    assert!(
        d.view(&crm, &cat).contact_editable,
        "a number no contact has: the id can be typed"
    );
    d.designate_contact(Some(1));
    d.set_use_entered_number(true);
    let view = d.view(&crm, &cat);
    assert!(view.contact_editable, "and typed again");
    assert_eq!(view.contact.text, "Ann");
    let plan = d.call(&crm, &cat).unwrap();
    assert_eq!(plan.contact, ContactPlan::Existing { id: 1 });
    assert!(plan.entered_number);
    // The number edited to Cy's: Cy's call, on his terms; the field is his, read-only.
    d.set_number("+1 212 555 0111");
    let view = d.view(&crm, &cat);
    assert!(!view.contact_editable, "{view:?}");
    assert_eq!(view.contact.text, "Cy");
    let plan = d.call(&crm, &cat).unwrap();
    assert_eq!(plan.contact, ContactPlan::Existing { id: 3 });
    assert!(!plan.entered_number, "the number is Cy's");
    // Back to a number nobody has: Ann, named, again.
    d.set_number("+1 212 555 0100");
    assert_eq!(d.view(&crm, &cat).contact.text, "Ann");
}

// SET-10: a Contact ID typed that Zendesk does not have (its read answered 404) names nobody.
// Call is refused with the id, not placed for a new contact made from the number; while the id
// is read, Call waits; another id, or none, and the screen goes on.
#[test]
fn a_contact_id_zendesk_does_not_have_blocks_the_call() {
    let cat = Catalogue::english();
    let (s, _) = settings("SET-10");
    let mut crm = crm(0, 1);
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, None));
    d.set_number("+1 212 555 0100");
    d.set_use_entered_number(true);
    d.designate_contact(Some(99));
    let reading = Pending {
        users: vec![99],
        ..Pending::default()
    };
    let v = d.view_with(&crm, &reading, &cat);
    assert_eq!(v.blocker, Some(DialError::ContactLoading), "read first");
    crm.gone.push(99);
    let v = d.view(&crm, &cat);
    assert_eq!(v.blocker, Some(DialError::ContactNotFound { id: 99 }));
    assert!(!v.call_enabled);
    assert_eq!(v.message.as_deref(), Some("Contact #99 not found."));
    assert_eq!(v.contact.text, "#99", "what was typed stays");
    assert!(v.contact_editable, "and can be typed again");
    assert_eq!(v.contact_notice, None, "said once, by the error");
    assert_eq!(
        d.call(&crm, &cat).unwrap_err(),
        DialError::ContactNotFound { id: 99 }
    );
    // The number edited while the id stands: until its search answers (it may name someone
    // else) the screen is looking up, not refusing.
    d.set_number("+1 212 555 0199");
    let searching = Pending {
        numbers: vec!["+12125550199".into()],
        ..Pending::default()
    };
    let v = d.view_with(&crm, &searching, &cat);
    assert_eq!(v.blocker, Some(DialError::ContactLoading));
    assert_eq!(v.contact.mode, ContactMode::Loading);
    assert!(
        !v.message.as_deref().unwrap_or("").contains("not found"),
        "{:?}",
        v.message
    );
    // Answered, nobody with it: the id is refused again.
    let v = d.view(&crm, &cat);
    assert_eq!(v.blocker, Some(DialError::ContactNotFound { id: 99 }));
    d.set_number("+1 212 555 0100");
    // Ann's id: her call, on the number typed.
    d.designate_contact(Some(1));
    let plan = d.call(&crm, &cat).unwrap();
    assert_eq!(plan.contact, ContactPlan::Existing { id: 1 });
    assert!(plan.entered_number);
    // No id: a new contact from the number, as before anything was typed.
    d.designate_contact(None);
    let v = d.view(&crm, &cat);
    assert_eq!(v.contact.text, cat.get(Label::NewContact));
    let plan = d.call(&crm, &cat).unwrap();
    assert!(
        matches!(plan.contact, ContactPlan::New { .. }),
        "{:?}",
        plan.contact
    );
}

// FLOW-10, CONTACT-6, CONTACT-7: the ticked box means "call this number for this contact
// without saving it". With no contact designated (MATRIX-0.0: a new contact is made from the
// number) or for a number the contact has, it changes nothing: the ticket is not told the
// number is "not saved on the contact", and the platform is not told an entered number.
#[test]
fn entered_number_only_for_a_number_the_contact_lacks() {
    let cat = Catalogue::english();
    let (s, _) = settings("SET-10");
    // MATRIX-0.0, box ticked, nobody designated.
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s.clone(), None));
    let crm0 = crm(0, 0);
    d.set_number("+1 212 555 0100");
    d.set_use_entered_number(true);
    assert_eq!(
        d.view(&crm0, &cat).use_entered_number,
        Some(true),
        "shown, ticked"
    );
    let plan = d.call(&crm0, &cat).unwrap();
    assert!(
        matches!(plan.contact, ContactPlan::New { .. }),
        "{:?}",
        plan.contact
    );
    assert!(!plan.entered_number, "no contact to leave the number off");
    assert!(plan.comments.is_empty(), "{:?}", plan.comments);
    // A designated contact that has the number: ticked, still nothing to say.
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s.clone(), None));
    let crm1 = crm(0, 1);
    d.designate_contact(Some(1));
    d.set_number(B);
    d.set_use_entered_number(true);
    let plan = d.call(&crm1, &cat).unwrap();
    assert_eq!(plan.contact, ContactPlan::Existing { id: 1 });
    assert!(!plan.entered_number, "the number is the contact's");
    assert!(plan.comments.is_empty(), "{:?}", plan.comments);
    // The same contact, another number: the box does its work.
    d.set_number("+1 212 555 0100");
    let plan = d.call(&crm1, &cat).unwrap();
    assert!(plan.entered_number);
    assert_eq!(
        plan.comments,
        ["Dialled number (not saved on the contact): +12125550100"]
    );
}

// FLOW-11, SET-9, OQ-2, UI-16: without SET-10 the unsaved number is refused and the contact's
// stored numbers are offered; picking one is allowed.
#[test]
fn enter_new_number_with_set9() {
    let cat = Catalogue::english();
    let (s, _) = settings("default");
    let mut d = DialScreen::open(EntryPoint::TicketNewNumber { ticket_id: 11 }, ctx(s, None));
    let crm = crm(0, 1);
    let v = d.view(&crm, &cat);
    assert_eq!(v.use_entered_number, None, "UI-8: hidden without SET-10");
    assert_eq!(v.blocker, Some(DialError::UnsavedNumberDisabled));
    assert!(v.blocker.as_ref().unwrap().is_banner());
    assert!(v.message.unwrap().contains("not enabled"));
    assert_eq!(v.stored_numbers, [B]);
    d.set_number("+1 212 555 0100");
    assert_eq!(d.call(&crm, &cat), Err(DialError::UnsavedNumberDisabled));
    d.pick_stored_number(B);
    let plan = d.call(&crm, &cat).unwrap();
    assert_eq!((plan.to.as_str(), plan.entered_number), (B, false));
    assert!(plan.comments.is_empty());
}

// OUT-10, SET-7, SET-17, OQ-9, CONTACT-7: "Do not create a ticket" stores nothing, not even a new
// contact; without SET-7 it is never offered.
#[test]
fn do_not_create_ticket() {
    let cat = Catalogue::english();
    let (s, _) = settings("SET-7");
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, None));
    d.set_number(A);
    d.choose_ticket(TicketChoice::DoNotCreate);
    let plan = d.call(&crm(0, 0), &cat).unwrap();
    assert_eq!(plan.ticket, TicketPlan::None);
    assert_eq!(plan.contact, ContactPlan::None);
    // CONTACT-7, CONTACT-8: without it, a new contact with the E.164 number.
    d.choose_ticket(TicketChoice::New);
    let plan = d.call(&crm(0, 0), &cat).unwrap();
    assert_eq!(
        plan.contact,
        ContactPlan::New {
            phone: A.into(),
            name: format!("Caller {A}")
        }
    );
    // SET-17: default: never offered, a pick of it is ignored.
    let (s, _) = settings("default");
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, None));
    d.set_number(A);
    d.choose_ticket(TicketChoice::DoNotCreate);
    let v = d.view(&crm(1, 1), &cat);
    assert!(v
        .ticket
        .options
        .iter()
        .all(|o| o.choice != TicketChoice::DoNotCreate));
    assert_eq!(
        d.call(&crm(1, 1), &cat).unwrap().ticket,
        TicketPlan::Existing { id: 11 }
    );
}

// UI-7, UI-4, UI-11: an impossible number keeps Call disabled with a message; a possible but not
// valid one warns and allows Call.
#[test]
fn number_levels_on_screen() {
    let cat = Catalogue::english();
    let (s, _) = settings("default");
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, None));
    assert_eq!(
        d.view(&CrmState::default(), &cat).blocker,
        Some(DialError::NoNumber)
    );
    d.set_number("12345");
    let v = d.view(&CrmState::default(), &cat);
    assert!(matches!(
        v.blocker,
        Some(DialError::NumberNotPossible { .. })
    ));
    assert_eq!(
        v.message.as_deref(),
        Some("This is not a phone number that can be called.")
    );
    d.set_number("(415) 123-4567");
    let v = d.view(&CrmState::default(), &cat);
    assert!(v.call_enabled);
    assert!(v.number_warning.is_some());
    d.set_number("+1 415 555 2671 ext. 12");
    let plan = d.call(&CrmState::default(), &cat).unwrap();
    assert_eq!(
        (plan.to.as_str(), plan.extension.as_deref()),
        ("+14155552671", Some("12"))
    );
}

// UI-2, OQ-33: the plan carries outbound number and language; defaults from the queue's default
// number and the agent's language, remembered choices win while still offered.
#[test]
fn outbound_number_and_language() {
    let o = options();
    let none = RememberedChoice::default();
    assert_eq!(
        default_outbound(&o, "it", &none),
        (Some("+15550002".into()), Some("it".into()))
    );
    assert_eq!(
        default_outbound(&o, "de", &none),
        (Some("+15550002".into()), Some("en".into()))
    );
    let rem = RememberedChoice {
        outbound_number: Some("+15550001".into()),
        language: Some("it".into()),
    };
    assert_eq!(
        default_outbound(&o, "en", &rem),
        (Some("+15550001".into()), Some("it".into()))
    );
    let gone = RememberedChoice {
        outbound_number: Some("+19999".into()),
        language: None,
    };
    assert_eq!(
        default_outbound(&o, "en", &gone).0,
        Some("+15550002".into())
    );
    let cat = Catalogue::english();
    let (s, _) = settings("default");
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s.clone(), None));
    d.set_number(A);
    d.set_outbound_number("+15550001");
    d.set_language("it");
    let plan = d.call(&CrmState::default(), &cat).unwrap();
    assert_eq!(
        (plan.outbound_number.as_str(), plan.language.as_str()),
        ("+15550001", "it")
    );
    assert_eq!(d.remembered(), rem);
    // TEAM-14: no outbound number, no call.
    let mut c = ctx(s, None);
    c.options.numbers.clear();
    let mut d = DialScreen::open(EntryPoint::Keypad, c);
    d.set_number(A);
    assert_eq!(
        d.call(&CrmState::default(), &cat),
        Err(DialError::NoOutboundNumber)
    );
}

// SET-16: settings are copied when the screen opens; later changes need a new screen.
#[test]
fn settings_fixed_while_open() {
    let cat = Catalogue::english();
    let (mut s, _) = settings("default");
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s.clone(), None));
    d.set_number(A);
    s.operation.prompt_select_open_ticket = true;
    assert_eq!(d.view(&crm(1, 2), &cat).ticket.mode, TicketMode::ReadOnly);
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, None));
    d.set_number(A);
    assert_eq!(d.view(&crm(1, 2), &cat).ticket.mode, TicketMode::Chooser);
}

// UI-14: chooser entries carry id, subject, status and last update, most recent first.
#[test]
fn ticket_chooser_entries() {
    let cat = Catalogue::english();
    let (s, _) = settings("SET-3");
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, None));
    d.set_number(A);
    let v = d.view(&crm(1, 2), &cat);
    let first = &v.ticket.options[0];
    assert_eq!(first.label, "#12 Ticket 12");
    assert_eq!(first.status, Some(TicketStatus::Hold));
    assert_eq!(first.updated_at, Some(200));
    d.choose_ticket(TicketChoice::Existing(11));
    assert!(
        d.view(&crm(1, 2), &cat).call_enabled,
        "SET-3: enabled once chosen"
    );
}

// Serialisation: the plan is what the adapter posts to the platform.
#[test]
fn plan_serialises() {
    let plan = DialPlan {
        to: A.into(),
        extension: None,
        outbound_number: "+15550002".into(),
        language: "en".into(),
        contact: ContactPlan::Existing {
            id: 16_444_799_095_826,
        },
        ticket: TicketPlan::Existing { id: 4012 },
        entered_number: false,
        comments: vec![],
    };
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["ticket"]["kind"], "existing");
    assert_eq!(json["contact"]["id"], 16_444_799_095_826u64);
    assert_eq!(serde_json::from_value::<DialPlan>(json).unwrap(), plan);
}

// UI-7: the country picker reads numbers without a country code in the chosen country.
#[test]
fn country_picker_changes_how_numbers_are_read() {
    let cat = Catalogue::english();
    let (s, _) = settings("default");
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, None));
    d.set_number("02 1234 5678");
    d.set_region("it");
    assert_eq!(d.region(), "IT");
    assert_eq!(d.lookups().number.as_deref(), Some("+390212345678"));
    for unknown in ["ZZ", "QQ", "ITA", ""] {
        d.set_region(unknown);
        assert_eq!(d.region(), "IT", "an unknown code ({unknown:?}) is ignored");
    }
    let plan = d.call(&CrmState::default(), &cat).unwrap();
    assert_eq!(plan.to, "+390212345678");
}

// OQ-33, UI-2 (issue 11, item 6): the agent's language is matched to the offered languages by
// language, then region. An agent whose Zendesk locale is `it-IT` (or just `it`, or `IT_it`) gets
// `it-IT`, not the first offered language (regression: `it` was compared with `it-IT` exactly);
// a language not offered falls back to the default.
#[test]
fn oq_33_call_language_follows_the_locale_by_language_then_region() {
    let number = |n: &str, lang: &str, default: bool| OutboundNumber {
        number: n.into(),
        label: n.into(),
        queue_id: 1,
        lang: lang.into(),
        default,
    };
    let o = OutboundOptions {
        languages: vec!["en-US".into(), "it-IT".into(), "es-ES".into()],
        numbers: vec![
            number("+15550199001", "en-US", true),
            number("+390212345678", "it-IT", false),
        ],
    };
    let none = RememberedChoice::default();
    let language = |locale: &str| default_outbound(&o, locale, &none).1;
    for locale in ["it-IT", "it", "IT_it", "it_it", "it-CH", " it-IT "] {
        assert_eq!(language(locale).as_deref(), Some("it-IT"), "{locale}");
    }
    assert_eq!(language("es").as_deref(), Some("es-ES"));
    assert_eq!(language("en-GB").as_deref(), Some("en-US"));
    assert_eq!(language("fr-FR").as_deref(), Some("en-US"), "the default");
    assert_eq!(language("").as_deref(), Some("en-US"), "the default");
    // A remembered choice still offered wins over the locale.
    let rem = RememberedChoice {
        outbound_number: None,
        language: Some("es-ES".into()),
    };
    assert_eq!(
        default_outbound(&o, "it-IT", &rem).1.as_deref(),
        Some("es-ES")
    );
    // Exact locale first, then the region the outbound number's queue speaks, then the first
    // offered of the language.
    let o = OutboundOptions {
        languages: vec!["en-US".into(), "en-GB".into(), "it-IT".into()],
        numbers: vec![number("+442012345678", "en-GB", true)],
    };
    let language = |locale: &str| default_outbound(&o, locale, &none).1;
    assert_eq!(language("en-US").as_deref(), Some("en-US"));
    assert_eq!(language("en-GB").as_deref(), Some("en-GB"));
    assert_eq!(language("en").as_deref(), Some("en-GB"));
    assert_eq!(language("en-AU").as_deref(), Some("en-GB"));
}

// The tests below were written against mutants of `dial.rs` that every other test let through
// (scripts/mutants.sh): each names the rule a surviving mutant broke.

// UI-5, OUT-12: a key is typed into the number (`+` only first); typing or deleting re-runs the
// contact step, so a contact picked for the number before is no longer picked, even when the
// number comes back the same. Used to survive: `press` answering always true or always false,
// `backspace` and the reset doing nothing, `buffer` replaced by an empty one.
#[test]
fn keys_edit_the_number_and_clear_the_picks() {
    let cat = Catalogue::english();
    let (s, team) = settings("default");
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, team));
    d.set_number("+1 415 555 010");
    assert!(d.press(Key::Digit(0)), "a digit is typed");
    assert!(!d.press(Key::Plus), "`+` only as the first character");
    assert_eq!(d.buffer().as_str(), "+14155550100");
    let crm = crm(2, 2);
    d.choose_contact(2);
    assert_eq!(
        d.view(&crm, &cat).contact.selected,
        Some(ContactChoice::Existing(2))
    );
    d.press(Key::Digit(9));
    d.backspace();
    assert_eq!(d.buffer().as_str(), "+14155550100", "the same number again");
    let v = d.view(&crm, &cat);
    assert_eq!(v.contact.selected, None, "OUT-12: the pick is gone");
    assert_eq!(v.blocker, Some(DialError::ContactNotChosen));
}

// MATRIX-M.*, UI-15: only one of the listed contacts counts as the agent's pick; a stale id (a
// contact no longer among those with the number) leaves the chooser unpicked. Used to survive:
// `==` -> `!=` in the check, which took any id as picked.
#[test]
fn a_pick_outside_the_chooser_is_no_pick() {
    let cat = Catalogue::english();
    let (s, team) = settings("default");
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, team));
    d.set_number("+1 415 555 0100");
    d.choose_contact(99);
    let crm = crm(2, 2);
    let v = d.view(&crm, &cat);
    assert_eq!(v.contact.selected, None);
    assert_eq!(v.blocker, Some(DialError::ContactNotChosen));
    assert_eq!(d.call(&crm, &cat), Err(DialError::ContactNotChosen));
}

// FLOW-4, FLOW-9, MATRIX-3: the Call menu of a ticket fetches that ticket (with its requester),
// with a number or with "Enter new number". Used to survive: the ticket's lookup deleted.
#[test]
fn ticket_entry_points_look_up_their_ticket() {
    let (s, team) = settings("default");
    let d = DialScreen::open(
        EntryPoint::Ticket {
            number: A.into(),
            user_id: 1,
            ticket_id: 11,
        },
        ctx(s.clone(), team.clone()),
    );
    let l = d.lookups();
    assert_eq!((l.users, l.tickets), (vec![1], vec![11]));
    let d = DialScreen::open(EntryPoint::TicketNewNumber { ticket_id: 11 }, ctx(s, team));
    assert_eq!(d.lookups().tickets, vec![11]);
}

// SET-3, SET-5, UI-14: the chooser lists the open tickets, then "Create a new ticket" by that
// name. Used to survive: the entry's label dropped (an option with no text).
#[test]
fn chooser_names_create_a_new_ticket() {
    let cat = Catalogue::english();
    let mut s = Settings::default();
    s.operation.prompt_select_open_ticket = true;
    s.operation.allow_create_new_ticket = true;
    let mut d = DialScreen::open(EntryPoint::Keypad, ctx(s, None));
    d.set_number("+1 415 555 0100");
    let v = d.view(&crm(1, 2), &cat);
    let last = v.ticket.options.last().expect("options");
    assert_eq!(
        (last.choice, last.label.as_str()),
        (TicketChoice::New, "Create a new ticket")
    );
}
