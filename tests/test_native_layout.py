"""Differential tests: the native layouts (src/layout.rs, src/csv.rs, src/json.rs) against the Python formats.

For every built-in format and several --log-format strings, on sample lines, the synthetic corpora, the public
corpora (when present), the fuzz regressions and hypothesis mutations: the same match or no match, the same
pattern and field spans as `regex.fullmatch`; for CSV and JSON the same fit and the same values with their roles;
and `auto` settles on the same format for every corpus.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pseudolog.formats.spec import builtin_specs, format_spec
from tests.reference.core.parse import AUTO_LOCK_LINES, AutoFormatStep
from tests.reference.core.record import Record
from tests.reference.formats import (
    TIME_KEYS,
    CsvFormat,
    JsonLinesFormat,
    builtin_formats,
    format_from_string,
    load_pattern_file,
)

_core = pytest.importorskip("pseudolog._core")

CORPORA = Path("/work/shared/corpora")
REGRESSIONS = Path(__file__).resolve().parent.parent / "fuzz" / "regressions"
LOG_FORMATS = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"',
    '$remote_addr - $remote_user [$time_local] "$request" $status $upstream_response_time $host',
    "$time_iso8601 $msec $remote_addr:$remote_port $request_time ${request_length}b $http_x_real_ip",
    '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"',
    '%v:%p %a %{X-Forwarded-For}i %t %D %P %{tid}P %{%Y-%m-%d}t "%r" %s',
    "$remote_addr $request_uri $args",
)
# Custom patterns that reach the corners, each its own format so none hides another: fields that may start
# inside a run of spaces, a `.*` in the middle, numbers before a dot, times before digits, structured data,
# required words. (A tab in a .pattern file reaches the pattern as blanks: pyparsing expands tabs.)
CUSTOM_PATTERNS = (
    "%{word:a} %{text:t} %{rest:r}",
    '%{word:a}  "%{qtext:q}" %{num:n}.%{int:i}',
    "%{rest:r} end %{word:w}",
    "[%{clf:t}]%{int:n}|%{epoch:e}5 %{iso:i}Z%{syslog:s}.%{sd:sd} %{word:w}",
    '%{text:a}"%{qtext:q}" %{message:m}',
    "%{ip:x}%%%{host:h} %{ipport:p} %{sd:sd}",
    "%{qtext:q} %{text:t}",  # never matches: the possessive quoted run only stops at a quote or the end
)
CUSTOM_LINES = (
    b"a   x  rest of it",
    b"a  b",
    b'w  "q\\"x y" 12.5.3',
    b'w  "" -.-',
    b"x end y end z",
    b'[10/Oct/2000:13:55:36.5 +0100]5|17000000005 2026-11-21T10:00:00ZNov  1 10:00:00.5.[a b="c\\"]"][d] w',
    b"[1/Oct/2000:13:55:36]-|1700000000.255 2026-11-21 10:00:00.5ZNov 21 10:00:00.- w",
    b'x y"abc" m',
    b'x"b c" {"a":1}',
    b'1.2.3.4%host [::1]:5060 [x@1 a="b"]',
    b"1.2.3.4%h  h:1 -",
    b'a\\" b c',
)


def _custom(i: int, text: str):
    required = "require: q=abc|b c\n" if "%{qtext:q}" in text and "text:a" in text else ""
    return load_pattern_file(f"name: corner{i}\n{required}pattern: {text}\n", f"corner{i}")


@cache
def python_formats() -> list:
    """Built-in formats in `auto` order, then the --log-format ones and the custom ones."""
    formats = list(builtin_formats().values())
    formats += [format_from_string(text) for text in LOG_FORMATS]
    formats += [_custom(i, text) for i, text in enumerate(CUSTOM_PATTERNS)]
    return formats


@cache
def native() -> _core.Layouts:
    return _core.Layouts([format_spec(f) for f in python_formats()])


def _lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")


@cache
def corpus_lines() -> dict[str, list[bytes]]:
    from pseudolog.synth_formats import corpus_lines as grow
    from pseudolog.synth_formats import corpus_names

    # Corpus lines come with their terminator; a format reads the line without it (io/framing.py).
    corpora = {name: [line.encode("utf-8").removesuffix(b"\n") for line in grow(name, 200)] for name in corpus_names()}
    if CORPORA.is_dir():
        for path in sorted(CORPORA.rglob("*")):
            if path.is_file() and path.suffix != ".md" and path.name not in ("LICENSE", "COPYING"):
                corpora[f"public:{path.relative_to(CORPORA)}"] = _lines_of(path.read_bytes())[:2000]
    return corpora


def sample_lines() -> Iterator[bytes]:
    yield from CUSTOM_LINES
    for fmt in python_formats():
        for s in fmt.samples:
            yield s.encode("utf-8")
    if REGRESSIONS.is_dir():
        for path in sorted(REGRESSIONS.iterdir()):
            yield from _lines_of(path.read_bytes())


def _python_values(fmt, line: bytes):
    """What the Python format reads from a line, in the shape the native `values` gives."""
    if isinstance(fmt, CsvFormat):
        parsed = fmt.parse(line)
        if parsed is None:
            return None
        roles = [
            "phone"
            if c in fmt.phone_columns
            else "keep"
            if c in fmt.keep_columns
            else "time"
            if c == fmt.time_column
            else "text"
            for c in fmt.columns
        ]
        return [
            (s, e, role)
            for role, (s, e) in zip(roles, parsed[0], strict=False)
            if e > s and not (role == "keep" and line[s:e].isdigit())
        ]
    raise AssertionError(fmt)


def _json_walk(fmt: JsonLinesFormat, value, kind, out: list) -> None:
    if isinstance(value, str):
        if value:
            out.append((value, kind or "text"))
    elif isinstance(value, dict):
        for k, v in value.items():
            if k:
                out.append((k, "text"))
            _json_walk(fmt, v, fmt.kind_of(k), out)
    elif isinstance(value, list):
        for v in value:
            _json_walk(fmt, v, kind, out)
    elif isinstance(value, int) and not isinstance(value, bool) and kind in ("phone", "imei"):
        out.append((str(value), f"{kind}+number"))


def _decoded(line: bytes, start: int, end: int, label: str):
    raw = line[start:end]
    if label.endswith("+number"):
        return str(int(raw)), label
    return json.loads(b'"' + raw + b'"'), label


def check_line(line: bytes) -> None:
    lay = native()
    for index, fmt in enumerate(python_formats()):
        if isinstance(fmt, JsonLinesFormat):
            parsed = fmt.parse(line)
            got = lay.values(index, line)
            assert (got is None) == (parsed is None), (fmt.name, line)
            if parsed is not None:
                want: list = []
                limit = sys.getrecursionlimit()
                sys.setrecursionlimit(10_000)  # orjson reads 1024 levels; the walk recurses per level
                try:
                    _json_walk(fmt, parsed, None, want)
                finally:
                    sys.setrecursionlimit(limit)
                mine = [_decoded(line, s, e, label) for s, e, label in got]
                times = [
                    (json.loads(line[s:e]) if number else json.loads(b'"' + line[s:e] + b'"'), number)
                    for s, e, number in lay.json_times(index, line)
                ]
                want_times = [
                    (v, not isinstance(v, str))
                    for v in map(parsed.get, TIME_KEYS)
                    if isinstance(v, str) or (isinstance(v, int | float) and not isinstance(v, bool))
                ]
                assert times == want_times, line
                if len(mine) == len(want):
                    assert mine == want, line
                else:  # a duplicated key: orjson keeps the last; the native side reports every one
                    assert set(want) <= set(mine), line
            continue
        if isinstance(fmt, CsvFormat):
            assert lay.values(index, line) == _python_values(fmt, line), (fmt.name, line)
            continue
        want = None
        for i, pattern in enumerate(fmt.patterns):
            m = pattern.regex.fullmatch(line)
            if m is not None:
                want = (i, list(m.regs[1:]))
                break
        assert lay.match_line(index, line) == want, (fmt.name, line)


def test_every_builtin_format_has_a_spec_and_the_cache_round_trips(tmp_path: Path) -> None:
    cache_file = tmp_path / "specs.json"
    built = builtin_specs(cache_file)
    assert list(built) == list(builtin_formats())
    assert cache_file.is_file()
    assert builtin_specs(cache_file) == built
    assert json.loads(json.dumps(built)) == built
    _core.Layouts(list(built.values()))


def test_a_stale_cache_is_rebuilt(tmp_path: Path) -> None:
    cache_file = tmp_path / "specs.json"
    cache_file.write_text(json.dumps({"digest": "old", "formats": {}}))
    assert builtin_specs(cache_file) == {n: format_spec(f) for n, f in builtin_formats().items()}


def test_each_install_keeps_its_own_cache_and_old_ones_are_pruned(tmp_path: Path, monkeypatch) -> None:
    """Two installs on one host (their digests differ) each read their own file instead of rebuilding the other's;
    when a file is written, only the newest few are kept."""
    import os

    from pseudolog.formats import spec

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    directory = tmp_path / "pseudolog"
    directory.mkdir()
    for i in range(spec.CACHES_KEPT + 3):
        other = directory / f"builtin-specs-v{spec.SPEC_VERSION}-{i:016x}.json"
        other.write_text(json.dumps({"digest": f"another install {i}", "formats": {}}))
        os.utime(other, (1_000_000 + i, 1_000_000 + i))
    built = builtin_specs()
    mine = spec.spec_cache_path(spec._builtin_digest())
    assert mine.is_file() and json.loads(mine.read_text())["formats"] == built
    kept = sorted(directory.glob("builtin-specs-v*.json"))
    assert len(kept) == spec.CACHES_KEPT and mine in kept
    assert directory / f"builtin-specs-v{spec.SPEC_VERSION}-{spec.CACHES_KEPT + 2:016x}.json" in kept  # the newest


def test_sample_lines_and_regressions() -> None:
    for line in sample_lines():
        check_line(line)


@pytest.mark.parametrize("name", sorted(corpus_lines()))
def test_corpus_lines(name: str) -> None:
    for line in corpus_lines()[name]:
        check_line(line)
        check_line(line + b"\r")


def _python_detect(lines: list[bytes]) -> tuple[str | None, bool]:
    step = AutoFormatStep(list(builtin_formats().values()))
    for line in lines:
        if step.locked:
            break
        step(Record(body=line, now=0.0))
    return step.detected, step.locked


@pytest.mark.parametrize("name", sorted(corpus_lines()))
def test_auto_settles_on_the_same_format(name: str) -> None:
    lines = corpus_lines()[name]
    lay = _core.Layouts(list(builtin_specs().values()))
    assert lay.names() == list(builtin_formats())
    for start in (0, 7):
        chunk = lines[start : start + 3 * AUTO_LOCK_LINES]
        assert lay.detect(chunk) == _python_detect(chunk), name


def test_auto_on_mixed_and_empty_inputs() -> None:
    lay = _core.Layouts(list(builtin_specs().values()))
    corpora = corpus_lines()
    names = sorted(n for n in corpora if not n.startswith("public:"))
    mixed = [corpora[names[i % len(names)]][i] for i in range(40)]
    for lines in ([], [b""] * 30, [b"x"] * 5, mixed, mixed[::-1], [b"{}", b"x", b"{}", b"y", b"{}"]):
        assert lay.detect(lines) == _python_detect(lines)


# Hypothesis: mutations of real lines, with the bytes that steer the matchers most.
_SPICE = st.sampled_from(
    [
        b" ",
        b"  ",
        b'"',
        b"\\",
        b'\\"',
        b"[",
        b"]",
        b"-",
        b".",
        b":",
        b",",
        b'""',
        b"{",
        b"}",
        b"\t",
        b"0",
        b"9",
        b"Z",
        b"+",
        b"%",
        b"\x00",
        b"\xff",
        b"=",
        b"kamailio",
        b"T",
        b"e",
    ]
)


@cache
def _seed_lines() -> list[bytes]:
    seeds = list(sample_lines())
    for name, lines in sorted(corpus_lines().items()):
        if not name.startswith("public:"):
            seeds += lines[:3]
    return [s for s in seeds if s]


@st.composite
def mutated(draw) -> bytes:
    line = bytearray(draw(st.sampled_from(_seed_lines())))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "spice", "truncate"]))
        pos = draw(st.integers(0, len(line)))
        if op == "insert":
            line[pos:pos] = draw(st.binary(min_size=1, max_size=3))
        elif op == "delete":
            del line[pos : pos + draw(st.integers(1, 4))]
        elif op == "replace" and pos < len(line):
            line[pos] = draw(st.integers(0, 255))
        elif op == "spice":
            line[pos:pos] = draw(_SPICE)
        elif op == "truncate":
            del line[pos:]
    return bytes(line)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_lines(line: bytes) -> None:
    check_line(line)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_arbitrary_bytes(line: bytes) -> None:
    check_line(line)


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["4930123456", "203.0.113.7", "\\", '"', "\U0001f600"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["ip", "Caller", "x-imei", "msisdn", " mac ", "n", "src.ip", "time", "\x1cxff", "ts", "date"]
            )
            | st.text(max_size=6),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["time", "ts", "@timestamp", "date"]) | st.text(max_size=8), _JSON_VALUES, max_size=5
    ),
    st.booleans(),
    st.data(),
)
def test_json_objects(obj: dict, ascii_only: bool, data) -> None:
    line = json.dumps(obj, ensure_ascii=ascii_only).encode("utf-8")
    check_line(line)
    with contextlib.suppress(TypeError):  # orjson writes no integer beyond 64 bits (json.dumps above does)
        check_line(orjson.dumps(obj))
    pos = data.draw(st.integers(0, len(line)))
    check_line(line[:pos] + data.draw(_SPICE) + line[pos:])


@pytest.mark.parametrize(
    "line",
    [
        b'{"a":' + b"[" * 1023 + b"]" * 1023 + b"}",
        b'{"a":' + b"[" * 1024 + b"]" * 1024 + b"}",
        b'{"caller":18446744073709551615,"imei":18446744073709551616,"msisdn":-9223372036854775809}',
        b'{"caller":-0,"imei":1e2,"x":1.7976931348623157e308,"y":1.8e308}',
        b'{"a":"\\ud800"}',
        b'{"a":"\\udc00"}',
        b'{"a":"\\ud834\\udd1e","b":"\\u0000"}',
        b'\x0b{"a":1}',
        b' {"a":1}\r\n ',
        b'{"ip":"1","ip":"2"}',
        b'{"time":"1","x":{"ts":2},"time":[3],"ts":-4,"date":true,"ts":5e0}',
        b'"","0301234567","+4930555123","x","""A"" <1>","P","P","Dial","P,30","2026-11-21 10:15:32","","",46,42,'
        b'"ANSWERED","DOCUMENTATION"',
        b'"","1","2","x","y","P","P","Dial","P","2026-02-29 10:15:32","","",46,4x,"A","D","1","","","1",31',
        b'"","1","2","x","y","P","P","Dial","P","2024-02-29T10:15:32.5+0100","","",46,4,"A","D","1","","","1",31,9',
    ],
)
def test_codec_corners(line: bytes) -> None:
    check_line(line)


def test_hostile_lines_are_linear_enough_to_finish() -> None:
    """Not a timing test: lines that make a backtracking matcher quadratic must simply come back."""
    lines = [
        b"GET /" + b"deadbeef" * 130000 + b"zz" * 5000,
        b'1.2.3.4 - - [21/Nov/2026:10:15:32 +0100] "' + b'\\"' * 300000,
        b"a" + b" " * 300000 + b"x",
        b"Nov 21 10:15:32 h " + b"kamailio" * 50000 + b": x",
        b"[" * 200000,
        b"1700000000." + b"1" * 300000,
        b'{"a":"' + b"\\\\" * 200000 + b'"}',
    ]
    lay = native()
    for line in lines:
        for index in range(len(python_formats())):
            lay.values(index, line)


def test_spans_of_a_known_line() -> None:
    lay = native()
    index = next(i for i, f in enumerate(python_formats()) if f.name == "nginx_combined")
    line = b'203.0.113.7 - - [21/Nov/2026:10:15:32 +0100] "GET / HTTP/1.1" 200 512 "-" "curl/8"'
    assert lay.values(index, line) == [
        (0, 11, "scrub"),
        (14, 15, "scrub"),
        (17, 43, "time+event"),
        (46, 60, "scrub"),
        (71, 72, "scrub"),
        (75, 81, "scrub+agent"),
    ]
    assert re.fullmatch(rb"[0-9.]+", line[0:11])


def test_the_native_scanners_name_the_regexes_of_fieldtypes() -> None:
    """spec.py holds its own copy of each regex a native scanner reproduces (so a current cache needs no
    fieldtypes import); a change on either side must show here."""
    from pseudolog.formats import fieldtypes, spec

    assert spec._FIXED_REGEXES["quoted"] == fieldtypes.QUOTED
    for name in ("int", "num", "sd", "clf", "iso", "syslog", "epoch"):
        assert spec._FIXED_REGEXES[name] == fieldtypes.FIELD_TYPES[name].regex, name


def test_a_current_cache_needs_no_pyparsing(tmp_path: Path) -> None:
    import subprocess

    env = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    code = (
        "import sys; from pseudolog.formats.spec import builtin_specs; s = builtin_specs(); "
        "print(len(s), 'pyparsing' in sys.modules)"
    )
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    again = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert first.stdout.split() == [str(len(builtin_formats())), "True"]
    assert again.stdout.split() == [str(len(builtin_formats())), "False"]


def test_every_corner_pattern_is_reached() -> None:
    """The corner lines match each corner pattern at least once, so mutations start from matching lines."""
    corners = [f for f in python_formats() if f.name.startswith("corner") and f.name != "corner6"]
    for fmt in corners:
        assert any(fmt.parse(line) is not None for line in CUSTOM_LINES), fmt.name
