//! The reference tool's error texts for each [`LtxError`], and Go-style IO error texts.

use std::path::Path;

use litestream_core::ltx::{LtxError, Stage};

/// What Go's decoder says for `err` (without the caller's "decode header:"-style prefix).
pub(crate) fn go_text(err: &LtxError) -> String {
    match err {
        LtxError::UnexpectedEof {
            what, available, ..
        } => {
            let eof = if *available == 0 {
                "EOF"
            } else {
                "unexpected EOF"
            };
            match *what {
                "data size" => format!("read data size: {eof}"),
                "compressed data" => format!("read compressed data: {eof}"),
                "page index" => format!("read page index: {eof}"),
                _ => eof.to_string(),
            }
        }
        LtxError::BadMagic { .. } => "unmarshal header: invalid LTX file".to_string(),
        LtxError::InvalidHeader { reason, .. } | LtxError::InvalidPageHeader { reason, .. } => {
            reason.clone()
        }
        LtxError::Decompress { legacy: false, .. } => {
            "decompress block: lz4: invalid source or destination buffer too short".to_string()
        }
        LtxError::FileChecksum { .. } => "file checksum mismatch".to_string(),
        other => other.to_string(),
    }
}

/// The prefixes Go's callers put before a decoder error, by where decoding stopped.
pub(crate) struct Prefixes {
    pub(crate) header: &'static str,
    /// Followed by the 0-based frame number, when `numbered`.
    pub(crate) page: &'static str,
    pub(crate) numbered: bool,
    pub(crate) close: &'static str,
}

/// `Decoder.Verify` (used by `verify` and `list`).
pub(crate) const VERIFY: Prefixes = Prefixes {
    header: "decode header: ",
    page: "decode page ",
    numbered: true,
    close: "close reader: ",
};

/// `ltx apply`.
pub(crate) const APPLY: Prefixes = Prefixes {
    header: "decode ltx header: ",
    page: "decode ltx page: ",
    numbered: false,
    close: "close ltx file: ",
};

/// The full message for a decoder error at `stage` after `pages` frames.
pub(crate) fn decode_failure(p: &Prefixes, stage: Stage, pages: u64, err: &LtxError) -> String {
    let text = go_text(err);
    match stage {
        Stage::Header => format!("{}{text}", p.header),
        Stage::Pages if p.numbered => format!("{}{pages}: {text}", p.page),
        Stage::Pages => format!("{}{text}", p.page),
        Stage::Trailer | Stage::Done => format!("{}{text}", p.close),
    }
}

/// Go's `*PathError` text: `open PATH: no such file or directory`.
pub(crate) fn path_error(op: &str, path: &Path, err: &std::io::Error) -> String {
    format!("{op} {}: {}", path.display(), io_text(err))
}

/// An IO error as Go words it: lower case, without Rust's "(os error N)".
pub(crate) fn io_text(err: &std::io::Error) -> String {
    if err.kind() == std::io::ErrorKind::UnexpectedEof {
        return "unexpected EOF".to_string();
    }
    let s = err.to_string();
    let s = match s.find(" (os error") {
        Some(i) => &s[..i],
        None => &s,
    };
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
