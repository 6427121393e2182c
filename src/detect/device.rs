//! Device identifiers: MAC addresses and IMEIs (port of tests/reference/detect/device.py, the same findings).
//!
//! MAC: colon, dash and Cisco dot forms anywhere (the bare 12-hex form only where context says device, which is
//! the context rules' business: they use `normalise_mac` and `is_plausible_bare_mac`). Normalised to lower-case
//! colon form.
//! IMEI: 15 Luhn-valid digits (also grouped `35-209900-176148-1`) whose first two digits are an allocated GSMA
//! reporting body; `urn:gsma:imei:TAC-SNR-0` (RFC 7254). Normalised to the 14-digit core (TAC + SNR), so an
//! IMEI, its IMEISV and its URN form are one device.
//!
//! Every match holds a separator at a fixed offset from its start (the MAC's first `:`/`-`/`.`, the URN's
//! first colon), so the scanners jump between separators with `memchr` and check a bounded window around each.

use memchr::{memchr2_iter, memchr_iter};

use super::scan::{luhn_ok, ByteSet, DIGITS, HEX};
use super::{Found, Kind};

/// The first two digits of every allocated TAC.
pub const REPORTING_BODIES: [&[u8; 2]; 17] = [
    b"01", b"10", b"30", b"33", b"35", b"44", b"45", b"49", b"50", b"51", b"52", b"53", b"54",
    b"86", b"91", b"98", b"99",
];
const MAC_SEPARATORS: ByteSet = ByteSet::of(b":-. ");
const URN_PREFIX: &[u8] = b"urn:gsma:imei:";

/// `00:15:65:ab:cd:ef` for any MAC text form (twelve hex digits, nothing else but `:`, `-`, `.` and blanks), or
/// None.
pub fn normalise_mac(text: &[u8]) -> Option<String> {
    let mut hex = Vec::with_capacity(12);
    for &c in text {
        if HEX.has(c) {
            hex.push(c.to_ascii_lowercase());
        } else if !MAC_SEPARATORS.has(c) {
            return None;
        }
    }
    if hex.len() != 12 {
        return None;
    }
    let mut out = String::with_capacity(17);
    for (i, pair) in hex.chunks(2).enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.extend(pair.iter().map(|&c| c as char));
    }
    Some(out)
}

/// A bare 12-hex run names a device unless it is a placeholder (Polycom's 000000000000.cfg, Yealink's
/// y000000000028.cfg) with an all-zero vendor prefix.
pub fn is_plausible_bare_mac(hex12: &[u8]) -> bool {
    hex12.len() == 12 && !hex12.starts_with(b"000000")
}

/// Six hex pairs joined by `sep` from `start`, with no pair joined by the same separator on either side and no
/// hex digit touching it (Python's `MAC_SEPARATED_RE`, one branch).
fn separated_at(text: &[u8], start: usize, sep: u8) -> bool {
    if start + 17 > text.len() {
        return false;
    }
    if start > 0 && HEX.has(text[start - 1]) {
        return false;
    }
    if start > 1 && text[start - 1] == sep && HEX.has(text[start - 2]) {
        return false;
    }
    let body = &text[start..start + 17];
    let shape_ok = body
        .iter()
        .enumerate()
        .all(|(i, &c)| if i % 3 == 2 { c == sep } else { HEX.has(c) });
    let end = start + 17;
    shape_ok && !HEX.at(text, end) && !(text.get(end) == Some(&sep) && HEX.at(text, end + 1))
}

/// Three groups of four hex digits joined by dots from `start` (Python's `MAC_DOTTED_RE`).
fn dotted_at(text: &[u8], start: usize) -> bool {
    if start + 14 > text.len() {
        return false;
    }
    if start > 0 && (HEX.has(text[start - 1]) || text[start - 1] == b'.') {
        return false;
    }
    let body = &text[start..start + 14];
    let shape_ok = body
        .iter()
        .enumerate()
        .all(|(i, &c)| if i % 5 == 4 { c == b'.' } else { HEX.has(c) });
    let end = start + 14;
    shape_ok && !HEX.at(text, end) && !(text.get(end) == Some(&b'.') && HEX.at(text, end + 1))
}

/// Every MAC in `text`: the colon and dash forms in order, then the dotted form in order (as Python yields them).
pub fn find_mac(text: &[u8], out: &mut Vec<Found>) {
    let mut push = |start: usize, end: usize| {
        if let Some(normalised) = normalise_mac(&text[start..end]) {
            out.push(Found::new(start, end, Kind::Mac, &normalised));
        }
    };
    // The first separator of a match stands two bytes after its start.
    let mut pos = 0;
    for sep in memchr2_iter(b':', b'-', text) {
        if sep < pos + 2 {
            continue;
        }
        let start = sep - 2;
        if separated_at(text, start, text[sep]) {
            push(start, start + 17);
            pos = start + 17;
        }
    }
    // The first dot of a match stands four bytes after its start.
    let mut pos = 0;
    for dot in memchr_iter(b'.', text) {
        if dot < pos + 4 {
            continue;
        }
        let start = dot - 4;
        if dotted_at(text, start) {
            push(start, start + 14);
            pos = start + 14;
        }
    }
}

/// The URN form's TAC and SNR at `start`: `urn:gsma:imei:` (any case), 8 digits, `-`, 6 digits, `-`, one digit
/// not followed by another. The end of the match.
fn urn_at(text: &[u8], start: usize) -> Option<usize> {
    let rest = text.get(start..)?;
    if rest.len() < URN_PREFIX.len() + 17
        || !rest[..URN_PREFIX.len()].eq_ignore_ascii_case(URN_PREFIX)
    {
        return None;
    }
    let body = &rest[URN_PREFIX.len()..URN_PREFIX.len() + 17];
    let shape_ok = body.iter().enumerate().all(|(i, &c)| {
        if i == 8 || i == 15 {
            c == b'-'
        } else {
            c.is_ascii_digit()
        }
    });
    let end = start + URN_PREFIX.len() + 17;
    (shape_ok && !DIGITS.at(text, end)).then_some(end)
}

/// The end of a plain IMEI at `start` (a digit with no digit before it): exactly 15 digits, or 2-6-6-1 digits
/// grouped by `-` or blanks; no digit after it.
fn imei_at(text: &[u8], start: usize) -> Option<usize> {
    let run = DIGITS.run_after(text, start, 16);
    let end = if run == 15 {
        start + 15
    } else if run == 2 {
        let body = text.get(start..start + 18)?;
        let shape_ok = body.iter().enumerate().all(|(i, &c)| {
            if i == 2 || i == 9 || i == 16 {
                c == b'-' || c == b' '
            } else {
                c.is_ascii_digit()
            }
        });
        if !shape_ok {
            return None;
        }
        start + 18
    } else {
        return None;
    };
    (!DIGITS.at(text, end)).then_some(end)
}

/// Every IMEI in `text`: the URN forms in order, then the plain and grouped forms in order (as Python yields them).
pub fn find_imei(text: &[u8], out: &mut Vec<Found>) {
    // The URN prefix's first colon stands three bytes after its start.
    let mut pos = 0;
    for colon in memchr_iter(b':', text) {
        if colon < pos + 3 {
            continue;
        }
        let start = colon - 3;
        if let Some(end) = urn_at(text, start) {
            let tac = start + URN_PREFIX.len();
            // The TAC and the serial, their digits checked by `urn_at`.
            let mut core = [0; 14];
            core[..8].copy_from_slice(&text[tac..tac + 8]);
            core[8..].copy_from_slice(&text[tac + 9..tac + 15]);
            out.push(Found::from_ascii(tac, end, Kind::Imei, &core));
            pos = end;
        }
    }
    // Plain and grouped forms start at the first digit of a run; a run is skipped whole when it is none.
    let mut i = 0;
    while let Some(offset) = text[i..].iter().position(u8::is_ascii_digit) {
        let start = i + offset;
        match imei_at(text, start) {
            Some(end) => {
                let digits: Vec<u8> = text[start..end]
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_digit)
                    .collect();
                if REPORTING_BODIES.iter().any(|body| digits[..2] == body[..]) && luhn_ok(&digits) {
                    out.push(Found::from_ascii(start, end, Kind::Imei, &digits[..14]));
                }
                i = end;
            }
            None => i = start + DIGITS.run_after(text, start, usize::MAX),
        }
    }
}

fn trim_python_ascii(text: &[u8]) -> &[u8] {
    const SPACE: ByteSet = ByteSet::of(b" \t\n\r\x0b\x0c");
    let start = SPACE.run_after(text, 0, text.len());
    let end = text.len() - SPACE.run_before(text, text.len(), text.len() - start);
    &text[start..end]
}

/// The 14-digit core of an IMEI (15 digits, Luhn-checked), IMEISV (16 digits), a bare core (14 digits) or an
/// IMEI URN; or None. Other bytes between the digits are ignored, as the Python rule ignores them.
pub fn normalise_imei(text: &[u8]) -> Option<String> {
    if memchr::memchr(b':', text).is_some() {
        // Python's `bytes.strip()`: ASCII white space including the vertical tab (`trim_ascii` keeps it).
        let stripped = trim_python_ascii(text);
        if urn_at(stripped, 0) == Some(stripped.len()) {
            let tac = URN_PREFIX.len();
            let mut core = String::with_capacity(14);
            core.extend(stripped[tac..tac + 8].iter().map(|&c| c as char));
            core.extend(stripped[tac + 9..tac + 15].iter().map(|&c| c as char));
            return Some(core);
        }
    }
    let digits: Vec<u8> = text.iter().copied().filter(u8::is_ascii_digit).collect();
    let core = match digits.len() {
        15 if luhn_ok(&digits) => &digits[..14],
        16 => &digits[..14],
        14 => &digits[..],
        _ => return None,
    };
    Some(String::from_utf8_lossy(core).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn macs(text: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        find_mac(text, &mut out);
        out.into_iter().map(|f| f.normalised().to_owned()).collect()
    }

    fn imeis(text: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        find_imei(text, &mut out);
        out.into_iter().map(|f| f.normalised().to_owned()).collect()
    }

    #[test]
    fn mac_forms_normalise_alike() {
        for text in [
            &b"00:15:65:AB:CD:EF"[..],
            b"00-15-65-ab-cd-ef",
            b"0015.65ab.cdef",
            b"mac 00:15:65:ab:cd:ef up",
            b"00:15:65:AB:CD:EF-192.0.2.1",
            b"eth0-00:15:65:ab:cd:ef",
            b"1-00:15:65:ab:cd:ef",
            b"00-15-65-ab-cd-ef:5060",
        ] {
            assert_eq!(macs(text), ["00:15:65:ab:cd:ef"], "{:?}", text);
        }
    }

    #[test]
    fn mac_decoys() {
        for text in [
            &b"2024-11-21-10-00-00"[..],
            b"00:15:65:ab:cd",
            b"001565abcdef",
            b"12:30:00",
            b"8e40daa391b6e4d82b296c77eb0c6986",
            b"00:15:65:ab:cd:ef:01",
            b"01-00-15-65-ab-cd-ef",
        ] {
            assert!(macs(text).is_empty(), "{:?}", text);
        }
    }

    #[test]
    fn imei_table() {
        assert_eq!(
            imeis(b"IMEI 490154203237518 registered"),
            ["49015420323751"]
        );
        assert_eq!(imeis(b"49-015420-323751-8"), ["49015420323751"]);
        assert_eq!(
            imeis(b"+sip.instance=\"<urn:gsma:imei:49015420-323751-0>\""),
            ["49015420323751"]
        );
        assert!(imeis(b"id 490154203237519").is_empty());
        assert!(imeis(b"[pid 17512:tid 140080231159552]").is_empty());
    }

    #[test]
    fn normalise_table() {
        assert_eq!(
            normalise_imei(b"490154203237518").as_deref(),
            Some("49015420323751")
        );
        assert_eq!(
            normalise_imei(b"4901542032375181").as_deref(),
            Some("49015420323751")
        );
        assert_eq!(
            normalise_imei(b" URN:GSMA:IMEI:49015420-323751-0\n").as_deref(),
            Some("49015420323751")
        );
        assert_eq!(normalise_imei(b"x"), None);
        assert_eq!(normalise_mac(b"00:15:65:ab:cd"), None);
        assert_eq!(
            normalise_mac(b"001565ABCDEF").as_deref(),
            Some("00:15:65:ab:cd:ef")
        );
        assert!(!is_plausible_bare_mac(b"000000000028"));
        assert!(is_plausible_bare_mac(b"001565abcdef"));
    }

    #[test]
    fn hostile_lines() {
        let mut out = Vec::new();
        let mut line = b"GET /".to_vec();
        line.extend(b"deadbeef".repeat(130_000));
        line.extend(b"zz".repeat(5000));
        for line in [
            line,
            b"1".repeat(200_000),
            b"1.".repeat(100_000),
            b"a:".repeat(100_000),
            b"::".repeat(100_000),
            b"00:".repeat(70_000),
            b"to=1-".repeat(40_000),
            b"+49 30 1234567 ".repeat(100_000),
            b"/001565abcdef".repeat(15_000),
        ] {
            find_mac(&line, &mut out);
            find_imei(&line, &mut out);
        }
        assert!(out.is_empty());
    }

    proptest! {
        /// Normalisation is idempotent and every finding's text normalises to its value.
        #[test]
        fn findings_normalise_alike(text in prop::collection::vec(prop::sample::select(vec![
            "0", "15", "65", "AB", "cd", "ef", ":", "-", ".", " ", "x", "35", "123456", "1234567", "urn:gsma:imei:",
            "49015420-323751-0", "490154203237518",
        ]), 0..30).prop_map(|p| p.concat().into_bytes())) {
            let mut out = Vec::new();
            find_mac(&text, &mut out);
            for f in &out {
                prop_assert_eq!(normalise_mac(&text[f.start..f.end]), Some(f.normalised().to_owned()));
                prop_assert_eq!(normalise_mac(f.normalised().as_bytes()), Some(f.normalised().to_owned()));
            }
            let mut out = Vec::new();
            find_imei(&text, &mut out);
            for f in &out {
                prop_assert_eq!(normalise_imei(f.normalised().as_bytes()), Some(f.normalised().to_owned()));
            }
        }

        /// Nothing survives: a MAC in any form, or a valid IMEI, between separators is found.
        #[test]
        fn identifiers_between_separators_are_found(
            mac in prop::array::uniform6(0u8..=255),
            form in 0usize..3,
            left in prop::sample::select(vec![" ", "mac=", "(", "\"", ""]),
            right in prop::sample::select(vec![" ", ")", ";", "\"", ""]),
        ) {
            let h: Vec<String> = mac.iter().map(|b| format!("{b:02X}")).collect();
            let written = match form {
                0 => h.join(":"),
                1 => h.join("-"),
                _ => format!("{}{}.{}{}.{}{}", h[0], h[1], h[2], h[3], h[4], h[5]),
            };
            let text = format!("{left}{written}{right}");
            prop_assert_eq!(macs(text.as_bytes()), vec![h.join(":").to_lowercase()]);
        }
    }

    proptest! {
        // Each case scans lines of up to a megabyte (unoptimised in `cargo test`): a few dozen cases suffice.
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Long repetitive lines: complete scans with the unit's findings repeated.
        #[test]
        fn long_repetitive_lines(
            unit in prop::sample::select(vec![
                "deadbeef", "00:", "0-", "ab:cd:", "0015.", "00:15:65:ab:cd:ef ", "0015.65ab.cdef ", "1", "1 ",
                "490154203237518 ", "49-015420-323751-8 ", "urn:gsma:imei:", "urn:gsma:imei:49015420-323751-0 ",
            ]),
            repeats in 10_000usize..60_000,
        ) {
            let line = unit.repeat(repeats).into_bytes();
            let (mut all, mut one) = (Vec::new(), Vec::new());
            find_mac(&line, &mut all);
            find_imei(&line, &mut all);
            find_mac(unit.as_bytes(), &mut one);
            find_imei(unit.as_bytes(), &mut one);
            if unit.ends_with(' ') {
                prop_assert_eq!(all.len(), one.len() * repeats);
            } else {
                prop_assert!(all.is_empty());
            }
        }
    }
}
