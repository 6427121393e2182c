//! Identifier detectors, one module per kind. Each appends what it finds in a byte string to `out`;
//! overlaps between detectors are settled later by the scrubber, in priority order.

pub mod context;
pub mod device;
mod found;
pub mod ip;
pub mod phone;
pub mod phone_rules;
pub mod scan;
pub mod sip;

pub use found::Found;

/// What an identifier is; it picks the token's prefix and the per-kind key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Ip,
    Phone,
    Mac,
    Imei,
    Device,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Ip, Kind::Phone, Kind::Mac, Kind::Imei, Kind::Device];

    /// The name used in key derivation, options and counts (`ip`, `phone`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ip => "ip",
            Kind::Phone => "phone",
            Kind::Mac => "mac",
            Kind::Imei => "imei",
            Kind::Device => "device",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Whether `text` holds `lit` at `at`, either case.
pub(crate) fn starts_with_ignore_case(text: &[u8], at: usize, lit: &[u8]) -> bool {
    text.len() >= at + lit.len() && text[at..at + lit.len()].eq_ignore_ascii_case(lit)
}

/// Whether `word` ends with `suffix`, either case.
pub(crate) fn ends_with_ignore_case(word: &[u8], suffix: &[u8]) -> bool {
    word.len() >= suffix.len() && word[word.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// The decimal digits of `n` written into `out` from `at` on (ten bytes hold any u32): where they end.
/// Normalised forms are built for every new identifier, so they are written without the formatting machinery.
pub(crate) fn write_decimal(out: &mut [u8], at: usize, n: u32) -> usize {
    let end = if n >= 10 {
        write_decimal(out, at, n / 10)
    } else {
        at
    };
    out[end] = b'0' + (n % 10) as u8;
    end + 1
}

/// The decimal digits of `n`, onto `out`.
pub(crate) fn push_decimal(out: &mut String, n: u32) {
    let mut digits = [0; 10];
    let len = write_decimal(&mut digits, 0, n);
    out.extend(digits[..len].iter().map(|&c| char::from(c)));
}

/// The lowercase hex digits of `n` without leading zeros (`{n:x}`), onto `out`.
pub(crate) fn push_hex(out: &mut String, n: u16) {
    if n >= 16 {
        push_hex(out, n / 16);
    }
    out.push(char::from(b"0123456789abcdef"[usize::from(n % 16)]));
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn digits_are_written_as_format_writes_them(n: u32, h: u16) {
            let (mut dec, mut hex) = (String::new(), String::new());
            push_decimal(&mut dec, n);
            push_hex(&mut hex, h);
            proptest::prop_assert_eq!(dec, n.to_string());
            proptest::prop_assert_eq!(hex, format!("{h:x}"));
        }
    }

    #[test]
    fn kind_names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(Kind::from_name("email"), None);
    }
}

/// What the detectors' table tests compare: each finding as the text it covers and what it stands for.
#[cfg(test)]
pub(crate) mod testing {
    use super::Found;

    fn covered(text: &[u8], f: &Found) -> String {
        String::from_utf8_lossy(&text[f.start..f.end]).into_owned()
    }

    /// (covered text, normalised value) per finding.
    pub fn spans(text: &[u8], found: Vec<Found>) -> Vec<(String, String)> {
        found
            .into_iter()
            .map(|f| (covered(text, &f), f.normalised().to_owned()))
            .collect()
    }

    /// The covered texts of `kinded` findings.
    pub fn texts(found: &[(String, &'static str, String)]) -> Vec<String> {
        found.iter().map(|(t, _, _)| t.clone()).collect()
    }

    /// A table case: a text and the (covered text, kind, normalised value) of each finding it must give.
    pub type KindedCase = (
        &'static [u8],
        &'static [(&'static str, &'static str, &'static str)],
    );

    /// Holds `found` to every case of a table.
    pub fn assert_kinded(
        cases: &[KindedCase],
        found: impl Fn(&[u8]) -> Vec<(String, &'static str, String)>,
    ) {
        for (text, want) in cases {
            let want: Vec<(String, &str, String)> = want
                .iter()
                .map(|(a, k, n)| (a.to_string(), *k, n.to_string()))
                .collect();
            assert_eq!(found(text), want, "{}", String::from_utf8_lossy(text));
        }
    }

    /// (covered text, kind, normalised value) per finding.
    pub fn kinded(text: &[u8], found: Vec<Found>) -> Vec<(String, &'static str, String)> {
        found
            .into_iter()
            .map(|f| {
                (
                    covered(text, &f),
                    f.kind().name(),
                    f.normalised().to_owned(),
                )
            })
            .collect()
    }
}
