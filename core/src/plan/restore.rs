//! The restore plan (REPLICATION.md §14.1): which LTX files, from which levels, rebuild
//! the database as of the latest state, a TXID, or a point in time.

use crate::io::ObjectInfo;
use crate::time::UnixMs;

/// The snapshot level.
pub const SNAPSHOT_LEVEL: u8 = 9;

/// What to restore to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RestoreTarget {
    /// Restore up to and including this TXID.
    pub txid: Option<u64>,
    /// Restore only files created strictly before this time.
    pub timestamp: Option<UnixMs>,
}

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// No file matches (empty replica, or nothing before the target).
    NoBackups,
    /// The replica cannot reach the requested TXID.
    TxidNotAvailable {
        /// Requested TXID.
        target: u64,
        /// Highest reachable TXID.
        reachable: u64,
    },
    /// A file exists beyond a gap in the TXID sequence.
    NonContiguous {
        /// Last TXID reached.
        reached: u64,
        /// Level holding the unreachable file.
        level: u8,
        /// Its first TXID.
        next_min: u64,
    },
    /// The first file does not start at TXID 1, so it cannot rebuild a database.
    NoSnapshot {
        /// First TXID of the first usable file.
        first_min: u64,
    },
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::NoBackups => write!(f, "no matching backup files available"),
            PlanError::TxidNotAvailable { target, reachable } => write!(
                f,
                "transaction not available: target {target:016x}, replica reaches {reachable:016x}"
            ),
            PlanError::NonContiguous {
                reached,
                level,
                next_min,
            } => write!(
                f,
                "non-contiguous ltx files: restore reached {reached:016x} but level {level} continues at {next_min:016x}; the replica has a gap"
            ),
            PlanError::NoSnapshot { first_min } => write!(
                f,
                "no snapshot: the oldest usable file starts at {first_min:016x}, not at TXID 1"
            ),
        }
    }
}

impl std::error::Error for PlanError {}

/// `levels[l]` lists level `l` (0..=9), each sorted by (min, max). Returns the files to
/// merge, oldest first.
pub fn plan(
    levels: &[Vec<ObjectInfo>],
    target: RestoreTarget,
) -> Result<Vec<ObjectInfo>, PlanError> {
    let in_time = |f: &ObjectInfo| target.timestamp.is_none_or(|t| f.created < t);
    let in_txid = |f: &ObjectInfo| target.txid.is_none_or(|t| f.key.max_txid <= t);

    let mut out = Vec::new();
    let mut cur = 0u64;
    if let Some(snaps) = levels.get(usize::from(SNAPSHOT_LEVEL)) {
        if let Some(s) = snaps.iter().rfind(|f| in_time(f) && in_txid(f)) {
            cur = s.key.max_txid;
            out.push(s.clone());
        }
    }
    loop {
        if target.txid.is_some_and(|t| cur >= t) {
            break;
        }
        let mut best: Option<&ObjectInfo> = None;
        for level in (0..SNAPSHOT_LEVEL).rev() {
            let Some(files) = levels.get(usize::from(level)) else {
                continue;
            };
            for f in files {
                if f.key.min_txid > cur + 1 || f.key.max_txid <= cur || !in_time(f) || !in_txid(f) {
                    continue;
                }
                if best.is_none_or(|b| better(f, b)) {
                    best = Some(f);
                }
            }
        }
        let Some(b) = best else { break };
        cur = b.key.max_txid;
        out.push(b.clone());
    }
    if target.txid.is_none() && target.timestamp.is_none() {
        for files in levels.iter().take(usize::from(SNAPSHOT_LEVEL)) {
            if let Some(f) = files.iter().find(|f| f.key.min_txid > cur + 1) {
                return Err(PlanError::NonContiguous {
                    reached: cur,
                    level: f.key.level,
                    next_min: f.key.min_txid,
                });
            }
        }
    }
    let Some(first) = out.first() else {
        return Err(PlanError::NoBackups);
    };
    if first.key.min_txid != 1 {
        return Err(PlanError::NoSnapshot {
            first_min: first.key.min_txid,
        });
    }
    if let Some(t) = target.txid {
        if cur < t {
            return Err(PlanError::TxidNotAvailable {
                target: t,
                reachable: cur,
            });
        }
    }
    Ok(out)
}

/// Highest MaxTXID, then lowest MinTXID, then higher level, then older.
fn better(a: &ObjectInfo, b: &ObjectInfo) -> bool {
    (
        a.key.max_txid,
        std::cmp::Reverse(a.key.min_txid),
        a.key.level,
        std::cmp::Reverse(a.created),
    ) > (
        b.key.max_txid,
        std::cmp::Reverse(b.key.min_txid),
        b.key.level,
        std::cmp::Reverse(b.created),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::ObjectKey;

    fn f(level: u8, min: u64, max: u64, created: i64) -> ObjectInfo {
        ObjectInfo {
            key: ObjectKey {
                level,
                min_txid: min,
                max_txid: max,
            },
            size: 100,
            created: UnixMs(created),
        }
    }

    fn levels(files: &[ObjectInfo]) -> Vec<Vec<ObjectInfo>> {
        let mut l = vec![Vec::new(); 10];
        for x in files {
            l[usize::from(x.key.level)].push(x.clone());
        }
        l
    }

    fn ranges(p: &[ObjectInfo]) -> Vec<(u8, u64, u64)> {
        p.iter()
            .map(|x| (x.key.level, x.key.min_txid, x.key.max_txid))
            .collect()
    }

    #[test]
    fn latest_uses_snapshot_then_the_biggest_steps() {
        let l = levels(&[
            f(9, 1, 10, 100),
            f(1, 11, 20, 200),
            f(0, 11, 11, 110),
            f(0, 12, 12, 120),
            f(0, 21, 21, 210),
        ]);
        let p = plan(&l, RestoreTarget::default()).unwrap();
        assert_eq!(ranges(&p), vec![(9, 1, 10), (1, 11, 20), (0, 21, 21)]);
    }

    #[test]
    fn txid_target_stops_exactly_there() {
        let l = levels(&[f(0, 1, 1, 1), f(0, 2, 2, 2), f(0, 3, 3, 3), f(1, 1, 3, 4)]);
        let p = plan(
            &l,
            RestoreTarget {
                txid: Some(2),
                timestamp: None,
            },
        )
        .unwrap();
        assert_eq!(ranges(&p), vec![(0, 1, 1), (0, 2, 2)]);
        let err = plan(
            &l,
            RestoreTarget {
                txid: Some(9),
                timestamp: None,
            },
        )
        .unwrap_err();
        assert_eq!(
            err,
            PlanError::TxidNotAvailable {
                target: 9,
                reachable: 3
            }
        );
    }

    #[test]
    fn timestamp_target_uses_files_created_strictly_before() {
        let l = levels(&[f(0, 1, 1, 10), f(0, 2, 2, 20), f(0, 3, 3, 30)]);
        let p = plan(
            &l,
            RestoreTarget {
                txid: None,
                timestamp: Some(UnixMs(30)),
            },
        )
        .unwrap();
        assert_eq!(ranges(&p), vec![(0, 1, 1), (0, 2, 2)]);
        assert_eq!(
            plan(
                &l,
                RestoreTarget {
                    txid: None,
                    timestamp: Some(UnixMs(10))
                }
            ),
            Err(PlanError::NoBackups)
        );
    }

    #[test]
    fn gaps_are_reported() {
        let l = levels(&[f(0, 1, 1, 1), f(0, 3, 3, 3)]);
        assert_eq!(
            plan(&l, RestoreTarget::default()),
            Err(PlanError::NonContiguous {
                reached: 1,
                level: 0,
                next_min: 3
            })
        );
    }

    #[test]
    fn empty_replica_and_missing_snapshot() {
        assert_eq!(
            plan(&levels(&[]), RestoreTarget::default()),
            Err(PlanError::NoBackups)
        );
        let l = levels(&[f(0, 5, 5, 1)]);
        assert_eq!(
            plan(
                &l,
                RestoreTarget {
                    txid: Some(5),
                    timestamp: None
                }
            ),
            Err(PlanError::NoBackups)
        );
    }
}
