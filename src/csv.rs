//! Delimited records with declared columns (tests/reference/formats.py): which byte ranges of a line are
//! column contents and what each column is. The line's bytes, quotes and delimiters stay as they are; only
//! the returned ranges are rewritten later.
//!
//! A field is quoted (`"..."`, a doubled quote standing for one; its range is the inside of the quotes) or bare
//! (no quote, no comma). A record has `min_columns` to `columns.len()` fields, and its time column must hold
//! a valid ISO 8601 time: that is what tells a CDR from any other comma-separated line.

use memchr::memchr;

use crate::layout::{Hint, Value};

/// What a column is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnRole {
    /// Scanned with every detector.
    Text,
    /// A phone column: read as a number (six digits or more: a phone number; fewer: an extension).
    Phone,
    /// Numeric: kept when it is digits only, else scanned as text.
    Keep,
    /// The event time: kept when it parses, else scanned as text.
    Time,
}

impl ColumnRole {
    pub fn from_name(name: &str) -> Option<ColumnRole> {
        Some(match name {
            "text" => ColumnRole::Text,
            "phone" => ColumnRole::Phone,
            "keep" => ColumnRole::Keep,
            "time" => ColumnRole::Time,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ColumnRole::Text => "text",
            ColumnRole::Phone => "phone",
            ColumnRole::Keep => "keep",
            ColumnRole::Time => "time",
        }
    }
}

#[derive(Clone, Debug)]
pub struct CsvLayout {
    pub roles: Vec<ColumnRole>,
    pub min_columns: usize,
    pub time_index: Option<usize>,
}

impl CsvLayout {
    pub fn new(roles: Vec<ColumnRole>, min_columns: usize) -> Result<CsvLayout, String> {
        if min_columns == 0 || min_columns > roles.len() {
            return Err("csv layout: min_columns must be from 1 to the number of columns".into());
        }
        let times: Vec<usize> = (0..roles.len())
            .filter(|&i| roles[i] == ColumnRole::Time)
            .collect();
        if times.len() > 1 || times.first().is_some_and(|&t| t >= min_columns) {
            return Err("csv layout: one time column at most, among the first min_columns".into());
        }
        Ok(CsvLayout {
            time_index: times.first().copied(),
            roles,
            min_columns,
        })
    }

    /// Content spans of a record's fields, or None for a line that is not well-formed CSV of this format's
    /// column count (CsvFormat.spans; no time check).
    pub fn spans(&self, line: &[u8]) -> Option<Vec<(usize, usize)>> {
        let mut spans = Vec::with_capacity(self.roles.len());
        let mut p = 0;
        loop {
            if spans.len() == self.roles.len() {
                return None; // one field too many
            }
            let (span, end) = field(line, p)?;
            spans.push(span);
            match line.get(end) {
                None => break,
                Some(b',') => p = end + 1,
                Some(_) => return None,
            }
        }
        (spans.len() >= self.min_columns).then_some(spans)
    }

    /// CsvFormat.parse: the spans, when the line has enough fields and its time column (if any) is a valid ISO
    /// time.
    pub fn parse(&self, line: &[u8]) -> Option<Vec<(usize, usize)>> {
        if memchr::memchr_iter(b',', line).count() + 1 < self.min_columns {
            return None;
        }
        let spans = self.spans(line)?;
        if let Some(t) = self.time_index {
            let (s, e) = spans[t];
            if !iso_time_is_valid(&line[s..e]) {
                return None;
            }
        }
        Some(spans)
    }

    /// The ranges to scan and their column roles: empty contents and digits-only keep-columns are left out
    /// (CsvFormat.render leaves them as they are); the time column is included (kept when it parses).
    pub fn values(&self, line: &[u8]) -> Option<Vec<Value>> {
        let spans = self.parse(line)?;
        Some(
            self.roles
                .iter()
                .zip(spans)
                .filter(|&(&role, (s, e))| {
                    e > s
                        && !(role == ColumnRole::Keep && line[s..e].iter().all(u8::is_ascii_digit))
                })
                .map(|(&role, (start, end))| Value {
                    start,
                    end,
                    hint: Hint::Csv(role),
                })
                .collect(),
        )
    }
}

/// One field at `p`: its content span and where it ends. Quoted: `"` content `"` where the content is runs of
/// non-quotes and doubled quotes, taken possessively; bare: a run of neither quote nor comma.
fn field(line: &[u8], p: usize) -> Option<((usize, usize), usize)> {
    if line.get(p) == Some(&b'"') {
        let mut q = p + 1;
        loop {
            let k = memchr(b'"', &line[q..])?;
            q += k;
            if line.get(q + 1) == Some(&b'"') {
                q += 2;
            } else {
                // The closing quote; a field that goes on after it is no field (the bare reading of a quote
                // is empty and is followed by the quote, not a comma).
                return Some(((p + 1, q), q + 1));
            }
        }
    }
    let end = line[p..]
        .iter()
        .position(|&b| b == b'"' || b == b',')
        .map_or(line.len(), |k| p + k);
    Some(((p, end), end))
}

/// What timeparse.parse_iso accepts: `YYYY-MM-DD[T ]hh:mm:ss`, an optional `.`/`,` fraction, an optional zone
/// (`Z`, `z`, `+hh:mm`, `+hhmm`), nothing else; an existing date, hh <= 23, mm <= 59, ss <= 60.
pub fn iso_time_is_valid(t: &[u8]) -> bool {
    let num = |a: usize, b: usize| -> Option<u32> {
        let s = t.get(a..b)?;
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| s.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')))
    };
    let at = |i: usize, c: &[u8]| t.get(i).is_some_and(|b| c.contains(b));
    let (Some(year), Some(month), Some(day), Some(hh), Some(mm), Some(ss)) = (
        num(0, 4),
        num(5, 7),
        num(8, 10),
        num(11, 13),
        num(14, 16),
        num(17, 19),
    ) else {
        return false;
    };
    if !(at(4, b"-") && at(7, b"-") && at(10, b"T ") && at(13, b":") && at(16, b":")) {
        return false;
    }
    let mut q = 19;
    if at(q, b".,") {
        let d = t[q + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if d == 0 {
            return false;
        }
        q += 1 + d;
    }
    let rest = &t[q..];
    let zone_ok = match rest {
        [] | [b'Z'] | [b'z'] => true,
        [b'+' | b'-', a, b, b':', c, d] | [b'+' | b'-', a, b, c, d] => {
            [a, b, c, d].iter().all(|x| x.is_ascii_digit())
        }
        _ => false,
    };
    if !zone_ok || hh > 23 || mm > 59 || ss > 60 || !(1..=12).contains(&month) {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cdr() -> CsvLayout {
        let mut roles = vec![ColumnRole::Text; 4];
        roles[1] = ColumnRole::Phone;
        roles[2] = ColumnRole::Time;
        roles[3] = ColumnRole::Keep;
        CsvLayout::new(roles, 3).unwrap()
    }

    #[test]
    fn splits_quoted_and_bare_fields() {
        let c = cdr();
        let line = b"\"a\"\"b\",030,2026-11-21 10:15:32,42";
        assert_eq!(
            c.parse(line),
            Some(vec![(1, 5), (7, 10), (11, 30), (31, 33)])
        );
        assert_eq!(
            c.parse(b"x,y,2026-11-21 10:15:32"),
            Some(vec![(0, 1), (2, 3), (4, 23)])
        );
        assert_eq!(
            c.parse(b"x,y,2026-11-21 10:15:32,1,2"),
            None,
            "too many columns"
        );
        assert_eq!(c.parse(b"x,y"), None, "too few columns");
        assert_eq!(
            c.parse(b"\"x\"y,y,2026-11-21 10:15:32"),
            None,
            "text after the closing quote"
        );
        assert_eq!(
            c.parse(b"x\",y,2026-11-21 10:15:32"),
            None,
            "a quote inside a bare field"
        );
        assert_eq!(c.parse(b"x,y,2026-02-30 10:15:32"), None, "no such date");
    }

    #[test]
    fn values_leave_out_empty_and_numeric_keep_columns() {
        let c = cdr();
        let v = c.values(b",030,2026-11-21 10:15:32,42").unwrap();
        let roles: Vec<_> = v.iter().map(|v| v.hint.label()).collect();
        assert_eq!(roles, ["phone", "time"]);
        let v = c.values(b",030,2026-11-21 10:15:32,4x").unwrap();
        assert_eq!(v.last().map(|v| (v.start, v.end)), Some((25, 27)));
    }

    #[test]
    fn iso_times_like_parse_iso() {
        for ok in [
            "2026-11-21 10:15:32",
            "2024-02-29T23:59:60.5+01:00",
            "2026-11-21T10:15:32,1z",
            "0000-02-29 00:00:00-0100",
        ] {
            assert!(iso_time_is_valid(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "2026-11-21 24:00:00",
            "2023-02-29 00:00:00",
            "2026-11-21 10:15:32.",
            "2026-11-21 10:15:32+01",
            "2026-11-21 10:15:32 ",
        ] {
            assert!(!iso_time_is_valid(bad.as_bytes()), "{bad}");
        }
    }
}
