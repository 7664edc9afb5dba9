//! The adapter's I/O: ZAF, the platform, Zendesk and the outbox, driven by the live state's
//! intents. There is one backend per page, set once Zendesk and the platform are reachable;
//! without it (component tests, native builds) intents change the state only.

use super::live::Adapter;
use domain::dial::DialPlan;

#[cfg(target_arch = "wasm32")]
pub use web::{
    answer, boot, dial_opened, hang_up, hold, notify_error, pick_caller, place, read_clipboard,
    refresh, route_to_ticket, send_tone, sign_in,
};

/// Outside the browser there is no Zendesk or platform: intents change the state only.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::*;
    use leptos::prelude::RwSignal;
    /// Connects to Zendesk (not here).
    pub fn boot(_: Adapter) {}
    /// Fetches what the dial screen needs (not here).
    pub fn refresh(_: Adapter) {}
    /// Reads the settings again for the dial screen just opened (not here).
    pub fn dial_opened(_: Adapter) {}
    /// Places a call (not here).
    pub fn place(_: Adapter, _: DialPlan) {}
    /// Tells the agent through Zendesk (not here).
    pub fn notify_error(_: &str) {}
    /// Opens a ticket in the agent's workspace (not here).
    pub fn route_to_ticket(_: u64) {}
    /// Ends the call (not here).
    pub fn hang_up(_: Adapter) {}
    /// Signs in to the platform (not here).
    pub fn sign_in(_: Adapter, _: String, _: String, _: RwSignal<bool>) {}
    /// Answers an inbound call (not here).
    pub fn answer(_: Adapter) {}
    /// Holds or resumes the call (not here).
    pub fn hold(_: Adapter, _: bool) {}
    /// Sends a touch tone (not here).
    pub fn send_tone(_: Adapter, _: char) {}
    /// Tells the platform which contact the caller is (not here).
    pub fn pick_caller(_: Adapter, _: u64) {}
    /// Reads the clipboard (not here).
    pub fn read_clipboard(_: Adapter) {}
}
#[cfg(not(target_arch = "wasm32"))]
pub use native::{
    answer, boot, dial_opened, hang_up, hold, notify_error, pick_caller, place, read_clipboard,
    refresh, route_to_ticket, send_tone, sign_in,
};

#[cfg(target_arch = "wasm32")]
mod web {
    use super::*;
    use crate::{
        platform::{
            CallInfo, CallStatus, Direction, EventStream, GlooTransport, Platform, PlatformEvent,
        },
        services::{
            crm::{add_tickets_of, lookup_number_detailed},
            leader::{Leader, LEASE_MS, RENEW_EVERY_MS},
            live::{ActiveCall, CallPhase, Inbound, Screen},
            messages,
            outbox::{Batching, Outbox, RunReport, TICKET_OF_EARLIER_JOB},
            storage::LocalStore,
            writes::fold,
            zaf_transport::ZafTransport,
        },
        zaf::{CurrentUser, Invoke, NotifyKind, Subscription, VoiceDialout, Zaf},
        zendesk::{Gated, Zendesk, ZendeskError},
    };
    use domain::{
        dial::{ContactPlan, DialContext, EntryPoint, Pending, TicketPlan},
        labels::{language_for_locale, Catalogue, Label},
        rules::{decide, Action, Event, RuleContext, Session, TicketRef},
    };
    use leptos::prelude::*;
    use std::{
        cell::RefCell,
        collections::{BTreeMap, BTreeSet},
        rc::Rc,
    };

    /// The Italian catalogue, built into the app.
    const ITALIAN: &str = include_str!("../../assets/i18n/it.json");

    /// Everything the adapter talks to.
    struct Backend {
        zaf: Zaf,
        agent_zendesk: CurrentUser,
        platform: Platform<GlooTransport>,
        platform_url: String,
        zendesk: Zendesk<Gated<ZafTransport>>,
        leader: Leader<LocalStore>,
        outbox: RefCell<Option<Rc<Outbox<LocalStore>>>>,
        rules: RefCell<RuleContext>,
        fetched: RefCell<BTreeSet<String>>,
        /// Failed lookups waiting to be tried again: attempts so far, by fetch key.
        retries: RefCell<BTreeMap<String, u32>>,
        /// How many settings reads were asked (the last one's answer is the one applied).
        settings_asked: std::cell::Cell<u64>,
        stream: RefCell<Option<EventStream>>,
        _subscriptions: RefCell<Vec<Subscription>>,
        /// Touch tones waiting to be sent, in order, and whether a sender is running.
        tones: RefCell<(String, bool)>,
        /// True once this tab keeps the lease (after sign-in).
        leasing: std::cell::Cell<bool>,
        /// Ends of inbound calls whose ticket work had not been queued yet when they ended.
        unlogged_ends: RefCell<Vec<(u64, Event)>>,
        /// Events of a call placed but not yet numbered (they can overtake `POST /calls`'s
        /// answer): replayed once the call's id is known.
        early: RefCell<Vec<PlatformEvent>>,
    }

    thread_local! {
        static BACKEND: RefCell<Option<Rc<Backend>>> = const { RefCell::new(None) };
    }

    fn backend() -> Option<Rc<Backend>> {
        BACKEND.with(|b| b.borrow().clone())
    }

    fn now_ms() -> i64 {
        js_sys::Date::now() as i64
    }

    /// The region numbers without a country code are read in, from the agent's locale.
    fn region_for_locale(locale: &str) -> String {
        let region = locale.split(['-', '_']).nth(1).map(str::to_ascii_uppercase);
        match (region, locale.get(..2)) {
            (Some(r), _) if r.len() == 2 => r,
            (_, Some("it")) => "IT".into(),
            _ => "US".into(),
        }
    }

    fn catalogue_for(locale: &str) -> Catalogue {
        match language_for_locale(locale) {
            "it" => serde_json::from_str(ITALIAN).unwrap_or_else(|_| Catalogue::english()),
            _ => Catalogue::english(),
        }
    }

    /// Tells the agent through Zendesk, in case the adapter is not in view.
    pub fn notify_error(message: &str) {
        if let Some(b) = backend() {
            let invoke = Invoke::Notify {
                message: message.to_owned(),
                kind: NotifyKind::Error,
            };
            leptos::task::spawn_local(async move {
                let _ = b.zaf.invoke(&invoke).await;
            });
        }
    }

    /// Reads a number from the clipboard into the dial screen. Browsers ask the page's
    /// permission, which a frame in Zendesk may not have: then the agent is told to press the
    /// paste shortcut (the dial screen takes the paste event, which needs no permission).
    pub fn read_clipboard(adapter: Adapter) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let promise = window.navigator().clipboard().read_text();
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(promise).await {
                Ok(text) => adapter.paste_number(&text.as_string().unwrap_or_default()),
                Err(_) => {
                    adapter.notice(adapter.word(Label::PasteHint));
                    focus_number();
                }
            }
        });
    }

    fn focus_number() {
        use wasm_bindgen::JsCast;
        let input = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("dial-number"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(input) = input {
            let _ = input.focus();
        }
    }

    /// Opens a ticket in the agent's workspace.
    pub fn route_to_ticket(id: u64) {
        if let Some(b) = backend() {
            leptos::task::spawn_local(async move {
                let _ = b.zaf.invoke(&Invoke::RouteToTicket(id)).await;
            });
        }
    }

    /// Connects to Zendesk: reads the agent, the language and the platform URL, listens for
    /// click-to-call, then asks the agent to sign in.
    pub fn boot(adapter: Adapter) {
        let zaf = match Zaf::init() {
            Ok(zaf) => zaf,
            Err(e) => {
                let m = adapter.catalogue.with_untracked(|c| messages::zaf(&e, c));
                adapter.screen.set(Screen::Unavailable(m.text));
                return;
            }
        };
        // The sign-in form needs nothing from Zendesk until it is sent: show it at once, and
        // connect (agent, language, platform URL) while the agent types.
        adapter.screen.set(Screen::SignIn);
        leptos::task::spawn_local(async move {
            if zaf
                .context()
                .await
                .is_ok_and(|c| c.location == "background")
            {
                adapter.screen.set(Screen::Background);
                preload_top_bar(&zaf).await;
                return;
            }
            let (user, metadata) = match (zaf.current_user().await, zaf.metadata().await) {
                (Ok(u), Ok(m)) => (u, m),
                (Err(e), _) | (_, Err(e)) => {
                    let m = adapter.catalogue.with_untracked(|c| messages::zaf(&e, c));
                    adapter.screen.set(Screen::Unavailable(m.text));
                    return;
                }
            };
            let locale = user.locale.clone().unwrap_or_else(|| "en".into());
            adapter.catalogue.set(catalogue_for(&locale));
            let Some(platform_url) = metadata.setting("platform_url").map(str::to_owned) else {
                adapter
                    .screen
                    .set(Screen::Unavailable(adapter.word(Label::ErrNoPlatformUrl)));
                return;
            };
            // The password goes only to an https platform (or this machine's, the sandbox).
            let platform_url = match crate::origins::platform_base(&platform_url) {
                Ok(url) => url,
                Err(e) => {
                    let m = adapter
                        .catalogue
                        .with_untracked(|c| messages::origin(&e, c));
                    adapter.screen.set(Screen::Unavailable(m.text));
                    return;
                }
            };
            crate::origins::narrow_connect_policy(&platform_url);
            adapter
                .platform_host
                .set(crate::origins::display_host(&platform_url));
            adapter.context.update(|c| {
                c.region = region_for_locale(&locale);
                // The whole locale: the dial screen matches it by language, then region (OQ-33).
                c.agent_language = locale.clone();
            });
            let tab = format!("tab-{}", (js_sys::Math::random() * 1e12) as u64);
            let backend = Rc::new(Backend {
                zaf: zaf.clone(),
                agent_zendesk: user,
                platform: Platform::new(GlooTransport::new(&platform_url)),
                platform_url,
                // One 429 pauses every request of the page, reads and writes (item 3).
                zendesk: Zendesk::new(Gated::new(ZafTransport(zaf.clone()), now_ms)),
                leader: Leader::new(LocalStore, tab),
                outbox: RefCell::new(None),
                rules: RefCell::new(RuleContext::default()),
                fetched: RefCell::new(BTreeSet::new()),
                retries: RefCell::new(BTreeMap::new()),
                settings_asked: std::cell::Cell::new(0),
                stream: RefCell::new(None),
                _subscriptions: RefCell::new(Vec::new()),
                tones: RefCell::new((String::new(), false)),
                early: RefCell::new(Vec::new()),
                unlogged_ends: RefCell::new(Vec::new()),
                leasing: std::cell::Cell::new(false),
            });
            let dialout = zaf.on("voice.dialout", move |d: VoiceDialout| {
                on_dialout(adapter, d)
            });
            backend._subscriptions.borrow_mut().push(dialout);
            BACKEND.with(|b| *b.borrow_mut() = Some(backend.clone()));
            resume_session(adapter, backend.clone());
            // A reload or a closed tab gives the lease up at once, so the next page (or another
            // tab) takes click-to-call without waiting for the lease to expire.
            let leaving = backend.clone();
            let pagehide = window_event_listener(leptos::ev::pagehide, move |_| {
                leaving.leader.release();
            });
            std::mem::forget(pagehide);
        });
    }

    /// From the background location: puts the top bar in the page (hidden) so it is listening
    /// for click-to-call before the agent first opens it.
    async fn preload_top_bar(zaf: &Zaf) {
        let Ok(instances) = zaf.instances().await else {
            return;
        };
        for (guid, info) in instances {
            if info.location == "top_bar" {
                let _ = zaf.instance(&guid).invoke(&Invoke::PreloadPane).await;
            }
        }
    }

    /// Takes the tab lease and renews it while the page lives: from sign-in on, so a tab where
    /// nobody signed in never keeps calls from the one where the agent works.
    fn keep_lease(adapter: Adapter, backend: Rc<Backend>) {
        if backend.leasing.replace(true) {
            return;
        }
        backend.leader.tick(now_ms());
        backend.leader.beat(now_ms());
        leptos::task::spawn_local(async move {
            loop {
                sleep(RENEW_EVERY_MS as i32).await;
                backend.leader.tick(now_ms());
                backend.leader.beat(now_ms());
                adopt_orphans(adapter, &backend);
            }
        });
    }

    /// Takes over what other tabs of this agent left unsent (reloaded or closed), and sends it.
    fn adopt_orphans(adapter: Adapter, b: &Rc<Backend>) {
        let Some(outbox) = b.outbox.borrow().clone() else {
            return;
        };
        let now = now_ms();
        let adopted = outbox.adopt_orphans(|tab| b.leader.alive(tab, now));
        for notice in outbox.take_notices() {
            storage_notice(adapter, notice);
        }
        if adopted > 0 {
            run_outbox(adapter, b.clone());
            // The calls those writes belong to may need their end logged, or to come back.
            if b.platform.is_signed_in() && b.stream.borrow().is_some() {
                resume_calls(adapter, b.clone());
            }
        }
    }

    async fn sleep(ms: i32) {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }

    /// Click-to-call (FLOW-2, FLOW-4, FLOW-9): only the leading tab handles it.
    fn on_dialout(adapter: Adapter, d: VoiceDialout) {
        let Some(b) = backend() else { return };
        let signed_in = b.platform.is_signed_in();
        if !signed_in && b.leader.other_leads(now_ms()) {
            // The agent works in another tab, signed in there: that tab takes the call.
            return;
        }
        if signed_in && !b.leader.tick(now_ms()) {
            let message = adapter.word(Label::OtherTabActive);
            let invoke = Invoke::Notify {
                message,
                kind: NotifyKind::Notice,
            };
            leptos::task::spawn_local(async move {
                let _ = b.zaf.invoke(&invoke).await;
            });
            return;
        }
        if matches!(
            adapter.screen.get_untracked(),
            Screen::SignIn | Screen::Booting
        ) {
            adapter.error(adapter.word(Label::SignInFirst));
            show_popover(&b);
            return;
        }
        let entry = match (d.number.filter(|n| !n.is_empty()), d.user_id, d.ticket_id) {
            (Some(number), Some(user_id), Some(ticket_id)) => EntryPoint::Ticket {
                number,
                user_id,
                ticket_id,
            },
            (None, _, Some(ticket_id)) => EntryPoint::TicketNewNumber { ticket_id },
            (Some(number), Some(user_id), None) => EntryPoint::Contact { number, user_id },
            (number, _, _) => {
                // A number without a user: as if typed, with the choices in view.
                adapter.open_dial(EntryPoint::Keypad);
                if let Some(n) = number {
                    adapter.edit(|s| s.set_number(&n));
                    adapter.keypad_open.set(false);
                }
                show_popover(&b);
                return;
            }
        };
        adapter.open_dial(entry);
        show_popover(&b);
    }

    fn show_popover(b: &Rc<Backend>) {
        let b = b.clone();
        leptos::task::spawn_local(async move {
            let _ = b.zaf.invoke(&Invoke::PopoverShow).await;
        });
    }

    /// Signs in to the platform, loads settings and options, opens the dial screen.
    pub fn sign_in(adapter: Adapter, email: String, password: String, busy: RwSignal<bool>) {
        busy.set(true);
        leptos::task::spawn_local(async move {
            // Sent before the connection to Zendesk finished: wait for it (a few round trips).
            let mut waited = 0;
            let b = loop {
                if let Some(b) = backend() {
                    break b;
                }
                if waited >= 10_000
                    || matches!(adapter.screen.get_untracked(), Screen::Unavailable(_))
                {
                    busy.set(false);
                    return;
                }
                sleep(50).await;
                waited += 50;
            };
            let agent = b.platform.sign_in(&email, &password).await;
            start_session(adapter, b, agent).await;
            busy.set(false);
        });
    }

    /// After a reload: signs the agent in again with the tab's resume credential (no
    /// password), showing "Connecting" meanwhile; a refused one is forgotten and the sign-in
    /// form shows.
    fn resume_session(adapter: Adapter, b: Rc<Backend>) {
        let Some(stored) = crate::services::credential::load(now_ms()) else {
            return;
        };
        adapter.screen.set(Screen::Booting);
        leptos::task::spawn_local(async move {
            let agent = b.platform.resume(&stored.token).await;
            if agent.is_err() {
                crate::services::credential::clear();
                adapter.screen.set(Screen::SignIn);
                return;
            }
            start_session(adapter, b, agent).await;
        });
    }

    /// Keeps the tab's resume credential fresh while the session lives (each renewal swaps it).
    fn keep_resume(b: Rc<Backend>) {
        let Some(first) = b.platform.resume_credential() else {
            return;
        };
        crate::services::credential::save(&first, now_ms());
        let token = b.platform.token();
        leptos::task::spawn_local(async move {
            let mut wait = crate::services::credential::Stored::renew_after_ms(&first);
            loop {
                sleep(wait.min(i32::MAX as i64) as i32).await;
                // Signed out, or signed in again (which keeps its own renewal): stop.
                if b.platform.token() != token {
                    return;
                }
                match b.platform.renew_resume().await {
                    Ok(next) => {
                        crate::services::credential::save(&next, now_ms());
                        wait = crate::services::credential::Stored::renew_after_ms(&next);
                    }
                    Err(crate::platform::PlatformError::SignedOut) => return,
                    Err(_) => wait = 30_000,
                }
            }
        });
    }

    /// The platform ended the session (a 401, or the event stream refused): the stream stops,
    /// writes that need the platform wait (the outbox keeps them), and the sign-in form shows
    /// with the reason; signing in again resumes everything.
    fn session_ended(adapter: Adapter) {
        let Some(b) = backend() else { return };
        b.stream.borrow_mut().take();
        b.platform.sign_out();
        crate::services::credential::clear();
        if adapter.screen.get_untracked() != Screen::SignIn {
            adapter.screen.set(Screen::SignIn);
        }
        adapter.fail(
            adapter.catalogue.with_untracked(|c| {
                messages::platform(&crate::platform::PlatformError::SignedOut, c)
            }),
        );
    }

    /// What follows a sign-in (password or resume): settings and options, the outbox, the tab
    /// lease, the event stream, the dial screen.
    async fn start_session(
        adapter: Adapter,
        b: Rc<Backend>,
        agent: Result<crate::platform::Agent, crate::platform::PlatformError>,
    ) {
        let result = async {
            let agent = agent?;
            let settings = b.platform.settings().await?;
            let options = b.platform.outbound_options().await?;
            Ok::<_, crate::platform::PlatformError>((agent, settings, options))
        }
        .await;
        match result {
            Ok((agent, settings, options)) => {
                adapter.banner.set(None);
                keep_resume(b.clone());
                b.rules.borrow_mut().settings = settings.clone();
                b.rules.borrow_mut().region = adapter.context.with_untracked(|c| c.region.clone());
                adapter.context.update(|c| {
                    *c = DialContext {
                        settings,
                        team: agent.team.clone(),
                        options,
                        ..c.clone()
                    }
                });
                let outbox =
                    Outbox::open_for_tab(LocalStore, b.agent_zendesk.id, b.leader.tab_id());
                for notice in outbox.take_notices() {
                    storage_notice(adapter, notice);
                }
                *b.outbox.borrow_mut() = Some(Rc::new(outbox));
                keep_lease(adapter, b.clone());
                adopt_orphans(adapter, &b);
                connect_events(adapter, &b);
                adapter.open_dial(EntryPoint::Keypad);
                // Anything left from before a reload is written now.
                run_outbox(adapter, b.clone());
            }
            Err(e) => {
                adapter.screen.set(Screen::SignIn);
                fail_platform(adapter, &e)
            }
        }
    }

    /// Tells the agent, once, what opening the stored writes found.
    fn storage_notice(adapter: Adapter, notice: crate::services::outbox::StorageNotice) {
        use crate::services::outbox::StorageNotice;
        let text = match notice {
            StorageNotice::SetAside => adapter.word(Label::WritesSetAside),
            StorageNotice::Expired(n) => format!("{}: {n}", adapter.word(Label::WritesExpired)),
        };
        adapter.fail(messages::Message { text, detail: None });
    }

    /// Shows a platform error in the agent's language; a session that ended signs out.
    fn fail_platform(adapter: Adapter, e: &crate::platform::PlatformError) {
        let signed_in = backend().is_some_and(|b| b.stream.borrow().is_some());
        if *e == crate::platform::PlatformError::SignedOut && signed_in {
            session_ended(adapter);
            return;
        }
        adapter.fail(
            adapter
                .catalogue
                .with_untracked(|c| messages::platform(e, c)),
        );
    }

    /// A Zendesk error in the agent's language.
    fn zendesk_message(adapter: Adapter, e: &ZendeskError) -> messages::Message {
        adapter
            .catalogue
            .with_untracked(|c| messages::zendesk(e, c))
    }

    /// After a reload in the middle of a call: the call comes back on screen, and the end of a
    /// call that ended while the page was away is logged. Only calls this adapter logged (their
    /// first job is known to the outbox) and whose end it has not queued are taken up.
    /// It runs each time the event stream (re)connects, since events sent while it was down
    /// are not sent again, and when the end of a call not on screen arrives.
    fn resume_calls(adapter: Adapter, b: Rc<Backend>) {
        leptos::task::spawn_local(async move {
            let mut attempt = 0;
            let calls = loop {
                attempt += 1;
                match b.platform.recent_calls().await {
                    Ok(calls) => break calls,
                    Err(_) if attempt < 3 => sleep(attempt * 2_000).await,
                    Err(e) => {
                        fail_platform(adapter, &e);
                        return;
                    }
                }
            };
            let Some(outbox) = b.outbox.borrow().clone() else {
                return;
            };
            for info in calls {
                let first = match info.direction {
                    Direction::Outbound => format!("{}.placed", info.id),
                    Direction::Inbound => format!("{}.assigned", info.id),
                    Direction::Other => continue,
                };
                let ended = format!("{}.ended", info.id);
                if !outbox.knows(&first) || outbox.knows(&ended) {
                    continue;
                }
                let call = resumed_call(&info, outbox.created_by(&first));
                if info.status == CallStatus::Ended {
                    // On screen as live (its end was missed): show it ended.
                    adapter.call.update(|c| {
                        if let Some(c) = c.as_mut().filter(|c| c.id == Some(info.id) && c.is_live())
                        {
                            c.phase = CallPhase::Ended;
                            c.ended_at_ms = Some(now_ms());
                        }
                    });
                    let event = Event::Ended {
                        session: session_of(info.id, &call),
                        ticket_id: call.ticket_id.unwrap_or(TICKET_OF_EARLIER_JOB),
                        recording_url: info.recording_url.clone(),
                        duration_s: info.durations.call,
                        call: info.call_line(),
                    };
                    let on = call.ticket_id.is_none().then_some(first.as_str());
                    enqueue(adapter, &b, ended, &event, on);
                } else if !adapter
                    .call
                    .with_untracked(|c| c.as_ref().is_some_and(ActiveCall::is_live))
                {
                    adapter.call.set(Some(call));
                    adapter.screen.set(Screen::InCall);
                }
            }
        });
    }

    /// What the in-call screen needs of a call the agent did not dial here (an inbound call, or
    /// one resumed after a reload): the customer's number, the language, the ticket.
    fn plan_of(to: &str, lang: &str, ticket: TicketPlan) -> domain::dial::DialPlan {
        domain::dial::DialPlan {
            to: to.to_owned(),
            extension: None,
            outbound_number: String::new(),
            language: lang.to_owned(),
            contact: ContactPlan::None,
            ticket,
            entered_number: false,
            comments: Vec::new(),
        }
    }

    /// The in-call state of a call listed by the platform.
    fn resumed_call(info: &CallInfo, created: Option<u64>) -> ActiveCall {
        let ticket = match info.ticket_id {
            Some(id) => TicketPlan::Existing { id },
            None => TicketPlan::New,
        };
        let mut call = ActiveCall::placed(plan_of(&info.customer_number, &info.lang, ticket));
        call.id = Some(info.id);
        call.phase = match info.status {
            CallStatus::Dialling => CallPhase::Dialling,
            CallStatus::Ringing => CallPhase::Ringing,
            CallStatus::Connected => CallPhase::Connected,
            CallStatus::OnHold => CallPhase::OnHold,
            CallStatus::Ended => CallPhase::Ended,
        };
        let now = now_ms();
        if matches!(call.phase, CallPhase::Connected | CallPhase::OnHold) {
            call.connected_at_ms = Some(now - (info.durations.call as i64) * 1_000);
        }
        call.ticket_id = info.ticket_id.or(created);
        if info.direction == Direction::Inbound {
            call.inbound = Some(Inbound {
                menu: info.menu_path.clone(),
                language: info.lang.clone(),
                logged: true,
                ..Inbound::default()
            });
        }
        call
    }

    fn connect_events(adapter: Adapter, b: &Rc<Backend>) {
        let Some(token) = b.platform.token() else {
            return;
        };
        let stream = EventStream::connect(
            &b.platform_url,
            token,
            move |event| on_event(adapter, event),
            move |connected| {
                if let (true, Some(b)) = (connected, backend()) {
                    resume_calls(adapter, b);
                }
            },
        );
        *b.stream.borrow_mut() = Some(stream);
    }

    fn session(call_id: u64, plan: &DialPlan) -> Session {
        Session {
            id: call_id.to_string(),
            language: plan.language.clone(),
            customer_number: Some(plan.to.clone()),
            ..Session::default()
        }
    }

    /// The session the rules see for the call on screen.
    fn session_of(id: u64, call: &ActiveCall) -> Session {
        match &call.inbound {
            Some(inbound) => Session::ivr(id, &call.plan.to, &inbound.menu, &inbound.language),
            None => session(id, &call.plan),
        }
    }

    fn on_event(adapter: Adapter, event: PlatformEvent) {
        if let PlatformEvent::Refused { .. } = event {
            session_ended(adapter);
            return;
        }
        if let PlatformEvent::Ringing {
            call_id,
            direction: Direction::Inbound,
            customer_number,
            menu_path,
            lang,
        } = event
        {
            offer(adapter, call_id, customer_number, menu_path, lang);
            return;
        }
        let current = adapter.call.get_untracked();
        if current
            .as_ref()
            .is_some_and(|c| c.id.is_none() && c.is_live())
        {
            // Placed, not numbered yet: keep the event for when `POST /calls` answers.
            if let (Some(b), Some(_)) = (backend(), call_id_of(&event)) {
                let mut early = b.early.borrow_mut();
                if early.len() < 32 {
                    early.push(event);
                }
            }
            return;
        }
        let on_screen = current
            .as_ref()
            .and_then(|c| c.id)
            .zip(call_id_of(&event))
            .is_some_and(|(shown, id)| shown == id);
        if let (false, PlatformEvent::Ended { .. }, Some(b)) = (on_screen, &event, backend()) {
            // The end of a call not on screen (the page reloaded during it): log it if ours.
            resume_calls(adapter, b);
            return;
        }
        let Some(call) = current.filter(|c| c.id.is_some()) else {
            return;
        };
        let id = call.id.unwrap_or_default();
        let phase = |p: CallPhase, adapter: Adapter| {
            adapter.call.update(|c| {
                if let Some(c) = c {
                    c.phase = p;
                    if p == CallPhase::Connected && c.connected_at_ms.is_none() {
                        c.connected_at_ms = Some(now_ms());
                    }
                    if p == CallPhase::Ended {
                        c.ended_at_ms = Some(now_ms());
                    }
                }
            })
        };
        match event {
            PlatformEvent::Ringing { call_id, .. } if call_id == id => {
                phase(CallPhase::Ringing, adapter)
            }
            PlatformEvent::Connected { call_id } if call_id == id => {
                let first = call.connected_at_ms.is_none();
                phase(CallPhase::Connected, adapter);
                if first {
                    connected(adapter, id, &call);
                }
            }
            PlatformEvent::Held { call_id } if call_id == id => phase(CallPhase::OnHold, adapter),
            PlatformEvent::Resumed { call_id } if call_id == id => {
                phase(CallPhase::Connected, adapter)
            }
            PlatformEvent::Ended {
                call_id,
                recording_url,
                durations,
                line,
                started_at,
            } if call_id == id => {
                phase(CallPhase::Ended, adapter);
                let Some(b) = backend() else { return };
                // The platform's line; for a call placed here, else the number it was placed from.
                let outbound = call.inbound.is_none();
                let line = if line.is_empty() && outbound {
                    call.plan.outbound_number.clone()
                } else {
                    line
                };
                let event = |ticket_id| Event::Ended {
                    session: session_of(id, &call),
                    ticket_id,
                    recording_url: recording_url.clone(),
                    duration_s: durations.call,
                    call: crate::platform::call_line(outbound, &line, &started_at),
                };
                // An inbound call whose caller the agent did not pick has no ticket here: the
                // platform gives it to the newest matching contact (TICKET-7).
                let logged = match &call.inbound {
                    Some(inbound) => inbound.logged,
                    None => call.plan.ticket != TicketPlan::None,
                };
                let key = format!("{id}.ended");
                match call.ticket_id {
                    Some(ticket_id) => enqueue(adapter, &b, key, &event(ticket_id), None),
                    // The ticket is still being created (a 429 or a slow network held it up):
                    // the end of the call is queued (and kept across a reload) on the ticket
                    // the call's first job creates.
                    None if logged => {
                        let first = if call.inbound.is_some() {
                            format!("{id}.assigned")
                        } else {
                            format!("{id}.placed")
                        };
                        let event = event(TICKET_OF_EARLIER_JOB);
                        enqueue(adapter, &b, key, &event, Some(&first));
                    }
                    // An inbound call whose ticket is being worked out (a read under way, or
                    // the agent's pick being recorded): its end follows the ticket's job.
                    None if call
                        .inbound
                        .as_ref()
                        .is_some_and(|i| i.candidates.is_empty() || i.picked.is_some()) =>
                    {
                        let event = event(TICKET_OF_EARLIER_JOB);
                        b.unlogged_ends.borrow_mut().push((id, event));
                    }
                    None => {}
                }
            }
            _ => {}
        }
    }

    fn call_id_of(event: &PlatformEvent) -> Option<u64> {
        match event {
            PlatformEvent::Ringing { call_id, .. }
            | PlatformEvent::Connected { call_id }
            | PlatformEvent::Held { call_id }
            | PlatformEvent::Resumed { call_id }
            | PlatformEvent::Ended { call_id, .. } => Some(*call_id),
            _ => None,
        }
    }

    /// The customer picked up (outbound) or the agent answered (inbound): an extension typed
    /// after the number is dialled now; an inbound call gets its ticket.
    fn connected(adapter: Adapter, id: u64, call: &ActiveCall) {
        if let Some(extension) = call.plan.extension.as_deref().filter(|e| !e.is_empty()) {
            for c in extension.chars() {
                send_tone(adapter, c);
            }
        }
        if call.inbound.is_some() {
            log_inbound(adapter, id);
        }
    }

    /// A customer's call offered to the agent: the adapter shows it (popover open), and looks
    /// the caller up meanwhile. A call already on screen keeps the screen.
    fn offer(adapter: Adapter, id: u64, from: String, menu: String, lang: String) {
        let Some(b) = backend() else { return };
        leptos::task::spawn_local(async move {
            // Zendesk open in several tabs: the leading tab takes the call, as for
            // click-to-call, so the call is logged once. A lease left by a page that closed
            // without saying so runs out within LEASE_MS: the offer waits that long for it.
            let mut waited = 0;
            while !b.leader.tick(now_ms()) {
                if waited > LEASE_MS as i32 {
                    return;
                }
                sleep(250).await;
                waited += 250;
            }
            show_offer(adapter, b, id, from, menu, lang).await;
        });
    }

    /// The offer on screen (the same call offered twice shows once), then its caller looked up.
    async fn show_offer(
        adapter: Adapter,
        b: Rc<Backend>,
        id: u64,
        from: String,
        menu: String,
        lang: String,
    ) {
        if adapter
            .call
            .with_untracked(|c| c.as_ref().is_some_and(ActiveCall::is_live))
        {
            return;
        }
        let mut call = ActiveCall::placed(plan_of(&from, &lang, TicketPlan::New));
        call.id = Some(id);
        call.phase = CallPhase::Ringing;
        call.inbound = Some(Inbound {
            menu,
            language: lang,
            ..Inbound::default()
        });
        adapter.banner.set(None);
        adapter.call.set(Some(call));
        adapter.screen.set(Screen::InCall);
        show_popover(&b);
        let text = format!("{} {from}", adapter.word(Label::IncomingCall));
        let notice = Invoke::Notify {
            message: text,
            kind: NotifyKind::Notice,
        };
        let region = adapter.context.with_untracked(|c| c.region.clone());
        let _ = b.zaf.invoke(&notice).await;
        match lookup_number_detailed(&b.zendesk, &from, &region).await {
            Ok(found) => adapter.crm.update(|crm| merge(crm, found.crm)),
            Err(e) => adapter.fail(zendesk_message(adapter, &e)),
        }
    }

    /// The backend and the id of the call on screen, when both are there.
    fn current_call(adapter: Adapter) -> Option<(Rc<Backend>, u64)> {
        let b = backend()?;
        let id = adapter
            .call
            .with_untracked(|c| c.as_ref().and_then(|c| c.id))?;
        Some((b, id))
    }

    /// Answers the inbound call on screen.
    pub fn answer(adapter: Adapter) {
        let Some((b, id)) = current_call(adapter) else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Err(e) = b.platform.answer(id).await {
                fail_platform(adapter, &e);
            }
        });
    }

    /// The inbound call's ticket (TICKET-6, UPD-1): once the caller is known (one matching
    /// contact, a new caller's contact, or the agent's pick), the assignment rules run. Several
    /// contacts and no pick yet: the agent is asked, and nothing is written until then.
    fn log_inbound(adapter: Adapter, id: u64) {
        let Some(b) = backend() else { return };
        leptos::task::spawn_local(async move {
            let Some(call) = adapter.call.get_untracked().filter(|c| c.id == Some(id)) else {
                return;
            };
            let Some(inbound) = call.inbound.clone().filter(|i| !i.logged) else {
                return;
            };
            let region = adapter.context.with_untracked(|c| c.region.clone());
            // The rules decide on what Zendesk holds: a failed read is tried again, never taken
            // as "no contact" (that would create a second contact) or "no open ticket".
            let mut attempt = 0;
            let read = loop {
                attempt += 1;
                let read = if let Some(contact) = inbound.picked {
                    let mut crm = adapter.crm.get_untracked();
                    add_tickets_of(&b.zendesk, &mut crm, contact)
                        .await
                        .map(|()| adapter.crm.set(crm))
                } else if adapter.crm.with_untracked(|crm| {
                    crm.contacts_with_number(&call.plan.to, &region).is_empty()
                }) {
                    // The offer's lookup may not have finished: look again (one read).
                    lookup_number_detailed(&b.zendesk, &call.plan.to, &region)
                        .await
                        .map(|found| adapter.crm.update(|crm| merge(crm, found.crm)))
                } else {
                    Ok(())
                };
                match read {
                    Err(ZendeskError::RateLimited { retry_after_s }) if attempt < READ_ATTEMPTS => {
                        sleep((retry_after_s.max(1) * 1_000) as i32).await;
                    }
                    Err(e) if e.is_retryable() && attempt < READ_ATTEMPTS => {
                        sleep(attempt * 1_000).await;
                    }
                    other => break other,
                }
            };
            if let Err(e) = read {
                let why = zendesk_message(adapter, &e);
                let text = adapter.word(Label::ErrCallNotLogged);
                notify_error(&format!("{text}: {}", why.text));
                adapter.fail(messages::Message {
                    text,
                    detail: Some(why.text),
                });
                b.unlogged_ends.borrow_mut().retain(|(call, _)| *call != id);
                return;
            }
            let event = Event::Assigned {
                session: session_of(id, &call),
                agent_id: b.agent_zendesk.id,
                chosen_contact: inbound.picked,
            };
            let actions = adapter.crm.with_untracked(|crm| {
                adapter
                    .catalogue
                    .with_untracked(|cat| decide(&event, crm, &b.rules.borrow(), cat))
            });
            if let Some(Action::AskContact { contact_ids }) = actions
                .iter()
                .find(|a| matches!(a, Action::AskContact { .. }))
            {
                let ids = contact_ids.clone();
                adapter.call.update(|c| {
                    if let Some(i) = c.as_mut().and_then(|c| c.inbound.as_mut()) {
                        i.candidates = ids;
                    }
                });
                return;
            }
            let existing = actions.iter().find_map(|a| match a {
                Action::AddComment {
                    ticket: TicketRef::Existing(t),
                    ..
                } => Some(*t),
                _ => None,
            });
            adapter.call.update(|c| {
                if let Some(c) = c.as_mut().filter(|c| c.id == Some(id)) {
                    if let Some(i) = c.inbound.as_mut() {
                        i.logged = true;
                    }
                    if existing.is_some() {
                        c.ticket_id = existing;
                    }
                }
            });
            let first = format!("{id}.assigned");
            queue_writes(adapter, &b, &first, &actions, None);
            // The call ended while this was worked out: its end follows.
            let ended: Vec<Event> = {
                let mut ends = b.unlogged_ends.borrow_mut();
                let (mine, others) = ends.drain(..).partition(|(call, _)| *call == id);
                *ends = others;
                mine.into_iter().map(|(_, event)| event).collect()
            };
            for mut event in ended {
                let key = format!("{id}.ended");
                match existing {
                    Some(ticket) => {
                        if let Event::Ended { ticket_id, .. } = &mut event {
                            *ticket_id = ticket;
                        }
                        enqueue(adapter, &b, key, &event, None);
                    }
                    None => enqueue(adapter, &b, key, &event, Some(&first)),
                }
            }
        });
    }

    /// How many times a read the inbound rules need is tried.
    const READ_ATTEMPTS: i32 = 4;

    /// TICKET-6: the agent named the caller; the platform is told (so it does not fall back to
    /// the newest contact, TICKET-7) and the ticket is logged for that contact.
    pub fn pick_caller(adapter: Adapter, contact_id: u64) {
        let Some((b, id)) = current_call(adapter) else {
            return;
        };
        leptos::task::spawn_local(async move {
            // The platform must know the pick before the ticket is logged for it, or it would
            // also give the call to the newest contact when it ends (TICKET-7).
            let mut attempt = 0;
            let recorded = loop {
                attempt += 1;
                match b.platform.pick_contact(id, contact_id).await {
                    Err(crate::platform::PlatformError::Unreachable(_)) if attempt < 3 => {
                        sleep(attempt * 1_000).await;
                    }
                    other => break other,
                }
            };
            match recorded {
                Ok(_) => log_inbound(adapter, id),
                Err(e) => {
                    // Not recorded: the agent may pick again while the call lasts.
                    adapter.call.update(|c| {
                        if let Some(i) = c.as_mut().and_then(|c| c.inbound.as_mut()) {
                            i.picked = None;
                        }
                    });
                    fail_platform(adapter, &e);
                }
            }
        });
    }

    /// Holds or resumes the call; on a refusal the screen goes back to what the platform says.
    pub fn hold(adapter: Adapter, on: bool) {
        let Some((b, id)) = current_call(adapter) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let phase = match b.platform.hold(id, on).await {
                Ok(call) if call.status == CallStatus::OnHold => Some(CallPhase::OnHold),
                Ok(call) if call.status == CallStatus::Connected => Some(CallPhase::Connected),
                Ok(_) => None,
                Err(e) => {
                    fail_platform(adapter, &e);
                    Some(if on {
                        CallPhase::Connected
                    } else {
                        CallPhase::OnHold
                    })
                }
            };
            if let Some(phase) = phase {
                adapter.call.update(|c| {
                    if let Some(c) = c.as_mut().filter(|c| c.id == Some(id) && c.is_live()) {
                        c.phase = phase;
                    }
                });
            }
        });
    }

    /// Sends a touch tone. Tones go one request after another, so they reach the customer in
    /// the order pressed; keys pressed while one is in flight go together in the next.
    pub fn send_tone(adapter: Adapter, tone: char) {
        let Some((b, id)) = current_call(adapter) else {
            return;
        };
        {
            let mut tones = b.tones.borrow_mut();
            tones.0.push(tone);
            if tones.1 {
                return;
            }
            tones.1 = true;
        }
        leptos::task::spawn_local(async move {
            loop {
                let digits = std::mem::take(&mut b.tones.borrow_mut().0);
                let same_call = current_call(adapter).is_some_and(|(_, now)| now == id);
                if digits.is_empty() || !same_call {
                    // Tones pressed for another call are not sent on this one.
                    b.tones.borrow_mut().1 = false;
                    return;
                }
                if let Err(e) = b.platform.send_dtmf(id, &digits).await {
                    fail_platform(adapter, &e);
                }
            }
        });
    }

    /// Decides what `event` writes and queues it under `key` (on the ticket the job
    /// `on_ticket_of` creates, when named).
    fn enqueue(
        adapter: Adapter,
        b: &Rc<Backend>,
        key: String,
        event: &Event,
        on_ticket_of: Option<&str>,
    ) {
        let actions = adapter.crm.with_untracked(|crm| {
            adapter
                .catalogue
                .with_untracked(|cat| decide(event, crm, &b.rules.borrow(), cat))
        });
        queue_writes(adapter, b, &key, &actions, on_ticket_of);
    }

    /// Queues the writes of `actions` (at once, even while a run is sending) and runs the outbox.
    fn queue_writes(
        adapter: Adapter,
        b: &Rc<Backend>,
        key: &str,
        actions: &[Action],
        on_ticket_of: Option<&str>,
    ) {
        let Some(outbox) = b.outbox.borrow().clone() else {
            return;
        };
        let writes = fold(actions);
        match on_ticket_of {
            Some(earlier) => outbox.enqueue_on_ticket_of(earlier, key, writes),
            None => outbox.enqueue(key, writes),
        };
        run_outbox(adapter, b.clone());
    }

    /// Sends the outbox's due work; schedules itself again while work waits.
    fn run_outbox(adapter: Adapter, b: Rc<Backend>) {
        leptos::task::spawn_local(async move {
            let Some(outbox) = b.outbox.borrow().clone() else {
                return;
            };
            if outbox.is_running() {
                // The run under way takes the new jobs too.
                return;
            }
            let batching = Batching::from_settings(&b.rules.borrow().settings);
            if (batching.add_comment || batching.ticket_update) && !b.platform.is_signed_in() {
                // The platform's queue needs a session: the jobs wait for the next sign-in
                // (which runs the outbox), instead of retrying a 401 behind every later write.
                return;
            }
            let report: RunReport = outbox
                .run_clocked(&b.zendesk, &b.platform, batching, &now_ms)
                .await;
            for (key, ticket) in &report.created_tickets {
                // The job that logs a call is `<id>.placed` (outbound) or `<id>.assigned`.
                let call_of = |key: &str| {
                    key.strip_suffix(".placed")
                        .or_else(|| key.strip_suffix(".assigned"))
                        .and_then(|id| id.parse::<u64>().ok())
                };
                let Some(call_id) = call_of(key) else {
                    continue;
                };
                adapter.call.update(|c| {
                    if let Some(c) = c.as_mut().filter(|c| c.id == Some(call_id)) {
                        c.ticket_id = Some(*ticket);
                    }
                });
            }
            for ticket in &report.screen_pops {
                route_to_ticket(*ticket);
            }
            for (_, error) in &report.paused {
                // Kept and tried again: the agent hears why the updates wait.
                let mut message = zendesk_message(adapter, error);
                message.detail = Some(adapter.word(Label::WritesWaitForAccess));
                adapter.fail(message);
            }
            for (_, error) in &report.failed {
                let message = zendesk_message(adapter, error);
                notify_error(&message.text);
                adapter.fail(message);
            }
            if let Some(at) = report.wake_at_ms {
                sleep((at - now_ms()).clamp(50, 300_000) as i32).await;
                run_outbox(adapter, b);
            }
        });
    }

    /// Places the plan's call through the platform, then logs it in Zendesk (OUT-10: nothing
    /// for "Do not create a ticket").
    pub fn place(adapter: Adapter, plan: DialPlan) {
        let Some(b) = backend() else { return };
        leptos::task::spawn_local(async move {
            match b.platform.place_call(&plan).await {
                Ok(call) => {
                    adapter.call.update(|c| {
                        if let Some(c) = c {
                            c.id = Some(call.id);
                            if let TicketPlan::Existing { id } = plan.ticket {
                                c.ticket_id = Some(id);
                            }
                        }
                    });
                    let event = Event::OutboundPlaced {
                        session: session(call.id, &plan),
                        plan: plan.clone(),
                        agent_id: b.agent_zendesk.id,
                    };
                    enqueue(adapter, &b, format!("{}.placed", call.id), &event, None);
                    // Events that overtook the answer (ringing, connected, even the end).
                    let early: Vec<PlatformEvent> = b.early.borrow_mut().drain(..).collect();
                    for event in early {
                        on_event(adapter, event);
                    }
                }
                Err(e) => {
                    b.early.borrow_mut().clear();
                    adapter.call.set(None);
                    adapter.screen.set(Screen::Dial);
                    let message = adapter
                        .catalogue
                        .with_untracked(|c| messages::platform(&e, c));
                    notify_error(&message.text);
                    adapter.fail(message);
                }
            }
        });
    }

    /// Ends the call.
    pub fn hang_up(adapter: Adapter) {
        let Some((b, id)) = current_call(adapter) else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Err(e) = b.platform.hang_up(id).await {
                fail_platform(adapter, &e);
            }
        });
    }

    /// A dial screen opened: the settings are read again (SET-16). The screen opens at once
    /// with the settings known (so nothing waits to be drawn) and holds Call until the read
    /// answers; if the platform cannot answer, the known settings stand.
    pub fn dial_opened(adapter: Adapter) {
        let Some(b) = backend() else { return };
        if !b.platform.is_signed_in() {
            return;
        }
        let asked = b.settings_asked.get() + 1;
        b.settings_asked.set(asked);
        adapter.dial.update(|d| {
            if let Some(d) = d {
                d.expect_settings();
            }
        });
        leptos::task::spawn_local(async move {
            let read = b.platform.settings().await;
            if b.settings_asked.get() != asked {
                // A later opening asked again: its answer is the one to apply.
                return;
            }
            let team = adapter.context.with_untracked(|c| c.team.clone());
            let settings = match read {
                Ok(settings) => {
                    // Operation Management follows at once (the rules of the next calls use
                    // it); Developer Settings (CRM batching) stay as at sign-in, so writes
                    // already split between the platform's queue and Zendesk keep their path
                    // (a change of batching applies from the next sign-in).
                    b.rules.borrow_mut().settings.operation = settings.operation.clone();
                    adapter
                        .context
                        .update(|c| c.settings.operation = settings.operation.clone());
                    adapter.context.with_untracked(|c| c.settings.clone())
                }
                Err(_) => adapter.context.with_untracked(|c| c.settings.clone()),
            };
            adapter.dial.update(|d| {
                if let Some(d) = d {
                    d.apply_settings(settings, team);
                }
            });
        });
    }

    /// Fetches the CRM data the open dial screen needs and has not fetched yet. What is asked
    /// is pending (the screen waits for it) until it answers; a failed read stays pending and
    /// is tried again after a backoff (1 s doubling to 30 s, with jitter, or the 429's
    /// Retry-After), never at once (item 3: a failing search used to be sent about 50 times a
    /// second).
    pub fn refresh(adapter: Adapter) {
        let Some(b) = backend() else { return };
        let Some(lookups) = adapter
            .dial
            .with_untracked(|d| d.as_ref().map(|d| d.lookups()))
        else {
            return;
        };
        let region = adapter.context.with_untracked(|c| c.region.clone());
        let mut todo = Vec::new();
        {
            let mut fetched = b.fetched.borrow_mut();
            if let Some(n) = &lookups.number {
                if fetched.insert(format!("n:{n}")) {
                    todo.push(Fetch::Number(n.clone()));
                }
            }
            // The requester of a context ticket is the designated contact (FLOW-9, FLOW-11):
            // its stored numbers are needed too, once the ticket is known.
            let requesters: Vec<u64> = adapter.crm.with_untracked(|crm| {
                lookups
                    .tickets
                    .iter()
                    .filter_map(|t| crm.ticket(*t))
                    .map(|t| t.requester_id)
                    .collect()
            });
            for id in lookups.users.iter().chain(requesters.iter()) {
                if fetched.insert(format!("u:{id}")) {
                    todo.push(Fetch::User(*id));
                }
            }
            for id in &lookups.tickets {
                if fetched.insert(format!("t:{id}")) {
                    todo.push(Fetch::Ticket(*id));
                }
            }
        }
        if todo.is_empty() {
            return;
        }
        adapter.pending.update(|p| {
            for fetch in &todo {
                fetch.mark(p, true);
            }
        });
        adapter.loading.set(true);
        leptos::task::spawn_local(async move {
            for fetch in todo {
                let result = match &fetch {
                    Fetch::Number(n) => {
                        lookup_number_detailed(&b.zendesk, n, &region)
                            .await
                            .map(|found| {
                                let mut fetched = b.fetched.borrow_mut();
                                for id in &found.tickets_known {
                                    fetched.insert(format!("tk:{id}"));
                                }
                                adapter.crm.update(|crm| merge(crm, found.crm));
                            })
                    }
                    Fetch::User(id) => {
                        // The number lookup often found this contact and its tickets already.
                        let known = adapter.crm.with_untracked(|crm| crm.contact(*id).is_some());
                        let user = if known {
                            Ok(())
                        } else {
                            b.zendesk.user(*id).await.map(|user| {
                                let found = domain::crm::CrmState {
                                    contacts: vec![user],
                                    tickets: vec![],
                                };
                                adapter.crm.update(|crm| merge(crm, found))
                            })
                        };
                        match user {
                            Ok(()) if b.fetched.borrow_mut().insert(format!("tk:{id}")) => {
                                let mut crm = adapter.crm.get_untracked();
                                let r = add_tickets_of(&b.zendesk, &mut crm, *id).await;
                                adapter.crm.set(crm);
                                if r.is_err() {
                                    b.fetched.borrow_mut().remove(&format!("tk:{id}"));
                                }
                                r
                            }
                            other => other,
                        }
                    }
                    Fetch::Ticket(id) => match b.zendesk.ticket(*id).await {
                        Ok(t) => {
                            adapter.crm.update(|crm| {
                                merge(
                                    crm,
                                    domain::crm::CrmState {
                                        contacts: vec![],
                                        tickets: vec![t],
                                    },
                                )
                            });
                            Ok(())
                        }
                        // TEAM-10: absent from the CRM data means "not found" to the rules.
                        Err(ZendeskError::NotFound) => Ok(()),
                        Err(e) => Err(e),
                    },
                };
                match result {
                    Ok(()) => {
                        let retried = b.retries.borrow_mut().remove(&fetch.key()).is_some();
                        adapter.pending.update(|p| fetch.mark(p, false));
                        if retried && b.retries.borrow().is_empty() {
                            // The lookup works again: the waiting notice goes by itself.
                            let waiting = adapter.word(Label::LookupRetrying);
                            if adapter.banner.with_untracked(|x| {
                                x.as_ref().is_some_and(|x| x.text.starts_with(&waiting))
                            }) {
                                adapter.banner.set(None);
                            }
                        }
                    }
                    Err(e) => retry_later(adapter, &b, fetch, &e),
                }
            }
            adapter.loading.set(false);
            // What was fetched may name more to fetch (a ticket's requester).
            refresh(adapter);
        });
    }

    /// True while the open dial screen still depends on this read.
    fn needed(adapter: Adapter, fetch: &Fetch) -> bool {
        let Some(lookups) = adapter
            .dial
            .with_untracked(|d| d.as_ref().map(|d| d.lookups()))
        else {
            return false;
        };
        match fetch {
            Fetch::Number(n) => lookups.number.as_ref() == Some(n),
            Fetch::Ticket(id) => lookups.tickets.contains(id),
            Fetch::User(id) => {
                lookups.users.contains(id)
                    || adapter.crm.with_untracked(|crm| {
                        lookups
                            .tickets
                            .iter()
                            .filter_map(|t| crm.ticket(*t))
                            .any(|t| t.requester_id == *id)
                    })
            }
        }
    }

    /// A failed lookup stays pending and is tried again after its backoff; the agent is told
    /// that it waits, and for how long.
    fn retry_later(adapter: Adapter, b: &Rc<Backend>, fetch: Fetch, error: &ZendeskError) {
        let jitter = js_sys::Math::random();
        let wait_ms = match error {
            // The account is paused (this page's writes may have met the 429): wait for the
            // pause to end, and no longer; it is not a failure of the lookup, so the backoff
            // does not grow.
            ZendeskError::RateLimited { retry_after_s } => {
                b.retries.borrow_mut().entry(fetch.key()).or_insert(0);
                (*retry_after_s as i64).max(1) * 1_000 + (jitter * 250.0) as i64
            }
            _ => {
                let attempt = {
                    let mut retries = b.retries.borrow_mut();
                    let n = retries.entry(fetch.key()).or_insert(0);
                    *n += 1;
                    *n
                };
                domain::batch::lookup_retry_delay_ms(attempt, jitter)
            }
        };
        let seconds = (wait_ms + 999) / 1_000;
        let text = format!("{} {seconds} s.", adapter.word(Label::LookupRetrying));
        adapter.fail(messages::Message {
            text,
            detail: Some(zendesk_message(adapter, error).text),
        });
        let b = b.clone();
        leptos::task::spawn_local(async move {
            sleep(wait_ms as i32).await;
            // Let it be asked again; if the screen still needs it, it is.
            b.fetched.borrow_mut().remove(&fetch.key());
            if !needed(adapter, &fetch) {
                b.retries.borrow_mut().remove(&fetch.key());
                adapter.pending.update(|p| fetch.mark(p, false));
            }
            refresh(adapter);
        });
    }

    enum Fetch {
        Number(String),
        User(u64),
        Ticket(u64),
    }

    impl Fetch {
        fn key(&self) -> String {
            match self {
                Fetch::Number(n) => format!("n:{n}"),
                Fetch::User(id) => format!("u:{id}"),
                Fetch::Ticket(id) => format!("t:{id}"),
            }
        }

        /// Marks (or clears) this read as pending for the dial screen.
        fn mark(&self, p: &mut Pending, on: bool) {
            fn set<T: PartialEq + Clone>(list: &mut Vec<T>, item: &T, on: bool) {
                list.retain(|x| x != item);
                if on {
                    list.push(item.clone());
                }
            }
            match self {
                Fetch::Number(n) => set(&mut p.numbers, n, on),
                Fetch::User(id) => set(&mut p.users, id, on),
                Fetch::Ticket(id) => set(&mut p.tickets, id, on),
            }
        }
    }

    fn merge(crm: &mut domain::crm::CrmState, found: domain::crm::CrmState) {
        for c in found.contacts {
            crm.contacts.retain(|x| x.id != c.id);
            crm.contacts.push(c);
        }
        for t in found.tickets {
            crm.tickets.retain(|x| x.id != t.id);
            crm.tickets.push(t);
        }
    }
}
