//! What a replica-lane completion means for a database: uploads, failures (logged with
//! their back-off, one ERROR per 30 attempts), recovery, and local files gone missing.

use super::Db;
use crate::emit::{Emitter, Level};
use crate::io::{Completion, DbId};
use crate::ltx;
use crate::replica::LaneEvent;
use crate::time::{Mono, UnixMs};

impl Db {
    /// A completion of this database's replica lane.
    pub(super) fn on_replica_completion(
        &mut self,
        id: DbId,
        c: Completion,
        now: Mono,
        wall: UnixMs,
        em: &mut Emitter,
    ) {
        let local = self.local_txid();
        let failed_before = self.replica.failures;
        let event = self.replica.on_completion(now, wall, local, c);
        if failed_before > 0 && self.replica.failures == 0 {
            // The ERROR line of the outage needs its end at the same level.
            em.log(
                Level::Info,
                Some(&self.settings.paths.db),
                format!("replica sync recovered after {failed_before} failed attempts"),
            );
        }
        match event {
            LaneEvent::Failed {
                message,
                permanent,
                retry_in,
            } => {
                let hint = if permanent {
                    " (the configuration or permissions must change: retrying slowly)"
                } else {
                    ""
                };
                let failures = self.replica.failures;
                // One error line, then one per 30 failures: the rest at debug level, so a
                // long outage does not flood the log but stays traceable.
                let level = if failures == 1 || failures.is_multiple_of(30) {
                    Level::Error
                } else {
                    Level::Debug
                };
                em.log(
                    level,
                    Some(&self.settings.paths.db),
                    format!(
                        "replica sync failed: {message}{hint} (failure {failures}, retrying in {:.1}s)",
                        retry_in.as_secs_f64()
                    ),
                );
                self.waiters.fail_replica(id, &message, em);
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
    }
}
