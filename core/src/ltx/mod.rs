//! The LTX file format (v3, magic `LTX1`): streaming encoder and decoder, checksums, file names and the compaction merge.
