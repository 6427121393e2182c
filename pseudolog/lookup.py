"""The pseudonym `run` writes for one value at one time: for investigations and lawful requests.

It computes the same token from the same key, window and normalisation; it never reverses one.
"""

from __future__ import annotations

from collections.abc import Callable

from pseudolog.detect.device import normalise_imei, normalise_mac
from pseudolog.detect.ip import normalise_ip
from pseudolog.detect.phone import normalise_phone
from pseudolog.detect.sip import normalise_device
from pseudolog.errors import ConfigError
from pseudolog.keyring import Keyring
from pseudolog.pseudonym import KINDS, Pseudonymizer, Style


def normalisers(region: str) -> dict[str, Callable[[str], str | None]]:
    """Kind -> the function that gives a value's normalised form (None when it is not one); shared with
    `run`, where a field's name says its kind."""
    return {
        "ip": normalise_ip,
        "phone": lambda v: normalise_phone(v, region),
        "mac": normalise_mac,
        "imei": normalise_imei,
        "device": normalise_device,
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
