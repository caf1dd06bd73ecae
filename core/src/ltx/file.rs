//! Whole-file conveniences over the push decoder: [`decode_file`] for tests and tools, and
//! [`SliceSource`], a [`PageSource`] reading an in-memory file chunk by chunk.

use super::compactor::PageSource;
use super::decoder::{DecodeEvent, Decoder, Step};
use super::error::LtxError;
use super::header::Header;
use super::trailer::Trailer;

/// How many input bytes the slice helpers push at a time, so the decoder's buffer stays
/// bounded by one frame plus this.
pub const FEED_CHUNK: usize = 64 * 1024;

/// A fully decoded and verified LTX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedFile {
    /// The header.
    pub header: Header,
    /// Every page in file order: (pgno, page bytes).
    pub pages: Vec<(u32, Vec<u8>)>,
    /// The trailer.
    pub trailer: Trailer,
}

/// Decode and verify a whole file held in memory.
pub fn decode_file(bytes: &[u8]) -> Result<DecodedFile, LtxError> {
    let mut dec = Decoder::new();
    let mut rest = bytes;
    let mut header = None;
    let mut pages = Vec::new();
    loop {
        match dec.next()? {
            Some(DecodeEvent::Header(h)) => header = Some(h),
            Some(DecodeEvent::Page { pgno, data }) => pages.push((pgno, data.to_vec())),
            Some(DecodeEvent::Done(trailer)) => {
                // Whatever is left must not exist: push it so the decoder reports it.
                dec.push(rest);
                dec.end_of_input();
                dec.next()?;
                let header = header.ok_or(LtxError::Closed)?;
                return Ok(DecodedFile {
                    header,
                    pages,
                    trailer,
                });
            }
            None => {
                if rest.is_empty() {
                    dec.end_of_input();
                } else {
                    let n = rest.len().min(FEED_CHUNK);
                    dec.push(&rest[..n]);
                    rest = &rest[n..];
                }
            }
        }
    }
}

/// A [`PageSource`] over an LTX file held in memory, fed to a [`Decoder`] in chunks.
#[derive(Debug)]
pub struct SliceSource<'a> {
    dec: Decoder,
    rest: &'a [u8],
    header: Header,
    trailer: Option<Trailer>,
}

impl<'a> SliceSource<'a> {
    /// Start decoding `bytes`; reads as far as the header.
    pub fn new(bytes: &'a [u8]) -> Result<SliceSource<'a>, LtxError> {
        let mut src = SliceSource {
            dec: Decoder::new(),
            rest: bytes,
            header: Header::default(),
            trailer: None,
        };
        match src.pump()? {
            Step::Header(h) => src.header = h,
            // The decoder always yields the header first.
            Step::Page(_) | Step::Done(_) => return Err(LtxError::Closed),
        }
        Ok(src)
    }

    /// Run the decoder until it yields a step, feeding input as it asks for more.
    fn pump(&mut self) -> Result<Step, LtxError> {
        loop {
            if let Some(step) = self.dec.advance()? {
                return Ok(step);
            }
            if self.rest.is_empty() {
                if self.dec.is_end_of_input() {
                    // Done was already returned; nothing more will come.
                    return Err(LtxError::Closed);
                }
                self.dec.end_of_input();
            } else {
                let n = self.rest.len().min(FEED_CHUNK);
                self.dec.push(&self.rest[..n]);
                self.rest = &self.rest[n..];
            }
        }
    }
}

impl PageSource for SliceSource<'_> {
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
                // Nothing may follow the trailer.
                self.dec.push(self.rest);
                self.rest = &[];
                self.dec.end_of_input();
                self.dec.advance()?;
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
