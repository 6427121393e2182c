"""`follow --metrics-file`: the sidecar's counters in the Prometheus text format, for node_exporter's
textfile collector. The service has no network (PrivateNetwork=yes), so there is no HTTP endpoint: the
file is written whole to a temporary name in its directory and renamed over the old one, so the collector
never reads half of it. Only counts and kinds are written, never a value or a key.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pseudolog.io.writing import write_all

WRITE_EVERY = 5.0  # seconds; node_exporter reads the file at each scrape (typically every 15 s or more)


@dataclass(slots=True)
class Snapshot:
    lines_in: int = 0
    lines_out: int = 0
    dropped: Mapping[str, int] = field(default_factory=dict)  # by reason
    masked: int = 0
    shed: int = 0
    replaced: Mapping[str, int] = field(default_factory=dict)  # by kind
    lag_bytes: int = 0
    lag_entries: int | None = None  # None: no journal source
    journal_cursor_lost: bool = False
    seconds_since_checkpoint: float = 0.0
    window_seconds: int | None = None
    retention_seconds: int | None = None
    updated: float = 0.0  # Unix time of this snapshot


def _metric(out: list[str], name: str, kind: str, text: str, samples: list[tuple[str, float]]) -> None:
    out.append(f"# HELP pseudolog_{name} {text}")
    out.append(f"# TYPE pseudolog_{name} {kind}")
    for labels, value in samples:
        number = repr(float(value)) if isinstance(value, float) else str(value)
        out.append(f"pseudolog_{name}{labels} {number}")


def _label(key: str, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'{{{key}="{escaped}"}}'


def render(s: Snapshot) -> str:
    out: list[str] = []
    _metric(out, "lines_in_total", "counter", "Lines read from the inputs.", [("", s.lines_in)])
    _metric(out, "lines_out_total", "counter", "Lines written.", [("", s.lines_out)])
    reasons = {"retention": 0, "error": 0, **s.dropped}
    _metric(
        out,
        "lines_dropped_total",
        "counter",
        "Lines not written, by reason.",
        [(_label("reason", r), n) for r, n in sorted(reasons.items())],
    )
    _metric(out, "lines_masked_total", "counter", "Lines that failed and were written masked.", [("", s.masked)])
    _metric(out, "lines_shed_total", "counter", "Pipe lines shed over the backlog limit.", [("", s.shed)])
    _metric(
        out,
        "identifiers_replaced_total",
        "counter",
        "Identifiers replaced by a pseudonym, by kind.",
        [(_label("kind", k), n) for k, n in sorted(s.replaced.items())],
    )
    _metric(out, "lag_bytes", "gauge", "Bytes of the file and pipe inputs not yet processed.", [("", s.lag_bytes)])
    if s.lag_entries is not None:
        _metric(
            out,
            "journal_lag_entries",
            "gauge",
            "Journal entries received from journalctl and not yet written.",
            [("", s.lag_entries)],
        )
        _metric(
            out,
            "journal_cursor_lost",
            "gauge",
            "1 when the checkpointed journal entry had been vacuumed at start.",
            [("", int(s.journal_cursor_lost))],
        )
    _metric(
        out,
        "seconds_since_checkpoint",
        "gauge",
        "Seconds since the last checkpoint.",
        [("", round(s.seconds_since_checkpoint, 3))],
    )
    _metric(
        out, "window_seconds", "gauge", "Pseudonym window in use (0: one static key).", [("", s.window_seconds or 0)]
    )
    if s.retention_seconds is not None:
        _metric(out, "retention_seconds", "gauge", "Retention in use.", [("", s.retention_seconds)])
    _metric(out, "last_update_timestamp_seconds", "gauge", "When this file was written.", [("", round(s.updated, 3))])
    return "\n".join(out) + "\n"


def write_atomically(path: str, text: str) -> None:
    """Temporary file in the same directory, then rename: a reader sees the old file or the new one."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.fchmod(fd, 0o644)  # node_exporter runs as another user; the unit's UMask=0027 would hide the file
        write_all(fd, text.encode())
    finally:
        os.close(fd)
    try:
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
