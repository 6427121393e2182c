"""`pseudolog scan`: raw identifiers reported by kind and place, never pseudolog's own output."""

from __future__ import annotations

import os
import subprocess

import pytest

from pseudolog.config import FilterOptions
from pseudolog.scan import Scanner, align
from tests.conftest import NOW

RAW = (
    b'203.0.113.7 - - [21/Nov/2026:10:15:32 +0100] "GET /c?to=%2B49301234567 HTTP/1.1" 200 5 "-" '
    b'"Yealink SIP-T46S 66.86.0.15"\n'
    b"nothing to see here 1706368044.12 Chrome/120.0.0.0\n"
    b'{"ts":"2026-11-21T10:15:32Z","caller":"0301234567","duration":42}\n'
)


def test_align_locates_each_replaced_value():
    original = b"a 192.0.2.1 b +4930123456 c"
    filtered = b"a IP-ghjkmnpqrstvwxyz b PHONE-ghjkmnpqrstvwxyz c"
    assert align(original, filtered) == [(2, b"192.0.2.1", "ip"), (14, b"+4930123456", "phone")]


def test_scanner_reports_kind_line_and_column():
    findings = [(f.line, f.column, f.kind, f.value) for f in Scanner(FilterOptions()).scan_bytes(RAW, NOW)]
    assert findings == [
        (1, 1, "ip", b"203.0.113.7"),
        (1, 57, "phone", b"%2B49301234567"),
        (3, 40, "phone", b"0301234567"),
    ]


def run(bin_, *args, stdin=b""):
    return subprocess.run([bin_, *args], input=stdin, capture_output=True, timeout=60)


def test_scan_exit_codes_and_privacy(pseudolog_bin, tmp_path):
    log = tmp_path / "raw.log"
    log.write_bytes(RAW)
    found = run(pseudolog_bin, "scan", str(log))
    assert found.returncode == 1
    assert found.stdout.decode().splitlines() == [f"{log}:1:1: ip", f"{log}:1:57: phone", f"{log}:3:40: phone"]
    assert b"203.0.113.7" not in found.stdout + found.stderr
    shown = run(pseudolog_bin, "scan", "--show-values", str(log))
    assert b"203.0.113.7" in shown.stdout and shown.returncode == 1


def test_scan_passes_pseudolog_output(pseudolog_bin, tmp_path, key_file):
    log = tmp_path / "raw.log"
    log.write_bytes(
        RAW + b'"","0301234567","100","ctx","""A"" <0301234567>","SIP/x-1","","Dial","",'
        b'"2026-11-21 10:15:32","","2026-11-21 10:15:40",8,0,"NO ANSWER","DOCUMENTATION","1.2",""\n'
    )
    out = run(pseudolog_bin, "run", "--key-file", str(key_file), str(log)).stdout
    clean = run(pseudolog_bin, "scan", stdin=out)
    assert clean.returncode == 0, clean.stdout
    assert clean.stdout == b"" and b"no raw identifiers" in clean.stderr


@pytest.mark.parametrize("style", [["--keep", "phone-country,mac-oui,imei-tac"], []])
def test_scan_passes_styled_output(pseudolog_bin, key_file, style):
    line = b"x 00:15:65:ab:cd:ef +4930123456 490154203237518 sip:0301234567@pbx\n"
    out = run(pseudolog_bin, "run", "--key-file", str(key_file), *style, stdin=line).stdout
    assert run(pseudolog_bin, "scan", stdin=out).returncode == 0


def test_scan_unreadable_input_is_an_error(pseudolog_bin):
    proc = run(pseudolog_bin, "scan", "/nonexistent.log")
    assert proc.returncode == 3 and proc.stderr.startswith(b"pseudolog: error: cannot read input")


def test_key_from_a_file_descriptor(pseudolog_bin, key_file):
    read_end, write_end = os.pipe()
    os.write(write_end, key_file.read_bytes())
    os.close(write_end)
    proc = subprocess.run(
        [pseudolog_bin, "run", "--key-fd", str(read_end)],
        input=b"x 192.0.2.1\n",
        capture_output=True,
        pass_fds=(read_end,),
        timeout=60,
    )
    os.close(read_end)
    same = run(pseudolog_bin, "run", "--key-file", str(key_file), stdin=b"x 192.0.2.1\n")
    assert proc.returncode == 0 and proc.stdout == same.stdout and proc.stderr == b""
