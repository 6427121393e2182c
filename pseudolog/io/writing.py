"""Writes that are never cut short without a word."""

from __future__ import annotations

import os
from typing import BinaryIO


def write_all(to: int | BinaryIO, data: bytes | bytearray | memoryview) -> None:
    """All of `data` to a file descriptor or a binary stream, however many writes it takes. A write returns short
    when a signal interrupts it (a buffered stream then returns the count, having kept nothing back) or when it
    cannot go on; a write that cannot go on at all (a full disk, a file size limit) raises."""
    write = (lambda view: os.write(to, view)) if isinstance(to, int) else to.write
    with memoryview(data) as whole:
        view = whole
        while view:
            view = view[write(view) :]
