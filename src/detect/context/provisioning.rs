//! MACs embedded in provisioning file names: `/001565abcdef.cfg`, `SEP001565ABCDEF.cnf.xml`.

use crate::detect::device::{is_plausible_bare_mac, normalise_mac};
use crate::detect::phone_rules::Region;
use crate::detect::scan::HEX;
use crate::detect::{starts_with_ignore_case, Found, Kind};

/// The provisioning files' extensions that start with `first` (either case): cfg, cnf, cnf.xml, conf, xml, ini,
/// boot, bin, txt, tar, htm, html, json, ld, zip, rom. Looked up by the byte after a dot, so most dots (between
/// digits, before a host's next label) compare none.
fn extensions_from(first: u8) -> &'static [&'static [u8]] {
    match first.to_ascii_lowercase() {
        b'b' => &[b"boot", b"bin"],
        b'c' => &[b"cfg", b"cnf", b"conf", b"cnf.xml"],
        b'h' => &[b"htm", b"html"],
        b'i' => &[b"ini"],
        b'j' => &[b"json"],
        b'l' => &[b"ld"],
        b'r' => &[b"rom"],
        b't' => &[b"txt", b"tar"],
        b'x' => &[b"xml"],
        b'z' => &[b"zip"],
        _ => &[],
    }
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// A provisioning file's extension at `dot` (the `.`), not followed by a letter or digit.
fn extension_at(text: &[u8], dot: usize) -> bool {
    let rest = &text[dot + 1..];
    rest.first().is_some_and(|&first| {
        extensions_from(first).iter().any(|ext| {
            starts_with_ignore_case(rest, 0, ext)
                && !rest.get(ext.len()).is_some_and(u8::is_ascii_alphanumeric)
        })
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
        if HEX.run_after(text, v, 13) != 12 {
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
            out.push(Found::new(v, v + 12, Kind::Mac, &mac));
        }
    }
}

/// `PROVISIONING_GATE`: a dot before the first bytes of an extension (`html` and `cnf.xml` pass only where
/// `htm` and `cnf` do).
pub fn provisioning_gate(text: &[u8]) -> bool {
    memchr::memchr_iter(b'.', text).any(|dot| {
        let rest = &text[dot + 1..];
        rest.first().is_some_and(|&first| {
            extensions_from(first)
                .iter()
                .any(|ext| starts_with_ignore_case(rest, 0, ext))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    /// `extension_at` as the reference's list reads it.
    fn extension_at_by_list(text: &[u8], dot: usize) -> bool {
        const EXTENSIONS: [&[u8]; 16] = [
            b"cfg", b"cnf", b"xml", b"ini", b"boot", b"txt", b"conf", b"htm", b"html", b"json",
            b"bin", b"ld", b"tar", b"zip", b"rom", b"cnf.xml",
        ];
        EXTENSIONS.iter().any(|ext| {
            let at = dot + 1;
            text.len() >= at + ext.len()
                && text[at..at + ext.len()].eq_ignore_ascii_case(ext)
                && !text
                    .get(at + ext.len())
                    .is_some_and(u8::is_ascii_alphanumeric)
        })
    }

    proptest! {
        /// Dots, extensions in any case and their near misses, domain labels and bytes outside ASCII: the gate
        /// that picks extensions by the byte after the dot answers as the list does.
        #[test]
        fn provisioning_gate_reads_as_the_list(parts in proptest::collection::vec(prop::sample::select(vec![
            ".", "cfg", "CFG", "cnf", "conf", "Conf", "co", "xml", "ini", "boot", "bo", "txt", "htm", "json",
            "bin", "ld", "LD", "tar", "zip", "rom", "html", "xml", "cnf.xml", "com", "net", "example", "0", "12", "a", "/", " ", "\u{e9}",
            "[", "@",
        ]), 0..12)) {
            let text = parts.concat();
            let bytes = text.as_bytes();
            prop_assert_eq!(provisioning_gate(bytes), provisioning_gate_by_list(bytes), "{}", text);
            for dot in memchr::memchr_iter(b'.', bytes) {
                prop_assert_eq!(extension_at(bytes, dot), extension_at_by_list(bytes, dot), "{}", text);
            }
        }
    }
}
