//! Directory replication (`dir:` entries): find the SQLite databases in a directory whose
//! base names match a glob pattern (CLI_CONFIG.md §3.7).

use std::path::Path;

/// Relative paths (`/`-separated) of matching SQLite databases under `dir`.
pub fn scan(dir: &Path, pattern: &str, recursive: bool) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    walk(dir, "", pattern, recursive, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(
    dir: &Path,
    rel: &str,
    pattern: &str,
    recursive: bool,
    out: &mut Vec<String>,
) -> Result<(), String> {
    let rd =
        std::fs::read_dir(dir).map_err(|e| format!("scan directory {}: {e}", dir.display()))?;
    for entry in rd {
        let entry = entry.map_err(|e| format!("scan directory {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let child_rel = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let ft = entry
            .file_type()
            .map_err(|e| format!("scan {}: {e}", entry.path().display()))?;
        if ft.is_dir() {
            if recursive {
                walk(&entry.path(), &child_rel, pattern, recursive, out)?;
            }
            continue;
        }
        if !ft.is_file()
            || ["-wal", "-shm", "-journal"]
                .iter()
                .any(|s| name.ends_with(s))
            || !glob(pattern, &name)
        {
            continue;
        }
        if crate::sqlite::check_header(&entry.path()).is_ok()
            && std::fs::metadata(entry.path()).is_ok_and(|m| m.len() >= 16)
        {
            out.push(child_rel);
        }
    }
    Ok(())
}

/// Shell-style glob: `*`, `?`, `[...]` character classes.
pub fn glob(pattern: &str, name: &str) -> bool {
    fn rec(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| rec(&p[1..], &n[i..])),
            Some('?') => !n.is_empty() && rec(&p[1..], &n[1..]),
            Some('[') => {
                let Some(end) = p.iter().position(|c| *c == ']') else {
                    return !n.is_empty() && n[0] == '[' && rec(&p[1..], &n[1..]);
                };
                let Some(&c) = n.first() else { return false };
                let class = &p[1..end];
                let (neg, class) = match class.first() {
                    Some('^' | '!') => (true, &class[1..]),
                    _ => (false, class),
                };
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == '-' {
                        hit |= class[i] <= c && c <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == c;
                        i += 1;
                    }
                }
                hit != neg && rec(&p[end + 1..], &n[1..])
            }
            Some(&pc) => n.first() == Some(&pc) && rec(&p[1..], &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    rec(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("*.db", "app.db"));
        assert!(!glob("*.db", "app.db-wal"));
        assert!(glob("t?.sqlite", "t1.sqlite"));
        assert!(glob("[a-c]*.db", "b.db"));
        assert!(!glob("[!a-c]*.db", "b.db"));
    }
}
