"""Issue 21's hostile lines through the installed `pseudolog run`: CPU seconds per MB, peak RSS, raw values left.

    python benchmarks/hostile.py [--sizes 1 4 16 64] [--lines mixed,xff,numbers,deadbeef]

Each line is written to a file of SIZE MB (one line, one newline) and read by `pseudolog run` twice: with the
default `--max-line` (1 MiB: a longer line is scanned in segments) and with a `--max-line` above the line's size
(held whole, as an operator who raises the limit gets it). The child's CPU time and peak RSS come from `wait4`; the
CPU of a run over an empty file (start-up, the median of three) is taken off before dividing by the size, so time
linear in the line's size shows as seconds per MB that stay flat from the smallest size to the largest.

"raw left" counts the line's own identifiers found in the output in their written form; it must be 0.

    mixed      IPv4 addresses and `+49 30` numbers, alternating (a 64 MB line holds about 4.8 million)
    xff        `X-Forwarded-For:` with addresses separated by `, ` (the Python engine's quadratic claim list)
    numbers    `+49 30 1234567 ` repeated: the same number again and again
    deadbeef   `GET /` + `deadbeef` * n + `zz` * m: one hex run, no identifier (the border-run regex)
    quad-dash  addresses joined by `-` (session 42: each asked whether the run before it was a model, quadratic)
    blanks     a syslog time, a run of blanks, then words that fit no format (the format matcher's failure memo)
    fraction   an ISO time with a fraction as long as the line (the same memo; one candidate end a byte)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from compare import write_key  # this folder's (a script's own folder is on sys.path)

MB = 1 << 20


def _addresses(size: int, sep: bytes, number: bool) -> bytes:
    parts, length, i = [], 0, 0
    while length < size:
        part = b"10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
        if number:
            part += b" +49 30 %07d" % i
        part += sep
        parts.append(part)
        length += len(part)
        i += 1
    return b"".join(parts)


LINES: dict[str, Callable[[int], bytes]] = {
    "mixed": lambda size: _addresses(size, b" ", number=True),
    "xff": lambda size: b"X-Forwarded-For: " + _addresses(size, b", ", number=False),
    "numbers": lambda size: b"+49 30 1234567 " * (size // 15),
    "deadbeef": lambda size: b"GET /" + b"deadbeef" * (size // 8 - size // 32) + b"zz" * (size // 8),
    "quad-dash": lambda size: _addresses(size, b"-", number=False),
    "blanks": lambda size: b"Nov 21 10:15:32" + b" " * size + b"sip1 prog from 10.99.1.2",
    "fraction": lambda size: b"2026-11-21T10:15:32." + b"1" * size + b"Z from 10.99.1.2",
}
RAW = re.compile(rb"(?<![\w.])10\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w.])|\+49 30 \d{7}")


# Starts `pseudolog` and writes its CPU seconds, peak RSS (KiB) and exit status to the file named first. A child's
# peak RSS counts the pages of the process it was forked from, so the child is forked from this small interpreter,
# not from the benchmark, which holds the lines and the output.
MEASURE = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run(binary: str, key: str, path: Path, max_line: str | None) -> tuple[float, int, int]:
    """(CPU seconds, peak RSS in KiB, raw values left) of one `pseudolog run` over `path`."""
    command = [binary, "run", "--key-file", key, str(path)]
    if max_line:
        command += ["--max-line", max_line]
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as report:
        proc = subprocess.run(
            [sys.executable, "-c", MEASURE, report.name, *command], stdout=out, stderr=subprocess.PIPE, check=False
        )
        cpu, peak, code = report.read().split()
        if proc.returncode != 0 or code != "0":
            error = proc.stderr.decode(errors="replace").strip()
            sys.exit(f"hostile.py: pseudolog run failed on {path.name}: {error}")
        out.seek(0)
        left = len(RAW.findall(out.read()))
    return float(cpu), int(peak), left


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="hostile.py", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 16, 64], metavar="MB")
    parser.add_argument("--lines", default=",".join(LINES), help="comma-separated: " + ", ".join(LINES))
    args = parser.parse_args(argv)
    names = args.lines.split(",")
    unknown = [n for n in names if n not in LINES]
    if unknown or min(args.sizes) < 1:
        parser.error(f"unknown line {unknown[0]!r}" if unknown else "sizes are whole MB, at least 1")
    binary = shutil.which("pseudolog") or sys.exit("hostile.py: pseudolog is not installed")
    whole = f"{max(args.sizes) * 2}M"
    print("| line | max-line | " + " | ".join(f"{s} MB" for s in args.sizes) + " | peak RSS | raw left |")
    print("|---|---|" + "---:|" * (len(args.sizes) + 2))
    with tempfile.TemporaryDirectory() as tmp:
        key = write_key(os.path.join(tmp, "key"))
        empty = Path(tmp) / "empty.log"
        empty.write_bytes(b"")
        start_up = statistics.median(run(binary, key, empty, None)[0] for _ in range(3))
        for name in names:
            paths = []
            for size in args.sizes:
                path = Path(tmp) / f"{name}-{size}.log"
                path.write_bytes(LINES[name](size * MB) + b"\n")
                paths.append(path)
            for label, max_line in (("1 MiB (segments)", None), (f"{whole} (whole)", whole)):
                cells, peaks, left = [], [], 0
                for size, path in zip(args.sizes, paths, strict=True):
                    cpu, peak, raw = run(binary, key, path, max_line)
                    cells.append(f"{max(cpu - start_up, 0.0) / size:.3f} s/MB")
                    peaks.append(peak)
                    left += raw
                print(f"| {name} | {label} | " + " | ".join(cells) + f" | {max(peaks) / 1024:.0f} MiB | {left} |")
            for path in paths:
                path.unlink()
    print(f"\nCPU seconds a MB, after {start_up:.3f} s of start-up (a run over an empty file) is taken off.")


if __name__ == "__main__":
    main()
