//! `litestream-testkit`: deterministic simulation of the core against simulated files, clock and object store.
