//! IPv4 and IPv6 addresses in free text (port of tests/reference/detect/ip.py, byte for byte the same findings).
//!
//! IPv4: four decimal octets 0-255; zero-padded octets are read as decimal, never octal (`010` is ten). Not
//! inside longer dotted runs (OIDs, `1.2.3.4.5`). A reduced user-agent version (`Chrome/120.0.0.0`) is a version,
//! not an address; inside a user-agent field (`in_agent`) a dotted quad right after `Product/` or after a model
//! name with a digit and a blank (`Yealink SIP-T46S 66.86.0.15`) is a firmware version.
//! IPv6: every RFC 4291 / RFC 5952 text form (compressed, expanded, upper case, IPv4-mapped, zone ids, bracketed,
//! HAProxy's port glued on). IPv4-mapped addresses normalise to the IPv4 address.
//!
//! Both scanners are driven by `memchr` over the one separator every match holds at a known place (the first
//! dot of a quad; the first colon of an IPv6 candidate), so each candidate is decided by looking at a bounded
//! number of bytes around it: linear in the text, no backtracking.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use memchr::memchr;

use super::scan::{ByteSet, DIGITS, HEX, LETTERS};
use super::{Found, Kind};

/// Bytes a product token is made of (`Chrome`, `SIP-T46S`, `zlib`).
const PRODUCT: ByteSet =
    ByteSet::of(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");
/// A product token without its dots: what a model name (`SIP-T46S`) may hold.
const MODEL: ByteSet =
    ByteSet::of(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
/// What may stand before a product token whose version is not an address.
const PRODUCT_BOUNDARY: ByteSet = ByteSet::of(b" \t(;,\"'[");
/// Transport names in `IPV4/UDP/198.51.100.7`: the quad after them is an address.
const TRANSPORTS: [&[u8]; 9] = [
    b"UDP", b"TCP", b"TLS", b"WS", b"WSS", b"SCTP", b"IPV4", b"IPV6", b"DTLS",
];
/// What may not stand before an IPv6 candidate (it would be inside a word, a number or a longer run).
const NOT_BEFORE_IPV6: ByteSet =
    ByteSet::of(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_:.");
/// A tag before an address and a colon (`IP`, `src`, `IPv6`, `client_ip`).
const TAG: ByteSet =
    ByteSet::of(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-");
const HEX_OR_COLON: ByteSet = ByteSet::of(b"0123456789abcdefABCDEF:");
const ZONE: ByteSet =
    ByteSet::of(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.-");

/// A dotted quad starting at `start` (Python's `IPV4_RE` without its lookbehind): four maximal digit runs of
/// one to three digits, each at most 255, joined by dots, not followed by `.digit`. Its end and octets.
fn quad_at(text: &[u8], start: usize) -> Option<(usize, [u8; 4])> {
    let mut octets = [0u8; 4];
    let mut i = start;
    for (k, octet) in octets.iter_mut().enumerate() {
        if k > 0 {
            if text.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let len = DIGITS.run_after(text, i, 4);
        if len == 0 || len > 3 {
            return None;
        }
        let value = text[i..i + len]
            .iter()
            .fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'));
        *octet = u8::try_from(value).ok()?;
        i += len;
    }
    if text.get(i) == Some(&b'.') && DIGITS.at(text, i + 1) {
        return None; // a longer dotted run
    }
    Some((i, octets))
}

/// A dotted quad written as `normalise_ipv4` writes it: its text is its normalised form.
fn is_canonical_quad(text: &[u8]) -> bool {
    let mut parts = 0;
    for part in text.split(|&c| c == b'.') {
        parts += 1;
        let ok = match *part {
            [a] => a.is_ascii_digit(),
            [a, b] => (b'1'..=b'9').contains(&a) && b.is_ascii_digit(),
            [a, b, c] => {
                part.iter().all(u8::is_ascii_digit)
                    && (a == b'1' || (a == b'2' && (b < b'5' || (b == b'5' && c <= b'5'))))
            }
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    parts == 4
}

/// The dotted quad of `octets` without leading zeros, written into `out`: its length. On the stack, as a finding
/// keeps it (`Found::from_ascii`) without a string being made for the commonest identifier.
fn write_quad(octets: [u8; 4], out: &mut [u8; 15]) -> usize {
    let mut len = 0;
    for (k, octet) in octets.into_iter().enumerate() {
        if k > 0 {
            out[len] = b'.';
            len += 1;
        }
        len = super::write_decimal(out, len, u32::from(octet));
    }
    len
}

fn quad_string(octets: [u8; 4]) -> String {
    let mut quad = [0; 15];
    let len = write_quad(octets, &mut quad);
    quad[..len].iter().map(|&c| char::from(c)).collect()
}

/// A dotted quad (as the IPv4 scanner matches it: four octets of one to three digits, at most 255) without
/// leading zeros, read as decimal; None for any other text.
pub fn normalise_ipv4(text: &[u8]) -> Option<String> {
    match quad_at(text, 0) {
        Some((end, octets)) if end == text.len() => Some(quad_string(octets)),
        _ => None,
    }
}

/// A product token, then `/` (or, in a user agent, a blank or a dash after a model), then the dotted quad at
/// `start..end`: a version (`Chrome/120.0.6099.109`, `SIP-T46S 66.86.0.15`, `Cisco/SPA504G-7.5.6.1`).
fn is_version(text: &[u8], start: usize, end: usize, in_agent: bool) -> bool {
    if start == 0 {
        return false;
    }
    let separator = text[start - 1];
    if separator != b'/' && !(in_agent && matches!(separator, b' ' | b'-')) {
        return false;
    }
    if !in_agent && !text[start..end].ends_with(b".0.0") {
        return false;
    }
    // After `/` the product run stops at the `/` before it, which is no product byte: the walks of different
    // quads are disjoint and add up to at most the text's length. After a blank or dash only a model counts,
    // which has no dot: that walk stops at the first dot, as the run holding one is no model. Walking the whole
    // product run there went back over every quad of `10.0.0.1-10.0.0.2-...`, quadratic in the line's length.
    let i = if separator == b'/' {
        start - 1 - PRODUCT.run_before(text, start - 1, usize::MAX)
    } else {
        let i = start - 1 - MODEL.run_before(text, start - 1, usize::MAX);
        if i > 0 && text[i - 1] == b'.' {
            return false;
        }
        i
    };
    let product = &text[i..start - 1];
    if product.is_empty()
        || !LETTERS.has(product[0])
        || TRANSPORTS.iter().any(|t| product.eq_ignore_ascii_case(t))
    {
        return false;
    }
    if separator != b'/' && !is_model(product) {
        return false; // after a blank or dash only a model name (SIP-T46S, SPA504G), not a word like "via"
    }
    in_agent || i == 0 || PRODUCT_BOUNDARY.has(text[i - 1])
}

/// A phone's model name (`SIP-T46S`, `GXP2170`, `SPA504G`): a word with a digit and no dot. A dot would make it
/// a version or an address itself (`ari50.0.0.0`), whose token would leave the next quad without its model.
fn is_model(word: &[u8]) -> bool {
    word.iter().any(u8::is_ascii_digit) && !word.contains(&b'.')
}

/// Vendors of SIP phones and soft clients: in `Yealink SIP-T54W 96.85.0.5` the quad after the model is firmware.
const VENDORS: [&[u8]; 16] = [
    b"yealink",
    b"grandstream",
    b"polycom",
    b"snom",
    b"cisco",
    b"fanvil",
    b"gigaset",
    b"zoiper",
    b"linphone",
    b"microsip",
    b"obihai",
    b"panasonic",
    b"aastra",
    b"mitel",
    b"htek",
    b"akuvox",
];
/// Keys whose value is a version (`version=`, `fw=`, `"app_version":"`, `SW `), compared case-blind at the end
/// of the word before the quad.
const VERSION_KEYS: [&[u8]; 8] = [
    b"version",
    b"ver",
    b"fw",
    b"firmware",
    b"sw",
    b"build",
    b"release",
    b"rv",
];

/// The word (letters, digits, `_`, `-`) that ends at `end`, at most 32 bytes looked at.
fn word_before(text: &[u8], end: usize) -> &[u8] {
    let len = PRODUCT.run_before(text, end, 32);
    &text[end - len..end]
}

/// Issue 22's decoys: the quad at `start` stands where a version is written, outside user agents too:
/// glued to `v`/`rv` (`Zoiper rv2.8.3.1`), as the value of a version key (`version=3.1.4.9`, `fw=2.0.9.12`,
/// `"app_version":"5.3.0.2"`, `SW 1.0.7.14`), or after a phone vendor's model (`Yealink SIP-T54W 96.85.0.5`).
/// Only bounded look-behind; a bare quad with none of these stays an address (fail closed).
fn in_version_context(text: &[u8], start: usize) -> bool {
    if start == 0 {
        return false;
    }
    let glued = LETTERS.run_before(text, start, 3);
    if glued > 0 {
        let word = &text[start - glued..start];
        let standalone = start - glued == 0 || !PRODUCT.has(text[start - glued - 1]);
        return standalone && (word.eq_ignore_ascii_case(b"v") || word.eq_ignore_ascii_case(b"rv"));
    }
    // The separator between key and value: `=`, `: `, `":"`, or one blank after an upper-case tag (`SW `).
    // Quotes stand only around `=` or `:` (`"app_version":"5.3.0.2"`): `SIP-T46S" "1.2.3.4` is two values.
    let mut i = start;
    let mut quoted = false;
    if text[i - 1] == b'"' {
        i -= 1;
        quoted = true;
    }
    let mut blank = false;
    while i > 0 && text[i - 1] == b' ' && start - i < 2 {
        i -= 1;
        blank = true;
    }
    let sep = if i > 0 && matches!(text[i - 1], b'=' | b':') {
        i -= 1;
        true
    } else {
        false
    };
    if i > 0 && text[i - 1] == b'"' {
        i -= 1;
        quoted = true;
    }
    if !sep && (!blank || quoted) {
        return false;
    }
    let word = word_before(text, i);
    if word.is_empty() {
        return false;
    }
    if VERSION_KEYS.iter().any(|k| {
        word.eq_ignore_ascii_case(k)
            || (sep
                && super::ends_with_ignore_case(word, k)
                && word.len() > k.len()
                && matches!(word[word.len() - k.len() - 1], b'_' | b'-'))
    }) {
        // After a blank only an upper-case tag (`SW 1.0.7.14`), not prose (`release 10.0.0.1`).
        return sep || word.iter().all(|c| c.is_ascii_uppercase());
    }
    // `Vendor Model 1.2.3.4`: a model with a digit after a known vendor.
    if blank && !sep && is_model(word) && LETTERS.has(word[0]) {
        let w = i - word.len();
        if w > 1 && text[w - 1] == b' ' {
            let vendor = word_before(text, w - 1);
            return VENDORS.iter().any(|v| vendor.eq_ignore_ascii_case(v));
        }
    }
    false
}

/// Every IPv4 address in `text`, in order. `in_agent`: the text is a user agent, where a quad after a product
/// token is a firmware version.
pub fn find_ipv4(text: &[u8], in_agent: bool, out: &mut Vec<Found>) {
    let mut pos = 0;
    // The values of user-agent keys in free text (`UA=`, `User-Agent: `), found on the first quad that needs them.
    let mut agents: Option<Vec<Range<usize>>> = None;
    let mut agent_at = 0;
    // Where the next dot is searched for: past the last one, and past the last quad (its dots start none).
    let mut from = 0;
    while let Some(off) = memchr(b'.', &text[from..]) {
        let dot = from + off;
        from = dot + 1;
        // A quad starts at the digit run ending at its first dot, which nothing but a non-digit, non-dot precedes.
        let len = DIGITS.run_before(text, dot, 4);
        if len == 0 || len > 3 {
            continue;
        }
        let start = dot - len;
        if start < pos || (start > 0 && text[start - 1] == b'.') {
            continue;
        }
        if let Some((end, octets)) = quad_at(text, start) {
            pos = end;
            from = end;
            let mut version = || {
                if is_version(text, start, end, in_agent) {
                    return true;
                }
                // A version in a user agent's reading: asked only then whether the quad is in one.
                if in_agent || !is_version(text, start, end, true) {
                    return false;
                }
                // Quads come in order of position: the ranges are walked once.
                let ranges = agents.get_or_insert_with(|| agent_values(text));
                while agent_at < ranges.len() && ranges[agent_at].end <= start {
                    agent_at += 1;
                }
                ranges.get(agent_at).is_some_and(|r| r.start <= start)
            };
            if !version() && !in_version_context(text, start) {
                let mut quad = [0; 15];
                let len = write_quad(octets, &mut quad);
                out.push(Found::from_ascii(start, end, Kind::Ip, &quad[..len]));
            }
        }
    }
}

/// The values of user-agent keys in free text: `UA=Yealink SIP-T46S 66.86.0.15` (Kamailio), `User-Agent: snom710/
/// 10.1.73.16` (Asterisk), `"user_agent":"..."`. A value runs to its closing quote, or else to the next `key=`
/// (after a blank, `;` or `,`), the next user-agent key or the end of the text. Linear: every value is searched
/// only up to the next key.
fn agent_values(text: &[u8]) -> Vec<Range<usize>> {
    static KEY: OnceLock<regex::bytes::Regex> = OnceLock::new();
    static NEXT_KEY: OnceLock<regex::bytes::Regex> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        regex::bytes::Regex::new(r#"(?i-u)\b(?:user[-_]?agent|ua)"?[ \t]*[:=][ \t]*"?"#)
            .expect("built-in pattern compiles")
    });
    let next_key = NEXT_KEY.get_or_init(|| {
        regex::bytes::Regex::new(r"(?-u)[ ;,][ \t]*[A-Za-z_][A-Za-z0-9_.-]*=")
            .expect("built-in pattern compiles")
    });
    let keys: Vec<_> = key.find_iter(text).collect();
    let mut ranges = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        let limit = keys.get(i + 1).map_or(text.len(), |n| n.start());
        let start = k.end();
        if start >= limit {
            continue;
        }
        let value = &text[start..limit];
        let end = if k.as_bytes().ends_with(b"\"") {
            memchr::memchr(b'"', value).map_or(limit, |q| start + q)
        } else {
            next_key.find(value).map_or(limit, |m| start + m.start())
        };
        ranges.push(start..end);
    }
    ranges
}

/// Python's `inet_pton(AF_INET)` as glibc's `inet_pton4` has it: four decimal octets, no leading zeros.
fn pton4(text: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut octets = 0;
    let mut saw_digit = false;
    let mut current: u32 = 0;
    for &c in text {
        if c.is_ascii_digit() {
            if saw_digit && current == 0 {
                return None;
            }
            current = current * 10 + u32::from(c - b'0');
            if current > 255 {
                return None;
            }
            if !saw_digit {
                octets += 1;
                if octets > 4 {
                    return None;
                }
                saw_digit = true;
            }
            out[octets - 1] = current as u8;
        } else if c == b'.' && saw_digit {
            if octets == 4 {
                return None;
            }
            current = 0;
            saw_digit = false;
        } else {
            return None;
        }
    }
    (octets == 4).then_some(out)
}

fn hex_value(c: u8) -> Option<u16> {
    (c as char).to_digit(16).map(|d| d as u16)
}

/// `inet_pton(AF_INET6)` as glibc has it (what Python's `socket.inet_pton` calls on Linux), so the Rust and
/// Python detectors accept exactly the same texts.
fn pton6(src: &[u8]) -> Option<[u8; 16]> {
    let mut tmp = [0u8; 16];
    let mut tp = 0usize;
    let mut colonp: Option<usize> = None;
    let mut i = 0;
    if src.is_empty() {
        return None;
    }
    if src[0] == b':' {
        i = 1;
        if src.get(1) != Some(&b':') {
            return None;
        }
    }
    let mut curtok = i;
    let mut xdigits = 0;
    let mut val: u32 = 0;
    while i < src.len() {
        let c = src[i];
        i += 1;
        if let Some(d) = hex_value(c) {
            if xdigits == 4 {
                return None;
            }
            val = (val << 4) | u32::from(d);
            xdigits += 1;
            continue;
        }
        if c == b':' {
            curtok = i;
            if xdigits == 0 {
                if colonp.is_some() {
                    return None;
                }
                colonp = Some(tp);
                continue;
            } else if i == src.len() {
                return None;
            }
            if tp + 2 > 16 {
                return None;
            }
            tmp[tp] = (val >> 8) as u8;
            tmp[tp + 1] = val as u8;
            tp += 2;
            xdigits = 0;
            val = 0;
            continue;
        }
        if c == b'.' && tp + 4 <= 16 {
            if let Some(quad) = pton4(&src[curtok..]) {
                tmp[tp..tp + 4].copy_from_slice(&quad);
                tp += 4;
                xdigits = 0;
                break;
            }
        }
        return None;
    }
    if xdigits > 0 {
        if tp + 2 > 16 {
            return None;
        }
        tmp[tp] = (val >> 8) as u8;
        tmp[tp + 1] = val as u8;
        tp += 2;
    }
    if let Some(colon) = colonp {
        if tp == 16 {
            return None; // `::` would stand for no group at all
        }
        let n = tp - colon;
        tmp.copy_within(colon..tp, 16 - n);
        tmp[colon..16 - n].fill(0);
        tp = 16;
    }
    (tp == 16).then_some(tmp)
}

/// Where a dotted tail `d{1,3}.d{1,3}.d{1,3}.d{1,3}` ending the text starts (the leftmost such start, as a regex
/// search finds it), and its four values.
fn dotted_tail(text: &[u8]) -> Option<(usize, [u32; 4])> {
    let mut values = [0u32; 4];
    let mut i = text.len();
    for k in (0..4).rev() {
        let len = DIGITS.run_before(text, i, if k == 0 { 3 } else { 4 });
        if len == 0 || len > 3 {
            return None;
        }
        values[k] = text[i - len..i]
            .iter()
            .fold(0, |v, &c| v * 10 + u32::from(c - b'0'));
        i -= len;
        if k > 0 {
            if i == 0 || text[i - 1] != b'.' {
                return None;
            }
            i -= 1;
        }
    }
    Some((i, values))
}

/// RFC 5952 text: lower-case hex without leading zeros, the longest run (first of equals) of two or more zero
/// groups written `::`.
pub fn compress_hextets(hextets: [u16; 8]) -> String {
    let (mut best_start, mut best_len, mut run_start, mut run_len) = (usize::MAX, 1, 0, 0);
    for (i, &h) in hextets.iter().enumerate() {
        if h == 0 {
            if run_len == 0 {
                run_start = i;
            }
            run_len += 1;
            if run_len > best_len {
                (best_start, best_len) = (run_start, run_len);
            }
        } else {
            run_len = 0;
        }
    }
    let mut out = String::with_capacity(39);
    let join = |out: &mut String, groups: &[u16]| {
        for (k, &h) in groups.iter().enumerate() {
            if k > 0 {
                out.push(':');
            }
            super::push_hex(out, h);
        }
    };
    if best_start == usize::MAX {
        join(&mut out, &hextets);
    } else {
        join(&mut out, &hextets[..best_start]);
        out.push_str("::");
        join(&mut out, &hextets[best_start + best_len..]);
    }
    out
}

/// RFC 5952 form, or the IPv4 address for an IPv4-mapped one; None if `text` is no IPv6 address. A zone id
/// (`%eth0`) is dropped; a zero-padded dotted tail is read as decimal, as the IPv4 detector reads it.
pub fn normalise_ipv6(text: &[u8]) -> Option<String> {
    let address = match memchr::memchr(b'%', text) {
        Some(cut) => &text[..cut],
        None => text,
    };
    let address: Cow<[u8]> = match dotted_tail(address) {
        Some((start, values)) => {
            let [a, b, c, d] = values;
            let mut rewritten = address[..start].to_vec();
            rewritten.extend_from_slice(format!("{a}.{b}.{c}.{d}").as_bytes());
            Cow::Owned(rewritten)
        }
        None => Cow::Borrowed(address),
    };
    let packed = pton6(&address)?;
    if packed[..10].iter().all(|&b| b == 0) && packed[10..12] == [0xff, 0xff] {
        return Some(quad_string([
            packed[12], packed[13], packed[14], packed[15],
        ]));
    }
    let mut hextets = [0u16; 8];
    for (i, h) in hextets.iter_mut().enumerate() {
        *h = u16::from_be_bytes([packed[2 * i], packed[2 * i + 1]]);
    }
    Some(compress_hextets(hextets))
}

/// Cheap shape check before parsing: timestamps like 10:00:00 have neither `::` nor 8 groups.
fn plausible_ipv6(candidate: &[u8]) -> bool {
    if memchr::memmem::find(candidate, b"::").is_some() {
        return candidate.iter().any(|&c| HEX.has(c));
    }
    let colons = memchr::memchr_iter(b':', candidate).count();
    colons == 7 || (colons == 6 && memchr::memchr(b'.', candidate).is_some()) || colons == 8
}

/// (normalised, length of the address part) for an address, or one with a port glued on (`2001:db8::1:443`).
pub fn parse_ipv6_candidate(candidate: &[u8]) -> Option<(String, usize)> {
    parse_ipv6_candidate_reading(candidate, false)
}

/// `parse_ipv6_candidate`, where `unbracketed_ports` says the text writes `address:port` without brackets
/// (Kamailio's `$si:$sp`, coturn): a last group of decimal digits that leaves a valid address before it is a
/// port, even when the whole would be an address too (`2001:db8::7:5060`, `::1:3478`; issue 22 shape 7).
fn parse_ipv6_candidate_reading(
    candidate: &[u8],
    unbracketed_ports: bool,
) -> Option<(String, usize)> {
    if !plausible_ipv6(candidate) {
        return None;
    }
    if unbracketed_ports {
        if let Some(found) = address_before_port(candidate, 65535) {
            return Some(found);
        }
    }
    if let Some(norm) = normalise_ipv6(candidate) {
        return Some((norm, candidate.len()));
    }
    address_before_port(candidate, 99999)
}

/// The address before a glued `:port` of one to five digits (at most `max_port`), when one is there.
fn address_before_port(candidate: &[u8], max_port: u32) -> Option<(String, usize)> {
    let digits = DIGITS.run_before(candidate, candidate.len(), 6);
    if !(1..=5).contains(&digits) {
        return None;
    }
    let port = &candidate[candidate.len() - digits..];
    let value = port.iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'));
    if value > max_port {
        return None;
    }
    let head = candidate[..candidate.len() - digits].strip_suffix(b":")?;
    if !plausible_ipv6(head) {
        return None;
    }
    normalise_ipv6(head).map(|norm| (norm, head.len()))
}

/// The normalised address when the whole text is one address in a form that is its own kind of field: a
/// canonical dotted quad, or an IPv6 address in hex groups and colons (no dotted tail, zone, port or brackets).
/// No other detector can claim part of such a text, so the scan would give it one token.
pub fn whole_address(text: &[u8]) -> Option<Cow<'_, str>> {
    if !HEX_OR_COLON.at(text, 0) {
        return None; // a request, a user agent: most fields that reach here
    }
    if is_canonical_quad(text) {
        // Its own normal form: lent, not copied (a client field of every web line comes here).
        return std::str::from_utf8(text).ok().map(Cow::Borrowed);
    }
    if memchr::memchr(b':', text).is_none()
        || !(2..=39).contains(&text.len())
        || !text.iter().all(|&c| HEX_OR_COLON.has(c))
    {
        return None;
    }
    match parse_ipv6_candidate(text) {
        Some((norm, len)) if len == text.len() => Some(Cow::Owned(norm)),
        _ => None,
    }
}

/// An IPv6 candidate starting at `start` (Python's `IPV6_CANDIDATE_RE` without its lookbehind): a run of up to 45
/// hex digits and colons that holds two colons within its first ten bytes, up to three `.ddd` groups, then an
/// optional zone id. (end of the address part, end of the candidate with its zone).
fn ipv6_candidate_at(text: &[u8], start: usize) -> Option<(usize, usize)> {
    let first = HEX.run_after(text, start, 5);
    if first > 4 || text.get(start + first) != Some(&b':') {
        return None;
    }
    let second = HEX.run_after(text, start + first + 1, 5);
    if second > 4 || text.get(start + first + 1 + second) != Some(&b':') {
        return None;
    }
    let mut end = start + HEX_OR_COLON.run_after(text, start, 45);
    for _ in 0..3 {
        if text.get(end) != Some(&b'.') {
            break;
        }
        let digits = DIGITS.run_after(text, end + 1, 3);
        if digits == 0 {
            break;
        }
        end += 1 + digits;
    }
    if text.get(end) == Some(&b'%') {
        let zone = ZONE.run_after(text, end + 1, 32);
        if zone > 0 {
            return Some((end, end + 1 + zone));
        }
    }
    Some((end, end))
}

/// Whether the candidate at `start` follows a tag and a colon (`IP:2001:db8::1`, `src:`, `[IPv6:2001:db8::25]`,
/// issue 22 shape 2): a word of at most 16 bytes holding a letter that is no hex digit, so it cannot be a group
/// of an address the candidate would continue; or punctuation no address holds (macOS's `v6(en0+:2607:...)`).
fn after_tag(text: &[u8], start: usize) -> bool {
    if start < 2 || text[start - 1] != b':' {
        return false;
    }
    if !TAG.has(text[start - 2]) && !matches!(text[start - 2], b':' | b'.') {
        return true;
    }
    let len = TAG.run_before(text, start - 1, 17);
    if len == 0 || len > 16 {
        return false;
    }
    let word = &text[start - 1 - len..start - 1];
    let boundary = start - 1 - len == 0 || !TAG.has(text[start - 2 - len]);
    boundary && word.iter().any(|&c| LETTERS.has(c) && !HEX.has(c))
}

/// Every IPv6 address in `text`, in order (a glued port and a zone id are left outside the span).
pub fn find_ipv6(text: &[u8], out: &mut Vec<Found>) {
    scan_ipv6(text, false, out);
}

/// `find_ipv6` in a text that writes `address:port` without brackets: a last decimal group is the port.
pub fn find_ipv6_unbracketed_ports(text: &[u8], out: &mut Vec<Found>) {
    scan_ipv6(text, true, out);
}

fn scan_ipv6(text: &[u8], unbracketed_ports: bool, out: &mut Vec<Found>) {
    let mut pos = 0;
    // Where the next colon is searched for: past the last one, and past the last candidate (its colons start none).
    let mut from = 0;
    while let Some(off) = memchr(b':', &text[from..]) {
        let colon = from + off;
        from = colon + 1;
        // A candidate's first colon follows at most four hex digits, which nothing of a word precedes.
        let lead = HEX.run_before(text, colon, 5);
        if lead > 4 {
            continue;
        }
        let start = colon - lead;
        // No address starts with a lone colon: one after punctuation (`en0+:2607:...`) is a separator, and a
        // candidate from it would hide the address after it.
        let lone_colon = lead == 0 && text.get(colon + 1) != Some(&b':');
        if start < pos
            || lone_colon
            || (start > 0 && NOT_BEFORE_IPV6.has(text[start - 1]) && !after_tag(text, start))
        {
            continue;
        }
        if let Some((address_end, end)) = ipv6_candidate_at(text, start) {
            pos = end;
            from = end;
            if let Some((normalised, len)) =
                parse_ipv6_candidate_reading(&text[start..address_end], unbracketed_ports)
            {
                out.push(Found::new(start, start + len, Kind::Ip, &normalised));
            }
        }
    }
}

/// Python's `str.strip()`: Unicode white space and the four ASCII information separators.
fn python_strip(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
}

/// Normalised form of a user-given address (for `lookup`), or None: a dotted quad or an IPv6 address, bracketed
/// or not.
pub fn normalise_ip(text: &str) -> Option<String> {
    let mut value = python_strip(text);
    if value.starts_with('[') && value.ends_with(']') {
        value = value.get(1..value.len() - 1).unwrap_or("");
    }
    if let Some(quad) = normalise_ipv4(value.as_bytes()) {
        return Some(quad);
    }
    if value.contains(':') {
        return normalise_ipv6(value.as_bytes());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn spans_v4(text: &[u8], in_agent: bool) -> Vec<(String, String)> {
        let mut out = Vec::new();
        find_ipv4(text, in_agent, &mut out);
        crate::detect::testing::spans(text, out)
    }

    fn spans_v6(text: &[u8]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        find_ipv6(text, &mut out);
        crate::detect::testing::spans(text, out)
    }

    /// A text and the (matched text, normalised) pairs found in it.
    type Case = (&'static [u8], &'static [(&'static str, &'static str)]);

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// Issue 22 shape 7: where the format writes `address:port` without brackets, the last decimal group
    /// is the port, so every port of one client gives the same address; elsewhere the whole is the address.
    #[test]
    fn unbracketed_ports() {
        let ported = |text: &[u8]| {
            let mut out = Vec::new();
            find_ipv6_unbracketed_ports(text, &mut out);
            crate::detect::testing::spans(text, out)
        };
        let cases: &[Case] = &[
            (b"REGISTER from ::1:5064 (udp)", &[("::1", "::1")]),
            (
                b"REGISTER from 2001:db8::9:5060 (udp)",
                &[("2001:db8::9", "2001:db8::9")],
            ),
            (
                b"listener opened on : 2001:db8::7:3478",
                &[("2001:db8::7", "2001:db8::7")],
            ),
            // Not a port: hex, above 65535, or nothing valid left before it.
            (
                b"from 2001:db8::9:50a0",
                &[("2001:db8::9:50a0", "2001:db8::9:50a0")],
            ),
            (b"from 2001:db8::9:65536", &[("2001:db8::9", "2001:db8::9")]),
            (b"from ::5060 x", &[("::5060", "::5060")]),
            (b"[2001:db8::9]:5060", &[("2001:db8::9", "2001:db8::9")]),
        ];
        for (text, want) in cases {
            assert_eq!(
                ported(text),
                pairs(want),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        assert_eq!(
            spans_v6(b"REGISTER from 2001:db8::9:5060 (udp)"),
            pairs(&[("2001:db8::9:5060", "2001:db8::9:5060")])
        );
    }

    #[test]
    fn ipv4_found() {
        let cases: &[Case] = &[
            (b"client 192.0.2.1 connected", &[("192.0.2.1", "192.0.2.1")]),
            (b"192.0.2.1:5060", &[("192.0.2.1", "192.0.2.1")]),
            (
                b"RemoteAddress=\"IPV4/UDP/198.51.100.7/5060\"",
                &[("198.51.100.7", "198.51.100.7")],
            ),
            (b"010.001.002.003", &[("010.001.002.003", "10.1.2.3")]),
            (
                b"255.255.255.255.",
                &[("255.255.255.255", "255.255.255.255")],
            ),
            (b"4.3.2.1.in-addr.arpa", &[("4.3.2.1", "4.3.2.1")]),
            (
                b"X-Forwarded-For: 10.0.0.2, 198.51.100.23",
                &[("10.0.0.2", "10.0.0.2"), ("198.51.100.23", "198.51.100.23")],
            ),
        ];
        for &(text, want) in cases {
            assert_eq!(spans_v4(text, false), pairs(want), "{:?}", text);
        }
    }

    #[test]
    fn ipv4_decoys() {
        for text in [
            &b"Mozilla/5.0 (X11) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36"[..],
            b"Chrome/120.0.6099.109",
            b"256.1.1.1",
            b"1.2.3.4.5",
            b"OID 1.3.6.1.4.1.2021.10",
            b"took 1706368044.12 s",
            b"version 1.2.3",
        ] {
            assert_eq!(spans_v4(text, false), vec![], "{:?}", text);
        }
    }

    #[test]
    fn versions_in_free_text_issue_22() {
        for text in [
            &b"REGISTER ua=Zoiper rv2.8.3.1 ok"[..],
            b"UA=Grandstream Model HW GXP2135 SW 1.0.7.14",
            b"UA=Yealink SIP-T54W 96.85.0.5",
            b"module loaded version=3.1.4.9",
            b"provisioning fw=2.0.9.12 done",
            b"\"app_version\":\"5.3.0.2\"",
            b"build: 10.2.0.77",
            b"v1.2.3.4",
        ] {
            assert_eq!(spans_v4(text, false), vec![], "{:?}", text);
        }
        // No version context: an address (fail closed).
        for text in [
            &b"peer 5.3.0.2 connected"[..],
            b"release 10.0.0.1 now",
            b"from host1 10.0.0.1",
            b"ip198.51.100.7",
            b"via=10.1.2.3",
            b"Snowver 10.1.2.3",
        ] {
            assert_eq!(spans_v4(text, false).len(), 1, "{:?}", text);
        }
    }

    #[test]
    fn ipv6_after_a_tag_and_a_colon_issue_22() {
        for (text, address) in [
            (
                &b"peer IP:2001:db8:aa12::8a2e:370:7335 accepted"[..],
                "2001:db8:aa12::8a2e:370:7335",
            ),
            (b"conn src:2001:db8::e1 ok", "2001:db8::e1"),
            (b"connect from unknown[IPv6:2001:db8::2f]", "2001:db8::2f"),
            (b"helo=[IPv6:2001:db8::3e]", "2001:db8::3e"),
            (b"IPv6:2001:db8::b1", "2001:db8::b1"),
            // macOS configd (loghub Mac_2k): punctuation before the colon.
            (
                b"v6(en0+:2607:f140:6000:8:c6b3:1ff:fecd:467f) DNS!",
                "2607:f140:6000:8:c6b3:1ff:fecd:467f",
            ),
        ] {
            let mut out = Vec::new();
            find_ipv6(text, &mut out);
            let found: Vec<_> = out.iter().map(|f| f.normalised()).collect();
            assert_eq!(found, [address], "{:?}", text);
        }
        // A hex word before the colon may be a group of the same run: not a tag.
        let mut out = Vec::new();
        find_ipv6(b"xbeef:2001:db8::1 dead:2001:db8::2", &mut out);
        assert!(
            out.iter().all(|f| f.normalised() != "2001:db8::2"),
            "{out:?}"
        );
    }

    #[test]
    fn firmware_versions_in_user_agents() {
        for agent in [
            &b"Yealink SIP-T46S 66.86.0.15"[..],
            b"Grandstream GXP2170 1.0.11.23",
            b"Firefox/2.0.0.4",
            b"zlib/1.2.3.4",
            b"Cisco/SPA504G-7.5.6.1",
        ] {
            assert_eq!(spans_v4(agent, true), vec![]);
            // Outside a user agent only a known phone vendor's model makes the quad firmware (issue 22).
            let vendor = agent.starts_with(b"Yealink") || agent.starts_with(b"Grandstream");
            assert_eq!(spans_v4(agent, false).is_empty(), vendor, "{:?}", agent);
        }
        let text = b"Mozilla/5.0 (compatible; +http://192.0.2.8/bot) via 192.0.2.9";
        let found: Vec<_> = spans_v4(text, true).into_iter().map(|(_, n)| n).collect();
        assert_eq!(found, ["192.0.2.8", "192.0.2.9"]);
    }

    /// The value of a user-agent key in free text reads as a user agent (Kamailio's `UA=`, Asterisk's
    /// `User-Agent: `, JSON's `"user_agent":"`), and nothing after the value does.
    #[test]
    fn user_agent_values_in_free_text() {
        for text in [
            &b"REGISTER src_ip=203.0.113.5 UA=snom710/10.1.54.13"[..],
            b"Added contact, User-Agent: Cisco/SPA504G-7.5.6.1",
            b"{\"ip\":\"203.0.113.5\",\"user_agent\":\"Linphone/5.2.0.3 (belle-sip/5.2.0)\"}",
            b"ua=PolycomVVX-VVX_411-UA/6.4.3.5 src=203.0.113.5",
        ] {
            let found: Vec<_> = spans_v4(text, false).into_iter().map(|(_, n)| n).collect();
            let want: &[&str] = if text.starts_with(b"Added") {
                &[]
            } else {
                &["203.0.113.5"]
            };
            assert_eq!(found, want, "{}", String::from_utf8_lossy(text));
        }
        // A word holding a quad is no model: its token would leave the next quad without one (fuzzer).
        let text = b"UA=x ari50.0.0.0 0.0.0.0S";
        let found: Vec<_> = spans_v4(text, true).into_iter().map(|(_, n)| n).collect();
        assert_eq!(found, ["50.0.0.0", "0.0.0.0"]);
        // Two quoted values side by side are not a model and its firmware (found by the fuzzer).
        let text = b"\"Yealink SIP-66.86.0.15\" \"1.137.206.145, 1.0.0.1\"";
        let found: Vec<_> = spans_v4(text, false).into_iter().map(|(_, n)| n).collect();
        assert_eq!(found, ["66.86.0.15", "1.137.206.145", "1.0.0.1"]);
        // Outside the value, or a quad with no product before it: an address.
        for text in [
            &b"UA=\"snom710\" relay/203.0.113.5"[..],
            b"UA=Yealink from 203.0.113.5",
            b"quality/203.0.113.5",
            b"User-Agent: x; host=proxy1/203.0.113.5",
        ] {
            let found: Vec<_> = spans_v4(text, false).into_iter().map(|(_, n)| n).collect();
            assert_eq!(found, ["203.0.113.5"], "{}", String::from_utf8_lossy(text));
        }
        assert_eq!(agent_values(b"UA=a UA=b c=d"), [3..5, 8..9]);
    }

    #[test]
    fn ipv6_found() {
        let cases: &[Case] = &[
            (b"2001:db8::1", &[("2001:db8::1", "2001:db8::1")]),
            (
                b"2001:0DB8:0000:0000:0000:0000:0000:0001",
                &[("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1")],
            ),
            (b"[2001:db8::7]:5060", &[("2001:db8::7", "2001:db8::7")]),
            (b"fe80::1%eth0 up", &[("fe80::1", "fe80::1")]),
            (b"::ffff:192.0.2.1", &[("::ffff:192.0.2.1", "192.0.2.1")]),
            (
                b"2001:db8::1234:58430 [14/Nov/2015",
                &[("2001:db8::1234", "2001:db8::1234")],
            ),
            (
                b"2001:db8:0:0:0:0:0:1:443",
                &[("2001:db8:0:0:0:0:0:1", "2001:db8::1")],
            ),
            (b"loopback ::1 ok", &[("::1", "::1")]),
        ];
        for &(text, want) in cases {
            assert_eq!(spans_v6(text), pairs(want), "{:?}", text);
        }
        for text in [
            &b"10:00:00"[..],
            b"2026:00:00:00",
            b"[10/Oct/2000:13:55:36 -0700]",
            b"a :: b",
            b"std::string",
        ] {
            assert_eq!(spans_v6(text), vec![], "{:?}", text);
        }
    }

    #[test]
    fn ipv6_normalisation_edges() {
        let cases: &[(&str, Option<&str>)] = &[
            ("1:0:0:2:0:0:0:3", Some("1:0:0:2::3")),
            ("1:0:0:2:0:0:3:4", Some("1::2:0:0:3:4")),
            ("1::2:3:4:5:6:7:8", None),
            ("::", Some("::")),
            ("1:2:3:4:5:6:7::", Some("1:2:3:4:5:6:7:0")),
            ("::ffff:010.1.2.3", Some("10.1.2.3")),
            ("::ffff:0001.2.3.4", None), // the tail read is `001.2.3.4`, leaving `01.2.3.4` to the parser
            ("::1.2.3.4", Some("::102:304")),
            (":1::", None),
            ("1:", None),
        ];
        for &(text, want) in cases {
            assert_eq!(
                normalise_ipv6(text.as_bytes()).as_deref(),
                want,
                "{:?}",
                text
            );
        }
    }

    #[test]
    fn lookup_and_whole_address() {
        assert_eq!(normalise_ip(" 192.0.2.1 ").as_deref(), Some("192.0.2.1"));
        assert_eq!(
            normalise_ip("[2001:DB8::1]").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            normalise_ip("::ffff:192.0.2.1").as_deref(),
            Some("192.0.2.1")
        );
        assert_eq!(normalise_ip("x"), None);
        assert_eq!(normalise_ip("["), None);
        assert_eq!(whole_address(b"192.0.2.1").as_deref(), Some("192.0.2.1"));
        assert_eq!(whole_address(b"010.0.2.1"), None); // not canonical: the scan decides
        assert_eq!(
            whole_address(b"2001:DB8::1").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(whole_address(b"2001:db8::1:58430"), None); // a port: not the whole text
        assert_eq!(whole_address(b"GET /"), None);
    }

    /// The hostile lines of tests/test_hostile.py (and the issue's), run once: each must finish and give the
    /// right findings.
    #[test]
    fn hostile_lines() {
        let mut out = Vec::new();
        let mut line = b"GET /".to_vec();
        line.extend(b"deadbeef".repeat(130_000));
        line.extend(b"zz".repeat(5000));
        find_ipv4(&line, false, &mut out);
        find_ipv6(&line, &mut out);
        assert!(out.is_empty());

        let xff: Vec<u8> = (0..32_768u32)
            .flat_map(|i| format!("10.{}.{}.{}, ", i >> 16, (i >> 8) & 255, i & 255).into_bytes())
            .collect();
        find_ipv4(&xff, false, &mut out);
        assert_eq!(out.len(), 32_768);
        out.clear();

        // The issue's 64 MiB line of addresses, scaled down to 4 MiB (the same shape, quicker unoptimised).
        let block = [&b"x".repeat(4090)[..], b" 198.51.100.23 2001:db8::7 "].concat();
        let line = block.repeat((4 << 20) / block.len());
        find_ipv4(&line, false, &mut out);
        find_ipv6(&line, &mut out);
        assert_eq!(out.len(), 2 * ((4 << 20) / block.len()));
        out.clear();

        for line in [
            b"1".repeat(200_000),
            b"1.".repeat(100_000),
            b"a:".repeat(100_000),
            b"::".repeat(100_000),
            b"00:".repeat(70_000),
            b"sip:1.".repeat(30_000),
            b"/001565abcdef".repeat(15_000),
            b"+49 30 1234567 ".repeat(100_000),
        ] {
            find_ipv4(&line, false, &mut out);
            find_ipv4(&line, true, &mut out);
            find_ipv6(&line, &mut out);
        }
        assert!(out.is_empty());
    }

    fn shapes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop::sample::select(vec![
            "1",
            "25",
            "255",
            "256",
            "010",
            "0",
            ".",
            "..",
            ":",
            "::",
            "ab",
            "fffff",
            "ffff",
            "%eth0",
            "[",
            "]",
            "/",
            " ",
            "x",
            "1.2.3.4",
            "::ffff:",
            "Chrome/",
            "SIP-T46S ",
            "g",
            "_",
            "-",
        ]);
        prop::collection::vec(piece, 0..40).prop_map(|p| p.concat().into_bytes())
    }

    proptest! {
        #[test]
        fn findings_are_ordered_disjoint_and_normalised_again_alike(text in shapes()) {
            for in_agent in [false, true] {
                let mut out = Vec::new();
                find_ipv4(&text, in_agent, &mut out);
                for pair in out.windows(2) {
                    prop_assert!(pair[0].end <= pair[1].start);
                }
                for f in &out {
                    let norm = normalise_ipv4(&text[f.start..f.end]);
                    prop_assert_eq!(norm.as_deref(), Some(f.normalised()));
                    // idempotent: the normalised form is its own normalised form
                    prop_assert_eq!(normalise_ipv4(f.normalised().as_bytes()), Some(f.normalised().to_owned()));
                }
            }
            let mut out = Vec::new();
            find_ipv6(&text, &mut out);
            for pair in out.windows(2) {
                prop_assert!(pair[0].end <= pair[1].start);
            }
            for f in &out {
                prop_assert_eq!(normalise_ip(f.normalised()), Some(f.normalised().to_owned()));
            }
        }

        /// Nothing survives: an address written between arbitrary separators is found whole.
        #[test]
        fn addresses_between_separators_are_found(
            octets in prop::array::uniform4(0u8..=255),
            groups in prop::array::uniform8(prop_oneof![Just(0u16), Just(0xffff), any::<u16>()]),
            left in prop::sample::select(vec![" ", "(", "[", "=", "\"", "@", ",", ""]),
            right in prop::sample::select(vec![" ", ")", "]", ";", "\"", ",", ":5060", ""]),
        ) {
            let quad = quad_string(octets);
            let text = format!("{left}{quad}{right}");
            let mut out = Vec::new();
            find_ipv4(text.as_bytes(), false, &mut out);
            prop_assert_eq!(out.len(), 1);
            prop_assert_eq!(out[0].normalised(), quad.as_str());
            let v6 = compress_hextets(groups);
            let text = format!("{left}{v6}{right}");
            let mut out = Vec::new();
            find_ipv6(text.as_bytes(), &mut out);
            let want = normalise_ipv6(v6.as_bytes());
            // A port glued to a compressed address reads as one more group (`2001:db8::1:5060` is an address):
            // the one case where the text does not say where the address ends. A bare `::` is no finding (as in
            // `a :: b`, `std::string`).
            if v6 != "::" && !(v6.contains("::") && right.starts_with(':')) {
                prop_assert_eq!(out.len(), 1, "{}", text);
                prop_assert_eq!(Some(out[0].normalised().to_owned()), want);
            }
        }
    }

    /// `is_version` as it was before the model walk stopped at a dot: the whole product run, then `is_model`.
    fn is_version_walking_the_whole_run(
        text: &[u8],
        start: usize,
        end: usize,
        in_agent: bool,
    ) -> bool {
        if start == 0 {
            return false;
        }
        let separator = text[start - 1];
        if separator != b'/' && !(in_agent && matches!(separator, b' ' | b'-')) {
            return false;
        }
        if !in_agent && !text[start..end].ends_with(b".0.0") {
            return false;
        }
        let i = start - 1 - PRODUCT.run_before(text, start - 1, usize::MAX);
        let product = &text[i..start - 1];
        if product.is_empty()
            || !LETTERS.has(product[0])
            || TRANSPORTS.iter().any(|t| product.eq_ignore_ascii_case(t))
        {
            return false;
        }
        if separator != b'/' && !is_model(product) {
            return false;
        }
        in_agent || i == 0 || PRODUCT_BOUNDARY.has(text[i - 1])
    }

    fn product_shapes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop::sample::select(vec![
            "1.0.0.0", "10.0.0.1", "-", "/", " ", ".", "SIP-T46S", "Chrome", "UDP", "a", "7", "_",
            "(", "x.y",
        ]);
        prop::collection::vec(piece, 0..24).prop_map(|p| p.concat().into_bytes())
    }

    proptest! {
        /// Stopping the model walk at a dot answers as walking the whole run did, for every quad of the text.
        #[test]
        fn the_model_walk_answers_as_the_whole_run(text in product_shapes()) {
            for start in 0..text.len() {
                if let Some((end, _)) = quad_at(&text, start) {
                    for in_agent in [false, true] {
                        prop_assert_eq!(
                            is_version(&text, start, end, in_agent),
                            is_version_walking_the_whole_run(&text, start, end, in_agent),
                            "{:?} at {}", String::from_utf8_lossy(&text), start
                        );
                    }
                }
            }
        }
    }

    proptest! {
        /// A dotted quad is written as the standard library writes the address.
        #[test]
        fn quads_are_written_as_std_writes_them(octets: [u8; 4]) {
            let mut quad = [0; 15];
            let len = write_quad(octets, &mut quad);
            let std_text = std::net::Ipv4Addr::from(octets).to_string();
            prop_assert_eq!(&quad[..len], std_text.as_bytes());
        }
    }

    proptest! {
        // Each case scans lines of up to a megabyte (unoptimised in `cargo test`): a few dozen cases suffice.
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Long repetitive lines (in the spirit of the hostile ones) are scanned completely: the findings of a
        /// repeated unit are the unit's findings, shifted. (No timing: the scanners only look a bounded distance
        /// around each separator, which these lines would punish if they did not.)
        #[test]
        fn long_repetitive_lines(
            unit in prop::sample::select(vec![
                "deadbeef", "1.", "a:", "::", "00:", "1.2.3.", "ab:cd:", "fe80::1%eth0 ", "10.0.0.1 ", "1:2:3:4:5:6:7:8 ",
                "12.34.", "::ffff:1.2.3.4 ", "Chrome/1.0.0.0 ", "0-", "%3A", "10.0.0.1-", "SIP-T46S-1.0.0.0-",
            ]),
            repeats in 10_000usize..60_000,
        ) {
            let line = unit.repeat(repeats).into_bytes();
            let mut v4 = Vec::new();
            find_ipv4(&line, false, &mut v4);
            let mut v6 = Vec::new();
            find_ipv6(&line, &mut v6);
            let mut one4 = Vec::new();
            find_ipv4(unit.as_bytes(), false, &mut one4);
            let mut one6 = Vec::new();
            find_ipv6(unit.as_bytes(), &mut one6);
            // A unit that ends in a blank holds its findings; the others join into longer runs.
            if unit.ends_with(' ') {
                prop_assert_eq!(v4.len(), one4.len() * repeats);
                prop_assert_eq!(v6.len(), one6.len() * repeats);
            } else {
                prop_assert!(v4.len() <= repeats && v6.len() <= repeats);
            }
        }
    }
}
