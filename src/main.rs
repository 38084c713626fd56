//! `redust [config-file] [--name value ...] [-]`, like redis-server.

use std::io::Write;
use std::process::ExitCode;

use redust::config::{Config, REDIS_VERSION};
use redust::persistence;
use redust::server::startup::{self, Invocation, Supervisor};
use redust::server::{event_loop, signals, Server};
use redust::store::Store;

/// Every allocation is counted: maxmemory and INFO's used_memory read the total.
#[global_allocator]
static ALLOCATOR: redust::server::alloc::Counting = redust::server::alloc::Counting;

/// Logs as Redis does, `pid:role timestamp level message`, to stdout (where Redis's test
/// suite and service managers read it) or, with `logfile`, appended to that file.
fn init_logging(config: &Config) -> Result<(), String> {
    let mut builder = env_logger::Builder::new();
    // The logger itself lets everything through: the global max level (set below, and by
    // CONFIG SET loglevel) is the one filter, so raising the level at run time works.
    builder.filter_level(log::LevelFilter::Trace);
    builder.parse_default_env();
    builder.format(|buf, record| {
        let now = redust::server::unix_ms();
        let level = match record.level() {
            log::Level::Error | log::Level::Warn => '#',
            log::Level::Info => '*',
            log::Level::Debug => '-',
            log::Level::Trace => '.',
        };
        // The pid is read for every line: a daemonized server logs with the child's.
        writeln!(
            buf,
            "{}:M {}.{:03} {} {}",
            std::process::id(),
            now / 1000,
            now % 1000,
            level,
            record.args()
        )
    });
    if config.logfile.is_empty() {
        builder.target(env_logger::Target::Stdout);
    } else {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.logfile)
            .map_err(|e| {
                format!(
                    "Can't open the log file {}: {}",
                    config.logfile,
                    startup::os_error(&e)
                )
            })?;
        builder.target(env_logger::Target::Pipe(Box::new(file)));
    }
    builder.init();
    // Redis lets CONFIG SET loglevel change the level later; the builder's filter would
    // stay fixed, so the global max level is what is adjusted.
    log::set_max_level(redust::level_filter(&config.loglevel));
    Ok(())
}

fn main() -> ExitCode {
    // Lossy: a non-UTF-8 argument must not abort the start with a panic.
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let sources = match startup::parse_args(&args) {
        Invocation::Version => {
            println!("{}", startup::version_line());
            return ExitCode::SUCCESS;
        }
        Invocation::Help => {
            // To stderr and exit status 1, as redis-server.
            eprint!("{}", startup::usage());
            return ExitCode::FAILURE;
        }
        Invocation::TestMemory => {
            eprintln!("{}", startup::NO_MEMORY_TEST);
            return ExitCode::FAILURE;
        }
        Invocation::CheckSystem => {
            eprintln!("{}", startup::NO_SYSTEM_CHECK);
            return ExitCode::FAILURE;
        }
        Invocation::Run(sources) => sources,
    };
    let mut config = match startup::load_config(&sources, std::io::stdin().lock()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    // Before anything is opened: relative logfile, pidfile and snapshot paths are relative
    // to `dir`, as in Redis (which changes directory as it reads `dir`).
    if let Err(e) = std::env::set_current_dir(&config.dir) {
        eprintln!("Can't chdir to '{}': {}", config.dir, startup::os_error(&e));
        return ExitCode::FAILURE;
    }
    if let Err(e) = init_logging(&config) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let supervisor = Supervisor::detect(&config.supervised);
    // Under a supervisor the process stays in the foreground whatever `daemonize` says.
    let daemonized = config.daemonize && supervisor == Supervisor::None;
    if daemonized {
        if let Err(e) = startup::daemonize() {
            log::warn!("Can't daemonize: {}", startup::os_error(&e));
            return ExitCode::FAILURE;
        }
    }
    log::warn!("oO0OoO0OoO0Oo redust is starting oO0OoO0OoO0Oo");
    log::warn!(
        "redust version={}, Redis {} compatible, bits={}, pid={}, just started",
        env!("CARGO_PKG_VERSION"),
        REDIS_VERSION,
        usize::BITS,
        std::process::id()
    );
    log::warn!("Configuration loaded");
    event_loop::adjust_open_files_limit(&mut config);
    let mut store = Store::new(config.databases as usize);
    store.limits = config.encoding_limits();
    store.now_ms = redust::server::unix_ms();
    let started = std::time::Instant::now();
    let snapshot = std::path::Path::new(&config.dbfilename);
    match persistence::load_at_start(&mut store, snapshot) {
        Ok(Some(loaded)) => log::info!(
            "DB loaded from disk: {:.3} seconds, {} keys loaded, {} expired keys dropped",
            started.elapsed().as_secs_f64(),
            loaded.keys,
            loaded.expired
        ),
        Ok(None) => {}
        Err(e) => {
            log::warn!(
                "Fatal error loading the DB in {}: {e}. Exiting.",
                std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default()
            );
            return ExitCode::FAILURE;
        }
    }
    signals::install();
    let port = config.port;
    let mut server = match Server::new(config, store) {
        Ok(s) => s,
        Err(e) => {
            // Redis's words: its test suite looks for "Failed listening on port" to retry
            // on another port.
            log::warn!("Warning: {e}");
            log::warn!("Failed listening on port {port} (TCP), aborting.");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = server.state.acl.load_at_startup(&server.state.config) {
        log::warn!("{e}");
        return ExitCode::FAILURE;
    }
    // Functions saved in the snapshot are compiled now that the server exists.
    if !server.store.libraries.is_empty() {
        let codes = server.store.libraries.clone();
        if let Err(e) = server.state.scripting.functions().load_all(&codes) {
            log::warn!(
                "Fatal error loading the DB: failed loading a function library: {e}. Exiting."
            );
            return ExitCode::FAILURE;
        }
    }
    server
        .state
        .process
        .write_pidfile(&server.state.config, daemonized);
    server.state.process.supervisor = supervisor;
    let addrs: Vec<String> = server.local_addrs().iter().map(|a| a.to_string()).collect();
    // Redis's test suite waits for " PID: <pid>" (in Redis's start-up banner); redust's
    // own test harness reads the port from "port=<n>,".
    log::info!(
        "Running mode=standalone, port={}, PID: {}, redust {} listening on {}",
        server.state.tcp_port(),
        std::process::id(),
        env!("CARGO_PKG_VERSION"),
        addrs.join(" ")
    );
    log::info!("Server initialized");
    log::info!("Ready to accept connections");
    server.state.process.supervisor.ready();
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::warn!("Event loop failed: {e}");
            ExitCode::FAILURE
        }
    }
}
