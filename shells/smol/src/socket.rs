//! The control socket: HTTP/1.1 (async-h1 + http-types) over a Unix domain socket.
//!
//! Each connection runs on its own task; each request is routed by the core
//! ([`litestream_core::api::route`]) and then either sent to the drive loop as an
//! [`Event::Control`] (its answer awaited on a private channel, so a slow `/sync?wait`
//! holds only its own connection) or served by [`crate::pprof`]. This file only moves
//! bytes: every status and message comes from the core.
//!
//! Lifecycle: [`start`] refuses a path that exists and is not a socket, refuses a socket
//! a live daemon still listens on, replaces a stale socket file, binds, and chmods to the
//! configured permissions. [`SocketHandle::shutdown`] stops accepting and removes the file
//! (only if it is still ours).

use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use http_types::{Response as HttpResponse, StatusCode};
use litestream_core::api::{self, Request, Response, MAX_BODY};
use litestream_core::emit::Level;
use smol::channel::Sender;
use smol::io::AsyncReadExt;
use smol::net::unix::{UnixListener, UnixStream};

use crate::driver::Event;
use crate::log;

/// Where the control socket lives and its mode bits (`socket:` in the config file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketConfig {
    /// Socket file path, used as written.
    pub path: PathBuf,
    /// Mode bits applied with chmod after binding (`0o600` by default).
    pub permissions: u32,
}

impl Default for SocketConfig {
    fn default() -> Self {
        SocketConfig {
            path: PathBuf::from(DEFAULT_PATH),
            permissions: 0o600,
        }
    }
}

/// Default socket path of the daemon and of the CLI clients.
pub const DEFAULT_PATH: &str = "/var/run/litestream.sock";

/// A running control socket server. Dropping it without [`SocketHandle::shutdown`]
/// leaves the socket file in place (as a crash would).
pub struct SocketHandle {
    path: PathBuf,
    /// (device, inode) of the socket file we created.
    id: (u64, u64),
    accept: smol::Task<()>,
}

impl SocketHandle {
    /// Stop accepting connections and remove the socket file if it is still the one
    /// this server created. Connections already open finish on their own.
    pub fn shutdown(self) {
        drop(self.accept);
        match std::fs::symlink_metadata(&self.path) {
            Ok(m) if (m.dev(), m.ino()) == self.id => {
                if let Err(e) = std::fs::remove_file(&self.path) {
                    log::log(
                        Level::Warn,
                        &format!("remove control socket {}: {e}", self.path.display()),
                        &[],
                    );
                }
            }
            _ => {}
        }
    }
}

/// Create the socket and serve it on smol's global executor, forwarding requests to the
/// drive loop through `tx`.
pub fn start(config: SocketConfig, tx: Sender<Event>) -> Result<SocketHandle, String> {
    let path = config.path;
    prepare_path(&path)?;
    let listener = UnixListener::bind(&path)
        .map_err(|e| format!("listen on unix socket {}: {e}", path.display()))?;
    let meta = std::fs::symlink_metadata(&path)
        .map_err(|e| format!("stat control socket {}: {e}", path.display()))?;
    let id = (meta.dev(), meta.ino());
    if let Err(e) =
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(config.permissions))
    {
        let _ = std::fs::remove_file(&path);
        return Err(format!("chmod control socket {}: {e}", path.display()));
    }
    log::log(
        Level::Info,
        "control socket listening",
        &[("path", &path.display().to_string())],
    );
    let accept = smol::spawn(accept_loop(listener, tx));
    Ok(SocketHandle { path, id, accept })
}

/// Check what is at `path` before binding: nothing (fine), a stale socket (removed), a
/// live daemon's socket or another kind of file (refused).
fn prepare_path(path: &Path) -> Result<(), String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("check socket path: {e}")),
    };
    if !meta.file_type().is_socket() {
        return Err(format!(
            "socket path exists but is not a socket: {}",
            path.display()
        ));
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(format!(
            "another process is already listening on the control socket {}: stop that daemon first or choose another socket path",
            path.display()
        )),
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
            // Left behind by a daemon that died: replace it.
            std::fs::remove_file(path)
                .map_err(|e| format!("remove stale control socket {}: {e}", path.display()))?;
            log::log(
                Level::Info,
                "removed stale control socket",
                &[("path", &path.display().to_string())],
            );
            Ok(())
        }
        Err(e) => Err(format!(
            "check socket path {}: connect: {e}",
            path.display()
        )),
    }
}

async fn accept_loop(listener: UnixListener, tx: Sender<Event>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                smol::spawn(serve(stream, tx.clone())).detach();
            }
            Err(e) => {
                // EMFILE and friends: log, back off a little, keep serving.
                log::log(Level::Warn, &format!("control socket accept: {e}"), &[]);
                smol::Timer::after(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

async fn serve(stream: UnixStream, tx: Sender<Event>) {
    let _ = async_h1::accept(stream, move |req| handle(req, tx.clone())).await;
}

/// One HTTP request → one response.
async fn handle(
    mut req: http_types::Request,
    tx: Sender<Event>,
) -> http_types::Result<HttpResponse> {
    let method = req.method().to_string();
    let url = req.url();
    let path = url.path().to_string();
    let query = url.query().unwrap_or("").to_string();
    let declared = req.len().unwrap_or(0);
    let mut close = false;
    let body = if method == "POST" && declared > MAX_BODY {
        // Refuse before reading; the client may not have sent the body (Expect).
        close = true;
        vec![0; MAX_BODY + 1]
    } else if method == "POST" {
        let mut buf = Vec::new();
        let limit = u64::try_from(MAX_BODY + 1).unwrap_or(u64::MAX);
        if let Err(e) = req.take_body().take(limit).read_to_end(&mut buf).await {
            let mut r = to_http(Response::error(400, format!("read request body: {e}")));
            r.insert_header("Connection", "close");
            return Ok(r);
        }
        close = buf.len() > MAX_BODY;
        buf
    } else {
        Vec::new()
    };
    let response = match api::route(&method, &path, &query, &body) {
        Err(r) => r,
        Ok(Request::Pprof { name, query }) => crate::pprof::serve(&name, &query).await,
        Ok(Request::Register { path, .. })
            if Path::new(&path).is_absolute()
                && crate::fs::real_path(Path::new(&path))
                    != Path::new(&litestream_core::config::paths::clean(&path)) =>
        {
            let real = crate::fs::real_path(Path::new(&path));
            let how = match crate::fs::symlink_target(Path::new(&path)) {
                Some(target) => format!("is a symbolic link to {target}"),
                None => format!(
                    "is reached through a symbolic link (its real path is {})",
                    real.display()
                ),
            };
            Response::error(
                400,
                format!(
                    "{path} {how}: register the database by its real path (two replicators on one file would break each other's locks)"
                ),
            )
        }
        Ok(request) => forward(request, &tx).await,
    };
    let mut r = to_http(response);
    if close {
        r.insert_header("Connection", "close");
    }
    Ok(r)
}

/// Send a request to the drive loop and wait for its answer.
async fn forward(request: Request, tx: &Sender<Event>) -> Response {
    let (reply, answer) = smol::channel::bounded(1);
    if tx.send(Event::Control { request, reply }).await.is_err() {
        return Response::error(503, "daemon is shutting down");
    }
    answer
        .recv()
        .await
        .unwrap_or_else(|_| Response::error(503, "daemon is shutting down"))
}

fn to_http(r: Response) -> HttpResponse {
    let status = StatusCode::try_from(r.status).unwrap_or(StatusCode::InternalServerError);
    let mut out = HttpResponse::new(status);
    out.insert_header("Content-Type", r.content_type);
    for (k, v) in &r.headers {
        out.append_header(k.as_str(), v.as_str());
    }
    out.set_body(r.body);
    // set_body replaces the content type with the body's default: restore ours.
    out.insert_header("Content-Type", r.content_type);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_applies_permissions_and_shutdown_removes_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.sock");
        let (tx, _rx) = smol::channel::unbounded();
        let cfg = SocketConfig {
            path: path.clone(),
            permissions: 0o640,
        };
        let h = start(cfg.clone(), tx.clone()).expect("start");
        let meta = std::fs::symlink_metadata(&path).expect("stat");
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
        // A second server on the same path is refused while the first listens.
        let e = start(cfg.clone(), tx.clone()).err().expect("refused");
        assert!(e.contains("already listening"), "{e}");
        h.shutdown();
        assert!(!path.exists());
        // A regular file is never replaced.
        std::fs::write(&path, b"x").expect("write");
        let e = start(cfg, tx).err().expect("refused");
        assert_eq!(
            e,
            format!("socket path exists but is not a socket: {}", path.display())
        );
    }
}
