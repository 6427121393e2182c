"""CPU of `pseudolog follow` as a sidecar under steady input.

    python benchmarks/sidecar.py [--rate 5000] [--seconds 60] [--corpus nginx]
                                 [--poll-interval 250ms] [--breakdown | --cprofile FILE | --strace FILE | --perf FILE]
    python benchmarks/sidecar.py --engine-only [--rate 5000] [--seconds 60] [--corpus nginx]

A writer appends generated lines to a file at a steady rate (one write every 10 ms, as a busy server's log
grows), while the installed `pseudolog follow` tails it into an output file with checkpoints. After a warm-up,
the follower's CPU time over the measured interval (the scheduler's run time of its threads, exact; the
tick-sampled user/system split beside it) is reported as a share of one core, with its resident memory. The
writer runs in this process and is not counted. `--cprofile FILE` runs the follower under cProfile; `--strace
FILE` counts its system calls (`strace -c -f -p`) and `--perf FILE` records its call graphs (`perf record
--call-graph dwarf -p`), both attached for the measured interval only. With any of them the CPU share includes
the tool's cost to the follower. `--breakdown` runs the follower in this script with its stages timed (the
engine's feed, reading and framing, the output's writes, checkpoints, and the rest: the loop, waits, signals),
as CPU milliseconds per second. `--engine-only` feeds the native engine in-process the way the follower does
(a poll's lines at a time, idle in between): the part of the follower's CPU that is the engine's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from compare import BASELINES, LIMITS, write_key  # this folder's peer commands (a script's own folder is on sys.path)

from pseudolog.synth_formats import corpus_lines, corpus_names

TICK = 0.01


def cpu_seconds(pid: int) -> tuple[float, float, float]:
    """(user, system, total) CPU seconds of the process: user and system from /proc/PID/stat, which the kernel
    samples at its clock tick; the total from the scheduler's run time of every thread (schedstat, exact)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    run_ns = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/schedstat") as fh:
            run_ns += int(fh.read().split()[0])
    return int(fields[11]) / tick, int(fields[12]) / tick, run_ns / 1e9


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for row in fh:
            if row.startswith("VmRSS:"):
                return int(row.split()[1]) / 1024
    return 0.0


def attach(args: argparse.Namespace, pid: int) -> subprocess.Popen[bytes] | None:
    """strace or perf attached to the follower, if asked for, once it has started recording."""
    if args.strace:
        command = ["strace", "-c", "-f", "-o", args.strace, "-p", str(pid)]
    elif args.perf:
        command = ["perf", "record", "--call-graph", "dwarf,16384", "-o", args.perf, "-p", str(pid)]
    else:
        return None
    tool = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return tool


def engine_only(lines: list[bytes], rate: int, seconds: float, warmup: float, poll: float) -> None:
    """The engine alone, fed as the follower feeds it: a poll's worth of lines every `poll` seconds, idle in
    between (so its caches are as cold as a sidecar's); the CPU of `feed` as a share of one core."""
    from pseudolog.config import filter_options
    from pseudolog.pipeline import build_engine

    engine = build_engine(filter_options(), os.urandom(32))
    per_poll = max(1, round(rate * poll))
    batches = [b"".join(lines[i : i + per_poll]) for i in range(0, len(lines) - per_poll + 1, per_poll)]
    spent = fed = 0.0
    for n, batch in enumerate(batches):
        started = time.thread_time()
        engine.feed(batch, time.time())
        if n * poll >= warmup:
            spent += time.thread_time() - started
            fed += poll
        if fed >= seconds:
            break
        time.sleep(poll)
    print(f"engine alone, {rate:,} lines/s in feeds every {poll * 1000:.0f} ms: {100 * spent / fed:.2f} % of one core")


@dataclass
class Measured:
    """What `drive` saw: CPU shares of one core over the measured interval, and the lines written."""

    shares: list[float]  # schedstat, exact, per process
    user: float  # tick-sampled
    system: float
    wall: float
    rate: float
    written: int

    @property
    def share(self) -> float:
        return sum(self.shares)


def drive(
    args: argparse.Namespace,
    lines: list[bytes],
    src: str,
    pids: list[int],
    attach_tool: Callable[[], subprocess.Popen[bytes] | None] = lambda: None,
) -> Measured:
    """Append `lines` to `src` at `args.rate` (one write every TICK), and measure the CPU of the processes
    `pids` from the end of the warm-up over `args.seconds`."""
    per_tick = max(1, round(args.rate * TICK))
    time.sleep(1.0)
    written = 0
    measured_from = 0.0
    tool: subprocess.Popen[bytes] | None = None
    cpu_from: list[tuple[float, float, float]] = []
    started = time.monotonic()
    with open(src, "ab", buffering=0) as out:
        while written + per_tick <= len(lines):
            elapsed = time.monotonic() - started
            if measured_from == 0.0 and elapsed >= args.warmup:
                tool = attach_tool()
                measured_from, cpu_from = time.monotonic(), [cpu_seconds(pid) for pid in pids]
            if elapsed >= args.warmup + args.seconds:
                break
            out.write(b"".join(lines[written : written + per_tick]))
            written += per_tick
            time.sleep(max(0.0, started + written / args.rate - time.monotonic()))
    measured_until, cpu_until = time.monotonic(), [cpu_seconds(pid) for pid in pids]
    if tool is not None:  # both tools write their report when interrupted, and detach
        tool.send_signal(signal.SIGINT)
        tool.wait(timeout=60)
    wall = measured_until - measured_from
    spent = [
        [100 * (b - a) / wall for a, b in zip(before, after, strict=True)]
        for before, after in zip(cpu_from, cpu_until, strict=True)
    ]
    user, system = (sum(each[i] for each in spent) for i in (0, 1))
    return Measured([each[2] for each in spent], user, system, wall, written / (measured_until - started), written)


def count_lines(path: str) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


# Peers as a sidecar: the same growing file followed by `tail -F` into a filter that writes a file, as a pipe
# from a tailer would run them. tail polls every 250 ms, as `follow` does by default (with inotify it would wake
# at each of the writer's 100 writes a second, and the wake-ups, not the filter, would be most of its cost).
# None of them keys or hashes anything: compare.py's baselines (sed and perl blank IPv4 addresses with one
# substitution) and `cat`, which only moves the bytes.
POLL_SECONDS = 0.25
# `wc -l` writes no lines, so it is no filter to follow with.
PEERS = [(name, command) for name, command, _ in (*BASELINES, *LIMITS) if command != ["wc", "-l"]]


def peers(args: argparse.Namespace, lines: list[bytes]) -> None:
    """Each peer behind `tail -F` under the same writer; the CPU of both processes (the tailer and the filter)."""
    for name, filter_command in PEERS:
        with tempfile.TemporaryDirectory() as tmp:
            src, out_path = os.path.join(tmp, "app.log"), os.path.join(tmp, "out.log")
            open(src, "wb").close()
            with open(out_path, "wb") as out:
                tail = subprocess.Popen(
                    ["tail", "---disable-inotify", "-s", str(POLL_SECONDS), "-F", "-n", "+1", src],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
                peer = subprocess.Popen(filter_command, stdin=tail.stdout, stdout=out)
                assert tail.stdout is not None
                tail.stdout.close()  # the filter holds the pipe; it sees its end when tail exits
                run = drive(args, lines, src, [tail.pid, peer.pid])
                tail.terminate()
                tail.wait(timeout=60)
                peer.wait(timeout=60)
            print(
                f"tail -F | {name}, {args.corpus}, {run.rate:,.0f} lines/s for {run.wall:.0f} s: {run.share:.2f} % "
                f"of one core (tail {run.shares[0]:.2f} %, the filter {run.shares[1]:.2f} %); "
                f"{count_lines(out_path):,} of {run.written:,} lines out"
            )


# What `--breakdown` times in the follower, as (module, class, method, label): stages that never call each other.
STAGES = (
    ("pseudolog.pipeline", "Engine", "feed_pieces_runs", "engine feed"),
    ("pseudolog.follow.sources", "FileSource", "read", "read and frame"),
    ("pseudolog.follow.sinks", "FileSink", "write", "output write"),
    ("pseudolog.follow.follower", "Follower", "checkpoint", "checkpoint"),
)
BREAKDOWN_FLAG = "--run-follower-with-breakdown"  # how this script runs itself as the follower


def follower_with_breakdown(report_path: str, argv: list[str]) -> None:
    """`pseudolog ARGV` with each stage's thread CPU summed from the first feed on; at exit, each stage's and
    the whole process's CPU per second of wall time are written to `report_path` (JSON)."""
    import atexit
    import importlib
    import json

    from pseudolog.cli import main as cli_main

    spent = dict.fromkeys((label for *_, label in STAGES), 0.0)
    since: list[float] = []  # wall and process CPU at the first feed

    def timed(original: Any, label: str) -> Any:
        def stage(*args: Any, **kwargs: Any) -> Any:
            if not since and label == "engine feed":
                since.extend((time.monotonic(), time.process_time()))
                spent.update(dict.fromkeys(spent, 0.0))
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.thread_time() - started

        return stage

    for module, owner, method, label in STAGES:
        cls = getattr(importlib.import_module(module), owner)
        setattr(cls, method, timed(getattr(cls, method), label))

    def report() -> None:
        if since:
            wall, cpu = time.monotonic() - since[0], time.process_time() - since[1]
            per_second = {label: 1000 * seconds / wall for label, seconds in spent.items()}
            per_second["the rest"] = 1000 * cpu / wall - sum(per_second.values())
            with open(report_path, "w") as fh:
                json.dump({"process": 1000 * cpu / wall, **per_second}, fh)

    atexit.register(report)
    sys.argv = ["pseudolog", *argv]
    cli_main(argv)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=5000, help="lines per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured interval")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--corpus", default="nginx", choices=corpus_names())
    parser.add_argument("--poll-interval", help="passed to follow (its default: 250ms)")
    parser.add_argument("--cprofile", metavar="FILE", help="write a cProfile of the follower here")
    parser.add_argument("--strace", metavar="FILE", help="write `strace -c -f` of the measured interval here")
    parser.add_argument(
        "--perf", metavar="FILE", help="write `perf record --call-graph dwarf` of the measured interval here"
    )
    parser.add_argument("--engine-only", action="store_true", help="feed the engine in-process instead (no follow)")
    parser.add_argument("--breakdown", action="store_true", help="the follower's CPU by stage (engine, read, ...)")
    parser.add_argument("--peers", action="store_true", help="then the same input through `tail -F` into each peer")
    if sys.argv[1:2] == [BREAKDOWN_FLAG]:
        follower_with_breakdown(sys.argv[2], sys.argv[3:])
        return
    args = parser.parse_args()
    total = int(args.rate * (args.seconds + args.warmup + 2))
    lines = [line.encode() for line in corpus_lines(args.corpus, total)]
    if args.engine_only:
        from pseudolog.config import POLL_DEFAULT, parse_interval

        poll = parse_interval(args.poll_interval or POLL_DEFAULT, option="--poll-interval")
        engine_only(lines, args.rate, args.seconds, args.warmup, poll)
        return
    binary = shutil.which("pseudolog") or parser.error("pseudolog is not installed")
    command = [binary]
    if args.cprofile:
        command = [sys.executable, "-m", "cProfile", "-o", args.cprofile, "-m", "pseudolog"]
    breakdown_path = os.path.join(tempfile.gettempdir(), f"sidecar-breakdown-{os.getpid()}.json")
    if args.breakdown:  # the pseudolog on sys.path (PYTHONPATH first), as `python -m pseudolog` would find it
        command = [sys.executable, os.path.abspath(__file__), BREAKDOWN_FLAG, breakdown_path]
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as errors:
        src, out_path = os.path.join(tmp, "app.log"), os.path.join(tmp, "out.log")
        key = write_key(os.path.join(tmp, "key"))
        open(src, "wb").close()
        proc = subprocess.Popen(
            [
                *command,
                "follow",
                "--key-file",
                key,
                "--state-dir",
                os.path.join(tmp, "st"),
                "-o",
                out_path,
                *(["--poll-interval", args.poll_interval] if args.poll_interval else []),
                src,
            ],
            stderr=errors,
            cwd=tmp,  # not the checkout: PYTHONPATH decides which pseudolog a `python -m` follower runs
        )
        run = drive(args, lines, src, [proc.pid], lambda: attach(args, proc.pid))
        if proc.poll() is not None:  # it ended before the stop: its CPU share would read as 0 %
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip().splitlines()
            sys.exit(f"sidecar.py: the follower ended early (exit {proc.returncode}): {said[-1] if said else ''}")
        rss = rss_mib(proc.pid)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        print(
            f"follow, {args.corpus}, {run.rate:,.0f} lines/s for {run.wall:.0f} s: {run.share:.2f} % of one core "
            f"(schedstat; by ticks: user {run.user:.2f} %, system {run.system:.2f} %), RSS {rss:.0f} MiB; "
            f"{count_lines(out_path):,} of {run.written:,} lines out"
        )
    if args.breakdown:
        if not os.path.exists(breakdown_path):  # the follower never reached the stage STAGES calls its engine feed
            sys.exit(f"sidecar.py: no breakdown: the follower never called {STAGES[0][1]}.{STAGES[0][2]}")
        with open(breakdown_path) as fh:
            stages = json.load(fh)
        os.unlink(breakdown_path)
        total = stages.pop("process")
        parts = ", ".join(f"{label} {ms:.2f}" for label, ms in stages.items())
        print(f"  CPU ms per second, first feed to exit: {total:.2f}: {parts}")
    if args.peers:
        peers(args, lines)


if __name__ == "__main__":
    main()
