//! MEMORY: USAGE (with SAMPLES), STATS, DOCTOR, MALLOC-STATS, PURGE, HELP.

use std::fmt::Write as _;

use super::{is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::server::memory::{allocator_stats, human_bytes, rss_bytes, Overhead};
use crate::store::{RString, Value};

/// Per-key overhead: the table node, the key's allocation and the value's header.
const ENTRY_OVERHEAD: usize = 48;
/// Per-element overhead of a collection's node or slot.
const ELEMENT: usize = 16;
/// Elements MEMORY USAGE looks at by default (Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES).
const DEFAULT_SAMPLES: usize = 5;

/// Sums `size` over the first `samples` of `items` (all for 0) and scales it to `len`
/// elements, as Redis estimates a collection from a sample.
fn sampled<I: Iterator<Item = usize>>(items: I, len: usize, samples: usize) -> usize {
    let samples = if samples == 0 { usize::MAX } else { samples };
    let (mut seen, mut bytes) = (0usize, 0usize);
    for size in items.take(samples) {
        seen += 1;
        bytes += size;
    }
    if seen == 0 {
        0
    } else {
        (bytes as f64 / seen as f64 * len as f64) as usize
    }
}

/// An estimate of the bytes a key and its value occupy, collections estimated from
/// `samples` elements (0: all of them).
pub fn usage_of(key: &[u8], value: &Value, samples: usize) -> usize {
    let value_bytes = match value {
        Value::Str(RString::Int(_)) => 0,
        Value::Str(s) => s.len(),
        Value::List(l) => sampled(l.items.iter().map(|e| e.len() + ELEMENT), l.len(), samples),
        Value::Hash(h) => sampled(
            h.iter().map(|(f, v)| f.len() + v.len() + ELEMENT),
            h.len(),
            samples,
        ),
        Value::Set(s) => {
            let mut sizes = Vec::new();
            let want = if samples == 0 { usize::MAX } else { samples };
            let mut cursor = 0;
            loop {
                cursor = s.scan(cursor, |m| {
                    if sizes.len() < want {
                        sizes.push(m.len() + ELEMENT);
                    }
                });
                if cursor == 0 || sizes.len() >= want {
                    break;
                }
            }
            sampled(sizes.into_iter(), s.len(), 0)
        }
        Value::ZSet(z) => sampled(
            z.iter().map(|(m, _)| m.len() + 8 + ELEMENT),
            z.len(),
            samples,
        ),
        Value::Stream(s) => s.heap_bytes(),
    };
    ENTRY_OVERHEAD + key.len() + value_bytes
}

/// MEMORY USAGE key [SAMPLES count]
pub fn usage(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut samples = DEFAULT_SAMPLES;
    let mut i = 3;
    while i < argv.len() {
        if is(argv[i], "samples") && i + 1 < argv.len() {
            match parse_i64(argv[i + 1]) {
                None => return ctx.out.err("value is not an integer or out of range"),
                Some(n) if n < 0 => return ctx.syntax_error(),
                Some(n) => samples = n as usize,
            }
            i += 2;
        } else {
            return ctx.syntax_error();
        }
    }
    let key = argv[2];
    // Redis reads the table directly here: no hit or miss is counted.
    let expired = ctx.store.expire_if_needed(ctx.db, key);
    match ctx
        .store
        .db(ctx.db)
        .get(key)
        .filter(|_| !expired)
        .map(|v| usage_of(key, v, samples))
    {
        Some(n) => ctx.out.int(n as i64),
        None => ctx.out.null(),
    }
}

/// MEMORY STATS: used_memory broken down as Redis's MEMORY STATS shows it.
pub fn stats(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let o = Overhead::measure(ctx.store, ctx.srv);
    let rss = rss_bytes();
    let (allocated, active) = allocator_stats();
    let out = &mut *ctx.out;
    out.map(27 + o.dbs.len());
    let pair = |out: &mut crate::protocol::reply::Reply, name: &str, v: u64| {
        out.bulk(name.as_bytes());
        out.int(v as i64);
    };
    pair(out, "peak.allocated", o.peak);
    pair(out, "total.allocated", o.used);
    pair(out, "startup.allocated", o.startup);
    pair(out, "replication.backlog", 0);
    pair(out, "clients.slaves", o.clients_slaves);
    pair(out, "clients.normal", o.clients_normal);
    pair(out, "cluster.links", 0);
    pair(out, "aof.buffer", 0);
    pair(out, "lua.caches", o.lua_caches);
    pair(out, "functions.caches", o.functions_caches);
    for &(db, main, expires) in &o.dbs {
        out.bulk(format!("db.{db}").as_bytes());
        out.map(3);
        pair(out, "overhead.hashtable.main", main);
        pair(out, "overhead.hashtable.expires", expires);
        pair(out, "overhead.hashtable.slot-to-keys", 0);
    }
    pair(out, "overhead.total", o.total);
    pair(out, "keys.count", o.keys);
    pair(out, "keys.bytes-per-key", o.bytes_per_key());
    pair(out, "dataset.bytes", o.dataset);
    out.bulk(b"dataset.percentage");
    out.double(o.dataset_percentage());
    out.bulk(b"peak.percentage");
    out.double(o.peak_percentage());
    pair(out, "allocator.allocated", allocated);
    pair(out, "allocator.active", active);
    pair(out, "allocator.resident", rss);
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    out.bulk(b"allocator-fragmentation.ratio");
    out.double(ratio(active, allocated));
    pair(
        out,
        "allocator-fragmentation.bytes",
        active.saturating_sub(allocated),
    );
    out.bulk(b"allocator-rss.ratio");
    out.double(ratio(rss, active));
    pair(out, "allocator-rss.bytes", rss.saturating_sub(active));
    out.bulk(b"rss-overhead.ratio");
    out.double(1.0);
    pair(out, "rss-overhead.bytes", 0);
    out.bulk(b"fragmentation");
    out.double(ratio(rss, o.used));
    pair(out, "fragmentation.bytes", rss.saturating_sub(o.used));
}

/// MEMORY DOCTOR: what stands out in the memory figures, in words.
pub fn doctor(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let o = Overhead::measure(ctx.store, ctx.srv);
    let rss = rss_bytes();
    let mut report = String::new();
    if o.used < 5 << 20 {
        report.push_str(
            "This instance is empty or uses very little memory (under 5 MB): there is \
             nothing for the memory doctor to diagnose yet.\n",
        );
    } else {
        let mut problems = 0;
        if o.peak > o.used * 3 / 2 {
            problems += 1;
            let _ = writeln!(
                report,
                "* Peak memory: at some point used memory was {} while it is {} now. The \
                 allocator keeps much of what was freed; MEMORY PURGE gives it back.",
                human_bytes(o.peak),
                human_bytes(o.used)
            );
        }
        if rss > o.used * 14 / 10 && rss - o.used > 10 << 20 {
            problems += 1;
            let _ = writeln!(
                report,
                "* High fragmentation: the process holds {} for {} in use ({:.2} times).",
                human_bytes(rss),
                human_bytes(o.used),
                rss as f64 / o.used as f64
            );
        }
        let clients = ctx.srv.clients.len().max(1) as u64;
        if o.clients_normal / clients > 200 * 1024 {
            problems += 1;
            let _ = writeln!(
                report,
                "* Big client buffers: the clients hold {} on average; check CLIENT LIST \
                 for large qbuf or omem, and client-output-buffer-limit.",
                human_bytes(o.clients_normal / clients)
            );
        }
        if problems == 0 {
            report.push_str("No memory problem found: the figures look healthy.\n");
        }
    }
    ctx.out.verbatim("txt", report.as_bytes());
}

/// MEMORY MALLOC-STATS: the allocator's own report: glibc's malloc_stats figures, or
/// jemalloc's malloc_stats_print text (as Redis returns it) when jemalloc is the counted
/// allocator.
pub fn malloc_stats(ctx: &mut Ctx, _argv: &[&[u8]]) {
    #[cfg(feature = "jemalloc")]
    if crate::server::alloc::used() != 0 {
        return jemalloc_stats(ctx);
    }
    // SAFETY: mallinfo2 only reads glibc's allocator statistics.
    let mi = unsafe { libc::mallinfo2() };
    let text = format!(
        "glibc malloc (counted by redust's allocator: {} bytes)\n\
         arena: {}\nordblks: {}\nsmblks: {}\nhblks: {}\nhblkhd: {}\n\
         fsmblks: {}\nuordblks: {}\nfordblks: {}\nkeepcost: {}\n",
        crate::server::memory::used_memory(),
        mi.arena,
        mi.ordblks,
        mi.smblks,
        mi.hblks,
        mi.hblkhd,
        mi.fsmblks,
        mi.uordblks,
        mi.fordblks,
        mi.keepcost
    );
    ctx.out.verbatim("txt", text.as_bytes());
}

/// MEMORY HELP
pub fn help(ctx: &mut Ctx, _argv: &[&[u8]]) {
    super::server::help_reply(
        ctx,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
}

/// jemalloc's malloc_stats_print report.
#[cfg(feature = "jemalloc")]
fn jemalloc_stats(ctx: &mut Ctx) {
    unsafe extern "C" fn append(out: *mut std::ffi::c_void, s: *const std::ffi::c_char) {
        // SAFETY: `out` is the String passed below, alive for the whole call; `s` is a
        // NUL-terminated string jemalloc hands over.
        unsafe {
            (*out.cast::<String>()).push_str(&std::ffi::CStr::from_ptr(s).to_string_lossy());
        }
    }
    let mut text = String::new();
    // SAFETY: the callback only appends to `text` (allocating through jemalloc from inside
    // the report is allowed, as Redis's own callback does); a null opts prints everything.
    unsafe {
        tikv_jemalloc_sys::malloc_stats_print(
            Some(append),
            (&mut text as *mut String).cast(),
            std::ptr::null(),
        );
    }
    ctx.out.verbatim("txt", text.as_bytes());
}

/// MEMORY PURGE: gives the allocator's free memory back to the system.
pub fn purge(ctx: &mut Ctx, _argv: &[&[u8]]) {
    crate::server::memory::release_free_memory();
    ctx.out.ok();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_scales_to_the_length() {
        assert_eq!(sampled([10, 20].into_iter(), 10, 2), 150);
        assert_eq!(sampled([10, 20, 30].into_iter(), 3, 0), 60);
        assert_eq!(sampled(std::iter::empty(), 0, 5), 0);
    }
}
