//! Target `detectors`: every detector in src/detect/ on arbitrary bytes.
//!
//! Checked: no panic; every finding has start < end <= len (the scrubber drops empty spans, so a detector
//! never needs to report one); spans start and end on character boundaries of the input's bytes (never inside a valid multi-byte
//! sequence) (the
//! scrubber replaces them, so a split UTF-8 sequence would corrupt the output); the normalised value
//! re-normalises to itself (phone values: up to trunk zeros
//! phonenumbers peels one per read, see below) (the token of a value must not depend on how often it was normalised: `lookup`
//! normalises the user's value again); the kind fits the rule.

use _core::detect::{device, ip, phone, sip, Found, Kind};

use crate::common::{boundaries, region, READINGS, RULES};

/// The normaliser of a kind, applied to an already normalised value.
pub fn renormalise(kind: Kind, value: &str) -> Option<String> {
    match kind {
        Kind::Ip => ip::normalise_ip(value),
        Kind::Phone => phone::normalise_phone(value, region()),
        Kind::Mac => device::normalise_mac(value.as_bytes()),
        Kind::Imei => device::normalise_imei(value.as_bytes()),
        Kind::Device => sip::normalise_device(value),
    }
}

/// The findings of one rule over a text, checked.
pub fn check_findings(name: &str, text: &[u8], found: &[Found]) {
    if found.is_empty() {
        return;
    }
    let boundary = boundaries(text);
    for f in found {
        assert!(
            f.start < f.end && f.end <= text.len(),
            "{name}: span {}..{} outside a text of {} bytes",
            f.start,
            f.end,
            text.len()
        );
        assert!(
            boundary[f.start] && boundary[f.end],
            "{name}: span {}..{} splits a UTF-8 sequence",
            f.start,
            f.end
        );
        let again = renormalise(f.kind(), f.normalised());
        if f.kind() == Kind::Phone && again.as_deref() != Some(f.normalised()) {
            // Known and shared with Python: a national number whose rest starts with the trunk prefix again
            // (`000457504646` in DE) reads as `+4900457504646`, which phonenumbers reads back as
            // `+490457504646`, one trunk `0` less per read. Held to: re-reading only drops zeros.
            let value =
                again.unwrap_or_else(|| panic!("{name}: a phone value that does not normalise"));
            assert_eq!(
                value.replace('0', ""),
                f.normalised().replace('0', ""),
                "{name}: re-normalising a phone value changed more than trunk zeros"
            );
        } else {
            assert_eq!(
                again.as_deref(),
                Some(f.normalised()),
                "{name}: a {} value does not re-normalise to itself",
                f.kind().name()
            );
        }
        let kind_fits = match name {
            "ipv4" | "ipv6" => f.kind() == Kind::Ip,
            "mac" | "provisioning" => f.kind() == Kind::Mac,
            "imei" => f.kind() == Kind::Imei,
            "phone" | "uri" => f.kind() == Kind::Phone,
            _ => true,
        };
        assert!(kind_fits, "{name}: found a {}", f.kind().name());
    }
}

pub fn check(data: &[u8]) {
    let mut found = Vec::new();
    for (name, rule) in RULES {
        for reading in READINGS {
            if (reading.in_agent && name != "ipv4") || (reading.unbracketed_ports && name != "ipv6")
            {
                continue;
            }
            found.clear();
            rule(data, reading, &mut found);
            check_findings(name, data, &found);
        }
    }
    // find_context is the three context rules behind their gates: the same findings, in the same order.
    found.clear();
    _core::detect::context::find_context(data, region(), &mut found);
    check_findings("context", data, &found);
}
