//! Legacy page frames (page flags 0x0000, LTX.md §4.3): the payload is a whole LZ4 *frame*
//! with no length prefix, so its end is found by walking the frame structure.

use std::io::Read;

use super::header::lz4_block_bound;

/// What a scan of the bytes at the start of a legacy payload found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FrameScan {
    /// A structurally complete frame of this many bytes.
    Complete(usize),
    /// The bytes end before the frame does.
    Incomplete,
    /// Not an LZ4 frame, or longer than any frame of one page can be.
    Invalid(String),
}

const LZ4_FRAME_MAGIC: u32 = 0x184D_2204;

/// The longest legacy frame accepted for `page_size`: the LZ4 bound plus room for the frame
/// header, a few block headers/checksums, the end mark and the content checksum.
pub(crate) fn max_frame_len(page_size: usize) -> usize {
    lz4_block_bound(page_size) + 64
}

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Walk the LZ4 frame at the start of `b` (honouring the FLG bits for content size,
/// dict id, block checksums and content checksum) to find where it ends.
pub(crate) fn scan_frame(b: &[u8], max_len: usize) -> FrameScan {
    if b.len() < 7 {
        return FrameScan::Incomplete;
    }
    if le_u32(b, 0) != Some(LZ4_FRAME_MAGIC) {
        return FrameScan::Invalid(format!("bad lz4 frame magic {:02x?}", &b[0..4]));
    }
    let flg = b[4];
    let bd = b[5];
    if flg >> 6 != 0b01 || flg & 0b10 != 0 || bd & 0x8F != 0 {
        return FrameScan::Invalid(format!("bad lz4 frame descriptor {flg:02x} {bd:02x}"));
    }
    let block_max = match (bd >> 4) & 0x7 {
        4 => 64 << 10,
        5 => 256 << 10,
        6 => 1 << 20,
        7 => 4 << 20,
        v => return FrameScan::Invalid(format!("bad lz4 block max size code {v}")),
    };
    let block_checksum = flg & 0x10 != 0;
    let content_size = flg & 0x08 != 0;
    let content_checksum = flg & 0x04 != 0;
    let dict_id = flg & 0x01 != 0;
    let mut p = 6 + if content_size { 8 } else { 0 } + if dict_id { 4 } else { 0 } + 1;
    loop {
        if p > max_len {
            return FrameScan::Invalid(format!("lz4 frame longer than {max_len} bytes"));
        }
        let Some(word) = le_u32(b, p) else {
            return FrameScan::Incomplete;
        };
        p += 4;
        if word == 0 {
            if content_checksum {
                p += 4;
            }
            if p > max_len {
                return FrameScan::Invalid(format!("lz4 frame longer than {max_len} bytes"));
            }
            return if p <= b.len() {
                FrameScan::Complete(p)
            } else {
                FrameScan::Incomplete
            };
        }
        let len = (word & 0x7FFF_FFFF) as usize;
        if len > block_max {
            return FrameScan::Invalid(format!(
                "lz4 block of {len} bytes exceeds the frame's block size {block_max}"
            ));
        }
        p += len + if block_checksum { 4 } else { 0 };
    }
}

/// Decompress a complete legacy frame into `page`, which it must fill exactly.
pub(crate) fn decode_frame(frame: &[u8], page: &mut [u8]) -> Result<(), String> {
    let mut dec = lz4_flex::frame::FrameDecoder::new(frame);
    dec.read_exact(page).map_err(|e| e.to_string())?;
    // The extra read runs the end mark and content checksum, and proves no more data.
    let mut extra = [0u8; 1];
    match dec.read(&mut extra) {
        Ok(0) => Ok(()),
        Ok(_) => Err(format!(
            "lz4 frame decompresses to more than {} bytes",
            page.len()
        )),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The LZ4 frame of LTX.md §13.3 (512 zero bytes, written by pierrec/lz4).
    fn spec_frame() -> Vec<u8> {
        let mut f = vec![0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x18, 0, 0, 0];
        f.extend_from_slice(&[
            0x1f, 0x00, 0x01, 0x00, 0xff, 0xda, 0x00, 0x02, 0x00, 0x00, 0x02, 0x00, 0xb0,
        ]);
        f.extend_from_slice(&[0; 11]);
        f.extend_from_slice(&[0, 0, 0, 0, 0xde, 0x53, 0xc1, 0x32]);
        f
    }

    #[test]
    fn scans_and_decodes_spec_frame() {
        let f = spec_frame();
        assert_eq!(f.len(), 43);
        assert_eq!(scan_frame(&f, 1000), FrameScan::Complete(43));
        for cut in 0..f.len() {
            assert_eq!(
                scan_frame(&f[..cut], 1000),
                FrameScan::Incomplete,
                "cut {cut}"
            );
        }
        let mut with_tail = f.clone();
        with_tail.extend_from_slice(&[1, 2, 3]);
        assert_eq!(scan_frame(&with_tail, 1000), FrameScan::Complete(43));
        let mut page = vec![1u8; 512];
        decode_frame(&f, &mut page).unwrap();
        assert!(page.iter().all(|&b| b == 0));
        let mut short = vec![0u8; 256];
        assert!(decode_frame(&f, &mut short).is_err());
        let mut long = vec![0u8; 1024];
        assert!(decode_frame(&f, &mut long).is_err());
    }

    #[test]
    fn rejects_bad_frames() {
        let mut f = spec_frame();
        f[0] = 0;
        assert!(matches!(scan_frame(&f, 1000), FrameScan::Invalid(_)));
        let f = spec_frame();
        assert!(matches!(scan_frame(&f, 20), FrameScan::Invalid(_)));
        let mut bad_sum = spec_frame();
        bad_sum[42] ^= 1;
        let mut page = vec![0u8; 512];
        assert!(decode_frame(&bad_sum, &mut page).is_err());
    }
}
