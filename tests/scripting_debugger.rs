//! The Lua debugger (SCRIPT DEBUG YES / SYNC, `redis-cli --ldb`): whole sessions driven
//! through redis-cli and raw sockets against redis-server and redust, output compared
//! byte for byte; SYNC keeps the script's writes, YES (forked) discards them.

mod common;

use common::{redis_cli, Raw, Server};

const SCRIPT: &str = "\
local t = {a=1, b={c='x\\n'}}
local s = string.rep('x', 300)
redis.debug(t, 'note', 3.5)
redis.breakpoint()
local x = redis.pcall('incr', KEYS[1])
local n = 0
for i = 1, 3 do
  n = n + i
end
redis.call('set', 'written', ARGV[1])
local y = redis.call('nosuch')
return n
";

/// Debugger commands covering each command and its errors.
const COMMANDS: &str = "\
s
p
p t
p nosuchvar
p KEYS
p ARGV
c
r set
r get k
m 10
r get k
m 0
e error('x')
e local z =
e 1+
e t.b
b 100
b -3
b x
b 8 9
b
b -8
l 0
l 3 1
w
t
h
foo
b 0
c
";

fn session(port: u16, mode: &str, input: &str) -> String {
    let script = common::scratch_dir("ldb").join("script.lua");
    std::fs::write(&script, SCRIPT).unwrap();
    let (_, out) = redis_cli(
        port,
        &[
            mode,
            "--no-raw",
            "--eval",
            script.to_str().unwrap(),
            "k",
            ",",
            "v",
        ],
        input.as_bytes(),
    );
    out
}

fn prepare(port: u16) {
    let mut c = Raw::connect(port);
    c.cmd_str(&["FLUSHALL"]);
    c.cmd_str(&["SET", "k", "abc"]);
}

fn written(port: u16) -> String {
    Raw::connect(port).cmd_str(&["GET", "written"])
}

#[test]
fn sessions_match_redis() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    for mode in ["--ldb-sync-mode", "--ldb"] {
        prepare(redis.port);
        prepare(ours.port);
        let theirs = session(redis.port, mode, COMMANDS);
        let mine = session(ours.port, mode, COMMANDS);
        assert!(theirs.contains("<debug> line 3"), "{theirs}");
        assert_eq!(mine, theirs, "{mode}");
        // SYNC keeps the script's writes; a forked session changes nothing.
        let expected = if mode == "--ldb" {
            "$-1\r\n"
        } else {
            "$1\r\nv\r\n"
        };
        assert_eq!(written(redis.port), expected);
        assert_eq!(written(ours.port), expected);
    }
    // Aborting.
    for server in [&redis, &ours] {
        prepare(server.port);
    }
    assert_eq!(
        session(ours.port, "--ldb-sync-mode", "a\n"),
        session(redis.port, "--ldb-sync-mode", "a\n")
    );
}

/// The suite's protocol checks: names with NUL bytes are unknown debugger commands, a
/// `redis` command with 100 arguments fails as a script call, and the session ends with
/// `<endsession>` and the script's reply, then the connection closes.
#[test]
fn protocol_matches_redis() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    let transcript = |port: u16| {
        let mut c = Raw::connect(port);
        let mut out = vec![
            c.cmd(&[
                b"EVALSHA",
                b"0000000000000000000000000000000000000000",
                b"0",
            ]),
            c.cmd(&[b"SCRIPT", b"DEBUG", b"SYNC"]),
            c.cmd(&[
                b"EVALSHA",
                b"0000000000000000000000000000000000000000",
                b"0",
            ]),
            c.cmd(&[b"EVAL", b"return 'hello'", b"0"]),
        ];
        for name in [&b"hello\0world"[..], b"hello\0", b"\0hello", b"\0hello\0"] {
            out.push(c.cmd(&[name]));
        }
        let mut many = b"*101\r\n$5\r\nredis\r\n".to_vec();
        for _ in 0..100 {
            many.extend_from_slice(b"$4\r\ntest\r\n");
        }
        c.send(&many);
        out.push(c.reply());
        c.send_cmd(&[b"c"]);
        out.push(c.read_to_close());
        out
    };
    let theirs = transcript(redis.port);
    assert!(String::from_utf8_lossy(&theirs[9]).contains("<endsession>"));
    assert_eq!(transcript(ours.port), theirs);
    // Both still serve.
    assert_eq!(Raw::connect(ours.port).cmd_str(&["PING"]), "+PONG\r\n");
    // SCRIPT DEBUG's own errors.
    let errors = |port: u16| {
        let mut c = Raw::connect(port);
        let mut both = common::encode_words(&["PING"]);
        both.extend(common::encode_words(&["SCRIPT", "DEBUG", "YES"]));
        c.send(&both);
        let pipelined = (c.reply(), c.reply());
        (
            pipelined,
            c.cmd_str(&["SCRIPT", "DEBUG", "maybe"]),
            c.cmd_str(&["SCRIPT", "DEBUG", "NO"]),
        )
    };
    assert_eq!(errors(ours.port), errors(redis.port));
}
