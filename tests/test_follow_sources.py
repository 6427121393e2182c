"""How `follow` reads a file, in-process: sized reads that say when more is waiting, the name looked at once a
file is quiet, and a checkpoint that catches up with an idle follower without a stop."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import orjson
import pytest

from pseudolog.errors import PseudologError
from pseudolog.follow.checkpoint import StateDir
from pseudolog.follow.follower import Follower
from pseudolog.follow.sources import FileSource
from tests.test_follow import follow_into, line, line_count, stop, wait_for

MAX_LINE = 1 << 20


def source(path: Path) -> FileSource:
    warnings: list[str] = []
    return FileSource(str(path), MAX_LINE, rotate_wait=0.0, state=None, warn=warnings.append)


def drain(src: FileSource, budget: int) -> tuple[bytes, int]:
    """Every byte the source gives, read as the follower does (again at once while it is backlogged), and how
    many reads that took."""
    data, reads = b"", 0
    while True:
        data += b"".join(piece.data for piece in src.read(budget))
        reads += 1
        if not src.backlogged:
            return data, reads


def test_a_backlog_larger_than_the_budget_is_read_in_consecutive_reads(tmp_path):
    path = tmp_path / "app.log"
    content = b"".join(line(i) for i in range(20000))
    path.write_bytes(content)
    src = source(path)
    data, reads = drain(src, budget=len(content) // 4)
    assert data == content and reads >= 4
    assert src.read(1 << 20) == [] and not src.backlogged  # caught up: nothing waits
    src.close()


def test_a_partial_line_waits_and_counts_nowhere(tmp_path):
    path = tmp_path / "app.log"
    path.write_bytes(line(1) + line(2)[:20])
    src = source(path)
    assert drain(src, 1 << 20)[0] == line(1)
    assert src.state().current.offset == len(line(1))
    with path.open("ab") as f:
        f.write(line(2)[20:])
    assert drain(src, 1 << 20)[0] == line(2)
    assert src.state().current.offset == len(line(1) + line(2))
    src.close()


def test_a_rename_is_seen_once_the_old_file_is_quiet(tmp_path):
    path = tmp_path / "app.log"
    path.write_bytes(line(1))
    src = source(path)
    assert drain(src, 1 << 20)[0] == line(1)
    with path.open("ab") as f:  # the writer still holds the renamed file
        os.rename(path, tmp_path / "app.log.1")
        f.write(line(2))
    path.write_bytes(line(3))
    got = drain(src, 1 << 20)[0]  # line 2 from the renamed file; it grew, so the name may wait
    got += drain(src, 1 << 20)[0]  # quiet now: the name is looked at and the new file read
    got += drain(src, 1 << 20)[0]
    assert got == line(2) + line(3)
    assert src.state().current.ino == path.stat().st_ino and src.state().rotated == []
    src.close()


def test_a_truncated_file_is_read_again_from_its_start(tmp_path):
    path = tmp_path / "app.log"
    path.write_bytes(line(1) + line(2))
    src = source(path)
    drain(src, 1 << 20)
    with path.open("r+b") as f:
        f.truncate(0)
    assert drain(src, 1 << 20)[0] == b""
    path.write_bytes(line(3))
    assert drain(src, 1 << 20)[0] == line(3)
    src.close()


def test_an_idle_follower_checkpoints_what_it_wrote_without_a_stop(pseudolog_bin, key_file, tmp_path):
    """Checkpoints come at most once a second; the last lines before a quiet spell still get one."""
    src, out, st = tmp_path / "access.log", tmp_path / "out.log", tmp_path / "st"
    src.write_bytes(b"".join(line(i) for i in range(30)))
    proc = follow_into(pseudolog_bin, key_file, tmp_path, src, "-o", str(out))

    def caught_up(lines: int) -> bool:
        """The output holds `lines` lines, and the checkpoint records the whole input and the whole output."""
        try:
            saved = orjson.loads((st / "checkpoint.json").read_bytes())
            offset = saved["inputs"][str(src)]["current"]["offset"]
            length = saved["outputs"][str(out)]["length"]
            return line_count(out) == lines and (offset, length) == (src.stat().st_size, out.stat().st_size)
        except (OSError, ValueError, KeyError, TypeError):
            return False

    wait_for(lambda: caught_up(30), what="a checkpoint of 30 lines")
    with src.open("ab") as f:
        f.write(b"".join(line(i) for i in range(30, 40)))
    wait_for(lambda: caught_up(40), what="a checkpoint of 40 lines")
    proc.send_signal(signal.SIGKILL)  # what the checkpoint holds is all a restart needs
    proc.wait()
    proc = follow_into(pseudolog_bin, key_file, tmp_path, src, "-o", str(out))
    with src.open("ab") as f:
        f.write(line(40))
    wait_for(lambda: line_count(out) == 41)
    stop(proc)
    assert line_count(out) == 41


def test_a_start_that_fails_after_a_fifo_is_open_gives_back_what_it_took(tmp_path, key_file):
    """The output is refused after the input FIFO has been opened and its reader thread started: the FIFO, the
    thread, the state directory's lock and the signal handlers are all given back before the error goes up."""
    fifo, refused = tmp_path / "in.fifo", tmp_path / "out.fifo"
    os.mkfifo(fifo)
    os.mkfifo(refused)  # follow cuts its output back after a crash: a FIFO cannot be that output
    state = tmp_path / "state"
    cli = {"inputs": [str(fifo)], "key_file": str(key_file), "state_dir": str(state), "output": str(refused)}
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    wakeup = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(wakeup)
    fds = set(os.listdir("/proc/self/fd"))
    with pytest.raises(PseudologError, match="not a regular file"):
        Follower(cli, None, {}, lambda text: None)
    assert {sig: signal.getsignal(sig) for sig in handlers} == handlers
    assert signal.set_wakeup_fd(wakeup) == wakeup  # the wake-up fd is given back too
    wait_for(lambda: not any(t.name == f"read {fifo}" for t in threading.enumerate()))
    assert set(os.listdir("/proc/self/fd")) <= fds
    StateDir(state).close()  # the lock was released: a second follower may take it
