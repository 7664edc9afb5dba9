//! Fuzz target: `harness::outbox_load` on arbitrary bytes (see ../harness.rs).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::outbox_load(data));
