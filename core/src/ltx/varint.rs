//! Unsigned LEB128 varints as Go's `binary.AppendUvarint` / `ReadUvarint` write and read
//! them (the page index, LTX.md §5).

/// The longest valid encoding of a u64.
pub const MAX_VARINT_LEN: usize = 10;

/// Append `v` to `out`.
pub fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The outcome of reading one varint from a byte slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uvarint {
    /// A value and the number of bytes it took.
    Value(u64, usize),
    /// The slice ends before the varint does.
    Incomplete,
    /// More than 64 bits (Go: "varint overflows a 64-bit integer").
    Overflow,
}

/// Read one varint from the start of `b`.
pub fn get_uvarint(b: &[u8]) -> Uvarint {
    let mut v = 0u64;
    for (i, &byte) in b.iter().enumerate() {
        if i == MAX_VARINT_LEN {
            return Uvarint::Overflow;
        }
        if byte < 0x80 {
            if i == MAX_VARINT_LEN - 1 && byte > 1 {
                return Uvarint::Overflow;
            }
            return Uvarint::Value(v | (u64::from(byte) << (7 * i)), i + 1);
        }
        v |= u64::from(byte & 0x7f) << (7 * i);
    }
    if b.len() >= MAX_VARINT_LEN {
        Uvarint::Overflow
    } else {
        Uvarint::Incomplete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_edges() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16383,
            16384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut b = Vec::new();
            put_uvarint(&mut b, v);
            assert_eq!(get_uvarint(&b), Uvarint::Value(v, b.len()));
            assert_eq!(get_uvarint(&b[..b.len() - 1]), Uvarint::Incomplete);
        }
        let mut b = Vec::new();
        put_uvarint(&mut b, 289);
        assert_eq!(b, [0xA1, 0x02]);
    }

    #[test]
    fn overflow() {
        assert_eq!(get_uvarint(&[0xff; 11]), Uvarint::Overflow);
        let mut b = vec![0xff; 9];
        b.push(0x02);
        assert_eq!(get_uvarint(&b), Uvarint::Overflow);
    }
}
