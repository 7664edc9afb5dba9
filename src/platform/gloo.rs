//! The browser side of the platform client: HTTP with gloo-net, and the event stream over a
//! WebSocket that reconnects with backoff.

use super::PlatformEvent;
use crate::http::{HttpRequest, HttpResponse, Method, Transport, OUTLIVING_BODY_MAX};
use futures::StreamExt;
use gloo_net::{
    http::RequestBuilder,
    websocket::{futures::WebSocket, Message},
};
use std::{cell::Cell, rc::Rc};

/// HTTP to the platform at `base_url` (the app setting `platform_url`).
#[derive(Clone)]
pub struct GlooTransport {
    base_url: String,
}

impl GlooTransport {
    /// A transport to `base_url` (no trailing slash needed).
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

/// Sends `request` to `url` with the browser's `keepalive`, so that it goes on after the page
/// is gone; answers its status when the page is still there to read it.
async fn send_outliving(
    url: &str,
    method: &crate::http::Method,
    headers: &[(String, String)],
    body: Option<String>,
) -> Result<HttpResponse, String> {
    use wasm_bindgen::JsValue;
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method(method.as_str());
    let all = js_sys::Object::new();
    let set = |name: &str, value: &str| {
        let _ = js_sys::Reflect::set(&all, &JsValue::from_str(name), &JsValue::from_str(value));
    };
    for (name, value) in headers {
        set(name, value);
    }
    if let Some(body) = body {
        set("Content-Type", "application/json");
        init.set_body(&JsValue::from_str(&body));
    }
    let headers = all;
    init.set_headers(&headers);
    let _ = js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    let answer = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| format!("{e:?}"))?;
    let status = js_sys::Reflect::get(&answer, &JsValue::from_str("status"))
        .ok()
        .and_then(|s| s.as_f64())
        .unwrap_or_default() as u16;
    Ok(HttpResponse {
        status,
        ..HttpResponse::default()
    })
}

impl Transport for GlooTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        let url = format!("{}{}", self.base_url, request.url);
        if request.outlives_page {
            // Over the browser's limit, an ordinary request (the page's end may cut it short).
            let body = request.body.as_ref().map(|b| b.to_string());
            if body.as_ref().map_or(0, String::len) <= OUTLIVING_BODY_MAX {
                return send_outliving(&url, &request.method, &request.headers, body).await;
            }
        }
        let mut builder = match request.method {
            Method::Get => RequestBuilder::new(&url).method(gloo_net::http::Method::GET),
            Method::Post => RequestBuilder::new(&url).method(gloo_net::http::Method::POST),
            Method::Put => RequestBuilder::new(&url).method(gloo_net::http::Method::PUT),
            Method::Patch => RequestBuilder::new(&url).method(gloo_net::http::Method::PATCH),
            Method::Delete => RequestBuilder::new(&url).method(gloo_net::http::Method::DELETE),
        };
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if request.method == Method::Get || request.url == super::SIGN_IN_PATH {
            // The browser gives the read up (the answer's body too) after the time.
            let late = web_sys::AbortSignal::timeout_with_u32(READ_TIMEOUT_MS);
            builder = builder.abort_signal(Some(&late));
        }
        let sent = match &request.body {
            Some(body) => builder.json(body).map_err(|e| e.to_string())?.send().await,
            None => builder.send().await,
        };
        let response = sent.map_err(|e| e.to_string())?;
        let headers = response
            .headers()
            .entries()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        let status = response.status();
        // A body cut short (the read given up, the link gone) is no answer, not an empty one.
        let body = response.text().await.map_err(|e| e.to_string())?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// How long a read (GET) of the platform, or a sign-in (or sign-out), is waited for before it counts as
/// unanswered ([`super::PlatformError::Unreachable`]): a link that stalls without failing (a
/// VPN, a proxy) would otherwise hold what waits on it (Sign in, a dial screen's settings) for
/// minutes. Reads are safe to give up, and so is a sign-in (a session nobody uses is left);
/// other writes are waited for (given up, they may still have been done: a call placed, a
/// resume credential used).
pub const READ_TIMEOUT_MS: u32 = 20_000;

/// The live event stream; dropping it closes the socket and stops reconnecting.
#[must_use = "dropping the stream closes it"]
pub struct EventStream {
    open: Rc<Cell<bool>>,
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.open.set(false);
    }
}

/// The longest wait between reconnection attempts.
const MAX_BACKOFF_MS: u32 = 30_000;

/// Whether a connection of the stream is up, and what said so.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Up {
    No,
    ByTimer,
    ByHello,
}

/// How long the stream waits for the platform's `session.ready` after authenticating before it
/// counts as up anyway (the reads that catch up are then made without the platform's word).
const READY_WAIT_MS: u32 = 5_000;

impl EventStream {
    /// Connects to `GET {base}/agent/events`, authenticates with the token as the first message
    /// (a URL would expose it), and calls `on_event` for each event; reconnects with backoff
    /// (1 s, doubling to 30 s) after a drop, but not after the platform refused the token
    /// ([`PlatformEvent::Refused`]: the session is over). `on_status` hears whether it is up:
    /// up from the platform's [`PlatformEvent::Ready`] on (the platform sends the agent's
    /// events from then), not from the socket's opening; or [`READY_WAIT_MS`] after the
    /// authentication without it (a platform that says nothing first), so the page still
    /// catches up (and once more when a late hello comes).
    pub fn connect(
        base_url: &str,
        token: String,
        on_event: impl Fn(PlatformEvent) + 'static,
        on_status: impl Fn(bool) + 'static,
    ) -> Self {
        let on_status = Rc::new(on_status);
        let open = Rc::new(Cell::new(true));
        let url = format!("{}/agent/events", base_url.replacen("http", "ws", 1));
        let running = open.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let mut backoff = 1_000;
            while running.get() {
                if let Ok(socket) = WebSocket::open(&url) {
                    let (mut write, mut read) = socket.split();
                    use futures::SinkExt;
                    let auth = serde_json::json!({"type": "auth", "token": token}).to_string();
                    if write.send(Message::Text(auth)).await.is_ok() {
                        // This connection's: up (said by the platform's hello, or by the
                        // timer without it), and still open.
                        let up = Rc::new(Cell::new(Up::No));
                        let live = Rc::new(Cell::new(true));
                        {
                            let (up, live, on_status) =
                                (up.clone(), live.clone(), on_status.clone());
                            let running = running.clone();
                            wasm_bindgen_futures::spawn_local(async move {
                                gloo_timers_sleep(READY_WAIT_MS).await;
                                if live.get() && running.get() && up.get() == Up::No {
                                    up.set(Up::ByTimer);
                                    on_status(true);
                                }
                            });
                        }
                        while let Some(Ok(message)) = read.next().await {
                            if !running.get() {
                                return;
                            }
                            backoff = 1_000;
                            if let Message::Text(text) = message {
                                if let Ok(event) = PlatformEvent::from_json(&text) {
                                    // Up once the platform says it is ready: it sends the
                                    // agent's events from then on, so what the page reads to
                                    // catch up (on `on_status(true)`) is read after that, and
                                    // nothing sent in between is missed both ways.
                                    // A hello later than the timer: caught up again, as
                                    // events may have been missed before it.
                                    if matches!(event, PlatformEvent::Ready)
                                        && up.replace(Up::ByHello) != Up::ByHello
                                    {
                                        on_status(true);
                                    }
                                    // A refused token stays refused: no reconnecting with it.
                                    let refused = matches!(event, PlatformEvent::Refused { .. });
                                    on_event(event);
                                    if refused {
                                        live.set(false);
                                        running.set(false);
                                        on_status(false);
                                        return;
                                    }
                                }
                            }
                        }
                        live.set(false);
                    }
                    on_status(false);
                }
                if !running.get() {
                    return;
                }
                gloo_timers_sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF_MS);
            }
        });
        Self { open }
    }
}

async fn gloo_timers_sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ =
                window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
