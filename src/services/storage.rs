//! Key-value storage for state that must survive a reload (the outbox, the tab lease).
//!
//! Only operation data is stored: never a token, a password or any other secret.

use futures::{channel::oneshot, future::LocalBoxFuture};
use std::{
    cell::{Cell, RefCell},
    collections::BTreeMap,
    rc::Rc,
};

/// A small string store (localStorage in the browser, memory in tests).
pub trait Store {
    /// The value under `key`.
    fn get(&self, key: &str) -> Option<String>;
    /// Stores `value` under `key`.
    fn set(&self, key: &str, value: &str);
    /// Removes `key`.
    fn remove(&self, key: &str);
    /// Every key held (none where storage is unavailable).
    fn keys(&self) -> Vec<String> {
        Vec::new()
    }
    /// Waits until what was set is kept where a reload finds it (at once for the browser's
    /// storage; [`JournalStore`] sends it to the platform).
    #[allow(async_fn_in_trait)]
    async fn flush(&self) {}
}

/// An in-memory store; clones share their contents, like two tabs share localStorage.
#[derive(Clone, Default)]
pub struct MemoryStore(Rc<RefCell<BTreeMap<String, String>>>);

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Option<String> {
        self.0.borrow().get(key).cloned()
    }
    fn set(&self, key: &str, value: &str) {
        self.0.borrow_mut().insert(key.to_owned(), value.to_owned());
    }
    fn remove(&self, key: &str) {
        self.0.borrow_mut().remove(key);
    }
    fn keys(&self) -> Vec<String> {
        self.0.borrow().keys().cloned().collect()
    }
}

/// The browser's localStorage. Writes that fail (quota, private mode) are dropped: the outbox
/// keeps its state in memory as well and says so in its status.
#[cfg(target_arch = "wasm32")]
#[derive(Clone, Copy, Default)]
pub struct LocalStore;

#[cfg(target_arch = "wasm32")]
impl LocalStore {
    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    /// True when this frame may keep data in localStorage: the browser gives it one and a
    /// write sticks (blocked third-party storage throws, a full one refuses).
    pub fn usable() -> bool {
        const PROBE: &str = "agent-adapter.probe";
        let Some(s) = Self::storage() else {
            return false;
        };
        let kept = s.set_item(PROBE, "1").is_ok() && s.get_item(PROBE).ok().flatten().is_some();
        let _ = s.remove_item(PROBE);
        kept
    }
}

#[cfg(target_arch = "wasm32")]
impl Store for LocalStore {
    fn get(&self, key: &str) -> Option<String> {
        Self::storage()?.get_item(key).ok()?
    }
    fn set(&self, key: &str, value: &str) {
        if let Some(s) = Self::storage() {
            let _ = s.set_item(key, value);
        }
    }
    fn remove(&self, key: &str) {
        if let Some(s) = Self::storage() {
            let _ = s.remove_item(key);
        }
    }
    fn keys(&self) -> Vec<String> {
        let Some(s) = Self::storage() else {
            return Vec::new();
        };
        let n = s.length().unwrap_or(0);
        (0..n).filter_map(|i| s.key(i).ok().flatten()).collect()
    }
}

/// One exchange with the platform's journal: this tab's changes (`None` removes) out, with
/// their place in the tab's order (`seq`, rising), every entry the agent has back.
pub type JournalSync = Rc<
    dyn Fn(
        BTreeMap<String, Option<String>>,
        u64,
    ) -> LocalBoxFuture<'static, Result<BTreeMap<String, String>, String>>,
>;

/// A page's last word to the journal, as it goes away: changes it cannot know kept, with their
/// place in the tab's order, sent so that the request outlives the page when `outlive` (within
/// the browser's budget for such requests), else as an ordinary request; no answer is read.
pub type JournalLeave = Rc<dyn Fn(BTreeMap<String, Option<String>>, u64, bool)>;

/// Starts a task (the browser's `spawn_local`; a test's executor).
pub type Spawn = Rc<dyn Fn(LocalBoxFuture<'static, ()>)>;

/// Storage kept on the platform, for a frame the browser gives no storage (third-party storage
/// blocked): what the page would keep in localStorage (its outbox, the tab lease) lives in the
/// platform's journal for the agent (`POST /agent/journal`), so a reload or another tab finds it.
///
/// Reads are served from memory. A change is held in memory and sent in the background; the
/// outbox waits for [`JournalStore::flush`] before each Zendesk request, so what a reload needs
/// is on the platform before anything is written. Each exchange also brings back what the
/// agent's other tabs wrote (their leases and outboxes), as localStorage would.
///
/// A page that goes away (a reload, a closed tab: `pagehide`) calls [`JournalStore::leave`]: what
/// it changed and cannot know kept (the exchange under way, the changes waiting for it) goes in
/// a last word that outlives the page, and the page sends nothing more. Each request carries
/// the tab's rising sequence number (the last word's parts share one), and the platform drops a
/// tab's request older than one it has landed: the exchange cut short by the reload may land
/// after the last word, and must undo neither it nor what another tab wrote since (taking the
/// page's outbox over, the lease).
#[derive(Clone, Default)]
pub struct JournalStore(Rc<Journal>);

#[derive(Default)]
struct Journal {
    /// The entries as this tab sees them (its own changes included).
    entries: RefCell<BTreeMap<String, Option<String>>>,
    /// Changes not sent yet.
    unsent: RefCell<BTreeMap<String, Option<String>>>,
    /// The changes of the exchange under way (not known kept until it answers).
    in_flight: RefCell<BTreeMap<String, Option<String>>>,
    /// The sequence number of this tab's last request to the journal.
    seq: Cell<u64>,
    /// True while an exchange is under way.
    busy: Cell<bool>,
    /// Who waits for the exchange under way to end.
    waiting: RefCell<Vec<oneshot::Sender<()>>>,
    /// The platform, once signed in.
    link: RefCell<Option<(JournalSync, Spawn)>>,
    /// How the page's last word is sent, once signed in.
    leave: RefCell<Option<JournalLeave>>,
    /// True once the page has said its last word: nothing more is sent (a page brought back
    /// from the browser's back-forward cache loads again: `services::boot`).
    left: Cell<bool>,
}

impl JournalStore {
    /// Connects the store to the platform's journal (after sign-in). The first [`flush`]
    /// loads what earlier pages left.
    ///
    /// [`flush`]: JournalStore::flush
    pub fn link(&self, sync: JournalSync, spawn: Spawn, leave: JournalLeave) {
        *self.0.link.borrow_mut() = Some((sync, spawn));
        *self.0.leave.borrow_mut() = Some(leave);
    }

    /// The page is going away: what it changed and cannot know kept (the exchange under way,
    /// the changes waiting) is sent in one last request, and nothing more is sent after it. It
    /// outlives the page when it fits in the browser's budget for such requests; a bigger one
    /// (a very large outbox) goes as an ordinary request, which the page's end may cut short.
    /// One request, not two: a small part landing alone (the lease given up, the tab's beat)
    /// would let another tab take an outbox over that the other part brings back later.
    pub fn leave(&self) {
        let Some(leave) = self.0.leave.borrow().clone() else {
            return;
        };
        if self.0.left.replace(true) {
            return;
        }
        let mut all = self.0.in_flight.borrow().clone();
        all.extend(
            self.0
                .unsent
                .borrow()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        if all.is_empty() {
            return;
        }
        let seq = self.next_seq();
        let outlive = fits_to_outlive(&all, crate::http::OUTLIVING_BODY_MAX);
        leave(all, seq, outlive);
    }

    /// True once the page has said its last word.
    pub fn has_left(&self) -> bool {
        self.0.left.get()
    }

    /// The sequence number of this tab's next request.
    fn next_seq(&self) -> u64 {
        let seq = self.0.seq.get() + 1;
        self.0.seq.set(seq);
        seq
    }

    /// True once linked to the platform.
    pub fn is_linked(&self) -> bool {
        self.0.link.borrow().is_some()
    }

    /// Sends what changed and reads what the other tabs wrote; returns once every change made
    /// before the call is on the platform (or the platform could not be reached: `Err`, and the
    /// changes stay queued for the next exchange).
    pub async fn flush(&self) -> Result<(), String> {
        // A change made while an exchange is under way is sent by the next one; a few rounds
        // cover any interleaving, and a platform that keeps failing ends the wait.
        for _ in 0..4 {
            if self.0.busy.get() {
                let (tx, rx) = oneshot::channel();
                self.0.waiting.borrow_mut().push(tx);
                let _ = rx.await;
                continue;
            }
            self.exchange().await?;
            if self.0.unsent.borrow().is_empty() {
                return Ok(());
            }
        }
        Ok(())
    }

    /// One exchange: the unsent changes out, the agent's journal in.
    async fn exchange(&self) -> Result<(), String> {
        if self.0.left.get() {
            return Err("the page has said its last word".into());
        }
        let Some((sync, _)) = self.0.link.borrow().clone() else {
            return Err("the platform's journal is not connected".into());
        };
        let sent = std::mem::take(&mut *self.0.unsent.borrow_mut());
        self.0.busy.set(true);
        *self.0.in_flight.borrow_mut() = sent.clone();
        let answer = sync(sent.clone(), self.next_seq()).await;
        self.0.in_flight.borrow_mut().clear();
        self.0.busy.set(false);
        let result = match answer {
            Ok(theirs) => {
                // What the platform holds, except where this tab changed a key since.
                let unsent = self.0.unsent.borrow();
                let mut entries = self.0.entries.borrow_mut();
                entries.retain(|k, _| unsent.contains_key(k));
                for (k, v) in theirs {
                    if !unsent.contains_key(&k) {
                        entries.insert(k, Some(v));
                    }
                }
                entries.retain(|_, v| v.is_some());
                Ok(())
            }
            Err(e) => {
                // Not sent: queued again, under any change made since.
                let mut unsent = self.0.unsent.borrow_mut();
                for (k, v) in sent {
                    unsent.entry(k).or_insert(v);
                }
                Err(e)
            }
        };
        for tx in self.0.waiting.borrow_mut().drain(..) {
            let _ = tx.send(());
        }
        result
    }

    /// Sends the changes in the background (one exchange at a time).
    fn kick(&self) {
        if self.0.left.get() {
            return;
        }
        let Some((_, spawn)) = self.0.link.borrow().clone() else {
            return;
        };
        if self.0.busy.get() {
            // The exchange under way ends with a flush of what is left (below).
            return;
        }
        let store = self.clone();
        spawn(Box::pin(async move {
            let _ = store.flush().await;
        }));
    }
}

/// Changes to the journal by key (`None` removes).
type Changes = BTreeMap<String, Option<String>>;

/// True when a last word of `all` fits in `budget` bytes of JSON (a request that outlives the
/// page must).
fn fits_to_outlive(all: &Changes, budget: usize) -> bool {
    // The request's own frame: `{"set":{…},"from":{"tab":…,"seq":…}}`.
    serde_json::to_string(all).is_ok_and(|t| t.len() + 96 <= budget)
}

impl Store for JournalStore {
    fn get(&self, key: &str) -> Option<String> {
        self.0.entries.borrow().get(key).cloned().flatten()
    }
    fn set(&self, key: &str, value: &str) {
        let value = Some(value.to_owned());
        self.0
            .entries
            .borrow_mut()
            .insert(key.to_owned(), value.clone());
        self.0.unsent.borrow_mut().insert(key.to_owned(), value);
        self.kick();
    }
    fn remove(&self, key: &str) {
        self.0.entries.borrow_mut().remove(key);
        self.0.unsent.borrow_mut().insert(key.to_owned(), None);
        self.kick();
    }
    fn keys(&self) -> Vec<String> {
        self.0.entries.borrow().keys().cloned().collect()
    }
    async fn flush(&self) {
        let _ = JournalStore::flush(self).await;
    }
}

/// The page's store: the browser's localStorage where the frame may use it, else the
/// platform's journal.
#[cfg(target_arch = "wasm32")]
#[derive(Clone)]
pub enum PageStore {
    /// localStorage.
    Local(LocalStore),
    /// The platform's journal (storage blocked).
    Journal(JournalStore),
}

#[cfg(target_arch = "wasm32")]
impl PageStore {
    /// localStorage if this frame may use it, else the platform's journal.
    pub fn for_this_page() -> Self {
        if LocalStore::usable() {
            PageStore::Local(LocalStore)
        } else {
            PageStore::Journal(JournalStore::default())
        }
    }

    /// The journal, when the page keeps its state on the platform.
    pub fn journal(&self) -> Option<&JournalStore> {
        match self {
            PageStore::Journal(j) => Some(j),
            PageStore::Local(_) => None,
        }
    }
}

#[cfg(target_arch = "wasm32")]
impl Store for PageStore {
    fn get(&self, key: &str) -> Option<String> {
        match self {
            PageStore::Local(s) => s.get(key),
            PageStore::Journal(s) => s.get(key),
        }
    }
    fn set(&self, key: &str, value: &str) {
        match self {
            PageStore::Local(s) => s.set(key, value),
            PageStore::Journal(s) => s.set(key, value),
        }
    }
    fn remove(&self, key: &str) {
        match self {
            PageStore::Local(s) => s.remove(key),
            PageStore::Journal(s) => s.remove(key),
        }
    }
    fn keys(&self) -> Vec<String> {
        match self {
            PageStore::Local(s) => s.keys(),
            PageStore::Journal(s) => s.keys(),
        }
    }
    async fn flush(&self) {
        if let PageStore::Journal(s) = self {
            let _ = s.flush().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    /// The platform's journal of one agent, as `POST /agent/journal` keeps it (a tab's request
    /// older than one it landed changes nothing); `down` makes it unreachable, `hold`
    /// keeps the next exchanges under way until `release`. Spawned exchanges are kept to be run
    /// when the test says; a page's last words are kept in `left` until `deliver_left`.
    #[derive(Clone, Default)]
    struct Platform {
        journal: Rc<RefCell<BTreeMap<String, String>>>,
        highest: Rc<RefCell<BTreeMap<u32, u64>>>,
        tabs: Rc<Cell<u32>>,
        down: Rc<Cell<bool>>,
        hold: Rc<Cell<bool>>,
        held: Rc<RefCell<Vec<oneshot::Sender<()>>>>,
        exchanges: Rc<Cell<u32>>,
        spawned: Rc<RefCell<Vec<LocalBoxFuture<'static, ()>>>>,
        left: Rc<RefCell<Vec<LastWord>>>,
    }

    /// A page's last word: its tab, its changes, its place in the tab's order, whether it
    /// outlives the page.
    type LastWord = (u32, BTreeMap<String, Option<String>>, u64, bool);

    impl Platform {
        /// A tab's store, linked to this platform.
        fn tab(&self) -> JournalStore {
            let store = JournalStore::default();
            self.link(&store);
            store
        }

        /// Applies tab `tab`'s request `seq`; answers the journal after it.
        fn apply(
            &self,
            tab: u32,
            changes: BTreeMap<String, Option<String>>,
            seq: u64,
        ) -> BTreeMap<String, String> {
            let mut j = self.journal.borrow_mut();
            let mut highest = self.highest.borrow_mut();
            if highest.get(&tab).is_some_and(|h| *h > seq) {
                return j.clone();
            }
            highest.insert(tab, seq);
            for (k, v) in changes {
                match v {
                    Some(v) => j.insert(k, v),
                    None => j.remove(&k),
                };
            }
            j.clone()
        }

        /// Links `store` to this platform (the page does at sign-in), as a new tab.
        fn link(&self, store: &JournalStore) {
            let tab = self.tabs.get() + 1;
            self.tabs.set(tab);
            let me = self.clone();
            let spawned = self.spawned.clone();
            let left = self.left.clone();
            store.link(
                Rc::new(move |changes, seq| {
                    let me = me.clone();
                    Box::pin(async move {
                        me.exchanges.set(me.exchanges.get() + 1);
                        if me.hold.get() {
                            let (tx, rx) = oneshot::channel();
                            me.held.borrow_mut().push(tx);
                            let _ = rx.await;
                        }
                        if me.down.get() {
                            return Err("unreachable".to_owned());
                        }
                        Ok(me.apply(tab, changes, seq))
                    })
                }),
                Rc::new(move |f| spawned.borrow_mut().push(f)),
                Rc::new(move |changes, seq, outlive| {
                    left.borrow_mut().push((tab, changes, seq, outlive))
                }),
            );
        }

        /// Runs the background exchanges started so far.
        fn run_spawned(&self) {
            let tasks: Vec<_> = self.spawned.borrow_mut().drain(..).collect();
            for t in tasks {
                block_on(t);
            }
        }

        /// Lets the exchanges held so far go on (later ones are held while `hold` is set).
        fn release(&self) {
            for tx in self.held.borrow_mut().drain(..) {
                let _ = tx.send(());
            }
        }

        /// The last words of pages gone reach the journal.
        fn deliver_left(&self) {
            let left: Vec<_> = self.left.borrow_mut().drain(..).collect();
            for (tab, changes, seq, _) in left {
                self.apply(tab, changes, seq);
            }
        }
    }

    /// Polls `f` once (it starts, and waits where it waits).
    fn start<F: std::future::Future>(f: &mut std::pin::Pin<Box<F>>) -> bool {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        f.as_mut().poll(&mut cx).is_ready()
    }

    #[test]
    fn a_page_going_away_leaves_what_it_changed_and_its_cut_exchange_undoes_nothing() {
        let platform = Platform::default();
        let page = platform.tab();
        let other = platform.tab();
        page.set("lease", "page");
        page.set("outbox.page", "placed");
        // (Their background sends, not run: the flush below sends them.)
        platform.spawned.borrow_mut().clear();
        // The exchange carrying them is under way when the page takes two more jobs.
        platform.hold.set(true);
        let mut under_way = Box::pin(page.flush());
        assert!(
            !start(&mut under_way),
            "the exchange waits for the platform"
        );
        page.set("outbox.page", "placed+event+ended");
        page.remove("lease");
        page.leave();
        // The last word lands first.
        platform.deliver_left();
        assert_eq!(
            platform
                .journal
                .borrow()
                .get("outbox.page")
                .map(String::as_str),
            Some("placed+event+ended")
        );
        assert_eq!(platform.journal.borrow().get("lease"), None);
        // (Checked below, once no exchange of the page is under way: nothing more leaves it.)
        page.set("outbox.page", "later");
        // Another tab takes the page's outbox over and leads, then the exchange cut short by
        // the reload lands: it undoes neither the last word nor what the other tab wrote.
        other.remove("outbox.page");
        other.set("outbox.other", "placed+event+ended");
        other.set("lease", "other");
        platform.hold.set(false);
        block_on(other.flush()).unwrap();
        platform.release();
        assert!(
            block_on(under_way).is_err(),
            "the page sends nothing after its last word"
        );
        platform.spawned.borrow_mut().clear();
        page.set("outbox.page", "later still");
        assert!(
            platform.spawned.borrow().is_empty(),
            "nothing sent after it"
        );
        assert!(block_on(page.flush()).is_err());
        let kept: Vec<_> = platform
            .journal
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            kept,
            vec!["lease=other", "outbox.other=placed+event+ended"],
            "a tab's request older than one it landed changes nothing"
        );
        assert!(page.has_left());
    }

    #[test]
    fn a_page_going_away_with_everything_kept_sends_nothing() {
        let platform = Platform::default();
        let page = platform.tab();
        page.set("outbox", "placed");
        block_on(page.flush()).unwrap();
        page.leave();
        assert!(platform.left.borrow().is_empty());
        // Nor does a page never signed in (no link): its changes go with it.
        let unlinked = JournalStore::default();
        unlinked.set("lease", "early");
        unlinked.leave();
        assert!(platform.left.borrow().is_empty());
    }

    #[test]
    fn a_last_word_is_one_request_that_outlives_the_page_when_it_fits() {
        let last_word = |outbox: usize| {
            let platform = Platform::default();
            let page = platform.tab();
            page.set("outbox.page", &"j".repeat(outbox));
            page.remove("lease");
            page.leave();
            let left = platform.left.borrow();
            left.iter()
                .map(|(_, changes, seq, outlive)| {
                    (changes.keys().cloned().collect::<Vec<_>>(), *seq, *outlive)
                })
                .collect::<Vec<_>>()
        };
        let both = vec!["lease".to_owned(), "outbox.page".to_owned()];
        assert_eq!(last_word(2_000), vec![(both.clone(), 1, true)]);
        // Too big to outlive the page: one ordinary request, the lease given up with the
        // outbox (never a part that lets another tab take over what the other part brings).
        assert_eq!(last_word(70 * 1024), vec![(both, 1, false)]);
    }

    #[test]
    fn a_change_reaches_the_platform_and_another_tab_reads_it() {
        let platform = Platform::default();
        let (a, b) = (platform.tab(), platform.tab());
        a.set("k", "v1");
        assert_eq!(a.get("k").as_deref(), Some("v1"), "read back at once");
        assert!(
            platform.journal.borrow().is_empty(),
            "sent in the background"
        );
        platform.run_spawned();
        assert_eq!(
            platform.journal.borrow().get("k").map(String::as_str),
            Some("v1")
        );
        assert_eq!(b.get("k"), None, "b has not exchanged yet");
        block_on(b.flush()).unwrap();
        assert_eq!(b.get("k").as_deref(), Some("v1"));
        assert_eq!(b.keys(), vec!["k".to_owned()]);
        b.remove("k");
        block_on(b.flush()).unwrap();
        block_on(a.flush()).unwrap();
        assert_eq!(a.get("k"), None, "a removal by another tab is seen");
    }

    #[test]
    fn flush_returns_once_the_change_is_kept_and_an_outage_keeps_it_queued() {
        let platform = Platform::default();
        let a = platform.tab();
        platform.down.set(true);
        a.set("outbox", "job-1");
        assert!(block_on(a.flush()).is_err(), "the platform is down");
        assert_eq!(a.get("outbox").as_deref(), Some("job-1"), "kept in memory");
        platform.down.set(false);
        a.set("lease", "tab-a");
        block_on(a.flush()).unwrap();
        let j = platform.journal.borrow();
        assert_eq!(
            j.get("outbox").map(String::as_str),
            Some("job-1"),
            "sent after the outage"
        );
        assert_eq!(j.get("lease").map(String::as_str), Some("tab-a"));
    }

    #[test]
    fn a_newer_local_change_wins_over_the_platforms_older_value() {
        let platform = Platform::default();
        let (a, b) = (platform.tab(), platform.tab());
        b.set("lease", "tab-b");
        block_on(b.flush()).unwrap();
        a.set("lease", "tab-a");
        // The exchange sends a's change; what comes back is the platform's after it.
        block_on(a.flush()).unwrap();
        assert_eq!(a.get("lease").as_deref(), Some("tab-a"));
        block_on(b.flush()).unwrap();
        assert_eq!(
            b.get("lease").as_deref(),
            Some("tab-a"),
            "the last write stays, as in localStorage"
        );
    }

    #[test]
    fn an_unlinked_store_keeps_its_changes_for_the_first_exchange() {
        let platform = Platform::default();
        let store = JournalStore::default();
        store.set("lease", "early");
        assert!(block_on(store.flush()).is_err(), "no platform yet");
        platform
            .journal
            .borrow_mut()
            .insert("outbox.old-tab".into(), "left".into());
        // The page links its store at sign-in; what earlier pages left is loaded then, and
        // what it set before is sent.
        platform.link(&store);
        block_on(store.flush()).unwrap();
        assert_eq!(store.get("outbox.old-tab").as_deref(), Some("left"));
        assert_eq!(store.get("lease").as_deref(), Some("early"));
        assert_eq!(
            platform.journal.borrow().get("lease").map(String::as_str),
            Some("early")
        );
    }

    #[test]
    fn an_outbox_kept_on_the_platform_survives_a_reload() {
        use crate::services::{outbox::Outbox, writes::Write};
        use crate::zendesk::NewUser;
        let platform = Platform::default();
        let before = platform.tab();
        let outbox = Outbox::open_for_tab(before.clone(), 7, "t1");
        let write = Write::CreateUser(NewUser::with_phone("Caller", "+14155550100"));
        assert!(outbox.enqueue("call-1.start", vec![write]));
        block_on(before.flush()).unwrap();
        drop(outbox);
        // The reloaded page: a new tab id, a store that starts empty and loads at sign-in.
        let after = platform.tab();
        block_on(after.flush()).unwrap();
        let outbox = Outbox::open_for_tab(after.clone(), 7, "t2");
        assert!(outbox.jobs().is_empty(), "its own key is new");
        assert_eq!(
            outbox.adopt_orphans(|_| false),
            1,
            "the old tab's job is taken over"
        );
        assert_eq!(outbox.jobs()[0].key, "call-1.start");
        block_on(after.flush()).unwrap();
        let kept: Vec<_> = platform.journal.borrow().keys().cloned().collect();
        assert_eq!(
            kept,
            vec!["agent-adapter.outbox.7.t2".to_owned()],
            "moved to the new tab's key"
        );
    }
}
