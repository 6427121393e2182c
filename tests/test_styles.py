"""Pseudonym styles that keep analytics alive, and ipcrypt-pfx against the draft's vectors."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings

from pseudolog import _core
from pseudolog.lookup import lookup
from pseudolog.pseudonym import Pseudonymizer, Style
from tests.conftest import KEY, NOW, examples, texts_from
from tests.reference.scrub import Scrubber

IpcryptPfx = _core.IpcryptPfx
PFX = json.loads((Path(__file__).parent / "vectors" / "ipcrypt_pfx.json").read_text())


@pytest.mark.parametrize("vector", PFX["vectors"], ids=lambda v: v["ip"])
def test_ipcrypt_pfx_vectors(vector):
    assert IpcryptPfx(bytes.fromhex(vector["key"])).encrypt(vector["ip"]) == vector["encrypted"]


def test_ipcrypt_pfx_rejects_equal_key_halves():
    with pytest.raises(ValueError):
        IpcryptPfx(b"k" * 32)


def _common_prefix(a: str, b: str) -> int:
    x, y = int(ipaddress.ip_address(a)), int(ipaddress.ip_address(b))
    bits = 32 if ":" not in a else 128
    return bits - (x ^ y).bit_length()


def test_prefix_style_keeps_subnets_and_stays_an_address(engine_factory):
    engine = engine_factory(format="text", ip_style="prefix")
    out = engine.process(b"a 192.0.2.1 b 192.0.2.200 c 198.51.100.7 d 2001:db8::1 e 2001:db8::2", NOW).split()
    a, b, c, d, e = out[1], out[3], out[5], out[7], out[9]
    for value in (a, b, c, d, e):
        ipaddress.ip_address(value.decode())
    assert a != b"192.0.2.1"
    assert _common_prefix(a.decode(), b.decode()) >= 24
    assert _common_prefix(a.decode(), c.decode()) < 24 or _common_prefix("192.0.2.1", "198.51.100.7") >= 24
    assert _common_prefix(d.decode(), e.decode()) >= 126


def test_prefix_style_changes_with_the_window():
    p = Pseudonymizer(KEY, 86400, style=Style(ip_style="prefix"))
    assert p.token("ip", "192.0.2.1", 0) != p.token("ip", "192.0.2.1", 86400)


@pytest.mark.parametrize(
    "line",
    [b"ab192.0.2.1 x", b"ab192.0.2.1 192.0.2.1 2001:db8::1", b"rhost=192.0.2.1.dyn.example.net"],
)
def test_prefix_style_gives_an_address_one_pseudonym_on_lines_filtered_twice(line):
    """A line with a token against identifier characters (`ab<ip>`) is filtered a second time; that round must not
    read the first round's tokens, which are valid addresses in this style, as addresses to pseudonymise again."""
    p = Pseudonymizer(KEY, 86400, style=Style(ip_style="prefix"))
    out = Scrubber(p, "DE").scrub(line, 0)
    assert p.token("ip", "192.0.2.1", 0).encode() in out
    assert p.token("ip", p.token("ip", "192.0.2.1", 0), 0).encode() not in out
    assert b"192.0.2.1" not in out


@given(texts_from(["192.0.2.1", "2001:db8::1", "ab", "a", "f", ".5", ".x", ":", " ", "-", "+4930123456"], max_size=10))
@settings(max_examples=examples(1000), deadline=None)
def test_prefix_tokens_are_never_read_again(text):
    p = Pseudonymizer(KEY, 86400, style=Style(ip_style="prefix"))
    out = Scrubber(p, "DE").scrub(text, 0)
    for address in ("192.0.2.1", "2001:db8::1"):
        assert p.token("ip", p.token("ip", address, 0), 0).encode() not in out, text


@pytest.mark.parametrize(
    ("keep", "text", "pattern"),
    [
        ("phone-country", b"call +4930123456 now", rb"call PHONE\+49-[g-z]{16} now"),
        ("phone-country", b"call +442037690237 now", rb"call PHONE\+44-[g-z]{16} now"),
        ("mac-oui", b"dev 00:15:65:AB:CD:EF up", rb"dev MAC-001565-[g-z]{16} up"),
        ("imei-tac", b"imei=490154203237518", rb"imei=IMEI-49015420-[g-z]{16}"),
    ],
)
def test_keep_styles(engine_factory, keep, text, pattern):
    engine = engine_factory(format="text", keep=frozenset([keep]))
    out = engine.process(text, NOW)
    assert re.fullmatch(pattern, out), out
    assert engine.process(out, NOW) == out


def test_kept_prefix_adds_nothing_but_the_prefix():
    plain = Pseudonymizer(KEY, None).token("phone", "+4930123456", None)
    kept = Pseudonymizer(KEY, None, style=Style(keep=frozenset(["phone-country"]))).token("phone", "+4930123456", None)
    assert kept == "PHONE+49-" + plain.split("-", 1)[1]


@pytest.mark.parametrize(
    ("kind", "value", "style"),
    [
        ("ip", "192.0.2.1", Style(ip_style="prefix")),
        ("phone", "030 1234567", Style(keep=frozenset(["phone-country"]))),
        ("mac", "00:15:65:ab:cd:ef", Style(keep=frozenset(["mac-oui"]))),
        ("imei", "490154203237518", Style(keep=frozenset(["imei-tac"]))),
    ],
)
def test_lookup_honours_styles(kind, value, style):
    token = lookup(kind, value, NOW, KEY, 86400, "DE", style)
    scrubber = Scrubber(Pseudonymizer(KEY, 86400, style=style), "DE")
    window = int(NOW // 86400) * 86400
    text = {
        "ip": b"x 192.0.2.1 y",
        "phone": b"to=+49301234567;",
        "mac": b"x 0015.65ab.cdef y",
        "imei": b"x 490154203237518 y",
    }[kind]
    assert token.encode() in scrubber.scrub(text, window)


def test_unknown_style_is_a_config_error(engine_factory):
    from pseudolog.errors import ConfigError

    with pytest.raises(ConfigError, match="--keep"):
        engine_factory(keep=frozenset(["everything"]))
    with pytest.raises(ConfigError, match="--ip-style"):
        engine_factory(ip_style="hash")
