"""The pseudonym scheme, checked against tests/vectors/pseudonyms.json and an independent re-derivation."""

import hmac
import json
from hashlib import sha256
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pseudolog.lookup import lookup, normalise
from pseudolog.pseudonym import ALPHABET, Pseudonymizer
from pseudolog.timeparse import parse_user_time
from tests.reference.detect import Found
from tests.reference.scrub import Scrubber

VECTORS = json.loads((Path(__file__).parent / "vectors" / "pseudonyms.json").read_text())
PREFIX = {"ip": "IP", "phone": "PHONE", "mac": "MAC", "imei": "IMEI"}


def reference_token(key: bytes, kind: str, normalised: str, start: int | None, length: int | None) -> str:
    """The scheme as documented in the README, written out without the library."""
    window = "static" if length is None else f"{start}/{length}"
    info = f"pseudolog/v1 kind={kind} window={window}".encode()
    kind_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"pseudolog/v1", info=info).derive(key)
    mac = hmac.new(kind_key, normalised.encode(), sha256).digest()[:8]
    letters = "".join(ALPHABET[b >> 4] + ALPHABET[b & 15] for b in mac)
    return f"{PREFIX[kind]}-{letters}"


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: f"{v['kind']}:{v['value']}")
def test_vector(vector):
    key = bytes.fromhex(VECTORS["key_hex"])
    at = parse_user_time(vector["at"])
    assert normalise(vector["kind"], vector["value"], VECTORS["region"]) == vector["normalised"]
    assert lookup(vector["kind"], vector["value"], at, key, vector["window_seconds"], "DE") == vector["expected"]
    independent = reference_token(
        key, vector["kind"], vector["normalised"], vector["window_start"], vector["window_seconds"]
    )
    assert independent == vector["expected"]


def test_windows_are_utc_aligned_multiples():
    p = Pseudonymizer(b"k" * 32, 86400)
    assert p.window_of(parse_user_time("2026-11-21T23:59:59Z")) == p.window_of(parse_user_time("2026-11-21T00:00:00Z"))
    assert p.window_of(parse_user_time("2026-11-22T00:00:00Z")) % 86400 == 0


def test_tokens_differ_by_kind_window_and_key():
    a = Pseudonymizer(b"a" * 32, 3600)
    b = Pseudonymizer(b"b" * 32, 3600)
    assert a.token("ip", "192.0.2.1", 0) != a.token("ip", "192.0.2.1", 3600)
    assert a.token("ip", "192.0.2.1", 0) != b.token("ip", "192.0.2.1", 0)
    assert a.token("phone", "+4930", 0)[6:] != a.token("ip", "+4930", 0)[3:]


def test_tokens_hold_no_character_a_detector_reads():
    p = Pseudonymizer(b"k" * 32, None)
    scrubber = Scrubber(p, "DE")
    for i in range(300):
        token = p.token("ip", f"10.0.{i // 256}.{i % 256}", None)
        assert scrubber.find(f"x {token} y".encode()) == []
        assert not any(c.isdigit() or c in "abcdef" for c in token.split("-", 1)[1])
    assert Found(0, 1, "ip", "x").kind == "ip"


@pytest.mark.parametrize("kind", ["ip", "phone", "mac", "imei", "device", "ip-pfx"])
@pytest.mark.parametrize(("start", "length"), [(None, None), (0, 3600), (1795219200, 86400), (-3600, 3600)])
def test_kind_keys_are_the_documented_hkdf(kind, start, length):
    """The native key schedule (its prepared HMAC state is checked against RFC 4231 and fresh HMACs in
    src/keys.rs) gives the HKDF output the README documents."""
    key = bytes(range(32))
    window = "static" if length is None else f"{start}/{length}"
    info = f"pseudolog/v1 kind={kind} window={window}".encode()
    expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"pseudolog/v1", info=info).derive(key)
    assert Pseudonymizer(key, length).kind_key(kind, start) == expected
