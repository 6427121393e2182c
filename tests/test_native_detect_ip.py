"""Differential test: the native IP and device detectors (src/detect/ip.rs, src/detect/device.rs) against the Python
ones (pseudolog/detect/ip.py, pseudolog/detect/device.py): the same spans, kinds and normalised values, byte for
byte, on generated texts, the public corpora, the fuzz regressions, the hostile lines and the Python tests' tables.

Expected differences (the Python behaviour is a bug, the Rust one is kept right), each checked below:
- `normalise_ip`/`normalise_ipv6` read the dotted tail with a str regex, so `\\d` takes any Unicode decimal digit
  (`::ffff:١.2.3.4` is accepted as 1.2.3.4) and `$` matches before a final newline, which the rewrite then drops
  (`fe80::1.2.3.4\\n%eth0` is accepted). Rust accepts ASCII addresses only. Only `lookup` can meet either: the
  detectors hand over ASCII candidates without newlines.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pseudolog import _core
from tests.conftest import CORPORA, texts_from
from tests.issue22_differences import assert_findings_cover
from tests.reference.detect import device, ip
from tests.test_prefilter import FRAGMENTS

REPO = Path(__file__).resolve().parents[1]


def python_findings(text: bytes) -> dict[str, object]:
    return {
        "ipv4": [tuple(f) for f in ip.find_ipv4(text)],
        "ipv4_agent": [tuple(f) for f in ip.find_ipv4(text, in_agent=True)],
        "ipv6": [tuple(f) for f in ip.find_ipv6(text)],
        "mac": [tuple(f) for f in device.find_mac(text)],
        "imei": [tuple(f) for f in device.find_imei(text)],
        "whole_address": ip.whole_address(text),
    }


def native_findings(text: bytes) -> dict[str, object]:
    return {
        "ipv4": _core.find_ipv4(text),
        "ipv4_agent": _core.find_ipv4(text, in_agent=True),
        "ipv6": _core.find_ipv6(text),
        "mac": _core.find_mac(text),
        "imei": _core.find_imei(text),
        "whole_address": _core.whole_address(text),
    }


def assert_same_findings(text: bytes) -> None:
    native, python = native_findings(text), python_findings(text)
    if native == python:
        return
    # Recorded differences (issue 22, tests/issue22_differences.py): native finds IPv6 after a tag (`IP:`,
    # `[IPv6:`) and reads quads in a version context as versions; every other Python finding it finds too.
    for rule in ("ipv4", "ipv4_agent", "ipv6"):
        assert_findings_cover(text, python[rule], native[rule])
    for rule in ("mac", "imei", "whole_address"):
        assert native[rule] == python[rule], (rule, text)


def _tainted_for_lookup(value: str) -> bool:
    """The expected difference (module docstring): a Unicode digit or a newline in the address part."""
    address = value.strip().split("%", 1)[0]
    return not address.isascii() or "\n" in address


def assert_same_normalised(value: str | bytes) -> None:
    text = value if isinstance(value, str) else value.decode("latin-1")
    py, rs = ip.normalise_ip(text), _core.normalise_ip(text)
    if py != rs:
        assert rs is None and _tainted_for_lookup(text), text
    if ":" in text:
        py6, rs6 = ip.normalise_ipv6(text), _core.normalise_ipv6(text)
        if py6 != rs6:
            assert rs6 is None and _tainted_for_lookup(text), text
    for v in (value, text) if isinstance(value, bytes) else (value, value.encode("utf-8", "surrogatepass")):
        assert _core.normalise_mac(v) == device.normalise_mac(v), v
        assert _core.normalise_imei(v) == device.normalise_imei(v), v


# --- the Python tests' tables ------------------------------------------------------------------------------------


def _parametrized_values(module) -> list[bytes | str]:
    """Every bytes or str value in the `parametrize` tables of a test module."""
    values: list[bytes | str] = []

    def walk(obj) -> None:
        if isinstance(obj, bytes | str):
            values.append(obj)
        elif isinstance(obj, tuple | list):
            for item in obj:
                walk(item)

    for name in dir(module):
        for mark in getattr(getattr(module, name), "pytestmark", []):
            if mark.name == "parametrize":
                walk(mark.args[1])
    return values


def _table_values() -> list[bytes | str]:
    from tests import test_detect_device, test_detect_ip, test_hostile

    values = []
    for module in (test_detect_ip, test_detect_device, test_hostile):
        values.extend(_parametrized_values(module))
    return values


TABLE = _table_values()


@pytest.mark.parametrize("value", TABLE, ids=lambda v: repr(v[:30]))
def test_python_tables(value):
    text = value if isinstance(value, bytes) else value.encode("utf-8")
    assert_same_findings(text)
    assert_same_normalised(value)


def test_the_tables_were_read():
    assert len(TABLE) > 60 and b"2001:db8::1" in TABLE and "490154203237518" in TABLE


# --- public corpora, fuzz regressions, hostile lines -------------------------------------------------------------


def _corpus_files() -> list[Path]:
    if not CORPORA.is_dir():
        return []
    return sorted(p for p in CORPORA.rglob("*") if p.is_file())


@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: str(p.relative_to(CORPORA)))
def test_corpus_lines(path):
    for line in path.read_bytes().splitlines():
        assert_same_findings(line)


REGRESSIONS = sorted((REPO / "fuzz" / "regressions").glob("*"))


@pytest.mark.parametrize("path", REGRESSIONS, ids=lambda p: p.name)
def test_fuzz_regressions(path):
    data = path.read_bytes()
    assert_same_findings(data)
    for line in data.splitlines():
        assert_same_findings(line)


HOSTILE = [
    b"GET /" + b"deadbeef" * 130_000 + b"zz" * 5000,
    b", ".join(b"10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255) for i in range(32_768)),
    b"+49 30 1234567 " * 100_000,
    b"1" * 200_000,
    b"1." * 100_000,
    b"a:" * 100_000,
    b"::" * 100_000,
    b"00:" * 70_000,
    b"to=1-" * 40_000,
    b"sip:1." * 30_000,
    b"%2B1" * 50_000,
    b"/001565abcdef" * 15_000,
    b"deadbeef:" * 50_000,
    b"fe80::1%eth0 " * 20_000,
    b"00:15:65:ab:cd:ef " * 20_000,
    b"490154203237518 " * 20_000,
    b"urn:gsma:imei:49015420-323751-0;" * 10_000,
    b"0015.65ab.cdef." * 20_000,
    b"1.2.3.4." * 50_000,
]


@pytest.mark.parametrize("line", HOSTILE, ids=lambda b: repr(b[:12]))
def test_hostile_lines(line):
    assert_same_findings(line)


# --- generated texts ---------------------------------------------------------------------------------------------

_octet = st.integers(0, 255).flatmap(lambda n: st.sampled_from([str(n), f"{n:02d}", f"{n:03d}"]))
_near_octet = st.one_of(_octet, st.sampled_from(["256", "300", "999", "0000", "1234", ""]))
ipv4_texts = st.lists(_near_octet, min_size=3, max_size=5).map(".".join)

_hextet = st.integers(0, 0xFFFF).flatmap(lambda h: st.sampled_from([f"{h:x}", f"{h:04x}", f"{h:X}", "0", "0000"]))


@st.composite
def ipv6_texts(draw) -> str:
    groups = draw(st.lists(_hextet, min_size=1, max_size=9))
    if draw(st.booleans()) and len(groups) > 1:  # compress a run
        i = draw(st.integers(0, len(groups) - 1))
        j = draw(st.integers(i, len(groups)))
        text = ":".join(groups[:i]) + "::" + ":".join(groups[j:])
    else:
        text = ":".join(groups)
    if draw(st.booleans()):
        text = draw(st.sampled_from(["::ffff:", "::", "64:ff9b::", "1:2:3:4:5:6:"])) + draw(ipv4_texts)
    text += draw(st.sampled_from(["", "", "%eth0", "%25", "%", ":5060", ":58430", ":443", "]:5060", "%en0.1"]))
    if draw(st.booleans()):
        text = "[" + text
    return text


@st.composite
def mac_texts(draw) -> str:
    pairs = [f"{b:02x}" for b in draw(st.lists(st.integers(0, 255), min_size=5, max_size=7))]
    if draw(st.booleans()):
        pairs = [p.upper() for p in pairs]
    form = draw(st.integers(0, 3))
    if form == 0:
        return draw(st.sampled_from([":", "-"])).join(pairs)
    if form == 1:  # mixed separators
        return "".join(p + draw(st.sampled_from([":", "-", "."])) for p in pairs)[:-1]
    joined = "".join(pairs)
    if form == 2:
        return ".".join(joined[i : i + 4] for i in range(0, len(joined), 4))
    return joined


def _luhn_digit(body: str) -> str:
    for d in "0123456789":
        if device.luhn_ok((body + d).encode()):
            return d
    raise AssertionError


@st.composite
def imei_texts(draw) -> str:
    body = draw(st.sampled_from([*sorted(b.decode() for b in device.REPORTING_BODIES), "14", "00", "77"]))
    body += draw(st.text("0123456789", min_size=12, max_size=12))
    digits = body + (_luhn_digit(body) if draw(st.booleans()) else draw(st.sampled_from("0123456789")))
    form = draw(st.integers(0, 3))
    if form == 0:
        return digits
    if form == 1:
        seps = draw(st.lists(st.sampled_from(["-", " "]), min_size=3, max_size=3))
        return digits[:2] + seps[0] + digits[2:8] + seps[1] + digits[8:14] + seps[2] + digits[14:]
    if form == 2:
        prefix = draw(st.sampled_from(["urn:gsma:imei:", "URN:GSMA:IMEI:", "Urn:Gsma:Imei:", "urn:gsma:imei"]))
        return prefix + digits[:8] + "-" + digits[8:14] + "-" + draw(st.sampled_from(["0", "1", "01", ""]))
    return digits + draw(st.sampled_from(["", "1", "12"]))


PIECES = [
    "0", "1", "9", "25", "255", "256", "010", "00", "a", "f", "F", "ab", "cd", "fe80", "ffff", "FFFF", "12345",
    "g", "x", "z", "G", ":", "::", ":::", ".", "..", "-", "%3A", "%3a", "%2E", "%", "%eth0", "[", "]", "/", " ",
    "_", "@", ";", "=", "(", ",", '"', "'", "\t", "\n", "1.2.3.4", "192.0.2.1", "10.0.0", "::ffff:", "2001:db8::",
    "Chrome/", "Firefox/", "UDP/", "tcp/", "ipv4/", "SIP-T46S ", "GXP2170 ", "via ", "Mozilla/5.0 ", "v2 ",
    "urn:gsma:imei:", "URN:GSMA:IMEI:", "490154203237518", "49-015420-323751-8", "49015420-323751-0",
    "001565abcdef", "00:15:65:ab:cd:ef", "0015.65ab.cdef", "00-15-65-AB-CD-EF", ".0.0", "é", "\x00",
]  # fmt: skip
# A product token before a quad: a version or firmware (in a user agent), or an address after all.
agent_texts = st.tuples(
    st.sampled_from(["", " ", "(", ";", "x", "/", "+http://"]),
    st.sampled_from(["Chrome", "zlib", "SIP-T46S", "GXP2170", "via", "UDP", "Ipv6", "x.1", "_a", "9a", "Yealink"]),
    st.sampled_from(["/", " "]),
    st.one_of(ipv4_texts, st.sampled_from(["120.0.0.0", "1.0.0.0", "66.86.0.15", "2.0.0.4"])),
).map("".join)
_shape = st.one_of(
    st.sampled_from(PIECES),
    agent_texts,
    ipv4_texts,
    ipv6_texts(),
    mac_texts(),
    imei_texts(),
    st.text("0123456789abcdefABCDEF:.-% []/", max_size=12),
)
# Shapes joined directly (so they glue into longer runs) or by a separator (so each stands on its own).
_joint = st.sampled_from(["", "", " ", "/", ",", ":", ".", "-", "=", "[", "]", "%", "@", ";", "x"])
shaped_texts = st.lists(st.tuples(_shape, _joint).map("".join), max_size=10).map("".join)


@settings(max_examples=6000, deadline=None)
@given(st.one_of(shaped_texts.map(str.encode), _shape.map(str.encode), st.binary(max_size=200)))
@example(b"Yealink SIP-T46S 66.86.0.15")
@example(b"x::ffff:0001.2.3.4 ::ffff:010.1.2.3")
@example(b"2001:db8::1234:58430 and 1:2:3:4:5:6:7:8:9")
def test_generated_texts(text):
    assert_same_findings(text)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(_shape, st.text(max_size=40), st.text("0123456789abcdefABCDEF:.%[] \n\t-x", max_size=45)))
@example(" [2001:DB8::1] ")
@example("[")
@example("::ffff:\u0661.2.3.4")  # expected difference: a Unicode digit in the dotted tail
@example("fe80::1.2.3.4\n%eth0")  # expected difference: the newline before the zone
@example(" URN:GSMA:IMEI:49015420-323751-0\x0b")
def test_normalise_functions(value):
    assert_same_normalised(value)


def test_expected_differences_are_what_the_docstring_says():
    for value in ("::ffff:\u0661.2.3.4", "fe80::1.2.3.4\n%eth0"):
        assert ip.normalise_ip(value) is not None and _core.normalise_ip(value) is None


# Candidates as the IPv6 normalisation test of tests/test_detect_ip.py builds them.
_candidate_hextet = st.one_of(
    st.just(""), st.just("0"), st.integers(0, 0xFFFF).map("{:x}".format), st.text("0fF9a", max_size=5)
)
_candidate = st.one_of(
    st.lists(_candidate_hextet, min_size=1, max_size=10).map(":".join),
    st.tuples(
        st.lists(_candidate_hextet, max_size=8).map(":".join),
        st.sampled_from(["::", ":", "::ffff:"]),
        st.lists(_candidate_hextet, max_size=8).map(":".join),
    ).map("".join),
    st.tuples(
        st.lists(_candidate_hextet, max_size=7).map(":".join),
        st.sampled_from([":", "::", "::ffff:"]),
        st.lists(st.integers(0, 300).map(str), min_size=3, max_size=4).map(".".join),
    ).map("".join),
    st.text("0123456789abcdefABCDEF:.% x", max_size=45),
)


@settings(max_examples=3000, deadline=None)
@given(_candidate)
def test_ipv6_candidates(text):
    assert _core.normalise_ipv6(text) == ip.normalise_ipv6(text)
    assert_same_findings(text.encode())
    assert_same_findings(b"x " + text.encode() + b" y")


@settings(max_examples=3000, deadline=None)
@given(texts_from(FRAGMENTS, min_size=1, max_size=40))
def test_prefilter_fragments(text):
    assert_same_findings(text)
