//! Voicemail: the voicemails of the queues the agent serves that are not closed, newest first;
//! each plays in the adapter, and can be marked read, closed or called back (UPD-15: each is
//! written on the voicemail's ticket once). Up and Down move between them.

use crate::{
    services::live::{use_adapter, Adapter},
    ui::{
        home::{HomeNav, Place, StatusLine},
        recent::{arrows_between_rows, duration, focus_rows_when_shown, style, when, who},
        word,
    },
};
use domain::{comments::VoicemailAction, history::Voicemail, labels::Label};
use leptos::prelude::*;

/// The Voicemail screen.
#[component]
pub fn VoicemailScreen() -> impl IntoView {
    let adapter = use_adapter();
    let vms = adapter.voicemails;
    let list = move || vms.with(|v| v.list.clone());
    let empty = move || vms.with(|v| v.loaded && v.list.is_empty() && !v.loading);
    let first_load = move || vms.with(|v| v.loading && v.list.is_empty());
    focus_rows_when_shown(
        move || vms.with(|v| !v.list.is_empty()),
        "voicemail-call-back",
    );
    arrows_between_rows("voicemail-call-back");
    view! {
        <section class=style::screen aria-labelledby="voicemail-title" data-testid="voicemail-screen">
            <HomeNav current=Place::Voicemail/>
            <h1 class=style::title id="voicemail-title" tabindex="-1" data-testid="voicemail-title">
                {word(Label::Voicemails)}
            </h1>
            <Show when=move || vms.with(|v| v.failed.is_some())>
                <div class=style::error role="alert" data-testid="voicemail-error">
                    <p>{move || vms.with(|v| v.failed.clone().unwrap_or_default())}</p>
                    <button
                        type="button"
                        class=style::button
                        data-testid="voicemail-retry"
                        on:click=move |_| adapter.open_voicemails()
                    >
                        {word(Label::TryAgain)}
                    </button>
                </div>
            </Show>
            <Show when=first_load>
                <p class=style::notice role="status" aria-busy="true">{word(Label::Loading)}</p>
            </Show>
            <Show when=empty>
                <p class=style::notice data-testid="voicemail-empty">{word(Label::NoVoicemails)}</p>
            </Show>
            <ul
                class=style::list
                data-testid="voicemail-list"
            >
                <For each=list key=|v| v.id let:vm>
                    <VoicemailRow vm=vm adapter=adapter/>
                </For>
            </ul>
            <div class=style::footer>
                <StatusLine/>
            </div>
        </section>
    }
}

/// One voicemail.
#[component]
fn VoicemailRow(vm: Voicemail, adapter: Adapter) -> impl IntoView {
    let region = adapter.context.with_untracked(|c| c.region.clone());
    let (contact, number) = (vm.contact_id, vm.from.clone());
    let name = Memo::new(move |_| adapter.crm.with(|crm| who(contact, &number, crm, &region)));
    let language = adapter.catalogue.with_untracked(|c| c.language.clone());
    let time = domain::time::parse_iso8601(&vm.created_at)
        .map(|s| when(s, &language))
        .unwrap_or_default();
    let id = vm.id;
    let busy = move || adapter.voicemails.with(|v| v.busy.contains(&id));
    let call_on = move || {
        adapter
            .call
            .with(|c| c.as_ref().is_some_and(|c| c.is_live()))
    };
    let ticket = vm.ticket_id;
    // Read follows the platform (here, another agent, an event) without redrawing the row: the
    // keyboard's place in it stays.
    let unread = move || {
        adapter
            .voicemails
            .with(|v| v.list.iter().any(|x| x.id == id && !x.read))
    };
    let close_ref = NodeRef::<leptos::html::Button>::new();
    let transcript = vm.transcript.clone().filter(|t| !t.is_empty());
    let url = vm.recording_url.clone();
    let row_vm = vm.clone();
    view! {
        <li
            class=move || {
                if unread() {
                    format!("{} {}", style::row, style::unread)
                } else {
                    style::row.to_owned()
                }
            }
            data-testid="voicemail-row"
            data-voicemail-id=id.to_string()
        >
            <div class=style::what>
                <p class=style::who data-testid="voicemail-who">{name}</p>
                <p class=style::meta>
                    {time} " · " {duration(vm.duration_s)}
                    <Show when=unread>
                        " · "
                        <span data-testid="voicemail-unread-mark">{word(Label::Unread)}</span>
                    </Show>
                </p>
                {transcript.map(|t| view! {
                    <p class=style::transcript>
                        <span class=style::visually_hidden>{word(Label::Transcript)} ": "</span>
                        {t}
                    </p>
                })}
                {(!url.is_empty()).then(|| view! {
                    <audio
                        class=style::audio
                        controls=true
                        preload="none"
                        src=url.clone()
                        data-testid="voicemail-audio"
                        aria-label=move || format!("{} {}", word(Label::Recording)(), name.get())
                    ></audio>
                })}
                {ticket.map(|t| view! {
                    <button
                        type="button"
                        class=style::link
                        data-testid="voicemail-ticket"
                        aria-label=move || format!("{} #{t}", word(Label::OpenTicket)())
                        on:click=move |_| adapter.open_ticket(t)
                    >
                        {format!("#{t}")}
                    </button>
                })}
            </div>
            <div class=style::actions>
                <button
                    type="button"
                    class=style::primary
                    data-testid="voicemail-call-back"
                    prop:disabled=move || busy() || call_on()
                    on:click=move |_| adapter.call_back_voicemail(&row_vm)
                >
                    {word(Label::CallBack)}
                </button>
                <Show when=unread>
                    <button
                        type="button"
                        class=style::button
                        data-testid="voicemail-read"
                        on:click=move |_| {
                            // The button goes once it is read: the keyboard moves on to Close.
                            if let Some(close) = close_ref.get_untracked() {
                                let _ = close.focus();
                            }
                            adapter.voicemail_action(id, VoicemailAction::Read)
                        }
                    >
                        {word(Label::MarkRead)}
                    </button>
                </Show>
                <button
                    type="button"
                    class=style::button
                    node_ref=close_ref
                    data-testid="voicemail-close"
                    aria-busy=move || busy().to_string()
                    on:click=move |_| adapter.voicemail_action(id, VoicemailAction::Closed)
                >
                    {word(Label::CloseVoicemail)}
                </button>
            </div>
        </li>
    }
}
