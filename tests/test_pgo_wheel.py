"""tools/pgo_wheel.py refuses what it cannot build from in one line, before it builds anything (the build itself,
and that its wheel writes the plain build's bytes, is `.ci/run`'s PGO step: it takes minutes)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "pgo_wheel.py"


def tool_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pgo_wheel", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def refusal(*args: str, cwd: Path) -> str:
    proc = subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pgo_wheel: "), proc.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--formats", "nginx,bogus"], "unknown format bogus; the generator has: nginx"),
        (["--train-on", "missing.log"], "missing.log: no such file"),
        (["--llvm-profdata", "no-such-llvm-profdata"], "no-such-llvm-profdata not found"),
        (["--lines", "0"], "--lines must be at least 1"),
    ],
)
def test_refuses_before_building(tmp_path, args, says):
    assert says in refusal(*args, "--out", str(tmp_path / "dist"), cwd=tmp_path)
    assert not (tmp_path / "dist").exists()


def test_a_profdata_of_another_llvm_is_refused(tmp_path):
    fake = tmp_path / "llvm-profdata"
    fake.write_text("#!/bin/sh\necho 'Debian LLVM version 3.4.1'\n")
    fake.chmod(0o755)
    try:
        subprocess.run(["rustc", "-vV"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("no rustc here: the tool stops earlier, saying so")
    line = refusal("--llvm-profdata", str(fake), cwd=tmp_path)
    assert "is of LLVM 3, rustc's is" in line and "the profile would not be read" in line


def test_the_sources_are_copied_once_without_builds_caches_or_developer_folders(tmp_path):
    """What the wheel is built from is copied (a package folder named like a developer folder included: only the
    top level's are left out); builds, caches and the developers' folders are not, and an edit after the copy does
    not reach it. `main` builds both wheels from this copy (`.ci/run`'s PGO step builds one)."""
    root = tmp_path / "project"
    for name in ["pyproject.toml", "Cargo.toml", "Cargo.lock", "README.md", "src/lib.rs", "pseudolog/__init__.py",
                 "pseudolog/builtin_patterns/nginx.pattern", "pseudolog/examples/x.py", "target/release/big.rlib",
                 ".git/HEAD", "pseudolog/__pycache__/x.pyc", "pseudolog/_core.abi3.so", "benchmarks/corpus.log",
                 "fuzz/target/x", "tests/test_x.py", "heaptrack.zst", "perf.data"]:  # fmt: skip
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
    copy = tool_module().snapshot(root, tmp_path / "source")
    (root / "src/lib.rs").write_text("half an edit")
    kept = sorted(str(p.relative_to(copy)) for p in copy.rglob("*") if p.is_file())
    assert kept == [
        "Cargo.lock", "Cargo.toml", "README.md", "pseudolog/__init__.py", "pseudolog/builtin_patterns/nginx.pattern",
        "pseudolog/examples/x.py", "pyproject.toml", "src/lib.rs",
    ]  # fmt: skip
    assert (copy / "src/lib.rs").read_text() == "src/lib.rs"
