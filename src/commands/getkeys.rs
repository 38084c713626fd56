//! Finding a call's keys from the typed metadata, by Redis 7.0's rules: the key specs when
//! they can tell (and their flags are fixed), else the command's getkeys procedure.
//!
//! Redis compares keywords with `strcasecmp` and counts with `atoi` / `string2ll`, on
//! arguments that are C strings for the first two: an argument is cut at its first NUL byte
//! where Redis's would be, so GETKEYS answers exactly as Redis does.

use super::spec::{BeginSearch, CommandMeta, FindKeys, GetKeysProc, KeySpecFlags};
use crate::protocol::parse::parse_i64;

/// One key of a call: its position in argv (0 is the command name) and how it is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRef {
    /// Index in argv.
    pub pos: usize,
    /// The flags of the key spec (or procedure) that found it.
    pub flags: KeySpecFlags,
}

/// How a key-spec search treats specs it cannot follow (Redis's `GET_KEYSPEC_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpecSearch {
    /// Also return `not_key` arguments (channels a cluster routes like keys).
    pub include_not_keys: bool,
    /// Skip specs that are unknown, incomplete or do not fit the arguments, keeping the keys
    /// the others found, instead of failing the whole search.
    pub partial: bool,
}

/// The argument as the C string Redis would see: up to its first NUL byte.
fn c_str(arg: &[u8]) -> &[u8] {
    arg.iter().position(|&b| b == 0).map_or(arg, |n| &arg[..n])
}

/// `strcasecmp(arg, word) == 0`.
fn c_is(arg: &[u8], word: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(word.as_bytes())
}

/// glibc's `atoi`: leading white space, a sign, digits up to the first other byte; the
/// value saturates as `strtol` does and is then truncated to an `int`.
pub(crate) fn atoi(arg: &[u8]) -> i32 {
    let s = c_str(arg);
    let (i, neg) = crate::util::c_number_start(s);
    let mut v: i64 = 0;
    for &c in s[i..].iter().take_while(|c| c.is_ascii_digit()) {
        let d = i64::from(c - b'0');
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
    }
    v as i32
}

impl CommandMeta {
    /// Whether the command can name keys at all (Redis's doesCommandHaveKeys): it has a
    /// getkeys procedure or a key spec that is not `not_key`.
    pub fn has_keys(&self) -> bool {
        self.get_keys_proc.is_some() || self.has_real_key_spec()
    }

    fn has_real_key_spec(&self) -> bool {
        self.key_specs
            .iter()
            .any(|s| !s.flags.contains(KeySpecFlags::NOT_KEY))
    }

    /// The keys of `argv` (name first), as Redis's getKeysFromCommandWithSpecs finds them:
    /// from the key specs if they have fixed flags and can all be followed, else from the
    /// getkeys procedure. Empty when there are none, or the arguments are invalid.
    pub fn get_keys(&self, argv: &[&[u8]]) -> Vec<KeyRef> {
        let varflags = self
            .key_specs
            .iter()
            .any(|s| s.flags.contains(KeySpecFlags::VARIABLE_FLAGS));
        if self.has_real_key_spec() && !varflags {
            if let Some(keys) = self.keys_from_specs(argv, SpecSearch::default()) {
                return keys;
            }
        }
        match self.get_keys_proc {
            Some(proc_) => proc_.keys(argv),
            None => Vec::new(),
        }
    }

    /// The positions of the keys client-side caching remembers for a read-only call: Redis's
    /// getKeysFromCommand, which unlike COMMAND GETKEYS asks the getkeys procedure first and
    /// otherwise follows the legacy first / last / step range, not the key specs.
    pub fn tracked_keys(&self, argv: &[&[u8]]) -> Vec<usize> {
        if let Some(proc_) = self.get_keys_proc {
            return proc_.keys(argv).into_iter().map(|k| k.pos).collect();
        }
        let argc = argv.len() as i32;
        let (first, step) = (self.first_key, self.key_step);
        if first <= 0 || step <= 0 {
            return Vec::new();
        }
        let last = if self.last_key < 0 {
            argc + self.last_key
        } else {
            self.last_key
        };
        let mut out = Vec::new();
        let mut i = first;
        while i <= last {
            // Past the arguments (possible only with a variable arity): no keys, and the
            // command reports its own error.
            if i >= argc {
                return Vec::new();
            }
            out.push(i as usize);
            i += step;
        }
        out
    }

    /// The keys the key specs name (Redis's getKeysUsingKeySpecs). None when a spec is
    /// unknown, incomplete or does not fit the arguments, unless `search.partial`.
    pub fn keys_from_specs(&self, argv: &[&[u8]], search: SpecSearch) -> Option<Vec<KeyRef>> {
        let argc = argv.len() as i32;
        let mut out = Vec::new();
        for spec in self.key_specs {
            if spec.flags.contains(KeySpecFlags::NOT_KEY) && !search.include_not_keys {
                continue;
            }
            let found = spec_range(spec.begin_search, spec.find_keys, argv);
            let (first, last, step) = match found {
                Spec::NoKeyword => continue,
                Spec::Invalid => {
                    if search.partial {
                        continue;
                    }
                    return None;
                }
                Spec::Range { first, last, step } => (first, last, step),
            };
            // First or last out of bounds is a syntax error the command will report.
            if last >= argc || last < first || first >= argc {
                if search.partial {
                    continue;
                }
                return None;
            }
            let mut i = first;
            // Redis steps with an int; a step below 1 would never end, and its specs have none.
            while i <= last && step > 0 {
                out.push(KeyRef {
                    pos: i as usize,
                    flags: spec.flags,
                });
                i += step;
            }
            // An incomplete spec's keys are kept only for a partial search.
            if spec.flags.contains(KeySpecFlags::INCOMPLETE) && !search.partial {
                return None;
            }
        }
        Some(out)
    }
}

/// Where a spec's keys are in one call.
enum Spec {
    /// Its keyword is absent: no keys, and no error.
    NoKeyword,
    /// Unknown, or a key count that is not a non-negative number.
    Invalid,
    /// Keys from `first` to `last` (inclusive) every `step`, not yet checked against argc.
    Range { first: i32, last: i32, step: i32 },
}

fn spec_range(begin: BeginSearch, find: FindKeys, argv: &[&[u8]]) -> Spec {
    let argc = argv.len() as i32;
    let first = match begin {
        BeginSearch::Index(pos) => pos,
        BeginSearch::Keyword { keyword, startfrom } => {
            // As Redis: the search stops before `end`, so it never looks at the last
            // argument (searching forwards) or the first one (backwards).
            let (start, end) = if startfrom > 0 {
                (startfrom, argc - 1)
            } else {
                (argc + startfrom, 1)
            };
            let mut found = 0;
            let mut i = start;
            while i != end {
                if i >= argc || i < 1 {
                    break;
                }
                if c_is(argv[i as usize], keyword) {
                    found = i + 1;
                    break;
                }
                i += if start <= end { 1 } else { -1 };
            }
            if found == 0 {
                return Spec::NoKeyword;
            }
            found
        }
        BeginSearch::Unknown => return Spec::Invalid,
    };
    match find {
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => {
            let last = if lastkey >= 0 {
                first + lastkey
            } else if limit == 0 {
                argc + lastkey
            } else {
                first + ((argc - first) / limit + lastkey)
            };
            Spec::Range {
                first,
                last,
                step: keystep,
            }
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => {
            // Redis compares the relative index with argc; the absolute one must be there too.
            if keynumidx >= argc {
                return Spec::Invalid;
            }
            let Some(count) = argv
                .get((first + keynumidx) as usize)
                .and_then(|a| parse_i64(a))
                .filter(|&n| n >= 0)
            else {
                return Spec::Invalid;
            };
            let first = first + firstkey;
            // Redis adds the count as an int: a huge count wraps and fails the bounds check.
            let last = first.wrapping_add(count as i32).wrapping_sub(1);
            Spec::Range {
                first,
                last,
                step: keystep,
            }
        }
        FindKeys::Unknown => Spec::Invalid,
    }
}

impl GetKeysProc {
    /// The keys this procedure finds in `argv` (name first).
    pub fn keys(self, argv: &[&[u8]]) -> Vec<KeyRef> {
        let key = |pos: usize, flags: KeySpecFlags| KeyRef { pos, flags };
        let argc = argv.len();
        match self {
            GetKeysProc::Numkeys {
                store,
                count,
                first,
            } => {
                // Redis's genericGetKeys: atoi, and nothing when the count does not fit (the
                // command will answer a syntax error). Its flags are empty: the commands
                // using it have complete specs, so it only runs when those failed.
                let num = argv.get(count).map_or(0, |a| atoi(a));
                if num < 1 || i64::from(num) > argc as i64 - first as i64 {
                    return Vec::new();
                }
                let mut keys: Vec<KeyRef> = (0..num as usize)
                    .map(|i| key(first + i, KeySpecFlags::EMPTY))
                    .collect();
                if store != 0 {
                    keys.push(key(store, KeySpecFlags::EMPTY));
                }
                keys
            }
            GetKeysProc::Set => {
                // Redis checks for exactly "get" as a C string (any case).
                let get = argv.iter().skip(3).any(|a| c_is(a, "get"));
                let flags = if get {
                    KeySpecFlags::RW | KeySpecFlags::ACCESS | KeySpecFlags::UPDATE
                } else {
                    KeySpecFlags::OW | KeySpecFlags::UPDATE
                };
                vec![key(1, flags)]
            }
            GetKeysProc::Bitfield => {
                let mut readonly = true;
                let mut i = 2;
                while i < argc {
                    let remaining = argc - i - 1;
                    let arg = argv[i];
                    if c_is(arg, "get") && remaining >= 2 {
                        i += 2;
                    } else if (c_is(arg, "set") || c_is(arg, "incrby")) && remaining >= 3 {
                        readonly = false;
                        break;
                    } else if c_is(arg, "overflow") && remaining >= 1 {
                        i += 1;
                    } else {
                        // A syntax error: safer to assume a write.
                        readonly = false;
                        break;
                    }
                    i += 1;
                }
                let flags = if readonly {
                    KeySpecFlags::RO | KeySpecFlags::ACCESS
                } else {
                    KeySpecFlags::RW | KeySpecFlags::ACCESS | KeySpecFlags::UPDATE
                };
                vec![key(1, flags)]
            }
            GetKeysProc::SortRo => vec![key(1, KeySpecFlags::RO | KeySpecFlags::ACCESS)],
            GetKeysProc::Sort => {
                let mut keys = vec![key(1, KeySpecFlags::RO | KeySpecFlags::ACCESS)];
                let mut store = None;
                let mut i = 2;
                while i < argc {
                    // Options are taken to have no argument unless known; the last STORE
                    // wins, as in SORT itself.
                    let arg = argv[i];
                    if c_is(arg, "limit") {
                        i += 2;
                    } else if c_is(arg, "store") && i + 1 < argc {
                        store = Some(i + 1);
                    } else if c_is(arg, "get") || c_is(arg, "by") {
                        i += 1;
                    }
                    i += 1;
                }
                if let Some(pos) = store {
                    keys.push(key(pos, KeySpecFlags::OW | KeySpecFlags::UPDATE));
                }
                keys
            }
            GetKeysProc::Migrate => {
                // MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw]
                // [AUTH2 user pw] [KEYS key ...]
                let (mut first, mut num) = (3, 1);
                let mut i = 6;
                while i < argc {
                    let arg = argv[i];
                    if c_is(arg, "keys") {
                        if !argv[3].is_empty() {
                            // A syntax error MIGRATE will report.
                            num = 0;
                        } else {
                            first = i + 1;
                            num = argc - first;
                        }
                        break;
                    }
                    if c_is(arg, "auth") {
                        i += 1;
                    } else if c_is(arg, "auth2") {
                        i += 2;
                    }
                    i += 1;
                }
                let flags = KeySpecFlags::RW | KeySpecFlags::ACCESS | KeySpecFlags::DELETE;
                (first..first + num).map(|pos| key(pos, flags)).collect()
            }
            GetKeysProc::Georadius => {
                // The last STORE or STOREDIST with an argument after it wins.
                let mut stored = None;
                let mut i = 5;
                while i < argc {
                    let arg = argv[i];
                    if (c_is(arg, "store") || c_is(arg, "storedist")) && i + 1 < argc {
                        stored = Some(i + 1);
                        i += 1;
                    }
                    i += 1;
                }
                let mut keys = vec![key(1, KeySpecFlags::EMPTY)];
                keys.extend(stored.map(|pos| key(pos, KeySpecFlags::EMPTY)));
                keys
            }
            GetKeysProc::Xread => {
                // The first STREAMS that is the option (not a group, consumer or key name).
                let mut streams = None;
                let mut i = 1;
                while i < argc {
                    let arg = argv[i];
                    if c_is(arg, "block") || c_is(arg, "count") {
                        i += 1;
                    } else if c_is(arg, "group") {
                        i += 2;
                    } else if c_is(arg, "noack") {
                    } else if c_is(arg, "streams") {
                        streams = Some(i);
                        break;
                    } else {
                        break;
                    }
                    i += 1;
                }
                let Some(at) = streams else {
                    return Vec::new();
                };
                let rest = argc - at - 1;
                if rest == 0 || !rest.is_multiple_of(2) {
                    return Vec::new();
                }
                (at + 1..at + 1 + rest / 2)
                    .map(|pos| key(pos, KeySpecFlags::EMPTY))
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::spec::find;

    /// The keys `line` names, with their flags, as words.
    fn keys(line: &str) -> Vec<(String, String)> {
        let argv: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        let name = line.split(' ').next().unwrap().to_ascii_lowercase();
        let mut meta = find(&name).unwrap();
        if !meta.subcommands.is_empty() {
            let sub = argv[1].to_ascii_lowercase();
            meta = meta.subcommand(std::str::from_utf8(&sub).unwrap()).unwrap();
        }
        meta.get_keys(&argv)
            .into_iter()
            .map(|k| {
                let flags: Vec<&str> = k.flags.names().collect();
                (
                    line.split(' ').nth(k.pos).unwrap().to_string(),
                    flags.join(","),
                )
            })
            .collect()
    }

    fn names(line: &str) -> Vec<String> {
        keys(line).into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn index_and_range_specs() {
        assert_eq!(keys("GET k"), [("k".into(), "RO,access".into())]);
        assert_eq!(names("MSET a 1 b 2"), ["a", "b"]);
        assert_eq!(names("MSET a 1 b"), ["a", "b"]);
        assert_eq!(names("DEL a b c"), ["a", "b", "c"]);
        assert_eq!(
            keys("LMOVE a b LEFT RIGHT"),
            [
                ("a".into(), "RW,access,delete".into()),
                ("b".into(), "RW,insert".into())
            ]
        );
        assert_eq!(names("MEMORY USAGE k"), ["k"]);
        assert_eq!(names("XGROUP CREATE k g $"), ["k"]);
        assert_eq!(names("BLPOP a b 0"), ["a", "b"]);
    }

    #[test]
    fn keynum_specs_and_their_fallback() {
        assert_eq!(names("ZUNIONSTORE d 2 a b WEIGHTS 1 2"), ["d", "a", "b"]);
        assert_eq!(names("EVAL s 2 a b c"), ["a", "b"]);
        assert!(names("EVAL s 0").is_empty());
        assert_eq!(names("LMPOP 2 a b LEFT"), ["a", "b"]);
        assert_eq!(names("BLMPOP 0 1 a LEFT"), ["a"]);
        // The count is not checked against the options after the keys...
        assert_eq!(names("LMPOP 3 a b LEFT"), ["a", "b", "LEFT"]);
        // ...only against the end: past it the spec fails, and so does the procedure.
        assert!(names("LMPOP 4 a b LEFT").is_empty());
        // The spec wants a strict number; the procedure's atoi reads the digits, and gives
        // the keys without flags.
        assert_eq!(
            keys("ZUNION 2x a b"),
            [("a".into(), String::new()), ("b".into(), String::new())]
        );
        assert!(names("ZUNION -1 a").is_empty());
        // Redis truncates the count to an int.
        assert_eq!(
            keys("ZUNION 4294967297 a"),
            [("a".into(), "RO,access".into())]
        );
    }

    #[test]
    fn keyword_specs() {
        assert_eq!(names("XREAD COUNT 2 STREAMS a b 0 0"), ["a", "b"]);
        assert_eq!(names("XREAD STREAMS a b c"), ["a"]);
        assert_eq!(names("XREADGROUP GROUP g c STREAMS s >"), ["s"]);
        assert_eq!(names("GEORADIUS k 0 0 1 km STORE d"), ["k", "d"]);
        assert_eq!(
            names("GEORADIUS k 0 0 1 km STORE d STOREDIST e"),
            ["k", "d", "e"]
        );
        // The search never looks at the last argument.
        assert_eq!(names("GEORADIUS k 0 0 1 km ASC STORE"), ["k"]);
        assert_eq!(names("MIGRATE h 1 \u{0} 0 5 KEYS a b").len(), 0);
    }

    #[test]
    fn procedures() {
        assert_eq!(keys("SET k v"), [("k".into(), "OW,update".into())]);
        assert_eq!(
            keys("SET k v GET"),
            [("k".into(), "RW,access,update".into())]
        );
        assert_eq!(
            keys("SET k v get\0x"),
            [("k".into(), "RW,access,update".into())]
        );
        assert_eq!(
            keys("BITFIELD k GET u8 0"),
            [("k".into(), "RO,access".into())]
        );
        assert_eq!(
            keys("BITFIELD k GET u8 0 SET u8 0 1"),
            [("k".into(), "RW,access,update".into())]
        );
        assert_eq!(
            keys("BITFIELD k GET u8"),
            [("k".into(), "RW,access,update".into())]
        );
        assert_eq!(
            keys("SORT k STORE d"),
            [
                ("k".into(), "RO,access".into()),
                ("d".into(), "OW,update".into())
            ]
        );
        assert_eq!(names("SORT k STORE d STORE e"), ["k", "e"]);
        assert_eq!(names("SORT k LIMIT STORE d 1 STORE e"), ["k", "e"]);
        assert_eq!(names("SORT k GET STORE STORE e"), ["k", "e"]);
        assert_eq!(names("SORT k STORE"), ["k"]);
        assert_eq!(names("SORT_RO k STORE d"), ["k"]);
        assert_eq!(names("MIGRATE h 1 k 0 5"), ["k"]);
        assert_eq!(
            names("MIGRATE h 1  0 5 COPY AUTH keys KEYS a b"),
            ["a", "b"]
        );
        assert_eq!(names("MIGRATE h 1  0 5 AUTH2 u keys KEYS a"), ["a"]);
        assert!(names("MIGRATE h 1 k 0 5 KEYS a").is_empty());
    }

    #[test]
    fn spec_search_options() {
        let publish = find("spublish").unwrap();
        let argv: [&[u8]; 3] = [b"spublish", b"ch", b"msg"];
        assert!(publish.get_keys(&argv).is_empty());
        assert!(!publish.has_keys());
        let all = SpecSearch {
            include_not_keys: true,
            partial: false,
        };
        assert_eq!(publish.keys_from_specs(&argv, all).unwrap()[0].pos, 1);
        // SORT's unknown specs fail a strict search; a partial one keeps the sorted key.
        let sort = find("sort").unwrap();
        let argv: [&[u8]; 4] = [b"sort", b"k", b"store", b"d"];
        assert!(sort.keys_from_specs(&argv, SpecSearch::default()).is_none());
        let partial = SpecSearch {
            include_not_keys: false,
            partial: true,
        };
        assert_eq!(sort.keys_from_specs(&argv, partial).unwrap().len(), 1);
        // MIGRATE's KEYS spec is incomplete.
        let migrate = find("migrate").unwrap();
        let argv: [&[u8]; 8] = [b"migrate", b"h", b"1", b"", b"0", b"5", b"keys", b"a"];
        assert!(migrate
            .keys_from_specs(&argv, SpecSearch::default())
            .is_none());
        assert_eq!(migrate.get_keys(&argv)[0].pos, 7);
    }

    #[test]
    fn atoi_is_glibcs() {
        assert_eq!(atoi(b" +12abc"), 12);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(atoi(b"x1"), 0);
        assert_eq!(atoi(b"4294967297"), 1);
        assert_eq!(atoi(b"99999999999999999999"), -1);
        assert_eq!(atoi(b"1\x002"), 1);
    }
}
