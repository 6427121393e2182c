"""Times a user gives on the command line (`--now`, `--at`, `--from`, `--to`) -> epoch seconds (UTC).

The forms are the ones the engine reads in log lines, read by the native core's parser (src/timeparse.rs), so a
time typed by hand and the same time in a line agree: ISO 8601 / RFC 3339, epoch seconds, CLF, a bare date
(`2026-11-21`, midnight UTC), and with a reference time RFC 3164 syslog (`Nov 21 10:15:32`, the year inferred).
"""

from __future__ import annotations

import calendar
import re

from pseudolog import _core

_DATE = re.compile(rb"(\d{4})-(\d{2})-(\d{2})")


def _date(raw: bytes) -> float | None:
    """A bare date's midnight (UTC), None for a date that does not exist."""
    m = _DATE.fullmatch(raw)
    if m is None:
        return None
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    return float(calendar.timegm((year, month, day, 0, 0, 0, 0, 0, 0)))


def parse_user_time(text: str, now: float | None = None) -> float:
    """A timestamp given on the command line (`--now`, `--at`): ISO 8601, CLF, epoch or syslog.

    Raises ValueError when it cannot be read.
    """
    raw = text.strip().encode("ascii", "replace")
    forms = [("iso", raw, 0.0), ("epoch", raw, 0.0), ("clf", raw, 0.0)]
    for t in _core.parse_times(forms):
        if t is not None:
            return t
    t = _date(raw)
    if t is not None:
        return t
    if now is not None:
        (t,) = _core.parse_times([("syslog", raw, now)])
        if t is not None:
            return t
    raise ValueError("unreadable timestamp")
