//! A busy application crossing the 1000-page checkpoint threshold again and again. The
//! daemon's own checkpoints must keep restarting the WAL, every restart must be followed
//! incrementally (the only snapshot is the first sync: a snapshot per checkpoint would
//! rewrite the whole database every few seconds), and the restore must equal the source.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use litestream_e2e::{
    assert_restore_equals, db_state, l0_path, ltx_files, ltx_header, tempdir, Daemon,
};
use rusqlite::Connection;

#[test]
fn busy_writer_gets_wal_restarts_without_snapshots() {
    let tmp = tempdir("cycles");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    let app = Connection::open(&db).unwrap();
    app.busy_timeout(Duration::from_secs(5)).unwrap();
    app.query_row("PRAGMA journal_mode=wal", [], |r| r.get::<_, String>(0))
        .unwrap();
    app.execute_batch(
        "PRAGMA synchronous=NORMAL;
         CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB);",
    )
    .unwrap();
    let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
    d.wait_caught_up(Duration::from_secs(20));

    // One small transaction after another for 3 s: several thousand pages of WAL.
    let start = Instant::now();
    let mut k = 0i64;
    while start.elapsed() < Duration::from_secs(3) {
        app.prepare_cached("INSERT INTO t(k, v) VALUES (?1, randomblob(300))")
            .unwrap()
            .execute([k])
            .unwrap();
        k += 1;
    }
    // The daemon's last checkpoint cycle may still bump `_litestream_seq`: compare with
    // the source once the replica has caught up with that too.
    d.wait_caught_up(Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(1500));
    d.wait_caught_up(Duration::from_secs(30));
    let want = db_state(&db);

    let log = d.log_text();
    let snapshots: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("wrote ltx") && l.contains("(snapshot"))
        .collect();
    let generations: BTreeSet<(u32, u32)> = ltx_files(&replica, 0)
        .into_iter()
        .filter_map(|(_, max)| ltx_header(&l0_path(&replica, max)))
        .map(|h| (h.wal_salt1, h.wal_salt2))
        .collect();
    assert!(
        generations.len() >= 3,
        "{k} transactions gave only {} WAL generations in the L0 files ({} checkpoints)",
        generations.len(),
        log.matches("checkpoint PASSIVE done").count()
    );
    assert_eq!(
        snapshots.len(),
        1,
        "only the first sync may be a snapshot:\n{}",
        snapshots.join("\n")
    );
    assert_restore_equals(&replica, tmp.path(), "restored", &want);
    assert!(d.stop(Duration::from_secs(30)).success());
}
