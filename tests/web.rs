//! Browser tests of the adapter's screens, run in headless Chromium by wasm-bindgen-test.
//!
//! Each test mounts the screens into its own `<section>` (never touching `document.body`, which
//! the runner reads its results from) with the CRM data and settings of its case, acts through
//! the DOM as an agent would, and reads the result back. The network is not involved: these
//! tests prove the screens render `domain::dial` faithfully and send the right intents.
#![cfg(target_arch = "wasm32")]

use agent_adapter::{
    app::Screens,
    services::{
        browser::Browser,
        effects::{Intent, Recording},
        live::{ActiveCall, Adapter, CallPhase, Inbound, Screen},
    },
};
use domain::{
    crm::{Contact, CrmState, Ticket, TicketStatus},
    dial::{
        ContactPlan, DialContext, DialPlan, EntryPoint, OutboundNumber, OutboundOptions, TicketPlan,
    },
    settings::{Settings, Team, TicketIdEntry},
};
use leptos::{mount::mount_to, prelude::*, task::tick};
use std::{cell::Cell, rc::Rc};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement, KeyboardEvent, KeyboardEventInit};

wasm_bindgen_test_configure!(run_in_browser);

mod browser {
    pub mod serial;
}
use browser::serial::serial;

const NUMBER: &str = "+14155550100";

/// A mounted adapter in its own section; dropping it unmounts it and removes the section.
struct Mounted<H> {
    section: HtmlElement,
    adapter: Adapter,
    _handle: H,
}

impl<H> Drop for Mounted<H> {
    fn drop(&mut self) {
        self.section.remove();
    }
}

fn context(settings: Settings, team: Option<Team>) -> DialContext {
    DialContext {
        settings,
        team,
        region: "US".into(),
        agent_language: "en".into(),
        options: OutboundOptions {
            languages: vec!["en".into(), "it".into()],
            numbers: vec![
                OutboundNumber {
                    number: "+15550001".into(),
                    label: "Sales".into(),
                    queue_id: 1,
                    lang: "en".into(),
                    default: false,
                },
                OutboundNumber {
                    number: "+15550002".into(),
                    label: "Support".into(),
                    queue_id: 2,
                    lang: "en".into(),
                    default: true,
                },
            ],
        },
        remembered: Default::default(),
    }
}

/// Mounts the screens on the dial screen opened from `entry`.
fn mount(ctx: DialContext, crm: CrmState, entry: EntryPoint) -> Mounted<impl Sized> {
    let document = document();
    let section: HtmlElement = document.create_element("section").unwrap().unchecked_into();
    document.body().unwrap().append_child(&section).unwrap();
    let out = Rc::new(Cell::new(None));
    let handle = mount_to(section.clone(), {
        let out = out.clone();
        move || {
            let adapter = Adapter::new().provide();
            // The browser's effects, as in the app; without a connection to Zendesk (never made
            // here) only the clipboard reaches past the state.
            Browser::install(adapter);
            adapter.context.set(ctx);
            adapter.crm.set(crm);
            adapter.open_dial(entry);
            out.set(Some(adapter));
            view! { <Screens adapter=adapter/> }
        }
    });
    Mounted {
        section,
        adapter: out.take().unwrap(),
        _handle: handle,
    }
}

fn keypad_dial(ctx: DialContext, crm: CrmState) -> Mounted<impl Sized> {
    mount(ctx, crm, EntryPoint::Keypad)
}

fn find(id: &str) -> Option<HtmlElement> {
    document()
        .query_selector(&format!("[data-testid='{id}']"))
        .unwrap()
        .map(JsCast::unchecked_into)
}

fn by_test_id(id: &str) -> HtmlElement {
    find(id).unwrap_or_else(|| panic!("no element with data-testid={id}"))
}

fn value(id: &str) -> String {
    by_test_id(id).unchecked_into::<HtmlInputElement>().value()
}

fn text(id: &str) -> String {
    by_test_id(id).text_content().unwrap_or_default()
}

fn press_key(key: &str) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    document().body().unwrap().dispatch_event(&event).unwrap();
}

fn type_keys(keys: &str) {
    for c in keys.chars() {
        press_key(&c.to_string());
    }
}

fn call_enabled() -> bool {
    !by_test_id("call-button")
        .unchecked_into::<web_sys::HtmlButtonElement>()
        .disabled()
}

fn contact(id: u64, name: &str, phone: &str, created_at: i64) -> Contact {
    Contact {
        id,
        name: name.into(),
        phone: Some(phone.into()),
        created_at,
        ..Contact::default()
    }
}

fn ticket(id: u64, requester: u64, created_at: i64) -> Ticket {
    let mut t = Ticket::new(id, TicketStatus::Open, requester, created_at);
    t.subject = format!("Subject {id}");
    t
}

/// Enter on the keypad (Next: the choices), then Enter again (Call).
async fn next_then_call() {
    press_key("Enter");
    settle().await;
    press_key("Enter");
    settle().await;
}

/// Lets every scheduled effect run (a screen switch renders in more than one pass).
async fn settle() {
    for _ in 0..4 {
        tick().await;
    }
}

/// Types the number on the keypad screen and moves on to the choices (FLOW-6).
async fn enter_number() {
    type_keys(NUMBER);
    settle().await;
    by_test_id("keypad-next").click();
    settle().await;
}

// UI-4: an empty display shows the placeholder, and Call is disabled.
#[wasm_bindgen_test]
async fn empty_display_shows_placeholder_and_blocks_call() {
    let _page = serial().await;
    let _app = keypad_dial(context(Settings::default(), None), CrmState::default());
    settle().await;
    let input: HtmlInputElement = by_test_id("dial-number").unchecked_into();
    assert_eq!(input.value(), "");
    assert_eq!(input.placeholder(), "(415) 123-4567");
    assert!(!call_enabled(), "Call must be disabled with no number");
}

// UI-5: the on-screen keypad types into the display, in order, and backspace deletes.
#[wasm_bindgen_test]
async fn keypad_types_into_the_display() {
    let _page = serial().await;
    let _app = keypad_dial(context(Settings::default(), None), CrmState::default());
    settle().await;
    for id in ["plus", "3", "9", "0", "2", "star", "hash"] {
        by_test_id(&format!("keypad-key-{id}")).click();
    }
    settle().await;
    assert_eq!(value("dial-number"), "+3902*#");
    by_test_id("keypad-backspace").click();
    settle().await;
    assert_eq!(value("dial-number"), "+3902*");
    // UI-7: `+` is only accepted first.
    by_test_id("keypad-key-plus").click();
    settle().await;
    assert_eq!(value("dial-number"), "+3902*");
    assert!(
        !call_enabled(),
        "UI-7: a number that is not possible keeps Call disabled"
    );
    for d in 0..=9 {
        by_test_id(&format!("keypad-key-{d}")).click();
    }
    settle().await;
    assert_eq!(value("dial-number"), "+3902*0123456789");
}

// UI-5, UI-12: typing on the keyboard types into the display; Escape discards the draft.
#[wasm_bindgen_test]
async fn keyboard_types_into_the_display() {
    let _page = serial().await;
    let _app = keypad_dial(context(Settings::default(), None), CrmState::default());
    settle().await;
    for key in ["+", "4", "4", "a", "2", "0", "Backspace", "7"] {
        press_key(key);
    }
    settle().await;
    assert_eq!(
        value("dial-number"),
        "+4427",
        "letters are ignored, Backspace deletes"
    );
    press_key("Escape");
    settle().await;
    assert_eq!(value("dial-number"), "", "Escape discards the draft");
}

// UI-7: a pasted number loses its punctuation.
#[wasm_bindgen_test]
async fn paste_into_the_display_is_cleaned() {
    let _page = serial().await;
    let _app = keypad_dial(context(Settings::default(), None), CrmState::default());
    settle().await;
    let input: HtmlInputElement = by_test_id("dial-number").unchecked_into();
    input.set_value("+1 (415) 555-0100");
    input
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    settle().await;
    assert_eq!(value("dial-number"), NUMBER);
}

// The keyboard path: type a number, Enter (Next: the choices, nothing placed, though Call could
// be pressed at once), Enter again, the call starts (MATRIX-0.0 under the defaults: new contact,
// new ticket).
#[wasm_bindgen_test]
async fn type_a_number_and_press_enter_to_call() {
    let _page = serial().await;
    let app = keypad_dial(context(Settings::default(), None), CrmState::default());
    settle().await;
    type_keys(NUMBER);
    settle().await;
    assert!(call_enabled());
    press_key("Enter");
    settle().await;
    assert!(
        app.adapter.placed.with_untracked(Vec::is_empty),
        "the first Enter is Next: nothing placed"
    );
    assert!(find("keypad-next").is_none(), "the choices, not the keypad");
    press_key("Enter");
    settle().await;
    let placed: Vec<DialPlan> = app.adapter.placed.get_untracked();
    assert_eq!(placed.len(), 1, "the second Enter places exactly one call");
    let plan = &placed[0];
    assert_eq!(plan.to, NUMBER);
    assert!(
        matches!(plan.contact, ContactPlan::New { .. }),
        "{:?}",
        plan.contact
    );
    assert_eq!(plan.ticket, TicketPlan::New);
    // UI-2: the queue's default outbound number and the agent's language.
    assert_eq!(
        (plan.outbound_number.as_str(), plan.language.as_str()),
        ("+15550002", "en")
    );
    assert_eq!(app.adapter.screen.get_untracked(), Screen::InCall);
    assert!(
        find("hangup-button").is_some(),
        "the in-call screen has Hang up"
    );
    assert!(text("call-status").contains("Dialling"));
    // Enter again does not place a second call.
    press_key("Enter");
    settle().await;
    assert_eq!(app.adapter.placed.with_untracked(Vec::len), 1);
}

/// One MATRIX cell: contacts with the number and open tickets of the (chosen) contact.
fn cell_crm(contacts: usize, tickets: usize) -> CrmState {
    let mut crm = CrmState::default();
    for i in 0..contacts {
        crm.contacts.push(contact(
            10 + i as u64,
            &format!("Contact {i}"),
            NUMBER,
            100 + i as i64,
        ));
    }
    // Tickets belong to the newest contact (the only one, or the one the test picks).
    let owner = 10 + contacts.saturating_sub(1) as u64;
    for j in 0..tickets {
        crm.tickets
            .push(ticket(100 + j as u64, owner, 1_000 + j as i64));
    }
    crm
}

// MATRIX-1.0 … MATRIX-M.M under the defaults: what the screen shows and which call it places.
#[wasm_bindgen_test]
async fn matrix_cells_with_a_known_number_under_defaults() {
    let _page = serial().await;
    // (contacts, open tickets, expected ticket of the plan)
    let cells: [(usize, usize, TicketPlan); 6] = [
        (1, 0, TicketPlan::New),                  // MATRIX-1.0
        (1, 1, TicketPlan::Existing { id: 100 }), // MATRIX-1.1
        (1, 2, TicketPlan::Existing { id: 101 }), // MATRIX-1.M: most recent (OQ-5)
        (2, 0, TicketPlan::New),                  // MATRIX-M.0
        (2, 1, TicketPlan::Existing { id: 100 }), // MATRIX-M.1
        (2, 3, TicketPlan::Existing { id: 102 }), // MATRIX-M.M
    ];
    for (n, t, want) in cells {
        let app = keypad_dial(context(Settings::default(), None), cell_crm(n, t));
        settle().await;
        enter_number().await;
        let cell = format!("MATRIX-{}.{}", if n == 1 { "1" } else { "M" }, t.min(2));
        if n > 1 {
            // UI-15: a chooser, newest first, nothing preselected; Call waits for a choice.
            let picker = by_test_id("contact-picker");
            assert_eq!(picker.child_element_count(), n as u32, "{cell}");
            assert!(!call_enabled(), "{cell}: Call waits for the contact");
            let first = picker.first_element_child().unwrap();
            assert_eq!(
                first.get_attribute("data-testid").as_deref(),
                Some("contact-option-11")
            );
            assert_eq!(
                first.get_attribute("aria-selected").as_deref(),
                Some("false")
            );
            by_test_id("contact-option-11").click();
            settle().await;
        } else {
            assert_eq!(
                value("contact-id"),
                "Contact 0",
                "{cell}: contact auto-filled"
            );
        }
        let shown = value("ticket-id");
        match want {
            TicketPlan::Existing { id } => {
                assert!(
                    shown.contains(&format!("#{id}")),
                    "{cell}: ticket shown {shown:?}"
                )
            }
            _ => assert_eq!(shown, "New ticket", "{cell}"),
        }
        assert!(call_enabled(), "{cell}: Call enabled");
        by_test_id("call-button").click();
        settle().await;
        let plan = app.adapter.placed.with_untracked(|p| p[0].clone());
        assert_eq!(plan.ticket, want, "{cell}");
        let contact_id = if n > 1 { 11 } else { 10 };
        assert_eq!(
            plan.contact,
            ContactPlan::Existing { id: contact_id },
            "{cell}"
        );
    }
}

// MATRIX-0.1, MATRIX-0.M: a number stored on no contact, with a designated contact (the ticket
// Call menu's "Enter new number"), is refused under the defaults (SET-9, FLOW-11) and placed
// with the checkbox ticked once SET-10 allows it (FLOW-9, FLOW-10).
#[wasm_bindgen_test]
async fn matrix_unsaved_number_for_a_designated_contact() {
    let _page = serial().await;
    for tickets in [1usize, 3] {
        let mut crm = CrmState::default();
        crm.contacts.push(contact(10, "Ann", "+14155559999", 100));
        for j in 0..tickets {
            crm.tickets
                .push(ticket(100 + j as u64, 10, 1_000 + j as i64));
        }
        let entry = EntryPoint::TicketNewNumber { ticket_id: 100 };
        let cell = if tickets == 1 {
            "MATRIX-0.1"
        } else {
            "MATRIX-0.M"
        };

        let refused = mount(
            context(Settings::default(), None),
            crm.clone(),
            entry.clone(),
        );
        settle().await;
        assert!(
            refused.adapter.keypad_open.get_untracked(),
            "FLOW-9: keypad open"
        );
        enter_number().await;
        assert!(
            find("use-entered-number").is_none(),
            "{cell}: SET-9 hides the checkbox"
        );
        assert!(!call_enabled(), "{cell}: refused by default");
        // Said once: in the banner (UI-16), not again on the status line under it.
        let said = text("error-banner");
        assert!(said.to_lowercase().contains("not"), "{cell}: {said}");
        assert!(
            !text("call-status").to_lowercase().contains("not"),
            "{cell}: said twice: {}",
            text("call-status")
        );
        drop(refused);

        let mut settings = Settings::default();
        settings.operation.allow_use_entered_number = true;
        let allowed = mount(context(settings, None), crm, entry);
        settle().await;
        enter_number().await;
        let checkbox: HtmlInputElement = by_test_id("use-entered-number").unchecked_into();
        assert!(checkbox.checked(), "{cell}: FLOW-9 pre-ticks the checkbox");
        assert!(call_enabled(), "{cell}");
        by_test_id("call-button").click();
        settle().await;
        let plan = allowed.adapter.placed.with_untracked(|p| p[0].clone());
        assert_eq!(plan.to, NUMBER);
        assert!(plan.entered_number, "{cell}: FLOW-10");
        assert_eq!(plan.contact, ContactPlan::Existing { id: 10 });
        assert_eq!(
            plan.ticket,
            TicketPlan::Existing { id: 100 },
            "{cell}: the context ticket"
        );
        assert!(
            plan.comments.iter().any(|c| c.contains(NUMBER)),
            "FLOW-10: dialled number noted"
        );
    }
}

// UI-1: with every SET option on, the dial screen has the language and outbound number
// selectors, the number display, the keypad icon, the "use entered number" checkbox, Contact ID,
// Ticket ID, Call and Cancel. UI-6: Next brings the typed number back to the dial screen's
// display. UI-9: Contact ID shows the contact the call will be associated with.
#[wasm_bindgen_test]
async fn every_control_with_every_option_on() {
    let _page = serial().await;
    let mut crm = CrmState::default();
    crm.contacts.push(contact(10, "Ann", "+14155559999", 100));
    crm.tickets.push(ticket(100, 10, 1_000));
    let mut settings = Settings::default();
    let op = &mut settings.operation;
    op.prompt_select_open_ticket = true;
    op.allow_create_new_ticket = true;
    op.allow_do_not_create_ticket = true;
    op.allow_use_entered_number = true;
    let entry = EntryPoint::TicketNewNumber { ticket_id: 100 };
    let _screen = mount(context(settings, None), crm, entry);
    settle().await;
    enter_number().await;
    for id in [
        "language",
        "outbound-number",
        "dial-number",
        "keypad-toggle",
        "use-entered-number",
        "contact-id",
        "call-button",
        "cancel-button",
    ] {
        assert!(find(id).is_some(), "UI-1: {id}");
    }
    let ticket_control = find("ticket-id").is_some()
        || web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| {
                d.query_selector("[data-testid^=ticket-option-]")
                    .ok()
                    .flatten()
            })
            .is_some();
    assert!(ticket_control, "UI-1: Ticket ID");
    let display: HtmlInputElement = by_test_id("dial-number").unchecked_into();
    assert!(
        display.value().chars().filter(char::is_ascii_digit).count() >= 10,
        "UI-6: the number is back on the display: {}",
        display.value()
    );
    assert!(
        value("contact-id").contains("Ann"),
        "UI-9: {}",
        value("contact-id")
    );
}

// SET-3 (prompt), SET-5 (create new) and SET-7 (do not create) change MATRIX-1.M: the chooser
// lists the open tickets, then "Create a new ticket" and "Do not create a ticket"; arrow keys
// and Enter choose (keyboard use).
#[wasm_bindgen_test]
async fn ticket_chooser_with_prompt_create_and_do_not_create() {
    let _page = serial().await;
    let mut settings = Settings::default();
    settings.operation.prompt_select_open_ticket = true;
    settings.operation.allow_create_new_ticket = true;
    settings.operation.allow_do_not_create_ticket = true;
    let app = keypad_dial(context(settings, None), cell_crm(1, 2));
    settle().await;
    enter_number().await;
    let picker = by_test_id("ticket-picker");
    let keys: Vec<String> = (0..picker.child_element_count())
        .filter_map(|i| picker.children().item(i))
        .filter_map(|c| c.get_attribute("data-testid"))
        .collect();
    assert_eq!(
        keys,
        [
            "ticket-option-101",
            "ticket-option-100",
            "ticket-option-new",
            "ticket-option-none"
        ],
        "UI-14: most recent first, then create and do-not-create"
    );
    assert!(!call_enabled(), "SET-3: nothing preselected");
    // Keyboard: focus the list, ArrowDown twice, Enter picks "Create a new ticket".
    picker.focus().unwrap();
    for key in ["ArrowDown", "ArrowDown", "Enter"] {
        let init = KeyboardEventInit::new();
        init.set_key(key);
        init.set_bubbles(true);
        init.set_cancelable(true);
        let ev = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        picker.dispatch_event(&ev).unwrap();
        settle().await;
    }
    assert_eq!(
        by_test_id("ticket-option-new")
            .get_attribute("aria-selected")
            .as_deref(),
        Some("true")
    );
    assert!(
        app.adapter.placed.with_untracked(Vec::is_empty),
        "Enter in the list only chooses"
    );
    by_test_id("ticket-option-none").click();
    settle().await;
    by_test_id("call-button").click();
    settle().await;
    let plan = app.adapter.placed.with_untracked(|p| p[0].clone());
    assert_eq!(plan.ticket, TicketPlan::None, "OUT-10");
    assert!(
        text("adapter-root").contains("Not logged"),
        "the in-call screen says so"
    );
}

// SET-11 hides Ticket ID: every call gets a new ticket.
#[wasm_bindgen_test]
async fn do_not_append_hides_the_ticket_field() {
    let _page = serial().await;
    let mut settings = Settings::default();
    settings.operation.do_not_append = true;
    let app = keypad_dial(context(settings, None), cell_crm(1, 1));
    settle().await;
    enter_number().await;
    assert!(
        find("ticket-id").is_none() && find("ticket-picker").is_none(),
        "UI-10"
    );
    by_test_id("call-button").click();
    settle().await;
    assert_eq!(
        app.adapter.placed.with_untracked(|p| p[0].ticket),
        TicketPlan::New
    );
}

// TEAM-4, TEAM-5: team-based entry asks for a Ticket ID, optional or required.
#[wasm_bindgen_test]
async fn team_ticket_entry_optional_and_required() {
    let _page = serial().await;
    for required in [false, true] {
        let mut settings = Settings::default();
        settings.operation.team_ticket_entry = true;
        let team = Team {
            id: 1,
            name: "Sales".into(),
            ticket_id_entry: TicketIdEntry {
                enabled: true,
                required,
            },
        };
        let mut crm = cell_crm(1, 1);
        crm.tickets.push({
            let mut t = Ticket::new(300, TicketStatus::Solved, 10, 5);
            t.subject = "Old".into();
            t
        });
        let app = keypad_dial(context(settings, Some(team)), crm);
        settle().await;
        enter_number().await;
        let field: HtmlInputElement = by_test_id("ticket-id").unchecked_into();
        assert!(!field.read_only(), "TEAM-4: free entry");
        assert_eq!(
            field.get_attribute("aria-required").as_deref(),
            Some(if required { "true" } else { "false" })
        );
        assert_eq!(call_enabled(), !required, "TEAM-5 required={required}");
        // TEAM-9: a solved ticket is refused with a message naming it, once typed (the agent
        // leaves the field, or pauses): not while the digits are being typed.
        field.set_value("300");
        field
            .dispatch_event(&web_sys::Event::new("input").unwrap())
            .unwrap();
        settle().await;
        assert!(!call_enabled(), "Call waits while the id is typed");
        assert!(
            !text("adapter-root").contains("#300"),
            "nothing judged while typed"
        );
        field
            .dispatch_event(&web_sys::Event::new("blur").unwrap())
            .unwrap();
        settle().await;
        assert!(!call_enabled());
        assert!(
            text("adapter-root").contains("#300"),
            "TEAM-9 names the ticket"
        );
        field.set_value("100");
        field
            .dispatch_event(&web_sys::Event::new("input").unwrap())
            .unwrap();
        field
            .dispatch_event(&web_sys::Event::new("blur").unwrap())
            .unwrap();
        settle().await;
        assert!(call_enabled(), "TEAM-8: an open ticket");
        by_test_id("call-button").click();
        settle().await;
        assert_eq!(
            app.adapter.placed.with_untracked(|p| p[0].ticket),
            TicketPlan::Existing { id: 100 }
        );
    }
}

// The outbound number and language selectors decide the caller ID (UI-2).
#[wasm_bindgen_test]
async fn outbound_number_and_language_are_sent() {
    let _page = serial().await;
    let app = keypad_dial(context(Settings::default(), None), CrmState::default());
    settle().await;
    enter_number().await;
    let select: web_sys::HtmlSelectElement = by_test_id("outbound-number").unchecked_into();
    assert_eq!(select.value(), "+15550002", "the queue default");
    select.set_value("+15550001");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    let language: web_sys::HtmlSelectElement = by_test_id("language").unchecked_into();
    language.set_value("it");
    language
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    settle().await;
    by_test_id("call-button").click();
    settle().await;
    let plan = app.adapter.placed.with_untracked(|p| p[0].clone());
    assert_eq!(
        (plan.outbound_number.as_str(), plan.language.as_str()),
        ("+15550001", "it")
    );
}

// UI-7: the country picker: a national number typed after choosing Italy is an Italian number.
#[wasm_bindgen_test]
async fn country_picker_reads_national_numbers() {
    let _page = serial().await;
    let app = keypad_dial(context(Settings::default(), None), CrmState::default());
    settle().await;
    let country: web_sys::HtmlSelectElement = by_test_id("country").unchecked_into();
    assert_eq!(country.value(), "US", "the agent's region first");
    country.set_value("IT");
    country
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    type_keys("0212345678");
    settle().await;
    next_then_call().await;
    let plan = app.adapter.placed.with_untracked(|p| p[0].clone());
    assert_eq!(plan.to, "+390212345678");
}

/// Puts the adapter's call in `phase`, as the platform's events do.
fn set_phase(adapter: Adapter, phase: CallPhase) {
    adapter.call.update(|c| {
        let c = c.as_mut().expect("a call on screen");
        c.id.get_or_insert(77);
        c.phase = phase;
        if phase == CallPhase::Connected && c.connected_at_ms.is_none() {
            c.connected_at_ms = Some(js_sys::Date::now() as i64);
        }
    });
}

fn pressed(id: &str) -> Option<String> {
    by_test_id(id).get_attribute("aria-pressed")
}

// The in-call controls: hold and resume, and touch tones from the keypad and the keyboard.
#[wasm_bindgen_test]
async fn in_call_hold_and_touch_tones() {
    let _page = serial().await;
    let app = keypad_dial(context(Settings::default(), None), CrmState::default());
    settle().await;
    type_keys(NUMBER);
    next_then_call().await;
    assert!(
        find("hold-button").is_none(),
        "nothing to hold while dialling"
    );
    assert!(find("dtmf-toggle").is_none());

    set_phase(app.adapter, CallPhase::Connected);
    settle().await;
    assert_eq!(text("call-status"), "Connected");
    // The button names the action (a screen reader hears "Hold", then "Resume").
    assert_eq!(text("hold-button"), "Hold");
    assert_eq!(pressed("hold-button"), None);
    by_test_id("hold-button").click();
    settle().await;
    assert_eq!(text("call-status"), "On hold");
    assert_eq!(text("hold-button"), "Resume");

    // Tones are not sent on hold (the customer would not hear them): the keypad is put away.
    by_test_id("dtmf-toggle").click();
    settle().await;
    assert!(find("keypad-key-1").is_none());
    type_keys("1");
    settle().await;
    assert_eq!(
        app.adapter
            .call
            .with_untracked(|c| c.as_ref().unwrap().tones.clone()),
        ""
    );

    by_test_id("hold-button").click();
    settle().await;
    assert_eq!(text("call-status"), "Connected");
    // The touch-tone keypad: twelve keys, no +, no delete, no paste.
    assert!(find("keypad-key-plus").is_none());
    assert!(find("keypad-backspace").is_none());
    assert!(find("keypad-paste").is_none());
    assert_eq!(pressed("dtmf-toggle").as_deref(), Some("true"));
    by_test_id("keypad-key-5").click();
    type_keys("#1+a");
    settle().await;
    assert_eq!(
        app.adapter
            .call
            .with_untracked(|c| c.as_ref().unwrap().tones.clone()),
        "5#1"
    );
    assert!(
        text("dtmf-tones").ends_with("5#1"),
        "{}",
        text("dtmf-tones")
    );
    // Escape closes the keypad; digits then are not sent.
    press_key("Escape");
    settle().await;
    assert!(find("keypad-key-5").is_none());
    type_keys("9");
    settle().await;
    assert_eq!(
        app.adapter
            .call
            .with_untracked(|c| c.as_ref().unwrap().tones.clone()),
        "5#1"
    );

    set_phase(app.adapter, CallPhase::Ended);
    settle().await;
    assert!(find("hold-button").is_none() && find("hangup-button").is_none());
    assert!(find("new-call-button").is_some());
}

/// Puts a recording fake in place of `adapter`'s effects.
fn record_intents(adapter: Adapter) -> Rc<Recording> {
    let recording = Rc::new(Recording::default());
    adapter.set_effects(recording.clone());
    recording
}

// The screens reach the outside world only through the state's effects: with a recording fake
// in place, each control hands on exactly its intent, in order (and a refused hold or a tone on
// hold hands on nothing).
#[wasm_bindgen_test]
async fn controls_hand_their_intents_to_the_effects() {
    let _page = serial().await;
    let app = keypad_dial(context(Settings::default(), None), CrmState::default());
    let recording = record_intents(app.adapter);
    settle().await;
    type_keys(NUMBER);
    next_then_call().await;
    set_phase(app.adapter, CallPhase::Connected);
    settle().await;
    by_test_id("hold-button").click();
    settle().await;
    by_test_id("dtmf-toggle").click();
    type_keys("4");
    by_test_id("hold-button").click();
    settle().await;
    type_keys("5");
    settle().await;
    by_test_id("hangup-button").click();
    settle().await;
    let placed = app.adapter.placed.get_untracked();
    let intents: Vec<Intent> = recording
        .intents()
        .into_iter()
        .filter(|i| !matches!(i, Intent::Refresh | Intent::DialOpened))
        .collect();
    assert_eq!(
        intents,
        vec![
            Intent::Place(placed[0].clone()),
            Intent::Hold(true),
            Intent::Hold(false),
            Intent::Tone('5'),
            Intent::HangUp,
        ]
    );
}

// The sign-in form says a sign-in is coming at the agent's first key, in either field (the
// session's code and the phone metadata are fetched from then on), once, and before the sign-in
// itself; the form left alone says nothing.
#[wasm_bindgen_test]
async fn sign_in_form_says_the_first_key_once() {
    let _page = serial().await;
    let app = keypad_dial(context(Settings::default(), None), CrmState::default());
    let recording = record_intents(app.adapter);
    app.adapter.screen.set(Screen::SignIn);
    settle().await;
    assert!(
        recording.intents().is_empty(),
        "the form alone: {:?}",
        recording.intents()
    );
    let field = |id: &str| by_test_id(id).unchecked_into::<HtmlInputElement>();
    let type_in = |id: &str, text: &str| {
        let input = field(id);
        for c in text.chars() {
            input.set_value(&format!("{}{c}", input.value()));
            input
                .dispatch_event(&web_sys::Event::new("input").unwrap())
                .unwrap();
        }
    };
    type_in("sign-in-password", "s");
    settle().await;
    assert_eq!(recording.intents(), vec![Intent::SignInTyped]);
    type_in("sign-in-email", "ada@sandbox.test");
    type_in("sign-in-password", "andbox");
    by_test_id("sign-in-submit").click();
    settle().await;
    assert_eq!(
        recording.intents(),
        vec![
            Intent::SignInTyped,
            Intent::SignIn("ada@sandbox.test".into())
        ]
    );
}

// TICKET-6: an inbound call offered to the agent shows Answer; several contacts share the
// caller's number, so the agent picks one, with the mouse or the keyboard.
#[wasm_bindgen_test]
async fn inbound_call_asks_who_is_calling() {
    let _page = serial().await;
    let crm = CrmState {
        contacts: vec![
            contact(11, "Ann Older", NUMBER, 1_000),
            contact(12, "Bea Newer", NUMBER, 2_000),
        ],
        tickets: vec![],
        gone: Vec::new(),
    };
    let app = keypad_dial(context(Settings::default(), None), crm);
    settle().await;
    type_keys("+1415");
    settle().await;
    let plan = DialPlan {
        to: NUMBER.into(),
        extension: None,
        outbound_number: String::new(),
        language: "en-US".into(),
        contact: ContactPlan::None,
        ticket: TicketPlan::New,
        entered_number: false,
        comments: vec![],
    };
    let mut call = ActiveCall::placed(plan);
    call.id = Some(31);
    call.phase = CallPhase::Ringing;
    call.inbound = Some(Inbound {
        menu: "Support".into(),
        language: "en-US".into(),
        ..Inbound::default()
    });
    app.adapter.call.set(Some(call));
    app.adapter.screen.set(Screen::InCall);
    settle().await;
    assert_eq!(text("call-status"), "Incoming call");
    assert!(find("answer-button").is_some());
    assert!(text("call-caller").contains("Support"), "the caller's menu");
    assert!(find("hold-button").is_none(), "no hold before answering");

    // Answered; the rules asked who is calling (newest first, CONTACT-5).
    set_phase(app.adapter, CallPhase::Connected);
    app.adapter.call.update(|c| {
        c.as_mut().unwrap().inbound.as_mut().unwrap().candidates = vec![12, 11];
    });
    settle().await;
    assert!(find("answer-button").is_none());
    let picker = by_test_id("caller-picker");
    assert!(find("caller-option-11").is_some() && find("caller-option-12").is_some());
    assert!(text("caller-option-12").contains("Bea Newer"));
    // The keyboard: down to the second entry, Enter picks it.
    picker.focus().unwrap();
    let key = |k: &str| {
        let init = KeyboardEventInit::new();
        init.set_key(k);
        init.set_bubbles(true);
        init.set_cancelable(true);
        let ev = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        picker.dispatch_event(&ev).unwrap();
    };
    key("ArrowDown");
    key("Enter");
    settle().await;
    let picked = app
        .adapter
        .call
        .with_untracked(|c| c.as_ref().unwrap().inbound.as_ref().unwrap().picked);
    assert_eq!(picked, Some(11));
    assert!(find("caller-picker").is_none(), "asked once");
    assert!(text("call-caller").contains("Ann Older"));

    // The call came in while the agent had typed a number: after it, that draft is back.
    set_phase(app.adapter, CallPhase::Ended);
    settle().await;
    by_test_id("new-call-button").click();
    settle().await;
    assert_eq!(app.adapter.screen.get_untracked(), Screen::Dial);
    assert_eq!(value("dial-number"), "+1415", "the draft is kept");
}

fn paste(text: &str) {
    let data = web_sys::DataTransfer::new().unwrap();
    data.set_data("text", text).unwrap();
    let init = web_sys::ClipboardEventInit::new();
    init.set_clipboard_data(Some(&data));
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = web_sys::ClipboardEvent::new_with_event_init_dict("paste", &init).unwrap();
    by_test_id("keypad-key-5").dispatch_event(&event).unwrap();
}

// Paste: Ctrl+V with the focus anywhere in the dial screen fills the number; text with no
// digits keeps what was typed and says why; the paste key reads the clipboard, or says how to
// paste where the browser does not let it.
#[wasm_bindgen_test]
async fn paste_fills_the_number_or_says_why_not() {
    let _page = serial().await;
    let app = keypad_dial(context(Settings::default(), None), CrmState::default());
    settle().await;
    type_keys("12");
    paste("+1 (415) 555-0100");
    settle().await;
    assert_eq!(value("dial-number"), NUMBER);
    paste("call me maybe");
    settle().await;
    assert_eq!(value("dial-number"), NUMBER, "nothing lost");
    assert!(
        text("error-banner").contains("no phone number"),
        "{}",
        text("error-banner")
    );

    app.adapter.banner.set(None);
    by_test_id("keypad-paste").click();
    // The clipboard answers (permission given) or refuses (no permission): either way the
    // agent sees the outcome.
    let mut outcome = String::new();
    for _ in 0..100 {
        settle().await;
        outcome = find("error-banner")
            .map(|b| b.text_content().unwrap_or_default())
            .unwrap_or_default();
        if !outcome.is_empty() {
            break;
        }
        gloo_timers_sleep(20).await;
    }
    assert!(
        outcome.contains("Ctrl+V") || outcome.contains("no phone number"),
        "the paste key told the agent something: {outcome:?}"
    );
}

async fn gloo_timers_sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

// The chooser's last update and Recent's times read as the agent writes times, in their
// language: the time alone today, the day and month before, and the year before this year (a
// ticket updated in 2024 read "2024-05-01 21:00" in every language, and dropping the year from
// it would put it in this one).
#[wasm_bindgen_test]
fn times_read_as_the_agent_writes_them() {
    use agent_adapter::ui::recent::when;
    let now_s = (js_sys::Date::now() / 1000.0) as i64;
    let today = when(now_s, "it");
    assert!(
        today.chars().filter(char::is_ascii_digit).count() == 4 && today.contains(':'),
        "today: the time alone ({today})"
    );
    // 1 May 2024, midday UTC: the same day in every time zone the agents are in.
    let older = when(1_714_564_800, "it");
    assert!(older.contains("mag") && older.contains("2024"), "{older}");
    let english = when(1_714_564_800, "en-US");
    assert!(
        english.contains("May") && english.contains("2024"),
        "{english}"
    );
}
