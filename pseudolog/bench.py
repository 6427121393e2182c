"""`pseudolog bench`: throughput of the installed version on generated corpora, for sizing a deployment.

It runs the same framing and engine as `run` in this process (no process start-up, no disk), one corpus
at a time, with a fresh engine and a random key, so caches start cold like a new stream. Its corpora are the
hand-written telephony ones (synth.py) and one per built-in format grown from the format's samples (synth_formats.py).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from pseudolog.config import FilterOptions
from pseudolog.core.engine import Engine
from pseudolog.io.framing import LineFramer
from pseudolog.io.streams import CHUNK, render_pieces
from pseudolog.synth_formats import corpus_lines


@dataclass(frozen=True, slots=True)
class BenchResult:
    corpus: str
    lines: int
    size: int
    seconds: float
    replaced: int

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds

    @property
    def mb_per_second(self) -> float:
        return self.size / self.seconds / 1e6


def bench_corpus(name: str, lines: int, options: FilterOptions | None = None) -> BenchResult:
    data = "".join(corpus_lines(name, lines)).encode("utf-8")
    engine = Engine(options or FilterOptions(), os.urandom(32))
    framer = LineFramer(engine.options.max_line)
    now = time.time()
    started = time.perf_counter()
    for offset in range(0, len(data), CHUNK):
        render_pieces(engine, framer.feed(data[offset : offset + CHUNK]), now)
    render_pieces(engine, framer.finish(), now)
    seconds = time.perf_counter() - started
    return BenchResult(name, lines, len(data), seconds, sum(engine.scrubber.replaced.values()))
