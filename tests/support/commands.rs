//! Running `litestream` subcommands to completion.

use std::process::{Command, Output, Stdio};

use crate::litestream_bin;

/// Run `litestream ARGS` to completion.
pub fn litestream(args: &[&str]) -> Output {
    Command::new(litestream_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run litestream")
}

/// `(min, max)` TXIDs of a replica's L0 files, sorted, as `litestream ltx -json URL`
/// lists them with `env` added to its environment; `Err` with its stderr when it fails.
pub fn list_l0_url(url: &str, env: &[(String, String)]) -> Result<Vec<(u64, u64)>, String> {
    let out = Command::new(litestream_bin())
        .args(["ltx", "-json", url])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run litestream ltx");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("ltx -json output: {e}"))?;
    let txid = |f: &serde_json::Value, k: &str| {
        f[k].as_str()
            .and_then(|t| u64::from_str_radix(t, 16).ok())
            .ok_or_else(|| format!("ltx -json: bad {k} in {f}"))
    };
    let mut ranges = v
        .as_array()
        .ok_or("ltx -json: not an array")?
        .iter()
        .map(|f| Ok((txid(f, "min_txid")?, txid(f, "max_txid")?)))
        .collect::<Result<Vec<_>, String>>()?;
    ranges.sort();
    Ok(ranges)
}

/// The `Error:` lines of a command's stderr; asserts exit code 1 and exactly one.
pub fn one_error_line(o: &Output) -> String {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(1),
        "expected exit code 1; stderr: {stderr}"
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("Error:")).collect();
    assert_eq!(
        errors.len(),
        1,
        "expected exactly one `Error:` line, got stderr:\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "the command panicked:\n{stderr}"
    );
    errors[0].to_string()
}
