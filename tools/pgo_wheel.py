"""Builds a wheel whose native core is compiled with a profile of its own runs (profile-guided optimisation).

    python tools/pgo_wheel.py [--out dist] [--lines 20000] [--formats a,b,...] [--train-on FILE ...]
                              [--llvm-profdata PATH]

A plain `pip wheel .` compiles the core without knowing which branches a log line takes. This builds it twice:

1. with `rustc -Cprofile-generate`, installed into a temporary virtualenv;
2. that build's `pseudolog run` over LINES generated lines of every built-in corpus format (the generator's,
   `pseudolog.synth_formats`; no benchmark input and no public log; `--formats` picks some), and over the files
   given with `--train-on` (a sample of the logs the wheel is for), which writes the profile;
3. the profile merged by `llvm-profdata`, and the wheel built again with `-Cprofile-use`.

The profile decides inlining and where code lies, never what it does: the wheel writes the same bytes as a plain
build (`.ci/run` holds it to that on the public corpora). `benchmarks/README.md` has what it gains.

Needs rustc's own `llvm-profdata` (`rustup component add llvm-tools`): the profile's format is that of rustc's
LLVM, which another LLVM's tool may not read. Takes a few minutes: two optimised builds and the training runs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the training virtualenv runs to write the corpora: LINES lines of every generated format.
WRITE_CORPORA = """
import sys
from pathlib import Path
from pseudolog.synth_formats import corpus_lines, corpus_names
out, count = Path(sys.argv[1]), int(sys.argv[2])
for name in sys.argv[3].split(",") if sys.argv[3] else corpus_names():
    with open(out / f"{name}.log", "w", encoding="utf-8", newline="") as fh:
        for line in corpus_lines(name, count):
            fh.write(line if line.endswith("\\n") else line + "\\n")
"""


class BuildError(Exception):
    pass


def rustc_facts() -> tuple[str, str]:
    """(host triple, LLVM major version) of the rustc that cargo will use."""
    try:
        verbose = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        raise BuildError("rustc not found: a source build needs a Rust toolchain (see README)") from None
    host = re.search(r"^host: (\S+)", verbose, re.M)
    llvm = re.search(r"^LLVM version: (\d+)", verbose, re.M)
    if not host or not llvm:
        raise BuildError("rustc -vV did not name its host and LLVM version")
    return host.group(1), llvm.group(1)


def find_profdata(given: str | None) -> Path:
    """rustc's own llvm-profdata (llvm-tools), or the one given, checked to be of rustc's LLVM."""
    host, llvm = rustc_facts()
    if given:
        tool = Path(given)
    else:
        sysroot = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True, check=True)
        tool = Path(sysroot.stdout.strip()) / "lib" / "rustlib" / host / "bin" / "llvm-profdata"
    if not tool.is_file():
        raise BuildError(f"{tool} not found: run `rustup component add llvm-tools` (or pass --llvm-profdata)")
    version = subprocess.run([str(tool), "merge", "--version"], capture_output=True, text=True).stdout
    found = re.search(r"LLVM version (\d+)", version)
    if not found:
        raise BuildError(f"cannot tell which LLVM {tool} is of (rustc's is {llvm})")
    if found.group(1) != llvm:
        raise BuildError(f"{tool} is of LLVM {found.group(1)}, rustc's is {llvm}: the profile would not be read")
    return tool


def check_formats(formats: str) -> None:
    """Unknown names stop the build before it starts (the generator is pure Python: read from this tree)."""
    sys.path.insert(0, str(ROOT))
    from pseudolog.synth_formats import corpus_names

    unknown = sorted(set(filter(None, formats.split(","))) - set(corpus_names()))
    if unknown:
        raise BuildError(f"unknown format {unknown[0]}; the generator has: {', '.join(corpus_names())}")


def run(command: list[str], what: str, env: dict[str, str] | None = None) -> None:
    print(f"pgo_wheel: {what}", file=sys.stderr, flush=True)
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
        raise BuildError(f"{what} failed (exit {proc.returncode}):\n{tail}")


# What a wheel is not built from: at the top, the folders only the sdist or the developers read (benchmarks alone
# can be hundreds of MB of corpora) and profiling output; at any depth, version control, builds and caches.
NOT_SOURCES_AT_TOP = shutil.ignore_patterns(
    "benchmarks", "fuzz", "tests", "examples", "proptest-regressions", "dist", "build", ".venv",
    "*.zst", "perf.data*", "callgrind.out.*", "*.profraw", "*.profdata",
)  # fmt: skip
NOT_SOURCES = shutil.ignore_patterns(
    ".git", "target", "__pycache__", "*.pyc", "_core*.so", "*.whl", ".hypothesis", ".pytest_cache", ".ruff_cache"
)


def snapshot(root: Path, dest: Path) -> Path:
    """The sources as they are now, copied: both builds compile this copy, so an edit made while the tool runs
    cannot give the second build other sources than the profile was taken on (nor half-edited ones). Symbolic
    links are copied as links (the tree's one, `patterns`, is relative)."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        ignored = NOT_SOURCES(folder, names)
        return ignored | NOT_SOURCES_AT_TOP(folder, names) if Path(folder) == root else ignored

    try:
        shutil.copytree(root, dest, ignore=ignore, symlinks=True)
    except (OSError, shutil.Error) as exc:
        raise BuildError(f"copying the sources to build from failed: {exc}") from None
    return dest


def build_wheel(source: Path, out: Path, rustflags: str, target: Path) -> Path:
    """`pip wheel SOURCE` with these rustc flags added to the environment's, in a target directory of its own (the
    two builds must not reuse each other's objects)."""
    env = dict(os.environ, CARGO_TARGET_DIR=str(target))
    env["RUSTFLAGS"] = f"{env.get('RUSTFLAGS', '')} {rustflags}".strip()
    out.mkdir(parents=True, exist_ok=True)
    before = set(out.glob("pseudolog-*.whl"))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(source)]
    run(command, f"building with {rustflags.split()[0]}", env=env)
    made = sorted(set(out.glob("pseudolog-*.whl")) - before) or sorted(out.glob("pseudolog-*.whl"))
    if not made:
        raise BuildError(f"pip wheel wrote no pseudolog wheel into {out}")
    return made[-1]


def train(work: Path, wheel: Path, lines: int, formats: str, own: list[Path]) -> None:
    """The instrumented build's `run` over the generated formats and the operator's files, from a virtualenv of
    its own."""
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)], "creating the training virtualenv")
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], "installing the instrumented wheel")
    corpora = work / "corpora"
    corpora.mkdir()
    what = f"writing {lines:,} lines of " + (f"each of {formats}" if formats else "every format")
    # Isolated (-I): run from a checkout, `-c` would put the working directory first on sys.path and import the
    # checkout's pseudolog, which has no built core, instead of the instrumented wheel's.
    run([str(python), "-I", "-c", WRITE_CORPORA, str(corpora), str(lines), formats], what)
    key = work / "training.key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o600)
    pseudolog = venv / "bin" / "pseudolog"
    for log in [*sorted(corpora.glob("*.log")), *own]:
        print(f"pgo_wheel: training on {log.name}", file=sys.stderr, flush=True)
        with log.open("rb") as source:
            proc = subprocess.run(
                [str(pseudolog), "run", "--key-file", str(key), "--now", "2026-11-21T12:00:00Z"],
                stdin=source,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        if proc.returncode != 0:
            raise BuildError(f"the training run on {log.name} failed: {proc.stderr.strip()[-300:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="dist", help="where the wheel goes (default: dist)")
    parser.add_argument("--lines", type=int, default=20_000, help="training lines per generated format")
    parser.add_argument("--formats", default="", help="generated formats to train on, comma-separated (default: all)")
    parser.add_argument(
        "--train-on", action="append", default=[], metavar="FILE", help="a log file to train on as well (repeatable)"
    )
    parser.add_argument("--llvm-profdata", help="llvm-profdata of rustc's LLVM (default: rustc's llvm-tools)")
    args = parser.parse_args()
    args.formats = ",".join(name.strip() for name in args.formats.split(",") if name.strip())
    if args.lines < 1:
        sys.exit("pgo_wheel: --lines must be at least 1")
    own = [Path(name).resolve() for name in args.train_on]
    for path in own:
        if not path.is_file():
            sys.exit(f"pgo_wheel: --train-on {path}: no such file")
    try:
        check_formats(args.formats)
        profdata = find_profdata(args.llvm_profdata)
        with tempfile.TemporaryDirectory(prefix="pgo-wheel-") as tmp:
            work = Path(tmp)
            profiles = work / "profiles"
            source = snapshot(ROOT, work / "source")
            instrumented = build_wheel(
                source, work / "instrumented", f"-Cprofile-generate={profiles}", work / "target-gen"
            )
            shutil.rmtree(profiles, ignore_errors=True)  # what the build's own scripts wrote is no line's profile
            shutil.rmtree(work / "target-gen")  # half the disk the two builds would hold at once
            train(work, instrumented, args.lines, args.formats, own)
            merged = work / "merged.profdata"
            run([str(profdata), "merge", "-o", str(merged), str(profiles)], "merging the profile")
            # Functions the training never entered have no profile; rustc would warn once for each.
            flags = f"-Cprofile-use={merged} -Cllvm-args=-pgo-warn-missing-function=false"
            wheel = build_wheel(source, Path(args.out).resolve(), flags, work / "target-use")
    except BuildError as exc:
        sys.exit(f"pgo_wheel: {exc}")
    except KeyboardInterrupt:
        sys.exit("pgo_wheel: interrupted (its temporary builds are removed)")
    print(wheel)


if __name__ == "__main__":
    main()
