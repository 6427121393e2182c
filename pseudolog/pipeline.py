"""The one pipeline every shell runs: `build_engine` (the native engine, built once) and `pump` (the chunk loop).

`run`, `run --journal-export`, `--jobs` (threads inside the engine), `follow`, `spark`, and `bench` all feed
the same native engine whole reads at a time; the engine frames the lines itself and holds a partial last line
until its newline arrives. Its counts (one dict, `counts()`) are what `--stats`, the progress bar, follow's
STATUS and metrics, and spark's accumulators read.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from pseudolog.errors import InputError
from pseudolog.io.writing import write_all

if TYPE_CHECKING:
    from pseudolog._core import Piece
    from pseudolog.config import FilterOptions
    from pseudolog.io.stopping import StopSignals
    from pseudolog.keyring import Keyring

CHUNK = 1 << 20
STDIN = "-"
_T = TypeVar("_T")
Runs = list[tuple[int | None, bytes]]


class Engine:
    """The native engine for one set of options and key material, with its counts by name."""

    def __init__(
        self, options: FilterOptions, secret: bytes | Keyring, *, jobs: int = 1, parallel_min: int | None = None
    ) -> None:
        from pseudolog import _core
        from pseudolog.native_engine import engine_config

        self.options = options
        config = engine_config(options, secret)
        config["jobs"] = jobs
        if parallel_min is not None:  # tests: split even small chunks across the threads
            config["parallel_min"] = parallel_min
        self._core = _core.Engine(config)

    def start_input(self) -> None:
        """A new input begins: `auto` chooses its format again."""
        self._core.start_input()

    def feed(self, chunk: bytes, now: float) -> bytes:
        """Every complete line held and in `chunk`, pseudonymised."""
        return self._core.feed(chunk, now)[0]

    def feed_into(self, chunk: bytes | memoryview, now: float, into: bytearray, ahead: bool = False) -> int:
        """`feed` into `into` (resized to the output): the output's length. For a loop that keeps its buffers.
        `ahead`: the caller feeds again at once (a regular file); with `--jobs` the output may then be the
        chunk before's while this one is rendered on the job threads, and `finish` hands out the rest."""
        return self._core.feed_into(chunk, now, into, ahead)

    def finish(self, now: float, stopped: bool = False) -> bytes:
        """End of input: the partial last line (scanned, written without a terminator). `stopped`: a stop
        before the input's end, so the line in progress is ended and its last word masked (its rest is unread)."""
        return self._core.finish(now, stopped)[0]

    def feed_runs(self, chunk: bytes, now: float) -> Runs:
        """`feed` as runs of output that share a window (for sinks that write per window)."""
        return _split(*self._core.feed(chunk, now))

    def finish_runs(self, now: float) -> Runs:
        return _split(*self._core.finish(now))

    def feed_pieces_runs(self, pieces: list[Piece], now: float) -> Runs:
        """Pieces a `LineFramer` cut (a follow source's), rendered as cut: lines as lines, a long line's segments
        with their flags and context. Nothing is held back, so all the framer delivered is written."""
        return _split(*self._core.feed_pieces(pieces, now))

    @property
    def detected(self) -> str | None:
        return self._core.detected

    @property
    def last_window(self) -> int | None:
        return self._core.last_window

    @property
    def refused_threads(self) -> tuple[int, str | None]:
        """Job threads the system did not start over the run (a task limit), and its reason the first time:
        their lines were rendered on the threads that did start, so only the speed suffered."""
        return self._core.refused

    def find(self, text: bytes) -> list[tuple[int, int, str, str]]:
        """The identifiers the engine's detectors find in free text: (start, end, kind, normalised), in order of
        position, non-overlapping (nothing is replaced or counted)."""
        return self._core.find(text)

    def counts(self) -> dict[str, Any]:
        """lines_in, lines_out, dropped{reason}, replaced{kind}, formats{name}, masked_on_error,
        missing_window_keys, unmatched."""
        return self._core.counts()


def _split(data: bytes, runs: list[tuple[int | None, int]]) -> Runs:
    out, at = [], 0
    for window, length in runs:
        out.append((window, data[at : at + length]))
        at += length
    return out


def build_engine(options: FilterOptions, secret: bytes | Keyring, jobs: int = 1) -> Engine:
    """The engine for these options: what every shell calls."""
    return Engine(options, secret, jobs=jobs)


@dataclass(slots=True)
class StreamTotals:
    bytes_in: int = 0
    seconds: float = 0.0


def reading(name: str, call: Callable[..., _T], *args: object) -> _T:
    """A call that reads an input, with an OSError reported as that input's, in one line."""
    try:
        return call(*args)
    except OSError as exc:
        raise InputError(f"cannot read input {name}: {exc.strerror}") from None


def pump_chunks(
    engine: Engine,
    chunks: Iterable[bytes | memoryview],
    output: BinaryIO,
    clock: Callable[[], float],
    on_chunk: Callable[[int], None] | None = None,
    ahead: bool = False,
    stop: StopSignals | None = None,
) -> int:
    """The chunk loop: each chunk through the engine, its output written and flushed at once (a pipe that
    delivers one line gets that line out immediately); the partial last line at the end (ended, its last word
    masked, when a `stop` cut the reads short). The bytes read.
    `ahead` (the chunks come from a regular file, so the next is there at once): see `Engine.feed_into`."""
    read = 0
    out = bytearray()  # one output buffer for the whole loop (see fd_chunks)
    for chunk in chunks:
        read += len(chunk)
        written = engine.feed_into(chunk, clock(), out, ahead)
        if written:
            write_all(output, out)
            output.flush()
        if on_chunk is not None:
            on_chunk(len(chunk))
    data = engine.finish(clock(), stopped=stop is not None and stop.cut_short)
    if data:
        write_all(output, data)
        output.flush()
    return read


def fd_chunks(name: str, fd: int, size: int = CHUNK, stop: StopSignals | None = None) -> Iterable[memoryview]:
    """What `fd` has, a read at a time (up to `size` bytes), until its end or a `stop`. Every read goes into one
    buffer: a view is good until the next is asked for. A new megabyte per read came from the system's
    allocator as fresh pages, a page fault per 4 KiB (5-8 % of a run's CPU on large inputs)."""
    buffer = bytearray(size)
    with memoryview(buffer) as whole:
        while True:
            if stop is not None and not stop.wait_readable(fd):
                return
            count = reading(name, os.readv, fd, [buffer])
            if not count:
                return
            with whole[:count] as chunk:
                yield chunk


def open_input(name: str, stop: StopSignals | None) -> int:
    """An input file's descriptor. With a `stop`, opened without blocking: a FIFO with no writer yet then waits
    in poll() (fd_chunks), where a stop is seen, not in open(), which a stop's handler would only restart."""
    if stop is None:
        return reading(name, os.open, name, os.O_RDONLY)
    fd = reading(name, os.open, name, os.O_RDONLY | os.O_NONBLOCK)
    os.set_blocking(fd, True)
    return fd


def pump(
    engine: Engine,
    inputs: list[str],
    output: BinaryIO,
    clock: Callable[[], float],
    on_chunk: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
    stop: StopSignals | None = None,
) -> StreamTotals:
    """Every input in order into `output`. `clock` gives the reference time for each read. A `stop` ends the
    input being read as its end would, and no other input is opened."""
    totals = StreamTotals()
    started = time.perf_counter()
    for name in inputs or [STDIN]:
        if stop is not None and stop.stopped_by is not None:
            stop.cut_short = True  # asked for between two inputs: those left are not read
            break
        engine.start_input()
        fd, close = (0, False) if name == STDIN else (open_input(name, stop), True)
        try:
            # A regular file has its next read at once (or its end): with --jobs the engine may render a chunk
            # while this loop writes the one before and reads on. A pipe or terminal may wait for its next
            # line, so there every chunk's lines are written before the next read.
            ahead = stat.S_ISREG(reading(name, os.fstat, fd).st_mode)
            chunks = fd_chunks(name, fd, chunk, stop)
            totals.bytes_in += pump_chunks(engine, chunks, output, clock, on_chunk, ahead, stop)
        finally:
            if close:
                os.close(fd)
    totals.seconds = time.perf_counter() - started
    return totals


def end_a_half_line(fd: int, path: str, warn: Callable[[str], None]) -> None:
    """Output appended after a write cut short (a full disk, a file size limit) would join its half line: a file
    that does not end with a line end (and is not empty) gets one first, and `warn` says so. A file that cannot
    be read is left as it is."""
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
    except OSError:
        return
    os.write(fd, b"\n")
    warn(f"output {path}: its last line had no line end; one was added so that new lines do not join it")


def render_lines(engine: Engine, lines: list[bytes], now: float) -> list[bytes]:
    """Lines without terminators in, output lines without terminators out (retention may drop some): one
    chunk through the engine. Spark's reader has split at every line ending already."""
    if not lines:
        return []
    out = engine.feed(b"\n".join(lines) + b"\n", now)
    return out.split(b"\n")[:-1] if out else []
