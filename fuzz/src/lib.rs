//! The checks the fuzz targets make, shared with the corpus test of the
//! workspace (`tests/tests/fuzz_corpus.rs`), which includes `checks.rs`.

#![forbid(unsafe_code)]

pub mod checks;
