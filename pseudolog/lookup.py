"""The pseudonym `run` writes for one value at one time: for investigations and lawful requests.

It computes the same token from the same key, window and normalisation; it never reverses one.
"""

from __future__ import annotations

from collections.abc import Callable

from pseudolog import _core
from pseudolog.errors import ConfigError
from pseudolog.keyring import Keyring
from pseudolog.pseudonym import KINDS, Pseudonymizer, Style


def normalisers(region: str) -> dict[str, Callable[[str], str | None]]:
    """Kind -> the function that gives a value's normalised form (None when it is not one); shared with
    `run`, where a field's name says its kind. The native engine's own normalisers, so the token is the one
    `run` writes."""
    from pseudolog.phone_rules import native_region

    phone_region = native_region(region)
    return {
        "ip": _core.normalise_ip,
        "phone": lambda v: _core.normalise_phone(phone_region, v),
        "mac": _core.normalise_mac,
        "imei": _core.normalise_imei,
        "device": _core.normalise_device,
    }


def normalise(kind: str, value: str, region: str) -> str:
    if kind not in KINDS:
        raise ConfigError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    try:
        norm = normalisers(region)[kind](value)
    except (ValueError, UnicodeError):
        norm = None
    if norm is None:
        raise ConfigError(f"the value given is not a valid {kind}")  # never echo the value
    return norm


def lookup(
    kind: str,
    value: str,
    at: float,
    master: bytes | Keyring,
    window: int | None,
    region: str,
    style: Style | None = None,
) -> str:
    if isinstance(master, Keyring):
        pseudonymizer = Pseudonymizer(b"", window, style=style, window_keys=master.key_for)
    else:
        pseudonymizer = Pseudonymizer(master, window, style=style)
    return pseudonymizer.token(kind, normalise(kind, value, region), pseudonymizer.window_of(at))
