"""The native scrubber core against pseudolog/scrub.py: settling, rounds, rendering, masking, border runs.

Both sides get the same findings (or the same stand-in detectors: maximal runs of a byte set) and the same
deterministic fake tokeniser, so any difference is in the settling and rendering logic itself.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudolog.pseudonym import Pseudonymizer
from tests.issue22_differences import assert_native_replaces_at_least
from tests.reference import scrub
from tests.reference.detect import Found
from tests.reference.scrub import Scrubber, _claim, _touches_identifier_chars, mask_line, split_border_runs

_core = pytest.importorskip("pseudolog._core")

KINDS = ["ip", "phone", "mac", "imei", "device"]


FAKE_TOKEN = re.compile(rb"<[A-Z]+:[0-9]+:[0-9a-f]+>")


def fake_token(kind: str, normalised: str) -> str:
    """The same stand-in as the Rust side's: `<KIND:length:hash>`."""
    h = 0
    for ch in normalised:
        h = (h * 31 + ord(ch)) & 0xFFFFFFFF
    return f"<{kind.upper()}:{len(normalised)}:{h:x}>"


FAKE_PSEUDONYMIZER = SimpleNamespace(token=lambda kind, normalised, window: fake_token(kind, normalised))


def py_settle(text: bytes, findings: list[tuple[int, int, str, str]]) -> tuple[bytes, dict[str, int], bool]:
    taken: list[Found] = []
    conflict = False
    for f in findings:
        conflict |= _claim(taken, Found(*f))
    taken.sort()
    again = conflict or _touches_identifier_chars(text, taken)
    out, _ = Scrubber._replace(SimpleNamespace(pseudonymizer=FAKE_PSEUDONYMIZER), text, taken, None, [])
    counts: dict[str, int] = {}
    for f in taken:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return out, counts, again


ANY = re.compile(b"")  # a trigger that always fires: the stand-in detectors have none


def run_detector(kind: str, charset: bytes, least: int):
    regex = re.compile(b"[" + b"".join(re.escape(bytes([c])) for c in charset) + b"]{%d,}" % least)

    def detect(text: bytes):
        for m in regex.finditer(text):
            yield Found(m.start(), m.end(), kind, m.group().decode("latin-1"))

    return detect


def py_scrubber(detectors: list[tuple[str, bytes, int]], triggers: list[bytes] | None = None) -> Scrubber:
    s = Scrubber(Pseudonymizer(bytes(32), 86400), "DE")
    s.pseudonymizer = FAKE_PSEUDONYMIZER
    funcs = [run_detector(*d) for d in detectors]
    regexes = [re.compile(re.escape(t)) for t in triggers] if triggers else [ANY for _ in funcs]
    s._detectors = tuple(zip(regexes, funcs, strict=True))
    s._agent_detectors = s._detectors
    s._skeleton_triggers = tuple(regexes)
    s._by_skeleton, s._selections = {}, {}
    return s


@pytest.fixture(autouse=True)
def _no_prefilter(monkeypatch):
    """The Rust side runs without a prefilter here (the real one comes with the detectors)."""
    monkeypatch.setattr(scrub, "MAYBE_IDENTIFIER", ANY)
    monkeypatch.setattr(scrub, "MAYBE_ON_SKELETON", ANY)


def py_scrub(text: bytes, detectors, mask_head: bool = False, mask_tail: bool = False):
    s = py_scrubber(detectors)
    if mask_head or mask_tail:
        head, middle, tail = split_border_runs(text, mask_head, mask_tail)
        out, kinds = s._scrub(middle, None, False)
        out = mask_line(head) + out + mask_line(tail)
    else:
        out, kinds = s._scrub(text, None, False)
    counts: dict[str, int] = {}
    for k in kinds:
        counts[k] = counts.get(k, 0) + 1
    return out, counts


normalised_values = st.text(alphabet="0123456789abc:+.é", max_size=8)


@st.composite
def text_and_findings(draw):
    text = draw(st.binary(max_size=60))
    n = len(text)
    findings = []
    for _ in range(draw(st.integers(0, 25))):
        if n == 0:
            break
        start = draw(st.integers(0, n - 1))
        end = draw(st.integers(start + 1, n))  # detectors never report empty spans
        findings.append((start, end, draw(st.sampled_from(KINDS)), draw(normalised_values)))
    return text, findings


@given(text_and_findings())
@settings(max_examples=1500, deadline=None)
def test_settle_agrees(case):
    text, findings = case
    assert _core.settle(text, findings) == py_settle(text, findings)


@given(st.integers(1, 300))
@settings(max_examples=50, deadline=None)
def test_adjacent_findings_settle_alike(n):
    """n adjacent findings, then the same again in reverse, then spans covering pairs: n replacements."""
    text = b"7" * n
    findings = [(i, i + 1, "phone", str(i)) for i in range(n)]
    findings += findings[::-1] + [(i, min(n, i + 2), "ip", "x") for i in range(0, n, 2)]
    assert _core.settle(text, findings) == py_settle(text, findings)


def test_empty_findings_are_ignored():
    """Expected difference: Python would claim an empty span and insert a token into the text at that point;
    no detector reports one, and the Rust settling ignores it (an empty span names nothing)."""
    out, counts, _ = _core.settle(b"abc", [(1, 1, "ip", "x")])
    assert (out, counts) == (b"abc", {})


PIECES = [b"1", b"7", b"a", b"F", b"g", b"x", b".", b":", b"-", b" ", b"%", b"%2E", b"%3A", b"%3a", b"%40", b"+", b"::"]
texts = st.lists(st.sampled_from(PIECES), max_size=30).map(b"".join)
charsets = st.sets(st.sampled_from(list(b"0123456789abcdefABCDEF.:-%+x")), min_size=1).map(lambda s: bytes(sorted(s)))
detector_lists = st.lists(st.tuples(st.sampled_from(KINDS), charsets, st.integers(1, 6)), min_size=1, max_size=4)


@given(texts, detector_lists)
@settings(max_examples=1500, deadline=None)
def test_scrub_rounds_agree(text, detectors):
    """Priority, overlaps, the percent-decoded view, and the rounds that read fragments beside tokens."""
    assert _core.scrub_fake(text, detectors) == py_scrub(text, detectors)


@given(
    st.tuples(texts, st.integers(1, 40)).map(lambda t: t[0] * t[1]),
    detector_lists,
    st.data(),
    st.sampled_from([b"", b":", b"1", b"%", b"g"]),
)
@settings(max_examples=800, deadline=None)
def test_triggers_prefilter_and_skeletons_agree(text, detectors, data, maybe):
    """Detectors chosen by their triggers on the text's skeleton (short texts) or the text (over 512 bytes), and
    chosen the same way for the percent-decoded view; nothing at all where the text fails the prefilter, and
    nothing over the view where the view fails it."""
    literals = [b"", b":", b".", b"%", b"a:", b"1.", b"7", b"%2E"]
    triggers = [data.draw(st.sampled_from(literals)) for _ in detectors]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scrub, "MAYBE_IDENTIFIER", re.compile(re.escape(maybe)))
        patch.setattr(scrub, "MAYBE_ON_SKELETON", re.compile(re.escape(maybe)))
        out, kinds = py_scrubber(detectors, triggers)._scrub(text, None, False)
    counts: dict[str, int] = {}
    for k in kinds:
        counts[k] = counts.get(k, 0) + 1
    assert _core.scrub_fake(text, detectors, triggers=triggers, prefilter=maybe) == (out, counts)


@given(texts, detector_lists, st.booleans(), st.booleans())
@settings(max_examples=500, deadline=None)
def test_segments_agree(text, detectors, head, tail):
    assert _core.scrub_fake(text, detectors, mask_head=head, mask_tail=tail) == py_scrub(text, detectors, head, tail)


@given(st.one_of(st.binary(max_size=200), texts))
@settings(max_examples=1000, deadline=None)
def test_mask_line_agrees(text):
    assert _core.mask_line(text) == mask_line(text)


@given(st.one_of(st.binary(max_size=100), texts), st.booleans(), st.booleans())
@settings(max_examples=1000, deadline=None)
def test_border_runs_agree(text, head, tail):
    assert _core.split_border_runs(text, head, tail) == split_border_runs(text, head, tail)


@pytest.mark.parametrize(
    "line",
    [
        b"a 192.0.2.1 b 2001:db8::1 c deadbeef 15",
        b"GET /" + b"deadbeef" * 2000 + b"zz" * 500,
        b"+49 30 1234567 " * 200,
        b"1." * 5000,
        b"a:" * 5000,
    ],
    ids=lambda b: repr(b[:12]),
)
def test_table_and_hostile_shapes(line):
    detectors = [("mac", b"0123456789abcdef:", 5), ("ip", b"0123456789.", 4), ("phone", b"+0123456789 ", 6)]
    assert _core.mask_line(line) == mask_line(line)
    assert _core.scrub_fake(line, detectors) == py_scrub(line, detectors)


def _real_files():
    from pathlib import Path

    from tests.conftest import CORPORA

    skip = {"LICENSE", "COPYING", "README.txt", "README.md"}
    files = sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.name not in skip) if CORPORA.is_dir() else []
    return files + sorted((Path(__file__).resolve().parents[1] / "fuzz" / "regressions").glob("*"))


# Stand-ins shaped like the real kinds, so real lines give overlaps, fragments and percent-encoded values.
REAL_DETECTORS = [
    ("phone", b"+0123456789", 8),
    ("mac", b"0123456789abcdefABCDEF:-", 12),
    ("ip", b"0123456789abcdef:", 6),
    ("ip", b"0123456789.", 7),
    ("imei", b"0123456789", 14),
]


@pytest.mark.parametrize("path", _real_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_lines_scrub_alike(path):
    """Every line of the public corpora (skipped when absent) and of the fuzz regressions."""
    py = py_scrubber(REAL_DETECTORS)
    for line in path.read_bytes().split(b"\n"):
        out, kinds = py._scrub(line, None, False)
        counts: dict[str, int] = {}
        for k in kinds:
            counts[k] = counts.get(k, 0) + 1
        native = _core.scrub_fake(line, REAL_DETECTORS)
        if native != (out, counts):
            # Recorded difference (issue 22, tests/issue22_differences.py): the native detectors replace more.
            assert_native_replaces_at_least(out, native[0], FAKE_TOKEN)
