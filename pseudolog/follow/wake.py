"""What wakes the follower's loop: a reader thread with new input, or a signal (stop, reload).

A self-pipe, not a `threading.Event`. A signal's Python handler runs on the main thread between two bytecodes,
and the main thread may hold the Event's lock at that moment (inside `clear()` or `wait()`): a handler that set
the Event then waited for that lock for ever, and `follow` hung on SIGTERM. Writing a byte into a pipe takes no
lock. The pipe is also Python's wake-up fd, so a signal that lands on a reader thread still ends the main
thread's wait at once; the handlers then only set flags.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import signal

_DRAIN = 4096


class Wake:
    """`set` from any thread or a handler, `wait` and `clear` from the loop (as an Event, without its lock).
    `watch_signals` makes the pipe the wake-up fd until `close`."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._poller = select.poll()
        self._poller.register(self._read, select.POLLIN)
        self._saved_wakeup: int | None = None

    def watch_signals(self) -> None:
        """Python writes each handled signal's number into the pipe (main thread only, as `signal` requires)."""
        self._saved_wakeup = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)

    def set(self) -> None:
        with contextlib.suppress(OSError):  # full: the loop wakes anyway; closed: nobody waits
            os.write(self._write, b"\0")

    def clear(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._read, _DRAIN):
                pass

    def wait(self, timeout: float) -> bool:
        """True when woken before `timeout` seconds passed (a signal that interrupts the wait writes its byte
        first, so the retried poll returns at once)."""
        return bool(self._poller.poll(max(0, math.ceil(timeout * 1000))))

    def close(self) -> None:
        if self._saved_wakeup is not None:
            signal.set_wakeup_fd(self._saved_wakeup)
            self._saved_wakeup = None
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._read = self._write = -1
