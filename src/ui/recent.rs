//! Recent: the agent's calls of the last days (direction, contact or number, time, duration,
//! outcome, the ticket each was logged on) with "Call back", a page at a time. Nothing is read
//! from Zendesk to show it but the names the CRM cache lacks (one batched read, by the service).
//! Up and Down move between the calls; Enter on one calls back.

use crate::{
    services::live::{use_adapter, Adapter},
    ui::{
        home::{HomeNav, Place, StatusLine},
        word,
    },
};
use domain::{crm::CrmState, history::RecentCall, labels::Label};
use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;

stylance::import_crate_style!(pub(crate) style, "src/ui/history.module.css");

/// `m:ss` (or `h:mm:ss`) of a number of seconds.
pub fn duration(s: u64) -> String {
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// When something happened, in the agent's language and time zone: the time for today, the
/// day and the time before, and the year too before this year (a ticket's last update). The browser's formatters are made once per language and kind (making
/// one costs far more than using it: a page of 50 calls would pay it 50 times).
pub fn when(unix_s: i64, language: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        use std::{cell::RefCell, collections::HashMap};
        thread_local! {
            static FORMATS: RefCell<HashMap<(String, bool, bool), js_sys::Function>> =
                RefCell::new(HashMap::new());
        }
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_s as f64 * 1000.0));
        let today = js_sys::Date::new_0();
        let same_year = date.get_full_year() == today.get_full_year();
        let same_day = same_year
            && date.get_month() == today.get_month()
            && date.get_date() == today.get_date();
        let format = FORMATS.with(|f| {
            f.borrow_mut()
                .entry((language.to_owned(), same_day, same_year))
                .or_insert_with(|| {
                    let options = js_sys::Object::new();
                    let set = |k: &str, v: &str| {
                        let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
                    };
                    set("hour", "2-digit");
                    set("minute", "2-digit");
                    if !same_day {
                        set("day", "numeric");
                        set("month", "short");
                    }
                    if !same_year {
                        set("year", "numeric");
                    }
                    let locales = js_sys::Array::of1(&language.into());
                    js_sys::Intl::DateTimeFormat::new(&locales, &options).format()
                })
                .clone()
        });
        format
            .call1(&wasm_bindgen::JsValue::NULL, &date)
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = language;
        domain::time::short_utc(unix_s)
    }
}

/// A number as the agent reads numbers (national format in their own country), kept once
/// worked out: a list shows the same numbers again and again, and names replace them as they
/// arrive.
fn display_number(number: &str, region: &str) -> String {
    use std::{cell::RefCell, collections::HashMap};
    thread_local! {
        static SHOWN: RefCell<HashMap<(String, String), String>> = RefCell::new(HashMap::new());
    }
    SHOWN.with(|shown| {
        shown
            .borrow_mut()
            .entry((number.to_owned(), region.to_owned()))
            .or_insert_with(|| {
                domain::phone::parse(number, region)
                    .map(|p| p.display(region).to_owned())
                    .unwrap_or_else(|_| number.to_owned())
            })
            .clone()
    })
}

/// The contact's name when the CRM cache holds it, else the number as the agent reads numbers.
/// While a contact's name is on its way (one read for the page), the number shows as the
/// platform gives it: working out the national form of 50 numbers would hold the first paint of
/// the page back for a text about to be replaced.
pub fn who(contact: Option<u64>, number: &str, crm: &CrmState, region: &str) -> String {
    match contact.map(|id| (id, crm.contact(id))) {
        Some((_, Some(c))) if !c.name.is_empty() => c.name.clone(),
        // The name is on its way (not for a contact Zendesk no longer has).
        Some((id, None)) if !crm.gone.contains(&id) => number.to_owned(),
        _ => display_number(number, region),
    }
}

/// Up and Down on a list move the focus to the same button of the row above or below; Home
/// and End to the first and the last row's.
pub fn move_between_rows(ev: &ev::KeyboardEvent, testid: &str) {
    // The recording's controls keep their own arrows (seek, volume).
    let own_arrows = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "AUDIO" | "INPUT" | "SELECT"));
    if own_arrows || ev.default_prevented() {
        return;
    }
    // A step (the next or the previous row), or as far as the list goes.
    let step: i32 = match ev.key().as_str() {
        "ArrowDown" => 1,
        "ArrowUp" => -1,
        "End" => i32::MAX / 2,
        "Home" => -(i32::MAX / 2),
        _ => return,
    };
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(all) = doc.query_selector_all(&format!("[data-testid={testid}]")) else {
        return;
    };
    let active = doc.active_element();
    let items: Vec<web_sys::HtmlElement> = (0..all.length())
        .filter_map(|i| all.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect();
    if items.is_empty() {
        return;
    }
    // From inside a row, the row's own button counts as the current one.
    let current = items.iter().position(|el| {
        active.as_ref().is_some_and(|a| {
            let a: &web_sys::Node = a.as_ref();
            el.closest("li")
                .ok()
                .flatten()
                .is_some_and(|li| li.contains(Some(a)))
        })
    });
    let last = items.len() as i32 - 1;
    let next = match current {
        Some(i) => (i as i32).saturating_add(step).clamp(0, last),
        // From outside the rows: Down and Home the first, Up and End the last.
        None if step == 1 || step < -1 => 0,
        None => last,
    } as usize;
    ev.prevent_default();
    let _ = items[next].focus();
}

/// True when the keyboard focus is on the page or on a list's heading (where it waits while the
/// list is read): a row, or Try again, may take it.
fn focus_has_no_better_place() -> bool {
    document().active_element().is_none_or(|a| {
        a.tag_name() == "BODY"
            || a.get_attribute("data-testid")
                .is_some_and(|t| t.ends_with("-title"))
    })
}

/// True when the keyboard is on one of a list's rows (on its action `testid`, or in its row).
fn focus_on_row(testid: &str) -> bool {
    document().active_element().is_some_and(|a| {
        a.get_attribute("data-testid").as_deref() == Some(testid)
            || a.closest("li").ok().flatten().is_some()
    })
}

/// Once a list has rows, the keyboard starts on the first one when it has no better place (the
/// page, the heading focused while the list was read, a Try again that went away); on the
/// heading instead when the list came by itself after a failed read (`by_itself`): the agent's
/// keyboard may have been on Try again, with an Enter on its way that must not call back.
/// When the keyboard was in the list already and its element went (a voicemail closed, Show
/// more disabled while it reads), it goes back to the row at the same place: the next
/// voicemail, the first of the calls shown more (Show more's item stood where they come).
pub fn focus_rows_when_shown(
    has_rows: impl Fn() -> bool + 'static,
    testid: &'static str,
    by_itself: Signal<bool>,
    title: NodeRef<leptos::html::H1>,
) {
    // The place, among the list's items, of the one the keyboard was last in.
    let last_place = StoredValue::new(None::<u32>);
    let focusin = window_event_listener(ev::focusin, move |ev| {
        let item = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("li").ok().flatten());
        let Some(list) = item.as_ref().and_then(|li| li.parent_element()) else {
            return;
        };
        if !matches!(
            list.query_selector(&format!("[data-testid={testid}]")),
            Ok(Some(_))
        ) {
            return;
        }
        let items = list.children();
        let place = (0..items.length()).find(|i| items.item(*i).as_ref() == item.as_ref());
        last_place.set_value(place);
    });
    on_cleanup(move || focusin.remove());
    Effect::new(move |_| {
        let rows = has_rows();
        if !rows && !by_itself.get() {
            return;
        }
        request_animation_frame(move || {
            if !focus_has_no_better_place() {
                return;
            }
            if by_itself.get_untracked() {
                if let Some(title) = title.get_untracked() {
                    let _ = title.focus();
                }
                return;
            }
            if !rows {
                return;
            }
            let Ok(rows) = document().query_selector_all(&format!("[data-testid={testid}]")) else {
                return;
            };
            let place = last_place
                .get_value()
                .unwrap_or(0)
                .min(rows.length().saturating_sub(1));
            if let Some(el) = rows
                .item(place)
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        });
    });
}

/// Up and Down anywhere on a list's screen (but in a field or the recording's controls) move
/// between its rows.
pub fn arrows_between_rows(testid: &'static str) {
    let keydown = window_event_listener(ev::keydown, move |ev| move_between_rows(&ev, testid));
    on_cleanup(move || keydown.remove());
}

/// What Recent and Voicemail share above their list: the home row, the heading, a failed read
/// with Try again, "Loading…" while the first read runs, and the words for an empty list; the
/// keyboard lands on the first row's `{prefix}-call-back` once rows are there (on the heading when
/// the list is read empty), and Up and Down move between rows.
#[component]
pub fn ListTop(
    /// Which place this is.
    place: Place,
    /// The heading.
    title: Label,
    /// The test ids' prefix (`recent`, `voicemail`).
    prefix: &'static str,
    /// Why the last read failed.
    #[prop(into)]
    failed: Signal<Option<String>>,
    /// True while the first read runs.
    #[prop(into)]
    first_load: Signal<bool>,
    /// True when the list is read and empty.
    #[prop(into)]
    empty: Signal<bool>,
    /// What an empty list says.
    empty_label: Label,
    /// True when the list has rows.
    #[prop(into)]
    has_rows: Signal<bool>,
    /// True when what `failed` says is a read of the list (not an action on one row).
    #[prop(into)]
    read_failed: Signal<bool>,
    /// Try again.
    retry: Callback<()>,
    /// True when the list came from a read made again by itself after a failed one.
    #[prop(into)]
    by_itself: Signal<bool>,
) -> impl IntoView {
    let row_action = match prefix {
        "recent" => "recent-call-back",
        _ => "voicemail-call-back",
    };
    let title_ref = NodeRef::<leptos::html::H1>::new();
    focus_rows_when_shown(move || has_rows.get(), row_action, by_itself, title_ref);
    arrows_between_rows(row_action);
    let retry_ref = NodeRef::<leptos::html::Button>::new();
    // A first read that failed: the keyboard goes to Try again, from the heading it waited on
    // (or the page), so Enter tries again.
    // A read that failed over rows already shown (the list read again): the error and its Try
    // again appear above the rows while the keyboard is on a row's Call back, where the Enter
    // the agent means for Try again would call the customer. Try again takes the keyboard from
    // the rows too, once the keys on their way to the row have come (`typing`).
    Effect::new(move |was_failed: Option<bool>| {
        let failed_now = failed.with(Option::is_some);
        if !failed_now {
            return false;
        }
        // An action on a row that failed keeps the keyboard on its button (Enter tries it
        // again); only a read of the list sends it to Try again.
        let read = read_failed.get();
        if !has_rows.get() {
            request_animation_frame(move || {
                if let Some(button) = retry_ref
                    .get_untracked()
                    .filter(|_| focus_has_no_better_place())
                {
                    let _ = button.focus();
                }
            });
        } else if read && was_failed != Some(true) {
            let appeared = js_sys::Date::now();
            crate::ui::typing::after_keys_on_their_way(appeared, move || {
                request_animation_frame(move || {
                    let on_rows = focus_has_no_better_place() || focus_on_row(row_action);
                    if let Some(button) = retry_ref.get_untracked().filter(|_| on_rows) {
                        let _ = button.focus();
                    }
                });
            });
        }
        true
    });
    // A list read empty: the keyboard goes to the heading, the words for the empty list under
    // it, when it has no better place (a Try again that went away left it on the page, where
    // the agent's next key went nowhere). Only while the adapter has the keyboard: an empty
    // list read while the agent types in Zendesk leaves it there.
    Effect::new(move |_| {
        if !empty.get() {
            return;
        }
        request_animation_frame(move || {
            if !document().has_focus().unwrap_or(true) || !focus_has_no_better_place() {
                return;
            }
            if let Some(title) = title_ref.get_untracked() {
                let _ = title.focus();
            }
        });
    });
    let title_id = format!("{prefix}-title");
    view! {
        <HomeNav current=place/>
        <h1
            class=style::title
            id=title_id.clone()
            tabindex="-1"
            node_ref=title_ref
            data-testid=title_id
        >
            {word(title)}
        </h1>
        // What the adapter says beside the list (a call back refused, a write waiting), as on
        // every other screen: it was said nowhere here.
        <crate::ui::banner::ErrorBanner/>
        <Show when=move || failed.with(Option::is_some)>
            <div class=style::error role="alert" data-testid=format!("{prefix}-error")>
                <p>{move || failed.get().unwrap_or_default()}</p>
                <button
                    type="button"
                    class=style::button
                    node_ref=retry_ref
                    data-testid=format!("{prefix}-retry")
                    on:click=move |_| retry.run(())
                >
                    {word(Label::TryAgain)}
                </button>
            </div>
        </Show>
        <Show when=move || first_load.get()>
            <p class=style::notice role="status" data-testid=format!("{prefix}-loading")>
                {word(Label::Loading)}
            </p>
        </Show>
        <Show when=move || empty.get()>
            <p class=style::notice data-testid=format!("{prefix}-empty")>{word(empty_label)}</p>
        </Show>
    }
}

/// The Recent screen.
#[component]
pub fn Recent() -> impl IntoView {
    let adapter = use_adapter();
    let history = adapter.history;
    let calls = move || history.with(|h| h.calls.clone());
    view! {
        <section class=style::screen aria-labelledby="recent-title" data-testid="recent-screen">
            <ListTop
                place=Place::Recent
                title=Label::Recent
                prefix="recent"
                failed=Signal::derive(move || history.with(|h| h.failed.clone()))
                read_failed=Signal::derive(move || history.with(|h| h.failed.is_some()))
                first_load=Signal::derive(move || history.with(|h| h.loading && h.calls.is_empty() && h.failed.is_none()))
                empty=Signal::derive(move || {
                    history.with(|h| h.loaded && h.calls.is_empty() && h.failed.is_none())
                })
                empty_label=Label::NoRecentCalls
                has_rows=Signal::derive(move || history.with(|h| !h.calls.is_empty()))
                by_itself=Signal::derive(move || history.with(|h| h.by_itself))
                retry=Callback::new(move |()| {
                    if history.with_untracked(|h| h.failed_more) {
                        adapter.more_recent()
                    } else {
                        adapter.open_recent()
                    }
                })
            />
            <ul
                class=style::list
                data-testid="recent-list"
                aria-busy=move || history.with(|h| h.loading).to_string()
            >
                <For each=calls key=|c| (c.id, c.outcome, c.ticket_id) let:call>
                    <RecentRow call=call adapter=adapter/>
                </For>
                <Show when=move || history.with(|h| h.next_cursor.is_some())>
                    <li>
                        <button
                            type="button"
                            class=format!("{} {}", style::button, style::more)
                            data-testid="recent-more"
                            prop:disabled=move || history.with(|h| h.loading)
                            on:click=move |_| adapter.more_recent()
                        >
                            {move || if history.with(|h| h.loading) { word(Label::Loading)() } else { word(Label::ShowMore)() }}
                        </button>
                    </li>
                </Show>
            </ul>
            <div class=style::footer>
                <StatusLine/>
            </div>
        </section>
    }
}

/// One call of Recent.
#[component]
fn RecentRow(call: RecentCall, adapter: Adapter) -> impl IntoView {
    let region = adapter.context.with_untracked(|c| c.region.clone());
    let (contact, number) = (call.contact_id, call.number.clone());
    let name = move || adapter.crm.with(|crm| who(contact, &number, crm, &region));
    let language = adapter.catalogue.with_untracked(|c| c.language.clone());
    let time = when(call.started_s, &language);
    let direction = if call.inbound {
        Label::Inbound
    } else {
        Label::Outbound
    };
    let outcome = call.outcome_label();
    let missed = call.missed_by_agent();
    let talked = (call.talked_s > 0).then(|| duration(call.talked_s));
    let ticket = call.ticket_id;
    let callback_label = if call.offers_callback() {
        Label::Callback
    } else {
        Label::CallBack
    };
    let row_call = call.clone();
    // The row's Call back says whose call it is to a screen reader: the arrows go from button
    // to button, past the row's text.
    let (who_id, meta_id) = (
        format!("recent-who-{}", call.id),
        format!("recent-meta-{}", call.id),
    );
    let described_by = format!("{who_id} {meta_id}");
    // The row's words, read once: a page of rows is drawn at once, and the language does not
    // change under an open list (it is the agent's, fixed at start).
    let text = |label: Label| {
        adapter
            .catalogue
            .with_untracked(|c| c.get(label).to_owned())
    };
    view! {
        <li class=style::row data-testid="recent-row" data-call-id=call.id.to_string()>
            <div class=style::what>
                <p class=style::who data-testid="recent-who" id=who_id>{name}</p>
                <p class=style::meta id=meta_id>
                    {text(direction)} " · " {time}
                    {talked.map(|t| format!(" · {t}"))}
                    {outcome.map(|o| view! {
                        " · "
                        <span class=(style::missed, missed) data-testid="recent-outcome">{text(o)}</span>
                    })}
                </p>
                {ticket.map(|id| view! {
                    <button
                        type="button"
                        class=style::link
                        data-testid="recent-ticket"
                        aria-label=format!("{} #{id}", text(Label::OpenTicket))
                        on:click=move |_| adapter.open_ticket(id)
                    >
                        {format!("#{id}")}
                    </button>
                })}
            </div>
            <div class=style::actions>
                <button
                    type="button"
                    class=style::primary
                    data-testid="recent-call-back"
                    aria-describedby=described_by
                    on:click=move |_| adapter.call_back(&row_call)
                >
                    {text(callback_label)}
                </button>
            </div>
        </li>
    }
}
