"""Instructions per line, counted by callgrind: a measure of a change that the machine's speed does not move.

    python benchmarks/instructions.py [--corpus nginx] [--lines 30000] [--warm] [--python PATH ...]

On a shared VM a wall-clock run moves by a third within minutes, more than most changes buy. Valgrind's callgrind
counts every instruction the interpreter executes, the same on every run. For each Python given (default: this
one; pass the interpreters of two virtualenvs to compare two builds), the script processes the first LINES lines
of a generated corpus in-process with the engine `pseudolog run` builds by default, counts the instructions for
LINES lines and for none, and prints the difference per line: the cost of a line, start-up excluded. With --warm
it counts a second pass over the same lines (every value cached) less the first. Needs valgrind.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pseudolog.synth_formats import corpus_lines, corpus_names

# What runs under callgrind: the lines in blocks, as `run` hands them to the engine, with its default options (the
# format found by `auto`).
INNER = """
import sys
from pseudolog.cache import spare_the_collector
from pseudolog.config import FilterOptions
from pseudolog.pipeline import Engine
path, count, passes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = open(path, "rb").read().split(b"\\n")[:count]
blocks = [b"\\n".join(lines[i : i + 2000]) + b"\\n" for i in range(0, len(lines), 2000)]
engine = Engine(FilterOptions(), bytes(32))
spare_the_collector()
now = 1795262400.0  # 2026-11-21T12:00:00Z, the day the corpora are dated
for _ in range(passes):
    for block in blocks:
        engine.feed(block, now)
"""
COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(python: str, corpus: Path, lines: int, passes: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, "-c", INNER]
    # Run from the corpus's directory: `python -c` puts the working directory first on the path, and a checkout
    # there would be imported instead of the build installed in that interpreter's environment.
    proc = subprocess.run(
        [*command, str(corpus), str(lines), str(passes)], capture_output=True, text=True, cwd=corpus.parent
    )
    found = COLLECTED.search(proc.stderr)
    if proc.returncode != 0 or found is None:
        sys.exit(f"callgrind run failed with {python}: {proc.stderr.strip().splitlines()[-1:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="nginx", choices=corpus_names())
    parser.add_argument("--lines", type=int, default=30_000)
    parser.add_argument("--warm", action="store_true", help="a second pass over the same lines, less the first")
    parser.add_argument("--python", nargs="+", default=[sys.executable], help="interpreters with pseudolog installed")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / f"{args.corpus}.log"
        with corpus.open("w", encoding="utf-8") as fh:
            fh.writelines(corpus_lines(args.corpus, args.lines))
        for python in args.python:
            if args.warm:
                base, total = (instructions(python, corpus, args.lines, passes) for passes in (1, 2))
            else:
                base, total = (instructions(python, corpus, lines, 1) for lines in (0, args.lines))
            what = "warm" if args.warm else "first pass"
            print(f"{python}: {args.corpus}, {args.lines:,} lines, {what}: {(total - base) / args.lines:,.0f} per line")


if __name__ == "__main__":
    main()
