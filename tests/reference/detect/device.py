"""Device identifiers: MAC addresses and IMEIs.

MAC: colon, dash and Cisco dot forms anywhere; the bare 12-hex form only where context says device
(provisioning file names, `mac=`, `SN:`, `DevId`, see `context.py`). Normalised to lower-case colon form.
IMEI: 15 Luhn-valid digits anywhere whose first two digits are an allocated GSMA reporting body (35, 86,
49, 01, ...; this keeps Apache thread ids like 140080231159552 out), also grouped as `35-209900-176148-1`;
any 14-16 digits where context says IMEI (`imei=`); IMEISV (16 digits) where
context says IMEI; `urn:gsma:imei:TAC-SNR-0` (RFC 7254). Normalised to the 14-digit core (TAC + SNR),
so an IMEI, its IMEISV and its URN form are one device.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tests.reference.detect import Found, new_found

# Six pairs joined by one separator, not part of a longer run of pairs joined by the same one. Another separator
# next to it is no such run: `00:15:65:ab:cd:ef-10.0.0.5` is a MAC joined to an address.
MAC_SEPARATED_RE = re.compile(
    rb"(?<![0-9A-Fa-f])(?:"
    rb"(?<![0-9A-Fa-f]:)[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}(?![0-9A-Fa-f]|:[0-9A-Fa-f])"
    rb"|(?<![0-9A-Fa-f]-)[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}(?![0-9A-Fa-f]|-[0-9A-Fa-f]))"
)
MAC_DOTTED_RE = re.compile(
    rb"(?<![0-9A-Fa-f.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![0-9A-Fa-f]|\.[0-9A-Fa-f])"
)
# 15 digits, or grouped 2-6-6-1, not inside a longer run. The first digit is matched before the lookbehind that
# checks what precedes it, so the engine can skip to digits in C (tests/test_detect_device.py holds it to the
# plain form `(?<![0-9])(?:[0-9]{15}|[0-9]{2}[- ][0-9]{6}[- ][0-9]{6}[- ][0-9])(?![0-9])`).
IMEI_RE = re.compile(rb"[0-9](?<![0-9]{2})(?:[0-9]{14}|[0-9][- ][0-9]{6}[- ][0-9]{6}[- ][0-9])(?![0-9])")
IMEI_URN_RE = re.compile(rb"(?i:urn:gsma:imei:)([0-9]{8})-([0-9]{6})-([0-9])(?![0-9])")
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_HEX_BYTES = b"0123456789abcdefABCDEF"
_NOT_HEX = bytes(c for c in range(256) if c not in _HEX_DIGITS)
_NOT_DIGIT = bytes(c for c in range(256) if not 48 <= c <= 57)
# Luhn: a digit in an even place from the right counts double, less 9 when that is over 9; as a byte table.
_LUHN_DOUBLE = bytes.maketrans(b"0123456789", bytes((0, 2, 4, 6, 8, 1, 3, 5, 7, 9)))
# GSMA reporting body identifiers: the first two digits of every allocated TAC.
REPORTING_BODIES = frozenset(
    (
        b"01",
        b"10",
        b"30",
        b"33",
        b"35",
        b"44",
        b"45",
        b"49",
        b"50",
        b"51",
        b"52",
        b"53",
        b"54",
        b"86",
        b"91",
        b"98",
        b"99",
    )
)


def normalise_mac(text: bytes | str) -> str | None:
    """`00:15:65:ab:cd:ef` for any MAC text form, or None."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    hexdigits = raw.translate(None, _NOT_HEX)
    if len(hexdigits) != 12 or (len(raw) != 12 and raw.translate(None, _HEX_BYTES).strip(b":-. ") != b""):
        return None
    h = hexdigits.decode("ascii").lower()
    return f"{h[0:2]}:{h[2:4]}:{h[4:6]}:{h[6:8]}:{h[8:10]}:{h[10:12]}"


def is_plausible_bare_mac(hex12: bytes) -> bool:
    """A bare 12-hex run names a device unless it is a placeholder (Polycom's 000000000000.cfg, Yealink's
    y000000000028.cfg) with an all-zero vendor prefix."""
    return len(hex12) == 12 and not hex12.startswith(b"000000")


def luhn_ok(digits: bytes) -> bool:
    """The Luhn check over ASCII digits. Each place's digits are taken from the right by one stepped slice
    (reversing first made two copies more: twice the time)."""
    single = digits[-1::-2]
    double = digits[-2::-2].translate(_LUHN_DOUBLE)
    return (sum(single) - 48 * len(single) + sum(double)) % 10 == 0


def normalise_imei(text: bytes | str) -> str | None:
    """The 14-digit core of an IMEI (15 digits, Luhn-checked), IMEISV (16 digits) or IMEI URN; or None."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    if raw.find(b":") >= 0:  # only a URN has colons
        m = IMEI_URN_RE.fullmatch(raw.strip())
        if m:
            return (m.group(1) + m.group(2)).decode("ascii")
    digits = raw.translate(None, _NOT_DIGIT)
    if len(digits) == 15 and luhn_ok(digits):
        return digits[:14].decode("ascii")
    if len(digits) == 16:
        return digits[:14].decode("ascii")
    if len(digits) == 14:
        return digits.decode("ascii")
    return None


def find_mac(text: bytes) -> Iterator[Found]:
    for regex in (MAC_SEPARATED_RE, MAC_DOTTED_RE):
        for m in regex.finditer(text):
            norm = normalise_mac(m.group())
            if norm is not None:
                yield new_found((m.start(), m.end(), "mac", norm))


def find_imei(text: bytes) -> Iterator[Found]:
    if text.find(b":") >= 0:  # the URN rule is case-insensitive, so it cannot skip ahead on its own
        for m in IMEI_URN_RE.finditer(text):
            yield new_found((m.start(1), m.end(3), "imei", (m.group(1) + m.group(2)).decode("ascii")))
    for m in IMEI_RE.finditer(text):
        digits = m.group().translate(None, _NOT_DIGIT)
        if digits[:2] in REPORTING_BODIES and luhn_ok(digits):
            yield new_found((m.start(), m.end(), "imei", digits[:14].decode("ascii")))
