"""Key files.

A master key (at least 32 random bytes) never touches a line directly: for each window and kind, HKDF-SHA256
derives a separate key (the native engine's src/keys.rs), so a pseudonym for an IP can never equal one for a
phone number, and one window's key says nothing about another's.
"""

from __future__ import annotations

import contextlib
import os
import select
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pseudolog.errors import KeyMaterialError
from pseudolog.io.paths import identity_of

KEY_BYTES = 32
CREDENTIAL_NAME = "pseudolog.key"
KEY_FILE_ENV = "PSEUDOLOG_KEY_FILE"


@dataclass(frozen=True, slots=True)
class MasterKey:
    """Key material plus where it came from (a path or a description, never the bytes)."""

    secret: bytes
    source: str
    ephemeral: bool = False
    # The file the key was read from (a key file, or a regular file passed as --key-fd), so that no output can
    # be it: its path as given, if any, and its (device, inode).
    path: str | None = None
    identity: tuple[int, int] | None = None

    def __repr__(self) -> str:  # keep key bytes out of tracebacks and debug output
        return f"MasterKey(source={self.source!r}, ephemeral={self.ephemeral})"


MAX_KEY_BYTES = 4096
KEY_FD_TIMEOUT = 10.0  # seconds a --key-fd writer has to write the key and close its end
KEY_FD_TIMEOUT_ENV = "PSEUDOLOG_KEY_FD_TIMEOUT"
MAX_FD = (1 << 31) - 1  # a C int: the largest file descriptor number there can be
Warn = Callable[[str], None]


def _decode_key_bytes(raw: bytes, where: str) -> bytes:
    """Raw bytes are used as they are; a file holding exactly 64 hex digits (and a newline) is decoded.
    Refused: fewer than 32 bytes, more than 4096, and a key that is one byte repeated (all zeros, a
    file of newlines): such a key is a mistake, and every pseudonym made with it is guessable."""
    if len(raw) > MAX_KEY_BYTES:
        raise KeyMaterialError(f"{where} is longer than {MAX_KEY_BYTES} bytes; a key is 32 random bytes")
    text = raw.strip()
    key = raw
    if len(text) == 2 * KEY_BYTES and len(raw) <= 2 * KEY_BYTES + 2:
        try:
            key = bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            key = raw
    if len(key) < KEY_BYTES:
        raise KeyMaterialError(f"{where} holds {len(key)} bytes; at least {KEY_BYTES} are required")
    if len(set(key)) == 1:
        raise KeyMaterialError(
            f"{where} is one byte repeated, not a random key; create one with: pseudolog keys init PATH"
        )
    return key


def _warn_open_directory(path: Path, warn: Warn | None) -> None:
    """Anyone who can write the key's directory can swap the key for one they know."""
    if warn is None:
        return
    directory = path.absolute().parent
    try:
        mode = stat.S_IMODE(os.stat(directory).st_mode)
    except OSError:
        return
    if mode & 0o022:
        warn(
            f"warning: the directory {directory} of key file {path} is writable by group or others (mode {mode:04o}): "
            f"they could replace the key; run: chmod go-w {directory}"
        )


def read_key_file(path: Path, warn: Warn | None = None) -> MasterKey:
    """Read a key file, refusing one that group or others can read (systemd credentials pass), and
    anything that is not a regular file (a FIFO would block forever, a device never ends)."""
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise KeyMaterialError(f"key file {where} does not exist (create one with: pseudolog keys init PATH)") from None
    except OSError as exc:
        raise KeyMaterialError(f"cannot open key file {where}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyMaterialError(f"key file {where} is not a regular file (use --key-fd for a pipe)")
        if info.st_mode & 0o077:
            raise KeyMaterialError(
                f"key file {where} is readable by group or others (mode {stat.S_IMODE(info.st_mode):04o});"
                f" run: chmod 600 {where}"
            )
        raw = os.read(fd, MAX_KEY_BYTES + 1)
    except OSError as exc:
        raise KeyMaterialError(f"cannot read key file {where}: {exc.strerror}") from None
    finally:
        os.close(fd)
    key = MasterKey(_decode_key_bytes(raw, f"key file {where}"), where, path=where, identity=identity_of(info))
    _warn_open_directory(path, warn)
    return key


def _fd_timeout(environ: Mapping[str, str]) -> float:
    try:
        value = float(environ.get(KEY_FD_TIMEOUT_ENV, KEY_FD_TIMEOUT))
    except ValueError:
        return KEY_FD_TIMEOUT
    return value if value > 0 else KEY_FD_TIMEOUT


def read_key_fd(fd: int, environ: Mapping[str, str] | None = None) -> MasterKey:
    """Read a key from an inherited file descriptor (a pipe from a secret store) up to its end, at most
    4096 bytes, waiting at most KEY_FD_TIMEOUT seconds for the writer to close it; it is closed after."""
    where = f"file descriptor {fd}"
    if fd > MAX_FD:  # os.fstat cannot take it (OverflowError); no process has such a descriptor
        raise KeyMaterialError(f"--key-fd {fd}: no such open file descriptor (was it passed to pseudolog?)")
    if fd < 3:
        raise KeyMaterialError(
            f"--key-fd {fd} is standard input, output or error; pass the key on descriptor 3 or higher "
            "(e.g. 3< keyfile)"
        )
    try:
        info = os.fstat(fd)
    except OSError:
        raise KeyMaterialError(f"--key-fd {fd}: no such open file descriptor (was it passed to pseudolog?)") from None
    timeout = _fd_timeout(environ if environ is not None else os.environ)
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                raise KeyMaterialError(
                    f"--key-fd {fd}: the key did not end within {timeout:g} s; the writer must close its end "
                    "after writing the key"
                )
            chunk = os.read(fd, MAX_KEY_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_KEY_BYTES:
                break
    except OSError as exc:
        raise KeyMaterialError(f"cannot read key from {where}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
    identity = identity_of(info) if stat.S_ISREG(info.st_mode) else None  # `3< k.key`: the file is the key's
    return MasterKey(_decode_key_bytes(b"".join(chunks), f"the key on {where}"), where, identity=identity)


def resolve_master_key(
    key_file: str | None, environ: Mapping[str, str], key_fd: int | None = None, warn: Warn | None = None
) -> MasterKey:
    """--key-file or --key-fd, else $PSEUDOLOG_KEY_FILE, else $CREDENTIALS_DIRECTORY/pseudolog.key, else a
    random in-memory key (pseudonyms consistent within the run, unlinkable across runs). Key material is
    never taken from the command line itself."""
    if key_file and key_fd is not None:
        raise KeyMaterialError("give either --key-file or --key-fd, not both")
    if key_fd is not None:
        return read_key_fd(key_fd, environ)
    if key_file:
        return read_key_file(Path(key_file), warn)
    if environ.get(KEY_FILE_ENV):
        return read_key_file(Path(environ[KEY_FILE_ENV]), warn)
    cred_dir = environ.get("CREDENTIALS_DIRECTORY")
    if cred_dir and (Path(cred_dir) / CREDENTIAL_NAME).exists():
        return read_key_file(Path(cred_dir) / CREDENTIAL_NAME)
    return MasterKey(os.urandom(KEY_BYTES), "random in-memory key", ephemeral=True)


def make_private_directories(directory: Path) -> list[Path]:
    """Create `directory` and any missing parents with mode 0700; the ones created."""
    missing: list[Path] = []
    probe = directory
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        except OSError as exc:
            raise KeyMaterialError(f"cannot create directory {path}: {exc.strerror}") from None
        os.chmod(path, 0o700)  # mkdir's mode is narrowed by the umask, never widened; make it exact
    return list(reversed(missing))


def init_key_file(path: Path) -> list[Path]:
    """Write a new random key with mode 0600; never overwrite an existing file. A missing directory is
    created with mode 0700; the directories created are returned."""
    created = make_private_directories(path.absolute().parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyMaterialError(f"{path} exists already; refusing to overwrite a key") from None
    except OSError as exc:
        raise KeyMaterialError(f"cannot create {path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, os.urandom(KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    return created
