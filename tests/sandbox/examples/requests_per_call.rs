//! Zendesk API requests per call, reads and writes apart, for 1, 10 and 50 concurrent calls, with
//! the CRM write batching off and on (10 s window).
//!
//! Each call is what the adapter writes for an outbound call to a known contact with a new ticket
//! and a recording: 1 read (the users search by phone with `include=open_ticket_count`), 1 create
//! (`POST /tickets.json` with the first internal comment) and, at call end, 1 update (the
//! "call finished" comment + the recording as a voice comment). Unbatched, the update goes to
//! `/api/v2` directly; batched, it goes to the platform's queue (`POST /platform/crm/ops`, one
//! key per call), whose window is then closed (`POST /_sandbox/queue/flush`) and which writes
//! every call's update with `update_many` and polls the job (the poll counts as a read).
//!
//! Every scenario runs on a fresh in-process sandbox (its own 700 requests/minute budget); the
//! counts come from `/_sandbox/requests`. The run fails if a goal is missed: at most 3 requests a
//! call unbatched, at most 2.2 batched at 10 concurrent calls, and fewer at 50 than at 10.
//!
//! `cargo run -p sandbox --example requests_per_call --locked`

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use sandbox::state::Config;
use serde_json::{json, Value};

/// One request; the status and the JSON answer.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (u16, Value) {
    let r = sandbox::testkit::http(addr, method, path, body, token).await;
    (r.status, r.json())
}

async fn expect(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Value,
    token: Option<&str>,
) -> Value {
    let body = (!body.is_null()).then_some(body);
    let (status, v) = http(addr, method, path, body, token).await;
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {v}"
    );
    v
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Unbatched,
    Batched,
}

struct Figures {
    reads: usize,
    writes: usize,
    calls: usize,
}

impl Figures {
    fn per_call(&self) -> (f64, f64, f64) {
        let n = self.calls as f64;
        let (r, w) = (self.reads as f64 / n, self.writes as f64 / n);
        (r, w, r + w)
    }
}

/// The contact's number for call `i`.
fn number(i: usize) -> String {
    format!("+1555020{i:04}")
}

/// One call as the adapter makes it; returns the ticket id.
async fn one_call(addr: SocketAddr, i: usize, mode: Mode, token: &str) -> u64 {
    let n = number(i);
    // The call, placed on the platform (no Zendesk request): the queue takes operations only
    // under the keys of the agent's own calls.
    let call = expect(
        addr,
        "POST",
        "/platform/calls",
        json!({"to": n, "outbound_number": "+15550199001", "lang": "en-US", "ticket": "new",
            "entered_number": false}),
        Some(token),
    )
    .await["call"]["id"]
        .as_u64()
        .expect("call id");
    // 1 read: the contact and its open ticket count (none open: no ticket read).
    let found = expect(
        addr,
        "GET",
        &format!(
            "/api/v2/users/search.json?query=role:end-user%20phone:*{}&include=open_ticket_count",
            &n[n.len() - 9..]
        ),
        Value::Null,
        None,
    )
    .await;
    let user = found["users"][0]["id"].as_u64().expect("the contact");
    assert_eq!(found["open_ticket_count"][user.to_string()], 0);
    // 1 create: the new ticket with its first internal comment.
    let created = expect(
        addr,
        "POST",
        "/api/v2/tickets.json",
        json!({"ticket": {"subject": format!("Outbound call to {n}"), "requester_id": user,
            "via_id": 46, "tags": ["ccaip", "ccaip_call"],
            "comment": {"body": format!("Standard data\nCall ID: bench-{i}"), "public": false}}}),
        None,
    )
    .await;
    let ticket = created["ticket"]["id"].as_u64().expect("ticket id");
    // Call end: the "call finished" comment and the recording.
    let recording = format!("http://127.0.0.1/recordings/bench-{i}.mp3");
    let finished = format!("Call finished\nDuration: 00:42\nRecording: {recording}");
    match mode {
        Mode::Unbatched => {
            expect(
                addr,
                "PUT",
                &format!("/api/v2/tickets/{ticket}.json"),
                json!({"ticket": {"comment": {"body": finished, "public": false},
                    "voice_comment": {"from": "+15550199001", "to": n, "recording_url": recording,
                        "call_duration": 42, "started_at": "2024-05-01T10:00:00Z"}}}),
                None,
            )
            .await;
        }
        Mode::Batched => {
            expect(
                addr,
                "POST",
                "/platform/crm/ops",
                json!({"ops": [{"key": format!("{call}.ended.0"), "ticket_id": ticket,
                    "kind": "add_comment", "body": finished}]}),
                Some(token),
            )
            .await;
        }
    }
    ticket
}

async fn scenario(calls: usize, mode: Mode) -> Figures {
    let addr = sandbox::start(Config {
        fixture: match mode {
            Mode::Unbatched => "default",
            Mode::Batched => "batching",
        }
        .into(),
        app_dir: std::env::temp_dir(),
        rate_limit: sandbox::state::DEFAULT_RATE_LIMIT,
        queue_file: None,
        zaf_sdk: PathBuf::from("/nonexistent"),
        port: 0,
        timing: Default::default(),
    })
    .await
    .expect("sandbox starts");
    let settings = expect(addr, "GET", "/_sandbox/settings", Value::Null, None).await;
    if mode == Mode::Batched {
        assert_eq!(settings["developer"]["batch_frequency_s"], 10);
    }
    // The contacts (setup, not counted).
    for i in 0..calls {
        expect(
            addr,
            "POST",
            "/api/v2/users.json",
            json!({"user": {"name": format!("Bench {i}"), "phone": number(i)}}),
            None,
        )
        .await;
    }
    let token = expect(
        addr,
        "POST",
        "/platform/agent/session",
        json!({"email": "ada@sandbox.test", "password": "sandbox"}),
        None,
    )
    .await["token"]
        .as_str()
        .expect("token")
        .to_string();
    expect(addr, "DELETE", "/_sandbox/requests", Value::Null, None).await;
    if mode == Mode::Batched {
        // Windows are aligned on multiples of 10 s: start early in one, so that the calls'
        // updates are not split by a window that happens to end while they are queued.
        let window = 10_000;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis();
        let into = u64::try_from(now % window).expect("small");
        if into > 7_000 {
            tokio::time::sleep(Duration::from_millis(10_000 - into + 50)).await;
        }
    }

    let tasks: Vec<_> = (0..calls)
        .map(|i| {
            let token = token.clone();
            tokio::spawn(async move { one_call(addr, i, mode, &token).await })
        })
        .collect();
    let mut tickets = Vec::new();
    for t in tasks {
        tickets.push(t.await.expect("call"));
    }
    if mode == Mode::Batched {
        expect(addr, "POST", "/_sandbox/queue/flush", Value::Null, None).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let q = expect(addr, "GET", "/_sandbox/queue", Value::Null, None).await;
            if q["idle"] == true && q["keys"]["written"] == calls {
                break;
            }
            assert!(Instant::now() < deadline, "the queue did not drain: {q}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // Zendesk holds what the calls wrote: each new ticket has its first and its end comment.
    let state = expect(addr, "GET", "/_sandbox/state", Value::Null, None).await;
    for id in &tickets {
        let t = state["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == *id)
            .expect("ticket");
        let comments = t["comments"].as_array().unwrap();
        let expected = if mode == Mode::Unbatched { 3 } else { 2 };
        assert_eq!(comments.len(), expected, "ticket {id}: {comments:?}");
    }

    let log = expect(addr, "GET", "/_sandbox/requests", Value::Null, None).await;
    let mut f = Figures {
        reads: 0,
        writes: 0,
        calls,
    };
    for r in log["requests"].as_array().unwrap() {
        assert!(
            (200..300).contains(&r["status"].as_u64().unwrap_or(0)),
            "no request refused: {r}"
        );
        if r["method"] == "GET" {
            f.reads += 1;
        } else {
            f.writes += 1;
        }
    }
    f
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let started = Instant::now();
    let mut table = Vec::new();
    for mode in [Mode::Unbatched, Mode::Batched] {
        for calls in [1, 10, 50] {
            let f = scenario(calls, mode).await;
            let (r, w, t) = f.per_call();
            let label = match mode {
                Mode::Unbatched => "unbatched",
                Mode::Batched => "batched, 10 s window",
            };
            let plural = if calls == 1 {
                "call"
            } else {
                "concurrent calls"
            };
            println!(
                "requests per call ({calls} {plural}, {label}): {r:.2} reads, {w:.2} writes = {t:.2}   ({} reads + {} writes for {calls})",
                f.reads, f.writes
            );
            table.push((mode, calls, t));
        }
    }
    let total = |m: Mode, n: usize| {
        table
            .iter()
            .find(|(mode, calls, _)| *mode == m && *calls == n)
            .map(|(_, _, t)| *t)
            .expect("measured")
    };
    let budget = f64::from(sandbox::state::DEFAULT_RATE_LIMIT);
    println!(
        "calls a minute on a {budget} requests/minute budget: unbatched {:.0}; batched {:.0} at 10 concurrent, {:.0} at 50",
        budget / total(Mode::Unbatched, 50),
        budget / total(Mode::Batched, 10),
        budget / total(Mode::Batched, 50),
    );
    let mut failed = Vec::new();
    for n in [1, 10, 50] {
        if total(Mode::Unbatched, n) > 3.0 + 1e-9 {
            failed.push(format!("unbatched, {n} calls: more than 3 requests a call"));
        }
    }
    if total(Mode::Batched, 10) > 2.2 + 1e-9 {
        failed.push("batched, 10 concurrent calls: more than 2.2 requests a call".into());
    }
    if total(Mode::Batched, 50) >= total(Mode::Batched, 10) {
        failed.push("batched: 50 concurrent calls cost no less than 10".into());
    }
    println!("({:.1} s)", started.elapsed().as_secs_f64());
    if !failed.is_empty() {
        eprintln!("goals missed: {}", failed.join("; "));
        std::process::exit(1);
    }
}
