//! `ltx apply -db DB FILE...`: apply LTX files to a database, in order.
//!
//! Unlike the Go tool, which writes pages before it has checked the file checksum, this
//! runs two passes: the first decodes every file completely and checks all checksums
//! (file, pre-apply, post-apply) against a model of the database; only then does the second
//! write. A failure therefore leaves the database byte for byte as it was (or absent).

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

use litestream_core::ltx::{Applier, ApplyOp, DbImage, DecodeEvent, LtxError};

use super::args::{parse, FlagSpec};
use super::messages::{io_text, path_error, APPLY};
use super::stream::stream_file;
use super::CmdResult;

const USAGE: &str = "The apply command applies one or more LTX files to a database file.

Usage:

\tlitestream ltx apply [arguments] PATH [PATH...]

Arguments:
  -db string
    \tdatabase path
";

/// Check everything, then write; errors are `FILE: message` as in Go.
pub(crate) fn run(args: &[String]) -> CmdResult {
    let p = parse(
        args,
        &FlagSpec {
            strings: &["db"],
            bools: &[],
        },
    )?;
    if p.args.is_empty() {
        return Err(USAGE.into());
    }
    let db = p.string("db");
    if db.is_empty() {
        return Err("required: -db PATH".into());
    }
    let db = Path::new(&db);
    check_all(db, &p.args)?;
    write_all(db, &p.args)
}

/// The database as it stands, for the first file's page size.
struct Model {
    image: DbImage,
    /// The file does not end on a page boundary (Go then fails the pre-apply checksum).
    ragged: bool,
}

fn load_model(db: &Path, page_size: u32) -> Result<Model, String> {
    let mut image = DbImage::new(page_size);
    let file = match File::open(db) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Model {
                image,
                ragged: false,
            })
        }
        Err(e) => return Err(path_error("open", db, &e)),
    };
    let mut r = BufReader::new(file);
    let mut page = vec![0u8; page_size as usize];
    let mut pgno = 1u32;
    loop {
        let mut n = 0;
        while n < page.len() {
            match r.read(&mut page[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("read database: {}", io_text(&e))),
            }
        }
        if n == 0 {
            return Ok(Model {
                image,
                ragged: false,
            });
        }
        // A partial last page reads back zero-filled once the file is extended.
        page[n..].fill(0);
        image.set_page(pgno, &page);
        if n < page.len() {
            return Ok(Model {
                image,
                ragged: true,
            });
        }
        pgno += 1;
    }
}

/// Pass 1: decode every file and check every checksum against the modelled database.
fn check_all(db: &Path, files: &[String]) -> CmdResult {
    let mut model: Option<Model> = None;
    for name in files {
        let mut header = None;
        let res = stream_file(Path::new(name), |ev| {
            match ev {
                DecodeEvent::Header(h) => {
                    if model.is_none() {
                        model = Some(load_model(db, h.page_size)?);
                    }
                    let m = model.as_mut().ok_or("no database model")?;
                    if m.image.page_size() != h.page_size {
                        return Err(format!(
                            "page size {} differs from the previous file's {}",
                            h.page_size,
                            m.image.page_size()
                        ));
                    }
                    if !h.is_snapshot() && !h.no_checksum() && m.ragged {
                        return Err("compute pre-apply checksum: unexpected EOF".into());
                    }
                    m.image.check_pre_apply(&h).map_err(|e| e.to_string())?;
                    header = Some(h);
                }
                DecodeEvent::Page { pgno, data } => {
                    if let Some(m) = model.as_mut() {
                        m.image.set_page(pgno, data);
                    }
                }
                DecodeEvent::Done(t) => {
                    let (Some(m), Some(h)) = (model.as_mut(), header) else {
                        return Err("trailer before header".into());
                    };
                    m.image.truncate(h.commit);
                    m.ragged = false;
                    match m.image.check_post_apply(&h, &t) {
                        Err(LtxError::PostApplyChecksum { stored, computed }) => {
                            return Err(format!(
                                "post-apply checksum mismatch: {computed:016x} <> {stored:016x}"
                            ))
                        }
                        other => other.map_err(|e| e.to_string())?,
                    }
                }
            }
            Ok(())
        });
        res.map_err(|f| format!("{name}: {}", f.text(&APPLY)))?;
    }
    Ok(())
}

/// Pass 2: write the pages and truncate, file by file, then sync.
fn write_all(db: &Path, files: &[String]) -> CmdResult {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(db)
        .map_err(|e| path_error("open", db, &e))?;
    for name in files {
        let mut applier = Applier::new();
        stream_file(Path::new(name), |ev| match applier.on_event(&ev) {
            Some(ApplyOp::WritePage { offset, data, .. }) => file
                .write_all_at(data, offset)
                .map_err(|e| format!("write database page: {}", io_text(&e))),
            Some(ApplyOp::Truncate { len }) => file
                .set_len(len)
                .map_err(|e| format!("truncate database: {}", io_text(&e))),
            None => Ok(()),
        })
        .map_err(|f| format!("{name}: {}", f.text(&APPLY)))?;
    }
    file.sync_all().map_err(|e| io_text(&e))
}
