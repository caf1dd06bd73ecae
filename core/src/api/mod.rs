//! The control API (IPC.md): request and response types, routing of raw HTTP requests
//! to typed requests, and JSON bodies. Every status code and message is decided here or
//! in the replicator; the socket server in the shell only moves bytes.

pub mod body;
pub mod paths;
pub mod route;

pub use route::{route, MAX_BODY};

use serde::Serialize;

/// A typed control request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `GET /list`.
    List,
    /// `GET /info`.
    Info,
    /// `GET /txid?path=`.
    Txid {
        /// Database path as sent.
        path: String,
    },
    /// `POST /register`.
    Register {
        /// Database path as sent.
        path: String,
        /// Replica URL.
        replica_url: String,
    },
    /// `POST /unregister`.
    Unregister {
        /// Database path as sent.
        path: String,
        /// Seconds (≤ 0 or absent: 30).
        timeout: Option<i64>,
    },
    /// `POST /sync`.
    Sync {
        /// Database path as sent.
        path: String,
        /// Also wait for the replica.
        wait: bool,
        /// Seconds.
        timeout: Option<i64>,
    },
    /// `POST /start`.
    Start {
        /// Database path as sent.
        path: String,
        /// Seconds.
        timeout: Option<i64>,
    },
    /// `POST /stop`.
    Stop {
        /// Database path as sent.
        path: String,
        /// Seconds (absent/0: 30).
        timeout: Option<i64>,
    },
    /// `GET /debug/sync-status[?path=]`.
    SyncStatus {
        /// Only this database.
        path: Option<String>,
    },
    /// `GET /debug/pprof/...`: served by the shell's profiler.
    Pprof {
        /// Profile name after `/debug/pprof/` (empty = index).
        name: String,
        /// Raw query string.
        query: String,
    },
}

/// An HTTP response decided by the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Extra headers (e.g. `Allow`, `Location`).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response: compact JSON and a newline, with Go's HTML escaping.
    pub fn json<T: Serialize>(status: u16, value: &T) -> Response {
        let mut body = serde_json::to_string(value)
            .unwrap_or_else(|e| format!("{{\"error\":\"encode response: {e}\"}}"));
        body = go_escape(&body);
        body.push('\n');
        Response {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: body.into_bytes(),
        }
    }

    /// `{"error": msg}` with `status`.
    pub fn error(status: u16, msg: impl Into<String>) -> Response {
        Response::json(
            status,
            &ErrorBody {
                error: msg.into(),
                details: None,
            },
        )
    }

    /// `{"error": msg, "details": details}` with `status`.
    pub fn error_details(
        status: u16,
        msg: impl Into<String>,
        details: impl Into<String>,
    ) -> Response {
        Response::json(
            status,
            &ErrorBody {
                error: msg.into(),
                details: Some(details.into()),
            },
        )
    }

    /// A plain-text response.
    pub fn text(status: u16, body: impl Into<String>) -> Response {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            headers: Vec::new(),
            body: body.into().into_bytes(),
        }
    }
}

/// Go's `encoding/json` escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings.
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

/// Error body.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    /// Message.
    pub error: String,
    /// Decoder detail for invalid bodies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// One database in `/list`.
#[derive(Debug, Clone, Serialize)]
pub struct ListEntry {
    /// Absolute path.
    pub path: String,
    /// `replicating`, `open` or `stopped`.
    pub status: &'static str,
    /// RFC 3339 time of the last successful upload pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sync_at: Option<String>,
}

/// `/list` body.
#[derive(Debug, Clone, Serialize)]
pub struct ListBody {
    /// Databases in registration order.
    pub databases: Vec<ListEntry>,
}

/// `/info` body.
#[derive(Debug, Clone, Serialize)]
pub struct InfoBody {
    /// Version string.
    pub version: String,
    /// Process id.
    pub pid: u32,
    /// Whole seconds since start.
    pub uptime_seconds: u64,
    /// RFC 3339 start time.
    pub started_at: String,
    /// Managed databases.
    pub database_count: usize,
}

/// Status bodies of start/stop/register/unregister/sync.
#[derive(Debug, Clone, Serialize)]
pub struct StatusBody {
    /// `started`, `stopped`, `registered`, `synced` …
    pub status: &'static str,
    /// Absolute path.
    pub path: String,
    /// Local TXID (absent for register).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txid: Option<u64>,
    /// Replica TXID (sync only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicated_txid: Option<u64>,
}

/// `/txid` body.
#[derive(Debug, Clone, Serialize)]
pub struct TxidBody {
    /// Local TXID.
    pub txid: u64,
}

/// One database in `/debug/sync-status`.
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatusEntry {
    /// Absolute path.
    pub path: String,
    /// An operation is running.
    pub active: bool,
    /// Lifecycle (`opening`, `waiting_for_file`, `replicating`, `closing`, `stopped`).
    pub state: &'static str,
    /// Local TXID.
    pub txid: u64,
    /// Replica TXID when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_txid: Option<u64>,
    /// Local L0 files not yet in the replica.
    pub pending_files: u64,
    /// Synced WAL offset.
    #[serde(skip_serializing_if = "is_zero")]
    pub last_synced_wal_offset: u64,
    /// Last local error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Last replica error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_error: Option<String>,
    /// Time of the last successful sync pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sync_at: Option<String>,
    /// Time of the last successful upload pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_replica_sync_at: Option<String>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// `/debug/sync-status` body.
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatusBody {
    /// Databases.
    pub databases: Vec<SyncStatusEntry>,
}
