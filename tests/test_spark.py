"""The Spark job: the same lines as `run`, counts through accumulators, and the DataFrame entry point.

Runs Spark in local mode (local[2]); skipped when PySpark is not installed (pip install 'pseudolog[spark]').
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import orjson
import pytest

pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed: pip install 'pseudolog[spark]'")
if shutil.which("java") is None:
    pytest.skip("Spark needs a Java runtime (java) on PATH", allow_module_level=True)

from pseudolog.config import FilterOptions  # noqa: E402
from pseudolog.pipeline import Engine  # noqa: E402
from pseudolog.spark import process_lines, process_value, pseudonymize  # noqa: E402
from pseudolog.synth import json_lines, nginx_lines, syslog_sip_lines  # noqa: E402
from tests.conftest import KEY, NOW  # noqa: E402

ARGS = ["--now", "2026-11-21T12:00:00Z", "--retention", "30d"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    directory = tmp_path_factory.mktemp("spark")
    first = directory / "access.log"
    with first.open("w") as fh:
        fh.writelines(nginx_lines(8000))
        fh.write("x" * 1_500_000 + " 192.0.2.1 " + "y" * 10 + "\n")  # longer than --max-line
        fh.write("2025-01-01T00:00:00Z too old 192.0.2.7\n")
    second = directory / "sip.log"
    with second.open("w") as fh:
        fh.writelines(syslog_sip_lines(3000))
        fh.writelines(json_lines(1000))
    return [first, second]


def _lines(data: bytes) -> list[bytes]:
    return sorted(line for line in data.split(b"\n") if line)


def test_spark_job_equals_run(pseudolog_bin, key_file, corpus, tmp_path):
    out_dir = tmp_path / "out"
    job = subprocess.run(
        [
            pseudolog_bin,
            "spark",
            "--master",
            "local[2]",
            "--key-file",
            str(key_file),
            *ARGS,
            *map(str, corpus),
            str(out_dir),
        ],
        capture_output=True,
        timeout=600,
    )
    assert job.returncode == 0, job.stderr[-2000:]
    run = subprocess.run(
        [pseudolog_bin, "run", "--key-file", str(key_file), "--stats", *ARGS, *map(str, corpus)],
        capture_output=True,
        timeout=600,
    )
    spark_lines = _lines(b"".join(p.read_bytes() for p in sorted(out_dir.glob("part-*"))))
    assert spark_lines == _lines(run.stdout)
    spark_stats = orjson.loads(job.stderr.strip().splitlines()[-1])
    run_stats = orjson.loads(run.stderr)
    for field in ("lines_in", "lines_out", "dropped", "replaced", "formats", "unmatched"):
        assert spark_stats[field] == run_stats[field], field
    assert spark_stats["dropped"] == {"retention": 1}
    assert key_file.read_bytes().hex().encode() not in job.stderr


def test_spark_refuses_a_missing_key_and_an_existing_output(pseudolog_bin, corpus, tmp_path, key_file):
    no_key = subprocess.run(
        [pseudolog_bin, "spark", str(corpus[0]), str(tmp_path / "o")], capture_output=True, timeout=120
    )
    assert no_key.returncode == 2 and b"--key-file" in no_key.stderr
    exists = subprocess.run(
        [pseudolog_bin, "spark", "--key-file", str(key_file), str(corpus[0]), str(tmp_path)],
        capture_output=True,
        timeout=120,
    )
    assert exists.returncode == 2 and b"exists already" in exists.stderr


def test_dataframe_entry_point(corpus, monkeypatch):
    from pyspark.sql import SparkSession

    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # local workers need the interpreter that has pseudolog

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("pseudolog-test")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    try:
        lines = [*corpus[0].read_bytes().split(b"\n")[:50], b"2025-01-01T00:00:00Z too old 192.0.2.7"]
        rows = [(i, line.decode()) for i, line in enumerate(lines) if line]
        df = spark.createDataFrame(rows, ["id", "message"])
        options = FilterOptions(format="apache_combined", retention=30 * 86400)
        got = {r["id"]: r["message"] for r in pseudonymize(df, "message", key=KEY, options=options, now=NOW).collect()}
        engine = Engine(options, KEY)
        expected = {i: out.decode() for i, text in rows for out in process_lines([text.encode()], engine, NOW)}
        assert got == expected
        assert len(got) == len(rows) - 1  # the retention drop is removed
    finally:
        spark.stop()


def test_batches_give_what_run_gives_line_by_line():
    """Lines are rendered in batches; the output lines must be those of one line at a time."""
    lines = [
        b'198.51.100.%d - - [21/Nov/2026:11:00:00 +0000] "GET /c?to=%%2B4930123456%d HTTP/1.1" 200 1 "-" "x"'
        % (i % 256, i)
        for i in range(5000)
    ]
    lines[10] = b"free text 192.0.2.1"
    lines[4000] = b"x " * 600_000 + b"192.0.2.9"  # longer than max_line: segmented, still one output line
    batched = list(process_lines(lines, Engine(FilterOptions(), KEY), NOW))
    single = Engine(FilterOptions(), KEY)
    one_by_one = [out for line in lines for out in process_lines([line], single, NOW)]
    assert batched == one_by_one and len(batched) == len(lines)
    assert not any(b"198.51.100." in out or b"192.0.2." in out for out in batched)


def test_a_dataframe_value_with_line_breaks_stays_one_value():
    engine = Engine(FilterOptions(format="text"), KEY)
    out = process_value(b"from 192.0.2.1\nto 192.0.2.2", engine, NOW)
    assert out is not None and out.count(b"\n") == 1 and b"192.0.2" not in out
