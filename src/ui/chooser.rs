//! A listbox chooser (UI-14, UI-15): click an entry, or focus the list and use the arrow keys,
//! Home/End, Enter or Space to choose; Escape is the screen's (the dial screen's cancels).

use leptos::{ev, prelude::*};

stylance::import_crate_style!(style, "src/ui/chooser.module.css");

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChooserItem {
    /// The test id suffix (`<prefix><key>`), e.g. a ticket id, `new`, `none`.
    pub key: String,
    /// Main text.
    pub primary: String,
    /// Detail line (status, last update; a contact's id and creation day).
    pub secondary: String,
    /// A third line, cut to the width when too long (a contact's email), so it never pushes
    /// the detail line out of view.
    pub detail: String,
    /// True for the chosen entry.
    pub selected: bool,
}

impl ChooserItem {
    /// A contact: name, then id, email and creation day (UI-15), the day as the agent's
    /// `language` writes days, as Recent does.
    pub fn contact(
        id: u64,
        name: &str,
        email: Option<&str>,
        created_at: i64,
        selected: bool,
        language: &str,
    ) -> Self {
        Self {
            key: id.to_string(),
            primary: name.to_owned(),
            secondary: format!("#{id} · {}", crate::ui::recent::when(created_at, language)),
            detail: email.unwrap_or_default().to_owned(),
            selected,
        }
    }
}

/// A listbox of entries, one of which may be chosen.
#[component]
pub fn Chooser(
    /// Test id of the list (`contact-picker`, `ticket-picker`).
    #[prop(into)]
    test_id: String,
    /// Test id prefix of the entries (`contact-option-`, `ticket-option-`).
    #[prop(into)]
    option_prefix: String,
    /// Accessible name of the list.
    #[prop(into)]
    label: Signal<String>,
    /// The entries, in display order.
    #[prop(into)]
    items: Signal<Vec<ChooserItem>>,
    /// Called with the index of the chosen entry.
    #[prop(into)]
    on_choose: Callback<usize>,
) -> impl IntoView {
    // The entry the arrows start from, and Enter takes: the one chosen, when one is (a ticket
    // the screen chose, or one chosen before a reload), as the list takes the keyboard. From the
    // first entry, an Enter meant to keep the choice chose another ticket.
    let chosen = move || items.with_untracked(|v| v.iter().position(|x| x.selected));
    let active = RwSignal::new(chosen().unwrap_or(0));
    // The entries can change under a list kept on screen (tickets read again, another
    // click-to-call): the entry the arrows reach is always one of them.
    Effect::new(move |_| {
        let n = items.with(Vec::len);
        if active.get_untracked() >= n {
            active.set(0);
        }
    });
    let dom_id = test_id.clone();
    let keydown = move |ev: ev::KeyboardEvent| {
        let n = items.with(Vec::len);
        if n == 0 {
            return;
        }
        let handled = match ev.key().as_str() {
            "ArrowDown" => {
                active.update(|a| *a = (*a + 1).min(n - 1));
                true
            }
            "ArrowUp" => {
                active.update(|a| *a = a.saturating_sub(1));
                true
            }
            "Home" => {
                active.set(0);
                true
            }
            "End" => {
                active.set(n - 1);
                true
            }
            "Enter" | " " => {
                on_choose.run(active.get_untracked().min(n - 1));
                true
            }
            // Escape is the screen's, as from any other control: the dial screen's cancels
            // (UI-12) and gives a fresh keypad with the focus in the number. Leaving only the
            // list put the focus on the page body and kept the old number, so the digits typed
            // next were added to it.
            _ => false,
        };
        if handled {
            // The dial screen's Enter (which calls) must not also fire.
            ev.prevent_default();
            ev.stop_propagation();
        }
    };
    let option_id = move |i: usize| format!("{dom_id}-{i}");
    // The entry the arrow keys reach is scrolled into view (the list shows about four).
    {
        let option_id = option_id.clone();
        Effect::new(move |previous: Option<usize>| {
            let now = active.get();
            if previous.is_some_and(|p| p != now) {
                let el = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id(&option_id(now)));
                if let Some(el) = el {
                    let options = web_sys::ScrollIntoViewOptions::new();
                    options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                    el.scroll_into_view_with_scroll_into_view_options(&options);
                }
            }
            now
        });
    }
    let active_id = {
        let option_id = option_id.clone();
        move || option_id(active.get())
    };
    view! {
        <ul
            class=style::list
            role="listbox"
            tabindex="0"
            data-testid=test_id
            aria-label=move || label.get()
            aria-activedescendant=active_id
            on:keydown=keydown
            on:focus=move |_| {
                if let Some(i) = chosen() {
                    active.set(i);
                }
            }
        >
            {move || {
                items
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let class = move || {
                            stylance::classes!(
                                style::option,
                                (active.get() == i).then_some(style::active)
                            )
                        };
                        view! {
                            <li
                                id=option_id(i)
                                class=class
                                role="option"
                                aria-selected=if item.selected { "true" } else { "false" }
                                data-testid=format!("{option_prefix}{}", item.key)
                                on:click=move |_| {
                                    active.set(i);
                                    on_choose.run(i)
                                }
                            >
                                <span class=style::mark aria-hidden="true">
                                    {if item.selected { "●" } else { "○" }}
                                </span>
                                <span class=style::texts>
                                    <span class=style::primary>{item.primary}</span>
                                    <span class=style::secondary>{item.secondary}</span>
                                    {(!item.detail.is_empty()).then(|| view! {
                                        <span class=style::detail title=item.detail.clone()>{item.detail.clone()}</span>
                                    })}
                                </span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}
