"""Session 42's audit, through the installed script: no output may be an input or key material, messages never
quote an identifier the engine would replace, closed or failing standard streams are one line and a non-zero
exit, and oversized or undecodable option values are usage errors, never an internal failure."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pseudolog.keys import KEY_FILE_ENV
from tests.conftest import KEY
from tests.test_cli_e2e import assert_one_line_error, run

EXPORT = b"__REALTIME_TIMESTAMP=1795256132000000\nMESSAGE=call from 203.0.113.7\n_HOSTNAME=h\n\n"
LOG = b"2026-11-21T10:00:00Z call from 203.0.113.7\n"


def _links(tmp_path: Path, target: Path) -> list[Path]:
    """`target` itself, a symlink to it and a hard link to it."""
    symlink, hardlink = tmp_path / f"{target.name}.sym", tmp_path / f"{target.name}.hard"
    symlink.symlink_to(target)
    os.link(target, hardlink)
    return [target, symlink, hardlink]


# -- A3: the journal export is an input like any other --------------------------------------------------


def test_output_that_is_the_journal_export_is_refused_and_kept(pseudolog_bin, key_file, tmp_path):
    export = tmp_path / "j.export"
    export.write_bytes(EXPORT)
    for output in _links(tmp_path, export):
        key = ("--key-file", str(key_file))
        proc = run(pseudolog_bin, "run", *key, "--journal-export", str(export), "-o", str(output))
        assert proc.returncode == 2
        assert_one_line_error(proc, "-o/--output", "is input", "destroy")
        assert export.read_bytes() == EXPORT


# -- A4: an output is never the key file or a file of the keyring ---------------------------------------


def test_output_that_is_the_key_file_is_refused_and_the_key_kept(pseudolog_bin, key_file, tmp_path):
    log = tmp_path / "in.log"
    log.write_bytes(LOG)
    for output in _links(tmp_path, key_file):
        for how in (("--key-file", str(key_file)), ()):
            env = {} if how else {KEY_FILE_ENV: str(key_file)}
            proc = run(pseudolog_bin, "run", *how, "-o", str(output), str(log), env=env)
            assert proc.returncode == 2
            assert_one_line_error(proc, "-o/--output", "is the key file", "key material")
            assert key_file.read_bytes() == KEY
    with key_file.open("ab") as appended:  # `run ... >> k.key`: the shell opened it, pseudolog must not write it
        proc = subprocess.run(
            [pseudolog_bin, "run", "--key-file", str(key_file), str(log)], stdout=appended, stderr=subprocess.PIPE
        )
    assert_one_line_error(proc, "standard output is the key file")
    assert proc.returncode == 2 and key_file.read_bytes() == KEY


def test_output_that_is_the_key_passed_on_a_descriptor_is_refused(pseudolog_bin, key_file, tmp_path):
    log = tmp_path / "in.log"
    log.write_bytes(LOG)
    with key_file.open("rb") as key:
        proc = subprocess.run(
            [pseudolog_bin, "run", "--key-fd", str(key.fileno()), "-o", str(key_file), str(log)],
            pass_fds=(key.fileno(),),
            capture_output=True,
        )
    assert_one_line_error(proc, "is the key file passed to --key-fd")
    assert proc.returncode == 2 and key_file.read_bytes() == KEY


def test_output_in_the_keyring_is_refused_before_it_is_created(pseudolog_bin, tmp_path):
    ring = tmp_path / "ring"
    rotated = run(pseudolog_bin, "keys", "rotate", "--keyring", str(ring), "--window", "1h", "--ahead", "1h")
    assert rotated.returncode == 0
    keys = {p.name: p.read_bytes() for p in ring.iterdir()}
    log = tmp_path / "in.log"
    log.write_bytes(LOG)
    linked = tmp_path / "linked.key"
    os.link(ring / sorted(keys)[0], linked)
    for output in (ring / sorted(keys)[0], ring / "new.log", tmp_path / "ring" / ".." / "ring" / "x.log", linked):
        proc = run(pseudolog_bin, "run", "--keyring", str(ring), "--window", "1h", "-o", str(output), str(log))
        assert proc.returncode == 2
        assert_one_line_error(proc, "is in keyring", "key material")
    assert {p.name: p.read_bytes() for p in ring.iterdir()} == keys  # nothing written, nothing created


def test_an_ordinary_output_next_to_the_key_is_written(pseudolog_bin, key_file, tmp_path):
    log = tmp_path / "in.log"
    log.write_bytes(LOG)
    out = tmp_path / "out.log"
    proc = run(pseudolog_bin, "run", "--key-file", str(key_file), "-o", str(out), str(log))
    assert proc.returncode == 0 and proc.stderr == b""
    assert out.read_bytes() and b"203.0.113.7" not in out.read_bytes()


# -- B4: messages hide what the engine would replace ----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "raw", "shown"),
    [
        (("run", "/srv/tftp/SEP001565ABCDEF.cnf.xml"), "001565ABCDEF", "SEP[mac].cnf.xml"),
        (("run", "prov/001565abcdef.cfg"), "001565abcdef", "prov/[mac].cfg"),
        (("scan", "prov/001565abcdef.cfg"), "001565abcdef", "prov/[mac].cfg"),
        (("run", "--format", "203%2E0%2E113%2E7"), "203%2E0%2E113%2E7", "'[ip]'"),
        (("run", "--format", "+4930123456"), "4930123456", "'[phone]'"),
        (("run", "--keep", "+4930123456"), "4930123456", "[phone]"),
        (("run", "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6.log"), "f81d4fae", "[device].log"),
    ],
)
def test_messages_hide_identifiers_the_engine_replaces(pseudolog_bin, key_file, args, raw, shown):
    command, *rest = args
    key = ("--key-file", str(key_file)) if command == "run" else ()
    proc = run(pseudolog_bin, command, *key, *rest)
    assert proc.returncode in (2, 3)
    err = proc.stderr.decode()
    assert raw not in err and shown in err, err


def test_the_engine_replaces_what_messages_hide(pseudolog_bin, key_file):
    """The message redactor and the engine agree on these forms (the reason for the test above)."""
    line = b"GET /srv/tftp/SEP001565ABCDEF.cnf.xml /prov/001565abcdef.cfg ?a=203%2E0%2E113%2E7 +4930123456\n"
    proc = run(pseudolog_bin, "run", "--key-file", str(key_file), "--format", "text", stdin=line)
    assert proc.returncode == 0
    for raw in (b"001565ABCDEF", b"001565abcdef", b"203%2E0%2E113%2E7", b"4930123456"):
        assert raw not in proc.stdout


@pytest.mark.parametrize(
    "message",
    [
        "the 4 line(s) read were written; window: 86400 s",
        "pseudolog 0.9.1 at 12:30:45",
        "keys rotate: 48 new window key(s) in /var/lib/pseudolog/ring",
        "--lines must be between 1000 and 50000000",
        "no digit here",
    ],
)
def test_messages_without_identifiers_are_kept(message):
    from pseudolog.cli_options import without_identifiers

    assert without_identifiers(message) == message


def test_message_redaction_never_raises(monkeypatch):
    from pseudolog import cli_options

    def broken(data: bytes) -> list:
        raise RuntimeError("detector down")

    monkeypatch.setattr(cli_options, "_identifier_spans", broken)
    assert cli_options.without_identifiers("input 192.0.2.1.log") == "input ###.#.#.#.log"


# -- C2, C10: keys rotate refuses before it creates anything, and says what is wrong ---------------------


def test_rotate_refuses_too_many_window_keys_before_writing_any(pseudolog_bin, tmp_path):
    ring = tmp_path / "ring"
    for ahead in ("2d", "3h"):  # 172,801 and 10,801 windows of a second
        proc = run(pseudolog_bin, "keys", "rotate", "--keyring", str(ring), "--window", "1s", "--ahead", ahead)
        assert proc.returncode == 2
        assert_one_line_error(proc, "more than 10000", "--window", "--ahead")
        assert not ring.exists()


def test_rotate_names_what_is_wrong_with_the_keyring_path(pseudolog_bin, tmp_path):
    a_file = tmp_path / "notadir"
    a_file.write_bytes(b"x\n")
    proc = run(pseudolog_bin, "keys", "rotate", "--keyring", str(a_file))
    assert_one_line_error(proc, f"keyring {a_file} is not a directory")
    assert proc.returncode == 2 and a_file.read_bytes() == b"x\n"
    proc = run(pseudolog_bin, "keys", "rotate", "--keyring", str(a_file / "ring"))
    assert_one_line_error(proc, f"cannot create keyring {a_file / 'ring'}: Not a directory")


def test_rotate_checks_every_option_before_making_the_directory(pseudolog_bin, tmp_path):
    ring = tmp_path / "new" / "ring"
    for bad in (("--now", "bogus"), ("--ahead", "soon"), ("--window", "0")):
        proc = run(pseudolog_bin, "keys", "rotate", "--keyring", str(ring), *bad)
        assert proc.returncode == 2
        assert_one_line_error(proc, bad[0])
        assert not (tmp_path / "new").exists()


# -- C4, C5: closed or failing standard streams -----------------------------------------------------------


def _with_closed(stream: str, *command: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    """`command` started by a shell with standard input (`<&-`) or output (`>&-`) closed."""
    closing = {"stdin": "<&-", "stdout": ">&-"}[stream]
    return subprocess.run(
        ["/bin/sh", "-c", f'"$@" {closing}', "sh", *command], input=stdin, capture_output=True, timeout=120
    )


def test_commands_that_print_refuse_a_closed_stdout(pseudolog_bin, key_file, tmp_path):
    log = tmp_path / "raw.log"
    log.write_bytes(LOG)
    key = ("--key-file", str(key_file))
    for command in (
        ("find", *key, "ip", "203.0.113.7", str(log)),
        ("lookup", *key, "--at", "2026-11-21T10:00:00Z", "ip", "203.0.113.7"),
        ("scan", str(log)),
        ("formats",),
        ("bench", "--lines", "1000", "--corpus", "nginx"),
    ):
        proc = _with_closed("stdout", pseudolog_bin, *command)
        assert proc.returncode == 3, command
        assert_one_line_error(proc, "cannot write standard output: it is closed")


def test_scan_and_find_refuse_a_closed_stdin(pseudolog_bin, key_file, tmp_path):
    log = tmp_path / "raw.log"
    log.write_bytes(LOG)
    for command in (
        ("scan",),
        ("scan", "-", str(log)),
        ("find", "--key-file", str(key_file), "ip", "203.0.113.7"),
    ):
        proc = _with_closed("stdin", pseudolog_bin, *command)
        assert proc.returncode == 3, command
        assert_one_line_error(proc, "cannot read standard input: it is closed")


def test_scan_names_a_failed_write_to_stdout_and_stops(pseudolog_bin, tmp_path):
    """A full disk under standard output is the output's failure, not the input's: one line, exit 3, and no
    input is read after it."""
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    first.write_bytes(LOG * 5000)  # findings enough to fill the output buffer mid-input
    second.write_bytes(LOG)
    for inputs in ((first, second), (second,)):
        with open("/dev/full", "wb") as full:
            proc = subprocess.run(
                [pseudolog_bin, "scan", *map(str, inputs)], stdout=full, stderr=subprocess.PIPE, timeout=120
            )
        assert proc.returncode == 3
        assert_one_line_error(proc, "cannot write standard output: No space left on device")


# -- C9: oversized or undecodable values are usage errors, never an internal failure ---------------------

HUGE = "9" * 24
BOUNDED = [
    (("run", "--window", f"{HUGE}d"), "--window: the duration must be at most 36500d"),
    (("run", "--window", "9" * 5000 + "s"), "--window: the duration must be at most 36500d"),
    (("run", "--retention", f"{HUGE}d"), "--retention: the duration must be at most 36500d"),
    (("run", "--max-line", HUGE), "--max-line: the size must be at most 1 TiB"),
    (("run", "--max-line", "2G"), "--max-line must be at most 1 GiB"),
    (("scan", "--max-line", "9" * 5000), "--max-line: the size must be at most 1 TiB"),
    (("lookup", "--window", f"{HUGE}d", "--at", "2026-11-21", "ip", "192.0.2.1"), "--window: the duration"),
    (("keys", "rotate", "--keyring", "{tmp}/ring", "--ahead", f"{HUGE}d"), "--ahead: the duration must be"),
]


@pytest.mark.parametrize(("args", "needle"), BOUNDED, ids=[" ".join(a)[:40] for a, _ in BOUNDED])
def test_oversized_durations_and_sizes_are_usage_errors(pseudolog_bin, key_file, tmp_path, args, needle):
    log = tmp_path / "in.log"
    log.write_bytes(LOG)
    key = ("--key-file", str(key_file)) if args[0] in ("run", "lookup") else ()
    command, *rest = (a.replace("{tmp}", str(tmp_path)) for a in args)
    inputs = (str(log),) if command in ("run", "scan") else ()
    proc = run(pseudolog_bin, command, *rest, *key, *inputs)
    assert proc.returncode == 2
    assert_one_line_error(proc, needle)
    assert not (tmp_path / "ring").exists()


def test_a_key_fd_no_process_can_have_is_a_usage_error(pseudolog_bin):
    proc = run(pseudolog_bin, "run", "--key-fd", HUGE, stdin=LOG)
    assert proc.returncode == 2
    assert_one_line_error(proc, f"--key-fd {HUGE}: no such open file descriptor")


def test_a_json_field_key_that_is_not_text_is_refused(pseudolog_bin, key_file):
    proc = subprocess.run(
        [pseudolog_bin.encode(), b"run", b"--key-file", bytes(key_file), b"--json-field", b"\xff=ip"],
        input=b'{"a": "192.0.2.1"}\n',
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert_one_line_error(proc, "--json-field: KEY must be text")


# -- C12: the README's subject-access steps give find's exit codes as the code does ----------------------


def test_readme_subject_access_steps_give_finds_exit_codes():
    from pseudolog.errors import EXIT_IO, EXIT_WINDOWS_SKIPPED
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text()
    steps = readme[readme.index("1. Use the options the logs were written with") :]
    steps = steps[: steps.index("4. Delete the values file")]
    assert f"Exit code {EXIT_WINDOWS_SKIPPED} means some windows had their keys pruned" in steps
    assert f"Exit code {EXIT_IO} means an\n   input could not be read" in steps
