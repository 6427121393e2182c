//! Timestamp text -> epoch seconds (UTC): the per-line parsers of tests/reference/timeparse.py.
//!
//! Forms: CLF (`10/Oct/2000:13:55:36 -0700`, HAProxy's `.726` fraction), ISO 8601 / RFC 3339 (with or without
//! offset and fraction, `T` or space), RFC 3164 syslog (`Nov  3 10:00:00`, no year: inferred from the reference
//! time), epoch seconds with fraction (Squid), nginx's slashed and Apache's ctime forms. A timestamp without an
//! offset is read as UTC. Each form is a small hand-written scanner that reads every byte once (the Python
//! regexes never needed to backtrack: every optional part is decided by its first byte); results are kept per
//! text in a bounded memo because timestamps repeat for every line written in the same second.
//!
//! Dates outside years 1..=9999 are invalid here; Python's `calendar` raised ValueError on them.

use crate::cache::BoundedCache;

/// How far a syslog timestamp may be ahead of the reference time before it is read as last year's.
pub const SYSLOG_FUTURE_SLACK: f64 = 86400.0;
/// How much of a line is searched for its time when it is read as free text.
pub const SNIFF_WINDOW: usize = 160;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeForm {
    Clf,
    Iso,
    Epoch,
    Slashed,
    Ctime,
    Syslog,
}

impl TimeForm {
    pub fn from_name(name: &str) -> Option<TimeForm> {
        Some(match name {
            "clf" => TimeForm::Clf,
            "iso" => TimeForm::Iso,
            "epoch" => TimeForm::Epoch,
            "slashed" => TimeForm::Slashed,
            "ctime" => TimeForm::Ctime,
            "syslog" => TimeForm::Syslog,
            _ => return None,
        })
    }
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A cursor over a timestamp's bytes; every method consumes only on success.
struct Scan<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Scan<'a> {
    fn new(text: &'a [u8]) -> Self {
        Scan { text, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn byte(&mut self, c: u8) -> Option<()> {
        (self.peek() == Some(c)).then(|| self.pos += 1)
    }

    fn one_of(&mut self, set: &[u8]) -> Option<u8> {
        let c = self.peek().filter(|c| set.contains(c))?;
        self.pos += 1;
        Some(c)
    }

    /// Exactly `n` digits as a number.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let run = self.text.get(self.pos..self.pos + n)?;
        if !run.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos += n;
        Some(run.iter().fold(0, |v, &c| v * 10 + u32::from(c - b'0')))
    }

    /// One or two digits, as many as there are (`\d{1,2}`).
    fn one_or_two_digits(&mut self) -> Option<u32> {
        let two = self.text.get(self.pos + 1).is_some_and(u8::is_ascii_digit);
        self.digits(if two { 2 } else { 1 })
    }

    fn digit_run(&self, from: usize) -> usize {
        self.text[from.min(self.text.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    }

    /// `[A-Z][a-z]{2}`.
    fn word3(&mut self) -> Option<&'a [u8]> {
        let w = self.text.get(self.pos..self.pos + 3)?;
        if !(w[0].is_ascii_uppercase() && w[1].is_ascii_lowercase() && w[2].is_ascii_lowercase()) {
            return None;
        }
        self.pos += 3;
        Some(w)
    }

    fn month(&mut self) -> Option<u32> {
        let w = self.word3()?;
        MONTHS
            .iter()
            .position(|m| &m[..] == w)
            .map(|i| i as u32 + 1)
    }

    /// ` {1,2}`.
    fn one_or_two_blanks(&mut self) -> Option<()> {
        self.byte(b' ')?;
        let _ = self.byte(b' ');
        Some(())
    }

    /// `hh:mm:ss`.
    fn clock(&mut self) -> Option<(u32, u32, u32)> {
        let h = self.digits(2)?;
        self.byte(b':')?;
        let m = self.digits(2)?;
        self.byte(b':')?;
        Some((h, m, self.digits(2)?))
    }

    /// An optional fraction led by one of `leads` and one or more digits: its value, 0 when absent.
    fn fraction(&mut self, leads: &[u8]) -> Option<f64> {
        match self.peek() {
            Some(c) if leads.contains(&c) => {
                let n = self.digit_run(self.pos + 1);
                if n == 0 {
                    return Some(0.0); // not a fraction: left for what follows to refuse
                }
                let digits = &self.text[self.pos + 1..self.pos + 1 + n];
                self.pos += 1 + n;
                Some(decimal_fraction(digits))
            }
            _ => Some(0.0),
        }
    }

    /// `[+-]hh:?mm` as seconds east of UTC (`allow_colon` false: `[+-]hhmm`).
    fn offset(&mut self, allow_colon: bool) -> Option<i64> {
        let save = self.pos;
        let sign = self.one_of(b"+-");
        let parsed = sign.and_then(|sign| {
            let h = self.digits(2)?;
            if allow_colon && self.peek() == Some(b':') && self.digit_run(self.pos + 1) >= 2 {
                self.pos += 1;
            }
            let m = self.digits(2)?;
            let seconds = i64::from(h) * 3600 + i64::from(m) * 60;
            Some(if sign == b'+' { seconds } else { -seconds })
        });
        if parsed.is_none() {
            self.pos = save;
        }
        parsed
    }

    fn at_end(&self) -> bool {
        self.pos == self.text.len()
    }
}

/// `0.<digits>` as the nearest f64 (what Python's `float(b"0." + digits)` gives). Up to 15 digits the
/// numerator and 10^n are exact and one IEEE division rounds correctly; longer ones go through the parser.
fn decimal_fraction(digits: &[u8]) -> f64 {
    const POWERS: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    if digits.len() <= 15 {
        let n = digits
            .iter()
            .fold(0u64, |v, &c| v * 10 + u64::from(c - b'0'));
        return n as f64 / POWERS[digits.len()];
    }
    let text: String = std::iter::once("0.")
        .chain(std::str::from_utf8(digits))
        .collect();
    text.parse().unwrap_or(0.0)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The year of an epoch time (UTC).
pub fn year_of(epoch: f64) -> i64 {
    let days = (epoch / 86400.0).floor() as i64;
    // civil_from_days, year only
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let year = yoe + era * 400;
    if mp >= 10 {
        year + 1
    } else {
        year
    }
}

/// Epoch seconds of a wall-clock time in UTC; None for a time or date that does not exist. A leap second
/// (`:60`) reads as `:59`.
fn timegm(year: i64, month: u32, day: u32, hh: u32, mm: u32, ss: u32) -> Option<f64> {
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    if !(1..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
    {
        return None;
    }
    let seconds =
        days_from_civil(year, month, day) * 86400 + i64::from(hh * 3600 + mm * 60 + ss.min(59));
    Some(seconds as f64)
}

pub fn parse_clf(text: &[u8]) -> Option<f64> {
    let mut s = Scan::new(text);
    let day = s.one_or_two_digits()?;
    s.byte(b'/')?;
    let month = s.month();
    s.byte(b'/')?;
    let year = s.digits(4)?;
    s.byte(b':')?;
    let (hh, mm, ss) = s.clock()?;
    let frac = s.fraction(b".")?;
    let mut offset = 0;
    if !s.at_end() {
        let _ = s.byte(b' ');
        offset = s.offset(true)?;
    }
    if !s.at_end() {
        return None;
    }
    let t = timegm(i64::from(year), month?, day, hh, mm, ss)?;
    Some(t + frac - offset as f64)
}

pub fn parse_iso(text: &[u8]) -> Option<f64> {
    let (date, end) = iso_prefix(text)?;
    (end == text.len()).then_some(date)?
}

/// The ISO form at the start of `text` as far as it reaches: (epoch or None for a date that does not exist,
/// where it ends).
fn iso_prefix(text: &[u8]) -> Option<(Option<f64>, usize)> {
    let mut s = Scan::new(text);
    let year = s.digits(4)?;
    s.byte(b'-')?;
    let month = s.digits(2)?;
    s.byte(b'-')?;
    let day = s.digits(2)?;
    s.one_of(b"T ")?;
    let (hh, mm, ss) = s.clock()?;
    let frac = s.fraction(b".,")?;
    let offset = if s.one_of(b"Zz").is_some() {
        0
    } else {
        s.offset(true).unwrap_or(0)
    };
    let t = timegm(i64::from(year), month, day, hh, mm, ss).map(|t| t + frac - offset as f64);
    Some((t, s.pos))
}

pub fn parse_epoch(text: &[u8]) -> Option<f64> {
    let mut s = Scan::new(text);
    let n = s.digit_run(0);
    if !(9..=11).contains(&n) {
        return None;
    }
    s.pos = n;
    if s.byte(b'.').is_some() {
        let f = s.digit_run(s.pos);
        if f == 0 {
            return None;
        }
        s.pos += f;
    }
    if !s.at_end() {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

pub fn parse_slashed(text: &[u8]) -> Option<f64> {
    let mut s = Scan::new(text);
    let year = s.digits(4)?;
    s.byte(b'/')?;
    let month = s.digits(2)?;
    s.byte(b'/')?;
    let day = s.digits(2)?;
    s.byte(b' ')?;
    let (hh, mm, ss) = s.clock()?;
    let frac = s.fraction(b".")?;
    if !s.at_end() {
        return None;
    }
    Some(timegm(i64::from(year), month, day, hh, mm, ss)? + frac)
}

pub fn parse_ctime(text: &[u8]) -> Option<f64> {
    let mut s = Scan::new(text);
    s.word3()?;
    s.byte(b' ')?;
    let month = s.month();
    s.one_or_two_blanks()?;
    let day = s.one_or_two_digits()?;
    s.byte(b' ')?;
    let (hh, mm, ss) = s.clock()?;
    let frac = s.fraction(b".")?;
    s.byte(b' ')?;
    let year = s.digits(4)?;
    if !s.at_end() {
        return None;
    }
    Some(timegm(i64::from(year), month?, day, hh, mm, ss)? + frac)
}

/// Epochs of a year-less syslog timestamp in year-1, year and year+1 (the dates that exist); None when the text
/// is no syslog timestamp or no candidate exists.
pub fn syslog_year_candidates(text: &[u8], year: i64) -> Option<Vec<f64>> {
    let mut s = Scan::new(text);
    let month = s.month();
    s.one_or_two_blanks()?;
    let day = s.one_or_two_digits()?;
    s.byte(b' ')?;
    let (hh, mm, ss) = s.clock()?;
    let frac = s.fraction(b".")?;
    if !s.at_end() {
        return None;
    }
    let month = month?;
    let out: Vec<f64> = (year - 1..=year + 1)
        .filter_map(|y| timegm(y, month, day, hh, mm, ss))
        .map(|t| t + frac)
        .collect();
    (!out.is_empty()).then_some(out)
}

/// The latest candidate not more than a day ahead of `now`: handles the December/January turn and archives
/// from earlier in the year alike.
pub fn pick_syslog_year(candidates: &[f64], now: f64) -> f64 {
    let mut best = candidates[0];
    for &t in candidates {
        if t <= now + SYSLOG_FUTURE_SLACK {
            best = t;
        }
    }
    best
}

fn parse_form(form: TimeForm, text: &[u8]) -> Option<f64> {
    match form {
        TimeForm::Clf => parse_clf(text),
        TimeForm::Iso => parse_iso(text),
        TimeForm::Epoch => parse_epoch(text),
        TimeForm::Slashed => parse_slashed(text),
        TimeForm::Ctime => parse_ctime(text),
        TimeForm::Syslog => unreachable!("syslog needs the reference time"),
    }
}

/// The longest time text memoised: every form's texts are shorter (an ISO time with a fraction and an offset is
/// about 35 bytes). A longer text, which a JSON time key can carry, is parsed but not held, so the memos'
/// bytes stay bounded whatever the lines hold.
const MEMO_TEXT_MAX: usize = 64;

/// The memo of one time form: the engine's bounded two-generation cache (one keyed hash, one probe per hit).
type Memo<V> = BoundedCache<V>;

/// Memoised timestamp parsing for one stream. Pure: the reference time comes in as an argument.
pub struct TimeParser {
    forms: [Memo<Option<f64>>; 5],
    /// Per text: (the day of the reference time the candidates were made for, the candidates).
    syslog: Memo<(i64, Option<Vec<f64>>)>,
}

impl Default for TimeParser {
    fn default() -> Self {
        TimeParser::new(4096)
    }
}

impl TimeParser {
    pub fn new(cache_size: usize) -> TimeParser {
        TimeParser {
            forms: std::array::from_fn(|_| Memo::new(cache_size)),
            syslog: Memo::new(cache_size),
        }
    }

    /// Epoch seconds for `text` read as `form`, or None.
    pub fn parse(&mut self, form: TimeForm, text: &[u8], now: f64) -> Option<f64> {
        let memo = match form {
            TimeForm::Syslog => return self.parse_syslog(text, now),
            TimeForm::Clf => &mut self.forms[0],
            TimeForm::Iso => &mut self.forms[1],
            TimeForm::Epoch => &mut self.forms[2],
            TimeForm::Slashed => &mut self.forms[3],
            TimeForm::Ctime => &mut self.forms[4],
        };
        if text.len() > MEMO_TEXT_MAX {
            return parse_form(form, text);
        }
        if let Some((_, &hit)) = memo.get(text) {
            return hit;
        }
        let value = parse_form(form, text);
        memo.insert(text, b"", value);
        value
    }

    fn parse_syslog(&mut self, text: &[u8], now: f64) -> Option<f64> {
        let day = (now / 86400.0).floor() as i64;
        if let Some((_, (d, c))) = self.syslog.get(text) {
            if *d == day {
                return c.as_ref().map(|c| pick_syslog_year(c, now));
            }
        }
        let c = syslog_year_candidates(text, year_of(now));
        let t = c.as_ref().map(|c| pick_syslog_year(c, now));
        if text.len() > MEMO_TEXT_MAX {
            return t;
        }
        // A stale day's entry is replaced: insert keeps an existing key, so drop it first.
        self.syslog.remove(text);
        self.syslog.insert(text, b"", (day, c));
        t
    }

    /// The event time of a line that matched no format: a timestamp at its start (after an optional syslog
    /// `<PRI>` and RFC 5424 version, an optional bracket), else a bracketed CLF time, else an ISO time standing
    /// alone, all within the first SNIFF_WINDOW bytes.
    pub fn sniff(&mut self, line: &[u8], now: f64) -> Option<f64> {
        let head = &line[..line.len().min(SNIFF_WINDOW)];
        if let Some((form, range)) = sniff_start(head) {
            if let Some(t) = self.parse(form, &head[range], now) {
                return Some(t);
            }
        }
        if let Some(range) = sniff_clf(head) {
            if let Some(t) = self.parse(TimeForm::Clf, &head[range], now) {
                return Some(t);
            }
        }
        let range = sniff_iso_anywhere(head)?;
        self.parse(TimeForm::Iso, &head[range], now)
    }
}

/// Where the fixed part of an ISO time ends (`yyyy-mm-dd[T ]hh:mm:ss`), if it starts at `at`.
fn iso_fixed(text: &[u8], at: usize) -> Option<usize> {
    let mut s = Scan { text, pos: at };
    s.digits(4)?;
    s.byte(b'-')?;
    s.digits(2)?;
    s.byte(b'-')?;
    s.digits(2)?;
    s.one_of(b"T ")?;
    s.clock()?;
    Some(s.pos)
}

/// `(?:\.\d+)?` (or with `[.,]`) after `at`: where the greedy fraction ends (`at` when there is none).
fn fraction_end(text: &[u8], at: usize, leads: &[u8]) -> usize {
    match text.get(at) {
        Some(c) if leads.contains(c) => {
            let n = text[at + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if n > 0 {
                at + 1 + n
            } else {
                at
            }
        }
        _ => at,
    }
}

/// `(?:Z|[+-]\d{2}:?\d{2})?` after `at`: where the greedy zone ends.
fn zone_end(text: &[u8], at: usize) -> usize {
    let digits = |from: usize| {
        text.get(from..from + 2)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    match text.get(at) {
        Some(b'Z') => at + 1,
        Some(b'+' | b'-') if digits(at + 1) => {
            if text.get(at + 3) == Some(&b':') && digits(at + 4) {
                at + 6
            } else if digits(at + 3) {
                at + 5
            } else {
                at
            }
        }
        _ => at,
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The timestamp at the start of a line: its form and where it stands.
fn sniff_start(head: &[u8]) -> Option<(TimeForm, std::ops::Range<usize>)> {
    let mut p = 0;
    // `<PRI>` and the RFC 5424 version: skipped only when a timestamp follows (as the regex backtracks).
    let mut s = Scan::new(head);
    if s.byte(b'<').is_some() {
        let n = s.digit_run(1);
        if (1..=3).contains(&n) && head.get(1 + n) == Some(&b'>') {
            p = 2 + n;
            if head[p..].starts_with(b"1 ") {
                p += 2;
            }
        }
    }
    if head.get(p) == Some(&b'[') {
        p += 1;
    }
    let at = p;
    // ISO
    if let Some(end) = iso_fixed(head, at) {
        let end = zone_end(head, fraction_end(head, end, b".,"));
        return Some((TimeForm::Iso, at..end));
    }
    // syslog
    let mut s = Scan {
        text: head,
        pos: at,
    };
    if s.word3().is_some()
        && s.one_or_two_blanks().is_some()
        && s.one_or_two_digits().is_some()
        && s.byte(b' ').is_some()
        && s.clock().is_some()
    {
        return Some((TimeForm::Syslog, at..fraction_end(head, s.pos, b".")));
    }
    // epoch: ten digits, a fraction, then a blank
    if Scan::new(head).digit_run(at) >= 10 {
        let end = fraction_end(head, at + 10, b".");
        if head.get(end).is_some_and(|&c| is_space(c)) {
            return Some((TimeForm::Epoch, at..end));
        }
    }
    // slashed
    let mut s = Scan {
        text: head,
        pos: at,
    };
    if s.digits(4).is_some()
        && s.byte(b'/').is_some()
        && s.digits(2).is_some()
        && s.byte(b'/').is_some()
        && s.digits(2).is_some()
        && s.byte(b' ').is_some()
        && s.clock().is_some()
    {
        return Some((TimeForm::Slashed, at..fraction_end(head, s.pos, b".")));
    }
    // ctime
    let mut s = Scan {
        text: head,
        pos: at,
    };
    if s.word3().is_some()
        && s.byte(b' ').is_some()
        && s.word3().is_some()
        && s.one_or_two_blanks().is_some()
        && s.one_or_two_digits().is_some()
        && s.byte(b' ').is_some()
        && s.clock().is_some()
    {
        s.pos = fraction_end(head, s.pos, b".");
        if s.byte(b' ').is_some() && s.digits(4).is_some() {
            return Some((TimeForm::Ctime, at..s.pos));
        }
    }
    None
}

/// The first `[dd/Mon/yyyy:hh:mm:ss(.f)?( ±hhmm)?]`: where its inside stands.
fn sniff_clf(head: &[u8]) -> Option<std::ops::Range<usize>> {
    memchr::memchr_iter(b'[', head).find_map(|open| {
        let mut s = Scan {
            text: head,
            pos: open + 1,
        };
        s.one_or_two_digits()?;
        s.byte(b'/')?;
        s.word3()?;
        s.byte(b'/')?;
        s.digits(4)?;
        s.byte(b':')?;
        s.clock()?;
        s.pos = fraction_end(head, s.pos, b".");
        let inside_end = s.pos;
        if s.byte(b']').is_some() {
            return Some(open + 1..inside_end);
        }
        s.byte(b' ')?;
        s.one_of(b"+-")?;
        s.digits(4)?;
        let inside_end = s.pos;
        s.byte(b']')?;
        Some(open + 1..inside_end)
    })
}

/// An ISO time not glued to digits, dots or colons before it nor digits or colons after it. Where the regex
/// backtracks (a zone or fraction followed by a digit or colon), the shorter match before the zone or fraction
/// is taken, as it was.
fn sniff_iso_anywhere(head: &[u8]) -> Option<std::ops::Range<usize>> {
    let free_after = |e: usize| {
        head.get(e)
            .is_none_or(|&c| !(c.is_ascii_digit() || c == b':'))
    };
    (0..head.len()).find_map(|p| {
        if p > 0 && (head[p - 1].is_ascii_digit() || matches!(head[p - 1], b'.' | b':')) {
            return None;
        }
        let fixed = iso_fixed(head, p)?;
        // In the regex's backtracking order: the greedy fraction with its zone, then without the zone; then no
        // fraction, with and without a zone. (A shorter fraction ends before a digit, where no zone starts and
        // the look-ahead fails; a colon zone that gives its colon back leaves `\d{2}` facing the colon.)
        let frac = fraction_end(head, fixed, b".,");
        let mut ends = [zone_end(head, frac), frac, zone_end(head, fixed), fixed];
        if frac == fixed {
            ends[2] = ends[0];
            ends[3] = ends[1];
        }
        ends.into_iter().find(|&e| free_after(e)).map(|e| p..e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T: f64 = 971211336.0; // 2000-10-10T20:55:36Z

    #[test]
    fn long_texts_are_parsed_but_not_held() {
        let mut p = TimeParser::default();
        let long = [b"2026-11-21T10:15:32Z".as_slice(), &[b'x'; 100_000]].concat();
        for form in [TimeForm::Iso, TimeForm::Clf, TimeForm::Syslog] {
            assert_eq!(p.parse(form, &long, 1.8e9), None);
        }
        assert!(p.forms.iter().all(|m| m.is_empty()) && p.syslog.is_empty());
        assert!(p
            .parse(TimeForm::Iso, b"2026-11-21T10:15:32Z", 1.8e9)
            .is_some());
        assert_eq!(p.forms[1].len(), 1);
    }

    #[test]
    fn clf_table() {
        let cases: &[(&[u8], Option<f64>)] = &[
            (b"10/Oct/2000:13:55:36 -0700", Some(T)),
            (b"10/Oct/2000:20:55:36 +0000", Some(T)),
            (b"10/Oct/2000:22:55:36 +0200", Some(T)),
            (b"10/Oct/2000:22:55:36+02:00", Some(T)),
            (b"10/Oct/2000:20:55:36.726", Some(T + 0.726)),
            (b"32/Oct/2000:20:55:36 +0000", None),
            (b"10/Foo/2000:20:55:36 +0000", None),
            (b"10/Oct/2000:20:55:36 ", None),
            (b"01/Jan/0000:00:00:00", None), // Python raised ValueError (year 0)
        ];
        for &(text, expected) in cases {
            assert_eq!(
                parse_clf(text),
                expected,
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn iso_table() {
        let cases: &[(&[u8], Option<f64>)] = &[
            (b"2000-10-10T20:55:36Z", Some(T)),
            (b"2000-10-10T20:55:36z", Some(T)),
            (b"2000-10-10T22:55:36+02:00", Some(T)),
            (b"2000-10-10T22:55:36+0200", Some(T)),
            (b"2000-10-10 20:55:36", Some(T)),
            (b"2000-10-10T20:55:36.250Z", Some(T + 0.25)),
            (b"2000-10-10T20:55:36,5-00:00", Some(T + 0.5)),
            (b"2000-13-10T20:55:36Z", None),
            (b"2001-02-29T00:00:00Z", None),
            (b"2000-02-29T00:00:00Z", Some(951782400.0)),
            (b"2000-10-10T20:55:60Z", Some(T + 23.0)), // a leap second reads as :59
            (b"2000-10-10T20:55:36+02:0", None),
        ];
        for &(text, expected) in cases {
            assert_eq!(
                parse_iso(text),
                expected,
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn other_forms() {
        assert_eq!(parse_epoch(b"1386543323.250"), Some(1386543323.25));
        assert_eq!(parse_epoch(b"12345678"), None);
        assert_eq!(parse_epoch(b"1386543323."), None);
        assert_eq!(parse_slashed(b"2000/10/10 20:55:36"), Some(T));
        assert_eq!(
            parse_ctime(b"Tue Oct 10 20:55:36.500000 2000"),
            Some(T + 0.5)
        );
        assert_eq!(
            parse_ctime(b"Tue Oct  1 20:55:36 2000"),
            Some(T - 9.0 * 86400.0)
        );
    }

    fn at(text: &str) -> f64 {
        parse_iso(text.as_bytes()).unwrap()
    }

    #[test]
    fn syslog_year_inference() {
        let cases = [
            (
                "Dec 31 23:59:00",
                "2026-01-01T00:10:00Z",
                "2025-12-31T23:59:00Z",
            ),
            (
                "Jan  1 00:00:05",
                "2026-12-31T23:59:00Z",
                "2027-01-01T00:00:05Z",
            ),
            (
                "Mar  3 10:00:00",
                "2026-11-21T12:00:00Z",
                "2026-03-03T10:00:00Z",
            ),
            (
                "Nov 22 10:00:00",
                "2026-11-21T12:00:00Z",
                "2026-11-22T10:00:00Z",
            ),
            (
                "Nov 25 10:00:00",
                "2026-11-21T12:00:00Z",
                "2025-11-25T10:00:00Z",
            ),
            (
                "Feb 29 10:00:00",
                "2025-03-01T12:00:00Z",
                "2024-02-29T10:00:00Z",
            ),
        ];
        let mut parser = TimeParser::default();
        for (stamp, now, expected) in cases {
            assert_eq!(
                parser.parse(TimeForm::Syslog, stamp.as_bytes(), at(now)),
                Some(at(expected)),
                "{stamp}"
            );
        }
    }

    #[test]
    fn sniffing_free_text() {
        let cases: &[(&[u8], Option<f64>)] = &[
            (
                b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1",
                Some(T),
            ),
            (
                b"<34>1 2000-10-10T20:55:36Z host app 1 - - message",
                Some(T),
            ),
            (b"2000-10-10T20:55:36Z INFO started", Some(T)),
            (b"[2000-10-10 20:55:36] NOTICE[1638] chan_sip.c: x", Some(T)),
            (
                b"1386543323.250      4 192.0.2.1 TCP_DENIED/403 4099 GET",
                Some(1386543323.25),
            ),
            (b"2000/10/10 20:55:36 [error] 2865#0: *1 x", Some(T)),
            (
                b"[Tue Oct 10 20:55:36 2000] [error] [client 1.2.3.4] x",
                Some(T),
            ),
            (
                b"[Tue Oct 10 20:55:36.500000 2000] [error] x",
                Some(T + 0.5),
            ),
            (b"no time in this line 1.2.3.4", None),
            (b"at 2000-10-10T20:55:36.250: x", Some(T)), // the fraction gives way before the colon
            (b"at 2000-10-10T20:55:36+02:00:1", Some(T)), // so does the zone
        ];
        for &(line, expected) in cases {
            assert_eq!(
                TimeParser::default().sniff(line, T),
                expected,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn years() {
        assert_eq!(year_of(-0.5), 1969);
        assert_eq!(year_of(0.0), 1970);
        assert_eq!(year_of(at("2024-12-31T23:59:59Z")), 2024);
        assert_eq!(year_of(at("2025-01-01T00:00:00Z")), 2025);
    }

    /// Throughput, for the report only (nothing asserted on time).
    #[test]
    #[ignore]
    fn sniff_throughput() {
        let lines: Vec<Vec<u8>> = (0..1_000_000u32)
            .map(|i| {
                format!(
                    "<34>1 2026-11-21T{:02}:{:02}:{:02}.{:03}Z host app - - msg {i}",
                    i / 3600 % 24,
                    i / 60 % 60,
                    i % 60,
                    i % 1000
                )
                .into_bytes()
            })
            .collect();
        let mut parser = TimeParser::default();
        let started = std::time::Instant::now();
        let found = lines
            .iter()
            .filter(|l| parser.sniff(l, 1795262400.0).is_some())
            .count();
        eprintln!(
            "{found} of {} lines sniffed in {:?}",
            lines.len(),
            started.elapsed()
        );
        let started = std::time::Instant::now();
        let direct = lines
            .iter()
            .filter(|l| sniff_start(l).and_then(|(_, r)| parse_iso(&l[r])).is_some())
            .count();
        eprintln!(
            "{direct} parsed without the memo in {:?}",
            started.elapsed()
        );
        // One second's time text over and over (a busy log): memo hits.
        let text = &lines[0][6..30];
        let started = std::time::Instant::now();
        let hits = (0..1_000_000)
            .filter(|_| parser.parse(TimeForm::Iso, text, 0.0).is_some())
            .count();
        eprintln!("{hits} memo hits in {:?}", started.elapsed());
    }

    proptest! {
        #[test]
        fn fractions_round_like_the_parser(digits in "[0-9]{1,30}") {
            let parsed: f64 = format!("0.{digits}").parse().unwrap();
            prop_assert_eq!(decimal_fraction(digits.as_bytes()), parsed);
        }

        #[test]
        fn iso_round_trips_every_valid_date(days in 0i64..2_900_000, secs in 0u32..86400, frac in 0u32..1000) {
            let t = (days - 719_162) * 86400 + i64::from(secs); // from 0001-01-01
            let year = year_of(t as f64);
            prop_assume!((1..=9999).contains(&year));
            // Rebuild the date by walking months (independent of days_from_civil).
            let mut rest = t.div_euclid(86400) - days_from_civil(year, 1, 1);
            let mut month = 1;
            while rest >= i64::from(days_in_month(year, month)) {
                rest -= i64::from(days_in_month(year, month));
                month += 1;
            }
            let text = format!(
                "{year:04}-{month:02}-{:02}T{:02}:{:02}:{:02}.{frac:03}Z",
                rest + 1, secs / 3600, secs / 60 % 60, secs % 60
            );
            let expected = t as f64 + format!("0.{frac:03}").parse::<f64>().unwrap();
            prop_assert_eq!(parse_iso(text.as_bytes()), Some(expected));
        }

        #[test]
        fn parsers_never_panic(text in prop::collection::vec(prop::sample::select(b"0123456789:-+. /TZJanOctMon[]<>z,".to_vec()), 0..40)) {
            let mut p = TimeParser::default();
            for form in [TimeForm::Clf, TimeForm::Iso, TimeForm::Epoch, TimeForm::Slashed, TimeForm::Ctime, TimeForm::Syslog] {
                let _ = p.parse(form, &text, T);
            }
            let _ = p.sniff(&text, T);
        }
    }
}
