//! pseudolog's native engine. This file is the only Python-facing surface: each concern lives in its own
//! module and knows nothing of Python.

pub mod detect;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
