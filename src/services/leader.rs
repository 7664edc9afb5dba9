//! One-tab leadership: when Zendesk is open in several tabs, each runs an adapter, but only the
//! tab holding the lease handles a click-to-call and performs the writes; the others tell the
//! agent that another tab is active.
//!
//! The lease is a record in shared storage (localStorage): holder and expiry. The holder renews
//! it well before it expires; a tab that closes stops renewing, and another takes over once the
//! lease has expired.

use super::storage::Store;
use serde::{Deserialize, Serialize};

/// How long a lease lasts without renewal.
pub const LEASE_MS: i64 = 6_000;
/// How often the holder renews it (a third of its life, so one missed tick is harmless).
pub const RENEW_EVERY_MS: i64 = 2_000;
const LEASE_KEY: &str = "agent-adapter.leader";
/// The tab that has a call on, if any.
const ON_CALL_KEY: &str = "agent-adapter.on-call";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Lease {
    holder: String,
    expires_ms: i64,
}

/// One tab's view of the lease.
pub struct Leader<S: Store> {
    store: S,
    tab_id: String,
}

impl<S: Store> Leader<S> {
    /// A tab identified by `tab_id` (random per page load).
    pub fn new(store: S, tab_id: impl Into<String>) -> Self {
        Self {
            store,
            tab_id: tab_id.into(),
        }
    }

    fn read(&self) -> Option<Lease> {
        self.store
            .get(LEASE_KEY)
            .and_then(|t| serde_json::from_str(&t).ok())
    }

    /// Takes or renews the lease if it is free, expired or ours; true when this tab leads.
    pub fn tick(&self, now_ms: i64) -> bool {
        match self.read() {
            Some(lease) if lease.holder != self.tab_id && lease.expires_ms > now_ms => false,
            _ => {
                let lease = Lease {
                    holder: self.tab_id.clone(),
                    expires_ms: now_ms + LEASE_MS,
                };
                if let Ok(text) = serde_json::to_string(&lease) {
                    self.store.set(LEASE_KEY, &text);
                }
                // Two tabs may write in the same instant: the one whose write stayed leads.
                // With no usable storage (blocked third-party storage), tabs cannot coordinate:
                // each leads rather than none.
                self.read().is_none_or(|l| l.holder == self.tab_id)
            }
        }
    }

    /// Takes the lease whoever holds it: the agent is working in this tab (a click-to-call
    /// here), so calls come here from now on; the tab that led sees it at its next tick.
    pub fn take(&self, now_ms: i64) {
        let lease = Lease {
            holder: self.tab_id.clone(),
            expires_ms: now_ms + LEASE_MS,
        };
        if let Ok(text) = serde_json::to_string(&lease) {
            self.store.set(LEASE_KEY, &text);
        }
    }

    /// True when this tab holds an unexpired lease (no write).
    pub fn is_leader(&self, now_ms: i64) -> bool {
        self.read()
            .is_some_and(|l| l.holder == self.tab_id && l.expires_ms > now_ms)
    }

    /// True when another tab holds an unexpired lease (no write).
    pub fn other_leads(&self, now_ms: i64) -> bool {
        self.read()
            .is_some_and(|l| l.holder != self.tab_id && l.expires_ms > now_ms)
    }

    /// This tab's id.
    pub fn tab_id(&self) -> &str {
        &self.tab_id
    }

    /// Says whether this tab has a call on (placed, answered, on hold, not ended): the agent's
    /// other tabs place no second call beside it ([`Leader::call_elsewhere`]).
    pub fn set_on_call(&self, on: bool) {
        let ours = self.store.get(ON_CALL_KEY).as_deref() == Some(self.tab_id.as_str());
        if on && !ours {
            self.store.set(ON_CALL_KEY, &self.tab_id);
        } else if !on && ours {
            self.store.remove(ON_CALL_KEY);
        }
    }

    /// True when another tab that is still alive has a call on (a tab gone with its call leaves
    /// it to the one that takes it over, which says so in turn).
    pub fn call_elsewhere(&self, now_ms: i64) -> bool {
        self.store
            .get(ON_CALL_KEY)
            .is_some_and(|tab| tab != self.tab_id && self.alive(&tab, now_ms))
    }

    /// Says this signed-in tab is alive (leading or not) until `now_ms + LEASE_MS`: another tab
    /// takes its unsent writes over only once it is gone ([`Leader::alive`]).
    pub fn beat(&self, now_ms: i64) {
        let until = (now_ms + LEASE_MS).to_string();
        self.store.set(&alive_key(&self.tab_id), &until);
    }

    /// True when tab `tab_id` said it is alive and that has not expired.
    pub fn alive(&self, tab_id: &str, now_ms: i64) -> bool {
        self.store
            .get(&alive_key(tab_id))
            .and_then(|t| t.parse::<i64>().ok())
            .is_some_and(|until| until > now_ms)
    }

    /// True when another tab said it is alive and that has not expired (one that may be
    /// writing what this tab cannot see).
    pub fn others_alive(&self, now_ms: i64) -> bool {
        self.store.keys().iter().any(|key| {
            key.strip_prefix(ALIVE_PREFIX)
                .is_some_and(|tab| tab != self.tab_id && self.alive(tab, now_ms))
        })
    }

    /// Forgets the word of tabs gone for good (a reload leaves one when its page closed without
    /// saying so): the store does not fill up with them, which matters where it is the
    /// platform's journal and its room is counted. Only what expired long ago is removed, so a
    /// tab's writes are still taken over first.
    pub fn sweep(&self, now_ms: i64) {
        for key in self.store.keys() {
            let Some(tab) = key.strip_prefix(ALIVE_PREFIX) else {
                continue;
            };
            if tab == self.tab_id {
                continue;
            }
            let gone_long = self
                .store
                .get(&key)
                .and_then(|t| t.parse::<i64>().ok())
                .is_none_or(|until| until + 10 * LEASE_MS < now_ms);
            if gone_long {
                self.store.remove(&key);
            }
        }
    }

    /// Gives the lease up (the page is closing), so another tab takes over at once, and says
    /// this tab is gone, so its unsent writes are taken over at once too.
    pub fn release(&self) {
        if self.read().is_some_and(|l| l.holder == self.tab_id) {
            self.store.remove(LEASE_KEY);
        }
        self.store.remove(&alive_key(&self.tab_id));
    }
}

/// True when a change of storage key `key` to nothing says a tab gave the lease up or is gone
/// (see [`Leader::release`]).
pub fn is_departure(key: &str) -> bool {
    key == LEASE_KEY || key.starts_with(ALIVE_PREFIX)
}

fn alive_key(tab_id: &str) -> String {
    format!("{ALIVE_PREFIX}{tab_id}")
}

const ALIVE_PREFIX: &str = "agent-adapter.alive.";

#[cfg(test)]
mod tests {
    #[test]
    fn a_call_on_in_a_live_tab_is_seen_by_the_others() {
        use crate::services::storage::MemoryStore;
        let shared = MemoryStore::default();
        let a = Leader::new(shared.clone(), "a");
        let b = Leader::new(shared.clone(), "b");
        a.beat(0);
        b.beat(0);
        assert!(!b.call_elsewhere(1_000));
        a.set_on_call(true);
        assert!(b.call_elsewhere(1_000), "A's call");
        assert!(!a.call_elsewhere(1_000), "not elsewhere for A");
        // B saying it has none does not clear A's.
        b.set_on_call(false);
        assert!(b.call_elsewhere(1_000));
        a.set_on_call(false);
        assert!(!b.call_elsewhere(1_000), "ended");
        // A tab gone with its call on (its word expired): not a call elsewhere any more.
        a.set_on_call(true);
        assert!(!b.call_elsewhere(LEASE_MS + 1), "A is gone");
        // The tab that took the call over says so in turn.
        b.set_on_call(true);
        assert!(!b.call_elsewhere(LEASE_MS + 1));
        assert!(a.call_elsewhere(1_000), "B's call, seen from A");
    }

    #[test]
    fn the_word_of_tabs_long_gone_is_swept() {
        use crate::services::storage::{MemoryStore, Store};
        let shared = MemoryStore::default();
        let gone = Leader::new(shared.clone(), "gone");
        let recent = Leader::new(shared.clone(), "recent");
        let me = Leader::new(shared.clone(), "me");
        gone.beat(0);
        recent.beat(60_000);
        me.beat(0);
        me.sweep(70_000);
        let keys = shared.keys();
        assert!(
            !keys.contains(&"agent-adapter.alive.gone".to_owned()),
            "{keys:?}"
        );
        assert!(
            keys.contains(&"agent-adapter.alive.recent".to_owned()),
            "{keys:?}"
        );
        assert!(
            keys.contains(&"agent-adapter.alive.me".to_owned()),
            "its own stays"
        );
    }

    #[test]
    fn another_tab_is_alive_until_it_leaves_or_its_word_expires() {
        use crate::services::storage::MemoryStore;
        let shared = MemoryStore::default();
        let me = Leader::new(shared.clone(), "me");
        let other = Leader::new(shared, "other");
        me.beat(0);
        assert!(!me.others_alive(0), "its own word does not count");
        other.beat(0);
        assert!(me.others_alive(LEASE_MS - 1));
        assert!(!me.others_alive(LEASE_MS), "expired");
        other.beat(LEASE_MS);
        other.release();
        assert!(!me.others_alive(LEASE_MS + 1), "gone: its page closed");
    }

    #[test]
    fn a_tab_in_use_takes_the_lease_from_the_leader() {
        use crate::services::storage::MemoryStore;
        let shared = MemoryStore::default();
        let a = Leader::new(shared.clone(), "a");
        let b = Leader::new(shared, "b");
        assert!(a.tick(0));
        assert!(!b.tick(100), "a leads");
        b.take(200);
        assert!(b.is_leader(300));
        assert!(!a.tick(400), "a sees b lead at its next tick");
        assert!(a.other_leads(400));
        a.take(500);
        assert!(a.is_leader(600) && !b.is_leader(600), "and back");
    }

    use super::*;
    use crate::services::storage::MemoryStore;

    // Two tabs share storage; a dial-out reaches both; exactly one handles it.
    #[test]
    fn only_one_of_two_tabs_handles_a_dialout() {
        let shared = MemoryStore::default();
        let a = Leader::new(shared.clone(), "tab-a");
        let b = Leader::new(shared.clone(), "tab-b");
        let mut now = 1_000;
        assert!(a.tick(now));
        assert!(!b.tick(now));
        let mut handled = 0;
        for _ in 0..10 {
            now += RENEW_EVERY_MS;
            let (la, lb) = (a.tick(now), b.tick(now));
            // The dial-out event arrives in both tabs.
            handled += usize::from(la) + usize::from(lb);
            assert!(la ^ lb, "exactly one leader at {now}");
        }
        assert_eq!(handled, 10);
        assert!(a.is_leader(now) && !b.is_leader(now));
    }

    // Storage refused (third-party storage blocked): the tab still handles its dial-outs.
    #[test]
    fn leads_when_storage_is_unavailable() {
        struct Refusing;
        impl Store for Refusing {
            fn get(&self, _: &str) -> Option<String> {
                None
            }
            fn set(&self, _: &str, _: &str) {}
            fn remove(&self, _: &str) {}
        }
        assert!(Leader::new(Refusing, "tab-a").tick(0));
    }

    #[test]
    fn a_tab_sees_another_lead_without_taking_the_lease() {
        let store = MemoryStore::default();
        let (a, b) = (Leader::new(store.clone(), "a"), Leader::new(store, "b"));
        assert!(!b.other_leads(0), "nobody leads yet");
        assert!(a.tick(0));
        assert!(b.other_leads(1_000) && !a.other_leads(1_000));
        assert!(!b.is_leader(1_000), "looking did not take it");
        assert!(!b.other_leads(LEASE_MS + 1), "expired");
    }

    #[test]
    fn a_tab_is_alive_while_it_beats_and_gone_once_released() {
        let store = MemoryStore::default();
        let (a, b) = (Leader::new(store.clone(), "a"), Leader::new(store, "b"));
        assert!(!b.alive("a", 0), "never said");
        a.beat(0);
        assert!(b.alive("a", LEASE_MS - 1));
        assert!(!b.alive("a", LEASE_MS + 1), "stopped beating");
        a.beat(LEASE_MS);
        a.release();
        assert!(!b.alive("a", LEASE_MS + 1), "released at once");
    }

    // The leading tab closes: the other takes over when the lease expires, or at once if it
    // was released.
    #[test]
    fn takeover_after_expiry_or_release() {
        let shared = MemoryStore::default();
        let a = Leader::new(shared.clone(), "tab-a");
        let b = Leader::new(shared.clone(), "tab-b");
        assert!(a.tick(0));
        assert!(!b.tick(LEASE_MS - 1));
        assert!(b.tick(LEASE_MS + 1), "a stopped renewing: b takes over");
        assert!(!a.tick(LEASE_MS + 2), "a came back: b keeps the lease");
        b.release();
        assert!(a.tick(LEASE_MS + 3), "released: a takes over at once");
    }
}
