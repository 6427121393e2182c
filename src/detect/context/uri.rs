//! The numeric user part of `sip:`, `sips:` and `tel:` URIs, with RFC 3966 `phone-context` applied.

use crate::detect::phone::{context_number, is_context_number, normalise_phone};
use crate::detect::phone_rules::Region;
use crate::detect::{starts_with_ignore_case, Found, Kind};
use std::borrow::Cow;

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

fn is_uri_char(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b'-' | b'.' | b'(' | b')')
}

/// Where a user part `(?:\+|%2[Bb])?[0-9(]` from `pos` has its first digit or `(`, or None.
fn user_part_opens(text: &[u8], pos: usize) -> Option<usize> {
    let i = if text.get(pos) == Some(&b'+') {
        pos + 1
    } else if starts_with_ignore_case(text, pos, b"%2B") {
        pos + 3
    } else {
        pos
    };
    text.get(i)
        .is_some_and(|&c| c.is_ascii_digit() || c == b'(')
        .then_some(i)
}

/// The user part `(?:\+|%2[Bb])?[0-9(][0-9\-.()]*` from `pos`: its end, or None.
fn uri_user_end(text: &[u8], pos: usize) -> Option<usize> {
    let mut i = user_part_opens(text, pos)? + 1;
    while i < text.len() && is_uri_char(text[i]) {
        i += 1;
    }
    Some(i)
}

/// `URI_USER_RE.match(text, start)`: (user part start, end) of a `sip:`/`sips:` URI whose user part is
/// followed by `@` (maybe after parameters) or of a `tel:` URI.
fn uri_user_at(text: &[u8], start: usize) -> Option<(usize, usize)> {
    if start > 0 && text[start - 1].is_ascii_alphanumeric() {
        return None;
    }
    let scheme = |lit: &[u8]| starts_with_ignore_case(text, start, lit);
    let sip_len = if scheme(b"sips:") {
        Some(5)
    } else if scheme(b"sip:") {
        Some(4)
    } else {
        None
    };
    if let Some(len) = sip_len {
        let user = start + len;
        if let Some(end) = uri_user_end(text, user) {
            // `(?=[;:][^@\s>"']{0,64}@|@)`: the user part's maximal run is followed by this or nothing is.
            match text.get(end) {
                Some(b'@') => return Some((user, end)),
                Some(b';' | b':') => {
                    let rest = &text[end + 1..];
                    let run = rest
                        .iter()
                        .take(65)
                        .take_while(|&&c| {
                            !(c == b'@' || is_space(c) || matches!(c, b'>' | b'"' | b'\''))
                        })
                        .count();
                    if run <= 64 && rest.get(run) == Some(&b'@') {
                        return Some((user, end));
                    }
                    // Parameters running to the end of the text: a segment cut before the `@` (issue 22
                    // shape 8). A user part of seven or more plain digits then is the number.
                    let digits = text[user..end].iter().all(u8::is_ascii_digit);
                    if run == rest.len() && digits && end - user >= 7 {
                        return Some((user, end));
                    }
                }
                _ => {}
            }
        }
    }
    if scheme(b"tel:") {
        let user = start + 4;
        let greedy = uri_user_end(text, user)?;
        // The shortest the group can be: the mark and its first character.
        let shortest = user_part_opens(text, user)? + 1;
        // `(?![0-9A-Za-z])`, backtracking from the longest run to the shortest.
        let mut end = greedy;
        loop {
            if !text.get(end).is_some_and(u8::is_ascii_alphanumeric) {
                return Some((user, end));
            }
            if end == shortest {
                return None;
            }
            end -= 1;
        }
    }
    None
}

/// `hinted_matches(text, URI_USER_RE, _SCHEME_COLON, (4, 3))`: the URI rule tried where a scheme's colon can
/// stand (a colon after `p`, `s` or `l`, before what starts a user part). Yielded as found: no vector per text.
fn uri_users(text: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < text.len() {
            let from = pos;
            let at = from + memchr::memchr(b':', &text[from..])?;
            pos = at + 1;
            let hint = at > 0
                && matches!(text[at - 1], b'P' | b'p' | b'S' | b's' | b'L' | b'l')
                && user_part_opens(text, at + 1).is_some();
            if !hint {
                continue;
            }
            // The scheme starts where the search did or later.
            let matched = [4, 3]
                .into_iter()
                .filter(|&back| at >= back && at - back >= from)
                .find_map(|back| uri_user_at(text, at - back));
            if let Some((user, end)) = matched {
                pos = end;
                return Some((user, end));
            }
        }
        None
    })
}

/// `PHONE_CONTEXT_RE.match(text, pos)`: the digits of a `;phone-context=+...` within 64 bytes.
fn phone_context_at(text: &[u8], pos: usize) -> Option<Vec<u8>> {
    const PARAM: &[u8] = b";phone-context=";
    for k in 0..=64 {
        let at = pos + k;
        if text.len() >= at + PARAM.len() + 2
            && text[at..at + PARAM.len()].eq_ignore_ascii_case(PARAM)
            && text[at + PARAM.len()] == b'+'
            && text[at + PARAM.len() + 1].is_ascii_digit()
        {
            let ctx = &text[at + PARAM.len() + 1..];
            let len = ctx.iter().take_while(|&&c| is_uri_char(c)).count();
            return Some(
                ctx[..len]
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_digit)
                    .collect(),
            );
        }
        match text.get(at) {
            Some(&c) if !(c == b'@' || c == b'>' || c == b'"' || c == b'\'' || is_space(c)) => {}
            _ => return None,
        }
    }
    None
}

/// Numeric user parts of `sip:`, `sips:` and `tel:` URIs.
pub fn uri_numbers(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    for (user, greedy) in uri_users(text) {
        let mut end = greedy;
        while end > user && matches!(text[end - 1], b'.' | b'-' | b'(') {
            end -= 1;
        }
        let value = &text[user..end];
        // Dots are read as absent; most user parts hold none and are checked as they stand.
        let undotted: Cow<[u8]> = if value.contains(&b'.') {
            Cow::Owned(value.iter().copied().filter(|&c| c != b'.').collect())
        } else {
            Cow::Borrowed(value)
        };
        if !is_context_number(&undotted) {
            continue;
        }
        let mut norm = context_number(value, region);
        if let Some(prefix) = phone_context_at(text, end) {
            if !(value.starts_with(b"+") || value.starts_with(b"%2B") || value.starts_with(b"%2b"))
            {
                let local: String = value
                    .iter()
                    .filter(|c| c.is_ascii_digit())
                    .map(|&c| char::from(c))
                    .collect();
                let prefix = String::from_utf8(prefix).unwrap_or_default();
                norm = normalise_phone(&format!("+{prefix}{local}"), region);
            }
        }
        if let Some(norm) = norm {
            out.push(Found::new(user, end, Kind::Phone, &norm));
        }
    }
}

/// `URI_GATE`: `sip` in any case, or `tel:`.
pub fn uri_gate(text: &[u8]) -> bool {
    memchr::memchr2_iter(b'p', b'P', text)
        .any(|p| p >= 2 && text[p - 2..p].eq_ignore_ascii_case(b"si"))
        || memchr::memchr_iter(b':', text)
            .any(|c| c >= 3 && text[c - 3..c].eq_ignore_ascii_case(b"tel"))
}
