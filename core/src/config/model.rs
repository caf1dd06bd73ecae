//! The resolved configuration: every default applied, every path absolute, every
//! replica resolved to a concrete target. Built by [`super::parse`].

use super::paths::{default_meta_path, join, meta_dir_for_dir_entry, meta_path_for_dir_entry};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default control socket path.
pub const DEFAULT_SOCKET_PATH: &str = "/var/run/litestream.sock";
/// Default control socket permissions (octal 0600).
pub const DEFAULT_SOCKET_PERMISSIONS: u32 = 0o600;
/// Default `truncate-page-n` (also used for 0).
pub const DEFAULT_TRUNCATE_PAGE_N: u64 = 121_359;
/// Default `min-checkpoint-page-count`.
pub const DEFAULT_MIN_CHECKPOINT_PAGE_COUNT: u64 = 1000;
/// Default `max-sync-wal-bytes` (64 MiB).
pub const DEFAULT_MAX_SYNC_WAL_BYTES: u64 = 64 * 1024 * 1024;
/// Default `max-sync-ltx-files`.
pub const DEFAULT_MAX_SYNC_LTX_FILES: u64 = 256;
/// Smallest S3 multipart part size (5 MiB).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Default S3 multipart part size (5 MiB).
pub const DEFAULT_PART_SIZE: u64 = MIN_PART_SIZE;
/// Default S3 upload concurrency.
pub const DEFAULT_CONCURRENCY: u64 = 5;
/// Region used with a custom endpoint when none is configured.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Most compaction levels `levels` may list.
pub const MAX_COMPACTION_LEVELS: usize = 8;

/// The whole `litestream.yml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Databases (`dbs`), in file order.
    pub dbs: Vec<DbConfig>,
    /// Prometheus/pprof listener (`addr`), `host:port`.
    pub addr: Option<String>,
    /// MCP server listener (`mcp-addr`).
    pub mcp_addr: Option<String>,
    /// Control socket (`socket`).
    pub socket: SocketConfig,
    /// Compaction intervals of levels 1.. (`levels`); default 30s, 5m, 1h.
    pub levels: Vec<Duration>,
    /// Snapshot (L9) schedule and retention (`snapshot`), DB values promoted.
    pub snapshot: SnapshotConfig,
    /// Periodic validation (`validation.interval`); `None` = off.
    pub validation_interval: Option<Duration>,
    /// Age before compacted L0 files are deleted (`l0-retention`); zero = never delete.
    pub l0_retention: Duration,
    /// How often L0 retention runs (`l0-retention-check-interval`).
    pub l0_retention_check_interval: Duration,
    /// Check level contiguity after each compaction (`verify-compaction`).
    pub verify_compaction: bool,
    /// Delete remote files by retention (`retention.enabled`).
    pub retention_enabled: bool,
    /// Heartbeat ping URL (`heartbeat-url`).
    pub heartbeat_url: Option<String>,
    /// Heartbeat period (`heartbeat-interval`), at least 1 minute.
    pub heartbeat_interval: Duration,
    /// How long the final sync is retried at shutdown (`shutdown-sync-timeout`).
    pub shutdown_sync_timeout: Duration,
    /// Pause between final-sync attempts (`shutdown-sync-interval`).
    pub shutdown_sync_interval: Duration,
    /// Child command to run (`exec`); empty = none.
    pub exec: String,
    /// Logging (`logging`), with `LOG_LEVEL` applied.
    pub logging: LoggingConfig,
}

impl Config {
    /// The `path:` database whose expanded path equals `path` exactly.
    pub fn db_by_path(&self, path: &Path) -> Option<&DbConfig> {
        self.dbs.iter().find(|db| db.path() == Some(path))
    }
}

/// `socket:` — the control socket (IPC.md §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketConfig {
    /// Serve the control API.
    pub enabled: bool,
    /// Socket file path, used as written.
    pub path: PathBuf,
    /// Mode bits applied with chmod (YAML `0600` is octal).
    pub permissions: u32,
}

/// `snapshot:` — global L9 snapshot schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotConfig {
    /// Time between snapshots.
    pub interval: Duration,
    /// Age after which snapshots may be deleted.
    pub retention: Duration,
}

/// `logging:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggingConfig {
    /// Minimum level.
    pub level: LogLevel,
    /// Output format.
    pub format: LogFormat,
    /// Log to stderr instead of stdout.
    pub stderr: bool,
    /// Add source file:line.
    pub source: bool,
}

/// Log level; unknown names mean [`LogLevel::Info`] like the Go daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// `trace`
    Trace,
    /// `debug`
    Debug,
    /// `info` (default)
    Info,
    /// `warn` / `warning`
    Warn,
    /// `error`
    Error,
}

impl LogLevel {
    /// Reads a level name case-insensitively; anything unknown is `Info`.
    pub fn from_name(name: &str) -> LogLevel {
        match name.to_ascii_uppercase().as_str() {
            "TRACE" => LogLevel::Trace,
            "DEBUG" => LogLevel::Debug,
            "WARN" | "WARNING" => LogLevel::Warn,
            "ERROR" => LogLevel::Error,
            _ => LogLevel::Info,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// slog text `key=value` (default).
    Text,
    /// slog JSON.
    Json,
    /// Human-friendly, coloured on a terminal.
    Pretty,
}

/// One `dbs[]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct DbConfig {
    /// A single database or a directory of databases.
    pub source: DbSource,
    /// WAL monitor period (`monitor-interval`); `None` = background sync loop disabled.
    pub monitor_interval: Option<Duration>,
    /// Time-based checkpoint period (`checkpoint-interval`); `None` = disabled.
    pub checkpoint_interval: Option<Duration>,
    /// SQLite busy timeout (`busy-timeout`).
    pub busy_timeout: Duration,
    /// WAL pages before a PASSIVE checkpoint (`min-checkpoint-page-count`), > 0.
    pub min_checkpoint_page_count: u64,
    /// WAL pages before a TRUNCATE checkpoint (`truncate-page-n`); `None` = disabled.
    pub truncate_page_n: Option<u64>,
    /// WAL bytes per sync pass (`max-sync-wal-bytes`); `None` = unlimited.
    pub max_sync_wal_bytes: Option<u64>,
    /// Restore from the replica first when the database file is missing.
    pub restore_if_db_not_exists: bool,
    /// The replica (`replica`, or the single entry of deprecated `replicas`).
    pub replica: ReplicaConfig,
}

impl DbConfig {
    /// The database path of a `path:` entry.
    pub fn path(&self) -> Option<&Path> {
        match &self.source {
            DbSource::Path { path, .. } => Some(path),
            DbSource::Dir(_) => None,
        }
    }

    /// For a `dir:` entry, the entry of the database found at `rel` (relative to the
    /// directory, `/`-separated): own path, meta dir and replica location (§3.7).
    pub fn for_discovered(&self, rel: &str) -> Option<DbConfig> {
        let DbSource::Dir(dir) = &self.source else {
            return None;
        };
        let path = dir.dir.join(rel);
        let meta_path = match (&dir.meta_dir, &dir.meta_path) {
            (Some(base), _) => meta_dir_for_dir_entry(base, rel),
            (None, Some(base)) => meta_path_for_dir_entry(base, rel),
            (None, None) => default_meta_path(&path),
        };
        let mut db = self.clone();
        db.source = DbSource::Path { path, meta_path };
        db.replica.target = self.replica.target.with_relative(rel);
        Some(db)
    }
}

/// Where a `dbs[]` entry's databases are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbSource {
    /// `path:` — one database.
    Path {
        /// Absolute database path.
        path: PathBuf,
        /// Local meta directory (`meta-path`, default `<dir>/.<name>-litestream`).
        meta_path: PathBuf,
    },
    /// `dir:` — every matching database in a directory.
    Dir(DirSource),
}

/// `dir:` settings (§3.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirSource {
    /// Absolute directory.
    pub dir: PathBuf,
    /// Glob matched against base names.
    pub pattern: String,
    /// Descend into subdirectories.
    pub recursive: bool,
    /// Watch for new and removed databases.
    pub watch: bool,
    /// `meta-path`: base of `<base>/<rel dir>/.<file>-litestream`.
    pub meta_path: Option<PathBuf>,
    /// `meta-dir`: base of `<base>/<rel path>-litestream`.
    pub meta_dir: Option<PathBuf>,
}

/// A database's replica.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaConfig {
    /// Where the LTX files go.
    pub target: ReplicaTarget,
    /// Upload period (`sync-interval`), > 0.
    pub sync_interval: Duration,
    /// L0 files uploaded per pass (`max-sync-ltx-files`); `None` = unlimited.
    pub max_sync_ltx_files: Option<u64>,
    /// Reset local state on missing/corrupt LTX errors (`auto-recover`).
    pub auto_recover: bool,
}

/// A resolved replica destination.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplicaTarget {
    /// A local directory.
    File {
        /// Absolute replica directory.
        path: PathBuf,
    },
    /// S3 or an S3-compatible store.
    S3(S3Target),
}

impl ReplicaTarget {
    /// The client type name (`file`, `s3`), as `databases` prints it.
    pub fn type_name(&self) -> &'static str {
        match self {
            ReplicaTarget::File { .. } => "file",
            ReplicaTarget::S3(_) => "s3",
        }
    }

    /// Where the files land, for telling two targets apart: the directory, or the
    /// endpoint, bucket and key prefix.
    pub fn location(&self) -> String {
        match self {
            ReplicaTarget::File { path } => format!("file://{}", path.display()),
            ReplicaTarget::S3(s3) => format!(
                "s3://{}/{}{}",
                s3.bucket,
                s3.path.trim_matches('/'),
                s3.endpoint
                    .as_deref()
                    .map_or(String::new(), |e| format!(" at {e}"))
            ),
        }
    }

    /// This target with `rel` appended to its location (directory replication).
    pub fn with_relative(&self, rel: &str) -> ReplicaTarget {
        match self {
            ReplicaTarget::File { path } => ReplicaTarget::File {
                path: path.join(rel),
            },
            ReplicaTarget::S3(s3) => {
                let mut s3 = s3.clone();
                let rel = rel.trim_start_matches('/');
                s3.path = join(&[&s3.path, rel]).trim_start_matches('/').to_string();
                ReplicaTarget::S3(s3)
            }
        }
    }
}

/// A resolved S3 replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Target {
    /// Bucket name (or access point ARN).
    pub bucket: String,
    /// Key prefix; objects live at `<path>/<level>/<file>` (`"."` when the URL had none).
    pub path: String,
    /// Region; `None` = look it up (GetBucketLocation). Always set with an endpoint.
    pub region: Option<String>,
    /// Custom endpoint with scheme (`http://localhost:9000`).
    pub endpoint: Option<String>,
    /// Path-style addressing.
    pub force_path_style: bool,
    /// Skip TLS verification.
    pub skip_verify: bool,
    /// Static access key id (used only together with the secret).
    pub access_key_id: Option<String>,
    /// Static secret access key.
    pub secret_access_key: Option<String>,
    /// Multipart part size in bytes, ≥ 5 MiB.
    pub part_size: u64,
    /// Multipart upload parallelism.
    pub concurrency: u64,
    /// Sign payloads (false = `UNSIGNED-PAYLOAD`).
    pub sign_payload: bool,
    /// Send Content-MD5 on DeleteObjects.
    pub require_content_md5: bool,
    /// Storage class, e.g. `STANDARD_IA`.
    pub storage_class: Option<String>,
    /// Server-side encryption.
    pub sse: Option<Sse>,
}

/// S3 server-side encryption settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sse {
    /// SSE-C with a customer key (algorithm is always `AES256`).
    Customer(SseCustomerKey),
    /// SSE-KMS with this key id.
    Kms {
        /// KMS key id or ARN.
        key_id: String,
    },
}

/// Where an SSE-C key comes from; the shell reads the file and checks the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseCustomerKey {
    /// Base64 key given inline (`sse-customer-key`).
    Inline(String),
    /// File holding the base64 key, trimmed (`sse-customer-key-path`).
    File(PathBuf),
}
