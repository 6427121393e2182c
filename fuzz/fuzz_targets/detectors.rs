//! cargo fuzz run detectors: see pseudolog_fuzz::detectors for what is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pseudolog_fuzz::detectors::check(data));
