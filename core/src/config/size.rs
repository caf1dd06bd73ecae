//! Byte sizes the way go-humanize's `ParseBytes` reads them (`part-size`):
//! `K/KB/M/MB…` are powers of 1000, `KiB/MiB…` powers of 1024, case-insensitive.

const TABLE: &[(&str, u64)] = &[
    ("", 1),
    ("b", 1),
    ("k", 1_000),
    ("kb", 1_000),
    ("ki", 1 << 10),
    ("kib", 1 << 10),
    ("m", 1_000_000),
    ("mb", 1_000_000),
    ("mi", 1 << 20),
    ("mib", 1 << 20),
    ("g", 1_000_000_000),
    ("gb", 1_000_000_000),
    ("gi", 1 << 30),
    ("gib", 1 << 30),
    ("t", 1_000_000_000_000),
    ("tb", 1_000_000_000_000),
    ("ti", 1 << 40),
    ("tib", 1 << 40),
    ("p", 1_000_000_000_000_000),
    ("pb", 1_000_000_000_000_000),
    ("pi", 1 << 50),
    ("pib", 1 << 50),
    ("e", 1_000_000_000_000_000_000),
    ("eb", 1_000_000_000_000_000_000),
    ("ei", 1 << 60),
    ("eib", 1 << 60),
];

/// Parses a humanized byte size (`5MiB` = 5,242,880; `5MB` = 5,000,000; `1.5GB`;
/// `1,024 KB`; a bare number is bytes). The result must fit in an `i64` like Go's.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty size string".into());
    }
    let num_len = s
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == ','))
        .map_or(s.len(), |(i, _)| i);
    let num: String = s[..num_len].chars().filter(|&c| c != ',').collect();
    let value: f64 = num
        .parse()
        .ok()
        .filter(|_| !num.is_empty())
        .ok_or_else(|| format!("invalid size {text:?}: expected a number such as 64MiB"))?;
    let unit = s[num_len..].trim().to_ascii_lowercase();
    let mult = TABLE
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|&(_, m)| m)
        .ok_or_else(|| {
            format!(
                "invalid size {text:?}: unknown unit {unit:?} (use B, KB, MB, GB, KiB, MiB, GiB…)"
            )
        })?;
    let bytes = value * mult as f64;
    if bytes >= i64::MAX as f64 {
        return Err(format!("invalid size {text:?}: too large"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn humanize_units() {
        let cases: &[(&str, u64)] = &[
            ("5MB", 5_000_000),
            ("5MiB", 5_242_880),
            ("5mib", 5_242_880),
            ("5 MiB", 5_242_880),
            ("5M", 5_000_000),
            ("5Mi", 5_242_880),
            ("1.5GB", 1_500_000_000),
            ("1KB", 1_000),
            ("1KiB", 1_024),
            ("100", 100),
            ("100B", 100),
            ("1,024", 1_024),
            ("16MiB", 16 * 1024 * 1024),
        ];
        for &(s, want) in cases {
            assert_eq!(parse_bytes(s), Ok(want), "{s}");
        }
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_bytes("").is_err());
        assert!(parse_bytes("MB").is_err());
        assert!(parse_bytes("5XB")
            .unwrap_err()
            .contains("unknown unit \"xb\""));
        assert!(parse_bytes("100EB").unwrap_err().contains("too large"));
    }
}
