//! What the adapter asks of Zendesk's page through ZAF: notifications, the popover, opening a
//! ticket, and the clipboard.

use crate::{
    services::{host::backend, live::Adapter},
    zaf::{Invoke, NotifyKind},
};
use domain::labels::Label;

/// Tells the agent through Zendesk, in case the adapter is not in view.
pub(crate) fn notify_error(message: &str) {
    if let Some(b) = backend() {
        let invoke = Invoke::Notify {
            message: message.to_owned(),
            kind: NotifyKind::Error,
        };
        leptos::task::spawn_local(async move {
            let _ = b.zaf.invoke(&invoke).await;
        });
    }
}

/// Reads a number from the clipboard into the dial screen. Browsers ask the page's
/// permission, which a frame in Zendesk may not have: then the agent is told to press the
/// paste shortcut (the dial screen takes the paste event, which needs no permission).
pub(crate) fn read_clipboard(adapter: Adapter) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let promise = window.navigator().clipboard().read_text();
    leptos::task::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(text) => adapter.paste_number(&text.as_string().unwrap_or_default()),
            Err(_) => {
                adapter.notice(adapter.word(Label::PasteHint));
                focus_number();
            }
        }
    });
}

fn focus_number() {
    use wasm_bindgen::JsCast;
    let input = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("dial-number"))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(input) = input {
        let _ = input.focus();
    }
}

/// Opens a ticket in the agent's workspace.
pub(crate) fn route_to_ticket(id: u64) {
    if let Some(b) = backend() {
        leptos::task::spawn_local(async move {
            let _ = b.zaf.invoke(&Invoke::RouteToTicket(id)).await;
        });
    }
}

thread_local! {
    /// When the adapter last asked Zendesk to show its popover (Unix ms).
    static SHOWN_BY_ADAPTER: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

/// How long after the adapter asked for its popover a `pane.activated` is that show's (a call or
/// a chat offered, a click-to-call), not the agent's.
const OWN_SHOW_MS: i64 = 2_000;

/// True when Zendesk showed the pane because the agent opened it (the top bar's icon), not
/// because the adapter asked: a call or a chat offered while the agent types in Zendesk shows
/// the pane without taking the keyboard from Zendesk (`ui::focus_when_pane_shown`).
pub(crate) fn shown_by_agent() -> bool {
    let now = crate::services::host::now_ms();
    SHOWN_BY_ADAPTER.with(|t| t.get().is_none_or(|at| now - at > OWN_SHOW_MS))
}

/// Opens the adapter's popover.
pub(crate) fn show_popover() {
    SHOWN_BY_ADAPTER.with(|t| t.set(Some(crate::services::host::now_ms())));
    if let Some(b) = backend() {
        leptos::task::spawn_local(async move {
            let _ = b.zaf.invoke(&Invoke::PopoverShow).await;
        });
    }
}
