//! `redust [config-file] [--name value ...]`, like redis-server.

use std::io::Write;
use std::process::ExitCode;

use redust::config::{Config, REDIS_VERSION};
use redust::persistence;
use redust::server::{event_loop, signals, Server};
use redust::store::Store;

fn usage() {
    eprintln!(
        "Usage: redust [/path/to/redis.conf] [options] [-]\n       \
         redust - (read config from stdin)\n       \
         redust -v or --version\n       \
         redust -h or --help\n\n\
         Examples:\n       \
         redust (run the server with default conf)\n       \
         redust /etc/redis/6379.conf\n       \
         redust --port 7777\n       \
         redust /etc/myredis.conf --loglevel verbose -\n       \
         redust --save \"60 1\" --dir /tmp"
    );
}

fn init_logging(config: &Config) {
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
    if !config.logfile.is_empty() {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.logfile)
        {
            Ok(f) => {
                builder.target(env_logger::Target::Pipe(Box::new(f)));
            }
            Err(e) => {
                eprintln!("Can't open the log file {}: {e}", config.logfile);
                std::process::exit(1);
            }
        }
    }
    builder.init();
    // Redis lets CONFIG SET loglevel change the level later; the builder's filter would
    // stay fixed, so the global max level is what is adjusted.
    log::set_max_level(redust::level_filter(&config.loglevel));
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(first) = args.first() {
        match first.as_str() {
            "-v" | "--version" => {
                println!(
                    "redust v={} (Redis {} compatible)",
                    env!("CARGO_PKG_VERSION"),
                    REDIS_VERSION
                );
                return ExitCode::SUCCESS;
            }
            "-h" | "--help" => {
                usage();
                return ExitCode::SUCCESS;
            }
            _ => {}
        }
    }
    let mut config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(&config);
    if let Err(e) = std::env::set_current_dir(&config.dir) {
        log::warn!("Can't chdir to '{}': {e}", config.dir);
        return ExitCode::FAILURE;
    }
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
    let mut server = match Server::new(config, store) {
        Ok(s) => s,
        Err(e) => {
            log::warn!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let addrs: Vec<String> = server.local_addrs().iter().map(|a| a.to_string()).collect();
    log::info!(
        "redust {} (Redis {} compatible) started, pid={}, port={}, listening on {}",
        env!("CARGO_PKG_VERSION"),
        REDIS_VERSION,
        std::process::id(),
        server.state.tcp_port(),
        addrs.join(" ")
    );
    log::info!("Ready to accept connections tcp");
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::warn!("Event loop failed: {e}");
            ExitCode::FAILURE
        }
    }
}
