//! LDB, Redis's Lua debugger (SCRIPT DEBUG YES / SYNC, `redis-cli --ldb`), as Redis 7.0's
//! eval.c has it.
//!
//! After SCRIPT DEBUG, the client's next EVAL runs as a debugging session: a line hook
//! stops the script (at its first line, at breakpoints, at `redis.breakpoint()`, after a
//! step), sends the client what happened as a multi-bulk of status lines, and reads the
//! client's debugger commands straight from its socket, blocking, until one resumes the
//! script. SYNC runs the session in the server, which serves nobody else meanwhile, and
//! keeps the script's writes; YES forks, the child runs the session and exits, so the
//! data set is untouched. Either way the connection closes after the script's reply.

use std::os::fd::RawFd;

/// Breakpoints a session may hold (LDB_BREAKPOINTS_MAX).
const MAX_BREAKPOINTS: usize = 64;
mod format;
pub(crate) mod hook;

pub use format::cat_value;
use format::reply_to_human;

/// Default trimming of logged replies and values (LDB_MAX_LEN_DEFAULT).
const DEFAULT_MAXLEN: usize = 256;
/// A command line the debugger reads may not exceed this (then the script stops).
const MAX_COMMAND_BUFFER: usize = 1 << 20;

/// How a client asked to debug (SCRIPT DEBUG YES / SYNC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// YES: in a forked child; changes are discarded.
    Forked,
    /// SYNC: in the server, blocking it; changes are kept.
    Sync,
}

/// The debugger's state: the session's settings (set by SCRIPT DEBUG) and, while a
/// session runs, its source, log and connection.
#[derive(Debug)]
pub struct Ldb {
    /// A session is in progress.
    pub active: bool,
    /// Stop at the next line.
    pub step: bool,
    /// `redis.breakpoint()` asked to stop at the next line.
    pub lua_breakpoint: bool,
    breakpoints: Vec<i32>,
    /// Trim logged replies and values to this many bytes (0: never).
    maxlen: usize,
    maxlen_hint_sent: bool,
    /// Log lines not sent yet.
    logs: Vec<Vec<u8>>,
    /// The script's source, by line.
    src: Vec<Vec<u8>>,
    /// The line the script is at.
    pub current_line: i32,
    /// Bytes read from the client and not parsed yet.
    cbuf: Vec<u8>,
    /// The debugging client's socket.
    fd: RawFd,
    /// Pids of forked sessions not reaped yet.
    pub children: Vec<libc::pid_t>,
}

impl Default for Ldb {
    fn default() -> Self {
        Ldb {
            active: false,
            step: false,
            lua_breakpoint: false,
            breakpoints: Vec::new(),
            maxlen: DEFAULT_MAXLEN,
            maxlen_hint_sent: false,
            logs: Vec::new(),
            src: Vec::new(),
            current_line: 0,
            cbuf: Vec::new(),
            fd: -1,
            children: Vec::new(),
        }
    }
}

/// What the read-eval loop ends with.
pub enum ReplEnd {
    /// Resume the script.
    Resume,
    /// The client left: run on without stopping.
    Disconnected,
    /// Raise this error in the script (abort, a protocol error).
    Raise(&'static str),
}

impl Ldb {
    /// SCRIPT DEBUG YES / SYNC: settings for the next session (ldbEnable).
    pub fn enable(&mut self) {
        self.logs.clear();
        self.step = true;
        self.breakpoints.clear();
        self.lua_breakpoint = false;
        self.cbuf.clear();
        self.maxlen = DEFAULT_MAXLEN;
        self.maxlen_hint_sent = false;
    }

    /// Starts a session on socket `fd` for the script `body` (ldbStartSession).
    pub fn start(&mut self, fd: RawFd, body: &[u8]) {
        self.fd = fd;
        set_blocking(fd, true);
        self.active = true;
        let mut end = body.len();
        while end > 0 && matches!(body[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        self.src = body[..end]
            .split(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        if end == 0 {
            self.src.clear();
        }
    }

    /// Ends the session: the last logs and `<endsession>` (ldbEndSession).
    pub fn end(&mut self) {
        self.log("<endsession>");
        self.send_logs();
        set_blocking(self.fd, false);
        self.src.clear();
        self.active = false;
    }

    /// Reaps the forked sessions that have ended (ldbRemoveChild).
    pub fn reap_children(&mut self) {
        self.children.retain(|&pid| {
            let mut status = 0;
            // SAFETY: waitpid on our own child, non-blocking, into a local.
            unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) == 0 }
        });
    }

    /// Whether commands and errors are logged now (ldbIsEnabled).
    pub fn logging(&self) -> bool {
        self.active && self.step
    }

    /// Appends a log line.
    pub fn log(&mut self, line: impl Into<Vec<u8>>) {
        self.logs.push(line.into());
    }

    /// Appends a log line trimmed to `maxlen` (ldbLogWithMaxLen).
    pub fn log_with_maxlen(&mut self, mut line: Vec<u8>) {
        let trimmed = self.maxlen != 0 && line.len() > self.maxlen;
        if trimmed {
            line.truncate(self.maxlen);
            line.extend_from_slice(b" ...");
        }
        self.log(line);
        if trimmed && !self.maxlen_hint_sent {
            self.maxlen_hint_sent = true;
            self.log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.");
        }
    }

    /// Logs a command's reply in human form (ldbLogRedisReply).
    pub fn log_reply(&mut self, reply: &[u8]) {
        let mut line = b"<reply> ".to_vec();
        let mut pos = 0;
        reply_to_human(&mut line, reply, &mut pos);
        self.log_with_maxlen(line);
    }

    /// Logs a command a script runs (luaRedisGenericCommand's `<redis>` line).
    pub fn log_command(&mut self, argv: &[&[u8]]) {
        let mut line = b"<redis>".to_vec();
        for (j, a) in argv.iter().enumerate() {
            if j == 10 {
                line.extend_from_slice(format!(" ... ({} more)", argv.len() - j - 1).as_bytes());
                break;
            }
            line.push(b' ');
            line.extend_from_slice(a);
        }
        self.log(line);
    }

    /// Sends the pending log lines as one multi-bulk of status replies (ldbSendLogs).
    pub fn send_logs(&mut self) {
        let mut proto = format!("*{}\r\n", self.logs.len()).into_bytes();
        for mut line in self.logs.drain(..) {
            for b in line.iter_mut() {
                if matches!(*b, b'\r' | b'\n') {
                    *b = b' ';
                }
            }
            proto.push(b'+');
            proto.extend_from_slice(&line);
            proto.extend_from_slice(b"\r\n");
        }
        // A failed write shows as a failed read next, which ends the session.
        let _ = write_all(self.fd, &proto);
    }

    fn source_line(&self, line: i32) -> &[u8] {
        usize::try_from(line - 1)
            .ok()
            .and_then(|i| self.src.get(i))
            .map_or(b"<out of range source code line>", |l| l.as_slice())
    }

    /// Whether `line` has a breakpoint.
    pub fn is_breakpoint(&self, line: i32) -> bool {
        self.breakpoints.contains(&line)
    }

    /// Logs source line `n`, marked as current and/or breakpoint (ldbLogSourceLine).
    pub fn log_source_line(&mut self, n: i32) {
        let prefix = match (self.current_line == n, self.is_breakpoint(n)) {
            (true, true) => "->#",
            (true, false) => "-> ",
            (false, true) => "  #",
            (false, false) => "   ",
        };
        let mut line = format!("{prefix}{n:<3} ").into_bytes();
        line.extend_from_slice(self.source_line(n));
        self.log(line);
    }

    /// Lists the source around `around` (every line when 0) with `context` lines.
    fn list(&mut self, around: i32, context: i32) {
        for j in 1..=self.src.len() as i32 {
            if around != 0 && (around - j).abs() > context {
                continue;
            }
            self.log_source_line(j);
        }
    }

    /// The `break` command.
    fn break_command(&mut self, argv: &[Vec<u8>]) {
        if argv.len() == 1 {
            if self.breakpoints.is_empty() {
                self.log("No breakpoints set. Use 'b <line>' to add one.");
            } else {
                self.log(format!("{} breakpoints set:", self.breakpoints.len()));
                for bp in self.breakpoints.clone() {
                    self.log_source_line(bp);
                }
            }
            return;
        }
        for arg in &argv[1..] {
            let Some(line) = std::str::from_utf8(arg)
                .ok()
                .and_then(|s| crate::protocol::parse::parse_i64(s.as_bytes()))
            else {
                let mut m = b"Invalid argument:'".to_vec();
                m.extend_from_slice(arg);
                m.push(b'\'');
                self.log(m);
                continue;
            };
            if line == 0 {
                self.breakpoints.clear();
                self.log("All breakpoints removed.");
            } else if line > 0 {
                let line = line.min(i32::MAX as i64) as i32;
                if self.breakpoints.len() == MAX_BREAKPOINTS {
                    self.log("Too many breakpoints set.");
                } else if line as usize <= self.src.len() {
                    if !self.is_breakpoint(line) {
                        self.breakpoints.push(line);
                    }
                    self.list(line, 1);
                } else {
                    self.log("Wrong line number.");
                }
            } else {
                let line = (-line).min(i32::MAX as i64) as i32;
                if let Some(i) = self.breakpoints.iter().position(|&b| b == line) {
                    self.breakpoints.remove(i);
                    self.log("Breakpoint removed.");
                } else {
                    self.log("No breakpoint in the specified line.");
                }
            }
        }
    }

    /// The `maxlen` command.
    fn maxlen_command(&mut self, argv: &[Vec<u8>]) {
        if argv.len() == 2 {
            let mut n = atoi(&argv[1]);
            self.maxlen_hint_sent = true;
            if n != 0 && n <= 60 {
                n = 60;
            }
            self.maxlen = n.max(0) as usize;
        }
        if self.maxlen != 0 {
            self.log(format!(
                "<value> replies are truncated at {} bytes.",
                self.maxlen
            ));
        } else {
            self.log("<value> replies are unlimited.");
        }
    }

    /// Parses one command from what was read (ldbReplParseCommand): `Ok(None)` to read
    /// more.
    fn parse_command(&mut self) -> Result<Option<Vec<Vec<u8>>>, ()> {
        let buf = &self.cbuf;
        if buf.is_empty() {
            return Ok(None);
        }
        let Some(star) = buf.iter().position(|&b| b == b'*') else {
            return Err(());
        };
        let mut p = star + 1;
        let Some(eol) = find_crlf(buf, p) else {
            return Ok(None);
        };
        let argc = atoi(&buf[p..eol]);
        if argc <= 0 || argc > 1024 {
            return Err(());
        }
        p = eol + 2;
        let mut argv = Vec::with_capacity(argc as usize);
        while argv.len() < argc as usize {
            if p >= buf.len() {
                return Ok(None);
            }
            if buf[p] != b'$' {
                return Err(());
            }
            let Some(eol) = find_crlf(buf, p + 1) else {
                return Ok(None);
            };
            let len = atoi(&buf[p + 1..eol]);
            if len <= 0 || len > 1024 {
                return Err(());
            }
            p = eol + 2;
            let len = len as usize;
            if p + len + 2 > buf.len() {
                return Ok(None);
            }
            argv.push(buf[p..p + len].to_vec());
            p += len;
            if &buf[p..p + 2] != b"\r\n" {
                return Err(());
            }
            p += 2;
        }
        Ok(Some(argv))
    }

    /// Reads one command from the client, blocking; None when the client left.
    fn read_command(&mut self) -> Result<Option<Vec<Vec<u8>>>, &'static str> {
        loop {
            match self.parse_command() {
                Ok(Some(argv)) => {
                    self.cbuf.clear();
                    return Ok(Some(argv));
                }
                Ok(None) => {}
                Err(()) => return Err("protocol error"),
            }
            let mut buf = [0u8; 1024];
            // SAFETY: reading into a local buffer of the stated length.
            let n = unsafe { libc::read(self.fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                // The client is gone: the script runs on without stopping.
                self.step = false;
                self.breakpoints.clear();
                return Ok(None);
            }
            self.cbuf.extend_from_slice(&buf[..n as usize]);
            if self.cbuf.len() > MAX_COMMAND_BUFFER {
                self.cbuf.clear();
                return Err("max client buffer reached");
            }
        }
    }
}

/// What a debugger command asks the line hook to do beyond logging.
pub enum Action {
    /// Logged already; send the logs and read the next command.
    Next,
    /// Resume the script (step / continue).
    Resume,
    /// Raise this error in the script.
    Raise(&'static str),
    /// Print the named variable (or every local with None).
    Print(Option<Vec<u8>>),
    /// Evaluate Lua code.
    Eval(Vec<u8>),
    /// Run a Redis command through redis.call.
    Redis(Vec<Vec<u8>>),
    /// Show a backtrace.
    Trace,
}

/// Reads the client's next command and does what needs no Lua (ldbRepl's dispatch).
pub fn next_action(ldb: &mut Ldb) -> Result<Action, ReplEnd> {
    let argv = match ldb.read_command() {
        Ok(Some(argv)) => argv,
        Ok(None) => return Err(ReplEnd::Disconnected),
        Err(e) => return Err(ReplEnd::Raise(e)),
    };
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    Ok(match name.as_str() {
        "h" | "help" => {
            for line in HELP {
                ldb.log(*line);
            }
            Action::Next
        }
        "s" | "step" | "n" | "next" => {
            ldb.step = true;
            Action::Resume
        }
        "c" | "continue" => Action::Resume,
        "t" | "trace" => Action::Trace,
        "m" | "maxlen" => {
            ldb.maxlen_command(&argv);
            Action::Next
        }
        "b" | "break" => {
            ldb.break_command(&argv);
            Action::Next
        }
        "e" | "eval" => Action::Eval(argv[1..].join(&b' ')),
        "a" | "abort" => Action::Raise("script aborted for user request"),
        "r" | "redis" if argv.len() > 1 => Action::Redis(argv[1..].to_vec()),
        "p" | "print" => Action::Print((argv.len() == 2).then(|| argv[1].clone())),
        "l" | "list" => {
            let mut around = ldb.current_line;
            let mut context = 5;
            if argv.len() > 1 {
                let n = atoi(&argv[1]);
                if n > 0 {
                    around = n as i32;
                }
            }
            if argv.len() > 2 {
                context = atoi(&argv[2]) as i32;
            }
            ldb.list(around, context);
            Action::Next
        }
        "w" | "whole" => {
            ldb.list(1, 1_000_000);
            Action::Next
        }
        _ => {
            ldb.log("<error> Unknown Redis Lua debugger command or wrong number of arguments.");
            Action::Next
        }
    })
}

const HELP: &[&str] = &[
    "Redis Lua debugger help:",
    "[h]elp               Show this help.",
    "[s]tep               Run current line and stop again.",
    "[n]ext               Alias for step.",
    "[c]ontinue           Run till next breakpoint.",
    "[l]ist               List source code around current line.",
    "[l]ist [line]        List source code around [line].",
    "                     line = 0 means: current position.",
    "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
    "                     to show before/after [line].",
    "[w]hole              List all source code. Alias for 'list 1 1000000'.",
    "[p]rint              Show all the local variables.",
    "[p]rint <var>        Show the value of the specified variable.",
    "                     Can also show global vars KEYS and ARGV.",
    "[b]reak              Show all breakpoints.",
    "[b]reak <line>       Add a breakpoint to the specified line.",
    "[b]reak -<line>      Remove breakpoint from the specified line.",
    "[b]reak 0            Remove all breakpoints.",
    "[t]race              Show a backtrace.",
    "[e]val <code>        Execute some Lua code (in a different callframe).",
    "[r]edis <cmd>        Execute a Redis command.",
    "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
    "                     Specifying zero as <len> means unlimited.",
    "[a]bort              Stop the execution of the script. In sync",
    "                     mode dataset changes will be retained.",
    "",
    "Debugger functions you can call from Lua scripts:",
    "redis.debug()        Produce logs in the debugger console.",
    "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
    "                     next line of code.",
];

/// C's atoi: leading whitespace, a sign, digits; 0 when there are none.
pub(super) fn atoi(s: &[u8]) -> i64 {
    let s = std::str::from_utf8(s).unwrap_or("").trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    let n = digits[..end]
        .parse::<i64>()
        .unwrap_or(0)
        .min(i32::MAX as i64);
    if neg {
        -n
    } else {
        n
    }
}

pub(super) fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(buf.get(from..)?, b"\r\n").map(|i| from + i)
}

/// Switches the socket between blocking (with Redis's 5 s send timeout, so a client that
/// stops reading cannot hang the server forever) and non-blocking mode.
fn set_blocking(fd: RawFd, blocking: bool) {
    if fd < 0 {
        return;
    }
    // SAFETY: fcntl and setsockopt on a socket we own, with a local timeval.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            let flags = if blocking {
                flags & !libc::O_NONBLOCK
            } else {
                flags | libc::O_NONBLOCK
            };
            libc::fcntl(fd, libc::F_SETFL, flags);
        }
        let tv = libc::timeval {
            tv_sec: if blocking { 5 } else { 0 },
            tv_usec: 0,
        };
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
    }
}

/// Writes all of `data` to `fd` (blocking socket).
pub fn write_all(fd: RawFd, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        // SAFETY: writing from a live slice of the stated length.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n <= 0 {
            let e = std::io::Error::last_os_error();
            if n < 0 && e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        data = &data[n as usize..];
    }
    Ok(())
}
