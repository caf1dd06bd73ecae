//! Where the next sync pass starts and whether it must write a full snapshot: the
//! decision table of REPLICATION.md §5.2, as a pure function.
//!
//! One deliberate difference from Litestream: a WAL restart (row 8) is followed
//! incrementally only when this process knows it had synced the old WAL generation to its
//! end (it ran the checkpoint itself, holding the write barrier). After a daemon restart
//! that knowledge is gone, and frames committed to the old generation after our last LTX
//! file may have been checkpointed and overwritten, so we take a snapshot instead.

/// WAL header size in bytes.
pub const WAL_HEADER_SIZE: u64 = 32;

/// What is known about the newest local L0 file (`L` in the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastLtx {
    /// Its TXID (position).
    pub txid: u64,
    /// `WALOffset + WALSize`: where its WAL range ended.
    pub wal_end: u64,
    /// WAL salts of the generation it was read from.
    pub salts: (u32, u32),
    /// Database size in pages after it.
    pub commit: u32,
}

/// What the sync pass observed of the WAL before deciding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalObservation {
    /// Current WAL file size in bytes.
    pub wal_size: u64,
    /// Salts of the current WAL header.
    pub header_salts: (u32, u32),
    /// Frame size (`24 + page size`).
    pub frame_size: u64,
    /// The frame ending at `LastLtx::wal_end`, if it was read: its salts equal L's and
    /// its (pgno, data) is one of L's pages.
    pub prev_frame_matches: Option<bool>,
    /// Whether the last pass of this process synced to the WAL's end (memory only).
    pub synced_to_wal_end: bool,
}

/// Where to start and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Offset of the first frame to read (32 = start of the WAL).
    pub start: u64,
    /// Salts the frames to read must carry.
    pub salts: (u32, u32),
    /// `Some(reason)` when a full snapshot must be written.
    pub snapshot: Option<&'static str>,
    /// True when row 8 needs a salt scan before deciding (`resolve_restart`).
    pub needs_salt_scan: bool,
}

/// The decision before any salt scan. `last` is `None` when there is no local L0 file.
/// Returns `Err` for an impossible recorded offset (row 6).
pub fn decide(last: Option<&LastLtx>, wal: &WalObservation) -> Result<Decision, String> {
    let from_start = |snapshot| Decision {
        start: WAL_HEADER_SIZE,
        salts: wal.header_salts,
        snapshot,
        needs_salt_scan: false,
    };
    let Some(l) = last else {
        return Ok(from_start(Some("first sync")));
    };
    let offset = l.wal_end;
    if offset > wal.wal_size {
        if wal.synced_to_wal_end {
            return Ok(from_start(None));
        }
        return Ok(from_start(Some("wal truncated by another process")));
    }
    if wal.header_salts != l.salts {
        if !wal.synced_to_wal_end {
            return Ok(from_start(Some("wal header salt reset")));
        }
        // We had synced the old generation to its end and our read transaction allows at
        // most one restart since; the salt scan confirms there was exactly one.
        return Ok(Decision {
            needs_salt_scan: true,
            ..from_start(None)
        });
    }
    if offset == WAL_HEADER_SIZE {
        return Ok(from_start(None));
    }
    if offset < WAL_HEADER_SIZE + wal.frame_size
        || !(offset - WAL_HEADER_SIZE).is_multiple_of(wal.frame_size)
    {
        return Err(format!(
            "recorded WAL offset {offset} is not frame-aligned (frame size {})",
            wal.frame_size
        ));
    }
    if wal.prev_frame_matches != Some(true) {
        return Ok(from_start(Some("wal overwritten by another process")));
    }
    Ok(Decision {
        start: offset,
        salts: l.salts,
        snapshot: None,
        needs_salt_scan: false,
    })
}

/// Row 8 after the salt scan: `pairs` are the distinct salt pairs found from offset 32 up
/// to (and including) the first frame carrying L's salts. Any pair other than the new
/// header's and L's means more than one restart happened: snapshot.
pub fn resolve_restart(mut d: Decision, last: &LastLtx, pairs: &[(u32, u32)]) -> Decision {
    d.needs_salt_scan = false;
    if pairs.iter().any(|p| *p != d.salts && *p != last.salts) {
        d.snapshot = Some("full or restart checkpoint detected");
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    const FS: u64 = 24 + 4096;

    fn l(wal_end: u64, salts: (u32, u32)) -> LastLtx {
        LastLtx {
            txid: 5,
            wal_end,
            salts,
            commit: 3,
        }
    }

    fn obs(wal_size: u64, salts: (u32, u32), prev: Option<bool>, at_end: bool) -> WalObservation {
        WalObservation {
            wal_size,
            header_salts: salts,
            frame_size: FS,
            prev_frame_matches: prev,
            synced_to_wal_end: at_end,
        }
    }

    #[test]
    fn first_sync_snapshots_from_the_header() {
        let d = decide(None, &obs(32 + FS, (1, 2), None, false)).unwrap();
        assert_eq!(d.start, 32);
        assert_eq!(d.snapshot, Some("first sync"));
    }

    #[test]
    fn truncation_is_expected_only_when_synced_to_the_end() {
        let last = l(32 + 3 * FS, (1, 2));
        let d = decide(Some(&last), &obs(0, (3, 4), None, true)).unwrap();
        assert_eq!((d.start, d.snapshot, d.salts), (32, None, (3, 4)));
        let d = decide(Some(&last), &obs(0, (3, 4), None, false)).unwrap();
        assert_eq!(d.snapshot, Some("wal truncated by another process"));
    }

    #[test]
    fn empty_previous_range_continues_from_header_or_snapshots_on_new_salts() {
        let last = l(32, (1, 2));
        let d = decide(Some(&last), &obs(32 + FS, (1, 2), None, false)).unwrap();
        assert_eq!((d.start, d.snapshot), (32, None));
        let d = decide(Some(&last), &obs(32 + FS, (9, 9), None, false)).unwrap();
        assert_eq!(d.snapshot, Some("wal header salt reset"));
        let d = decide(Some(&last), &obs(32 + FS, (9, 9), None, true)).unwrap();
        assert!(d.needs_salt_scan);
    }

    #[test]
    fn overwritten_previous_frame_snapshots() {
        let last = l(32 + 3 * FS, (1, 2));
        let d = decide(Some(&last), &obs(32 + 5 * FS, (1, 2), Some(false), true)).unwrap();
        assert_eq!(d.snapshot, Some("wal overwritten by another process"));
        assert_eq!(d.start, 32);
    }

    #[test]
    fn matching_previous_frame_resumes_at_the_offset() {
        let last = l(32 + 3 * FS, (1, 2));
        let d = decide(Some(&last), &obs(32 + 5 * FS, (1, 2), Some(true), false)).unwrap();
        assert_eq!((d.start, d.snapshot, d.salts), (32 + 3 * FS, None, (1, 2)));
    }

    #[test]
    fn restart_needs_a_salt_scan_when_synced_to_the_end() {
        let last = l(32 + 3 * FS, (1, 2));
        let d = decide(Some(&last), &obs(32 + 5 * FS, (7, 8), Some(true), true)).unwrap();
        assert!(d.needs_salt_scan);
        assert_eq!((d.start, d.salts), (32, (7, 8)));
        let ok = resolve_restart(d.clone(), &last, &[(7, 8), (1, 2)]);
        assert_eq!(ok.snapshot, None);
        let twice = resolve_restart(d, &last, &[(7, 8), (5, 5), (1, 2)]);
        assert_eq!(twice.snapshot, Some("full or restart checkpoint detected"));
    }

    #[test]
    fn restart_after_a_daemon_restart_snapshots() {
        let last = l(32 + 3 * FS, (1, 2));
        let d = decide(Some(&last), &obs(32 + 5 * FS, (7, 8), Some(true), false)).unwrap();
        assert!(d.snapshot.is_some());
        assert!(!d.needs_salt_scan);
    }

    #[test]
    fn misaligned_offset_is_an_error() {
        let last = l(32 + FS + 7, (1, 2));
        assert!(decide(Some(&last), &obs(32 + 5 * FS, (1, 2), Some(true), false)).is_err());
        let last = l(40, (1, 2));
        assert!(decide(Some(&last), &obs(32 + 5 * FS, (1, 2), Some(true), false)).is_err());
        let first_frame = l(32 + FS, (1, 2));
        assert!(decide(
            Some(&first_frame),
            &obs(32 + 5 * FS, (1, 2), Some(true), false)
        )
        .is_ok());
    }
}
