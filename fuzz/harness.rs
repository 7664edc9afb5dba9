//! What each fuzz target runs, shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`, run by
//! `scripts/fuzz.sh` under cargo-fuzz) and by the corpus replay in `make test`
//! (`tests/fuzz_corpus.rs`): arbitrary bytes in, no panic out. Each function also checks the
//! properties its input must keep (what is accepted can be read back).

use agent_adapter::platform::PlatformEvent;
use agent_adapter::zaf::{Context, CurrentUser, Metadata, VoiceDialout};
use domain::crm::CrmState;
use domain::dial::{DialContext, DialScreen, EntryPoint, OutboundNumber, OutboundOptions};
use domain::labels::Catalogue;
use domain::phone::{self, Key, NumberBuffer};
use domain::settings::{OperationManagement, Settings};

/// The phone parser and the keypad buffer: text parsed in a few regions; the same text typed
/// key by key, pasted, and edited.
pub fn phone(data: &[u8]) {
    // The first byte picks the agent's region (a parse costs about 0.1 ms: one region per input
    // keeps the executions per second up).
    let region = ["US", "IT", "GB", "ZZ"][usize::from(data.first().copied().unwrap_or(0) % 4)];
    let text = String::from_utf8_lossy(data.get(1..).unwrap_or_default());
    if let Ok(parsed) = phone::parse(&text, region) {
        assert!(parsed.e164.starts_with('+'), "E.164 starts with +");
        // What was accepted reads back as itself.
        let again = phone::parse(&parsed.e164, region).expect("an E.164 number parses");
        assert_eq!(again.e164, parsed.e164);
        assert!(phone::same_number(&text, &parsed.e164, region));
    }
    let mut buffer = NumberBuffer::default();
    for c in text.chars() {
        match c {
            '\u{8}' => buffer.backspace(),
            '\u{7f}' => buffer.clear(),
            c => {
                if let Some(key) = Key::from_char(c) {
                    buffer.press(key);
                }
            }
        }
    }
    let _ = buffer.to_parse_input();
    let pasted = NumberBuffer::from_text(&text);
    assert!(pasted
        .as_str()
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#')));
    let _ = phone::split_extension(&text);
}

/// How many agent steps one dial input plays (each re-renders the screen and tries Call, which
/// parse the number again): 16 covers every field twice over and keeps an execution cheap
/// enough for 10^7 of them in a fuzzing run.
const MAX_DIAL_STEPS: usize = 16;

/// The dial screen's inputs: each line of the input is one agent action (its first character
/// says which), in any order, with the screen's view and Call judged after each.
pub fn dial(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut settings = Settings::default();
    let flags = data.first().copied().unwrap_or(0);
    settings.operation = OperationManagement {
        prompt_select_open_ticket: flags & 1 != 0,
        allow_create_new_ticket: flags & 2 != 0,
        allow_do_not_create_ticket: flags & 4 != 0,
        allow_use_entered_number: flags & 8 != 0,
        do_not_append: flags & 16 != 0,
        team_ticket_entry: flags & 32 != 0,
        ..OperationManagement::default()
    };
    let ctx = DialContext {
        settings,
        team: None,
        region: "US".into(),
        agent_language: "en".into(),
        options: OutboundOptions {
            languages: vec!["en".into(), "it".into()],
            numbers: vec![OutboundNumber {
                number: "+15550002".into(),
                label: "Support".into(),
                queue_id: 1,
                lang: "en".into(),
                default: true,
            }],
        },
        remembered: Default::default(),
    };
    let first = text.lines().next().unwrap_or("").to_owned();
    let entry = match flags >> 6 {
        0 => EntryPoint::Keypad,
        1 => EntryPoint::Contact {
            user_id: 7,
            number: first,
        },
        2 => EntryPoint::Ticket {
            ticket_id: 9,
            user_id: 7,
            number: first,
        },
        _ => EntryPoint::TicketNewNumber { ticket_id: 9 },
    };
    let mut screen = DialScreen::open(entry, ctx);
    let crm = CrmState::default();
    let cat = Catalogue::english();
    for line in text.lines().skip(1).take(MAX_DIAL_STEPS) {
        let mut chars = line.chars();
        let op = chars.next().unwrap_or(' ');
        let arg = chars.as_str();
        match op {
            'n' => screen.set_number(arg),
            't' => screen.type_number(arg),
            'k' => {
                for key in arg.chars().filter_map(Key::from_char) {
                    screen.press(key);
                }
            }
            'b' => screen.backspace(),
            'i' => screen.set_ticket_id_text(arg),
            'r' => screen.set_region(arg),
            'u' => screen.set_use_entered_number(arg.starts_with('1')),
            'o' => screen.set_outbound_number(arg),
            'l' => screen.set_language(arg),
            _ => {}
        }
        let _ = screen.view(&crm, &cat);
        let _ = screen.call(&crm, &cat);
    }
    if let Some(id) = text
        .lines()
        .find_map(|l| l.strip_prefix('i'))
        .and_then(domain::dial::parse_ticket_id)
    {
        assert!(id >= 1, "a ticket id is never 0");
    }
}

/// The platform's event stream: any text frame decodes or is ignored, never panics.
pub fn platform_event(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PlatformEvent::from_json(text);
    }
}

/// What the Zendesk host sends through ZAF (click-to-call, the context, the installation's
/// metadata, the current user), and the origin checks on what the page's URL says.
pub fn zaf_message(data: &[u8]) {
    let _ = serde_json::from_slice::<VoiceDialout>(data);
    let _ = serde_json::from_slice::<Context>(data);
    let _ = serde_json::from_slice::<Metadata>(data);
    let _ = serde_json::from_slice::<CurrentUser>(data);
    let text = String::from_utf8_lossy(data);
    let (named, ancestor) = text.split_once('\n').unwrap_or((&text, ""));
    if let Ok(origin) = agent_adapter::origins::framing_host(Some(named), Some(ancestor)) {
        let parsed =
            agent_adapter::origins::Origin::parse(&origin).expect("an accepted origin parses");
        assert!(parsed.is_zendesk() || parsed.is_loopback(), "{origin}");
    }
    if let Ok(base) = agent_adapter::origins::platform_base(&text) {
        assert!(
            base.starts_with("https://") || base.starts_with("http://"),
            "{base}"
        );
    }
}

/// The outbox opened over arbitrary stored bytes (its own key and another tab's): whatever is
/// there, it opens, reports, adopts and lists its jobs without panicking.
pub fn outbox_load(data: &[u8]) {
    use agent_adapter::services::{
        outbox::Outbox,
        storage::{MemoryStore, Store},
    };
    let text = String::from_utf8_lossy(data);
    let (mine, theirs) = text.split_once('\u{1e}').unwrap_or((&text, ""));
    let store = MemoryStore::default();
    store.set("agent-adapter.outbox.7", mine);
    store.set("agent-adapter.outbox.7.tab-gone", theirs);
    let outbox = Outbox::open_for_tab(store, 7, "tab-here");
    let _ = outbox.adopt_orphans(|_| false);
    let _ = outbox.take_notices();
    let _ = outbox.jobs();
}
