//! Smoke test of `litestream ltx` through the real binary.
//!
//! Having an integration test here also makes `cargo test --workspace` build
//! `target/<profile>/litestream`, which the end-to-end tests in the root package run.

use std::process::Command;

#[test]
fn ltx_without_a_tool_prints_usage_and_exits_1() {
    let out = Command::new(env!("CARGO_BIN_EXE_litestream"))
        .arg("ltx")
        .output()
        .expect("run litestream");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("litestream ltx <command>"), "{text}");
    for tool in ["apply", "checksum", "dump", "encode-db", "list", "verify"] {
        assert!(
            text.contains(&format!("\t{tool} ")),
            "usage lacks {tool}: {text}"
        );
    }
}
