//! `ltx list [-tsv] FILE...`: one row of header and trailer fields per verified file.

use std::io::Write;
use std::path::Path;

use litestream_core::ltx::{DecodeEvent, Header, Trailer};

use super::args::{parse, FlagSpec};
use super::format::{rfc3339, tabulate};
use super::messages::VERIFY;
use super::stream::stream_file;
use super::CmdResult;

const COLUMNS: &str =
    "min_txid\tmax_txid\tcommit\tpages\tpreapply\tpostapply\ttimestamp\twal_offset\twal_size\twal_salt";

/// Rows on stdout (aligned, or tab-separated with `-tsv`); per-file errors on stderr, exit 0.
pub(crate) fn run(args: &[String]) -> CmdResult {
    let p = parse(
        args,
        &FlagSpec {
            strings: &[],
            bools: &["tsv"],
        },
    )?;
    if p.args.is_empty() {
        return Err("at least one LTX file is required".into());
    }
    let mut lines = vec![COLUMNS.to_string()];
    for name in &p.args {
        let mut header = Header::default();
        let mut trailer = Trailer::default();
        let mut pages = 0u64;
        let res = stream_file(Path::new(name), |ev| {
            match ev {
                DecodeEvent::Header(h) => header = h,
                DecodeEvent::Page { .. } => pages += 1,
                DecodeEvent::Done(t) => trailer = t,
            }
            Ok(())
        });
        match res {
            Ok(()) => lines.push(row(&header, &trailer, pages)),
            Err(f) => eprintln!("{name}: {}", f.text(&VERIFY)),
        }
    }
    let text = if p.flag("tsv") {
        lines.iter().map(|l| format!("{l}\n")).collect()
    } else {
        tabulate(&lines)
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| e.to_string())
}

fn row(h: &Header, t: &Trailer, pages: u64) -> String {
    // Go leaves the column empty for a zero timestamp.
    let ts = if h.timestamp == 0 {
        String::new()
    } else {
        rfc3339(h.timestamp)
    };
    format!(
        "{:016x}\t{:016x}\t{}\t{pages}\t{:016x}\t{:016x}\t{ts}\t{}\t{}\t{:08x} {:08x}",
        h.min_txid,
        h.max_txid,
        h.commit,
        h.pre_apply_checksum,
        t.post_apply_checksum,
        h.wal_offset,
        h.wal_size,
        h.wal_salt1,
        h.wal_salt2
    )
}
