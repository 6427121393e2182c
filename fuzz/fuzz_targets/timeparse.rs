//! cargo fuzz run timeparse: see pseudolog_fuzz::timeparse for what is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pseudolog_fuzz::timeparse::check(data));
