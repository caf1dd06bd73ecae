//! `litestream start|stop|register|unregister|sync DB_PATH`: POST requests about one
//! database.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{absolute_db_path, failure, print_json, Common};

/// The daemon's answer to these endpoints.
#[derive(Deserialize)]
struct StatusBody {
    status: String,
    path: String,
    #[serde(default)]
    txid: u64,
    #[serde(default)]
    replicated_txid: u64,
}

#[derive(Serialize)]
struct StateOut<'a> {
    status: &'a str,
    db_path: &'a str,
    state: &'a str,
    txid: u64,
    socket: &'a str,
}

#[derive(Serialize)]
struct RegisterOut<'a> {
    status: &'a str,
    db_path: &'a str,
    replica: &'a str,
    socket: &'a str,
}

#[derive(Serialize)]
struct UnregisterOut<'a> {
    status: &'a str,
    db_path: &'a str,
    final_txid: u64,
    socket: &'a str,
}

#[derive(Serialize)]
struct SyncOut<'a> {
    db_path: &'a str,
    txid: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    replica_txid: Option<u64>,
    duration_ms: u64,
}

/// Run one of `start`, `stop`, `register`, `unregister`, `sync`.
pub fn run(cmd: &str, args: &[String]) -> Result<(), String> {
    let (flags, pos) = crate::parse_flags(
        cmd,
        args,
        &["socket", "timeout", "replica"],
        &["json", "wait", "dry-run"],
    )?;
    let reject = |name: &str| -> Result<(), String> {
        let allowed = match cmd {
            "register" => name == "replica",
            "unregister" => name == "dry-run",
            "sync" => name == "wait",
            _ => false,
        };
        if flags.contains_key(name) && !allowed {
            return Err(format!("flag provided but not defined: -{name}"));
        }
        Ok(())
    };
    for name in ["replica", "dry-run", "wait"] {
        reject(name)?;
    }
    let common = Common::from_flags(&flags, 30)?;
    let try_line = if cmd == "register" {
        "Try: litestream register -replica s3://bucket/prefix /path/to/db".to_string()
    } else {
        format!("Try: litestream {cmd} /path/to/db")
    };
    let replica = flags.get("replica").cloned().unwrap_or_default();
    let raw = match pos.as_slice() {
        [] => return Err(format!("database path required\n{try_line}")),
        [p] => p.clone(),
        _ => return Err("too many arguments".into()),
    };
    if cmd == "register" && replica.is_empty() {
        return Err(format!("-replica is required\n{try_line}"));
    }
    if matches!(cmd, "register" | "unregister" | "sync") {
        common.require_positive_timeout()?;
    }
    let path = absolute_db_path(&raw)?;
    let socket = common.socket_text();
    if cmd == "unregister" && crate::flag_true(&flags, "dry-run") {
        println!("Dry run: unregister request preview");
        println!("  database: {path}");
        println!("  socket: {socket}");
        println!("  replicas: daemon-managed replica for this database");
        println!("  final sync: daemon close will sync the database and replica before the command completes");
        println!("  timeout: {}s", common.timeout);
        println!("No unregister request was sent.");
        return Ok(());
    }
    let wait = crate::flag_true(&flags, "wait");
    let mut body = serde_json::Map::new();
    body.insert("path".into(), path.clone().into());
    match cmd {
        "register" => {
            body.insert("replica_url".into(), replica.clone().into());
        }
        "sync" if wait => {
            body.insert("wait".into(), true.into());
        }
        _ => {}
    }
    if cmd != "register" && common.timeout != 0 {
        body.insert("timeout".into(), common.timeout.into());
    }
    let body = serde_json::Value::Object(body).to_string();
    let started = Instant::now();
    let reply = common.call("POST", &format!("/{cmd}"), Some(body.as_bytes()))?;
    let elapsed = started.elapsed();
    if reply.status != 200 {
        return Err(failure(cmd, &reply));
    }
    let r: StatusBody = serde_json::from_slice(&reply.body)
        .map_err(|e| format!("failed to parse response: {e}"))?;
    let json = common.json;
    match cmd {
        "start" | "stop" => {
            let state = if cmd == "start" { "running" } else { "stopped" };
            let out = StateOut {
                status: &r.status,
                db_path: &r.path,
                state,
                txid: r.txid,
                socket: &socket,
            };
            if json {
                return print_json(&out);
            }
            println!("status: {}", out.status);
            println!("db_path: {}", out.db_path);
            println!("state: {state}");
            println!("txid: {}", out.txid);
            println!("socket: {socket}");
        }
        "register" => {
            let out = RegisterOut {
                status: &r.status,
                db_path: &r.path,
                replica: &replica,
                socket: &socket,
            };
            if json {
                return print_json(&out);
            }
            println!("status: {}", r.status.replace('_', " "));
            println!("db_path: {}", r.path);
            println!("replica: {replica}");
            println!("socket: {socket}");
        }
        "unregister" => {
            let out = UnregisterOut {
                status: &r.status,
                db_path: &r.path,
                final_txid: r.txid,
                socket: &socket,
            };
            if json {
                return print_json(&out);
            }
            println!("status: {}", r.status);
            println!("db_path: {}", r.path);
            println!("final_txid: {}", r.txid);
            println!("socket: {socket}");
        }
        _ => {
            let out = SyncOut {
                db_path: &r.path,
                txid: r.txid,
                replica_txid: wait.then_some(r.replicated_txid),
                duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            };
            if json {
                return print_json(&out);
            }
            println!("db_path: {}", out.db_path);
            println!("txid: {}", out.txid);
            if let Some(t) = out.replica_txid {
                println!("replica_txid: {t}");
            }
            println!("duration_ms: {}", out.duration_ms);
        }
    }
    Ok(())
}
