//! One sync pass: WAL range → one L0 LTX file at the next TXID (REPLICATION.md §5).
//!
//! The pass is a small state machine driven by completions: stat the database and the
//! WAL, read the WAL header, establish the position (listing and verifying the newest
//! local L0 file when it is not known yet), decide where to continue (`verify`), scan the
//! WAL range into a page map, then stream the pages through the LTX encoder into a
//! staging file that is committed atomically. Memory is bounded by one batch of pages
//! plus the page map, whatever the size of the transaction.

use std::path::PathBuf;

use super::verify::{self, Decision, LastLtx, WalObservation};
use super::DbPaths;
use crate::io::{Command, Completion, FileStat, PageRead, SharedPath};
use crate::ltx::{self, Encoder, Header as LtxHeader, HEADER_FLAG_NO_CHECKSUM};
use crate::time::UnixMs;
use crate::wal::{PageMapScanner, SaltScanner, Salts, ScanStatus, WalCursor, WalHeader};

/// Bytes requested per WAL read.
const WAL_READ_CHUNK: u32 = 1 << 20;
/// Bytes of page data per page batch read for the encoder.
const PAGE_BATCH_BYTES: u32 = 1 << 20;
/// Bytes requested per read of a local LTX file being verified.
const LTX_READ_CHUNK: u32 = 1 << 20;

/// What the database knows about its newest L0 file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastFile {
    /// Header facts used by the decision table.
    pub ltx: LastLtx,
    /// Page checksums known for the file: the last WAL frame only (when this process
    /// wrote it) or every page (when it was decoded from disk), sorted by page number.
    pub page_checksums: Vec<(u32, u64)>,
}

impl LastFile {
    fn page_checksum(&self, pgno: u32) -> Option<u64> {
        self.page_checksums
            .binary_search_by_key(&pgno, |(p, _)| *p)
            .ok()
            .map(|i| self.page_checksums[i].1)
    }
}

/// State a pass starts from (owned by the database between passes).
#[derive(Debug, Clone, Default)]
pub struct PassStart {
    /// Position and newest file, or `None` when they must be read from disk.
    pub last: Option<Option<LastFile>>,
    /// The previous pass of this process synced to the WAL's end.
    pub synced_to_wal_end: bool,
    /// Force a snapshot, with this reason.
    pub force_snapshot: Option<&'static str>,
    /// Per-pass WAL byte limit (`max-sync-wal-bytes`), ignored for snapshots.
    pub byte_limit: Option<u64>,
}

/// What a finished pass reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassOutcome {
    /// Newest L0 file after the pass (`None`: still none).
    pub last: Option<LastFile>,
    /// TXID written by this pass, if any.
    pub written: Option<u64>,
    /// Reason when the file written was a snapshot.
    pub snapshot_reason: Option<&'static str>,
    /// Synced WAL offset after the pass.
    pub synced_offset: u64,
    /// The WAL file size seen by this pass.
    pub wal_size: u64,
    /// The pass stopped at the byte limit before the WAL's end.
    pub limited: bool,
    /// The synced offset equals the WAL file size.
    pub synced_to_wal_end: bool,
    /// Salts of the WAL generation that was read.
    pub salts: Salts,
}

/// Result of feeding a completion to the pass.
#[derive(Debug)]
pub enum PassStep {
    /// Execute this command and feed its completion back.
    Issue(Command),
    /// The pass is over.
    Done(PassOutcome),
    /// The pass failed; nothing was committed. The message names the problem.
    Failed(String),
}

#[derive(Debug)]
enum Stage {
    StatDb,
    StatWal,
    WalHeader,
    ListL0,
    ReadLast {
        decoder: Box<ltx::Decoder>,
        name: String,
        offset: u64,
        checksums: Vec<(u32, u64)>,
        header: Option<LtxHeader>,
    },
    PrevFrame,
    SaltScan {
        scanner: SaltScanner,
        offset: u64,
    },
    Scan {
        scanner: PageMapScanner,
        offset: u64,
    },
    Encode {
        encoder: Box<Encoder>,
        plan: Vec<(u32, PageSrc)>,
        next: usize,
        written: u64,
    },
    Finish,
    Commit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PageSrc {
    Wal(u64),
    Db,
}

/// The pass state machine.
#[derive(Debug)]
pub struct SyncPass {
    paths: DbPaths,
    page_size: u32,
    now: UnixMs,
    start: PassStart,
    stage: Stage,
    db_size: u64,
    wal_size: u64,
    header: Option<WalHeader>,
    last: Option<LastFile>,
    prev_frame: Vec<u8>,
    prev_frame_matches: Option<bool>,
    decision: Option<Decision>,
    cursor: Option<WalCursor>,
    range_start: u64,
    range_end: u64,
    commit: u32,
    limited: bool,
    txid: u64,
    last_frame_offset: u64,
    last_frame_pgno: u32,
    last_frame_checksum: u64,
}

impl SyncPass {
    /// A new pass and its first command.
    pub fn new(
        paths: DbPaths,
        page_size: u32,
        now: UnixMs,
        start: PassStart,
    ) -> (SyncPass, Command) {
        let cmd = Command::Stat {
            path: paths.db.clone(),
        };
        let pass = SyncPass {
            paths,
            page_size,
            now,
            start,
            stage: Stage::StatDb,
            db_size: 0,
            wal_size: 0,
            header: None,
            last: None,
            prev_frame: Vec::new(),
            prev_frame_matches: None,
            decision: None,
            cursor: None,
            range_start: 0,
            range_end: 0,
            commit: 0,
            limited: false,
            txid: 0,
            last_frame_offset: 0,
            last_frame_pgno: 0,
            last_frame_checksum: 0,
        };
        (pass, cmd)
    }

    fn frame_size(&self) -> u64 {
        24 + u64::from(self.page_size)
    }

    /// Feed the completion of the last issued command.
    pub fn on_completion(&mut self, c: Completion) -> PassStep {
        match self.step(c) {
            Ok(step) => step,
            Err(msg) => PassStep::Failed(msg),
        }
    }

    fn step(&mut self, c: Completion) -> Result<PassStep, String> {
        let stage = std::mem::replace(&mut self.stage, Stage::Commit);
        match (stage, c) {
            (Stage::StatDb, Completion::Stated(r)) => {
                let st = r.map_err(|e| format!("stat database: {}", e.message))?;
                let Some(FileStat { size, .. }) = st else {
                    return Err(format!(
                        "database file {} does not exist",
                        self.paths.db.display()
                    ));
                };
                self.db_size = size;
                self.stage = Stage::StatWal;
                Ok(PassStep::Issue(Command::Stat {
                    path: self.paths.wal.clone(),
                }))
            }
            (Stage::StatWal, Completion::Stated(r)) => {
                let st = r.map_err(|e| format!("stat wal: {}", e.message))?;
                self.wal_size = st.map_or(0, |s| s.size);
                self.stage = Stage::WalHeader;
                Ok(PassStep::Issue(self.read(&self.paths.wal.clone(), 0, 32)))
            }
            (Stage::WalHeader, Completion::Read(r)) => {
                let bytes = r.map_err(|e| format!("read wal header: {}", e.message))?;
                let header = WalHeader::decode(&bytes).map_err(|e| {
                    format!(
                        "wal header of {} is not usable yet ({e}); will retry",
                        self.paths.wal.display()
                    )
                })?;
                if header.page_size() != self.page_size {
                    return Err(format!(
                        "wal page size {} differs from the database page size {}",
                        header.page_size(),
                        self.page_size
                    ));
                }
                self.header = Some(header);
                match self.start.last.take() {
                    Some(last) => {
                        self.last = last;
                        self.after_position()
                    }
                    None => {
                        self.stage = Stage::ListL0;
                        Ok(PassStep::Issue(Command::ListDir {
                            path: self.paths.ltx0.clone(),
                        }))
                    }
                }
            }
            (Stage::ListL0, Completion::Listed(r)) => {
                let names =
                    r.map_err(|e| format!("list {}: {}", self.paths.ltx0.display(), e.message))?;
                let newest = names
                    .iter()
                    .filter_map(|n| ltx::parse_filename(n).map(|(_, max)| (max, n)))
                    .max_by_key(|(max, _)| *max);
                let Some((_, name)) = newest else {
                    self.last = None;
                    return self.after_position();
                };
                let name = name.clone();
                self.stage = Stage::ReadLast {
                    decoder: Box::default(),
                    name: name.clone(),
                    offset: 0,
                    checksums: Vec::new(),
                    header: None,
                };
                let path = self.paths.ltx0.join(&name);
                Ok(PassStep::Issue(Command::ReadAt {
                    path: path.into(),
                    offset: 0,
                    len: LTX_READ_CHUNK,
                }))
            }
            (
                Stage::ReadLast {
                    mut decoder,
                    name,
                    mut offset,
                    mut checksums,
                    mut header,
                },
                Completion::Read(r),
            ) => {
                let path = self.paths.ltx0.join(&name);
                let bytes = r.map_err(|e| format!("read {}: {}", path.display(), e.message))?;
                let eof = bytes.len() < LTX_READ_CHUNK as usize;
                offset += bytes.len() as u64;
                decoder.push(&bytes);
                if eof {
                    decoder.end_of_input();
                }
                loop {
                    let ev = decoder.next().map_err(|e| {
                        format!("ltx file corrupted: {}: {e}; run `litestream reset` on the database to start a new snapshot", path.display())
                    })?;
                    match ev {
                        None => break,
                        Some(ltx::DecodeEvent::Header(h)) => header = Some(h),
                        Some(ltx::DecodeEvent::Page { pgno, data }) => {
                            checksums.push((pgno, ltx::page_checksum(pgno, data)))
                        }
                        Some(ltx::DecodeEvent::Done(_)) => {
                            let h = header.ok_or_else(|| {
                                format!("ltx file {} has no header", path.display())
                            })?;
                            self.last = Some(last_from_header(&h, checksums));
                            return self.after_position();
                        }
                    }
                }
                if eof {
                    return Err(format!(
                        "ltx file corrupted: {}: unexpected end of file",
                        path.display()
                    ));
                }
                let cmd = Command::ReadAt {
                    path: path.into(),
                    offset,
                    len: LTX_READ_CHUNK,
                };
                self.stage = Stage::ReadLast {
                    decoder,
                    name,
                    offset,
                    checksums,
                    header,
                };
                Ok(PassStep::Issue(cmd))
            }
            (Stage::PrevFrame, Completion::Read(r)) => {
                let bytes = r.map_err(|e| format!("read wal frame: {}", e.message))?;
                self.prev_frame_matches = Some(self.prev_frame_matches_last(&bytes));
                self.prev_frame = bytes;
                self.decide()
            }
            (
                Stage::SaltScan {
                    mut scanner,
                    offset,
                },
                Completion::Read(r),
            ) => {
                let bytes = r.map_err(|e| format!("read wal: {}", e.message))?;
                let eof = bytes.len() < WAL_READ_CHUNK as usize;
                let done = scanner.push(&bytes);
                let offset = offset + bytes.len() as u64;
                if done == ScanStatus::Finished || eof {
                    let last = self
                        .last
                        .as_ref()
                        .map(|l| l.ltx)
                        .ok_or("salt scan without a previous file")?;
                    let pairs: Vec<(u32, u32)> =
                        scanner.salts().iter().map(|s| (s.salt1, s.salt2)).collect();
                    let d = self.decision.take().ok_or("salt scan without a decision")?;
                    self.decision = Some(verify::resolve_restart(d, &last, &pairs));
                    return self.start_scan();
                }
                self.stage = Stage::SaltScan { scanner, offset };
                Ok(PassStep::Issue(self.read(
                    &self.paths.wal.clone(),
                    offset,
                    WAL_READ_CHUNK,
                )))
            }
            (
                Stage::Scan {
                    mut scanner,
                    offset,
                },
                Completion::Read(r),
            ) => {
                let bytes = r.map_err(|e| format!("read wal: {}", e.message))?;
                let eof = bytes.len() < WAL_READ_CHUNK as usize
                    || offset + bytes.len() as u64 >= self.wal_size;
                let status = scanner.push(&bytes);
                let offset = offset + bytes.len() as u64;
                if status == ScanStatus::Finished || eof {
                    return self.plan(scanner);
                }
                self.stage = Stage::Scan { scanner, offset };
                Ok(PassStep::Issue(self.read(
                    &self.paths.wal.clone(),
                    offset,
                    WAL_READ_CHUNK,
                )))
            }
            (
                Stage::Encode {
                    mut encoder,
                    plan,
                    next,
                    written,
                },
                Completion::PagesRead(r),
            ) => {
                let pages = r.map_err(|e| format!("read pages: {}", e.message))?;
                let batch_end = next + pages.len();
                let ps = self.page_size as usize;
                let mut buf = vec![0u8; ps];
                for ((pgno, src), data) in plan[next..batch_end].iter().zip(pages) {
                    let page: &[u8] = if data.len() == ps {
                        &data
                    } else if *src == PageSrc::Db && data.len() < ps {
                        // A page past the end of the database file was never written: zeros.
                        buf.fill(0);
                        buf[..data.len()].copy_from_slice(&data);
                        &buf
                    } else {
                        return Err(format!("short read of page {pgno} from the wal"));
                    };
                    if *src == PageSrc::Wal(self.last_frame_offset) {
                        self.last_frame_pgno = *pgno;
                        self.last_frame_checksum = ltx::page_checksum(*pgno, page);
                    }
                    encoder
                        .write_page(*pgno, page)
                        .map_err(|e| format!("encode ltx: {e}"))?;
                }
                if batch_end == plan.len() {
                    encoder.finish(0).map_err(|e| format!("encode ltx: {e}"))?;
                }
                let out = encoder.take_output();
                let cmd = Command::WriteAt {
                    path: self.tmp_path(),
                    offset: written,
                    bytes: out.clone(),
                    truncate: written == 0,
                };
                let written = written + out.len() as u64;
                self.stage = if batch_end == plan.len() {
                    Stage::Finish
                } else {
                    Stage::Encode {
                        encoder,
                        plan,
                        next: batch_end,
                        written,
                    }
                };
                Ok(PassStep::Issue(cmd))
            }
            (
                Stage::Encode {
                    encoder,
                    plan,
                    next,
                    written,
                },
                Completion::Done(r),
            ) => {
                r.map_err(|e| format!("write {}: {}", self.tmp_path().display(), e.message))?;
                let cmd = self.page_batch(&plan, next);
                self.stage = Stage::Encode {
                    encoder,
                    plan,
                    next,
                    written,
                };
                Ok(PassStep::Issue(cmd))
            }
            (Stage::Finish, Completion::Done(r)) => {
                r.map_err(|e| format!("write {}: {}", self.tmp_path().display(), e.message))?;
                self.stage = Stage::Commit;
                Ok(PassStep::Issue(Command::CommitFile {
                    tmp: self.tmp_path(),
                    dest: self.final_path(),
                }))
            }
            (Stage::Commit, Completion::Done(r)) => {
                r.map_err(|e| format!("commit {}: {}", self.final_path().display(), e.message))?;
                Ok(PassStep::Done(self.outcome(true)))
            }
            (stage, c) => Err(format!(
                "internal error: sync pass in stage {stage:?} got {c:?}"
            )),
        }
    }

    fn read(&self, path: &SharedPath, offset: u64, len: u32) -> Command {
        Command::ReadAt {
            path: path.clone(),
            offset,
            len,
        }
    }

    fn tmp_path(&self) -> PathBuf {
        let mut p = self.final_path().into_os_string();
        p.push(".tmp");
        p.into()
    }

    fn final_path(&self) -> PathBuf {
        self.paths
            .ltx0
            .join(ltx::format_filename(self.txid, self.txid))
    }

    /// Position known: read the frame before the recorded offset if the table needs it.
    fn after_position(&mut self) -> Result<PassStep, String> {
        let header = self.header.ok_or("no wal header")?;
        if let Some(l) = &self.last {
            let off = l.ltx.wal_end;
            let fs = self.frame_size();
            let aligned = off >= 32 + fs && (off - 32) % fs == 0;
            if aligned && off <= self.wal_size && header.salts() == salts(l.ltx.salts) {
                self.stage = Stage::PrevFrame;
                return Ok(PassStep::Issue(self.read(
                    &self.paths.wal.clone(),
                    off - fs,
                    fs as u32,
                )));
            }
        }
        self.decide()
    }

    fn prev_frame_matches_last(&self, frame: &[u8]) -> bool {
        let Some(l) = &self.last else { return false };
        if frame.len() != self.frame_size() as usize {
            return false;
        }
        let pgno = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
        let fsalts = (
            u32::from_be_bytes([frame[8], frame[9], frame[10], frame[11]]),
            u32::from_be_bytes([frame[12], frame[13], frame[14], frame[15]]),
        );
        fsalts == l.ltx.salts
            && l.page_checksum(pgno) == Some(ltx::page_checksum(pgno, &frame[24..]))
    }

    fn decide(&mut self) -> Result<PassStep, String> {
        let header = self.header.ok_or("no wal header")?;
        let hs = header.salts();
        let obs = WalObservation {
            wal_size: self.wal_size,
            header_salts: (hs.salt1, hs.salt2),
            frame_size: self.frame_size(),
            prev_frame_matches: self.prev_frame_matches,
            synced_to_wal_end: self.start.synced_to_wal_end,
        };
        let last = self.last.as_ref().map(|l| l.ltx);
        let mut d = verify::decide(last.as_ref(), &obs)?;
        if let (None, Some(reason)) = (d.snapshot, self.start.force_snapshot) {
            // A snapshot must read the whole WAL generation from offset 32: a page not in
            // the page map is read from the database file, which does not hold frames
            // that were not checkpointed yet (e.g. after a TRUNCATE that was busy).
            d = Decision {
                start: verify::WAL_HEADER_SIZE,
                salts: (hs.salt1, hs.salt2),
                snapshot: Some(reason),
                needs_salt_scan: false,
            };
        }
        let scan = d.needs_salt_scan;
        self.decision = Some(d);
        if scan {
            self.stage = Stage::SaltScan {
                scanner: SaltScanner::new(&header, salts(last.map_or((0, 0), |l| l.salts))),
                offset: 32,
            };
            return Ok(PassStep::Issue(self.read(
                &self.paths.wal.clone(),
                32,
                WAL_READ_CHUNK,
            )));
        }
        self.start_scan()
    }

    fn start_scan(&mut self) -> Result<PassStep, String> {
        let header = self.header.ok_or("no wal header")?;
        let d = self.decision.as_mut().ok_or("no decision")?;
        let cursor = if d.start == 32 {
            WalCursor::start(&header)
        } else {
            match WalCursor::resume(&header, d.start, salts(d.salts), &self.prev_frame) {
                Ok(c) => c,
                Err(_) => {
                    d.start = 32;
                    d.snapshot.get_or_insert("previous wal frame mismatch");
                    WalCursor::start(&header)
                }
            }
        };
        let limit = if d.snapshot.is_some() {
            None
        } else {
            self.start.byte_limit
        };
        self.range_start = cursor.offset();
        self.cursor = Some(cursor);
        let offset = cursor.offset();
        self.stage = Stage::Scan {
            scanner: PageMapScanner::new(cursor, limit),
            offset,
        };
        Ok(PassStep::Issue(self.read(
            &self.paths.wal.clone(),
            offset,
            WAL_READ_CHUNK,
        )))
    }

    fn plan(&mut self, scanner: PageMapScanner) -> Result<PassStep, String> {
        let map = scanner.finish();
        let d = self.decision.clone().ok_or("no decision")?;
        let snapshot = d.snapshot.is_some();
        self.limited = map.limited;
        let empty = map.pages.is_empty();
        self.range_end = if empty {
            self.range_start
        } else {
            map.end_offset
        };
        self.commit = if empty {
            u32::try_from(self.db_size / u64::from(self.page_size))
                .map_err(|_| "database too large")?
        } else {
            map.commit
        };
        if !snapshot && empty {
            return Ok(PassStep::Done(self.outcome(false)));
        }
        let lock = ltx::lock_pgno(self.page_size);
        let mut plan: Vec<(u32, PageSrc)> = Vec::new();
        if snapshot {
            for pgno in 1..=self.commit {
                if pgno == lock {
                    continue;
                }
                let src = map
                    .pages
                    .get(&pgno)
                    .map_or(PageSrc::Db, |o| PageSrc::Wal(*o));
                plan.push((pgno, src));
            }
        } else {
            let prev_commit = self.last.as_ref().map_or(0, |l| l.ltx.commit);
            let mut growth = (prev_commit.saturating_add(1)..=self.commit)
                .filter(|p| *p != lock && !map.pages.contains_key(p))
                .peekable();
            for (&pgno, &off) in &map.pages {
                while let Some(&g) = growth.peek() {
                    if g < pgno {
                        plan.push((g, PageSrc::Db));
                        growth.next();
                    } else {
                        break;
                    }
                }
                plan.push((pgno, PageSrc::Wal(off)));
            }
            plan.extend(growth.map(|g| (g, PageSrc::Db)));
        }
        self.last_frame_offset = if empty {
            0
        } else {
            self.range_end - self.frame_size()
        };
        self.txid = self.last.as_ref().map_or(0, |l| l.ltx.txid) + 1;
        let salts = self.cursor.map(|c| c.salts()).unwrap_or_default();
        let header = LtxHeader {
            flags: HEADER_FLAG_NO_CHECKSUM,
            page_size: self.page_size,
            commit: self.commit,
            min_txid: self.txid,
            max_txid: self.txid,
            timestamp: self.now.0,
            pre_apply_checksum: 0,
            wal_offset: i64::try_from(self.range_start).map_err(|_| "wal offset overflow")?,
            wal_size: i64::try_from(self.range_end - self.range_start)
                .map_err(|_| "wal size overflow")?,
            wal_salt1: salts.salt1,
            wal_salt2: salts.salt2,
            node_id: 0,
        };
        let encoder = Encoder::new(header).map_err(|e| format!("encode ltx header: {e}"))?;
        let cmd = self.page_batch(&plan, 0);
        self.stage = Stage::Encode {
            encoder: Box::new(encoder),
            plan,
            next: 0,
            written: 0,
        };
        Ok(PassStep::Issue(cmd))
    }

    fn page_batch(&self, plan: &[(u32, PageSrc)], next: usize) -> Command {
        let per_batch = (PAGE_BATCH_BYTES / self.page_size).max(1) as usize;
        let reads = plan[next..plan.len().min(next + per_batch)]
            .iter()
            .map(|(pgno, src)| match src {
                PageSrc::Wal(off) => PageRead {
                    path: self.paths.wal.clone(),
                    offset: off + 24,
                },
                PageSrc::Db => PageRead {
                    path: self.paths.db.clone(),
                    offset: u64::from(pgno - 1) * u64::from(self.page_size),
                },
            })
            .collect();
        Command::ReadPages {
            reads,
            len: self.page_size,
        }
    }

    fn outcome(&self, wrote: bool) -> PassOutcome {
        let salts = self.cursor.map(|c| c.salts()).unwrap_or_default();
        let synced_offset = self.range_end.max(if wrote { 0 } else { self.range_start });
        let last = if wrote {
            let checksums = if self.last_frame_offset == 0 {
                Vec::new()
            } else {
                vec![(self.last_frame_pgno, self.last_frame_checksum)]
            };
            Some(LastFile {
                ltx: LastLtx {
                    txid: self.txid,
                    wal_end: self.range_end,
                    salts: (salts.salt1, salts.salt2),
                    commit: self.commit,
                },
                page_checksums: checksums,
            })
        } else {
            self.last.clone()
        };
        PassOutcome {
            last,
            written: wrote.then_some(self.txid),
            snapshot_reason: self.decision.as_ref().and_then(|d| d.snapshot),
            synced_offset,
            wal_size: self.wal_size,
            limited: self.limited,
            synced_to_wal_end: synced_offset == self.wal_size,
            salts,
        }
    }
}

fn salts(pair: (u32, u32)) -> Salts {
    Salts::new(pair.0, pair.1)
}

fn last_from_header(h: &LtxHeader, page_checksums: Vec<(u32, u64)>) -> LastFile {
    LastFile {
        ltx: LastLtx {
            txid: h.max_txid,
            wal_end: u64::try_from(h.wal_offset.saturating_add(h.wal_size)).unwrap_or(0),
            salts: (h.wal_salt1, h.wal_salt2),
            commit: h.commit,
        },
        page_checksums,
    }
}
