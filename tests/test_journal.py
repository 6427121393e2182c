"""`follow --journal` and `run --journal-export` against real journal files: entries written in the export
format, turned into journal files by systemd-journal-remote, read back by the real journalctl. Also
`--metrics-file`, read with Prometheus' own parser."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.test_cli_e2e import assert_one_line_error
from tests.test_follow import clean_env, start, stop, wait_for

JOURNALCTL = shutil.which("journalctl")
_REMOTES = ("/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote")
REMOTE = next((p for p in _REMOTES if os.access(p, os.X_OK)), None)
pytestmark = pytest.mark.skipif(
    JOURNALCTL is None or REMOTE is None,
    reason="needs journalctl and systemd-journal-remote (Debian packages systemd, systemd-journal-remote)",
)
BOOT = "5d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a"
T0 = int(time.time()) - 3600  # an hour ago: inside a day's window and any retention the tests use
LINE = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 sip1 [a-z]+\[\d+\]: .*\n$")


def entry(i: int, ident: str, message: str | bytes, boot: str = BOOT, **extra: str) -> bytes:
    """One entry in the journal export format (MESSAGE binary when it holds a newline or is not text)."""
    usec = (T0 + i) * 1_000_000 + 123
    fields = {
        "__REALTIME_TIMESTAMP": str(usec),
        "__MONOTONIC_TIMESTAMP": str((i + 1_000_000) * 1_000_000 + 123),
        "_BOOT_ID": boot,
        "_HOSTNAME": "sip1",
        "SYSLOG_IDENTIFIER": ident,
        "_PID": str(1000 + len(ident)),
        "_SYSTEMD_UNIT": f"{ident}.service",
        **extra,
    }
    out = b"".join(f"{k}={v}\n".encode() for k, v in fields.items())
    raw = message.encode() if isinstance(message, str) else message
    if b"\n" in raw or not raw.isascii():
        out += b"MESSAGE\n" + struct.pack("<Q", len(raw)) + raw + b"\n"
    else:
        out += b"MESSAGE=" + raw + b"\n"
    return out + b"\n"


def phone(i: int) -> str:
    return f"+4930{1234567 + i * 7919}"


def addr(i: int) -> str:
    return f"198.51.{100 + i // 250 % 4}.{i % 250 + 1}"


def telephony(i: int) -> bytes:
    """Kamailio and Asterisk in turn, each with a caller number and a client address in MESSAGE."""
    if i % 2:
        msg = f"NOTICE: <script>: New request - M=INVITE F=sip:{phone(i)}@pbx.example IP={addr(i)}:5060 n={i}"
        return entry(i, "kamailio", msg)
    return entry(i, "asterisk", f"NOTICE[{i}]: Registration from '<sip:{phone(i)}@pbx>' failed for '{addr(i)}:5060'")


def write_journal(path: Path, export: bytes) -> None:
    assert REMOTE is not None
    subprocess.run([REMOTE, f"--output={path}", "-"], input=export, check=True, capture_output=True, timeout=60)


def journal_dir(tmp_path: Path, export: bytes, name: str = "a") -> Path:
    d = tmp_path / "journal"
    d.mkdir(exist_ok=True)
    write_journal(d / f"{name}.journal", export)
    return d


def follow_journal(bin_: str, key_file: Path, tmp_path: Path, jdir: Path, *extra: str, env=None, **kw):
    return start(
        bin_,
        "--journal",
        "--journal-dir",
        str(jdir),
        "--key-file",
        str(key_file),
        "--state-dir",
        str(tmp_path / "st"),
        "-o",
        str(tmp_path / "out.log"),
        *extra,
        env=env,
        **kw,
    )


def out_lines(tmp_path: Path) -> list[bytes]:
    path = tmp_path / "out.log"
    return path.read_bytes().splitlines(keepends=True) if path.exists() else []


def dump(jdir: Path) -> bytes:
    """What an operator's `journalctl -o export` dump of the directory holds (with cursors)."""
    assert JOURNALCTL is not None
    return subprocess.run([JOURNALCTL, f"--directory={jdir}", "-o", "export"], capture_output=True, check=True).stdout


def run_export(bin_: str, key_file: Path, export: bytes, *extra: str) -> list[bytes]:
    proc = subprocess.run(
        [bin_, "run", "--key-file", str(key_file), "--journal-export", "-", *extra],
        input=export,
        capture_output=True,
        env=clean_env(),
        check=True,
    )
    return proc.stdout.splitlines(keepends=True)


def test_entries_become_syslog_lines_without_a_raw_identifier(pseudolog_bin, key_file, tmp_path):
    """Every entry is one rsyslog-layout line (a multi-line message too), with the entry's own time, no raw
    number or address left, and the same bytes `run --journal-export` writes for the same dump."""
    n = 40
    export = b"".join(telephony(i) for i in range(n)) + entry(n, "kamailio", f"two\nlines {phone(n)}")
    jdir = journal_dir(tmp_path, export)
    proc = follow_journal(pseudolog_bin, key_file, tmp_path, jdir, "--format", "syslog_rfc3164")
    wait_for(lambda: len(out_lines(tmp_path)) >= n + 1, what="every entry")
    stop(proc)
    got = out_lines(tmp_path)
    assert len(got) == n + 1
    assert all(LINE.match(x) for x in got), got[:3]
    first_stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(T0)).encode() + b".000123+00:00 sip1 asterisk[1008]: "
    assert got[0].startswith(first_stamp)
    assert b"#012lines PHONE-" in got[-1]
    text = b"".join(got)
    for i in range(n + 1):
        assert phone(i)[1:].encode() not in text and addr(i).encode() + b":" not in text
    assert text.count(b"PHONE-") == n + 1 and text.count(b"IP-") == n
    assert got == run_export(pseudolog_bin, key_file, dump(jdir), "--format", "syslog_rfc3164")
    stats = subprocess.run(
        [pseudolog_bin, "run", "--key-file", str(key_file), "--format", "syslog_rfc3164", "--stats"],
        input=b"".join(got),
        capture_output=True,
        env=clean_env(),
        check=True,
    )
    assert json.loads(stats.stderr)["formats"] == {"syslog_rfc3164": n + 1}  # the layout reads as that format
    scan = subprocess.run([pseudolog_bin, "scan"], input=text, capture_output=True, env=clean_env())
    assert scan.returncode == 0, scan.stdout


def test_json_entries_keep_their_fields_and_lose_identifiers_in_every_field(pseudolog_bin, key_file, tmp_path):
    """`--journal-format json`: the journal's fields kept; identifiers replaced in any field, with the JSON key
    rules of `run` (a CALLER field's bare number is a phone number) and a non-UTF-8 byte not hiding one."""
    export = b"".join(
        entry(i, "kamailio", f"call from {phone(i)}", CALLER=f"4915{i:08d}", _CMDLINE=f"sipp {addr(i)}")
        for i in range(5)
    ) + entry(5, "asterisk", b"caller \xff" + phone(5).encode())
    jdir = journal_dir(tmp_path, export)
    proc = follow_journal(pseudolog_bin, key_file, tmp_path, jdir, "--journal-format", "json")
    wait_for(lambda: len(out_lines(tmp_path)) >= 6, what="every entry")
    stop(proc)
    got = out_lines(tmp_path)
    objs = [json.loads(x) for x in got]
    for i, obj in enumerate(objs[:5]):
        assert obj["SYSLOG_IDENTIFIER"] == "kamailio" and obj["_PID"] == "1008" and obj["__CURSOR"].startswith("s=")
        assert obj["__REALTIME_TIMESTAMP"] == str((T0 + i) * 1_000_000 + 123)
        assert obj["CALLER"].startswith("PHONE-") and obj["MESSAGE"].startswith("call from PHONE-")
        assert obj["_CMDLINE"].startswith("sipp IP-")
    assert objs[5]["MESSAGE"].startswith("caller \ufffdPHONE-")
    text = b"".join(got)
    for i in range(6):
        assert phone(i)[1:].encode() not in text and f"4915{i:08d}".encode() not in text
    assert got == run_export(pseudolog_bin, key_file, dump(jdir), "--journal-format", "json")


@pytest.mark.parametrize(
    ("args", "idents"),
    [
        (["--unit", "kamailio"], {"kamailio"}),
        (["--identifier", "asterisk"], {"asterisk"}),
        (["--unit", "kamailio.service", "--identifier", "asterisk"], {"kamailio", "asterisk"}),
        ([], {"kamailio", "asterisk", "sshd"}),
    ],
)
def test_unit_and_identifier_select_entries(pseudolog_bin, key_file, tmp_path, args, idents):
    """--unit and --identifier select entries; an entry matching any of them is read."""
    export = b"".join(telephony(i) for i in range(10)) + entry(10, "sshd", f"Accepted key from {addr(10)}")
    # the newest entry matches every selection: once it is written, every entry before it was looked at
    marker = entry(11, "asterisk", "marker", _SYSTEMD_UNIT="kamailio.service")
    jdir = journal_dir(tmp_path, export + marker)
    want = sum(1 for i in range(10) if ("kamailio" if i % 2 else "asterisk") in idents) + ("sshd" in idents)
    proc = follow_journal(pseudolog_bin, key_file, tmp_path, jdir, *args)
    wait_for(lambda: b"marker" in b"".join(out_lines(tmp_path)), what="the newest entry")
    stop(proc)
    lines = out_lines(tmp_path)[:-1]
    got = {re.search(rb" ([a-z]+)\[", x).group(1).decode() for x in lines}
    assert len(lines) == want and got == idents


class JournalWriter(threading.Thread):
    """Appends journal files to the directory while the follower is killed and restarted: each file a
    batch of later entries, written by systemd-journal-remote into the same directory."""

    def __init__(self, jdir: Path, start_at: int, batches: int, size: int) -> None:
        super().__init__(daemon=True)
        self.jdir, self.start_at, self.batches, self.size = jdir, start_at, batches, size
        self.export: list[bytes] = []

    def run(self) -> None:
        i = self.start_at
        for b in range(self.batches):
            data = b"".join(telephony(j) for j in range(i, i + self.size))
            write_journal(self.jdir / f"b{b}.journal", data)
            self.export.append(data)
            i += self.size
            time.sleep(1.0)


def test_sigkill_at_random_points_leaves_every_entry_exactly_once(pseudolog_bin, key_file, tmp_path):
    """SIGKILL at random moments, each after the follower has started (its first checkpoint is written),
    while new journal files arrive: after a restart, every entry is in the output exactly once, in order."""
    first = b"".join(telephony(i) for i in range(20000))
    jdir = journal_dir(tmp_path, first)
    writer = JournalWriter(jdir, 20000, batches=8, size=2000)
    total = 20000 + 8 * 2000
    args = ("--format", "syslog_rfc3164")
    checkpoint = tmp_path / "st" / "checkpoint.json"

    def stamp() -> int:
        return checkpoint.stat().st_mtime_ns if checkpoint.exists() else 0

    def cursor() -> str | None:
        return json.loads(checkpoint.read_bytes())["inputs"]["journal"]["cursor"] if checkpoint.exists() else None

    rng = random.Random(24)
    writer.start()
    kills = resumed = 0
    while writer.is_alive() or kills < 6 or (resumed < 2 and len(out_lines(tmp_path)) < total):
        before, cursor_before = stamp(), cursor()
        proc = follow_journal(pseudolog_bin, key_file, tmp_path, jdir, *args)
        wait_for(lambda before=before: stamp() != before, what="the follower's first checkpoint")
        time.sleep(rng.uniform(0.0, 2.5))
        proc.kill()
        proc.wait()
        kills += 1
        resumed += cursor_before is not None and cursor() != cursor_before  # went on from a checkpoint
    writer.join()
    before = stamp()
    proc = follow_journal(pseudolog_bin, key_file, tmp_path, jdir, *args)
    # Up (its first checkpoint is written once its stop handler is in place) before the output can be judged:
    # the killed followers may already have written every entry, and a stop during start-up is the default kill.
    wait_for(lambda: stamp() != before, what="the last follower's first checkpoint")
    wait_for(lambda: len(out_lines(tmp_path)) >= total, timeout=120, what="every entry")
    time.sleep(0.5)
    stop(proc)
    want = run_export(pseudolog_bin, key_file, dump(jdir), *args)
    got = out_lines(tmp_path)
    assert len(want) == total
    missing, doubled = Counter(want) - Counter(got), Counter(got) - Counter(want)
    assert not missing and not doubled, (kills, sum(missing.values()), sum(doubled.values()))
    assert got == want  # and in the journal's order
    assert resumed >= 2, "too few kills fell between a resumed start and the end of the input"


def test_entries_of_an_earlier_boot_are_read_and_a_reboot_loses_nothing(pseudolog_bin, key_file, tmp_path):
    """journalctl --follow alone shows only the latest boot: the entries of the boot before, and a cursor
    in it after a reboot, must not be lost (nor the cursor taken for vacuumed)."""
    other = "0123456789abcdef0123456789abcdef"
    first = b"".join(entry(i, "kamailio", f"boot one {phone(i)}", boot=other) for i in range(3))
    first += b"".join(entry(i, "kamailio", f"boot two {phone(i)}") for i in range(3, 5))
    jdir = journal_dir(tmp_path, first)
    proc = follow_journal(pseudolog_bin, key_file, tmp_path, jdir)
    wait_for(lambda: len(out_lines(tmp_path)) >= 5, what="both boots' entries")
    stop(proc)
    # pseudolog stopped; the boot ends with more entries, and a new boot begins
    write_journal(jdir / "b.journal", b"".join(entry(i, "kamailio", f"late {phone(i)}") for i in range(5, 7)))
    third = "fedcba9876543210fedcba9876543210"
    boot_three = b"".join(entry(i, "kamailio", f"boot three {phone(i)}", boot=third) for i in range(7, 9))
    write_journal(jdir / "c.journal", boot_three)
    proc = follow_journal(pseudolog_bin, key_file, tmp_path, jdir)
    wait_for(lambda: len(out_lines(tmp_path)) >= 9, what="the entries after the checkpoint")
    err = stop(proc)
    assert b"no longer in the journal" not in err
    got = out_lines(tmp_path)
    texts = [x.split(b": ", 1)[1].split(b" PHONE-")[0] for x in got]
    assert texts == [b"boot one"] * 3 + [b"boot two"] * 2 + [b"late"] * 2 + [b"boot three"] * 2


def notify_socket(tmp_path: Path) -> tuple[list[str], threading.Event]:
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
        server.close()

    threading.Thread(target=collect, daemon=True).start()
    return messages, done


def metrics(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(path.read_text())
        for s in family.samples
    }


def test_a_vacuumed_cursor_is_reported_once_and_reading_resumes_at_the_oldest_entry(pseudolog_bin, key_file, tmp_path):
    """The checkpointed entry's file is vacuumed while pseudolog is stopped: said once on stderr, in STATUS
    and in the metrics; the oldest entry kept is written (journalctl --after-cursor would skip it)."""
    jdir = journal_dir(tmp_path, b"".join(telephony(i) for i in range(5)))
    proc = follow_journal(pseudolog_bin, key_file, tmp_path, jdir)
    wait_for(lambda: len(out_lines(tmp_path)) >= 5, what="the first file")
    stop(proc)
    (jdir / "a.journal").unlink()  # what journalctl --vacuum-time does to an archived file
    write_journal(jdir / "b.journal", b"".join(telephony(i) for i in range(5, 9)))
    messages, done = notify_socket(tmp_path)
    (tmp_path / "status.toml").write_text("status-interval = 0.2\n")
    env = clean_env(NOTIFY_SOCKET=str(tmp_path / "notify"))
    prom = tmp_path / "m" / "pseudolog.prom"
    prom.parent.mkdir()
    proc = follow_journal(
        pseudolog_bin,
        key_file,
        tmp_path,
        jdir,
        "--config",
        str(tmp_path / "status.toml"),
        "--metrics-file",
        str(prom),
        env=env,
    )
    wait_for(lambda: len(out_lines(tmp_path)) >= 9, what="the second file")
    wait_for(lambda: any("vacuumed" in m for m in messages), what="a STATUS naming the vacuumed cursor")
    wait_for(lambda: prom.exists() and metrics(prom).get(("pseudolog_journal_cursor_lost", ())) == 1, what="metrics")
    err = stop(proc).decode()
    done.set()
    assert err.count("no longer in the journal") == 1, err
    got = out_lines(tmp_path)
    assert len(got) == 9 and got[5] == run_export(pseudolog_bin, key_file, telephony(5))[0]
    assert not any(phone(i)[1:] in m or addr(i) in m for m in messages for i in range(9))


def test_metrics_file_reads_with_the_prometheus_parser(pseudolog_bin, key_file, tmp_path):
    """--metrics-file: counts, identifiers by kind, lag, checkpoint age and window, written by rename."""
    jdir = journal_dir(tmp_path, b"".join(telephony(i) for i in range(20)))
    src = tmp_path / "app.log"
    src.write_bytes(b"".join(f"Nov 21 10:00:{i:02d} h app[1]: from {addr(i)}\n".encode() for i in range(3)))
    prom = tmp_path / "node-exporter" / "pseudolog.prom"
    prom.parent.mkdir()
    proc = follow_journal(
        pseudolog_bin,
        key_file,
        tmp_path,
        jdir,
        "--metrics-file",
        str(prom),
        str(src),
        umask=0o027,  # the unit's
    )

    def counted(n: int) -> bool:
        return prom.exists() and metrics(prom).get(("pseudolog_lines_out_total", ())) == n

    wait_for(lambda: counted(23), what="the metrics file with every line counted")
    # a reload replaces the engines: their counts carry over, and the journal goes on
    proc.send_signal(signal.SIGHUP)
    write_journal(jdir / "b.journal", b"".join(telephony(i) for i in range(20, 22)))
    wait_for(lambda: counted(25), what="the entries after the reload, counted")
    stop(proc)
    assert len(out_lines(tmp_path)) == 25
    m = metrics(prom)
    assert m[("pseudolog_lines_in_total", ())] == 25
    assert m[("pseudolog_identifiers_replaced_total", (("kind", "phone"),))] == 22
    assert m[("pseudolog_identifiers_replaced_total", (("kind", "ip"),))] == 25
    assert m[("pseudolog_lines_dropped_total", (("reason", "retention"),))] == 0
    assert m[("pseudolog_lines_shed_total", ())] == 0 and m[("pseudolog_lines_masked_total", ())] == 0
    assert m[("pseudolog_lag_bytes", ())] == 0 and m[("pseudolog_journal_lag_entries", ())] == 0
    assert m[("pseudolog_journal_cursor_lost", ())] == 0
    assert 0 <= m[("pseudolog_seconds_since_checkpoint", ())] < 60
    assert m[("pseudolog_window_seconds", ())] == 86400
    assert abs(m[("pseudolog_last_update_timestamp_seconds", ())] - time.time()) < 60
    assert os.listdir(prom.parent) == ["pseudolog.prom"]  # the temporary file was renamed, not left
    assert prom.stat().st_mode & 0o777 == 0o644  # node_exporter, another user, reads it
    text = prom.read_text()
    assert not any(phone(i)[1:] in text or addr(i) in text for i in range(20))


def test_retention_uses_the_entry_time(pseudolog_bin, key_file, tmp_path):
    """An entry older than --retention by its own __REALTIME_TIMESTAMP is dropped; a recent one is kept."""
    old = entry(-3 * 86400, "kamailio", f"old {phone(1)}")
    new = entry(0, "kamailio", f"new {phone(2)}")
    jdir = journal_dir(tmp_path, old + new)
    for fmt in ("line", "json"):
        out = tmp_path / f"{fmt}.log"
        proc = start(
            pseudolog_bin,
            "--journal",
            "--journal-dir",
            str(jdir),
            "--journal-format",
            fmt,
            "--retention",
            "1d",
            "--key-file",
            str(key_file),
            "--state-dir",
            str(tmp_path / f"st-{fmt}"),
            "-o",
            str(out),
        )
        wait_for(lambda out=out: out.exists() and b"new" in out.read_bytes(), what="the recent entry")
        err = stop(proc)
        assert out.read_bytes().count(b"\n") == 1 and b"old" not in out.read_bytes()
        assert b"1 dropped" in err


def test_window_files_follow_the_entry_time(pseudolog_bin, key_file, tmp_path):
    """--output-dir: an entry goes to the window file of its own day, JSON entries too."""
    midnight = int(time.time()) // 86400 * 86400
    export = entry(midnight - 1 - T0, "kamailio", f"before {phone(1)}") + entry(midnight + 1 - T0, "kamailio", "after")
    jdir = journal_dir(tmp_path, export)
    days = [time.strftime("%Y-%m-%d", time.gmtime(t)) + ".log" for t in (midnight - 1, midnight + 1)]
    for fmt in ("line", "json"):
        out = tmp_path / f"out-{fmt}"
        proc = start(
            pseudolog_bin,
            *("--journal", "--journal-dir", str(jdir), "--journal-format", fmt, "--key-file", str(key_file)),
            *("--state-dir", str(tmp_path / f"st-{fmt}"), "--output-dir", str(out)),
        )
        wait_for(lambda out=out: (out / days[1]).exists() and (out / days[1]).stat().st_size, what="the new day")
        stop(proc)
        assert sorted(p.name for p in out.iterdir()) == days
        assert b"before PHONE-" in (out / days[0]).read_bytes() and b"after" in (out / days[1]).read_bytes()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--unit", "kamailio"], "--unit selects journal entries: it needs --journal"),
        (["--journal", "--journal-format", "xml"], "--journal-format must be line or json"),
        (["--journal", "--journal-dir", "/nonexistent/journal"], "is not a directory"),
        (["--journal", "--identifier", "a b"], "plain name"),
        (["--journal", "--metrics-file", "/tmp"], "--metrics-file must name a file"),
    ],
)
def test_journal_user_errors_are_one_line(pseudolog_bin, key_file, tmp_path, args, needle):
    proc = subprocess.run(
        [pseudolog_bin, "follow", "--key-file", str(key_file), "--state-dir", str(tmp_path / "st"), *args],
        capture_output=True,
        env=clean_env(),
        timeout=60,
    )
    assert_one_line_error(proc, needle)
    assert proc.returncode == 2


def test_without_journalctl_the_error_says_what_to_install(pseudolog_bin, key_file, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    proc = subprocess.run(
        [pseudolog_bin, "follow", "--journal", "--key-file", str(key_file), "--state-dir", str(tmp_path / "st")],
        capture_output=True,
        env=clean_env(PATH=str(bindir)),
        timeout=60,
    )
    assert_one_line_error(proc, "--journal needs journalctl")
    assert proc.returncode == 2


def test_journal_export_errors_are_one_line(pseudolog_bin, key_file, tmp_path):
    for input_, extra, needle in (
        (b"MESSAGE\n\x05\x00", [], "ends inside a field"),
        (b"", ["--journal-format", "yaml"], "--journal-format must be line or json"),
        (b"", ["x.log"], "give no INPUT files"),
    ):
        proc = subprocess.run(
            [pseudolog_bin, "run", "--key-file", str(key_file), "--journal-export", "-", *extra],
            input=input_,
            capture_output=True,
            env=clean_env(),
        )
        assert_one_line_error(proc, needle)


def test_journalctl_failing_is_one_line_error(pseudolog_bin, key_file, tmp_path):
    """A checkpoint cursor journalctl cannot read ends follow with one line and exit 1, no traceback."""
    jdir = journal_dir(tmp_path, telephony(0))
    st = tmp_path / "st"
    st.mkdir()
    (st / "checkpoint.json").write_text('{"version":1,"inputs":{"journal":{"cursor":"not-a-cursor"}},"outputs":{}}')
    proc = follow_journal(pseudolog_bin, key_file, tmp_path, jdir)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3 and b"Traceback" not in err  # an input that cannot be read (README, exit codes)
    assert err.decode().strip().splitlines()[-1].startswith("pseudolog: error: journalctl stopped: ")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_no_journalctl_is_left_behind(pseudolog_bin, key_file, tmp_path, sig):
    """The journalctl child ends with follow, on SIGTERM and on SIGKILL alike (it is not left following the
    journal forever)."""
    jdir = journal_dir(tmp_path, telephony(0))
    proc = follow_journal(pseudolog_bin, key_file, tmp_path, jdir)
    wait_for(lambda: len(out_lines(tmp_path)) >= 1, what="the entry")
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    assert children
    proc.send_signal(sig)
    proc.communicate(timeout=30)
    for pid in children:
        wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists() or _zombie(pid), what="journalctl to end")


def _zombie(pid: str) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except OSError:
        return True
