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

pub use litestream_core::time::{parse_rfc3339, rfc3339};

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
