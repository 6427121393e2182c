//! pseudonyms (src/pseudonym.rs, keys.rs, ipcrypt_pfx.rs, cache.rs): Pseudonymizer, IpcryptPfx, window_start,
//! MissingWindowKey.

use std::collections::HashMap;

use pyo3::create_exception;
use pyo3::exceptions::{PyKeyError, PyLookupError, PyOverflowError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::detect::Kind;
use crate::ipcrypt_pfx::IpcryptPfx;
use crate::pseudonym::{self, Style, TokenError, WindowError, DEFAULT_CACHE_SIZE};

create_exception!(
    _core,
    MissingWindowKey,
    PyLookupError,
    "Keyring mode: no root key for the window (args: the window start, or None); add it and ask again."
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Pseudonymizer>()?;
    m.add_class::<PyIpcryptPfx>()?;
    m.add_function(wrap_pyfunction!(window_start, m)?)?;
    m.add("MissingWindowKey", m.py().get_type::<MissingWindowKey>())?;
    Ok(())
}

fn token_error(err: TokenError) -> PyErr {
    match err {
        TokenError::MissingWindowKey(window) => MissingWindowKey::new_err((window,)),
        other => PyValueError::new_err(other.to_string()),
    }
}

fn window_error(err: WindowError) -> PyErr {
    match err {
        WindowError::NotFinite => PyValueError::new_err("a time is not a finite number"),
        WindowError::OutOfRange => {
            PyOverflowError::new_err("a time is too far from 1970 for a window")
        }
        WindowError::BadLength => PyValueError::new_err("the window length must be positive"),
    }
}

fn kind_of(kind: &str) -> PyResult<Kind> {
    Kind::from_name(kind).ok_or_else(|| PyKeyError::new_err(kind.to_string()))
}

/// UTC-aligned window containing t: floor(t / length) * length (Python's float floor division); None
/// for one static key.
#[pyfunction]
#[pyo3(signature = (t, length))]
fn window_start(t: f64, length: Option<i64>) -> PyResult<Option<i64>> {
    pseudonym::window_start(t, length).map_err(window_error)
}

/// Tokens for (kind, normalised value, window). `master` is the master key, or None for a keyring,
/// whose window root keys come in `window_keys` (window start -> key) or later through
/// add_window_key; a token for a window without a key raises MissingWindowKey.
#[pyclass(module = "pseudolog._core")]
pub struct Pseudonymizer {
    inner: pseudonym::Pseudonymizer,
}

#[pymethods]
impl Pseudonymizer {
    #[new]
    #[pyo3(signature = (master, window_length, keep=Vec::new(), ip_style="token", cache_size=DEFAULT_CACHE_SIZE, window_keys=None))]
    fn new(
        master: Option<&[u8]>,
        window_length: Option<i64>,
        keep: Vec<String>,
        ip_style: &str,
        cache_size: usize,
        window_keys: Option<HashMap<i64, Vec<u8>>>,
    ) -> PyResult<Self> {
        if window_length.is_some_and(|length| length <= 0) {
            return Err(window_error(WindowError::BadLength));
        }
        let style = Style::from_names(keep.iter().map(String::as_str), ip_style)
            .map_err(PyValueError::new_err)?;
        let inner = match (master, window_keys) {
            (Some(master), None) => {
                pseudonym::Pseudonymizer::with_master(master, window_length, style, cache_size)
            }
            (None, keys) => pseudonym::Pseudonymizer::with_keyring(
                keys.unwrap_or_default(),
                window_length,
                style,
                cache_size,
            ),
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err(
                    "give either a master key or window keys, not both",
                ))
            }
        };
        Ok(Pseudonymizer { inner })
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }

    #[getter]
    fn window_length(&self) -> Option<i64> {
        self.inner.window_length()
    }

    #[getter]
    fn cached_tokens(&self) -> usize {
        self.inner.cached_tokens()
    }

    #[getter]
    fn keyring(&self) -> bool {
        self.inner.is_keyring()
    }

    fn window_of(&self, t: f64) -> PyResult<Option<i64>> {
        self.inner.window_of(t).map_err(window_error)
    }

    #[pyo3(signature = (kind, normalised, window))]
    fn token(&mut self, kind: &str, normalised: &str, window: Option<i64>) -> PyResult<String> {
        self.inner
            .token(kind_of(kind)?, normalised, window)
            .map_err(token_error)
    }

    /// The derived key for a kind name (`ip`, ..., `ip-pfx`) and window.
    #[pyo3(signature = (kind, window))]
    fn kind_key<'py>(
        &self,
        py: Python<'py>,
        kind: &str,
        window: Option<i64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let key = self.inner.kind_key(kind, window).map_err(token_error)?;
        Ok(PyBytes::new(py, &key))
    }

    fn add_window_key(&mut self, window: i64, key: &[u8]) -> PyResult<()> {
        if self.inner.add_window_key(window, key) {
            Ok(())
        } else {
            Err(PyValueError::new_err(
                "window keys belong to a keyring; this one has a master key",
            ))
        }
    }

    /// Drops a window's key and every token made with it; whether the keyring held it.
    fn forget_window_key(&mut self, window: i64) -> bool {
        self.inner.forget_window_key(window)
    }

    #[pyo3(signature = (window))]
    fn has_window_key(&self, window: Option<i64>) -> bool {
        self.inner.has_window_key(window)
    }
}

/// ipcrypt-pfx under one 32-byte key (K1 || K2, halves differing): encrypt() maps an address text to
/// an address text, keeping prefixes.
#[pyclass(name = "IpcryptPfx", module = "pseudolog._core", frozen)]
pub struct PyIpcryptPfx {
    inner: IpcryptPfx,
}

#[pymethods]
impl PyIpcryptPfx {
    #[new]
    fn new(key: &[u8]) -> PyResult<Self> {
        let inner = IpcryptPfx::new(key).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(PyIpcryptPfx { inner })
    }

    fn __repr__(&self) -> &'static str {
        "IpcryptPfx(<key>)"
    }

    fn encrypt(&self, address: &str) -> PyResult<String> {
        let mut out = Vec::with_capacity(40);
        self.inner
            .encrypt_text(address, &mut out)
            .map_err(|_| PyValueError::new_err("not an IP address"))?;
        Ok(String::from_utf8_lossy(&out).into_owned()) // address text is ASCII
    }
}
