//! `replicate -exec CMD`: run the application as a child; when it exits, the daemon
//! shuts down (exit 0 if the child succeeded, else `exit status N`). Signals received by
//! the daemon are forwarded to the child first.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use litestream_core::replicator::Input;

use crate::driver::Event;

static CHILD_PID: AtomicI32 = AtomicI32::new(0);

/// A running child.
pub struct ExecChild {
    status: Arc<Mutex<Option<std::process::ExitStatus>>>,
    waiter: Option<std::thread::JoinHandle<()>>,
}

/// Split `cmd` with shell-word rules (quotes and backslashes; no variable expansion).
pub fn split_words(cmd: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => {
                            return Err(format!(
                                "unterminated single quote in -exec command: {cmd}"
                            ))
                        }
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => cur.push(c),
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => {
                                return Err(format!(
                                    "unterminated double quote in -exec command: {cmd}"
                                ))
                            }
                        },
                        Some(c) => cur.push(c),
                        None => {
                            return Err(format!(
                                "unterminated double quote in -exec command: {cmd}"
                            ))
                        }
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    cur.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Start the child; its exit triggers a daemon shutdown through `tx`.
pub fn spawn(cmd: &str, tx: smol::channel::Sender<Event>) -> Result<ExecChild, String> {
    let words = split_words(cmd)?;
    let (prog, args) = words.split_first().ok_or("-exec command is empty")?;
    let mut command = Command::new(prog);
    command.args(args);
    // SAFETY: the hook only makes async-signal-safe syscalls.
    unsafe {
        command.pre_exec(crate::limits::restore_in_child);
    }
    let mut child: Child = command
        .spawn()
        .map_err(|e| format!("cannot start -exec command {prog:?}: {e}"))?;
    CHILD_PID.store(i32::try_from(child.id()).unwrap_or(0), Ordering::SeqCst);
    let status = Arc::new(Mutex::new(None));
    let slot = status.clone();
    let waiter = std::thread::Builder::new()
        .name("exec-wait".into())
        .spawn(move || {
            let st = child.wait().ok();
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = st;
            CHILD_PID.store(0, Ordering::SeqCst);
            let _ = tx.send_blocking(Event::Input(Input::Shutdown));
        })
        .map_err(|e| format!("spawn exec waiter: {e}"))?;
    Ok(ExecChild {
        status,
        waiter: Some(waiter),
    })
}

/// Forward a signal to the child, if one runs.
pub fn forward_signal(sig: i32) {
    let pid = CHILD_PID.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: plain kill(2) on the child's pid.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

impl ExecChild {
    /// Wait for the child and turn its status into the daemon's result.
    pub fn finish(mut self) -> Result<(), String> {
        if let Some(w) = self.waiter.take() {
            let _ = w.join();
        }
        match *self.status.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(s) if s.success() => Ok(()),
            Some(s) => Err(match s.code() {
                Some(code) => format!("exit status {code}"),
                None => format!("child terminated: {s}"),
            }),
            None => Err("could not wait for the -exec child".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_words;

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(split_words("a b  c").unwrap(), ["a", "b", "c"]);
        assert_eq!(
            split_words(r#"sh -c 'echo "hi there"'"#).unwrap(),
            ["sh", "-c", "echo \"hi there\""]
        );
        assert_eq!(
            split_words(r#"x "a \"q\" b" c\ d"#).unwrap(),
            ["x", "a \"q\" b", "c d"]
        );
        assert_eq!(split_words("$HOME").unwrap(), ["$HOME"]);
        assert!(split_words("'open").is_err());
    }
}
