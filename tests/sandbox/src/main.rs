//! `sandbox [--port 8080] [--app-dir dist] [--fixture default] [--rate-limit 700]
//! [--queue-file PATH] [--zaf-sdk PATH] [--zcli URL]`: starts the sandbox and prints where to go
//! and who can sign in. With `--zcli http://localhost:4567` the workspace frames the app that
//! `zcli apps:server` serves (its `/app.json`) instead of `--app-dir`.

use std::path::PathBuf;
use std::time::Duration;

use sandbox::{
    fixtures,
    state::{Timing, DEFAULT_RATE_LIMIT, DEFAULT_STREAM_READY_MS},
    Config,
};

const USAGE: &str =
    "usage: sandbox [--port 8080] [--app-dir dist] [--fixture default|batching|empty|FILE.json] \
[--rate-limit 700] [--queue-file target/sandbox/crm-queue.json] [--zaf-sdk PATH] \
[--zcli http://localhost:4567] [--search-lag-ms 0] [--job-delay-ms 0] [--stream-ready-ms 150]";

fn parse() -> Result<(Config, Option<String>), String> {
    let mut config = Config {
        fixture: "default".into(),
        app_dir: PathBuf::from("dist"),
        rate_limit: DEFAULT_RATE_LIMIT,
        queue_file: Some(PathBuf::from("target/sandbox/crm-queue.json")),
        zaf_sdk: PathBuf::from("target/js/zaf_sdk.js"),
        port: 8080,
        timing: Timing {
            stream_ready_ms: DEFAULT_STREAM_READY_MS,
            ..Default::default()
        },
    };
    let mut zcli = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--port" => {
                config.port = value
                    .parse()
                    .map_err(|_| format!("--port {value}: not a port"))?
            }
            "--app-dir" => config.app_dir = value.into(),
            "--fixture" => config.fixture = value,
            "--rate-limit" => {
                config.rate_limit = value
                    .parse()
                    .map_err(|_| format!("--rate-limit {value}: not a number"))?
            }
            "--queue-file" => config.queue_file = (!value.is_empty()).then(|| value.into()),
            "--zaf-sdk" => config.zaf_sdk = value.into(),
            "--search-lag-ms" => {
                config.timing.search_lag_ms = value
                    .parse()
                    .map_err(|_| format!("--search-lag-ms {value}: not a number"))?
            }
            "--job-delay-ms" => {
                config.timing.job_delay_ms = value
                    .parse()
                    .map_err(|_| format!("--job-delay-ms {value}: not a number"))?
            }
            "--stream-ready-ms" => {
                config.timing.stream_ready_ms = value
                    .parse()
                    .map_err(|_| format!("--stream-ready-ms {value}: not a number"))?
            }
            "--zcli" => zcli = Some(value),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    Ok((config, zcli))
}

#[tokio::main]
async fn main() {
    let (config, zcli) = match parse() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let fixture = match fixtures::load(&config.fixture) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("sandbox: {e}");
            std::process::exit(2);
        }
    };
    let zcli = match zcli {
        None => None,
        Some(base) => match sandbox::zcli::fetch(&base, Duration::from_secs(10)).await {
            Ok(app) => Some(app),
            Err(e) => {
                eprintln!("sandbox: --zcli {e}");
                std::process::exit(2);
            }
        },
    };
    if zcli.is_none() && !config.app_dir.join("index.html").is_file() {
        eprintln!(
            "sandbox: warning: {} has no index.html (build the app first)",
            config.app_dir.display()
        );
    }
    if !config.zaf_sdk.is_file() {
        eprintln!(
            "sandbox: warning: no ZAF SDK bundle at {} (run scripts/setup.sh)",
            config.zaf_sdk.display()
        );
    }
    let zcli_note = zcli.as_ref().map(|z| {
        format!(
            "The app is framed from zcli: {} (settings from zcli, platform_url replaced by this \
sandbox's /platform).\nIts page loads the ZAF SDK from Zendesk's CDN: that needs Internet access, \
or a browser that routes the CDN URL to {}.",
            z.top_bar,
            config.zaf_sdk.display()
        )
    });
    let addr = match sandbox::start_with(config, zcli).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("sandbox: {e}");
            std::process::exit(1);
        }
    };
    println!();
    println!(
        "Sandbox (fixture {:?}): open http://127.0.0.1:{}/",
        fixture.name,
        addr.port()
    );
    if let Some(note) = zcli_note {
        println!("{note}");
    }
    println!("Sign in to the adapter as one of these agents:");
    for a in &fixture.agents {
        let team = fixture.teams.iter().find(|t| t.id == a.team_id);
        let entry = team.map_or("", |t| {
            match (t.ticket_id_entry.enabled, t.ticket_id_entry.required) {
                (true, true) => "ticket ID required",
                (true, false) => "ticket ID optional",
                _ => "no ticket ID entry",
            }
        });
        println!(
            "  {:<22} password {:<10} team {} ({entry})",
            a.email,
            a.password,
            team.map_or("-", |t| t.name.as_str())
        );
    }
    println!(
        "Sign in to the portal (http://127.0.0.1:{}/portal) as an administrator:",
        addr.port()
    );
    for a in &fixture.admins {
        println!("  {:<22} password {}", a.email, a.password);
    }
    println!(
        "Control API: http://127.0.0.1:{}/_sandbox/state (Ctrl+C stops it)",
        addr.port()
    );
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
