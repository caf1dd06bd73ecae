//! Local commands that read the config and the meta directories but never talk to a
//! daemon: `databases`, `status`, `reset`, and the tab-aligned table printer they share.

use std::path::Path;

use litestream_core::config::{Config, DbSource};
use litestream_core::ltx;

use crate::{flag_true, parse_flags, setup};

/// Go `text/tabwriter` with min width 0, tab width 8, padding 2, space fill: every cell
/// but the last of a row is padded to its column's width plus 2.
pub fn tabwrite(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate().take(r.len().saturating_sub(1)) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            out.push_str(c);
            if i + 1 < r.len() {
                out.push_str(&" ".repeat(widths[i] + 2 - c.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

fn load(flags: &std::collections::BTreeMap<String, String>) -> Result<Config, String> {
    setup::load_config(
        flags.get("config").map(String::as_str),
        !flag_true(flags, "no-expand-env"),
    )
}

/// `litestream databases [-config P] [-no-expand-env] [-json]`.
pub fn databases(args: &[String]) -> Result<(), String> {
    let (flags, pos) = parse_flags("databases", args, &["config"], &["no-expand-env", "json"])?;
    if !pos.is_empty() {
        return Err("too many arguments".into());
    }
    let cfg = load(&flags)?;
    let mut rows = vec![vec!["path".to_string(), "replica".to_string()]];
    let mut json = Vec::new();
    for db in &cfg.dbs {
        let path = match &db.source {
            DbSource::Path { path, .. } => path.display().to_string(),
            DbSource::Dir(d) => d.dir.display().to_string(),
        };
        let kind = db.replica.target.type_name();
        json.push(serde_json::json!({"path": path, "replica": kind}));
        rows.push(vec![path, kind.to_string()]);
    }
    if flag_true(&flags, "json") {
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    } else {
        print!("{}", tabwrite(&rows));
    }
    Ok(())
}

/// SI byte size as go-humanize prints it (`0 B`, `4.1 MB`).
pub fn si_bytes(n: u64) -> String {
    if n < 10 {
        return format!("{n} B");
    }
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let e = ((n as f64).ln() / 1000f64.ln()).floor() as usize;
    let e = e.min(units.len() - 1);
    let val = n as f64 / 1000f64.powi(e as i32);
    if e == 0 {
        format!("{n} B")
    } else if val < 10.0 {
        format!("{:.1} {}", (val * 10.0 + 0.5).floor() / 10.0, units[e])
    } else {
        format!("{:.0} {}", (val + 0.5).floor(), units[e])
    }
}

/// Newest L0 TXID in a meta directory: `Ok(None)` when there are no files.
fn local_txid(meta: &Path) -> Result<Option<u64>, String> {
    let dir = meta.join("ltx").join("0");
    match std::fs::read_dir(&dir) {
        Ok(rd) => Ok(rd
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                ltx::parse_filename(&e.file_name().to_string_lossy()).map(|(_, max)| max)
            })
            .max()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// `litestream status [-config P] [-no-expand-env] [-json] [DB_PATH]`.
pub fn status(args: &[String]) -> Result<(), String> {
    let (flags, pos) = parse_flags("status", args, &["config"], &["no-expand-env", "json"])?;
    if pos.len() > 1 {
        return Err("too many arguments".into());
    }
    let cfg = load(&flags)?;
    let mut rows = vec![["database", "status", "local txid", "wal size"]
        .map(String::from)
        .to_vec()];
    let mut json = Vec::new();
    for db in &cfg.dbs {
        let DbSource::Path { path, meta_path } = &db.source else {
            continue;
        };
        if let Some(filter) = pos.first() {
            if Path::new(filter) != path.as_path() {
                continue;
            }
        }
        let (status, txid) = if !path.exists() {
            ("no database", "-".to_string())
        } else {
            match local_txid(meta_path) {
                Ok(Some(t)) => ("ok", ltx::format_txid(t)),
                Ok(None) => ("not initialized", "-".to_string()),
                Err(_) => ("error", "-".to_string()),
            }
        };
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal_size = match std::fs::metadata(&wal) {
            Ok(m) => si_bytes(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => "0 B".into(),
            Err(_) => "-".into(),
        };
        let p = path.display().to_string();
        json.push(serde_json::json!({"database": p, "status": status, "local_txid": txid, "wal_size": wal_size}));
        rows.push(vec![p, status.into(), txid, wal_size]);
    }
    if flag_true(&flags, "json") {
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    } else {
        print!("{}", tabwrite(&rows));
    }
    Ok(())
}

/// `litestream reset [-config P] [-no-expand-env] [-dry-run] DB_PATH`.
pub fn reset(args: &[String]) -> Result<(), String> {
    let (flags, pos) = parse_flags("reset", args, &["config"], &["no-expand-env", "dry-run"])?;
    let [db] = pos.as_slice() else {
        return Err(if pos.is_empty() {
            "database path required".into()
        } else {
            "too many arguments".into()
        });
    };
    let db = setup::expand_db_path(db)?;
    if !db.exists() {
        return Err(format!("database does not exist: {}", db.display()));
    }
    let meta = if flags.contains_key("config") {
        let cfg = load(&flags)?;
        match &setup::find_db(&cfg, &db)?.source {
            DbSource::Path { meta_path, .. } => meta_path.clone(),
            DbSource::Dir(_) => litestream_core::config::paths::default_meta_path(&db),
        }
    } else {
        litestream_core::config::paths::default_meta_path(&db)
    };
    let ltx_dir = meta.join("ltx");
    if !meta.exists() {
        println!("No local state to reset for {}", db.display());
        println!("Meta directory does not exist: {}", meta.display());
        return Ok(());
    }
    if flag_true(&flags, "dry-run") {
        println!(
            "Dry run: local Litestream state would be reset for: {}",
            db.display()
        );
        println!("Would remove: {}", ltx_dir.display());
        let mut files = Vec::new();
        collect_files(&ltx_dir, &mut files);
        if files.is_empty() {
            println!("No local LTX files would be removed.");
        } else {
            println!("Files that would be removed:");
            for f in files {
                println!("  {}", f.display());
            }
        }
        println!("No files were removed.");
        return Ok(());
    }
    // A running daemon would go on writing into the directory removed under it; holding
    // the claim also keeps one from starting until the reset is done.
    let _claim = crate::sqlite::claim(&db).map_err(|e| {
        if e.message.contains("another litestream process") {
            format!(
                "{} is being replicated by a running litestream process: stop it before reset",
                db.display()
            )
        } else {
            e.message
        }
    })?;
    println!("Resetting local Litestream state for: {}", db.display());
    println!("Removing: {}", ltx_dir.display());
    match std::fs::remove_dir_all(&ltx_dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("remove {}: {e}", ltx_dir.display())),
    }
    println!("Reset complete. Next replication sync will create a fresh snapshot.");
    Ok(())
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabwriter_pads_all_but_the_last_column() {
        let rows = vec![
            vec!["path".to_string(), "replica".into()],
            vec!["/var/lib/app.db".into(), "s3".into()],
        ];
        assert_eq!(
            tabwrite(&rows),
            "path             replica\n/var/lib/app.db  s3\n"
        );
    }

    #[test]
    fn si_sizes_like_go_humanize() {
        assert_eq!(si_bytes(0), "0 B");
        assert_eq!(si_bytes(999), "999 B");
        assert_eq!(si_bytes(4_120_032), "4.1 MB");
        assert_eq!(si_bytes(82_000), "82 kB");
    }
}
