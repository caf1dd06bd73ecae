//! `litestream`: the daemon and command-line tool.

mod driver;
mod fs;
mod ipc_cli;
mod log;
mod pprof;
mod progress;
mod replica;
mod replicate;
mod restore;
mod restore_cmd;
mod socket;
mod sqlite;
mod watch;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or(&[]);
    let result = match args.first().map(String::as_str) {
        Some("version") => {
            if rest.iter().any(|a| a.trim_start_matches('-') == "verbose") {
                println!("Version:     {}", env!("CARGO_PKG_VERSION"));
                println!("SQLite:      {}", sqlite::sqlite_version());
                println!(
                    "OS/Arch:     {}/{}",
                    std::env::consts::OS,
                    std::env::consts::ARCH
                );
            } else {
                println!("{}", env!("CARGO_PKG_VERSION"));
            }
            Ok(())
        }
        Some("replicate") => replicate::run(rest),
        Some("restore") => restore_cmd::run(rest),
        Some(cmd @ ("list" | "info" | "register" | "unregister" | "sync" | "start" | "stop")) => {
            ipc_cli::run(cmd, rest)
        }
        Some("help" | "-h" | "-help" | "--help") => {
            println!("{}", USAGE);
            Ok(())
        }
        Some(cmd) if !cmd.starts_with('-') => Err(format!("litestream {cmd}: unknown command")),
        _ => {
            eprintln!("{}", USAGE);
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("Error: {msg}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "litestream is a tool for replicating SQLite databases.

Usage:

	litestream <command> [arguments]

The commands are:

	databases    list databases specified in config file
	ltx          list available LTX files for a database, or inspect LTX files
	replicate    runs a server to replicate databases
	restore      recovers database backup from a replica
	version      prints the binary version";

/// Minimal Go-`flag`-style parsing: `-name value`, `-name=value`, bools as `-name`;
/// stops at the first positional. Returns (values, positionals).
pub fn parse_flags(
    args: &[String],
    valued: &[&str],
    bools: &[&str],
) -> Result<(std::collections::BTreeMap<String, String>, Vec<String>), String> {
    let mut out = std::collections::BTreeMap::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            i += 1;
            break;
        }
        if !a.starts_with('-') || a == "-" {
            break;
        }
        let body = a.trim_start_matches('-');
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        if bools.contains(&name) {
            let v = inline.unwrap_or_else(|| "true".into());
            if !matches!(
                v.as_str(),
                "true" | "false" | "1" | "0" | "t" | "f" | "TRUE" | "FALSE" | "True" | "False"
            ) {
                return Err(format!(
                    "invalid boolean value {v:?} for -{name}: parse error"
                ));
            }
            out.insert(name.to_string(), v);
        } else if valued.contains(&name) {
            let v = match inline {
                Some(v) => v,
                None => {
                    i += 1;
                    args.get(i)
                        .cloned()
                        .ok_or_else(|| format!("flag needs an argument: -{name}"))?
                }
            };
            out.insert(name.to_string(), v);
        } else {
            return Err(format!("flag provided but not defined: -{name}"));
        }
        i += 1;
    }
    Ok((out, args[i..].to_vec()))
}

/// True for `true`-like flag values.
pub fn flag_true(flags: &std::collections::BTreeMap<String, String>, name: &str) -> bool {
    flags
        .get(name)
        .is_some_and(|v| matches!(v.as_str(), "true" | "1" | "t" | "TRUE" | "True"))
}
