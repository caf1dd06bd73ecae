//! SQLite's WAL checksum: a running Fibonacci-weighted sum of 32-bit words.

/// Extends the running checksum `(s0, s1)` over `bytes`, reading words in the byte order
/// the WAL magic selects (`big_endian` for magic `0x377F0683`).
///
/// SQLite only ever checksums multiples of 8 bytes (a header prefix, a frame header prefix,
/// a page); a tail shorter than 8 bytes is ignored rather than padded.
pub fn wal_checksum(big_endian: bool, bytes: &[u8], (s0, s1): (u32, u32)) -> (u32, u32) {
    // The byte order is decided once, outside the loop, so each loop body is two plain loads.
    if big_endian {
        fold(bytes, (s0, s1), u32::from_be_bytes)
    } else {
        fold(bytes, (s0, s1), u32::from_le_bytes)
    }
}

#[inline(always)]
fn fold(bytes: &[u8], (mut s0, mut s1): (u32, u32), word: fn([u8; 4]) -> u32) -> (u32, u32) {
    for chunk in bytes.chunks_exact(8) {
        let a = word([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let b = word([chunk[4], chunk[5], chunk[6], chunk[7]]);
        s0 = s0.wrapping_add(a).wrapping_add(s1);
        s1 = s1.wrapping_add(b).wrapping_add(s0);
    }
    (s0, s1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_prefix(magic: u32) -> Vec<u8> {
        [magic, 3_007_000, 4096, 0, 0x0102_0304, 0x0506_0708]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect()
    }

    #[test]
    fn ltx_spec_vectors_13_5() {
        assert_eq!(
            wal_checksum(true, &header_prefix(0x377F_0683), (0, 0)),
            (0x1706_E9DB, 0xC2E5_D89C)
        );
        assert_eq!(
            wal_checksum(false, &header_prefix(0x377F_0682), (0, 0)),
            (0xD8EA_0514, 0x98D8_E2BE)
        );
    }

    #[test]
    fn chaining_equals_one_pass() {
        let bytes: Vec<u8> = (0..4096u32).map(|i| (i * 31 + 7) as u8).collect();
        for be in [false, true] {
            let whole = wal_checksum(be, &bytes, (3, 5));
            let (a, b) = bytes.split_at(1024);
            assert_eq!(wal_checksum(be, b, wal_checksum(be, a, (3, 5))), whole);
        }
    }

    #[test]
    fn words_wrap_and_byte_order_matters() {
        let bytes = [0xFF; 16];
        // s0 = 0xFFFFFFFF, s1 = 0xFFFFFFFE; then s0 = -1 + -1 + -2 = -4, s1 = -2 + -1 + -4 = -7.
        assert_eq!(
            wal_checksum(false, &bytes, (0, 0)),
            (0xFFFF_FFFC, 0xFFFF_FFF9)
        );
        let one = [0, 0, 0, 1, 0, 0, 0, 0];
        assert_eq!(wal_checksum(true, &one, (0, 0)), (1, 1));
        assert_eq!(
            wal_checksum(false, &one, (0, 0)),
            (0x0100_0000, 0x0100_0000)
        );
        assert_eq!(wal_checksum(false, &one[..7], (9, 9)), (9, 9));
    }
}
