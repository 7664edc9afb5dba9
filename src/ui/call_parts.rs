//! The parts of the in-call screen below its summary: the caller to pick (TICKET-6), the
//! touch-tone keypad, the ticket the call is logged on, and the call's buttons.

use crate::{
    services::live::{use_adapter, Adapter, CallPhase},
    ui::{
        chooser::{Chooser, ChooserItem},
        focus_back_when_done,
        in_call::style,
        keypad::Keypad,
        word,
    },
};
use domain::{
    call::{ActiveCall, TicketLine},
    labels::Label,
};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The phase of the call on screen, tracked.
fn phase_of(adapter: Adapter) -> Option<CallPhase> {
    adapter.call.with(|c| c.as_ref().map(|c| c.phase))
}

/// TICKET-6: while several contacts share an inbound caller's number and the agent has not
/// picked, who is calling.
#[component]
pub fn CallerPicker() -> impl IntoView {
    let adapter = use_adapter();
    let must_pick = move || {
        adapter
            .call
            .with(|c| c.as_ref().is_some_and(|c| c.must_pick() && c.is_live()))
    };
    let items = Signal::derive(move || {
        let Some(inbound) = adapter
            .call
            .with(|c| c.as_ref().and_then(|c| c.inbound.clone()))
        else {
            return Vec::new();
        };
        let language = adapter.catalogue.with_untracked(|c| c.language.clone());
        adapter.crm.with(|crm| {
            inbound
                .candidates
                .iter()
                .filter_map(|id| crm.contact(*id))
                .map(|c| {
                    let picked = inbound.picked == Some(c.id);
                    ChooserItem::contact(
                        c.id,
                        &c.name,
                        c.email.as_deref(),
                        c.created_at,
                        picked,
                        &language,
                    )
                })
                .collect()
        })
    });
    // The picker appearing (just after Answer) takes the keyboard focus from Hang up, where
    // Answer left it: who is calling is what the agent must answer next, and a second Enter
    // must not end the call. A focus the agent moved elsewhere stays.
    Effect::new(move |before: Option<bool>| {
        let now = must_pick();
        if now && before == Some(false) {
            request_animation_frame(|| {
                request_animation_frame(|| {
                    let active = document().active_element();
                    let on_hang_up = active
                        .as_ref()
                        .and_then(|e| e.get_attribute("data-testid"))
                        .is_some_and(|id| id == "hangup-button");
                    if !on_hang_up && focus_kept() {
                        return;
                    }
                    if let Some(list) = document()
                        .query_selector("[data-testid=caller-picker]")
                        .ok()
                        .flatten()
                        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                    {
                        let _ = list.focus();
                    }
                });
            });
        }
        // Picked (the list went, and the keyboard with it): Hang up has it, as on any call
        // connected, so the next Enter is not lost on the page.
        if !now && before == Some(true) {
            request_animation_frame(|| {
                if crate::ui::focus_lost() {
                    crate::ui::focus_on("[data-testid=hangup-button]");
                }
            });
        }
        now
    });
    view! {
        <Show when=must_pick>
            <div class=style::pick>
                <h2 class=style::pick_title id="caller-picker-title">
                    {word(Label::WhoIsCalling)}
                </h2>
                <Chooser
                    test_id="caller-picker"
                    option_prefix="caller-option-"
                    label=Signal::derive(word(Label::WhoIsCalling))
                    items=items
                    on_choose=move |i: usize| {
                        let id = items
                            .with_untracked(|items| items.get(i).and_then(|it| it.key.parse().ok()));
                        if let Some(id) = id {
                            adapter.pick_caller(id);
                        }
                    }
                />
            </div>
        </Show>
    }
}

/// The touch-tone keypad and the tones sent, while it is open and the call connected (tones
/// reach the customer only then: on hold the keypad is put away).
#[component]
pub fn TouchTones(
    /// True while the agent has the keypad open.
    open: RwSignal<bool>,
) -> impl IntoView {
    let adapter = use_adapter();
    let phase = move || phase_of(adapter);
    let tones = move || {
        adapter
            .call
            .with(|c| c.as_ref().map(|c| c.tones.clone()))
            .unwrap_or_default()
    };
    view! {
        <Show when=move || open.get() && phase() == Some(CallPhase::Connected)>
            <p class=style::tones data-testid="dtmf-tones" aria-live="polite">
                <span class=style::muted>{word(Label::TonesSent)} " "</span>
                {tones}
            </p>
            <Keypad on_key=move |key| adapter.tone(key)/>
        </Show>
    }
}

/// The ticket the call is logged on (a link that opens it), that it is being logged, or that
/// it is not logged (`ActiveCall::ticket_line`).
#[component]
pub fn CallTicketLine() -> impl IntoView {
    let adapter = use_adapter();
    let line = move || {
        adapter.call.with(|c| {
            c.as_ref()
                .map_or(TicketLine::Nothing, ActiveCall::ticket_line)
        })
    };
    view! {
        <div class=style::ticket>
            {move || {
                match line() {
                    TicketLine::Nothing => None,
                    TicketLine::NotLogged => Some(view! { <p class=style::muted data-testid="call-not-logged">{word(Label::NotLogged)}</p> }.into_any()),
                    TicketLine::NotLoggedAsChosen => Some(view! { <p class=style::muted data-testid="call-not-logged-chosen">{word(Label::NotLoggedAsChosen)}</p> }.into_any()),
                    TicketLine::Logging => Some(view! { <p class=style::muted data-testid="call-logging">{word(Label::CallLogging)}</p> }.into_any()),
                    TicketLine::Waiting(ticket) => Some(
                        view! {
                            <p class=style::muted data-testid="call-waiting">{word(Label::WaitingForAccess)}</p>
                            {ticket.map(|id| view! { <p>{word(Label::TicketNumbered)} " " <TicketLink id=id /></p> })}
                        }
                        .into_any(),
                    ),
                    TicketLine::On(id) => Some(
                        view! {
                            <p>{word(Label::LoggedOnTicket)} " " <TicketLink id=id /></p>
                        }
                        .into_any(),
                    ),
                }
            }}
        </div>
    }
}

/// The call's ticket `#id`, a link that opens it in Zendesk.
#[component]
fn TicketLink(id: u64) -> impl IntoView {
    let adapter = use_adapter();
    view! {
        <a
            href="#"
            data-testid="call-ticket-link"
            on:click=move |ev| {
                ev.prevent_default();
                adapter.open_ticket(id);
            }
        >
            {format!("#{id}")}
        </a>
    }
}

/// True when the keyboard focus is on an element still on screen (not on the page itself, as
/// when the element that had it went).
fn focus_kept() -> bool {
    document()
        .active_element()
        .is_some_and(|e| e.is_connected() && !e.tag_name().eq_ignore_ascii_case("body"))
}

/// The call's buttons: Answer (an inbound call offered), the keypad and Hold (while talking),
/// Hang up or Decline, and New call once it ended. The button the agent acts on next takes the
/// keyboard focus when the one they used goes (Answer becomes Hang up; Hang up becomes New
/// call), or when the screen comes with the frame's focus on nothing (an offered call's
/// Answer; a call found again after a reload, Hang up or New call); a focus still on screen
/// stays where it is.
#[component]
pub fn CallActions(
    /// True while the touch-tone keypad is open (the keypad button toggles it).
    dtmf_open: RwSignal<bool>,
) -> impl IntoView {
    let adapter = use_adapter();
    let offered = move || {
        adapter
            .call
            .with(|c| c.as_ref().is_some_and(ActiveCall::offered_to_agent))
    };
    let offered_now = move || {
        adapter
            .call
            .with_untracked(|c| c.as_ref().is_some_and(ActiveCall::offered_to_agent))
    };
    let phase = move || phase_of(adapter);
    let talking = move || matches!(phase(), Some(CallPhase::Connected | CallPhase::OnHold));
    let ended = move || phase() == Some(CallPhase::Ended);
    let on_hold = move || phase() == Some(CallPhase::OnHold);
    let answering = move || {
        adapter.call.with(|c| {
            c.as_ref()
                .and_then(|c| c.inbound.as_ref())
                .is_some_and(|i| i.answering)
        })
    };
    let hanging_up = move || {
        adapter
            .call
            .with(|c| c.as_ref().is_some_and(|c| c.hanging_up))
    };
    let has_number = move || {
        adapter
            .call
            .with(|c| c.as_ref().is_some_and(|c| !c.plan.to.is_empty()))
    };
    let short_ended = move || {
        adapter.call.with(|c| {
            c.as_ref()
                .is_some_and(domain::history::ended_offers_callback)
        })
    };
    let answer_ref = NodeRef::<leptos::html::Button>::new();
    // An Answer the platform could not take: Answer, enabled again, has the focus back (it fell
    // to the page while the button was disabled), so Enter tries again from where it shows.
    focus_back_when_done(answering, answer_ref);
    let hangup_ref = NodeRef::<leptos::html::Button>::new();
    // A Hang up the platform did not take: enabled again, it has the focus back.
    focus_back_when_done(hanging_up, hangup_ref);
    // When this call's screen showed: a key sooner after it was meant for the one before.
    let shown_at = js_sys::Date::now();
    let new_call_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |before: Option<Option<CallPhase>>| {
        let now = phase();
        // A change of phase, or a call found on screen already talking or ended (a reload, or
        // the agent's other tab closed mid-call): the frame's keyboard focus was on nothing.
        let mounted = before.is_none();
        if before.is_some_and(|b| b != now) || mounted {
            let target = match now {
                // An inbound call offered where the agent was (the keypad they typed in went
                // with the screen): Enter answers, as Enter accepts a chat offered.
                Some(CallPhase::Ringing) if mounted && offered() => Some(answer_ref),
                // A call the agent placed (Call, Callback): Hang up, to cancel a wrong number
                // with one key while it dials and rings (the keyboard was on the page).
                Some(CallPhase::Dialling) => Some(hangup_ref),
                Some(CallPhase::Connected) => Some(hangup_ref),
                Some(CallPhase::OnHold) if mounted => Some(hangup_ref),
                Some(CallPhase::Ended) => Some(new_call_ref),
                _ => None,
            };
            if let Some(target) = target {
                // A call that took the screen while the agent typed (the field went with it):
                // the focus waits for the typing to end, so that the keys still on their way
                // (a space, an Enter) do not answer it or hang it up (`typing`).
                let answer = matches!(now, Some(CallPhase::Ringing));
                let focus = move || {
                    request_animation_frame(move || {
                        // Only when the focus went with the button the agent used: one still on
                        // screen keeps it (Resume, pressed, stays on Resume; it does not jump to
                        // Hang up, where the next Enter would end the call).
                        if focus_kept() {
                            return;
                        }
                        // A call found on screen does not pull the focus into a frame the agent
                        // is not in (another tab, the workspace's own fields).
                        if mounted && !document().has_focus().unwrap_or(false) {
                            return;
                        }
                        // The screen may have gone meanwhile (or the call been answered elsewhere).
                        if answer && !offered_now() {
                            return;
                        }
                        if let Some(button) = target.try_get_untracked().flatten() {
                            let _ = button.focus();
                        }
                    })
                };
                if mounted {
                    crate::ui::typing::after_keys_on_their_way(shown_at, focus);
                } else if now == Some(CallPhase::Dialling) {
                    // Placed by a press on this screen (Callback): its Enter, and one pressed
                    // again at once, must not land on Hang up.
                    crate::ui::typing::after_keys_on_their_way(js_sys::Date::now(), focus);
                } else {
                    focus();
                }
            }
        }
        now
    });
    view! {
        <div class=style::actions>
            <Show when=offered>
                <button
                    type="button"
                    class=style::answer
                    node_ref=answer_ref
                    data-testid="answer-button"
                    prop:disabled=answering
                    aria-busy=move || answering().to_string()
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
                    class:held=on_hold
                    on:click=move |_| adapter.toggle_hold()
                >
                    {move || if on_hold() { word(Label::Resume)() } else { word(Label::Hold)() }}
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
                            prop:disabled=hanging_up
                            aria-busy=move || hanging_up().to_string()
                            on:click=move |_| adapter.hang_up()
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
        <div class=style::again>
            // UPD-5: on a call in progress (not one only offered or still dialling).
            <Show when=move || talking() && adapter.can_call_back_live()>
                <button
                    type="button"
                    class=style::secondary
                    data-testid="hangup-callback-button"
                    on:click=move |_| adapter.call_back_now()
                >
                    {word(Label::HangUpAndCallBack)}
                </button>
            </Show>
            // UPD-6: after a call shorter than 10 seconds.
            <Show when=move || short_ended() && has_number()>
                <button
                    type="button"
                    class=style::secondary
                    data-testid="callback-button"
                    on:click=move |_| adapter.call_back_now()
                >
                    {word(Label::Callback)}
                </button>
            </Show>
        </div>
    }
}
