"""pseudolog against the peers a user would pick instead, on the same nginx file in the same run.

    python benchmarks/compare.py [--lines 1000000] [--rounds 3] [--out benchmarks/out]

The peers are installed by this script into its own virtualenv (benchmarks/.peers), never as project
dependencies: anonip (Python, masks the client IP column), Vector's VRL through its Python bindings (pyvrl:
parse the line, hash the client, redact the request), GNU sed and perl (IPv4 only, to a constant). Prints a
table, writes results.json and a bar chart (matplotlib, PNG) of lines/s per tool, and lines/s of pseudolog
for every generated format.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from pseudolog.synth import GENERATORS

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".peers"
IPV4 = r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
VRL_PROGRAM = r"""
. = parse_regex!(.message, r'^(?P<client>\S+) - (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" (?P<status>\d+) (?P<bytes>\d+) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$')
.client = sha2(.client)
.request = redact(.request, filters: [r'\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}', r'\+?\d{7,15}', r'(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}'])
"""
VRL_RUNNER = r"""
import sys, pyvrl
t = pyvrl.Transform(sys.argv[1])
out = sys.stdout
for line in sys.stdin:
    out.write(str(t.remap({"message": line.rstrip("\n")})) + "\n")
"""
PLOT = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
rows = json.load(open(sys.argv[1]))["tools"]
rows = [r for r in rows if r.get("lines_per_second")]
fig, ax = plt.subplots(figsize=(9, 4.5))
ax.barh([r["tool"] for r in rows], [r["lines_per_second"] for r in rows], color="#4c72b0")
for i, r in enumerate(rows):
    ax.text(r["lines_per_second"], i, f" {r['lines_per_second']:,.0f}", va="center", fontsize=8)
ax.set_xlabel("lines/s (same nginx file, 2-core machine)")
ax.invert_yaxis()
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=120)
"""


def ensure_peers() -> Path:
    python = PEERS / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
    for package in ("anonip", "pyvrl", "matplotlib"):
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", package],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return python


def timed(command: list[str] | str, stdin: Path, shell: bool = False) -> float | None:
    with stdin.open("rb") as source:
        started = time.perf_counter()
        proc = subprocess.run(command, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, shell=shell)
    if proc.returncode != 0:
        print(f"  failed: {proc.stderr.decode(errors='replace').strip()[:200]}", file=sys.stderr)
        return None
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--format-lines", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each tool, alternated; the median is reported")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    binary = shutil.which("pseudolog") or sys.exit("pseudolog is not installed")
    peers = ensure_peers()
    key = args.out / "bench.key"
    if not key.exists():
        key.write_bytes(os.urandom(32))
        key.chmod(0o600)
    corpus = args.out / "nginx.log"
    with corpus.open("w") as fh:
        fh.writelines(GENERATORS["nginx"](args.lines))
    size = corpus.stat().st_size
    runner = args.out / "vrl_runner.py"
    runner.write_text(VRL_RUNNER)
    tools: list[tuple[str, list[str] | str, bool]] = [
        ("pseudolog (1 process)", [binary, "run", "--key-file", str(key)], False),
        ("pseudolog --jobs 2", f"'{binary}' run --key-file '{key}' --jobs 2 '{corpus}'", True),
        ("anonip", [str(PEERS / "bin" / "anonip")], False),
        ("Vector VRL (pyvrl)", [str(peers), str(runner), VRL_PROGRAM], False),
        ("GNU sed (IPv4 only)", ["sed", "-E", f"s/{IPV4}/0.0.0.0/g"], False),
        ("perl (IPv4 only)", ["perl", "-pe", f"s/{IPV4}/0.0.0.0/g"], False),
    ]
    # The tools take turns, round after round, and each is reported by its median: on a shared machine whose speed
    # drifts within minutes, one run per tool in sequence compares the tools and the hour they ran in.
    runs: dict[str, list[float]] = {name: [] for name, _, _ in tools}
    for _ in range(args.rounds):
        for name, command, shell in tools:
            seconds = timed(command, corpus, shell)
            if seconds:
                runs[name].append(seconds)
    results = []
    print(f"{args.lines:,} nginx lines, {size / 1e6:.1f} MB, median of {args.rounds} alternated rounds")
    print(f"{'tool':<24} {'seconds':>8} {'lines/s':>10} {'MB/s':>7} {'x anonip':>9}")
    for name, _, _ in tools:
        seconds = statistics.median(runs[name]) if runs[name] else None
        row = {"tool": name, "seconds": seconds, "runs": runs[name]}
        if seconds:
            row.update(lines_per_second=args.lines / seconds, mb_per_second=size / seconds / 1e6)
        results.append(row)
    anonip = next((r.get("lines_per_second") for r in results if r["tool"] == "anonip"), None)
    for row in results:
        lps = row.get("lines_per_second")
        ratio = f"{lps / anonip:>8.2f}x" if lps and anonip else f"{'-':>9}"
        text = f"{row['seconds']:>8.2f} {lps:>10,.0f} {row['mb_per_second']:>7.1f}" if lps else f"{'n/a':>8}"
        print(f"{row['tool']:<24} {text} {ratio}")
    formats = []
    for name, generate in GENERATORS.items():
        path = args.out / f"{name}.log"
        with path.open("w") as fh:
            fh.writelines(generate(args.format_lines))
        times = [timed([binary, "run", "--key-file", str(key)], path) for _ in range(args.rounds)]
        seconds = statistics.median(times) if None not in times else None
        if seconds:
            formats.append(
                {
                    "corpus": name,
                    "lines_per_second": args.format_lines / seconds,
                    "mb_per_second": path.stat().st_size / seconds / 1e6,
                }
            )
    print(f"\npseudolog per format ({args.format_lines:,} lines each, one process, median of {args.rounds})")
    for row in formats:
        print(f"{row['corpus']:<12} {row['lines_per_second']:>10,.0f} lines/s {row['mb_per_second']:>6.1f} MB/s")
    report = args.out / "results.json"
    report.write_text(json.dumps({"lines": args.lines, "bytes": size, "tools": results, "formats": formats}, indent=1))
    plot = args.out / "throughput.png"
    subprocess.run([str(peers), "-c", PLOT, str(report), str(plot)], check=False)
    print(f"\nwrote {report} and {plot}")


if __name__ == "__main__":
    main()
