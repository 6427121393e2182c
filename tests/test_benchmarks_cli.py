"""The benchmark scripts behave as command-line tools: `--help` prints usage, a bad argument is a usage
error (exit 2), never a traceback."""

from __future__ import annotations

import os
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


def test_hostile_measures_each_line_segmented_and_whole_and_refuses_an_unknown_one(pseudolog_bin):
    script = str(REPO / "benchmarks" / "hostile.py")
    env = {**os.environ, "PATH": f"{os.path.dirname(pseudolog_bin)}:{os.environ.get('PATH', '')}"}
    run = [sys.executable, script, "--sizes", "1", "2", "--lines"]
    proc = subprocess.run([*run, "numbers,mixed"], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split(" | ") for line in proc.stdout.splitlines() if line.startswith(("| numbers", "| mixed"))]
    assert [(r[0], r[1]) for r in rows] == [
        ("| numbers", "1 MiB (segments)"),
        ("| numbers", "4M (whole)"),
        ("| mixed", "1 MiB (segments)"),
        ("| mixed", "4M (whole)"),
    ]
    for row in rows:
        assert row[2].endswith(" s/MB") and row[3].endswith(" s/MB") and row[4].endswith(" MiB")
        assert row[5] == "0 |"  # no raw address or number in the output
    bad = subprocess.run([*run, "mixed,typo"], capture_output=True, text=True, timeout=120, env=env)
    assert bad.returncode == 2 and "unknown line 'typo'" in bad.stderr and "Traceback" not in bad.stderr
