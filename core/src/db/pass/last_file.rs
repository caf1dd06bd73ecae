//! Establishing the position from disk: the newest local L0 file is read through the
//! LTX decoder (checksums verified) for its header and the checksums of its pages, which
//! the pass needs to recognise the WAL frame it ended at (REPLICATION.md §5.1–5.2).

use super::plan::last_from_header;
use super::{PassStep, Stage, SyncPass, LTX_READ_CHUNK};
use crate::io::{Command, IoFail};
use crate::ltx::{self, Header as LtxHeader};

/// Progress through the newest local L0 file.
#[derive(Debug)]
pub(super) struct ReadLast {
    decoder: Box<ltx::Decoder>,
    name: String,
    offset: u64,
    checksums: Vec<(u32, u64)>,
    header: Option<LtxHeader>,
}

impl SyncPass {
    /// Start reading the newest of the L0 files `names` (none: no position yet).
    pub(super) fn read_newest(&mut self, names: &[String]) -> Result<PassStep, String> {
        let newest = names
            .iter()
            .filter_map(|n| ltx::parse_filename(n).map(|(_, max)| (max, n)))
            .max_by_key(|(max, _)| *max);
        let Some((_, name)) = newest else {
            self.last = None;
            return self.after_position();
        };
        let path = self.paths.ltx0.join(name);
        self.stage = Stage::ReadLast(ReadLast {
            decoder: Box::default(),
            name: name.clone(),
            offset: 0,
            checksums: Vec::new(),
            header: None,
        });
        Ok(PassStep::Issue(Command::ReadAt {
            path: path.into(),
            offset: 0,
            len: LTX_READ_CHUNK,
        }))
    }

    /// The next chunk of the newest L0 file arrived.
    pub(super) fn read_last(
        &mut self,
        mut st: ReadLast,
        r: Result<Vec<u8>, IoFail>,
    ) -> Result<PassStep, String> {
        let path = self.paths.ltx0.join(&st.name);
        let bytes = r.map_err(|e| format!("read {}: {}", path.display(), e.message))?;
        let eof = bytes.len() < LTX_READ_CHUNK as usize;
        st.offset += bytes.len() as u64;
        st.decoder.push(&bytes);
        if eof {
            st.decoder.end_of_input();
        }
        loop {
            let ev = st.decoder.next().map_err(|e| {
                format!("ltx file corrupted: {}: {e}; run `litestream reset` on the database to start a new snapshot", path.display())
            })?;
            match ev {
                None => break,
                Some(ltx::DecodeEvent::Header(h)) => st.header = Some(h),
                Some(ltx::DecodeEvent::Page { pgno, data }) => {
                    st.checksums.push((pgno, ltx::page_checksum(pgno, data)))
                }
                Some(ltx::DecodeEvent::Done(_)) => {
                    let h = st
                        .header
                        .ok_or_else(|| format!("ltx file {} has no header", path.display()))?;
                    self.last = Some(last_from_header(&h, st.checksums));
                    return self.after_position();
                }
            }
        }
        if eof {
            return Err(format!(
                "ltx file corrupted: {}: unexpected end of file",
                path.display()
            ));
        }
        let cmd = Command::ReadAt {
            path: path.into(),
            offset: st.offset,
            len: LTX_READ_CHUNK,
        };
        self.stage = Stage::ReadLast(st);
        Ok(PassStep::Issue(cmd))
    }
}
