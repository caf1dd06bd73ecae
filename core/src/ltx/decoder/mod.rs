//! Push-based, sans-IO LTX decoder: bytes in with [`Decoder::push`], events out with
//! [`Decoder::next`].
//!
//! It checks everything in LTX.md §11 plus the recommended extras: decompressed size, page
//! order, commit and lock page, snapshot completeness, index entries against the frames
//! read, index size, exactly 16 trailer bytes, file checksum, snapshot post-apply checksum.
//! The input buffer holds at most one frame beyond what the caller pushes at once; the only
//! state that grows with the page count is the expected page index (its varint bytes).

mod frames;
mod tail;

use super::checksum::{Crc64Digest, DbChecksum};
use super::error::LtxError;
use super::header::{Header, HEADER_SIZE};
use super::trailer::Trailer;

/// One step of a decoded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeEvent<'a> {
    /// The validated header (always first).
    Header(Header),
    /// One page, decompressed, exactly `page_size` bytes.
    Page {
        /// The page number.
        pgno: u32,
        /// The page contents.
        data: &'a [u8],
    },
    /// The verified trailer (always last).
    Done(Trailer),
}

/// Where in the file the decoder is (and, after an error, where it failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the 100-byte header.
    Header,
    /// Reading page frames.
    Pages,
    /// After the end marker: page index, index size, trailer.
    Trailer,
    /// The whole file was read and verified.
    Done,
}

/// An owned form of [`DecodeEvent`], so the state machine can run without borrowing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    Header(Header),
    Page(u32),
    Done(Trailer),
}

/// The streaming decoder. See the module doc.
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    pos: usize,
    /// File offset of `buf[pos]`.
    offset: u64,
    eof: bool,
    stage: Stage,
    index_done: bool,
    header: Option<Header>,
    trailer: Option<Trailer>,
    crc: Crc64Digest,
    page: Vec<u8>,
    prev_pgno: u32,
    frames: u64,
    expected_index: Vec<u8>,
    index_cursor: usize,
    index_len: u64,
    db: Option<DbChecksum>,
    error: Option<LtxError>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder waiting for the first bytes of a file.
    pub fn new() -> Decoder {
        Decoder {
            buf: Vec::new(),
            pos: 0,
            offset: 0,
            eof: false,
            stage: Stage::Header,
            index_done: false,
            header: None,
            trailer: None,
            crc: Crc64Digest::new(),
            page: Vec::new(),
            prev_pgno: 0,
            frames: 0,
            expected_index: Vec::new(),
            index_cursor: 0,
            index_len: 0,
            db: None,
            error: None,
        }
    }

    /// Append input bytes.
    pub fn push(&mut self, data: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Declare that no more input will come: a file that is not complete by now fails with
    /// [`LtxError::UnexpectedEof`].
    pub fn end_of_input(&mut self) {
        self.eof = true;
    }

    /// Whether [`Decoder::end_of_input`] was called.
    pub fn is_end_of_input(&self) -> bool {
        self.eof
    }

    /// The stage reached (after an error: the stage that failed).
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The header, once decoded.
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// The trailer, once verified.
    pub fn trailer(&self) -> Option<&Trailer> {
        self.trailer.as_ref()
    }

    /// Page frames decoded so far.
    pub fn pages_read(&self) -> u64 {
        self.frames
    }

    /// Bytes of the file consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Input bytes pushed and not yet consumed.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next event, `Ok(None)` when more input is needed (or, after `Done`, when the input
    /// is exhausted as it should be). Errors are sticky: every later call repeats them.
    #[allow(clippy::should_implement_trait)] // lending: the page borrows the decoder
    pub fn next(&mut self) -> Result<Option<DecodeEvent<'_>>, LtxError> {
        Ok(self.advance()?.map(|s| match s {
            Step::Header(h) => DecodeEvent::Header(h),
            Step::Page(pgno) => DecodeEvent::Page {
                pgno,
                data: &self.page,
            },
            Step::Done(t) => DecodeEvent::Done(t),
        }))
    }

    /// The last page returned (empty before the first).
    pub fn page(&self) -> &[u8] {
        &self.page
    }

    /// [`Decoder::next`] without the borrow; the page is then in [`Decoder::page`].
    pub(crate) fn advance(&mut self) -> Result<Option<Step>, LtxError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        match self.step() {
            Ok(s) => Ok(s),
            Err(e) => {
                self.error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Bytes `[pos, pos+n)` if present; `Ok(None)` to wait; EOF error if none will come.
    fn need(&self, n: usize, what: &'static str) -> Result<Option<&[u8]>, LtxError> {
        let avail = self.buf.len() - self.pos;
        if avail >= n {
            Ok(Some(&self.buf[self.pos..self.pos + n]))
        } else if self.eof {
            Err(LtxError::UnexpectedEof {
                what,
                offset: self.offset,
                available: avail,
            })
        } else {
            Ok(None)
        }
    }

    fn consume(&mut self, n: usize, hash: bool) {
        if hash {
            self.crc.update(&self.buf[self.pos..self.pos + n]);
        }
        self.pos += n;
        self.offset += n as u64;
    }

    fn step(&mut self) -> Result<Option<Step>, LtxError> {
        loop {
            match self.stage {
                Stage::Header => return self.read_header(),
                Stage::Pages => {
                    if let Some(pgno) = self.read_page()? {
                        return Ok(Some(Step::Page(pgno)));
                    }
                    if self.stage == Stage::Pages {
                        return Ok(None);
                    }
                }
                Stage::Trailer => return self.read_tail(),
                Stage::Done => {
                    return if self.buffered() > 0 {
                        Err(LtxError::TrailingBytes {
                            offset: self.offset,
                        })
                    } else {
                        Ok(None)
                    };
                }
            }
        }
    }

    fn read_header(&mut self) -> Result<Option<Step>, LtxError> {
        let Some(b) = self.need(HEADER_SIZE, "header")? else {
            return Ok(None);
        };
        let mut raw = [0u8; HEADER_SIZE];
        raw.copy_from_slice(b);
        let h = Header::decode(&raw)?;
        h.validate()?;
        self.consume(HEADER_SIZE, true);
        self.page = vec![0u8; h.page_size as usize];
        self.db = (h.is_snapshot() && !h.no_checksum()).then(DbChecksum::new);
        self.header = Some(h);
        self.stage = Stage::Pages;
        Ok(Some(Step::Header(h)))
    }

    fn hdr(&self) -> Header {
        // Stages after Header are only entered once the header is stored.
        self.header.unwrap_or_default()
    }

    /// The page the snapshot rule requires after `pgno`.
    fn next_snapshot_pgno(&self, pgno: u32) -> u32 {
        let next = pgno.saturating_add(1);
        if next == self.hdr().lock_pgno() {
            next.saturating_add(1)
        } else {
            next
        }
    }
}
