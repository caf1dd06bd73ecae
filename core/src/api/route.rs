//! The router of the control socket (IPC.md §2): from a raw HTTP request (method, path,
//! query, body bytes) to a typed [`Request`], or to the error [`Response`] Go's
//! `net/http` mux and Litestream's handlers would send. Pure: no IO, no state.
//!
//! Rules: exact method + path; a known path with the wrong method is a 405 with `Allow`;
//! anything else is a 404; GET routes also answer HEAD; unclean paths and
//! `/debug/pprof` redirect (301). Bodies are decoded like Go's `json.Decoder.Decode`
//! (see [`super::body`]).

use super::body::{decode, Fields};
use super::{Request, Response};

/// Largest request body accepted; larger bodies get a 413.
pub const MAX_BODY: usize = 1 << 20;

/// `Allow` of GET routes.
const GET: &str = "GET, HEAD";
/// `Allow` of POST routes.
const POST: &str = "POST";

/// The handler a path maps to.
enum Route {
    Start,
    Stop,
    Register,
    Unregister,
    Sync,
    Txid,
    List,
    Info,
    SyncStatus,
    Pprof(String),
}

impl Route {
    fn allow(&self) -> &'static str {
        match self {
            Route::Start | Route::Stop | Route::Register | Route::Unregister | Route::Sync => POST,
            _ => GET,
        }
    }
}

/// Route one request. `path` is the request target's path (percent-encoded as sent),
/// `query` the raw query string without `?`.
pub fn route(method: &str, path: &str, query: &str, body: &[u8]) -> Result<Request, Response> {
    let decoded = percent_decode(path).unwrap_or_else(|| path.to_string());
    let clean = clean_path(&decoded);
    if clean != decoded {
        return Err(redirect(method, &clean, query));
    }
    if decoded == "/debug/pprof" {
        return Err(redirect(method, "/debug/pprof/", query));
    }
    let route = match decoded.as_str() {
        "/start" => Route::Start,
        "/stop" => Route::Stop,
        "/register" => Route::Register,
        "/unregister" => Route::Unregister,
        "/sync" => Route::Sync,
        "/txid" => Route::Txid,
        "/list" => Route::List,
        "/info" => Route::Info,
        "/debug/sync-status" => Route::SyncStatus,
        p => match p.strip_prefix("/debug/pprof/") {
            Some(name) => Route::Pprof(name.to_string()),
            None => return Err(Response::text(404, "404 page not found\n")),
        },
    };
    let allow = route.allow();
    let allowed = match allow {
        POST => method == "POST",
        _ => method == "GET" || method == "HEAD",
    };
    if !allowed {
        let mut r = Response::text(405, "Method Not Allowed\n");
        r.headers.push(("Allow".into(), allow.into()));
        return Err(r);
    }
    if allow == POST && body.len() > MAX_BODY {
        return Err(Response::error(
            413,
            format!("request body too large: limit is {MAX_BODY} bytes"),
        ));
    }
    match route {
        Route::Start => {
            let f = decode(body, "StartRequest")?;
            Ok(Request::Start {
                path: required(&f, "path")?,
                timeout: f.int("timeout")?,
            })
        }
        Route::Stop => {
            let f = decode(body, "StopRequest")?;
            Ok(Request::Stop {
                path: required(&f, "path")?,
                timeout: f.int("timeout")?,
            })
        }
        Route::Register => {
            let f = decode(body, "RegisterDatabaseRequest")?;
            let path = f.string("path")?;
            let replica_url = f.string("replica_url")?;
            Ok(Request::Register {
                path: non_empty(path, "path required")?,
                replica_url: non_empty(replica_url, "replica_url required")?,
            })
        }
        Route::Unregister => {
            let f = decode(body, "UnregisterDatabaseRequest")?;
            Ok(Request::Unregister {
                path: required(&f, "path")?,
                timeout: f.int("timeout")?,
            })
        }
        Route::Sync => {
            let f = decode(body, "SyncRequest")?;
            let path = f.string("path")?;
            let wait = f.bool("wait")?.unwrap_or(false);
            let timeout = f.int("timeout")?;
            Ok(Request::Sync {
                path: non_empty(path, "path required")?,
                wait,
                timeout,
            })
        }
        Route::Txid => match query_get(query, "path") {
            Some(p) if !p.is_empty() => Ok(Request::Txid { path: p }),
            _ => Err(Response::error(400, "path required")),
        },
        Route::List => Ok(Request::List),
        Route::Info => Ok(Request::Info),
        Route::SyncStatus => Ok(Request::SyncStatus {
            path: query_get(query, "path").filter(|p| !p.is_empty()),
        }),
        Route::Pprof(name) => Ok(Request::Pprof {
            name,
            query: query.to_string(),
        }),
    }
}

/// A string field that must be present and non-empty (`<name> required`).
fn required(f: &Fields, name: &str) -> Result<String, Response> {
    non_empty(f.string(name)?, &format!("{name} required"))
}

fn non_empty(v: Option<String>, msg: &str) -> Result<String, Response> {
    match v {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(Response::error(400, msg)),
    }
}

/// Go's mux redirect: 301 with `Location`, and for GET a tiny HTML body.
fn redirect(method: &str, to: &str, query: &str) -> Response {
    let location = if query.is_empty() {
        to.to_string()
    } else {
        format!("{to}?{query}")
    };
    let body = if method == "GET" {
        format!(
            "<a href=\"{}\">Moved Permanently</a>.\n\n",
            html_escape(&location)
        )
    } else {
        String::new()
    };
    Response {
        status: 301,
        content_type: "text/html; charset=utf-8",
        headers: vec![("Location".into(), location)],
        body: body.into_bytes(),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// Go's `path.Clean` as the mux applies it: `.`/`..`/`//` removed, a trailing slash
/// kept. Empty → `/`.
fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return "/".into();
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut out = String::from("/");
    out.push_str(&parts.join("/"));
    if p.ends_with('/') && out != "/" {
        out.push('/');
    }
    out
}

/// Percent-decode a URL component; `None` on a bad escape or non-UTF-8 result.
fn percent_decode(s: &str) -> Option<String> {
    unescape(s, false)
}

fn unescape(s: &str, plus_is_space: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The first value of `key` in a query string (Go's `url.Values.Get`; pairs with bad
/// escapes are skipped, `;` is not a separator).
pub fn query_get(query: &str, key: &str) -> Option<String> {
    query
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.contains(';'))
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            Some((unescape(k, true)?, unescape(v, true)?))
        })
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

#[cfg(test)]
#[path = "route_tests.rs"]
mod tests;
