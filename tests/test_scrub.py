"""The scrubber: whole-text replacement, idempotence, and properties over generated lines."""

from unittest.mock import patch

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pseudolog.pseudonym import Pseudonymizer
from tests.conftest import examples
from tests.reference.detect import Found
from tests.reference.scrub import Scrubber, _claim, mask_line

SCRUBBER = Scrubber(Pseudonymizer(bytes(range(32)), 86400), "DE")

ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
ipv6 = st.lists(st.integers(0, 0xFFFF), min_size=8, max_size=8).map(lambda g: ":".join(f"{x:x}" for x in g))
mac = st.lists(st.integers(0, 255), min_size=6, max_size=6).map(lambda b: ":".join(f"{x:02X}" for x in b))
berlin = st.integers(1000000, 9999999).map(lambda n: f"+4930{n}")
identifiers = st.one_of(ipv4, ipv6, mac, berlin)
filler = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,;[]\"'=/", max_size=20)


@given(st.lists(st.tuples(filler, identifiers), min_size=1, max_size=5), filler)
@settings(max_examples=examples(300), deadline=None)
def test_no_identifier_survives_and_filler_does(parts, tail):
    """Identifiers between arbitrary non-digit filler never survive; the filler always does."""
    line = "".join(f"{f} {ident} " for f, ident in parts) + tail
    out = SCRUBBER.scrub(line.encode(), 0).decode()
    for filler_text, ident in parts:
        assert ident not in out
        assert filler_text in out
    assert out.endswith(tail)


@given(st.lists(st.tuples(filler, identifiers), min_size=1, max_size=5))
@settings(max_examples=examples(200), deadline=None)
def test_idempotent(parts):
    line = "".join(f"{f} {ident} " for f, ident in parts).encode()
    once = SCRUBBER.scrub(line, 0)
    assert SCRUBBER.scrub(once, 0) == once


@given(st.integers(1000000, 9999999))
@settings(max_examples=examples(100), deadline=None)
def test_written_forms_of_one_number_share_a_token(n):
    forms = [f"+4930{n}", f"+49 30 {n}", f"0049 30 {n}", f"0049-30-{n}", f"tel:030{n}", f"sip:030{n}@pbx"]
    tokens = set()
    for form in forms:
        out = SCRUBBER.scrub(f"x {form} y".encode(), 0).decode()
        assert str(n) not in out
        tokens.add(out.split("PHONE-")[1][:16])
    assert len(tokens) == 1


@given(ipv6)
@settings(max_examples=examples(100), deadline=None)
def test_ipv6_written_forms_share_a_token(address):
    import ipaddress

    ip = ipaddress.IPv6Address(address)
    assume(not ip.is_unspecified)  # a bare "::" is left alone: it is a common separator and names nobody
    outs = {SCRUBBER.scrub(form.encode(), 0) for form in (ip.compressed, ip.exploded, ip.exploded.upper())}
    assert len(outs) == 1


def test_text_without_identifiers_is_returned_as_is():
    line = b'"GET /index.html HTTP/1.1" 200 512 "-" "Mozilla/5.0 Chrome/120.0.0.0 Safari/537.36"'
    assert SCRUBBER.scrub(line, 0) == line


def test_mask_hides_every_digit_run():
    assert mask_line(b"a 192.0.2.1 b 2001:db8::1 c deadbeef 15") == b"a MASKED b MASKED c deadbeef MASKED"


@settings(max_examples=examples(2000), deadline=None)
@given(st.lists(st.integers(0, 255), min_size=4, max_size=4), st.booleans(), st.sampled_from([None, 1795219200]))
def test_canonical_address_field_shortcut_equals_the_scan(octets, in_agent, window):
    """A field holding just a dotted quad skips the detectors; the result must be what they give."""
    text = ".".join(map(str, octets)).encode()
    fast = Scrubber(Pseudonymizer(bytes(32), 86400), "DE")
    slow = Scrubber(Pseudonymizer(bytes(32), 86400), "DE")
    out, kinds = slow._scrub(text, window, in_agent)
    assert fast.field_result(text, window, in_agent) == (out, tuple(kinds))
    assert fast.scrub_cached(text, window, in_agent) == out and fast.replaced == {"ip": 1}


HEX_COLON_PIECES = ["0", "1", "a", "F", "e164", "ffff", "db8", "2001", "00", "15", ":", "::", "fe80", "cafe"]


@settings(max_examples=examples(3000), deadline=None)
@given(
    st.one_of(
        st.ip_addresses(v=6).flatmap(lambda ip: st.sampled_from([ip.compressed, ip.exploded, ip.exploded.upper()])),
        st.lists(st.sampled_from(HEX_COLON_PIECES), min_size=1, max_size=16).map("".join),
    ),
    st.booleans(),
)
def test_ipv6_field_shortcut_equals_the_scan(text, in_agent):
    """A field holding just an IPv6 address skips the detectors; hex-and-colon texts that are none (times,
    MACs, `::`) take the scan. Either way the result is what the detectors give."""
    data = text.encode()
    fast = Scrubber(Pseudonymizer(bytes(32), 86400), "DE")
    slow = Scrubber(Pseudonymizer(bytes(32), 86400), "DE")
    out, kinds = slow._scrub(data, 0, in_agent)
    assert fast.field_result(data, 0, in_agent) == (out if kinds else data, tuple(kinds))


DOT_PIECES = ["001565abcdef", "00:15:65:AB:CD:EF", "192.0.2.1", "+49301234567", "2001:db8::1", "352099001761481"]
DOT_PIECES += [".", "cfg", "xml", "be", "cafe", "Cafe:", "5", "/", " ", "g", "e", ":", "-", "imei=", "to="]


@given(st.lists(st.sampled_from(DOT_PIECES), max_size=12).map("".join))
@settings(max_examples=examples(1500), deadline=None)
def test_a_word_after_a_dot_needs_no_second_pass(text):
    """A token followed by `.cfg`-like words is not filtered again: the output is the one the second pass gives,
    and filtering it once more changes nothing."""
    data = text.encode()
    once = SCRUBBER.scrub(data, 0)
    with patch("tests.reference.scrub._word_follows", return_value=False):
        always_again = Scrubber(Pseudonymizer(bytes(range(32)), 86400), "DE").scrub(data, 0)
    assert once == always_again
    assert SCRUBBER.scrub(once, 0) == once


def _claim_plain(taken: list[Found], found: Found) -> bool:
    """The overlap rule as first written, without the single-overlap shortcut: the reference for `_claim`."""
    overlapping = [t for t in taken if not (found.end <= t.start or found.start >= t.end)]
    if not overlapping:
        taken.append(found)
        return False
    if all(found.start <= t.start and t.end <= found.end for t in overlapping) and all(
        found.end - found.start > t.end - t.start for t in overlapping
    ):
        for t in overlapping:
            taken.remove(t)
        taken.append(found)
        return False
    return not any(t.start <= found.start and found.end <= t.end for t in overlapping)


_SPANS = st.lists(
    st.tuples(st.integers(0, 30), st.integers(1, 12)).map(lambda p: Found(p[0], p[0] + p[1], "ip", str(p))),
    max_size=8,
)


@settings(max_examples=examples(3000))
@given(_SPANS)
def test_claim_decides_like_the_plain_overlap_rule(findings):
    fast: list[Found] = []
    plain: list[Found] = []
    for found in findings:
        assert _claim(fast, found) == _claim_plain(plain, found)
        assert fast == plain
