//! search (pseudolog find): many tokens at once over chunks of pseudonymised text.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::search;

/// Many tokens at once over chunks of pseudonymised text: `TokenSearcher(patterns, boundaries)` with one
/// boundary code per pattern (0 token, 1 IPv4 address, 2 IPv6 address); `search(chunk)` returns
/// `(newlines, [(line, start, end, [pattern, ...]), ...])` for the lines that hold a token.
#[pyclass(frozen, module = "pseudolog._core", name = "TokenSearcher")]
struct PyTokenSearcher {
    inner: search::TokenSearcher,
}

type PyChunkHits = (usize, Vec<(usize, usize, usize, Vec<usize>)>);

#[pymethods]
impl PyTokenSearcher {
    #[new]
    fn new(patterns: Vec<Vec<u8>>, boundaries: Vec<u8>) -> PyResult<Self> {
        let bounds = boundaries
            .iter()
            .map(|&code| search::Boundary::from_code(code))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| PyValueError::new_err("unknown boundary code"))?;
        let inner =
            search::TokenSearcher::new(&patterns, &bounds).map_err(PyValueError::new_err)?;
        Ok(PyTokenSearcher { inner })
    }

    fn __len__(&self) -> usize {
        self.inner.pattern_count()
    }

    fn search(&self, py: Python<'_>, chunk: &[u8]) -> PyChunkHits {
        let hits = py.allow_threads(|| self.inner.search(chunk));
        let lines = hits
            .lines
            .into_iter()
            .map(|h| (h.line, h.start, h.end, h.patterns))
            .collect();
        (hits.newlines, lines)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTokenSearcher>()
}
