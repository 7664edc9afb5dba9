//! The page's connections, set once at boot: ZAF, the platform, Zendesk, the tab lease and the
//! outbox, with the little state the background tasks share (early events, touch tones, ends
//! waiting for their ticket). Every browser service reaches them through [`backend`].

use crate::{
    platform::{EventStream, GlooTransport, Platform, PlatformEvent},
    services::{
        crm::FetchKey, leader::Leader, live::Adapter, messages, outbox::Outbox, storage::PageStore,
        zaf_transport::ZafTransport,
    },
    zaf::{CurrentUser, Subscription, Zaf},
    zendesk::{Gated, Zendesk, ZendeskError},
};
use domain::{
    call::{EarlyEvents, JobKey, ToneQueue},
    comments::VoicemailAction,
    rules::{Event, RuleContext},
};
use leptos::prelude::*;
use std::{
    cell::{Cell, RefCell},
    collections::{BTreeMap, BTreeSet, VecDeque},
    rc::Rc,
};
use wasm_bindgen::JsCast;

/// Everything the adapter talks to.
pub(crate) struct Backend {
    /// The Zendesk app framework.
    pub(crate) zaf: Zaf,
    /// The agent as Zendesk knows them.
    pub(crate) agent_zendesk: CurrentUser,
    /// The contact-centre platform.
    pub(crate) platform: Platform<GlooTransport>,
    /// The platform's address (for the event socket).
    pub(crate) platform_url: String,
    /// Zendesk's API, through ZAF, paused as a whole by a 429.
    pub(crate) zendesk: Zendesk<Gated<ZafTransport>>,
    /// The tab lease: which of the agent's tabs takes calls.
    pub(crate) leader: Leader<PageStore>,
    /// Where the lease and the outbox are kept: localStorage, or the platform's journal when
    /// the browser gives the frame no storage.
    pub(crate) store: PageStore,
    /// The outbox, once the agent signed in.
    pub(crate) outbox: RefCell<Option<Rc<Outbox<PageStore>>>>,
    /// What the rules decide with (settings, region).
    pub(crate) rules: RefCell<RuleContext>,
    /// How many dial screens asked for the settings at their opening (the last one's answer
    /// releases its screen).
    pub(crate) settings_asked: Cell<u64>,
    /// Every settings read, numbered in the order sent (an opening's, and the one on
    /// `settings.changed`), and the number of the last one whose answer was taken: an answer
    /// older than that one is not taken.
    pub(crate) settings_reads: Cell<(u64, u64)>,
    /// How many `settings.changed` notices (and stream connects) asked for the settings: a
    /// failed read of an earlier one stops asking again once a later one asks.
    pub(crate) settings_notices: Cell<u64>,
    /// The CRM reads asked.
    pub(crate) fetched: RefCell<BTreeSet<FetchKey>>,
    /// Failed lookups waiting to be tried again: attempts so far, by read.
    pub(crate) retries: RefCell<BTreeMap<FetchKey, u32>>,
    /// The passes of lookups out, each by its screen's `lookup_round` (once per pass): the
    /// screen is "looking up" until none of its own is out.
    pub(crate) passes_out: RefCell<Vec<u64>>,
    /// Which dial screen `fetched` and `retries` are for: one more with each screen opened
    /// (`lookups::reopened`). A read or a retry of an earlier screen leaves them alone.
    pub(crate) lookup_round: Cell<u64>,
    /// The contacts whose own lookup (`lookups::Fetch::User`) is out, each with its screen's
    /// `lookup_round`, once per read.
    pub(crate) users_out: RefCell<Vec<(u64, u64)>>,
    /// The contacts whose record the open screen still waits for (asked, or asked and failed),
    /// each with its screen's `lookup_round`, once.
    pub(crate) records_out: RefCell<Vec<(u64, u64)>>,
    /// The platform's event socket, once connected.
    pub(crate) stream: RefCell<Option<EventStream>>,
    /// When this tab last took over what another tab of the agent left (unix ms; 0 never).
    pub(crate) took_over_ms: Cell<i64>,
    /// ZAF subscriptions, kept for the page's life.
    pub(crate) subscriptions: RefCell<Vec<Subscription>>,
    /// Window listeners, kept for the page's life.
    pub(crate) listeners: RefCell<Vec<WindowListenerHandle>>,
    /// Touch tones waiting to be sent.
    pub(crate) tones: RefCell<ToneQueue>,
    /// True once this tab keeps the lease (after sign-in).
    pub(crate) leasing: Cell<bool>,
    /// Ends of inbound calls whose ticket work had not been queued yet when they ended, by
    /// call: each builds the end's event for the call's ticket.
    pub(crate) unlogged_ends: RefCell<Vec<(u64, EndOfCall)>>,
    /// The settings each call and chat this page logged started with, by call (a chat's
    /// `true`, a call's `false`, and its id): its later writes are decided with them (SET-16: a
    /// call in progress keeps the settings it started with). The latest [`STARTED_KEPT`].
    pub(crate) started_with: RefCell<Vec<((bool, u64), domain::settings::Settings)>>,
    /// The agent's platform id, once signed in (a transfer names agents by it).
    pub(crate) platform_agent: Cell<Option<u64>>,
    /// The account's custom ticket fields (id, title, active), read once per session when the
    /// settings need them (the SDK session fields, a custom field mapping).
    pub(crate) ticket_fields: RefCell<Option<Rc<Vec<AccountField>>>>,
    /// Session events of the call on screen that came before its ticket work was queued (an
    /// inbound caller still to be picked, a call transferred here before its ticket was named):
    /// taken again, in order, once it is.
    pub(crate) events_waiting: RefCell<Vec<(u64, PlatformEvent)>>,
    /// Counts the platform's "fields changed" notices (a burst is read once).
    pub(crate) fields_generation: Cell<u64>,
    /// Calls transferred to this agent before their ticket was known: call, the transfer's
    /// event id; written once the sending adapter reports the ticket.
    pub(crate) transfers_waiting: RefCell<Vec<(u64, u64)>>,
    /// Events of a call placed but not yet numbered (they can overtake `POST /calls`'s
    /// answer): replayed once the call's id is known.
    pub(crate) early: RefCell<EarlyEvents<PlatformEvent>>,
    /// Hold and Resume presses so far: only the last one's answer sets the screen (an earlier
    /// answer that comes after a later press's event would show the call held while it is not).
    pub(crate) holds: Cell<u64>,
    /// What the last Hang up that did not go through showed (a new try takes it away, and
    /// nothing else: a notice of where the call is logged stays).
    pub(crate) hang_up_error: RefCell<Option<crate::services::live::Banner>>,
    /// Resumes whose read of the platform's calls is under way: while any is, the events of
    /// calls not on screen are kept in `while_resuming` (numbered, the latest
    /// `events::RESUME_EVENTS_KEPT`), and a call a read puts on screen takes its own that came after
    /// that read began (its read may predate them: a call answered during it showed "Dialling").
    pub(crate) resuming: Cell<u32>,
    pub(crate) while_resuming: RefCell<std::collections::VecDeque<(u64, PlatformEvent)>>,
    /// The number of the last event kept in `while_resuming`.
    pub(crate) resume_events: Cell<u64>,
    /// True once this page has taken up the agent's chats from the platform (its first stream
    /// connection); a reconnect takes up only the chats it holds.
    pub(crate) chats_restored: Cell<bool>,
    /// How many reads of the agent's chats were sent; the chats the agent declined, each with
    /// that count when declined (the latest 32): a read sent before a decline, answered after
    /// it, still lists the offer, which must not come back.
    pub(crate) chat_reads: Cell<u64>,
    pub(crate) declined: RefCell<std::collections::VecDeque<(u64, u64)>>,
}

/// One of the account's custom ticket fields: id, title, active.
pub(crate) type AccountField = (u64, String, bool);

/// The end of a call waiting for its ticket: builds the end's event for the ticket's id.
pub(crate) type EndOfCall = Box<dyn FnOnce(u64) -> Event>;

impl Backend {
    /// The connections of a page whose agent is `agent`, talking to the platform at
    /// `platform_url`, in the tab named `tab`.
    pub(crate) fn new(zaf: Zaf, agent: CurrentUser, platform_url: String, tab: String) -> Self {
        let store = PageStore::for_this_page();
        Self {
            zaf: zaf.clone(),
            agent_zendesk: agent,
            platform: Platform::new(GlooTransport::new(&platform_url)),
            platform_url,
            // One 429 pauses every request of the page, reads and writes (item 3).
            zendesk: Zendesk::new(Gated::new(ZafTransport(zaf), now_ms)),
            leader: Leader::new(store.clone(), tab),
            store,
            outbox: RefCell::new(None),
            rules: RefCell::new(RuleContext::default()),
            settings_asked: Cell::new(0),
            settings_reads: Cell::new((0, 0)),
            settings_notices: Cell::new(0),
            passes_out: RefCell::new(Vec::new()),
            fetched: RefCell::new(BTreeSet::new()),
            retries: RefCell::new(BTreeMap::new()),
            lookup_round: Cell::new(0),
            users_out: RefCell::new(Vec::new()),
            records_out: RefCell::new(Vec::new()),
            stream: RefCell::new(None),
            took_over_ms: Cell::new(0),
            subscriptions: RefCell::new(Vec::new()),
            listeners: RefCell::new(Vec::new()),
            tones: RefCell::new(ToneQueue::default()),
            early: RefCell::new(EarlyEvents::default()),
            holds: Cell::new(0),
            hang_up_error: RefCell::new(None),
            resuming: Cell::new(0),
            while_resuming: RefCell::new(Default::default()),
            resume_events: Cell::new(0),
            chats_restored: Cell::new(false),
            chat_reads: Cell::new(0),
            declined: RefCell::new(std::collections::VecDeque::new()),
            unlogged_ends: RefCell::new(Vec::new()),
            started_with: RefCell::new(Vec::new()),
            platform_agent: Cell::new(None),
            ticket_fields: RefCell::new(None),
            transfers_waiting: RefCell::new(Vec::new()),
            fields_generation: Cell::new(0),
            events_waiting: RefCell::new(Vec::new()),
            leasing: Cell::new(false),
        }
    }
}

impl Backend {
    /// The users the platform's directory says were created for `e164` lately (none when it
    /// cannot say: the search alone decides then, as before).
    pub(crate) async fn recorded_contacts(&self, e164: &str) -> Vec<u64> {
        if !self.platform.is_signed_in() {
            return Vec::new();
        }
        // Read beside the number's search, which leaves first.
        next_task().await;
        self.platform.contacts_for(e164).await.unwrap_or_default()
    }

    /// Keeps first job `key` as intended with the outbox, for the contact `picked`
    /// ([`Outbox::intend`]): a reload while its reads run works it out again.
    pub(crate) fn intend(&self, key: JobKey, picked: Option<u64>) {
        if let Some(outbox) = self.outbox.borrow().as_ref() {
            outbox.intend(&key.to_string(), picked);
        }
    }

    /// First job `key` is no longer only intended ([`Outbox::forget_intent`]).
    pub(crate) fn forget_intent(&self, key: JobKey) {
        if let Some(outbox) = self.outbox.borrow().as_ref() {
            outbox.forget_intent(&key.to_string());
        }
    }

    /// The first jobs and voicemail actions intended and not queued ([`Outbox::intended_keys`]).
    pub(crate) fn intended_keys(&self) -> Vec<String> {
        self.outbox
            .borrow()
            .as_ref()
            .map(|outbox| outbox.intended_keys())
            .unwrap_or_default()
    }

    /// The voicemail actions intended and not written ([`Outbox::intended_keys`]).
    pub(crate) fn intended_voicemail_actions(&self) -> Vec<(u64, VoicemailAction)> {
        self.intended_keys()
            .iter()
            .filter_map(|k| JobKey::parse(k))
            .filter_map(|k| match k.stage {
                domain::call::Stage::Voicemail(action) => Some((k.call, action)),
                _ => None,
            })
            .collect()
    }

    /// The settings now become those the call or chat of `key` started with, unless it has
    /// started already (SET-16).
    fn start_with_settings(&self, key: JobKey) {
        let who = (key.is_chat(), key.call);
        let mut started = self.started_with.borrow_mut();
        if started.iter().any(|(w, _)| *w == who) {
            return;
        }
        if started.len() >= STARTED_KEPT {
            started.remove(0);
        }
        started.push((who, self.rules.borrow().settings.clone()));
    }

    /// What the rules decide a write of `key` with: the settings its call or chat started with
    /// when this page saw it start ([`Backend::start_with_settings`]), else the settings now (a
    /// call taken over after a reload, a voicemail's action).
    /// A call's or chat's first job notes the settings now as those it starts with, the first
    /// time its rules are asked for.
    pub(crate) fn rules_for(&self, key: JobKey) -> RuleContext {
        if key.is_first() || key.stage == domain::call::Stage::ChatAssigned {
            self.start_with_settings(key);
        }
        let mut rules = self.rules.borrow().clone();
        let who = (key.is_chat(), key.call);
        if !matches!(key.stage, domain::call::Stage::Voicemail(_)) {
            if let Some((_, settings)) = self.started_with.borrow().iter().find(|(w, _)| *w == who)
            {
                rules.settings = settings.clone();
            }
        }
        rules
    }

    /// First job `key` was intended and never queued: `Some(picked)` ([`Outbox::intended`]).
    pub(crate) fn intended(&self, key: JobKey) -> Option<Option<u64>> {
        self.outbox
            .borrow()
            .as_ref()
            .and_then(|outbox| outbox.intended(&key.to_string()))
    }
}

/// How many calls' and chats' starting settings are kept ([`Backend::started_with`]): far more
/// than an agent has under way at once, so that a long chat's end keeps its own through a busy
/// shift of calls.
const STARTED_KEPT: usize = 64;

thread_local! {
    /// The first jobs this page is working out (their reads under way).
    static WORKING: RefCell<BTreeSet<JobKey>> = const { RefCell::new(BTreeSet::new()) };
}

/// A first job (a call's or a chat's) this page is working out, until dropped: a second start
/// of it here (a resume, a chat's end) finds it under way.
pub(crate) struct Working(JobKey);

impl Working {
    /// `None` when this page is already working it out.
    pub(crate) fn start(key: JobKey) -> Option<Working> {
        WORKING
            .with(|w| w.borrow_mut().insert(key))
            .then_some(Working(key))
    }

    /// True while this page works first job `key` out.
    pub(crate) fn under_way(key: &JobKey) -> bool {
        WORKING.with(|w| w.borrow().contains(key))
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        WORKING.with(|w| w.borrow_mut().remove(&self.0));
    }
}

thread_local! {
    static BACKEND: RefCell<Option<Rc<Backend>>> = const { RefCell::new(None) };
}

/// Makes `backend` the page's connections.
pub(crate) fn install(backend: Rc<Backend>) {
    BACKEND.with(|b| *b.borrow_mut() = Some(backend));
}

/// The page's connections, once boot has made them.
pub(crate) fn backend() -> Option<Rc<Backend>> {
    BACKEND.with(|b| b.borrow().clone())
}

/// The time now, unix ms.
pub(crate) fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// A read the rules need to log a call or a chat, tried again while it may still succeed
/// ([`ZendeskError::logging_read_wait_ms`]: a rate limit or an outage, for up to two minutes).
pub(crate) async fn read_to_log<T, F, Fut>(mut read: F) -> Result<T, ZendeskError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ZendeskError>>,
{
    let mut attempt = 0;
    let mut waited = 0;
    loop {
        attempt += 1;
        match read().await {
            Err(e) => match e.logging_read_wait_ms(attempt, waited) {
                Some(wait) => {
                    sleep(wait).await;
                    waited += wait;
                }
                None => return Err(e),
            },
            found => return found,
        }
    }
}

/// Waits `ms` milliseconds.
pub(crate) async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Something the page fetches once and keeps (the phone metadata, the session's code): fetched
/// when first asked for, a failed attempt tried again after 0.5 s, doubling to 30 s, until one
/// succeeds; waited for as a promise, not a timer (a hidden frame's timers are slowed down, and
/// a resume may happen in one). Needed now ([`Fetched::now`]: Sign in pressed after the first
/// key started it), it tries again at once, the wait before the next try back to 0.5 s: a failure
/// while the agent typed never holds their sign-in back for the rest of a long wait.
pub(crate) struct Fetched {
    started: Cell<bool>,
    done: js_sys::Promise,
    resolve: js_sys::Function,
    /// Needed now: ends the wait before the next attempt, or the next wait before it starts.
    again: Rc<Again>,
}

/// [`Fetched`] needed now, while its attempts go on.
#[derive(Default)]
struct Again {
    /// Ends the wait before the next attempt, while there is one.
    wake: RefCell<Option<js_sys::Function>>,
    /// Needed now during an attempt: the next one, if any, does not wait.
    asked: Cell<bool>,
}

impl Again {
    fn ask(&self) {
        match self.wake.borrow_mut().take() {
            Some(wake) => {
                let _ = wake.call1(&wasm_bindgen::JsValue::NULL, &wasm_bindgen::JsValue::TRUE);
            }
            None => self.asked.set(true),
        }
    }

    /// Waits `ms` milliseconds, or less if needed now meanwhile (or since the last wait):
    /// answers whether it was.
    async fn wait(&self, ms: i32) -> bool {
        if self.asked.replace(false) {
            return true;
        }
        // The timer resolves the wait with nothing, a request with `true`.
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
            *self.wake.borrow_mut() = Some(resolve);
        });
        let woken = wasm_bindgen_futures::JsFuture::from(promise).await;
        self.wake.borrow_mut().take();
        woken.is_ok_and(|v| v.is_truthy())
    }
}

impl Fetched {
    /// The first wait before a failed attempt is tried again, doubled up to [`Self::MAX_RETRY_MS`].
    const FIRST_RETRY_MS: i32 = 500;
    const MAX_RETRY_MS: i32 = 30_000;

    pub(crate) fn new() -> Self {
        let mut resolve = None;
        let done = js_sys::Promise::new(&mut |res, _| resolve = Some(res));
        Fetched {
            started: Cell::new(false),
            done,
            resolve: resolve.expect("a promise's executor runs at once"),
            again: Rc::default(),
        }
    }

    /// Starts the attempts (`attempt` answers whether one succeeded), once per page.
    pub(crate) fn start<F: std::future::Future<Output = bool> + 'static>(
        &self,
        mut attempt: impl FnMut() -> F + 'static,
    ) {
        if self.started.replace(true) {
            return;
        }
        let resolve = self.resolve.clone();
        let again = self.again.clone();
        leptos::task::spawn_local(async move {
            let mut wait = Self::FIRST_RETRY_MS;
            while !attempt().await {
                wait = if again.wait(wait).await {
                    Self::FIRST_RETRY_MS
                } else {
                    (wait * 2).min(Self::MAX_RETRY_MS)
                };
            }
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        });
    }

    /// Needed now: a failed attempt waiting to be tried again is tried at once (the one under
    /// way, if it fails), the wait before the next back to its first.
    pub(crate) fn now(&self) {
        self.again.ask();
    }

    /// Resolves once an attempt succeeded.
    pub(crate) fn done(&self) -> wasm_bindgen_futures::JsFuture {
        wasm_bindgen_futures::JsFuture::from(self.done.clone())
    }
}

/// Awaits `wait`, for a session about to start; a wait of more than 3 s (a fetch failed and is
/// tried again) is said in the banner with `label` (the session clears it).
pub(crate) async fn say_if_slow<T>(
    adapter: crate::services::live::Adapter,
    label: domain::labels::Label,
    wait: impl std::future::Future<Output = T>,
) -> T {
    let notice = leptos::prelude::set_timeout_with_handle(
        move || adapter.notice(adapter.word(label)),
        std::time::Duration::from_millis(3_000),
    );
    let done = wait.await;
    if let Ok(handle) = notice {
        handle.clear();
    }
    done
}

/// Runs `f` in a task of its own, once this one has ended.
///
/// A message a frame posts to another process (every ZAF request and invoke) leaves only
/// when the task that posted it ends, with all its microtasks, drawing included. Work that
/// need not come before such a message goes here, so the message is not held behind it. The
/// task is a message the page sends itself: timers are clamped, and slowed in a hidden frame;
/// a message is neither.
pub(crate) fn after_this_task(f: impl FnOnce() + 'static) {
    /// The jobs asked for, oldest first.
    type Jobs = RefCell<VecDeque<Box<dyn FnOnce()>>>;
    thread_local! {
        static NEXT: (Jobs, Option<web_sys::MessageChannel>) = {
            let channel = web_sys::MessageChannel::new().ok();
            if let Some(channel) = &channel {
                // One message, one job, in the order they were asked for.
                let run = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(|| {
                    let job = NEXT.with(|(jobs, _)| jobs.borrow_mut().pop_front());
                    if let Some(job) = job {
                        job();
                    }
                });
                channel.port1().set_onmessage(Some(run.as_ref().unchecked_ref()));
                run.forget();
            }
            (RefCell::new(VecDeque::new()), channel)
        };
    }
    NEXT.with(|(jobs, channel)| match channel {
        Some(channel) => {
            jobs.borrow_mut().push_back(Box::new(f));
            if channel
                .port2()
                .post_message(&wasm_bindgen::JsValue::NULL)
                .is_err()
            {
                let job = jobs.borrow_mut().pop_back();
                if let Some(job) = job {
                    job();
                }
            }
        }
        // No channel (the browser refused one): at once.
        None => f(),
    });
}

/// Resolves in a task of its own ([`after_this_task`]): a request to the platform that need not
/// leave first waits for it, so that the Zendesk reads of the same task (whose messages leave
/// when the task ends) are not held behind the cost of starting it (a `fetch` is about 1.5 ms
/// of the frame's time).
pub(crate) async fn next_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        after_this_task(move || {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        });
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Shows a platform error in the agent's language.
pub(crate) fn fail_platform(adapter: Adapter, e: &crate::platform::PlatformError) {
    // A session that ended (after sign-in: the stream is up) signs the agent out.
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

/// A read of session `session` failed with `e` after that session went: when the platform
/// ended it (a 401: this read's or another's, and no one has signed in since), the agent is
/// told and the sign-in form shows, as for any request; a sign-out here says nothing more.
pub(crate) fn told_if_ended(
    adapter: Adapter,
    b: &Backend,
    session: &Option<String>,
    e: &crate::platform::PlatformError,
) {
    if *e == crate::platform::PlatformError::SignedOut && b.platform.ended(session) {
        fail_platform(adapter, e);
    }
}

/// The platform ended the session (a 401, or the event stream refused): the stream stops,
/// writes that need the platform wait (the outbox keeps them), and the sign-in form shows with
/// the reason; signing in again resumes everything.
pub(crate) fn session_ended(adapter: Adapter) {
    let Some(b) = backend() else { return };
    b.stream.borrow_mut().take();
    b.platform.sign_out();
    crate::services::credential::clear();
    crate::services::dial_draft::clear_all();
    // The next agent on this computer sees none of this one's calls or voicemails.
    adapter.agent_name.set(None);
    adapter.history.set(Default::default());
    adapter.voicemails.set(Default::default());
    // Nor their chats (the platform keeps them: signing in again takes them up).
    adapter.chats.set(Vec::new());
    adapter.drafts.set(Vec::new());
    adapter.chat_busy.set(Vec::new());
    b.chats_restored.set(false);
    if adapter.screen.get_untracked() != crate::services::live::Screen::SignIn {
        adapter.screen.set(crate::services::live::Screen::SignIn);
    }
    adapter.fail(
        adapter
            .catalogue
            .with_untracked(|c| messages::platform(&crate::platform::PlatformError::SignedOut, c)),
    );
}

/// A Zendesk error in the agent's language.
pub(crate) fn zendesk_message(adapter: Adapter, e: &ZendeskError) -> messages::Message {
    adapter
        .catalogue
        .with_untracked(|c| messages::zendesk(e, c))
}

/// The backend and the id of the call on screen, when both are there.
pub(crate) fn current_call(adapter: Adapter) -> Option<(Rc<Backend>, u64)> {
    let b = backend()?;
    let id = adapter
        .call
        .with_untracked(|c| c.as_ref().and_then(|c| c.id))?;
    Some((b, id))
}

/// Waits until this tab leads (the lease of a page that closed without a word runs out within
/// `LEASE_MS`); false if another tab still leads after that. Offers and chats are taken by the
/// leading tab only, so each is logged once.
pub(crate) async fn lead_within_lease(b: &Backend) -> bool {
    let mut waited = 0;
    while !b.leader.tick(now_ms()) {
        if waited > crate::services::leader::LEASE_MS as i32 {
            return false;
        }
        sleep(250).await;
        waited += 250;
    }
    true
}
