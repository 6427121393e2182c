"""Byte chunks -> lines, keeping a partial last line until its newline arrives.

A line longer than `max_line` is not held whole: it is cut into segments, each scanned as free text. A
cut falls where no identifier can straddle it (a blank between non-digits, a quote, a comma, ...), found
within the last few KiB before the limit; when there is none (kilobytes of digits and hex), the digit/hex
run on each side of the cut is masked, so nothing raw escapes either way.
"""

from __future__ import annotations

from dataclasses import dataclass

_SAFE_SEARCH = 4096
_DIGITS = frozenset(b"0123456789")
_AFTER_KEY = frozenset(b"=:\"'")
_HARD_DELIMITERS = frozenset(b"\"'<>,;&|{}\\\t\x00")


@dataclass(slots=True)
class Piece:
    """A complete line (with its terminator), a block of complete lines, or one segment of an over-long
    line. A block is what one read delivered: splitting it in C and handing the engine the whole list saves
    an object and a call per line."""

    data: bytes
    segment: bool = False
    last: bool = True  # for segments: this one ends the line
    masked_head: bool = False  # the leading digit/hex run continues an unsafe cut: mask it
    masked_tail: bool = False  # the trailing digit/hex run was cut unsafely: mask it
    lines: list[bytes] | None = None  # for blocks: the lines of `data`, each without its "\n"

    def whole_lines(self) -> list[bytes]:
        """The complete lines this piece holds, each with its terminator (a segment is not one)."""
        if self.lines is None:
            return [self.data]
        return [line + b"\n" for line in self.lines]


def _safe_cut(buf: bytes | bytearray, limit: int) -> int | None:
    """Index just past a byte where the buffer can be cut without splitting an identifier."""
    low = max(0, limit - _SAFE_SEARCH)
    for i in range(limit - 1, low, -1):
        c = buf[i]
        if c == 0x20:
            before, after = buf[i - 1], buf[i + 1] if i + 1 < len(buf) else 0x20
            joins_digits = before in _DIGITS and (after in _DIGITS or after == 0x28)  # "+49 30 1234567"
            if not joins_digits and before not in _AFTER_KEY:
                return i + 1
        elif c in _HARD_DELIMITERS and (i == 0 or buf[i - 1] not in _AFTER_KEY):
            return i + 1
    return None


class LineFramer:
    # Bytes past the limit the safe-cut search may look at (the native framer sees the next byte: 1).
    lookahead = 0

    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self._buf = bytearray()
        self._in_long_line = False  # segments of the current line have been emitted already
        self._mask_next_head = False  # the last cut was not safe: mask the run the next segment starts with

    @property
    def pending(self) -> int:
        return len(self._buf)

    @property
    def mid_line(self) -> tuple[bool, bool]:
        """(segments of the current line were emitted, the next segment's head must be masked): what a
        checkpoint keeps so a restart inside an over-long line carries on exactly as before."""
        return self._in_long_line, self._mask_next_head

    def resume_mid_line(self, in_long_line: bool, mask_next_head: bool) -> None:
        self._in_long_line, self._mask_next_head = in_long_line, mask_next_head

    def feed(self, chunk: bytes) -> list[Piece]:
        out: list[Piece] = []
        buf = self._buf
        buf += chunk
        start = 0
        if self._in_long_line:
            nl = buf.find(b"\n")
            if nl >= 0:
                out.extend(self._split(bytes(buf[: nl + 1]), final=True))
                start = nl + 1
        last = buf.rfind(b"\n")
        if last >= start:
            block = bytes(buf[start : last + 1])
            lines = block.split(b"\n")
            lines.pop()  # the empty remainder after the block's final newline
            if len(block) <= self.max_line or max(map(len, lines)) < self.max_line:
                out.append(Piece(block, lines=lines))
            else:
                out.extend(self._lines_one_by_one(block))
            start = last + 1
        del buf[:start]
        if len(buf) > self.max_line:
            pieces = self._split(bytes(buf), final=False)
            emitted = sum(len(p.data) for p in pieces)
            del buf[:emitted]
            out.extend(pieces)
        return out

    def _lines_one_by_one(self, block: bytes) -> list[Piece]:
        """A block that holds an over-long line: lines within the limit whole, the long ones in segments."""
        out: list[Piece] = []
        start = 0
        while start < len(block):
            nl = block.index(b"\n", start)
            if nl + 1 - start > self.max_line:
                out.extend(self._split(block[start : nl + 1], final=True))
            else:
                out.append(Piece(block[start : nl + 1]))
            start = nl + 1
        return out

    def _split(self, data: bytes, final: bool) -> list[Piece]:
        """Segments of a line too long to hold. With `final`, `data` ends the line and is emitted whole;
        otherwise a remainder of at most max_line bytes is left for the next read."""
        out: list[Piece] = []
        pos = 0
        while len(data) - pos > self.max_line:
            window = data[pos : pos + self.max_line + self.lookahead]
            cut = _safe_cut(window, self.max_line)
            unsafe = cut is None
            cut = self.max_line if cut is None else cut
            out.append(
                Piece(
                    data[pos : pos + cut],
                    segment=True,
                    last=False,
                    masked_head=self._mask_next_head,
                    masked_tail=unsafe,
                )
            )
            self._mask_next_head = unsafe
            self._in_long_line = True
            pos += cut
        if final:
            if self._in_long_line:
                out.append(Piece(data[pos:], segment=True, last=True, masked_head=self._mask_next_head))
            else:
                out.append(Piece(data[pos:]))
            self._in_long_line = self._mask_next_head = False
        return out

    def finish(self) -> list[Piece]:
        """At end of input: the partial last line, without a terminator, as it was."""
        if not self._buf and not self._in_long_line:
            return []
        data = bytes(self._buf)
        self._buf = bytearray()
        return self._split(data, final=True)
