//! Push-style frame decoder: yields every valid frame and stops at the end of the valid WAL.

use super::checksum::wal_checksum;
use super::cursor::WalCursor;
use super::frame::FrameHeader;
use super::header::{Salts, FRAME_HEADER_SIZE};

/// One valid frame: its file offset, header and page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// File offset of the frame header.
    pub offset: u64,
    /// The frame header (salts and checksum already verified).
    pub header: FrameHeader,
    /// The page (page-size bytes).
    pub data: &'a [u8],
}

impl Frame<'_> {
    /// Page number.
    pub fn pgno(&self) -> u32 {
        self.header.pgno
    }

    /// Database size in pages if this frame commits a transaction, else 0.
    pub fn commit(&self) -> u32 {
        self.header.commit
    }

    /// File offset just past this frame.
    pub fn end(&self) -> u64 {
        self.offset + (FRAME_HEADER_SIZE + self.data.len()) as u64
    }
}

/// Why the valid WAL (or a scan of it) ended. None of these is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalEnd {
    /// Input ended exactly at a frame boundary.
    EndOfInput {
        /// Offset where the next frame would start.
        offset: u64,
    },
    /// Input ended inside a frame (a torn or still-being-written tail).
    ShortFrame {
        /// Offset of the incomplete frame.
        offset: u64,
        /// Bytes of it present.
        len: usize,
    },
    /// A frame of another WAL generation (stale frames after a restart).
    SaltMismatch {
        /// Offset of that frame.
        offset: u64,
        /// Salts it carries.
        found: Salts,
    },
    /// A frame for page 0, which SQLite never writes and its recovery treats as the end.
    ZeroPgno {
        /// Offset of that frame.
        offset: u64,
    },
    /// A frame whose stored checksum does not continue the chain.
    ChecksumMismatch {
        /// Offset of that frame.
        offset: u64,
    },
    /// The page-map scanner's byte limit was reached right after a commit frame.
    Limited {
        /// Offset just past that commit frame.
        offset: u64,
    },
}

/// The running state of the checksum chain; kept apart from the buffer so a frame borrowed
/// from the buffer can be checked against it.
#[derive(Debug, Clone)]
struct Chain {
    big_endian: bool,
    salts: Salts,
    checksum: (u32, u32),
    offset: u64,
    frames: u64,
}

impl Chain {
    fn check_header(&self, header: &FrameHeader) -> Option<WalEnd> {
        let offset = self.offset;
        if header.salts != self.salts {
            Some(WalEnd::SaltMismatch {
                offset,
                found: header.salts,
            })
        } else if header.pgno == 0 {
            Some(WalEnd::ZeroPgno { offset })
        } else {
            None
        }
    }

    /// Verifies a whole frame and advances past it.
    fn accept(&mut self, frame: &[u8]) -> Result<(u64, FrameHeader), WalEnd> {
        let offset = self.offset;
        let header = FrameHeader::decode(frame).ok_or(WalEnd::ShortFrame {
            offset,
            len: frame.len(),
        })?;
        if let Some(end) = self.check_header(&header) {
            return Err(end);
        }
        let sum = wal_checksum(self.big_endian, &frame[..8], self.checksum);
        let sum = wal_checksum(self.big_endian, &frame[FRAME_HEADER_SIZE..], sum);
        if sum != header.checksum {
            return Err(WalEnd::ChecksumMismatch { offset });
        }
        self.checksum = sum;
        self.offset += frame.len() as u64;
        self.frames += 1;
        Ok((offset, header))
    }
}

/// Decodes consecutive WAL bytes pushed in chunks of any size into [`Frame`]s.
///
/// Holds at most one frame of buffered bytes: a frame that arrives whole in one chunk is
/// borrowed from it; only a frame split across chunks is copied.
#[derive(Debug, Clone)]
pub struct WalDecoder {
    chain: Chain,
    frame_size: usize,
    buf: Vec<u8>,
    /// `buf` holds a frame already handed out; it is cleared on the next call.
    holding: bool,
    stop: Option<WalEnd>,
}

impl WalDecoder {
    /// A decoder expecting the bytes that start at `cursor.offset()`.
    pub fn new(cursor: WalCursor) -> WalDecoder {
        WalDecoder {
            chain: Chain {
                big_endian: cursor.big_endian_checksums(),
                salts: cursor.salts(),
                checksum: cursor.checksum(),
                offset: cursor.offset(),
                frames: 0,
            },
            // The cursor validated the page size (≤ 65536), so this fits any usize.
            frame_size: FRAME_HEADER_SIZE + cursor.page_size() as usize,
            buf: Vec::new(),
            holding: false,
            stop: None,
        }
    }

    /// The next valid frame from `input`, advancing `input` past the bytes used.
    ///
    /// `None` when `input` is used up inside a frame (push more), or once the valid WAL
    /// has ended ([`Self::stopped`]); after that, input is left alone.
    pub fn next_frame<'r, 'i: 'r>(&'r mut self, input: &mut &'i [u8]) -> Option<Frame<'r>> {
        if self.holding {
            self.buf.clear();
            self.holding = false;
        }
        if self.stop.is_some() {
            return None;
        }
        let size = self.frame_size;
        if self.buf.is_empty() && input.len() >= size {
            let whole: &'i [u8] = input;
            let (frame, rest) = whole.split_at(size);
            return match self.chain.accept(frame) {
                Ok((offset, header)) => {
                    *input = rest;
                    Some(Frame {
                        offset,
                        header,
                        data: &frame[FRAME_HEADER_SIZE..],
                    })
                }
                Err(end) => {
                    self.stop = Some(end);
                    None
                }
            };
        }
        let take = (size - self.buf.len()).min(input.len());
        self.buf.extend_from_slice(&input[..take]);
        *input = &input[take..];
        if self.buf.len() < size {
            // Stop as soon as the header shows a stale frame, so the caller can stop reading.
            let end = FrameHeader::decode(&self.buf).and_then(|h| self.chain.check_header(&h));
            self.stop = end;
            return None;
        }
        match self.chain.accept(&self.buf) {
            Ok((offset, header)) => {
                self.holding = true;
                Some(Frame {
                    offset,
                    header,
                    data: &self.buf[FRAME_HEADER_SIZE..],
                })
            }
            Err(end) => {
                self.stop = Some(end);
                None
            }
        }
    }

    /// Why the valid WAL ended, once an invalid frame has been met.
    pub fn stopped(&self) -> Option<WalEnd> {
        self.stop
    }

    /// Why the valid WAL ended, assuming the input ends here (call at end-of-file).
    pub fn end(&self) -> WalEnd {
        let offset = self.chain.offset;
        match self.stop {
            Some(end) => end,
            None if !self.holding && !self.buf.is_empty() => WalEnd::ShortFrame {
                offset,
                len: self.buf.len(),
            },
            None => WalEnd::EndOfInput { offset },
        }
    }

    /// File offset just past the last valid frame.
    pub fn offset(&self) -> u64 {
        self.chain.offset
    }

    /// Running checksum after the last valid frame.
    pub fn checksum(&self) -> (u32, u32) {
        self.chain.checksum
    }

    /// Number of valid frames decoded.
    pub fn frames(&self) -> u64 {
        self.chain.frames
    }

    /// Salts every frame must carry.
    pub fn salts(&self) -> Salts {
        self.chain.salts
    }

    /// Bytes per frame.
    pub fn frame_size(&self) -> usize {
        self.frame_size
    }
}
