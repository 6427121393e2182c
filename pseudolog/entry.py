"""The console script's entry: as little as possible before the signals a sidecar may get while it starts are
handled. Importing the CLI takes about 70 ms; a SIGHUP in that time killed `follow`, and systemd counts death by
SIGHUP as a clean exit, so `Restart=on-failure` left the sidecar down after a reload at the wrong moment."""

from __future__ import annotations

import signal
import sys

# Signals `follow` got before it could handle them, in order; it takes them over once it can.
EARLY_SIGNALS: list[int] = []


def _remember(signum: int, frame: object) -> None:
    EARLY_SIGNALS.append(signum)


def main() -> None:
    if sys.argv[1:2] == ["follow"]:
        for sig in (signal.SIGHUP, signal.SIGTERM):
            signal.signal(sig, _remember)
    try:
        from pseudolog.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("pseudolog: interrupted\n")
        sys.exit(130)
    cli_main()
