//! `dbs[]` entries (§3.3): reading, path expansion, validation and replica resolution.

use super::duration::{format_go_duration, to_std};
use super::error::ConfigError;
use super::model::{
    DbConfig, DbSource, DirSource, DEFAULT_MAX_SYNC_WAL_BYTES, DEFAULT_MIN_CHECKPOINT_PAGE_COUNT,
    DEFAULT_TRUNCATE_PAGE_N,
};
use super::paths::{default_meta_path, expand_path};
use super::read::{Ctx, Obj};
use super::replica::{
    inherit, read_replica, resolve_replica, RawReplica, REPLICA_ONLY_KEYS, SHARED_KEYS,
};
use super::yaml::{Node, Seg};
use std::path::Path;
use std::time::Duration;

const DB_KEYS: &[&str] = &[
    "path",
    "dir",
    "pattern",
    "recursive",
    "watch",
    "meta-path",
    "meta-dir",
    "monitor-interval",
    "checkpoint-interval",
    "busy-timeout",
    "min-checkpoint-page-count",
    "truncate-page-n",
    "max-sync-wal-bytes",
    "restore-if-db-not-exists",
    "snapshot",
    "replica",
    "replicas",
];

/// Snapshot values a DB entry asks for (promoted to the global schedule, §3.5).
#[derive(Debug, Clone, Default)]
pub(crate) struct DbSnapshot {
    /// Identifier for conflict messages (the path or dir as written, expanded).
    pub(crate) name: String,
    pub(crate) interval: Option<i64>,
    pub(crate) retention: Option<i64>,
}

/// Where the parser finds the environment it needs for paths.
pub(crate) struct PathEnv<'a> {
    pub(crate) cwd: &'a Path,
    pub(crate) home: Option<&'a Path>,
}

/// Reads and resolves `dbs[index]`.
pub(crate) fn read_db(
    ctx: &Ctx<'_>,
    index: usize,
    node: &Node,
    global: &RawReplica,
    env: &PathEnv<'_>,
) -> Result<(DbConfig, DbSnapshot), ConfigError> {
    let path = vec![Seg::Key("dbs".into()), Seg::Index(index)];
    let Some(obj) = Obj::new(ctx, path.clone(), node, DB_KEYS)? else {
        return Err(ctx.invalid(
            &path,
            format!(
                "database config #{}: must specify either 'path' or 'dir'",
                index + 1
            ),
        ));
    };
    let n = index + 1;
    let fail = |msg: String| ctx.invalid(&path, format!("database config #{n}: {msg}"));
    let expand = |key: &str| -> Result<Option<std::path::PathBuf>, ConfigError> {
        match obj.string(key)? {
            Some(p) => expand_path(&p, env.cwd, env.home)
                .map(Some)
                .map_err(|e| obj.err(key, e)),
            None => Ok(None),
        }
    };
    let db_path = expand("path")?;
    let dir = expand("dir")?;
    let pattern = obj.string("pattern")?;
    let watch = obj.bool("watch")?.unwrap_or(false);
    let recursive = obj.bool("recursive")?.unwrap_or(false);
    let meta_path = expand("meta-path")?;
    let meta_dir = expand("meta-dir")?;
    match (&db_path, &dir) {
        (Some(_), Some(_)) => return Err(fail("cannot specify both 'path' and 'dir'".into())),
        (None, None) => return Err(fail("must specify either 'path' or 'dir'".into())),
        _ => {}
    }
    if dir.is_some() && pattern.is_none() {
        return Err(fail(
            "'pattern' is required when using 'dir' (e.g. pattern: \"*.db\")".into(),
        ));
    }
    if watch && dir.is_none() {
        return Err(fail("'watch' can only be enabled with a directory".into()));
    }
    if meta_dir.is_some() && dir.is_none() {
        return Err(fail(
            "'meta-dir' can only be used with 'dir' (use 'meta-path' for a single database)".into(),
        ));
    }
    if meta_dir.is_some() && meta_path.is_some() {
        return Err(fail(
            "cannot specify both 'meta-path' and 'meta-dir'".into(),
        ));
    }
    let name = db_path
        .as_ref()
        .or(dir.as_ref())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let source = match (db_path, dir) {
        (Some(p), _) => DbSource::Path {
            meta_path: meta_path.unwrap_or_else(|| default_meta_path(&p)),
            path: p,
        },
        (None, Some(d)) => DbSource::Dir(DirSource {
            dir: d,
            pattern: pattern.unwrap_or_default(),
            recursive,
            watch,
            meta_path,
            meta_dir,
        }),
        (None, None) => return Err(fail("must specify either 'path' or 'dir'".into())),
    };

    let mut snapshot = DbSnapshot {
        name: name.clone(),
        ..DbSnapshot::default()
    };
    if let Some(s) = obj.obj("snapshot", &["interval", "retention"])? {
        snapshot.interval = s.duration("interval")?;
        snapshot.retention = s.duration("retention")?;
    }

    let min_pages = obj
        .int("min-checkpoint-page-count")?
        .unwrap_or(DEFAULT_MIN_CHECKPOINT_PAGE_COUNT as i64);
    if min_pages <= 0 {
        return Err(obj.err(
            "min-checkpoint-page-count",
            format!(
                "minimum checkpoint page count required: must be greater than 0 (got {min_pages})"
            ),
        ));
    }
    let truncate = match obj.int("truncate-page-n")? {
        None | Some(0) => Some(DEFAULT_TRUNCATE_PAGE_N),
        Some(n) if n < 0 => None,
        Some(n) => Some(n as u64),
    };
    let max_wal = match obj.int("max-sync-wal-bytes")? {
        None => Some(DEFAULT_MAX_SYNC_WAL_BYTES),
        Some(n) if n <= 0 => None,
        Some(n) => Some(n as u64),
    };
    let positive = |ns: Option<i64>, default: Duration| match ns {
        None => Some(default),
        Some(n) if n <= 0 => None,
        Some(n) => Some(to_std(n)),
    };
    let busy = match obj.duration("busy-timeout")? {
        Some(n) if n < 0 => {
            return Err(obj.err(
                "busy-timeout",
                format!(
                    "busy timeout must not be negative (got {})",
                    format_go_duration(n)
                ),
            ))
        }
        Some(n) => to_std(n),
        None => Duration::from_secs(1),
    };

    let replica = read_db_replica(&obj, global, env, n)?;
    let db = DbConfig {
        source,
        monitor_interval: positive(obj.duration("monitor-interval")?, Duration::from_secs(1)),
        checkpoint_interval: positive(
            obj.duration("checkpoint-interval")?,
            Duration::from_secs(60),
        ),
        busy_timeout: busy,
        min_checkpoint_page_count: min_pages as u64,
        truncate_page_n: truncate,
        max_sync_wal_bytes: max_wal,
        restore_if_db_not_exists: obj.bool("restore-if-db-not-exists")?.unwrap_or(false),
        replica,
    };
    Ok((db, snapshot))
}

/// The `replica` / `replicas` rules and the replica's resolution.
fn read_db_replica(
    obj: &Obj<'_, '_>,
    global: &RawReplica,
    env: &PathEnv<'_>,
    n: usize,
) -> Result<super::model::ReplicaConfig, ConfigError> {
    let keys: Vec<&str> = REPLICA_ONLY_KEYS
        .iter()
        .chain(SHARED_KEYS)
        .copied()
        .collect();
    let single = obj.obj("replica", &keys)?;
    let list = obj.list("replicas")?.unwrap_or_default();
    let fail =
        |msg: &str| obj.block_error(ConfigError::invalid(format!("database config #{n}: {msg}")));
    let robj = match (single, list.len()) {
        (None, 0) => return Err(fail("must specify replica for database")),
        (Some(_), l) if l > 0 => {
            return Err(fail(
                "cannot specify 'replica' and 'replicas' on a database",
            ))
        }
        (None, l) if l > 1 => {
            return Err(fail(
                "multiple replicas on a single database are no longer supported",
            ))
        }
        (Some(r), _) => r,
        (None, _) => {
            let mut p = obj.child("replicas");
            p.push(Seg::Index(0));
            match obj.sub(p, &list[0], &keys)? {
                Some(r) => r,
                None => return Err(fail("must specify replica for database")),
            }
        }
    };
    let mut raw = read_replica(&robj, env.cwd, env.home)?;
    inherit(&mut raw, global);
    resolve_replica(&raw, &robj, env.cwd, env.home)
}
