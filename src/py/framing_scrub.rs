//! framing, timeparse, scrub: the framer `follow`'s sources read with, and the framer, time parsers and settling
//! of findings as the differential tests drive them.

use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::detect::{Found, Kind};
use crate::framing::{LineFramer, Piece};
use crate::scrub::{self, ByteRuns, Counts, Detector, Prefilter, Reading, Scrubber, WithTrigger};
use crate::timeparse::{TimeForm, TimeParser};

fn kind(name: &str) -> PyResult<Kind> {
    Kind::from_name(name).ok_or_else(|| PyValueError::new_err("unknown kind"))
}

/// The deterministic stand-in for the pseudonymiser the differential tests use on both sides:
/// `<KIND:length:hash>`, the hash a 31-multiplier fold of the value's code points.
pub fn fake_token(kind: Kind, normalised: &str) -> String {
    let hash = normalised
        .chars()
        .fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(c as u32));
    format!(
        "<{}:{}:{:x}>",
        kind.name().to_uppercase(),
        normalised.chars().count(),
        hash
    )
}

fn counts_dict(counts: &Counts) -> HashMap<&'static str, u64> {
    counts.iter().map(|(k, n)| (k.name(), n)).collect()
}

/// One round of settling: findings in priority order -> (rendered text with fake tokens, counts, whether
/// the text must be read again).
#[pyfunction]
fn settle<'py>(
    py: Python<'py>,
    text: &[u8],
    findings: Vec<(usize, usize, String, String)>,
) -> PyResult<(Bound<'py, PyBytes>, HashMap<&'static str, u64>, bool)> {
    let mut claims = scrub::Claims::default();
    for (start, end, k, normalised) in findings {
        if start > end || end > text.len() {
            return Err(PyValueError::new_err("span outside the text"));
        }
        claims.claim(Found::new(start, end, kind(&k)?, &normalised));
    }
    let (found, conflict) = claims.into_sorted();
    let again = conflict || scrub::touches_identifier_chars(text, &found);
    let (out, _) = scrub::replace(text, &found, &[], &mut fake_token);
    let mut counts = Counts::default();
    for f in &found {
        counts.add(f.kind());
    }
    Ok((PyBytes::new(py, &out), counts_dict(&counts), again))
}

/// The whole scrub (rounds, percent-decoded view, border masking) with `ByteRuns` detectors given as
/// (kind, byte set, minimum length) in priority order, and fake tokens. With `triggers`, detector i runs only
/// where literal i occurs (`WithTrigger`), and with `prefilter` the text or its skeleton must hold that
/// literal for any detector to run.
#[pyfunction]
#[pyo3(signature = (text, detectors, in_agent=false, mask_head=false, mask_tail=false, triggers=None, prefilter=None))]
#[allow(clippy::too_many_arguments)]
fn scrub_fake<'py>(
    py: Python<'py>,
    text: &[u8],
    detectors: Vec<(String, Vec<u8>, usize)>,
    in_agent: bool,
    mask_head: bool,
    mask_tail: bool,
    triggers: Option<Vec<Vec<u8>>>,
    prefilter: Option<Vec<u8>>,
) -> PyResult<(Bound<'py, PyBytes>, HashMap<&'static str, u64>)> {
    let mut boxed: Vec<Box<dyn Detector>> = Vec::new();
    for (i, (k, set, min)) in detectors.into_iter().enumerate() {
        let inner = ByteRuns {
            kind: kind(&k)?,
            set,
            min,
        };
        let literal = triggers
            .as_ref()
            .and_then(|t| t.get(i))
            .cloned()
            .unwrap_or_default();
        boxed.push(Box::new(WithTrigger { inner, literal }));
    }
    let prefilter = match prefilter {
        None => Prefilter::default(),
        Some(literal) => {
            let again = literal.clone();
            Prefilter {
                maybe: Box::new(move |t| memchr::memmem::find(t, &literal).is_some()),
                maybe_on_skeleton: Box::new(move |t| memchr::memmem::find(t, &again).is_some()),
            }
        }
    };
    let mut scrubber = Scrubber::new(boxed, prefilter);
    let mut counts = Counts::default();
    let out = if mask_head || mask_tail {
        let mut out = Vec::new();
        scrubber.scrub_segment(
            text,
            mask_head,
            mask_tail,
            &mut fake_token,
            &mut counts,
            &mut out,
        );
        out
    } else {
        scrubber.scrub(
            text,
            Reading {
                in_agent,
                unbracketed_ports: false,
            },
            &mut fake_token,
            &mut counts,
        )
    };
    Ok((PyBytes::new(py, &out), counts_dict(&counts)))
}

#[pyfunction]
fn mask_line<'py>(py: Python<'py>, text: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &scrub::mask_line(text))
}

#[pyfunction]
fn split_border_runs<'py>(
    py: Python<'py>,
    data: &[u8],
    head: bool,
    tail: bool,
) -> (
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
) {
    let (a, b, c) = scrub::split_border_runs(data, head, tail);
    (
        PyBytes::new(py, &data[a]),
        PyBytes::new(py, &data[b]),
        PyBytes::new(py, &data[c]),
    )
}

/// Timestamps read with one parser (so its memo is used): (form, text, now) -> epoch or None.
#[pyfunction]
fn parse_times(items: Vec<(String, Vec<u8>, f64)>) -> PyResult<Vec<Option<f64>>> {
    let mut parser = TimeParser::default();
    items
        .into_iter()
        .map(|(form, text, now)| {
            let form = TimeForm::from_name(&form)
                .ok_or_else(|| PyValueError::new_err("unknown time form"))?;
            Ok(parser.parse(form, &text, now))
        })
        .collect()
}

/// The event times of free-text lines, read with one parser.
#[pyfunction]
fn sniff_times(lines: Vec<Vec<u8>>, now: f64) -> Vec<Option<f64>> {
    let mut parser = TimeParser::default();
    lines.iter().map(|line| parser.sniff(line, now)).collect()
}

/// Frames `chunks` (then finishes): per whole line or segment, (bytes, segment, last, mask_head,
/// mask_tail, context).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn frame<'py>(
    py: Python<'py>,
    chunks: Vec<Vec<u8>>,
    max_line: usize,
) -> PyResult<
    Vec<(
        Bound<'py, PyBytes>,
        bool,
        bool,
        bool,
        bool,
        Bound<'py, PyBytes>,
    )>,
> {
    if max_line == 0 {
        return Err(PyValueError::new_err("max_line must be positive"));
    }
    let mut framer = LineFramer::new(max_line);
    let mut shape = Vec::new();
    let mut pieces = Vec::new();
    for i in 0..=chunks.len() {
        pieces.clear();
        match chunks.get(i) {
            Some(chunk) => framer.feed(chunk, &mut pieces),
            None => framer.finish(&mut pieces),
        }
        let buf = framer.buffer();
        for piece in &pieces {
            let mut push = |piece: &Piece| {
                let p = PyPiece::new(py, buf, piece);
                shape.push((
                    p.data.into_bound(py),
                    p.segment,
                    p.last,
                    p.masked_head,
                    p.masked_tail,
                    p.context.into_bound(py),
                ));
            };
            match piece {
                // The reference framer gives a block's lines one by one.
                Piece::Lines(range) => {
                    let mut at = range.start;
                    for line in buf[range.clone()].split_inclusive(|&c| c == b'\n') {
                        push(&Piece::Lines(at..at + line.len()));
                        at += line.len();
                    }
                }
                segment => push(segment),
            }
        }
    }
    Ok(shape)
}

/// What the framer delivers: a block of complete lines (each with its "\n"; from `finish`, the unterminated
/// last line), or one segment of an over-long line with its mask flags and the bytes of the same line before it.
#[pyclass(frozen, module = "pseudolog._core", name = "Piece")]
pub struct PyPiece {
    #[pyo3(get)]
    data: Py<PyBytes>,
    /// A segment of an over-long line (else complete lines).
    #[pyo3(get)]
    segment: bool,
    /// This piece ends its line (always true for lines).
    #[pyo3(get)]
    last: bool,
    /// The leading digit/hex run continues an unsafe cut: mask it.
    #[pyo3(get)]
    masked_head: bool,
    /// The trailing digit/hex run was cut unsafely: mask it.
    #[pyo3(get)]
    masked_tail: bool,
    /// For a segment after a line's first: the bytes of the same line just before it (read-only context).
    #[pyo3(get)]
    context: Py<PyBytes>,
}

impl PyPiece {
    /// The piece as the engine renders it (`Engine::render_cut`), over the bytes Python holds.
    pub fn cut<'a>(&'a self, py: Python<'a>) -> crate::engine::CutPiece<'a> {
        let data = self.data.bind(py).as_bytes();
        if self.segment {
            crate::engine::CutPiece::Segment {
                data,
                context: self.context.bind(py).as_bytes(),
                flags: (self.last, self.masked_head, self.masked_tail),
            }
        } else {
            crate::engine::CutPiece::Lines(data)
        }
    }

    /// A framer's piece over its buffer, as Python sees it.
    fn new(py: Python<'_>, buf: &[u8], piece: &Piece) -> PyPiece {
        let bytes = |b: &[u8]| PyBytes::new(py, b).unbind();
        match crate::engine::CutPiece::of(piece, buf) {
            crate::engine::CutPiece::Lines(data) => PyPiece {
                data: bytes(data),
                segment: false,
                last: true,
                masked_head: false,
                masked_tail: false,
                context: bytes(b""),
            },
            crate::engine::CutPiece::Segment {
                data,
                context,
                flags: (last, masked_head, masked_tail),
            } => PyPiece {
                data: bytes(data),
                segment: true,
                last,
                masked_head,
                masked_tail,
                context: bytes(context),
            },
        }
    }
}

#[pymethods]
impl PyPiece {
    fn __repr__(&self, py: Python<'_>) -> String {
        // never the bytes: they may hold raw identifiers
        format!(
            "Piece(len={}, segment={}, last={}, masked_head={}, masked_tail={})",
            self.data.bind(py).as_bytes().len(),
            self.segment,
            self.last,
            self.masked_head,
            self.masked_tail
        )
    }
}

/// The native framer (`src/framing.rs`) for the sources of `follow`: `feed(chunk)` and `finish()` give pieces;
/// `pending` (bytes held for the next read) and `mid_line` are what a checkpoint records.
#[pyclass(module = "pseudolog._core", name = "LineFramer")]
struct PyLineFramer {
    inner: LineFramer,
    pieces: Vec<Piece>,
}

impl PyLineFramer {
    fn pieces(&self, py: Python<'_>) -> Vec<PyPiece> {
        let buf = self.inner.buffer();
        self.pieces
            .iter()
            .map(|piece| PyPiece::new(py, buf, piece))
            .collect()
    }
}

#[pymethods]
impl PyLineFramer {
    #[new]
    fn new(max_line: usize) -> PyResult<Self> {
        if max_line == 0 {
            return Err(PyValueError::new_err("max_line must be positive"));
        }
        Ok(PyLineFramer {
            inner: LineFramer::new(max_line),
            pieces: Vec::new(),
        })
    }

    /// The complete lines and segments of over-long lines in the bytes held and `chunk`, in order.
    fn feed(&mut self, py: Python<'_>, chunk: &[u8]) -> Vec<PyPiece> {
        let (inner, pieces) = (&mut self.inner, &mut self.pieces);
        py.allow_threads(|| {
            pieces.clear();
            inner.feed(chunk, pieces);
        });
        self.pieces(py)
    }

    /// End of input: the partial last line, without a terminator, as it was.
    fn finish(&mut self, py: Python<'_>) -> Vec<PyPiece> {
        self.pieces.clear();
        self.inner.finish(&mut self.pieces);
        self.pieces(py)
    }

    /// A stop inside a line whose rest cannot be read again (a pipe): the line in progress as a segment that
    /// ends with a line end of its own, its last word masked (none when no line is in progress).
    fn cut_short(&mut self, py: Python<'_>) -> Vec<PyPiece> {
        self.pieces.clear();
        self.inner.cut_short(&mut self.pieces);
        self.pieces(py)
    }

    /// Bytes held for the next read (a partial line): a checkpoint's offset is the bytes read minus these.
    #[getter]
    fn pending(&self) -> usize {
        self.inner.pending()
    }

    /// (segments of the current line were emitted, the next segment's head must be masked).
    #[getter]
    fn mid_line(&self) -> (bool, bool) {
        self.inner.mid_line()
    }

    /// Carry on inside an over-long line after a restart, as the checkpoint recorded.
    fn resume_mid_line(&mut self, in_long_line: bool, mask_next_head: bool) {
        self.inner.resume_mid_line(in_long_line, mask_next_head);
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyLineFramer>()?;
    m.add_class::<PyPiece>()?;
    m.add_function(wrap_pyfunction!(parse_times, m)?)?;
    m.add_function(wrap_pyfunction!(sniff_times, m)?)?;
    m.add_function(wrap_pyfunction!(frame, m)?)?;
    m.add_function(wrap_pyfunction!(settle, m)?)?;
    m.add_function(wrap_pyfunction!(scrub_fake, m)?)?;
    m.add_function(wrap_pyfunction!(mask_line, m)?)?;
    m.add_function(wrap_pyfunction!(split_border_runs, m)?)?;
    Ok(())
}
