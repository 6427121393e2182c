"""The native Engine (`_core.Engine`, built by pseudolog/native_engine.py) against the Python Engine, driven the
way pseudolog/io/streams.py drives it: the same chunks, the same `now`; output bytes, runs and counts compared.

Recorded differences (where the Python behaviour is a bug or an encoding choice, the native one is kept):
- JSON lines with a replaced value: Python re-encodes the whole object with orjson (compact, escapes
  normalised); the native engine rewrites the values in place and keeps the rest of the line byte for byte. Such
  lines are compared as parsed JSON (`_same_json`).
- Duplicated JSON keys: Python keeps the last (orjson) and writes the object back without the others; the
  native engine keeps the line and replaces every occurrence (`test_json_duplicate_keys_keep_every_occurrence`).
- Issue 22's leak shapes (tests/issue22_differences.py): on a line where the engines differ otherwise, the
  native output must hold no raw value the Python output had replaced, but for a dotted quad kept as a version;
  the replaced counts then differ (the other counts must not).
- Segments of over-long lines: the native framer reads up to 256 bytes before a segment as context and judges a
  blank at a window's end by the byte after it (issue 22); Python reads neither. On the lines tried here both
  wrote the same bytes; `test_long_lines_cut_between_blanks` holds only the counts and "nothing raw survives".
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pseudolog.config import FilterOptions
from pseudolog.keyring import Keyring
from pseudolog.native_engine import native_engine
from pseudolog.synth_formats import corpus_lines, corpus_names
from tests.issue22_differences import assert_native_replaces_at_least
from tests.reference.core.engine import Engine, render_runs
from tests.reference.framing import LineFramer

KEY = bytes(range(32))
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
CHUNK = 1 << 16
CORPORA = Path("/work/shared/corpora")
REGRESSIONS = Path(__file__).resolve().parent.parent / "fuzz" / "regressions"
LINES = 200

OPTION_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "text": {"format": "text"},
    "named-nginx": {"format": "nginx_combined"},
    "named-kamailio": {"format": "kamailio"},
    "keep": {"keep": frozenset({"phone-country", "mac-oui", "imei-tac"})},
    "ip-prefix": {"ip_style": "prefix"},
    "retention": {"retention": 7 * 86400},
    "max-line": {"max_line": 4096},
    "json-field": {"json_fields": (("user", "phone"), ("device", "imei"), ("note", "text"))},
    "drop-on-error": {"on_error": "drop"},
    "log-format": {
        "log_format": '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
        '"$http_referer" "$http_user_agent"'
    },
}


def python_run(options: FilterOptions, key: Any, data: bytes, now: float) -> tuple[bytes, list, dict]:
    engine = Engine(options, key)
    engine.start_input()
    framer = LineFramer(options.max_line)
    runs: list[tuple[int | None, bytes]] = []
    for i in range(0, len(data), CHUNK):
        for piece in framer.feed(data[i : i + CHUNK]):
            runs.extend(render_runs(engine, piece, now))
    for piece in framer.finish():
        runs.extend(render_runs(engine, piece, now))
    counts = {
        "lines_in": engine.lines_in,
        "lines_out": engine.lines_out,
        "dropped": dict(engine.dropped),
        "replaced": dict(+Counter(engine.scrubber.replaced)),
        "formats": dict(+Counter(engine.formats)),
        "masked_on_error": engine.errors,
        "missing_window_keys": engine.missing_window_keys,
    }
    return b"".join(d for _, d in runs), _merged([(w, len(d)) for w, d in runs]), counts


def native_run(options: FilterOptions, key: Any, data: bytes, now: float) -> tuple[bytes, list, dict]:
    engine = native_engine(options, key)
    out: list[bytes] = []
    runs: list[tuple[int | None, int]] = []
    for i in range(0, len(data), CHUNK):
        chunk_out, chunk_runs = engine.feed(data[i : i + CHUNK], now)
        out.append(chunk_out)
        runs.extend(chunk_runs)
    chunk_out, chunk_runs = engine.finish(now)
    out.append(chunk_out)
    runs.extend(chunk_runs)
    counts = engine.counts()
    counts.pop("unmatched")
    counts.pop("missing_windows")  # which windows lacked a key: for the run command's advice only
    counts["dropped"] = {k: v for k, v in counts["dropped"].items() if v}
    return b"".join(out), _merged(runs), counts


def _merged(runs: list[tuple[int | None, int]]) -> list[tuple[int | None, int]]:
    """Adjacent runs of one window joined (Python starts a new list per piece; window files do not care)."""
    merged: list[tuple[int | None, int]] = []
    for w, n in runs:
        if n == 0:
            continue
        if merged and merged[-1][0] == w:
            merged[-1] = (w, merged[-1][1] + n)
        else:
            merged.append((w, n))
    return merged


def _same_json(a: bytes, b: bytes) -> bool:
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False


# Tokens as the engines write them (every --keep style and the prefix style hold no raw digit run of four).
TOKEN = re.compile(rb"(?:IP|PHONE|MAC|IMEI|DEVICE)-[0-9A-Za-z.:+-]*[g-z]{16}|MASKED")


def assert_same(options: FilterOptions, data: bytes, key: Any = KEY, now: float = NOW) -> None:
    py_out, py_runs, py_counts = python_run(options, key, data, now)
    rs_out, rs_runs, rs_counts = native_run(options, key, data, now)
    if rs_out == py_out:
        assert rs_counts == py_counts
        assert rs_runs == py_runs
        return
    py_lines, rs_lines = py_out.split(b"\n"), rs_out.split(b"\n")
    assert len(py_lines) == len(rs_lines)
    issue22 = 0
    for p, r in zip(py_lines, rs_lines, strict=True):
        if p == r:
            continue
        if p.lstrip()[:1] == b"{" and _same_json(p, r):
            # Recorded difference: Python re-encodes a changed JSON object; the native engine keeps its bytes.
            continue
        # Recorded difference (issue 22): the native detectors replace the leak shapes Python misses and keep
        # versions Python replaced; never the other way round.
        assert_native_replaces_at_least(p, r, TOKEN, prefix=options.ip_style == "prefix")
        issue22 += 1
    same = ("lines_in", "lines_out", "dropped", "formats", "masked_on_error", "missing_window_keys")
    assert {k: rs_counts[k] for k in same} == {k: py_counts[k] for k in same}
    if issue22 == 0:
        assert rs_counts == py_counts


def _options(name: str) -> FilterOptions:
    return FilterOptions(**OPTION_SETS[name])


def _corpus(name: str) -> bytes:
    return "".join(line if line.endswith("\n") else line + "\n" for line in corpus_lines(name, LINES)).encode()


@pytest.mark.parametrize("option_set", sorted(OPTION_SETS))
@pytest.mark.parametrize("corpus", corpus_names())
def test_synthetic_corpora(corpus: str, option_set: str) -> None:
    assert_same(_options(option_set), _corpus(corpus))


def _corpus_files() -> list[Path]:
    if not CORPORA.is_dir():
        return []
    return sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.suffix not in (".md", ".gz", ".zip"))


@pytest.mark.skipif(not CORPORA.is_dir(), reason="shared corpora absent")
@pytest.mark.parametrize("option_set", sorted(OPTION_SETS))
def test_shared_corpora(option_set: str) -> None:
    for path in _corpus_files():
        data = path.read_bytes()[: 1 << 20]
        assert_same(_options(option_set), data)


@pytest.mark.parametrize("option_set", sorted(OPTION_SETS))
def test_fuzz_regressions(option_set: str) -> None:
    for path in sorted(REGRESSIONS.iterdir()):
        assert_same(_options(option_set), path.read_bytes())


def test_keyring_with_a_missing_window(tmp_path: Path) -> None:
    """Lines of a window whose key was pruned are masked (counted), the others tokenised alike."""
    ring = Keyring(tmp_path, 3600)
    ring.rotate(NOW - 7200, 3600)  # keys for NOW-2h and NOW-1h only
    data = _corpus("nginx") + _corpus("kamailio")
    for on_error in ("mask", "drop"):
        assert_same(FilterOptions(window=3600, on_error=on_error), data, key=ring, now=NOW)


_PIECES = st.sampled_from(
    [
        b"192.0.2.1",
        b"2001:db8::1",
        b"+49 30 1234567",
        b"00:1A:2B:3C:4D:5E",
        b"490154203237518",
        b"sip:",
        b"@example.org",
        b"tel:+4930123456",
        b"%2B49",
        b"%3A",
        b" ",
        b"\t",
        b'"',
        b"<",
        b">",
        b"=",
        b":",
        b"imei=",
        b"caller=",
        b"\r",
        b'{"ip":"',
        b'"}',
        b",",
        b"[",
        b"]",
        b"GET /",
        b"\xff",
        b"deadbeef",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_PIECES | st.binary(max_size=6), max_size=12), min_size=1, max_size=8))
def test_hypothesis_lines(lines: list[list[bytes]]) -> None:
    data = b"\n".join(b"".join(parts) for parts in lines)
    assert_same(FilterOptions(), data)
    assert_same(FilterOptions(format="text"), data)
    assert_same(FilterOptions(keep=frozenset({"phone-country", "mac-oui", "imei-tac"}), ip_style="prefix"), data)


@pytest.mark.parametrize("corpus", ["nginx", "kamailio"])
def test_long_lines(corpus: str) -> None:
    """A line over --max-line among formatted ones, cut at safe places: the same segments, bytes and counts."""
    long_line = b"GET /?" + b"&".join(b"a=192.0.2.%d&p=+49301234%03d" % (i % 250, i) for i in range(600)) + b"\n"
    data = _corpus(corpus) + long_line + _corpus(corpus)
    assert_same(FilterOptions(max_line=4096), data)
    rs_out = native_run(FilterOptions(max_line=4096), KEY, data, NOW)[0]
    assert b"192.0.2." not in rs_out and b"+49301234" not in rs_out


@pytest.mark.parametrize(
    "line",
    [b"+49 30 1234567 " * 1000 + b"\n", b"x" * 4090 + b" caller=4930123456 imei=490154203237518 " * 300 + b"\n"],
)
def test_long_lines_cut_between_blanks(line: bytes) -> None:
    """Recorded difference possible here: segments are judged with the byte after a window (a blank there does
    not make a safe cut inside `+49 30 1234567`) and read with up to 256 bytes of context (`caller=` before a
    cut); Python reads neither. The counts agree and nothing raw survives the native engine."""
    options = FilterOptions(max_line=4096)
    py_out, _, py_counts = python_run(options, KEY, line, NOW)
    rs_out, _, rs_counts = native_run(options, KEY, line, NOW)
    assert rs_counts["lines_in"] == py_counts["lines_in"] == 1
    assert rs_counts["formats"] == py_counts["formats"]
    assert b"1234567" not in rs_out and b"4930123456" not in rs_out and b"490154203237518" not in rs_out
    assert rs_out.endswith(b"\n") and py_out.endswith(b"\n")


def test_counts_merge_and_unmatched() -> None:
    engine = native_engine(FilterOptions(format="nginx_combined"), KEY)
    out, runs = engine.feed(b"not an nginx line 192.0.2.1\n", NOW)
    assert b"192.0.2.1" not in out
    assert engine.counts()["unmatched"] == 1
    assert sum(n for _, n in runs) == len(out)


@pytest.mark.parametrize("corpus", ["nginx", "sip_syslog", "json_lines"])
def test_feed_into_a_kept_buffer_writes_what_feed_writes(corpus: str) -> None:
    """The pump's path (a view of one read buffer in, one bytearray out) gives feed's bytes and counts, with
    lines cut across reads and an output shorter than the buffer's last use."""
    data = _corpus(corpus) + b"partial 192.0.2.7"
    by_feed = native_engine(FilterOptions(), KEY)
    want = b"".join(by_feed.feed(data[i : i + 997], NOW)[0] for i in range(0, len(data), 997))
    want += by_feed.finish(NOW)[0]
    by_view = native_engine(FilterOptions(), KEY)
    read, out, got = bytearray(997), bytearray(b"x" * 5000), b""
    for i in range(0, len(data), 997):
        piece = data[i : i + 997]
        read[: len(piece)] = piece
        with memoryview(read)[: len(piece)] as view:
            written = by_view.feed_into(view, NOW, out)
        assert written == len(out)
        got += bytes(out)
    got += by_view.finish(NOW)[0]
    assert got == want
    assert by_view.counts() == by_feed.counts()


def test_pump_reads_a_pipe_through_kept_buffers() -> None:
    """`run`'s loop over a descriptor: reads smaller than a line, every byte and line out as feed gives them."""
    from pseudolog.pipeline import build_engine, fd_chunks, pump_chunks

    data = _corpus("nginx")
    want = native_engine(FilterOptions(), KEY).feed(data, NOW)[0]
    read_end, write_end = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write_end, data), os.close(write_end)))
    writer.start()
    sink = io.BytesIO()
    try:
        pumped = pump_chunks(build_engine(FilterOptions(), KEY), fd_chunks("pipe", read_end, 61), sink, lambda: NOW)
    finally:
        writer.join()
        os.close(read_end)
    assert pumped == len(data)
    assert sink.getvalue() == want


@pytest.mark.skipif(os.environ.get("PSEUDOLOG_NATIVE_ENGINE_SLOW") is None, reason="set to run")
def test_many_lines() -> None:
    assert_same(FilterOptions(), _corpus("nginx") * 50)


@pytest.mark.parametrize("corpus", ["nginx", "kamailio", "sip_syslog", "asterisk_full", "json_lines", "cdr_csv"])
def test_retention_drops_old_lines(corpus: str) -> None:
    """--retention 7d with a --now a year after the corpus: its timed lines are dropped alike."""
    assert_same(FilterOptions(retention=7 * 86400), _corpus(corpus), now=NOW + 365 * 86400)


_JSON_LINES = [
    b'{"ip": "192.0.2.1", "msg": "call from +49 30 1234567"}',
    b'{"caller":4930123456,"imei":490154203237518,"n":-5,"ok":true,"x":1.5e3}',
    b'{"user":"4915112345678","device":"490154203237518","note":"192.0.2.9"}',
    b'{"msg":"a\\u0031 192.0.2.1 \\"q\\"","ts":"2025-12-30T10:00:00Z"}',
    b'{"nested":{"client_ip":["192.0.2.1","2001:db8::2"],"list":[{"mac":"00:1a:2b:3c:4d:5e"}]}}',
    b'{"__REALTIME_TIMESTAMP":"1767000000000000","MESSAGE":"from 198.51.100.7"}',
    b'{"timestamp":1767000000123,"src_ip":"10.0.0.1"}',
    b'{"a":"no identifiers here"}',
    b"[1, 2, 3]",
    b'{"unterminated": "192.0.2.1"',
]


@pytest.mark.parametrize("option_set", ["defaults", "json-field", "retention"])
def test_json_lines_by_hand(option_set: str) -> None:
    data = b"\n".join(_JSON_LINES * 3) + b"\n"
    assert_same(_options(option_set), data)
    assert_same(FilterOptions(format="json_lines", json_fields=(("user", "phone"),)), data)


def test_json_duplicate_keys_keep_every_occurrence() -> None:
    """Recorded difference: Python reads a duplicated key as orjson does (the last wins) and writes the object
    back without the earlier occurrence, losing it; the native engine keeps the line and replaces every
    occurrence (one more `ip` counted)."""
    line = b'{"a": "192.0.2.1", "a": "198.51.100.2"}\n'
    py_out, _, py_counts = python_run(FilterOptions(), KEY, line, NOW)
    rs_out, _, rs_counts = native_run(FilterOptions(), KEY, line, NOW)
    assert py_out.count(b'"a"') == 1 and rs_out.count(b'"a"') == 2
    assert json.loads(py_out)["a"] == json.loads(rs_out)["a"]  # the last occurrence: the same token
    assert b"192.0.2.1" not in rs_out and b"198.51.100.2" not in rs_out
    assert rs_counts["replaced"]["ip"] == py_counts["replaced"]["ip"] + 1
