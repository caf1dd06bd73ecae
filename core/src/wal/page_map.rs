//! The page map of a WAL range (REPLICATION.md §2): newest committed frame of each page.

use std::collections::BTreeMap;

use super::cursor::WalCursor;
use super::decoder::{WalDecoder, WalEnd};
use super::header::Salts;

/// Whether a scanner wants more bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanStatus {
    /// Push the next chunk (or call `finish` at end-of-file).
    Continue,
    /// The range has ended; further bytes are ignored. Call `finish`.
    Finished,
}

/// A commit frame seen in the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitPoint {
    /// File offset of the commit frame.
    pub offset: u64,
    /// File offset just past it: a resume point.
    pub end: u64,
    /// Database size in pages after this transaction.
    pub commit: u32,
}

/// The result of scanning a WAL range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageMap {
    /// File offset the scan started at.
    pub start_offset: u64,
    /// Salts of the generation read.
    pub salts: Salts,
    /// Page number → file offset of its newest committed frame, pages beyond `commit`
    /// removed.
    pub pages: BTreeMap<u32, u64>,
    /// Database size in pages after the last commit; 0 when the range is empty.
    pub commit: u32,
    /// Largest offset in `pages` plus one frame (the end of the last commit frame); 0 when
    /// the range is empty.
    pub end_offset: u64,
    /// True when the byte limit cut the range at a commit frame.
    pub limited: bool,
    /// Valid frames read, including any uncommitted ones after the last commit.
    pub frames: u64,
    /// Every commit frame in order: the database size at each commit.
    pub commits: Vec<CommitPoint>,
    /// Why reading stopped.
    pub end: WalEnd,
}

impl PageMap {
    /// True when no committed page is in the range (Litestream's "empty" range).
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Bytes covered: `end_offset - start_offset`, or 0 when empty.
    pub fn size(&self) -> u64 {
        if self.is_empty() {
            0
        } else {
            self.end_offset.saturating_sub(self.start_offset)
        }
    }
}

/// Builds the [`PageMap`] of a WAL range from consecutive chunks.
#[derive(Debug, Clone)]
pub struct PageMapScanner {
    decoder: WalDecoder,
    start: u64,
    limit: u64,
    pending: BTreeMap<u32, u64>,
    pages: BTreeMap<u32, u64>,
    commits: Vec<CommitPoint>,
    limited_at: Option<u64>,
}

impl PageMapScanner {
    /// A scanner for the bytes from `cursor.offset()`. With `limit` `Some(L)`, L > 0, it
    /// stops right after the first commit frame ending at least L bytes past the start
    /// (`Some(0)` means no limit, as in Litestream).
    pub fn new(cursor: WalCursor, limit: Option<u64>) -> PageMapScanner {
        PageMapScanner {
            decoder: WalDecoder::new(cursor),
            start: cursor.offset(),
            limit: limit.unwrap_or(0),
            pending: BTreeMap::new(),
            pages: BTreeMap::new(),
            commits: Vec::new(),
            limited_at: None,
        }
    }

    /// Feeds the next chunk of the WAL (chunks must be consecutive, any size).
    pub fn push(&mut self, chunk: &[u8]) -> ScanStatus {
        let mut input = chunk;
        while self.limited_at.is_none() {
            let Some(frame) = self.decoder.next_frame(&mut input) else {
                break;
            };
            let (pgno, offset, commit, end) =
                (frame.pgno(), frame.offset, frame.commit(), frame.end());
            self.pending.insert(pgno, offset);
            if commit == 0 {
                continue;
            }
            // This transaction's frames override older ones. Inserted one by one:
            // `BTreeMap::append` rebuilds the whole map, which at one small transaction
            // per commit made a busy pass quadratic (a quarter of the daemon's CPU).
            for (pgno, offset) in std::mem::take(&mut self.pending) {
                self.pages.insert(pgno, offset);
            }
            self.commits.push(CommitPoint {
                offset,
                end,
                commit,
            });
            if self.limit > 0 && end - self.start >= self.limit {
                self.limited_at = Some(end);
            }
        }
        self.status()
    }

    /// [`ScanStatus::Finished`] once the range has ended before end-of-file.
    pub fn status(&self) -> ScanStatus {
        if self.limited_at.is_some() || self.decoder.stopped().is_some() {
            ScanStatus::Finished
        } else {
            ScanStatus::Continue
        }
    }

    /// File offset just past the last valid frame read so far.
    pub fn offset(&self) -> u64 {
        self.decoder.offset()
    }

    /// The page map; call at end-of-file or once [`ScanStatus::Finished`].
    pub fn finish(self) -> PageMap {
        let end = match self.limited_at {
            Some(offset) => WalEnd::Limited { offset },
            None => self.decoder.end(),
        };
        let last_commit = self.commits.last().map_or(0, |c| c.commit);
        let mut pages = self.pages;
        // The database may have shrunk (VACUUM) after a page was last written.
        pages.retain(|&pgno, _| pgno <= last_commit);
        let (commit, end_offset) = match pages.values().max() {
            Some(&max) => (last_commit, max + self.decoder.frame_size() as u64),
            None => (0, 0),
        };
        PageMap {
            start_offset: self.start,
            salts: self.decoder.salts(),
            pages,
            commit,
            end_offset,
            limited: self.limited_at.is_some(),
            frames: self.decoder.frames(),
            commits: self.commits,
            end,
        }
    }
}
