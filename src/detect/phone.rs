//! Phone numbers: E.164 with `+`, `00` or URL-encoded `%2B`, with visual separators; national numbers where
//! context says phone (`context`, `sip`). Normalised to E.164 with the rules of `phone_rules`, so
//! `+49 30 1234567`, `0049301234567` and `030 1234567` (region DE) are one subscriber.
//!
//! Where a number written with spaces ends is decided by its shape, not by validity: digits join across
//! `-`, `.`, `/` and parentheses; across a single space (or `%20`) only while the group before it has at most
//! 4 digits and fewer than 11 digits are collected. At most 15 digits (E.164). A port of
//! tests/reference/detect/phone.py; every scan from a mark reads at most 15 digits and their separators, so a line
//! costs time linear in its length.

use super::phone_rules::{parse_e164, Meta, Region};
use super::scan::{DIGITS, LETTERS_AND_DIGITS};
use super::{starts_with_ignore_case, Found, Kind};

pub const MIN_INTERNATIONAL_DIGITS: usize = 7;
pub const MAX_DIGITS: usize = 15;
/// A national number in a phone context needs this many digits; shorter ones are internal extensions.
pub const MIN_CONTEXT_DIGITS: usize = 6;

fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}

/// The digits from `pos`, counted up to one more than E.164 allows (a longer run is no number, however long).
fn digit_run(text: &[u8], pos: usize) -> usize {
    DIGITS.run_after(text, pos, MAX_DIGITS + 1)
}

/// From `pos` (just after the mark), (end, digit count) of the number, or None. Without `dots`, a dot ends
/// the number (so `src=192.168.1.10` stays an address).
pub fn scan_number(text: &[u8], pos: usize, dots: bool) -> Option<(usize, usize)> {
    let run = digit_run(text, pos);
    if run > 0 {
        if run > MAX_DIGITS {
            return None; // one run of more than 15 digits: not a phone number
        }
        let end = pos + run;
        // A blank (or `%20`) joins only a group of at most four digits.
        let form_plus = text.get(end) == Some(&b'+') && form_encoded(text, pos);
        if end == text.len()
            || !(matches!(text[end], b'-' | b'.' | b'/' | b'(' | b' ' | b'%') || form_plus)
            || (run > 4 && matches!(text[end], b' ' | b'%' | b'+'))
        {
            return Some((end, run));
        }
    }
    scan_groups(text, pos, dots)
}

/// A number where context says one stands, maybe led by `+` or `%2B`: `scan_number` with dots ending it.
pub fn scan_after_mark(text: &[u8], start: usize) -> Option<(usize, usize)> {
    let mut pos = start;
    if text.get(pos) == Some(&b'+') {
        pos += 1;
    } else if starts_with_ignore_case(text, pos, b"%2B") {
        pos += 3;
    }
    match text.get(pos) {
        Some(&c) if is_digit(c) || c == b'(' => scan_number(text, pos, false),
        _ => None,
    }
}

fn digit_or_paren(text: &[u8], i: usize) -> bool {
    text.get(i).is_some_and(|&c| is_digit(c) || c == b'(')
}

/// A number dialled with `00` whose blanks a form encoded as `+` (`0049+40+71234567`, issue 22 shape 3).
fn form_encoded(text: &[u8], pos: usize) -> bool {
    text[pos..].starts_with(b"00")
}

/// `scan_number` group by group, for numbers written with separators.
pub fn scan_groups(text: &[u8], pos: usize, dots: bool) -> Option<(usize, usize)> {
    let n = text.len();
    let mut total = 0;
    let mut i = pos;
    let mut end = pos;
    while i < n {
        let paren = text[i] == b'('; // as in "+49 (0)30 ..." or "(030)"
        let j = if paren { i + 1 } else { i };
        let digits = digit_run(text, j);
        let mut k = j + digits;
        if digits == 0 || (paren && text.get(k) != Some(&b')')) {
            break;
        }
        if paren {
            k += 1;
        }
        if total + digits > MAX_DIGITS {
            if total == 0 {
                return None;
            }
            break; // joining the next group would outgrow E.164: the number ends before it
        }
        total += digits;
        end = k;
        i = k;
        if i >= n {
            break;
        }
        let c = text[i];
        if paren && (is_digit(c) || c == b'(') {
            continue;
        }
        let separator = c == b'-' || c == b'/' || (dots && c == b'.');
        if separator && digit_or_paren(text, i + 1) {
            i += 1;
            continue;
        }
        if c == b'(' {
            continue;
        }
        // DIN 5008's area code set off by a slash between blanks (`030 / 555 291-77`, issue 22 shape 3).
        if text[i..].starts_with(b" / ") && digits <= 5 && digit_or_paren(text, i + 3) {
            i += 3;
            continue;
        }
        let blank = if c == b' ' || (c == b'+' && form_encoded(text, pos)) {
            1
        } else if text[i..].starts_with(b"%20") {
            3
        } else {
            0
        };
        if blank > 0 && digits <= 4 && total < 11 && digit_or_paren(text, i + blank) {
            i += blank;
            continue;
        }
        break;
    }
    if end < n && is_digit(text[end]) {
        return None;
    }
    Some((end, total))
}

/// The numbering record for a region whose trunk prefix handling is simple enough to apply by hand
/// (`_region_rules`): no transform rule, the prefix for parsing is the plain-digit trunk prefix.
fn simple_rules(meta: Option<&Meta>) -> Option<&Meta> {
    let meta = meta?;
    // Non-geographic calling codes have no region record in Python (`metadata_for_region("001")` is None).
    if meta.id.starts_with("001") || meta.has_transform_rule() {
        return None;
    }
    let prefix = &meta.national_prefix;
    if meta.prefix_for_parsing_text() != prefix || !prefix.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(meta)
}

/// E.164 for the common cases without a full parse, or None to let the full parse decide (`fast_e164`).
pub fn fast_e164(digits: &str, international: bool, region: &Region) -> Option<String> {
    if international {
        if digits.starts_with('0') {
            return None; // no country code starts with 0
        }
        for size in 1..=3 {
            let code: u32 = digits[..size.min(digits.len())].parse().unwrap_or(0);
            let Some(main) = region.rules.for_code(code) else {
                continue;
            };
            let rules = simple_rules(Some(main))?;
            let national = &digits[size.min(digits.len())..];
            let prefix = rules.national_prefix.as_str();
            if (!prefix.is_empty() && national.starts_with(prefix)) || national.starts_with('0') {
                return None;
            }
            return rules
                .possible_lengths
                .contains(&national.len())
                .then(|| plus(None, digits));
        }
        return None;
    }
    let rules = simple_rules(region.meta())?;
    let prefix = rules.national_prefix.as_str();
    if prefix.is_empty() {
        return None;
    }
    let national = digits.strip_prefix(prefix)?;
    // phonenumbers strips the trunk prefix when what remains fits the region's number pattern.
    if national.starts_with('0')
        || !rules.possible_lengths.contains(&national.len())
        || !rules.matches_national(national)
    {
        return None;
    }
    Some(plus(Some(rules.country_code), national))
}

/// `+`, the calling code if given, and the digits: built without the formatting machinery, as this runs for
/// every new number.
fn plus(code: Option<u32>, digits: &str) -> String {
    let mut out = String::with_capacity(4 + digits.len());
    out.push('+');
    if let Some(code) = code {
        crate::detect::push_decimal(&mut out, code);
    }
    out.push_str(digits);
    out
}

/// What `normalise_phone` gives for the plain forms (`0301234567`, `+49301234567`, `%2B49...`), or None.
pub fn plain_e164(raw: &[u8], region: &Region) -> Option<String> {
    let (body, international) = if let Some(body) = raw.strip_prefix(b"+") {
        (body, true)
    } else if raw.starts_with(b"%2B") || raw.starts_with(b"%2b") {
        (&raw[3..], true)
    } else if raw.first() == Some(&b'0') && raw.get(1) != Some(&b'0') {
        (raw, false)
    } else {
        return None;
    };
    if body.is_empty() || !body.iter().all(|c| is_digit(*c)) {
        return None;
    }
    fast_e164(std::str::from_utf8(body).ok()?, international, region)
}

/// What Python's `str.strip()` drops from ASCII text.
fn is_py_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' | '\x1c'..='\x1f'
    )
}

/// E.164 for a number as written (international or national), or None if it has no digits. Numbers no rule
/// reads still get a stable form (`+` and digits, or the region and digits), so they are pseudonymised, never
/// passed through. `lookup` normalises a user-given value through this.
pub fn normalise_phone(raw: &str, region: &Region) -> Option<String> {
    let mut text = raw.trim_matches(is_py_space).replace("%20", " ");
    if starts_with_ignore_case(text.as_bytes(), 0, b"%2B") {
        text = format!("+{}", &text[3..]);
    }
    let mut digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    if text.starts_with("00") && !text.starts_with("000") {
        text = format!("+{}", &text[2..]);
        digits = digits[2..].to_string();
    }
    let rules = &region.rules;
    if text.starts_with('+') {
        if !text.contains('(') {
            if let Some(fast) = fast_e164(&digits, true, region) {
                return Some(fast);
            }
        }
        return parse_e164(rules, &text, None).or_else(|| Some(format!("+{digits}")));
    }
    if digits.starts_with('0') {
        if let Some(fast) = fast_e164(&digits, false, region) {
            return Some(fast);
        }
        return parse_e164(rules, &text, Some(&region.code))
            .or_else(|| Some(format!("{}:{digits}", region.code)));
    }
    // No prefix. Nationally dialled numbers carry the trunk prefix 0, so a long number without it is an
    // international one written without "+" (common in SIP); a short one is read in the region.
    if digits.len() >= 10 {
        let e164 = fast_e164(&digits, true, region)
            .or_else(|| parse_e164(rules, &format!("+{digits}"), None));
        if e164.is_some() {
            return e164;
        }
    }
    parse_e164(rules, &digits, Some(&region.code))
        .or_else(|| Some(format!("{}:{digits}", region.code)))
}

/// `normalise_phone` for number text as found (ASCII), the plain forms first.
pub fn e164_of(raw: &[u8], region: &Region) -> Option<String> {
    plain_e164(raw, region).or_else(|| normalise_phone(std::str::from_utf8(raw).ok()?, region))
}

pub fn digit_count(text: &[u8]) -> usize {
    text.iter().filter(|c| is_digit(**c)).count()
}

/// The mark at `i` (`+`, `%2B`, or `00` not inside a word, number or dotted run), followed by a digit 1-9
/// maybe in parentheses: its length, or None.
fn mark_at(text: &[u8], i: usize) -> Option<usize> {
    let len = match text[i] {
        b'+' => 1,
        b'%' if starts_with_ignore_case(text, i, b"%2B") && text[i + 1] == b'2' => 3,
        b'0' if text.get(i + 1) == Some(&b'0')
            && (i == 0 || !(text[i - 1].is_ascii_alphanumeric() || text[i - 1] == b'.')) =>
        {
            2
        }
        _ => return None,
    };
    let mut j = i + len;
    if text.get(j) == Some(&b'(') {
        j += 1;
    }
    matches!(text.get(j), Some(b'1'..=b'9')).then_some(len)
}

/// Where a mark may start, in order: every `+` and `%`, and every `00` (a `0` alone starts none). Each is searched
/// for on its own and the next one remembered until it is passed, so each search reads the text once. (memchr
/// for `+`, `%` and `0` stopped at every zero of a log line, and logs are full of them: 35 stops on a SIP line.)
struct MarkStarts<'t> {
    text: &'t [u8],
    /// The next `+` or `%`, and the next `00`, at or after the last `from` asked (`usize::MAX`: none left).
    sign: usize,
    zeros: usize,
}

impl<'t> MarkStarts<'t> {
    fn new(text: &'t [u8]) -> MarkStarts<'t> {
        MarkStarts {
            text,
            sign: Self::sign_from(text, 0),
            zeros: Self::zeros_from(text, 0),
        }
    }

    fn sign_from(text: &[u8], from: usize) -> usize {
        let rest = text.get(from..).unwrap_or_default();
        memchr::memchr2(b'+', b'%', rest).map_or(usize::MAX, |k| from + k)
    }

    fn zeros_from(text: &[u8], from: usize) -> usize {
        static ZEROS: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
            std::sync::OnceLock::new();
        let rest = text.get(from..).unwrap_or_default();
        let finder = ZEROS.get_or_init(|| memchr::memmem::Finder::new(b"00"));
        finder.find(rest).map_or(usize::MAX, |k| from + k)
    }

    /// The first place at or after `from` where a mark may start.
    fn next(&mut self, from: usize) -> Option<usize> {
        if self.sign < from {
            self.sign = Self::sign_from(self.text, from);
        }
        if self.zeros < from {
            self.zeros = Self::zeros_from(self.text, from);
        }
        let next = self.sign.min(self.zeros);
        (next != usize::MAX).then_some(next)
    }
}

/// Numbers introduced by `+`, `%2B` or `00`, anywhere in a line.
pub fn find_international(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    let n = text.len();
    let mut i = 0;
    let mut starts = MarkStarts::new(text);
    while let Some(start) = starts.next(i) {
        let Some(len) = mark_at(text, start) else {
            // No `00` after a letter or digit starts a mark, so the rest of a zero's run of letters and digits
            // holds none: it is passed whole (`0301000000` holds five `00` the search would stop at).
            i = if text[start] == b'0' {
                alphanumeric_run_end(text, start)
            } else {
                start + 1
            };
            continue;
        };
        let pos = start + len;
        // Marks are found where the last one ends (its mark, not its number), as Python's finditer does.
        i = pos;
        let Some((mut end, mut digits)) = scan_number(text, pos, true) else {
            continue;
        };
        if len == 2 && end < n && text[end].is_ascii_alphabetic() {
            // A `00` run that runs into a word is no number (`0049301234567abc`, hex ids). When it got there
            // across a blank, `-` or `/`, the group that ran into the word is that word's, and the number ends
            // before it: `004930123456-1a`, and `001565000/00156500bad5.cfg`, whose second half is a MAC. Cut
            // only at a blank, that number stayed raw, and once the MAC was a token a second pass found it.
            let Some(boundary) = last_group_boundary(&text[pos..end]) else {
                continue;
            };
            end = pos + boundary;
            digits = digit_count(&text[pos..end]);
        }
        if digits < MIN_INTERNATIONAL_DIGITS {
            continue;
        }
        if let Some(norm) = e164_of(&text[start..end], region) {
            out.push(Found::new(start, end, Kind::Phone, &norm));
        }
    }
}

/// Where the last group of a number's `body` begins, less its separator: the last blank, `%20`, `-` or `/`.
fn last_group_boundary(body: &[u8]) -> Option<usize> {
    let sign = memchr::memrchr3(b' ', b'-', b'/', body);
    let encoded = memchr::memmem::rfind(body, b"%20");
    sign.max(encoded)
}

/// Where the run of ASCII letters and digits from `start` ends.
fn alphanumeric_run_end(text: &[u8], start: usize) -> usize {
    start + LETTERS_AND_DIGITS.run_after(text, start, text.len() - start)
}

/// `(?:\+|%2[Bb])?[0-9](?:[0-9]|[-()/](?=[0-9(]))*` matches all of `value`.
pub fn is_context_number(value: &[u8]) -> bool {
    let body = if let Some(rest) = value.strip_prefix(b"+") {
        rest
    } else if value.starts_with(b"%2B") || value.starts_with(b"%2b") {
        &value[3..]
    } else {
        value
    };
    let Some((&first, rest)) = body.split_first() else {
        return false;
    };
    is_digit(first)
        && rest.iter().enumerate().all(|(k, &c)| {
            is_digit(c)
                || (matches!(c, b'-' | b'(' | b')' | b'/')
                    && rest.get(k + 1).is_some_and(|&d| is_digit(d) || d == b'('))
        })
}

/// Normalised phone for a value that context says is a number (URI user part, `to=`), or None.
pub fn context_number(value: &[u8], region: &Region) -> Option<String> {
    let digits = digit_count(value);
    if value.first() == Some(&b'+') || starts_with_ignore_case(value, 0, b"%2B") {
        if digits < MIN_INTERNATIONAL_DIGITS - 2 {
            return None;
        }
    } else if digits < MIN_CONTEXT_DIGITS {
        return None;
    }
    if digits > MAX_DIGITS + 2 {
        return None;
    }
    e164_of(value, region)
}

#[cfg(test)]
mod tests {
    use super::super::phone_rules::tests::rules;
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The places `MarkStarts` offers hold every mark: asked from any place on, it names the first `+`, `%` or
        /// `00` there, as a scan of every byte would.
        #[test]
        fn mark_starts_name_every_place_a_mark_may_start(
            text in proptest::collection::vec(prop::sample::select(b"00001+%2Bb9 .(a".to_vec()), 0..60),
            steps in proptest::collection::vec(1usize..4, 0..30),
        ) {
            let mut starts = MarkStarts::new(&text);
            let mut from = 0;
            for step in steps.iter().chain(std::iter::repeat_n(&1, text.len() + 1)) {
                let want = (from..text.len()).find(|&i| {
                    matches!(text[i], b'+' | b'%') || text[i..].starts_with(b"00")
                });
                prop_assert_eq!(starts.next(from), want, "from {}", from);
                from += step;
            }
        }
    }

    fn de() -> Region {
        Region::new(rules(), "DE")
    }

    fn spans(text: &[u8]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        find_international(text, &de(), &mut out);
        crate::detect::testing::spans(text, out)
    }

    type Case = (&'static [u8], &'static [(&'static str, &'static str)]);

    #[test]
    fn international_found() {
        let cases: &[Case] = &[
            (
                b"call +49 30 1234567",
                &[("+49 30 1234567", "+49301234567")],
            ),
            (
                b"call 0049301234567 now",
                &[("0049301234567", "+49301234567")],
            ),
            (b"to=%2B4930123456&x=1", &[("%2B4930123456", "+4930123456")]),
            (
                b"+49 (0)30 1234567 ok",
                &[("+49 (0)30 1234567", "+49301234567")],
            ),
            (
                b"+49 30 123 4567 200 OK",
                &[("+49 30 123 4567", "+49301234567")],
            ),
            (b"+1 212 555 1234", &[("+1 212 555 1234", "+12125551234")]),
            (
                b"x 00456/120.0.0.0 0.0.0.0S y",
                &[("00456/120.0.0.0", "+456120000")],
            ),
            (b"0049 301234 5abc", &[("0049 301234", "+49301234")]),
            // the group after `-` or `/` ran into a word: it is the word's, the number ends before it
            (b"id=004930123456-1a", &[("004930123456", "+4930123456")]),
            (
                b"/prov/0049301234567/00156500bad5.cfg",
                &[("0049301234567", "+49301234567")],
            ),
            (b"0049 30 1234-5abc", &[("0049 30 1234", "+49301234")]),
        ];
        for (text, want) in cases {
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            assert_eq!(spans(text), want, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn international_decoys() {
        for text in [
            &b"offset +0100"[..],
            b"+12345",
            b"session 001000000000000008",
            b"00491511234567890123",
            b"0049ab12345678",
            b"0049301234567abc",
            b"0049 30%201234567x",
            b"bytes 0012345",
            b"2026-11-21T10:00:00+01:00",
        ] {
            assert_eq!(spans(text), vec![], "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn one_subscriber_one_normal_form() {
        for written in [
            "+49 30 1234567",
            "0049301234567",
            "030 1234567",
            "030/1234567",
            "+49 (0)30 1234567",
            "%2B49301234567",
        ] {
            assert_eq!(
                normalise_phone(written, &de()).as_deref(),
                Some("+49301234567")
            );
        }
        let ie = Region::new(rules(), "IE");
        assert_eq!(
            normalise_phone("01 234 5678", &ie).as_deref(),
            Some("+35312345678")
        );
        assert_eq!(
            normalise_phone("918888888888", &de()).as_deref(),
            Some("+918888888888")
        );
    }

    #[test]
    fn hostile_repetitions_are_read_once() {
        let line = b"+49 30 1234567 ".repeat(100_000);
        let found = spans(&line);
        assert_eq!(found.len(), 100_000);
        assert!(found.iter().all(|(_, n)| n == "+49301234567"));
        for unit in [&b"1 "[..], b"+", b"00", b"%2B", b"(", b"+(", b"0 0", b"9-"] {
            let line = unit.repeat(200_000);
            let mut out = Vec::new();
            find_international(&line, &de(), &mut out);
            assert!(out.len() <= line.len());
        }
    }

    proptest! {
        /// What lets `find_international` pass a rejected zero's run whole: no place inside a run of letters and
        /// digits, after its first byte, starts a mark.
        #[test]
        fn no_mark_starts_inside_a_run(text in "[00a.+ (%2Bb1-9]{0,40}") {
            let b = text.as_bytes();
            for start in 0..b.len() {
                for j in start + 1..alphanumeric_run_end(b, start) {
                    prop_assert!(mark_at(b, j).is_none(), "{} at {}", text, j);
                }
            }
        }

        #[test]
        fn scan_never_takes_more_than_e164(text in "[0-9 ()+./%2B-]{0,60}") {
            let b = text.as_bytes();
            for pos in 0..b.len() {
                if let Some((end, digits)) = scan_number(b, pos, true) {
                    prop_assert!(digits <= MAX_DIGITS);
                    prop_assert!(end <= b.len());
                    prop_assert_eq!(digits, digit_count(&b[pos..end]));
                }
            }
        }

        /// Numbers as they are dialled: a country code, then a national number without its trunk 0 (phonenumbers,
        /// which the rules come from, strips one more 0 each time from `+64 0…`: not a number, not a fixed point).
        #[test]
        fn normalised_forms_are_fixed_points(
            code in prop::sample::select(vec!["1", "7", "20", "33", "39", "41", "43", "44", "49", "64", "86", "352", "420"]),
            national in "[1-9][0-9]{5,11}",
        ) {
            let region = de();
            if let Some(norm) = normalise_phone(&format!("+{code}{national}"), &region) {
                prop_assert_eq!(normalise_phone(&norm, &region), Some(norm.clone()));
            }
        }

        #[test]
        fn found_numbers_survive_nowhere(prefix in "[a-z =]{0,8}", digits in "[1-9][0-9]{8,11}") {
            let text = format!("{prefix}+49{digits} x");
            let mut out = Vec::new();
            find_international(text.as_bytes(), &de(), &mut out);
            let mark = prefix.len();
            prop_assert!(out.iter().any(|f| f.start == mark && f.end == mark + 3 + digits.len()));
        }
    }
}
