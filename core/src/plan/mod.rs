//! Pure planners: they look at replica listings and decide which files to use.

pub mod compaction;
pub mod restore;
pub mod retention;
