//! After the end marker: the page index (checked entry by entry against the frames read),
//! the index size and the trailer.

use super::super::checksum::CHECKSUM_FLAG;
use super::super::error::LtxError;
use super::super::header::TRAILER_SIZE;
use super::super::trailer::Trailer;
use super::super::varint::{get_uvarint, Uvarint};
use super::{Decoder, Stage, Step};

impl Decoder {
    /// Page index (entry by entry against the frames read), index size, trailer.
    pub(super) fn read_tail(&mut self) -> Result<Option<Step>, LtxError> {
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
