//! The step engine of one database: what runs next, and what each completion means.

use std::path::PathBuf;

use super::pass::{PassStart, SyncPass};
use super::{Db, Lifecycle};
use crate::emit::{Emitter, Lane, Level};
use crate::io::{CheckpointMode, Command, DbId, ReplicaCmd, SqliteCmd};
use crate::ltx;
use crate::time::{Mono, UnixMs};

/// After a TRUNCATE checkpoint found a reader in the way, wait this long before the next.
pub(super) const TRUNCATE_BUSY_BACKOFF: std::time::Duration = std::time::Duration::from_secs(10);

/// A unit of local work, queued and run one at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Wait until the database file exists.
    WaitForFile,
    /// Open SQLite connections and the read transaction.
    Open,
    /// Create `<meta>/ltx/0`.
    CreateMeta,
    /// Remove leftover `*.tmp` staging files.
    CleanTmp,
    /// If the replica is ahead of the local files (a database restored from backup),
    /// replace the local files with the replica's newest L0 file.
    BehindCheck,
    /// A sync pass; `checkpoint` = decide on a checkpoint afterwards.
    Pass {
        /// Run the checkpoint policy after the pass.
        checkpoint: bool,
    },
    /// A single SQLite command.
    Sqlite(SqliteCmd),
    /// After PASSIVE at the truncate threshold: TRUNCATE unless the WAL restarted.
    TruncateUnlessRestarted {
        /// WAL salts before the PASSIVE checkpoint.
        salts_before: (u32, u32),
    },
    /// Make the next pass a snapshot.
    MarkSnapshot(&'static str),
    /// Shutdown: wait until the replica holds every local file, or the deadline.
    AwaitReplica,
    /// Close SQLite connections.
    Close,
    /// Remove the local LTX directory and forget positions.
    ResetLocal(PathBuf),
}

/// The step in progress.
#[derive(Debug)]
pub(crate) enum Active {
    Single(Step),
    Pass { checkpoint: bool },
    CleanTmp(Vec<PathBuf>),
    BehindList,
    BehindRemove(ObjectRef),
    BehindMkdir(ObjectRef),
    BehindGet,
}

type ObjectRef = crate::io::ObjectKey;

impl Db {
    /// Start the next piece of work if nothing is running.
    pub(crate) fn advance(&mut self, id: DbId, now: Mono, wall: UnixMs, em: &mut Emitter) {
        self.advance_repair(em);
        self.advance_replica(id, now, em);
        let replica_txid = self
            .replica
            .pos
            .filter(|_| self.lifecycle == Lifecycle::Open);
        self.maintenance
            .advance(id, &self.settings.maintenance, replica_txid, now, wall, em);
        if self.active.is_some() || self.lifecycle == Lifecycle::Stopped {
            return;
        }
        if self.retry_at.is_some_and(|t| now < t) {
            return;
        }
        self.retry_at = None;
        if self.queue.is_empty() && self.lifecycle == Lifecycle::Open {
            let due = self.next_sync_at.is_some_and(|t| now >= t);
            let gap = if self.last_pass_wal_bytes >= super::LOADED_PASS_BYTES {
                self.settings.min_pass_gap * super::LOADED_GAP_FACTOR
            } else {
                self.settings.min_pass_gap
            };
            let earliest = self.last_pass_start.map(|t| t + gap);
            if let Some(e) = earliest.filter(|e| self.sync_wanted && !due && now < *e) {
                // Too soon after the last pass: let more commits gather; the deadline
                // brings the pass.
                self.next_sync_at = Some(self.next_sync_at.map_or(e, |t| t.min(e)));
            } else if self.sync_wanted || due {
                self.sync_wanted = false;
                self.last_pass_start = Some(now);
                self.next_sync_at = self.settings.monitor_interval.map(|i| now + i);
                self.queue.push_back(Step::Pass { checkpoint: true });
            }
        }
        while let Some(step) = self.queue.pop_front() {
            if let Some(active) = self.start(id, step, now, wall, em) {
                self.active = Some(active);
                break;
            }
            // A step that re-queued itself for later (`AwaitReplica`) set a retry time:
            // stop here, or the loop would pop it again forever.
            if self.retry_at.is_some_and(|t| now < t) {
                break;
            }
        }
    }

    /// A replica that lost files cannot be restored, however many files follow: write a
    /// snapshot, and once it is in the replica have maintenance make it the replica's
    /// new base (level 9 `1-N`).
    fn advance_repair(&mut self, em: &mut Emitter) {
        if let Some(hole) = self.maintenance.lost.take() {
            em.log(
                Level::Error,
                Some(&self.settings.paths.db),
                format!("replica is missing files ({hole}): it cannot be restored as it is; writing a new snapshot to rebase it"),
            );
            self.force_snapshot = Some("replica is missing files");
            self.repair = Some(None);
            self.sync_wanted = true;
        }
        if let Some(Some(t)) = self.repair {
            if self.replica.pos.is_some_and(|p| p >= t) {
                self.repair = None;
                let ltx0 = self.settings.paths.ltx0.clone();
                self.maintenance.repair(t, &ltx0);
            }
        }
    }

    fn advance_replica(&mut self, id: DbId, now: Mono, em: &mut Emitter) {
        let live = matches!(self.lifecycle, Lifecycle::Open | Lifecycle::Closing);
        if self.last.is_none() {
            return;
        }
        if !live || self.replica.busy() {
            return;
        }
        if let Some(cmd) =
            self.replica
                .next_command(now, self.local_txid(), &self.settings.paths.ltx0)
        {
            em.issue(id, Lane::Replica, Command::Replica { db: id, cmd });
        }
    }

    /// Issue the command(s) for `step`; `None` when the step finished at once.
    fn start(
        &mut self,
        id: DbId,
        step: Step,
        now: Mono,
        wall: UnixMs,
        em: &mut Emitter,
    ) -> Option<(crate::io::OpId, Active)> {
        let paths = self.settings.paths.clone();
        let single = |em: &mut Emitter, step: Step, cmd: Command| {
            Some((em.issue(id, Lane::Local, cmd), Active::Single(step)))
        };
        match step {
            Step::WaitForFile => single(
                em,
                step,
                Command::Stat {
                    path: paths.db.clone(),
                },
            ),
            Step::Open => {
                // A new read transaction pins nothing of what happened before it: a WAL
                // restart seen later must not be taken for one of our own checkpoints.
                self.synced_to_wal_end = false;
                let cmd = SqliteCmd::Open {
                    path: paths.db.clone(),
                    busy_timeout: self.settings.busy_timeout,
                };
                single(em, step, Command::Sqlite { db: id, cmd })
            }
            Step::CreateMeta => single(
                em,
                step,
                Command::CreateDirAll {
                    path: paths.ltx0.clone(),
                },
            ),
            Step::CleanTmp => Some((
                em.issue(
                    id,
                    Lane::Local,
                    Command::ListDir {
                        path: paths.ltx0.clone(),
                    },
                ),
                Active::CleanTmp(Vec::new()),
            )),
            Step::BehindCheck => {
                let cmd = Command::Replica {
                    db: id,
                    cmd: ReplicaCmd::List { level: 0 },
                };
                Some((em.issue(id, Lane::Local, cmd), Active::BehindList))
            }
            Step::Pass { checkpoint } => {
                let start = PassStart {
                    last: self.last.clone(),
                    synced_to_wal_end: self.synced_to_wal_end,
                    force_snapshot: self.force_snapshot,
                    byte_limit: self.settings.max_sync_wal_bytes,
                    db_file_id: self.db_file_id,
                };
                self.waiters.passes_started += 1;
                self.current_pass = self.waiters.passes_started;
                let (pass, cmd) = SyncPass::new(paths, self.page_size, wall, start);
                self.pass = Some(pass);
                Some((em.issue(id, Lane::Local, cmd), Active::Pass { checkpoint }))
            }
            Step::Sqlite(ref cmd) => {
                let cmd = Command::Sqlite {
                    db: id,
                    cmd: cmd.clone(),
                };
                single(em, step, cmd)
            }
            Step::TruncateUnlessRestarted { salts_before } => {
                let now_salts = self
                    .last
                    .as_ref()
                    .and_then(|l| l.as_ref())
                    .map(|l| l.ltx.salts);
                if now_salts == Some(salts_before) {
                    self.passive_failed_at_threshold = true;
                    self.queue_truncate();
                } else {
                    self.passive_failed_at_threshold = false;
                }
                None
            }
            Step::MarkSnapshot(reason) => {
                self.force_snapshot = Some(reason);
                None
            }
            Step::AwaitReplica => {
                let caught_up = self.replica.pos.is_some_and(|p| p >= self.local_txid());
                let expired = self.shutdown_deadline.is_none_or(|d| now >= d);
                if caught_up || expired {
                    if !caught_up {
                        em.log(Level::Error, Some(&paths.db), format!(
                            "shutdown: replica did not receive every file before the shutdown sync timeout (local txid {}, replica txid {})",
                            ltx::format_txid(self.local_txid()),
                            self.replica.pos.map_or("unknown".to_string(), ltx::format_txid)
                        ));
                    }
                    return None;
                }
                // Re-check on the next wake-up.
                self.queue.push_front(Step::AwaitReplica);
                self.retry_at = Some(now + std::time::Duration::from_millis(50));
                None
            }
            Step::ResetLocal(ref dir) => {
                self.last = None;
                self.local_max_hint = None;
                self.synced_to_wal_end = false;
                self.replica.pos = None;
                self.waiters.restart();
                self.sync_wanted = true;
                let cmd = Command::Remove {
                    path: dir.clone(),
                    recursive: true,
                };
                single(em, step, cmd)
            }
            Step::Close => single(
                em,
                step,
                Command::Sqlite {
                    db: id,
                    cmd: SqliteCmd::Close,
                },
            ),
        }
    }

    /// Drop local LTX files and positions, then re-run the behind-replica check, so the
    /// next pass writes a snapshot that continues the replica's history.
    pub(super) fn reset_local(&mut self) {
        if self.lifecycle != Lifecycle::Open || self.queue.contains(&Step::BehindCheck) {
            return;
        }
        let ltx = self.settings.paths.ltx.clone();
        self.queue.push_back(Step::ResetLocal(ltx));
        self.queue.push_back(Step::CreateMeta);
        self.queue.push_back(Step::BehindCheck);
    }

    pub(super) fn queue_truncate(&mut self) {
        let steps = [
            Step::Sqlite(SqliteCmd::Checkpoint(CheckpointMode::Truncate)),
            // TRUNCATE leaves a zero-byte WAL; bump `_litestream_seq` so it has a header
            // again, or every pass fails on the missing header until the application
            // writes (an idle database would never sync again).
            Step::Sqlite(SqliteCmd::EndWriteBarrier),
            Step::MarkSnapshot("checkpoint truncate boundary"),
            Step::Pass { checkpoint: false },
        ];
        for s in steps.into_iter().rev() {
            self.queue.push_front(s);
        }
    }
}

/// The steps that open a database.
pub(crate) fn open_steps() -> Vec<Step> {
    vec![
        Step::WaitForFile,
        Step::Open,
        Step::CreateMeta,
        Step::CleanTmp,
        Step::BehindCheck,
    ]
}

pub(super) fn sqlite_what(cmd: &SqliteCmd) -> String {
    match cmd {
        SqliteCmd::Open { .. } => "open database".into(),
        SqliteCmd::BeginWriteBarrier => "begin write barrier".into(),
        SqliteCmd::EndWriteBarrier => "end write barrier".into(),
        SqliteCmd::Checkpoint(m) => format!("checkpoint {}", m.as_str()),
        SqliteCmd::CheckpointBelowRead => "checkpoint PASSIVE below the read mark".into(),
        SqliteCmd::BeginNextRead => "start next read transaction".into(),
        SqliteCmd::EndPrevRead => "end previous read transaction".into(),
        SqliteCmd::Close => "close database".into(),
    }
}
