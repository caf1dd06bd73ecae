//! The replica directory is deleted while the daemon runs. Uploads alone would go on
//! adding files above a hole, to a replica that can never be restored; the daemon must
//! notice on its next level 1 compaction, write a snapshot and rebase the replica on it
//! (level 9 `1-N`), after which a restore equals the source again.

use std::time::Duration;

use litestream_e2e::{assert_restore_equals, db_state, sqlite3, tempdir, wait_until, Daemon};

#[test]
fn deleted_replica_directory_is_detected_and_rebased() {
    let tmp = tempdir("lost-files");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100)
         INSERT INTO t(v) SELECT randomblob(300) FROM c;",
    );
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
    for i in 0..5 {
        sqlite3(
            &db,
            &format!("INSERT INTO t(v) VALUES (randomblob({}));", 10 + i),
        );
        std::thread::sleep(Duration::from_millis(400));
    }
    d.wait_caught_up(Duration::from_secs(20));
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
    let rebased = wait_until(Duration::from_secs(20), || {
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
    sqlite3(&db, "INSERT INTO t(v) VALUES (randomblob(33));");
    d.wait_caught_up(Duration::from_secs(20));
    let want = db_state(&db);
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    assert_restore_equals(&replica, &scratch, "after the rebase", &want);
    let st = d.stop(Duration::from_secs(30));
    assert!(st.success(), "graceful stop: {st}");
}

/// Files deleted deep in the history (a level 1 file and the level 0 files it covers,
/// below the newest of each level): only a full check of every level sees it. The
/// daemon reports it and rebases the replica so that the latest state restores again.
#[test]
fn hole_deep_in_the_history_is_detected_and_rebased() {
    let tmp = tempdir("deep-hole");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);",
    );
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
    for i in 0..12 {
        sqlite3(
            &db,
            &format!("INSERT INTO t(v) VALUES (randomblob({}));", 50 + i),
        );
        std::thread::sleep(Duration::from_millis(350));
    }
    d.wait_caught_up(Duration::from_secs(20));
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
    let rebased = wait_until(Duration::from_secs(60), || {
        d.log_text().contains("replica rebased on a new snapshot")
    });
    assert!(
        rebased,
        "the hole was not repaired; log:\n{}",
        litestream_e2e::tail(&d.log_text(), 40)
    );
    d.wait_caught_up(Duration::from_secs(20));
    let want = db_state(&db);
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    assert_restore_equals(&replica, &scratch, "after the rebase", &want);
    let st = d.stop(Duration::from_secs(30));
    assert!(st.success(), "graceful stop: {st}");
}
