"""Match a line against its log format. `auto` picks the format from the first lines of each input."""

from __future__ import annotations

from collections import Counter

from tests.reference.core.record import Record
from tests.reference.formats import Format

# `auto` settles on a format once one has matched this many lines, or after this many lines in all.
AUTO_LOCK_MATCHES = 3
AUTO_LOCK_LINES = 20


class FormatStep:
    """Parse with one format; a line that does not fit is left for free-text scanning."""

    def __init__(self, log_format: Format | None) -> None:
        self.log_format = log_format

    @property
    def settled(self) -> bool:
        """The format no longer changes from line to line (the fast path may take over)."""
        return True

    def start_input(self) -> None:
        """A new input begins (a new file may hold another format)."""

    def __call__(self, record: Record) -> Record:
        fmt = self.log_format
        if fmt is not None:
            parsed = fmt.parse(record.body)
            if parsed is not None:
                record.log_format, record.parsed, record.format_name = fmt, parsed, fmt.name
        return record


class AutoFormatStep(FormatStep):
    """Tries every built-in format until one has shown itself in the first lines, then only that one."""

    def __init__(self, candidates: list[Format]) -> None:
        super().__init__(None)
        self.candidates = candidates
        self.start_input()

    def start_input(self) -> None:
        self.log_format = None
        self._locked = False
        self._seen = 0
        self._hits: Counter[str] = Counter()

    @property
    def locked(self) -> bool:
        return self._locked

    @property
    def settled(self) -> bool:
        return self._locked

    @property
    def detected(self) -> str | None:
        return self.log_format.name if self.log_format is not None else None

    def __call__(self, record: Record) -> Record:
        if self._locked:
            return super().__call__(record)
        self._seen += 1
        for candidate in self.candidates:
            parsed = candidate.parse(record.body)
            if parsed is not None:
                record.log_format, record.parsed, record.format_name = candidate, parsed, candidate.name
                self._hits[candidate.name] += 1
                break
        best = self._hits.most_common(1)
        if (best and best[0][1] >= AUTO_LOCK_MATCHES) or self._seen >= AUTO_LOCK_LINES:
            self._locked = True
            if best:
                self.log_format = next(c for c in self.candidates if c.name == best[0][0])
        return record
