"""`pseudolog scan`: an auditor independent of the line engine. Raw identifiers are reported by line, column,
kind, score and shape, never by value (unless --show-values); pseudonyms pseudolog wrote are never reported."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudolog.audit import Auditor, shape_of
from pseudolog.scan import Scanner
from pseudolog.synth_formats import corpus_lines, corpus_names
from tests.conftest import CORPORA, examples

RAW = (
    b'203.0.113.7 - - [21/Nov/2026:10:15:32 +0100] "GET /c?to=%2B49301234567 HTTP/1.1" 200 5 "-" '
    b'"Yealink SIP-T46S 66.86.0.15"\n'
    b"nothing to see here 1706368044.12 Chrome/120.0.0.0\n"
    b'{"ts":"2026-11-21T10:15:32Z","caller":"0301234567","duration":42}\n'
)


def found(data: bytes, min_score: float = 0.5) -> list[tuple[int, int, str, str]]:
    return [(f.line, f.column, f.kind, f.shape) for f in Scanner(min_score).scan_bytes(data)]


def test_scanner_reports_line_column_kind_and_shape():
    assert found(RAW) == [(1, 1, "ip", "999.9.999.9"), (1, 57, "phone", "+99999999999"), (3, 40, "phone", "9999999999")]


def test_versions_are_listed_only_at_low_rank():
    """The Yealink firmware and the Chrome version are candidates, below the default --min-score."""
    low = set(found(RAW, min_score=0.0)) - set(found(RAW))
    assert low == {(1, 110, "ip", "99.99.9.99"), (2, 42, "ip", "999.9.9.9")}


@pytest.mark.parametrize(
    ("value", "shape"),
    [(b"00:15:65:ab:cd:ef", "99:99:99:xx:xx:xx"), (b"2001:db8::7", "9999:xx9::9"), (b"+49 30 1234", "+99 99 9999")],
)
def test_shape_hides_the_value(value, shape):
    assert shape_of(value) == shape


@pytest.mark.parametrize(
    "line",
    [
        b"x 1.2.3.4 to=PHONE-vzpghjvmzjsxtpmv",
        b"x 1.2.3.4 MAC-001565-vzpghjvmzjsxtpmv IMEI-35209900-vzpghjvmzjsxtpmv PHONE+49-vzpghjvmzjsxtpmv",
        b"x 1.2.3.4 sip:PHONE-vzpghjvmzjsxtpmv@IP-ghjkmnpqrstvwxyz:5060 DEV-ghjkmnpqrstvwxyz MASKED",
    ],
)
def test_pseudonyms_are_never_flagged_and_raw_values_beside_them_are(line):
    assert [(c.kind, line[c.start : c.end]) for c in Auditor().candidates(line) if c.score >= 0.5] == [
        ("ip", b"1.2.3.4")
    ]


def test_percent_decoded_view_reports_columns_in_the_raw_line():
    line = b"GET /q?msg=client%20198.51.100.7%20x"
    (c,) = Auditor().candidates(line)
    assert (c.kind, line[c.start : c.end]) == ("ip", b"198.51.100.7")


def test_over_long_lines_are_read_in_overlapping_segments(tmp_path):
    """An identifier across a segment border is found once, at its column in the whole line."""
    line = b"x" * 4090 + b' {"to": "0301234567"} ' + b"Y" * 9000 + b" 192.0.2.1\n"
    path = tmp_path / "long.log"
    path.write_bytes(line + b"ok\n")
    hits = [(f.line, f.column, f.kind) for f in Scanner(max_line=4096).scan([str(path)])]
    assert hits == [(1, 4100, "phone"), (1, 4090 + 22 + 9000 + 2, "ip")]


def test_the_auditor_shares_no_code_with_the_line_engine():
    code = (
        "import sys, pseudolog.scan, pseudolog.audit; "
        "bad = [m for m in sys.modules if m.startswith(('tests.reference', 'pseudolog._core'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stdout


def run(bin_, *args, stdin=b""):
    return subprocess.run([bin_, *args], input=stdin, capture_output=True, timeout=120)


def test_scan_exit_codes_and_privacy(pseudolog_bin, tmp_path):
    log = tmp_path / "raw.log"
    log.write_bytes(RAW)
    proc = run(pseudolog_bin, "scan", str(log))
    assert proc.returncode == 1
    assert proc.stdout.decode().splitlines() == [
        f"{log}:1:1: ip 0.90 999.9.999.9",
        f"{log}:1:57: phone 0.90 +99999999999",
        f"{log}:3:40: phone 0.85 9999999999",
    ]
    assert b"203.0.113.7" not in proc.stdout + proc.stderr and b"0301234567" not in proc.stdout + proc.stderr
    assert b"2 low-score candidate(s) below --min-score 0.5" in proc.stderr
    shown = run(pseudolog_bin, "scan", "--show-values", str(log))
    assert b"203.0.113.7" in shown.stdout and shown.returncode == 1
    every = run(pseudolog_bin, "scan", "--min-score", "0", str(log))
    assert every.stdout.count(b"\n") == 5 and every.returncode == 1


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
    assert run(pseudolog_bin, "scan", stdin=line).returncode == 1
    out = run(pseudolog_bin, "run", "--key-file", str(key_file), *style, stdin=line).stdout
    assert run(pseudolog_bin, "scan", stdin=out).returncode == 0


# What `pseudolog run` leaves readable today, found by the auditor. Mac_2k's IPv6 after `en0+:` and numbers as
# the users of (percent-escaped) URLs are replaced since the native engine reads them (issue 22).
RUN_OUTPUT_LEAKS: dict[str, str] = {}


def _leak_mark(name: str):
    reason = RUN_OUTPUT_LEAKS.get(name)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


@pytest.mark.parametrize("name", [pytest.param(n, marks=_leak_mark(n)) for n in corpus_names()])
def test_scan_passes_run_output_of_every_synthetic_corpus(pseudolog_bin, key_file, name):
    data = ("\n".join(corpus_lines(name, 300)) + "\n").encode()
    assert run(pseudolog_bin, "scan", stdin=data).returncode == 1, "the raw corpus has identifiers"
    out = run(pseudolog_bin, "run", "--key-file", str(key_file), "--now", "2026-11-21T00:00:00Z", stdin=data).stdout
    proc = run(pseudolog_bin, "scan", stdin=out)
    assert proc.returncode == 0, proc.stdout[:2000]


CORPUS_FILES = (
    sorted(
        p
        for p in CORPORA.rglob("*")
        if p.is_file() and p.name not in {"LICENSE", "COPYING", "README.txt", "README.md"} and p.suffix != ".md"
    )
    if CORPORA.is_dir()
    else []
)


@pytest.mark.skipif(not CORPUS_FILES, reason="../shared/corpora is not present")
@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=_leak_mark(str(p.relative_to(CORPORA)))) for p in CORPUS_FILES],
    ids=lambda p: str(p.relative_to(CORPORA)),
)
def test_scan_passes_run_output_of_public_corpora(pseudolog_bin, key_file, path):
    out = run(pseudolog_bin, "run", "--key-file", str(key_file), "--now", "2026-11-21T00:00:00Z", str(path)).stdout
    proc = run(pseudolog_bin, "scan", stdin=out)
    assert proc.returncode == 0, proc.stdout[:2000]


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


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (b"GET /x?ip=2001%3Adb8%3A%3A7 HTTP/1.1", "ip"),
        (b"GET /x?to=%2B4930123456&x=1", "phone"),
        (b"GET /x?mac=00%3A15%3A65%3Aab%3Acd%3Aef", "mac"),
        (b"GET /x?q=tel%3A004930123456", "phone"),
        (b'{"msg":"imei%3D352099001761481"}', "imei"),
    ],
)
def test_percent_encoded_identifiers_are_found(line, kind):
    assert [c.kind for c in Auditor().candidates(line) if c.score >= 0.5] == [kind]


def test_scan_checks_the_format_options_it_accepts(pseudolog_bin):
    """--format is accepted for compatibility and checked: a typo is a usage error, not a silent no-op."""
    assert run(pseudolog_bin, "scan", "--format", "bogus", stdin=b"x\n").returncode == 2
    assert run(pseudolog_bin, "scan", "--format", "nginx_main", stdin=b"x\n").returncode == 0
    assert run(pseudolog_bin, "scan", "--min-score", "2", stdin=b"x\n").returncode == 2


# -- properties: pseudonyms in any context are never flagged; a raw identifier beside them always is ------------
LETTERS = "ghjkmnpqrstvwxyz"
_letters = st.text(alphabet=LETTERS, min_size=16, max_size=16)
_token = st.one_of(
    st.builds(lambda p, s: f"{p}-{s}", st.sampled_from(["IP", "PHONE", "MAC", "IMEI", "DEV"]), _letters),
    st.builds(lambda c, s: f"PHONE+{c}-{s}", st.sampled_from(["1", "49", "353", "1242"]), _letters),
    st.builds(lambda o, s: f"MAC-{o}-{s}", st.sampled_from(["001565", "0004f2", "c074ad"]), _letters),
    st.builds(lambda t, s: f"IMEI-{t}-{s}", st.sampled_from(["35209900", "49015420", "86012345"]), _letters),
)
_glue = st.sampled_from(
    [" ", "", ":", ":5060", "@", "sip:", "tel:", "<sip:", ">", '"', "=", "to=", "from=", "%20", "%2B", "/", ";", ",",
     "[", "]", "(", ")", " SW 1.0.11.23 ", " Chrome/120.0.6099.109 ", " 200 512 ", "\t"]
)  # fmt: skip


@settings(max_examples=examples(400))
@given(st.lists(st.tuples(_glue, _token), min_size=1, max_size=8), _glue)
def test_pseudonyms_in_any_context_are_never_flagged(pieces, tail):
    line = ("".join(g + t for g, t in pieces) + tail).encode()
    assert [c for c in Auditor().candidates(line) if c.score >= 0.5] == []


_raw = st.sampled_from(
    [("192.0.2.44", "ip"), ("2001:db8::44", "ip"), ("+4930123456", "phone"), ("00:15:65:ab:cd:ef", "mac"),
     ("490154203237518", "imei")]
)  # fmt: skip


@settings(max_examples=examples(400))
@given(st.lists(st.tuples(_glue, _token), max_size=4), _raw, st.lists(st.tuples(_glue, _token), max_size=4))
def test_a_raw_identifier_between_pseudonyms_is_flagged(before, raw, after):
    value, kind = raw
    head = "".join(g + t for g, t in before) + " "
    line = (head + value + " " + "".join(g + t for g, t in after)).encode()
    found = [(c.kind, line[c.start : c.end]) for c in Auditor().candidates(line) if c.score >= 0.5]
    assert found == [(kind, value.encode())]


@pytest.mark.parametrize(
    ("line", "raw", "kind"),
    [
        # what JSON encoders write by default: .NET's `+`, Go's `<`, PHP's `/`, any display name's quotes
        (rb'{"callee":"\u002b4930123456"}', rb"\u002b4930123456", "phone"),
        (rb'{"from":"\"0301234567\" \u003csip:x@pbx>"}', b"0301234567", "phone"),
        (rb'{"chan":"PJSIP\/\u002b4930123456-0001"}', rb"\u002b4930123456", "phone"),
        (rb'{"src":"\u0031\u0039\u0038.51.100.7"}', rb"\u0031\u0039\u0038.51.100.7", "ip"),
        (
            rb'{"mac":"00\u003a15\u003a65\u003aab\u003acd\u003aef"}',
            rb"00\u003a15\u003a65\u003aab\u003acd\u003aef",
            "mac",
        ),
    ],
)
def test_json_escaped_identifiers_are_found_at_their_columns_as_written(line, raw, kind):
    """A JSON reader sees the escapes' text; the engine replaces it (session 42), and the auditor must see it too,
    or it cannot catch the engine missing it."""
    (c,) = [c for c in Auditor().candidates(line) if c.score >= 0.5]
    assert (c.kind, line[c.start : c.start + len(raw)]) == (kind, raw)


def test_scan_passes_run_output_of_json_escaped_identifiers(pseudolog_bin, key_file):
    lines = (
        rb'{"callee":"\u002b4930123456","ua":"\"0301234567\" \u003csip:0301234567@pbx>",'
        rb'"ip":"\u0031\u0039\u0038.51.100.7"}'
        b"\n"
    )
    assert run(pseudolog_bin, "scan", stdin=lines).returncode == 1
    out = run(pseudolog_bin, "run", "--key-file", str(key_file), "--format", "json_lines", stdin=lines).stdout
    clean = run(pseudolog_bin, "scan", stdin=out)
    assert clean.returncode == 0, (out, clean.stdout)
