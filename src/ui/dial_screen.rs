//! The outbound dial screen (UI-1 … UI-16): caller ID and language, the number, the keypad
//! screen, "Use entered number to make call", Contact ID, Ticket ID, Call and Cancel.
//! Everything shown comes from `domain::dial`'s view of the open screen.

use crate::{
    services::live::{use_adapter, Adapter},
    ui::{
        associations::Associations,
        banner::ErrorBanner,
        home::{HomeNav, Place, StatusLine},
        keypad::Keypad,
        word,
    },
};
use domain::{
    dial::{ContactChoice, DialView, EntryPoint, TicketChoice, TicketMode},
    labels::Label,
    phone::Key,
};
use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;

stylance::import_crate_style!(pub(crate) style, "src/ui/dial_screen.module.css");

/// The test id of the number display (DESIGN.md §5.1).
pub(crate) const NUMBER_TEST_ID: &str = "dial-number";

/// What a key pressed anywhere on the page means to the dial screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyIntent {
    Type(Key),
    Backspace,
    Call,
    Cancel,
}

/// Maps a keyboard key (`KeyboardEvent.key`) to an intent; modifier chords are left to the browser
/// so copy and paste keep working.
pub(crate) fn key_intent(key: &str, modified: bool) -> Option<KeyIntent> {
    if modified {
        return None;
    }
    match key {
        "Backspace" => Some(KeyIntent::Backspace),
        "Enter" => Some(KeyIntent::Call),
        "Escape" => Some(KeyIntent::Cancel),
        _ => {
            let mut chars = key.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Key::from_char(c).map(KeyIntent::Type),
                _ => None,
            }
        }
    }
}

/// Where a key event happened, for deciding whether the dial screen may take it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// The page, the number display or a plain element: the dial screen's keys apply.
    Free,
    /// A control with its own Enter/Space (a button, a list, a checkbox): only typing applies.
    Control,
    /// Another text field: it keeps what is typed (Enter and Escape still apply).
    TextField,
    /// A select: it keeps every key.
    Select,
}

fn target_of(ev: &ev::KeyboardEvent) -> Target {
    let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return Target::Free;
    };
    if el.get_attribute("data-testid").as_deref() == Some(NUMBER_TEST_ID) {
        return Target::Free;
    }
    let kind = el.get_attribute("type").unwrap_or_default();
    match el.tag_name().as_str() {
        // A read-only field (Contact ID, Ticket ID) takes no typing: typing goes to the number.
        "INPUT" if kind == "checkbox" || el.has_attribute("readonly") => Target::Control,
        "INPUT" | "TEXTAREA" => Target::TextField,
        "SELECT" => Target::Select,
        "BUTTON" | "A" | "UL" | "LI" => Target::Control,
        _ => Target::Free,
    }
}

/// True for a field other than the number that the agent has typed into (the Ticket ID entry
/// keeps its own keys): the focus is not moved from there.
fn typed_in(el: &web_sys::Element) -> bool {
    el.get_attribute("data-testid").as_deref() != Some(NUMBER_TEST_ID)
        && el
            .dyn_ref::<web_sys::HtmlInputElement>()
            .is_some_and(|i| !i.value().is_empty())
}

/// One part of what the open dial screen shows, as a memo: what depends on it is drawn again
/// only when that part changes, not with every change of the screen (a lookup's answer).
pub(crate) fn part<T: PartialEq + Send + Sync + 'static>(
    view: Memo<Option<DialView>>,
    f: impl Fn(Option<&DialView>) -> T + Send + Sync + 'static,
) -> Memo<T> {
    Memo::new(move |_| view.with(|v| f(v.as_ref())))
}

/// Formats a unix time for the chooser's "last update" line, as the agent's `language` writes
/// times (the time alone today, else the day and the time), as Recent does.
pub(crate) fn short_time(unix_s: i64, language: &str) -> String {
    crate::ui::recent::when(unix_s, language)
}

/// The dial screen. Typing on the keyboard anywhere in the adapter types into the number;
/// Enter calls (UI-11), Escape cancels (UI-12). A select keeps its keys; a list, a button or a
/// checkbox keeps its Enter; the team's Ticket ID entry keeps what is typed in it.
#[component]
pub fn DialScreen() -> impl IntoView {
    let adapter = use_adapter();
    let view = Memo::new(move |_| adapter.view());

    // UI-16: errors of incompatible entry points, refused numbers and unusable tickets go to
    // the banner and to a Zendesk notification, once each time they appear.
    let banner_error = Memo::new(move |_| {
        view.with(|v| {
            v.as_ref().and_then(|v| {
                v.blocker
                    .as_ref()
                    .filter(|b| b.is_banner())
                    .map(|b| adapter.catalogue.with(|c| b.message(c)))
            })
        })
    });
    // Once the error is gone (the Ticket ID corrected), its banner goes too: it said
    // "Ticket not found" over the right ticket.
    Effect::new(move |shown: Option<Option<String>>| {
        let now = banner_error.get();
        if let Some(message) = &now {
            adapter.error(message.clone());
            adapter.notify_error(message);
        } else if let Some(Some(was)) = shown {
            let still = adapter
                .banner
                .with_untracked(|b| b.as_ref().is_some_and(|b| b.text == was));
            if still {
                adapter.banner.set(None);
            }
        }
        now
    });

    // The keys of a message the agent was writing in a chat that went (transferred away, as
    // they typed) are not the dial screen's, which came back in its place: its Enter called the
    // customer of a screen they were not looking at. Taken again once the agent pauses.
    let shown_at = js_sys::Date::now();
    let keydown = window_event_listener(ev::keydown, move |ev| {
        // Keys that compose a character (an input method) are the text field's.
        if ev.default_prevented()
            || ev.is_composing()
            || adapter.dial.with_untracked(Option::is_none)
        {
            return;
        }
        if crate::ui::focus_lost()
            && crate::ui::typed_into_gone_field()
            && crate::ui::typing::typing_since_before(shown_at)
        {
            return;
        }
        let target = target_of(&ev);
        let modified = ev.ctrl_key() || ev.meta_key() || ev.alt_key();
        let Some(intent) = key_intent(&ev.key(), modified) else {
            return;
        };
        let typing = matches!(intent, KeyIntent::Type(_) | KeyIntent::Backspace);
        if typing {
            // The agent is typing, wherever it is: a focus move that waited for the lookups
            // does not take the focus from there (nor one already on its way to the next
            // frame: `next_step`), and an Enter that waited for them is over.
            KEYS_TYPED.with(|k| k.set(k.get() + 1));
            FOCUS_WHEN_LOADED.with(|f| f.set(false));
            CALL_WHEN_LOADED.with(|c| c.set(None));
        }
        // A text field (the team's Ticket ID entry) keeps what is typed; Enter calls and Escape
        // cancels from there too (UI-11, UI-12). A select keeps every key, Escape included:
        // with its list open, some browsers let the key through, and closing a list must not
        // throw the screen away.
        if target == Target::Select || (target == Target::TextField && typing) {
            return;
        }
        if target == Target::Control && matches!(intent, KeyIntent::Call) {
            return;
        }
        ev.prevent_default();
        match intent {
            KeyIntent::Type(key) => {
                adapter.edit(|d| {
                    d.press(key);
                });
                focus_the_number(target);
            }
            KeyIntent::Backspace => {
                adapter.edit(|d| d.backspace());
                focus_the_number(target);
            }
            KeyIntent::Call => enter(adapter, target == Target::TextField),
            KeyIntent::Cancel => {
                CALL_WHEN_LOADED.with(|c| c.set(None));
                adapter.cancel();
                focus_next_step();
            }
        }
    });
    on_cleanup(move || {
        keydown.remove();
        CALL_WHEN_LOADED.with(|c| c.set(None));
        // A focus move that waited for this screen's lookups is this screen's: the screen drawn
        // again later (back from a chat) does not make it, with the agent's keys on their way.
        FOCUS_WHEN_LOADED.with(|f| f.set(false));
        WAITED_IN.with(|w| w.borrow_mut().take());
    });

    // A paste anywhere but a text field (the number field takes its own as input) fills the
    // number: Ctrl+V works with the focus on a key, and after the paste key's hint.
    let paste = window_event_listener(ev::paste, move |ev| {
        if ev.default_prevented()
            || adapter.dial.with_untracked(Option::is_none)
            || adapter
                .call
                .with_untracked(|c| c.as_ref().is_some_and(|c| c.is_live()))
        {
            return;
        }
        let in_text_field = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if in_text_field {
            return;
        }
        if let Some(text) = ev.clipboard_data().and_then(|d| d.get_data("text").ok()) {
            ev.prevent_default();
            adapter.paste_number(&text);
        }
    });
    on_cleanup(move || paste.remove());

    // Sign-in done (or the screen drawn anew): the keyboard starts in the number, not on the
    // page body, where the next Tab would leave the adapter. A keypad the agent comes back to
    // (from a chat, Recent) has the keyboard in its number, where they left it: not on Call,
    // where the next Enter would call a number they may not have finished. A Call the platform
    // could not take brings the keypad back with the reason above it: Call keeps the keyboard
    // there, so Enter tries again.
    // Keys on their way into a chat's message box that went (the chat transferred away as the
    // agent wrote) wait: the keyboard comes here once they stop (`typing::take_keyboard`).
    request_animation_frame(move || {
        crate::ui::typing::take_keyboard(move || {
            if crate::ui::focus_lost() {
                let said = adapter.banner.with_untracked(Option::is_some);
                if adapter.keypad_open.get_untracked() && !said {
                    focus_the_number(Target::Free);
                } else {
                    focus_next_step();
                }
            }
        })
    });
    // A focus move that waited for the lookups happens once they have answered: unless the
    // agent put the focus somewhere else meanwhile, where it stays.
    Effect::new(move |_| {
        let loading = view.with(|v| v.as_ref().is_some_and(reading));
        if loading || !FOCUS_WHEN_LOADED.with(|f| f.replace(false)) {
            return;
        }
        let waited_in = WAITED_IN.with(|w| w.borrow_mut().take());
        // (The Contact ID waits with its own text: what it named, `focus_next_step_from`.)
        let waiting = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element())
            .is_none_or(|e| {
                e.tag_name() == "BODY"
                    || (Some(&e) == waited_in.as_ref() && (!typed_in(&e) || is_contact_id(&e)))
            });
        if waiting {
            focus_next_step();
        }
    });
    // An Enter in the Ticket ID entry while the ticket it settled was read calls once the read
    // answers, if Call is enabled then and the answer came soon (a read waiting out a rate
    // limit for a minute does not place a call the agent has stopped expecting); else the
    // screen says why Call is not enabled (UI-11, UI-16).
    Effect::new(move |_| {
        let (loading, enabled) = view.with(|v| {
            v.as_ref()
                .map_or((false, false), |v| (reading(v), v.call_enabled))
        });
        if loading {
            return;
        }
        let Some(pressed) = CALL_WHEN_LOADED.with(|c| c.replace(None)) else {
            return;
        };
        if enabled && js_sys::Date::now() - pressed < CALL_WHEN_LOADED_MS {
            adapter.call();
        }
    });
    let keypad_open = adapter.keypad_open;
    // The home screen: the keypad of a call not started from Zendesk, with the places above.
    let home = Memo::new(move |_| {
        keypad_open.get()
            && adapter
                .dial
                .with(|d| d.as_ref().is_some_and(|d| *d.entry() == EntryPoint::Keypad))
    });
    view! {
        <section class=style::screen aria-labelledby="dial-title">
            <Show when=move || home.get()>
                <HomeNav current=Place::NewCall/>
            </Show>
            <h1 id="dial-title" class=crate::ui::a11y::style::visually_hidden>{word(Label::OutboundCallTitle)}</h1>
            <ErrorBanner/>
            <Selectors view=view/>
            <NumberRow view=view/>
            <Show
                when=move || keypad_open.get()
                fallback=move || view! { <Associations view=view/> }
            >
                <KeypadContext view=view/>
                <Keypad
                    on_key=move |key| adapter.edit(|d| {
                        d.press(key);
                    })
                    on_backspace=move |()| adapter.edit(|d| d.backspace())
                    on_paste=move |()| adapter.paste()
                />
            </Show>
            <Status view=view/>
            <div class=style::actions>
                <button
                    type="button"
                    class=style::cancel
                    data-testid="cancel-button"
                    on:click=move |_| {
                        // The fresh screen starts in the number, so the digits and the Enter
                        // typed next go there (not to Cancel again).
                        adapter.cancel();
                        focus_next_step();
                    }
                >
                    {word(Label::Cancel)}
                </button>
                <Show when=move || keypad_open.get()>
                    <button
                        type="button"
                        class=style::next
                        data-testid="keypad-next"
                        on:click=move |_| next(adapter)
                    >
                        {word(Label::Next)}
                    </button>
                </Show>
                <button
                    type="button"
                    class=style::call
                    data-testid="call-button"
                    prop:disabled=move || !view.with(|v| v.as_ref().is_some_and(|v| v.call_enabled))
                    on:click=move |_| adapter.call()
                >
                    {word(Label::Call)}
                </button>
            </div>
            <div class=style::session>
                <StatusLine/>
                <button
                    type="button"
                    class=style::sign_out
                    data-testid="sign-out-button"
                    on:click=move |_| adapter.sign_out()
                >
                    {word(Label::SignOut)}
                </button>
            </div>
        </section>
    }
}

/// On the keypad of a dial screen Zendesk opened on a contact or a ticket (a ticket's Call menu,
/// "Enter new number": FLOW-9), who and which ticket the number typed is for: the agent sees it
/// while typing, not only after Next.
#[component]
fn KeypadContext(
    /// What the open dial screen shows.
    view: Memo<Option<DialView>>,
) -> impl IntoView {
    let adapter = use_adapter();
    let from_zendesk = move || {
        adapter
            .dial
            .with(|d| d.as_ref().is_some_and(|d| *d.entry() != EntryPoint::Keypad))
    };
    let shown = part(view, |v| {
        let v = v?;
        let contact = matches!(v.contact.selected, Some(ContactChoice::Existing(_)))
            .then(|| v.contact.text.trim().to_owned())
            .filter(|t| !t.is_empty());
        let ticket = match v.ticket.selected {
            Some(TicketChoice::Existing(id)) => Some(format!("#{id}")),
            _ => None,
        };
        (contact.is_some() || ticket.is_some()).then_some((contact, ticket))
    });
    move || {
        let (contact, ticket) = shown.get().filter(|_| from_zendesk())?;
        let item = |label: Label, value: Option<String>| {
            value.map(|v| {
                view! {
                    <span>{word(label)} ": " <strong>{v}</strong></span>
                }
            })
        };
        Some(view! {
            <p class=style::keypad_context data-testid="keypad-context">
                {item(Label::ContactId, contact)}
                {item(Label::TicketId, ticket)}
            </p>
        })
    }
}

/// Enter: on the keypad, Next (UI-6, FLOW-6: Next, then Call): the choices come, with the
/// keyboard on the first one missing or on Call, so the agent sees the contact and the ticket
/// before the call is placed, and a second Enter calls. (It used to call at once when the
/// number's reads had answered, and open the choices when they had not: the same key did one or
/// the other by the network's speed, and a call from the keypad went out with choices the agent
/// never saw, "Use entered number" included.) On the choices, it calls when Call is enabled;
/// pressed in the Ticket ID entry (`from_entry`) while the ticket is read, calls once it is
/// read; else says why Call is refused.
fn enter(adapter: Adapter, from_entry: bool) {
    let view = adapter.view();
    let loading = view.as_ref().is_some_and(reading);
    if adapter.keypad_open.get_untracked() {
        next(adapter);
    } else if from_entry && loading {
        CALL_WHEN_LOADED.with(|c| c.set(Some(js_sys::Date::now())));
    } else {
        adapter.edit(|d| d.judge_number());
        adapter.call();
    }
}

/// Typing from a button or the page edits the number: the keyboard goes to the number too, so
/// that it stays on the screen when the button it was on is disabled by the edit (Call, while
/// the new number is read) instead of falling to the page, and the agent sees where the digits go.
fn focus_the_number(from: Target) {
    if !matches!(from, Target::Control | Target::Free) {
        return;
    }
    request_animation_frame(|| {
        let on_number = document()
            .active_element()
            .and_then(|e| e.get_attribute("data-testid"))
            .is_some_and(|id| id == NUMBER_TEST_ID);
        if !on_number {
            crate::ui::focus_on(&format!("[data-testid={NUMBER_TEST_ID}]"));
        }
    });
}

/// Next (UI-6): the number is done, the choices come; the focus goes to what the agent needs
/// next (the first choice not made, or Call).
fn next(adapter: Adapter) {
    adapter.edit(|d| d.judge_number());
    // No number yet: the keypad stays, saying so ("Enter a phone number."); the screen of
    // choices would have none to offer, and the keypad and the places above it would be gone.
    // Unless the team enters a Ticket ID (TEAM-4, TEAM-6): the number comes from the ticket,
    // and the choices open on the Ticket ID entry, which the keypad does not show.
    let ticket_entry = |v: &DialView| matches!(v.ticket.mode, TicketMode::Entry { .. });
    if adapter
        .view()
        .is_none_or(|v| v.number_placeholder && !ticket_entry(&v))
    {
        focus_the_number(Target::Free);
        return;
    }
    adapter.keypad_open.set(false);
    focus_next_step();
}

/// True while what Call waits for is being read (the contact's lookups, a Ticket ID's ticket,
/// the settings).
fn reading(v: &DialView) -> bool {
    v.blocker == Some(domain::dial::DialError::ContactLoading)
}

/// How long after an Enter in the Ticket ID entry its ticket's read may answer and still have
/// the call placed.
const CALL_WHEN_LOADED_MS: f64 = 5_000.0;

thread_local! {
    /// When an Enter in the Ticket ID entry was pressed that waits for its ticket's read.
    static CALL_WHEN_LOADED: std::cell::Cell<Option<f64>> = const { std::cell::Cell::new(None) };
    /// True while a focus move waits for the dial screen's lookups to answer.
    static FOCUS_WHEN_LOADED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Where the focus waits meanwhile: it moves on from there (or from the page), not from
    /// where the agent put it since.
    static WAITED_IN: std::cell::RefCell<Option<web_sys::Element>> =
        const { std::cell::RefCell::new(None) };
    /// The keys typed on the dial screen so far (see `next_step`).
    static KEYS_TYPED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// True for the Contact ID field (SET-10).
fn is_contact_id(el: &web_sys::Element) -> bool {
    el.get_attribute("data-testid").as_deref() == Some("contact-id")
}

/// Puts the keyboard focus on the next thing the agent needs on the dial screen, once the
/// screen has drawn: a Contact ID Zendesk does not have (to type another), a chooser still to
/// answer, else Call when it is enabled, else the number. The focus never falls to the page
/// body, where the next Tab would leave the adapter.
pub fn focus_next_step() {
    next_step(None)
}

/// [`focus_next_step`] from `here`, where the agent has just named what the next step depends
/// on (a Contact ID's Enter): while the screen reads it the keyboard stays in `here`, and moves
/// on once it is read (unless the agent has put it elsewhere).
pub fn focus_next_step_from(adapter: Adapter, here: web_sys::Element) {
    next_step(Some((adapter, here)))
}

fn next_step(from: Option<(Adapter, web_sys::Element)>) {
    let typed = KEYS_TYPED.with(std::cell::Cell::get);
    request_animation_frame(move || {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        // A key typed before the screen drew, into a field the move would leave (the first
        // digit of a Ticket ID, typed as the lookups answered): the agent is typing there.
        // Moved now, the keys after it went to the number, the Ticket ID left with that one
        // digit. (A key that landed in the number only because the move had not come yet is no
        // such choice: the move is made, and the keys after it follow.)
        if KEYS_TYPED.with(std::cell::Cell::get) != typed
            && doc.active_element().is_some_and(|e| typed_in(&e))
        {
            FOCUS_WHEN_LOADED.with(|f| f.set(false));
            return;
        }
        // The contact or its tickets are still loading: the step after them is not drawn yet.
        // The focus waits in the number (or where the agent named them) and moves on once they
        // are (see `DialScreen`).
        let reading_from = from
            .as_ref()
            .is_some_and(|(adapter, _)| adapter.view().as_ref().is_some_and(reading));
        let loading = reading_from
            || doc
                .query_selector("[aria-busy=true]")
                .ok()
                .flatten()
                .is_some();
        FOCUS_WHEN_LOADED.with(|f| f.set(loading));
        if let Some((_, here)) = from.filter(|_| loading) {
            WAITED_IN.with(|w| *w.borrow_mut() = Some(here));
            return;
        }
        let find = |selector: &str| {
            doc.query_selector(selector)
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        };
        let unanswered = |id: &str| {
            find(&format!("[data-testid={id}]")).filter(|list| {
                list.query_selector("[aria-selected=true]")
                    .ok()
                    .flatten()
                    .is_none()
            })
        };
        let call = find("[data-testid=call-button]").filter(|b| {
            !b.dyn_ref::<web_sys::HtmlButtonElement>()
                .is_some_and(|b| b.disabled())
        });
        let target = find("[data-testid=contact-id][aria-invalid=true]")
            .or_else(|| unanswered("contact-picker"))
            .or_else(|| unanswered("ticket-picker"))
            .or_else(|| {
                find("[data-testid=ticket-id]:not([readonly])").filter(|e| {
                    e.dyn_ref::<web_sys::HtmlInputElement>()
                        .is_some_and(|i| i.value().is_empty())
                })
            })
            .or(call)
            .or_else(|| find("[data-testid=dial-number]"));
        if let Some(el) = &target {
            let _ = el.focus();
        }
        WAITED_IN.with(|w| {
            *w.borrow_mut() = target.filter(|_| loading).map(|el| el.unchecked_into());
        });
    });
}

/// Outbound number and language (UI-2).
#[component]
fn Selectors(
    /// What the open dial screen shows.
    view: Memo<Option<DialView>>,
) -> impl IntoView {
    let adapter = use_adapter();
    let numbers = move || adapter.context.with(|c| c.options.numbers.clone());
    let languages = move || adapter.context.with(|c| c.options.languages.clone());
    // The choices are drawn once per list; only their `selected` follows the screen, and only
    // when the choice changes (a lookup's answer redraws neither list).
    let selected_number = part(view, |v| v.and_then(|v| v.outbound_number.clone()));
    let selected_language = part(view, |v| v.and_then(|v| v.language.clone()));
    view! {
        <div class=style::selectors>
            <label class=style::select_label>
                <span>{word(Label::OutboundNumber)}</span>
                <select
                    data-testid="outbound-number"
                    class=style::select
                    on:change:target=move |ev| {
                        let value = ev.target().value();
                        adapter.edit(|d| d.set_outbound_number(&value));
                    }
                >
                    {move || {
                        numbers()
                            .into_iter()
                            .map(|n| {
                                let number = n.number.clone();
                                let selected = move || {
                                    selected_number.with(|s| s.as_deref() == Some(number.as_str()))
                                };
                                let text = if n.label.is_empty() {
                                    n.number.clone()
                                } else {
                                    format!("{} · {}", n.label, n.number)
                                };
                                view! { <option value=n.number selected=selected>{text}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
            <label class=style::select_label>
                <span>{word(Label::Language)}</span>
                <select
                    data-testid="language"
                    class=style::select
                    on:change:target=move |ev| {
                        let value = ev.target().value();
                        adapter.edit(|d| d.set_language(&value));
                    }
                >
                    {move || {
                        languages()
                            .into_iter()
                            .map(|l| {
                                let language = l.clone();
                                let selected = move || {
                                    selected_language.with(|s| s.as_deref() == Some(language.as_str()))
                                };
                                view! { <option value=l.clone() selected=selected>{l.clone()}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
        </div>
    }
}

/// The number display and the keypad toggle (UI-3 … UI-7).
#[component]
fn NumberRow(
    /// What the open dial screen shows.
    view: Memo<Option<DialView>>,
) -> impl IntoView {
    let adapter = use_adapter();
    let read_only = move || view.with(|v| v.as_ref().is_some_and(|v| v.number_read_only));
    // Drawn again only when they change, not with every change of the screen (a lookup's
    // answer).
    let warning = part(view, |v| v.and_then(|v| v.number_warning.clone()));
    let stored = part(view, |v| {
        v.map(|v| v.stored_numbers.clone()).unwrap_or_default()
    });
    // While typing, the display keeps what was typed; the formatted number is shown once the
    // keypad closes.
    let text = move || {
        if adapter.keypad_open.get() {
            let marker = adapter
                .catalogue
                .with(|c| c.get(Label::ExtensionMarker).to_owned());
            adapter.dial.with(|d| {
                d.as_ref()
                    .map(|d| d.buffer().display(&marker))
                    .unwrap_or_default()
            })
        } else {
            view.with(|v| {
                v.as_ref()
                    .filter(|v| !v.number_placeholder)
                    .map(|v| v.number_text.clone())
                    .unwrap_or_default()
            })
        }
    };
    // The whole number stays readable: long numbers get smaller type, and the end (what was
    // just typed) stays in view.
    let size_class = move || {
        let n = text().chars().count();
        // Beside the country picker (the keypad) the field is narrower: "+15550101000" showed
        // without its "+".
        let (medium, small) = if adapter.keypad_open.get() {
            (11, 14)
        } else {
            (12, 16)
        };
        if n > small {
            style::number_small
        } else if n > medium {
            style::number_medium
        } else {
            ""
        }
    };
    let input_ref = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        let _ = text();
        if let Some(input) = input_ref.get() {
            request_animation_frame(move || input.set_scroll_left(input.scroll_width()));
        }
    });
    view! {
        <div class=style::number_row>
            <Show when=move || adapter.keypad_open.get()>
                <CountryPicker/>
            </Show>
            <label class=crate::ui::a11y::style::visually_hidden for="dial-number">{word(Label::PhoneNumber)}</label>
            <input
                id="dial-number"
                node_ref=input_ref
                class=move || format!("{} {}", style::number, size_class())
                type="tel"
                inputmode="tel"
                autocomplete="off"
                data-testid=NUMBER_TEST_ID
                placeholder=word(Label::NumberPlaceholder)
                prop:readOnly=read_only
                prop:value=text
                on:input:target=move |ev| {
                    let value = ev.target().value();
                    adapter.edit(|d| d.type_number(&value));
                }
                on:blur=move |_| adapter.edit(|d| d.judge_number())
            />
            <button
                type="button"
                class=style::keypad_toggle
                data-testid="keypad-toggle"
                aria-label=word(Label::Keypad)
                aria-pressed=move || if adapter.keypad_open.get() { "true" } else { "false" }
                on:click=move |_| adapter.keypad_open.update(|o| *o = !*o)
            >
                <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
                    <circle cx="3" cy="3" r="1.5"></circle>
                    <circle cx="8" cy="3" r="1.5"></circle>
                    <circle cx="13" cy="3" r="1.5"></circle>
                    <circle cx="3" cy="8" r="1.5"></circle>
                    <circle cx="8" cy="8" r="1.5"></circle>
                    <circle cx="13" cy="8" r="1.5"></circle>
                    <circle cx="3" cy="13" r="1.5"></circle>
                    <circle cx="8" cy="13" r="1.5"></circle>
                    <circle cx="13" cy="13" r="1.5"></circle>
                </svg>
            </button>
        </div>
        {move || {
            warning.get().map(|w| view! { <p class=style::warning role="status" data-testid="number-warning">{w}</p> })
        }}
        // FLOW-11: when the typed number cannot be used, the contact's own numbers are one click
        // away.
        {move || {
            let stored = stored.get();
            (!stored.is_empty() && !adapter.keypad_open.get()).then(|| {
                let buttons = stored
                    .into_iter()
                    .enumerate()
                    .map(|(i, n)| {
                        let pick = n.clone();
                        view! {
                            <button
                                type="button"
                                class=style::stored
                                data-testid=format!("stored-number-{i}")
                                on:click=move |_| {
                                    adapter.edit(|d| d.pick_stored_number(&pick));
                                    // The buttons go with the refusal: the keyboard goes on to
                                    // the next step (Call), not to the page body.
                                    focus_next_step();
                                }
                            >
                                {n}
                            </button>
                        }
                    })
                    .collect_view();
                view! {
                    <div class=style::stored_numbers role="group" aria-label=word(Label::ContactNumbers)>
                        {buttons}
                    </div>
                }
            })
        }}
    }
}

/// UI-7: the country numbers without a country code are read in.
#[component]
fn CountryPicker() -> impl IntoView {
    let adapter = use_adapter();
    let current = move || {
        adapter.dial.with(|d| {
            d.as_ref()
                .map(|d| d.region().to_owned())
                .unwrap_or_default()
        })
    };
    let options = move || {
        let current = current();
        let mut list: Vec<(String, String)> = Vec::new();
        if !domain::phone::is_known_region(&current) && !current.is_empty() {
            list.push((current.clone(), current.clone()));
        }
        list.extend(
            domain::phone::PICKER_REGIONS
                .iter()
                .map(|(code, cc)| (code.to_string(), format!("{code} +{cc}"))),
        );
        list.into_iter()
            .map(|(code, text)| {
                let selected = code == current;
                view! { <option value=code selected=selected>{text}</option> }
            })
            .collect_view()
    };
    view! {
        <select
            class=style::country
            data-testid="country"
            aria-label=word(Label::Country)
            on:change:target=move |ev| {
                let value = ev.target().value();
                adapter.edit(|d| d.set_region(&value));
            }
        >
            {options}
        </select>
    }
}

/// The status line: lookups in progress, why Call is refused.
#[component]
fn Status(
    /// What the open dial screen shows.
    view: Memo<Option<DialView>>,
) -> impl IntoView {
    let adapter = use_adapter();
    let said = move || {
        if let Some(refusal) = adapter.refusal.get() {
            return Some(refusal);
        }
        if adapter.loading.get() {
            return Some(
                adapter
                    .catalogue
                    .with(|c| c.get(Label::LookingUp).to_owned()),
            );
        }
        view.with(|v| v.as_ref().and_then(|v| v.message.clone()))
    };
    // What the banner says already is not said twice (a long refusal in Italian, three lines
    // more, left the keypad no room); once the agent closes the banner, the line says it.
    let text = move || {
        said().filter(|m| {
            !adapter
                .banner
                .with(|b| b.as_ref().is_some_and(|b| &b.text == m))
        })
    };
    view! {
        <p class=style::status role="status" aria-live="polite" data-testid="call-status">
            {text}
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyboard_keys_map_to_intents() {
        assert_eq!(key_intent("7", false), Some(KeyIntent::Type(Key::Digit(7))));
        assert_eq!(key_intent("#", false), Some(KeyIntent::Type(Key::Hash)));
        assert_eq!(key_intent("Enter", false), Some(KeyIntent::Call));
        assert_eq!(key_intent("Escape", false), Some(KeyIntent::Cancel));
        assert_eq!(key_intent("Backspace", false), Some(KeyIntent::Backspace));
        assert_eq!(key_intent("a", false), None);
        assert_eq!(key_intent("F5", false), None);
        // Ctrl+V must reach the browser so a paste arrives as an input event.
        assert_eq!(key_intent("v", true), None);
        assert_eq!(key_intent("1", true), None);
    }
}
