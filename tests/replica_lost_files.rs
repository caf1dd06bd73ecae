//! Replica files deleted behind the daemon's back. Uploads alone would go on adding files
//! above a hole, to a replica that can never be restored; the daemon must notice (the
//! whole directory on its next level 1 compaction, a hole deep in the history on its
//! full check), write a snapshot and rebase the replica on it (level 9 `1-N`), after
//! which a restore equals the source again.

use std::path::PathBuf;
use std::time::Duration;

use litestream_e2e::{
    assert_restore_equals, db_state, sqlite3, tempdir, wait_until, Daemon, TempDir,
};

/// A database created with `schema`, replicated with level 1 compaction every second,
/// then written by `writes` small transactions `pause` apart and caught up.
fn replicated(
    name: &str,
    schema: &str,
    writes: usize,
    pause: Duration,
) -> (TempDir, PathBuf, PathBuf, Daemon) {
    let tmp = tempdir(name);
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    sqlite3(&db, schema);
    let config = tmp.path().join("litestream.yml");
    std::fs::write(
        &config,
        format!(
            "logging:\n  level: debug\nlevels:\n  - interval: 1s\ndbs:\n  - path: {}\n    replica:\n      url: {}\n",
            db.display(),
            litestream_e2e::file_url(&replica)
        ),
    )
    .unwrap();
    let mut d = Daemon::start_config(&config, &db, &replica, &tmp.path().join("daemon.log"));
    d.wait_caught_up(Duration::from_secs(20));
    for i in 0..writes {
        sqlite3(
            &db,
            &format!("INSERT INTO t(v) VALUES (randomblob({}));", 10 + i),
        );
        std::thread::sleep(pause);
    }
    d.wait_caught_up(Duration::from_secs(20));
    (tmp, db, replica, d)
}

/// Wait up to `timeout` for the rebase, then check that a restore equals the source and
/// that the daemon stops cleanly.
fn assert_rebased_and_restorable(tmp: &TempDir, mut d: Daemon, timeout: Duration) {
    let rebased = wait_until(timeout, || {
        d.log_text().contains("replica rebased on a new snapshot")
    });
    let log = d.log_text();
    assert!(
        rebased,
        "the lost files were not repaired; log:\n{}",
        litestream_e2e::tail(&log, 40)
    );
    assert!(
        log.contains("replica is missing files"),
        "no error reported"
    );
    sqlite3(&d.db, "INSERT INTO t(v) VALUES (randomblob(33));");
    d.wait_caught_up(Duration::from_secs(20));
    let want = db_state(&d.db);
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    assert_restore_equals(&d.replica, &scratch, "after the rebase", &want);
    let st = d.stop(Duration::from_secs(30));
    assert!(st.success(), "graceful stop: {st}");
}

#[test]
fn deleted_replica_directory_is_detected_and_rebased() {
    let (tmp, db, replica, d) = replicated(
        "lost-files",
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100)
         INSERT INTO t(v) SELECT randomblob(300) FROM c;",
        5,
        Duration::from_millis(400),
    );
    assert!(
        wait_until(Duration::from_secs(10), || replica.join("ltx/1").is_dir()),
        "no level 1 compaction"
    );
    std::fs::remove_dir_all(&replica).unwrap();
    for i in 0..3 {
        sqlite3(
            &db,
            &format!("UPDATE t SET v = randomblob(20) WHERE id = {};", i + 1),
        );
    }
    assert_rebased_and_restorable(&tmp, d, Duration::from_secs(20));
}

/// Files deleted deep in the history (a level 1 file and the level 0 files it covers,
/// below the newest of each level): only a full check of every level sees it.
#[test]
fn hole_deep_in_the_history_is_detected_and_rebased() {
    let (tmp, db, replica, d) = replicated(
        "deep-hole",
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);",
        12,
        Duration::from_millis(350),
    );
    let snap_max = litestream_e2e::ltx_files(&replica, 9)
        .iter()
        .map(|f| f.1)
        .max()
        .unwrap_or(0);
    let l1 = litestream_e2e::ltx_files(&replica, 1);
    let victim = l1[..l1.len() - 1]
        .iter()
        .copied()
        .find(|f| f.0 > snap_max + 1)
        .unwrap_or_else(|| panic!("no level 1 file above snapshot {snap_max}: {l1:?}"));
    let name = |a: u64, b: u64| litestream_core::ltx::format_filename(a, b);
    std::fs::remove_file(replica.join("ltx/1").join(name(victim.0, victim.1))).unwrap();
    for t in victim.0..=victim.1 {
        let _ = std::fs::remove_file(replica.join("ltx/0").join(name(t, t)));
    }
    sqlite3(&db, "INSERT INTO t(v) VALUES (randomblob(7));");
    assert_rebased_and_restorable(&tmp, d, Duration::from_secs(60));
}
