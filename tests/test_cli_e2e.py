"""The installed `pseudolog` script in real pipes: the command-line contract as users see it."""

from __future__ import annotations

import array
import contextlib
import fcntl
import os
import select
import signal
import subprocess
import termios
import threading
import time
from pathlib import Path

import orjson
import pytest

from tests.conftest import REQUIRED_FORMATS

NGINX = (
    b'203.0.113.7 - - [21/Nov/2026:10:15:32 +0000] "GET /call?to=%2B4930123456 HTTP/1.1" 200 512 "-" '
    b'"Mozilla/5.0 (X11) Chrome/120.0.0.0 Safari/537.36"\n'
)
RAW = (b"203.0.113.7", b"4930123456")


def run(bin_: str, *args: str, stdin: bytes = b"", env: dict | None = None, timeout: float = 60):
    full_env = {k: v for k, v in os.environ.items() if k not in ("PSEUDOLOG_KEY_FILE", "CREDENTIALS_DIRECTORY")}
    full_env.update(env or {})
    return subprocess.run([bin_, *args], input=stdin, capture_output=True, env=full_env, timeout=timeout)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("pseudolog: error: ")
    for needle in needles:
        assert needle in err


def test_run_filters_stdin_with_an_ephemeral_key(pseudolog_bin):
    proc = run(pseudolog_bin, "run", stdin=NGINX * 3)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert len(lines) == 3 and len(set(lines)) == 1  # consistent within the run
    assert not any(raw in proc.stdout for raw in RAW)
    assert proc.stderr.decode().count("random key") == 1


def test_ephemeral_runs_are_unlinkable(pseudolog_bin):
    assert run(pseudolog_bin, "run", stdin=NGINX).stdout != run(pseudolog_bin, "run", stdin=NGINX).stdout


def test_same_key_file_same_output(pseudolog_bin, key_file, tmp_path):
    a = run(pseudolog_bin, "run", "--key-file", str(key_file), stdin=NGINX)
    b = run(pseudolog_bin, "run", stdin=NGINX, env={"PSEUDOLOG_KEY_FILE": str(key_file)})
    cred = tmp_path / "creds"
    cred.mkdir()
    (cred / "pseudolog.key").write_bytes(key_file.read_bytes())
    os.chmod(cred / "pseudolog.key", 0o400)
    c = run(pseudolog_bin, "run", stdin=NGINX, env={"CREDENTIALS_DIRECTORY": str(cred)})
    assert a.stdout == b.stdout == c.stdout
    assert a.stderr == b"" and c.stderr == b""


def test_files_in_order_to_output_file(pseudolog_bin, key_file, tmp_path):
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    first.write_bytes(b"2026-11-21T10:00:00Z one 192.0.2.1\n")
    second.write_bytes(b"2026-11-21T10:00:01Z two 192.0.2.2\nlast line without newline")
    out = tmp_path / "out.log"
    proc = run(
        pseudolog_bin,
        "run",
        "--key-file",
        str(key_file),
        "-o",
        str(out),
        str(first),
        "-",
        str(second),
        stdin=b"from stdin\n",
    )
    assert proc.returncode == 0, proc.stderr
    lines = out.read_bytes().split(b"\n")
    assert lines[0].split(b" ")[1] == b"one" and lines[1] == b"from stdin"
    assert lines[2].split(b" ")[1] == b"two"
    assert lines[-1] == b"last line without newline"
    assert b"192.0.2" not in out.read_bytes()


def test_stats_is_json_without_values(pseudolog_bin, key_file):
    proc = run(
        pseudolog_bin,
        "run",
        "--key-file",
        str(key_file),
        "--stats",
        "--now",
        "2026-11-22T00:00:00Z",
        "--retention",
        "1d",
        stdin=NGINX + b'192.0.2.9 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"\n',
    )
    stats = orjson.loads(proc.stderr)
    assert stats["lines_in"] == 2 and stats["lines_out"] == 1 and stats["dropped"] == {"retention": 1}
    assert stats["replaced"] == {"ip": 1, "phone": 1}
    assert not any(raw in proc.stderr for raw in (*RAW, b"192.0.2.9"))
    assert key_file.read_bytes().hex() not in proc.stderr.decode()


@pytest.mark.parametrize(
    ("kind", "value", "line"),
    [
        ("ip", "203.0.113.7", b"2026-11-21T10:00:00Z client 203.0.113.7:5060\n"),
        ("ip", "2001:db8::1", b"2026-11-21T10:00:00Z client [2001:DB8:0::1]:5060\n"),
        ("phone", "+49 30 1234567", b"2026-11-21T10:00:00Z INVITE sip:0301234567@pbx\n"),
        ("phone", "030 1234567", b"2026-11-21T10:00:00Z from=+49301234567;\n"),
        ("mac", "00:15:65:ab:cd:ef", b"2026-11-21T10:00:00Z GET /001565ABCDEF.cfg\n"),
        ("imei", "490154203237518", b"2026-11-21T10:00:00Z imei=49015420323751 8x 490154203237518\n"),
    ],
)
def test_lookup_agrees_with_run(pseudolog_bin, key_file, kind, value, line):
    out = run(pseudolog_bin, "run", "--key-file", str(key_file), "--window", "1d", stdin=line).stdout
    token = run(
        pseudolog_bin,
        "lookup",
        "--key-file",
        str(key_file),
        "--window",
        "1d",
        "--at",
        "2026-11-21T23:00:00Z",
        kind,
        value,
    ).stdout.strip()
    assert token and token in out
    other_day = run(
        pseudolog_bin, "lookup", "--key-file", str(key_file), "--at", "2026-11-22T00:00:00Z", kind, value
    ).stdout.strip()
    assert other_day != token


def test_lookup_refuses_bad_values_without_echoing_them(pseudolog_bin, key_file):
    proc = run(pseudolog_bin, "lookup", "--key-file", str(key_file), "--at", "2026-11-21", "ip", "300.1.2.3")
    assert_one_line_error(proc, "not a valid ip")
    assert "300.1.2.3" not in proc.stderr.decode()


def test_keys_init_writes_0600_and_never_overwrites(pseudolog_bin, tmp_path):
    path = tmp_path / "k"
    assert run(pseudolog_bin, "keys", "init", str(path)).returncode == 0
    assert path.stat().st_mode & 0o777 == 0o600 and len(path.read_bytes()) == 32
    before = path.read_bytes()
    assert_one_line_error(run(pseudolog_bin, "keys", "init", str(path)), "refusing to overwrite")
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "--window", "3x"], "--window"),
        (["run", "--retention", "soon"], "--retention"),
        (["run", "--format", "nope"], "unknown format"),
        (["run", "--log-format", "$remote_addr $"], "log_format"),
        (["run", "/nonexistent/input.log"], "cannot read input"),
        (["run", "--key-file", "/nonexistent/key"], "does not exist"),
        (["run", "--region", "XX"], "--region"),
        (["run", "--now", "whenever"], "--now"),
        (["run", "--no-such-option"], "No such option"),
        (["lookup", "--at", "2026-11-21", "ip", "192.0.2.1"], "--key-file"),
        (["lookup", "--at", "2026-11-21", "--key-file", "/nonexistent", "ip", "192.0.2.1"], "does not exist"),
    ],
)
def test_user_errors_are_one_line(pseudolog_bin, args, needle):
    proc = run(pseudolog_bin, *args, stdin=NGINX)
    assert_one_line_error(proc, needle)
    assert proc.stdout == b""  # nothing half-written


def test_group_readable_key_is_refused(pseudolog_bin, key_file):
    os.chmod(key_file, 0o640)
    assert_one_line_error(run(pseudolog_bin, "run", "--key-file", str(key_file), stdin=NGINX), "chmod 600")


def test_short_key_is_refused(pseudolog_bin, tmp_path):
    short = tmp_path / "short"
    short.write_bytes(b"x" * 16)
    os.chmod(short, 0o600)
    assert_one_line_error(run(pseudolog_bin, "run", "--key-file", str(short), stdin=NGINX), "at least 32")


def test_formats_lists_every_format_with_a_sample(pseudolog_bin):
    out = run(pseudolog_bin, "formats").stdout.decode()
    for name in REQUIRED_FORMATS:
        assert f"{name}: " in out


def test_a_line_comes_out_promptly_while_input_stays_open(pseudolog_bin, key_file):
    """As `tail -F ... | pseudolog run` or Apache's piped CustomLog: no waiting for more input."""
    proc = subprocess.Popen(
        [pseudolog_bin, "run", "--key-file", str(key_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # No clock in the assertion: each line must come out while the input stays open and before the next
        # is sent; the generous wait only bounds a hang, it never decides a pass on a loaded machine.
        for _ in range(2):
            proc.stdin.write(NGINX)
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, "no output while the input stays open"
            line = proc.stdout.readline()
            assert line.startswith(b"IP-")
    finally:
        proc.stdin.close()
        proc.wait(10)
    assert proc.returncode == 0


def test_reader_going_away_is_quiet(pseudolog_bin, key_file, tmp_path):
    big = tmp_path / "big.log"
    big.write_bytes(NGINX * 50000)
    proc = subprocess.run(
        f"'{pseudolog_bin}' run --key-file '{key_file}' '{big}' | head -1", shell=True, capture_output=True, timeout=60
    )
    assert proc.stdout.startswith(b"IP-")
    assert b"Traceback" not in proc.stderr and proc.stderr == b""


def test_progress_bar_only_on_a_terminal(pseudolog_bin, key_file, tmp_path):
    import pty

    log = tmp_path / "a.log"
    log.write_bytes(NGINX * 2000)
    plain = run(pseudolog_bin, "run", "--key-file", str(key_file), str(log))
    assert plain.stderr == b""
    leader, follower = pty.openpty()
    proc = subprocess.run(
        [pseudolog_bin, "run", "--key-file", str(key_file), str(log)],
        stdout=subprocess.PIPE,
        stderr=follower,
        timeout=60,
    )
    os.close(follower)
    shown = b""
    while select.select([leader], [], [], 0.2)[0]:
        try:
            shown += os.read(leader, 65536)
        except OSError:
            break
    os.close(leader)
    assert proc.stdout == plain.stdout
    assert b"pseudolog" in shown  # rich drew the bar on the terminal


def test_python_m_entry_point(pseudolog_bin):
    import sys

    proc = subprocess.run([sys.executable, "-m", "pseudolog", "--version"], capture_output=True, timeout=30)
    assert proc.returncode == 0 and proc.stdout.startswith(b"pseudolog ")


def test_help_for_every_command(pseudolog_bin):
    for args in (
        ["--help"],
        ["run", "--help"],
        ["lookup", "--help"],
        ["keys", "init", "--help"],
        ["formats", "--help"],
    ):
        proc = run(pseudolog_bin, *args)
        assert proc.returncode == 0 and b"Usage" in proc.stdout


def test_input_path_is_a_directory(pseudolog_bin, tmp_path):
    assert_one_line_error(run(pseudolog_bin, "run", str(tmp_path)), "directory")


def test_unwritable_output(pseudolog_bin):
    assert_one_line_error(run(pseudolog_bin, "run", "-o", "/nonexistent/dir/out.log", stdin=NGINX), "cannot write")


def test_bench_measures_hand_written_and_format_corpora(pseudolog_bin):
    proc = run(pseudolog_bin, "bench", "--corpus", "kamailio", "--corpus", "cdr_csv", "--lines", "1000")
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.decode().splitlines()[1:-1]]
    assert [row[0] for row in rows] == ["kamailio", "cdr_csv"]
    for row in rows:
        lines, lines_per_second, replaced = row[1], row[4], row[6]
        assert lines == "1,000" and float(lines_per_second.replace(",", "")) > 0
        assert int(replaced.replace(",", "")) >= 1000


@pytest.mark.parametrize(
    ("args", "needle"),
    [(("--corpus", "nginx_typo"), "unknown corpus 'nginx_typo'"), (("--lines", "10"), "--lines must be between")],
)
def test_bench_refuses_an_unknown_corpus_or_a_tiny_run(pseudolog_bin, args, needle):
    assert_one_line_error(run(pseudolog_bin, "bench", *args), needle)


def _wait_for(predicate, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stop_by_signal_writes_what_was_read_and_dies_of_the_signal(pseudolog_bin, key_file, tmp_path, sig):
    """`tail -F ... | pseudolog run` stopped by a service manager, a closed terminal or Ctrl-C: the lines read are
    written, the line in progress is ended with its last word masked (its rest is never read), one line says so,
    and the process dies of the signal so the shell or systemd sees why."""
    out = tmp_path / "out.log"
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [pseudolog_bin, "run", "--key-file", str(key_file)],
            stdin=subprocess.PIPE,
            stdout=sink,
            stderr=subprocess.PIPE,
            preexec_fn=_signals_at_their_defaults,
        )
    proc.stdin.write(NGINX * 3 + b"half a line from 198.51")
    proc.stdin.flush()
    _wait_for(lambda: out.read_bytes().count(b"\n") == 3, "the three whole lines")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    proc.stdin.close()
    assert proc.returncode == -sig
    assert out.read_bytes() == run(pseudolog_bin, "run", "--key-file", str(key_file), stdin=NGINX * 3).stdout + (
        b"half a line from MASKED\n"
    )
    assert err.decode() == (
        f"pseudolog: stopped by {signal.Signals(sig).name}: the 4 line(s) read were processed; "
        "the rest of the input was not read\n"
    )


def test_a_stop_while_the_output_is_full_finishes_the_write_and_a_second_ends_it_at_once(pseudolog_bin, key_file):
    """A stop that comes while `run` waits for its reader to take output ends the run after that write, at a line
    end: the output is never cut inside a line. A reader that never comes must not keep it: the second signal
    ends it at once."""
    expected_lines = set(run(pseudolog_bin, "run", "--key-file", str(key_file), stdin=NGINX).stdout.splitlines())
    # The feeder writes until run has ended: EPIPE, not SIGPIPE (an in-process CLI test may have left SIGPIPE
    # at its default in this worker, which would kill it).
    saved = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        _stop_while_the_output_is_full(pseudolog_bin, key_file, expected_lines)
    finally:
        signal.signal(signal.SIGPIPE, saved)


def _stop_while_the_output_is_full(pseudolog_bin, key_file, expected_lines: set[bytes]) -> None:
    for second in (False, True):
        read_end, write_end = os.pipe()
        proc = subprocess.Popen(
            [pseudolog_bin, "run", "--key-file", str(key_file)],
            stdin=read_end,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_signals_at_their_defaults,
        )
        os.close(read_end)
        # Fed on a thread of its own until run stops reading and ends (then the write fails with EPIPE).
        feeder = threading.Thread(target=_feed_until_closed, args=(write_end,), daemon=True)
        feeder.start()
        _wait_for(lambda p=proc: _full(p.stdout.fileno()), "run to fill its output pipe")
        proc.send_signal(signal.SIGTERM)
        if second:
            # Nobody reads, so only a second signal can end it. Two sent before the first is taken are one
            # signal to the kernel, so one is sent again until it ends (the deadline only bounds a hang).
            deadline = time.monotonic() + 60
            while proc.poll() is None:
                assert time.monotonic() < deadline, "a second SIGTERM did not end a run that waits for its reader"
                proc.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(0.5)
            out, err = proc.communicate(timeout=60)
        else:
            out, err = proc.communicate(timeout=60)
            assert out.endswith(b"\n") and len(out) > 1 << 16
            *whole, last = out.splitlines()  # the line in progress at the stop ends with its last word masked
            assert set(whole) == expected_lines and (last in expected_lines or last.endswith(b"/MASKED"))
            assert b"stopped by SIGTERM" in err
        assert proc.returncode == -signal.SIGTERM
        feeder.join(60)
        os.close(write_end)


def _feed_until_closed(fd: int) -> None:
    with contextlib.suppress(OSError):
        while True:
            os.write(fd, NGINX * 1000)


def _full(fd: int) -> bool:
    """The pipe holds all it can: its writer is blocked, or will be at its next write."""
    waiting = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, waiting)
    return waiting[0] >= fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)


def _signals_at_their_defaults() -> None:
    """In the child: the stop signals as a shell gives a foreground command, whatever this runner ignores."""
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)


def test_a_signal_the_parent_ignores_stays_ignored(pseudolog_bin, key_file):
    """`nohup pseudolog run ...`: a hangup must not stop it, as it did not before `run` handled signals."""

    def ignore_hangups() -> None:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    proc = subprocess.Popen(
        [pseudolog_bin, "run", "--key-file", str(key_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=ignore_hangups,
    )
    proc.stdin.write(NGINX)
    proc.stdin.flush()
    assert proc.stdout.readline().startswith(b"IP-")  # it reads: past its start, waiting for more
    proc.send_signal(signal.SIGHUP)
    out, err = proc.communicate(NGINX * 2, timeout=60)
    assert proc.returncode == 0 and err == b""
    assert out.count(b"\n") == 2


def test_a_stop_while_waiting_for_a_fifo_writer_ends_at_the_first_signal(pseudolog_bin, key_file, tmp_path):
    """`run FIFO` waits for a writer; systemd sends one SIGTERM and then, 90 s later, SIGKILL: the first must do."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [pseudolog_bin, "run", "--key-file", str(key_file), str(fifo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_signals_at_their_defaults,
    )
    _wait_for(lambda: _catches(proc.pid, signal.SIGTERM), "run to take SIGTERM over")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGTERM and out == b""
    assert err.decode() == (
        "pseudolog: stopped by SIGTERM: the 0 line(s) read were processed; the rest of the input was not read\n"
    )


def _catches(pid: int, sig: int) -> bool:
    """`sig` has a handler in process `pid` (SigCgt in /proc/PID/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(int(row.split()[1], 16) for row in status.splitlines() if row.startswith("SigCgt:"))
    return bool(caught >> (sig - 1) & 1)


def test_messages_never_quote_an_identifier_in_a_file_name(pseudolog_bin, key_file, tmp_path):
    """Per-host logs are often named by address (rsyslog's %fromhost-ip%) and provisioning files by MAC: a message
    that names such a file says which kind stood there, never the value."""
    missing = tmp_path / "remote" / "198.51.100.7.log"
    proc = run(pseudolog_bin, "run", "--key-file", str(key_file), str(missing))
    assert_one_line_error(proc, "remote/[ip].log")
    by_mac = tmp_path / "00:15:65:aa:bb:cc.log"
    by_mac.write_bytes(NGINX)
    proc = run(pseudolog_bin, "run", "--key-file", str(key_file), "-o", str(by_mac), str(by_mac))
    assert_one_line_error(proc, "[mac].log is input")
    assert by_mac.read_bytes() == NGINX


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("input /logs/2001:db8::7.log shrank", "input /logs/[ip].log shrank"),
        ("at dead:beef::cafe and 192.0.2.1", "at [ip] and [ip]"),
        ("cannot reach [2001:db8::5]:514 or 198.51.100.9:514", "cannot reach [ip]:514 or [ip]:514"),
        ("device 490154203237518 seen", "device [imei] seen"),
        ("the 4 line(s) read were written; window: 86400 s", "the 4 line(s) read were written; window: 86400 s"),
        ("pseudolog 0.9.1 at 12:30:45", "pseudolog 0.9.1 at 12:30:45"),
    ],
)
def test_without_identifiers(message, shown):
    from pseudolog.cli_options import without_identifiers

    assert without_identifiers(message) == shown


def test_a_stop_while_reading_a_journal_export_writes_the_entries_read(pseudolog_bin, key_file):
    """`journalctl -o export -f | pseudolog run --journal-export -` stopped: each entry read is written, the one in
    progress with the fields read whole, and the run dies of the signal after one line, as a plain `run` does."""
    entry = b"__REALTIME_TIMESTAMP=1795262400000000\n_HOSTNAME=pbx1\nSYSLOG_IDENTIFIER=kamailio\n"
    proc = subprocess.Popen(
        [pseudolog_bin, "run", "--key-file", str(key_file), "--journal-export", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_signals_at_their_defaults,
    )
    proc.stdin.write(entry + b"MESSAGE=call from 198.51.100.7\n\n" + entry + b"MESSAGE=half a fiel")
    proc.stdin.flush()
    assert b"IP-" in proc.stdout.readline()  # the first entry is out: the second waits for its blank line
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    proc.stdin.close()
    assert proc.returncode == -signal.SIGTERM
    assert out.count(b"\n") == 1 and b"kamailio" in out and b"half a fiel" not in out
    assert err.decode().startswith("pseudolog: stopped by SIGTERM: the 2 line(s) read were processed")
