//! MIGRATE (cluster.c): moves keys to another server as RESTORE commands carrying DUMP
//! payloads, over a connection kept for later calls (the socket cache; idle entries close
//! after 10 s, as in Redis). Like Redis's, the transfer is synchronous: the server waits for
//! the target within the command's timeout.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::{is, Ctx};
use crate::persistence::rdb;

/// Connections are closed after this long unused (MIGRATE_SOCKET_CACHE_TTL).
const CACHE_TTL_MS: u64 = 10_000;
/// At most this many connections are kept (MIGRATE_SOCKET_CACHE_ITEMS).
const CACHE_ITEMS: usize = 64;

struct Cached {
    conn: BufReader<TcpStream>,
    /// The database last SELECTed on it (None: select again).
    last_db: Option<i64>,
    last_use_ms: u64,
}

/// The MIGRATE connection cache, keyed by `host:port`.
#[derive(Default)]
pub struct Cache {
    conns: HashMap<Vec<u8>, Cached>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cache({} connections)", self.conns.len())
    }
}

impl Cache {
    /// Connections open (INFO's migrate_cached_sockets).
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// Whether no connection is open.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Closes connections unused for longer than the cache's TTL (from the cron).
    pub fn close_idle(&mut self, now_ms: u64) {
        self.conns
            .retain(|_, c| now_ms.saturating_sub(c.last_use_ms) <= CACHE_TTL_MS);
    }
}

fn name(host: &[u8], port: &[u8]) -> Vec<u8> {
    let mut n = host.to_vec();
    n.push(b':');
    n.extend_from_slice(port);
    n
}

fn connect(host: &[u8], port: &[u8], timeout: Duration) -> io::Result<TcpStream> {
    let host = String::from_utf8_lossy(host);
    // atoi: digits at the start, anything after ignored.
    let digits: String = String::from_utf8_lossy(port)
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let port: u16 = digits.parse().unwrap_or(0);
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for addr in (host.as_ref(), port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn bulk(out: &mut Vec<u8>, b: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(b.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

fn count(out: &mut Vec<u8>, n: usize) {
    out.push(b'*');
    out.extend_from_slice(n.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// One reply line (connSyncReadLine), without its line end.
fn read_line(conn: &mut BufReader<TcpStream>) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let n = conn.read_until(b'\n', &mut line)?;
    if n == 0 || !line.ends_with(b"\n") {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    Ok(line)
}

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
/// [AUTH2 username password] [KEYS key [key ...]]
pub fn migrate(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (mut copy, mut replace) = (false, false);
    let (mut username, mut password): (Option<&[u8]>, Option<&[u8]>) = (None, None);
    let (mut first_key, mut num_keys) = (3usize, 1usize);
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if is(argv[j], "copy") {
            copy = true;
        } else if is(argv[j], "replace") {
            replace = true;
        } else if is(argv[j], "auth") {
            if more == 0 {
                return ctx.syntax_error();
            }
            j += 1;
            password = Some(argv[j]);
            ctx.redact_arg(j);
        } else if is(argv[j], "auth2") {
            if more < 2 {
                return ctx.syntax_error();
            }
            username = Some(argv[j + 1]);
            password = Some(argv[j + 2]);
            ctx.redact_arg(j + 1);
            ctx.redact_arg(j + 2);
            j += 2;
        } else if is(argv[j], "keys") {
            if !argv[3].is_empty() {
                return ctx.out.err(
                    "When using MIGRATE KEYS option, the key argument must be set to the empty string",
                );
            }
            first_key = j + 1;
            num_keys = argv.len() - j - 1;
            break;
        } else {
            return ctx.syntax_error();
        }
        j += 1;
    }
    let Some(mut timeout) = super::int_arg(ctx.out, argv[5]) else {
        return;
    };
    let Some(dbid) = super::int_arg(ctx.out, argv[4]) else {
        return;
    };
    if timeout <= 0 {
        timeout = 1000;
    }
    let timeout = Duration::from_millis(timeout as u64);
    let keys: Vec<&[u8]> = argv[first_key..first_key + num_keys]
        .iter()
        .copied()
        .filter(|k| ctx.store.lookup_read(ctx.db, k).is_some())
        .collect();
    if keys.is_empty() {
        return ctx.out.simple("NOKEY");
    }
    let (host, port) = (argv[1], argv[2]);
    let cache_name = name(host, port);
    let mut may_retry = true;
    loop {
        // Connect, or reuse the cached connection.
        let now = ctx.store.now_ms;
        if !ctx.srv.migrate.conns.contains_key(&cache_name) {
            if ctx.srv.migrate.conns.len() >= CACHE_ITEMS {
                if let Some(k) = ctx.srv.migrate.conns.keys().next().cloned() {
                    ctx.srv.migrate.conns.remove(&k);
                }
            }
            let stream = match connect(host, port, timeout) {
                Ok(s) => s,
                Err(_) => {
                    return ctx
                        .out
                        .error("IOERR error or timeout connecting to the client")
                }
            };
            let _ = stream.set_read_timeout(Some(timeout));
            let _ = stream.set_write_timeout(Some(timeout));
            ctx.srv.migrate.conns.insert(
                cache_name.clone(),
                Cached {
                    conn: BufReader::new(stream),
                    last_db: None,
                    last_use_ms: now,
                },
            );
        }
        // The request: AUTH, SELECT when the database changed, one RESTORE per live key.
        let mut cmd = Vec::new();
        if let Some(pw) = password {
            count(&mut cmd, if username.is_some() { 3 } else { 2 });
            bulk(&mut cmd, b"AUTH");
            if let Some(u) = username {
                bulk(&mut cmd, u);
            }
            bulk(&mut cmd, pw);
        }
        let select = ctx.srv.migrate.conns[&cache_name].last_db != Some(dbid);
        if select {
            count(&mut cmd, 2);
            bulk(&mut cmd, b"SELECT");
            bulk(&mut cmd, dbid.to_string().as_bytes());
        }
        let compress = ctx.srv.config.rdbcompression;
        let mut sent: Vec<&[u8]> = Vec::new();
        for k in &keys {
            let now = ctx.store.now_ms;
            let mut ttl = 0i64;
            if let Some(at) = ctx.store.db(ctx.db).deadline(k) {
                ttl = at as i64 - now as i64;
                if ttl < 0 {
                    continue;
                }
                ttl = ttl.max(1);
            }
            let Some(v) = ctx.store.db(ctx.db).get(k) else {
                continue;
            };
            let payload = rdb::encode::dump_payload(v, compress);
            count(&mut cmd, if replace { 5 } else { 4 });
            bulk(&mut cmd, b"RESTORE");
            bulk(&mut cmd, k);
            bulk(&mut cmd, ttl.to_string().as_bytes());
            bulk(&mut cmd, &payload);
            if replace {
                bulk(&mut cmd, b"REPLACE");
            }
            sent.push(k);
        }
        let cached = ctx.srv.migrate.conns.get_mut(&cache_name).expect("present");
        cached.last_use_ms = now;
        let mut write_error = false;
        let mut timed_out = false;
        let outcome = (|| -> Result<(), (bool, io::Error)> {
            cached
                .conn
                .get_mut()
                .write_all(&cmd)
                .map_err(|e| (true, e))?;
            Ok(())
        })();
        let mut auth_reply = None;
        let mut select_reply = None;
        let mut replies: Vec<Vec<u8>> = Vec::new();
        let mut socket_error = false;
        match outcome {
            Err((_, e)) => {
                write_error = true;
                socket_error = true;
                timed_out = matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                );
            }
            Ok(()) => {
                let mut read = || read_line(&mut cached.conn);
                let mut early = false;
                if password.is_some() {
                    match read() {
                        Ok(l) => auth_reply = Some(l),
                        Err(e) => {
                            early = true;
                            timed_out = matches!(
                                e.kind(),
                                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                            );
                        }
                    }
                }
                if !early && select {
                    match read() {
                        Ok(l) => select_reply = Some(l),
                        Err(e) => {
                            early = true;
                            timed_out = matches!(
                                e.kind(),
                                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                            );
                        }
                    }
                }
                if early {
                    socket_error = true;
                } else {
                    for _ in &sent {
                        match read() {
                            Ok(l) => replies.push(l),
                            Err(e) => {
                                socket_error = true;
                                timed_out = matches!(
                                    e.kind(),
                                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                                );
                                break;
                            }
                        }
                    }
                }
            }
        }
        let nothing_read = auth_reply.is_none() && select_reply.is_none() && replies.is_empty();
        if socket_error && nothing_read && may_retry && !timed_out {
            // A cached connection the target closed: connect again once.
            ctx.srv.migrate.conns.remove(&cache_name);
            may_retry = false;
            continue;
        }
        // The target's first error, if any, is the reply; acknowledged keys move.
        let is_err = |l: &Option<Vec<u8>>| l.as_ref().is_some_and(|l| l.first() == Some(&b'-'));
        let mut error: Option<Vec<u8>> = None;
        let mut moved: Vec<&[u8]> = Vec::new();
        for (k, reply) in sent.iter().zip(&replies) {
            if is_err(&auth_reply) || is_err(&select_reply) || reply.first() == Some(&b'-') {
                if error.is_none() {
                    let from = if is_err(&auth_reply) {
                        auth_reply.clone()
                    } else if is_err(&select_reply) {
                        select_reply.clone()
                    } else {
                        Some(reply.clone())
                    };
                    error = from;
                }
            } else if !copy {
                moved.push(k);
            }
        }
        if !moved.is_empty() {
            let mut del: Vec<&[u8]> = vec![b"DEL"];
            for k in &moved {
                ctx.store.delete(ctx.db, k);
                del.push(k);
            }
            ctx.rewrite_argv(&del);
        } else {
            ctx.replace_propagation(Vec::new());
        }
        if error.is_some() || socket_error {
            if let Some(c) = ctx.srv.migrate.conns.get_mut(&cache_name) {
                c.last_db = None;
            }
        }
        if socket_error {
            ctx.srv.migrate.conns.remove(&cache_name);
        }
        if let Some(e) = error {
            let text = String::from_utf8_lossy(&e[1..]).into_owned();
            return ctx
                .out
                .err(&format!("Target instance replied with error: {text}"));
        }
        if socket_error {
            let how = if write_error { "writing" } else { "reading" };
            return ctx
                .out
                .error(&format!("IOERR error or timeout {how} to target instance"));
        }
        if let Some(c) = ctx.srv.migrate.conns.get_mut(&cache_name) {
            c.last_db = Some(dbid);
        }
        return ctx.out.ok();
    }
}
