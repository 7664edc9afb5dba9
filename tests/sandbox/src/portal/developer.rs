//! Settings > Developer Settings: the CRM (Zendesk), the Zendesk API token and the email of the
//! user it acts as (checked against the emulated Zendesk when either changes; the token is never
//! shown again), the default CRM user (TICKET-11), batching (BATCH-2, BATCH-3; BATCH-7: not
//! without a token), the API response comment format (UPD-16), call recording (UPD-7), the
//! custom field mapping (UPD-12) and "Outbound Ticket Settings" (TEAM-7, TEAM-19): ticked, the
//! number a team's Ticket ID entry dials is taken from the ticket field chosen among the emulated
//! Zendesk account's ticket fields (listed by title and Field ID), not from the requester's
//! default phone. Ticked without a field, or with a field the account does not have, is refused.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::settings::{
    ApiResponseComment, FieldMapping, Settings, MAX_BATCH_FREQUENCY_S, MIN_BATCH_FREQUENCY_S,
};
use serde_json::Value;

use super::form::{number, Form, FormProblem, DEVELOPER_CONTROLS};
use super::html::{error_summary, fieldset, html_escape, settings_form, Control, Kind};
use super::{respond, saved_notice, signed_in, to_sign_in, zendesk_request, Page};
use crate::state::{ApiCredentials, App};

/// Shown after a save whose token and email Zendesk did not accept.
pub const TOKEN_REFUSED: &str = "The API token and email do not match a Zendesk API token: they \
were not changed, and Default User was unticked.";

/// The problem of a refused save whose token and email Zendesk did not accept.
const TOKEN_MISMATCH: &str = "The API token and email do not match a Zendesk API token.";

/// The problem of "Outbound Ticket Settings" ticked with no ticket field chosen.
const NO_PHONE_FIELD: &str = "Outbound Ticket Settings: choose the ticket field the phone number \
is taken from, or untick \"Take the phone number from a ticket field\".";

/// What the page starts from: the saved settings and credentials, the account's agents and
/// administrators (id, "Name (email)"), who may be the default CRM user, and the account's
/// ticket fields (id, "Title (Field ID id)"), which may hold the number to dial (TEAM-19).
struct Saved {
    settings: Settings,
    credentials: ApiCredentials,
    staff: Vec<(u64, String)>,
    ticket_fields: Vec<(u64, String)>,
}

impl Saved {
    fn of(app: &App) -> Saved {
        let w = app.world();
        let staff = w
            .users
            .values()
            .filter(|u| u.role != "end-user")
            .map(|u| {
                let email = u.email.as_deref().unwrap_or("");
                (u.id, format!("{} ({email})", u.name))
            })
            .collect();
        let ticket_fields = w
            .ticket_fields
            .iter()
            .map(|f| {
                let inactive = if f.active { "" } else { ", inactive" };
                (f.id, format!("{} (Field ID {}{inactive})", f.title, f.id))
            })
            .collect();
        Saved {
            settings: w.settings.clone(),
            credentials: w.api_credentials.clone(),
            staff,
            ticket_fields,
        }
    }
}

/// What the form asks for: the settings, the credentials, and the pair (email, token) to check
/// with Zendesk before saving them (None when neither changed, or there is no token).
struct Candidate {
    settings: Settings,
    credentials: ApiCredentials,
    check: Option<(String, String)>,
    /// Batch Frequency as typed, when it was refused: shown again to be corrected, not
    /// replaced by the saved value.
    frequency_typed: Option<String>,
    /// "Outbound Ticket Settings" as sent (ticked, the ticket field chosen): a refused save
    /// shows what the admin chose, which the setting alone cannot hold (ticked with no field,
    /// or a field the account does not have). None: the saved setting is shown.
    phone_field_sent: Option<(bool, String)>,
}

impl Candidate {
    /// Zendesk refused the pair: the saved credentials stay, and Default User is unticked.
    fn keep_saved_credentials(&mut self, saved: &Saved) {
        self.credentials = saved.credentials.clone();
        self.settings.developer.api_token_configured = saved.credentials.token.is_some();
        self.settings.developer.default_crm_user_id = None;
    }
}

fn credentials(saved: &Saved, form: &Form) -> (ApiCredentials, Option<(String, String)>) {
    let email = form
        .get("api_email")
        .map_or_else(|| saved.credentials.email.clone(), |e| e.trim().to_owned());
    let new_token = form
        .get("api_token")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let changed = new_token.is_some() || email != saved.credentials.email;
    let token = new_token.or_else(|| saved.credentials.token.clone());
    let check = token
        .clone()
        .filter(|_| changed)
        .map(|t| (email.clone(), t));
    (ApiCredentials { email, token }, check)
}

fn default_user(saved: &Saved, form: &Form) -> Result<Option<u64>, FormProblem> {
    const FIELD: &str = "developer.default_crm_user_id";
    if !form.checkbox("default_user", "developer.default_user")? {
        return Ok(None);
    }
    let id = match form.get("default_crm_user_id") {
        Some(text) => number::<u64>(text, FIELD, "Default CRM user")?,
        None => saved
            .settings
            .developer
            .default_crm_user_id
            .ok_or_else(|| FormProblem::new(FIELD, "Choose the default CRM user"))?,
    };
    if saved.staff.iter().any(|(staff, _)| *staff == id) {
        Ok(Some(id))
    } else {
        Err(FormProblem::new(
            FIELD,
            format!("Default CRM user: {id} is not an agent of the account"),
        ))
    }
}

/// "Outbound Ticket Settings" (TEAM-19) as sent: unticked, None (the requester's default
/// phone, whatever field is chosen); ticked, the ticket field chosen, which must be one of the
/// account's `ticket_fields`. A form without the field keeps the `saved` one.
fn phone_field(
    ticket_fields: &[(u64, String)],
    saved: Option<u64>,
    form: &Form,
) -> Result<Option<u64>, FormProblem> {
    const FIELD: &str = "developer.outbound_ticket_phone_field";
    if !form.checkbox("outbound_ticket_field", "developer.outbound_ticket_field")? {
        return Ok(None);
    }
    let chosen = match form.get("outbound_ticket_phone_field").map(str::trim) {
        Some("") => None,
        Some(text) => Some(text.to_owned()),
        None => saved.map(|id| id.to_string()),
    };
    let Some(chosen) = chosen else {
        return Err(FormProblem::new(FIELD, NO_PHONE_FIELD));
    };
    chosen
        .parse::<u64>()
        .ok()
        .filter(|id| ticket_fields.iter().any(|(field, _)| field == id))
        .map(Some)
        .ok_or_else(|| {
            FormProblem::new(
                FIELD,
                format!(
                    "Outbound Ticket Settings: \"{chosen}\" is not a ticket field of the \
account; choose one from the list."
                ),
            )
        })
}

/// Batch Frequency as typed (BATCH-3): a whole number of seconds from 1 to 60, or the problem
/// that says why not. A whole number out of the range says the range (-3 is not "not a whole
/// number"), and an empty field asks for one rather than keeping the saved value unsaid.
fn frequency(text: &str) -> Result<u32, FormProblem> {
    const FIELD: &str = "developer.batch_frequency_s";
    let text = text.trim();
    if text.is_empty() {
        return Err(FormProblem::new(
            FIELD,
            format!(
                "Batch Frequency: enter a whole number of seconds from \
{MIN_BATCH_FREQUENCY_S} to {MAX_BATCH_FREQUENCY_S}"
            ),
        ));
    }
    let whole: i128 = number(text, FIELD, "Batch Frequency")?;
    match u32::try_from(whole) {
        Ok(s) if (MIN_BATCH_FREQUENCY_S..=MAX_BATCH_FREQUENCY_S).contains(&s) => Ok(s),
        _ => Err(FormProblem::new(
            FIELD,
            format!(
                "Batch Frequency must be a whole number of seconds from \
{MIN_BATCH_FREQUENCY_S} to {MAX_BATCH_FREQUENCY_S} (got {text})"
            ),
        )),
    }
}

fn api_response(text: &str) -> Result<ApiResponseComment, FormProblem> {
    serde_json::from_value(Value::String(text.trim().to_owned())).map_err(|_| {
        FormProblem::new(
            "developer.api_response_comment",
            format!("API response comment: \"{text}\" is not off, key_value or json"),
        )
    })
}

/// `key = field title or id` lines; blank lines skipped.
fn field_mapping(text: &str) -> Result<Vec<FieldMapping>, FormProblem> {
    let problem = |m: String| FormProblem::new("developer.field_mapping", m);
    let mut out: Vec<FieldMapping> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((key, field)) = line
            .split_once('=')
            .map(|(k, f)| (k.trim(), f.trim()))
            .filter(|(k, f)| !k.is_empty() && !f.is_empty())
        else {
            return Err(problem(format!(
                "Custom field mapping, line {}: write \"key = field title or id\"",
                n + 1
            )));
        };
        if out.iter().any(|m| m.key == key) {
            return Err(problem(format!(
                "Custom field mapping: the key \"{key}\" is mapped twice"
            )));
        }
        out.push(FieldMapping {
            key: key.to_owned(),
            field: field.to_owned(),
        });
    }
    Ok(out)
}

fn mapping_text(mapping: &[FieldMapping]) -> String {
    mapping
        .iter()
        .map(|m| format!("{} = {}", m.key, m.field))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Keeps `result`'s value in `slot`, or its problem in `problems`.
fn take<T>(slot: &mut T, result: Result<T, FormProblem>, problems: &mut Vec<FormProblem>) {
    match result {
        Ok(v) => *slot = v,
        Err(p) => problems.push(p),
    }
}

/// The candidate the form asks for, and what in the form cannot be read (unknown keys, numbers
/// and choices that do not parse); what the domain refuses is asked after the token check.
fn build(saved: &Saved, form: &Form) -> (Candidate, Vec<FormProblem>) {
    let mut problems = form.unknown_keys(|k| DEVELOPER_CONTROLS.iter().any(|(n, _)| *n == k));
    let (credentials, check) = credentials(saved, form);
    let mut settings = saved.settings.clone();
    let dev = &mut settings.developer;
    dev.api_token_configured = credentials.token.is_some();
    take(
        &mut dev.default_crm_user_id,
        default_user(saved, form),
        &mut problems,
    );
    for (key, slot) in [
        ("batch_add_comment", &mut dev.batch_add_comment),
        ("batch_ticket_update", &mut dev.batch_ticket_update),
        ("call_recording", &mut dev.call_recording),
    ] {
        take(
            slot,
            form.checkbox(key, &format!("developer.{key}")),
            &mut problems,
        );
    }
    let mut frequency_typed = None;
    if let Some(text) = form.get("batch_frequency_s") {
        match frequency(text) {
            Ok(seconds) => dev.batch_frequency_s = seconds,
            Err(problem) => {
                problems.push(problem);
                frequency_typed = Some(text.to_owned());
            }
        }
    }
    if let Some(text) = form.get("api_response_comment") {
        take(
            &mut dev.api_response_comment,
            api_response(text),
            &mut problems,
        );
    }
    if let Some(text) = form.get("field_mapping") {
        take(&mut dev.field_mapping, field_mapping(text), &mut problems);
    }
    let saved_field = saved.settings.developer.outbound_ticket_phone_field;
    take(
        &mut dev.outbound_ticket_phone_field,
        phone_field(&saved.ticket_fields, saved_field, form),
        &mut problems,
    );
    let phone_field_sent = Some((
        form.checkbox("outbound_ticket_field", "developer.outbound_ticket_field")
            .unwrap_or(false),
        form.get("outbound_ticket_phone_field").map_or_else(
            || saved_field.map_or(String::new(), |id| id.to_string()),
            |text| text.trim().to_owned(),
        ),
    ));
    let candidate = Candidate {
        settings,
        credentials,
        check,
        frequency_typed,
        phone_field_sent,
    };
    (candidate, problems)
}

/// Whether Zendesk accepts `token` acting as `email`: `users/me` answers that user (an API
/// token that authenticates no one gets the anonymous user, or 401).
async fn token_works(app: &App, email: &str, token: &str) -> bool {
    let r = crate::zendesk::handle(
        app,
        zendesk_request("GET", "users/me", "", Value::Null, email, token),
    )
    .await;
    r.status == 200
        && r.body
            .as_ref()
            .is_some_and(|b| b["user"]["id"].as_u64().is_some())
}

fn checkbox(id: &str, key: &str, label: &str, help: &str, on: bool, p: &[FormProblem]) -> String {
    Control::new(id, key, label, help, Kind::Checkbox(on))
        .problems(&format!("developer.{key}"), p)
        .render()
}

fn token_fieldset(c: &Candidate, token_saved: bool, p: &[FormProblem]) -> String {
    let state = if token_saved {
        "A token is saved."
    } else {
        "No token is saved."
    };
    let email = Control::new(
        "dev-api-email",
        "api_email",
        "API user email",
        "The Zendesk agent or administrator the token acts as.",
        Kind::Text("email", c.credentials.email.clone()),
    )
    .problems("developer.api_email", p)
    .render();
    let token = Control::new(
        "dev-api-token",
        "api_token",
        "API token",
        "Leave it empty to keep the saved token; a new token is checked with Zendesk on save.",
        Kind::Text("password", String::new()),
    )
    .problems("developer.api_token", p)
    .render();
    fieldset(
        "Zendesk API token",
        &format!("<p data-testid=\"dev-token-state\">{state}</p>{email}{token}"),
    )
}

fn default_user_fieldset(c: &Candidate, staff: &[(u64, String)], p: &[FormProblem]) -> String {
    let chosen = c.settings.developer.default_crm_user_id;
    let tick = checkbox(
        "dev-default-user",
        "default_user",
        "Default User",
        "Records no agent owns (abandoned calls, voicemail) are owned by the user chosen below.",
        chosen.is_some(),
        p,
    );
    let options: Vec<(String, String)> = staff
        .iter()
        .map(|(id, name)| (id.to_string(), name.clone()))
        .collect();
    let selected = chosen
        .or_else(|| staff.first().map(|(id, _)| *id))
        .map_or(String::new(), |id| id.to_string());
    let select = Control::new(
        "dev-default-user-id",
        "default_crm_user_id",
        "Default CRM user",
        "A Zendesk agent or administrator of the account.",
        Kind::Select(options, selected),
    )
    .problems("developer.default_crm_user_id", p)
    .render();
    fieldset("Default CRM user", &format!("{tick}{select}"))
}

fn batching_fieldset(c: &Candidate, p: &[FormProblem]) -> String {
    let dev = &c.settings.developer;
    let add = checkbox(
        "dev-batch-add-comment",
        "batch_add_comment",
        "Add Comment",
        "Comments on tickets are grouped and sent once per window.",
        dev.batch_add_comment,
        p,
    );
    let update = checkbox(
        "dev-batch-ticket-update",
        "batch_ticket_update",
        "Assignment / Ticket Update",
        "Ticket updates and assignments are grouped and sent once per window.",
        dev.batch_ticket_update,
        p,
    );
    let frequency = Control::new(
        "dev-batch-frequency",
        "batch_frequency_s",
        "Batch Frequency (seconds)",
        "How long requests are grouped: 1 to 60 seconds, 10 recommended. Batching needs a saved \
API token.",
        Kind::Number(
            c.frequency_typed
                .clone()
                .unwrap_or_else(|| dev.batch_frequency_s.to_string()),
            MIN_BATCH_FREQUENCY_S,
            MAX_BATCH_FREQUENCY_S,
        ),
    )
    .problems("developer.batch_frequency_s", p)
    .render();
    fieldset("API batching", &format!("{add}{update}{frequency}"))
}

fn session_data_fieldset(c: &Candidate, p: &[FormProblem]) -> String {
    let dev = &c.settings.developer;
    let format = match dev.api_response_comment {
        ApiResponseComment::Off => "off",
        ApiResponseComment::KeyValue => "key_value",
        ApiResponseComment::Json => "json",
    };
    let options = [
        ("off", "Off"),
        ("key_value", "Key-value pairs"),
        ("json", "JSON"),
    ]
    .map(|(v, t)| (v.to_owned(), t.to_owned()))
    .to_vec();
    let response = Control::new(
        "dev-api-response",
        "api_response_comment",
        "API response data as comment",
        "How data an API returns during a session is posted on the ticket, as an internal \
comment.",
        Kind::Select(options, format.to_owned()),
    )
    .problems("developer.api_response_comment", p)
    .render();
    let recording = checkbox(
        "dev-call-recording",
        "call_recording",
        "Call recording",
        "Calls are recorded, and the end of a call writes its recording on the ticket.",
        dev.call_recording,
        p,
    );
    let mapping = Control::new(
        "dev-field-mapping",
        "field_mapping",
        "Custom field mapping",
        "One \"key = field title or id\" per line: the SDK's custom data key and the ticket \
field it is written to.",
        Kind::Textarea(mapping_text(&dev.field_mapping)),
    )
    .problems("developer.field_mapping", p)
    .render();
    fieldset("Session data", &format!("{response}{recording}{mapping}"))
}

/// "Outbound Ticket Settings" (TEAM-19): the tick, and the account's ticket fields to choose
/// from. A choice that is not one of them (saved through the control API, or sent in a refused
/// save) is listed as such, so that the page shows it rather than another field.
fn outbound_ticket_fieldset(
    c: &Candidate,
    ticket_fields: &[(u64, String)],
    p: &[FormProblem],
) -> String {
    let saved = c.settings.developer.outbound_ticket_phone_field;
    let (ticked, chosen) = c.phone_field_sent.clone().unwrap_or_else(|| {
        (
            saved.is_some(),
            saved.map_or(String::new(), |id| id.to_string()),
        )
    });
    let tick = checkbox(
        "dev-outbound-ticket-field",
        "outbound_ticket_field",
        "Take the phone number from a ticket field",
        "Unticked, a call placed with a team's Ticket ID dials the default phone number of the \
ticket's requester. Ticked, it dials the number in the ticket field chosen below, and places no \
call when that field is empty.",
        ticked,
        p,
    );
    let mut options: Vec<(String, String)> =
        vec![(String::new(), "Choose a ticket field".to_owned())];
    options.extend(
        ticket_fields
            .iter()
            .map(|(id, text)| (id.to_string(), text.clone())),
    );
    if !options.iter().any(|(value, _)| *value == chosen) {
        options.push((
            chosen.clone(),
            format!("Field ID {chosen} (not a ticket field of the account)"),
        ));
    }
    let select = Control::new(
        "dev-outbound-ticket-field-id",
        "outbound_ticket_phone_field",
        "Ticket field with the phone number",
        "One of the account's Zendesk ticket fields, by title and Field ID (Zendesk: Settings > \
Ticket Fields). Used only while the box above is ticked.",
        Kind::Select(options, chosen),
    )
    .problems("developer.outbound_ticket_phone_field", p)
    .render();
    fieldset("Outbound Ticket Settings", &format!("{tick}{select}"))
}

fn page_body(c: &Candidate, saved: &Saved, notice: &str, p: &[FormProblem]) -> String {
    let crm = Control::new(
        "dev-crm",
        "",
        "CRM",
        "The CRM the platform writes calls and chats to.",
        Kind::ReadOnly("Zendesk".into()),
    )
    .render();
    let controls = format!(
        "{crm}{}{}{}{}{}",
        token_fieldset(c, saved.credentials.token.is_some(), p),
        default_user_fieldset(c, &saved.staff, p),
        batching_fieldset(c, p),
        session_data_fieldset(c, p),
        outbound_ticket_fieldset(c, &saved.ticket_fields, p),
    );
    format!(
        "{notice}{}",
        settings_form(Page::Developer.path(), &controls)
    )
}

fn unchanged(saved: &Saved) -> Candidate {
    Candidate {
        settings: saved.settings.clone(),
        credentials: saved.credentials.clone(),
        check: None,
        frequency_typed: None,
        phone_field_sent: None,
    }
}

/// `GET /portal/developer`.
pub(crate) async fn show(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(admin) = signed_in(&app, &headers) else {
        return to_sign_in();
    };
    let saved = Saved::of(&app);
    let body = page_body(&unchanged(&saved), &saved, "", &[]);
    respond(&app, &admin, Page::Developer, StatusCode::OK, &body)
}

/// `POST /portal/developer`: a new token or email is checked with Zendesk first (refused: the
/// saved pair stays, Default User is unticked, the rest is saved); then saved whole, or refused
/// whole (422) with each problem named.
pub(crate) async fn save(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(admin) = signed_in(&app, &headers) else {
        return to_sign_in();
    };
    let saved = Saved::of(&app);
    let (mut candidate, mut problems) = build(&saved, &Form::parse(&body));
    let mut token_refused = false;
    if problems.is_empty() {
        if let Some((email, token)) = candidate.check.take() {
            if !token_works(&app, &email, &token).await {
                token_refused = true;
                candidate.keep_saved_credentials(&saved);
            }
        }
    }
    let domain = candidate.settings.problems();
    problems.extend(domain.into_iter().map(FormProblem::from));
    if !problems.is_empty() {
        if token_refused {
            problems.insert(0, FormProblem::new("developer.api_token", TOKEN_MISMATCH));
        }
        let notice = error_summary(Page::Developer, &problems);
        let body = page_body(&candidate, &saved, &notice, &problems);
        return respond(
            &app,
            &admin,
            Page::Developer,
            StatusCode::UNPROCESSABLE_ENTITY,
            &body,
        );
    }
    app.world().api_credentials = candidate.credentials.clone();
    app.save_settings(candidate.settings.clone());
    app.announce_settings();
    let mut notice = saved_notice(
        &app,
        " will use these settings from the next dial screen they open (CRM batching from their \
next sign-in); the platform's own writes use them now.",
        "",
    );
    if token_refused {
        notice.push_str(&format!(
            "<p class=\"errors\" role=\"alert\" data-testid=\"dev-token-error\">{}</p>",
            html_escape(TOKEN_REFUSED)
        ));
    }
    let now = Saved::of(&app);
    let body = page_body(&unchanged(&now), &now, &notice, &[]);
    respond(&app, &admin, Page::Developer, StatusCode::OK, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_mapping_lines() {
        let m = field_mapping("tier = Customer tier\n\n order=4300000123 \n").unwrap();
        assert_eq!(
            m,
            vec![
                FieldMapping {
                    key: "tier".into(),
                    field: "Customer tier".into()
                },
                FieldMapping {
                    key: "order".into(),
                    field: "4300000123".into()
                },
            ]
        );
        assert_eq!(mapping_text(&m), "tier = Customer tier\norder = 4300000123");
        assert!(field_mapping("tier").is_err());
        assert!(field_mapping("a = x\na = y").is_err());
    }

    fn ticket_fields() -> Vec<(u64, String)> {
        vec![
            (
                4_300_000_100,
                "Number <to> dial (Field ID 4300000100)".to_owned(),
            ),
            (
                4_300_000_101,
                "Call direction (Field ID 4300000101)".to_owned(),
            ),
        ]
    }

    // TEAM-19: unticked is the requester's default phone; ticked needs one of the account's
    // ticket fields.
    #[test]
    fn outbound_ticket_field_as_sent() {
        let fields = ticket_fields();
        let read = |body: &str, saved: Option<u64>| {
            phone_field(&fields, saved, &Form::parse(body.as_bytes()))
        };
        assert_eq!(
            read("outbound_ticket_phone_field=4300000100", None),
            Ok(None)
        );
        assert_eq!(
            read("outbound_ticket_phone_field=junk", Some(4_300_000_100)),
            Ok(None)
        );
        assert_eq!(
            read(
                "outbound_ticket_field=on&outbound_ticket_phone_field=4300000101",
                None
            ),
            Ok(Some(4_300_000_101))
        );
        assert_eq!(
            read("outbound_ticket_field=on", Some(4_300_000_100)),
            Ok(Some(4_300_000_100))
        );
        let none = read(
            "outbound_ticket_field=on&outbound_ticket_phone_field=",
            Some(4_300_000_100),
        )
        .unwrap_err();
        assert_eq!(none.field, "developer.outbound_ticket_phone_field");
        assert_eq!(none.message, NO_PHONE_FIELD);
        assert_eq!(
            read("outbound_ticket_field=on", None).unwrap_err().message,
            NO_PHONE_FIELD
        );
        for bad in ["999", "abc", "-1"] {
            let body = format!("outbound_ticket_field=on&outbound_ticket_phone_field={bad}");
            let problem = read(body.as_str(), None).unwrap_err();
            assert_eq!(problem.field, "developer.outbound_ticket_phone_field");
            assert!(
                problem
                    .message
                    .contains("is not a ticket field of the account"),
                "{problem:?}"
            );
        }
        assert!(read("outbound_ticket_field=maybe", None).is_err());
    }

    #[test]
    fn outbound_ticket_fieldset_shows_the_saved_or_sent_choice() {
        let candidate = |saved: Option<u64>, sent: Option<(bool, String)>| {
            let mut settings = Settings::default();
            settings.developer.outbound_ticket_phone_field = saved;
            Candidate {
                settings,
                credentials: ApiCredentials::default(),
                check: None,
                frequency_typed: None,
                phone_field_sent: sent,
            }
        };
        let fields = ticket_fields();
        let saved = outbound_ticket_fieldset(&candidate(Some(4_300_000_101), None), &fields, &[]);
        assert!(
            saved.contains("<legend>Outbound Ticket Settings</legend>"),
            "{saved}"
        );
        assert!(saved.contains(" checked>"), "{saved}");
        assert!(
            saved.contains(
                "<option value=\"4300000101\" selected>Call direction (Field ID 4300000101)</option>"
            ),
            "{saved}"
        );
        assert!(
            saved.contains(
                "<option value=\"4300000100\">Number &lt;to&gt; dial (Field ID 4300000100)</option>"
            ),
            "{saved}"
        );

        let off = outbound_ticket_fieldset(&candidate(None, None), &fields, &[]);
        assert!(!off.contains(" checked>"), "{off}");
        assert!(
            off.contains("<option value=\"\" selected>Choose a ticket field</option>"),
            "{off}"
        );

        let problems = [FormProblem::new(
            "developer.outbound_ticket_phone_field",
            "Not <one>",
        )];
        let refused = outbound_ticket_fieldset(
            &candidate(None, Some((true, "999".to_owned()))),
            &fields,
            &problems,
        );
        assert!(refused.contains(" checked>"), "{refused}");
        assert!(
            refused.contains(
                "<option value=\"999\" selected>Field ID 999 (not a ticket field of the account)</option>"
            ),
            "{refused}"
        );
        assert!(
            refused.contains(
                "data-testid=\"error-developer-outbound_ticket_phone_field\">Not &lt;one&gt;</p>"
            ),
            "{refused}"
        );
    }

    #[test]
    fn api_response_formats() {
        assert_eq!(api_response("json"), Ok(ApiResponseComment::Json));
        assert_eq!(api_response("key_value"), Ok(ApiResponseComment::KeyValue));
        assert!(api_response("xml").is_err());
    }
}
