//! cargo fuzz run engine: see pseudolog_fuzz::engine for what is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pseudolog_fuzz::engine::check(data));
