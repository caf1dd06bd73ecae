//! Helpers for scripted scenarios: each action is one traced step, like the random run's.

use std::time::Duration;

use litestream_core::io::CheckpointMode;
use litestream_core::ltx;

use crate::check::Checker;
use crate::sim::{Failure, Sim, SimConfig};

/// One local L0 file as a scenario sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalFile {
    /// Its TXID.
    pub txid: u64,
    /// The core wrote it as a snapshot (its log said so).
    pub snapshot: bool,
}

impl SimConfig {
    /// The settings of [`Sim::scripted`].
    pub fn scripted(seed: u64) -> SimConfig {
        let mut cfg = SimConfig::new(seed);
        cfg.settings.checkpoint.min_pages = 1_000_000;
        cfg.settings.checkpoint.truncate_pages = None;
        cfg.settings.checkpoint.interval = None;
        cfg.initial_pages = 12;
        cfg
    }
}

impl Sim {
    /// A world for scripted scenarios: no automatic checkpoints, no faults.
    pub fn scripted(seed: u64) -> Sim {
        Sim::new(SimConfig::scripted(seed))
    }

    fn traced(&mut self, what: String) -> Result<(), Failure> {
        self.line = format!("{} {what}", self.prefix());
        self.after_input()
    }

    /// The application commits `n` random transactions, 10 ms apart.
    pub fn commit(&mut self, n: usize) -> Result<(), Failure> {
        self.commit_spaced(n, Duration::from_millis(10))
    }

    /// The application commits `n` random transactions, `gap` apart.
    pub fn commit_spaced(&mut self, n: usize, gap: Duration) -> Result<(), Failure> {
        for _ in 0..n {
            let wall = self.clock.wall();
            let r = self.writer.app_commit(&mut self.fs, &mut self.rng, wall);
            if r.is_ok() {
                self.notify_wal();
            }
            self.traced(format!("app-commit {r:?}"))?;
            self.run_for(gap)?;
        }
        Ok(())
    }

    /// The application runs a checkpoint now; returns SQLite's busy flag.
    pub fn app_checkpoint_now(&mut self, mode: CheckpointMode) -> Result<bool, Failure> {
        let wall = self.clock.wall();
        let r = self
            .writer
            .app_checkpoint(&mut self.fs, &mut self.rng, mode, wall);
        self.traced(format!("app-checkpoint {} => {r:?}", mode.as_str()))?;
        r.map_err(|e| self.fail(e.message))
    }

    /// The local L0 files, oldest first.
    pub fn local_files(&self) -> Vec<LocalFile> {
        self.fs
            .list_dir(&self.settings.paths.ltx0)
            .iter()
            .filter_map(|n| ltx::parse_filename(n).map(|(_, max)| max))
            .map(|txid| LocalFile {
                txid,
                snapshot: self.written.get(&txid).is_some_and(|r| r.is_some()),
            })
            .collect()
    }

    /// The newest local L0 file.
    pub fn newest_local(&self) -> Option<LocalFile> {
        self.local_files().last().copied()
    }

    /// Restoring the newest state from the store gives the database's newest commit.
    pub fn restore_matches_head(&self) -> bool {
        Checker::restore(&self.store, None).is_ok_and(|i| i.hash() == self.writer.head().hash)
    }

    /// Sync with `wait_replica`, expecting success within a minute.
    pub fn sync_ok(&mut self) -> Result<litestream_core::emit::SyncReport, Failure> {
        match self.sync(true, Duration::from_secs(60))? {
            Ok(r) => Ok(r),
            Err(e) => Err(self.fail(format!("sync failed: {e}"))),
        }
    }
}
