//! Browser tests of the dial screen, run in headless Chromium by wasm-bindgen-test.
//!
//! Each test mounts the app into its own `<section>` (never touching `document.body`, which the
//! runner reads its results from), acts through the DOM and reads the result back.
#![cfg(target_arch = "wasm32")]

use agent_adapter::App;
use leptos::{mount::mount_to, prelude::*, task::tick};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement, KeyboardEvent, KeyboardEventInit};

wasm_bindgen_test_configure!(run_in_browser);

mod browser {
    pub mod serial;
}
use browser::serial::serial;

/// A mounted app in its own section; dropping it unmounts the app and removes the section.
struct Mounted<H> {
    section: HtmlElement,
    _handle: H,
}

impl<H> Drop for Mounted<H> {
    fn drop(&mut self) {
        self.section.remove();
    }
}

fn mount_app() -> Mounted<impl Sized> {
    let document = document();
    let section: HtmlElement = document.create_element("section").unwrap().unchecked_into();
    document.body().unwrap().append_child(&section).unwrap();
    let handle = mount_to(section.clone(), App);
    Mounted {
        section,
        _handle: handle,
    }
}

fn by_test_id(id: &str) -> HtmlElement {
    document()
        .query_selector(&format!("[data-testid='{id}']"))
        .unwrap()
        .unwrap_or_else(|| panic!("no element with data-testid={id}"))
        .unchecked_into()
}

fn number() -> String {
    by_test_id("dial-number")
        .unchecked_into::<HtmlInputElement>()
        .value()
}

fn press_key(key: &str) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    document().body().unwrap().dispatch_event(&event).unwrap();
}

fn call_enabled() -> bool {
    !by_test_id("call-button")
        .unchecked_into::<web_sys::HtmlButtonElement>()
        .disabled()
}

// UI-4: an empty display shows the placeholder, and Call is disabled.
#[wasm_bindgen_test]
async fn empty_display_shows_placeholder_and_blocks_call() {
    let _page = serial().await;
    let _app = mount_app();
    tick().await;
    let input: HtmlInputElement = by_test_id("dial-number").unchecked_into();
    assert_eq!(input.value(), "");
    assert_eq!(input.placeholder(), "(415) 123-4567");
    assert!(!call_enabled(), "Call must be disabled with no number");
}

// UI-5: the on-screen keypad types into the display, in order, and backspace deletes.
#[wasm_bindgen_test]
async fn keypad_types_into_the_display() {
    let _page = serial().await;
    let _app = mount_app();
    tick().await;
    for id in ["plus", "3", "9", "0", "2", "star", "hash"] {
        by_test_id(&format!("keypad-key-{id}")).click();
    }
    tick().await;
    assert_eq!(number(), "+3902*#");
    by_test_id("keypad-backspace").click();
    tick().await;
    assert_eq!(number(), "+3902*");
    // UI-7: `+` is only accepted first.
    by_test_id("keypad-key-plus").click();
    tick().await;
    assert_eq!(number(), "+3902*");
    assert!(
        call_enabled(),
        "Call must be enabled once a number is typed"
    );
}

// Every digit key of the keypad is wired to its own digit.
#[wasm_bindgen_test]
async fn every_digit_key_types_its_digit() {
    let _page = serial().await;
    let _app = mount_app();
    tick().await;
    for d in 0..=9 {
        by_test_id(&format!("keypad-key-{d}")).click();
    }
    tick().await;
    assert_eq!(number(), "0123456789");
}

// UI-5: typing on the keyboard types into the display; Escape cancels (UI-12).
#[wasm_bindgen_test]
async fn keyboard_types_into_the_display() {
    let _page = serial().await;
    let _app = mount_app();
    tick().await;
    for key in ["+", "4", "4", "a", "2", "0", "Backspace", "7"] {
        press_key(key);
    }
    tick().await;
    assert_eq!(number(), "+4427", "letters are ignored, Backspace deletes");
    press_key("Escape");
    tick().await;
    assert_eq!(number(), "", "Escape discards the draft");
}

// Enter places the call with the typed number; Cancel clears it (UI-12).
#[wasm_bindgen_test]
async fn enter_calls_and_cancel_clears() {
    let _page = serial().await;
    let _app = mount_app();
    tick().await;
    for key in ["5", "5", "5"] {
        press_key(key);
    }
    press_key("Enter");
    tick().await;
    let status = by_test_id("call-status").text_content().unwrap_or_default();
    assert!(
        status.contains("555"),
        "status shows the number being called: {status:?}"
    );
    by_test_id("cancel-button").click();
    tick().await;
    assert_eq!(number(), "");
    assert_eq!(
        by_test_id("call-status").text_content().unwrap_or_default(),
        ""
    );
}

// UI-7: a pasted number loses its punctuation.
#[wasm_bindgen_test]
async fn paste_into_the_display_is_cleaned() {
    let _page = serial().await;
    let _app = mount_app();
    tick().await;
    let input: HtmlInputElement = by_test_id("dial-number").unchecked_into();
    input.set_value("+1 (415) 555-0100");
    input
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    tick().await;
    assert_eq!(number(), "+14155550100");
}
