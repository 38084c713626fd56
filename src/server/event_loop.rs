//! The event loop: one `mio::Poll` owning the listeners and every client.
//!
//! Each iteration: wait for readiness (the timeout is the next due timer), read each ready
//! client until `WouldBlock` while executing every complete command it sent, run the timers
//! (cron, blocked-client deadlines), then the before-sleep phase writes pending replies and
//! closes clients marked for closing. WRITABLE interest is registered only while a client
//! has output the socket did not take.

use std::io::{self, Read, Write};
use std::mem;
use std::time::Duration;

use mio::{Events, Interest, Poll, Token};

use super::client::{BlockReason, Client};
use super::signals;
use super::{unix_ms, ServerState, ShutdownRequest, CLIENT_TOKEN_BASE};
use crate::commands;
use crate::config::Config;
use crate::persistence;
use crate::protocol::parse::{Limits, Parsed};
use crate::store::Store;

/// The most one read takes from a socket.
const READ_SIZE: usize = 64 * 1024;
/// Stop reading a client's requests while this much of its output is unsent: a client
/// that never reads its replies cannot make the server buffer without bound.
const OUTPUT_HIGH_WATER: usize = 32 * 1024 * 1024;
/// Resume reading once the backlog is below this.
const OUTPUT_LOW_WATER: usize = 4 * 1024 * 1024;
/// An output buffer larger than this is freed once fully written.
const OUTPUT_SHRINK_ABOVE: usize = 1024 * 1024;
/// An idle input buffer larger than this is freed.
const INPUT_SHRINK_ABOVE: usize = 64 * 1024;

/// The server: the poll, the keyspace and the shared state.
pub struct Server {
    poll: Poll,
    pub store: Store,
    pub state: ServerState,
    next_cron_ms: u64,
    /// Where socket reads land before they are appended to a client's input: reading into
    /// the input itself would first zero-fill its spare capacity on every read.
    read_buf: Box<[u8]>,
}

impl Server {
    /// Binds the listeners and prepares an empty store.
    pub fn new(config: Config, mut store: Store) -> io::Result<Server> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let listeners = ServerState::bind_all(&registry, &config.bind, config.port as u16)?;
        if listeners.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "Failed listening on any address",
            ));
        }
        let now = unix_ms();
        store.lfu = config.lfu_params();
        store.limits = config.encoding_limits();
        let state = ServerState::new(config, registry, listeners, now);
        Ok(Server {
            poll,
            store,
            state,
            next_cron_ms: now,
            read_buf: vec![0; READ_SIZE].into_boxed_slice(),
        })
    }

    /// The addresses actually listened on.
    pub fn local_addrs(&self) -> Vec<std::net::SocketAddr> {
        self.state.listeners.iter().map(|l| l.addr).collect()
    }

    /// Runs until SHUTDOWN or SIGINT/SIGTERM.
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        loop {
            self.store.now_ms = unix_ms();
            let timeout = self.poll_timeout();
            match self.poll.poll(&mut events, Some(timeout)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            self.store.now_ms = unix_ms();
            for event in events.iter() {
                let token = event.token().0;
                if token < CLIENT_TOKEN_BASE {
                    self.accept(token);
                    continue;
                }
                let key = token - CLIENT_TOKEN_BASE;
                if event.is_read_closed() || event.is_error() {
                    if let Some(c) = self.state.clients.get_mut(key) {
                        c.peer_closed = true;
                    }
                }
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    self.read_client(key);
                }
                if event.is_writable() && self.state.clients.contains(key) {
                    self.write_client(key);
                }
            }
            if self.store.now_ms >= self.next_cron_ms {
                self.cron();
            }
            self.expire_blocked();
            self.resume_clients();
            if let Some(sig) = signals::take() {
                log::warn!("Received {} scheduling shutdown...", signals::name(sig));
                self.state.shutdown.get_or_insert(ShutdownRequest::Default);
            }
            self.before_sleep();
            if let Some(request) = self.state.shutdown {
                if self.prepare_shutdown(request) {
                    self.finish_shutdown();
                    return Ok(());
                }
                self.state.shutdown = None;
                if let Some(key) = self.state.shutdown_requester.take() {
                    if let Some(c) = self.state.clients.get_mut(key) {
                        c.reply.err("Errors trying to SHUTDOWN. Check logs.");
                    }
                    queue_write(&mut self.state, key);
                    self.before_sleep();
                }
            }
        }
    }

    /// The time until the next timer is due.
    fn poll_timeout(&self) -> Duration {
        let now = self.store.now_ms;
        let mut due = self.next_cron_ms;
        if let Some(&(deadline, _, _)) = self.state.block_deadlines.first() {
            due = due.min(deadline);
        }
        if let Some(p) = self.state.pause {
            due = due.min(p.until_ms);
        }
        Duration::from_millis(due.saturating_sub(now))
    }

    fn accept(&mut self, index: usize) {
        loop {
            let Some(listener) = self.state.listeners.get(index) else {
                return;
            };
            let (mut stream, addr) = match listener.socket.accept() {
                Ok(pair) => pair,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("Accepting client connection: {e}");
                    return;
                }
            };
            let state = &mut self.state;
            if state.clients.len() >= state.config.maxclients as usize {
                let _ = stream.write(b"-ERR max number of clients reached\r\n");
                state.stats.rejected_connections += 1;
                continue;
            }
            if state.config.protected_mode && !state.auth_required() && !addr.ip().is_loopback() {
                let _ = stream.write(PROTECTED_MODE_DENIED);
                state.stats.rejected_connections += 1;
                continue;
            }
            let _ = stream.set_nodelay(true);
            let authenticated = !state.auth_required();
            let entry = state.clients.vacant_entry();
            let key = entry.key();
            if let Err(e) = state.registry.register(
                &mut stream,
                Token(key + CLIENT_TOKEN_BASE),
                Interest::READABLE,
            ) {
                log::warn!("Registering client: {e}");
                continue;
            }
            let id = state.next_client_id;
            state.next_client_id += 1;
            let mut client = Client::new(id, stream, addr, self.store.now_ms);
            client.authenticated = authenticated;
            entry.insert(client);
            state.stats.total_connections += 1;
            log::debug!("Accepted {addr}");
        }
    }

    /// Reads everything the socket has, executing commands as they complete.
    fn read_client(&mut self, key: usize) {
        // Commands already buffered first (reading may have been paused).
        self.process_input(key);
        loop {
            let Some(c) = self.state.clients.get_mut(key) else {
                return;
            };
            if c.read_paused || c.close_asap || c.close_after_reply {
                c.may_have_input = true;
                return;
            }
            let result = c.stream.read(&mut self.read_buf);
            match result {
                Ok(0) => {
                    // The peer finished sending: answer what it sent, then close.
                    self.process_input(key);
                    self.write_client(key);
                    self.close_client(key);
                    return;
                }
                Ok(n) => {
                    c.input.extend_from_slice(&self.read_buf[..n]);
                    c.last_interaction_ms = self.store.now_ms;
                    self.state.stats.net_input_bytes += n as u64;
                    // A short read emptied the socket: bytes that arrive later raise a new
                    // readiness edge, so asking again now would only cost an EAGAIN read.
                    // (Not once the peer closed: that edge came with this data and the
                    // close is only seen by reading on to the end.)
                    let drained = n < self.read_buf.len() && !c.peer_closed;
                    if drained {
                        c.may_have_input = false;
                    }
                    self.process_input(key);
                    if drained {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    c.may_have_input = false;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log::debug!("Reading from client: {e}");
                    self.close_client(key);
                    return;
                }
            }
        }
    }

    /// Parses and executes every complete command in the client's input buffer.
    fn process_input(&mut self, key: usize) {
        let Server { store, state, .. } = self;
        let Some(c) = state.clients.get_mut(key) else {
            return;
        };
        if c.blocked.is_some() || c.close_after_reply || c.close_asap || c.read_paused {
            return;
        }
        let input = mem::take(&mut c.input);
        let mut parser = mem::take(&mut c.parser);
        let mut reply = mem::take(&mut c.reply);
        let mut pos = c.input_pos;
        let mut pending = c.has_pending_command;
        // One argv allocation reused for every command of the batch.
        let mut spare: Vec<&[u8]> = Vec::new();
        loop {
            let c = &mut state.clients[key];
            if c.blocked.is_some() || c.close_after_reply || c.close_asap {
                break;
            }
            if reply.pending() > OUTPUT_HIGH_WATER {
                c.read_paused = true;
                break;
            }
            if !pending {
                let limits = Limits {
                    max_bulk_len: state.config.proto_max_bulk_len,
                    authenticated: c.authenticated,
                };
                match parser.next(&input, &mut pos, limits) {
                    Parsed::Incomplete => break,
                    Parsed::Error(e) => {
                        log::debug!("Protocol error from client {}: {:?}", c.addr, e);
                        reply.error_bytes(&e.wire_message());
                        state.stats.count_errors(&mut reply.error_codes);
                        c.close_after_reply = true;
                        c.protocol_error = true;
                        break;
                    }
                    Parsed::Command => {}
                }
                if parser.argc() == 0 {
                    continue;
                }
            }
            let mut argv = recycle(mem::take(&mut spare));
            parser.args(&input, &mut argv);
            if commands::must_postpone(state, &argv) {
                pending = true;
                break;
            }
            pending = false;
            commands::execute(store, state, &mut reply, key, &argv);
            spare = recycle(argv);
        }
        drop(spare);
        let c = &mut state.clients[key];
        let mut input = input;
        // Bytes before the command in progress are no longer needed.
        let keep_from = if pending || parser.is_mid_command() {
            parser.command_start()
        } else {
            pos
        };
        if keep_from > 0 {
            input.drain(..keep_from);
            parser.rebase(keep_from);
            pos -= keep_from;
        }
        if input.is_empty() && input.capacity() > INPUT_SHRINK_ABOVE {
            input = Vec::new();
        }
        let over_limit = input.len() as i64 > state.config.client_query_buffer_limit;
        // Anything written to the placeholder while the real buffer was out (none expected)
        // is kept after it.
        reply.buf.extend_from_slice(&c.reply.buf);
        c.input = input;
        c.parser = parser;
        c.reply = reply;
        c.input_pos = pos;
        c.has_pending_command = pending;
        if over_limit {
            log::warn!(
                "Closing client that reached max query buffer length: {}",
                c.addr
            );
            state.stats.client_qbuf_limit_disconnections += 1;
            c.close_asap = true;
        }
        queue_write(state, key);
    }

    /// Writes as much pending output as the socket takes.
    fn write_client(&mut self, key: usize) {
        let state = &mut self.state;
        let Some(c) = state.clients.get_mut(key) else {
            return;
        };
        while c.reply.sent < c.reply.buf.len() {
            match c.stream.write(&c.reply.buf[c.reply.sent..]) {
                Ok(0) => break,
                Ok(n) => {
                    c.reply.sent += n;
                    state.stats.net_output_bytes += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log::debug!("Writing to client: {e}");
                    c.close_asap = true;
                    break;
                }
            }
        }
        let done = c.reply.sent == c.reply.buf.len();
        if done {
            if c.reply.buf.capacity() > OUTPUT_SHRINK_ABOVE {
                c.reply.buf = Vec::new();
            } else {
                c.reply.buf.clear();
            }
            c.reply.sent = 0;
        }
        let want = if done {
            Interest::READABLE
        } else {
            Interest::READABLE | Interest::WRITABLE
        };
        if want != c.interest && !c.close_asap {
            let token = Token(key + CLIENT_TOKEN_BASE);
            if state
                .registry
                .reregister(&mut c.stream, token, want)
                .is_ok()
            {
                c.interest = want;
            }
        }
        if c.close_asap || (done && c.close_after_reply) {
            self.close_client(key);
            return;
        }
        if c.read_paused && c.reply.pending() < OUTPUT_LOW_WATER {
            c.read_paused = false;
            if c.may_have_input || !c.input.is_empty() {
                self.read_client(key);
            }
        }
    }

    /// Removes a client and everything that refers to it.
    pub fn close_client(&mut self, key: usize) {
        let state = &mut self.state;
        if !state.clients.contains(key) {
            return;
        }
        let mut c = state.clients.remove(key);
        let _ = state.registry.deregister(&mut c.stream);
        state.monitors.retain(|&m| m != key);
        crate::commands::transaction::forget_watches(&mut self.store.watches, &mut c);
        if let Some(b) = c.blocked {
            if let Some(d) = b.deadline {
                state.block_deadlines.remove(&(d, key, c.id));
            }
            if let BlockReason::Keys(wait) = &b.reason {
                state.waiters.remove(key, wait.db, &wait.keys);
            }
        }
        log::debug!("Client closed connection {}", c.addr);
    }

    /// Periodic work, `hz` times a second.
    fn cron(&mut self) {
        let now = self.store.now_ms;
        let period = 1000 / self.state.config.hz as u64;
        self.next_cron_ms = now + period.max(1);
        let stats = &mut self.state.stats;
        stats.ops.sample(stats.total_commands, now);
        stats.input_kbps.sample(stats.net_input_bytes, now);
        stats.output_kbps.sample(stats.net_output_bytes, now);

        // Idle clients past `timeout` (blocked clients and monitors are exempt, as in Redis).
        let timeout = self.state.config.timeout;
        if timeout > 0 {
            let limit = timeout as u64 * 1000;
            let idle: Vec<usize> = self
                .state
                .clients
                .iter()
                .filter(|(_, c)| {
                    c.blocked.is_none()
                        && !c.monitor
                        && now.saturating_sub(c.last_interaction_ms) > limit
                })
                .map(|(k, _)| k)
                .collect();
            for key in idle {
                log::debug!("Closing idle client");
                self.close_client(key);
            }
        }

        if let Some(p) = self.state.pause {
            if p.until_ms <= now {
                self.unpause();
            }
        }

        self.persistence_cron();

        // Reclaim expired keys nobody reads, within a quarter of the cron period.
        if self.state.active_expire {
            let budget = Duration::from_micros(period * 1000 / 4);
            crate::store::expire::active_cycle(&mut self.store, budget);
        }
        // Shrink sparse tables and advance resizes a little (Redis's activerehashing).
        for db in &mut self.store.dbs {
            db.housekeeping(100);
        }
        self.store.lfu = self.state.config.lfu_params();
        self.store.limits = self.state.config.encoding_limits();
    }

    /// Reaps a finished background save, then starts one if a save rule (or a BGSAVE
    /// SCHEDULE) calls for it.
    fn persistence_cron(&mut self) {
        let state = &mut self.state;
        let dir = state.data_dir();
        persistence::reap(&mut state.persistence, &mut self.store, dir);
        if state.persistence.child.is_some() {
            return;
        }
        let p = &mut state.persistence;
        if p.scheduled || p.rules_due(&state.config.save.0, &self.store) {
            p.scheduled = false;
            if let Err(e) =
                persistence::start_background_save(p, &self.store, dir, &state.config.dbfilename)
            {
                log::warn!("Can't save in background: fork: {e}");
                p.last_bgsave_ok = false;
                p.last_attempt_ms = self.store.now_ms;
            }
        }
    }

    /// Ends CLIENT PAUSE: clients holding a postponed command run it.
    pub fn unpause(&mut self) {
        self.state.pause = None;
        let waiting: Vec<usize> = self
            .state
            .clients
            .iter()
            .filter(|(_, c)| c.has_pending_command)
            .map(|(k, _)| k)
            .collect();
        self.state.resume.extend(waiting);
    }

    /// Answers blocked clients whose deadline passed.
    fn expire_blocked(&mut self) {
        let now = self.store.now_ms;
        if self.state.pause.is_some_and(|p| p.until_ms <= now) {
            self.unpause();
        }
        while let Some(&(deadline, key, id)) = self.state.block_deadlines.first() {
            if deadline > now {
                break;
            }
            self.state.block_deadlines.pop_first();
            if self.state.clients.get(key).is_some_and(|c| c.id == id) {
                self.state.end_block_unserved(key, None, false);
            }
        }
    }

    /// Runs the buffered commands of clients that were unblocked or unpaused.
    fn resume_clients(&mut self) {
        while let Some(key) = self.state.resume.pop() {
            if let Some(c) = self.state.clients.get(key) {
                if c.may_have_input {
                    self.read_client(key);
                } else {
                    self.process_input(key);
                }
                queue_write(&mut self.state, key);
            }
        }
    }

    /// Before waiting again: write pending replies, close clients marked for closing.
    fn before_sleep(&mut self) {
        let pending = mem::take(&mut self.state.pending_writes);
        for key in pending {
            if let Some(c) = self.state.clients.get_mut(key) {
                c.write_queued = false;
                self.write_client(key);
            }
        }
        let closing: Vec<usize> = self
            .state
            .clients
            .iter()
            .filter(|(_, c)| c.close_asap)
            .map(|(k, _)| k)
            .collect();
        for key in closing {
            self.close_client(key);
        }
    }

    /// Stops a background save and, when asked or when save rules are set, saves. Returns
    /// false (and stays up) if that save fails, as Redis does.
    fn prepare_shutdown(&mut self, request: ShutdownRequest) -> bool {
        let dir = self.state.data_dir();
        persistence::kill_child(&mut self.state.persistence, dir);
        let wants_save = match request {
            ShutdownRequest::Save => true,
            ShutdownRequest::NoSave => false,
            ShutdownRequest::Default => !self.state.config.save.0.is_empty(),
        };
        if !wants_save {
            return true;
        }
        log::info!("Saving the final snapshot before exiting.");
        match persistence::save(&self.store, dir, &self.state.config.dbfilename) {
            Ok(_) => {
                log::info!("DB saved on disk");
                true
            }
            Err(e) => {
                log::warn!("Error trying to save the DB, can't exit: {e}");
                false
            }
        }
    }

    /// Flushes what can be flushed and logs the goodbye.
    fn finish_shutdown(&mut self) {
        log::warn!("User requested shutdown...");
        let keys: Vec<usize> = self.state.clients.iter().map(|(k, _)| k).collect();
        for key in keys {
            self.write_client(key);
        }
        for l in &mut self.state.listeners {
            let _ = self.state.registry.deregister(&mut l.socket);
        }
        log::warn!("redust is now ready to exit, bye bye...");
    }
}

/// Empties a vector of borrowed slices so its allocation can hold slices of another
/// lifetime (the in-place collect keeps the buffer).
fn recycle<'b>(mut v: Vec<&[u8]>) -> Vec<&'b [u8]> {
    v.clear();
    v.into_iter().map(|_| -> &'b [u8] { &[] }).collect()
}

/// Queues a client for the before-sleep write pass if it has output.
pub fn queue_write(state: &mut ServerState, key: usize) {
    if let Some(c) = state.clients.get_mut(key) {
        if !c.write_queued && (c.reply.pending() > 0 || c.close_asap || c.close_after_reply) {
            c.write_queued = true;
            state.pending_writes.push(key);
        }
    }
}

const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a bind address or an authentication password. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Raises RLIMIT_NOFILE to maxclients + 32 as Redis does; if the system refuses, lowers
/// maxclients to what fits and says so.
pub fn adjust_open_files_limit(config: &mut Config) {
    const RESERVED_FDS: u64 = 32;
    let wanted = config.maxclients as u64 + RESERVED_FDS;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    if limit.rlim_cur >= wanted {
        return;
    }
    let target = if limit.rlim_max == libc::RLIM_INFINITY {
        wanted
    } else {
        wanted.min(limit.rlim_max)
    };
    let new = libc::rlimit {
        rlim_cur: target,
        rlim_max: limit.rlim_max.max(target),
    };
    // SAFETY: setrlimit reads the struct we pass.
    let ok = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) } == 0;
    let got = if ok { target } else { limit.rlim_cur };
    if got < wanted {
        let clients = got.saturating_sub(RESERVED_FDS).max(1);
        log::warn!(
            "You requested maxclients of {} requiring at least {} max file descriptors. \
             Server can't set maximum open files to {} because of OS error. \
             Current maximum open files is {}. maxclients has been reduced to {} to \
             compensate for low ulimit.",
            config.maxclients,
            wanted,
            wanted,
            got,
            clients
        );
        config.maxclients = clients as i64;
    }
}
