//! Whether the replica still holds an unbroken history: files deleted behind the daemon's
//! back (a replica directory removed, a bucket lifecycle rule, an operator's mistake) leave
//! a replica that lists fine and takes new uploads but can never be restored.
//!
//! Checked cheaply on every level 1 compaction from the listings it makes anyway (levels
//! 0 and 1, and level 9 only when level 1 is empty), and fully, by planning a restore of
//! the latest state from every level, every `VERIFY_EVERY_L1_INTERVALS` level 1
//! intervals. Our own retention never makes a hole: it keeps each level's newest file and
//! removes level 0 files only once level 1 covers them.

use crate::io::ObjectInfo;
use crate::ltx::format_txid;

/// Newest TXID of a level's listing (0 when empty).
pub(super) fn level_max(files: &[ObjectInfo]) -> u64 {
    files.iter().map(|f| f.key.max_txid).max().unwrap_or(0)
}

/// True when levels 0 and 1 alone cannot show a base for the history: level 1 is empty
/// and no level 0 file starts at TXID 1, so only a snapshot (level 9) can be the base.
pub(super) fn needs_snapshot_level(levels: &[Vec<ObjectInfo>]) -> bool {
    levels[1].is_empty() && !levels[0].is_empty() && !levels[0].iter().any(|f| f.key.min_txid == 1)
}

/// The hole in the replica's history, described for the log, or `None` when levels 0, 1
/// (and 9, when listed) are consistent. `seen_l1_max` is the newest level 1 TXID this
/// process has listed before.
pub(super) fn missing_files(levels: &[Vec<ObjectInfo>], seen_l1_max: u64) -> Option<String> {
    let l1_max = level_max(&levels[1]);
    if l1_max < seen_l1_max {
        return Some(format!(
            "its level 1 ended at TXID {} and now ends at {}",
            format_txid(seen_l1_max),
            format_txid(l1_max)
        ));
    }
    // Level 0 must continue, without a gap, from level 1's end (or, with no level 1 yet,
    // from the newest snapshot's, or from TXID 1).
    let base = if levels[1].is_empty() {
        level_max(&levels[9])
    } else {
        l1_max
    };
    let mut above: Vec<&ObjectInfo> = levels[0].iter().filter(|f| f.key.max_txid > base).collect();
    above.sort_by_key(|f| (f.key.min_txid, f.key.max_txid));
    let mut cur = base;
    for f in above {
        if f.key.min_txid > cur + 1 {
            return Some(format!(
                "TXIDs {} to {} are missing",
                format_txid(cur + 1),
                format_txid(f.key.min_txid - 1)
            ));
        }
        cur = cur.max(f.key.max_txid);
    }
    None
}

/// Why the latest state cannot be restored from the full listing `levels`, or `None`
/// when it can (or when the replica is still empty).
pub(super) fn unrestorable(levels: &[Vec<ObjectInfo>]) -> Option<String> {
    use crate::plan::restore::{plan, PlanError, RestoreTarget};
    match plan(levels, RestoreTarget::default()) {
        Ok(_) | Err(PlanError::NoBackups) => None,
        Err(e) => Some(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::ObjectKey;
    use crate::time::UnixMs;

    fn f(level: u8, min: u64, max: u64) -> ObjectInfo {
        ObjectInfo {
            key: ObjectKey {
                level,
                min_txid: min,
                max_txid: max,
            },
            size: 1,
            created: UnixMs(0),
        }
    }

    fn levels(l0: &[(u64, u64)], l1: &[(u64, u64)], l9: &[(u64, u64)]) -> Vec<Vec<ObjectInfo>> {
        let mut v = vec![Vec::new(); 10];
        v[0] = l0.iter().map(|&(a, b)| f(0, a, b)).collect();
        v[1] = l1.iter().map(|&(a, b)| f(1, a, b)).collect();
        v[9] = l9.iter().map(|&(a, b)| f(9, a, b)).collect();
        v
    }

    #[test]
    fn healthy_replicas_have_no_hole() {
        assert_eq!(missing_files(&levels(&[], &[], &[]), 0), None);
        assert_eq!(missing_files(&levels(&[(1, 1), (2, 2)], &[], &[]), 0), None);
        // L0 already partly covered by L1, and files above it contiguous.
        let l = levels(&[(4, 4), (5, 5), (6, 6)], &[(1, 3), (4, 5)], &[]);
        assert_eq!(missing_files(&l, 5), None);
        // No L1 yet, but a snapshot as the base.
        let l = levels(&[(8, 8), (9, 9)], &[], &[(1, 7)]);
        assert!(needs_snapshot_level(&l));
        assert_eq!(missing_files(&l, 0), None);
    }

    #[test]
    fn a_hole_deep_in_the_history_makes_the_replica_unrestorable() {
        let ok = levels(&[(5, 5), (6, 6)], &[(1, 2), (3, 4)], &[]);
        assert_eq!(unrestorable(&ok), None);
        assert_eq!(unrestorable(&levels(&[], &[], &[])), None, "empty replica");
        let hole = levels(&[(5, 5), (6, 6)], &[(1, 2)], &[]);
        let why = unrestorable(&hole).unwrap();
        assert!(why.contains("non-contiguous"), "{why}");
        // A snapshot above the hole makes the latest state restorable again.
        let rebased = levels(&[(5, 5), (6, 6)], &[(1, 2)], &[(1, 5)]);
        assert_eq!(unrestorable(&rebased), None);
    }

    #[test]
    fn deleted_files_are_named() {
        // The whole replica removed, uploads continuing at 8.
        let l = levels(&[(8, 8), (9, 9)], &[], &[]);
        assert!(needs_snapshot_level(&l));
        assert_eq!(
            missing_files(&l, 0).as_deref(),
            Some("TXIDs 0000000000000001 to 0000000000000007 are missing")
        );
        // ...after level 1 had been seen.
        let l = levels(&[(8, 8)], &[], &[(1, 7)]);
        assert!(missing_files(&l, 5).unwrap().contains("level 1 ended at"));
        // A hole above level 1, and one inside level 0.
        let l = levels(&[(7, 7)], &[(1, 5)], &[]);
        assert!(missing_files(&l, 5)
            .unwrap()
            .contains("0000000000000006 to 0000000000000006"));
        let l = levels(&[(6, 6), (9, 9)], &[(1, 5)], &[]);
        assert!(missing_files(&l, 5)
            .unwrap()
            .contains("0000000000000007 to 0000000000000008"));
    }
}
