//! The `Sim` driver: owns the real core `Replicator` and every simulated component, feeds
//! one input per step (the earliest event), executes the outputs by scheduling their
//! completions after random latencies, and checks the invariants after every step.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use litestream_core::db::checkpoint::CheckpointPolicy;
use litestream_core::db::DbSettings;
use litestream_core::emit::SyncReport;
use litestream_core::io::{Command, DbId, OpId};
use litestream_core::replicator::{Input, Replicator, ReplicatorSettings};
use litestream_core::time::Mono;

use crate::check::Checker;
use crate::clock::SimClock;
use crate::events::{Event, EventQueue};
use crate::exec::FsFaults;
use crate::fs::SimFs;
use crate::rng::Rng;
use crate::store::SimStore;
use crate::summary::{cmd_summary, completion_summary};
use crate::trace::Trace;
use crate::writer::SimWriter;

/// Steps at one instant after which the run counts as a busy loop.
const SAME_INSTANT_LIMIT: u32 = 5_000;

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

    /// Start a daemon process: a new `Replicator` with the database added.
    pub fn start_daemon(&mut self) -> Result<(), Failure> {
        self.line = self.prefix();
        self.start_daemon_inner();
        self.after_input()
    }

    pub(crate) fn start_daemon_inner(&mut self) {
        if self.daemon.is_some() {
            return;
        }
        self.gen += 1;
        let mut r = Replicator::new(ReplicatorSettings::default());
        let id = r.add_db(self.clock.mono(), self.clock.wall(), self.settings.clone());
        self.daemon = Some(Daemon {
            r,
            id,
            gen: self.gen,
            inflight: BTreeMap::new(),
            ticks: BTreeSet::new(),
        });
        self.line.push_str(&format!(" daemon-start g{}", self.gen));
    }

    /// Kill the daemon process. In-flight operations either happened (their effects stay,
    /// the answer is lost) or did not, at random. With `machine`, power is lost too: the
    /// application dies and unsynced file data is dropped or torn.
    pub fn crash_daemon(&mut self, machine: bool) -> Result<(), Failure> {
        self.line = self.prefix();
        self.crash_daemon_inner(machine);
        self.after_input()
    }

    pub(crate) fn crash_daemon_inner(&mut self, machine: bool) {
        let Some(d) = self.daemon.take() else {
            return;
        };
        let mut landed = 0;
        for (_, cmd) in d.inflight {
            if self.rng.chance(500) {
                let _ = self.execute(&cmd);
                landed += 1;
            }
        }
        self.writer.daemon_gone();
        if machine {
            let wall = self.clock.wall();
            self.writer.app_crash(&mut self.fs, &mut self.rng, wall);
            self.writer.machine_crash();
            self.fs.crash(&mut self.rng);
            self.queue
                .remove_if(|e| matches!(e, Event::AppFinish { .. }));
        }
        let gen = d.gen;
        self.queue.remove_if(|e| {
            matches!(e, Event::Complete { gen: g, .. } | Event::Tick { gen: g } | Event::WalChanged { gen: g } if *g == gen)
        });
        self.line.push_str(&format!(
            " daemon-crash g{gen} machine={machine} inflight-executed={landed}"
        ));
    }

    /// Tell the daemon the WAL changed (after a commit), unless the notification is lost.
    pub fn notify_wal(&mut self) {
        let Some(d) = &self.daemon else { return };
        if self.rng.chance(self.drop_wal_changed) {
            return;
        }
        let at = self.clock.mono() + Duration::from_micros(self.rng.range(100, 3000));
        self.queue.push(at, Event::WalChanged { gen: d.gen });
    }

    /// Ask the daemon for a sync; returns the ticket, or `None` if it is not running/open.
    pub fn request_sync(&mut self, wait_replica: bool) -> Result<Option<u64>, Failure> {
        self.line = self.prefix();
        let t = self.request_sync_inner(wait_replica);
        self.after_input()?;
        Ok(t)
    }

    pub(crate) fn request_sync_inner(&mut self, wait_replica: bool) -> Option<u64> {
        let d = self.daemon.as_mut()?;
        self.next_ticket += 1;
        let ticket = self.next_ticket;
        let (now, wall) = (self.clock.mono(), self.clock.wall());
        let timeout = Some(Duration::from_secs(30));
        if d.r
            .request_sync(now, wall, d.id, ticket, wait_replica, timeout)
            .is_err()
        {
            return None;
        }
        self.syncs.insert(
            ticket,
            SyncWait {
                requested_seq: self.writer.head().seq,
                wait_replica,
            },
        );
        self.line
            .push_str(&format!(" sync-request #{ticket} wait={wait_replica}"));
        Some(ticket)
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

    /// Run the earliest event. `Ok(false)` when nothing is queued.
    pub fn step(&mut self) -> Result<bool, Failure> {
        let Some((t, ev)) = self.queue.pop() else {
            return Ok(false);
        };
        self.clock.advance_to(t);
        if self.same_instant.0 == t {
            self.same_instant.1 += 1;
            if self.same_instant.1 > SAME_INSTANT_LIMIT {
                return Err(self.fail(format!(
                    "busy loop: {SAME_INSTANT_LIMIT} steps at the same instant without time passing"
                )));
            }
        } else {
            self.same_instant = (t, 0);
        }
        self.line = format!("{} {}", self.prefix(), ev.name());
        self.apply(ev)?;
        self.after_input()?;
        Ok(true)
    }

    fn apply(&mut self, ev: Event) -> Result<(), Failure> {
        let gen_now = self.daemon.as_ref().map(|d| d.gen);
        let (now, wall) = (self.clock.mono(), self.clock.wall());
        match ev {
            Event::Complete { gen, op } => {
                if gen_now != Some(gen) {
                    return Ok(());
                }
                let cmd = self
                    .daemon
                    .as_mut()
                    .and_then(|d| d.inflight.remove(&op))
                    .ok_or_else(|| self.fail(format!("completion for unknown op {op:?}")))?;
                let result = self.execute(&cmd);
                self.line.push_str(&format!(
                    " {} => {}",
                    cmd_summary(&cmd),
                    completion_summary(&result)
                ));
                let d = self.daemon.as_mut().expect("checked above");
                d.r.handle(now, wall, Input::Completed { op, result });
            }
            Event::Tick { gen } => {
                if let Some(d) = self.daemon.as_mut().filter(|d| d.gen == gen) {
                    d.ticks.remove(&now);
                    d.r.handle(now, wall, Input::Tick);
                }
            }
            Event::WalChanged { gen } => {
                if let Some(d) = self.daemon.as_mut().filter(|d| d.gen == gen) {
                    let id = d.id;
                    d.r.handle(now, wall, Input::WalChanged(id));
                }
            }
            Event::AppFinish { commit } => {
                if let Some(seq) = self.writer.app_finish(&mut self.fs, commit, wall) {
                    self.line.push_str(&format!(" commit #{seq}"));
                    self.notify_wal();
                }
            }
            Event::DaemonStart => self.start_daemon_inner(),
            Event::AppCheckpoint(mode) => {
                let r = self
                    .writer
                    .app_checkpoint(&mut self.fs, &mut self.rng, mode, wall);
                self.line.push_str(&format!(" => {r:?}"));
            }
            Event::Workload => self.workload_event()?,
            Event::Chaos => self.chaos_event()?,
        }
        Ok(())
    }
}
