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
/// peak after FLUSHALL. jemalloc (the `jemalloc` feature) would hand its dirty pages back
/// over about ten seconds; its purge does it at once, as Redis's jemalloc_purge.
pub fn release_free_memory() {
    // SAFETY: malloc_trim only walks and releases glibc's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
    #[cfg(feature = "jemalloc")]
    // "arena.<MALLCTL_ARENAS_ALL>.purge": 4096 names all arenas.
    // SAFETY: a NUL-terminated name and no old or new value, as this mallctl takes.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arena.4096.purge".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
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

/// What used_memory is made of, as Redis's getMemoryOverheadData breaks it down for
/// MEMORY STATS and INFO memory: the server's own overhead (memory at start, clients,
/// script caches, the keyspace tables) and the dataset, the rest.
#[derive(Clone, Debug, Default)]
pub struct Overhead {
    pub used: u64,
    pub peak: u64,
    /// used_memory once the server had started.
    pub startup: u64,
    /// Memory of the normal and pub/sub clients (tot-mem summed).
    pub clients_normal: u64,
    /// Memory of the replicas' connections.
    pub clients_slaves: u64,
    /// What maxmemory does not count: the replicas' output buffers.
    pub not_counted_for_evict: u64,
    /// EVAL's script bodies.
    pub lua_caches: u64,
    /// FUNCTION libraries' code.
    pub functions_caches: u64,
    /// (db, keyspace table, deadlines table) bytes, for each database with keys.
    pub dbs: Vec<(usize, u64, u64)>,
    pub total: u64,
    pub keys: u64,
    pub dataset: u64,
}

impl Overhead {
    /// The figures now.
    pub fn measure(store: &crate::store::Store, srv: &super::ServerState) -> Overhead {
        let used = used_memory();
        let (mut clients_normal, mut clients_slaves) = (0, 0);
        for (_, c) in srv.clients.iter().filter(|(_, c)| !c.script) {
            let mem = c.memory_usage(None) as u64;
            if c.replica.is_some() {
                clients_slaves += mem;
            } else {
                clients_normal += mem;
            }
        }
        let dbs: Vec<(usize, u64, u64)> = store
            .dbs()
            .iter()
            .enumerate()
            .filter(|(_, db)| !db.is_empty())
            .map(|(i, db)| {
                let (main, expires) = db.overhead_bytes();
                (i, main as u64, expires as u64)
            })
            .collect();
        let startup = srv.memory_startup;
        let lua_caches = srv.scripting.scripts_bytes as u64;
        let functions_caches = srv.scripting.functions_bytes() as u64;
        let total = startup
            + clients_normal
            + clients_slaves
            + lua_caches
            + functions_caches
            + dbs.iter().map(|&(_, m, e)| m + e).sum::<u64>();
        Overhead {
            used,
            peak: srv.memory_peak.max(used),
            startup,
            clients_normal,
            clients_slaves,
            not_counted_for_evict: srv.replica_output_bytes() as u64,
            lua_caches,
            functions_caches,
            dbs,
            total,
            keys: store.total_keys() as u64,
            dataset: used.saturating_sub(total),
        }
    }

    /// The dataset's share of what is not startup memory, in percent.
    pub fn dataset_percentage(&self) -> f64 {
        let net = self.used.saturating_sub(self.startup);
        if net == 0 {
            0.0
        } else {
            self.dataset as f64 * 100.0 / net as f64
        }
    }

    /// used_memory as a percentage of its peak.
    pub fn peak_percentage(&self) -> f64 {
        if self.peak == 0 {
            0.0
        } else {
            self.used as f64 * 100.0 / self.peak as f64
        }
    }

    /// Bytes per key of the memory above startup.
    pub fn bytes_per_key(&self) -> u64 {
        self.used
            .saturating_sub(self.startup)
            .checked_div(self.keys)
            .unwrap_or(0)
    }
}

/// The allocator's own figures: (bytes handed out, bytes of the pages holding them),
/// Redis's allocator_allocated and allocator_active. jemalloc's when it is the counted
/// allocator (the binary built with the `jemalloc` feature), else glibc's.
pub fn allocator_stats() -> (u64, u64) {
    #[cfg(feature = "jemalloc")]
    if super::alloc::used() != 0 {
        return jemalloc_stats();
    }
    // SAFETY: mallinfo2 only reads glibc's allocator statistics.
    let mi = unsafe { libc::mallinfo2() };
    (
        (mi.uordblks + mi.hblkhd) as u64,
        (mi.arena + mi.hblkhd) as u64,
    )
}

/// jemalloc's stats.allocated and stats.active, as of now (the epoch is advanced first).
#[cfg(feature = "jemalloc")]
fn jemalloc_stats() -> (u64, u64) {
    use std::ffi::CStr;
    fn read(name: &CStr) -> u64 {
        let mut v: usize = 0;
        let mut len = std::mem::size_of::<usize>();
        // SAFETY: a NUL-terminated name of a size_t statistic, read into a usize of the
        // size `len` says.
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                (&mut v as *mut usize).cast(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        if rc == 0 {
            v as u64
        } else {
            0
        }
    }
    let mut epoch: u64 = 1;
    let mut len = std::mem::size_of::<u64>();
    // SAFETY: "epoch" reads and writes a uint64_t; both pointers are to one.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"epoch".as_ptr(),
            (&mut epoch as *mut u64).cast(),
            &mut len,
            (&mut epoch as *mut u64).cast(),
            std::mem::size_of::<u64>(),
        );
    }
    (read(c"stats.allocated"), read(c"stats.active"))
}
