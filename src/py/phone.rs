//! detect::phone, detect::sip, detect::context: the detectors and normalisers, for the differential tests and lookup.

use crate::detect::phone_rules::{PhoneRules, Region};
use crate::detect::{context, phone, sip, Found};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Arc;

/// The numbering rules for a `--region`, compiled from pseudolog.phone_rules.region_spec().
#[pyclass(frozen, module = "pseudolog._core")]
pub struct PhoneRegion(pub Region);

#[pymethods]
impl PhoneRegion {
    #[new]
    fn new(spec: &str, region: &str) -> PyResult<Self> {
        let rules = PhoneRules::from_spec(spec).map_err(PyValueError::new_err)?;
        Ok(PhoneRegion(Region::new(Arc::new(rules), region)))
    }
}

type Findings = Vec<(usize, usize, &'static str, String)>;

fn run(
    py: Python<'_>,
    text: &[u8],
    region: &PhoneRegion,
    rule: fn(&[u8], &Region, &mut Vec<Found>),
) -> Findings {
    let mut out = Vec::new();
    py.allow_threads(|| rule(text, &region.0, &mut out));
    out.into_iter()
        .map(|f| (f.start, f.end, f.kind().name(), f.normalised().to_owned()))
        .collect()
}

#[pyfunction]
fn find_international(py: Python<'_>, region: &PhoneRegion, text: &[u8]) -> Findings {
    run(py, text, region, phone::find_international)
}

#[pyfunction]
fn find_sip(py: Python<'_>, region: &PhoneRegion, text: &[u8]) -> Findings {
    run(py, text, region, sip::find_sip)
}

#[pyfunction]
fn find_context(py: Python<'_>, region: &PhoneRegion, text: &[u8]) -> Findings {
    run(py, text, region, context::find_context)
}

#[pyfunction]
fn uri_numbers(py: Python<'_>, region: &PhoneRegion, text: &[u8]) -> Findings {
    run(py, text, region, context::uri_numbers)
}

#[pyfunction]
fn keyed_numbers(py: Python<'_>, region: &PhoneRegion, text: &[u8]) -> Findings {
    run(py, text, region, context::keyed_numbers)
}

#[pyfunction]
fn provisioning_macs(py: Python<'_>, region: &PhoneRegion, text: &[u8]) -> Findings {
    run(py, text, region, context::provisioning_macs)
}

#[pyfunction]
fn normalise_phone(region: &PhoneRegion, raw: &str) -> Option<String> {
    phone::normalise_phone(raw, &region.0)
}

#[pyfunction]
fn normalise_device(text: &str) -> Option<String> {
    sip::normalise_device(text)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PhoneRegion>()?;
    m.add_function(wrap_pyfunction!(find_international, m)?)?;
    m.add_function(wrap_pyfunction!(find_sip, m)?)?;
    m.add_function(wrap_pyfunction!(find_context, m)?)?;
    m.add_function(wrap_pyfunction!(uri_numbers, m)?)?;
    m.add_function(wrap_pyfunction!(keyed_numbers, m)?)?;
    m.add_function(wrap_pyfunction!(provisioning_macs, m)?)?;
    m.add_function(wrap_pyfunction!(normalise_phone, m)?)?;
    m.add_function(wrap_pyfunction!(normalise_device, m)?)?;
    Ok(())
}
