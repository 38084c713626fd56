//! INFO [section ...]: Redis's sections and field names, so tools that parse them work.

use crate::server::memory::{
    allocator_stats, human_bytes, rss_bytes, total_system_memory, Overhead,
};
use std::fmt::Write as _;

use super::Ctx;
use crate::config::REDIS_VERSION;

/// Sections of `INFO` / `INFO default`, in Redis's order.
const DEFAULT: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];
/// `INFO all` adds these (before `keyspace`, as Redis orders them).
const ALL_EXTRA: &[&str] = &["commandstats", "latencystats"];

/// INFO [section [section ...]]
pub fn info(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut wanted: Vec<String> = Vec::new();
    if argv.len() == 1 {
        wanted.extend(DEFAULT.iter().map(|s| s.to_string()));
    }
    for a in &argv[1..] {
        let s = String::from_utf8_lossy(a).to_ascii_lowercase();
        match s.as_str() {
            "default" => wanted.extend(DEFAULT.iter().map(|s| s.to_string())),
            "all" | "everything" => {
                wanted.extend(
                    DEFAULT
                        .iter()
                        .filter(|s| **s != "modules")
                        .map(|s| s.to_string()),
                );
                wanted.extend(ALL_EXTRA.iter().map(|s| s.to_string()));
                if s == "everything" {
                    wanted.push("modules".into());
                }
            }
            _ => wanted.push(s),
        }
    }
    let order: Vec<&str> = DEFAULT.iter().chain(ALL_EXTRA).copied().collect();
    let mut text = String::new();
    for section in order {
        if !wanted.iter().any(|w| w == section) {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        write_section(ctx, section, &mut text);
    }
    ctx.out.verbatim("txt", text.as_bytes());
}

fn write_section(ctx: &mut Ctx, section: &str, t: &mut String) {
    let srv = &*ctx.srv;
    let now = ctx.store.now_ms;
    let uptime = now.saturating_sub(srv.start_ms) / 1000;
    match section {
        "server" => {
            t.push_str("# Server\r\n");
            field(t, "redis_version", REDIS_VERSION);
            field(t, "redis_git_sha1", "00000000");
            field(t, "redis_git_dirty", 0);
            field(t, "redis_build_id", "0");
            field(t, "redis_mode", "standalone");
            field(t, "os", os_name());
            field(t, "arch_bits", 64);
            field(t, "monotonic_clock", "POSIX clock_gettime");
            field(t, "multiplexing_api", "epoll");
            field(t, "process_id", std::process::id());
            field(t, "process_supervised", srv.process.supervisor.name());
            field(t, "run_id", &srv.run_id);
            field(t, "tcp_port", srv.tcp_port());
            field(t, "server_time_usec", crate::server::unix_us());
            field(t, "uptime_in_seconds", uptime);
            field(t, "uptime_in_days", uptime / 86400);
            field(t, "hz", srv.config.hz);
            field(t, "configured_hz", srv.config.hz);
            field(t, "lru_clock", (now / 1000) & ((1 << 24) - 1));
            field(t, "executable", &srv.executable);
            field(
                t,
                "config_file",
                srv.config
                    .file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            );
            field(t, "io_threads_active", 0);
            field(t, "redust_version", env!("CARGO_PKG_VERSION"));
        }
        "clients" => {
            t.push_str("# Clients\r\n");
            field(t, "connected_clients", srv.clients.len());
            field(t, "cluster_connections", 0);
            field(t, "maxclients", srv.config.maxclients);
            let max_in = srv
                .clients
                .iter()
                .map(|(_, c)| c.input.capacity())
                .max()
                .unwrap_or(0);
            let max_out = srv
                .clients
                .iter()
                .map(|(_, c)| c.reply.buf.capacity())
                .max()
                .unwrap_or(0);
            field(t, "client_recent_max_input_buffer", max_in);
            field(t, "client_recent_max_output_buffer", max_out);
            field(t, "blocked_clients", srv.blocked_clients());
            field(t, "tracking_clients", srv.tracking.clients());
            field(t, "clients_in_timeout_table", srv.block_deadlines.len());
        }
        "memory" => {
            let o = Overhead::measure(ctx.store, srv);
            let used = o.used;
            let rss = rss_bytes();
            let (allocated, active) = allocator_stats();
            t.push_str("# Memory\r\n");
            field(t, "used_memory", used);
            field(t, "used_memory_human", human_bytes(used));
            field(t, "used_memory_rss", rss);
            field(t, "used_memory_rss_human", human_bytes(rss));
            field(t, "used_memory_peak", o.peak);
            field(t, "used_memory_peak_human", human_bytes(o.peak));
            field(
                t,
                "used_memory_peak_perc",
                format!("{:.2}%", o.peak_percentage()),
            );
            field(t, "used_memory_overhead", o.total);
            field(t, "used_memory_startup", o.startup);
            field(t, "used_memory_dataset", o.dataset);
            field(
                t,
                "used_memory_dataset_perc",
                format!("{:.2}%", o.dataset_percentage()),
            );
            field(t, "allocator_allocated", allocated);
            field(t, "allocator_active", active);
            field(t, "allocator_resident", rss);
            field(t, "total_system_memory", total_system_memory());
            field(
                t,
                "total_system_memory_human",
                human_bytes(total_system_memory()),
            );
            let sc = &srv.scripting;
            let (lua, lua_functions) = (sc.lua_memory() as u64, sc.functions_lua_memory() as u64);
            let (libraries, functions) = sc.function_counts();
            let (scripts, functions_bytes) = (sc.scripts_bytes, sc.functions_bytes());
            field(t, "used_memory_lua", lua);
            field(t, "used_memory_vm_eval", lua);
            field(t, "used_memory_lua_human", human_bytes(lua));
            field(t, "used_memory_scripts_eval", scripts);
            field(t, "number_of_cached_scripts", sc.len());
            field(t, "number_of_functions", functions);
            field(t, "number_of_libraries", libraries);
            field(t, "used_memory_vm_functions", lua_functions);
            field(t, "used_memory_vm_total", lua + lua_functions);
            field(
                t,
                "used_memory_vm_total_human",
                human_bytes(lua + lua_functions),
            );
            field(t, "used_memory_functions", functions_bytes);
            field(t, "used_memory_scripts", scripts + functions_bytes);
            field(
                t,
                "used_memory_scripts_human",
                human_bytes((scripts + functions_bytes) as u64),
            );
            field(t, "maxmemory", srv.config.maxmemory);
            field(
                t,
                "maxmemory_human",
                human_bytes(srv.config.maxmemory as u64),
            );
            field(t, "maxmemory_policy", &srv.config.maxmemory_policy);
            let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            field(
                t,
                "allocator_frag_ratio",
                format!("{:.2}", ratio(active, allocated)),
            );
            field(t, "allocator_frag_bytes", active.saturating_sub(allocated));
            field(
                t,
                "allocator_rss_ratio",
                format!("{:.2}", ratio(rss, active)),
            );
            field(t, "allocator_rss_bytes", rss as i64 - active as i64);
            field(t, "rss_overhead_ratio", "1.00");
            field(t, "rss_overhead_bytes", 0);
            field(
                t,
                "mem_fragmentation_ratio",
                format!("{:.2}", ratio(rss, used)),
            );
            field(t, "mem_fragmentation_bytes", rss as i64 - used as i64);
            // Memory maxmemory does not count: the replicas' output buffers (no AOF).
            field(t, "mem_not_counted_for_evict", o.not_counted_for_evict);
            field(t, "mem_replication_backlog", 0);
            field(t, "mem_total_replication_buffers", o.not_counted_for_evict);
            field(t, "mem_clients_slaves", o.clients_slaves);
            field(t, "mem_clients_normal", o.clients_normal);
            field(t, "mem_cluster_links", 0);
            field(t, "mem_aof_buffer", 0);
            field(t, "mem_allocator", crate::server::alloc::allocator_name());
            field(t, "active_defrag_running", 0);
            field(t, "lazyfree_pending_objects", 0);
            field(t, "lazyfreed_objects", 0);
        }
        "persistence" => {
            let p = &srv.persistence;
            t.push_str("# Persistence\r\n");
            field(t, "loading", 0);
            field(t, "async_loading", 0);
            field(t, "rdb_changes_since_last_save", ctx.store.dirty);
            field(t, "rdb_bgsave_in_progress", u8::from(p.child.is_some()));
            field(t, "rdb_last_save_time", p.last_save_unix);
            field(
                t,
                "rdb_last_bgsave_status",
                if p.last_bgsave_ok { "ok" } else { "err" },
            );
            field(t, "rdb_last_bgsave_time_sec", p.last_bgsave_secs);
            let current = p
                .child
                .as_ref()
                .map_or(-1, |c| (now.saturating_sub(c.started_ms) / 1000) as i64);
            field(t, "rdb_current_bgsave_time_sec", current);
            field(t, "rdb_saves", p.saves);
            field(t, "rdb_last_cow_size", p.last_cow_size);
            field(t, "aof_enabled", 0);
            field(t, "aof_rewrite_in_progress", 0);
            field(t, "aof_rewrite_scheduled", 0);
            field(t, "aof_last_rewrite_time_sec", -1);
            field(t, "aof_current_rewrite_time_sec", -1);
            field(t, "aof_last_bgrewrite_status", "ok");
            field(t, "aof_last_write_status", "ok");
        }
        "stats" => {
            let s = &srv.stats;
            let ks = &ctx.store.stats;
            t.push_str("# Stats\r\n");
            field(t, "total_connections_received", s.total_connections);
            field(t, "total_commands_processed", s.total_commands);
            field(
                t,
                "instantaneous_ops_per_sec",
                s.ops.per_second().round() as u64,
            );
            field(t, "total_net_input_bytes", s.net_input_bytes);
            field(t, "total_net_output_bytes", s.net_output_bytes);
            field(
                t,
                "instantaneous_input_kbps",
                format!("{:.2}", s.input_kbps.per_second() / 1024.0),
            );
            field(
                t,
                "instantaneous_output_kbps",
                format!("{:.2}", s.output_kbps.per_second() / 1024.0),
            );
            field(t, "rejected_connections", s.rejected_connections);
            field(t, "sync_full", 0);
            field(t, "sync_partial_ok", 0);
            field(t, "sync_partial_err", 0);
            field(t, "expired_keys", ks.expired);
            field(t, "expired_stale_perc", "0.00");
            field(t, "expired_time_cap_reached_count", 0);
            field(t, "evicted_keys", ks.evicted);
            field(t, "evicted_clients", s.evicted_clients);
            let current = s.current_eviction_exceeded_ms();
            field(
                t,
                "total_eviction_exceeded_time",
                s.eviction_exceeded_us / 1000 + current,
            );
            field(t, "current_eviction_exceeded_time", current);
            field(t, "keyspace_hits", ks.hits);
            field(t, "keyspace_misses", ks.misses);
            field(t, "pubsub_channels", srv.pubsub.channel_count());
            field(t, "pubsub_patterns", srv.pubsub.pattern_count());
            field(t, "pubsubshard_channels", srv.pubsub.shard_count());
            field(t, "latest_fork_usec", srv.persistence.latest_fork_usec);
            field(t, "total_forks", srv.persistence.total_forks);
            field(t, "migrate_cached_sockets", srv.migrate.len());
            field(t, "tracking_total_keys", srv.tracking.total_keys());
            field(t, "tracking_total_items", srv.tracking.total_items());
            field(t, "tracking_total_prefixes", srv.tracking.total_prefixes());
            field(t, "total_error_replies", s.total_error_replies);
            field(t, "reply_buffer_shrinks", s.reply_buffer_shrinks);
            field(t, "reply_buffer_expands", s.reply_buffer_expands);
            field(
                t,
                "client_query_buffer_limit_disconnections",
                s.client_qbuf_limit_disconnections,
            );
        }
        "replication" => {
            t.push_str("# Replication\r\n");
            match srv.master.as_ref() {
                None => field(t, "role", "master"),
                Some(link) => {
                    let now = crate::server::unix_ms();
                    let master = link.client.and_then(|k| srv.clients.get(k));
                    field(t, "role", "slave");
                    field(t, "master_host", &link.host);
                    field(t, "master_port", link.port);
                    field(
                        t,
                        "master_link_status",
                        if master.is_some() { "up" } else { "down" },
                    );
                    let last_io = master.map_or(-1, |c| {
                        (now.saturating_sub(c.last_interaction_ms) / 1000) as i64
                    });
                    field(t, "master_last_io_seconds_ago", last_io);
                    field(t, "master_sync_in_progress", u8::from(link.syncing()));
                    field(t, "slave_read_repl_offset", link.offset);
                    field(t, "slave_repl_offset", link.offset);
                    if master.is_none() {
                        let down = now.saturating_sub(link.down_since_ms) / 1000;
                        field(t, "master_link_down_since_seconds", down);
                    }
                    field(t, "slave_priority", srv.config.replica_priority);
                    field(t, "slave_read_only", u8::from(srv.config.replica_read_only));
                    field(
                        t,
                        "replica_announced",
                        u8::from(srv.config.replica_announced),
                    );
                }
            }
            field(t, "connected_slaves", srv.replicas.len());
            for (i, &key) in srv.replicas.iter().enumerate() {
                let Some(c) = srv.clients.get(key) else {
                    continue;
                };
                let syncing = c.replica.as_ref().is_some_and(|r| r.sync_child.is_some());
                field(
                    t,
                    &format!("slave{i}"),
                    format!(
                        "ip={},port={},state={},offset=0,lag=0",
                        c.addr.ip(),
                        c.repl_port,
                        if syncing { "wait_bgsave" } else { "online" }
                    ),
                );
            }
            field(t, "master_failover_state", "no-failover");
            field(t, "master_replid", &srv.run_id);
            field(
                t,
                "master_replid2",
                "0000000000000000000000000000000000000000",
            );
            field(t, "master_repl_offset", 0);
            field(t, "second_repl_offset", -1);
            field(t, "repl_backlog_active", 0);
            field(t, "repl_backlog_size", 1048576);
            field(t, "repl_backlog_first_byte_offset", 0);
            field(t, "repl_backlog_histlen", 0);
        }
        "cpu" => {
            let (user, sys) = cpu_times(libc::RUSAGE_SELF);
            let (cuser, csys) = cpu_times(libc::RUSAGE_CHILDREN);
            t.push_str("# CPU\r\n");
            field(t, "used_cpu_sys", format!("{sys:.6}"));
            field(t, "used_cpu_user", format!("{user:.6}"));
            field(t, "used_cpu_sys_children", format!("{csys:.6}"));
            field(t, "used_cpu_user_children", format!("{cuser:.6}"));
            field(t, "used_cpu_sys_main_thread", format!("{sys:.6}"));
            field(t, "used_cpu_user_main_thread", format!("{user:.6}"));
        }
        "modules" => t.push_str("# Modules\r\n"),
        "errorstats" => {
            t.push_str("# Errorstats\r\n");
            for (code, n) in &srv.stats.errorstats {
                let _ = write!(t, "errorstat_{code}:count={n}\r\n");
            }
        }
        "cluster" => {
            t.push_str("# Cluster\r\n");
            field(t, "cluster_enabled", 0);
        }
        "keyspace" => {
            t.push_str("# Keyspace\r\n");
            for (i, db) in ctx.store.dbs().iter().enumerate() {
                if db.is_empty() {
                    continue;
                }
                let avg_ttl = average_ttl(db, now);
                let _ = write!(
                    t,
                    "db{i}:keys={},expires={},avg_ttl={avg_ttl}\r\n",
                    db.len(),
                    db.expires_len()
                );
            }
        }
        "commandstats" => {
            t.push_str("# Commandstats\r\n");
            let names = &super::table::table().names;
            let mut used: Vec<(&str, &crate::server::stats::CommandStat)> = srv
                .stats
                .commandstats
                .iter()
                .enumerate()
                .filter(|(_, s)| s.calls + s.rejected_calls + s.failed_calls > 0)
                .map(|(id, s)| (names[id], s))
                .collect();
            used.sort_unstable_by_key(|&(name, _)| name);
            for (name, s) in used {
                let per_call = if s.calls > 0 {
                    s.usec as f64 / s.calls as f64
                } else {
                    0.0
                };
                let _ = write!(
                    t,
                    "cmdstat_{name}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
                    s.calls, s.usec, s.rejected_calls, s.failed_calls
                );
            }
        }
        "latencystats" => {
            t.push_str("# Latencystats\r\n");
            let names = &super::table::table().names;
            let mut used: Vec<(&str, &crate::server::latency::Histogram)> = srv
                .stats
                .commandstats
                .iter()
                .enumerate()
                .filter_map(|(id, s)| {
                    let h = s.histogram.as_ref().filter(|h| h.total > 0)?;
                    Some((names[id], h))
                })
                .collect();
            used.sort_unstable_by_key(|&(name, _)| name);
            let percentiles = &srv.config.latency_tracking_info_percentiles.0;
            for (name, h) in used {
                let _ = write!(t, "latency_percentiles_usec_{name}:");
                for (i, &p) in percentiles.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "," };
                    let _ = write!(
                        t,
                        "{sep}p{}={:.3}",
                        crate::config::special::trim_double(p),
                        h.percentile_us(p)
                    );
                }
                t.push_str("\r\n");
            }
        }
        _ => {}
    }
}

fn field(t: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(t, "{name}:{value}\r\n");
}

/// The mean remaining TTL in ms over (a sample of) the keys with a deadline.
fn average_ttl(db: &crate::store::Db, now: u64) -> u64 {
    let sample: Vec<u64> = db
        .deadlines()
        .take(1000)
        .map(|(_, d)| d.saturating_sub(now))
        .collect();
    if sample.is_empty() {
        0
    } else {
        sample.iter().sum::<u64>() / sample.len() as u64
    }
}

fn os_name() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("Linux {} {}", release.trim(), std::env::consts::ARCH)
}

/// (user, system) CPU seconds.
fn cpu_times(who: libc::c_int) -> (f64, f64) {
    let mut ru: libc::rusage = unsafe_zeroed_rusage();
    // SAFETY: getrusage fills the struct we pass.
    if unsafe { libc::getrusage(who, &mut ru) } != 0 {
        return (0.0, 0.0);
    }
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (secs(ru.ru_utime), secs(ru.ru_stime))
}

fn unsafe_zeroed_rusage() -> libc::rusage {
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    unsafe { std::mem::zeroed() }
}
