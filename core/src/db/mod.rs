//! One database's replication: opening it, sync passes (WAL → L0 LTX file), the decision
//! where to continue, checkpoints, and its replica's upload lane.
//!
//! Local work runs as a queue of steps ([`Step`]), one at a time: opening, the
//! behind-replica check, sync passes, checkpoint procedures, closing. The replica lane runs
//! beside it. Any failure clears the queue, records the error and retries later with
//! back-off; one database failing never affects another.

mod after_pass;
pub mod checkpoint;
mod completion;
pub mod maintenance;
pub mod pass;
mod replica_lane;
mod steps;
pub mod verify;
pub mod waiters;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

use crate::io::{OpId, SharedPath};
use crate::replica::{Backoff, ReplicaLane};
use crate::time::{Mono, UnixMs};
use checkpoint::CheckpointPolicy;
use pass::{LastFile, SyncPass};

pub(crate) use steps::open_steps as steps_open;
pub use steps::Step;

/// Paths of one database and its local LTX files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbPaths {
    /// The database file.
    pub db: SharedPath,
    /// `<db>-wal`.
    pub wal: SharedPath,
    /// The meta directory (`.<name>-litestream`).
    pub meta: PathBuf,
    /// `<meta>/ltx`.
    pub ltx: PathBuf,
    /// `<meta>/ltx/0`.
    pub ltx0: PathBuf,
}

impl DbPaths {
    /// Paths for database `db` with meta directory `meta`.
    pub fn new(db: PathBuf, meta: PathBuf) -> DbPaths {
        let mut wal = db.clone().into_os_string();
        wal.push("-wal");
        let ltx = meta.join("ltx");
        DbPaths {
            db: db.into(),
            wal: PathBuf::from(wal).into(),
            ltx0: ltx.join("0"),
            ltx,
            meta,
        }
    }

    /// The default meta directory of a database: `<dir>/.<name>-litestream`.
    pub fn default_meta(db: &std::path::Path) -> PathBuf {
        let name = db
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        db.with_file_name(format!(".{name}-litestream"))
    }
}

/// Replication settings of one database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbSettings {
    /// Database file and meta directory.
    pub paths: DbPaths,
    /// Background sync period; `None` disables the background loop.
    pub monitor_interval: Option<Duration>,
    /// Checkpoint policy.
    pub checkpoint: CheckpointPolicy,
    /// SQLite busy timeout.
    pub busy_timeout: Duration,
    /// Per-pass WAL byte limit; `None` = unlimited.
    pub max_sync_wal_bytes: Option<u64>,
    /// Replica retry period.
    pub sync_interval: Duration,
    /// Compaction, snapshot and retention schedule.
    pub maintenance: maintenance::MaintenanceSettings,
    /// Shortest time between the starts of two WAL → LTX passes: commits that arrive
    /// faster share one pass (and one L0 file) instead of costing one each.
    pub min_pass_gap: Duration,
    /// Where the replica's files land (`ReplicaTarget::location`; empty = unknown): no
    /// two databases may share it.
    pub replica_location: String,
}

/// Default [`DbSettings::min_pass_gap`]: adds at most this much lag, and bounds the
/// daemon to a few hundred passes per second per database under a flat-out writer.
pub const DEFAULT_MIN_PASS_GAP: Duration = Duration::from_millis(5);

/// A pass that synced at least this much WAL means the application writes flat out
/// (about 50 MB/s at the default gap): the next pass waits [`LOADED_GAP_FACTOR`] times
/// the gap. Fewer, larger L0 files then cost the daemon (and the disk the application
/// shares with it) less per transaction, at the price of a little more lag under a
/// load where a few milliseconds matter least.
pub const LOADED_PASS_BYTES: u64 = 256 * 1024;
/// How much longer the gap is after a pass of [`LOADED_PASS_BYTES`] or more.
pub const LOADED_GAP_FACTOR: u32 = 4;

impl DbSettings {
    /// Litestream's defaults for a database at `db`.
    pub fn with_defaults(db: PathBuf) -> DbSettings {
        let meta = DbPaths::default_meta(&db);
        DbSettings {
            paths: DbPaths::new(db, meta),
            monitor_interval: Some(Duration::from_secs(1)),
            checkpoint: CheckpointPolicy::default(),
            busy_timeout: Duration::from_secs(1),
            max_sync_wal_bytes: Some(64 * 1024 * 1024),
            sync_interval: Duration::from_secs(1),
            min_pass_gap: DEFAULT_MIN_PASS_GAP,
            maintenance: maintenance::MaintenanceSettings::default(),
            replica_location: String::new(),
        }
    }
}

/// Lifecycle of a managed database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Registered but not replicating.
    Stopped,
    /// Waiting for the file to exist, or opening.
    Opening,
    /// Open and replicating.
    Open,
    /// Final sync and close in progress.
    Closing,
}

/// One managed database.
#[derive(Debug)]
pub struct Db {
    /// Its id in the replicator.
    pub id: crate::io::DbId,
    /// Settings.
    pub settings: DbSettings,
    /// Lifecycle.
    pub lifecycle: Lifecycle,
    /// Page size once open.
    pub page_size: u32,
    /// Newest local L0 file (outer `None` = not read yet).
    pub(crate) last: Option<Option<LastFile>>,
    pub(crate) synced_to_wal_end: bool,
    pub(crate) synced_offset: u64,
    pub(crate) synced_since_checkpoint: bool,
    pub(crate) last_checkpoint: Mono,
    pub(crate) passive_failed_at_threshold: bool,
    pub(crate) force_snapshot: Option<&'static str>,
    /// Repair of a replica that lost files: `Some(None)` waits for the snapshot pass,
    /// `Some(Some(t))` for snapshot `t` to reach the replica.
    pub(crate) repair: Option<Option<u64>>,
    pub(crate) queue: VecDeque<Step>,
    pub(crate) active: Option<(OpId, steps::Active)>,
    pub(crate) pass: Option<SyncPass>,
    pub(crate) sync_wanted: bool,
    pub(crate) next_sync_at: Option<Mono>,
    pub(crate) last_pass_start: Option<Mono>,
    pub(crate) retry_at: Option<Mono>,
    pub(crate) backoff: Backoff,
    pub(crate) shutdown_deadline: Option<Mono>,
    pub(crate) local_max_hint: Option<u64>,
    pub(crate) current_pass: u64,
    pub(crate) checkpoint_not_before: Mono,
    /// WAL salts when the last checkpoint cycle was queued: a WAL that restarted since
    /// shows that no reader pins it, so the next cycle need not wait out the rate limit.
    pub(crate) checkpoint_salts: Option<crate::wal::Salts>,
    /// When the last checkpoint cycle was queued.
    pub(crate) checkpoint_queued_at: Mono,
    /// WAL bytes the last pass synced.
    pub(crate) last_pass_wal_bytes: u64,
    pub(crate) sqlite_open: bool,
    pub(crate) waiting_for_file: bool,
    /// Identity of the database file when it was opened (see `FileStat::id`).
    pub(crate) db_file_id: Option<u64>,
    /// The open database file was deleted or replaced: after `Close`, open it again.
    pub(crate) reopen: bool,
    pub(crate) just_closed: bool,
    pub(crate) unregistered: bool,
    pub(crate) close_replies: Vec<crate::replicator::CloseReply>,
    /// Replica upload lane.
    pub replica: ReplicaLane,
    /// Callers waiting for a sync.
    pub waiters: waiters::Waiters,
    /// Compaction, snapshots, retention.
    pub maintenance: maintenance::Maintenance,
    /// The last local error, cleared by a successful pass.
    pub last_error: Option<String>,
    /// Wall time of the last successful sync pass.
    pub last_pass_at: Option<UnixMs>,
}

impl Db {
    /// A stopped database.
    pub fn new(id: crate::io::DbId, settings: DbSettings) -> Db {
        let retry = settings.sync_interval;
        let initial = settings.monitor_interval.unwrap_or(Duration::from_secs(1));
        Db {
            id,
            current_pass: 0,
            checkpoint_not_before: Mono(0),
            checkpoint_salts: None,
            checkpoint_queued_at: Mono(0),
            last_pass_wal_bytes: 0,
            sqlite_open: false,
            waiting_for_file: false,
            repair: None,
            db_file_id: None,
            reopen: false,
            just_closed: false,
            unregistered: false,
            close_replies: Vec::new(),
            settings,
            lifecycle: Lifecycle::Stopped,
            page_size: 0,
            last: None,
            synced_to_wal_end: false,
            synced_offset: 0,
            synced_since_checkpoint: false,
            last_checkpoint: Mono(0),
            passive_failed_at_threshold: false,
            force_snapshot: None,
            queue: VecDeque::new(),
            active: None,
            pass: None,
            sync_wanted: false,
            next_sync_at: None,
            last_pass_start: None,
            retry_at: None,
            backoff: Backoff::new(initial, Duration::from_secs(300)),
            shutdown_deadline: None,
            local_max_hint: None,
            replica: ReplicaLane::new(retry),
            waiters: waiters::Waiters::default(),
            maintenance: maintenance::Maintenance::default(),
            last_error: None,
            last_pass_at: None,
        }
    }

    /// Local position: TXID of the newest L0 file (0 if none or not read yet).
    pub fn local_txid(&self) -> u64 {
        match &self.last {
            Some(Some(l)) => l.ltx.txid,
            _ => 0,
        }
    }

    /// True when nothing local is running or queued.
    pub fn idle(&self) -> bool {
        self.active.is_none() && self.queue.is_empty()
    }
}
