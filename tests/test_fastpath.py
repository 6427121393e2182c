"""The fused fast path computes what the processor chain computes, line for line, counters included."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pseudolog.synth import GENERATORS
from pseudolog.synth_formats import corpus_lines, corpus_names
from tests.conftest import CORPORA, NOW, examples

NGINX = (
    b'%s - - [%s] "GET /call?to=%%2B4930123456&mac=00:15:65:aa:bb:cc HTTP/1.1" 200 512 "-"'
    b' "Yealink SIP-T46S 66.86.0.15"'
)


def by_chain(engine, lines: list[bytes], now: float = NOW) -> bytes:
    """Every line through Engine.process, one at a time: the reference."""
    return b"".join(engine.process(line + b"\n", now) or b"" for line in lines)


def by_block(engine, lines: list[bytes], now: float = NOW) -> bytes:
    return b"".join(data for _, data in engine.process_lines(lines, now))


def counters(engine) -> tuple:
    return (
        engine.lines_in,
        engine.lines_out,
        dict(engine.dropped),
        dict(engine.formats),
        dict(engine.scrubber.replaced),
        engine.errors,
        engine.last_window,
    )


def assert_same(engine_factory, lines: list[bytes], now: float = NOW, **options) -> bytes:
    chain, block = engine_factory(**options), engine_factory(**options)
    expected = by_chain(chain, lines, now)
    got = by_block(block, lines, now)
    assert got == expected
    assert counters(block) == counters(chain)
    return got


@pytest.mark.parametrize("corpus", corpus_names())
@pytest.mark.parametrize("options", [{}, {"retention": 3600}, {"window": 3600, "ip_style": "prefix"}])
def test_generated_corpora_agree(engine_factory, corpus, options):
    """The hand-written corpora and one grown from each built-in format's samples (tests/test_synth_formats.py)."""
    count = 3000 if corpus in GENERATORS else 1000
    lines = "".join(corpus_lines(corpus, count)).encode("utf-8").split(b"\n")[:-1]
    out = assert_same(engine_factory, lines, **options)
    assert b"%2B4930" not in out


def test_lines_off_the_common_path_take_the_chain(engine_factory):
    lines = [
        NGINX % (b"198.51.100.7", b"21/Nov/2026:11:00:00 +0000"),
        b"free text from 198.51.100.8 with no format",  # no match: scanned whole
        NGINX % (b"198.51.100.9", b"31/Feb/2026:11:00:00 +0000"),  # the time does not read
        NGINX % (b"2001:db8::1", b"21/Nov/2026:11:00:01 +0000") + b"\r",  # CRLF kept
        NGINX % (b"198.51.100.7", b"01/Jan/2020:00:00:00 +0000"),  # expired
        b"",
        NGINX % (b"198.51.100.7", b"20/Nov/2026:23:59:59 +0000"),  # another window
        NGINX % (b"-", b"21/Nov/2026:11:00:00 +0000"),  # nothing to change in the client
    ]
    out = assert_same(engine_factory, lines, format="nginx_combined", retention=7 * 86400)
    assert out.count(b"\n") == 7 and b"\r\n" in out
    for raw in (b"198.51.100.", b"2001:db8::1", b"4930123456", b"00:15:65"):
        assert raw not in out


def test_window_runs_follow_the_lines(engine_factory):
    engine = engine_factory(format="nginx_combined", window=3600)
    lines = [NGINX % (b"198.51.100.7", b"21/Nov/2026:%s:00:00 +0000" % h) for h in (b"10", b"10", b"11", b"10")]
    runs = engine.process_lines(lines, NOW)
    assert [w for w, _ in runs] == [NOW - 7200, NOW - 3600, NOW - 7200]
    assert [data.count(b"\n") for _, data in runs] == [2, 1, 1]
    assert engine.last_window == NOW - 7200


def test_auto_settles_then_goes_fast(engine_factory, monkeypatch):
    lines = [NGINX % (b"198.51.100.%d" % i, b"21/Nov/2026:11:00:00 +0000") for i in range(50)]
    assert_same(engine_factory, lines)
    engine = engine_factory()
    chained = []
    original = engine.process
    monkeypatch.setattr(engine, "process", lambda line, now: chained.append(line) or original(line, now))
    by_block(engine, lines)
    assert len(chained) == 3  # until `auto` has seen its three matches; then the fast path


def test_syslog_times_read_against_each_calls_now(engine_factory):
    """A syslog time has no year: the fast path must not reuse a year read against another `now`."""
    line = b"Dec 31 23:59:59 pbx kamailio[1]: call from 198.51.100.7"
    engine = engine_factory(format="syslog_rfc3164")
    reference = engine_factory(format="syslog_rfc3164")
    for now in (NOW, NOW + 60 * 86400):  # 2026-11-21, then 2027-01-20
        assert by_block(engine, [line] * 4, now) == by_chain(reference, [line] * 4, now)


def test_an_internal_error_is_masked_as_by_the_chain(engine_factory, monkeypatch):
    engine = engine_factory(format="nginx_combined")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine.scrubber, "field_result", broken)
    monkeypatch.setattr(engine.scrubber, "scrub_cached", broken)
    monkeypatch.setattr(engine.fields, "field", broken)
    out = by_block(engine, [NGINX % (b"198.51.100.7", b"21/Nov/2026:11:00:00 +0000")])
    assert b"198.51.100.7" not in out and b"MASKED" in out
    assert engine.errors == 1 and engine.formats["masked"] == 1


@pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is not present")
def test_public_corpora_agree(engine_factory):
    for path in sorted(CORPORA.glob("*/*")):
        if path.is_file() and path.suffix not in (".md", ".txt") and path.stat().st_size < 20_000_000:
            lines = path.read_bytes().split(b"\n")[:-1]
            chain, block = engine_factory(), engine_factory()
            assert by_block(block, lines) == by_chain(chain, lines), path.name


def plain_lines(count: int, second: int = 0) -> list[bytes]:
    times = [b"21/Nov/2026:11:00:%02d +0000" % ((second + i) % 60) for i in range(count)]
    return [NGINX % (b"198.51.100.%d" % (i % 7), t) for i, t in enumerate(times)]


EDGE_LINES = {
    "no match": b"free text from 198.51.100.8 with no format",
    "bad time": NGINX % (b"198.51.100.9", b"31/Feb/2026:11:00:00 +0000"),
    # the layout reads the time as any run up to `]`; only the time's own regex turns these away
    "no time": NGINX % (b"198.51.100.9", b"21/Nov/2026:11:00:00 +0000 198.51.100.10"),
    "a time the pattern refuses": NGINX % (b"198.51.100.9", b"21/Nov/2026:11:00:00 +00:00"),  # the parser reads it
    "crlf": NGINX % (b"2001:db8::1", b"21/Nov/2026:11:00:01 +0000") + b"\r",
    "expired": NGINX % (b"198.51.100.7", b"01/Jan/2020:00:00:00 +0000"),
    "empty": b"",
    "other window": NGINX % (b"198.51.100.7", b"20/Nov/2026:23:59:59 +0000"),
    "a second pattern": b'198.51.100.7 - - [21/Nov/2026:11:00:00 +0000] "GET / HTTP/1.1" 200 512',
    # plain, but its slice is matched with the escape-aware regex
    "escaped quotes": b'198.51.100.7 - - [21/Nov/2026:11:00:00 +0000] "GET /a\\"b?to=%2B4930123456 HTTP/1.1" 200'
    b' 512 "-" "UA \\"198.51.100.9\\""',
}


@pytest.mark.parametrize("edge", sorted(EDGE_LINES))
@pytest.mark.parametrize("position", [0, 1, 255, 256, 300, 599])
def test_column_slices_with_one_line_off_the_path_agree(engine_factory, edge, position):
    """Reads are done column-wise in slices of 256 lines; a slice holding one line the columns cannot take
    goes line by line, the others stay column-wise, and the whole read is what the chain writes."""
    lines = plain_lines(600)
    lines.insert(position, EDGE_LINES[edge])
    out = assert_same(engine_factory, lines, format="nginx_combined", retention=7 * 86400, window=3600)
    assert b"198.51.100." not in out and b"4930123456" not in out


def test_column_path_takes_plain_slices(engine_factory, monkeypatch):
    from tests.reference.core.fastpath import PatternFastPath

    engine = engine_factory(format="nginx_combined")
    line_by_line = []
    original = PatternFastPath._lines

    def spy(self, engine, lines, start, stop, *rest):
        line_by_line.append((start, stop))
        return original(self, engine, lines, start, stop, *rest)

    monkeypatch.setattr(PatternFastPath, "_lines", spy)
    lines = plain_lines(700)
    lines[400] = EDGE_LINES["no match"]
    assert by_block(engine, lines) == by_chain(engine_factory(format="nginx_combined"), lines)
    assert line_by_line == [(256, 512)]


def test_an_error_in_a_column_slice_masks_only_its_line(engine_factory, monkeypatch):
    engine = engine_factory(format="nginx_combined")
    original = engine.scrubber.field_result

    def broken_for_one(text, *args, **kwargs):
        if text == b"198.51.100.3":
            raise RuntimeError("boom")
        return original(text, *args, **kwargs)

    monkeypatch.setattr(engine.scrubber, "field_result", broken_for_one)
    lines = plain_lines(40)
    out = by_block(engine, lines).split(b"\n")[:-1]
    masked = [i for i, line in enumerate(out) if b"MASKED" in line]
    assert masked == [i for i in range(40) if i % 7 == 3]
    assert engine.errors == len(masked) and engine.lines_out == 40
    assert not any(b"198.51.100." in line for line in out)


def test_column_layouts_rebuild_every_sample_line():
    """A matched line is the concatenation of its pieces, and each field is where the plain regex has it."""
    from tests.reference.formats import PatternFormat, builtin_formats

    checked = 0
    for fmt in builtin_formats().values():
        if not isinstance(fmt, PatternFormat):
            continue
        for sample in fmt.samples:
            line = sample.encode()
            for pattern in fmt.patterns:
                m = pattern.regex.fullmatch(line)
                if m is None:
                    continue
                layout = pattern.columns
                pieces = layout.regex().fullmatch(line).groups()
                assert b"".join(pieces[i] for i in layout.pieces) == line
                time = None if pattern.time_index is None else pattern.time_index + 1
                plain = {spec.name: m.group(group) for group, spec in pattern.work if group != time}
                assert {spec.name: pieces[i] for i, spec in layout.fields} == plain
                if time is not None:
                    assert pieces[layout.time] == m.group(time)
                if b"\\" not in line:
                    assert layout.regex_without_escapes().fullmatch(line).groups() == pieces
                checked += 1
                break
    assert checked >= 10


def _patterns_and_samples() -> list:
    """(pattern, sample line) for every built-in pattern with a column layout and every sample of its format."""
    from tests.reference.formats import PatternFormat, builtin_formats

    return [
        (pattern, sample.encode())
        for fmt in builtin_formats().values()
        if isinstance(fmt, PatternFormat)
        for pattern in fmt.patterns
        for sample in fmt.samples
        if pattern.columns is not None
    ]


@given(st.data())
@settings(max_examples=examples(3000), deadline=None)
def test_escape_free_layout_regex_matches_as_the_full_one(data):
    """On a line without a backslash both layout regexes match the same lines into the same pieces, however
    quotes, blanks and brackets are moved about."""
    without_escapes = [(p, line) for p, line in _patterns_and_samples() if b"\\" not in line]
    pattern, line = data.draw(st.sampled_from(without_escapes))
    layout = pattern.columns
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, len(line)))
        cut = data.draw(st.integers(0, 2))
        inserted = data.draw(st.sampled_from([b"", b'"', b" ", b"x", b"[", b"]", b'""', b"-"]))
        line = line[:at] + inserted + line[at + cut :]
    full, fast = layout.regex().fullmatch(line), layout.regex_without_escapes().fullmatch(line)
    assert (full and full.groups()) == (fast and fast.groups()), line


@given(st.data())
@settings(max_examples=examples(3000), deadline=None)
def test_a_plain_time_run_and_its_check_match_as_the_pattern(data):
    """Where a layout reads the time as a plain run up to the literal after it, a line matches the pattern exactly
    when it matches the layout and its time text fullmatches the time's own regex, and then into the same fields,
    however the time and what stands around it are changed."""
    with_plain_time_runs = [(p, line) for p, line in _patterns_and_samples() if p.columns.time_check]
    pattern, line = data.draw(st.sampled_from(with_plain_time_runs))
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, len(line)))
        cut = data.draw(st.integers(0, 2))
        inserted = data.draw(st.sampled_from([b"", b"]", b" ", b"x", b"[", b"1", b":", b".", b" +0100", b"Z"]))
        line = line[:at] + inserted + line[at + cut :]
    layout = pattern.columns
    strict, loose = pattern.regex.fullmatch(line), layout.regex().fullmatch(line)
    checked = loose is not None and re.fullmatch(layout.time_check.encode(), loose.group(layout.time + 1))
    assert (strict is not None) == bool(checked), line
    if strict is not None:
        pieces = loose.groups()
        assert b"".join(pieces[i] for i in layout.pieces) == line
        assert [pieces[i] for i, _ in layout.fields] == [
            strict.group(group) for group, spec in pattern.work if group != pattern.time_index + 1
        ]
        assert pieces[layout.time] == strict.group(pattern.time_index + 1)


def test_bracketed_times_are_read_as_plain_runs():
    from tests.reference.formats import get_format

    for name in ("nginx_combined", "apache_combined", "asterisk_full"):
        assert get_format(name).patterns[0].columns.time_check is not None, name


MIXED = [
    *EDGE_LINES.values(),
    b"\xff\xfe binary \x00 198.51.100.77",
    NGINX % (b"fe80::1%eth0", b"21/Nov/2026:10:59:59 +0000"),
]


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.integers(0, 599), min_size=16, max_size=600),
    st.lists(st.tuples(st.integers(0, 600), st.one_of(st.sampled_from(MIXED), st.binary(max_size=80))), max_size=3),
    st.sampled_from([{}, {"retention": 86400}, {"window": 3600, "ip_style": "prefix"}]),
)
def test_mixed_reads_agree_with_the_chain(engine_factory, picks, inserted, options):
    """Whatever a read holds, slices taken column-wise and slices taken line by line write what the chain
    writes, counters included."""
    plain = plain_lines(600)
    lines = [plain[i] for i in picks]
    for position, line in inserted:
        lines.insert(position, line.replace(b"\n", b" "))
    assert_same(engine_factory, lines, format="nginx_combined", **options)
