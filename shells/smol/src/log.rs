//! Log lines on stderr in Go slog's text (`time=… level=INFO msg=…`) or JSON form.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use litestream_core::emit::Level;
use litestream_core::time::UnixMs;

static MIN_LEVEL: AtomicU8 = AtomicU8::new(1);
static JSON: AtomicBool = AtomicBool::new(false);

fn rank(l: Level) -> u8 {
    match l {
        Level::Debug => 0,
        Level::Info => 1,
        Level::Warn => 2,
        Level::Error => 3,
    }
}

/// Set the minimum level and the format.
pub fn configure(level: Level, json: bool) {
    MIN_LEVEL.store(rank(level), Ordering::Relaxed);
    JSON.store(json, Ordering::Relaxed);
}

/// Parse a level name (`debug`, `info`, `warn`/`warning`, `error`; unknown → info).
pub fn parse_level(s: &str) -> Level {
    match s.to_ascii_lowercase().as_str() {
        "trace" | "debug" => Level::Debug,
        "warn" | "warning" => Level::Warn,
        "error" => Level::Error,
        _ => Level::Info,
    }
}

/// Wall-clock now.
pub fn now_ms() -> UnixMs {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    UnixMs(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Write one log line with optional `key=value` attributes.
pub fn log(level: Level, msg: &str, attrs: &[(&str, &str)]) {
    if rank(level) < MIN_LEVEL.load(Ordering::Relaxed) {
        return;
    }
    let name = match level {
        Level::Debug => "DEBUG",
        Level::Info => "INFO",
        Level::Warn => "WARN",
        Level::Error => "ERROR",
    };
    let time = rfc3339(now_ms(), 3);
    let line = if JSON.load(Ordering::Relaxed) {
        let mut m = serde_json::Map::new();
        m.insert("time".into(), time.into());
        m.insert("level".into(), name.into());
        m.insert("msg".into(), msg.into());
        for (k, v) in attrs {
            m.insert((*k).into(), (*v).into());
        }
        serde_json::Value::Object(m).to_string()
    } else {
        let mut s = format!("time={time} level={name} msg={}", quote(msg));
        for (k, v) in attrs {
            s.push_str(&format!(" {k}={}", quote(v)));
        }
        s
    };
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '=')
    {
        s.to_string()
    } else {
        format!("{s:?}")
    }
}

/// RFC 3339 in UTC with `frac` fractional digits trimmed of trailing zeros
/// (0 = whole seconds).
pub fn rfc3339(t: UnixMs, frac: usize) -> String {
    let secs = t.0.div_euclid(1000);
    let ms = t.0.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    if frac > 0 && ms != 0 {
        let f = format!("{ms:03}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parse RFC 3339 (`2006-01-02T15:04:05[.frac](Z|±hh:mm)`) into Unix milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<UnixMs> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &s[start..i];
        if digits.is_empty() {
            return None;
        }
        let padded = format!("{:0<3}", &digits[..digits.len().min(3)]);
        ms = padded.parse().ok()?;
    }
    let offset = match &s[i..] {
        "Z" | "z" => 0,
        tz if tz.len() == 6
            && (tz.starts_with('+') || tz.starts_with('-'))
            && tz.as_bytes()[3] == b':' =>
        {
            let oh: i64 = tz[1..3].parse().ok()?;
            let om: i64 = tz[4..6].parse().ok()?;
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    let (yy, mm) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy.rem_euclid(400);
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(UnixMs(
        (days * 86_400 + h * 3600 + mi * 60 + se - offset) * 1000 + ms,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_rfc3339() {
        assert_eq!(
            rfc3339(UnixMs(1_796_314_927_421), 3),
            "2026-12-03T16:22:07.421Z"
        );
        assert_eq!(
            rfc3339(UnixMs(1_700_000_000_000), 3),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            rfc3339(UnixMs(1_796_314_927_770), 3),
            "2026-12-03T16:22:07.77Z"
        );
        assert_eq!(
            rfc3339(UnixMs(1_796_314_927_770), 0),
            "2026-12-03T16:22:07Z"
        );
        assert_eq!(
            parse_rfc3339("2026-12-03T16:22:07.421Z"),
            Some(UnixMs(1_796_314_927_421))
        );
        assert_eq!(
            parse_rfc3339("2023-11-14T23:13:20+01:00"),
            Some(UnixMs(1_700_000_000_000))
        );
        assert_eq!(
            parse_rfc3339("2000-01-01T00:00:00Z"),
            Some(UnixMs(946_684_800_000))
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339("2023-13-14T23:13:20Z"), None);
    }
}
