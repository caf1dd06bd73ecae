//! Executes the core's `Compact` command: streams the input LTX files (local L0 files
//! when still present, else from the replica) through the core's k-way merge and uploads
//! the merged file. Memory: one decoder buffer per input, never whole files.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

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
pub fn compact(
    client: &dyn ReplicaClient,
    inputs: &[ObjectKey],
    output: ObjectKey,
    local_l0: &Path,
) -> Result<(), StoreFail> {
    let mut sources = Vec::with_capacity(inputs.len());
    for k in inputs {
        let local = local_l0.join(ltx::format_filename(k.min_txid, k.max_txid));
        let reader: Box<dyn Read + Send> = match (k.level, File::open(&local)) {
            (0, Ok(f)) => Box::new(BufReader::with_capacity(READ_CHUNK, f)),
            _ => client.open(*k)?,
        };
        let src = ReaderSource::new(reader).map_err(|e| {
            StoreFail::Transient(format!("compaction input {} is unreadable: {e}", name(k)))
        })?;
        sources.push(src);
    }
    let tmp = local_l0.join(format!(
        "compact-{}.tmp",
        ltx::format_filename(output.min_txid, output.max_txid)
    ));
    let result = (|| {
        let mut f = std::io::BufWriter::new(
            File::create(&tmp)
                .map_err(|e| StoreFail::Transient(format!("create {}: {e}", tmp.display())))?,
        );
        // The header's range is the output key's: a level 9 file `1-N` made from inputs
        // starting later is a replica's new base (see the core's replica repair).
        if let Err(e) = ltx::compact(
            &mut sources,
            HEADER_FLAG_NO_CHECKSUM,
            output.min_txid == 1,
            &mut |bytes: &[u8]| f.write_all(bytes),
        ) {
            let io = sources.iter().find_map(|s| s.io_error.clone());
            let detail = match (io, e) {
                (Some(io), _) => format!("read input: {io}"),
                (None, ltx::CompactError::Ltx(e)) => e.to_string(),
                (None, ltx::CompactError::Sink(e)) => format!("write {}: {e}", tmp.display()),
            };
            return Err(StoreFail::Transient(format!(
                "compact into {}: {detail}",
                name(&output)
            )));
        }
        let f = f
            .into_inner()
            .map_err(|e| StoreFail::Transient(format!("write {}: {e}", tmp.display())))?;
        f.sync_all()
            .map_err(|e| StoreFail::Transient(format!("fsync {}: {e}", tmp.display())))?;
        client.put(output, &tmp)
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}
