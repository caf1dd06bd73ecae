//! Command-line details of `replicate` and `restore` end to end: relative database and
//! replica paths (a plain directory instead of a `file://` URL), `replicate -once`
//! (sync, upload, exit 0), output into a closed pipe (no panic), a replica lost while the daemon was stopped (re-uploaded from
//! the local L0 files on restart), and a backlog bigger than one 64 MiB sync pass (the
//! daemon frozen with SIGSTOP while the application commits ~150 MB in 1 MB
//! transactions: the passes are cut at commit boundaries and the restore matches).

use std::process::Command;
use std::time::Duration;

use litestream_e2e::{
    assert_l0_contiguous, assert_restore_equals, db_state, hash_tree, l0_path, litestream_bin,
    ltx_files, ltx_header, max_l0_txid, meta_dir, sqlite3, tempdir, Daemon,
};

#[test]
fn relative_paths_and_once() {
    let tmp = tempdir("cli");
    let cwd = tmp.path();
    sqlite3(
        &cwd.join("app.db"),
        "PRAGMA journal_mode=wal; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);",
    );
    let run = |args: &[&str]| {
        Command::new(litestream_bin())
            .args(args)
            .current_dir(cwd)
            .output()
            .expect("run litestream")
    };
    let o = run(&["replicate", "-once", "app.db", "backup"]);
    assert!(o.status.success(), "replicate -once: {o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("one-shot replication complete")
            || String::from_utf8_lossy(&o.stdout).contains("one-shot replication complete"),
        "no completion line: {o:?}"
    );
    let replica = cwd.join("backup");
    assert_eq!(
        assert_l0_contiguous(&replica),
        max_l0_txid(&meta_dir(&cwd.join("app.db")))
    );
    assert!(max_l0_txid(&replica) >= 1);

    let o = run(&[
        "restore",
        "-o",
        "out.db",
        &format!("file://{}", replica.display()),
    ]);
    assert!(o.status.success(), "restore: {o:?}");
    assert_eq!(db_state(&cwd.join("out.db")), db_state(&cwd.join("app.db")));

    // A second -once after more writes continues the numbering.
    let before = max_l0_txid(&replica);
    sqlite3(&cwd.join("app.db"), "INSERT INTO t VALUES (4);");
    let o = run(&["replicate", "-once", "./app.db", "./backup"]);
    assert!(o.status.success(), "second replicate -once: {o:?}");
    assert!(
        max_l0_txid(&replica) > before,
        "second -once uploaded nothing new"
    );
    assert_eq!(assert_l0_contiguous(&replica), max_l0_txid(&replica));
    let want = db_state(&cwd.join("app.db"));
    assert_restore_equals(&replica, cwd, "after second -once", &want);

    // Output piped into a reader that has already gone: a quiet end (SIGPIPE), no panic.
    let o = Command::new("bash")
        .arg("-c")
        .arg(r#""$0" ltx -level all "file://$1" | true; echo "status ${PIPESTATUS[0]}""#)
        .arg(litestream_bin())
        .arg(&replica)
        .output()
        .expect("run bash");
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(!err.contains("panicked"), "ltx into a closed pipe: {err}");
    assert!(
        out.contains("status 0") || out.contains("status 141"),
        "ltx into a closed pipe: {out} {err}"
    );
}

#[test]
fn replica_lost_while_stopped_is_reuploaded() {
    let tmp = tempdir("lost");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(x); INSERT INTO t VALUES (1);",
    );
    let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
    for i in 0..5 {
        sqlite3(&db, &format!("INSERT INTO t VALUES ({i});"));
    }
    let txid = d.wait_caught_up(Duration::from_secs(20));
    d.stop(Duration::from_secs(30));
    let old = hash_tree(&replica);
    std::fs::remove_dir_all(&replica).unwrap();

    d.restart();
    let now = d.wait_caught_up(Duration::from_secs(30));
    assert!(now >= txid);
    assert_eq!(assert_l0_contiguous(&replica), now);
    let new = hash_tree(&replica);
    // Level 0 files are the replication stream: each must come back byte for byte.
    // (Compacted and snapshot files are rebuilt from it on their own schedule.)
    for (p, h) in old.iter().filter(|(p, _)| p.starts_with("ltx/0")) {
        assert!(
            new.get(p) == Some(h),
            "{} re-uploaded with other content",
            p.display()
        );
    }
    let want = db_state(&db);
    assert_restore_equals(&replica, tmp.path(), "re-uploaded", &want);
    d.stop(Duration::from_secs(30));
}

#[test]
fn backlog_larger_than_one_pass_is_split_at_commits() {
    let tmp = tempdir("backlog");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);",
    );
    let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
    let before = d.wait_caught_up(Duration::from_secs(20));
    d.pause();
    // 150 transactions of ~1 MB: ~150 MB of WAL while the daemon is frozen. The
    // application's own autocheckpoint cannot pass the daemon's read transaction.
    let script: String = (0..150)
        .map(|_| "INSERT INTO t(v) VALUES (randomblob(1000000));\n")
        .collect();
    sqlite3(&db, &script);
    d.resume();
    let txid = d.wait_caught_up(Duration::from_secs(120));
    let new: Vec<u64> = ltx_files(&replica, 0)
        .into_iter()
        .map(|f| f.0)
        .filter(|t| *t > before)
        .collect();
    let meta = meta_dir(&db);
    let sizes: Vec<i64> = new
        .iter()
        .filter_map(|t| ltx_header(&l0_path(&meta, *t)).map(|h| h.wal_size))
        .collect();
    eprintln!(
        "backlog: {} new L0 files, WAL bytes per file {sizes:?}",
        new.len()
    );
    let limit = 64 * 1024 * 1024 + 2 * 1024 * 1024;
    assert!(
        sizes.iter().all(|s| *s <= limit),
        "a pass covered more than 64 MiB + one transaction: {sizes:?}"
    );
    assert!(
        sizes.iter().filter(|s| **s > 0).count() >= 3,
        "150 MB of WAL in fewer than 3 passes: {sizes:?}"
    );
    assert_eq!(assert_l0_contiguous(&replica), txid);
    let want = db_state(&db);
    assert_restore_equals(&replica, tmp.path(), "backlog", &want);
    d.stop(Duration::from_secs(30));
}

#[test]
fn restore_dry_run_text_and_json() {
    let tmp = tempdir("dryrun");
    let golden = litestream_e2e::testdata_dir().join("ltx-golden/c-rows-1024");
    let replica = tmp.path().join("replica");
    std::fs::create_dir_all(replica.join("ltx/0")).unwrap();
    for t in 1..=3u64 {
        let name = litestream_core::ltx::format_filename(t, t);
        std::fs::copy(golden.join(&name), replica.join("ltx/0").join(&name)).unwrap();
    }
    let out = tmp.path().join("out.db");
    let o = litestream_e2e::restore(&replica, &out, &["-dry-run"]);
    assert!(o.status.success(), "{o:?}");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("txid range: 0000000000000001 - 0000000000000003"),
        "{text}"
    );
    assert!(
        text.contains("level\tfile\tmin_txid\tmax_txid\tsize\ttimestamp"),
        "{text}"
    );
    assert!(
        text.contains(
            "0\t0000000000000002-0000000000000002.ltx\t0000000000000002\t0000000000000002\t"
        ),
        "{text}"
    );
    assert!(!out.exists(), "dry run wrote the output");

    let o = litestream_e2e::restore(
        &replica,
        &out,
        &["-dry-run", "-json", "-txid", "0000000000000002"],
    );
    assert!(o.status.success(), "{o:?}");
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    let v: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("-dry-run -json is not JSON ({e}): {stdout}"));
    assert_eq!(v["target_path"], out.display().to_string());
    assert_eq!(v["replica"], "file");
    assert_eq!(v["min_txid"], "0000000000000001");
    assert_eq!(v["max_txid"], "0000000000000002");
    let files = v["files"].as_array().expect("files array");
    assert_eq!(files.len(), 2);
    assert_eq!(files[1]["name"], "0000000000000002-0000000000000002.ltx");
    assert_eq!(files[1]["level"], 0);
    assert!(!out.exists(), "dry run wrote the output");
}
