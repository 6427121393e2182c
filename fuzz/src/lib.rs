//! The checks behind the cargo-fuzz targets on pseudolog's native core, one module per target. A target is
//! `fuzz_target!(|data| pseudolog_fuzz::<module>::check(data))`; the replay test (tests/regressions.rs) runs
//! every kept input through the same functions, so a finding stays fixed. An engine target will be one more
//! module here and one more three-line file in fuzz_targets/.
//!
//! Inputs are plain bytes wherever the code under test reads plain bytes (a log line, a chunk): knobs such as
//! `max_line` are derived from the bytes themselves, so a seed or a crash file is just a log line, and crash
//! files of the byte-level targets can sit in fuzz/regressions/ beside the atheris ones.

pub mod common;
pub mod detectors;
pub mod engine;
pub mod layout;
pub mod scrub;
pub mod timeparse;
