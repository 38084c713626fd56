//! Process start-up as redis-server does it: reading the command line, gathering the
//! configuration (a file, stdin, `--name value` options, `include`d files), daemonizing,
//! the pid file and service-manager supervision (systemd's notify socket, upstart's stop).
//!
//! The order follows Redis: the configuration is complete before anything happens; the
//! process forks (daemonize) before it binds, so the parent returns at once; the pid file
//! is written once the listeners are bound and removed when the server exits cleanly.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::config::{repr, Config, IncludeError, Loading, REDIS_VERSION};
use crate::protocol::parse::split_args;

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    /// `-v` / `--version`: print the version line.
    Version,
    /// `-h` / `--help`: print the usage.
    Help,
    /// `--test-memory`: Redis's memory tester, which redust does not have.
    TestMemory,
    /// `--check-system`: Redis's system checks, which redust does not have.
    CheckSystem,
    /// Run a server configured from these sources.
    Run(Sources),
}

/// Where the configuration comes from, applied in this order (later wins): the file,
/// stdin, the options.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sources {
    /// The config file named first on the command line.
    pub file: Option<String>,
    /// `-` first or last on the command line: read more configuration from stdin.
    pub stdin: bool,
    /// The `--name value` options as redis.conf lines.
    pub options: String,
}

/// Reads redis-server's command line (without the program name), by Redis's rules:
///
/// - the first argument is the config file unless it starts with `-`;
/// - `-` as the first or the last argument means "also read stdin";
/// - `--name` starts a line; the arguments after it are its values, and the first value
///   may itself start with `--` (`--requirepass --secret`);
/// - `--name value` in one argument is a whole line;
/// - `--save` followed by another option or nothing means `save ""`.
pub fn parse_args(args: &[String]) -> Invocation {
    match args.first().map(String::as_str) {
        Some("-v" | "--version") => return Invocation::Version,
        Some("-h" | "--help") => return Invocation::Help,
        Some("--test-memory") => return Invocation::TestMemory,
        Some("--check-system") => return Invocation::CheckSystem,
        _ => {}
    }
    let mut sources = Sources::default();
    let mut rest = args;
    if let Some(first) = args.first().filter(|a| !a.starts_with('-')) {
        sources.file = Some(first.clone());
        rest = &args[1..];
    }
    let first_index = args.len() - rest.len();
    let mut lines: Vec<String> = Vec::new();
    // After an option name given alone, the next argument is its value whatever it
    // looks like.
    let mut wants_value = false;
    for (j, arg) in rest.iter().enumerate() {
        let at = first_index + j;
        if arg == "-" && (at == 0 || at == args.len() - 1) {
            sources.stdin = true;
            continue;
        }
        match arg.strip_prefix("--").filter(|_| !wants_value) {
            Some(name) => {
                let mut line = name.to_string();
                wants_value = word_count(arg) == 1;
                if wants_value && arg.eq_ignore_ascii_case("--save") {
                    let next_is_option = rest.get(j + 1).is_some_and(|n| n.starts_with("--"));
                    if next_is_option || j + 1 == rest.len() {
                        line.push_str(" \"\"");
                        wants_value = false;
                    }
                }
                lines.push(line);
            }
            None => {
                // A value before any option name becomes a line of its own, which the
                // config reader then refuses as a bad directive, as Redis does.
                if lines.is_empty() {
                    lines.push(String::new());
                }
                let line = lines.last_mut().expect("a line to add to");
                if !line.is_empty() {
                    line.push(' ');
                }
                // Quoted as Redis's sdscatrepr quotes it, so the line reads back the same.
                line.push_str(&repr(arg));
                wants_value = false;
            }
        }
    }
    sources.options = lines.join("\n");
    Invocation::Run(sources)
}

fn word_count(arg: &str) -> usize {
    let mut scratch = Vec::new();
    let mut ranges = Vec::new();
    if split_args(arg.as_bytes(), &mut scratch, &mut ranges) {
        ranges.len()
    } else {
        0
    }
}

/// Builds the configuration from its sources. `stdin` is read only if the command line
/// asked for it. Errors are the text to print before exiting.
pub fn load_config(sources: &Sources, stdin: impl Read) -> Result<Config, String> {
    let mut config = Config::default();
    let mut loading = Loading::default();
    if let Some(file) = &sources.file {
        let text = std::fs::read_to_string(file).map_err(|e| {
            format!(
                "Fatal error, can't open config file '{}': {}",
                absolute(Path::new(file)).display(),
                os_error(&e)
            )
        })?;
        config
            .load_text(&text, file, &mut loading)
            .map_err(|e| e.to_string())?;
        // Kept absolute: CONFIG REWRITE and INFO use it after the server changed into `dir`.
        config.file = Some(std::fs::canonicalize(file).unwrap_or_else(|_| absolute(file)));
    }
    if sources.stdin {
        let mut text = String::new();
        let mut stdin = stdin;
        stdin
            .read_to_string(&mut text)
            .map_err(|e| format!("Can't read the configuration from stdin: {}", os_error(&e)))?;
        config
            .load_text(&text, "from stdin", &mut loading)
            .map_err(|e| e.to_string())?;
    }
    config
        .load_text(&sources.options, "from the command line", &mut loading)
        .map_err(|e| e.to_string())?;
    config.finish_load(&loading).map_err(|e| e.to_string())?;
    Ok(config)
}

/// `include` files nest at most this deep: a file that includes itself fails instead of
/// recursing until the stack overflows.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Applies `include <pattern>`, called by the config reader. As in Redis, a relative path
/// is relative to the working directory at that point of the load, which a `dir` line read
/// before has changed (Redis changes directory as it reads `dir`), and a pattern with `*`,
/// `?` or `[` includes every matching file in name order (none is no error).
pub fn include(
    config: &mut Config,
    pattern: &str,
    loading: &mut Loading,
) -> Result<(), IncludeError> {
    if loading.depth >= MAX_INCLUDE_DEPTH {
        return Err(IncludeError::Here(format!(
            "include nested more than {MAX_INCLUDE_DEPTH} files deep (does a file include itself?)"
        )));
    }
    let path = Path::new(pattern);
    let path = if path.is_relative() && config.dir != "." && !config.dir.is_empty() {
        Path::new(&config.dir).join(path)
    } else {
        path.to_path_buf()
    };
    let files = if pattern.contains(['*', '?', '[']) {
        glob_paths(&path)
    } else {
        vec![path]
    };
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| {
            IncludeError::Here(format!(
                "can't open config file '{}': {}",
                file.display(),
                os_error(&e)
            ))
        })?;
        loading.depth += 1;
        let done = config.load_text(&text, &file.display().to_string(), loading);
        loading.depth -= 1;
        done.map_err(IncludeError::Nested)?;
    }
    Ok(())
}

/// The existing files a glob pattern names, sorted: each component with a wildcard is
/// matched against its directory's entries (a leading `.` only by a pattern starting with
/// `.`, as glob(3) does).
fn glob_paths(pattern: &Path) -> Vec<PathBuf> {
    use std::path::Component;
    let mut found = vec![PathBuf::new()];
    for component in pattern.components() {
        let Component::Normal(part) = component else {
            for p in &mut found {
                p.push(component);
            }
            continue;
        };
        let literal = part;
        let part = part.as_encoded_bytes();
        if !part.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            for p in &mut found {
                p.push(literal);
            }
            continue;
        }
        let mut next = Vec::new();
        for dir in &found {
            let listing = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir.as_path()
            };
            let Ok(entries) = std::fs::read_dir(listing) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let bytes = name.as_encoded_bytes();
                if bytes.starts_with(b".") && !part.starts_with(b".") {
                    continue;
                }
                if crate::util::glob::matches(part, bytes) {
                    next.push(dir.join(&name));
                }
            }
        }
        found = next;
    }
    let mut files: Vec<PathBuf> = found.into_iter().filter(|p| p.is_file()).collect();
    files.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    files
}

/// `path` made absolute against the working directory.
fn absolute(path: impl AsRef<Path>) -> PathBuf {
    std::path::absolute(path.as_ref()).unwrap_or_else(|_| path.as_ref().to_path_buf())
}

/// An I/O error as C's strerror words it (Rust appends " (os error N)").
pub fn os_error(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

/// The `--version` line, in redis-server's shape (`Redis server v=... sha=... malloc=...
/// bits=... build=...`) because scripts parse it: `v=` is the Redis version redust answers
/// as (INFO's redis_version), `build=` names redust's own version.
pub fn version_line() -> String {
    format!(
        "redust server v={} sha=00000000:0 malloc=libc bits={} build=redust-{}",
        REDIS_VERSION,
        usize::BITS,
        env!("CARGO_PKG_VERSION")
    )
}

/// The `--help` text.
pub fn usage() -> String {
    "Usage: ./redust [/path/to/redis.conf] [options] [-]\n       \
     ./redust - (read config from stdin)\n       \
     ./redust -v or --version\n       \
     ./redust -h or --help\n\n\
     Examples:\n       \
     ./redust (run the server with default conf)\n       \
     echo 'maxmemory 128mb' | ./redust -\n       \
     ./redust /etc/redis/6379.conf\n       \
     ./redust --port 7777\n       \
     ./redust /etc/myredis.conf --loglevel verbose -\n       \
     ./redust /etc/myredis.conf --loglevel verbose\n"
        .to_string()
}

/// Why `--test-memory` is refused.
pub const NO_MEMORY_TEST: &str = "redust has no memory tester: --test-memory is a feature of \
     redis-server. Use memtester or memtest86+ to test this machine's memory.";

/// Why `--check-system` is refused.
pub const NO_SYSTEM_CHECK: &str = "redust does not run redis-server's system checks \
     (--check-system): they test kernel settings Redis's allocator and fork-based \
     persistence depend on.";

/// Who supervises the process, as detected from `supervised` and the environment.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum Supervisor {
    /// Not supervised (or the requested manager is not there).
    #[default]
    None,
    /// systemd with `Type=notify`: readiness and stopping are sent to this socket
    /// (`@name` is in the abstract namespace).
    Systemd(String),
    /// upstart with `expect stop`: the process stops itself (SIGSTOP) once ready.
    Upstart,
}

impl Supervisor {
    /// Reads `supervised` (`no`, `upstart`, `systemd`, `auto`) against the environment,
    /// logging what Redis logs when the requested manager is not there.
    pub fn detect(mode: &str) -> Supervisor {
        let upstart = std::env::var_os("UPSTART_JOB").is_some();
        let socket = std::env::var("NOTIFY_SOCKET")
            .ok()
            .filter(|s| !s.is_empty());
        let systemd = |socket: Option<String>| match socket {
            Some(path) => {
                log::info!(
                    "Supervised by systemd. Please make sure you set appropriate values for \
                     TimeoutStartSec and TimeoutStopSec in your service unit."
                );
                Supervisor::Systemd(path)
            }
            None => {
                log::warn!("systemd supervision error: NOTIFY_SOCKET not found!");
                Supervisor::None
            }
        };
        match mode {
            "upstart" if upstart => Supervisor::Upstart,
            "upstart" => {
                log::warn!("upstart supervision requested, but UPSTART_JOB not found!");
                Supervisor::None
            }
            "systemd" => systemd(socket),
            "auto" if upstart => Supervisor::Upstart,
            "auto" if socket.is_some() => systemd(socket),
            _ => Supervisor::None,
        }
    }

    /// INFO's process_supervised.
    pub fn name(&self) -> &'static str {
        match self {
            Supervisor::None => "no",
            Supervisor::Systemd(_) => "systemd",
            Supervisor::Upstart => "upstart",
        }
    }

    /// Tells the manager the server accepts connections.
    pub fn ready(&self) {
        match self {
            Supervisor::None => {}
            Supervisor::Systemd(socket) => {
                sd_notify(socket, "STATUS=Ready to accept connections\n");
                sd_notify(socket, "READY=1\n");
            }
            Supervisor::Upstart => {
                log::info!("supervised by upstart, will stop to signal readiness.");
                // Upstart's `expect stop` waits for the stop, then continues the process;
                // its job variable must not leak into children.
                std::env::remove_var("UPSTART_JOB");
                // SAFETY: raise has no memory effects; SIGSTOP cannot be caught.
                unsafe {
                    libc::raise(libc::SIGSTOP);
                }
            }
        }
    }

    /// Tells the manager the server is going down on purpose.
    pub fn stopping(&self) {
        if let Supervisor::Systemd(socket) = self {
            sd_notify(socket, "STOPPING=1\n");
        }
    }
}

/// Sends one sd_notify(3) datagram.
fn sd_notify(socket: &str, message: &str) {
    use std::os::unix::net::UnixDatagram;
    let sent = UnixDatagram::unbound().and_then(|s| match socket.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            s.send_to_addr(message.as_bytes(), &addr)
        }
        None => s.send_to(message.as_bytes(), socket),
    });
    if let Err(e) = sent {
        log::warn!("systemd supervision error: sd_notify: {}", os_error(&e));
    }
}

/// Detaches from the terminal as redis-server's `daemonize yes` does: forks (the parent
/// exits 0 at once), starts a new session, and points stdin, stdout and stderr at
/// /dev/null (so the log goes nowhere unless `logfile` is set). The working directory is
/// kept. Must run while the process has a single thread.
pub fn daemonize() -> io::Result<()> {
    // Anything buffered would otherwise be written twice, by both processes.
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    // SAFETY: fork in a process that has only this thread (no lock can be held by another
    // thread across it); the parent leaves with _exit, running no destructors or atexit
    // handlers that belong to the child now.
    match unsafe { libc::fork() } {
        -1 => return Err(io::Error::last_os_error()),
        0 => {}
        _ => unsafe { libc::_exit(0) },
    }
    // SAFETY: setsid takes no arguments; in a fresh child it cannot fail (the child is not
    // a process group leader).
    if unsafe { libc::setsid() } == -1 {
        return Err(io::Error::last_os_error());
    }
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    use std::os::fd::AsRawFd;
    for fd in [libc::STDIN_FILENO, libc::STDOUT_FILENO, libc::STDERR_FILENO] {
        // SAFETY: dup2 between two open descriptors; the standard streams are replaced
        // atomically and `null` is closed when dropped.
        if unsafe { libc::dup2(null.as_raw_fd(), fd) } == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Where Redis writes its pid file when daemonized without `pidfile`.
pub const DEFAULT_PIDFILE: &str = "/var/run/redis.pid";

/// What the process did at start that must be undone when it exits: the pid file it wrote
/// and the supervisor to tell.
#[derive(Debug, Default)]
pub struct Process {
    /// The pid file this process wrote (None if it wrote none or could not).
    pub pidfile: Option<PathBuf>,
    /// The service manager to tell about readiness and exit.
    pub supervisor: Supervisor,
}

impl Process {
    /// Writes the pid file, as Redis: when `pidfile` is set, or when daemonized (then at
    /// /var/run/redis.pid by default). A pid file that cannot be written is logged, not
    /// fatal.
    pub fn write_pidfile(&mut self, config: &Config, daemonized: bool) {
        let path = match config.pidfile.as_str() {
            "" if daemonized => DEFAULT_PIDFILE,
            "" => return,
            p => p,
        };
        match std::fs::write(path, format!("{}\n", std::process::id())) {
            Ok(()) => self.pidfile = Some(path.into()),
            Err(e) => log::warn!("Failed to write PID file: {}", os_error(&e)),
        }
    }

    /// The server exits cleanly: tell the supervisor, remove the pid file.
    pub fn exiting(&mut self) {
        self.supervisor.stopping();
        if let Some(path) = self.pidfile.take() {
            log::info!("Removing the pid file.");
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    fn run(a: &[&str]) -> Sources {
        match parse_args(&args(a)) {
            Invocation::Run(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn special_first_arguments() {
        assert_eq!(parse_args(&args(&["-v"])), Invocation::Version);
        assert_eq!(parse_args(&args(&["--version"])), Invocation::Version);
        assert_eq!(parse_args(&args(&["-h"])), Invocation::Help);
        assert_eq!(
            parse_args(&args(&["--test-memory", "10"])),
            Invocation::TestMemory
        );
        // Only first: later, they are option names like any other.
        assert_eq!(
            run(&["--port", "1", "--version"]).options,
            "port \"1\"\nversion"
        );
    }

    #[test]
    fn file_options_and_stdin() {
        let s = run(&["/etc/r.conf", "--port", "7000", "--bind", "a", "b"]);
        assert_eq!(s.file.as_deref(), Some("/etc/r.conf"));
        assert!(!s.stdin);
        assert_eq!(s.options, "port \"7000\"\nbind \"a\" \"b\"");
        let s = run(&["-"]);
        assert!(s.stdin && s.file.is_none() && s.options.is_empty());
        let s = run(&["r.conf", "--loglevel", "verbose", "-"]);
        assert!(s.stdin);
        assert_eq!(s.options, "loglevel \"verbose\"");
        // A `-` in the middle is a value.
        let s = run(&["--port", "1", "-", "--hz", "5"]);
        assert!(!s.stdin);
        assert_eq!(s.options, "port \"1\" \"-\"\nhz \"5\"");
    }

    #[test]
    fn redis_value_rules() {
        // A value may start with `--` right after its name.
        assert_eq!(
            run(&["--requirepass", "--secret", "--port", "1"]).options,
            "requirepass \"--secret\"\nport \"1\""
        );
        // Name and value in one argument; later values still add to its line.
        assert_eq!(
            run(&["--port 7000", "--hz", "5"]).options,
            "port 7000\nhz \"5\""
        );
        assert_eq!(run(&["--port 7000", "x"]).options, "port 7000 \"x\"");
        // `--save` alone means `save ""`.
        assert_eq!(
            run(&["--save", "--port", "1"]).options,
            "save \"\"\nport \"1\""
        );
        assert_eq!(
            run(&["--port", "1", "--save"]).options,
            "port \"1\"\nsave \"\""
        );
        assert_eq!(
            run(&["--save", "", "--port", "1"]).options,
            "save \"\"\nport \"1\""
        );
        // A value with no option before it is a line of its own (refused later).
        assert_eq!(run(&["-x"]).options, "\"-x\"");
    }

    #[test]
    fn options_override_the_file_and_saves_accumulate() {
        let dir = std::env::temp_dir().join(format!("redust-startup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.conf");
        std::fs::write(&file, "port 7000\nsave 900 1\nhz 20\n").unwrap();
        let mut a = args(&[
            file.to_str().unwrap(),
            "--port",
            "7001",
            "--save",
            "60 1",
            "-",
        ]);
        let s = match parse_args(&a) {
            Invocation::Run(s) => s,
            _ => unreachable!(),
        };
        let c = load_config(&s, "hz 30\nsave 10 10\n".as_bytes()).unwrap();
        assert_eq!(c.port, 7001);
        assert_eq!(c.hz, 30);
        // One load, as Redis: the first save line replaces the defaults, the others add.
        assert_eq!(c.save.0, vec![(900, 1), (10, 10), (60, 1)]);
        assert_eq!(c.file, Some(std::fs::canonicalize(&file).unwrap()));
        a[0] = dir.join("missing.conf").display().to_string();
        let Invocation::Run(s) = parse_args(&a) else {
            unreachable!()
        };
        let e = load_config(&s, io::empty()).unwrap_err();
        assert_eq!(
            e,
            format!(
                "Fatal error, can't open config file '{}': No such file or directory",
                a[0]
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn include_files_globs_and_loops() {
        let dir = std::env::temp_dir().join(format!("redust-include-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("conf.d")).unwrap();
        std::fs::write(dir.join("conf.d/b.conf"), "hz 7\nsave 300 3\n").unwrap();
        std::fs::write(dir.join("conf.d/a.conf"), "hz 6\ntimeout 9\n").unwrap();
        std::fs::write(dir.join("conf.d/.hidden.conf"), "hz 99\n").unwrap();
        let d = dir.display();
        let mut c = Config::default();
        c.apply_text(
            &format!("save 900 1\ninclude {d}/conf.d/*.conf\ninclude {d}/none/*.conf\n"),
            "main",
        )
        .unwrap();
        // a then b, in name order; the hidden file is not matched; the include's save
        // adds to the including file's.
        assert_eq!((c.hz, c.timeout), (7, 9));
        assert_eq!(c.save.0, vec![(900, 1), (300, 3)]);
        // Relative to `dir` once a dir line was read.
        let mut c = Config::default();
        c.apply_text(&format!("dir {d}\ninclude conf.d/a.conf\n"), "main")
            .unwrap();
        assert_eq!(c.hz, 6);
        // An error inside an included file names that file and line.
        std::fs::write(dir.join("bad.conf"), "hz 1\nnosuch 1\n").unwrap();
        let e = Config::default()
            .apply_text(&format!("include {d}/bad.conf\n"), "main")
            .unwrap_err();
        assert_eq!((e.source, e.line), (format!("{d}/bad.conf"), 2));
        let e = Config::default()
            .apply_text("port 1\ninclude /nonexistent/x.conf\n", "main")
            .unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(
            e.reason,
            "can't open config file '/nonexistent/x.conf': No such file or directory"
        );
        // A file including itself stops.
        std::fs::write(dir.join("loop.conf"), format!("include {d}/loop.conf\n")).unwrap();
        let e = Config::default()
            .apply_text(&format!("include {d}/loop.conf\n"), "main")
            .unwrap_err();
        assert!(e.reason.contains("nested more than"), "{}", e.reason);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn version_line_shape() {
        let v = version_line();
        let words: Vec<&str> = v.split(' ').collect();
        assert_eq!(words.len(), 7, "{v}");
        assert_eq!(&words[..2], ["redust", "server"]);
        for (w, key) in words[2..]
            .iter()
            .zip(["v=", "sha=", "malloc=", "bits=", "build="])
        {
            assert!(w.starts_with(key), "{v}");
        }
        assert_eq!(words[2], format!("v={REDIS_VERSION}"));
    }
}
