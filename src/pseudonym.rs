//! The pseudonym scheme: normalised value -> keyed token (pseudolog/pseudonym.py documents it for users).
//!
//! ```text
//! kind_key = HKDF-SHA256(root, salt="pseudolog/v1", info="pseudolog/v1 kind=<kind> window=<start>/<len>")
//! mac      = HMAC-SHA256(kind_key, normalised value as ASCII)
//! token    = PREFIX "-" + the first 8 bytes of mac, one letter per 4 bits from "ghjkmnpqrstvwxyz"
//! ```
//!
//! The alphabet has no digits and no hex letters, so no detector ever matches a token: running the output
//! through pseudolog again changes nothing. Styles add a public prefix (`PHONE+49-`, `MAC-001565-`,
//! `IMEI-35209900-`) in front of the same letters, or turn IPs into addresses with ipcrypt-pfx under a
//! per-window key (`kind=ip-pfx`).
//!
//! With a keyring each window has its own root key, handed in by the caller; a token for a window without
//! one is an error the caller turns into a masked line (fail closed), never a panic.

use std::collections::HashMap;

use crate::cache::BoundedCache;
use crate::country_codes::COUNTRY_CODES;
use crate::detect::Kind;
use crate::ipcrypt_pfx::IpcryptPfx;
use crate::keys::{derive_kind_key, PreparedHmac, KEY_BYTES};

pub const ALPHABET: &[u8; 16] = b"ghjkmnpqrstvwxyz";
pub const TOKEN_BYTES: usize = 8;
pub const KEEP_OPTIONS: [&str; 3] = ["phone-country", "mac-oui", "imei-tac"];
pub const IP_STYLES: [&str; 2] = ["token", "prefix"];
pub const DEFAULT_CACHE_SIZE: usize = 128_000;

/// The national significant number phonenumbers accepts after the country code: 2 to 17 digits.
const NSN_LENGTHS: std::ops::RangeInclusive<usize> = 2..=17;
// Derived keys and ciphers are few (kinds x live windows); these bounds only stop a stream that wanders
// over many windows from growing them, as the Python class did.
const MAX_HMACS: usize = 256;
const MAX_PFX: usize = 64;

pub fn prefix(kind: Kind) -> &'static str {
    match kind {
        Kind::Ip => "IP",
        Kind::Phone => "PHONE",
        Kind::Mac => "MAC",
        Kind::Imei => "IMEI",
        Kind::Device => "DEV",
    }
}

/// How tokens look: which public prefixes are kept, and whether IPs stay valid addresses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    pub phone_country: bool,
    pub mac_oui: bool,
    pub imei_tac: bool,
    pub ip_prefix: bool,
}

impl Style {
    /// From the option values, with the messages `--keep` and `--ip-style` give.
    pub fn from_names<'a>(
        keep: impl IntoIterator<Item = &'a str>,
        ip_style: &str,
    ) -> Result<Style, String> {
        let mut style = Style::default();
        let mut unknown: Vec<&str> = Vec::new();
        for name in keep {
            match name {
                "phone-country" => style.phone_country = true,
                "mac-oui" => style.mac_oui = true,
                "imei-tac" => style.imei_tac = true,
                other => unknown.push(other),
            }
        }
        if let Some(first) = unknown.iter().min() {
            return Err(format!(
                "unknown --keep value '{first}'; use {}",
                KEEP_OPTIONS.join(", ")
            ));
        }
        match ip_style {
            "token" => {}
            "prefix" => style.ip_prefix = true,
            other => return Err(format!("unknown --ip-style '{other}'; use token or prefix")),
        }
        Ok(style)
    }
}

/// The country calling code of `+<digits>` where phonenumbers parses it, else None. phonenumbers takes
/// the first 1-3 digits that are a code (codes are prefix-free), then wants a national number of 2 to 17
/// digits. (It also strips a national prefix from a longer one, a case no detector produces: such a number
/// gets no kept prefix here; tests/test_native_pseudonym.py records the difference.)
pub fn country_code(e164: &str) -> Option<u16> {
    let digits = e164.strip_prefix('+')?.as_bytes();
    if !digits.iter().all(u8::is_ascii_digit) || digits.first() == Some(&b'0') {
        return None;
    }
    let mut code = 0u16;
    for (i, &d) in digits.iter().take(3).enumerate() {
        code = code * 10 + u16::from(d - b'0');
        if COUNTRY_CODES.binary_search(&code).is_ok() {
            return NSN_LENGTHS
                .contains(&(digits.len() - i - 1))
                .then_some(code);
        }
    }
    None
}

/// Appends PREFIX, the kept public part if the style keeps one, and the letters of `mac`.
pub fn write_token(kind: Kind, mac: &[u8], normalised: &str, style: &Style, out: &mut Vec<u8>) {
    out.extend_from_slice(prefix(kind).as_bytes());
    let joiner = out.len();
    out.push(b'-');
    let kept_start = out.len();
    // Python's normalised[:8]: the first eight characters.
    let head = normalised
        .char_indices()
        .nth(8)
        .map_or(normalised, |(i, _)| &normalised[..i]);
    let kept = match kind {
        Kind::Phone if style.phone_country => match country_code(normalised) {
            Some(code) => {
                out.push(b'+');
                out.extend_from_slice(code.to_string().as_bytes());
                true
            }
            None => false,
        },
        Kind::Mac if style.mac_oui => {
            out.extend(head.bytes().filter(|&c| c != b':'));
            true
        }
        Kind::Imei if style.imei_tac => {
            out.extend_from_slice(head.as_bytes());
            true
        }
        _ => false,
    };
    if kept {
        if out.get(kept_start) == Some(&b'+') {
            out.remove(joiner); // a kept "+49" joins the prefix directly: PHONE+49-...
        }
        out.push(b'-');
    }
    for &b in &mac[..TOKEN_BYTES] {
        out.push(ALPHABET[usize::from(b >> 4)]);
        out.push(ALPHABET[usize::from(b & 15)]);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowError {
    /// The time is NaN or infinite.
    NotFinite,
    /// The window start does not fit 64 bits.
    OutOfRange,
    /// The window length is zero or negative.
    BadLength,
}

/// Python's `float // float` (CPython's float_floor_div), so a time just below a window edge falls in
/// the same window as in the Python engine even where `(t / length).floor()` would round up.
fn py_floor_div(vx: f64, wx: f64) -> f64 {
    let m = vx % wx;
    let mut div = (vx - m) / wx;
    if m != 0.0 && ((wx < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div != 0.0 {
        let mut floor = div.floor();
        if div - floor > 0.5 {
            floor += 1.0;
        }
        floor
    } else {
        0.0f64.copysign(vx / wx)
    }
}

/// Below 2^53 every whole number is an f64 exactly.
const WHOLE_EXACT: f64 = 9_007_199_254_740_992.0;

/// The UTC-aligned window containing `t`: floor(t / length) * length; None for one static key.
pub fn window_start(t: f64, length: Option<i64>) -> Result<Option<i64>, WindowError> {
    let Some(length) = length else {
        return Ok(None);
    };
    if length <= 0 {
        return Err(WindowError::BadLength);
    }
    if !t.is_finite() {
        return Err(WindowError::NotFinite);
    }
    let index = if t.fract() == 0.0 && t.abs() < WHOLE_EXACT {
        // Whole seconds, as most log times are: integer floor division is Python's float one for them, without
        // the float remainder (a libm call per line).
        (t as i64).div_euclid(length) as f64
    } else {
        py_floor_div(t, length as f64)
    };
    // 2^63 is exactly representable; anything at or beyond it (or below -2^63) does not fit.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&index) {
        return Err(WindowError::OutOfRange);
    }
    (index as i64)
        .checked_mul(length)
        .map(Some)
        .ok_or(WindowError::OutOfRange)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Keyring mode, and no root key for this window (None: a keyring needs a window).
    MissingWindowKey(Option<i64>),
    /// The normalised value is not ASCII.
    NotAscii,
    /// Prefix style, and the normalised IP does not read as an address.
    NotAnAddress,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::MissingWindowKey(Some(w)) => {
                write!(f, "no keyring key for the window starting {w}")
            }
            TokenError::MissingWindowKey(None) => f.write_str("a keyring needs a window"),
            TokenError::NotAscii => f.write_str("a normalised value is not ASCII"),
            TokenError::NotAnAddress => f.write_str("a normalised IP value is not an address"),
        }
    }
}

impl std::error::Error for TokenError {}

/// Where root keys come from: one master key, or one key per window (keyring).
#[derive(Clone)]
enum Roots {
    Master(Vec<u8>),
    Keyring(HashMap<i64, Vec<u8>>),
}

/// Tokens for (kind, normalised value, window), with the HMAC state per (kind, window) keyed once and a
/// bounded cache of tokens.
#[derive(Clone)]
pub struct Pseudonymizer {
    roots: Roots,
    window_length: Option<i64>,
    style: Style,
    // Few entries, looked up on every token the cache misses: foldhash, not SipHash (keys are not the logs').
    hmacs: crate::hashing::HashMap<(Kind, Option<i64>), PreparedHmac>,
    pfx: crate::hashing::HashMap<Option<i64>, IpcryptPfx>,
    /// Per (kind, window tag, normalised value): the token (the payload).
    tokens: BoundedCache<()>,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pseudonymizer(window_length={:?})", self.window_length) // never the keys
    }
}

impl Pseudonymizer {
    /// One master key for every window.
    pub fn with_master(
        master: &[u8],
        window_length: Option<i64>,
        style: Style,
        cache_size: usize,
    ) -> Self {
        Self::new(
            Roots::Master(master.to_vec()),
            window_length,
            style,
            cache_size,
        )
    }

    /// Keyring mode: each window's root key comes from `window_keys` or a later `add_window_key`.
    pub fn with_keyring(
        window_keys: HashMap<i64, Vec<u8>>,
        window_length: Option<i64>,
        style: Style,
        cache_size: usize,
    ) -> Self {
        Self::new(
            Roots::Keyring(window_keys),
            window_length,
            style,
            cache_size,
        )
    }

    fn new(roots: Roots, window_length: Option<i64>, style: Style, cache_size: usize) -> Self {
        Pseudonymizer {
            roots,
            window_length,
            style,
            hmacs: crate::hashing::HashMap::default(),
            pfx: crate::hashing::HashMap::default(),
            tokens: BoundedCache::on_second_sighting(cache_size),
            scratch: Vec::with_capacity(64),
        }
    }

    pub fn window_length(&self) -> Option<i64> {
        self.window_length
    }

    pub fn style(&self) -> Style {
        self.style
    }

    /// How many tokens the cache holds (at most its size).
    pub fn cached_tokens(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_keyring(&self) -> bool {
        matches!(self.roots, Roots::Keyring(_))
    }

    pub fn window_of(&self, t: f64) -> Result<Option<i64>, WindowError> {
        window_start(t, self.window_length)
    }

    /// Adds (or replaces) a window's root key; false without a keyring, where there is nothing to add to.
    pub fn add_window_key(&mut self, window: i64, key: &[u8]) -> bool {
        let Roots::Keyring(keys) = &mut self.roots else {
            return false;
        };
        let replaced = keys
            .insert(window, key.to_vec())
            .is_some_and(|old| old.as_slice() != key);
        if replaced {
            self.forget_derived(window);
        }
        true
    }

    /// Drops a window's root key and all that was derived from it, tokens included (crypto-shredding in
    /// a long run). Returns whether the keyring held it.
    pub fn forget_window_key(&mut self, window: i64) -> bool {
        let Roots::Keyring(keys) = &mut self.roots else {
            return false;
        };
        let held = keys.remove(&window).is_some();
        self.forget_derived(window);
        held
    }

    fn forget_derived(&mut self, window: i64) {
        self.hmacs.retain(|(_, w), _| *w != Some(window));
        self.pfx.remove(&Some(window));
        let tag = cache_window_tag(Some(window));
        self.tokens.retain(|key| key[1..10] != tag);
    }

    pub fn has_window_key(&self, window: Option<i64>) -> bool {
        self.root(window).is_ok()
    }

    fn root(&self, window: Option<i64>) -> Result<&[u8], TokenError> {
        match &self.roots {
            Roots::Master(key) => Ok(key),
            Roots::Keyring(keys) => window
                .and_then(|w| keys.get(&w))
                .map(Vec::as_slice)
                .ok_or(TokenError::MissingWindowKey(window)),
        }
    }

    /// The derived key for a kind name (`ip`, ..., or `ip-pfx` for the prefix style) and window.
    pub fn kind_key(&self, kind: &str, window: Option<i64>) -> Result<[u8; KEY_BYTES], TokenError> {
        Ok(derive_kind_key(
            self.root(window)?,
            kind,
            window,
            self.window_length,
        ))
    }

    /// The token for a normalised value, appended to `out` (on error `out` is left as it was). The value comes
    /// as bytes, as a finding holds it: only a value not in the cache is read as text.
    pub fn write_token(
        &mut self,
        kind: Kind,
        normalised: &[u8],
        window: Option<i64>,
        out: &mut Vec<u8>,
    ) -> Result<(), TokenError> {
        self.scratch.clear();
        self.scratch.push(kind as u8);
        self.scratch.extend_from_slice(&cache_window_tag(window));
        self.scratch.extend_from_slice(normalised);
        let hashed = match self.tokens.lookup(&self.scratch) {
            Ok((hit, ())) => {
                out.extend_from_slice(hit);
                return Ok(());
            }
            Err(hashed) => hashed,
        };
        let start = out.len();
        let normalised = std::str::from_utf8(normalised).map_err(|_| TokenError::NotAscii)?;
        self.compute_token(kind, normalised, window, out)?;
        self.tokens
            .insert_hashed(hashed, &self.scratch, &out[start..], ());
        Ok(())
    }

    /// `write_token` computed afresh, without the token cache: for a caller that caches what it writes itself
    /// (a field that is one address is held by its field cache; a second copy in the token cache would cost a
    /// look-up that misses on every fresh value, and room).
    pub fn compute_token(
        &mut self,
        kind: Kind,
        normalised: &str,
        window: Option<i64>,
        out: &mut Vec<u8>,
    ) -> Result<(), TokenError> {
        if !normalised.is_ascii() {
            return Err(TokenError::NotAscii);
        }
        if kind == Kind::Ip && self.style.ip_prefix {
            self.pfx_cipher(window)?
                .encrypt_text(normalised, out)
                .map_err(|_| TokenError::NotAnAddress)?;
        } else {
            let mac = self.hmac(kind, window)?.digest(normalised.as_bytes());
            write_token(kind, &mac, normalised, &self.style, out);
        }
        Ok(())
    }

    /// The token for a normalised value.
    pub fn token(
        &mut self,
        kind: Kind,
        normalised: &str,
        window: Option<i64>,
    ) -> Result<String, TokenError> {
        let mut out = Vec::with_capacity(32);
        self.write_token(kind, normalised.as_bytes(), window, &mut out)?;
        // Tokens are ASCII (prefixes, letters, kept digits, address text); lossy only to never panic.
        Ok(String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    fn hmac(&mut self, kind: Kind, window: Option<i64>) -> Result<&PreparedHmac, TokenError> {
        if !self.hmacs.contains_key(&(kind, window)) {
            let prepared = PreparedHmac::new(&self.kind_key(kind.name(), window)?);
            if self.hmacs.len() >= MAX_HMACS {
                self.hmacs.clear();
            }
            self.hmacs.insert((kind, window), prepared);
        }
        Ok(&self.hmacs[&(kind, window)])
    }

    fn pfx_cipher(&mut self, window: Option<i64>) -> Result<&IpcryptPfx, TokenError> {
        if !self.pfx.contains_key(&window) {
            // HKDF output halves are equal with probability 2^-128; refusing such a key fails the line closed.
            let cipher = IpcryptPfx::new(&self.kind_key("ip-pfx", window)?)
                .map_err(|_| TokenError::NotAnAddress)?;
            if self.pfx.len() >= MAX_PFX {
                self.pfx.clear();
            }
            self.pfx.insert(window, cipher);
        }
        Ok(&self.pfx[&window])
    }
}

/// The window as 9 bytes of a cache key (a tag byte, then the start), so None and Some(0) differ.
fn cache_window_tag(window: Option<i64>) -> [u8; 9] {
    let mut tag = [0u8; 9];
    if let Some(w) = window {
        tag[0] = 1;
        tag[1..].copy_from_slice(&w.to_le_bytes());
    }
    tag
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn from_hex(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn vectors() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/pseudonyms.json");
        let data: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let key = from_hex(data["key_hex"].as_str().unwrap());
        let vectors = data["vectors"].as_array().unwrap();
        assert!(!vectors.is_empty());
        for v in vectors {
            let length = v["window_seconds"].as_i64();
            let window = v["window_start"].as_i64();
            let mut p = Pseudonymizer::with_master(&key, length, Style::default(), 16);
            let kind = Kind::from_name(v["kind"].as_str().unwrap()).unwrap();
            let normalised = v["normalised"].as_str().unwrap();
            assert_eq!(
                p.token(kind, normalised, window).unwrap(),
                v["expected"].as_str().unwrap(),
                "{v}"
            );
            // The second time from the cache, the same.
            assert_eq!(
                p.token(kind, normalised, window).unwrap(),
                v["expected"].as_str().unwrap()
            );
        }
    }

    #[test]
    fn a_computed_token_is_the_cached_one_and_is_not_cached() {
        let prefix = Style::from_names([], "prefix").unwrap();
        for style in [Style::default(), prefix] {
            let mut p = Pseudonymizer::with_master(&[7u8; 32], Some(86_400), style, 16);
            for (kind, value) in [
                (Kind::Ip, "192.0.2.1"),
                (Kind::Ip, "2001:db8::1"),
                (Kind::Phone, "+4930123456"),
            ] {
                // Twice: the token cache stores a value at its second sighting.
                let mut computed = Vec::new();
                p.compute_token(kind, value, Some(0), &mut computed)
                    .unwrap();
                computed.clear();
                p.compute_token(kind, value, Some(0), &mut computed)
                    .unwrap();
                assert_eq!(p.cached_tokens(), 0);
                assert_eq!(computed, p.token(kind, value, Some(0)).unwrap().as_bytes());
                p.tokens.retain(|_| false);
            }
            let mut out = b"kept".to_vec();
            assert_eq!(
                p.compute_token(Kind::Ip, "192.0.2.\u{e9}", None, &mut out),
                Err(TokenError::NotAscii)
            );
            assert_eq!(out, b"kept");
        }
    }

    #[test]
    fn every_kind_has_its_prefix_and_sixteen_letters() {
        let mut p = Pseudonymizer::with_master(&[3u8; 32], None, Style::default(), 16);
        for kind in Kind::ALL {
            let token = p.token(kind, "x", None).unwrap();
            let (head, letters) = token.split_once('-').unwrap();
            assert_eq!(head, prefix(kind));
            assert_eq!(letters.len(), 16);
            assert!(letters.bytes().all(|b| ALPHABET.contains(&b)));
        }
    }

    #[test]
    fn kept_prefixes() {
        let style = Style::from_names(KEEP_OPTIONS, "token").unwrap();
        let mut kept = Pseudonymizer::with_master(&[5u8; 32], None, style, 16);
        let mut plain = Pseudonymizer::with_master(&[5u8; 32], None, Style::default(), 16);
        let cases = [
            (Kind::Phone, "+4930123456", "PHONE+49-"),
            (Kind::Phone, "+12025550123", "PHONE+1-"),
            (Kind::Phone, "+8816123456", "PHONE+881-"),
            (Kind::Phone, "+491", "PHONE-"), // national number too short: phonenumbers refuses it
            (Kind::Phone, "+0123456", "PHONE-"), // no country code starts with 0
            (Kind::Phone, "+2801234567", "PHONE-"), // 280 is not a country code
            (Kind::Phone, "DE:301234", "PHONE-"), // not international
            (Kind::Mac, "00:15:65:ab:cd:ef", "MAC-001565-"),
            (Kind::Mac, "", "MAC--"),
            (Kind::Imei, "490154203237518", "IMEI-49015420-"),
            (Kind::Imei, "4901", "IMEI-4901-"),
            (Kind::Ip, "192.0.2.1", "IP-"),
            (Kind::Device, "urn:uuid:x", "DEV-"),
        ];
        for (kind, value, head) in cases {
            let token = kept.token(kind, value, None).unwrap();
            let letters = &plain.token(kind, value, None).unwrap()[prefix(kind).len() + 1..];
            assert_eq!(token, format!("{head}{letters}"), "{value}");
        }
    }

    #[test]
    fn country_codes_are_prefix_free_and_sorted() {
        assert!(COUNTRY_CODES.windows(2).all(|w| w[0] < w[1]));
        for &a in COUNTRY_CODES {
            for &b in COUNTRY_CODES {
                let (a, b) = (a.to_string(), b.to_string());
                assert!(a == b || !b.starts_with(&a), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn style_errors_name_the_option() {
        assert_eq!(
            Style::from_names(["zz", "everything"], "token").unwrap_err(),
            "unknown --keep value 'everything'; use phone-country, mac-oui, imei-tac"
        );
        assert_eq!(
            Style::from_names([], "hash").unwrap_err(),
            "unknown --ip-style 'hash'; use token or prefix"
        );
    }

    #[test]
    fn windows() {
        assert_eq!(
            window_start(1_795_250_000.5, Some(86400)),
            Ok(Some(1_795_219_200))
        );
        assert_eq!(window_start(-1.0, Some(3600)), Ok(Some(-3600)));
        assert_eq!(window_start(f64::NAN, None), Ok(None));
        assert_eq!(
            window_start(f64::NAN, Some(60)),
            Err(WindowError::NotFinite)
        );
        assert_eq!(window_start(1e300, Some(60)), Err(WindowError::OutOfRange));
        assert_eq!(window_start(1.0, Some(0)), Err(WindowError::BadLength));
        // Just below an edge, far out: t / length rounds up to the edge, Python's floor division does not.
        let t: f64 = 5.097_772_914_937_307_5e17;
        assert_eq!((t / 3600.0).floor(), 141_604_803_192_703.0);
        assert_eq!(
            window_start(t, Some(3600)),
            Ok(Some(509_777_291_493_727_200))
        );
    }

    #[test]
    fn keyring_windows_without_a_key_are_reported() {
        let mut p = Pseudonymizer::with_keyring(HashMap::new(), Some(3600), Style::default(), 16);
        assert_eq!(
            p.token(Kind::Ip, "192.0.2.1", Some(0)),
            Err(TokenError::MissingWindowKey(Some(0)))
        );
        assert_eq!(
            p.token(Kind::Ip, "192.0.2.1", None),
            Err(TokenError::MissingWindowKey(None))
        );
        assert!(p.add_window_key(0, &[9u8; 32]));
        let token = p.token(Kind::Ip, "192.0.2.1", Some(0)).unwrap();
        let mut master = Pseudonymizer::with_master(&[9u8; 32], Some(3600), Style::default(), 16);
        assert_eq!(master.token(Kind::Ip, "192.0.2.1", Some(0)).unwrap(), token);
        assert_eq!(
            p.token(Kind::Ip, "192.0.2.1", Some(3600)),
            Err(TokenError::MissingWindowKey(Some(3600)))
        );
        assert!(p.forget_window_key(0));
        assert_eq!(
            p.token(Kind::Ip, "192.0.2.1", Some(0)),
            Err(TokenError::MissingWindowKey(Some(0)))
        );
        let prefix_style = Style::from_names([], "prefix").unwrap();
        let mut pfx = Pseudonymizer::with_keyring(HashMap::new(), Some(3600), prefix_style, 16);
        assert_eq!(
            pfx.token(Kind::Ip, "192.0.2.1", Some(0)),
            Err(TokenError::MissingWindowKey(Some(0)))
        );
    }

    #[test]
    fn a_replaced_window_key_drops_what_the_old_one_made() {
        let mut p = Pseudonymizer::with_keyring(HashMap::new(), Some(3600), Style::default(), 16);
        p.add_window_key(0, &[1u8; 32]);
        let first = p.token(Kind::Ip, "192.0.2.1", Some(0)).unwrap();
        p.add_window_key(0, &[2u8; 32]);
        assert_ne!(p.token(Kind::Ip, "192.0.2.1", Some(0)).unwrap(), first);
    }

    #[test]
    fn errors_leave_out_untouched() {
        let mut p = Pseudonymizer::with_master(
            &[1u8; 32],
            None,
            Style::from_names([], "prefix").unwrap(),
            16,
        );
        let mut out = b"a ".to_vec();
        let missing = p.write_token(Kind::Ip, b"not an ip", None, &mut out);
        assert_eq!(missing, Err(TokenError::NotAnAddress));
        let not_ascii = p.write_token(Kind::Phone, "+49ä".as_bytes(), None, &mut out);
        assert_eq!(not_ascii, Err(TokenError::NotAscii));
        assert_eq!(out, b"a ");
        p.write_token(Kind::Ip, b"192.0.2.1", None, &mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("a ") && text[2..].parse::<std::net::Ipv4Addr>().is_ok());
    }

    #[test]
    fn the_engine_can_move_it_to_a_worker_thread() {
        fn send_and_sync<T: Send + Sync + Clone>() {}
        send_and_sync::<Pseudonymizer>();
    }

    #[test]
    fn the_static_window_and_window_zero_are_cached_apart() {
        let mut p = Pseudonymizer::with_master(&[1u8; 32], Some(60), Style::default(), 16);
        assert_ne!(
            p.token(Kind::Ip, "x", None).unwrap(),
            p.token(Kind::Ip, "x", Some(0)).unwrap()
        );
    }

    /// CPU time of this thread in seconds (Linux schedstat): the machine may be shared, wall time lies.
    fn thread_cpu_seconds() -> f64 {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
        text.split_whitespace()
            .next()
            .and_then(|ns| ns.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1e9
    }

    #[test]
    #[ignore = "a measurement, not a test: cargo test --release --lib -- --ignored --nocapture bench"]
    fn bench_tokens() {
        let n = 2_000_000u32;
        let values: Vec<String> = (0..n)
            .map(|i| format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255))
            .collect();
        for (name, style) in [
            ("token", Style::default()),
            ("prefix", Style::from_names([], "prefix").unwrap()),
        ] {
            let count = if style.ip_prefix { n / 4 } else { n } as usize;
            let mut out = Vec::with_capacity(64);
            // Fresh values, with and without the cache (which then only costs its insertions).
            for cache_size in [DEFAULT_CACHE_SIZE, 0] {
                let mut p = Pseudonymizer::with_master(&[7u8; 32], Some(86400), style, cache_size);
                let started = thread_cpu_seconds();
                for value in &values[..count] {
                    out.clear();
                    p.write_token(Kind::Ip, value.as_bytes(), Some(0), &mut out)
                        .unwrap();
                }
                let fresh = thread_cpu_seconds() - started;
                println!(
                    "{name}, cache {cache_size}: fresh values {:.0} tokens/s ({:.0} ns each, CPU time)",
                    count as f64 / fresh,
                    fresh * 1e9 / count as f64
                );
            }
            // Repeating values: 10k distinct, all in the cache.
            let mut p =
                Pseudonymizer::with_master(&[7u8; 32], Some(86400), style, DEFAULT_CACHE_SIZE);
            let started = thread_cpu_seconds();
            for value in values[..10_000].iter().cycle().take(count) {
                out.clear();
                p.write_token(Kind::Ip, value.as_bytes(), Some(0), &mut out)
                    .unwrap();
            }
            let cached = thread_cpu_seconds() - started;
            println!(
                "{name}: repeating values {:.0} ns each",
                cached * 1e9 / count as f64
            );
        }
    }

    proptest! {
        #[test]
        fn tokens_are_stable_and_never_hold_digits(value in "[ -~]{0,40}", window in proptest::option::of(-1000i64..1000)) {
            let mut p = Pseudonymizer::with_master(&[4u8; 32], Some(60), Style::default(), 4);
            let first = p.token(Kind::Phone, &value, window).unwrap();
            for i in 0..5 {
                p.token(Kind::Phone, &format!("{value}{i}"), window).unwrap();
            }
            prop_assert_eq!(p.token(Kind::Phone, &value, window).unwrap(), first.clone());
            prop_assert!(first.strip_prefix("PHONE-").unwrap().bytes().all(|b| ALPHABET.contains(&b)));
        }

        #[test]
        fn whole_seconds_fall_in_the_window_python_gives(
            t in -9_007_199_254_740_991i64..9_007_199_254_740_991,
            length in 1i64..2_000_000_000,
            fraction in prop::sample::select(vec![0.0, 0.25, 0.5]),
        ) {
            let t = t as f64 + fraction;
            let by_python = py_floor_div(t, length as f64) as i64 * length;
            prop_assert_eq!(window_start(t, Some(length)), Ok(Some(by_python)));
        }

        #[test]
        fn country_code_never_panics(text in "\\+?[0-9]{0,25}") {
            if let Some(code) = country_code(&text) {
                prop_assert!(text[1..].starts_with(&code.to_string()));
            }
        }
    }
}
