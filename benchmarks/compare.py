"""pseudolog against the peers a user would pick instead, on the same files in the same run.

    python benchmarks/compare.py [--lines 1000000] [--format-lines 200000] [--rounds 3] [--out benchmarks/out]
                                 [--formats nginx,kamailio,...] [--pgo PGO_VENV/bin/pseudolog]

The peers are installed by this script into its own virtualenv (benchmarks/.peers), never as project
dependencies: anonip (Python, masks the client IP column), Vector's VRL through its Python bindings (pyvrl:
parse the line, hash the client unkeyed, redact the request, rebuild the line), GNU sed and perl (IPv4 only, to a
constant), and the physical limit (cat, and wc -l's memchr line split). Every tool must write one line per input
line (checked on the first lines before the rounds). anonip and the VRL program read nginx lines only, so they run
on the two nginx corpora: `nginx` (values repeat as real clients do) and `nginx_fresh` (values hardly repeat, so
caches cannot help); pseudolog (one process and `--jobs 2`) and
the sed and perl baselines run on every generated corpus as well: the five hand-written telephony corpora and one
grown from each built-in format's samples (`pseudolog bench --every-format` measures the same corpora
in-process). With --pgo, the `pseudolog` of a PGO wheel's virtualenv (tools/pgo_wheel.py) runs beside the
installed one. Prints the tables, writes results.json and a bar chart (matplotlib, PNG) of lines/s per tool and
format.
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

from pseudolog.synth_formats import corpus_lines, corpus_names

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".peers"
IPV4 = r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
VRL_PROGRAM = r"""
. = parse_regex!(.message, r'^(?P<client>\S+) - (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" (?P<status>\d+) (?P<bytes>\d+) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$')
.client = sha2(.client)
.request = redact(.request, filters: [r'\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}', r'\+?\d{7,15}', r'(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}'])
.client + " - " + .user + " [" + .time + "] \"" + .request + "\" " + .status + " " + .bytes + " \"" + .referer + "\" \"" + .agent + "\""
"""
# The program's value is its last expression: it rebuilds the whole line, so VRL writes as much as every other tool
# (a program ending in `.request = ...` printed the request alone, a quarter of the bytes).
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
report = json.load(open(sys.argv[1]))
peers = report["peers"]
formats = report["formats"]
names = list(dict.fromkeys(t["tool"] for f in formats for t in f["tools"]))
fig, (top, bottom) = plt.subplots(
    2, 1, figsize=(10, 6 + 0.55 * len(formats)), gridspec_kw={"height_ratios": [1, 0.3 * len(formats)]}
)
tools = list(dict.fromkeys(t["tool"] for p in peers for t in p["tools"] if t.get("lines_per_second")))
bar = 0.8 / len(peers)
for k, p in enumerate(peers):
    speed = {t["tool"]: t.get("lines_per_second") or 0 for t in p["tools"]}
    top.barh([i + k * bar for i in range(len(tools))], [speed.get(t, 0) for t in tools], bar, label=p["corpus"])
top.set_yticks([i + bar * (len(peers) - 1) / 2 for i in range(len(tools))], tools)
top.set_xscale("log")
top.set_xlabel(f"lines/s (log scale), {report['lines']:,} lines, every peer (2-core machine)")
top.legend(fontsize=8, loc="lower right")
top.invert_yaxis()
height = 0.8 / max(1, len(names))
for k, name in enumerate(names):
    values = [next((t.get("lines_per_second") or 0 for t in f["tools"] if t["tool"] == name), 0) for f in formats]
    bottom.barh([i + k * height for i in range(len(formats))], values, height, label=name)
bottom.set_yticks([i + height * (len(names) - 1) / 2 for i in range(len(formats))], [f["corpus"] for f in formats])
bottom.invert_yaxis()
bottom.set_xscale("log")
bottom.set_xlabel(f"lines/s (log scale), {report['format_lines']:,} lines a corpus")
bottom.set_title("per corpus: pseudolog and the format-agnostic baselines", fontsize=10)
bottom.legend(fontsize=8, loc="lower right")
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


# (name, command, run through the shell): a command reads the corpus on stdin unless it names it itself.
Tool = tuple[str, list[str] | str, bool]


def write_key(path: Path | str) -> str:
    """A fresh 32-byte key file at `path`, readable by its owner only (`pseudolog` refuses one others can read)."""
    Path(path).write_bytes(os.urandom(32))
    os.chmod(path, 0o600)
    return str(path)


def pseudolog_tools(builds: list[tuple[str, str]], key: Path, corpus: Path) -> list[Tool]:
    """One process and `--jobs 2` of each build, as (label, binary): the installed one, and a PGO wheel's."""
    tools: list[Tool] = []
    for label, binary in builds:
        tools.append((f"pseudolog{label} (1 process)", [binary, "run", "--key-file", str(key)], False))
        tools.append((f"pseudolog{label} --jobs 2", f"'{binary}' run --key-file '{key}' --jobs 2 '{corpus}'", True))
    return tools


BASELINES: list[Tool] = [
    ("GNU sed (IPv4 only)", ["sed", "-E", f"s/{IPV4}/0.0.0.0/g"], False),
    ("perl (IPv4 only)", ["perl", "-pe", f"s/{IPV4}/0.0.0.0/g"], False),
]
# The physical limit beside them: moving the bytes, and finding the line ends (GNU wc counts them with memchr).
LIMITS: list[Tool] = [
    ("cat (copy only)", ["cat"], False),
    ("wc -l (memchr line split)", ["wc", "-l"], False),
]
PEER_CORPORA = ("nginx", "nginx_fresh")
LIMITS_NAMES = {name for name, _, _ in LIMITS}
WHOLE_LINES_CHECK = 2_000  # lines each tool filters once before the timed rounds, to prove it writes whole lines


def writes_whole_lines(command: list[str] | str, corpus: Path, shell: bool) -> bool:
    """Whether the tool writes one line per input line on the corpus's first lines (a peer that printed only a
    field, or dropped lines, would look faster than it is)."""
    with corpus.open("rb") as fh:
        head = b"".join(line for _, line in zip(range(WHOLE_LINES_CHECK), fh, strict=False))
    if isinstance(command, str):  # a shell command names the corpus itself: feed the head as a file instead
        command = command.replace(f"'{corpus}'", "-")
    proc = subprocess.run(command, input=head, capture_output=True, shell=shell)
    return proc.returncode == 0 and proc.stdout.count(b"\n") == head.count(b"\n")


def alternated(tools: list[Tool], corpus: Path, rounds: int, lines: int) -> list[dict[str, object]]:
    """Each tool's median over `rounds` rounds in which the tools take turns: on a shared machine whose speed drifts
    within minutes, one run per tool in sequence compares the tools and the minute they ran in."""
    runs: dict[str, list[float]] = {name: [] for name, _, _ in tools}
    whole = {
        name: writes_whole_lines(command, corpus, shell) for name, command, shell in tools if name not in LIMITS_NAMES
    }
    for name, ok in whole.items():
        if not ok:
            print(f"  {name}: does not write one line per input line; left out of the table", file=sys.stderr)
            tools = [tool for tool in tools if tool[0] != name]
            runs.pop(name)
    for _ in range(rounds):
        for name, command, shell in tools:
            seconds = timed(command, corpus, shell)
            if seconds:
                runs[name].append(seconds)
    size = corpus.stat().st_size
    rows: list[dict[str, object]] = []
    for name in runs:
        seconds = statistics.median(runs[name]) if len(runs[name]) == rounds else None
        row: dict[str, object] = {"tool": name, "seconds": seconds, "runs": runs[name]}
        if seconds:
            row.update(lines_per_second=lines / seconds, mb_per_second=size / seconds / 1e6)
        rows.append(row)
    return rows


def print_table(rows: list[dict[str, object]], against: str, label: str) -> None:
    """The rows, with each tool's speed as a multiple of the tool named `against` (headed `x <label>`)."""
    reference = next((r.get("lines_per_second") for r in rows if r["tool"] == against), None)
    print(f"{'tool':<26} {'seconds':>8} {'lines/s':>10} {'MB/s':>7} {'x ' + label:>9}")
    for row in rows:
        lps = row.get("lines_per_second")
        ratio = f"{lps / reference:>8.2f}x" if lps and reference else f"{'-':>9}"
        text = f"{row['seconds']:>8.2f} {lps:>10,.0f} {row['mb_per_second']:>7.1f}" if lps else f"{'n/a':>8}"
        print(f"{row['tool']:<26} {text} {ratio}")


def write_corpus(kind: str, lines: int, path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(corpus_lines(kind, lines))
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--format-lines", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each tool, alternated; the median is reported")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--formats", default=",".join(corpus_names()), help="the corpora of the per-format tables")
    parser.add_argument(
        "--pgo",
        metavar="PSEUDOLOG",
        help="the `pseudolog` of a PGO wheel (tools/pgo_wheel.py), run beside the installed",
    )
    args = parser.parse_args()
    kinds = args.formats.split(",")
    if unknown := set(kinds) - set(corpus_names()):
        sys.exit(f"--formats: unknown corpus {sorted(unknown)[0]}; known: {', '.join(corpus_names())}")
    args.out.mkdir(parents=True, exist_ok=True)
    binary = shutil.which("pseudolog") or sys.exit("pseudolog is not installed")
    builds = [("", binary)]
    if args.pgo:
        if not os.access(args.pgo, os.X_OK):
            sys.exit(f"--pgo: {args.pgo} is not an executable")
        builds.append((" PGO", args.pgo))
    peers = ensure_peers()
    key = args.out / "bench.key"
    if not key.exists():
        write_key(key)
    runner = args.out / "vrl_runner.py"
    runner.write_text(VRL_RUNNER)
    peer_tables = []
    for kind in PEER_CORPORA:  # values that repeat as real clients do, and values that hardly repeat at all
        corpus = write_corpus(kind, args.lines, args.out / f"{kind}.log")
        size = corpus.stat().st_size
        tools = [
            *pseudolog_tools(builds, key, corpus),
            ("anonip", [str(PEERS / "bin" / "anonip")], False),
            ("Vector VRL (pyvrl)", [str(peers), str(runner), VRL_PROGRAM], False),
            *BASELINES,
            *LIMITS,
        ]
        print(f"\n{kind}: {args.lines:,} lines, {size / 1e6:.1f} MB, median of {args.rounds} alternated rounds")
        results = alternated(tools, corpus, args.rounds, args.lines)
        print_table(results, "anonip", "anonip")
        peer_tables.append({"corpus": kind, "bytes": size, "tools": results})
    formats = []
    for kind in kinds:
        path = write_corpus(kind, args.format_lines, args.out / f"{kind}-{args.format_lines}.log")
        rows = alternated([*pseudolog_tools(builds, key, path), *BASELINES], path, args.rounds, args.format_lines)
        formats.append({"corpus": kind, "bytes": path.stat().st_size, "tools": rows})
        print(f"\n{kind}: {args.format_lines:,} lines, {path.stat().st_size / 1e6:.1f} MB, median of {args.rounds}")
        print_table(rows, "GNU sed (IPv4 only)", "sed")
    report = args.out / "results.json"
    report.write_text(
        json.dumps(
            {"lines": args.lines, "format_lines": args.format_lines, "peers": peer_tables, "formats": formats},
            indent=1,
        )
    )
    plot = args.out / "throughput.png"
    subprocess.run([str(peers), "-c", PLOT, str(report), str(plot)], check=False)
    print(f"\nwrote {report} and {plot}")


if __name__ == "__main__":
    main()
