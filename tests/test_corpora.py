"""Real public logs from ../shared/corpora through the installed script (skipped when the folder is absent).

Fails on any error, any change in line count, any IPv4 address left (other than reduced user-agent versions
such as Chrome/120.0.0.0, and versions after a version key or `rv:`), any address that fail2ban's annotations
name, and any change when the output is filtered a second time.
"""

from __future__ import annotations

import re
import subprocess

import orjson
import pytest

from tests.conftest import CORPORA

SKIP_NAMES = {"LICENSE", "COPYING", "README.txt", "README.md"}
FILES = (
    sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.name not in SKIP_NAMES and p.suffix != ".md")
    if CORPORA.is_dir()
    else []
)
# Independent of the detectors on purpose: any dotted quad with octets <= 255.
DOTTED_QUAD = re.compile(rb"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d]|\.\d)")
UA_VERSION = re.compile(rb"[A-Za-z][\w.-]*/\d{1,3}\.\d{1,3}\.0\.0$")
# In the user-agent field (the last quoted string of an access-log line) versions follow a product token.
AGENT_VERSION = re.compile(rb"[A-Za-z][\w.+-]*[/ ]$")
# A version key or Gecko's `rv:` right before the quad (issue 22 decoys: `version=1.2.8.57`, `rv:1.9.0.19`).
VERSION_KEY = re.compile(rb"(?i)(?:\brv:|\b(?:[a-z_]*version|ver|fw|firmware|build)\s*[=:]\s*\"?)$")
FAIL2BAN_HOST = re.compile(rb'"host": *"([^"]+)"')
# Telephony logs: numbers written as a SIP user part, after "+", or before "@" (independent of the detectors).
TELEPHONY = ("asterisk", "freeswitch", "telephony_issue_lines")
WRITTEN_NUMBER = re.compile(rb"(?:sips?:|tel:|\+|\[|/)(\d{8,15})(?=[@;>\]\s'\",)]|$)|(?<![\w.])(\d{8,15})@")

pytestmark = pytest.mark.skipif(not FILES, reason="../shared/corpora is not present")


def _left_addresses(data: bytes) -> list[bytes]:
    left = []
    for line in data.split(b"\n"):
        agent_start = line.rfind(b'"', 0, max(0, line.rfind(b'"')))
        for m in DOTTED_QUAD.finditer(line):
            if not all(int(part) <= 255 for part in m.group().split(b".")):
                continue
            before = line[max(0, m.start() - 40) : m.start()]
            if UA_VERSION.search(before + m.group()) or VERSION_KEY.search(before):
                continue
            if agent_start >= 0 and m.start() > agent_start and AGENT_VERSION.search(before):
                continue
            left.append(m.group())
    return left


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPORA)))
def test_corpus_file(pseudolog_bin, key_file, path):
    raw = path.read_bytes()
    proc = subprocess.run(
        [pseudolog_bin, "run", "--key-file", str(key_file), "--stats", "--now", "2026-11-21T00:00:00Z", str(path)],
        capture_output=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-500:]
    stats = orjson.loads(proc.stderr)
    out = proc.stdout
    assert out.count(b"\n") == raw.count(b"\n")
    assert stats["lines_in"] == stats["lines_out"] and stats["masked_on_error"] == 0
    assert _left_addresses(out) == []
    for host in {h for h in FAIL2BAN_HOST.findall(raw) if DOTTED_QUAD.fullmatch(h) or b":" in h}:
        assert not re.search(rb"(?<![\w.:])" + re.escape(host) + rb"(?![\w:]|\.\d)", out), host
    if any(part in str(path) for part in TELEPHONY):
        numbers = {a or b for a, b in WRITTEN_NUMBER.findall(b"\n".join(raw.splitlines()))}
        assert numbers, "the telephony check found nothing to check"
        for number in numbers:
            assert number not in out, number
    again = subprocess.run(
        [pseudolog_bin, "run", "--key-file", str(key_file), "--now", "2026-11-21T00:00:00Z"],
        input=out,
        capture_output=True,
        timeout=300,
    )
    assert again.stdout == out
