//! Scanners for the field types of the pattern language (pseudolog/formats/fieldtypes.py).
//!
//! Each reproduces one Python regex. Possessive parts (`*+`, `++`) become a single end position; the few
//! greedy choices that Python may backtrack into (an optional fraction or zone in a time, `{9,11}` digits of
//! an epoch, a number's fraction) become a short list of candidate ends in the order Python tries them:
//! longest first. All candidates of one field come in at most four descending ranges.

use memchr::{memchr, memchr2, memchr3};

/// `\s` of a Python bytes regex: ASCII space, \t, \n, \v, \f, \r (not \x1c..\x1f).
pub fn is_space(b: u8) -> bool {
    SPACE[usize::from(b)]
}

const SPACE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = matches!(i as u8, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
        i += 1;
    }
    t
};

/// How a field reads, as named by the layout spec (see pseudolog/formats/spec.py).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scan {
    /// `.*` (DOTALL): anything, to the end of the line unless something follows.
    Any,
    /// `\S++` before a blank, `\S+` at the end.
    NonSpace,
    /// `[^\s<stop>]++`.
    NonSpaceNot(u8),
    /// `[^<stop>]*+`.
    Not(u8),
    /// `[^"\\]*+(?:\\.[^"\\]*+)*+`: the inside of a double-quoted string with backslash escapes.
    Quoted,
    /// `-|[0-9]++`.
    Int,
    /// `-|[0-9]++(?:\.[0-9]++)?`.
    Num,
    /// RFC 5424 structured data: `-` or one or more `[...]` blocks (quoted values, backslash escapes).
    Sd,
    Clf,
    Iso,
    Syslog,
    Epoch,
}

impl Scan {
    pub fn from_spec(name: &str, stop: Option<u8>) -> Option<Scan> {
        Some(match (name, stop) {
            ("any", _) => Scan::Any,
            ("nonspace", _) => Scan::NonSpace,
            ("nonspace_not", Some(s)) => Scan::NonSpaceNot(s),
            ("not", Some(s)) => Scan::Not(s),
            ("quoted", _) => Scan::Quoted,
            ("int", _) => Scan::Int,
            ("num", _) => Scan::Num,
            ("sd", _) => Scan::Sd,
            ("clf", _) => Scan::Clf,
            ("iso", _) => Scan::Iso,
            ("syslog", _) => Scan::Syslog,
            ("epoch", _) => Scan::Epoch,
            _ => return None,
        })
    }

    /// Whether the scan is one class run (its end from `p` is its end from `p + 1` when `line[p]` is in the
    /// class), so a scan from the next position can be reused.
    pub fn run_class(self, b: u8) -> Option<bool> {
        match self {
            Scan::NonSpace => Some(!is_space(b)),
            Scan::NonSpaceNot(s) => Some(!is_space(b) && b != s),
            Scan::Not(s) => Some(b != s),
            Scan::Quoted => Some(b != b'"' && b != b'\\'),
            _ => None,
        }
    }
}

/// Candidate ends, highest priority first: up to four ranges, each `hi` down to `lo` inclusive.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cands {
    ranges: [(usize, usize); 4],
    n: usize,
}

impl Cands {
    pub fn push(&mut self, hi: usize, lo: usize) {
        debug_assert!(hi >= lo && self.n < 4);
        self.ranges[self.n] = (hi, lo);
        self.n += 1;
    }

    /// The first candidate (the highest-priority end), if any.
    pub fn first(&self) -> Option<usize> {
        (self.n > 0).then_some(self.ranges[0].0)
    }

    /// The only candidate, when there is exactly one.
    pub fn single(&self) -> Option<usize> {
        (self.n == 1 && self.ranges[0].0 == self.ranges[0].1).then_some(self.ranges[0].0)
    }

    /// How many ends there are.
    pub fn count(&self) -> usize {
        self.ranges[..self.n]
            .iter()
            .map(|&(hi, lo)| hi - lo + 1)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn contains(&self, end: usize) -> bool {
        self.ranges[..self.n]
            .iter()
            .any(|&(hi, lo)| lo <= end && end <= hi)
    }

    /// Every candidate, in the order Python's backtracking tries them.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.ranges[..self.n]
            .iter()
            .flat_map(|&(hi, lo)| (lo..=hi).rev())
    }
}

fn digits(line: &[u8], p: usize) -> usize {
    line.get(p..).map_or(0, |rest| {
        rest.iter().take_while(|b| b.is_ascii_digit()).count()
    })
}

fn at(line: &[u8], p: usize, pred: impl Fn(u8) -> bool) -> bool {
    line.get(p).is_some_and(|&b| pred(b))
}

/// `count` digits at `p`.
fn fixed_digits(line: &[u8], p: usize, count: usize) -> bool {
    line.len() >= p + count && line[p..p + count].iter().all(u8::is_ascii_digit)
}

/// Fixed-shape pieces: digits (`d`), one literal byte, or an ASCII class. Inlined: the pieces are constants
/// at every call, so each check compiles to the one comparison its piece needs.
#[inline]
fn shape(line: &[u8], p: usize, pieces: &[u8]) -> Option<usize> {
    let end = p + pieces.len();
    let bytes = line.get(p..end)?;
    let fits = bytes.iter().zip(pieces).all(|(&b, &piece)| match piece {
        b'd' => b.is_ascii_digit(),
        b'A' => b.is_ascii_uppercase(),
        b'a' => b.is_ascii_lowercase(),
        b'T' => b == b'T' || b == b' ',
        other => b == other,
    });
    fits.then_some(end)
}

/// The end of `[^"\\]*+(?:\\.[^"\\]*+)*+` from `p`: the first unescaped `"`, a lone backslash at the very end
/// (the escape needs a byte after it), or the end of the line.
pub fn quoted_end(line: &[u8], p: usize) -> usize {
    let mut q = p;
    while let Some(k) = memchr2(b'"', b'\\', &line[q..]) {
        q += k;
        if line[q] == b'"' || q + 1 >= line.len() {
            return q;
        }
        q += 2;
    }
    line.len()
}

/// The body of one structured-data block from `p`: `[^\]"\\]*+(?:(?:\\.|"QUOTED")[^\]"\\]*+)*+`.
fn sd_body_end(line: &[u8], p: usize) -> usize {
    let mut q = p;
    while let Some(k) = memchr3(b']', b'"', b'\\', &line[q..]) {
        q += k;
        match line[q] {
            b'\\' if q + 1 < line.len() => q += 2,
            b'"' => {
                let e = quoted_end(line, q + 1);
                if e < line.len() && line[e] == b'"' {
                    q = e + 1;
                } else {
                    return q;
                }
            }
            _ => return q,
        }
    }
    line.len()
}

#[inline(never)] // out of the walk: see `candidates`
fn sd_end(line: &[u8], p: usize) -> Option<usize> {
    if at(line, p, |b| b == b'-') {
        return Some(p + 1);
    }
    let mut q = p;
    while at(line, q, |b| b == b'[') {
        let e = sd_body_end(line, q + 1);
        if !at(line, e, |b| b == b']') {
            break;
        }
        q = e + 1;
    }
    (q > p).then_some(q)
}

/// `(?:[.<sep>][0-9]+)?` after `b`, then an optional zone tried first at the longest fraction only: with a
/// shorter fraction the next byte is a digit, where no zone starts.
fn fraction_and_zone(
    line: &[u8],
    b: usize,
    seps: &[u8],
    zone: impl Fn(usize) -> Option<usize>,
) -> Cands {
    let mut c = Cands::default();
    let frac = if at(line, b, |x| seps.contains(&x)) {
        digits(line, b + 1)
    } else {
        0
    };
    let top = if frac > 0 { b + 1 + frac } else { b };
    if let Some(z) = zone(top) {
        c.push(z, z);
    }
    if frac > 0 {
        c.push(top, b + 2);
    }
    c.push(b, b);
    c
}

#[inline(never)] // out of the walk: see `candidates`
fn clf(line: &[u8], p: usize) -> Cands {
    let day = digits(line, p).min(2);
    let Some(b) = (day > 0)
        .then(|| shape(line, p + day, b"/Aaa/dddd:dd:dd:dd"))
        .flatten()
    else {
        return Cands::default();
    };
    fraction_and_zone(line, b, b".", |x| {
        let s = if at(line, x, |c| c == b' ') { x + 1 } else { x };
        (at(line, s, |c| c == b'+' || c == b'-') && fixed_digits(line, s + 1, 4)).then_some(s + 5)
    })
}

#[inline(never)] // out of the walk: see `candidates`
fn iso(line: &[u8], p: usize) -> Cands {
    let Some(b) = shape(line, p, b"dddd-dd-ddTdd:dd:dd") else {
        return Cands::default();
    };
    fraction_and_zone(line, b, b".,", |x| match line.get(x) {
        Some(b'Z') => Some(x + 1),
        Some(b'+' | b'-') if fixed_digits(line, x + 1, 2) => {
            if at(line, x + 3, |c| c == b':') && fixed_digits(line, x + 4, 2) {
                Some(x + 6)
            } else if fixed_digits(line, x + 3, 2) {
                Some(x + 5)
            } else {
                None
            }
        }
        _ => None,
    })
}

#[inline(never)] // out of the walk: see `candidates`
fn syslog(line: &[u8], p: usize) -> Cands {
    let Some(mut q) = shape(line, p, b"Aaa ") else {
        return Cands::default();
    };
    if at(line, q, |c| c == b' ') {
        q += 1; // ` {1,2}`: a second blank, else the day's digit must be there
    }
    let day = digits(line, q).min(2);
    let Some(b) = (day > 0)
        .then(|| shape(line, q + day, b" dd:dd:dd"))
        .flatten()
    else {
        return Cands::default();
    };
    fraction_and_zone(line, b, b".", |_| None)
}

#[inline(never)] // out of the walk: see `candidates`
fn epoch(line: &[u8], p: usize) -> Cands {
    let run = digits(line, p);
    let mut c = Cands::default();
    if run < 9 {
        return c;
    }
    let top = run.min(11);
    if top == run {
        // All the digits taken: a fraction may follow.
        let f = fraction_and_zone(line, p + run, b".", |_| None);
        for &(hi, lo) in &f.ranges[..f.n] {
            c.push(hi, lo);
        }
        if top > 9 {
            c.push(p + top - 1, p + 9);
        }
    } else {
        c.push(p + top, p + 9);
    }
    c
}

/// The ends a field may take: most scans have exactly one (or none); times, numbers with a fraction and `.*`
/// offer several, which the matcher tries in order.
#[derive(Clone, Copy, Debug)]
pub enum Ends {
    One(usize),
    Many(Cands),
}

impl Ends {
    const NONE: Ends = Ends::Many(Cands {
        ranges: [(0, 0); 4],
        n: 0,
    });

    /// The first candidate (the highest-priority end), if any.
    pub fn first(&self) -> Option<usize> {
        match self {
            Ends::One(e) => Some(*e),
            Ends::Many(c) => c.first(),
        }
    }
}

/// The end of the run of bytes from `p` for which `in_run` holds.
fn run_end_from(line: &[u8], p: usize, in_run: impl Fn(u8) -> bool) -> usize {
    line[p..]
        .iter()
        .position(|&b| !in_run(b))
        .map_or(line.len(), |k| p + k)
}

/// The candidate ends of a field at `p` (for the class runs: the run's end, possibly `p` itself; emptiness
/// is the caller's check). `run_end` is a run end already known for this start. Inlined into the walk: most
/// fields are class runs or integers, a scan and no more; the rest are read out of line.
#[inline(always)]
pub fn candidates(scan: Scan, line: &[u8], p: usize, run_end: Option<usize>) -> Ends {
    match scan {
        Scan::NonSpace | Scan::NonSpaceNot(_) => {
            let end = run_end.unwrap_or_else(|| match scan {
                Scan::NonSpaceNot(s) => run_end_from(line, p, |b| !is_space(b) && b != s),
                _ => run_end_from(line, p, |b| !is_space(b)),
            });
            if end > p {
                Ends::One(end)
            } else {
                Ends::NONE
            }
        }
        Scan::Not(s) => Ends::One(
            run_end.unwrap_or_else(|| memchr(s, &line[p..]).map_or(line.len(), |k| p + k)),
        ),
        Scan::Quoted => Ends::One(run_end.unwrap_or_else(|| quoted_end(line, p))),
        Scan::Int => int_end(line, p).map_or(Ends::NONE, Ends::One),
        Scan::Any => {
            let mut c = Cands::default();
            c.push(line.len(), p);
            Ends::Many(c)
        }
        Scan::Num => num_ends(line, p),
        Scan::Sd => sd_end(line, p).map_or(Ends::NONE, Ends::One),
        Scan::Clf => Ends::Many(clf(line, p)),
        Scan::Iso => Ends::Many(iso(line, p)),
        Scan::Syslog => Ends::Many(syslog(line, p)),
        Scan::Epoch => Ends::Many(epoch(line, p)),
    }
}

/// `-|[0-9]++`: where an integer (or a lone `-`) at `p` ends.
#[inline]
fn int_end(line: &[u8], p: usize) -> Option<usize> {
    if at(line, p, |b| b == b'-') {
        return Some(p + 1);
    }
    match digits(line, p) {
        0 => None,
        d => Some(p + d),
    }
}

/// `-|[0-9]++(?:\.[0-9]++)?`: with a fraction, its end and the end before the dot.
#[inline(never)] // kept out of the walk with the other scans that may offer several ends
fn num_ends(line: &[u8], p: usize) -> Ends {
    let Some(end) = int_end(line, p) else {
        return Ends::NONE;
    };
    // A lone `-` takes no fraction.
    let fraction = if line[p] != b'-' && at(line, end, |b| b == b'.') {
        digits(line, end + 1)
    } else {
        0
    };
    if fraction == 0 {
        return Ends::One(end);
    }
    let mut c = Cands::default();
    c.push(end + 1 + fraction, end + 1 + fraction);
    c.push(end, end);
    Ends::Many(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(scan: Scan, line: &[u8]) -> Vec<usize> {
        match candidates(scan, line, 0, None) {
            Ends::One(e) => vec![e],
            Ends::Many(c) => c.iter().collect(),
        }
    }

    #[test]
    fn times_offer_their_ends_longest_first() {
        assert_eq!(all(Scan::Clf, b"10/Oct/2000:13:55:36 -0700]"), vec![26, 20]);
        assert_eq!(
            all(Scan::Clf, b"1/Oct/2000:13:55:36.12+0100"),
            vec![27, 22, 21, 19]
        );
        assert_eq!(
            all(Scan::Clf, b"100/Oct/2000:13:55:36"),
            Vec::<usize>::new()
        );
        assert_eq!(
            all(Scan::Iso, b"2026-11-21T10:00:00,5+01:00"),
            vec![27, 21, 19]
        );
        assert_eq!(all(Scan::Iso, b"2026-11-21 10:00:00Z"), vec![20, 19]);
        assert_eq!(all(Scan::Iso, b"2026-11-21 10:00:00+0100"), vec![24, 19]);
        assert_eq!(all(Scan::Syslog, b"Nov  1 10:00:00.25 x"), vec![18, 17, 15]);
        assert_eq!(all(Scan::Syslog, b"Nov 21 10:00:00"), vec![15]);
        assert_eq!(all(Scan::Syslog, b"Nov   1 10:00:00"), Vec::<usize>::new());
        assert_eq!(all(Scan::Epoch, b"1700000000.5 "), vec![12, 10, 9]);
        assert_eq!(all(Scan::Epoch, b"123456789012 "), vec![11, 10, 9]);
        assert_eq!(all(Scan::Epoch, b"12345678901.5"), vec![13, 11, 10, 9]);
    }

    #[test]
    fn numbers_and_structured_data() {
        assert_eq!(all(Scan::Num, b"12.5."), vec![4, 2]);
        assert_eq!(all(Scan::Num, b"12."), vec![2]);
        assert_eq!(all(Scan::Int, b"-12"), vec![1]);
        assert_eq!(all(Scan::Sd, b"[a b=\"x\\\"]\"][c] m"), vec![15]);
        assert_eq!(all(Scan::Sd, b"[a b=\"x] m"), Vec::<usize>::new());
        assert_eq!(all(Scan::Sd, b"[a][b x"), vec![3]);
    }

    #[test]
    fn quoted_stops_at_an_unescaped_quote_or_a_lone_last_backslash() {
        assert_eq!(quoted_end(b"a\\\"b\" c", 0), 4);
        assert_eq!(quoted_end(b"ab\\", 0), 2);
        assert_eq!(quoted_end(b"ab\\\\", 0), 4);
    }
}
