//! LTX codec throughput next to raw `lz4_flex` block compression of the same pages.
//!
//! `cargo bench -p litestream-e2e --bench ltx_codec` prints MB/s of page data for raw LZ4
//! compress/decompress and for LTX encode/decode (NoChecksum, as Litestream writes), and the
//! LTX/raw ratios. Pages are SQLite-like: a b-tree header and cell pointers, text rows, a
//! random blob tail and free space, so some compress well and some do not.

use std::time::{Duration, Instant};

use litestream_core::ltx::{DecodeEvent, Decoder, Encoder, Header, HEADER_FLAG_NO_CHECKSUM};

const PAGE_SIZE: usize = 4096;
const PAGES: usize = 16384;
const ROUNDS: usize = 9;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn make_pages() -> Vec<Vec<u8>> {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    (0..PAGES)
        .map(|i| {
            let mut p = vec![0u8; PAGE_SIZE];
            p[0] = 0x0d;
            p[3..5].copy_from_slice(&(40u16).to_be_bytes());
            // Cell pointer array, then free space (zeros), then rows at the end.
            for c in 0..40 {
                let off = (PAGE_SIZE - 60 * (c + 1)) as u16;
                p[8 + 2 * c..10 + 2 * c].copy_from_slice(&off.to_be_bytes());
            }
            let kind = i % 4;
            let rows_from = match kind {
                0 => PAGE_SIZE / 2, // half free space
                1 => 200,           // full of text rows
                _ => PAGE_SIZE / 4,
            };
            let mut at = rows_from;
            let mut row = 0u64;
            while at + 60 <= PAGE_SIZE {
                let text = format!(
                    "row-{:05}-{:x}-name-{}|",
                    i as u64 * 40 + row,
                    (i as u64 * 40 + row) * 7919,
                    row % 13
                );
                let t = text.as_bytes();
                let n = t.len().min(60);
                p[at..at + n].copy_from_slice(&t[..n]);
                at += 60;
                row += 1;
            }
            // Pages of kind 3 carry a random blob (overflow-page-like, incompressible).
            if kind == 3 {
                for b in p[PAGE_SIZE / 4..].iter_mut() {
                    *b = rng.next() as u8;
                }
            }
            p
        })
        .collect()
}

fn mbps(d: Duration) -> f64 {
    (PAGES * PAGE_SIZE) as f64 / d.as_secs_f64() / 1e6
}

fn raw_compress(pages: &[Vec<u8>], scratch: &mut [u8]) -> usize {
    let mut total = 0usize;
    for p in pages {
        total += lz4_flex::block::compress_into(p, scratch).expect("bound-sized buffer");
    }
    total
}

/// Decompress blocks laid out back to back in one buffer, as they are in a file.
fn raw_decompress(blob: &[u8], ends: &[usize], page: &mut [u8]) -> u64 {
    let mut sum = 0u64;
    let mut start = 0;
    for &end in ends {
        let n = lz4_flex::block::decompress_into(&blob[start..end], page).expect("valid block");
        start = end;
        sum += u64::from(page[n - 1]);
    }
    sum
}

/// Encode every page, draining after each into a reused buffer (a stand-in for a write).
fn ltx_encode(header: Header, pages: &[Vec<u8>], sink: &mut Vec<u8>) -> usize {
    let mut enc = Encoder::new(header).expect("valid header");
    let mut total = 0;
    for (i, p) in pages.iter().enumerate() {
        enc.write_page(i as u32 + 1, p).expect("valid page");
        sink.clear();
        enc.drain_into(sink);
        total += sink.len();
    }
    enc.finish(0).expect("valid trailer");
    sink.clear();
    enc.drain_into(sink);
    total + sink.len()
}

/// Decode a file pushed in 64 KiB chunks, as a file reader would.
fn ltx_decode(file: &[u8]) -> usize {
    let mut dec = Decoder::new();
    let mut rest = file;
    let mut n = 0usize;
    loop {
        match dec.next().expect("valid file") {
            Some(DecodeEvent::Page { data, .. }) => n += usize::from(data[0] != 0xff),
            Some(DecodeEvent::Done(_)) => return n,
            Some(DecodeEvent::Header(_)) => {}
            None if rest.is_empty() => dec.end_of_input(),
            None => {
                let k = rest.len().min(64 * 1024);
                dec.push(&rest[..k]);
                rest = &rest[k..];
            }
        }
    }
}

/// Time one run of `f`, keeping the best time in `best`.
fn time<T>(best: &mut Duration, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    *best = (*best).min(t.elapsed());
    r
}

fn main() {
    let pages = make_pages();
    let mut scratch = vec![0u8; lz4_flex::block::get_maximum_output_size(PAGE_SIZE)];
    let mut blob = Vec::new();
    let mut ends = Vec::with_capacity(PAGES);
    for p in &pages {
        blob.extend_from_slice(&lz4_flex::block::compress(p));
        ends.push(blob.len());
    }
    let compressed_bytes = blob.len();
    let header = Header {
        flags: HEADER_FLAG_NO_CHECKSUM,
        page_size: PAGE_SIZE as u32,
        commit: PAGES as u32,
        min_txid: 1,
        max_txid: 1,
        timestamp: 1_700_000_000_000,
        ..Header::default()
    };
    let mut file = Vec::new();
    {
        let mut enc = Encoder::new(header).expect("valid header");
        for (i, p) in pages.iter().enumerate() {
            enc.write_page(i as u32 + 1, p).expect("valid page");
        }
        enc.finish(0).expect("valid trailer");
        enc.drain_into(&mut file);
    }

    // Rounds interleave the four measurements so that load from other processes hits each
    // alike; the best time of each is kept.
    let mut page = vec![0u8; PAGE_SIZE];
    let mut sink = Vec::with_capacity(64 * 1024);
    let (mut crc_t, mut raw_c, mut enc_t, mut raw_d, mut dec_t) = (
        Duration::MAX,
        Duration::MAX,
        Duration::MAX,
        Duration::MAX,
        Duration::MAX,
    );
    for _ in 0..ROUNDS {
        time(&mut crc_t, || {
            let mut d = litestream_core::ltx::Crc64Digest::new();
            for p in &pages {
                d.update(&p[..10]);
                d.update(p);
            }
            d.value()
        });
        time(&mut raw_c, || raw_compress(&pages, &mut scratch));
        time(&mut enc_t, || ltx_encode(header, &pages, &mut sink));
        time(&mut raw_d, || raw_decompress(&blob, &ends, &mut page));
        let n = time(&mut dec_t, || ltx_decode(&file));
        assert_eq!(n, PAGES);
    }

    println!(
        "{PAGES} pages x {PAGE_SIZE} B = {} MiB, LZ4 ratio {:.2}, LTX file {} bytes, best of {ROUNDS}",
        (PAGES * PAGE_SIZE) >> 20,
        (PAGES * PAGE_SIZE) as f64 / compressed_bytes as f64,
        file.len()
    );
    println!("crc-64 of the pages {:8.0} MB/s", mbps(crc_t));
    println!("raw lz4 compress    {:8.0} MB/s", mbps(raw_c));
    println!(
        "ltx encode          {:8.0} MB/s   {:5.1} % of raw compress",
        mbps(enc_t),
        100.0 * raw_c.as_secs_f64() / enc_t.as_secs_f64()
    );
    println!("raw lz4 decompress  {:8.0} MB/s", mbps(raw_d));
    println!(
        "ltx decode          {:8.0} MB/s   {:5.1} % of raw decompress",
        mbps(dec_t),
        100.0 * raw_d.as_secs_f64() / dec_t.as_secs_f64()
    );
}
