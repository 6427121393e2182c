"""Timestamp forms -> epoch seconds, with the syslog year inferred from the reference time."""

import time

import pytest

from pseudolog.timeparse import parse_user_time
from tests.reference import timeparse as reference
from tests.reference.timeparse import TimeParser, parse_clf, parse_iso

T = 971211336.0  # 2000-10-10T20:55:36Z


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"10/Oct/2000:13:55:36 -0700", T),
        (b"10/Oct/2000:20:55:36 +0000", T),
        (b"10/Oct/2000:22:55:36 +0200", T),
        (b"10/Oct/2000:20:55:36.726", T + 0.726),  # HAProxy accept date: no offset, read as UTC
        (b"32/Oct/2000:20:55:36 +0000", None),
        (b"10/Foo/2000:20:55:36 +0000", None),
    ],
)
def test_clf(text, expected):
    assert parse_clf(text) == pytest.approx(expected) if expected else parse_clf(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"2000-10-10T20:55:36Z", T),
        (b"2000-10-10T22:55:36+02:00", T),
        (b"2000-10-10T22:55:36+0200", T),
        (b"2000-10-10 20:55:36", T),
        (b"2000-10-10T20:55:36.250Z", T + 0.25),
        (b"2000-10-10T20:55:36,5-00:00", T + 0.5),
        (b"2000-13-10T20:55:36Z", None),
    ],
)
def test_iso(text, expected):
    assert parse_iso(text) == pytest.approx(expected) if expected else parse_iso(text) is None


def _year(t: float) -> tuple[int, int, int]:
    return time.gmtime(t)[:3]


@pytest.mark.parametrize(
    ("stamp", "now", "date"),
    [
        (b"Dec 31 23:59:00", "2026-01-01T00:10:00Z", (2025, 12, 31)),  # December line read in January
        (b"Jan  1 00:00:05", "2026-12-31T23:59:00Z", (2027, 1, 1)),  # clock skew across New Year
        (b"Mar  3 10:00:00", "2026-11-21T12:00:00Z", (2026, 3, 3)),  # an archive from earlier this year
        (b"Nov 22 10:00:00", "2026-11-21T12:00:00Z", (2026, 11, 22)),  # within a day ahead
        (b"Nov 25 10:00:00", "2026-11-21T12:00:00Z", (2025, 11, 25)),  # days ahead: last year
        (b"Feb 29 10:00:00", "2025-03-01T12:00:00Z", (2024, 2, 29)),  # only a leap year has it
    ],
)
def test_syslog_year_inference(stamp, now, date):
    parser = TimeParser()
    assert _year(parser.parse("syslog", stamp, parse_user_time(now))) == date


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1', T),
        (b"<34>1 2000-10-10T20:55:36Z host app 1 - - message", T),
        (b"2000-10-10T20:55:36Z INFO started", T),
        (b"[2000-10-10 20:55:36] NOTICE[1638] chan_sip.c: x", T),
        (b"1386543323.250      4 192.0.2.1 TCP_DENIED/403 4099 GET", 1386543323.25),
        (b"2000/10/10 20:55:36 [error] 2865#0: *1 x", T),
        (b"[Tue Oct 10 20:55:36 2000] [error] [client 1.2.3.4] x", T),
        (b"[Tue Oct 10 20:55:36.500000 2000] [error] x", T + 0.5),
        (b"no time in this line 1.2.3.4", None),
    ],
)
def test_sniffing_free_text(line, expected):
    got = TimeParser().sniff(line, T)
    assert got == pytest.approx(expected) if expected else got is None


@pytest.mark.parametrize("text", ["2026-11-21T10:00:00Z", "2026-11-21", "1795255200", "21/Nov/2026:10:00:00 +0000"])
def test_user_times(text):
    assert parse_user_time(text) in (1795255200.0, 1795219200.0)


def test_user_time_rejects_garbage():
    with pytest.raises(ValueError):
        parse_user_time("yesterday")


USER_TIMES = [
    "2026-11-21T10:00:00Z",
    " 2026-11-21T10:00:00.5+01:30 ",
    "2026-11-21 10:00:00",
    "2026-11-21",
    "2026-02-30",
    "2026-13-01",
    "1795255200",
    "1795255200.25",
    "21/Nov/2026:10:00:00 +0000",
    "Nov 21 10:00:00",
    "Dec 31 23:59:59",
    "Feb 29 12:00:00",
    "yesterday",
    "",
    "2026-11-21T25:00:00Z",
    "ß",
]


@pytest.mark.parametrize("now", [None, 1795262400.0, 1767225600.0])
@pytest.mark.parametrize("text", USER_TIMES)
def test_user_times_read_natively_as_the_reference_read_them(text, now):
    """parse_user_time reads with the native parsers; the Python reference gives the same epoch or the same
    refusal."""
    try:
        expected: float | None = reference.parse_user_time(text, now)
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ValueError):
            parse_user_time(text, now)
    else:
        assert parse_user_time(text, now) == expected
