//! The platform's portal (`/portal`): the administrators' settings pages, server-rendered HTML.
//!
//! - `GET /portal` the sign-in form (signed in: 303 to `/portal/operation`);
//!   `POST /portal/sign-in` (form `email`, `password`): an administrator gets the HttpOnly,
//!   SameSite=Strict cookie [`COOKIE`] and a 303 to `/portal/operation`; an agent's credentials
//!   are refused with 403 (BATCH-6: only administrators change settings), wrong ones with 401.
//!   `POST /portal/sign-out` ends the session. Every other `/portal/…` page without an
//!   administrator's session is a 303 to `/portal`.
//! - `GET|POST /portal/operation` Operation Management ([`operation`]), `/portal/developer`
//!   Developer Settings ([`developer`]), `/portal/teams` Users & Teams and `/portal/queue` the
//!   IVR queues ([`teams`]), `GET /portal/crm-fields` and `POST /portal/crm-fields/create` the
//!   SDK session ticket fields ([`crm_fields`]).
//!
//! A save builds the new settings from the saved ones and the form, then asks the domain what the
//! portal refuses ([`domain::settings::Settings::problems`], [`domain::settings::Team::validate`]):
//! any problem is a 422 page that names each field, and nothing is saved. A save that passes
//! stores everything at once and tells every signed-in agent (`settings.changed`).

mod crm_fields;
mod developer;
mod form;
mod html;
mod operation;
mod teams;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;

use crate::model::Admin;
use crate::state::App;

pub use crm_fields::NO_TOKEN;
pub use developer::TOKEN_REFUSED;
pub use html::html_escape;
pub use operation::{LOCKED_BY_DO_NOT_APPEND, NEEDS_PROMPT, SET8_WARNING};
pub use teams::{NEEDS_ENABLED, NO_OUTBOUND_NUMBER};

/// The cookie of an administrator's portal session.
pub const COOKIE: &str = "portal_session";

/// What an agent's credentials get: the portal is for administrators (BATCH-6).
pub const AGENT_REFUSED: &str = "This account is an agent's. The portal is for administrators: \
sign in with an administrator's account.";

/// What wrong credentials get.
pub const WRONG_CREDENTIALS: &str = "The email or the password is wrong.";

/// The portal's routes, to merge at the root.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/portal", get(sign_in_page))
        .route("/portal/sign-in", post(sign_in))
        .route("/portal/sign-out", post(sign_out))
        .route(
            "/portal/operation",
            get(operation::show).post(operation::save),
        )
        .route(
            "/portal/developer",
            get(developer::show).post(developer::save),
        )
        .route(
            "/portal/teams",
            get(teams::show_teams).post(teams::save_teams),
        )
        .route(
            "/portal/queue",
            get(teams::show_queues).post(teams::save_queues),
        )
        .route("/portal/crm-fields", get(crm_fields::show))
        .route("/portal/crm-fields/create", post(crm_fields::create))
        .route(html::SCRIPT_PATH, get(script))
        .route("/portal/{*rest}", any(unknown))
}

/// The portal's pages, in the order of its navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Page {
    /// Settings > Operation Management.
    Operation,
    /// Settings > Developer Settings.
    Developer,
    /// Settings > Users & Teams.
    Teams,
    /// Settings > Queue.
    Queue,
    /// The SDK session ticket fields ("Create").
    CrmFields,
}

impl Page {
    /// Every page, in navigation order.
    pub(crate) const ALL: [Page; 5] = [
        Page::Operation,
        Page::Developer,
        Page::Teams,
        Page::Queue,
        Page::CrmFields,
    ];

    /// Where the page is.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Page::Operation => "/portal/operation",
            Page::Developer => "/portal/developer",
            Page::Teams => "/portal/teams",
            Page::Queue => "/portal/queue",
            Page::CrmFields => "/portal/crm-fields",
        }
    }

    /// Its title, in the navigation and its `<h1>`.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Page::Operation => "Operation Management",
            Page::Developer => "Developer Settings",
            Page::Teams => "Users & Teams",
            Page::Queue => "Queue",
            Page::CrmFields => "CRM fields",
        }
    }
}

/// The administrator whose portal session `headers` carry, if any.
fn signed_in(app: &App, headers: &HeaderMap) -> Option<Admin> {
    let token = crate::cookie(headers, COOKIE)?;
    let email = app.portal_session_email(&token)?;
    app.world()
        .admins
        .iter()
        .find(|a| a.email.eq_ignore_ascii_case(&email))
        .cloned()
}

/// The answer to a page asked for without an administrator's session.
fn to_sign_in() -> Response {
    see_other("/portal")
}

fn see_other(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// An HTML page: never cached, never framed, forms posted to this origin only.
pub(crate) fn html_page(status: StatusCode, body: String) -> Response {
    let mut r = (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'; \
script-src 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    r
}

/// `GET /portal/portal.js`: the pages' script ([`html::SCRIPT`]).
async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        html::SCRIPT,
    )
        .into_response()
}

/// Page `page` of `admin` with `body` under its title, answered with `status`.
fn respond(app: &App, admin: &Admin, page: Page, status: StatusCode, body: &str) -> Response {
    let agents = app.world().agents_signed_in();
    html_page(
        status,
        html::layout(Some(page), page.title(), admin, agents, body),
    )
}

/// The notice of a successful save, `then` saying when agents get it, after "Saved. Agents
/// signed in: N".
/// "Saved." and who it changes: `then` follows the agents signed in ("… will use these
/// settings from their next dial screen."); with none signed in, they get them at sign-in.
/// `more` follows either.
fn saved_notice(app: &App, then: &str, more: &str) -> String {
    let agents = app.world().agents_signed_in();
    let who = match agents {
        0 => "No agent is signed in now: agents get these settings when they sign in.".to_owned(),
        1 => format!("The agent signed in{then}"),
        n => format!("The {n} agents signed in{then}"),
    };
    html::saved(&format!("Saved. {who}{more}"))
}

/// A request to the emulated Zendesk made by the platform (logged with source `platform`) with
/// the API token `token` acting as `email`.
fn zendesk_request(
    method: &str,
    path: &str,
    query: &str,
    body: serde_json::Value,
    email: &str,
    token: &str,
) -> crate::zendesk::ApiRequest {
    crate::zendesk::ApiRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        body,
        unparsed_body: None,
        source: "platform",
        actor: None,
        credential: crate::zendesk::Credential::Http {
            authorization: Some(crate::zendesk::token_authorization(email, token)),
            session: None,
        },
        idempotency_key: None,
    }
}

/// `GET /portal`: the sign-in form, or the first page when signed in.
async fn sign_in_page(State(app): State<App>, headers: HeaderMap) -> Response {
    if signed_in(&app, &headers).is_some() {
        return see_other(Page::Operation.path());
    }
    html_page(StatusCode::OK, html::sign_in("", None))
}

/// Whose credentials these are.
enum Account {
    Admin(Admin),
    Agent,
    Nobody,
}

fn account(app: &App, email: &str, password: &str) -> Account {
    let w = app.world();
    let matches = |e: &str, p: &str| e.eq_ignore_ascii_case(email) && p == password;
    if let Some(a) = w.admins.iter().find(|a| matches(&a.email, &a.password)) {
        return Account::Admin(a.clone());
    }
    if w.agents.iter().any(|a| matches(&a.email, &a.password)) {
        return Account::Agent;
    }
    Account::Nobody
}

/// `POST /portal/sign-in` (form `email`, `password`).
async fn sign_in(State(app): State<App>, body: Bytes) -> Response {
    let form = form::Form::parse(&body);
    let email = form.get("email").unwrap_or("").trim().to_owned();
    let password = form.get("password").unwrap_or("");
    match account(&app, &email, password) {
        Account::Admin(admin) => {
            let token = app.open_portal_session(&admin.email);
            let cookie = format!("{COOKIE}={token}; Path=/portal; HttpOnly; SameSite=Strict");
            let mut r = see_other(Page::Operation.path());
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        // BATCH-6: an agent cannot change settings.
        Account::Agent => html_page(
            StatusCode::FORBIDDEN,
            html::sign_in(&email, Some(AGENT_REFUSED)),
        ),
        Account::Nobody => html_page(
            StatusCode::UNAUTHORIZED,
            html::sign_in(&email, Some(WRONG_CREDENTIALS)),
        ),
    }
}

/// `POST /portal/sign-out`: the session ends, its cookie is cleared.
async fn sign_out(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Some(token) = crate::cookie(&headers, COOKIE) {
        app.end_portal_session(&token);
    }
    let mut r = see_other("/portal");
    let clear = format!("{COOKIE}=; Path=/portal; Max-Age=0; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&clear) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// Any other `/portal/…` path: 303 to the sign-in form without a session, 404 with one.
async fn unknown(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(admin) = signed_in(&app, &headers) else {
        return to_sign_in();
    };
    let agents = app.world().agents_signed_in();
    let main = "<p>There is no such page in the portal.</p>";
    html_page(
        StatusCode::NOT_FOUND,
        html::layout(None, "Not found", &admin, agents, main),
    )
}
