//! Go `time.Duration` text: parsing (`time.ParseDuration`) and formatting
//! (`Duration.String`), on signed nanoseconds like Go's `int64`.

use std::time::Duration;

const UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),  // µs, micro sign
    ("\u{3bc}s", 1_000), // μs, Greek mu
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Parses Go duration syntax (`500ms`, `1h30m`, `-1.5s`, `0`) into signed nanoseconds.
///
/// Errors carry Go's wording: `invalid duration "x"`, `missing unit in duration "1"`,
/// `unknown unit "d" in duration "1d"`.
pub fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("invalid duration {orig:?}");
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.chars().next() {
        if c == '-' || c == '+' {
            neg = c == '-';
            s = &s[1..];
        }
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let first = s.as_bytes()[0];
        if !(first == b'.' || first.is_ascii_digit()) {
            return Err(invalid());
        }
        // Integer part.
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let mut v: u64 = 0;
        for d in s[..int_len].bytes() {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .filter(|&v| v <= 1 << 63)
                .ok_or_else(invalid)?;
        }
        s = &s[int_len..];
        let pre = int_len > 0;
        // Fraction part.
        let (mut frac, mut scale, mut post) = (0u64, 1f64, false);
        if let Some(rest) = s.strip_prefix('.') {
            s = rest;
            let n = s.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for d in s[..n].bytes() {
                if overflow {
                    continue;
                }
                match frac
                    .checked_mul(10)
                    .and_then(|f| f.checked_add(u64::from(d - b'0')))
                {
                    Some(f) if f <= 1 << 63 => {
                        frac = f;
                        scale *= 10.0;
                    }
                    _ => overflow = true,
                }
            }
            s = &s[n..];
            post = n > 0;
        }
        if !pre && !post {
            return Err(invalid());
        }
        // Unit.
        let unit_len = s
            .char_indices()
            .find(|&(_, c)| c == '.' || c.is_ascii_digit())
            .map_or(s.len(), |(i, _)| i);
        if unit_len == 0 {
            return Err(format!("missing unit in duration {orig:?}"));
        }
        let unit_name = &s[..unit_len];
        s = &s[unit_len..];
        let unit = UNITS
            .iter()
            .find(|(n, _)| *n == unit_name)
            .map(|&(_, u)| u)
            .ok_or_else(|| format!("unknown unit {unit_name:?} in duration {orig:?}"))?;
        if v > (1 << 63) / unit {
            return Err(invalid());
        }
        v *= unit;
        if frac > 0 {
            v += (frac as f64 * (unit as f64 / scale)) as u64;
            if v > 1 << 63 {
                return Err(invalid());
            }
        }
        total = total
            .checked_add(v)
            .filter(|&t| t <= 1 << 63)
            .ok_or_else(invalid)?;
    }
    if neg {
        return Ok((total as i64).wrapping_neg());
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// Formats signed nanoseconds like Go's `Duration.String` (`0s`, `1.5s`, `1h30m0s`, `500ms`).
pub fn format_go_duration(nanos: i64) -> String {
    let neg = nanos < 0;
    let mut u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (prec, unit) = match u {
            0 => return "0s".into(),
            1..=999 => (0, "ns"),
            1_000..=999_999 => (3, "\u{b5}s"),
            _ => (6, "ms"),
        };
        let (int, frac) = split_frac(u, prec);
        out.push_str(&int.to_string());
        out.push_str(&frac);
        out.push_str(unit);
    } else {
        let (secs, frac) = split_frac(u, 9);
        u = secs;
        let s = format!("{}{}s", u % 60, frac);
        u /= 60;
        if u > 0 {
            let m = u % 60;
            u /= 60;
            if u > 0 {
                out.push_str(&format!("{u}h"));
            }
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&s);
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// Formats a `std::time::Duration` like Go (saturating at Go's maximum).
pub fn format_std_duration(d: Duration) -> String {
    format_go_duration(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Splits `v` into `v / 10^prec` and Go's fraction text (`.12`, trailing zeros and the
/// point dropped when the fraction is zero).
fn split_frac(v: u64, prec: u32) -> (u64, String) {
    let p = 10u64.pow(prec);
    let frac = v % p;
    if frac == 0 {
        return (v / p, String::new());
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (v / p, format!(".{}", digits.trim_end_matches('0')))
}

/// Converts non-negative Go nanoseconds to `std::time::Duration` (negative → zero).
pub fn to_std(nanos: i64) -> Duration {
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_syntax() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("500ms", 500_000_000),
            ("30s", 30_000_000_000),
            ("1m", 60_000_000_000),
            ("1h30m", 5_400_000_000_000),
            ("1.5s", 1_500_000_000),
            (".5s", 500_000_000),
            ("1.s", 1_000_000_000),
            ("10µs", 10_000),
            ("10μs", 10_000),
            ("10us", 10_000),
            ("7ns", 7),
            ("-1s", -1_000_000_000),
            ("+2m", 120_000_000_000),
            ("1h1m1s1ms1us1ns", 3_661_001_001_001),
            ("2562047h47m16.854775807s", i64::MAX),
            ("-2562047h47m16.854775808s", i64::MIN),
        ];
        for &(s, want) in cases {
            assert_eq!(parse_go_duration(s), Ok(want), "{s}");
        }
    }

    #[test]
    fn rejects_bad_durations_with_go_wording() {
        assert_eq!(parse_go_duration(""), Err("invalid duration \"\"".into()));
        assert_eq!(
            parse_go_duration("1"),
            Err("missing unit in duration \"1\"".into())
        );
        assert_eq!(
            parse_go_duration("1d"),
            Err("unknown unit \"d\" in duration \"1d\"".into())
        );
        assert_eq!(
            parse_go_duration("abc"),
            Err("invalid duration \"abc\"".into())
        );
        assert_eq!(parse_go_duration("."), Err("invalid duration \".\"".into()));
        assert!(parse_go_duration("2562047h47m16.854775808s").is_err());
        assert!(parse_go_duration("9999999999999999999h").is_err());
    }

    #[test]
    fn formats_like_go() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (500_000_000, "500ms"),
            (1_000_000_000, "1s"),
            (1_500_000_000, "1.5s"),
            (60_000_000_000, "1m0s"),
            (5_400_000_000_000, "1h30m0s"),
            (86_400_000_000_000, "24h0m0s"),
            (-1_000_000_000, "-1s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for &(n, want) in cases {
            assert_eq!(format_go_duration(n), want, "{n}");
        }
        assert_eq!(format_std_duration(Duration::from_secs(30)), "30s");
    }
}
