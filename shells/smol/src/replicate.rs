//! `litestream replicate`: run the daemon until a signal, the `-exec` child exits, or
//! (`-once`) everything was synced once.

use std::path::Path;
use std::sync::Arc;

use litestream_core::config::{Config, DbSource};
use litestream_core::db::DbSettings;
use litestream_core::emit::Level;
use litestream_core::replicator::{Input, ReplicatorSettings};

use crate::driver::{self, Daemon, Event};
use crate::replica::ReplicaClient;
use crate::{flag_true, log, parse_flags, setup};

/// A database to replicate.
struct ManagedDb {
    settings: DbSettings,
    client: Arc<dyn ReplicaClient>,
    /// Restore it from `client` before start-up when the file does not exist.
    restore_if_missing: bool,
}

/// Entry point for `litestream replicate ARGS`.
pub fn run(args: &[String]) -> Result<(), String> {
    let (flags, pos) = parse_flags(
        "replicate",
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
    if let Some(f) = pos.iter().skip(1).find(|a| a.starts_with('-')) {
        return Err(format!(
            "flag {f:?} must be positioned before DB_PATH and REPLICA_URL arguments"
        ));
    }
    let once = flag_true(&flags, "once");
    let restore_flag = flag_true(&flags, "restore-if-db-not-exists");
    if once && flags.contains_key("exec") {
        return Err("cannot specify -once flag with -exec".into());
    }
    if flag_true(&flags, "force-snapshot") && !once {
        return Err("cannot specify -force-snapshot flag without -once".into());
    }
    if flag_true(&flags, "enforce-retention") && !once {
        return Err("cannot specify -enforce-retention flag without -once".into());
    }
    let mut dbs: Vec<ManagedDb> = Vec::new();
    let mut exec = flags.get("exec").cloned().unwrap_or_default();
    let mut shutdown_timeout = std::time::Duration::from_secs(30);
    let mut level = "info".to_string();
    let mut json = false;
    // Extension: `-socket PATH` serves the control socket (mode 0600) in command-line
    // mode too, and alone (no config, no database) starts an empty daemon that gets its
    // databases through `/register`.
    let mut socket = flags.get("socket").map(|p| crate::socket::SocketConfig {
        path: p.into(),
        ..Default::default()
    });
    let socket_only = pos.is_empty() && socket.is_some() && !flags.contains_key("config");
    match pos.len() {
        0 if socket_only => {}
        0 => {
            let cfg = setup::load_config(
                flags.get("config").map(String::as_str),
                !flag_true(&flags, "no-expand-env"),
            )?;
            level = format!("{:?}", cfg.logging.level);
            json = matches!(cfg.logging.format, litestream_core::config::LogFormat::Json);
            shutdown_timeout = cfg.shutdown_sync_timeout;
            if exec.is_empty() {
                exec = cfg.exec.clone();
            }
            dbs = config_dbs(&cfg, restore_flag)?;
            if cfg.socket.enabled && socket.is_none() {
                socket = Some(crate::socket::SocketConfig {
                    path: cfg.socket.path.clone(),
                    permissions: cfg.socket.permissions,
                });
            }
        }
        1 => {
            return Err(format!(
                "must specify at least one replica URL for {}",
                pos[0]
            ))
        }
        2 => {
            if flags.contains_key("config") {
                return Err("cannot specify a replica URL and the -config flag".into());
            }
            let db = setup::expand_db_path(&pos[0])?;
            preflight_db(&db)?;
            let target =
                setup::target_from_url(&pos[1], litestream_core::config::UrlDialect::Config)?;
            let client = setup::replica_client(&target)?;
            let mut settings = DbSettings::with_defaults(db);
            settings.replica_location = setup::replica_location(&target);
            dbs.push(ManagedDb {
                settings,
                client,
                restore_if_missing: restore_flag,
            });
        }
        _ => return Err("multiple replicas on a single database are no longer supported".into()),
    }
    if let Ok(l) = std::env::var("LOG_LEVEL") {
        level = l;
    }
    if let Some(l) = flags.get("log-level") {
        level = l.clone();
    }
    log::configure(log::parse_level(&level), json);
    log::log(
        Level::Info,
        "litestream",
        &[
            ("version", env!("CARGO_PKG_VERSION")),
            ("sqlite", crate::sqlite::sqlite_version()),
        ],
    );
    if dbs.is_empty() && !socket_only {
        log::log(Level::Error, "no databases specified in configuration", &[]);
    }
    // Before any database is opened: an application started beside the daemon must not
    // find a missing database's path free and create an empty one there.
    for db in dbs.iter().filter(|db| db.restore_if_missing) {
        crate::restore_missing::restore_if_missing(&db.settings.paths.db, db.client.as_ref())?;
    }
    let settings = ReplicatorSettings {
        shutdown_sync_timeout: shutdown_timeout,
        version: env!("CARGO_PKG_VERSION").to_string(),
        pid: std::process::id(),
        started_at: log::now_ms(),
        started_mono: litestream_core::time::Mono(0),
        home: setup::home(),
        validate_replica_url: setup::validate_register_url,
    };
    let mut daemon = Daemon::new(settings);
    daemon.open_replica = setup::client_from_register_url;
    let mut ids = Vec::new();
    let once_failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    for ManagedDb {
        settings, client, ..
    } in dbs
    {
        if once && !settings.paths.db.exists() {
            // One-shot mode does not wait for databases to appear.
            log::log(
                Level::Error,
                "one-shot replication: database does not exist",
                &[("db", &settings.paths.db.display().to_string())],
            );
            once_failed.store(true, std::sync::atomic::Ordering::SeqCst);
            continue;
        }
        let db = settings.paths.db.display().to_string();
        log::log(
            Level::Info,
            "replicating",
            &[("db", &db), ("replica", &client.location())],
        );
        ids.push(daemon.add_db(settings, client));
    }
    let tx = daemon.sender();
    install_signals(tx.clone())?;
    let server = match socket {
        Some(cfg) => Some(crate::socket::start(cfg, tx.clone())?),
        None => None,
    };
    if once {
        spawn_once(
            tx.clone(),
            ids,
            flag_true(&flags, "force-snapshot"),
            once_failed.clone(),
        );
    }
    let child = if exec.is_empty() {
        None
    } else {
        Some(crate::exec::spawn(&exec, tx.clone())?)
    };
    // The drive loop runs on the executor thread that also serves the control socket, so a
    // request and its answer pass between tasks of one thread instead of waking another.
    smol::block_on(smol::spawn(daemon.run()));
    if let Some(server) = server {
        server.shutdown();
    }
    driver::info("litestream shut down");
    if once_failed.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(
            "one-shot replication failed for at least one database (see the log above)".into(),
        );
    }
    match child {
        Some(c) => c.finish(),
        None => Ok(()),
    }
}

/// The databases of a config file, with their replica clients. `restore_flag` is
/// `-restore-if-db-not-exists`, which like the per-database key covers only `path:`
/// entries: a directory scan finds only files that exist.
fn config_dbs(cfg: &Config, restore_flag: bool) -> Result<Vec<ManagedDb>, String> {
    let mut out = Vec::new();
    for entry in &cfg.dbs {
        let expanded: Vec<_> = match &entry.source {
            DbSource::Path { .. } => vec![entry.clone()],
            DbSource::Dir(dir) => {
                let found = crate::dirscan::scan(&dir.dir, &dir.pattern, dir.recursive)?;
                if found.is_empty() && !dir.watch {
                    return Err(format!(
                        "no SQLite databases found in directory {} with pattern {}",
                        dir.dir.display(),
                        dir.pattern
                    ));
                }
                found
                    .iter()
                    .filter_map(|rel| entry.for_discovered(rel))
                    .collect()
            }
        };
        for db in expanded {
            let settings = setup::db_settings(cfg, &db)
                .ok_or("internal error: directory entry without a path")?;
            if let Some(target) = crate::fs::symlink_target(&settings.paths.db) {
                let msg = format!(
                    "{} is a symbolic link to {target}: list the database by its real path",
                    settings.paths.db.display()
                );
                if matches!(entry.source, DbSource::Dir(_)) {
                    log::log(Level::Warn, &format!("{msg}; skipped"), &[]);
                    continue;
                }
                return Err(msg);
            }
            let client = setup::replica_client(&db.replica.target)
                .map_err(|e| format!("{}: {e}", settings.paths.db.display()))?;
            out.push(ManagedDb {
                restore_if_missing: matches!(entry.source, DbSource::Path { .. })
                    && (restore_flag || db.restore_if_db_not_exists),
                settings,
                client,
            });
        }
    }
    refuse_shared_places(&out)?;
    Ok(out)
}

/// Two entries naming one database file, one meta directory or one replica location
/// (through symbolic links, which the config check cannot see) would break each
/// other's locks and files.
fn refuse_shared_places(out: &[ManagedDb]) -> Result<(), String> {
    let mut seen = std::collections::BTreeMap::new();
    for s in out.iter().map(|db| &db.settings) {
        let places = [
            (
                "database",
                crate::fs::real_path(&s.paths.db).display().to_string(),
            ),
            (
                "meta-path",
                crate::fs::real_path(&s.paths.meta).display().to_string(),
            ),
            ("replica", s.replica_location.clone()),
        ];
        for (what, place) in places {
            if place.is_empty() {
                continue;
            }
            if let Some(other) = seen.insert((what, place.clone()), s.paths.db.clone()) {
                return Err(format!(
                    "{what} collision: {} and {} share {place}; give each database its own",
                    other.display(),
                    s.paths.db.display()
                ));
            }
        }
    }
    Ok(())
}

/// Refuse a database path that cannot be replicated before the daemon starts.
fn preflight_db(db: &Path) -> Result<(), String> {
    if let Some(target) = crate::fs::symlink_target(db) {
        // SQLite resolves the link and keeps its -wal beside the real file, where a
        // daemon reading `<link>-wal` would never look.
        return Err(format!(
            "{} is a symbolic link to {target}: replicate the database by its real path",
            db.display()
        ));
    }
    if db.is_dir() {
        return Err(format!(
            "{} is a directory, not a database file",
            db.display()
        ));
    }
    if db.exists() {
        crate::sqlite::check_header(db).map_err(|e| e.message)?;
    }
    Ok(())
}

/// `-once`: sync every database (WAL → LTX → replica), then shut down.
fn spawn_once(
    tx: smol::channel::Sender<Event>,
    ids: Vec<litestream_core::io::DbId>,
    snapshot: bool,
    any_failed: Arc<std::sync::atomic::AtomicBool>,
) {
    smol::spawn(async move {
        let mut failed = any_failed.load(std::sync::atomic::Ordering::SeqCst);
        for id in ids {
            let (reply, answer) = smol::channel::bounded(1);
            let _ = tx
                .send(Event::Sync {
                    db: id,
                    wait: true,
                    timeout: None,
                    reply,
                })
                .await;
            if let Ok(Err(e)) = answer.recv().await {
                log::log(
                    Level::Error,
                    &format!("one-shot replication failed: {e}"),
                    &[],
                );
                failed = true;
                continue;
            }
            if snapshot {
                let (reply, answer) = smol::channel::bounded(1);
                let _ = tx.send(Event::Snapshot { db: id, reply }).await;
                if let Ok(Err(e)) = answer.recv().await {
                    log::log(Level::Error, &format!("one-shot snapshot failed: {e}"), &[]);
                    failed = true;
                }
            }
        }
        if failed {
            any_failed.store(true, std::sync::atomic::Ordering::SeqCst);
        } else {
            log::log(Level::Info, "one-shot replication complete", &[]);
        }
        let _ = tx.send(Event::Input(Input::Shutdown)).await;
    })
    .detach();
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
            for sig in signals.forever() {
                if seen {
                    log::log(
                        Level::Warn,
                        "second signal: exiting without waiting for the final sync",
                        &[],
                    );
                    std::process::exit(1);
                }
                seen = true;
                crate::exec::forward_signal(sig);
                log::log(
                    Level::Info,
                    "signal received, litestream shutting down",
                    &[],
                );
                let _ = tx.send_blocking(Event::Input(Input::Shutdown));
            }
        })
        .map_err(|e| format!("spawn signal thread: {e}"))?;
    Ok(())
}
