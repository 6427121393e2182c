//! The one counts type of the engine (what `--stats` and the follow metrics read).

use std::collections::{BTreeMap, BTreeSet};

use crate::scrub;

pub const MISSING_WINDOWS_KEPT: usize = 1024;

/// What the engine did, summed over every line it was given; `merge` adds another engine's (threads).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub lines_in: u64,
    pub lines_out: u64,
    /// Lines removed, by reason (`retention`, `error`).
    pub dropped: BTreeMap<String, u64>,
    /// Identifiers replaced, by kind.
    pub replaced: scrub::Counts,
    /// Lines written, by the format that read them (`text`, `masked`, `segmented`, or a format's name).
    pub formats: BTreeMap<String, u64>,
    /// Lines (or segments) that failed and were masked or dropped.
    pub masked_on_error: u64,
    pub missing_window_keys: u64,
    /// The windows those lines fell in (at most [`MISSING_WINDOWS_KEPT`]): past or coming decides the advice.
    pub missing_windows: BTreeSet<i64>,
    /// Lines that did not fit the format in use and were scanned as free text.
    pub unmatched: u64,
}

impl Counts {
    pub fn merge(&mut self, other: &Counts) {
        self.lines_in += other.lines_in;
        self.lines_out += other.lines_out;
        for (k, v) in &other.dropped {
            *self.dropped.entry(k.clone()).or_default() += v;
        }
        self.replaced.merge(&other.replaced);
        for (k, v) in &other.formats {
            *self.formats.entry(k.clone()).or_default() += v;
        }
        self.masked_on_error += other.masked_on_error;
        self.missing_window_keys += other.missing_window_keys;
        for &w in &other.missing_windows {
            self.missing_window(w);
        }
        self.unmatched += other.unmatched;
    }

    pub(crate) fn missing_window(&mut self, window: i64) {
        if self.missing_windows.len() < MISSING_WINDOWS_KEPT {
            self.missing_windows.insert(window);
        }
    }

    pub(crate) fn drop_line(&mut self, reason: &str) {
        *self.dropped.entry(reason.to_string()).or_default() += 1;
    }

    pub(crate) fn wrote(&mut self, format: &str) {
        self.lines_out += 1;
        match self.formats.get_mut(format) {
            Some(n) => *n += 1,
            None => {
                self.formats.insert(format.to_string(), 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Kind;

    #[test]
    fn merge_adds_every_field() {
        let mut a = Counts {
            lines_in: 2,
            ..Counts::default()
        };
        a.wrote("nginx");
        a.drop_line("retention");
        a.replaced.add(Kind::Ip);
        let mut b = a.clone();
        b.wrote("text");
        b.unmatched = 1;
        a.merge(&b);
        assert_eq!(a.lines_in, 4);
        assert_eq!(a.lines_out, 3);
        assert_eq!(a.formats["nginx"], 2);
        assert_eq!(a.formats["text"], 1);
        assert_eq!(a.dropped["retention"], 2);
        assert_eq!(a.replaced.get(Kind::Ip), 2);
        assert_eq!(a.unmatched, 1);
    }
}
