//! Identifiers in SIP, PBX and media-relay logs, found by the shapes those programs write (a port of
//! tests/reference/detect/sip.py):
//! - `+sip.instance="<urn:uuid:...>"`: a device's permanent id (kind `device`);
//! - a number as a display name or in angle brackets: `"0301234567" <sip:...>`, `"Alice" <0301234567>`;
//! - channel names and dial strings: `PJSIP/0301234567-0000001a`, `SIP/trunk/0301234567`,
//!   `sofia/internal/79739980@host`; `number@host` without a scheme;
//! - TURN REST usernames `expiry:userid`;
//! - quoted values after words that name a number: `to extension '0301234567'`.
//!
//! Each rule starts at a byte found with memchr (`"`, `<`, `/`, `@`, `'`) or a literal, and reads a bounded
//! window around it, so a line costs time linear in its length.

use super::context::run_before;
use super::phone::{context_number, scan_after_mark};
use super::phone_rules::Region;
use super::scan::{DIGITS, LETTERS};
use super::{starts_with_ignore_case, Found, Kind};
use memchr::memmem;
use std::sync::OnceLock;

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// `urn:uuid:<lower-case uuid>` for a SIP instance id given as URN, `<urn:...>` or bare UUID.
pub fn normalise_device(text: &str) -> Option<String> {
    let value = text
        .trim_matches(|c: char| c.is_whitespace())
        .trim_matches(['<', '>', '"'])
        .to_lowercase();
    let value = value.strip_prefix("urn:uuid:").unwrap_or(&value);
    is_uuid(value.as_bytes(), false).then(|| format!("urn:uuid:{value}"))
}

/// 8-4-4-4-12 hex digits (lower case only unless `any_case`).
fn is_uuid(b: &[u8], any_case: bool) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => {
                c.is_ascii_digit()
                    || matches!(c, b'a'..=b'f')
                    || (any_case && matches!(c, b'A'..=b'F'))
            }
        })
}

fn push_phone(text: &[u8], start: usize, end: usize, region: &Region, out: &mut Vec<Found>) {
    if let Some(norm) = context_number(&text[start..end], region) {
        out.push(Found::new(start, end, Kind::Phone, &norm));
    }
}

/// `(?i:sip\.instance)\s*=\s*\\?(?:""|"|'|%22|&quot;)?(?:<|%3C|&lt;)?(?i:urn:uuid:)` + a UUID not followed by a hex
/// digit: the header as written, and as logs quote it again (JSON's `\"`, CSV's `""`, HTML's `&lt;`, a URL's
/// `%3C`).
fn instances(text: &[u8], out: &mut Vec<Found>) {
    const NAME: &[u8] = b"sip.instance";
    let lower = text.to_ascii_lowercase();
    let skip_blanks = |mut v: usize| {
        while lower.get(v).is_some_and(|&c| is_space(c)) {
            v += 1;
        }
        v
    };
    // The first of `forms` that `lower` holds at `v`, stepped over.
    let optional = |v: usize, forms: &[&[u8]]| {
        let tail = &lower[v.min(lower.len())..];
        forms
            .iter()
            .find(|f| tail.starts_with(f))
            .map_or(v, |f| v + f.len())
    };
    for at in memmem::find_iter(&lower, NAME) {
        let mut v = skip_blanks(at + NAME.len());
        if lower.get(v) != Some(&b'=') {
            continue;
        }
        v = skip_blanks(v + 1);
        v = optional(v, &[b"\\"]);
        v = optional(v, &[b"\"\"", b"\"", b"'", b"%22", b"&quot;"]);
        v = optional(v, &[b"<", b"%3c", b"&lt;"]);
        if !lower[v.min(lower.len())..].starts_with(b"urn:uuid:") {
            continue;
        }
        v += 9;
        let Some(uuid) = text.get(v..v + 36) else {
            continue;
        };
        if is_uuid(uuid, true) && !text.get(v + 36).is_some_and(u8::is_ascii_hexdigit) {
            let normalised = format!("urn:uuid:{}", String::from_utf8_lossy(uuid).to_lowercase());
            out.push(Found::new(v, v + 36, Kind::Device, &normalised));
        }
    }
}

/// `"{1,2}((?:\+|00)?[0-9][0-9 \-().]{4,30}[0-9])"{1,2}\s*<`: the number's span.
fn display_name_at(text: &[u8], quote: usize) -> Option<(usize, usize, usize)> {
    let v = if text.get(quote + 1) == Some(&b'"') {
        quote + 2
    } else {
        quote + 1
    };
    let in_class = |c: u8| c.is_ascii_digit() || matches!(c, b' ' | b'-' | b'(' | b')' | b'.');
    let body_start = if text.get(v) == Some(&b'+') { v + 1 } else { v };
    // The class holds no quote, so the number ends at the first byte outside it, which must be a quote.
    let len = text[body_start.min(text.len())..]
        .iter()
        .take(36)
        .take_while(|&&c| in_class(c))
        .count();
    let end = body_start + len;
    if text.get(end) != Some(&b'"') || len < 2 {
        return None;
    }
    let body = &text[body_start..end];
    if !body[0].is_ascii_digit() || !body[len - 1].is_ascii_digit() {
        return None;
    }
    let middle_ok = |m: usize| (4..=30).contains(&m);
    let ok = if body_start > v {
        middle_ok(len - 2)
    } else {
        middle_ok(len - 2)
            || (body.starts_with(b"00")
                && len >= 4
                && middle_ok(len - 4)
                && body[2].is_ascii_digit())
    };
    if !ok {
        return None;
    }
    let mut after = end + 1;
    if text.get(after) == Some(&b'"') {
        after += 1;
    }
    while after < text.len() && is_space(text[after]) {
        after += 1;
    }
    (text.get(after) == Some(&b'<')).then_some((v, end, after + 1))
}

/// `<(\+?[0-9][0-9\-. ()]{4,30}[0-9])>`: the number's span.
fn angle_number_at(text: &[u8], lt: usize) -> Option<(usize, usize, usize)> {
    let v = lt + 1;
    let in_class = |c: u8| c.is_ascii_digit() || matches!(c, b' ' | b'-' | b'(' | b')' | b'.');
    let body_start = if text.get(v) == Some(&b'+') { v + 1 } else { v };
    let len = text[body_start.min(text.len())..]
        .iter()
        .take(33)
        .take_while(|&&c| in_class(c))
        .count();
    let end = body_start + len;
    if text.get(end) != Some(&b'>') || !(6..=32).contains(&len) {
        return None;
    }
    let body = &text[body_start..end];
    (body[0].is_ascii_digit() && body[len - 1].is_ascii_digit()).then_some((v, end, end + 1))
}

fn bracketed(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    let mut pos = 0;
    while let Some(off) = memchr::memchr(b'"', &text[pos..]) {
        let quote = pos + off;
        match display_name_at(text, quote) {
            Some((v, end, next)) => {
                push_phone(text, v, end, region, out);
                pos = next;
            }
            None => pos = quote + 1,
        }
    }
    let mut pos = 0;
    while let Some(off) = memchr::memchr(b'<', &text[pos..]) {
        let lt = pos + off;
        match angle_number_at(text, lt) {
            Some((v, end, next)) => {
                push_phone(text, v, end, region, out);
                pos = next;
            }
            None => pos = lt + 1,
        }
    }
}

const TECHNOLOGIES: [&[u8]; 9] = [
    b"pjsip",
    b"sip",
    b"iax2",
    b"dahdi",
    b"local",
    b"skype",
    b"webrtc",
    b"verto.rtc",
    b"loopback",
];

fn is_segment_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')
}

/// Whether a value at `start` stands in a channel's first segment, the one after `TECH/` or `sofia/PROFILE/`
/// (where [`channel_at`] reads the number after a peer segment): only there can a token that replaced it join
/// a peer segment. The scrubber reads a line again for such a token.
pub fn in_channel_segment(text: &[u8], start: usize) -> bool {
    let back = |end: usize| {
        text[..end]
            .iter()
            .rev()
            .take_while(|&&c| is_segment_char(c))
            .count()
    };
    let slash = start - back(start);
    if slash == 0 || text[slash - 1] != b'/' {
        return false;
    }
    let tech_end = slash - 1;
    if TECHNOLOGIES
        .iter()
        .any(|t| word_ending_at(text, tech_end, t).is_some())
    {
        return true;
    }
    let profile = tech_end - back(tech_end);
    profile < tech_end && word_ending_at(text, profile, b"sofia/").is_some()
}

/// Where `word` starts when it ends at `end` (either case), at the text's start or after a byte that is not a
/// letter or digit.
fn word_ending_at(text: &[u8], end: usize, word: &[u8]) -> Option<usize> {
    let start = end.checked_sub(word.len())?;
    (text[start..end].eq_ignore_ascii_case(word)
        && (start == 0 || !text[start - 1].is_ascii_alphanumeric()))
    .then_some(start)
}

/// A channel's number at `i`: `+`?, 6 to 17 digits, then the end of the text or a byte that ends a channel
/// or dial-string part.
fn channel_number_at(text: &[u8], i: usize) -> Option<(usize, usize)> {
    let digits = i + usize::from(text.get(i) == Some(&b'+'));
    let run = DIGITS.run_after(text, digits, 18);
    if !(6..=17).contains(&run) {
        return None;
    }
    let end = digits + run;
    let follows_ok = match text.get(end) {
        None => true,
        Some(&c) => {
            is_space(c)
                || matches!(
                    c,
                    b'@' | b'-'
                        | b','
                        | b';'
                        | b':'
                        | b')'
                        | b'('
                        | b'/'
                        | b'\''
                        | b'"'
                        | b']'
                        | b'|'
                        | b'&'
                        | b'>'
                )
        }
    };
    follows_ok.then_some((i, end))
}

/// The numbers of a channel or dial string whose technology starts at `start`: one right after the slash
/// (`PJSIP/0301234567-0000001a`) and one after a peer segment (`SIP/trunk/0301234567`). Both readings are
/// taken, also when the segment starts with a digit (`PJSIP/0301234567-0IP/0301000001`): a scrubbed first
/// number turns the line into the second shape, and a second pass must find nothing the first one left.
fn channel_at(text: &[u8], start: usize) -> [Option<(usize, usize)>; 2] {
    let segment_at = |at: usize| {
        text[at.min(text.len())..]
            .iter()
            .take_while(|&&c| is_segment_char(c))
            .count()
    };
    let tech_end = if let Some(tech) = TECHNOLOGIES
        .iter()
        .find(|t| starts_with_ignore_case(text, start, t))
    {
        start + tech.len()
    } else if starts_with_ignore_case(text, start, b"sofia/") {
        let profile = segment_at(start + 6);
        if profile == 0 {
            return [None, None];
        }
        start + 6 + profile
    } else {
        return [None, None];
    };
    if text.get(tech_end) != Some(&b'/') {
        return [None, None];
    }
    let first = tech_end + 1;
    let direct = channel_number_at(text, first);
    let segment_end = first + segment_at(first);
    let after_peer = (segment_end > first && text.get(segment_end) == Some(&b'/'))
        .then(|| channel_number_at(text, segment_end + 1))
        .flatten();
    [direct, after_peer]
}

/// Where a channel may start: at each slash, the technology word that ends there (`PJSIP/`) or the `sofia` before
/// a profile (`sofia/internal/`), not after a letter or digit. Every channel has one; memchr finds the slashes.
fn channel_starts(text: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'/', text).filter_map(move |slash| {
        TECHNOLOGIES
            .iter()
            .find_map(|t| word_ending_at(text, slash, t))
            .or_else(|| word_ending_at(text, slash, b"sofia"))
    })
}

fn channels(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    // A channel's numbers end where the next channel may start.
    let mut next = 0;
    for start in channel_starts(text) {
        if start < next {
            continue;
        }
        next = start + 1;
        for (v, end) in channel_at(text, start).into_iter().flatten() {
            push_phone(text, v, end, region, out);
            next = end;
        }
    }
}

/// `number@host` without a scheme: tried once per `@`, at the start of the digit run before it.
fn users_at_host(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    for (start, at) in numbers_at_hosts(text) {
        push_phone(text, start, at, region, out);
    }
}

/// Whether `text` holds a `number@host` without a scheme. The SIP trigger asks this rather than for six digits
/// before an `@`: those stand in every `sip:number@host` URI (the URI rule's, not this one's) and in Call-IDs.
pub fn has_number_at_host(text: &[u8]) -> bool {
    numbers_at_hosts(text).next().is_some()
}

/// (number start, `@`) of each `number@host` without a scheme. Digits only decide by class, so a skeleton
/// holds one where its text does.
fn numbers_at_hosts(text: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut pos = 0;
    memchr::memchr_iter(b'@', text).filter_map(move |at| {
        let from = pos;
        pos = at + 1;
        number_before_at(text, from, at).map(|start| (start, at))
    })
}

/// Where the number before the `@` at `at` starts (its `+`, if any, after `pos`), or None.
fn number_before_at(text: &[u8], pos: usize, at: usize) -> Option<usize> {
    let floor = pos.max(at.saturating_sub(17));
    let digits = DIGITS.run_before(text, at, at - floor);
    if !(6..=16).contains(&digits) {
        return None;
    }
    let mut start = at - digits;
    if start > pos && text[start - 1] == b'+' {
        start -= 1;
    }
    // A URL's user (`https://4915112345678@host/`) counts; other paths and words do not.
    let url_user = start >= 2 && &text[start - 2..start] == b"//";
    let before_ok = start == 0
        || url_user
        || !(text[start - 1].is_ascii_alphanumeric()
            || matches!(
                text[start - 1],
                b'_' | b'.' | b':' | b'/' | b'+' | b'-' | b'%'
            ));
    let after_ok = text
        .get(at + 1)
        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'[' || c == b':');
    (before_ok && after_ok).then_some(start)
}

/// `(?i:user(?:name)?)[ =:]*<?[0-9]{9,11}:(\+?[0-9]{6,16})(?=[>\s,;&"']|\Z)`.
fn turn_user_at(text: &[u8], start: usize) -> Option<(usize, usize)> {
    let mut i = start + 4;
    if starts_with_ignore_case(text, i, b"name") {
        i += 4;
    }
    while i < text.len() && matches!(text[i], b' ' | b'=' | b':') {
        i += 1;
    }
    if text.get(i) == Some(&b'<') {
        i += 1;
    }
    let expiry = DIGITS.run_after(text, i, 12);
    if !(9..=11).contains(&expiry) || text.get(i + expiry) != Some(&b':') {
        return None;
    }
    let v = i + expiry + 1;
    let mut j = v;
    if text.get(j) == Some(&b'+') {
        j += 1;
    }
    let run = DIGITS.run_after(text, j, 17);
    if !(6..=16).contains(&run) {
        return None;
    }
    let end = j + run;
    let follows_ok = match text.get(end) {
        None => true,
        Some(&c) => is_space(c) || matches!(c, b'>' | b',' | b';' | b'&' | b'"' | b'\''),
    };
    follows_ok.then_some((v, end))
}

fn turn_users(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    let mut pos = 0;
    while pos + 4 <= text.len() {
        let Some(off) = memchr::memchr2(b'u', b'U', &text[pos..]) else {
            break;
        };
        let at = pos + off;
        if starts_with_ignore_case(text, at, b"user") {
            if let Some((v, end)) = turn_user_at(text, at) {
                push_phone(text, v, end, region, out);
                pos = end;
                continue;
            }
        }
        pos = at + 1;
    }
}

const NUMBER_WORDS: [&[u8]; 11] = [
    b"extension",
    b"exten",
    b"number",
    b"callerid",
    b"caller",
    b"callee",
    b"from",
    b"to",
    b"did",
    b"dialed",
    b"dialled",
];

/// Where a quoted value starts that follows a number word and blanks, and starts like a number.
fn quotes_after_number_words(text: &[u8]) -> Vec<usize> {
    let longest = NUMBER_WORDS.iter().map(|w| w.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for quote in memchr::memchr2_iter(b'"', b'\'', text) {
        if quote == 0 || !is_space(text[quote - 1]) {
            continue;
        }
        let mut i = quote + 1;
        if text.get(i) == Some(&b'+') {
            i += 1;
        } else if text.len() >= i + 3 && (&text[i..i + 3] == b"%2B" || &text[i..i + 3] == b"%2b") {
            i += 3;
        }
        if text.get(i) == Some(&b'(') {
            i += 1;
        }
        if !text.get(i).is_some_and(u8::is_ascii_digit) {
            continue;
        }
        let mut end = quote;
        while end > 0 && is_space(text[end - 1]) {
            end -= 1;
        }
        if let Some((word, _)) = run_before(text, end, &LETTERS, longest) {
            if NUMBER_WORDS.contains(&word.as_slice()) {
                out.push(quote + 1);
            }
        }
    }
    out
}

fn quoted_after_word(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    for start in quotes_after_number_words(text) {
        if let Some((end, _)) = scan_after_mark(text, start) {
            if matches!(text.get(end), Some(b'\'' | b'"')) {
                push_phone(text, start, end, region, out);
            }
        }
    }
}

/// Every rule, in Python's order, each where the bytes it needs are in the text. The gates of the rules
/// whose matches imply them (`<`, `/`, `@`, quotes) are left out; the case-sensitive `nstance` and `ser`
/// gates are kept, as they decide findings (`sip.INSTANCE` in mixed case is skipped by Python too).
pub fn find_sip(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    // The gates' searchers are built once (building one costs more than searching a line).
    static GATES: OnceLock<[memmem::Finder<'static>; 4]> = OnceLock::new();
    let [nstance, nstance_upper, ser, ser_upper] = GATES.get_or_init(|| {
        [
            memmem::Finder::new(b"nstance"),
            memmem::Finder::new(b"NSTANCE"),
            memmem::Finder::new(b"ser"),
            memmem::Finder::new(b"SER"),
        ]
    });
    if nstance.find(text).is_some() || nstance_upper.find(text).is_some() {
        instances(text, out);
    }
    bracketed(text, region, out);
    channels(text, region, out);
    users_at_host(text, region, out);
    if ser.find(text).is_some() || ser_upper.find(text).is_some() {
        turn_users(text, region, out);
    }
    quoted_after_word(text, region, out);
}

#[cfg(test)]
mod tests {
    use super::super::phone_rules::tests::rules;
    use super::*;
    use crate::detect::testing::{assert_kinded, KindedCase};
    use proptest::prelude::*;

    // The former reading, a byte at a time: the oracle of `channel_starts`.
    fn channels_byte_by_byte(text: &[u8], region: &Region, out: &mut Vec<Found>) {
        let mut pos = 0;
        while pos < text.len() {
            let c = text[pos].to_ascii_lowercase();
            let may_start = matches!(c, b'p' | b's' | b'i' | b'd' | b'l' | b'w' | b'v')
                && (pos == 0 || !text[pos - 1].is_ascii_alphanumeric());
            let mut next = pos + 1;
            if may_start {
                for (v, end) in channel_at(text, pos).into_iter().flatten() {
                    push_phone(text, v, end, region, out);
                    next = end;
                }
            }
            pos = next;
        }
    }

    proptest! {
        /// Channels found from their slashes are the channels the byte-by-byte reading found.
        #[test]
        fn channels_read_as_byte_by_byte(parts in proptest::collection::vec(prop::sample::select(vec![
            "PJSIP/", "pjsip/", "SIP/", "IAX2/", "DAHDI/", "Local/", "sofia/", "internal/", "verto.rtc/", "webrtc/",
            "Skype/", "loopback/", "trunk", "/", "0301234567", "+4930123456", "-0000001a", "@", ",", " ", "x", "J",
            "GOSSIP/", ":", "(", ")",
        ]), 0..10)) {
            let text = parts.concat();
            let region = Region::new(rules(), "DE");
            let (mut got, mut want) = (Vec::new(), Vec::new());
            channels(text.as_bytes(), &region, &mut got);
            channels_byte_by_byte(text.as_bytes(), &region, &mut want);
            prop_assert_eq!(got, want, "{}", text);
        }
    }

    fn found(text: &[u8]) -> Vec<(String, &'static str, String)> {
        let mut out = Vec::new();
        find_sip(text, &Region::new(rules(), "DE"), &mut out);
        crate::detect::testing::kinded(text, out)
    }

    #[test]
    fn channel_segments() {
        let at = |text: &str, value: &str| {
            in_channel_segment(text.as_bytes(), text.find(value).unwrap())
        };
        assert!(at("Dial(PJSIP/0301000001-0IP/0301033009)", "0301000001"));
        assert!(at("x SIP/abcTOKEN-0IP/0301033009", "TOKEN"));
        assert!(at("sofia/internal/TOKEN/0301033009", "TOKEN"));
        assert!(at("local/TOKEN", "TOKEN"));
        // No technology before the segment: a transport, a URL path, a word that only ends like one.
        assert!(!at("RemoteAddress=\"IPV4/UDP/2001:db8::1/5060\"", "2001"));
        assert!(!at("GET /x/TOKEN/0301033009", "TOKEN"));
        assert!(!at("GOSSIP/TOKEN/0301033009", "TOKEN"));
        assert!(!at("TOKEN/0301033009", "TOKEN"));
        assert!(!at("sofia//TOKEN/0301033009", "TOKEN"));
    }

    /// The instance id as logs quote the header again: JSON's `\"`, single quotes, blanks around `=`, HTML's
    /// `&lt;`, a URL's `%3C` (found by session 42's audit: each passed unchanged).
    #[test]
    fn instance_ids_quoted_again() {
        const UUID: &str = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
        for written in [
            "+sip.instance=\\\"<urn:uuid:{}>\\\"",
            "+sip.instance='<urn:uuid:{}>'",
            "+sip.instance=\"\"<urn:uuid:{}>\"\"",
            "+sip.instance = \"<urn:uuid:{}>\"",
            "+sip.instance=\"&lt;urn:uuid:{}&gt;\"",
            "+sip.instance=%22%3Curn:uuid:{}%3E%22",
            "+SIP.INSTANCE=&quot;&lt;URN:UUID:{}&gt;&quot;",
            "+sip.instance=urn:uuid:{}",
        ] {
            let text = written.replace("{}", UUID);
            let mut out = Vec::new();
            instances(text.as_bytes(), &mut out);
            assert_eq!(out.len(), 1, "{text}");
            assert_eq!(&text[out[0].start..out[0].end], UUID, "{text}");
            assert_eq!(out[0].normalised(), format!("urn:uuid:{UUID}"));
        }
        for not_an_instance in [
            format!("+sip.instances=<urn:uuid:{UUID}>"),
            format!("+sip.instance:<urn:uuid:{UUID}>"),
            format!("+sip.instance=<<urn:uuid:{UUID}>"),
        ] {
            let mut out = Vec::new();
            instances(not_an_instance.as_bytes(), &mut out);
            assert!(out.is_empty(), "{not_an_instance}");
        }
    }

    #[test]
    fn rules_find() {
        let cases: &[KindedCase] = &[
            (
                b"+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\"",
                &[(
                    "00000000-0000-1000-8000-AABBCCDDEEFF",
                    "device",
                    "urn:uuid:00000000-0000-1000-8000-aabbccddeeff",
                )],
            ),
            (
                b"From: \"0301234567\" <sip:x@y>",
                &[("0301234567", "phone", "+49301234567")],
            ),
            (
                b"\"Alice\" <0301234567>",
                &[("0301234567", "phone", "+49301234567")],
            ),
            (
                b"Dial(PJSIP/0301234567-0000001a)",
                &[("0301234567", "phone", "+49301234567")],
            ),
            (
                b"SIP/trunk/0301234567,30",
                &[("0301234567", "phone", "+49301234567")],
            ),
            (
                // Both readings of a channel whose peer segment starts with a digit (found by the fuzzer).
                b"PJSIP/0301000001-0IP/0301033009-0000001a",
                &[
                    ("0301000001", "phone", "+49301000001"),
                    ("0301033009", "phone", "+49301033009"),
                ],
            ),
            (
                // A URL's user, raw and percent-escaped (loghub Mac_2k's iCloud URLs).
                b"https://0301234567@pbx.example.net/x",
                &[("0301234567", "phone", "+49301234567")],
            ),
            (
                b"[011448708752617@192.168.2.51]",
                &[("011448708752617", "phone", "+4911448708752617")],
            ),
            (
                b"user <1702970778:905330202827>",
                &[("905330202827", "phone", "+905330202827")],
            ),
            (
                b"to extension '0301234567'",
                &[("0301234567", "phone", "+49301234567")],
            ),
        ];
        assert_kinded(cases, found);
        assert_eq!(
            normalise_device("<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>").as_deref(),
            Some("urn:uuid:00000000-0000-1000-8000-aabbccddeeff")
        );
    }

    /// `PSEUDOLOG_BENCH_FILE=corpus.log cargo test --release -- --ignored --nocapture bench_`: MB/s of the three
    /// detectors over a file's lines (a measurement, never an assertion).
    #[test]
    #[ignore]
    fn bench_detectors_on_file() {
        let Ok(path) = std::env::var("PSEUDOLOG_BENCH_FILE") else {
            return;
        };
        let data = std::fs::read(path).expect("bench file");
        let region = Region::new(rules(), "DE");
        // CPU time of this thread (Linux), not wall time: the machine is shared.
        let cpu = || -> f64 {
            std::fs::read_to_string("/proc/thread-self/schedstat")
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
                .map_or(0.0, |ns| ns / 1e9)
        };
        type Rule = fn(&[u8], &Region, &mut Vec<Found>);
        let rules: [(&str, Rule); 6] = [
            ("international", super::super::phone::find_international),
            ("sip", find_sip),
            ("context", super::super::context::find_context),
            ("  uri", super::super::context::uri_numbers),
            ("  keyed", super::super::context::keyed_numbers),
            ("  provisioning", super::super::context::provisioning_macs),
        ];
        let mut total = 0.0;
        for (name, rule) in rules {
            let started = cpu();
            let part = name.starts_with(' ');
            let mut found = 0;
            for _ in 0..5 {
                for line in data.split(|&c| c == b'\n') {
                    let mut out = Vec::new();
                    rule(line, &region, &mut out);
                    found += out.len();
                }
            }
            let secs = cpu() - started;
            if !part {
                total += secs;
            }
            println!(
                "{name}: {:.1} MB/s, {found} findings",
                5.0 * data.len() as f64 / secs / 1e6
            );
        }
        println!(
            "all three: {:.1} MB/s",
            5.0 * data.len() as f64 / total / 1e6
        );
    }

    /// Lines put together from the look-alikes the rules must tell apart.
    fn pieces() -> impl Strategy<Value = Vec<u8>> {
        let pieces = prop::sample::select(vec![
            "0",
            "00",
            "1",
            "49",
            "0301234567",
            "+",
            "%2B",
            "%20",
            "(",
            ")",
            "/",
            ".",
            "-",
            " ",
            "\"",
            "'",
            "<",
            ">",
            "@",
            "@host",
            "sip:",
            "tel:",
            "SIP/",
            "PJSIP/",
            "sofia/int/",
            "user ",
            "1702970778:",
            "to=",
            "from: ",
            "mac=",
            "imei=",
            "001565abcdef",
            ".cfg",
            "to ",
            "extension ",
            ";phone-context=+4930",
            "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-aabbccddeeff>",
        ]);
        prop::collection::vec(pieces, 0..30).prop_map(|parts| parts.concat().into_bytes())
    }

    fn all_rules(text: &[u8]) -> Vec<Found> {
        let region = Region::new(rules(), "DE");
        let mut out = Vec::new();
        super::super::phone::find_international(text, &region, &mut out);
        find_sip(text, &region, &mut out);
        super::super::context::find_context(text, &region, &mut out);
        out
    }

    proptest! {
        #[test]
        fn findings_are_well_formed(text in pieces()) {
            for f in all_rules(&text) {
                prop_assert!(f.start < f.end && f.end <= text.len());
                match f.kind() {
                    Kind::Phone => prop_assert!(
                        f.normalised().starts_with('+') || f.normalised().starts_with("DE:")
                    ),
                    Kind::Mac => prop_assert_eq!(f.normalised().len(), 17),
                    Kind::Imei => prop_assert_eq!(f.normalised().len(), 14),
                    Kind::Device => prop_assert!(f.normalised().starts_with("urn:uuid:")),
                    Kind::Ip => prop_assert!(false, "no IP rule here"),
                }
            }
        }

        #[test]
        fn any_bytes_are_read_without_panic(text in prop::collection::vec(any::<u8>(), 0..300)) {
            for f in all_rules(&text) {
                prop_assert!(f.start < f.end && f.end <= text.len());
            }
        }

        #[test]
        fn the_same_line_gives_the_same_findings(text in pieces()) {
            prop_assert_eq!(all_rules(&text), all_rules(&text));
        }

        #[test]
        fn a_number_in_a_sip_uri_does_not_survive(digits in "[1-9][0-9]{6,10}", pre in "[a-z ]{0,6}") {
            let text = format!("{pre}<sip:0{digits}@host>");
            let found = all_rules(text.as_bytes());
            let start = pre.len() + 5;
            prop_assert!(found.iter().any(|f| f.start == start && f.end == start + 1 + digits.len()));
        }
    }

    #[test]
    fn hostile_repetitions() {
        for unit in [
            &b"sip:"[..],
            b"<",
            b"\"",
            b"'",
            b"\"\"1",
            b"<1",
            b"SIP/",
            b"SIP/a/",
            b"SIP/0301234567-1/",
            b"1@",
            b"user:",
            b"to '",
            b"sip.instance=",
        ] {
            let line = unit.repeat(100_000);
            let out = found(&line);
            assert!(out.len() <= line.len());
        }
    }
}
