//! Hostile clients: each gets Redis's reply or a close, everyone else keeps being served,
//! and the server's memory stays bounded.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Raw, Server};

fn assert_serving(ours: &Server) {
    let mut raw = ours.raw();
    let t = Instant::now();
    assert_eq!(raw.cmd(&[b"PING"]), b"+PONG\r\n");
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn one_megabyte_inline_line_is_refused() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    let mut line = vec![b'A'; 1024 * 1024];
    line.extend_from_slice(b"\r\n");
    // The server may close before taking every byte; what it says first is the point.
    let _ = raw.stream.write_all(&line);
    let out = raw.read_to_close();
    assert_eq!(out, b"-ERR Protocol error: too big inline request\r\n");
    assert_serving(&ours);
}

#[test]
fn thousands_of_half_open_connections() {
    let ours = Server::start(&[]);
    let before = ours.rss();
    let partials: &[&[u8]] = &[
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\nabc",
        b"*1000000\r\n",
        b"*2\r\n$4\r\nECHO\r\n$5\r\nhel",
        b"PING",
        b"*1\r\n$4\r\nPING",
        b"",
    ];
    let conns: Vec<TcpStream> = (0..3000)
        .map(|i| {
            let mut s = TcpStream::connect(("127.0.0.1", ours.port)).unwrap();
            s.write_all(partials[i % partials.len()]).unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    assert_serving(&ours);
    let grown = ours.rss().saturating_sub(before);
    assert!(
        grown < 200 * 1024 * 1024,
        "RSS grew {grown} bytes for 3000 half-open clients"
    );
    drop(conns);
    std::thread::sleep(Duration::from_millis(300));
    let mut raw = ours.raw();
    let info = raw.cmd_str(&["INFO", "clients"]);
    assert!(info.contains("connected_clients:1\r\n"), "{info}");
}

#[test]
fn slowloris_clients_do_not_block_others() {
    let ours = Server::start(&[]);
    let mut slow: Vec<TcpStream> = (0..50)
        .map(|_| TcpStream::connect(("127.0.0.1", ours.port)).unwrap())
        .collect();
    let cmd = b"*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$5\r\nvalue\r\n";
    for b in cmd.iter() {
        for s in slow.iter_mut() {
            s.write_all(std::slice::from_ref(b)).unwrap();
        }
        assert_serving(&ours);
    }
    let mut raw = ours.raw();
    assert_eq!(raw.cmd(&[b"GET", b"slow"]), b"$5\r\nvalue\r\n");
}

#[test]
fn huge_random_counts_are_refused_not_built() {
    // Redis 7.0.15 dies on these; redust answers with its range error and keeps serving.
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    raw.cmd_str(&["SADD", "s", "a"]);
    raw.cmd_str(&["HSET", "h", "f", "v"]);
    raw.cmd_str(&["ZADD", "z", "1", "a"]);
    for cmd in [
        vec!["SRANDMEMBER", "s", "-9223372036854775807"],
        vec!["HRANDFIELD", "h", "-9223372036854775807"],
        vec!["ZRANDMEMBER", "z", "-9223372036854775807"],
        vec!["SRANDMEMBER", "s", "-16777217"],
    ] {
        assert_eq!(
            raw.cmd_str(&cmd),
            "-ERR value is out of range\r\n",
            "{cmd:?}"
        );
    }
    // Counts that fit are served in full.
    let reply = raw.cmd_str(&["SRANDMEMBER", "s", "-1000"]);
    assert!(reply.starts_with("*1000\r\n"));
    assert_serving(&ours);
}

#[test]
fn garbage_and_high_bytes_get_protocol_errors_not_crashes() {
    let ours = Server::start(&[]);
    let mut seed = 0x1234_5678_9abc_def0u64;
    for _ in 0..300 {
        let mut raw = Raw::connect(ours.port);
        let len = 1 + (seed % 300) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // Bias toward protocol characters.
                match seed % 6 {
                    0 => b'*',
                    1 => b'$',
                    2 => b'\r',
                    3 => b'\n',
                    4 => b'0' + (seed >> 8) as u8 % 10,
                    _ => (seed >> 16) as u8,
                }
            })
            .collect();
        let _ = raw.stream.write_all(&bytes);
    }
    assert_serving(&ours);
}

/// A transaction that queues more than client-query-buffer-limit of arguments is closed,
/// as an oversized query buffer is, instead of growing the server's memory without bound.
#[test]
fn endless_transaction_is_closed_at_the_query_buffer_limit() {
    let ours = Server::start(&["--client-query-buffer-limit", "1mb"]);
    let mut raw = ours.raw();
    assert_eq!(raw.cmd(&[b"MULTI"]), b"+OK\r\n");
    let value = vec![b'x'; 64 * 1024];
    let mut queued = 0;
    for _ in 0..15 {
        assert_eq!(raw.cmd(&[b"SET", b"k", &value]), b"+QUEUED\r\n");
        queued += 1;
    }
    // The 17th 64 KB argument passes 1 MB.
    raw.send_cmd(&[b"SET", b"k", &value]);
    raw.send_cmd(&[b"SET", b"k", &value]);
    assert!(raw.closed_within(2000), "still open after {queued} queued");
    let mut ctl = ours.raw();
    let stats = ctl.cmd_str(&["INFO", "stats"]);
    assert!(
        stats.contains("client_query_buffer_limit_disconnections:1"),
        "{stats}"
    );
    assert_serving(&ours);
}
