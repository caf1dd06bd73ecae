//! A fault-injecting TCP proxy for tests, between the S3 client and a server, on
//! 127.0.0.1. Each client connection carries one request (the proxy adds
//! `Connection: close`), and for each the proxy picks, with a seeded generator: answer
//! 500 or 503 itself, stall before forwarding, cut the answer after a random number of
//! bytes (a connection dropped mid-body), or pass it through.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Fault probabilities (each in 0..=1; their sum at most 1) and the stall length.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Answer `500 InternalError` or `503 SlowDown` without forwarding.
    pub error: f64,
    /// Forward, then cut the answer somewhere inside it.
    pub drop: f64,
    /// Wait `stall` before forwarding.
    pub stall: f64,
    /// How long a stall lasts.
    pub stall_for: Duration,
    /// Seed of the generator.
    pub seed: u64,
}

/// What happened so far.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests seen.
    pub requests: AtomicU64,
    /// Answered with 500/503.
    pub errors: AtomicU64,
    /// Answers cut short.
    pub drops: AtomicU64,
    /// Stalled requests.
    pub stalls: AtomicU64,
}

/// A running proxy; stops accepting on drop.
pub struct FaultProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// Counters.
    pub stats: Arc<Stats>,
    faults: Arc<Mutex<(Faults, u64)>>,
    stop: Arc<AtomicBool>,
}

/// xorshift64*: small, seeded, good enough for picking faults.
fn next_rand(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn unit(state: &mut u64) -> f64 {
    (next_rand(state) >> 11) as f64 / (1u64 << 53) as f64
}

impl FaultProxy {
    /// Proxy to `upstream` with `faults`.
    pub fn start(upstream: SocketAddr, faults: Faults) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let stats = Arc::new(Stats::default());
        let state = Arc::new(Mutex::new((faults, faults.seed | 1)));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, fa, sp) = (Arc::clone(&stats), Arc::clone(&state), Arc::clone(&stop));
        thread::spawn(move || {
            while !sp.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let (st, fa) = (Arc::clone(&st), Arc::clone(&fa));
                        thread::spawn(move || {
                            let _ = handle(client, upstream, &st, &fa);
                        });
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FaultProxy {
            addr,
            stats,
            faults: state,
            stop,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Change the fault settings (e.g. turn them off).
    pub fn set_faults(&self, f: Faults) {
        if let Ok(mut s) = self.faults.lock() {
            s.0 = f;
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Read the request head (through the blank line).
fn read_head(s: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut b)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.push(b[0]);
        if head.len() > 64 * 1024 {
            return Err(io::Error::other("request head too large"));
        }
    }
    Ok(head)
}

fn content_length(head: &str) -> u64 {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The head with any `Connection` header replaced by `Connection: close`.
fn close_head(head: &str) -> String {
    let mut out = String::new();
    for line in head.trim_end_matches("\r\n\r\n").split("\r\n") {
        if let Some((k, _)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("connection") {
                continue;
            }
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    out
}

fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    stats: &Stats,
    faults: &Mutex<(Faults, u64)>,
) -> io::Result<()> {
    client.set_nonblocking(false)?;
    let head = read_head(&mut client)?;
    let head = String::from_utf8_lossy(&head).into_owned();
    stats.requests.fetch_add(1, Ordering::SeqCst);
    let (f, roll, cut) = {
        let mut g = faults.lock().map_err(|_| io::Error::other("poisoned"))?;
        let roll = unit(&mut g.1);
        let cut = next_rand(&mut g.1);
        (g.0, roll, cut)
    };
    if roll < f.error {
        stats.errors.fetch_add(1, Ordering::SeqCst);
        // Consume the body so the client reads the answer rather than a reset.
        io::copy(
            &mut (&mut client).take(content_length(&head)),
            &mut io::sink(),
        )?;
        let (status, code) = if cut % 2 == 0 {
            ("500 Internal Server Error", "InternalError")
        } else {
            ("503 Slow Down", "SlowDown")
        };
        let body = format!(
            "<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>injected</Message></Error>"
        );
        write!(
            client,
            "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        return Ok(());
    }
    let drop_at = if roll < f.error + f.drop {
        stats.drops.fetch_add(1, Ordering::SeqCst);
        // Half the cuts fall early (head or first bytes), half anywhere in 2 MiB.
        Some(
            if cut & 2 == 0 {
                cut % 4096
            } else {
                cut % (2 << 20)
            } + 1,
        )
    } else {
        if roll < f.error + f.drop + f.stall {
            stats.stalls.fetch_add(1, Ordering::SeqCst);
            thread::sleep(f.stall_for);
        }
        None
    };
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(close_head(&head).as_bytes())?;
    // Request body: client → server on its own thread.
    let (mut c_in, mut s_out) = (client.try_clone()?, server.try_clone()?);
    let up = thread::spawn(move || {
        let _ = io::copy(&mut c_in, &mut s_out);
        let _ = s_out.shutdown(Shutdown::Write);
    });
    // Answer: server → client, cut at `drop_at` bytes (of a large answer: somewhere in
    // the body; of a small one: possibly in the head).
    let mut sent: u64 = 0;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = server.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let n = match drop_at {
            Some(limit) if sent + n as u64 >= limit => {
                let keep = usize::try_from(limit - sent).unwrap_or(0);
                client.write_all(&buf[..keep])?;
                let _ = client.shutdown(Shutdown::Both);
                let _ = server.shutdown(Shutdown::Both);
                let _ = up.join();
                return Ok(());
            }
            _ => n,
        };
        client.write_all(&buf[..n])?;
        sent += n as u64;
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
    let _ = up.join();
    Ok(())
}
