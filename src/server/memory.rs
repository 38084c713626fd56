//! Memory: what the allocator and the kernel say the process uses, and giving freed
//! memory back. INFO, MEMORY and maxmemory read it.

/// Redis's bytesToHuman.
pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    const K: f64 = 1024.0;
    if n < K {
        format!("{n}B")
    } else if n < K * K {
        format!("{:.2}K", n / K)
    } else if n < K * K * K {
        format!("{:.2}M", n / (K * K))
    } else if n < K * K * K * K {
        format!("{:.2}G", n / (K * K * K))
    } else {
        format!("{:.2}T", n / (K * K * K * K))
    }
}

/// Bytes the allocator has handed out and not taken back: the counting allocator's total
/// when it is installed (the server binary), else what glibc reports (slower: mallinfo2
/// walks the heap's bins).
pub fn used_memory() -> u64 {
    let counted = super::alloc::used();
    if counted != 0 {
        return counted as u64;
    }
    // SAFETY: mallinfo2 only reads glibc's allocator statistics.
    let mi = unsafe { libc::mallinfo2() };
    (mi.uordblks + mi.hblkhd) as u64
}

/// Returns the allocator's free memory to the system, as far as it can: glibc keeps freed
/// chunks in its heap (and the heap's top) until asked, so without this RSS stays at its
/// peak after FLUSHALL. jemalloc's purge does the same for Redis.
pub fn release_free_memory() {
    // SAFETY: malloc_trim only walks and releases glibc's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Resident set size, from /proc/self/statm.
pub fn rss_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0);
    pages * 4096
}

pub fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                })
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}
