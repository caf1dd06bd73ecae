//! Databases with the smallest and largest SQLite page sizes (512 and 65536 bytes) and
//! one in between replicate and restore exactly: inserts, a checkpoint by the
//! application, deletes and `VACUUM`, checked after each step.

use std::time::Duration;

use litestream_e2e::{assert_restore_equals, db_state, integrity_check, sqlite3, tempdir, Daemon};

fn round_trip(page_size: u32) {
    let tmp = tempdir(&format!("pgsz{page_size}"));
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    sqlite3(
        &db,
        &format!(
            "PRAGMA page_size={page_size}; PRAGMA journal_mode=wal;
             CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);"
        ),
    );
    assert_eq!(sqlite3(&db, "PRAGMA page_size;"), page_size.to_string());
    let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
    let steps = [
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 300)
         INSERT INTO t(v) SELECT randomblob(x * 7) FROM c;",
        "PRAGMA wal_checkpoint(PASSIVE); INSERT INTO t(v) VALUES (randomblob(70000));",
        "DELETE FROM t WHERE id % 2 = 0;",
        "VACUUM;",
    ];
    for (i, sql) in steps.iter().enumerate() {
        sqlite3(&db, sql);
        d.wait_caught_up(Duration::from_secs(30));
        assert_eq!(integrity_check(&db), "ok");
        let want = db_state(&db);
        assert_restore_equals(
            &replica,
            tmp.path(),
            &format!("page size {page_size} step {i}"),
            &want,
        );
    }
    assert!(d.stop(Duration::from_secs(30)).success());
}

#[test]
fn page_size_512() {
    round_trip(512);
}

#[test]
fn page_size_8192() {
    round_trip(8192);
}

#[test]
fn page_size_65536() {
    round_trip(65536);
}
