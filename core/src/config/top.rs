//! Top-level settings (§3.2): defaults, snapshot promotion (§3.5) and validation (§3.6).

use super::db::{read_db, DbSnapshot, PathEnv};
use super::duration::{format_go_duration, to_std};
use super::error::ConfigError;
use super::model::{
    Config, LogFormat, LogLevel, LoggingConfig, SnapshotConfig, SocketConfig, DEFAULT_SOCKET_PATH,
    DEFAULT_SOCKET_PERMISSIONS, MAX_COMPACTION_LEVELS,
};
use super::read::{Ctx, Obj};
use super::replica::{read_replica, SHARED_KEYS};
use super::yaml::{Node, Seg};
use std::path::PathBuf;
use std::time::Duration;

const TOP_ONLY_KEYS: &[&str] = &[
    "dbs",
    "addr",
    "socket",
    "levels",
    "snapshot",
    "validation",
    "l0-retention",
    "l0-retention-check-interval",
    "verify-compaction",
    "retention",
    "heartbeat-url",
    "heartbeat-interval",
    "shutdown-sync-timeout",
    "shutdown-sync-interval",
    "exec",
    "logging",
    "mcp-addr",
];

const SEC: i64 = 1_000_000_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;

/// Builds the whole config from the document root.
pub(crate) fn build(
    ctx: &Ctx<'_>,
    root: &Node,
    env: &PathEnv<'_>,
    log_level_env: Option<String>,
) -> Result<Config, ConfigError> {
    let keys: Vec<&str> = TOP_ONLY_KEYS.iter().chain(SHARED_KEYS).copied().collect();
    let empty = Node::Map(Vec::new());
    let root = Obj::new(ctx, Vec::new(), root, &keys)?;
    let root = match root {
        Some(r) => r,
        None => Obj::new(ctx, Vec::new(), &empty, &keys)?.expect("an empty mapping is a mapping"),
    };
    let global = read_replica(&root, env.cwd, env.home)?;

    // Durations with defaults; a null value keeps the default.
    let dur = |key: &str, default: i64| -> Result<i64, ConfigError> {
        Ok(root.duration(key)?.unwrap_or(default))
    };
    let (mut snap_interval, mut snap_retention, mut snap_interval_set, mut snap_retention_set) =
        (24 * HOUR, 24 * HOUR, false, false);
    if let Some(s) = root.obj("snapshot", &["interval", "retention"])? {
        if let Some(v) = s.duration("interval")? {
            (snap_interval, snap_interval_set) = (v, true);
        }
        if let Some(v) = s.duration("retention")? {
            (snap_retention, snap_retention_set) = (v, true);
        }
    }
    let l0_retention = dur("l0-retention", 5 * MIN)?;
    let l0_check = dur("l0-retention-check-interval", 15 * SEC)?;
    let shutdown_timeout = dur("shutdown-sync-timeout", 30 * SEC)?;
    let shutdown_interval = dur("shutdown-sync-interval", 500_000_000)?;
    let heartbeat_interval = dur("heartbeat-interval", 5 * MIN)?;
    let heartbeat_url = root.string("heartbeat-url")?;

    let levels = read_levels(&root)?;
    let dbs_nodes = root.list("dbs")?.unwrap_or_default();
    let mut dbs = Vec::with_capacity(dbs_nodes.len());
    let mut db_snaps = Vec::with_capacity(dbs_nodes.len());
    for (i, node) in dbs_nodes.iter().enumerate() {
        let (db, snap) = read_db(ctx, i, node, &global, env)?;
        dbs.push(db);
        db_snaps.push(snap);
    }
    check_distinct(ctx, &dbs)?;
    if let Some(v) = promote(&db_snaps, |s| s.interval, "intervals")? {
        if !snap_interval_set {
            snap_interval = v;
        }
    }
    if let Some(v) = promote(&db_snaps, |s| s.retention, "retentions")? {
        if !snap_retention_set {
            snap_retention = v;
        }
    }

    // §3.6, in the Go daemon's order.
    let check = |ok: bool, key: &str, reason: &str, got: i64| -> Result<(), ConfigError> {
        if ok {
            return Ok(());
        }
        let path: Vec<Seg> = key.split('.').map(|k| Seg::Key(k.to_string())).collect();
        Err(ctx.invalid(
            &path,
            format!("{key}: {reason} (got {})", format_go_duration(got)),
        ))
    };
    check(
        snap_interval > 0,
        "snapshot.interval",
        "snapshot interval must be greater than 0",
        snap_interval,
    )?;
    check(
        snap_retention > 0,
        "snapshot.retention",
        "snapshot retention must be greater than 0",
        snap_retention,
    )?;
    check(
        l0_retention >= 0,
        "l0-retention",
        "l0 retention must not be negative (0 keeps L0 files forever)",
        l0_retention,
    )?;
    check(
        l0_check > 0,
        "l0-retention-check-interval",
        "l0 retention check interval must be greater than 0",
        l0_check,
    )?;
    check(
        shutdown_timeout >= 0,
        "shutdown-sync-timeout",
        "shutdown-sync-timeout must be >= 0",
        shutdown_timeout,
    )?;
    check(
        shutdown_interval > 0,
        "shutdown-sync-interval",
        "shutdown sync interval must be greater than 0",
        shutdown_interval,
    )?;
    if let Some(u) = &heartbeat_url {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(root.err(
                "heartbeat-url",
                format!("heartbeat URL must start with http:// or https:// (got {u:?})"),
            ));
        }
    }
    check(
        heartbeat_interval >= MIN,
        "heartbeat-interval",
        "heartbeat interval must be at least 1m0s",
        heartbeat_interval,
    )?;

    let addr = read_addr(&root, "addr")?;
    let mcp_addr = read_addr(&root, "mcp-addr")?;
    let validation_interval = match root.obj("validation", &["interval"])? {
        Some(v) => v.duration("interval")?.filter(|&n| n > 0).map(to_std),
        None => None,
    };
    let retention_enabled = match root.obj("retention", &["enabled"])? {
        Some(r) => r.bool("enabled")?.unwrap_or(true),
        None => true,
    };

    Ok(Config {
        dbs,
        addr,
        mcp_addr,
        socket: read_socket(&root)?,
        levels,
        snapshot: SnapshotConfig {
            interval: to_std(snap_interval),
            retention: to_std(snap_retention),
        },
        validation_interval,
        l0_retention: to_std(l0_retention),
        l0_retention_check_interval: to_std(l0_check),
        verify_compaction: root.bool("verify-compaction")?.unwrap_or(false),
        retention_enabled,
        heartbeat_url,
        heartbeat_interval: to_std(heartbeat_interval),
        shutdown_sync_timeout: to_std(shutdown_timeout),
        shutdown_sync_interval: to_std(shutdown_interval),
        exec: root.string("exec")?.unwrap_or_default(),
        logging: read_logging(&root, log_level_env)?,
    })
}

/// `levels:` — a null or empty list leaves only L0 and L9.
fn read_levels(root: &Obj<'_, '_>) -> Result<Vec<Duration>, ConfigError> {
    let nodes = match root.raw("levels") {
        None => {
            return Ok(vec![
                Duration::from_secs(30),
                Duration::from_secs(300),
                Duration::from_secs(3600),
            ])
        }
        Some(Node::Null) => return Ok(Vec::new()),
        Some(_) => root.list("levels")?.unwrap_or_default(),
    };
    if nodes.len() > MAX_COMPACTION_LEVELS {
        return Err(root.err(
            "levels",
            format!(
                "compaction level cannot exceed {MAX_COMPACTION_LEVELS} (got {} levels)",
                nodes.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let mut path = root.child("levels");
        path.push(Seg::Index(i));
        let interval = match root.sub(path.clone(), node, &["interval"])? {
            Some(l) => l.duration("interval")?.unwrap_or(0),
            None => 0,
        };
        if interval <= 0 {
            path.push(Seg::Key("interval".into()));
            let msg = format!(
                "levels[{i}].interval: compaction interval must be greater than 0 (got {})",
                format_go_duration(interval)
            );
            return Err(root.ctx_invalid(&path, msg));
        }
        out.push(to_std(interval));
    }
    Ok(out)
}

fn read_socket(root: &Obj<'_, '_>) -> Result<SocketConfig, ConfigError> {
    let default = SocketConfig {
        enabled: false,
        path: PathBuf::from(DEFAULT_SOCKET_PATH),
        permissions: DEFAULT_SOCKET_PERMISSIONS,
    };
    let Some(s) = root.obj("socket", &["enabled", "path", "permissions"])? else {
        return Ok(default);
    };
    let permissions = match s.int("permissions")? {
        None => DEFAULT_SOCKET_PERMISSIONS,
        Some(p) => u32::try_from(p).map_err(|_| {
            s.err(
                "permissions",
                format!("must be a file mode such as 0600 (got {p})"),
            )
        })?,
    };
    Ok(SocketConfig {
        enabled: s.bool("enabled")?.unwrap_or(false),
        path: s.string("path")?.map_or(default.path, PathBuf::from),
        permissions,
    })
}

fn read_logging(
    root: &Obj<'_, '_>,
    log_level_env: Option<String>,
) -> Result<LoggingConfig, ConfigError> {
    let l = root.obj("logging", &["level", "type", "stderr", "source"])?;
    let get = |k: &str| l.as_ref().map_or(Ok(None), |l| l.string(k));
    let getb = |k: &str| l.as_ref().map_or(Ok(None), |l| l.bool(k));
    let level = log_level_env
        .filter(|v| !v.is_empty())
        .or(get("level")?)
        .unwrap_or_default();
    let format = match get("type")?.as_deref() {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some("pretty") => LogFormat::Pretty,
        Some(other) => {
            let l = l.as_ref().expect("a type value implies a logging block");
            return Err(l.err(
                "type",
                format!("unknown log type {other:?} (use text, json or pretty)"),
            ));
        }
    };
    Ok(LoggingConfig {
        level: LogLevel::from_name(&level),
        format,
        stderr: getb("stderr")?.unwrap_or(false),
        source: getb("source")?.unwrap_or(false),
    })
}

/// `host:port` listener addresses; the port is required.
fn read_addr(root: &Obj<'_, '_>, key: &str) -> Result<Option<String>, ConfigError> {
    let Some(addr) = root.string(key)? else {
        return Ok(None);
    };
    let port_ok = addr
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    if !port_ok {
        return Err(root.err(key, format!("must specify port for bind address: {addr:?} (e.g. \":9090\" or \"127.0.0.1:9090\")")));
    }
    Ok(Some(addr))
}

/// The common DB-level snapshot value, or a conflict error (§3.5).
fn promote(
    snaps: &[DbSnapshot],
    get: impl Fn(&DbSnapshot) -> Option<i64>,
    what: &str,
) -> Result<Option<i64>, ConfigError> {
    let mut first: Option<(&str, i64)> = None;
    for s in snaps {
        let Some(v) = get(s) else { continue };
        match first {
            None => first = Some((&s.name, v)),
            Some((name, fv)) if fv != v => {
                return Err(ConfigError::invalid(format!(
                    "conflicting database snapshot {what}: {name} has {}, {} has {}",
                    format_go_duration(fv),
                    s.name,
                    format_go_duration(v)
                )));
            }
            Some(_) => {}
        }
    }
    Ok(first.map(|(_, v)| v))
}

/// Two entries for one database, or two databases sharing one replica location, would
/// overwrite each other's LTX files: refuse the config, naming both entries.
fn check_distinct(ctx: &Ctx<'_>, dbs: &[super::model::DbConfig]) -> Result<(), ConfigError> {
    for (j, b) in dbs.iter().enumerate() {
        for (i, a) in dbs[..j].iter().enumerate() {
            let at = |key: &str| [Seg::Key("dbs".into()), Seg::Index(j), Seg::Key(key.into())];
            if let (Some(pa), Some(pb)) = (a.path(), b.path()) {
                if pa == pb {
                    return Err(ctx.invalid(
                        &at("path"),
                        format!(
                            "database {} is listed twice (dbs[{i}] and dbs[{j}]): keep one entry",
                            pb.display()
                        ),
                    ));
                }
            }
            let (la, lb) = (a.replica.target.location(), b.replica.target.location());
            if la == lb {
                return Err(ctx.invalid(
                    &at("replica"),
                    format!("dbs[{i}] and dbs[{j}] replicate to the same place ({lb}): their LTX files would overwrite each other; give each database its own replica path"),
                ));
            }
        }
    }
    Ok(())
}
