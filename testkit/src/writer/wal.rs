//! The WAL side of the model: generations, frame writes, commits, checkpoints, restarts.

use litestream_core::io::{CheckpointMode, IoFail};
use litestream_core::time::UnixMs;
use litestream_core::wal::{Salts, WalEncoder, WalHeader};

use super::{Discard, DiscardKind, Frame, Origin, Pending, ReadMark, SimWriter};
use crate::fs::SimFs;
use crate::image::Page;
use crate::rng::Rng;

impl SimWriter {
    /// Byte offset of frame `i` (0-based) of the current generation.
    pub(super) fn frame_offset(&self, i: usize) -> u64 {
        32 + i as u64 * (24 + u64::from(self.page_size))
    }

    fn frame_readers(&self) -> bool {
        self.readers().any(|r| matches!(r, ReadMark::Frame(_)))
    }

    /// Start a write transaction: restart the WAL after a complete checkpoint when no
    /// frame-mark reader pins it, or start a new WAL when there is none.
    pub(super) fn begin_write(&mut self, _fs: &mut SimFs, rng: &mut Rng, _now: UnixMs) {
        let complete = !self.frames.is_empty() && self.n_backfill == self.frames.len();
        if self.header.is_some() && complete && !self.frame_readers() {
            self.discard(DiscardKind::Restart, false);
            let old = self.header.expect("checked above").salts();
            self.ckpt_seq += 1;
            self.header = Some(self.new_header(old.salt1.wrapping_add(1), rng));
            self.frames.clear();
            self.n_backfill = 0;
            self.enc = None;
        }
        if self.header.is_none() {
            self.ckpt_seq += 1;
            let s1 = self.next_salt1;
            self.next_salt1 = s1.wrapping_add(1);
            self.header = Some(self.new_header(s1, rng));
            self.frames.clear();
            self.n_backfill = 0;
            self.enc = None;
        }
    }

    fn new_header(&self, salt1: u32, rng: &mut Rng) -> WalHeader {
        WalHeader::new(
            false,
            self.page_size,
            self.ckpt_seq,
            Salts::new(salt1, rng.next_u64() as u32),
        )
        .expect("the page size is valid")
    }

    /// The checksum state after the last committed frame.
    pub(super) fn encoder(&self) -> WalEncoder {
        match (&self.enc, self.frames.is_empty()) {
            (Some(e), false) => e.clone(),
            _ => WalEncoder::new(&self.header.expect("begin_write made a header")),
        }
    }

    /// Write frames `p.written..upto` of a transaction (unsynced).
    pub(super) fn write_frames(
        &mut self,
        fs: &mut SimFs,
        p: &mut Pending,
        upto: usize,
        now: UnixMs,
    ) {
        let last = p.writes.len() - 1;
        for i in p.written..upto {
            let (pgno, ref pg) = p.writes[i];
            let commit = if i == last { p.size } else { 0 };
            let mut bytes = Vec::new();
            p.enc
                .append_frame(&mut bytes, pgno, commit, &pg.bytes)
                .expect("pages have the page size");
            let idx = self.frames.len() + i;
            if idx == 0 {
                let h = self.header.expect("begin_write made a header").encode();
                let create = !fs.exists(&self.wal_path);
                fs.write(&self.wal_path, 0, &h, create, now)
                    .expect("the database directory exists");
                if create {
                    // Durable like the rest of a synchronous=FULL commit.
                    if let Some(dir) = self.wal_path.parent() {
                        fs.fsync_dir(dir);
                    }
                }
            }
            fs.write(&self.wal_path, self.frame_offset(idx), &bytes, false, now)
                .expect("the WAL exists");
        }
        p.written = upto;
    }

    /// Write a whole transaction and commit it.
    pub(super) fn write_commit(
        &mut self,
        fs: &mut SimFs,
        writes: Vec<(u32, Page)>,
        size: u32,
        origin: Origin,
        now: UnixMs,
    ) -> u64 {
        let enc = self.encoder();
        let mut p = Pending {
            writes,
            size,
            written: 0,
            enc,
        };
        let n = p.writes.len();
        self.write_frames(fs, &mut p, n, now);
        self.finish_commit(fs, p, origin)
    }

    /// The commit frame is written: fsync the WAL and record the new state.
    pub(super) fn finish_commit(&mut self, fs: &mut SimFs, p: Pending, origin: Origin) -> u64 {
        fs.fsync(&self.wal_path);
        let seq = self.history.len() as u64;
        let mut image = self.image.clone();
        for (pgno, pg) in &p.writes {
            self.frames.push(Frame {
                pgno: *pgno,
                page: pg.clone(),
                seq,
            });
            image.set(*pgno, pg.clone());
        }
        image.truncate(p.size);
        self.enc = Some(p.enc);
        let hash = image.hash();
        self.image = image.clone();
        self.record(image, hash, origin);
        seq
    }

    /// `PRAGMA wal_checkpoint(mode)` by the application (`by_daemon` false) or the daemon.
    pub(super) fn checkpoint(
        &mut self,
        fs: &mut SimFs,
        _rng: &mut Rng,
        mode: CheckpointMode,
        by_daemon: bool,
        now: UnixMs,
    ) -> Result<bool, IoFail> {
        let mx = self.frames.len();
        let lock_taken = self.pending.is_some() || (self.barrier && !by_daemon);
        let mut safe = mx;
        let mut blocked = false;
        for r in self.readers() {
            match r {
                ReadMark::Frame(m) => safe = safe.min(m),
                ReadMark::Zero => blocked = true,
            }
        }
        if self.n_backfill < safe && !blocked {
            let max_page = self.image.len();
            let ps = u64::from(self.page_size);
            for f in &self.frames[self.n_backfill..safe] {
                if f.pgno <= max_page {
                    let off = u64::from(f.pgno - 1) * ps;
                    fs.write(&self.db_path, off, &f.page.bytes, false, now)
                        .expect("the database file exists");
                }
            }
            if safe == mx {
                fs.set_len(&self.db_path, u64::from(max_page) * ps, now);
            }
            fs.fsync(&self.db_path);
            self.n_backfill = safe;
        }
        let complete = self.n_backfill == mx;
        if mode == CheckpointMode::Passive {
            return Ok(false);
        }
        if lock_taken || !complete || self.frame_readers() {
            return Ok(true);
        }
        if mode == CheckpointMode::Truncate {
            self.discard(DiscardKind::Truncate, by_daemon);
            fs.set_len(&self.wal_path, 0, now);
            fs.fsync(&self.wal_path);
            self.forget_wal();
        }
        Ok(false)
    }

    /// The WAL is gone (truncated or deleted): the next write starts a new one.
    pub(super) fn forget_wal(&mut self) {
        if let Some(h) = self.header {
            self.next_salt1 = h.salts().salt1.wrapping_add(1);
        }
        self.header = None;
        self.frames.clear();
        self.n_backfill = 0;
        self.enc = None;
    }

    /// Record that the current generation's frames are about to be discarded.
    pub(super) fn discard(&mut self, kind: DiscardKind, by_daemon: bool) {
        let Some(last) = self.frames.last() else {
            return;
        };
        let held = self.daemon_reads() || self.in_daemon_checkpoint;
        let protected = held && self.daemon_since.is_some_and(|s| last.seq > s);
        self.discards.push(Discard {
            kind,
            last_seq: last.seq,
            protected,
            by_daemon,
        });
    }
}
