"""Every file in examples/ loads: pseudolog's own configs through the installed script, the shippers' configs
through the shipper's own check where Debian or PyPI packages it (rsyslog, logrotate: `.ci/run` installs
them), and parsed here otherwise. The piped-logger and cron recipes are run as Apache and cron would."""

from __future__ import annotations

import grp
import os
import pwd
import re
import shlex
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

from pseudolog.follow.settings import read_config_file
from pseudolog.follow.unit import hidden_path_problems
from tests.conftest import REPO
from tests.test_cli_e2e import RAW, run

EXAMPLES = REPO / "examples"
RSYSLOGD = shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd" if Path("/usr/sbin/rsyslogd").exists() else None)
LOGROTATE = shutil.which("logrotate") or ("/usr/sbin/logrotate" if Path("/usr/sbin/logrotate").exists() else None)
VECTOR = shutil.which("vector")
FLUENT_BIT = shutil.which("fluent-bit") or shutil.which("td-agent-bit")


def test_every_example_is_covered_and_in_the_readme():
    readme = (REPO / "README.md").read_text()
    tested = {
        "sample.log",
        "follow.toml",
        "logrotate-pseudolog",
        "rsyslog-imfile.conf",
        "rsyslog-omprog.conf",
        "vector.toml",
        "fluent-bit.conf",
        "apache-piped-logger.conf",
        "nginx-syslog.conf",
        "pseudolog.cron",
        "journal.toml",  # with its unit: tests/test_unit.py
        "pseudolog-journal.service",
    }
    assert {p.name for p in EXAMPLES.iterdir()} == tested
    for name in tested:
        assert f"examples/{name}" in readme, name


def test_license_and_changelog_exist():
    assert "Apache License" in (REPO / "LICENSE").read_text() and "Version 2.0" in (REPO / "LICENSE").read_text()
    assert (REPO / "CHANGELOG.md").read_text().startswith("# Changelog")


# -- pseudolog's own --------------------------------------------------------------------------------


def test_follow_toml_checks_and_makes_a_unit_whose_paths_the_service_sees(pseudolog_bin, key_file, tmp_path):
    values = read_config_file(str(EXAMPLES / "follow.toml"))
    assert values["inputs"] and values["output_dir"].startswith("/var/log/")
    env = {"CREDENTIALS_DIRECTORY": str(key_file.parent), "STATE_DIRECTORY": str(tmp_path / "state")}
    proc = run(pseudolog_bin, "follow", "--config", str(EXAMPLES / "follow.toml"), "--check", env=env)
    if proc.returncode != 0 and b"/var/log" in proc.stderr and os.geteuid() != 0:
        pytest.skip("follow --check on the example needs write access to /var/log (CI runs as root)")
    assert proc.returncode == 0, proc.stderr
    assert b"output: one file per window in /var/log/pseudolog" in proc.stdout and b"key: file" in proc.stdout
    assert hidden_path_problems("/usr/local/bin/pseudolog", "/etc/pseudolog/follow.toml", values) == []
    unit = run(
        pseudolog_bin,
        "unit",
        "--config",
        str(EXAMPLES / "follow.toml"),
        "--exec",
        "/usr/local/bin/pseudolog",
        "--allow-hidden-paths",  # the repository may be checked out under /root or /tmp
    )
    assert unit.returncode == 0, unit.stderr
    assert b"LogsDirectory=pseudolog" in unit.stdout


def _installed(text: str, bin_: str, tmp_path: Path, key_file: Path) -> str:
    """A recipe with its host paths moved into the test's directory and the installed script."""
    return (
        text.replace("/usr/local/bin/pseudolog", bin_)
        .replace("/etc/pseudolog/pseudolog.key", str(key_file))
        .replace("/var/log/", f"{tmp_path}/var/log/")
        .replace("/var/lib/", f"{tmp_path}/var/lib/")
    )


def test_apache_piped_logger_appends_across_restarts(pseudolog_bin, key_file, tmp_path):
    """The CustomLog command run the way Apache runs it (`/bin/sh -c`), twice, as after a reload."""
    conf = (EXAMPLES / "apache-piped-logger.conf").read_text()
    command = re.search(r'^CustomLog "\|(.+)" combined$', conf, re.M)
    assert command is not None
    shell = _installed(command.group(1), pseudolog_bin, tmp_path, key_file)
    (tmp_path / "var" / "log" / "apache2").mkdir(parents=True)
    apache = (
        b'203.0.113.7 - - [21/Nov/2026:10:15:32 +0000] "GET /call?to=%2B4930123456 HTTP/1.1" 200 512 "-" "curl/8"\n'
    )
    for _ in range(2):
        proc = subprocess.run(["/bin/sh", "-c", shell], input=apache, capture_output=True, timeout=60)
        assert proc.returncode == 0 and proc.stderr == b""
    out = (tmp_path / "var" / "log" / "apache2" / "access.pseudo.log").read_bytes()
    assert out.count(b"\n") == 2 and not any(raw in out for raw in RAW)


def test_cron_recipe_runs(pseudolog_bin, key_file, tmp_path):
    lines = [
        line for line in (EXAMPLES / "pseudolog.cron").read_text().splitlines() if line and not line.startswith("#")
    ]
    assert len(lines) == 3
    (tmp_path / "var" / "log" / "app").mkdir(parents=True)
    (tmp_path / "var" / "log" / "pseudolog").mkdir(parents=True)
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())  # today's window: keys rotate made its key
    (tmp_path / "var" / "log" / "app" / "app.log.1").write_bytes(
        f'203.0.113.7 - - [{stamp}] "GET /call?to=%2B4930123456 HTTP/1.1" 200 512 "-" "curl/8"\n'.encode()
    )
    for entry in lines:
        fields = entry.split(None, 6)
        assert len(fields) == 7 and fields[5] == "root" and fields[6].startswith("/usr/local/bin/pseudolog ")
        argv = shlex.split(_installed(fields[6], pseudolog_bin, tmp_path, key_file))
        proc = subprocess.run(argv, capture_output=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
    out = (tmp_path / "var" / "log" / "pseudolog" / "app.log").read_bytes()
    assert out.startswith(b"IP-") and not any(raw in out for raw in RAW)


# -- shippers with their own checks -------------------------------------------------------------------


@pytest.mark.skipif(RSYSLOGD is None, reason="rsyslogd is not installed (Debian package rsyslog; .ci/run installs it)")
@pytest.mark.parametrize("name", ["rsyslog-imfile.conf", "rsyslog-omprog.conf"])
def test_rsyslog_examples_pass_rsyslogd_validation(tmp_path, name):
    """As drop-ins under a main configuration that sets a work directory (Debian's does)."""
    work = tmp_path / "work"
    work.mkdir()
    main = tmp_path / "rsyslog.conf"
    main.write_text(f'global(workDirectory="{work}")\ninclude(file="{EXAMPLES / name}")\n')
    assert RSYSLOGD is not None
    proc = subprocess.run([RSYSLOGD, "-N1", "-f", str(main)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "error" not in proc.stderr.lower()


@pytest.mark.skipif(RSYSLOGD is None, reason="rsyslogd is not installed (Debian package rsyslog; .ci/run installs it)")
def test_rsyslog_validation_can_fail(tmp_path):
    """The check above is not a formality: a misspelt parameter fails it."""
    broken = tmp_path / "broken.conf"
    broken.write_text((EXAMPLES / "rsyslog-imfile.conf").read_text().replace('File="', 'Fiel="'))
    main = tmp_path / "rsyslog.conf"
    main.write_text(f'global(workDirectory="{tmp_path}")\ninclude(file="{broken}")\n')
    assert RSYSLOGD is not None
    assert subprocess.run([RSYSLOGD, "-N1", "-f", str(main)], capture_output=True, timeout=60).returncode != 0


@pytest.mark.skipif(
    LOGROTATE is None, reason="logrotate is not installed (Debian package logrotate; .ci/run installs it)"
)
def test_logrotate_snippet_parses_and_signals_hup(tmp_path):
    text = (EXAMPLES / "logrotate-pseudolog").read_text()
    assert "postrotate" in text and "--signal=HUP pseudolog.service" in text
    user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    moved = text.replace("/var/log/", f"{tmp_path}/var/log/").replace("pseudolog adm", f"{user} {group}")
    (tmp_path / "var" / "log" / "pseudolog").mkdir(parents=True)
    (tmp_path / "var" / "log" / "pseudolog" / "app.log").write_bytes(b"IP-ghjkmnpqrstvwxyz\n")
    config = tmp_path / "pseudolog.logrotate"
    config.write_text(moved)
    assert LOGROTATE is not None
    proc = subprocess.run(
        [LOGROTATE, "-d", "-s", str(tmp_path / "state"), str(config)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "error" not in proc.stderr.lower() + proc.stdout.lower(), proc.stderr
    assert "Handling 1 logs" in proc.stderr + proc.stdout


def test_vector_example_ships_the_output_directory(tmp_path):
    config = tomllib.loads((EXAMPLES / "vector.toml").read_text())
    source = config["sources"]["pseudolog"]
    assert source["type"] == "file" and source["include"] == ["/var/log/pseudolog/*.log"]
    assert all("pseudolog" in sink["inputs"] for sink in config["sinks"].values())
    if VECTOR is None:
        pytest.skip("vector is not packaged for Debian or PyPI: its own `vector validate` check did not run")
    proc = subprocess.run([VECTOR, "validate", "--no-environment", str(EXAMPLES / "vector.toml")], capture_output=True)
    assert proc.returncode == 0, proc.stderr


def _fluent_bit_sections(text: str) -> list[tuple[str, dict[str, str]]]:
    sections: list[tuple[str, dict[str, str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            sections.append((line[1:-1], {}))
            continue
        key, _, value = line.partition(" ")
        assert sections and value.strip(), f"not a key and value inside a section: {raw!r}"
        sections[-1][1][key.lower()] = value.strip()
    return sections


def test_fluent_bit_example_ships_the_output_directory():
    sections = _fluent_bit_sections((EXAMPLES / "fluent-bit.conf").read_text())
    assert [name for name, _ in sections] == ["SERVICE", "INPUT", "OUTPUT"]
    tail, out = sections[1][1], sections[2][1]
    assert tail["name"] == "tail" and tail["path"] == "/var/log/pseudolog/*.log"
    assert out["match"] == tail["tag"]
    if FLUENT_BIT is None:
        pytest.skip("fluent-bit is not packaged for Debian or PyPI: its own `--dry-run` check did not run")
    proc = subprocess.run([FLUENT_BIT, "--dry-run", "-c", str(EXAMPLES / "fluent-bit.conf")], capture_output=True)
    assert proc.returncode == 0, proc.stderr


def test_nginx_example_is_an_access_log_directive():
    lines = [x for x in (EXAMPLES / "nginx-syslog.conf").read_text().splitlines() if x and not x.startswith("#")]
    assert lines == ["access_log syslog:server=unix:/dev/log,tag=nginx,severity=info combined;"]
    assert '$programname == "nginx"' in (EXAMPLES / "rsyslog-omprog.conf").read_text()
