//! pseudolog's native engine. Each concern lives in its own module and knows nothing of Python; the
//! Python-facing surface is `py/`.

pub mod cache;
pub mod country_codes;
pub mod csv;
pub mod detect;
pub mod engine;
pub mod framing;
pub mod hashing;
pub mod ipcrypt_pfx;
pub mod json;
pub mod keys;
pub mod layout;
pub mod pseudonym;
mod py;
pub mod scrub;
pub mod search;
pub mod timeparse;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    py::register(m)
}
