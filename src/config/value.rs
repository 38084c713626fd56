//! How each kind of parameter reads its words, validates them and shows its value, with
//! Redis 7.0's error texts (config.c's `*ConfigSet` functions and special setters).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::protocol::parse::parse_i64;

/// How a numeric parameter's text is read and shown (Redis's INTEGER / MEMORY / PERCENT /
/// OCTAL config flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// A plain integer (`string2ll`).
    Integer,
    /// Bytes with an optional unit: `1kb`, `5mb`, `1g`.
    Memory,
    /// Bytes, or a percentage (`50%`, stored negated as Redis stores it).
    MemoryOrPercent,
    /// Octal digits (`unixsocketperm 700`).
    Octal,
}

/// A numeric parameter's range, compared as the C type behind it compares: an unsigned
/// type sees `-1` as its largest value.
#[derive(Clone, Copy, Debug)]
pub enum Bounds {
    /// A signed type's range.
    Signed(i64, i64),
    /// An unsigned type's range.
    Unsigned(u64, u64),
}

/// Whether an empty string parameter is "not set" (Redis's EMPTY_STRING_IS_NULL: CONFIG
/// REWRITE then drops its line) or an ordinary value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Empty {
    /// `""` means unset.
    IsNull,
    /// `""` is a value like any other.
    Allowed,
}

/// Parameters with a grammar of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// `dir`: the server changes into it; CONFIG GET shows the working directory.
    Dir,
    /// `save <seconds> <changes> ...`.
    Save,
    /// `client-output-buffer-limit <class> <hard> <soft> <seconds> ...`.
    ClientOutputBufferLimit,
    /// `oom-score-adj-values <master> <replica> <bgchild>`.
    OomScoreAdjValues,
    /// `notify-keyspace-events` class letters.
    NotifyKeyspaceEvents,
    /// `bind <address> ...`.
    Bind,
    /// `replicaof <host> <port>` or `replicaof no one`.
    ReplicaOf,
    /// `latency-tracking-info-percentiles <p> ...`.
    LatencyPercentiles,
}

/// An enumeration: each name with its value (two names may share one, as `yes` and
/// `relative` do for oom-score-adj; the first is the one shown).
pub type Choices = &'static [(&'static str, u32)];

/// How a parameter's value is validated and shown.
#[derive(Debug)]
pub enum Kind {
    /// `yes` or `no`.
    Bool,
    /// An integer in a range.
    Num {
        /// How it is written.
        form: Form,
        /// Accepted values.
        bounds: Bounds,
    },
    /// One name among several.
    Enum(Choices),
    /// Several names among several, their values or-ed (shutdown-on-sigint).
    Flags(Choices),
    /// Free text.
    Str(Empty),
    /// A grammar of its own.
    Special(Special),
}

impl Kind {
    /// Whether the parameter takes several words (Redis's MULTI_ARG_CONFIG): in a config
    /// file one quoted word is split again, and CONFIG SET splits its value on spaces.
    pub fn multi_arg(&self) -> bool {
        match self {
            Kind::Flags(_) => true,
            Kind::Special(s) => !matches!(s, Special::Dir | Special::NotifyKeyspaceEvents),
            _ => false,
        }
    }
}

/// How a Rust type reads and shows a configuration value of its kinds.
pub trait Setting: Sized {
    /// Validates the words after the parameter's name.
    fn parse(args: &[String], kind: &Kind) -> Result<Self, String>;
    /// The value as CONFIG GET shows it.
    fn show(&self, kind: &Kind) -> String;
    /// The value after a directive: most replace it, some merge into it.
    fn update(&self, args: &[String], kind: &Kind) -> Result<Self, String> {
        Self::parse(args, kind)
    }
}

/// The one word a single-word parameter has (the loaders check the count first).
pub(super) fn single(args: &[String]) -> Result<&str, String> {
    match args {
        [a] => Ok(a),
        _ => Err("wrong number of arguments".into()),
    }
}

impl Setting for bool {
    fn parse(args: &[String], _: &Kind) -> Result<Self, String> {
        let word = single(args)?;
        if word.eq_ignore_ascii_case("yes") {
            Ok(true)
        } else if word.eq_ignore_ascii_case("no") {
            Ok(false)
        } else {
            Err("argument must be 'yes' or 'no'".into())
        }
    }
    fn show(&self, _: &Kind) -> String {
        if *self { "yes" } else { "no" }.into()
    }
}

impl Setting for i64 {
    fn parse(args: &[String], kind: &Kind) -> Result<Self, String> {
        let Kind::Num { form, bounds } = *kind else {
            unreachable!("i64 parameters are numeric");
        };
        let value = parse_number(single(args)?, form)?;
        check_bounds(value, form, bounds)?;
        Ok(value)
    }
    fn show(&self, kind: &Kind) -> String {
        let Kind::Num { form, .. } = *kind else {
            unreachable!("i64 parameters are numeric");
        };
        match form {
            Form::MemoryOrPercent if *self < 0 => format!("{}%", self.unsigned_abs()),
            Form::Memory | Form::MemoryOrPercent => (*self as u64).to_string(),
            Form::Octal => format!("{:o}", *self),
            Form::Integer => self.to_string(),
        }
    }
}

/// Redis's numericParseString: the forms a parameter allows, tried in order.
fn parse_number(s: &str, form: Form) -> Result<i64, String> {
    if matches!(form, Form::Memory | Form::MemoryOrPercent) {
        if let Some(v) = memtoull(s) {
            // Stored in a long long, as Redis does: the largest values wrap negative.
            return Ok(v as i64);
        }
    }
    if form == Form::MemoryOrPercent && s.len() > 1 && s.ends_with('%') {
        if let Some(v) = parse_i64(&s.as_bytes()[..s.len() - 1]).filter(|v| *v >= 0) {
            return Ok(-v);
        }
    }
    match form {
        Form::Octal => strtoll(s, 8)
            .ok_or_else(|| "argument couldn't be parsed as an octal number".to_string()),
        Form::Integer => parse_i64(s.as_bytes())
            .ok_or_else(|| "argument couldn't be parsed into an integer".to_string()),
        Form::Memory => Err("argument must be a memory value".into()),
        Form::MemoryOrPercent => Err("argument must be a memory or percent value".into()),
    }
}

/// Redis's numericBoundaryCheck, with its messages.
fn check_bounds(v: i64, form: Form, bounds: Bounds) -> Result<(), String> {
    match bounds {
        Bounds::Unsigned(min, max) => {
            let u = v as u64;
            if u < min || u > max {
                return Err(if form == Form::Octal {
                    format!("argument must be between {min:o} and {max:o} inclusive")
                } else {
                    format!("argument must be between {min} and {max} inclusive")
                });
            }
        }
        Bounds::Signed(min, max) => {
            if form == Form::MemoryOrPercent && v < 0 {
                if v < min {
                    return Err(format!(
                        "percentage argument must be less or equal to {}",
                        min.unsigned_abs()
                    ));
                }
            } else if v < min || v > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
        }
    }
    Ok(())
}

/// Redis's memtoull: digits and an optional unit (b, k, kb, m, mb, g, gb; any case). As in
/// C, no digits read as 0, an overflow saturates and the unit multiplies with wrap-around.
pub fn memtoull(s: &str) -> Option<u64> {
    if s.starts_with('-') {
        return None;
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let mul: u64 = match s[digits..].to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // Redis copies the digits into a 128-byte buffer first.
    if digits >= 128 {
        return None;
    }
    let value = if digits == 0 {
        0
    } else {
        s[..digits].parse::<u64>().unwrap_or(u64::MAX)
    };
    Some(value.wrapping_mul(mul))
}

/// C's `strtoll(s, &end, base)` followed by Redis's `*end == '\0'` check: leading blanks
/// and a sign are allowed, an empty string is 0 (nothing was read, and the end is the
/// end). Octal (base 8) also fails on overflow, as Redis checks errno there; base 10
/// saturates, as Redis does not check.
pub fn strtoll(s: &str, base: u32) -> Option<i64> {
    let b = s.as_bytes();
    let (mut i, neg) = crate::util::c_number_start(b);
    let start = i;
    let mut value: i128 = 0;
    let mut overflow = false;
    while let Some(d) = b.get(i).and_then(|&c| (c as char).to_digit(base)) {
        value = value * i128::from(base) + i128::from(d);
        if value > i128::from(u64::MAX) {
            value = i128::from(u64::MAX);
            overflow = true;
        }
        i += 1;
    }
    if i == start {
        // Nothing converted: C leaves the end at the very start of the string.
        return s.is_empty().then_some(0);
    }
    if i != b.len() {
        return None;
    }
    let signed = if neg { -value } else { value };
    let clamped = signed.clamp(i128::from(i64::MIN), i128::from(i64::MAX));
    if (overflow || clamped != signed) && base != 10 {
        return None;
    }
    Some(clamped as i64)
}

/// The enumeration error Redis builds, cut to its 256-byte buffer.
fn enum_error(choices: Choices) -> String {
    let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
    let mut msg = format!(
        "argument(s) must be one of the following: {}",
        names.join(", ")
    );
    msg.truncate(255);
    msg
}

/// Redis's configEnumGetName: the first name whose value is exactly `value`, else (for
/// flags) the names covering its bits, else `unknown`.
fn enum_name(choices: Choices, value: u32, flags: bool) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut unmatched = value;
    for &(name, v) in choices {
        if v == value {
            return name.to_string();
        }
        if flags && v != 0 && v == unmatched & v {
            names.push(name);
            unmatched &= !v;
        }
    }
    if names.is_empty() || unmatched != 0 {
        return "unknown".into();
    }
    names.join(" ")
}

/// The value of one enumeration word, any case.
fn enum_value(choices: Choices, word: &str) -> Option<u32> {
    choices
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(word))
        .map(|&(_, v)| v)
}

impl Setting for String {
    fn parse(args: &[String], kind: &Kind) -> Result<Self, String> {
        match kind {
            Kind::Enum(choices) => match args {
                [word] => enum_value(choices, word)
                    .map(|v| enum_name(choices, v, false))
                    .ok_or_else(|| enum_error(choices)),
                _ => Err(enum_error(choices)),
            },
            Kind::Flags(choices) => {
                let mut value = 0;
                for word in args {
                    value |= enum_value(choices, word).ok_or_else(|| enum_error(choices))?;
                }
                if args.is_empty() {
                    return Err(enum_error(choices));
                }
                Ok(enum_name(choices, value, true))
            }
            Kind::Str(_) => Ok(single(args)?.to_string()),
            Kind::Special(Special::Dir) => resolve_dir(".", single(args)?),
            _ => unreachable!("String parameters are enums, flags, strings or dir"),
        }
    }
    /// `dir` is relative to the directory set before, as chdir is in Redis.
    fn update(&self, args: &[String], kind: &Kind) -> Result<Self, String> {
        match kind {
            Kind::Special(Special::Dir) => resolve_dir(self, single(args)?),
            _ => Self::parse(args, kind),
        }
    }
    fn show(&self, kind: &Kind) -> String {
        match kind {
            // Redis reports the directory it is in, whatever was asked.
            Kind::Special(Special::Dir) => std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            _ => self.clone(),
        }
    }
}

/// `dir`: checks the directory as Redis's chdir would (the same errors) and returns it
/// as an absolute path, resolved against `current`, the directory set before (the working
/// directory while it is still "."). The server changes into it: at start once the load is
/// complete, on CONFIG SET when the new values take effect.
fn resolve_dir(current: &str, path: &str) -> Result<String, String> {
    let cwd = || std::env::current_dir().map_err(|e| os_error_text(&e));
    let target = if Path::new(path).is_absolute() {
        PathBuf::from(path)
    } else if current == "." || !Path::new(current).is_absolute() {
        cwd()?.join(current).join(path)
    } else {
        Path::new(current).join(path)
    };
    let meta = std::fs::metadata(&target).map_err(|e| os_error_text(&e))?;
    if !meta.is_dir() {
        return Err(os_error_text(&std::io::Error::from_raw_os_error(
            libc::ENOTDIR,
        )));
    }
    let c_path = std::ffi::CString::new(target.as_os_str().as_encoded_bytes())
        .map_err(|_| os_error_text(&std::io::Error::from_raw_os_error(libc::ENOENT)))?;
    // SAFETY: access() reads a NUL-terminated path we own.
    if unsafe { libc::access(c_path.as_ptr(), libc::X_OK) } != 0 {
        return Err(os_error_text(&std::io::Error::last_os_error()));
    }
    Ok(target.display().to_string())
}

/// An OS error as C's strerror words it ("No such file or directory"), as Redis prints it.
pub fn os_error_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        // SAFETY: strerror returns a pointer to a NUL-terminated message that stays valid
        // until the next strerror call; it is copied at once on this one thread.
        Some(code) => unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) }
            .to_string_lossy()
            .into_owned(),
        None => e.to_string(),
    }
}

/// Quotes bytes as Redis's sdscatrepr does (CONFIG REWRITE's string values).
pub fn repr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &c in s.as_bytes() {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c as char),
            c => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn memory_units_as_memtoull() {
        assert_eq!(memtoull("1kb"), Some(1024));
        assert_eq!(memtoull("1K"), Some(1000));
        assert_eq!(memtoull("5"), Some(5));
        assert_eq!(memtoull(""), Some(0));
        assert_eq!(memtoull("gb"), Some(0));
        assert_eq!(memtoull("99999999999999999999"), Some(u64::MAX));
        assert_eq!(memtoull("1.5gb"), None);
        assert_eq!(memtoull("-1"), None);
        assert_eq!(memtoull("+1"), None);
        assert_eq!(memtoull("1zz"), None);
    }

    #[test]
    fn strtoll_as_c() {
        assert_eq!(strtoll("", 10), Some(0));
        assert_eq!(strtoll(" +12", 10), Some(12));
        assert_eq!(strtoll("007", 10), Some(7));
        assert_eq!(strtoll("12 ", 10), None);
        assert_eq!(strtoll("-", 10), None);
        assert_eq!(strtoll("99999999999999999999", 10), Some(i64::MAX));
        assert_eq!(strtoll("777", 8), Some(511));
        assert_eq!(strtoll("8", 8), None);
        assert_eq!(strtoll("7777777777777777777777777", 8), None);
    }

    #[test]
    fn numbers_and_their_errors() {
        let percent = Kind::Num {
            form: Form::MemoryOrPercent,
            bounds: Bounds::Signed(-100, i64::MAX),
        };
        assert_eq!(i64::parse(&words(&["50%"]), &percent), Ok(-50));
        assert_eq!((-50i64).show(&percent), "50%");
        assert_eq!(
            i64::parse(&words(&["200%"]), &percent).unwrap_err(),
            "percentage argument must be less or equal to 100"
        );
        assert_eq!(
            i64::parse(&words(&["x"]), &percent).unwrap_err(),
            "argument must be a memory or percent value"
        );
        let unsigned = Kind::Num {
            form: Form::Integer,
            bounds: Bounds::Unsigned(1, u64::from(u32::MAX)),
        };
        assert_eq!(
            i64::parse(&words(&["-1"]), &unsigned).unwrap_err(),
            "argument must be between 1 and 4294967295 inclusive"
        );
        let octal = Kind::Num {
            form: Form::Octal,
            bounds: Bounds::Unsigned(0, 0o777),
        };
        assert_eq!(i64::parse(&words(&["700"]), &octal), Ok(0o700));
        assert_eq!(0o700i64.show(&octal), "700");
        assert_eq!(
            i64::parse(&words(&["1000"]), &octal).unwrap_err(),
            "argument must be between 0 and 777 inclusive"
        );
        let memory = Kind::Num {
            form: Form::Memory,
            bounds: Bounds::Unsigned(0, u64::MAX),
        };
        assert_eq!((-1i64).show(&memory), "18446744073709551615");
    }

    #[test]
    fn enums_and_flags() {
        const OOM: Choices = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
        assert_eq!(
            String::parse(&words(&["RELATIVE"]), &Kind::Enum(OOM)).unwrap(),
            "yes"
        );
        assert_eq!(
            String::parse(&words(&["x"]), &Kind::Enum(OOM)).unwrap_err(),
            "argument(s) must be one of the following: no, yes, relative, absolute"
        );
        const SIG: Choices = &[
            ("default", 0),
            ("save", 1),
            ("nosave", 2),
            ("now", 4),
            ("force", 8),
        ];
        let flags = Kind::Flags(SIG);
        assert_eq!(
            String::parse(&words(&["nosave", "force", "now"]), &flags).unwrap(),
            "nosave now force"
        );
        assert_eq!(
            String::parse(&words(&["default"]), &flags).unwrap(),
            "default"
        );
        assert!(String::parse(&[], &flags).is_err());
    }

    #[test]
    fn repr_quotes_as_sdscatrepr() {
        assert_eq!(
            repr("a \"b\"\\\n\x01é"),
            "\"a \\\"b\\\"\\\\\\n\\x01\\xc3\\xa9\""
        );
    }
}
