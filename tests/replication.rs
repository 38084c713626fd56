//! redust as a replica (REPLICAOF): of a redis-server master and of another redust, a full
//! sync then the stream; READONLY for normal clients' writes; ROLE and INFO replication;
//! REPLICAOF NO ONE; a lost link synced again.

mod common;

use std::time::{Duration, Instant};

use common::{Raw, Server};

/// Polls (no timing assertion: it only waits for the servers to act) until `f` holds.
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn link_up(replica: &mut Raw) -> bool {
    replica.info_field("master_link_status") == "up"
}

fn replicates(master: &Server, replica: &Server) {
    let mut m = master.raw();
    m.cmd_str(&["SET", "before", "1"]);
    m.cmd_str(&["SELECT", "3"]);
    m.cmd_str(&["HSET", "h", "f", "v"]);
    let mut r = replica.raw();
    r.cmd_str(&["SET", "local", "gone after the sync"]);
    let port = master.port.to_string();
    assert_eq!(r.cmd_str(&["REPLICAOF", "127.0.0.1", &port]), "+OK\r\n");
    assert_eq!(
        r.cmd_str(&["REPLICAOF", "127.0.0.1", &port]),
        "+OK Already connected to specified master\r\n"
    );
    assert!(eventually(|| link_up(&mut r)), "the link never came up");
    assert_eq!(r.cmd_str(&["GET", "before"]), "$1\r\n1\r\n");
    assert_eq!(r.cmd_str(&["EXISTS", "local"]), ":0\r\n");

    // The stream follows.
    m.cmd_str(&["RPUSH", "l", "a", "b"]);
    m.cmd_str(&["MULTI"]);
    m.cmd_str(&["INCR", "n"]);
    m.cmd_str(&["INCR", "n"]);
    m.cmd_str(&["EXEC"]);
    r.cmd_str(&["SELECT", "3"]);
    assert!(eventually(|| r.cmd_str(&["GET", "n"]) == "$1\r\n2\r\n"));
    assert_eq!(
        r.cmd_str(&["LRANGE", "l", "0", "-1"]),
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    assert_eq!(r.cmd_str(&["HGET", "h", "f"]), "$1\r\nv\r\n");

    // Normal clients may read, not write.
    assert_eq!(
        r.cmd_str(&["SET", "x", "1"]),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    let role = r.cmd_str(&["ROLE"]);
    assert!(
        role.starts_with(&format!(
            "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{port}\r\n$9\r\nconnected\r\n:"
        )),
        "{role}"
    );
    assert!(eventually(|| m
        .cmd_str(&["INFO", "replication"])
        .contains("connected_slaves:1")));

    assert_eq!(r.cmd_str(&["REPLICAOF", "NO", "ONE"]), "+OK\r\n");
    assert_eq!(r.cmd_str(&["SET", "x", "1"]), "+OK\r\n");
    assert_eq!(r.info_field("role"), "master");
    assert_eq!(r.cmd_str(&["GET", "n"]), "$1\r\n2\r\n", "the data stays");
}

#[test]
fn replica_of_redis_server() {
    let master = Server::start_redis(&[]);
    let replica = Server::start(&[]);
    replicates(&master, &replica);
}

#[test]
fn replica_of_redust() {
    let master = Server::start(&[]);
    let replica = Server::start(&[]);
    replicates(&master, &replica);
}

/// A replica whose master went away syncs again, in full, with the master that comes
/// back (here: with an empty dataset).
#[test]
fn a_lost_link_is_synced_again() {
    let master = Server::start(&[]);
    let port = master.port.to_string();
    let replica = Server::start(&["--replicaof", "127.0.0.1", &port]);
    let mut m = master.raw();
    m.cmd_str(&["SET", "k", "1"]);
    let mut r = replica.raw();
    assert!(eventually(|| r.cmd_str(&["GET", "k"]) == "$1\r\n1\r\n"));
    // The master drops the link; the replica connects again and syncs in full.
    m.cmd_str(&["CLIENT", "KILL", "TYPE", "replica"]);
    m.cmd_str(&["SET", "k", "2"]);
    assert!(eventually(|| r.cmd_str(&["GET", "k"]) == "$1\r\n2\r\n"));
    assert!(link_up(&mut r));
}

/// Attaches to `port` as a replica (SYNC) and returns the socket, past the RDB.
fn attach(port: u16) -> std::net::TcpStream {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"SYNC\r\n").unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let len: usize = loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        if let Some(n) = line.trim_end().strip_prefix('$') {
            break n.parse().unwrap();
        }
    };
    let mut rdb = vec![0; len];
    r.read_exact(&mut rdb).unwrap();
    assert!(r.buffer().is_empty(), "nothing follows the RDB yet");
    s
}

/// What the stream carries until it goes quiet.
fn drain(s: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The stream a replica receives, byte for byte as redis-server sends it: SELECT, the
/// rewrites Redis makes (GETDEL as DEL, relative expiries as absolute ones are checked
/// elsewhere), MULTI/EXEC around a transaction, nothing for reads or failed writes.
#[test]
fn the_stream_is_redis_s() {
    let ours = Server::start(&[]);
    let redis = Server::start_redis(&[]);
    let mut streams = Vec::new();
    for server in [&ours, &redis] {
        let mut c = server.raw();
        c.cmd_str(&["CONFIG", "SET", "repl-ping-replica-period", "3600"]);
        let mut s = attach(server.port);
        for cmd in [
            &["SET", "k", "v"][..],
            &["GET", "k"],
            &["GETDEL", "k"],
            &["GETDEL", "k"],
            &["INCR", "not-a-number-yet"],
            &["SET", "s", "x"],
            &["INCR", "s"],
            &["SELECT", "2"],
            &["MULTI"],
            &["RPUSH", "l", "a"],
            &["LPOP", "l"],
            &["EXEC"],
            &["PUBLISH", "channel", "message"],
            &["FLUSHDB"],
        ] {
            c.cmd_str(cmd);
        }
        streams.push(drain(&mut s));
    }
    assert_eq!(streams[0], streams[1]);
}

/// A replica whose link is down serves only stale-safe commands when
/// replica-serve-stale-data is no, and refuses an EXEC of others.
#[test]
fn a_stale_replica_can_refuse_reads() {
    let replica = Server::start(&["--replica-serve-stale-data", "no"]);
    let mut r = replica.raw();
    let mut admin = replica.raw();
    r.cmd_str(&["MULTI"]);
    r.cmd_str(&["GET", "k"]);
    // Nothing listens on port 1: the link stays down.
    assert_eq!(admin.cmd_str(&["REPLICAOF", "127.0.0.1", "1"]), "+OK\r\n");
    assert_eq!(
        r.cmd_str(&["EXEC"]),
        "-EXECABORT Transaction discarded because of: MASTERDOWN Link with MASTER is down and \
         replica-serve-stale-data is set to 'no'.\r\n"
    );
    assert_eq!(
        r.cmd_str(&["GET", "k"]),
        "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"
    );
    assert_eq!(r.info_field("master_link_status"), "down");
    assert_eq!(admin.cmd_str(&["REPLICAOF", "NO", "ONE"]), "+OK\r\n");
    assert_eq!(r.cmd_str(&["GET", "k"]), "$-1\r\n");
}
