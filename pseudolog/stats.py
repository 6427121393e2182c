"""The --stats summary: counts only, never a value or key; one key per counter."""

from __future__ import annotations

from typing import Any

import orjson

from pseudolog.core.engine import Engine
from pseudolog.io.streams import StreamTotals


def summary(engine: Engine, totals: StreamTotals, key_source: str) -> dict[str, Any]:
    seconds = max(totals.seconds, 1e-9)
    return {
        "lines_in": engine.lines_in,
        "lines_out": engine.lines_out,
        "dropped": dict(engine.dropped),
        "replaced": dict(sorted(engine.scrubber.replaced.items())),
        "formats": dict(engine.formats.most_common()),
        # lines that fit no format (with --format NAME: not that one) and were scanned whole as free text
        "unmatched": engine.formats.get("text", 0) if engine.options.format != "text" else 0,
        "masked_on_error": engine.errors,
        "bytes_in": totals.bytes_in,
        "seconds": round(totals.seconds, 6),
        "lines_per_second": round(engine.lines_in / seconds, 1),
        "mb_per_second": round(totals.bytes_in / seconds / 1e6, 3),
        "key": key_source,
        "window_seconds": engine.options.window,
        "retention_seconds": engine.options.retention,
    }


def to_json(data: dict[str, Any]) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE)
