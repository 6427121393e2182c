"""Formats described by patterns: what a `.pattern` file or `--log-format` declares, compiled; the native core
matches lines with their layout specs (formats/spec.py, src/layout.rs)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pseudolog.formats.compiler import CompiledPattern


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
    def native_specs(self) -> tuple[dict, ...]:
        """The patterns' layout specs (formats/spec.py)."""
        return tuple(p.spec for p in self.patterns)
