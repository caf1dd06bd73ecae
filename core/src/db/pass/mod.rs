//! One sync pass: WAL range → one L0 LTX file at the next TXID (REPLICATION.md §5).
//!
//! The pass is a small state machine driven by completions: stat the database and the
//! WAL, read the WAL header, establish the position (listing and verifying the newest
//! local L0 file when it is not known yet), decide where to continue (`verify`), scan the
//! WAL range into a page map, then stream the pages through the LTX encoder into a
//! staging file that is committed atomically. Memory is bounded by one batch of pages
//! plus the page map, whatever the size of the transaction.

mod last_file;
mod plan;
mod types;

pub use types::{LastFile, PassOutcome, PassStart, PassStep};

use super::verify::{self, Decision};
use super::DbPaths;
use crate::io::{Command, Completion, FileStat};
use crate::ltx::{self, Encoder};
use crate::time::UnixMs;
use crate::wal::{PageMapScanner, SaltScanner, ScanStatus, WalCursor, WalHeader};
use last_file::ReadLast;

/// Bytes requested per WAL read.
const WAL_READ_CHUNK: u32 = 1 << 20;
/// Bytes of a complete WAL header.
const WAL_HEADER_LEN: u64 = crate::wal::WAL_HEADER_SIZE as u64;
/// Bytes of page data per page batch read for the encoder.
const PAGE_BATCH_BYTES: u32 = 1 << 20;
/// Bytes requested per read of a local LTX file being verified.
const LTX_READ_CHUNK: u32 = 1 << 20;

#[derive(Debug)]
enum Stage {
    StatDb,
    StatWal,
    WalHeader,
    ListL0,
    ReadLast(ReadLast),
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
                let Some(FileStat { size, id, .. }) = st else {
                    return Ok(PassStep::Replaced(format!(
                        "database file {} was deleted",
                        self.paths.db.display()
                    )));
                };
                if self.start.db_file_id.is_some_and(|open| open != id) {
                    return Ok(PassStep::Replaced(format!(
                        "database file {} was replaced by another file",
                        self.paths.db.display()
                    )));
                }
                self.db_size = size;
                self.stage = Stage::StatWal;
                Ok(PassStep::Issue(Command::Stat {
                    path: self.paths.wal.clone(),
                }))
            }
            (Stage::StatWal, Completion::Stated(r)) => {
                let st = r.map_err(|e| format!("stat wal: {}", e.message))?;
                self.wal_size = st.map_or(0, |s| s.size);
                if self.wal_size < WAL_HEADER_LEN && self.start.last.is_some() {
                    return Ok(PassStep::NoWalYet);
                }
                self.stage = Stage::WalHeader;
                Ok(PassStep::Issue(self.read_wal(0, 32)))
            }
            (Stage::WalHeader, Completion::Read(r)) => {
                let bytes = r.map_err(|e| format!("read wal header: {}", e.message))?;
                // Emptied (or cut short) between our stat and our read.
                if (bytes.len() as u64) < WAL_HEADER_LEN && self.start.last.is_some() {
                    return Ok(PassStep::NoWalYet);
                }
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
                self.read_newest(&names)
            }
            (Stage::ReadLast(read), Completion::Read(r)) => self.read_last(read, r),
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
                Ok(PassStep::Issue(self.read_wal(offset, WAL_READ_CHUNK)))
            }
            (
                Stage::Scan {
                    mut scanner,
                    offset,
                },
                Completion::Read(r),
            ) => {
                let bytes = r.map_err(|e| format!("read wal: {}", e.message))?;
                let asked = self.wal_read_len(offset) as usize;
                let eof = bytes.len() < asked || offset + bytes.len() as u64 >= self.wal_size;
                let status = scanner.push(&bytes);
                let offset = offset + bytes.len() as u64;
                if status == ScanStatus::Finished || eof {
                    return self.plan(scanner);
                }
                self.stage = Stage::Scan { scanner, offset };
                Ok(PassStep::Issue(
                    self.read_wal(offset, self.wal_read_len(offset)),
                ))
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
}
