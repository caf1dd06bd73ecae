//! `kill -9` of the daemon at random moments while `sqlite3` processes keep writing
//! (20 rounds; `LITESTREAM_KILL_ROUNDS=N` sets the count, `LITESTREAM_SOAK=1` makes it
//! 200). The writer never stops, so some transactions land while the daemon is down —
//! and a `sqlite3` process that closes the last connection then checkpoints and deletes
//! the WAL, which the restarted daemon must notice. After every round: the replica's L0 names are `1..=max` without a gap,
//! and no LTX file ever changes content or disappears (sha256 of every replica file is
//! recorded; a file whose inode, size or mtime changed is hashed again and compared, and
//! at the end every file is hashed again). At the end: every replica file decodes and verifies, and a
//! restore equals the source.
//!
//! The seed of the random timings is printed; `LITESTREAM_E2E_SEED=N` repeats a run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use litestream_e2e::{
    assert_l0_contiguous, assert_restore_equals, db_state, decode_ltx, meta_dir, sha256_file,
    sqlite3, tempdir, Daemon, Rng,
};

/// One writer batch: a few small transactions, sometimes a bigger one, an update, a
/// delete or an application checkpoint.
fn batch(rng: &mut Rng, n: u64) -> String {
    let mut s = String::from(".timeout 10000\n");
    for i in 0..rng.range(3, 12) {
        match rng.range(0, 20) {
            0 => s.push_str(&format!(
                "BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100)
                 INSERT INTO t(batch, v) SELECT {n}, randomblob(3000) FROM c; COMMIT;\n"
            )),
            1 => s.push_str(&format!(
                "UPDATE t SET v = randomblob(300) WHERE id % 17 = {};\n",
                rng.range(0, 17)
            )),
            2 => s.push_str(&format!(
                "DELETE FROM t WHERE id % 29 = {};\n",
                rng.range(0, 29)
            )),
            3 => s.push_str(".timeout 100\nPRAGMA wal_checkpoint(PASSIVE);\n.timeout 10000\n"),
            _ => s.push_str(&format!(
                "INSERT INTO t(batch, v) VALUES ({n}, randomblob({}));\n",
                100 + (i * 97) % 3000
            )),
        }
    }
    s
}

/// What is known about one replica file: a cheap fingerprint (inode, size, mtime) and the
/// sha256 of its content.
#[derive(Clone, PartialEq, Eq)]
struct Known {
    print: (u64, u64, i64, i64),
    sha: [u8; 32],
}

fn fingerprint(p: &Path) -> Option<(u64, u64, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p).ok()?;
    Some((m.ino(), m.size(), m.mtime(), m.mtime_nsec()))
}

/// Check every `.ltx` file of the replica against what was recorded: none disappeared,
/// none changed content (a file whose fingerprint changed is hashed again and must hash
/// the same); new files are hashed and recorded.
fn check_replica_files(replica: &Path, seen: &mut BTreeMap<PathBuf, Known>, when: &str) {
    let l0 = replica.join("ltx/0");
    let names: Vec<PathBuf> = std::fs::read_dir(&l0)
        .map(|rd| {
            rd.flatten()
                .map(|e| PathBuf::from(e.file_name()))
                .filter(|p| p.extension().is_some_and(|e| e == "ltx"))
                .collect()
        })
        .unwrap_or_default();
    for (p, k) in seen.iter_mut() {
        assert!(
            names.contains(p),
            "{when}: replica file {} disappeared",
            p.display()
        );
        let print = fingerprint(&l0.join(p)).expect("stat replica file");
        if print != k.print {
            assert!(
                sha256_file(&l0.join(p)) == k.sha,
                "{when}: replica file {} was overwritten with different content",
                p.display()
            );
            k.print = print;
        }
    }
    for p in names {
        let path = l0.join(&p);
        seen.entry(p).or_insert_with(|| Known {
            print: fingerprint(&path).expect("stat replica file"),
            sha: sha256_file(&path),
        });
    }
}

#[test]
fn kill9_during_writes_keeps_replica_consistent() {
    let soak = std::env::var_os("LITESTREAM_SOAK").is_some();
    let rounds: u32 = std::env::var("LITESTREAM_KILL_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if soak { 200 } else { 20 });
    let mut rng = Rng::from_env("kill9");
    let tmp = tempdir("kill9");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, batch INT, v BLOB);",
    );
    let mut daemon = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));

    let stop = Arc::new(AtomicBool::new(false));
    let batches = Arc::new(AtomicU64::new(0));
    let writer = {
        let (db, stop, batches) = (db.clone(), stop.clone(), batches.clone());
        let mut wrng = Rng::from_env("kill9 writer");
        thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                sqlite3(&db, &batch(&mut wrng, n));
                batches.store(n, Ordering::Relaxed);
            }
        })
    };

    let started = Instant::now();
    let mut seen: BTreeMap<PathBuf, Known> = BTreeMap::new();
    for round in 1..=rounds {
        thread::sleep(Duration::from_millis(rng.range(100, 900)));
        daemon.kill9();
        let max = assert_l0_contiguous(&replica);
        check_replica_files(&replica, &mut seen, &format!("round {round}"));
        eprintln!(
            "round {round}: killed, replica max txid {max}, local max {}, {} writer batches",
            litestream_e2e::max_l0_txid(&meta_dir(&db)),
            batches.load(Ordering::Relaxed)
        );
        thread::sleep(Duration::from_millis(rng.range(0, 300)));
        daemon.restart();
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");
    let txid = daemon.wait_caught_up(Duration::from_secs(60));
    let want = db_state(&db);
    assert_restore_equals(&replica, tmp.path(), "after kills", &want);
    let max = assert_l0_contiguous(&replica);
    assert_eq!(max, txid);
    check_replica_files(&replica, &mut seen, "after the last round");
    for (p, k) in &seen {
        let path = replica.join("ltx/0").join(p);
        assert!(
            sha256_file(&path) == k.sha,
            "replica file {} changed content",
            p.display()
        );
        let f = decode_ltx(&path);
        assert_eq!(f.header.min_txid, f.header.max_txid, "{}", p.display());
    }
    let st = daemon.stop(Duration::from_secs(30));
    assert!(st.success(), "graceful stop: {st}");
    eprintln!(
        "{rounds} rounds in {:.1}s, final txid {txid}, {} pages",
        started.elapsed().as_secs_f64(),
        want.pages
    );
}
