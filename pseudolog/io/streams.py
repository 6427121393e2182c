"""Run the engine over inputs and write to an output, promptly for pipes and in large blocks for files.

Each read takes what the input has (up to 1 MiB); every complete line in it is processed and the result
written and flushed at once. A pipe that delivers one line gets that line out immediately; a file is
read and written a megabyte at a time.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

from pseudolog.core.engine import Engine
from pseudolog.errors import InputError
from pseudolog.io.framing import LineFramer, Piece

CHUNK = 1 << 20
STDIN = "-"
_T = TypeVar("_T")


@dataclass(slots=True)
class StreamTotals:
    bytes_in: int = 0
    seconds: float = 0.0


def check_inputs(inputs: list[str]) -> int | None:
    """Fail before any line is read if an input cannot be read; the total size of the files, if known."""
    total = 0
    for name in inputs:
        if name == STDIN:
            return None
        try:
            info = os.stat(name)
        except OSError as exc:
            raise InputError(f"cannot read input {name}: {exc.strerror}") from None
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"cannot read input {name}: it is a directory")
        if not os.access(name, os.R_OK):
            raise InputError(f"cannot read input {name}: permission denied")
        if not stat.S_ISREG(info.st_mode):
            return None
        total += info.st_size
    return total


def render_piece(engine: Engine, piece: Piece, now: float) -> bytes | None:
    """One framed piece through the engine: a block of lines, a whole line, or a segment of an over-long
    one."""
    if piece.lines is not None:
        return b"".join(data for _, data in engine.process_lines(piece.lines, now))
    if piece.segment:
        return engine.process_segment(
            piece.data, now, ends_line=piece.last, mask_head=piece.masked_head, mask_tail=piece.masked_tail
        )
    return engine.process(piece.data, now)


def render_runs(engine: Engine, piece: Piece, now: float) -> list[tuple[int | None, bytes]]:
    """`render_piece` as runs of output that share a window, for sinks that write per window."""
    if piece.lines is not None:
        return engine.process_lines(piece.lines, now)
    data = render_piece(engine, piece, now)
    return [] if data is None else [(engine.last_window, data)]


def render_pieces(engine: Engine, pieces: list[Piece], now: float) -> bytes:
    out = [render_piece(engine, piece, now) for piece in pieces]
    return b"".join(data for data in out if data is not None)


def pump(
    engine: Engine,
    inputs: list[str],
    output: BinaryIO,
    clock: Callable[[], float],
    on_chunk: Callable[[int], None] | None = None,
) -> StreamTotals:
    """Process every input in order into `output`. `clock` gives the reference time for each read."""
    totals = StreamTotals()
    started = time.perf_counter()
    for name in inputs or [STDIN]:
        engine.start_input()
        framer = LineFramer(engine.options.max_line)
        if name == STDIN:
            fd, close = 0, False
        else:
            fd, close = reading(name, os.open, name, os.O_RDONLY), True
        try:
            totals.bytes_in += drain(engine, name, fd, framer, output, clock, on_chunk)
        finally:
            if close:
                os.close(fd)
    totals.seconds = time.perf_counter() - started
    return totals


def reading(name: str, call: Callable[..., _T], *args: object) -> _T:
    """A call that reads an input, with an OSError reported as that input's, in one line."""
    try:
        return call(*args)
    except OSError as exc:
        raise InputError(f"cannot read input {name}: {exc.strerror}") from None


def drain(
    engine: Engine,
    name: str,
    fd: int,
    framer: LineFramer,
    output: BinaryIO,
    clock: Callable[[], float],
    on_chunk: Callable[[int], None] | None,
) -> int:
    """Everything left in `fd` through the engine into `output`, each read written and flushed at once; the
    bytes read."""
    read = 0
    while True:
        chunk = reading(name, os.read, fd, CHUNK)
        if not chunk:
            break
        read += len(chunk)
        data = render_pieces(engine, framer.feed(chunk), clock())
        if data:
            output.write(data)
            output.flush()
        if on_chunk is not None:
            on_chunk(len(chunk))
    data = render_pieces(engine, framer.finish(), clock())
    if data:
        output.write(data)
        output.flush()
    return read
