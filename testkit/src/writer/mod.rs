//! `SimWriter`: a model SQLite database in WAL mode, written by a simulated application
//! and by the daemon's own connections.
//!
//! The database file and the WAL live in [`SimFs`]; frames are real WAL frames made with
//! the core's [`WalEncoder`]. The model keeps SQLite's WAL-index facts (`mxFrame`,
//! `nBackfill`, read marks, the write lock) and follows its rules:
//!
//! * a reader holds a read mark: mark 0 (the WAL was fully backfilled when it began: it
//!   reads the database file only, so no checkpoint may backfill while it is held, but it
//!   does not block a WAL restart) or a frame mark `m` (checkpoints stop at `m`, and the
//!   WAL cannot restart);
//! * the first writer after a complete checkpoint restarts the WAL (new salts, frames
//!   again from offset 32, stale frames left behind) unless a frame-mark reader exists;
//! * PASSIVE copies what readers allow; FULL/RESTART/TRUNCATE report busy when they cannot
//!   finish; TRUNCATE cuts the WAL to zero bytes;
//! * commits fsync the WAL (synchronous=FULL), so a crash loses only the transaction in
//!   progress, whose frames are left behind as a torn tail.
//!
//! Every commit is remembered with its full image so the checker can compare restores.

mod app;
mod conn;
mod wal;

use std::collections::BTreeMap;
use std::path::PathBuf;

use litestream_core::io::{IoFail, IoFailKind};
use litestream_core::time::UnixMs;
use litestream_core::wal::{WalEncoder, WalHeader};

use crate::fs::SimFs;
use crate::image::{page, Image, Page};
use crate::rng::Rng;

/// A reader's position in the WAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMark {
    /// Reads the database file only (the WAL was fully backfilled when it began).
    Zero,
    /// Reads WAL frames up to this count.
    Frame(usize),
}

/// Who made a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The initial database file.
    Initial,
    /// The application.
    App,
    /// The daemon's `_litestream_seq` bump.
    Daemon,
    /// The database was replaced by a restore from backup.
    Restore,
}

/// One committed state of the database.
#[derive(Debug, Clone)]
pub struct Commit {
    /// Sequence number (index in the history).
    pub seq: u64,
    /// The whole database after it.
    pub image: Image,
    /// `image.hash()`.
    pub hash: u64,
    /// Who made it.
    pub origin: Origin,
}

/// How WAL frames were discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscardKind {
    /// A writer restarted the WAL after a complete checkpoint.
    Restart,
    /// A TRUNCATE checkpoint cut the WAL to zero bytes.
    Truncate,
    /// The application's last connection closed and deleted the WAL.
    Deleted,
}

/// A WAL generation whose frames were discarded (for the checker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discard {
    /// How.
    pub kind: DiscardKind,
    /// The last commit held in the discarded generation.
    pub last_seq: u64,
    /// The daemon's read transaction was held since before that commit.
    pub protected: bool,
    /// The discard came from a checkpoint the daemon itself ran.
    pub by_daemon: bool,
}

#[derive(Debug, Clone)]
struct Frame {
    pgno: u32,
    page: Page,
    seq: u64,
}

/// An application transaction whose frames are written but whose commit frame is not.
#[derive(Debug, Clone)]
struct Pending {
    writes: Vec<(u32, Page)>,
    size: u32,
    written: usize,
    enc: WalEncoder,
}

/// The model database.
#[derive(Debug)]
pub struct SimWriter {
    /// Bytes per page.
    pub page_size: u32,
    /// The database file.
    pub db_path: PathBuf,
    /// `<db>-wal`.
    pub wal_path: PathBuf,
    image: Image,
    history: Vec<Commit>,
    by_hash: BTreeMap<u64, u64>,
    header: Option<WalHeader>,
    next_salt1: u32,
    ckpt_seq: u32,
    frames: Vec<Frame>,
    n_backfill: usize,
    enc: Option<WalEncoder>,
    pending: Option<Pending>,
    /// The daemon's long-lived read transaction.
    pub daemon_read: Option<ReadMark>,
    /// The daemon's next read transaction, started before `daemon_read` ends.
    pub daemon_next_read: Option<ReadMark>,
    daemon_since: Option<u64>,
    in_daemon_checkpoint: bool,
    /// The daemon's write barrier is held.
    pub barrier: bool,
    /// A long-running application reader.
    pub app_reader: Option<ReadMark>,
    /// Largest database size in pages the random workload grows to.
    pub max_pages: u32,
    /// Discarded generations not yet seen by the checker.
    pub discards: Vec<Discard>,
}

pub(super) fn busy(what: &str) -> IoFail {
    IoFail {
        kind: IoFailKind::Busy,
        message: format!("{what}: database is locked"),
    }
}

impl SimWriter {
    /// A database of `pages` random pages at `db_path` (no WAL yet), made durable.
    pub fn create(
        fs: &mut SimFs,
        db_path: PathBuf,
        page_size: u32,
        pages: u32,
        rng: &mut Rng,
        now: UnixMs,
    ) -> SimWriter {
        let mut wal = db_path.clone().into_os_string();
        wal.push("-wal");
        let mut image = Image::new(page_size);
        for pgno in 1..=pages {
            image.set(pgno, make_page(page_size, 0, pgno, rng));
        }
        let mut bytes = Vec::new();
        for pgno in 1..=pages {
            bytes.extend_from_slice(&image.get(pgno).expect("set above").bytes);
        }
        if let Some(dir) = db_path.parent() {
            fs.create_dir_all(dir);
        }
        fs.write_durable(&db_path, &bytes, now)
            .expect("the directory was just created");
        let hash = image.hash();
        let mut w = SimWriter {
            page_size,
            db_path,
            wal_path: wal.into(),
            image: image.clone(),
            history: Vec::new(),
            by_hash: BTreeMap::new(),
            header: None,
            next_salt1: rng.next_u64() as u32,
            ckpt_seq: 0,
            frames: Vec::new(),
            n_backfill: 0,
            enc: None,
            pending: None,
            daemon_read: None,
            daemon_next_read: None,
            daemon_since: None,
            in_daemon_checkpoint: false,
            barrier: false,
            app_reader: None,
            max_pages: 48,
            discards: Vec::new(),
        };
        w.record(image, hash, Origin::Initial);
        w
    }

    fn record(&mut self, image: Image, hash: u64, origin: Origin) {
        let seq = self.history.len() as u64;
        self.by_hash.insert(hash, seq);
        self.history.push(Commit {
            seq,
            image,
            hash,
            origin,
        });
    }

    /// The newest committed state.
    pub fn head(&self) -> &Commit {
        self.history
            .last()
            .expect("the initial state is always recorded")
    }

    /// Every committed state, oldest first.
    pub fn history(&self) -> &[Commit] {
        &self.history
    }

    /// The newest commit whose image hashes to `hash`.
    pub fn find(&self, hash: u64) -> Option<&Commit> {
        self.by_hash.get(&hash).map(|&s| &self.history[s as usize])
    }

    /// Committed frames in the current WAL generation (`mxFrame`).
    pub fn mx_frame(&self) -> usize {
        self.frames.len()
    }

    /// Frames already copied into the database file (`nBackfill`).
    pub fn n_backfill(&self) -> usize {
        self.n_backfill
    }

    /// Salts of the current WAL generation, if the WAL has a header.
    pub fn salts(&self) -> Option<(u32, u32)> {
        self.header.map(|h| (h.salts().salt1, h.salts().salt2))
    }

    /// True while an application transaction holds the write lock.
    pub fn in_txn(&self) -> bool {
        self.pending.is_some()
    }

    /// Every read transaction held now (the daemon's and the application's).
    pub(super) fn readers(&self) -> impl Iterator<Item = ReadMark> {
        [self.daemon_read, self.daemon_next_read, self.app_reader]
            .into_iter()
            .flatten()
    }

    /// The daemon holds a read transaction.
    pub fn daemon_reads(&self) -> bool {
        self.daemon_read.is_some() || self.daemon_next_read.is_some()
    }

    /// The read mark a reader starting now gets.
    pub(super) fn mark_now(&self) -> ReadMark {
        if self.n_backfill == self.frames.len() {
            ReadMark::Zero
        } else {
            ReadMark::Frame(self.frames.len())
        }
    }
}

/// Deterministic page contents: the commit sequence and page number, then random bytes.
pub fn make_page(page_size: u32, seq: u64, pgno: u32, rng: &mut Rng) -> Page {
    let mut b = vec![0u8; page_size as usize];
    b[..8].copy_from_slice(&seq.to_be_bytes());
    b[8..12].copy_from_slice(&pgno.to_be_bytes());
    let mut x = rng.next_u64();
    for chunk in b[16..].chunks_exact_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes());
    }
    page(b)
}
