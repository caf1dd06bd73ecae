//! Fuzz the WAL decoder: header decode, the page-map scanner, the frame decoder, the salt
//! scanner and resume, over arbitrary chunk splits. Chunking must never change a result.
//!
//! Input layout: byte 0 picks the mode (odd: build a valid WAL from the input, then damage
//! it; even: raw bytes), bytes 1..4 the chunk sizes and the byte limit, the rest the WAL.

#![no_main]

use libfuzzer_sys::fuzz_target;
use litestream_core::wal::{
    PageMap, PageMapScanner, SaltScanner, Salts, ScanStatus, WalCursor, WalDecoder, WalEncoder,
    WalHeader,
};

fn chunks<'a>(mut bytes: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    for &n in sizes.iter().cycle() {
        if bytes.is_empty() {
            break;
        }
        let (a, b) = bytes.split_at(n.clamp(1, bytes.len()));
        out.push(a);
        bytes = b;
    }
    out
}

fn scan(wal: &[u8], cursor: WalCursor, limit: Option<u64>, sizes: &[usize]) -> PageMap {
    let mut s = PageMapScanner::new(cursor, limit);
    for c in chunks(wal.get(cursor.offset() as usize..).unwrap_or(&[]), sizes) {
        if s.push(c) == ScanStatus::Finished {
            break;
        }
    }
    let map = s.finish();
    assert!(map.pages.keys().all(|&p| p >= 1 && p <= map.commit));
    assert!(map.is_empty() || map.end_offset > map.start_offset);
    map
}

fn frames(wal: &[u8], cursor: WalCursor, sizes: &[usize]) -> Vec<(u64, u32, u32, usize)> {
    let mut dec = WalDecoder::new(cursor);
    let mut out = Vec::new();
    for mut c in chunks(wal.get(cursor.offset() as usize..).unwrap_or(&[]), sizes) {
        while let Some(f) = dec.next_frame(&mut c) {
            out.push((f.offset, f.pgno(), f.commit(), f.data.len()));
        }
    }
    out
}

/// A valid little/big-endian WAL of 512-byte pages whose frames come from `spec` (two bytes
/// per frame: pgno, commit), then with a few bytes flipped as the tail of `spec` says.
fn build(spec: &[u8]) -> Vec<u8> {
    let be = spec.first().is_some_and(|b| b & 1 == 1);
    let header = WalHeader::new(be, 512, 0, Salts::new(7, 9)).expect("512 is a valid page size");
    let mut wal = header.encode().to_vec();
    let mut enc = WalEncoder::new(&header);
    let (frames, damage) = spec.split_at((spec.len() * 3 / 4) & !1);
    for (i, f) in frames.chunks_exact(2).take(64).enumerate() {
        let page = [i as u8; 512];
        enc.append_frame(&mut wal, u32::from(f[0] % 16), u32::from(f[1] % 20), &page)
            .expect("page is 512 bytes");
    }
    for d in damage.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([d[0], d[1]]));
        if let Some(b) = wal.get_mut(at) {
            *b ^= d[2];
        }
    }
    wal
}

fuzz_target!(|data: &[u8]| {
    let Some((&[mode, a, b, l], rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let built;
    let wal = if mode & 1 == 1 {
        built = build(rest);
        &built[..]
    } else {
        rest
    };
    let sizes = [usize::from(a) * 7 + 1, usize::from(b) * 301 + 1];
    let limit = (l != 0).then(|| u64::from(l) * 300);

    let Ok(header) = WalHeader::decode(wal) else {
        return;
    };
    assert_eq!(WalHeader::decode(&header.encode()), Ok(header));
    let start = WalCursor::start(&header);
    let whole = scan(wal, start, limit, &[wal.len()]);
    assert_eq!(scan(wal, start, limit, &sizes), whole);
    assert_eq!(frames(wal, start, &sizes), frames(wal, start, &[wal.len()]));

    let mut salts = SaltScanner::new(&header, Salts::new(u32::from(a), 9));
    for c in chunks(&wal[32..], &sizes) {
        salts.push(c);
    }
    assert!(salts.salts().len() <= wal.len() / 536 + 1);

    let at = 32 + u64::from(mode >> 1).max(1) * header.frame_size();
    let prev = header
        .prev_frame_offset(at)
        .expect("at is a frame boundary after frame 1");
    if let Ok(cursor) = WalCursor::resume(
        &header,
        at,
        header.salts(),
        wal.get(prev as usize..).unwrap_or(&[]),
    ) {
        assert_eq!(
            scan(wal, cursor, limit, &sizes),
            scan(wal, cursor, limit, &[wal.len()])
        );
    }
});
