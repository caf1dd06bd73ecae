//! `ltx checksum DB`: the LTX database checksum of a SQLite file.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use litestream_core::ltx::{is_valid_page_size, lock_pgno, DbChecksum};

use super::args::{parse, FlagSpec};
use super::messages::{io_text, path_error};
use super::CmdResult;

/// Print the checksum as 16 hex digits.
pub(crate) fn run(args: &[String]) -> CmdResult {
    let p = parse(
        args,
        &FlagSpec {
            strings: &[],
            bools: &[],
        },
    )?;
    match p.args.len() {
        0 => return Err("Usage:\n\n\tlitestream ltx checksum PATH\n".into()),
        1 => {}
        _ => return Err("too many arguments".into()),
    }
    let path = Path::new(&p.args[0]);
    let file = File::open(path).map_err(|e| path_error("open", path, &e))?;
    let ck = db_checksum(&mut BufReader::new(file))?;
    println!("{ck:016x}");
    Ok(())
}

/// Read the page size from the SQLite header, then checksum every page (lock page
/// excluded). A partial last page is an error, as in Go.
fn db_checksum(r: &mut impl Read) -> Result<u64, String> {
    let mut head = [0u8; 100];
    read_full(r, &mut head)?;
    let page_size = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65536,
        n => u32::from(n),
    };
    if !is_valid_page_size(page_size) {
        return Err(format!("invalid page size: {page_size}"));
    }
    let mut page = vec![0u8; page_size as usize];
    page[..100].copy_from_slice(&head);
    let mut filled = 100;
    let mut ck = DbChecksum::new();
    let lock = lock_pgno(page_size);
    let mut pgno = 1u32;
    loop {
        let n = read_some(r, &mut page[filled..])?;
        if filled + n == 0 {
            return Ok(ck.value());
        }
        if filled + n < page.len() {
            return Err("unexpected EOF".into());
        }
        if pgno != lock {
            ck.add_page(pgno, &page);
        }
        pgno += 1;
        filled = 0;
    }
}

/// Like Go's `io.ReadFull`: "EOF" when nothing was read, "unexpected EOF" when some was.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<(), String> {
    let n = read_some(r, buf)?;
    match n {
        0 if !buf.is_empty() => Err("EOF".into()),
        n if n < buf.len() => Err("unexpected EOF".into()),
        _ => Ok(()),
    }
}

/// Read until `buf` is full or the input ends; returns the bytes read.
fn read_some(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, String> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_text(&e)),
        }
    }
    Ok(n)
}
