//! The `Sim` driver: owns the real core `Replicator` and every simulated component, feeds
//! one input per step (the earliest event), executes the outputs by scheduling their
//! completions after random latencies, and checks the invariants after every step.

mod process;
mod step;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use litestream_core::db::checkpoint::CheckpointPolicy;
use litestream_core::db::DbSettings;
use litestream_core::emit::SyncReport;
use litestream_core::io::{Command, DbId, OpId};
use litestream_core::replicator::Replicator;
use litestream_core::time::Mono;

use crate::check::Checker;
use crate::clock::SimClock;
use crate::events::EventQueue;
use crate::exec::FsFaults;
use crate::fs::SimFs;
use crate::rng::Rng;
use crate::store::SimStore;
use crate::trace::Trace;
use crate::writer::SimWriter;

/// How one simulation is set up.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The seed: everything else random derives from it.
    pub seed: u64,
    /// Database page size.
    pub page_size: u32,
    /// Pages of the initial database file.
    pub initial_pages: u32,
    /// The database's replication settings.
    pub settings: DbSettings,
    /// Print every trace line to stderr.
    pub echo: bool,
}

impl SimConfig {
    /// Defaults for `seed`: 512-byte pages, small checkpoint thresholds.
    pub fn new(seed: u64) -> SimConfig {
        let mut settings = DbSettings::with_defaults(PathBuf::from("/data/app.db"));
        // Compaction and retention delete and merge replica files; the invariants here
        // are about the sync and upload lanes, so maintenance stays off.
        settings.maintenance = litestream_core::db::maintenance::MaintenanceSettings::disabled();
        settings.checkpoint = CheckpointPolicy {
            min_pages: 16,
            truncate_pages: Some(64),
            interval: Some(Duration::from_secs(20)),
        };
        SimConfig {
            seed,
            page_size: 512,
            initial_pages: 4,
            settings,
            echo: std::env::var_os("SIM_TRACE").is_some(),
        }
    }
}

/// A failed run.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The seed.
    pub seed: u64,
    /// Step at which it failed.
    pub step: u64,
    /// What went wrong.
    pub message: String,
    /// The last trace lines.
    pub trace_tail: Vec<String>,
    /// Steps of the fault phase the run was started with (for the rerun command).
    pub steps: u64,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "seed {} failed at step {}: {}",
            self.seed, self.step, self.message
        )?;
        writeln!(f, "--- last trace lines ---")?;
        for l in &self.trace_tail {
            writeln!(f, "{l}")?;
        }
        write!(
            f,
            "rerun: SEED={} STEPS={} cargo test --release -p litestream-testkit --test seeds -- seed_from_env --nocapture  (add SIM_TRACE=1 for the full trace)",
            self.seed, self.steps
        )
    }
}

/// A sync request the checker will verify when it completes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SyncWait {
    pub(crate) requested_seq: u64,
    pub(crate) wait_replica: bool,
}

/// The daemon process: the core and its operations in flight.
#[derive(Debug)]
pub(crate) struct Daemon {
    pub(crate) r: Replicator,
    pub(crate) id: DbId,
    pub(crate) gen: u64,
    pub(crate) inflight: BTreeMap<OpId, Command>,
    pub(crate) ticks: BTreeSet<Mono>,
}

/// The whole simulated world.
#[derive(Debug)]
pub struct Sim {
    /// The seed.
    pub seed: u64,
    /// The one random stream.
    pub rng: Rng,
    /// Simulated time.
    pub clock: SimClock,
    /// The filesystem.
    pub fs: SimFs,
    /// The replica.
    pub store: SimStore,
    /// The database and its application.
    pub writer: SimWriter,
    /// The invariants' memory.
    pub checker: Checker,
    /// One line per step.
    pub trace: Trace,
    /// Pending events.
    pub queue: EventQueue,
    /// Local IO faults.
    pub fs_faults: FsFaults,
    /// Per mille of WAL change notifications lost.
    pub drop_wal_changed: u32,
    /// Settings handed to `add_db`.
    pub settings: DbSettings,
    pub(crate) daemon: Option<Daemon>,
    pub(crate) committed_files: Vec<PathBuf>,
    gen: u64,
    pub(crate) step: u64,
    same_instant: (Mono, u32),
    pub(crate) syncs: BTreeMap<u64, SyncWait>,
    /// Results of finished sync requests, by ticket.
    pub sync_results: BTreeMap<u64, Result<SyncReport, String>>,
    pub(crate) done_syncs: Vec<u64>,
    next_ticket: u64,
    /// Error logs emitted by the core.
    pub error_logs: u64,
    /// Every L0 file the core reported writing: TXID → snapshot reason (`None` when
    /// incremental), from its "wrote ltx" debug log.
    pub written: BTreeMap<u64, Option<String>>,
    pub(crate) line: String,
    /// Steps of the fault phase (reported in the rerun command).
    pub planned_steps: u64,
}

impl Sim {
    /// A world with the initial database and no daemon yet.
    pub fn new(cfg: SimConfig) -> Sim {
        let mut rng = Rng::new(cfg.seed);
        let clock = SimClock::new();
        let mut fs = SimFs::new();
        let writer = SimWriter::create(
            &mut fs,
            cfg.settings.paths.db.to_path_buf(),
            cfg.page_size,
            cfg.initial_pages,
            &mut rng,
            clock.wall(),
        );
        Sim {
            seed: cfg.seed,
            rng,
            clock,
            fs,
            store: SimStore::new(),
            writer,
            checker: Checker::new(),
            trace: Trace::new(cfg.echo),
            queue: EventQueue::default(),
            fs_faults: FsFaults::default(),
            drop_wal_changed: 0,
            settings: cfg.settings,
            daemon: None,
            committed_files: Vec::new(),
            gen: 0,
            step: 0,
            same_instant: (Mono(0), 0),
            syncs: BTreeMap::new(),
            sync_results: BTreeMap::new(),
            done_syncs: Vec::new(),
            next_ticket: 0,
            error_logs: 0,
            written: BTreeMap::new(),
            line: String::new(),
            planned_steps: 0,
        }
    }

    /// Steps run so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// True while a daemon process runs.
    pub fn daemon_running(&self) -> bool {
        self.daemon.is_some()
    }

    /// The running daemon's core (for assertions in scenario tests).
    pub fn replicator(&self) -> Option<&Replicator> {
        self.daemon.as_ref().map(|d| &d.r)
    }

    /// The running daemon's database id.
    pub fn db_id(&self) -> Option<DbId> {
        self.daemon.as_ref().map(|d| d.id)
    }

    /// Local TXID of the running daemon's database.
    pub fn local_txid(&self) -> Option<u64> {
        let d = self.daemon.as_ref()?;
        d.r.db(d.id).map(|db| db.local_txid())
    }

    /// Highest level-0 TXID in the store.
    pub fn store_max_txid(&self) -> u64 {
        self.store.list(0).last().map_or(0, |o| o.key.max_txid)
    }

    /// A failure of this run at the current step, with the trace tail.
    pub fn fail(&self, message: String) -> Failure {
        Failure {
            seed: self.seed,
            step: self.step,
            message,
            trace_tail: self.trace.tail(),
            steps: self.planned_steps,
        }
    }

    pub(crate) fn prefix(&self) -> String {
        let t = self.clock.mono().0;
        format!(
            "{:>6} {:>6}.{:06}",
            self.step,
            t / 1_000_000_000,
            (t / 1000) % 1_000_000
        )
    }
}
