//! A long read transaction of the application (a report query, a backup) while the WAL
//! is above the 1000-page checkpoint threshold: the daemon's PASSIVE checkpoint cannot
//! restart the WAL, and must not retry in a tight loop. Litestream evaluates the
//! checkpoint policy once per monitor tick (1 s), so at most a few new L0 files may
//! appear in 4 s without application writes.

use std::time::Duration;

use litestream_e2e::{ltx_files, tempdir, Daemon};
use rusqlite::Connection;

#[test]
fn reader_pinning_a_large_wal_does_not_cause_a_checkpoint_storm() {
    let tmp = tempdir("storm");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    let app = Connection::open(&db).unwrap();
    app.busy_timeout(Duration::from_secs(5)).unwrap();
    app.query_row("PRAGMA journal_mode=wal", [], |r| r.get::<_, String>(0))
        .unwrap();
    app.execute_batch("CREATE TABLE t(x BLOB);").unwrap();
    let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
    d.wait_caught_up(Duration::from_secs(20));

    let reader = Connection::open(&db).unwrap();
    reader
        .execute_batch("BEGIN; SELECT count(*) FROM t;")
        .unwrap();
    app.execute_batch(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1500)
         INSERT INTO t SELECT randomblob(4000) FROM c;",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let before = ltx_files(&replica, 0).len();
    std::thread::sleep(Duration::from_secs(4));
    let after = ltx_files(&replica, 0).len();
    reader.execute_batch("COMMIT;").unwrap();
    let checkpoints = d.log_text().matches("checkpoint PASSIVE done").count();
    assert!(
        after - before <= 6,
        "{} new L0 files in 4 s without application writes ({checkpoints} PASSIVE checkpoints in all)",
        after - before
    );
    assert!(d.stop(Duration::from_secs(30)).success());
}
