//! Point-in-time restore: after each of 10 write batches (inserts, updates, deletes),
//! record the replica's TXID, the wall-clock time just after it, and the database state
//! (`.sha3sum`, page count). Batches are ~1.1 s apart so the files' timestamps (the
//! replica files' mtimes) clearly differ. Then `restore -txid` at each recorded TXID and
//! `restore -timestamp` at each recorded time must give exactly the recorded state, and
//! a TXID beyond the replica fails cleanly.

use std::thread;
use std::time::Duration;

use litestream_core::ltx::format_txid;
use litestream_e2e::{
    db_state, integrity_check, max_l0_txid, restore, restore_ok, rfc3339_now, sqlite3, tempdir,
    Daemon, DbState,
};

struct Point {
    txid: u64,
    time: String,
    state: DbState,
}

#[test]
fn restore_each_recorded_txid_and_timestamp() {
    let tmp = tempdir("pitr");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, batch INT, v BLOB);",
    );
    let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
    let mut points: Vec<Point> = Vec::new();
    for b in 1..=10u32 {
        sqlite3(
            &db,
            &format!(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < {n})
                 INSERT INTO t(batch, v) SELECT {b}, randomblob(200 + x) FROM c;
                 UPDATE t SET v = randomblob(50) WHERE id % 11 = {b};
                 DELETE FROM t WHERE id % 13 = {b};",
                n = 20 * b
            ),
        );
        // Record (TXID, time, state) once the replica is quiet and stays so across the
        // recorded time.
        let point = loop {
            let txid = d.wait_caught_up(Duration::from_secs(30));
            let state = db_state(&db);
            let time = rfc3339_now();
            thread::sleep(Duration::from_millis(100));
            if max_l0_txid(&replica) == txid {
                break Point { txid, time, state };
            }
        };
        eprintln!("batch {b}: txid {}, time {}", point.txid, point.time);
        if let Some(prev) = points.last() {
            assert!(point.txid > prev.txid, "batch {b} produced no new TXID");
        }
        points.push(point);
        thread::sleep(Duration::from_millis(1100));
    }

    for (i, p) in points.iter().enumerate() {
        let out = tmp.path().join(format!("txid-{i}.db"));
        restore_ok(&replica, &out, &["-txid", &format_txid(p.txid)]);
        assert_eq!(integrity_check(&out), "ok");
        assert_eq!(
            db_state(&out),
            p.state,
            "restore -txid {}",
            format_txid(p.txid)
        );

        let out = tmp.path().join(format!("time-{i}.db"));
        restore_ok(&replica, &out, &["-timestamp", &p.time]);
        assert_eq!(integrity_check(&out), "ok");
        assert_eq!(db_state(&out), p.state, "restore -timestamp {}", p.time);
    }

    let last = points.last().unwrap().txid;
    let beyond = format_txid(max_l0_txid(&replica).max(last) + 1);
    let out = tmp.path().join("beyond.db");
    let o = restore(&replica, &out, &["-txid", &beyond]);
    assert_eq!(o.status.code(), Some(1), "restore -txid {beyond}: {o:?}");
    assert!(!out.exists(), "restore of a missing TXID wrote output");
    let st = d.stop(Duration::from_secs(30));
    assert!(st.success());
}
