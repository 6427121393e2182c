"""`--jobs N`: file inputs split into chunks at line boundaries, processed in worker processes, written in
input order, byte for byte what one process writes.

The parent processes the first chunk of each file itself, so `auto` settles on the format exactly as a
single process would; workers then run with that format fixed. At most 2 x N chunks are in flight, so memory
stays bounded whatever the file size.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import BinaryIO

from pseudolog.config import FilterOptions
from pseudolog.core.engine import Engine
from pseudolog.core.parse import AutoFormatStep
from pseudolog.errors import InputError
from pseudolog.io.framing import LineFramer
from pseudolog.io.streams import CHUNK, STDIN, StreamTotals, pump, render_pieces

PARALLEL_CHUNK = 4 << 20
_worker_engine: Engine | None = None
_worker_now = 0.0


def _init_worker(options: FilterOptions, key: bytes, now: float) -> None:
    global _worker_engine, _worker_now
    _worker_engine = Engine(options, key)
    _worker_now = now


def _process_chunk(chunk: bytes) -> tuple[bytes, tuple[int, int, int, Counter[str], Counter[str], Counter[str]]]:
    engine = _worker_engine
    assert engine is not None
    before = (
        engine.lines_in,
        engine.lines_out,
        engine.errors,
        Counter(engine.dropped),
        Counter(engine.scrubber.replaced),
        Counter(engine.formats),
    )
    framer = LineFramer(engine.options.max_line)
    out = render_pieces(engine, framer.feed(chunk) + framer.finish(), _worker_now)
    counts = (
        engine.lines_in - before[0],
        engine.lines_out - before[1],
        engine.errors - before[2],
        engine.dropped - before[3],
        engine.scrubber.replaced - before[4],
        engine.formats - before[5],
    )
    return out, counts


def _chunks(fd: int, first: bytes) -> Iterator[bytes]:
    """The rest of a file in chunks that end at a newline (the last one as it ends)."""
    pending = first
    while True:
        data = os.read(fd, PARALLEL_CHUNK)
        if not data:
            if pending:
                yield pending
            return
        pending += data
        cut = pending.rfind(b"\n")
        if cut >= 0 and len(pending) >= PARALLEL_CHUNK:
            yield pending[: cut + 1]
            pending = pending[cut + 1 :]


def _locked_options(engine: Engine) -> FilterOptions | None:
    """Options for workers that behave as the parent's engine does now, or None if it has not settled."""
    step = engine.format_step
    if isinstance(step, AutoFormatStep):
        if not step.locked:
            return None
        return replace(engine.options, format=step.detected or "text")
    return engine.options


def pump_parallel(
    engine: Engine,
    key: bytes,
    inputs: list[str],
    output: BinaryIO,
    now: float,
    jobs: int,
    on_chunk: Callable[[int], None] | None = None,
) -> StreamTotals:
    totals = StreamTotals()
    started = time.perf_counter()
    context = multiprocessing.get_context("fork")
    for name in inputs or [STDIN]:
        if name == STDIN or not os.path.isfile(name):
            sub = pump(engine, [name], output, lambda: now, on_chunk)
            totals.bytes_in += sub.bytes_in
            continue
        engine.start_input()
        try:
            fd = os.open(name, os.O_RDONLY)
        except OSError as exc:
            raise InputError(f"cannot read input {name}: {exc.strerror}") from None
        try:
            head = os.read(fd, CHUNK)
            cut = head.rfind(b"\n") + 1
            framer = LineFramer(engine.options.max_line)
            first, rest = head[:cut], head[cut:]
            totals.bytes_in += len(head)
            output.write(render_pieces(engine, framer.feed(first), now))
            if on_chunk:
                on_chunk(len(head))
            options = _locked_options(engine) if len(head) == CHUNK else None
            if options is None or framer.pending:
                # Small file, unsettled format or a line still open: the parent does the rest itself.
                output.write(render_pieces(engine, framer.feed(rest), now))
                totals.bytes_in += _drain_sequential(engine, fd, framer, output, now, on_chunk)
                continue
            if on_chunk:
                on_chunk(-len(rest))
            totals.bytes_in -= len(rest)  # counted again as part of the first worker chunk
            with context.Pool(jobs, _init_worker, (options, key, now)) as pool:
                in_flight: deque = deque()
                for chunk in _chunks(fd, rest):
                    totals.bytes_in += len(chunk)
                    in_flight.append((len(chunk), pool.apply_async(_process_chunk, (chunk,))))
                    if len(in_flight) >= 2 * jobs:
                        _write_result(engine, output, in_flight.popleft(), on_chunk)
                while in_flight:
                    _write_result(engine, output, in_flight.popleft(), on_chunk)
            output.flush()
        finally:
            os.close(fd)
    totals.seconds = time.perf_counter() - started
    return totals


def _write_result(engine: Engine, output: BinaryIO, item, on_chunk: Callable[[int], None] | None) -> None:
    size, result = item
    out, (lines_in, lines_out, errors, dropped, replaced, formats) = result.get()
    output.write(out)
    engine.lines_in += lines_in
    engine.lines_out += lines_out
    engine.errors += errors
    engine.dropped.update(dropped)
    engine.scrubber.replaced.update(replaced)
    engine.formats.update(formats)
    if on_chunk:
        on_chunk(size)


def _drain_sequential(
    engine: Engine, fd: int, framer: LineFramer, output: BinaryIO, now: float, on_chunk: Callable[[int], None] | None
) -> int:
    read = 0
    while True:
        chunk = os.read(fd, CHUNK)
        if not chunk:
            break
        read += len(chunk)
        output.write(render_pieces(engine, framer.feed(chunk), now))
        if on_chunk:
            on_chunk(len(chunk))
    output.write(render_pieces(engine, framer.finish(), now))
    return read
