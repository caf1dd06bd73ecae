//! `litestream ltx <tool>`: the reference Go `ltx` tool's inspection commands (`verify`,
//! `dump`, `checksum`, `apply`, `encode-db`, `list`), with the same texts and exit codes.
//!
//! As in Go, errors go to stdout and exit 1; only `list` reports per-file errors on stderr
//! and exits 0. `apply` improves on Go: it checks every file completely before it writes.

mod apply;
mod args;
mod checksum;
mod dump;
mod encode_db;
mod format;
mod list;
mod messages;
mod stream;
mod verify;

use std::io::Write;
use std::process::ExitCode;

/// What a command reports when it fails: the text printed on stdout before exiting 1.
pub(crate) type CmdResult = Result<(), String>;

const USAGE: &str = "litestream ltx is a set of tools for inspecting LTX files.

Usage:

\tlitestream ltx <command> [arguments]
\tlitestream ltx [-level N|all] [-json] [-config PATH] DB_PATH|REPLICA_URL

The second form lists a replica's LTX files (TXID ranges, sizes, timestamps).

The commands are:

\tapply        applies a set of LTX files to a database
\tchecksum     computes the LTX checksum of a database file
\tdump         writes out metadata and page data for an LTX file
\tencode-db    encodes an SQLite database into an LTX file
\tlist         lists header & trailer fields for LTX files in a table
\tverify       reads & verifies checksums of a set of LTX files
";

/// Run one tool; `args` are the words after `litestream ltx`.
pub fn run(args: &[String]) -> ExitCode {
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => ("", &[][..]),
    };
    let result = match cmd {
        "apply" => apply::run(rest),
        "checksum" => checksum::run(rest),
        "dump" => dump::run(rest),
        "encode-db" => encode_db::run(rest),
        "list" => list::run(rest),
        "verify" => verify::run(rest),
        "" | "help" | "-h" | "--help" => Err(USAGE.to_string()),
        c if c.starts_with('-') => Err(USAGE.to_string()),
        c => Err(format!("litestream ltx {c}: unknown command")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            let mut out = std::io::stdout().lock();
            // Nothing sensible is left to do if stdout itself is gone.
            let _ = writeln!(out, "{msg}");
            let _ = out.flush();
            ExitCode::FAILURE
        }
    }
}
