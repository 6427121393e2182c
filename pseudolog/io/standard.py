"""Standard input, output and error when the process was started with some of them closed (`>&-`, a service
manager's odd set-up). Each closed one gets /dev/null before anything else is opened: a file opened later would
otherwise take its number, and a state directory's lock opened as fd 1 received the output. Reading a closed
stdin or writing a closed stdout is then refused, not done to /dev/null. An output that is one of the inputs is
refused here too, for every command that writes (`run`, `follow`)."""

from __future__ import annotations

import os
import stat
import sys

from pseudolog.errors import ConfigError, InputError, OutputError
from pseudolog.io.paths import identity_of

CLOSED: set[int] = set()


def open_standard_streams() -> None:
    """/dev/null on each of fds 0, 1 and 2 that is closed, and Python's streams over them; remembers which."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            CLOSED.add(fd)
            null = os.open(os.devnull, os.O_RDWR)  # the lowest free number: this one, as those below are open
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stdin is None:
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own stream, never closed
    if sys.stdout is None:
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115


def require_stdin() -> None:
    if 0 in CLOSED:
        raise InputError("cannot read standard input: it is closed")


def require_stdout(*, output_option: bool = True) -> None:
    """Refuses a closed stdout; `output_option`: the command has -o, and the message says to use it."""
    if 1 in CLOSED:
        hint = " (name an output file with -o)" if output_option else ""
        raise OutputError(f"cannot write standard output: it is closed{hint}")


def input_identities(files: list[str]) -> list[tuple[str, os.stat_result]]:
    """(name, stat) of every input that exists, standard input included (`< same.log`)."""
    found = []
    for name in files or ["-"]:
        try:
            info = os.fstat(0) if name == "-" else os.stat(name)
        except OSError:
            continue
        found.append((name, info))
    return found


def refuse_an_input(inputs: list[tuple[str, os.stat_result]], info: os.stat_result, output: str) -> None:
    """An output that is a regular file among the inputs would be read while written (a loop that never ends)
    or emptied before it is read: refused before anything is written."""
    for name, seen in inputs:
        if identity_of(info) == identity_of(seen) and stat.S_ISREG(info.st_mode):
            shown = "standard input" if name == "-" else f"input {name}"
            raise ConfigError(f"{output} is {shown}; writing it would destroy it: choose another file")
