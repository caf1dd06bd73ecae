//! Encoder and decoder rejection tests: every rule has a case that breaks it.

use super::*;

fn page(fill: u8, size: usize) -> Vec<u8> {
    (0..size)
        .map(|i| fill.wrapping_add((i % 7) as u8))
        .collect()
}

pub(super) fn incr(commit: u32) -> Header {
    Header {
        flags: HEADER_FLAG_NO_CHECKSUM,
        page_size: 512,
        commit,
        min_txid: 2,
        max_txid: 2,
        timestamp: 5,
        ..Header::default()
    }
}

fn snap(commit: u32) -> Header {
    Header {
        min_txid: 1,
        max_txid: 1,
        ..incr(commit)
    }
}

fn sample_file() -> Vec<u8> {
    encode_file(
        incr(5),
        &[(2, page(1, 512)), (4, page(2, 512)), (5, page(3, 512))],
        0,
    )
}

#[test]
fn encoder_rejects_bad_pages() {
    let mut enc = Encoder::new(incr(3)).unwrap();
    assert!(matches!(
        enc.write_page(1, &[0; 100]),
        Err(LtxError::PageLength { len: 100, .. })
    ));
    assert_eq!(enc.write_page(0, &[0; 512]), Err(LtxError::ZeroPgno));
    enc.write_page(2, &[0; 512]).unwrap();
    assert_eq!(
        enc.write_page(2, &[0; 512]),
        Err(LtxError::PageOrder { pgno: 2, prev: 2 })
    );
    assert_eq!(
        enc.write_page(1, &[0; 512]),
        Err(LtxError::PageOrder { pgno: 1, prev: 2 })
    );
    assert_eq!(
        enc.write_page(4, &[0; 512]),
        Err(LtxError::PageBeyondCommit { pgno: 4, commit: 3 })
    );
    assert!(matches!(
        enc.finish(5),
        Err(LtxError::InvalidTrailer { .. })
    ));
    enc.finish(0).unwrap();
    assert_eq!(enc.write_page(3, &[0; 512]), Err(LtxError::Closed));
    assert_eq!(enc.finish(0), Err(LtxError::Closed));

    let lock = lock_pgno(512);
    let mut enc = Encoder::new(incr(lock + 1)).unwrap();
    assert_eq!(
        enc.write_page(lock, &[0; 512]),
        Err(LtxError::LockPage { pgno: lock })
    );
    enc.write_page(lock + 1, &[0; 512]).unwrap();
    assert!(Encoder::new(Header {
        page_size: 1000,
        ..incr(1)
    })
    .is_err());
}

#[test]
fn encoder_enforces_snapshot_completeness() {
    let mut enc = Encoder::new(snap(3)).unwrap();
    assert_eq!(
        enc.write_page(2, &[0; 512]),
        Err(LtxError::SnapshotIncomplete {
            expected: 1,
            found: Some(2)
        })
    );
    enc.write_page(1, &[0; 512]).unwrap();
    enc.write_page(2, &[0; 512]).unwrap();
    assert_eq!(
        enc.finish(0),
        Err(LtxError::SnapshotIncomplete {
            expected: 3,
            found: None
        })
    );
    // An empty snapshot with checksums must carry the flag alone as post-apply checksum.
    let mut enc = Encoder::new(Header {
        flags: 0,
        ..snap(0)
    })
    .unwrap();
    assert!(matches!(
        enc.finish(CHECKSUM_FLAG | 1),
        Err(LtxError::PostApplyChecksum { .. })
    ));
    enc.finish(CHECKSUM_FLAG).unwrap();
    assert!(decode_file(&enc.take_output()).unwrap().pages.is_empty());
}

#[test]
fn round_trip_and_every_truncation_is_eof() {
    let bytes = sample_file();
    let f = decode_file(&bytes).unwrap();
    assert_eq!(f.pages.len(), 3);
    assert_eq!(f.pages[1], (4, page(2, 512)));
    for cut in 0..bytes.len() {
        match decode_file(&bytes[..cut]) {
            Err(LtxError::UnexpectedEof { .. }) => {}
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes = sample_file();
    let end = bytes.len() as u64;
    bytes.push(0);
    assert_eq!(
        decode_file(&bytes),
        Err(LtxError::TrailingBytes { offset: end })
    );
    // Also when the extra byte arrives after Done was reported.
    let mut dec = Decoder::new();
    dec.push(&bytes[..bytes.len() - 1]);
    while !matches!(dec.next().unwrap(), Some(DecodeEvent::Done(_))) {}
    dec.push(&[0]);
    assert_eq!(dec.next(), Err(LtxError::TrailingBytes { offset: end }));
    // Errors are sticky.
    assert_eq!(dec.next(), Err(LtxError::TrailingBytes { offset: end }));
}

/// Offsets into `sample_file()`: header 100, then frames of 10 + compressed bytes.
fn first_frame_len(bytes: &[u8]) -> usize {
    10 + u32::from_be_bytes([bytes[106], bytes[107], bytes[108], bytes[109]]) as usize
}

#[test]
fn page_header_and_payload_errors() {
    let good = sample_file();
    let mut b = good.clone();
    b[105] = 0x03;
    assert!(matches!(
        decode_file(&b),
        Err(LtxError::InvalidPageHeader { offset: 100, .. })
    ));
    let mut b = good.clone();
    b[100..104].copy_from_slice(&[0; 4]);
    assert!(matches!(
        decode_file(&b),
        Err(LtxError::InvalidPageHeader { .. })
    ));
    let mut b = good.clone();
    b[106..110].copy_from_slice(&100_000u32.to_be_bytes());
    assert!(matches!(
        decode_file(&b),
        Err(LtxError::CompressedSizeTooLarge {
            pgno: 2,
            size: 100_000,
            ..
        })
    ));
    let mut b = good.clone();
    b[110] = 0xff;
    assert!(matches!(
        decode_file(&b),
        Err(LtxError::Decompress { pgno: 2, .. })
    ));
    // Page 4 numbered 1: out of order.
    let mut b = good.clone();
    let second = 100 + first_frame_len(&good);
    b[second..second + 4].copy_from_slice(&1u32.to_be_bytes());
    assert_eq!(
        decode_file(&b),
        Err(LtxError::PageOrder { pgno: 1, prev: 2 })
    );
    b[second..second + 4].copy_from_slice(&9u32.to_be_bytes());
    assert_eq!(
        decode_file(&b),
        Err(LtxError::PageBeyondCommit { pgno: 9, commit: 5 })
    );
}

#[test]
fn short_block_is_rejected() {
    // A block that decompresses to 256 bytes in a 512-byte-page file.
    let block = lz4_flex::block::compress(&[0u8; 256]);
    let mut b = incr(1).encode().to_vec();
    b.extend_from_slice(&1u32.to_be_bytes());
    b.extend_from_slice(&1u16.to_be_bytes());
    b.extend_from_slice(&(block.len() as u32).to_be_bytes());
    b.extend_from_slice(&block);
    assert!(matches!(
        decode_file(&b),
        Err(LtxError::PageSizeMismatch {
            pgno: 1,
            len: 256,
            page_size: 512
        }) | Err(LtxError::Decompress { pgno: 1, .. })
    ));
}

#[test]
fn snapshot_gap_is_rejected() {
    let mut b = encode_file(incr(3), &[(1, page(1, 512)), (3, page(3, 512))], 0);
    b[16..24].copy_from_slice(&1u64.to_be_bytes());
    assert_eq!(
        decode_file(&b),
        Err(LtxError::SnapshotIncomplete {
            expected: 2,
            found: Some(3)
        })
    );
    let mut b = encode_file(incr(3), &[(1, page(1, 512)), (2, page(3, 512))], 0);
    b[16..24].copy_from_slice(&1u64.to_be_bytes());
    assert_eq!(
        decode_file(&b),
        Err(LtxError::SnapshotIncomplete {
            expected: 3,
            found: None
        })
    );
}

#[test]
fn index_and_index_size_are_checked() {
    let good = sample_file();
    let n = good.len();
    let index_size = u64::from_be_bytes(good[n - 24..n - 16].try_into().unwrap()) as usize;
    let index_start = n - 24 - index_size;
    // First entry's pgno 2 -> 3.
    let mut b = good.clone();
    assert_eq!(b[index_start], 2);
    b[index_start] = 3;
    assert!(matches!(decode_file(&b), Err(LtxError::Index { .. })));
    // Terminator early: drop the last entry's bytes by zeroing its pgno.
    let mut b = good.clone();
    b[n - 24 - 1] = 1;
    assert!(matches!(
        decode_file(&b),
        Err(LtxError::Index { .. }) | Err(LtxError::UnexpectedEof { .. })
    ));
    let mut b = good.clone();
    b[n - 17] ^= 1;
    assert!(matches!(decode_file(&b), Err(LtxError::IndexSize { .. })));
    let mut b = good.clone();
    b[n - 1] ^= 1;
    assert!(matches!(
        decode_file(&b),
        Err(LtxError::FileChecksum { .. })
    ));
}

#[test]
fn nochecksum_file_with_post_apply_is_rejected() {
    // Re-encode with checksums on, then flip the header flag: the CRC catches it first.
    let mut b = encode_file(
        Header {
            flags: 0,
            pre_apply_checksum: CHECKSUM_FLAG | 7,
            ..incr(1)
        },
        &[(1, page(0, 512))],
        CHECKSUM_FLAG | 9,
    );
    b[7] = 2;
    assert!(decode_file(&b).is_err());
}
