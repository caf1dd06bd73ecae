//! The `litestream replicate` daemon under test: starting, signalling and stopping the
//! process, and waiting until its replica has caught up with the database.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::{
    file_url, l0_path, list_l0_url, litestream_bin, ltx_header, max_l0_txid, meta_dir, tail,
    wal_covered, wal_generation_frames, MIN_CHECKPOINT_PAGES,
};

/// A running `litestream replicate DB URL` process; killed (SIGKILL) when dropped.
pub struct Daemon {
    child: Option<Child>,
    /// Log file (stdout and stderr of every start, appended).
    pub log: PathBuf,
    /// Database path.
    pub db: PathBuf,
    /// Replica directory (empty for a replica that is not a directory).
    pub replica: PathBuf,
    /// Replica URL given to `replicate`.
    pub url: String,
    /// Extra environment of the process (credentials of an S3 replica).
    pub env: Vec<(String, String)>,
    /// Run `replicate -config` with this file instead of naming the database and URL.
    pub config: Option<PathBuf>,
    /// Limit on open files (`ulimit -n`) for the next start, as a service manager sets it.
    pub max_open_files: Option<u64>,
    /// Extra `replicate` flags for every start, given before the database and URL.
    pub flags: Vec<String>,
}

impl Daemon {
    /// A daemon not started yet: `replicate -log-level debug DB URL`, logging to `log`.
    fn new(db: &Path, url: &str, log: &Path) -> Daemon {
        Daemon {
            child: None,
            log: log.to_path_buf(),
            db: db.to_path_buf(),
            replica: PathBuf::new(),
            url: url.to_string(),
            env: Vec::new(),
            config: None,
            max_open_files: None,
            flags: Vec::new(),
        }
    }

    /// Start `litestream replicate -log-level debug DB file://REPLICA`, logging to `log`.
    pub fn start(db: &Path, replica: &Path, log: &Path) -> Daemon {
        Daemon::start_flags(db, replica, log, &[])
    }

    /// Start `litestream replicate -log-level debug DB URL` with `env` added to the
    /// environment, logging to `log`.
    pub fn start_url(db: &Path, url: &str, env: &[(String, String)], log: &Path) -> Daemon {
        let mut d = Daemon::new(db, url, log);
        d.env = env.to_vec();
        d.restart();
        d
    }

    /// Start `litestream replicate -config CONFIG` for the file replica `replica` of
    /// `db` (the config names both and sets `logging.level: debug`), logging to `log`.
    pub fn start_config(config: &Path, db: &Path, replica: &Path, log: &Path) -> Daemon {
        let mut d = Daemon::new(db, &file_url(replica), log);
        d.replica = replica.to_path_buf();
        d.config = Some(config.to_path_buf());
        d.restart();
        d
    }

    /// Like [`Daemon::start`] with `flags` (e.g. `-restore-if-db-not-exists`) given
    /// before the database and URL.
    pub fn start_flags(db: &Path, replica: &Path, log: &Path, flags: &[&str]) -> Daemon {
        let mut d = Daemon::new(db, &file_url(replica), log);
        d.replica = replica.to_path_buf();
        d.flags = flags.iter().map(|f| f.to_string()).collect();
        d.restart();
        d
    }

    /// Start again after a stop or kill.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "daemon already running");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open daemon log");
        let mut cmd = Command::new(litestream_bin());
        match &self.config {
            Some(config) => cmd
                .arg("replicate")
                .args(&self.flags)
                .arg("-config")
                .arg(config),
            None => cmd
                .args(["replicate", "-log-level", "debug"])
                .args(&self.flags)
                .arg(&self.db)
                .arg(&self.url),
        };
        if let Some(limit) = self.max_open_files {
            limit_open_files(&mut cmd, limit, limit);
        }
        let child = cmd
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log)
            .spawn()
            .expect("start litestream replicate");
        self.child = Some(child);
    }

    /// Process id (while running).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `kill -9` and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait for a graceful exit (final sync); panics after `timeout`.
    pub fn stop(&mut self, timeout: Duration) -> ExitStatus {
        match self.stop_within(timeout) {
            Some(st) => st,
            None => panic!(
                "daemon did not stop within {timeout:?} after SIGTERM (killed); log:\n{}",
                tail(&self.log_text(), 40)
            ),
        }
    }

    /// SIGTERM and wait up to `timeout` for the exit status; after that, SIGKILL and
    /// `None`.
    pub fn stop_within(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut c = self.child.take().expect("daemon running");
        // SAFETY: plain syscall on our own child's pid.
        unsafe {
            libc::kill(c.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = c.try_wait().expect("wait daemon") {
                return Some(st);
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                let _ = c.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Freeze the process (SIGSTOP), e.g. to let a backlog build up.
    pub fn pause(&self) {
        self.signal(libc::SIGSTOP);
    }

    /// Resume after [`Daemon::pause`] (SIGCONT).
    pub fn resume(&self) {
        self.signal(libc::SIGCONT);
    }

    fn signal(&self, sig: i32) {
        let pid = self.pid().expect("daemon running");
        // SAFETY: plain syscall on our own child's pid.
        unsafe {
            libc::kill(pid as i32, sig);
        }
    }

    /// Exit status if it has exited on its own.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        let st = self.child.as_mut()?.try_wait().expect("wait daemon")?;
        self.child = None;
        Some(st)
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        match &mut self.child {
            None => false,
            Some(c) => c.try_wait().expect("wait daemon").is_none(),
        }
    }

    /// The replica's newest L0 TXID: read from the directory of a file replica, else
    /// listed with `litestream ltx -json URL` (0 when the listing fails).
    pub fn remote_max_l0(&self) -> u64 {
        if !self.replica.as_os_str().is_empty() {
            return max_l0_txid(&self.replica);
        }
        list_l0_url(&self.url, &self.env)
            .ok()
            .and_then(|v| v.iter().map(|r| r.1).max())
            .unwrap_or(0)
    }

    /// Everything logged so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait until the replica has caught up with the database: the newest local L0 TXID
    /// equals the replica's, that file covers every committed WAL frame (see
    /// [`wal_covered`]), the WAL's current generation is below the checkpoint threshold
    /// (the daemon's PASSIVE checkpoint after a big write has run and restarted the WAL),
    /// and this has held, unchanged, for 300 ms. Returns the TXID.
    ///
    /// Waiting for the checkpoint matters: a reader that starts while the WAL is still
    /// above the threshold blocks the WAL restart, and the daemon then checkpoints and
    /// bumps `_litestream_seq` in a tight loop (see `tests/checkpoint_storm.rs`), changing
    /// the database under the caller's comparison.
    pub fn wait_caught_up(&mut self, timeout: Duration) -> u64 {
        let meta = meta_dir(&self.db);
        let start = Instant::now();
        let mut stable_since: Option<(Instant, u64)> = None;
        loop {
            assert!(
                self.running(),
                "daemon exited while waiting for it to catch up; log:\n{}",
                tail(&self.log_text(), 40)
            );
            let local = max_l0_txid(&meta);
            let remote = self.remote_max_l0();
            let covered = local > 0
                && ltx_header(&l0_path(&meta, local)).is_some_and(|h| wal_covered(&self.db, &h))
                && wal_generation_frames(&self.db) < MIN_CHECKPOINT_PAGES;
            let now = Instant::now();
            if local > 0 && local == remote && covered {
                match stable_since {
                    Some((t, txid)) if txid == local => {
                        if now - t >= Duration::from_millis(300) {
                            return local;
                        }
                    }
                    _ => stable_since = Some((now, local)),
                }
            } else {
                stable_since = None;
            }
            if now - start > timeout {
                panic!(
                    "replica did not catch up within {timeout:?}: local L0 max {local}, replica L0 max {remote}, wal covered {covered}; log tail:\n{}",
                    tail(&self.log_text(), 40)
                );
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Start `cmd` with the open-file limit (`ulimit -Sn SOFT -Hn HARD`) a service manager
/// would give it.
pub fn limit_open_files(cmd: &mut Command, soft: u64, hard: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only setrlimit, async-signal-safe, runs in the child before exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: soft,
                rlim_max: hard,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
