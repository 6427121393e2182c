"""tools/pgo_wheel.py refuses what it cannot build from in one line, before it builds anything (the build itself,
and that its wheel writes the plain build's bytes, is `.ci/run`'s PGO step: it takes minutes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "pgo_wheel.py"


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
