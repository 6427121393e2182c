"""SIP, PBX and media-relay shapes."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import examples, texts_from
from tests.reference.detect.sip import (
    NUMBER_WORDS,
    USER_AT_HOST_RE,
    find_sip,
    normalise_device,
    quotes_after_number_words,
    user_at_host_matches,
)


def found(text: bytes):
    return [(text[f.start : f.end], f.kind) for f in find_sip(text, "DE")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            b'+sip.instance="<urn:uuid:00000000-0000-1000-8000-00156512ABCD>"',
            [(b"00000000-0000-1000-8000-00156512ABCD", "device")],
        ),
        (b'From: "0301234567" <sip:x@y>', [(b"0301234567", "phone")]),
        (b'"""Alice"" <0301234567>"', [(b"0301234567", "phone")]),
        (b"Dial(PJSIP/0301234567-0000001a)", [(b"0301234567", "phone")]),
        (b"SIP/trunk/0301234567,30", [(b"0301234567", "phone")]),
        # a dial string rings several channels, joined by `&`
        (b"Dial(PJSIP/0301234567&PJSIP/0307654321)", [(b"0301234567", "phone"), (b"0307654321", "phone")]),
        (b"IAX2/0301234567:5", [(b"0301234567", "phone")]),
        (b"Local/0309876543@from-internal-00000012;1", [(b"0309876543", "phone")]),
        (b"sofia/internal/79739980@172.16.154.33:56580", [(b"79739980", "phone")]),
        (b"for [011448708752617@::1] from", [(b"011448708752617", "phone")]),
        (b"user <1702970778:905330202827> remote", [(b"905330202827", "phone")]),
        (b"to extension '0301234567' rejected", [(b"0301234567", "phone")]),
    ],
)
def test_found(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        b"Call-ID: 4a681d8626b801ce1a8185472fda8e86@37.148.1",
        b"uuid 42a396e6-4d2a-4b62-bde3-a75df666d926",  # a call UUID is not a device id
        b"PJSIP/trunk-0000001b",
        b"SIP/1000-00000001",  # an extension
        b"user <myusername>",
        b"to extension '100' rejected",
        b"session 001000000000000008",
    ],
)
def test_decoys(text):
    assert found(text) == []


def test_normalise_device():
    assert normalise_device("<urn:uuid:00000000-0000-1000-8000-00156512ABCD>") == (
        "urn:uuid:00000000-0000-1000-8000-00156512abcd"
    )
    assert normalise_device("not-a-uuid") is None


# The word regex the quote-first scan replaced.
PLAIN_WORD_QUOTE_RE = re.compile(rb"(?<![A-Za-z])([A-Za-z]+)\s+[\"'](?=(?:\+|%2[Bb])?\(?[0-9])")
WORD_PIECES = ["to", "extension", "exten", "x", "TO", "'", '"', " ", "\t", "\n", "0301234567", "+", "%2B", "(", "-"]


@given(texts_from(WORD_PIECES, max_size=30))
@settings(max_examples=examples(3000), deadline=None)
def test_words_before_quotes_are_read_as_the_word_regex_reads_them(text):
    plain = [m.end() for m in PLAIN_WORD_QUOTE_RE.finditer(text) if m.group(1).lower() in NUMBER_WORDS]
    assert list(quotes_after_number_words(text)) == plain, text


USER_PIECES = [
    "0", "1234", "123456", "12345678901234567", "+", "@", "@h", "@[", "@:", "@@", "a", ":", "/", ".", " ", "%", "-",
]  # fmt: skip


@given(st.one_of(texts_from(USER_PIECES, max_size=24), st.binary(max_size=80)))
@settings(max_examples=examples(5000), deadline=None)
def test_users_at_hosts_are_found_as_the_plain_regex_finds_them(text):
    assert [m.span() for m in user_at_host_matches(text)] == [m.span() for m in USER_AT_HOST_RE.finditer(text)], text
