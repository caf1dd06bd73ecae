//! Compaction plans (REPLICATION.md §9): which files of level n-1 merge into the next
//! file of level n, and which files make the next snapshot (level 9).

use crate::io::{ObjectInfo, ObjectKey};
use crate::plan::restore::{self, RestoreTarget, SNAPSHOT_LEVEL};
use crate::time::UnixMs;

/// Inputs (oldest first) and the output key of one compaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactionPlan {
    /// Files to merge.
    pub inputs: Vec<ObjectKey>,
    /// Where the merged file goes.
    pub output: ObjectKey,
}

/// The newest file of a level (highest MaxTXID).
fn newest(level: &[ObjectInfo]) -> Option<&ObjectInfo> {
    level.iter().max_by_key(|f| f.key.max_txid)
}

/// True when the newest file of `dst` was created at or after `interval_start`: the
/// level already got its file this interval, so the run is too early (REPLICATION.md §9
/// step 2). `None` (no schedule, a forced run) is never too early.
fn too_early(dst: &[ObjectInfo], interval_start: Option<UnixMs>) -> bool {
    matches!((newest(dst), interval_start), (Some(n), Some(start)) if n.created >= start)
}

/// Plan the next compaction of `src` (level `level - 1`) into `dst` (level `level`),
/// both sorted by (min, max). `interval_start` skips the run when the newest destination
/// file was created in the current interval already.
pub fn plan_level(
    level: u8,
    src: &[ObjectInfo],
    dst: &[ObjectInfo],
    interval_start: Option<UnixMs>,
) -> Option<CompactionPlan> {
    if too_early(dst, interval_start) {
        return None;
    }
    let after = newest(dst).map_or(0, |n| n.key.max_txid);
    let mut inputs: Vec<ObjectKey> = Vec::new();
    let mut cur = after;
    for f in src.iter().filter(|f| f.key.min_txid > after) {
        if cur != 0 && f.key.min_txid > cur + 1 {
            break; // a gap: stop at the contiguous prefix
        }
        if f.key.max_txid <= cur {
            continue;
        }
        cur = f.key.max_txid;
        inputs.push(f.key);
    }
    let (first, last) = (inputs.first()?, inputs.last()?);
    Some(CompactionPlan {
        output: ObjectKey {
            level,
            min_txid: first.min_txid,
            max_txid: last.max_txid,
        },
        inputs,
    })
}

/// Plan a new snapshot from every level (`levels[l]` lists level `l`): the restore plan
/// of the latest state, merged into `1-<max>` at level 9. `None` when the newest
/// snapshot is already current, was created in the current interval (`interval_start`,
/// as for the other levels: without it every restart would upload a full snapshot), or
/// nothing can be restored.
pub fn plan_snapshot(
    levels: &[Vec<ObjectInfo>],
    interval_start: Option<UnixMs>,
) -> Option<CompactionPlan> {
    let snapshots = levels
        .get(usize::from(SNAPSHOT_LEVEL))
        .map_or(&[][..], Vec::as_slice);
    if too_early(snapshots, interval_start) {
        return None;
    }
    let files = restore::plan(levels, RestoreTarget::default()).ok()?;
    let max = files.last()?.key.max_txid;
    if newest(snapshots).is_some_and(|s| s.key.max_txid >= max) {
        return None;
    }
    Some(CompactionPlan {
        inputs: files.iter().map(|f| f.key).collect(),
        output: ObjectKey {
            level: SNAPSHOT_LEVEL,
            min_txid: 1,
            max_txid: max,
        },
    })
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
    fn merges_everything_after_the_newest_destination_file() {
        let src = [f(0, 1, 1, 1), f(0, 2, 2, 2), f(0, 3, 3, 3), f(0, 4, 4, 4)];
        let dst = [f(1, 1, 2, 5)];
        let p = plan_level(1, &src, &dst, None).unwrap();
        assert_eq!(
            p.output,
            ObjectKey {
                level: 1,
                min_txid: 3,
                max_txid: 4
            }
        );
        assert_eq!(p.inputs.len(), 2);
        assert_eq!(plan_level(1, &src[..2], &dst, None), None, "nothing new");
        let first = plan_level(1, &src, &[], None).unwrap();
        assert_eq!(
            first.output,
            ObjectKey {
                level: 1,
                min_txid: 1,
                max_txid: 4
            }
        );
    }

    #[test]
    fn skips_when_the_interval_already_has_a_file_and_stops_at_gaps() {
        let src = [f(0, 3, 3, 3), f(0, 5, 5, 5)];
        let dst = [f(1, 1, 2, 100)];
        assert_eq!(plan_level(1, &src, &dst, Some(UnixMs(50))), None);
        let p = plan_level(1, &src, &dst, Some(UnixMs(200))).unwrap();
        assert_eq!(
            p.output,
            ObjectKey {
                level: 1,
                min_txid: 3,
                max_txid: 3
            }
        );
    }

    #[test]
    fn snapshot_uses_the_restore_chain() {
        let mut levels = vec![Vec::new(); 10];
        levels[0] = vec![f(0, 1, 1, 1), f(0, 2, 2, 2), f(0, 3, 3, 3)];
        levels[1] = vec![f(1, 1, 2, 3)];
        let p = plan_snapshot(&levels, None).unwrap();
        assert_eq!(
            p.output,
            ObjectKey {
                level: 9,
                min_txid: 1,
                max_txid: 3
            }
        );
        assert_eq!(p.inputs, vec![levels[1][0].key, levels[0][2].key]);
        levels[9] = vec![f(9, 1, 3, 4)];
        assert_eq!(plan_snapshot(&levels, None), None);
    }

    #[test]
    fn snapshot_waits_for_the_next_interval_once_it_has_one() {
        let mut levels = vec![Vec::new(); 10];
        levels[0] = vec![f(0, 1, 1, 1), f(0, 2, 2, 150), f(0, 3, 3, 160)];
        levels[9] = vec![f(9, 1, 1, 100), f(9, 1, 2, 150)];
        // The newest snapshot (1-2, created at 150) is in the interval starting at 120.
        assert_eq!(plan_snapshot(&levels, Some(UnixMs(120))), None);
        // Next interval, or a forced snapshot (no interval): a new one.
        for start in [Some(UnixMs(200)), None] {
            let p = plan_snapshot(&levels, start).unwrap();
            assert_eq!((p.output.min_txid, p.output.max_txid), (1, 3));
        }
        // No snapshot yet: take one whatever the interval.
        levels[9].clear();
        assert!(plan_snapshot(&levels, Some(UnixMs(120))).is_some());
    }
}
