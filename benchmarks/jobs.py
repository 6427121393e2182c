"""`--jobs N` against one job, in-process: wall time and CPU by thread, or instructions by where they were spent.

    python benchmarks/jobs.py FILE [--jobs 1 2] [--rounds 3]
    python benchmarks/jobs.py FILE --callgrind [--jobs 1 2]

The file is read whole first, then fed to the native engine in the chunks `pseudolog run --jobs N` reads
(pipeline.CHUNK times min(N, 8)); every run's output is checked byte-identical to the first's.

On a shared machine the wall clock moves with the load (and with Linux's autogroup scheduling, the threads of one
process share one group's slice of the CPUs against the other sessions: a busy neighbour can leave `--jobs 2` a
single core's worth). So the timed mode also reports CPU seconds: the process's, the calling thread's and the
rest (the engine's worker threads); their sum against one job's is the work the threads add.

With --callgrind the same feed runs under valgrind (one profile per thread) and the instructions are split by where
they were spent: the lines (`Core::line`, on every thread); the rest of the engine's calls (`Engine.feed` and
`finish` on the calling thread less their lines: framing, settling `auto`, cutting and copying the parts back,
building the worker cores); and the rest of the process (interpreter start, imports, building the engine, reading
the file). This does not move with the load. Everything but the lines runs on one thread: its share of all
instructions is the serial fraction.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOW = 1795262400.0  # 2026-11-21T12:00:00Z, the day the corpora are dated


def feed_all(data: bytes, jobs: int, chunk: int = 0) -> tuple[bytes, object]:
    """`run`'s loop: reads of a regular file (rendered ahead, see `Engine.feed_into`), or with `chunk` a pipe's."""
    from pseudolog.config import FilterOptions
    from pseudolog.pipeline import CHUNK, Engine

    engine = Engine(FilterOptions(), bytes(32), jobs=jobs)
    ahead = not chunk
    chunk = chunk or CHUNK * min(jobs, 8)
    out, into = [], bytearray()
    for i in range(0, len(data), chunk):
        written = engine.feed_into(data[i : i + chunk], NOW, into, ahead)
        out.append(bytes(into[:written]))
    out.append(engine.finish(NOW))
    return b"".join(out), engine


def timed(data: bytes, jobs: int, chunk: int) -> tuple[bytes, dict[str, float]]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    wall, main = time.perf_counter(), time.thread_time()
    out, engine = feed_all(data, jobs, chunk)
    main, wall = time.thread_time() - main, time.perf_counter() - wall
    usage2 = resource.getrusage(resource.RUSAGE_SELF)
    del engine
    cpu = (usage2.ru_utime - usage.ru_utime) + (usage2.ru_stime - usage.ru_stime)
    return out, {"wall": wall, "cpu": cpu, "main": main, "others": max(cpu - main, 0.0)}


def inclusive(profile: Path, pattern: str) -> int:
    """The instructions spent in (and under) the functions whose names match `pattern`, outermost only."""
    proc = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(profile)],
        capture_output=True,
        text=True,
        check=True,
    )
    found = 0
    for line in proc.stdout.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+[^\s:]*:(\S+)", line)
        if m and re.search(pattern, m.group(2)):
            found = max(found, int(m.group(1).replace(",", "")))
    return found


def instructions(path: Path, jobs: int, chunk: int) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cg"
        proc = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--separate-threads=yes",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                str(path),
                "--inner",
                str(jobs),
                "--chunk",
                str(chunk),
            ],
            capture_output=True,
            text=True,
            cwd=tmp,
        )
        if proc.returncode != 0:
            sys.exit(f"callgrind run failed: {proc.stderr.strip().splitlines()[-1:]}")
        profiles = sorted(Path(tmp).glob("cg-*"))
        totals = {}
        for p in profiles:
            found = re.search(r"^summary: (\d+)", p.read_text(errors="replace"), re.M)
            totals[p] = int(found.group(1)) if found else 0
        main = profiles[0]
        lines = sum(inclusive(p, r"engine::Core::line$") for p in profiles)
        calls = inclusive(main, r"Engine::__pymethod_feed_into__$") + inclusive(main, r"Engine::__pymethod_finish__$")
        main_lines = inclusive(main, r"engine::Core::line$")
        return {
            "all": sum(totals.values()),
            "lines": lines,
            "engine_serial": calls - main_lines,
            "process_serial": totals[main] - calls,
            "threads": len(profiles),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--callgrind", action="store_true", help="count instructions instead of timing")
    parser.add_argument(
        "--chunk",
        type=int,
        default=0,
        help="bytes per feed, read as from a pipe (default: as `run` reads regular files; a pipe gives 65536)",
    )
    parser.add_argument("--inner", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        feed_all(args.file.read_bytes(), args.inner, args.chunk)
        return
    data = args.file.read_bytes()
    lines = data.count(b"\n")
    if args.callgrind:
        if shutil.which("valgrind") is None:
            sys.exit("valgrind is not installed (apt-get install valgrind)")
        for jobs in args.jobs:
            n = instructions(args.file, jobs, args.chunk)
            serial = n["engine_serial"] + n["process_serial"]
            print(
                f"jobs {jobs}: {n['all']:,} instructions on {n['threads']} threads; lines {n['lines']:,} "
                f"({n['lines'] / lines:,.0f}/line); serial: engine calls {n['engine_serial']:,} "
                f"({n['engine_serial'] / n['all']:.1%}), rest of the process {n['process_serial']:,} "
                f"({n['process_serial'] / n['all']:.1%}); serial fraction {serial / n['all']:.1%}"
            )
        return
    reference = None
    for jobs in args.jobs:
        rounds = []
        for _ in range(args.rounds):
            out, m = timed(data, jobs, args.chunk)
            if reference is None:
                reference = out
            elif out != reference:
                sys.exit(f"--jobs {jobs}: output differs from the first run's")
            rounds.append(m)
        med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        print(
            f"jobs {jobs}: wall {med['wall']:.3f} s ({lines / med['wall']:,.0f} lines/s), cpu {med['cpu']:.3f} s "
            f"(calling thread {med['main']:.3f} s, other threads {med['others']:.3f} s), median of {args.rounds}"
        )


if __name__ == "__main__":
    main()
