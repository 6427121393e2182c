"""The prefilter is a superset of every detector: whatever the detectors find, it lets through."""

from hypothesis import given, settings
from hypothesis import strategies as st

from pseudolog.pseudonym import Pseudonymizer
from pseudolog.scrub import MAYBE_IDENTIFIER, Scrubber

SCRUBBER = Scrubber(Pseudonymizer(bytes(range(32)), None), "DE")

FRAGMENTS = [
    "1",
    "12",
    "123",
    "0",
    "00",
    "49",
    "030",
    "1234567",
    "192",
    ".",
    ":",
    "::",
    "-",
    "+",
    "(",
    ")",
    "/",
    " ",
    "%2B",
    "%2E",
    "%3A",
    "%40",
    "%20",
    "@",
    "sip:",
    "tel:",
    "to=",
    "caller=",
    "mac=",
    "imei=",
    "SN:",
    "ab",
    "cdef",
    "f",
    "urn:gsma:imei:",
    '+sip.instance="<urn:uuid:',
    "x",
    "host",
    "<",
    ">",
    '"',
    "'",
    "[",
    "]",
    ";",
    ",",
    "=",
    "extension '",
    "PJSIP/",
    "sofia/internal/",
    ".cfg",
    "/",
    "user <1795256132:",
    "fe80",
    "ffff",
]


@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=40))
@settings(max_examples=3000, deadline=None)
def test_prefilter_is_a_superset_of_the_detectors(parts):
    text = "".join(parts).encode()
    found, _ = SCRUBBER.detect(text)
    if found:
        assert MAYBE_IDENTIFIER.search(text), (text, found)


@given(st.binary(max_size=200))
@settings(max_examples=2000, deadline=None)
def test_prefilter_superset_on_random_bytes(text):
    found, _ = SCRUBBER.detect(text)
    if found:
        assert MAYBE_IDENTIFIER.search(text), (text, found)


def test_prefilter_skips_plain_requests():
    for text in (b"GET /index.html HTTP/1.1", b"Mozilla/5.0 (X11; Linux x86_64)", b"-", b'"GET / HTTP/2.0"'):
        assert not MAYBE_IDENTIFIER.search(text)


@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=40))
@settings(max_examples=3000, deadline=None)
def test_each_trigger_is_a_superset_of_its_detector(parts):
    text = "".join(parts).encode()
    for trigger, detect in SCRUBBER._detectors:
        if list(detect(text)):
            assert trigger.search(text), (trigger.pattern, text)


@given(st.binary(max_size=200))
@settings(max_examples=2000, deadline=None)
def test_each_trigger_superset_on_random_bytes(text):
    for trigger, detect in SCRUBBER._detectors:
        if list(detect(text)):
            assert trigger.search(text), (trigger.pattern, text)
