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
    pub fn new(start: usize, end: usize, kind: Kind, normalised: &str) -> Found {
        let value = if normalised.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..normalised.len()].copy_from_slice(normalised.as_bytes());
            Value::Inline {
                kind,
                len: normalised.len() as u8,
                bytes,
            }
        } else {
            Value::Heap {
                kind,
                text: normalised.into(),
            }
        };
        Found { start, end, value }
    }

    pub fn kind(&self) -> Kind {
        match self.value {
            Value::Inline { kind, .. } | Value::Heap { kind, .. } => kind,
        }
    }

    /// The value the token is made from.
    pub fn normalised(&self) -> &str {
        match &self.value {
            // A whole str was copied in (the check reads at most 21 bytes).
            Value::Inline { len, bytes, .. } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).expect("copied whole from a str")
            }
            Value::Heap { text, .. } => text,
        }
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
