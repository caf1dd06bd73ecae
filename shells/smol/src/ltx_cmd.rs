//! `litestream ltx`: with a tool subcommand (`verify`, `dump`, `checksum`, `apply`,
//! `encode-db`, `list`) it inspects LTX files (`ltx_tools`); otherwise it lists the LTX
//! files of a database's replica or of a replica URL, as Litestream does.

use std::process::ExitCode;

use litestream_core::io::ObjectInfo;
use litestream_core::ltx;

use crate::local_cmds::tabwrite;
use crate::{flag_true, log, parse_flags, setup};

const TOOLS: [&str; 6] = ["verify", "dump", "checksum", "apply", "encode-db", "list"];

/// Entry point for `litestream ltx ARGS`.
pub fn run(args: &[String]) -> ExitCode {
    if is_tool_invocation(args) {
        return crate::ltx_tools::run(args);
    }
    match list(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Tool subcommands, no arguments (usage) and bare words that cannot be a database path
/// or replica URL go to the LTX tools; flags, paths and URLs list a replica.
fn is_tool_invocation(args: &[String]) -> bool {
    let Some(first) = args.first() else {
        return true;
    };
    if TOOLS.contains(&first.as_str()) {
        return true;
    }
    if first.starts_with('-') {
        return matches!(first.as_str(), "-h" | "-help" | "--help");
    }
    let path_like = first.contains('/')
        || first.contains('.')
        || first.contains("://")
        || std::path::Path::new(first).exists();
    !path_like
}

fn list(args: &[String]) -> Result<(), String> {
    let (flags, pos) = parse_flags(
        "ltx",
        args,
        &["config", "level"],
        &["no-expand-env", "json"],
    )?;
    let [source] = pos.as_slice() else {
        return Err(if pos.is_empty() {
            "database path or replica URL required".into()
        } else {
            "too many arguments".into()
        });
    };
    let levels: Vec<u8> = match flags.get("level").map(String::as_str) {
        None => vec![0],
        Some("all") => (0..=9).collect(),
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (0..=9).contains(&n) => vec![u8::try_from(n).unwrap_or(0)],
            Ok(_) => return Err("level must be between 0 and 9".into()),
            Err(_) => return Err("invalid level: must be 0-9 or \"all\"".into()),
        },
    };
    let client = if litestream_core::config::is_url(source) {
        setup::client_from_url(source)?
    } else {
        let entry = setup::db_of_config(
            flags.get("config").map(String::as_str),
            !flag_true(&flags, "no-expand-env"),
            source,
        )?;
        setup::replica_client(&entry.replica.target)?
    };
    let mut files: Vec<ObjectInfo> = Vec::new();
    for l in levels {
        files.extend(
            client
                .list(l)
                .map_err(|e| format!("list level {l}: {}", e.message()))?,
        );
    }
    if flag_true(&flags, "json") {
        let v: Vec<_> = files
            .iter()
            .map(|f| {
                serde_json::json!({
                    "level": f.key.level,
                    "min_txid": ltx::format_txid(f.key.min_txid),
                    "max_txid": ltx::format_txid(f.key.max_txid),
                    "size": f.size,
                    "timestamp": log::rfc3339(f.created, 0),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(());
    }
    let mut rows = vec![["level", "min_txid", "max_txid", "size", "created"]
        .map(String::from)
        .to_vec()];
    for f in &files {
        rows.push(vec![
            f.key.level.to_string(),
            ltx::format_txid(f.key.min_txid),
            ltx::format_txid(f.key.max_txid),
            f.size.to_string(),
            log::rfc3339(f.created, 0),
        ]);
    }
    print!("{}", tabwrite(&rows));
    Ok(())
}
