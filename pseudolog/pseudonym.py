"""The pseudonym scheme: normalised value -> keyed token.

    kind_key = HKDF-SHA256(master, salt="pseudolog/v1", info="pseudolog/v1 kind=<kind> window=<start>/<len>")
    mac      = HMAC-SHA256(kind_key, normalised value as ASCII)
    token    = PREFIX "-" + the first 8 bytes of mac, one letter per 4 bits from "ghjkmnpqrstvwxyz"

The alphabet has no digits and no hex letters, so no detector ever matches a token: running the output
through pseudolog again changes nothing. 64 bits keep collisions negligible at millions of values per window.

Styles that keep analytics alive (the letters stay the same keyed MAC; only a public prefix is added):
    phone-country  PHONE+49-<letters>        the country calling code
    mac-oui        MAC-001565-<letters>      the vendor prefix (OUI)
    imei-tac       IMEI-35209900-<letters>   the type allocation code (device model)
    ip prefix      a valid address from ipcrypt-pfx under a per-window key: one subnet stays one subnet

The scheme runs in the native engine (src/pseudonym.rs, keys.rs, ipcrypt_pfx.rs, cache.rs); this module keeps
the options' names and checks, and the class `lookup` and `find` call (the core's own pseudonymiser, so a token
they compute is the one `run` writes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pseudolog import _core

ALPHABET = "ghjkmnpqrstvwxyz"
TOKEN_BYTES = 8
PREFIXES = {"ip": "IP", "phone": "PHONE", "mac": "MAC", "imei": "IMEI", "device": "DEV"}
KINDS = tuple(PREFIXES)
KEEP_OPTIONS = ("phone-country", "mac-oui", "imei-tac")
IP_STYLES = ("token", "prefix")
DEFAULT_CACHE_SIZE = 128_000


@dataclass(frozen=True, slots=True)
class Style:
    """How tokens look: which public prefixes are kept, and whether IPs stay valid addresses."""

    keep: frozenset[str] = frozenset()
    ip_style: str = "token"

    def __post_init__(self) -> None:
        unknown = set(self.keep) - set(KEEP_OPTIONS)
        if unknown:
            raise ValueError(f"unknown --keep value {sorted(unknown)[0]!r}; use {', '.join(KEEP_OPTIONS)}")
        if self.ip_style not in IP_STYLES:
            raise ValueError(f"unknown --ip-style {self.ip_style!r}; use token or prefix")


def window_start(t: float, length: int | None) -> int | None:
    """UTC-aligned window containing t: floor(t / length) * length; None for one static key."""
    return _core.window_start(t, length)


class Pseudonymizer:
    """Tokens for (kind, normalised value, window), from the native engine's pseudonymizer (derived keys and
    a bounded token cache live there). With a keyring, `window_keys(start)` gives a window's root key the
    first time the window is met; it raises (WindowKeyMissing) when the keyring has none, and the line is
    masked."""

    def __init__(
        self,
        master: bytes,
        window_length: int | None,
        cache_size: int = DEFAULT_CACHE_SIZE,
        style: Style | None = None,
        window_keys: Callable[[int | None], bytes] | None = None,
    ) -> None:
        self.window_length = window_length
        self.style = style or Style()
        self._window_keys = window_keys
        self._native = _core.Pseudonymizer(
            None if window_keys is not None else bytes(master),
            window_length,
            sorted(self.style.keep),
            self.style.ip_style,
            cache_size,
        )
        # The hot path: a bound method of the native object, called once per identifier. With a master key
        # no window can lack its key, so `token` is that method itself (no Python frame in between).
        self._token = self._native.token
        if window_keys is None:
            self.token = self._token  # type: ignore[method-assign]

    def __repr__(self) -> str:
        return f"Pseudonymizer(window_length={self.window_length})"

    @property
    def cached_tokens(self) -> int:
        """How many tokens the native cache holds (bounded by cache_size)."""
        return self._native.cached_tokens

    def window_of(self, t: float) -> int | None:
        return self._native.window_of(t)

    def _load_window_key(self, window: int | None) -> None:
        assert self._window_keys is not None  # only a keyring leaves a window without a key
        key = self._window_keys(window)  # raises when the keyring has no key for the window
        if window is None:
            raise ValueError("a keyring needs a window")
        self._native.add_window_key(window, key)

    def kind_key(self, kind: str, window: int | None) -> bytes:
        try:
            return self._native.kind_key(kind, window)
        except _core.MissingWindowKey:
            self._load_window_key(window)
            return self._native.kind_key(kind, window)

    def token(self, kind: str, normalised: str, window: int | None) -> str:
        try:
            return self._token(kind, normalised, window)
        except _core.MissingWindowKey:
            self._load_window_key(window)
            return self._token(kind, normalised, window)
