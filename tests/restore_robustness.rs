//! Restores that meet a damaged replica or are interrupted: a corrupt compacted file
//! whose transactions are still in level 0 is routed around; a file whose header
//! disagrees with its name counts as corrupt; a damaged newest file with nothing else
//! holding its transaction is an error, not a quietly older database; and Ctrl-C leaves
//! neither the output nor its staging file behind.

use std::fs;
use std::time::Duration;

use litestream_e2e::{
    db_state, file_url, litestream, one_error_line, restore, small_replica, sqlite3, tempdir,
};

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
