"""Formats described by patterns: one anchored regex match per line, then field by field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pseudolog.formats.compiler import CompiledPattern

if TYPE_CHECKING:
    from pseudolog.core.fields import FieldScrubber
    from pseudolog.timeparse import TimeParser

Parsed = tuple[CompiledPattern, re.Match[bytes]]


@dataclass(frozen=True)
class PatternFormat:
    """A named format: one or more patterns tried in order, with a description and sample lines."""

    name: str
    description: str
    patterns: tuple[CompiledPattern, ...]
    samples: tuple[str, ...] = field(default=())
    unbracketed_ports: bool = False  # `ports: unbracketed`: a last decimal group after an IPv6 address is a port

    @property
    def specificity(self) -> int:
        return max(len(p.fields) for p in self.patterns)

    @property
    def native_specs(self) -> tuple[dict, ...] | None:
        """The patterns' layout specs (formats/spec.py), or None when one has none."""
        specs = tuple(p.spec for p in self.patterns)
        return None if any(s is None for s in specs) else specs

    def parse(self, body: bytes) -> Parsed | None:
        for pattern in self.patterns:
            m = pattern.regex.fullmatch(body)
            if m is not None:
                return pattern, m
        return None

    def event_time(self, parsed: Parsed, times: TimeParser, now: float) -> float | None:
        pattern, m = parsed
        if pattern.time_index is None:
            return None
        spec = pattern.fields[pattern.time_index]
        return times.parse(spec.time_kind or "iso", m.group(pattern.time_index + 1), now)

    def render(self, body: bytes, parsed: Parsed, fields: FieldScrubber, window: int | None, time_ok: bool) -> bytes:
        pattern, m = parsed
        regs = m.regs  # every group's span at once
        parts: list[bytes] = []
        pos = 0
        field = fields.field
        for group, spec in pattern.work:
            start, end = regs[group]
            if start < 0:
                continue
            role = spec.role
            if role == "time" and time_ok and group - 1 == pattern.time_index:
                continue
            parts.append(body[pos:start])
            text = body[start:end]
            if role == "ipport":
                parts.append(fields.ipport(text, window))
            elif role == "message":
                parts.append(fields.message(text, window))
            else:
                parts.append(field(text, window, spec.agent))
            pos = end
        if not parts:
            return body
        parts.append(body[pos:])
        return b"".join(parts)
