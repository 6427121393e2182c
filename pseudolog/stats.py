"""The --stats summary: counts only, never a value or key; one key per counter."""

from __future__ import annotations

from typing import Any

import orjson

from pseudolog.pipeline import Engine, StreamTotals

# The core's counts (`Engine.counts()`): whole numbers by name; for `dropped`, `replaced` and `formats` a dict of
# whole numbers by reason, kind or format name; `missing_windows`, the starts of windows a keyring had no key for.
Counts = dict[str, Any]


def add_counts(total: Counts, more: Counts) -> Counts:
    """`total` with `more` added to it name by name, the nested dicts too (and the windows' lists joined): the counts
    of several engines (follow's inputs, one before a reload and one after) or of spark's tasks, as one."""
    for name, value in more.items():
        if isinstance(value, dict):
            add_counts(total.setdefault(name, {}), value)
        elif isinstance(value, list):
            total[name] = sorted(set(total.get(name, ())) | set(value))
        else:
            total[name] = total.get(name, 0) + value
    return total


def counts_summary(c: Counts, format_name: str) -> dict[str, Any]:
    """The counts part of `--stats` (spark's summary is this alone): nothing that is zero in the dicts."""
    formats = c.get("formats", {})
    return {
        "lines_in": c.get("lines_in", 0),
        "lines_out": c.get("lines_out", 0),
        "dropped": {k: v for k, v in c.get("dropped", {}).items() if v},
        "replaced": {k: v for k, v in sorted(c.get("replaced", {}).items()) if v},
        "formats": dict(sorted(((k, v) for k, v in formats.items() if v), key=lambda kv: -kv[1])),
        # lines that fit no format (with --format NAME: not that one) and were scanned whole as free text
        "unmatched": formats.get("text", 0) if format_name != "text" else 0,
        "masked_on_error": c.get("masked_on_error", 0),
    }


def summary(engine: Engine, totals: StreamTotals, key_source: str) -> dict[str, Any]:
    seconds = max(totals.seconds, 1e-9)
    c = engine.counts()
    return {
        **counts_summary(c, engine.options.format),
        "bytes_in": totals.bytes_in,
        "seconds": round(totals.seconds, 6),
        "lines_per_second": round(c["lines_in"] / seconds, 1),
        "mb_per_second": round(totals.bytes_in / seconds / 1e6, 3),
        "key": key_source,
        "window_seconds": engine.options.window,
        "retention_seconds": engine.options.retention,
    }


def to_json(data: dict[str, Any]) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE)
