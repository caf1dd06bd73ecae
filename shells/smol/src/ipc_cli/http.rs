//! A tiny blocking HTTP/1.1 client over a Unix domain socket: one request per
//! connection (`Connection: close`), `Content-Length` or chunked responses. Transport
//! errors are worded like Go's `net/http` client, which Litestream's CLI prints.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// A response: status code and body.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Body bytes (de-chunked).
    pub body: Vec<u8>,
}

/// Go's lowercase errno text (`no such file or directory`).
fn errno_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = s.split(" (os error").next().unwrap_or(&s).to_string();
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => s,
    }
}

/// Send `method path` with an optional JSON body to the daemon at `socket`. `timeout`
/// bounds the whole exchange (`None`: no limit).
pub fn request(
    socket: &Path,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    timeout: Option<Duration>,
) -> Result<Reply, String> {
    let verb = if method == "GET" { "Get" } else { "Post" };
    let url = format!("http://localhost{path}");
    let fail = |what: String| format!("{verb} {url:?}: {what}");
    let mut stream = UnixStream::connect(socket).map_err(|e| {
        fail(format!(
            "dial unix {}: connect: {}",
            socket.display(),
            errno_text(&e)
        ))
    })?;
    let io_err = |e: std::io::Error| {
        if matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ) {
            fail(
                "context deadline exceeded (Client.Timeout exceeded while awaiting headers)".into(),
            )
        } else {
            fail(errno_text(&e))
        }
    };
    stream.set_read_timeout(timeout).map_err(io_err)?;
    stream.set_write_timeout(timeout).map_err(io_err)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: litestream\r\nConnection: close\r\n");
    if let Some(b) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    head.push_str("\r\n");
    let mut req = head.into_bytes();
    req.extend_from_slice(body.unwrap_or_default());
    stream.write_all(&req).map_err(io_err)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(io_err)?;
    parse(&raw).map_err(fail)
}

/// Parse a whole HTTP/1.1 response.
fn parse(raw: &[u8]) -> Result<Reply, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("malformed HTTP response: unexpected EOF")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let rest = &raw[end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("malformed HTTP status line {status_line:?}"))?;
    let mut length = None;
    let mut chunked = false;
    for l in lines {
        let Some((k, v)) = l.split_once(':') else {
            continue;
        };
        let v = v.trim();
        if k.eq_ignore_ascii_case("content-length") {
            length = v.parse::<usize>().ok();
        } else if k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked") {
            chunked = true;
        }
    }
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = length {
        rest.get(..n)
            .ok_or("malformed HTTP response: unexpected EOF in body")?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Reply { status, body })
}

fn dechunk(mut b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("malformed chunked encoding")?;
        let size_text = String::from_utf8_lossy(&b[..eol]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size =
            usize::from_str_radix(size_text, 16).map_err(|_| "malformed chunked encoding")?;
        b = &b[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(b.get(..size).ok_or("malformed chunked encoding")?);
        b = b.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_length_and_chunked() {
        let r = parse(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabcdef").expect("parse");
        assert_eq!((r.status, r.body.as_slice()), (200, &b"abc"[..]));
        let r = parse(b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n")
            .expect("parse");
        assert_eq!((r.status, r.body.as_slice()), (404, &b"abc"[..]));
        assert!(parse(b"HTTP/1.1 200").is_err());
    }

    #[test]
    fn missing_socket_is_a_go_style_dial_error() {
        let e = request(Path::new("/nonexistent/x.sock"), "GET", "/list", None, None)
            .expect_err("no daemon");
        assert_eq!(
            e,
            "Get \"http://localhost/list\": dial unix /nonexistent/x.sock: connect: no such file or directory"
        );
    }
}
