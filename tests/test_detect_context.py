"""Identifiers known by where they stand: URI user parts, key=value pairs, provisioning file names."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import examples, texts_from
from tests.reference.detect.context import (
    IMEI_KEY_SET,
    MAC_KEY_SET,
    PHONE_KEY_SET,
    PROVISIONING_MAC_RE,
    URI_USER_RE,
    find_context,
    keyed_values,
    uri_users,
)


def found(text: bytes):
    return [(text[f.start : f.end], f.kind, f.normalised) for f in find_context(text, "DE")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"F=sip:43993005@192.168.1.71", [(b"43993005", "phone", "+4943993005")]),
        (b"<sip:030123456@pbx.example.com>", [(b"030123456", "phone", "+4930123456")]),
        (b"<sip:+1-212-555-1212:1234@gw;user=phone>", [(b"+1-212-555-1212", "phone", "+12125551212")]),
        (b"sip:0301234567;user=phone@h", [(b"0301234567", "phone", "+49301234567")]),
        (b"<tel:1234567;phone-context=+49-30>", [(b"1234567", "phone", "+49301234567")]),
        (b"sip:123-4567;phone-context=+4930@pbx;user=phone", [(b"123-4567", "phone", "+49301234567")]),
        (b"/c?to=030123456&x=1", [(b"030123456", "phone", "+4930123456")]),
        (b"caller=0301234567;", [(b"0301234567", "phone", "+49301234567")]),
        (b"caller=030 1234567 status=200", [(b"030 1234567", "phone", "+49301234567")]),
        (b"number=(030) 1234567;", [(b"(030) 1234567", "phone", "+49301234567")]),
        (b"to=030-1234567&a=1", [(b"030-1234567", "phone", "+49301234567")]),
        (b'"msisdn": "4915112345678"', [(b"4915112345678", "phone", "+4915112345678")]),
        (b"calling=46566464645;", [(b"46566464645", "phone", "+46566464645")]),
        (b"GET /prov/001565ABCDEF.cfg", [(b"001565ABCDEF", "mac", "00:15:65:ab:cd:ef")]),
        (b"GET /SEP001565ABCDEF.cnf.xml", [(b"001565ABCDEF", "mac", "00:15:65:ab:cd:ef")]),
        (b"GET /cfg001565abcdef.xml", [(b"001565abcdef", "mac", "00:15:65:ab:cd:ef")]),
        (b"SN:001565abcdef", [(b"001565abcdef", "mac", "00:15:65:ab:cd:ef")]),
        (b"DevId=001565ABCDEF", [(b"001565ABCDEF", "mac", "00:15:65:ab:cd:ef")]),
        (b"imei=4901542032375181", [(b"4901542032375181", "imei", "49015420323751")]),
        # a MAC key with a value that starts with a hex letter, and nothing else keyed in the text
        (b"mac=abcdef012345", [(b"abcdef012345", "mac", "ab:cd:ef:01:23:45")]),
        (b"GET /p?sn=ACDE48001122 HTTP/1.1", [(b"ACDE48001122", "mac", "ac:de:48:00:11:22")]),
        (b'"DevId": "c0ffee123456"', [(b"c0ffee123456", "mac", "c0:ff:ee:12:34:56")]),
        # a tel: URI ends wherever its number ends, not only before a few listed characters
        (b"[tel:0301234567]", [(b"0301234567", "phone", "+49301234567")]),
        (b"x tel:0301234567|y", [(b"0301234567", "phone", "+49301234567")]),
        (b"{tel:+49301234567}", [(b"+49301234567", "phone", "+49301234567")]),
        # a keyed number followed by a separator the old end list lacked
        (b"to=0301234567|x", [(b"0301234567", "phone", "+49301234567")]),
        (b"from=0301234567:5060", [(b"0301234567", "phone", "+49301234567")]),
        (b"dst=0301234567/trunk", [(b"0301234567", "phone", "+49301234567")]),
        (b"caller=0301234567.", [(b"0301234567", "phone", "+49301234567")]),
        (b'to  =  "0301234567"', [(b"0301234567", "phone", "+49301234567")]),
        # a keyed number joined to an address: the address's first group is not the number's (found by the fuzzer:
        # the number passed until the address was a token, so a second pass found it)
        (b"from=30123456/120.0.0.0 x", [(b"30123456", "phone", "+4930123456")]),
        (b"to=0301234567-192.0.2.1", [(b"0301234567", "phone", "+49301234567")]),
        (b"to=030%20123456%20192.0.2.1", [(b"030%20123456", "phone", "+4930123456")]),
    ],
)
def test_context_found(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        b"R=sip:192.168.1.71 T=sip:301@pbx",  # a host, and a short extension
        b"src=192.168.100.200",
        b"dst=10.0.0.1:5060",
        b"to=12abc34567",
        b"from=alice",
        b"GET /y000000000028.cfg",  # Yealink model file, not a MAC
        b"GET /000000000000.cfg",  # Polycom master config
        b"id=8e40daa391b6e4d82b296c77eb0c6986",
        b"photo=1234567",  # not the key "to"
        b"number=1234567.89",  # a decimal
        b"to=030/1234567.5",  # a decimal after a group: what is left before it is too short to be a number
        b"_to=0301234567",  # not a key: the word is "_to"
        b'to""=0301234567',
        b"mac=abcdefabcdef0",  # thirteen hex digits
    ],
)
def test_context_decoys(text):
    assert found(text) == []


# The key regex the separator-first scan replaced: what it reads as keys and where their values start.
PLAIN_KEYED_RE = re.compile(rb"(?<![A-Za-z0-9_])[\"']?([A-Za-z][A-Za-z0-9_]*+)[\"']?[ \t]*+[=:][ \t]*+[\"']?")
KEYS = ["to", "from", "mac", "imei", "tel", "sn", "caller_id_number", "x", "e164", "photo", "1to", "_to"]
KEYS += ["TO", "Imei", "ANI2", "DevId", "CLID", "sip", "db8", "2001"]  # every key ending, either case; non-keys


PIECES = ["=", ":", " ", "\t", '"', "'", "0301234567", "ab12", "+49", "%2B", "(", "&", "-"]


@given(texts_from(KEYS + PIECES, max_size=30))
@settings(max_examples=examples(3000), deadline=None)
def test_keys_are_read_as_the_key_regex_reads_them(text):
    """Where a value can start, the key read backwards from the separator is the one the plain key regex finds."""
    plain = {
        (m.group(1).lower(), m.end())
        for m in PLAIN_KEYED_RE.finditer(text)
        if m.end() < len(text) and text[m.end()] in b"0123456789ABCDEFabcdef+(%"
    }
    scanned = {(key, pos) for key, _, pos in keyed_values(text) if key in PHONE_KEY_SET | MAC_KEY_SET | IMEI_KEY_SET}
    assert scanned == {pair for pair in plain if pair[0] in PHONE_KEY_SET | MAC_KEY_SET | IMEI_KEY_SET}, text


URI_PIECES = [
    "sip",
    "SIPS",
    "sips",
    "tel",
    "TeL",
    "x",
    ":",
    "+",
    "%2B",
    "(",
    ")",
    "0",
    "1234567",
    "-",
    ".",
    ";a",
    "@",
    "@h",
]


@given(st.one_of(texts_from(URI_PIECES, max_size=24), st.binary(max_size=120)))
@settings(max_examples=examples(5000), deadline=None)
def test_uri_users_are_found_as_the_plain_regex_finds_them(text):
    assert [m.span() for m in uri_users(text)] == [m.span() for m in URI_USER_RE.finditer(text)], text


# The provisioning rule as first written, led by a lookbehind for the `/` or `=`.
PLAIN_PROVISIONING_RE = re.compile(
    rb"(?<=[/=])[A-Za-z0-9_\-]{0,16}?(?<![0-9A-Fa-f])(?P<v>[0-9A-Fa-f]{12})(?![0-9A-Fa-f])"
    rb"[A-Za-z0-9_\-.]{0,24}?\.(?i:cfg|cnf|xml|ini|boot|txt|conf|htm|html|json|bin|ld|tar|zip|rom|cnf\.xml)"
    rb"(?![A-Za-z0-9])"
)
FILE_PIECES = ["/", "=", "001565abcdef", "SEP", "0015", "65ABCDEF", "-", "_", ".", "cfg", "cnf.xml", "XML", "x", "a"]


@given(texts_from(FILE_PIECES, max_size=16))
@settings(max_examples=examples(3000), deadline=None)
def test_provisioning_names_are_found_as_the_lookbehind_regex_finds_them(text):
    spans = [m.span("v") for m in PROVISIONING_MAC_RE.finditer(text)]
    assert spans == [m.span("v") for m in PLAIN_PROVISIONING_RE.finditer(text)], text
