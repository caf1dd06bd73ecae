//! `ltx verify FILE...`: read every file completely and check all its checksums.

use std::path::Path;

use super::args::{parse, FlagSpec};
use super::messages::VERIFY;
use super::stream::stream_file;
use super::CmdResult;

/// Print `FILE: error` for each invalid file, then `ok` or `N ok, M invalid` (exit 1).
pub(crate) fn run(args: &[String]) -> CmdResult {
    let p = parse(
        args,
        &FlagSpec {
            strings: &[],
            bools: &[],
        },
    )?;
    if p.args.is_empty() {
        return Err("at least one LTX file must be specified".into());
    }
    let (mut ok, mut invalid) = (0, 0);
    for name in &p.args {
        match stream_file(Path::new(name), |_| Ok(())) {
            Ok(()) => ok += 1,
            Err(f) => {
                invalid += 1;
                println!("{name}: {}", f.text(&VERIFY));
            }
        }
    }
    if invalid != 0 {
        return Err(format!("{ok} ok, {invalid} invalid"));
    }
    println!("ok");
    Ok(())
}
