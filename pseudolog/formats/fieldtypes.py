"""Field types of the pattern language: what a field matches and what the filter does with it.

Roles: `keep` (numbers that cannot hold an identifier: status, bytes, durations), `time` (the event time;
scrubbed like text if it does not parse), `ipport` (address with a port, split at the last colon),
`message` (a syslog payload, read as JSON when it is JSON), and `scrub` (everything else: scanned with
every detector). Only keep-fields skip the scan, and their regexes
admit digits alone, so a mis-declared field can never let an identifier through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from string import ascii_letters


@dataclass(frozen=True, slots=True)
class FieldType:
    role: str  # keep | time | ipport | scrub
    regex: str | None  # fixed regex, or None: built from the character that follows the field
    time_kind: str | None = None
    description: str = ""
    # Time types: every character a match can hold (tests/test_formats.py holds each regex to them; the reference
    # engine in tests/reference reads a time field by them).
    chars: str = ""


# Unrolled ("normal* (special normal*)*"): one character-class run per stretch instead of an alternation
# per character, about 3x faster on long request lines, and the same language.
QUOTED = r'[^"\\]*+(?:\\.[^"\\]*+)*+'

FIELD_TYPES: dict[str, FieldType] = {
    "host": FieldType("scrub", None, description="client address or host name"),
    "ip": FieldType("scrub", None, description="an IP address"),
    "ipport": FieldType("ipport", None, description="address:port, IPv6 with the port glued on"),
    "word": FieldType("scrub", None, description="a run of non-blank characters"),
    "text": FieldType("scrub", None, description="anything up to the next literal"),
    "qtext": FieldType("scrub", QUOTED, description="the inside of a double-quoted string"),
    "rest": FieldType("scrub", r".*", description="the rest of the line"),
    "message": FieldType("message", r".*", description="a syslog payload: JSON lines are read as JSON, else text"),
    "sd": FieldType(
        "scrub",
        r'-|(?:\[[^\]"\\]*+(?:(?:\\.|"' + QUOTED + r'")[^\]"\\]*+)*+\])++',
        description="RFC 5424 structured data",
    ),
    "int": FieldType("keep", r"-|[0-9]++", description="a whole number or -"),
    "num": FieldType("keep", r"-|[0-9]++(?:\.[0-9]++)?", description="a decimal number or -"),
    "clf": FieldType(
        "time",
        r"[0-9]{1,2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?: ?[+-][0-9]{4})?",
        "clf",
        "10/Oct/2000:13:55:36 -0700",
        ascii_letters + "0123456789/:.+- ",
    ),
    "iso": FieldType(
        "time",
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?",
        "iso",
        "2026-11-21T10:00:00+01:00",
        "0123456789-T :.,Z+",
    ),
    "syslog": FieldType(
        "time",
        r"[A-Z][a-z]{2} {1,2}[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?",
        "syslog",
        "Nov 21 10:00:00 (year inferred)",
        ascii_letters + "0123456789 :.",
    ),
    "epoch": FieldType("time", r"[0-9]{9,11}(?:\.[0-9]+)?", "epoch", "1700000000.123", "0123456789."),
}


def field_regex(type_name: str, stop: str | None) -> str:
    """The regex for a field, given the first character of the literal after it (None at the end)."""
    ft = FIELD_TYPES[type_name]
    if ft.regex is not None:
        return ft.regex
    if type_name == "text":
        if stop is None:
            return r".*"
        if stop == '"':
            return QUOTED
        return "[^" + re.escape(stop) + "]*+"
    if stop is None or stop.isspace():
        return r"\S++" if stop is not None else r"\S+"
    return r"[^\s" + re.escape(stop) + "]++"
