"""Issue 23, through the installed script in real pipes: no option loses data, exit codes a script can
trust, help that says what to type, keys refused when they are not keys."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from pseudolog.errors import EXIT_CODES
from tests.test_cli_e2e import NGINX, RAW, assert_one_line_error, run

# -- 1. -o never destroys an input; -a appends ------------------------------------------------------


def test_output_that_is_an_input_is_refused_and_the_input_kept(pseudolog_bin, key_file, tmp_path):
    log = tmp_path / "same.log"
    log.write_bytes(NGINX * 3)
    link = tmp_path / "hardlink.log"
    os.link(log, link)
    for args, stdin in (
        (("-o", str(log), str(log)), b""),
        (("-o", str(link), str(log)), b""),  # the same inode under another name
        (("--append", "-o", str(log), str(log)), b""),
    ):
        proc = run(pseudolog_bin, "run", "--key-file", str(key_file), *args, stdin=stdin)
        assert proc.returncode == 2
        assert_one_line_error(proc, "-o/--output", "destroy")
        assert log.read_bytes() == NGINX * 3
    with log.open("rb") as same:  # `pseudolog run -o same.log < same.log`
        proc = subprocess.run(
            [pseudolog_bin, "run", "--key-file", str(key_file), "-o", str(log)], stdin=same, capture_output=True
        )
    assert proc.returncode == 2 and b"standard input" in proc.stderr
    assert log.read_bytes() == NGINX * 3


def test_append_keeps_what_earlier_runs_wrote(pseudolog_bin, key_file, tmp_path):
    out = tmp_path / "access.pseudo.log"
    first = run(pseudolog_bin, "run", "--key-file", str(key_file), "-a", "-o", str(out), stdin=NGINX)
    second = run(pseudolog_bin, "run", "--key-file", str(key_file), "--append", "-o", str(out), stdin=NGINX * 2)
    assert first.returncode == second.returncode == 0
    one = run(pseudolog_bin, "run", "--key-file", str(key_file), stdin=NGINX).stdout
    assert out.read_bytes() == one * 3
    replaced = run(pseudolog_bin, "run", "--key-file", str(key_file), "-o", str(out), stdin=NGINX)
    assert replaced.returncode == 0 and out.read_bytes() == one  # without -a: replaced, as documented
    assert_one_line_error(run(pseudolog_bin, "run", "-a", stdin=NGINX), "--append")


def test_append_after_a_half_line_starts_a_new_line(pseudolog_bin, key_file, tmp_path):
    """An output whose last line has no line end (a write cut short by a full disk, or an input that ended
    without one) gets one before the lines appended, and the run says so: no line joins another."""
    out = tmp_path / "access.pseudo.log"
    out.write_bytes(b'IP-abcdefgh - - [21/Nov/2026:10:00:00 +0000] "GET /half')
    proc = run(pseudolog_bin, "run", "--key-file", str(key_file), "-a", "-o", str(out), stdin=NGINX)
    assert proc.returncode == 0
    assert b"its last line had no line end; one was added" in proc.stderr
    one = run(pseudolog_bin, "run", "--key-file", str(key_file), stdin=NGINX).stdout
    assert out.read_bytes() == b'IP-abcdefgh - - [21/Nov/2026:10:00:00 +0000] "GET /half\n' + one
    again = run(pseudolog_bin, "run", "--key-file", str(key_file), "-a", "-o", str(out), stdin=NGINX)
    assert again.returncode == 0 and again.stderr == b""  # a whole last line: nothing added, nothing said


def test_a_full_output_is_one_line_naming_it(pseudolog_bin, key_file, tmp_path):
    """A write that fails (a full disk: /dev/full; a file size limit) ends the run with one line naming the output
    and the system's reason, and the I/O exit code."""
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [pseudolog_bin, "run", "--key-file", str(key_file)], input=NGINX * 2000, stdout=full, stderr=subprocess.PIPE
        )
    assert_one_line_error(proc, "cannot write standard output: No space left on device")
    assert proc.returncode == 3
    out = tmp_path / "out.log"
    proc = subprocess.run(
        ["prlimit", "--fsize=4096", pseudolog_bin, "run", "--key-file", str(key_file), "-o", str(out)],
        input=NGINX * 2000,
        capture_output=True,
    )
    assert_one_line_error(proc, f"cannot write output {out}: File too large")
    assert proc.returncode == 3


# -- 2. the reader going away: SIGPIPE, as a unix filter ---------------------------------------------


@pytest.fixture(scope="module")
def big_log(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.log"
    path.write_bytes(NGINX * 40000)
    return path


@pytest.mark.parametrize(
    "args",
    [("run", "{key}", "{big}"), ("run", "-j", "2", "{key}", "{big}"), ("scan", "{big}"), ("formats",)],
    ids=["run", "run-jobs-2", "scan", "formats"],
)
def test_a_closed_reader_ends_the_command_by_sigpipe(pseudolog_bin, key_file, big_log, args):
    """The read end is closed before the command writes, so its first write meets no reader: the result
    does not depend on how fast either side is."""
    argv = [a.format(big=big_log, key=f"--key-file={key_file}") for a in args]
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([pseudolog_bin, *argv], stdout=write_end, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write_end)
    assert proc.returncode == -signal.SIGPIPE, proc.stderr
    assert b"Traceback" not in proc.stderr and b"error" not in proc.stderr


def test_a_shell_sees_141_after_head(pseudolog_bin, key_file, big_log):
    script = f"'{pseudolog_bin}' run --key-file '{key_file}' '{big_log}' | head -1 >/dev/null; echo ${{PIPESTATUS[0]}}"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, timeout=120)
    assert proc.stdout.strip() == b"141" and proc.stderr == b""


# -- 3. exit codes ---------------------------------------------------------------------------------


def test_exit_codes_are_listed_in_help(pseudolog_bin):
    for flag in ("--help", "-h"):
        proc = run(pseudolog_bin, flag)
        assert proc.returncode == 0
        text = proc.stdout.decode()
        for code, meaning in EXIT_CODES:
            assert f"{code:>3}  {meaning}" in text


_WHOLE_APP_HELP = (
    "import typer.main; from pseudolog.cli import app; "
    "typer.main.get_command(app).main(['--help'], prog_name='pseudolog')"
)


def test_the_listing_is_the_whole_apps_and_completion_gets_every_option(pseudolog_bin):
    """`--help` gets the commands by name and help only (typer would build every option of every command, most
    of its start-up): it prints what the whole app prints, and shell completion still gets the whole app."""
    whole = subprocess.run([sys.executable, "-c", _WHOLE_APP_HELP], capture_output=True, timeout=60)
    assert whole.returncode == 0 and b"Commands:" in whole.stdout
    assert run(pseudolog_bin, "--help").stdout == whole.stdout
    completing = {"_PSEUDOLOG_COMPLETE": "complete_bash", "COMP_WORDS": "pseudolog run --key-f", "COMP_CWORD": "2"}
    proc = subprocess.run([pseudolog_bin], env={**os.environ, **completing}, capture_output=True, timeout=60)
    assert proc.stdout.split() == [b"--key-file", b"--key-fd"]


def test_scan_reports_an_unreadable_input_goes_on_and_exits_3(pseudolog_bin, tmp_path):
    good, clean = tmp_path / "good.log", tmp_path / "clean.log"
    good.write_bytes(NGINX)
    clean.write_bytes(b"nothing to see\n")
    proc = run(pseudolog_bin, "scan", str(tmp_path / "missing.log"), str(good))
    assert proc.returncode == 3
    assert proc.stdout.startswith(f"{good}:1:".encode())  # the later file was still scanned
    err = proc.stderr.decode()
    assert "missing.log" in err and "could not be read" in err and "Traceback" not in err
    assert not any(raw.decode() in err for raw in RAW)
    assert run(pseudolog_bin, "scan", str(good)).returncode == 1
    assert run(pseudolog_bin, "scan", str(clean)).returncode == 0


def test_run_on_an_unreadable_input_exits_3_before_writing(pseudolog_bin, tmp_path):
    out = tmp_path / "out.log"
    proc = run(pseudolog_bin, "run", "-o", str(out), str(tmp_path / "missing.log"))
    assert proc.returncode == 3
    assert_one_line_error(proc, "cannot read input")
    assert not out.exists()


def test_an_internal_failure_is_one_line_exit_4_without_the_message(monkeypatch, capsys):
    """No input reaches a bug on purpose, so this one is provoked in-process: the message of the exception
    (which may quote a log line) never reaches stderr."""
    import pseudolog.formats.registry as registry
    from pseudolog.cli import main

    def broken() -> None:
        raise RuntimeError("boom 192.0.2.1")

    monkeypatch.setattr(registry, "builtin_formats", broken)
    with pytest.raises(SystemExit) as exit_info:
        main(["formats"])
    assert exit_info.value.code == 4
    err = capsys.readouterr().err
    assert err == "pseudolog: error: internal failure (RuntimeError); please report it with the command line used\n"


# -- 5. keys init on a fresh host ------------------------------------------------------------------


def test_keys_init_creates_a_missing_directory_0700(pseudolog_bin, tmp_path):
    key = tmp_path / "etc" / "pseudolog" / "pseudolog.key"
    proc = run(pseudolog_bin, "keys", "init", str(key))
    assert proc.returncode == 0, proc.stderr
    for directory in (tmp_path / "etc", key.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    assert b"created directory" in proc.stderr
    used = run(pseudolog_bin, "run", "--key-file", str(key), stdin=NGINX)
    assert used.returncode == 0 and used.stderr == b""


# -- 6 and 7. help that tells the truth and says what to type --------------------------------------

COMMANDS = (
    ["run"],
    ["follow"],
    ["unit"],
    ["lookup"],
    ["scan"],
    ["bench"],
    ["spark"],
    ["formats"],
    ["keys", "init"],
    ["keys", "rotate"],
    ["keys", "prune"],
)


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_help_metavars_say_what_to_type(pseudolog_bin, command):
    proc = run(pseudolog_bin, *command, "-h")
    assert proc.returncode == 0 and b"Usage" in proc.stdout
    assert b"<str>" not in proc.stdout and b"<int>" not in proc.stdout


def test_help_texts_match_behaviour(pseudolog_bin):
    lookup = " ".join(run(pseudolog_bin, "lookup", "--help").stdout.decode().split())
    assert "ip, phone, mac, imei or device" in lookup and "refuses to run with a random key" in lookup
    for command in ("lookup", "follow", "spark"):  # the commands that refuse a random key never offer one
        text = " ".join(run(pseudolog_bin, command, "--help").stdout.decode().split())
        assert "else a random key" not in text and "refuses to run with a random key" in text, command
    assert "else a random key for this run only" in " ".join(run(pseudolog_bin, "run", "-h").stdout.decode().split())
    for command in ("run", "follow"):
        text = " ".join(run(pseudolog_bin, command, "--help").stdout.decode().split())
        assert "device" in text and "text" in text.split("--json-field", 1)[1].split("--", 1)[0]
        assert "--format NAME" in text and "--window DURATION" in text and "--region CC" in text


def test_completion_is_offered(pseudolog_bin):
    """`--show-completion` writes the script for the shell it runs in (typer asks the process tree), so it is
    run from bash here, as a user runs it: under a test runner whose parents hold no shell it has none to name."""
    assert b"--install-completion" in run(pseudolog_bin, "--help").stdout
    # `; exit $?` keeps bash as the parent (a lone command would be exec'd in its place).
    shown = subprocess.run(["bash", "-c", f"'{pseudolog_bin}' --show-completion; exit $?"], capture_output=True)
    assert shown.returncode == 0 and b"complete -o default -F _pseudolog_completion pseudolog" in shown.stdout


_MODULES_AFTER = (
    "import os, sys\nfrom pseudolog.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
    "open(os.environ['MODULES_OUT'], 'w').write('\\n'.join(sorted(sys.modules)))\n"
)
_NOT_FOR_RUN = ("pseudolog.follow", "pseudolog.spark", "pseudolog.find", "pseudolog.scan", "pseudolog.lookup")
_NOT_FOR_RUN += ("pseudolog.bench", "pseudolog.stats", "pseudolog.timeparse", "pyparsing", "tomllib", "rich")
_NOT_FOR_RUN += ("hashlib", "_hashlib")  # it loads OpenSSL; the core hashes the cache files' names and contents


def test_run_imports_only_what_it_uses(key_file, tmp_path):
    """Start-up is most of a short run's cost: `run` leaves the sidecar, Spark, find, scan and the pattern
    language (pyparsing, once the built-in formats' specs are cached) and hashlib unimported."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "MODULES_OUT": str(tmp_path / "modules")}
    argv = ["-c", _MODULES_AFTER, "run", "--key-file", str(key_file)]
    for _ in range(2):  # the first start builds the caches the second finds
        proc = subprocess.run([sys.executable, *argv], input=NGINX, capture_output=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(b"\n") == NGINX.count(b"\n")
    modules = (tmp_path / "modules").read_text().split()
    assert [m for m in modules if m.startswith(_NOT_FOR_RUN)] == []


def test_follow_leaves_openssl_unloaded(key_file, tmp_path):
    """A sidecar's memory: hashlib loads OpenSSL (about 4 MiB resident); the checkpoint's fingerprints come from
    the core's SHA-256, as the caches' digests do."""
    (tmp_path / "in.log").write_bytes(NGINX)
    script = (
        "import sys, threading\nfrom pseudolog.follow.follower import Follower\n"
        "cli = {'inputs': [sys.argv[1]], 'key_file': sys.argv[2], 'state_dir': sys.argv[3], 'output': sys.argv[4]}\n"
        "follower = Follower(cli, None, {}, lambda text: None)\n"
        "threading.Timer(2, follower._on_stop, (15, None)).start()\n"
        "follower.run()\nprint(sorted(m for m in sys.modules if 'hashlib' in m))\n"
    )
    paths = [str(tmp_path / name) for name in ("in.log", "k", "st", "out.log")]
    paths[1] = str(key_file)
    proc = subprocess.run([sys.executable, "-c", script, *paths], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out.log").read_bytes().count(b"\n") == NGINX.count(b"\n")  # it ran, and checkpointed
    assert proc.stdout.strip() == b"[]"


def test_formats_are_sorted(pseudolog_bin):
    lines = run(pseudolog_bin, "formats").stdout.decode().splitlines()
    names = [line.split(":", 1)[0] for line in lines if not line.startswith(" ") and line != ""][:-1]
    assert len(names) >= 10 and names == sorted(names)


def test_stats_has_one_key_per_counter(pseudolog_bin, key_file):
    stale = b'192.0.2.1 - - [01/Jan/2020:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "t"\n'
    proc = run(pseudolog_bin, "run", "--key-file", str(key_file), "--retention", "7d", "--stats", stdin=stale + NGINX)
    stats = orjson.loads(proc.stderr)
    assert stats["dropped"] == {"retention": 1}
    assert not [k for k in stats if k.startswith("dropped_")]


@pytest.mark.parametrize(
    ("typed", "suggested", "not_suggested"),
    [("--out", "--output", "--now"), ("--log", "--log-format", "--now"), ("--key", "--key-file", "--keep")],
)
def test_an_unknown_option_suggests_what_it_resembles(pseudolog_bin, typed, suggested, not_suggested):
    proc = run(pseudolog_bin, "run", typed, "x")
    assert_one_line_error(proc, f"No such option: {typed}", suggested)
    assert not_suggested not in proc.stderr.decode()
    assert proc.returncode == 2


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("run", "--jobs", "x"), "'--jobs'"),
        (("run", "--window", "soon"), "--window"),
        (("follow", "--poll-interval", "often", "--check", "-"), "--poll-interval"),
        (("follow", "--backlog", "lots", "--check", "-"), "--backlog"),
        (("run", "--json-field", "x"), "--json-field"),
        (("run", "--region", "XX"), "--region"),
        (("run", "--format", "nope"), "--format"),
        (("run", "--on-error", "keep"), "--on-error"),
        (("keys", "rotate", "--keyring", "/nonexistent/ring", "--ahead", "soon"), "--ahead"),
    ],
)
def test_option_errors_name_the_option_with_its_dashes(pseudolog_bin, key_file, args, option):
    assert_one_line_error(run(pseudolog_bin, *args, env={"PSEUDOLOG_KEY_FILE": str(key_file)}), option)


def test_follow_takes_durations_for_its_intervals(pseudolog_bin, key_file, tmp_path):
    proc = run(
        pseudolog_bin,
        "follow",
        "--check",
        "--key-file",
        str(key_file),
        "--state-dir",
        str(tmp_path / "st"),
        "--poll-interval",
        "250ms",
        "--rotate-wait",
        "1m30s",
        str(tmp_path / "app.log"),
    )
    assert proc.returncode == 0, proc.stderr


# -- 8. a wrong --format says so ---------------------------------------------------------------------


def test_a_wrong_format_is_reported_once_with_counts(pseudolog_bin, key_file):
    proc = run(pseudolog_bin, "run", "--key-file", str(key_file), "--format", "json_lines", "--stats", stdin=NGINX * 3)
    assert proc.returncode == 0
    err = proc.stderr.decode().splitlines()
    notes = [line for line in err if "did not match" in line]
    assert notes == ["pseudolog: 3 of 3 line(s) did not match format json_lines and were scanned as free text "
                     "(check --format; see --stats: unmatched)"]  # fmt: skip
    assert orjson.loads(err[0])["unmatched"] == 3
    assert not any(raw in proc.stderr for raw in RAW)
    right = run(pseudolog_bin, "run", "--key-file", str(key_file), "--format", "nginx_combined", stdin=NGINX * 3)
    auto = run(pseudolog_bin, "run", "--key-file", str(key_file), stdin=NGINX * 3)
    assert right.stderr == auto.stderr == b""


# -- 9. unit and follow --check ----------------------------------------------------------------------


def test_unit_refuses_paths_its_sandbox_hides(pseudolog_bin, tmp_path):
    etc = tmp_path / "follow.toml"
    etc.write_text('inputs = ["/var/log/nginx/access.log"]\noutput = "/home/ops/out.log"\n')
    cases = [
        (("--exec", "/home/ops/venv/bin/pseudolog", "--config", "/etc/pseudolog/none.toml"), "--exec PATH"),
        (("--exec", "/usr/local/bin/pseudolog", "--config", str(etc)), "PrivateTmp="),
    ]
    for args, needle in cases:
        proc = run(pseudolog_bin, "unit", *args)
        assert_one_line_error(proc, needle)
        assert proc.stdout == b""
    allowed = run(
        pseudolog_bin, "unit", "--exec", "/usr/local/bin/pseudolog", "--config", str(etc), "--allow-hidden-paths"
    )
    assert allowed.returncode == 0 and b"ExecStart=/usr/local/bin/pseudolog follow" in allowed.stdout


def test_unit_checks_the_config_paths(pseudolog_bin, tmp_path, monkeypatch):
    from pseudolog.follow.unit import hidden_path_problems

    problems = hidden_path_problems(
        "/usr/local/bin/pseudolog",
        "/etc/pseudolog/follow.toml",
        {"output": "/home/ops/out.log", "state_dir": "/var/lib/pseudolog", "inputs": ["/tmp/x.log"]},
    )
    assert [(what, by) for what, _, by in problems] == [("output", "ProtectHome="), ("input", "PrivateTmp=")]


def test_follow_check_validates_and_prints_the_plan_without_touching_anything(pseudolog_bin, key_file, tmp_path):
    config = tmp_path / "follow.toml"
    state, out = tmp_path / "state", tmp_path / "out" / "access.pseudo.log"
    src = tmp_path / "access.log"
    src.write_bytes(NGINX)
    config.write_text(
        f'inputs = ["{src}"]\noutput = "{out}"\nstate-dir = "{state}"\nkey-file = "{key_file}"\nretention = "7d"\n'
    )
    proc = run(pseudolog_bin, "follow", "--config", str(config), "--check")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    assert f"input: {src}" in text and f"output: {out} (appended)" in text and "key: file" in text
    assert not state.exists() and not out.parent.exists()
    bad = tmp_path / "bad.toml"
    bad.write_text(config.read_text().replace(str(key_file), str(tmp_path / "nokey")))
    assert_one_line_error(run(pseudolog_bin, "follow", "--config", str(bad), "--check"), "does not exist")
    typo = tmp_path / "typo.toml"
    typo.write_text(config.read_text() + 'windw = "1d"\n')
    assert_one_line_error(run(pseudolog_bin, "follow", "--config", str(typo), "--check"), "unknown setting")


# -- 10 and 11. keys that are not keys ---------------------------------------------------------------


def test_a_fifo_as_key_file_is_refused_at_once(pseudolog_bin, tmp_path):
    fifo = tmp_path / "key.fifo"
    os.mkfifo(fifo, 0o600)
    proc = run(pseudolog_bin, "run", "--key-file", str(fifo), stdin=NGINX, timeout=60)
    assert_one_line_error(proc, "not a regular file")
    assert proc.returncode == 2


@pytest.mark.parametrize("fd", ["0", "1", "2"])
def test_key_fd_refuses_the_standard_streams(pseudolog_bin, fd):
    proc = run(pseudolog_bin, "run", "--key-fd", fd, stdin=NGINX)
    assert_one_line_error(proc, f"--key-fd {fd}", "3 or higher")
    assert proc.stdout == b""


def _run_with_fd(bin_: str, fd: int, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [bin_, "run", "--key-fd", str(fd), *args],
        input=NGINX,
        capture_output=True,
        pass_fds=(fd,),
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_key_fd_reads_to_the_end_and_times_out_on_a_writer_that_never_closes(pseudolog_bin, key_file):
    reference = run(pseudolog_bin, "run", "--key-file", str(key_file), stdin=NGINX).stdout
    read_end, write_end = os.pipe()
    os.write(write_end, key_file.read_bytes())
    os.close(write_end)
    done = _run_with_fd(pseudolog_bin, read_end)
    os.close(read_end)
    assert done.returncode == 0 and done.stdout == reference and done.stderr == b""

    read_end, write_end = os.pipe()  # the writer keeps its end open
    os.write(write_end, key_file.read_bytes())
    try:
        started = time.monotonic()
        hung = _run_with_fd(pseudolog_bin, read_end, env={"PSEUDOLOG_KEY_FD_TIMEOUT": "1"})
        assert time.monotonic() - started < 100  # bounded by the timeout, not by the writer
    finally:
        os.close(read_end)
        os.close(write_end)
    assert_one_line_error(hung, "--key-fd", "did not end within 1 s")
    assert hung.stdout == b""


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (bytes(32), "one byte repeated"),
        (b"\xaa" * 64, "one byte repeated"),
        (b"00" * 32 + b"\n", "one byte repeated"),  # 64 hex digits of zero
        (os.urandom(4097), "longer than 4096 bytes"),
        (os.urandom(31), "at least 32"),
    ],
    ids=["zeros", "repeated", "hex-zeros", "too-long", "too-short"],
)
def test_keys_that_are_not_random_keys_are_refused(pseudolog_bin, tmp_path, content, needle):
    key = tmp_path / "bad.key"
    key.write_bytes(content)
    key.chmod(0o600)
    proc = run(pseudolog_bin, "run", "--key-file", str(key), stdin=NGINX)
    assert_one_line_error(proc, needle)
    assert content.hex() not in proc.stderr.decode() and proc.stdout == b""
    read_end, write_end = os.pipe()
    os.write(write_end, content)
    os.close(write_end)
    by_fd = _run_with_fd(pseudolog_bin, read_end)
    os.close(read_end)
    assert_one_line_error(by_fd, needle)


def test_a_key_in_a_directory_others_can_write_is_warned_about(pseudolog_bin, key_file, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    key = shared / "pseudolog.key"
    key.write_bytes(key_file.read_bytes())
    key.chmod(0o600)
    shared.chmod(0o777)
    proc = run(pseudolog_bin, "run", "--key-file", str(key), stdin=NGINX)
    assert proc.returncode == 0
    warning = proc.stderr.decode()
    assert warning.count("\n") == 1 and "writable by group or others" in warning and "chmod go-w" in warning
    assert key_file.read_bytes().hex() not in warning
    shared.chmod(0o700)
    assert run(pseudolog_bin, "run", "--key-file", str(key), stdin=NGINX).stderr == b""


# -- 12. a window whose key is gone ------------------------------------------------------------------


def test_a_past_window_without_a_key_is_explained_not_sent_to_keys_rotate(pseudolog_bin, tmp_path):
    ring = tmp_path / "ring"
    made = run(pseudolog_bin, "keys", "rotate", "--keyring", str(ring), "--now", "2026-11-20T12:00:00Z")
    assert made.returncode == 0
    past = b"2026-11-01T10:00:00Z old 192.0.2.1\n"
    proc = run(pseudolog_bin, "run", "--keyring", str(ring), "--now", "2026-11-20T12:00:00Z", stdin=past)
    assert proc.returncode == 0 and b"192.0.2.1" not in proc.stdout and b"MASKED" in proc.stdout
    err = proc.stderr.decode()
    assert "pruned" in err and "never created" in err and "masked" in err
    assert "--ahead" not in err and "192.0.2.1" not in err
    ahead = b"2026-11-30T10:00:00Z later 192.0.2.1\n"
    later = run(pseudolog_bin, "run", "--keyring", str(ring), "--now", "2026-11-20T12:00:00Z", stdin=ahead)
    assert "keys rotate --ahead" in later.stderr.decode() and "pruned" not in later.stderr.decode()


# -- closed standard streams, and outputs that are inputs -------------------------------------------


def _closing(redirect: str, argv: list[str], **kw) -> subprocess.CompletedProcess:
    """`argv` started with one of its standard streams closed (`>&-`, `<&-`, `2>&-`), as a shell does it."""
    return subprocess.run(["sh", "-c", f'exec "$@" {redirect}', "sh", *argv], capture_output=True, timeout=60, **kw)


def test_a_closed_stdout_is_refused_and_nothing_lands_in_a_file_opened_later(pseudolog_bin, key_file, tmp_path):
    """With fd 1 closed the next file opened takes its number: follow's lock once received the output, and the
    input was checkpointed as written. Writing to a closed stdout is refused instead, before any line is read."""
    log = tmp_path / "in.log"
    log.write_bytes(NGINX * 5)
    state = tmp_path / "st"
    follow = [pseudolog_bin, "follow", "--key-file", str(key_file), "--state-dir", str(state), str(log)]
    proc = _closing(">&-", follow)
    assert_one_line_error(proc, "cannot write standard output: it is closed")
    assert proc.returncode == 3
    assert not (state / "lock").exists() or (state / "lock").stat().st_size == 0
    proc = _closing(">&-", [pseudolog_bin, "run", "--key-file", str(key_file), str(log)])
    assert_one_line_error(proc, "cannot write standard output: it is closed")


def test_a_closed_stdin_is_refused_not_read_as_a_file_opened_later(pseudolog_bin, key_file, tmp_path):
    state = tmp_path / "st"
    out = tmp_path / "out.log"
    follow = [pseudolog_bin, "follow", "--key-file", str(key_file), "--state-dir", str(state), "-o", str(out), "-"]
    proc = _closing("<&-", follow)
    assert_one_line_error(proc, "cannot read standard input: it is closed")
    for args in (["-"], []):
        proc = _closing("<&-", [pseudolog_bin, "run", "--key-file", str(key_file), *args])
        assert_one_line_error(proc, "cannot read standard input: it is closed")


def test_a_closed_stderr_costs_the_messages_not_the_run(pseudolog_bin, key_file, tmp_path):
    """Nothing can be said without stderr: the run goes on (no progress bar) and writes every line."""
    log = tmp_path / "in.log"
    log.write_bytes(NGINX * 50)
    out = tmp_path / "out.log"
    out.write_bytes(b"earlier\n")
    proc = _closing("2>&-", [pseudolog_bin, "run", "--key-file", str(key_file), "-o", str(out), str(log)])
    assert proc.returncode == 0
    want = run(pseudolog_bin, "run", "--key-file", str(key_file), stdin=NGINX * 50).stdout
    assert out.read_bytes() == want


def test_stdout_that_is_an_input_is_refused(pseudolog_bin, key_file, tmp_path):
    """`run same.log >> same.log` read its own output without end; refused like `-o same.log same.log`."""
    log = tmp_path / "same.log"
    log.write_bytes(NGINX * 3)
    for argv, stdin in (([str(log)], None), (["-"], log)):
        with log.open("ab") as appended, stdin.open("rb") if stdin else open(os.devnull, "rb") as source:
            proc = subprocess.run(
                [pseudolog_bin, "run", "--key-file", str(key_file), *argv],
                stdin=source,
                stdout=appended,
                stderr=subprocess.PIPE,
                timeout=60,
            )
        assert_one_line_error(proc, "standard output is", "writing it would destroy it")
        assert proc.returncode == 2
        assert log.read_bytes() == NGINX * 3


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-o", "{in}"], "--output {in} is input {in}"),
        (["-o", "{hard}"], "--output {hard} is input {in}"),
        (["-o", "{out}", "--metrics-file", "{out}"], "--metrics-file {out} is also --output"),
        (["--metrics-file", "{in}"], "--metrics-file {in} is input {in}"),
        (["-o", "{st}/checkpoint.json"], "is the follower's own checkpoint.json"),
        (["-o", "{st}/lock"], "is the follower's own lock"),
        (["--output-dir", "{dir}"], "lies in --output-dir"),
    ],
    ids=[
        "output-is-input",
        "output-is-a-hard-link",
        "metrics-is-output",
        "metrics-is-input",
        "checkpoint",
        "lock",
        "input-in-output-dir",
    ],
)
def test_follow_refuses_writing_what_it_reads_or_keeps(pseudolog_bin, key_file, tmp_path, args, needle):
    """Each of these destroyed something: an output that is its input grew from itself without end, metrics
    replaced the output or the input, the checkpoint or lock replaced the output, window files met the input."""
    log = tmp_path / "in.log"
    log.write_bytes(NGINX * 3)
    os.link(log, tmp_path / "hard.log")
    names = {"in": str(log), "hard": str(tmp_path / "hard.log"), "out": str(tmp_path / "out.log")}
    names |= {"st": str(tmp_path / "st"), "dir": str(tmp_path)}
    argv = [a.format(**names) for a in args]
    proc = run(
        pseudolog_bin, "follow", "--key-file", str(key_file), "--state-dir", names["st"], *argv, str(log), timeout=30
    )
    assert_one_line_error(proc, needle.format(**names))
    assert proc.returncode == 2
    assert log.read_bytes() == NGINX * 3


_HANDLERS_BEFORE_THE_CLI = (
    "import signal, sys\nimport pseudolog.cli\nfrom pseudolog import entry\n"
    "pseudolog.cli.main = lambda: print(*(signal.getsignal(s) is entry._remember for s in (1, 15)))\n"
    "sys.argv = ['pseudolog', *sys.argv[1:]]\nentry.main()\n"
)


def test_follow_holds_a_reload_or_stop_that_comes_while_it_starts(pseudolog_bin, key_file, tmp_path):
    """Importing the CLI takes tens of milliseconds. The entry takes SIGHUP and SIGTERM for `follow` before that,
    as systemd counts death by SIGHUP as a clean exit (Restart=on-failure would not restart the sidecar): a
    reload then needs nothing (the key and configuration are read afterwards), and a stop ends the run cleanly."""
    shown = subprocess.run([sys.executable, "-c", _HANDLERS_BEFORE_THE_CLI, "follow"], capture_output=True)
    assert shown.stdout.split() == [b"True", b"True"]
    shown = subprocess.run([sys.executable, "-c", _HANDLERS_BEFORE_THE_CLI, "run"], capture_output=True)
    assert shown.stdout.split() == [b"False", b"False"]  # a filter keeps the default actions
    log = tmp_path / "in.log"
    log.write_bytes(NGINX * 3)
    stopped_early = (
        "import signal, sys\nfrom pseudolog import entry\n"
        "entry.EARLY_SIGNALS.append(signal.SIGTERM)\nsys.argv = ['pseudolog', *sys.argv[1:]]\nentry.main()\n"
    )
    state, out = tmp_path / "st", tmp_path / "out.log"
    follow = ["follow", "--key-file", str(key_file), "--state-dir", str(state), "-o", str(out), str(log)]
    proc = subprocess.run([sys.executable, "-c", stopped_early, *follow], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (state / "checkpoint.json").exists()


def test_a_region_cache_cut_short_is_built_again(pseudolog_bin, key_file, tmp_path):
    """The phone rules are cached on disk for start-up; a cache cut short by a crash or a full disk, or emptied,
    once failed every later run (an internal failure, or "unknown region 'DE'"). It is built again instead."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    want = run(pseudolog_bin, "run", "--key-file", str(key_file), stdin=NGINX, env=env)
    assert want.returncode == 0
    (cache,) = (tmp_path / "cache" / "pseudolog").glob("region-spec-*")
    whole = cache.read_bytes()
    for damaged in (whole[:14000], b"", whole.replace(b"\tDE\t", b"\tDX\t", 1)):
        cache.write_bytes(damaged)
        again = run(pseudolog_bin, "run", "--key-file", str(key_file), "--region", "DE", stdin=NGINX, env=env)
        assert (again.returncode, again.stdout, again.stderr) == (0, want.stdout, b"")
        assert cache.read_bytes() == whole
