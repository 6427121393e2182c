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
from pseudolog.pipeline import CHUNK, build_engine
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
    engine = build_engine(options or FilterOptions(), os.urandom(32))
    engine.start_input()
    now = time.time()
    started = time.perf_counter()
    for offset in range(0, len(data), CHUNK):
        engine.feed(data[offset : offset + CHUNK], now)
    engine.finish(now)
    seconds = time.perf_counter() - started
    return BenchResult(name, lines, len(data), seconds, sum(engine.counts()["replaced"].values()))
