//! Shared helpers for the end-to-end tests and benchmarks: where the golden test data and
//! the built `litestream` binary are, running the real `sqlite3` command, starting and
//! stopping the daemon, reading the local meta directory and the file replica, waiting
//! until the replica has caught up with the database, and comparing a restore with its
//! source (`.sha3sum`, `PRAGMA integrity_check`, `PRAGMA page_count`).

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use litestream_core::ltx::{self, Header, HEADER_SIZE};
use sha2::{Digest, Sha256};

pub use tempfile::TempDir;

#[path = "../../shells/smol/src/replica/s3/testproxy.rs"]
pub mod faultproxy;
pub mod ipc;
pub mod seaweedfs;

/// The shared golden test data folder (`../shared/testdata` next to the checkout).
///
/// Panics when it is missing: a test that needs golden data must fail, not skip.
pub fn testdata_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata");
    assert!(
        dir.is_dir(),
        "golden test data not found at {}: check out the shared folder beside the repository",
        dir.display()
    );
    dir
}

/// The `litestream` binary built by this cargo invocation (`target/<profile>/litestream`).
pub fn litestream_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/litestream
    let dir = exe
        .parent()
        .and_then(|p| p.parent())
        .expect("test executable lives in target/<profile>/deps");
    let bin = dir.join("litestream");
    assert!(
        bin.is_file(),
        "{} not built: run the tests with `cargo test --workspace` (it builds the binary)",
        bin.display()
    );
    bin
}

/// A fresh temporary directory (removed when dropped; kept with `LITESTREAM_E2E_KEEP=1`).
pub fn tempdir(prefix: &str) -> TempDir {
    let mut dir = tempfile::Builder::new()
        .prefix(&format!("ls-e2e-{prefix}-"))
        .tempdir()
        .expect("create temp dir");
    if std::env::var_os("LITESTREAM_E2E_KEEP").is_some() {
        eprintln!("keeping {}", dir.path().display());
        dir.disable_cleanup(true);
    }
    dir
}

/// `file://` URL of a directory.
pub fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

// ---------------------------------------------------------------------------------------
// sqlite3

/// Run the `sqlite3` command on `db` with `sql` on standard input.
pub fn sqlite3_output(db: &Path, sql: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new("sqlite3")
        .arg("-batch")
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sqlite3 (is it installed? apt-get install sqlite3)");
    let mut stdin = child.stdin.take().expect("sqlite3 stdin");
    stdin.write_all(sql.as_bytes()).expect("write sql");
    drop(stdin);
    child.wait_with_output().expect("wait for sqlite3")
}

/// Run `sql` with the `sqlite3` command and return its standard output (trimmed); panics
/// when sqlite3 fails or prints an error. Like any application beside the daemon (which
/// briefly takes the write lock for its own bookkeeping), it sets a busy timeout: 10 s.
pub fn sqlite3(db: &Path, sql: &str) -> String {
    let out = sqlite3_output(db, &format!(".bail on\n.timeout 10000\n{sql}\n"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "sqlite3 {} failed ({}): {stderr}\nSQL: {}",
        db.display(),
        out.status,
        abbreviate(sql)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn abbreviate(s: &str) -> String {
    if s.len() > 400 {
        format!("{}…", &s[..400])
    } else {
        s.to_string()
    }
}

/// `sqlite3 DB .sha3sum`: a hash of the schema and every row (independent of page layout).
pub fn sha3sum(db: &Path) -> String {
    let s = sqlite3(db, ".sha3sum");
    assert_eq!(s.len(), 56, "unexpected .sha3sum output {s:?}");
    s
}

/// `PRAGMA integrity_check` output.
pub fn integrity_check(db: &Path) -> String {
    sqlite3(db, "PRAGMA integrity_check;")
}

/// `PRAGMA page_count`.
pub fn page_count(db: &Path) -> u64 {
    sqlite3(db, "PRAGMA page_count;")
        .parse()
        .expect("page_count is a number")
}

/// sha256 of a file's bytes.
pub fn sha256_file(path: &Path) -> [u8; 32] {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    Sha256::digest(&bytes).into()
}

/// sha256 of every regular file under `dir`, by path relative to `dir`.
pub fn hash_tree(dir: &Path) -> BTreeMap<PathBuf, [u8; 32]> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, [u8; 32]>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if let Ok(mut f) = fs::File::open(&p) {
                let mut h = Sha256::new();
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    match f.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => h.update(&buf[..n]),
                    }
                }
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    h.finalize().into(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Every file under `dir` whose name ends in `.tmp`.
pub fn tmp_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = hash_tree(dir)
        .into_keys()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------
// LTX directories

/// The daemon's local meta directory of `db`: `<dir>/.<name>-litestream`.
pub fn meta_dir(db: &Path) -> PathBuf {
    let name = db.file_name().expect("db file name").to_string_lossy();
    db.with_file_name(format!(".{name}-litestream"))
}

/// `(min, max)` TXIDs of the `ltx/<level>/` files under `root` (a replica root or a meta
/// directory), sorted; names that do not parse are ignored.
pub fn ltx_files(root: &Path, level: u8) -> Vec<(u64, u64)> {
    let dir = root.join("ltx").join(level.to_string());
    let mut v: Vec<(u64, u64)> = fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| ltx::parse_filename(&e.file_name().to_string_lossy()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Highest MaxTXID among `root/ltx/0/` files (0 if none).
pub fn max_l0_txid(root: &Path) -> u64 {
    ltx_files(root, 0).last().map_or(0, |f| f.1)
}

/// Path of an L0 file.
pub fn l0_path(root: &Path, txid: u64) -> PathBuf {
    root.join("ltx/0").join(ltx::format_filename(txid, txid))
}

/// Decode and verify a whole LTX file.
pub fn decode_ltx(path: &Path) -> ltx::DecodedFile {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    ltx::decode_file(&bytes).unwrap_or_else(|e| panic!("decode {}: {e}", path.display()))
}

/// Header of an LTX file.
pub fn ltx_header(path: &Path) -> Option<Header> {
    let mut f = fs::File::open(path).ok()?;
    let mut head = [0u8; HEADER_SIZE];
    f.read_exact(&mut head).ok()?;
    Header::peek(&head).ok()
}

/// Assert the replica's L0 names are exactly `1-1, 2-2, …, max-max`; returns max.
pub fn assert_l0_contiguous(replica: &Path) -> u64 {
    let files = ltx_files(replica, 0);
    for (i, (min, max)) in files.iter().enumerate() {
        let want = i as u64 + 1;
        assert!(
            *min == want && *max == want,
            "replica L0 is not contiguous: file #{i} is {min}-{max}, expected {want}-{want}; all: {:?}",
            files
        );
    }
    files.len() as u64
}

// ---------------------------------------------------------------------------------------
// WAL

fn wal_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push("-wal");
    s.into()
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Whether the newest local L0 file (header `h`) covers every committed frame of `db`'s
/// WAL: the WAL is absent or empty, or `h` was read from the current WAL generation (same
/// salts) and no frame of that generation after `h`'s range is a commit frame (frames
/// after it are missing, of another generation, or an uncommitted tail).
pub fn wal_covered(db: &Path, h: &Header) -> bool {
    use std::os::unix::fs::FileExt;
    let Ok(f) = fs::File::open(wal_path(db)) else {
        return true;
    };
    let mut whdr = [0u8; 32];
    if f.read_exact_at(&mut whdr, 0).is_err() {
        return true;
    }
    let page_size = u64::from(be32(&whdr[8..]));
    let (salt1, salt2) = (be32(&whdr[16..]), be32(&whdr[20..]));
    if (h.wal_salt1, h.wal_salt2) != (salt1, salt2) {
        return false;
    }
    let mut off = u64::try_from(h.wal_offset + h.wal_size)
        .unwrap_or(0)
        .max(32);
    let mut fh = [0u8; 24];
    while f.read_exact_at(&mut fh, off).is_ok() {
        if (be32(&fh[8..]), be32(&fh[12..])) != (salt1, salt2) {
            return true;
        }
        if be32(&fh[4..]) != 0 {
            return false; // a commit frame the L0 files do not cover yet
        }
        off += 24 + page_size;
    }
    true
}

/// Number of frames in the WAL's current generation (frames from offset 32 on whose
/// salts equal the header's; stale frames of an older generation end the count). 0 when
/// the WAL is missing or empty.
pub fn wal_generation_frames(db: &Path) -> u64 {
    use std::os::unix::fs::FileExt;
    let Ok(f) = fs::File::open(wal_path(db)) else {
        return 0;
    };
    let mut whdr = [0u8; 32];
    if f.read_exact_at(&mut whdr, 0).is_err() {
        return 0;
    }
    let page_size = u64::from(be32(&whdr[8..]));
    let salts = (be32(&whdr[16..]), be32(&whdr[20..]));
    let (mut n, mut off, mut fh) = (0u64, 32u64, [0u8; 24]);
    while f.read_exact_at(&mut fh, off).is_ok() && (be32(&fh[8..]), be32(&fh[12..])) == salts {
        n += 1;
        off += 24 + page_size;
    }
    n
}

/// The daemon's default `min-checkpoint-page-count`: at or above this many WAL frames
/// it still has a PASSIVE checkpoint to run.
pub const MIN_CHECKPOINT_PAGES: u64 = 1000;

// ---------------------------------------------------------------------------------------
// The daemon

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
}

impl Daemon {
    /// Start `litestream replicate -log-level debug DB file://REPLICA`, logging to `log`.
    pub fn start(db: &Path, replica: &Path, log: &Path) -> Daemon {
        let mut d = Daemon::start_url(db, &file_url(replica), &[], log);
        d.replica = replica.to_path_buf();
        d
    }

    /// Start `litestream replicate -log-level debug DB URL` with `env` added to the
    /// environment, logging to `log`.
    pub fn start_url(db: &Path, url: &str, env: &[(String, String)], log: &Path) -> Daemon {
        let mut d = Daemon {
            child: None,
            log: log.to_path_buf(),
            db: db.to_path_buf(),
            replica: PathBuf::new(),
            url: url.to_string(),
            env: env.to_vec(),
        };
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
        let child = Command::new(litestream_bin())
            .args(["replicate", "-log-level", "debug"])
            .arg(&self.db)
            .arg(&self.url)
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

/// The last `n` lines of `s`.
pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

// ---------------------------------------------------------------------------------------
// litestream commands

/// Run `litestream ARGS` to completion.
pub fn litestream(args: &[&str]) -> Output {
    Command::new(litestream_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run litestream")
}

/// `litestream restore -o OUT [EXTRA…] file://REPLICA`.
pub fn restore(replica: &Path, out: &Path, extra: &[&str]) -> Output {
    let out_s = out.display().to_string();
    let url = file_url(replica);
    let mut args = vec!["restore", "-o", &out_s];
    args.extend_from_slice(extra);
    args.push(&url);
    litestream(&args)
}

/// Restore into `out` and panic with the command's output when it fails.
pub fn restore_ok(replica: &Path, out: &Path, extra: &[&str]) {
    let o = restore(replica, out, extra);
    assert!(
        o.status.success(),
        "restore {extra:?} into {} failed ({}):\nstdout: {}\nstderr: {}",
        out.display(),
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// What a database looks like to the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbState {
    /// `.sha3sum`.
    pub sha3: String,
    /// `PRAGMA page_count`.
    pub pages: u64,
}

/// `(min, max)` TXIDs of a replica's L0 files, sorted, as `litestream ltx -json URL`
/// lists them with `env` added to its environment; `Err` with its stderr when it fails.
pub fn list_l0_url(url: &str, env: &[(String, String)]) -> Result<Vec<(u64, u64)>, String> {
    let out = Command::new(litestream_bin())
        .args(["ltx", "-json", url])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run litestream ltx");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("ltx -json output: {e}"))?;
    let txid = |f: &serde_json::Value, k: &str| {
        f[k].as_str()
            .and_then(|t| u64::from_str_radix(t, 16).ok())
            .ok_or_else(|| format!("ltx -json: bad {k} in {f}"))
    };
    let mut ranges = v
        .as_array()
        .ok_or("ltx -json: not an array")?
        .iter()
        .map(|f| Ok((txid(f, "min_txid")?, txid(f, "max_txid")?)))
        .collect::<Result<Vec<_>, String>>()?;
    ranges.sort();
    Ok(ranges)
}

/// `.sha3sum` and page count of a database.
pub fn db_state(db: &Path) -> DbState {
    DbState {
        sha3: sha3sum(db),
        pages: page_count(db),
    }
}

/// Restore the latest state of `replica` into a fresh file under `scratch` named `name`,
/// then check it: `PRAGMA integrity_check` is `ok` and `.sha3sum` and page count equal
/// `want`. Removes the restored file afterwards.
pub fn assert_restore_equals(replica: &Path, scratch: &Path, name: &str, want: &DbState) {
    let out = scratch.join(format!("{name}.db"));
    restore_ok(replica, &out, &[]);
    let got_ic = integrity_check(&out);
    assert_eq!(got_ic, "ok", "{name}: integrity_check of the restore");
    let got = db_state(&out);
    assert_eq!(
        &got, want,
        "{name}: restored database differs from the source"
    );
    // Only the restore's own staging files count: the replica and the meta directory may
    // hold a running daemon's in-flight uploads or a killed daemon's leftovers.
    let left: Vec<PathBuf> = tmp_files(scratch)
        .into_iter()
        .filter(|p| p.components().count() == 1)
        .collect();
    assert!(left.is_empty(), "{name}: restore left .tmp files: {left:?}");
    for p in [out.clone(), PathBuf::from(format!("{}-wal", out.display()))] {
        let _ = fs::remove_file(p);
    }
    let _ = fs::remove_file(format!("{}-shm", out.display()));
}

// ---------------------------------------------------------------------------------------
// time and randomness

/// Wall-clock now as RFC 3339 UTC with milliseconds (`2026-01-02T03:04:05.678Z`).
pub fn rfc3339_now() -> String {
    rfc3339(SystemTime::now())
}

/// A time as RFC 3339 UTC with milliseconds.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).expect("after epoch");
    let secs = d.as_secs() as i64;
    let ms = d.subsec_millis();
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if month <= 2 { y + 1 } else { y };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// A small xorshift generator; the seed comes from `LITESTREAM_E2E_SEED` or the clock and
/// is printed so a failing run can be repeated.
pub struct Rng(u64);

impl Rng {
    /// Seeded from the environment or the clock (printed).
    pub fn from_env(test: &str) -> Rng {
        let seed = std::env::var("LITESTREAM_E2E_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("{test}: LITESTREAM_E2E_SEED={seed}");
        Rng(seed | 1)
    }

    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
}

/// Poll `f` every 20 ms until it returns true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
