//! Bad input to `replicate` and `restore`: a missing database (the daemon waits for it),
//! a file that is not a SQLite database, a database path that is a symbolic link, a meta
//! directory that cannot be created, a replica URL with an unknown scheme, a corrupt LTX
//! file in the replica, and a restore target that already exists. Each failure must be
//! one clear `Error:` line naming the thing, exit code 1, and leave nothing half-written
//! behind (no `.tmp`, no partial output, no meta or replica directory created for
//! nothing).

use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use litestream_e2e::{
    assert_restore_equals, db_state, file_url, hash_tree, litestream, meta_dir, restore, sqlite3,
    tempdir, tmp_files, wait_until, Daemon,
};

/// The `Error:` lines of a command's stderr; asserts exit code 1 and exactly one.
fn one_error_line(o: &Output) -> String {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(1),
        "expected exit code 1; stderr: {stderr}"
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("Error:")).collect();
    assert_eq!(
        errors.len(),
        1,
        "expected exactly one `Error:` line, got stderr:\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "the command panicked:\n{stderr}"
    );
    errors[0].to_string()
}

/// A small WAL-mode database with a few rows.
fn make_db(db: &Path) {
    sqlite3(
        db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
         INSERT INTO t(v) VALUES ('a'), ('b'), ('c');",
    );
}

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

    make_db(&db);
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
    make_db(&real);
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
    make_db(&other);
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
    make_db(&db);
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
    make_db(&db);
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

/// A replica with a few L0 files (snapshot + incremental), daemon stopped.
fn small_replica(root: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let db = root.join("app.db");
    make_db(&db);
    let replica = root.join("replica");
    let mut d = Daemon::start(&db, &replica, &root.join("daemon.log"));
    d.wait_caught_up(Duration::from_secs(20));
    for i in 0..3 {
        sqlite3(&db, &format!("INSERT INTO t(v) VALUES ('x{i}');"));
        d.wait_caught_up(Duration::from_secs(20));
    }
    d.stop(Duration::from_secs(30));
    (db, replica)
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

/// A corrupt compacted file whose transactions are still in level 0: the restore warns,
/// plans again without it and succeeds, equal to the source.
#[test]
fn corrupt_compacted_file_is_routed_around() {
    let tmp = tempdir("corrupt-l1");
    let (db, replica) = small_replica(tmp.path());
    let l0 = litestream_e2e::ltx_files(&replica, 0);
    let (first, last) = (l0[0].0, l0[l0.len() - 1].1);
    assert_eq!(first, 1, "{l0:?}");
    // A level 1 file over the whole chain, as compaction writes it, then damaged.
    for level in 1..=9 {
        let _ = fs::remove_dir_all(replica.join("ltx").join(level.to_string()));
    }
    let l1 = replica.join("ltx/1");
    fs::create_dir_all(&l1).unwrap();
    let inputs: Vec<String> = l0
        .iter()
        .map(|(a, b)| {
            replica
                .join("ltx/0")
                .join(litestream_core::ltx::format_filename(*a, *b))
                .display()
                .to_string()
        })
        .collect();
    let merged = l1.join(litestream_core::ltx::format_filename(first, last));
    let mut bytes = merged_ltx(&inputs);
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(&merged, &bytes).unwrap();

    let out = tmp.path().join("out.db");
    let o = restore(&replica, &out, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("is corrupt") && stderr.contains("restoring without it"),
        "{stderr}"
    );
    assert_eq!(db_state(&out), db_state(&db));

    // A file whose header disagrees with its name (here: one transaction short) is no
    // better than a corrupt one.
    let short = merged_ltx(&inputs[..inputs.len() - 1]);
    fs::write(&merged, &short).unwrap();
    fs::remove_file(&out).unwrap();
    let o = restore(&replica, &out, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("not what its name says"), "{stderr}");
    assert_eq!(db_state(&out), db_state(&db));

    // The newest file damaged with nothing else holding its transaction: an error, not
    // a quietly older database.
    fs::remove_dir_all(&l1).unwrap();
    let newest = replica
        .join("ltx/0")
        .join(litestream_core::ltx::format_filename(last, last));
    let bytes = fs::read(&newest).unwrap();
    fs::write(&newest, &bytes[..bytes.len() - 30]).unwrap();
    fs::remove_file(&out).unwrap();
    let line = one_error_line(&restore(&replica, &out, &[]));
    assert!(
        line.contains("corrupt") && line.contains("reaches only TXID"),
        "{line}"
    );
    assert!(!out.exists(), "partial output left behind");
}

/// Level 0 files merged into one LTX file by the core's compactor.
fn merged_ltx(paths: &[String]) -> Vec<u8> {
    use litestream_core::ltx::{compact, SliceSource, HEADER_FLAG_NO_CHECKSUM};
    let datas: Vec<Vec<u8>> = paths.iter().map(|p| fs::read(p).unwrap()).collect();
    let mut sources: Vec<SliceSource> =
        datas.iter().map(|d| SliceSource::new(d).unwrap()).collect();
    let mut out = Vec::new();
    compact(
        &mut sources,
        HEADER_FLAG_NO_CHECKSUM,
        false,
        &mut |b: &[u8]| -> Result<(), ()> {
            out.extend_from_slice(b);
            Ok(())
        },
    )
    .unwrap();
    out
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

/// Ctrl-C in the middle of a restore: the process dies of the signal as usual, and
/// neither the output nor its `.tmp` staging file is left behind.
#[test]
fn interrupted_restore_leaves_nothing() {
    use std::os::unix::process::ExitStatusExt;
    let tmp = tempdir("interrupted");
    let db = tmp.path().join("big.db");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(v);
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 25000)
         INSERT INTO t SELECT randomblob(4000) FROM c;",
    );
    let replica = tmp.path().join("replica");
    let o = litestream(&[
        "replicate",
        "-once",
        &db.display().to_string(),
        &file_url(&replica),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = tmp.path().join("out.db");
    let staging = tmp.path().join("out.db.tmp");
    let mut child = std::process::Command::new(litestream_e2e::litestream_bin())
        .args([
            "restore",
            "-o",
            &out.display().to_string(),
            &file_url(&replica),
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let seen = litestream_e2e::wait_until(Duration::from_secs(10), || {
        staging.exists() || child.try_wait().unwrap().is_some()
    });
    assert!(
        seen && staging.exists(),
        "the restore never staged its output"
    );
    litestream_e2e::ipc::signal(child.id(), "INT");
    let st = child.wait().unwrap();
    if st.success() {
        // Finished before the signal arrived: nothing to check this time.
        assert!(out.exists() && !staging.exists());
        return;
    }
    assert_eq!(st.signal(), Some(2), "{st}");
    assert!(!staging.exists(), "staging file left behind");
    assert!(!out.exists(), "partial output left behind");
}
