"""Option declarations and the one-line message helper that every command shares."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

KeyFileOpt = Annotated[
    str | None,
    typer.Option(
        "--key-file",
        help="Master key file (32+ random bytes, mode 0600). Else $PSEUDOLOG_KEY_FILE, else "
        "$CREDENTIALS_DIRECTORY/pseudolog.key, else a random key for this run only.",
    ),
]
KeyFdOpt = Annotated[
    int | None,
    typer.Option("--key-fd", help="Read the master key from this inherited file descriptor (e.g. a pipe)."),
]
KeyringOpt = Annotated[
    str | None,
    typer.Option("--keyring", help="Directory of per-window keys (keys rotate/prune) instead of one master key."),
]
WindowOpt = Annotated[
    str, typer.Option("--window", help="Pseudonym window, e.g. 1d, 12h; 0 or none for one static key.")
]
RegionOpt = Annotated[str, typer.Option("--region", help="How national phone numbers are read (CC).")]
KeepOpt = Annotated[
    list[str] | None,
    typer.Option("--keep", help="Keep a public prefix: phone-country, mac-oui, imei-tac (repeat or comma-separate)."),
]
ClockNowOpt = Annotated[str | None, typer.Option("--now", help="Reference time; default: the clock.")]
IpStyleOpt = Annotated[
    str, typer.Option("--ip-style", help="token, or prefix: valid addresses by ipcrypt-pfx, subnets kept.")
]


def say(message: str) -> None:
    """One line on stderr, prefixed, flushed: how pseudolog speaks to operators."""
    sys.stderr.write(f"pseudolog: {message}\n")
    sys.stderr.flush()
