//! Replica URL parsing (CLI_CONFIG.md §5.1–5.2): schemes, Go `net/url` splitting and
//! percent-decoding, `path.Clean` of the path, S3 access point ARNs. S3 host forms and
//! endpoint scheme defaulting live in `endpoint.rs` and are re-exported here.

use super::error::{ConfigError, ConfigErrorKind};
use super::paths::clean;

pub use super::endpoint::{ensure_endpoint_scheme, is_local_endpoint, parse_s3_host, S3Host};

/// A replica backend kind, as named by `type:` or a URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReplicaKind {
    /// Local directory (`file`).
    File,
    /// Amazon S3 and compatibles (`s3`).
    S3,
    /// Google Cloud Storage (`gs`).
    Gs,
    /// Azure Blob Storage (`abs`).
    Abs,
    /// SFTP (`sftp`).
    Sftp,
    /// WebDAV (`webdav`, `webdavs`).
    Webdav,
    /// NATS JetStream object store (`nats`).
    Nats,
    /// Alibaba OSS (`oss`).
    Oss,
}

/// URL schemes the Go daemon knows, in its order.
pub const KNOWN_SCHEMES: &[&str] = &[
    "s3", "gs", "abs", "file", "sftp", "webdav", "webdavs", "nats", "oss",
];

impl ReplicaKind {
    /// The type name (`file`, `s3`, …).
    pub fn name(self) -> &'static str {
        match self {
            ReplicaKind::File => "file",
            ReplicaKind::S3 => "s3",
            ReplicaKind::Gs => "gs",
            ReplicaKind::Abs => "abs",
            ReplicaKind::Sftp => "sftp",
            ReplicaKind::Webdav => "webdav",
            ReplicaKind::Nats => "nats",
            ReplicaKind::Oss => "oss",
        }
    }

    /// The kind named by a `type:` value.
    pub fn from_type(name: &str) -> Option<ReplicaKind> {
        Some(match name {
            "file" => ReplicaKind::File,
            "s3" => ReplicaKind::S3,
            "gs" => ReplicaKind::Gs,
            "abs" => ReplicaKind::Abs,
            "sftp" => ReplicaKind::Sftp,
            "webdav" => ReplicaKind::Webdav,
            "nats" => ReplicaKind::Nats,
            "oss" => ReplicaKind::Oss,
            _ => return None,
        })
    }

    /// The kind of a URL scheme (`webdavs` is WebDAV).
    pub fn from_scheme(scheme: &str) -> Option<ReplicaKind> {
        match scheme {
            "webdavs" => Some(ReplicaKind::Webdav),
            other => Self::from_type(other),
        }
    }

    /// Whether this build has a client for the kind.
    pub fn is_supported(self) -> bool {
        matches!(self, ReplicaKind::File | ReplicaKind::S3)
    }

    /// The error for a kind recognised but not built in.
    pub(crate) fn unsupported_error(self) -> ConfigError {
        ConfigError::new(
            ConfigErrorKind::Unsupported,
            format!(
                "replica type \"{}\" is not supported by this build (supported: file, s3); use an s3 or file replica",
                self.name()
            ),
        )
    }
}

/// A replica URL split the way Litestream's `ParseReplicaURLWithQuery` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaUrl {
    /// Lower-cased scheme as written (`webdavs` kept).
    pub scheme: String,
    /// Backend kind of the scheme.
    pub kind: ReplicaKind,
    /// Host part (bucket, container, server; may carry `:port`), or the access point ARN.
    pub host: String,
    /// For `file`: the cleaned path (query dropped). Otherwise `path.Clean` of the URL
    /// path without its leading `/` (`"."` when the URL has no path).
    pub path: String,
    /// Decoded query pairs in order.
    pub query: Vec<(String, String)>,
    /// User name of `user@host`, if any.
    pub user: Option<String>,
}

impl ReplicaUrl {
    /// The first value of query key `key`, like Go's `url.Values.Get` (`None` if absent
    /// or empty).
    pub fn query_get(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The first non-empty value among `keys`, read with `BoolQueryValue` rules
    /// (`true,1,t,yes` / anything else false), or `None`.
    pub fn query_bool(&self, keys: &[&str]) -> Option<bool> {
        keys.iter()
            .find_map(|k| self.query_get(k))
            .map(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "t" | "yes"))
    }
}

/// Whether `s` looks like a URL (`^\w+://`), as the CLI decides between path and URL.
pub fn is_url(s: &str) -> bool {
    let n = s
        .bytes()
        .take_while(|&c| c == b'_' || c.is_ascii_alphanumeric())
        .count();
    n > 0 && s[n..].starts_with("://")
}

/// Parses a replica URL (§5.1). Errors: `replica url scheme required: <url>`,
/// `unsupported replica URL scheme: "x"` (with the known schemes), bad escapes.
pub fn parse_replica_url(s: &str) -> Result<ReplicaUrl, ConfigError> {
    if s.len() >= 9 && s[..9].eq_ignore_ascii_case("s3://arn:") {
        return parse_access_point(s);
    }
    let bad = |why: &str| ConfigError::invalid(format!("invalid replica URL {s:?}: {why}"));
    let (scheme, rest) = split_scheme(s).map_err(&bad)?;
    if scheme.is_empty() {
        return Err(ConfigError::invalid(format!(
            "replica url scheme required: {s} (write e.g. s3://bucket/path or file:///abs/path)"
        )));
    }
    let kind = ReplicaKind::from_scheme(&scheme).ok_or_else(|| {
        ConfigError::new(
            ConfigErrorKind::Invalid,
            format!(
                "unsupported replica URL scheme: {scheme:?}; use file:///path or s3://bucket/path (known schemes: {})",
                KNOWN_SCHEMES.join(", ")
            ),
        )
    })?;
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let (rest, raw_query) = rest.split_once('?').unwrap_or((rest, ""));
    let (user, host, raw_path) = match rest.strip_prefix("//") {
        Some(auth_path) => {
            let end = auth_path.find('/').unwrap_or(auth_path.len());
            let (auth, path) = auth_path.split_at(end);
            let (user, host) = match auth.rsplit_once('@') {
                Some((u, h)) => (
                    Some(unescape(u.split(':').next().unwrap_or(""), false).map_err(|e| bad(&e))?),
                    h,
                ),
                None => (None, auth),
            };
            (user, unescape(host, false).map_err(|e| bad(&e))?, path)
        }
        None if rest.starts_with('/') => (None, String::new(), rest),
        None => (None, String::new(), ""), // opaque form `s3:bucket`: no host, no path
    };
    let decoded = unescape(raw_path, false).map_err(|e| bad(&e))?;
    let (path, query) = if kind == ReplicaKind::File {
        let full = if host.is_empty() {
            decoded
        } else {
            format!("//{host}{decoded}")
        };
        (clean(&full), Vec::new())
    } else {
        (
            clean(&decoded).trim_start_matches('/').to_string(),
            parse_query(raw_query),
        )
    };
    let host = if kind == ReplicaKind::File {
        String::new()
    } else {
        host
    };
    Ok(ReplicaUrl {
        scheme,
        kind,
        host,
        path,
        query,
        user,
    })
}

/// `s3://arn:aws:s3:<region>:<acct>:accesspoint/<name>[/<path>][?q]`.
fn parse_access_point(s: &str) -> Result<ReplicaUrl, ConfigError> {
    let arn_path = &s[5..];
    let (arn_path, raw_query) = arn_path.split_once('?').unwrap_or((arn_path, ""));
    let invalid = || ConfigError::invalid(format!("invalid s3 access point arn: {arn_path}"));
    let idx = arn_path
        .to_ascii_lowercase()
        .find(":accesspoint/")
        .ok_or_else(invalid)?;
    let name_start = idx + ":accesspoint/".len();
    if name_start >= arn_path.len() {
        return Err(invalid());
    }
    let (bucket, key) = match arn_path[name_start..].find('/') {
        Some(i) => (&arn_path[..name_start + i], &arn_path[name_start + i + 1..]),
        None => (arn_path, ""),
    };
    let path = if key.is_empty() {
        String::new()
    } else {
        let c = clean(&format!("/{key}"));
        let c = c.trim_start_matches('/');
        if c == "." {
            String::new()
        } else {
            c.to_string()
        }
    };
    Ok(ReplicaUrl {
        scheme: "s3".into(),
        kind: ReplicaKind::S3,
        host: bucket.to_string(),
        path,
        query: parse_query(raw_query),
        user: None,
    })
}

/// The region field of an S3 ARN (`arn:aws:s3:<region>:…`).
pub fn region_from_arn(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
}

/// Go `url.getScheme`: `("", s)` when there is no scheme.
fn split_scheme(s: &str) -> Result<(String, &str), &'static str> {
    for (i, c) in s.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return Err("missing protocol scheme"),
            ':' => return Ok((s[..i].to_ascii_lowercase(), &s[i + 1..])),
            _ => return Ok((String::new(), s)),
        }
    }
    Ok((String::new(), s))
}

/// Go `url.ParseQuery` as `url.Query()` uses it: bad pairs are dropped.
fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty() && !p.contains(';'))
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((unescape(k, true).ok()?, unescape(v, true).ok()?))
        })
        .collect()
}

/// Percent-decoding; `plus` turns `+` into a space (query mode).
fn unescape(s: &str, plus: bool) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
                let hex = hex.ok_or_else(|| {
                    format!(
                        "invalid URL escape {:?}",
                        s.get(i..(i + 3).min(s.len())).unwrap_or("%")
                    )
                })?;
                out.push(u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?);
                i += 3;
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "escaped bytes are not UTF-8".to_string())
}
