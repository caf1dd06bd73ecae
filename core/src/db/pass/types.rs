//! What a sync pass starts from and what it reports.

use crate::db::verify::LastLtx;
use crate::io::Command;
use crate::wal::Salts;

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
    pub(super) fn page_checksum(&self, pgno: u32) -> Option<u64> {
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
    /// Identity of the database file SQLite has open (`FileStat::id`), when known.
    pub db_file_id: Option<u64>,
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
    /// Every committed frame the WAL held when the pass read it was consumed (the pass was
    /// not cut by the byte limit).
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
    /// The WAL holds no complete header: an application's TRUNCATE checkpoint emptied it,
    /// or its header is being written. Every committed page is in the database file and
    /// nothing is to be read until the next write; the position is unchanged.
    NoWalYet,
    /// The pass failed; nothing was committed. The message names the problem.
    Failed(String),
    /// The database path no longer names the file SQLite has open (deleted, or
    /// replaced by another file): nothing was committed; the database must be reopened.
    Replaced(String),
}
