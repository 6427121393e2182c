"""The pseudonym scheme: normalised value -> keyed token.

    kind_key = HKDF-SHA256(master, salt="pseudolog/v1", info="pseudolog/v1 kind=<kind> window=<start>/<len>")
    mac      = HMAC-SHA256(kind_key, normalised value as ASCII)
    token    = PREFIX "-" + the first 8 bytes of mac, one letter per 4 bits from "ghjkmnpqrstvwxyz"

The alphabet has no digits and no hex letters, so no detector ever matches a token: running the output
through pseudolog again changes nothing. 64 bits keep collisions negligible at millions of values per window.
"""

from __future__ import annotations

import hmac
from hashlib import sha256

from pseudolog.keys import derive_kind_key

ALPHABET = "ghjkmnpqrstvwxyz"
_HEX_TO_ALPHABET = bytes.maketrans(b"0123456789abcdef", ALPHABET.encode())
TOKEN_BYTES = 8
PREFIXES = {"ip": "IP", "phone": "PHONE", "mac": "MAC", "imei": "IMEI"}
KINDS = tuple(PREFIXES)


def encode_token(kind: str, mac: bytes) -> str:
    return PREFIXES[kind] + "-" + mac[:TOKEN_BYTES].hex().translate(_HEX_TO_ALPHABET)


def window_start(t: float, length: int | None) -> int | None:
    """UTC-aligned window containing t: floor(t / length) * length; None for one static key."""
    if length is None:
        return None
    return int(t // length) * length


class Pseudonymizer:
    """Tokens for (kind, normalised value, window), with bounded caches of derived keys and tokens."""

    def __init__(self, master: bytes, window_length: int | None, cache_size: int = 200_000) -> None:
        self._master = master
        self.window_length = window_length
        self._keys: dict[tuple[str, int | None], bytes] = {}
        self._tokens: dict[tuple[int | None, str, str], str] = {}
        self._cache_size = cache_size

    def __repr__(self) -> str:
        return f"Pseudonymizer(window_length={self.window_length})"

    def window_of(self, t: float) -> int | None:
        return window_start(t, self.window_length)

    def kind_key(self, kind: str, window: int | None) -> bytes:
        try:
            return self._keys[(kind, window)]
        except KeyError:
            key = derive_kind_key(self._master, kind, window, self.window_length)
            if len(self._keys) >= 256:
                self._keys.clear()
            self._keys[(kind, window)] = key
            return key

    def token(self, kind: str, normalised: str, window: int | None) -> str:
        cache_key = (window, kind, normalised)
        try:
            return self._tokens[cache_key]
        except KeyError:
            pass
        mac = hmac.digest(self.kind_key(kind, window), normalised.encode("ascii"), sha256)
        token = encode_token(kind, mac)
        if len(self._tokens) >= self._cache_size:
            self._tokens.pop(next(iter(self._tokens)))
        self._tokens[cache_key] = token
        return token
