//! ipcrypt-pfx: keyed prefix-preserving encryption of IP addresses (draft-denis-ipcrypt, section 6.2).
//!
//! For every bit from the most significant one, the bits seen so far, padded as zeros || 1 || prefix, go
//! through the PRF AES128(K1, .) XOR AES128(K2, .); its least significant bit flips (or not) the current
//! bit. Two addresses that share their first n bits share their first n encrypted bits: a subnet stays a
//! subnet. IPv4 addresses are processed as the last 32 bits of their IPv4-mapped form and stay IPv4.
//!
//! The padded prefixes depend only on the input's bits, never on the output's, so all 32 (IPv4) or 128
//! (IPv6) PRF blocks are built first and encrypted in one batch, which lets AES-NI pipeline them.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use aes::cipher::{generic_array::GenericArray, BlockEncrypt, KeyInit};
use aes::Aes128;

const MAPPED_PREFIX: u128 = 0xffff << 32; // ::ffff:0:0/96
const IPV4_START_PAD: u128 = (1 << 96) | 0xffff; // pad_prefix(bytes16, 96): separator at bit 96, then ffff

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PfxKeyError {
    /// The key is not 32 bytes (K1 || K2).
    Length,
    /// K1 == K2: the PRF would be constant zero.
    EqualHalves,
}

impl std::fmt::Display for PfxKeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PfxKeyError::Length => "ipcrypt-pfx needs a 32-byte key",
            PfxKeyError::EqualHalves => "ipcrypt-pfx key halves must differ",
        })
    }
}

/// The text given is not an IP address (the message never repeats it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotAnAddress;

#[derive(Clone)]
pub struct IpcryptPfx {
    k1: Aes128,
    k2: Aes128,
}

impl std::fmt::Debug for IpcryptPfx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IpcryptPfx(<key>)")
    }
}

impl IpcryptPfx {
    pub fn new(key: &[u8]) -> Result<Self, PfxKeyError> {
        if key.len() != 32 {
            return Err(PfxKeyError::Length);
        }
        let (k1, k2) = key.split_at(16);
        if k1 == k2 {
            return Err(PfxKeyError::EqualHalves);
        }
        Ok(IpcryptPfx {
            k1: Aes128::new(GenericArray::from_slice(k1)),
            k2: Aes128::new(GenericArray::from_slice(k2)),
        })
    }

    /// Encrypts a 128-bit address (IPv4 as its IPv4-mapped form) and returns the same form.
    pub fn encrypt_u128(&self, value: u128, ipv4: bool) -> u128 {
        let (start, mut padded, mut out) = if ipv4 {
            (96usize, IPV4_START_PAD, MAPPED_PREFIX)
        } else {
            (0usize, 1u128, 0u128)
        };
        let bits = 128 - start;
        let mut blocks1 = [GenericArray::default(); 128];
        for (i, block) in blocks1[..bits].iter_mut().enumerate() {
            *block = GenericArray::from(padded.to_be_bytes());
            let original = (value >> (127 - (start + i))) & 1;
            padded = (padded << 1) | original; // the top bit falls off, as `& mask` does in the draft
        }
        let mut blocks2 = blocks1;
        self.k1.encrypt_blocks(&mut blocks1[..bits]);
        self.k2.encrypt_blocks(&mut blocks2[..bits]);
        for i in 0..bits {
            let bit_pos = 127 - (start + i);
            let prf = u128::from((blocks1[i][15] ^ blocks2[i][15]) & 1);
            out |= (prf ^ ((value >> bit_pos) & 1)) << bit_pos;
        }
        out
    }

    pub fn encrypt_addr(&self, ip: IpAddr) -> IpAddr {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match ip {
            IpAddr::V4(v4) => {
                let value = MAPPED_PREFIX | u128::from(u32::from(v4));
                IpAddr::V4(Ipv4Addr::from(self.encrypt_u128(value, true) as u32))
            }
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(self.encrypt_u128(u128::from(v6), false))),
        }
    }

    /// Encrypts an address written as text and appends the encrypted address's text to `out`.
    pub fn encrypt_text(&self, text: &str, out: &mut Vec<u8>) -> Result<(), NotAnAddress> {
        let ip = parse_address(text).ok_or(NotAnAddress)?;
        write_address(self.encrypt_addr(ip), out);
        Ok(())
    }
}

/// An address as Python's `ipaddress.ip_address` reads one: dotted quad without leading zeros, or IPv6
/// with an optional non-empty zone (`%eth0`), which is dropped.
pub fn parse_address(text: &str) -> Option<IpAddr> {
    if let Ok(v4) = text.parse::<Ipv4Addr>() {
        return Some(IpAddr::V4(v4));
    }
    let address = match text.split_once('%') {
        Some((address, zone)) if !zone.is_empty() && !zone.contains('%') => address,
        Some(_) => return None,
        None => text,
    };
    address.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

/// Dotted quad, or RFC 5952 text for IPv6: lower-case hex without leading zeros, the longest run of two or
/// more zero groups (the first of equals) as `::`, and never a dotted tail (Python's `str(IPv6Address)`).
pub fn write_address(ip: IpAddr, out: &mut Vec<u8>) {
    match ip {
        IpAddr::V4(v4) => {
            let _ = write!(out, "{v4}");
        }
        IpAddr::V6(v6) => {
            let groups = v6.segments();
            let (mut best_start, mut best_len) = (0usize, 0usize);
            let mut i = 0;
            while i < 8 {
                if groups[i] == 0 {
                    let run_start = i;
                    while i < 8 && groups[i] == 0 {
                        i += 1;
                    }
                    if i - run_start > best_len {
                        (best_start, best_len) = (run_start, i - run_start);
                    }
                } else {
                    i += 1;
                }
            }
            if best_len < 2 {
                best_len = 0;
            }
            let write_groups = |groups: &[u16], out: &mut Vec<u8>| {
                for (j, group) in groups.iter().enumerate() {
                    if j > 0 {
                        out.push(b':');
                    }
                    let _ = write!(out, "{group:x}");
                }
            };
            if best_len == 0 {
                write_groups(&groups, out);
            } else {
                write_groups(&groups[..best_start], out);
                out.extend_from_slice(b"::");
                write_groups(&groups[best_start + best_len..], out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key_from_hex(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    fn encrypt(pfx: &IpcryptPfx, text: &str) -> String {
        let mut out = Vec::new();
        pfx.encrypt_text(text, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn draft_vectors() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/ipcrypt_pfx.json"
        );
        let data: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let vectors = data["vectors"].as_array().unwrap();
        assert!(!vectors.is_empty());
        for v in vectors {
            let pfx = IpcryptPfx::new(&key_from_hex(v["key"].as_str().unwrap())).unwrap();
            assert_eq!(
                encrypt(&pfx, v["ip"].as_str().unwrap()),
                v["encrypted"].as_str().unwrap(),
                "{v}"
            );
        }
    }

    #[test]
    fn bad_keys_are_refused() {
        assert_eq!(
            IpcryptPfx::new(&[1u8; 31]).unwrap_err(),
            PfxKeyError::Length
        );
        assert_eq!(
            IpcryptPfx::new(&[b'k'; 32]).unwrap_err(),
            PfxKeyError::EqualHalves
        );
    }

    #[test]
    fn mapped_addresses_are_read_as_ipv4() {
        let pfx = IpcryptPfx::new(&(0u8..32).collect::<Vec<_>>()).unwrap();
        assert_eq!(
            encrypt(&pfx, "::ffff:192.0.2.1"),
            encrypt(&pfx, "192.0.2.1")
        );
        assert_eq!(encrypt(&pfx, "fe80::1%eth0"), encrypt(&pfx, "fe80::1"));
    }

    #[test]
    fn what_python_refuses_is_refused() {
        for text in [
            "",
            "01.2.3.4",
            "1.2.3",
            "256.1.1.1",
            "fe80::1%",
            "fe80::1%a%b",
            "::1:",
            "1::2::3",
            "x",
        ] {
            assert_eq!(parse_address(text), None, "{text}");
        }
    }

    #[test]
    fn rfc5952_text() {
        let cases = [
            ("2001:db8:0:0:0:0:0:1", "2001:db8::1"),
            ("0:0:0:0:0:0:0:0", "::"),
            ("1:0:1:1:1:1:1:1", "1:0:1:1:1:1:1:1"),
            ("1:0:0:1:0:0:0:1", "1:0:0:1::1"),
            ("1:0:0:1:1:0:0:1", "1::1:1:0:0:1"),
            ("::ffff:1.2.3.4", "::ffff:102:304"),
            ("ABCD::0", "abcd::"),
        ];
        for (text, expected) in cases {
            let mut out = Vec::new();
            write_address(text.parse().unwrap(), &mut out);
            assert_eq!(out, expected.as_bytes());
        }
    }

    proptest! {
        #[test]
        fn prefixes_are_kept_and_addresses_stay_distinct(a: u32, b: u32, x: u128, y: u128) {
            let pfx = IpcryptPfx::new(&(0u8..32).map(|i| i.wrapping_mul(37)).collect::<Vec<_>>()).unwrap();
            let ea = pfx.encrypt_u128(MAPPED_PREFIX | u128::from(a), true);
            let eb = pfx.encrypt_u128(MAPPED_PREFIX | u128::from(b), true);
            prop_assert_eq!(ea >> 32, 0xffff);
            prop_assert_eq!(((ea ^ eb) as u32).leading_zeros(), (a ^ b).leading_zeros());
            let (ex, ey) = (pfx.encrypt_u128(x, false), pfx.encrypt_u128(y, false));
            prop_assert_eq!((ex ^ ey).leading_zeros(), (x ^ y).leading_zeros());
        }
    }
}
