//! The in-call screen: status, timer, answer, the caller's contact, hold, the touch-tone keypad,
//! hang up, and after the call the ticket it was logged on. The parts below the summary are in
//! `call_parts`.

use crate::ui::dial_screen::{key_intent, KeyIntent};
use crate::{
    services::live::{use_adapter, CallPhase},
    ui::{
        banner::ErrorBanner,
        call_parts::{CallActions, CallTicketLine, CallerPicker, TouchTones},
    },
};
use domain::{call::ActiveCall, labels::Label, phone::Key};
use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;

stylance::import_crate_style!(pub(crate) style, "src/ui/in_call.module.css");

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

/// The call in progress or just ended: an inbound call offered to the agent (Answer, and the
/// caller's contact to pick when several share the number), hold, touch tones, hang up; after
/// the call, the ticket it was logged on.
#[component]
pub fn InCall() -> impl IntoView {
    let adapter = use_adapter();
    let dtmf_open = RwSignal::new(false);
    let offered = move || {
        adapter
            .call
            .with(|c| c.as_ref().is_some_and(ActiveCall::offered_to_agent))
    };
    let ended = move || {
        adapter
            .call
            .with_untracked(|c| c.as_ref().is_some_and(|c| c.phase == CallPhase::Ended))
    };
    // Keys: with the touch-tone keypad open, digits, * and # are sent and Escape closes it;
    // Enter answers a call offered to the agent, unless the agent was typing when it showed
    // (the Enter meant for what they typed: `typing`); Escape leaves a call that ended.
    let shown_at = js_sys::Date::now();
    let keydown = window_event_listener(ev::keydown, move |ev| {
        if ev.default_prevented() || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let key = ev.key();
        let on_control = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| {
                matches!(
                    el.tag_name().as_str(),
                    "BUTTON" | "A" | "INPUT" | "UL" | "LI"
                )
            });
        if key == "Enter" && offered() && !on_control {
            ev.prevent_default();
            if !crate::ui::typing::typing_since_before(shown_at) {
                adapter.answer();
            }
        } else if let Some(typed) = on_its_way_to_the_number(&key, on_control, shown_at) {
            // The rest of a number the agent was typing when the call took the screen (a call
            // offered, or one transferred to them): it goes where they were typing it (the
            // keypad comes back with it whole; its last digits were lost, and the number then
            // said it could not be called).
            ev.prevent_default();
            adapter.edit(|d| match typed {
                KeyIntent::Type(k) => {
                    d.press(k);
                }
                _ => d.backspace(),
            });
        } else if key == "Escape" && ended() {
            // The call is over: Escape leaves its screen, as New call does (a touch-tone keypad
            // left open went with the call).
            ev.prevent_default();
            adapter.after_call();
        } else if key == "Escape" && dtmf_open.get_untracked() {
            ev.prevent_default();
            dtmf_open.set(false);
            // A tone key that had the keyboard went with the keypad: it goes to the button
            // that opens it again, not to the page.
            request_animation_frame(|| {
                if crate::ui::focus_lost() {
                    crate::ui::focus_on("[data-testid=dtmf-toggle]");
                }
            });
        } else if dtmf_open.get_untracked() {
            let mut chars = key.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                if let Some(k) = Key::from_char(c).filter(|k| *k != Key::Plus) {
                    ev.prevent_default();
                    adapter.tone(k);
                }
            }
        }
    });
    on_cleanup(move || keydown.remove());

    view! {
        <section class=style::screen aria-labelledby="call-number">
            <ErrorBanner/>
            <CallSummary/>
            <CallerPicker/>
            <TouchTones open=dtmf_open/>
            <CallTicketLine/>
            <CallActions dtmf_open=dtmf_open/>
        </section>
    }
}

/// The call's status, the number, who it is with (and the caller's menu path), and the timer.
#[component]
fn CallSummary() -> impl IntoView {
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
    let call = move || adapter.call.get();
    let status_label = move || {
        adapter
            .call
            .with(|c| c.as_ref().map_or(Label::CallDialling, |c| c.status_label()))
    };
    let status = move || adapter.catalogue.with(|c| c.get(status_label()).to_owned());
    let timer = move || {
        let c = call()?;
        let start = c.connected_at_ms?;
        Some(clock(c.ended_at_ms.unwrap_or_else(|| tick.get()) - start))
    };
    // The number as the agent reads numbers (national format in their own country), and the
    // extension dialled once the customer answers.
    let number = move || {
        let plan = call().map(|c| c.plan);
        let to = plan.as_ref().map(|p| p.to.clone()).unwrap_or_default();
        let region = adapter.context.with(|ctx| ctx.region.clone());
        let shown = domain::phone::parse(&to, &region)
            .map(|p| p.display(&region).to_owned())
            .unwrap_or(to);
        match plan.and_then(|p| p.extension).filter(|e| !e.is_empty()) {
            Some(ext) => adapter.catalogue.with(|c| {
                domain::phone::with_extension(&shown, c.get(Label::ExtensionMarker), &ext)
            }),
            None => shown,
        }
    };
    // Who the call is with (the call model says), and the menu path an inbound caller chose.
    let caller = move || {
        let c = call()?;
        let region = adapter.context.with(|ctx| ctx.region.clone());
        adapter.crm.with(|crm| c.caller_name(crm, &region))
    };
    let menu = move || call().and_then(|c| c.inbound).map(|i| i.menu);
    view! {
        <div class=style::summary>
            <p class=style::status role="status" aria-live="polite" data-testid="call-status">
                {status}
            </p>
            // Takes the keyboard when what had it goes (a banner closed): `ui::PANE_FOCUS`.
            <h1 class=style::number id="call-number" tabindex="-1">{number}</h1>
            <p class=style::caller data-testid="call-caller">
                {move || {
                    [caller(), menu()]
                        .into_iter()
                        .flatten()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · ")
                }}
            </p>
            <p class=style::timer role="timer">{timer}</p>
        </div>
    }
}

/// A keypad key or Backspace (the dial screen's own reading of it) still on its way to the dial
/// screen's number, which a call took the screen from as the agent typed it: a run of keys that
/// began before the call showed (`shown_at`), the number the field last typed in, not on a
/// control of this screen.
fn on_its_way_to_the_number(key: &str, on_control: bool, shown_at: f64) -> Option<KeyIntent> {
    if on_control
        || !crate::ui::typing::typing_since_before(shown_at)
        || crate::ui::gone_field().as_deref() != Some(crate::ui::dial_screen::NUMBER_TEST_ID)
    {
        return None;
    }
    key_intent(key, false).filter(|i| matches!(i, KeyIntent::Type(_) | KeyIntent::Backspace))
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
