//! End-to-end tests of the control socket with `curl --unix-socket`: every endpoint's
//! status codes and JSON fields, a `/sync` with `"wait":true` followed by a restore,
//! bad bodies, and the pprof routes (a CPU profile read by `go tool pprof -top`).

use std::time::{Duration, Instant};

use litestream_e2e::ipc::{
    create_db, curl, curl_json, curl_post, http, json_keys, restore_count, sqlite3, Daemon,
};
use serde_json::Value;

/// `curl_json`, plus the object's keys in the order they were sent.
fn curl_keys(sock: &std::path::Path, path: &str, body: Option<&str>) -> (Value, Vec<String>) {
    let (code, text) = match body {
        Some(b) => curl_post(sock, path, b),
        None => curl(sock, path, &[]),
    };
    assert_eq!(code, 200, "{path}: {text}");
    let v = serde_json::from_str(&text).expect("json");
    (v, json_keys(&text))
}

fn is_rfc3339(s: &str) -> bool {
    s.len() >= 20 && s.as_bytes()[10] == b'T' && (s.ends_with('Z') || s.contains('+'))
}

#[test]
fn curl_every_endpoint_then_restore() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("app.db");
    let replica = dir.path().join("replica");
    create_db(&db);
    let sock = dir.path().join("ls.sock");
    let url = format!("file://{}", replica.display());
    let mut d = Daemon::start(&sock, &[db.to_str().unwrap(), &url]);
    let dbs = db.display().to_string();

    // GET /info
    let (info, k) = curl_keys(&sock, "/info", None);
    assert_eq!(
        k,
        [
            "version",
            "pid",
            "uptime_seconds",
            "started_at",
            "database_count"
        ]
    );
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["pid"], d.child.id());
    assert_eq!(info["database_count"], 1);
    assert!(info["uptime_seconds"].as_u64().expect("uptime") < 60);
    assert!(is_rfc3339(info["started_at"].as_str().expect("started_at")));

    // GET /list: replicating, and last_sync_at once an upload pass finished.
    let t = Instant::now();
    let entry = loop {
        let list = curl_json(&sock, "/list", None, 200);
        let e = list["databases"][0].clone();
        assert_eq!(list["databases"].as_array().expect("array").len(), 1);
        if e.get("last_sync_at").is_some() || t.elapsed() > Duration::from_secs(10) {
            break e;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(entry["path"], dbs.as_str());
    assert_eq!(entry["status"], "replicating");
    assert!(is_rfc3339(
        entry["last_sync_at"].as_str().expect("last_sync_at")
    ));

    // Rows written with sqlite3, then /sync with wait: the replica holds them.
    for i in 0..50 {
        sqlite3(&db, &format!("INSERT INTO t(v) VALUES ('row {i}');"));
    }
    let body = format!(r#"{{"path":"{dbs}","wait":true}}"#);
    let (s, k) = curl_keys(&sock, "/sync", Some(&body));
    assert_eq!(k, ["status", "path", "txid", "replicated_txid"]);
    assert_eq!(s["path"], dbs.as_str());
    assert!(s["status"] == "synced" || s["status"] == "no_change", "{s}");
    let txid = s["txid"].as_u64().expect("txid");
    assert!(txid > 0);
    assert_eq!(s["replicated_txid"], txid);

    // Nothing new: no_change; without wait a new write is synced_local.
    let s = curl_json(&sock, "/sync", Some(&body), 200);
    assert_eq!(s["status"], "no_change");
    sqlite3(&db, "INSERT INTO t(v) VALUES ('late');");
    let s = curl_json(&sock, "/sync", Some(&format!(r#"{{"path":"{dbs}"}}"#)), 200);
    // The WAL watcher may have synced the write already: then `no_change` is the truth.
    assert!(
        s["status"] == "synced_local" || s["status"] == "no_change",
        "{s}"
    );
    assert!(s["txid"].as_u64().expect("txid") > txid);
    let s = curl_json(&sock, "/sync", Some(&body), 200);
    let txid = s["txid"].as_u64().expect("txid");
    assert_eq!(s["replicated_txid"], txid);

    // GET /txid
    let (t, k) = curl_keys(&sock, &format!("/txid?path={dbs}"), None);
    assert_eq!(k, ["txid"]);
    assert_eq!(t["txid"], txid);

    // GET /debug/sync-status
    let st = curl_json(&sock, "/debug/sync-status", None, 200);
    assert_eq!(st["databases"][0]["path"], dbs.as_str());
    assert_eq!(st["databases"][0]["txid"], txid);
    let st = curl_json(&sock, &format!("/debug/sync-status?path={dbs}"), None, 200);
    assert_eq!(st["databases"].as_array().expect("array").len(), 1);

    // POST /stop, /start
    let p = format!(r#"{{"path":"{dbs}"}}"#);
    let (s, k) = curl_keys(&sock, "/stop", Some(&p));
    assert_eq!(k, ["status", "path", "txid"]);
    assert_eq!(
        (s["status"].as_str(), s["txid"].as_u64()),
        (Some("stopped"), Some(txid))
    );
    let s = curl_json(&sock, "/stop", Some(&p), 200);
    assert_eq!(s["status"], "already_stopped");
    let list = curl_json(&sock, "/list", None, 200);
    assert_eq!(list["databases"][0]["status"], "stopped");
    let e = curl_json(&sock, "/sync", Some(&p), 409);
    assert_eq!(e["error"], format!("database not open: {dbs}"));
    let s = curl_json(&sock, "/start", Some(&p), 200);
    assert_eq!(
        (s["status"].as_str(), s["path"].as_str()),
        (Some("started"), Some(dbs.as_str()))
    );
    let s = curl_json(&sock, "/start", Some(&p), 200);
    assert_eq!(s["status"], "already_running");

    // Unknown databases are 404 everywhere.
    let other = r#"{"path":"/nope.db"}"#;
    for ep in ["/sync", "/start", "/stop"] {
        let e = curl_json(&sock, ep, Some(other), 404);
        assert_eq!(e["error"], "database not found: /nope.db", "{ep}");
    }
    let e = curl_json(&sock, "/txid?path=/nope.db", None, 404);
    assert_eq!(
        e["error"], "database not found",
        "IPC.md: /txid names no path"
    );
    let e = curl_json(&sock, "/debug/sync-status?path=/nope.db", None, 404);
    assert_eq!(e["error"], "database not found");
    let (s, k) = curl_keys(&sock, "/unregister", Some(other));
    assert_eq!(k, ["status", "path", "txid"]);
    assert_eq!(s["status"], "already_unregistered");

    // Routing errors.
    let (code, text) = curl(&sock, "/list", &["-X", "POST"]);
    assert_eq!((code, text.as_str()), (405, "Method Not Allowed\n"));
    let (code, text) = curl(&sock, "/list/", &[]);
    assert_eq!((code, text.as_str()), (404, "404 page not found\n"));
    let (code, _) = curl(&sock, "/sync", &[]);
    assert_eq!(code, 405);
    let e = curl_json(
        &sock,
        "/register",
        Some(&format!(r#"{{"path":"{dbs}"}}"#)),
        400,
    );
    assert_eq!(e["error"], "replica_url required");

    // Restore after a final sync on shutdown contains every row.
    assert!(d.terminate().success());
    let out = dir.path().join("restored.db");
    assert_eq!(restore_count(&url, &out), 51);
}

#[test]
fn bad_bodies_get_4xx_and_the_daemon_keeps_serving() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("ls.sock");
    let _d = Daemon::start(&sock, &[]);

    // 10 MB of JSON.
    let big = format!(r#"{{"path":"/a.db","pad":"{}"}}"#, "x".repeat(10 << 20));
    let file = dir.path().join("big.json");
    std::fs::write(&file, &big).expect("write body");
    let (code, text) = curl(
        &sock,
        "/sync",
        &[
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            &format!("@{}", file.display()),
        ],
    );
    assert_eq!(code, 413, "{text}");
    assert!(text.contains("too large"), "{text}");
    let (code, _, _) = http(&sock, "POST", "/register", Some(big.as_bytes())).expect("raw");
    assert_eq!(code, 413);

    // Invalid UTF-8, wrong types, malformed, empty.
    let mut bad = br#"{"path":"/a"#.to_vec();
    bad.extend_from_slice(&[0xff, 0xfe, b'"', b'}']);
    let (code, _, body) = http(&sock, "POST", "/sync", Some(&bad)).expect("raw");
    assert_eq!(code, 400, "{}", String::from_utf8_lossy(&body));
    for (ep, body, details) in [
        (
            "/sync",
            r#"{"path":1}"#,
            "json: cannot unmarshal number into Go struct field SyncRequest.path of type string",
        ),
        (
            "/sync",
            r#"{"path":"/a","wait":"yes"}"#,
            "json: cannot unmarshal string into Go struct field SyncRequest.wait of type bool",
        ),
        (
            "/stop",
            r#"{"path":"/a","timeout":"30"}"#,
            "json: cannot unmarshal string into Go struct field StopRequest.timeout of type int",
        ),
        ("/start", "{", "unexpected EOF"),
        ("/register", "nope", ""),
    ] {
        let (code, text) = curl_post(&sock, ep, body);
        assert_eq!(code, 400, "{ep} {body}: {text}");
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["error"], "invalid request body");
        if !details.is_empty() {
            assert_eq!(v["details"], details, "{ep} {body}");
        }
    }
    let (code, text) = curl(&sock, "/unregister", &["-X", "POST"]);
    assert_eq!(code, 400);
    assert_eq!(
        text,
        "{\"error\":\"invalid request body\",\"details\":\"EOF\"}\n"
    );
    let e = curl_json(&sock, "/sync", Some(r#"{"path":"relative.db"}"#), 400);
    assert!(
        e["error"].as_str().expect("error").contains("relative"),
        "{e}"
    );

    // Still serving.
    let list = curl_json(&sock, "/list", None, 200);
    assert_eq!(list, serde_json::json!({"databases": []}));
}

#[test]
fn slow_sync_wait_does_not_block_other_requests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("app.db");
    create_db(&db);
    let replica = dir.path().join("replica");
    let url = format!("file://{}", replica.display());
    let sock = dir.path().join("ls.sock");
    let _d = Daemon::start(&sock, &[db.to_str().unwrap(), &url]);
    let body = format!(r#"{{"path":"{}","wait":true,"timeout":3}}"#, db.display());
    let synced = curl_json(&sock, "/sync", Some(&body), 200);
    let txid = synced["replicated_txid"].as_u64().expect("replicated_txid");
    // The next upload's staging file is a FIFO nobody reads: opening it for writing
    // blocks, so the upload hangs and `/sync` with wait runs into its timeout.
    let next = litestream_core::ltx::format_filename(txid + 1, txid + 1);
    let fifo = std::ffi::CString::new(format!("{}/ltx/0/{next}.tmp", replica.display())).unwrap();
    // SAFETY: plain syscall with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0, "mkfifo");
    sqlite3(&db, "INSERT INTO t(v) VALUES ('x');");
    let s2 = sock.clone();
    let started = Instant::now();
    let slow = std::thread::spawn(move || curl_post(&s2, "/sync", &body));
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..20 {
        let t = Instant::now();
        curl_json(&sock, "/list", None, 200);
        assert!(t.elapsed() < Duration::from_secs(1));
    }
    let (code, text) = slow.join().expect("join");
    assert!(started.elapsed() >= Duration::from_secs(3), "{text}");
    assert_eq!(code, 500, "{text}");
    assert!(text.contains("did not complete within"), "{text}");
}

fn go_binary() -> String {
    for cand in ["go", "/usr/lib/go/bin/go", "/usr/local/go/bin/go"] {
        if std::process::Command::new(cand)
            .arg("version")
            .output()
            .is_ok()
        {
            return cand.to_string();
        }
    }
    panic!("`go` not found: install Debian's golang-go (apt-get install golang-go)");
}

#[test]
fn pprof_routes_and_cpu_profile_read_by_go_tool_pprof() {
    let go = go_binary();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("app.db");
    create_db(&db);
    let sock = dir.path().join("ls.sock");
    let url = format!("file://{}/replica", dir.path().display());
    let _d = Daemon::start(&sock, &[db.to_str().unwrap(), &url]);

    let (code, text) = curl(&sock, "/debug/pprof/", &[]);
    assert_eq!(code, 200);
    assert!(
        text.contains("goroutine") && text.contains("profile"),
        "{text}"
    );
    let (code, _) = curl(&sock, "/debug/pprof", &[]);
    assert_eq!(code, 301);
    let (code, text) = curl(&sock, "/debug/pprof/goroutine?debug=2", &[]);
    assert_eq!(code, 200);
    assert!(text.starts_with("thread profile: total "), "{text}");
    assert!(text.contains("drive loop"), "{text}");
    let (code, text) = curl(&sock, "/debug/pprof/cmdline", &[]);
    assert_eq!(code, 200);
    assert!(text.contains("replicate\0-socket"), "{text:?}");
    for name in ["heap", "allocs", "block", "mutex", "trace"] {
        let e = curl_json(&sock, &format!("/debug/pprof/{name}"), None, 501);
        assert!(e["error"]
            .as_str()
            .expect("error")
            .contains("supported profiles"));
    }
    let (code, _) = curl(&sock, "/debug/pprof/nope", &[]);
    assert_eq!(code, 404);

    // Load while profiling: writes, syncs and list requests.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (s2, stop2, db2) = (sock.clone(), stop.clone(), db.clone());
    let load = std::thread::spawn(move || {
        let body = format!(r#"{{"path":"{}","wait":true}}"#, db2.display());
        let mut i = 0;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            sqlite3(
                &db2,
                &format!("INSERT INTO t(v) VALUES (randomblob(4000)||{i});"),
            );
            curl_post(&s2, "/sync", &body);
            for _ in 0..20 {
                let _ = http(&s2, "GET", "/list", None);
            }
            i += 1;
        }
    });
    let prof = dir.path().join("cpu.pb");
    let (code, _) = curl(
        &sock,
        "/debug/pprof/profile?seconds=3",
        &["-o", prof.to_str().unwrap()],
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    load.join().expect("load thread");
    assert_eq!(code, 200);
    let out = std::process::Command::new(&go)
        .args(["tool", "pprof", "-top"])
        .arg(&prof)
        .env("HOME", dir.path())
        .output()
        .expect("go tool pprof");
    let top = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        top.contains("litestream"),
        "no litestream function in:\n{top}"
    );
}
