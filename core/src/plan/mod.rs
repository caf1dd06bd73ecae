//! Pure planners: they look at replica listings and decide which files to use.

pub mod restore;
