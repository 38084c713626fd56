//! Client I/O for the event loop: accepting connections, reading and parsing requests
//! (executing each complete command), and writing replies with backpressure.

use crate::server::ClientId;
use std::io::{self, Read, Write};
use std::mem;

use mio::Interest;

use super::client::{BlockReason, Client, InFlight, REPLY_CHUNK};
use super::ServerState;
use crate::protocol::parse::{Limits, Parsed};
use crate::protocol::reply::Reply;
use crate::store::Store;

/// The most one read takes from a socket.
pub(super) const READ_SIZE: usize = 64 * 1024;
/// Stop reading a client's requests while this much of its output is unsent: a client
/// that never reads its replies cannot make the server buffer without bound.
const OUTPUT_HIGH_WATER: usize = 32 * 1024 * 1024;
/// Output an unauthenticated client may have pending beyond the first reply chunk.
const UNAUTH_OUTPUT_LIMIT: usize = 1024;
/// Resume reading once the backlog is below this.
const OUTPUT_LOW_WATER: usize = 4 * 1024 * 1024;
/// The room made in a client's query buffer before each read, as Redis's
/// PROTO_IOBUF_LEN: the buffer's size is what CLIENT LIST reports (qbuf + qbuf-free) and
/// what the cron trims ([`Client::resize_query_buffer`]).
const QUERY_READ_ROOM: usize = 16 * 1024;

/// Below this much pending output (Redis's static reply buffer) no limit can be passed,
/// so the check after each command costs one comparison.
const OUTPUT_CHECK_ABOVE: usize = 16 * 1024;

/// The most arguments the argv allocation kept between batches holds (a command with more
/// allocates its own).
const SPARE_ARGV_MAX: usize = 256;

/// Arguments from this size on are read into a buffer made for them (Redis's
/// PROTO_MBULK_BIG_ARG).
const BIG_ARG: usize = 32 * 1024;

/// The I/O handlers of the loop: the store and the server state they work on. The loop
/// uses them, and so does a busy script serving other clients
/// ([`crate::server::busy::serve_while_busy`]).
pub struct Io<'a> {
    pub store: &'a mut Store,
    pub state: &'a mut ServerState,
}

impl Io<'_> {
    pub(crate) fn accept(&mut self, index: usize) {
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
            // As Redis: protected mode refuses remote clients while the default user has no
            // password (even when it is off).
            let default_nopass =
                state.acl.user(crate::acl::DEFAULT_USER).flags & crate::acl::user::NOPASS != 0;
            if state.config.protected_mode && default_nopass && !addr.ip().is_loopback() {
                let _ = stream.write(PROTECTED_MODE_DENIED);
                state.stats.rejected_connections += 1;
                continue;
            }
            let _ = stream.set_nodelay(true);
            if state.config.tcp_keepalive > 0 {
                set_keepalive(&stream, state.config.tcp_keepalive as i32);
            }
            let authenticated = !state.auth_required();
            let slot = state.clients.next_id();
            if let Err(e) = state
                .registry
                .register(&mut stream, slot.token(), Interest::READABLE)
            {
                log::warn!("Registering client: {e}");
                continue;
            }
            let id = state.next_client_id;
            state.next_client_id += 1;
            let mut client = Client::new(id, stream, addr, self.store.now_ms);
            client.authenticated = authenticated;
            state.clients.insert(client);
            state.stats.total_connections += 1;
            log::debug!("Accepted {addr}");
        }
    }

    /// Reads everything the socket has, executing commands as they complete.
    pub(crate) fn read_client(&mut self, key: ClientId) {
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
            let Some(stream) = c.stream.as_mut() else {
                return;
            };
            let result = stream.read(&mut self.state.read_buf);
            match result {
                Ok(0) => {
                    // The peer finished sending: answer what it sent, then close.
                    self.process_input(key);
                    self.write_client(key);
                    self.close_client(key);
                    return;
                }
                Ok(n) => {
                    let room = n.max(QUERY_READ_ROOM);
                    if c.input.capacity() - c.input.len() < room {
                        match c.parser.pending_bulk() {
                            // A big argument gets a buffer of exactly its size (and CRLF)
                            // once its header is read, not a doubling one, as Redis's
                            // non-greedy growth; it counts against the client's memory at
                            // once (maxmemory-clients). Its size is within
                            // proto-max-bulk-len, and a client that has not authenticated
                            // cannot announce more than 16 KB.
                            Some(len) if len >= BIG_ARG => {
                                let left = (c.input_pos + len + 2).saturating_sub(c.input.len());
                                c.input.reserve_exact(left.max(n));
                            }
                            _ => c.input.reserve(room),
                        }
                    }
                    c.input.extend_from_slice(&self.state.read_buf[..n]);
                    c.input_peak = c.input_peak.max(c.input.len());
                    c.last_interaction_ms = self.store.now_ms;
                    self.state.stats.net_input_bytes += n as u64;
                    if c.master {
                        if let Some(link) = self.state.master.as_mut() {
                            link.offset += n as u64;
                        }
                    }
                    // A short read emptied the socket: bytes that arrive later raise a new
                    // readiness edge, so asking again now would only cost an EAGAIN read.
                    // (Not once the peer closed: that edge came with this data and the
                    // close is only seen by reading on to the end.)
                    let drained = n < self.state.read_buf.len() && !c.peer_closed;
                    if drained {
                        c.may_have_input = false;
                    }
                    self.process_input(key);
                    if drained {
                        return;
                    }
                    // A client that sends faster than it reads (redis-cli --pipe) would
                    // otherwise have all its input read before any reply goes out: as
                    // Redis does, a full read is followed by writing the replies first.
                    if let Some(c) = self.state.clients.get_mut(key) {
                        if c.reply.pending() > 0 {
                            c.may_have_input = true;
                            self.state.reread.push(key);
                            return;
                        }
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
    pub(crate) fn process_input(&mut self, key: ClientId) {
        let Io { store, state } = self;
        // What was read counts at once: a client whose query buffer takes it over
        // maxmemory-clients may be evicted before its command runs.
        state.note_client_memory(key);
        state.evict_clients();
        let Some(c) = state.clients.get_mut(key) else {
            return;
        };
        if c.blocked.is_some() || c.close_after_reply || c.close_asap || c.read_paused {
            return;
        }
        let input = mem::take(&mut c.input);
        let mut parser = mem::take(&mut c.parser);
        let mut reply = mem::take(&mut c.reply);
        // The hard limit of the client's class, for commands that stop building a reply
        // once it passes it.
        reply.limit = state.config.client_output_buffer_limit.0[c.output_class()].hard as usize;
        let mut pos = c.input_pos;
        let mut pending = c.has_pending_command;
        // One argv allocation reused for every command of the batch, and the next batch's.
        let mut spare: Vec<&[u8]> = recycle(mem::take(&mut state.spare_argv));
        loop {
            let c = &mut state.clients[key];
            if c.blocked.is_some() || c.close_after_reply || c.close_asap {
                break;
            }
            if reply.pending() > OUTPUT_HIGH_WATER {
                c.read_paused = true;
                break;
            }
            // A client that must authenticate first gets no more than a little output: one
            // that pipelines commands without reading the NOAUTH replies is closed instead
            // of making the server hold them (as Redis since CVE-2025-21605).
            if !c.authenticated
                && reply.pending().saturating_sub(REPLY_CHUNK) > UNAUTH_OUTPUT_LIMIT
                && state.acl.default_requires_auth()
            {
                log::warn!(
                    "Closing unauthenticated client {} for overcoming the output limit of \
                     clients before AUTH",
                    c.addr
                );
                c.close_asap = true;
                state.stats.client_obuf_limit_disconnections += 1;
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
            state.clients[key].in_flight = Some(InFlight {
                qbuf: input.len(),
                qbuf_free: input.capacity() - input.len(),
                // The command's bytes on the wire: its arguments and their framing.
                argv_mem: pos - parser.command_start(),
            });
            if crate::dispatch::must_postpone(state, key, &argv) {
                pending = true;
                // Counted as blocked (INFO, CLIENT LIST) until the pause ends, and CLIENT
                // LIST names the held command, as in Redis.
                state.postpone(key);
                let c = &mut state.clients[key];
                if let Some((cmd, _)) = crate::commands::table::lookup(&argv) {
                    c.last_command = cmd.name;
                    c.last_command_id = cmd.id;
                }
                break;
            }
            if pending {
                // The pause ended (its expiry may not have been handled yet).
                state.clients[key].postponed = false;
            }
            pending = false;
            crate::dispatch::execute(store, state, &mut reply, key, &argv);
            spare = recycle(argv);
            // Past its output limit the client gets nothing more: it is closed before
            // anything is written (Redis checks as replies are added).
            if reply.pending() > OUTPUT_CHECK_ABOVE {
                let now = super::unix_ms();
                let c = &mut state.clients[key];
                let limits = &state.config.client_output_buffer_limit;
                if c.output_limit_reached_by(reply.limit_counted(), limits, now) {
                    close_over_output_limit(state, key, now, Some(&reply));
                    break;
                }
            }
        }
        if spare.capacity() <= SPARE_ARGV_MAX {
            state.spare_argv = recycle(spare);
        }
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
        let over_limit = input.len() as i64 > state.config.client_query_buffer_limit;
        // Anything written to the placeholder while the real buffer was out (none expected)
        // is kept after it.
        reply.buf.extend_from_slice(&c.reply.buf);
        c.input = input;
        c.parser = parser;
        c.reply = reply;
        c.input_pos = pos;
        c.has_pending_command = pending;
        c.in_flight = None;
        if over_limit {
            log::warn!(
                "Closing client that reached max query buffer length: {}",
                c.addr
            );
            state.stats.client_qbuf_limit_disconnections += 1;
            c.close_asap = true;
        }
        queue_write(state, key);
        state.note_client_memory(key);
        state.evict_clients();
    }

    /// Writes as much pending output as the socket takes.
    pub(crate) fn write_client(&mut self, key: ClientId) {
        let state = &mut self.state;
        let Some(c) = state.clients.get_mut(key) else {
            return;
        };
        if c.close_asap {
            // Killed, evicted or over its output limit: nothing more is sent.
            self.close_client(key);
            return;
        }
        let Some(stream) = c.stream.as_mut() else {
            // Nobody to send to: the owner of a socketless client reads its buffer.
            return;
        };
        if c.replica.as_ref().is_some_and(|r| r.sync_child.is_some()) {
            // A child is writing the RDB to this socket: the rest waits for it.
            return;
        }
        c.reply_peak = c.reply_peak.max(c.reply.buf.len().min(c.reply_size));
        while c.reply.sent < c.reply.buf.len() {
            match stream.write(&c.reply.buf[c.reply.sent..]) {
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
            // A buffer that grew past the one kept between replies (Redis's static reply
            // buffer) shrinks back once written, as Redis frees its reply list once sent.
            // Kept, the room a burst took would count against maxmemory until the client
            // closed: the tracking invalidations an eviction sends would set off more.
            c.reply.clear_sent();
            if c.reply.buf.capacity() > c.reply_size {
                c.reply.buf.shrink_to(c.reply_size);
            }
        }
        let want = if done {
            Interest::READABLE
        } else {
            Interest::READABLE | Interest::WRITABLE
        };
        if want != c.interest && !c.close_asap {
            let token = key.token();
            if state.registry.reregister(stream, token, want).is_ok() {
                c.interest = want;
            }
        }
        if !done
            && !c.close_asap
            && c.output_limit_reached(&state.config.client_output_buffer_limit, super::unix_ms())
        {
            close_over_output_limit(state, key, super::unix_ms(), None);
        }
        let c = &mut state.clients[key];
        if c.close_asap || (done && c.close_after_reply) {
            self.close_client(key);
            return;
        }
        state.note_client_memory(key);
        let c = &mut state.clients[key];
        if c.read_paused && c.reply.pending() < OUTPUT_LOW_WATER {
            c.read_paused = false;
            if c.may_have_input || !c.input.is_empty() {
                self.read_client(key);
            }
        }
    }

    /// Removes a client and everything that refers to it.
    pub(crate) fn close_client(&mut self, key: ClientId) {
        let state = &mut self.state;
        if !state.clients.contains(key) {
            return;
        }
        state.forget_client_memory(key);
        crate::pubsub::forget(state, key);
        crate::pubsub::tracking::disable(state, key);
        let mut c = state.clients.remove(key);
        if let Some(replica) = c.replica.take() {
            state.detach_replica(key, replica);
        }
        if let Some(stream) = c.stream.as_mut() {
            let _ = state.registry.deregister(stream);
        }
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
}

/// Empties a vector of borrowed slices so its allocation can hold slices of another
/// lifetime (the in-place collect keeps the buffer).
fn recycle<'b>(mut v: Vec<&[u8]>) -> Vec<&'b [u8]> {
    v.clear();
    v.into_iter().map(|_| -> &'b [u8] { &[] }).collect()
}

/// Marks client `key`, whose output passed its class's limit, to be closed without being
/// written to, with Redis's log line.
/// `live`: the client's reply buffer while it is lent to the call path.
pub fn close_over_output_limit(
    state: &mut ServerState,
    key: ClientId,
    now_ms: u64,
    live: Option<&Reply>,
) {
    let c = &mut state.clients[key];
    log::warn!(
        "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
        c.info_line(now_ms, live, &state.acl.user(c.user).name)
    );
    c.close_asap = true;
    state.stats.client_obuf_limit_disconnections += 1;
    state.forget_client_memory(key);
    queue_write(state, key);
}

/// Queues a client for the before-sleep write pass if it has output.
pub fn queue_write(state: &mut ServerState, key: ClientId) {
    if let Some(c) = state.clients.get_mut(key) {
        if !c.write_queued && (c.reply.pending() > 0 || c.close_asap || c.close_after_reply) {
            c.write_queued = true;
            state.pending_writes.push(key);
        }
    }
}

const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a bind address or an authentication password. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// tcp-keepalive as Redis's anetKeepAlive sets it: probes after `interval` seconds idle,
/// then every third of it, and the peer is dead after three unanswered ones.
fn set_keepalive(stream: &mio::net::TcpStream, interval: i32) {
    use std::os::fd::AsRawFd;
    let fd = stream.as_raw_fd();
    let options = [
        (libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1),
        (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, interval),
        (
            libc::IPPROTO_TCP,
            libc::TCP_KEEPINTVL,
            (interval / 3).max(1),
        ),
        (libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3),
    ];
    for (level, name, value) in options {
        // SAFETY: setsockopt on a socket we own, with a pointer to a live c_int and its size.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                (&value as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            log::debug!("tcp-keepalive: {}", std::io::Error::last_os_error());
            return;
        }
    }
}
