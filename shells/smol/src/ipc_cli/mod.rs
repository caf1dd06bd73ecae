//! The control socket's CLI clients: `litestream list|info|register|unregister|sync|
//! start|stop` (IPC.md §5). Each sends one HTTP request over the socket and prints the
//! answer as `key: value` text or, with `-json`, as 2-space-indented JSON.
//!
//! Unlike Litestream, relative paths and `~` are expanded here, against the client's
//! working directory and home, before they are sent (the daemon refuses relative paths).

mod db_cmds;
mod http;
mod list_info;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

/// Run client command `cmd` with its arguments.
pub fn run(cmd: &str, args: &[String]) -> Result<(), String> {
    if wants_help(args) {
        println!("{}", usage(cmd));
        return Ok(());
    }
    match cmd {
        "list" | "info" => list_info::run(cmd, args),
        _ => db_cmds::run(cmd, args),
    }
}

/// Options shared by every client command.
pub(crate) struct Common {
    /// Socket path.
    pub socket: PathBuf,
    /// `-timeout` in seconds.
    pub timeout: i64,
    /// `-json`.
    pub json: bool,
}

impl Common {
    /// Parse `-socket`, `-timeout` (default `default_timeout`) and `-json` from `flags`.
    pub fn from_flags(
        flags: &BTreeMap<String, String>,
        default_timeout: i64,
    ) -> Result<Common, String> {
        let timeout = match flags.get("timeout") {
            Some(t) => t
                .parse::<i64>()
                .map_err(|_| format!("invalid value {t:?} for flag -timeout: parse error"))?,
            None => default_timeout,
        };
        Ok(Common {
            socket: flags
                .get("socket")
                .map_or_else(|| PathBuf::from(crate::socket::DEFAULT_PATH), PathBuf::from),
            timeout,
            json: crate::flag_true(flags, "json"),
        })
    }

    /// Fail unless `-timeout` is positive.
    pub fn require_positive_timeout(&self) -> Result<(), String> {
        if self.timeout <= 0 {
            return Err("timeout must be greater than 0".into());
        }
        Ok(())
    }

    /// Send a request; transport failures become `failed to connect to control socket`.
    /// The client waits a little longer than the server's own deadline so that a
    /// server-side timeout arrives as the daemon's message.
    pub fn call(&self, method: &str, path: &str, body: Option<&[u8]>) -> Result<Reply, String> {
        let timeout = u64::try_from(self.timeout)
            .ok()
            .filter(|t| *t > 0)
            .map(|t| Duration::from_secs(t.saturating_add(2)));
        http::request(&self.socket, method, path, body, timeout)
            .map_err(|e| format!("failed to connect to control socket: {e}"))
    }

    /// The socket path as printed.
    pub fn socket_text(&self) -> String {
        self.socket.display().to_string()
    }
}

pub(crate) use http::Reply;

/// The body of a non-200 answer as `<cmd> failed: <error>`.
pub(crate) fn failure(cmd: &str, reply: &Reply) -> String {
    let text = serde_json::from_slice::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&reply.body).trim_end().to_string());
    format!("{cmd} failed: {text}")
}

/// Print `value` as Go's `json.MarshalIndent(v, "", "  ")` does, plus a newline.
pub(crate) fn print_json<T: Serialize>(value: &T) -> Result<(), String> {
    let s =
        serde_json::to_string_pretty(value).map_err(|e| format!("failed to encode output: {e}"))?;
    println!("{}", go_escape(&s));
    Ok(())
}

fn go_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Make a database path absolute: `sqlite://` prefixes dropped, `~` → `$HOME`, relative
/// → against the working directory, then lexically cleaned (as the config does).
pub(crate) fn absolute_db_path(raw: &str) -> Result<String, String> {
    Ok(crate::setup::expand_db_path(raw)?.display().to_string())
}

/// Go's `time.Duration.String()` for whole seconds (`0s`, `45s`, `2m5s`, `1h30m0s`).
pub(crate) fn go_duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

/// An RFC 3339 time without its fractional seconds (Go's `time.RFC3339` layout).
pub(crate) fn without_fraction(t: &str) -> String {
    match t.find('.') {
        Some(dot) if t[..dot].contains('T') => {
            let digits = t[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
            format!("{}{}", &t[..dot], &t[dot + 1 + digits..])
        }
        _ => t.to_string(),
    }
}

fn wants_help(args: &[String]) -> bool {
    args.iter()
        .any(|a| matches!(a.as_str(), "-h" | "-help" | "--help"))
}

fn usage(cmd: &str) -> String {
    let (args, what, extra) = match cmd {
        "list" => ("", "Lists the databases the running daemon manages.", ""),
        "info" => (
            "",
            "Shows the running daemon's version, pid and uptime.",
            "",
        ),
        "register" => (
            " -replica URL DB_PATH",
            "Adds a database to the running daemon and starts replicating it.",
            "\t-replica URL\n\t    replica URL (required)\n",
        ),
        "unregister" => (
            " DB_PATH",
            "Syncs a database a last time, stops replicating it and forgets it.",
            "\t-dry-run\n\t    print what would be sent, send nothing\n",
        ),
        "sync" => (
            " DB_PATH",
            "Forces a WAL to LTX pass; with -wait also waits for the replica.",
            "\t-wait\n\t    wait until the replica holds the data\n",
        ),
        "start" => (" DB_PATH", "Resumes replication of a stopped database.", ""),
        _ => (
            " DB_PATH",
            "Syncs a database a last time and stops replicating it (it stays registered).",
            "",
        ),
    };
    let default_timeout = if matches!(cmd, "list" | "info") {
        10
    } else {
        30
    };
    format!(
        "{what}\n\nUsage:\n\n\tlitestream {cmd} [arguments]{args}\n\nArguments:\n\n\t-socket PATH\n\t    control socket path (default {})\n\t-timeout SECONDS\n\t    request timeout (default {default_timeout})\n\t-json\n\t    print JSON\n{extra}",
        crate::socket::DEFAULT_PATH
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(45), "45s");
        assert_eq!(go_duration(125), "2m5s");
        assert_eq!(go_duration(5400), "1h30m0s");
        assert_eq!(
            without_fraction("2026-01-02T03:04:05.12Z"),
            "2026-01-02T03:04:05Z"
        );
        assert_eq!(
            without_fraction("2026-01-02T03:04:05+02:00"),
            "2026-01-02T03:04:05+02:00"
        );
    }

    #[test]
    fn paths_are_made_absolute() {
        assert_eq!(absolute_db_path("/a/./b/../c.db").unwrap(), "/a/c.db");
        assert_eq!(absolute_db_path("sqlite3:///x.db").unwrap(), "/x.db");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            absolute_db_path("rel.db").unwrap(),
            cwd.join("rel.db").display().to_string()
        );
    }
}
