//! Restarting the daemon after the application touched the WAL while it was down.
//!
//! * `PRAGMA wal_checkpoint(TRUNCATE)` plus writes while the daemon is stopped (the
//!   application's last connection then also checkpoints and deletes the WAL on close);
//! * after `kill -9`: writes the daemon never saw, `PRAGMA wal_checkpoint(RESTART)` and
//!   one small write, with the WAL kept on disk (`.filectrl persist_wal 1`), so the WAL
//!   restarts under new salts but still holds frames of the old generation after the
//!   first one (a "restart only if another salt pair is seen" rule would wrongly continue
//!   incrementally and lose the missed writes);
//! * a switch to `journal_mode=delete` and writes in rollback mode while stopped;
//! * the local meta directory deleted while stopped (like `litestream reset`): the
//!   daemon continues above the replica's highest TXID without overwriting anything.
//!
//! Each is detected on restart: the first L0 file written afterwards is a snapshot (its
//! pages are exactly `1..=commit`, `commit` = the database's page count), and a restore
//! equals the source. A control restart with an untouched WAL continues incrementally.

use std::path::Path;
use std::time::Duration;

use litestream_e2e::{
    assert_l0_contiguous, assert_restore_equals, db_state, decode_ltx, l0_path, max_l0_txid,
    sqlite3, tempdir, Daemon,
};

/// Whether replica file `txid` is a full snapshot of a `commit`-page database.
fn is_snapshot(replica: &Path, txid: u64) -> (bool, u32, usize) {
    let f = decode_ltx(&l0_path(replica, txid));
    let pgnos: Vec<u32> = f.pages.iter().map(|p| p.0).collect();
    let full = pgnos == (1..=f.header.commit).collect::<Vec<u32>>();
    (full, f.header.commit, pgnos.len())
}

fn setup(name: &str) -> (litestream_e2e::TempDir, std::path::PathBuf, Daemon) {
    let tmp = tempdir(name);
    let db = tmp.path().join("app.db");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 200)
         INSERT INTO t(v) SELECT randomblob(500) FROM c;",
    );
    let replica = tmp.path().join("replica");
    let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
    d.wait_caught_up(Duration::from_secs(20));
    for i in 0..5 {
        sqlite3(
            &db,
            &format!("INSERT INTO t(v) VALUES (randomblob({}));", 100 + i),
        );
    }
    d.wait_caught_up(Duration::from_secs(20));
    (tmp, db, d)
}

/// Restart, wait, and check that the first new file is a snapshot of the whole database
/// (when `want_snapshot`) or an incremental file (otherwise), and that a restore equals
/// the source.
fn restart_and_check(d: &mut Daemon, before: u64, want_snapshot: bool, what: &str) {
    d.restart();
    let txid = d.wait_caught_up(Duration::from_secs(30));
    let want = db_state(&d.db);
    assert_eq!(assert_l0_contiguous(&d.replica), txid);
    let scratch = d.replica.parent().unwrap().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    assert_restore_equals(&d.replica, &scratch, what, &want);
    if want_snapshot {
        assert!(txid > before, "{what}: nothing written after the restart");
        let (full, commit, n) = is_snapshot(&d.replica, before + 1);
        assert!(
            full,
            "{what}: L0 {} after the restart is not a snapshot: {n} pages, commit {commit}; log:\n{}",
            before + 1,
            litestream_e2e::tail(&d.log_text(), 30)
        );
        if txid == before + 1 {
            assert_eq!(u64::from(commit), want.pages, "{what}: snapshot page count");
        }
    } else {
        for t in before + 1..=txid {
            let (full, commit, n) = is_snapshot(&d.replica, t);
            assert!(
                !full || n < 3,
                "{what}: L0 {t} is a full snapshot ({n} pages, commit {commit}) after a restart with an untouched WAL"
            );
        }
    }
    let st = d.stop(Duration::from_secs(30));
    assert!(st.success(), "{what}: graceful stop: {st}");
}

#[test]
fn truncate_checkpoint_while_down_forces_snapshot() {
    let (_tmp, db, mut d) = setup("truncate-down");
    d.stop(Duration::from_secs(30));
    let before = max_l0_txid(&d.replica);
    sqlite3(
        &db,
        "INSERT INTO t(v) VALUES (randomblob(700));
         PRAGMA wal_checkpoint(TRUNCATE);
         INSERT INTO t(v) VALUES (randomblob(800));
         UPDATE t SET v = randomblob(50) WHERE id % 10 = 0;",
    );
    restart_and_check(&mut d, before, true, "TRUNCATE while down");
}

#[test]
fn restart_checkpoint_with_persisted_wal_forces_snapshot() {
    let (_tmp, db, mut d) = setup("restart-down");
    d.kill9();
    let before = max_l0_txid(&d.replica);
    // Frames the daemon never saw (old WAL generation), then a RESTART checkpoint and one
    // small write: the new generation overwrites only the first frame, so frames with
    // the last L0 file's salts still follow it in the WAL file.
    let missed: String = (0..30)
        .map(|i| format!("INSERT INTO t(v) VALUES (randomblob({}));\n", 600 + i))
        .collect();
    let out = sqlite3(
        &db,
        &format!(
            ".filectrl persist_wal 1\n{missed}PRAGMA wal_checkpoint(RESTART);\nINSERT INTO t(v) VALUES (randomblob(10));"
        ),
    );
    // busy|log|checkpointed: the daemon is down, so nothing blocks the restart.
    let result = out.lines().last().unwrap_or_default();
    assert!(result.starts_with("0|"), "RESTART checkpoint result {out}");
    let wal = db.with_file_name("app.db-wal");
    assert!(
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 32,
        "the WAL was not kept"
    );
    restart_and_check(&mut d, before, true, "RESTART while down");
}

#[test]
fn rollback_journal_while_down_forces_snapshot() {
    let (_tmp, db, mut d) = setup("journal-down");
    d.stop(Duration::from_secs(30));
    let before = max_l0_txid(&d.replica);
    assert_eq!(
        sqlite3(
            &db,
            "PRAGMA journal_mode=delete;
             INSERT INTO t(v) VALUES (randomblob(700));
             DELETE FROM t WHERE id % 5 = 0;"
        ),
        "delete"
    );
    restart_and_check(&mut d, before, true, "journal_mode=delete while down");
    // The daemon put the database back into WAL mode.
    assert_eq!(sqlite3(&db, "PRAGMA journal_mode;"), "wal");
}

#[test]
fn untouched_wal_continues_incrementally() {
    let (_tmp, db, mut d) = setup("untouched");
    d.kill9();
    let before = max_l0_txid(&d.replica);
    d.restart();
    d.wait_caught_up(Duration::from_secs(20));
    sqlite3(&db, "INSERT INTO t(v) VALUES (randomblob(321));");
    d.kill9();
    restart_and_check(&mut d, before, false, "untouched WAL");
}

#[test]
fn meta_dir_lost_while_stopped_continues_above_replica() {
    let (tmp, db, mut d) = setup("meta-lost");
    d.stop(Duration::from_secs(30));
    let before = max_l0_txid(&d.replica);
    let old = litestream_e2e::hash_tree(&d.replica);
    std::fs::remove_dir_all(litestream_e2e::meta_dir(&db)).unwrap();
    d.restart();
    d.wait_caught_up(Duration::from_secs(30));
    sqlite3(&db, "INSERT INTO t(v) VALUES (randomblob(77));");
    let txid = d.wait_caught_up(Duration::from_secs(30));
    assert!(txid > before, "nothing new above {before}");
    assert_eq!(assert_l0_contiguous(&d.replica), txid);
    let want = db_state(&db);
    assert_restore_equals(&d.replica, tmp.path(), "meta directory lost", &want);
    assert!(d.stop(Duration::from_secs(30)).success());
    let now = litestream_e2e::hash_tree(&d.replica);
    for (p, h) in &old {
        assert!(now.get(p) == Some(h), "{} overwritten", p.display());
    }
}
