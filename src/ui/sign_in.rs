//! Sign-in to the contact-centre platform. The password is sent once and never stored; the
//! session token lives in memory for the page's life.

use crate::{
    services::live::use_adapter,
    ui::{banner::ErrorBanner, word},
};
use domain::labels::Label;
use leptos::{ev, prelude::*};

stylance::import_crate_style!(style, "src/ui/sign_in.module.css");

/// The sign-in form.
#[component]
pub fn SignIn() -> impl IntoView {
    let adapter = use_adapter();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    // A sign-in sent from the button (disabled meanwhile) that did not go through: the button
    // has the keyboard back, so Enter tries again.
    let submit_ref = NodeRef::<leptos::html::Button>::new();
    crate::ui::focus_back_when_done(move || busy.get(), submit_ref);
    // The first key in either field says a sign-in is coming: what the session needs is fetched
    // while the agent types.
    let typed = StoredValue::new(false);
    let on_key = move || {
        if !typed.get_value() {
            typed.set_value(true);
            adapter.sign_in_typed();
        }
    };
    let submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (e, p) = (email.get_untracked(), password.get_untracked());
        if e.trim().is_empty() || p.is_empty() {
            adapter.error(adapter.word(Label::ErrEmailPasswordRequired));
            return;
        }
        adapter.sign_in(e, p, busy);
    };
    // Shown while the agent works in the adapter (signed out by keyboard, a session that ended):
    // the keyboard starts in the email field, not on the page body, where the next Tab would
    // leave the adapter. A frame the agent is not in is left alone: no focus is taken from Zendesk.
    request_animation_frame(|| {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if crate::ui::focus_lost() && doc.has_focus().unwrap_or(false) {
            crate::ui::focus_on("[data-testid=sign-in-email]");
        }
    });
    view! {
        <form class=style::form on:submit=submit>
            <h1 class=style::title>{word(Label::SignInTitle)}</h1>
            {move || {
                adapter
                    .platform_host
                    .get()
                    .map(|host| {
                        view! {
                            <p class=style::host data-testid="sign-in-host">
                                {word(Label::SignInTo)} ": " <strong>{host}</strong>
                            </p>
                        }
                    })
            }}
            <ErrorBanner/>
            <label class=style::field>
                <span>{word(Label::Email)}</span>
                <input
                    class=style::input
                    type="email"
                    autocomplete="username"
                    data-testid="sign-in-email"
                    prop:value=email
                    on:input:target=move |ev| {
                        email.set(ev.target().value());
                        on_key();
                    }
                />
            </label>
            <label class=style::field>
                <span>{word(Label::Password)}</span>
                <input
                    class=style::input
                    type="password"
                    autocomplete="current-password"
                    data-testid="sign-in-password"
                    prop:value=password
                    on:input:target=move |ev| {
                        password.set(ev.target().value());
                        on_key();
                    }
                />
            </label>
            <button
                class=style::submit
                type="submit"
                data-testid="sign-in-submit"
                node_ref=submit_ref
                prop:disabled=move || busy.get()
                aria-busy=move || if busy.get() { "true" } else { "false" }
            >
                {move || if busy.get() { word(Label::SigningIn)() } else { word(Label::SignIn)() }}
            </button>
        </form>
    }
}
