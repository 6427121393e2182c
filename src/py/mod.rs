//! The Python-facing surface: one file per concern, each registering its classes and functions on `_core`.
//! Nothing outside this folder knows of Python.

use pyo3::prelude::*;

mod digest;
mod engine; // the native Engine (engine2)
mod framing_scrub;
mod ip_device;
mod layout;
mod phone;
mod pseudonyms;
mod search;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    digest::register(m)?;
    layout::register(m)?;
    pseudonyms::register(m)?;
    search::register(m)?;
    ip_device::register(m)?;
    phone::register(m)?;
    framing_scrub::register(m)?;
    engine::register(m)?; // the native Engine (engine2)
    Ok(())
}
