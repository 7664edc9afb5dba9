//! The in-call screen: status, timer, answer, the caller's contact, hold, the touch-tone keypad,
//! hang up, and after the call the ticket it was logged on.

use crate::{
    services::{
        backend,
        live::{use_adapter, CallPhase},
    },
    ui::{
        banner::ErrorBanner,
        chooser::{Chooser, ChooserItem},
        keypad::Keypad,
        word,
    },
};
use domain::{
    dial::{ContactPlan, TicketPlan},
    labels::Label,
    phone::Key,
};
use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;

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

/// The call in progress or just ended: an inbound call offered to the agent (Answer, and the
/// caller's contact to pick when several share the number), hold, touch tones, hang up; after
/// the call, the ticket it was logged on.
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
    let phase = move || adapter.call.with(|c| c.as_ref().map(|c| c.phase));
    let inbound = move || {
        adapter
            .call
            .with(|c| c.as_ref().is_some_and(|c| c.inbound.is_some()))
    };
    let offered = move || inbound() && phase() == Some(CallPhase::Ringing);
    let talking = move || matches!(phase(), Some(CallPhase::Connected | CallPhase::OnHold));
    let status_label = move || match phase() {
        Some(CallPhase::Ringing) if inbound() => Label::IncomingCall,
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
    // The number as the agent reads numbers (national format in their own country).
    let number = move || {
        let to = call().map(|c| c.plan.to).unwrap_or_default();
        let region = adapter.context.with(|ctx| ctx.region.clone());
        domain::phone::parse(&to, &region)
            .map(|p| p.display(&region).to_owned())
            .unwrap_or(to)
    };
    // Who the call is with: the contact the dial screen resolved (or the new contact's name),
    // and for an inbound call the single contact with the number, or the one picked.
    let caller = move || {
        let c = call()?;
        let region = adapter.context.with(|ctx| ctx.region.clone());
        adapter.crm.with(|crm| match &c.inbound {
            Some(inbound) => {
                let only = match crm.contacts_with_number(&c.plan.to, &region)[..] {
                    [only] => Some(only.id),
                    _ => None,
                };
                crm.contact(inbound.picked.or(only)?)
                    .map(|c| c.name.clone())
            }
            None => match &c.plan.contact {
                ContactPlan::Existing { id } => crm.contact(*id).map(|c| c.name.clone()),
                ContactPlan::New { name, .. } => Some(name.clone()),
                ContactPlan::None => None,
            },
        })
    };
    let menu = move || call().and_then(|c| c.inbound).map(|i| i.menu);
    let ticket = move || {
        let c = call()?;
        match (c.ticket_id, c.plan.ticket) {
            (Some(id), _) | (None, TicketPlan::Existing { id }) => Some(id),
            _ => None,
        }
    };
    let not_logged = move || call().is_some_and(|c| c.plan.ticket == TicketPlan::None);
    let tones = move || call().map(|c| c.tones).unwrap_or_default();

    // Keys: with the touch-tone keypad open, digits, * and # are sent and Escape closes it;
    // Enter answers a call offered to the agent.
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
            adapter.answer();
        } else if key == "Escape" && dtmf_open.get_untracked() {
            ev.prevent_default();
            dtmf_open.set(false);
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

    let caller_items = Signal::derive(move || {
        let Some(inbound) = call().and_then(|c| c.inbound) else {
            return Vec::new();
        };
        adapter.crm.with(|crm| {
            inbound
                .candidates
                .iter()
                .filter_map(|id| crm.contact(*id))
                .map(|c| {
                    ChooserItem::contact(
                        c.id,
                        &c.name,
                        c.email.as_deref(),
                        c.created_at,
                        inbound.picked == Some(c.id),
                    )
                })
                .collect()
        })
    });
    let must_pick = move || {
        call()
            .and_then(|c| c.inbound)
            .is_some_and(|i| !i.candidates.is_empty() && i.picked.is_none())
    };

    let answering = move || {
        adapter.call.with(|c| {
            c.as_ref()
                .and_then(|c| c.inbound.as_ref())
                .is_some_and(|i| i.answering)
        })
    };
    // The button the agent acts on next keeps the keyboard focus when the one they used goes
    // (Answer becomes Hang up; Hang up becomes New call).
    let hangup_ref = NodeRef::<leptos::html::Button>::new();
    let new_call_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |before: Option<Option<CallPhase>>| {
        let now = phase();
        if before.is_some_and(|b| b != now) {
            let target = match now {
                Some(CallPhase::Connected) => Some(hangup_ref),
                Some(CallPhase::Ended) => Some(new_call_ref),
                _ => None,
            };
            if let Some(target) = target {
                request_animation_frame(move || {
                    // The screen may have gone meanwhile.
                    if let Some(button) = target.try_get_untracked().flatten() {
                        let _ = button.focus();
                    }
                });
            }
        }
        now
    });

    view! {
        <section class=style::screen aria-labelledby="call-number">
            <ErrorBanner/>
            <div class=style::summary>
                <p class=style::status role="status" aria-live="polite" data-testid="call-status">
                    {status}
                </p>
                <h1 class=style::number id="call-number">{number}</h1>
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
            <Show when=move || must_pick() && !ended()>
                <div class=style::pick>
                    <h2 class=style::pick_title id="caller-picker-title">
                        {word(Label::WhoIsCalling)}
                    </h2>
                    <Chooser
                        test_id="caller-picker"
                        option_prefix="caller-option-"
                        label=Signal::derive(word(Label::WhoIsCalling))
                        items=caller_items
                        on_choose=move |i: usize| {
                            let id = caller_items
                                .with_untracked(|items| items.get(i).and_then(|it| it.key.parse().ok()));
                            if let Some(id) = id {
                                adapter.pick_caller(id);
                            }
                        }
                    />
                </div>
            </Show>
            // Tones reach the customer only while connected: on hold the keypad is put away.
            <Show when=move || dtmf_open.get() && phase() == Some(CallPhase::Connected)>
                <p class=style::tones data-testid="dtmf-tones" aria-live="polite">
                    <span class=style::muted>{word(Label::TonesSent)} " "</span>
                    {tones}
                </p>
                <Keypad on_key=move |key| adapter.tone(key)/>
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
                <Show when=offered>
                    <button
                        type="button"
                        class=style::answer
                        data-testid="answer-button"
                        prop:disabled=answering
                        on:click=move |_| adapter.answer()
                    >
                        {word(Label::Answer)}
                    </button>
                </Show>
                <Show when=talking>
                    <button
                        type="button"
                        class=style::secondary
                        data-testid="dtmf-toggle"
                        aria-pressed=move || if dtmf_open.get() { "true" } else { "false" }
                        on:click=move |_| dtmf_open.update(|o| *o = !*o)
                    >
                        {word(Label::Keypad)}
                    </button>
                    <button
                        type="button"
                        class=style::secondary
                        data-testid="hold-button"
                        class:held=move || phase() == Some(CallPhase::OnHold)
                        on:click=move |_| adapter.toggle_hold()
                    >
                        {move || {
                            if phase() == Some(CallPhase::OnHold) {
                                word(Label::Resume)()
                            } else {
                                word(Label::Hold)()
                            }
                        }}
                    </button>
                </Show>
                <Show
                    when=ended
                    fallback=move || {
                        view! {
                            <button
                                type="button"
                                class=style::hangup
                                node_ref=hangup_ref
                                data-testid="hangup-button"
                                on:click=move |_| {
                                    backend::hang_up(adapter);
                                }
                            >
                                {move || {
                                    if offered() { word(Label::Decline)() } else { word(Label::HangUp)() }
                                }}
                            </button>
                        }
                    }
                >
                    <button
                        type="button"
                        class=style::primary
                        node_ref=new_call_ref
                        data-testid="new-call-button"
                        on:click=move |_| adapter.after_call()
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
