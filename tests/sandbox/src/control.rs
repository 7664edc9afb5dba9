//! The control API (`/_sandbox/...`): what tests and the workspace's control panel use to set
//! the scene and to look at the result. Documented in the README ("Sandbox").

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::model::{now_ms, PlatformCall, Voicemail};
use crate::platform::{self, rules};
use crate::state::{App, Fault, RateBudget};
use domain::settings::Settings;

mod chats;

/// The control routes, to nest under `/_sandbox`.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/reset", post(reset))
        .route("/settings", get(get_settings).put(put_settings))
        .route(
            "/faults",
            get(get_faults).post(add_faults).delete(clear_faults),
        )
        .route("/requests", get(requests).delete(clear_requests))
        .route("/state", get(state))
        .route("/calls", get(calls))
        .route("/calls/age", post(age_call))
        .route("/journals", get(journals))
        .route("/events", post(events))
        .route("/history", post(history))
        .route("/displays", get(displays))
        .route("/queue", get(queue))
        .route("/queue/flush", post(flush_queue))
        .route("/info", get(info))
        .route("/sessions/end", post(end_sessions))
        .route("/streams/drop", post(drop_streams))
        .route("/zendesk_session", post(zendesk_session))
        .route("/timing", get(get_timing).put(put_timing))
        .merge(chats::routes())
}

fn bad(status: StatusCode, text: impl Into<String>) -> Response {
    (status, Json(json!({"error": text.into()}))).into_response()
}

#[derive(Deserialize, Default)]
struct Reset {
    fixture: Option<String>,
}

async fn reset(State(app): State<App>, body: Option<Json<Reset>>) -> Response {
    let name = body
        .and_then(|b| b.0.fixture)
        .unwrap_or_else(|| app.world().fixture_name.clone());
    match app.reset(&name) {
        Ok(()) => Json(json!({"fixture": name})).into_response(),
        Err(e) => bad(StatusCode::NOT_FOUND, e),
    }
}

fn sandbox_settings(app: &App) -> Value {
    let w = app.world();
    let mut s = json!(w.settings);
    s["rate_limit"] = json!(w.budget.limit);
    s["auto_answer_ms"] = json!(w.auto_answer_ms);
    s["teams"] = json!(w.teams);
    s
}

async fn get_settings(State(app): State<App>) -> Json<Value> {
    Json(sandbox_settings(&app))
}

/// Deep-merges `src` into `dst`: objects key by key, anything else replaced.
pub(crate) fn merge(dst: &mut Value, src: &Value) {
    match (dst, src) {
        (Value::Object(d), Value::Object(s)) => {
            for (k, v) in s {
                merge(d.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (d, s) => *d = s.clone(),
    }
}

/// Deep-merges `{operation?, developer?}` (the `domain::settings::Settings` shape) into the
/// platform settings, plus the sandbox's own `rate_limit`, `auto_answer_ms` and `teams`. Values
/// are checked ([`Settings::validate`]), not the dependencies between switches that the portal
/// refuses ([`Settings::problems`]), so that tests reach what the adapter does with them. When
/// the settings or the teams changed, every agent gets `{"type":"settings.changed"}`.
async fn put_settings(State(app): State<App>, Json(patch): Json<Value>) -> Response {
    let mut merged = {
        let w = app.world();
        json!(w.settings)
    };
    let mut platform_patch = patch.clone();
    if let Some(o) = platform_patch.as_object_mut() {
        for k in ["rate_limit", "auto_answer_ms", "teams"] {
            o.remove(k);
        }
    }
    merge(&mut merged, &platform_patch);
    let settings: Settings = match serde_json::from_value(merged) {
        Ok(s) => s,
        Err(e) => return bad(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    };
    if let Err(e) = settings.validate() {
        return bad(StatusCode::UNPROCESSABLE_ENTITY, e.to_string());
    }
    let teams = match patch.get("teams") {
        Some(t) => match serde_json::from_value::<Vec<domain::settings::Team>>(t.clone()) {
            Ok(t) => Some(t),
            Err(e) => return bad(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        },
        None => None,
    };
    let teams_changed = {
        let mut w = app.world();
        if let Some(l) = patch.get("rate_limit").and_then(Value::as_u64) {
            w.budget = RateBudget::new(u32::try_from(l).unwrap_or(u32::MAX).max(1));
        }
        if let Some(a) = patch.get("auto_answer_ms") {
            w.auto_answer_ms = a.as_u64();
        }
        match teams {
            Some(t) if t != w.teams => {
                w.teams = t;
                true
            }
            _ => false,
        }
    };
    if app.save_settings(settings) || teams_changed {
        app.announce_settings();
    }
    Json(sandbox_settings(&app)).into_response()
}

async fn get_faults(State(app): State<App>) -> Json<Value> {
    Json(json!({"faults": app.world().faults}))
}

async fn add_faults(State(app): State<App>, Json(body): Json<Value>) -> Response {
    let list = if body.is_array() {
        body
    } else {
        Value::Array(vec![body])
    };
    let faults: Vec<Fault> = match serde_json::from_value(list) {
        Ok(f) => f,
        Err(e) => return bad(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    };
    let mut w = app.world();
    w.faults.extend(faults);
    Json(json!({"faults": w.faults})).into_response()
}

async fn clear_faults(State(app): State<App>) -> Json<Value> {
    app.world().faults.clear();
    Json(json!({"faults": []}))
}

#[derive(Deserialize)]
struct After {
    after: Option<u64>,
}

async fn requests(State(app): State<App>, Query(q): Query<After>) -> Json<Value> {
    let after = q.after.unwrap_or(0);
    let w = app.world();
    let list: Vec<_> = w.requests.iter().filter(|r| r.seq > after).collect();
    Json(json!({"requests": list}))
}

async fn clear_requests(State(app): State<App>) -> Json<Value> {
    app.world().requests.clear();
    Json(json!({"requests": []}))
}

#[derive(Deserialize)]
struct CallsOf {
    agent_id: Option<u64>,
}

/// `GET /_sandbox/calls[?agent_id=N]`: the platform's calls (of one agent), as `/state` lists
/// them, without the rest of the world (a test that needs a call's id asks this often).
async fn calls(State(app): State<App>, Query(q): Query<CallsOf>) -> Json<Value> {
    let w = app.world();
    let list: Vec<Value> = w
        .calls
        .values()
        .filter(|c| q.agent_id.is_none_or(|a| c.agent_id == Some(a)))
        .map(PlatformCall::to_json)
        .collect();
    Json(json!({ "calls": list }))
}

#[derive(Deserialize)]
struct Age {
    call_id: u64,
    ms: i64,
}

/// `POST /_sandbox/calls/age {"call_id", "ms"}`: call `call_id` happened `ms` earlier than it
/// did (its start, answer, end and hold moved back), as if time had passed: a call moved past
/// the hour the agent's list of recent calls reaches leaves it. 404 for an unknown call.
async fn age_call(State(app): State<App>, Json(body): Json<Age>) -> Response {
    let mut w = app.world();
    let Some(c) = w.calls.get_mut(&body.call_id) else {
        return bad(StatusCode::NOT_FOUND, "no such call");
    };
    c.started_ms -= body.ms;
    for t in [&mut c.connected_ms, &mut c.ended_ms, &mut c.hold_started_ms]
        .into_iter()
        .flatten()
    {
        *t -= body.ms;
    }
    Json(json!({"ok": true, "started_ms": c.started_ms})).into_response()
}

async fn state(State(app): State<App>) -> Json<Value> {
    let base = app.base();
    Json(app.world().dump(&base))
}

/// `GET /_sandbox/journals`: each agent's journal (`crate::journal`), by the agent's email:
/// what adapters without browser storage keep on the platform (their outboxes, their lease).
async fn journals(State(app): State<App>) -> Json<Value> {
    let w = app.world();
    let mut out = serde_json::Map::new();
    for a in &w.agents {
        if let Some(j) = w.journals.get(&a.id) {
            out.insert(a.email.clone(), json!(j));
        }
    }
    Json(json!({ "journals": out }))
}

async fn displays(State(app): State<App>, Query(q): Query<After>) -> Json<Value> {
    let after = q.after.unwrap_or(0);
    let w = app.world();
    let list: Vec<_> = w.displays.iter().filter(|d| d.seq > after).collect();
    Json(json!({"displays": list}))
}

async fn queue(State(app): State<App>) -> Json<Value> {
    Json(app.queue().summary())
}

/// `POST /_sandbox/queue/flush`: closes the current batch window now, so that everything queued
/// is sent at once (benchmarks and tests need not wait for the window to end).
async fn flush_queue(State(app): State<App>) -> Json<Value> {
    app.queue().flush(now_ms());
    app.wake_queue();
    Json(app.queue().summary())
}

/// `POST /_sandbox/sessions/end` `{"agent_id"?}`: the platform sessions of one agent (or all)
/// end, with their resume credentials, as when a session expires mid-shift: the next platform
/// request of that agent's adapter is a 401. Answers `{"ended": n}`.
async fn end_sessions(State(app): State<App>, body: Option<Json<Value>>) -> Json<Value> {
    let agent = body.and_then(|Json(b)| b["agent_id"].as_u64());
    let ended = app.world().end_sessions(agent);
    // An open event stream of an ended session is closed: the platform hangs up on it.
    app.emit(agent, json!({"type": "session.ended"}));
    Json(json!({"ended": ended}))
}

/// `POST /_sandbox/streams/drop` `{"agent_id"?}`: the open event streams of one agent (or all)
/// are closed, their sessions kept, as when the agent's network drops for a moment: the adapter
/// connects again, and what the platform sent meanwhile reaches no one (with a latency fault on
/// `/platform/agent/events/ready`, the outage lasts as long as that too).
async fn drop_streams(State(app): State<App>, body: Option<Json<Value>>) -> Json<Value> {
    let agent = body.and_then(|Json(b)| b["agent_id"].as_u64());
    app.emit(agent, json!({"type": "stream.drop"}));
    Json(json!({"ok": true}))
}

/// What the workspace page needs: agents and administrators (with the sandbox passwords),
/// fixtures, the app guid; and how many times the platform has answered `GET /settings`.
async fn info(State(app): State<App>) -> Json<Value> {
    let w = app.world();
    let agents: Vec<Value> = w
        .agents
        .iter()
        .map(|a| {
            let team = w.team_of(a);
            json!({"id": a.id, "name": a.name, "email": a.email, "password": a.password,
                   "zendesk_user_id": a.zendesk_user_id, "team": team})
        })
        .collect();
    let port = app.config().port;
    Json(json!({
        "fixture": w.fixture_name,
        "fixtures": crate::fixtures::NAMES,
        "agents": agents,
        "admins": w.admins.iter().map(|a| json!({"name": a.name, "email": a.email, "password": a.password})).collect::<Vec<_>>(),
        "app_guid": crate::APP_GUID,
        "app_origin": format!("http://localhost:{port}"),
        "platform_url": format!("http://localhost:{port}/platform"),
        "background_page": crate::background_page_exists(&app.config().app_dir),
        "settings_reads": w.settings_reads,
    }))
}

/// `GET /_sandbox/timing`: the search index lag and bulk job delay, in ms.
async fn get_timing(State(app): State<App>) -> Json<Value> {
    Json(json!(app.world().timing))
}

/// `PUT /_sandbox/timing {"search_lag_ms"?, "job_delay_ms"?, "stream_ready_ms"?}`: how slow
/// Zendesk's search index and bulk jobs, and the platform's routing of a new event stream, are
/// from now on (kept by resets).
async fn put_timing(State(app): State<App>, Json(body): Json<Value>) -> Response {
    let ms = |key: &str| -> Result<Option<u64>, String> {
        match body.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| format!("{key}: ms expected")),
        }
    };
    let (lag, delay, ready) = match (
        ms("search_lag_ms"),
        ms("job_delay_ms"),
        ms("stream_ready_ms"),
    ) {
        (Ok(lag), Ok(delay), Ok(ready)) => (lag, delay, ready),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return bad(StatusCode::UNPROCESSABLE_ENTITY, e)
        }
    };
    let mut w = app.world();
    if let Some(lag) = lag {
        w.timing.search_lag_ms = lag;
    }
    if let Some(delay) = delay {
        w.timing.job_delay_ms = delay;
    }
    if let Some(ready) = ready {
        w.timing.stream_ready_ms = ready;
    }
    Json(json!(w.timing)).into_response()
}

/// `POST /_sandbox/history {"agent_email", "count", "ticket_ids"?}`: `count` ended calls of the
/// agent's, for benchmarks of the call history ([`platform::history::seed`]): spread over the
/// last three days (at least 5 minutes apart, newest first), directions alternating, answered
/// (60 s of talk), too short (5 s) and missed in turn, with the fixture's end users that have a
/// phone in turn (`contact_id`), each on the next of `ticket_ids` if given, else the next of the
/// contact's tickets, else none. Answers `{"ok": true, "call_ids": […]}` (newest first); an
/// unknown agent or a bad field: 422 naming it.
async fn history(State(app): State<App>, body: Option<Json<Value>>) -> Response {
    let body = body.map(|Json(b)| b).unwrap_or(Value::Null);
    let seeded = platform::history::SeedRequest::parse(&body)
        .and_then(|req| platform::history::seed(&mut app.world(), &req, now_ms()));
    match seeded {
        Ok(ids) => Json(json!({"ok": true, "call_ids": ids})).into_response(),
        Err(e) => bad(StatusCode::UNPROCESSABLE_ENTITY, e),
    }
}

#[derive(Deserialize)]
struct SessionFor {
    user_id: u64,
}

/// `POST /_sandbox/zendesk_session {"user_id"}`: the workspace signs agent `user_id` in to
/// Zendesk; the answer sets the session cookie ([`crate::zendesk::SESSION_COOKIE`]) that the
/// workspace's `request()` proxy then sends with its `/api/v2` calls. 404 for an end user or an
/// unknown id.
async fn zendesk_session(State(app): State<App>, Json(body): Json<SessionFor>) -> Response {
    let staff = app
        .world()
        .users
        .get(&body.user_id)
        .is_some_and(|u| u.role != "end-user");
    if !staff {
        return bad(StatusCode::NOT_FOUND, "no such agent");
    }
    let token = app.open_zendesk_session(body.user_id);
    let cookie = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict",
        crate::zendesk::SESSION_COOKIE
    );
    (
        [(axum::http::header::SET_COOKIE, cookie)],
        Json(json!({"user_id": body.user_id})),
    )
        .into_response()
}

/// `POST /_sandbox/events`: the customer's side.
/// - `{"type":"answer","call_id"}` the customer answers a ringing outbound call;
/// - `{"type":"hangup","call_id","after_s"?}` the customer hangs up (now or after N seconds; a
///   call on hold ends its hold);
/// - `{"type":"inbound","from","agent_id"?,"menu_path"?,"lang"?}` an IVR call offered to an
///   agent (the first one if none is named); a caller no contact has gets one first (CONTACT-1),
///   and the call's `contact_id` says whose call it is; a customer hang-up while it rings is an
///   abandoned call (TICKET-9); when a call the agent answered from a number several contacts
///   share ends (either side hanging up) with no contact picked (`POST /platform/calls/{id}/contact`,
///   TICKET-6), the most recently created of them gets the ticket (TICKET-7, CONTACT-5);
/// - `{"type":"abandoned","from","menu"?,"lang"?}` an IVR call abandoned before any agent got it
///   (TICKET-9; a ticket only when `abandoned_call_ticket` is on, SET-14);
/// - `{"type":"voicemail","from","recording_url"?,"duration_s"?,"transcript"?,"menu"?,"lang"?}` a
///   voicemail (TICKET-10): an ended inbound call of no agent's (`ended_by` `voicemail`), the
///   voicemail ticket the rules write, and a voicemail the platform keeps
///   (`/platform/voicemails`, with the rules' contact and ticket), sent to every signed-in agent
///   as `voicemail.created`; without `recording_url` its recording is the sandbox's own,
///   `/platform/recordings/{call id}.wav`. The answer has the voicemail under `voicemail`;
/// - `{"type":"transfer","call_id","to_agent_id"}` the call goes to another agent (UPD-9): it must
///   exist (404), be connected or on hold (409 `the call is not connected`), `to_agent_id` a known
///   agent other than the call's (422) who is signed in (409 `the agent is not signed in`); both
///   agents get the same `call.transferred`. Answers `{"ok":true,"event_id"}`;
/// - `{"type":"session","call_id","event":{"type":K,…}}` a session event of the call, K one of
///   `csat.rated {score: 1-5}`, `smart_action.completed {action, results, files}`,
///   `smart_action.failed {action, error}`, `api.response {source, data}`,
///   `session.custom_data {data, sdk}`, `call.recording_ready {recording_url}` (an ended call
///   only: 409 `the call has not ended`); 404 for an unknown call, 422 for another K or a bad
///   body. It gets the `call_id` and an `event_id` (new, unless the event has a numeric one: a
///   repeat). With the call's agent signed in it is emitted to that agent:
///   `{"ok":true,"event_id","written_by":"agent"}`; otherwise the platform writes it on the
///   call's known ticket: `{"ok","event_id","written_by":"platform","rules"}`, and a repeat of an
///   event it wrote is `{"ok":true,"event_id","written_by":"platform","repeat":true}`, not
///   written again;
/// - `{"type":"emit","agent_id"?,"event":{type,…}}` any other platform event as is (chat, …), to
///   one agent or all.
///
/// The platform's rules run before the answer, which carries what they did under `rules`
/// (actions, requests, contact, users and tickets created, error); a hang-up's answer has
/// `rules` only when the end of the call ran some (an abandoned call, TICKET-7).
async fn events(State(app): State<App>, Json(body): Json<Value>) -> Response {
    let call_id = body["call_id"].as_u64();
    match body["type"].as_str().unwrap_or("") {
        "answer" => match call_id {
            Some(id) if platform::connect(&app, id) => Json(json!({"ok": true})).into_response(),
            _ => bad(StatusCode::CONFLICT, "no ringing call with that call_id"),
        },
        "hangup" => {
            let Some(id) = call_id.filter(|id| app.world().calls.contains_key(id)) else {
                return bad(StatusCode::NOT_FOUND, "no call with that call_id");
            };
            let after = body["after_s"].as_f64().unwrap_or(0.0);
            if after > 0.0 {
                let app = app.clone();
                let generation = app.generation();
                tokio::spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_secs_f64(after)).await;
                    // Not a call of the same id in a world reset meanwhile.
                    if app.generation() == generation && platform::end(&app, id, "customer") {
                        platform::after_end(&app, id).await;
                    }
                });
                Json(json!({"ok": true, "scheduled_s": after})).into_response()
            } else if platform::end(&app, id, "customer") {
                match platform::after_end(&app, id).await {
                    Some(o) => Json(json!({"ok": true, "rules": o.to_json()})).into_response(),
                    None => Json(json!({"ok": true})).into_response(),
                }
            } else {
                bad(StatusCode::CONFLICT, "the call has ended already")
            }
        }
        "inbound" => {
            let Some(from) = caller(&body) else {
                return bad(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "from: the caller's number is required",
                );
            };
            let (id, agent, line, lang) = {
                let mut w = app.world();
                let agent = body["agent_id"]
                    .as_u64()
                    .or_else(|| w.agents.first().map(|a| a.id));
                let line = w
                    .numbers
                    .first()
                    .map(|n| n.number.clone())
                    .unwrap_or_default();
                let lang = body["lang"]
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| "en-US".into());
                (w.next_id(), agent, line, lang)
            };
            let call = PlatformCall::new(
                id,
                "inbound",
                agent,
                from,
                line,
                lang,
                json!({}),
                body["menu_path"].as_str().unwrap_or("Main menu").into(),
            );
            // CONTACT-1: the contact exists before the call is offered.
            let agent_user = {
                let w = app.world();
                w.agents
                    .iter()
                    .find(|a| Some(a.id) == call.agent_id)
                    .map_or(0, |a| a.zendesk_user_id)
            };
            let session =
                rules::ivr_session(id, &call.customer_number, &call.menu_path, &call.lang);
            let outcome = rules::new_caller(&app, session, agent_user).await;
            app.world().calls.insert(id, call.clone());
            platform::record_rules(&app, id, &outcome);
            let call = app.world().calls[&id].clone();
            platform::start_call(&app, call, None);
            Json(json!({"ok": true, "call_id": id, "rules": outcome.to_json()})).into_response()
        }
        kind @ ("abandoned" | "voicemail") => {
            let Some(from) = caller(&body) else {
                return bad(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "from: the caller's number is required",
                );
            };
            let menu = body["menu"]
                .as_str()
                .or_else(|| body["menu_path"].as_str())
                .unwrap_or("Main menu")
                .to_string();
            let lang = body["lang"].as_str().unwrap_or("en-US").to_string();
            let (id, line) = {
                let mut w = app.world();
                let line = w
                    .numbers
                    .first()
                    .map(|n| n.number.clone())
                    .unwrap_or_default();
                (w.next_id(), line)
            };
            let now = now_ms();
            let duration_s = body["duration_s"].as_u64().unwrap_or(0);
            let started_ms = now - i64::try_from(duration_s.saturating_mul(1_000)).unwrap_or(0);
            let call = PlatformCall {
                status: "ended".into(),
                started_ms,
                ended_ms: Some(now),
                ended_by: Some(kind.into()),
                ..PlatformCall::new(
                    id,
                    "inbound",
                    None,
                    from.clone(),
                    line.clone(),
                    lang.clone(),
                    json!({}),
                    menu.clone(),
                )
            };
            app.world().calls.insert(id, call);
            let session = rules::ivr_session(id, &from, &menu, &lang);
            if kind == "abandoned" {
                let outcome = rules::abandoned(&app, session).await;
                platform::record_rules(&app, id, &outcome);
                return Json(json!({"ok": outcome.error.is_none(), "call_id": id,
                                   "rules": outcome.to_json()}))
                .into_response();
            }
            let vm = rules::Voicemail {
                recording_url: body["recording_url"]
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| platform::voicemails::recording_url(&app, id)),
                duration_s,
                transcript: body["transcript"].as_str().map(String::from),
                line,
                started_s: started_ms / 1_000,
            };
            if let Some(c) = app.world().calls.get_mut(&id) {
                c.recording_url = Some(vm.recording_url.clone());
            }
            let outcome = rules::voicemail(&app, session, vm.clone()).await;
            platform::record_rules(&app, id, &outcome);
            let kept = keep_voicemail(&app, id, &from, &menu, &lang, &vm, &outcome);
            Json(
                json!({"ok": outcome.error.is_none(), "call_id": id, "rules": outcome.to_json(),
                        "voicemail": kept}),
            )
            .into_response()
        }
        "emit" => {
            let Some(ev) = body.get("event").filter(|e| e["type"].is_string()) else {
                return bad(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "event: an object with a type is required",
                );
            };
            app.emit(body["agent_id"].as_u64(), ev.clone());
            Json(json!({"ok": true})).into_response()
        }
        "transfer" => match platform::session::transfer(
            &app,
            call_id.unwrap_or(0),
            body["to_agent_id"].as_u64(),
        ) {
            Ok(event_id) => Json(json!({"ok": true, "event_id": event_id})).into_response(),
            Err(refusal) => refusal.into_response(),
        },
        "session" => session_event(&app, call_id, &body["event"]).await,
        other => bad(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "unknown event type {other:?}: answer, hangup, inbound, abandoned, voicemail, \
                 transfer, session, emit"
            ),
        ),
    }
}

/// Keeps the voicemail call `id` left (`vm`), with the contact and the ticket the rules found or
/// wrote (`outcome`), and tells every signed-in agent; its JSON.
fn keep_voicemail(
    app: &App,
    id: u64,
    from: &str,
    menu: &str,
    lang: &str,
    vm: &rules::Voicemail,
    outcome: &rules::Outcome,
) -> Value {
    platform::voicemails::record(
        app,
        Voicemail {
            id,
            from: from.to_owned(),
            contact_id: outcome.contact_id,
            ticket_id: outcome.tickets_created.first().copied(),
            recording_url: vm.recording_url.clone(),
            duration_s: vm.duration_s,
            created_ms: now_ms(),
            menu_path: menu.to_owned(),
            lang: lang.to_owned(),
            transcript: vm.transcript.clone(),
            read: false,
            closed: false,
            called_back: false,
        },
    )
}

/// `{"type":"session","call_id","event":{…}}`: a session event of the call, routed as the
/// platform routes it ([`platform::session::route_session_event`]).
async fn session_event(app: &App, call_id: Option<u64>, event: &Value) -> Response {
    if !event.is_object() {
        return bad(
            StatusCode::UNPROCESSABLE_ENTITY,
            "event: an object with a type is required",
        );
    }
    match platform::session::route_session_event(app, call_id.unwrap_or(0), event).await {
        Ok(routed) => Json(routed.to_json()).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// The caller's number from `from`, in E.164 when it parses (CONTACT-8), else as given.
fn caller(body: &Value) -> Option<String> {
    let from = body["from"].as_str().unwrap_or("").trim();
    if crate::model::digits(from).len() < 3 {
        return None;
    }
    Some(
        domain::phone::normalize(from, domain::phone::DEFAULT_REGION)
            .unwrap_or_else(|_| from.to_string()),
    )
}
