//! Extra validation some parameters have beyond their kind (Redis's `is_valid_fn`), with
//! Redis's messages.

/// A parameter's extra validation (Redis's `is_valid_fn`), given the value as shown.
pub type Check = fn(&str) -> Result<(), &'static str>;

/// `activedefrag`: Redis built without its own jemalloc (as Debian's 7.0.15, the
/// reference) refuses it, and redust has nothing to defragment.
pub fn check_defrag(v: &str) -> Result<(), &'static str> {
    if v == "yes" {
        return Err(
            "Active defragmentation cannot be enabled: it requires a Redis server \
                    compiled with a modified Jemalloc like the one shipped by default with the \
                    Redis source distribution",
        );
    }
    Ok(())
}

/// `dbfilename`: a name, not a path.
pub fn check_dbfilename(v: &str) -> Result<(), &'static str> {
    if v.contains(['/', '\\']) {
        return Err("dbfilename can't be a path, just a filename");
    }
    Ok(())
}

/// `appendfilename`: a non-empty name, not a path.
pub fn check_appendfilename(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appendfilename can't be empty");
    }
    if v.contains(['/', '\\']) {
        return Err("appendfilename can't be a path, just a filename");
    }
    Ok(())
}

/// `appenddirname`: a non-empty name, not a path.
pub fn check_appenddirname(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appenddirname can't be empty");
    }
    if v.contains(['/', '\\']) {
        return Err("appenddirname can't be a path, just a dirname");
    }
    Ok(())
}

/// `shutdown-on-sigint` / `-sigterm`: SAVE and NOSAVE contradict each other.
pub fn check_shutdown_flags(v: &str) -> Result<(), &'static str> {
    let words: Vec<&str> = v.split(' ').collect();
    if words.contains(&"save") && words.contains(&"nosave") {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously");
    }
    Ok(())
}

/// `cluster-announce-hostname`: a short hostname of letters, digits, hyphens and dots.
pub fn check_hostname(v: &str) -> Result<(), &'static str> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !v
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

/// `proc-title-template`: only known `{variables}`, balanced braces, and something left
/// once expanded for an empty title (Redis's validateProcTitleTemplate).
pub fn check_proc_title(v: &str) -> Result<(), &'static str> {
    const BAD: &str = "template format is invalid or contains unknown variables";
    let mut out = String::new();
    let mut rest = v;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if after.is_empty() {
            return Err(BAD);
        }
        if let Some(quoted) = after.strip_prefix('{') {
            out.push('{');
            rest = quoted;
            continue;
        }
        let close = after.find('}').ok_or(BAD)?;
        // What each variable expands to when validating: only whether the result is
        // empty matters.
        out.push_str(match &after[..close] {
            "title" | "server-mode" | "unixsocket" => "",
            "listen-addr" | "config-file" | "port" | "tls-port" => "x",
            _ => return Err(BAD),
        });
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    if out.trim_matches(' ').is_empty() {
        return Err(BAD);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_title_templates() {
        assert!(check_proc_title("{title} {listen-addr} {server-mode}").is_ok());
        assert!(check_proc_title("{{literal}} {port}").is_ok());
        // Empty once expanded, unknown variable, unclosed brace.
        assert!(check_proc_title("{title} {server-mode}").is_err());
        assert!(check_proc_title("{nosuch}").is_err());
        assert!(check_proc_title("x {title").is_err());
        assert!(check_proc_title("x {").is_err());
    }

    #[test]
    fn names_not_paths() {
        assert!(check_dbfilename("dump.rdb").is_ok());
        assert!(check_dbfilename("a/b").is_err());
        assert!(check_dbfilename("a\\b").is_err());
        assert_eq!(
            check_appendfilename(""),
            Err("appendfilename can't be empty")
        );
        assert!(check_shutdown_flags("save nosave").is_err());
        assert!(check_shutdown_flags("nosave now force").is_ok());
        assert!(check_hostname("a_b").is_err());
        assert!(check_hostname("host-1.example").is_ok());
    }
}
