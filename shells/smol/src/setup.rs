//! From configuration to running parts: loading `litestream.yml` with the process's
//! environment, mapping database entries to the core's settings, and building replica
//! clients for replica targets and URLs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use litestream_core::config::{
    self, Config, DbConfig, DbSource, ParseEnv, ReplicaTarget, UrlDialect, UrlEnv,
};
use litestream_core::db::checkpoint::CheckpointPolicy;
use litestream_core::db::maintenance::MaintenanceSettings;
use litestream_core::db::{DbPaths, DbSettings};

use crate::replica::file::FileReplica;
use crate::replica::s3::{S3Options, S3Replica};
use crate::replica::ReplicaClient;

/// The default config path: `$LITESTREAM_CONFIG`, else `/etc/litestream.yml`.
pub fn default_config_path() -> PathBuf {
    std::env::var_os("LITESTREAM_CONFIG")
        .map_or_else(|| PathBuf::from("/etc/litestream.yml"), PathBuf::from)
}

/// The home directory, if known.
pub fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// The working directory.
pub fn cwd() -> Result<PathBuf, String> {
    std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))
}

/// Read and parse a config file.
pub fn load_config(path: Option<&str>, expand_env: bool) -> Result<Config, String> {
    let path = path.map_or_else(default_config_path, PathBuf::from);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("config file not found: {}", path.display()))
        }
        Err(e) => return Err(format!("read config file {}: {e}", path.display())),
    };
    let cwd = cwd()?;
    let home = home();
    let lookup = |k: &str| std::env::var(k).ok();
    let env = ParseEnv {
        lookup_env: &lookup,
        cwd: &cwd,
        home: home.as_deref(),
        expand_env,
        pid: std::process::id(),
    };
    config::parse(&text, &env).map_err(|e| format!("{}: {e}", path.display()))
}

/// Store-wide maintenance settings of a config.
pub fn maintenance(cfg: &Config) -> MaintenanceSettings {
    MaintenanceSettings {
        levels: cfg.levels.clone(),
        snapshot_interval: cfg.snapshot.interval,
        snapshot_retention: cfg.snapshot.retention,
        l0_retention: cfg.l0_retention,
        l0_retention_check_interval: cfg.l0_retention_check_interval,
        retention_enabled: cfg.retention_enabled,
        snapshots: true,
    }
}

/// Core settings for one `path:` database entry.
pub fn db_settings(cfg: &Config, db: &DbConfig) -> Option<DbSettings> {
    let DbSource::Path { path, meta_path } = &db.source else {
        return None;
    };
    let as_u32 = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    Some(DbSettings {
        paths: DbPaths::new(path.clone(), meta_path.clone()),
        monitor_interval: db.monitor_interval,
        checkpoint: CheckpointPolicy {
            min_pages: as_u32(db.min_checkpoint_page_count),
            truncate_pages: db.truncate_page_n.map(as_u32),
            interval: db.checkpoint_interval,
        },
        busy_timeout: db.busy_timeout,
        max_sync_wal_bytes: db.max_sync_wal_bytes,
        sync_interval: db.replica.sync_interval,
        maintenance: maintenance(cfg),
        min_pass_gap: litestream_core::db::DEFAULT_MIN_PASS_GAP,
        replica_location: replica_location(&db.replica.target),
    })
}

/// A client for a resolved replica target.
pub fn replica_client(target: &ReplicaTarget) -> Result<Arc<dyn ReplicaClient>, String> {
    match target {
        ReplicaTarget::File { path } => Ok(Arc::new(FileReplica::new(path.clone()))),
        ReplicaTarget::S3(t) => {
            let opts = S3Options {
                bucket: t.bucket.clone(),
                path: t.path.clone(),
                region: t.region.clone(),
                endpoint: t.endpoint.clone(),
                force_path_style: t.force_path_style,
                skip_verify: t.skip_verify,
                access_key_id: t.access_key_id.clone().unwrap_or_default(),
                secret_access_key: t.secret_access_key.clone().unwrap_or_default(),
                session_token: None,
                part_size: t.part_size,
                concurrency: usize::try_from(t.concurrency).unwrap_or(5).max(1),
                storage_class: t.storage_class.clone(),
                sign_payload: t.sign_payload,
                require_content_md5: t.require_content_md5,
                ..S3Options::default()
            };
            Ok(Arc::new(S3Replica::new(opts.with_env_credentials())?))
        }
    }
}

/// Resolve a replica URL given on the command line.
pub fn target_from_url(url: &str, dialect: UrlDialect) -> Result<ReplicaTarget, String> {
    let cwd = cwd()?;
    let home = home();
    // A plain path (no scheme) is a file replica, as for a config `path:`.
    if !url.is_empty() && !url.contains("://") {
        return Ok(ReplicaTarget::File {
            path: config::expand_path(url, &cwd, home.as_deref())?,
        });
    }
    let lookup = |k: &str| std::env::var(k).ok();
    let env = UrlEnv {
        lookup_env: &lookup,
        cwd: &cwd,
        home: home.as_deref(),
    };
    config::replica_target_from_url(url, dialect, &env).map_err(|e| e.to_string())
}

/// A client for a replica URL given on the command line.
pub fn client_from_url(url: &str) -> Result<Arc<dyn ReplicaClient>, String> {
    replica_client(&target_from_url(url, UrlDialect::Config)?)
}

/// A client for a replica URL given to `/register`.
pub fn client_from_register_url(url: &str) -> Result<Arc<dyn ReplicaClient>, String> {
    replica_client(&target_from_url(url, UrlDialect::Register)?)
}

/// Validation of `/register` URLs, for the core: the replica's location (see
/// [`replica_location`]).
pub fn validate_register_url(url: &str) -> Result<String, String> {
    let target = target_from_url(url, UrlDialect::Register)?;
    replica_client(&target)?;
    Ok(replica_location(&target))
}

/// Where a replica's files land, for telling two replicas apart: a directory replica's
/// path with symbolic links resolved, so `rep` and a link to it are one place.
pub fn replica_location(target: &ReplicaTarget) -> String {
    match target {
        ReplicaTarget::File { path } => format!("file://{}", crate::fs::real_path(path).display()),
        ReplicaTarget::S3(_) => target.location(),
    }
}

/// Expand a database path argument like the config does (`~`, relative, `sqlite://`).
pub fn expand_db_path(arg: &str) -> Result<PathBuf, String> {
    config::expand_path(arg, &cwd()?, home().as_deref())
}

/// The `path:` entry of `cfg` for `db`, with a clear error.
pub fn find_db<'a>(cfg: &'a Config, db: &Path) -> Result<&'a DbConfig, String> {
    cfg.db_by_path(db)
        .ok_or_else(|| format!("database not found in config: {}", db.display()))
}

/// The config entry of `source`, a database path given to `restore` or `ltx` (read from
/// the config at `config`, default path when `None`). A directory given there was most
/// likely meant as a replica: the error says how to name one.
pub fn db_of_config(
    config: Option<&str>,
    expand_env: bool,
    source: &str,
) -> Result<DbConfig, String> {
    let hint = |e: String| {
        if Path::new(source).is_dir() {
            let abs = std::fs::canonicalize(source).unwrap_or_else(|_| PathBuf::from(source));
            format!(
                "{e} ({source} is read as a database path of the config; for a replica directory give its URL: file://{})",
                abs.display()
            )
        } else {
            e
        }
    };
    let cfg = load_config(config, expand_env).map_err(hint)?;
    let db = expand_db_path(source)?;
    find_db(&cfg, &db).cloned().map_err(hint)
}
