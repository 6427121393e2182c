//! A detected identifier, sized for texts that hold millions of them.
//!
//! Nearly every normalised value is short: an IPv4 address, an E.164 number, a MAC or an IMEI is at most 17 bytes.
//! Such a value is kept inside the finding, so finding it allocates nothing, and a line held whole with 4.8 million
//! identifiers costs 40 bytes for each instead of 48 and a string on the heap (80 and more). Longer values (IPv6
//! addresses, SIP instance ids) go to the heap. The kind sits in the value's spare bytes, which keeps a finding at
//! 40 bytes.

use std::fmt;

use super::Kind;

/// The longest value kept inside a finding (the value's 24 bytes less its tag, kind and length).
const INLINE: usize = 21;

#[derive(Clone, PartialEq, Eq)]
enum Value {
    Inline {
        kind: Kind,
        len: u8,
        bytes: [u8; INLINE],
    },
    Heap {
        kind: Kind,
        text: Box<str>,
    },
}

impl Value {
    /// `text` (at most INLINE bytes, valid UTF-8) kept inside the value.
    fn inline(kind: Kind, text: &[u8]) -> Value {
        let mut bytes = [0; INLINE];
        bytes[..text.len()].copy_from_slice(text);
        let len = text.len() as u8;
        Value::Inline { kind, len, bytes }
    }
}

/// A detected identifier: `text[start..end]` is replaced by the token for (`kind()`, `normalised()`).
#[derive(Clone, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    value: Value,
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Found>() == 40);

impl Found {
    /// A finding of `text[start..end]` standing for `normalised`, copied in (inside the finding when short).
    pub fn new(start: usize, end: usize, kind: Kind, normalised: &str) -> Found {
        let value = if normalised.len() <= INLINE {
            Value::inline(kind, normalised.as_bytes())
        } else {
            Value::Heap {
                kind,
                text: normalised.into(),
            }
        };
        Found { start, end, value }
    }

    /// A finding whose value is ASCII its detector wrote itself (a dotted quad, an IMEI's digits); anything else
    /// is kept as its lossy text.
    pub fn from_ascii(start: usize, end: usize, kind: Kind, value: &[u8]) -> Found {
        if value.len() <= INLINE && value.is_ascii() {
            let value = Value::inline(kind, value);
            Found { start, end, value }
        } else {
            Found::new(start, end, kind, &String::from_utf8_lossy(value))
        }
    }

    pub fn kind(&self) -> Kind {
        match self.value {
            Value::Inline { kind, .. } | Value::Heap { kind, .. } => kind,
        }
    }

    /// The value the token is made from, as the tokeniser takes it: no UTF-8 check on the way to every token.
    pub fn normalised_bytes(&self) -> &[u8] {
        match &self.value {
            Value::Inline { len, bytes, .. } => &bytes[..usize::from(*len)],
            Value::Heap { text, .. } => text.as_bytes(),
        }
    }

    /// The value as text (it was given as a str, or as ASCII).
    pub fn normalised(&self) -> &str {
        std::str::from_utf8(self.normalised_bytes()).expect("a str or ASCII was copied in whole")
    }
}

impl fmt::Debug for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Found")
            .field("start", &self.start)
            .field("end", &self.end)
            .field("kind", &self.kind())
            .field("normalised", &self.normalised())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_value_comes_back_as_given_inline_or_not(text in ".{0,40}", k in 0..Kind::ALL.len()) {
            let f = Found::new(3, 9, Kind::ALL[k], &text);
            prop_assert_eq!(f.normalised(), text.as_str());
            prop_assert_eq!(f.kind(), Kind::ALL[k]);
            prop_assert_eq!((f.start, f.end), (3, 9));
        }
    }

    proptest! {
        #[test]
        fn ascii_bytes_are_kept_as_given_and_other_bytes_as_their_text(value in proptest::collection::vec(any::<u8>(), 0..30)) {
            let f = Found::from_ascii(0, 1, Kind::Ip, &value);
            prop_assert_eq!(f.normalised(), String::from_utf8_lossy(&value));
        }
    }

    #[test]
    fn the_longest_inline_value_and_the_shortest_on_the_heap() {
        for len in [INLINE, INLINE + 1] {
            let text = "9".repeat(len);
            assert_eq!(Found::new(0, len, Kind::Phone, &text).normalised(), text);
        }
        assert!(matches!(
            Found::new(0, 1, Kind::Ip, &"1".repeat(INLINE)).value,
            Value::Inline { .. }
        ));
        assert!(matches!(
            Found::new(0, 1, Kind::Ip, &"1".repeat(INLINE + 1)).value,
            Value::Heap { .. }
        ));
    }
}
