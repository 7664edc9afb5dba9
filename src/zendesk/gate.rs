//! One pause for the page's reads after a 429: Zendesk's limit is the account's, so once any
//! request (a lookup, a write of the outbox) hears "wait N seconds", no lookup goes out before
//! then. A read made during the pause is answered here, as Zendesk would answer it (429 with the
//! seconds left), without spending the account's budget. Writes pass: the outbox keeps its own
//! per-job pause and order (its jobs wait for their Retry-After themselves).

use super::{error::DEFAULT_RETRY_AFTER_S, Transport};
use crate::http::{HttpRequest, HttpResponse};
use std::{cell::Cell, rc::Rc};

/// A transport that holds every request while the account is rate limited.
#[derive(Clone)]
pub struct Gated<T> {
    inner: T,
    until_ms: Rc<Cell<i64>>,
    clock: fn() -> i64,
}

impl<T> Gated<T> {
    /// Wraps `inner`; `clock` gives unix milliseconds.
    pub fn new(inner: T, clock: fn() -> i64) -> Self {
        Self {
            inner,
            until_ms: Rc::new(Cell::new(0)),
            clock,
        }
    }

    /// When the pause ends (unix ms); in the past when there is none.
    pub fn paused_until_ms(&self) -> i64 {
        self.until_ms.get()
    }
}

impl<T: Transport> Transport for Gated<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        let now = (self.clock)();
        let until = self.until_ms.get();
        if now < until && !request.method.is_write() {
            let seconds = ((until - now) + 999) / 1000;
            return Ok(HttpResponse {
                status: 429,
                headers: vec![("retry-after".into(), seconds.max(1).to_string())],
                body: "{}".into(),
            });
        }
        let response = self.inner.send(request).await?;
        if response.status == 429 {
            let seconds = response
                .retry_after_s()
                .map_or(DEFAULT_RETRY_AFTER_S as i64, |s| s as i64);
            let at = (self.clock)() + seconds.max(1) * 1000;
            if at > self.until_ms.get() {
                self.until_ms.set(at);
            }
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;
    use std::cell::RefCell;

    thread_local! {
        static NOW: Cell<i64> = const { Cell::new(1_000_000) };
    }
    fn now() -> i64 {
        NOW.with(Cell::get)
    }
    fn advance(ms: i64) {
        NOW.with(|n| n.set(n.get() + ms));
    }

    /// Answers the statuses given, in order, and counts the requests that reached it.
    struct Script(RefCell<Vec<(u16, Option<&'static str>)>>, Cell<usize>);
    impl Transport for Script {
        async fn send(&self, _: HttpRequest) -> Result<HttpResponse, String> {
            self.1.set(self.1.get() + 1);
            let (status, retry) = self.0.borrow_mut().remove(0);
            Ok(HttpResponse {
                status,
                headers: retry
                    .map(|r| vec![("retry-after".to_owned(), r.to_owned())])
                    .unwrap_or_default(),
                body: "{}".into(),
            })
        }
    }

    fn get() -> HttpRequest {
        HttpRequest::new(Method::Get, "/api/v2/search.json")
    }

    // Item 3 ("An agent's first hour"): a 429 pauses every later read until Retry-After; the
    // reads made meanwhile never reach Zendesk. Writes go through to the outbox's own handling.
    #[test]
    fn a_429_holds_every_read_until_retry_after() {
        let inner = Script(
            RefCell::new(vec![(429, Some("30")), (429, Some("30")), (200, None)]),
            Cell::new(0),
        );
        let gate = Gated::new(inner, now);
        let block = futures::executor::block_on;
        assert_eq!(block(gate.send(get())).unwrap().status, 429);
        // A write is sent (and its own 429 heard).
        let put = HttpRequest::new(Method::Put, "/api/v2/tickets/1.json");
        assert_eq!(block(gate.send(put)).unwrap().status, 429);
        assert_eq!(gate.inner.1.get(), 2);
        for _ in 0..50 {
            advance(500);
            let r = block(gate.send(get()));
            let r = r.unwrap();
            if now() < 1_000_000 + 30_000 {
                assert_eq!(r.status, 429);
                let left: i64 = r.header("retry-after").unwrap().parse().unwrap();
                assert!((1..=30).contains(&left), "{left}");
            }
        }
        // 25 s passed: 10 more seconds of pause, then one request goes through.
        assert_eq!(gate.inner.1.get(), 2, "no read sent during the pause");
        advance(10_000);
        assert_eq!(block(gate.send(get())).unwrap().status, 200);
        assert_eq!(gate.inner.1.get(), 3);
    }

    // A 429 without Retry-After pauses for Zendesk's one-minute window; other statuses none.
    #[test]
    fn no_retry_after_means_a_minute_and_5xx_means_no_pause() {
        let inner = Script(
            RefCell::new(vec![(503, None), (503, None), (429, None), (200, None)]),
            Cell::new(0),
        );
        let gate = Gated::new(inner, now);
        let block = futures::executor::block_on;
        assert_eq!(block(gate.send(get())).unwrap().status, 503);
        assert_eq!(block(gate.send(get())).unwrap().status, 503);
        assert_eq!(gate.inner.1.get(), 2, "5xx does not pause");
        block(gate.send(get())).unwrap();
        assert_eq!(
            gate.paused_until_ms() - now(),
            DEFAULT_RETRY_AFTER_S as i64 * 1000
        );
        advance(59_000);
        assert_eq!(block(gate.send(get())).unwrap().status, 429);
        assert_eq!(gate.inner.1.get(), 3);
        advance(1_000);
        assert_eq!(block(gate.send(get())).unwrap().status, 200);
    }
}
