//! The wasm's allocator: std's, with the free end of the memory the module starts with used
//! first.
//!
//! The module starts with just enough 64 KiB pages for its stack and static data, so its last
//! page ends with free bytes: from `__heap_base` (where the linker ends the static data) to
//! `__heap_end` (the page's end), anywhere from none to nearly a page. std's allocator only ever
//! takes pages it grows, so those bytes stayed unused, in every tab, for the whole day.
//!
//! Here blocks are placed there first, one after the other, while they fit; a block that does
//! not fit goes to std's allocator, as every block did before. The last block placed can be
//! taken back or grown where it is; one freed before it stays taken (as all of those bytes did
//! before, unused). Only std's allocator grows the memory (std also allocates through it
//! directly, and a second allocator growing pages of its own would waste most of a page on
//! that). A block is freed or grown by the allocator that holds it, told by its address.
//!
//! The first block asked for is std's: were a later std to take those free bytes itself (a
//! newer dlmalloc can), it would be placed there, and the free end is then left to it. A block
//! of std's found there later stops the app rather than share bytes with the blocks placed.

use core::{
    alloc::{GlobalAlloc, Layout},
    cell::Cell,
    ptr,
};
#[cfg(target_arch = "wasm32")]
use std::alloc::System;

// The allocator's state is in `Cell`s: one thread only.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
compile_error!("src/allocator.rs assumes the wasm runs on one thread (built without atomics)");

#[cfg(target_arch = "wasm32")]
extern "C" {
    /// Where the linker ends the static data (the stack first, then the data: both below it).
    static __heap_base: u8;
    /// The end of the memory the module starts with.
    static __heap_end: u8;
}

/// The free end of the first pages: where blocks are placed, and the first byte not taken.
#[derive(Clone, Copy, Debug, PartialEq)]
struct FreeEnd {
    /// Its first byte: the heap's base.
    start: usize,
    /// Its end: the end of the memory the module starts with (the start when past it).
    end: usize,
    /// The first byte not taken: blocks are placed from here.
    next: usize,
}

impl FreeEnd {
    /// From the heap's base to the end of the memory the module starts with, `next` taken.
    fn new(heap_base: usize, heap_end: usize, next: usize) -> Self {
        let end = heap_end.max(heap_base);
        Self {
            start: heap_base,
            end,
            next: next.clamp(heap_base, end),
        }
    }

    /// Whether the block at `at` is one of the free end's.
    fn holds(&self, at: usize) -> bool {
        at >= self.start && at < self.end
    }

    /// A block of `size` bytes aligned to `align`, after the last one, if it fits.
    fn take(&mut self, size: usize, align: usize) -> Option<usize> {
        debug_assert!(size != 0, "GlobalAlloc is never asked for 0 bytes");
        let at = self.next.checked_next_multiple_of(align)?;
        let after = at.checked_add(size)?;
        (after <= self.end).then(|| {
            self.next = after;
            at
        })
    }

    /// The block at `at` of `size` bytes is freed: taken back if it is the last one.
    fn give_back(&mut self, at: usize, size: usize) {
        if at + size == self.next {
            self.next = at;
        }
    }

    /// Whether the block at `at` of `size` bytes can be made `new_size` bytes where it is:
    /// smaller, or the last one with room after it. If so, it is.
    fn resize(&mut self, at: usize, size: usize, new_size: usize) -> bool {
        let last = at + size == self.next;
        let fits = new_size <= size || (last && new_size <= self.end - at);
        if fits && last {
            self.next = at + new_size;
        }
        fits
    }
}

/// An allocator that places blocks in a region of free bytes first, one after the other, while
/// they fit, and asks `fallback` for every other block. A block freed in the region is taken
/// back only when it is the last one placed (a value built and dropped at once); the others stay
/// taken. Blocks are told apart by their address.
struct Layered<A, R> {
    /// The allocator of every block the region does not take.
    fallback: A,
    /// The region's `(start, end)`, read at the first allocation.
    region: R,
    /// The region as it stands; `None` until the first allocation.
    free: Cell<Option<FreeEnd>>,
}

impl<A: GlobalAlloc, R: Fn() -> (usize, usize)> Layered<A, R> {
    const fn new(fallback: A, region: R) -> Self {
        Self {
            fallback,
            region,
            free: Cell::new(None),
        }
    }

    /// The region as it stands, changed by `change`; `None` before the first allocation.
    fn with_free<T>(&self, change: impl FnOnce(&mut FreeEnd) -> T) -> Option<T> {
        let mut free = self.free.get()?;
        let answer = change(&mut free);
        self.free.set(Some(free));
        Some(answer)
    }

    /// Whether the block at `at` is one the region placed.
    fn holds(&self, at: usize) -> bool {
        self.with_free(|f| f.holds(at)).unwrap_or(false)
    }

    /// A block from the fallback, checked: it must not be in the region's bytes. (std's
    /// allocator may one day take the free end of the first pages itself: the first block
    /// tells, see `first`; one that came later would share bytes with the region's blocks,
    /// and the app stops rather than corrupt them.)
    fn checked(&self, block: *mut u8) -> *mut u8 {
        if !block.is_null() && self.holds(block as usize) {
            std::process::abort();
        }
        block
    }

    /// The first block asked for: the fallback's. Where it lands says whether the fallback
    /// takes the region's bytes itself; if it does, the region is left to it (empty here).
    unsafe fn first(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        let block = if zeroed {
            self.fallback.alloc_zeroed(layout)
        } else {
            self.fallback.alloc(layout)
        };
        if !block.is_null() {
            let (start, end) = (self.region)();
            let theirs = FreeEnd::new(start, end, start).holds(block as usize);
            self.free.set(Some(FreeEnd::new(
                start,
                if theirs { start } else { end },
                start,
            )));
        }
        block
    }
}

// SAFETY: a block the region places is inside it and after the last one placed (no two
// overlap: `FreeEnd`), and the fallback's blocks are never in it (`first`, `checked`); each
// block is freed or resized by the allocator that placed it, told by its address.
unsafe impl<A: GlobalAlloc, R: Fn() -> (usize, usize)> GlobalAlloc for Layered<A, R> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.with_free(|f| f.take(layout.size(), layout.align())) {
            None => self.first(layout, false),
            Some(Some(at)) => at as *mut u8,
            Some(None) => self.checked(self.fallback.alloc(layout)),
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match self.with_free(|f| f.take(layout.size(), layout.align())) {
            None => self.first(layout, true),
            Some(Some(at)) => {
                // Bytes taken back may have been written before.
                ptr::write_bytes(at as *mut u8, 0, layout.size());
                at as *mut u8
            }
            Some(None) => self.checked(self.fallback.alloc_zeroed(layout)),
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let at = block as usize;
        if self.holds(at) {
            self.with_free(|f| f.give_back(at, layout.size()));
        } else {
            self.fallback.dealloc(block, layout);
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let at = block as usize;
        if !self.holds(at) {
            return self.checked(self.fallback.realloc(block, layout, new_size));
        }
        if self.with_free(|f| f.resize(at, layout.size(), new_size)) == Some(true) {
            return block;
        }
        // Larger, with no room after it: moved (to the fallback once the region is full).
        let moved = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
        if !moved.is_null() {
            ptr::copy_nonoverlapping(block, moved, layout.size());
            self.dealloc(block, layout);
        }
        moved
    }
}

/// The free end of the first pages: from `__heap_base` to `__heap_end`.
#[cfg(target_arch = "wasm32")]
fn first_pages_free_end() -> (usize, usize) {
    // Only the symbols' addresses are taken: they are never read.
    (
        ptr::addr_of!(__heap_base) as usize,
        ptr::addr_of!(__heap_end) as usize,
    )
}

// SAFETY: the wasm runs on one thread (no shared memory: the app is built without atomics, and
// the `compile_error!` above stops a build with them). No call re-enters the allocator: std's
// only grows the memory.
#[cfg(target_arch = "wasm32")]
unsafe impl Sync for Layered<System, fn() -> (usize, usize)> {}

/// The global allocator: the free end of the first pages, then std's.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static HEAP: Layered<System, fn() -> (usize, usize)> = Layered::new(System, first_pages_free_end);

#[cfg(test)]
mod tests {
    use super::*;

    /// The build measured: the heap's base at 278,064, the first pages' end at 5 pages.
    const BASE: usize = 278_064;
    const END: usize = 5 * 65_536;

    #[test]
    fn the_free_end_runs_from_the_heap_base_to_the_first_pages_end() {
        let f = FreeEnd::new(BASE, END, 0);
        assert_eq!((f.start, f.end, f.next), (BASE, END, BASE));
        assert!(f.holds(BASE) && f.holds(END - 1));
        assert!(!f.holds(END), "std's first grown page");
        assert!(!f.holds(BASE - 1), "the static data");
        // A heap base on the pages' end leaves nothing, and holds nothing.
        let mut none = FreeEnd::new(END, END, 0);
        assert!(!none.holds(END));
        assert_eq!(none.take(1, 1), None);
    }

    #[test]
    fn blocks_are_placed_one_after_the_other_aligned_while_they_fit() {
        let mut f = FreeEnd::new(BASE + 4, BASE + 1_004, 0);
        assert_eq!(f.take(10, 8), Some(BASE + 8), "aligned up from the base");
        assert_eq!(f.take(4, 4), Some(BASE + 20), "after the last, aligned");
        assert_eq!(f.next, BASE + 24);
        assert_eq!(f.take(981, 1), None, "one byte too many");
        assert_eq!(
            f.next,
            BASE + 24,
            "nothing taken by a block that does not fit"
        );
        assert_eq!(f.take(980, 1), Some(BASE + 24), "to the last byte");
        assert_eq!(f.take(1, 1), None);
        // No overflow at the top of the address space.
        assert_eq!(
            FreeEnd::new(usize::MAX - 8, usize::MAX, 0).take(16, 16),
            None
        );
    }

    #[test]
    fn only_the_last_block_freed_is_taken_back() {
        let mut f = FreeEnd::new(BASE, END, 0);
        let a = f.take(100, 8).unwrap();
        let b = f.take(50, 8).unwrap();
        f.give_back(a, 100);
        assert_eq!(f.next, b + 50, "a block before the last stays taken");
        f.give_back(b, 50);
        assert_eq!(f.next, b, "the last is taken back");
        assert_eq!(f.take(40, 8), Some(b), "and its bytes placed again");
    }

    #[test]
    fn a_block_is_resized_in_place_when_smaller_or_last_with_room() {
        let mut f = FreeEnd::new(BASE, END, 0);
        let a = f.take(100, 8).unwrap();
        assert!(
            f.resize(a, 100, 1_000),
            "the last one grows into the room after it"
        );
        assert_eq!(f.next, a + 1_000);
        let b = f.take(16, 8).unwrap();
        assert!(!f.resize(a, 1_000, 1_001), "not the last: moved");
        assert!(f.resize(a, 1_000, 10), "smaller: where it is");
        assert_eq!(f.next, b + 16, "the last one's end unchanged");
        assert!(f.resize(b, 16, 8));
        assert_eq!(f.next, b + 8, "the last one's bytes given back");
        assert!(f.resize(b, 8, END - b), "to the end of the first pages");
        assert!(!f.resize(b, END - b, END - b + 1), "and not past it");
    }

    /// A region of `len` bytes nothing else uses, as `(start, end)`.
    fn arena(len: usize) -> (usize, usize) {
        let bytes: &'static mut [u8] = Box::leak(vec![0xA5u8; len].into_boxed_slice());
        let start = bytes.as_mut_ptr() as usize;
        (start, start + len)
    }

    /// A small random number generator (xorshift), the same sequence on every run.
    struct Steps(u64);

    impl Steps {
        fn next(&mut self) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 as usize
        }
    }

    /// A live block: where, its layout, the byte it is filled with.
    type Block = (*mut u8, Layout, u8);

    unsafe fn filled(block: &Block) -> bool {
        std::slice::from_raw_parts(block.0, block.1.size())
            .iter()
            .all(|b| *b == block.2)
    }

    fn overlaps(a: &Block, b: &Block) -> bool {
        let (a0, b0) = (a.0 as usize, b.0 as usize);
        a0 < b0 + b.1.size() && b0 < a0 + a.1.size()
    }

    #[test]
    fn blocks_never_overlap_keep_their_bytes_and_fill_the_region_first() {
        // Forty rounds of 500 random steps, each over a fresh region of 8 KB: the region fills
        // early in a round (a block freed before the last stays taken), as the first pages do.
        let mut steps = Steps(0x2545_F491_4F6C_DD1D);
        let (mut placed, mut moved_out) = (0, 0);
        for round in 0..40u32 {
            let (start, end) = arena(8 * 1024);
            let heap = Layered::new(std::alloc::System, move || (start, end));
            let mut live: Vec<Block> = Vec::new();
            for step in round * 500..(round + 1) * 500 {
                let r = steps.next();
                let tag = (step % 251) as u8 + 1;
                let pick = if live.is_empty() {
                    0
                } else {
                    steps.next() % live.len()
                };
                unsafe {
                    match r % 8 {
                        // A block, zeroed or not: sizes up to 1 KB, alignments up to 64.
                        0..=3 => {
                            let layout = Layout::from_size_align(
                                1 + steps.next() % 1024,
                                1 << (steps.next() % 7),
                            )
                            .unwrap();
                            let block = if r % 8 == 3 {
                                let b = heap.alloc_zeroed(layout);
                                assert!(std::slice::from_raw_parts(b, layout.size())
                                    .iter()
                                    .all(|x| *x == 0));
                                b
                            } else {
                                heap.alloc(layout)
                            };
                            assert!(!block.is_null());
                            assert_eq!(block as usize % layout.align(), 0, "aligned");
                            let in_region = (start..end).contains(&(block as usize));
                            if in_region {
                                assert!(block as usize + layout.size() <= end, "inside the region");
                                placed += 1;
                            }
                            ptr::write_bytes(block, tag, layout.size());
                            let new = (block, layout, tag);
                            assert!(
                                live.iter().all(|b| !overlaps(b, &new)),
                                "step {step}: overlap"
                            );
                            live.push(new);
                        }
                        // Freed, the last one or any.
                        4 | 5 if !live.is_empty() => {
                            let at = if r % 8 == 4 { live.len() - 1 } else { pick };
                            let b = live.swap_remove(at);
                            assert!(filled(&b), "step {step}: bytes kept until freed");
                            heap.dealloc(b.0, b.1);
                        }
                        // Resized, smaller or larger: its bytes kept up to the smaller size.
                        6 | 7 if !live.is_empty() => {
                            let at = if r % 8 == 6 { live.len() - 1 } else { pick };
                            let (block, layout, old_tag) = live.swap_remove(at);
                            let new_size = 1 + steps.next() % 1536;
                            let grown = heap.realloc(block, layout, new_size);
                            assert!(!grown.is_null());
                            let kept = layout.size().min(new_size);
                            assert!(
                                std::slice::from_raw_parts(grown, kept)
                                    .iter()
                                    .all(|x| *x == old_tag),
                                "step {step}: bytes kept by a resize"
                            );
                            if (start..end).contains(&(block as usize))
                                && !(start..end).contains(&(grown as usize))
                            {
                                moved_out += 1;
                            }
                            let layout = Layout::from_size_align(new_size, layout.align()).unwrap();
                            ptr::write_bytes(grown, tag, new_size);
                            let new = (grown, layout, tag);
                            assert!(
                                live.iter().all(|b| !overlaps(b, &new)),
                                "step {step}: overlap"
                            );
                            live.push(new);
                        }
                        _ => {}
                    }
                }
                // At most 120 blocks live: the oldest are freed first.
                while live.len() > 120 {
                    let b = live.remove(0);
                    unsafe { heap.dealloc(b.0, b.1) };
                }
            }
            for b in live {
                assert!(unsafe { filled(&b) });
                unsafe { heap.dealloc(b.0, b.1) };
            }
        }
        assert!(placed > 400, "the region placed blocks: {placed}");
        assert!(
            moved_out > 10,
            "blocks grown past the region moved out: {moved_out}"
        );
    }

    /// An allocator that hands out a region itself (as std's might one day with the free end of
    /// the first pages), one block after the other.
    struct TakesTheRegion {
        next: Cell<usize>,
        end: usize,
    }

    unsafe impl GlobalAlloc for TakesTheRegion {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let at = self.next.get().next_multiple_of(layout.align());
            if at + layout.size() > self.end {
                return ptr::null_mut();
            }
            self.next.set(at + layout.size());
            at as *mut u8
        }

        unsafe fn dealloc(&self, _block: *mut u8, _layout: Layout) {}
    }

    #[test]
    fn a_fallback_that_takes_the_region_itself_is_left_it() {
        let (start, end) = arena(4096);
        let fallback = TakesTheRegion {
            next: Cell::new(start),
            end,
        };
        let heap = Layered::new(fallback, move || (start, end));
        let layout = Layout::from_size_align(64, 8).unwrap();
        let mut blocks = Vec::new();
        for _ in 0..32 {
            let block = unsafe { heap.alloc(layout) };
            assert!(!block.is_null());
            unsafe { ptr::write_bytes(block, 7, 64) };
            blocks.push(block as usize);
        }
        // Every block was the fallback's, one after the other: none placed twice.
        let mut sorted = blocks.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 32);
        assert!(blocks.windows(2).all(|w| w[1] >= w[0] + 64));
        assert!(!heap.holds(blocks[1]), "the region placed none");
    }

    #[test]
    fn the_first_block_is_the_fallbacks_then_the_region_places_them() {
        let (start, end) = arena(4096);
        let heap = Layered::new(std::alloc::System, move || (start, end));
        let layout = Layout::from_size_align(32, 8).unwrap();
        unsafe {
            let first = heap.alloc(layout);
            assert!(!(start..end).contains(&(first as usize)));
            let second = heap.alloc(layout);
            assert!((start..end).contains(&(second as usize)));
            heap.dealloc(second, layout);
            heap.dealloc(first, layout);
        }
    }
}
