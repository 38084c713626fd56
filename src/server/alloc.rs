//! The counting allocator: the system allocator (glibc's malloc) with a running total of
//! the bytes it holds for the process, which is what maxmemory, INFO's used_memory and
//! MEMORY USAGE read (Redis's zmalloc_used_memory).
//!
//! The binary installs it with `#[global_allocator]` (src/main.rs); the library does not,
//! so tests and the fuzz harness may install their own. Until it is installed the total
//! stays 0 and [`crate::server::memory::used_memory`] falls back to mallinfo2.
//!
//! Each allocation is charged what glibc really takes for it (the request plus its 8-byte
//! header, rounded up to 16, at least 32 bytes), so the total follows the heap rather than
//! the requests: one-byte values cost what they cost.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes held, as charged by [`chunk`].
static USED: AtomicUsize = AtomicUsize::new(0);

/// What glibc's malloc takes for a request of `size` bytes: its chunk, the request plus
/// the size header, 16-byte aligned, never under the 32-byte minimum chunk.
#[inline(always)]
const fn chunk(size: usize) -> usize {
    let c = (size + 8 + 15) & !15;
    if c < 32 {
        32
    } else {
        c
    }
}

// The server is one thread, so the total is kept with a plain load and store rather than
// a locked read-modify-write (a `lock xadd` on every malloc and free would cost tens of
// cycles each for a guarantee one thread does not need). Should another thread ever allocate at the same moment, an update
// could be lost: the figure would drift a little, nothing worse (atomics, no data race).
#[inline(always)]
fn add(n: usize) {
    USED.store(
        USED.load(Ordering::Relaxed).wrapping_add(n),
        Ordering::Relaxed,
    );
}

#[inline(always)]
fn sub(n: usize) {
    USED.store(
        USED.load(Ordering::Relaxed).wrapping_sub(n),
        Ordering::Relaxed,
    );
}

/// Bytes the process holds from the allocator, or 0 if the counting allocator is not the
/// global one.
#[inline]
pub fn used() -> usize {
    USED.load(Ordering::Relaxed)
}

/// The system allocator, counting what it holds.
pub struct Counting;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged and only
// adds bookkeeping, so `System`'s guarantees are the ones callers get.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds GlobalAlloc::alloc's contract, which System needs.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add(chunk(layout.size()));
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as alloc.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            add(chunk(layout.size()));
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, hence from System, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        sub(chunk(layout.size()));
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from System with `layout`; the caller upholds realloc's rules.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            sub(chunk(layout.size()));
            add(chunk(new_size));
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::chunk;

    #[test]
    fn chunks_are_glibc_sizes() {
        assert_eq!(chunk(0), 32);
        assert_eq!(chunk(24), 32);
        assert_eq!(chunk(25), 48);
        assert_eq!(chunk(40), 48);
        assert_eq!(chunk(1000), 1008);
    }
}
