"""Timestamp text -> epoch seconds (UTC).

Forms: CLF (`10/Oct/2000:13:55:36 -0700`, HAProxy's `.726` fraction), ISO 8601 / RFC 3339 (with or
without offset and fraction, `T` or space), RFC 3164 syslog (`Nov  3 10:00:00`, no year: inferred from
the reference time), epoch seconds with fraction (Squid). A timestamp without an offset is read as UTC.
Parsing is cached by text because timestamps repeat for every line written in the same second.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from functools import lru_cache

from tests.reference.cache import BoundedCache

MONTHS = {
    name: i
    for i, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
    )
}
_MONTHS_B = {k.encode(): v for k, v in MONTHS.items()}

_CLF = re.compile(rb"(\d{1,2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(\.\d+)?(?: ?([+-])(\d{2}):?(\d{2}))?\Z")
_ISO = re.compile(rb"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})([.,]\d+)?(?:(Z|z)|([+-])(\d{2}):?(\d{2}))?\Z")
_SYSLOG = re.compile(rb"([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?\Z")
# nginx error log `2012/04/09 11:53:29`; Apache error log `Sun Dec 04 04:47:44.123456 2005` (ctime).
_SLASHED = re.compile(rb"(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?\Z")
_CTIME = re.compile(rb"[A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)? (\d{4})\Z")
_EPOCH = re.compile(rb"(\d{9,11})(\.\d+)?\Z")

# Where a timestamp sits when a line is read as free text: at the start (after an optional syslog
# <PRI> and RFC 5424 version, an optional bracket), or a CLF timestamp in brackets anywhere early on.
_SNIFF_START = re.compile(
    rb"(?:<\d{1,3}>(?:1 )?)?\[?"
    rb"(?:(?P<iso>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"
    rb"|(?P<syslog>[A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d+)?)"
    rb"|(?P<epoch>\d{10}(?:\.\d+)?)(?=\s)"
    rb"|(?P<slashed>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?)"
    rb"|(?P<ctime>[A-Z][a-z]{2} [A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d+)? \d{4}))"
)
_SNIFF_CLF = re.compile(rb"\[(\d{1,2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}(?:\.\d+)?(?: [+-]\d{4})?)\]")
_SNIFF_ISO_ANYWHERE = re.compile(
    rb"(?<![\d.:])(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)(?![\d:])"
)
_SNIFF_WINDOW = 160
# A syslog timestamp may be up to this far ahead of the reference time before it is read as last year.
_SYSLOG_FUTURE_SLACK = 86400


def _fraction(raw: bytes | None) -> float:
    return float(b"0" + raw.replace(b",", b".")) if raw else 0.0


def _offset(sign: bytes | None, hours: bytes | None, minutes: bytes | None) -> int:
    if not sign:
        return 0
    seconds = int(hours) * 3600 + int(minutes) * 60
    return seconds if sign == b"+" else -seconds


def _timegm(year: int, month: int, day: int, hh: int, mm: int, ss: int) -> float | None:
    if hh > 23 or mm > 59 or ss > 60:
        return None
    midnight = _midnight(year, month, day)
    return None if midnight is None else midnight + hh * 3600 + mm * 60 + min(ss, 59)


@lru_cache(maxsize=1024)
def _midnight(year: int, month: int, day: int) -> float | None:
    """Epoch of a date's start, None for a date that does not exist; a stream's times share a few dates."""
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    return float(calendar.timegm((year, month, day, 0, 0, 0, 0, 0, 0)))


def parse_clf(text: bytes) -> float | None:
    m = _CLF.match(text)
    if not m:
        return None
    day, mon, year, hh, mm, ss, frac, sign, oh, om = m.groups()
    month = _MONTHS_B.get(mon)
    if month is None:
        return None
    t = _timegm(int(year), month, int(day), int(hh), int(mm), int(ss))
    return None if t is None else t + _fraction(frac) - _offset(sign, oh, om)


def parse_iso(text: bytes) -> float | None:
    m = _ISO.match(text)
    if not m:
        return None
    year, month, day, hh, mm, ss, frac, _z, sign, oh, om = m.groups()
    t = _timegm(int(year), int(month), int(day), int(hh), int(mm), int(ss))
    return None if t is None else t + _fraction(frac) - _offset(sign, oh, om)


def parse_epoch(text: bytes) -> float | None:
    m = _EPOCH.match(text)
    return float(text) if m else None


def parse_slashed(text: bytes) -> float | None:
    m = _SLASHED.match(text)
    if not m:
        return None
    year, month, day, hh, mm, ss, frac = m.groups()
    t = _timegm(int(year), int(month), int(day), int(hh), int(mm), int(ss))
    return None if t is None else t + _fraction(frac)


def parse_ctime(text: bytes) -> float | None:
    m = _CTIME.match(text)
    if not m:
        return None
    mon, day, hh, mm, ss, frac, year = m.groups()
    month = _MONTHS_B.get(mon)
    if month is None:
        return None
    t = _timegm(int(year), month, int(day), int(hh), int(mm), int(ss))
    return None if t is None else t + _fraction(frac)


def syslog_year_candidates(text: bytes, year: int) -> list[float] | None:
    """Epochs for a year-less syslog timestamp in year-1, year and year+1 (None where invalid)."""
    m = _SYSLOG.match(text)
    if not m:
        return None
    mon, day, hh, mm, ss, frac = m.groups()
    month = _MONTHS_B.get(mon)
    if month is None:
        return None
    out: list[float] = []
    for y in (year - 1, year, year + 1):
        t = _timegm(y, month, int(day), int(hh), int(mm), int(ss))
        if t is not None:
            out.append(t + _fraction(frac))
    return out or None


def pick_syslog_year(candidates: list[float], now: float) -> float:
    """The latest candidate not more than a day ahead of `now`: handles the December/January turn
    and archives from earlier in the year alike."""
    best = candidates[0]
    for t in candidates:
        if t <= now + _SYSLOG_FUTURE_SLACK:
            best = t
    return best


def year_of(epoch: float) -> int:
    import time

    return time.gmtime(epoch).tm_year


_MISS = object()


class TimeParser:
    """Cached timestamp parsing for one stream. Pure: the reference time comes in as an argument."""

    def __init__(self, cache_size: int = 4096) -> None:
        # None (no time in that text) is cached too.
        self._cache: BoundedCache[tuple[str, bytes], float | None] = BoundedCache(cache_size)
        self._syslog_cache: BoundedCache[tuple[bytes, int], list[float] | None] = BoundedCache(cache_size)
        self._parsers: dict[str, Callable[[bytes], float | None]] = {
            "clf": parse_clf,
            "iso": parse_iso,
            "epoch": parse_epoch,
            "slashed": parse_slashed,
            "ctime": parse_ctime,
        }

    def parse(self, kind: str, text: bytes, now: float) -> float | None:
        """Epoch seconds for `text` read as `kind` (clf, iso, epoch, syslog), or None."""
        if kind == "syslog":
            return self._syslog(text, now)
        key = (kind, text)
        hit = self._cache.get(key, _MISS)
        if hit is not _MISS:
            return hit  # type: ignore[return-value]
        value = self._parsers[kind](text)
        self._cache.put(key, value)
        return value

    def _syslog(self, text: bytes, now: float) -> float | None:
        key = (text, int(now // 86400))
        candidates = self._syslog_cache.get(key, _MISS)
        if candidates is _MISS:
            candidates = syslog_year_candidates(text, year_of(now))
            self._syslog_cache.put(key, candidates)
        return None if candidates is None else pick_syslog_year(candidates, now)

    def sniff(self, line: bytes, now: float) -> float | None:
        """Find the event time of a line that matched no format."""
        head = line[:_SNIFF_WINDOW]
        m = _SNIFF_START.match(head)
        if m:
            kind = m.lastgroup or "iso"
            t = self.parse(kind, m.group(kind), now)
            if t is not None:
                return t
        m = _SNIFF_CLF.search(head)
        if m:
            t = self.parse("clf", m.group(1), now)
            if t is not None:
                return t
        m = _SNIFF_ISO_ANYWHERE.search(head)
        if m:
            return self.parse("iso", m.group(1), now)
        return None


def parse_user_time(text: str, now: float | None = None) -> float:
    """A timestamp given on the command line (`--now`, `--at`): ISO 8601, CLF, epoch or syslog.

    Raises ValueError when it cannot be read.
    """
    raw = text.strip().encode("ascii", "replace")
    parser = TimeParser()
    for kind in ("iso", "epoch", "clf"):
        t = parser.parse(kind, raw, 0.0)
        if t is not None:
            return t
    m = re.fullmatch(rb"(\d{4})-(\d{2})-(\d{2})", raw)
    if m:
        t = _timegm(int(m[1]), int(m[2]), int(m[3]), 0, 0, 0)
        if t is not None:
            return t
    if now is not None:
        t = parser.parse("syslog", raw, now)
        if t is not None:
            return t
    raise ValueError("unreadable timestamp")
