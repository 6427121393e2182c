//! Small byte-level helpers the detectors share (port of the helpers in tests/reference/detect/__init__.py).
//!
//! Python's `hinted_matches` has no counterpart: it existed to keep `re` from trying a lookbehind-led regex at
//! every position. The Rust scanners find their candidates with `memchr` on a literal every match holds at a
//! fixed place (a separator), and check the bytes before and after by hand, so each candidate costs O(1).

/// A set of bytes as a lookup table, built at compile time.
#[derive(Clone, Copy)]
pub struct ByteSet([bool; 256]);

impl ByteSet {
    /// The bytes of `members` (plain listing; ranges are spelled out by the callers' constants).
    pub const fn of(members: &[u8]) -> ByteSet {
        let mut table = [false; 256];
        let mut i = 0;
        while i < members.len() {
            table[members[i] as usize] = true;
            i += 1;
        }
        ByteSet(table)
    }

    #[inline]
    pub const fn has(&self, byte: u8) -> bool {
        self.0[byte as usize]
    }

    /// Whether `text[i]` exists and is in the set.
    #[inline]
    pub fn at(&self, text: &[u8], i: usize) -> bool {
        i < text.len() && self.has(text[i])
    }

    /// How many bytes of the set run from `text[i]` forwards, counting at most `limit`.
    #[inline]
    pub fn run_after(&self, text: &[u8], i: usize, limit: usize) -> usize {
        let mut k = 0;
        while k < limit && self.at(text, i + k) {
            k += 1;
        }
        k
    }

    /// How many bytes of the set run backwards from just before `end`, counting at most `limit`.
    #[inline]
    pub fn run_before(&self, text: &[u8], end: usize, limit: usize) -> usize {
        let mut k = 0;
        while k < limit && k < end && self.has(text[end - k - 1]) {
            k += 1;
        }
        k
    }
}

pub const DIGITS: ByteSet = ByteSet::of(b"0123456789");
pub const HEX: ByteSet = ByteSet::of(b"0123456789abcdefABCDEF");
pub const LETTERS: ByteSet = ByteSet::of(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
pub const LETTERS_AND_DIGITS: ByteSet =
    ByteSet::of(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");

/// Where the run of `chars` that ends at `end` starts, when it is not empty and at most `longest` long (Python's
/// `run_before`, which also returns the run lower-cased: compare `text[start..end]` with `eq_ignore_ascii_case`
/// instead). Rules that read a key or word backwards from a separator check it against a set whose longest
/// member is `longest`, so at most `longest + 1` bytes are looked at.
pub fn run_before(text: &[u8], end: usize, chars: &ByteSet, longest: usize) -> Option<usize> {
    let k = chars.run_before(text, end, longest + 1);
    (k != 0 && k <= longest).then(|| end - k)
}

/// The Luhn check over ASCII digits: from the right, every second digit counts double (less 9 above 9).
pub fn luhn_ok(digits: &[u8]) -> bool {
    const DOUBLE: [u32; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(place, &c)| {
            let d = u32::from(c.wrapping_sub(b'0'));
            if place % 2 == 1 {
                DOUBLE[d as usize % 10]
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_before_table() {
        let keys = ByteSet::of(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_");
        // (text, end, longest) -> start
        let cases: &[(&[u8], usize, usize, Option<usize>)] = &[
            (b"x caller=", 8, 6, Some(2)),
            (b"caller=", 6, 6, Some(0)),
            (b"xcaller=", 7, 6, None), // seven letters: longer than any key
            (b" =", 1, 6, None),       // empty run
            (b"to=", 2, 6, Some(0)),
        ];
        for &(text, end, longest, want) in cases {
            assert_eq!(run_before(text, end, &keys, longest), want, "{:?}", text);
        }
    }

    #[test]
    fn luhn_table() {
        assert!(luhn_ok(b"490154203237518"));
        assert!(!luhn_ok(b"490154203237519"));
        assert!(luhn_ok(b"0"));
        assert!(luhn_ok(b"18"));
        assert!(!luhn_ok(b"19"));
    }
}
