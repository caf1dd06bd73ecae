//! After a sync pass: the new position, the checkpoint decision, and failure handling.

use super::checkpoint::{self, CheckpointInputs};
use super::pass::PassOutcome;
use super::steps::{open_steps, Step};
use super::{Db, Lifecycle};
use crate::emit::{Emitter, Level};
use crate::io::{CheckpointMode, SqliteCmd};
use crate::ltx;
use crate::time::{Mono, UnixMs};

/// Shortest time between two checkpoint cycles while the WAL restarts after each. Each
/// cycle blocks a flat-out writer behind the write barrier for one SQLite busy-handler
/// step or two (about 4 and 9 ms), while a longer WAL costs it a little on every commit.
/// Measured with `bench lag` (writer slowdown, medians of paired runs): 250 ms 11–19 %,
/// 500 ms about 0–6 %, 1 s 6–9 % with the WAL reaching 400–900 MB. Under such a load
/// the WAL reaches about half a second of writes (about 260 MB there) before it
/// restarts; at ordinary rates the 1000-page threshold comes first and this gap never
/// matters.
pub const MIN_CYCLE_GAP: std::time::Duration = std::time::Duration::from_millis(500);

impl Db {
    /// A pass found the WAL without a header (emptied by the application's TRUNCATE
    /// checkpoint): not a failure, and nothing to retry; the next write wakes the next
    /// pass, which compares the new WAL with the position kept here (REPLICATION.md §5.2
    /// rows 2 and 3 decide whether the truncation lost frames we had not read).
    pub(super) fn pass_found_no_wal(&mut self) {
        self.last_error = None;
        self.backoff.reset();
        // Everything up to the old WAL's end had been synced, so the truncation lost
        // nothing: a waiting `/sync` is answered. Otherwise it waits for the pass that
        // decides about the frames the truncation took.
        if self.synced_to_wal_end {
            self.waiters.last_full_pass = self.current_pass;
        }
    }

    pub(super) fn pass_done(
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
            // Only a snapshot answers a request for one: a pass already under way when
            // the request came was started without it.
            if o.snapshot_reason.is_some() {
                self.force_snapshot = None;
                if self.repair == Some(None) {
                    self.repair = Some(Some(t));
                }
            }
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
        self.last_pass_wal_bytes = o.synced_offset.saturating_sub(self.synced_offset);
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
        // While a reader keeps the WAL from restarting, checkpoints run at most once per
        // monitor interval: otherwise every pass (each woken by the previous checkpoint's
        // own `_litestream_seq` write) would be another checkpoint. Once the WAL has
        // restarted since the last cycle nothing pins it, and the next cycle may come
        // sooner, but not sooner than MIN_CYCLE_GAP: each cycle blocks the application
        // for a few milliseconds, while a WAL a few thousand pages long costs it little.
        let restarted = self.checkpoint_salts.is_some_and(|s| s != o.salts);
        let earliest = if restarted {
            self.checkpoint_queued_at + MIN_CYCLE_GAP
        } else {
            self.checkpoint_not_before
        };
        if !checkpoint || now < earliest {
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
            self.checkpoint_salts = Some(o.salts);
            self.checkpoint_queued_at = now;
        }
        let salts_before = (o.salts.salt1, o.salts.salt2);
        let mut steps = Vec::new();
        for m in &modes {
            match m {
                CheckpointMode::Passive => steps.extend([
                    // First, with the application running: move the read mark to the
                    // WAL's end and copy everything below it. The barrier below then
                    // blocks the application only for what it wrote meanwhile, not for
                    // a whole cycle's worth of pages and their database fsync.
                    Step::Sqlite(SqliteCmd::BeginNextRead),
                    Step::Pass { checkpoint: false },
                    Step::Sqlite(SqliteCmd::EndPrevRead),
                    Step::Sqlite(SqliteCmd::CheckpointBelowRead),
                    Step::Sqlite(SqliteCmd::BeginWriteBarrier),
                    Step::Pass { checkpoint: false },
                    Step::Sqlite(SqliteCmd::Checkpoint(CheckpointMode::Passive)),
                    Step::Sqlite(SqliteCmd::EndWriteBarrier),
                    // Move the read transaction onto the new WAL generation at once (see
                    // `SqliteCmd::BeginNextRead`); the pass in between syncs every frame
                    // the new one may let a checkpoint copy before the old one ends.
                    Step::Sqlite(SqliteCmd::BeginNextRead),
                    Step::Pass { checkpoint: false },
                    Step::Sqlite(SqliteCmd::EndPrevRead),
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

    /// The path no longer names the file SQLite has open. Our connections would go on
    /// reading the old file forever, and the new file's WAL would be taken for the old
    /// one's: close them, open whatever the path names now (waiting for it to exist), and
    /// continue the TXID sequence with a snapshot of it.
    pub(super) fn reopen_replaced(&mut self, msg: String, em: &mut Emitter) {
        self.queue.clear();
        self.queue.push_back(Step::Close);
        if self.lifecycle == Lifecycle::Closing {
            em.log(
                Level::Warn,
                Some(&self.settings.paths.db),
                format!("{msg}: skipping the final sync"),
            );
            return;
        }
        em.log(
            Level::Warn,
            Some(&self.settings.paths.db),
            format!("{msg}: reopening it; the next sync writes a snapshot of the new file"),
        );
        self.reopen = true;
        self.db_file_id = None;
        self.synced_to_wal_end = false;
        self.force_snapshot = Some("database file replaced");
    }

    pub(super) fn fail(&mut self, msg: String, now: Mono, em: &mut Emitter) {
        self.waiters.fail_local(self.id, &msg, em);
        let barrier = self
            .queue
            .iter()
            .any(|s| *s == Step::Sqlite(SqliteCmd::EndWriteBarrier));
        self.queue.clear();
        self.pass = None;
        // The failed step may have released the read transaction (a checkpoint that could
        // not take it back): from here on a WAL restart proves nothing about what we synced.
        self.synced_to_wal_end = false;
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
            // Shutting down: no retry to wait for, close now.
            Lifecycle::Closing => {
                self.queue.push_back(Step::Close);
                self.retry_at = None;
                em.log(
                    Level::Error,
                    Some(&self.settings.paths.db),
                    format!("{msg}: skipping the final sync"),
                );
                self.last_error = Some(msg);
                return;
            }
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
