//! `/debug/pprof/*` on the control socket: Go's profiling routes, served with what a Rust
//! process can really offer.
//!
//! | route | answer |
//! |-------|--------|
//! | `/debug/pprof/` | HTML index of the profiles |
//! | `profile?seconds=N` | CPU profile (pprof crate, SIGPROF sampling at 100 Hz), gzip-less protobuf that `go tool pprof` reads; default 30 s |
//! | `goroutine[?debug=2]` | text dump of the daemon's threads and what each waits on (`/proc/self/task`) |
//! | `threadcreate` | thread count and list |
//! | `cmdline` | the command line, NUL-separated |
//! | `symbol[?0xADDR+0xADDR]` | symbol lookup of code addresses |
//! | `heap`, `allocs`, `block`, `mutex`, `trace` | 501 JSON naming the supported profiles |
//! | anything else | 404 `Unknown profile` |

use std::time::Duration;

use litestream_core::api::route::query_get;
use litestream_core::api::Response;

#[path = "pprof_threads.rs"]
mod threads;

/// Profiles this daemon can produce.
const SUPPORTED: &str = "profile (CPU), goroutine (threads), threadcreate, cmdline, symbol";

/// Longest CPU profile accepted.
const MAX_SECONDS: u64 = 3600;

/// Serve `/debug/pprof/<name>?<query>`.
pub async fn serve(name: &str, query: &str) -> Response {
    let debug = query_get(query, "debug")
        .and_then(|d| d.parse::<i64>().ok())
        .unwrap_or(0);
    match name {
        "" => html(index()),
        "profile" => cpu_profile(query).await,
        "goroutine" => text(threads::dump(debug >= 2)),
        "threadcreate" => text(threads::threadcreate()),
        "cmdline" => text(cmdline()),
        "symbol" => text(symbol(query)),
        "heap" | "allocs" => unsupported(
            name,
            "the daemon runs on the system allocator, which records no allocation samples to profile",
        ),
        "block" | "mutex" => unsupported(
            name,
            "Rust locks and channels keep no contention samples (this is a Go runtime profile)",
        ),
        "trace" => unsupported(
            name,
            "execution traces are a Go runtime feature with no counterpart in this daemon",
        ),
        _ => Response::text(404, "Unknown profile\n"),
    }
}

fn unsupported(name: &str, why: &str) -> Response {
    Response::error(
        501,
        format!("{name} profile not supported: {why}; supported profiles: {SUPPORTED}"),
    )
}

fn text(body: String) -> Response {
    let mut r = Response::text(200, body);
    r.headers
        .push(("X-Content-Type-Options".into(), "nosniff".into()));
    r
}

fn html(body: String) -> Response {
    Response {
        status: 200,
        content_type: "text/html; charset=utf-8",
        headers: Vec::new(),
        body: body.into_bytes(),
    }
}

fn index() -> String {
    let rows = [
        (
            "profile?seconds=30",
            "profile",
            "CPU profile (protobuf; `go tool pprof -top` reads it)",
        ),
        (
            "goroutine?debug=1",
            "goroutine",
            "the daemon's threads and what each is waiting on; debug=2 for the long form",
        ),
        (
            "threadcreate?debug=1",
            "threadcreate",
            "threads of the process",
        ),
        ("cmdline", "cmdline", "the command line of this process"),
        ("symbol", "symbol", "symbol lookup: symbol?0xADDR+0xADDR"),
        ("heap", "heap", "not supported (501)"),
        ("allocs", "allocs", "not supported (501)"),
        ("block", "block", "not supported (501)"),
        ("mutex", "mutex", "not supported (501)"),
        ("trace", "trace", "not supported (501)"),
    ];
    let mut s = String::from(
        "<html>\n<head>\n<title>/debug/pprof/</title>\n</head>\n<body>\n/debug/pprof/\n<br>\n<p>Profiles of the litestream daemon:</p>\n<table>\n",
    );
    for (href, name, what) in rows {
        s.push_str(&format!(
            "<tr><td><a href='{href}'>{name}</a></td><td>{what}</td></tr>\n"
        ));
    }
    s.push_str("</table>\n</body>\n</html>\n");
    s
}

/// Go's `seconds` rule: unparsable or ≤ 0 means 30.
fn seconds(query: &str) -> u64 {
    query_get(query, "seconds")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|s| *s > 0)
        .map_or(30, |s| s.unsigned_abs())
}

async fn cpu_profile(query: &str) -> Response {
    let secs = seconds(query);
    if secs > MAX_SECONDS {
        return Response::error(
            400,
            format!("profile duration exceeds the limit of {MAX_SECONDS} seconds"),
        );
    }
    match smol::unblock(move || take_cpu_profile(Duration::from_secs(secs))).await {
        Ok(bytes) => Response {
            status: 200,
            content_type: "application/octet-stream",
            headers: vec![
                (
                    "Content-Disposition".into(),
                    "attachment; filename=\"profile\"".into(),
                ),
                ("X-Content-Type-Options".into(), "nosniff".into()),
            ],
            body: bytes,
        },
        Err(e) => Response::error(500, e),
    }
}

/// Sample every thread for `d`, then encode the pprof protobuf.
fn take_cpu_profile(d: Duration) -> Result<Vec<u8>, String> {
    use prost::Message;
    let guard = pprof::ProfilerGuardBuilder::default()
        .frequency(100)
        .blocklist(&["libc", "libgcc", "pthread", "vdso"])
        .build()
        .map_err(|e| format!("could not enable CPU profiling: {e}"))?;
    std::thread::sleep(d);
    let report = guard
        .report()
        .build()
        .map_err(|e| format!("build CPU profile: {e}"))?;
    drop(guard);
    let profile = report
        .pprof()
        .map_err(|e| format!("encode CPU profile: {e}"))?;
    let mut out = Vec::with_capacity(profile.encoded_len());
    profile
        .encode(&mut out)
        .map_err(|e| format!("encode CPU profile: {e}"))?;
    Ok(out)
}

fn cmdline() -> String {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    args.join("\0")
}

/// Go's symbol handler: without addresses `num_symbols: 1`; with `0xA+0xB` one line
/// per address that resolves, `0xADDR name`.
fn symbol(query: &str) -> String {
    let mut out = String::from("num_symbols: 1\n");
    for word in query.split('+') {
        let Some(hex) = word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) else {
            continue;
        };
        let Ok(addr) = usize::from_str_radix(hex, 16) else {
            continue;
        };
        let mut name = None;
        backtrace::resolve(addr as *mut std::ffi::c_void, |sym| {
            if name.is_none() {
                name = sym.name().map(|n| n.to_string());
            }
        });
        if let Some(n) = name {
            out.push_str(&format!("{addr:#x} {n}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_default_and_parse() {
        assert_eq!(seconds(""), 30);
        assert_eq!(seconds("seconds=x"), 30);
        assert_eq!(seconds("seconds=-1"), 30);
        assert_eq!(seconds("seconds=2"), 2);
    }

    #[test]
    fn symbol_resolves_our_functions() {
        let addr = symbol as *const () as usize;
        let out = symbol(&format!("{addr:#x}+junk"));
        assert!(out.starts_with("num_symbols: 1\n"), "{out}");
        assert!(out.contains("symbol"), "{out}");
    }

    #[test]
    fn unsupported_profiles_are_501_json() {
        for name in ["heap", "allocs", "block", "mutex", "trace"] {
            let r = smol::block_on(serve(name, ""));
            assert_eq!(r.status, 501, "{name}");
            assert_eq!(r.content_type, "application/json");
            let body = String::from_utf8(r.body).expect("utf-8");
            assert!(body.contains("supported profiles: profile"), "{body}");
        }
        assert_eq!(smol::block_on(serve("nope", "")).status, 404);
    }
}
