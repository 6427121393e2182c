"""A self-pipe that wakes a waiting loop: from another thread, from a signal handler, or from Python's own C-level
signal handler as its wake-up fd. What `follow`'s loop waits on, and what `run`'s reads wait beside.

Not a `threading.Event`: a signal's Python handler runs on the main thread between two bytecodes, and the main
thread may hold the Event's lock at that moment (inside `clear()` or `wait()`). A handler that set the Event then
waited for that lock for ever: `follow` hung on SIGTERM. Writing a byte into a pipe takes no lock. As the wake-up
fd, the pipe also ends the main thread's wait when a signal lands on another thread (a reader, the engine's jobs),
where the Python handler would run only once the main thread woke by itself.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import signal

_DRAIN = 4096


class Wake:
    """`set` from any thread or handler; `wait`, `drain` and `clear` from the loop (an Event's calls, without its
    lock). `watch_signals` makes the pipe Python's wake-up fd until `close`."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._poller = select.poll()
        self._poller.register(self._read, select.POLLIN)
        self._saved_wakeup: int | None = None

    def fileno(self) -> int:
        """The read end, for a caller that polls it beside its own descriptors."""
        return self._read

    def watch_signals(self) -> None:
        """Python writes each handled signal's number into the pipe (main thread only, as `signal` requires)."""
        self._saved_wakeup = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)

    def set(self) -> None:
        with contextlib.suppress(OSError):  # full: the loop wakes anyway; closed: nobody waits any more
            os.write(self._write, b"\0")

    def drain(self) -> bytes:
        """What is in the pipe (signal numbers among the zeros of `set`), taken out."""
        taken = b""
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(self._read, _DRAIN):
                taken += chunk
        return taken

    def clear(self) -> None:
        self.drain()

    def wait(self, timeout: float | None) -> bool:
        """True when woken before `timeout` seconds (None: no limit). A signal that interrupts the wait wrote its
        byte first, so the retried poll returns at once."""
        limit = None if timeout is None else max(0, math.ceil(timeout * 1000))
        return bool(self._poller.poll(limit))

    def close(self) -> None:
        """Gives the wake-up fd back (if it is still this pipe: another owner set since keeps it) and closes the
        pipe. The numbers are forgotten before the pipe closes, so a late `set` from a thread cannot write into a
        descriptor that reused one of them."""
        read, write, self._read, self._write = self._read, self._write, -1, -1
        saved, self._saved_wakeup = self._saved_wakeup, None
        try:
            if saved is not None:
                try:
                    current = signal.set_wakeup_fd(saved)
                except (OSError, ValueError):  # closed since, by an owner that closed out of order
                    current = signal.set_wakeup_fd(-1)
                if current != write:
                    signal.set_wakeup_fd(current)  # not ours any more: its owner restores it
        finally:
            for fd in (read, write):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
