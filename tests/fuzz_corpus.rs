//! Replays every fuzz corpus input (`fuzz/corpus/<target>/*`) through the same harness the fuzz
//! targets run (`fuzz/harness.rs`), on stable: an input that once crashed a target stays fixed.
//! The fuzzing itself is `scripts/fuzz.sh` (nightly, outside `make test`).

#[path = "../fuzz/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut inputs = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a corpus entry").path();
        let data = std::fs::read(&path).expect("a corpus file");
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target}: {} panics", path.display());
        inputs += 1;
    }
    assert!(inputs > 0, "{target}: the corpus is empty");
}

#[test]
fn phone_corpus() {
    replay("phone", harness::phone);
}

#[test]
fn dial_corpus() {
    replay("dial", harness::dial);
}

#[test]
fn platform_event_corpus() {
    replay("platform_event", harness::platform_event);
}

#[test]
fn zaf_message_corpus() {
    replay("zaf_message", harness::zaf_message);
}

#[test]
fn outbox_load_corpus() {
    replay("outbox_load", harness::outbox_load);
}
