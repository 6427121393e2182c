//! Identifiers recognised by where they stand rather than by their shape alone (a port of
//! tests/reference/detect/context.py):
//! - the user part of `sip:`, `sips:` and `tel:` URIs when numeric (RFC 3966 `phone-context` applied);
//! - `key=value` / `key: value` pairs whose key names a number, a device (MAC) or an IMEI;
//! - provisioning file names that embed a MAC: `/001565abcdef.cfg`, `SEP001565ABCDEF.cnf.xml`.
//!
//! Every rule starts from a separator byte found with memchr (`:` for URIs, `=`/`:` for keys, `/`/`=` for
//! file names) and reads a bounded window around it, so a line costs time linear in its length.

use super::device::{is_plausible_bare_mac, normalise_imei, normalise_mac};
use super::phone::{context_number, is_context_number, normalise_phone, scan_after_mark};
use super::phone_rules::Region;
use super::{Found, Kind};
use crate::hashing::HashMap;
use std::borrow::Cow;
use std::sync::OnceLock;

pub const PHONE_KEYS: &str = "from|to|caller|callee|calling|called|number|msisdn|phone|tel|telephone|mobile|cli|clid|ani|dnis|cid\
|callerid|caller_id|calleridnum|callerid_num|cid_num|connectedlinenum|src|dst|did|dialed|dialled\
|destination|dest|fromuser|touser|from_user|to_user|ruri_user|rpid|pai|diversion|redirect|e164|cgpn|cdpn\
|a_number|b_number|anumber|bnumber|caller_number|callee_number|caller_id_number|destination_number\
|accountid|src_user|dst_user|effective_caller_id_number|origination_caller_id_number|callee_id_number\
|sip_from_user|sip_to_user|sip_req_user|rdnis|ani2|subscriber|calling_number|called_number";
pub const MAC_KEYS: &str =
    "mac|macaddr|mac_addr|mac_address|macaddress|hwaddr|hw_addr|sn|devid|dev_id|deviceid|device_id";
pub const IMEI_KEYS: &str = "imei|imeisv|device_imei";

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Phone,
    Mac,
    Imei,
}

/// The key sets as looked up per separator: every key with its kind, the longest key's length, and which
/// bytes end a key (either case, `_KEY_ENDS`).
struct Keys {
    kinds: HashMap<&'static [u8], KeyKind>,
    longest: usize,
    ends: [bool; 256],
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut kinds = HashMap::default();
        let mut ends = [false; 256];
        // Phone keys first: a key in two lists is read as Python reads it, phone before MAC before IMEI.
        for (list, kind) in [
            (IMEI_KEYS, KeyKind::Imei),
            (MAC_KEYS, KeyKind::Mac),
            (PHONE_KEYS, KeyKind::Phone),
        ] {
            for key in list.split('|') {
                kinds.insert(key.as_bytes(), kind);
                let last = *key.as_bytes().last().expect("no empty key");
                ends[usize::from(last)] = true;
                ends[usize::from(last.to_ascii_uppercase())] = true;
            }
        }
        let longest = kinds.keys().map(|k| k.len()).max().unwrap_or(0);
        assert!(longest <= KEY_MAX, "a listed key is longer than KEY_MAX");
        Keys {
            kinds,
            longest,
            ends,
        }
    })
}

fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// A word in lower case, held without an allocation: keys are looked up at every `=` and `:` of a text.
#[derive(Clone, Copy)]
pub(crate) struct LowerWord {
    bytes: [u8; KEY_MAX],
    len: usize,
}

/// The longest key a text may name: the lists' longest key fits (checked where the lists are read).
const KEY_MAX: usize = 48;

impl LowerWord {
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The whole run of bytes `is_in` that ends at `end`, lower case, and where it starts; None when it is empty
/// or longer than `longest` (at most `KEY_MAX`).
pub(crate) fn run_before(
    text: &[u8],
    end: usize,
    is_in: fn(u8) -> bool,
    longest: usize,
) -> Option<(LowerWord, usize)> {
    let floor = end.saturating_sub(longest + 1);
    let mut start = end;
    while start > floor && is_in(text[start - 1]) {
        start -= 1;
    }
    if start == end || end - start > longest.min(KEY_MAX) {
        return None;
    }
    let mut key = LowerWord {
        bytes: [0; KEY_MAX],
        len: end - start,
    };
    for (to, from) in key.bytes.iter_mut().zip(&text[start..end]) {
        *to = from.to_ascii_lowercase();
    }
    Some((key, start))
}

/// (lower-case key, where it starts, where its value starts) for every value that starts like a number, MAC
/// or IMEI after a word that may be a key.
fn keyed_values(text: &[u8]) -> impl Iterator<Item = (LowerWord, usize, usize)> + '_ {
    let keys = keys();
    let longest = keys.longest;
    memchr::memchr2_iter(b'=', b':', text).filter_map(move |sep| {
        let before_ok = sep > 0 && {
            let c = text[sep - 1];
            // Keys read by rule (`phone_key_by_rule`) end in any word byte.
            keys.ends[usize::from(c)] || is_key_char(c) || matches!(c, b' ' | b'\t' | b'"' | b'\'')
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
        run_before(text, end, is_key_char, longest).map(|(key, key_start)| (key, key_start, pos))
    })
}

fn hex_run(text: &[u8], pos: usize, max: usize) -> usize {
    text[pos.min(text.len())..]
        .iter()
        .take(max)
        .take_while(|c| c.is_ascii_hexdigit())
        .count()
}

/// `MAC_VALUE_AT.match(text, pos)`: 12 hex, six pairs joined by `:`/`-`, or three Cisco quads; not followed
/// by a letter or digit.
fn mac_value_at(text: &[u8], pos: usize) -> Option<usize> {
    let free_after = |end: usize| !text.get(end).is_some_and(u8::is_ascii_alphanumeric);
    if hex_run(text, pos, 12) == 12 && free_after(pos + 12) {
        return Some(pos + 12);
    }
    let pairs = (0..6).all(|k| {
        let at = pos + 3 * k;
        hex_run(text, at, 2) == 2 && (k == 0 || matches!(text[at - 1], b':' | b'-'))
    });
    if pairs && free_after(pos + 17) {
        return Some(pos + 17);
    }
    let quads = (0..3).all(|k| {
        let at = pos + 5 * k;
        hex_run(text, at, 4) == 4 && (k == 0 || text[at - 1] == b'.')
    });
    if quads && free_after(pos + 14) {
        return Some(pos + 14);
    }
    None
}

fn digits_at(text: &[u8], pos: usize, max: usize) -> usize {
    text[pos.min(text.len())..]
        .iter()
        .take(max)
        .take_while(|c| c.is_ascii_digit())
        .count()
}

/// `IMEI_VALUE_AT.match(text, pos)`: 14-16 digits, or grouped 2-6-6-1(2); not followed by a digit.
fn imei_value_at(text: &[u8], pos: usize) -> Option<usize> {
    let run = digits_at(text, pos, 17);
    if (14..=16).contains(&run) {
        return Some(pos + run);
    }
    let grouped = digits_at(text, pos, 3) == 2
        && text.get(pos + 2) == Some(&b'-')
        && digits_at(text, pos + 3, 7) == 6
        && text.get(pos + 9) == Some(&b'-')
        && digits_at(text, pos + 10, 7) == 6
        && text.get(pos + 16) == Some(&b'-');
    if grouped {
        let last = digits_at(text, pos + 17, 3);
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
    Some(Found {
        start,
        end,
        kind: Kind::Phone,
        normalised: norm,
    })
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
    const ENDS: [&[u8]; 11] = [
        b"user", b"num", b"number", b"display", b"msisdn", b"cli", b"cld", b"ani", b"dnis", b"did",
        b"ext",
    ];
    const STARTS: [&[u8]; 4] = [b"ext", b"from", b"to", b"display"];
    ENDS.iter().any(|e| key.ends_with(e)) || STARTS.iter().any(|s| key.starts_with(s))
}

/// `"4930765432" <sip:...>`: a quoted name of digits (maybe with `+`) before a SIP or tel URI is the number
/// (issue 22 shape 4). From each `<`, a bounded look back.
fn display_numbers(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    for lt in memchr::memchr_iter(b'<', text) {
        let uri = &text[lt + 1..];
        let is_uri = [&b"sip:"[..], b"sips:", b"tel:"]
            .iter()
            .any(|s| uri.len() >= s.len() && uri[..s.len()].eq_ignore_ascii_case(s));
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
            out.push(Found {
                start,
                end: close,
                kind: Kind::Phone,
                normalised: norm,
            });
        }
    }
}

/// Numbers after phone keys, MACs after device keys, IMEIs after IMEI keys.
pub fn keyed_numbers(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    let at = out.len();
    keyed_numbers_listed(text, region, out);
    // Display numbers stand before a `<sip:` or `<tel:`: without a `<` there are none to look for.
    if memchr::memchr(b'<', text).is_some() && telephony().is_match(text) {
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
    let mut telephony_text: Option<bool> = None;
    for (key, key_start, pos) in keyed_values(text) {
        let listed = keys().kinds.get(key.as_slice()).copied();
        let listed = listed.or_else(|| {
            let by_rule = phone_key_by_rule(key.as_slice())
                && *telephony_text.get_or_insert_with(|| telephony().is_match(text));
            by_rule.then_some(KeyKind::Phone)
        });
        match listed {
            Some(KeyKind::Phone) => {
                if key.as_slice() == b"tel" && text[key_start..pos].eq_ignore_ascii_case(b"tel:") {
                    continue; // a tel: URI, read by the URI rule with its phone-context
                }
                let found = keyed_number(text, pos, region);
                // A key read by rule takes a value of phone length only (7 to 15 digits).
                let phone_length = |f: &Found| {
                    keys().kinds.contains_key(key.as_slice())
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
                    out.push(Found {
                        start: pos,
                        end,
                        kind: Kind::Mac,
                        normalised: mac,
                    });
                }
            }
            Some(KeyKind::Imei) => {
                let Some(end) = imei_value_at(text, pos) else {
                    continue;
                };
                if let Some(imei) = normalise_imei(&text[pos..end]) {
                    out.push(Found {
                        start: pos,
                        end,
                        kind: Kind::Imei,
                        normalised: imei,
                    });
                }
            }
            None => {}
        }
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

fn is_uri_char(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b'-' | b'.' | b'(' | b')')
}

/// The user part `(?:\+|%2[Bb])?[0-9(][0-9\-.()]*` from `pos`: its end, or None.
fn uri_user_end(text: &[u8], pos: usize) -> Option<usize> {
    let mut i = pos;
    if text.get(i) == Some(&b'+') {
        i += 1;
    } else if text.len() >= i + 3 && (&text[i..i + 3] == b"%2B" || &text[i..i + 3] == b"%2b") {
        i += 3;
    }
    if !text
        .get(i)
        .is_some_and(|&c| c.is_ascii_digit() || c == b'(')
    {
        return None;
    }
    i += 1;
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
    let scheme = |lit: &[u8]| {
        text.len() >= start + lit.len() && text[start..start + lit.len()].eq_ignore_ascii_case(lit)
    };
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
        let mark = if text[user] == b'+' {
            1
        } else if text[user] == b'%' {
            3
        } else {
            0
        };
        // `(?![0-9A-Za-z])`, backtracking from the longest run to the shortest.
        let mut end = greedy;
        loop {
            if !text.get(end).is_some_and(u8::is_ascii_alphanumeric) {
                return Some((user, end));
            }
            if end == user + mark + 1 {
                return None;
            }
            end -= 1;
        }
    }
    None
}

/// `hinted_matches(text, URI_USER_RE, _SCHEME_COLON, (4, 3))`: the URI rule tried where a scheme's colon can
/// stand (a colon after `p`, `s` or `l`, before what starts a user part).
fn uri_users(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let Some(off) = memchr::memchr(b':', &text[pos..]) else {
            break;
        };
        let at = pos + off;
        let hint = at > 0 && matches!(text[at - 1], b'P' | b'p' | b'S' | b's' | b'L' | b'l') && {
            let mut i = at + 1;
            if text.get(i) == Some(&b'+') {
                i += 1;
            } else if text.len() >= i + 3
                && (&text[i..i + 3] == b"%2B" || &text[i..i + 3] == b"%2b")
            {
                i += 3;
            }
            text.get(i)
                .is_some_and(|&c| c.is_ascii_digit() || c == b'(')
        };
        if !hint {
            pos = at + 1;
            continue;
        }
        let mut matched = None;
        for back in [4, 3] {
            if at >= back && at - back >= pos {
                if let Some(m) = uri_user_at(text, at - back) {
                    matched = Some(m);
                    break;
                }
            }
        }
        match matched {
            Some((user, end)) => {
                out.push((user, end));
                pos = end;
            }
            None => pos = at + 1,
        }
    }
    out
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
            out.push(Found {
                start: user,
                end,
                kind: Kind::Phone,
                normalised: norm,
            });
        }
    }
}

const EXTENSIONS: [&[u8]; 16] = [
    b"cfg", b"cnf", b"xml", b"ini", b"boot", b"txt", b"conf", b"htm", b"html", b"json", b"bin",
    b"ld", b"tar", b"zip", b"rom", b"cnf.xml",
];

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// A provisioning file's extension at `dot` (the `.`), not followed by a letter or digit.
fn extension_at(text: &[u8], dot: usize) -> bool {
    EXTENSIONS.iter().any(|ext| {
        let at = dot + 1;
        text.len() >= at + ext.len()
            && text[at..at + ext.len()].eq_ignore_ascii_case(ext)
            && !text
                .get(at + ext.len())
                .is_some_and(u8::is_ascii_alphanumeric)
    })
}

/// `PROVISIONING_MAC_RE` from the `/` or `=` at `lead`: where its 12 hex digits start. Matches never hold
/// another `/` or `=`, so each lead is tried on its own.
fn provisioning_mac_at(text: &[u8], lead: usize) -> Option<usize> {
    for k in 0..=16 {
        let v = lead + 1 + k;
        if k > 0 && !is_name_char(text.get(v - 1).copied()?) {
            return None; // the lazy prefix cannot grow past this byte
        }
        if k > 0 && text[v - 1].is_ascii_hexdigit() {
            continue; // `(?<![0-9A-Fa-f])`
        }
        if hex_run(text, v, 13) != 12 {
            continue;
        }
        let hex_end = v + 12;
        for j in 0..=24 {
            let dot = hex_end + j;
            match text.get(dot) {
                Some(b'.') if extension_at(text, dot) => return Some(v),
                Some(&c) if is_name_char(c) || c == b'.' => {}
                _ => break,
            }
        }
    }
    None
}

/// MACs embedded in provisioning file names.
pub fn provisioning_macs(text: &[u8], _region: &Region, out: &mut Vec<Found>) {
    for lead in memchr::memchr2_iter(b'/', b'=', text) {
        let Some(v) = provisioning_mac_at(text, lead) else {
            continue;
        };
        let value = &text[v..v + 12];
        if value.iter().all(u8::is_ascii_alphabetic) || !is_plausible_bare_mac(value) {
            continue;
        }
        if let Some(mac) = normalise_mac(value) {
            out.push(Found {
                start: v,
                end: v + 12,
                kind: Kind::Mac,
                normalised: mac,
            });
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

/// `KEYED_GATE`.
pub fn keyed_gate(text: &[u8]) -> bool {
    memchr::memchr2(b'=', b':', text).is_some()
}

/// `PROVISIONING_GATE`: a dot before one of the extensions (its first bytes suffice): cfg, cnf, xml, ini, boot,
/// txt, conf, htm, json, bin, ld, tar, zip, rom.
pub fn provisioning_gate(text: &[u8]) -> bool {
    // Most dots in a line stand between digits (addresses, versions) or before a host's next label: the byte
    // after the dot names the few extensions worth comparing, or none.
    memchr::memchr_iter(b'.', text).any(|dot| {
        let rest = &text[dot + 1..];
        let extensions: &[&[u8]] = match rest.first().map(u8::to_ascii_lowercase) {
            Some(b'b') => &[b"boot", b"bin"],
            Some(b'c') => &[b"cfg", b"cnf", b"conf"],
            Some(b'h') => &[b"htm"],
            Some(b'i') => &[b"ini"],
            Some(b'j') => &[b"json"],
            Some(b'l') => &[b"ld"],
            Some(b'r') => &[b"rom"],
            Some(b't') => &[b"txt", b"tar"],
            Some(b'x') => &[b"xml"],
            Some(b'z') => &[b"zip"],
            _ => return false,
        };
        extensions
            .iter()
            .any(|ext| rest.len() >= ext.len() && rest[..ext.len()].eq_ignore_ascii_case(ext))
    })
}

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

/// What marks a value, in order of where the value starts: a segment naming numbers (at every slash, so
/// `/numbers/numbers/49...` is read at every step) or a spaced device key. (marker start, value start, a MAC
/// key). No two markers end at the same place (one ends in `/`, the other in a blank), and no two keys
/// overlap (each ends at its only blank).
fn markers(text: &[u8]) -> impl Iterator<Item = (usize, usize, bool)> + '_ {
    let segments = memchr::memchr_iter(b'/', text).filter_map(move |p| {
        let window = &text[p + 1..(p + LONGEST_SEGMENT).min(text.len())];
        let next = p + 1 + memchr::memchr(b'/', window)?;
        let word = &text[p..=next];
        NUMBER_SEGMENTS
            .iter()
            .any(|s| word.eq_ignore_ascii_case(s.as_bytes()))
            .then_some((p, next + 1, false))
    });
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
    markers(text).next().is_some()
}

/// A phone-length path segment after a segment naming numbers (`/subscribers/4917612345678/balance`), and a
/// MAC after a device key and one blank (`DevId 000b82a1b2c3`). The markers are found by memchr at slashes
/// and one automaton pass for the keys, each decided by a bounded look ahead.
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
                out.push(Found {
                    start: pos,
                    end,
                    kind: Kind::Mac,
                    normalised: mac,
                });
            }
            continue;
        }
        let mut i = pos;
        if text.get(i) == Some(&b'+') {
            i += 1;
        }
        let digits = digits_at(text, i, 16);
        let end = i + digits;
        let closed = text
            .get(end)
            .is_none_or(|c| matches!(c, b'/' | b'?' | b'#' | b'&' | b';' | b' ' | b'"' | b'\''));
        if !(7..=15).contains(&digits) || !closed {
            continue;
        }
        if let Some(norm) = context_number(&text[pos..end], region) {
            last_end = end;
            out.push(Found {
                start: pos,
                end,
                kind: Kind::Phone,
                normalised: norm,
            });
        }
    }
}

/// Every rule whose gate says it can match, in order.
pub fn find_context(text: &[u8], region: &Region, out: &mut Vec<Found>) {
    if uri_gate(text) {
        uri_numbers(text, region, out);
    }
    if keyed_gate(text) {
        keyed_numbers(text, region, out);
    }
    if provisioning_gate(text) {
        provisioning_macs(text, region, out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::phone_rules::tests::rules;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn longest_segment_is_the_longest() {
        assert_eq!(
            NUMBER_SEGMENTS.iter().map(|s| s.len()).max(),
            Some(LONGEST_SEGMENT)
        );
    }

    /// PROVISIONING_GATE as the reference writes it: a dot, then any of the extensions in any case.
    fn provisioning_gate_by_list(text: &[u8]) -> bool {
        const GATE: [&[u8]; 14] = [
            b"cfg", b"cnf", b"xml", b"ini", b"boot", b"txt", b"conf", b"htm", b"json", b"bin",
            b"ld", b"tar", b"zip", b"rom",
        ];
        memchr::memchr_iter(b'.', text).any(|dot| {
            GATE.iter().any(|ext| {
                text.len() > dot + ext.len()
                    && text[dot + 1..dot + 1 + ext.len()].eq_ignore_ascii_case(ext)
            })
        })
    }

    proptest! {
        /// Dots, extensions in any case and their near misses, domain labels and bytes outside ASCII: the gate
        /// that picks extensions by the byte after the dot answers as the list does.
        #[test]
        fn provisioning_gate_reads_as_the_list(parts in proptest::collection::vec(prop::sample::select(vec![
            ".", "cfg", "CFG", "cnf", "conf", "Conf", "co", "xml", "ini", "boot", "bo", "txt", "htm", "json",
            "bin", "ld", "LD", "tar", "zip", "rom", "com", "net", "example", "0", "12", "a", "/", " ", "\u{e9}",
            "[", "@",
        ]), 0..12)) {
            let text = parts.concat();
            let bytes = text.as_bytes();
            prop_assert_eq!(provisioning_gate(bytes), provisioning_gate_by_list(bytes), "{}", text);
        }
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
            // The gate is closed only where nothing is found, and a skeleton meets it as its text does.
            prop_assert!(marked_gate(bytes) || got.is_empty(), "{}", text);
            let mut skeleton = Vec::new();
            crate::scrub::skeleton_into(bytes, &mut skeleton);
            prop_assert_eq!(marked_gate(&skeleton), marked_gate(bytes), "{}", text);
            prop_assert_eq!(got, want, "{}", text);
        }
    }

    fn found(text: &[u8]) -> Vec<(String, &'static str, String)> {
        let mut out = Vec::new();
        find_context(text, &Region::new(rules(), "DE"), &mut out);
        crate::detect::testing::kinded(text, out)
    }

    type Case = (
        &'static [u8],
        &'static [(&'static str, &'static str, &'static str)],
    );

    fn marked_in(text: &[u8]) -> Vec<(String, &'static str, String)> {
        let mut out = Vec::new();
        marked_values(text, &Region::new(rules(), "DE"), &mut out);
        crate::detect::testing::kinded(text, out)
    }

    fn texts(found: &[(String, &'static str, String)]) -> Vec<String> {
        found.iter().map(|(t, _, _)| t.clone()).collect()
    }

    #[test]
    fn telephony_keys_by_rule_issue_22() {
        let acc = b"ACC: method=INVITE;call_id=a1b2;src_user=4930111222;dst_ouser=015223344556;\
                    duration=1234567;src_port=5060;caller_num=030123456;ext_num=0301234567;cseq=1234567";
        assert_eq!(
            texts(&found(acc)),
            ["4930111222", "015223344556", "030123456", "0301234567"]
        );
        // Outside telephony text a key read by rule is not.
        assert!(found(b"job dst_ouser=015223344556 done").is_empty());
        // Numeric display names, quoted or before a SIP URI.
        assert_eq!(
            texts(&found(b"caller display=\"49407788990\" registered")),
            ["49407788990"]
        );
        assert_eq!(
            texts(&found(
                b"x \"4930765432\" <sip:alice@pbx.example.net>;tag=9f"
            )),
            ["4930765432"]
        );
        assert!(found(b"x \"1234\" <sip:alice@pbx.example.net>").is_empty());
        // A SIP line without a URI (Kamailio's xlog of an ACK) is telephony too.
        assert_eq!(
            texts(&found(
                b"<script>: request ACK from 192.0.2.7:5062 display=\"494094769992\" ua=<null>"
            )),
            ["494094769992"]
        );
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

    #[test]
    fn sip_user_before_a_cut_issue_22() {
        assert_eq!(
            texts(&found(b"x sip:0301234567;user=phone@pbx.example.net")),
            ["0301234567"]
        );
        assert_eq!(texts(&found(b"x sip:0301234567;us")), ["0301234567"]);
        assert!(found(b"x sip:5060;transport").is_empty());
    }

    #[test]
    fn german_layouts_issue_22() {
        assert_eq!(
            texts(&found(b"call from=030 / 555 291-77 accepted")),
            ["030 / 555 291-77"]
        );
        assert_eq!(
            texts(&found(b"dial num=0049+40+71234567&x=1")),
            ["0049+40+71234567"]
        );
    }

    #[test]
    fn rules_find() {
        let cases: &[Case] = &[
            (
                b"INVITE sip:030123456@host SIP/2.0",
                &[("030123456", "phone", "+4930123456")],
            ),
            (
                b"tel:1234567;phone-context=+4930",
                &[("1234567", "phone", "+49301234567")],
            ),
            (
                b"from=0301234567 to=12",
                &[("0301234567", "phone", "+49301234567")],
            ),
            (
                b"mac=001565ABCDEF",
                &[("001565ABCDEF", "mac", "00:15:65:ab:cd:ef")],
            ),
            (
                b"imei=490154203237518",
                &[("490154203237518", "imei", "49015420323751")],
            ),
            (
                b"GET /001565abcdef.cfg",
                &[("001565abcdef", "mac", "00:15:65:ab:cd:ef")],
            ),
            (
                b"GET /SEP001565ABCDEF.cnf.xml",
                &[("001565ABCDEF", "mac", "00:15:65:ab:cd:ef")],
            ),
            (b"number=1234567.89", &[]),
            (b"GET /000000000028.cfg", &[]),
        ];
        for (text, want) in cases {
            let want: Vec<(String, &str, String)> = want
                .iter()
                .map(|(a, k, n)| (a.to_string(), *k, n.to_string()))
                .collect();
            assert_eq!(found(text), want, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn hostile_repetitions() {
        for unit in [
            &b"sip:"[..],
            b"sip:1",
            b"tel:1-",
            b"to=",
            b"to=1 ",
            b"/001565abcdef",
            b"=:",
            b"\"",
        ] {
            let line = unit.repeat(100_000);
            let out = found(&line);
            assert!(out.len() <= line.len());
        }
    }

    proptest! {
        #[test]
        fn keyed_numbers_are_found(key in "(from|to|caller|msisdn)", digits in "[1-9][0-9]{6,9}") {
            let text = format!("{key}=0{digits} x");
            let out = found(text.as_bytes());
            let want = format!("0{digits}");
            prop_assert!(out.iter().any(|(span, kind, _)| *span == want && *kind == "phone"));
        }
    }
}
