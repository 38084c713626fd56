//! Replays fuzz/corpus and fuzz/regressions through the fuzz harness functions under plain
//! `cargo test`, with an allocator that refuses any single allocation over 256 MiB: Linux
//! grants huge untouched allocations, so without it an allocation sized by a hostile number
//! would pass silently.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;

/// Refuses allocations larger than this.
const LIMIT: usize = 256 * 1024 * 1024;

struct Capped;

// SAFETY: forwards to the system allocator unchanged, except that oversized requests get
// a null pointer, which GlobalAlloc allows and Rust turns into an allocation-failure abort.
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > LIMIT {
            return std::ptr::null_mut();
        }
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from System.alloc/realloc with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > LIMIT {
            return std::ptr::null_mut();
        }
        // SAFETY: `ptr` came from this allocator with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Capped = Capped;

fn replay(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target}: {} fails", file.display());
            count += 1;
        }
    }
    assert!(count > 0, "no corpus for {target}");
}

#[test]
fn resp_request_corpus() {
    replay("resp_request", redust::fuzz_harness::resp_request);
}

#[test]
fn snapshot_load_corpus() {
    replay("snapshot_load", redust::fuzz_harness::snapshot_load);
}

#[test]
fn restore_payload_corpus() {
    replay("restore_payload", redust::fuzz_harness::restore_payload);
}

#[test]
fn command_sequence_corpus() {
    replay("command_sequence", redust::fuzz_harness::command_sequence);
}

#[test]
fn the_cap_is_real() {
    let big = std::panic::catch_unwind(|| {
        // Reserve (not touch) more than the cap: must fail, not succeed lazily.
        let mut v: Vec<u8> = Vec::new();
        v.try_reserve_exact(LIMIT + 1).is_err()
    });
    assert_eq!(big.ok(), Some(true));
}
