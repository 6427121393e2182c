"""Delimited records with declared columns (Asterisk CDR `Master.csv`).

A line is split into fields with their quoting remembered; each field is rewritten in place, so the output
keeps the same column count, quotes and delimiters byte for byte. Columns declared as phone columns are
read as numbers (six digits or more: a phone number; fewer: an extension); numeric columns stay; the time
column is kept when it parses; every other column is scanned as text, so nothing leaves unscanned.
"""

from __future__ import annotations

import re
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


# One field: quoted (its content inside the quotes, a doubled quote standing for one) or bare (no quote, no
# comma). Possessive throughout: runs of plain bytes are counted in C, and nothing backtracks into a field.
_FIELD = rb'(?:"([^"]*+(?:""[^"]*+)*+)"|([^",]*+))'


def fields_regex(min_columns: int, max_columns: int) -> re.Pattern[bytes]:
    """A record of min_columns to max_columns fields as one anchored match, two groups per field (quoted,
    bare): a record is split in C instead of a find per field (tests/test_formats.py holds it to a plain
    splitter). The optional fields nest, so field i is present only when every field before it is."""
    optional = b""
    for _ in range(max_columns - min_columns):
        optional = b"(?:," + _FIELD + optional + b")?"
    return re.compile(_FIELD + (b"," + _FIELD) * (min_columns - 1) + optional)


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

    @cached_property
    def _fields(self) -> re.Pattern[bytes]:
        return fields_regex(self.min_columns, len(self.columns))

    @cached_property
    def _time_index(self) -> int | None:
        return None if self.time_column is None else self.columns.index(self.time_column)

    def spans(self, body: bytes) -> list[Span] | None:
        """Content spans of a record's fields, or None for a line that is not well-formed CSV of this format's
        column count."""
        m = self._fields.fullmatch(body)
        if m is None:
            return None
        regs = m.regs
        # The last group to close is the last present field's: field k (from 0) has groups 2k+1 and 2k+2.
        present = ((m.lastindex or 1) + 1) // 2
        quoted, bare = regs[1 : 2 * present : 2], regs[2 : 2 * present + 1 : 2]
        return [q if q[0] >= 0 else b for q, b in zip(quoted, bare, strict=True)]

    def parse(self, body: bytes) -> CsvParsed | None:
        if body.count(b",") + 1 < self.min_columns:
            return None
        spans = self.spans(body)
        if spans is None:
            return None
        time_text = None
        if self._time_index is not None:
            start, end = spans[self._time_index]
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
