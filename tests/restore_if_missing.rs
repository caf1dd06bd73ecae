//! `replicate -restore-if-db-not-exists` and the per-database key of that name: a
//! database that was lost is restored from its replica before the daemon opens it, and
//! replication continues above the replica's highest TXID. A replica without backups is
//! skipped, an existing database is left alone, and a replica that cannot be restored
//! stops start-up with one error naming the database.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use litestream_e2e::{
    assert_l0_contiguous, assert_restore_equals, db_state, file_url, integrity_check, litestream,
    litestream_bin, ltx_files, meta_dir, one_error_line, sqlite3, tempdir, wait_until, Daemon,
};

/// A replicated database with a few hundred rows in `dir`; the daemon is stopped.
/// Returns the database and its replica directory.
fn replicated(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let db = dir.join(format!("{name}.db"));
    let replica = dir.join(format!("{name}-replica"));
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);",
    );
    let mut d = Daemon::start(&db, &replica, &dir.join(format!("{name}-first.log")));
    for i in 0..5 {
        sqlite3(
            &db,
            &format!(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60)
                 INSERT INTO t(v) SELECT randomblob(300 + {i}) FROM c;"
            ),
        );
        d.wait_caught_up(Duration::from_secs(20));
    }
    assert!(d.stop(Duration::from_secs(30)).success());
    (db, replica)
}

/// Remove the database, its -wal/-shm and its meta directory: everything a lost disk
/// takes with it, leaving only the replica.
fn lose(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let _ = fs::remove_dir_all(meta_dir(db));
    assert!(!db.exists());
}

/// The rows of table `t`, as text.
fn rows(db: &Path) -> String {
    sqlite3(db, "SELECT id, hex(v) FROM t ORDER BY id;")
}

/// `litestream replicate FLAGS -once -config CONFIG`, which must succeed; its stderr.
fn replicate_once(config: &Path, flags: &[&str]) -> String {
    let config = config.display().to_string();
    let mut args = vec!["replicate"];
    args.extend_from_slice(flags);
    args.extend(["-once", "-config", &config]);
    let o = litestream_within(&args, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "replicate -once failed:\n{stderr}");
    stderr
}

/// Run `litestream ARGS` to completion, killing it (and failing) after `timeout`: a
/// daemon that should have refused to start would otherwise run forever.
fn litestream_within(args: &[&str], timeout: Duration) -> Output {
    let mut child = Command::new(litestream_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run litestream");
    let deadline = Instant::now() + timeout;
    while child.try_wait().expect("wait litestream").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let o = child.wait_with_output().expect("reap litestream");
            panic!(
                "litestream {args:?} still running after {timeout:?}; stderr:\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect litestream output")
}

#[test]
fn lost_database_is_restored_and_replication_continues_above_replica() {
    let tmp = tempdir("restore-missing");
    let (db, replica) = replicated(tmp.path(), "app");
    let want = rows(&db);
    let old_max = assert_l0_contiguous(&replica);
    lose(&db);

    let mut d = Daemon::start_flags(
        &db,
        &replica,
        &tmp.path().join("second.log"),
        &["-restore-if-db-not-exists"],
    );
    let restored = wait_until(Duration::from_secs(20), || {
        d.log_text().contains("database restored from replica")
    });
    assert!(restored, "no restore logged; log:\n{}", d.log_text());
    let line = d
        .log_text()
        .lines()
        .find(|l| l.contains("database restored from replica"))
        .map(str::to_string)
        .unwrap_or_default();
    assert!(line.contains("level=INFO"), "{line}");
    assert!(line.contains(&db.display().to_string()), "{line}");
    assert!(line.contains(&format!("txid={old_max:016x}")), "{line}");
    // Rows, not the whole file: the running daemon may already have bumped its own
    // `_litestream_seq` in the restored database.
    assert_eq!(
        rows(&db),
        want,
        "restored database differs from the lost one"
    );
    assert_eq!(integrity_check(&db), "ok");

    // New writes continue the replica's history: every new L0 file lies above the old
    // maximum, L0 stays contiguous, and a restore equals the database.
    for i in 0..5 {
        sqlite3(
            &db,
            &format!("INSERT INTO t(v) VALUES (randomblob(500 + {i}));"),
        );
    }
    sqlite3(&db, "DELETE FROM t WHERE id % 7 = 0;");
    let txid = d.wait_caught_up(Duration::from_secs(30));
    assert!(
        txid > old_max,
        "no TXID above the replica's {old_max}; log:\n{}",
        d.log_text()
    );
    assert_eq!(assert_l0_contiguous(&replica), txid);
    assert!(
        ltx_files(&replica, 0)
            .iter()
            .filter(|&&(min, _)| min > old_max)
            .count()
            >= 1,
        "no new replica file above {old_max}"
    );
    let st = d.stop(Duration::from_secs(30));
    assert!(
        st.success(),
        "daemon did not shut down gracefully after a restore ({st}); log:\n{}",
        d.log_text()
    );
    assert_restore_equals(&replica, tmp.path(), "after-restore", &db_state(&db));
}

#[test]
fn config_key_restores_with_once() {
    let tmp = tempdir("restore-missing-once");
    let (db, replica) = replicated(tmp.path(), "app");
    let want = rows(&db);
    lose(&db);
    let config = tmp.path().join("litestream.yml");
    fs::write(
        &config,
        format!(
            "dbs:\n  - path: {}\n    restore-if-db-not-exists: true\n    replica:\n      url: {}\n",
            db.display(),
            file_url(&replica)
        ),
    )
    .unwrap();
    let stderr = replicate_once(&config, &[]);
    assert!(
        stderr.contains("database restored from replica"),
        "{stderr}"
    );
    assert!(stderr.contains("one-shot replication complete"), "{stderr}");
    assert_eq!(rows(&db), want, "restored rows differ from the lost ones");
    assert_eq!(integrity_check(&db), "ok");
    assert_restore_equals(&replica, tmp.path(), "after-once", &db_state(&db));
}

#[test]
fn replica_without_backups_is_skipped() {
    let tmp = tempdir("restore-missing-empty");
    for (name, make_dir) in [("absent", false), ("empty", true)] {
        let db = tmp.path().join(format!("{name}.db"));
        let replica = tmp.path().join(format!("{name}-replica"));
        if make_dir {
            fs::create_dir_all(&replica).unwrap();
        }
        let mut d = Daemon::start_flags(
            &db,
            &replica,
            &tmp.path().join(format!("{name}.log")),
            &["-restore-if-db-not-exists"],
        );
        let skipped = wait_until(Duration::from_secs(20), || {
            d.log_text().lines().any(|l| {
                l.contains("level=INFO")
                    && l.contains("no backups found, skipping restore")
                    && l.contains(&db.display().to_string())
            })
        });
        assert!(skipped, "{name}: no skip logged; log:\n{}", d.log_text());
        assert!(!db.exists(), "{name}: a database appeared from nowhere");

        // The daemon runs on: the application creates the database and it is replicated.
        sqlite3(
            &db,
            "PRAGMA journal_mode=wal; CREATE TABLE t(v); INSERT INTO t VALUES ('new');",
        );
        d.wait_caught_up(Duration::from_secs(30));
        assert!(d.stop(Duration::from_secs(30)).success(), "{name}");
        assert_restore_equals(
            &replica,
            tmp.path(),
            &format!("{name}-check"),
            &db_state(&db),
        );
    }
}

#[test]
fn existing_database_is_left_alone() {
    let tmp = tempdir("restore-missing-exists");
    let (kept, kept_replica) = replicated(tmp.path(), "kept");
    let (lost, lost_replica) = replicated(tmp.path(), "lost");
    // Changes the replica has never seen: a restore would throw them away.
    sqlite3(
        &kept,
        "INSERT INTO t(v) VALUES ('local only'); DELETE FROM t WHERE id < 10;",
    );
    let kept_rows = rows(&kept);
    let lost_rows = rows(&lost);
    lose(&lost);
    let config = tmp.path().join("litestream.yml");
    let entry = |db: &Path, replica: &Path| {
        format!(
            "  - path: {}\n    replica:\n      url: {}\n",
            db.display(),
            file_url(replica)
        )
    };
    fs::write(
        &config,
        format!(
            "dbs:\n{}{}",
            entry(&kept, &kept_replica),
            entry(&lost, &lost_replica)
        ),
    )
    .unwrap();
    // The flag covers every `path:` entry in config mode.
    let stderr = replicate_once(&config, &["-restore-if-db-not-exists"]);
    assert_eq!(
        rows(&lost),
        lost_rows,
        "the missing database was not restored"
    );
    assert_eq!(rows(&kept), kept_rows, "the existing database was changed");
    let restores: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("database restored from replica"))
        .collect();
    assert_eq!(restores.len(), 1, "{stderr}");
    assert!(
        restores[0].contains(&lost.display().to_string()),
        "{stderr}"
    );
    // And the replica caught up with the local-only changes.
    assert_restore_equals(&kept_replica, tmp.path(), "kept-check", &db_state(&kept));
}

#[test]
fn corrupt_replica_stops_start_up() {
    let tmp = tempdir("restore-missing-corrupt");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    let l0 = replica.join("ltx/0");
    fs::create_dir_all(&l0).unwrap();
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 13) as u8).collect();
    fs::write(l0.join("0000000000000001-0000000000000001.ltx"), garbage).unwrap();

    let o = litestream_within(
        &[
            "replicate",
            "-restore-if-db-not-exists",
            &db.display().to_string(),
            &file_url(&replica),
        ],
        Duration::from_secs(30),
    );
    let line = one_error_line(&o);
    assert!(line.contains(&db.display().to_string()), "{line}");
    assert!(line.contains(&file_url(&replica)), "{line}");
    assert!(line.contains("corrupt"), "{line}");
    for suffix in ["", ".tmp", "-wal", "-shm"] {
        let p = format!("{}{suffix}", db.display());
        assert!(!Path::new(&p).exists(), "{p} left behind");
    }
    assert!(
        !meta_dir(&db).exists(),
        "the daemon opened the database anyway"
    );
}

#[test]
fn without_the_flag_nothing_is_restored() {
    // The default stays as before: a missing database is waited for, not restored.
    let tmp = tempdir("restore-missing-off");
    let (db, replica) = replicated(tmp.path(), "app");
    lose(&db);
    let o = litestream(&[
        "replicate",
        "-once",
        &db.display().to_string(),
        &file_url(&replica),
    ]);
    assert!(!o.status.success());
    assert!(!db.exists(), "restored without being asked to");
}
