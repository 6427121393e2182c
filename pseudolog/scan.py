"""Find raw identifiers in logs: `pseudolog scan`, an auditor independent of the line engine.

`scan` does not run the engine `run` uses: it would be blind to exactly what the engine misses. It runs the
auditor in `pseudolog.audit`, a broader detector with its own rules, over every line (and over lines longer than
`max_line` in overlapping segments, so nothing slides past a cut) and reports each candidate with its line,
column, kind, score and shape, never its value unless asked. Pseudonyms pseudolog writes are never reported.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from pseudolog.audit import Auditor, Candidate

STDIN = "-"
CHUNK = 1 << 20
DEFAULT_MIN_SCORE = 0.5
# Bytes a segment of an over-long line shares with the next one: more than any identifier and its context.
OVERLAP = 512


@dataclass(frozen=True, slots=True)
class Finding:
    source: str
    line: int
    column: int  # 1-based byte column
    kind: str
    score: float
    shape: str
    value: bytes  # printed only with --show-values


def _finding(source: str, number: int, offset: int, c: Candidate) -> Finding:
    return Finding(source, number, offset + c.start + 1, c.kind, c.score, c.shape, c.value)


class Scanner:
    """Findings for files, streams or bytes. Candidates scoring below `min_score` (versions, random hex ids) are
    counted in `below` and not yielded."""

    def __init__(self, min_score: float = DEFAULT_MIN_SCORE, max_line: int = 1 << 20) -> None:
        self.auditor = Auditor()
        self.min_score = min_score
        self.max_line = max(max_line, 4 * OVERLAP)
        self.below = 0

    def _line(self, source: str, number: int, line: bytes, offset: int = 0, limit: int | None = None):
        for c in self.auditor.candidates(line):
            if limit is not None and c.start >= limit:
                continue  # read again in the next segment, whole
            if c.score < self.min_score:
                self.below += 1
                continue
            yield _finding(source, number, offset, c)

    def scan_bytes(self, data: bytes, source: str = "-") -> Iterator[Finding]:
        """Findings for an in-memory log (for tests and library users)."""
        for number, line in enumerate(data.splitlines(), start=1):
            yield from self._line(source, number, line)

    def scan_fd(self, fd: int, source: str) -> Iterator[Finding]:
        number = 1
        pending = b""
        offset = 0  # bytes of the current line already passed in earlier segments
        while True:
            chunk = os.read(fd, CHUNK)
            if chunk:
                pending += chunk
            start = 0
            while True:
                nl = pending.find(b"\n", start)
                if nl < 0:
                    break
                yield from self._line(source, number, pending[start:nl], offset)
                number += 1
                offset = 0
                start = nl + 1
            pending = pending[start:]
            # An over-long line: scan all but the last OVERLAP bytes, keep those as the next segment's start.
            while len(pending) > self.max_line:
                cut = len(pending) - OVERLAP
                yield from self._line(source, number, pending, offset, limit=cut)
                offset += cut
                pending = pending[cut:]
            if not chunk:
                break
        if pending:
            yield from self._line(source, number, pending.rstrip(b"\r"), offset)

    def scan(self, inputs: list[str]) -> Iterator[Finding]:
        for name in inputs or [STDIN]:
            fd = 0 if name == STDIN else os.open(name, os.O_RDONLY)
            try:
                yield from self.scan_fd(fd, name)
            finally:
                if fd != 0:
                    os.close(fd)
