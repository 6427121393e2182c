//! What the targets share: the numbering rules, the real detectors behind the scrubber's `Detector` trait,
//! a deterministic tokeniser, and small helpers.

use std::sync::{Arc, OnceLock};

use _core::detect::phone_rules::{PhoneRules, Region};
use _core::detect::{context, device, ip, phone, sip, Found, Kind};
use _core::pseudonym::{self, Style};
use _core::scrub::{Detector, Prefilter, Reading, Scrubber};

/// The numbering rules the crate's own tests use (a snapshot of pseudolog.phone_rules.region_spec()).
const PHONE_RULES: &str = include_str!("../../src/detect/testdata/phone_rules.tsv");

/// `--region DE`, built once per process.
pub fn region() -> &'static Region {
    static REGION: OnceLock<Region> = OnceLock::new();
    REGION.get_or_init(|| {
        let rules = PhoneRules::from_spec(PHONE_RULES).expect("the test rules parse");
        Region::new(Arc::new(rules), "DE")
    })
}

/// A detector rule as the scrubber runs it: a function over (text, reading), optionally behind a gate.
pub type Rule = fn(&[u8], Reading, &mut Vec<Found>);

/// Every reading a text can be given (plain, user agent, unbracketed ports).
pub const READINGS: [Reading; 3] = [
    Reading::TEXT,
    Reading::AGENT,
    Reading {
        in_agent: false,
        unbracketed_ports: true,
    },
];

/// Every detector, by name, in the scrubber's priority order (tests/reference/scrub.py: context, SIP, MAC, IPv6,
/// IPv4, phone, IMEI).
pub const RULES: [(&str, Rule); 9] = [
    ("uri", |t, _, o| context::uri_numbers(t, region(), o)),
    ("keyed", |t, _, o| context::keyed_numbers(t, region(), o)),
    ("provisioning", |t, _, o| {
        context::provisioning_macs(t, region(), o)
    }),
    ("sip", |t, _, o| sip::find_sip(t, region(), o)),
    ("mac", |t, _, o| device::find_mac(t, o)),
    ("ipv6", |t, r, o| {
        if r.unbracketed_ports {
            ip::find_ipv6_unbracketed_ports(t, o)
        } else {
            ip::find_ipv6(t, o)
        }
    }),
    ("ipv4", |t, r, o| ip::find_ipv4(t, r.in_agent, o)),
    ("phone", |t, _, o| phone::find_international(t, region(), o)),
    ("imei", |t, _, o| device::find_imei(t, o)),
];

/// The gate a rule runs behind in the scrubber (the context rules' own gates; the rest always run, which
/// is a superset of what the engine's triggers allow).
fn gate(name: &str) -> Option<fn(&[u8]) -> bool> {
    match name {
        "uri" => Some(context::uri_gate),
        "keyed" => Some(context::keyed_gate),
        "provisioning" => Some(context::provisioning_gate),
        _ => None,
    }
}

/// A real detector behind the scrubber's trait (the engine will bring its own; this adapter is the fuzz
/// targets' until then).
pub struct Real {
    rule: Rule,
    gate: Option<fn(&[u8]) -> bool>,
}

impl Detector for Real {
    fn find(&self, text: &[u8], reading: Reading, out: &mut Vec<Found>) {
        (self.rule)(text, reading, out);
    }

    fn triggered(&self, text: &[u8]) -> bool {
        self.gate.is_none_or(|g| g(text))
    }

    // The context gates read no digit: the same answer on the skeleton.
    fn triggered_on_skeleton(&self, skeleton: &[u8]) -> bool {
        self.triggered(skeleton)
    }
}

/// A scrubber with every real detector in priority order and no prefilter (every detector runs).
pub fn scrubber() -> Scrubber {
    let detectors: Vec<Box<dyn Detector>> = RULES
        .iter()
        .map(|&(name, rule)| {
            Box::new(Real {
                rule,
                gate: gate(name),
            }) as Box<dyn Detector>
        })
        .collect();
    Scrubber::new(detectors, Prefilter::default())
}

/// FNV-1a: a cheap, stable hash for deriving knobs and tokens from bytes.
pub fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A deterministic stand-in for the pseudonymiser: the real token shape (`PHONE-` and sixteen letters, written
/// by `pseudonym::write_token`), with a hash of the kind and value in place of the HMAC. The shape matters: a
/// token glues to the word after it just as the engine's do, so what a second pass may read is what it would
/// read in the engine's output.
pub fn token(kind: Kind, normalised: &str) -> String {
    let mut mac = [0u8; 32];
    let mut h = fnv(normalised.as_bytes()) ^ (kind as u64);
    for chunk in mac.chunks_mut(8) {
        h = fnv(&h.to_le_bytes());
        chunk.copy_from_slice(&h.to_le_bytes());
    }
    let mut out = Vec::new();
    pseudonym::write_token(kind, &mac, normalised, &Style::default(), &mut out);
    String::from_utf8(out).expect("tokens are ASCII")
}

/// Which positions of `text` a span may start or end at: not inside a valid multi-byte UTF-8 sequence (an
/// invalid byte stands alone, as Python's surrogateescape reads it), so replacing a span keeps valid UTF-8
/// valid and never cuts a character of partly invalid input. Index `text.len()` is included.
pub fn boundaries(text: &[u8]) -> Vec<bool> {
    let mut ok = vec![true; text.len() + 1];
    let mut pos = 0;
    for chunk in text.utf8_chunks() {
        for c in chunk.valid().chars() {
            for inside in 1..c.len_utf8() {
                ok[pos + inside] = false;
            }
            pos += c.len_utf8();
        }
        pos += chunk.invalid().len();
    }
    ok
}

/// A tiny deterministic generator (xorshift64*) for read sizes and the like.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// In 1..=n.
    pub fn upto(&mut self, n: usize) -> usize {
        1 + (self.next_u64() % n as u64) as usize
    }
}
