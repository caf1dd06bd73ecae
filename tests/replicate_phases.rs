//! Replicate while `sqlite3` processes write: inserts (several writers at once), updates,
//! deletes, a 300 MB transaction, `VACUUM` (shrink), `PRAGMA wal_checkpoint(PASSIVE)`,
//! `(RESTART)` and `(TRUNCATE)` run by the application (alone and while writers run), and
//! an attempt to switch `journal_mode` away from WAL (refused with a clear error while
//! the daemon holds the database) followed by more writes.
//!
//! After each phase: wait until the replica has caught up, restore into a fresh file, and
//! check `.sha3sum`, `PRAGMA integrity_check` = `ok` and `PRAGMA page_count` against the
//! source; the replica's L0 names stay contiguous and no `.tmp` file lingers.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use litestream_e2e::{
    assert_l0_contiguous, assert_restore_equals, db_state, integrity_check, meta_dir, sqlite3,
    sqlite3_output, tempdir, tmp_files, wait_until, Daemon, TempDir,
};

struct Harness {
    tmp: TempDir,
    db: PathBuf,
    replica: PathBuf,
    daemon: Daemon,
    started: Instant,
}

impl Harness {
    fn check(&mut self, phase: &str, timeout: Duration) {
        let t0 = Instant::now();
        let txid = self.daemon.wait_caught_up(timeout);
        let caught_up = t0.elapsed();
        assert_eq!(integrity_check(&self.db), "ok", "{phase}: source integrity");
        let want = db_state(&self.db);
        let scratch = self.tmp.path().join("scratch");
        std::fs::create_dir_all(&scratch).unwrap();
        assert_restore_equals(&self.replica, &scratch, phase, &want);
        let max = assert_l0_contiguous(&self.replica);
        assert_eq!(max, txid, "{phase}: replica max TXID");
        for dir in [&self.replica, &meta_dir(&self.db)] {
            // A compaction may be writing its staging file right now: it must be gone
            // soon, not at this instant.
            let gone = wait_until(Duration::from_secs(10), || tmp_files(dir).is_empty());
            assert!(
                gone,
                "{phase}: .tmp files in {}: {:?}",
                dir.display(),
                tmp_files(dir)
            );
        }
        eprintln!(
            "[{:>6.1}s] {phase}: txid {txid}, {} pages, caught up in {:.2}s, checked in {:.2}s",
            self.started.elapsed().as_secs_f64(),
            want.pages,
            caught_up.as_secs_f64(),
            t0.elapsed().as_secs_f64()
        );
    }
}

/// Run `scripts` in parallel `sqlite3` processes (each with a 10 s busy timeout).
fn parallel(db: &Path, scripts: Vec<String>) {
    let handles: Vec<_> = scripts
        .into_iter()
        .map(|s| {
            let db = db.to_path_buf();
            thread::spawn(move || sqlite3(&db, &format!(".timeout 10000\n{s}")))
        })
        .collect();
    for h in handles {
        h.join().expect("writer thread");
    }
}

/// `n` transactions by writer `w`, each inserting 1–4 rows of 100–3000 random bytes.
fn insert_script(w: u32, n: u32) -> String {
    let mut s = String::new();
    for i in 0..n {
        let rows = 1 + (i % 4);
        let size = 100 + (i * 37 + w * 101) % 2900;
        s.push_str(&format!(
            "BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < {rows})
             INSERT INTO t(grp, k, v) SELECT {w}, 'w{w}-{i}-' || x, randomblob({size}) FROM c; COMMIT;\n"
        ));
    }
    s
}

#[test]
fn phases_restore_equals_source() {
    let tmp = tempdir("phases");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal;
         CREATE TABLE t(id INTEGER PRIMARY KEY, grp INT, k TEXT, v BLOB);
         CREATE INDEX t_k ON t(k);",
    );
    sqlite3(&db, &insert_script(0, 100));
    let daemon = Daemon::start(&db, &replica, &tmp.path().join("daemon.log"));
    let mut h = Harness {
        db: db.clone(),
        replica,
        daemon,
        tmp,
        started: Instant::now(),
    };
    let short = Duration::from_secs(30);
    h.check("initial snapshot", short);

    parallel(&db, (1..=3).map(|w| insert_script(w, 150)).collect());
    h.check("inserts (3 writers)", short);

    parallel(
        &db,
        (0..2)
            .map(|w| {
                (0..50)
                    .map(|i| {
                        format!(
                            "UPDATE t SET v = randomblob(length(v) + {i}), k = k || '+' WHERE id % 13 = {};\n",
                            (i * 2 + w) % 13
                        )
                    })
                    .collect()
            })
            .collect(),
    );
    h.check("updates (2 writers)", short);

    sqlite3(
        &db,
        "DELETE FROM t WHERE id % 3 = 0; DELETE FROM t WHERE grp = 2 AND id % 5 = 1;",
    );
    h.check("deletes", short);

    for mode in ["PASSIVE", "RESTART", "TRUNCATE"] {
        let out = sqlite3(
            &db,
            &format!(
                ".timeout 10000\n{}\n.timeout 300\nPRAGMA wal_checkpoint({mode});\n.timeout 10000\n{}",
                insert_script(4, 20),
                insert_script(5, 20)
            ),
        );
        eprintln!("application wal_checkpoint({mode}) → {out}");
        h.check(&format!("application checkpoint {mode} + writes"), short);
    }

    // Checkpoints of every kind while two writers run.
    // The checkpointer waits at most 100 ms for readers (the daemon's read transaction
    // blocks RESTART and TRUNCATE), so the writers' 10 s busy timeout is never exceeded.
    let mut scripts: Vec<String> = (6..=7).map(|w| insert_script(w, 200)).collect();
    scripts.push(
        (0..30)
            .map(|i| {
                format!(
                    ".timeout 100\nPRAGMA wal_checkpoint({});\n",
                    ["PASSIVE", "RESTART", "TRUNCATE"][i % 3]
                )
            })
            .collect(),
    );
    parallel(&db, scripts);
    h.check("checkpoints during writes", short);

    // Leaving WAL mode needs exclusive access, which the daemon's read transaction
    // prevents: the application gets a clear error and the database stays in WAL mode.
    let out = sqlite3_output(&db, "PRAGMA journal_mode=delete;");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("database is locked"),
        "journal_mode=delete while replicating: expected `database is locked`, got {:?} / {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(sqlite3(&db, "PRAGMA journal_mode;"), "wal");
    sqlite3(
        &db,
        &format!("PRAGMA journal_mode=wal;\n{}", insert_script(8, 30)),
    );
    h.check("journal_mode switch refused, writes continue", short);

    // 300 rows of 1,000,000 random bytes in one transaction: a ~300 MB WAL commit.
    let t0 = Instant::now();
    sqlite3(
        &db,
        "CREATE TABLE big(id INTEGER PRIMARY KEY, b BLOB);
         BEGIN;
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 300)
         INSERT INTO big(id, b) SELECT x, randomblob(1000000) FROM c;
         COMMIT;",
    );
    eprintln!(
        "300 MB transaction written in {:.1}s",
        t0.elapsed().as_secs_f64()
    );
    h.check("300 MB transaction", Duration::from_secs(300));

    let before = litestream_e2e::page_count(&db);
    sqlite3(&db, ".timeout 10000\nDROP TABLE big; VACUUM;");
    let after = litestream_e2e::page_count(&db);
    assert!(
        after * 10 < before,
        "VACUUM shrank {before} → {after} pages"
    );
    h.check("drop + VACUUM (shrink)", Duration::from_secs(120));

    let st = h.daemon.stop(Duration::from_secs(30));
    assert!(st.success(), "graceful stop: {st}");
    let log = h.daemon.log_text();
    assert!(
        !log.contains("level=ERROR"),
        "errors in the daemon log:\n{}",
        log.lines()
            .filter(|l| l.contains("level=ERROR"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
