"""The one counts type: the core's counts of several engines (follow's inputs, spark's tasks) add up to the counts
one engine gives for all their lines, and the `--stats` summary reads them."""

from __future__ import annotations

from pseudolog.config import FilterOptions
from pseudolog.pipeline import build_engine
from pseudolog.stats import add_counts, counts_summary

NOW = 1795262400.0
NGINX = b'198.51.100.%d - - [21/Nov/2026:11:%02d:00 +0000] "GET /call?to=%%2B4930123456%d HTTP/1.1" 200 1 "-" "x"\n'
SYSLOG = b"Nov 21 11:45:00 pbx kamailio[1]: INVITE from sip:+4930123456%d@203.0.113.%d\n"


def _fed(options: FilterOptions, *inputs: bytes) -> dict:
    """The counts of one engine that read `inputs` one after another (each with its own `auto`, as `run` reads
    several files)."""
    engine = build_engine(options, bytes(32))
    for data in inputs:
        engine.start_input()
        engine.feed(data, NOW)
        engine.finish(NOW)
    return engine.counts()


def test_the_counts_of_two_engines_add_up_to_one_engines_over_both_inputs():
    options = FilterOptions(retention=1800.0)  # at NOW (12:00), the lines before 11:30 are dropped
    first = b"".join(NGINX % (i, i, i % 10) for i in range(40)) + b"not a log line\n"
    second = b"".join(SYSLOG % (i % 10, i) for i in range(25))
    one = _fed(options, first, second)
    added = add_counts(add_counts({}, _fed(options, first)), _fed(options, second))
    assert added == one
    assert one["lines_in"] == 66 and sum(one["dropped"].values()) > 0 and len(one["formats"]) == 3


def test_window_lists_are_joined_and_nothing_of_the_added_counts_is_shared():
    first = {"lines_in": 2, "dropped": {"retention": 1}, "missing_windows": [86400, 0]}
    second = {"lines_in": 3, "dropped": {"retention": 2, "window": 1}, "missing_windows": [172800, 86400]}
    total = add_counts(add_counts({}, first), second)
    assert total == {
        "lines_in": 5,
        "dropped": {"retention": 3, "window": 1},
        "missing_windows": [0, 86400, 172800],
    }
    assert first["dropped"] == {"retention": 1}  # the first engine's dict was copied, not added into


def test_the_summary_leaves_out_zeros_and_counts_unmatched_lines_unless_the_format_is_text():
    c = {
        "lines_in": 4,
        "lines_out": 3,
        "dropped": {"retention": 1, "window": 0},
        "replaced": {"phone": 2, "ip": 3, "mac": 0},
        "formats": {"text": 1, "nginx": 3},
        "masked_on_error": 0,
    }
    summary = counts_summary(c, "auto")
    assert summary["dropped"] == {"retention": 1}
    assert list(summary["replaced"].items()) == [("ip", 3), ("phone", 2)]
    assert list(summary["formats"]) == ["nginx", "text"] and summary["unmatched"] == 1
    assert counts_summary(c, "text")["unmatched"] == 0
