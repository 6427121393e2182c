"""`pseudolog unit`: a hardened Type=notify service that systemd-analyze verifies without a warning, and
whose ExecStart runs follow with the key from the credential directory, as systemd would start it."""

from __future__ import annotations

import shlex
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.test_follow import clean_env, line, wait_for

ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze missing (Debian package systemd)")


def make_unit(bin_: str, tmp_path: Path, config_text: str, *extra: str) -> tuple[Path, str]:
    config = tmp_path / "follow.toml"
    config.write_text(config_text)
    proc = subprocess.run(
        # The test's files live under /tmp, which the unit's PrivateTmp= hides: refused without this flag.
        [bin_, "unit", "--config", str(config), "--exec", bin_, "--allow-hidden-paths", *extra],
        capture_output=True,
        env=clean_env(),
        check=True,
    )
    unit = tmp_path / "pseudolog.service"
    unit.write_bytes(proc.stdout)
    return unit, proc.stdout.decode()


def verify(unit: Path) -> subprocess.CompletedProcess:
    assert ANALYZE is not None
    return subprocess.run([ANALYZE, "verify", str(unit)], capture_output=True, text=True, timeout=60)


@needs_analyze
@pytest.mark.parametrize(
    ("config_text", "expect", "absent"),
    [
        (
            'inputs = ["/var/log/nginx/access.log"]\noutput-dir = "/var/log/pseudolog"\nretention = "7d"\n',
            ["StateDirectory=pseudolog", "LogsDirectory=pseudolog", "LoadCredential=pseudolog.key:/etc/pk"],
            ["ReadWritePaths="],
        ),
        (
            'inputs = ["/srv/app/app.log"]\noutput = "/srv/ship/out.log"\nstate-dir = "/srv/state"\n'
            'keyring = "/etc/pseudolog/keyring"\n',
            ["ReadWritePaths=/srv/ship /srv/state"],
            ["LoadCredential=", "StateDirectory="],
        ),
        (
            'journal = true\nunit = ["kamailio"]\noutput-dir = "/var/log/pseudolog"\n'
            'metrics-file = "/srv/metrics/pseudolog.prom"\n',
            ["SupplementaryGroups=systemd-journal", "LogsDirectory=pseudolog", "ReadWritePaths=/srv/metrics"],
            ["SupplementaryGroups=adm"],
        ),
        (
            'journal = true\ninputs = ["/var/log/asterisk/full"]\noutput = "/var/log/pseudolog/all.log"\n',
            ["SupplementaryGroups=adm systemd-journal"],
            ["ReadWritePaths="],
        ),
    ],
)
def test_unit_verifies_cleanly(pseudolog_bin, tmp_path, config_text, expect, absent):
    unit, text = make_unit(pseudolog_bin, tmp_path, config_text, "--key-file", "/etc/pk")
    result = verify(unit)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == "", result.stderr
    for directive in (
        "Type=notify",
        "WatchdogSec=30s",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=",
        "RestrictAddressFamilies=AF_UNIX",
        f"ExecStart={pseudolog_bin} follow --config {tmp_path / 'follow.toml'}",
        *expect,
    ):
        assert f"\n{directive}\n" in text, directive
    for directive in absent:
        assert f"\n{directive}" not in text


def test_the_journal_example_is_what_unit_makes_of_its_config(pseudolog_bin, tmp_path):
    """examples/pseudolog-journal.service is the unit for examples/journal.toml, as the README says."""
    examples = Path(__file__).resolve().parents[1] / "examples"
    config = examples / "journal.toml"
    proc = subprocess.run(
        # The checkout may lie under /tmp or /root, which the unit hides: allowed here, the config's own paths
        # are what is compared.
        [pseudolog_bin, "unit", "--config", str(config), "--exec", "/usr/local/bin/pseudolog", "--allow-hidden-paths"],
        capture_output=True,
        env=clean_env(),
        check=True,
    )
    made = proc.stdout.decode().replace(str(config), "/etc/pseudolog/follow.toml")
    assert made == (examples / "pseudolog-journal.service").read_text()
    assert "\nSupplementaryGroups=systemd-journal\n" in made


@needs_analyze
def test_verify_does_report_a_broken_unit(pseudolog_bin, tmp_path):
    """The check above can fail: the same unit with one misspelt directive draws a warning."""
    unit, text = make_unit(pseudolog_bin, tmp_path, "")
    unit.write_text(text.replace("ProtectHome=yes", "ProtectHomes=yes"))
    result = verify(unit)
    assert "ProtectHomes" in result.stderr


def test_exec_start_runs_follow_with_the_credential_as_systemd_would(pseudolog_bin, key_file, tmp_path):
    src, out = tmp_path / "access.log", tmp_path / "ship" / "out.log"
    src.write_bytes(line(1) + line(2))
    out.parent.mkdir()
    _, text = make_unit(pseudolog_bin, tmp_path, f'inputs = ["{src}"]\noutput = "{out}"\n')
    exec_start = next(x for x in text.splitlines() if x.startswith("ExecStart=")).removeprefix("ExecStart=")
    creds, state = tmp_path / "creds", tmp_path / "state"
    creds.mkdir()
    shutil.copy(key_file, creds / "pseudolog.key")
    (creds / "pseudolog.key").chmod(0o400)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(30)
    env = clean_env(
        CREDENTIALS_DIRECTORY=str(creds), STATE_DIRECTORY=str(state), NOTIFY_SOCKET=str(tmp_path / "notify")
    )
    proc = subprocess.Popen(shlex.split(exec_start), env=env, stderr=subprocess.PIPE)
    try:
        assert notify.recv(4096).startswith(b"READY=1")
        wait_for(lambda: out.exists() and out.read_bytes().count(b"\n") == 2)
        assert (state / "checkpoint.json").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert b"random key" not in err and b"203.0.113" not in out.read_bytes()
