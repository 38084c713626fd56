//! Snapshots on disk: the format ([`snapshot`]), synchronous saves (SAVE, SHUTDOWN,
//! FLUSHALL, DEBUG RELOAD), forked background saves (BGSAVE and the save rules) and loading
//! at start.
//!
//! Every save writes `temp-<pid>.rdb` in the data directory, fsyncs it, renames it over
//! the snapshot and fsyncs the directory, so a crash at any moment leaves either the old
//! snapshot or the new one, never a torn file. A failed save removes its temp file.

pub mod rdb;
pub mod snapshot;
pub mod snapshot_stream;

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::FromRawFd;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::config::Config;
use crate::store::Store;

/// A running background save.
#[derive(Debug)]
pub struct SaveChild {
    pub pid: libc::pid_t,
    pub started_ms: u64,
    /// The dirty counter when the child forked: what a successful save accounts for.
    pub dirty_at_fork: u64,
    /// The read end of the pipe on which the child reports its copy-on-write size.
    report: Option<File>,
}

/// Persistence state INFO and the save rules read.
#[derive(Debug)]
pub struct Persistence {
    pub child: Option<SaveChild>,
    /// Unix seconds of the last successful save (the start time before any).
    pub last_save_unix: u64,
    pub last_bgsave_ok: bool,
    /// Duration of the last background save, -1 before any.
    pub last_bgsave_secs: i64,
    /// When a save was last attempted (a failed one is retried after a delay).
    pub last_attempt_ms: u64,
    pub saves: u64,
    /// BGSAVE SCHEDULE arrived while a save was running.
    pub scheduled: bool,
    pub latest_fork_usec: u64,
    pub total_forks: u64,
    /// Bytes the last background save's child had to copy (INFO rdb_last_cow_size).
    pub last_cow_size: u64,
}

/// A failed background save is retried by the save rules after this long.
const RETRY_DELAY_MS: u64 = 5000;

impl Persistence {
    /// State for a server started at `now_ms`.
    pub fn new(now_ms: u64) -> Self {
        Persistence {
            child: None,
            last_save_unix: now_ms / 1000,
            last_bgsave_ok: true,
            last_bgsave_secs: -1,
            last_attempt_ms: 0,
            saves: 0,
            scheduled: false,
            latest_fork_usec: 0,
            total_forks: 0,
            last_cow_size: 0,
        }
    }

    /// Records the outcome of a synchronous save (SAVE, FLUSHALL, DEBUG RELOAD). As in
    /// Redis 7.0, only a success is recorded, and it also clears a failed background
    /// save's status; a failure leaves `rdb_last_bgsave_status` as it was, so a failed
    /// SAVE (already answered with an error) does not turn on MISCONF. Only a failed
    /// background save refuses writes, since no client was told about that one.
    pub fn record_save(&mut self, ok: bool, store: &mut Store, dirty_before: u64) {
        if ok {
            self.last_bgsave_ok = true;
            self.saved(store, dirty_before);
        }
    }

    /// Records the outcome of a background save: a failure sets
    /// `rdb_last_bgsave_status:err` (MISCONF with stop-writes-on-bgsave-error).
    pub fn record_background_save(&mut self, ok: bool, store: &mut Store, dirty_at_fork: u64) {
        self.last_attempt_ms = store.now_ms;
        self.last_bgsave_ok = ok;
        if ok {
            self.saved(store, dirty_at_fork);
        }
    }

    /// A save succeeded: the changes it covered are no longer dirty.
    fn saved(&mut self, store: &mut Store, dirty_before: u64) {
        store.dirty = store.dirty.saturating_sub(dirty_before);
        self.last_save_unix = store.now_ms / 1000;
        self.saves += 1;
    }

    /// Whether a save rule (`save <seconds> <changes>`) calls for a background save now.
    pub fn rules_due(&self, rules: &[(u64, u64)], store: &Store) -> bool {
        let now = store.now_ms;
        let retry_ok =
            self.last_bgsave_ok || now.saturating_sub(self.last_attempt_ms) > RETRY_DELAY_MS;
        retry_ok
            && rules.iter().any(|&(secs, changes)| {
                store.dirty >= changes && (now / 1000).saturating_sub(self.last_save_unix) > secs
            })
    }
}

/// The temp file a process with `pid` writes.
pub fn temp_path(dir: &Path, pid: u32) -> PathBuf {
    dir.join(format!("temp-{pid}.rdb"))
}

/// Writes the snapshot to `dir/filename` through a temp file. Returns bytes written.
pub fn save(store: &Store, dir: &Path, config: &Config) -> io::Result<u64> {
    let filename = config.dbfilename.as_str();
    let tmp = temp_path(dir, std::process::id());
    // The errors say which step failed and where, in Redis's words, for the log.
    let root = || {
        std::fs::canonicalize(dir)
            .unwrap_or_else(|_| dir.to_path_buf())
            .display()
            .to_string()
    };
    let tmp_name = tmp.file_name().unwrap_or_default().to_string_lossy();
    let result = (|| {
        let file = File::create(&tmp).map_err(|e| {
            let root = root();
            context(
                e,
                format!("Failed opening the temp RDB file {tmp_name} (in server root dir {root}) for saving"),
            )
        })?;
        let written = if config.snapshot_format == "rdb" {
            rdb::file::write(store, &file, store.now_ms, config.rdbcompression)
        } else {
            snapshot::write(store, &file, store.now_ms, config.rdbcompression)
        };
        let written = written.and_then(|bytes| {
            file.sync_all()?;
            Ok(bytes)
        });
        let bytes = written.map_err(|e| context(e, "Write error saving DB on disk".into()))?;
        std::fs::rename(&tmp, dir.join(filename)).map_err(|e| {
            let root = root();
            context(
                e,
                format!("Error moving temp DB file {tmp_name} on the final destination {filename} (in server root dir {root})"),
            )
        })?;
        File::open(dir)?.sync_all()?;
        Ok(bytes)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Forks a child that saves the store as it is now and exits; the parent returns at once.
pub fn start_background_save(
    p: &mut Persistence,
    store: &Store,
    dir: &Path,
    config: &Config,
) -> io::Result<()> {
    /// The background save's niceness (0 is the server's; 19 the lowest priority).
    const CHILD_NICE: libc::c_int = 10;
    let started = Instant::now();
    let (report_read, report_write) = report_pipe()?;
    // SAFETY: the server is single-threaded, so the child is a consistent copy-on-write
    // image of it. The child only writes the snapshot and leaves with _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // The parent keeps serving clients: when both want the CPU, it should win, so a
        // save costs clients no latency beyond the fork (the save itself just takes longer).
        // SAFETY: setpriority only changes this process's scheduling weight.
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, 0, CHILD_NICE);
        }
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| save(store, dir, config)));
        // Like Redis, report the memory this child had to copy (pages the parent changed
        // after the fork, or that the child wrote).
        let mut w = report_write;
        let _ = w.write_all(&private_dirty_bytes().to_le_bytes());
        let code = match outcome {
            Ok(Ok(_)) => 0,
            Ok(Err(e)) => {
                eprintln!("Background save failed: {e}");
                1
            }
            Err(_) => 2,
        };
        // SAFETY: _exit ends the child without running destructors or atexit handlers,
        // which would flush buffers and close resources it shares with the parent.
        unsafe { libc::_exit(code) }
    }
    p.latest_fork_usec = started.elapsed().as_micros() as u64;
    p.total_forks += 1;
    p.last_attempt_ms = store.now_ms;
    drop(report_write);
    p.child = Some(SaveChild {
        pid,
        started_ms: store.now_ms,
        dirty_at_fork: store.dirty,
        report: Some(report_read),
    });
    log::info!("Background saving started by pid {pid}");
    Ok(())
}

/// Collects a finished background save, if any. Returns its outcome.
pub fn reap(p: &mut Persistence, store: &mut Store, dir: &Path) -> Option<bool> {
    let child = p.child.as_mut()?;
    let mut status: libc::c_int = 0;
    // SAFETY: waitpid on our own child's pid, non-blocking; status is a local.
    let r = unsafe { libc::waitpid(child.pid, &mut status, libc::WNOHANG) };
    if r == 0 {
        return None;
    }
    let exited_ok = r == child.pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    if !exited_ok {
        // A child killed by a signal leaves its temp file behind.
        let _ = std::fs::remove_file(temp_path(dir, child.pid as u32));
        if r == child.pid && libc::WIFSIGNALED(status) {
            log::warn!(
                "Background saving terminated by signal {}",
                libc::WTERMSIG(status)
            );
        } else {
            log::warn!("Background saving error");
        }
    } else {
        log::info!("Background saving terminated with success");
    }
    let mut cow = [0u8; 8];
    if let Some(mut r) = child.report.take() {
        if r.read_exact(&mut cow).is_ok() {
            p.last_cow_size = u64::from_le_bytes(cow);
        }
    }
    let (started_ms, dirty_at_fork) = (child.started_ms, child.dirty_at_fork);
    p.child = None;
    p.last_bgsave_secs = (store.now_ms.saturating_sub(started_ms) / 1000) as i64;
    p.record_background_save(exited_ok, store, dirty_at_fork);
    Some(exited_ok)
}

/// `e` with `what` in front of its message (`what: <os error>`), keeping its kind.
fn context(e: io::Error, what: String) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// A pipe for the child's report: (read end, write end), both close-on-exec.
fn report_pipe() -> io::Result<(File, File)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills the two-element array we pass.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 just returned these two fresh descriptors; each File owns one.
    Ok(unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) })
}

/// This process's private dirty memory, from /proc/self/smaps_rollup (0 if unavailable).
fn private_dirty_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/smaps_rollup")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Private_Dirty:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Stops a running background save (SHUTDOWN, FLUSHALL) and removes its temp file.
pub fn kill_child(p: &mut Persistence, dir: &Path) {
    if let Some(child) = p.child.take() {
        // SAFETY: signalling and reaping our own child.
        unsafe {
            libc::kill(child.pid, libc::SIGUSR1);
            let mut status = 0;
            libc::waitpid(child.pid, &mut status, 0);
        }
        let _ = std::fs::remove_file(temp_path(dir, child.pid as u32));
    }
}

/// Loads `dir/filename` into `store` if it exists. Returns (keys, seconds) for the log.
pub fn load_at_start(store: &mut Store, path: &Path) -> Result<Option<snapshot::Loaded>, String> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("Can't open {}: {e}", path.display())),
    };
    let len = file.metadata().ok().map(|m| m.len());
    snapshot::load(file, len, store, store.now_ms)
        .map(Some)
        .map_err(|e| format!("Bad snapshot {}: {e}", path.display()))
}
