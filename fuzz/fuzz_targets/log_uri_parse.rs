//! Fuzz target: `cio_fuzz::checks::log_uri_parse` on every input.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cio_fuzz::checks::log_uri_parse(data));
