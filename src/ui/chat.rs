//! Chats: the row of session tabs (the phone, then each chat, Alt+1..9), and a chat's screen:
//! its offer (Enter accepts), its conversation (messages in order with time and author, the
//! customer's typing, each of the agent's messages with its delivery state, a failed one kept
//! with "Send again"), the composer (Enter sends, Shift+Enter a new line) and its end. Every text
//! from the customer is rendered as text: a link or markup in it stays inert.

use crate::{
    services::live::{use_adapter, Adapter, Screen},
    ui::{banner::ErrorBanner, focus_back_when_done, recent::when, word},
};
use domain::{
    call::{ActiveCall, CallPhase},
    chat::{tab_for_digit, Author, Chat, ChatMessage, ChatStatus},
    crm::SessionPlatform,
    labels::Label,
};
use leptos::{ev, prelude::*};

stylance::import_crate_style!(style, "src/ui/chat.module.css");
// The buttons look as in Recent and Voicemail.
use crate::ui::recent::style as buttons;

/// The session tabs, shown while the agent has chats; Alt+1 is the phone, Alt+2.. the chats.
#[component]
pub fn SessionTabs() -> impl IntoView {
    let adapter = use_adapter();
    let handle = window_event_listener(ev::keydown, move |e| {
        // Only while there are tabs to switch between (Alt+digit is the page's otherwise).
        if !e.alt_key()
            || e.ctrl_key()
            || e.meta_key()
            || adapter.chats.with_untracked(Vec::is_empty)
        {
            return;
        }
        let count = 1 + adapter.chats.with_untracked(Vec::len);
        let digit = e.code().strip_prefix("Digit").and_then(|d| d.parse().ok());
        if let Some(i) = digit.and_then(|d| tab_for_digit(d, count)) {
            e.prevent_default();
            adapter.open_tab(i);
            focus_screen();
        }
    });
    on_cleanup(move || handle.remove());
    let shown = move || adapter.chats.with(|c| !c.is_empty());
    let on_phone = move || !matches!(adapter.screen.get(), Screen::Chat(_));
    let call_live = move || {
        adapter
            .call
            .with(|c| c.as_ref().is_some_and(|c| c.phase != CallPhase::Ended))
    };
    // A call offered while the agent is in a chat rings here (`services::inbound`).
    let ringing = move || {
        !on_phone()
            && adapter
                .call
                .with(|c| c.as_ref().is_some_and(ActiveCall::offered_to_agent))
    };
    // Keyed by chat: a tab is drawn once, and follows its chat's state (the keyboard stays on it).
    let tabs = Memo::new(move |_| {
        adapter
            .chats
            .with(|all| all.iter().map(|c| c.id).collect::<Vec<_>>())
    });
    view! {
        <Show when=shown>
            <nav class=style::tabs aria-label=word(Label::Sessions) data-testid="session-tabs">
                <button
                    type="button"
                    class=style::tab
                    aria-current=move || on_phone().then_some("page")
                    title="Alt+1"
                    data-testid="session-tab-phone"
                    on:click=move |_| adapter.open_tab(0)
                >
                    <span
                        class=move || {
                            if ringing() {
                                style::offered
                            } else if call_live() {
                                style::live
                            } else {
                                style::idle
                            }
                        }
                        aria-hidden="true"
                    ></span>
                    {word(Label::SessionCall)}
                    {move || ringing().then(|| view! {
                        <span class=style::ringing data-testid="session-tab-phone-ringing">{word(Label::CallRinging)}</span>
                    })}
                </button>
                <For each=move || tabs.get() key=|id| *id let:id>
                    <ChatTab adapter=adapter id=id/>
                </For>
            </nav>
        </Show>
    }
}

/// One chat's tab: who, its state, its unread count.
#[component]
fn ChatTab(adapter: Adapter, id: u64) -> impl IntoView {
    let index = Memo::new(move |_| {
        adapter
            .chats
            .with(|all| all.iter().position(|c| c.id == id).unwrap_or(0) + 2)
    });
    let who = field(adapter, id, move |c| {
        adapter.catalogue.with(|cat| c.who(cat))
    });
    let status = field(adapter, id, |c| c.status);
    let unread = field(adapter, id, |c| c.unread);
    let current = move || adapter.screen.get() == Screen::Chat(id);
    let state = move || match status.get() {
        ChatStatus::Offered => Some(Label::NewChat),
        ChatStatus::Ended => Some(Label::ChatEndedByAgent),
        ChatStatus::Active => None,
    };
    let dot = move || match status.get() {
        ChatStatus::Offered => style::offered,
        ChatStatus::Active => style::live,
        ChatStatus::Ended => style::idle,
    };
    view! {
        <button
            type="button"
            class=style::tab
            aria-current=move || current().then_some("page")
            // The whole name where the tab shows only its start (a long name is cut short).
            title=move || format!("{} · Alt+{}", who.get(), index.get())
            data-testid=format!("session-tab-{id}")
            on:click=move |_| adapter.open_chat(id)
        >
            <span class=dot aria-hidden="true"></span>
            <span class=style::tab_name>{move || who.get()}</span>
            {move || state().map(|l| view! { <span class=crate::ui::a11y::style::visually_hidden>{word(l)}</span> })}
            {move || (unread.get() > 0).then(|| view! {
                <span class=crate::ui::a11y::style::visually_hidden>{word(Label::UnreadMessages)} ": "</span>
                <span class=style::badge data-testid=format!("session-tab-{id}-unread")>{unread.get()}</span>
            })}
        </button>
    }
}

/// One value of chat `id`, recomputed when the chats change and passed on only when it changed
/// (no component clones a whole chat to read a part of it).
fn field<T: Clone + PartialEq + Default + Send + Sync + 'static>(
    adapter: Adapter,
    id: u64,
    f: impl Fn(&Chat) -> T + Send + Sync + 'static,
) -> Memo<T> {
    Memo::new(move |_| {
        adapter
            .chats
            .with(|all| all.iter().find(|c| c.id == id).map(&f).unwrap_or_default())
    })
}

/// Moves the keyboard into the screen just opened: its first control.
fn focus_screen() {
    #[cfg(target_arch = "wasm32")]
    {
        request_animation_frame(|| {
            // The screen's own first place (the offer's Accept, the composer), else its first
            // field or button: never the tabs themselves.
            let doc = document();
            let el = [
                "main [data-autofocus]",
                "main section input:not([disabled])",
                "main input:not([disabled])",
                "main section button:not([disabled])",
            ]
            .into_iter()
            .find_map(|q| doc.query_selector(q).ok().flatten())
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
            if let Some(el) = el {
                let _ = el.focus();
            }
        });
    }
}

/// A chat's screen: its offer, or its conversation.
#[component]
pub fn ChatScreen(id: u64) -> impl IntoView {
    let adapter = use_adapter();
    // The offer or the conversation: drawn again only when it goes from one to the other (not
    // when the chat ends: the conversation keeps its place).
    let offered = Memo::new(move |_| {
        adapter.chats.with(|all| {
            all.iter()
                .find(|c| c.id == id)
                .map(|c| c.status == ChatStatus::Offered)
        })
    });
    view! {
        <section class=style::screen data-testid="chat-screen" data-chat=id.to_string()>
            <ChatHead adapter=adapter id=id/>
            // What failed while here (Accept or End that the platform could not take) is said
            // here, not on the phone's screen the agent is not looking at.
            <ErrorBanner/>
            {move || match offered.get() {
                Some(true) => view! { <Offer adapter=adapter id=id/> }.into_any(),
                Some(false) => view! { <Conversation adapter=adapter id=id/> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}

/// Who, the channel, the menu path and the ticket.
#[component]
fn ChatHead(adapter: Adapter, id: u64) -> impl IntoView {
    let who = field(adapter, id, move |c| {
        adapter.catalogue.with(|cat| c.who(cat))
    });
    let platform = field(adapter, id, |c| c.platform);
    let channel = move || {
        let label = match platform.get() {
            Some(SessionPlatform::Mobile) => Label::PlatformMobile,
            _ => Label::PlatformWeb,
        };
        adapter.catalogue.with(|c| c.get(label).to_owned())
    };
    let menu = field(adapter, id, |c| c.menu.clone());
    let ticket = field(adapter, id, |c| c.ticket_id);
    let who = move || who.get();
    let menu = move || menu.get();
    let ticket = move || ticket.get();
    view! {
        <header class=style::head>
            <h1 class=style::who data-testid="chat-who">{who}</h1>
            <p class=style::meta data-testid="chat-meta">
                {channel}
                {move || (!menu().is_empty()).then(|| format!(" \u{b7} {}", menu()))}
                {move || ticket().map(|t| view! {
                    " \u{b7} "
                    <button
                        type="button"
                        class=buttons::link
                        data-testid="chat-ticket"
                        aria-label=move || format!("{} #{t}", word(Label::OpenTicket)())
                        on:click=move |_| adapter.open_ticket(t)
                    >
                        {format!("#{t}")}
                    </button>
                })}
            </p>
        </header>
    }
}

/// The offer: the first message, Accept (focused: Enter accepts) and Decline.
#[component]
fn Offer(adapter: Adapter, id: u64) -> impl IntoView {
    let first = adapter.chats.with_untracked(|all| {
        all.iter()
            .find(|c| c.id == id)
            .and_then(|c| c.first_message().map(|m| m.text.clone()))
    });
    let from = adapter.chats.with_untracked(|all| {
        all.iter()
            .find(|c| c.id == id)
            .and_then(|c| c.transferred_from.clone())
    });
    let busy = move || adapter.chat_busy.with(|b| b.contains(&id));
    let accept = NodeRef::<leptos::html::Button>::new();
    // Accept has the keyboard (Enter accepts), once the keys meant for the screen before have
    // come: an offer that took the screen as they typed a number's first digits waits for them
    // to pause, so that the Enter meant for the number does not take a chat they have not seen
    // (`typing`). Then, if they were pressing keys, only if the keyboard is still on nothing.
    Effect::new(move |_| {
        if accept.get().is_some() {
            let shown = js_sys::Date::now();
            crate::ui::typing::after_keys_on_their_way(shown, move || {
                // Keys came since shortly before the offer: the agent was busy, and may have
                // moved the keyboard themselves meanwhile.
                let waited =
                    crate::ui::typing::keys_since(shown - crate::ui::typing::TYPING_PAUSE_MS);
                if waited && !crate::ui::focus_lost() {
                    return;
                }
                // The agent is working in Zendesk (the frame does not have the keyboard): the
                // offer shows there without taking the keys meant for a ticket (an Enter would
                // take the chat).
                if !document().has_focus().unwrap_or(true) {
                    return;
                }
                if let Some(b) = accept.try_get_untracked().flatten() {
                    let _ = b.focus();
                }
            });
        }
    });
    // An answer that did not go through gives the buttons back, and the keyboard with them.
    focus_back_when_done(busy, accept);
    view! {
        <div class=style::offer data-testid="chat-offer">
            <h2 class=style::offer_title>{word(Label::NewChat)}</h2>
            {from.map(|f| view! { <p class=style::meta data-testid="chat-transferred-by">{word(Label::TransferredBy)} " " {f}</p> })}
            {first.map(|t| view! { <p class=style::first data-testid="chat-first-message">{t}</p> })}
            <div class=style::actions>
                <button
                    type="button"
                    class=buttons::primary
                    node_ref=accept
                    data-autofocus
                    data-testid="chat-accept"
                    disabled=busy
                    on:click=move |_| adapter.answer_chat(id, true)
                >
                    {word(Label::Accept)}
                </button>
                <button
                    type="button"
                    class=buttons::button
                    data-testid="chat-decline"
                    disabled=busy
                    on:click=move |_| adapter.answer_chat(id, false)
                >
                    {word(Label::Decline)}
                </button>
            </div>
        </div>
    }
}

/// The conversation, the customer's typing, the composer, End chat (or how it ended).
#[component]
fn Conversation(adapter: Adapter, id: u64) -> impl IntoView {
    let messages = field(adapter, id, |c| c.messages.clone());
    let outgoing = field(adapter, id, |c| c.outgoing.clone());
    // Memos: the composer and the end are drawn again only when the chat's state changes, not at
    // each message (the agent's caret and typing stay where they are).
    let ended = field(adapter, id, |c| c.status == ChatStatus::Ended);
    let left = field(adapter, id, |c| c.ended_by == Some(Author::Customer));
    let typing = field(adapter, id, |c| c.typing);
    let who_memo = field(adapter, id, move |c| {
        adapter.catalogue.with(|cat| c.who(cat))
    });
    let who = move || who_memo.get();
    let language = adapter.catalogue.with_untracked(|c| c.language.clone());
    let log = NodeRef::<leptos::html::Div>::new();
    // The list opens at its newest message (the agent back in a chat from another tab saw its
    // first ones, the newest below the fold, and the list then never followed). A new message
    // shows: the list follows it when the agent was at its end, and always for one the agent
    // sends (their message, and whether it went, are what they look for).
    let shown = std::cell::Cell::new(None::<usize>);
    Effect::new(move |_| {
        let sent = outgoing.with(Vec::len);
        messages.track();
        let Some(ol) = log.get() else { return };
        let first = shown.get().is_none();
        let more_sent = shown
            .replace(Some(sent))
            .is_some_and(|before| sent > before);
        let at_end = ol.scroll_height() - ol.scroll_top() - ol.client_height() < 80;
        if first || more_sent || at_end {
            request_animation_frame(move || ol.set_scroll_top(ol.scroll_height()));
        }
    });
    let lang = language.clone();
    let who_signal = Signal::from(who_memo);
    view! {
        <div class=style::log role="log" aria-live="polite" node_ref=log data-testid="chat-log">
        <ol class=style::list>
            <For each=move || messages.get() key=|m| m.id let:m>
                <Message m=m language=lang.clone() who=who_signal own_name=adapter.agent_name.get_untracked()/>
            </For>
            <For each=move || outgoing.get() key=|o| (o.client_id.clone(), o.failed.clone()) let:o>
                {
                    let client = o.client_id.clone();
                    let failed = o.failed.clone();
                    view! {
                        <li class=style::mine data-testid="chat-outgoing">
                            <p class=style::text>{o.text.clone()}</p>
                            {match failed {
                                None => view! {
                                    <p class=style::state data-testid="chat-sending">{word(Label::Sending)}</p>
                                }.into_any(),
                                Some(why) => view! {
                                    <p class=style::failed role="alert" data-testid="chat-not-sent">
                                        {word(Label::NotSent)} ": " {why} " "
                                        <button
                                            hidden=move || ended.get()
                                            type="button"
                                            class=buttons::link
                                            data-testid="chat-send-again"
                                            on:click=move |_| {
                                                adapter.resend_chat(id, &client);
                                                // The row is drawn again as sending, without
                                                // this button: the keyboard goes to the
                                                // composer, not to the page.
                                                request_animation_frame(move || {
                                                    crate::ui::focus_on(&format!("#chat-input-{id}"));
                                                });
                                            }
                                        >
                                            {word(Label::SendAgain)}
                                        </button>
                                    </p>
                                }.into_any(),
                            }}
                        </li>
                    }
                }
            </For>
        </ol>
        </div>
        <p class=style::typing role="status" data-testid="chat-typing">
            {move || typing.get().then(|| format!("{} {}", who(), adapter.word(Label::IsTyping)))}
        </p>
        {move || if ended.get() {
            let text = if left.get() { Label::CustomerLeft } else { Label::ChatEndedByAgent };
            // The composer is gone: the keyboard goes to Close.
            let close = NodeRef::<leptos::html::Button>::new();
            Effect::new(move |_| {
                if close.get().is_some() {
                    crate::ui::typing::take_keyboard(move || {
                        if let Some(b) = close.try_get_untracked().flatten() {
                            let _ = b.focus();
                        }
                    });
                }
            });
            view! {
                <div class=style::ended data-testid="chat-ended">
                    <p role="status">{word(text)}</p>
                    <button
                        type="button"
                        class=buttons::button
                        node_ref=close
                        data-autofocus
                        data-testid="chat-close"
                        on:click=move |_| adapter.close_chat(id)
                    >
                        {word(Label::Close)}
                    </button>
                </div>
            }.into_any()
        } else {
            view! { <Composer adapter=adapter id=id/> }.into_any()
        }}
    }
}

/// One message: author, time, text (as text), and for the agent's, delivered.
#[component]
fn Message(
    m: ChatMessage,
    language: String,
    who: Signal<String>,
    own_name: Option<String>,
) -> impl IntoView {
    let mine = m.author == Author::Agent;
    let time = domain::time::parse_iso8601(&m.at)
        .map(|s| when(s, &language))
        .unwrap_or_default();
    // The agent's own messages say "You"; another agent's (before a transfer) their name.
    let other_agent = m
        .agent_name
        .clone()
        .filter(|n| Some(n) != own_name.as_ref());
    let author = move || match (mine, &other_agent) {
        (true, Some(name)) => name.clone(),
        (true, None) => word(Label::You)(),
        (false, _) => who.get(),
    };
    view! {
        <li class=if mine { style::mine } else { style::theirs } data-testid="chat-message" data-id=m.id.to_string()>
            <p class=style::by>
                <span class=style::author>{author}</span>
                " "
                <time class=style::time datetime=m.at.clone()>{time}</time>
            </p>
            <p class=style::text>{m.text.clone()}</p>
            {mine.then(|| view! { <p class=style::state>{word(Label::Delivered)}</p> })}
        </li>
    }
}

/// The composer: Enter sends, Shift+Enter a new line; what cannot be sent stays, with why.
#[component]
fn Composer(adapter: Adapter, id: u64) -> impl IntoView {
    let refusal = RwSignal::new(None::<String>);
    let counter = StoredValue::new(0u64);
    // When the agent last said they type (0: not typing). A plain cell: it outlives the
    // composer, whose removal (the chat's end, another screen) must still say "not typing".
    let typing_sent = TypingSince::default();
    {
        let typing_sent = typing_sent.clone();
        on_cleanup(move || {
            if typing_sent.get() > 0.0 {
                adapter.effects().chat_typing(id, false);
            }
        });
    }
    let page = StoredValue::new(page_id());
    let area = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if area.get().is_some() {
            crate::ui::typing::take_keyboard(move || {
                if let Some(a) = area.try_get_untracked().flatten() {
                    let _ = a.focus();
                }
            });
        }
    });
    // End chat that did not go through gives the button back, and the keyboard with it.
    let end_ref = NodeRef::<leptos::html::Button>::new();
    let ending = move || adapter.chat_busy.with(|b| b.contains(&id));
    focus_back_when_done(ending, end_ref);
    let send = {
        let typing_sent = typing_sent.clone();
        move || {
            let n = counter.get_value() + 1;
            counter.set_value(n);
            let why = page.with_value(|p| adapter.send_chat(id, n, p));
            refusal.set(why.clone());
            if why.is_none() {
                typing_sent.set(0.0);
                adapter.effects().chat_typing(id, false);
                if let Some(a) = area.get_untracked() {
                    a.set_value("");
                }
            }
        }
    };
    let send_on_click = send.clone();
    let typing_on_blur = typing_sent.clone();
    let hint_id = format!("chat-hint-{id}");
    view! {
        <div class=style::composer>
            <label class=crate::ui::a11y::style::visually_hidden for=format!("chat-input-{id}")>
                {word(Label::WriteMessage)}
            </label>
            <textarea
                id=format!("chat-input-{id}")
                class=style::input
                rows="2"
                node_ref=area
                data-autofocus
                data-testid="chat-input"
                aria-describedby=hint_id.clone()
                placeholder=word(Label::WriteMessage)
                prop:value=move || adapter.draft(id)
                on:input=move |e| {
                    adapter.set_draft(id, event_target_value(&e));
                    refusal.set(None);
                    let now = js_sys::Date::now();
                    if now - typing_sent.get() > 3_000.0 {
                        typing_sent.set(now);
                        adapter.effects().chat_typing(id, true);
                    }
                }
                on:blur=move |_| {
                    // The agent left the composer: the customer no longer sees them typing. (A
                    // composer taken away, at the chat's end, blurs after its state is gone.)
                    if typing_on_blur.get() > 0.0 {
                        typing_on_blur.set(0.0);
                        adapter.effects().chat_typing(id, false);
                    }
                }
                on:keydown=move |e: ev::KeyboardEvent| {
                    if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
                        e.prevent_default();
                        send();
                    }
                }
            ></textarea>
            <div class=style::actions>
                <button type="button" class=buttons::primary data-testid="chat-send" on:click=move |_| send_on_click()>
                    {word(Label::Send)}
                </button>
                <button
                    type="button"
                    class=buttons::button
                    data-testid="chat-end"
                    node_ref=end_ref
                    disabled=ending
                    on:click=move |_| adapter.end_chat(id)
                >
                    {word(Label::EndChat)}
                </button>
            </div>
            <p class=style::hint id=hint_id>{word(Label::ComposerKeys)}</p>
            {move || refusal.get().map(|r| view! { <p class=style::failed role="alert" data-testid="chat-refusal">{r}</p> })}
        </div>
    }
}

/// This page's own id for the agent's message ids (unique across tabs and reloads).
fn page_id() -> String {
    let r = (js_sys::Math::random() * 1e12) as u64;
    format!("{:x}{:x}", js_sys::Date::now() as u64, r)
}

/// When the agent last told the customer they type (0: they do not), shared by the composer's
/// handlers and its clean-up (which runs when the composer's reactive state is already gone).
#[derive(Clone, Default)]
struct TypingSince(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl TypingSince {
    fn get(&self) -> f64 {
        f64::from_bits(self.0.load(std::sync::atomic::Ordering::Relaxed))
    }
    fn set(&self, at: f64) {
        self.0
            .store(at.to_bits(), std::sync::atomic::Ordering::Relaxed);
    }
}
