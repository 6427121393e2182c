"""The native timestamp parsers against pseudolog/timeparse.py: every form, valid and invalid dates (Feb 29 in
and out of leap years), offsets, fractions, syslog year inference around `now`, sniffing, and garbage.

Expected difference: a year outside 1..9999 (`0000`, or the year after 9999 tried for a syslog time) made
Python's `calendar` raise ValueError, which fails the whole line; the native parser treats it as a date that
does not exist (None). `py()` maps the ValueError to None and the tables below hold that case explicitly.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference.timeparse import TimeParser, parse_iso

_core = pytest.importorskip("pseudolog._core")

FORMS = ["clf", "iso", "epoch", "slashed", "ctime", "syslog"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def py_parse(parser: TimeParser, form: str, text: bytes, now: float):
    try:
        return parser.parse(form, text, now)
    except ValueError:  # year 0 or 10000: see the module docstring
        return None


def py_sniff(line: bytes, now: float):
    """Python's sniff, or `RAISED` where it raised ValueError (a year 0 time: the native sniff reads no time
    there and looks further, so there is nothing to compare)."""
    try:
        return TimeParser().sniff(line, now)
    except ValueError:
        return RAISED


RAISED = object()


def check_sniff(line: bytes, now: float) -> None:
    expected = py_sniff(line, now)
    if expected is RAISED:
        assert b"0000" in line
        return
    assert _core.sniff_times([line], now) == [expected]


def py_batch(items):
    parser = TimeParser()
    return [py_parse(parser, *item) for item in items]


def two(lo: int, hi: int):
    return st.integers(lo, hi).map(lambda n: f"{n:02d}")


years = st.one_of(st.sampled_from([0, 1, 1900, 1970, 2000, 2023, 2024, 2100, 9999]), st.integers(0, 9999))
fraction_digits = st.text("0123456789", min_size=0, max_size=24)
fractions = st.one_of(st.just(""), st.tuples(st.sampled_from(".,"), fraction_digits).map("".join))
zones = st.one_of(
    st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "+0200", "+02:0", "+2", " +0100"]),
    st.tuples(st.sampled_from("+-"), two(0, 99), st.sampled_from(["", ":"]), two(0, 99)).map("".join),
)
clock = st.tuples(two(0, 25), two(0, 61), two(0, 61)).map(":".join)
day = st.one_of(two(0, 32), st.integers(0, 9).map(str))
month_name = st.one_of(st.sampled_from(MONTHS), st.sampled_from(["Foo", "jan", "JAN", "Ja"]))


@st.composite
def stamps(draw) -> str:
    y = f"{draw(years):04d}"
    form = draw(st.sampled_from(["iso", "clf", "slashed", "ctime", "syslog", "epoch"]))
    frac = draw(fractions)
    if form == "iso":
        return f"{y}-{draw(two(0, 13))}-{draw(day)}{draw(st.sampled_from('T t'))}{draw(clock)}{frac}{draw(zones)}"
    if form == "clf":
        return f"{draw(day)}/{draw(month_name)}/{y}:{draw(clock)}{frac}{draw(zones)}"
    if form == "slashed":
        return f"{y}/{draw(two(0, 13))}/{draw(day)} {draw(clock)}{frac}"
    if form == "ctime":
        gap = draw(st.sampled_from([" ", "  ", "   "]))
        weekday = draw(st.sampled_from(["Tue", "Sun", "x"]))
        return f"{weekday} {draw(month_name)}{gap}{draw(day)} {draw(clock)}{frac} {y}"
    if form == "syslog":
        gap = draw(st.sampled_from([" ", "  ", "   "]))
        return f"{draw(month_name)}{gap}{draw(day)} {draw(clock)}{frac}"
    return draw(st.text("0123456789", min_size=7, max_size=13)) + frac


def mutate(text: str, data) -> str:
    """Sometimes one character changed, dropped or added."""
    if not text or not data.draw(st.booleans()):
        return text
    i = data.draw(st.integers(0, len(text) - 1))
    c = data.draw(st.sampled_from("0123456789:-+. /TZ,[]"))
    how = data.draw(st.sampled_from(["set", "drop", "add"]))
    return {"set": text[:i] + c + text[i + 1 :], "drop": text[:i] + text[i + 1 :], "add": text[:i] + c + text[i:]}[how]


# Reference times from 1971 to 2096, and the turns of the year and Feb 29 that syslog inference must handle.
nows = st.one_of(
    st.floats(3e7, 4e9, allow_nan=False),
    st.sampled_from([1735689599.0, 1735689600.0, 1767225599.5, 1740787200.0, 1709164800.0, 951782400.0]).flatmap(
        lambda t: st.floats(t - 2 * 86400, t + 2 * 86400)
    ),
)


@given(st.data())
@settings(max_examples=3000, deadline=None)
def test_every_form_agrees(data):
    text = mutate(data.draw(stamps()), data).encode()
    now = data.draw(nows)
    items = [(form, text, now) for form in FORMS]
    assert _core.parse_times(items) == py_batch(items)


@given(st.lists(st.tuples(st.sampled_from(FORMS), st.binary(max_size=40), nows), max_size=20))
@settings(max_examples=500, deadline=None)
def test_garbage_agrees(items):
    assert _core.parse_times(items) == py_batch(items)


@given(st.lists(st.tuples(stamps(), nows), min_size=1, max_size=8), st.data())
@settings(max_examples=300, deadline=None)
def test_memo_gives_what_a_fresh_parse_gives(pairs, data):
    """One parser over repeated texts and changing reference times (the syslog memo is per day)."""
    items = [("syslog" if data.draw(st.booleans()) else "iso", s.encode(), now) for s, now in pairs]
    items = items + items[::-1] + [(f, t, n + 86400 * 200) for f, t, n in items]
    assert _core.parse_times(items) == py_batch(items)


PREFIXES = ["", "[", "<34>", "<34>1 ", "<1234>", "<34>[", "x ", "1.2.3.4 - - [", "at ", "a.", "9", "[x] ["]
TAILS = st.text(": .0123456789Z+-]x\t", max_size=12)


@given(st.sampled_from(PREFIXES), st.data(), TAILS, nows)
@settings(max_examples=3000, deadline=None)
def test_sniffing_agrees(prefix, data, tail, now):
    stamp = mutate(data.draw(stamps()), data)
    check_sniff((prefix + stamp + tail).encode(), now)


@given(st.binary(max_size=200), nows)
@settings(max_examples=500, deadline=None)
def test_sniffing_garbage_agrees(line, now):
    check_sniff(line, now)


@pytest.mark.parametrize(
    ("form", "text", "expected"),
    [
        ("iso", b"2000-10-10T20:55:36Z", 971211336.0),
        ("iso", b"2024-02-29T12:00:00+01:00", 1709204400.0),
        ("iso", b"2023-02-29T12:00:00Z", None),
        ("clf", b"29/Feb/2000:00:00:00 -0000", 951782400.0),
        ("epoch", b"1386543323.250", 1386543323.25),
        # Expected differences: Python raised ValueError (year 0 / year 10000), the native parser reads no date.
        ("iso", b"0000-01-01T00:00:00Z", None),
        ("clf", b"01/Jan/0000:00:00:00", None),
    ],
)
def test_table(form, text, expected):
    assert _core.parse_times([(form, text, 0.0)]) == [expected]


def test_syslog_in_year_9999_skips_the_year_after():
    """Expected difference: Python raised ValueError building year 10000's candidate; the native parser
    leaves that year out."""
    now = parse_iso(b"9999-06-01T00:00:00Z")
    assert _core.parse_times([("syslog", b"Jun  1 00:00:00", now)]) == [now]
    with pytest.raises(ValueError):
        TimeParser().parse("syslog", b"Jun  1 00:00:00", now)


def _real_files():
    from pathlib import Path

    from tests.conftest import CORPORA

    skip = {"LICENSE", "COPYING", "README.txt", "README.md"}
    files = sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.name not in skip) if CORPORA.is_dir() else []
    return files + sorted((Path(__file__).resolve().parents[1] / "fuzz" / "regressions").glob("*"))


@pytest.mark.parametrize("path", _real_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_lines_sniff_alike(path):
    """Every line of the public corpora (skipped when absent) and of the fuzz regressions, sniffed by one parser
    on each side (so the memos are used), at two reference times."""
    lines = path.read_bytes().split(b"\n")
    for now in (1795262400.0, 1767225600.0):
        parser = TimeParser()
        expected = []
        for line in lines:
            try:
                expected.append(parser.sniff(line, now))
            except ValueError:
                expected.append(RAISED)
        got = _core.sniff_times(lines, now)
        assert [g for g, e in zip(got, expected, strict=True) if e is not RAISED] == [
            e for e in expected if e is not RAISED
        ]
