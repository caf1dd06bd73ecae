//! Property tests: encode → decode is the identity for random page sets, page sizes and
//! flags; truncated or bit-flipped files are rejected (never a panic, never wrong pages).

use std::collections::BTreeSet;

use litestream_core::ltx::{
    decode_file, lock_pgno, DbChecksum, DecodeEvent, Decoder, Encoder, Header, LtxError,
    CHECKSUM_FLAG, HEADER_FLAG_NO_CHECKSUM, HEADER_SIZE,
};
use proptest::prelude::*;

/// A page that is partly compressible: a SQLite-like header, runs, and noise.
fn make_page(pgno: u32, seed: u64, size: usize) -> Vec<u8> {
    let mut x = seed ^ u64::from(pgno).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let noise_from = (seed as usize % 4) * size / 4;
    (0..size)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match i {
                0..=7 => (pgno >> (i % 4 * 8)) as u8,
                _ if i >= noise_from => x as u8,
                _ => (i / 64) as u8,
            }
        })
        .collect()
}

#[derive(Debug, Clone)]
struct Case {
    header: Header,
    pages: Vec<(u32, Vec<u8>)>,
    post_apply: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec![512u32, 1024, 2048, 4096, 8192, 16384, 32768, 65536]),
        any::<bool>(),
        any::<bool>(),
        any::<u64>(),
        any::<u64>(),
        prop::collection::btree_set(1u32..40, 0..24),
    )
        .prop_map(|(page_size, checksums, snapshot, seed, cks, subset)| {
            // Bound each case to about 512 KiB of page data.
            let max_pages = (512 * 1024 / page_size as usize).max(1);
            let (commit, pgnos): (u32, BTreeSet<u32>) = if snapshot {
                let commit = (seed % (max_pages as u64 + 1)) as u32;
                (commit, (1..=commit).collect())
            } else {
                let pgnos: BTreeSet<u32> = subset.into_iter().take(max_pages).collect();
                let commit = pgnos.last().copied().unwrap_or(1) + (seed % 3) as u32;
                (commit, pgnos)
            };
            let pages: Vec<(u32, Vec<u8>)> = pgnos
                .into_iter()
                .filter(|&p| p != lock_pgno(page_size))
                .map(|p| (p, make_page(p, seed, page_size as usize)))
                .collect();
            let min_txid = if snapshot { 1 } else { 2 + seed % 1000 };
            let header = Header {
                flags: if checksums {
                    0
                } else {
                    HEADER_FLAG_NO_CHECKSUM
                },
                page_size,
                commit,
                min_txid,
                max_txid: min_txid + seed % 5,
                timestamp: (seed >> 20) as i64,
                pre_apply_checksum: if checksums && !snapshot {
                    cks | CHECKSUM_FLAG
                } else {
                    0
                },
                ..Header::default()
            };
            let post_apply = match (checksums, snapshot) {
                (false, _) => 0,
                (true, false) => cks.rotate_left(7) | CHECKSUM_FLAG,
                (true, true) => {
                    let mut db = DbChecksum::new();
                    for (p, d) in &pages {
                        db.add_page(*p, d);
                    }
                    db.value()
                }
            };
            Case {
                header,
                pages,
                post_apply,
            }
        })
}

fn encode(c: &Case) -> Vec<u8> {
    let mut enc = Encoder::new(c.header).expect("valid header");
    let mut out = Vec::new();
    for (p, d) in &c.pages {
        enc.write_page(*p, d).expect("valid page");
        enc.drain_into(&mut out);
    }
    enc.finish(c.post_apply).expect("valid trailer");
    enc.drain_into(&mut out);
    out
}

/// Byte ranges of the compressed payloads: the only bytes the file checksum does not cover.
fn payload_ranges(file: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut at = HEADER_SIZE;
    let mut out = Vec::new();
    while file[at..at + 6] != [0u8; 6] {
        let size = u32::from_be_bytes(file[at + 6..at + 10].try_into().unwrap()) as usize;
        out.push(at + 10..at + 10 + size);
        at += 10 + size;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn encode_decode_round_trip(c in case(), splits in prop::collection::vec(1usize..5000, 1..8)) {
        let bytes = encode(&c);
        let f = decode_file(&bytes).unwrap();
        prop_assert_eq!(f.header, c.header);
        prop_assert_eq!(&f.pages, &c.pages);
        prop_assert_eq!(f.trailer.post_apply_checksum, c.post_apply);

        // The same through arbitrary chunk sizes.
        let mut dec = Decoder::new();
        let mut pages = Vec::new();
        let mut rest = &bytes[..];
        let mut i = 0;
        let mut done = false;
        while !done {
            match dec.next().unwrap() {
                Some(DecodeEvent::Page { pgno, data }) => pages.push((pgno, data.to_vec())),
                Some(DecodeEvent::Done(t)) => { prop_assert_eq!(t, f.trailer); done = true; }
                Some(DecodeEvent::Header(_)) => {}
                None if rest.is_empty() => dec.end_of_input(),
                None => {
                    let n = splits[i % splits.len()].min(rest.len());
                    dec.push(&rest[..n]);
                    rest = &rest[n..];
                    i += 1;
                }
            }
        }
        prop_assert_eq!(pages, c.pages);
    }

    #[test]
    fn damaged_files_are_rejected(c in case(), cut in any::<prop::sample::Index>(), flips in prop::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..6)) {
        let bytes = encode(&c);
        let n = cut.index(bytes.len());
        let truncated = decode_file(&bytes[..n]);
        prop_assert!(matches!(truncated, Err(LtxError::UnexpectedEof { .. })), "cut {}: {:?}", n, truncated.map(|_| ()));

        let payloads = payload_ranges(&bytes);
        for (at, bit) in flips {
            let at = at.index(bytes.len());
            let mut b = bytes.clone();
            b[at] ^= 1 << bit;
            match decode_file(&b) {
                Err(_) => {}
                // A flip inside an LZ4 payload may re-encode the same plaintext (e.g. another
                // match offset inside a run); then the pages must be exactly the originals.
                Ok(f) => {
                    prop_assert!(payloads.iter().any(|r| r.contains(&at)), "flip at {} accepted", at);
                    prop_assert_eq!(f.pages, c.pages.clone());
                }
            }
        }
    }
}
