//! The random run: an application workload and a fault schedule drawn from the seed, then
//! a quiet phase where faults stop and the replica must catch up and restore exactly.

use std::time::Duration;

use litestream_core::db::checkpoint::CheckpointPolicy;
use litestream_core::io::CheckpointMode;
use litestream_core::replicator::Input;

use crate::check::{Checker, Stats};
use crate::events::Event;
use crate::exec::FsFaults;
use crate::rng::Rng;
use crate::sim::{Failure, Sim, SimConfig};
use crate::store::StoreFaults;

/// What a successful run reports.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The seed.
    pub seed: u64,
    /// Steps run.
    pub steps: u64,
    /// Hash of the whole trace (the determinism check).
    pub trace_hash: u64,
    /// Commits made by application and daemon.
    pub commits: u64,
    /// Highest TXID in the store at the end.
    pub txid: u64,
    /// Checker counters.
    pub stats: Stats,
}

const MODES: [CheckpointMode; 3] = [
    CheckpointMode::Passive,
    CheckpointMode::Restart,
    CheckpointMode::Truncate,
];

impl Sim {
    fn after(&mut self, lo_ms: u64, hi_ms: u64, ev: Event) {
        let at = self.clock.mono() + Duration::from_millis(self.rng.range(lo_ms, hi_ms));
        self.queue.push(at, ev);
    }

    /// One application action, then schedule the next.
    pub(crate) fn workload_event(&mut self) -> Result<(), crate::sim::Failure> {
        let wall = self.clock.wall();
        match self.rng.below(100) {
            0..=59 => match self.writer.app_commit(&mut self.fs, &mut self.rng, wall) {
                Ok(seq) => {
                    self.line.push_str(&format!(" app-commit #{seq}"));
                    self.notify_wal();
                }
                Err(e) => self
                    .line
                    .push_str(&format!(" app-commit busy: {}", e.message)),
            },
            60..=67 => match self
                .writer
                .app_begin_spill(&mut self.fs, &mut self.rng, wall)
            {
                Ok(None) => {
                    self.line.push_str(" app-begin-spill");
                    let commit = self.rng.chance(900);
                    self.after(1, 60, Event::AppFinish { commit });
                }
                Ok(Some(seq)) => {
                    self.line.push_str(&format!(" app-commit #{seq}"));
                    self.notify_wal();
                }
                Err(_) => {}
            },
            68..=77 => {
                let wait = self.rng.chance(700);
                self.request_sync_inner(wait);
            }
            78..=82 => {
                let mode = MODES[self.rng.below(3) as usize];
                let r = self
                    .writer
                    .app_checkpoint(&mut self.fs, &mut self.rng, mode, wall);
                self.line
                    .push_str(&format!(" app-checkpoint {} => {r:?}", mode.as_str()));
            }
            83..=85 => {
                let hold = self.writer.app_reader.is_none() && self.rng.chance(500);
                self.writer.app_read(hold);
                self.line.push_str(&format!(" app-reader hold={hold}"));
            }
            _ => {}
        }
        self.after(10, 400, Event::Workload);
        Ok(())
    }

    /// One fault, then schedule the next.
    pub(crate) fn chaos_event(&mut self) -> Result<(), crate::sim::Failure> {
        let wall = self.clock.wall();
        let now = self.clock.mono();
        match self.rng.below(100) {
            0..=19 if self.daemon_running() => {
                let machine = self.rng.chance(400);
                self.crash_daemon_inner(machine);
                let down = self.rng.range(100, 20_000);
                for _ in 0..self.rng.below(3) {
                    let mode = MODES[self.rng.below(3) as usize];
                    self.after(1, down, Event::AppCheckpoint(mode));
                }
                self.after(down, down, Event::DaemonStart);
            }
            20..=29 => {
                self.writer.app_crash(&mut self.fs, &mut self.rng, wall);
                self.queue
                    .remove_if(|e| matches!(e, Event::AppFinish { .. }));
                self.line.push_str(" app-crash");
            }
            30..=39 => {
                let until = now + Duration::from_millis(self.rng.range(500, 60_000));
                self.store.outage_until = Some(until);
                self.line
                    .push_str(&format!(" store-outage until {}", until.0));
            }
            40..=49 => {
                self.store.faults = StoreFaults {
                    fail: self.rng.below(150) as u32,
                    ambiguous: self.rng.below(200) as u32,
                };
                self.fs_faults = FsFaults {
                    fail: self.rng.below(20) as u32,
                    disk_full: self.rng.below(10) as u32,
                };
                self.drop_wal_changed = self.rng.below(300) as u32;
                self.line.push_str(&format!(
                    " faults store={:?} fs={:?} drop-walchanged={}",
                    self.store.faults, self.fs_faults, self.drop_wal_changed
                ));
            }
            50..=54 => {
                let ms = self.rng.range(0, 7_200_000) as i64 - 3_600_000;
                self.clock.jump_wall(ms);
                self.line.push_str(&format!(" wall-jump {ms}ms"));
            }
            55..=57 if !self.daemon_running() => {
                let ok = self
                    .writer
                    .app_close_delete_wal(&mut self.fs, &mut self.rng, wall);
                self.line.push_str(&format!(" app-close-delete-wal {ok}"));
            }
            _ => {}
        }
        self.after(300, 5_000, Event::Chaos);
        Ok(())
    }

    /// Stop every fault and the workload; let the daemon catch up; check that the newest
    /// restore equals the database, that a restarted daemon continues, and that shutdown
    /// finishes.
    pub fn quiesce_and_check(&mut self) -> Result<(), Failure> {
        self.queue.remove_if(|e| {
            matches!(
                e,
                Event::Workload | Event::Chaos | Event::AppCheckpoint(_) | Event::DaemonStart
            )
        });
        self.store.faults = StoreFaults::default();
        self.store.outage_until = None;
        self.fs_faults = FsFaults::default();
        self.drop_wal_changed = 0;
        let wall = self.clock.wall();
        if self.writer.in_txn() {
            self.queue
                .remove_if(|e| matches!(e, Event::AppFinish { .. }));
            self.writer.app_finish(&mut self.fs, true, wall);
            self.notify_wal();
        }
        self.writer.app_read(false);
        self.start_daemon()?;
        self.catch_up()?;
        self.checker
            .check_final(&self.store, &self.writer)
            .map_err(|m| self.fail(m))?;
        // A clean restart must continue where it stopped.
        self.crash_daemon(false)?;
        self.start_daemon()?;
        self.catch_up()?;
        self.checker
            .check_final(&self.store, &self.writer)
            .map_err(|m| self.fail(m))?;
        self.shutdown()
    }

    /// Sync (waiting for the replica) until the newest restore equals the database.
    pub fn catch_up(&mut self) -> Result<(), Failure> {
        let deadline = self.clock.mono() + Duration::from_secs(1800);
        loop {
            match self.sync(true, Duration::from_secs(60))? {
                Ok(_) => {
                    // The daemon's own `_litestream_seq` bumps may still be on their way.
                    let head = self.writer.head().hash;
                    let restored = Checker::restore(&self.store, None).map(|i| i.hash());
                    if restored == Ok(head) {
                        return Ok(());
                    }
                }
                Err(e) => self
                    .trace
                    .line(format!("{} catch-up retry after: {e}", self.prefix())),
            }
            if self.clock.mono() >= deadline {
                return Err(self.fail(format!(
                    "replica did not catch up within 30 simulated minutes after faults stopped (local txid {:?}, store txid {})",
                    self.local_txid(),
                    self.store_max_txid()
                )));
            }
            self.run_for(Duration::from_secs(5))?;
        }
    }

    /// `Input::Shutdown`, then run until the replicator reports it is finished.
    pub fn shutdown(&mut self) -> Result<(), Failure> {
        let Some(d) = self.daemon.as_mut() else {
            return Ok(());
        };
        d.r.handle(self.clock.mono(), self.clock.wall(), Input::Shutdown);
        self.line = format!("{} shutdown", self.prefix());
        self.after_input()?;
        let until = self.clock.mono() + Duration::from_secs(120);
        while !self.daemon.as_ref().is_some_and(|d| d.r.is_finished()) {
            if self.clock.mono() > until || !self.step()? {
                return Err(
                    self.fail("shutdown did not finish within 120 simulated seconds".into())
                );
            }
        }
        if self.writer.daemon_reads() || self.writer.barrier {
            return Err(
                self.fail("shutdown finished but the daemon still holds SQLite locks".into())
            );
        }
        Ok(())
    }

    /// A summary of the run so far.
    pub fn report(&self) -> RunReport {
        RunReport {
            seed: self.seed,
            steps: self.steps(),
            trace_hash: self.trace.hash(),
            commits: self.writer.head().seq,
            txid: self.store_max_txid(),
            stats: self.checker.stats.clone(),
        }
    }
}

/// A configuration drawn from `seed`: page size, initial size and checkpoint thresholds.
pub fn random_config(seed: u64) -> SimConfig {
    let mut cfg = SimConfig::new(seed);
    let mut r = Rng::new(seed ^ 0x5EED_C0F1_6000_0000);
    cfg.page_size = if r.chance(300) { 1024 } else { 512 };
    cfg.initial_pages = r.range(1, 12) as u32;
    let s = &mut cfg.settings;
    s.checkpoint = CheckpointPolicy {
        min_pages: r.range(4, 60) as u32,
        truncate_pages: r.chance(600).then(|| r.range(30, 150) as u32),
        interval: r.chance(600).then(|| Duration::from_secs(r.range(2, 60))),
    };
    let frame = 24 + u64::from(cfg.page_size);
    s.max_sync_wal_bytes = match r.below(3) {
        0 => None,
        1 => Some(frame * r.range(1, 12)),
        _ => Some(64 * 1024 * 1024),
    };
    cfg
}

/// Run one seed: `steps` steps of workload and faults, then the quiet phase and the final
/// checks. Core panics are caught and reported as failures of the seed.
pub fn run_seed(seed: u64, steps: u64) -> Result<RunReport, Failure> {
    let cfg = random_config(seed);
    let mut sim = Sim::new(cfg);
    sim.planned_steps = steps;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sim.start_daemon()?;
        sim.queue.push(sim.clock.mono(), Event::Workload);
        sim.queue
            .push(sim.clock.mono() + Duration::from_secs(1), Event::Chaos);
        while sim.steps() < steps {
            if !sim.step()? {
                break;
            }
        }
        sim.quiesce_and_check()?;
        Ok(sim.report())
    }));
    match r {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(sim.fail(format!("panic: {msg}")))
        }
    }
}
