//! The snapshot schedule (REPLICATION.md §9–10): a level 9 file as soon as the first sync
//! reached a new replica, then at most one per snapshot interval, restarts included.

use std::time::Duration;

use litestream_core::db::maintenance::MaintenanceSettings;
use litestream_testkit::{Sim, SimConfig};

/// Snapshots every hour and nothing else: compaction and L0 retention would rewrite the
/// level 0 history the checker follows.
fn snapshot_sim(seed: u64) -> Sim {
    let mut cfg = SimConfig::scripted(seed);
    cfg.settings.maintenance = MaintenanceSettings {
        levels: Vec::new(),
        l0_retention: Duration::ZERO,
        snapshot_interval: Duration::from_secs(3600),
        ..MaintenanceSettings::default()
    };
    Sim::new(cfg)
}

fn snapshots(s: &Sim) -> Vec<(u64, u64)> {
    s.store
        .list(9)
        .iter()
        .map(|f| (f.key.min_txid, f.key.max_txid))
        .collect()
}

#[test]
fn one_snapshot_at_first_start_then_one_per_interval() {
    let mut s = snapshot_sim(31);
    let r = (|| {
        // The simulation starts on an hour boundary: everything below until the last
        // step happens in the first interval.
        s.start_daemon()?;
        s.run_for(Duration::from_secs(2))?;
        assert_eq!(snapshots(&s), vec![(1, 1)], "a snapshot at the first start");
        for round in 0..2 {
            s.commit(3)?;
            s.sync_ok()?;
            s.crash_daemon(false)?;
            s.commit(2)?;
            s.start_daemon()?;
            s.sync_ok()?;
            s.run_for(Duration::from_secs(5))?;
            assert_eq!(
                snapshots(&s),
                vec![(1, 1)],
                "restart {round} in the same interval must not snapshot again"
            );
        }
        // The next interval's tick snapshots the new transactions.
        s.run_for(Duration::from_secs(3600))?;
        let max = s.store_max_txid();
        assert_eq!(snapshots(&s), vec![(1, 1), (1, max)], "next interval");
        s.quiesce_and_check()
    })();
    if let Err(e) = r {
        panic!("{e}");
    }
}
