//! The ACL log: recent denials (commands, keys, channels, failed AUTH), similar ones
//! grouped, newest first, at most acllog-max-len entries (Redis's ACLLog).

use std::collections::VecDeque;

/// Why a command was refused (Redis's ACL_DENIED_* values, whose order picks which
/// denial of several selectors is reported: the greatest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Command = 1,
    Key = 2,
    Auth = 3,
    Channel = 4,
}

impl Reason {
    fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Auth => "auth",
            Reason::Channel => "channel",
        }
    }
}

/// Where the denied command ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Toplevel,
    Multi,
    Lua,
}

impl Context {
    fn name(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

/// One entry.
#[derive(Clone, Debug)]
pub struct Entry {
    pub count: u64,
    pub reason: Reason,
    pub context: Context,
    /// The command, key, channel, or AUTH / HELLO.
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    /// Unix ms of the last occurrence.
    pub ctime_ms: u64,
    /// CLIENT INFO of the last client.
    pub client_info: String,
}

/// Entries within this many ms of each other, otherwise equal, are one entry.
const GROUPING_MS: u64 = 60_000;

/// The log.
#[derive(Debug, Default)]
pub struct AclLog {
    entries: VecDeque<Entry>,
}

impl AclLog {
    /// Adds `e`, or counts it in a similar recent entry (among the ten newest), which then
    /// moves to the front; the oldest entries beyond `max_len` are dropped.
    pub fn add(&mut self, e: Entry, max_len: usize) {
        let similar = self.entries.iter().take(10).position(|c| {
            c.reason == e.reason
                && c.context == e.context
                && c.ctime_ms.abs_diff(e.ctime_ms) <= GROUPING_MS
                && c.object == e.object
                && c.username == e.username
        });
        match similar {
            Some(i) => {
                let mut c = self.entries.remove(i).expect("found");
                c.count += 1;
                c.ctime_ms = e.ctime_ms;
                c.client_info = e.client_info;
                self.entries.push_front(c);
            }
            None => {
                self.entries.push_front(e);
                self.entries.truncate(max_len);
            }
        }
    }

    /// ACL LOG RESET.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Drops entries beyond a lowered acllog-max-len... as Redis does, only on the next add.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// ACL LOG [count]: the newest `count` entries.
    pub fn reply(&self, out: &mut crate::protocol::reply::Reply, count: usize, now_ms: u64) {
        let n = count.min(self.entries.len());
        out.array(n);
        for e in self.entries.iter().take(n) {
            out.map(7);
            out.bulk_str("count");
            out.int(e.count as i64);
            out.bulk_str("reason");
            out.bulk_str(e.reason.name());
            out.bulk_str("context");
            out.bulk_str(e.context.name());
            out.bulk_str("object");
            out.bulk(&e.object);
            out.bulk_str("username");
            out.bulk(&e.username);
            out.bulk_str("age-seconds");
            out.double(now_ms.saturating_sub(e.ctime_ms) as f64 / 1000.0);
            out.bulk_str("client-info");
            out.bulk(e.client_info.as_bytes());
        }
    }
}
