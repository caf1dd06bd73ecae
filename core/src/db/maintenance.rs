//! One database's replica maintenance (REPLICATION.md §9–11): compaction of level n-1
//! into level n on each level's schedule, snapshots (level 9), snapshot retention and L0
//! retention (remote and local). Runs beside the sync and upload lanes, one job at a time.

mod decide;
mod integrity;
mod stages;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

use crate::emit::{Emitter, Lane};
use crate::io::{Command, DbId, ObjectInfo, OpId, ReplicaCmd};
use crate::time::{Mono, UnixMs};

/// Store-wide maintenance settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceSettings {
    /// Compaction interval of levels 1..=n (entry i is level i+1).
    pub levels: Vec<Duration>,
    /// Time between snapshots.
    pub snapshot_interval: Duration,
    /// Age after which snapshots may be deleted.
    pub snapshot_retention: Duration,
    /// Age after which compacted L0 files are deleted (zero = never).
    pub l0_retention: Duration,
    /// Period of the L0 retention check.
    pub l0_retention_check_interval: Duration,
    /// Delete remote files at all.
    pub retention_enabled: bool,
    /// Take scheduled snapshots (forced ones always run).
    pub snapshots: bool,
}

impl MaintenanceSettings {
    /// No scheduled maintenance at all: no compaction, snapshots or L0 retention.
    pub fn disabled() -> MaintenanceSettings {
        MaintenanceSettings {
            levels: Vec::new(),
            snapshots: false,
            l0_retention: Duration::ZERO,
            ..MaintenanceSettings::default()
        }
    }
}

impl Default for MaintenanceSettings {
    fn default() -> Self {
        MaintenanceSettings {
            levels: vec![
                Duration::from_secs(30),
                Duration::from_secs(300),
                Duration::from_secs(3600),
            ],
            snapshot_interval: Duration::from_secs(24 * 3600),
            snapshot_retention: Duration::from_secs(24 * 3600),
            l0_retention: Duration::from_secs(300),
            l0_retention_check_interval: Duration::from_secs(15),
            retention_enabled: true,
            snapshots: true,
        }
    }
}

/// A maintenance job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Job {
    /// Merge level n-1 into level n.
    Compact(u8),
    /// Write a new snapshot, then apply snapshot retention.
    Snapshot,
    /// Delete L0 files covered by level 1.
    L0Retention,
    /// Rebase a replica that lost files: the full-image L0 file at this TXID becomes the
    /// level 9 snapshot `1-TXID`.
    Repair(u64),
    /// List every level and check that the latest state can be restored (a hole deep
    /// in the history, which the level 1 check cannot see).
    Verify,
}

/// How many level 1 compaction intervals between two full checks of the replica.
pub const VERIFY_EVERY_L1_INTERVALS: u32 = 10;

#[derive(Debug)]
enum Stage {
    Listing {
        job: Job,
        next_level: u8,
        levels: Vec<Vec<ObjectInfo>>,
    },
    Compacting {
        job: Job,
    },
    Deleting {
        local: Vec<PathBuf>,
    },
    RemovingLocal {
        rest: Vec<PathBuf>,
    },
}

/// Maintenance state of one database.
#[derive(Debug, Default)]
pub struct Maintenance {
    next_at: Vec<(Job, Mono)>,
    queue: VecDeque<Job>,
    active: Option<(OpId, Stage)>,
    retention_pass: bool,
    current: Option<Job>,
    /// Forced snapshot requests waiting for the next snapshot job.
    snapshot_tickets: Vec<u64>,
    /// The requests the running snapshot job answers: only those made before it started,
    /// since a job already listing may have missed what a request's sync just uploaded.
    serving_tickets: Vec<u64>,
    /// Last maintenance error.
    pub last_error: Option<String>,
    /// Newest level 1 TXID listed so far (see `integrity`).
    seen_l1_max: u64,
    /// A hole found in the replica's history, for the database to act on.
    pub(crate) lost: Option<String>,
    /// A hole seen by the last check only: a listing can miss a file that was being
    /// created while the directory was read, so a hole counts once two checks agree.
    suspected_hole: Option<(Job, String)>,
    /// A repair is under way: no new hole is reported until it ends.
    repairing: bool,
    /// Where the repair's input is kept locally.
    repair_l0: PathBuf,
}

fn next_aligned(now: Mono, wall: UnixMs, interval: Duration) -> Mono {
    let ms = u64::try_from(interval.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    let into = u64::try_from(wall.0).unwrap_or(0) % ms;
    now + Duration::from_millis(ms - into)
}

impl Maintenance {
    /// Schedule every job to run at once (start-up), then on its interval.
    pub fn start(&mut self, s: &MaintenanceSettings, now: Mono) {
        self.next_at.clear();
        for l in 1..=s.levels.len() {
            self.next_at
                .push((Job::Compact(u8::try_from(l).unwrap_or(8)), now));
        }
        if s.snapshots {
            self.next_at.push((Job::Snapshot, now));
        }
        if !s.l0_retention.is_zero() {
            self.next_at.push((Job::L0Retention, now));
        }
        if !s.levels.is_empty() {
            self.next_at.push((Job::Verify, now));
        }
    }

    /// Rebase the replica onto the full-image L0 file `txid`, now in the replica.
    pub(crate) fn repair(&mut self, txid: u64, ltx0: &std::path::Path) {
        self.repair_l0 = ltx0.to_path_buf();
        self.queue.push_front(Job::Repair(txid));
    }

    /// Ask for a snapshot now (`replicate -once -force-snapshot`); `ticket` is answered
    /// with `Output::SyncDone` when the snapshot job finished.
    pub fn force_snapshot(&mut self, ticket: u64) {
        self.queue.retain(|j| *j != Job::Snapshot);
        self.queue.push_front(Job::Snapshot);
        self.snapshot_tickets.push(ticket);
    }

    fn finished(&mut self, id: DbId, result: Result<(), String>, em: &mut Emitter) {
        if self.active.is_some() || self.current != Some(Job::Snapshot) || self.retention_pass {
            return;
        }
        self.current = None;
        for ticket in std::mem::take(&mut self.serving_tickets) {
            let result = result.clone().map(|()| crate::emit::SyncReport {
                before: 0,
                after: 0,
                replicated: 0,
            });
            em.out.push_back(crate::emit::Output::SyncDone {
                ticket,
                db: id,
                result,
            });
        }
    }

    /// True when nothing runs or waits.
    pub fn idle(&self) -> bool {
        self.active.is_none() && self.queue.is_empty()
    }

    /// When a job is next due.
    pub fn deadline(&self) -> Option<Mono> {
        if self.active.is_some() {
            return None;
        }
        self.next_at.iter().map(|(_, t)| *t).min()
    }

    fn interval(s: &MaintenanceSettings, job: Job) -> Duration {
        match job {
            Job::Compact(l) => s
                .levels
                .get(usize::from(l).saturating_sub(1))
                .copied()
                .unwrap_or(Duration::from_secs(3600)),
            Job::Snapshot => s.snapshot_interval,
            Job::L0Retention => s.l0_retention_check_interval,
            Job::Repair(_) => Duration::MAX,
            Job::Verify => s
                .levels
                .first()
                .map_or(Duration::MAX, |l1| *l1 * VERIFY_EVERY_L1_INTERVALS),
        }
    }

    /// Start due work. `replica_txid` is the newest TXID in the replica's level 0 once the
    /// database is open and that position is known (`None` until then: nothing runs).
    pub fn advance(
        &mut self,
        id: DbId,
        s: &MaintenanceSettings,
        replica_txid: Option<u64>,
        now: Mono,
        wall: UnixMs,
        em: &mut Emitter,
    ) {
        for (job, at) in self.next_at.iter_mut() {
            if now >= *at {
                *at = next_aligned(now, wall, Self::interval(s, *job));
                if !self.queue.contains(job) {
                    self.queue.push_back(*job);
                }
            }
        }
        let Some(replica_txid) = replica_txid else {
            return;
        };
        if self.active.is_some() {
            return;
        }
        // A snapshot is merged from the replica's files, so on a new replica it waits for
        // the first upload (Go waits for the database to be initialised and reads it
        // directly); had it run before, it would have found nothing and the first
        // snapshot would come a whole interval later. The other jobs go ahead meanwhile.
        let runnable = |j: &Job| *j != Job::Snapshot || replica_txid > 0;
        let Some(job) = self
            .queue
            .iter()
            .position(runnable)
            .and_then(|i| self.queue.remove(i))
        else {
            return;
        };
        self.current = Some(job);
        if job == Job::Snapshot {
            self.serving_tickets = std::mem::take(&mut self.snapshot_tickets);
        }
        let first = match job {
            Job::Compact(l) => l - 1,
            Job::Snapshot | Job::L0Retention | Job::Verify => 0,
            Job::Repair(txid) => {
                let cmd = ReplicaCmd::Compact {
                    inputs: vec![crate::io::ObjectKey {
                        level: 0,
                        min_txid: txid,
                        max_txid: txid,
                    }],
                    output: crate::io::ObjectKey {
                        level: crate::plan::restore::SNAPSHOT_LEVEL,
                        min_txid: 1,
                        max_txid: txid,
                    },
                    local_l0: self.repair_l0.clone(),
                };
                let op = em.issue(id, Lane::Maintenance, Command::Replica { db: id, cmd });
                self.active = Some((op, Stage::Compacting { job }));
                return;
            }
        };
        let op = em.issue(
            id,
            Lane::Maintenance,
            Command::Replica {
                db: id,
                cmd: ReplicaCmd::List { level: first },
            },
        );
        self.active = Some((
            op,
            Stage::Listing {
                job,
                next_level: first,
                levels: vec![Vec::new(); 10],
            },
        ));
    }
}
