//! What each completion means for a database's local lane: the step engine's answers.

use super::pass::PassStep;
use super::steps::{open_steps, sqlite_what, Active, Step, TRUNCATE_BUSY_BACKOFF};
use super::{Db, Lifecycle};
use crate::emit::{Emitter, Lane, Level};
use crate::io::{CheckpointMode, Command, Completion, DbId, ReplicaCmd, SqliteCmd, SqliteDone};
use crate::ltx;
use crate::time::{Mono, UnixMs};

impl Db {
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
            self.on_replica_completion(id, c, now, wall, em);
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

    pub(super) fn finish_active(
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
                    Ok(Some(st)) => {
                        self.waiting_for_file = false;
                        self.db_file_id = Some(st.id);
                        Ok(())
                    }
                    Ok(None) if self.lifecycle == Lifecycle::Closing => {
                        // Stopped before the file appeared: nothing to sync.
                        self.waiting_for_file = true;
                        self.queue.clear();
                        self.queue.push_back(Step::Close);
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
                // Nothing says the database still matches the replica's last file (a
                // `reset` is usually run because something went wrong): start the new
                // numbering with a full snapshot, as Litestream does (REPLICATION.md §12).
                self.force_snapshot = Some("replica ahead of local files");
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
                    PassStep::NoWalYet => {
                        self.pass = None;
                        self.pass_found_no_wal();
                        Ok(())
                    }
                    PassStep::Failed(msg) => {
                        self.pass = None;
                        Err(msg)
                    }
                    PassStep::Replaced(msg) => {
                        self.pass = None;
                        self.reopen_replaced(msg, em);
                        Ok(())
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
                        if busy && *mode == CheckpointMode::Passive {
                            // Another checkpointer held SQLite's checkpoint lock: not a
                            // pinned WAL, so try again after the next pass.
                            self.checkpoint_not_before = now;
                        }
                        if busy && *mode == CheckpointMode::Truncate {
                            // Nothing was truncated: the WAL continues, no snapshot needed;
                            // a reader pins the WAL, so do not wait on it again soon.
                            self.queue.retain(|s| !matches!(s, Step::MarkSnapshot(_)));
                            self.checkpoint_not_before = now + TRUNCATE_BUSY_BACKOFF;
                        }
                        Ok(())
                    }
                    (SqliteCmd::CheckpointBelowRead, r) => {
                        // Only shortens the barrier that follows: the barrier's own
                        // checkpoint copies whatever this one could not.
                        let what = match r {
                            Ok(SqliteDone::Checkpointed { busy: true }) => "busy".to_owned(),
                            Ok(_) => "done".to_owned(),
                            Err(msg) => msg,
                        };
                        em.log(
                            Level::Debug,
                            Some(&paths.db),
                            format!("checkpoint PASSIVE below the read mark: {what}"),
                        );
                        Ok(())
                    }
                    (SqliteCmd::BeginNextRead, Err(msg)) => {
                        // Only an optimisation: keep the read transaction we have.
                        self.queue
                            .retain(|s| *s != Step::Sqlite(SqliteCmd::EndPrevRead));
                        em.log(Level::Debug, Some(&paths.db), msg);
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
                        if cmd == SqliteCmd::BeginWriteBarrier {
                            // A busy writer, not a pinned WAL: try again after the next
                            // pass rather than after the rate limit's full interval.
                            self.checkpoint_not_before = now;
                        }
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
            (Active::Single(Step::Close), Completion::Sqlite(_)) if self.reopen => {
                // Closing connections to a file that is gone cannot fail in a way that
                // matters: open whatever the path names now.
                self.reopen = false;
                self.sqlite_open = false;
                self.lifecycle = Lifecycle::Opening;
                self.queue.clear();
                self.queue.extend(open_steps());
                Ok(())
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
}
