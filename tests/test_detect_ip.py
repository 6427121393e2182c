"""IPv4 and IPv6 detection: text -> (matched text, normalised form) for every form the issue names."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import examples, texts_from
from tests.reference.detect.ip import (
    IPV4_RE,
    IPV6_CANDIDATE_RE,
    find_ipv4,
    find_ipv6,
    ipv4_matches,
    ipv6_candidates,
    normalise_ip,
    normalise_ipv4,
    normalise_ipv6,
)


def spans(finder, text: bytes):
    return [(text[f.start : f.end], f.normalised) for f in finder(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"client 192.0.2.1 connected", [(b"192.0.2.1", "192.0.2.1")]),
        (b"192.0.2.1:5060", [(b"192.0.2.1", "192.0.2.1")]),
        (b'RemoteAddress="IPV4/UDP/198.51.100.7/5060"', [(b"198.51.100.7", "198.51.100.7")]),
        (b"Call-ID: a84b4c76e66710@203.0.113.9", [(b"203.0.113.9", "203.0.113.9")]),
        (b"sip:alice@192.0.2.44;transport=tcp", [(b"192.0.2.44", "192.0.2.44")]),
        (b"X-Forwarded-For: 10.0.0.2, 198.51.100.23", [(b"10.0.0.2", "10.0.0.2"), (b"198.51.100.23", "198.51.100.23")]),
        (b"010.001.002.003", [(b"010.001.002.003", "10.1.2.3")]),  # decimal, never octal
        (b"255.255.255.255.", [(b"255.255.255.255", "255.255.255.255")]),
        (b"GET /lookup/192.0.2.5 HTTP/1.1", [(b"192.0.2.5", "192.0.2.5")]),
        (b"4.3.2.1.in-addr.arpa", [(b"4.3.2.1", "4.3.2.1")]),
    ],
)
def test_ipv4_found(text, expected):
    assert spans(find_ipv4, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        b"Mozilla/5.0 (X11) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36",
        b"Chrome/120.0.6099.109",
        b"curl/8.4.0",
        b"256.1.1.1",
        b"1.2.3.4.5",
        b"OID 1.3.6.1.4.1.2021.10",
        b"took 1706368044.12 s",
        b"version 1.2.3",
    ],
)
def test_ipv4_decoys_untouched(text):
    assert spans(find_ipv4, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"2001:db8::1", [(b"2001:db8::1", "2001:db8::1")]),
        (b"2001:0DB8:0000:0000:0000:0000:0000:0001", [(b"2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1")]),
        (b"[2001:db8::7]:5060", [(b"2001:db8::7", "2001:db8::7")]),
        (b"fe80::1%eth0 up", [(b"fe80::1", "fe80::1")]),
        (b"::ffff:192.0.2.1", [(b"::ffff:192.0.2.1", "192.0.2.1")]),
        (b"2001:db8::1234:58430 [14/Nov/2015", [(b"2001:db8::1234", "2001:db8::1234")]),  # HAProxy, port glued
        (b"2001:db8:0:0:0:0:0:1:443", [(b"2001:db8:0:0:0:0:0:1", "2001:db8::1")]),
        (b"loopback ::1 ok", [(b"::1", "::1")]),
        (b"via 2001:DB8:85A3::8A2E:370:7334;", [(b"2001:DB8:85A3::8A2E:370:7334", "2001:db8:85a3::8a2e:370:7334")]),
    ],
)
def test_ipv6_found(text, expected):
    assert spans(find_ipv6, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        b"10:00:00",
        b"2026:00:00:00",
        b"[10/Oct/2000:13:55:36 -0700]",
        b"2026-11-21T10:00:00Z",
        b"a :: b",
        b"std::string",
    ],
)
def test_ipv6_decoys_untouched(text):
    assert spans(find_ipv6, text) == []


@pytest.mark.parametrize(
    ("value", "normalised"),
    [("192.0.2.1", "192.0.2.1"), ("[2001:DB8::1]", "2001:db8::1"), ("::ffff:192.0.2.1", "192.0.2.1"), ("x", None)],
)
def test_normalise_ip_for_lookup(value, normalised):
    assert normalise_ip(value) == normalised


@pytest.mark.parametrize(
    "agent", [b"Yealink SIP-T46S 66.86.0.15", b"Grandstream GXP2170 1.0.11.23", b"Firefox/2.0.0.4", b"zlib/1.2.3.4"]
)
def test_firmware_versions_in_user_agents(agent):
    assert spans(lambda t: find_ipv4(t, in_agent=True), agent) == []
    assert spans(find_ipv4, agent) != []  # outside a user agent the strict rule holds


def test_addresses_in_user_agents_are_still_found():
    text = b"Mozilla/5.0 (compatible; +http://192.0.2.8/bot) via 192.0.2.9"
    assert [n for _, n in spans(lambda t: find_ipv4(t, in_agent=True), text)] == ["192.0.2.8", "192.0.2.9"]


def _ipaddress_reference(text: str) -> str | None:
    """What the standard library makes of a candidate (after the same dotted-tail reading)."""
    import ipaddress
    import re

    address = text.split("%", 1)[0]
    tail = re.search(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$", address)
    if tail:
        address = address[: tail.start()] + ".".join(str(int(octet)) for octet in tail.groups())
    try:
        ip = ipaddress.IPv6Address(address)
    except ValueError:
        return None
    return str(ip.ipv4_mapped) if ip.ipv4_mapped is not None else ip.compressed


_hextet = st.one_of(st.just(""), st.just("0"), st.integers(0, 0xFFFF).map("{:x}".format), st.text("0fF9a", max_size=5))
_candidate = st.one_of(
    st.lists(_hextet, min_size=1, max_size=10).map(":".join),
    st.tuples(
        st.lists(_hextet, max_size=8).map(":".join),
        st.sampled_from(["::", ":", "::ffff:"]),
        st.lists(_hextet, max_size=8).map(":".join),
    ).map("".join),
    st.tuples(
        st.lists(_hextet, max_size=7).map(":".join),
        st.sampled_from([":", "::", "::ffff:"]),
        st.lists(st.integers(0, 300).map(str), min_size=3, max_size=4).map(".".join),
    ).map("".join),
    st.text("0123456789abcdefABCDEF:.% x", max_size=45),
)


@settings(max_examples=examples(3000), deadline=None)
@given(_candidate)
def test_ipv6_normalisation_agrees_with_ipaddress(text):
    assert normalise_ipv6(text) == _ipaddress_reference(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1:0:0:2:0:0:0:3", "1:0:0:2::3"), ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"), ("1::2:3:4:5:6:7:8", None), ("::", "::")],
)
def test_ipv6_compression_edges(text, expected):
    assert normalise_ipv6(text) == expected


QUAD_PIECES = ["1", "25", "255", "256", "010", "0", ".", "..", "9", "x", "/", ":", " ", "1.2.3.4", "300.1.1.1"]


@given(st.one_of(texts_from(QUAD_PIECES, max_size=30), st.binary(max_size=120)))
@settings(max_examples=examples(5000), deadline=None)
def test_hinted_ipv4_scan_matches_the_plain_scan(text):
    assert [m.span() for m in ipv4_matches(text)] == [m.span() for m in IPV4_RE.finditer(text)], text


COLON_PIECES = ["1", "ab", "fffff", "0", ":", "::", ".", "1.2.3.4", "%eth0", "g", "_", " ", "[", "]", "x:", "::ffff:"]


@given(st.one_of(texts_from(COLON_PIECES, max_size=30), st.binary(max_size=120)))
@settings(max_examples=examples(5000), deadline=None)
def test_hinted_ipv6_scan_matches_the_plain_scan(text):
    assert [m.span() for m in ipv6_candidates(text)] == [m.span() for m in IPV6_CANDIDATE_RE.finditer(text)], text


_OCTET_TEXT = st.integers(0, 255).flatmap(lambda n: st.sampled_from([str(n), f"{n:02d}", f"{n:03d}"]))


@given(st.lists(_OCTET_TEXT, min_size=4, max_size=4).map(".".join))
@settings(max_examples=examples(500), deadline=None)
def test_ipv4_normalised_the_same_from_bytes_and_from_text(quad):
    """Bytes that are already canonical are returned as they are; the rest are rewritten octet by octet."""
    assert IPV4_RE.fullmatch(quad.encode())
    plain = ".".join(str(int(part)) for part in quad.split("."))
    assert normalise_ipv4(quad.encode()) == normalise_ipv4(quad) == plain
