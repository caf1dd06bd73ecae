//! `litestream-testkit`: deterministic simulation of the core against simulated files,
//! clock and object store.
//!
//! A [`Sim`] owns the real core `Replicator`, a [`SimFs`] (writes pending until fsync, a
//! crash drops or tears them), a [`SimWriter`] (a model SQLite database in WAL mode that
//! writes real WAL frames and follows SQLite's read-mark, checkpoint and restart rules), a
//! [`SimStore`] (the replica, with failures, outages and ambiguous PUTs), a [`SimClock`] and
//! one seeded [`Rng`]. Each step takes the earliest event, feeds one input to the core,
//! executes every command it emits by scheduling the completion after a random latency,
//! checks the invariants ([`check`]) and writes one trace line.
//!
//! [`run_seed`] runs one seed: a random workload and fault schedule, then a quiet phase
//! in which the replica must catch up and the newest restore must equal the database.
//! `SEED=n` reruns one seed in the `seeds` test; the `vopr` binary runs many.

pub mod check;
pub mod clock;
mod drive;
pub mod events;
pub mod exec;
pub mod fs;
pub mod image;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod store;
pub mod summary;
pub mod trace;
pub mod workload;
pub mod writer;

pub use clock::SimClock;
pub use fs::SimFs;
pub use rng::Rng;
pub use sim::{Failure, Sim, SimConfig};
pub use store::SimStore;
pub use workload::{random_config, run_seed, RunReport};
pub use writer::SimWriter;
