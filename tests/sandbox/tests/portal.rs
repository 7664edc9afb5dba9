//! The platform's portal (`/portal`), driven over HTTP as a browser drives it: form posts with the
//! session cookie. Only administrators sign in (BATCH-6); each page saves through the domain's
//! checks (SET-4, SET-11, BATCH-3, BATCH-7, TEAM-12), refusing a save whole with each field
//! named; the API token is checked with the emulated Zendesk; "Create" makes the SDK session
//! fields once (FIELD-1, FIELD-13); a save tells every agent (`settings.changed`); every value
//! shown is escaped.

use std::net::SocketAddr;

use domain::fields::SessionField;
use sandbox::fixtures::{ADMIN_EMAIL, AGENT_PASSWORD};
use sandbox::portal::{self, html_escape};
use sandbox::testkit::{form_post, get_page, http, set_cookie, Response};
use serde_json::{json, Value};

/// The Operation Management switches, as the form sends them.
const SWITCHES: [&str; 7] = [
    "do_not_append",
    "abandoned_call_ticket",
    "prompt_select_open_ticket",
    "allow_create_new_ticket",
    "allow_do_not_create_ticket",
    "allow_use_entered_number",
    "team_ticket_entry",
];

const TITLE: &str = "{channel} from {contact_name} via {menu_path}";

async fn start() -> SocketAddr {
    sandbox::testkit::start("default").await
}

/// Signs the administrator in to the portal; the session cookie (`portal_session=…`).
async fn admin(addr: SocketAddr) -> String {
    let r = form_post(
        addr,
        "/portal/sign-in",
        &[("email", ADMIN_EMAIL), ("password", AGENT_PASSWORD)],
        None,
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.text);
    set_cookie(&r, portal::COOKIE).expect("a session cookie")
}

/// The platform settings as the control API shows them.
async fn saved(addr: SocketAddr) -> Value {
    http(addr, "GET", "/_sandbox/settings", None, None)
        .await
        .json()
}

/// The settings a signed-in agent reads (`GET /platform/settings`).
async fn agent_settings(addr: SocketAddr, token: &str) -> Value {
    let r = http(addr, "GET", "/platform/settings", None, Some(token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

/// Signs agent `email` in to the platform; its bearer token.
async fn agent(addr: SocketAddr, email: &str) -> String {
    sandbox::testkit::sign_in_agent(addr, email).await.0
}

/// The Operation Management form with the switches `on` ticked (the others not sent, as a
/// browser leaves out unticked checkboxes) and the default title.
fn operation_form<'a>(on: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<(&str, &str)> = on.iter().map(|k| (*k, "on")).collect();
    form.push(("ticket_title", TITLE));
    form
}

async fn save_operation(addr: SocketAddr, cookie: &str, on: &[&str]) -> Response {
    form_post(addr, "/portal/operation", &operation_form(on), Some(cookie)).await
}

/// The Developer Settings form as the page sends it for the default fixture, with `changes`
/// replacing or adding values (a value of `None` leaves the key out: an unticked checkbox).
fn developer_form(default_user_id: u64, changes: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let id = default_user_id.to_string();
    let mut form: Vec<(String, Option<String>)> = [
        ("api_email", Some("ada@sandbox.test")),
        ("api_token", Some("")),
        ("default_user", Some("on")),
        ("default_crm_user_id", Some(id.as_str())),
        ("batch_frequency_s", Some("10")),
        ("api_response_comment", Some("off")),
        ("call_recording", Some("on")),
        ("field_mapping", Some("")),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.map(str::to_owned)))
    .collect();
    for (k, v) in changes {
        match form.iter_mut().find(|(key, _)| key == k) {
            Some(slot) => slot.1 = v.map(str::to_owned),
            None => form.push((k.to_string(), v.map(str::to_owned))),
        }
    }
    form.into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
}

async fn save_developer(addr: SocketAddr, cookie: &str, form: &[(String, String)]) -> Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    form_post(addr, "/portal/developer", &pairs, Some(cookie)).await
}

/// The tag of the element whose `data-testid` is `testid`.
fn tag<'a>(html: &'a str, testid: &str) -> &'a str {
    let at = html
        .find(&format!("data-testid=\"{testid}\""))
        .unwrap_or_else(|| panic!("no {testid} in {html}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

/// The text of the element whose `data-testid` is `testid` (no nested elements).
fn text<'a>(html: &'a str, testid: &str) -> &'a str {
    let open = tag(html, testid);
    let start = html.find(open).unwrap() + open.len();
    let end = start + html[start..].find('<').unwrap();
    &html[start..end]
}

fn default_user_id(settings: &Value) -> u64 {
    settings["developer"]["default_crm_user_id"]
        .as_u64()
        .unwrap()
}

// BATCH-6: the portal is an administrator's; a strict, HttpOnly session cookie; signing out
// ends it.
#[tokio::test]
async fn an_administrator_signs_in_with_a_strict_http_only_cookie() {
    let addr = start().await;
    let page = get_page(addr, "/portal", None).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("<label for=\"email\">Email</label>"));
    assert!(page
        .text
        .contains("<label for=\"password\">Password</label>"));

    let r = form_post(
        addr,
        "/portal/sign-in",
        &[
            ("email", "Admin@Sandbox.test"),
            ("password", AGENT_PASSWORD),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/portal/operation"));
    let set = r.header("set-cookie").unwrap();
    assert!(set.starts_with("portal_session="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set_cookie(&r, portal::COOKIE).unwrap();
    assert!(
        cookie.len() > "portal_session=".len() + 16,
        "a random token"
    );

    let page = get_page(addr, "/portal/operation", Some(&cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("<h1>Operation Management</h1>"));
    assert!(page.text.contains("Agents signed in: 0"));
    let back = get_page(addr, "/portal", Some(&cookie)).await;
    assert_eq!(back.header("location"), Some("/portal/operation"));

    let out = form_post(addr, "/portal/sign-out", &[], Some(&cookie)).await;
    assert_eq!(out.status, 303);
    let after = get_page(addr, "/portal/operation", Some(&cookie)).await;
    assert_eq!(
        (after.status, after.header("location")),
        (303, Some("/portal"))
    );
}

// BATCH-6: an agent's credentials are refused (403, no cookie) and a save without an
// administrator's session changes nothing; wrong credentials are a 401 with the form again.
#[tokio::test]
async fn an_agent_is_refused_and_changes_nothing() {
    let addr = start().await;
    let before = saved(addr).await;
    let r = form_post(
        addr,
        "/portal/sign-in",
        &[("email", "ada@sandbox.test"), ("password", AGENT_PASSWORD)],
        None,
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r.header("set-cookie").is_none());
    assert!(
        r.text.contains(&html_escape(portal::AGENT_REFUSED)),
        "{}",
        r.text
    );

    let r = save_operation(addr, "portal_session=forged", &["do_not_append"]).await;
    assert_eq!((r.status, r.header("location")), (303, Some("/portal")));
    assert_eq!(saved(addr).await, before, "nothing changed");

    let wrong = form_post(
        addr,
        "/portal/sign-in",
        &[("email", ADMIN_EMAIL), ("password", "nope")],
        None,
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.text.contains(&html_escape(portal::WRONG_CREDENTIALS)));
    assert!(wrong.text.contains("name=\"password\""), "the form again");
}

// Every portal page and save without an administrator's session is a 303 to the sign-in form.
#[tokio::test]
async fn pages_without_a_session_redirect_to_sign_in() {
    let addr = start().await;
    for path in [
        "/portal/operation",
        "/portal/developer",
        "/portal/teams",
        "/portal/queue",
        "/portal/crm-fields",
        "/portal/nowhere",
    ] {
        let r = get_page(addr, path, None).await;
        assert_eq!(
            (r.status, r.header("location")),
            (303, Some("/portal")),
            "{path}"
        );
    }
    for path in [
        "/portal/operation",
        "/portal/developer",
        "/portal/teams",
        "/portal/queue",
        "/portal/crm-fields/create",
    ] {
        let r = form_post(addr, path, &[], None).await;
        assert_eq!(
            (r.status, r.header("location")),
            (303, Some("/portal")),
            "{path}"
        );
    }
    let cookie = admin(addr).await;
    assert_eq!(
        get_page(addr, "/portal/nowhere", Some(&cookie))
            .await
            .status,
        404
    );
}

// SET-13, SET-14, TEAM-3: each Operation Management switch saved through the form is what a
// signed-in agent reads; SET-4: "Create a new ticket" with the prompt on.
#[tokio::test]
async fn each_operation_switch_saved_reaches_the_agent() {
    let addr = start().await;
    let cookie = admin(addr).await;
    let token = agent(addr, "ada@sandbox.test").await;
    let r = save_operation(addr, &cookie, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let op = &agent_settings(addr, &token).await["operation"];
    for key in SWITCHES {
        assert_eq!(op[key], false, "{key}");
    }
    for on in [
        &["do_not_append"][..],
        &["abandoned_call_ticket"],
        &["prompt_select_open_ticket"],
        &["prompt_select_open_ticket", "allow_create_new_ticket"],
        &["allow_do_not_create_ticket"],
        &["allow_use_entered_number"],
        &["team_ticket_entry"],
    ] {
        let r = save_operation(addr, &cookie, on).await;
        assert_eq!(r.status, 200, "{on:?}: {}", r.text);
        assert!(
            text(&r.text, "portal-saved").contains("The agent signed in will use these settings"),
            "{}",
            r.text
        );
        let op = &agent_settings(addr, &token).await["operation"];
        for key in SWITCHES {
            assert_eq!(op[key], on.contains(&key), "{on:?}: {key}");
        }
    }
}

// SET-4: "Create a new ticket" without the prompt is refused with the field named (summary link,
// aria-invalid, the message beside it), and nothing is saved; while the prompt is saved off, the
// switch is shown disabled with the reason.
#[tokio::test]
async fn create_new_ticket_without_the_prompt_is_refused_and_nothing_saved() {
    let addr = start().await;
    let cookie = admin(addr).await;
    let before = saved(addr).await;
    let r = save_operation(
        addr,
        &cookie,
        &["allow_create_new_ticket", "team_ticket_entry"],
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let summary = tag(&r.text, "portal-errors");
    assert!(summary.contains("role=\"alert\""), "{summary}");
    assert!(r.text.contains("<a href=\"#om-allow_create_new_ticket\">"));
    assert!(
        text(&r.text, "error-operation-allow_create_new_ticket").contains("Create a new ticket")
    );
    let input = tag(&r.text, "om-allow_create_new_ticket");
    assert!(
        input.contains("aria-invalid=\"true\"") && input.contains(" checked"),
        "{input}"
    );
    assert!(
        input.contains("error-operation-allow_create_new_ticket\""),
        "described by its error: {input}"
    );
    assert_eq!(saved(addr).await, before, "nothing saved");

    assert_eq!(save_operation(addr, &cookie, &[]).await.status, 200);
    let page = get_page(addr, "/portal/operation", Some(&cookie))
        .await
        .text;
    assert!(tag(&page, "om-allow_create_new_ticket").contains(" disabled"));
    assert_eq!(
        text(&page, "om-allow_create_new_ticket-reason"),
        html_escape(portal::NEEDS_PROMPT)
    );
    assert!(!tag(&page, "om-prompt_select_open_ticket").contains(" disabled"));
    // The rules the page's script follows as the admin ticks (SET-11 first, then SET-4), the
    // same the save is checked by.
    let locks = |id: &str| -> Value {
        let input = tag(&page, id);
        let rules = input
            .split("data-locks=\"")
            .nth(1)
            .and_then(|x| x.split('"').next())
            .unwrap_or_else(|| panic!("{id}: no data-locks in {input}"));
        let json = rules
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        serde_json::from_str(&json).unwrap()
    };
    let create = locks("om-allow_create_new_ticket");
    let by: Vec<(&str, bool)> = create
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["by"].as_str().unwrap(), r["when"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        by,
        [
            ("om-do_not_append", true),
            ("om-prompt_select_open_ticket", false)
        ]
    );
    assert_eq!(create[1]["reason"], portal::NEEDS_PROMPT);
    assert_eq!(
        locks("om-prompt_select_open_ticket")[0]["by"],
        "om-do_not_append"
    );
    assert!(!tag(&page, "om-allow_use_entered_number").contains("data-locks"));
    // The script is served to the page, as script.
    let js = get_page(addr, "/portal/portal.js", Some(&cookie)).await;
    assert_eq!(js.status, 200);
    assert!(js
        .headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v.starts_with("text/javascript")));
    assert!(js.text.contains("data-locks"), "{}", js.text);
}

// SET-11: "Do not append" cannot be saved with the ticket choices on; saved alone, it locks the
// prompt and "Create a new ticket" (disabled, with the reason), and keeps "Do not create a
// ticket" free. SET-8: the warning stands beside "Do not create a ticket".
#[tokio::test]
async fn do_not_append_locks_the_ticket_choices() {
    let addr = start().await;
    let cookie = admin(addr).await;
    let before = saved(addr).await;
    let r = save_operation(
        addr,
        &cookie,
        &["do_not_append", "prompt_select_open_ticket"],
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(text(&r.text, "error-operation-prompt_select_open_ticket").contains("Do not append"));
    assert_eq!(saved(addr).await, before, "nothing saved");
    // The prompt, sent on, stays on and enabled so that it can be switched off: its reason
    // says so (it said "Locked", beside a switch that was not).
    assert!(!tag(&r.text, "om-prompt_select_open_ticket").contains(" disabled"));
    assert_eq!(
        text(&r.text, "om-prompt_select_open_ticket-reason"),
        html_escape(&format!(
            "{}: untick it to save",
            portal::LOCKED_BY_DO_NOT_APPEND
        ))
    );

    let r = save_operation(
        addr,
        &cookie,
        &["do_not_append", "allow_do_not_create_ticket"],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for key in ["prompt_select_open_ticket", "allow_create_new_ticket"] {
        assert!(
            tag(&r.text, &format!("om-{key}")).contains(" disabled"),
            "{key}"
        );
        assert_eq!(
            text(&r.text, &format!("om-{key}-reason")),
            html_escape(portal::LOCKED_BY_DO_NOT_APPEND)
        );
    }
    let free = tag(&r.text, "om-allow_do_not_create_ticket");
    assert!(
        !free.contains(" disabled") && free.contains(" checked"),
        "{free}"
    );
    assert!(
        free.contains("om-set8-warning"),
        "SET-8 described by: {free}"
    );
    assert_eq!(
        text(&r.text, "om-set8-warning"),
        html_escape(portal::SET8_WARNING)
    );
    // A switch a tampered form sends while it is locked is refused, not ignored.
    let r = save_operation(addr, &cookie, &["do_not_append", "allow_create_new_ticket"]).await;
    assert_eq!(r.status, 422);
}

// BATCH-3: a batch window of 0, 61 or -3 seconds, one that is not a whole number, or none, is
// refused with the field named and the reason, what was typed is kept in the field, and nothing
// is saved.
#[tokio::test]
async fn batch_frequency_out_of_range_is_refused() {
    let addr = start().await;
    let cookie = admin(addr).await;
    let before = saved(addr).await;
    let user = default_user_id(&before);
    for bad in ["0", "61", "-3", "99999999999", "2.5", "ten", "", " "] {
        let form = developer_form(user, &[("batch_frequency_s", Some(bad))]);
        let r = save_developer(addr, &cookie, &form).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
        let message = text(&r.text, "error-developer-batch_frequency_s");
        assert!(message.contains("Batch Frequency"), "{bad}: {message}");
        // The reason: a number out of the range says the range, not "not a whole number";
        // an empty field asks for one.
        let whole = bad.trim().parse::<i64>().is_ok();
        if whole || bad.trim().is_empty() {
            assert!(message.contains("1 to 60"), "{bad}: {message}");
            assert!(!message.contains("not a whole number"), "{bad}: {message}");
        } else {
            assert!(message.contains("not a whole number"), "{bad}: {message}");
        }
        // What was typed stays in the field to be corrected, not the saved value.
        assert!(
            tag(&r.text, "dev-batch-frequency").contains(&format!("value=\"{bad}\"")),
            "{bad}: {}",
            tag(&r.text, "dev-batch-frequency")
        );
        assert!(r.text.contains("<a href=\"#dev-batch-frequency\">"));
        assert!(tag(&r.text, "dev-batch-frequency").contains("aria-invalid=\"true\""));
        // The summary takes the keyboard (it stayed on the page, and the admin tabbed through
        // the navigation again to reach its links).
        assert!(tag(&r.text, "portal-errors").contains(" autofocus"));
        assert_eq!(saved(addr).await, before, "{bad}: nothing saved");
    }
    let r = save_developer(
        addr,
        &cookie,
        &developer_form(user, &[("batch_frequency_s", Some("60"))]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(saved(addr).await["developer"]["batch_frequency_s"], 60);
}

// BATCH-7: batching without an API token is refused; BATCH-8: entering the token, the window
// and the services in one save enables it.
#[tokio::test]
async fn batching_without_a_token_is_refused() {
    let addr = start().await;
    let r = http(
        addr,
        "PUT",
        "/_sandbox/settings",
        Some(json!({"developer": {"api_token_configured": false, "default_crm_user_id": null}})),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let cookie = admin(addr).await;
    let page = get_page(addr, "/portal/developer", Some(&cookie))
        .await
        .text;
    assert_eq!(text(&page, "dev-token-state"), "No token is saved.");
    let before = saved(addr).await;
    let form = developer_form(
        0,
        &[
            ("default_user", None),
            ("default_crm_user_id", None),
            ("batch_add_comment", Some("on")),
        ],
    );
    let r = save_developer(addr, &cookie, &form).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(text(&r.text, "error-developer-batch_add_comment").contains("API token"));
    assert_eq!(saved(addr).await, before, "nothing saved");

    let mut form = form;
    form.retain(|(k, _)| k != "api_token");
    form.push(("api_token".into(), sandbox::zendesk::API_TOKEN.into()));
    form.push(("batch_ticket_update".into(), "on".into()));
    let r = save_developer(addr, &cookie, &form).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        !r.text.contains(sandbox::zendesk::API_TOKEN),
        "the token is never shown"
    );
    assert_eq!(text(&r.text, "dev-token-state"), "A token is saved.");
    let dev = &saved(addr).await["developer"];
    assert_eq!(
        (
            &dev["api_token_configured"],
            &dev["batch_add_comment"],
            &dev["batch_ticket_update"]
        ),
        (&json!(true), &json!(true), &json!(true))
    );
}

// A token and email Zendesk does not accept are not saved: the saved pair stays, Default User is
// unticked, the rest of the form is saved, and the page says so. A pair Zendesk accepts is saved.
#[tokio::test]
async fn a_wrong_token_pair_is_reverted_and_the_rest_saved() {
    let addr = start().await;
    let cookie = admin(addr).await;
    let before = saved(addr).await;
    let user = default_user_id(&before);
    let form = developer_form(
        user,
        &[
            ("api_token", Some("not-the-token")),
            ("batch_frequency_s", Some("20")),
            ("call_recording", None),
            ("api_response_comment", Some("json")),
        ],
    );
    let r = save_developer(addr, &cookie, &form).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        text(&r.text, "dev-token-error"),
        html_escape(portal::TOKEN_REFUSED)
    );
    assert!(!r.text.contains("not-the-token"));
    let dev = &saved(addr).await["developer"];
    assert_eq!(
        dev["default_crm_user_id"],
        Value::Null,
        "Default User unticked"
    );
    assert_eq!(dev["api_token_configured"], true, "the saved token stays");
    assert_eq!(dev["batch_frequency_s"], 20);
    assert_eq!(dev["call_recording"], false);
    assert_eq!(dev["api_response_comment"], "json");
    let checks = sandbox::testkit::requests_from(addr, "platform").await;
    assert_eq!(
        checks,
        vec!["GET /api/v2/users/me 200"],
        "checked with Zendesk"
    );

    // The email of an end user with the right token is no API user either.
    let form = developer_form(user, &[("api_email", Some("anna.matrix10@example.test"))]);
    let r = save_developer(addr, &cookie, &form).await;
    assert!(
        r.text.contains("data-testid=\"dev-token-error\""),
        "{}",
        r.text
    );
    assert!(tag(&r.text, "dev-api-email").contains("value=\"ada@sandbox.test\""));

    // Another agent's email with the account's token: saved, Default User kept.
    let form = developer_form(
        user,
        &[
            ("api_email", Some("ben@sandbox.test")),
            ("api_token", Some(sandbox::zendesk::API_TOKEN)),
        ],
    );
    let r = save_developer(addr, &cookie, &form).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains("dev-token-error"));
    assert!(tag(&r.text, "dev-api-email").contains("value=\"ben@sandbox.test\""));
    assert_eq!(default_user_id(&saved(addr).await), user);
}

// FIELD-1, FIELD-13: "Create" makes one ticket field per SDK session field through Zendesk
// with the API token, once: pressed twice it creates nothing new; custom_fields_created is set.
#[tokio::test]
async fn create_makes_the_session_fields_once() {
    let addr = start().await;
    let cookie = admin(addr).await;
    let fields = |s: &Value| s["ticket_fields"].as_array().unwrap().len();
    let before = fields(&sandbox::testkit::state(addr).await);
    let page = get_page(addr, "/portal/crm-fields", Some(&cookie))
        .await
        .text;
    assert!(!page.contains("data-testid=\"crm-field-csat\""));
    assert!(page.contains("data-testid=\"crm-create\""));

    let first = form_post(addr, "/portal/crm-fields/create", &[], Some(&cookie)).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let after = sandbox::testkit::state(addr).await;
    assert_eq!(fields(&after), before + SessionField::ALL.len());
    assert_eq!(
        after["settings"]["developer"]["custom_fields_created"],
        true
    );
    for f in SessionField::ALL {
        let name = serde_json::to_value(f).unwrap();
        let row = format!("crm-field-{}", name.as_str().unwrap());
        let made = after["ticket_fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["title"] == f.title())
            .unwrap();
        assert_eq!(made["type"], f.zendesk_type(), "{row}");
        assert!(
            first.text.contains(&format!("data-testid=\"{row}\"")),
            "{row}"
        );
        assert!(
            first.text.contains(&format!("<td>{}</td>", made["id"])),
            "{row} id"
        );
    }

    let second = form_post(addr, "/portal/crm-fields/create", &[], Some(&cookie)).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert!(text(&second.text, "crm-result").starts_with("Created 0 ticket field(s)"));
    assert_eq!(
        fields(&sandbox::testkit::state(addr).await),
        before + SessionField::ALL.len()
    );
    let creations = sandbox::testkit::requests_from(addr, "platform")
        .await
        .into_iter()
        .filter(|r| r.starts_with("POST /api/v2/ticket_fields"))
        .count();
    assert_eq!(
        creations,
        SessionField::ALL.len(),
        "through the emulated Zendesk, once"
    );
}

// SET-16: a save tells every agent (`settings.changed`, to all); so does a change through the
// control API.
#[tokio::test]
async fn a_save_emits_settings_changed() {
    let (addr, app) = sandbox::testkit::start_app("default").await;
    let cookie = admin(addr).await;
    let mut events = app.subscribe();
    assert_eq!(save_operation(addr, &cookie, &[]).await.status, 200);
    let ev = events.try_recv().expect("an event");
    assert_eq!(
        (ev.agent_id, &ev.event),
        (None, &json!({"type": "settings.changed"}))
    );

    let r = http(
        addr,
        "PUT",
        "/_sandbox/settings",
        Some(json!({"operation": {"allow_use_entered_number": true}})),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let ev = events.try_recv().expect("an event");
    assert_eq!(ev.event["type"], "settings.changed");
    // A refused save tells no one.
    let r = save_operation(addr, &cookie, &["allow_create_new_ticket"]).await;
    assert_eq!(r.status, 422);
    assert!(events.try_recv().is_err());
}

// SET-15: a ticket title with markup is saved as text and shown escaped; an unknown form key is
// refused naming it, escaped too, and nothing is saved.
#[tokio::test]
async fn values_are_escaped_and_unknown_keys_refused() {
    let addr = start().await;
    let cookie = admin(addr).await;
    let title = "<script>alert(1)</script> {channel}";
    let r = form_post(
        addr,
        "/portal/operation",
        &[("ticket_title", title)],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains("<script>"), "{}", r.text);
    assert!(tag(&r.text, "om-ticket_title").contains(&html_escape(title)));
    assert_eq!(saved(addr).await["operation"]["ticket_title"], title);

    let before = saved(addr).await;
    let r = form_post(
        addr,
        "/portal/operation",
        &[("ticket_title", TITLE), ("<img src=x>", "on")],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(
        r.text.contains("Unknown setting &lt;img src=x&gt;"),
        "{}",
        r.text
    );
    assert!(!r.text.contains("<img"));
    assert_eq!(saved(addr).await, before, "nothing saved");
}

// SET-15: an empty ticket title is saved (the fallback title is used), and the page says which
// title chat tickets then get, in the saved notice and beside the field; a title saved says
// nothing of it.
#[tokio::test]
async fn an_empty_ticket_title_says_the_title_used() {
    let addr = start().await;
    let cookie = admin(addr).await;
    let fallback = html_escape(domain::settings::DEFAULT_TICKET_TITLE);
    let r = form_post(
        addr,
        "/portal/operation",
        &[("ticket_title", "  ")],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(saved(addr).await["operation"]["ticket_title"], "");
    let notice = text(&r.text, "portal-saved");
    assert!(notice.contains("Ticket title is empty"), "{notice}");
    assert!(notice.contains(&fallback), "{notice}");
    // Nobody signed in: said so in words (it read "Agents signed in: 0 will use these
    // settings"); and the notice takes the keyboard, as a refusal's summary does.
    assert!(
        notice.starts_with("Saved. No agent is signed in now"),
        "{notice}"
    );
    assert!(tag(&r.text, "portal-saved").contains(" autofocus"));
    let page = get_page(addr, "/portal/operation", Some(&cookie))
        .await
        .text;
    assert!(
        page.contains(&format!("Left empty, it is &quot;{fallback}&quot;")),
        "{page}"
    );

    let r = save_operation(addr, &cookie, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!text(&r.text, "portal-saved").contains("Ticket title is empty"));
}

// TEAM-12: "Required" needs "Enable Ticket ID": refused with the field named and nothing saved;
// shown disabled with the reason while both are off; each team lists its agents.
#[tokio::test]
async fn team_ticket_entry_is_saved_and_required_needs_enabled() {
    let addr = start().await;
    let cookie = admin(addr).await;
    let page = get_page(addr, "/portal/teams", Some(&cookie)).await.text;
    assert!(tag(&page, "team-1-required").contains(" disabled"));
    assert_eq!(
        text(&page, "team-1-required-reason"),
        html_escape(portal::NEEDS_ENABLED)
    );
    assert!(page.contains("Ada Agent (ada@sandbox.test)"));
    let before = sandbox::testkit::state(addr).await["teams"].clone();

    let r = form_post(
        addr,
        "/portal/teams",
        &[
            ("team-1-required", "on"),
            ("team-3-enabled", "on"),
            ("team-3-required", "on"),
        ],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(text(&r.text, "error-teams-1-required").contains("Enable Ticket ID"));
    assert_eq!(
        sandbox::testkit::state(addr).await["teams"],
        before,
        "nothing saved"
    );

    let r = form_post(
        addr,
        "/portal/teams",
        &[("team-1-enabled", "on"), ("team-1-required", "on")],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let teams = sandbox::testkit::state(addr).await["teams"].clone();
    let entry = |i: usize| teams[i]["ticket_id_entry"].clone();
    assert_eq!(entry(0), json!({"enabled": true, "required": true}));
    assert_eq!(entry(1), json!({"enabled": false, "required": false}));
}

// TEAM-13: a queue's Instant Voice Call and assigned teams are saved; TEAM-14: a queue with no
// outbound number says agents assigned to it cannot place outbound calls; a number that is not
// the account's is refused.
#[tokio::test]
async fn queue_settings_are_saved_and_a_queue_without_a_number_is_flagged() {
    let addr = start().await;
    let cookie = admin(addr).await;
    let page = get_page(addr, "/portal/queue", Some(&cookie)).await.text;
    assert!(tag(&page, "queue-1-instant").contains(" checked"));
    assert!(!page.contains("queue-1-no-number"));

    let r = form_post(
        addr,
        "/portal/queue",
        &[
            ("queue-1-number", "+15550000000"),
            ("queue-2-number", "+390299990001"),
        ],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r
        .text
        .contains("data-testid=\"error-queues-1-outbound_number\""));

    let r = form_post(
        addr,
        "/portal/queue",
        &[
            ("queue-1-instant", "on"),
            ("queue-1-team-2", "on"),
            ("queue-1-number", ""),
            ("queue-2-number", "+390299990001"),
            ("queue-3-number", "+34919990001"),
        ],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        text(&r.text, "queue-1-no-number"),
        html_escape(portal::NO_OUTBOUND_NUMBER)
    );
    let queues = sandbox::testkit::state(addr).await["queues"].clone();
    assert_eq!(
        queues[0],
        json!({"id": 1, "name": "Support US", "instant_voice_call": true, "team_ids": [2],
               "outbound_number": null})
    );
    assert_eq!(queues[1]["instant_voice_call"], false);
    assert_eq!(queues[1]["outbound_number"], "+390299990001");
}

// Every page: one layout (lang, a navigation with the five pages, the title in <h1>, <main>,
// the agents signed in), and every control labelled, its help linked by aria-describedby.
#[tokio::test]
async fn every_page_has_the_layout_and_labelled_controls() {
    let addr = start().await;
    let cookie = admin(addr).await;
    agent(addr, "ada@sandbox.test").await;
    agent(addr, "ada@sandbox.test").await;
    agent(addr, "ben@sandbox.test").await;
    for (path, title) in [
        ("/portal/operation", "Operation Management"),
        ("/portal/developer", "Developer Settings"),
        ("/portal/teams", "Users &amp; Teams"),
        ("/portal/queue", "Queue"),
        ("/portal/crm-fields", "CRM fields"),
    ] {
        let r = get_page(addr, path, Some(&cookie)).await;
        let csp = r
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-security-policy"))
            .map(|(_, v)| v.as_str());
        assert!(
            csp.is_some_and(|v| v.contains("script-src 'self'")),
            "{path}: only the portal's own script runs: {csp:?}"
        );
        let page = r.text;
        assert!(
            page.contains("<script src=\"/portal/portal.js\" defer></script>"),
            "{path}"
        );
        assert!(page.contains("<html lang=\"en\">"), "{path}");
        assert_eq!(page.matches("<h1>").count(), 1, "{path}");
        assert!(page.contains(&format!("<h1>{title}</h1>")), "{path}");
        assert!(page.contains("<main"), "{path}");
        assert!(
            page.contains(&format!("<a href=\"{path}\" aria-current=\"page\">")),
            "{path}"
        );
        assert!(
            text(&page, "portal-agents-signed-in").ends_with("Agents signed in: 2"),
            "{path}"
        );
        for kind in ["<input", "<select", "<textarea"] {
            for (at, _) in page.match_indices(kind) {
                let control = &page[at..at + page[at..].find('>').unwrap()];
                let id = control
                    .split("id=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap();
                assert!(
                    page.contains(&format!("<label for=\"{id}\">")),
                    "{path}: {id}"
                );
                assert!(
                    control.contains(&format!("aria-describedby=\"{id}-help")),
                    "{path}: {control}"
                );
                assert!(page.contains(&format!("id=\"{id}-help\"")), "{path}: {id}");
            }
        }
    }
}
