//! Page frames: page-header rules, block and legacy payloads, the hashes they feed.

use super::super::error::LtxError;
use super::super::header::{lz4_block_bound, PAGE_FLAG_SIZE, PAGE_HEADER_SIZE};
use super::super::legacy::{self, FrameScan};
use super::super::varint::put_uvarint;
use super::{Decoder, Stage};

impl Decoder {
    /// One frame: `Some(pgno)` for a page, `None` to wait or after the end marker (the
    /// stage then says which).
    pub(super) fn read_page(&mut self) -> Result<Option<u32>, LtxError> {
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
                legacy: false,
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
                        legacy: true,
                        offset: frame_offset + PAGE_HEADER_SIZE as u64,
                        reason,
                    })
                }
            };
            legacy::decode_frame(&self.buf[start..start + len], &mut self.page).map_err(
                |reason| LtxError::Decompress {
                    pgno,
                    legacy: true,
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
}
