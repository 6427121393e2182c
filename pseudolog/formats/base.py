"""The interface every log format implements, whatever its codec (pattern, CSV, JSON)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pseudolog.core.fields import FieldScrubber
    from pseudolog.timeparse import TimeParser


class Format(Protocol):
    name: str
    description: str
    samples: tuple[str, ...]

    @property
    def specificity(self) -> int:
        """Formats with more structure are tried first by `auto`."""
        ...

    def parse(self, body: bytes) -> Any | None:
        """The parsed line, or None when the line does not fit (it is then scanned as free text)."""
        ...

    def event_time(self, parsed: Any, times: TimeParser, now: float) -> float | None:
        """The line's own time, or None when the line has none (or it does not parse)."""
        ...

    def render(self, body: bytes, parsed: Any, fields: FieldScrubber, window: int | None, time_ok: bool) -> bytes:
        """The line with every identifier replaced; everything else as it was."""
        ...
