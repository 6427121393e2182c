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
use hmac::{Hmac, Mac};
use sha2::Sha256;

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

/// HMAC-SHA256 keyed once: the key's inner and outer pad blocks are hashed here, so each value then
/// costs a clone of this state plus the message and the outer block, never the pads again.
pub fn prepared_hmac(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// The MAC of `message` under a prepared state.
pub fn hmac_digest(prepared: &Hmac<Sha256>, message: &[u8]) -> [u8; 32] {
    let mut mac = prepared.clone();
    mac.update(message);
    mac.finalize().into_bytes().into()
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

    #[test]
    fn prepared_state_equals_a_fresh_hmac_for_every_key_length() {
        // Keys longer than a block are hashed first; shorter ones are zero-padded: both must survive the clone.
        for key_length in [0usize, 1, 32, 63, 64, 65, 200] {
            let key: Vec<u8> = (0..key_length).map(|i| ((7 * i + 3) % 256) as u8).collect();
            let prepared = prepared_hmac(&key);
            for message in [&b""[..], b"198.51.100.7", &[0xabu8; 700][..]] {
                let mut fresh = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
                fresh.update(message);
                let expected: [u8; 32] = fresh.finalize().into_bytes().into();
                assert_eq!(hmac_digest(&prepared, message), expected);
            }
        }
    }

    #[test]
    fn rfc4231_case_2() {
        let prepared = prepared_hmac(b"Jefe");
        assert_eq!(
            hex(&hmac_digest(&prepared, b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
