"""`--jobs N`: the same bytes as one process, in input order, with the same counts."""

from __future__ import annotations

import io
import os
import subprocess

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudolog.config import FilterOptions
from pseudolog.core.engine import Engine
from pseudolog.io import parallel
from pseudolog.synth import nginx_lines, syslog_sip_lines
from tests.conftest import KEY, NOW, examples, texts_from


@pytest.fixture(scope="module")
def mixed_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("jobs") / "mixed.log"
    with path.open("w") as fh:
        fh.writelines(nginx_lines(30000))
        fh.write("x" * 2_500_000 + " 192.0.2.1 " + "y" * 100 + "\n")  # a line longer than --max-line
        fh.writelines(syslog_sip_lines(12000))
        fh.write('{"ts":"2026-11-21T10:00:00Z","caller":"0301234567"}\n')
        fh.write("2025-01-01T00:00:00Z too old 192.0.2.7\n")
        fh.write("2026-11-21T10:00:00Z crlf 192.0.2.9\r\nlast line without newline 198.51.100.1")
    return path


def _run(bin_, key, path, *extra):
    proc = subprocess.run(
        [
            bin_,
            "run",
            "--key-file",
            str(key),
            "--now",
            "2026-11-21T12:00:00Z",
            "--retention",
            "30d",
            "--stats",
            *extra,
            str(path),
        ],
        capture_output=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-300:]
    stats = orjson.loads(proc.stderr)
    for timing in ("seconds", "lines_per_second", "mb_per_second"):
        stats.pop(timing)
    return proc.stdout, stats


@pytest.fixture(scope="module")
def module_key(tmp_path_factory):
    path = tmp_path_factory.mktemp("jobs-key") / "pseudolog.key"
    path.write_bytes(KEY)
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def one_process(pseudolog_bin, module_key, mixed_log):
    """The single-process reference, computed once for every --jobs variant."""
    return _run(pseudolog_bin, module_key, mixed_log)


@pytest.mark.parametrize("jobs", ["2", "3"])
def test_jobs_output_is_byte_identical(pseudolog_bin, module_key, mixed_log, one_process, jobs):
    one, one_stats = one_process
    many, many_stats = _run(pseudolog_bin, module_key, mixed_log, "--jobs", jobs)
    assert many == one
    assert many_stats == one_stats
    assert one_stats["dropped"] == {"retention": 1} and one.endswith(b"last line without newline IP-" + one[-16:])


def test_jobs_with_several_inputs_and_stdin(pseudolog_bin, key_file, mixed_log, tmp_path):
    small = tmp_path / "small.log"
    small.write_bytes(b"2026-11-21T10:00:00Z a 192.0.2.1\n")
    args = ["run", "--key-file", str(key_file), "--now", "2026-11-21T12:00:00Z"]
    one = subprocess.run(
        [pseudolog_bin, *args, str(small), "-", str(mixed_log)],
        input=b"stdin 192.0.2.2\n",
        capture_output=True,
        timeout=600,
    ).stdout
    many = subprocess.run(
        [pseudolog_bin, *args, "--jobs", "2", str(small), "-", str(mixed_log)],
        input=b"stdin 192.0.2.2\n",
        capture_output=True,
        timeout=600,
    ).stdout
    assert many == one and one.split(b"\n")[1].startswith(b"stdin IP-")


def test_jobs_bounds(pseudolog_bin):
    proc = subprocess.run([pseudolog_bin, "run", "--jobs", "0"], input=b"", capture_output=True, timeout=60)
    assert proc.returncode == 2 and b"--jobs" in proc.stderr


@settings(max_examples=examples(300), deadline=None)
@given(
    data=texts_from(["a", "bc", "\n", "\n\n", "x" * 7], max_size=60),
    size=st.integers(min_value=1, max_value=12),
    jobs=st.integers(min_value=1, max_value=4),
    skip=st.integers(min_value=0, max_value=3),
)
def test_chunks_cover_every_line_once(tmp_path_factory, data, size, jobs, skip):
    """Each worker finds its chunks' line boundaries by itself: together the chunks hold the split region
    exactly once, in order, and each chunk is whole lines."""
    path = tmp_path_factory.mktemp("chunks") / "in.log"
    path.write_bytes(data)
    first = 0
    for _ in range(skip):  # the region starts after the lines the parent took itself
        first = data.find(b"\n", first) + 1 or first
    fd = os.open(path, os.O_RDONLY)
    try:
        end = parallel.last_line_end(fd, first, len(data))
        plans = parallel.plan_chunks(first, end, jobs, size)
        chunks = [plans[i % jobs][i // jobs] for i in range(sum(map(len, plans)))]
        pieces = [b"".join(parallel.chunk_bytes(fd, start, stop, first)) for start, stop in chunks]
    finally:
        os.close(fd)
    assert end == first + data[first:].rfind(b"\n") + 1 if b"\n" in data[first:] else end == first
    assert b"".join(pieces) == data[first:end]
    assert all(piece.endswith(b"\n") for piece in pieces if piece)


def test_a_failing_worker_is_one_clean_error(monkeypatch, tmp_path, key_file):
    """A worker that dies reports its exception's type only (a message may quote input) and the run stops
    with exit code 4 (internal failure) instead of hanging or writing a partial file as if complete."""
    path = tmp_path / "big.log"
    path.write_bytes(b"".join(line.encode() for line in nginx_lines(20000)))

    def broken(*args):
        raise RuntimeError("secret 192.0.2.55")

    monkeypatch.setattr(parallel, "_work", broken)
    engine = Engine(FilterOptions(), KEY)
    with pytest.raises(parallel.WorkerError) as caught:
        parallel.pump_parallel(engine, KEY, [str(path)], io.BytesIO(), NOW, 2)
    assert "RuntimeError" in str(caught.value) and "192.0.2.55" not in str(caught.value)
    assert caught.value.exit_code == 4
