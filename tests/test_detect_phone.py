"""Phone numbers: international marks, separators, where a number ends, E.164 normalisation."""

import re

import pytest

from tests.conftest import examples, texts_from
from tests.reference.detect.phone import MARK_RE, find_international, normalise_phone


def spans(text: bytes):
    return [(text[f.start : f.end], f.normalised) for f in find_international(text, "DE")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"call +49 30 1234567", [(b"+49 30 1234567", "+49301234567")]),
        (b"call 0049301234567 now", [(b"0049301234567", "+49301234567")]),
        (b"to=%2B4930123456&x=1", [(b"%2B4930123456", "+4930123456")]),
        (b"to=%2b4930123456", [(b"%2b4930123456", "+4930123456")]),
        (b"Dial(PJSIP/+4930123456@trunk)", [(b"+4930123456", "+4930123456")]),
        (b"9011+442037690237", [(b"+442037690237", "+442037690237")]),
        (b"+49 (0)30 1234567 ok", [(b"+49 (0)30 1234567", "+49301234567")]),
        (b"+49-30-1234567;", [(b"+49-30-1234567", "+49301234567")]),
        (b"+49.30.1234567", [(b"+49.30.1234567", "+49301234567")]),
        (b"+49 30 123 4567 200 OK", [(b"+49 30 123 4567", "+49301234567")]),  # a status code is not a group
        (b'"GET /c?n=+4930123456 HTTP/1.1" 200 512', [(b"+4930123456", "+4930123456")]),
        (b"+1 212 555 1234", [(b"+1 212 555 1234", "+12125551234")]),
        # a `00` number that runs into a word across a blank ends at the blank (found by the fuzzer: once the group
        # after the blank was a token, filtering again found the shorter number)
        (b"x 00456/120.0.0.0 0.0.0.0S y", [(b"00456/120.0.0.0", "+456120000")]),
        (b"0049 301234 5abc", [(b"0049 301234", "+49301234")]),
        # ... and across `-` or `/`: the group that ran into the word is the word's (a MAC file name, an id's suffix)
        (b"id=004930123456-1a", [(b"004930123456", "+4930123456")]),
        (b"/prov/0049301234567/00156500bad5.cfg", [(b"0049301234567", "+49301234567")]),
        (b"0049 30 1234-5abc", [(b"0049 30 1234", "+49301234")]),
    ],
)
def test_international_found(text, expected):
    assert spans(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        b"offset +0100",
        b"+12345",
        b"session 001000000000000008",
        b"00491511234567890123",  # too many digits for E.164
        b"0049ab12345678",
        b"0049301234567abc",  # a 00 run into a word, no blank in it
        b"0049 30%201234567x",  # cut at its last blank, too few digits are left
        b"bytes 0012345",
        b"2026-11-21T10:00:00+01:00",
    ],
)
def test_international_decoys(text):
    assert spans(text) == []


@pytest.mark.parametrize(
    "written",
    ["+49 30 1234567", "0049301234567", "030 1234567", "030/1234567", "+49 (0)30 1234567", "%2B49301234567"],
)
def test_one_subscriber_one_normal_form(written):
    assert normalise_phone(written, "DE") == "+49301234567"


def test_region_decides_national_numbers():
    assert normalise_phone("01 234 5678", "IE") == "+35312345678"
    assert normalise_phone("030 1234567", "DE") == "+49301234567"


def test_long_numbers_without_prefix_are_international():
    assert normalise_phone("918888888888", "DE") == "+918888888888"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.reference.detect.phone import _e164, fast_e164, plain_e164, scan_groups, scan_number  # noqa: E402


@given(
    st.sampled_from(["DE", "AT", "CH", "GB", "FR", "NL", "US", "IT", "ES", "PL", "IN", "TR", "BR", "AR"]),
    st.text(alphabet="0123456789", min_size=4, max_size=15),
    st.booleans(),
)
@settings(max_examples=examples(4000), deadline=None)
def test_fast_e164_agrees_with_phonenumbers(region, digits, international):
    """Wherever the fast path answers, it answers exactly what a full phonenumbers parse gives."""
    fast = fast_e164(digits, international, region)
    if fast is not None:
        slow = _e164("+" + digits, None) if international else _e164(digits, region)
        assert fast == slow, (region, digits, international)


PLAIN_MARK_RE = re.compile(rb"(?:\+|%2[Bb]|(?<![0-9A-Za-z.])00)(?=\(?[1-9])")


MARK_PIECES = ["0", "00", "1", "9", "+", "%2B", "%2b", "%", "2", "B", "(", ".", "a", " ", "-"]


@given(texts_from(MARK_PIECES, max_size=30))
@settings(max_examples=examples(3000), deadline=None)
def test_mark_regex_matches_its_plain_form(text):
    assert [m.span() for m in MARK_RE.finditer(text)] == [m.span() for m in PLAIN_MARK_RE.finditer(text)]


NUMBER_PIECES = [
    "0",
    "1",
    "49",
    "1234",
    "12345",
    "1234567",
    "0123456789012345",
    "-",
    ".",
    "/",
    "(",
    ")",
    " ",
    "%20",
    "%",
    "a",
    "&",
    "+",
]


@given(texts_from(NUMBER_PIECES, max_size=20), st.integers(min_value=0, max_value=40), st.booleans())
@settings(max_examples=examples(4000), deadline=None)
def test_plain_run_shortcut_agrees_with_the_group_loop(text, pos, dots):
    """scan_number's one-regex answer for a plain digit run is what the group loop gives."""
    pos = min(pos, len(text))
    assert scan_number(text, pos, dots) == scan_groups(text, pos, dots)


@given(
    st.sampled_from(["", "+", "%2B", "%2b", "0", "00", "+0"]),
    st.text(alphabet="0123456789", min_size=0, max_size=16),
    st.sampled_from(["", "-", " ", "(", "a"]),
    st.sampled_from(["DE", "AT", "GB", "US", "FR", "IT", "BR"]),
)
@settings(max_examples=examples(3000), deadline=None)
def test_plain_e164_agrees_with_normalise_phone(mark, digits, tail, region):
    raw = mark + digits + tail
    fast = plain_e164(raw.encode(), region)
    assert fast is None or fast == normalise_phone(raw, region), raw
