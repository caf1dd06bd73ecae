//! Database path arguments of the control API: `sqlite3://`/`sqlite://` prefixes, `~`,
//! and lexical cleaning, as IPC.md §2 describes. Pure: the caller passes home.

use std::path::{Component, Path, PathBuf};

/// Expand a path argument. Relative paths are rejected: clients must send absolute
/// paths (the CLI expands them), so a daemon never guesses against its own directory.
pub fn expand(raw: &str, home: Option<&Path>) -> Result<PathBuf, String> {
    let s = raw
        .strip_prefix("sqlite3://")
        .or_else(|| raw.strip_prefix("sqlite://"))
        .unwrap_or(raw);
    if s.is_empty() {
        return Err("path required".into());
    }
    let p = if s == "~" || s.starts_with("~/") {
        let home = home.ok_or("invalid path: cannot expand ~: home directory unknown")?;
        home.join(s.trim_start_matches('~').trim_start_matches('/'))
    } else {
        PathBuf::from(s)
    };
    if !p.is_absolute() {
        return Err(format!(
            "invalid path: {raw:?} is relative; send an absolute path"
        ));
    }
    Ok(clean(&p))
}

/// Lexically clean an absolute path (`.`/`..` removed, no trailing slash).
pub fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_prefixes_home_and_dots() {
        let home = Path::new("/home/u");
        assert_eq!(
            expand("/a/b/../c.db", None).unwrap(),
            PathBuf::from("/a/c.db")
        );
        assert_eq!(
            expand("sqlite3:///a/./c.db", None).unwrap(),
            PathBuf::from("/a/c.db")
        );
        assert_eq!(
            expand("sqlite:///x.db", None).unwrap(),
            PathBuf::from("/x.db")
        );
        assert_eq!(
            expand("~/d.db", Some(home)).unwrap(),
            PathBuf::from("/home/u/d.db")
        );
        assert!(expand("rel.db", Some(home))
            .unwrap_err()
            .contains("relative"));
        assert_eq!(expand("", None).unwrap_err(), "path required");
    }
}
