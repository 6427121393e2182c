//! Replays every kept input through the checks the fuzz targets make, so what a run once found stays fixed:
//! fuzz/regressions/* (the atheris findings), fuzz/regressions-native/* (the byte-level native targets' crashes) and the
//! line seeds through `detectors`, `scrub`, `engine` and `timeparse`; the layout seeds and fuzz/regressions-layout/*
//! through `layout`.

use std::fs;
use std::path::{Path, PathBuf};

fn files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn replay(dirs: &[&str], check: fn(&[u8])) -> usize {
    let mut n = 0;
    for dir in dirs {
        for path in files(dir) {
            let data = fs::read(&path).expect("a readable input");
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{} fails its check", path.display());
            n += 1;
        }
    }
    n
}

const LINES: [&str; 4] = [
    "regressions",
    "regressions-native",
    "seeds/lines",
    "seeds/times",
];

#[test]
fn detectors() {
    assert!(replay(&LINES, pseudolog_fuzz::detectors::check) > 0);
}

#[test]
fn scrub() {
    assert!(replay(&LINES, pseudolog_fuzz::scrub::check) > 0);
}

#[test]
fn engine() {
    assert!(replay(&LINES, pseudolog_fuzz::engine::check) > 0);
}

#[test]
fn timeparse() {
    assert!(replay(&LINES, pseudolog_fuzz::timeparse::check) > 0);
}

#[test]
fn layout() {
    assert!(
        replay(
            &["seeds/layout", "regressions-layout"],
            pseudolog_fuzz::layout::check
        ) > 0
    );
}
