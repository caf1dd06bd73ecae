//! Push-based, sans-IO LTX decoder: bytes in with [`Decoder::push`], events out with
//! [`Decoder::next`].
//!
//! It checks everything in LTX.md §11 plus the recommended extras: decompressed size, page
//! order, commit and lock page, snapshot completeness, index entries against the frames
//! read, index size, exactly 16 trailer bytes, file checksum, snapshot post-apply checksum.
//! The input buffer holds at most one frame beyond what the caller pushes at once; the only
//! state that grows with the page count is the expected page index (its varint bytes).

use super::checksum::{Crc64Digest, DbChecksum, CHECKSUM_FLAG};
use super::error::LtxError;
use super::header::{
    lz4_block_bound, Header, Trailer, HEADER_SIZE, PAGE_FLAG_SIZE, PAGE_HEADER_SIZE, TRAILER_SIZE,
};
use super::legacy::{self, FrameScan};
use super::varint::{get_uvarint, put_uvarint, Uvarint};

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

    /// One frame: `Some(pgno)` for a page, `None` to wait or after the end marker (the
    /// stage then says which).
    fn read_page(&mut self) -> Result<Option<u32>, LtxError> {
        let h = self.hdr();
        let Some(b) = self.need(PAGE_HEADER_SIZE, "page header")? else {
            return Ok(None);
        };
        let pgno = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let flags = u16::from_be_bytes([b[4], b[5]]);
        let frame_offset = self.offset;
        if pgno == 0 && flags == 0 {
            if h.is_snapshot() {
                let expected = self.next_snapshot_pgno(self.prev_pgno);
                if expected <= h.commit {
                    return Err(LtxError::SnapshotIncomplete {
                        expected,
                        found: None,
                    });
                }
            }
            self.consume(PAGE_HEADER_SIZE, true);
            self.stage = Stage::Trailer;
            return Ok(None);
        }
        self.check_page_header(pgno, flags, frame_offset)?;

        let page_size = h.page_size as usize;
        let (prefix_len, payload_len) = if flags & PAGE_FLAG_SIZE != 0 {
            let Some(b) = self.need(PAGE_HEADER_SIZE + 4, "data size")? else {
                return Ok(None);
            };
            let size = u32::from_be_bytes([b[6], b[7], b[8], b[9]]);
            let max = lz4_block_bound(page_size);
            if size as usize > max {
                return Err(LtxError::CompressedSizeTooLarge {
                    pgno,
                    offset: frame_offset + PAGE_HEADER_SIZE as u64,
                    size,
                    max,
                });
            }
            let total = PAGE_HEADER_SIZE + 4 + size as usize;
            if self.need(total, "compressed data")?.is_none() {
                return Ok(None);
            }
            let start = self.pos + PAGE_HEADER_SIZE + 4;
            let n = lz4_flex::block::decompress_into(
                &self.buf[start..self.pos + total],
                &mut self.page,
            )
            .map_err(|e| LtxError::Decompress {
                pgno,
                offset: frame_offset + (PAGE_HEADER_SIZE + 4) as u64,
                reason: e.to_string(),
            })?;
            if n != page_size {
                return Err(LtxError::PageSizeMismatch {
                    pgno,
                    len: n,
                    page_size: h.page_size,
                });
            }
            (PAGE_HEADER_SIZE + 4, size as usize)
        } else {
            let start = self.pos + PAGE_HEADER_SIZE;
            let max = legacy::max_frame_len(page_size);
            let len = match legacy::scan_frame(&self.buf[start..], max) {
                FrameScan::Complete(len) => len,
                FrameScan::Incomplete => {
                    let avail = self.buf.len() - start;
                    return if self.eof {
                        Err(LtxError::UnexpectedEof {
                            what: "lz4 frame",
                            offset: frame_offset + PAGE_HEADER_SIZE as u64,
                            available: avail,
                        })
                    } else {
                        Ok(None)
                    };
                }
                FrameScan::Invalid(reason) => {
                    return Err(LtxError::Decompress {
                        pgno,
                        offset: frame_offset + PAGE_HEADER_SIZE as u64,
                        reason,
                    })
                }
            };
            legacy::decode_frame(&self.buf[start..start + len], &mut self.page).map_err(
                |reason| LtxError::Decompress {
                    pgno,
                    offset: frame_offset + PAGE_HEADER_SIZE as u64,
                    reason,
                },
            )?;
            (PAGE_HEADER_SIZE, len)
        };

        // Only the frame prefix and the plaintext are hashed, never the compressed bytes.
        self.consume(prefix_len, true);
        self.crc.update(&self.page);
        self.consume(payload_len, false);
        if let Some(db) = self.db.as_mut() {
            db.add_page(pgno, &self.page);
        }
        let frame_size = (prefix_len + payload_len) as u64;
        put_uvarint(&mut self.expected_index, u64::from(pgno));
        put_uvarint(&mut self.expected_index, frame_offset);
        put_uvarint(&mut self.expected_index, frame_size);
        self.prev_pgno = pgno;
        self.frames += 1;
        Ok(Some(pgno))
    }

    /// Page-header and page-order rules, checked before the payload is read.
    fn check_page_header(&self, pgno: u32, flags: u16, offset: u64) -> Result<(), LtxError> {
        let h = self.hdr();
        if pgno == 0 {
            return Err(LtxError::InvalidPageHeader {
                offset,
                reason: "page number required".into(),
            });
        }
        if flags & !PAGE_FLAG_SIZE != 0 {
            return Err(LtxError::InvalidPageHeader {
                offset,
                reason: format!("invalid page header flags: 0x{flags:04x}"),
            });
        }
        if pgno <= self.prev_pgno {
            return Err(LtxError::PageOrder {
                pgno,
                prev: self.prev_pgno,
            });
        }
        if pgno > h.commit {
            return Err(LtxError::PageBeyondCommit {
                pgno,
                commit: h.commit,
            });
        }
        if pgno == h.lock_pgno() {
            return Err(LtxError::LockPage { pgno });
        }
        if h.is_snapshot() {
            let expected = self.next_snapshot_pgno(self.prev_pgno);
            if pgno != expected {
                return Err(LtxError::SnapshotIncomplete {
                    expected,
                    found: Some(pgno),
                });
            }
        }
        Ok(())
    }

    /// Page index (entry by entry against the frames read), index size, trailer.
    fn read_tail(&mut self) -> Result<Option<Step>, LtxError> {
        while !self.index_done {
            let avail = &self.buf[self.pos..];
            let mut vals = [0u64; 3];
            let mut used = 0;
            for i in 0..3 {
                match get_uvarint(&avail[used..]) {
                    Uvarint::Value(x, n) => {
                        vals[i] = x;
                        used += n;
                    }
                    Uvarint::Incomplete => {
                        return if self.eof {
                            Err(LtxError::UnexpectedEof {
                                what: "page index",
                                offset: self.offset,
                                available: avail.len(),
                            })
                        } else {
                            Ok(None)
                        };
                    }
                    Uvarint::Overflow => {
                        return Err(LtxError::Index {
                            offset: self.offset + used as u64,
                            reason: "varint overflows a 64-bit integer".into(),
                        })
                    }
                }
                if vals[0] == 0 {
                    break;
                }
            }
            if vals[0] == 0 {
                if self.index_cursor != self.expected_index.len() {
                    return Err(LtxError::Index {
                        offset: self.offset,
                        reason: format!(
                            "index ends after {} of {} frames",
                            self.entries_matched(),
                            self.frames
                        ),
                    });
                }
                self.consume(used, true);
                self.index_len += used as u64;
                self.index_done = true;
                break;
            }
            self.match_index_entry(vals)?;
            self.consume(used, true);
            self.index_len += used as u64;
        }

        let Some(b) = self.need(8 + TRAILER_SIZE, "trailer")? else {
            return Ok(None);
        };
        let stored = u64::from_be_bytes(b[0..8].try_into().unwrap_or_default());
        if stored != self.index_len {
            return Err(LtxError::IndexSize {
                stored,
                actual: self.index_len,
            });
        }
        let mut raw = [0u8; TRAILER_SIZE];
        raw.copy_from_slice(&b[8..]);
        let trailer = Trailer::decode(&raw);
        if self.buffered() > 8 + TRAILER_SIZE {
            return Err(LtxError::TrailingBytes {
                offset: self.offset + (8 + TRAILER_SIZE) as u64,
            });
        }
        self.consume(8 + 8, true);
        let computed = self.crc.value() | CHECKSUM_FLAG;
        if computed != trailer.file_checksum {
            return Err(LtxError::FileChecksum {
                stored: trailer.file_checksum,
                computed,
            });
        }
        let h = self.hdr();
        Trailer::validate_post_apply(&h, trailer.post_apply_checksum)?;
        if let Some(db) = self.db {
            if db.value() != trailer.post_apply_checksum {
                return Err(LtxError::PostApplyChecksum {
                    stored: trailer.post_apply_checksum,
                    computed: db.value(),
                });
            }
        }
        self.consume(8, false);
        self.trailer = Some(trailer);
        self.stage = Stage::Done;
        Ok(Some(Step::Done(trailer)))
    }

    fn entries_matched(&self) -> u64 {
        let mut n = 0;
        let mut at = 0;
        while at < self.index_cursor {
            for _ in 0..3 {
                if let Uvarint::Value(_, used) = get_uvarint(&self.expected_index[at..]) {
                    at += used;
                } else {
                    return n;
                }
            }
            n += 1;
        }
        n
    }

    fn match_index_entry(&mut self, got: [u64; 3]) -> Result<(), LtxError> {
        let mut want = [0u64; 3];
        let mut at = self.index_cursor;
        for w in want.iter_mut() {
            match get_uvarint(&self.expected_index[at..]) {
                Uvarint::Value(v, n) => {
                    *w = v;
                    at += n;
                }
                _ => {
                    return Err(LtxError::Index {
                        offset: self.offset,
                        reason: format!(
                            "entry for page {} but the file has only {} frames",
                            got[0], self.frames
                        ),
                    })
                }
            }
        }
        if want != got {
            return Err(LtxError::Index {
                offset: self.offset,
                reason: format!(
                    "entry (pgno {}, offset {}, size {}) does not match frame (pgno {}, offset {}, size {})",
                    got[0], got[1], got[2], want[0], want[1], want[2]
                ),
            });
        }
        self.index_cursor = at;
        Ok(())
    }
}
