//! Settings > Users & Teams (TEAM-12: each team's "Enable Ticket ID"† and "Required"†, with its
//! agents) and Settings > Queue (TEAM-13: each IVR queue's "Instant Voice Call"† and "Assign
//! Agents"†; TEAM-14: its outbound number). TEAM-11: a team takes part in ticket entry once it is
//! enabled, assigned to a queue, and that queue has a default outbound number.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::settings::Team;

use super::form::{Form, FormProblem};
use super::html::{error_summary, fieldset, html_escape, settings_form, Control, Kind, Lock};
use super::{respond, saved_notice, signed_in, to_sign_in, Page};
use crate::model::{Agent, IvrQueue, OutboundNumber};
use crate::state::App;

/// TEAM-12: why "Required" is locked while "Enable Ticket ID" is off.
pub const NEEDS_ENABLED: &str = "Needs \"Enable Ticket ID\"";

/// TEAM-14: a queue with no outbound number.
pub const NO_OUTBOUND_NUMBER: &str =
    "This queue has no outbound number: agents assigned to it cannot place outbound calls.";

/// The teams the form asks for, and what the portal refuses in them (unknown keys, values that
/// are not on or off, [`Team::validate`]).
fn build_teams(saved: &[Team], form: &Form) -> (Vec<Team>, Vec<FormProblem>) {
    let known = |k: &str| {
        saved.iter().any(|t| {
            k == format!("team-{}-enabled", t.id) || k == format!("team-{}-required", t.id)
        })
    };
    let mut problems = form.unknown_keys(known);
    let mut teams = saved.to_vec();
    for t in &mut teams {
        for (key, slot) in [
            ("enabled", &mut t.ticket_id_entry.enabled),
            ("required", &mut t.ticket_id_entry.required),
        ] {
            let field = format!("teams.{}.{key}", t.id);
            match form.checkbox(&format!("team-{}-{key}", t.id), &field) {
                Ok(on) => *slot = on,
                Err(p) => problems.push(p),
            }
        }
        if let Err(e) = t.validate() {
            problems.push(FormProblem::new(
                &format!("teams.{}.required", t.id),
                e.to_string(),
            ));
        }
    }
    (teams, problems)
}

fn agents_list(agents: &[Agent], team: u64) -> String {
    let items: String = agents
        .iter()
        .filter(|a| a.team_id == team)
        .map(|a| {
            format!(
                "<li>{} ({})</li>",
                html_escape(&a.name),
                html_escape(&a.email)
            )
        })
        .collect();
    if items.is_empty() {
        return "<p>No agent is in this team.</p>".into();
    }
    format!("<p>Agents in this team:</p><ul data-testid=\"team-{team}-agents\">{items}</ul>")
}

/// TEAM-12: what locks team `t`'s "Required": its "Enable Ticket ID" off.
fn required_lock(t: &Team) -> Lock<'static> {
    Lock {
        by: format!("team-{}-enabled", t.id),
        by_on: t.ticket_id_entry.enabled,
        when: false,
        reason: NEEDS_ENABLED,
    }
}

fn team_fieldset(t: &Team, agents: &[Agent], p: &[FormProblem]) -> String {
    let entry = t.ticket_id_entry;
    let enabled = Control::new(
        &format!("team-{}-enabled", t.id),
        &format!("team-{}-enabled", t.id),
        "Enable Ticket ID",
        "The team's agents are asked for a Ticket ID before an outbound call, while team-based \
ticket entry is on in Operation Management.",
        Kind::Checkbox(entry.enabled),
    )
    .problems(&format!("teams.{}.enabled", t.id), p)
    .render();
    let required = Control::new(
        &format!("team-{}-required", t.id),
        &format!("team-{}-required", t.id),
        "Required",
        "Call stays disabled until the agent enters a usable Ticket ID.",
        Kind::Checkbox(entry.required),
    )
    .locked_by(&[required_lock(t)], entry.required)
    .problems(&format!("teams.{}.required", t.id), p)
    .render();
    fieldset(
        &t.name,
        &format!("{enabled}{required}{}", agents_list(agents, t.id)),
    )
}

fn teams_body(teams: &[Team], agents: &[Agent], notice: &str, p: &[FormProblem]) -> String {
    let controls: String = teams.iter().map(|t| team_fieldset(t, agents, p)).collect();
    format!(
        "<p>Each team's outbound call ticket entry, and the agents in it.</p>{notice}{}",
        settings_form(Page::Teams.path(), &controls)
    )
}

/// `GET /portal/teams`.
pub(crate) async fn show_teams(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(admin) = signed_in(&app, &headers) else {
        return to_sign_in();
    };
    let (teams, agents) = {
        let w = app.world();
        (w.teams.clone(), w.agents.clone())
    };
    let body = teams_body(&teams, &agents, "", &[]);
    respond(&app, &admin, Page::Teams, StatusCode::OK, &body)
}

/// `POST /portal/teams`: saved whole, or refused whole (422) with each problem named.
pub(crate) async fn save_teams(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(admin) = signed_in(&app, &headers) else {
        return to_sign_in();
    };
    let (saved, agents) = {
        let w = app.world();
        (w.teams.clone(), w.agents.clone())
    };
    let (teams, problems) = build_teams(&saved, &Form::parse(&body));
    if !problems.is_empty() {
        let notice = error_summary(Page::Teams, &problems);
        let body = teams_body(&teams, &agents, &notice, &problems);
        return respond(
            &app,
            &admin,
            Page::Teams,
            StatusCode::UNPROCESSABLE_ENTITY,
            &body,
        );
    }
    app.world().teams = teams.clone();
    app.announce_settings();
    let notice = saved_notice(
        &app,
        " get their team's settings at their next dial screen.",
        "",
    );
    let body = teams_body(&teams, &agents, &notice, &[]);
    respond(&app, &admin, Page::Teams, StatusCode::OK, &body)
}

/// The queues the form asks for, and what the portal refuses in them (unknown keys, values that
/// are not on or off, an outbound number that is not the account's).
fn build_queues(
    saved: &[IvrQueue],
    teams: &[Team],
    numbers: &[OutboundNumber],
    form: &Form,
) -> (Vec<IvrQueue>, Vec<FormProblem>) {
    let known = |k: &str| {
        saved.iter().any(|q| {
            k == format!("queue-{}-instant", q.id)
                || k == format!("queue-{}-number", q.id)
                || teams
                    .iter()
                    .any(|t| k == format!("queue-{}-team-{}", q.id, t.id))
        })
    };
    let mut problems = form.unknown_keys(known);
    let mut queues = saved.to_vec();
    for q in &mut queues {
        let field = format!("queues.{}.instant_voice_call", q.id);
        match form.checkbox(&format!("queue-{}-instant", q.id), &field) {
            Ok(on) => q.instant_voice_call = on,
            Err(p) => problems.push(p),
        }
        let mut assigned = Vec::new();
        for t in teams {
            let field = format!("queues.{}.team-{}", q.id, t.id);
            match form.checkbox(&format!("queue-{}-team-{}", q.id, t.id), &field) {
                Ok(true) => assigned.push(t.id),
                Ok(false) => {}
                Err(p) => problems.push(p),
            }
        }
        q.team_ids = assigned;
        if let Some(n) = form.get(&format!("queue-{}-number", q.id)).map(str::trim) {
            if n.is_empty() {
                q.outbound_number = None;
            } else if numbers.iter().any(|o| o.number == n) {
                q.outbound_number = Some(n.to_owned());
            } else {
                problems.push(FormProblem::new(
                    &format!("queues.{}.outbound_number", q.id),
                    format!("{n} is not one of the account's outbound numbers"),
                ));
            }
        }
    }
    (queues, problems)
}

fn queue_fieldset(
    q: &IvrQueue,
    teams: &[Team],
    numbers: &[OutboundNumber],
    p: &[FormProblem],
) -> String {
    let instant = Control::new(
        &format!("queue-{}-instant", q.id),
        &format!("queue-{}-instant", q.id),
        "Instant Voice Call",
        "The queue takes voice calls, offered to the agents of its teams at once.",
        Kind::Checkbox(q.instant_voice_call),
    )
    .problems(&format!("queues.{}.instant_voice_call", q.id), p)
    .render();
    let assign: String = teams
        .iter()
        .map(|t| {
            Control::new(
                &format!("queue-{}-team-{}", q.id, t.id),
                &format!("queue-{}-team-{}", q.id, t.id),
                &t.name,
                "Its agents take this queue's calls.",
                Kind::Checkbox(q.team_ids.contains(&t.id)),
            )
            .problems(&format!("queues.{}.team-{}", q.id, t.id), p)
            .render()
        })
        .collect();
    let mut options = vec![(String::new(), "No outbound number".to_owned())];
    options.extend(
        numbers
            .iter()
            .map(|n| (n.number.clone(), format!("{} ({})", n.label, n.number))),
    );
    let mut number = Control::new(
        &format!("queue-{}-number", q.id),
        &format!("queue-{}-number", q.id),
        "Default outbound number",
        "The number agents of the queue's teams call from.",
        Kind::Select(options, q.outbound_number.clone().unwrap_or_default()),
    )
    .problems(&format!("queues.{}.outbound_number", q.id), p);
    if q.outbound_number.is_none() {
        number = number.note(&format!("queue-{}-no-number", q.id), NO_OUTBOUND_NUMBER);
    }
    fieldset(
        &format!("IVR queue: {}", q.name),
        &format!(
            "{instant}{}{}",
            fieldset("Assign Agents", &assign),
            number.render()
        ),
    )
}

fn queues_body(
    queues: &[IvrQueue],
    teams: &[Team],
    numbers: &[OutboundNumber],
    notice: &str,
    p: &[FormProblem],
) -> String {
    let controls: String = queues
        .iter()
        .map(|q| queue_fieldset(q, teams, numbers, p))
        .collect();
    format!(
        "<p>The IVR queues: whether each takes calls, which teams answer them, and the number \
agents call from.</p>{notice}{}",
        settings_form(Page::Queue.path(), &controls)
    )
}

/// What the queue page shows: the queues, the teams, the account's outbound numbers.
fn queue_data(app: &App) -> (Vec<IvrQueue>, Vec<Team>, Vec<OutboundNumber>) {
    let w = app.world();
    (w.queues.clone(), w.teams.clone(), w.numbers.clone())
}

/// `GET /portal/queue`.
pub(crate) async fn show_queues(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(admin) = signed_in(&app, &headers) else {
        return to_sign_in();
    };
    let (queues, teams, numbers) = queue_data(&app);
    let body = queues_body(&queues, &teams, &numbers, "", &[]);
    respond(&app, &admin, Page::Queue, StatusCode::OK, &body)
}

/// `POST /portal/queue`: saved whole, or refused whole (422) with each problem named.
pub(crate) async fn save_queues(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(admin) = signed_in(&app, &headers) else {
        return to_sign_in();
    };
    let (saved, teams, numbers) = queue_data(&app);
    let (queues, problems) = build_queues(&saved, &teams, &numbers, &Form::parse(&body));
    if !problems.is_empty() {
        let notice = error_summary(Page::Queue, &problems);
        let body = queues_body(&queues, &teams, &numbers, &notice, &problems);
        return respond(
            &app,
            &admin,
            Page::Queue,
            StatusCode::UNPROCESSABLE_ENTITY,
            &body,
        );
    }
    app.world().queues = queues.clone();
    app.announce_settings();
    let notice = saved_notice(&app, " will use them from their next call.", "");
    let body = queues_body(&queues, &teams, &numbers, &notice, &[]);
    respond(&app, &admin, Page::Queue, StatusCode::OK, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::settings::TicketIdEntry;

    // The lock the page's script follows is the rule a save is checked by (TEAM-12): a team is
    // refused exactly when "Required" is on while its lock holds.
    #[test]
    fn the_required_lock_is_the_rule_a_save_is_checked_by() {
        for (enabled, required) in [(false, false), (false, true), (true, false), (true, true)] {
            let t = Team {
                id: 7,
                name: "Sales".into(),
                ticket_id_entry: TicketIdEntry { enabled, required },
            };
            let lock = required_lock(&t);
            assert_eq!(lock.by, "team-7-enabled");
            let holds = lock.by_on == lock.when;
            assert_eq!(
                t.validate().is_err(),
                required && holds,
                "{enabled} {required}"
            );
        }
    }
}
