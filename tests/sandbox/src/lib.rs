//! The sandbox: a local Zendesk (agent workspace + REST API) and contact-centre platform in one
//! server, so that the adapter can be tried and tested end to end with no account (DESIGN.md §5.3).
//!
//! - `/` the emulated agent workspace (`static/`), the host side of the ZAF protocol;
//! - `/app/…` the built adapter (`--app-dir`), its `index.html` rewritten to load the ZAF SDK from
//!   `/vendor/zaf_sdk.js` instead of Zendesk's CDN; open it from `http://localhost:PORT` while the
//!   workspace is on `http://127.0.0.1:PORT`, so that the app runs on another origin, as in Zendesk;
//! - `/api/v2/…` the Zendesk REST emulator ([`zendesk`]);
//! - `/platform/…` the platform ([`platform`], [`queue`]);
//! - `/portal/…` the platform's portal, its administrators' settings pages ([`portal`]);
//! - `/_sandbox/…` the control API ([`control`]);
//! - `/_sandbox/zcli` the app served by `zcli apps:server` when the sandbox was started with
//!   `--zcli URL` ([`zcli`]; JSON `null` otherwise): the workspace then frames it from zcli's URLs.
//!
//! The server binds 127.0.0.1 only.

pub mod control;
pub mod directory;
pub mod fixtures;
pub mod journal;
pub mod model;
pub mod platform;
pub mod portal;
pub mod queue;
pub mod state;
pub mod testkit;
pub mod zcli;
pub mod zendesk;

use std::net::SocketAddr;
use std::path::{Path as FsPath, PathBuf};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use serde_json::Value;

pub use state::{App, Config};

/// The installation guid the workspace gives the app (`app_guid`).
pub const APP_GUID: &str = "5a9d1e0c-7b3f-4c2a-9e61-0sandbox0001";

/// Zendesk's CDN URLs of the ZAF SDK, rewritten to [`ZAF_LOCAL`] when the app is served.
pub const ZAF_CDN: [&str; 2] = [
    "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js",
    "https://assets.zendesk.com/apps/sdk/2.0/zaf_sdk.js",
];

/// Where the sandbox serves the bundled SDK.
pub const ZAF_LOCAL: &str = "/vendor/zaf_sdk.js";

const HOST_HTML: &str = include_str!("../static/index.html");
const HOST_JS: &str = include_str!("../static/host.js");
const HOST_CSS: &str = include_str!("../static/host.css");
const BACKGROUND_HTML: &str = include_str!("../static/background.html");
const ICON_SVG: &str = include_str!("../static/icon.svg");

/// Whether the built app has its own background location page.
pub fn background_page_exists(app_dir: &FsPath) -> bool {
    app_dir.join("background.html").is_file()
}

/// The whole server, framing the app from `/app/`.
pub fn router(app: App) -> Router {
    router_with(app, None)
}

/// The whole server; with `zcli`, the workspace frames the app that zcli serves.
pub fn router_with(app: App, zcli: Option<zcli::ZcliApp>) -> Router {
    let zcli = zcli.map_or(Value::Null, |z| z.to_json());
    Router::new()
        .route("/", get(|| async { html(HOST_HTML.to_string()) }))
        .route(
            "/host.js",
            get(|| async { typed("text/javascript", HOST_JS) }),
        )
        .route("/host.css", get(|| async { typed("text/css", HOST_CSS) }))
        .route("/icon.svg", get(icon))
        .route(ZAF_LOCAL, get(zaf_sdk))
        .route(
            "/app",
            get(|| async { axum::response::Redirect::permanent("/app/") }),
        )
        .route("/app/", get(app_index))
        .route("/app/{*path}", get(app_file))
        .route("/api/v2/{*path}", any(api))
        .nest("/platform", platform::routes())
        .merge(portal::routes())
        .nest("/_sandbox", control::routes())
        .route(
            "/_sandbox/zcli",
            get(move || {
                let zcli = zcli.clone();
                async move { axum::Json(zcli) }
            }),
        )
        .layer(middleware::from_fn_with_state(app.clone(), edge))
        .with_state(app)
}

/// CORS for the platform (the app runs on another origin when `platform_url` points elsewhere)
/// and faults on `/platform` paths (the Zendesk API applies its own, in [`zendesk::handle`]).
async fn edge(State(app): State<App>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let platform = path.starts_with("/platform");
    if platform && req.method() == Method::OPTIONS {
        return cors(StatusCode::NO_CONTENT.into_response());
    }
    let mut answer_latency_ms = 0;
    if platform {
        // Matched with the query, as Zendesk paths are: a fault can single out one read of a
        // path the adapter also reads otherwise (`/platform/calls?since=`, the history).
        let target = req
            .uri()
            .path_and_query()
            .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
        let fault = app.world().fault_for(req.method().as_str(), &target);
        answer_latency_ms = fault.answer_latency_ms;
        if fault.latency_ms > 0 {
            let generation = app.generation();
            tokio::time::sleep(std::time::Duration::from_millis(fault.latency_ms)).await;
            if app.generation() != generation {
                // Received by the world before a reset: it acts on nothing in the new one.
                let gone = (
                    StatusCode::SERVICE_UNAVAILABLE,
                    axum::Json(serde_json::json!({"error": "the sandbox was reset"})),
                );
                return cors(gone.into_response());
            }
        }
        if let Some((status, retry_after)) = fault.status {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = (
                code,
                axum::Json(serde_json::json!({"error": "injected fault"})),
            )
                .into_response();
            if let Some(s) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
                r.headers_mut().insert(header::RETRY_AFTER, s);
            }
            return cors(r);
        }
    }
    let r = next.run(req).await;
    if platform {
        // Applied, then answered late: what the platform read is older than its answer.
        if answer_latency_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(answer_latency_ms)).await;
        }
        cors(r)
    } else {
        r
    }
}

fn cors(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
    );
    r
}

fn html(body: String) -> Response {
    typed("text/html; charset=utf-8", body)
}

fn typed(content_type: &'static str, body: impl Into<Body>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.into(),
    )
        .into_response()
}

async fn icon() -> Response {
    // The app package's own top-bar icon when run from the repository root.
    let svg = std::fs::read_to_string("zendesk-app/assets/icon_top_bar.svg")
        .unwrap_or_else(|_| ICON_SVG.to_string());
    typed("image/svg+xml", svg)
}

async fn zaf_sdk(State(app): State<App>) -> Response {
    match std::fs::read(&app.config().zaf_sdk) {
        Ok(js) => typed("text/javascript", js),
        Err(_) => (
            StatusCode::NOT_FOUND,
            format!(
                "ZAF SDK bundle not found at {}: run scripts/setup.sh",
                app.config().zaf_sdk.display()
            ),
        )
            .into_response(),
    }
}

async fn app_index(State(app): State<App>) -> Response {
    serve_app_file(&app, "index.html")
}

async fn app_file(State(app): State<App>, Path(path): Path<String>) -> Response {
    serve_app_file(&app, &path)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// The file `path` (already percent-decoded) names inside `app_dir`, or None when it could
/// name anything else: an absolute path (`/app/%2Fetc%2Fpasswd`), a `..` or hidden segment
/// (`/app/..%2f..%2fCargo.toml`), a backslash or NUL, or a link that resolves outside.
pub fn inside_app_dir(app_dir: &FsPath, path: &str) -> Option<PathBuf> {
    if path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return None;
    }
    if path
        .split('/')
        .any(|s| s.is_empty() || s == ".." || s.starts_with('.'))
    {
        return None;
    }
    let file = app_dir.join(path);
    match (file.canonicalize(), app_dir.canonicalize()) {
        (Ok(real), Ok(root)) if real.starts_with(&root) => Some(real),
        // Not there: reading it fails with a 404 (the file is inside by construction).
        (Err(_), _) => Some(file),
        _ => None,
    }
}

fn serve_app_file(app: &App, path: &str) -> Response {
    let path = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    let Some(file) = inside_app_dir(&app.config().app_dir, &path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match std::fs::read(&file) {
        Ok(bytes) if path.ends_with(".html") => {
            let mut text = String::from_utf8_lossy(&bytes).into_owned();
            for cdn in ZAF_CDN {
                text = text.replace(cdn, ZAF_LOCAL);
            }
            html(text)
        }
        Ok(bytes) => typed(content_type(&path), bytes),
        Err(_) if path == "background.html" => html(BACKGROUND_HTML.to_string()),
        Err(_) => (
            StatusCode::NOT_FOUND,
            format!(
                "{} not found (build the app: trunk build --release)",
                file.display()
            ),
        )
            .into_response(),
    }
}

/// The value of cookie `name`, if sent.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// `/api/v2/*`: decode, hand to [`zendesk::handle`], encode.
async fn api(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_start_matches("/api/v2/").to_string();
    // A body that is not JSON still reaches the emulator, which answers it as Zendesk does and
    // logs it like any request.
    let (body_json, unparsed_body) = if body.is_empty() {
        (Value::Null, None)
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => (v, None),
            Err(_) => (
                Value::Null,
                Some(String::from_utf8_lossy(&body).into_owned()),
            ),
        }
    };
    // Who is calling: an API token, or the workspace's agent session (its cookie).
    let credential = zendesk::Credential::Http {
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(String::from),
        session: cookie(&headers, zendesk::SESSION_COOKIE),
    };
    let idempotency_key = headers
        .get(zendesk::IDEMPOTENCY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(String::from);
    let r = zendesk::handle(
        &app,
        zendesk::ApiRequest {
            method: method.to_string(),
            path,
            query: uri.query().unwrap_or("").to_string(),
            body: body_json,
            unparsed_body,
            source: "app",
            actor: None,
            credential,
            idempotency_key,
        },
    )
    .await;
    let code = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match r.body {
        Some(b) => (code, axum::Json(b)).into_response(),
        None => code.into_response(),
    };
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (
            header::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

/// Starts the server on 127.0.0.1:`config.port` (0 = any free port) and the CRM queue worker;
/// returns the address bound. The server runs until the runtime stops.
pub async fn start(config: Config) -> Result<SocketAddr, String> {
    start_with(config, None).await
}

/// [`start`], with the app served by `zcli apps:server` when `zcli` is given.
pub async fn start_with(config: Config, zcli: Option<zcli::ZcliApp>) -> Result<SocketAddr, String> {
    launch(config, zcli).await.map(|(addr, _)| addr)
}

/// [`start_with`], also handing back the sandbox itself (tests subscribe to its agent events).
pub async fn launch(
    mut config: Config,
    zcli: Option<zcli::ZcliApp>,
) -> Result<(SocketAddr, App), String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
        .await
        .map_err(|e| format!("127.0.0.1:{}: {e}", config.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    config.port = addr.port();
    let app = App::new(config)?;
    tokio::spawn(queue::run(app.clone()));
    let router = router_with(app.clone(), zcli);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok((addr, app))
}
