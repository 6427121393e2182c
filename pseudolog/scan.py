"""Find raw identifiers in logs: what `run` would replace, reported by kind, line and column.

The scanner runs the same engine as `run` (same formats, same detectors, same exceptions for versions) and
lines the output up with the input around the tokens, so it reports exactly what the filter would change,
and never a pseudonym the filter wrote.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pseudolog.config import FilterOptions
from pseudolog.core.engine import Engine
from pseudolog.io.framing import LineFramer
from pseudolog.io.streams import CHUNK, STDIN

TOKEN_RE = re.compile(rb"(IP|PHONE|MAC|IMEI|DEV)(?:[-+][0-9A-Za-z]*?)?-[g-z]{16}")
KIND_OF_PREFIX = {b"IP": "ip", b"PHONE": "phone", b"MAC": "mac", b"IMEI": "imei", b"DEV": "device"}


@dataclass(frozen=True, slots=True)
class Finding:
    source: str
    line: int
    column: int  # 1-based byte column
    kind: str
    value: bytes


def align(original: bytes, filtered: bytes) -> list[tuple[int, bytes, str]]:
    """(offset, raw value, kind) for each token in `filtered`, located in `original`."""
    found: list[tuple[int, bytes, str]] = []
    tokens = list(TOKEN_RE.finditer(filtered))
    pos_in = 0
    pos_out = 0
    for i, token in enumerate(tokens):
        before = filtered[pos_out : token.start()]
        if not original.startswith(before, pos_in):
            return found  # the line was re-serialised (JSON): positions are unknown from here on
        start = pos_in + len(before)
        after_end = tokens[i + 1].start() if i + 1 < len(tokens) else len(filtered)
        after = filtered[token.end() : after_end]
        end = original.find(after, start) if after else (len(original) if i + 1 == len(tokens) else start)
        if end < 0:
            return found
        found.append((start, original[start:end], KIND_OF_PREFIX[token.group(1)]))
        pos_in, pos_out = end, token.end()
    return found


class Scanner:
    def __init__(self, options: FilterOptions) -> None:
        self.engine = Engine(options, os.urandom(32))

    def line(self, source: str, number: int, line: bytes, now: float) -> list[Finding]:
        out = self.engine.process(line, now)
        if out is None or out == line:
            return []
        located = align(line, out)
        if located:
            return [Finding(source, number, start + 1, kind, value) for start, value, kind in located]
        # Re-serialised (JSON) or masked: report the line with the first changed column.
        first = next((i for i, (a, b) in enumerate(zip(line, out, strict=False)) if a != b), 0)
        kinds = sorted({KIND_OF_PREFIX[m.group(1)] for m in TOKEN_RE.finditer(out)}) or ["unknown"]
        return [Finding(source, number, first + 1, kind, b"") for kind in kinds]

    def segment(self, source: str, number: int, data: bytes, now: float, **borders: bool) -> list[Finding]:
        out = self.engine.process_segment(data, now, ends_line=False, **borders)
        return [Finding(source, number, s + 1, k, v) for s, v, k in align(data, out)] if out != data else []

    def scan_bytes(self, data: bytes, now: float, source: str = "-") -> Iterator[Finding]:
        """Findings for an in-memory log (for tests and library users)."""
        self.engine.start_input()
        for number, line in enumerate(data.splitlines(keepends=True), start=1):
            yield from self.line(source, number, line, now)

    def scan(self, inputs: list[str], now: float) -> Iterator[Finding]:
        for name in inputs or [STDIN]:
            self.engine.start_input()
            framer = LineFramer(self.engine.options.max_line)
            fd = 0 if name == STDIN else os.open(name, os.O_RDONLY)
            number = 1
            try:
                while True:
                    chunk = os.read(fd, CHUNK)
                    pieces = framer.feed(chunk) if chunk else framer.finish()
                    for piece in pieces:
                        if piece.segment and not piece.last:
                            yield from self.segment(
                                name, number, piece.data, now, mask_head=piece.masked_head, mask_tail=piece.masked_tail
                            )
                            continue
                        if piece.segment:
                            yield from self.segment(name, number, piece.data, now, mask_head=piece.masked_head)
                            number += 1
                            continue
                        for line in piece.whole_lines():
                            yield from self.line(name, number, line, now)
                            number += 1
                    if not chunk:
                        break
            finally:
                if fd != 0:
                    os.close(fd)
