"""Identifiers in SIP, PBX and media-relay logs, found by the shapes those programs write.

- `+sip.instance="<urn:uuid:...>"`: a device's permanent id (kind `device`).
- A number as a display name or in angle brackets: `"0301234567" <sip:...>`, Asterisk's `"Alice" <0301234567>`.
- Channel names and dial strings: `PJSIP/0301234567-0000001a`, `SIP/trunk/0301234567`, `Local/0301234567@ctx`,
  FreeSWITCH `sofia/internal/79739980@host`; and `number@host` without a scheme (`[011448708752617@192.168.2.51]`).
- TURN REST usernames `expiry:userid` (coturn `user <1702970778:905330202827>`), where the userid is often an MSISDN.
- Quoted values after words that name a number: Asterisk's `to extension '0301234567'`.
Numbers need at least six digits here, like every context rule; shorter ones are extensions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tests.reference.detect import Found, new_found, run_before
from tests.reference.detect.phone import context_number, scan_after_mark

SIP_INSTANCE_RE = re.compile(
    rb"(?i:sip\.instance)=\"?<?(?i:urn:uuid:)(?P<v>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
    rb"[0-9A-Fa-f]{12})(?![0-9A-Fa-f])"
)
DISPLAY_NAME_RE = re.compile(rb"\"{1,2}(?P<v>(?:\+|00)?[0-9][0-9 \-().]{4,30}[0-9])\"{1,2}\s*<")
ANGLE_NUMBER_RE = re.compile(rb"<(?P<v>\+?[0-9][0-9\-. ()]{4,30}[0-9])>")
CHANNEL_RE = re.compile(
    rb"(?<![A-Za-z0-9])(?i:PJSIP|SIP|IAX2|DAHDI|Local|Skype|WebRTC|sofia/[A-Za-z0-9_.\-]+|verto\.rtc|loopback)/"
    rb"(?:[A-Za-z][A-Za-z0-9_.\-]*/)?(?P<v>\+?[0-9][0-9]{5,16})(?=[@\-,;:)(/\s'\"\]|&>]|\Z)"
)
USER_AT_HOST_RE = re.compile(rb"(?<![A-Za-z0-9_.:/+\-%])(?P<v>\+?[0-9]{6,16})@(?=[A-Za-z0-9\[:])")
_SHORTEST_USER, _LONGEST_USER = 6, 16  # the digits USER_AT_HOST_RE takes
TURN_USER_RE = re.compile(rb"(?i:user(?:name)?)[ =:]*<?[0-9]{9,11}:(?P<v>\+?[0-9]{6,16})(?=[>\s,;&\"']|\Z)")
# A word, blanks, a quote, then a number. The scan looks for the quote (led by a class the regex engine skips
# to in C) and reads the word backwards; the word is checked against a set.
QUOTE_BEFORE_NUMBER_RE = re.compile(rb"[\"'](?<=\s[\"'])(?=(?:\+|%2[Bb])?\(?[0-9])")
_BLANKS = b" \t\n\r\x0b\x0c"  # what \s is in a bytes regex
_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
NUMBER_WORDS = frozenset(
    (
        b"extension",
        b"exten",
        b"number",
        b"callerid",
        b"caller",
        b"callee",
        b"from",
        b"to",
        b"did",
        b"dialed",
        b"dialled",
    )
)
_LONGEST_WORD = max(map(len, NUMBER_WORDS))
_CHANNEL_HINT = re.compile(rb"/\+?[0-9]{6}")


def normalise_device(text: str) -> str | None:
    """`urn:uuid:<lower-case uuid>` for a SIP instance id given as URN, `<urn:...>` or bare UUID."""
    value = text.strip().strip('<>"').lower()
    if value.startswith("urn:uuid:"):
        value = value[9:]
    if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value):
        return "urn:uuid:" + value
    return None


def _phone(m: re.Match[bytes], region: str) -> Iterator[Found]:
    value = m.group("v").strip()
    start = m.start("v") + (len(m.group("v")) - len(m.group("v").lstrip()))
    norm = context_number(value, region)
    if norm is not None:
        yield new_found((start, start + len(value), "phone", norm))


def find_sip(text: bytes, region: str) -> Iterator[Found]:
    """Each rule runs only when the characters it needs are in the text (tests/test_detect_sip.py holds the
    gated findings to those of every rule run)."""
    if text.find(b"nstance") >= 0 or text.find(b"NSTANCE") >= 0:
        yield from _instances(text, region)
    if text.find(b"<") >= 0:
        yield from _bracketed(text, region)
    if text.find(b"/") >= 0 and _CHANNEL_HINT.search(text):
        yield from _channels(text, region)
    if text.find(b"@") >= 0:
        yield from _users_at_host(text, region)
    if text.find(b"ser") >= 0 or text.find(b"SER") >= 0:
        yield from _turn_users(text, region)
    if text.find(b"'") >= 0 or text.find(b'"') >= 0:
        yield from _quoted_after_word(text, region)


def _instances(text: bytes, region: str) -> Iterator[Found]:
    for m in SIP_INSTANCE_RE.finditer(text):
        yield new_found((m.start("v"), m.end("v"), "device", "urn:uuid:" + m.group("v").decode("ascii").lower()))


def _bracketed(text: bytes, region: str) -> Iterator[Found]:
    for regex in (DISPLAY_NAME_RE, ANGLE_NUMBER_RE):
        for m in regex.finditer(text):
            yield from _phone(m, region)


def _channels(text: bytes, region: str) -> Iterator[Found]:
    for m in CHANNEL_RE.finditer(text):
        yield from _phone(m, region)


def user_at_host_matches(text: bytes) -> Iterator[re.Match[bytes]]:
    """What `USER_AT_HOST_RE.finditer(text)` yields (tests/test_detect_sip.py holds them equal). The regex is led
    by a lookbehind, so the engine tries it at every position; here it is tried once per `@` (found in C), at the
    start of the digit run before it: any other start is preceded by a digit, which the lookbehind refuses."""
    pos = 0
    while (at := text.find(b"@", pos)) >= 0:
        if at > pos and 48 <= text[at - 1] <= 57:  # most `@`s follow a letter: no slice for them
            head = text[max(pos, at - _LONGEST_USER - 1) : at]
            digits = len(head) - len(head.rstrip(b"0123456789"))
        else:
            digits = 0
        if _SHORTEST_USER <= digits <= _LONGEST_USER:
            start = at - digits
            if start > pos and text[start - 1] == 0x2B:  # the optional "+"
                start -= 1
            m = USER_AT_HOST_RE.match(text, start)
            if m is not None:
                yield m
        pos = at + 1  # where a match ends too: the `@` is its last character


def _users_at_host(text: bytes, region: str) -> Iterator[Found]:
    for m in user_at_host_matches(text):
        yield from _phone(m, region)


def _turn_users(text: bytes, region: str) -> Iterator[Found]:
    for m in TURN_USER_RE.finditer(text):
        yield from _phone(m, region)


def quotes_after_number_words(text: bytes) -> Iterator[int]:
    """Where a quoted value starts that follows a number word and blanks (and starts like a number)."""
    for m in QUOTE_BEFORE_NUMBER_RE.finditer(text):
        end = m.start()
        while end > 0 and text[end - 1] in _BLANKS:
            end -= 1
        word = run_before(text, end, _LETTERS, _LONGEST_WORD)
        if word is not None and word[0] in NUMBER_WORDS:
            yield m.end()


def _quoted_after_word(text: bytes, region: str) -> Iterator[Found]:
    for start in quotes_after_number_words(text):
        scanned = scan_after_mark(text, start)
        if scanned is not None and scanned[0] < len(text) and text[scanned[0]] in b"'\"":
            norm = context_number(text[start : scanned[0]], region)
            if norm is not None:
                yield new_found((start, scanned[0], "phone", norm))


# Every rule, for tests that hold the gates to them.
RULES = (_instances, _bracketed, _channels, _users_at_host, _turn_users, _quoted_after_word)
