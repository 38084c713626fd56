//! One connected client: its socket, buffers, parser state and connection-level settings.

use std::net::SocketAddr;

use mio::net::TcpStream;
use mio::Interest;

use crate::config::ObufLimits;
use crate::protocol::parse::RequestParser;
use crate::protocol::reply::{Reply, Resp};
use crate::store::types::list::End;

/// Whether replies are sent (CLIENT REPLY).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReplyMode {
    #[default]
    On,
    Off,
    /// Skip the reply of the next command only (set by CLIENT REPLY SKIP, armed after it).
    SkipNext,
    /// The current command's reply is dropped.
    Skip,
}

/// Why a client is waiting instead of running its next command.
#[derive(Debug)]
pub enum BlockReason {
    /// WAIT: answers the number of replicas (always 0) at the deadline.
    Wait,
    /// A blocking pop (BLPOP, BZMPOP, ...) waiting for one of its keys to get data.
    Keys(Box<KeyWait>),
}

/// What a client blocked on keys waits for, and what it does once one of them has data.
#[derive(Debug)]
pub struct KeyWait {
    /// The database the keys are in (the client's selected one when it blocked).
    pub db: usize,
    pub keys: Vec<Vec<u8>>,
    pub op: BlockOp,
    /// The blocked command's id (`Command::id`), for its commandstats when it answers.
    pub command: usize,
    /// The blocked command line, for the slow log when it is served.
    pub argv: Vec<Vec<u8>>,
}

/// The pop a blocked client performs when it is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockOp {
    /// BLPOP / BRPOP: one element from that end, replied with its key.
    Pop(End),
    /// BLMOVE / BRPOPLPUSH: one element moved to `to` of `dst`, replied alone.
    Move { from: End, to: End, dst: Vec<u8> },
    /// BLMPOP: up to `count` elements from that end, replied with their key.
    MultiPop { end: End, count: usize },
    /// BZPOPMIN / BZPOPMAX: one member with its score and key.
    ZPop { max: bool },
    /// BZMPOP: up to `count` members with their scores, replied with their key.
    ZMultiPop { max: bool, count: usize },
    /// XREAD / XREADGROUP: entries after an ID, or new to a group.
    Stream(Box<StreamWait>),
}

/// What a blocked XREAD / XREADGROUP waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamWait {
    /// Each key with the ID its entries must follow (`$` resolved when it blocked; for a
    /// group, the group's last ID is read when served instead).
    pub streams: Vec<(Vec<u8>, crate::store::types::stream::StreamId)>,
    /// The most entries to reply.
    pub count: usize,
    /// Set for XREADGROUP.
    pub group: Option<GroupRead>,
}

/// The group side of an XREADGROUP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRead {
    /// The group's name.
    pub group: Vec<u8>,
    /// The consumer's name (created on its first read).
    pub consumer: Vec<u8>,
    /// Entries read are not added to the pending lists.
    pub noack: bool,
}

/// The type of value a blocked client waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wants {
    /// BLPOP and the other list pops.
    List,
    /// BZPOPMIN and the other sorted-set pops.
    ZSet,
    /// XREAD and XREADGROUP.
    Stream,
}

impl BlockOp {
    /// The type of value the op reads.
    pub fn wants(&self) -> Wants {
        match self {
            BlockOp::Pop(_) | BlockOp::Move { .. } | BlockOp::MultiPop { .. } => Wants::List,
            BlockOp::ZPop { .. } | BlockOp::ZMultiPop { .. } => Wants::ZSet,
            BlockOp::Stream(_) => Wants::Stream,
        }
    }
}

/// Commands queued between MULTI and EXEC.
#[derive(Debug, Default)]
pub struct Transaction {
    pub queued: Vec<Vec<Vec<u8>>>,
    /// Bytes of the queued arguments: they count against client-query-buffer-limit, as
    /// the query buffer they came from would, so a transaction cannot grow without bound.
    pub bytes: usize,
    /// A command was refused while queueing: EXEC answers EXECABORT.
    pub aborted: bool,
}

/// A key the client WATCHes.
#[derive(Debug)]
pub struct WatchedKey {
    pub db: usize,
    pub key: Vec<u8>,
}

/// The query buffer as it stood when the client's current command started. While a
/// client's commands run, its input (which the arguments borrow) is held by the read loop,
/// so CLIENT LIST / INFO read these figures instead.
#[derive(Clone, Copy, Debug, Default)]
pub struct InFlight {
    /// Bytes in the query buffer, the running command's included (Redis's qbuf).
    pub qbuf: usize,
    /// Spare capacity of the query buffer.
    pub qbuf_free: usize,
    /// Bytes of the running command's arguments.
    pub argv_mem: usize,
}

/// A client waiting for a deadline or an event.
#[derive(Debug)]
pub struct Blocked {
    pub reason: BlockReason,
    /// Unix ms; None waits forever.
    pub deadline: Option<u64>,
}

/// A connected client.
#[derive(Debug)]
pub struct Client {
    /// The id CLIENT ID reports; never reused.
    pub id: u64,
    /// The connection; `None` for a client without a socket (scripts, log replay, the fuzz
    /// harness), whose replies stay in its buffer for its owner to read.
    pub stream: Option<TcpStream>,
    pub addr: SocketAddr,
    pub local_addr: SocketAddr,
    /// Received bytes; `input_pos` is where parsing resumes.
    pub input: Vec<u8>,
    pub input_pos: usize,
    pub parser: RequestParser,
    /// A parsed command waits in `parser` to run (the server was paused when it arrived).
    pub has_pending_command: bool,
    /// CLIENT PAUSE holds this client's next command: it counts as blocked, as Redis's
    /// postponed clients do, until the pause ends.
    pub postponed: bool,
    pub reply: Reply,
    /// The selected database.
    pub db: usize,
    pub name: Vec<u8>,
    pub lib_name: Vec<u8>,
    pub lib_ver: Vec<u8>,
    pub created_ms: u64,
    pub last_interaction_ms: u64,
    pub authenticated: bool,
    /// The ACL user it runs commands as.
    pub user: crate::acl::UserId,
    /// Close once the pending output is written (QUIT, protocol errors, CLIENT KILL).
    pub close_after_reply: bool,
    /// Close now, without flushing.
    pub close_asap: bool,
    /// SCRIPT DEBUG YES / SYNC: its next EVAL runs in the Lua debugger.
    pub lua_debug: Option<crate::scripting::ldb::Mode>,
    pub monitor: bool,
    pub reply_mode: ReplyMode,
    pub no_evict: bool,
    pub no_touch: bool,
    pub blocked: Option<Blocked>,
    /// The full name of the last command run (`client|list`), for CLIENT LIST.
    pub last_command: &'static str,
    /// The id (`Command::id`) of the last command run.
    pub last_command_id: usize,
    /// Reading stopped because the output backlog is too large.
    pub read_paused: bool,
    /// The socket has unread bytes we have not drained yet (reading was paused).
    pub may_have_input: bool,
    /// Interest currently registered with the poll.
    pub interest: Interest,
    /// Queued for the before-sleep write pass.
    pub write_queued: bool,
    /// Protocol errors close the connection without executing anything after them.
    pub protocol_error: bool,
    /// The poll reported the peer's end closed (or an error): read until EOF.
    pub peer_closed: bool,
    /// Inside MULTI: the commands queued so far.
    pub tx: Option<Transaction>,
    /// EXEC is running this client's queued commands: they must not block.
    pub in_exec: bool,
    /// The client scripts' commands run as: not listed, not counted, shown as `lua`.
    pub script: bool,
    pub watching: Vec<WatchedKey>,
    /// The largest the query buffer's content got since the cron last looked.
    pub input_peak: usize,
    /// The reply buffer kept between replies, Redis's static reply buffer (CLIENT LIST
    /// rbs): 16 KB at first, resized by the cron to what the client uses
    /// ([`Client::resize_reply_buffer`]); a buffer that grew past it shrinks back to it
    /// once written.
    pub reply_size: usize,
    /// The most of `reply_size` that output filled since the peak was last reset (rbp).
    pub reply_peak: usize,
    pub reply_peak_reset_ms: u64,
    /// Set once the client is a replica (SYNC / PSYNC).
    pub replica: Option<super::replicas::Replica>,
    /// The port its server listens on, as a replica says with REPLCONF listening-port.
    pub repl_port: u16,
    /// The link to the master this server replicates (REPLICAOF): its commands are
    /// applied without replies.
    pub master: bool,
    /// The protocol the client speaks (HELLO), known even while its reply buffer is lent
    /// to the call path.
    pub resp: Resp,
    /// What it subscribes to.
    pub subs: crate::pubsub::Subscriptions,
    /// CLIENT TRACKING: client-side caching.
    pub tracking: crate::pubsub::tracking::ClientTracking,
    /// When its output first stayed over its class's soft limit (Unix ms).
    pub obuf_soft_since: Option<u64>,
    /// Set while the client's commands run (see [`InFlight`]).
    pub in_flight: Option<InFlight>,
    /// The memory client eviction last counted for it (0 when it cannot be evicted).
    pub mem_tracked: usize,
}

impl Client {
    /// A new client for an accepted connection.
    pub fn new(id: u64, stream: TcpStream, addr: SocketAddr, now_ms: u64) -> Client {
        let local_addr = stream.local_addr().unwrap_or(addr);
        Client::with_stream(id, Some(stream), addr, local_addr, now_ms)
    }

    /// A client without a socket: commands run for it through the same call path, and its
    /// replies accumulate in `reply`. It is authenticated, as Redis's internal clients are.
    pub fn socketless(id: u64, now_ms: u64) -> Client {
        let none = SocketAddr::from(([0, 0, 0, 0], 0));
        let mut c = Client::with_stream(id, None, none, none, now_ms);
        c.authenticated = true;
        c
    }

    fn with_stream(
        id: u64,
        stream: Option<TcpStream>,
        addr: SocketAddr,
        local_addr: SocketAddr,
        now_ms: u64,
    ) -> Client {
        Client {
            id,
            stream,
            addr,
            local_addr,
            input: Vec::new(),
            input_pos: 0,
            parser: RequestParser::new(),
            has_pending_command: false,
            reply: Reply {
                buf: Vec::with_capacity(REPLY_CHUNK),
                ..Reply::default()
            },
            db: 0,
            name: Vec::new(),
            lib_name: Vec::new(),
            lib_ver: Vec::new(),
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            authenticated: false,
            user: crate::acl::DEFAULT_USER,
            close_after_reply: false,
            close_asap: false,
            lua_debug: None,
            monitor: false,
            reply_mode: ReplyMode::On,
            no_evict: false,
            no_touch: false,
            blocked: None,
            last_command: "NULL",
            last_command_id: 0,
            postponed: false,
            read_paused: false,
            may_have_input: false,
            interest: Interest::READABLE,
            write_queued: false,
            protocol_error: false,
            peer_closed: false,
            tx: None,
            in_exec: false,
            script: false,
            watching: Vec::new(),
            in_flight: None,
            mem_tracked: 0,
            resp: Resp::Two,
            subs: Default::default(),
            tracking: Default::default(),
            obuf_soft_since: None,
            input_peak: 0,
            reply_size: REPLY_CHUNK,
            reply_peak: 0,
            reply_peak_reset_ms: now_ms,
            replica: None,
            repl_port: 0,
            master: false,
        }
    }

    /// Whether the client waits: blocked on keys or WAIT, or postponed by CLIENT PAUSE.
    pub fn is_blocked(&self) -> bool {
        self.blocked.is_some() || self.postponed
    }

    /// Trims the query buffer from the cron, as Redis's clientsCronResizeQueryBuffer: when
    /// more than 4 KB of it is unused, a client idle for over 2 s gives the room back, and a
    /// buffer over 32 KB that is more than twice its recent peak shrinks to that peak.
    pub fn resize_query_buffer(&mut self, now_ms: u64) {
        const WASTE: usize = 4 * 1024;
        const RESIZE_THRESHOLD: usize = 32 * 1024;
        let size = self.input.capacity();
        if size - self.input.len() > WASTE {
            let idle_secs = now_ms.saturating_sub(self.last_interaction_ms) / 1000;
            if idle_secs > 2 {
                self.input.shrink_to_fit();
            } else if size > RESIZE_THRESHOLD && size / 2 > self.input_peak {
                self.input.shrink_to(self.input.len().max(self.input_peak));
            }
        }
        self.input_peak = self.input.len();
    }

    /// Resizes the reply buffer kept between replies from the cron, as Redis's
    /// clientsCronResizeOutputBuffer: halved (to its peak, at least 1 KB) when less than
    /// half of it was used, doubled (up to 16 KB) when output filled it; the peak is reset
    /// every `peak_reset_ms` (negative: never). Returns the resize made, for INFO's
    /// reply_buffer_shrinks / expands.
    pub fn resize_reply_buffer(&mut self, now_ms: u64, peak_reset_ms: i64) -> Option<Resize> {
        const MIN: usize = 1024;
        let in_buffer = self.reply.pending().min(self.reply_size);
        self.reply_peak = self.reply_peak.max(in_buffer);
        let resize = if self.reply_size / 2 >= MIN && self.reply_peak < self.reply_size / 2 {
            self.reply_size = MIN.max(self.reply_peak + 1);
            Some(Resize::Shrink)
        } else if self.reply_size * 2 < REPLY_CHUNK * 2 && self.reply_peak == self.reply_size {
            self.reply_size = REPLY_CHUNK.min(self.reply_size * 2);
            Some(Resize::Expand)
        } else {
            None
        };
        if peak_reset_ms >= 0
            && now_ms.saturating_sub(self.reply_peak_reset_ms) >= peak_reset_ms as u64
        {
            self.reply_peak = in_buffer;
            self.reply_peak_reset_ms = now_ms;
        }
        if resize.is_some() && self.reply.buf.is_empty() {
            self.reply.buf = Vec::with_capacity(self.reply_size);
        }
        resize
    }

    /// Whether the client's unsent output broke the limit of its class (pubsub if it
    /// subscribes to anything, else normal), as Redis's checkClientOutputBufferLimits: over
    /// the hard limit, or over the soft limit for longer than its seconds. What counts is
    /// what Redis counts, the output beyond its 16 KB static buffer (CLIENT LIST's omem).
    pub fn output_limit_reached(&mut self, limits: &ObufLimits, now_ms: u64) -> bool {
        let counted = self.reply.limit_counted();
        self.output_limit_reached_by(counted, limits, now_ms)
    }

    /// [`Client::output_limit_reached`] for `counted` bytes of output as limits count them
    /// ([`Reply::limit_counted`]; the reply buffer is lent to the call path while the
    /// client's commands run).
    pub fn output_limit_reached_by(
        &mut self,
        counted: usize,
        limits: &ObufLimits,
        now_ms: u64,
    ) -> bool {
        let limit = limits.0[self.output_class()];
        let used = counted as u64;
        let hard = limit.hard > 0 && used >= limit.hard;
        if limit.soft == 0 || used < limit.soft {
            self.obuf_soft_since = None;
            return hard;
        }
        let since = *self.obuf_soft_since.get_or_insert(now_ms);
        let over_secs = now_ms.saturating_sub(since) / 1000;
        hard || over_secs as i64 > limit.soft_seconds
    }

    /// What kind of client this is, as Redis's getClientType.
    pub fn kind(&self) -> ClientKind {
        if self.master {
            ClientKind::Master
        } else if self.replica.is_some() && !self.monitor {
            ClientKind::Replica
        } else if self.subs.any() {
            ClientKind::Pubsub
        } else {
            ClientKind::Normal
        }
    }

    /// The client-output-buffer-limit class that applies: normal (0, masters too),
    /// replica (1) or pubsub (2).
    pub fn output_class(&self) -> usize {
        match self.kind() {
            ClientKind::Normal | ClientKind::Master => 0,
            ClientKind::Replica => 1,
            ClientKind::Pubsub => 2,
        }
    }

    /// What MULTI and WATCH hold (CLIENT LIST multi-mem, Redis's multiStateMemOverhead):
    /// the queued arguments, a slot per queued command, and each watched key's entry.
    pub fn multi_mem(&self) -> usize {
        let queued = self
            .tx
            .as_ref()
            .map_or(0, |t| t.bytes + t.queued.len() * QUEUED_COMMAND);
        queued + self.watching.len() * (WATCHED_KEY + LIST_NODE)
    }

    /// The memory the client holds, as Redis's getClientMemoryUsage counts it (CLIENT LIST
    /// tot-mem; what maxmemory-clients limits): its query and reply buffers, the arguments
    /// of the command running, MULTI and WATCH, the entries of its subscriptions, and its
    /// tracking prefixes. `live`: as for [`Client::info_line`].
    pub fn memory_usage(&self, live: Option<&Reply>) -> usize {
        let reply = live.unwrap_or(&self.reply);
        let (query, argv) = match self.in_flight {
            Some(f) => (f.qbuf + f.qbuf_free, f.argv_mem),
            None => (self.input.capacity(), 0),
        };
        let subs = self.subs.count(crate::pubsub::Kind::Pattern) * LIST_NODE
            + (self.subs.count(crate::pubsub::Kind::Channel)
                + self.subs.count(crate::pubsub::Kind::Shard))
                * (DICT_ENTRY + 8);
        let prefixes: usize = self
            .tracking
            .prefixes
            .iter()
            .map(|p| p.len() + LIST_NODE)
            .sum();
        query
            + argv
            + reply.buf.capacity()
            + std::mem::size_of::<Client>()
            + self.multi_mem()
            + subs
            + prefixes
    }

    /// The flags letters CLIENT LIST shows.
    pub fn flags_string(&self) -> String {
        let mut f = String::new();
        if self.monitor {
            f.push('O');
        } else if self.replica.is_some() {
            f.push('S');
        }
        if self.master {
            f.push('M');
        }
        if self.subs.any() {
            f.push('P');
        }
        // Redis's order: x before b.
        if self.tx.is_some() {
            f.push('x');
        }
        if self.is_blocked() {
            f.push('b');
        }
        if self.tracking.on {
            f.push('t');
        }
        if self.tracking.broken_redirect {
            f.push('R');
        }
        if self.tracking.bcast {
            f.push('B');
        }
        if self.close_after_reply {
            f.push('c');
        }
        if self.no_evict {
            f.push('e');
        }
        if self.no_touch {
            f.push('T');
        }
        if f.is_empty() {
            f.push('N');
        }
        f
    }

    /// One CLIENT LIST / CLIENT INFO line (without the trailing newline). `live` is the
    /// reply buffer in use while this client's own command runs (the caller of CLIENT
    /// LIST), which is then not in `self.reply`.
    pub fn info_line(&self, now_ms: u64, live: Option<&Reply>, user: &[u8]) -> String {
        let reply = live.unwrap_or(&self.reply);
        let (qbuf, qbuf_free, argv_mem) = match self.in_flight {
            Some(f) => (f.qbuf, f.qbuf_free, f.argv_mem),
            None => (
                self.input.len().saturating_sub(self.input_pos),
                self.input.capacity() - self.input.len(),
                0,
            ),
        };
        // Redis answers from a 16 KB static buffer (obl) and spills into a list of 16 KB
        // blocks (oll, omem); the same figures from the one pending buffer here.
        let pending = reply.pending();
        let omem = reply.limit_counted();
        let obl = pending - omem;
        let oll = omem.div_ceil(REPLY_CHUNK);
        let events = if self.interest.is_writable() {
            "rw"
        } else {
            "r"
        };
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} \
             ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} \
             oll={} omem={} tot-mem={} events={} cmd={} user={} redir={} resp={}",
            self.id,
            self.addr,
            self.local_addr,
            self.stream.as_ref().map_or(-1, raw_fd),
            String::from_utf8_lossy(&self.name),
            now_ms.saturating_sub(self.created_ms) / 1000,
            now_ms.saturating_sub(self.last_interaction_ms) / 1000,
            self.flags_string(),
            self.db,
            self.subs.count(crate::pubsub::Kind::Channel),
            self.subs.count(crate::pubsub::Kind::Pattern),
            self.subs.count(crate::pubsub::Kind::Shard),
            self.tx.as_ref().map_or(-1, |t| t.queued.len() as i64),
            qbuf,
            qbuf_free,
            argv_mem,
            self.multi_mem(),
            self.reply_size,
            self.reply_peak,
            obl,
            oll,
            omem,
            self.memory_usage(live),
            events,
            self.last_command,
            String::from_utf8_lossy(user),
            if self.tracking.on {
                self.tracking.redirect as i64
            } else {
                -1
            },
            reply.resp.number(),
        )
    }
}

/// The kinds of client CLIENT LIST / KILL TYPE select.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientKind {
    Normal,
    /// The link to this replica's master.
    Master,
    Replica,
    Pubsub,
}

impl ClientKind {
    /// The kind a CLIENT LIST / KILL TYPE argument names.
    pub fn parse(name: &[u8]) -> Option<ClientKind> {
        match name.to_ascii_lowercase().as_slice() {
            b"normal" => Some(ClientKind::Normal),
            b"master" => Some(ClientKind::Master),
            b"replica" | b"slave" => Some(ClientKind::Replica),
            b"pubsub" => Some(ClientKind::Pubsub),
            _ => None,
        }
    }
}

/// What [`Client::resize_reply_buffer`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resize {
    Shrink,
    Expand,
}

/// The size of Redis's static reply buffer and of its reply list's blocks.
pub(crate) const REPLY_CHUNK: usize = 16 * 1024;

// What Redis counts per item of a client's bookkeeping (its structures' sizes on 64-bit).
const LIST_NODE: usize = 24;
const WATCHED_KEY: usize = 24;
const DICT_ENTRY: usize = 24;
const QUEUED_COMMAND: usize = 24;

fn raw_fd(stream: &TcpStream) -> i32 {
    use std::os::fd::AsRawFd;
    stream.as_raw_fd()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_buffer_shrinks_to_its_peak_then_frees_when_idle() {
        let mut c = Client::socketless(1, 0);
        c.input.reserve(400_000);
        c.input.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        c.input_peak = 40;
        c.input.clear();
        c.resize_query_buffer(1_000);
        assert!(c.input.capacity() >= 40 && c.input.capacity() < 400_000);
        // Not wasting 4 KB: left alone, and the peak follows the content.
        let small = c.input.capacity();
        c.resize_query_buffer(1_100);
        assert_eq!(c.input.capacity(), small);
        c.input.reserve(16 * 1024);
        c.resize_query_buffer(2_999);
        assert!(c.input.capacity() >= 16 * 1024, "idle only 2 s");
        c.resize_query_buffer(3_000);
        assert_eq!(c.input.capacity(), 0, "idle over 2 s");
    }
}
