//! The `goroutine` and `threadcreate` profiles of a Rust daemon: its threads, read from
//! `/proc/self/task`, with what each one is for (by name) and what it waits on (state,
//! kernel wait channel, current system call).

use std::fs;
use std::path::Path;

/// One thread of this process.
struct Thread {
    tid: u32,
    name: String,
    state: String,
    wchan: String,
    utime_ticks: u64,
    stime_ticks: u64,
    dir: std::path::PathBuf,
}

fn read(p: &Path) -> String {
    fs::read_to_string(p)
        .map(|s| s.trim_end().to_string())
        .unwrap_or_default()
}

fn threads() -> Vec<Thread> {
    let Ok(dir) = fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut out: Vec<Thread> = dir
        .flatten()
        .filter_map(|e| {
            let tid = e.file_name().to_str()?.parse().ok()?;
            let dir = e.path();
            let stat = read(&dir.join("stat"));
            // Fields after the `(comm)`, which may itself hold spaces and parens.
            let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let num = |i: usize| fields.get(i).and_then(|f| f.parse().ok()).unwrap_or(0);
            Some(Thread {
                tid,
                name: read(&dir.join("comm")),
                state: fields.first().map_or("?", |s| s).to_string(),
                wchan: read(&dir.join("wchan")),
                // stat fields 14 and 15 (utime, stime) are 11 and 12 after the state.
                utime_ticks: num(11),
                stime_ticks: num(12),
                dir,
            })
        })
        .collect();
    out.sort_by_key(|t| t.tid);
    out
}

/// What a thread is for, from its name.
fn role(t: &Thread) -> &'static str {
    let pid = std::process::id();
    match t.name.as_str() {
        _ if t.tid == pid => "main thread: the drive loop (owns the replicator)",
        "signals" => "waits for SIGINT/SIGTERM",
        "async-io" => "async-io reactor: polls sockets, pipes and timers",
        n if n.starts_with("smol") || n.starts_with("async-") => {
            "async executor: control socket connections and command tasks"
        }
        n if n.starts_with("blocking") => {
            "blocking pool: file, SQLite and replica IO (smol::unblock)"
        }
        n if n.contains("watch") || n.contains("inotify") => "WAL file watcher",
        _ => "other",
    }
}

fn state_name(s: &str) -> &'static str {
    match s {
        "R" => "running",
        "S" => "sleeping",
        "D" => "disk sleep",
        "T" | "t" => "stopped",
        "Z" => "zombie",
        "I" => "idle",
        _ => "unknown",
    }
}

fn wait_desc(t: &Thread) -> String {
    match t.wchan.as_str() {
        "" | "0" => state_name(&t.state).to_string(),
        w => format!("{}, {w}", state_name(&t.state)),
    }
}

/// The `goroutine` profile: one line per thread, or with `long` a block per thread.
pub fn dump(long: bool) -> String {
    let ts = threads();
    let hz = ticks_per_second();
    let mut s = format!(
        "thread profile: total {} (litestream runs async tasks on these threads; Go goroutine stacks have no counterpart)\n\n",
        ts.len()
    );
    for t in &ts {
        if !long {
            s.push_str(&format!(
                "thread {} {:?} [{}]: {}\n",
                t.tid,
                t.name,
                wait_desc(t),
                role(t)
            ));
            continue;
        }
        s.push_str(&format!(
            "thread {} [{}]:\n  name: {}\n  role: {}\n",
            t.tid,
            wait_desc(t),
            t.name,
            role(t)
        ));
        s.push_str(&format!(
            "  cpu: user {:.2}s, system {:.2}s\n",
            t.utime_ticks as f64 / hz,
            t.stime_ticks as f64 / hz
        ));
        let status = read(&t.dir.join("status"));
        for line in status.lines() {
            if let Some(v) = line.strip_prefix("voluntary_ctxt_switches:") {
                s.push_str(&format!("  context switches: voluntary {}", v.trim()));
            }
            if let Some(v) = line.strip_prefix("nonvoluntary_ctxt_switches:") {
                s.push_str(&format!(", involuntary {}\n", v.trim()));
            }
        }
        let syscall = read(&t.dir.join("syscall"));
        if !syscall.is_empty() {
            let nr = syscall.split_whitespace().next().unwrap_or("");
            s.push_str(&format!("  syscall: {} ({})\n", nr, syscall_name(nr)));
        }
        let stack = read(&t.dir.join("stack"));
        if !stack.is_empty() {
            s.push_str("  kernel stack:\n");
            for l in stack.lines() {
                s.push_str(&format!("    {l}\n"));
            }
        }
        s.push('\n');
    }
    s
}

/// The `threadcreate` profile: how many threads exist and which.
pub fn threadcreate() -> String {
    let ts = threads();
    let mut s = format!("threadcreate profile: total {}\n", ts.len());
    for t in &ts {
        s.push_str(&format!("# {} {}\n", t.tid, t.name));
    }
    s
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if v > 0 {
        v as f64
    } else {
        100.0
    }
}

/// Names of the system calls a daemon thread usually waits in (x86-64 and aarch64).
fn syscall_name(nr: &str) -> &'static str {
    let Ok(n) = nr.parse::<i64>() else {
        return if nr == "running" { "on CPU" } else { "?" };
    };
    let table: &[(i64, &str)] = &[
        (libc::SYS_read, "read"),
        (libc::SYS_write, "write"),
        (libc::SYS_futex, "futex: waiting on a lock or condition"),
        (
            libc::SYS_epoll_pwait,
            "epoll_pwait: waiting for IO readiness",
        ),
        (libc::SYS_ppoll, "ppoll"),
        (libc::SYS_nanosleep, "nanosleep"),
        (libc::SYS_clock_nanosleep, "clock_nanosleep"),
        (libc::SYS_pread64, "pread64"),
        (libc::SYS_pwrite64, "pwrite64"),
        (libc::SYS_fsync, "fsync"),
        (libc::SYS_rt_sigtimedwait, "rt_sigtimedwait"),
        (libc::SYS_accept4, "accept4"),
    ];
    #[cfg(target_arch = "x86_64")]
    let extra: &[(i64, &str)] = &[
        (libc::SYS_epoll_wait, "epoll_wait: waiting for IO readiness"),
        (libc::SYS_poll, "poll"),
    ];
    #[cfg(not(target_arch = "x86_64"))]
    let extra: &[(i64, &str)] = &[];
    table
        .iter()
        .chain(extra)
        .find(|(k, _)| *k == n)
        .map_or("other", |(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_lists_this_thread() {
        let short = dump(false);
        assert!(short.starts_with("thread profile: total "), "{short}");
        let long = dump(true);
        assert!(long.contains("  role: "), "{long}");
        assert!(threadcreate().starts_with("threadcreate profile: total "));
    }
}
