//! digest: SHA-256 of bytes as hex, for the Python side's cache files (names and integrity lines). Asking the
//! core, which links SHA-256 anyway, spares each start-up importing hashlib and loading OpenSSL with it (about
//! 4-6 ms of a 150 ms start).

use pyo3::prelude::*;
use sha2::{Digest, Sha256};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sha256_hex, m)?)?;
    Ok(())
}

/// The SHA-256 of `data`, as 64 lower-case hex digits (hashlib's `hexdigest()`).
#[pyfunction]
fn sha256_hex(data: &[u8]) -> String {
    // A few calls a start: formatting each byte costs nothing a table of hex digits would save.
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fips_180_2_examples() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
