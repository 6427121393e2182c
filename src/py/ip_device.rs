//! detect::ip and detect::device: the detectors and normalisers, for the differential tests and lookup.

use std::borrow::Cow;

use crate::detect::{device, ip, Found};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

type Finding = (usize, usize, &'static str, String);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(find_ipv4, m)?)?;
    m.add_function(wrap_pyfunction!(find_ipv6, m)?)?;
    m.add_function(wrap_pyfunction!(find_mac, m)?)?;
    m.add_function(wrap_pyfunction!(find_imei, m)?)?;
    m.add_function(wrap_pyfunction!(whole_address, m)?)?;
    m.add_function(wrap_pyfunction!(normalise_ip, m)?)?;
    m.add_function(wrap_pyfunction!(normalise_ipv6, m)?)?;
    m.add_function(wrap_pyfunction!(normalise_mac, m)?)?;
    m.add_function(wrap_pyfunction!(normalise_imei, m)?)?;
    Ok(())
}

fn findings(text: &[u8], find: impl FnOnce(&[u8], &mut Vec<Found>)) -> Vec<Finding> {
    let mut out = Vec::new();
    find(text, &mut out);
    out.into_iter()
        .map(|f| (f.start, f.end, f.kind().name(), f.normalised().to_owned()))
        .collect()
}

/// Bytes as given, or a str as Python's `encode("ascii", "replace")` makes it (one `?` per other character).
fn ascii_bytes(value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(text) = value.downcast::<PyString>() {
        let text = text.to_string_lossy();
        return Ok(text
            .chars()
            .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
            .collect());
    }
    Ok(value.downcast::<PyBytes>()?.as_bytes().to_vec())
}

#[pyfunction]
#[pyo3(signature = (text, in_agent = false))]
pub fn find_ipv4(text: &[u8], in_agent: bool) -> Vec<Finding> {
    findings(text, |t, out| ip::find_ipv4(t, in_agent, out))
}

#[pyfunction]
pub fn find_ipv6(text: &[u8]) -> Vec<Finding> {
    findings(text, ip::find_ipv6)
}

#[pyfunction]
pub fn find_mac(text: &[u8]) -> Vec<Finding> {
    findings(text, device::find_mac)
}

#[pyfunction]
pub fn find_imei(text: &[u8]) -> Vec<Finding> {
    findings(text, device::find_imei)
}

#[pyfunction]
pub fn whole_address(text: &[u8]) -> Option<String> {
    ip::whole_address(text).map(Cow::into_owned)
}

#[pyfunction]
pub fn normalise_ip(text: &str) -> Option<String> {
    ip::normalise_ip(text)
}

#[pyfunction]
pub fn normalise_ipv6(text: &str) -> Option<String> {
    ip::normalise_ipv6(text.as_bytes())
}

#[pyfunction]
pub fn normalise_mac(text: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    Ok(device::normalise_mac(&ascii_bytes(text)?))
}

#[pyfunction]
pub fn normalise_imei(text: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    Ok(device::normalise_imei(&ascii_bytes(text)?))
}
