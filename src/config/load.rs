//! Loading a configuration with redis.conf's grammar: one directive a line, `#` comments,
//! quoted words with `\x41` escapes, and the directives that are not parameters
//! (`include`, `rename-command`, `user`, ...). Start-up (`server/startup.rs`) reads the
//! file, stdin and the command line and loads each here, sharing one [`Loading`].

use super::special::SaveRules;
use super::table::{Config, Param};
use super::value::Setting;
use super::{find_param, REDIS_VERSION};
use crate::protocol::parse::split_args;

/// A configuration that cannot be loaded: where, and why, in Redis's words.
#[derive(Debug)]
pub struct ConfigError {
    /// The file (or "from the command line") the bad line came from.
    pub source: String,
    /// The 1-based line number; 0 for the checks made once everything is read (Redis then
    /// names no line).
    pub line: usize,
    /// The line, trimmed.
    pub text: String,
    /// Redis's message.
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***"
        )?;
        if self.line > 0 {
            writeln!(
                f,
                "Reading the configuration file {}, at line {}\n>>> '{}'",
                self.source, self.line, self.text
            )?;
        }
        write!(f, "{}", self.reason)
    }
}

/// What the pieces of one load share (the file, stdin, the command line, included files).
#[derive(Debug, Default)]
pub struct Loading {
    /// A `save` line was seen: later ones add rules instead of replacing the defaults.
    pub saw_save: bool,
    /// How many `include`s deep the current piece is.
    pub depth: usize,
}

/// Why a line failed: a fault of the line itself, or of a line in a file it included
/// (reported where it is).
#[derive(Debug)]
pub enum IncludeError {
    /// The line itself: the reason, reported at that line.
    Here(String),
    /// A line of the included file, reported in that file.
    Nested(ConfigError),
}

impl From<String> for IncludeError {
    fn from(reason: String) -> Self {
        IncludeError::Here(reason)
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

/// Applies one non-empty, non-comment line.
fn directive(config: &mut Config, line: &str, loading: &mut Loading) -> Result<(), IncludeError> {
    let words = split_words(line).ok_or("Unbalanced quotes in configuration line".to_string())?;
    let Some((name, args)) = words.split_first() else {
        return Ok(());
    };
    let name = name.to_ascii_lowercase();
    if let Some(param) = find_param(&name) {
        return Ok(parameter(config, param, args, loading)?);
    }
    let argc = words.len();
    if DEPRECATED.contains(&name.as_str()) && argc == 2 {
        return Ok(());
    }
    let refused = |why: &str| Err(IncludeError::Here(why.to_string()));
    match name.as_str() {
        "include" if argc == 2 => crate::server::startup::include(config, &args[0], loading),
        "rename-command" if argc == 3 => Ok(rename_command(config, &args[0], &args[1])?),
        "user" if argc >= 2 => Ok(user(config, args)?),
        "loadmodule" if argc >= 2 => refused("redust does not support modules"),
        "sentinel" if argc == 1 => Ok(()),
        "sentinel" => refused("sentinel directive while not in sentinel mode"),
        _ if name.contains('.') && argc < 2 => refused("Module config specified without value"),
        _ if name.contains('.') => refused(
            "Module Configuration detected without loadmodule directive or no ApplyConfig \
             call: aborting",
        ),
        _ => refused("Bad directive or wrong number of arguments"),
    }
}

/// A parameter's line: one value, or several words for multi-word parameters (given as
/// separate words or as one quoted word, which is split again).
fn parameter(
    config: &mut Config,
    param: &Param,
    args: &[String],
    loading: &mut Loading,
) -> Result<(), String> {
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
        return save(config, args, loading);
    }
    param.set(config, args)
}

/// `save`: `save ""` clears every rule; otherwise the first line of the whole load replaces
/// the default rules and later lines add theirs.
fn save(config: &mut Config, args: &[String], loading: &mut Loading) -> Result<(), String> {
    let kind = &find_param("save").expect("save is a parameter").kind;
    let rules = SaveRules::parse(args, kind)?;
    let clears = matches!(args, [one] if one.is_empty());
    if clears || !loading.saw_save {
        config.save.0.clear();
    }
    loading.saw_save = true;
    config.save.0.extend(rules.0);
    Ok(())
}

/// `rename-command <name> <new-name>` (an empty new name removes the command). Any Redis
/// command may be named, implemented or not, so hardened configs that remove EVAL or KEYS
/// load as they do in Redis.
fn rename_command(config: &mut Config, from: &str, to: &str) -> Result<(), String> {
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
    let renames = &config.renamed_commands;
    if !known(from, renames) {
        return Err("No such command in rename-command".into());
    }
    if !to.is_empty() && !to.eq_ignore_ascii_case(from) && known(to, renames) {
        return Err("Target command name already exists".into());
    }
    config
        .renamed_commands
        .push((from.to_string(), to.to_string()));
    Ok(())
}

/// `user <name> <rules>...`: checked now (syntax, duplicates), created once the load is
/// complete (Redis's ACLAppendUserForLoading). The error names the argument as Redis does.
fn user(config: &mut Config, args: &[String]) -> Result<(), String> {
    if let Err((at, why)) = crate::acl::file::check_directive(args, &config.users) {
        // Redis indexes its argv (with `user` first) by the failing rule's position.
        let shown = if at == 0 && why.starts_with("Duplicate") {
            args[0].as_str()
        } else if at == 0 {
            "user"
        } else {
            args.get(at - 1).map_or("", String::as_str)
        };
        return Err(format!("Error in user declaration '{shown}': {why}"));
    }
    let rules: Vec<&[u8]> = args[1..].iter().map(|a| a.as_bytes()).collect();
    let mut def = vec![args[0].clone()];
    if let Ok(merged) = crate::acl::user::merge_selector_args(&rules) {
        def.extend(
            merged
                .iter()
                .map(|r| String::from_utf8_lossy(r).into_owned()),
        );
    }
    config.users.push(def);
    Ok(())
}

impl Config {
    /// Applies redis.conf text on its own (`source` names it in errors), then makes the
    /// checks of a finished load.
    pub fn apply_text(&mut self, text: &str, source: &str) -> Result<(), ConfigError> {
        let mut loading = Loading::default();
        self.load_text(text, source, &mut loading)?;
        self.finish_load(&loading)
    }

    /// Applies one piece of a load (a file, stdin, the command line, an included file), as
    /// Redis's loadServerConfigFromString does. `loading` carries what the pieces share.
    pub fn load_text(
        &mut self,
        text: &str,
        source: &str,
        loading: &mut Loading,
    ) -> Result<(), ConfigError> {
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.trim_matches([' ', '\t', '\r', '\n']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            directive(self, line, loading).map_err(|e| match e {
                IncludeError::Nested(e) => e,
                IncludeError::Here(reason) => ConfigError {
                    source: source.to_string(),
                    line: i + 1,
                    text: line.to_string(),
                    reason,
                },
            })?;
        }
        Ok(())
    }

    /// Redis's checks once every piece is read, and the values it clamps.
    pub fn finish_load(&mut self, _loading: &Loading) -> Result<(), ConfigError> {
        let fail = |reason: &str| ConfigError {
            source: String::new(),
            line: 0,
            text: String::new(),
            reason: reason.to_string(),
        };
        if self.cluster_enabled && self.replicaof.0.is_some() {
            return Err(fail("replicaof directive not allowed in cluster mode"));
        }
        self.clamp();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_grammar() {
        let mut c = Config::default();
        c.apply_text(
            "# comment\nport 7000\n  save 900 1\nsave \"300 10\"\nmaxmemory 1gb\n\
             loglevel WARNING\nSLAVE-READ-ONLY no\nlist-max-ziplist-entries 5\n\
             shutdown-on-sigint nosave force now\nclient-output-buffer-limit \"pubsub 1 2 3\"\n",
            "t.conf",
        )
        .unwrap();
        assert_eq!(c.port, 7000);
        assert_eq!(c.save, SaveRules(vec![(900, 1), (300, 10)]));
        assert_eq!(c.maxmemory, 1 << 30);
        assert_eq!(c.loglevel, "warning");
        assert!(!c.replica_read_only);
        assert_eq!(c.shutdown_on_sigint, "nosave now force");
        assert_eq!(c.client_output_buffer_limit.0[2].soft_seconds, 3);
    }

    #[test]
    fn errors_name_the_line() {
        let mut c = Config::default();
        let e = c.apply_text("port 1\nfoo bar\n", "x.conf").unwrap_err();
        assert_eq!(
            (e.source.as_str(), e.line, e.text.as_str()),
            ("x.conf", 2, "foo bar")
        );
        assert_eq!(e.reason, "Bad directive or wrong number of arguments");
        let reason = |text: &str| Config::default().apply_text(text, "x").unwrap_err().reason;
        assert_eq!(
            reason("port abc"),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(
            reason("port 99999"),
            "argument must be between 0 and 65535 inclusive"
        );
        assert_eq!(reason("port 1 2"), "wrong number of arguments");
        assert_eq!(reason("save 60"), "Invalid save parameters");
        assert_eq!(
            reason("loglevel \"x"),
            "Unbalanced quotes in configuration line"
        );
        assert_eq!(reason("a.b"), "Module config specified without value");
        assert_eq!(
            reason("dir /nonexistent/redust"),
            "No such file or directory"
        );
        // Checks of the whole load name no line.
        let e = Config::default()
            .apply_text("cluster-enabled yes\nreplicaof h 1", "x")
            .unwrap_err();
        assert_eq!(e.line, 0);
        assert!(!e.to_string().contains("Reading"), "{e}");
    }

    #[test]
    fn save_lines_replace_then_add() {
        let mut c = Config::default();
        c.apply_text("save 900 1\nsave 100 100", "x").unwrap();
        assert_eq!(c.save.0, vec![(900, 1), (100, 100)]);
        c.apply_text("save \"\"\nsave 5 5", "x").unwrap();
        assert_eq!(c.save.0, vec![(5, 5)]);
    }

    #[test]
    fn rename_command_checks_names() {
        let mut c = Config::default();
        c.apply_text(
            "rename-command flushdb badger\nrename-command EVAL \"\"",
            "x",
        )
        .unwrap();
        assert_eq!(
            c.renamed_commands,
            vec![
                ("flushdb".to_string(), "badger".to_string()),
                ("EVAL".to_string(), String::new())
            ]
        );
        let reason = |c: &mut Config, text: &str| c.apply_text(text, "x").unwrap_err().reason;
        assert_eq!(
            reason(&mut c, "rename-command flushdb x"),
            "No such command in rename-command"
        );
        assert_eq!(
            reason(&mut c, "rename-command get set"),
            "Target command name already exists"
        );
        assert_eq!(
            reason(&mut c, "rename-command nosuch x"),
            "No such command in rename-command"
        );
    }

    #[test]
    fn user_directives_are_checked_and_kept() {
        let mut c = Config::default();
        c.apply_text(
            "user default on nopass ~* &* +@all\nuser alice on >pw (~a +get)",
            "x",
        )
        .unwrap();
        assert_eq!(c.users.len(), 2);
        assert_eq!(c.users[1], ["alice", "on", ">pw", "(~a +get)"]);
        let dup = c.apply_text("user alice on", "x").unwrap_err();
        assert!(dup.reason.contains("Duplicate user"), "{}", dup.reason);
        let mut c = Config::default();
        assert!(c.apply_text("user bob ~a allkeys ~b", "x").is_err());
        // Unknown commands wait for the users to load, as in Redis.
        c.apply_text("user bob +nosuchcommand", "x").unwrap();
    }
}
