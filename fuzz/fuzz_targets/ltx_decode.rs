//! Fuzz the LTX decoder: any bytes, fed whole and in arbitrary chunk splits, must give the
//! same result either way and never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use litestream_core::ltx::{decode_file, DecodeEvent, Decoder, LtxError};

/// Decode `data` pushed in chunks whose sizes come from `seed`.
fn decode_chunked(data: &[u8], seed: u16) -> Result<Vec<(u32, Vec<u8>)>, LtxError> {
    let mut dec = Decoder::new();
    let mut rest = data;
    let mut x = u32::from(seed) | 1;
    let mut pages = Vec::new();
    loop {
        match dec.next()? {
            Some(DecodeEvent::Page { pgno, data }) => pages.push((pgno, data.to_vec())),
            Some(DecodeEvent::Header(_)) => {}
            Some(DecodeEvent::Done(_)) => {
                dec.push(rest);
                dec.end_of_input();
                dec.next()?;
                return Ok(pages);
            }
            None if rest.is_empty() => {
                if dec.is_end_of_input() {
                    return Ok(pages);
                }
                dec.end_of_input();
            }
            None => {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let n = ((x >> 16) as usize % 300 + 1).min(rest.len());
                dec.push(&rest[..n]);
                rest = &rest[n..];
            }
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let whole = decode_file(input);
    if input.len() >= 2 {
        let seed = u16::from_le_bytes([input[0], input[1]]);
        let chunked = decode_chunked(input, seed);
        match (&whole, &chunked) {
            (Ok(f), Ok(pages)) => assert_eq!(&f.pages, pages),
            (Err(a), Err(b)) => assert_eq!(a, b),
            _ => panic!("whole {whole:?} vs chunked {chunked:?}"),
        }
    }
});
