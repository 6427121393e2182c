//! Hand-written triggers for the detectors whose trigger has no literal to search for (a MAC, an address, an
//! IMEI): each finds its separators with memchr and checks the bytes around them. As regexes they ran the lazy
//! DFA over every byte of every text, 1.5 ns a byte where they did not match (most texts hold no MAC and no
//! IMEI). Each answers exactly what its regex in `detectors.rs` answers; the property tests hold them to it.
//! Digits are `[0-9]`, so the same test serves a skeleton (every digit written as `0`).

use std::sync::OnceLock;

use memchr::{memchr2_iter, memchr3_iter, memchr_iter, memmem};

fn hex(text: &[u8], range: std::ops::Range<usize>) -> bool {
    text.get(range)
        .is_some_and(|r| r.iter().all(u8::is_ascii_hexdigit))
}

fn digits(text: &[u8], range: std::ops::Range<usize>) -> bool {
    text.get(range)
        .is_some_and(|r| r.iter().all(u8::is_ascii_digit))
}

fn one_of(text: &[u8], at: usize, set: &[u8]) -> bool {
    text.get(at).is_some_and(|c| set.contains(c))
}

/// `MAC`: `hh:hh` or `hh-hh` followed by `:` or `-`, or `hhhh.hhhh.`.
pub fn mac(text: &[u8]) -> bool {
    memchr3_iter(b':', b'-', b'.', text).any(|p| {
        if text[p] == b'.' {
            p >= 4 && hex(text, p - 4..p) && hex(text, p + 1..p + 5) && one_of(text, p + 5, b".")
        } else {
            p >= 2 && hex(text, p - 2..p) && hex(text, p + 1..p + 3) && one_of(text, p + 3, b":-")
        }
    })
}

/// `IPV6`: two colons with at most four hex digits between them.
pub fn ipv6(text: &[u8]) -> bool {
    let mut previous: Option<usize> = None;
    memchr_iter(b':', text).any(|p| {
        let pair = previous.is_some_and(|q| p - q <= 5 && hex(text, q + 1..p));
        previous = Some(p);
        pair
    })
}

/// `IPV4`: a digit, a dot, 1-3 digits, a dot, 1-3 digits, a dot, a digit.
pub fn ipv4(text: &[u8]) -> bool {
    // From a dot with a digit before it: three groups of digits, each ended by a dot but the last.
    memchr_iter(b'.', text).any(|p| {
        if p == 0 || !text[p - 1].is_ascii_digit() {
            return false;
        }
        let mut at = p + 1;
        for group in 0..3 {
            let run = text[at.min(text.len())..]
                .iter()
                .take(3)
                .take_while(|c| c.is_ascii_digit())
                .count();
            // The last group needs one digit; a longer run still starts with one.
            if run == 0 {
                return false;
            }
            if group == 2 {
                return true;
            }
            // `[0-9]{1,3}\.`: some run of one to three digits must end at a dot.
            match (1..=run).find(|&n| text.get(at + n) == Some(&b'.')) {
                Some(n) => at += n + 1,
                None => return false,
            }
        }
        false
    })
}

/// `IMEI`: 14 digits in a row, `dd-dddddd-` (or with blanks), or `urn:gsma` in any case.
pub fn imei(text: &[u8]) -> bool {
    let mut run = 0;
    let fourteen = text.iter().any(|c| {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        run == 14
    });
    fourteen
        || memchr2_iter(b'-', b' ', text).any(|p| {
            p >= 2
                && digits(text, p - 2..p)
                && digits(text, p + 1..p + 7)
                && one_of(text, p + 7, b"- ")
        })
        || urn_gsma(text)
}

/// `imei` on a skeleton, whose digits are all `0`: its digit runs are runs of zeros, which memmem finds
/// without reading the text byte by byte (blanks, where the grouped form starts, are everywhere).
pub fn imei_on_skeleton(skeleton: &[u8]) -> bool {
    static FINDERS: OnceLock<[memmem::Finder<'static>; 3]> = OnceLock::new();
    let [fourteen, blank_six, dash_six] = FINDERS.get_or_init(|| {
        [
            memmem::Finder::new(b"00000000000000"),
            memmem::Finder::new(b" 000000"),
            memmem::Finder::new(b"-000000"),
        ]
    });
    let grouped = |finder: &memmem::Finder| {
        finder
            .find_iter(skeleton)
            .any(|p| p >= 2 && digits(skeleton, p - 2..p) && one_of(skeleton, p + 7, b"- "))
    };
    fourteen.find(skeleton).is_some()
        || grouped(blank_six)
        || grouped(dash_six)
        || urn_gsma(skeleton)
}

fn urn_gsma(text: &[u8]) -> bool {
    memchr_iter(b':', text).any(|p| {
        p >= 3
            && text[p - 3..p].eq_ignore_ascii_case(b"urn")
            && text
                .get(p + 1..p + 5)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"gsma"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::bytes::Regex;

    // The regexes these stand for (detectors.rs's triggers), as the oracle.
    const MAC: &str = r"(?-u)[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}[:\-]|[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}[:\-]|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.";
    const IPV6: &str = r"(?-u):[0-9A-Fa-f]{0,4}:";
    const IPV4: &str = r"(?-u)[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]";
    const IMEI: &str = r"(?-u)[0-9]{14}|[0-9]{2}[- ][0-9]{6}[- ]|(?i:urn:gsma)";

    fn agree(text: &[u8]) {
        for (name, pattern, test) in [
            ("mac", MAC, mac as fn(&[u8]) -> bool),
            ("ipv6", IPV6, ipv6),
            ("ipv4", IPV4, ipv4),
            ("imei", IMEI, imei),
        ] {
            let want = Regex::new(pattern).unwrap().is_match(text);
            assert_eq!(
                test(text),
                want,
                "{name} on {:?}",
                String::from_utf8_lossy(text)
            );
        }
        let mut skeleton = Vec::new();
        crate::scrub::skeleton_into(text, &mut skeleton);
        assert_eq!(imei_on_skeleton(&skeleton), imei(&skeleton));
    }

    #[test]
    fn tables() {
        for text in [
            &b""[..],
            b"00:1a:2b:3c:4d:5e",
            b"00-1A-2B",
            b"001a.2b3c.4d5e",
            b"001a.2b3c",
            b"a:b",
            b"fe80::1",
            b"::",
            b":12345:",
            b"1.2.3.4",
            b"1.2.3.",
            b"1.2345.6.7",
            b"12.1234.5.6",
            b"1.22.333.4444",
            b"1..2.3",
            b"9.9.9.9.9",
            b"35209900176148",
            b"3520990017614",
            b"35-209900-176148-1",
            b"35 209900 17",
            b"URN:GSMA:imei",
            b"urn:gsm",
            b"xurn:gsmay",
        ] {
            agree(text);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Texts made of the bytes the patterns turn on, so that matches and near misses are common.
        #[test]
        fn each_trigger_answers_as_its_regex(text in proptest::collection::vec(
            prop::sample::select(b"0123456789aAfFgG:-. urnURNgsmaGSMAx".to_vec()), 0..40)) {
            agree(&text);
        }
    }
}
