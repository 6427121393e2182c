"""A stop asked for by a signal while `run` reads: SIGTERM (a service manager, Apache closing a piped log),
SIGHUP (the terminal went away) and SIGINT (Ctrl-C) end the run as the end of its input would. What was read
is rendered and written, the output ends where a line ends, and the process then dies of the same signal, so a
shell or systemd sees what happened. A second SIGTERM or SIGINT ends it at once (a reader that stopped reading
the output must not keep it waiting); a second SIGHUP does not, as a closed terminal may send two.

Killed at once, as before, `run` dropped what it had read and not yet written, and its output could end inside
a line. Reads wait in poll() beside the wake-up pipe Python writes each signal's number to, so a signal that
arrives on another thread (the engine's job threads) still ends a wait for input that may never come. A signal
the parent set to be ignored (nohup, a background job's SIGINT) stays ignored.
"""

from __future__ import annotations

import os
import select
import signal
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from pseudolog.io.wake import Wake

SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
IMPATIENT = (signal.SIGTERM, signal.SIGINT)  # sent again, they end the run at once
Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class StopSignals:
    """Held around a run's reads (`with StopSignals() as stop`): `stop.signum` is the signal that asked for a
    stop, if one did; `wait_readable(fd)` waits for input or a stop; `cut_short` says a stop ended the reads
    before the inputs' end."""

    def __init__(self) -> None:
        self.signum: int | None = None  # set by the handler only (its second call decides "at once")
        self._woken_by: int | None = None  # a stop's number read from the wake-up pipe
        self.cut_short = False
        self._saved: dict[int, Handler] = {}
        self._wake: Wake | None = None

    def __enter__(self) -> StopSignals:
        self._wake = Wake()
        try:
            self._wake.watch_signals()
            for sig in SIGNALS:
                if signal.getsignal(sig) is not signal.SIG_IGN:
                    self._saved[sig] = signal.signal(sig, self._on_signal)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)
        self._saved.clear()
        if self._wake is not None:
            self._wake.close()
            self._wake = None

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
        elif signum in IMPATIENT:
            die_of(signum)

    def wait_readable(self, fd: int) -> bool:
        """True once `fd` has input (or its end), False once a stop is asked for, and then `cut_short` is set.
        A stop's number in the wake-up pipe ends the wait even before Python has run the handler (which then
        records it); any other byte there is drained and the wait goes on."""
        assert self._wake is not None, "wait_readable inside `with StopSignals()` only"
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.register(self._wake.fileno(), select.POLLIN)
        while self.signum is None:
            ready = {ready_fd for ready_fd, _ in poller.poll()}
            if self._wake.fileno() in ready:
                stops = [number for number in self._wake.drain() if number in self._saved]
                if stops:
                    self._woken_by = stops[0]
                    break
            if self.signum is None and fd in ready:
                return True
        self.cut_short = True
        return False

    @property
    def stopped_by(self) -> int | None:
        """The signal that asked for the stop, if one did."""
        return self.signum if self.signum is not None else self._woken_by

    def end(self) -> None:
        """After the output and the last messages: die of the signal that stopped the run, if one did."""
        if self.stopped_by is not None:
            die_of(self.stopped_by)


def die_of(signum: int) -> None:
    """End the process by `signum` with its default action, as if it had not been handled."""
    signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)  # not reached: the signal is delivered before kill() returns to this thread
