//! Scripted situations, each ending with the full final check (catch-up, exact restore,
//! clean restart, shutdown).

use std::time::Duration;

use litestream_core::io::CheckpointMode;
use litestream_testkit::check::Checker;
use litestream_testkit::{Failure, Sim, SimConfig};

fn run(f: impl FnOnce(&mut Sim) -> Result<(), Failure>, mut sim: Sim) {
    let r = f(&mut sim).and_then(|()| sim.quiesce_and_check());
    if let Err(e) = r {
        panic!("{e}");
    }
}

fn started(sim: &mut Sim) -> Result<(), Failure> {
    sim.start_daemon()?;
    sim.run_for(Duration::from_secs(2))
}

#[test]
fn first_sync_writes_a_snapshot() {
    run(
        |s| {
            started(s)?;
            s.commit(3)?;
            let rep = s.sync_ok()?;
            assert!(rep.replicated >= 1);
            let first = s.local_files()[0];
            assert_eq!(
                (first.txid, first.snapshot),
                (1, true),
                "{:?}",
                s.local_files()
            );
            assert!(s.restore_matches_head());
            Ok(())
        },
        Sim::scripted(1),
    );
}

#[test]
fn later_passes_are_incremental() {
    run(
        |s| {
            started(s)?;
            s.sync_ok()?;
            for _ in 0..5 {
                s.commit(2)?;
                s.sync_ok()?;
                assert!(s.restore_matches_head());
            }
            let files = s.local_files();
            assert!(files.len() >= 6, "{files:?}");
            assert!(files[1..].iter().all(|f| !f.snapshot), "{files:?}");
            Ok(())
        },
        Sim::scripted(2),
    );
}

#[test]
fn daemon_restart_continues_incrementally() {
    run(
        |s| {
            started(s)?;
            s.commit(3)?;
            s.sync_ok()?;
            s.crash_daemon(false)?;
            s.commit(3)?;
            s.start_daemon()?;
            let rep = s.sync_ok()?;
            let newest = s.newest_local().expect("files exist");
            assert_eq!(newest.txid, rep.after);
            assert!(
                !newest.snapshot,
                "restart should continue incrementally: {:?}",
                s.local_files()
            );
            assert!(s.restore_matches_head());
            Ok(())
        },
        Sim::scripted(3),
    );
}

fn snapshot_after_down_checkpoint(mode: CheckpointMode, seed: u64) {
    run(
        |s| {
            started(s)?;
            s.commit(3)?;
            s.sync_ok()?;
            s.crash_daemon(false)?;
            s.commit(4)?;
            assert!(!s.app_checkpoint_now(mode)?, "nothing holds the WAL");
            s.commit(2)?; // restarts the WAL with new salts (or starts a new one)
            s.start_daemon()?;
            s.sync_ok()?;
            let newest = s.newest_local().expect("files exist");
            assert!(
                newest.snapshot,
                "expected a snapshot: {:?}",
                s.local_files()
            );
            assert!(s.restore_matches_head());
            Ok(())
        },
        Sim::scripted(seed),
    );
}

#[test]
fn wal_restart_while_the_daemon_is_down_snapshots() {
    snapshot_after_down_checkpoint(CheckpointMode::Restart, 4);
}

#[test]
fn truncate_checkpoint_while_the_daemon_is_down_snapshots() {
    snapshot_after_down_checkpoint(CheckpointMode::Truncate, 5);
}

/// The daemon's emergency TRUNCATE path: first busy (an application query pins the WAL,
/// so the boundary snapshot must read every frame from offset 32), then complete (the WAL
/// is cut to zero bytes and the database goes idle: syncs must still succeed).
#[test]
fn truncate_checkpoints_busy_then_complete_and_an_idle_database_still_syncs() {
    let mut cfg = SimConfig::new(6);
    cfg.settings.checkpoint.min_pages = 1_000_000;
    cfg.settings.checkpoint.truncate_pages = Some(20);
    cfg.settings.checkpoint.interval = None;
    cfg.initial_pages = 12;
    run(
        |s| {
            started(s)?;
            s.commit(2)?;
            s.sync_ok()?;
            s.writer.app_read(true);
            s.commit(30)?;
            s.run_for(Duration::from_secs(3))?;
            // A busy TRUNCATE truncated nothing: no boundary snapshot is needed, and the
            // next attempt waits (no snapshot per pass while the reader stays).
            let busy_snapshots = s.written.values().filter(|r| r.is_some()).count();
            assert!(
                busy_snapshots <= 1,
                "snapshots while TRUNCATE was busy: {:?}",
                s.written
            );
            s.writer.app_read(false);
            s.commit(1)?;
            // The busy TRUNCATE backs off for 10 s before it is tried again.
            s.run_for(Duration::from_secs(15))?;
            assert!(
                s.checker.stats.daemon_truncates > 0,
                "no TRUNCATE completed"
            );
            // No more application writes: the daemon must still answer syncs.
            s.sync_ok()?;
            s.catch_up()?;
            Ok(())
        },
        Sim::new(cfg),
    );
}

fn restored_from_backup(keep_meta: bool, seed: u64) {
    run(
        |s| {
            started(s)?;
            for _ in 0..4 {
                s.commit(2)?;
                s.sync_ok()?;
            }
            let remote_max = s.store_max_txid();
            s.crash_daemon(false)?;
            let old = Checker::restore(&s.store, Some(2)).map_err(|e| s.fail(e))?;
            let wall = s.clock.wall();
            s.writer.restore_from(&mut s.fs, old, wall);
            if !keep_meta {
                let meta = s.settings.paths.meta.clone();
                s.fs.remove(&meta, true).expect("remove meta");
            }
            s.start_daemon()?;
            let rep = s.sync_ok()?;
            assert!(
                rep.after > remote_max,
                "numbering must continue above the replica"
            );
            assert!(s.restore_matches_head());
            Ok(())
        },
        Sim::scripted(seed),
    );
}

#[test]
fn replica_ahead_of_a_restored_database_continues_above_it() {
    restored_from_backup(false, 8);
}

#[test]
fn restored_database_with_old_local_files_continues_above_them() {
    restored_from_backup(true, 9);
}

/// `litestream reset` run while the daemon is down: the next start pulls the replica's
/// newest file and begins with a full snapshot above it (REPLICATION.md §12), so a replica
/// damaged before the reset becomes whole again.
#[test]
fn reset_local_state_restarts_with_a_snapshot_above_the_replica() {
    run(
        |s| {
            started(s)?;
            for _ in 0..3 {
                s.commit(2)?;
                s.sync_ok()?;
            }
            let remote_max = s.store_max_txid();
            s.crash_daemon(false)?;
            let meta = s.settings.paths.meta.clone();
            s.fs.remove(&meta, true).expect("remove meta");
            s.start_daemon()?;
            s.commit(1)?;
            s.sync_ok()?;
            let first_new = s
                .local_files()
                .into_iter()
                .find(|f| f.txid > remote_max)
                .expect("a file above the replica");
            assert_eq!(
                (first_new.txid, first_new.snapshot),
                (remote_max + 1, true),
                "{:?}",
                s.local_files()
            );
            assert!(s.restore_matches_head());
            Ok(())
        },
        Sim::scripted(11),
    );
}

#[test]
fn store_outage_then_recovery() {
    run(
        |s| {
            started(s)?;
            s.sync_ok()?;
            s.store.outage_until = Some(s.clock.mono() + Duration::from_secs(60));
            s.commit(5)?;
            // A sync that waits for the replica fails with the upload's error.
            let r = s.sync(true, Duration::from_secs(40))?;
            assert!(
                r.as_ref().is_err_and(|e| e.contains("sync replica")),
                "the replica is down: {r:?}"
            );
            s.run_for(Duration::from_secs(70))?;
            s.sync_ok()?;
            assert!(s.restore_matches_head());
            Ok(())
        },
        Sim::scripted(10),
    );
}

#[test]
fn ambiguous_puts_are_harmless() {
    run(
        |s| {
            started(s)?;
            s.store.faults.ambiguous = 1000;
            for _ in 0..4 {
                s.commit(2)?;
                s.run_for(Duration::from_secs(2))?;
            }
            s.store.faults.ambiguous = 0;
            s.sync_ok()?;
            assert!(s.error_logs > 0, "no upload was reported failed");
            assert!(s.restore_matches_head());
            Ok(())
        },
        Sim::scripted(11),
    );
}

#[test]
fn shutdown_with_the_replica_behind_finishes() {
    let mut s = Sim::scripted(12);
    let r = (|| {
        started(&mut s)?;
        s.sync_ok()?;
        s.store.outage_until = Some(s.clock.mono() + Duration::from_secs(3600));
        s.commit(3)?;
        s.shutdown()
    })();
    if let Err(e) = r {
        panic!("{e}");
    }
    assert!(
        s.error_logs > 0,
        "shutdown should log that the replica is behind"
    );
}

/// L0 files written while the application commits every 2 ms for 200 ms.
fn files_from_a_burst(min_pass_gap: Duration) -> usize {
    let mut cfg = SimConfig::scripted(12);
    cfg.settings.min_pass_gap = min_pass_gap;
    let mut files = 0;
    run(
        |s| {
            started(s)?;
            s.sync_ok()?;
            let before = s.local_files().len();
            s.commit_spaced(100, Duration::from_millis(2))?;
            s.sync_ok()?;
            files = s.local_files().len() - before;
            assert!(s.restore_matches_head());
            Ok(())
        },
        Sim::new(cfg),
    );
    files
}

#[test]
fn commits_faster_than_the_pass_gap_share_passes() {
    let (coalesced, every) = (
        files_from_a_burst(Duration::from_millis(25)),
        files_from_a_burst(Duration::ZERO),
    );
    assert!(
        (1..=10).contains(&coalesced),
        "100 commits in 200 ms with a 25 ms gap gave {coalesced} L0 files"
    );
    assert!(
        every > coalesced * 2,
        "without a gap: {every} files, with: {coalesced}"
    );
}

/// Our own checkpoints restart the WAL again and again, and the file keeps stale frames of
/// older generations past the live ones: each restart must still be followed
/// incrementally, never by a full snapshot.
#[test]
fn our_checkpoint_restarts_never_cost_a_snapshot() {
    run(
        |s| {
            started(s)?;
            s.sync_ok()?;
            let mut salts = s.writer.salts();
            let mut restarts = 0;
            for _ in 0..30 {
                s.commit(8)?;
                s.sync_ok()?;
                s.run_for(Duration::from_millis(300))?;
                if s.writer.salts() != salts {
                    restarts += 1;
                    salts = s.writer.salts();
                }
            }
            assert!(restarts >= 5, "only {restarts} WAL restarts");
            let files = s.local_files();
            assert!(files[0].snapshot, "{files:?}");
            assert!(files[1..].iter().all(|f| !f.snapshot), "{files:?}");
            assert!(s.restore_matches_head());
            Ok(())
        },
        {
            let mut cfg = SimConfig::scripted(21);
            cfg.settings.checkpoint.min_pages = 16;
            Sim::new(cfg)
        },
    );
}
