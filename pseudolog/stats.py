"""The --stats summary: counts only, never a value or key; one key per counter."""

from __future__ import annotations

from typing import Any

import orjson

from pseudolog.pipeline import Engine, StreamTotals


def summary(engine: Engine, totals: StreamTotals, key_source: str) -> dict[str, Any]:
    seconds = max(totals.seconds, 1e-9)
    c = engine.counts()
    formats = c["formats"]
    return {
        "lines_in": c["lines_in"],
        "lines_out": c["lines_out"],
        "dropped": {k: v for k, v in c["dropped"].items() if v},
        "replaced": {k: v for k, v in sorted(c["replaced"].items()) if v},
        "formats": dict(sorted(formats.items(), key=lambda kv: -kv[1])),
        # lines that fit no format (with --format NAME: not that one) and were scanned whole as free text
        "unmatched": formats.get("text", 0) if engine.options.format != "text" else 0,
        "masked_on_error": c["masked_on_error"],
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
