//! Finds the phone library's metadata (`metadata.bin`, a `PhoneMetadataCollection` in protobuf,
//! shipped in the `rlibphonenumber` crate's source) and hands its path to [`phone`] as
//! `PHONE_METADATA_BIN`: the adapter builds the library's tables from it one calling code at a
//! time (`phone_tables.rs`) instead of all 250 regions at once. The crate is the one Cargo.lock
//! names, unpacked by cargo in its registry; set `PHONE_METADATA_BIN` to a path to override (for
//! a vendored build).

use std::{
    env, fs,
    path::{Path, PathBuf},
};

const CRATE: &str = "rlibphonenumber";
const FILE: &str = "src/generated/metadata/metadata.bin";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PHONE_METADATA_BIN");
    // Without the metadata built in (the app's wasm), nothing to find.
    if env::var_os("CARGO_FEATURE_EMBEDDED_METADATA").is_none() {
        return;
    }
    let path = match env::var_os("PHONE_METADATA_BIN") {
        Some(p) => PathBuf::from(p),
        None => find().unwrap_or_else(|why| panic!("{why}; set PHONE_METADATA_BIN to its path")),
    };
    if !path.is_file() {
        panic!("{}: no such file (the phone metadata)", path.display());
    }
    println!("cargo::rerun-if-changed={}", path.display());
    println!("cargo::rustc-env=PHONE_METADATA_BIN={}", path.display());
}

/// `metadata.bin` of the locked version of the crate, in cargo's registry sources.
fn find() -> Result<PathBuf, String> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let lock = manifest
        .ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|l| l.is_file());
    if let Some(lock) = &lock {
        println!("cargo::rerun-if-changed={}", lock.display());
    }
    let version = lock.and_then(|l| locked_version(&l));
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .ok_or("no CARGO_HOME nor HOME")?;
    let sources = home.join("registry/src");
    let mut found: Vec<PathBuf> = fs::read_dir(&sources)
        .map_err(|e| format!("{}: {e}", sources.display()))?
        .flatten()
        .flat_map(|index| fs::read_dir(index.path()).into_iter().flatten().flatten())
        .map(|d| d.path())
        .filter(|d| {
            let name = d.file_name().and_then(|n| n.to_str()).unwrap_or("");
            match &version {
                Some(v) => name == format!("{CRATE}-{v}"),
                None => name.starts_with(&format!("{CRATE}-")),
            }
        })
        .map(|d| d.join(FILE))
        .filter(|f| f.is_file())
        .collect();
    found.sort();
    found.pop().ok_or_else(|| {
        format!(
            "{CRATE} {} not found under {}",
            version.as_deref().unwrap_or("(any version)"),
            sources.display()
        )
    })
}

/// The version of [`CRATE`] that `lock` pins.
fn locked_version(lock: &Path) -> Option<String> {
    let text = fs::read_to_string(lock).ok()?;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{CRATE}\"") {
            let v = lines
                .next()?
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            return Some(v.to_owned());
        }
    }
    None
}
