"""Keys that expire: one random key per window, created ahead of time and deleted after retention.

Deleting a window's key is what makes its pseudonyms permanently unlinkable (crypto-shredding): nobody, the
operator included, can recompute them for a candidate identifier any more. Hosts that share the directory
(or a copy of it) produce identical pseudonyms, because `keys rotate` creates the keys before their windows
begin and never replaces one.

Layout: DIR/<window length in seconds>-<window start, epoch seconds>.key, 32 random bytes, mode 0600,
in a directory that group and others cannot read.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from pseudolog.errors import ConfigError, KeyMaterialError, OutputError
from pseudolog.io.paths import Identity, identities_in, identity, identity_of, inside, same_file
from pseudolog.keys import KEY_BYTES, Warn, read_key_file, resolve_master_key
from pseudolog.pseudonym import window_start

_NAME = re.compile(r"(\d+)-(\d+)\.key")


class WindowKeyMissing(KeyMaterialError):
    """The keyring has no key for a window: never created, or pruned (then gone for good)."""


class Keyring:
    def __init__(self, directory: Path, window_length: int) -> None:
        self.directory = directory
        self.window_length = window_length
        self._cache: dict[int, bytes] = {}
        self.missing_windows: set[int] = set()  # starts of windows asked for but without a key (bounded)
        _check_directory(directory)

    def __repr__(self) -> str:
        return f"Keyring({str(self.directory)!r}, window_length={self.window_length})"

    def path_for(self, start: int) -> Path:
        return self.directory / f"{self.window_length}-{start}.key"

    def key_for(self, start: int | None) -> bytes:
        if start is None:
            raise KeyMaterialError("a keyring needs a window (--window must not be 0 or none)")
        key = self._cache.get(start)
        if key is None:
            path = self.path_for(start)
            if not path.exists():
                if len(self.missing_windows) < 1024:
                    self.missing_windows.add(start)
                raise WindowKeyMissing(
                    f"the keyring has no key for the window starting {start}: it was pruned after retention "
                    "or never created"
                )
            key = read_key_file(path).secret
            if len(self._cache) >= 64:
                self._cache.clear()
            self._cache[start] = key
        return key

    def windows(self) -> list[int]:
        """Starts of the windows of this keyring's window length that have a key."""
        return sorted(start for length, start in self.keys() if length == self.window_length)

    def keys(self) -> list[tuple[int, int]]:
        """(window length, window start) of every key in the directory, whatever its window length."""
        found = []
        for entry in self.directory.iterdir():
            m = _NAME.fullmatch(entry.name)
            if m:
                found.append((int(m.group(1)), int(m.group(2))))
        return sorted(found)

    def rotate(self, now: float, ahead: int) -> list[int]:
        """Create keys for the windows from the current one to now + ahead; existing keys are kept. A request
        for more than MAX_ROTATE_KEYS windows is refused before any key is written."""
        first, last = rotation_span(now, ahead, self.window_length)
        created = []
        for start in range(first, last + 1, self.window_length):
            try:
                made = _create_key(self.path_for(start))
            except OSError as exc:
                raise OutputError(f"cannot write a key in keyring {self.directory}: {exc.strerror}") from None
            if made:
                created.append(start)
        return created

    def prune(self, now: float, retention: int) -> list[tuple[int, int]]:
        """Delete the keys of windows that ended before now - retention, each window by its own length (a
        keyring once rotated with another --window keeps those keys too); (length, start) of each deleted."""
        removed = []
        for length, start in self.keys():
            if start + length <= now - retention:
                _shred(self.directory / f"{length}-{start}.key")
                if length == self.window_length:
                    self._cache.pop(start, None)
                removed.append((length, start))
        return removed


# More keys than this in one `keys rotate` is a mistyped --ahead or --window (2d of 1s windows is 172,801 files).
MAX_ROTATE_KEYS = 10_000


def rotation_span(now: float, ahead: int, window_length: int) -> tuple[int, int]:
    """First and last window start `keys rotate` creates keys for; refuses more than MAX_ROTATE_KEYS windows, so a
    caller can check a request before it creates anything."""
    first, last = window_start(now, window_length), window_start(now + ahead, window_length)
    assert first is not None and last is not None
    count = (last - first) // window_length + 1
    if count > MAX_ROTATE_KEYS:
        raise ConfigError(
            f"keys rotate: --ahead over --window makes {count} window keys, more than {MAX_ROTATE_KEYS} at once; "
            "give a longer --window or a shorter --ahead"
        )
    return first, last


def open_keyring(directory: str | None, window: int | None, key_file: str | None, key_fd: int | None) -> Keyring | None:
    """The keyring the options name, if any; refuses a keyring next to a master key or without a window."""
    if directory is None:
        return None
    if key_file or key_fd is not None:
        raise ConfigError("give either --keyring or a master key (--key-file/--key-fd), not both")
    if window is None:
        raise ConfigError("--keyring needs a window (--window must not be 0 or none)")
    return Keyring(Path(directory), window)


@dataclass(frozen=True, slots=True)
class Secret:
    """What a command pseudonymises with: a master key's bytes or a keyring; where it came from."""

    material: bytes | Keyring
    source: str  # for --stats: "file", "keyring" or "ephemeral"
    ephemeral: bool = False
    key_path: str | None = None  # the key file's path as given (--key-file, $PSEUDOLOG_KEY_FILE, credential)
    key_identity: tuple[int, int] | None = None  # (device, inode) of the file the master key was read from

    def __repr__(self) -> str:  # never the bytes
        return f"Secret(source={self.source!r}, ephemeral={self.ephemeral})"

    @property
    def places(self) -> KeyPlaces:
        """Where this secret's key material lies on disk, for the check that no output is written over it."""
        if isinstance(self.material, Keyring):
            return KeyPlaces((), str(self.material.directory))
        if self.key_path is None and self.key_identity is None:  # a random key: nothing on disk
            return KeyPlaces((), None)
        shown = self.key_path or "passed to --key-fd"
        return KeyPlaces((KeyFile(shown, self.key_path, self.key_identity),), None)


# NamedTuples, not dataclasses: every command that reads a key imports them at start-up, and a frozen dataclass
# costs a millisecond to define (its methods are compiled from source), a NamedTuple a fifth of that.
class KeyFile(NamedTuple):
    """A master key file: how a message names it, its path if it has one, the identity of what was read."""

    shown: str
    path: str | None
    identity: Identity | None = None


class KeyPlaces(NamedTuple):
    """The key files and the keyring directory a command reads its keys from: the one check, for every command
    that writes files (`run`, `follow`), that no output is written over key material. Writing there destroys a
    key, and a damaged key file is then read as a key (every pseudonym after it under another key)."""

    files: tuple[KeyFile, ...]
    keyring: str | None

    def at(self, path: str | None = None, info: os.stat_result | None = None) -> str | None:
        """What key material the file at `path` (which need not exist yet) or the open file `info` is ("the key
        file K", "in keyring K", "the keyring K"), else None. By resolved name and by (device, inode), so a
        symlink or a hard link to a key is the key too."""
        seen = {identity(path)} if path is not None else set()
        if info is not None:
            seen.add(identity_of(info))
        seen.discard(None)
        for key in self.files:
            if key.identity in seen or (key.path is not None and path is not None and same_file(path, key.path)):
                return f"the key file {key.shown}"
        ring = self.keyring
        if ring is not None:
            if path is not None and same_file(path, ring):
                return f"the keyring {ring}"
            if (path is not None and inside(path, ring)) or seen & identities_in(ring):
                return f"in keyring {ring}"
        return None

    def refuse_output(self, shown: str, path: str | None = None, info: os.stat_result | None = None) -> None:
        """Refuses, before anything is written, an output (`path`, or the open file `info`, e.g. standard
        output) that is key material. `shown` names it in the message (`-o/--output out.log`)."""
        what = self.at(path, info)
        if what is not None:
            place = "directory" if path is not None and os.path.isdir(path) else "file"
            raise ConfigError(f"{shown} is {what}: an output must never be key material; choose another {place}")


def resolve_secret(
    *,
    key_file: str | None,
    key_fd: int | None,
    keyring: str | None,
    window: int | None,
    environ: Mapping[str, str],
    warn: Warn | None = None,
    needs_fixed_key: str | None = None,
) -> Secret:
    """The one place every command finds its key: --keyring, else --key-file/--key-fd, else
    $PSEUDOLOG_KEY_FILE, else the systemd credential, else a random key. `needs_fixed_key` is the reason a
    command refuses the random key (the error message's second half)."""
    ring = open_keyring(keyring, window, key_file, key_fd)
    if ring is not None:
        return Secret(ring, "keyring")
    key = resolve_master_key(key_file, environ, key_fd, warn)
    if key.ephemeral:
        if needs_fixed_key:
            raise ConfigError(needs_fixed_key)
        return Secret(key.secret, "ephemeral", ephemeral=True)
    return Secret(key.secret, "file", key_path=key.path, key_identity=key.identity)


def _check_directory(directory: Path) -> None:
    try:
        info = directory.stat()
    except FileNotFoundError:
        raise KeyMaterialError(f"keyring {directory} does not exist (create it with: pseudolog keys rotate)") from None
    if not stat.S_ISDIR(info.st_mode):
        raise KeyMaterialError(f"keyring {directory} is not a directory")
    if info.st_mode & 0o077:
        raise KeyMaterialError(f"keyring {directory} is open to group or others; run: chmod 700 {directory}")


def ensure_directory(directory: Path) -> None:
    """The keyring directory, made (mode 0700) if missing; one line naming what is wrong if it cannot be."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:  # a file, or a dangling link, has the name
        raise KeyMaterialError(f"keyring {directory} is not a directory") from None
    except OSError as exc:
        raise KeyMaterialError(f"cannot create keyring {directory}: {exc.strerror or type(exc).__name__}") from None
    _check_directory(directory)


def _create_key(path: Path) -> bool:
    """Write a new key under a temporary name and link it into place: readers never see half a key, and a
    key another host created first is never replaced."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, os.urandom(KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


def _shred(path: Path) -> None:
    """Overwrite, then delete. (On copy-on-write or journaling file systems only the deletion is certain.)"""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, b"\0" * KEY_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
    path.unlink(missing_ok=True)
