//! The server: state shared by commands, and the event loop that owns it.

pub mod alloc;
pub mod blocking;
pub mod busy;
pub mod client;
pub mod client_evict;
pub mod client_io;
pub mod clients;
pub mod event_loop;
pub mod latency;
pub mod master_link;
pub mod maxmemory;
pub mod memory;
pub mod replicas;
pub mod signals;
pub mod startup;
pub mod stats;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use mio::net::TcpListener;
use mio::{Registry, Token};

use crate::config::Config;
pub use client::Client;
pub use clients::{ClientId, Clients};
use stats::{SlowLog, Stats};

pub use event_loop::Server;

/// Tokens below this belong to listening sockets; a client's token is its slab key plus this.
pub const CLIENT_TOKEN_BASE: usize = 64;

/// A bound listening socket.
#[derive(Debug)]
pub struct Listener {
    pub socket: TcpListener,
    pub addr: SocketAddr,
}

/// What CLIENT PAUSE holds back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PauseMode {
    /// Every command.
    All,
    /// Commands that may write.
    Write,
}

/// An active CLIENT PAUSE.
#[derive(Clone, Copy, Debug)]
pub struct Pause {
    pub mode: PauseMode,
    pub until_ms: u64,
}

/// How the server should stop (SHUTDOWN or a signal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownRequest {
    /// Save first if save rules are configured (the default).
    Default,
    Save,
    NoSave,
}

/// Redis's default reply buffer peak reset time (DEBUG REPLYBUFFER PEAK-RESET-TIME RESET).
pub const REPLY_BUFFER_PEAK_RESET_MS: i64 = 5000;

/// Everything commands may touch besides the keyspace.
#[derive(Debug)]
pub struct ServerState {
    pub config: Config,
    pub clients: Clients,
    pub stats: Stats,
    pub slowlog: SlowLog,
    /// Unix ms when the server started.
    pub start_ms: u64,
    pub started: Instant,
    pub run_id: String,
    pub next_client_id: u64,
    pub listeners: Vec<Listener>,
    /// For (re)binding listeners from CONFIG SET port / bind.
    pub registry: Registry,
    pub pause: Option<Pause>,
    pub shutdown: Option<ShutdownRequest>,
    /// The client whose SHUTDOWN is pending (told if the shutdown fails).
    pub shutdown_requester: Option<ClientId>,
    /// DEBUG SET-ACTIVE-EXPIRE.
    pub active_expire: bool,
    /// DEBUG PAUSE-CRON: the cron does nothing while set.
    pub cron_paused: bool,
    /// DEBUG REPLYBUFFER RESIZING: the cron resizes the reply buffers kept between
    /// replies (the default); off, they keep their size (tests measuring client memory
    /// need it steady).
    pub reply_buffer_resizing: bool,
    /// DEBUG REPLYBUFFER PEAK-RESET-TIME: how often a reply buffer's peak use is
    /// forgotten, in ms (negative: never).
    pub reply_buffer_peak_reset_ms: i64,
    /// Slab keys of clients in MONITOR mode.
    pub monitors: Vec<ClientId>,
    /// (deadline ms, slab key, client id) of clients blocked with a timeout.
    pub block_deadlines: BTreeSet<(u64, ClientId, u64)>,
    /// Clients blocked on keys, per key, and the keys writes may have filled.
    pub waiters: blocking::KeyWaiters,
    /// Clients that were unblocked and should run their buffered commands.
    pub resume: Vec<ClientId>,
    /// Clients that stopped reading with bytes left in their socket so their replies go
    /// out first: read again in the next iteration, after the writes.
    pub reread: Vec<ClientId>,
    /// (slab key, client id) of the clients CLIENT PAUSE held, oldest first: they run in
    /// that order when it ends, as in Redis.
    pub postponed: Vec<(ClientId, u64)>,
    /// Clients with output to write in the before-sleep phase.
    pub pending_writes: Vec<ClientId>,
    /// The executable, for INFO.
    pub executable: String,
    pub persistence: crate::persistence::Persistence,
    /// Pub/Sub subscribers.
    pub pubsub: crate::pubsub::PubSub,
    /// Client-side caching: the tracking table and BCAST prefixes.
    pub tracking: crate::pubsub::tracking::Tracking,
    /// Lua scripting: the engine, the script cache.
    pub scripting: crate::scripting::Scripting,
    /// MIGRATE's cached connections to target servers.
    pub migrate: crate::commands::migrate::Cache,
    /// The loop's poll (None for a server without sockets: tests, the fuzz harness). It
    /// lives here so that a busy script can serve other clients while it runs.
    pub poll: Option<mio::Poll>,
    /// Where socket reads land before they are appended to a client's input: reading into
    /// the input itself would first zero-fill its spare capacity on every read.
    pub read_buf: Box<[u8]>,
    /// The propagated stream of writes (recorded only once started).
    pub propagation: crate::dispatch::propagate::Propagation,
    /// The pid file and supervisor set up at start, undone at a clean exit.
    pub process: startup::Process,
    /// ACL users and the ACL log.
    pub acl: crate::acl::Acl,
    /// The latency monitor's events (LATENCY LATEST / HISTORY ...).
    pub latency: latency::Monitor,
    /// An eviction run ran out of time: the loop goes on evicting every iteration.
    pub eviction_running: bool,
    /// Whether the server was over maxmemory with nothing to evict when the running
    /// command started (scripts refuse their first deny-oom write then).
    pub pre_command_oom: bool,
    /// Peak of used_memory seen (INFO used_memory_peak).
    pub memory_peak: u64,
    /// used_memory once the server had started (INFO used_memory_startup).
    pub memory_startup: u64,
    /// The memory of the clients client eviction may close, as last counted.
    pub clients_mem: usize,
    /// Every client must be counted again before client eviction trusts `clients_mem`
    /// (the limit or a client's NO-EVICT changed, the cron's periodic recount).
    pub clients_mem_stale: bool,
    /// The argv allocation command batches reuse (empty between them), so that a read of
    /// one command does not allocate one.
    pub spare_argv: Vec<&'static [u8]>,
    /// Clients that are replicas of this server (see [`replicas`]).
    pub replicas: Vec<ClientId>,
    /// When replicas were last sent a PING.
    pub replica_pinged_ms: u64,
    /// The master this server replicates (REPLICAOF), if any.
    pub master: Option<master_link::MasterLink>,
}

impl ServerState {
    /// Fresh state for a server started at `now_ms`, listening on `listeners`.
    pub fn new(config: Config, registry: Registry, listeners: Vec<Listener>, now_ms: u64) -> Self {
        let config_requirepass = config.requirepass.clone();
        ServerState {
            config,
            clients: Clients::default(),
            stats: Stats::default(),
            slowlog: SlowLog::default(),
            start_ms: now_ms,
            started: Instant::now(),
            run_id: run_id(),
            next_client_id: 1,
            listeners,
            registry,
            pause: None,
            shutdown: None,
            shutdown_requester: None,
            active_expire: true,
            cron_paused: false,
            reply_buffer_resizing: true,
            reply_buffer_peak_reset_ms: REPLY_BUFFER_PEAK_RESET_MS,
            monitors: Vec::new(),
            block_deadlines: Default::default(),
            waiters: Default::default(),
            resume: Vec::new(),
            reread: Vec::new(),
            postponed: Vec::new(),
            pending_writes: Vec::new(),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            persistence: crate::persistence::Persistence::new(now_ms),
            propagation: Default::default(),
            pubsub: Default::default(),
            tracking: Default::default(),
            scripting: Default::default(),
            migrate: Default::default(),
            poll: None,
            read_buf: vec![0; client_io::READ_SIZE].into_boxed_slice(),
            process: Default::default(),
            acl: crate::acl::Acl::new(config_requirepass.as_bytes()),
            latency: Default::default(),
            eviction_running: false,
            pre_command_oom: false,
            memory_peak: 0,
            memory_startup: 0,
            clients_mem: 0,
            clients_mem_stale: false,
            spare_argv: Vec::new(),
            replicas: Vec::new(),
            replica_pinged_ms: 0,
            master: None,
        }
    }

    /// The number of clients blocked (INFO blocked_clients), those CLIENT PAUSE holds
    /// included, as in Redis.
    pub fn blocked_clients(&self) -> usize {
        self.clients.iter().filter(|(_, c)| c.is_blocked()).count()
    }

    /// Ends CLIENT PAUSE: the clients it held are no longer blocked and run their
    /// postponed command in this loop iteration.
    pub fn end_pause(&mut self) {
        self.pause = None;
        // `resume` is served from its end: the oldest goes last, so it runs first. A
        // closed client (its key maybe reused) or one that already ran is skipped.
        for (key, id) in std::mem::take(&mut self.postponed).into_iter().rev() {
            if let Some(c) = self.clients.get_mut(key) {
                if c.id == id && c.postponed {
                    c.postponed = false;
                    self.resume.push(key);
                }
            }
        }
    }

    /// CLIENT PAUSE holds the next command of the client at `key`.
    pub fn postpone(&mut self, key: ClientId) {
        let c = &mut self.clients[key];
        if !c.postponed {
            c.postponed = true;
            self.postponed.push((key, c.id));
        }
    }

    /// Takes the client at `key` out of its wait, dropping its deadline and its places in
    /// the key queues, and returns what it waited for. It neither replies nor schedules the
    /// client's next commands.
    pub fn end_block(&mut self, key: ClientId) -> Option<client::Blocked> {
        let c = self.clients.get_mut(key)?;
        let blocked = c.blocked.take()?;
        if let Some(d) = blocked.deadline {
            self.block_deadlines.remove(&(d, key, c.id));
        }
        if let client::BlockReason::Keys(wait) = &blocked.reason {
            self.waiters.remove(key, wait.db, &wait.keys);
        }
        Some(blocked)
    }

    /// The output of the client at slab `key`, queued for the before-sleep write pass: the
    /// one way to write to a client other than the one whose command is running (whose
    /// replies go to the buffer the call path lends it, see `Ctx::output_to`). None if the
    /// client is gone.
    pub fn output(&mut self, key: ClientId) -> Option<&mut crate::protocol::reply::Reply> {
        let c = self.clients.get_mut(key)?;
        if !c.write_queued {
            c.write_queued = true;
            self.pending_writes.push(key);
        }
        Some(&mut c.reply)
    }

    /// Ends a wait that got nothing (its deadline passed, or CLIENT UNBLOCK): replies what
    /// the command answers on timeout, or `error`, and schedules the client's buffered
    /// commands. `failed` marks the call failed in commandstats, as
    /// Redis 7.0 does for every CLIENT UNBLOCK. Returns whether the client was blocked.
    pub fn end_block_unserved(&mut self, key: ClientId, error: Option<&str>, failed: bool) -> bool {
        let Some(blocked) = self.end_block(key) else {
            return false;
        };
        let out = self.output(key).expect("blocked clients exist");
        match (error, &blocked.reason) {
            (Some(e), _) => out.error(e),
            (None, client::BlockReason::Wait) => out.int(0),
            (None, client::BlockReason::Keys(_)) => out.null_array(),
        }
        // The call was counted when it blocked; only the failure is added.
        if let client::BlockReason::Keys(wait) = &blocked.reason {
            if failed {
                self.stats.command(wait.command).failed_calls += 1;
            }
        }
        self.resume.push(key);
        true
    }

    /// The client on whose behalf `caller` runs a command (Redis's server.current_client):
    /// itself, or for a script's commands, run as the script client, the script's caller.
    pub fn on_behalf_of(&self, caller: ClientId) -> ClientId {
        match &self.scripting.running {
            Some(run) if self.clients.get(caller).is_some_and(|c| c.script) => run.caller,
            _ => caller,
        }
    }

    /// How a deletion the server decided on (an expiry, EXPIRE in the past) is propagated:
    /// DEL, as Redis does without lazyfree-lazy-expire (redust frees synchronously).
    pub fn deletion_command(&self) -> &'static [u8] {
        b"DEL"
    }

    /// What `notify-keyspace-events` asks for.
    pub fn notify_flags(&self) -> crate::pubsub::notify::NotifyFlags {
        crate::pubsub::notify::NotifyFlags::from_config(self.config.notify_keyspace_events)
    }

    /// Whether CLIENT PAUSE is in force at `now_ms` (keys then do not expire).
    pub fn clients_paused(&self, now_ms: u64) -> bool {
        self.pause.is_some_and(|p| p.until_ms > now_ms)
    }

    /// The directory snapshots live in: the server changed into `dir` at start.
    pub fn data_dir(&self) -> &'static std::path::Path {
        std::path::Path::new(".")
    }

    /// Whether writes are refused because the last background save failed (Redis's
    /// stop-writes-on-bgsave-error).
    pub fn writes_refused(&self) -> bool {
        self.config.stop_writes_on_bgsave_error
            && !self.config.save.0.is_empty()
            && !self.persistence.last_bgsave_ok
    }

    /// Whether keys must not be deleted on expiry now: while clients are paused, and on a
    /// replica, whose master's DELs delete them (an expired key only reads as missing).
    pub fn expiry_held(&self, now_ms: u64) -> bool {
        self.master.is_some() || self.clients_paused(now_ms)
    }

    /// Whether `min-replicas-to-write` lets writes through (checkGoodReplicasStatus):
    /// enough replicas acknowledged the stream lately.
    #[inline]
    pub fn enough_good_replicas(&self) -> bool {
        let wanted = self.config.min_replicas_to_write;
        wanted <= 0 || self.enough_good_replicas_counted(wanted as usize)
    }

    #[cold]
    #[inline(never)]
    fn enough_good_replicas_counted(&self, wanted: usize) -> bool {
        self.config.min_replicas_max_lag <= 0 || self.good_replicas(unix_ms()) >= wanted
    }

    /// Whether new connections must authenticate: the default user has a password or is
    /// off (Redis's authRequired for a fresh client).
    pub fn auth_required(&self) -> bool {
        self.acl.default_requires_auth()
    }

    /// The TCP port actually listened on (differs from `config.port` when it was 0).
    pub fn tcp_port(&self) -> u16 {
        self.listeners
            .first()
            .map(|l| l.addr.port())
            .unwrap_or(self.config.port as u16)
    }

    /// Binds every address of `bind` on `port`, Redis-style: an address starting with `-`
    /// is optional (skipped if it cannot be bound), `*` means every IPv4 address and `::*`
    /// every IPv6 address. Each listens with `backlog` (tcp-backlog). Returns the new
    /// listeners, registered with tokens from 0.
    pub fn bind_all(
        registry: &Registry,
        bind: &[String],
        port: u16,
        backlog: i32,
    ) -> std::io::Result<Vec<Listener>> {
        let mut out = Vec::new();
        for raw in bind {
            let (optional, host) = match raw.strip_prefix('-') {
                Some(h) => (true, h),
                None => (false, raw.as_str()),
            };
            let ip = match host {
                "*" => "0.0.0.0",
                "::*" => "::",
                h => h,
            };
            let addr: SocketAddr = match ip.parse::<std::net::IpAddr>() {
                Ok(ip) => SocketAddr::new(ip, port),
                Err(_) => {
                    if optional {
                        continue;
                    }
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("Invalid bind address '{host}'"),
                    ));
                }
            };
            // Once port 0 picked a port, the other addresses use the same one.
            let addr = match (port, out.first()) {
                (0, Some(Listener { addr: first, .. })) => SocketAddr::new(addr.ip(), first.port()),
                _ => addr,
            };
            match bind_one(addr, backlog) {
                Ok(mut socket) => {
                    let token = Token(out.len());
                    registry.register(&mut socket, token, mio::Interest::READABLE)?;
                    let addr = socket.local_addr()?;
                    out.push(Listener { socket, addr });
                }
                Err(e) if optional => {
                    log::debug!("Skipping optional bind address {addr}: {e}");
                }
                Err(e) => {
                    for l in &mut out {
                        let _ = registry.deregister(&mut l.socket);
                    }
                    return Err(std::io::Error::new(
                        e.kind(),
                        format!("Could not create server TCP listening socket {addr}: {e}"),
                    ));
                }
            }
            if out.len() >= CLIENT_TOKEN_BASE {
                break;
            }
        }
        Ok(out)
    }
}

/// Binds one listening socket. IPv6 sockets are IPv6-only, so `* ::*` can coexist.
fn bind_one(addr: SocketAddr, backlog: i32) -> std::io::Result<TcpListener> {
    use std::os::fd::{FromRawFd, OwnedFd};
    // Built by hand rather than with TcpListener::bind, for what Redis sets before bind():
    // SO_REUSEADDR, and IPV6_V6ONLY on IPv6 sockets so that `::*` can listen beside `*`
    // on the same port; and listen() with tcp-backlog (the kernel caps it at somaxconn).
    let family = if addr.is_ipv6() {
        libc::AF_INET6
    } else {
        libc::AF_INET
    };
    let os_err = std::io::Error::last_os_error;
    // SAFETY: socket() returns a new descriptor or -1; on success it is owned at once.
    let fd = unsafe {
        libc::socket(
            family,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(os_err());
    }
    // SAFETY: fd is a fresh descriptor nothing else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    let set = |level, name| {
        // SAFETY: setsockopt on our socket with a pointer to a live c_int and its size.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(os_err())
        }
    };
    set(libc::SOL_SOCKET, libc::SO_REUSEADDR)?;
    if addr.is_ipv6() {
        set(libc::IPPROTO_IPV6, libc::IPV6_V6ONLY)?;
    }
    let (storage, len) = sockaddr(addr);
    // SAFETY: bind with a sockaddr of the given length, filled for this family.
    if unsafe { libc::bind(fd, (&storage as *const libc::sockaddr_storage).cast(), len) } != 0 {
        return Err(os_err());
    }
    // SAFETY: listen on our bound socket.
    if unsafe { libc::listen(fd, backlog) } != 0 {
        return Err(os_err());
    }
    Ok(TcpListener::from_std(std::net::TcpListener::from(socket)))
}

/// `addr` as the C socket address bind() takes, and its length.
fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: an all-zero sockaddr_storage is a valid (unspecified) address.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// A 40-hex-digit run id, like Redis's.
fn run_id() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 20];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut bytes);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Microseconds since the Unix epoch.
pub fn unix_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}
