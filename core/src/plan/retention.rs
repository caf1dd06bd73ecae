//! Retention (REPLICATION.md §11): which snapshots and compacted files may be deleted,
//! and which L0 files are covered by level 1 and old enough to go.

use std::time::Duration;

use crate::io::{ObjectInfo, ObjectKey};
use crate::plan::restore::SNAPSHOT_LEVEL;
use crate::time::UnixMs;

/// Snapshot retention: snapshots created before `now - retention` are deleted (never the
/// newest); then in levels 1..=8 files whose MaxTXID is below the floor (the MaxTXID of
/// the newest deleted snapshot), always keeping each level's newest file.
pub fn snapshot_retention(
    levels: &[Vec<ObjectInfo>],
    now: UnixMs,
    retention: Duration,
) -> Vec<ObjectKey> {
    let cutoff = now - retention;
    let Some(snaps) = levels.get(usize::from(SNAPSHOT_LEVEL)) else {
        return Vec::new();
    };
    let newest = snaps.iter().map(|f| f.key.max_txid).max();
    let mut out = Vec::new();
    let mut floor = 0;
    for s in snaps {
        if s.created < cutoff && Some(s.key.max_txid) != newest {
            out.push(s.key);
            floor = floor.max(s.key.max_txid);
        }
    }
    if floor == 0 {
        return out;
    }
    for level in 1..SNAPSHOT_LEVEL {
        let Some(files) = levels.get(usize::from(level)) else {
            continue;
        };
        let newest = files.iter().map(|f| f.key.max_txid).max();
        out.extend(
            files
                .iter()
                .filter(|f| f.key.max_txid < floor && Some(f.key.max_txid) != newest)
                .map(|f| f.key),
        );
    }
    out
}

/// L0 retention: L0 files (oldest first) already covered by level 1 (MaxTXID ≤ the
/// highest L1 MaxTXID) and created before `now - retention`; the walk stops at the first
/// file too recent, and when it reaches the end the newest L0 file is kept.
pub fn l0_retention(
    l0: &[ObjectInfo],
    l1: &[ObjectInfo],
    now: UnixMs,
    retention: Duration,
) -> Vec<ObjectKey> {
    if retention.is_zero() {
        return Vec::new();
    }
    let Some(max_l1) = l1.iter().map(|f| f.key.max_txid).max() else {
        return Vec::new();
    };
    let cutoff = now - retention;
    let mut out = Vec::new();
    let mut reached_end = true;
    for f in l0 {
        if f.created >= cutoff {
            reached_end = false;
            break;
        }
        if f.key.max_txid <= max_l1 {
            out.push(f.key);
        }
    }
    if reached_end {
        if let Some(newest) = l0.iter().map(|f| f.key).max_by_key(|k| k.max_txid) {
            out.retain(|k| *k != newest);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(level: u8, min: u64, max: u64, created: i64) -> ObjectInfo {
        ObjectInfo {
            key: ObjectKey {
                level,
                min_txid: min,
                max_txid: max,
            },
            size: 1,
            created: UnixMs(created),
        }
    }

    #[test]
    fn old_snapshots_go_and_take_covered_compactions_with_them() {
        let mut levels = vec![Vec::new(); 10];
        levels[9] = vec![f(9, 1, 10, 0), f(9, 1, 20, 1000), f(9, 1, 30, 90_000)];
        levels[1] = vec![f(1, 1, 5, 0), f(1, 6, 19, 0), f(1, 20, 25, 0)];
        let del = snapshot_retention(&levels, UnixMs(100_000), Duration::from_secs(60));
        assert_eq!(
            del,
            vec![
                levels[9][0].key,
                levels[9][1].key,
                levels[1][0].key,
                levels[1][1].key
            ]
        );
    }

    #[test]
    fn the_newest_snapshot_is_never_deleted() {
        let mut levels = vec![Vec::new(); 10];
        levels[9] = vec![f(9, 1, 10, 0)];
        assert!(snapshot_retention(&levels, UnixMs(1_000_000), Duration::from_secs(1)).is_empty());
    }

    #[test]
    fn l0_files_covered_by_l1_and_old_enough_go() {
        let l0 = [
            f(0, 1, 1, 0),
            f(0, 2, 2, 0),
            f(0, 3, 3, 0),
            f(0, 4, 4, 99_000),
        ];
        let l1 = [f(1, 1, 3, 0)];
        let del = l0_retention(&l0, &l1, UnixMs(100_000), Duration::from_secs(60));
        assert_eq!(del, vec![l0[0].key, l0[1].key, l0[2].key]);
        let all_old = [f(0, 1, 1, 0), f(0, 2, 2, 0)];
        let l1b = [f(1, 1, 2, 0)];
        assert_eq!(
            l0_retention(&all_old, &l1b, UnixMs(100_000), Duration::from_secs(60)),
            vec![all_old[0].key],
            "newest kept"
        );
        assert!(l0_retention(&l0, &[], UnixMs(100_000), Duration::from_secs(60)).is_empty());
        assert!(l0_retention(&l0, &l1, UnixMs(100_000), Duration::ZERO).is_empty());
    }
}
