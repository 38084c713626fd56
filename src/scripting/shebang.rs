//! `#!lua flags=...`: the first line of a script or library that declares its engine and
//! flags, parsed as Redis's evalExtractShebangFlags.

use crate::protocol::parse::split_args;

/// A script's or function's flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScriptFlags(pub u8);

impl ScriptFlags {
    pub const NO_WRITES: ScriptFlags = ScriptFlags(1);
    pub const ALLOW_OOM: ScriptFlags = ScriptFlags(2);
    pub const ALLOW_STALE: ScriptFlags = ScriptFlags(4);
    pub const NO_CLUSTER: ScriptFlags = ScriptFlags(8);
    pub const ALLOW_CROSS_SLOT: ScriptFlags = ScriptFlags(16);
    /// An EVAL script without a shebang: Redis 6's rules (the command's own flags).
    pub const EVAL_COMPAT_MODE: ScriptFlags = ScriptFlags(32);

    /// The flags a shebang or `register_function` may name, in Redis's order.
    pub const NAMED: [(ScriptFlags, &'static str); 5] = [
        (ScriptFlags::NO_WRITES, "no-writes"),
        (ScriptFlags::ALLOW_OOM, "allow-oom"),
        (ScriptFlags::ALLOW_STALE, "allow-stale"),
        (ScriptFlags::NO_CLUSTER, "no-cluster"),
        (ScriptFlags::ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
    ];

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: ScriptFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag of `other` is set.
    pub fn intersects(self, other: ScriptFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// The flag called `name`.
    pub fn named(name: &[u8]) -> Option<ScriptFlags> {
        Self::NAMED
            .iter()
            .find(|(_, n)| n.as_bytes() == name)
            .map(|&(f, _)| f)
    }
}

impl std::ops::BitOr for ScriptFlags {
    type Output = ScriptFlags;
    fn bitor(self, o: ScriptFlags) -> ScriptFlags {
        ScriptFlags(self.0 | o.0)
    }
}

impl std::ops::BitOrAssign for ScriptFlags {
    fn bitor_assign(&mut self, o: ScriptFlags) {
        self.0 |= o.0;
    }
}

/// The flags of `body` and the length of its shebang line (without its line feed), or
/// Redis's error for a bad shebang.
pub fn parse(body: &[u8]) -> Result<(ScriptFlags, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((ScriptFlags::EVAL_COMPAT_MODE, 0));
    }
    // The body is a C string to Redis: a NUL ends it.
    let c_str = &body[..body.iter().position(|&b| b == 0).unwrap_or(body.len())];
    let Some(end) = c_str.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid script shebang".into());
    };
    let mut scratch = Vec::new();
    let mut ranges = Vec::new();
    if !split_args(&body[..end], &mut scratch, &mut ranges) || ranges.is_empty() {
        return Err("ERR Invalid engine in script shebang".into());
    }
    let part = |i: usize| {
        let (s, l) = ranges[i];
        &scratch[s..s + l]
    };
    if part(0) != b"#!lua" {
        return Err(format!(
            "ERR Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(part(0))
        ));
    }
    let mut flags = ScriptFlags::default();
    for i in 1..ranges.len() {
        let p = part(i);
        let Some(list) = p.strip_prefix(b"flags=") else {
            return Err(format!(
                "ERR Unknown lua shebang option: {}",
                String::from_utf8_lossy(p)
            ));
        };
        if list.is_empty() {
            continue;
        }
        for name in list.split(|&b| b == b',') {
            match ScriptFlags::named(name) {
                Some(f) => flags |= f,
                None => {
                    return Err(format!(
                        "ERR Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(name)
                    ))
                }
            }
        }
    }
    Ok((flags, end))
}
