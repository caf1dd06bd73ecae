//! The application's side of the model: random transactions (committed at once or
//! spilled into the WAL first), long reads, checkpoints, closing its last connection, and
//! replacing the database with a restore.

use litestream_core::io::{CheckpointMode, IoFail};
use litestream_core::time::UnixMs;

use super::{busy, make_page, DiscardKind, Origin, Pending, SimWriter};
use crate::fs::SimFs;
use crate::image::{Image, Page};
use crate::rng::Rng;

impl SimWriter {
    /// A random application transaction: page writes, growth, or a VACUUM-like shrink.
    pub(super) fn random_writes(&mut self, rng: &mut Rng) -> (Vec<(u32, Page)>, u32) {
        let cur = self.image.len().max(1);
        let seq = self.history.len() as u64;
        let mut size = cur;
        let mut pgnos = std::collections::BTreeSet::new();
        if cur > 4 && rng.chance(60) {
            size = cur - rng.range(1, u64::from(cur / 2)) as u32;
            pgnos.insert(1);
            for _ in 0..rng.range(1, 8) {
                pgnos.insert(rng.range(1, u64::from(size)) as u32);
            }
        } else {
            if cur < self.max_pages && rng.chance(300) {
                size = (cur + rng.range(1, 4) as u32).min(self.max_pages);
            }
            for p in cur + 1..=size {
                pgnos.insert(p);
            }
            for _ in 0..rng.range(1, 6) {
                pgnos.insert(rng.range(1, u64::from(size)) as u32);
            }
        }
        let writes = pgnos
            .into_iter()
            .map(|p| (p, make_page(self.page_size, seq, p, rng)))
            .collect();
        (writes, size)
    }

    /// The application commits one random transaction at once. Busy while the daemon's
    /// barrier or another transaction holds the write lock.
    pub fn app_commit(
        &mut self,
        fs: &mut SimFs,
        rng: &mut Rng,
        now: UnixMs,
    ) -> Result<u64, IoFail> {
        if self.barrier || self.pending.is_some() {
            return Err(busy("app write"));
        }
        let (writes, size) = self.random_writes(rng);
        self.begin_write(fs, rng, now);
        Ok(self.write_commit(fs, writes, size, Origin::App, now))
    }

    /// The application starts a transaction that spills frames into the WAL before it
    /// commits (`app_finish` commits or rolls it back). A one-page transaction commits at
    /// once: `Ok(Some(seq))`.
    pub fn app_begin_spill(
        &mut self,
        fs: &mut SimFs,
        rng: &mut Rng,
        now: UnixMs,
    ) -> Result<Option<u64>, IoFail> {
        if self.barrier || self.pending.is_some() {
            return Err(busy("app write"));
        }
        let (writes, size) = self.random_writes(rng);
        if writes.len() < 2 {
            self.begin_write(fs, rng, now);
            return Ok(Some(self.write_commit(fs, writes, size, Origin::App, now)));
        }
        self.begin_write(fs, rng, now);
        let enc = self.encoder();
        let mut p = Pending {
            writes,
            size,
            written: 0,
            enc,
        };
        let n = p.writes.len() - 1;
        self.write_frames(fs, &mut p, n, now);
        self.pending = Some(p);
        Ok(None)
    }

    /// Finish the spilled transaction: commit it, or roll it back (its frames stay behind
    /// as a stale tail). Returns the commit's sequence number.
    pub fn app_finish(&mut self, fs: &mut SimFs, commit: bool, now: UnixMs) -> Option<u64> {
        let mut p = self.pending.take()?;
        if !commit {
            return None;
        }
        let n = p.writes.len();
        self.write_frames(fs, &mut p, n, now);
        Some(self.finish_commit(fs, p, Origin::App))
    }

    /// The application holds (or releases) a long read transaction.
    pub fn app_read(&mut self, hold: bool) {
        self.app_reader = hold.then(|| self.mark_now());
    }

    /// The application runs `PRAGMA wal_checkpoint(mode)`; returns SQLite's busy flag.
    pub fn app_checkpoint(
        &mut self,
        fs: &mut SimFs,
        rng: &mut Rng,
        mode: CheckpointMode,
        now: UnixMs,
    ) -> Result<bool, IoFail> {
        self.checkpoint(fs, rng, mode, false, now)
    }

    /// The application closes its last connection while the daemon is down: a full
    /// checkpoint, and without `PERSIST_WAL` the WAL file is deleted.
    pub fn app_close_delete_wal(&mut self, fs: &mut SimFs, rng: &mut Rng, now: UnixMs) -> bool {
        if self.daemon_reads() || self.pending.is_some() || self.app_reader.is_some() {
            return false;
        }
        let _ = self.checkpoint(fs, rng, CheckpointMode::Passive, false, now);
        if self.n_backfill != self.frames.len() {
            return false;
        }
        self.discard(DiscardKind::Deleted, false);
        let _ = fs.remove(&self.wal_path, false);
        if let Some(dir) = self.wal_path.parent() {
            fs.fsync_dir(dir);
        }
        self.forget_wal();
        true
    }

    /// Replace the database with `image` (a restore from backup) while nothing is
    /// connected: the WAL is deleted and the restored state becomes the newest commit.
    pub fn restore_from(&mut self, fs: &mut SimFs, image: Image, now: UnixMs) {
        let mut bytes = Vec::new();
        for pgno in 1..=image.len() {
            bytes.extend_from_slice(&image.get(pgno).expect("in range").bytes);
        }
        fs.write_durable(&self.db_path, &bytes, now)
            .expect("the database directory exists");
        let _ = fs.remove(&self.wal_path, false);
        if let Some(dir) = self.wal_path.parent() {
            fs.fsync_dir(dir);
        }
        self.forget_wal();
        self.pending = None;
        let hash = image.hash();
        self.image = image.clone();
        self.record(image, hash, Origin::Restore);
    }
}
