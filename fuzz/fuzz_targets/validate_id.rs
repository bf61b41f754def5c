//! Fuzz target: `cio_fuzz::checks::validate_id` on every input.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cio_fuzz::checks::validate_id(data));
