"""The prefilter is a superset of every detector: whatever the detectors find, it lets through."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pseudolog.pseudonym import Pseudonymizer
from tests.conftest import examples, texts_from
from tests.reference.detect import context, sip
from tests.reference.scrub import (
    MAYBE_IDENTIFIER,
    MAYBE_ON_SKELETON,
    SKELETON,
    TRIGGERS,
    TRIGGERS_ON_SKELETON,
    Scrubber,
)

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
    "IAX2/",
    "Local/",
    "DAHDI/g0/",
    "sofia/internal/",
    "&",
    "|",
    ".cfg",
    "/",
    "user <1795256132:",
    "fe80",
    "ffff",
]


@given(texts_from(FRAGMENTS, min_size=1, max_size=40))
@settings(max_examples=examples(3000), deadline=None)
def test_prefilter_is_a_superset_of_the_detectors(text):
    found, _ = SCRUBBER.detect(text)
    if found:
        assert MAYBE_IDENTIFIER.search(text), (text, found)


@given(st.binary(max_size=200))
@settings(max_examples=examples(2000), deadline=None)
def test_prefilter_superset_on_random_bytes(text):
    found, _ = SCRUBBER.detect(text)
    if found:
        assert MAYBE_IDENTIFIER.search(text), (text, found)


def test_prefilter_skips_plain_requests():
    for text in (b"GET /index.html HTTP/1.1", b"Mozilla/5.0 (X11; Linux x86_64)", b"-", b'"GET / HTTP/2.0"'):
        assert not MAYBE_IDENTIFIER.search(text)


@given(texts_from(FRAGMENTS, min_size=1, max_size=40))
@settings(max_examples=examples(3000), deadline=None)
def test_each_trigger_is_a_superset_of_its_detector(text):
    for trigger, detect in SCRUBBER._detectors:
        if list(detect(text)):
            assert trigger.search(text), (trigger.pattern, text)


@given(st.binary(max_size=200))
@settings(max_examples=examples(2000), deadline=None)
def test_each_trigger_superset_on_random_bytes(text):
    for trigger, detect in SCRUBBER._detectors:
        if list(detect(text)):
            assert trigger.search(text), (trigger.pattern, text)


def assert_skeleton_forms_cover(text: bytes) -> None:
    """Wherever a plain trigger (or the prefilter) matches a text, its skeleton form matches the skeleton."""
    skeleton = text.translate(SKELETON)
    if MAYBE_IDENTIFIER.search(text):
        assert MAYBE_ON_SKELETON.search(skeleton), text
    for name, trigger in TRIGGERS.items():
        if trigger.search(text):
            assert TRIGGERS_ON_SKELETON[name].search(skeleton), (name, text)


@given(texts_from([*FRAGMENTS, "%20", "%21", "%5B", "%5d", "%3a", "0049", "+1", "%2b7"], max_size=40))
@settings(max_examples=examples(3000), deadline=None)
def test_skeleton_forms_cover_the_triggers(text):
    assert_skeleton_forms_cover(text)


@given(st.binary(max_size=200))
@settings(max_examples=examples(2000), deadline=None)
def test_skeleton_forms_cover_the_triggers_on_random_bytes(text):
    assert_skeleton_forms_cover(text)


@given(texts_from(FRAGMENTS, min_size=1, max_size=40), st.booleans())
@settings(max_examples=examples(2000), deadline=None)
def test_skeleton_selection_finds_what_every_detector_finds(text, in_agent):
    """The skeleton only skips detectors: what is found is what running every detector finds."""
    everything = Scrubber(Pseudonymizer(bytes(range(32)), None), "DE")
    everything._detectors = tuple((re.compile(b""), d) for _, d in everything._detectors)
    everything._agent_detectors = tuple((re.compile(b""), d) for _, d in everything._agent_detectors)
    assert SCRUBBER._find(text, in_agent) == everything.detect(text, in_agent)
    # the same skeleton with other digits: the remembered selection must hold for it too
    other = bytes(48 + (c * 7 + 3) % 10 if 48 <= c <= 57 else c for c in text)
    assert SCRUBBER._find(other, in_agent) == everything.detect(other, in_agent)


def assert_gates_skip_only_empty_rules(text: bytes) -> None:
    """A context or SIP rule skipped by its gate would have found nothing."""
    for detect, rules in ((context.find_context, context.RULES), (sip.find_sip, sip.RULES)):
        every_rule = [found for rule in rules for found in rule(text, "DE")]
        assert list(detect(text, "DE")) == every_rule, (detect.__name__, text)


@given(texts_from([*FRAGMENTS, "mac=", "ab", "c0ffee", "DevId=", "sn: ", "'", " "], max_size=40))
@settings(max_examples=examples(3000), deadline=None)
def test_detector_gates_skip_only_rules_that_find_nothing(text):
    assert_gates_skip_only_empty_rules(text)


@given(st.binary(max_size=200))
@settings(max_examples=examples(2000), deadline=None)
def test_detector_gates_on_random_bytes(text):
    assert_gates_skip_only_empty_rules(text)
