//! Executes the core's `Compact` command: streams the input LTX files (local L0 files
//! when still present, else from the replica) through the core's k-way merge and uploads
//! the merged file. Memory: one decoder buffer per input, never whole files.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use litestream_core::io::{ObjectKey, StoreFail};
use litestream_core::ltx::{
    self, DecodeEvent, Decoder, Header, LtxError, PageSource, Trailer, HEADER_FLAG_NO_CHECKSUM,
};

use crate::replica::ReplicaClient;

const READ_CHUNK: usize = 64 * 1024;

/// What the decoder yielded, without borrowing it.
enum Step {
    Header(Header),
    Page(u32),
    Done(Trailer),
}

/// A [`PageSource`] over any reader.
struct ReaderSource {
    reader: Box<dyn Read + Send>,
    dec: Decoder,
    header: Header,
    trailer: Option<Trailer>,
    buf: Vec<u8>,
    io_error: Option<String>,
}

impl ReaderSource {
    fn new(reader: Box<dyn Read + Send>) -> Result<ReaderSource, LtxError> {
        let mut s = ReaderSource {
            reader,
            dec: Decoder::new(),
            header: Header::default(),
            trailer: None,
            buf: vec![0; READ_CHUNK],
            io_error: None,
        };
        match s.pump()? {
            Step::Header(h) => s.header = h,
            Step::Page(_) | Step::Done(_) => return Err(LtxError::Closed),
        }
        Ok(s)
    }

    fn pump(&mut self) -> Result<Step, LtxError> {
        loop {
            match self.dec.next()? {
                Some(DecodeEvent::Header(h)) => return Ok(Step::Header(h)),
                Some(DecodeEvent::Page { pgno, .. }) => return Ok(Step::Page(pgno)),
                Some(DecodeEvent::Done(t)) => return Ok(Step::Done(t)),
                None => {}
            }
            if self.dec.is_end_of_input() {
                return Err(LtxError::Closed);
            }
            let n = loop {
                match self.reader.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        // Reported by the caller; the decoder sees a closed input.
                        self.io_error = Some(e.to_string());
                        return Err(LtxError::Closed);
                    }
                }
            };
            if n == 0 {
                self.dec.end_of_input();
            } else {
                self.dec.push(&self.buf[..n]);
            }
        }
    }
}

impl PageSource for ReaderSource {
    fn header(&self) -> &Header {
        &self.header
    }

    fn next_page(&mut self) -> Result<Option<(u32, &[u8])>, LtxError> {
        if self.trailer.is_some() {
            return Ok(None);
        }
        match self.pump()? {
            Step::Page(pgno) => Ok(Some((pgno, self.dec.page()))),
            Step::Done(t) => {
                self.trailer = Some(t);
                Ok(None)
            }
            Step::Header(_) => Err(LtxError::Closed),
        }
    }

    fn trailer(&self) -> Option<&Trailer> {
        self.trailer.as_ref()
    }
}

fn name(k: &ObjectKey) -> String {
    format!(
        "level {} {}",
        k.level,
        ltx::format_filename(k.min_txid, k.max_txid)
    )
}

/// Merge `inputs` into `output` and upload it through `client`.
///
/// More than [`MAX_FAN_IN`] inputs (a busy database collects thousands of L0 files per
/// level 1 interval) are merged in rounds: batches into local temporary files, then those,
/// so memory and open files stay bounded by the fan-in rather than by the write rate.
/// Merging consecutive batches first gives the same pages as one merge: the newest
/// version of each page wins either way.
pub fn compact(
    client: &dyn ReplicaClient,
    inputs: &[ObjectKey],
    output: ObjectKey,
    local_l0: &Path,
) -> Result<(), StoreFail> {
    let out_name = ltx::format_filename(output.min_txid, output.max_txid);
    let tmp = local_l0.join(format!("compact-{out_name}.tmp"));
    let mut layer: Vec<Input> = inputs.iter().copied().map(Input::Object).collect();
    let mut made: Vec<PathBuf> = Vec::new();
    let result = (|| {
        let mut round = 0;
        while layer.len() > MAX_FAN_IN {
            let mut next = Vec::new();
            for (i, batch) in layer.chunks(MAX_FAN_IN).enumerate() {
                let part = local_l0.join(format!("compact-{out_name}-{round}-{i}.tmp"));
                made.push(part.clone());
                merge(client, batch, &part, &output, false)?;
                next.push(Input::Part(part));
            }
            // The previous round's parts are merged: free their disk space now.
            for done in &layer {
                if let Input::Part(p) = done {
                    let _ = std::fs::remove_file(p);
                }
            }
            layer = next;
            round += 1;
        }
        merge(client, &layer, &tmp, &output, true)?;
        client.put(output, &tmp)
    })();
    for p in made.iter().chain([&tmp]) {
        let _ = std::fs::remove_file(p);
    }
    result
}

/// Inputs merged at once: one decoder and read buffer each (about 130 KiB), and one open
/// file or replica stream each.
const MAX_FAN_IN: usize = 32;

/// A compaction input: a replica file (read from the local L0 copy when there is one),
/// or a partial merge of an earlier round.
enum Input {
    Object(ObjectKey),
    Part(PathBuf),
}

impl Input {
    fn open(&self, client: &dyn ReplicaClient, local_l0: &Path) -> Result<ReaderSource, StoreFail> {
        let (reader, what): (Box<dyn Read + Send>, String) = match self {
            Input::Object(k) => {
                let local = local_l0.join(ltx::format_filename(k.min_txid, k.max_txid));
                match (k.level, File::open(&local)) {
                    (0, Ok(f)) => (Box::new(f), name(k)),
                    _ => (client.open(*k)?, name(k)),
                }
            }
            Input::Part(p) => {
                let f = File::open(p)
                    .map_err(|e| StoreFail::Transient(format!("open {}: {e}", p.display())))?;
                (Box::new(f), p.display().to_string())
            }
        };
        ReaderSource::new(reader).map_err(|e| {
            StoreFail::Transient(format!("compaction input {what} is unreadable: {e}"))
        })
    }
}

/// Merge `inputs` into the local file `dst`, for `output`: the `last` round writes the
/// output itself (fsynced, for upload); earlier rounds write temporary parts.
fn merge(
    client: &dyn ReplicaClient,
    inputs: &[Input],
    dst: &Path,
    output: &ObjectKey,
    last: bool,
) -> Result<(), StoreFail> {
    // The header's range is the output key's: a level 9 file `1-N` made from inputs
    // starting later is a replica's new base (see the core's replica repair).
    let as_snapshot = last && output.min_txid == 1;
    let local_l0 = dst.parent().unwrap_or(Path::new("."));
    let mut sources = inputs
        .iter()
        .map(|i| i.open(client, local_l0))
        .collect::<Result<Vec<_>, _>>()?;
    let mut f = std::io::BufWriter::new(
        File::create(dst)
            .map_err(|e| StoreFail::Transient(format!("create {}: {e}", dst.display())))?,
    );
    if let Err(e) = ltx::compact(
        &mut sources,
        HEADER_FLAG_NO_CHECKSUM,
        as_snapshot,
        &mut |bytes: &[u8]| f.write_all(bytes),
    ) {
        let io = sources.iter().find_map(|s| s.io_error.clone());
        let detail = match (io, e) {
            (Some(io), _) => format!("read input: {io}"),
            (None, ltx::CompactError::Ltx(e)) => e.to_string(),
            (None, ltx::CompactError::Sink(e)) => format!("write {}: {e}", dst.display()),
        };
        return Err(StoreFail::Transient(format!(
            "compact into {}: {detail}",
            name(output)
        )));
    }
    let f = f
        .into_inner()
        .map_err(|e| StoreFail::Transient(format!("write {}: {e}", dst.display())))?;
    if last {
        f.sync_all()
            .map_err(|e| StoreFail::Transient(format!("fsync {}: {e}", dst.display())))?;
    }
    Ok(())
}
