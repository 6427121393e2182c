//! Identifiers recognised by where they stand rather than by their shape alone (a port of
//! tests/reference/detect/context.py), one rule per module:
//! - [`uri`]: the user part of `sip:`, `sips:` and `tel:` URIs when numeric (RFC 3966 `phone-context` applied);
//! - [`keyed`]: `key=value` / `key: value` pairs whose key names a number, a device (MAC) or an IMEI, and
//!   quoted display numbers before a SIP or tel URI;
//! - [`provisioning`]: provisioning file names that embed a MAC: `/001565abcdef.cfg`, `SEP001565ABCDEF.cnf.xml`;
//! - [`marked`]: a number after a path segment naming numbers, a MAC after a spaced device key (issue 22).
//!
//! Every rule starts from a separator byte found with memchr (`:` for URIs, `=`/`:` for keys, `/`/`=` for
//! file names, `/` and key letters for markers) and reads a bounded window around it, so a line costs time
//! linear in its length. Each rule has a gate that reads no digit, so a text's skeleton meets it as the text does.

mod keyed;
mod marked;
mod provisioning;
mod uri;

pub use keyed::{keyed_gate, keyed_numbers};
pub use marked::{marked_gate, marked_values};
pub use provisioning::{provisioning_gate, provisioning_macs};
pub use uri::{uri_gate, uri_numbers};

use super::phone_rules::Region;
use super::scan::{self, ByteSet, HEX};
use super::Found;

/// The bytes of a key's name (keys and device keys of the keyed and marked rules).
const KEY_CHARS: ByteSet =
    ByteSet::of(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz");

fn is_key_char(c: u8) -> bool {
    KEY_CHARS.has(c)
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

/// [`scan::run_before`] (the whole run of `chars` that ends at `end`, at most `longest` and `KEY_MAX` long)
/// with the run in lower case.
pub(crate) fn run_before(
    text: &[u8],
    end: usize,
    chars: &ByteSet,
    longest: usize,
) -> Option<(LowerWord, usize)> {
    let start = scan::run_before(text, end, chars, longest.min(KEY_MAX))?;
    let mut key = LowerWord {
        bytes: [0; KEY_MAX],
        len: end - start,
    };
    for (to, from) in key.bytes.iter_mut().zip(&text[start..end]) {
        *to = from.to_ascii_lowercase();
    }
    Some((key, start))
}

/// `MAC_VALUE_AT.match(text, pos)`: 12 hex, six pairs joined by `:`/`-`, or three Cisco quads; not followed
/// by a letter or digit.
fn mac_value_at(text: &[u8], pos: usize) -> Option<usize> {
    let free_after = |end: usize| !text.get(end).is_some_and(u8::is_ascii_alphanumeric);
    if HEX.run_after(text, pos, 12) == 12 && free_after(pos + 12) {
        return Some(pos + 12);
    }
    let pairs = (0..6).all(|k| {
        let at = pos + 3 * k;
        HEX.run_after(text, at, 2) == 2 && (k == 0 || matches!(text[at - 1], b':' | b'-'))
    });
    if pairs && free_after(pos + 17) {
        return Some(pos + 17);
    }
    let quads = (0..3).all(|k| {
        let at = pos + 5 * k;
        HEX.run_after(text, at, 4) == 4 && (k == 0 || text[at - 1] == b'.')
    });
    if quads && free_after(pos + 14) {
        return Some(pos + 14);
    }
    None
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
    use super::*;
    use crate::detect::phone_rules::tests::rules;
    use crate::detect::testing::{assert_kinded, texts, KindedCase};
    use proptest::prelude::*;

    fn found(text: &[u8]) -> Vec<(String, &'static str, String)> {
        let mut out = Vec::new();
        find_context(text, &Region::new(rules(), "DE"), &mut out);
        crate::detect::testing::kinded(text, out)
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
        let cases: &[KindedCase] = &[
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
        assert_kinded(cases, found);
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
