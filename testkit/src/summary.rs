//! One-line summaries of commands and completions for the trace.

use litestream_core::io::{Command, Completion};

/// One-line summary of a command.
pub fn cmd_summary(cmd: &Command) -> String {
    use litestream_core::io::ReplicaCmd;
    let name = |p: &std::path::Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    match cmd {
        Command::Stat { path } => format!("stat {}", name(path)),
        Command::ReadAt { path, offset, len } | Command::ReadWal { path, offset, len } => {
            format!("read {}@{offset}+{len}", name(path))
        }
        Command::ReadPages { reads, .. } => format!("read-pages x{}", reads.len()),
        Command::ListDir { path } => format!("list {}", path.display()),
        Command::CreateDirAll { path } => format!("mkdir {}", path.display()),
        Command::WriteAt {
            path,
            offset,
            bytes,
            ..
        } => {
            format!("write {}@{offset}+{}", name(path), bytes.len())
        }
        Command::CommitFile { dest, .. } => format!("commit {}", name(dest)),
        Command::Remove { path, recursive } => format!("remove {} r={recursive}", path.display()),
        Command::Sqlite { cmd, .. } => format!("sqlite {cmd:?}"),
        Command::Replica { cmd, .. } => match cmd {
            ReplicaCmd::Put { key, .. } => {
                format!("put L{} {}-{}", key.level, key.min_txid, key.max_txid)
            }
            ReplicaCmd::List { level } => format!("list-store L{level}"),
            ReplicaCmd::Get { key, .. } => {
                format!("get L{} {}-{}", key.level, key.min_txid, key.max_txid)
            }
            ReplicaCmd::Delete { keys } => format!("delete x{}", keys.len()),
            ReplicaCmd::Compact { output, .. } => {
                format!(
                    "compact L{} {}-{}",
                    output.level, output.min_txid, output.max_txid
                )
            }
        },
    }
}

/// One-line summary of a completion.
pub fn completion_summary(c: &Completion) -> String {
    use Completion as C;
    match c {
        C::Stated(Ok(s)) => format!("{:?}", s.map(|s| s.size)),
        C::Read(Ok(b)) => format!("{}B", b.len()),
        C::PagesRead(Ok(p)) => format!("{} pages", p.len()),
        C::Listed(Ok(n)) => format!("{n:?}"),
        C::Done(Ok(())) | C::ObjectDone(Ok(())) => "ok".into(),
        C::Sqlite(Ok(d)) => format!("{d:?}"),
        C::ObjectsListed(Ok(l)) => format!("{} objects", l.len()),
        C::Stated(Err(e))
        | C::Read(Err(e))
        | C::PagesRead(Err(e))
        | C::Listed(Err(e))
        | C::Done(Err(e))
        | C::Sqlite(Err(e)) => {
            format!("ERR {:?} {}", e.kind, e.message)
        }
        C::ObjectDone(Err(e)) | C::ObjectsListed(Err(e)) => format!("ERR {e:?}"),
    }
}
