//! The step engine of one database: what runs next, and what each completion means.

use std::path::PathBuf;

use super::checkpoint::{self, CheckpointInputs};
use super::pass::{PassOutcome, PassStart, PassStep, SyncPass};
use super::{Db, Lifecycle};
use crate::emit::{Emitter, Lane, Level};
use crate::io::{CheckpointMode, Command, Completion, DbId, ReplicaCmd, SqliteCmd, SqliteDone};
use crate::ltx;
use crate::replica::LaneEvent;
use crate::time::{Mono, UnixMs};

/// After a TRUNCATE checkpoint found a reader in the way, wait this long before the next.
const TRUNCATE_BUSY_BACKOFF: std::time::Duration = std::time::Duration::from_secs(10);

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
        self.advance_replica(id, now, em);
        let ready = self.lifecycle == Lifecycle::Open && self.replica.pos.is_some();
        self.maintenance
            .advance(id, &self.settings.maintenance, ready, now, wall, em);
        if self.active.is_some() || self.lifecycle == Lifecycle::Stopped {
            return;
        }
        if self.retry_at.is_some_and(|t| now < t) {
            return;
        }
        self.retry_at = None;
        if self.queue.is_empty() && self.lifecycle == Lifecycle::Open {
            let due = self.next_sync_at.is_some_and(|t| now >= t);
            if self.sync_wanted || due {
                self.sync_wanted = false;
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
    fn reset_local(&mut self) {
        if self.lifecycle != Lifecycle::Open || self.queue.contains(&Step::BehindCheck) {
            return;
        }
        let ltx = self.settings.paths.ltx.clone();
        self.queue.push_back(Step::ResetLocal(ltx));
        self.queue.push_back(Step::CreateMeta);
        self.queue.push_back(Step::BehindCheck);
    }

    fn queue_truncate(&mut self) {
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

    /// A completion for this database's `lane`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_completion(
        &mut self,
        id: DbId,
        lane: Lane,
        op: crate::io::OpId,
        c: Completion,
        now: Mono,
        wall: UnixMs,
        em: &mut Emitter,
    ) {
        if lane == Lane::Maintenance {
            let (ltx0, db) = (
                self.settings.paths.ltx0.clone(),
                self.settings.paths.db.clone(),
            );
            self.maintenance
                .on_completion(id, &self.settings.maintenance, &ltx0, &db, c, wall, em);
            return;
        }
        if lane == Lane::Replica {
            let local = self.local_txid();
            match self.replica.on_completion(now, wall, local, c) {
                LaneEvent::Failed { message, permanent } => {
                    let hint = if permanent {
                        " (not retried quickly: fix the credentials or permissions)"
                    } else {
                        ""
                    };
                    if self.replica.failures == 1 || self.replica.failures.is_multiple_of(30) {
                        em.log(
                            Level::Error,
                            Some(&self.settings.paths.db),
                            format!("replica sync failed: {message}{hint}"),
                        );
                    }
                }
                LaneEvent::Uploaded(t) => em.log(
                    Level::Debug,
                    Some(&self.settings.paths.db),
                    format!("uploaded txid {}", ltx::format_txid(t)),
                ),
                LaneEvent::LocalMissing(m) => {
                    em.log(Level::Warn, Some(&self.settings.paths.db), format!(
                        "{m}: the replica needs a local LTX file that is gone; resetting local state to continue with a new snapshot"
                    ));
                    self.reset_local();
                }
                LaneEvent::Quiet => {}
            }
            return;
        }
        let Some((expected, active)) = self.active.take() else {
            return;
        };
        if expected != op {
            self.active = Some((expected, active));
            return;
        }
        match self.finish_active(id, active, c, now, wall, em) {
            Err(msg) => self.fail(msg, now, em),
            Ok(()) => {
                if self.active.is_none()
                    && self.lifecycle == Lifecycle::Opening
                    && self.queue.is_empty()
                {
                    self.lifecycle = Lifecycle::Open;
                    self.sync_wanted = true;
                    self.maintenance.start(&self.settings.maintenance, now);
                    em.log(
                        Level::Info,
                        Some(&self.settings.paths.db),
                        "initialized database",
                    );
                }
            }
        }
    }

    fn finish_active(
        &mut self,
        id: DbId,
        active: Active,
        c: Completion,
        now: Mono,
        wall: UnixMs,
        em: &mut Emitter,
    ) -> Result<(), String> {
        let paths = self.settings.paths.clone();
        match (active, c) {
            (Active::Single(Step::WaitForFile), Completion::Stated(r)) => {
                match r {
                    Ok(Some(_)) => {
                        self.waiting_for_file = false;
                        Ok(())
                    }
                    Ok(None) => {
                        if !self.waiting_for_file {
                            em.log(Level::Info, Some(&paths.db), "database file does not exist yet: replication starts when it appears");
                        }
                        self.waiting_for_file = true;
                        // Not an error: replication starts when the file appears.
                        self.queue.push_front(Step::WaitForFile);
                        self.retry_at = Some(
                            now + self
                                .settings
                                .monitor_interval
                                .unwrap_or(std::time::Duration::from_secs(1)),
                        );
                        Ok(())
                    }
                    Err(e) => Err(format!("stat database: {}", e.message)),
                }
            }
            (Active::Single(Step::Open), Completion::Sqlite(r)) => match r {
                Ok(SqliteDone::Opened { page_size }) => {
                    self.page_size = page_size;
                    self.sqlite_open = true;
                    Ok(())
                }
                Ok(other) => Err(format!("internal error: open answered {other:?}")),
                Err(e) => Err(format!("open database: {}", e.message)),
            },
            (Active::Single(Step::CreateMeta), Completion::Done(r)) => r.map_err(|e| {
                format!(
                    "create meta directory {}: {}",
                    paths.ltx0.display(),
                    e.message
                )
            }),
            (Active::CleanTmp(mut pending), c) => {
                match c {
                    Completion::Listed(r) => {
                        let names =
                            r.map_err(|e| format!("list {}: {}", paths.ltx0.display(), e.message))?;
                        self.local_max_hint = names
                            .iter()
                            .filter_map(|n| ltx::parse_filename(n))
                            .map(|(_, max)| max)
                            .max();
                        pending = names
                            .into_iter()
                            .filter(|n| n.ends_with(".tmp"))
                            .map(|n| paths.ltx0.join(n))
                            .collect();
                    }
                    Completion::Done(r) => {
                        r.map_err(|e| format!("remove staging file: {}", e.message))?;
                    }
                    other => return Err(format!("internal error: clean got {other:?}")),
                }
                if let Some(p) = pending.pop() {
                    let op = em.issue(
                        id,
                        Lane::Local,
                        Command::Remove {
                            path: p,
                            recursive: false,
                        },
                    );
                    self.active = Some((op, Active::CleanTmp(pending)));
                }
                Ok(())
            }
            (Active::BehindList, Completion::ObjectsListed(r)) => {
                let files = r.map_err(|e| format!("list replica: {}", e.message()))?;
                let Some(newest) = files.iter().max_by_key(|f| f.key.max_txid) else {
                    return Ok(());
                };
                // Local position is read from disk by the first pass; compare file names here.
                self.last = None;
                let key = newest.key;
                let local_max = self.local_max_hint.take().unwrap_or(0);
                if key.max_txid <= local_max {
                    return Ok(());
                }
                em.log(Level::Info, Some(&paths.db), format!(
                    "replica is ahead of local files (replica txid {}, local {}): continuing above the replica",
                    ltx::format_txid(key.max_txid),
                    ltx::format_txid(local_max)
                ));
                let op = em.issue(
                    id,
                    Lane::Local,
                    Command::Remove {
                        path: paths.ltx.clone(),
                        recursive: true,
                    },
                );
                self.active = Some((op, Active::BehindRemove(key)));
                Ok(())
            }
            (Active::BehindRemove(key), Completion::Done(r)) => {
                r.map_err(|e| format!("remove {}: {}", paths.ltx.display(), e.message))?;
                let op = em.issue(
                    id,
                    Lane::Local,
                    Command::CreateDirAll {
                        path: paths.ltx0.clone(),
                    },
                );
                self.active = Some((op, Active::BehindMkdir(key)));
                Ok(())
            }
            (Active::BehindMkdir(key), Completion::Done(r)) => {
                r.map_err(|e| format!("create {}: {}", paths.ltx0.display(), e.message))?;
                let dest = paths
                    .ltx0
                    .join(ltx::format_filename(key.min_txid, key.max_txid));
                let cmd = Command::Replica {
                    db: id,
                    cmd: ReplicaCmd::Get { key, dest },
                };
                let op = em.issue(id, Lane::Local, cmd);
                self.active = Some((op, Active::BehindGet));
                Ok(())
            }
            (Active::BehindGet, Completion::ObjectDone(r)) => {
                r.map_err(|e| format!("download newest replica file: {}", e.message()))?;
                self.replica.pos = None;
                Ok(())
            }
            (Active::Pass { checkpoint }, c) => {
                let pass = self.pass.as_mut().ok_or("internal error: no pass")?;
                match pass.on_completion(c) {
                    PassStep::Issue(cmd) => {
                        let op = em.issue(id, Lane::Local, cmd);
                        self.active = Some((op, Active::Pass { checkpoint }));
                        Ok(())
                    }
                    PassStep::Done(outcome) => {
                        self.pass = None;
                        self.pass_done(outcome, checkpoint, now, wall, em);
                        Ok(())
                    }
                    PassStep::Failed(msg) => {
                        self.pass = None;
                        Err(msg)
                    }
                }
            }
            (Active::Single(Step::Sqlite(cmd)), Completion::Sqlite(r)) => {
                let busy_err = matches!(&r, Err(e) if e.kind == crate::io::IoFailKind::Busy);
                let done = r.map_err(|e| format!("{}: {}", sqlite_what(&cmd), e.message));
                match (&cmd, done) {
                    (SqliteCmd::Checkpoint(mode), Ok(SqliteDone::Checkpointed { busy })) => {
                        self.last_checkpoint = now;
                        self.synced_since_checkpoint = false;
                        let what = if busy {
                            "could not complete (busy)"
                        } else {
                            "done"
                        };
                        em.log(
                            Level::Debug,
                            Some(&paths.db),
                            format!("checkpoint {} {what}", mode.as_str()),
                        );
                        if busy && *mode == CheckpointMode::Truncate {
                            // Nothing was truncated: the WAL continues, no snapshot needed;
                            // a reader pins the WAL, so do not wait on it again soon.
                            self.queue.retain(|s| !matches!(s, Step::MarkSnapshot(_)));
                            self.checkpoint_not_before = now + TRUNCATE_BUSY_BACKOFF;
                        }
                        Ok(())
                    }
                    (SqliteCmd::Checkpoint(_), Err(_)) | (SqliteCmd::BeginWriteBarrier, Err(_))
                        if busy_err =>
                    {
                        // The application holds the write lock: skip this checkpoint, it
                        // is retried after a later pass. Not an error, no back-off.
                        self.queue.retain(|s| {
                            matches!(s, Step::Sqlite(SqliteCmd::EndWriteBarrier))
                                && cmd != SqliteCmd::BeginWriteBarrier
                        });
                        em.log(
                            Level::Debug,
                            Some(&paths.db),
                            format!("{}: database busy, checkpoint skipped", sqlite_what(&cmd)),
                        );
                        Ok(())
                    }
                    (_, r) => r.map(|_| ()),
                }
            }
            (Active::Single(Step::ResetLocal(dir)), Completion::Done(r)) => {
                r.map_err(|e| format!("remove {}: {}", dir.display(), e.message))
            }
            (Active::Single(Step::Close), Completion::Sqlite(r)) => {
                self.lifecycle = Lifecycle::Stopped;
                self.sqlite_open = false;
                self.just_closed = true;
                self.waiters.fail_all(id, "database not open", em);
                self.queue.clear();
                r.map(|_| ())
                    .map_err(|e| format!("close database: {}", e.message))
            }
            (a, c) => Err(format!("internal error: step {a:?} got {c:?}")),
        }
    }

    fn pass_done(
        &mut self,
        o: PassOutcome,
        checkpoint: bool,
        now: Mono,
        wall: UnixMs,
        em: &mut Emitter,
    ) {
        let orig = if self.last.is_some() && self.synced_offset > 0 {
            self.synced_offset
        } else {
            o.wal_size
        };
        if let Some(t) = o.written {
            self.force_snapshot = None;
            self.synced_since_checkpoint = true;
            let kind = o
                .snapshot_reason
                .map_or(String::new(), |r| format!(" (snapshot: {r})"));
            em.log(
                Level::Debug,
                Some(&self.settings.paths.db),
                format!("wrote ltx {}{kind}", ltx::format_txid(t)),
            );
        }
        self.last = Some(o.last.clone());
        self.synced_offset = o.synced_offset;
        self.synced_to_wal_end = o.synced_to_wal_end;
        self.last_error = None;
        self.last_pass_at = Some(wall);
        self.backoff.reset();
        if o.limited && !o.synced_to_wal_end {
            self.queue.push_front(Step::Pass { checkpoint });
            return;
        }
        self.waiters.last_full_pass = self.current_pass;
        // Checkpoints run at most once per monitor interval: a reader that keeps the WAL
        // from restarting would otherwise turn every pass (each woken by the previous
        // checkpoint's own `_litestream_seq` write) into another checkpoint.
        if !checkpoint || now < self.checkpoint_not_before {
            return;
        }
        let inputs = CheckpointInputs {
            page_size: self.page_size,
            orig_offset: orig,
            new_offset: o.synced_offset,
            synced_since_checkpoint: self.synced_since_checkpoint,
            since_last_checkpoint: now.since(self.last_checkpoint),
            passive_failed_at_threshold: self.passive_failed_at_threshold,
        };
        let modes = checkpoint::choose(&self.settings.checkpoint, &inputs);
        if !modes.is_empty() {
            let period = self
                .settings
                .monitor_interval
                .unwrap_or(std::time::Duration::from_secs(1));
            self.checkpoint_not_before = self.checkpoint_not_before.max(now + period);
        }
        let salts_before = (o.salts.salt1, o.salts.salt2);
        let mut steps = Vec::new();
        for m in &modes {
            match m {
                CheckpointMode::Passive => steps.extend([
                    Step::Sqlite(SqliteCmd::BeginWriteBarrier),
                    Step::Pass { checkpoint: false },
                    Step::Sqlite(SqliteCmd::Checkpoint(CheckpointMode::Passive)),
                    Step::Sqlite(SqliteCmd::EndWriteBarrier),
                    Step::Pass { checkpoint: false },
                ]),
                CheckpointMode::Truncate if modes.len() > 1 => {
                    steps.push(Step::TruncateUnlessRestarted { salts_before })
                }
                CheckpointMode::Truncate | CheckpointMode::Restart => {
                    self.queue_truncate();
                }
            }
        }
        for s in steps.into_iter().rev() {
            self.queue.push_front(s);
        }
    }

    fn fail(&mut self, msg: String, now: Mono, em: &mut Emitter) {
        self.waiters.fail_local(self.id, &msg, em);
        let barrier = self
            .queue
            .iter()
            .any(|s| *s == Step::Sqlite(SqliteCmd::EndWriteBarrier));
        self.queue.clear();
        self.pass = None;
        if barrier {
            // Never leave the application blocked behind our write barrier.
            self.queue
                .push_back(Step::Sqlite(SqliteCmd::EndWriteBarrier));
        }
        match self.lifecycle {
            // Once SQLite is open, a retry must not open it again: a new read transaction
            // would start at the current WAL end and stop pinning frames not yet synced.
            Lifecycle::Opening if self.sqlite_open => self.queue.extend(
                open_steps()
                    .into_iter()
                    .filter(|s| !matches!(s, Step::WaitForFile | Step::Open)),
            ),
            Lifecycle::Opening => self.queue.extend(open_steps()),
            Lifecycle::Closing => self.queue.push_back(Step::Close),
            _ => {}
        }
        let delay = self.backoff.next_delay();
        self.retry_at = Some(now + delay);
        if self.last_error.as_deref() != Some(msg.as_str()) {
            em.log(
                Level::Error,
                Some(&self.settings.paths.db),
                format!("{msg} (retrying in {}s)", delay.as_secs_f64()),
            );
        }
        self.last_error = Some(msg);
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

fn sqlite_what(cmd: &SqliteCmd) -> String {
    match cmd {
        SqliteCmd::Open { .. } => "open database".into(),
        SqliteCmd::BeginWriteBarrier => "begin write barrier".into(),
        SqliteCmd::EndWriteBarrier => "end write barrier".into(),
        SqliteCmd::Checkpoint(m) => format!("checkpoint {}", m.as_str()),
        SqliteCmd::Close => "close database".into(),
    }
}
