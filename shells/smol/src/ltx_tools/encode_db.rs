//! `ltx encode-db -o OUT DB`: a SQLite file as a one-transaction LTX snapshot (TXID 1-1,
//! flags 0, real post-apply checksum), streamed page by page into a temporary file that is
//! renamed over OUT.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use litestream_core::ltx::{lock_pgno, DbChecksum, Encoder, Header};

use super::args::{parse, FlagSpec};
use super::messages::{go_text, io_text, path_error};
use super::CmdResult;

/// Write the snapshot; on failure leave OUT untouched and no temporary file behind.
pub(crate) fn run(args: &[String]) -> CmdResult {
    let p = parse(
        args,
        &FlagSpec {
            strings: &["o"],
            bools: &[],
        },
    )?;
    let out_path = PathBuf::from(p.string("o"));
    match p.args.len() {
        0 => return Err("filename required".into()),
        1 => {}
        _ => return Err("too many arguments".into()),
    }
    if out_path.as_os_str().is_empty() {
        return Err("required: -o PATH".into());
    }
    let db_path = Path::new(&p.args[0]);
    let db = File::open(db_path)
        .map_err(|e| format!("open DB file: {}", path_error("open", db_path, &e)))?;
    let mut db = BufReader::new(db);
    let (page_size, page_count, first) =
        read_db_header(&mut db).map_err(|e| format!("read database header: {e}"))?;

    let dir = match out_path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = out_path
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{base}.tmp-{}", std::process::id()));
    let result = write_snapshot(&mut db, &tmp, page_size, page_count, first).and_then(|()| {
        std::fs::rename(&tmp, &out_path)
            .map_err(|e| format!("rename temporary output file: {}", io_text(&e)))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The SQLite header's page size and page count, and the 100 bytes read (page 1's start).
fn read_db_header(r: &mut impl Read) -> Result<(u32, u32, [u8; 100]), String> {
    let mut b = [0u8; 100];
    let mut n = 0;
    while n < b.len() {
        match r.read(&mut b[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_text(&e)),
        }
    }
    if n == 0 {
        return Err("empty database".into());
    }
    if n < b.len() || &b[..16] != b"SQLite format 3\0" {
        return Err("invalid database header".into());
    }
    let page_size = match u16::from_be_bytes([b[16], b[17]]) {
        1 => 65536,
        v => u32::from(v),
    };
    Ok((
        page_size,
        u32::from_be_bytes([b[28], b[29], b[30], b[31]]),
        b,
    ))
}

fn write_snapshot(
    db: &mut impl Read,
    tmp: &Path,
    page_size: u32,
    page_count: u32,
    first: [u8; 100],
) -> CmdResult {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    let header = Header {
        page_size,
        commit: page_count,
        min_txid: 1,
        max_txid: 1,
        timestamp: now_ms,
        ..Header::default()
    };
    let mut enc =
        Encoder::new(header).map_err(|e| format!("encode ltx header: {}", go_text(&e)))?;
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(|e| format!("create temporary output file: {}", io_text(&e)))?;
    let mut out = BufWriter::new(file);
    let write_err = |e: std::io::Error| format!("write ltx file: {}", io_text(&e));
    let mut page = vec![0u8; page_size as usize];
    let mut buf = Vec::new();
    let mut ck = DbChecksum::new();
    let lock = lock_pgno(page_size);
    for pgno in 1..=page_count {
        let from = if pgno == 1 {
            page[..100].copy_from_slice(&first);
            100
        } else {
            0
        };
        db.read_exact(&mut page[from..])
            .map_err(|e| format!("read page {pgno}: {}", io_text(&e)))?;
        if pgno == lock {
            continue;
        }
        enc.write_page(pgno, &page)
            .map_err(|e| format!("encode page {pgno}: {e}"))?;
        ck.add_page(pgno, &page);
        buf.clear();
        enc.drain_into(&mut buf);
        out.write_all(&buf).map_err(write_err)?;
    }
    enc.finish(ck.value())
        .map_err(|e| format!("close ltx encoder: {e}"))?;
    buf.clear();
    enc.drain_into(&mut buf);
    out.write_all(&buf).map_err(write_err)?;
    let file = out.into_inner().map_err(|e| write_err(e.into_error()))?;
    file.sync_all()
        .map_err(|e| format!("sync ltx file: {}", io_text(&e)))?;
    Ok(())
}
