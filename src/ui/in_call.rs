//! The in-call screen: status, timer, hang up, the DTMF keypad, and after the call the ticket
//! it was logged on.

use crate::{
    services::{
        backend,
        live::{use_adapter, CallPhase},
    },
    ui::{banner::ErrorBanner, keypad::Keypad, word},
};
use domain::{dial::TicketPlan, labels::Label};
use leptos::prelude::*;

stylance::import_crate_style!(style, "src/ui/in_call.module.css");

fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

/// `m:ss` (or `h:mm:ss`).
fn clock(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The call in progress or just ended.
#[component]
pub fn InCall() -> impl IntoView {
    let adapter = use_adapter();
    let tick = RwSignal::new(now_ms());
    #[cfg(target_arch = "wasm32")]
    {
        let handle = set_interval_with_handle(
            move || tick.set(now_ms()),
            std::time::Duration::from_millis(500),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    }
    let dtmf_open = RwSignal::new(false);
    let call = move || adapter.call.get();
    let phase = move || call().map(|c| c.phase);
    let status_label = move || match phase() {
        Some(CallPhase::Dialling) | None => Label::CallDialling,
        Some(CallPhase::Ringing) => Label::CallRinging,
        Some(CallPhase::Connected) => Label::CallConnected,
        Some(CallPhase::OnHold) => Label::CallOnHold,
        Some(CallPhase::Ended) => Label::CallEnded,
    };
    let status = move || adapter.catalogue.with(|c| c.get(status_label()).to_owned());
    let timer = move || {
        let c = call()?;
        let start = c.connected_at_ms?;
        Some(clock(c.ended_at_ms.unwrap_or_else(|| tick.get()) - start))
    };
    let ended = move || phase() == Some(CallPhase::Ended);
    let number = move || call().map(|c| c.plan.to).unwrap_or_default();
    let ticket = move || {
        let c = call()?;
        match (c.ticket_id, c.plan.ticket) {
            (Some(id), _) | (None, TicketPlan::Existing { id }) => Some(id),
            _ => None,
        }
    };
    let not_logged = move || call().is_some_and(|c| c.plan.ticket == TicketPlan::None);
    view! {
        <section class=style::screen aria-labelledby="call-number">
            <ErrorBanner/>
            <div class=style::summary>
                <h1 class=style::number id="call-number">{number}</h1>
                <p class=style::status role="status" aria-live="polite" data-testid="call-status">
                    {status}
                </p>
                <p class=style::timer role="timer">{timer}</p>
            </div>
            <Show when=move || dtmf_open.get() && !ended()>
                <Keypad on_key=move |_| {} on_backspace=move |()| {}/>
            </Show>
            <div class=style::ticket>
                {move || {
                    if not_logged() {
                        return Some(view! { <p class=style::muted>{word(Label::NotLogged)}</p> }.into_any());
                    }
                    ticket()
                        .map(|id| {
                            view! {
                                <p>
                                    {word(Label::LoggedOnTicket)} " "
                                    <a
                                        href="#"
                                        data-testid="call-ticket-link"
                                        on:click=move |ev| {
                                            ev.prevent_default();
                                            backend::route_to_ticket(id);
                                        }
                                    >
                                        {format!("#{id}")}
                                    </a>
                                </p>
                            }
                            .into_any()
                        })
                }}
            </div>
            <div class=style::actions>
                <Show
                    when=ended
                    fallback=move || {
                        view! {
                            <button
                                type="button"
                                class=style::secondary
                                aria-pressed=move || if dtmf_open.get() { "true" } else { "false" }
                                on:click=move |_| dtmf_open.update(|o| *o = !*o)
                            >
                                {word(Label::Keypad)}
                            </button>
                            <button
                                type="button"
                                class=style::hangup
                                data-testid="hangup-button"
                                on:click=move |_| {
                                    backend::hang_up(adapter);
                                }
                            >
                                {word(Label::HangUp)}
                            </button>
                        }
                    }
                >
                    <button
                        type="button"
                        class=style::primary
                        data-testid="new-call-button"
                        on:click=move |_| {
                            adapter.call.set(None);
                            adapter.cancel();
                        }
                    >
                        {word(Label::NewCall)}
                    </button>
                </Show>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::clock;

    #[test]
    fn clock_format() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(65_400), "1:05");
        assert_eq!(clock(3_725_000), "1:02:05");
        assert_eq!(clock(-5), "0:00");
    }
}
