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

from tests.reference.detect import Found, new_found

MIN_INTERNATIONAL_DIGITS = 7
MAX_DIGITS = 15
# A national number in a phone context needs this many digits; shorter ones are internal extensions.
MIN_CONTEXT_DIGITS = 6

# `+`, `%2B` or `00` (not inside a word, a number or a dotted run), then a digit 1-9, maybe in parentheses. Every
# branch leads with a literal and the `00` branch checks what stands before it afterwards, so the regex engine
# jumps from one mark character to the next in C instead of trying a lookbehind at every position (1.7x faster;
# tests/test_detect_phone.py holds it to the plain form `(?:\+|%2[Bb]|(?<![0-9A-Za-z.])00)(?=\(?[1-9])`).
MARK_RE = re.compile(rb"\+(?=\(?[1-9])|%2[Bb](?=\(?[1-9])|00(?<![0-9A-Za-z.]00)(?=\(?[1-9])")
_SEPARATORS = frozenset(b"-./")
_SEPARATORS_NO_DOT = frozenset(b"-/")
_DIGITS = frozenset(b"0123456789")


# A run of digits followed by none of these is a whole number by itself: nothing can join another group to it.
_DIGIT_RUN = re.compile(rb"[0-9]++")
_MAY_JOIN = frozenset(b"-./( %")


def scan_number(text: bytes, pos: int, dots: bool = True) -> tuple[int, int] | None:
    """From `pos` (just after the mark), return (end, digit count) of the number, or None.
    Without `dots`, a dot ends the number (so `src=192.168.1.10` stays an address)."""
    # Most numbers are one plain run (`to=0301234567&`): found in C, with the result the group loop would give
    # (tests/test_detect_phone.py holds the two equal).
    run = _DIGIT_RUN.match(text, pos)
    if run is not None:
        end = run.end()
        # A blank (or `%20`) joins only a group of at most four digits (`to=0301234567 HTTP/1.1` ends at the blank).
        if end == len(text) or text[end] not in _MAY_JOIN or (end - pos > 4 and text[end] in b" %"):
            return (end, end - pos) if end - pos <= MAX_DIGITS else None
    return scan_groups(text, pos, dots)


def scan_after_mark(text: bytes, start: int) -> tuple[int, int] | None:
    """A number where context says one stands (`to=`, a quoted dial string), maybe led by `+` or `%2B`:
    scan_number's (end, digit count) with dots ending it, or None when no digit or parenthesis follows."""
    pos = start
    if text.startswith(b"+", pos):
        pos += 1
    elif text[pos : pos + 3].upper() == b"%2B":
        pos += 3
    if pos >= len(text) or not (48 <= text[pos] <= 57 or text[pos] == 0x28):
        return None
    return scan_number(text, pos, dots=False)


def scan_groups(text: bytes, pos: int, dots: bool = True) -> tuple[int, int] | None:
    """`scan_number` group by group, for numbers written with separators."""
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
    digits = "".join(filter(str.isdigit, text))
    if not digits:
        return None
    if text.startswith("00") and not text.startswith("000"):
        text, digits = "+" + text[2:], digits[2:]
    if text.startswith("+"):
        if "(" not in text:
            fast = fast_e164(digits, True, region)
            if fast is not None:
                return fast
        return _e164(text, None) or "+" + digits
    if digits.startswith("0"):
        fast = fast_e164(digits, False, region)
        if fast is not None:
            return fast
        return _e164(text, region, require_valid=False) or f"{region}:{digits}"
    # No prefix. Nationally dialled numbers carry the trunk prefix 0, so a long number without it is an
    # international one written without "+" (common in SIP); a short one is read in the region.
    if len(digits) >= 10:
        e164 = fast_e164(digits, True, region) or _e164("+" + digits, None)
        if e164:
            return e164
    return _e164(digits, region) or f"{region}:{digits}"


@lru_cache(maxsize=512)
def _region_rules(region: str) -> tuple[int, str, frozenset[int], re.Pattern[str]] | None:
    """(country code, trunk prefix, possible national lengths, national number pattern) for a region whose
    trunk prefix handling is simple enough to apply by hand; None where only phonenumbers gets it right."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.national_prefix_transform_rule:
        return None
    prefix = metadata.national_prefix or ""
    if (metadata.national_prefix_for_parsing or "") != prefix or (prefix and not prefix.isdigit()):
        return None
    pattern = re.compile(metadata.general_desc.national_number_pattern or ".*")
    return metadata.country_code, prefix, frozenset(metadata.general_desc.possible_length or ()), pattern


def fast_e164(digits: str, international: bool, region: str) -> str | None:
    """E.164 for the common cases without a full phonenumbers parse, or None to let phonenumbers decide.
    It answers only where its result provably equals phonenumbers' (tests/test_detect_phone.py checks that):
    a national number in a region whose trunk prefix is a plain digit string, or an international number
    whose national part does not start with that prefix, with a length the region allows."""
    if international:
        if digits.startswith("0"):
            return None  # no country code starts with 0
        for size in (1, 2, 3):
            regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:size] or "0"))
            if regions:
                rules = _region_rules(regions[0])
                national = digits[size:]
                if rules is None or (rules[1] and national.startswith(rules[1])) or national.startswith("0"):
                    return None
                return "+" + digits if len(national) in rules[2] else None
        return None
    rules = _region_rules(region)
    if rules is None or not rules[1] or not digits.startswith(rules[1]):
        return None
    national = digits[len(rules[1]) :]
    # phonenumbers strips the trunk prefix when what remains fits the region's number pattern.
    if national.startswith("0") or len(national) not in rules[2] or not rules[3].fullmatch(national):
        return None
    return f"+{rules[0]}{national}"


def plain_e164(raw: bytes, region: str) -> str | None:
    """What `normalise_phone` gives for the common plain forms (`0301234567`, `+49301234567`, `%2B49...`),
    without its cache and clean-up steps; None for every other form, or where the fast path cannot decide
    (tests/test_detect_phone.py holds it to normalise_phone)."""
    if raw[:1] == b"+":
        body, international = raw[1:], True
    elif raw[:3] in (b"%2B", b"%2b"):
        body, international = raw[3:], True
    elif raw[:1] == b"0" and raw[1:2] != b"0":
        body, international = raw, False
    else:
        return None
    if not body.isdigit():
        return None
    return fast_e164(body.decode("ascii"), international, region)


@lru_cache(maxsize=4096)
def e164_of(raw: bytes, region: str) -> str | None:
    """`normalise_phone` for number text as found: the plain forms without its cache (plain_e164). The small
    cache here catches the same number read again by another rule (a SIP line's `sip:` URI, its `number@host`,
    its `+` form) and the few busy numbers of a stream, without holding a long tail of numbers seen once."""
    return plain_e164(raw, region) or normalise_phone(raw.decode("ascii"), region)


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
        if m.group().startswith(b"00") and end < len(text) and text[end : end + 1].isalpha():
            # A `00` run that runs into a word is no number; when it got there across a blank, `-` or `/`, the
            # number ends there, as it does once the group after it is a token (filtering again then changes nothing).
            blank = max(text.rfind(sep, m.end(), end) for sep in (b" ", b"%20", b"-", b"/"))
            if blank < 0:
                continue
            end, digits = blank, digit_count(text[m.end() : blank])
        if digits < MIN_INTERNATIONAL_DIGITS:
            continue
        norm = e164_of(text[m.start() : end], region)
        if norm is not None:
            yield new_found((m.start(), end, "phone", norm))


def digit_count(text: bytes) -> int:
    return len(text) - len(text.translate(None, b"0123456789"))


CONTEXT_NUMBER_RE = re.compile(rb"(?:\+|%2[Bb])?[0-9](?:[0-9]|[-()/](?=[0-9(]))*")


def context_number(value: bytes, region: str) -> str | None:
    """Normalised phone for a value that context says is a number (URI user part, `to=`), or None."""
    digits = digit_count(value)
    if value[:1] == b"+" or value[:3].upper() == b"%2B":
        if digits < MIN_INTERNATIONAL_DIGITS - 2:
            return None
    elif digits < MIN_CONTEXT_DIGITS:
        return None
    if digits > MAX_DIGITS + 2:
        return None
    return e164_of(value, region)
