//! The "database restored from backup" case: the live database's replica is restored
//! into a fresh directory and the daemon is started on the restored database with the
//! SAME replica. The daemon must notice that the replica is ahead of its (empty) local
//! state and continue numbering above the replica's highest TXID: the first new file is
//! a snapshot at max + 1, no existing replica file changes, L0 stays contiguous, and a
//! final restore equals the restored-and-modified database.

use std::time::Duration;

use litestream_e2e::{
    assert_l0_contiguous, assert_restore_equals, db_state, decode_ltx, hash_tree, l0_path,
    max_l0_txid, meta_dir, restore_ok, sqlite3, tempdir, Daemon,
};

#[test]
fn restored_database_continues_above_replica() {
    let tmp = tempdir("restored");
    let live = tmp.path().join("live/app.db");
    std::fs::create_dir_all(live.parent().unwrap()).unwrap();
    let replica = tmp.path().join("replica");
    sqlite3(
        &live,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, who TEXT, v BLOB);",
    );
    let mut a = Daemon::start(&live, &replica, &tmp.path().join("live.log"));
    for i in 0..20 {
        sqlite3(
            &live,
            &format!(
                "INSERT INTO t(who, v) VALUES ('live', randomblob({}));",
                200 + i * 50
            ),
        );
    }
    a.wait_caught_up(Duration::from_secs(20));
    let st = a.stop(Duration::from_secs(30));
    assert!(st.success());
    let old_max = assert_l0_contiguous(&replica);
    let old_files = hash_tree(&replica);

    // Restore into a fresh directory and replicate the restored database.
    let restored = tmp.path().join("fresh/app.db");
    std::fs::create_dir_all(restored.parent().unwrap()).unwrap();
    restore_ok(&replica, &restored, &[]);
    assert_eq!(
        db_state(&restored),
        db_state(&live),
        "restore of the live database"
    );
    let mut b = Daemon::start(&restored, &replica, &tmp.path().join("restored.log"));
    for i in 0..10 {
        sqlite3(
            &restored,
            &format!(
                "INSERT INTO t(who, v) VALUES ('restored', randomblob({}));",
                300 + i
            ),
        );
    }
    sqlite3(&restored, "DELETE FROM t WHERE id % 4 = 0;");
    let txid = b.wait_caught_up(Duration::from_secs(30));

    assert!(
        txid > old_max,
        "no new TXID above the replica's {old_max}; log:\n{}",
        b.log_text()
    );
    assert_eq!(assert_l0_contiguous(&replica), txid);
    let local = max_l0_txid(&meta_dir(&restored));
    assert_eq!(local, txid, "local meta directory position");
    let now = hash_tree(&replica);
    for (p, h) in &old_files {
        assert!(
            now.get(p) == Some(h),
            "replica file {} was overwritten by the restored database's daemon",
            p.display()
        );
    }
    let first = decode_ltx(&l0_path(&replica, old_max + 1));
    let pgnos: Vec<u32> = first.pages.iter().map(|p| p.0).collect();
    assert_eq!(
        pgnos,
        (1..=first.header.commit).collect::<Vec<u32>>(),
        "the first file above the replica's maximum is not a full snapshot"
    );

    let want = db_state(&restored);
    assert_restore_equals(&replica, tmp.path(), "restored-and-modified", &want);
    assert_eq!(
        sqlite3(&restored, "SELECT count(*) FROM t WHERE who = 'restored';"),
        sqlite3(&restored, "SELECT count(*) FROM t WHERE who = 'restored';")
    );
    let st = b.stop(Duration::from_secs(30));
    assert!(st.success());
}
