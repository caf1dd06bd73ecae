//! When to checkpoint, and how: the policy of REPLICATION.md §6 as a pure function.
//!
//! The daemon never loses frames to a checkpoint: every checkpoint it runs is preceded by
//! a full sync pass, PASSIVE ones hold a write barrier so nothing can be appended unseen,
//! and a TRUNCATE (which cannot hold the barrier) is followed by a snapshot.
//!
//! Where we differ from Litestream, for a busy application's sake (see `after_pass.rs`
//! and the shell's `sqlite.rs`): the barrier is tried for a few milliseconds at most and
//! retried after the next pass instead of waiting out the busy timeout with replication
//! stalled; cycles that restart the WAL come at most every `MIN_CYCLE_GAP`; and after a
//! cycle the read transaction is moved onto the new WAL generation, so that SQLite gives
//! it a frame mark rather than the "database file only" mark, which would make every one
//! of the application's autocheckpoints fail after sorting the whole WAL index.

use std::time::Duration;

use crate::io::CheckpointMode;

/// Default `min-checkpoint-page-count`.
pub const DEFAULT_MIN_CHECKPOINT_PAGES: u32 = 1000;
/// Default `truncate-page-n`.
pub const DEFAULT_TRUNCATE_PAGES: u32 = 121_359;
/// Default `checkpoint-interval`.
pub const DEFAULT_CHECKPOINT_INTERVAL: Duration = Duration::from_secs(60);

/// Checkpoint settings of one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPolicy {
    /// PASSIVE once the synced WAL holds this many pages.
    pub min_pages: u32,
    /// Emergency TRUNCATE at this many pages; `None` disables it.
    pub truncate_pages: Option<u32>,
    /// Time-based PASSIVE checkpoint; `None` disables it.
    pub interval: Option<Duration>,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        CheckpointPolicy {
            min_pages: DEFAULT_MIN_CHECKPOINT_PAGES,
            truncate_pages: Some(DEFAULT_TRUNCATE_PAGES),
            interval: Some(DEFAULT_CHECKPOINT_INTERVAL),
        }
    }
}

/// Bytes of a WAL holding `pages` frames of `page_size` bytes.
pub fn wal_bytes(page_size: u32, pages: u32) -> u64 {
    32 + (24 + u64::from(page_size)) * u64::from(pages)
}

/// What the last sync pass left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointInputs {
    /// Database page size.
    pub page_size: u32,
    /// Synced WAL offset before the pass (WAL size on the first pass).
    pub orig_offset: u64,
    /// Synced WAL offset after the pass.
    pub new_offset: u64,
    /// Data was synced since the last checkpoint.
    pub synced_since_checkpoint: bool,
    /// Time since the last checkpoint this process ran (or since it opened the database).
    pub since_last_checkpoint: Duration,
    /// A PASSIVE attempt at the truncate threshold already failed to restart the WAL.
    pub passive_failed_at_threshold: bool,
}

/// The checkpoints to run, in order (empty = none).
pub fn choose(policy: &CheckpointPolicy, i: &CheckpointInputs) -> Vec<CheckpointMode> {
    if let Some(n) = policy.truncate_pages {
        if i.orig_offset >= wal_bytes(i.page_size, n) {
            if i.passive_failed_at_threshold {
                return vec![CheckpointMode::Truncate];
            }
            return vec![CheckpointMode::Passive, CheckpointMode::Truncate];
        }
    }
    if i.new_offset >= wal_bytes(i.page_size, policy.min_pages) {
        return vec![CheckpointMode::Passive];
    }
    if let Some(interval) = policy.interval {
        if i.synced_since_checkpoint
            && i.since_last_checkpoint >= interval
            && i.new_offset > wal_bytes(i.page_size, 1)
        {
            return vec![CheckpointMode::Passive];
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(orig: u64, new: u64) -> CheckpointInputs {
        CheckpointInputs {
            page_size: 4096,
            orig_offset: orig,
            new_offset: new,
            synced_since_checkpoint: true,
            since_last_checkpoint: Duration::from_secs(1),
            passive_failed_at_threshold: false,
        }
    }

    #[test]
    fn wal_bytes_matches_the_spec() {
        assert_eq!(wal_bytes(4096, 1000), 4_120_032);
        assert_eq!(wal_bytes(4096, 121_359), 499_999_112);
    }

    #[test]
    fn below_every_threshold_nothing_happens() {
        assert!(choose(&CheckpointPolicy::default(), &inputs(32, 4_000_000)).is_empty());
    }

    #[test]
    fn min_page_count_triggers_passive() {
        let p = CheckpointPolicy::default();
        assert_eq!(
            choose(&p, &inputs(32, 4_120_032)),
            vec![CheckpointMode::Passive]
        );
    }

    #[test]
    fn truncate_threshold_tries_passive_then_truncate() {
        let p = CheckpointPolicy::default();
        let mut i = inputs(499_999_112, 499_999_112);
        assert_eq!(
            choose(&p, &i),
            vec![CheckpointMode::Passive, CheckpointMode::Truncate]
        );
        i.passive_failed_at_threshold = true;
        assert_eq!(choose(&p, &i), vec![CheckpointMode::Truncate]);
        let off = CheckpointPolicy {
            truncate_pages: None,
            ..p
        };
        assert_eq!(choose(&off, &i), vec![CheckpointMode::Passive]);
    }

    #[test]
    fn interval_triggers_passive_only_after_new_data() {
        let p = CheckpointPolicy::default();
        let mut i = inputs(32, 32 + 3 * 4120);
        i.since_last_checkpoint = Duration::from_secs(61);
        assert_eq!(choose(&p, &i), vec![CheckpointMode::Passive]);
        i.synced_since_checkpoint = false;
        assert!(choose(&p, &i).is_empty());
        i.synced_since_checkpoint = true;
        i.new_offset = 32 + 4120;
        assert!(choose(&p, &i).is_empty());
    }
}
