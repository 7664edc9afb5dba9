//! The SDK session ticket fields (FIELD-1, FIELD-13): "Create" makes one Zendesk ticket field per
//! [`SessionField`] through the emulated Zendesk, with the saved API token (its requests are
//! logged with source `platform`), reusing any active field with the same title
//! ([`domain::fields::discover`]), so that pressing it twice creates nothing new; then
//! `developer.custom_fields_created` is set.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::fields::{discover, FieldIds, SessionField};
use serde_json::{json, Value};

use super::form::FormProblem;
use super::html::{error_summary, html_escape};
use super::{respond, signed_in, to_sign_in, zendesk_request, Page};
use crate::state::App;

/// Most pages of ticket fields read (100 a page).
const MAX_PAGES: usize = 50;

/// What "Create" needs: the saved API token.
pub const NO_TOKEN: &str = "Save a Zendesk API token in Developer Settings first: \"Create\" \
writes to Zendesk with it.";

/// A ticket field as listed: id, title, active.
type Listed = (u64, String, bool);

/// The field's name in `data-testid`s: its snake_case name (`crm-field-csat`).
fn snake_name(field: SessionField) -> String {
    serde_json::to_value(field)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The session fields found among `fields` by title.
fn found(fields: &[Listed]) -> FieldIds {
    let account: Vec<(u64, &str, bool)> = fields
        .iter()
        .map(|(id, title, active)| (*id, title.as_str(), *active))
        .collect();
    discover(&account)
}

/// Every ticket field of the account, page after page, through the emulated Zendesk.
async fn list_fields(app: &App, email: &str, token: &str) -> Result<Vec<Listed>, String> {
    let mut out = Vec::new();
    let mut query = "page[size]=100".to_owned();
    for _ in 0..MAX_PAGES {
        let request = zendesk_request("GET", "ticket_fields", &query, Value::Null, email, token);
        let r = crate::zendesk::handle(app, request).await;
        if r.status != 200 {
            return Err(format!(
                "Zendesk answered {} to the list of ticket fields: nothing was created.",
                r.status
            ));
        }
        let body = r.body.unwrap_or(Value::Null);
        let (fields, next) = crate::zendesk::ticket_fields_page(&body);
        out.extend(fields);
        match next {
            Some(after) => {
                query = format!(
                    "page[size]=100&page[after]={}",
                    crate::zendesk::encode_query(&after)
                )
            }
            None => break,
        }
    }
    Ok(out)
}

/// Creates the ticket field of `field`; its id.
async fn create_field(
    app: &App,
    email: &str,
    token: &str,
    field: SessionField,
) -> Result<u64, String> {
    let body = json!({"ticket_field": {
        "type": field.zendesk_type(),
        "title": field.title(),
        "description": "Filled by the contact-centre platform for SDK calls and chats.",
        "active": true,
    }});
    let r = crate::zendesk::handle(
        app,
        zendesk_request("POST", "ticket_fields", "", body, email, token),
    )
    .await;
    r.body
        .as_ref()
        .and_then(|b| b["ticket_field"]["id"].as_u64())
        .filter(|_| r.status == 201)
        .ok_or_else(|| {
            format!(
                "Zendesk answered {} to creating \"{}\": the fields after it were not created.",
                r.status,
                field.title()
            )
        })
}

/// Lists what is there, then creates what is missing; the ids of every session field there is
/// now, how many were created, and the error that stopped it, if any.
async fn create_missing(app: &App, email: &str, token: &str) -> (FieldIds, usize, Option<String>) {
    let listed = match list_fields(app, email, token).await {
        Ok(l) => l,
        Err(e) => return (FieldIds::new(), 0, Some(e)),
    };
    let mut ids = found(&listed);
    let mut made = 0;
    for field in SessionField::ALL {
        if ids.contains_key(&field) {
            continue;
        }
        match create_field(app, email, token, field).await {
            Ok(id) => {
                ids.insert(field, id);
                made += 1;
            }
            Err(e) => return (ids, made, Some(e)),
        }
    }
    (ids, made, None)
}

fn table(ids: &FieldIds) -> String {
    let rows: String = SessionField::ALL
        .iter()
        .map(|f| {
            let title = html_escape(f.title());
            let kind = html_escape(f.zendesk_type());
            match ids.get(f) {
                Some(id) => format!(
                    "<tr data-testid=\"crm-field-{}\"><td>{title}</td><td>{kind}</td><td>{id}</td></tr>",
                    html_escape(&snake_name(*f))
                ),
                None => format!("<tr><td>{title}</td><td>{kind}</td><td>Not created</td></tr>"),
            }
        })
        .collect();
    format!(
        "<table><caption>The ticket fields SDK sessions fill</caption><thead><tr>\
<th scope=\"col\">Field</th><th scope=\"col\">Zendesk type</th><th scope=\"col\">Ticket field id</th>\
</tr></thead><tbody>{rows}</tbody></table>"
    )
}

fn page_body(ids: &FieldIds, created: bool, notice: &str) -> String {
    let state = if created {
        "The session fields are created."
    } else {
        "The session fields are not created yet."
    };
    format!(
        "<p>Tickets of web and mobile SDK calls and chats carry these fields, filled at the end of \
each session. \"Create\" makes the ones the account does not have yet.</p>{notice}\
<p data-testid=\"crm-state\">{state}</p>\
<form method=\"post\" action=\"/portal/crm-fields/create\">\
<button type=\"submit\" data-testid=\"crm-create\">Create</button></form>{}",
        table(ids)
    )
}

/// What the account's fields are now, read from the world (no request).
fn current(app: &App) -> (FieldIds, bool) {
    let w = app.world();
    let listed: Vec<Listed> = w
        .ticket_fields
        .iter()
        .map(|f| (f.id, f.title.clone(), f.active))
        .collect();
    (found(&listed), w.settings.developer.custom_fields_created)
}

/// `GET /portal/crm-fields`.
pub(crate) async fn show(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(admin) = signed_in(&app, &headers) else {
        return to_sign_in();
    };
    let (ids, created) = current(&app);
    let body = page_body(&ids, created, "");
    respond(&app, &admin, Page::CrmFields, StatusCode::OK, &body)
}

/// `POST /portal/crm-fields/create` ("Create", FIELD-13).
pub(crate) async fn create(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(admin) = signed_in(&app, &headers) else {
        return to_sign_in();
    };
    let credentials = app.world().api_credentials.clone();
    let Some(token) = credentials.token else {
        let (ids, created) = current(&app);
        let problems = [FormProblem::new("developer.api_token", NO_TOKEN)];
        let body = page_body(&ids, created, &error_summary(Page::CrmFields, &problems));
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return respond(&app, &admin, Page::CrmFields, status, &body);
    };
    let (ids, made, error) = create_missing(&app, &credentials.email, &token).await;
    if let Some(e) = error {
        let problems = [FormProblem::new(super::form::FORM, e)];
        let created = app.world().settings.developer.custom_fields_created;
        let body = page_body(&ids, created, &error_summary(Page::CrmFields, &problems));
        return respond(
            &app,
            &admin,
            Page::CrmFields,
            StatusCode::BAD_GATEWAY,
            &body,
        );
    }
    let mut settings = app.world().settings.clone();
    settings.developer.custom_fields_created = true;
    app.save_settings(settings);
    app.announce_settings();
    let kept = SessionField::ALL.len() - made;
    let notice = format!(
        "<p class=\"saved\" role=\"status\" data-testid=\"crm-result\">Created {made} ticket \
field(s); {kept} were there already.</p>"
    );
    let body = page_body(&ids, true, &notice);
    respond(&app, &admin, Page::CrmFields, StatusCode::OK, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_names_and_query_values() {
        assert_eq!(snake_name(SessionField::Csat), "csat");
        assert_eq!(
            snake_name(SessionField::CustomerTextFeedback),
            "customer_text_feedback"
        );
        assert_eq!(crate::zendesk::encode_query("c64"), "c64");
        assert_eq!(crate::zendesk::encode_query("a b&"), "a%20b%26");
    }
}
