//! Command-line plumbing shared by the subcommands.

// The subcommands in main.rs adopt these as they land; until then parts are unused.
#![allow(dead_code)]

pub mod flags;
