//! Benchmark: the heap the phone library holds once the dial screen can read numbers, by part
//! (prints figures; no pass or fail). The wasm's memory on the dial screen is mostly this
//! (`tests/e2e/bench.mjs` prints that memory by part), so a regression there has a name here.
//!
//!   cargo run -p domain --no-default-features --example phone_memory [metadata file]
//!
//! The metadata file is the one the app fetches (`target/phone/phone-metadata.dat`, written by
//! trunk's pre-build step). Measured natively with a counting allocator: 64-bit pointers, so
//! somewhat more than the same values take in the 32-bit wasm.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The system allocator, counting the bytes live and the most ever live.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Prints what the step added to the live bytes, and the most it held meanwhile.
fn step(what: &str, before: usize, run: impl FnOnce()) -> usize {
    PEAK.store(LIVE.load(Relaxed), Relaxed);
    run();
    let live = LIVE.load(Relaxed);
    let peak = PEAK.load(Relaxed);
    println!(
        "  {what:<58} {:>+9} bytes (peak {:>+9})",
        live as isize - before as isize,
        peak as isize - before as isize
    );
    live
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/phone/phone-metadata.dat".to_owned());
    println!("phone library heap, by step (native, counting allocator; {path}):");
    // The library's own patterns (extensions, punctuation, the shape of any number), built with
    // every instance of it whatever its regions: measured alone, then dropped.
    let before = LIVE.load(Relaxed);
    step(
        "its own patterns, built alone (not counted below)",
        before,
        || {
            std::mem::forget(rlibphonenumber::PhoneNumberUtil::new_for_metadata(
                Default::default(),
            ));
        },
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let base = LIVE.load(Relaxed) - bytes.len();
    println!(
        "  {:<58} {:>+9} bytes",
        "the metadata, fetched and kept (packed)",
        bytes.len()
    );
    let live = step(
        "installed (the index of its regions)",
        base + bytes.len(),
        || {
            domain::phone::install_metadata(bytes).expect("the metadata installs");
        },
    );
    let live = step(
        "the agent's region (US) read: the library and its tables",
        live,
        || {
            let _ = domain::phone::parse("2015550150", "US");
        },
    );
    let live = step("warmed: every pattern of the region compiled", live, || {
        domain::phone::warm_up("US");
    });
    let live = step("a number of another country (+44) read", live, || {
        let _ = domain::phone::parse("+44 20 7946 0958", "US");
    });
    let live = step("the agent's region warmed again (keep_warm)", live, || {
        domain::phone::warm_up("US");
    });
    println!("  {:<58} {:>9} bytes", "total held", live - base);
}
