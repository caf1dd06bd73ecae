//! Executing the core's commands literally against the simulated filesystem, database
//! and store, with seeded local IO faults.

use litestream_core::io::{Command, Completion, IoFail, IoFailKind, SqliteCmd, SqliteDone};

use crate::sim::Sim;

/// Local IO fault rates, in per mille of commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FsFaults {
    /// Commands failing with EIO.
    pub fail: u32,
    /// Writes failing with ENOSPC.
    pub disk_full: u32,
}

fn eio(what: &str) -> IoFail {
    IoFail {
        kind: IoFailKind::Other,
        message: format!("{what}: input/output error (simulated)"),
    }
}

impl Sim {
    /// Execute `cmd` now and return its completion.
    pub(crate) fn execute(&mut self, cmd: &Command) -> Completion {
        let (now, wall) = (self.clock.mono(), self.clock.wall());
        let fault = self.rng.chance(self.fs_faults.fail);
        match cmd {
            Command::Stat { path } => Completion::Stated(if fault {
                Err(eio("stat"))
            } else {
                Ok(self.fs.stat(path))
            }),
            Command::ReadAt { path, offset, len } | Command::ReadWal { path, offset, len } => {
                Completion::Read(if fault {
                    Err(eio("read"))
                } else {
                    Ok(self.fs.read_at(path, *offset, *len))
                })
            }
            Command::ReadPages { reads, len } => Completion::PagesRead(if fault {
                Err(eio("read pages"))
            } else {
                self.fs.read_pages(reads, *len)
            }),
            Command::ListDir { path } => Completion::Listed(if fault {
                Err(eio("list"))
            } else {
                Ok(self.fs.list_dir(path))
            }),
            Command::CreateDirAll { path } => Completion::Done(if fault {
                Err(eio("mkdir"))
            } else {
                self.fs.create_dir_all(path);
                Ok(())
            }),
            Command::WriteAt {
                path,
                offset,
                bytes,
                truncate,
            } => {
                if fault {
                    return Completion::Done(Err(eio("write")));
                }
                if self.rng.chance(self.fs_faults.disk_full) {
                    return Completion::Done(Err(IoFail {
                        kind: IoFailKind::DiskFull,
                        message: format!(
                            "write {}: no space left on device (simulated)",
                            path.display()
                        ),
                    }));
                }
                Completion::Done(self.fs.write(path, *offset, bytes, *truncate, wall))
            }
            Command::CommitFile { tmp, dest } => {
                if fault {
                    return Completion::Done(Err(eio("fsync")));
                }
                let r = self.fs.commit_file(tmp, dest);
                if r.is_ok() {
                    self.committed_files.push(dest.clone());
                }
                Completion::Done(r)
            }
            Command::Remove { path, recursive } => Completion::Done(if fault {
                Err(eio("remove"))
            } else {
                self.fs.remove(path, *recursive)
            }),
            Command::Sqlite { cmd, .. } => Completion::Sqlite(self.execute_sqlite(cmd)),
            Command::Replica { cmd, .. } => {
                let c = self
                    .store
                    .execute(cmd, &mut self.fs, now, wall, &mut self.rng);
                if let (
                    litestream_core::io::ReplicaCmd::Get { dest, .. },
                    Completion::ObjectDone(Ok(())),
                ) = (cmd, &c)
                {
                    self.committed_files.push(dest.clone());
                }
                c
            }
        }
    }

    fn execute_sqlite(&mut self, cmd: &SqliteCmd) -> Result<SqliteDone, IoFail> {
        let wall = self.clock.wall();
        let before = self.writer.head().seq;
        let r = match cmd {
            SqliteCmd::Open { path, .. } => {
                if **path != *self.writer.db_path {
                    return Err(IoFail {
                        kind: IoFailKind::NotFound,
                        message: format!("open {}: no such database", path.display()),
                    });
                }
                self.writer
                    .daemon_open(&mut self.fs, &mut self.rng, wall)
                    .map(|page_size| SqliteDone::Opened { page_size })
            }
            SqliteCmd::BeginWriteBarrier => self
                .writer
                .daemon_begin_barrier()
                .map(|()| SqliteDone::Done),
            SqliteCmd::EndWriteBarrier => self
                .writer
                .daemon_end_barrier(&mut self.fs, &mut self.rng, wall)
                .map(|()| SqliteDone::Done),
            SqliteCmd::Checkpoint(mode) => self
                .writer
                .daemon_checkpoint(&mut self.fs, &mut self.rng, *mode, wall)
                .map(|busy| SqliteDone::Checkpointed { busy }),
            SqliteCmd::CheckpointBelowRead => self
                .writer
                .daemon_checkpoint_below_read(&mut self.fs, &mut self.rng, wall)
                .map(|busy| SqliteDone::Checkpointed { busy }),
            SqliteCmd::BeginNextRead => {
                self.writer.daemon_begin_next_read();
                Ok(SqliteDone::Done)
            }
            SqliteCmd::EndPrevRead => {
                self.writer.daemon_end_prev_read();
                Ok(SqliteDone::Done)
            }
            SqliteCmd::Close => {
                self.writer.daemon_gone();
                Ok(SqliteDone::Done)
            }
        };
        if self.writer.head().seq != before {
            self.notify_wal();
        }
        r
    }
}
