//! A minimal HTTP/1.1 client (one request per connection) for the sandbox's own tests and
//! benchmarks, so they need no HTTP client crate.

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A response: status, headers and body text.
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The headers, as sent.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub text: String,
}

impl Response {
    /// The body as JSON (`null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request (JSON body, optional bearer token) and reads the whole answer.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> Response {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| ("Authorization", a))
        .into_iter()
        .collect();
    http_with_headers(addr, method, path, body, &headers).await
}

/// [`http`], answering the status and the JSON answer.
pub async fn http_json(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (u16, Value) {
    let r = http(addr, method, path, body, token).await;
    (r.status, r.json())
}

/// [`start`] on the default fixture, where the customer answers only when told.
pub async fn start_quiet() -> SocketAddr {
    let addr = start("default").await;
    let (status, _) = http_json(
        addr,
        "PUT",
        "/_sandbox/settings",
        Some(serde_json::json!({"auto_answer_ms": null})),
        None,
    )
    .await;
    assert_eq!(status, 200);
    addr
}

/// Signs agent `email` in to the platform (the fixture's password); the token and the agent.
pub async fn sign_in_agent(addr: SocketAddr, email: &str) -> (String, Value) {
    let (status, v) = http_json(
        addr,
        "POST",
        "/platform/agent/session",
        Some(serde_json::json!({"email": email, "password": crate::fixtures::AGENT_PASSWORD})),
        None,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    (
        v["token"].as_str().unwrap_or_default().to_string(),
        v["agent"].clone(),
    )
}

/// `POST /platform/calls/{id}/{action}` as the agent with `token`: the status and the answer.
pub async fn call_action(
    addr: SocketAddr,
    token: &str,
    id: u64,
    action: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let path = format!("/platform/calls/{id}/{action}");
    http_json(addr, "POST", &path, body, Some(token)).await
}

/// Ticket `id` as `/_sandbox/state` shows it (panics when there is none).
pub fn ticket_in(state: &Value, id: u64) -> Value {
    state["tickets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("ticket {id}"))
}

/// The email the tests' API token calls act as: the fixture's first agent, its default CRM user.
pub const API_EMAIL: &str = "ada@sandbox.test";

/// `Authorization` for the account's API token acting as `email` (Zendesk: Basic
/// `{email}/token:{token}`).
pub fn api_token_auth(email: &str) -> String {
    crate::zendesk::token_authorization(email, crate::zendesk::API_TOKEN)
}

/// Sends one request (JSON body) with extra headers (name, value) and reads the whole answer.
/// A `/api/v2` request without an `Authorization` header gets the API token's, as
/// [`API_EMAIL`] ([`http_anonymous`] sends none).
pub async fn http_with_headers(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Response {
    let auth = api_token_auth(API_EMAIL);
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    if path.starts_with("/api/v2")
        && !all
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    {
        all.push(("Authorization", auth.as_str()));
    }
    send(addr, method, path, body.map(|b| b.to_string()), &all).await
}

/// Sends one request whose body is `text` as it is (JSON or not), with the API token's
/// credentials, and reads the whole answer.
pub async fn http_text(addr: SocketAddr, method: &str, path: &str, text: &str) -> Response {
    let auth = api_token_auth(API_EMAIL);
    send(
        addr,
        method,
        path,
        Some(text.to_string()),
        &[("Authorization", auth.as_str())],
    )
    .await
}

/// Sends one request with exactly these headers: no credentials unless given.
pub async fn http_anonymous(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Response {
    send(addr, method, path, body.map(|b| b.to_string()), headers).await
}

/// Encodes `pairs` as a form body (`application/x-www-form-urlencoded`).
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                b => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Posts the form `pairs` to `path` as a browser does, with `cookie` (`name=value`) if given.
pub async fn form_post(
    addr: SocketAddr,
    path: &str,
    pairs: &[(&str, &str)],
    cookie: Option<&str>,
) -> Response {
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("Cookie", c)).into_iter().collect();
    send_typed(
        addr,
        "POST",
        path,
        Some(form_body(pairs)),
        "application/x-www-form-urlencoded",
        &headers,
    )
    .await
}

/// `GET path` as a browser does, with `cookie` (`name=value`) if given.
pub async fn get_page(addr: SocketAddr, path: &str, cookie: Option<&str>) -> Response {
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("Cookie", c)).into_iter().collect();
    send_typed(addr, "GET", path, None, "text/plain", &headers).await
}

/// The cookie `name=value` that `r` sets (its `Set-Cookie` header), if any.
pub fn set_cookie(r: &Response, name: &str) -> Option<String> {
    r.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.split(';').next())
        .find(|kv| kv.trim().starts_with(&format!("{name}=")))
        .map(|kv| kv.trim().to_owned())
}

async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<String>,
    headers: &[(&str, &str)],
) -> Response {
    send_typed(addr, method, path, body, "application/json", headers).await
}

async fn send_typed(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<String>,
    content_type: &str,
    headers: &[(&str, &str)],
) -> Response {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let body = body.unwrap_or_default();
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: {content_type}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = raw.split_once("\r\n\r\n").expect("head");
    let mut lines = head.lines();
    let status = lines
        .next()
        .expect("status line")
        .split(' ')
        .nth(1)
        .expect("code")
        .parse()
        .expect("u16");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let text = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Response {
        status,
        headers,
        text,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// A sandbox on a free port with fixture `fixture`, the default rate limit and no app, queue
/// file or SDK: what the tests of the APIs need.
pub async fn start(fixture: &str) -> std::net::SocketAddr {
    start_app(fixture).await.0
}

/// [`start`], also handing back the sandbox (to subscribe to its agent events).
pub async fn start_app(fixture: &str) -> (std::net::SocketAddr, crate::App) {
    crate::launch(
        crate::state::Config {
            fixture: fixture.into(),
            app_dir: std::env::temp_dir(),
            rate_limit: crate::state::DEFAULT_RATE_LIMIT,
            queue_file: None,
            zaf_sdk: std::path::PathBuf::from("/nonexistent"),
            port: 0,
            timing: Default::default(),
        },
        None,
    )
    .await
    .expect("the sandbox starts")
}

/// `GET /_sandbox/state`.
pub async fn state(addr: std::net::SocketAddr) -> Value {
    http(addr, "GET", "/_sandbox/state", None, None)
        .await
        .json()
}

/// The Zendesk requests `source` (`app` or `platform`) made, in order, as `METHOD path status`.
pub async fn requests_from(addr: std::net::SocketAddr, source: &str) -> Vec<String> {
    let v = http(addr, "GET", "/_sandbox/requests", None, None)
        .await
        .json();
    v["requests"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|r| r["source"] == source)
                .map(|r| {
                    format!(
                        "{} {} {}",
                        r["method"].as_str().unwrap_or(""),
                        r["path"].as_str().unwrap_or(""),
                        r["status"]
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The first end-user's id and the first agent's Zendesk user id of the fixture.
pub async fn caller_and_agent(addr: std::net::SocketAddr) -> (u64, u64) {
    let s = state(addr).await;
    let agent = s["agents"][0]["zendesk_user_id"].as_u64().unwrap();
    let caller = s["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["role"] == "end-user")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    (caller, agent)
}
