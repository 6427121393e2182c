//! cargo fuzz run layout: see pseudolog_fuzz::layout for what is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pseudolog_fuzz::layout::check(data));
