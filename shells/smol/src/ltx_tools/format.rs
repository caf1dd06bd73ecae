//! Output formats of the Go tool: RFC 3339 timestamps, the `***`-collapsing hexdump and
//! `text/tabwriter` columns.

use std::fmt::Write;

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `time.RFC3339` of Unix milliseconds in UTC, to the second.
pub(crate) fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

/// `time.RFC3339Nano` of Unix milliseconds in UTC: the fraction without trailing zeros.
pub(crate) fn rfc3339_nano(ms: i64) -> String {
    let base = rfc3339(ms);
    let frac = ms.rem_euclid(1000);
    if frac == 0 {
        return base;
    }
    let digits = format!("{frac:03}");
    format!(
        "{}.{}Z",
        &base[..base.len() - 1],
        digits.trim_end_matches('0')
    )
}

/// Append a hexdump of `data` (16 bytes a row, `hex.Dump` layout); a row equal to the one
/// before becomes a single `***` line, except the last row, which is always printed.
pub(crate) fn hexdump(out: &mut String, data: &[u8]) {
    let rows = data.len().div_ceil(16);
    let mut collapsed = false;
    for r in 0..rows {
        let row = &data[r * 16..(r * 16 + 16).min(data.len())];
        if r > 0 && r + 1 < rows && row == &data[(r - 1) * 16..r * 16] {
            if !collapsed {
                out.push_str("***\n");
                collapsed = true;
            }
            continue;
        }
        collapsed = false;
        let _ = write!(out, "{:08x}  ", r * 16);
        for i in 0..16 {
            match row.get(i) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push_str(" |");
        out.extend(row.iter().map(|&b| {
            if (0x20..=0x7e).contains(&b) {
                b as char
            } else {
                '.'
            }
        }));
        out.push_str("|\n");
    }
}

/// `text/tabwriter` with minwidth 0, padding 2, pad char ' ': every tab-terminated cell is
/// padded to its column's widest cell plus 2; the text after a line's last tab is not.
pub(crate) fn tabulate(lines: &[String]) -> String {
    let cells: Vec<Vec<&str>> = lines.iter().map(|l| l.split('\t').collect()).collect();
    let mut widths: Vec<usize> = Vec::new();
    for row in &cells {
        for (j, c) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            if widths.len() <= j {
                widths.push(0);
            }
            widths[j] = widths[j].max(c.len());
        }
    }
    let mut out = String::new();
    for row in &cells {
        for (j, c) in row.iter().enumerate() {
            if j + 1 < row.len() {
                let _ = write!(out, "{c:<w$}", w = widths[j] + 2);
            } else {
                out.push_str(c);
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_nano(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_nano(1_796_314_927_770), "2026-12-03T16:22:07.77Z");
        assert_eq!(rfc3339_nano(1_796_314_927_421), "2026-12-03T16:22:07.421Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn hexdump_collapses_repeats_but_prints_the_last_row() {
        let mut data = vec![0u8; 64];
        data[0] = b'A';
        let mut s = String::new();
        hexdump(&mut s, &data);
        assert_eq!(
            s,
            "00000000  41 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |A...............|\n\
             00000010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n\
             ***\n\
             00000030  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
        );
    }

    #[test]
    fn tabwriter_pads_all_but_the_last_cell() {
        let t = tabulate(&["ab\tc\tlast".to_string(), "a\tcdef\tx y".to_string()]);
        assert_eq!(t, "ab  c     last\na   cdef  x y\n");
    }
}
