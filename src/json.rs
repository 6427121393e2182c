//! JSON lines (tests/reference/formats.py): which byte ranges of a line are keys and values to scan, and
//! what kind each value's key names. A line fits when it is one JSON object exactly as orjson reads it (strict
//! RFC 8259, valid UTF-8, at most 1024 levels of nesting, JSON blanks only around it).
//!
//! Ranges are the raw bytes between a string's quotes (escapes as written) and, under a phone or IMEI key, an
//! integer's digits; the line is never re-encoded. Every occurrence of a duplicated key is reported (orjson
//! keeps only the last, which the Python codec then writes back; keeping the line means scanning them all).

use memchr::{memchr, memchr2};

use crate::cache::BoundedCache;
use crate::detect::{ends_with_ignore_case, Kind};
use crate::hashing::HashMap;
use crate::layout::{Hint, Value};

/// orjson's nesting limit: 1024 arrays and objects inside each other.
pub const MAX_DEPTH: usize = 1024;

/// Built-in key names (after `key_name`) and the kind they name.
const KEY_KINDS: &[(&str, Kind)] = &[
    ("ip", Kind::Ip),
    ("ip_address", Kind::Ip),
    ("ipaddr", Kind::Ip),
    ("client", Kind::Ip),
    ("client_ip", Kind::Ip),
    ("clientip", Kind::Ip),
    ("remote_ip", Kind::Ip),
    ("remote_addr", Kind::Ip),
    ("remoteaddr", Kind::Ip),
    ("src_ip", Kind::Ip),
    ("source_ip", Kind::Ip),
    ("dst_ip", Kind::Ip),
    ("destination_ip", Kind::Ip),
    ("peer_ip", Kind::Ip),
    ("x_forwarded_for", Kind::Ip),
    ("xff", Kind::Ip),
    ("received", Kind::Ip),
    ("contact_ip", Kind::Ip),
    ("media_ip", Kind::Ip),
    ("rtp_ip", Kind::Ip),
    ("public_ip", Kind::Ip),
    ("caller", Kind::Phone),
    ("callee", Kind::Phone),
    ("calling", Kind::Phone),
    ("called", Kind::Phone),
    ("msisdn", Kind::Phone),
    ("phone", Kind::Phone),
    ("phone_number", Kind::Phone),
    ("phonenumber", Kind::Phone),
    ("number", Kind::Phone),
    ("from_number", Kind::Phone),
    ("to_number", Kind::Phone),
    ("caller_id", Kind::Phone),
    ("callerid", Kind::Phone),
    ("caller_number", Kind::Phone),
    ("callee_number", Kind::Phone),
    ("cli", Kind::Phone),
    ("clid", Kind::Phone),
    ("ani", Kind::Phone),
    ("dnis", Kind::Phone),
    ("did", Kind::Phone),
    ("a_number", Kind::Phone),
    ("b_number", Kind::Phone),
    ("anumber", Kind::Phone),
    ("bnumber", Kind::Phone),
    ("e164", Kind::Phone),
    ("src_number", Kind::Phone),
    ("dst_number", Kind::Phone),
    ("caller_id_number", Kind::Phone),
    ("destination_number", Kind::Phone),
    ("mobile", Kind::Phone),
    ("tel", Kind::Phone),
    ("telephone", Kind::Phone),
    ("dialed_number", Kind::Phone),
    ("mac", Kind::Mac),
    ("mac_address", Kind::Mac),
    ("macaddress", Kind::Mac),
    ("macaddr", Kind::Mac),
    ("hwaddr", Kind::Mac),
    ("hw_addr", Kind::Mac),
    ("device_mac", Kind::Mac),
    ("imei", Kind::Imei),
    ("imeisv", Kind::Imei),
    ("device_imei", Kind::Imei),
    ("sip_instance", Kind::Device),
    ("instance_id", Kind::Device),
    ("sip_instance_id", Kind::Device),
];

/// The top-level keys whose value is the event time, in the order jsonlines.py tries them.
pub const TIME_KEYS: [&str; 9] = [
    "@timestamp",
    "timestamp",
    "time",
    "ts",
    "datetime",
    "date",
    "event_time",
    "start_time",
    "logged_at",
];

/// A candidate event time: `line[start..end]` is a top-level string's raw content or a number's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeValue {
    pub start: usize,
    pub end: usize,
    pub number: bool,
}

const SUFFIX_KINDS: &[(&str, Kind)] = &[
    ("_ip", Kind::Ip),
    ("_ipv4", Kind::Ip),
    ("_ipv6", Kind::Ip),
    ("_mac", Kind::Mac),
    ("_imei", Kind::Imei),
    ("_msisdn", Kind::Phone),
    ("_phone", Kind::Phone),
];

/// Python's `str.isspace`: Unicode White_Space plus the ASCII separators \x1c..\x1f.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// jsonlines._key_name: stripped, lower case, `-`, `.` and blanks made `_`.
pub fn key_name(key: &str) -> String {
    key.trim_matches(py_space)
        .to_lowercase()
        .chars()
        .map(|c| if matches!(c, '-' | '.' | ' ') { '_' } else { c })
        .collect()
}

#[derive(Clone, Debug)]
pub struct JsonLayout {
    /// Normalised key name to the kind it names (None: plain text): the `--json-field KEY=KIND` rules, then the
    /// built-in names. One lookup per key, where the lists were read through on every key of every line.
    names: HashMap<Box<[u8]>, Option<Kind>>,
    /// Which layout this is, for a [`KeyMemo`] that several layouts share (their rules may differ).
    id: u64,
}

impl Default for JsonLayout {
    fn default() -> Self {
        JsonLayout::new(&[]).expect("no rules")
    }
}

/// JSON's insignificant whitespace (RFC 8259).
fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

impl JsonLayout {
    /// Rules as given on the command line: (key, kind name or "text").
    pub fn new(rules: &[(String, String)]) -> Result<JsonLayout, String> {
        let mut names = HashMap::default();
        for (key, kind) in rules {
            let kind = match kind.as_str() {
                "text" => None,
                name => Some(
                    Kind::from_name(name)
                        .ok_or_else(|| format!("json rule: unknown kind {name:?}"))?,
                ),
            };
            // The first rule for a name wins, as the first match did.
            names
                .entry(key_name(key).into_bytes().into_boxed_slice())
                .or_insert(kind);
        }
        for &(name, kind) in KEY_KINDS {
            names.entry(name.as_bytes().into()).or_insert(Some(kind));
        }
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(JsonLayout { names, id })
    }

    /// The kind a key names: the rules first, then the built-in names, then the suffixes.
    pub fn kind_of(&self, key: &str) -> Option<Kind> {
        // Called once per distinct key of a stream (the readers remember what a key names: KeyMemo).
        let name = key_name(key);
        let name = name.as_bytes();
        if let Some(&kind) = self.names.get(name) {
            return kind;
        }
        SUFFIX_KINDS
            .iter()
            .find(|(s, _)| name.ends_with(s.as_bytes()))
            .map(|&(_, kind)| kind)
    }

    /// Whether the line is a JSON object (JsonLinesFormat.parse is not None).
    pub fn parse(&self, line: &[u8]) -> Option<Vec<Value>> {
        self.values(line)
    }

    /// Keys (as text), string values (as their key's kind, inherited through arrays) and integers under phone
    /// and IMEI keys; None when the line is not one JSON object. Empty strings are left out.
    pub fn values(&self, line: &[u8]) -> Option<Vec<Value>> {
        self.read(line).map(|(values, _)| values)
    }

    /// The values, and the event time candidates in the order JsonLinesFormat.event_time tries them: for each
    /// of TIME_KEYS present at the top level (its last occurrence, as orjson keeps it) whose value is a string
    /// or a number. The engine takes the first that parses (a number: when positive).
    pub fn read(&self, line: &[u8]) -> Option<(Vec<Value>, Vec<TimeValue>)> {
        self.read_with(line, &mut KeyMemo::default())
    }

    /// `read`, with what each key tells remembered in `memo` across the lines of a stream.
    pub fn read_with(
        &self,
        line: &[u8],
        memo: &mut KeyMemo,
    ) -> Option<(Vec<Value>, Vec<TimeValue>)> {
        // Most lines that reach here are no object (a syslog payload in plain text): turned away before the
        // UTF-8 check and the values' buffer.
        if line.iter().find(|&&c| !is_blank(c)) != Some(&b'{') {
            return None;
        }
        std::str::from_utf8(line).ok()?;
        let mut r = Reader {
            line,
            p: 0,
            out: Vec::with_capacity(16), // most lines hold fewer values: one allocation
            layout: self,
            memo,
            times: [None; TIME_KEYS.len()],
            time_key: None,
            version_key: false,
        };
        r.blanks();
        r.document()?;
        r.blanks();
        (r.p == line.len()).then(|| (r.out, r.times.iter().flatten().copied().collect()))
    }
}

/// Four hex digits at `line[q..]`.
fn hex4(line: &[u8], q: usize) -> Option<u32> {
    line.get(q..q + 4)?
        .iter()
        .try_fold(0u32, |n, &b| Some(n * 16 + (b as char).to_digit(16)?))
}

/// The character the escape at `line[q]` (a backslash) stands for, and the escape's length; None for an escape
/// RFC 8259 does not allow, or a surrogate without its pair.
fn escape_at(line: &[u8], q: usize) -> Option<(char, usize)> {
    let c = match *line.get(q + 1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hi = hex4(line, q + 2)?;
            if !(0xD800..0xDC00).contains(&hi) {
                return Some((char::from_u32(hi)?, 6));
            }
            // A high surrogate must be followed by an escaped low one.
            if line.get(q + 6..q + 8) != Some(b"\\u") {
                return None;
            }
            let lo = hex4(line, q + 8)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return None;
            }
            return Some((
                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?,
                12,
            ));
        }
        _ => return None,
    };
    Some((c, 2))
}

/// The text a string's content stands for (`raw`: the bytes between its quotes, as `values` gives them), added
/// to `out`; None when `raw` is no string content.
pub fn unescape(raw: &[u8], out: &mut String) -> Option<()> {
    let mut q = 0;
    loop {
        let k = memchr(b'\\', &raw[q..]).unwrap_or(raw.len() - q);
        out.push_str(std::str::from_utf8(&raw[q..q + k]).ok()?);
        q += k;
        if q == raw.len() {
            return Some(());
        }
        let (c, len) = escape_at(raw, q)?;
        out.push(c);
        q += len;
    }
}

/// `text` written as a string's content: quotes, backslashes and control characters escaped, the rest as it is.
pub fn escape_into(text: &[u8], out: &mut Vec<u8>) {
    for &b in text {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
}

enum Frame {
    /// An object; the kind its current key names.
    Object,
    /// An array of values of this kind.
    Array(Option<Kind>),
}

/// What a key tells the reader: the kind it names, its place among TIME_KEYS, whether it names a version.
#[derive(Clone, Copy)]
struct KeyFacts {
    kind: Option<Kind>,
    time_key: Option<usize>,
    version: bool,
}

/// Keys whose facts are held (a stream's lines share a few dozen keys), and the longest key held: together they
/// bound the memo's bytes, whatever keys hostile lines bring.
const KEYS_HELD: usize = 1024;
const KEY_MEMO_MAX: usize = 128;

/// The facts of the keys read so far, by their raw bytes: the keys of a stream repeat on every line, and naming
/// one (normalising it, looking it up, checking the time keys and version suffixes) cost a fifth of a JSON line.
/// Layouts may share one memo: a key's facts are held under the layout's id and the key (built in the buffer).
pub struct KeyMemo {
    facts: BoundedCache<KeyFacts>,
    /// The key being looked up: the layout's id, then the key's raw bytes.
    key: Vec<u8>,
}

impl Default for KeyMemo {
    fn default() -> Self {
        KeyMemo {
            facts: BoundedCache::new(KEYS_HELD),
            key: Vec::new(),
        }
    }
}

struct Reader<'a> {
    line: &'a [u8],
    p: usize,
    out: Vec<Value>,
    layout: &'a JsonLayout,
    memo: &'a mut KeyMemo,
    /// Per TIME_KEYS entry: the last top-level value under it, if a string or number.
    times: [Option<TimeValue>; TIME_KEYS.len()],
    /// The TIME_KEYS entry the value being read is under (top level only).
    time_key: Option<usize>,
    /// The last key names a version (`app_version`, `fw`): a dotted number under it is no address (issue 22).
    version_key: bool,
}

impl Reader<'_> {
    fn blanks(&mut self) {
        while self.line.get(self.p).is_some_and(|&c| is_blank(c)) {
            self.p += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.blanks();
        if self.line.get(self.p) == Some(&b) {
            self.p += 1;
            true
        } else {
            false
        }
    }

    /// A string at `p` (on its opening quote): the range of its content, and whether it holds an escape. Its
    /// escapes are checked here; `unescape` gives its text where that is needed.
    fn string(&mut self) -> Option<((usize, usize), bool)> {
        let start = self.p + 1;
        let mut q = start;
        let mut escaped = false;
        loop {
            // Control bytes are refused below; quotes and backslashes are the only other stops.
            let k = memchr2(b'"', b'\\', &self.line[q..])?;
            if self.line[q..q + k].iter().any(|&b| b < 0x20) {
                return None;
            }
            q += k;
            if self.line[q] == b'"' {
                self.p = q + 1;
                return Some(((start, q), escaped));
            }
            escaped = true;
            q += escape_at(self.line, q)?.1;
        }
    }

    /// A number at `p`: its end and whether Python gets an int from it (orjson: no fraction or exponent, and
    /// within 64 bits; larger integers become floats).
    fn number(&mut self) -> Option<(usize, bool)> {
        let line = self.line;
        let start = self.p;
        let mut q = start;
        if line.get(q) == Some(&b'-') {
            q += 1;
        }
        let digits = |q: usize| line[q..].iter().take_while(|b| b.is_ascii_digit()).count();
        let int = digits(q);
        if int == 0 || (int > 1 && line[q] == b'0') {
            return None;
        }
        q += int;
        let mut integer = true;
        if line.get(q) == Some(&b'.') {
            let f = digits(q + 1);
            if f == 0 {
                return None;
            }
            q += 1 + f;
            integer = false;
        }
        if matches!(line.get(q), Some(b'e' | b'E')) {
            q += 1;
            if matches!(line.get(q), Some(b'+' | b'-')) {
                q += 1;
            }
            let e = digits(q);
            if e == 0 {
                return None;
            }
            q += e;
            integer = false;
        }
        let text = std::str::from_utf8(&line[start..q]).ok()?;
        let fits = integer && (text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok());
        if !fits && !text.parse::<f64>().ok()?.is_finite() {
            return None; // orjson: "number is infinity when parsed as double"
        }
        self.p = q;
        Some((q, fits))
    }

    fn push(&mut self, start: usize, end: usize, kind: Option<Kind>, number: bool, escaped: bool) {
        if end > start {
            self.out.push(Value {
                start,
                end,
                hint: Hint::Json {
                    kind,
                    number,
                    escaped,
                },
            });
        }
    }

    /// One value (the document's object included) without recursion: a stack of open containers.
    fn document(&mut self) -> Option<()> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut kind: Option<Kind> = None; // what the next value's key names
        loop {
            // A value.
            self.blanks();
            let time_key = self.time_key.take();
            if let Some(t) = time_key {
                self.times[t] = None; // a later duplicate replaces an earlier one, whatever it holds
            }
            match *self.line.get(self.p)? {
                b'{' => {
                    self.p += 1;
                    if stack.len() == MAX_DEPTH {
                        return None;
                    }
                    stack.push(Frame::Object);
                    if self.eat(b'}') {
                        stack.pop();
                    } else {
                        kind = self.key(stack.len())?;
                        continue;
                    }
                }
                b'[' => {
                    self.p += 1;
                    if stack.len() == MAX_DEPTH {
                        return None;
                    }
                    stack.push(Frame::Array(kind));
                    if self.eat(b']') {
                        stack.pop();
                    } else {
                        continue;
                    }
                }
                b'"' => {
                    let ((s, e), escaped) = self.string()?;
                    let version = std::mem::take(&mut self.version_key)
                        && kind.is_none()
                        && self.line[s..e]
                            .iter()
                            .all(|c| c.is_ascii_digit() || *c == b'.');
                    if !version {
                        self.push(s, e, kind, false, escaped);
                    }
                    if let Some(t) = time_key {
                        self.times[t] = Some(TimeValue {
                            start: s,
                            end: e,
                            number: false,
                        });
                    }
                }
                b't' | b'f' | b'n' => {
                    let word: &[u8] = match self.line[self.p] {
                        b't' => b"true",
                        b'f' => b"false",
                        _ => b"null",
                    };
                    if !self.line[self.p..].starts_with(word) {
                        return None;
                    }
                    self.p += word.len();
                }
                _ => {
                    let start = self.p;
                    let (end, int) = self.number()?;
                    if let Some(t) = time_key {
                        self.times[t] = Some(TimeValue {
                            start,
                            end,
                            number: true,
                        });
                    }
                    if int && matches!(kind, Some(Kind::Phone | Kind::Imei)) {
                        self.push(start, end, kind, true, false);
                    }
                }
            }
            // After a value: close containers, or go on to the next member or element.
            loop {
                let Some(top) = stack.last() else {
                    return Some(());
                };
                match top {
                    Frame::Object => {
                        if self.eat(b',') {
                            kind = self.key(stack.len())?;
                            break;
                        }
                        if !self.eat(b'}') {
                            return None;
                        }
                    }
                    Frame::Array(k) => {
                        let k = *k;
                        if self.eat(b',') {
                            kind = k;
                            break;
                        }
                        if !self.eat(b']') {
                            return None;
                        }
                    }
                }
                stack.pop();
            }
        }
    }

    /// `"key" :` inside an object; the key's range is scanned as text. Returns the kind the key names.
    fn key(&mut self, depth: usize) -> Option<Option<Kind>> {
        self.blanks();
        if self.line.get(self.p) != Some(&b'"') {
            return None;
        }
        let line = self.line;
        let ((s, e), escaped) = self.string()?;
        if e - s > KEY_MEMO_MAX {
            // A key this long is no stream's schema: read it, never hold it (the memo's bytes stay bounded).
            let facts = self.facts(s, e, escaped)?;
            return self.after_key(s, e, escaped, depth, facts);
        }
        let memo_key = &mut self.memo.key;
        memo_key.clear();
        memo_key.extend_from_slice(&self.layout.id.to_le_bytes());
        memo_key.extend_from_slice(&line[s..e]);
        let facts = match self.memo.facts.get(&self.memo.key) {
            Some((_, &facts)) => facts,
            None => {
                let facts = self.facts(s, e, escaped)?;
                self.memo.facts.insert(&self.memo.key, b"", facts);
                facts
            }
        };
        self.after_key(s, e, escaped, depth, facts)
    }

    /// The key at `line[s..e]` read, with its facts: its colon, and what the value after it is read as.
    fn after_key(
        &mut self,
        s: usize,
        e: usize,
        escaped: bool,
        depth: usize,
        facts: KeyFacts,
    ) -> Option<Option<Kind>> {
        self.push(s, e, None, false, escaped);
        if !self.eat(b':') {
            return None;
        }
        if depth == 1 {
            self.time_key = facts.time_key;
        }
        self.version_key = facts.version;
        Some(facts.kind)
    }

    /// The facts of the key whose content is `line[s..e]`.
    fn facts(&self, s: usize, e: usize, escaped: bool) -> Option<KeyFacts> {
        let raw = &self.line[s..e];
        // Keys seldom hold an escape: read in place, decoded only when escaped.
        let mut decoded = String::new();
        let text = if escaped {
            unescape(raw, &mut decoded)?;
            decoded.as_str()
        } else {
            std::str::from_utf8(raw).ok()?
        };
        Some(KeyFacts {
            kind: self.layout.kind_of(text),
            time_key: TIME_KEYS.iter().position(|k| *k == text),
            version: ["version", "_ver", "firmware", "fw", "sw_version", "build"]
                .iter()
                .any(|v| ends_with_ignore_case(text.as_bytes(), v.as_bytes())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(line: &str) -> Option<Vec<(String, String)>> {
        let layout = JsonLayout::new(&[
            ("X-Caller".into(), "phone".into()),
            ("ip".into(), "text".into()),
        ])
        .unwrap();
        layout.values(line.as_bytes()).map(|v| {
            v.iter()
                .map(|v| (line[v.start..v.end].to_string(), v.hint.label()))
                .collect()
        })
    }

    #[test]
    fn long_keys_are_read_but_not_held() {
        let layout = JsonLayout::default();
        let mut memo = KeyMemo::default();
        let key = "k".repeat(KEY_MEMO_MAX + 1) + "_ip";
        let line = format!(r#"{{"{key}":"203.0.113.7","ip":"198.51.100.1"}}"#);
        let (values, _) = layout.read_with(line.as_bytes(), &mut memo).unwrap();
        assert_eq!(
            values[1].hint,
            Hint::Json {
                kind: Some(Kind::Ip),
                number: false,
                escaped: false,
            }
        );
        assert_eq!(memo.facts.len(), 1); // "ip" only
    }

    #[test]
    fn layouts_sharing_a_memo_keep_their_own_rules() {
        let plain = JsonLayout::new(&[("ip".into(), "text".into())]).unwrap();
        let builtin = JsonLayout::default();
        let mut memo = KeyMemo::default();
        let line = br#"{"ip":"203.0.113.7"}"#;
        for _ in 0..2 {
            for (layout, want) in [(&plain, None), (&builtin, Some(Kind::Ip))] {
                let (values, _) = layout.read_with(line, &mut memo).unwrap();
                assert_eq!(
                    values[1].hint,
                    Hint::Json {
                        kind: want,
                        number: false,
                        escaped: false,
                    }
                );
            }
        }
    }

    #[test]
    fn keys_name_their_values_kind() {
        let got = labels(r#" {"client_ip":"203.0.113.7","caller":4930123456,"n":[{"imei":["1",2]}],"x.caller":"+49","ip":"a"} "#)
            .unwrap();
        let want = [
            ("client_ip", "text"),
            ("203.0.113.7", "ip"),
            ("caller", "text"),
            ("4930123456", "phone+number"),
            ("n", "text"),
            ("imei", "text"),
            ("1", "imei"),
            ("2", "imei+number"),
            ("x.caller", "text"),
            ("+49", "phone"),
            ("ip", "text"),
            ("a", "text"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn event_time_candidates_in_key_order() {
        let layout = JsonLayout::default();
        let line =
            br#"{"time":1.5,"ts":"x","a":{"date":"no"},"@timestamp":"2026","ts":"y","date":[1]}"#;
        let (_, times) = layout.read(line).unwrap();
        let got: Vec<_> = times
            .iter()
            .map(|t| (&line[t.start..t.end], t.number))
            .collect();
        assert_eq!(
            got,
            [
                (&b"2026"[..], false),
                (&b"1.5"[..], true),
                (&b"y"[..], false)
            ]
        );
    }

    #[test]
    fn only_what_orjson_reads() {
        for bad in [
            "[1]",
            "{\"a\":1,}",
            "{\"a\":01}",
            "{\"a\":1e400}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\u{1}\"}",
            "\u{b}{}",
            "{} x",
            "{\"a\":tru}",
        ] {
            assert_eq!(labels(bad), None, "{bad:?}");
        }
        assert_eq!(
            labels("{\"a\":\"\\uD834\\uDD1E\",\"b\":123456789012345678901234567890}")
                .map(|v| v.len()),
            Some(3)
        );
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(labels(&format!("{{\"a\":{}}}", deep(MAX_DEPTH - 1))).is_some());
        assert!(labels(&format!("{{\"a\":{}}}", deep(MAX_DEPTH))).is_none());
    }

    proptest::proptest! {
        /// Any text written with `escape_into` is one string the reader takes, and `unescape` gives it back.
        #[test]
        fn escaped_text_reads_back(text in "(\\PC|[\"\\\\/\u{0}-\u{1f}])*") {
            let mut content = Vec::new();
            escape_into(text.as_bytes(), &mut content);
            let line = [&b"{\"k\":\""[..], &content, b"\"}"].concat();
            let values = JsonLayout::default().values(&line);
            proptest::prop_assert!(values.is_some(), "{:?}", String::from_utf8_lossy(&line));
            let mut back = String::new();
            proptest::prop_assert!(unescape(&content, &mut back).is_some());
            proptest::prop_assert_eq!(back, text);
        }
    }

    #[test]
    fn unescape_reads_every_escape() {
        let mut out = String::new();
        let raw = br#"a\"b\\c\/d\b\f\n\r\t\u002B49\uD834\uDD1E\u00e9"#;
        assert_eq!(unescape(raw, &mut out), Some(()));
        assert_eq!(out, "a\"b\\c/d\u{8}\u{c}\n\r\t+49\u{1D11E}\u{e9}");
        for bad in [
            &br"\x"[..],
            br"\u12",
            br"\uD800",
            br"\uDC00",
            br"\",
            b"\xff",
        ] {
            assert_eq!(unescape(bad, &mut String::new()), None, "{bad:?}");
        }
    }
}
