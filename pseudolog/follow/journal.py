"""The systemd journal as a source: entries from `journalctl --output=export`, each turned into one line.

Why export and not `--output=json`: export is binary-safe and complete. journalctl's JSON writes a field
that is not UTF-8 as an array of byte values (a raw number inside would slip past text detectors) and
replaces fields over 4096 bytes with null unless `--all` is given; export carries every field as it is
stored, with the cursor and the entry's time, and is simple to read incrementally.

Each entry becomes one line that goes through the same engine call as a line of a file:
- `line`: `2026-11-21T10:15:32.123456+00:00 HOST IDENTIFIER[PID]: MESSAGE`, rsyslog's file layout (its
  high-precision timestamp, in UTC), which the `syslog_rfc3164` format reads, so the entry's own time
  decides its window and retention. Control characters in MESSAGE are written as `#012` like rsyslog does,
  so one entry is always one line.
- `json`: one JSON object with every field of the entry, read by the `json_lines` format (its key rules
  and `--json-field` apply to every field); `__REALTIME_TIMESTAMP` is its time.

Exactly once: the cursor of the last entry handed out is the checkpoint. journalctl is started with
`--cursor` (not `--after-cursor`): its first entry must be the checkpointed one and is skipped. If it is
another entry, the checkpointed one is gone (vacuumed), and that first entry is the oldest one kept after
it; `--after-cursor` would have skipped it silently.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import os
import queue
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO

import orjson
from pseudolog._core import LineFramer, Piece

from pseudolog.errors import ConfigError, InputError
from pseudolog.follow.checkpoint import InputState
from pseudolog.follow.sources import start_reader
from pseudolog.io.wake import Wake
from pseudolog.pipeline import StreamTotals, fd_chunks, open_input, pump_chunks

if TYPE_CHECKING:
    from pseudolog.config import FilterOptions
    from pseudolog.io.stopping import StopSignals
    from pseudolog.pipeline import Engine

NAME = "journal"  # the source's name in messages and its key in the checkpoint
FORMATS = ("line", "json")
QUEUE_ENTRIES = 10000  # entries read ahead of processing; journalctl waits beyond that (nothing is lost)
BATCH_ENTRIES = 2000  # per cycle: a telephony entry costs far more than its bytes say (watchdog, signals)
CHUNK = 1 << 16
_PR_SET_PDEATHSIG = 1
Warn = Callable[[str], None]
Entry = list[tuple[bytes, bytes]]


class ExportParser:
    """The journal export format, fed in arbitrary chunks: `NAME=value\\n` for text fields,
    `NAME\\n` + 64-bit little-endian length + bytes + `\\n` for binary ones, a blank line after each entry."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._fields: Entry = []

    def feed(self, data: bytes) -> list[Entry]:
        buf = self._buf
        buf += data
        entries: list[Entry] = []
        pos = 0
        while True:
            if not self._fields:  # fast path: a whole entry of text fields (nearly all of them)
                end = buf.find(b"\n\n", pos)
                if end > pos:
                    lines = bytes(buf[pos:end]).split(b"\n")
                    if all(b"=" in line for line in lines):  # a binary field's name line has no "="
                        entries.append([(n, v) for n, _, v in (line.partition(b"=") for line in lines)])
                        pos = end + 2
                        continue
            nl = buf.find(b"\n", pos)
            if nl < 0:
                break
            if nl == pos:  # blank line: the entry is complete
                if self._fields:
                    entries.append(self._fields)
                    self._fields = []
                pos = nl + 1
                continue
            eq = buf.find(b"=", pos, nl)
            if eq >= 0:
                self._fields.append((bytes(buf[pos:eq]), bytes(buf[eq + 1 : nl])))
                pos = nl + 1
                continue
            if len(buf) < nl + 9:  # a binary field's length is not all here yet
                break
            (size,) = struct.unpack_from("<Q", buf, nl + 1)
            end = nl + 9 + size
            if len(buf) < end + 1:
                break
            if buf[end] != 0x0A:
                raise ValueError("malformed journal export data (binary field not followed by a newline)")
            self._fields.append((bytes(buf[pos:nl]), bytes(buf[nl + 9 : end])))
            pos = end + 1
        del buf[:pos]
        return entries

    def finish(self, cut_short: bool = False) -> list[Entry]:
        """At the end of the data: an entry without its blank line still counts. `cut_short` (a stop before the
        end): a field not read whole is left out, not an error; its rest was never read."""
        rest, self._fields = self._fields, []
        if self._buf.strip() and not cut_short:
            raise ValueError("journal export data ends inside a field")
        self._buf.clear()
        return [rest] if rest else []


def first(entry: Entry, *names: bytes) -> bytes | None:
    for name in names:
        for key, value in entry:
            if key == name:
                return value
    return None


_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")


def escape_control(text: bytes) -> bytes:
    """rsyslog's control character escaping (`\\n` -> `#012`), so a message is one line."""
    return _CONTROL.sub(lambda m: b"#%03o" % m.group()[0], text)


def realtime_stamp(usec: int) -> bytes:
    seconds, micro = divmod(usec, 1_000_000)
    return (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{micro:06d}+00:00").encode()


def _word(value: bytes | None, default: bytes) -> bytes:
    """A header field as one word: the syslog layout separates fields by blanks."""
    if not value:
        return default
    return escape_control(value).replace(b" ", b"_")


def to_line(entry: Entry) -> bytes:
    """`TIMESTAMP HOST IDENTIFIER[PID]: MESSAGE` and a newline."""
    fields = dict(reversed(entry))  # a repeated field: its first value
    usec = fields.get(b"__REALTIME_TIMESTAMP")
    stamp = realtime_stamp(int(usec)) if usec and usec.isdigit() else realtime_stamp(time.time_ns() // 1000)
    host = _word(fields.get(b"_HOSTNAME"), b"localhost")
    ident = _word(fields.get(b"SYSLOG_IDENTIFIER") or fields.get(b"_COMM"), b"-")
    pid = fields.get(b"SYSLOG_PID") or fields.get(b"_PID")
    tag = ident + b"[" + pid + b"]" if pid and pid.isdigit() else ident
    message = escape_control(fields.get(b"MESSAGE") or b"")
    return stamp + b" " + host + b" " + tag + b": " + message + b"\n"


def to_json(entry: Entry) -> bytes:
    """Every field of the entry as a JSON object; a repeated field becomes a list, as in journalctl's JSON.
    Bytes that are not UTF-8 become U+FFFD: a byte array would hide identifiers from the detectors."""
    obj: dict[str, str | list[str]] = {}
    for key, value in entry:
        name, text = key.decode("utf-8", "replace"), value.decode("utf-8", "replace")
        held = obj.get(name)
        if held is None:
            obj[name] = text
        elif isinstance(held, list):
            held.append(text)
        else:
            obj[name] = [held, text]
    return orjson.dumps(obj) + b"\n"


RENDER = {"line": to_line, "json": to_json}


def check_format(journal_format: str) -> None:
    if journal_format not in FORMATS:
        raise ConfigError(f"--journal-format must be line or json, not {journal_format!r}")


def check_journal_dir(directory: str | None) -> None:
    if directory and not os.path.isdir(directory):
        raise ConfigError(f"--journal-dir {directory} is not a directory")


def journalctl_args(
    units: Iterable[str], identifiers: Iterable[str], directory: str | None, cursor: str | None
) -> list[str]:
    """journalctl following the journal from `cursor` (or its oldest entry). An entry is read when it
    matches any of the units or any of the identifiers: journalctl's own `-u X -t Y` would need both.

    `--merge`, because `--follow` alone implies `--boot=0`: after a reboot the checkpointed entry and what the
    last boot logged after it would be out of sight. `--merge` also lifts journalctl's local-only default,
    so for the system journal the local machine id is matched instead (a directory is read whole)."""
    exe = shutil.which("journalctl")
    if exe is None:
        raise ConfigError("--journal needs journalctl (Debian package systemd) and it is not on PATH")
    args = [exe, "--follow", "--no-tail", "--merge", "--output=export", "--quiet", "--no-pager"]
    if directory:
        args.append(f"--directory={directory}")
    if cursor:
        args.append(f"--cursor={cursor}")
    local = [] if directory else [f"_MACHINE_ID={machine_id()}"]
    groups = [f"_SYSTEMD_UNIT={unit if '.' in unit else unit + '.service'}" for unit in units]
    groups += [f"SYSLOG_IDENTIFIER={ident}" for ident in identifiers]
    if not groups:
        return args + local
    matches: list[str] = []
    for match in groups:
        matches += [*(["+"] if matches else []), *local, match]
    return args + matches


def machine_id() -> str:
    try:
        with open("/etc/machine-id", encoding="ascii") as handle:
            text = handle.read().strip()
    except (OSError, UnicodeDecodeError):
        text = ""
    if len(text) != 32 or any(c not in "0123456789abcdef" for c in text):
        raise ConfigError("--journal reads this machine's journal by /etc/machine-id, which is missing or not valid")
    return text


def _end_with_parent_hook() -> Callable[[], None] | None:
    """For the child: SIGTERM when pseudolog dies, even by SIGKILL, so no journalctl is left following. libc
    is looked up here, in the parent: the child of a threaded process should do as little as possible."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return hook


class JournalSource:
    """journalctl in a child process, its export stream parsed by a thread into a bounded queue."""

    checkpointed = True
    ended = False

    def __init__(
        self,
        units: tuple[str, ...],
        identifiers: tuple[str, ...],
        directory: str | None,
        journal_format: str,
        max_line: int,
        state: InputState | None,
        warn: Warn,
        wake: Wake,
    ) -> None:
        self.name = NAME
        self.warn = warn
        self.wake = wake
        self.render = RENDER[journal_format]
        self.framer = LineFramer(max_line)
        self.cursor = state.cursor if state else None
        self._expect = self.cursor  # the first entry must be this one, already written
        self.cursor_lost = False
        self._queue: queue.Queue[Entry | None] = queue.Queue(QUEUE_ENTRIES)
        self._error: str | None = None
        self._finished = False  # journalctl ended: said after the entries before it are written
        check_journal_dir(directory)
        args = journalctl_args(units, identifiers, directory, self.cursor)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close(); a pipe nobody reads could fill
        try:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                preexec_fn=_end_with_parent_hook(),
            )
        except OSError as exc:
            raise InputError(f"cannot start journalctl: {exc.strerror}") from None
        try:
            self._reader = start_reader(self._drain, "the journal")
        except InputError:
            self.proc.kill()
            self.proc.wait()
            raise

    def _drain(self) -> None:
        parser = ExportParser()
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        try:
            while True:
                chunk = os.read(fd, CHUNK)
                entries = parser.feed(chunk) if chunk else parser.finish()
                for entry in entries:
                    self._queue.put(entry)
                if entries:
                    self.wake.set()
                if not chunk:
                    break
        except (OSError, ValueError) as exc:
            self._error = str(exc) if isinstance(exc, ValueError) else exc.strerror
        self._queue.put(None)  # journalctl ended: the follower reports it
        self.wake.set()

    def read(self, budget: int) -> list[Piece]:
        if self._finished:
            self._ended_unexpectedly()
        pieces: list[Piece] = []
        lines: list[bytes] = []
        size = 0
        for _ in range(BATCH_ENTRIES):
            if size >= budget:
                break
            try:
                entry = self._queue.get_nowait()
            except queue.Empty:
                break
            if entry is None:
                self._finished = True
                break
            cursor = first(entry, b"__CURSOR")
            text = cursor.decode("ascii", "replace") if cursor else None
            if self._expect is not None:
                expect, self._expect = self._expect, None
                if text == expect:
                    continue  # written before the restart
                self.cursor_lost = True
                self.warn(
                    "journal: the checkpointed entry is no longer in the journal (vacuumed, or the filters "
                    "changed); reading resumes at the oldest entry kept after it"
                )
            line = self.render(entry)
            lines.append(line)
            size += len(line)
            if text:
                self.cursor = text
        if lines:
            pieces = self.framer.feed(b"".join(lines))
        return pieces

    def _ended_unexpectedly(self) -> None:
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._stderr.seek(0)
        err = self._stderr.read(4096).decode("utf-8", "replace").strip().splitlines()
        why = self._error or (err[-1][:200] if err else f"exit status {self.proc.returncode}")
        raise InputError(f"journalctl stopped: {why}")

    @property
    def backlogged(self) -> bool:
        """Entries are still waiting (the last read stopped at its batch or budget, or more came meanwhile)."""
        return not self._queue.empty()

    def state(self) -> InputState:
        return InputState(cursor=self.cursor)

    def lag(self) -> int:
        """Entries read from journalctl and not yet written (at most QUEUE_ENTRIES)."""
        return self._queue.qsize()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # The reader meets the end of journalctl's output and ends; what it still queues is dropped so that a full
        # queue cannot hold it. Joined before its pipe closes, and before the wake it sets is closed.
        while self._reader.is_alive():
            with contextlib.suppress(queue.Empty):
                while True:
                    self._queue.get_nowait()
            self._reader.join(0.05)
        for stream in (self.proc.stdout, self._stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def export_lines(
    chunks: Iterable[bytes | memoryview], journal_format: str, name: str, stop: StopSignals | None = None
) -> Iterator[bytes]:
    """`run --journal-export`: the lines of an export dump, a read at a time (`chunks`, which a `stop` may end
    early; the entry in progress then counts with the fields read whole)."""
    parser = ExportParser()
    render = RENDER[journal_format]
    try:
        for chunk in chunks:
            entries = parser.feed(chunk)
            if entries:
                yield b"".join(render(entry) for entry in entries)
        entries = parser.finish(cut_short=stop is not None and stop.cut_short)
        if entries:
            yield b"".join(render(entry) for entry in entries)
    except ValueError as exc:
        raise InputError(f"cannot read journal export {name}: {exc}") from None


def check_export_run(options: FilterOptions, journal_format: str, files: list[str], jobs: int) -> FilterOptions:
    """`run --journal-export`: the options its engine runs with (JSON entries are JSON lines)."""
    check_format(journal_format)
    if files:
        raise ConfigError("--journal-export reads one export dump: give no INPUT files with it")
    if jobs != 1:
        raise ConfigError("--journal-export runs with one job")
    if journal_format == "json":
        return dataclasses.replace(options, format="json_lines", log_format=None)
    return dataclasses.replace(options, log_format=None)


def pump_export(
    engine: Engine,
    name: str,
    journal_format: str,
    output: BinaryIO,
    clock: Callable[[], float],
    stop: StopSignals | None = None,
) -> StreamTotals:
    """An export dump through the engine, a read at a time, as `run` does with a file (a stop included)."""
    totals = StreamTotals()
    started = time.perf_counter()
    fd = 0 if name == "-" else open_input(name, stop)
    engine.start_input()
    try:
        chunks = fd_chunks(name, fd, CHUNK, stop)
        totals.bytes_in += pump_chunks(engine, export_lines(chunks, journal_format, name, stop), output, clock)
    finally:
        if fd != 0:
            os.close(fd)
    totals.seconds = time.perf_counter() - started
    return totals
