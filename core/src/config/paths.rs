//! Path handling: Go's lexical `path.Clean`, config path expansion (§3.1.5, IPC.md §2)
//! and the local meta directory naming.

use std::path::{Path, PathBuf};

/// Suffix of a database's local meta directory (`.<name>-litestream`).
pub const META_DIR_SUFFIX: &str = "-litestream";

/// Go's `path.Clean`: drops `.` and empty elements, resolves `..` lexically, keeps a
/// leading `/`, and returns `"."` for an empty result.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|&l| l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            _ => parts.push(part),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

/// Go's `path.Join`: joins non-empty elements with `/` and cleans; `""` if all are empty.
pub fn join(parts: &[&str]) -> String {
    let joined: Vec<&str> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
    if joined.is_empty() {
        return String::new();
    }
    clean(&joined.join("/"))
}

/// Strips a leading `sqlite3://` or `sqlite://` connection-string prefix.
pub fn strip_sqlite_prefix(s: &str) -> &str {
    s.strip_prefix("sqlite3://")
        .or_else(|| s.strip_prefix("sqlite://"))
        .unwrap_or(s)
}

/// Expands a config or API path: strip `sqlite3://`/`sqlite://`, `~` or `~/…` → `home`,
/// make absolute against `cwd`, clean lexically.
///
/// Errors only when the path needs a home directory and none is known.
pub fn expand_path(s: &str, cwd: &Path, home: Option<&Path>) -> Result<PathBuf, String> {
    let s = strip_sqlite_prefix(s);
    let joined = if s == "~" || s.starts_with("~/") {
        let home = home
            .map(|h| h.to_string_lossy().into_owned())
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("cannot expand path {s}, no home directory available"))?;
        format!("{home}/{}", &s[1..])
    } else if s.starts_with('/') {
        s.to_string()
    } else {
        format!("{}/{s}", cwd.to_string_lossy())
    };
    Ok(PathBuf::from(clean(&joined)))
}

/// The default meta directory of a database: `<dir>/.<name>-litestream`.
pub fn default_meta_path(db_path: &Path) -> PathBuf {
    let name = db_path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let dir = db_path.parent().unwrap_or(Path::new("/"));
    dir.join(format!(".{name}{META_DIR_SUFFIX}"))
}

/// Meta directory of a database found under a `dir:` entry whose `meta-path` is `base`:
/// `<base>/<relative dir>/.<file>-litestream`.
pub fn meta_path_for_dir_entry(base: &Path, rel: &str) -> PathBuf {
    let rel = clean(rel);
    if rel == "." {
        return base.to_path_buf();
    }
    let (dir, file) = rel.rsplit_once('/').unwrap_or(("", &rel));
    let mut out = base.to_path_buf();
    if !dir.is_empty() {
        out.push(dir);
    }
    out.push(format!(".{file}{META_DIR_SUFFIX}"));
    out
}

/// Meta directory of a database found under a `dir:` entry whose `meta-dir` is `base`:
/// `<base>/<relative path>-litestream` (no leading dot).
pub fn meta_dir_for_dir_entry(base: &Path, rel: &str) -> PathBuf {
    base.join(format!("{}{META_DIR_SUFFIX}", clean(rel)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        let cases = [
            ("", "."),
            (".", "."),
            ("/", "/"),
            ("//a//b/", "/a/b"),
            ("a/./b/../c", "a/c"),
            ("/../a", "/a"),
            ("../../a", "../../a"),
            ("a/..", "."),
            ("/a/b/../../..", "/"),
        ];
        for (i, want) in cases {
            assert_eq!(clean(i), want, "{i:?}");
        }
        assert_eq!(join(&["tenants", "acme/data.db"]), "tenants/acme/data.db");
        assert_eq!(join(&["", "x"]), "x");
    }

    #[test]
    fn expand_path_rules() {
        let cwd = Path::new("/work/app");
        let home = Some(Path::new("/home/me"));
        let e = |s| expand_path(s, cwd, home).unwrap();
        assert_eq!(e("db.sqlite"), PathBuf::from("/work/app/db.sqlite"));
        assert_eq!(e("../x/./db"), PathBuf::from("/work/x/db"));
        assert_eq!(e("/abs//db/"), PathBuf::from("/abs/db"));
        assert_eq!(e("~"), PathBuf::from("/home/me"));
        assert_eq!(e("~/data/db"), PathBuf::from("/home/me/data/db"));
        assert_eq!(e("~other/db"), PathBuf::from("/work/app/~other/db"));
        assert_eq!(e("sqlite3:///var/db"), PathBuf::from("/var/db"));
        assert_eq!(e("sqlite://rel.db"), PathBuf::from("/work/app/rel.db"));
        assert_eq!(
            expand_path("~/x", cwd, None).unwrap_err(),
            "cannot expand path ~/x, no home directory available"
        );
    }

    #[test]
    fn meta_paths() {
        assert_eq!(
            default_meta_path(Path::new("/data/app.db")),
            PathBuf::from("/data/.app.db-litestream")
        );
        let base = Path::new("/meta");
        assert_eq!(
            meta_path_for_dir_entry(base, "acme/data.db"),
            PathBuf::from("/meta/acme/.data.db-litestream")
        );
        assert_eq!(
            meta_path_for_dir_entry(base, "data.db"),
            PathBuf::from("/meta/.data.db-litestream")
        );
        assert_eq!(
            meta_dir_for_dir_entry(base, "acme/data.db"),
            PathBuf::from("/meta/acme/data.db-litestream")
        );
    }
}
