"""`--jobs N`: file inputs split into chunks at line boundaries, processed in worker processes, written in
input order, byte for byte what one process writes.

The parent processes the first read of each file itself, so `auto` settles on the format exactly as a single
process would; workers then run with that format fixed. The rest of the file, up to its last newline, is cut
into chunks of CHUNK_BYTES; worker w takes chunks w, w + N, w + 2N, ... and reads them itself with `pread`,
so no input passes through the parent. A chunk holds the lines that start inside it (the line that runs over
its end is read on to its newline), the rule Hadoop's line splits use, so each worker finds the same
boundaries without asking. Each worker writes its output into its own pipe in length-prefixed records; the
parent copies them to the output chunk by chunk in round-robin order, which is input order. What follows the
last newline (a partial line, or lines appended meanwhile) the parent reads on itself, as one process would.

Why not multiprocessing.Pool: it pickled every 4 MiB input chunk into a worker and every output back, and
its handler threads cost the parent about 0.4 s of CPU per 80 MB: a third core's work on a two-core machine.
Memory stays bounded: a worker holds at most FLUSH_BYTES of output before it writes, and the pipe holds one
record until the parent reads it.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import signal
import struct
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import replace
from typing import BinaryIO

from pseudolog.config import FilterOptions
from pseudolog.core.engine import Engine
from pseudolog.core.parse import AutoFormatStep
from pseudolog.errors import InternalError
from pseudolog.io.framing import LineFramer
from pseudolog.io.streams import CHUNK, STDIN, StreamTotals, drain, pump, reading, render_piece, render_pieces

CHUNK_BYTES = 1 << 20
FLUSH_BYTES = 8 << 20  # a worker writes out what it holds once this much has piled up (over-long lines)
_READ = 1 << 20
_PIPE_SIZE = 1 << 20
_F_SETPIPE_SZ = 1031  # Linux: grow a pipe so one chunk's output fits without the worker waiting
_HEADER = struct.Struct("<cQ")
_DATA, _END, _FAILED = b"D", b"E", b"X"

Counts = tuple[int, int, int, Counter[str], Counter[str], Counter[str]]


class WorkerError(InternalError):
    """A --jobs worker died or failed: an internal failure."""


def _locked_options(engine: Engine) -> FilterOptions | None:
    """Options for workers that behave as the parent's engine does now, or None if it has not settled."""
    step = engine.format_step
    if isinstance(step, AutoFormatStep):
        if not step.locked:
            return None
        return replace(engine.options, format=step.detected or "text")
    return engine.options


def _snapshot(engine: Engine) -> Counts:
    return (
        engine.lines_in,
        engine.lines_out,
        engine.errors,
        Counter(engine.dropped),
        Counter(engine.scrubber.replaced),
        Counter(engine.formats),
    )


def _since(engine: Engine, before: Counts) -> Counts:
    return tuple(now - then for now, then in zip(_snapshot(engine), before, strict=True))  # type: ignore[return-value]


def _add(engine: Engine, counts: Counts) -> None:
    lines_in, lines_out, errors, dropped, replaced, formats = counts
    engine.lines_in += lines_in
    engine.lines_out += lines_out
    engine.errors += errors
    engine.dropped.update(dropped)
    engine.scrubber.replaced.update(replaced)
    engine.formats.update(formats)


def chunk_bytes(fd: int, start: int, end: int, first: int) -> Iterator[bytes]:
    """The bytes of the lines that start in [start, end): the tail of a line begun before `start` is skipped
    (the chunk before reads it), the line that runs over `end` is read on to its newline. `first` is where
    the split region begins, a line start itself."""
    pos = start
    if start > first and os.pread(fd, 1, start - 1) != b"\n":
        while True:
            data = os.pread(fd, _READ, pos)
            if not data:
                return
            nl = data.find(b"\n")
            if nl >= 0:
                pos += nl + 1
                break
            pos += len(data)
    if pos >= end:
        return  # no line starts here: an over-long line covers the whole chunk
    last = b""
    while pos < end:
        data = os.pread(fd, min(_READ, end - pos), pos)
        if not data:
            return
        yield data
        pos += len(data)
        last = data[-1:]
    while last != b"\n":
        data = os.pread(fd, _READ, pos)
        if not data:
            return
        nl = data.find(b"\n")
        if nl >= 0:
            yield data[: nl + 1]
            return
        yield data
        pos += len(data)


def last_line_end(fd: int, first: int, size: int) -> int:
    """Just past the last newline in [first, size), or `first` when there is none."""
    end = size
    while end > first:
        begin = max(first, end - _READ)
        nl = os.pread(fd, end - begin, begin).rfind(b"\n")
        if nl >= 0:
            return begin + nl + 1
        end = begin
    return first


def plan_chunks(first: int, end: int, jobs: int, size: int = CHUNK_BYTES) -> list[list[tuple[int, int]]]:
    """For each worker, its chunks of [first, end): round robin, so chunk i is worker i % jobs's."""
    plans: list[list[tuple[int, int]]] = [[] for _ in range(jobs)]
    for i, begin in enumerate(range(first, end, size)):
        plans[i % jobs].append((begin, min(end, begin + size)))
    return plans


def _send(fd: int, kind: bytes, payload: bytes) -> None:
    view = memoryview(_HEADER.pack(kind, len(payload)) + payload)
    while view:
        view = view[os.write(fd, view) :]


def _work(engine: Engine, fd: int, first: int, chunks: list[tuple[int, int]], now: float, out_fd: int) -> None:
    """A worker's loop: each chunk's lines through its engine, the output and counts into its pipe."""
    for start, end in chunks:
        before = _snapshot(engine)
        framer = LineFramer(engine.options.max_line)
        held: list[bytes] = []
        size = 0
        for block in chunk_bytes(fd, start, end, first):
            for piece in framer.feed(block):
                data = render_piece(engine, piece, now)
                if data:
                    held.append(data)
                    size += len(data)
            if size >= FLUSH_BYTES:
                _send(out_fd, _DATA, b"".join(held))
                held, size = [], 0
        for piece in framer.finish():
            data = render_piece(engine, piece, now)
            if data:
                held.append(data)
        _send(out_fd, _DATA, b"".join(held))
        _send(out_fd, _END, pickle.dumps(_since(engine, before)))


def _start_worker(
    options: FilterOptions, key: object, fd: int, first: int, chunks: list[tuple[int, int]], now: float
) -> tuple[int, BinaryIO]:
    """Fork one worker; (its pid, the read end of its pipe)."""
    read_fd, write_fd = os.pipe()
    with suppress(OSError):  # the default pipe size only costs the worker some waiting
        fcntl.fcntl(write_fd, _F_SETPIPE_SZ, _PIPE_SIZE)
    pid = os.fork()
    if pid == 0:  # the worker: never returns
        code = 0
        try:
            os.close(read_fd)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            _work(Engine(options, key), fd, first, chunks, now, write_fd)  # type: ignore[arg-type]
        except BaseException as exc:  # reported by its type only: a message may quote input
            code = 1
            with suppress(BaseException):  # else the parent sees the pipe close early
                _send(write_fd, _FAILED, type(exc).__name__.encode("ascii", "replace"))
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, os.fdopen(read_fd, "rb", buffering=_PIPE_SIZE)


def _read_exactly(pipe: BinaryIO, size: int) -> bytes:
    data = pipe.read(size)
    if data is None or len(data) != size:
        raise WorkerError("a --jobs worker stopped unexpectedly; run without --jobs to see the error")
    return data


def _copy_chunk(engine: Engine, pipe: BinaryIO, output: BinaryIO) -> None:
    """One chunk's records from a worker's pipe: its output to `output`, its counts to the engine."""
    while True:
        kind, size = _HEADER.unpack(_read_exactly(pipe, _HEADER.size))
        payload = _read_exactly(pipe, size)
        if kind == _DATA:
            if payload:
                output.write(payload)
        elif kind == _END:
            _add(engine, pickle.loads(payload))  # our own worker's counts, through our own pipe
            return
        else:
            raise WorkerError(
                f"a --jobs worker failed ({payload.decode('ascii', 'replace')}); run without --jobs to see the error"
            )


def _run_workers(
    engine: Engine,
    options: FilterOptions,
    key: object,
    fd: int,
    first: int,
    end: int,
    output: BinaryIO,
    now: float,
    jobs: int,
    on_chunk: Callable[[int], None] | None,
) -> None:
    plans = plan_chunks(first, end, jobs)
    output.flush()  # a forked worker must not inherit buffered output
    workers: list[tuple[int, BinaryIO]] = []
    try:
        for chunks in plans:
            if chunks:
                workers.append(_start_worker(options, key, fd, first, chunks, now))
        for i in range(sum(map(len, plans))):
            worker = i % jobs  # round robin; the workers with chunks are the first ones
            _copy_chunk(engine, workers[worker][1], output)
            if on_chunk:
                start, stop = plans[worker][i // jobs]
                on_chunk(stop - start)
    finally:
        for pid, pipe in workers:
            pipe.close()
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)  # done by now, unless the parent stops early
            os.waitpid(pid, 0)


def pump_parallel(
    engine: Engine,
    key: bytes | object,
    inputs: list[str],
    output: BinaryIO,
    now: float,
    jobs: int,
    on_chunk: Callable[[int], None] | None = None,
) -> StreamTotals:
    totals = StreamTotals()
    started = time.perf_counter()
    for name in inputs or [STDIN]:
        if name == STDIN or not os.path.isfile(name):
            sub = pump(engine, [name], output, lambda: now, on_chunk)
            totals.bytes_in += sub.bytes_in
            continue
        engine.start_input()
        fd = reading(name, os.open, name, os.O_RDONLY)
        try:
            head = reading(name, os.read, fd, CHUNK)
            cut = head.rfind(b"\n") + 1
            framer = LineFramer(engine.options.max_line)
            output.write(render_pieces(engine, framer.feed(head[:cut]), now))
            if on_chunk:
                on_chunk(cut)
            options = _locked_options(engine) if len(head) == CHUNK else None
            end = cut if options is None else reading(name, last_line_end, fd, cut, os.fstat(fd).st_size)
            if options is not None and end > cut:
                _run_workers(engine, options, key, fd, cut, end, output, now, jobs, on_chunk)
            # What no worker took: small files, an unsettled format, the partial last line and what was
            # appended meanwhile.
            reading(name, os.lseek, fd, end, os.SEEK_SET)
            totals.bytes_in += end + drain(engine, name, fd, framer, output, lambda: now, on_chunk)
        finally:
            os.close(fd)
    totals.seconds = time.perf_counter() - started
    return totals
