"""One line on its way through the processor chain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.reference.formats import Format


class DropRecord(Exception):
    """Raised by a step to remove the line from the output (retention); counted under `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Record:
    body: bytes  # the line without its terminator
    now: float  # the reference time: --now, or the clock when the line was read
    format_name: str = "text"
    log_format: Format | None = None  # the format that parsed the line, if any
    parsed: Any = None
    time: float | None = None  # the line's own time, or None when it has none
    time_field_ok: bool = False
    window: int | None = None
    output: bytes = b""
    kinds: list[str] = field(default_factory=list)
