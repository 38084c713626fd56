//! Propagation: the commands a replica or an append-only log would need to make every
//! write again, deterministically.
//!
//! Redis's rules are applied where the write happens ([`crate::commands::Ctx::rewrite_argv`]):
//! relative expiries become absolute (`SET ... PXAT`, `PEXPIREAT`), random choices become
//! what was chosen (SPOP -> SREM), float arithmetic becomes its result (INCRBYFLOAT -> SET
//! ... KEEPTTL), blocking pops become their non-blocking twins, and expired keys become DEL
//! (or UNLINK with lazyfree-lazy-expire... as Redis picks). Commands propagated by one
//! top-level call (EXEC, a write that also expired keys) are wrapped in MULTI / EXEC, so they
//! apply atomically.
//!
//! The stream is recorded only while [`Propagation::start`] has switched it on: while
//! replicas are attached, which receive it ([`crate::server::replicas`]), and in tests,
//! which replay it into an empty server and compare the datasets.

/// One propagated command and the database it applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Propagated {
    pub db: usize,
    pub argv: Vec<Vec<u8>>,
}

/// The propagated stream, and the call in progress.
#[derive(Debug, Default)]
pub struct Propagation {
    /// `Some` while recording: what was propagated, in order.
    log: Option<Vec<Propagated>>,
    /// Commands of the top-level call in progress, flushed to `log` when it ends.
    unit: Vec<Propagated>,
    /// How deep calls are nested (EXEC calls its queued commands).
    depth: usize,
    /// Set while a script's commands must not be propagated (`redis.set_repl(REPL_NONE)`).
    pub muted: bool,
}

impl Propagation {
    /// Starts recording (nothing is recorded otherwise, so the request path pays nothing).
    pub fn start(&mut self) {
        self.log.get_or_insert_with(Vec::new);
    }

    /// Stops recording, forgetting what was not taken.
    pub fn stop(&mut self) {
        self.log = None;
    }

    /// Whether the stream is being recorded.
    pub fn is_on(&self) -> bool {
        self.log.is_some()
    }

    /// What was propagated since the last call; recording continues.
    pub fn take(&mut self) -> Vec<Propagated> {
        self.log.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// A call starts.
    #[inline]
    pub fn enter(&mut self) {
        self.depth += 1;
    }

    /// A call ends: when it was the top-level one, its commands join the stream, wrapped
    /// in MULTI / EXEC when there are several.
    #[inline]
    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 0 && !self.unit.is_empty() {
            self.flush_unit();
        }
    }

    /// Propagates `argv` in database `db` as part of the call in progress (or at once, from
    /// outside any call: the cron's active expiry).
    pub fn push(&mut self, db: usize, argv: Vec<Vec<u8>>) {
        if self.log.is_none() || self.muted {
            return;
        }
        self.unit.push(Propagated { db, argv });
        if self.depth == 0 {
            self.flush_unit();
        }
    }

    fn flush_unit(&mut self) {
        let Some(log) = self.log.as_mut() else {
            self.unit.clear();
            return;
        };
        let wrap = self.unit.len() > 1;
        let first_db = self.unit.first().map_or(0, |p| p.db);
        if wrap {
            log.push(Propagated {
                db: first_db,
                argv: vec![b"MULTI".to_vec()],
            });
        }
        let last_db = self.unit.last().map_or(0, |p| p.db);
        log.append(&mut self.unit);
        if wrap {
            log.push(Propagated {
                db: last_db,
                argv: vec![b"EXEC".to_vec()],
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn nothing_is_recorded_until_started() {
        let mut p = Propagation::default();
        p.enter();
        p.push(0, cmd(&["SET", "k", "v"]));
        p.leave();
        assert!(p.take().is_empty());
    }

    #[test]
    fn several_commands_of_one_call_are_wrapped() {
        let mut p = Propagation::default();
        p.start();
        p.enter();
        p.push(0, cmd(&["SET", "k", "v"]));
        p.leave();
        p.enter();
        p.enter();
        p.push(0, cmd(&["DEL", "a"]));
        p.leave();
        p.push(1, cmd(&["SET", "b", "1"]));
        p.leave();
        let words: Vec<String> = p
            .take()
            .iter()
            .map(|c| String::from_utf8_lossy(&c.argv[0]).into_owned())
            .collect();
        assert_eq!(words, ["SET", "MULTI", "DEL", "SET", "EXEC"]);
    }
}
