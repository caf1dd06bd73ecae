//! The 24-byte frame header that precedes each page in the WAL.

use super::header::{be32, Salts, FRAME_HEADER_SIZE};

/// A frame header: which page follows, whether it ends a transaction, and its checksums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Page number of the page that follows.
    pub pgno: u32,
    /// Database size in pages after the transaction this frame commits, or 0 mid-transaction.
    pub commit: u32,
    /// Salts copied from the WAL header when the frame was written.
    pub salts: Salts,
    /// Running checksum through this frame's first 8 bytes and page.
    pub checksum: (u32, u32),
}

impl FrameHeader {
    /// Decodes the first 24 bytes of `bytes`; `None` if fewer are present.
    pub fn decode(bytes: &[u8]) -> Option<FrameHeader> {
        let b = bytes.first_chunk::<FRAME_HEADER_SIZE>()?;
        Some(FrameHeader {
            pgno: be32(b, 0),
            commit: be32(b, 4),
            salts: Salts::new(be32(b, 8), be32(b, 12)),
            checksum: (be32(b, 16), be32(b, 20)),
        })
    }

    /// The 24 header bytes.
    pub fn encode(&self) -> [u8; FRAME_HEADER_SIZE] {
        let words = [
            self.pgno,
            self.commit,
            self.salts.salt1,
            self.salts.salt2,
            self.checksum.0,
            self.checksum.1,
        ];
        let mut out = [0u8; FRAME_HEADER_SIZE];
        for (slot, word) in out.chunks_exact_mut(4).zip(words) {
            slot.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// True when this frame ends a transaction.
    pub fn is_commit(&self) -> bool {
        self.commit != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_short() {
        let h = FrameHeader {
            pgno: 0x0102_0304,
            commit: 9,
            salts: Salts::new(0xA0B0_C0D0, 5),
            checksum: (0xDEAD_BEEF, 1),
        };
        let bytes = h.encode();
        assert_eq!(&bytes[..8], &[1, 2, 3, 4, 0, 0, 0, 9]);
        assert_eq!(&bytes[8..12], &[0xA0, 0xB0, 0xC0, 0xD0]);
        assert_eq!(FrameHeader::decode(&bytes), Some(h));
        assert!(h.is_commit());
        assert_eq!(FrameHeader::decode(&bytes[..23]), None);
    }
}
