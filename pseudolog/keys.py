"""Key files.

A master key (at least 32 random bytes) never touches a line directly: for each window and kind, HKDF-SHA256
derives a separate key (the native engine's src/keys.rs), so a pseudonym for an IP can never equal one for a
phone number, and one window's key says nothing about another's.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from pseudolog.errors import KeyMaterialError

KEY_BYTES = 32
CREDENTIAL_NAME = "pseudolog.key"
KEY_FILE_ENV = "PSEUDOLOG_KEY_FILE"


@dataclass(frozen=True, slots=True)
class MasterKey:
    """Key material plus where it came from (a path or a description, never the bytes)."""

    secret: bytes
    source: str
    ephemeral: bool = False

    def __repr__(self) -> str:  # keep key bytes out of tracebacks and debug output
        return f"MasterKey(source={self.source!r}, ephemeral={self.ephemeral})"


def _decode_key_bytes(raw: bytes, where: str) -> bytes:
    """Raw bytes are used as they are; a file holding exactly 64 hex digits (and a newline) is decoded."""
    text = raw.strip()
    if len(text) == 2 * KEY_BYTES and len(raw) <= 2 * KEY_BYTES + 2:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            pass
    if len(raw) < KEY_BYTES:
        raise KeyMaterialError(f"key file {where} holds {len(raw)} bytes; at least {KEY_BYTES} are required")
    return raw


def read_key_file(path: Path) -> MasterKey:
    """Read a key file, refusing one that group or others can read (systemd credentials pass)."""
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise KeyMaterialError(f"key file {where} does not exist (create one with: pseudolog keys init PATH)") from None
    except OSError as exc:
        raise KeyMaterialError(f"cannot open key file {where}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyMaterialError(f"key file {where} is not a regular file")
        if info.st_mode & 0o077:
            raise KeyMaterialError(
                f"key file {where} is readable by group or others (mode {stat.S_IMODE(info.st_mode):04o});"
                f" run: chmod 600 {where}"
            )
        raw = os.read(fd, 4096)
    except OSError as exc:
        raise KeyMaterialError(f"cannot read key file {where}: {exc.strerror}") from None
    finally:
        os.close(fd)
    return MasterKey(_decode_key_bytes(raw, where), where)


def read_key_fd(fd: int) -> MasterKey:
    """Read a key from an inherited file descriptor (a pipe from a secret store); it is closed after."""
    where = f"file descriptor {fd}"
    chunks: list[bytes] = []
    try:
        while sum(map(len, chunks)) <= 4096:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as exc:
        raise KeyMaterialError(f"cannot read key from {where}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
    return MasterKey(_decode_key_bytes(b"".join(chunks), where), where)


def resolve_master_key(key_file: str | None, environ: dict[str, str], key_fd: int | None = None) -> MasterKey:
    """--key-file or --key-fd, else $PSEUDOLOG_KEY_FILE, else $CREDENTIALS_DIRECTORY/pseudolog.key, else a
    random in-memory key (pseudonyms consistent within the run, unlinkable across runs). Key material is
    never taken from the command line itself."""
    if key_file and key_fd is not None:
        raise KeyMaterialError("give either --key-file or --key-fd, not both")
    if key_fd is not None:
        return read_key_fd(key_fd)
    if key_file:
        return read_key_file(Path(key_file))
    if environ.get(KEY_FILE_ENV):
        return read_key_file(Path(environ[KEY_FILE_ENV]))
    cred_dir = environ.get("CREDENTIALS_DIRECTORY")
    if cred_dir and (Path(cred_dir) / CREDENTIAL_NAME).exists():
        return read_key_file(Path(cred_dir) / CREDENTIAL_NAME)
    return MasterKey(os.urandom(KEY_BYTES), "random in-memory key", ephemeral=True)


def init_key_file(path: Path) -> None:
    """Write a new random key with mode 0600; never overwrite an existing file."""
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
