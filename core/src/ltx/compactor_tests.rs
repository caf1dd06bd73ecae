//! Compaction tests: the spec's example, rebasing onto a snapshot, and the inputs that
//! are refused.

use super::codec_tests::incr;
use super::*;

#[test]
fn spec_compaction_example() {
    let a = |c: u8| vec![c; 512];
    let t = |min: u64, commit: u32, ts: i64| Header {
        min_txid: min,
        max_txid: min,
        timestamp: ts,
        ..incr(commit)
    };
    let t1 = encode_file(t(1, 2, 10), &[(1, a(0xA1)), (2, a(0xA2))], 0);
    let t2 = encode_file(t(2, 3, 20), &[(2, a(0xB2)), (3, a(0xB3))], 0);
    let t3 = encode_file(t(3, 2, 30), &[(1, a(0xC1))], 0);
    let mut inputs = vec![
        SliceSource::new(&t1).unwrap(),
        SliceSource::new(&t2).unwrap(),
        SliceSource::new(&t3).unwrap(),
    ];
    let mut out = Vec::new();
    compact(
        &mut inputs,
        HEADER_FLAG_NO_CHECKSUM,
        false,
        &mut |b: &[u8]| -> Result<(), ()> {
            out.extend_from_slice(b);
            Ok(())
        },
    )
    .unwrap();
    let f = decode_file(&out).unwrap();
    assert_eq!(
        (f.header.min_txid, f.header.max_txid, f.header.commit),
        (1, 3, 2)
    );
    assert_eq!(f.header.timestamp, 30);
    assert_eq!(f.pages, vec![(1, a(0xC1)), (2, a(0xB2))]);

    let mut gap = vec![
        SliceSource::new(&t1).unwrap(),
        SliceSource::new(&t3).unwrap(),
    ];
    let err = compact(
        &mut gap,
        HEADER_FLAG_NO_CHECKSUM,
        false,
        &mut |_: &[u8]| -> Result<(), ()> { Ok(()) },
    )
    .unwrap_err();
    assert_eq!(
        err,
        CompactError::Ltx(LtxError::NonContiguous {
            prev: (1, 1),
            next: (3, 3)
        })
    );
    assert!(err_text(&err).starts_with("non-contiguous transaction ids"));
}

#[test]
fn compaction_as_snapshot_rebases_a_full_image_and_refuses_a_partial_one() {
    let a = |c: u8| vec![c; 512];
    let at = |min: u64, commit: u32| Header {
        min_txid: min,
        max_txid: min,
        ..incr(commit)
    };
    let full = encode_file(at(7, 2), &[(1, a(0xA1)), (2, a(0xA2))], 0);
    let mut out = Vec::new();
    compact(
        &mut [SliceSource::new(&full).unwrap()],
        HEADER_FLAG_NO_CHECKSUM,
        true,
        &mut |b: &[u8]| -> Result<(), ()> {
            out.extend_from_slice(b);
            Ok(())
        },
    )
    .unwrap();
    let f = decode_file(&out).unwrap();
    assert_eq!((f.header.min_txid, f.header.max_txid), (1, 7));
    assert!(f.header.is_snapshot());
    assert_eq!(f.header.pre_apply_checksum, 0);
    assert_eq!(f.pages, vec![(1, a(0xA1)), (2, a(0xA2))]);

    let partial = encode_file(at(8, 2), &[(2, a(0xB2))], 0);
    let err = compact(
        &mut [SliceSource::new(&partial).unwrap()],
        HEADER_FLAG_NO_CHECKSUM,
        true,
        &mut |_: &[u8]| -> Result<(), ()> { Ok(()) },
    )
    .unwrap_err();
    assert!(
        matches!(err, CompactError::Ltx(LtxError::SnapshotIncomplete { .. })),
        "{err:?}"
    );
}

fn err_text(e: &CompactError<()>) -> String {
    match e {
        CompactError::Ltx(e) => e.to_string(),
        CompactError::Sink(()) => String::new(),
    }
}

#[test]
fn compaction_rejects_mixed_page_sizes_and_no_inputs() {
    let h1 = incr(1);
    let h2 = Header {
        page_size: 1024,
        min_txid: 3,
        max_txid: 3,
        ..incr(1)
    };
    assert_eq!(
        compaction_header(&[&h1, &h2], 0),
        Err(LtxError::PageSizeDiffers {
            first: 512,
            other: 1024
        })
    );
    assert_eq!(compaction_header(&[], 0), Err(LtxError::NoInputs));
}
