//! Where a WAL read starts: offset, expected salts, byte order and running checksum.

use super::error::{PrevFrameMismatch, WalError};
use super::frame::FrameHeader;
use super::header::WAL_HEADER_SIZE;
use super::header::{check_page_size, frame_size, prev_frame_offset, Salts, WalHeader};

/// The state a WAL read starts from. Offsets are file offsets; the first frame is at 32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalCursor {
    page_size: u32,
    big_endian: bool,
    salts: Salts,
    offset: u64,
    checksum: (u32, u32),
}

impl WalCursor {
    /// Start at the first frame (offset 32) of the generation `header` describes.
    pub fn start(header: &WalHeader) -> WalCursor {
        WalCursor {
            page_size: header.page_size(),
            big_endian: header.big_endian_checksums(),
            salts: header.salts(),
            offset: WAL_HEADER_SIZE as u64,
            checksum: header.checksum(),
        }
    }

    /// Resume at `offset` (a frame boundary after the first frame), trusting the frame
    /// before it without re-checksumming: `prev_frame` holds the bytes read at
    /// [`WalHeader::prev_frame_offset`] (at least one frame; more are ignored). That frame
    /// must carry `expected` salts (from the last LTX file); its stored checksum becomes the
    /// running checksum. [`WalError::PrevFrameMismatch`] means "restart from offset 32".
    pub fn resume(
        header: &WalHeader,
        offset: u64,
        expected: Salts,
        prev_frame: &[u8],
    ) -> Result<WalCursor, WalError> {
        let prev = header.prev_frame_offset(offset)?;
        let size = usize::try_from(header.frame_size()).unwrap_or(usize::MAX);
        let frame = prev_frame.get(..size).and_then(FrameHeader::decode).ok_or(
            WalError::PrevFrameMismatch(PrevFrameMismatch::Short {
                offset: prev,
                len: prev_frame.len(),
            }),
        )?;
        if frame.salts != expected {
            return Err(WalError::PrevFrameMismatch(PrevFrameMismatch::Salts {
                offset: prev,
                expected,
                found: frame.salts,
            }));
        }
        Ok(WalCursor {
            page_size: header.page_size(),
            big_endian: header.big_endian_checksums(),
            salts: expected,
            offset,
            checksum: frame.checksum,
        })
    }

    /// A cursor from raw parts (for callers that keep the header fields elsewhere).
    /// `offset` must be 32 or a frame boundary after it.
    pub fn new(
        page_size: u32,
        big_endian: bool,
        salts: Salts,
        offset: u64,
        checksum: (u32, u32),
    ) -> Result<WalCursor, WalError> {
        check_page_size(page_size)?;
        if offset != WAL_HEADER_SIZE as u64 {
            prev_frame_offset(page_size, offset)?;
        }
        Ok(WalCursor {
            page_size,
            big_endian,
            salts,
            offset,
            checksum,
        })
    }

    /// Database page size in bytes.
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// True when checksum words are big-endian.
    pub fn big_endian_checksums(&self) -> bool {
        self.big_endian
    }

    /// Salts every frame read from here must carry.
    pub fn salts(&self) -> Salts {
        self.salts
    }

    /// File offset of the first frame to read.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Running checksum before the frame at [`Self::offset`].
    pub fn checksum(&self) -> (u32, u32) {
        self.checksum
    }

    /// Bytes per frame.
    pub fn frame_size(&self) -> u64 {
        frame_size(self.page_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wal::WalEncoder;

    #[test]
    fn resume_takes_the_previous_frames_checksum() {
        let salts = Salts::new(11, 22);
        let header = WalHeader::new(true, 512, 0, salts).unwrap();
        let mut enc = WalEncoder::new(&header);
        let mut wal = header.encode().to_vec();
        enc.append_frame(&mut wal, 1, 1, &[7; 512]).unwrap();
        enc.append_frame(&mut wal, 1, 1, &[8; 512]).unwrap();
        let second = 32 + 536;
        let c = WalCursor::resume(&header, second as u64, salts, &wal[32..]).unwrap();
        assert_eq!(c.offset(), second as u64);
        assert_eq!(
            c.checksum(),
            FrameHeader::decode(&wal[32..]).unwrap().checksum
        );
        assert_eq!(c.salts(), salts);
        assert!(c.big_endian_checksums());

        assert_eq!(
            WalCursor::resume(&header, second as u64, Salts::new(11, 23), &wal[32..]),
            Err(WalError::PrevFrameMismatch(PrevFrameMismatch::Salts {
                offset: 32,
                expected: Salts::new(11, 23),
                found: salts,
            }))
        );
        assert_eq!(
            WalCursor::resume(&header, second as u64, salts, &wal[32..second - 1]),
            Err(WalError::PrevFrameMismatch(PrevFrameMismatch::Short {
                offset: 32,
                len: 535
            }))
        );
        assert!(matches!(
            WalCursor::resume(&header, 32, salts, &wal[32..]),
            Err(WalError::BadResumeOffset { offset: 32, .. })
        ));
    }

    #[test]
    fn new_checks_page_size_and_alignment() {
        assert!(WalCursor::new(512, false, Salts::default(), 32, (0, 0)).is_ok());
        assert!(WalCursor::new(512, false, Salts::default(), 32 + 536, (0, 0)).is_ok());
        assert_eq!(
            WalCursor::new(512, false, Salts::default(), 33, (0, 0)),
            Err(WalError::BadResumeOffset {
                offset: 33,
                page_size: 512
            })
        );
        assert_eq!(
            WalCursor::new(500, false, Salts::default(), 32, (0, 0)),
            Err(WalError::BadPageSize { page_size: 500 })
        );
    }
}
