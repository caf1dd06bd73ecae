//! Helpers shared by the golden tests: where the golden data is, reading it, page splits.

#![allow(dead_code)]

use std::path::PathBuf;

use litestream_core::ltx::{decode_file, DecodedFile};

pub fn golden() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/testdata/ltx-golden"
    ));
    assert!(dir.is_dir(), "golden data missing at {}", dir.display());
    dir
}

pub fn read(rel: &str) -> Vec<u8> {
    let p = golden().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn read_text(rel: &str) -> String {
    String::from_utf8(read(rel)).expect("utf-8 golden text")
}

pub fn decode(rel: &str) -> DecodedFile {
    decode_file(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

pub fn db_pages(db: &[u8], page_size: usize) -> Vec<(u32, Vec<u8>)> {
    db.chunks(page_size)
        .enumerate()
        .map(|(i, p)| (i as u32 + 1, p.to_vec()))
        .collect()
}

pub const C11: &str = "c-rows-1024/0000000000000001-0000000000000001.ltx";
pub const C22: &str = "c-rows-1024/0000000000000002-0000000000000002.ltx";
pub const C33: &str = "c-rows-1024/0000000000000003-0000000000000003.ltx";
pub const C13: &str = "c-rows-1024/0000000000000001-0000000000000003.ltx";
pub const C22_NOCK: &str = "c-rows-1024/nochecksum/0000000000000002-0000000000000002.ltx";
