"""Every option that more than one command takes, declared once; and the one-line message helper.

The defaults live in `DEFAULTS` (a `FilterOptions()`), so a help text, a signature and the follow
settings can never disagree about them. Commands whose values may also come from a config file
(`follow`) declare the same options with a `None` default and fill in `DEFAULTS` later.
"""

from __future__ import annotations

import re
import sys
import threading
from typing import Annotated, Any

import typer

from pseudolog.config import DEFAULT_REGION, DEFAULT_WINDOW, DEFAULTS, format_size, parse_size

_MAX_LINE_DEFAULT = format_size(DEFAULTS.max_line)

# -- keys ---------------------------------------------------------------------------------------------
KeyFileOpt = Annotated[
    str | None,
    typer.Option(
        "--key-file",
        metavar="PATH",
        help="Master key file (32 to 4096 random bytes, or 64 hex digits; mode 0600). Else $PSEUDOLOG_KEY_FILE, "
        "else $CREDENTIALS_DIRECTORY/pseudolog.key, else a random key for this run only.",
    ),
]
# `lookup`, `spark` and `follow` refuse a random key: the same option, a help text that says so.
KeyFileRequiredOpt = Annotated[
    str | None,
    typer.Option(
        "--key-file",
        metavar="PATH",
        help="Master key file (32 to 4096 random bytes, or 64 hex digits; mode 0600). Else $PSEUDOLOG_KEY_FILE, "
        "else $CREDENTIALS_DIRECTORY/pseudolog.key; this command refuses to run with a random key.",
    ),
]
KeyFdOpt = Annotated[
    int | None,
    typer.Option(
        "--key-fd",
        metavar="FD",
        help="Read the master key from this inherited file descriptor (3 or higher, e.g. a pipe), up to its end.",
    ),
]
KeyringOpt = Annotated[
    str | None,
    typer.Option(
        "--keyring", metavar="DIR", help="Directory of per-window keys (keys rotate/prune) instead of one master key."
    ),
]

# -- what the filter does -----------------------------------------------------------------------------
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        metavar="NAME",
        help="A built-in log format (see 'pseudolog formats'), 'auto' (picked from the first lines) or 'text' "
        "(free text only).  [default: auto]",
        show_default=False,
    ),
]
LogFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--log-format", metavar="STRING", help="An nginx log_format or Apache LogFormat string, used as the format."
    ),
]
WindowOpt = Annotated[
    str,
    typer.Option(
        "--window",
        metavar="DURATION",
        help=f"Pseudonym window, e.g. 1d, 12h; 0 or none for one static key.  [default: {DEFAULT_WINDOW}]",
        show_default=False,
    ),
]
RetentionOpt = Annotated[
    str | None,
    typer.Option(
        "--retention",
        metavar="DURATION",
        help="Drop lines whose own time is older than this (e.g. 7d); default: keep all.",
    ),
]
NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now",
        metavar="TIMESTAMP",
        help="Reference time for retention and undated lines (ISO 8601, a date, epoch seconds); default: the clock.",
    ),
]
RegionOpt = Annotated[
    str,
    typer.Option(
        "--region",
        metavar="CC",
        help=f"How national phone numbers (leading 0) are read: a country code (CC).  [default: {DEFAULT_REGION}]",
        show_default=False,
    ),
]
MaxLineOpt = Annotated[
    int,
    typer.Option(
        "--max-line",
        metavar="SIZE",
        parser=lambda text: parse_size(text, option="--max-line"),
        help="Longest line held whole (bytes, or 64K, 1M, 1MiB); longer ones are scanned in segments."
        f"  [default: {_MAX_LINE_DEFAULT}]",
        show_default=False,
    ),
]
KeepOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--keep",
        metavar="WHAT",
        help="Keep a public prefix: phone-country, mac-oui, imei-tac (repeat or comma-separate).",
    ),
]
IpStyleOpt = Annotated[
    str,
    typer.Option(
        "--ip-style",
        metavar="STYLE",
        help="token, or prefix: valid addresses by ipcrypt-pfx, subnets kept.  [default: token]",
        show_default=False,
    ),
]
JsonFieldOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--json-field",
        metavar="KEY=KIND",
        help="JSON lines: read KEY's values as KIND: ip, phone, mac, imei, device, or text (scanned as free text).",
    ),
]
OnErrorOpt = Annotated[
    str,
    typer.Option(
        "--on-error",
        metavar="mask|drop",
        help="A line that fails internally: mask its digit/hex runs, or drop it (counted either way).  [default: mask]",
        show_default=False,
    ),
]
ClockNowOpt = Annotated[
    str | None, typer.Option("--now", metavar="TIMESTAMP", help="Reference time; default: the clock.")
]
InputsArg = Annotated[
    list[str] | None, typer.Argument(metavar="[INPUT]...", help="Log files; standard input when none or '-'.")
]

# The same options for `follow`, where None means "not given" (the config file or the default decides).
FollowFormatOpt = Annotated[str | None, FormatOpt.__metadata__[0]]  # type: ignore[attr-defined]
FollowWindowOpt = Annotated[str | None, WindowOpt.__metadata__[0]]  # type: ignore[attr-defined]
FollowRegionOpt = Annotated[str | None, RegionOpt.__metadata__[0]]  # type: ignore[attr-defined]
FollowMaxLineOpt = Annotated[int | None, MaxLineOpt.__metadata__[0]]  # type: ignore[attr-defined]
FollowIpStyleOpt = Annotated[str | None, IpStyleOpt.__metadata__[0]]  # type: ignore[attr-defined]
FollowOnErrorOpt = Annotated[str | None, OnErrorOpt.__metadata__[0]]  # type: ignore[attr-defined]


def say(message: str) -> None:
    """One line on stderr, prefixed, flushed: how pseudolog speaks to operators. Never with an identifier in it
    (`without_identifiers`)."""
    sys.stderr.write(f"pseudolog: {without_identifiers(message)}\n")
    sys.stderr.flush()


def without_identifiers(message: str) -> str:
    """`message` with each identifier in it replaced by its kind (`[ip]`, `[mac]`, `[phone]`, `[imei]`,
    `[device]`). Messages quote file names and option values as given, and per-host logs are often named by
    address (rsyslog's `%fromhost-ip%`), provisioning files by MAC (`SEP001565ABCDEF.cnf.xml`). The identifiers
    are found by the native engine's own free-text detectors (its percent-decoded view and context rules
    included), so a message never shows what `run` would have replaced; the plain address, MAC and IMEI finders
    and bare SIP instance ids are added, as a message has no context to vouch for them. Never raises: on any
    failure the digits are hidden instead."""
    if _NOTHING_TO_FIND.search(message) is None:
        return message
    data = message.encode("utf-8", "surrogateescape")
    try:
        spans = _identifier_spans(data)
    except Exception:  # a message is never lost to a broken detector: it loses its digits instead
        return "".join("#" if c.isdigit() else c for c in message)
    out, at = bytearray(), 0
    for start, end, kind in spans:
        if data[start - 1 : start] == b"[" and data[end : end + 1] == b"]":  # `[2001:db8::1]:5060`: one pair
            start, end = start - 1, end + 1
        out += data[at:start] + f"[{kind}]".encode()
        at = end
    return (out + data[at:]).decode("utf-8", "surrogateescape")


# Every identifier the detectors know holds a digit, a colon, or hex pairs joined by `-` or `.` (`ab-cd-...`,
# `abcd.efab.cdef`): a message with none of them is returned at once, without loading the engine.
_NOTHING_TO_FIND = re.compile(r"[0-9:]|[0-9A-Fa-f][-.][0-9A-Fa-f]")
_SIP_INSTANCE = re.compile(rb"urn:uuid:[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")
_MESSAGE_ENGINE: list[Any] = []  # built once, on the first message that needs it
_MESSAGE_ENGINE_LOCK = threading.RLock()  # re-entrant: a signal handler may speak mid-message


def _identifier_spans(data: bytes) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every identifier in `data`, merged where they overlap, in order."""
    from pseudolog import _core

    with _MESSAGE_ENGINE_LOCK:  # one engine, shared by the follower's threads
        if not _MESSAGE_ENGINE:
            _MESSAGE_ENGINE.append(_message_engine())
        found = [(start, end, kind) for start, end, kind, _ in _MESSAGE_ENGINE[0].find(data)]
    for finder in (_core.find_ipv4, _core.find_ipv6, _core.find_mac, _core.find_imei):
        found += [(start, end, kind) for start, end, kind, _ in finder(data)]
    found += [(m.start(), m.end(), "device") for m in _SIP_INSTANCE.finditer(data)]
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(found, key=lambda f: (f[0], -f[1])):
        if merged and start < merged[-1][1]:  # inside or across the one before: one span, the first's kind
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, kind))
    return merged


def _message_engine() -> Any:
    """A free-text engine with the default region: only its `find` is used, so the key is a fixed placeholder."""
    from pseudolog import _core
    from pseudolog.config import FilterOptions
    from pseudolog.native_engine import engine_config

    return _core.Engine(engine_config(FilterOptions(format="text", window=None), bytes(range(1, 33))))
