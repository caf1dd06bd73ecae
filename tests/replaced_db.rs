//! The application deletes the database (and its `-wal`/`-shm`) and creates a new one at
//! the same path while the daemon runs, or renames a new file over it. The daemon's
//! connections still point at the old file, so it must notice, reopen the path, and
//! continue the TXID sequence with a snapshot of the new database: a restore then equals
//! the new database, and the replica's L0 stays contiguous.

use std::path::Path;
use std::time::Duration;

use litestream_e2e::{
    assert_l0_contiguous, assert_restore_equals, db_state, sqlite3, tempdir, wait_until, Daemon,
};

fn new_db(db: &Path, rows: u32, blob: u32) {
    sqlite3(
        db,
        &format!(
            "PRAGMA journal_mode=wal; CREATE TABLE other(id INTEGER PRIMARY KEY, v BLOB);
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < {rows})
             INSERT INTO other(v) SELECT randomblob({blob}) FROM c;"
        ),
    );
}

fn remove_with_sidecars(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(&p);
    }
}

fn reopen_reports(d: &Daemon) -> usize {
    d.log_text().matches("reopening it").count()
}

/// Wait until the daemon has reported replacement number `nth`, then until it has caught
/// up; check the replica against the new database.
fn check(d: &mut Daemon, before: u64, nth: usize, what: &str) {
    let reported = wait_until(Duration::from_secs(10), || reopen_reports(d) >= nth);
    assert!(
        reported,
        "{what}: the replacement was not reported; log:\n{}",
        litestream_e2e::tail(&d.log_text(), 30)
    );
    let txid = d.wait_caught_up(Duration::from_secs(30));
    assert!(
        txid > before,
        "{what}: nothing replicated after the replacement; log:\n{}",
        litestream_e2e::tail(&d.log_text(), 30)
    );
    assert_eq!(assert_l0_contiguous(&d.replica), txid, "{what}");
    let want = db_state(&d.db);
    assert!(want.pages > 0);
    let scratch = d
        .replica
        .parent()
        .unwrap()
        .join(format!("scratch-{before}"));
    std::fs::create_dir_all(&scratch).unwrap();
    assert_restore_equals(&d.replica, &scratch, what, &want);
}

#[test]
fn database_deleted_and_recreated_while_replicating() {
    let tmp = tempdir("replaced");
    let db = tmp.path().join("app.db");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
         INSERT INTO t(v) VALUES (randomblob(3000));",
    );
    let replica = tmp.path().join("replica");
    let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
    let before = d.wait_caught_up(Duration::from_secs(20));

    // rm + create: a different schema and size, then a later write to the new file.
    remove_with_sidecars(&db);
    std::thread::sleep(Duration::from_millis(300));
    new_db(&db, 50, 700);
    sqlite3(&db, "INSERT INTO other(v) VALUES (randomblob(10));");
    check(&mut d, before, 1, "deleted and created again");

    // A new file renamed over the database (the old one's sidecars removed first).
    let before = d.wait_caught_up(Duration::from_secs(20));
    let staged = tmp.path().join("staged.db");
    new_db(&staged, 5, 100);
    remove_with_sidecars(&db);
    std::fs::rename(&staged, &db).unwrap();
    check(&mut d, before, 2, "renamed over");

    let st = d.stop(Duration::from_secs(30));
    assert!(st.success(), "graceful stop: {st}");
}
