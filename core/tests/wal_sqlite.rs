//! The WAL decoder against WAL files written by real SQLite (bundled via rusqlite).
//!
//! How the comparison works: the logical database is the DB file with the WAL's committed
//! frames laid over it. SQLite computes it for us: copy the DB file and WAL bytes into a
//! fresh directory (no `-shm`, so SQLite recovers the WAL index from the WAL bytes with its
//! own validity rules), open the copy, `PRAGMA wal_checkpoint(TRUNCATE)`, and read the DB
//! file back. We compute it twice with the scanner and compare byte for byte, every page:
//! 1. "direct": the current DB file plus the page map of the whole WAL from offset 32
//!    (page data taken from the WAL bytes), truncated to the final commit size;
//! 2. "replica": an image kept across steps the way Litestream keeps a replica: each step
//!    scans only the new range (resuming at the previous end offset when the WAL generation
//!    is unchanged, from 32 after a restart) and applies it onto the previous image.
//!
//! Each step's transactions are also checked one by one: the commit sizes the scanner
//! reports for the new range equal `PRAGMA page_count` after each transaction.

// Tests may touch files; the core itself may not.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use litestream_core::wal::{
    PageMap, PageMapScanner, SaltScanner, Salts, ScanStatus, WalCursor, WalDecoder, WalEncoder,
    WalEnd, WalHeader,
};
use rusqlite::Connection;

/// Reads a file that may not exist yet (a WAL before the first write).
fn read_or_empty(path: &Path) -> Vec<u8> {
    match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("read {}: {e}", path.display()),
    }
}

fn wal_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

/// The database as SQLite reads it from `db` + `wal` (see the module doc).
fn sqlite_view(db: &[u8], wal: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.db");
    std::fs::write(&path, db).unwrap();
    std::fs::write(wal_path(&path), wal).unwrap();
    {
        let conn = Connection::open(&path).unwrap();
        let busy: i64 = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(busy, 0, "checkpoint of the copy was blocked");
    }
    std::fs::read(&path).unwrap()
}

/// Scans `wal` from `cursor` in `chunk`-byte pieces.
fn scan(wal: &[u8], cursor: WalCursor, chunk: usize) -> PageMap {
    let mut scanner = PageMapScanner::new(cursor, None);
    for c in wal[cursor.offset() as usize..].chunks(chunk) {
        if scanner.push(c) == ScanStatus::Finished {
            break;
        }
    }
    scanner.finish()
}

/// The page map of the whole WAL, or `None` when it has no valid header.
fn scan_from_start(wal: &[u8], chunk: usize) -> Option<PageMap> {
    let header = WalHeader::decode(wal).ok()?;
    Some(scan(wal, WalCursor::start(&header), chunk))
}

/// Lays the committed pages of `map` (data from `wal`) over `image`, then sets its size.
fn apply(image: &mut Vec<u8>, wal: &[u8], map: &PageMap, page_size: usize) {
    if map.is_empty() {
        return;
    }
    for (&pgno, &offset) in &map.pages {
        let data = &wal[offset as usize + 24..][..page_size];
        let at = (pgno as usize - 1) * page_size;
        if image.len() < at + page_size {
            image.resize(at + page_size, 0);
        }
        image[at..at + page_size].copy_from_slice(data);
    }
    image.resize(map.commit as usize * page_size, 0);
}

fn assert_same_db(ours: &[u8], sqlite: &[u8], page_size: usize, what: &str) {
    assert_eq!(ours.len(), sqlite.len(), "{what}: database length");
    let bad = ours
        .chunks(page_size)
        .zip(sqlite.chunks(page_size))
        .position(|(a, b)| a != b);
    assert_eq!(bad.map(|i| i + 1), None, "{what}: first differing page");
}

/// A database written by SQLite, checked after every step.
struct Harness {
    _dir: tempfile::TempDir,
    db: PathBuf,
    conn: Connection,
    page_size: usize,
    /// The replica image and the WAL position (salts, end offset) it has reached.
    replica: Vec<u8>,
    position: Option<(Salts, u64)>,
    /// Chunk size used for the replica's scans: deliberately not frame-aligned.
    chunk: usize,
}

impl Harness {
    fn new(page_size: u32) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("test.db");
        let conn = Connection::open(&db).unwrap();
        conn.pragma_update(None, "page_size", page_size).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = wal", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        let replica = read_or_empty(&db);
        Harness {
            _dir: dir,
            db,
            conn,
            page_size: page_size as usize,
            replica,
            position: None,
            chunk: page_size as usize * 3 / 2 + 7,
        }
    }

    /// Runs each batch as one transaction and checks the WAL afterwards. Returns the page
    /// map of the new range.
    fn txs(&mut self, batches: &[&str]) -> Option<PageMap> {
        let mut sizes = Vec::new();
        for sql in batches {
            self.conn.execute_batch(sql).unwrap();
            let pages: u32 = self
                .conn
                .query_row("PRAGMA page_count", [], |r| r.get(0))
                .unwrap();
            sizes.push(pages);
        }
        let range = self.check();
        let commits: Vec<u32> = range
            .iter()
            .flat_map(|m| m.commits.iter().map(|c| c.commit))
            .collect();
        assert_eq!(commits, sizes, "database size at each commit");
        range
    }

    fn checkpoint(&mut self, mode: &str) -> Option<PageMap> {
        let busy: i64 = self
            .conn
            .query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(busy, 0, "checkpoint {mode} was blocked");
        let range = self.check();
        assert!(range.as_ref().is_none_or(|m| m.commits.is_empty()));
        range
    }

    fn wal(&self) -> Vec<u8> {
        read_or_empty(&wal_path(&self.db))
    }

    /// Compares both computed images with SQLite's; returns the replica's new range.
    fn check(&mut self) -> Option<PageMap> {
        let wal = self.wal();
        let db = std::fs::read(&self.db).unwrap();
        let truth = sqlite_view(&db, &wal);

        let mut direct = db.clone();
        if let Some(map) = scan_from_start(&wal, wal.len().max(1)) {
            apply(&mut direct, &wal, &map, self.page_size);
        }
        assert_same_db(&direct, &truth, self.page_size, "db file + whole wal");

        let range = self.sync(&wal);
        assert_same_db(&self.replica, &truth, self.page_size, "incremental replica");
        range
    }

    fn sync(&mut self, wal: &[u8]) -> Option<PageMap> {
        let header = WalHeader::decode(wal).ok()?;
        let cursor = match self.position {
            Some((salts, offset)) if salts == header.salts() && offset > 32 => {
                let prev = header.prev_frame_offset(offset).unwrap() as usize;
                WalCursor::resume(&header, offset, salts, &wal[prev..]).unwrap()
            }
            _ => WalCursor::start(&header),
        };
        let map = scan(wal, cursor, self.chunk);
        apply(&mut self.replica, wal, &map, self.page_size);
        if !map.is_empty() {
            self.position = Some((map.salts, map.end_offset));
        }
        Some(map)
    }
}

/// The highest page number among the valid frames from `start`.
fn max_pgno_written(wal: &[u8], start: u64) -> u32 {
    let header = WalHeader::decode(wal).unwrap();
    let cursor = match start {
        32 => WalCursor::start(&header),
        _ => {
            let prev = header.prev_frame_offset(start).unwrap() as usize;
            WalCursor::resume(&header, start, header.salts(), &wal[prev..]).unwrap()
        }
    };
    let mut dec = WalDecoder::new(cursor);
    let mut input = &wal[start as usize..];
    let mut max = 0;
    while let Some(f) = dec.next_frame(&mut input) {
        max = max.max(f.pgno());
    }
    max
}

const CREATE: &str =
    "BEGIN; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB); CREATE INDEX t_v ON t(v); COMMIT;";
const SMALL: &str = "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 20)
                     INSERT INTO t(v) SELECT randomblob(200) FROM s;";
const MANY: &str = "BEGIN;
    WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 3000)
    INSERT INTO t(v) SELECT randomblob(100 + n % 700) FROM s;
    INSERT INTO t(v) VALUES (randomblob(300000));
    COMMIT;";
const UPDATE: &str = "UPDATE t SET v = randomblob(150) WHERE id % 7 = 0;";
const DELETE: &str = "DELETE FROM t WHERE id % 3 = 0;";

fn scenario(page_size: u32) {
    let mut h = Harness::new(page_size);
    h.check();
    h.txs(&[CREATE, SMALL, SMALL]);
    let map = h.txs(&[UPDATE, DELETE, MANY]).unwrap();
    assert!(map.start_offset > 32, "the replica resumed mid-WAL");

    // PASSIVE copies every frame (no reader pins them), so the next write restarts the WAL.
    h.checkpoint("PASSIVE");
    let old = WalHeader::decode(&h.wal()).unwrap();
    let old_len = h.wal().len();
    let map = h.txs(&[SMALL]).unwrap();
    let new = WalHeader::decode(&h.wal()).unwrap();
    assert_ne!(new.salts(), old.salts(), "the WAL restarted");
    assert_eq!(new.salts().salt1, old.salts().salt1.wrapping_add(1));
    assert_eq!(new.checkpoint_seq(), old.checkpoint_seq() + 1);
    assert_eq!(map.start_offset, 32);
    // The new generation is shorter than the old one: stale frames follow it.
    assert_eq!(h.wal().len(), old_len);
    assert!(matches!(map.end, WalEnd::SaltMismatch { found, .. } if found == old.salts()));
    // Verify row 8: only the new and the old generation are present.
    let mut salts = SaltScanner::new(&new, old.salts());
    salts.push(&h.wal()[32..]);
    assert!(salts.found());
    assert!(salts.other_generations(new.salts(), old.salts()).is_empty());

    // The database grows, then shrinks in the same range: pages written beyond the final
    // size must leave the page map (the replica would otherwise keep them).
    let before: u32 = h
        .conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    let map = h
        .txs(&[
            "INSERT INTO t(v) VALUES (randomblob(500000));",
            "DELETE FROM t WHERE id > 100;",
            "VACUUM;",
        ])
        .unwrap();
    assert!(map.commit < before, "VACUUM shrank the database");
    assert!(max_pgno_written(&h.wal(), map.start_offset) > map.commit);
    assert!(map.pages.keys().all(|&p| p <= map.commit));

    h.checkpoint("RESTART");
    h.txs(&[SMALL, UPDATE]);
    h.checkpoint("TRUNCATE");
    assert!(h.wal().is_empty());
    h.txs(&[MANY, DELETE, SMALL, "DROP INDEX t_v;"]);
    h.checkpoint("PASSIVE");
    h.txs(&["DELETE FROM t;", "VACUUM;", SMALL]);
}

#[test]
fn sqlite_wal_1024() {
    scenario(1024);
}

#[test]
fn sqlite_wal_4096() {
    scenario(4096);
}

#[test]
fn sqlite_wal_65536() {
    scenario(65536);
}

/// A WAL whose last transaction spans several frames, with the DB file before it.
fn wal_with_multi_frame_tail() -> (Vec<u8>, Vec<u8>, usize) {
    let mut h = Harness::new(4096);
    h.txs(&[CREATE, SMALL, MANY]);
    let map = h
        .txs(&["INSERT INTO t(v) VALUES (randomblob(40000));"])
        .unwrap();
    let last = *map.commits.last().unwrap();
    let frames_in_last = (map.end_offset - map.start_offset) / 4120;
    assert!(
        frames_in_last >= 10,
        "last transaction spans {frames_in_last} frames"
    );
    (std::fs::read(&h.db).unwrap(), h.wal(), last.offset as usize)
}

#[test]
fn torn_and_corrupt_tails_end_at_the_last_valid_commit() {
    let (db, wal, last_frame) = wal_with_multi_frame_tail();
    let full = scan_from_start(&wal, 5000).unwrap();
    let n = full.commits.len();
    let previous = full.commits[n - 2];

    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    cases.push((
        "cut inside the commit frame",
        wal[..last_frame + 100].to_vec(),
    ));
    cases.push(("cut inside its header", wal[..last_frame + 10].to_vec()));
    cases.push((
        "cut at a frame boundary mid-transaction",
        wal[..last_frame].to_vec(),
    ));
    let mut flipped = wal.clone();
    flipped[last_frame + 24 + 777] ^= 0x40;
    cases.push(("page byte flipped", flipped));
    let mut commit_cleared = wal.clone();
    commit_cleared[last_frame + 4..last_frame + 8].copy_from_slice(&[0; 4]);
    cases.push(("commit field cleared", commit_cleared));

    for (what, torn) in cases {
        let map = scan_from_start(&torn, 3000).unwrap();
        assert_eq!(map.commits.len(), n - 1, "{what}");
        assert_eq!(map.end_offset, previous.end, "{what}");
        assert_eq!(map.commit, previous.commit, "{what}");
        let mut ours = db.clone();
        apply(&mut ours, &torn, &map, 4096);
        assert_same_db(&ours, &sqlite_view(&db, &torn), 4096, what);
    }

    // A torn header hides the whole WAL, from SQLite as from us.
    let mut torn = wal.clone();
    torn[16] ^= 1;
    assert!(WalHeader::decode(&torn).unwrap_err().is_torn_header());
    assert_same_db(&db, &sqlite_view(&db, &torn), 4096, "torn header");
}

#[test]
fn big_endian_reencoding_is_read_by_sqlite_and_by_us() {
    let (db, wal, _) = wal_with_multi_frame_tail();
    let header = WalHeader::decode(&wal).unwrap();
    assert!(!header.big_endian_checksums());
    let be = WalHeader::new(true, 4096, header.checkpoint_seq(), header.salts()).unwrap();
    let mut out = be.encode().to_vec();
    let mut enc = WalEncoder::new(&be);
    let mut dec = WalDecoder::new(WalCursor::start(&header));
    let mut input = &wal[32..];
    while let Some(f) = dec.next_frame(&mut input) {
        enc.append_frame(&mut out, f.pgno(), f.commit(), f.data)
            .unwrap();
    }
    assert_eq!(
        dec.end(),
        WalEnd::EndOfInput {
            offset: wal.len() as u64
        }
    );
    assert_eq!(out.len(), wal.len());

    let ours = scan_from_start(&out, 4096).unwrap();
    let mut theirs = scan_from_start(&wal, 4096).unwrap();
    theirs.salts = ours.salts;
    assert_eq!(ours, theirs);
    assert_same_db(
        &sqlite_view(&db, &out),
        &sqlite_view(&db, &wal),
        4096,
        "big-endian WAL",
    );
}
