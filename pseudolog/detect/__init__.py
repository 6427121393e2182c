"""Identifier detectors: one module per kind. Each finds spans in a byte string and normalises them."""

from __future__ import annotations

from typing import NamedTuple


class Found(NamedTuple):
    """A detected identifier: text[start:end] is replaced by the token for (kind, normalised)."""

    start: int
    end: int
    kind: str
    normalised: str


def run_before(text: bytes, end: int, chars: bytes, longest: int) -> tuple[bytes, int] | None:
    """The whole run of `chars` that ends at `end`, lower case, and where it starts; None when it is empty or
    longer than `longest`. Rules that read a key or word backwards from a separator or quote use it: the word
    is checked against a set whose longest member is `longest`, so only that much of the text (and one byte
    more, to see where the run begins) is looked at, with C-level strips."""
    head = text[max(0, end - longest - 1) : end]
    start = len(head.rstrip(chars))
    if start == len(head) or len(head) - start > longest:
        return None
    return head[start:].lower(), end - len(head) + start
