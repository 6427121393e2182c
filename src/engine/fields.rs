//! What happens to a value of a given role (tests/reference/core/fields.py and the field caches of scrub.py): every
//! codec hands its values here, so pattern, CSV and JSON lines pseudonymise the same way.

use crate::cache::{BoundedCache, Hashed};
use crate::detect::device::{normalise_imei, normalise_mac};
use crate::detect::ip::{normalise_ip, whole_address};
use crate::detect::phone::{digit_count, normalise_phone, MIN_CONTEXT_DIGITS};
use crate::detect::phone_rules::Region;
use crate::detect::sip::normalise_device;
use crate::detect::Kind;
use crate::pseudonym::{Pseudonymizer, TokenError};
use crate::scrub::{self, Reading, Scrubber, Tokeniser};

/// Values longer than these are not cached: they seldom repeat, and would let the caches grow large.
const FIELD_CACHE_MAX: usize = 256;
const AGENT_CACHE_MAX: usize = 512;
/// Windows whose caches are held at once: enough for lines interleaved across one boundary.
const WINDOWS_HELD: usize = 2;

/// What to do with one value of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A field whose values repeat: scanned, cached per window, read as its place says.
    Field(Reading),
    /// `addr:port`.
    IpPort,
    /// A syslog payload (handled by the engine: it may be a structured record).
    Message(Reading),
    /// A value its key names as `kind` (`number`: a JSON number, quoted when it becomes a token).
    AsKind { kind: Kind, number: bool },
    /// A CDR number column: six digits or more is a phone number, fewer an extension.
    ContextPhone,
    /// A JSON string that holds escapes, as its key names it (`kind`, or None: text). Read as the text it
    /// stands for, so that `\"`, `\u002b` or `\/` hide no identifier from the rules that look for a quote, a
    /// plus or a slash.
    JsonEscaped(Option<Kind>),
}

/// Per value: its scrubbed form (the payload) and the kinds it replaced.
type FieldCache = BoundedCache<scrub::FewCounts>;

/// Which values a cache holds: fields read one way (plain, user agents, ...), or values of a named kind.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CacheRole {
    Text(Reading),
    Kind(Kind),
}

/// Writes tokens for one window straight into the output; remembers the first failure (the scrubber's
/// tokeniser cannot fail, the keyring can).
struct Tok<'a> {
    p: &'a mut Pseudonymizer,
    window: Option<i64>,
    failed: Option<TokenError>,
}

impl Tokeniser for Tok<'_> {
    fn write_token(&mut self, kind: Kind, normalised: &[u8], out: &mut Vec<u8>) {
        if self.failed.is_some() {
            return;
        }
        if let Err(e) = self.p.write_token(kind, normalised, self.window, out) {
            self.failed = Some(e);
        }
    }
}

pub struct Fields {
    scrubber: Scrubber,
    pub pseudonymizer: Pseudonymizer,
    region: Region,
    size: usize,
    caches: Vec<(Option<i64>, CacheRole, FieldCache)>,
}

/// Python's `bytes.strip()`: ASCII whitespace including \x0b.
fn strip(text: &[u8]) -> (usize, usize) {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c');
    let start = text.iter().position(|c| !ws(c)).unwrap_or(text.len());
    let end = text.iter().rposition(|c| !ws(c)).map_or(start, |p| p + 1);
    (start, end.max(start))
}

/// Only digits, `+` (or `%2B`) and the separators numbers are written with.
fn number_shaped(raw: &[u8]) -> bool {
    if raw.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < raw.len() {
        if raw[i..].starts_with(b"%2B") {
            i += 3;
        } else if b"0123456789+-.() /".contains(&raw[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

impl Fields {
    pub fn new(
        scrubber: Scrubber,
        pseudonymizer: Pseudonymizer,
        region: Region,
        size: usize,
    ) -> Fields {
        Fields {
            scrubber,
            pseudonymizer,
            region,
            size,
            caches: Vec::new(),
        }
    }

    fn cache(&mut self, window: Option<i64>, role: CacheRole) -> usize {
        if let Some(i) = self
            .caches
            .iter()
            .position(|(w, r, _)| *w == window && *r == role)
        {
            return i;
        }
        let mut windows: Vec<Option<i64>> = Vec::new();
        for (w, _, _) in &self.caches {
            if !windows.contains(w) {
                windows.push(*w);
            }
        }
        // Room is made for a window not yet held, never by dropping the one asked for: lines interleaved across
        // a window boundary would otherwise drop and rebuild both windows' caches on every line.
        if !windows.contains(&window) && windows.len() >= WINDOWS_HELD {
            let oldest = windows[0];
            self.caches.retain(|(w, _, _)| *w != oldest);
        }
        let size = if matches!(role, CacheRole::Text(r) if !r.in_agent) {
            self.size
        } else {
            self.size / 4
        };
        self.caches
            .push((window, role, BoundedCache::on_second_sighting(size.max(2))));
        self.caches.len() - 1
    }

    /// The identifiers in free text as the scrubber's first reading finds them: non-overlapping, in order.
    pub fn find(&mut self, text: &[u8], reading: Reading) -> Vec<crate::detect::Found> {
        self.scrubber.find(text, reading).0
    }

    /// Free text, scanned whole.
    pub fn text(
        &mut self,
        text: &[u8],
        reading: Reading,
        window: Option<i64>,
        out: &mut Vec<u8>,
        counts: &mut scrub::Counts,
    ) -> Result<(), TokenError> {
        let mut tok = Tok {
            p: &mut self.pseudonymizer,
            window,
            failed: None,
        };
        let at = out.len();
        self.scrubber
            .scrub_into(text, reading, &mut tok, counts, out);
        if let Some(e) = tok.failed {
            out.truncate(at);
            return Err(e);
        }
        Ok(())
    }

    pub fn apply(
        &mut self,
        action: Action,
        text: &[u8],
        window: Option<i64>,
        out: &mut Vec<u8>,
        counts: &mut scrub::Counts,
    ) -> Result<(), TokenError> {
        match action {
            Action::Field(reading) => self.field(text, window, reading, out, counts),
            Action::IpPort => self.ipport(text, window, out, counts),
            Action::Message(reading) => self.text(text, reading, window, out, counts),
            Action::ContextPhone => self.context_phone(text, window, out, counts),
            Action::JsonEscaped(kind) => self.json_escaped(kind, text, window, out, counts),
            Action::AsKind { kind, number } => {
                if !number {
                    return self.as_kind(kind, text, window, out, counts);
                }
                let at = out.len();
                out.push(b'"');
                self.as_kind(kind, text, window, out, counts)?;
                if &out[at + 1..] == text {
                    out.truncate(at);
                    out.extend_from_slice(text);
                } else {
                    out.push(b'"');
                }
                Ok(())
            }
        }
    }

    /// An escaped JSON string (`raw`, between its quotes): its decoded text scrubbed, and written back escaped
    /// when that replaced an identifier; else `raw` read as written, as before (the decoded reading only adds).
    /// The JSON stays equivalent: only a string that held an identifier is written with other escapes.
    fn json_escaped(
        &mut self,
        kind: Option<Kind>,
        raw: &[u8],
        window: Option<i64>,
        out: &mut Vec<u8>,
        counts: &mut scrub::Counts,
    ) -> Result<(), TokenError> {
        let mut decoded = String::new();
        if crate::json::unescape(raw, &mut decoded).is_some() {
            let mut scrubbed = Vec::with_capacity(decoded.len());
            let mut found = scrub::Counts::default();
            self.json_string(kind, decoded.as_bytes(), window, &mut scrubbed, &mut found)?;
            if found.total() > 0 {
                crate::json::escape_into(&scrubbed, out);
                counts.merge(&found);
                return Ok(());
            }
        }
        self.json_string(kind, raw, window, out, counts)
    }

    /// A JSON string's text as its key names it: a value of `kind`, or text.
    fn json_string(
        &mut self,
        kind: Option<Kind>,
        text: &[u8],
        window: Option<i64>,
        out: &mut Vec<u8>,
        counts: &mut scrub::Counts,
    ) -> Result<(), TokenError> {
        match kind {
            Some(kind) => self.as_kind(kind, text, window, out, counts),
            None => self.field(text, window, Reading::TEXT, out, counts),
        }
    }

    /// What `text` became, from cache `c`, written and counted; on a miss, its hash for `remember`.
    fn replay(
        &mut self,
        c: usize,
        text: &[u8],
        out: &mut Vec<u8>,
        counts: &mut scrub::Counts,
    ) -> Result<(), Hashed> {
        let (rendered, kinds) = self.caches[c].2.lookup(text)?;
        out.extend_from_slice(rendered);
        counts.merge_few(kinds);
        Ok(())
    }

    /// Holds what `text` became in cache `c`, when its counts fit an entry (`hashed`: from `replay` on `c`, if
    /// `c` has not been made anew since).
    fn remember(
        &mut self,
        c: usize,
        hashed: Option<Hashed>,
        text: &[u8],
        rendered: &[u8],
        counts: &scrub::Counts,
    ) {
        let Some(few) = scrub::FewCounts::of(counts) else {
            return;
        };
        let cache = &mut self.caches[c].2;
        match hashed {
            Some(hashed) => cache.insert_hashed(hashed, text, rendered, few),
            None => cache.insert(text, rendered, few),
        }
    }

    /// A field whose values repeat (client, user agent, referrer): cached per window.
    pub fn field(
        &mut self,
        text: &[u8],
        window: Option<i64>,
        reading: Reading,
        out: &mut Vec<u8>,
        counts: &mut scrub::Counts,
    ) -> Result<(), TokenError> {
        let role = CacheRole::Text(reading);
        let c = self.cache(window, role);
        let Err(hashed) = self.replay(c, text, out, counts) else {
            return Ok(());
        };
        let at = out.len();
        let mut mine = scrub::Counts::default();
        // A field that is exactly one address skips the detectors: the scan would give its token.
        if let Some(address) = whole_address(text) {
            self.pseudonymizer
                .compute_token(Kind::Ip, &address, window, out)?;
            mine.add(Kind::Ip);
        } else {
            self.text(text, reading, window, out, &mut mine)?;
        }
        let limit = if reading.in_agent {
            AGENT_CACHE_MAX
        } else {
            FIELD_CACHE_MAX
        };
        if text.len() <= limit {
            // `c` still names this cache: writing the value touched no cache.
            self.remember(c, Some(hashed), text, &out[at..], &mine);
        }
        counts.merge(&mine);
        Ok(())
    }

    fn normalised(&self, kind: Kind, raw: &[u8]) -> Option<String> {
        let text = std::str::from_utf8(raw).ok().filter(|t| t.is_ascii())?;
        match kind {
            Kind::Ip => normalise_ip(text),
            Kind::Phone => normalise_phone(text, &self.region),
            Kind::Mac => normalise_mac(raw),
            Kind::Imei => normalise_imei(raw),
            Kind::Device => normalise_device(text),
        }
    }

    /// A value its field's name says is `kind`: replaced whole when it reads as one, else scanned.
    pub fn as_kind(
        &mut self,
        kind: Kind,
        text: &[u8],
        window: Option<i64>,
        out: &mut Vec<u8>,
        counts: &mut scrub::Counts,
    ) -> Result<(), TokenError> {
        let c = self.cache(window, CacheRole::Kind(kind));
        let Err(hashed) = self.replay(c, text, out, counts) else {
            return Ok(());
        };
        let at = out.len();
        let mut mine = scrub::Counts::default();
        let (s, e) = strip(text);
        let raw = &text[s..e];
        let norm = if kind != Kind::Phone || number_shaped(raw) {
            self.normalised(kind, raw)
        } else {
            None
        };
        // Scanning the value as a field may drop a window's caches, and a cache made anew draws its own seed:
        // then this cache is asked for again and the hash taken again.
        let hashed = match norm {
            None => {
                self.field(text, window, Reading::TEXT, out, &mut mine)?;
                None
            }
            Some(norm) => {
                out.extend_from_slice(&text[..s]);
                self.pseudonymizer
                    .write_token(kind, norm.as_bytes(), window, out)?;
                out.extend_from_slice(&text[e..]);
                mine.add(kind);
                Some(hashed)
            }
        };
        if text.len() <= FIELD_CACHE_MAX {
            let c = self.cache(window, CacheRole::Kind(kind));
            self.remember(c, hashed, text, &out[at..], &mine);
        }
        counts.merge(&mine);
        Ok(())
    }

    fn context_phone(
        &mut self,
        text: &[u8],
        window: Option<i64>,
        out: &mut Vec<u8>,
        counts: &mut scrub::Counts,
    ) -> Result<(), TokenError> {
        let (s, e) = strip(text);
        let raw = &text[s..e];
        if digit_count(raw) >= MIN_CONTEXT_DIGITS && number_shaped(raw) {
            self.as_kind(Kind::Phone, text, window, out, counts)
        } else {
            self.field(text, window, Reading::TEXT, out, counts)
        }
    }

    /// `addr:port`: split at the last colon, so an IPv6 address with its port glued on gets the address's
    /// token, not that of a longer address.
    fn ipport(
        &mut self,
        text: &[u8],
        window: Option<i64>,
        out: &mut Vec<u8>,
        counts: &mut scrub::Counts,
    ) -> Result<(), TokenError> {
        if let Some(colon) = memchr::memrchr(b':', text) {
            let (addr, port) = (&text[..colon], &text[colon + 1..]);
            if !addr.is_empty() && !port.is_empty() && port.iter().all(u8::is_ascii_digit) {
                let bracketed = addr.first() == Some(&b'[') && addr.last() == Some(&b']');
                let bare = if bracketed {
                    addr.get(1..addr.len().saturating_sub(1)).unwrap_or(&[])
                } else {
                    addr
                };
                let norm = std::str::from_utf8(bare)
                    .ok()
                    .filter(|t| t.is_ascii())
                    .and_then(normalise_ip);
                if let Some(norm) = norm {
                    counts.add(Kind::Ip);
                    if bracketed {
                        out.push(b'[');
                    }
                    self.pseudonymizer
                        .write_token(Kind::Ip, norm.as_bytes(), window, out)?;
                    if bracketed {
                        out.push(b']');
                    }
                    out.push(b':');
                    out.extend_from_slice(port);
                    return Ok(());
                }
            }
        }
        self.field(text, window, Reading::TEXT, out, counts)
    }

    /// A segment of an over-long line (`data[context..]`, read with `data[..context]` before it).
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        data: &[u8],
        context: usize,
        mask_head: bool,
        mask_tail: bool,
        window: Option<i64>,
        out: &mut Vec<u8>,
        counts: &mut scrub::Counts,
    ) -> Result<(), TokenError> {
        let mut tok = Tok {
            p: &mut self.pseudonymizer,
            window,
            failed: None,
        };
        self.scrubber
            .scrub_segment_in_context(data, context, mask_head, mask_tail, &mut tok, counts, out);
        match tok.failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::phone_rules::tests::rules;
    use crate::engine::detectors::{detectors, prefilter};
    use crate::pseudonym::Style;

    fn fields() -> Fields {
        let region = Region::new(rules(), "DE");
        let scrubber = Scrubber::new(detectors(&region), prefilter());
        let pseudonymizer =
            Pseudonymizer::with_master(&[7u8; 32], Some(86400), Style::default(), 1000);
        Fields::new(scrubber, pseudonymizer, region, 1000)
    }

    /// Lines interleaved across a window boundary, each with a plain field and a user agent: both windows'
    /// caches stay held. (Asking for a second role of a held window dropped the oldest window, which could be
    /// the one asked for, so each line dropped and rebuilt the other window's caches.)
    #[test]
    fn interleaved_windows_keep_their_caches() {
        let mut f = fields();
        let agent = Reading {
            in_agent: true,
            ..Reading::TEXT
        };
        let roles = [CacheRole::Text(Reading::TEXT), CacheRole::Text(agent)];
        for _ in 0..3 {
            for window in [Some(1), Some(2)] {
                for role in roles {
                    f.cache(window, role);
                }
            }
        }
        assert_eq!(f.caches.len(), 4);
        // A third window makes room by dropping the oldest.
        f.cache(Some(3), roles[0]);
        let held: Vec<_> = f.caches.iter().map(|(w, _, _)| *w).collect();
        assert_eq!(held, [Some(2), Some(2), Some(3)]);
    }
}
