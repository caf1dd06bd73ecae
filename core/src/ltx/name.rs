//! LTX file names (`%016x-%016x.ltx`) and the 16-hex-digit TXID text form (LTX.md §9).

/// The file name for a TXID range: `<min:016x>-<max:016x>.ltx`.
pub fn format_filename(min_txid: u64, max_txid: u64) -> String {
    format!("{min_txid:016x}-{max_txid:016x}.ltx")
}

/// Parse a file name of exactly the form `^[0-9a-f]{16}-[0-9a-f]{16}\.ltx$` into its range.
pub fn parse_filename(name: &str) -> Option<(u64, u64)> {
    let b = name.as_bytes();
    if b.len() != 37 || b[16] != b'-' || &b[33..] != b".ltx" {
        return None;
    }
    Some((parse_lower_hex16(&b[..16])?, parse_lower_hex16(&b[17..33])?))
}

/// A TXID as 16 lowercase hex digits.
pub fn format_txid(txid: u64) -> String {
    format!("{txid:016x}")
}

/// Parse a TXID of exactly 16 hex digits (upper case accepted, as Go's `ParseTXID` does).
pub fn parse_txid(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 16 || !b.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

/// File names are lower case only, so this rejects `A`..`F` where `parse_txid` accepts them.
fn parse_lower_hex16(b: &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for &c in b {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        v = (v << 4) | u64::from(d);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filename_round_trip() {
        assert_eq!(
            format_filename(1, 5),
            "0000000000000001-0000000000000005.ltx"
        );
        assert_eq!(
            parse_filename("0000000000000001-0000000000000005.ltx"),
            Some((1, 5))
        );
        assert_eq!(
            parse_filename(&format_filename(u64::MAX, 0xabc)),
            Some((u64::MAX, 0xabc))
        );
    }

    #[test]
    fn filename_rejects_near_misses() {
        for bad in [
            "0000000000000001-0000000000000005.LTX",
            "000000000000000A-0000000000000005.ltx",
            "0000000000000001_0000000000000005.ltx",
            "000000000000001-0000000000000005.ltx",
            "0000000000000001-0000000000000005.ltx.tmp",
            "x0000000000000001-0000000000000005.ltx",
            "",
        ] {
            assert_eq!(parse_filename(bad), None, "{bad}");
        }
    }

    #[test]
    fn txid_text() {
        assert_eq!(format_txid(0x2a), "000000000000002a");
        assert_eq!(parse_txid("000000000000002a"), Some(0x2a));
        assert_eq!(parse_txid("000000000000002A"), Some(0x2a));
        assert_eq!(parse_txid("2a"), None);
        assert_eq!(parse_txid("+00000000000002a"), None);
        assert_eq!(parse_txid("00000000000000g1"), None);
    }
}
