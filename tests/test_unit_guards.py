"""`pseudolog unit` prints only what systemd reads as intended: a newline in a user name or a path would add a
directive of its own (an ExecStartPre= run as root), and a name systemd does not take fails verification."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.test_cli_e2e import assert_one_line_error
from tests.test_follow import clean_env
from tests.test_unit import make_unit, needs_analyze, verify

EXE = "/opt/pseudolog/bin/pseudolog"
INJECTED = "\nExecStartPre=/bin/touch /etc/owned"


def unit(bin_: str, tmp_path: Path, *args: str, config_text: str | None = None) -> subprocess.CompletedProcess:
    config = tmp_path / "follow.toml"
    if config_text is not None:
        config.write_text(config_text)
    return subprocess.run(
        [bin_, "unit", "--exec", EXE, "--config", str(config), "--allow-hidden-paths", *args],
        capture_output=True,
        env=clean_env(),
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--user", "pseudolog" + INJECTED), "--user is not a name systemd accepts"),
        (("--group", "pseudolog" + INJECTED), "--group is not a name systemd accepts"),
        (("--user", "no such user"), "--user is not a name systemd accepts"),
        (("--user", ""), "--user is not a name systemd accepts"),
        (("--user", "a" * 32), "--user is not a name systemd accepts"),
        (("--user", "4294967295"), "--user is not a name systemd accepts"),
        (("--supplementary-groups", "adm" + INJECTED), "--supplementary-groups"),
        (("--exec", EXE + INJECTED), "the path of --exec"),
        (("--exec", "/opt/my pseudolog/bin/pseudolog"), "the path of --exec"),
        (("--key-file", "/etc/pk" + INJECTED), "the path of --key-file"),
        (("--key-file", "/etc/pk%n"), "the path of --key-file"),
    ],
)
def test_values_that_would_change_the_unit_are_refused(pseudolog_bin, tmp_path, args, needle):
    proc = unit(pseudolog_bin, tmp_path, *args, config_text="")
    assert_one_line_error(proc, needle)
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert b"owned" not in proc.stderr  # the value itself is never echoed


@pytest.mark.parametrize(
    "config_text",
    [
        'output-dir = "/var/log/ps\\nExecStartPre=/bin/touch /etc/owned"\n',
        'output = "/srv/ship dir/out.log"\n',
        'state-dir = "/srv/state\\tx"\n',
        'metrics-file = "/srv/$metrics/p.prom"\n',
    ],
)
def test_config_paths_that_would_change_the_unit_are_refused(pseudolog_bin, tmp_path, config_text):
    proc = unit(pseudolog_bin, tmp_path, config_text='inputs = ["/var/log/a.log"]\n' + config_text)
    assert_one_line_error(proc, "which the unit cannot carry as they are")
    assert proc.returncode == 2
    assert proc.stdout == b""


def test_a_config_path_that_is_not_a_string_is_one_line(pseudolog_bin, tmp_path):
    proc = unit(pseudolog_bin, tmp_path, config_text="state-dir = 5\n")
    assert_one_line_error(proc, "state-dir must be a string")
    assert proc.returncode == 2


@needs_analyze
@pytest.mark.parametrize(
    "extra",
    [
        ("--user", "_pseudo-log1", "--group", "1000"),
        ("--user", "1000", "--group", "adm", "--supplementary-groups", "adm systemd-journal"),
    ],
)
def test_names_systemd_accepts_make_a_unit_that_verifies(pseudolog_bin, tmp_path, extra):
    unit_file, text = make_unit(
        pseudolog_bin, tmp_path, 'inputs = ["/var/log/a.log"]\noutput-dir = "/var/log/pseudolog"\n', *extra
    )
    result = verify(unit_file)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert f"\nUser={extra[1]}\n" in text and f"\nGroup={extra[3]}\n" in text
