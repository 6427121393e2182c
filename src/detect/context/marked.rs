//! A phone-length path segment after a segment naming numbers (`/subscribers/4917612345678/balance`) and a
//! MAC after a spaced device key (`DevId 000b82a1b2c3`), issue 22.

use super::{is_key_char, mac_value_at};
use crate::detect::device::normalise_mac;
use crate::detect::phone::context_number;
use crate::detect::phone_rules::Region;
use crate::detect::scan::DIGITS;
use crate::detect::{Found, Kind};

/// Path segments that name numbers (issue 22 shape 5): the segment after one of them is the number.
const NUMBER_SEGMENTS: [&str; 18] = [
    "/numbers/",
    "/number/",
    "/subscribers/",
    "/subscriber/",
    "/msisdn/",
    "/msisdns/",
    "/phones/",
    "/phone/",
    "/callers/",
    "/caller/",
    "/callees/",
    "/lines/",
    "/line/",
    "/extensions/",
    "/extension/",
    "/dids/",
    "/did/",
    "/users/",
];
/// Device keys written with a blank before the value (`DevId 000b82a1b2c3`, issue 22 shape 6).
const SPACED_MAC_KEYS: [&str; 5] = ["devid ", "dev_id ", "deviceid ", "device_id ", "hwaddr "];

/// The longest of [`NUMBER_SEGMENTS`], slashes included.
const LONGEST_SEGMENT: usize = 13;

/// The spaced device keys in `text`, in order: each holds a `v` (`dev...`) or a `w` (`hwaddr`), letters few
/// log lines hold many of, so memchr finds the places to look (a blank, where every key ends, is everywhere).
fn spaced_mac_keys(text: &[u8]) -> Vec<(usize, usize)> {
    let key_at = |start: usize| {
        SPACED_MAC_KEYS.iter().find_map(|k| {
            text.get(start..start + k.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(k.as_bytes()))
                .then_some((start, start + k.len()))
        })
    };
    // `v` is the third byte of every dev key, `w` the second of `hwaddr`.
    let mut keys: Vec<(usize, usize)> = memchr::memchr2_iter(b'v', b'V', text)
        .filter(|&p| p >= 2)
        .filter_map(|p| key_at(p - 2))
        .chain(
            memchr::memchr2_iter(b'w', b'W', text)
                .filter(|&p| p >= 1)
                .filter_map(|p| key_at(p - 1)),
        )
        .collect();
    keys.sort_unstable();
    keys
}

/// The segments naming numbers in `text` (start, end), in order: one at a slash, decided by a bounded look
/// ahead to the next slash.
fn number_segments(text: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    memchr::memchr_iter(b'/', text).filter_map(move |p| {
        let window = &text[p + 1..(p + LONGEST_SEGMENT).min(text.len())];
        let next = p + 1 + memchr::memchr(b'/', window)?;
        let word = &text[p..=next];
        NUMBER_SEGMENTS
            .iter()
            .any(|s| word.eq_ignore_ascii_case(s.as_bytes()))
            .then_some((p, next + 1))
    })
}

/// What marks a value, in order of where the value starts: a segment naming numbers (at every slash, so
/// `/numbers/numbers/49...` is read at every step) or a spaced device key. (marker start, value start, a MAC
/// key). No two markers end at the same place (one ends in `/`, the other in a blank), and no two keys
/// overlap (each ends at its only blank).
fn markers(text: &[u8]) -> impl Iterator<Item = (usize, usize, bool)> + '_ {
    let segments = number_segments(text).map(|(start, end)| (start, end, false));
    let keys = spaced_mac_keys(text)
        .into_iter()
        .map(|(start, end)| (start, end, true));
    let (mut segments, mut keys) = (segments.peekable(), keys.peekable());
    std::iter::from_fn(move || match (segments.peek(), keys.peek()) {
        (Some(s), Some(k)) if k.1 < s.1 => keys.next(),
        (Some(_), _) => segments.next(),
        (None, _) => keys.next(),
    })
}

/// The gate of [`marked_values`]: a marker, without which it finds nothing. Markers hold no digit, so a
/// skeleton meets the gate as its text does, and the scrubber decides it once per skeleton: most texts hold a
/// slash or a blank, few a segment naming numbers or a device key.
pub fn marked_gate(text: &[u8]) -> bool {
    number_segments(text).next().is_some() || !spaced_mac_keys(text).is_empty()
}

/// A phone-length path segment after a segment naming numbers (`/subscribers/4917612345678/balance`), and a
/// MAC after a device key and one blank (`DevId 000b82a1b2c3`). The markers are found by memchr (at slashes,
/// and at the `v` or `w` every device key holds), each decided by a bounded look ahead.
pub fn marked_values(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    values_after_markers(text, markers(text), region, out);
}

/// The value after each marker (marker start, value start, a MAC key), markers in order of where values start.
fn values_after_markers(
    text: &[u8],
    markers: impl Iterator<Item = (usize, usize, bool)>,
    region: &Region,
    out: &mut Vec<Found>,
) {
    let mut last_end = 0;
    for (start, pos, mac_key) in markers {
        if pos < last_end {
            continue;
        }
        if mac_key {
            if start > 0 && is_key_char(text[start - 1]) {
                continue;
            }
            let Some(end) = mac_value_at(text, pos) else {
                continue;
            };
            if let Some(mac) = normalise_mac(&text[pos..end]) {
                last_end = end;
                out.push(Found::new(pos, end, Kind::Mac, &mac));
            }
            continue;
        }
        let mut i = pos;
        if text.get(i) == Some(&b'+') {
            i += 1;
        }
        let digits = DIGITS.run_after(text, i, 16);
        let end = i + digits;
        let closed = text
            .get(end)
            .is_none_or(|c| matches!(c, b'/' | b'?' | b'#' | b'&' | b';' | b' ' | b'"' | b'\''));
        if !(7..=15).contains(&digits) || !closed {
            continue;
        }
        if let Some(norm) = context_number(&text[pos..end], region) {
            last_end = end;
            out.push(Found::new(pos, end, Kind::Phone, &norm));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::phone_rules::tests::rules;
    use crate::detect::testing::texts;
    use proptest::prelude::*;

    #[test]
    fn longest_segment_is_the_longest() {
        assert_eq!(
            NUMBER_SEGMENTS.iter().map(|s| s.len()).max(),
            Some(LONGEST_SEGMENT)
        );
    }

    // The former reading, one overlapping automaton pass over segments and keys: the oracle of `markers`.
    fn markers_by_automaton(text: &[u8]) -> Vec<(usize, usize, bool)> {
        let marked = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(NUMBER_SEGMENTS.iter().chain(SPACED_MAC_KEYS.iter()))
            .unwrap();
        marked
            .find_overlapping_iter(text)
            .map(|m| {
                (
                    m.start(),
                    m.end(),
                    m.pattern().as_usize() >= NUMBER_SEGMENTS.len(),
                )
            })
            .collect()
    }

    proptest! {
        /// Texts made of the markers, digits, MAC bytes and separators: the memchr reading finds what the
        /// overlapping automaton found.
        #[test]
        fn marked_values_read_as_the_automaton_did(parts in proptest::collection::vec(prop::sample::select(vec![
            "/numbers/", "/NUMBER/", "/subscribers/", "/did/", "/dids/", "/users/", "/x/", "/", "devid ", "DevId ",
            "device_id ", "hwaddr ", "dev_id ", "deviceid ", "a", "_", " ", "+", "4917612345678", "0301234567",
            "00:0b:82:a1:b2:c3", "000b82a1b2c3", "000b.82a1.b2c3", "?", "&", "12",
        ]), 0..12)) {
            let text = parts.concat();
            let region = Region::new(rules(), "DE");
            let (mut got, mut want) = (Vec::new(), Vec::new());
            let bytes = text.as_bytes();
            prop_assert_eq!(markers(bytes).collect::<Vec<_>>(), markers_by_automaton(bytes), "{}", text);
            marked_values(bytes, &region, &mut got);
            values_after_markers(bytes, markers_by_automaton(bytes).into_iter(), &region, &mut want);
            // The gate is open where a marker stands, and a skeleton meets it as its text does.
            prop_assert_eq!(marked_gate(bytes), !markers_by_automaton(bytes).is_empty(), "{}", text);
            let mut skeleton = Vec::new();
            crate::scrub::skeleton_into(bytes, &mut skeleton);
            prop_assert_eq!(marked_gate(&skeleton), marked_gate(bytes), "{}", text);
            prop_assert_eq!(got, want, "{}", text);
        }
    }

    fn marked_in(text: &[u8]) -> Vec<(String, &'static str, String)> {
        let mut out = Vec::new();
        marked_values(text, &Region::new(rules(), "DE"), &mut out);
        crate::detect::testing::kinded(text, out)
    }

    #[test]
    fn rest_paths_and_spaced_device_keys_issue_22() {
        assert_eq!(
            texts(&marked_in(b"GET /api/v1/subscribers/4917612345678/balance")),
            ["4917612345678"]
        );
        assert_eq!(
            texts(&marked_in(b"/v2/msisdn/491521234567")),
            ["491521234567"]
        );
        assert_eq!(
            texts(&marked_in(b"/numbers/numbers/017612345678?x=1")),
            ["017612345678"]
        );
        // Not phone length, or not a whole segment: no number.
        assert!(marked_in(
            b"/numbers/12345/x /numbers/0176123456789012345 /numbers/017612345678abc"
        )
        .is_empty());
        assert!(marked_in(b"/orders/017612345678").is_empty());
        assert_eq!(
            marked_in(b"SW 1.0.9.127 DevId 000b82a1b2c3"),
            [(
                "000b82a1b2c3".to_string(),
                "mac",
                "00:0b:82:a1:b2:c3".to_string()
            )]
        );
        assert!(marked_in(b"xDevId 000b82a1b2c3").is_empty());
    }
}
