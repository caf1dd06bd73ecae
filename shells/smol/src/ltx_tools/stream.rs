//! Decode an LTX file from disk in bounded chunks, handing each event to a callback.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use litestream_core::ltx::{DecodeEvent, Decoder, LtxError, Stage, FEED_CHUNK};

use super::messages::{decode_failure, path_error, Prefixes};

/// Why streaming a file stopped.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The file could not be opened or read (the text is complete).
    Io(String),
    /// The bytes are not a valid LTX file.
    Ltx {
        stage: Stage,
        pages: u64,
        err: LtxError,
    },
    /// The callback refused an event (the text is complete).
    Callback(String),
}

impl Failure {
    /// The text Go's tool prints for this failure, decoder errors prefixed per `p`.
    pub(crate) fn text(&self, p: &Prefixes) -> String {
        match self {
            Failure::Io(s) | Failure::Callback(s) => s.clone(),
            Failure::Ltx { stage, pages, err } => decode_failure(p, *stage, *pages, err),
        }
    }
}

/// Read `path` through a [`Decoder`], calling `on` for every event, and make sure nothing
/// follows the trailer.
pub(crate) fn stream_file(
    path: &Path,
    mut on: impl FnMut(DecodeEvent<'_>) -> Result<(), String>,
) -> Result<(), Failure> {
    let mut file = File::open(path).map_err(|e| Failure::Io(path_error("open", path, &e)))?;
    let mut dec = Decoder::new();
    let mut chunk = vec![0u8; FEED_CHUNK];
    loop {
        match dec.next() {
            Ok(Some(ev)) => on(ev).map_err(Failure::Callback)?,
            Ok(None) => {
                // Only a finished file returns None after the end of input.
                if dec.is_end_of_input() {
                    return Ok(());
                }
                let n = file
                    .read(&mut chunk)
                    .map_err(|e| Failure::Io(path_error("read", path, &e)))?;
                if n == 0 {
                    dec.end_of_input();
                } else {
                    dec.push(&chunk[..n]);
                }
            }
            Err(err) => {
                return Err(Failure::Ltx {
                    stage: dec.stage(),
                    pages: dec.pages_read(),
                    err,
                })
            }
        }
    }
}
