//! pseudolog's native engine. This file is the only Python-facing surface: each concern lives in its own
//! module and knows nothing of Python.

pub mod detect;
pub mod framing;
pub mod scrub;
pub mod timeparse;

use pyo3::prelude::*;

// framing, timeparse, scrub
mod py_scrub {
    use std::collections::HashMap;

    use pyo3::exceptions::PyValueError;
    use pyo3::prelude::*;
    use pyo3::types::PyBytes;

    use crate::detect::{Found, Kind};
    use crate::scrub::{self, ByteRuns, Counts, Detector, Prefilter, Scrubber};

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
            claims.claim(Found {
                start,
                end,
                kind: kind(&k)?,
                normalised,
            });
        }
        let (found, conflict) = claims.into_sorted();
        let again = conflict || scrub::touches_identifier_chars(text, &found);
        let (out, _) = scrub::replace(text, &found, &[], &mut fake_token);
        let mut counts = Counts::default();
        for f in &found {
            counts.add(f.kind);
        }
        Ok((PyBytes::new(py, &out), counts_dict(&counts), again))
    }

    /// The whole scrub (rounds, percent-decoded view, border masking) with `ByteRuns` detectors given as
    /// (kind, byte set, minimum length) in priority order, and fake tokens.
    #[pyfunction]
    #[pyo3(signature = (text, detectors, in_agent=false, mask_head=false, mask_tail=false))]
    fn scrub_fake<'py>(
        py: Python<'py>,
        text: &[u8],
        detectors: Vec<(String, Vec<u8>, usize)>,
        in_agent: bool,
        mask_head: bool,
        mask_tail: bool,
    ) -> PyResult<(Bound<'py, PyBytes>, HashMap<&'static str, u64>)> {
        let mut boxed: Vec<Box<dyn Detector>> = Vec::new();
        for (k, set, min) in detectors {
            boxed.push(Box::new(ByteRuns {
                kind: kind(&k)?,
                set,
                min,
            }));
        }
        let mut scrubber = Scrubber::new(boxed, Prefilter::default());
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
            scrubber
                .scrub(text, in_agent, &mut fake_token, &mut counts)
                .into_owned()
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

    pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add_function(wrap_pyfunction!(settle, m)?)?;
        m.add_function(wrap_pyfunction!(scrub_fake, m)?)?;
        m.add_function(wrap_pyfunction!(mask_line, m)?)?;
        m.add_function(wrap_pyfunction!(split_border_runs, m)?)?;
        Ok(())
    }
}
// end framing, timeparse, scrub

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    py_scrub::register(m)?; // framing, timeparse, scrub
    Ok(())
}
