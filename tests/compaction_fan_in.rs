//! A level 1 compaction of hundreds of L0 files under a low open-file limit. A database
//! with a steady writer collects an L0 file per commit, so one 30 s interval easily holds
//! more files than a service's default `ulimit -n` of 1024 allows open at once, and a
//! merge that opened every input at once failed with "too many open files" on every tick
//! (and held a read buffer per input: 280 MB of RSS at 250 files a second).

use std::path::Path;
use std::time::Duration;

use litestream_core::ltx::format_filename;
use litestream_e2e::{
    assert_restore_equals, db_state, file_url, ltx_files, max_l0_txid, meta_dir, sqlite3, tail,
    tempdir, wait_until, Daemon,
};

const COMMITS: usize = 300;

fn write_config(path: &Path, levels: &str, db: &Path, replica: &Path) {
    std::fs::write(
        path,
        format!(
            "logging:\n  level: debug\nlevels: {levels}\ndbs:\n  - path: {}\n    replica:\n      url: {}\n",
            db.display(),
            file_url(replica)
        ),
    )
    .unwrap();
}

#[test]
fn hundreds_of_l0_files_compact_under_a_low_open_file_limit() {
    let tmp = tempdir("fan-in");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    let config = tmp.path().join("litestream.yml");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB);",
    );

    // No compaction levels: every commit stays an L0 file.
    write_config(&config, "[]", &db, &replica);
    let mut d = Daemon::start_config(&config, &db, &replica, &tmp.path().join("daemon.log"));
    d.wait_caught_up(Duration::from_secs(20));
    for i in 0..COMMITS {
        let before = max_l0_txid(&replica);
        sqlite3(
            &db,
            &format!("INSERT INTO t(v) VALUES (randomblob({}));", 100 + i),
        );
        assert!(
            wait_until(Duration::from_secs(10), || max_l0_txid(&replica) > before),
            "commit {i} did not reach the replica"
        );
    }
    let last = d.wait_caught_up(Duration::from_secs(20));
    assert!(ltx_files(&replica, 0).len() > COMMITS);
    assert!(d.stop(Duration::from_secs(30)).success());

    // Level 1 again, and at most 64 open files: the first tick merges every L0 file.
    write_config(&config, "\n  - interval: 30s", &db, &replica);
    d.max_open_files = Some(64);
    d.restart();
    let compacted = wait_until(Duration::from_secs(25), || {
        ltx_files(&replica, 1).iter().any(|&(_, max)| max >= last)
    });
    let log = d.log_text();
    assert!(
        compacted,
        "no level 1 file reaches TXID {last}; level 1: {:?}; log tail:\n{}",
        ltx_files(&replica, 1),
        tail(&log, 30)
    );
    assert!(
        !log.contains("level=ERROR"),
        "errors logged:\n{}",
        tail(&log, 30)
    );
    assert!(d.stop(Duration::from_secs(30)).success());

    // Without the L0 files it merged, the restore must go through the compacted file.
    let want = db_state(&db);
    let merged_up_to = ltx_files(&replica, 1).iter().map(|r| r.1).max().unwrap();
    for (min, max) in ltx_files(&replica, 0) {
        if max <= merged_up_to {
            std::fs::remove_file(replica.join("ltx/0").join(format_filename(min, max))).unwrap();
        }
    }
    assert_restore_equals(&replica, tmp.path(), "restored", &want);
    let leftovers: Vec<String> = std::fs::read_dir(meta_dir(&db).join("ltx/0"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}
