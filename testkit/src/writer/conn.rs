//! The daemon's SQLite connections (open, read transaction, write barrier, checkpoints,
//! close) and crashes of either process.

use litestream_core::io::{CheckpointMode, IoFail, IoFailKind};
use litestream_core::time::UnixMs;

use super::{busy, make_page, Origin, Pending, SimWriter};
use crate::fs::SimFs;
use crate::rng::Rng;

impl SimWriter {
    /// The daemon's `_litestream_seq` bump: a one-page committed write.
    fn bump(&mut self, fs: &mut SimFs, rng: &mut Rng, now: UnixMs) -> Result<u64, IoFail> {
        if self.pending.is_some() {
            return Err(busy("write _litestream_seq"));
        }
        let seq = self.history.len() as u64;
        let size = self.image.len().max(1);
        let writes = vec![(1, make_page(self.page_size, seq, 1, rng))];
        self.begin_write(fs, rng, now);
        Ok(self.write_commit(fs, writes, size, Origin::Daemon, now))
    }

    /// `SqliteCmd::Open`: make sure the WAL has a header, take the read transaction.
    pub fn daemon_open(
        &mut self,
        fs: &mut SimFs,
        rng: &mut Rng,
        now: UnixMs,
    ) -> Result<u32, IoFail> {
        if fs.len(&self.wal_path).unwrap_or(0) < 32 {
            self.bump(fs, rng, now)?;
        }
        self.daemon_read = Some(self.mark_now());
        if self.daemon_since.is_none() {
            self.daemon_since = Some(self.head().seq);
        }
        Ok(self.page_size)
    }

    /// `SqliteCmd::BeginWriteBarrier`.
    pub fn daemon_begin_barrier(&mut self) -> Result<(), IoFail> {
        if self.pending.is_some() {
            return Err(busy("begin write barrier"));
        }
        if self.barrier {
            return Err(IoFail {
                kind: IoFailKind::Other,
                message: "begin write barrier: cannot start a transaction within a transaction"
                    .into(),
            });
        }
        self.barrier = true;
        Ok(())
    }

    /// `SqliteCmd::EndWriteBarrier`: roll the barrier back, bump `_litestream_seq`.
    pub fn daemon_end_barrier(
        &mut self,
        fs: &mut SimFs,
        rng: &mut Rng,
        now: UnixMs,
    ) -> Result<(), IoFail> {
        self.barrier = false;
        self.bump(fs, rng, now).map(|_| ())
    }

    /// `SqliteCmd::Checkpoint`: release the read transaction, checkpoint, take it again.
    pub fn daemon_checkpoint(
        &mut self,
        fs: &mut SimFs,
        rng: &mut Rng,
        mode: CheckpointMode,
        now: UnixMs,
    ) -> Result<bool, IoFail> {
        self.daemon_read = None;
        self.daemon_next_read = None;
        self.in_daemon_checkpoint = true;
        let r = self.checkpoint(fs, rng, mode, true, now);
        self.in_daemon_checkpoint = false;
        self.daemon_read = Some(self.mark_now());
        r
    }

    /// `SqliteCmd::CheckpointBelowRead`: a PASSIVE checkpoint while the daemon's read
    /// transactions stay held (they bound what it may copy).
    pub fn daemon_checkpoint_below_read(
        &mut self,
        fs: &mut SimFs,
        rng: &mut Rng,
        now: UnixMs,
    ) -> Result<bool, IoFail> {
        self.checkpoint(fs, rng, CheckpointMode::Passive, true, now)
    }

    /// `SqliteCmd::BeginNextRead`: a second read transaction; the first stays held.
    pub fn daemon_begin_next_read(&mut self) {
        self.daemon_next_read = Some(self.mark_now());
    }

    /// `SqliteCmd::EndPrevRead`: the next read transaction replaces the first.
    pub fn daemon_end_prev_read(&mut self) {
        if let Some(next) = self.daemon_next_read.take() {
            self.daemon_read = Some(next);
        }
    }

    /// `SqliteCmd::Close`, or the daemon's process died: its connections are gone.
    pub fn daemon_gone(&mut self) {
        self.daemon_read = None;
        self.daemon_next_read = None;
        self.daemon_since = None;
        self.barrier = false;
    }

    /// The application process crashed: a transaction in progress (or one it was about to
    /// write) leaves a torn tail of unsynced frames behind the last commit.
    pub fn app_crash(&mut self, fs: &mut SimFs, rng: &mut Rng, now: UnixMs) {
        self.app_reader = None;
        let mut p = match self.pending.take() {
            Some(p) => p,
            None if !self.barrier && rng.chance(700) => {
                let (writes, size) = self.random_writes(rng);
                self.begin_write(fs, rng, now);
                let enc = self.encoder();
                let mut p = Pending {
                    writes,
                    size,
                    written: 0,
                    enc,
                };
                let n = rng.below(p.writes.len() as u64) as usize;
                self.write_frames(fs, &mut p, n, now);
                p
            }
            None => return,
        };
        // Half of the next frame made it to the file.
        if p.written < p.writes.len() {
            let mut tail = Vec::new();
            let (pgno, pg) = p.writes[p.written].clone();
            p.enc
                .append_frame(&mut tail, pgno, 0, &pg.bytes)
                .expect("pages have the page size");
            tail.truncate(rng.range(1, tail.len() as u64 - 1) as usize);
            let off = self.frame_offset(self.frames.len() + p.written);
            fs.write(&self.wal_path, off, &tail, false, now)
                .expect("the WAL exists once a frame was written");
        }
    }

    /// Power loss: the application's transaction in progress is lost, the WAL index is
    /// rebuilt by recovery (nothing counts as backfilled), every connection is gone.
    pub fn machine_crash(&mut self) {
        self.pending = None;
        self.app_reader = None;
        self.daemon_gone();
        self.n_backfill = 0;
    }
}
