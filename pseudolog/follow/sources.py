"""Inputs that never end: files followed like `tail -F`, and pipes (FIFOs, standard input).

A file is known by its identity (device, inode), not its name. When the name comes to point at a new file
(rename-and-create rotation), the old file stays open and is read until it has been idle for `rotate_wait`
seconds, so lines the writer adds after the rename are not lost; the new file is read from its start. A
file that shrinks below what was read (copytruncate) is read again from its start. Only complete lines are
processed: a partial last line waits for its newline, and positions count complete lines only.
"""

from __future__ import annotations

import contextlib
import os
import select
import stat
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from pseudolog._core import LineFramer, Piece

from pseudolog.errors import InputError
from pseudolog.follow.checkpoint import FilePosition, InputState
from pseudolog.io.wake import Wake

CHUNK = 1 << 20
ROTATION_CHECK_EVERY = 1.0  # seconds between looks at a growing file's name; an idle one is looked at every poll
Warn = Callable[[str], None]


class _OpenFile:
    """One open file: what has been read of it, and the framer holding its partial last line."""

    def __init__(self, fd: int, info: os.stat_result, offset: int, max_line: int) -> None:
        self.fd = fd
        self.dev, self.ino = info.st_dev, info.st_ino
        self.pos = offset
        self.framer = LineFramer(max_line)
        self.idle_since = time.monotonic()
        self.regular = stat.S_ISREG(info.st_mode)  # a short read is the end (else: a read that comes back empty)
        os.lseek(fd, offset, os.SEEK_SET)

    @classmethod
    def open(cls, path: str, max_line: int, position: FilePosition | None = None) -> _OpenFile | None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except (FileNotFoundError, PermissionError):
            return None
        info = os.fstat(fd)
        handle = cls(fd, info, position.offset if position else 0, max_line)
        if position is not None:
            handle.framer.resume_mid_line(position.long_line, position.mask_head)
        return handle

    def read(self, budget: int) -> tuple[list[Piece], bool]:
        """Pieces from up to `budget` bytes; and whether the end of the file was reached.

        A regular file that returns less than was asked for is at its end for now: no second read is spent
        to find that out. (Each read asks for up to CHUNK: the bytes object is cut down to what came, in place,
        and the heap stays warm; reads sized to the file's growth made the allocator map and fault fresh pages
        at every poll.)"""
        pieces: list[Piece] = []
        while budget > 0:
            want = min(CHUNK, budget)
            chunk = os.read(self.fd, want)
            if chunk:
                self.pos += len(chunk)
                budget -= len(chunk)
                self.idle_since = time.monotonic()
                pieces.extend(self.framer.feed(chunk))
            if not chunk or (self.regular and len(chunk) < want):
                return pieces, True
        return pieces, False

    def position(self) -> FilePosition:
        long_line, mask_head = self.framer.mid_line
        return FilePosition(self.dev, self.ino, self.pos - self.framer.pending, long_line, mask_head)

    def lag(self) -> int:
        try:
            return max(0, os.fstat(self.fd).st_size - self.pos)
        except OSError:
            return 0

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def find_by_identity(path: str, dev: int, ino: int) -> str | None:
    """The file in `path`'s directory that is (dev, ino): where a rotation renamed it."""
    directory = Path(path).parent
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return None
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) == (dev, ino) and stat.S_ISREG(info.st_mode):
            return entry.path
    return None


def _identity(path: str) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_size


class FileSource:
    """One log file path, followed across rotations from a checkpointed position."""

    checkpointed = True

    def __init__(self, path: str, max_line: int, rotate_wait: float, state: InputState | None, warn: Warn) -> None:
        self.name = path
        self.max_line = max_line
        self.rotate_wait = rotate_wait
        self.warn = warn
        self.current: _OpenFile | None = None
        self.rotated: list[_OpenFile] = []
        self.ended = False
        self.backlogged = False  # the last read stopped at its budget, not at the end of a file
        self._waiting_said = False
        self._checked_at = 0.0  # when the name was last looked at (rename and copytruncate rotation)
        self._restore(state)

    def _restore(self, state: InputState | None) -> None:
        if state is None:
            self.current = _OpenFile.open(self.name, self.max_line)
            return
        for position in state.rotated:
            self._reopen_rotated(position)
        cur = state.current
        here = _identity(self.name)
        if cur is not None and here is not None and here[:2] == (cur.dev, cur.ino):
            if here[2] < cur.offset:
                self.warn(f"input {self.name} shrank while pseudolog was stopped (copytruncate); reading it again")
                cur = None
            self.current = _OpenFile.open(self.name, self.max_line, cur)
            return
        if cur is not None:
            self._reopen_rotated(cur)
        self.current = _OpenFile.open(self.name, self.max_line)

    def _reopen_rotated(self, position: FilePosition) -> None:
        found = find_by_identity(self.name, position.dev, position.ino)
        handle = _OpenFile.open(found, self.max_line, position) if found else None
        if handle is None or (handle.dev, handle.ino) != (position.dev, position.ino):
            self.warn(
                f"input {self.name}: a rotated file it was reading is gone from its directory; "
                "lines written to it after the last checkpoint are lost"
            )
            if handle is not None:
                handle.close()
            return
        self.rotated.append(handle)

    def read(self, budget: int) -> list[Piece]:
        pieces: list[Piece] = []
        self.backlogged = False
        for old in list(self.rotated):
            got, at_end = old.read(budget)
            pieces += got
            if not at_end:
                self.backlogged = True
            elif time.monotonic() - old.idle_since >= self.rotate_wait:
                pieces += old.framer.finish()  # the rotated file is done: its last line will get no newline
                old.close()
                self.rotated.remove(old)
        if self.current is None:
            self.current = _OpenFile.open(self.name, self.max_line)
            if self.current is None:
                if not self._waiting_said:
                    self.warn(f"input {self.name} is missing or unreadable; waiting for it")
                    self._waiting_said = True
                return pieces
            self._waiting_said = False
        read_from = self.current.pos
        got, at_end = self.current.read(budget)
        pieces += got
        if not at_end:
            self.backlogged = True
        elif self.current.pos == read_from or time.monotonic() - self._checked_at >= ROTATION_CHECK_EVERY:
            # While the file grows its writer is still at it; the name is looked at once a second then, and
            # at every poll once the file is quiet (when a rotated writer has moved on to the new file).
            pieces += self._check_rotation()
        return pieces

    def _check_rotation(self) -> list[Piece]:
        cur = self.current
        assert cur is not None
        self._checked_at = time.monotonic()
        here = _identity(self.name)
        if here is None or here[:2] != (cur.dev, cur.ino):
            self.rotated.append(cur)  # renamed (or deleted): drained until idle, then closed
            self.current = _OpenFile.open(self.name, self.max_line) if here is not None else None
            return []
        if os.fstat(cur.fd).st_size < cur.pos:
            self.warn(f"input {self.name} was truncated (copytruncate); reading it from its start")
            pieces = cur.framer.finish()
            cur.close()
            self.current = _OpenFile.open(self.name, self.max_line)
            return pieces
        return []

    def state(self) -> InputState:
        return InputState(self.current.position() if self.current else None, [old.position() for old in self.rotated])

    def lag(self) -> int:
        return sum(f.lag() for f in (*self.rotated, *([self.current] if self.current else [])))

    def close(self) -> None:
        for f in (*self.rotated, *([self.current] if self.current else [])):
            f.close()


def start_reader(drain: Callable[[], None], name: str) -> threading.Thread:
    """The thread that reads a pipe or the journal for the follower. A task limit (systemd's TasksMax=, a
    container's pids limit) may refuse it: the follower cannot read that input without it, so it stops with
    one line that says why."""
    thread = threading.Thread(target=drain, name=f"read {name}", daemon=True)
    try:
        thread.start()
    except RuntimeError:
        raise InputError(
            f"cannot read {name}: the system refused a thread (a task limit such as systemd's TasksMax=?)"
        ) from None
    return thread


class PipeSource:
    """A FIFO or standard input, drained by a thread so the writer is never blocked by slow processing.

    Up to `backlog` bytes wait in memory; beyond that, whole lines are shed and counted (the writer is
    told nothing, but STATUS and the counters say so). A FIFO is opened read-write, so it never reports
    end of input between writers; standard input ends the source at its end.

    What a pipe gave cannot be read again, so a stop loses none of it (`stop`): the reader is told to end
    between reads and takes what already waits in the pipe, all it took is rendered, and a line in progress is
    ended and its last word masked. For a FIFO the checkpoint then says it stopped inside a line (`state`), and
    the next start masks the first word it reads, the other half of that word. Standard input is a new pipe at
    each start, where that line's rest never comes, so it records nothing.
    """

    checkpointed = False

    def __init__(self, name: str, max_line: int, backlog: int, wake: Wake, mid_line: bool) -> None:
        self.name = name
        self.shown = "standard input" if name == "-" else name
        self.framer = LineFramer(max_line)
        self.resumed_mid_line = mid_line and name != "-"
        if self.resumed_mid_line:
            self.framer.resume_mid_line(True, True)
        self.backlog_limit = backlog
        self.wake = wake
        self.ended = False
        self.fed = False  # a byte of the pipe reached the framer
        self.cut_at_stop = False  # the stop ended a line in progress
        self.shed_lines = 0
        self.backlog = 0
        self.error: str | None = None
        self._chunks: deque[bytes] = deque()
        self._lock = threading.Lock()
        self._eof = False
        self.fd = 0
        self._quit_read = self._quit = -1
        self._reader: threading.Thread | None = None
        try:
            if name != "-":
                self.fd = os.open(name, os.O_RDWR | os.O_CLOEXEC)
            self._quit_read, self._quit = os.pipe2(os.O_CLOEXEC)
            self._reader = start_reader(self._drain, self.shown)
        except OSError as exc:  # a file descriptor limit, or the FIFO gone
            self.close()
            raise InputError(
                f"cannot open {'standard input' if name == '-' else f'FIFO {name}'}: {exc.strerror}"
            ) from None
        except InputError:
            self.close()
            raise

    def _drain(self) -> None:
        """Reads while the follower runs; between reads it looks for the stop, so nothing it takes is lost."""
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        poller.register(self._quit_read, select.POLLIN)
        while True:
            if any(fd == self._quit_read for fd, _ in poller.poll()):
                self._take_what_waits()
                return
            if not self._take_one():
                return

    def _take_one(self) -> bool:
        """One read into the backlog (poll said there is something, or the end); False at the end."""
        try:
            chunk = os.read(self.fd, CHUNK)
        except OSError as exc:
            self.error = exc.strerror
            chunk = b""
        with self._lock:
            if not chunk:
                self._eof = True
            else:
                chunk = self._shed(chunk)
                self._chunks.append(chunk)
                self.backlog += len(chunk)
        self.wake.set()
        return bool(chunk)

    def _take_what_waits(self) -> None:
        """At a stop: what the writers already wrote into the pipe, which would die with it, up to the backlog's
        size (a writer that never pauses must not hold the stop). Standard input that is a file is not a pipe:
        its rest stays in the file."""
        if not stat.S_ISFIFO(os.fstat(self.fd).st_mode):
            return
        waiting = select.poll()
        waiting.register(self.fd, select.POLLIN)
        taken = 0
        while taken < self.backlog_limit and any(events & select.POLLIN for _, events in waiting.poll(0)):
            before = self.backlog
            if not self._take_one():
                return
            taken += self.backlog - before

    def _shed(self, chunk: bytes) -> bytes:
        """Over the backlog limit: keep the end of the line in progress and the start of the next one,
        drop the whole lines between them."""
        if self.backlog + len(chunk) <= self.backlog_limit:
            return chunk
        first, last = chunk.find(b"\n"), chunk.rfind(b"\n")
        if first < 0 or first == last:
            return chunk
        self.shed_lines += chunk.count(b"\n", first + 1, last + 1)
        return chunk[: first + 1] + chunk[last + 1 :]

    def read(self, budget: int) -> list[Piece]:
        pieces: list[Piece] = []
        with self._lock:
            taken: list[bytes] = []
            while self._chunks and budget > 0:
                chunk = self._chunks.popleft()
                budget -= len(chunk)
                self.backlog -= len(chunk)
                taken.append(chunk)
            finished = self._eof and not self._chunks
        for chunk in taken:
            pieces += self.framer.feed(chunk)
            self.fed = True
        if finished and not self.ended:
            pieces += self.framer.finish()
            self.ended = True
        return pieces

    def _end_reader(self) -> None:
        """The reader ends between two reads (one taken by poll is never blocked on); no-op once ended."""
        if self._reader is not None:
            os.write(self._quit, b"x")
            self._reader.join()
            self._reader = None

    def stop(self) -> list[Piece]:
        """All the pipe gave that is not yet rendered, the line in progress ended (see the class)."""
        self._end_reader()
        pieces = self.read(sys.maxsize)
        # Resumed inside a line and given nothing since: the last run ended that line in its output already,
        # and the next start must still mask the first word (the framer keeps saying so, see `state`).
        if not self.ended and (self.fed or not self.resumed_mid_line):
            cut = self.framer.cut_short()
            self.cut_at_stop = bool(cut)
            pieces += cut
        self.ended = True
        return pieces

    @property
    def backlogged(self) -> bool:
        """Read chunks are still waiting (the last read stopped at its budget, or more came meanwhile)."""
        return self.backlog > 0

    def state(self) -> InputState | None:
        """A FIFO's, kept only while a line is in progress: after a stop that ended it, or inside an over-long
        line (its segments are written; after a crash its rest arrives first)."""
        in_long_line, _ = self.framer.mid_line
        return InputState(mid_line=True) if self.name != "-" and (self.cut_at_stop or in_long_line) else None

    def lag(self) -> int:
        return self.backlog

    def close(self) -> None:
        self._end_reader()
        for fd in (self._quit_read, self._quit, *((self.fd,) if self.fd != 0 else ())):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fd, self._quit_read, self._quit = 0, -1, -1  # closed once: the numbers may be reused


Source = FileSource | PipeSource


def open_source(
    name: str,
    max_line: int,
    rotate_wait: float,
    backlog: int,
    state: InputState | None,
    warn: Warn,
    wake: Wake,
) -> Source:
    mid_line = bool(state and state.mid_line)
    try:
        fifo = name == "-" or stat.S_ISFIFO(os.stat(name).st_mode)
    except OSError:  # not there yet: followed as a file once it is
        fifo = False
    if fifo:
        return PipeSource(name, max_line, backlog, wake, mid_line)
    return FileSource(name, max_line, rotate_wait, state, warn)
