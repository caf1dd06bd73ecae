//! An in-process S3 server for tests: `s3s` + `s3s-fs` (verifies SigV4) on
//! `127.0.0.1:0`, on its own thread and tokio runtime, storing under a temporary
//! directory. Buckets are the directories created by [`TestServer::start`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::thread;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::sync::oneshot;

use super::config::S3Options;

/// Access key of the test servers.
pub const ACCESS_KEY: &str = "AKIDLITESTREAMTEST";
/// Secret key of the test servers (tests grep messages for it).
pub const SECRET_KEY: &str = "sEcReT/LiTeStReAm+TeSt=Key0123456789abcd";

/// A running server; stopped on drop.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Root directory (one subdirectory per bucket).
    pub root: PathBuf,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl TestServer {
    /// Start a server with `buckets` already created.
    pub fn start(buckets: &[&str]) -> TestServer {
        let base = option_env!("CARGO_TARGET_TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&base).expect("test tmp dir is creatable");
        let dir = tempfile::Builder::new()
            .prefix("s3s-")
            .tempdir_in(&base)
            .expect("tempdir in the target dir");
        let root = dir.path().to_path_buf();
        for b in buckets {
            std::fs::create_dir_all(root.join(b)).expect("bucket dir");
        }
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("local addr");
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let fs_root = root.clone();
        let thread = thread::Builder::new()
            .name("s3s-test-server".into())
            .spawn(move || serve(std_listener, fs_root, stop_rx))
            .expect("spawn server thread");
        TestServer {
            addr,
            root,
            _dir: dir,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Options for `bucket`/`path` on this server with the right keys, small parts.
    pub fn options(&self, bucket: &str, path: &str) -> S3Options {
        S3Options {
            bucket: bucket.to_string(),
            path: path.to_string(),
            region: Some("us-east-1".to_string()),
            endpoint: Some(self.endpoint()),
            force_path_style: true,
            access_key_id: ACCESS_KEY.to_string(),
            secret_access_key: SECRET_KEY.to_string(),
            ..S3Options::default()
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(listener: std::net::TcpListener, root: PathBuf, stop: oneshot::Receiver<()>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let fs = s3s_fs::FileSystem::new(&root).expect("s3s-fs root");
        let service = {
            let mut b = S3ServiceBuilder::new(fs);
            b.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
            b.build()
        };
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        let http = ConnBuilder::new(TokioExecutor::new());
        let mut stop = std::pin::pin!(stop);
        loop {
            let socket = tokio::select! {
                r = listener.accept() => match r {
                    Ok((s, _)) => s,
                    Err(_) => continue,
                },
                _ = stop.as_mut() => break,
            };
            let conn = http
                .serve_connection(TokioIo::new(socket), service.clone())
                .into_owned();
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
    rt.shutdown_background();
}
