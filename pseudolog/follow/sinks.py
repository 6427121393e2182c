"""Where pseudonymised lines go: standard output, one file (appended), or one file per window.

File outputs take part in the checkpoint: `states()` gives their identity and length once `sync()` has made
the written bytes durable, and on restart anything past the recorded length is cut away, to be written
again from the inputs. Window files (`DIR/2026-11-21.log` for a 1-day window) are deleted once their
window has passed retention, so pseudonymised logs on the host expire on time too.
"""

from __future__ import annotations

import calendar
import contextlib
import errno
import fcntl
import os
import re
import stat
import time
from collections.abc import Callable
from pathlib import Path

from pseudolog.errors import ConfigError, OutputError
from pseudolog.follow.checkpoint import OutputState, fsync_directory
from pseudolog.follow.sources import find_by_identity
from pseudolog.io.writing import write_all
from pseudolog.pipeline import end_a_half_line

Warn = Callable[[str], None]
_WINDOW_FILE = re.compile(r"(\d{4}-\d{2}-\d{2}(?:T\d{2}(?:\d{2}(?:\d{2})?)?)?)\.log")
_STAMP_FORMATS = {10: "%Y-%m-%d", 13: "%Y-%m-%dT%H", 15: "%Y-%m-%dT%H%M", 17: "%Y-%m-%dT%H%M%S"}
OUTPUT_MODE = 0o640


def _locked(fd: int, path: str) -> int:
    """`fd`, held with an exclusive lock: a second follower writing the same output would, after a crash, cut
    back what the first checkpointed (log shippers that read it take no lock)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ConfigError(f"another pseudolog follow is writing output {path}: give each its own") from None
    return fd


def _open_locked(path: str) -> int:
    """The output, opened for appending and locked. It must be a regular file: the checkpoint cuts it back and
    fsyncs it. Opened without blocking, so a FIFO with no reader is refused at once instead of holding `follow`
    in open(), where it cannot even be stopped."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK, OUTPUT_MODE)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO that nothing reads
            raise OutputError(f"output {path} is {_NOT_A_FILE}") from None
        raise OutputError(f"cannot write output {path}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OutputError(f"output {path} is {_NOT_A_FILE}")
    os.set_blocking(fd, True)
    return _locked(fd, path)


_NOT_A_FILE = (
    "not a regular file: follow cuts its output back to the checkpoint after a crash; "
    "to feed a pipe or device, use --output - and redirect standard output"
)


def _open_append(path: str, warn: Warn, continues_a_line: bool = False) -> int:
    """The output, appended to and locked. `continues_a_line`: the checkpoint left an over-long line in
    progress, whose segments so far end the file: it goes on there."""
    fd = _open_locked(path)
    if not continues_a_line:
        end_a_half_line(fd, path, warn)
    return fd


def _cut_back(path: str, length: int, warn: Warn) -> None:
    size = os.stat(path).st_size
    if size > length:
        os.truncate(path, length)
        warn(f"output {path}: cut back {size - length} byte(s) written after the last checkpoint; they follow again")


class StdoutSink:
    """At least once: after a crash, lines after the last checkpoint are written again."""

    def write(self, window: int | None, data: bytes) -> None:
        write_all(1, data)

    def sync(self) -> None:
        pass

    def states(self) -> dict[str, OutputState]:
        return {}

    def reopen(self) -> None:
        pass

    def expire(self, now: float) -> int:
        return 0

    def close(self) -> None:
        pass


class FileSink:
    """One output file, appended to; SIGHUP reopens it after logrotate renamed it."""

    def __init__(
        self, path: str, saved: dict[str, OutputState] | None, warn: Warn, continues_a_line: bool = False
    ) -> None:
        self.path = path
        self.warn = warn
        # Locked before anything is cut back, so a second follower on this output is refused first.
        self.fd = _open_locked(path)
        state = (saved or {}).get(path)
        if state is not None:
            here = os.stat(path) if os.path.exists(path) else None
            if here is not None and (here.st_dev, here.st_ino) == (state.dev, state.ino):
                _cut_back(path, state.length, warn)
            else:  # rotated away while we were stopped
                old = find_by_identity(path, state.dev, state.ino)
                if old is not None:
                    _cut_back(old, state.length, warn)
        if not continues_a_line:
            end_a_half_line(self.fd, path, warn)

    def write(self, window: int | None, data: bytes) -> None:
        write_all(self.fd, data)

    def sync(self) -> None:
        os.fsync(self.fd)

    def states(self) -> dict[str, OutputState]:
        info = os.fstat(self.fd)
        return {self.path: OutputState(info.st_dev, info.st_ino, info.st_size)}

    def reopen(self) -> None:
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = _open_append(self.path, self.warn)

    def expire(self, now: float) -> int:
        return 0

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def window_file_name(start: int, length: int) -> str:
    fmt = next(
        (f for unit, f in ((86400, "%Y-%m-%d"), (3600, "%Y-%m-%dT%H"), (60, "%Y-%m-%dT%H%M")) if length % unit == 0),
        "%Y-%m-%dT%H%M%S",
    )
    return time.strftime(fmt, time.gmtime(start)) + ".log"


def window_file_start(name: str) -> int | None:
    m = _WINDOW_FILE.fullmatch(name)
    if not m:
        return None
    stamp = m.group(1)
    try:
        return calendar.timegm(time.strptime(stamp, _STAMP_FORMATS[len(stamp)]))
    except (ValueError, KeyError):
        return None


class WindowDirSink:
    """One file per pseudonym window, named by the window's start (UTC)."""

    MAX_OPEN = 8

    def __init__(
        self,
        directory: str,
        window: int,
        retention: int | None,
        saved: dict[str, OutputState] | None,
        warn: Warn,
        continues_a_line: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.continues_a_line = continues_a_line  # for the first file opened (see _open_append)
        self.window = window
        self.retention = retention
        self.warn = warn
        try:
            self.directory.mkdir(mode=0o750, parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create output directory {directory}: {exc.strerror}") from None
        self._open: dict[int, int] = {}
        self._created = False
        try:
            dir_fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise OutputError(f"cannot use output directory {directory}: {exc.strerror}") from None
        self._dir_fd = _locked(dir_fd, directory)  # before any window file is cut back or removed
        if saved is not None:
            self._restore(saved)

    def _files(self) -> list[tuple[str, int]]:
        found = []
        for entry in os.scandir(self.directory):
            start = window_file_start(entry.name)
            if start is not None and entry.is_file(follow_symlinks=False):
                found.append((entry.path, start))
        return found

    def _restore(self, saved: dict[str, OutputState]) -> None:
        for path, _ in self._files():
            state = saved.get(path)
            if state is None:
                os.unlink(path)  # begun after the last checkpoint: its lines follow again
                self.warn(f"output {path}: removed, it was begun after the last checkpoint; its lines follow again")
                continue
            info = os.stat(path)
            if (info.st_dev, info.st_ino) == (state.dev, state.ino):
                _cut_back(path, state.length, self.warn)

    def write(self, window: int | None, data: bytes) -> None:
        assert window is not None, "window files need a window"
        fd = self._open.get(window)
        if fd is None:
            if len(self._open) >= self.MAX_OPEN:
                oldest = min(self._open)
                os.fsync(self._open[oldest])
                os.close(self._open.pop(oldest))
            path = str(self.directory / window_file_name(window, self.window))
            fd = self._open[window] = _open_append(path, self.warn, self.continues_a_line)
            self.continues_a_line = False
            self._created = True
        write_all(fd, data)

    def sync(self) -> None:
        for fd in self._open.values():
            os.fsync(fd)
        if self._created:
            fsync_directory(self.directory)
            self._created = False

    def states(self) -> dict[str, OutputState]:
        states = {}
        for path, _ in self._files():
            info = os.stat(path)
            states[path] = OutputState(info.st_dev, info.st_ino, info.st_size)
        return states

    def reopen(self) -> None:
        self.sync()
        for fd in self._open.values():
            os.close(fd)
        self._open.clear()

    def expire(self, now: float) -> int:
        """Delete window files whose whole window lies before now - retention."""
        if self.retention is None:
            return 0
        removed = 0
        for path, start in self._files():
            if start + self.window <= now - self.retention:
                fd = self._open.pop(start, None)
                if fd is not None:
                    os.close(fd)
                os.unlink(path)
                removed += 1
        if removed:
            fsync_directory(self.directory)
        return removed

    def close(self) -> None:
        for fd in (*self._open.values(), self._dir_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._open.clear()


Sink = StdoutSink | FileSink | WindowDirSink
