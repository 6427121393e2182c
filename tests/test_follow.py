"""`pseudolog follow` as a sidecar, through the installed script: tail -F, rotation, checkpoints that hold
across SIGKILL, window files, signals, systemd notifications, FIFOs and standard input."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.test_cli_e2e import assert_one_line_error

FMT = ("--format", "nginx_combined")


def line(i: int, day: int = 21) -> bytes:
    return (
        f"203.0.113.{i % 250} - - [{day}/Nov/2026:10:{i // 60 % 60:02d}:{i % 60:02d} +0000] "
        f'"GET /item/{i}?to=%2B4930{i:07d} HTTP/1.1" 200 5 "-" "t"\n'
    ).encode()


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PSEUDOLOG_KEY_FILE", "CREDENTIALS_DIRECTORY")}
    env.pop("NOTIFY_SOCKET", None)
    env.pop("WATCHDOG_USEC", None)
    env.update(extra)
    return env


def start(bin_: str, *args: str, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [bin_, "follow", *args],
        env=env or clean_env(),
        stdout=kw.pop("stdout", subprocess.DEVNULL),
        stderr=subprocess.PIPE,
        **kw,
    )


def follow_into(bin_: str, key_file: Path, tmp_path: Path, src: Path, *extra: str, env=None) -> subprocess.Popen:
    """`follow --key-file KEY --state-dir TMP/st EXTRA... --format nginx_combined SRC`"""
    return start(
        bin_, "--key-file", str(key_file), "--state-dir", str(tmp_path / "st"), *extra, *FMT, str(src), env=env
    )


def wait_for(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def stop(proc: subprocess.Popen) -> bytes:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert b"Traceback" not in err
    return err


def expected(bin_: str, key_file: Path, data: bytes) -> list[bytes]:
    proc = subprocess.run(
        [bin_, "run", "--key-file", str(key_file), *FMT], input=data, capture_output=True, env=clean_env(), check=True
    )
    return proc.stdout.splitlines(keepends=True)


def test_follows_appended_lines_and_a_partial_line_waits_for_its_newline(pseudolog_bin, key_file, tmp_path):
    src, out = tmp_path / "access.log", tmp_path / "out.log"
    src.write_bytes(line(1) + line(2) + line(3)[:30])
    proc = follow_into(pseudolog_bin, key_file, tmp_path, src, "-o", str(out))
    wait_for(lambda: line_count(out) == 2, what="two lines")
    time.sleep(0.6)
    assert line_count(out) == 2 and out.read_bytes().endswith(b"\n")  # the partial line is held back
    with src.open("ab") as f:
        f.write(line(3)[30:] + line(4))
    wait_for(lambda: line_count(out) == 4, what="four lines")
    stop(proc)
    assert out.read_bytes().splitlines(keepends=True) == expected(pseudolog_bin, key_file, src.read_bytes())
    assert b"203.0.113" not in out.read_bytes()


def test_sigterm_checkpoints_and_a_restart_resumes_without_repeats(pseudolog_bin, key_file, tmp_path):
    src, out, st = tmp_path / "access.log", tmp_path / "out.log", tmp_path / "st"
    args = ("--key-file", str(key_file), "--state-dir", str(st), "-o", str(out), *FMT, str(src))
    src.write_bytes(b"".join(line(i) for i in range(100)))
    proc = start(pseudolog_bin, *args)
    wait_for(lambda: line_count(out) == 100)
    err = stop(proc)
    assert b"100 line(s) in, 100 out" in err
    with src.open("ab") as f:
        f.write(b"".join(line(i) for i in range(100, 150)))
    proc = start(pseudolog_bin, *args)
    wait_for(lambda: line_count(out) == 150)
    stop(proc)
    assert out.read_bytes().splitlines(keepends=True) == expected(pseudolog_bin, key_file, src.read_bytes())


def test_rename_rotation_keeps_lines_written_after_the_rename(pseudolog_bin, key_file, tmp_path):
    src, out = tmp_path / "access.log", tmp_path / "out.log"
    writer = src.open("ab", buffering=0)
    writer.write(b"".join(line(i) for i in range(50)))
    proc = follow_into(pseudolog_bin, key_file, tmp_path, src, "-o", str(out), "--rotate-wait", "1")
    wait_for(lambda: line_count(out) == 50)
    os.rename(src, tmp_path / "access.log.1")
    writer.write(b"".join(line(i) for i in range(50, 60)))  # the writer has not reopened yet
    time.sleep(0.5)
    writer.write(b"".join(line(i) for i in range(60, 70)))
    writer.close()
    (tmp_path / "access.log").write_bytes(b"".join(line(i) for i in range(70, 90)))
    wait_for(lambda: line_count(out) == 90, what="all 90 lines")
    stop(proc)
    want = expected(pseudolog_bin, key_file, b"".join(line(i) for i in range(90)))
    assert Counter(out.read_bytes().splitlines(keepends=True)) == Counter(want)


def test_copytruncate_rotation_reads_the_file_again_from_its_start(pseudolog_bin, key_file, tmp_path):
    src, out = tmp_path / "access.log", tmp_path / "out.log"
    src.write_bytes(b"".join(line(i) for i in range(40)))
    proc = follow_into(pseudolog_bin, key_file, tmp_path, src, "-o", str(out))
    wait_for(lambda: line_count(out) == 40)
    (tmp_path / "access.log.1").write_bytes(src.read_bytes())  # copy ...
    with src.open("r+b") as f:  # ... truncate, and the writer goes on at the start
        f.truncate(0)
    time.sleep(0.5)
    with src.open("ab") as f:
        f.write(b"".join(line(i) for i in range(40, 45)))
    wait_for(lambda: line_count(out) == 45)
    err = stop(proc)
    assert b"copytruncate" in err
    want = expected(pseudolog_bin, key_file, b"".join(line(i) for i in range(45)))
    assert out.read_bytes().splitlines(keepends=True) == want


class Writer(threading.Thread):
    """Appends numbered lines in uneven bursts (so partial lines are common) and rotates by rename once."""

    def __init__(self, path: Path, total: int, dated) -> None:
        super().__init__(daemon=True)
        self.path, self.total, self.dated = path, total, dated
        self.written: list[bytes] = []

    def run(self) -> None:
        rng = random.Random(7)
        handle = self.path.open("ab", buffering=0)
        pending = b""
        for i in range(self.total):
            text = self.dated(i)
            self.written.append(text)
            pending += text
            if i == self.total // 2:
                handle.write(pending)
                pending = b""
                os.rename(self.path, self.path.with_name(self.path.name + ".1"))
            elif i == self.total // 2 + 300:  # late lines went to the renamed file; now reopen
                handle.write(pending)
                pending = b""
                handle.close()
                handle = self.path.open("ab", buffering=0)
            if len(pending) > rng.randint(2000, 20000):
                cut = rng.randint(1, len(pending) - 1)  # flush mid-line
                handle.write(pending[:cut])
                pending = pending[cut:]
                time.sleep(0.002)
        handle.write(pending)
        handle.close()


@pytest.mark.parametrize("sink", ["file", "window-dir"])
def test_sigkill_and_rotation_leave_every_line_exactly_once(pseudolog_bin, key_file, tmp_path, sink):
    src, st = tmp_path / "app.log", tmp_path / "st"
    total = 20000
    out_args = ("-o", str(tmp_path / "out.log")) if sink == "file" else ("--output-dir", str(tmp_path / "out"))
    args = ("--key-file", str(key_file), "--state-dir", str(st), *out_args, "--rotate-wait", "2", *FMT, str(src))

    def outputs() -> list[bytes]:
        files = [tmp_path / "out.log"] if sink == "file" else sorted((tmp_path / "out").glob("*.log"))
        return [x for f in files if f.exists() for x in f.read_bytes().splitlines(keepends=True)]

    writer = Writer(src, total, lambda i: line(i, day=21 + (i // 1500) % 2))
    src.touch()
    # The sidecar runs before the writer starts, as in production: its first act is a checkpoint of the
    # input's identity. (Without one, a rotation before any follower ever ran is the operator's first
    # start, and a renamed file it never saw is rightly not read: that is what the test used to race.)
    proc = start(pseudolog_bin, *args)
    wait_for(lambda: (st / "checkpoint.json").exists(), timeout=120, what="the first checkpoint")
    writer.start()
    rng = random.Random(11)
    kills = 0
    while writer.is_alive() or kills < 4:
        if kills:
            proc = start(pseudolog_bin, *args)
        time.sleep(rng.uniform(0.15, 0.7))  # a kill at any moment must be safe: the moment is not the test
        proc.kill()
        proc.wait()
        kills += 1
    writer.join()
    proc = start(pseudolog_bin, *args)
    wait_for(lambda: len(outputs()) >= total, timeout=600, what="every line")
    time.sleep(0.5)
    stop(proc)
    want = expected(pseudolog_bin, key_file, b"".join(writer.written))
    got = outputs()
    missing, doubled = Counter(want) - Counter(got), Counter(got) - Counter(want)
    assert not missing and not doubled, (kills, sum(missing.values()), sum(doubled.values()))
    if sink == "window-dir":
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["2026-11-21.log", "2026-11-22.log"]
        assert all(b"[22/Nov/2026" in x for x in (tmp_path / "out" / "2026-11-22.log").read_bytes().splitlines())


def test_a_crash_before_the_first_read_then_a_rotation_loses_nothing(pseudolog_bin, key_file, tmp_path):
    """The checkpoint written before anything is read names the input by inode: after a SIGKILL and a
    rotation while stopped, the restart finds the renamed file and reads it from its start."""
    src, out, st = tmp_path / "app.log", tmp_path / "out.log", tmp_path / "st"
    args = ("--key-file", str(key_file), "--state-dir", str(st), "-o", str(out), *FMT, str(src))
    src.touch()
    proc = start(pseudolog_bin, *args)
    wait_for(lambda: (st / "checkpoint.json").exists(), timeout=120, what="the first checkpoint")
    proc.kill()
    proc.wait()
    with src.open("ab") as f:
        f.write(b"".join(line(i) for i in range(30)))
    os.rename(src, tmp_path / "app.log.1")
    src.write_bytes(b"".join(line(i) for i in range(30, 40)))
    proc = start(pseudolog_bin, *args)
    wait_for(lambda: line_count(out) >= 40, timeout=120, what="all 40 lines")
    stop(proc)
    want = expected(pseudolog_bin, key_file, b"".join(line(i) for i in range(40)))
    assert Counter(out.read_bytes().splitlines(keepends=True)) == Counter(want)


def test_window_files_expire_with_retention(pseudolog_bin, key_file, tmp_path):
    """Window files this follower wrote are deleted once past retention; other files in the directory are not
    its own and stay."""
    out = tmp_path / "out"
    out.mkdir()
    now = time.time()
    day = 86400

    def stamped(t: float, i: int) -> bytes:
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))
        return f'198.51.100.{i} - - [{stamp}] "GET / HTTP/1.1" 200 1 "-" "t"\n'.encode()

    stale = out / time.strftime("%Y-%m-%d.log", time.gmtime(now - 10 * day))
    unrelated = out / "README"
    unrelated.write_bytes(b"kept\n")
    src = tmp_path / "access.log"
    src.write_bytes(stamped(now - 10 * day, 0))
    proc = follow_into(pseudolog_bin, key_file, tmp_path, src, "--output-dir", str(out))  # no retention yet
    wait_for(lambda: line_count(stale) == 1, what="the old window's file")
    stop(proc)
    with src.open("ab") as f:
        f.write(stamped(now - 5 * day, 1) + stamped(now - day, 2) + stamped(now, 3))
    proc = follow_into(pseudolog_bin, key_file, tmp_path, src, "--output-dir", str(out), "--retention", "2d")
    wait_for(lambda: len(list(out.glob("*.log"))) == 2 and not stale.exists(), what="window files")
    err = stop(proc)
    names = sorted(p.name for p in out.glob("*.log"))
    assert names == sorted({time.strftime("%Y-%m-%d.log", time.gmtime(t)) for t in (now - day, now)})
    assert unrelated.exists()
    assert b"deleted 1 window file(s) past retention" in err
    assert b"1 dropped" in err  # the line from five days ago
    assert all(p.stat().st_mode & 0o077 in (0, 0o040) for p in out.glob("*.log"))


def test_sighup_reopens_the_output_after_logrotate_and_rereads_the_config(pseudolog_bin, key_file, tmp_path):
    src, out = tmp_path / "access.log", tmp_path / "out.log"
    other_key = tmp_path / "other.key"
    other_key.write_bytes(bytes(range(100, 132)))
    other_key.chmod(0o600)
    config = tmp_path / "follow.toml"
    config.write_text(
        f'key-file = "{key_file}"\nstate-dir = "{tmp_path / "st"}"\noutput = "{out}"\n'
        f'format = "nginx_combined"\ninputs = ["{src}"]\n'
    )
    src.write_bytes(line(1))
    proc = start(pseudolog_bin, "--config", str(config))
    wait_for(lambda: line_count(out) == 1)
    os.rename(out, tmp_path / "out.log.1")
    config.write_text(config.read_text().replace(str(key_file), str(other_key)))
    proc.send_signal(signal.SIGHUP)
    # The reload reopens (creates) the output after the new key is in place: a line sent before may take the old.
    wait_for(lambda: out.exists(), what="the reload to reopen the output")
    with src.open("ab") as f:
        f.write(line(1))
    wait_for(lambda: line_count(out) == 1, what="the line in the reopened output")
    config.write_text("this is = not toml [")
    proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    with src.open("ab") as f:
        f.write(line(1))
    wait_for(lambda: line_count(out) == 2)
    err = stop(proc)
    first, second = (tmp_path / "out.log.1").read_bytes(), out.read_bytes().splitlines(keepends=True)
    assert first.split(b" ")[0] != second[0].split(b" ")[0]  # the new key took effect
    assert second[0] == second[1]  # the broken config left the running one in place
    assert b"reload failed, running configuration kept" in err


def test_systemd_notifications(pseudolog_bin, key_file, tmp_path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(tmp_path / "notify"))
    server.settimeout(0.2)
    messages: list[str] = []
    done = threading.Event()

    def collect() -> None:
        while not done.is_set():
            try:
                messages.append(server.recv(4096).decode())
            except TimeoutError:
                continue

    threading.Thread(target=collect, daemon=True).start()
    src = tmp_path / "access.log"
    src.write_bytes(b"".join(line(i) for i in range(20)))
    env = clean_env(NOTIFY_SOCKET=str(tmp_path / "notify"), WATCHDOG_USEC="400000")
    proc = follow_into(
        pseudolog_bin,
        key_file,
        tmp_path,
        src,
        "-o",
        str(tmp_path / "out.log"),
        "--config",
        str(_status_config(tmp_path)),
        env=env,
    )
    wait_for(lambda: any(m.startswith("READY=1") for m in messages), what="READY=1")
    wait_for(lambda: sum("WATCHDOG=1" in m for m in messages) >= 3, what="watchdog pings")
    wait_for(lambda: any("20 in, 20 out" in m for m in messages), what="a STATUS with counters")
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: any(m.startswith("RELOADING=1") for m in messages), what="RELOADING=1")
    stop(proc)
    wait_for(lambda: any(m.startswith("STOPPING=1") for m in messages), what="STOPPING=1 collected")
    done.set()
    kinds = [m.split("=", 1)[0] for m in messages if not m.startswith("WATCHDOG")]
    assert kinds[0] == "READY" and kinds[-1] == "STOPPING"
    reloading = kinds.index("RELOADING")
    assert "READY" in kinds[reloading:]
    status = next(m for m in messages if "lines/s" in m)
    assert "masked" in status and "lag" in status
    assert not any("203.0.113" in m or "4930" in m for m in messages)


def _status_config(tmp_path: Path) -> Path:
    path = tmp_path / "status.toml"
    path.write_text("status-interval = 0.2\n")
    return path


def test_standard_input_ends_with_its_input_and_keeps_the_last_partial_line(pseudolog_bin, key_file, tmp_path):
    data = b"".join(line(i) for i in range(30)) + b"last line 192.0.2.44 without newline"
    proc = subprocess.run(
        [pseudolog_bin, "follow", "--key-file", str(key_file), *FMT, "-"],
        input=data,
        capture_output=True,
        env=clean_env(),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(b"\n") == 30 and proc.stdout.endswith(b"without newline")
    assert b"192.0.2.44" not in proc.stdout and b"203.0.113" not in proc.stdout


def test_a_fifo_outlives_its_writers(pseudolog_bin, key_file, tmp_path):
    fifo, out = tmp_path / "pipe", tmp_path / "out.log"
    os.mkfifo(fifo)
    proc = follow_into(pseudolog_bin, key_file, tmp_path, fifo, "-o", str(out))
    for batch in range(3):  # one writer after another; each closes the FIFO
        fd = os.open(fifo, os.O_WRONLY)
        os.write(fd, b"".join(line(i) for i in range(batch * 10, batch * 10 + 10)))
        os.close(fd)
        wait_for(lambda b=batch: line_count(out) == (b + 1) * 10)
    stop(proc)
    want = expected(pseudolog_bin, key_file, b"".join(line(i) for i in range(30)))
    assert out.read_bytes().splitlines(keepends=True) == want


def test_pipe_backlog_sheds_whole_lines_and_counts_them():
    from pseudolog.follow.sources import PipeSource

    source = PipeSource.__new__(PipeSource)
    source.backlog, source.backlog_limit, source.shed_lines = 100, 120, 0
    kept = source._shed(b"end of line\n" + b"whole line\n" * 5 + b"start of next")
    assert kept == b"end of line\nstart of next"
    assert source.shed_lines == 5
    source.backlog = 0
    assert source._shed(b"x\n" * 10) == b"x\n" * 10  # under the limit nothing is shed


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ((), "at least one INPUT"),
        (("access.log",), "--state-dir"),
        (("--state-dir", "st", "access.log"), "needs a key that survives restarts"),
        (("--config", "missing.toml", "access.log"), "missing.toml does not exist"),
        (("--config", "bad.toml", "access.log"), "unknown setting 'colour'"),
        (("--state-dir", "st", "--output-dir", "o", "--window", "none", "--key-file", "KEY", "access.log"), "window"),
        (("--state-dir", "st", "-o", "a", "--output-dir", "o", "access.log"), "either --output or --output-dir"),
        (("--state-dir", "st", "--backlog", "lots", "--key-file", "KEY", "access.log"), "backlog"),
    ],
)
def test_follow_user_errors_are_one_line(pseudolog_bin, key_file, tmp_path, args, needle):
    (tmp_path / "bad.toml").write_text('colour = "blue"\n')
    args = tuple(str(key_file) if a == "KEY" else a for a in args)
    proc = subprocess.run(
        [pseudolog_bin, "follow", *args], capture_output=True, env=clean_env(), cwd=tmp_path, timeout=30
    )
    assert_one_line_error(proc, needle)


def test_command_line_wins_over_the_config_file(tmp_path):
    from pseudolog.follow.settings import resolve

    config = tmp_path / "c.toml"
    config.write_text('inputs = "a.log"\nwindow = "12h"\nkeep = ["mac-oui"]\nstate-dir = "/s"\npoll-interval = "2s"\n')
    s = resolve({"window": "1d", "inputs": None, "keep": None}, str(config))
    assert (s.window, s.inputs, s.keep, s.state_dir, s.poll_interval) == ("1d", ("a.log",), ("mac-oui",), "/s", 2.0)


def test_second_follower_on_one_state_dir_is_refused(pseudolog_bin, key_file, tmp_path):
    src = tmp_path / "a.log"
    src.write_bytes(line(1))
    args = ("--key-file", str(key_file), "--state-dir", str(tmp_path / "st"), "-o", str(tmp_path / "o.log"), str(src))
    first = start(pseudolog_bin, *args)
    wait_for(lambda: line_count(tmp_path / "o.log") == 1)
    second = subprocess.run([pseudolog_bin, "follow", *args], capture_output=True, env=clean_env(), timeout=30)
    assert_one_line_error(second, "another pseudolog follow is using the state directory")
    stop(first)


def test_follow_with_a_keyring_writes_what_run_writes(pseudolog_bin, tmp_path):
    ring, src, out = tmp_path / "ring", tmp_path / "access.log", tmp_path / "out.log"
    subprocess.run(
        [pseudolog_bin, "keys", "rotate", "--keyring", str(ring), "--now", "2026-11-21T00:00:00Z", "--ahead", "1h"],
        check=True,
        capture_output=True,
    )
    src.write_bytes(line(1) + line(2, day=22))  # the 22nd has no key: masked, never raw
    proc = start(
        pseudolog_bin, "--keyring", str(ring), "--state-dir", str(tmp_path / "st"), "-o", str(out), *FMT, str(src)
    )
    wait_for(lambda: line_count(out) == 2)
    err = stop(proc)
    want = subprocess.run(
        [pseudolog_bin, "run", "--keyring", str(ring), *FMT, str(src)], capture_output=True, env=clean_env(), check=True
    ).stdout
    assert out.read_bytes() == want
    assert b"203.0.113" not in want and b"MASKED" in want.splitlines()[1]
    assert b"1 masked" in err


def test_output_fed_by_a_pipe_is_never_cut_back(pseudolog_bin, key_file, tmp_path):
    """Pipe lines cannot be read again, so lines written after the last checkpoint must stay."""
    out = tmp_path / "out.log"
    args = [pseudolog_bin, "follow", "--key-file", str(key_file), "--state-dir", str(tmp_path / "st"), "-o", str(out)]
    subprocess.run([*args, *FMT, "-"], input=line(1) * 10, env=clean_env(), check=True, capture_output=True)
    with out.open("ab") as f:  # as if a crash came after these were written and before the checkpoint
        f.write(b"written after the checkpoint\n" * 5)
    subprocess.run([*args, *FMT, "-"], input=line(2) * 3, env=clean_env(), check=True, capture_output=True)
    assert line_count(out) == 18


def test_a_task_limit_that_refuses_the_pipe_reader_is_one_line(pseudolog_bin, key_file, tmp_path, task_limit):
    """The follower reads a pipe on a thread of its own; a task limit (systemd's TasksMax=) that refuses it stops
    the follower with one line naming the input and the limit, not an internal failure, and nothing is written."""
    out = tmp_path / "out.log"
    follow = [pseudolog_bin, "follow", "--key-file", str(key_file), "--state-dir", str(tmp_path / "st"), "-o", str(out)]
    proc = subprocess.run(
        [*task_limit(1), *follow, *FMT, "-"],
        input=line(1) * 3,
        env=clean_env(),
        capture_output=True,
        timeout=60,
    )
    assert_one_line_error(proc, "cannot read standard input: the system refused a thread", "TasksMax=")
    assert proc.returncode == 3
    assert not out.exists() or out.read_bytes() == b""


def test_a_write_cut_short_by_a_full_output_leaves_no_joined_line(pseudolog_bin, key_file, tmp_path):
    """A file size limit (as a full disk does) cuts a write short: the follower stops with one line, and the half
    line it left is ended at the next start instead of joined with the next line. Lines from a pipe cannot be read
    again, so what was written stays; each line of the output is a whole line of tokens."""
    out = tmp_path / "out.log"
    args = [pseudolog_bin, "follow", "--key-file", str(key_file), "--state-dir", str(tmp_path / "st"), "-o", str(out)]
    limited = ["prlimit", f"--fsize={len(line(1)) * 3 + 10}"]
    proc = subprocess.run([*limited, *args, *FMT, "-"], input=b"".join(map(line, range(40))), capture_output=True)
    assert_one_line_error(proc, "cannot write output", "File too large")
    torn = out.read_bytes()
    assert torn and not torn.endswith(b"\n")
    proc = subprocess.run([*args, *FMT, "-"], input=line(7), env=clean_env(), capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert b"its last line had no line end; one was added" in proc.stderr
    seventh = subprocess.run(
        [pseudolog_bin, "run", "--key-file", str(key_file), *FMT], input=line(7), capture_output=True, check=True
    ).stdout
    assert out.read_bytes() == torn + b"\n" + seventh
    assert seventh.startswith(b"IP-") and b"203.0.113" not in seventh


def test_a_checkpoint_cut_short_is_never_committed(pseudolog_bin, key_file, tmp_path):
    """A file size limit cuts the checkpoint's write short: the follower stops with one line, the truncated
    temporary file never replaces the checkpoint, and the next start follows from what was checkpointed."""
    log = tmp_path / "in.log"
    log.write_bytes(line(1))
    out = tmp_path / "out.log"
    state = tmp_path / "st"
    args = [pseudolog_bin, "follow", "--key-file", str(key_file), "--state-dir", str(state), "-o", str(out)]
    proc = subprocess.run(
        ["prlimit", "--fsize=120", *args, *FMT, str(log)], env=clean_env(), capture_output=True, timeout=60
    )
    assert_one_line_error(proc, "cannot write checkpoint", "File too large")
    assert proc.returncode == 3
    assert not (state / "checkpoint.json").exists()
    follower = follow_into(pseudolog_bin, key_file, tmp_path, log, "-o", str(out))
    wait_for(lambda: line_count(out) == 1, what="the line written")
    follower.send_signal(signal.SIGTERM)
    assert follower.wait(timeout=30) == 0
    assert line_count(out) == 1


def test_an_over_long_line_in_progress_at_a_stop_goes_on_whole(pseudolog_bin, key_file, tmp_path):
    """A line longer than --max-line is written in segments as it comes. The source's framer alone cuts it (the
    engine framed it again once, and held up to a segment that a stop lost while the checkpoint counted it
    read). Stopped inside the line and started again, the output is what `run` writes for the whole file: no
    segment lost, no line end added inside the line."""
    log = tmp_path / "in.log"
    words = "".join(f"word{i:06d} 10.{i % 250}.{i // 250 % 250}.7 " for i in range(10000))
    log.write_text("first line\n" + words)
    out = tmp_path / "out.log"
    follower = follow_into(pseudolog_bin, key_file, tmp_path, log, "--max-line", "64K", "-o", str(out))
    wait_for(lambda: out.exists() and out.stat().st_size > 128 << 10, what="segments of the long line")
    follower.send_signal(signal.SIGTERM)
    assert follower.wait(timeout=30) == 0
    with log.open("a") as fh:
        fh.write(" end\nlast line\n")
    follower = follow_into(pseudolog_bin, key_file, tmp_path, log, "--max-line", "64K", "-o", str(out))
    wait_for(lambda: line_count(out) == 3, what="the rest of the long line and the last line")
    follower.send_signal(signal.SIGTERM)
    _, err = follower.communicate(timeout=30)
    assert follower.returncode == 0
    assert b"no line end" not in err
    want = subprocess.run(
        [pseudolog_bin, "run", "--key-file", str(key_file), "--max-line", "64K", *FMT, str(log)],
        capture_output=True,
        check=True,
    ).stdout
    assert out.read_bytes() == want
    assert b"word009999" in want and b"10.0.0.7" not in want


@pytest.mark.parametrize(
    "document",
    [
        b"not json",
        b"",
        b'{"version":1,"inputs":{},"outp',
        b"[]",
        b"null",
        b'{"version":1,"inputs":[],"outputs":{}}',
        b'{"version":1,"inputs":{"x":1},"outputs":{}}',
        b'{"version":1,"inputs":{},"outputs":[]}',
        b'{"version":1,"inputs":{},"outputs":{"OUT":{"dev":1,"ino":2,"length":-5}}}',
        b'{"version":1,"inputs":{"IN":{"current":{"dev":1,"ino":2,"offset":-7}}},"outputs":{}}',
        b'{"version":1,"inputs":{"IN":{"current":{"dev":1,"ino":2,"offset":"7"}}},"outputs":{}}',
        b'{"version":1,"inputs":{"IN":{"mid_line":1}},"outputs":{}}',
        b'{"version":1,"inputs":{"IN":{"current":{"dev":1,"ino":2,"offset":7,"long_line":1}}},"outputs":{}}',
    ],
)
def test_a_checkpoint_that_is_not_one_is_refused_in_one_line(pseudolog_bin, key_file, tmp_path, document):
    """Corrupt, truncated, or JSON of another shape or with negative or non-numeric places: never an internal
    failure, never a seek or cut to where no checkpoint could point; the output is left as it was."""
    log, out, state = tmp_path / "in.log", tmp_path / "out.log", tmp_path / "st"
    log.write_bytes(line(1))
    out.write_bytes(b"kept\n")
    state.mkdir()
    document = document.replace(b"OUT", str(out).encode()).replace(b"IN", str(log).encode())
    (state / "checkpoint.json").write_bytes(document)
    args = ["--key-file", str(key_file), "--state-dir", str(state), "-o", str(out), *FMT, str(log)]
    proc = subprocess.run([pseudolog_bin, "follow", *args], env=clean_env(), capture_output=True, timeout=60)
    assert_one_line_error(proc, "checkpoint", "is unreadable; move it away")
    assert proc.returncode == 2
    assert out.read_bytes() == b"kept\n"


def test_an_input_name_that_is_not_utf8_is_one_line(pseudolog_bin, key_file, tmp_path):
    """The checkpoint records inputs by name in JSON: a name that is not UTF-8 is refused in one line, shown
    escaped, before anything is written (it was an internal failure)."""
    name = os.fsdecode(bytes(tmp_path) + b"/\xff.log")
    Path(name).write_bytes(line(1))
    state = tmp_path / "st"
    args = ["--key-file", str(key_file), "--state-dir", str(state), "-o", str(tmp_path / "out.log"), *FMT, name]
    proc = subprocess.run([pseudolog_bin, "follow", *args], env=clean_env(), capture_output=True, timeout=60)
    assert_one_line_error(proc, "\\xff.log: its name is not UTF-8")
    assert proc.returncode == 2
    assert not (tmp_path / "out.log").exists()


@pytest.mark.parametrize("where", ["-o", "--output-dir"])
def test_a_second_follower_on_the_same_output_is_refused(pseudolog_bin, key_file, tmp_path, where):
    """Two followers (each with its own state directory) on one output: after a crash, one cut back what the
    other had checkpointed. The output (a file, or a window directory) is locked: the second is refused in one
    line before anything is cut, and the first goes on."""
    first_log, second_log = tmp_path / "a.log", tmp_path / "b.log"
    first_log.write_bytes(b"".join(map(line, range(20))))
    second_log.write_bytes(line(99))
    target = tmp_path / ("shared.log" if where == "-o" else "windows")
    first = follow_into(pseudolog_bin, key_file, tmp_path / "a", first_log, where, str(target))
    outputs = (lambda: [target]) if where == "-o" else (lambda: list(target.glob("*.log")))
    # All 20 lines, not just the window file: it is created before its lines are written.
    wait_for(lambda: sum(map(line_count, outputs())) == 20, what="the first follower's lines")
    before = {p: p.read_bytes() for p in outputs()}
    args = ["--key-file", str(key_file), "--state-dir", str(tmp_path / "b" / "st"), where, str(target)]
    proc = subprocess.run([pseudolog_bin, "follow", *args, *FMT, str(second_log)], env=clean_env(), capture_output=True)
    assert_one_line_error(proc, "another pseudolog follow is writing output", "give each its own")
    assert proc.returncode == 2
    assert {p: p.read_bytes() for p in before} == before
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 0


def _write_fifo(fifo: Path, data: bytes) -> None:
    fd = os.open(fifo, os.O_WRONLY)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def test_a_stop_inside_a_piped_line_writes_it_and_masks_both_halves_of_the_word_at_the_stop(
    pseudolog_bin, key_file, tmp_path
):
    """A pipe cannot be read again: a stop writes the line in progress as a line of its own and says so. The
    number it stopped inside is split between this run and the next, so the word on each side of the stop is
    masked, as at an unsafe cut of an over-long line: neither run writes a digit of the subscriber's number."""
    fifo, out = tmp_path / "pipe", tmp_path / "out.log"
    os.mkfifo(fifo)
    proc = follow_into(pseudolog_bin, key_file, tmp_path, fifo, "-o", str(out))
    _write_fifo(fifo, line(1) + line(2) + b"call to +49 30 12")
    wait_for(lambda: line_count(out) == 2, what="two lines")
    err = stop(proc)
    assert b"stopped inside a line; what had come of it was written as a line of its own" in err
    assert b"30 12" not in err
    written = out.read_bytes().splitlines(keepends=True)
    assert written[:2] == expected(pseudolog_bin, key_file, line(1) + line(2))
    assert written[2] == b"call to +49 30 MASKED\n"

    # A start that is given nothing before its stop still owes the mask: no blank line, and the next one masks.
    checkpoint = tmp_path / "st" / "checkpoint.json"
    saved = checkpoint.stat().st_mtime_ns
    proc = follow_into(pseudolog_bin, key_file, tmp_path, fifo, "-o", str(out))
    wait_for(lambda: checkpoint.stat().st_mtime_ns != saved, what="the start's first checkpoint")
    assert b"stopped inside a line" not in stop(proc)
    assert line_count(out) == 3
    proc = follow_into(pseudolog_bin, key_file, tmp_path, fifo, "-o", str(out))
    _write_fifo(fifo, b"34567 answered\n" + line(3))
    wait_for(lambda: line_count(out) == 5, what="the next run's lines")
    err = stop(proc)
    assert b"stopped inside a line" not in err
    written = out.read_bytes().splitlines(keepends=True)
    assert written[3] == b"MASKED answered\n"
    assert written[4:] == expected(pseudolog_bin, key_file, line(3))
    assert b"12" not in b"".join(written[2:4]) and b"34567" not in out.read_bytes()


def test_a_stop_renders_all_a_pipe_gave(tmp_path):
    """What the reader thread took from the pipe and the follower has not read yet is handed over at the stop,
    not dropped with the thread."""
    from pseudolog.follow.sources import PipeSource
    from pseudolog.io.wake import Wake

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    wake = Wake()
    source = PipeSource(str(fifo), 1 << 16, 1 << 20, wake, mid_line=False)
    data = b"".join(line(i) for i in range(200)) + b"half a line"
    _write_fifo(fifo, data)
    wait_for(lambda: source.backlog == len(data), what="the reader to take everything")
    more = b" and its end\n" + b"another half"
    _write_fifo(fifo, more)  # still in the pipe, or just taken: either way it is written
    pieces = source.stop()
    source.close()
    wake.close()
    assert b"".join(p.data for p in pieces) == data + more + b"\n"
    assert pieces[-1].masked_tail and source.cut_at_stop
    assert source.state() is not None and source.state().mid_line


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_an_output_that_is_not_a_file_is_refused_at_once(pseudolog_bin, key_file, tmp_path, kind):
    """A FIFO with no reader held follow in open(), deaf to SIGTERM; /dev/null failed at the first fsync with a bare
    'Invalid argument'. Both are one line naming the output, before anything is read."""
    log = tmp_path / "in.log"
    log.write_bytes(line(1))
    out = tmp_path / "out.fifo"
    if kind == "fifo":
        os.mkfifo(out)
    else:
        out = Path(os.devnull)
    args = ["--key-file", str(key_file), "--state-dir", str(tmp_path / "st"), "-o", str(out), *FMT, str(log)]
    proc = subprocess.run(
        [pseudolog_bin, "follow", *args],
        env=clean_env(),
        capture_output=True,
        timeout=60,
    )
    assert_one_line_error(proc, f"output {out} is not a regular file", "--output -")
    assert proc.returncode == 3


def test_a_file_descriptor_limit_is_one_line_naming_what_it_refused(pseudolog_bin, key_file, tmp_path):
    """Under a tight RLIMIT_NOFILE (a container's, or systemd's LimitNOFILE=) every start either follows its inputs
    or stops with one line that names what could not be opened. A FIFO whose reader could not get its descriptors
    had been taken for a file and failed with a bare 'Illegal seek'."""
    import resource

    fifo, log = tmp_path / "pipe", tmp_path / "in.log"
    os.mkfifo(fifo)
    log.write_bytes(line(1))
    refused = 0
    limits = range(5, 25)  # from too few to start, to enough with room for another interpreter's needs
    for limit in limits:
        out = tmp_path / f"out{limit}.log"
        args = ["--key-file", str(key_file), "--state-dir", str(tmp_path / f"st{limit}"), "-o", str(out)]
        proc = start(
            pseudolog_bin,
            *args,
            *FMT,
            str(log),
            str(fifo),
            preexec_fn=lambda n=limit: resource.setrlimit(resource.RLIMIT_NOFILE, (n, n)),
        )
        wait_for(lambda p=proc, o=out: p.poll() is not None or line_count(o) == 1, what="a start or a refusal")
        if proc.poll() is None:
            stop(proc)
            continue
        refused += 1
        err = proc.stderr.read().decode()
        proc.stderr.close()
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert "Too many open files" in err, err
        assert any(
            words in err for words in ("cannot open", "cannot read", "cannot write", "cannot use", "LimitNOFILE=")
        ), err
        assert "Illegal seek" not in err
    assert 0 < refused < len(limits)  # the sweep spans both sides of the limit this start needs


def test_a_burst_of_signals_never_hangs_the_follower(pseudolog_bin, key_file, tmp_path):
    """Reloads asked for in a burst, while a FIFO's reader wakes the loop, and then a stop: it ends, cleanly.
    The handlers had set a threading.Event, whose lock the main thread may hold when a handler runs there; a
    signal at that moment hung the follower for ever (CI met it once, on a SIGTERM)."""
    fifo, log, out = tmp_path / "pipe", tmp_path / "in.log", tmp_path / "out.log"
    os.mkfifo(fifo)
    log.write_bytes(line(1))
    proc = start(
        pseudolog_bin,
        *("--key-file", str(key_file), "--state-dir", str(tmp_path / "st"), "--poll-interval", "10ms"),
        *("-o", str(out), *FMT, str(log), str(fifo)),
    )
    try:
        wait_for(lambda: line_count(out) == 1, what="the first line")
        writer = os.open(fifo, os.O_WRONLY)
        try:
            written, deadline = 1, time.monotonic() + 2  # long enough to meet the loop's lock many times
            while time.monotonic() < deadline:
                written += 1
                os.write(writer, line(written))
                for _ in range(5):
                    proc.send_signal(signal.SIGHUP)
            wait_for(lambda: line_count(out) == written, what="the piped lines (or the follower hung)")
        finally:
            os.close(writer)
        stop(proc)
    finally:
        if proc.poll() is None:  # hung: not left behind
            proc.kill()
            proc.wait()
