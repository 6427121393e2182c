"""Delimited records with declared columns (Asterisk CDR `Master.csv`), read by the native core (src/csv.rs).

A line is split into fields with their quoting remembered; each field is rewritten in place, so the output
keeps the same column count, quotes and delimiters byte for byte. Columns declared as phone columns are
read as numbers (six digits or more: a phone number; fewer: an extension); numeric columns stay; the time
column is kept when it parses; every other column is scanned as text, so nothing leaves unscanned.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
