"""Delimited records with declared columns (Asterisk CDR `Master.csv`).

A line is split into fields with their quoting remembered; each field is rewritten in place, so the output
keeps the same column count, quotes and delimiters byte for byte. Columns declared as phone columns are
read as numbers (six digits or more: a phone number; fewer: an extension); numeric columns stay; the time
column is kept when it parses; every other column is scanned as text, so nothing leaves unscanned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from pseudolog.timeparse import parse_iso

if TYPE_CHECKING:
    from pseudolog.core.fields import FieldScrubber
    from pseudolog.timeparse import TimeParser

# What a column is: scanned as text, a phone column, a numeric column kept when numeric, the time column.
_TEXT, _PHONE, _KEEP, _TIME = range(4)
Span = tuple[int, int]  # start, end of a field's content (inside its quotes, if quoted)
CsvParsed = tuple[list[Span], bytes | None]  # the spans, and the text of the time column


def split_fields(body: bytes, delimiter: int = 0x2C) -> list[Span] | None:
    """Content spans of each field, or None for a line that is not well-formed CSV."""
    spans: list[Span] = []
    i, n = 0, len(body)
    while True:
        if i < n and body[i] == 0x22:
            start = j = i + 1
            while True:
                j = body.find(b'"', j)
                if j < 0:
                    return None
                if j + 1 < n and body[j + 1] == 0x22:
                    j += 2
                    continue
                break
            spans.append((start, j))
            i = j + 1
            if i < n and body[i] != delimiter:
                return None
        else:
            j = body.find(bytes((delimiter,)), i)
            j = n if j < 0 else j
            if body.find(b'"', i, j) >= 0:
                return None
            spans.append((i, j))
            i = j
        if i >= n:
            return spans
        i += 1  # past the delimiter
        if i == n:
            spans.append((n, n))
            return spans


@dataclass(frozen=True)
class CsvFormat:
    name: str
    description: str
    columns: tuple[str, ...]
    min_columns: int
    phone_columns: frozenset[str] = frozenset()
    keep_columns: frozenset[str] = frozenset()
    time_column: str | None = None
    samples: tuple[str, ...] = field(default=())

    @property
    def specificity(self) -> int:
        return len(self.columns)

    def parse(self, body: bytes) -> CsvParsed | None:
        if body.count(b",") + 1 < self.min_columns:
            return None
        spans = split_fields(body)
        if spans is None or not self.min_columns <= len(spans) <= len(self.columns):
            return None
        time_text = None
        if self.time_column is not None:
            start, end = spans[self.columns.index(self.time_column)]
            time_text = body[start:end]
            if parse_iso(time_text) is None:
                return None  # the time column is what tells a CDR from any other comma-separated line
        return spans, time_text

    def event_time(self, parsed: CsvParsed, times: TimeParser, now: float) -> float | None:
        time_text = parsed[1]
        return None if time_text is None else times.parse("iso", time_text, now)

    @cached_property
    def _roles(self) -> tuple[int, ...]:
        """What each column is, by position: looked up once, not three set lookups per field of every record.
        The registry refuses a column named in two roles."""
        roles = {name: _PHONE for name in self.phone_columns} | {name: _KEEP for name in self.keep_columns}
        if self.time_column is not None:
            roles[self.time_column] = _TIME
        return tuple(roles.get(name, _TEXT) for name in self.columns)

    def render(self, body: bytes, parsed: CsvParsed, fields: FieldScrubber, window: int | None, time_ok: bool) -> bytes:
        parts: list[bytes] = []
        pos = 0
        scrub_field = fields.field
        for role, (start, end) in zip(self._roles, parsed[0], strict=False):
            parts.append(body[pos:start])
            text = body[start:end]
            if role == _TEXT or (role == _KEEP and not text.isdigit()) or (role == _TIME and not time_ok):
                parts.append(scrub_field(text, window) if text else text)
            elif role == _PHONE:
                parts.append(fields.context_phone(text, window))
            else:
                parts.append(text)
            pos = end
        parts.append(body[pos:])
        return b"".join(parts)
