//! CRC-64/GO-ISO (LTX.md §7) and the rolling database checksum (LTX.md §8).
//!
//! The file checksum covers every decompressed page, so CRC speed bounds decode speed as
//! much as LZ4 does: `crc-fast` folds with carry-less multiplication (PCLMULQDQ/VPCLMULQDQ
//! or NEON, chosen at run time), several times faster than slice-by-16 tables.

use crc_fast::{CrcAlgorithm, Digest};

/// Bit 63, forced on in every stored checksum so that a valid checksum is never 0.
pub const CHECKSUM_FLAG: u64 = 1 << 63;

/// A running CRC-64/GO-ISO over bytes fed in pieces.
#[derive(Clone, Copy)]
pub struct Crc64Digest(Digest);

impl Crc64Digest {
    /// A digest of no bytes.
    pub fn new() -> Self {
        Crc64Digest(Digest::new(CrcAlgorithm::Crc64GoIso))
    }

    /// Feed more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The CRC of everything fed so far (no flag bit); feeding may continue.
    pub fn value(&self) -> u64 {
        self.0.finalize()
    }
}

impl Default for Crc64Digest {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Crc64Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Crc64Digest({:016x})", self.value())
    }
}

/// CRC-64/GO-ISO of `data` (no flag bit).
pub fn crc64(data: &[u8]) -> u64 {
    crc_fast::checksum(CrcAlgorithm::Crc64GoIso, data)
}

/// The page checksum `crc64(u32_be(pgno) ‖ data) | CHECKSUM_FLAG`.
pub fn page_checksum(pgno: u32, data: &[u8]) -> u64 {
    let mut d = Crc64Digest::new();
    d.update(&pgno.to_be_bytes());
    d.update(data);
    d.value() | CHECKSUM_FLAG
}

/// A rolling database checksum: the XOR of the page checksums of every page except the
/// lock page, with bit 63 forced on.
///
/// XOR makes removing a page the same operation as adding it, so a page that changes is
/// `remove(old)` then `add(new)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DbChecksum {
    acc: u64,
    pages: u64,
}

impl DbChecksum {
    /// The checksum of a database with no pages.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fold in a page given its contents.
    pub fn add_page(&mut self, pgno: u32, data: &[u8]) {
        self.add_checksum(page_checksum(pgno, data));
    }

    /// Take out a page given its (old) contents: the same as adding it again.
    pub fn remove_page(&mut self, pgno: u32, data: &[u8]) {
        self.remove_checksum(page_checksum(pgno, data));
    }

    /// Fold in a precomputed page checksum.
    pub fn add_checksum(&mut self, page_ck: u64) {
        self.acc ^= page_ck;
        self.pages = self.pages.wrapping_add(1);
    }

    /// Take out a precomputed page checksum.
    pub fn remove_checksum(&mut self, page_ck: u64) {
        self.acc ^= page_ck;
        self.pages = self.pages.wrapping_sub(1);
    }

    /// The checksum value, flag included. An empty database gives `CHECKSUM_FLAG`, which is
    /// what the Go encoder demands as the post-apply checksum of an empty snapshot.
    pub fn value(&self) -> u64 {
        self.acc | CHECKSUM_FLAG
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp() -> Vec<u8> {
        (0..512u32).map(|i| (i % 256) as u8).collect()
    }

    #[test]
    fn crc_vectors() {
        assert_eq!(crc64(b""), 0);
        assert_eq!(crc64(b"123456789"), 0xB909_56C7_75A4_1001);
        assert_eq!(crc64(&[0u8; 8]), 0xACFF_FFFF_FFFF_FFFF);
        assert_eq!(crc64(&[1, 2, 3, 4, 5, 6, 7, 8]), 0x547B_EA58_893D_2C9E);
        assert_eq!(crc64(b"LTX1"), 0x4335_0E58_D000_0000);
    }

    #[test]
    fn streaming_crc_equals_one_shot() {
        let mut d = Crc64Digest::new();
        d.update(b"1234");
        assert_eq!(d.value(), crc64(b"1234"));
        d.update(b"56789");
        assert_eq!(d.value(), 0xB909_56C7_75A4_1001);
    }

    /// The SIMD CRC against the `crc` crate's table-driven one, over every length up to 600
    /// and odd splits, so every SIMD/tail path is exercised.
    #[test]
    fn simd_crc_matches_table_crc() {
        let table = crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_GO_ISO);
        let data: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for len in (0..600).chain([1023, 1024, 1025, 4096, 4999]) {
            assert_eq!(
                crc64(&data[..len]),
                table.checksum(&data[..len]),
                "len {len}"
            );
        }
        for split in [1, 7, 63, 64, 65, 255, 256, 257, 2049] {
            let mut d = Crc64Digest::new();
            d.update(&data[..split]);
            d.update(&data[split..]);
            assert_eq!(d.value(), table.checksum(&data), "split {split}");
        }
    }

    #[test]
    fn page_checksum_vectors() {
        assert_eq!(page_checksum(1, &[0u8; 512]), 0xEFB1_F44F_ECD9_9000);
        assert_eq!(page_checksum(2, &[0u8; 512]), 0xEF63_E89F_ECD9_9000);
        assert_eq!(page_checksum(1, &ramp()), 0xC6F1_3286_CB62_CC9F);
    }

    #[test]
    fn db_checksum_vector_and_removal() {
        let mut ck = DbChecksum::new();
        ck.add_page(1, &[0u8; 512]);
        ck.add_page(2, &ramp());
        assert_eq!(ck.value(), 0xA992_DA19_27BB_5C9F);
        // Removing page 2 leaves the one-page database.
        ck.remove_page(2, &ramp());
        assert_eq!(ck.value(), page_checksum(1, &[0u8; 512]));
        assert_eq!(DbChecksum::new().value(), CHECKSUM_FLAG);
    }
}
