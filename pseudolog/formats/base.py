"""What every log format declares, whatever its codec (pattern, CSV, JSON); the native core reads the lines."""

from __future__ import annotations

from typing import Protocol


class Format(Protocol):
    name: str
    description: str
    samples: tuple[str, ...]

    @property
    def specificity(self) -> int:
        """Formats with more structure are tried first by `auto`."""
        ...
