"""The product runs on the native engine: `run` (also --jobs, --journal-export), `follow`, `spark`'s partition
function, `bench` and `lookup` work with the Python line engine (pseudolog/core, scrub.py, detect/) made
unimportable. Those modules stay only for the differential tests until they are retired."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import KEY

_BLOCK = textwrap.dedent(
    """
    import sys

    BLOCKED = ("pseudolog.core", "pseudolog.scrub", "pseudolog.detect")

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                raise ImportError(f"the product path imported {name}")
            return None

    sys.meta_path.insert(0, Blocker())
    """
)

_SPARK = textwrap.dedent(
    """
    from pseudolog.config import FilterOptions
    from pseudolog.spark import engine_counts, process_lines, settled_format
    from pseudolog.pipeline import build_engine

    key = open(sys.argv[1], "rb").read()
    lines = [b"198.51.100.%d - - [21/Nov/2026:11:00:00 +0000] \\"GET / HTTP/1.1\\" 200 1 \\"-\\" \\"x\\"" % i
             for i in range(30)]
    rest = settled_format(FilterOptions(), lines[:20], key, 1.8e9)
    engine = build_engine(rest, key)
    out = list(process_lines(lines, engine, 1.8e9))
    assert len(out) == 30 and not any(b"198.51.100." in o for o in out), out[:2]
    assert engine_counts(engine)["lines_in"] == 30
    print("spark ok", rest.format)
    """
)


def _python(code: str, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-c", _BLOCK + code, *args], input=stdin, capture_output=True, timeout=120)


def _cli(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    code = "from pseudolog.cli import main\nmain(sys.argv[1:])\n"
    return _python(code, *argv, stdin=stdin)


@pytest.fixture
def key(tmp_path):
    path = tmp_path / "k"
    path.write_bytes(KEY)
    path.chmod(0o600)
    return str(path)


LINES = b"2026-11-21T10:00:00Z call from +49 30 1234567 at 192.0.2.1\n" * 50


@pytest.mark.parametrize("extra", [[], ["--jobs", "3"], ["--format", "text", "--stats"]])
def test_run_without_the_python_engine(key, extra):
    proc = _cli("run", "--key-file", key, "--now", "2026-11-21T12:00:00Z", *extra, stdin=LINES)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.count(b"\n") == 50 and b"192.0.2.1" not in proc.stdout and b"1234567" not in proc.stdout


def test_journal_export_without_the_python_engine(key):
    entry = b"__REALTIME_TIMESTAMP=1795262400000000\nSYSLOG_IDENTIFIER=x\nMESSAGE=from 192.0.2.1\n\n"
    proc = _cli("run", "--key-file", key, "--journal-export", "-", stdin=entry)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert b"192.0.2.1" not in proc.stdout and proc.stdout.endswith(b"\n")


def test_follow_without_the_python_engine(key):
    proc = _cli("follow", "--key-file", key, "-", stdin=LINES)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.count(b"\n") == 50 and b"192.0.2.1" not in proc.stdout


def test_lookup_and_bench_without_the_python_engine(key):
    proc = _cli("lookup", "ip", "192.0.2.1", "--at", "2026-11-21T10:00:00Z", "--key-file", key)
    assert proc.returncode == 0 and proc.stdout.startswith(b"IP-"), proc.stderr[-500:]
    run = _cli("run", "--key-file", key, "--now", "2026-11-21T12:00:00Z", stdin=LINES)
    assert proc.stdout.strip() in run.stdout
    bench = _python("from pseudolog.bench import bench_corpus\nprint(bench_corpus('nginx', 200).replaced)\n")
    assert bench.returncode == 0 and int(bench.stdout) > 0, bench.stderr[-500:]


def test_spark_partitions_without_the_python_engine(key):
    proc = _python(_SPARK, key)
    assert proc.returncode == 0 and b"spark ok" in proc.stdout, proc.stderr[-800:]
