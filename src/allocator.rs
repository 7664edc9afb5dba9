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

#[cfg(target_arch = "wasm32")]
use core::{
    alloc::{GlobalAlloc, Layout},
    cell::Cell,
    ptr,
};
#[cfg(target_arch = "wasm32")]
use std::alloc::System;

#[cfg(target_arch = "wasm32")]
extern "C" {
    /// Where the linker ends the static data (the stack first, then the data: both below it).
    static __heap_base: u8;
    /// The end of the memory the module starts with.
    static __heap_end: u8;
}

/// The free end of the first pages: where blocks are placed, and the first byte not taken.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct FreeEnd {
    /// Its first byte: the heap's base.
    start: usize,
    /// Its end: the end of the memory the module starts with (the start when past it).
    end: usize,
    /// The first byte not taken: blocks are placed from here.
    next: usize,
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
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

/// The global allocator: blocks from the free end, one after the other, while they fit; then
/// std's. A block freed in the free end is taken back only when it is the last one placed
/// (a value built and dropped at once); the others stay taken, as all of it did before.
#[cfg(target_arch = "wasm32")]
struct Heap {
    /// The free end's first byte not taken (0: none taken yet).
    next: Cell<usize>,
}

// SAFETY: the wasm runs on one thread (no shared memory: the app is built without atomics).
#[cfg(target_arch = "wasm32")]
unsafe impl Sync for Heap {}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static HEAP: Heap = Heap { next: Cell::new(0) };

#[cfg(target_arch = "wasm32")]
impl Heap {
    /// The free end as it is now; `change` updates it.
    fn free_end<T>(&self, change: impl FnOnce(&mut FreeEnd) -> T) -> T {
        // Only the symbols' addresses are taken: they are never read.
        let mut free = FreeEnd::new(
            ptr::addr_of!(__heap_base) as usize,
            ptr::addr_of!(__heap_end) as usize,
            self.next.get(),
        );
        let answer = change(&mut free);
        self.next.set(free.next);
        answer
    }
}

// SAFETY: a block in the free end is above the static data, below std's first grown page, and
// no two overlap (each starts at or after the last one's end); every other block is std's, and
// is freed or grown by std's (told by its address: std's never gives one below the end of the
// first pages).
#[cfg(target_arch = "wasm32")]
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.free_end(|f| f.take(layout.size(), layout.align())) {
            Some(at) => at as *mut u8,
            None => System.alloc(layout),
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match self.free_end(|f| f.take(layout.size(), layout.align())) {
            Some(at) => {
                // Bytes taken back may have been written before.
                ptr::write_bytes(at as *mut u8, 0, layout.size());
                at as *mut u8
            }
            None => System.alloc_zeroed(layout),
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let at = block as usize;
        let ours = self.free_end(|f| {
            let ours = f.holds(at);
            if ours {
                f.give_back(at, layout.size());
            }
            ours
        });
        if !ours {
            System.dealloc(block, layout);
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let at = block as usize;
        if !self.free_end(|f| f.holds(at)) {
            return System.realloc(block, layout, new_size);
        }
        if self.free_end(|f| f.resize(at, layout.size(), new_size)) {
            return block;
        }
        // Larger, with no room after it: moved (to std's once the free end is full).
        let moved = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
        if !moved.is_null() {
            ptr::copy_nonoverlapping(block, moved, layout.size());
            self.dealloc(block, layout);
        }
        moved
    }
}

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
}
