//! What a decode allocates. The test binary installs [`CountingAllocator`] as its global
//! allocator; [`peak_during`] then tells the most memory the current thread held at once
//! (above what it held before) while a closure ran.
//!
//! A decoder that trusts a length prefix reserves what the prefix claims before it reads
//! a byte: 4 GiB from a 5-byte input. [`check_bound`] refuses that: a decode may hold at
//! most [`BYTES_PER_INPUT_BYTE`] bytes per input byte plus [`SLACK_BYTES`]. In-memory
//! values are larger than their encodings (an empty `Vec` is 1 byte on the wire and 24 in
//! memory, a `None` header 1 byte and a few hundred), and vectors grow by doubling, so
//! the factor is generous; a reservation from a lying prefix exceeds it by orders of
//! magnitude.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
};

/// Bytes a decode may hold per input byte.
pub const BYTES_PER_INPUT_BYTE: usize = 256;
/// Bytes a decode may hold whatever its input (codec's 4 KiB preallocations, hash maps).
pub const SLACK_BYTES: usize = 256 * 1024;

thread_local! {
    // Const-initialised and without destructors, so the allocator can reach them at any
    // time, thread teardown included.
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    let _ = TRACKING.try_with(|tracking| {
        if tracking.get() {
            let live = LIVE.with(|l| {
                let v = l.get() + delta;
                l.set(v);
                v
            });
            PEAK.with(|p| p.set(p.get().max(live)));
        }
    });
}

/// The system allocator, counting the current thread's allocations while
/// [`peak_during`] runs.
pub struct CountingAllocator;

// SAFETY: every call is forwarded unchanged to `System`; the counting touches only
// thread-local cells and never allocates.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// Runs `f` and returns its result with the most bytes the current thread held at once
/// during it, above what it held before. Only meaningful when [`CountingAllocator`] is the
/// global allocator (else 0).
pub fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    TRACKING.with(|t| t.set(true));
    let result = f();
    TRACKING.with(|t| t.set(false));
    (result, PEAK.with(|p| p.get()).max(0) as usize)
}

/// Whether a decode of `input_len` bytes that held `peak` bytes stayed within the bound
/// of the module docs; the error says by how much it did not.
pub fn check_bound(input_len: usize, peak: usize) -> Result<(), String> {
    let bound = input_len
        .saturating_mul(BYTES_PER_INPUT_BYTE)
        .saturating_add(SLACK_BYTES);
    if peak > bound {
        return Err(format!(
            "decoding {input_len} bytes held {peak} bytes at once, over the bound of {bound}"
        ));
    }
    Ok(())
}
