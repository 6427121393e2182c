"""The benchmark scripts behave as command-line tools: `--help` prints usage, a bad argument is a usage
error (exit 2), never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

SCRIPTS = sorted((REPO / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_help_prints_usage(script):
    proc = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage:") and "Traceback" not in proc.stderr


def test_generate_writes_a_corpus_and_refuses_an_unknown_one(tmp_path):
    out = tmp_path / "nginx.log"
    script = str(REPO / "benchmarks" / "generate.py")
    made = subprocess.run([sys.executable, script, "nginx", "50", str(out)], capture_output=True, timeout=120)
    assert made.returncode == 0 and out.read_bytes().count(b"\n") == 50
    bad = subprocess.run([sys.executable, script, "nginx_typo", "50", str(out)], capture_output=True, timeout=120)
    assert bad.returncode == 2 and b"invalid choice" in bad.stderr and b"Traceback" not in bad.stderr


def test_memory_refuses_a_bad_count():
    script = str(REPO / "benchmarks" / "memory.py")
    proc = subprocess.run([sys.executable, script, "many"], capture_output=True, timeout=120)
    assert proc.returncode == 2 and b"invalid int value" in proc.stderr and b"Traceback" not in proc.stderr
