"""A real rsyslog on both sides of pseudolog: shipping its output (imfile -> TCP on loopback) and feeding it
(omprog -> `pseudolog follow -` / `pseudolog run`). rsyslogd runs in the foreground with a throwaway
configuration; `.ci/run` installs the Debian package when it is missing."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from tests.test_follow import FMT, clean_env, expected, follow_into, line, stop, wait_for

RSYSLOGD = shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd" if Path("/usr/sbin/rsyslogd").exists() else None)
pytestmark = pytest.mark.skipif(RSYSLOGD is None, reason="rsyslogd is not installed (Debian package rsyslog)")


def rsyslog(tmp_path: Path, body: str) -> subprocess.Popen:
    work = tmp_path / "rsyslog-work"
    work.mkdir()
    config = tmp_path / "rsyslog.conf"
    config.write_text(
        f'global(workDirectory="{work}")\n'
        'module(load="imfile" mode="polling" PollingInterval="1")\n'
        'template(name="line" type="string" string="%msg%\\n")\n' + body
    )
    check = subprocess.run([RSYSLOGD, "-N1", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert RSYSLOGD is not None
    return subprocess.Popen(
        [RSYSLOGD, "-n", "-f", str(config), "-i", str(tmp_path / "rsyslogd.pid")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=clean_env(),
    )


def end(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)


class Listener(threading.Thread):
    """A TCP receiver on loopback standing in for the log server."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.data = bytearray()

    def run(self) -> None:
        while True:
            conn, _ = self.server.accept()
            with conn:
                while chunk := conn.recv(65536):
                    self.data += chunk


def test_rsyslog_ships_pseudolog_output_over_tcp(pseudolog_bin, key_file, tmp_path):
    src, out = tmp_path / "access.log", tmp_path / "out.log"
    src.write_bytes(b"".join(line(i) for i in range(200)))
    follower = follow_into(pseudolog_bin, key_file, tmp_path, src, "-o", str(out))
    listener = Listener()
    listener.start()
    shipper = rsyslog(
        tmp_path,
        f'input(type="imfile" File="{out}" Tag="pseudolog" ruleset="ship")\n'
        'ruleset(name="ship") { action(type="omfwd" target="127.0.0.1" port="'
        f'{listener.port}" protocol="tcp" template="line") }}\n',
    )
    try:
        wait_for(lambda: listener.data.count(b"\n") == 200, timeout=60, what="200 lines at the listener")
        with src.open("ab") as f:  # and lines that arrive while both run
            f.write(b"".join(line(i) for i in range(200, 250)))
        wait_for(lambda: listener.data.count(b"\n") == 250, timeout=60, what="250 lines at the listener")
    finally:
        end(shipper)
        stop(follower)
    received = bytes(listener.data).splitlines(keepends=True)
    assert received == out.read_bytes().splitlines(keepends=True)
    assert received == expected(pseudolog_bin, key_file, src.read_bytes())
    assert b"203.0.113." not in listener.data and b"4930" not in listener.data


@pytest.mark.parametrize("command", ["follow", "run"])
def test_rsyslog_omprog_feeds_pseudolog(pseudolog_bin, key_file, tmp_path, command):
    src, out = tmp_path / "access.log", tmp_path / "out.log"
    src.write_bytes(b"".join(line(i) for i in range(150)))
    args = ["--key-file", str(key_file), "-o", str(out), *FMT]
    if command == "follow":
        args += ["--state-dir", str(tmp_path / "st"), "-"]
    binary = " ".join([pseudolog_bin, command, *args])
    # At its shutdown rsyslog waits closeTimeout (5 s by default) for the child to end, then leaves it and stops
    # capturing its stderr: the child's last line (its counts) must not depend on ending within 5 s.
    shipper = rsyslog(
        tmp_path,
        'module(load="omprog")\n'
        f'input(type="imfile" File="{src}" Tag="app" ruleset="filter")\n'
        f'ruleset(name="filter") {{ action(type="omprog" binary="{binary}" template="line" closeTimeout="20000" '
        f'output="{tmp_path / "child.err"}") }}\n',
    )
    try:
        wait_for(lambda: out.exists() and out.read_bytes().count(b"\n") == 150, timeout=60, what="150 lines")
    finally:
        end(shipper)
    assert out.read_bytes().splitlines(keepends=True) == expected(pseudolog_bin, key_file, src.read_bytes())
    child_err = (tmp_path / "child.err").read_bytes() if (tmp_path / "child.err").exists() else b""
    assert b"Traceback" not in child_err and b"error" not in child_err
    if command == "follow":  # rsyslog closed the pipe on shutdown: follow ended cleanly at end of input
        assert b"follow stopped: 150 line(s) in, 150 out" in child_err
