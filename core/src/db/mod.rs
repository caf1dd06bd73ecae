//! One database's replication: the sync pass (WAL → L0 LTX file), the decision where to
//! continue, the checkpoint policy and procedure, and the upload position of its replica.

pub mod checkpoint;
pub mod verify;
