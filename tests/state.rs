//! The live state's intents, natively: with a recording fake as the outside world, each intent
//! reaches it exactly when the state's rules allow (no browser, no network).
#![cfg(not(target_arch = "wasm32"))]

use agent_adapter::services::{
    effects::{Intent, Recording},
    live::{Adapter, CallPhase, Screen},
};
use domain::{
    call::dialout,
    dial::{DialContext, EntryPoint, OutboundNumber, OutboundOptions},
    labels::Catalogue,
    phone::Key,
};
use leptos::prelude::*;
use std::rc::Rc;

/// A fresh state whose agent, in the US, may call from one outbound number.
fn adapter() -> Adapter {
    let adapter = Adapter::new();
    adapter.context.set(DialContext {
        region: "US".into(),
        agent_language: "en".into(),
        options: OutboundOptions {
            languages: vec!["en".into()],
            numbers: vec![OutboundNumber {
                number: "+15550002".into(),
                label: "Support".into(),
                queue_id: 2,
                lang: "en".into(),
                default: true,
            }],
        },
        ..DialContext::default()
    });
    adapter
}

/// Intents other than the dial screen's reads (those follow every edit).
fn calls(recording: &Recording) -> Vec<Intent> {
    recording
        .intents()
        .into_iter()
        .filter(|i| !matches!(i, Intent::Refresh | Intent::DialOpened))
        .collect()
}

#[test]
fn intents_reach_the_effects_only_when_the_call_allows_them() {
    let adapter = adapter();
    let recording = Rc::new(Recording::default());
    adapter.set_effects(recording.clone());

    adapter.open_dial(EntryPoint::Keypad);
    assert_eq!(
        recording.intents(),
        vec![Intent::DialOpened, Intent::Refresh],
        "an opened dial screen reads the settings again and fetches what it needs"
    );
    adapter.edit(|d| d.set_number("+14155550100"));
    adapter.call();
    assert_eq!(adapter.refusal.get_untracked(), None);
    let placed = adapter.placed.get_untracked();
    assert_eq!(placed.len(), 1);
    assert_eq!(adapter.screen.get_untracked(), Screen::InCall);
    assert_eq!(calls(&recording), vec![Intent::Place(placed[0].clone())]);

    // Dialling: nothing to answer, hold or send tones to; and, before the platform gave the
    // call its id, nothing to hang up (the press does not leave the call "Hanging up…" for good).
    adapter.answer();
    adapter.toggle_hold();
    adapter.tone(Key::Digit(1));
    adapter.hang_up();
    assert!(!adapter
        .call
        .with_untracked(|c| c.as_ref().unwrap().hanging_up));
    adapter.call();
    assert_eq!(calls(&recording).len(), 1, "a second Call places nothing");

    adapter.call.update(|c| {
        let c = c.as_mut().unwrap();
        c.id = Some(7);
        c.phase = CallPhase::Connected;
    });
    adapter.toggle_hold();
    adapter.tone(Key::Digit(5));
    adapter.toggle_hold();
    adapter.tone(Key::Plus);
    adapter.tone(Key::Digit(5));
    adapter.hang_up();
    // Pressed again while the platform has not answered (a slow link): nothing more is sent.
    adapter.hang_up();
    assert_eq!(
        calls(&recording)[1..],
        [
            Intent::Hold(true),
            Intent::Hold(false),
            Intent::Tone('5'),
            Intent::HangUp
        ],
        "no tone on hold, no + on a call, one hang-up per press until it is answered"
    );
    assert_eq!(
        adapter
            .call
            .with_untracked(|c| c.as_ref().unwrap().status_label()),
        domain::labels::Label::CallHangingUp
    );
}

// A click-to-call's reads leave before its screen is drawn (the messages that carry them wait
// for the task that sent them to end): staged, the reads are asked for and nothing is drawn
// yet, not even the draft (what shows it is not told of it).
#[test]
fn a_click_to_call_asks_for_its_reads_before_it_is_drawn() {
    let adapter = adapter();
    let recording = Rc::new(Recording::default());
    adapter.set_effects(recording.clone());
    adapter.screen.set(Screen::Recent);
    let drawn = Memo::new(move |_| adapter.dial.with(Option::is_some));
    assert!(!drawn.get_untracked());
    let staged = adapter.stage_dialout(dialout(Some("+14155550100".into()), Some(42), None));
    assert_eq!(
        recording.intents(),
        vec![Intent::DialOpened, Intent::Refresh]
    );
    assert_eq!(
        adapter.screen.get_untracked(),
        Screen::Recent,
        "not drawn yet"
    );
    assert!(
        !drawn.get_untracked(),
        "the draft is not drawn before the reads leave"
    );
    assert!(
        !staged.keypad,
        "a contact's number shows the choices, not the keypad"
    );
    assert!(adapter.show_staged(&staged));
    assert_eq!(adapter.screen.get_untracked(), Screen::Dial);
    assert!(drawn.get_untracked());
    assert_eq!(
        adapter.dial.with_untracked(|d| d.as_ref().map(|d| d
            .view(&Default::default(), &Catalogue::english())
            .number_text)),
        Some("(415) 555-0100".to_owned())
    );
}

// Whatever takes the screen between the stage and the drawing keeps it, as when it came after
// the dial screen was drawn; what the reads said meanwhile stays.
#[test]
fn a_screen_taken_before_the_click_to_call_is_drawn_keeps_it() {
    let adapter = adapter();
    adapter.screen.set(Screen::Dial);
    let staged = adapter.stage_dialout(dialout(Some("+14155550100".into()), Some(42), None));
    adapter.screen.set(Screen::InCall);
    assert!(!adapter.show_staged(&staged));
    assert_eq!(adapter.screen.get_untracked(), Screen::InCall);

    adapter.screen.set(Screen::Recent);
    adapter.error("Looking the contact up again in 2 s.");
    let staged = adapter.stage_dialout(dialout(Some("+14155550100".into()), Some(42), None));
    assert_eq!(
        adapter.banner.get_untracked(),
        None,
        "the last screen's notice goes"
    );
    adapter.error("Looking the contact up again in 2 s.");
    assert!(adapter.show_staged(&staged));
    assert!(
        adapter.banner.get_untracked().is_some(),
        "a notice from the reads stays when the screen is drawn"
    );
}

// Two click-to-calls before either is drawn: the second is drawn, with its own keypad.
#[test]
fn of_two_click_to_calls_staged_at_once_the_later_is_drawn() {
    let adapter = adapter();
    adapter.screen.set(Screen::Recent);
    let first = adapter.stage_dialout(dialout(Some("+14155550100".into()), Some(42), None));
    let second = adapter.stage_dialout(dialout(None, None, Some(7)));
    assert!(!first.keypad);
    assert!(second.keypad, "Enter new number opens the keypad");
    assert!(!adapter.show_staged(&first));
    assert_eq!(adapter.screen.get_untracked(), Screen::Recent);
    assert!(adapter.show_staged(&second));
    assert_eq!(adapter.screen.get_untracked(), Screen::Dial);
    assert!(adapter.keypad_open.get_untracked());

    // A typed number (no contact) shows its choices; none at all, the keypad.
    assert!(
        !adapter
            .stage_dialout(dialout(Some("+14155550100".into()), None, None))
            .keypad
    );
    assert!(adapter.stage_dialout(dialout(None, None, None)).keypad);
}

#[test]
fn without_effects_intents_change_the_state_only() {
    let adapter = adapter();
    adapter.open_dial(EntryPoint::Keypad);
    adapter.edit(|d| d.set_number("+14155550100"));
    adapter.call();
    assert_eq!(adapter.refusal.get_untracked(), None);
    assert_eq!(adapter.screen.get_untracked(), Screen::InCall);
    assert_eq!(
        adapter.call.with_untracked(|c| c.as_ref().map(|c| c.phase)),
        Some(CallPhase::Dialling)
    );
}

// A dial screen kept for a reload is taken up by the agent who left it, for 15 minutes; another
// agent's, an old one or unreadable text is not.
#[test]
fn a_kept_dial_screen_is_its_agents_for_a_while() {
    use agent_adapter::services::dial_draft::{Stored, KEEP_MS};
    use domain::dial::{DialScreen, DialWork};
    let mut screen = DialScreen::open(EntryPoint::Keypad, adapter().context.get_untracked());
    screen.set_number("+14155550100");
    let work = screen.work().unwrap();
    let text = serde_json::to_string(&Stored {
        agent: 7,
        saved_ms: 1_000,
        work: work.clone(),
    })
    .unwrap();
    assert_eq!(
        Stored::<DialWork>::decode(Some(&text), 7, 1_000 + 5_000),
        Some(work)
    );
    assert_eq!(
        Stored::<DialWork>::decode(Some(&text), 8, 6_000),
        None,
        "another agent's"
    );
    assert_eq!(
        Stored::<DialWork>::decode(Some(&text), 7, 1_000 + KEEP_MS),
        None,
        "too old"
    );
    assert_eq!(
        Stored::<DialWork>::decode(Some(&text), 7, 500),
        None,
        "from the future"
    );
    assert_eq!(Stored::<DialWork>::decode(Some("{"), 7, 6_000), None);
    assert_eq!(Stored::<DialWork>::decode(None, 7, 6_000), None);
}

// What the agent was writing in their chats is kept the same way: the agent's, for 15 minutes.
#[test]
fn kept_chat_replies_are_their_agents_for_a_while() {
    use agent_adapter::services::dial_draft::{ChatDrafts, Stored, KEEP_MS};
    let drafts: ChatDrafts = vec![(700_001, "One moment, I check your order".into())];
    let text = serde_json::to_string(&Stored {
        agent: 7,
        saved_ms: 1_000,
        work: drafts.clone(),
    })
    .unwrap();
    assert_eq!(
        Stored::<ChatDrafts>::decode(Some(&text), 7, 2_000),
        Some(drafts)
    );
    assert_eq!(Stored::<ChatDrafts>::decode(Some(&text), 8, 2_000), None);
    assert_eq!(
        Stored::<ChatDrafts>::decode(Some(&text), 7, 1_000 + KEEP_MS),
        None
    );
    // A dial screen's text is not a chat's.
    assert_eq!(
        Stored::<ChatDrafts>::decode(
            Some(r#"{"agent":7,"saved_ms":1000,"work":{"number":"+1"}}"#),
            7,
            2_000
        ),
        None
    );
}
