//! End-to-end tests of `litestream ltx <tool>` against the reference Go `ltx` tool's
//! recorded outputs (`shared/testdata/ltx-golden/exit-codes.txt`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use litestream_e2e::{litestream_bin, testdata_dir};
use sha2::{Digest, Sha256};

fn golden() -> PathBuf {
    testdata_dir().join("ltx-golden")
}

/// Run `litestream ltx ARGS...` in the golden folder.
fn ltx(args: &[&str]) -> Output {
    Command::new(litestream_bin())
        .arg("ltx")
        .args(args)
        .current_dir(golden())
        .output()
        .expect("run litestream")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every recorded command: stdout (and stderr where recorded) and exit code must match.
#[test]
fn every_recorded_command_matches_the_reference() {
    let dir = golden();
    let table = std::fs::read_to_string(dir.join("exit-codes.txt")).expect("exit-codes.txt");
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for line in table.lines().filter(|l| !l.trim().is_empty()) {
        let mut cols = line.splitn(3, '\t');
        let (out, code, cmd) = (
            cols.next().unwrap(),
            cols.next().unwrap(),
            cols.next().unwrap(),
        );
        let words: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(words[0], "ltx", "{line}");
        let tool = words[1];
        assert!(
            ["verify", "dump", "list", "checksum", "apply", "encode-db"].contains(&tool),
            "unexpected tool in {line}"
        );
        // Scratch paths of the recording become fresh paths in a temporary folder.
        let scratch_db = tmp.path().join(format!("apply-{checked}.db"));
        let scratch_ltx = tmp.path().join(format!("out-{checked}.ltx"));
        let args: Vec<String> = words[1..]
            .iter()
            .map(|w| match *w {
                "/tmp/ltxgolden-apply.db" => scratch_db.display().to_string(),
                "/tmp/ltxgolden-x.ltx" => scratch_ltx.display().to_string(),
                w => w.to_string(),
            })
            .collect();
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = ltx(&arg_refs);
        let want = std::fs::read_to_string(dir.join(out)).unwrap();
        assert_eq!(stdout(&o), want, "stdout of `{cmd}`");
        assert_eq!(
            o.status.code(),
            Some(code.parse().unwrap()),
            "exit code of `{cmd}`"
        );
        let stderr_file = dir.join(format!("{out}.stderr"));
        if stderr_file.exists() {
            let want_err = std::fs::read_to_string(stderr_file).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&o.stderr),
                want_err,
                "stderr of `{cmd}`"
            );
        }
        // A failed apply or encode-db leaves nothing behind.
        if code != "0" && tool == "apply" {
            assert!(!scratch_db.exists(), "`{cmd}` created the database");
        }
        if code != "0" && tool == "encode-db" {
            assert!(!scratch_ltx.exists(), "`{cmd}` created its output");
            assert_eq!(
                std::fs::read_dir(tmp.path())
                    .unwrap()
                    .filter(|e| {
                        e.as_ref()
                            .unwrap()
                            .file_name()
                            .to_string_lossy()
                            .starts_with('.')
                    })
                    .count(),
                0,
                "temporary file left by `{cmd}`"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 46);
}

#[test]
fn full_dump_of_the_64k_file_matches_the_recorded_digest() {
    let o = ltx(&[
        "dump",
        "d-blobs-65536/0000000000000001-0000000000000001.ltx",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let dir = golden().join("d-blobs-65536");
    let len: usize = std::fs::read_to_string(dir.join("dump-full.bytes"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let sha = std::fs::read_to_string(dir.join("dump-full.sha256")).unwrap();
    assert_eq!(o.stdout.len(), len);
    let got: String = Sha256::digest(&o.stdout)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(got, sha.trim());
}

const C: &str = "c-rows-1024";

fn c(name: &str) -> String {
    format!("{C}/{name}")
}

fn apply(db: &Path, files: &[String]) -> Output {
    let mut args = vec![
        "apply".to_string(),
        "-db".to_string(),
        db.display().to_string(),
    ];
    args.extend(files.iter().cloned());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ltx(&refs)
}

#[test]
fn apply_chains_reproduce_the_recorded_databases() {
    let tmp = tempfile::tempdir().unwrap();
    let f11 = c("0000000000000001-0000000000000001.ltx");
    let f22 = c("0000000000000002-0000000000000002.ltx");
    let f33 = c("0000000000000003-0000000000000003.ltx");
    let f13 = c("0000000000000001-0000000000000003.ltx");
    let nock = c("nochecksum/0000000000000002-0000000000000002.ltx");
    let txid2 = std::fs::read(golden().join(c("txid2.db"))).unwrap();
    let txid3 = std::fs::read(golden().join(c("txid3.db"))).unwrap();
    for (i, (chain, want)) in [
        (vec![f11.clone(), f22.clone()], &txid2),
        (vec![f11.clone(), f22.clone(), f33.clone()], &txid3),
        (vec![f13.clone()], &txid3),
        (vec![f11.clone(), nock.clone(), f33.clone()], &txid3),
    ]
    .into_iter()
    .enumerate()
    {
        let db = tmp.path().join(format!("chain-{i}.db"));
        let o = apply(&db, &chain);
        assert_eq!(
            (o.status.code(), stdout(&o)),
            (Some(0), String::new()),
            "{chain:?}"
        );
        assert!(std::fs::read(&db).unwrap() == *want, "{chain:?}");
    }
    // Separate runs on the same database: 1-1 and 2-2, then 3-3.
    let db = tmp.path().join("runs.db");
    assert_eq!(apply(&db, &[f11.clone(), f22]).status.code(), Some(0));
    assert_eq!(
        apply(&db, std::slice::from_ref(&f33)).status.code(),
        Some(0)
    );
    assert!(std::fs::read(&db).unwrap() == txid3);

    // Snapshots of every case apply onto a fresh database as the input database.
    for case in [
        "a-onepage-4096",
        "b-emptytable-4096",
        "c-rows-1024",
        "d-blobs-65536",
    ] {
        let db = tmp.path().join(format!("{case}.db"));
        let o = apply(
            &db,
            &[format!("{case}/0000000000000001-0000000000000001.ltx")],
        );
        assert_eq!(o.status.code(), Some(0), "{case}: {}", stdout(&o));
        assert!(
            std::fs::read(&db).unwrap()
                == std::fs::read(golden().join(case).join("input.db")).unwrap()
        );
    }
}

#[test]
fn failed_apply_leaves_the_database_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("base.db");
    let f11 = c("0000000000000001-0000000000000001.ltx");
    let f33 = c("0000000000000003-0000000000000003.ltx");
    assert_eq!(
        apply(&db, std::slice::from_ref(&f11)).status.code(),
        Some(0)
    );
    let before = std::fs::read(&db).unwrap();

    // Wrong base: the pre-apply check fails before anything is written.
    let o = apply(&db, std::slice::from_ref(&f33));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        std::fs::read_to_string(golden().join(c("apply-wrong-base.txt"))).unwrap()
    );
    assert!(std::fs::read(&db).unwrap() == before);

    // A good first file followed by a damaged one: the first is not applied either.
    let snapshot_b = "b-emptytable-4096/0000000000000001-0000000000000001.ltx".to_string();
    for damaged in [
        "flip-page-byte",
        "flip-trailer-checksum",
        "truncated-200",
        "wrong-post-apply",
    ] {
        let o = apply(
            &db,
            &[snapshot_b.clone(), format!("e-damaged/{damaged}.ltx")],
        );
        assert_eq!(o.status.code(), Some(1), "{damaged}");
        assert!(
            std::fs::read(&db).unwrap() == before,
            "{damaged} changed the database"
        );
        let fresh = tmp.path().join(format!("fresh-{damaged}.db"));
        let o = apply(&fresh, &[format!("e-damaged/{damaged}.ltx")]);
        assert_eq!(o.status.code(), Some(1));
        assert!(!fresh.exists(), "{damaged} created the database");
    }
}

#[test]
fn encode_db_round_trips_every_input_database() {
    let tmp = tempfile::tempdir().unwrap();
    for case in [
        "a-onepage-4096",
        "b-emptytable-4096",
        "c-rows-1024",
        "d-blobs-65536",
    ] {
        let out = tmp.path().join(format!("{case}.ltx"));
        let o = ltx(&[
            "encode-db",
            "-o",
            &out.display().to_string(),
            &format!("{case}/input.db"),
        ]);
        assert_eq!(
            (o.status.code(), stdout(&o)),
            (Some(0), String::new()),
            "{case}"
        );
        let o = ltx(&["verify", &out.display().to_string()]);
        assert_eq!(stdout(&o), "ok\n", "{case}");
        // Same list row as the golden snapshot, the timestamp aside.
        let ours = stdout(&ltx(&["list", "-tsv", &out.display().to_string()]));
        let golden_row = std::fs::read_to_string(golden().join(case).join("list.tsv")).unwrap();
        let strip = |s: &str| -> Vec<String> {
            s.lines()
                .nth(1)
                .unwrap()
                .split('\t')
                .enumerate()
                .filter(|(i, _)| *i != 6)
                .map(|(_, c)| c.to_string())
                .collect()
        };
        assert_eq!(strip(&ours), strip(&golden_row), "{case}");
        let db = tmp.path().join(format!("{case}.db"));
        assert_eq!(
            apply(&db, &[out.display().to_string()]).status.code(),
            Some(0)
        );
        assert!(
            std::fs::read(&db).unwrap()
                == std::fs::read(golden().join(case).join("input.db")).unwrap()
        );
    }
}

#[test]
fn usage_errors_exit_1() {
    for (args, want) in [
        (&["verify"][..], "at least one LTX file must be specified\n"),
        (&["dump"][..], "filename required\n"),
        (&["dump", "a", "b"][..], "too many arguments\n"),
        (&["apply", "x.ltx"][..], "required: -db PATH\n"),
        (&["encode-db", "x.db"][..], "required: -o PATH\n"),
        (&["list"][..], "at least one LTX file is required\n"),
        (&["bogus"][..], "litestream ltx bogus: unknown command\n"),
    ] {
        let o = ltx(args);
        assert_eq!(
            (o.status.code(), stdout(&o).as_str()),
            (Some(1), want),
            "{args:?}"
        );
    }
    let o = ltx(&["verify", "no-such-file.ltx"]);
    assert_eq!(
        stdout(&o),
        "no-such-file.ltx: open no-such-file.ltx: no such file or directory\n0 ok, 1 invalid\n"
    );
}
