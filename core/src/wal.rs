//! SQLite WAL decoding: header, frames, the checksum chain, commit boundaries and WAL restarts. Input arrives as byte chunks; no file access.
