//! Snapshots end to end: SAVE / BGSAVE / rules / shutdown, loading at start, refusing bad
//! files without touching them, failures that lose nothing.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{encode_words, scratch_dir, Raw, Server};

fn fill(raw: &mut Raw, n: usize, prefix: &str, value_len: usize) {
    let value = "v".repeat(value_len);
    let mut sent = 0;
    while sent < n {
        let chunk = (n - sent).min(10_000);
        let mut batch = Vec::new();
        for i in sent..sent + chunk {
            batch.extend(encode_words(&["SET", &format!("{prefix}{i}"), &value]));
        }
        raw.send(&batch);
        for _ in 0..chunk {
            assert_eq!(raw.reply(), b"+OK\r\n");
        }
        sent += chunk;
    }
}

fn start_with_snapshot(dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_redust"))
        .args(["--port", "0", "--save", "", "--dir"])
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn save_then_restart_restores_everything() {
    let dir = scratch_dir("persist-roundtrip");
    {
        let ours = Server::start_in(&dir, &[]);
        let mut raw = ours.raw();
        raw.cmd(&[b"SET", b"plain", b"hello"]);
        raw.cmd(&[b"SET", b"number", b"-42"]);
        raw.cmd(&[b"SET", b"\x00bin\xffkey", b"\r\n\x00\xfe"]);
        raw.cmd(&[b"SET", b"ttl", b"x", b"EX", b"1000"]);
        raw.cmd(&[b"SET", b"short", b"x", b"PX", b"300"]);
        raw.cmd(&[b"SELECT", b"5"]);
        raw.cmd(&[b"SET", b"in5", b"y"]);
        assert_eq!(raw.cmd(&[b"SAVE"]), b"+OK\r\n");
        assert_eq!(raw.info_field("rdb_changes_since_last_save"), "0");
    }
    std::thread::sleep(Duration::from_millis(400));
    let ours = Server::start_in(&dir, &[]);
    let mut raw = ours.raw();
    assert_eq!(raw.cmd(&[b"GET", b"plain"]), b"$5\r\nhello\r\n");
    assert_eq!(
        raw.cmd_str(&["OBJECT", "ENCODING", "number"]),
        "$3\r\nint\r\n"
    );
    assert_eq!(
        raw.cmd(&[b"GET", b"\x00bin\xffkey"]),
        b"$4\r\n\r\n\x00\xfe\r\n"
    );
    let ttl = raw.cmd_str(&["TTL", "ttl"]);
    assert!(ttl == ":1000\r\n" || ttl == ":999\r\n", "{ttl}");
    assert_eq!(raw.cmd(&[b"EXISTS", b"short"]), b":0\r\n");
    raw.cmd(&[b"SELECT", b"5"]);
    assert_eq!(raw.cmd(&[b"GET", b"in5"]), b"$1\r\ny\r\n");
    assert!(ours.log().contains("DB loaded from disk"), "{}", ours.log());
}

#[test]
fn debug_reload_round_trips() {
    let ours = Server::start(&["--enable-debug-command", "yes"]);
    let mut raw = ours.raw();
    fill(&mut raw, 1000, "k", 10);
    raw.cmd(&[b"SET", b"t", b"x", b"EX", b"100"]);
    assert_eq!(raw.cmd_str(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(raw.cmd(&[b"DBSIZE"]), b":1001\r\n");
    assert_eq!(raw.cmd_str(&["TTL", "t"]), ":100\r\n");
}

#[test]
fn streams_with_groups_survive_debug_reload() {
    let ours = Server::start(&["--enable-debug-command", "yes"]);
    let mut raw = ours.raw();
    for i in 1..=250 {
        raw.cmd_str(&["XADD", "s", &format!("{i}-1"), "f", &i.to_string()]);
    }
    for line in [
        "XDEL s 5-1 120-1",
        "XTRIM s MAXLEN 240",
        "XGROUP CREATE s g 0",
        "XGROUP CREATE s h $",
        "XREADGROUP GROUP g alice COUNT 3 STREAMS s >",
        "XREADGROUP GROUP g bob COUNT 2 STREAMS s >",
        "XGROUP CREATECONSUMER s h carol",
        "XSETID s 300-0 ENTRIESADDED 400 MAXDELETEDID 200-0",
    ] {
        let reply = raw.cmd_str(&line.split(' ').collect::<Vec<_>>());
        assert!(!reply.starts_with('-'), "{line}: {reply}");
    }
    let full = |raw: &mut Raw| raw.cmd_str(&["XINFO", "STREAM", "s", "FULL", "COUNT", "0"]);
    let before = full(&mut raw);
    assert_eq!(raw.cmd_str(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(full(&mut raw), before);
    // Nodes kept their tombstones: approximate trimming still cuts at the same places.
    assert_eq!(
        raw.cmd_str(&["XTRIM", "s", "MAXLEN", "~", "100"]),
        ":91\r\n"
    );
}

#[test]
fn kill_9_after_save_loses_nothing_acknowledged() {
    let dir = scratch_dir("persist-kill9");
    {
        let ours = Server::start_in(&dir, &[]);
        let mut raw = ours.raw();
        fill(&mut raw, 5000, "acked:", 8);
        assert_eq!(raw.cmd(&[b"SAVE"]), b"+OK\r\n");
        // The Drop of Server is SIGKILL.
    }
    let ours = Server::start_in(&dir, &[]);
    let mut raw = ours.raw();
    assert_eq!(raw.cmd(&[b"DBSIZE"]), b":5000\r\n");
}

#[test]
fn bad_files_are_refused_and_left_untouched() {
    let dir = scratch_dir("persist-bad");
    {
        let ours = Server::start_in(&dir, &[]);
        let mut raw = ours.raw();
        fill(&mut raw, 100, "k", 5);
        assert_eq!(raw.cmd(&[b"SAVE"]), b"+OK\r\n");
    }
    let good = std::fs::read(dir.join("dump.rdb")).unwrap();
    // A flipped bit inside the checksum itself: whatever else the loader checks, only the
    // checksum can catch it. (Flips elsewhere are unit-tested byte by byte.)
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    let truncated = good[..good.len() - 7].to_vec();
    let redis_dir = scratch_dir("persist-redis-rdb");
    {
        let redis = Server::start_redis(&["--dir", redis_dir.to_str().unwrap()]);
        let mut raw = redis.raw();
        raw.cmd(&[b"SET", b"a", b"1"]);
        assert_eq!(raw.cmd(&[b"SAVE"]), b"+OK\r\n");
    }
    // A Redis RDB file loads (tests/differential_dump.rs); a damaged one is refused.
    let mut rdb = std::fs::read(redis_dir.join("dump.rdb")).unwrap();
    let last = rdb.len() - 1;
    rdb[last] ^= 0x01;
    for (name, bytes, expect) in [
        ("flipped", flipped, "checksum mismatch"),
        ("truncated", truncated, "unexpected end of file"),
        ("redis rdb", rdb, "wrong RDB checksum"),
    ] {
        std::fs::write(dir.join("dump.rdb"), &bytes).unwrap();
        let out = start_with_snapshot(&dir);
        assert!(!out.status.success(), "{name}: started anyway");
        let log = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(log.contains(expect), "{name}: {log}");
        assert!(
            log.contains("dump.rdb") && log.contains("offset"),
            "{name}: {log}"
        );
        assert_eq!(
            std::fs::read(dir.join("dump.rdb")).unwrap(),
            bytes,
            "{name}: file changed"
        );
    }
}

#[test]
fn save_rules_fire_by_themselves() {
    let dir = scratch_dir("persist-rules");
    let ours = Server::start_in(&dir, &["--save", "1 1"]);
    let mut raw = ours.raw();
    raw.cmd(&[b"SET", b"a", b"1"]);
    let before = raw.cmd_str(&["LASTSAVE"]);
    let started = Instant::now();
    while raw.info_field("rdb_saves") == "0" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no save happened"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(dir.join("dump.rdb").exists());
    assert_ne!(raw.cmd_str(&["LASTSAVE"]), before);
    assert_eq!(raw.info_field("rdb_last_bgsave_status"), "ok");
    assert_eq!(raw.info_field("rdb_changes_since_last_save"), "0");
}

#[test]
fn sigterm_saves_when_rules_are_set() {
    let dir = scratch_dir("persist-sigterm");
    {
        let mut ours = Server::start_in(&dir, &["--save", "3600 1"]);
        let mut raw = ours.raw();
        fill(&mut raw, 300, "t", 4);
        ours.signal("TERM");
        assert!(ours.wait_exit(10).expect("exits").success());
    }
    let ours = Server::start_in(&dir, &[]);
    let mut raw = ours.raw();
    assert_eq!(raw.cmd(&[b"DBSIZE"]), b":300\r\n");
}

#[test]
fn shutdown_nosave_does_not_save() {
    let dir = scratch_dir("persist-nosave");
    let mut ours = Server::start_in(&dir, &["--save", "3600 1"]);
    let mut raw = ours.raw();
    raw.cmd(&[b"SET", b"a", b"1"]);
    raw.send(&encode_words(&["SHUTDOWN", "NOSAVE"]));
    assert!(ours.wait_exit(10).expect("exits").success());
    assert!(!dir.join("dump.rdb").exists());
}

#[test]
fn bgsave_reports_progress_and_refuses_overlap() {
    let dir = scratch_dir("persist-bgsave");
    let ours = Server::start_in(&dir, &[]);
    let mut raw = ours.raw();
    fill(&mut raw, 200_000, "k", 16);
    assert_eq!(raw.cmd_str(&["BGSAVE"]), "+Background saving started\r\n");
    let second = raw.cmd_str(&["BGSAVE"]);
    let mut expected_saves = 1;
    if raw.info_field("rdb_bgsave_in_progress") == "1" {
        assert_eq!(second, "-ERR Background save already in progress\r\n");
        assert_eq!(
            raw.cmd_str(&["BGSAVE", "SCHEDULE"]),
            "+Background saving scheduled\r\n"
        );
        expected_saves = 2;
    }
    let started = Instant::now();
    while raw.info_field("rdb_saves").parse::<u32>().unwrap() < expected_saves
        || raw.info_field("rdb_bgsave_in_progress") == "1"
    {
        assert!(started.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(raw.info_field("rdb_last_bgsave_status"), "ok");
    assert_ne!(raw.info_field("latest_fork_usec"), "0");
    // The child reports the memory it had to copy, as Redis's does.
    let cow: u64 = raw.info_field("rdb_last_cow_size").parse().unwrap();
    assert!(cow > 0, "rdb_last_cow_size {cow}");
    // No temp files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("temp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The pids of a process's children.
fn children(pid: u32) -> Vec<u32> {
    let out = Command::new("pgrep")
        .args(["-P", &pid.to_string()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

#[test]
fn a_killed_child_leaves_no_temp_file_and_the_old_snapshot_loads() {
    let dir = scratch_dir("persist-killchild");
    {
        let ours = Server::start_in(&dir, &[]);
        let mut raw = ours.raw();
        raw.cmd(&[b"SET", b"old", b"snapshot"]);
        assert_eq!(raw.cmd(&[b"SAVE"]), b"+OK\r\n");
        fill(&mut raw, 300_000, "new", 16);
        assert_eq!(raw.cmd_str(&["BGSAVE"]), "+Background saving started\r\n");
        let child = children(ours.child.id());
        assert_eq!(child.len(), 1, "{child:?}");
        Command::new("kill")
            .args(["-9", &child[0].to_string()])
            .status()
            .unwrap();
        let started = Instant::now();
        while raw.info_field("rdb_bgsave_in_progress") == "1" {
            assert!(started.elapsed() < Duration::from_secs(10));
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(raw.info_field("rdb_last_bgsave_status"), "err");
        assert!(!dir.join(format!("temp-{}.rdb", child[0])).exists());
    }
    let ours = Server::start_in(&dir, &[]);
    let mut raw = ours.raw();
    assert_eq!(raw.cmd(&[b"DBSIZE"]), b":1\r\n");
    assert_eq!(raw.cmd(&[b"GET", b"old"]), b"$8\r\nsnapshot\r\n");
}

#[test]
fn full_disk_keeps_the_old_snapshot_and_a_failed_bgsave_refuses_writes() {
    let dir = scratch_dir("persist-tmpfs");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    assert!(mounted, "mounting a tmpfs needs root (CI runs as root)");
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(self.0).status();
        }
    }
    let _guard = Unmount(&dir);
    // Uncompressed, so that the filled values overflow the 1 MB disk.
    let ours = Server::start_in(&dir, &["--save", "3600 1000000", "--rdbcompression", "no"]);
    let mut raw = ours.raw();
    raw.cmd(&[b"SET", b"small", b"data"]);
    assert_eq!(raw.cmd(&[b"SAVE"]), b"+OK\r\n");
    let snapshot = std::fs::read(dir.join("dump.rdb")).unwrap();
    fill(&mut raw, 20_000, "big", 100);
    assert_eq!(raw.cmd(&[b"SAVE"]), b"-ERR\r\n");
    assert_eq!(std::fs::read(dir.join("dump.rdb")).unwrap(), snapshot);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["dump.rdb"], "temp file left behind");
    // The SAVE's caller got the error: as in Redis, writes go on.
    assert_eq!(raw.info_field("rdb_last_bgsave_status"), "ok");
    assert_eq!(raw.cmd(&[b"SET", b"x", b"0"]), b"+OK\r\n");
    // A background save fails the same way, and nobody was told: writes are refused.
    assert_eq!(raw.cmd_str(&["BGSAVE"]), "+Background saving started\r\n");
    let started = Instant::now();
    while raw.info_field("rdb_bgsave_in_progress") == "1" {
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(raw.info_field("rdb_last_bgsave_status"), "err");
    assert_eq!(std::fs::read(dir.join("dump.rdb")).unwrap(), snapshot);
    let refused = raw.cmd_str(&["SET", "x", "1"]);
    assert!(refused.starts_with("-MISCONF "), "{refused}");
    assert!(raw.cmd_str(&["PING"]).starts_with("-MISCONF "));
    assert_eq!(raw.cmd(&[b"GET", b"small"]), b"$4\r\ndata\r\n");
    // Room again: the next save succeeds and writes are accepted.
    assert!(Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(&dir)
        .status()
        .unwrap()
        .success());
    assert_eq!(raw.cmd(&[b"SAVE"]), b"+OK\r\n");
    assert_eq!(raw.cmd(&[b"SET", b"x", b"1"]), b"+OK\r\n");
}

#[test]
fn parent_keeps_answering_during_a_million_key_bgsave() {
    let dir = scratch_dir("persist-latency");
    let ours = Server::start_in(&dir, &[]);
    let mut raw = ours.raw();
    fill(&mut raw, 1_000_000, "key:", 16);
    let mut idle = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        raw.cmd(&[b"PING"]);
        idle.push(t.elapsed());
    }
    assert_eq!(raw.cmd_str(&["BGSAVE"]), "+Background saving started\r\n");
    let mut during = Vec::new();
    while raw.info_field("rdb_bgsave_in_progress") == "1" {
        for _ in 0..50 {
            let t = Instant::now();
            assert_eq!(raw.cmd(&[b"PING"]), b"+PONG\r\n");
            during.push(t.elapsed());
        }
    }
    assert!(
        during.len() >= 50,
        "save too quick to measure ({})",
        during.len()
    );
    during.sort();
    let p99 = during[during.len() * 99 / 100];
    assert!(
        p99 < Duration::from_millis(50),
        "p99 PING during BGSAVE {p99:?}"
    );
    assert_eq!(raw.info_field("rdb_last_bgsave_status"), "ok");
}

/// Plays the MISCONF story on one server whose snapshot path `dir/isdir` is a directory,
/// so every save fails at the rename: the transcript of replies and INFO fields.
fn failing_saves_transcript(server: &Server) -> Vec<String> {
    let target = server.dir.join("isdir");
    std::fs::create_dir_all(&target).unwrap();
    let mut raw = server.raw();
    let mut out = Vec::new();
    let mut run = |raw: &mut Raw, words: &[&str]| {
        let reply = raw.cmd_str(words);
        out.push(format!("{} -> {reply:?}", words.join(" ")));
    };
    run(&mut raw, &["SET", "a", "1"]);
    // A failed SAVE answers an error, but writes (and PING) are still accepted.
    run(&mut raw, &["SAVE"]);
    let status = raw.info_field("rdb_last_bgsave_status");
    run(&mut raw, &["SET", "b", "2"]);
    run(&mut raw, &["PING"]);
    let dirty = raw.info_field("rdb_changes_since_last_save");
    // A failed background save is what turns MISCONF on.
    run(&mut raw, &["BGSAVE"]);
    let started = Instant::now();
    while raw.info_field("rdb_bgsave_in_progress") == "1" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "BGSAVE never ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let bg_status = raw.info_field("rdb_last_bgsave_status");
    run(&mut raw, &["SET", "c", "3"]);
    run(&mut raw, &["PING"]);
    run(&mut raw, &["GET", "a"]);
    // A failed SAVE leaves the background error in place...
    run(&mut raw, &["SAVE"]);
    run(&mut raw, &["SET", "c", "3"]);
    // ...and a SAVE that works clears it.
    std::fs::remove_dir(&target).unwrap();
    run(&mut raw, &["SAVE"]);
    let after = raw.info_field("rdb_last_bgsave_status");
    run(&mut raw, &["SET", "c", "3"]);
    run(&mut raw, &["PING"]);
    let dirty_after = raw.info_field("rdb_changes_since_last_save");
    out.extend([
        format!("status after SAVE: {status}"),
        format!("dirty after SAVE: {dirty}"),
        format!("status after BGSAVE: {bg_status}"),
        format!("status after a good SAVE: {after}"),
        format!("dirty after a good SAVE: {dirty_after}"),
    ]);
    out
}

#[test]
fn only_a_failed_background_save_refuses_writes_as_redis() {
    let args = ["--save", "3600 1", "--dbfilename", "isdir"];
    let redis = Server::start_redis(&args);
    let ours = Server::start_in(&scratch_dir("persist-misconf"), &args);
    let want = failing_saves_transcript(&redis);
    let got = failing_saves_transcript(&ours);
    assert_eq!(want, got);
    // The log says which step failed, as Redis's does.
    let log = ours.log();
    assert!(
        log.contains("Error moving temp DB file temp-") && log.contains("isdir"),
        "{log}"
    );
}
