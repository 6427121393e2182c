"""The systemd notification protocol (sd_notify(3)), spoken directly over $NOTIFY_SOCKET.

Without NOTIFY_SOCKET every call does nothing, so the same code runs under systemd, in a container and in a
terminal. The watchdog is fed at half of $WATCHDOG_USEC, as sd_watchdog_enabled(3) advises.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time


class Notifier:
    def __init__(self, environ: dict[str, str]) -> None:
        self._socket: socket.socket | None = None
        self._address: str | bytes = ""
        address = environ.get("NOTIFY_SOCKET", "")
        if address.startswith(("/", "@")):
            self._address = "\0" + address[1:] if address.startswith("@") else address
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.watchdog_interval: float | None = None
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            self.watchdog_interval = int(usec) / 2e6
        self._last_watchdog = 0.0

    @property
    def enabled(self) -> bool:
        return self._socket is not None

    def send(self, *assignments: str) -> None:
        if self._socket is None:
            return
        with contextlib.suppress(OSError):  # a vanished manager must not stop the filter
            self._socket.sendto("\n".join(assignments).encode(), self._address)

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}")

    def reloading(self) -> None:
        self.send("RELOADING=1", f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}")

    def stopping(self) -> None:
        self.send("STOPPING=1", "STATUS=stopping: flushing and checkpointing")

    def status(self, text: str) -> None:
        self.send(f"STATUS={text}")

    def feed_watchdog(self, now: float) -> None:
        if self.watchdog_interval is not None and now - self._last_watchdog >= self.watchdog_interval:
            self._last_watchdog = now
            self.send("WATCHDOG=1")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
