"""Identifier detectors: one module per kind. Each finds spans in a byte string and normalises them."""

from __future__ import annotations

from typing import NamedTuple


class Found(NamedTuple):
    """A detected identifier: text[start:end] is replaced by the token for (kind, normalised)."""

    start: int
    end: int
    kind: str
    normalised: str
