//! The dial screen's associations (UI-8 … UI-10, UI-14, UI-15): "Use entered number to make
//! call", Contact ID and Ticket ID, each shown as `domain::dial`'s view says.

use crate::{
    services::live::{use_adapter, Adapter},
    ui::{
        chooser::{Chooser, ChooserItem},
        dial_screen::{focus_next_step, focus_next_step_from, part, short_time, style},
        word,
    },
};
use domain::{
    dial::{ContactChoice, ContactMode, DialView, TicketChoice, TicketMode},
    labels::Label,
};
use leptos::prelude::*;

/// "Use entered number", Contact ID and Ticket ID (UI-8 … UI-10, UI-14, UI-15).
#[component]
pub fn Associations(
    /// What the open dial screen shows.
    view: Memo<Option<DialView>>,
) -> impl IntoView {
    let adapter = use_adapter();
    let use_entered = part(view, |v| v.and_then(|v| v.use_entered_number));
    view! {
        <div class=style::associations>
            {move || {
                use_entered
                    .get()
                    .map(|checked| {
                        view! {
                            <label class=style::checkbox>
                                <input
                                    type="checkbox"
                                    data-testid="use-entered-number"
                                    prop:checked=checked
                                    on:change:target=move |ev| {
                                        let on = ev.target().checked();
                                        adapter.edit(|d| d.set_use_entered_number(on));
                                    }
                                />
                                <span>{word(Label::UseEnteredNumber)}</span>
                            </label>
                        }
                    })
            }}
            <ContactField view=view/>
            <TicketField view=view/>
        </div>
    }
}

/// Contact ID: the contacts to choose from, or the contact the screen resolved (UI-9, UI-14).
#[component]
fn ContactField(
    /// What the open dial screen shows.
    view: Memo<Option<DialView>>,
) -> impl IntoView {
    let adapter = use_adapter();
    let contact = move || view.with(|v| v.as_ref().map(|v| v.contact.clone()));
    let contact_items = Signal::derive(move || {
        let language = adapter.catalogue.with_untracked(|c| c.language.clone());
        contact()
            .map(|c| {
                c.options
                    .iter()
                    .map(|o| {
                        ChooserItem::contact(
                            o.id,
                            &o.name,
                            o.email.as_deref(),
                            o.created_at,
                            c.selected == Some(ContactChoice::Existing(o.id)),
                            &language,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    });
    // After a choice the focus moves on to the next field (the re-drawn list would otherwise
    // drop it to the page body).
    let choose_contact = move |i: usize| {
        let id = contact().and_then(|c| c.options.get(i).map(|o| o.id));
        if let Some(id) = id {
            adapter.edit(|d| d.choose_contact(id));
            focus_next_step();
        }
    };
    // The field's element stays in place while its kind does (a lookup's answer changes its
    // text and state, not the element): only what changed is written to the page.
    let kind = Memo::new(move |_| {
        view.with(|v| match v.as_ref().map(|v| v.contact.mode) {
            _ if v.as_ref().is_some_and(|v| v.contact_editable) => FieldKind::Designate,
            Some(ContactMode::Chooser) => FieldKind::Chooser,
            Some(ContactMode::AwaitingNumber) | None => FieldKind::Empty,
            Some(_) => FieldKind::Input,
        })
    });
    let busy = part(view, |v| {
        v.is_some_and(|v| v.contact.mode == ContactMode::Loading)
    });
    let text = part(view, |v| {
        v.map(|v| v.contact.text.clone()).unwrap_or_default()
    });
    let notice = part(view, |v| v.and_then(|v| v.contact_notice.clone()));
    // A Contact ID Zendesk does not have (SET-10): the field is marked, and keeps the keyboard.
    let not_found = part(view, |v| {
        v.is_some_and(|v| {
            matches!(
                v.blocker,
                Some(domain::dial::DialError::ContactNotFound { .. })
            )
        })
    });
    view! {
        <div class=style::field>
            <span class=style::field_label id="contact-label">{word(Label::ContactId)}</span>
            {move || match kind.get() {
                FieldKind::Chooser => view! {
                    <Chooser
                        test_id="contact-picker"
                        option_prefix="contact-option-"
                        label=Signal::derive(word(Label::ContactId))
                        items=contact_items
                        on_choose=choose_contact
                    />
                }
                .into_any(),
                // SET-10: a Contact ID typed (digits) names the call's contact; Enter or
                // leaving the field takes it (an Enter that changed it does not call yet).
                FieldKind::Designate => {
                    let field = NodeRef::<leptos::html::Input>::new();
                    // What the screen makes of a typed id (the contact's name, or an id Zendesk
                    // does not have) shows selected while the keyboard is in the field: the
                    // next id typed replaces it instead of joining it.
                    // (In the next frame: after the field's value is written.)
                    Effect::new(move |_| {
                        text.track();
                        request_animation_frame(move || {
                            if let Some(el) = field.try_get_untracked().flatten() {
                                let element: &web_sys::Element = el.as_ref();
                                if document().active_element().as_ref() == Some(element) {
                                    el.select();
                                }
                            }
                        });
                    });
                    view! {
                        <input
                            node_ref=field
                            class=style::entry
                            data-testid="contact-id"
                            inputmode="numeric"
                            autocomplete="off"
                            aria-labelledby="contact-label"
                            aria-busy=move || if busy.get() { "true" } else { "false" }
                            aria-invalid=move || if not_found.get() { "true" } else { "false" }
                            prop:value=move || text.get()
                            on:focus:target=move |ev| ev.target().select()
                            on:change:target=move |ev| {
                                designate(adapter, &ev.target(), text);
                            }
                            on:keydown:target=move |ev| {
                                if ev.key() == "Enter" && designate(adapter, &ev.target(), text) {
                                    ev.prevent_default();
                                    // A contact named: the keyboard goes on to the next step
                                    // once they are read (it waits here meanwhile: keys typed
                                    // go where the agent sees them).
                                    let named = adapter
                                        .dial
                                        .with_untracked(|d| d.as_ref().and_then(|d| d.designated()));
                                    if named.is_some() {
                                        focus_next_step_from(adapter, ev.target().into());
                                    }
                                }
                            }
                        />
                    }
                    .into_any()
                }
                FieldKind::Empty => view! {
                    <input
                        class=style::readonly
                        data-testid="contact-id"
                        aria-labelledby="contact-label"
                        readonly
                        prop:value=""
                    />
                }
                .into_any(),
                _ => view! {
                    <input
                        class=style::readonly
                        data-testid="contact-id"
                        aria-labelledby="contact-label"
                        aria-busy=move || if busy.get() { "true" } else { "false" }
                        readonly
                        prop:value=move || text.get()
                    />
                }
                .into_any(),
            }}
            // The contact clicked is gone from Zendesk: why another one shows.
            {move || {
                notice
                    .get()
                    .map(|n| view! { <p class=style::note role="status" data-testid="contact-notice">{n}</p> })
            }}
        </div>
    }
}

/// SET-10: the Contact ID typed in `field` designates the call's contact: an id (digits, `#`
/// allowed) names that contact; anything else, or nothing, names none, and the field shows
/// what the screen resolved again. Left as shown (`shown`: the contact's name, or "New
/// contact"), nothing changes. True when the Enter that took it must not go on to call: the
/// contact named changed, or what was typed named nobody.
fn designate(adapter: Adapter, field: &web_sys::HtmlInputElement, shown: Memo<String>) -> bool {
    let typed = field.value();
    if typed == shown.get_untracked() {
        return false;
    }
    let named = domain::dial::parse_ticket_id(&typed);
    let before = adapter
        .dial
        .with_untracked(|d| d.as_ref().and_then(|d| d.designated()));
    if named == before {
        // The same contact again shows as before (an Enter then calls); what names nobody
        // shows what the screen resolved (and its Enter only did that).
        field.set_value(&shown.get_untracked());
        field.select();
        return named.is_none();
    }
    adapter.edit(|d| d.designate_contact(named));
    if named.is_none() {
        field.set_value(&shown.get_untracked());
        field.select();
    }
    true
}

/// What a field is drawn as: its element changes only when this does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldKind {
    /// Typed in (SET-10): the Contact ID of the contact the call is for.
    Designate,
    /// Nothing to show yet.
    Empty,
    /// Read-only: what the screen resolved, or that it is still being read.
    Input,
    /// A list to choose from.
    Chooser,
    /// Typed in (TEAM-4), required or not.
    Entry { required: bool },
    /// Not shown.
    Hidden,
}

/// Ticket ID: the tickets to choose from, the number to type, or the ticket the screen
/// resolved (UI-10, UI-15).
#[component]
fn TicketField(
    /// What the open dial screen shows.
    view: Memo<Option<DialView>>,
) -> impl IntoView {
    let adapter = use_adapter();
    let ticket = move || view.with(|v| v.as_ref().map(|v| v.ticket.clone()));
    let ticket_items = Signal::derive(move || {
        let status_word =
            |s: domain::crm::TicketStatus| adapter.catalogue.with(|c| c.get(s.label()).to_owned());
        let language = adapter.catalogue.with_untracked(|c| c.language.clone());
        ticket()
            .map(|t| {
                t.options
                    .iter()
                    .map(|o| ChooserItem {
                        key: match o.choice {
                            TicketChoice::Existing(id) => id.to_string(),
                            TicketChoice::New => "new".into(),
                            TicketChoice::DoNotCreate => "none".into(),
                        },
                        primary: o.label.clone(),
                        secondary: match (o.status, o.updated_at) {
                            (Some(s), Some(at)) => {
                                format!("{} · {}", status_word(s), short_time(at, &language))
                            }
                            (Some(s), None) => status_word(s),
                            _ => String::new(),
                        },
                        detail: String::new(),
                        selected: t.selected == Some(o.choice),
                    })
                    .collect()
            })
            .unwrap_or_default()
    });
    // After a choice the focus moves on to the next field (the re-drawn list would otherwise
    // drop it to the page body).
    let choose_ticket = move |i: usize| {
        let choice = ticket().and_then(|t| t.options.get(i).map(|o| o.choice));
        if let Some(choice) = choice {
            adapter.edit(|d| d.choose_ticket(choice));
            focus_next_step();
        }
    };
    // As for the contact: the element stays while its kind does.
    let kind = Memo::new(move |_| {
        view.with(|v| {
            let Some(t) = v.as_ref().map(|v| &v.ticket) else {
                return FieldKind::Hidden;
            };
            match t.mode {
                TicketMode::Entry { required } => FieldKind::Entry { required },
                _ if t.options.len() > 1 || t.mode == TicketMode::Chooser => FieldKind::Chooser,
                TicketMode::Hidden => FieldKind::Hidden,
                _ => FieldKind::Input,
            }
        })
    });
    let entry_text = part(view, |v| {
        v.map(|v| v.ticket.entry_text.clone()).unwrap_or_default()
    });
    let loading_word = word(Label::Loading);
    let blank_hint = word(Label::TicketIdBlankHint);
    let loading = part(view, |v| {
        v.is_some_and(|v| v.ticket.mode == TicketMode::Loading)
    });
    let shown = part(view, |v| {
        v.and_then(|v| v.ticket.options.first().map(|o| o.label.clone()))
            .unwrap_or_default()
    });
    view! {
        {move || {
            let label = Signal::derive(word(Label::TicketId));
            let field = match kind.get() {
                FieldKind::Entry { required } => view! {
                    <input
                        class=style::entry
                        data-testid="ticket-id"
                        inputmode="numeric"
                        aria-labelledby="ticket-label"
                        aria-required=if required { "true" } else { "false" }
                        // TEAM-5: what a blank optional entry does (a required one says so in
                        // the screen's message).
                        placeholder=move || (!required).then(blank_hint)
                        prop:value=move || entry_text.get()
                        on:input:target=move |ev| {
                            let value = ev.target().value();
                            adapter.edit(|d| d.type_ticket_id_text(&value));
                            settle_ticket_id_after_pause(adapter);
                        }
                        // Enter (it then calls, UI-11) and leaving the field do not wait.
                        on:keydown=move |ev| {
                            if ev.key() == "Enter" {
                                settle_ticket_id(adapter);
                            }
                        }
                        on:blur=move |_| settle_ticket_id(adapter)
                    />
                }
                .into_any(),
                FieldKind::Chooser => view! {
                    <Chooser
                        test_id="ticket-picker"
                        option_prefix="ticket-option-"
                        label=label
                        items=ticket_items
                        on_choose=choose_ticket
                    />
                }
                .into_any(),
                FieldKind::Hidden => return None,
                FieldKind::Input | FieldKind::Empty | FieldKind::Designate => view! {
                    <input
                        class=style::readonly
                        data-testid="ticket-id"
                        aria-labelledby="ticket-label"
                        aria-busy=move || loading.get().then_some("true")
                        readonly
                        prop:value=move || {
                            if loading.get() { loading_word() } else { shown.get() }
                        }
                    />
                }
                .into_any(),
            };
            Some(view! {
                <div class=style::field>
                    <span class=style::field_label id="ticket-label">{word(Label::TicketId)}</span>
                    {field}
                </div>
            })
        }}
    }
}

/// How long the agent pauses in the Ticket ID entry before the id typed is read (TEAM-4): a
/// few hundred milliseconds, longer than the gap between two keys.
const TICKET_ID_PAUSE_MS: u64 = 400;

thread_local! {
    /// The Ticket ID entry's edits so far: a pause is over only if no edit came after it began.
    static TICKET_ID_EDITS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The id typed is read and judged once the agent has not typed for [`TICKET_ID_PAUSE_MS`]:
/// one read for a whole id, not one per digit.
fn settle_ticket_id_after_pause(adapter: Adapter) {
    let edit = TICKET_ID_EDITS.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    set_timeout(
        move || {
            if TICKET_ID_EDITS.with(std::cell::Cell::get) == edit {
                settle_ticket_id(adapter);
            }
        },
        std::time::Duration::from_millis(TICKET_ID_PAUSE_MS),
    );
}

/// The id typed in the Ticket ID entry is read and judged now (when it was being typed).
fn settle_ticket_id(adapter: Adapter) {
    let typing = adapter
        .dial
        .with_untracked(|d| d.as_ref().is_some_and(|d| d.ticket_id_typing()));
    if typing {
        adapter.edit(|d| {
            d.settle_ticket_id();
        });
    }
}
