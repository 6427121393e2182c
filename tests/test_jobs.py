"""`--jobs N`: the same bytes as one process, in input order, with the same counts."""

from __future__ import annotations

import subprocess

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudolog.config import FilterOptions
from pseudolog.pipeline import Engine
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


def _run(bin_, key, path, *extra, piped=False, prefix=(), said=None):
    """stdout and --stats (timings left out) of `run` on `path`, named as an argument or piped into `-`. `prefix`
    goes before the command; `said` collects what it says on stderr after the stats."""
    proc = subprocess.run(
        [
            *prefix,
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
            "-" if piped else str(path),
        ],
        input=path.read_bytes() if piped else None,
        capture_output=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-300:]
    stats_line, _, rest = proc.stderr.partition(b"\n")
    stats = orjson.loads(stats_line)
    if said is not None:
        said.extend(rest.decode().splitlines())
    else:
        assert not rest, rest
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


def test_jobs_on_a_pipe_write_what_one_process_writes(pseudolog_bin, module_key, mixed_log, one_process):
    """A pipe gives at most its capacity a read (64 KiB on Linux): such blocks are split across the threads too
    (the engine's PARALLEL_MIN is below it), and the bytes and counts are one process's."""
    one, one_stats = one_process
    piped, stats = _run(pseudolog_bin, module_key, mixed_log, "--jobs", "2", piped=True)
    assert piped == one
    assert stats == one_stats


@pytest.mark.parametrize(
    ("tasks", "piped"),
    [(1, False), (2, False), (1, True)],
    ids=["no-thread-on-a-file", "no-worker-on-a-file", "no-thread-on-a-pipe"],
)
def test_jobs_under_a_task_limit_write_what_one_process_writes(
    pseudolog_bin, module_key, mixed_log, one_process, task_limit, tasks, piped
):
    """A task limit that refuses --jobs its threads (the limit counts threads) costs speed, never lines: every
    part goes to the threads that did start (on a file with one task, the block rendered ahead stays on the
    calling thread; with two, the job thread starts and its workers do not), the bytes and counts are one
    process's, and the operator reads one line about it instead of a traceback."""
    one, one_stats = one_process
    said: list[str] = []
    out, stats = _run(
        pseudolog_bin, module_key, mixed_log, "--jobs", "3", piped=piped, prefix=task_limit(tasks), said=said
    )
    assert out == one
    assert stats == one_stats
    assert len(said) == 1, said
    assert said[0].startswith("pseudolog: --jobs 3: the system refused ")
    assert "job thread start(s) (Resource temporarily unavailable" in said[0]


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


def _feed_all(engine: Engine, data: bytes, size: int) -> tuple[list, dict]:
    engine.start_input()
    runs = []
    for at in range(0, len(data), size):
        runs += engine.feed_runs(data[at : at + size], NOW)
    runs += engine.finish_runs(NOW)
    return runs, engine.counts()


# Text with line ends, identifiers and CRLF, cut into reads of any size, for any number of threads.
CHUNKED = {
    "data": texts_from(["a", "bc", "\n", "\n\n", "x" * 7, "192.0.2.1 ", "+49 30 1234567 ", "\r\n"], max_size=80),
    "size": st.integers(min_value=1, max_value=64),
    "jobs": st.integers(min_value=2, max_value=5),
}


@settings(max_examples=examples(300), deadline=None)
@given(**CHUNKED)
def test_threads_write_what_one_job_writes(data, size, jobs):
    """--jobs runs on threads inside the engine (each chunk's lines split at line starts, a line belongs to the
    part it starts in): the same runs and counts as one job for any chunking, even with every chunk split."""
    one = _feed_all(Engine(FilterOptions(), KEY), data, size)
    many = _feed_all(Engine(FilterOptions(), KEY, jobs=jobs, parallel_min=1), data, size)
    assert many == one


def test_threads_settle_auto_before_the_split():
    """`auto` settles on the first lines before a chunk is split, so every part reads with the same format."""
    data = "".join(nginx_lines(300)).encode() + b"not nginx 192.0.2.1\n" * 50
    one = _feed_all(Engine(FilterOptions(), KEY), data, 1 << 20)
    many = _feed_all(Engine(FilterOptions(), KEY, jobs=4, parallel_min=1), data, 1 << 20)
    assert many == one and 300 in one[1]["formats"].values()


def _feed_into_all(engine: Engine, data: bytes, size: int, ahead: bool) -> tuple[bytes, dict]:
    engine.start_input()
    out, into = bytearray(), bytearray()
    for at in range(0, len(data), size):
        written = engine.feed_into(data[at : at + size], NOW, into, ahead)
        out += into[:written]
    out += engine.finish(NOW)
    return bytes(out), engine.counts()


@settings(max_examples=examples(200), deadline=None)
@given(**CHUNKED)
def test_blocks_rendered_ahead_write_what_one_job_writes(data, size, jobs):
    """A regular file's reads are rendered ahead (a block's last parts finish on the job threads while the
    caller writes and reads on; its lines come out with the next feed or `finish`): the same bytes and counts
    as one job for any chunking."""
    one = _feed_into_all(Engine(FilterOptions(), KEY), data, size, ahead=False)
    many = _feed_into_all(Engine(FilterOptions(), KEY, jobs=jobs, parallel_min=1), data, size, ahead=True)
    assert many == one
