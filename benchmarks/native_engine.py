"""Lines per second of the native engine (`_core.Engine`) against the Python reference engine (tests/reference) on
corpus files written by benchmarks/generate.py; also checks that both wrote the same bytes on the lines the Python
engine was given. Run from the checkout (the reference engine is in its test tree).

    python benchmarks/native_engine.py FILE... [--python-lines N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pseudolog.config import FilterOptions
from pseudolog.native_engine import native_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tests/reference
from tests.reference.core.engine import Engine, render_pieces
from tests.reference.framing import LineFramer

KEY = bytes(range(32))
NOW = 1_767_225_600.0
CHUNK = 1 << 20


def native(data: bytes) -> tuple[bytes, float]:
    engine = native_engine(FilterOptions(), KEY)
    started = time.process_time()
    out = [engine.feed(data[i : i + CHUNK], NOW)[0] for i in range(0, len(data), CHUNK)]
    out.append(engine.finish(NOW)[0])
    return b"".join(out), time.process_time() - started


def python(data: bytes) -> tuple[bytes, float]:
    engine = Engine(FilterOptions(), KEY)
    engine.start_input()
    framer = LineFramer(FilterOptions().max_line)
    started = time.process_time()
    out = [render_pieces(engine, framer.feed(data[i : i + CHUNK]), NOW) for i in range(0, len(data), CHUNK)]
    out.append(render_pieces(engine, framer.finish(), NOW))
    return b"".join(out), time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--python-lines", type=int, default=20_000)
    args = parser.parse_args()
    for path in args.files:
        data = path.read_bytes()
        lines = data.count(b"\n")
        _, rs_s = native(data)
        head = b"".join(data.splitlines(keepends=True)[: args.python_lines])
        py_out, py_s = python(head)
        same = native(head)[0] == py_out
        rs_rate, py_rate = lines / rs_s, args.python_lines / py_s
        print(
            f"{path.stem:12s} native {rs_rate:12,.0f} lines/s ({len(data) / rs_s / 1e6:6.1f} MB/s, {lines} lines)"
            f"  python {py_rate:10,.0f} lines/s  x{rs_rate / py_rate:6.1f}  same output: {same}"
        )


if __name__ == "__main__":
    main()
