//! The parameter table: every parameter Redis 7.0.15 has, with its alias, kind (which
//! drives validation, CONFIG GET and CONFIG REWRITE), flags and default. One macro declares
//! the `Config` fields and the `PARAMS` rows from one list, so a parameter cannot exist in
//! one and be missing from the other. The rows follow Redis's config.c table, in its order.

use super::check::{
    check_appenddirname, check_appendfilename, check_dbfilename, check_defrag, check_hostname,
    check_proc_title, check_shutdown_flags, Check,
};
use super::special::{
    BindAddrs, KeyspaceEvents, ObufLimits, OomScoreAdjValues, Percentiles, ReplicaOf, SaveRules,
};
use super::value::{Bounds, Choices, Empty, Form, Kind, Setting, Special};
use std::path::PathBuf;

/// No flag.
pub const NONE: u16 = 0;
/// Set at start only: CONFIG SET refuses it (Redis's IMMUTABLE_CONFIG).
pub const IMMUTABLE: u16 = 1 << 0;
/// CONFIG SET refuses it unless `enable-protected-configs` allows the client.
pub const PROTECTED: u16 = 1 << 1;
/// Its value is a secret (Redis redacts it from the slow log).
pub const SENSITIVE: u16 = 1 << 2;
/// Only an exact CONFIG GET name shows it, never a pattern (test and debug knobs).
pub const HIDDEN: u16 = 1 << 3;
/// Accepted, validated and reported so that redis.conf files and clients work, but redust
/// has no use for it (the README says why, parameter by parameter).
pub const NO_EFFECT: u16 = 1 << 4;

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: u64 = u32::MAX as u64;
/// LONG_MAX as an unsigned bound (size_t parameters).
const LONG_MAX: u64 = i64::MAX as u64;

const fn num(form: Form, bounds: Bounds) -> Kind {
    Kind::Num { form, bounds }
}

const MAXMEMORY_POLICY: Choices = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const SYSLOG_FACILITY: Choices = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];
const LOGLEVEL: Choices = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const SUPERVISED_MODE: Choices = &[("upstart", 0), ("systemd", 1), ("auto", 2), ("no", 3)];
const AOF_FSYNC: Choices = &[("everysec", 0), ("always", 1), ("no", 2)];
/// Bit flags: several may be given at once.
const SHUTDOWN_ON_SIG: Choices = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];
const REPL_DISKLESS_LOAD: Choices = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: Choices = &[("no", 0), ("yes", 1), ("optional", 2)];
/// `yes` and `relative` are one value; `yes` is what CONFIG GET shows.
const OOM_SCORE_ADJ: Choices = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: Choices = &[("allchannels", 8), ("resetchannels", 0)];
/// What SAVE / BGSAVE / SHUTDOWN write: redust's own format or Redis's RDB.
const SNAPSHOT_FORMAT: Choices = &[("redust", 0), ("rdb", 1)];
const SANITIZE_DUMP_PAYLOAD: Choices = &[("no", 0), ("yes", 1), ("clients", 2)];
const PROTECTED_ACTION: Choices = &[("no", 0), ("yes", 1), ("local", 2)];
const CLUSTER_PREFERRED_ENDPOINT_TYPE: Choices =
    &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR_BEHAVIOR: Choices =
    &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];

/// One row of the table.
pub struct Param {
    /// The name CONFIG GET and REWRITE use.
    pub name: &'static str,
    /// The older name it also answers to (`slave-*`, `*-ziplist-*`, `lua-time-limit`).
    pub alias: Option<&'static str>,
    /// How its value is read and shown.
    pub kind: Kind,
    /// IMMUTABLE, PROTECTED, SENSITIVE, HIDDEN, NO_EFFECT.
    pub flags: u16,
    check: Option<Check>,
    get: fn(&Config, &Kind) -> String,
    set: Setter,
}

/// Stores a row's value from its words, with the row's extra check.
type Setter = fn(&mut Config, &[String], &Kind, Option<Check>) -> Result<(), String>;

impl Param {
    /// The current value as CONFIG GET shows it.
    pub fn get(&self, c: &Config) -> String {
        (self.get)(c, &self.kind)
    }

    /// Validates `args` (the words after the name) and stores the value; on error the
    /// configuration is unchanged and the message is Redis's.
    pub fn set(&self, c: &mut Config, args: &[String]) -> Result<(), String> {
        (self.set)(c, args, &self.kind, self.check)
    }

    /// Whether the row has `flag`.
    pub fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }

    /// The row's names: its own, then its alias.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.alias)
    }
}

macro_rules! config_table {
    (@opt) => { None };
    (@opt $e:expr) => { Some($e) };
    (@check) => { None };
    (@check $e:expr) => { Some($e as Check) };
    ($( $field:ident : $ty:ty = $default:expr, $name:literal $(| $alias:literal)?,
        $kind:expr, $flags:expr $(, $check:expr)?; )*) => {
        /// Every configuration value, typed; read directly on the hot path.
        #[derive(Clone, Debug)]
        pub struct Config {
            $( #[doc = $name] pub $field: $ty, )*
            /// The config file the server started with (CONFIG REWRITE writes it back).
            pub file: Option<PathBuf>,
            /// `rename-command` directives, in order: (old name, new name or "").
            pub renamed_commands: Vec<(String, String)>,
            /// `user` directives, in order: the name, then the rules (selectors merged).
            pub users: Vec<Vec<String>>,
            /// The users CONFIG REWRITE writes (`user <name> <rules>` lines), set by its
            /// caller from the live ACL; `None` writes the default user from requirepass.
            pub acl_lines: Option<Vec<String>>,
        }

        impl Default for Config {
            fn default() -> Self {
                Config {
                    $( $field: $default, )*
                    file: None,
                    renamed_commands: Vec::new(),
                    users: Vec::new(),
                    acl_lines: None,
                }
            }
        }

        /// The table behind the config file, `--args` and CONFIG GET / SET / REWRITE.
        pub static PARAMS: &[Param] = &[ $(
            Param {
                name: $name,
                alias: config_table!(@opt $($alias)?),
                kind: $kind,
                flags: $flags,
                check: config_table!(@check $($check)?),
                get: |c, kind| Setting::show(&c.$field, kind),
                set: |c, args, kind, check| {
                    let value = Setting::update(&c.$field, args, kind)?;
                    if let Some(check) = check {
                        check(&Setting::show(&value, kind))?;
                    }
                    c.$field = value;
                    Ok(())
                },
            },
        )* ];
    };
}

config_table! {
    // Booleans.
    rdbchecksum: bool = true, "rdbchecksum", Kind::Bool, IMMUTABLE | NO_EFFECT;
    daemonize: bool = false, "daemonize", Kind::Bool, IMMUTABLE;
    io_threads_do_reads: bool = false, "io-threads-do-reads", Kind::Bool, IMMUTABLE | NO_EFFECT;
    always_show_logo: bool = false, "always-show-logo", Kind::Bool, IMMUTABLE | NO_EFFECT;
    protected_mode: bool = true, "protected-mode", Kind::Bool, NONE;
    rdbcompression: bool = true, "rdbcompression", Kind::Bool, NONE;
    rdb_del_sync_files: bool = false, "rdb-del-sync-files", Kind::Bool, NO_EFFECT;
    activerehashing: bool = true, "activerehashing", Kind::Bool, NO_EFFECT;
    stop_writes_on_bgsave_error: bool = true, "stop-writes-on-bgsave-error", Kind::Bool, NONE;
    set_proc_title: bool = true, "set-proc-title", Kind::Bool, IMMUTABLE | NO_EFFECT;
    dynamic_hz: bool = true, "dynamic-hz", Kind::Bool, NO_EFFECT;
    lazyfree_lazy_eviction: bool = false, "lazyfree-lazy-eviction", Kind::Bool, NO_EFFECT;
    lazyfree_lazy_expire: bool = false, "lazyfree-lazy-expire", Kind::Bool, NO_EFFECT;
    lazyfree_lazy_server_del: bool = false, "lazyfree-lazy-server-del", Kind::Bool, NO_EFFECT;
    lazyfree_lazy_user_del: bool = false, "lazyfree-lazy-user-del", Kind::Bool, NO_EFFECT;
    lazyfree_lazy_user_flush: bool = false, "lazyfree-lazy-user-flush", Kind::Bool, NO_EFFECT;
    repl_disable_tcp_nodelay: bool = false, "repl-disable-tcp-nodelay", Kind::Bool, NO_EFFECT;
    repl_diskless_sync: bool = true, "repl-diskless-sync", Kind::Bool, NO_EFFECT;
    aof_rewrite_incremental_fsync: bool = true, "aof-rewrite-incremental-fsync",
        Kind::Bool, NO_EFFECT;
    no_appendfsync_on_rewrite: bool = false, "no-appendfsync-on-rewrite", Kind::Bool, NO_EFFECT;
    cluster_require_full_coverage: bool = true, "cluster-require-full-coverage",
        Kind::Bool, NO_EFFECT;
    rdb_save_incremental_fsync: bool = true, "rdb-save-incremental-fsync", Kind::Bool, NO_EFFECT;
    aof_load_truncated: bool = true, "aof-load-truncated", Kind::Bool, NO_EFFECT;
    aof_use_rdb_preamble: bool = true, "aof-use-rdb-preamble", Kind::Bool, NO_EFFECT;
    aof_timestamp_enabled: bool = false, "aof-timestamp-enabled", Kind::Bool, NO_EFFECT;
    cluster_replica_no_failover: bool = false,
        "cluster-replica-no-failover" | "cluster-slave-no-failover", Kind::Bool, NO_EFFECT;
    replica_lazy_flush: bool = false, "replica-lazy-flush" | "slave-lazy-flush",
        Kind::Bool, NO_EFFECT;
    replica_serve_stale_data: bool = true, "replica-serve-stale-data" | "slave-serve-stale-data",
        Kind::Bool, NONE;
    replica_read_only: bool = true, "replica-read-only" | "slave-read-only", Kind::Bool, NONE;
    replica_ignore_maxmemory: bool = true, "replica-ignore-maxmemory" | "slave-ignore-maxmemory",
        Kind::Bool, NONE;
    jemalloc_bg_thread: bool = true, "jemalloc-bg-thread", Kind::Bool, NO_EFFECT;
    activedefrag: bool = false, "activedefrag", Kind::Bool, NO_EFFECT, check_defrag;
    syslog_enabled: bool = false, "syslog-enabled", Kind::Bool, IMMUTABLE | NO_EFFECT;
    cluster_enabled: bool = false, "cluster-enabled", Kind::Bool, IMMUTABLE | NO_EFFECT;
    appendonly: bool = false, "appendonly", Kind::Bool, NO_EFFECT;
    cluster_allow_reads_when_down: bool = false, "cluster-allow-reads-when-down",
        Kind::Bool, NO_EFFECT;
    cluster_allow_pubsubshard_when_down: bool = true, "cluster-allow-pubsubshard-when-down",
        Kind::Bool, NO_EFFECT;
    crash_log_enabled: bool = true, "crash-log-enabled", Kind::Bool, NO_EFFECT;
    crash_memcheck_enabled: bool = true, "crash-memcheck-enabled", Kind::Bool, NO_EFFECT;
    use_exit_on_panic: bool = false, "use-exit-on-panic", Kind::Bool, HIDDEN | NO_EFFECT;
    disable_thp: bool = true, "disable-thp", Kind::Bool, IMMUTABLE | NO_EFFECT;
    cluster_allow_replica_migration: bool = true, "cluster-allow-replica-migration",
        Kind::Bool, NO_EFFECT;
    replica_announced: bool = true, "replica-announced", Kind::Bool, NO_EFFECT;
    latency_tracking: bool = true, "latency-tracking", Kind::Bool, NONE;
    aof_disable_auto_gc: bool = false, "aof-disable-auto-gc", Kind::Bool, NO_EFFECT;
    replica_ignore_disk_write_errors: bool = false, "replica-ignore-disk-write-errors",
        Kind::Bool, NO_EFFECT;

    // Strings (an empty IsNull string is "not set").
    aclfile: String = String::new(), "aclfile", Kind::Str(Empty::Allowed), IMMUTABLE;
    unixsocket: String = String::new(), "unixsocket",
        Kind::Str(Empty::IsNull), IMMUTABLE | NO_EFFECT;
    pidfile: String = String::new(), "pidfile", Kind::Str(Empty::IsNull), IMMUTABLE;
    replica_announce_ip: String = String::new(), "replica-announce-ip" | "slave-announce-ip",
        Kind::Str(Empty::IsNull), NO_EFFECT;
    masteruser: String = String::new(), "masteruser",
        Kind::Str(Empty::IsNull), SENSITIVE;
    cluster_announce_ip: String = String::new(), "cluster-announce-ip",
        Kind::Str(Empty::IsNull), NO_EFFECT;
    cluster_config_file: String = "nodes.conf".into(), "cluster-config-file",
        Kind::Str(Empty::Allowed), IMMUTABLE | NO_EFFECT;
    cluster_announce_hostname: String = String::new(), "cluster-announce-hostname",
        Kind::Str(Empty::IsNull), NO_EFFECT, check_hostname;
    syslog_ident: String = "redis".into(), "syslog-ident",
        Kind::Str(Empty::Allowed), IMMUTABLE | NO_EFFECT;
    dbfilename: String = "dump.rdb".into(), "dbfilename",
        Kind::Str(Empty::Allowed), PROTECTED, check_dbfilename;
    appendfilename: String = "appendonly.aof".into(), "appendfilename",
        Kind::Str(Empty::Allowed), IMMUTABLE | NO_EFFECT, check_appendfilename;
    appenddirname: String = "appendonlydir".into(), "appenddirname",
        Kind::Str(Empty::Allowed), IMMUTABLE | NO_EFFECT, check_appenddirname;
    server_cpulist: String = String::new(), "server_cpulist",
        Kind::Str(Empty::IsNull), IMMUTABLE | NO_EFFECT;
    bio_cpulist: String = String::new(), "bio_cpulist",
        Kind::Str(Empty::IsNull), IMMUTABLE | NO_EFFECT;
    aof_rewrite_cpulist: String = String::new(), "aof_rewrite_cpulist",
        Kind::Str(Empty::IsNull), IMMUTABLE | NO_EFFECT;
    bgsave_cpulist: String = String::new(), "bgsave_cpulist",
        Kind::Str(Empty::IsNull), IMMUTABLE | NO_EFFECT;
    ignore_warnings: String = String::new(), "ignore-warnings",
        Kind::Str(Empty::Allowed), NO_EFFECT;
    proc_title_template: String = "{title} {listen-addr} {server-mode}".into(),
        "proc-title-template", Kind::Str(Empty::Allowed), NO_EFFECT, check_proc_title;
    bind_source_addr: String = String::new(), "bind-source-addr",
        Kind::Str(Empty::IsNull), NO_EFFECT;
    logfile: String = String::new(), "logfile", Kind::Str(Empty::Allowed), IMMUTABLE;
    masterauth: String = String::new(), "masterauth",
        Kind::Str(Empty::IsNull), SENSITIVE;
    requirepass: String = String::new(), "requirepass", Kind::Str(Empty::IsNull), SENSITIVE;

    // Enumerations; shutdown-on-* take several flags.
    supervised: String = "no".into(), "supervised",
        Kind::Enum(SUPERVISED_MODE), IMMUTABLE;
    syslog_facility: String = "local0".into(), "syslog-facility",
        Kind::Enum(SYSLOG_FACILITY), IMMUTABLE | NO_EFFECT;
    repl_diskless_load: String = "disabled".into(), "repl-diskless-load",
        Kind::Enum(REPL_DISKLESS_LOAD), NO_EFFECT;
    loglevel: String = "notice".into(), "loglevel", Kind::Enum(LOGLEVEL), NONE;
    maxmemory_policy: String = "noeviction".into(), "maxmemory-policy",
        Kind::Enum(MAXMEMORY_POLICY), NONE;
    appendfsync: String = "everysec".into(), "appendfsync", Kind::Enum(AOF_FSYNC), NO_EFFECT;
    oom_score_adj: String = "no".into(), "oom-score-adj", Kind::Enum(OOM_SCORE_ADJ), NO_EFFECT;
    acl_pubsub_default: String = "resetchannels".into(), "acl-pubsub-default",
        Kind::Enum(ACL_PUBSUB_DEFAULT), NONE;
    // redust's own: the format snapshots are written in (docs/SNAPSHOT.md). Hidden, so
    // CONFIG GET * lists what Redis lists.
    snapshot_format: String = "redust".into(), "snapshot-format",
        Kind::Enum(SNAPSHOT_FORMAT), HIDDEN;
    sanitize_dump_payload: String = "no".into(), "sanitize-dump-payload",
        Kind::Enum(SANITIZE_DUMP_PAYLOAD), NO_EFFECT;
    enable_protected_configs: String = "no".into(), "enable-protected-configs",
        Kind::Enum(PROTECTED_ACTION), IMMUTABLE;
    enable_debug_command: String = "no".into(), "enable-debug-command",
        Kind::Enum(PROTECTED_ACTION), IMMUTABLE;
    enable_module_command: String = "no".into(), "enable-module-command",
        Kind::Enum(PROTECTED_ACTION), IMMUTABLE | NO_EFFECT;
    cluster_preferred_endpoint_type: String = "ip".into(), "cluster-preferred-endpoint-type",
        Kind::Enum(CLUSTER_PREFERRED_ENDPOINT_TYPE), NO_EFFECT;
    propagation_error_behavior: String = "ignore".into(), "propagation-error-behavior",
        Kind::Enum(PROPAGATION_ERROR_BEHAVIOR), NO_EFFECT;
    shutdown_on_sigint: String = "default".into(), "shutdown-on-sigint",
        Kind::Flags(SHUTDOWN_ON_SIG), NONE, check_shutdown_flags;
    shutdown_on_sigterm: String = "default".into(), "shutdown-on-sigterm",
        Kind::Flags(SHUTDOWN_ON_SIG), NONE, check_shutdown_flags;

    // Integers (C int: signed bounds).
    databases: i64 = 16, "databases", num(Form::Integer, Bounds::Signed(1, INT_MAX)), IMMUTABLE;
    port: i64 = 6379, "port", num(Form::Integer, Bounds::Signed(0, 65535)), NONE;
    io_threads: i64 = 1, "io-threads",
        num(Form::Integer, Bounds::Signed(1, 128)), IMMUTABLE | NO_EFFECT;
    auto_aof_rewrite_percentage: i64 = 100, "auto-aof-rewrite-percentage",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), NO_EFFECT;
    cluster_replica_validity_factor: i64 = 10,
        "cluster-replica-validity-factor" | "cluster-slave-validity-factor",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), NO_EFFECT;
    list_max_listpack_size: i64 = -2, "list-max-listpack-size" | "list-max-ziplist-size",
        num(Form::Integer, Bounds::Signed(INT_MIN, INT_MAX)), NO_EFFECT;
    tcp_keepalive: i64 = 300, "tcp-keepalive", num(Form::Integer, Bounds::Signed(0, INT_MAX)), NONE;
    cluster_migration_barrier: i64 = 1, "cluster-migration-barrier",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), NO_EFFECT;
    active_defrag_cycle_min: i64 = 1, "active-defrag-cycle-min",
        num(Form::Integer, Bounds::Signed(1, 99)), NO_EFFECT;
    active_defrag_cycle_max: i64 = 25, "active-defrag-cycle-max",
        num(Form::Integer, Bounds::Signed(1, 99)), NO_EFFECT;
    active_defrag_threshold_lower: i64 = 10, "active-defrag-threshold-lower",
        num(Form::Integer, Bounds::Signed(0, 1000)), NO_EFFECT;
    active_defrag_threshold_upper: i64 = 100, "active-defrag-threshold-upper",
        num(Form::Integer, Bounds::Signed(0, 1000)), NO_EFFECT;
    lfu_log_factor: i64 = 10, "lfu-log-factor",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), NONE;
    lfu_decay_time: i64 = 1, "lfu-decay-time", num(Form::Integer, Bounds::Signed(0, INT_MAX)), NONE;
    replica_priority: i64 = 100, "replica-priority" | "slave-priority",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), NO_EFFECT;
    repl_diskless_sync_delay: i64 = 5, "repl-diskless-sync-delay",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), NO_EFFECT;
    maxmemory_samples: i64 = 5, "maxmemory-samples",
        num(Form::Integer, Bounds::Signed(1, INT_MAX)), NONE;
    maxmemory_eviction_tenacity: i64 = 10, "maxmemory-eviction-tenacity",
        num(Form::Integer, Bounds::Signed(0, 100)), NONE;
    timeout: i64 = 0, "timeout", num(Form::Integer, Bounds::Signed(0, INT_MAX)), NONE;
    replica_announce_port: i64 = 0, "replica-announce-port" | "slave-announce-port",
        num(Form::Integer, Bounds::Signed(0, 65535)), NO_EFFECT;
    tcp_backlog: i64 = 511, "tcp-backlog",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), IMMUTABLE;
    cluster_port: i64 = 0, "cluster-port",
        num(Form::Integer, Bounds::Signed(0, 65535)), IMMUTABLE | NO_EFFECT;
    cluster_announce_bus_port: i64 = 0, "cluster-announce-bus-port",
        num(Form::Integer, Bounds::Signed(0, 65535)), NO_EFFECT;
    cluster_announce_port: i64 = 0, "cluster-announce-port",
        num(Form::Integer, Bounds::Signed(0, 65535)), NO_EFFECT;
    cluster_announce_tls_port: i64 = 0, "cluster-announce-tls-port",
        num(Form::Integer, Bounds::Signed(0, 65535)), NO_EFFECT;
    repl_timeout: i64 = 60, "repl-timeout",
        num(Form::Integer, Bounds::Signed(1, INT_MAX)), NONE;
    repl_ping_replica_period: i64 = 10, "repl-ping-replica-period" | "repl-ping-slave-period",
        num(Form::Integer, Bounds::Signed(1, INT_MAX)), NONE;
    list_compress_depth: i64 = 0, "list-compress-depth",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), NO_EFFECT;
    rdb_key_save_delay: i64 = 0, "rdb-key-save-delay",
        num(Form::Integer, Bounds::Signed(INT_MIN, INT_MAX)), HIDDEN | NO_EFFECT;
    key_load_delay: i64 = 0, "key-load-delay",
        num(Form::Integer, Bounds::Signed(INT_MIN, INT_MAX)), HIDDEN | NO_EFFECT;
    active_expire_effort: i64 = 1, "active-expire-effort",
        num(Form::Integer, Bounds::Signed(1, 10)), NO_EFFECT;
    hz: i64 = 10, "hz", num(Form::Integer, Bounds::Signed(0, INT_MAX)), NONE;
    min_replicas_to_write: i64 = 0, "min-replicas-to-write" | "min-slaves-to-write",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), NONE;
    min_replicas_max_lag: i64 = 10, "min-replicas-max-lag" | "min-slaves-max-lag",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), NONE;
    watchdog_period: i64 = 0, "watchdog-period",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), HIDDEN | NO_EFFECT;
    shutdown_timeout: i64 = 10, "shutdown-timeout",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), NO_EFFECT;
    repl_diskless_sync_max_replicas: i64 = 0, "repl-diskless-sync-max-replicas",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), NO_EFFECT;

    // Unsigned int: -1 is out of range as 4294967295.
    maxclients: i64 = 10000, "maxclients", num(Form::Integer, Bounds::Unsigned(1, UINT_MAX)), NONE;
    unixsocketperm: i64 = 0, "unixsocketperm",
        num(Form::Octal, Bounds::Unsigned(0, 0o777)), IMMUTABLE | NO_EFFECT;
    socket_mark_id: i64 = 0, "socket-mark-id",
        num(Form::Integer, Bounds::Unsigned(0, UINT_MAX)), IMMUTABLE | NO_EFFECT;

    // Unsigned long, checked as signed as Redis does.
    active_defrag_max_scan_fields: i64 = 1000, "active-defrag-max-scan-fields",
        num(Form::Integer, Bounds::Signed(1, i64::MAX)), NO_EFFECT;
    slowlog_max_len: i64 = 128, "slowlog-max-len",
        num(Form::Integer, Bounds::Signed(0, i64::MAX)), NONE;
    acllog_max_len: i64 = 128, "acllog-max-len",
        num(Form::Integer, Bounds::Signed(0, i64::MAX)), NONE;

    // Long long.
    busy_reply_threshold: i64 = 5000, "busy-reply-threshold" | "lua-time-limit",
        num(Form::Integer, Bounds::Signed(0, i64::MAX)), NONE;
    cluster_node_timeout: i64 = 15000, "cluster-node-timeout",
        num(Form::Integer, Bounds::Signed(0, i64::MAX)), NO_EFFECT;
    slowlog_log_slower_than: i64 = 10000, "slowlog-log-slower-than",
        num(Form::Integer, Bounds::Signed(-1, i64::MAX)), NONE;
    latency_monitor_threshold: i64 = 0, "latency-monitor-threshold",
        num(Form::Integer, Bounds::Signed(0, i64::MAX)), NONE;
    proto_max_bulk_len: i64 = 512 * 1024 * 1024, "proto-max-bulk-len",
        num(Form::Memory, Bounds::Signed(1024 * 1024, i64::MAX)), NONE;
    stream_node_max_entries: i64 = 100, "stream-node-max-entries",
        num(Form::Integer, Bounds::Signed(0, i64::MAX)), NONE;
    repl_backlog_size: i64 = 1024 * 1024, "repl-backlog-size",
        num(Form::Memory, Bounds::Signed(1, i64::MAX)), NO_EFFECT;

    // Unsigned long long.
    maxmemory: i64 = 0, "maxmemory", num(Form::Memory, Bounds::Unsigned(0, u64::MAX)), NONE;
    cluster_link_sendbuf_limit: i64 = 0, "cluster-link-sendbuf-limit",
        num(Form::Memory, Bounds::Unsigned(0, u64::MAX)), NO_EFFECT;

    // size_t (unsigned bounds) and ssize_t.
    hash_max_listpack_entries: i64 = 512, "hash-max-listpack-entries" | "hash-max-ziplist-entries",
        num(Form::Integer, Bounds::Unsigned(0, LONG_MAX)), NONE;
    set_max_intset_entries: i64 = 512, "set-max-intset-entries",
        num(Form::Integer, Bounds::Unsigned(0, LONG_MAX)), NONE;
    zset_max_listpack_entries: i64 = 128, "zset-max-listpack-entries" | "zset-max-ziplist-entries",
        num(Form::Integer, Bounds::Unsigned(0, LONG_MAX)), NONE;
    active_defrag_ignore_bytes: i64 = 100 << 20, "active-defrag-ignore-bytes",
        num(Form::Memory, Bounds::Unsigned(1, LONG_MAX)), NO_EFFECT;
    hash_max_listpack_value: i64 = 64, "hash-max-listpack-value" | "hash-max-ziplist-value",
        num(Form::Memory, Bounds::Unsigned(0, LONG_MAX)), NONE;
    stream_node_max_bytes: i64 = 4096, "stream-node-max-bytes",
        num(Form::Memory, Bounds::Unsigned(0, LONG_MAX)), NONE;
    zset_max_listpack_value: i64 = 64, "zset-max-listpack-value" | "zset-max-ziplist-value",
        num(Form::Memory, Bounds::Unsigned(0, LONG_MAX)), NONE;
    hll_sparse_max_bytes: i64 = 3000, "hll-sparse-max-bytes",
        num(Form::Memory, Bounds::Unsigned(0, LONG_MAX)), NONE;
    tracking_table_max_keys: i64 = 1000000, "tracking-table-max-keys",
        num(Form::Integer, Bounds::Unsigned(0, LONG_MAX)), NONE;
    client_query_buffer_limit: i64 = 1024 * 1024 * 1024, "client-query-buffer-limit",
        num(Form::Memory, Bounds::Unsigned(1024 * 1024, LONG_MAX)), NONE;
    maxmemory_clients: i64 = 0, "maxmemory-clients",
        num(Form::MemoryOrPercent, Bounds::Signed(-100, i64::MAX)), NONE;

    // time_t and off_t.
    repl_backlog_ttl: i64 = 60 * 60, "repl-backlog-ttl",
        num(Form::Integer, Bounds::Signed(0, i64::MAX)), NO_EFFECT;
    auto_aof_rewrite_min_size: i64 = 64 * 1024 * 1024, "auto-aof-rewrite-min-size",
        num(Form::Memory, Bounds::Signed(0, i64::MAX)), NO_EFFECT;
    loading_process_events_interval_bytes: i64 = 1024 * 1024 * 2,
        "loading-process-events-interval-bytes",
        num(Form::Integer, Bounds::Signed(1024, INT_MAX)), HIDDEN | NO_EFFECT;

    // TLS (Redis built with OpenSSL, as Debian's 7.0.15 is).
    tls_port: i64 = 0, "tls-port", num(Form::Integer, Bounds::Signed(0, 65535)), NO_EFFECT;
    tls_session_cache_size: i64 = 20 * 1024, "tls-session-cache-size",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), NO_EFFECT;
    tls_session_cache_timeout: i64 = 300, "tls-session-cache-timeout",
        num(Form::Integer, Bounds::Signed(0, INT_MAX)), NO_EFFECT;
    tls_cluster: bool = false, "tls-cluster", Kind::Bool, NO_EFFECT;
    tls_replication: bool = false, "tls-replication", Kind::Bool, NO_EFFECT;
    tls_auth_clients: String = "yes".into(), "tls-auth-clients",
        Kind::Enum(TLS_AUTH_CLIENTS), NO_EFFECT;
    tls_prefer_server_ciphers: bool = false, "tls-prefer-server-ciphers", Kind::Bool, NO_EFFECT;
    tls_session_caching: bool = true, "tls-session-caching", Kind::Bool, NO_EFFECT;
    tls_cert_file: String = String::new(), "tls-cert-file", Kind::Str(Empty::IsNull), NO_EFFECT;
    tls_key_file: String = String::new(), "tls-key-file", Kind::Str(Empty::IsNull), NO_EFFECT;
    tls_key_file_pass: String = String::new(), "tls-key-file-pass",
        Kind::Str(Empty::IsNull), NO_EFFECT;
    tls_client_cert_file: String = String::new(), "tls-client-cert-file",
        Kind::Str(Empty::IsNull), NO_EFFECT;
    tls_client_key_file: String = String::new(), "tls-client-key-file",
        Kind::Str(Empty::IsNull), NO_EFFECT;
    tls_client_key_file_pass: String = String::new(), "tls-client-key-file-pass",
        Kind::Str(Empty::IsNull), NO_EFFECT;
    tls_dh_params_file: String = String::new(), "tls-dh-params-file",
        Kind::Str(Empty::IsNull), NO_EFFECT;
    tls_ca_cert_file: String = String::new(), "tls-ca-cert-file",
        Kind::Str(Empty::IsNull), NO_EFFECT;
    tls_ca_cert_dir: String = String::new(), "tls-ca-cert-dir", Kind::Str(Empty::IsNull), NO_EFFECT;
    tls_protocols: String = String::new(), "tls-protocols", Kind::Str(Empty::IsNull), NO_EFFECT;
    tls_ciphers: String = String::new(), "tls-ciphers", Kind::Str(Empty::IsNull), NO_EFFECT;
    tls_ciphersuites: String = String::new(), "tls-ciphersuites",
        Kind::Str(Empty::IsNull), NO_EFFECT;

    // Parameters with a grammar of their own.
    dir: String = ".".into(), "dir", Kind::Special(Special::Dir), PROTECTED;
    save: SaveRules = SaveRules(vec![(3600, 1), (300, 100), (60, 10000)]), "save",
        Kind::Special(Special::Save), NONE;
    client_output_buffer_limit: ObufLimits = ObufLimits::default(), "client-output-buffer-limit",
        Kind::Special(Special::ClientOutputBufferLimit), NONE;
    oom_score_adj_values: OomScoreAdjValues = OomScoreAdjValues::default(), "oom-score-adj-values",
        Kind::Special(Special::OomScoreAdjValues), NO_EFFECT;
    notify_keyspace_events: KeyspaceEvents = KeyspaceEvents(0), "notify-keyspace-events",
        Kind::Special(Special::NotifyKeyspaceEvents), NONE;
    bind: BindAddrs = BindAddrs(vec!["127.0.0.1".into(), "-::1".into()]), "bind",
        Kind::Special(Special::Bind), NONE;
    replicaof: ReplicaOf = ReplicaOf(None), "replicaof" | "slaveof",
        Kind::Special(Special::ReplicaOf), IMMUTABLE;
    latency_tracking_info_percentiles: Percentiles = Percentiles::default(),
        "latency-tracking-info-percentiles", Kind::Special(Special::LatencyPercentiles), NONE;
}
