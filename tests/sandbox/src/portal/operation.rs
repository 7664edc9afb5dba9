//! Settings > Operation Management: the five switches that change the agents' dial screen
//! (SET-13), tickets for abandoned calls (SET-14), team-based ticket entry (TEAM-3) and the
//! ticket title (SET-15). "Create a new ticket" needs the prompt (SET-4); "Do not append" locks
//! the prompt and "Create a new ticket" (SET-11); SET-8's warning stands beside "Do not create a
//! ticket".

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::settings::{OperationManagement, Settings, DEFAULT_TICKET_TITLE};

use super::form::{Form, FormProblem};
use super::html::{error_summary, fieldset, settings_form, Control, Kind, Lock};
use super::{respond, saved_notice, signed_in, to_sign_in, Page};
use crate::state::App;

/// SET-8: beside "Do not create a ticket".
pub const SET8_WARNING: &str = "Do not enable this if regulations or compliance standards \
require access to all call recordings: the platform cannot retrieve the recordings of calls for \
which no ticket is created.";

/// SET-4: why "Create a new ticket" is locked while the prompt is off.
pub const NEEDS_PROMPT: &str = "Needs \"Prompt agents to select open ticket from list\"";

/// SET-11: why the prompt and "Create a new ticket" are locked while "Do not append" is on.
pub const LOCKED_BY_DO_NOT_APPEND: &str =
    "Locked while \"Do not append call or chat session to any existing open ticket\" is on";

const TITLE_KEY: &str = "ticket_title";

/// A switch: its key in [`OperationManagement`], its label, and what it changes for agents.
struct Switch {
    key: &'static str,
    label: &'static str,
    help: &'static str,
}

const SWITCHES: [Switch; 7] = [
    Switch {
        key: "do_not_append",
        label: "Do not append call or chat session to any existing open ticket",
        help: "Every call and chat gets a new ticket: agents choose no Ticket ID and nothing is \
appended to a contact's open ticket.",
    },
    Switch {
        key: "abandoned_call_ticket",
        label: "Ticket for abandoned calls",
        help: "A call the caller abandons before an agent answers gets a ticket, owned by the \
default CRM user.",
    },
    Switch {
        key: "prompt_select_open_ticket",
        label: "Prompt agents to select open ticket from list (when applicable)",
        help: "When the contact has open tickets, agents choose one from a list instead of \
getting the most recent one selected for them.",
    },
    Switch {
        key: "allow_create_new_ticket",
        label: "Allow agent to select \"Create a new ticket\" option for outbound calls",
        help: "The ticket list offers \"Create a new ticket\", so agents can log an outbound call \
on a new ticket.",
    },
    Switch {
        key: "allow_do_not_create_ticket",
        label: "Allow agent to select \"Do not create a ticket\" option for outbound calls",
        help: "Agents can place an outbound call that creates no ticket and no contact.",
    },
    Switch {
        key: "allow_use_entered_number",
        label: "Allow \"Use entered number to make call\" option",
        help: "Agents can call a number that is not saved on the selected contact; the number \
goes into the ticket comment only.",
    },
    Switch {
        key: "team_ticket_entry",
        label: "Team-based outbound call ticket entry",
        help: "Agents of a team with \"Enable Ticket ID\" (Users & Teams) are asked for a Ticket \
ID before they call.",
    },
];

/// The switch `key` of `op`.
fn switch<'a>(op: &'a mut OperationManagement, key: &str) -> Option<&'a mut bool> {
    Some(match key {
        "do_not_append" => &mut op.do_not_append,
        "abandoned_call_ticket" => &mut op.abandoned_call_ticket,
        "prompt_select_open_ticket" => &mut op.prompt_select_open_ticket,
        "allow_create_new_ticket" => &mut op.allow_create_new_ticket,
        "allow_do_not_create_ticket" => &mut op.allow_do_not_create_ticket,
        "allow_use_entered_number" => &mut op.allow_use_entered_number,
        "team_ticket_entry" => &mut op.team_ticket_entry,
        _ => return None,
    })
}

fn value(op: &OperationManagement, key: &str) -> bool {
    let mut op = op.clone();
    switch(&mut op, key).is_some_and(|b| *b)
}

/// What locks switch `key`, first the rule that wins (SET-11, then SET-4): the switch that
/// locks it, the value of that switch that does, and why.
fn locks(key: &str) -> &'static [(&'static str, bool, &'static str)] {
    const BY_DO_NOT_APPEND: (&str, bool, &str) = ("do_not_append", true, LOCKED_BY_DO_NOT_APPEND);
    match key {
        "prompt_select_open_ticket" => &[BY_DO_NOT_APPEND],
        "allow_create_new_ticket" => &[
            BY_DO_NOT_APPEND,
            ("prompt_select_open_ticket", false, NEEDS_PROMPT),
        ],
        _ => &[],
    }
}

/// The rules of [`locks`] for switch `key`, with the values of `op`.
fn lock_rules(op: &OperationManagement, key: &str) -> Vec<Lock<'static>> {
    locks(key)
        .iter()
        .map(|&(by, when, reason)| Lock {
            by: format!("om-{by}"),
            by_on: value(op, by),
            when,
            reason,
        })
        .collect()
}

/// The settings the form asks for (the saved ones with the form's Operation Management), and
/// everything the portal refuses in them: unknown keys, values that are not on or off, and
/// [`Settings::problems`].
pub(crate) fn build(saved: &Settings, form: &Form) -> (Settings, Vec<FormProblem>) {
    let mut problems = form.unknown_keys(|k| k == TITLE_KEY || SWITCHES.iter().any(|s| s.key == k));
    let mut settings = saved.clone();
    for s in &SWITCHES {
        match form.checkbox(s.key, &format!("operation.{}", s.key)) {
            Ok(on) => {
                if let Some(b) = switch(&mut settings.operation, s.key) {
                    *b = on;
                }
            }
            Err(p) => problems.push(p),
        }
    }
    if let Some(title) = form.get(TITLE_KEY) {
        settings.operation.ticket_title = title.trim().to_owned();
    }
    problems.extend(settings.problems().into_iter().map(FormProblem::from));
    (settings, problems)
}

fn switch_control(op: &OperationManagement, s: &Switch, problems: &[FormProblem]) -> String {
    let on = value(op, s.key);
    let id = format!("om-{}", s.key);
    let mut c = Control::new(&id, s.key, s.label, s.help, Kind::Checkbox(on))
        .locked_by(&lock_rules(op, s.key), on)
        .problems(&format!("operation.{}", s.key), problems);
    if s.key == "allow_do_not_create_ticket" {
        c = c.note("om-set8-warning", SET8_WARNING);
    }
    c.render()
}

fn switches(op: &OperationManagement, keys: &[&str], problems: &[FormProblem]) -> String {
    SWITCHES
        .iter()
        .filter(|s| keys.contains(&s.key))
        .map(|s| switch_control(op, s, problems))
        .collect()
}

fn title_control(op: &OperationManagement, problems: &[FormProblem]) -> String {
    Control::new(
        "om-ticket_title",
        TITLE_KEY,
        "Ticket title",
        &format!(
            "The subject of tickets created for SDK chats; it may use {{channel}}, {{menu_path}} \
and {{contact_name}}. Left empty, it is \"{DEFAULT_TICKET_TITLE}\"."
        ),
        Kind::Text("text", op.ticket_title.clone()),
    )
    .problems("operation.ticket_title", problems)
    .render()
}

/// The page's body: `notice` (saved, or the summary of a refused save), then the form.
fn page_body(op: &OperationManagement, notice: &str, problems: &[FormProblem]) -> String {
    let tickets = format!(
        "{}{}",
        switches(op, &["do_not_append", "abandoned_call_ticket"], problems),
        title_control(op, problems)
    );
    let cases = switches(
        op,
        &[
            "prompt_select_open_ticket",
            "allow_create_new_ticket",
            "allow_do_not_create_ticket",
            "allow_use_entered_number",
        ],
        problems,
    );
    let team = switches(op, &["team_ticket_entry"], problems);
    let controls = format!(
        "{}{}{}",
        fieldset("Tickets for calls and chats", &tickets),
        fieldset("Multiple Account/Cases", &cases),
        fieldset("Team-based outbound call ticket entry", &team),
    );
    format!(
        "<p>These settings change what agents see on the dial screen.</p>{notice}{}",
        settings_form(Page::Operation.path(), &controls)
    )
}

/// `GET /portal/operation`.
pub(crate) async fn show(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(admin) = signed_in(&app, &headers) else {
        return to_sign_in();
    };
    let op = app.world().settings.operation.clone();
    respond(
        &app,
        &admin,
        Page::Operation,
        StatusCode::OK,
        &page_body(&op, "", &[]),
    )
}

/// `POST /portal/operation`: saved whole, or refused whole (422) with each problem named.
pub(crate) async fn save(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(admin) = signed_in(&app, &headers) else {
        return to_sign_in();
    };
    let saved = app.world().settings.clone();
    let (settings, problems) = build(&saved, &Form::parse(&body));
    if !problems.is_empty() {
        let notice = error_summary(Page::Operation, &problems);
        let body = page_body(&settings.operation, &notice, &problems);
        return respond(
            &app,
            &admin,
            Page::Operation,
            StatusCode::UNPROCESSABLE_ENTITY,
            &body,
        );
    }
    app.save_settings(settings.clone());
    app.announce_settings();
    // SET-15: an empty title is saved, and the title tickets then get is said.
    let fallback = if settings.operation.ticket_title.is_empty() {
        format!(" Ticket title is empty: chat tickets are titled \"{DEFAULT_TICKET_TITLE}\".")
    } else {
        String::new()
    };
    let notice = saved_notice(
        &app,
        " will use these settings from their next dial screen.",
        &fallback,
    );
    respond(
        &app,
        &admin,
        Page::Operation,
        StatusCode::OK,
        &page_body(&settings.operation, &notice, &[]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Why switch `key` is locked under `op`, by [`locks`]: the first rule that holds.
    fn lock(op: &OperationManagement, key: &str) -> Option<&'static str> {
        locks(key)
            .iter()
            .find(|(by, when, _)| value(op, by) == *when)
            .map(|l| l.2)
    }

    // The rules the page's script follows are the rules a save is checked by: over every
    // combination of the switches, the domain accepts a save exactly when no switch that is on
    // has a lock that holds, and each switch a lock holds over is one the domain may refuse.
    #[test]
    fn the_locks_are_the_rules_a_save_is_checked_by() {
        for bits in 0u32..(1 << SWITCHES.len()) {
            let mut settings = Settings::default();
            for (i, s) in SWITCHES.iter().enumerate() {
                *switch(&mut settings.operation, s.key).unwrap() = bits & (1 << i) != 0;
            }
            let op = &settings.operation;
            let locked_on: Vec<&str> = SWITCHES
                .iter()
                .filter(|s| value(op, s.key) && lock(op, s.key).is_some())
                .map(|s| s.key)
                .collect();
            let problems = settings.problems();
            assert_eq!(
                problems.is_empty(),
                locked_on.is_empty(),
                "{op:?}: refused {problems:?}, locked while on {locked_on:?}"
            );
            for p in &problems {
                let key = p.field.trim_start_matches("operation.");
                assert!(locked_on.contains(&key), "{op:?}: {p:?} not locked");
            }
        }
    }
}
