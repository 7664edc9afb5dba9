//! Browser tests share one page and the runner may interleave async tests; tests that touch
//! page-wide state (the URL, window listeners, the fake host) take this lock first.

use futures::lock::{Mutex, OwnedMutexGuard};
use std::sync::Arc;

thread_local! {
    static LOCK: Arc<Mutex<()>> = Arc::new(Mutex::new(()));
}

/// Waits until no other test holds the page; the page is held until the guard drops.
pub async fn serial() -> OwnedMutexGuard<()> {
    LOCK.with(Arc::clone).lock_owned().await
}
