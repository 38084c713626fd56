//! Test harness: starts the real `redust` binary (and, for differential tests, a real
//! `redis-server`) on ephemeral ports, and talks to them over raw sockets.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Spawns a server process with its output captured.
fn spawn(cmd: &mut Command, port: u16, dir: &std::path::Path) -> Server {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let log = Arc::new(Mutex::new(String::new()));
    drain(child.stdout.take().unwrap(), log.clone());
    drain(child.stderr.take().unwrap(), log.clone());
    Server {
        child,
        port,
        log,
        dir: dir.to_path_buf(),
    }
}

/// A running server process, killed on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
    /// Everything the process printed so far.
    pub log: Arc<Mutex<String>>,
    pub dir: PathBuf,
}

/// A fresh scratch directory under the target dir.
pub fn scratch_dir(tag: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir =
        std::env::temp_dir().join(format!("redust-test-{}-{}-{}", tag, std::process::id(), n));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn drain(stream: impl Read + Send + 'static, log: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let reader = BufReader::new(stream);
        for line in reader.lines() {
            let Ok(line) = line else { break };
            let mut l = log.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
}

impl Server {
    /// Starts redust with `args` (a port is chosen unless `--port` is given) and waits until
    /// it answers.
    pub fn start(args: &[&str]) -> Server {
        Self::start_in(&scratch_dir("redust"), args)
    }

    /// Starts redust in `dir` (its working directory). Unless `--port` is given it
    /// listens on port 0 and the port the kernel chose is read from its startup line, so
    /// parallel tests never race for a port.
    pub fn start_in(dir: &std::path::Path, args: &[&str]) -> Server {
        let mut all: Vec<String> = Vec::new();
        // A config file must come first, as with redis-server.
        let mut args = args;
        if let Some(first) = args.first().filter(|a| !a.starts_with("--")) {
            all.push(first.to_string());
            args = &args[1..];
        }
        if !args.contains(&"--port") {
            all.extend(["--port".to_string(), "0".to_string()]);
        }
        if !args.contains(&"--save") {
            all.extend(["--save".to_string(), String::new()]);
        }
        all.extend(args.iter().map(|s| s.to_string()));
        let mut server = spawn(
            Command::new(env!("CARGO_BIN_EXE_redust"))
                .args(&all)
                .current_dir(dir),
            0,
            dir,
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while server.port == 0 {
            let log = server.log();
            if let Some(port) = log
                .split("port=")
                .nth(1)
                .and_then(|rest| rest.split(',').next())
                .and_then(|p| p.parse().ok())
            {
                server.port = port;
                break;
            }
            assert!(server.alive(), "redust exited at start:\n{log}");
            assert!(Instant::now() < deadline, "redust did not start:\n{log}");
            std::thread::sleep(Duration::from_millis(10));
        }
        server.wait_ready();
        server
    }

    /// Starts a real redis-server for differential tests. Port 0 would turn its TCP off,
    /// so a free port is picked, and the server that answers is checked to be ours (by
    /// pid) before it is used; a lost race for the port means another try.
    pub fn start_redis(args: &[&str]) -> Server {
        for _ in 0..5 {
            let dir = scratch_dir("redis");
            let port = free_port();
            let mut all: Vec<String> = vec![
                "--port".into(),
                port.to_string(),
                "--save".into(),
                String::new(),
                "--appendonly".into(),
                "no".into(),
                "--dir".into(),
                dir.display().to_string(),
            ];
            // Loopback only, as redust binds by default (Redis's own default is every
            // interface): the differential tests then also agree on `bind`.
            if !args.contains(&"--bind") {
                all.extend(["--bind".into(), "127.0.0.1".into(), "-::1".into()]);
            }
            all.extend(args.iter().map(|s| s.to_string()));
            let mut server = spawn(Command::new("redis-server").args(&all), port, &dir);
            if server.try_ready() && server.alive() {
                let mut raw = server.raw();
                let info = raw.cmd_str(&["INFO", "server"]);
                if info.contains(&format!("process_id:{}\r\n", server.child.id())) {
                    return server;
                }
            }
        }
        panic!("could not start redis-server (apt-get install redis-server)");
    }

    /// Waits until the server answers PING (or NOAUTH); false if it exits or times out.
    fn try_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if !self.alive() {
                return false;
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                if s.write_all(b"PING\r\n").is_ok() {
                    let mut buf = [0u8; 64];
                    if let Ok(n) = s.read(&mut buf) {
                        if buf[..n].starts_with(b"+PONG") || buf[..n].starts_with(b"-NOAUTH") {
                            return true;
                        }
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    fn wait_ready(&mut self) {
        if !self.try_ready() {
            panic!(
                "server on port {} did not start:\n{}",
                self.port,
                self.log()
            );
        }
    }

    /// The process output so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// A raw connection.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// A `redis` crate connection.
    pub fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the process to exit (up to `secs`), returning its status.
    pub fn wait_exit(&mut self, secs: u64) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Sends a signal to the process.
    pub fn signal(&self, sig: &str) {
        Command::new("kill")
            .args([format!("-{sig}"), self.child.id().to_string()])
            .status()
            .unwrap();
    }

    /// The server's resident memory in bytes.
    pub fn rss(&self) -> u64 {
        let statm =
            std::fs::read_to_string(format!("/proc/{}/statm", self.child.id())).unwrap_or_default();
        statm
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            * 4096
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw TCP connection that reads whole RESP replies.
pub struct Raw {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        Raw::connect_to(std::net::Ipv4Addr::LOCALHOST.into(), port)
    }

    /// A connection to `ip` (another address of this machine, for protected mode).
    pub fn connect_to(ip: std::net::IpAddr, port: u16) -> Raw {
        let stream = TcpStream::connect((ip, port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Raw {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends bytes as they are.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Sends a command as a RESP array of bulk strings.
    pub fn send_cmd(&mut self, args: &[&[u8]]) {
        self.send(&encode(args));
    }

    /// Sends a command and returns the raw bytes of its reply.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send_cmd(args);
        self.reply()
    }

    /// Sends a command given as words and returns its reply as text.
    pub fn cmd_str(&mut self, words: &[&str]) -> String {
        let args: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        String::from_utf8_lossy(&self.cmd(&args)).into_owned()
    }

    /// The value of an INFO field (from INFO everything); panics if there is none.
    pub fn info_field(&mut self, field: &str) -> String {
        let info = self.cmd_str(&["INFO", "everything"]);
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .unwrap_or_else(|| panic!("no {field} in INFO"))
            .trim()
            .to_string()
    }

    /// An INFO field as a number.
    pub fn info_u64(&mut self, field: &str) -> u64 {
        let v = self.info_field(field);
        v.parse()
            .unwrap_or_else(|_| panic!("INFO {field} is not a number: {v}"))
    }

    /// Reads one complete RESP reply (raw bytes).
    pub fn reply(&mut self) -> Vec<u8> {
        loop {
            if let Some(n) = reply_len(&self.buf) {
                return self.buf.drain(..n).collect();
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).expect("read reply");
            assert!(
                n > 0,
                "connection closed; partial: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads until the server closes the connection; returns what came before.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        let _ = self.stream.read_to_end(&mut out);
        out
    }

    /// Whether the server closes the connection within `ms` (data before the close is
    /// skipped).
    pub fn closed_within(&mut self, ms: u64) -> bool {
        self.stream
            .set_read_timeout(Some(Duration::from_millis(ms)))
            .unwrap();
        let mut b = [0u8; 4096];
        let closed = loop {
            match self.stream.read(&mut b) {
                Ok(0) => break true,
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    break false
                }
                Err(_) => break true,
            }
        };
        self.stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        closed
    }
}

/// RESP-encodes a command.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Encodes a command given as words.
pub fn encode_words(words: &[&str]) -> Vec<u8> {
    let args: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
    encode(&args)
}

/// The length of the first complete RESP2/RESP3 value in `buf`, if it is all there.
pub fn reply_len(buf: &[u8]) -> Option<usize> {
    fn line_end(buf: &[u8], from: usize) -> Option<usize> {
        buf[from..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|p| from + p)
    }
    fn value(buf: &[u8], at: usize) -> Option<usize> {
        let t = *buf.get(at)?;
        let end = line_end(buf, at)?;
        let head = std::str::from_utf8(&buf[at + 1..end]).ok()?;
        match t {
            b'+' | b'-' | b':' | b',' | b'#' | b'_' | b'(' => Some(end + 2),
            b'$' | b'=' | b'!' => {
                let n: i64 = head.parse().ok()?;
                if n < 0 {
                    return Some(end + 2);
                }
                let stop = end + 2 + n as usize + 2;
                (buf.len() >= stop).then_some(stop)
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let n: i64 = head.parse().ok()?;
                let n = if matches!(t, b'%' | b'|') { n * 2 } else { n };
                let mut pos = end + 2;
                for _ in 0..n.max(0) {
                    pos = value(buf, pos)?;
                }
                Some(pos)
            }
            _ => Some(end + 2),
        }
    }
    value(buf, 0)
}

/// Runs redis-cli with `args` against `port`, feeding `stdin`; returns (status, stdout).
pub fn redis_cli(port: u16, args: &[&str], stdin: &[u8]) -> (bool, String) {
    let mut child = Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("redis-cli must be installed (apt-get install redis-tools)");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Differential testing: the same commands to redis-server and redust, replies compared.
/// The changes a server counts since its last save (INFO persistence).
pub fn dirty(conn: &mut Raw) -> i64 {
    let info = conn.cmd_str(&["INFO", "persistence"]);
    let line = info
        .lines()
        .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
        .expect("rdb_changes_since_last_save");
    line.trim().parse().unwrap()
}

pub mod scenario;

pub mod diff {
    use super::{encode, Raw, Server};

    /// A named sequence of commands.
    pub struct Case {
        pub name: &'static str,
        /// Each command's words, and whether its reply is compared as an unordered
        /// multiset of lines (for replies in hash-table order such as KEYS or SCAN).
        pub commands: Vec<(Vec<Vec<u8>>, bool)>,
    }

    /// Decodes one word: `\e` alone is the empty word; inside a word `\s` is a space,
    /// `\n` a newline and `\xHH` the byte HH.
    pub fn word(w: &str) -> Vec<u8> {
        if w == "\\e" {
            return Vec::new();
        }
        let b = w.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match (b[i], b.get(i + 1)) {
                (b'\\', Some(b's')) => {
                    out.push(b' ');
                    i += 2;
                }
                (b'\\', Some(b'n')) => {
                    out.push(b'\n');
                    i += 2;
                }
                (b'\\', Some(b'x')) if i + 4 <= b.len() => {
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).expect("\\xHH escape"));
                    i += 4;
                }
                _ => {
                    out.push(b[i]);
                    i += 1;
                }
            }
        }
        out
    }

    /// Builds a case from lines split on spaces into [`word`]s; a line starting with `~ `
    /// compares its reply unordered.
    pub fn case(name: &'static str, lines: &[&str]) -> Case {
        let commands = lines
            .iter()
            .map(|l| {
                let (unordered, l) = match l.strip_prefix("~ ") {
                    Some(rest) => (true, rest),
                    None => (false, *l),
                };
                (l.split(' ').map(word).collect(), unordered)
            })
            .collect();
        Case { name, commands }
    }

    fn normalize(reply: &[u8], unordered: bool) -> Vec<u8> {
        if !unordered {
            return reply.to_vec();
        }
        let text = String::from_utf8_lossy(reply);
        let mut lines: Vec<&str> = text.split("\r\n").collect();
        lines.sort();
        lines.join("\r\n").into_bytes()
    }

    /// Runs every case against both servers (fresh connections, after FLUSHALL); returns
    /// the mismatches.
    pub fn run(cases: &[Case], resp3: bool, redust_args: &[&str]) -> Vec<String> {
        let redis = Server::start_redis(&[]);
        let ours = Server::start(redust_args);
        let mut failures = Vec::new();
        for c in cases {
            let mut a = Raw::connect(redis.port);
            let mut b = Raw::connect(ours.port);
            for conn in [&mut a, &mut b] {
                conn.cmd(&[b"FLUSHALL"]);
                if resp3 {
                    conn.cmd(&[b"HELLO", b"3"]);
                }
            }
            for (cmd, unordered) in &c.commands {
                let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
                a.send(&encode(&args));
                b.send(&encode(&args));
                let (ra, rb) = (a.reply(), b.reply());
                if normalize(&ra, *unordered) != normalize(&rb, *unordered) {
                    failures.push(format!(
                        "[{}] {:?}\n  redis:  {:?}\n  redust: {:?}",
                        c.name,
                        args.iter()
                            .map(|a| String::from_utf8_lossy(a))
                            .collect::<Vec<_>>(),
                        String::from_utf8_lossy(&ra),
                        String::from_utf8_lossy(&rb)
                    ));
                }
            }
        }
        failures
    }

    /// Panics with every mismatch.
    pub fn assert_same(cases: &[Case], resp3: bool) {
        let failures = run(cases, resp3, &[]);
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
