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
from pseudolog.follow.checkpoint import OutputState, fingerprint, fsync_directory, path_fingerprint
from pseudolog.io.paths import identity_of
from pseudolog.io.writing import write_all
from pseudolog.pipeline import end_a_half_line

Warn = Callable[[str], None]
Register = Callable[[str, OutputState], None]
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


def check_output_file(path: str) -> None:
    """What `_open_locked` refuses, found without opening: an output that exists and is not a regular file."""
    try:
        info = os.stat(path)
    except OSError:
        return
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"output {path} is {_NOT_A_FILE}")


def _open_append(path: str, warn: Warn, continues_a_line: bool = False) -> int:
    """The output, appended to and locked. `continues_a_line`: the checkpoint left an over-long line in
    progress, whose segments so far end the file: it goes on there."""
    fd = _open_locked(path)
    if not continues_a_line:
        end_a_half_line(fd, path, warn)
    return fd


def _cut_back(path: str, state: OutputState, warn: Warn) -> None:
    """Cut what was written after the last checkpoint, if `path` still ends as the checkpoint recorded: bytes
    that do not match its fingerprint are another program's, and are never cut."""
    size = os.stat(path).st_size
    if size <= state.length:
        return
    if state.fingerprint is not None and path_fingerprint(path, state.length) != state.fingerprint:
        warn(
            f"output {path}: does not hold what the last checkpoint recorded, so nothing was cut back; lines "
            "after the checkpoint may appear twice"
        )
        return
    os.truncate(path, state.length)
    warn(f"output {path}: cut back {size - state.length} byte(s) written after the last checkpoint; they follow again")


def is_rotation_of(name: str, output_name: str) -> bool:
    """`name` is what logrotate (or savelog) makes of `output_name`: `out.log.1`, `out.log-20261127`,
    `out-20261127.log` (with `extension`)."""
    stem, ext = os.path.splitext(output_name)
    suffix = r"[.\-_]\d[\dT.\-_]*"
    forms = [re.escape(output_name) + suffix]
    if ext:
        forms.append(re.escape(stem) + suffix + re.escape(ext))
    return any(re.fullmatch(form, name) for form in forms)


def find_rotated_output(path: str, state: OutputState) -> str | None:
    """The output renamed by a rotation while the follower was stopped: a regular file named as a rotation of
    it, that is (dev, ino) and holds at least the checkpointed length. (An inode number alone names no file
    once it was freed: another file may have it now.)"""
    directory, name = os.path.split(path)
    try:
        entries = list(os.scandir(directory or "."))
    except OSError:
        return None
    for entry in entries:
        if not is_rotation_of(entry.name, name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        same = identity_of(info) == state.identity
        if same and stat.S_ISREG(info.st_mode) and info.st_size >= state.length:
            return entry.path
    return None


def _restore_file(path: str, state: OutputState, warn: Warn) -> None:
    """After a stop that was not clean: cut the output (or the file a rotation renamed it to) back to the
    checkpoint."""
    here = _lstat(path)
    if here is not None and identity_of(here) == state.identity:
        _cut_back(path, state, warn)
        return
    old = find_rotated_output(path, state)
    if old is None or os.stat(old).st_size == state.length:
        return
    if state.fingerprint is None:
        warn(
            f"output {path}: the checkpoint, from an older version, cannot prove that {old} is it renamed, so "
            "nothing was cut back there; lines after the checkpoint may appear twice"
        )
        return
    _cut_back(old, state, warn)


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


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
        self,
        path: str,
        saved: dict[str, OutputState] | None,
        warn: Warn,
        continues_a_line: bool = False,
        cut_back: bool = True,
    ) -> None:
        """`cut_back`: the last stop was not clean, and the inputs can be read again from the checkpoint."""
        self.path = path
        self.warn = warn
        # Locked before anything is cut back, so a second follower on this output is refused first.
        self.fd = _open_locked(path)
        state = (saved or {}).get(path)
        if state is not None and cut_back:
            _restore_file(path, state, warn)
        if not continues_a_line:
            end_a_half_line(self.fd, path, warn)

    def write(self, window: int | None, data: bytes) -> None:
        write_all(self.fd, data)

    def sync(self) -> None:
        os.fsync(self.fd)

    def states(self) -> dict[str, OutputState]:
        info = os.fstat(self.fd)
        return {self.path: OutputState(info.st_dev, info.st_ino, info.st_size, fingerprint(self.fd, info.st_size))}

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


def classify_window_files(
    directory: Path, saved: dict[str, OutputState]
) -> tuple[dict[str, OutputState | None], list[str]]:
    """The date-named files in `directory`: those the follower wrote (the checkpoint's, still the same file;
    with its state), or empty ones (nothing in them to lose; a crash right after creating one leaves it), and
    the others, which it never writes to or deletes."""
    own: dict[str, OutputState | None] = {}
    foreign: list[str] = []
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if window_file_start(entry.name) is None:
            continue
        info = entry.stat(follow_symlinks=False)
        state = saved.get(entry.path)
        if not stat.S_ISREG(info.st_mode):
            foreign.append(entry.path)
        elif state is not None and identity_of(info) == state.identity:
            own[entry.path] = state
        elif info.st_size == 0:
            own[entry.path] = None
        else:
            foreign.append(entry.path)
    return own, foreign


def refuse_foreign_window_files(directory: str, foreign: list[str]) -> None:
    if foreign:
        raise ConfigError(
            f"--output-dir {directory} holds {len(foreign)} date-named file(s) this follower did not write, such as "
            f"{os.path.basename(foreign[0])}; it writes and deletes files by such names: move them away or choose "
            "another directory"
        )


class WindowDirSink:
    """One file per pseudonym window, named by the window's start (UTC). It writes, cuts back and deletes only
    files it created itself: the checkpoint lists them (a new one is listed before anything is written to it)."""

    MAX_OPEN = 8

    def __init__(
        self,
        directory: str,
        window: int,
        retention: int | None,
        saved: dict[str, OutputState] | None,
        warn: Warn,
        continues_a_line: bool = False,
        cut_back: bool = True,
        register: Register | None = None,
    ) -> None:
        """`cut_back`: the last stop was not clean, and the inputs can be read again from the checkpoint.
        `register(path, state)`: records a window file as the follower's before anything is written to it."""
        self.directory = Path(directory)
        self.continues_a_line = continues_a_line  # for the first file opened (see _open_append)
        self.window = window
        self.retention = retention
        self.warn = warn
        self.register = register
        try:
            self.directory.mkdir(mode=0o750, parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create output directory {directory}: {exc.strerror}") from None
        self._open: dict[int, int] = {}
        self._created = False
        self.own: dict[str, tuple[int, int]] = {}  # window files this follower wrote: path -> (dev, ino)
        self._fingerprints: dict[str, tuple[int, str]] = {}  # path -> (length, fingerprint), of the last states()
        try:
            dir_fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise OutputError(f"cannot use output directory {directory}: {exc.strerror}") from None
        self._dir_fd = _locked(dir_fd, directory)  # before any window file is cut back or removed
        try:
            self._restore(saved or {}, cut_back)
        except BaseException:
            os.close(self._dir_fd)
            raise

    def _restore(self, saved: dict[str, OutputState], cut_back: bool) -> None:
        own, foreign = classify_window_files(self.directory, saved)
        refuse_foreign_window_files(str(self.directory), foreign)
        for path, state in own.items():
            if state is None:  # empty: listed as the follower's once it writes there (_open_window)
                continue
            self.own[path] = state.identity
            if cut_back:
                _cut_back(path, state, self.warn)

    def _open_window(self, path: str) -> int:
        """The window file, created and listed as the follower's, or its own file from before; a file that
        someone else put there is left as it is."""
        before = _lstat(path)
        known = before is not None and self.own.get(path) == identity_of(before)
        if before is not None and not known and (not stat.S_ISREG(before.st_mode) or before.st_size > 0):
            raise OutputError(
                f"output {path} was put there by another program while follow ran; it is left as it is: move it away"
            )
        fd = _open_locked(path)
        info = os.fstat(fd)
        if self.own.get(path) != identity_of(info):
            self.own[path] = identity_of(info)
            if self.register is not None:
                self.register(path, OutputState(info.st_dev, info.st_ino, 0, fingerprint(fd, 0)))
        if not self.continues_a_line:
            end_a_half_line(fd, path, self.warn)
        self.continues_a_line = False
        return fd

    def write(self, window: int | None, data: bytes) -> None:
        assert window is not None, "window files need a window"
        fd = self._open.get(window)
        if fd is None:
            if len(self._open) >= self.MAX_OPEN:
                oldest = min(self._open)
                os.fsync(self._open[oldest])
                os.close(self._open.pop(oldest))
            path = str(self.directory / window_file_name(window, self.window))
            fd = self._open[window] = self._open_window(path)
            self._created = True
        write_all(fd, data)

    def sync(self) -> None:
        for fd in self._open.values():
            os.fsync(fd)
        if self._created:
            fsync_directory(self.directory)
            self._created = False

    def _still_own(self, path: str) -> os.stat_result | None:
        """The window file, if it is still the one this follower wrote (not removed or replaced by someone)."""
        info = _lstat(path)
        if info is None or identity_of(info) != self.own[path]:
            del self.own[path]
            self._fingerprints.pop(path, None)
            return None
        return info

    def states(self) -> dict[str, OutputState]:
        states = {}
        for path in list(self.own):
            info = self._still_own(path)
            if info is None:
                continue
            known = self._fingerprints.get(path)
            if known is None or known[0] != info.st_size:
                known = (info.st_size, path_fingerprint(path, info.st_size) or "")
                self._fingerprints[path] = known
            dev, ino = self.own[path]
            states[path] = OutputState(dev, ino, info.st_size, known[1] or None)
        return states

    def reopen(self) -> None:
        self.sync()
        for fd in self._open.values():
            os.close(fd)
        self._open.clear()

    def expire(self, now: float) -> int:
        """Delete the window files this follower wrote whose whole window lies before now - retention."""
        if self.retention is None:
            return 0
        removed = 0
        for path in list(self.own):
            start = window_file_start(os.path.basename(path))
            if start is None or start + self.window > now - self.retention:
                continue
            fd = self._open.pop(start, None)
            if fd is not None:
                os.close(fd)
            if self._still_own(path) is not None:
                os.unlink(path)
                del self.own[path]
                self._fingerprints.pop(path, None)
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
