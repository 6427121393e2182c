//! Byte chunks -> lines, keeping a partial last line until its newline arrives (port of
//! tests/reference/framing.py).
//!
//! A line longer than `max_line` is not held whole: it is cut into segments, each scanned as free text. A cut
//! falls where no identifier can straddle it (a blank between non-digits, a quote, a comma, ...), found within
//! the last 4 KiB before the limit; when there is none (kilobytes of digits and hex), the word on each side of
//! the cut is masked (scrub::split_border_runs), so nothing raw escapes either way. Bytes are never changed: CRLF and invalid
//! UTF-8 go through as they came. The one byte ever added is the line end `cut_short` gives a line a stop ended.
//!
//! Zero copy out: the framer appends each chunk to its buffer and returns pieces as ranges into it
//! ([`LineFramer::buffer`]), valid until the next `feed`/`finish`.
//!
//! ## Context across segment borders (issue 22, shape 8)
//! An identifier must not depend on where a segment is cut. A safe cut never splits an identifier, but it can
//! fall between a context word and its value (`caller 3012345`: the keyed rule needs `caller`). So every
//! segment after a line's first carries `context`: up to [`CONTEXT_CARRY`] bytes of the same line just before
//! it, kept in the buffer for that purpose. The scrubber reads `buffer[context.start..range.end]` and keeps only
//! the findings that end inside `range` (`scrub::Scrubber::scrub_segment_in_context`); findings wholly inside
//! the context were settled with the previous segment. After an unsafe cut the context is not read: the run at
//! the cut is masked on both sides instead.

use std::convert::Infallible;
use std::ops::Range;

use memchr::{memchr, memchr_iter, memrchr};

/// How far back from the limit a safe cut is searched for.
pub const SAFE_SEARCH: usize = 4096;
/// How much of a line before a segment is kept as read-only context for the next segment's scan.
pub const CONTEXT_CARRY: usize = 256;

fn after_key(c: u8) -> bool {
    matches!(c, b'=' | b':' | b'"' | b'\'')
}

fn hard_delimiter(c: u8) -> bool {
    matches!(
        c,
        b'"' | b'\'' | b'<' | b'>' | b',' | b';' | b'&' | b'|' | b'{' | b'}' | b'\\' | b'\t' | 0
    )
}

/// What one feed delivers, as ranges into [`LineFramer::buffer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// One or more complete lines, each with its "\n" (split them with memchr); or, from `finish`, the
    /// unterminated last line.
    Lines(Range<usize>),
    /// One segment of an over-long line.
    Segment {
        range: Range<usize>,
        /// The bytes of the same line just before `range` (empty for the line's first segment).
        context: Range<usize>,
        /// This segment ends the line (and holds its terminator, if any).
        last: bool,
        /// The leading word continues an unsafe cut: mask it.
        mask_head: bool,
        /// The trailing word was cut unsafely: mask it.
        mask_tail: bool,
    },
}

/// Index just past a byte where `buf[pos..pos + limit]` can be cut without splitting an identifier. `next` is
/// the byte after the window: a blank at the window's end is judged by it (Python read a blank there, which let
/// a cut fall inside `+49 30 1234567`).
fn safe_cut(window: &[u8], next: u8) -> Option<usize> {
    let limit = window.len();
    let low = limit.saturating_sub(SAFE_SEARCH);
    for i in (low + 1..limit).rev() {
        let c = window[i];
        let before = window[i - 1];
        if c == b' ' {
            let after = window.get(i + 1).copied().unwrap_or(next);
            let joins_digits = before.is_ascii_digit() && (after.is_ascii_digit() || after == b'(');
            if !joins_digits && !after_key(before) {
                return Some(i + 1);
            }
        } else if hard_delimiter(c) && !after_key(before) {
            return Some(i + 1);
        }
    }
    None
}

pub struct LineFramer {
    max_line: usize,
    buf: Vec<u8>,
    /// Where the bytes not yet emitted start in `buf`.
    pending: usize,
    /// Where the current over-long line's bytes that are still held start (for context).
    line_start: usize,
    /// Segments of the current line have been emitted already.
    in_long_line: bool,
    /// The last cut was not safe: mask the run the next segment starts with.
    mask_next_head: bool,
}

impl LineFramer {
    pub fn new(max_line: usize) -> LineFramer {
        assert!(max_line > 0, "max_line must be positive");
        LineFramer {
            max_line,
            buf: Vec::new(),
            pending: 0,
            line_start: 0,
            in_long_line: false,
            mask_next_head: false,
        }
    }

    /// The bytes the last feed's pieces index.
    pub fn buffer(&self) -> &[u8] {
        &self.buf
    }

    /// Bytes held for the next read (a partial line).
    pub fn pending(&self) -> usize {
        self.buf.len() - self.pending
    }

    /// (segments of the current line were emitted, the next segment's head must be masked): what a
    /// checkpoint keeps so a restart inside an over-long line carries on exactly as before.
    pub fn mid_line(&self) -> (bool, bool) {
        (self.in_long_line, self.mask_next_head)
    }

    pub fn resume_mid_line(&mut self, in_long_line: bool, mask_next_head: bool) {
        self.in_long_line = in_long_line;
        self.mask_next_head = mask_next_head;
    }

    /// Where the bytes the next feed still needs start: those not emitted, and the context the next segment
    /// of an over-long line may need.
    fn keep_from(&self) -> usize {
        if self.in_long_line {
            self.line_start
                .max(self.pending.saturating_sub(CONTEXT_CARRY))
        } else {
            self.pending
        }
    }

    /// Drops what earlier pieces covered, keeping what the next feed needs.
    fn compact(&mut self) {
        let keep_from = self.keep_from();
        self.buf.drain(..keep_from);
        self.dropped_front(keep_from);
    }

    /// The buffer the last feed's pieces index, handed over (to be read on another thread); the framer goes on
    /// in `spare`, holding only what the next feed needs (a partial line): the pieces' bytes are not copied.
    pub fn hand_over(&mut self, mut spare: Vec<u8>) -> Vec<u8> {
        let keep_from = self.keep_from();
        spare.clear();
        spare.extend_from_slice(&self.buf[keep_from..]);
        self.dropped_front(keep_from);
        std::mem::replace(&mut self.buf, spare)
    }

    /// The positions kept, after the buffer lost its first `n` bytes.
    fn dropped_front(&mut self, n: usize) {
        self.pending -= n;
        self.line_start = self.line_start.saturating_sub(n);
    }

    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<Piece>) {
        let copied: Result<(), Infallible> = self.feed_with(
            chunk.len(),
            |slot| {
                slot.copy_from_slice(chunk);
                Ok(())
            },
            out,
        );
        let Ok(()) = copied;
    }

    /// `feed` of `len` bytes that `fill` writes into the buffer's tail: a caller's buffer is copied straight
    /// in, not first into a chunk of its own. When `fill` fails, nothing was fed.
    pub fn feed_with<E>(
        &mut self,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
        out: &mut Vec<Piece>,
    ) -> Result<(), E> {
        self.compact();
        let held = self.buf.len();
        self.buf.resize(held + len, 0);
        if let Err(e) = fill(&mut self.buf[held..]) {
            self.buf.truncate(held);
            return Err(e);
        }
        let mut start = self.pending;
        // The bytes held from earlier feeds end no line (each feed emits up to its last line end): only the new
        // ones are searched. Searching from `pending` read a long line's held bytes again on every feed, which a
        // pipe's small chunks made quadratic in the line's length.
        debug_assert!(memchr(b'\n', &self.buf[start..held]).is_none());
        if self.in_long_line {
            if let Some(nl) = memchr(b'\n', &self.buf[held.max(start)..]) {
                let end = held.max(start) + nl + 1;
                self.split(start, end, true, out);
                start = end;
            }
        }
        let from = held.max(start);
        if let Some(last) = memrchr(b'\n', &self.buf[from..]) {
            let end = from + last + 1;
            self.lines(start, end, out);
            start = end;
        }
        self.pending = start;
        if self.buf.len() - start > self.max_line {
            self.pending = self.split(start, self.buf.len(), false, out);
        }
        Ok(())
    }

    /// Complete lines: as one piece while none is over-long; the over-long ones in segments.
    fn lines(&mut self, start: usize, end: usize, out: &mut Vec<Piece>) {
        if end - start <= self.max_line {
            out.push(Piece::Lines(start..end));
            return;
        }
        let mut run = start; // the short lines not yet emitted start here
        let mut line = start;
        let ends: Vec<usize> = memchr_iter(b'\n', &self.buf[start..end])
            .map(|nl| start + nl + 1)
            .collect();
        for next in ends {
            if next - line > self.max_line {
                if run < line {
                    out.push(Piece::Lines(run..line));
                }
                self.split(line, next, true, out);
                run = next;
            }
            line = next;
        }
        if run < end {
            out.push(Piece::Lines(run..end));
        }
    }

    /// Segments of a line too long to hold. With `last`, `buf[start..end]` ends the line and is emitted whole;
    /// otherwise a remainder of at most max_line bytes is left. Returns where the remainder starts.
    fn split(&mut self, start: usize, end: usize, last: bool, out: &mut Vec<Piece>) -> usize {
        if !self.in_long_line {
            self.line_start = start;
        }
        let mut pos = start;
        while end - pos > self.max_line {
            let window = &self.buf[pos..pos + self.max_line];
            let cut = safe_cut(window, self.buf[pos + self.max_line]);
            let unsafe_cut = cut.is_none();
            let cut = cut.unwrap_or(self.max_line);
            out.push(Piece::Segment {
                range: pos..pos + cut,
                context: self.context(pos),
                last: false,
                mask_head: self.mask_next_head,
                mask_tail: unsafe_cut,
            });
            self.mask_next_head = unsafe_cut;
            self.in_long_line = true;
            pos += cut;
        }
        if last {
            if self.in_long_line {
                out.push(Piece::Segment {
                    range: pos..end,
                    context: self.context(pos),
                    last: true,
                    mask_head: self.mask_next_head,
                    mask_tail: false,
                });
            } else {
                out.push(Piece::Lines(pos..end));
            }
            self.in_long_line = false;
            self.mask_next_head = false;
            pos = end;
        }
        pos
    }

    fn context(&self, pos: usize) -> Range<usize> {
        self.line_start
            .max(pos.saturating_sub(CONTEXT_CARRY))
            .min(pos)..pos
    }

    /// A stop inside a line whose rest cannot be read again (a pipe): the bytes held become a segment that ends
    /// the output's line with a line end of its own, its trailing word masked. The rest of that word goes to
    /// whoever reads the pipe next, so neither half may be written raw. Returns whether a line was in progress.
    pub fn cut_short(&mut self, out: &mut Vec<Piece>) -> bool {
        self.compact();
        if self.pending == self.buf.len() && !self.in_long_line {
            return false;
        }
        if !self.in_long_line {
            self.line_start = self.pending;
        }
        let start = self.pending;
        self.buf.push(b'\n');
        out.push(Piece::Segment {
            range: start..self.buf.len(),
            context: self.context(start),
            last: true,
            mask_head: self.mask_next_head,
            mask_tail: true,
        });
        self.pending = self.buf.len();
        self.in_long_line = false;
        self.mask_next_head = false;
        true
    }

    /// At end of input: the partial last line, without a terminator, as it was.
    pub fn finish(&mut self, out: &mut Vec<Piece>) {
        self.compact();
        if self.pending == self.buf.len() && !self.in_long_line {
            return;
        }
        let (start, end) = (self.pending, self.buf.len());
        self.split(start, end, true, out);
        self.pending = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// (bytes, segment, last, mask_head, mask_tail) per line or segment, and the context of each segment.
    type Shape = Vec<(Vec<u8>, bool, bool, bool, bool)>;

    fn run(max_line: usize, chunks: &[&[u8]]) -> (Shape, Vec<Vec<u8>>) {
        run_ending(max_line, chunks, false)
    }

    /// `run`, ended by a stop (`cut_short`) instead of the end of input when `cut`.
    fn run_ending(max_line: usize, chunks: &[&[u8]], cut: bool) -> (Shape, Vec<Vec<u8>>) {
        let mut framer = LineFramer::new(max_line);
        let mut shape = Vec::new();
        let mut contexts = Vec::new();
        let mut out = Vec::new();
        for i in 0..=chunks.len() {
            out.clear();
            match chunks.get(i) {
                Some(chunk) => framer.feed(chunk, &mut out),
                None if cut => {
                    framer.cut_short(&mut out);
                }
                None => framer.finish(&mut out),
            }
            let buf = framer.buffer();
            for piece in &out {
                match piece {
                    Piece::Lines(r) => {
                        let data = &buf[r.clone()];
                        let mut at = 0;
                        while at < data.len() {
                            let end = memchr(b'\n', &data[at..]).map_or(data.len(), |n| at + n + 1);
                            shape.push((data[at..end].to_vec(), false, true, false, false));
                            at = end;
                        }
                    }
                    Piece::Segment {
                        range,
                        context,
                        last,
                        mask_head,
                        mask_tail,
                    } => {
                        shape.push((
                            buf[range.clone()].to_vec(),
                            true,
                            *last,
                            *mask_head,
                            *mask_tail,
                        ));
                        contexts.push(buf[context.clone()].to_vec());
                    }
                }
            }
        }
        (shape, contexts)
    }

    fn joined(shape: &Shape) -> Vec<u8> {
        shape.iter().flat_map(|p| p.0.clone()).collect()
    }

    #[test]
    fn partial_line_waits_for_newline() {
        let (shape, _) = run(4096, &[b"abc", b"def\nxy"]);
        assert_eq!(
            shape.iter().map(|p| p.0.as_slice()).collect::<Vec<_>>(),
            [&b"abcdef\n"[..], b"xy"]
        );
    }

    #[test]
    fn a_handed_over_buffer_keeps_its_pieces_and_the_framer_its_partial_line() {
        let mut framer = LineFramer::new(4096);
        let mut pieces = Vec::new();
        framer.feed(b"ab\ncd\nef", &mut pieces);
        let spare = Vec::with_capacity(64);
        let handed = framer.hand_over(spare);
        let [Piece::Lines(range)] = pieces.as_slice() else {
            panic!("one block of lines: {pieces:?}");
        };
        assert_eq!(&handed[range.clone()], b"ab\ncd\n");
        assert_eq!(framer.buffer(), b"ef");
        pieces.clear();
        framer.feed(b"gh\n", &mut pieces);
        let [Piece::Lines(range)] = pieces.as_slice() else {
            panic!("one block of lines: {pieces:?}");
        };
        assert_eq!(&framer.buffer()[range.clone()], b"efgh\n");
    }

    #[test]
    fn a_failed_fill_feeds_nothing() {
        let mut framer = LineFramer::new(4096);
        let mut pieces = Vec::new();
        framer.feed(b"ab\ncd", &mut pieces);
        pieces.clear();
        let failed = framer.feed_with(
            4,
            |slot| {
                slot.copy_from_slice(b"zz\nz");
                Err("the caller's buffer went away")
            },
            &mut pieces,
        );
        assert_eq!(failed, Err("the caller's buffer went away"));
        assert!(pieces.is_empty());
        assert_eq!(framer.pending(), 2);
        let copied: Result<(), Infallible> = framer.feed_with(
            3,
            |slot| {
                slot.copy_from_slice(b"ef\n");
                Ok(())
            },
            &mut pieces,
        );
        assert_eq!(copied, Ok(()));
        let Piece::Lines(range) = &pieces[0] else {
            panic!("a line expected")
        };
        assert_eq!(&framer.buffer()[range.clone()], b"cdef\n");
    }

    #[test]
    fn crlf_and_empty_lines_are_lines() {
        let (shape, _) = run(4096, &[b"a\r\n\n\nb\n"]);
        assert_eq!(
            shape.iter().map(|p| p.0.as_slice()).collect::<Vec<_>>(),
            [&b"a\r\n"[..], b"\n", b"\n", b"b\n"]
        );
    }

    #[test]
    fn long_line_is_cut_at_a_safe_place_and_rejoins() {
        let line: Vec<u8> = [b"word 192.0.2.1 ".repeat(1000), b"\n".to_vec()].concat();
        let (shape, contexts) = run(4096, &[&line[..7000], &line[7000..]]);
        assert!(shape
            .iter()
            .all(|p| p.1 && p.0.len() <= 4096 && !p.3 && !p.4));
        assert_eq!(joined(&shape), line);
        assert_eq!(shape.iter().filter(|p| p.2).count(), 1);
        assert!(shape[..shape.len() - 1].iter().all(|p| p.0.ends_with(b" ")));
        // Every segment after the first sees the line's bytes just before it.
        assert!(contexts[0].is_empty());
        let mut seen = shape[0].0.clone();
        for (p, c) in shape.iter().zip(&contexts).skip(1) {
            assert_eq!(c.len(), CONTEXT_CARRY);
            assert!(seen.ends_with(c));
            seen.extend_from_slice(&p.0);
        }
    }

    #[test]
    fn unsafe_cut_is_marked_for_masking() {
        let line = [vec![b'1'; 10000], b"\n".to_vec()].concat();
        let (shape, _) = run(4096, &[&line]);
        assert!(shape[0].4 && shape[1].3);
        assert_eq!(joined(&shape), line);
    }

    #[test]
    fn a_blank_at_the_window_end_is_judged_by_the_next_byte() {
        // The blank at the limit stands inside "+49 30 1234567": the cut falls before the number instead.
        let mut line = vec![b'x'; 20];
        line.extend_from_slice(b" +49 30 1234567\n");
        let limit = line.iter().position(|&c| c == b'0').unwrap() + 2; // window ends just after "30 "
        let (shape, _) = run(limit, &[&line]);
        assert_eq!(shape[0].0, b"xxxxxxxxxxxxxxxxxxxx ");
        assert_eq!(joined(&shape), line);
    }

    #[test]
    fn lines_after_a_long_line_in_the_same_read_are_kept() {
        let data = [
            b"a 192.0.2.1\n".to_vec(),
            b"word ".repeat(3000),
            b"\nb 192.0.2.2\nc\ntail".to_vec(),
        ]
        .concat();
        let (shape, _) = run(4096, &[&data]);
        assert_eq!(joined(&shape), data);
        let whole: Vec<&[u8]> = shape
            .iter()
            .filter(|p| !p.1)
            .map(|p| p.0.as_slice())
            .collect();
        assert_eq!(
            whole,
            [&b"a 192.0.2.1\n"[..], b"b 192.0.2.2\n", b"c\n", b"tail"]
        );
    }

    #[test]
    fn pending_stays_bounded() {
        let mut framer = LineFramer::new(4096);
        let mut out = Vec::new();
        for _ in 0..100 {
            framer.feed(&[b'x'; 1000], &mut out);
            assert!(framer.pending() <= 4096);
            assert!(framer.buffer().len() <= 4096 + 1000 + CONTEXT_CARRY);
        }
    }

    /// The hostile shape: a 64 MiB line without a newline, read in 64 KiB chunks, cut at --max-line 65536.
    /// Memory stays bounded by the limit, every byte comes out once, every cut is safe (the blanks allow it).
    #[test]
    fn a_64_mib_line_streams_in_bounded_segments() {
        let block = [vec![b'x'; 4090], b" 198.51.100.23 ".to_vec()]
            .concat()
            .repeat(4);
        let repeats = (64 << 20) / block.len();
        let mut framer = LineFramer::new(65536);
        let mut out = Vec::new();
        let (mut emitted, mut segments) = (0, 0);
        for i in 0..=repeats {
            out.clear();
            if i < repeats {
                framer.feed(&block, &mut out);
            } else {
                framer.finish(&mut out);
            }
            assert!(framer.buffer().len() <= 65536 + block.len() + CONTEXT_CARRY);
            for piece in &out {
                let Piece::Segment {
                    range,
                    mask_head,
                    mask_tail,
                    ..
                } = piece
                else {
                    panic!("a segment")
                };
                assert!(range.len() <= 65536 && !mask_head && !mask_tail);
                assert!(framer.buffer()[range.clone()].ends_with(b" ") || i == repeats);
                emitted += range.len();
                segments += 1;
            }
        }
        assert_eq!(emitted, repeats * block.len());
        assert!(segments >= (64 << 20) / 65536);
    }

    #[test]
    fn a_stop_ends_the_line_in_progress_and_masks_its_last_word() {
        let (shape, _) = run_ending(64, &[b"a 1\nb 12"], true);
        assert_eq!(
            shape,
            vec![
                (b"a 1\n".to_vec(), false, true, false, false),
                (b"b 12\n".to_vec(), true, true, false, true),
            ]
        );
        let mut framer = LineFramer::new(64);
        let mut out = Vec::new();
        framer.feed(b"whole\n", &mut out);
        out.clear();
        assert!(
            !framer.cut_short(&mut out),
            "no line in progress: nothing to cut"
        );
        assert!(out.is_empty());
    }

    #[test]
    fn a_stop_inside_an_over_long_line_keeps_its_context_and_masking() {
        // Cut unsafely at 8 (no blank): the stop's segment masks its head as the next segment would have.
        let (shape, contexts) = run_ending(8, &[b"123456789012"], true);
        assert_eq!(
            shape,
            vec![
                (b"12345678".to_vec(), true, false, false, true),
                (b"9012\n".to_vec(), true, true, true, true),
            ]
        );
        assert_eq!(contexts[1], b"12345678");
    }

    /// Throughput, for the report only (nothing asserted on time): `cargo test --release -- --ignored
    /// --nocapture framing_throughput`.
    #[test]
    #[ignore]
    fn framing_throughput() {
        let line = b"198.51.100.7 - - [21/Nov/2026:11:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 512 \"-\" \"curl/8\"\n";
        let data = line.repeat((256 << 20) / line.len());
        let mut framer = LineFramer::new(65536);
        let mut out = Vec::new();
        let mut lines = 0;
        let started = std::time::Instant::now();
        for chunk in data.chunks(64 << 10) {
            out.clear();
            framer.feed(chunk, &mut out);
            for p in &out {
                if let Piece::Lines(r) = p {
                    lines += memchr_iter(b'\n', &framer.buffer()[r.clone()]).count();
                }
            }
        }
        let took = started.elapsed();
        eprintln!(
            "{lines} lines, {} MiB in {took:?}: {:.0} MiB/s",
            data.len() >> 20,
            (data.len() >> 20) as f64 / took.as_secs_f64()
        );
    }

    proptest! {
        #[test]
        fn framing_does_not_depend_on_read_sizes(
            parts in prop::collection::vec(prop::sample::select(vec![
                &b"x"[..], b" ", b"1", b"\n", b"\r\n", b"=", b"\"", b",", b"\xff", b"1.2.3.4", b"abcdefgh",
            ]), 0..300),
            max_line in 1usize..40,
            size in 1usize..50,
        ) {
            let data: Vec<u8> = parts.concat();
            let chunks: Vec<&[u8]> = data.chunks(size).collect();
            let (shape, contexts) = run(max_line, &chunks);
            let (reference, reference_contexts) = run(max_line, &[&data]);
            prop_assert_eq!(joined(&shape), data.clone());
            prop_assert_eq!(&shape, &reference);
            prop_assert_eq!(contexts, reference_contexts);
            for p in &shape {
                prop_assert!(!p.1 || p.0.len() <= max_line || p.2);
            }
        }

        /// A stop gives what the end of input gives, except the line in progress: that ends with a line end of
        /// its own and its last word masked.
        #[test]
        fn a_stop_differs_from_the_end_only_in_the_line_in_progress(
            parts in prop::collection::vec(prop::sample::select(vec![
                &b"x"[..], b" ", b"1", b"\n", b"\r\n", b"=", b"\xff", b"1.2.3.4",
            ]), 0..200),
            max_line in 1usize..40,
            size in 1usize..50,
        ) {
            let data: Vec<u8> = parts.concat();
            let chunks: Vec<&[u8]> = data.chunks(size).collect();
            let (ended, _) = run(max_line, &chunks);
            let (stopped, _) = run_ending(max_line, &chunks, true);
            let mut expected = data.clone();
            if ended.last().is_some_and(|p| !p.0.ends_with(b"\n")) {
                expected.push(b'\n');
                let (rest, stop) = (&ended[..ended.len() - 1], &stopped[stopped.len() - 1]);
                prop_assert_eq!(rest, &stopped[..stopped.len() - 1]);
                prop_assert!(stop.1 && stop.2 && stop.4);
                prop_assert_eq!(stop.3, ended[ended.len() - 1].3);
            } else {
                prop_assert_eq!(&ended, &stopped);
            }
            prop_assert_eq!(joined(&stopped), expected);
        }
    }
}
