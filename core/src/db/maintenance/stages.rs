//! Running a maintenance job: its completions move it through listing the levels it
//! needs, compacting, deleting remote files and removing the local copies of deleted L0
//! files.

use std::path::PathBuf;

use super::{integrity, Job, Maintenance, MaintenanceSettings, Stage};
use crate::emit::{Emitter, Lane, Level};
use crate::io::{Command, Completion, DbId, ObjectKey, ReplicaCmd};
use crate::time::UnixMs;

impl Maintenance {
    /// A completion for the maintenance lane.
    #[allow(clippy::too_many_arguments)]
    pub fn on_completion(
        &mut self,
        id: DbId,
        s: &MaintenanceSettings,
        ltx0: &std::path::Path,
        db: &crate::io::SharedPath,
        c: Completion,
        wall: UnixMs,
        em: &mut Emitter,
    ) {
        let Some((_, stage)) = self.active.take() else {
            return;
        };
        let job = self.current;
        match self.step(id, s, ltx0, stage, c, wall, em) {
            Ok(()) => {
                if let (Some(Job::Repair(txid)), None) = (job, &self.active) {
                    em.log(
                        Level::Warn,
                        Some(db),
                        format!(
                            "replica rebased on a new snapshot (level 9, {}): it can be restored again",
                            crate::ltx::format_filename(1, txid)
                        ),
                    );
                }
                self.finished(id, Ok(()), em)
            }
            Err(msg) => {
                if self.last_error.as_deref() != Some(msg.as_str()) {
                    em.log(Level::Error, Some(db), msg.clone());
                }
                self.last_error = Some(msg.clone());
                self.retention_pass = false;
                if matches!(self.current, Some(Job::Repair(_))) {
                    // Start over: the next check finds the hole again and asks for a new
                    // snapshot.
                    self.repairing = false;
                    self.current = None;
                }
                self.finished(id, Err(msg), em);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        id: DbId,
        s: &MaintenanceSettings,
        ltx0: &std::path::Path,
        stage: Stage,
        c: Completion,
        wall: UnixMs,
        em: &mut Emitter,
    ) -> Result<(), String> {
        let issue = |em: &mut Emitter, cmd: ReplicaCmd| {
            em.issue(id, Lane::Maintenance, Command::Replica { db: id, cmd })
        };
        match (stage, c) {
            (
                Stage::Listing {
                    job,
                    next_level,
                    mut levels,
                },
                Completion::ObjectsListed(r),
            ) => {
                let files = r.map_err(|e| {
                    format!("maintenance: list level {next_level}: {}", e.message())
                })?;
                levels[usize::from(next_level)] = files;
                let last_needed = match job {
                    Job::Compact(l) => l,
                    Job::L0Retention => 1,
                    Job::Snapshot | Job::Repair(_) | Job::Verify => 9,
                };
                if next_level < last_needed {
                    let op = issue(
                        em,
                        ReplicaCmd::List {
                            level: next_level + 1,
                        },
                    );
                    self.active = Some((
                        op,
                        Stage::Listing {
                            job,
                            next_level: next_level + 1,
                            levels,
                        },
                    ));
                    return Ok(());
                }
                if job == Job::Verify {
                    let hole = integrity::unrestorable(&levels);
                    self.report_hole(job, hole);
                    return Ok(());
                }
                if job == Job::Compact(1) {
                    if next_level == 1 && integrity::needs_snapshot_level(&levels) {
                        let op = issue(em, ReplicaCmd::List { level: 9 });
                        self.active = Some((
                            op,
                            Stage::Listing {
                                job,
                                next_level: 9,
                                levels,
                            },
                        ));
                        return Ok(());
                    }
                    if !self.repairing {
                        let hole = integrity::missing_files(&levels, self.seen_l1_max);
                        let found = hole.is_some();
                        self.report_hole(job, hole);
                        if found {
                            // Compact nothing on a listing with a hole.
                            return Ok(());
                        }
                    }
                    self.seen_l1_max = self.seen_l1_max.max(integrity::level_max(&levels[1]));
                }
                self.decide(id, s, ltx0, job, &levels, wall, em);
                Ok(())
            }
            (Stage::Compacting { job }, Completion::ObjectDone(r)) => {
                r.map_err(|e| format!("maintenance: {job:?}: {}", e.message()))?;
                self.last_error = None;
                match job {
                    Job::Compact(1) => self.queue.push_front(Job::L0Retention),
                    Job::Repair(_) => self.repairing = false,
                    Job::Snapshot => {
                        // Re-list everything and apply snapshot retention.
                        let op = issue(em, ReplicaCmd::List { level: 0 });
                        self.active = Some((
                            op,
                            Stage::Listing {
                                job: Job::Snapshot,
                                next_level: 0,
                                levels: vec![Vec::new(); 10],
                            },
                        ));
                        self.retention_pass = true;
                    }
                    _ => {}
                }
                Ok(())
            }
            (Stage::Deleting { local }, Completion::ObjectDone(r)) => {
                r.map_err(|e| format!("maintenance: delete: {}", e.message()))?;
                self.remove_local(id, local, em);
                Ok(())
            }
            (Stage::RemovingLocal { rest }, Completion::Done(r)) => {
                r.map_err(|e| format!("maintenance: remove local ltx file: {}", e.message))?;
                self.remove_local(id, rest, em);
                Ok(())
            }
            (stage, c) => Err(format!("internal error: maintenance {stage:?} got {c:?}")),
        }
    }

    /// A hole counts once two checks in a row agree on it (a listing can miss a file
    /// being created while it reads the directory); then the database is told, and
    /// no new hole is reported until the repair ends.
    fn report_hole(&mut self, job: Job, hole: Option<String>) {
        if self.repairing {
            return;
        }
        let Some(hole) = hole else {
            // Only the same check can clear its suspicion: the level 1 check cannot see
            // what the full check found.
            if self.suspected_hole.as_ref().is_some_and(|(j, _)| *j == job) {
                self.suspected_hole = None;
            }
            return;
        };
        if self.suspected_hole.as_ref() == Some(&(job, hole.clone())) {
            self.suspected_hole = None;
            self.seen_l1_max = 0;
            self.repairing = true;
            self.lost = Some(hole);
        } else {
            self.suspected_hole = Some((job, hole));
        }
    }

    pub(super) fn remove_local(&mut self, id: DbId, mut files: Vec<PathBuf>, em: &mut Emitter) {
        if let Some(p) = files.pop() {
            let op = em.issue(
                id,
                Lane::Maintenance,
                Command::Remove {
                    path: p,
                    recursive: false,
                },
            );
            self.active = Some((op, Stage::RemovingLocal { rest: files }));
        }
    }

    pub(super) fn delete(
        &mut self,
        id: DbId,
        keys: Vec<ObjectKey>,
        local: Vec<PathBuf>,
        em: &mut Emitter,
    ) {
        if keys.is_empty() {
            self.remove_local(id, local, em);
            return;
        }
        let op = em.issue(
            id,
            Lane::Maintenance,
            Command::Replica {
                db: id,
                cmd: ReplicaCmd::Delete { keys },
            },
        );
        self.active = Some((op, Stage::Deleting { local }));
    }
}
