//! REPLCONF, SYNC and PSYNC: the master's side of replication, for `redis-cli --rdb` and
//! for redis-server replicas (REPLICAOF). The RDB is produced by a forked child, as BGSAVE's
//! is, and written by that child straight to the client's socket; the command stream
//! follows once the child is done ([`crate::server::replicas`]). There is no replication
//! backlog: every sync is a full one.

use std::os::fd::AsRawFd;

use super::{is, Ctx};
use crate::persistence::rdb;

/// REPLCONF option value ...
pub fn replconf(ctx: &mut Ctx, argv: &[&[u8]]) {
    if argv.len().is_multiple_of(2) {
        return ctx.syntax_error();
    }
    for pair in argv[1..].chunks(2) {
        let opt = pair[0];
        if is(opt, "listening-port") {
            let port = std::str::from_utf8(pair[1])
                .ok()
                .and_then(|p| p.parse().ok());
            let Some(port) = port else {
                return ctx.out.err("value is not an integer or out of range");
            };
            ctx.srv.clients[ctx.caller].repl_port = port;
        }
        if is(opt, "ack") || is(opt, "fack") || is(opt, "getack") {
            // Acknowledgements get no reply.
            let now = ctx.store.now_ms;
            if let Some(r) = ctx.srv.clients[ctx.caller].replica.as_mut() {
                r.ack_ms = now;
            }
            return;
        }
        let known = [
            "listening-port",
            "ip-address",
            "capa",
            "rdb-only",
            "rdb-filter-only",
        ];
        if !known.iter().any(|k| is(opt, k)) {
            return ctx.out.err(&format!(
                "Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(opt)
            ));
        }
    }
    ctx.out.ok();
}

/// SYNC
pub fn sync(ctx: &mut Ctx, _argv: &[&[u8]]) {
    full_sync(ctx, Vec::new());
}

/// PSYNC replicationid offset: always a full resynchronisation.
pub fn psync(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let id: String = (0..40)
        .map(|_| char::from(b"0123456789abcdef"[(ctx.store.rng.next_u64() % 16) as usize]))
        .collect();
    full_sync(ctx, format!("+FULLRESYNC {id} 0\r\n").into_bytes());
}

/// Forks a child that writes `prefix`, then the RDB as a `$<len>` bulk, to the caller's
/// socket; the caller becomes a replica, whose stream waits for the child to exit.
fn full_sync(ctx: &mut Ctx, prefix: Vec<u8>) {
    if ctx.srv.clients[ctx.caller].replica.is_some() {
        // Already a replica: ignored, as Redis.
        return;
    }
    let Some(fd) = ctx
        .srv
        .clients
        .get(ctx.caller)
        .and_then(|c| c.stream.as_ref())
        .map(|s| s.as_raw_fd())
    else {
        return ctx.out.err("SYNC needs a connection");
    };
    // Replies not yet sent (earlier commands of the same read) go first, from the child.
    let mut head = ctx.out.buf.split_off(ctx.out.sent);
    head.extend_from_slice(&prefix);
    let compress = ctx.srv.config.rdbcompression;
    let store = &*ctx.store;
    // SAFETY: fork in a single-threaded process; the child only writes to a socket it
    // inherited and leaves with _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return ctx.out.err("Unable to perform background save");
    }
    if pid == 0 {
        let mut body = Vec::new();
        let ok = rdb::file::write(store, &mut body, store.now_ms, compress).is_ok();
        if ok {
            head.extend_from_slice(format!("${}\r\n", body.len()).as_bytes());
            write_all(fd, &head);
            write_all(fd, &body);
        }
        // SAFETY: leave without running the parent's destructors or atexit handlers.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    ctx.srv.attach_replica(ctx.caller, pid);
    ctx.srv.persistence.total_forks += 1;
    log::info!("Replica (or redis-cli --rdb) asked for a full synchronization: sending an RDB");
}

/// Writes everything to a non-blocking socket, waiting with poll while it is full.
fn write_all(fd: i32, mut data: &[u8]) {
    while !data.is_empty() {
        // SAFETY: `data` is a valid buffer for its length; fd is the inherited socket.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n > 0 {
            data = &data[n as usize..];
            continue;
        }
        let err = std::io::Error::last_os_error();
        match err.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted => {
                let mut p = libc::pollfd {
                    fd,
                    events: libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: one valid pollfd; waits up to a minute for room.
                if unsafe { libc::poll(&mut p, 1, 60_000) } <= 0 {
                    return;
                }
            }
            _ => return,
        }
    }
}

/// REPLICAOF host port | NO ONE (and SLAVEOF): replicate a master, or stop.
pub fn replicaof(ctx: &mut Ctx, argv: &[&[u8]]) {
    if is(argv[1], "no") && is(argv[2], "one") {
        ctx.srv.drop_master_link();
        return ctx.out.ok();
    }
    if ctx.srv.clients[ctx.caller].replica.is_some() {
        return ctx
            .out
            .err("Command is not valid when client is a replica.");
    }
    let port = crate::protocol::parse::parse_i64(argv[2]).filter(|p| (0..=65535).contains(p));
    let Some(port) = port else {
        return ctx.out.err("Invalid master port");
    };
    let host = String::from_utf8_lossy(argv[1]).into_owned();
    if let Some(link) = ctx.srv.master.as_ref() {
        if link.host.eq_ignore_ascii_case(&host) && link.port == port as u16 {
            log::info!(
                "REPLICAOF would result into synchronization with the master we are already \
                 connected with. No operation performed."
            );
            return ctx.out.simple("OK Already connected to specified master");
        }
    }
    // Replicas of this server must sync again from the new dataset.
    for &key in &ctx.srv.replicas {
        if let Some(c) = ctx.srv.clients.get_mut(key) {
            c.close_asap = true;
        }
    }
    let now = ctx.store.now_ms;
    ctx.srv.replicate(host, port as u16, now);
    ctx.out.ok();
}

/// ROLE: master with its replicas, or replica with its master's link state.
pub fn role(ctx: &mut Ctx, _argv: &[&[u8]]) {
    if let Some(link) = ctx.srv.master.as_ref() {
        let state = if link.is_up() {
            "connected"
        } else if link.syncing() {
            "sync"
        } else {
            "connect"
        };
        let (host, port, offset) = (link.host.clone(), link.port, link.offset);
        ctx.out.array(5);
        ctx.out.bulk(b"slave");
        ctx.out.bulk(host.as_bytes());
        ctx.out.int(i64::from(port));
        ctx.out.bulk(state.as_bytes());
        ctx.out.int(offset as i64);
        return;
    }
    let replicas: Vec<(String, u16)> = ctx
        .srv
        .replicas
        .iter()
        .filter_map(|&k| ctx.srv.clients.get(k))
        .filter(|c| c.replica.as_ref().is_some_and(|r| r.sync_child.is_none()))
        .map(|c| (c.addr.ip().to_string(), c.repl_port))
        .collect();
    ctx.out.array(3);
    ctx.out.bulk(b"master");
    ctx.out.int(0);
    ctx.out.array(replicas.len());
    for (ip, port) in replicas {
        ctx.out.array(3);
        ctx.out.bulk(ip.as_bytes());
        ctx.out.bulk(port.to_string().as_bytes());
        ctx.out.bulk(b"0");
    }
}
