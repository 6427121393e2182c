"""Identifiers known by where they stand: URI user parts, key=value pairs, provisioning file names."""

import pytest

from pseudolog.detect.context import find_context


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
    ],
)
def test_context_decoys(text):
    assert found(text) == []
