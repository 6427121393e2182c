"""MAC addresses and IMEIs."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import examples, texts_from
from tests.reference.detect.device import IMEI_RE, find_imei, find_mac, luhn_ok, normalise_imei, normalise_mac


@pytest.mark.parametrize(
    "text",
    [
        b"00:15:65:AB:CD:EF",
        b"00-15-65-ab-cd-ef",
        b"0015.65ab.cdef",
        b"mac 00:15:65:ab:cd:ef up",
        b"00:15:65:AB:CD:EF-192.0.2.1",  # joined to an address by another separator (found by a property test)
        b"eth0-00:15:65:ab:cd:ef",
        b"1-00:15:65:ab:cd:ef",
        b"00-15-65-ab-cd-ef:5060",
    ],
)
def test_mac_forms_normalise_alike(text):
    found = list(find_mac(text))
    assert [f.normalised for f in found] == ["00:15:65:ab:cd:ef"]


@pytest.mark.parametrize(
    "text",
    [
        b"2024-11-21-10-00-00",
        b"00:15:65:ab:cd",
        b"001565abcdef",
        b"12:30:00",
        b"8e40daa391b6e4d82b296c77eb0c6986",
        b"00:15:65:ab:cd:ef:01",  # seven pairs: not a MAC
        b"01-00-15-65-ab-cd-ef",
    ],
)
def test_mac_decoys(text):
    assert list(find_mac(text)) == []


@pytest.mark.parametrize(
    ("text", "core"),
    [
        (b"IMEI 490154203237518 registered", "49015420323751"),
        (b"49-015420-323751-8", "49015420323751"),
        (b'+sip.instance="<urn:gsma:imei:49015420-323751-0>"', "49015420323751"),
    ],
)
def test_imei_found(text, core):
    assert [f.normalised for f in find_imei(text)] == [core]


def test_imei_requires_luhn_and_a_reporting_body():
    assert list(find_imei(b"id 490154203237519")) == []
    assert list(find_imei(b"[pid 17512:tid 140080231159552]")) == []  # Luhn-valid, but 14 is no reporting body
    assert luhn_ok(b"490154203237518")


def _luhn_by_the_book(digits: str) -> bool:
    total = 0
    for place, digit in enumerate(int(c) for c in reversed(digits)):
        if place % 2:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    return total % 10 == 0


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_luhn_is_the_textbook_check(digits):
    assert luhn_ok(digits.encode()) == _luhn_by_the_book(digits)


@pytest.mark.parametrize(
    ("value", "core"),
    [("490154203237518", "49015420323751"), ("4901542032375181", "49015420323751"), ("x", None)],
)
def test_normalise_imei(value, core):
    assert normalise_imei(value) == core


def test_normalise_mac_rejects_other_text():
    assert normalise_mac("00:15:65:ab:cd") is None
    assert normalise_mac("001565ABCDEF") == "00:15:65:ab:cd:ef"


def _plain_normalise_mac(raw: bytes) -> str | None:
    """The MAC normalisation by its definition: twelve hex digits, nothing else but separators."""
    hexdigits = bytes(c for c in raw if c in b"0123456789abcdefABCDEF")
    rest = bytes(c for c in raw if c not in b"0123456789abcdefABCDEF")
    if len(hexdigits) != 12 or rest.strip(b":-. ") != b"":
        return None
    h = hexdigits.decode().lower()
    return ":".join(h[i : i + 2] for i in range(0, 12, 2))


@given(texts_from(["0", "15", "65", "AB", "cd", "ef", "g", ":", "-", ".", " ", "x", "001565abcdef"], max_size=14))
@settings(max_examples=examples(2000), deadline=None)
def test_normalise_mac_agrees_with_its_definition(text):
    assert normalise_mac(text) == _plain_normalise_mac(text), text


PLAIN_IMEI_RE = re.compile(rb"(?<![0-9])(?:[0-9]{15}|[0-9]{2}[- ][0-9]{6}[- ][0-9]{6}[- ][0-9])(?![0-9])")


@given(texts_from(["0", "35", "123456", "1234567", "-", " ", "a", "."], max_size=20))
@settings(max_examples=examples(3000), deadline=None)
def test_imei_regex_matches_its_plain_form(text):
    assert [m.span() for m in IMEI_RE.finditer(text)] == [m.span() for m in PLAIN_IMEI_RE.finditer(text)]
