//! The adapter's I/O: ZAF, the platform, Zendesk and the outbox, driven by the live state's
//! intents. There is one backend per page, set once Zendesk and the platform are reachable;
//! without it (component tests, native builds) intents change the state only.

use super::live::Adapter;
use domain::dial::DialPlan;

#[cfg(target_arch = "wasm32")]
pub use web::{boot, hang_up, notify_error, place, refresh, route_to_ticket, sign_in};

/// Outside the browser there is no Zendesk or platform: intents change the state only.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::*;
    use leptos::prelude::RwSignal;
    /// Connects to Zendesk (not here).
    pub fn boot(_: Adapter) {}
    /// Fetches what the dial screen needs (not here).
    pub fn refresh(_: Adapter) {}
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
}
#[cfg(not(target_arch = "wasm32"))]
pub use native::{boot, hang_up, notify_error, place, refresh, route_to_ticket, sign_in};

#[cfg(target_arch = "wasm32")]
mod web {
    use super::*;
    use crate::{
        platform::{EventStream, GlooTransport, Platform, PlatformEvent},
        services::{
            crm::{add_tickets_of, lookup_number_detailed},
            leader::{Leader, RENEW_EVERY_MS},
            live::{CallPhase, Screen},
            outbox::{Batching, Outbox, RunReport},
            storage::LocalStore,
            writes::fold,
            zaf_transport::ZafTransport,
        },
        zaf::{CurrentUser, Invoke, NotifyKind, Subscription, VoiceDialout, Zaf},
        zendesk::{Zendesk, ZendeskError},
    };
    use domain::{
        dial::{DialContext, EntryPoint},
        labels::{language_for_locale, Catalogue, Label},
        rules::{decide, Event, RuleContext, Session},
    };
    use leptos::prelude::*;
    use std::{cell::RefCell, collections::BTreeSet, rc::Rc};

    /// The Italian catalogue, built into the app.
    const ITALIAN: &str = include_str!("../../assets/i18n/it.json");

    /// Everything the adapter talks to.
    struct Backend {
        zaf: Zaf,
        agent_zendesk: CurrentUser,
        platform: Platform<GlooTransport>,
        platform_url: String,
        zendesk: Zendesk<ZafTransport>,
        leader: Leader<LocalStore>,
        outbox: RefCell<Option<Outbox<LocalStore>>>,
        rules: RefCell<RuleContext>,
        fetched: RefCell<BTreeSet<String>>,
        stream: RefCell<Option<EventStream>>,
        _subscriptions: RefCell<Vec<Subscription>>,
        /// Ends of calls whose ticket is still being created, by call id.
        pending_ends: RefCell<Vec<(u64, Event)>>,
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
                adapter.screen.set(Screen::Unavailable(e.to_string()));
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
                    adapter.screen.set(Screen::Unavailable(e.to_string()));
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
            adapter.context.update(|c| {
                c.region = region_for_locale(&locale);
                c.agent_language = language_for_locale(&locale).to_owned();
            });
            let tab = format!("tab-{}", (js_sys::Math::random() * 1e12) as u64);
            let backend = Rc::new(Backend {
                zaf: zaf.clone(),
                agent_zendesk: user,
                platform: Platform::new(GlooTransport::new(&platform_url)),
                platform_url,
                zendesk: Zendesk::new(ZafTransport(zaf.clone())),
                leader: Leader::new(LocalStore, tab),
                outbox: RefCell::new(None),
                rules: RefCell::new(RuleContext::default()),
                fetched: RefCell::new(BTreeSet::new()),
                stream: RefCell::new(None),
                _subscriptions: RefCell::new(Vec::new()),
                pending_ends: RefCell::new(Vec::new()),
            });
            let dialout = zaf.on("voice.dialout", move |d: VoiceDialout| {
                on_dialout(adapter, d)
            });
            backend._subscriptions.borrow_mut().push(dialout);
            BACKEND.with(|b| *b.borrow_mut() = Some(backend.clone()));
            keep_lease(backend);
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

    /// Renews the tab lease while the page lives.
    fn keep_lease(backend: Rc<Backend>) {
        backend.leader.tick(now_ms());
        leptos::task::spawn_local(async move {
            loop {
                sleep(RENEW_EVERY_MS as i32).await;
                backend.leader.tick(now_ms());
            }
        });
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
        if !b.leader.tick(now_ms()) {
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
            let result = async {
                let agent = b.platform.sign_in(&email, &password).await?;
                let settings = b.platform.settings().await?;
                let options = b.platform.outbound_options().await?;
                Ok::<_, crate::platform::PlatformError>((agent, settings, options))
            }
            .await;
            busy.set(false);
            match result {
                Ok((agent, settings, options)) => {
                    adapter.banner.set(None);
                    b.rules.borrow_mut().settings = settings.clone();
                    b.rules.borrow_mut().region =
                        adapter.context.with_untracked(|c| c.region.clone());
                    adapter.context.update(|c| {
                        *c = DialContext {
                            settings,
                            team: agent.team.clone(),
                            options,
                            ..c.clone()
                        }
                    });
                    *b.outbox.borrow_mut() = Some(Outbox::open(LocalStore, b.agent_zendesk.id));
                    connect_events(adapter, &b);
                    adapter.open_dial(EntryPoint::Keypad);
                    // Anything left from before a reload is written now.
                    run_outbox(adapter, b.clone());
                }
                Err(e) => adapter.error(e.to_string()),
            }
        });
    }

    fn connect_events(adapter: Adapter, b: &Rc<Backend>) {
        let Some(token) = b.platform.token() else {
            return;
        };
        let stream = EventStream::connect(
            &b.platform_url,
            token,
            move |event| on_event(adapter, event),
            |_| {},
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

    fn on_event(adapter: Adapter, event: PlatformEvent) {
        let current = adapter.call.get_untracked();
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
            PlatformEvent::Ringing { call_id } if call_id == id => {
                phase(CallPhase::Ringing, adapter)
            }
            PlatformEvent::Connected { call_id } if call_id == id => {
                phase(CallPhase::Connected, adapter)
            }
            PlatformEvent::Ended {
                call_id,
                recording_url,
                durations,
            } if call_id == id => {
                phase(CallPhase::Ended, adapter);
                let Some(b) = backend() else { return };
                let event = |ticket_id| Event::Ended {
                    session: session(id, &call.plan),
                    ticket_id,
                    recording_url: recording_url.clone(),
                    duration_s: durations.call,
                };
                match call.ticket_id {
                    Some(ticket_id) => {
                        enqueue(adapter, &b, format!("{id}.ended"), &event(ticket_id))
                    }
                    // The ticket is still being created (a 429 or a slow network held it up):
                    // the end of the call is written once its id is known.
                    None if call.plan.ticket != domain::dial::TicketPlan::None => {
                        b.pending_ends.borrow_mut().push((id, event(0)));
                    }
                    None => {}
                }
            }
            _ => {}
        }
    }

    fn enqueue(adapter: Adapter, b: &Rc<Backend>, key: String, event: &Event) {
        let actions = adapter.crm.with_untracked(|crm| {
            adapter
                .catalogue
                .with_untracked(|cat| decide(event, crm, &b.rules.borrow(), cat))
        });
        if let Some(outbox) = b.outbox.borrow_mut().as_mut() {
            outbox.enqueue(&key, fold(&actions));
        }
        run_outbox(adapter, b.clone());
    }

    /// Sends the outbox's due work; schedules itself again while work waits.
    fn run_outbox(adapter: Adapter, b: Rc<Backend>) {
        leptos::task::spawn_local(async move {
            let Some(mut outbox) = b.outbox.borrow_mut().take() else {
                return;
            };
            let batching = Batching::from_settings(&b.rules.borrow().settings);
            let report: RunReport = outbox
                .run_with(&b.zendesk, &b.platform, batching, now_ms())
                .await;
            *b.outbox.borrow_mut() = Some(outbox);
            for (key, ticket) in &report.created_tickets {
                adapter.call.update(|c| {
                    if let Some(c) = c
                        .as_mut()
                        .filter(|c| c.id.map(|i| format!("{i}.placed")) == Some(key.clone()))
                    {
                        c.ticket_id = Some(*ticket);
                    }
                });
                let ready: Vec<(u64, Event)> = {
                    let mut pending = b.pending_ends.borrow_mut();
                    let (ready, waiting) = pending
                        .drain(..)
                        .partition(|(call, _)| format!("{call}.placed") == *key);
                    *pending = waiting;
                    ready
                };
                for (call, mut event) in ready {
                    if let Event::Ended { ticket_id, .. } = &mut event {
                        *ticket_id = *ticket;
                    }
                    enqueue(adapter, &b, format!("{call}.ended"), &event);
                }
            }
            for ticket in &report.screen_pops {
                route_to_ticket(*ticket);
            }
            for (_, error) in &report.failed {
                let text = match error {
                    ZendeskError::Closed => adapter.word(Label::ErrTicketClosedWrite),
                    other => other.to_string(),
                };
                adapter.error(text.clone());
                notify_error(&text);
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
                            if let domain::dial::TicketPlan::Existing { id } = plan.ticket {
                                c.ticket_id = Some(id);
                            }
                        }
                    });
                    let event = Event::OutboundPlaced {
                        session: session(call.id, &plan),
                        plan: plan.clone(),
                        agent_id: b.agent_zendesk.id,
                    };
                    enqueue(adapter, &b, format!("{}.placed", call.id), &event);
                }
                Err(e) => {
                    adapter.call.set(None);
                    adapter.screen.set(Screen::Dial);
                    adapter.error(e.to_string());
                    notify_error(&e.to_string());
                }
            }
        });
    }

    /// Ends the call.
    pub fn hang_up(adapter: Adapter) {
        let Some(b) = backend() else { return };
        let Some(id) = adapter
            .call
            .with_untracked(|c| c.as_ref().and_then(|c| c.id))
        else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Err(e) = b.platform.hang_up(id).await {
                adapter.error(e.to_string());
            }
        });
    }

    /// Fetches the CRM data the open dial screen needs and has not fetched yet.
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
                if let Err(e) = result {
                    // Try again on the next edit.
                    b.fetched.borrow_mut().remove(&fetch.key());
                    adapter.error(e.to_string());
                }
            }
            adapter.loading.set(false);
            // What was fetched may name more to fetch (a ticket's requester).
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
