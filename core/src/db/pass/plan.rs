//! The sync pass's decisions and plans: where to read, which pages go into the LTX file,
//! and what the pass reports.

use std::path::PathBuf;

use super::{
    LastFile, PageSrc, PassOutcome, PassStep, Stage, SyncPass, PAGE_BATCH_BYTES, WAL_READ_CHUNK,
};
use crate::db::verify::{self, Decision, LastLtx, WalObservation};
use crate::io::{Command, PageRead};
use crate::ltx::{self, Encoder, Header as LtxHeader, HEADER_FLAG_NO_CHECKSUM};
use crate::wal::{PageMapScanner, SaltScanner, Salts, WalCursor};

impl SyncPass {
    pub(super) fn read_wal(&self, offset: u64, len: u32) -> Command {
        Command::ReadWal {
            path: self.paths.wal.clone(),
            offset,
            len,
        }
    }

    pub(super) fn tmp_path(&self) -> PathBuf {
        let mut p = self.final_path().into_os_string();
        p.push(".tmp");
        p.into()
    }

    pub(super) fn final_path(&self) -> PathBuf {
        self.paths
            .ltx0
            .join(ltx::format_filename(self.txid, self.txid))
    }

    /// Position known: read the frame before the recorded offset if the table needs it.
    pub(super) fn after_position(&mut self) -> Result<PassStep, String> {
        let header = self.header.ok_or("no wal header")?;
        if let Some(l) = &self.last {
            let off = l.ltx.wal_end;
            let fs = self.frame_size();
            let aligned = off >= 32 + fs && (off - 32) % fs == 0;
            if aligned && off <= self.wal_size && header.salts() == salts(l.ltx.salts) {
                self.stage = Stage::PrevFrame;
                return Ok(PassStep::Issue(self.read_wal(off - fs, fs as u32)));
            }
        }
        self.decide()
    }

    pub(super) fn prev_frame_matches_last(&self, frame: &[u8]) -> bool {
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

    pub(super) fn decide(&mut self) -> Result<PassStep, String> {
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
            return Ok(PassStep::Issue(self.read_wal(32, WAL_READ_CHUNK)));
        }
        self.start_scan()
    }

    pub(super) fn start_scan(&mut self) -> Result<PassStep, String> {
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
        let scanner = PageMapScanner::new(cursor, limit);
        if offset >= self.wal_size {
            // Nothing after the last synced frame (the common idle pass): no read, and no
            // 1 MiB buffer for it.
            return self.plan(scanner);
        }
        self.stage = Stage::Scan { scanner, offset };
        Ok(PassStep::Issue(
            self.read_wal(offset, self.wal_read_len(offset)),
        ))
    }

    /// Bytes to read from the WAL at `offset`: a chunk, or less up to the size the pass
    /// saw (a small commit needs a small buffer, not a whole chunk).
    pub(super) fn wal_read_len(&self, offset: u64) -> u32 {
        let left = self.wal_size.saturating_sub(offset);
        u32::try_from(left).map_or(WAL_READ_CHUNK, |l| l.clamp(1, WAL_READ_CHUNK))
    }

    pub(super) fn plan(&mut self, scanner: PageMapScanner) -> Result<PassStep, String> {
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

    pub(super) fn page_batch(&self, plan: &[(u32, PageSrc)], next: usize) -> Command {
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

    pub(super) fn outcome(&self, wrote: bool) -> PassOutcome {
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
            // Every committed frame of this generation the file held was consumed. Not
            // `synced_offset == wal_size`: after a restart the file keeps stale frames of
            // older generations past the live ones, and that test would turn the next of
            // our own checkpoints into a full snapshot.
            synced_to_wal_end: !self.limited,
            salts,
        }
    }
}

pub(super) fn salts(pair: (u32, u32)) -> Salts {
    Salts::new(pair.0, pair.1)
}

pub(super) fn last_from_header(h: &LtxHeader, page_checksums: Vec<(u32, u64)>) -> LastFile {
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
