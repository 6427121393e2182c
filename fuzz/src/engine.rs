//! Target `engine`: arbitrary bytes through the native `Engine` (free-text format, `--region DE`, a fixed key),
//! fed in chunks with `max_line` and read sizes derived from the input.
//!
//! Checked: no panic; no line fails inside the engine (`masked_on_error`, what the atheris target calls an
//! internal error); as many lines out as in; the output does not depend on how the input was cut into reads;
//! for input and output read without cuts (`max_line` over both lengths), a second pass changes nothing; two
//! jobs rendering ahead (a regular file's path, every block split across the threads) write what one job writes;
//! a stop before the end (`cut_short`) writes what the end writes, but for the line in progress, which it ends.

use std::cell::RefCell;

use _core::detect::phone_rules::Region;
use _core::engine::{Config, Engine};

use crate::common::{fnv, region, Rng};

/// 2026-11-21T00:00:00Z, the CI reference time.
const NOW: f64 = 1_795_219_200.0;

fn engine(max_line: usize, jobs: usize) -> Engine {
    let config = Config {
        max_line,
        cache_size: 1 << 12,
        field_cache: 1 << 10,
        jobs,
        // With two jobs every block of a few lines is split across the threads.
        parallel_min: if jobs > 1 { 64 } else { 1 << 18 },
        ..Config::text(Region::clone(region()), vec![7; 32])
    };
    Engine::new(config).expect("the fuzz configuration is valid")
}

thread_local! {
    /// One engine for every input, restarted per run with `start_input`, as the atheris target keeps its
    /// engines: building one compiles the detectors' triggers, which would dominate a run under the sanitizer.
    /// Its caches carry over, as they do across the inputs of a real run.
    static ENGINE: RefCell<Engine> = RefCell::new(engine(1 << 20, 1));
    static TWO_JOBS: RefCell<Engine> = RefCell::new(engine(1 << 20, 2));
}

/// How a run ends: at the input's end, or by a stop before it (a signal).
#[derive(Clone, Copy, PartialEq)]
enum Ending {
    End,
    Stop,
}

/// The output of `e` for `data` fed in reads of the given sizes (all at once when `sizes` is None), each
/// rendered ahead when `ahead`, and how many lines failed inside it.
fn feed_all(
    e: &mut Engine,
    data: &[u8],
    max_line: usize,
    mut sizes: Option<&mut Rng>,
    ahead: bool,
    ending: Ending,
) -> (Vec<u8>, u64) {
    e.start_input(max_line);
    let errors_before = e.counts().masked_on_error;
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let n = match sizes.as_deref_mut() {
            Some(rng) => rng.upto(2 * max_line.min(4096) + 16).min(data.len() - pos),
            None => data.len(),
        };
        e.frame(&data[pos..pos + n]);
        if ahead {
            e.render_ahead(NOW, &mut out);
        } else {
            e.render_framed(NOW, &mut out);
        }
        pos += n;
    }
    match ending {
        Ending::End => e.finish(NOW, &mut out),
        Ending::Stop => e.cut_short(NOW, &mut out),
    };
    (out, e.counts().masked_on_error - errors_before)
}

fn run(data: &[u8], max_line: usize, sizes: Option<&mut Rng>) -> (Vec<u8>, u64) {
    ENGINE.with_borrow_mut(|e| feed_all(e, data, max_line, sizes, false, Ending::End))
}

fn lines(data: &[u8]) -> usize {
    data.iter().filter(|&&c| c == b'\n').count()
}

pub fn check(data: &[u8]) {
    let h = fnv(data);
    let max_line = match h % 3 {
        0 => 1 + (h >> 8) as usize % 64,
        1 => 1 + (h >> 8) as usize % 1024,
        _ => 1 << 20,
    };
    let (whole, errors) = run(data, max_line, None);
    assert_eq!(errors, 0, "a line failed inside the engine (it was masked)");
    assert_eq!(lines(&whole), lines(data), "lines out != lines in");
    let (chunked, _) = run(data, max_line, Some(&mut Rng::new(h.rotate_left(29))));
    assert!(
        whole == chunked,
        "the output depends on how the input was read"
    );
    let (two_jobs, _) = TWO_JOBS.with_borrow_mut(|e| {
        feed_all(
            e,
            data,
            max_line,
            Some(&mut Rng::new(h.rotate_left(13))),
            true,
            Ending::End,
        )
    });
    assert!(
        whole == two_jobs,
        "two jobs rendering ahead wrote otherwise"
    );
    let (stopped, errors) =
        ENGINE.with_borrow_mut(|e| feed_all(e, data, max_line, None, false, Ending::Stop));
    assert_eq!(errors, 0, "a line failed inside the engine at a stop");
    if data.is_empty() || data.ends_with(b"\n") {
        assert!(
            stopped == whole,
            "a stop with no line in progress wrote otherwise"
        );
    } else {
        assert!(
            stopped.ends_with(b"\n"),
            "a stop left its line in progress unended"
        );
        assert_eq!(lines(&stopped), lines(data) + 1, "a stop wrote other lines");
    }
    // Idempotence where neither pass cuts a line (tokens are longer than most values: the output may be cut
    // where the input was not, and a cut masks the word it splits, by design).
    if max_line > data.len().max(whole.len()) {
        let (again, _) = run(&whole, max_line, None);
        assert!(
            again == whole,
            "not idempotent: {:?} -> {:?}",
            String::from_utf8_lossy(&whole),
            String::from_utf8_lossy(&again)
        );
    }
}
