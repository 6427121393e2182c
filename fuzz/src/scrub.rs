//! Target `scrub`: arbitrary bytes through `LineFramer` (fuzzed `max_line` and read sizes, both derived from
//! the input) and the scrubber with every real detector and a deterministic tokeniser.
//!
//! Checked: no panic; the framer gives back exactly the input's bytes, in order, with every line whole or cut
//! into segments that end the line only at its end; the output has as many lines as the input; a line framed
//! whole comes out as `scrub` of that line alone, and nothing survives it: a second pass finds no identifier
//! in it and changes nothing (the property tests' "nothing survives" and "idempotent", and the atheris target's
//! invariant). Segmented lines are held to the line count, and to this: a raw address or MAC (7 bytes or more)
//! that the whole-line read removed everywhere in the line is nowhere in the line's segments either (the hostile
//! tests' "identifiers at the cuts still caught"), safe cuts or not, wherever `max_line` holds a whole identifier. Nothing more is asked of them: a cut may mask text (`MASKED`)
//! or leave a neighbour's fragment that a whole-line read would have joined, by design.

use _core::detect::Kind;
use _core::framing::{LineFramer, Piece};
use _core::scrub::{Counts, Reading, Scrubber};
use memchr::memmem;

use crate::common::{fnv, scrubber, token, Rng, READINGS};

fn tokeniser() -> impl FnMut(_core::detect::Kind, &str) -> String {
    token
}

/// `text` scrubbed whole, checked to be a fixed point of the scrubber.
pub fn check_line(s: &mut Scrubber, line: &[u8], reading: Reading) -> Vec<u8> {
    let mut counts = Counts::default();
    let out = s.scrub(line, reading, &mut tokeniser(), &mut counts);
    assert_eq!(
        bytecount(&out),
        bytecount(line),
        "scrub changed the number of line breaks"
    );
    let (left, _) = s.find(&out, reading);
    assert!(
        left.is_empty(),
        "an identifier survived the scrub: {:?} in {:?}",
        left,
        String::from_utf8_lossy(&out)
    );
    let mut again = Counts::default();
    let twice = s.scrub(&out, reading, &mut tokeniser(), &mut again);
    assert!(
        twice == out && again.total() == 0,
        "scrub is not idempotent"
    );
    out
}

fn bytecount(data: &[u8]) -> usize {
    memchr_count(b'\n', data)
}

fn memchr_count(c: u8, data: &[u8]) -> usize {
    data.iter().filter(|&&b| b == c).count()
}

/// The longest identifier's written form (an IPv6 address with an embedded IPv4 and a zone, a URN), in bytes.
const MIN_WHOLE_IDENTIFIER: usize = 64;

/// The knobs an input brings: `max_line` (mostly small, so lines get cut) and the read sizes.
fn knobs(data: &[u8]) -> (usize, Rng) {
    let h = fnv(data);
    let max_line = match h % 4 {
        0 => 1 + (h >> 8) as usize % 8,
        1 => 1 + (h >> 8) as usize % 64,
        2 => 1 + (h >> 8) as usize % 512,
        _ => 1 << 20,
    };
    (max_line, Rng::new(h.rotate_left(17)))
}

pub fn check(data: &[u8]) {
    let mut s = scrubber();
    // Whole lines are read as plain text, a user agent or a text with unbracketed ports, by the input.
    let reading = READINGS[(fnv(data) >> 40) as usize % READINGS.len()];
    // Every line whole, as the engine scans a line that fits --max-line; per line, the raw addresses and MACs
    // the whole read removed everywhere, which its segments must remove too.
    let mut gone: Vec<Vec<Vec<u8>>> = Vec::new();
    for line in data.split_inclusive(|&c| c == b'\n') {
        let whole = check_line(&mut s, line, reading);
        let (found, _) = s.find(line, reading);
        let raw = found
            .iter()
            .filter(|f| matches!(f.kind(), Kind::Ip | Kind::Mac) && f.end - f.start >= 7)
            .map(|f| line[f.start..f.end].to_vec())
            .filter(|raw| memmem::find(&whole, raw).is_none())
            .collect();
        gone.push(raw);
    }

    let (max_line, mut rng) = knobs(data);
    let mut framer = LineFramer::new(max_line);
    let mut pieces = Vec::new();
    let mut seen = Vec::with_capacity(data.len()); // the bytes the framer handed back
    let mut out = Vec::with_capacity(data.len());
    let mut in_line = false; // a segmented line is open
    let mut line_starts = vec![0]; // where each line's output starts in `out`
    let mut pos = 0;
    loop {
        pieces.clear();
        let done = pos >= data.len();
        if done {
            framer.finish(&mut pieces);
        } else {
            let n = rng.upto(2 * max_line.min(4096) + 16).min(data.len() - pos);
            framer.feed(&data[pos..pos + n], &mut pieces);
            pos += n;
        }
        let buf = framer.buffer();
        for piece in &pieces {
            match piece {
                Piece::Lines(range) => {
                    assert!(!in_line, "whole lines inside a segmented line");
                    let lines = &buf[range.clone()];
                    seen.extend_from_slice(lines);
                    for line in lines.split_inclusive(|&c| c == b'\n') {
                        out.extend_from_slice(&check_line(&mut s, line, reading));
                        line_starts.push(out.len());
                    }
                }
                Piece::Segment {
                    range,
                    context,
                    last,
                    mask_head,
                    mask_tail,
                } => {
                    assert!(
                        context.end == range.start && range.start <= range.end,
                        "segment context not just before the segment"
                    );
                    let segment = &buf[range.clone()];
                    let nl = memchr_count(b'\n', segment);
                    assert!(
                        nl == 0 || (*last && nl == 1 && segment.ends_with(b"\n")),
                        "a line break inside a segment"
                    );
                    seen.extend_from_slice(segment);
                    let mut counts = Counts::default();
                    s.scrub_segment_in_context(
                        &buf[context.start..range.end],
                        context.len(),
                        *mask_head,
                        *mask_tail,
                        &mut tokeniser(),
                        &mut counts,
                        &mut out,
                    );
                    in_line = !last;
                    if *last {
                        line_starts.push(out.len());
                    }
                }
            }
        }
        if done {
            break;
        }
    }
    assert!(!in_line, "a segmented line was never ended");
    assert!(
        seen == data,
        "the framer did not hand back the input as it came"
    );
    assert_eq!(
        bytecount(&out),
        bytecount(data),
        "the output has another number of lines (max_line {max_line})"
    );
    assert_eq!(line_starts.len(), gone.len() + 1, "lines out != lines in");
    // Below the length of the longest identifier a segment may hold nothing but a few hex letters of an address
    // (`c`, `ea` of `::cead:bf` at max_line 1..8), which no rule can tell from text: the product's --max-line is
    // at least 4096, so those tiny limits are held to the line count and the checks above only.
    if max_line < MIN_WHOLE_IDENTIFIER {
        return;
    }
    for (i, raw) in gone.iter().enumerate() {
        // After an unsafe cut the halves of the split word are masked whole (`2Ro|mhr/120.0.0.0` once read
        // `mhr/120.0.0.0` as a product version): such lines are held to the same check.
        let line_out = &out[line_starts[i]..line_starts[i + 1]];
        for r in raw {
            assert!(
                memmem::find(line_out, r).is_none(),
                "a segment cut let an address or MAC through (max_line {max_line}): {:?}",
                String::from_utf8_lossy(r)
            );
        }
    }
}
