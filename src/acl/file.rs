//! Users from the configuration (`user` directives) and from the ACL file (`aclfile`,
//! ACL LOAD / ACL SAVE), with Redis's validation and messages.

use super::selector::has_spaces;
use super::user::{merge_selector_args, User};
use super::{Acl, UserId, DEFAULT_USER};

/// Checks a `user <name> <rules>...` directive as the config loader reads it (Redis's
/// ACLAppendUserForLoading): rules are tried on a scratch user; unknown commands are
/// tolerated here (Redis reports them when the users load). `Err((index, message))`:
/// the argument at fault (0 is the name) and why.
pub fn check_directive(
    args: &[String],
    earlier: &[Vec<String>],
) -> Result<(), (usize, &'static str)> {
    if earlier.iter().any(|u| u[0] == args[0]) {
        return Err((0, super::selector::RuleError::Duplicate.message()));
    }
    let rules: Vec<&[u8]> = args[1..].iter().map(|a| a.as_bytes()).collect();
    let merged = merge_selector_args(&rules).map_err(|i| (i + 1, "Syntax error"))?;
    let mut scratch = User::new(b"__fakeuser__", false);
    for (j, op) in merged.iter().enumerate() {
        if let Err(e) = scratch.apply(op, false) {
            if e != super::selector::RuleError::UnknownCommand {
                return Err((j, e.message()));
            }
        }
    }
    Ok(())
}

impl Acl {
    /// The users of the configuration, then of the ACL file, at start (Redis's
    /// ACLLoadUsersAtStartup): either source, not both. The error is logged by the caller,
    /// which exits.
    pub fn load_at_startup(&mut self, config: &crate::config::Config) -> Result<(), String> {
        let pubsub_all = config.acl_pubsub_default == "allchannels";
        if !config.aclfile.is_empty() && !config.users.is_empty() {
            return Err(
                "Configuring Redis with users defined in redis.conf and at the same \
                        setting an ACL file path is invalid. This setup is very likely to lead \
                        to configuration errors and security holes, please define either an \
                        ACL file or declare users directly in your redis.conf, but not both."
                    .into(),
            );
        }
        if let Err(e) = self.load_configured(&config.users, pubsub_all) {
            log::warn!("{e}");
            return Err("Critical error while loading ACLs. Exiting.".into());
        }
        if !config.aclfile.is_empty() {
            self.load_file(&config.aclfile, pubsub_all)
                .map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"))?;
        }
        Ok(())
    }

    /// Creates the users of `user` directives (Redis's ACLLoadConfiguredUsers): a `default`
    /// line resets the default user first.
    pub fn load_configured(
        &mut self,
        users: &[Vec<String>],
        pubsub_all: bool,
    ) -> Result<(), String> {
        for def in users {
            let name = def[0].as_bytes();
            if has_spaces(name) {
                return Err("Spaces not allowed in ACL usernames".into());
            }
            let id = match self.find(name) {
                Some(id) => {
                    let _ = self.user_mut(id).apply(b"reset", pubsub_all);
                    id
                }
                None => self.insert(User::new(name, pubsub_all)),
            };
            for rule in &def[1..] {
                if let Err(e) = self.user_mut(id).apply(rule.as_bytes(), pubsub_all) {
                    return Err(format!(
                        "Error loading ACL rule '{rule}' for the user named '{}': {}",
                        def[0],
                        e.message()
                    ));
                }
            }
            if self.user(id).flags & super::user::DISABLED != 0 {
                log::info!(
                    "The user '{}' is disabled (there is no 'on' modifier in the user \
                     description). Make sure this is not a configuration error.",
                    def[0]
                );
            }
        }
        Ok(())
    }

    /// Reads the ACL file (Redis's ACLLoadFromFile): all of it or nothing. On success the
    /// users are replaced (the default user in place, keeping its id) and the ids of the
    /// users removed are returned, so that their clients can be disconnected.
    pub fn load_file(&mut self, path: &str, pubsub_all: bool) -> Result<Vec<UserId>, String> {
        let text = std::fs::read(path).map_err(|e| {
            format!(
                "Error loading ACLs, opening file '{path}': {}",
                crate::server::startup::os_error(&e)
            )
        })?;
        let mut errors = String::new();
        let mut users: Vec<User> = Vec::new();
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let linenum = i + 1;
            let line = trim(raw, b" \t\r\n");
            if line.is_empty() {
                continue;
            }
            let argv: Vec<&[u8]> = line
                .split(|&b| b == b' ')
                .filter(|a| !a.is_empty())
                .collect();
            if argv.is_empty() {
                continue;
            }
            if argv[0] != b"user" || argv.len() < 2 {
                errors.push_str(&format!(
                    "{path}:{linenum} should start with user keyword followed by the username. "
                ));
                continue;
            }
            let name = argv[1];
            if has_spaces(name) {
                errors.push_str(&format!(
                    "'{path}:{linenum}: username '{}' contains invalid characters. ",
                    String::from_utf8_lossy(name)
                ));
                continue;
            }
            if users.iter().any(|u| u.name == name) {
                errors.push_str(&format!(
                    "WARNING: Duplicate user '{}' found on line {linenum}. ",
                    String::from_utf8_lossy(name)
                ));
                continue;
            }
            let mut u = User::new(name, pubsub_all);
            let merged = match merge_selector_args(&argv[2..]) {
                Ok(m) => m,
                Err(_) => {
                    errors.push_str(&format!(
                        "{path}:{linenum}: Unmatched parenthesis in selector definition."
                    ));
                    Vec::new()
                }
            };
            let mut syntax_error = false;
            for op in &merged {
                let op = trim(op, b"\t\r\n");
                if let Err(e) = u.apply(op, pubsub_all) {
                    if e == super::selector::RuleError::UnknownCommand {
                        errors.push_str(&format!(
                            "{path}:{linenum}: Error in applying operation '{}': {}. ",
                            String::from_utf8_lossy(op),
                            e.message()
                        ));
                    } else if !syntax_error {
                        errors.push_str(&format!("{path}:{linenum}: {}. ", e.message()));
                        syntax_error = true;
                    }
                }
            }
            users.push(u);
        }
        if !errors.is_empty() {
            errors.push_str(
                "WARNING: ACL errors detected, no change to the previously active ACL rules was \
                 performed",
            );
            return Err(errors);
        }
        let mut removed = Vec::new();
        for id in self.ids_by_name() {
            if id != DEFAULT_USER {
                let name = self.user(id).name.clone();
                removed.extend(self.remove(&name));
            }
        }
        let default = match users.iter().position(|u| u.name == b"default") {
            Some(i) => users.remove(i),
            None => User::default_user(),
        };
        *self.user_mut(DEFAULT_USER) = default;
        for u in users {
            self.insert(u);
        }
        Ok(removed)
    }

    /// Every user as a `user <name> <rules>` line, by name.
    pub fn lines(&self) -> Vec<Vec<u8>> {
        self.ids_by_name()
            .into_iter()
            .map(|id| {
                let u = self.user(id);
                let mut line = b"user ".to_vec();
                line.extend_from_slice(&u.name);
                line.push(b' ');
                line.extend(u.describe());
                line
            })
            .collect()
    }

    /// ACL SAVE: the users written to a temporary file renamed over `path`.
    pub fn save_file(&self, path: &str) -> Result<(), String> {
        let mut text = Vec::new();
        for l in self.lines() {
            text.extend(l);
            text.push(b'\n');
        }
        let tmp = format!(
            "{path}.tmp-{}-{}",
            std::process::id(),
            crate::server::unix_ms()
        );
        let result = std::fs::write(&tmp, &text).and_then(|_| std::fs::rename(&tmp, path));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            log::warn!("Saving the ACL file for ACL SAVE: {e}");
            return Err(e.to_string());
        }
        Ok(())
    }
}

fn trim<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|b| !set.contains(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !set.contains(b))
        .map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}
