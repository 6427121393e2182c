"""The product runs on the native engine alone: `run` (also --jobs, --journal-export), `follow`, `find`, `spark`'s
partition function, `bench` (the grown corpora too) and `lookup` work with the reference line engine (tests/reference)
and the whole test tree made unimportable; and no module of the package imports it, or a module of the Python line
engine retired from the package, at all (read from the source with ast, so an import in a branch no test takes
counts too)."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import KEY

_BLOCK = textwrap.dedent(
    """
    import sys

    BLOCKED = ("tests", "pseudolog.core", "pseudolog.scrub", "pseudolog.detect", "pseudolog.io.framing")

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
    from pseudolog.spark import CountsParam, process_lines, settled_format
    from pseudolog.pipeline import build_engine

    key = open(sys.argv[1], "rb").read()
    lines = [b"198.51.100.%d - - [21/Nov/2026:11:00:00 +0000] \\"GET / HTTP/1.1\\" 200 1 \\"-\\" \\"x\\"" % i
             for i in range(30)]
    rest = settled_format(FilterOptions(), lines[:20], key, 1.8e9)
    engine = build_engine(rest, key)
    out = list(process_lines(lines, engine, 1.8e9))
    assert len(out) == 30 and not any(b"198.51.100." in o for o in out), out[:2]
    param = CountsParam()
    total = param.addInPlace(param.addInPlace(param.zero({}), engine.counts()), engine.counts())
    assert total["lines_in"] == 60 and total["replaced"]["ip"] == 60, total
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


def test_find_without_the_python_engine(key, tmp_path):
    """find reads each line's time with the native clock to choose the windows it searches."""
    written = _cli("run", "--key-file", key, "--now", "2026-11-21T12:00:00Z", stdin=LINES)
    log = tmp_path / "pseudo.log"
    log.write_bytes(written.stdout)
    proc = _cli("find", "--key-file", key, "ip", "192.0.2.1", "phone", "+49 30 1234567", str(log))
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout == written.stdout


def test_grown_corpora_without_the_python_engine():
    """bench --every-format grows corpora from each format's samples, cut by the native engine."""
    code = "from pseudolog.synth_formats import corpus_lines\nprint(len(list(corpus_lines('coturn', 50))))\n"
    proc = _python(code)
    assert proc.returncode == 0 and proc.stdout.strip() == b"50", proc.stderr[-500:]


PACKAGE = Path(__file__).resolve().parents[1] / "pseudolog"
# The Python line engine, moved to tests/reference: none of it may come back into the package.
RETIRED = ("pseudolog.core", "pseudolog.scrub", "pseudolog.detect", "pseudolog.io.framing")


def _imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module a module's source imports, absolute (`from . import x` resolved; `from a import b` gives a and
    a.b), at any depth (function-level imports too)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _file_imports(path: Path) -> set[str]:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    is_package = parts[-1] == "__init__"
    module = ".".join(parts[:-1] if is_package else parts)
    return _imports(path.read_text(encoding="utf-8"), module, is_package)


def _forbidden(name: str) -> bool:
    return any(name == r or name.startswith(r + ".") for r in ("tests", *RETIRED))


def test_no_package_module_imports_the_tests_or_the_retired_engine():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 30
    offending = {
        str(path.relative_to(PACKAGE.parent)): sorted(filter(_forbidden, _file_imports(path))) for path in files
    }
    assert {k: v for k, v in offending.items() if v} == {}
    assert not [r for r in RETIRED if (PACKAGE.parent / r.replace(".", "/")).exists()]
    assert not [r for r in RETIRED if (PACKAGE.parent / (r.replace(".", "/") + ".py")).exists()]


def test_the_import_walk_sees_every_form():
    """The checker itself: plain, from, relative and function-level imports are all read."""
    source = "import tests.reference\nfrom ..core import engine\ndef f():\n    from pseudolog import scrub\n"
    found = _imports(source, "pseudolog.follow.probe")
    assert {"tests.reference", "pseudolog.core", "pseudolog.core.engine", "pseudolog.scrub"} <= found
    assert all(map(_forbidden, ["tests.reference", "pseudolog.core.engine", "pseudolog.scrub"]))
    assert _imports("from . import x", "pseudolog.io", is_package=True) == {"pseudolog.io", "pseudolog.io.x"}
