//! `litestream`: the daemon and command-line tool.

mod cli;
mod command;
mod compact;
mod dirscan;
mod driver;
mod exec;
mod fs;
mod ipc_cli;
mod limits;
mod local_cmds;
mod log;
mod ltx_cmd;
mod ltx_tools;
mod pprof;
mod progress;
mod replica;
mod replicate;
mod restore;
mod restore_cmd;
mod restore_interrupt;
mod restore_missing;
mod setup;
mod socket;
mod sqlite;
mod watch;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or(&[]);
    limits::raise_open_file_limit();
    if args.first().map(String::as_str) != Some("replicate") {
        // Rust ignores SIGPIPE, so `litestream ltx URL | head` would panic on its next
        // print; a CLI command should end quietly like other Unix tools (and Go's). The
        // daemon keeps ignoring it: a client hanging up must not kill it.
        // SAFETY: plain syscall at startup, before any thread exists.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let result = match args.first().map(String::as_str) {
        Some("version") => {
            let (flags, _) = match parse_flags("version", rest, &[], &["verbose"]) {
                Ok(p) => p,
                Err(_) => return ExitCode::from(2),
            };
            if flag_true(&flags, "verbose") {
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
        Some("ltx") => return ltx_cmd::run(rest),
        Some("wal") => {
            eprintln!("Warning: 'wal' command is deprecated, please use 'ltx' instead");
            return ltx_cmd::run(rest);
        }
        Some("databases") => local_cmds::databases(rest),
        Some("status") => local_cmds::status(rest),
        Some("reset") => local_cmds::reset(rest),
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
            // Go's `Main.Usage` prints to stdout here too; only the exit code differs.
            println!("{}", USAGE);
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
	info         show information about the running daemon (control socket)
	list         list databases managed by the running daemon (control socket)
	ltx          list available LTX files for a database, or inspect LTX files
	register     add a database to the running daemon (control socket)
	replicate    runs a server to replicate databases
	reset        remove local replication state of a database
	restore      recovers database backup from a replica
	start        resume replication of a database (control socket)
	status       show local replication status of each database
	stop         stop replication of a database (control socket)
	sync         sync a database now (control socket)
	unregister   remove a database from the running daemon (control socket)
	version      prints the binary version";

/// Parse `command`'s flags with Go `flag` semantics (`cli::flags`): `valued` flags take
/// a value, `bools` are switches. Returns the flags that were given (bools as `true` /
/// `false`) and the positionals. `-h` prints the command's usage to stdout and exits 0;
/// a bad flag prints Go's message and the usage to stderr and fails.
pub fn parse_flags(
    command: &str,
    args: &[String],
    valued: &[&str],
    bools: &[&str],
) -> Result<(std::collections::BTreeMap<String, String>, Vec<String>), String> {
    let mut fs = cli::flags::FlagSet::new();
    for v in valued {
        fs.string(v, "", flag_doc(v));
    }
    for b in bools {
        fs.bool(b, false, flag_doc(b));
    }
    let pos = match fs.parse(args) {
        Ok(p) => p,
        Err(cli::flags::FlagError::Help) => {
            println!("Usage of litestream-{command}:\n{}", fs.defaults_text());
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!(
                "{e}\nUsage of litestream-{command}:\n{}",
                fs.defaults_text()
            );
            return Err(e.to_string());
        }
    };
    let mut out = std::collections::BTreeMap::new();
    for name in valued.iter().chain(bools) {
        if fs.is_set(name) {
            let v = if bools.contains(name) {
                fs.get_bool(name).to_string()
            } else {
                fs.get_string(name).to_string()
            };
            out.insert((*name).to_string(), v);
        }
    }
    Ok((out, pos))
}

/// The usage text of a flag.
fn flag_doc(name: &str) -> &'static str {
    match name {
        "config" => "configuration file path (default $LITESTREAM_CONFIG or /etc/litestream.yml)",
        "no-expand-env" => "disable environment variable expansion in the configuration file",
        "exec" => "execute a subcommand; litestream exits when it does",
        "log-level" => "log level: debug, info, warn, error",
        "once" => "sync every database once, then exit",
        "force-snapshot" => "with -once: also write a snapshot",
        "enforce-retention" => "with -once: also enforce snapshot retention",
        "restore-if-db-not-exists" => {
            "restore databases that do not exist from their replicas first"
        }
        "o" => "output `path` of the restored database",
        "txid" => "restore up to this TXID (16 hex digits)",
        "timestamp" => "restore to this point in time (RFC 3339)",
        "parallelism" => "accepted for compatibility; unused",
        "integrity-check" => "after restoring run an integrity check: none, quick or full",
        "follow-interval" => "accepted for compatibility; follow mode is not supported",
        "if-db-not-exists" => "succeed without restoring if the database already exists",
        "if-replica-exists" => "succeed without restoring if there is no backup",
        "dry-run" => "print what would happen, change nothing",
        "force" => "replace an existing output database and its -wal/-shm/-journal files",
        "json" => "print JSON",
        "f" => "follow mode (not supported)",
        "level" => "compaction level 0-9 or all",
        "socket" => "control socket `path`",
        "timeout" => "seconds to wait for the daemon's answer",
        "replica" => "replica `url` of the database to register",
        "wait" => "wait until the replica holds the data",
        "verbose" => "also print the SQLite version and platform",
        _ => "",
    }
}

/// True for `true`-like flag values.
pub fn flag_true(flags: &std::collections::BTreeMap<String, String>, name: &str) -> bool {
    flags
        .get(name)
        .is_some_and(|v| matches!(v.as_str(), "true" | "1" | "t" | "TRUE" | "True"))
}
