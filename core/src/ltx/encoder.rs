//! Streaming LTX encoder: pages in, bytes out through an internal buffer the caller drains.
//!
//! Memory does not grow with the page count except for the page index, which is kept as the
//! varint bytes it will be written as. The file CRC runs as bytes are produced, over the
//! decompressed page data (LTX.md §7). Only block frames (flag 0x0001) are written.

use super::checksum::{Crc64Digest, DbChecksum, CHECKSUM_FLAG};
use super::error::LtxError;
use super::header::{lz4_block_bound, Header, PAGE_FLAG_SIZE, PAGE_HEADER_SIZE};
use super::trailer::Trailer;
use super::varint::put_uvarint;

/// Bytes of a block frame before its payload: page header + 4-byte compressed size.
const FRAME_PREFIX: usize = PAGE_HEADER_SIZE + 4;

/// Writes one LTX file. Feed pages in ascending order with [`Encoder::write_page`], drain
/// bytes with [`Encoder::take_output`] / [`Encoder::drain_into`], end with
/// [`Encoder::finish`] and drain once more.
#[derive(Debug)]
pub struct Encoder {
    header: Header,
    out: Vec<u8>,
    crc: Crc64Digest,
    index: Vec<u8>,
    /// Bytes produced so far (the offset of the next frame).
    offset: u64,
    prev_pgno: u32,
    scratch: Vec<u8>,
    /// Tracked only for snapshots with checksums on, where the post-apply checksum must
    /// equal the checksum of the pages written.
    db: Option<DbChecksum>,
    finished: bool,
}

impl Encoder {
    /// Validate `header` and start a file; the 100 header bytes are the first output.
    pub fn new(header: Header) -> Result<Encoder, LtxError> {
        header.validate()?;
        let bytes = header.encode();
        let mut crc = Crc64Digest::new();
        crc.update(&bytes);
        let mut out = Vec::with_capacity(bytes.len());
        out.extend_from_slice(&bytes);
        let page_size = header.page_size as usize;
        Ok(Encoder {
            header,
            out,
            crc,
            index: Vec::new(),
            offset: bytes.len() as u64,
            prev_pgno: 0,
            scratch: vec![0u8; lz4_flex::block::get_maximum_output_size(page_size)],
            db: (header.is_snapshot() && !header.no_checksum()).then(DbChecksum::new),
            finished: false,
        })
    }

    /// The header this encoder writes.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The page the snapshot rule (LTX.md §4.4) requires after `pgno`.
    fn next_snapshot_pgno(&self, pgno: u32) -> u32 {
        let next = pgno.saturating_add(1);
        if next == self.header.lock_pgno() {
            next.saturating_add(1)
        } else {
            next
        }
    }

    /// Compress and append one page. Rejects (writing nothing): a length other than the page
    /// size, pgno 0, a pgno not above the previous one, beyond commit, the lock page, and in
    /// a snapshot any gap.
    pub fn write_page(&mut self, pgno: u32, data: &[u8]) -> Result<(), LtxError> {
        if self.finished {
            return Err(LtxError::Closed);
        }
        let h = &self.header;
        if data.len() != h.page_size as usize {
            return Err(LtxError::PageLength {
                pgno,
                len: data.len(),
                page_size: h.page_size,
            });
        }
        if pgno == 0 {
            return Err(LtxError::ZeroPgno);
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

        let n = lz4_flex::block::compress_into(data, &mut self.scratch).map_err(|e| {
            LtxError::Compress {
                pgno,
                reason: e.to_string(),
            }
        })?;
        let max = lz4_block_bound(data.len());
        if n > max {
            // lz4_flex stays within the LZ4 bound; a decoder (ours included) rejects more.
            return Err(LtxError::CompressedSizeTooLarge {
                pgno,
                offset: self.offset,
                size: n as u32,
                max,
            });
        }
        let mut prefix = [0u8; FRAME_PREFIX];
        prefix[0..4].copy_from_slice(&pgno.to_be_bytes());
        prefix[4..6].copy_from_slice(&PAGE_FLAG_SIZE.to_be_bytes());
        prefix[6..10].copy_from_slice(&(n as u32).to_be_bytes());
        self.out.extend_from_slice(&prefix);
        self.out.extend_from_slice(&self.scratch[..n]);
        self.crc.update(&prefix);
        self.crc.update(data);
        if let Some(db) = self.db.as_mut() {
            db.add_page(pgno, data);
        }

        let frame_size = (FRAME_PREFIX + n) as u64;
        put_uvarint(&mut self.index, u64::from(pgno));
        put_uvarint(&mut self.index, self.offset);
        put_uvarint(&mut self.index, frame_size);
        self.offset += frame_size;
        self.prev_pgno = pgno;
        Ok(())
    }

    /// Bytes produced and not yet drained.
    pub fn pending_len(&self) -> usize {
        self.out.len()
    }

    /// Hand over the produced bytes (the internal buffer starts again empty).
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Append the produced bytes to `dst`, keeping the internal buffer's capacity for reuse.
    pub fn drain_into(&mut self, dst: &mut Vec<u8>) {
        dst.extend_from_slice(&self.out);
        self.out.clear();
    }

    /// Append the end marker, page index, index size and trailer; return the trailer.
    /// The caller must drain the output once more afterwards.
    ///
    /// `post_apply_checksum` must be 0 for NoChecksum files and otherwise carry bit 63; for a
    /// snapshot with checksums it must equal the checksum of the pages written.
    pub fn finish(&mut self, post_apply_checksum: u64) -> Result<Trailer, LtxError> {
        if self.finished {
            return Err(LtxError::Closed);
        }
        let h = self.header;
        if h.is_snapshot() {
            let expected = self.next_snapshot_pgno(self.prev_pgno);
            if expected <= h.commit {
                return Err(LtxError::SnapshotIncomplete {
                    expected,
                    found: None,
                });
            }
        }
        Trailer::validate_post_apply(&h, post_apply_checksum)?;
        if let Some(db) = self.db {
            if db.value() != post_apply_checksum {
                return Err(LtxError::PostApplyChecksum {
                    stored: post_apply_checksum,
                    computed: db.value(),
                });
            }
        }

        let end_marker = [0u8; PAGE_HEADER_SIZE];
        self.index.push(0);
        let index_size = (self.index.len() as u64).to_be_bytes();
        let post = post_apply_checksum.to_be_bytes();
        for part in [&end_marker[..], &self.index, &index_size, &post] {
            self.out.extend_from_slice(part);
            self.crc.update(part);
        }
        let file_checksum = self.crc.value() | CHECKSUM_FLAG;
        self.out.extend_from_slice(&file_checksum.to_be_bytes());
        self.finished = true;
        self.index = Vec::new();
        Ok(Trailer {
            post_apply_checksum,
            file_checksum,
        })
    }
}
