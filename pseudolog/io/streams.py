"""Inputs checked before any line is read; the chunk loop itself is pseudolog/pipeline.py (re-exported here)."""

from __future__ import annotations

import os
import stat

from pseudolog.errors import InputError
from pseudolog.io.standard import require_stdin
from pseudolog.pipeline import CHUNK, STDIN, StreamTotals, pump, reading

__all__ = ["CHUNK", "STDIN", "StreamTotals", "check_inputs", "pump", "reading"]


def check_inputs(inputs: list[str]) -> int | None:
    """Fail before any line is read if an input cannot be read; the total size of the files, if known."""
    total: int | None = 0
    for name in inputs:
        if name == STDIN:
            require_stdin()
            total = None
            continue
        try:
            info = os.stat(name)
        except OSError as exc:
            raise InputError(f"cannot read input {name}: {exc.strerror}") from None
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"cannot read input {name}: it is a directory")
        if not os.access(name, os.R_OK):
            raise InputError(f"cannot read input {name}: permission denied")
        if not stat.S_ISREG(info.st_mode):
            total = None
        elif total is not None:
            total += info.st_size
    return total
