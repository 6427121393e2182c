//! What the engine is built from: plain data that Python assembles once (pseudolog/native_engine.py).

use std::collections::HashMap;

use crate::detect::phone_rules::Region;
use crate::layout::Format;

/// Which formats read the lines.
#[derive(Clone)]
pub enum FormatChoice {
    /// `--format text`: every line is free text.
    Text,
    /// One named format (or `--log-format`).
    One(Format),
    /// `auto`: the built-in formats in the order they are tried.
    Auto(Vec<Format>),
}

/// Where the root keys come from.
#[derive(Clone)]
pub enum Keys {
    Master(Vec<u8>),
    /// Keyring mode: one key per window start; a window without one fails its lines.
    Keyring(HashMap<i64, Vec<u8>>),
}

#[derive(Clone)]
pub struct Config {
    pub formats: FormatChoice,
    /// Structured formats a syslog payload may be in (JSON lines, CDR records), tried in order.
    pub payload_formats: Vec<Format>,
    pub region: Region,
    /// Window length in seconds; None: one static key.
    pub window: Option<i64>,
    /// Lines whose own time is older than now - retention are dropped.
    pub retention: Option<f64>,
    /// `--on-error drop` (else mask).
    pub drop_on_error: bool,
    pub max_line: usize,
    pub keep: Vec<String>,
    pub ip_style: String,
    pub keys: Keys,
    /// Tokens held by the pseudonymiser's cache.
    pub cache_size: usize,
    /// Entries of a plain field cache (user agents and kinded values get a quarter each).
    pub field_cache: usize,
    /// Threads a large chunk is split across (lines that start in a part belong to it); 1: none.
    pub jobs: usize,
    /// With jobs > 1: blocks of lines shorter than this are rendered on one thread.
    pub parallel_min: usize,
}

impl Config {
    /// Every line as free text under one master key, a day's windows, nothing dropped: the base the engine's
    /// tests and the fuzz targets change what they test from.
    pub fn text(region: Region, master: Vec<u8>) -> Config {
        Config {
            formats: FormatChoice::Text,
            payload_formats: Vec::new(),
            region,
            window: Some(86400),
            retention: None,
            drop_on_error: false,
            max_line: 1 << 20,
            keep: Vec::new(),
            ip_style: "token".into(),
            keys: Keys::Master(master),
            cache_size: 1 << 16,
            field_cache: 1 << 12,
            jobs: 1,
            parallel_min: crate::engine::PARALLEL_MIN,
        }
    }
}
