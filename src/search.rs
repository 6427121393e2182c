//! Many pseudonyms at once over a chunk of pseudonymised log text (`pseudolog find`).
//!
//! One Aho-Corasick automaton holds every token of every value in every window searched, so a week of
//! logs for ten values costs one pass over the bytes. A hit counts only at a token boundary, the same
//! boundary the detector that wrote the token used, so a token never matches inside a longer word:
//! - `Boundary::Token` (`IP-...`, `PHONE+49-...`): no check. `run` writes a token wherever the detector
//!   found the value, glued to whatever was around it (`/SEPMAC-...cnf.xml`, `to=PHONE-...x`), so a check
//!   could only lose true hits; a false one needs the same 64 keyed bits after the same prefix.
//! - `Boundary::Ipv4` (`--ip-style prefix`: the token is itself an address): no digit or `.` before, no
//!   digit and no `.digit` after (a `:port` may follow); the IPv4 detector's own boundary.
//! - `Boundary::Ipv6`: no letter, digit, `_`, `:` or `.` before (the IPv6 detector's); after it no hex
//!   digit, `_`, `.digit`, and no `:` unless the token has all eight groups written (then `:` starts a
//!   port, as HAProxy glues it on; an address with `::` followed by `:x` would be a longer address).
//!
//! Lines are split at `\n`; no pattern may hold a `\n`, so every hit lies inside one line.
//!
//! Two or three patterns are searched with one SIMD substring finder each instead: the automaton's
//! prefilter for two patterns keys on their first bytes (`I`, `P`), which pseudonymised logs are full of
//! (measured: 0.8 GB/s with the automaton, several GB/s with the finders, the same hits).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// How the bytes around a hit are checked: which characters would make the hit part of a longer word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boundary {
    Token,
    Ipv4,
    Ipv6,
}

impl Boundary {
    pub fn from_code(code: u8) -> Option<Boundary> {
        match code {
            0 => Some(Boundary::Token),
            1 => Some(Boundary::Ipv4),
            2 => Some(Boundary::Ipv6),
            _ => None,
        }
    }
}

/// One line that holds at least one token: its number within the chunk (0-based), its byte range
/// without the `\n`, and the patterns found in it (ascending, each once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineHit {
    pub line: usize,
    pub start: usize,
    pub end: usize,
    pub patterns: Vec<usize>,
}

/// A chunk's result: how many `\n` it holds (so the caller can number the next chunk's lines) and its
/// lines with hits, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChunkHits {
    pub newlines: usize,
    pub lines: Vec<LineHit>,
}

enum Finders {
    Automaton(AhoCorasick),
    Substrings(Vec<memchr::memmem::Finder<'static>>),
}

/// At most this many patterns are searched one substring finder each.
const MAX_SUBSTRING_FINDERS: usize = 3;

pub struct TokenSearcher {
    finders: Finders,
    boundaries: Vec<Boundary>,
    full_ipv6: Vec<bool>,
}

impl TokenSearcher {
    /// Patterns and one boundary each. Empty patterns and patterns holding `\n` are refused.
    pub fn new(patterns: &[Vec<u8>], boundaries: &[Boundary]) -> Result<TokenSearcher, String> {
        if patterns.len() != boundaries.len() {
            return Err("one boundary per pattern is needed".into());
        }
        if patterns.iter().any(|p| p.is_empty() || p.contains(&b'\n')) {
            return Err("a pattern is empty or holds a line break".into());
        }
        // Standard semantics with overlapping iteration: every occurrence of every pattern is seen, so a
        // longer pattern that fails its boundary check cannot hide a shorter one that passes.
        let finders = if patterns.len() <= MAX_SUBSTRING_FINDERS {
            Finders::Substrings(
                patterns
                    .iter()
                    .map(|p| memchr::memmem::Finder::new(p).into_owned())
                    .collect(),
            )
        } else {
            Finders::Automaton(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .build(patterns)
                    .map_err(|e| e.to_string())?,
            )
        };
        let full_ipv6 = patterns
            .iter()
            .map(|p| p.iter().filter(|&&b| b == b':').count() == 7)
            .collect();
        Ok(TokenSearcher {
            finders,
            boundaries: boundaries.to_vec(),
            full_ipv6,
        })
    }

    pub fn pattern_count(&self) -> usize {
        self.boundaries.len()
    }

    /// Every line of `chunk` that holds a pattern at a boundary.
    pub fn search(&self, chunk: &[u8]) -> ChunkHits {
        let mut lines: Vec<LineHit> = Vec::new();
        let mut counted_to = 0; // newlines before this offset are counted in `line_no`
        let mut line_no = 0;
        for (m_start, m_end, pattern) in self.occurrences(chunk) {
            if !self.at_boundary(chunk, m_start, m_end, pattern) {
                continue;
            }
            if let Some(last) = lines.last_mut() {
                if m_start < last.end {
                    if !last.patterns.contains(&pattern) {
                        last.patterns.push(pattern);
                    }
                    continue;
                }
            }
            let start = memchr::memrchr(b'\n', &chunk[..m_start]).map_or(0, |i| i + 1);
            let end = memchr::memchr(b'\n', &chunk[m_end..]).map_or(chunk.len(), |i| m_end + i);
            line_no += memchr::memchr_iter(b'\n', &chunk[counted_to..start]).count();
            counted_to = start;
            lines.push(LineHit {
                line: line_no,
                start,
                end,
                patterns: vec![pattern],
            });
        }
        for hit in &mut lines {
            hit.patterns.sort_unstable();
        }
        let newlines = line_no + memchr::memchr_iter(b'\n', &chunk[counted_to..]).count();
        ChunkHits { newlines, lines }
    }

    /// Every occurrence of every pattern (overlapping ones included) as (start, end, pattern), in
    /// order of position: all those of one line before any of the next.
    fn occurrences(&self, chunk: &[u8]) -> Vec<(usize, usize, usize)> {
        match &self.finders {
            Finders::Automaton(ac) => ac
                .find_overlapping_iter(chunk)
                .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                .collect(),
            Finders::Substrings(finders) => {
                let mut found = Vec::new();
                for (pattern, finder) in finders.iter().enumerate() {
                    let len = finder.needle().len();
                    let mut at = 0;
                    while let Some(i) = finder.find(&chunk[at..]) {
                        found.push((at + i, at + i + len, pattern));
                        at += i + 1;
                    }
                }
                found.sort_unstable();
                found
            }
        }
    }

    fn at_boundary(&self, hay: &[u8], start: usize, end: usize, pattern: usize) -> bool {
        let before = if start == 0 {
            None
        } else {
            Some(hay[start - 1])
        };
        let after = hay.get(end).copied();
        let digit_after_dot =
            after == Some(b'.') && hay.get(end + 1).is_some_and(u8::is_ascii_digit);
        match self.boundaries[pattern] {
            Boundary::Token => true,
            Boundary::Ipv4 => {
                !before.is_some_and(|b| b.is_ascii_digit() || b == b'.')
                    && !after.is_some_and(|b| b.is_ascii_digit())
                    && !digit_after_dot
            }
            Boundary::Ipv6 => {
                let bad_before = before.is_some_and(|b| is_word(b) || b == b':' || b == b'.');
                let bad_after = after.is_some_and(|b| {
                    b.is_ascii_hexdigit() || b == b'_' || (b == b':' && !self.full_ipv6[pattern])
                });
                !bad_before && !bad_after && !digit_after_dot
            }
        }
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn searcher(patterns: &[(&str, Boundary)]) -> TokenSearcher {
        let bytes: Vec<Vec<u8>> = patterns
            .iter()
            .map(|(p, _)| p.as_bytes().to_vec())
            .collect();
        let bounds: Vec<Boundary> = patterns.iter().map(|(_, b)| *b).collect();
        TokenSearcher::new(&bytes, &bounds).unwrap()
    }

    fn hits(s: &TokenSearcher, text: &str) -> Vec<(usize, String, Vec<usize>)> {
        s.search(text.as_bytes())
            .lines
            .into_iter()
            .map(|h| (h.line, text[h.start..h.end].to_string(), h.patterns))
            .collect()
    }

    const A: &str = "IP-ggmpqnhmqqgxnxyg";
    const B: &str = "PHONE+49-vtrxzyzmrvzqmhsq";

    #[test]
    fn lines_numbers_and_patterns() {
        let s = searcher(&[(A, Boundary::Token), (B, Boundary::Token)]);
        let text = format!("x\n{A} - - GET /?to={B}\nnothing\r\nlast {B}");
        assert_eq!(
            hits(&s, &text),
            vec![
                (1, format!("{A} - - GET /?to={B}"), vec![0, 1]),
                (3, format!("last {B}"), vec![1]),
            ]
        );
        assert_eq!(s.search(text.as_bytes()).newlines, 3);
    }

    #[test]
    fn token_boundaries() {
        let s = searcher(&[(A, Boundary::Token)]);
        // What `run` writes: a token glued to the letters around the value it replaced.
        for (text, found) in [
            (A.to_string(), true),
            (format!("PJSIP/{A}-0000001a"), true),
            (format!("sip:{A}@host"), true),
            (format!("\"{A}\""), true),
            (format!("/SEP{A}.cnf.xml"), true),
            (format!("to={A}x"), true),
            ("IP-ggmpqnhmqqgxnxy".to_string(), false),
        ] {
            assert_eq!(!hits(&s, &text).is_empty(), found, "{text}");
        }
    }

    #[test]
    fn ipv4_boundaries() {
        let s = searcher(&[("10.0.0.1", Boundary::Ipv4)]);
        for (text, found) in [
            ("10.0.0.1 - -", true),
            ("from 10.0.0.1:5060;x", true),
            ("sip:u@10.0.0.1.", true),
            ("IPV4/UDP/10.0.0.1/5060", true),
            ("[10.0.0.1]", true),
            ("110.0.0.1", false),
            ("10.0.0.12", false),
            ("10.0.0.1.5", false),
            ("3.10.0.0.1", false),
        ] {
            assert_eq!(!hits(&s, text).is_empty(), found, "{text}");
        }
    }

    #[test]
    fn ipv6_boundaries() {
        let s = searcher(&[
            ("2001:db8::1", Boundary::Ipv6),
            ("2001:db8:0:1:2:3:4:5", Boundary::Ipv6),
        ]);
        for (text, found) in [
            ("[2001:db8::1]:5060", true),
            ("fe80 2001:db8::1%eth0", true),
            ("2001:db8::1 x", true),
            ("2001:db8::12", false),
            ("2001:db8::1:5060", false),
            ("a2001:db8::1", false),
            ("::2001:db8::1", false),
            ("2001:db8:0:1:2:3:4:5:5060", true),
            ("2001:db8:0:1:2:3:4:5f", false),
        ] {
            assert_eq!(!hits(&s, text).is_empty(), found, "{text}");
        }
    }

    #[test]
    fn longer_pattern_failing_does_not_hide_shorter_one() {
        let s = searcher(&[("10.0.0.1", Boundary::Ipv4), ("10.0.0.12", Boundary::Ipv4)]);
        assert_eq!(
            hits(&s, "a 10.0.0.1 b"),
            vec![(0, "a 10.0.0.1 b".into(), vec![0])]
        );
        assert_eq!(
            hits(&s, "a 10.0.0.12 b"),
            vec![(0, "a 10.0.0.12 b".into(), vec![1])]
        );
        assert_eq!(hits(&s, "a 10.0.0.123 b"), vec![]);
    }

    #[test]
    fn refuses_bad_patterns() {
        assert!(TokenSearcher::new(&[b"".to_vec()], &[Boundary::Token]).is_err());
        assert!(TokenSearcher::new(&[b"a\nb".to_vec()], &[Boundary::Token]).is_err());
        assert!(TokenSearcher::new(&[b"a".to_vec()], &[]).is_err());
    }

    /// The obvious way: split into lines, look for each pattern at each position, check the boundary.
    fn naive(s: &TokenSearcher, patterns: &[Vec<u8>], chunk: &[u8]) -> ChunkHits {
        let mut out = ChunkHits::default();
        let mut start = 0;
        for (no, line) in chunk.split(|&b| b == b'\n').enumerate() {
            let mut found = Vec::new();
            for (p, pat) in patterns.iter().enumerate() {
                let hit = (0..line.len().saturating_sub(pat.len() - 1)).any(|i| {
                    &line[i..i + pat.len()] == pat.as_slice()
                        && s.at_boundary(chunk, start + i, start + i + pat.len(), p)
                });
                if hit {
                    found.push(p);
                }
            }
            if !found.is_empty() {
                out.lines.push(LineHit {
                    line: no,
                    start,
                    end: start + line.len(),
                    patterns: found,
                });
            }
            start += line.len() + 1;
        }
        out.newlines = chunk.iter().filter(|&&b| b == b'\n').count();
        out
    }

    proptest! {
        #[test]
        fn agrees_with_the_naive_search(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just(b"IP-ggmp".to_vec()), Just(b"IP-ggmpq".to_vec()), Just(b"10.0.0.1".to_vec()),
                    Just(b"::1".to_vec()), Just(b"\n".to_vec()), Just(b" ".to_vec()), Just(b".".to_vec()),
                    Just(b":".to_vec()), Just(b"q".to_vec()), Just(b"7".to_vec()), Just(b"\r".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..4),
                ],
                0..40,
            )
        ) {
            let patterns: Vec<Vec<u8>> =
                vec![b"IP-ggmp".to_vec(), b"IP-ggmpq".to_vec(), b"10.0.0.1".to_vec(), b"1::1".to_vec()];
            let bounds = [Boundary::Token, Boundary::Token, Boundary::Ipv4, Boundary::Ipv6];
            let s = TokenSearcher::new(&patterns, &bounds).unwrap();
            let chunk: Vec<u8> = pieces.concat();
            prop_assert_eq!(s.search(&chunk), naive(&s, &patterns, &chunk));
        }

        #[test]
        fn substring_finders_agree_with_the_naive_search(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just(b"10.0.0.1".to_vec()), Just(b"0.0.1".to_vec()), Just(b"IP-gg".to_vec()),
                    Just(b"\n".to_vec()), Just(b".".to_vec()), Just(b"7".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..4),
                ],
                0..40,
            )
        ) {
            let patterns: Vec<Vec<u8>> = vec![b"10.0.0.1".to_vec(), b"IP-gg".to_vec()];
            let s = TokenSearcher::new(&patterns, &[Boundary::Ipv4, Boundary::Token]).unwrap();
            let chunk: Vec<u8> = pieces.concat();
            prop_assert_eq!(s.search(&chunk), naive(&s, &patterns, &chunk));
        }
    }
}
