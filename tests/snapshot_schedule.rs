//! The snapshot (level 9) schedule of a file replica with the default 24 h interval
//! (REPLICATION.md §9–10): the first run takes one snapshot as soon as the database is
//! replicated; restarts within the same UTC day take none (each used to upload a full
//! snapshot); `replicate -once -force-snapshot` takes one whatever the schedule says.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use litestream_e2e::{
    file_url, litestream, ltx_files, max_l0_txid, sqlite3, tail, tempdir, wait_until, Daemon,
};

/// The 24 h interval starts at UTC midnight: a run across it may rightly snapshot
/// again, so start well clear of it.
fn clear_of_midnight(margin: Duration) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let into_day = Duration::from_secs(now.as_secs() % 86_400);
    let left = Duration::from_secs(86_400) - into_day;
    if left < margin {
        std::thread::sleep(left + Duration::from_secs(1));
    }
}

#[test]
fn one_snapshot_per_interval_across_restarts_and_forced_ones_still_run() {
    clear_of_midnight(Duration::from_secs(120));
    let tmp = tempdir("snapshot-schedule");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
         INSERT INTO t(v) VALUES (randomblob(300));",
    );
    let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
    let first = wait_until(Duration::from_secs(10), || {
        !ltx_files(&replica, 9).is_empty()
    });
    assert!(
        first,
        "no snapshot on the first run; log:\n{}",
        tail(&d.log_text(), 30)
    );
    d.wait_caught_up(Duration::from_secs(20));
    let snapshots = ltx_files(&replica, 9);
    assert_eq!(snapshots.len(), 1, "first run: {snapshots:?}");

    for round in 0..2 {
        sqlite3(&db, "INSERT INTO t(v) VALUES (randomblob(300));");
        d.wait_caught_up(Duration::from_secs(20));
        d.stop(Duration::from_secs(20));
        sqlite3(&db, "INSERT INTO t(v) VALUES (randomblob(300));");
        d.restart();
        d.wait_caught_up(Duration::from_secs(20));
        // The start-up tick runs at once; give it time to (wrongly) upload.
        std::thread::sleep(Duration::from_secs(2));
        assert_eq!(
            ltx_files(&replica, 9),
            snapshots,
            "restart {round} took another snapshot in the same interval; log:\n{}",
            tail(&d.log_text(), 30)
        );
    }
    d.stop(Duration::from_secs(20));

    let before = max_l0_txid(&replica);
    sqlite3(&db, "INSERT INTO t(v) VALUES (randomblob(300));");
    let db_arg = db.to_str().unwrap();
    let out = litestream(&[
        "replicate",
        "-once",
        "-force-snapshot",
        db_arg,
        &file_url(&replica),
    ]);
    assert!(
        out.status.success(),
        "replicate -once -force-snapshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It covers the write just made (the shutdown's final pass may add a file after it).
    let after = ltx_files(&replica, 9);
    assert_eq!(after.len(), 2, "forced snapshot: {after:?}");
    assert!(
        after[1].1 > before,
        "forced snapshot {after:?}, replica was at {before}"
    );
}
