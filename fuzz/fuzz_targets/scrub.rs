//! cargo fuzz run scrub: see pseudolog_fuzz::scrub for what is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pseudolog_fuzz::scrub::check(data));
