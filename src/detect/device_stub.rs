//! STUB until src/detect/device.rs (ported in parallel from pseudolog/detect/device.py) lands: the three
//! normalisers the context rules need, ported from device.py. Swap the `use` in context.rs for
//! `super::device::{...}` and delete this file once device.rs provides them.

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

/// `00:15:65:ab:cd:ef` for any MAC text form (`normalise_mac`), or None.
pub fn normalise_mac(raw: &[u8]) -> Option<String> {
    let hex: Vec<u8> = raw.iter().copied().filter(|&c| is_hex(c)).collect();
    if hex.len() != 12 {
        return None;
    }
    // Python strips `:-. ` from the ends of the non-hex rest, which must leave nothing.
    if raw.len() != 12
        && !raw
            .iter()
            .all(|&c| is_hex(c) || matches!(c, b':' | b'-' | b'.' | b' '))
    {
        return None;
    }
    let h = String::from_utf8(hex).ok()?.to_ascii_lowercase();
    Some(format!(
        "{}:{}:{}:{}:{}:{}",
        &h[0..2],
        &h[2..4],
        &h[4..6],
        &h[6..8],
        &h[8..10],
        &h[10..12]
    ))
}

/// A bare 12-hex run names a device unless it is a placeholder with an all-zero vendor prefix.
pub fn is_plausible_bare_mac(hex12: &[u8]) -> bool {
    hex12.len() == 12 && !hex12.starts_with(b"000000")
}

fn luhn_ok(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The 14-digit core of an IMEI (15 digits, Luhn-checked) or IMEISV (16 digits), or None. The URN form
/// (`urn:gsma:imei:`) is not read here: the context rule hands only digits and dashes.
pub fn normalise_imei(raw: &[u8]) -> Option<String> {
    let digits: Vec<u8> = raw.iter().copied().filter(u8::is_ascii_digit).collect();
    let core = match digits.len() {
        15 if luhn_ok(&digits) => &digits[..14],
        16 => &digits[..14],
        14 => &digits[..],
        _ => return None,
    };
    String::from_utf8(core.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises() {
        assert_eq!(
            normalise_mac(b"0015.65AB.CDEF").as_deref(),
            Some("00:15:65:ab:cd:ef")
        );
        assert_eq!(normalise_mac(b"00:15:65:ab:cd:eg"), None);
        assert_eq!(
            normalise_imei(b"490154203237518").as_deref(),
            Some("49015420323751")
        );
        assert_eq!(normalise_imei(b"490154203237517"), None);
        assert!(!is_plausible_bare_mac(b"000000000028"));
    }
}
