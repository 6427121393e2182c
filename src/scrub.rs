//! Settling findings and rendering: the port of tests/reference/scrub.py's logic around the detectors.
//!
//! Detectors run in priority order (context first: it knows the kind best; then MAC, IPv6, IPv4, phone, IMEI).
//! A finding that overlaps one already claimed is dropped, except that one strictly containing every claim it
//! overlaps replaces them (the longest identifier wins); a partial overlap marks the text for another round,
//! which reads the fragments left beside the tokens (at most four rounds).
//!
//! Everything here is linear in the text and in the number of findings: the Python claim list compared every
//! finding with every claim; here claims are a sorted vector into which each detector's findings (in order and
//! disjoint) are merged in one pass, with a start-ordered map for findings that come out of order (O(log n)
//! each). Border runs are scanned once from their end (Python's `[...]*\Z` search retried from every start);
//! findings that overlap earlier tokens are dropped in one merge walk.
//!
//! The detectors, the prefilter and the tokeniser are given from outside ([`Detector`], [`Prefilter`],
//! [`Tokeniser`]), so this module is tested with stand-ins and the differential test feeds the same stand-ins to
//! the reference scrub.py (tests/reference).

use crate::cache::BoundedCache;
use std::collections::BTreeMap;
use std::ops::Range;

use memchr::memchr_iter;

use crate::detect::scan::DIGITS;
use crate::detect::sip::in_channel_segment;
use crate::detect::{Found, Kind};

/// A partial overlap is filtered again until nothing changes; this many rounds at most.
const MAX_ROUNDS: usize = 4;
/// Texts longer than this are neither remembered by skeleton nor cached: they seldom repeat.
pub const SKELETON_MAX: usize = 512;
const SKELETONS_HELD: usize = 4096;
/// What fail-closed masking writes in place of a digit/hex run.
pub const MASK: &[u8] = b"MASKED";

/// How many identifiers of each kind were replaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    by_kind: [u64; Kind::ALL.len()],
}

impl Counts {
    pub fn add(&mut self, kind: Kind) {
        self.by_kind[kind as usize] += 1;
    }

    pub fn get(&self, kind: Kind) -> u64 {
        self.by_kind[kind as usize]
    }

    pub fn total(&self) -> u64 {
        self.by_kind.iter().sum()
    }

    pub fn merge(&mut self, other: &Counts) {
        for (mine, theirs) in self.by_kind.iter_mut().zip(other.by_kind) {
            *mine += theirs;
        }
    }

    /// Adds the counts a cached value holds.
    pub fn merge_few(&mut self, few: &FewCounts) {
        for (mine, &n) in self.by_kind.iter_mut().zip(&few.0) {
            *mine += u64::from(n);
        }
    }

    /// The kinds with a non-zero count, in `Kind::ALL` order.
    pub fn iter(&self) -> impl Iterator<Item = (Kind, u64)> + '_ {
        Kind::ALL
            .into_iter()
            .map(|k| (k, self.get(k)))
            .filter(|&(_, n)| n > 0)
    }
}

/// The counts of one cached value (the field caches of engine/fields.rs). A cached value is a few hundred bytes
/// at most, so each count fits 16 bits, and a cache slot takes 24 bytes instead of 56: the field caches are probed
/// at every field of every line and are larger than the CPU's caches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FewCounts([u16; Kind::ALL.len()]);

impl FewCounts {
    /// None when a count does not fit (the value is then not cached).
    pub fn of(counts: &Counts) -> Option<FewCounts> {
        let mut few = [0u16; Kind::ALL.len()];
        for (f, &n) in few.iter_mut().zip(&counts.by_kind) {
            *f = u16::try_from(n).ok()?;
        }
        Some(FewCounts(few))
    }
}

/// What the place of a text tells the detectors about reading it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Reading {
    /// The text is a user agent, where dotted quads after a product token are versions.
    pub in_agent: bool,
    /// The text's format writes `address:port` without brackets (`layout::Format::unbracketed_ports`).
    pub unbracketed_ports: bool,
}

impl Reading {
    /// Plain text: no hint.
    pub const TEXT: Reading = Reading {
        in_agent: false,
        unbracketed_ports: false,
    };
    /// A user agent.
    pub const AGENT: Reading = Reading {
        in_agent: true,
        unbracketed_ports: false,
    };
}

/// One identifier detector. `find` appends its findings over `text`; the triggers are cheap superset tests
/// (a detector whose trigger fails on a text finds nothing in it), by default always true.
pub trait Detector: Send + Sync {
    fn find(&self, text: &[u8], reading: Reading, out: &mut Vec<Found>);

    fn triggered(&self, _text: &[u8]) -> bool {
        true
    }

    /// The trigger on the text's skeleton (every digit written as 0): must hold wherever `triggered` holds
    /// on a text with that skeleton.
    fn triggered_on_skeleton(&self, _skeleton: &[u8]) -> bool {
        true
    }
}

/// Writes the token for (kind, normalised value); the window and key are the tokeniser's business. The value
/// comes as the finding holds it (`Found::normalised_bytes`).
pub trait Tokeniser {
    fn write_token(&mut self, kind: Kind, normalised: &[u8], out: &mut Vec<u8>);
}

impl<F: FnMut(Kind, &str) -> String> Tokeniser for F {
    fn write_token(&mut self, kind: Kind, normalised: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(self(kind, &String::from_utf8_lossy(normalised)).as_bytes());
    }
}

/// The prefilter: text it rejects holds no identifier and skips every detector (scrub.py's MAYBE_IDENTIFIER
/// and its skeleton form). Must stay a superset of what the detectors find.
pub struct Prefilter {
    pub maybe: TextTest,
    pub maybe_on_skeleton: TextTest,
}

/// A yes/no question about a text (a prefilter).
pub type TextTest = Box<dyn Fn(&[u8]) -> bool + Send + Sync>;

impl Default for Prefilter {
    /// Lets everything through (for tests and until the detectors bring their own).
    fn default() -> Self {
        Prefilter {
            maybe: Box::new(|_| true),
            maybe_on_skeleton: Box::new(|_| true),
        }
    }
}

/// The findings claimed so far: disjoint, non-empty spans, in order of position. Held as a sorted vector
/// while findings come in batches that are themselves in order and disjoint (what a detector yields): then a
/// batch is merged in one pass. Findings claimed one by one, or a batch out of order, go through a map keyed
/// by start (O(log n) each).
pub struct Claims {
    state: State,
    conflict: bool,
}

enum State {
    Sorted(Vec<Found>),
    Map(BTreeMap<usize, Found>),
}

impl Default for Claims {
    fn default() -> Self {
        Claims {
            state: State::Sorted(Vec::new()),
            conflict: false,
        }
    }
}

/// How a finding fares against the claims it overlaps (consecutive, as claims are disjoint), given the first
/// and last of them and how many there are.
#[derive(PartialEq, Eq)]
enum Verdict {
    /// Inside (or the same as) one claim: nothing to add.
    Inside,
    /// Contains every claim it overlaps and is longer: replaces them (the longest identifier wins).
    Replaces,
    /// A partial overlap: dropped, and the text is read again for the fragment it may leave.
    Conflict,
}

fn verdict(found: &Found, first: (usize, usize), last: (usize, usize), single: bool) -> Verdict {
    if single && first.0 <= found.start && found.end <= first.1 {
        Verdict::Inside
    } else if found.start <= first.0 && last.1 <= found.end {
        Verdict::Replaces
    } else {
        Verdict::Conflict
    }
}

impl Claims {
    fn map(&mut self) -> &mut BTreeMap<usize, Found> {
        if let State::Sorted(v) = &mut self.state {
            self.state = State::Map(
                std::mem::take(v)
                    .into_iter()
                    .map(|f| (f.start, f))
                    .collect(),
            );
        }
        match &mut self.state {
            State::Map(m) => m,
            State::Sorted(_) => unreachable!(),
        }
    }

    /// Adds a finding unless it overlaps one already claimed; one that contains every claim it overlaps (and
    /// is longer) replaces them. Returns true for a partial overlap (the finding is dropped and may leave a
    /// fragment). Empty findings name nothing and are ignored.
    ///
    /// The claims a span overlaps are consecutive: the last one (the greatest start before its end) and the one
    /// before its start decide; removals are paid for by the insertions that made them.
    pub fn claim(&mut self, found: Found) -> bool {
        let (s, e) = (found.start, found.end);
        if s >= e {
            return false;
        }
        let map = self.map();
        let Some((ls, le)) = map
            .range(..e)
            .next_back()
            .map(|(&ls, t)| (ls, t.end))
            .filter(|&(_, le)| le > s)
        else {
            map.insert(s, found);
            return false;
        };
        let first = match map.range(..s).next_back() {
            Some((&fs, t)) if t.end > s => (fs, t.end),
            _ => map
                .range(s..e)
                .next()
                .map(|(&fs, t)| (fs, t.end))
                .unwrap_or((ls, le)),
        };
        match verdict(&found, first, (ls, le), first == (ls, le)) {
            Verdict::Inside => false,
            Verdict::Replaces => {
                while let Some((&k, _)) = map.range(s..e).next() {
                    map.remove(&k);
                }
                map.insert(s, found);
                false
            }
            Verdict::Conflict => {
                self.conflict = true;
                true
            }
        }
    }

    /// Claims a batch of findings as if one by one in the order given. A batch in order of position and
    /// disjoint (a detector's findings) is merged in one pass: no finding of it overlaps another, so each is
    /// judged against the earlier claims alone. A batch out of order, or small beside the claims held, is
    /// claimed one by one.
    pub fn claim_batch(&mut self, batch: &mut Vec<Found>) {
        batch.retain(|f| f.start < f.end);
        if batch.is_empty() {
            return;
        }
        let held = match &self.state {
            State::Sorted(v) => v.len(),
            State::Map(m) => m.len(),
        };
        let in_order = batch.windows(2).all(|w| w[0].end <= w[1].start);
        if held == 0 && in_order {
            // The first findings of a text: they are the claims.
            self.state = State::Sorted(std::mem::take(batch));
            return;
        }
        // A merge costs the claims held plus the batch: worth it unless the batch is small beside them.
        if !in_order || batch.len() * 16 < held {
            for f in batch.drain(..) {
                self.claim(f);
            }
            return;
        }
        let mut claims = match &mut self.state {
            State::Sorted(v) => std::mem::take(v),
            State::Map(m) => std::mem::take(m).into_values().collect(),
        };
        // The batch keeps the findings that are added; the claims they replace are marked (allocated on the
        // first replacement: most batches replace nothing).
        let mut removed: Vec<bool> = Vec::new();
        let mut conflict = false;
        let mut i = 0;
        batch.retain(|f| {
            while i < claims.len() && claims[i].end <= f.start {
                i += 1;
            }
            let mut j = i;
            while j < claims.len() && claims[j].start < f.end {
                j += 1;
            }
            if i == j {
                return true;
            }
            let span = |t: &Found| (t.start, t.end);
            match verdict(f, span(&claims[i]), span(&claims[j - 1]), j - i == 1) {
                Verdict::Inside => false,
                Verdict::Replaces => {
                    removed.resize(claims.len(), false);
                    removed[i..j].fill(true);
                    i = j;
                    true
                }
                Verdict::Conflict => {
                    conflict = true;
                    false
                }
            }
        });
        self.conflict |= conflict;
        if !removed.is_empty() {
            let mut at = 0;
            claims.retain(|_| {
                at += 1;
                !removed[at - 1]
            });
        }
        merge_by_start(&mut claims, batch);
        self.state = State::Sorted(claims);
    }

    /// The claims in order of position, and whether any two findings overlapped partially.
    pub fn into_sorted(self) -> (Vec<Found>, bool) {
        let found = match self.state {
            State::Sorted(v) => v,
            State::Map(m) => m.into_values().collect(),
        };
        (found, self.conflict)
    }
}

/// Merges `batch` into `claims`, both in order of position and disjoint (so no two share a start), leaving `batch`
/// empty. From the back, into room made after the claims: linear, with no scratch buffer beside the two (a line
/// held whole with millions of identifiers would need half its claims again for a sort's merge).
fn merge_by_start(claims: &mut Vec<Found>, batch: &mut Vec<Found>) {
    let (mut i, mut j) = (claims.len(), batch.len());
    // Empty place-holders, each taken by a finding before the merge ends.
    claims.resize_with(i + j, || Found::new(0, 0, Kind::Ip, ""));
    // Slot k is the last one not yet settled; k == i + j throughout, so a claim moves only to a later slot.
    let mut k = i + j;
    while j > 0 {
        k -= 1;
        if i > 0 && claims[i - 1].start > batch[j - 1].start {
            i -= 1;
            claims.swap(i, k);
        } else {
            j -= 1;
            std::mem::swap(&mut claims[k], &mut batch[j]);
        }
    }
    batch.clear();
}

/// Settles findings given in priority order: (claims in order of position, whether a partial overlap occurred).
/// The findings are taken in runs that are in order and disjoint (one detector's findings after another's),
/// each merged in one pass.
pub fn settle(findings: impl IntoIterator<Item = Found>) -> (Vec<Found>, bool) {
    let mut claims = Claims::default();
    let mut run: Vec<Found> = Vec::new();
    for f in findings.into_iter().filter(|f| f.start < f.end) {
        if run.last().is_some_and(|last| f.start < last.end) {
            claims.claim_batch(&mut run);
        }
        run.push(f);
    }
    claims.claim_batch(&mut run);
    claims.into_sorted()
}

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn is_hex_letter(c: u8) -> bool {
    matches!(c, b'a'..=b'f' | b'A'..=b'F')
}

fn is_non_hex_letter(c: u8) -> bool {
    c.is_ascii_alphabetic() && !is_hex_letter(c)
}

/// After a dot at i-1: a word (`.cfg`, `.example`), not the rest of an identifier.
fn word_follows(text: &[u8], mut i: usize) -> bool {
    while i < text.len() && is_hex_letter(text[i]) {
        i += 1;
    }
    i < text.len() && is_non_hex_letter(text[i])
}

/// After a colon at i-1: more than a port: a hex letter, a colon, or hex digits followed by `:`, `%` or `.`.
fn colon_group_follows(text: &[u8], mut i: usize) -> bool {
    if i < text.len() && (is_hex_letter(text[i]) || text[i] == b':') {
        return true;
    }
    while i < text.len() && is_hex(text[i]) {
        i += 1;
    }
    i < text.len() && matches!(text[i], b':' | b'%' | b'.')
}

/// Whether a replaced span stands against characters that could extend an identifier (`4b8::<ip>`, `12<ip>`,
/// `<ip>.5`), or inside a channel's peer segment (`PJSIP/<phone>-0IP/0301033009`: the token joins the segment,
/// and the channel rule reads the number after its slash): then what is left beside the tokens is read once
/// more. Each scan stops at the first byte that decides or at the next finding, so the work is bounded by the
/// text.
pub fn touches_identifier_chars(text: &[u8], found: &[Found]) -> bool {
    let n = text.len();
    found.iter().enumerate().any(|(i, f)| {
        if f.start > 0 {
            let c = text[f.start - 1];
            if is_hex(c)
                || c == b'.'
                || c == b'%'
                || (c == b':'
                    && f.start > 1
                    && (is_hex(text[f.start - 2]) || text[f.start - 2] == b':'))
            {
                return true;
            }
        }
        if f.end < n {
            let c = text[f.end];
            if is_hex(c) || c == b'%' || (c == b':' && colon_group_follows(text, f.end + 1)) {
                return true;
            }
            if c == b'.' && !word_follows(text, f.end + 1) {
                return true;
            }
            let next = found.get(i + 1).map_or(n, |g| g.start.max(f.end));
            if number_after_segment(text, f.end, next) && in_channel_segment(text, f.start) {
                return true;
            }
        }
        false
    })
}

/// Whether `text[from..limit]` starts with a run of channel-segment bytes that ends in `/` and a digit or `+`.
fn number_after_segment(text: &[u8], from: usize, limit: usize) -> bool {
    let run = text[from..limit]
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        .count();
    let slash = from + run;
    slash < limit
        && text[slash] == b'/'
        && text
            .get(slash + 1)
            .is_some_and(|&c| c.is_ascii_digit() || c == b'+')
}

/// Whether the text holds a percent-escape of a character identifiers are made of (`%2E`, `%3A`, `%40`, ...),
/// or any escape glued to the start of an identifier (`%20198.51.100.7`, `%222001:db8::7`: issue 22, shape 1;
/// on the raw text the escape's hex digits run into the value and hide it).
fn has_relevant_escape(text: &[u8]) -> bool {
    memchr_iter(b'%', text).any(|i| match (text.get(i + 1), text.get(i + 2)) {
        (Some(b'2'), Some(b'D' | b'd' | b'E' | b'e')) => true,
        (Some(b'3'), Some(c)) if c.is_ascii_digit() || matches!(c, b'A' | b'a' | b'B' | b'b') => {
            true
        }
        (Some(b'4'), Some(b'0')) => true,
        (Some(b'5'), Some(b'B' | b'b' | b'D' | b'd')) => true,
        (Some(&hi), Some(&lo)) if is_hex(hi) && is_hex(lo) => text
            .get(i + 3)
            .is_some_and(|&c| is_hex(c) || matches!(c, b':' | b'+' | b'(')),
        _ => false,
    })
}

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// The text with %XX escapes decoded, and for each decoded byte (and the end) the offset it came from.
pub fn percent_decoded(text: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len() + 1);
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'%' {
            if let (Some(hi), Some(lo)) = (
                text.get(i + 1).copied().and_then(hex_value),
                text.get(i + 2).copied().and_then(hex_value),
            ) {
                out.push(hi << 4 | lo);
                offsets.push(i);
                i += 3;
                continue;
            }
        }
        out.push(text[i]);
        offsets.push(i);
        i += 1;
    }
    offsets.push(text.len());
    (out, offsets)
}

/// `text` with every run of at least `min` ASCII digits written as MASKED: what may be a number the text alone
/// no longer marks as one (tokens hold no digits; dates and times are runs of two to four).
pub fn mask_digit_runs(text: &[u8], min: usize, out: &mut Vec<u8>) {
    let mut copied = 0;
    let mut i = 0;
    while i < text.len() {
        let run = DIGITS.run_after(text, i, usize::MAX);
        if run >= min {
            out.extend_from_slice(&text[copied..i]);
            out.extend_from_slice(MASK);
            copied = i + run;
        }
        i += run.max(1);
    }
    out.extend_from_slice(&text[copied..]);
}

/// The fail-closed fallback: every run of hex digits with separators (`[0-9A-Fa-f][0-9A-Fa-f:.-]*[0-9A-Fa-f]`)
/// or single digit that holds a digit or a colon becomes MASKED (a colon: `::cead:bf` is an address without a
/// digit; words like `deadbeef` or `cafe` stay). One pass: a run that cannot match is separators only
/// after its first byte, so no byte is read more than twice.
pub fn mask_into(text: &[u8], out: &mut Vec<u8>) {
    let is_sep = |c: u8| matches!(c, b':' | b'.' | b'-');
    let mut i = 0;
    let mut copied = 0;
    while i < text.len() {
        if !is_hex(text[i]) {
            i += 1;
            continue;
        }
        // The regex's first branch: the longest run of hex and separators, backed off to its last hex digit.
        let mut j = i + 1;
        let mut last_hex = i;
        while j < text.len() && (is_hex(text[j]) || is_sep(text[j])) {
            if is_hex(text[j]) {
                last_hex = j;
            }
            j += 1;
        }
        let end = if last_hex > i {
            last_hex + 1
        } else if text[i].is_ascii_digit() {
            i + 1
        } else {
            i += 1;
            continue;
        };
        if text[i..end]
            .iter()
            .any(|&c| c.is_ascii_digit() || c == b':')
        {
            out.extend_from_slice(&text[copied..i]);
            out.extend_from_slice(MASK);
            copied = end;
        }
        i = end;
    }
    out.extend_from_slice(&text[copied..]);
}

pub fn mask_line(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    mask_into(text, &mut out);
    out
}

/// Bytes of a word an unsafe cut can split: those identifiers are written with, and the letters of the words
/// that give a value its reading (`Chrome/` before a version, `caller=` before a number).
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || b":.+-%()/[]".contains(&c)
}

/// (leading run, middle, trailing run): the part of the word an unsafe cut split, on each side of the cut
/// (empty where the cut was safe). Half a word cannot be read right: `2Ro|mhr/120.0.0.0` would read as a
/// product's version and leave the address, so the half is masked whole (its digit/hex runs become MASKED).
/// The trailing run is the longest suffix of word bytes, found scanning back from the end once.
pub fn split_border_runs(
    data: &[u8],
    head: bool,
    tail: bool,
) -> (Range<usize>, Range<usize>, Range<usize>) {
    let mut start = 0;
    if head {
        start = data
            .iter()
            .position(|&c| !is_word_byte(c))
            .unwrap_or(data.len());
    }
    let mut end = data.len();
    if tail {
        end = data[start..]
            .iter()
            .rposition(|&c| !is_word_byte(c))
            .map_or(start, |p| start + p + 1);
    }
    (0..start, start..end, end..data.len())
}

/// The text with each finding (sorted, disjoint) replaced by its token, and where every token stands in the
/// result: the ones written by earlier rounds (`tokens`, which no finding overlaps) moved by the length changes
/// before them, and the new ones, in order.
pub fn replace(
    text: &[u8],
    found: &[Found],
    tokens: &[Range<usize>],
    tokeniser: &mut impl Tokeniser,
) -> (Vec<u8>, Vec<Range<usize>>) {
    let mut out = Vec::with_capacity(text.len() + found.len() * 16);
    let mut spans = Vec::with_capacity(tokens.len() + found.len());
    replace_into(
        text,
        0,
        found,
        tokens,
        tokeniser,
        &mut out,
        Some(&mut spans),
    );
    (out, spans)
}

/// Appends `text[from..]` to `out` with each finding (sorted, disjoint, none starting before `from`) replaced
/// by its token; with `spans`, also where each token stands in `out` (as `replace` gives them).
fn replace_into(
    text: &[u8],
    from: usize,
    found: &[Found],
    tokens: &[Range<usize>],
    tokeniser: &mut impl Tokeniser,
    out: &mut Vec<u8>,
    mut spans: Option<&mut Vec<Range<usize>>>,
) {
    let mut earlier = tokens.iter().peekable();
    let mut pos = from;
    for f in found {
        if let Some(spans) = spans.as_deref_mut() {
            while let Some(t) = earlier.next_if(|t| t.start < f.start) {
                spans.push(shifted(t, out.len() as isize - pos as isize));
            }
        }
        out.extend_from_slice(&text[pos..f.start]);
        let at = out.len();
        tokeniser.write_token(f.kind(), f.normalised_bytes(), out);
        if let Some(spans) = spans.as_deref_mut() {
            spans.push(at..out.len());
        }
        pos = f.end;
    }
    if let Some(spans) = spans {
        let shift = out.len() as isize - pos as isize;
        spans.extend(earlier.map(|t| shifted(t, shift)));
    }
    out.extend_from_slice(&text[pos..]);
}

fn shifted(t: &Range<usize>, shift: isize) -> Range<usize> {
    (t.start as isize + shift) as usize..(t.end as isize + shift) as usize
}

/// Drops the findings that overlap a token written by an earlier round. Both lists are sorted and disjoint:
/// one merge walk.
fn without_tokens(found: Vec<Found>, tokens: &[Range<usize>]) -> Vec<Found> {
    let mut j = 0;
    found
        .into_iter()
        .filter(|f| {
            while j < tokens.len() && tokens[j].end <= f.start {
                j += 1;
            }
            !(j < tokens.len() && tokens[j].start < f.end)
        })
        .collect()
}

/// Which detectors a skeleton selects (bit i: detector i); None when the prefilter rejects it.
type Selected = Option<u64>;

/// A text's percent-decoded view, the offset in the text of each of its bytes (and its end), and its selection.
type Decoded = (Vec<u8>, Vec<usize>, Selected);

/// A text's skeleton into `out` (cleared first): every digit written as `0`. Texts that differ only in their
/// digits share it, and every trigger's skeleton form meets it wherever the plain form meets the text.
pub fn skeleton_into(text: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend(
        text.iter()
            .map(|&c| if c.is_ascii_digit() { b'0' } else { c }),
    );
}

/// Finds identifiers with the detectors in priority order and swaps in tokens.
pub struct Scrubber {
    detectors: Vec<Box<dyn Detector>>,
    prefilter: Prefilter,
    by_skeleton: BoundedCache<Selected>,
    /// The skeleton of the text at hand, built in place (a cache hit allocates nothing).
    skeleton: Vec<u8>,
}

impl Scrubber {
    /// `detectors` in priority order (at most 64).
    pub fn new(detectors: Vec<Box<dyn Detector>>, prefilter: Prefilter) -> Scrubber {
        assert!(detectors.len() <= 64, "at most 64 detectors");
        Scrubber {
            detectors,
            prefilter,
            by_skeleton: BoundedCache::on_second_sighting(SKELETONS_HELD),
            skeleton: Vec::with_capacity(SKELETON_MAX),
        }
    }

    fn all(&self) -> u64 {
        if self.detectors.len() == 64 {
            u64::MAX
        } else {
            (1u64 << self.detectors.len()) - 1
        }
    }

    fn triggered(&self, text: &[u8]) -> u64 {
        let mut bits = 0;
        for (i, d) in self.detectors.iter().enumerate() {
            if d.triggered(text) {
                bits |= 1 << i;
            }
        }
        bits & self.all()
    }

    fn select(&mut self, text: &[u8]) -> Selected {
        if text.len() > SKELETON_MAX {
            return (self.prefilter.maybe)(text).then(|| self.triggered(text));
        }
        // Texts that differ only in their digits meet the same triggers: decided once per skeleton.
        let mut skeleton = std::mem::take(&mut self.skeleton);
        skeleton_into(text, &mut skeleton);
        let hashed = match self.by_skeleton.lookup(&skeleton) {
            Ok((_, &hit)) => {
                self.skeleton = skeleton;
                return hit;
            }
            Err(hashed) => hashed,
        };
        let selected = (self.prefilter.maybe_on_skeleton)(&skeleton).then(|| {
            let mut bits = 0;
            for (i, d) in self.detectors.iter().enumerate() {
                if d.triggered_on_skeleton(&skeleton) {
                    bits |= 1 << i;
                }
            }
            bits
        });
        self.by_skeleton
            .insert_hashed(hashed, &skeleton, b"", selected);
        self.skeleton = skeleton;
        selected
    }

    /// All identifiers in `text`, non-overlapping, in order of position, and whether two overlapped partially.
    pub fn find(&mut self, text: &[u8], reading: Reading) -> (Vec<Found>, bool) {
        let Some(selected) = self.select(text) else {
            return (Vec::new(), false);
        };
        // The percent-decoded view (`198%2E51%2E100%2E23`) is selected as a text is: by its skeleton, memoised
        // (`%2B49…` in a REST path decodes to the same skeleton line after line).
        let decoded = has_relevant_escape(text).then(|| {
            let (decoded, offsets) = percent_decoded(text);
            let selected = self.select(&decoded);
            (decoded, offsets, selected)
        });
        self.detect(text, reading, selected, decoded)
    }

    /// The findings of the selected detectors over the text, and of those selected over its decoded view, moved
    /// back to the text's offsets.
    fn detect(
        &self,
        text: &[u8],
        reading: Reading,
        selected: u64,
        decoded: Option<Decoded>,
    ) -> (Vec<Found>, bool) {
        let mut claims = Claims::default();
        self.claim_selected(text, reading, selected, None, &mut claims);
        if let Some((decoded, offsets, Some(selected))) = decoded {
            self.claim_selected(&decoded, reading, selected, Some(&offsets), &mut claims);
        }
        claims.into_sorted()
    }

    /// The findings of the selected detectors over `view`, each detector's batch claimed in priority order; moved
    /// back through `offsets` when the view is a decoded one.
    fn claim_selected(
        &self,
        view: &[u8],
        reading: Reading,
        selected: u64,
        offsets: Option<&[usize]>,
        claims: &mut Claims,
    ) {
        let mut found = Vec::new();
        for (i, d) in self.detectors.iter().enumerate() {
            if selected & (1 << i) != 0 {
                d.find(view, reading, &mut found);
                if let Some(offsets) = offsets {
                    for f in &mut found {
                        f.start = offsets[f.start];
                        f.end = offsets[f.end];
                    }
                }
                claims.claim_batch(&mut found);
            }
        }
    }

    /// `text` with every identifier replaced by its token, counted in `counts` (`scrub_into`, as a value).
    pub fn scrub(
        &mut self,
        text: &[u8],
        reading: Reading,
        tokeniser: &mut impl Tokeniser,
        counts: &mut Counts,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        self.scrub_into(text, reading, tokeniser, counts, &mut out);
        out
    }

    /// Appends `text` with every identifier replaced by its token to `out`, counted in `counts`. Read again
    /// while a partial overlap or a neighbouring identifier character leaves work (at most MAX_ROUNDS); a later
    /// round never reads a token an earlier one wrote (with prefix-preserving IP tokens it would be read as an
    /// address).
    pub fn scrub_into(
        &mut self,
        text: &[u8],
        reading: Reading,
        tokeniser: &mut impl Tokeniser,
        counts: &mut Counts,
        out: &mut Vec<u8>,
    ) {
        self.scrub_from_into(text, 0, reading, tokeniser, counts, out);
    }

    /// The findings of one round in `text`, those ending inside `text[..skip]` dropped and the others clipped to
    /// start at `skip` at the earliest.
    fn find_from(&mut self, text: &[u8], skip: usize, reading: Reading) -> (Vec<Found>, bool) {
        let (mut found, conflict) = self.find(text, reading);
        if skip > 0 {
            found.retain(|f| f.end > skip);
            for f in &mut found {
                f.start = f.start.max(skip);
            }
        }
        (found, conflict)
    }

    /// `scrub_into` of `text[skip..]`, with `text[..skip]` read as context but never changed: findings that end
    /// inside it are left alone (the previous segment settled them); one that reaches across `skip` is replaced
    /// from `skip` on, with the token of the whole value.
    fn scrub_from_into(
        &mut self,
        text: &[u8],
        skip: usize,
        reading: Reading,
        tokeniser: &mut impl Tokeniser,
        counts: &mut Counts,
        out: &mut Vec<u8>,
    ) {
        let (found, conflict) = self.find_from(text, skip, reading);
        for f in &found {
            counts.add(f.kind());
        }
        if found.is_empty() || (!conflict && !touches_identifier_chars(text, &found)) {
            // Most texts: one round settles them, written straight into `out` without the spans a next round
            // would need.
            replace_into(text, skip, &found, &[], tokeniser, out, None);
            return;
        }
        let (mut current, mut tokens) = replace(text, &found, &[], tokeniser);
        for _ in 1..MAX_ROUNDS {
            let (found, conflict) = self.find_from(&current, skip, reading);
            let found = without_tokens(found, &tokens);
            if found.is_empty() {
                break;
            }
            let again = conflict || touches_identifier_chars(&current, &found);
            let (next, spans) = replace(&current, &found, &tokens, tokeniser);
            for f in &found {
                counts.add(f.kind());
            }
            current = next;
            tokens = spans;
            if !again {
                break;
            }
        }
        out.extend_from_slice(&current[skip..]);
    }

    /// A segment of an over-long line: the word halves at an unsafe cut masked, the rest scrubbed.
    pub fn scrub_segment(
        &mut self,
        data: &[u8],
        mask_head: bool,
        mask_tail: bool,
        tokeniser: &mut impl Tokeniser,
        counts: &mut Counts,
        out: &mut Vec<u8>,
    ) {
        self.scrub_segment_in_context(data, 0, mask_head, mask_tail, tokeniser, counts, out);
    }

    /// `scrub_segment` of `data[context..]`, reading `data[..context]` (the bytes of the same line before the
    /// segment, `framing::Piece::Segment::context`) so that a value whose context word stood before the cut is
    /// still found (issue 22, shape 8). After an unsafe cut the head run is masked and the context is not read.
    #[allow(clippy::too_many_arguments)]
    pub fn scrub_segment_in_context(
        &mut self,
        data: &[u8],
        context: usize,
        mask_head: bool,
        mask_tail: bool,
        tokeniser: &mut impl Tokeniser,
        counts: &mut Counts,
        out: &mut Vec<u8>,
    ) {
        let segment = &data[context..];
        let (head, middle, tail) = split_border_runs(segment, mask_head, mask_tail);
        mask_into(&segment[head], out);
        let (text, skip) = if mask_head {
            (&segment[middle.clone()], 0)
        } else {
            (&data[..context + middle.end], context)
        };
        self.scrub_from_into(text, skip, Reading::TEXT, tokeniser, counts, out);
        mask_into(&segment[tail], out);
    }
}

/// A stand-in detector for tests and the differential test: maximal runs of bytes from `set`, at least `min`
/// long, normalised as their Latin-1 text.
pub struct ByteRuns {
    pub kind: Kind,
    pub set: Vec<u8>,
    pub min: usize,
}

impl Detector for ByteRuns {
    fn find(&self, text: &[u8], _reading: Reading, out: &mut Vec<Found>) {
        let mut member = [false; 256];
        for &c in &self.set {
            member[usize::from(c)] = true;
        }
        let mut i = 0;
        while i < text.len() {
            if !member[usize::from(text[i])] {
                i += 1;
                continue;
            }
            let start = i;
            while i < text.len() && member[usize::from(text[i])] {
                i += 1;
            }
            if i - start >= self.min {
                let normalised: String = text[start..i].iter().map(|&c| c as char).collect();
                out.push(Found::new(start, i, self.kind, &normalised));
            }
        }
    }
}

/// A stand-in trigger for tests: a detector that can only find something where `literal` occurs (an empty
/// literal always does), on the text and on its skeleton alike.
pub struct WithTrigger<D> {
    pub inner: D,
    pub literal: Vec<u8>,
}

impl<D: Detector> Detector for WithTrigger<D> {
    fn find(&self, text: &[u8], reading: Reading, out: &mut Vec<Found>) {
        self.inner.find(text, reading, out);
    }

    fn triggered(&self, text: &[u8]) -> bool {
        memchr::memmem::find(text, &self.literal).is_some()
    }

    fn triggered_on_skeleton(&self, skeleton: &[u8]) -> bool {
        self.triggered(skeleton)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn f(start: usize, end: usize, kind: Kind) -> Found {
        Found::new(start, end, kind, &format!("{start}-{end}"))
    }

    fn spans(found: &[Found]) -> Vec<(usize, usize)> {
        found.iter().map(|f| (f.start, f.end)).collect()
    }

    fn fake_token(kind: Kind, normalised: &str) -> String {
        format!("<{}:{}>", kind.name(), normalised)
    }

    /// The Python claim rule, quadratic, as the reference.
    fn reference_claim(taken: &mut Vec<Found>, found: Found) -> bool {
        if found.start >= found.end {
            return false;
        }
        let (s, e) = (found.start, found.end);
        let over: Vec<usize> = (0..taken.len())
            .filter(|&i| taken[i].start < e && s < taken[i].end)
            .collect();
        if over.is_empty() {
            taken.push(found);
            return false;
        }
        if over
            .iter()
            .any(|&i| taken[i].start <= s && e <= taken[i].end)
        {
            return false;
        }
        if over.iter().all(|&i| {
            s <= taken[i].start && taken[i].end <= e && e - s > taken[i].end - taken[i].start
        }) {
            for &i in over.iter().rev() {
                taken.remove(i);
            }
            taken.push(found);
            return false;
        }
        true
    }

    #[test]
    fn priority_overlap_and_containment() {
        type Spans = &'static [(usize, usize)];
        let cases: &[(Spans, Spans, bool)] = &[
            (&[(0, 5), (3, 8)], &[(0, 5)], true), // partial overlap: later dropped, conflict
            (&[(0, 5), (1, 4)], &[(0, 5)], false), // inside: dropped quietly
            (&[(1, 4), (0, 5)], &[(0, 5)], false), // contains: the longest wins
            (&[(0, 2), (3, 5), (0, 6)], &[(0, 6)], false), // contains both
            (&[(0, 2), (3, 7), (0, 6)], &[(0, 2), (3, 7)], true),
            (&[(0, 3), (3, 6)], &[(0, 3), (3, 6)], false), // adjacent spans both stay
            (&[(2, 4), (2, 4)], &[(2, 4)], false),         // the same span: the first stays
            (&[(2, 2), (0, 4)], &[(0, 4)], false),         // empty findings are ignored
        ];
        for (input, expected, conflict) in cases {
            let (got, c) = settle(input.iter().map(|&(s, e)| f(s, e, Kind::Ip)));
            assert_eq!(spans(&got), *expected, "{input:?}");
            assert_eq!(c, *conflict, "{input:?}");
        }
        // The claim that stays keeps its kind: priority order decides on equal spans.
        let (got, _) = settle([f(0, 4, Kind::Phone), f(0, 4, Kind::Ip)]);
        assert_eq!(got[0].kind(), Kind::Phone);
    }

    #[test]
    fn scrubber_can_move_to_a_worker_thread() {
        fn send_and_sync<T: Send + Sync>() {}
        send_and_sync::<Scrubber>();
    }

    #[test]
    fn few_counts_hold_a_cached_value_exactly_or_not_at_all() {
        let mut counts = Counts::default();
        counts.add(Kind::Ip);
        counts.add(Kind::Phone);
        counts.add(Kind::Phone);
        let mut merged = Counts::default();
        merged.merge_few(&FewCounts::of(&counts).unwrap());
        assert_eq!(merged, counts);
        counts.by_kind[Kind::Mac as usize] = 1 << 16;
        assert_eq!(FewCounts::of(&counts), None);
    }

    #[test]
    fn mask_table() {
        assert_eq!(
            mask_line(b"a 192.0.2.1 b 2001:db8::1 c deadbeef 15"),
            b"a MASKED b MASKED c deadbeef MASKED"
        );
        assert_eq!(mask_line(b"a:::: 7 b- x9y"), b"a:::: MASKED b- xMASKEDy");
        assert_eq!(mask_line(b""), b"");
    }

    #[test]
    fn digit_runs_table() {
        let mask = |text: &[u8]| {
            let mut out = Vec::new();
            mask_digit_runs(text, 6, &mut out);
            out
        };
        assert_eq!(
            mask(b"\"0301234567\",\"2026-11-21 10:15:32\",46,1795256132.26"),
            b"\"MASKED\",\"2026-11-21 10:15:32\",46,MASKED.26"
        );
        assert_eq!(mask(b"12345 123456 x1234567y"), b"12345 MASKED xMASKEDy");
        assert_eq!(mask(b""), b"");
    }

    #[test]
    fn border_runs() {
        let data = b"12:ab middle 9.9.9";
        assert_eq!(split_border_runs(data, true, true), (0..5, 5..13, 13..18));
        assert_eq!(split_border_runs(data, false, false), (0..0, 0..18, 18..18));
        assert_eq!(split_border_runs(b"1234", true, true), (0..4, 4..4, 4..4));
        assert_eq!(split_border_runs(b"1234", false, true), (0..0, 0..0, 0..4));
    }

    #[test]
    fn percent_view_offsets() {
        let (decoded, offsets) = percent_decoded(b"a%2Eb%zz%4");
        assert_eq!(decoded, b"a.b%zz%4");
        assert_eq!(offsets, vec![0, 1, 4, 5, 6, 7, 8, 9, 10]);
        assert!(has_relevant_escape(b"1%2e2"));
        assert!(!has_relevant_escape(b"1%2Bx%4"));
        // Issue 22 shape 1: any escape glued to the start of an identifier opens the decoded view.
        for glued in [
            &b"client%20198.51.100.7"[..],
            b"a%222001:db8::7",
            b"%2000493012345678",
            b"1%2B2",
        ] {
            assert!(has_relevant_escape(glued), "{:?}", glued);
        }
        assert!(!has_relevant_escape(b"a%20x%2Fy%3Fz"));
    }

    /// A context rule's stand-in: the digits after `caller `.
    struct Caller;

    impl Detector for Caller {
        fn find(&self, text: &[u8], _reading: Reading, out: &mut Vec<Found>) {
            for (i, w) in text.windows(7).enumerate() {
                if w == b"caller " {
                    let start = i + 7;
                    let n = text[start..]
                        .iter()
                        .take_while(|c| c.is_ascii_digit())
                        .count();
                    if n > 0 {
                        let normalised =
                            String::from_utf8_lossy(&text[start..start + n]).into_owned();
                        out.push(Found::new(start, start + n, Kind::Phone, &normalised));
                    }
                }
            }
        }
    }

    #[test]
    fn segment_reads_its_context() {
        let mut s = Scrubber::new(
            vec![
                Box::new(Caller),
                Box::new(ByteRuns {
                    kind: Kind::Ip,
                    set: b"0123456789.".to_vec(),
                    min: 7,
                }),
            ],
            Prefilter::default(),
        );
        let run = |s: &mut Scrubber, data: &[u8], context: usize, head: bool| {
            let mut out = Vec::new();
            let mut counts = Counts::default();
            s.scrub_segment_in_context(
                data,
                context,
                head,
                false,
                &mut fake_token,
                &mut counts,
                &mut out,
            );
            (String::from_utf8(out).unwrap(), counts.total())
        };
        let data = b"1.2.3.4 caller 301234 x";
        // The context word before the cut still applies; what the context holds is left to its own segment.
        assert_eq!(run(&mut s, data, 15, false), ("<phone:301234> x".into(), 1));
        // Without the context the bare number is not found (what Python did).
        assert_eq!(run(&mut s, &data[15..], 0, false), ("301234 x".into(), 0));
        // An identifier reaching across the border is replaced from the border on, with the whole value's token.
        assert_eq!(
            run(&mut s, data, 4, false),
            ("<ip:1.2.3.4> caller <phone:301234> x".into(), 2)
        );
        // After an unsafe cut the head run is masked and the context is not read.
        assert_eq!(run(&mut s, data, 15, true), ("MASKED x".into(), 0));
    }

    fn fake_scrubber() -> Scrubber {
        Scrubber::new(
            vec![
                Box::new(ByteRuns {
                    kind: Kind::Mac,
                    set: b"0123456789abcdef:".to_vec(),
                    min: 5,
                }),
                Box::new(ByteRuns {
                    kind: Kind::Ip,
                    set: b"0123456789.".to_vec(),
                    min: 4,
                }),
            ],
            Prefilter::default(),
        )
    }

    #[test]
    fn scrub_rounds_and_counts() {
        let mut s = fake_scrubber();
        let mut counts = Counts::default();
        let out = s.scrub(b"x 1.2.3.4 y", Reading::TEXT, &mut fake_token, &mut counts);
        assert_eq!(&*out, b"x <ip:1.2.3.4> y");
        assert_eq!(counts.get(Kind::Ip), 1);
        // Nothing found: the input comes back as it was, and nothing is counted.
        assert_eq!(
            s.scrub(b"nothing", Reading::TEXT, &mut fake_token, &mut counts),
            b"nothing"
        );
        assert_eq!(counts.get(Kind::Ip), 1);
        // A percent-encoded address is found through the decoded view and replaced whole.
        let out = s.scrub(
            b"q=198%2E51%2E100%2E23&",
            Reading::TEXT,
            &mut fake_token,
            &mut Counts::default(),
        );
        assert_eq!(&*out, b"q=<ip:198.51.100.23>&");
    }

    /// Counts the bytes it is given: the detectors' total work.
    struct Counting(ByteRuns, Arc<AtomicUsize>);

    impl Detector for Counting {
        fn find(&self, text: &[u8], reading: Reading, out: &mut Vec<Found>) {
            self.1.fetch_add(text.len(), Ordering::Relaxed);
            self.0.find(text, reading, out);
        }
    }

    #[test]
    fn detectors_read_each_text_a_bounded_number_of_times() {
        // Partial overlaps everywhere (every MAC-ish run cuts into an address-ish run) and percent escapes:
        // however many findings, each detector reads at most MAX_ROUNDS texts and their decoded views, each no
        // longer than the longest text of the rounds. No finding makes anything read again.
        let unit = b"ab:12:9.9.9.9%2E1 ";
        for n in [1usize, 10, 1000] {
            let text = unit.repeat(n);
            let read = Arc::new(AtomicUsize::new(0));
            let runs = |kind, set: &[u8], min| ByteRuns {
                kind,
                set: set.to_vec(),
                min,
            };
            let mut s = Scrubber::new(
                vec![
                    Box::new(Counting(
                        runs(Kind::Mac, b"0123456789abcdef:", 5),
                        read.clone(),
                    )),
                    Box::new(Counting(runs(Kind::Ip, b"0123456789.", 4), read.clone())),
                ],
                Prefilter::default(),
            );
            let mut counts = Counts::default();
            let out = s.scrub(&text, Reading::TEXT, &mut fake_token, &mut counts);
            assert!(counts.total() as usize >= 2 * n);
            let longest = out.len().max(text.len());
            assert!(read.load(Ordering::Relaxed) <= MAX_ROUNDS * 2 * 2 * longest);
        }
    }

    #[test]
    fn segment_masks_border_runs() {
        let mut s = fake_scrubber();
        let mut out = Vec::new();
        s.scrub_segment(
            b"12:34 a 1.2.3.4 b 5.6",
            true,
            true,
            &mut fake_token,
            &mut Counts::default(),
            &mut out,
        );
        assert_eq!(out, b"MASKED a <ip:1.2.3.4> b MASKED");
    }

    #[test]
    fn many_adjacent_findings_settle_to_as_many_tokens() {
        // n adjacent one-byte findings, given twice and in reverse: exactly n replacements.
        let n = 10_000;
        let text = vec![b'7'; n];
        let all: Vec<Found> = (0..n)
            .rev()
            .chain(0..n)
            .map(|i| f(i, i + 1, Kind::Phone))
            .collect();
        let (found, conflict) = settle(all);
        assert_eq!(found.len(), n);
        assert!(!conflict);
        let mut calls = 0;
        let (out, spans) = replace(&text, &found, &[], &mut |_: Kind, _: &str| {
            calls += 1;
            "T".to_string()
        });
        assert_eq!(calls, n);
        assert_eq!(out, vec![b'T'; n]);
        assert_eq!(spans.len(), n);
    }

    /// The hostile lines of issue 21 at full size (the 64 MiB one below): each settles to the expected number of
    /// replacements, in one pass per round.
    #[test]
    fn hostile_lines() {
        let runs = |kind, set: &[u8], min| -> Box<dyn Detector> {
            Box::new(ByteRuns {
                kind,
                set: set.to_vec(),
                min,
            })
        };
        let mut s = Scrubber::new(
            vec![
                runs(Kind::Mac, b"0123456789abcdef", 12),
                runs(Kind::Ip, b"0123456789.", 9),
                runs(Kind::Phone, b"+0123456789", 7),
            ],
            Prefilter::default(),
        );
        let mut token = |k: Kind, _: &str| k.name().to_string();
        // One 1 MB line of hex: one finding; masking leaves it (no digit in the run).
        let line = [
            b"GET /".to_vec(),
            b"deadbeef".repeat(130_000),
            b"zz".repeat(5000),
        ]
        .concat();
        let mut counts = Counts::default();
        let out = s.scrub(&line, Reading::TEXT, &mut token, &mut counts);
        assert_eq!((counts.get(Kind::Mac), out.len()), (1, 5 + 3 + 10_000));
        assert!(mask_line(&line) == line);
        // 32k addresses in one X-Forwarded-For line.
        let mut xff = b"X-Forwarded-For: ".to_vec();
        for i in 0..32_768u32 {
            xff.extend_from_slice(format!("198.51.{}.{}, ", i >> 8, i & 255).as_bytes());
        }
        let mut counts = Counts::default();
        let out = s.scrub(&xff, Reading::TEXT, &mut token, &mut counts);
        assert_eq!(counts.get(Kind::Ip), 32_768);
        assert_eq!(
            out.len(),
            b"X-Forwarded-For: ".len() + 32_768 * b"ip, ".len()
        );
        // "+49 30 1234567 " a hundred thousand times: each subscriber number once.
        let phones = b"+49 30 1234567 ".repeat(100_000);
        let mut counts = Counts::default();
        let out = s.scrub(&phones, Reading::TEXT, &mut token, &mut counts);
        assert_eq!(counts.get(Kind::Phone), 100_000);
        assert!(*out == b"+49 30 phone ".repeat(100_000)[..]);
    }

    /// The hostile-line case: 4M findings over a 64 MiB buffer. Slow in a debug build: run with
    /// `cargo test --release -- --ignored`.
    #[test]
    #[ignore]
    fn four_million_findings_on_64_mib() {
        let unit = b"ab 198.51.100.23 +4930123456 "; // two identifiers per 29 bytes
        let units = (64 << 20) / unit.len();
        let mut text = Vec::with_capacity(units * unit.len());
        for _ in 0..units {
            text.extend_from_slice(unit);
        }
        let mut s = Scrubber::new(
            vec![
                Box::new(ByteRuns {
                    kind: Kind::Phone,
                    set: b"+0123456789".to_vec(),
                    min: 8,
                }),
                Box::new(ByteRuns {
                    kind: Kind::Ip,
                    set: b"0123456789.".to_vec(),
                    min: 7,
                }),
            ],
            Prefilter::default(),
        );
        let mut counts = Counts::default();
        let started = std::time::Instant::now();
        let out = s.scrub(
            &text,
            Reading::TEXT,
            &mut |k: Kind, _: &str| k.name().to_uppercase(),
            &mut counts,
        );
        eprintln!(
            "{} findings on {} bytes: {:?}",
            counts.total(),
            text.len(),
            started.elapsed()
        );
        assert_eq!(counts.get(Kind::Ip), units as u64);
        assert_eq!(counts.get(Kind::Phone), units as u64);
        assert!(counts.total() >= 4_000_000);
        assert_eq!(out.len(), units * b"ab IP PHONE ".len());
        assert!(out.starts_with(b"ab IP PHONE ab IP PHONE "));
    }

    fn arb_findings() -> impl Strategy<Value = Vec<(usize, usize, u8)>> {
        prop::collection::vec((0usize..60, 1usize..12, 0u8..5), 0..40)
            .prop_map(|v| v.into_iter().map(|(s, l, k)| (s, s + l, k)).collect())
    }

    proptest! {
        #[test]
        fn claims_agree_with_the_quadratic_rule(raw in arb_findings()) {
            let mut reference = Vec::new();
            let mut claims = Claims::default();
            for &(s, e, k) in &raw {
                let found = f(s, e, Kind::ALL[k as usize]);
                let a = reference_claim(&mut reference, found.clone());
                let b = claims.claim(found);
                prop_assert_eq!(a, b);
            }
            reference.sort_by_key(|f| f.start);
            let (got, _) = claims.into_sorted();
            prop_assert_eq!(&got, &reference);
            // settle() takes the same findings in runs: the same claims.
            let (settled, _) = settle(raw.iter().map(|&(s, e, k)| f(s, e, Kind::ALL[k as usize])));
            prop_assert_eq!(settled, reference);
        }

        #[test]
        fn settle_in_runs_agrees(runs in prop::collection::vec((0usize..200, 1usize..6, 1usize..4, 0u8..5), 0..30)) {
            // Long in-order runs (a detector's shape) between short out-of-order bits: both paths of claim_batch.
            let mut raw = Vec::new();
            for (start, len, step, k) in runs {
                for i in 0..len * 4 {
                    raw.push((start + i * step, start + i * step + step.min(2), k));
                }
            }
            let mut reference = Vec::new();
            let mut conflict = false;
            for &(s, e, k) in &raw {
                conflict |= reference_claim(&mut reference, f(s, e, Kind::ALL[k as usize]));
            }
            reference.sort_by_key(|f| f.start);
            let (settled, c) = settle(raw.iter().map(|&(s, e, k)| f(s, e, Kind::ALL[k as usize])));
            prop_assert_eq!(settled, reference);
            prop_assert_eq!(c, conflict);
        }

        #[test]
        fn batches_agree_with_the_quadratic_rule(batches in prop::collection::vec((arb_findings(), any::<bool>()), 0..5)) {
            let mut reference = Vec::new();
            let mut claims = Claims::default();
            let mut conflict = false;
            for (raw, sort) in batches {
                let mut batch: Vec<Found> = raw.iter().map(|&(s, e, k)| f(s, e, Kind::ALL[k as usize])).collect();
                if sort {
                    // A detector's shape: in order and disjoint.
                    batch.sort_by_key(|f| f.start);
                    let mut end = 0;
                    batch.retain(|f| { let keep = f.start >= end; if keep { end = f.end; } keep });
                }
                for found in &batch {
                    conflict |= reference_claim(&mut reference, found.clone());
                }
                claims.claim_batch(&mut batch);
            }
            reference.sort_by_key(|f| f.start);
            let (got, c) = claims.into_sorted();
            prop_assert_eq!(got, reference);
            prop_assert_eq!(c, conflict);
        }

        #[test]
        fn rendering_changes_only_the_findings(text in prop::collection::vec(any::<u8>(), 0..80), raw in arb_findings()) {
            let raw: Vec<_> = raw.into_iter().filter(|&(_, e, _)| e <= text.len()).collect();
            let (found, _) = settle(raw.iter().map(|&(s, e, k)| f(s, e, Kind::ALL[k as usize])));
            for w in found.windows(2) {
                prop_assert!(w[0].end <= w[1].start);
            }
            let (out, spans) = replace(&text, &found, &[], &mut fake_token);
            prop_assert_eq!(spans.len(), found.len());
            // Between the tokens stands exactly the text between the findings.
            let mut pos = 0;
            let mut opos = 0;
            for (fd, sp) in found.iter().zip(&spans) {
                prop_assert_eq!(&out[opos..sp.start], &text[pos..fd.start]);
                let token = fake_token(fd.kind(), fd.normalised());
                prop_assert_eq!(&out[sp.clone()], token.as_bytes());
                pos = fd.end;
                opos = sp.end;
            }
            prop_assert_eq!(&out[opos..], &text[pos..]);
            if found.is_empty() {
                prop_assert_eq!(out, text);
            }
            let mut counts = Counts::default();
            for fd in &found {
                counts.add(fd.kind());
            }
            prop_assert_eq!(counts.total() as usize, found.len());
        }

        #[test]
        fn context_is_never_changed_and_empty_context_is_a_plain_segment(
            text in prop::collection::vec(prop::sample::select(b"12.:ab %2E3xy ".to_vec()), 0..60),
            cut in 0usize..60,
            tail: bool,
        ) {
            let cut = cut.min(text.len());
            let mut s = fake_scrubber();
            let mut with_context = Vec::new();
            let mut counts = Counts::default();
            s.scrub_segment_in_context(&text, cut, false, tail, &mut fake_token, &mut counts, &mut with_context);
            // The context is not part of the output, and a segment without one is what scrub_segment gives.
            let mut plain = Vec::new();
            s.scrub_segment(&text[cut..], false, tail, &mut fake_token, &mut Counts::default(), &mut plain);
            let mut none = Vec::new();
            s.scrub_segment_in_context(&text[cut..], 0, false, tail, &mut fake_token, &mut Counts::default(), &mut none);
            prop_assert_eq!(&none, &plain);
            // Unchanged when it holds no hex digit and no value reaches into it across the cut (a blank ends
            // every fake value; a value that does reach in is replaced from the cut on, by design).
            let nothing_crosses = cut == 0 || text[cut - 1] == b' ';
            if nothing_crosses && text[cut..].iter().all(|c| !c.is_ascii_hexdigit()) {
                prop_assert_eq!(&with_context, &text[cut..].to_vec());
            }
        }

        #[test]
        fn mask_leaves_no_digit(text in prop::collection::vec(any::<u8>(), 0..80)) {
            let out = mask_line(&text);
            let stripped = String::from_utf8_lossy(&out).replace("MASKED", "");
            prop_assert!(!stripped.bytes().any(|c| c.is_ascii_digit()));
        }

        #[test]
        fn border_runs_partition(text in prop::collection::vec(any::<u8>(), 0..40), h: bool, t: bool) {
            let (a, b, c) = split_border_runs(&text, h, t);
            prop_assert_eq!(a.end, b.start);
            prop_assert_eq!(b.end, c.start);
            prop_assert_eq!(c.end, text.len());
            prop_assert!(text[a].iter().all(|&x| is_word_byte(x)));
            prop_assert!(text[c].iter().all(|&x| is_word_byte(x)));
        }
    }
}
