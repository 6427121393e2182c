"""The native line clock (`_core.LineClock`, what `find` windows its search with) against the Python reference's
reading of a line's time (its format step, the format's event time, else a time found in the text): the same
epoch seconds or None for every line, `auto` detecting each input's format afresh."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudolog import _core
from pseudolog.config import FilterOptions
from pseudolog.find import LineClock
from pseudolog.native_engine import layout_config
from pseudolog.synth_formats import corpus_lines, corpus_names
from tests.conftest import NOW, examples
from tests.reference.core.engine import make_format_step
from tests.reference.core.record import Record
from tests.reference.timeparse import TimeParser

OPTION_SETS: dict[str, dict[str, Any]] = {
    "auto": {},
    "text": {"format": "text"},
    "nginx": {"format": "nginx_combined"},
    "kamailio": {"format": "kamailio"},
    "json": {"format": "json_lines", "json_fields": (("when", "text"),)},
    "log-format": {"log_format": '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent'},
}

ODD_LINES = [
    b"",
    b"\r",
    b"no time here at all",
    b'198.51.100.23 - - [21/Nov/2026:10:15:32 +0100] "GET / HTTP/1.1" 200 5\r\r',
    b'{"time": "2026-11-21T10:15:32Z", "ip": "198.51.100.23"}',
    b'{"ts": 1795255200123}',
    b'{"__REALTIME_TIMESTAMP": "1795255200000000", "MESSAGE": "x"}',
    b"Nov 21 10:15:32 host kamailio[1]: caller 03012345678",
    b"2026-11-21 10:15:32.123 [DEBUG] 198.51.100.23",
    b"\xff\xfe 2026-11-21T25:99:99Z",
    b"@1795255200 tai",
    b"Sat Nov 21 10:15:32 2026 ctime",
]


def reference_times(options: FilterOptions, inputs: list[list[bytes]], now: float) -> list[float | None]:
    """find's LineClock as it read times on the Python line engine (now the reference in the tests)."""
    step = make_format_step(options)
    parser = TimeParser()
    out: list[float | None] = []
    for lines in inputs:
        step.start_input()
        for body in lines:
            record = Record(body.rstrip(b"\r"), now)
            try:
                step(record)
                t = None
                if record.log_format is not None:
                    t = record.log_format.event_time(record.parsed, parser, now)
                out.append(t if t is not None else parser.sniff(record.body, now))
            except Exception:
                out.append(None)
    return out


def native_times(options: FilterOptions, inputs: list[list[bytes]], now: float) -> list[float | None]:
    clock = LineClock(options, now)
    out: list[float | None] = []
    for lines in inputs:
        clock.start_input()
        out += clock.times(lines)
    return out


def corpus(name: str, count: int) -> list[bytes]:
    return [line.removesuffix("\n").encode("utf-8") for line in corpus_lines(name, count)]


@pytest.mark.parametrize("option_set", OPTION_SETS)
def test_every_corpus_reads_the_same_times(option_set):
    options = FilterOptions(**OPTION_SETS[option_set])
    inputs = [corpus(name, 60) for name in corpus_names()] + [ODD_LINES]
    assert native_times(options, inputs, NOW) == reference_times(options, inputs, NOW)


def test_auto_detects_each_input_afresh_and_mixed_inputs_agree():
    """An input of one format after another: `auto` settles on each input's own format."""
    options = FilterOptions()
    names = list(corpus_names())
    inputs = [corpus(a, 25) + corpus(b, 25) for a, b in zip(names, names[1:] + names[:1], strict=True)]
    assert native_times(options, inputs, NOW) == reference_times(options, inputs, NOW)


def test_until_found_stops_reading_at_the_first_time():
    """The lines after the first with a time are not read: `auto` does not see them."""
    clock = _core.LineClock(layout_config(FilterOptions()))
    lines = [b"nothing", *corpus("nginx_combined", 3)]
    got = clock.times(lines, NOW, True)
    assert got[0] is None and got[1] is not None and got[2:] == [None, None]
    assert LineClock(FilterOptions(), NOW).first_time(lines) == got[1]


def test_the_clock_needs_no_key_and_rejects_unknown_config():
    with pytest.raises(ValueError, match="unknown key"):
        _core.LineClock({"format": "text", "colour": "red"})
    assert _core.LineClock({"format": "text"}).times([b"2026-11-21T10:15:32Z"], NOW) == [1795256132.0]


@settings(max_examples=examples(200))
@given(st.lists(st.binary(max_size=120) | st.sampled_from(ODD_LINES), max_size=30))
def test_any_bytes_read_the_same_times(lines):
    lines = [line.replace(b"\n", b" ") for line in lines]
    for option_set in ("auto", "json"):
        options = FilterOptions(**OPTION_SETS[option_set])
        assert native_times(options, [lines], NOW) == reference_times(options, [lines], NOW)
