"""JSON lines: one object per line. The native core reads them (src/json.rs): every string value is scanned, keys
that say what they hold (`client_ip`, `caller`, `msisdn`, `imei`, ...) make their value that kind, and the values
are rewritten in place. Here: the format as declared, with the `--json-field KEY=KIND` rules checked first.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class JsonLinesFormat:
    name: str
    description: str
    samples: tuple[str, ...] = field(default=())
    rules: tuple[tuple[str, str], ...] = ()  # --json-field KEY=KIND, checked first

    @property
    def specificity(self) -> int:
        return 100  # a JSON object is unmistakable: try it before any text pattern
