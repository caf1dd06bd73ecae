//! Graceful shutdown (SIGTERM) right after a burst of writes: the daemon's final sync
//! must write and upload every committed transaction, then exit 0 within seconds; a
//! restore then equals the source. The signal lands while the last L0 file is still
//! being written or uploaded, which is the case the final sync exists for.

use std::time::{Duration, Instant};

use litestream_e2e::{assert_restore_equals, db_state, tail, tempdir, Daemon};
use rusqlite::Connection;

#[test]
fn sigterm_right_after_writes_syncs_everything_and_exits() {
    for round in 0..5 {
        let tmp = tempdir("shutdown");
        let db = tmp.path().join("app.db");
        let replica = tmp.path().join("replica");
        let conn = Connection::open(&db).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn.query_row("PRAGMA journal_mode=wal", [], |r| r.get::<_, String>(0))
            .unwrap();
        conn.execute_batch(
            "PRAGMA synchronous=NORMAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);",
        )
        .unwrap();
        let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
        d.wait_caught_up(Duration::from_secs(20));
        let start = Instant::now();
        let mut n = 0;
        while start.elapsed() < Duration::from_millis(1500) {
            conn.execute("INSERT INTO t(v) VALUES (randomblob(100))", [])
                .unwrap();
            n += 1;
        }
        drop(conn);
        let t0 = Instant::now();
        let st = d.stop_within(Duration::from_secs(15)).unwrap_or_else(|| {
            panic!(
                "round {round}: daemon still running 15 s after SIGTERM ({n} transactions written); log:\n{}",
                tail(&d.log_text(), 15)
            )
        });
        assert!(st.success(), "round {round}: exit status {st}");
        let want = db_state(&db);
        assert_restore_equals(&replica, tmp.path(), &format!("round {round}"), &want);
        eprintln!(
            "round {round}: {n} transactions, stopped in {:.2}s",
            t0.elapsed().as_secs_f64()
        );
    }
}

/// SIGTERM before the daemon has even opened the database: it was started before the
/// application created the file and polls for it once a second. The final sync must
/// still find it and replicate what was committed.
#[test]
fn sigterm_before_the_database_was_opened_still_syncs_it() {
    for round in 0..3 {
        let tmp = tempdir("shutdown-early");
        let db = tmp.path().join("app.db");
        let replica = tmp.path().join("replica");
        let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
        std::thread::sleep(Duration::from_millis(300));
        litestream_e2e::sqlite3(
            &db,
            "PRAGMA journal_mode=wal; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);",
        );
        assert!(
            d.stop(Duration::from_secs(30)).success(),
            "round {round}: daemon failed; log:\n{}",
            tail(&d.log_text(), 20)
        );
        assert_restore_equals(&replica, tmp.path(), "restored", &db_state(&db));
    }
}
