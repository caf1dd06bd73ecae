//! Bad input to `replicate` and `restore`: a missing database (the daemon waits for it),
//! a file that is not a SQLite database, a database path that is a symbolic link, a meta
//! directory that cannot be created, a replica URL with an unknown scheme, a corrupt LTX
//! file in the replica, and a restore target that already exists. Each failure must be
//! one clear `Error:` line naming the thing, exit code 1, and leave nothing half-written
//! behind (no `.tmp`, no partial output, no meta or replica directory created for
//! nothing).

use std::fs;
use std::path::Path;
use std::time::Duration;

use litestream_e2e::{
    assert_restore_equals, db_state, file_url, hash_tree, litestream, meta_dir, one_error_line,
    restore, small_db, small_replica, sqlite3, tempdir, tmp_files, wait_until, Daemon,
};

#[test]
fn missing_database_is_waited_for() {
    let tmp = tempdir("missing");
    let db = tmp.path().join("later.db");
    let replica = tmp.path().join("replica");
    let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        d.running(),
        "daemon exited on a missing database:\n{}",
        d.log_text()
    );
    assert!(
        d.log_text().contains(&db.display().to_string()),
        "the log does not name the database it waits for:\n{}",
        d.log_text()
    );
    assert!(!db.exists(), "the daemon created the database file itself");
    assert!(
        !meta_dir(&db).exists(),
        "meta directory created before the database exists"
    );

    small_db(&db);
    d.wait_caught_up(Duration::from_secs(20));
    assert!(
        d.log_text().contains("initialized database"),
        "no `initialized database` log line once the file appeared:\n{}",
        d.log_text()
    );
    let want = db_state(&db);
    assert_restore_equals(&replica, tmp.path(), "restored", &want);
    assert_eq!(
        sqlite3(&db, "SELECT group_concat(v) FROM t;"),
        "a,b,c",
        "application data unchanged"
    );
    let st = d.stop(Duration::from_secs(30));
    assert!(st.success(), "graceful stop exit status {st}");
}

#[test]
fn non_sqlite_file_is_refused() {
    let tmp = tempdir("notsqlite");
    let db = tmp.path().join("notes.db");
    let junk: Vec<u8> = b"this is a text file, not a database\n"
        .iter()
        .copied()
        .cycle()
        .take(8192)
        .collect();
    fs::write(&db, &junk).unwrap();
    let replica = tmp.path().join("replica");
    let o = litestream(&["replicate", &db.display().to_string(), &file_url(&replica)]);
    let line = one_error_line(&o);
    assert!(
        line.contains(&db.display().to_string()) && line.contains("not a SQLite database"),
        "error does not name the file and the problem: {line}"
    );
    assert_eq!(fs::read(&db).unwrap(), junk, "the file was modified");
    let mut names: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["notes.db"],
        "files left behind next to the database"
    );
}

/// SQLite follows a symbolic link and keeps its `-wal` beside the real file, so a
/// daemon given the link would read a `-wal` that never exists: refused, in both modes.
#[test]
fn symlinked_database_path_is_refused() {
    let tmp = tempdir("symlink");
    let real = tmp.path().join("real.db");
    small_db(&real);
    let link = tmp.path().join("link.db");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let replica = tmp.path().join("replica");
    let o = litestream(&[
        "replicate",
        &link.display().to_string(),
        &file_url(&replica),
    ]);
    let line = one_error_line(&o);
    assert!(
        line.contains("link.db is a symbolic link to")
            && line.contains(&real.canonicalize().unwrap().display().to_string()),
        "{line}"
    );
    let config = tmp.path().join("litestream.yml");
    fs::write(
        &config,
        format!(
            "dbs:\n  - path: {}\n    replica:\n      url: {}\n",
            link.display(),
            file_url(&replica)
        ),
    )
    .unwrap();
    let o = litestream(&["replicate", "-config", &config.display().to_string()]);
    let line = one_error_line(&o);
    assert!(line.contains("is a symbolic link to"), "{line}");
    assert!(!replica.exists(), "a replica was created");

    // One database, or one replica, named twice through a linked directory.
    let dir_link = tmp.path().join("dirlink");
    std::os::unix::fs::symlink(tmp.path(), &dir_link).unwrap();
    let entry = |db: &Path, rep: &Path| {
        format!(
            "  - path: {}\n    replica:\n      url: {}\n",
            db.display(),
            file_url(rep)
        )
    };
    let other = tmp.path().join("other.db");
    small_db(&other);
    let (r1, r2) = (tmp.path().join("r1"), tmp.path().join("r2"));
    let cases = [
        (
            entry(&real, &r1) + &entry(&dir_link.join("real.db"), &r2),
            "database collision",
        ),
        (
            entry(&real, &r1) + &entry(&other, &dir_link.join("r1")),
            "replica collision",
        ),
    ];
    for (dbs, want) in cases {
        fs::write(&config, format!("dbs:\n{dbs}")).unwrap();
        let o = litestream(&["replicate", "-config", &config.display().to_string()]);
        let line = one_error_line(&o);
        assert!(line.contains(want), "{line}");
    }
}

#[test]
fn unknown_replica_scheme_is_refused() {
    let tmp = tempdir("scheme");
    let db = tmp.path().join("app.db");
    small_db(&db);
    let before = hash_tree(tmp.path());
    let o = litestream(&["replicate", &db.display().to_string(), "ftp://host/backups"]);
    let line = one_error_line(&o);
    assert!(
        line.contains("\"ftp\""),
        "error does not name the scheme: {line}"
    );
    assert!(
        line.contains("file://"),
        "error does not say what to use: {line}"
    );
    assert!(!meta_dir(&db).exists(), "meta directory created");
    assert_eq!(hash_tree(tmp.path()), before, "files changed");

    let out = tmp.path().join("out.db");
    let o = litestream(&[
        "restore",
        "-o",
        &out.display().to_string(),
        "ftp://host/backups",
    ]);
    let line = one_error_line(&o);
    assert!(
        line.contains("\"ftp\""),
        "restore error does not name the scheme: {line}"
    );
    assert!(!out.exists(), "restore created output");
    assert_eq!(hash_tree(tmp.path()), before, "files changed");
}

#[test]
fn uncreatable_meta_directory_is_reported_and_recovered() {
    // Tests run as root, where a 0555 directory does not stop anyone: block the meta
    // directory with a regular file of that name instead, so creating it fails.
    let tmp = tempdir("meta");
    let db = tmp.path().join("app.db");
    small_db(&db);
    let meta = meta_dir(&db);
    fs::write(&meta, b"in the way").unwrap();
    let replica = tmp.path().join("replica");
    let mut d = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
    let meta_s = meta.display().to_string();
    let logged = wait_until(Duration::from_secs(5), || {
        d.log_text()
            .lines()
            .any(|l| l.contains("level=ERROR") && l.contains(&meta_s))
    });
    assert!(logged, "no ERROR line naming {meta_s}:\n{}", d.log_text());
    assert!(
        d.running(),
        "daemon exited on a meta directory error:\n{}",
        d.log_text()
    );
    assert!(
        !replica.exists(),
        "replica written without a meta directory"
    );
    assert_eq!(fs::read(&meta).unwrap(), b"in the way");

    // Remove the obstacle: the daemon retries and replicates.
    fs::remove_file(&meta).unwrap();
    d.wait_caught_up(Duration::from_secs(60));
    let want = db_state(&db);
    assert_restore_equals(&replica, tmp.path(), "restored", &want);
    let st = d.stop(Duration::from_secs(30));
    assert!(st.success(), "graceful stop exit status {st}");
}

#[test]
fn corrupt_ltx_file_fails_restore_cleanly() {
    let tmp = tempdir("corrupt");
    let (_db, replica) = small_replica(tmp.path());
    let files = litestream_e2e::ltx_files(&replica, 0);
    assert!(
        files.len() >= 3,
        "expected at least 3 L0 files, got {files:?}"
    );
    assert_eq!(
        files[0].0, 1,
        "the L0 chain must start at TXID 1: {files:?}"
    );
    // Compaction may have crossed a time boundary and written L1+ files that cover the
    // victim; drop them so the restore has to read the damaged L0 file.
    for level in 1..=9 {
        let _ = fs::remove_dir_all(replica.join("ltx").join(level.to_string()));
    }
    let victim_name = litestream_core::ltx::format_filename(2, 2);
    let victim = replica.join("ltx/0").join(&victim_name);
    let original = fs::read(&victim).unwrap();
    let out = tmp.path().join("out.db");

    // A flipped byte (checksum mismatch), a truncated file, a file cut to a few bytes.
    let mut flipped = original.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    let cases: [(&str, Vec<u8>); 3] = [
        ("flipped byte", flipped),
        ("truncated", original[..original.len() - 20].to_vec()),
        ("tiny", original[..40].to_vec()),
    ];
    for (what, bytes) in cases {
        fs::write(&victim, &bytes).unwrap();
        let o = restore(&replica, &out, &[]);
        let line = one_error_line(&o);
        assert!(
            line.contains(&victim_name),
            "{what}: error does not name the file: {line}"
        );
        assert!(
            !out.exists(),
            "{what}: partial output left at {}",
            out.display()
        );
        assert!(
            tmp_files(tmp.path()).is_empty(),
            "{what}: .tmp files left: {:?}",
            tmp_files(tmp.path())
        );
        // A restore to a TXID before the damage still works.
        let early = tmp.path().join("early.db");
        let o = restore(&replica, &early, &["-txid", "0000000000000001"]);
        assert!(o.status.success(), "{what}: restore -txid 1 failed: {o:?}");
        fs::remove_file(&early).unwrap();
    }
}

#[test]
fn existing_restore_target_is_not_touched() {
    let tmp = tempdir("exists");
    let (db, replica) = small_replica(tmp.path());
    let out = tmp.path().join("out.db");
    fs::write(&out, b"precious").unwrap();
    let o = restore(&replica, &out, &[]);
    let line = one_error_line(&o);
    assert!(
        line.contains(&out.display().to_string()) && line.contains("-force"),
        "error does not name the output and -force: {line}"
    );
    assert_eq!(fs::read(&out).unwrap(), b"precious");
    assert!(tmp_files(tmp.path()).is_empty());

    // An empty output file is not "existing and non-empty", but a sidecar is.
    let out2 = tmp.path().join("out2.db");
    let wal2 = tmp.path().join("out2.db-wal");
    fs::write(&wal2, b"old wal").unwrap();
    let o = restore(&replica, &out2, &[]);
    let line = one_error_line(&o);
    assert!(
        line.contains("out2.db-wal") && line.contains("-force"),
        "error does not name the sidecar and -force: {line}"
    );
    assert_eq!(fs::read(&wal2).unwrap(), b"old wal");
    assert!(!out2.exists());

    // -force replaces both.
    let o = restore(&replica, &out, &["-force"]);
    assert!(o.status.success(), "-force restore failed: {o:?}");
    assert_eq!(
        litestream_e2e::sha3sum(&out),
        litestream_e2e::sha3sum(&db),
        "-force restore differs from the source"
    );
    let o = restore(&replica, &out2, &["-force"]);
    assert!(o.status.success(), "-force restore failed: {o:?}");
    assert!(!wal2.exists(), "stale -wal sidecar kept after -force");
    assert_eq!(litestream_e2e::sha3sum(&out2), litestream_e2e::sha3sum(&db));
}

/// A replica directory given as a plain path to `restore` or `ltx` is read as a database
/// of the config (Litestream's rule); with no config the error says how to name the
/// directory as a replica.
#[test]
fn replica_directory_given_as_a_path_gets_a_hint() {
    let tmp = tempdir("dir-as-db");
    let (_db, replica) = small_replica(tmp.path());
    let missing_config = tmp.path().join("no-such.yml");
    let url = format!("file://{}", replica.canonicalize().unwrap().display());
    for args in [
        vec!["restore", "-o", "out.db", replica.to_str().unwrap()],
        vec!["ltx", replica.to_str().unwrap()],
    ] {
        let o = std::process::Command::new(litestream_e2e::litestream_bin())
            .args(&args)
            .env("LITESTREAM_CONFIG", &missing_config)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        let line = one_error_line(&o);
        assert!(
            line.contains("config file not found") && line.contains(&url),
            "{args:?}: {line}"
        );
    }
    assert!(!tmp.path().join("out.db").exists());
}
