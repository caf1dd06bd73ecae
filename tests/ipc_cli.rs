//! End-to-end tests of the control socket's CLI clients (`litestream list|info|register|
//! unregister|sync|start|stop`): text and `-json` outputs, client-side errors, and the
//! register → write → sync → unregister → restore flow, also with 100 databases.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use litestream_e2e::ipc::{create_db, curl_json, restore_count, sqlite3, Daemon};
use litestream_e2e::litestream_bin;
use serde_json::Value;

/// `litestream CMD -socket SOCK ARGS…` run in `cwd`.
fn cli(cwd: &Path, sock: &Path, cmd: &str, args: &[&str]) -> Output {
    Command::new(litestream_bin())
        .current_dir(cwd)
        .arg(cmd)
        .arg("-socket")
        .arg(sock)
        .args(args)
        .output()
        .expect("run litestream")
}

fn stdout_ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json_ok(o: &Output) -> Value {
    let s = stdout_ok(o);
    assert!(s.starts_with("{\n  \""), "not indented JSON: {s}");
    serde_json::from_str(&s).expect("json output")
}

fn stderr_fail(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn cli_clients_text_and_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path();
    let sock = cwd.join("ls.sock");
    let s = sock.display().to_string();
    let _d = Daemon::start(&sock, &[]);

    assert_eq!(
        stdout_ok(&cli(cwd, &sock, "list", &[])),
        "No databases configured\n"
    );
    assert_eq!(
        json_ok(&cli(cwd, &sock, "list", &["-json"])),
        serde_json::json!({"databases": []})
    );

    let info = stdout_ok(&cli(cwd, &sock, "info", &[]));
    let lines: Vec<&str> = info.lines().collect();
    assert_eq!(
        lines[0],
        format!("Litestream {}", env!("CARGO_PKG_VERSION"))
    );
    assert!(lines[1].starts_with("  PID:        "), "{info}");
    assert!(
        lines[2].starts_with("  Uptime:     ") && lines[2].ends_with('s'),
        "{info}"
    );
    assert!(
        lines[3].starts_with("  Started at: ") && !lines[3].contains('.'),
        "{info}"
    );
    assert_eq!(lines[4], "  Databases:  0");
    let info = json_ok(&cli(cwd, &sock, "info", &["-json"]));
    assert_eq!(info["database_count"], 0);

    // register with a relative path: expanded against the client's directory.
    create_db(&cwd.join("app.db"));
    let db = cwd.join("app.db").display().to_string();
    let url = format!("file://{}/replica", cwd.display());
    let out = stdout_ok(&cli(cwd, &sock, "register", &["-replica", &url, "app.db"]));
    assert_eq!(
        out,
        format!("status: registered\ndb_path: {db}\nreplica: {url}\nsocket: {s}\n")
    );
    let out = stdout_ok(&cli(
        cwd,
        &sock,
        "register",
        &["-replica", &url, "./x/../app.db"],
    ));
    assert!(out.starts_with("status: already registered\n"), "{out}");
    let j = json_ok(&cli(
        cwd,
        &sock,
        "register",
        &["-json", "-replica", &url, &db],
    ));
    assert_eq!(
        j,
        serde_json::json!({"status":"already_registered","db_path":db,"replica":url,"socket":s})
    );
    // A different URL for a registered database: Go's client echoes the URL it was given;
    // the daemon keeps the replica it has (checked below: the sync lands in `url`).
    let other = format!("file://{}/other", cwd.display());
    let out = stdout_ok(&cli(
        cwd,
        &sock,
        "register",
        &["-replica", &other, "app.db"],
    ));
    assert_eq!(
        out,
        format!("status: already registered\ndb_path: {db}\nreplica: {other}\nsocket: {s}\n")
    );

    sqlite3(&cwd.join("app.db"), "INSERT INTO t(v) VALUES ('a'),('b');");
    let out = stdout_ok(&cli(cwd, &sock, "sync", &["-wait", "app.db"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("db_path: {db}"));
    let txid: u64 = lines[1]
        .strip_prefix("txid: ")
        .expect("txid")
        .parse()
        .expect("decimal");
    assert_eq!(lines[2], format!("replica_txid: {txid}"));
    assert!(lines[3]
        .strip_prefix("duration_ms: ")
        .expect("duration")
        .parse::<u64>()
        .is_ok());
    assert_eq!(lines.len(), 4);
    assert!(cwd.join("replica/ltx/0").is_dir());
    assert!(
        !cwd.join("other").exists(),
        "the second URL must not be used"
    );
    let j = json_ok(&cli(cwd, &sock, "sync", &["-json", "app.db"]));
    let keys: Vec<&String> = j.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["db_path", "duration_ms", "txid"]);

    let out = stdout_ok(&cli(cwd, &sock, "list", &[]));
    assert!(
        out.starts_with(&format!("{db} [replicating] (last sync: ")),
        "{out}"
    );
    assert!(
        !out.split("last sync: ").nth(1).unwrap_or(".").contains('.'),
        "{out}"
    );
    let j = json_ok(&cli(cwd, &sock, "list", &["-json"]));
    assert_eq!(j["databases"][0]["path"], db.as_str());

    let out = stdout_ok(&cli(cwd, &sock, "stop", &["app.db"]));
    assert_eq!(
        out,
        format!("status: stopped\ndb_path: {db}\nstate: stopped\ntxid: {txid}\nsocket: {s}\n")
    );
    assert_eq!(
        stdout_ok(&cli(cwd, &sock, "list", &[])).split(" (").next(),
        Some(format!("{db} [stopped]").as_str())
    );
    let j = json_ok(&cli(cwd, &sock, "stop", &["-json", "app.db"]));
    assert_eq!(
        j,
        serde_json::json!({"status":"already_stopped","db_path":db,"state":"stopped","txid":txid,"socket":s})
    );
    let e = stderr_fail(&cli(cwd, &sock, "sync", &["app.db"]));
    assert_eq!(e, format!("Error: sync failed: database not open: {db}\n"));
    let out = stdout_ok(&cli(cwd, &sock, "start", &["app.db"]));
    assert_eq!(
        out,
        format!("status: started\ndb_path: {db}\nstate: running\ntxid: {txid}\nsocket: {s}\n")
    );
    let j = json_ok(&cli(cwd, &sock, "start", &["-json", "app.db"]));
    assert_eq!(j["status"], "already_running");

    let out = stdout_ok(&cli(cwd, &sock, "unregister", &["-dry-run", "app.db"]));
    assert_eq!(out, format!("Dry run: unregister request preview\n  database: {db}\n  socket: {s}\n  replicas: daemon-managed replica for this database\n  final sync: daemon close will sync the database and replica before the command completes\n  timeout: 30s\nNo unregister request was sent.\n"));
    let out = stdout_ok(&cli(cwd, &sock, "unregister", &["app.db"]));
    assert_eq!(
        out,
        format!("status: unregistered\ndb_path: {db}\nfinal_txid: {txid}\nsocket: {s}\n")
    );
    let j = json_ok(&cli(cwd, &sock, "unregister", &["-json", "app.db"]));
    assert_eq!(
        j,
        serde_json::json!({"status":"already_unregistered","db_path":db,"final_txid":0,"socket":s})
    );

    // Client-side errors.
    let e = stderr_fail(&cli(cwd, &sock, "sync", &[]));
    assert_eq!(
        e,
        "Error: database path required\nTry: litestream sync /path/to/db\n"
    );
    let e = stderr_fail(&cli(cwd, &sock, "register", &["app.db"]));
    assert_eq!(e, "Error: -replica is required\nTry: litestream register -replica s3://bucket/prefix /path/to/db\n");
    let e = stderr_fail(&cli(cwd, &sock, "stop", &["a.db", "b.db"]));
    assert_eq!(e, "Error: too many arguments\n");
    let e = stderr_fail(&cli(cwd, &sock, "list", &["-timeout", "0"]));
    assert_eq!(e, "Error: timeout must be greater than 0\n");
    let e = stderr_fail(&cli(cwd, &sock, "start", &["/nope.db"]));
    assert_eq!(e, "Error: start failed: database not found: /nope.db\n");
    let e = stderr_fail(&cli(
        cwd,
        &sock,
        "register",
        &["-replica", "ftp://x/y", "/n.db"],
    ));
    assert!(
        e.starts_with("Error: register failed: invalid replica url: "),
        "{e}"
    );
    let help = stdout_ok(&cli(cwd, &sock, "sync", &["-h"]));
    assert!(help.contains("-wait"), "{help}");
}

#[test]
fn no_daemon_is_one_line_naming_the_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("none.sock");
    for (cmd, args) in [
        ("list", vec![]),
        ("info", vec![]),
        ("sync", vec!["/a.db"]),
        ("stop", vec!["/a.db"]),
    ] {
        let e = stderr_fail(&cli(dir.path(), &sock, cmd, &args));
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(
            e.starts_with("Error: failed to connect to control socket: "),
            "{e}"
        );
        assert!(e.contains(&sock.display().to_string()), "{e}");
    }
}

#[test]
fn register_write_sync_unregister_restore_has_every_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path();
    let sock = cwd.join("ls.sock");
    let _d = Daemon::start(&sock, &[]);
    let db = cwd.join("app.db");
    create_db(&db);
    let url = format!("file://{}/replica", cwd.display());
    stdout_ok(&cli(cwd, &sock, "register", &["-replica", &url, "app.db"]));
    for i in 0..20 {
        sqlite3(&db, &format!("INSERT INTO t(v) VALUES ('{i}');"));
        if i % 5 == 0 {
            stdout_ok(&cli(cwd, &sock, "sync", &["-wait", "app.db"]));
        }
    }
    stdout_ok(&cli(cwd, &sock, "sync", &["-wait", "app.db"]));
    sqlite3(&db, "INSERT INTO t(v) VALUES ('after the last sync');");
    // unregister syncs pending data first.
    stdout_ok(&cli(cwd, &sock, "unregister", &["app.db"]));
    assert_eq!(restore_count(&url, &cwd.join("restored.db")), 21);
}

#[test]
fn register_100_databases_while_writes_run() {
    const N: usize = 100;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    let sock = root.join("ls.sock");
    let _d = Daemon::start(&sock, &[]);
    let dbs: Vec<_> = (0..N).map(|i| root.join(format!("db{i}.db"))).collect();
    for db in &dbs {
        create_db(db);
    }
    // Writers: four threads cycling over the databases while they are registered.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (dbs, stop) = (dbs.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut written = vec![0u64; N];
                let mut round = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) || round < 2 {
                    for (i, db) in dbs.iter().enumerate().filter(|(i, _)| i % 4 == w) {
                        let c = rusqlite::Connection::open(db).expect("open");
                        c.busy_timeout(Duration::from_secs(10)).expect("busy");
                        c.execute("INSERT INTO t(v) VALUES ('w')", [])
                            .expect("insert");
                        written[i] += 1;
                    }
                    round += 1;
                }
                written
            })
        })
        .collect();
    // Register through the socket from several clients at once.
    let registrars: Vec<_> = (0..4)
        .map(|k| {
            let (sock, root, dbs) = (sock.clone(), root.clone(), dbs.clone());
            std::thread::spawn(move || {
                for (i, db) in dbs.iter().enumerate().filter(|(i, _)| i % 4 == k) {
                    let body = format!(
                        r#"{{"path":"{}","replica_url":"file://{}/replica{i}"}}"#,
                        db.display(),
                        root.display()
                    );
                    let r = curl_json(&sock, "/register", Some(&body), 200);
                    assert_eq!(r["status"], "registered");
                }
            })
        })
        .collect();
    for r in registrars {
        r.join().expect("registrar");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut written = vec![0u64; N];
    for w in writers {
        for (i, n) in w.join().expect("writer").into_iter().enumerate() {
            written[i] += n;
        }
    }
    let list = curl_json(&sock, "/list", None, 200);
    let entries = list["databases"].as_array().expect("array");
    assert_eq!(entries.len(), N);
    assert!(
        entries.iter().all(|e| e["status"] == "replicating"),
        "{list}"
    );
    for (i, db) in dbs.iter().enumerate() {
        let body = format!(r#"{{"path":"{}","wait":true}}"#, db.display());
        let s = curl_json(&sock, "/sync", Some(&body), 200);
        assert_eq!(s["replicated_txid"], s["txid"], "{s}");
        let url = format!("file://{}/replica{i}", root.display());
        let out = root.join(format!("restored{i}.db"));
        assert_eq!(restore_count(&url, &out), written[i], "database {i}");
    }
}
