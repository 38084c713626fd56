//! Loading a configuration as redis-server does: a redis.conf file, then stdin, then the
//! `--name value` options, read as one text with Redis's grammar (one directive a line,
//! `#` comments, quoted words with `\x41` escapes) and its directives that are not
//! parameters (`rename-command`, `user`, ...).

use super::special::SaveRules;
use super::table::{Config, Param};
use super::value::{repr, Setting};
use super::{find_param, REDIS_VERSION};
use crate::protocol::parse::split_args;

/// A configuration that cannot be loaded: where, and why, in Redis's words.
#[derive(Debug)]
pub struct ConfigError {
    /// The 1-based line number and the line (trimmed); None for the checks made once
    /// everything is read.
    pub at: Option<(usize, String)>,
    /// Redis's message.
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***"
        )?;
        if let Some((line, text)) = &self.at {
            writeln!(
                f,
                "Reading the configuration file, at line {line}\n>>> '{text}'"
            )?;
        }
        write!(f, "{}", self.reason)
    }
}

/// Directives Redis 7.0 still accepts (with exactly one value) and ignores.
const DEPRECATED: [&str; 3] = [
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

/// Splits a line into words as Redis's sdssplitargs does; None on unbalanced quotes.
fn split_words(line: &str) -> Option<Vec<String>> {
    let mut scratch = Vec::new();
    let mut ranges = Vec::new();
    if !split_args(line.as_bytes(), &mut scratch, &mut ranges) {
        return None;
    }
    Some(
        ranges
            .iter()
            .map(|&(s, l)| String::from_utf8_lossy(&scratch[s..s + l]).into_owned())
            .collect(),
    )
}

/// The directive a config line starts with (None if its quotes are unbalanced).
pub(super) fn first_word(line: &str) -> Option<String> {
    split_words(line)?.into_iter().next()
}

/// What loading keeps between lines.
struct Loader<'a> {
    config: &'a mut Config,
    /// The first `save` line replaces the default rules; later ones add to them.
    saw_save: bool,
    /// A `user default` line gave a password (ACL users are not supported: only
    /// requirepass sets one, and the load fails rather than run without it).
    user_password: bool,
}

impl Loader<'_> {
    /// Applies every line of `text`.
    fn text(&mut self, text: &str) -> Result<(), ConfigError> {
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.trim_matches([' ', '\t', '\r', '\n']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            self.line(line).map_err(|reason| ConfigError {
                at: Some((i + 1, line.to_string())),
                reason,
            })?;
        }
        Ok(())
    }

    /// Applies one non-empty, non-comment line.
    fn line(&mut self, line: &str) -> Result<(), String> {
        let words = split_words(line).ok_or("Unbalanced quotes in configuration line")?;
        let Some((name, args)) = words.split_first() else {
            return Ok(());
        };
        let name = name.to_ascii_lowercase();
        if let Some(param) = find_param(&name) {
            return self.parameter(param, args);
        }
        let argc = words.len();
        if DEPRECATED.contains(&name.as_str()) && argc == 2 {
            return Ok(());
        }
        match name.as_str() {
            "rename-command" if argc == 3 => self.rename_command(&args[0], &args[1]),
            "user" if argc >= 2 => self.user(args),
            "loadmodule" if argc >= 2 => Err("redust does not support modules".into()),
            "sentinel" if argc == 1 => Ok(()),
            "sentinel" => Err("sentinel directive while not in sentinel mode".into()),
            _ if name.contains('.') && argc < 2 => {
                Err("Module config specified without value".into())
            }
            _ if name.contains('.') => Err("Module Configuration detected without loadmodule \
                                           directive or no ApplyConfig call: aborting"
                .into()),
            _ => Err("Bad directive or wrong number of arguments".into()),
        }
    }

    /// A parameter's line: one value, or several words for multi-word parameters (given
    /// as separate words or as one quoted word, which is split again).
    fn parameter(&mut self, param: &Param, args: &[String]) -> Result<(), String> {
        let multi = param.kind.multi_arg();
        if !multi && args.len() != 1 {
            return Err("wrong number of arguments".into());
        }
        let split;
        let args = match args {
            [one] if multi && !one.is_empty() => {
                split = split_words(one).unwrap_or_default();
                &split[..]
            }
            _ => args,
        };
        if param.name == "save" {
            return self.save(args);
        }
        param.set(self.config, args)
    }

    /// `save`: `save ""` clears every rule; otherwise the first line replaces the default
    /// rules and later lines add theirs.
    fn save(&mut self, args: &[String]) -> Result<(), String> {
        let kind = &find_param("save").expect("save is a parameter").kind;
        let rules = SaveRules::parse(args, kind)?;
        let clears = matches!(args, [one] if one.is_empty());
        if clears || !self.saw_save {
            self.config.save.0.clear();
        }
        self.saw_save = true;
        self.config.save.0.extend(rules.0);
        Ok(())
    }

    /// `rename-command <name> <new-name>` (an empty new name removes the command). Any
    /// Redis command may be named, implemented or not, so hardened configs that remove
    /// EVAL or KEYS load as they do in Redis.
    fn rename_command(&mut self, from: &str, to: &str) -> Result<(), String> {
        let known = |name: &str, renames: &[(String, String)]| {
            let mut present = crate::commands::spec::find(&name.to_ascii_lowercase()).is_some()
                && !name.contains('|');
            for (old, new) in renames {
                if old.eq_ignore_ascii_case(name) {
                    present = false;
                }
                if new.eq_ignore_ascii_case(name) {
                    present = true;
                }
            }
            present
        };
        let renames = &self.config.renamed_commands;
        if !known(from, renames) {
            return Err("No such command in rename-command".into());
        }
        if !to.is_empty() && !to.eq_ignore_ascii_case(from) && known(to, renames) {
            return Err("Target command name already exists".into());
        }
        self.config
            .renamed_commands
            .push((from.to_string(), to.to_string()));
        Ok(())
    }

    /// `user <name> <rules>...`: redust has one user, `default`, whose password is
    /// requirepass. CONFIG REWRITE writes a `user default` line as Redis does; such lines
    /// load and are otherwise ignored. Other users are refused rather than ignored, so a
    /// configuration never runs without the access control it asks for.
    fn user(&mut self, args: &[String]) -> Result<(), String> {
        if args[0] != "default" {
            return Err(format!(
                "Error in user declaration '{}': redust has no ACL users (only the \
                 default user, whose password is requirepass)",
                args[0]
            ));
        }
        self.user_password |= args[1..]
            .iter()
            .any(|rule| rule.starts_with('>') || rule.starts_with('#'));
        Ok(())
    }

    /// Redis's checks once everything is read.
    fn finish(&mut self) -> Result<(), ConfigError> {
        let fail = |reason: &str| ConfigError {
            at: None,
            reason: reason.to_string(),
        };
        if self.config.cluster_enabled && self.config.replicaof.0.is_some() {
            return Err(fail("replicaof directive not allowed in cluster mode"));
        }
        if self.user_password && self.config.requirepass.is_empty() {
            return Err(fail(
                "Error in user declaration 'default': set the password with requirepass \
                 (redust has no ACL)",
            ));
        }
        self.config.clamp();
        Ok(())
    }
}

impl Config {
    /// Applies redis.conf text to this configuration, as Redis's
    /// loadServerConfigFromString does.
    pub fn apply_text(&mut self, text: &str) -> Result<(), ConfigError> {
        let mut loader = Loader {
            config: self,
            saw_save: false,
            user_password: false,
        };
        loader.text(text)?;
        loader.finish()
    }

    /// Builds the configuration from redis-server's arguments:
    /// `[config-file] [-] [--name value ...] [-]`. As in Redis, the options become lines
    /// appended to the file (`--port 7000` is `port 7000`), so the last word wins.
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut config = Config::default();
        let mut text = String::new();
        let mut rest = args;
        if let Some(first) = args.first().filter(|a| !a.starts_with('-')) {
            text = std::fs::read_to_string(first).map_err(|e| {
                format!(
                    "Fatal error, can't open config file '{first}': {}",
                    super::os_error_text(&e)
                )
            })?;
            config.file = Some(std::path::absolute(first).unwrap_or_else(|_| first.into()));
            rest = &args[1..];
        }
        let (from_stdin, options) = options_text(rest, rest.len() < args.len());
        if from_stdin {
            let input = std::io::read_to_string(std::io::stdin())
                .map_err(|e| format!("Can't read config from stdin: {e}"))?;
            text.push_str(&input);
        }
        text.push('\n');
        text.push_str(&options);
        config.apply_text(&text).map_err(|e| e.to_string())?;
        Ok(config)
    }
}

/// Turns the command line after the config file into config lines, exactly as Redis's
/// main() does: `--name` starts a line; the words after it are its values, quoted; a
/// name given alone with its value in one word (`"--port 7000"`) is a whole line; `--save`
/// with nothing after it means `save ""`. Also says whether `-` asked for stdin (only as
/// the first or the last argument).
fn options_text(args: &[String], had_file: bool) -> (bool, String) {
    let mut options = String::new();
    let mut from_stdin = false;
    // Whether the last option got its value, so that a `--word` is a new option rather
    // than a value starting with `--`.
    let mut last_has_value = true;
    for (j, arg) in args.iter().enumerate() {
        let last = j + 1 == args.len();
        if arg == "-" && ((j == 0 && !had_file) || last) {
            from_stdin = true;
        } else if last_has_value && arg.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&arg[2..]);
            options.push(' ');
            let alone = split_words(arg).map_or(0, |w| w.len()) == 1;
            last_has_value = !alone;
            let next_is_option = args.get(j + 1).is_some_and(|a| a.starts_with("--"));
            if alone && arg.eq_ignore_ascii_case("--save") && (next_is_option || last) {
                options.push_str("\"\"");
                last_has_value = true;
            } else if alone && arg.eq_ignore_ascii_case("--sentinel") && next_is_option {
                last_has_value = true;
            }
        } else {
            options.push_str(&repr(arg));
            options.push(' ');
            last_has_value = true;
        }
    }
    (from_stdin, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn file_grammar() {
        let mut c = Config::default();
        c.apply_text(
            "# comment\nport 7000\n  save 900 1\nsave \"300 10\"\nmaxmemory 1gb\n\
             loglevel WARNING\nSLAVE-READ-ONLY no\nlist-max-ziplist-entries 5\n",
        )
        .unwrap();
        assert_eq!(c.port, 7000);
        assert_eq!(c.save, SaveRules(vec![(900, 1), (300, 10)]));
        assert_eq!(c.maxmemory, 1 << 30);
        assert_eq!(c.loglevel, "warning");
        assert!(!c.replica_read_only);
    }

    #[test]
    fn errors_name_the_line() {
        let mut c = Config::default();
        let e = c.apply_text("port 1\nfoo bar\n").unwrap_err();
        assert_eq!(e.at, Some((2, "foo bar".to_string())));
        assert_eq!(e.reason, "Bad directive or wrong number of arguments");
        let e = c.apply_text("port abc").unwrap_err();
        assert_eq!(e.reason, "argument couldn't be parsed into an integer");
        let e = c.apply_text("port 99999").unwrap_err();
        assert_eq!(e.reason, "argument must be between 0 and 65535 inclusive");
        let e = c.apply_text("port 1 2").unwrap_err();
        assert_eq!(e.reason, "wrong number of arguments");
        let e = c.apply_text("save 60").unwrap_err();
        assert_eq!(e.reason, "Invalid save parameters");
        let e = c.apply_text("loglevel \"x").unwrap_err();
        assert_eq!(e.reason, "Unbalanced quotes in configuration line");
        let e = c.apply_text("a.b").unwrap_err();
        assert_eq!(e.reason, "Module config specified without value");
    }

    #[test]
    fn command_line_like_redis_server() {
        let c =
            Config::from_args(&args(&["--port", "7001", "--save", "", "--bind", "::1"])).unwrap();
        assert_eq!(c.port, 7001);
        assert!(c.save.0.is_empty());
        assert_eq!(c.bind.0, vec!["::1"]);
        // `--save` followed by another option, or last, means `save ""`.
        let c = Config::from_args(&args(&["--save", "--loglevel", "verbose"])).unwrap();
        assert!(c.save.0.is_empty());
        assert_eq!(c.loglevel, "verbose");
        // Name and value in one word; a value that starts with `--`.
        let c = Config::from_args(&args(&[
            "--maxmemory 700mb",
            "--proc-title-template",
            "--my--title",
        ]))
        .unwrap();
        assert_eq!(c.maxmemory, 700 << 20);
        assert_eq!(c.proc_title_template, "--my--title");
        let c =
            Config::from_args(&args(&["--shutdown-on-sigint", "nosave", "force", "now"])).unwrap();
        assert_eq!(c.shutdown_on_sigint, "nosave now force");
        let e = Config::from_args(&args(&["--port", "6379", "6380"])).unwrap_err();
        assert!(
            e.contains(">>> 'port \"6379\" \"6380\"'\nwrong number of arguments"),
            "{e}"
        );
        let e = Config::from_args(&args(&["--port"])).unwrap_err();
        assert!(e.contains(">>> 'port'\nwrong number of arguments"), "{e}");
    }

    #[test]
    fn save_lines_replace_then_add() {
        let mut c = Config::default();
        c.apply_text("save 900 1\nsave 100 100").unwrap();
        assert_eq!(c.save.0, vec![(900, 1), (100, 100)]);
        c.apply_text("save \"\"\nsave 5 5").unwrap();
        assert_eq!(c.save.0, vec![(5, 5)]);
    }

    #[test]
    fn rename_command_checks_names() {
        let mut c = Config::default();
        c.apply_text("rename-command flushdb badger\nrename-command EVAL \"\"")
            .unwrap();
        assert_eq!(
            c.renamed_commands,
            vec![
                ("flushdb".to_string(), "badger".to_string()),
                ("EVAL".to_string(), String::new())
            ]
        );
        let e = c.apply_text("rename-command flushdb x").unwrap_err();
        assert_eq!(e.reason, "No such command in rename-command");
        let e = c.apply_text("rename-command get set").unwrap_err();
        assert_eq!(e.reason, "Target command name already exists");
        let e = c.apply_text("rename-command nosuch x").unwrap_err();
        assert_eq!(e.reason, "No such command in rename-command");
    }

    #[test]
    fn users_other_than_default_are_refused() {
        let mut c = Config::default();
        c.apply_text("user default on nopass ~* &* +@all").unwrap();
        assert!(c.apply_text("user alice on >pw ~* +@all").is_err());
        assert!(c.apply_text("user default on >pw ~* +@all").is_err());
        c.apply_text("user default on #abc ~* +@all\nrequirepass foo")
            .unwrap();
    }
}
