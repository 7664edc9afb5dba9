//! The release wasm's stack size: the linker's default is 1 MiB, all of it in the wasm's linear
//! memory from the first byte, in every Zendesk tab the agent keeps open. The adapter's deepest
//! use, measured with `STACK_PROBE=1 node --test tests/e2e/` (it prints each app frame's deepest
//! use when the tests stop; see tests/e2e/support.mjs), was 25,632 bytes over eight e2e suites
//! (calls, chats, history, session events, click-to-call, the MATRIX, both languages, start-up
//! with a foreign number's tables built inside a handler): a quarter of a MiB keeps ten times
//! that, and serde_json's nesting limit (128) bounds the deepest a payload can take it.
//! The stack comes first in memory, so an overflow traps (an out-of-bounds access) instead of
//! overwriting data. Debug builds (the browser tests) keep the default: unoptimised code needs
//! more.

/// Bytes of stack for the release wasm. tests/e2e/support.mjs reads this line.
const STACK_BYTES: u32 = 256 * 1024;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32");
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    if wasm && release {
        println!("cargo::rustc-link-arg-bins=-zstack-size={STACK_BYTES}");
    }
    // The split (src/session_code.rs, scripts/split.mjs) follows the linker's relocations to
    // tell which functions only the session's code reaches.
    if wasm && std::env::var_os("CARGO_FEATURE_SPLIT").is_some() {
        println!("cargo::rustc-link-arg-bins=--emit-relocs");
    }
}
