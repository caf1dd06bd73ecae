//! `litestream-core`: the pure, sans-IO heart of the litestream daemon.
//!
//! The core decides; shells do. It owns the SQLite WAL decoder ([`wal`]), the LTX codec
//! ([`ltx`]), the `litestream.yml` model ([`config`]), and (as they land) the replication
//! state machine, the planners and the control API. It performs no IO, reads no clock,
//! spawns nothing and reads no environment: `core/clippy.toml` enforces this.
//!
//! # The drive-loop contract
//!
//! ```text
//! let mut r = Replicator::new(config, now);
//! loop {
//!     r.handle(now, input);                 // exactly one input: a completion, a tick,
//!                                           // a WAL change, a control request
//!     while let Some(out) = r.poll() { .. } // drain every output; execute each
//!     let deadline = r.poll_timeout();      // wait for a completion, a request,
//! }                                         // a WAL change, or the deadline (then Tick)
//! ```
//!
//! # Errors
//!
//! Bad bytes give precise typed errors ([`ltx::LtxError`], [`wal::WalError`]) naming the
//! field and offset. A torn WAL tail is not an error: the decoder reports the last valid
//! commit and stops there. Panics are bugs; every `expect` says why it holds.

pub mod api;
pub mod config;
pub mod db;
pub mod emit;
pub mod io;
pub mod ltx;
pub mod plan;
pub mod replica;
pub mod replicator;
pub mod time;
pub mod wal;
