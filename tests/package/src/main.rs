//! `package-check <zip>`: checks a Zendesk app package offline and lists every problem found.
//!
//! The manifest version must equal the app crate's version, read from the workspace's
//! `Cargo.toml` (`--cargo-toml PATH` to read another, `--rules` lists the rules). Exit status:
//! 0 when the package passes, 1 when it breaks a rule, 2 when it cannot be read.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use package_check::{check, Expectations, Package, Rule};

const USAGE: &str = "usage: package-check <package.zip> [--cargo-toml PATH] | --rules";

fn main() -> ExitCode {
    let started = Instant::now();
    let mut args = std::env::args().skip(1);
    let mut zip = None;
    let mut cargo_toml = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml"));
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rules" => {
                for rule in Rule::ALL {
                    println!("{:<15} {}", rule.name(), rule.describe());
                }
                return ExitCode::SUCCESS;
            }
            "--cargo-toml" => match args.next() {
                Some(path) => cargo_toml = PathBuf::from(path),
                None => return usage_error("--cargo-toml needs a path"),
            },
            other if zip.is_none() && !other.starts_with("--") => zip = Some(PathBuf::from(other)),
            other => return usage_error(&format!("unexpected argument {other}")),
        }
    }
    let Some(zip) = zip else {
        return usage_error("no package given");
    };
    let version = match package_version(&cargo_toml) {
        Ok(version) => version,
        Err(e) => return usage_error(&e),
    };
    let package = match Package::read_zip_file(&zip) {
        Ok(package) => package,
        Err(e) => {
            eprintln!("package-check: {}: {e}", zip.display());
            return ExitCode::from(2);
        }
    };
    let problems = check(
        &package,
        &Expectations {
            version: Some(version),
        },
    );
    let elapsed = started.elapsed().as_millis();
    if problems.is_empty() {
        println!(
            "package-check: {} passes {} rules ({} entries, {} bytes unpacked, {} bytes zipped) in {elapsed} ms",
            zip.display(),
            Rule::ALL.len(),
            package.entries().count(),
            package.total_bytes(),
            std::fs::metadata(&zip).map_or(0, |m| m.len()),
        );
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "package-check: {} breaks {} rule(s):",
            zip.display(),
            problems.len()
        );
        for problem in &problems {
            eprintln!("  {problem}");
        }
        ExitCode::FAILURE
    }
}

/// The `version` of the `[package]` table in a Cargo.toml.
fn package_version(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut in_package = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if let Some(value) = in_package
            .then(|| line.strip_prefix("version"))
            .flatten()
            .and_then(|rest| rest.trim_start().strip_prefix('='))
        {
            return Ok(value.trim().trim_matches('"').to_owned());
        }
    }
    Err(format!("{} has no [package] version", path.display()))
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("package-check: {message}\n{USAGE}");
    ExitCode::from(2)
}
