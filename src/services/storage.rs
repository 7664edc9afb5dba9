//! Key-value storage for state that must survive a reload (the outbox, the tab lease).
//!
//! Only operation data is stored: never a token, a password or any other secret.

use std::{cell::RefCell, collections::BTreeMap, rc::Rc};

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
