//! The counting allocator: the process's allocator with a running total of the bytes it
//! holds, which is what maxmemory, INFO's used_memory and MEMORY USAGE read (Redis's
//! zmalloc_used_memory). The allocator is glibc's malloc, or jemalloc when the crate is
//! built with the `jemalloc` feature.
//!
//! The binary installs it with `#[global_allocator]` (src/main.rs); the library does not,
//! so tests and the fuzz harness may install their own. Until it is installed the total
//! stays 0 and [`crate::server::memory::used_memory`] falls back to the allocator's own
//! statistics.
//!
//! Each allocation is charged what the allocator really takes for it, so the total follows
//! the heap rather than the requests: one-byte values cost what they cost. For glibc that
//! is its chunk (the request plus its 8-byte header, rounded up to 16, at least 32 bytes);
//! for jemalloc the size class the request lands in (what malloc_usable_size would say,
//! and what Redis's zmalloc charges).

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

#[cfg(not(feature = "jemalloc"))]
use std::alloc::System as Inner;
#[cfg(feature = "jemalloc")]
use tikv_jemallocator::Jemalloc as Inner;

/// Bytes held, as charged by [`held`].
static USED: AtomicUsize = AtomicUsize::new(0);

/// What glibc's malloc takes for a request of `size` bytes: its chunk, the request plus
/// the size header, 16-byte aligned, never under the 32-byte minimum chunk.
#[cfg(any(test, not(feature = "jemalloc")))]
#[inline(always)]
const fn chunk(size: usize) -> usize {
    let c = (size + 8 + 15) & !15;
    if c < 32 {
        32
    } else {
        c
    }
}

/// jemalloc's size class for a request of `size` bytes (its `sz_s2u`, 16-byte quantum):
/// 8, then multiples of 16 up to 128, then four classes per power of two (160, 192, 224,
/// 256, 320, ...), small and large classes alike.
#[cfg(any(test, feature = "jemalloc"))]
#[inline(always)]
const fn size_class(size: usize) -> usize {
    if size <= 8 {
        8
    } else if size <= 128 {
        (size + 15) & !15
    } else {
        // The class spacing is a quarter of the power of two below the size.
        let lg = usize::BITS - 1 - (size - 1).leading_zeros();
        let delta = 1usize << (lg - 2);
        (size + delta - 1) & !(delta - 1)
    }
}

/// Bytes charged for an allocation of `size` bytes aligned to `align`.
#[cfg(not(feature = "jemalloc"))]
#[inline(always)]
fn held(size: usize, _align: usize) -> usize {
    // glibc aligns to 16 on its own; memalign's larger alignments are rare enough here
    // (none on the hot path) to be charged as plain chunks.
    chunk(size)
}

#[cfg(feature = "jemalloc")]
#[inline(always)]
fn held(size: usize, align: usize) -> usize {
    if align <= 16 {
        // Up to the 16-byte quantum an aligned request lands in the class of its size
        // rounded up to the alignment (which is the size's own class when align <= size).
        size_class((size + align - 1) & !(align - 1))
    } else {
        // Over-aligned requests (rare: none on the hot path): ask jemalloc.
        // SAFETY: nallocx only computes a size; MALLOCX_ALIGN of a power of two is valid.
        unsafe { tikv_jemalloc_sys::nallocx(size, tikv_jemalloc_sys::MALLOCX_ALIGN(align)) }
    }
}

/// The counted allocator's name and version, for INFO's mem_allocator: `libc`, or
/// `jemalloc-5.3.0` (as Redis says it) when the counting allocator over jemalloc is the
/// global one.
pub fn allocator_name() -> &'static str {
    #[cfg(feature = "jemalloc")]
    if used() != 0 {
        return jemalloc_version();
    }
    "libc"
}

/// `jemalloc-<major.minor.patch>`: jemalloc's own version string also carries a git
/// describe suffix, which Redis's does not show.
#[cfg(feature = "jemalloc")]
fn jemalloc_version() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        let mut v: *const std::ffi::c_char = std::ptr::null();
        let mut len = std::mem::size_of_val(&v);
        // SAFETY: "version" is a NUL-terminated name; jemalloc writes one pointer to a
        // static NUL-terminated string into `v`, whose size `len` gives.
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                c"version".as_ptr(),
                (&mut v as *mut *const std::ffi::c_char).cast(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        if rc != 0 || v.is_null() {
            return "jemalloc".to_string();
        }
        // SAFETY: jemalloc's version string is static and NUL-terminated.
        let full = unsafe { std::ffi::CStr::from_ptr(v) }.to_string_lossy();
        format!("jemalloc-{}", full.split('-').next().unwrap_or(&full))
    })
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

/// The allocator (glibc's malloc, or jemalloc with the `jemalloc` feature), counting what
/// it holds.
pub struct Counting;

// SAFETY: every method forwards to `Inner` with the caller's arguments unchanged and only
// adds bookkeeping, so `Inner`'s guarantees are the ones callers get.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds GlobalAlloc::alloc's contract, which Inner needs.
        let p = unsafe { Inner.alloc(layout) };
        if !p.is_null() {
            add(held(layout.size(), layout.align()));
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as alloc.
        let p = unsafe { Inner.alloc_zeroed(layout) };
        if !p.is_null() {
            add(held(layout.size(), layout.align()));
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, hence from Inner, with `layout`.
        unsafe { Inner.dealloc(ptr, layout) };
        sub(held(layout.size(), layout.align()));
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from Inner with `layout`; the caller upholds realloc's rules.
        let p = unsafe { Inner.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            sub(held(layout.size(), layout.align()));
            add(held(new_size, layout.align()));
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::{chunk, size_class};

    #[test]
    fn chunks_are_glibc_sizes() {
        assert_eq!(chunk(0), 32);
        assert_eq!(chunk(24), 32);
        assert_eq!(chunk(25), 48);
        assert_eq!(chunk(40), 48);
        assert_eq!(chunk(1000), 1008);
    }

    #[test]
    fn size_classes_are_jemallocs() {
        let classes = [
            8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
        ];
        let mut prev = 0;
        for c in classes {
            for size in prev + 1..=c {
                assert_eq!(size_class(size), c, "size {size}");
            }
            prev = c;
        }
        assert_eq!(size_class(0), 8);
        assert_eq!(size_class(14336), 14336);
        assert_eq!(size_class(14337), 16384);
        assert_eq!(size_class(16385), 20480);
        assert_eq!(size_class((1 << 20) + 1), (1 << 20) + (1 << 18));
    }

    /// The formula against jemalloc itself, where it is linked.
    #[cfg(feature = "jemalloc")]
    #[test]
    fn size_classes_match_nallocx() {
        let check = |size: usize| {
            // SAFETY: nallocx only computes a size.
            let n = unsafe { tikv_jemalloc_sys::nallocx(size, 0) };
            assert_eq!(size_class(size), n, "size {size}");
        };
        (1..=70_000).for_each(check);
        (0..28).for_each(|k| {
            let p = 1usize << (k + 16);
            [p - 1, p, p + 1, p + p / 3].into_iter().for_each(check);
        });
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 7, 8, 9, 15, 16, 17, 100, 129, 5000, 70_000] {
                let flags = tikv_jemalloc_sys::MALLOCX_ALIGN(align);
                // SAFETY: as above.
                let n = unsafe { tikv_jemalloc_sys::nallocx(size, flags) };
                assert_eq!(super::held(size, align), n, "size {size} align {align}");
            }
        }
    }

    #[test]
    fn allocator_is_named() {
        // The unit tests run on the system allocator: the counting one is not installed.
        assert_eq!(super::allocator_name(), "libc");
        #[cfg(feature = "jemalloc")]
        assert_eq!(super::jemalloc_version(), "jemalloc-5.3.0");
    }
}
