//! The per-window, per-kind key schedule (pseudolog/keys.py holds the key files; this is the arithmetic):
//!
//! ```text
//! kind_key = HKDF-SHA256(root, salt="pseudolog/v1", info="pseudolog/v1 kind=<kind> window=<start>/<len>")
//! ```
//!
//! with `window=static` when there is no window. The root is the master key, or a keyring's key for the
//! window. A token for an IP can never equal one for a phone number, and one window's key says nothing
//! about another's.

use hkdf::Hkdf;
use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256};

pub const KEY_BYTES: usize = 32;
pub const SCHEME: &[u8] = b"pseudolog/v1";

/// HKDF-SHA256 of `root` for one kind and window; static when either the start or the length is None.
pub fn derive_kind_key(
    root: &[u8],
    kind: &str,
    window_start: Option<i64>,
    window_length: Option<i64>,
) -> [u8; KEY_BYTES] {
    let mut info = Vec::with_capacity(64);
    info.extend_from_slice(SCHEME);
    info.extend_from_slice(b" kind=");
    info.extend_from_slice(kind.as_bytes());
    info.extend_from_slice(b" window=");
    match (window_start, window_length) {
        (Some(start), Some(length)) => {
            info.extend_from_slice(format!("{start}/{length}").as_bytes())
        }
        _ => info.extend_from_slice(b"static"),
    }
    let mut key = [0u8; KEY_BYTES];
    Hkdf::<Sha256>::new(Some(SCHEME), root)
        .expand(&info, &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    key
}

/// HMAC-SHA256 (RFC 2104) keyed once: the key's inner and outer pad blocks are hashed here, so a value then
/// costs the SHA-256 compressions of its own blocks and of the outer block, nothing else. Written over the
/// compression function because nearly every value fits one block: there the `hmac` crate's state cost a third
/// more (123 against 92 ns a value) in the buffer bookkeeping and copies around the same two compressions.
#[derive(Clone)]
pub struct PreparedHmac {
    inner: [u32; 8],
    outer: [u32; 8],
}

const BLOCK: usize = 64;
/// SHA-256's initial state (FIPS 180-4, 5.3.3).
const SHA256_INITIAL: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

impl PreparedHmac {
    pub fn new(key: &[u8]) -> PreparedHmac {
        // A key longer than a block is hashed first; a shorter one is padded with zeros.
        let mut block = [0u8; BLOCK];
        if key.len() > BLOCK {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| {
            let padded: [u8; BLOCK] = std::array::from_fn(|i| block[i] ^ byte);
            let mut state = SHA256_INITIAL;
            compress(&mut state, &padded);
            state
        };
        PreparedHmac {
            inner: pad(0x36),
            outer: pad(0x5c),
        }
    }

    /// The MAC of `message`.
    pub fn digest(&self, message: &[u8]) -> [u8; 32] {
        let inner = to_bytes(finish(self.inner, message));
        to_bytes(finish(self.outer, &inner))
    }
}

/// SHA-256 of a pad block and `message`, from the state after the pad block: `message`'s whole blocks, then
/// its rest with the padding (0x80, zeros, the length in bits), one block or two.
fn finish(mut state: [u32; 8], message: &[u8]) -> [u32; 8] {
    let mut blocks = message.chunks_exact(BLOCK);
    for block in &mut blocks {
        compress(&mut state, block);
    }
    let rest = blocks.remainder();
    let mut last = [0u8; 2 * BLOCK];
    last[..rest.len()].copy_from_slice(rest);
    last[rest.len()] = 0x80;
    let end = if rest.len() < BLOCK - 8 {
        BLOCK
    } else {
        2 * BLOCK
    };
    let bits = ((BLOCK + message.len()) as u64) * 8;
    last[end - 8..end].copy_from_slice(&bits.to_be_bytes());
    for block in last[..end].chunks_exact(BLOCK) {
        compress(&mut state, block);
    }
    state
}

fn compress(state: &mut [u32; 8], block: &[u8]) {
    sha2::compress256(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

fn to_bytes(state: [u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn rfc5869_case_1_through_our_expand() {
        // RFC 5869 A.1 with the pieces our schedule fixes replaced: checks the crate is wired as HKDF
        // (extract with the salt, then expand with the info), independent of pseudolog's strings.
        let ikm = [0x0bu8; 22];
        let salt: Vec<u8> = (0u8..=0x0c).collect();
        let info: Vec<u8> = (0xf0u8..=0xf9).collect();
        let mut okm = [0u8; 42];
        Hkdf::<Sha256>::new(Some(&salt), &ikm)
            .expand(&info, &mut okm)
            .unwrap();
        assert_eq!(
            hex(&okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    #[test]
    fn static_when_either_half_of_the_window_is_missing() {
        let root = [7u8; 32];
        let a = derive_kind_key(&root, "ip", None, None);
        assert_eq!(a, derive_kind_key(&root, "ip", Some(0), None));
        assert_eq!(a, derive_kind_key(&root, "ip", None, Some(3600)));
        assert_ne!(a, derive_kind_key(&root, "ip", Some(0), Some(3600)));
        assert_ne!(a, derive_kind_key(&root, "phone", None, None));
    }

    #[test]
    fn negative_windows_are_written_with_their_sign() {
        let root = [1u8; 32];
        assert_ne!(
            derive_kind_key(&root, "ip", Some(-3600), Some(3600)),
            derive_kind_key(&root, "ip", Some(3600), Some(3600))
        );
    }

    fn reference_hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    #[test]
    fn prepared_state_equals_the_hmac_crate_at_every_padding_edge() {
        // Keys longer than a block are hashed first, shorter ones zero-padded; a message's rest of 55 bytes
        // still takes its padding in one block, of 56 in two.
        for key_length in [0usize, 1, 32, 63, 64, 65, 200] {
            let key: Vec<u8> = (0..key_length).map(|i| ((7 * i + 3) % 256) as u8).collect();
            let prepared = PreparedHmac::new(&key);
            for length in [0usize, 1, 12, 55, 56, 63, 64, 65, 119, 120, 128, 700] {
                let message: Vec<u8> = (0..length).map(|i| (i * 31 % 251) as u8).collect();
                assert_eq!(
                    prepared.digest(&message),
                    reference_hmac(&key, &message),
                    "key {key_length} bytes, message {length} bytes"
                );
            }
        }
    }

    #[test]
    fn rfc4231_cases_2_and_6() {
        let prepared = PreparedHmac::new(b"Jefe");
        assert_eq!(
            hex(&prepared.digest(b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A 131-byte key (hashed first) and a 54-byte message.
        let prepared = PreparedHmac::new(&[0xaa; 131]);
        assert_eq!(
            hex(&prepared.digest(b"Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    proptest::proptest! {
        #[test]
        fn prepared_state_equals_the_hmac_crate(
            key in proptest::collection::vec(proptest::num::u8::ANY, 0..150),
            message in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
        ) {
            proptest::prop_assert_eq!(PreparedHmac::new(&key).digest(&message), reference_hmac(&key, &message));
        }
    }
}
