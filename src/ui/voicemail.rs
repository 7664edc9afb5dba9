//! Voicemail: the voicemails of the queues the agent serves that are not closed, newest first;
//! each plays in the adapter, and can be marked read, closed or called back (UPD-15: each is
//! written on the voicemail's ticket once). Up and Down move between them.

use crate::{
    services::live::{use_adapter, Adapter},
    ui::{
        home::{Place, StatusLine},
        recent::{duration, style, when, who, ListTop},
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
    // Back from a refused call back: the keyboard on that voicemail's Call back, after the
    // list's own placing of it (on the first row) is done.
    if let Some(id) = vms.try_update_untracked(|v| v.called_back.take()).flatten() {
        request_animation_frame(move || {
            request_animation_frame(move || {
                crate::ui::focus_on(&format!(
                    "[data-voicemail-id=\"{id}\"] [data-testid=voicemail-call-back]"
                ));
            })
        });
    }
    view! {
        <section class=style::screen aria-labelledby="voicemail-title" data-testid="voicemail-screen">
            <ListTop
                place=Place::Voicemail
                title=Label::Voicemails
                prefix="voicemail"
                failed=Signal::derive(move || vms.with(|v| v.failed.clone()))
                read_failed=Signal::derive(move || vms.with(|v| v.read_failed))
                first_load=Signal::derive(move || vms.with(|v| v.loading && v.list.is_empty() && v.failed.is_none()))
                empty=Signal::derive(move || vms.with(|v| v.loaded && v.list.is_empty() && !v.loading))
                empty_label=Label::NoVoicemails
                has_rows=Signal::derive(move || vms.with(|v| !v.list.is_empty()))
                by_itself=Signal::derive(move || vms.with(|v| v.by_itself))
                retry=Callback::new(move |()| adapter.open_voicemails())
            />
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
    // Each of the row's buttons says whose voicemail it is to a screen reader: the arrows go from
    // button to button, past the row's text.
    let (who_id, meta_id) = (
        format!("voicemail-who-{id}"),
        format!("voicemail-meta-{id}"),
    );
    let described_by = format!("{who_id} {meta_id}");
    let (call_back_of, read_of) = (described_by.clone(), described_by.clone());
    // Mark read goes once the voicemail is read (here, or by the platform's word): the keyboard
    // on it moves on to Close then, not when pressed. If marking it read fails, the focus stays
    // on Mark read and Enter tries again (it moved at once, and the next Enter closed the
    // voicemail instead).
    Effect::new(move |was_unread: Option<bool>| {
        let now = unread();
        if was_unread == Some(true) && !now {
            let on_read = document().active_element().is_none_or(|e| {
                e.tag_name().eq_ignore_ascii_case("body")
                    || e.get_attribute("data-testid").as_deref() == Some("voicemail-read")
            });
            if let Some(close) = close_ref.get_untracked().filter(|_| on_read) {
                let _ = close.focus();
            }
        }
        now
    });
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
                <p class=style::who data-testid="voicemail-who" id=who_id>{name}</p>
                <p class=style::meta id=meta_id>
                    {time} " · " {duration(vm.duration_s)}
                    <Show when=unread>
                        " · "
                        <span data-testid="voicemail-unread-mark">{word(Label::Unread)}</span>
                    </Show>
                </p>
                {transcript.map(|t| view! {
                    <p class=style::transcript>
                        <span class=crate::ui::a11y::style::visually_hidden>{word(Label::Transcript)} ": "</span>
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
                        aria-label=move || format!("{}: {}", word(Label::Recording)(), name.get())
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
                    aria-describedby=call_back_of
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
                        aria-describedby=read_of.clone()
                        aria-busy=move || busy().to_string()
                        on:click=move |_| adapter.voicemail_action(id, VoicemailAction::Read)
                    >
                        {word(Label::MarkRead)}
                    </button>
                </Show>
                <button
                    type="button"
                    class=style::button
                    node_ref=close_ref
                    data-testid="voicemail-close"
                    aria-describedby=described_by
                    aria-busy=move || busy().to_string()
                    on:click=move |_| adapter.voicemail_action(id, VoicemailAction::Closed)
                >
                    {word(Label::CloseVoicemail)}
                </button>
            </div>
        </li>
    }
}
