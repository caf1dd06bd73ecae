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
const ROUNDS: usize = 5;

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

fn best<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed());
        out = Some(r);
    }
    (best, out.expect("ROUNDS > 0"))
}

fn mbps(d: Duration) -> f64 {
    (PAGES * PAGE_SIZE) as f64 / d.as_secs_f64() / 1e6
}

fn main() {
    let pages = make_pages();

    // Raw LZ4 block compression into one reused buffer.
    let mut scratch = vec![0u8; lz4_flex::block::get_maximum_output_size(PAGE_SIZE)];
    let (raw_c, compressed) = best(|| {
        let mut total = 0usize;
        let mut blocks = Vec::with_capacity(PAGES);
        for p in &pages {
            let n = lz4_flex::block::compress_into(p, &mut scratch).expect("bound-sized buffer");
            total += n;
            blocks.push(scratch[..n].to_vec());
        }
        (total, blocks)
    });
    let (compressed_bytes, blocks) = compressed;
    // The copy into `blocks` is bookkeeping; time compression alone for the reference.
    let (raw_c_only, _) = best(|| {
        let mut total = 0usize;
        for p in &pages {
            total += lz4_flex::block::compress_into(p, &mut scratch).expect("bound-sized buffer");
        }
        total
    });
    let raw_c = raw_c.min(raw_c_only);

    let mut page = vec![0u8; PAGE_SIZE];
    let (raw_d, _) = best(|| {
        let mut sum = 0u64;
        for b in &blocks {
            let n = lz4_flex::block::decompress_into(b, &mut page).expect("valid block");
            sum += u64::from(page[n - 1]);
        }
        sum
    });

    let (crc_t, _) = best(|| {
        let mut d = litestream_core::ltx::Crc64Digest::new();
        for p in &pages {
            d.update(&p[..10]);
            d.update(p);
        }
        d.value()
    });

    let header = Header {
        flags: HEADER_FLAG_NO_CHECKSUM,
        page_size: PAGE_SIZE as u32,
        commit: PAGES as u32,
        min_txid: 1,
        max_txid: 1,
        timestamp: 1_700_000_000_000,
        ..Header::default()
    };
    // Encode, draining after every page into a reused buffer (a stand-in for a file write).
    let mut sink = Vec::with_capacity(64 * 1024);
    let (enc_t, file) = best(|| {
        let mut enc = Encoder::new(header).expect("valid header");
        let mut file = Vec::with_capacity(compressed_bytes + PAGES * 16 + 4096);
        for (i, p) in pages.iter().enumerate() {
            enc.write_page(i as u32 + 1, p).expect("valid page");
            sink.clear();
            enc.drain_into(&mut sink);
            file.extend_from_slice(&sink);
        }
        enc.finish(0).expect("valid trailer");
        enc.drain_into(&mut file);
        file
    });

    // Decode, pushing 64 KiB chunks as a file reader would.
    let (dec_t, n) = best(|| {
        let mut dec = Decoder::new();
        let mut rest = &file[..];
        let mut n = 0usize;
        loop {
            match dec.next().expect("valid file") {
                Some(DecodeEvent::Page { data, .. }) => n += usize::from(data[0] != 0xff),
                Some(DecodeEvent::Done(_)) => break,
                Some(DecodeEvent::Header(_)) => {}
                None if rest.is_empty() => dec.end_of_input(),
                None => {
                    let k = rest.len().min(64 * 1024);
                    dec.push(&rest[..k]);
                    rest = &rest[k..];
                }
            }
        }
        n
    });
    assert_eq!(n, PAGES);

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
