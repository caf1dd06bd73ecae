//! `ltx dump FILE`: header, every page as a hexdump, trailer — in the Go tool's layout.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use litestream_core::ltx::{DecodeEvent, Header, Stage, Trailer, HEADER_SIZE, MAGIC};

use super::args::{parse, FlagSpec};
use super::format::{hexdump, rfc3339_nano};
use super::messages::go_text;
use super::stream::{stream_file, Failure};
use super::CmdResult;

/// Print the dump on stdout. On a bad file Go prints what it has, then the error.
pub(crate) fn run(args: &[String]) -> CmdResult {
    let p = parse(
        args,
        &FlagSpec {
            strings: &[],
            bools: &[],
        },
    )?;
    match p.args.len() {
        0 => return Err("filename required".into()),
        1 => {}
        _ => return Err("too many arguments".into()),
    }
    let path = Path::new(&p.args[0]);
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut text = String::new();
    let mut frame = 0u64;
    let res = stream_file(path, |ev| {
        text.clear();
        match ev {
            DecodeEvent::Header(h) => {
                header_section(&mut text, &h, 3);
                text.push_str("# PAGE DATA\n");
            }
            DecodeEvent::Page { pgno, data } => {
                text.push_str(&format!("Frame #{frame}: pgno={pgno}\n"));
                hexdump(&mut text, data);
                text.push('\n');
                frame += 1;
            }
            DecodeEvent::Done(t) => {
                text.push('\n');
                trailer_section(&mut text, &t);
            }
        }
        out.write_all(text.as_bytes()).map_err(|e| e.to_string())
    });
    let err = match res {
        Ok(()) => None,
        Err(Failure::Ltx { stage, pages, err }) => {
            let mut tail = String::new();
            let msg = match stage {
                Stage::Header => {
                    let (h, version) = raw_header(path);
                    header_section(&mut tail, &h, version);
                    go_text(&err)
                }
                Stage::Pages => format!("decode page frame {pages}: {}", go_text(&err)),
                Stage::Trailer | Stage::Done => {
                    tail.push('\n');
                    trailer_section(&mut tail, &raw_trailer(path));
                    go_text(&err)
                }
            };
            let _ = out.write_all(tail.as_bytes());
            Some(msg)
        }
        Err(Failure::Io(s)) | Err(Failure::Callback(s)) => Some(s),
    };
    out.flush().map_err(|e| e.to_string())?;
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn header_section(s: &mut String, h: &Header, version: u32) {
    s.push_str(&format!(
        "# HEADER\n\
         Version:   {version}\n\
         Flags:     0x{:08x}\n\
         Page size: {}\n\
         Commit:    {}\n\
         Min TXID:  {:016x} ({})\n\
         Max TXID:  {:016x} ({})\n\
         Timestamp: {} ({})\n\
         Pre-apply: {:016x}\n\
         WAL offset: {}\n\
         WAL size:   {}\n\
         WAL salt:   {:08x} {:08x}\n\n",
        h.flags,
        h.page_size,
        h.commit,
        h.min_txid,
        h.min_txid,
        h.max_txid,
        h.max_txid,
        rfc3339_nano(h.timestamp),
        h.timestamp,
        h.pre_apply_checksum,
        h.wal_offset,
        h.wal_size,
        h.wal_salt1,
        h.wal_salt2,
    ));
}

fn trailer_section(s: &mut String, t: &Trailer) {
    s.push_str(&format!(
        "# TRAILER\nPost-apply:    {:016x}\nFile Checksum: {:016x}\n\n",
        t.post_apply_checksum, t.file_checksum
    ));
}

/// The header fields as Go's `UnmarshalBinary` leaves them when decoding fails: parsed
/// even under a bad magic (version 0 then), all zero when the file is shorter than 100.
fn raw_header(path: &Path) -> (Header, u32) {
    let mut b = [0u8; HEADER_SIZE];
    let ok = File::open(path)
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok();
    if !ok {
        return (Header::default(), 0);
    }
    let version = if b[0..4] == MAGIC { 3 } else { 0 };
    b[0..4].copy_from_slice(&MAGIC);
    (Header::decode(&b).unwrap_or_default(), version)
}

/// The last 16 bytes of the file, read as a trailer (zero when unreadable).
fn raw_trailer(path: &Path) -> Trailer {
    let mut b = [0u8; 16];
    let ok = File::open(path)
        .and_then(|mut f| {
            f.seek(SeekFrom::End(-16))?;
            f.read_exact(&mut b)
        })
        .is_ok();
    if ok {
        Trailer::decode(&b)
    } else {
        Trailer::default()
    }
}
