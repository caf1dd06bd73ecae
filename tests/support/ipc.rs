//! Helpers for the control-socket tests and benchmark: a daemon started with
//! `replicate -socket`, `curl --unix-socket` and a raw HTTP/1.1 client, `sqlite3`.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::litestream_bin;

/// A running `litestream replicate -socket SOCK [DB URL]`, stopped (SIGTERM, then
/// SIGKILL) when dropped.
pub struct Daemon {
    /// The child process.
    pub child: Child,
    /// Its control socket.
    pub socket: PathBuf,
    /// Its log (stderr and stdout).
    pub log: PathBuf,
}

impl Daemon {
    /// Start `replicate -socket socket` plus `extra` arguments and wait for the socket.
    pub fn start(socket: &Path, extra: &[&str]) -> Daemon {
        let d = Daemon::spawn(socket, extra);
        d.wait_ready();
        d
    }

    /// Start without waiting for the socket (for start-up failures).
    pub fn spawn(socket: &Path, extra: &[&str]) -> Daemon {
        let name = format!("litestream-{}-{}.log", std::process::id(), rand_suffix());
        let log = match socket.parent().filter(|p| p.is_dir()) {
            Some(dir) => dir.join(name),
            None => std::env::temp_dir().join(name),
        };
        let out = std::fs::File::create(&log).expect("create daemon log");
        let err = out.try_clone().expect("clone log handle");
        let child = Command::new(litestream_bin())
            .arg("replicate")
            .arg("-socket")
            .arg(socket)
            .args(extra)
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("spawn litestream replicate");
        Daemon {
            child,
            socket: socket.to_path_buf(),
            log,
        }
    }

    /// Wait until the socket answers `/info` (panics after 20 s).
    pub fn wait_ready(&self) {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) {
            if let Ok((200, _, _)) = http(&self.socket, "GET", "/info", None) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("daemon socket not ready; log:\n{}", self.log_text());
    }

    /// The daemon's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Send SIGTERM and wait (up to 30 s) for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        signal(self.child.id(), "TERM");
        self.wait_exit(Duration::from_secs(30))
    }

    /// Wait for the process to exit; SIGKILL after `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let t = Instant::now();
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st;
            }
            if t.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("daemon did not exit in time; log:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            signal(self.child.id(), "TERM");
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Send a signal with `kill -SIG pid`.
pub fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

/// `curl -sS --unix-socket SOCK http://localhost<path> ARGS…`: (status, body).
pub fn curl(socket: &Path, path: &str, args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .arg("-sS")
        .arg("--unix-socket")
        .arg(socket)
        .args(args)
        .arg("-w")
        .arg("\n%{http_code}")
        .arg(format!("http://localhost{path}"))
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    let code = code.trim().parse().unwrap_or_else(|_| {
        panic!(
            "curl {path}: no status ({}): {text}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, body.to_string())
}

/// `curl -X POST … -H "Content-Type: application/json" -d BODY`.
pub fn curl_post(socket: &Path, path: &str, body: &str) -> (u16, String) {
    curl(
        socket,
        path,
        &[
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-d",
            body,
        ],
    )
}

/// curl's answer as JSON (panics unless the status is `want`).
pub fn curl_json(socket: &Path, path: &str, body: Option<&str>, want: u16) -> serde_json::Value {
    let (code, text) = match body {
        Some(b) => curl_post(socket, path, b),
        None => curl(socket, path, &[]),
    };
    assert_eq!(code, want, "{path} {body:?}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: bad JSON {text:?}: {e}"))
}

/// A raw HTTP/1.1 request on a fresh connection: (status, head, body).
pub fn http(
    socket: &Path,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
) -> std::io::Result<(u16, String, Vec<u8>)> {
    let mut s = UnixStream::connect(socket)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    if let Some(b) = body {
        // The server may answer (413) and close before reading everything.
        let _ = s.write_all(b);
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no HTTP head"))?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    Ok((status, head, raw[end + 4..].to_vec()))
}

/// Run `sqlite3 DB SQL` with a 10 s busy timeout (panics on failure); returns stdout.
pub fn sqlite3(db: &Path, sql: &str) -> String {
    let out = Command::new("sqlite3")
        .args(["-cmd", ".timeout 10000"])
        .arg(db)
        .arg(sql)
        .output()
        .expect("run sqlite3");
    assert!(
        out.status.success(),
        "sqlite3 {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Create a WAL-mode database with table `t(id INTEGER PRIMARY KEY, v TEXT)`.
pub fn create_db(db: &Path) {
    sqlite3(
        db,
        "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);",
    );
}

/// Run the `litestream` binary with `args`.
pub fn litestream(args: &[&str]) -> Output {
    Command::new(litestream_bin())
        .args(args)
        .output()
        .expect("run litestream")
}

/// `litestream restore -o out url` and the row count of `t` in the result.
pub fn restore_count(url: &str, out: &Path) -> u64 {
    let o = litestream(&["restore", "-o", out.to_str().expect("utf-8 path"), url]);
    assert!(
        o.status.success(),
        "restore {url}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    sqlite3(out, "SELECT count(*) FROM t;")
        .trim()
        .parse()
        .expect("count")
}

/// The keys of the top-level JSON object in `text`, in document order.
pub fn json_keys(text: &str) -> Vec<String> {
    let (mut depth, mut in_str, mut esc) = (0, false, false);
    let (mut cur, mut last, mut keys) = (String::new(), None::<String>, Vec::new());
    for c in text.chars() {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => {
                    in_str = false;
                    last = Some(std::mem::take(&mut cur));
                    continue;
                }
                _ => {}
            }
            cur.push(c);
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            ':' if depth == 1 => keys.extend(last.take()),
            c if !c.is_whitespace() => last = None,
            _ => {}
        }
    }
    keys
}
