"""Phone numbers: E.164 with `+`, `00` or URL-encoded `%2B`, with visual separators; national numbers
where the context says phone (see `context.py`). Everything is normalised to E.164 with `phonenumbers`
before hashing, so `+49 30 1234567`, `0049301234567` and `030 1234567` (region DE) are one subscriber.

Where a number written with spaces ends is decided by its shape, not by validity (German numbers are
valid at almost any length): digits join across `-`, `.`, `/` and parentheses; across a single space (or `%20`) only
while the group before the space has at most 4 digits and fewer than 11 digits are collected. At most 15
digits (E.164): a single run longer than that is not a phone number, and a number ends before a group
that would take it past 15 digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import phonenumbers

from pseudolog.detect import Found

MIN_INTERNATIONAL_DIGITS = 7
MAX_DIGITS = 15
# A national number in a phone context needs this many digits; shorter ones are internal extensions.
MIN_CONTEXT_DIGITS = 6

MARK_RE = re.compile(rb"(?:\+|%2[Bb]|(?<![0-9A-Za-z.])00)(?=\(?[1-9])")
_SEPARATORS = frozenset(b"-./")
_SEPARATORS_NO_DOT = frozenset(b"-/")
_DIGITS = frozenset(b"0123456789")


def scan_number(text: bytes, pos: int, dots: bool = True) -> tuple[int, int] | None:
    """From `pos` (just after the mark), return (end, digit count) of the number, or None.
    Without `dots`, a dot ends the number (so `src=192.168.1.10` stays an address)."""
    separators = _SEPARATORS if dots else _SEPARATORS_NO_DOT
    n = len(text)
    total = 0
    i = end = pos
    while i < n:
        paren = text[i] == 0x28  # "(" as in "+49 (0)30 ..." or "(030)"
        j = i + 1 if paren else i
        k = j
        while k < n and text[k] in _DIGITS:
            k += 1
        digits = k - j
        if digits == 0 or (paren and (k >= n or text[k] != 0x29)):
            break
        if paren:
            k += 1
        if total + digits > MAX_DIGITS:
            if total == 0:
                return None  # one run of more than 15 digits: not a phone number
            break  # joining the next group would outgrow E.164: the number ends before it
        total += digits
        end = i = k
        if i >= n:
            break
        c = text[i]
        if paren and (c in _DIGITS or c == 0x28):
            continue
        if c in separators and i + 1 < n and (text[i + 1] in _DIGITS or text[i + 1] == 0x28):
            i += 1
            continue
        if c == 0x28:
            continue
        blank = 1 if c == 0x20 else 3 if text.startswith(b"%20", i) else 0  # URL-encoded blanks too
        if (
            blank
            and digits <= 4
            and total < 11
            and i + blank < n
            and (text[i + blank] in _DIGITS or text[i + blank] == 0x28)
        ):
            i += blank
            continue
        break
    if end < n and text[end] in _DIGITS:
        return None
    return end, total


@lru_cache(maxsize=65536)
def normalise_phone(raw: str, region: str) -> str | None:
    """E.164 for a number as written (international or national), or None if it has no digits.

    Unparseable numbers still get a stable form ("+" and digits, or the region and digits) so they are
    pseudonymised, never passed through.
    """
    text = raw.strip().replace("%20", " ")
    if text[:3].upper() == "%2B":
        text = "+" + text[3:]
    digits = "".join(c for c in text if c.isdigit())
    if not digits:
        return None
    if text.startswith("00") and not text.startswith("000"):
        text, digits = "+" + text[2:], digits[2:]
    if text.startswith("+"):
        return _e164(text, None) or "+" + digits
    if digits.startswith("0"):
        return _e164(text, region, require_valid=False) or f"{region}:{digits}"
    # No prefix. Nationally dialled numbers carry the trunk prefix 0, so a long number without it is an
    # international one written without "+" (common in SIP); a short one is read in the region.
    if len(digits) >= 10:
        e164 = _e164("+" + digits, None)
        if e164:
            return e164
    return _e164(digits, region) or f"{region}:{digits}"


def _e164(text: str, region: str | None, require_valid: bool = False) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    ok = phonenumbers.is_valid_number(number) if require_valid else phonenumbers.is_possible_number(number)
    if not ok:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def find_international(text: bytes, region: str) -> Iterator[Found]:
    """Numbers introduced by `+`, `%2B` or `00`, anywhere in a line."""
    for m in MARK_RE.finditer(text):
        scanned = scan_number(text, m.end())
        if scanned is None:
            continue
        end, digits = scanned
        if digits < MIN_INTERNATIONAL_DIGITS:
            continue
        if m.group().startswith(b"00") and end < len(text) and text[end : end + 1].isalpha():
            continue
        raw = text[m.start() : end].decode("ascii")
        norm = normalise_phone(raw, region)
        if norm is not None:
            yield Found(m.start(), end, "phone", norm)


CONTEXT_NUMBER_RE = re.compile(rb"(?:\+|%2[Bb])?[0-9](?:[0-9]|[-()/](?=[0-9(]))*")


def context_number(value: bytes, region: str) -> str | None:
    """Normalised phone for a value that context says is a number (URI user part, `to=`), or None."""
    digits = sum(1 for c in value if c in _DIGITS)
    if value[:1] == b"+" or value[:3].upper() == b"%2B":
        if digits < MIN_INTERNATIONAL_DIGITS - 2:
            return None
    elif digits < MIN_CONTEXT_DIGITS:
        return None
    if digits > MAX_DIGITS + 2:
        return None
    return normalise_phone(value.decode("ascii"), region)
