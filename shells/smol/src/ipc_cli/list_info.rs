//! `litestream list` and `litestream info`: GET requests without a database argument.

use serde::{Deserialize, Serialize};

use super::{failure, go_duration, print_json, without_fraction, Common};

#[derive(Deserialize, Serialize)]
struct ListBody {
    databases: Vec<ListEntry>,
}

#[derive(Deserialize, Serialize)]
struct ListEntry {
    path: String,
    status: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    last_sync_at: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct InfoBody {
    version: String,
    pid: u64,
    uptime_seconds: u64,
    started_at: String,
    database_count: u64,
}

/// Run `list` or `info`.
pub fn run(cmd: &str, args: &[String]) -> Result<(), String> {
    let (flags, pos) = crate::parse_flags(cmd, args, &["socket", "timeout"], &["json"])?;
    let common = Common::from_flags(&flags, 10)?;
    if !pos.is_empty() {
        return Err("too many arguments".into());
    }
    common.require_positive_timeout()?;
    let reply = common.call("GET", &format!("/{cmd}"), None)?;
    if reply.status != 200 {
        return Err(failure(cmd, &reply));
    }
    let parse_err = |e: serde_json::Error| format!("failed to parse response: {e}");
    if cmd == "list" {
        let body: ListBody = serde_json::from_slice(&reply.body).map_err(parse_err)?;
        if common.json {
            return print_json(&body);
        }
        if body.databases.is_empty() {
            println!("No databases configured");
        }
        for db in &body.databases {
            let last = db
                .last_sync_at
                .as_deref()
                .map_or_else(|| "never".to_string(), without_fraction);
            println!("{} [{}] (last sync: {last})", db.path, db.status);
        }
        return Ok(());
    }
    let body: InfoBody = serde_json::from_slice(&reply.body).map_err(parse_err)?;
    if common.json {
        return print_json(&body);
    }
    println!("Litestream {}", body.version);
    println!("  PID:        {}", body.pid);
    println!("  Uptime:     {}", go_duration(body.uptime_seconds));
    println!("  Started at: {}", without_fraction(&body.started_at));
    println!("  Databases:  {}", body.database_count);
    Ok(())
}
