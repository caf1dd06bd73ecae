//! One litestream process per database: a second `replicate` of a database another
//! process replicates (to any replica) would write the same meta directory and overwrite
//! LTX files, and `reset` would delete the meta directory under the running daemon. Both
//! are refused while the first daemon runs, and work once it has stopped (or was killed).

use std::time::Duration;

use litestream_e2e::{
    assert_restore_equals, db_state, file_url, litestream, one_error_line, sqlite3, tempdir, Daemon,
};

#[test]
fn second_daemon_and_reset_are_refused_while_one_runs() {
    let tmp = tempdir("one-daemon");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    let other = tmp.path().join("other-replica");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(x); INSERT INTO t VALUES (1);",
    );
    let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
    d.wait_caught_up(Duration::from_secs(20));

    let o = litestream(&[
        "replicate",
        "-once",
        db.to_str().unwrap(),
        &file_url(&other),
    ]);
    let all = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{all}");
    assert!(
        all.contains("already replicated by another litestream process"),
        "{all}"
    );
    assert!(
        !other.join("ltx").exists(),
        "the second process wrote a replica"
    );

    let o = litestream(&["reset", db.to_str().unwrap()]);
    let line = one_error_line(&o);
    assert!(line.contains("stop it before reset"), "{line}");
    assert!(litestream_e2e::meta_dir(&db).join("ltx/0").is_dir());

    // The first daemon was not disturbed.
    sqlite3(&db, "INSERT INTO t VALUES (2);");
    d.wait_caught_up(Duration::from_secs(20));
    assert_restore_equals(&replica, tmp.path(), "restored", &db_state(&db));

    // Killed, it holds nothing: the lock goes with the process.
    d.kill9();
    let o = litestream(&[
        "replicate",
        "-once",
        db.to_str().unwrap(),
        &file_url(&replica),
    ]);
    assert!(o.status.success(), "{o:?}");
    let o = litestream(&["reset", db.to_str().unwrap()]);
    assert!(o.status.success(), "{o:?}");
}
