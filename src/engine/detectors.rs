//! The real detectors behind [`crate::scrub::Detector`], in the priority order of the reference engine's
//! scrub.py (tests/reference), with its TRIGGERS, their skeleton forms and the MAYBE_IDENTIFIER prefilter.
//!
//! Python's triggers lead each branch with a literal and look behind for the rest (a speed trick of its regex
//! engine). Here each is a hand-written scan (triggers.rs) that answers as the plain pattern it stands for
//! (they are only asked whether a text matches, never where); its tests hold it to that pattern as a regex.

use regex::bytes::Regex;

use crate::detect::context::{
    keyed_gate, keyed_numbers, marked_gate, marked_values, provisioning_gate, provisioning_macs,
    uri_gate, uri_numbers,
};
use crate::detect::device::{find_imei, find_mac};
use crate::detect::ip::{find_ipv4, find_ipv6, find_ipv6_unbracketed_ports};
use crate::detect::phone::find_international;
use crate::detect::phone_rules::Region;
use crate::detect::sip::find_sip;
use crate::detect::Found;
use crate::scrub::{Detector, Prefilter, Reading};

use super::triggers;

const MAYBE_IDENTIFIER: &str = r"(?-u)[0-9](?:[0-9()/. \-]|%20){3,}[0-9]|:[0-9A-Fa-f]{0,4}:|[0-9A-Fa-f]{2}[:\-][0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12}|\+\(?[0-9]|%2[BbDdEe]|%3[0-9AaBb]|%40|%5[BbDd]|(?i:instance)";
const MAYBE_ON_SKELETON: &str = r"(?-u)[0-9](?:[0-9()/. \-]|%[0-9][0-9]){3,}[0-9]|:[0-9A-Fa-f]{0,4}:|[0-9A-Fa-f]{2}[:\-][0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12}|\+\(?[0-9]|%[0-9][BbDdEe]|%[0-9][0-9AaBb]|(?i:instance)";

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in prefilter compiles")
}

/// Which detector a [`Real`] is (the reference scrub.py's `detectors` dict, in priority order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Uri,
    Keyed,
    /// Issue 22: numbers in REST paths, MACs after a spaced device key (not in the reference scrub.py).
    Marked,
    Provisioning,
    Sip,
    Mac,
    Ipv6,
    Ipv4,
    Phone,
    Imei,
}

/// How a detector decides that a text may hold what it finds.
enum Trigger {
    /// A gate function of the detector (context rules: it reads no digit, so a skeleton meets it as its text).
    Gate,
    /// A hand-written scan ([`triggers`]) on plain text and on a skeleton.
    Scan(fn(&[u8]) -> bool, fn(&[u8]) -> bool),
}

struct Real {
    which: Which,
    region: Region,
    trigger: Trigger,
}

impl Detector for Real {
    fn find(&self, text: &[u8], reading: Reading, out: &mut Vec<Found>) {
        let r = &self.region;
        match self.which {
            Which::Uri => uri_numbers(text, r, out),
            Which::Keyed => keyed_numbers(text, r, out),
            Which::Marked => marked_values(text, r, out),
            Which::Provisioning => provisioning_macs(text, r, out),
            Which::Sip => find_sip(text, r, out),
            Which::Mac => find_mac(text, out),
            Which::Ipv6 if reading.unbracketed_ports => find_ipv6_unbracketed_ports(text, out),
            Which::Ipv6 => find_ipv6(text, out),
            Which::Ipv4 => find_ipv4(text, reading.in_agent, out),
            Which::Phone => find_international(text, r, out),
            Which::Imei => find_imei(text, out),
        }
    }

    fn triggered(&self, text: &[u8]) -> bool {
        match (&self.trigger, self.which) {
            (Trigger::Scan(plain, _), _) => plain(text),
            (Trigger::Gate, Which::Uri) => uri_gate(text),
            (Trigger::Gate, Which::Keyed) => keyed_gate(text),
            (Trigger::Gate, Which::Marked) => marked_gate(text),
            (Trigger::Gate, _) => provisioning_gate(text),
        }
    }

    fn triggered_on_skeleton(&self, skeleton: &[u8]) -> bool {
        match &self.trigger {
            Trigger::Scan(_, on_skeleton) => on_skeleton(skeleton),
            Trigger::Gate => self.triggered(skeleton),
        }
    }
}

/// The detectors in priority order, for one region.
pub fn detectors(region: &Region) -> Vec<Box<dyn Detector>> {
    let table: [(Which, Trigger); 10] = [
        (Which::Uri, Trigger::Gate),
        (Which::Keyed, Trigger::Gate),
        (Which::Marked, Trigger::Gate),
        (Which::Provisioning, Trigger::Gate),
        (Which::Sip, Trigger::Scan(triggers::sip, triggers::sip)),
        (Which::Mac, Trigger::Scan(triggers::mac, triggers::mac)),
        (Which::Ipv6, Trigger::Scan(triggers::ipv6, triggers::ipv6)),
        (Which::Ipv4, Trigger::Scan(triggers::ipv4, triggers::ipv4)),
        (
            Which::Phone,
            Trigger::Scan(triggers::phone, triggers::phone_on_skeleton),
        ),
        (
            Which::Imei,
            Trigger::Scan(triggers::imei, triggers::imei_on_skeleton),
        ),
    ];
    table
        .into_iter()
        .map(|(which, trigger)| {
            Box::new(Real {
                which,
                region: region.clone(),
                trigger,
            }) as Box<dyn Detector>
        })
        .collect()
}

/// MAYBE_IDENTIFIER and its skeleton form.
pub fn prefilter() -> Prefilter {
    let maybe = re(MAYBE_IDENTIFIER);
    let on_skeleton = re(MAYBE_ON_SKELETON);
    Prefilter {
        maybe: Box::new(move |t| maybe.is_match(t)),
        maybe_on_skeleton: Box::new(move |s| on_skeleton.is_match(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::phone_rules::tests::rules;
    use crate::detect::Kind;
    use crate::scrub::{Counts, Scrubber};
    use proptest::prelude::*;

    fn scrubber() -> Scrubber {
        Scrubber::new(detectors(&Region::new(rules(), "DE")), prefilter())
    }

    fn scrub(s: &mut Scrubber, text: &[u8]) -> (Vec<u8>, Counts) {
        let mut token = |k: Kind, _: &str| format!("<{}>", k.name());
        let mut counts = Counts::default();
        let out = s.scrub(text, Reading::TEXT, &mut token, &mut counts);
        (out, counts)
    }

    /// Issue 22's new hostile shapes through the real detectors: each must run in one linear pass (a quadratic
    /// rescan would take minutes here; no time is asserted).
    #[test]
    fn hostile_issue_22_shapes() {
        let mut s = scrubber();
        let escapes = [b"%20".repeat(300_000), b"198.51.100.7".to_vec()].concat();
        let (out, counts) = scrub(&mut s, &escapes);
        assert_eq!(counts.get(Kind::Ip), 1);
        assert!(out.ends_with(b"<ip>"));
        let glued = b"%20198.51.100.7".repeat(50_000);
        let (_, counts) = scrub(&mut s, &glued);
        assert_eq!(counts.get(Kind::Ip), 50_000);
        let numbers = [b"/numbers".repeat(100_000), b"/017612345678/x".to_vec()].concat();
        let (out, counts) = scrub(&mut s, &numbers);
        assert_eq!(counts.get(Kind::Phone), 1);
        assert!(out.ends_with(b"/<phone>/x"));
        let tags = [b"IPv6:".repeat(100_000), b"2001:db8::1".to_vec()].concat();
        let (out, counts) = scrub(&mut s, &tags);
        assert_eq!(counts.get(Kind::Ip), 1);
        assert!(out.ends_with(b"IPv6:<ip>"));
        let keys = b"call dst_ouser=015223344556;".repeat(20_000);
        let (_, counts) = scrub(&mut s, &keys);
        assert_eq!(counts.get(Kind::Phone), 20_000);
    }

    /// A token can join a channel's peer segment, and the channel rule then reads the number after its slash:
    /// the scrub reads that text once more, so a second scrub finds nothing (found by the fuzzer).
    #[test]
    fn a_token_in_a_peer_segment_is_read_again() {
        let mut s = scrubber();
        for line in [
            &b"Dial(PJSIP/+4930000301000001-0IP/0301033009-0000001a)"[..],
            b"PJSIP/0301000001-0IP/0301033009-0000001a",
            b"x SIP/+49 30 1234567-0IP/0301033009 y",
        ] {
            // Tokens as the engine writes them: letters and a dash, bytes a peer segment is made of.
            let mut token = |k: Kind, _: &str| format!("{}-token", k.name().to_uppercase());
            let mut counts = Counts::default();
            let out = s.scrub(line, Reading::TEXT, &mut token, &mut counts);
            assert!(
                !out.windows(10).any(|w| w == b"0301033009"),
                "{}",
                String::from_utf8_lossy(&out)
            );
            assert_eq!(counts.get(Kind::Phone), 2);
            let mut again = Counts::default();
            let twice = s.scrub(&out, Reading::TEXT, &mut token, &mut again);
            assert_eq!((&*twice, again.total()), (&out[..], 0));
        }
    }

    /// The prefilter and the detectors for DE, built once for the property tests.
    fn built() -> &'static (Prefilter, Vec<Box<dyn Detector>>) {
        static BUILT: std::sync::OnceLock<(Prefilter, Vec<Box<dyn Detector>>)> =
            std::sync::OnceLock::new();
        BUILT.get_or_init(|| (prefilter(), detectors(&Region::new(rules(), "DE"))))
    }

    /// Pieces of log text where triggers meet: SIP URIs, Call-IDs, escapes, keys, addresses, hex words.
    fn pieces() -> impl Strategy<Value = Vec<u8>> {
        let pieces = prop::sample::select(vec![
            "1",
            "12",
            "0",
            "49",
            "7",
            "a",
            "ab",
            "cdef",
            "F",
            "fe80",
            "e164",
            "bc6887782b491044",
            "x",
            "g",
            "s",
            "er",
            "sip:",
            "tel:",
            "@",
            ":",
            "::",
            ".",
            "-",
            " ",
            "/",
            "+",
            "(",
            "%",
            "%2B",
            "%2b",
            "%2E",
            "%3A",
            "%40",
            "%5D",
            "%20",
            "<",
            "'",
            "\"",
            "=",
            "to=",
            "mac=",
            "imei=",
            ".cfg",
            "instance",
            "urn:gsma",
            "Call-ID: ",
            "PJSIP/",
            "IAX2/",
            "/numbers/",
            "/DID/",
            "devid ",
            "HWaddr ",
        ]);
        prop::collection::vec(pieces, 0..30).prop_map(|p| p.concat().into_bytes())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]

        /// Wherever a detector's trigger (or the prefilter) meets a text, its skeleton form meets the text's
        /// skeleton (every digit written as 0): selecting by skeleton never skips a detector the text would run.
        #[test]
        fn skeleton_forms_cover_the_triggers(text in pieces()) {
            let (filter, detectors) = built();
            let mut skeleton = Vec::new();
            crate::scrub::skeleton_into(&text, &mut skeleton);
            if (filter.maybe)(&text) {
                prop_assert!((filter.maybe_on_skeleton)(&skeleton), "prefilter on {:?}", String::from_utf8_lossy(&text));
            }
            for (i, d) in detectors.iter().enumerate() {
                if d.triggered(&text) {
                    prop_assert!(d.triggered_on_skeleton(&skeleton), "detector {i} on {:?}", String::from_utf8_lossy(&text));
                }
            }
        }
    }

    /// A text of log pieces with numbers of every length between them.
    fn pieces_and_numbers() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![pieces(), "[0-9]{1,16}".prop_map(String::into_bytes)],
            0..8,
        )
        .prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20000, ..ProptestConfig::default() })]

        /// A trigger is a superset test: a detector whose trigger fails on a text finds nothing in it, and
        /// nothing is found where the prefilter fails. Selection by trigger (texts over SKELETON_MAX are selected
        /// on their own bytes) then never hides an identifier that running every detector would find.
        #[test]
        fn a_detector_whose_trigger_fails_finds_nothing(text in pieces_and_numbers()) {
            let (filter, detectors) = built();
            let maybe = (filter.maybe)(&text);
            for (i, d) in detectors.iter().enumerate() {
                for reading in [Reading::TEXT, Reading::AGENT] {
                    let mut found = Vec::new();
                    d.find(&text, reading, &mut found);
                    if !found.is_empty() {
                        prop_assert!(d.triggered(&text), "detector {i} found {:?} untriggered in {:?}", found, String::from_utf8_lossy(&text));
                        prop_assert!(maybe, "detector {i} found {:?} past the prefilter in {:?}", found, String::from_utf8_lossy(&text));
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// A percent-escape glued before any found address or number hides nothing (issue 22, shape 1).
        #[test]
        fn glued_escapes_hide_nothing(
            a in 1u8..=223, b: u8, c: u8, d in 1u8..=254,
            esc in prop::sample::select(vec!["%20", "%22", "%27", "%28", "%26", "%09", "%0A", "%3D", "%2C", "%7C"]),
        ) {
            let mut s = scrubber();
            let ip = format!("{a}.{b}.{c}.{d}");
            let plain = format!("client {ip} x");
            let (_, plain_counts) = scrub(&mut s, plain.as_bytes());
            prop_assume!(plain_counts.get(Kind::Ip) == 1);
            let line = format!("GET /q?m=a{esc}{ip}{esc}b");
            let (out, counts) = scrub(&mut s, line.as_bytes());
            prop_assert_eq!(counts.get(Kind::Ip), 1, "{}", String::from_utf8_lossy(&out));
            prop_assert!(!out.windows(ip.len()).any(|w| w == ip.as_bytes()));
        }
    }
}
