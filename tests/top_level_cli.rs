//! The top-level command line as Go's `litestream` has it: `help`/`-h`/`--help` print the
//! usage and exit 0; no command or an unknown flag such as `--version` print the same usage
//! and exit 1; `version` prints the bare version; an unknown command is a one-line error.

use std::process::{Command, Output};

use litestream_e2e::litestream_bin;

fn run(args: &[&str]) -> Output {
    Command::new(litestream_bin())
        .args(args)
        .output()
        .expect("run litestream")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const FIRST_LINE: &str = "litestream is a tool for replicating SQLite databases.";

#[test]
fn help_prints_usage_and_succeeds() {
    for arg in ["help", "-h", "-help", "--help"] {
        let o = run(&[arg]);
        assert_eq!(o.status.code(), Some(0), "{arg}");
        let out = stdout(&o);
        assert!(out.starts_with(FIRST_LINE), "{arg}: {out}");
        assert!(out.contains("\treplicate    runs a server"), "{arg}: {out}");
        assert!(o.stderr.is_empty(), "{arg}");
    }
}

#[test]
fn dash_version_and_no_command_print_usage_and_fail() {
    let help = stdout(&run(&["help"]));
    for args in [&["--version"][..], &["-version"], &["-x", "replicate"], &[]] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert_eq!(stdout(&o), help, "{args:?}: the same usage on stdout");
        assert!(o.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn version_and_unknown_command() {
    let o = run(&["version"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), format!("{}\n", env!("CARGO_PKG_VERSION")));

    let o = run(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "Error: litestream frobnicate: unknown command\n"
    );
}
