//! Numbers after phone keys, MACs after device keys and IMEIs after IMEI keys (`to=...`, `MAC: ...`), and
//! quoted display numbers before a SIP or tel URI.

use super::{is_key_char, mac_value_at, run_before, LowerWord, KEY_CHARS, KEY_MAX};
use crate::detect::device::{is_plausible_bare_mac, normalise_imei, normalise_mac};
use crate::detect::phone::{context_number, scan_after_mark};
use crate::detect::phone_rules::Region;
use crate::detect::scan::DIGITS;
use crate::detect::{starts_with_ignore_case, Found, Kind};
use crate::hashing::HashMap;
use std::sync::OnceLock;

const PHONE_KEYS: &str = "from|to|caller|callee|calling|called|number|msisdn|phone|tel|telephone|mobile|cli|clid|ani|dnis|cid\
|callerid|caller_id|calleridnum|callerid_num|cid_num|connectedlinenum|src|dst|did|dialed|dialled\
|destination|dest|fromuser|touser|from_user|to_user|ruri_user|rpid|pai|diversion|redirect|e164|cgpn|cdpn\
|a_number|b_number|anumber|bnumber|caller_number|callee_number|caller_id_number|destination_number\
|accountid|src_user|dst_user|effective_caller_id_number|origination_caller_id_number|callee_id_number\
|sip_from_user|sip_to_user|sip_req_user|rdnis|ani2|subscriber|calling_number|called_number";
const MAC_KEYS: &str =
    "mac|macaddr|mac_addr|mac_address|macaddress|hwaddr|hw_addr|sn|devid|dev_id|deviceid|device_id";
const IMEI_KEYS: &str = "imei|imeisv|device_imei";

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Phone,
    Mac,
    Imei,
}

/// The key sets as looked up per separator: every key with its kind and the longest key's length.
struct Keys {
    kinds: HashMap<&'static [u8], KeyKind>,
    longest: usize,
    /// A word names a key only if it ends like a listed key or a key read by rule, or starts like a key read by
    /// rule (lower case): most words before a `:` (`sip`, `2001`, `10` of a time) do neither and are not looked
    /// up. Derived from the lists and [`BY_RULE_ENDS`] / [`BY_RULE_STARTS`], so it never turns a key away.
    may_end: [bool; 256],
    may_start: [bool; 256],
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut kinds = HashMap::default();
        let mut may_end = [false; 256];
        let mut may_start = [false; 256];
        // Phone keys first: a key in two lists is read as Python reads it, phone before MAC before IMEI.
        for (list, kind) in [
            (IMEI_KEYS, KeyKind::Imei),
            (MAC_KEYS, KeyKind::Mac),
            (PHONE_KEYS, KeyKind::Phone),
        ] {
            for key in list.split('|') {
                kinds.insert(key.as_bytes(), kind);
                let last = *key.as_bytes().last().expect("no empty key");
                may_end[usize::from(last)] = true;
            }
        }
        for end in BY_RULE_ENDS {
            may_end[usize::from(end[end.len() - 1])] = true;
        }
        for start in BY_RULE_STARTS {
            may_start[usize::from(start[0])] = true;
        }
        let longest = kinds.keys().map(|k| k.len()).max().unwrap_or(0);
        assert!(longest <= KEY_MAX, "a listed key is longer than KEY_MAX");
        Keys {
            kinds,
            longest,
            may_end,
            may_start,
        }
    })
}

impl Keys {
    /// Whether `key` (lower case, not empty) may be listed or read by rule.
    fn may_name(&self, key: &[u8]) -> bool {
        let (first, last) = (key[0], key[key.len() - 1]);
        self.may_end[usize::from(last)] || self.may_start[usize::from(first)]
    }
}

/// (lower-case key, where it starts, where its value starts) for every value that starts like a number, MAC
/// or IMEI after a word that may be a key.
fn keyed_values(text: &[u8]) -> impl Iterator<Item = (LowerWord, usize, usize)> + '_ {
    let keys = keys();
    let longest = keys.longest;
    memchr::memchr2_iter(b'=', b':', text).filter_map(move |sep| {
        let before_ok = sep > 0 && {
            let c = text[sep - 1];
            // A key (listed, or read by rule: `phone_key_by_rule`) ends in a word byte; blanks and one quote may
            // stand between it and the separator. (The reference's `_KEY_ENDS`, the listed keys' last bytes, is
            // a subset of the word bytes.)
            is_key_char(c) || matches!(c, b' ' | b'\t' | b'"' | b'\'')
        };
        if !before_ok {
            return None;
        }
        let mut pos = sep + 1;
        while pos < text.len() && matches!(text[pos], b' ' | b'\t') {
            pos += 1;
        }
        if pos < text.len() && matches!(text[pos], b'"' | b'\'') {
            pos += 1;
        }
        if !text
            .get(pos)
            .is_some_and(|&c| c.is_ascii_hexdigit() || matches!(c, b'+' | b'(' | b'%'))
        {
            return None;
        }
        // The key: blanks and one quote back from the separator, then a run of word bytes.
        let mut end = sep;
        while end > 0 && matches!(text[end - 1], b' ' | b'\t') {
            end -= 1;
        }
        if end > 0 && matches!(text[end - 1], b'"' | b'\'') {
            end -= 1;
        }
        run_before(text, end, &KEY_CHARS, longest).map(|(key, key_start)| (key, key_start, pos))
    })
}

/// `IMEI_VALUE_AT.match(text, pos)`: 14-16 digits, or grouped 2-6-6-1(2); not followed by a digit.
fn imei_value_at(text: &[u8], pos: usize) -> Option<usize> {
    let run = DIGITS.run_after(text, pos, 17);
    if (14..=16).contains(&run) {
        return Some(pos + run);
    }
    let grouped = DIGITS.run_after(text, pos, 3) == 2
        && text.get(pos + 2) == Some(&b'-')
        && DIGITS.run_after(text, pos + 3, 7) == 6
        && text.get(pos + 9) == Some(&b'-')
        && DIGITS.run_after(text, pos + 10, 7) == 6
        && text.get(pos + 16) == Some(&b'-');
    if grouped {
        let last = DIGITS.run_after(text, pos + 17, 3);
        if (1..=2).contains(&last) {
            return Some(pos + 17 + last);
        }
    }
    None
}

fn decimal_point_at(text: &[u8], i: usize) -> bool {
    text[i] == b'.' && text.get(i + 1).is_some_and(u8::is_ascii_digit)
}

/// Where the separator before the number's last digit group stands, or None for a single group.
fn before_last_group(text: &[u8], pos: usize, end: usize) -> Option<usize> {
    let mut j = end;
    while j > pos && text[j - 1].is_ascii_digit() {
        j -= 1;
    }
    let cut = if j > pos + 1 && matches!(text[j - 1], b'-' | b'/' | b' ') {
        j - 1
    } else if j > pos + 3 && &text[j - 3..j] == b"%20" {
        j - 3
    } else {
        return None;
    };
    text[cut - 1].is_ascii_digit().then_some(cut)
}

/// The number after a phone key, measured by the phone module's shape rule.
fn keyed_number(text: &[u8], start: usize, region: &Region) -> Option<Found> {
    let (mut end, _) = scan_after_mark(text, start)?;
    if end < text.len() && decimal_point_at(text, end) {
        // `number=1234567.89` is no number; in `from=030123456/192.0.2.1` the last group belongs to an address.
        end = before_last_group(text, start, end)?;
    } else if end < text.len() && is_key_char(text[end]) {
        return None; // `to=12abc`: the value runs on
    }
    let value = &text[start..end];
    let norm = if value.iter().skip(1).any(|&c| c == b'+') {
        // A form's `+` for a blank (`0049+40+71234567`): read as the blank it stands for.
        let spaced: Vec<u8> = value
            .iter()
            .enumerate()
            .map(|(k, &c)| if k > 0 && c == b'+' { b' ' } else { c })
            .collect();
        context_number(&spaced, region)?
    } else {
        context_number(value, region)?
    };
    Some(Found::new(start, end, Kind::Phone, &norm))
}

/// Words that make a text telephony (issue 22 shape 4: keys read by rule only there). `<script>` starts
/// Kamailio's xlog lines; `ack`, `bye`, `sdp` and `rtp` stand in SIP logs that carry no URI (an ACK or BYE line).
const TELEPHONY: [&str; 21] = [
    "<script>",
    "ack",
    "bye",
    "sdp",
    "rtp",
    "sip:",
    "sips:",
    "tel:",
    "invite",
    "register",
    "call",
    "caller",
    "callee",
    "acc",
    "cdr",
    "dial",
    "kamailio",
    "asterisk",
    "freeswitch",
    "opensips",
    "pbx",
];
/// Parts of a key that name a counter, a duration, a port, a size, an id or a time: never a number.
const NOT_A_NUMBER: [&[u8]; 20] = [
    b"count", b"cnt", b"dur", b"port", b"size", b"len", b"byte", b"id", b"time", b"stamp", b"seq",
    b"pid", b"code", b"rate", b"total", b"ttl", b"tag", b"sec", b"ms", b"max",
];

fn telephony() -> &'static aho_corasick::AhoCorasick {
    static AC: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(TELEPHONY)
            .expect("built-in words compile")
    })
}

/// Issue 22 shape 4: a key the fixed list does not hold names a party or a number by rule: it ends in `user`
/// (`dst_ouser`), `num`, `number`, `display`, `msisdn`, or is/ends in `cli`, `cld`, `ani`, `dnis`, `did`; or it
/// starts with `ext`, `from`, `to` (`from_tag`, `total`, `timeout` are caught by [`NOT_A_NUMBER`]). Parts
/// naming counters, durations, ports, sizes, ids and times win.
fn phone_key_by_rule(key: &[u8]) -> bool {
    let parts = || key.split(|&c| c == b'_');
    if parts().any(|p| NOT_A_NUMBER.contains(&p)) || key.starts_with(b"tot") || key.ends_with(b"id")
    {
        return false;
    }
    BY_RULE_ENDS.iter().any(|e| key.ends_with(e))
        || BY_RULE_STARTS.iter().any(|s| key.starts_with(s))
}

/// How a key read by rule ends or starts ([`phone_key_by_rule`]).
const BY_RULE_ENDS: [&[u8]; 11] = [
    b"user", b"num", b"number", b"display", b"msisdn", b"cli", b"cld", b"ani", b"dnis", b"did",
    b"ext",
];
const BY_RULE_STARTS: [&[u8]; 4] = [b"ext", b"from", b"to", b"display"];

/// `"4930765432" <sip:...>`: a quoted name of digits (maybe with `+`) before a SIP or tel URI is the number
/// (issue 22 shape 4). From each `<`, a bounded look back.
fn display_numbers(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    for lt in memchr::memchr_iter(b'<', text) {
        let uri = &text[lt + 1..];
        let is_uri = [&b"sip:"[..], b"sips:", b"tel:"]
            .iter()
            .any(|s| starts_with_ignore_case(uri, 0, s));
        if !is_uri {
            continue;
        }
        let mut end = lt;
        while end > 0 && text[end - 1] == b' ' && lt - end < 2 {
            end -= 1;
        }
        if end == 0 || text[end - 1] != b'"' {
            continue;
        }
        let close = end - 1;
        let digits = text[..close]
            .iter()
            .rev()
            .take(17)
            .take_while(|c| c.is_ascii_digit())
            .count();
        let mut start = close - digits;
        if start > 0 && text[start - 1] == b'+' {
            start -= 1;
        }
        if !(7..=16).contains(&digits) || start == 0 || text[start - 1] != b'"' {
            continue;
        }
        if let Some(norm) = context_number(&text[start..close], region) {
            out.push(Found::new(start, close, Kind::Phone, &norm));
        }
    }
}

/// Numbers after phone keys, MACs after device keys, IMEIs after IMEI keys.
pub fn keyed_numbers(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    let at = out.len();
    keyed_numbers_listed(text, region, out);
    // Display numbers stand before a `<sip:`, `<sips:` or `<tel:`, and a text holding one of those is telephony
    // text (the words are in [`TELEPHONY`]): no search for the other words is needed first. Without a `<` there
    // are none to look for.
    if memchr::memchr(b'<', text).is_some() {
        display_numbers(text, region, out);
        if out.len() > at {
            // Two rules: back into position order; a number both read (`From: "49..." <sip:`) once.
            let mut mine = out.split_off(at);
            mine.sort_by_key(|f| (f.start, f.end));
            mine.dedup_by(|a, b| a.start == b.start && a.end == b.end);
            out.append(&mut mine);
        }
    }
}

fn keyed_numbers_listed(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    let keys = keys();
    let mut telephony_text: Option<bool> = None;
    for (key, key_start, pos) in keyed_values(text) {
        if !keys.may_name(key.as_slice()) {
            continue;
        }
        let listed = keys.kinds.get(key.as_slice()).copied();
        let kind = listed.or_else(|| {
            let by_rule = phone_key_by_rule(key.as_slice())
                && *telephony_text.get_or_insert_with(|| telephony().is_match(text));
            by_rule.then_some(KeyKind::Phone)
        });
        match kind {
            Some(KeyKind::Phone) => {
                if key.as_slice() == b"tel" && text[key_start..pos].eq_ignore_ascii_case(b"tel:") {
                    continue; // a tel: URI, read by the URI rule with its phone-context
                }
                let found = keyed_number(text, pos, region);
                // A key read by rule takes a value of phone length only (7 to 15 digits).
                let phone_length = |f: &Found| {
                    listed.is_some()
                        || (7..=15).contains(
                            &text[f.start..f.end]
                                .iter()
                                .filter(|c| c.is_ascii_digit())
                                .count(),
                        )
                };
                out.extend(found.filter(phone_length));
            }
            Some(KeyKind::Mac) => {
                let Some(end) = mac_value_at(text, pos) else {
                    continue;
                };
                let value = &text[pos..end];
                let mac = if value.len() == 12 && !is_plausible_bare_mac(value) {
                    None
                } else {
                    normalise_mac(value)
                };
                if let Some(mac) = mac {
                    out.push(Found::new(pos, end, Kind::Mac, &mac));
                }
            }
            Some(KeyKind::Imei) => {
                let Some(end) = imei_value_at(text, pos) else {
                    continue;
                };
                if let Some(imei) = normalise_imei(&text[pos..end]) {
                    out.push(Found::new(pos, end, Kind::Imei, &imei));
                }
            }
            None => {}
        }
    }
}

/// `KEYED_GATE`.
pub fn keyed_gate(text: &[u8]) -> bool {
    memchr::memchr2(b'=', b':', text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the loop would do with a word without the pre-check: look it up, or read it by rule.
    fn names_a_key(key: &[u8]) -> bool {
        keys().kinds.contains_key(key) || phone_key_by_rule(key)
    }

    #[test]
    fn every_listed_key_passes_and_common_words_do_not() {
        for key in keys().kinds.keys() {
            assert!(keys().may_name(key), "{}", String::from_utf8_lossy(key));
            // What lets `keyed_values` take any word byte before a separator for a key's last.
            assert!(
                key.iter().all(|&c| is_key_char(c)),
                "{}",
                String::from_utf8_lossy(key)
            );
        }
        for word in [
            &b"sip"[..],
            b"2001",
            b"db8",
            b"10",
            b"00",
            b"0",
            b"via",
            b"http",
        ] {
            assert!(!names_a_key(word));
        }
        // The pre-check's point: the words before the colons of a SIP line are turned away without a lookup.
        for word in [&b"sip"[..], b"2001", b"10", b"00", b"0", b"via", b"http"] {
            assert!(!keys().may_name(word), "{}", String::from_utf8_lossy(word));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        /// The pre-check never turns away a word the lists or the rule would read as a key.
        #[test]
        fn the_pre_check_turns_no_key_away(pieces in proptest::collection::vec(prop::sample::select(vec![
            "user", "num", "number", "display", "msisdn", "cli", "cld", "ani", "dnis", "did", "ext", "from", "to",
            "_", "a", "b", "x", "z", "p", "0", "1", "4", "sip", "id", "mac", "imei", "sv", "src", "e164", "call",
            "tot", "count", "port",
        ]), 1..5)) {
            let key = pieces.concat();
            if names_a_key(key.as_bytes()) {
                prop_assert!(keys().may_name(key.as_bytes()), "{}", key);
            }
        }

        /// A display number is found only in telephony text, so `keyed_numbers` looks for them without asking.
        #[test]
        fn display_numbers_stand_in_telephony_text(pieces in proptest::collection::vec(prop::sample::select(vec![
            "\"", "+", "4930765432", "123", " ", "  ", "<", "<sip:", "<SIPS:", "<tel:", "<Tel:", "<si", "sip", "x@h>",
            "alice", ";tag=9f",
        ]), 0..12)) {
            let text = pieces.concat();
            let region = Region::new(crate::detect::phone_rules::tests::rules(), "DE");
            let mut found = Vec::new();
            display_numbers(text.as_bytes(), &region, &mut found);
            if !found.is_empty() {
                prop_assert!(telephony().is_match(text.as_bytes()), "{}", text);
            }
        }
    }

    #[test]
    fn display_numbers_before_each_scheme() {
        let region = Region::new(crate::detect::phone_rules::tests::rules(), "DE");
        for text in [
            &b"x \"4930765432\" <sip:alice@pbx.example.net>"[..],
            b"x \"+4930765432\"<SIPS:alice@pbx.example.net>",
            b"\"4930765432\" <tel:+4930765432>",
        ] {
            let mut found = Vec::new();
            keyed_numbers(text, &region, &mut found);
            assert_eq!(found.len(), 1, "{}", String::from_utf8_lossy(text));
        }
    }
}
