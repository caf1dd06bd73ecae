//! `litestream`: the daemon and command-line tool.

use std::process::ExitCode;

mod ltx_tools;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("ltx") => ltx_tools::run(&args[1..]),
        Some("version") => {
            println!("{}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(cmd) => {
            eprintln!("Error: litestream {cmd}: unknown command");
            ExitCode::FAILURE
        }
        None => {
            eprintln!("usage: litestream <command> [arguments]");
            ExitCode::FAILURE
        }
    }
}
