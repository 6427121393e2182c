"""Where the sidecar stands: input offsets and output lengths, never half written.

Exactly once rests on one order: output is written and fsynced first, then the checkpoint (temporary file,
fsync, rename, fsync of the directory). After a crash, each output file is cut back to the length the
checkpoint recorded and each input is read again from its recorded offset, so the lines processed after
the last checkpoint are written once more in place of what the crash left behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pseudolog._core import sha256_hex

from pseudolog.errors import ConfigError
from pseudolog.io.paths import Identity
from pseudolog.io.writing import write_all

# 2: outputs name only files the follower wrote (window files it created), each with a fingerprint, and `clean`
# says whether the follower stopped cleanly. 1 (read still): every date-named file of --output-dir, no fingerprint.
VERSION = 2
READABLE_VERSIONS = (1, 2)
FINGERPRINT_BYTES = 4096  # the output's last bytes before its checkpointed length, hashed
FILE_NAME = "checkpoint.json"
TMP_NAME = f".{FILE_NAME}.tmp"  # the checkpoint is written here, then renamed over FILE_NAME
LOCK_NAME = "lock"
STATE_FILES = (FILE_NAME, TMP_NAME, LOCK_NAME)  # every file the follower keeps in its state directory


@dataclass(slots=True)
class FilePosition:
    """A file by identity (device, inode) and how far its complete lines have been processed."""

    dev: int
    ino: int
    offset: int
    long_line: bool = False  # the offset lies inside an over-long line (see _core.LineFramer.mid_line)
    mask_head: bool = False


@dataclass(slots=True)
class InputState:
    current: FilePosition | None = None
    rotated: list[FilePosition] = field(default_factory=list)  # renamed away, still being drained
    cursor: str | None = None  # the journal: cursor of the last entry written
    mid_line: bool = False  # a pipe stopped inside a line: the next start masks the first word it reads


@dataclass(slots=True)
class OutputState:
    dev: int
    ino: int
    length: int
    # sha256 of the bytes just before `length`: proves a file found by (dev, ino) is still this output, since an
    # inode number is reused once its file is gone. None in checkpoints of version 1.
    fingerprint: str | None = None

    @property
    def identity(self) -> Identity:
        return self.dev, self.ino


def _hash_end(fd: int, length: int) -> str:
    start = max(0, length - FINGERPRINT_BYTES)
    return sha256_hex(os.pread(fd, length - start, start))


def fingerprint(fd: int, length: int) -> str | None:
    """The fingerprint of the file open on `fd` cut at `length` (see OutputState); outputs are open for
    writing only, so it is read through a second descriptor. None when it cannot be read: then nothing is
    ever cut back on its strength."""
    return path_fingerprint(f"/proc/self/fd/{fd}", length)


def path_fingerprint(path: str, length: int) -> str | None:
    """`fingerprint` of the file at `path`; None when it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return _hash_end(fd, length)
    except OSError:
        return None
    finally:
        os.close(fd)


@dataclass(slots=True)
class Checkpoint:
    inputs: dict[str, InputState] = field(default_factory=dict)
    outputs: dict[str, OutputState] = field(default_factory=dict)  # by path
    clean: bool = False  # written by a follower that stopped cleanly: every output ends where this says
    version: int = VERSION  # of the file it was read from

    def to_bytes(self) -> bytes:
        # orjson writes the dataclasses itself, field by field: the same JSON as asdict() without its deep copy
        document = {"version": VERSION, "clean": self.clean, "inputs": self.inputs, "outputs": self.outputs}
        return orjson.dumps(document, option=orjson.OPT_APPEND_NEWLINE)

    @property
    def outputs_are_own(self) -> bool:
        """Whether `outputs` lists only files the follower wrote (version 1 listed any date-named file)."""
        return self.version >= 2

    @classmethod
    def from_bytes(cls, data: bytes) -> Checkpoint:
        raw: dict[str, Any] = orjson.loads(data)
        version = raw.get("version")
        if version not in READABLE_VERSIONS or isinstance(version, bool):
            raise ValueError("unknown checkpoint version")
        inputs = {
            name: InputState(
                FilePosition(**state["current"]) if state.get("current") else None,
                [FilePosition(**p) for p in state.get("rotated", [])],
                state.get("cursor"),
                state.get("mid_line", False),
            )
            for name, state in raw.get("inputs", {}).items()
        }
        outputs = {name: OutputState(**state) for name, state in raw.get("outputs", {}).items()}
        checkpoint = cls(inputs, outputs, raw.get("clean", False), version)
        if not checkpoint._well_formed():
            raise ValueError("a checkpoint value of the wrong type or sign")
        return checkpoint

    def _well_formed(self) -> bool:
        """Identities, offsets and lengths are whole numbers of at least 0, the flags true or false: a hand-edited
        or foreign file must not seek or cut an output to somewhere no checkpoint could name."""

        def count(*values: object) -> bool:
            return all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)

        positions = [p for state in self.inputs.values() for p in (state.current, *state.rotated) if p is not None]
        return (
            all(isinstance(s.cursor, str | None) and isinstance(s.mid_line, bool) for s in self.inputs.values())
            and all(count(p.dev, p.ino, p.offset) and isinstance(p.long_line, bool) for p in positions)
            and all(isinstance(p.mask_head, bool) for p in positions)
            and all(count(o.dev, o.ino, o.length) for o in self.outputs.values())
            and all(o.fingerprint is None or _is_sha256(o.fingerprint) for o in self.outputs.values())
            and isinstance(self.clean, bool)
        )


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


class StateDir:
    """The state directory, held with an exclusive lock: two followers on one checkpoint would each
    cut the other's output back."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._lock_fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
            self._dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)  # fsynced per save
        except OSError as exc:
            raise ConfigError(f"cannot use state directory {directory}: {exc.strerror}") from None
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            os.close(self._dir_fd)
            raise ConfigError(f"another pseudolog follow is using the state directory {directory}") from None

    @property
    def path(self) -> Path:
        return self.directory / FILE_NAME

    def load(self) -> Checkpoint | None:
        return read_checkpoint(self.path)

    def save(self, checkpoint: Checkpoint) -> None:
        tmp = self.directory / TMP_NAME
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            write_all(fd, checkpoint.to_bytes())  # a write cut short must not become the checkpoint
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        os.fsync(self._dir_fd)  # the rename is durable

    def close(self) -> None:
        for fd in (self._dir_fd, self._lock_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def read_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint at `path`; None when there is none yet."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read checkpoint {path}: {exc.strerror}") from None
    try:
        return Checkpoint.from_bytes(data)
    except (ValueError, TypeError, KeyError, AttributeError):  # not JSON, or JSON of another shape
        raise ConfigError(
            f"checkpoint {path} is unreadable; move it away to start over from the inputs' beginnings"
        ) from None


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new file in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
