//! What a maintenance job does once the levels it needs are listed: a compaction or
//! snapshot per the plan, or the deletions snapshot retention and L0 retention call for.

use std::path::PathBuf;
use std::time::Duration;

use super::{Job, Maintenance, MaintenanceSettings, Stage};
use crate::emit::{Emitter, Lane};
use crate::io::{Command, DbId, ObjectInfo, ReplicaCmd};
use crate::ltx;
use crate::plan::{compaction, retention};
use crate::time::UnixMs;

fn interval_start(wall: UnixMs, interval: Duration) -> UnixMs {
    let ms = i64::try_from(interval.as_millis())
        .unwrap_or(i64::MAX)
        .max(1);
    UnixMs(wall.0 - wall.0.rem_euclid(ms))
}

impl Maintenance {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn decide(
        &mut self,
        id: DbId,
        s: &MaintenanceSettings,
        ltx0: &std::path::Path,
        job: Job,
        levels: &[Vec<ObjectInfo>],
        wall: UnixMs,
        em: &mut Emitter,
    ) {
        let issue = |em: &mut Emitter, cmd: ReplicaCmd| {
            em.issue(id, Lane::Maintenance, Command::Replica { db: id, cmd })
        };
        match job {
            Job::Compact(level) => {
                let start = interval_start(wall, Self::interval(s, job));
                let src = &levels[usize::from(level - 1)];
                if let Some(p) =
                    compaction::plan_level(level, src, &levels[usize::from(level)], Some(start))
                {
                    let op = issue(
                        em,
                        ReplicaCmd::Compact {
                            inputs: p.inputs,
                            output: p.output,
                            local_l0: ltx0.to_path_buf(),
                        },
                    );
                    self.active = Some((op, Stage::Compacting { job }));
                }
            }
            Job::Snapshot if std::mem::take(&mut self.retention_pass) => {
                if !s.retention_enabled {
                    return;
                }
                let keys = retention::snapshot_retention(levels, wall, s.snapshot_retention);
                self.delete(id, keys, Vec::new(), em);
            }
            Job::Snapshot => {
                // A forced snapshot (`-once -force-snapshot`) runs whenever asked; a
                // scheduled one at most once per interval, restarts included.
                let forced = !self.serving_tickets.is_empty();
                let start = (!forced).then(|| interval_start(wall, s.snapshot_interval));
                if let Some(p) = compaction::plan_snapshot(levels, start) {
                    let op = issue(
                        em,
                        ReplicaCmd::Compact {
                            inputs: p.inputs,
                            output: p.output,
                            local_l0: ltx0.to_path_buf(),
                        },
                    );
                    self.active = Some((op, Stage::Compacting { job }));
                }
            }
            // Issued directly (no listing), see `Maintenance::advance`; checked in
            // `stages`.
            Job::Repair(_) | Job::Verify => {}
            Job::L0Retention => {
                let keys = retention::l0_retention(&levels[0], &levels[1], wall, s.l0_retention);
                let local: Vec<PathBuf> = keys
                    .iter()
                    .map(|k| ltx0.join(ltx::format_filename(k.min_txid, k.max_txid)))
                    .collect();
                let remote = if s.retention_enabled {
                    keys
                } else {
                    Vec::new()
                };
                self.delete(id, remote, local, em);
            }
        }
    }
}
