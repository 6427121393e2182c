"""Issue 22's intended differences between the native core and the Python engine, in one place.

The native detectors replace more than the Python ones (the leak shapes of tests/test_leak_shapes.py: glued
percent-escapes, IPv6 after a tag, DIN 5008 numbers, telephony keys by rule, numbers in REST paths, spaced device
keys) and keep what Python wrongly replaced (firmware and app versions in a version context). The differential
tests compare the two engines exactly where they agree and, on a line where they differ, assert the direction:
native leaves no raw value Python replaced, except a dotted quad it kept as a version.
"""

from __future__ import annotations

import re

# A raw value left in an output: a digit run of four or more, or a dotted quad.
_RAW = re.compile(rb"(?<![0-9.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9.])|[0-9]{4,}")
# What stands before a dotted quad the native core keeps as a version (src/detect/ip.rs, in_version_context).
_VERSION = re.compile(
    rb"(?i)(?:\b(?:r?v)|(?:version|ver|fw|firmware|sw|build|release|rv)[\"']?\s*[=:]?\s*[\"']?|"
    rb"(?:yealink|grandstream|polycom|snom|cisco|fanvil|gigaset|zoiper|linphone|microsip|obihai|panasonic|"
    rb"aastra|mitel|htek|akuvox)\s+\S+\s)$"
)


# Addresses as --ip-style prefix writes them (they look like addresses: with that style only the other kinds
# are compared).
_ADDRESS = re.compile(rb"[0-9A-Fa-f]*:[0-9A-Fa-f:]*[0-9A-Fa-f.]+|[0-9]{1,3}(?:\.[0-9]{1,3}){3}")


def raw_values(out: bytes, token: re.Pattern[bytes], prefix: bool = False) -> list[tuple[bytes, bytes]]:
    """(value, what stands before it) for every raw value left in `out`, tokens removed."""
    text = token.sub(b" ", out)
    if prefix:
        text = _ADDRESS.sub(b" ", text)
    return [(m.group(), text[max(0, m.start() - 40) : m.start()]) for m in _RAW.finditer(text)]


def assert_native_replaces_at_least(
    py_out: bytes, rs_out: bytes, token: re.Pattern[bytes], prefix: bool = False
) -> None:
    """Native's output holds no raw value Python's output had replaced, but for a quad kept as a version."""
    left_by_python = {v for v, _ in raw_values(py_out, token, prefix)}
    for value, before in raw_values(rs_out, token, prefix):
        if value in left_by_python:
            continue
        assert b"." in value and _VERSION.search(before), (value, before, py_out, rs_out)


def assert_findings_cover(text: bytes, python: list, native: list) -> None:
    """Findings (start, end, ...) of one rule: every Python finding lies inside native's (native may find more
    and longer, issue 22), but for a dotted quad native reads as a version."""
    spans = sorted((f[0], f[1]) for f in native)
    for f in python:
        start, end = f[0], f[1]
        if any(s <= start and end <= e for s, e in spans):
            continue
        assert b"." in text[start:end] and _VERSION.search(text[max(0, start - 40) : start]), (f, native, text)
