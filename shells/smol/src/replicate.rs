//! `litestream replicate`: run the daemon until a signal (or `-once`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use litestream_core::db::DbSettings;
use litestream_core::replicator::{Input, ReplicatorSettings};

use crate::driver::{self, Daemon, Event};
use crate::replica::file::FileReplica;
use crate::replica::ReplicaClient;
use crate::{log, parse_flags};

/// Entry point for `litestream replicate ARGS`.
///
/// Extension: `-socket PATH` serves the control socket in command-line mode too (mode
/// 0600), and with it `DB_PATH REPLICA_URL` may be left out to start with no database,
/// so that every database comes through `/register`.
pub fn run(args: &[String]) -> Result<(), String> {
    let (flags, pos) = parse_flags(
        args,
        &["config", "exec", "log-level", "socket"],
        &[
            "once",
            "force-snapshot",
            "no-expand-env",
            "enforce-retention",
            "restore-if-db-not-exists",
        ],
    )?;
    if pos.len() == 1 {
        return Err(format!(
            "must specify at least one replica URL for {}",
            pos[0]
        ));
    }
    if pos.len() > 2 {
        return Err("multiple replicas on a single database are no longer supported".into());
    }
    let socket = flags.get("socket").map(|p| crate::socket::SocketConfig {
        path: PathBuf::from(p),
        ..Default::default()
    });
    if pos.is_empty() && socket.is_none() {
        return Err("config-file mode is not available yet in this build: use `litestream replicate DB_PATH REPLICA_URL`".into());
    }
    if flags.contains_key("config") {
        return Err("cannot specify a replica URL and the -config flag".into());
    }
    let level = flags
        .get("log-level")
        .cloned()
        .or_else(|| std::env::var("LOG_LEVEL").ok())
        .unwrap_or_else(|| "info".into());
    log::configure(log::parse_level(&level), false);
    let cwd = std::env::current_dir().map_err(|e| format!("current directory: {e}"))?;
    if pos.is_empty() {
        return run_without_databases(socket.unwrap_or_default());
    }
    let db = absolute(&cwd, Path::new(&pos[0]));
    if db.is_dir() {
        return Err(format!(
            "{} is a directory, not a database file",
            db.display()
        ));
    }
    if let Err(e) = crate::sqlite::check_header(&db) {
        if db.exists() {
            return Err(e.message);
        }
    }
    let client = open_replica(&pos[1], &cwd)?;
    let mut daemon = new_daemon();
    log::log(
        litestream_core::emit::Level::Info,
        "litestream",
        &[
            ("version", env!("CARGO_PKG_VERSION")),
            ("sqlite", crate::sqlite::sqlite_version()),
        ],
    );
    log::log(
        litestream_core::emit::Level::Info,
        "replicating",
        &[
            ("db", &db.display().to_string()),
            ("replica", &client.location()),
        ],
    );
    let id = daemon.add_db(DbSettings::with_defaults(db), client);
    let tx = daemon.sender();
    install_signals(tx.clone())?;
    let server = match socket {
        Some(cfg) => Some(crate::socket::start(cfg, tx.clone())?),
        None => None,
    };
    if crate::flag_true(&flags, "once") {
        // Sync every database once (WAL → LTX → replica), then shut down.
        smol::spawn(async move {
            let (reply, answer) = smol::channel::bounded(1);
            let _ = tx
                .send(Event::Sync {
                    db: id,
                    wait: true,
                    timeout: None,
                    reply,
                })
                .await;
            match answer.recv().await {
                Ok(Ok(_)) => log::log(
                    litestream_core::emit::Level::Info,
                    "one-shot replication complete",
                    &[],
                ),
                Ok(Err(e)) => log::log(
                    litestream_core::emit::Level::Error,
                    &format!("one-shot replication failed: {e}"),
                    &[],
                ),
                Err(_) => {}
            }
            let _ = tx.send(Event::Input(Input::Shutdown)).await;
        })
        .detach();
    }
    smol::block_on(daemon.run());
    if let Some(server) = server {
        server.shutdown();
    }
    driver::info("litestream shut down");
    Ok(())
}

/// `replicate -socket PATH` without databases: serve the socket until a signal.
fn run_without_databases(socket: crate::socket::SocketConfig) -> Result<(), String> {
    let daemon = new_daemon();
    let tx = daemon.sender();
    install_signals(tx.clone())?;
    let server = crate::socket::start(socket, tx)?;
    smol::block_on(daemon.run());
    server.shutdown();
    driver::info("litestream shut down");
    Ok(())
}

/// A daemon with the process's identity (`/info`) and URL-built replicas for
/// `/register`.
pub fn new_daemon() -> Daemon {
    let mut daemon = Daemon::new(daemon_settings());
    daemon.open_replica = |url| {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        open_replica(url, &cwd)
    };
    daemon
}

/// Daemon-wide settings: version, pid, start time, home directory, replica URL check.
pub fn daemon_settings() -> ReplicatorSettings {
    ReplicatorSettings {
        version: env!("CARGO_PKG_VERSION").to_string(),
        pid: std::process::id(),
        started_at: log::now_ms(),
        home: std::env::var_os("HOME").map(PathBuf::from),
        validate_replica_url: |url| open_replica(url, Path::new("/")).map(|_| ()),
        ..ReplicatorSettings::default()
    }
}

/// Make `p` absolute against `cwd` (lexically cleaned).
pub fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A replica client for a URL (`file:///path`, a plain path, `s3://…`).
pub fn open_replica(url: &str, cwd: &Path) -> Result<Arc<dyn ReplicaClient>, String> {
    if let Some((scheme, rest)) = url.split_once("://") {
        return match scheme {
            "file" => {
                let path = rest.split('?').next().unwrap_or(rest);
                if !path.starts_with('/') {
                    return Err(format!("invalid file replica URL {url:?}: use file:///absolute/path"));
                }
                Ok(Arc::new(FileReplica::new(absolute(cwd, Path::new(path)))))
            }
            "s3" | "gs" | "abs" | "sftp" | "webdav" | "webdavs" | "nats" | "oss" => {
                Err(format!("replica type {scheme:?} is not supported by this build yet (replica URL {url:?}); use a file:// replica"))
            }
            _ => Err(format!("unsupported replica URL scheme {scheme:?} in {url:?}: use file:///path (or s3://bucket/path)")),
        };
    }
    if url.is_empty() {
        return Err("replica url scheme required".into());
    }
    Ok(Arc::new(FileReplica::new(absolute(cwd, Path::new(url)))))
}

/// SIGINT/SIGTERM → graceful shutdown; a second signal exits at once.
fn install_signals(tx: smol::channel::Sender<Event>) -> Result<(), String> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| format!("install signal handlers: {e}"))?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut seen = false;
            for _ in signals.forever() {
                if seen {
                    log::log(
                        litestream_core::emit::Level::Warn,
                        "second signal: exiting without waiting for the final sync",
                        &[],
                    );
                    std::process::exit(1);
                }
                seen = true;
                log::log(
                    litestream_core::emit::Level::Info,
                    "signal received, litestream shutting down",
                    &[],
                );
                let _ = tx.send_blocking(Event::Input(Input::Shutdown));
            }
        })
        .map_err(|e| format!("spawn signal thread: {e}"))?;
    Ok(())
}
