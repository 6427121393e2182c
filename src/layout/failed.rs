//! The matcher's failure memo: for each element of a pattern, the positions of the line from which the rest of
//! the pattern failed, one bit a position.
//!
//! A hash set of (element, position) pairs held these before. A hostile line offers one candidate end a byte (a
//! run of blanks, a time's long fraction) and a failed match remembers each: 53 bytes of memory a byte of line,
//! 3.3 GB for a 63 MB line held whole. A bit a position is at most an eighth of a byte a byte for each element
//! that fails anywhere, and an element's bits are only made when it first fails, so most lines (which fail
//! nowhere) touch none.

/// Words an element keeps between lines; a memo grown past this for a long line is given back at the next.
const KEPT_WORDS: usize = 1 << 10;

#[derive(Default)]
pub struct FailedMemo {
    /// Per element (grown to the longest pattern matched so far): its positions' bits, empty until it fails.
    bits: Vec<Vec<u64>>,
    /// The elements whose bits are in use, to clear at the next line.
    touched: Vec<usize>,
    /// Words of bits for the current line's positions (0 ..= its length).
    words: usize,
}

impl FailedMemo {
    /// Empty, for a pattern of `elements` over a line of `len` bytes.
    pub fn reset(&mut self, elements: usize, len: usize) {
        for &i in &self.touched {
            let bits = &mut self.bits[i];
            if bits.capacity() > KEPT_WORDS {
                *bits = Vec::new();
            } else {
                bits.clear();
            }
        }
        self.touched.clear();
        if self.bits.len() < elements {
            self.bits.resize_with(elements, Vec::new);
        }
        self.words = len / 64 + 1;
    }

    pub fn is_empty(&self) -> bool {
        self.touched.is_empty()
    }

    pub fn contains(&self, element: usize, position: usize) -> bool {
        self.bits[element]
            .get(position / 64)
            .is_some_and(|word| word >> (position % 64) & 1 == 1)
    }

    pub fn insert(&mut self, element: usize, position: usize) {
        let bits = &mut self.bits[element];
        if bits.is_empty() {
            bits.resize(self.words, 0);
            self.touched.push(element);
        }
        bits[position / 64] |= 1 << (position % 64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    proptest! {
        /// Answers as a set of pairs does, across lines of different lengths and patterns of different sizes.
        #[test]
        fn answers_as_a_set_of_pairs(
            lines in prop::collection::vec(
                (1usize..12, 0usize..300, prop::collection::vec((0usize..12, 0usize..301), 0..60)),
                1..6,
            )
        ) {
            let mut memo = FailedMemo::default();
            for (elements, len, inserts) in lines {
                memo.reset(elements, len);
                let mut set = HashSet::new();
                prop_assert!(memo.is_empty());
                for (i, p) in inserts {
                    let (i, p) = (i % elements, p % (len + 1));
                    memo.insert(i, p);
                    set.insert((i, p));
                }
                prop_assert_eq!(memo.is_empty(), set.is_empty());
                for i in 0..elements {
                    for p in 0..=len {
                        prop_assert_eq!(memo.contains(i, p), set.contains(&(i, p)));
                    }
                }
            }
        }
    }
}
