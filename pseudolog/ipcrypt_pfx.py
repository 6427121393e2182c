"""ipcrypt-pfx: keyed prefix-preserving encryption of IP addresses (draft-denis-ipcrypt, section 6.2).

For every bit from the most significant one, the bits seen so far, padded as zeros || 1 || prefix, go through
the PRF AES128(K1, .) XOR AES128(K2, .); its least significant bit flips (or not) the current bit. Two
addresses that share their first n bits therefore share their first n encrypted bits: a subnet stays a
subnet. IPv4 addresses are processed as the last 32 bits of their IPv4-mapped form and stay IPv4.
Checked against the draft's published test vectors in tests/vectors/ipcrypt_pfx.json.
"""

from __future__ import annotations

import ipaddress

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_MAPPED_PREFIX = 0xFFFF << 32  # ::ffff:0:0/96 as an integer
_IPV4_START_PAD = (1 << 96) | 0xFFFF  # pad_prefix(bytes16, 96): separator at bit 96, then the ffff bits


class IpcryptPfx:
    """One 32-byte key (K1 || K2, which must differ); encrypt() maps an address text to an address text."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("ipcrypt-pfx needs a 32-byte key")
        if key[:16] == key[16:]:
            raise ValueError("ipcrypt-pfx key halves must differ")
        self._k1 = Cipher(algorithms.AES(key[:16]), modes.ECB()).encryptor()
        self._k2 = Cipher(algorithms.AES(key[16:]), modes.ECB()).encryptor()

    def __repr__(self) -> str:
        return "IpcryptPfx(<key>)"

    def _prf_bit(self, padded: int) -> int:
        block = padded.to_bytes(16, "big")
        e1 = self._k1.update(block)
        e2 = self._k2.update(block)
        return (e1[15] ^ e2[15]) & 1

    def encrypt_int(self, value: int, ipv4: bool) -> int:
        """Encrypt a 128-bit address (IPv4 as its IPv4-mapped form); returns the same form."""
        if ipv4:
            start, padded, out = 96, _IPV4_START_PAD, _MAPPED_PREFIX
        else:
            start, padded, out = 0, 1, 0
        mask = (1 << 128) - 1
        for prefix_len in range(start, 128):
            bit_pos = 127 - prefix_len
            original = (value >> bit_pos) & 1
            out |= (self._prf_bit(padded) ^ original) << bit_pos
            padded = ((padded << 1) & mask) | original
        return out

    def encrypt(self, address: str) -> str:
        ip = ipaddress.ip_address(address)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if isinstance(ip, ipaddress.IPv4Address):
            return str(ipaddress.IPv4Address(self.encrypt_int(_MAPPED_PREFIX | int(ip), True) & 0xFFFFFFFF))
        return str(ipaddress.IPv6Address(self.encrypt_int(int(ip), False)))
