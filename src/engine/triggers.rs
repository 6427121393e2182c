//! Hand-written triggers of the detectors that are not gated by their own context rule: each finds its
//! separators or marks with memchr and checks the bytes around them. As regexes they cost more than the scan:
//! the lazy DFA read every byte where nothing matched (a MAC, an address, an IMEI: 1.5 ns a byte), and where
//! branches start with common bytes (digits, `s`, `n`) it was restarted at each, 100-230 ns a SIP line for the
//! phone and SIP triggers. Each answers exactly what its regex (kept in the tests) answers; the property tests
//! hold them to it. Digits are `[0-9]`, so most serve a skeleton (every digit written as `0`) as they are.

use std::sync::OnceLock;

use memchr::{memchr2_iter, memchr3_iter, memchr_iter, memmem};

use crate::detect::scan::DIGITS;
use crate::detect::sip::has_number_at_host;
use crate::detect::{ends_with_ignore_case, starts_with_ignore_case};

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
    digit_run(text, 14)
        || memchr2_iter(b'-', b' ', text).any(|p| {
            p >= 2
                && digits(text, p - 2..p)
                && digits(text, p + 1..p + 7)
                && one_of(text, p + 7, b"- ")
        })
        || urn_gsma(text)
}

/// `imei` on a skeleton, whose digits are all `0`: the grouped form's six digits are a run of zeros after a
/// blank or dash, which memmem finds without stopping at each blank (blanks are everywhere).
pub fn imei_on_skeleton(skeleton: &[u8]) -> bool {
    static FINDERS: OnceLock<[memmem::Finder<'static>; 2]> = OnceLock::new();
    let [blank_six, dash_six] = FINDERS.get_or_init(|| {
        [
            memmem::Finder::new(b" 000000"),
            memmem::Finder::new(b"-000000"),
        ]
    });
    let grouped = |finder: &memmem::Finder| {
        finder
            .find_iter(skeleton)
            .any(|p| p >= 2 && digits(skeleton, p - 2..p) && one_of(skeleton, p + 7, b"- "))
    };
    digit_run(skeleton, 14) || grouped(blank_six) || grouped(dash_six) || urn_gsma(skeleton)
}

/// Whether `text` holds `n` digits in a row. Such a run covers one of every `n` bytes, so only those are read
/// until one is a digit, and then its run. (memmem of fourteen zeros on a skeleton stopped at every pair of
/// digits: twice the time on SIP lines.)
fn digit_run(text: &[u8], n: usize) -> bool {
    let mut at = n - 1;
    while at < text.len() {
        if !text[at].is_ascii_digit() {
            at += n;
            continue;
        }
        let before = DIGITS.run_before(text, at, usize::MAX);
        let after = DIGITS.run_after(text, at + 1, usize::MAX);
        if before + 1 + after >= n {
            return true;
        }
        // The next run starts two bytes past this one's end at the earliest.
        at += after + n;
    }
    false
}

/// `PHONE`: `+` and a digit 1-9, `%2B` in either case, or `00` and a digit 1-9; a `(` may stand before the
/// digit after `+` and `00`.
pub fn phone(text: &[u8]) -> bool {
    memchr3_iter(b'+', b'%', b'0', text).any(|p| match text[p] {
        b'+' => number_opens(text, p + 1, b'1'),
        b'%' => text.get(p + 1) == Some(&b'2') && one_of(text, p + 2, b"Bb"),
        _ => text.get(p + 1) == Some(&b'0') && number_opens(text, p + 2, b'1'),
    })
}

/// `phone` on a skeleton: `+` and a digit, `%`, a digit and `B`, or three digits (a `(` may stand before the
/// digit after `+` and before the third). Read byte by byte, as digits stand everywhere in a skeleton (a regex
/// restarted at each, 150 ns a SIP line).
pub fn phone_on_skeleton(skeleton: &[u8]) -> bool {
    let s = skeleton;
    (0..s.len()).any(|p| match s[p] {
        b'+' => number_opens(s, p + 1, b'0'),
        b'%' => digits(s, p + 1..p + 2) && one_of(s, p + 2, b"Bb"),
        c if c.is_ascii_digit() => digits(s, p + 1..p + 2) && number_opens(s, p + 2, b'0'),
        _ => false,
    })
}

/// A digit from `low` to 9 at `at`, or `(` and one.
fn number_opens(text: &[u8], at: usize, low: u8) -> bool {
    let digit = |i: usize| text.get(i).is_some_and(|c| (low..=b'9').contains(c));
    digit(at) || (text.get(at) == Some(&b'(') && digit(at + 1))
}

/// Channel technologies before a slash (`SIP/`, `IAX2/`, `Local/`), in any case. `webrtc/` ends in `rtc/`.
const TECHNOLOGIES: [&[u8]; 7] = [
    b"sip",
    b"dahdi",
    b"local",
    b"skype",
    b"sofia",
    b"rtc",
    b"loopback",
];

/// `SIP`: `<` or a quote before a number's first byte, a `number@host` without a scheme, a channel technology
/// before a slash, or `ser` or `nstance` in any case. The angle, display-name and quoted-value rules read nothing
/// but a number after their mark, and the `@` rule is asked as the find reads it: SIP lines hold `<script>`,
/// `UA='...'` and `sip:number@host` (the URI rule's), so the marks alone sent nearly every one through the
/// whole SIP find for nothing.
pub fn sip(text: &[u8]) -> bool {
    memchr3_iter(b'<', b'\'', b'"', text).any(|p| {
        text.get(p + 1)
            .is_some_and(|&c| c.is_ascii_digit() || matches!(c, b'+' | b'%' | b'('))
    }) || has_number_at_host(text)
        || memchr_iter(b'/', text).any(|p| technology_before(&text[..p]))
        || ser_or_nstance(text)
}

fn technology_before(head: &[u8]) -> bool {
    TECHNOLOGIES.iter().any(|t| ends_with_ignore_case(head, t))
        || head.split_last().is_some_and(|(&last, rest)| {
            last.is_ascii_digit() && ends_with_ignore_case(rest, b"iax")
        })
}

/// Whether `text` holds `ser` or `nstance` in any case. Both hold an `s`, so one search for it finds either
/// (a search per word stopped at every `n` of a line as well).
fn ser_or_nstance(text: &[u8]) -> bool {
    memchr2_iter(b's', b'S', text).any(|p| {
        starts_with_ignore_case(text, p, b"ser")
            || (p >= 1 && starts_with_ignore_case(text, p - 1, b"nstance"))
    })
}

/// `urn:gsma` in any case. A window that does not hold it moves on by where its last byte stands last in the word,
/// or past it where the word holds no such byte (Horspool's search): on a line without it about one byte in seven
/// is read (memchr stopped at each colon, a dozen on a SIP line).
fn urn_gsma(text: &[u8]) -> bool {
    const WORD: &[u8] = b"urn:gsma";
    /// How far a window moves on when its last byte is this one, in either case.
    const SHIFT: [u8; 256] = {
        let mut shift = [WORD.len() as u8; 256];
        let mut i = 0;
        while i < WORD.len() - 1 {
            let to_end = (WORD.len() - 1 - i) as u8;
            shift[WORD[i] as usize] = to_end;
            shift[WORD[i].to_ascii_uppercase() as usize] = to_end;
            i += 1;
        }
        shift
    };
    // One past the window's last byte.
    let mut end = WORD.len();
    while end <= text.len() {
        let last = text[end - 1];
        if last.eq_ignore_ascii_case(&b'a')
            && text[end - WORD.len()..end].eq_ignore_ascii_case(WORD)
        {
            return true;
        }
        end += usize::from(SHIFT[usize::from(last)]);
    }
    false
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
    const PHONE: &str = r"(?-u)\+\(?[1-9]|%2[Bb]|00\(?[1-9]";
    const PHONE_ON_SKELETON: &str = r"(?-u)\+\(?[0-9]|%[0-9][Bb]|[0-9][0-9]\(?[0-9]";
    const SIP: &str = r"(?-u)[<'\x22][0-9+%(]|(?i:sip|iax[0-9]|dahdi|local|skype|webrtc|sofia|rtc|loopback)/|(?:^|//|[^0-9A-Za-z_.:/+%-])\+?[0-9]{6,16}@[0-9A-Za-z\[:]|(?i:ser)|(?i:nstance)";

    type Check = (&'static str, Regex, fn(&[u8]) -> bool);

    /// Each trigger with its regex, compiled once.
    fn checks() -> &'static [Check] {
        static CHECKS: OnceLock<Vec<Check>> = OnceLock::new();
        CHECKS.get_or_init(|| {
            [
                ("mac", MAC, mac as fn(&[u8]) -> bool),
                ("ipv6", IPV6, ipv6),
                ("ipv4", IPV4, ipv4),
                ("imei", IMEI, imei),
                ("phone", PHONE, phone),
                ("phone on a skeleton", PHONE_ON_SKELETON, phone_on_skeleton),
                ("sip", SIP, sip),
            ]
            .into_iter()
            .map(|(name, pattern, test)| (name, Regex::new(pattern).unwrap(), test))
            .collect()
        })
    }

    fn agree(text: &[u8]) {
        for (name, regex, test) in checks() {
            let want = regex.is_match(text);
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
        assert!(!phone(text) || phone_on_skeleton(&skeleton));
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
            b"x1234567890123",
            b"x12345678901234",
            b"1234567890123x4",
            b"123456789012345678901234567",
            b"1234567.1234567.12345678901234",
            b"+49",
            b"+(4",
            b"+0",
            b"%2b",
            b"%2C",
            b"0049",
            b"00(4",
            b"000",
            b"<",
            b"it's",
            b"\"",
            b"123456@",
            b"123456@h",
            b"12345@h",
            b"sip:0301234567@host",
            b"x +4930123456@host",
            b"//4930123456@host",
            b"a@+4930123456@host",
            b"12345678901234567@host",
            b"<script>: UA='Linphone/5.2.0'",
            b"<+49",
            b"'(0",
            b"\"%2B",
            b"IAX2/",
            b"iax/",
            b"WebRTC/",
            b"sofia",
            b"LOOPBACK/x",
            b"USER",
            b"Instance",
            b"nstanc",
        ] {
            agree(text);
        }
    }

    /// Every line of the public corpora (`../shared/corpora`, beside the repository; skipped where it is absent),
    /// as a line and as its skeleton: each trigger answers as its regex.
    #[test]
    fn each_trigger_answers_as_its_regex_on_the_public_corpora() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora");
        let Ok(dirs) = std::fs::read_dir(&root) else {
            eprintln!("skipped: no {}", root.display());
            return;
        };
        let mut lines = 0;
        for dir in dirs.flatten().filter(|d| d.path().is_dir()) {
            for file in std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let Ok(data) = std::fs::read(file.path()) else {
                    continue;
                };
                for line in data.split(|&c| c == b'\n') {
                    agree(line);
                    let mut skeleton = Vec::new();
                    crate::scrub::skeleton_into(line, &mut skeleton);
                    agree(&skeleton);
                    lines += 1;
                }
            }
        }
        assert!(lines > 10_000, "the corpora hold {lines} lines");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Texts made of the bytes the patterns turn on, so that matches and near misses are common.
        #[test]
        fn each_trigger_answers_as_its_regex(text in proptest::collection::vec(
            prop::sample::select(b"0123456789aAfFgG:-. urnURNgsmaGSMAx".to_vec()), 0..40)) {
            agree(&text);
        }

        /// `urn_gsma` finds the word as a case-blind regex does, from pieces that hold it, its halves and its
        /// letters in either case.
        #[test]
        fn urn_gsma_answers_as_a_regex(pieces in proptest::collection::vec(
            prop::sample::select(vec![
                "urn:gsma", "URN:GSMA", "uRn:GsMa", "urn", "URN", ":", "gsma", "GSMA", "u", "r", "n", "g", "s", "m",
                "a", "A", "rn:", "urn:g", "sma", "x", " ", "0",
            ]), 0..12)) {
            let text = pieces.concat();
            let regex = Regex::new(r"(?i-u)urn:gsma").unwrap();
            prop_assert_eq!(urn_gsma(text.as_bytes()), regex.is_match(text.as_bytes()), "{}", text);
        }

        /// The same for the phone and SIP triggers, from pieces that hold their words and near misses.
        #[test]
        fn phone_and_sip_triggers_answer_as_their_regexes(pieces in proptest::collection::vec(
            prop::sample::select(vec![
                "0", "1", "2", "9", "00", "123456", "+", "(", "%", "B", "b", "2B", " ", "-", "/", "//", ":", ".", "@", "<", "'", "\"", "x",
                "s", "S", "e", "r", "n", "sip", "SIP", "iax", "IAX", "dahdi", "Local", "skype", "webrtc", "WebRTC",
                "sofia", "rtc", "loopback", "ser", "SeR", "se", "nstance", "NSTANCE", "nstanc", "tance",
            ]), 0..16)) {
            agree(pieces.concat().as_bytes());
        }
    }
}
