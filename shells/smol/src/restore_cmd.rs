//! `litestream restore` argument handling and output.

use std::collections::BTreeMap;

use litestream_core::io::{ObjectInfo, ObjectKey};
use litestream_core::ltx;
use litestream_core::plan::restore::{PlanError, RestoreTarget};

use crate::replica::ReplicaClient;
use crate::restore::{self, PlanFailure, RestoreOptions};
use crate::{flag_true, log, parse_flags, setup};

/// Entry point for `litestream restore ARGS`.
pub fn run(args: &[String]) -> Result<(), String> {
    let (flags, pos) = parse_flags(
        "restore",
        args,
        &[
            "config",
            "o",
            "txid",
            "timestamp",
            "parallelism",
            "integrity-check",
            "follow-interval",
        ],
        &[
            "if-db-not-exists",
            "if-replica-exists",
            "dry-run",
            "force",
            "json",
            "f",
            "no-expand-env",
        ],
    )?;
    let [source] = pos.as_slice() else {
        return Err(if pos.is_empty() {
            "database path or replica URL required".into()
        } else {
            "too many arguments".into()
        });
    };
    if flag_true(&flags, "f") {
        return Err(
            "follow mode (-f) is not supported by this build yet; run restore without -f".into(),
        );
    }
    let is_url = litestream_core::config::is_url(source);
    let (client, output) = if is_url {
        if flags.contains_key("config") {
            return Err("cannot specify a replica URL and the -config flag".into());
        }
        let output = flags
            .get("o")
            .ok_or("-o is required when restoring from a replica URL")?;
        (
            setup::client_from_url(source)?,
            setup::expand_db_path(output)?,
        )
    } else {
        let entry = setup::db_of_config(
            flags.get("config").map(String::as_str),
            !flag_true(&flags, "no-expand-env"),
            source,
        )?;
        let db = setup::expand_db_path(source)?;
        let output = match flags.get("o") {
            Some(o) => setup::expand_db_path(o)?,
            None => db.clone(),
        };
        (setup::replica_client(&entry.replica.target)?, output)
    };
    let mut target = RestoreTarget::default();
    if let Some(t) = flags.get("txid") {
        target.txid = Some(
            ltx::parse_txid(t)
                .filter(|_| t.len() == 16)
                .ok_or_else(|| {
                    format!("invalid -txid {t:?}: must be 16 hex digits, e.g. 0000000000000002")
                })?,
        );
    }
    if let Some(ts) = flags.get("timestamp") {
        if target.txid.is_some() {
            return Err("cannot specify both -txid and -timestamp".into());
        }
        target.timestamp = Some(log::parse_rfc3339(ts).ok_or(
            "invalid -timestamp, must specify in ISO 8601 format (e.g. 2000-01-01T00:00:00Z)",
        )?);
    }
    let integrity = match flags.get("integrity-check").map(String::as_str) {
        None | Some("none") => None,
        Some(m @ ("quick" | "full")) => Some(m.to_string()),
        Some(m) => return Err(format!("invalid -integrity-check value: {m}")),
    };
    if flag_true(&flags, "if-db-not-exists") && output.exists() {
        log::log(
            litestream_core::emit::Level::Info,
            "database already exists, skipping",
            &[("db", &output.display().to_string())],
        );
        return Ok(());
    }
    let files = match plan_or_skip(client.as_ref(), target, &[], &flags)? {
        Some(f) => f,
        None => return Ok(()),
    };
    if flag_true(&flags, "dry-run") {
        let (min, max) = (files[0].key.min_txid, files[files.len() - 1].key.max_txid);
        if flag_true(&flags, "json") {
            let list: Vec<serde_json::Value> = files
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "level": f.key.level,
                        "name": ltx::format_filename(f.key.min_txid, f.key.max_txid),
                        "min_txid": ltx::format_txid(f.key.min_txid),
                        "max_txid": ltx::format_txid(f.key.max_txid),
                        "size": f.size,
                        "timestamp": log::rfc3339(f.created, 0),
                    })
                })
                .collect();
            let v = serde_json::json!({
                "source": source,
                "target_path": output.display().to_string(),
                "replica": client.kind(),
                "min_txid": ltx::format_txid(min),
                "max_txid": ltx::format_txid(max),
                "files": list,
            });
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            return Ok(());
        }
        println!(
            "Restore plan:\n  source: {source}\n  target: {}\n  replica: {}",
            output.display(),
            client.kind()
        );
        println!(
            "  txid range: {} - {}\n\nFiles to fetch:",
            ltx::format_txid(min),
            ltx::format_txid(max)
        );
        println!("level\tfile\tmin_txid\tmax_txid\tsize\ttimestamp");
        for f in &files {
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                f.key.level,
                ltx::format_filename(f.key.min_txid, f.key.max_txid),
                ltx::format_txid(f.key.min_txid),
                ltx::format_txid(f.key.max_txid),
                f.size,
                log::rfc3339(f.created, 0)
            );
        }
        return Ok(());
    }
    restore::prepare_output(&output, flag_true(&flags, "force"))?;
    let started = std::time::Instant::now();
    let opts = RestoreOptions {
        output: output.clone(),
        integrity_check: integrity.clone(),
    };
    let summary = restore_around_bad_files(client.as_ref(), target, files, &opts)?;
    if flag_true(&flags, "json") {
        let v = serde_json::json!({
            "db_path": output.display().to_string(),
            "replica": client.kind(),
            "txid": ltx::format_txid(summary.txid),
            "duration_ms": started.elapsed().as_millis() as u64,
            "integrity_check": integrity.unwrap_or_else(|| "none".into()),
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        log::log(
            litestream_core::emit::Level::Info,
            "restore complete",
            &[
                ("db", &output.display().to_string()),
                ("txid", &ltx::format_txid(summary.txid)),
                ("files", &summary.files.to_string()),
            ],
        );
    }
    Ok(())
}

/// The plan for `target` without the `excluded` files; `None` when `-if-replica-exists`
/// says a missing backup is not an error.
fn plan_or_skip(
    client: &dyn ReplicaClient,
    target: RestoreTarget,
    excluded: &[ObjectKey],
    flags: &BTreeMap<String, String>,
) -> Result<Option<Vec<ObjectInfo>>, String> {
    match restore::plan(client, target, excluded) {
        Ok(f) => Ok(Some(f)),
        Err(PlanFailure::Plan(PlanError::NoBackups | PlanError::TxidNotAvailable { .. }))
            if flag_true(flags, "if-replica-exists") =>
        {
            log::log(
                litestream_core::emit::Level::Info,
                "no matching backups found",
                &[],
            );
            Ok(None)
        }
        Err(PlanFailure::Plan(e)) => Err(e.to_string()),
        Err(PlanFailure::List(m)) => Err(m),
    }
}

/// Most replica files a restore routes around before giving up.
const MAX_BAD_FILES: usize = 8;

/// Apply `files`; when one of them turns out corrupt or unreadable, plan again without it
/// (a compacted file's transactions are usually still in the level below, or a snapshot
/// covers them) and start over, so one damaged file does not make a replica useless.
/// `replicate -restore-if-db-not-exists` restores through here too.
pub fn restore_around_bad_files(
    client: &dyn ReplicaClient,
    target: RestoreTarget,
    mut files: Vec<ObjectInfo>,
    opts: &RestoreOptions,
) -> Result<restore::RestoreSummary, String> {
    let mut excluded = Vec::new();
    let mut first_error: Option<String> = None;
    // The TXID the first plan reached: a plan without a bad file must still reach it, or
    // "latest" would quietly become an older state.
    let goal = files.last().map_or(0, |f| f.key.max_txid);
    loop {
        let failure = match restore::restore(client, &files, opts) {
            Ok(summary) => return Ok(summary),
            Err(f) => f,
        };
        let key = match failure.bad_file {
            Some(key) if excluded.len() < MAX_BAD_FILES => key,
            _ => return Err(first_error.unwrap_or(failure.message)),
        };
        log::log(
            litestream_core::emit::Level::Warn,
            &format!("{}: restoring without it", failure.message),
            &[],
        );
        let first = first_error.get_or_insert(failure.message).clone();
        excluded.push(key);
        let why = match restore::plan(client, target, &excluded) {
            Ok(f) if f.last().is_some_and(|l| l.key.max_txid >= goal) => {
                files = f;
                continue;
            }
            Ok(f) => format!(
                "without it the replica reaches only TXID {}, not {}",
                ltx::format_txid(f.last().map_or(0, |l| l.key.max_txid)),
                ltx::format_txid(goal)
            ),
            Err(PlanFailure::Plan(p)) => p.to_string(),
            Err(PlanFailure::List(m)) => m,
        };
        return Err(format!(
            "{first} (and no other replica files cover its transactions: {why})"
        ));
    }
}
