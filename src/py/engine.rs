//! engine: the native Engine, built from the plain config of pseudolog/native_engine.py; one call per chunk,
//! the GIL released while it works.

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict};

use super::framing_scrub::PyPiece;
use super::layout::format;
use crate::detect::phone_rules::{PhoneRules, Region};
use crate::engine::{self, Config, CutPiece, FormatChoice, Keys, Run};
use crate::layout::Format;
use crate::pseudonym::DEFAULT_CACHE_SIZE;
use crate::scrub::Reading;

fn get<'py, T: FromPyObject<'py>>(d: &Bound<'py, PyDict>, key: &str, default: T) -> PyResult<T> {
    match d.get_item(key)? {
        Some(v) if !v.is_none() => v.extract(),
        _ => Ok(default),
    }
}

fn formats(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Vec<Format>> {
    let specs: Vec<Bound<'_, PyDict>> = get(d, key, Vec::new())?;
    specs.iter().map(format).collect()
}

const KNOWN: [&str; 17] = [
    "format",
    "formats",
    "payload_formats",
    "region_spec",
    "region",
    "window",
    "retention",
    "on_error",
    "max_line",
    "keep",
    "ip_style",
    "master_key",
    "window_keys",
    "cache_size",
    "field_cache",
    "jobs",
    "parallel_min",
];

fn known_keys(d: &Bound<'_, PyDict>) -> PyResult<()> {
    for key in d.keys() {
        let key: String = key.extract()?;
        if !KNOWN.contains(&key.as_str()) {
            return Err(PyValueError::new_err(format!(
                "engine config: unknown key {key:?}"
            )));
        }
    }
    Ok(())
}

/// The config's `format` and `formats`: which formats read the lines.
fn format_choice(d: &Bound<'_, PyDict>) -> PyResult<FormatChoice> {
    let choice: String = get(d, "format", "auto".to_string())?;
    let mut list = formats(d, "formats")?;
    match choice.as_str() {
        "text" => Ok(FormatChoice::Text),
        "auto" => Ok(FormatChoice::Auto(list)),
        "one" if list.len() == 1 => Ok(FormatChoice::One(list.remove(0))),
        _ => Err(PyValueError::new_err(
            "engine config: format must be auto, text, or one (with one format)",
        )),
    }
}

fn config(d: &Bound<'_, PyDict>) -> PyResult<Config> {
    known_keys(d)?;
    let formats = format_choice(d)?;
    let spec: String = get(d, "region_spec", String::new())?;
    let rules = PhoneRules::from_spec(&spec).map_err(PyValueError::new_err)?;
    let region: String = get(d, "region", "DE".to_string())?;
    let master: Option<Vec<u8>> = get(d, "master_key", None)?;
    let window_keys: Option<HashMap<i64, Vec<u8>>> = get(d, "window_keys", None)?;
    let keys = match (master, window_keys) {
        (Some(m), None) => Keys::Master(m),
        (None, Some(k)) => Keys::Keyring(k),
        _ => {
            return Err(PyValueError::new_err(
                "engine config: give either master_key or window_keys",
            ))
        }
    };
    let on_error: String = get(d, "on_error", "mask".to_string())?;
    if on_error != "mask" && on_error != "drop" {
        return Err(PyValueError::new_err(
            "engine config: on_error is mask or drop",
        ));
    }
    let window: Option<i64> = get(d, "window", None)?;
    if window.is_some_and(|w| w <= 0) {
        return Err(PyValueError::new_err(
            "engine config: window must be positive",
        ));
    }
    let max_line: usize = get(d, "max_line", 1 << 20)?;
    if max_line == 0 {
        return Err(PyValueError::new_err(
            "engine config: max_line must be positive",
        ));
    }
    Ok(Config {
        formats,
        payload_formats: formats_or(d)?,
        region: Region::new(Arc::new(rules), &region),
        window,
        retention: get::<Option<f64>>(d, "retention", None)?,
        drop_on_error: on_error == "drop",
        max_line,
        keep: get(d, "keep", Vec::new())?,
        ip_style: get(d, "ip_style", "token".to_string())?,
        keys,
        cache_size: get(d, "cache_size", DEFAULT_CACHE_SIZE)?,
        field_cache: get(d, "field_cache", 100_000)?,
        jobs: get(d, "jobs", 1)?,
        parallel_min: get(d, "parallel_min", engine::PARALLEL_MIN)?,
    })
}

fn formats_or(d: &Bound<'_, PyDict>) -> PyResult<Vec<Format>> {
    formats(d, "payload_formats")
}

/// The native engine: `feed(chunk, now)` -> (output bytes, runs of (window, length)).
#[pyclass(module = "pseudolog._core")]
pub struct Engine {
    inner: engine::Engine,
    max_line: usize,
    /// The output of a feed before Python copies it: kept across feeds, so a megabyte chunk does not take
    /// fresh pages from the system every time.
    out: Vec<u8>,
}

type Batch = (Py<PyBytes>, Vec<Run>);

/// The lines framed from a chunk of `len` bytes, rendered into `out` (cleared first, kept across feeds), the
/// GIL released. `ahead`: the caller reads on at once, a large block may be rendered ahead
/// (`Engine::render_ahead`).
fn render(
    py: Python<'_>,
    inner: &mut engine::Engine,
    len: usize,
    now: f64,
    out: &mut Vec<u8>,
    ahead: bool,
) -> Vec<Run> {
    py.allow_threads(|| {
        out.clear();
        out.reserve(len + len / 8);
        if ahead {
            inner.render_ahead(now, out)
        } else {
            inner.render_framed(now, out)
        }
    })
}

/// Drops a buffer grown past KEEP_BUFFER: an over-long line's bytes are not held for the rest of the run.
fn let_go_if_large(buffer: &mut Vec<u8>) {
    if buffer.capacity() > KEEP_BUFFER {
        *buffer = Vec::new();
    }
}

/// The largest buffer kept between feeds: `run` reads 1 MiB a job, up to 8 MiB with `--jobs 8`, and the output is
/// a little more.
const KEEP_BUFFER: usize = 24 << 20;

#[pymethods]
impl Engine {
    #[new]
    fn new(config_dict: &Bound<'_, PyDict>) -> PyResult<Self> {
        let cfg = config(config_dict)?;
        let max_line = cfg.max_line;
        Ok(Engine {
            inner: engine::Engine::new(cfg).map_err(PyValueError::new_err)?,
            max_line,
            out: Vec::new(),
        })
    }

    /// Every complete line in the bytes held and `chunk`: (output, runs of (window, byte length)).
    fn feed(&mut self, py: Python<'_>, chunk: &[u8], now: f64) -> Batch {
        self.inner.frame(chunk);
        let runs = render(py, &mut self.inner, chunk.len(), now, &mut self.out, false);
        let bytes = PyBytes::new(py, &self.out).unbind();
        let_go_if_large(&mut self.out);
        (bytes, runs)
    }

    /// `feed` from any buffer (a memoryview of the caller's read buffer) into the caller's bytearray, resized
    /// to the output; returns the output's length. A shell that reads into one buffer and writes from another
    /// allocates nothing per read: a fresh megabyte for each read and each output cost a page fault per 4 KiB.
    /// The read is copied once, straight into the framer's buffer. `ahead`: the caller feeds again at once
    /// (it reads a regular file), so with `--jobs` the output may be that of the chunk before while this one
    /// is rendered (`finish` hands out the rest).
    #[pyo3(signature = (chunk, now, into, ahead=false))]
    fn feed_into(
        &mut self,
        py: Python<'_>,
        chunk: &Bound<'_, PyAny>,
        now: f64,
        into: &Bound<'_, PyByteArray>,
        ahead: bool,
    ) -> PyResult<usize> {
        let source = PyBuffer::<u8>::get(chunk)?;
        let len = source.item_count();
        let framed = self
            .inner
            .frame_with(len, |slot| source.copy_to_slice(py, slot));
        source.release(py);
        framed?;
        render(py, &mut self.inner, len, now, &mut self.out, ahead);
        into.resize(self.out.len())?;
        let target = PyBuffer::<u8>::get(into.as_any())?;
        target.copy_from_slice(py, &self.out)?;
        target.release(py);
        let written = self.out.len();
        let_go_if_large(&mut self.out);
        Ok(written)
    }

    /// Pieces a `LineFramer` cut (a `follow` source's), rendered as cut, nothing held back: (output, runs).
    fn feed_pieces(&mut self, py: Python<'_>, pieces: Vec<PyRef<'_, PyPiece>>, now: f64) -> Batch {
        let cut: Vec<CutPiece<'_>> = pieces.iter().map(|p| p.cut(py)).collect();
        let inner = &mut self.inner;
        let (out, runs) = py.allow_threads(|| {
            let mut out = Vec::new();
            let runs = inner.render_cut(&cut, now, &mut out);
            (out, runs)
        });
        (PyBytes::new(py, &out).unbind(), runs)
    }

    /// End of input: the partial last line as it was; `stopped` (a stop before the input's end): ended with a
    /// line end of its own and its last word masked.
    #[pyo3(signature = (now, stopped = false))]
    fn finish(&mut self, py: Python<'_>, now: f64, stopped: bool) -> Batch {
        let inner = &mut self.inner;
        let (out, runs) = py.allow_threads(|| {
            let mut out = Vec::new();
            let runs = if stopped {
                inner.cut_short(now, &mut out)
            } else {
                inner.finish(now, &mut out)
            };
            (out, runs)
        });
        (PyBytes::new(py, &out).unbind(), runs)
    }

    /// A new input begins (its format is detected afresh).
    fn start_input(&mut self) {
        self.inner.start_input(self.max_line);
    }

    /// The format `auto` settled on, once it has (else None).
    #[getter]
    fn detected(&self) -> Option<String> {
        self.inner.detected().map(str::to_string)
    }

    /// (job threads the system did not start, its reason the first time): their parts went to the others.
    #[getter]
    fn refused(&mut self, py: Python<'_>) -> (u64, Option<String>) {
        let inner = &mut self.inner;
        let refused = py.allow_threads(|| inner.refused().clone());
        (refused.threads, refused.reason)
    }

    #[getter]
    fn last_window(&mut self, py: Python<'_>) -> Option<i64> {
        let inner = &mut self.inner;
        py.allow_threads(|| inner.last_window())
    }

    /// The identifiers the engine's detectors find in free text, in order of position, non-overlapping:
    /// `[(start, end, kind, normalised), ...]` (one reading; nothing replaced or counted).
    #[pyo3(signature = (text, in_agent=false))]
    fn find(&mut self, py: Python<'_>, text: &[u8], in_agent: bool) -> Vec<Finding> {
        let inner = &mut self.inner;
        py.allow_threads(|| {
            inner
                .find(
                    text,
                    Reading {
                        in_agent,
                        unbracketed_ports: false,
                    },
                )
                .into_iter()
                .map(|f| (f.start, f.end, f.kind().name(), f.normalised().to_owned()))
                .collect()
        })
    }

    fn counts<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let inner = &mut self.inner;
        let c = py.allow_threads(|| inner.counts().clone());
        let d = PyDict::new(py);
        d.set_item("lines_in", c.lines_in)?;
        d.set_item("lines_out", c.lines_out)?;
        d.set_item("dropped", c.dropped.clone())?;
        let replaced: HashMap<&str, u64> = c.replaced.iter().map(|(k, n)| (k.name(), n)).collect();
        d.set_item("replaced", replaced)?;
        d.set_item("formats", c.formats.clone())?;
        d.set_item("masked_on_error", c.masked_on_error)?;
        d.set_item("missing_window_keys", c.missing_window_keys)?;
        d.set_item(
            "missing_windows",
            c.missing_windows.iter().collect::<Vec<_>>(),
        )?;
        d.set_item("unmatched", c.unmatched)?;
        Ok(d)
    }
}

type Finding = (usize, usize, &'static str, String);

/// A line's own time as the engine reads it, for `find`: built from the engine's config (only `format` and
/// `formats` are read, so no key is needed); `times(lines, now)` reads a batch of lines (each without its "\n")
/// in one call, the GIL released: the epoch seconds of each, or None.
#[pyclass(module = "pseudolog._core")]
pub struct LineClock {
    inner: engine::Clock,
}

#[pymethods]
impl LineClock {
    #[new]
    fn new(config_dict: &Bound<'_, PyDict>) -> PyResult<Self> {
        known_keys(config_dict)?;
        Ok(LineClock {
            inner: engine::Clock::new(format_choice(config_dict)?),
        })
    }

    /// A new input begins (`auto` detects its format afresh).
    fn start_input(&mut self) {
        self.inner.start_input();
    }

    /// The time of each line, in order. With `until_found`, reading stops at the first line that has one (the
    /// lines after it are not read, so `auto` does not see them, and get None).
    #[pyo3(signature = (lines, now, until_found=false))]
    fn times(
        &mut self,
        py: Python<'_>,
        lines: Vec<Vec<u8>>,
        now: f64,
        until_found: bool,
    ) -> Vec<Option<f64>> {
        let inner = &mut self.inner;
        py.allow_threads(|| {
            let mut out = vec![None; lines.len()];
            for (slot, line) in out.iter_mut().zip(&lines) {
                *slot = inner.time_of(line, now);
                if until_found && slot.is_some() {
                    break;
                }
            }
            out
        })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add_class::<LineClock>()
}
