//! The drive loop: owns the core's `Replicator` on one task, executes each command it
//! emits (blocking work in `smol::unblock`), and feeds completions, WAL changes, signals
//! and timer ticks back in, one at a time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use litestream_core::db::DbSettings;
use litestream_core::emit::{Level, Output, SyncReport};
use litestream_core::io::DbId;
use litestream_core::replicator::{Input, Replicator, ReplicatorSettings};
use litestream_core::time::Mono;
use smol::channel::{Receiver, Sender};

use crate::command::{execute, Resources};
use crate::log;
use crate::replica::ReplicaClient;
use crate::watch::WalWatcher;

/// A message to the drive loop.
pub enum Event {
    /// An input for the core.
    Input(Input),
    /// Sync a database (and with `wait` its replica); the answer goes to `reply`.
    Sync {
        /// Database.
        db: DbId,
        /// Also wait for the replica.
        wait: bool,
        /// Give up after this long.
        timeout: Option<Duration>,
        /// Where the result goes.
        reply: Sender<Result<SyncReport, String>>,
    },
    /// Write a snapshot of a database now; the answer goes to `reply`.
    Snapshot {
        /// Database.
        db: DbId,
        /// Where the result goes.
        reply: Sender<Result<SyncReport, String>>,
    },
    /// A control request from the socket; the answer goes to `reply`.
    #[allow(dead_code)] // constructed by the control socket server
    Control {
        /// The request.
        request: litestream_core::api::Request,
        /// Where the response goes.
        reply: Sender<litestream_core::api::Response>,
    },
}

impl From<Input> for Event {
    fn from(i: Input) -> Event {
        Event::Input(i)
    }
}

/// The running daemon: the replicator plus the shell around it.
pub struct Daemon {
    replicator: Replicator,
    res: Arc<Resources>,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    watcher: Option<WalWatcher>,
    origin: Instant,
    replies: BTreeMap<u64, Sender<Result<SyncReport, String>>>,
    responses: BTreeMap<u64, Sender<litestream_core::api::Response>>,
    next_ticket: u64,
    /// Builds replica clients for databases registered at run time.
    pub open_replica: fn(&str) -> Result<Arc<dyn ReplicaClient>, String>,
}

impl Daemon {
    /// A daemon with no databases yet.
    pub fn new(settings: ReplicatorSettings) -> Daemon {
        let (tx, rx) = smol::channel::unbounded();
        let watcher = WalWatcher::start(tx.clone());
        Daemon {
            replicator: Replicator::new(settings),
            res: Arc::new(Resources {
                watcher: watcher.clone(),
                ..Resources::default()
            }),
            tx,
            rx,
            watcher,
            origin: Instant::now(),
            replies: BTreeMap::new(),
            responses: BTreeMap::new(),
            next_ticket: 0,
            open_replica: |url| Err(format!("cannot open replica {url}")),
        }
    }

    fn now(&self) -> Mono {
        Mono(u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }

    /// A sender for inputs (signals use it to request shutdown).
    pub fn sender(&self) -> Sender<Event> {
        self.tx.clone()
    }

    /// Add a database with its replica and start replicating it.
    pub fn add_db(&mut self, settings: DbSettings, replica: Arc<dyn ReplicaClient>) -> DbId {
        let path = settings.paths.db.clone();
        let busy = settings.busy_timeout;
        let (now, wall) = (self.now(), log::now_ms());
        let id = self.replicator.add_db(now, wall, settings);
        self.res
            .replicas
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, replica);
        self.res
            .busy
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, busy);
        if let Some(w) = &self.watcher {
            w.add(&path, id);
        }
        id
    }

    /// Run until shutdown completes.
    pub async fn run(mut self) {
        loop {
            self.drain();
            if self.replicator.is_finished() {
                return;
            }
            let input = match self.replicator.poll_timeout() {
                Some(deadline) => {
                    let wait = Duration::from_nanos(deadline.0.saturating_sub(self.now().0));
                    let rx = self.rx.clone();
                    smol::future::or(
                        async move { rx.recv().await.unwrap_or(Event::Input(Input::Tick)) },
                        async move {
                            smol::Timer::after(wait).await;
                            Event::Input(Input::Tick)
                        },
                    )
                    .await
                }
                None => self
                    .rx
                    .recv()
                    .await
                    .unwrap_or(Event::Input(Input::Shutdown)),
            };
            self.event(input);
            // Take whatever else is already waiting before draining outputs.
            while let Ok(more) = self.rx.try_recv() {
                self.event(more);
            }
        }
    }

    fn event(&mut self, ev: Event) {
        let (now, wall) = (self.now(), log::now_ms());
        match ev {
            Event::Input(input) => self.replicator.handle(now, wall, input),
            Event::Snapshot { db, reply } => {
                self.next_ticket += 1;
                let ticket = self.next_ticket;
                match self.replicator.force_snapshot(now, wall, db, ticket) {
                    Ok(()) => {
                        self.replies.insert(ticket, reply);
                    }
                    Err(e) => {
                        let _ = reply.try_send(Err(format!("{e:?}")));
                    }
                }
            }
            Event::Control { request, reply } => {
                self.next_ticket += 1;
                let req = litestream_core::io::ReqId(self.next_ticket);
                self.responses.insert(self.next_ticket, reply);
                self.replicator
                    .handle(now, wall, Input::Control { req, request });
            }
            Event::Sync {
                db,
                wait,
                timeout,
                reply,
            } => {
                self.next_ticket += 1;
                let ticket = self.next_ticket;
                match self
                    .replicator
                    .request_sync(now, wall, db, ticket, wait, timeout)
                {
                    Ok(()) => {
                        self.replies.insert(ticket, reply);
                    }
                    Err(e) => {
                        let _ = reply.try_send(Err(format!("{e:?}")));
                    }
                }
            }
        }
    }

    fn drain(&mut self) {
        while let Some(out) = self.replicator.poll() {
            match out {
                Output::Log(l) => {
                    let db = l.db.as_ref().map(|p| p.display().to_string());
                    let attrs: Vec<(&str, &str)> =
                        db.as_deref().map(|d| ("db", d)).into_iter().collect();
                    log::log(l.level, &l.message, &attrs);
                }
                Output::Respond { req, response } => {
                    if let Some(reply) = self.responses.remove(&req.0) {
                        let _ = reply.try_send(response);
                    }
                }
                Output::AttachReplica { db, path, url } => match (self.open_replica)(&url) {
                    Ok(client) => {
                        self.res
                            .replicas
                            .write()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(db, client);
                        if let Some(w) = &self.watcher {
                            w.add(&path, db);
                        }
                    }
                    Err(e) => log::log(
                        Level::Error,
                        &format!("replica for {}: {e}", path.display()),
                        &[],
                    ),
                },
                Output::DetachReplica { db } => {
                    self.res
                        .replicas
                        .write()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&db);
                }
                Output::SyncDone { ticket, result, .. } => {
                    if let Some(reply) = self.replies.remove(&ticket) {
                        let _ = reply.try_send(result);
                    }
                }
                Output::Execute { op, cmd } => {
                    if trace_enabled() {
                        eprintln!("exec {op:?} {cmd:?}");
                    }
                    let res = self.res.clone();
                    let tx = self.tx.clone();
                    smol::spawn(async move {
                        let result = smol::unblock(move || execute(&res, cmd)).await;
                        let _ = tx.send(Event::Input(Input::Completed { op, result })).await;
                    })
                    .detach();
                }
            }
        }
    }
}

/// `LITESTREAM_TRACE` set: print every IO command (read once; this runs per command).
fn trace_enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("LITESTREAM_TRACE").is_some())
}

/// Log helper for the shell itself.
pub fn info(msg: &str) {
    log::log(Level::Info, msg, &[]);
}
