"""Whether two names are one file, or a name lies in a directory, as the guards against writing over an input,
the key or the keyring ask it. By resolved name, and by (device, inode) where the files exist, so a symlink, a
hard link or another mount of the same directory is the same file too. Never raises: a name that cannot be
looked at is no match (the open that follows reports it)."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable

Identity = tuple[int, int]  # (device, inode)


def identity_of(info: os.stat_result) -> Identity:
    return info.st_dev, info.st_ino


def identity(path: str) -> Identity | None:
    """The (device, inode) of the file `path` names, links followed; None when there is none."""
    try:
        return identity_of(os.stat(path))
    except (OSError, ValueError):
        return None


def same_file(a: str, b: str) -> bool:
    """`a` and `b` are one file: the same name once links are resolved, or the same (device, inode)."""
    with contextlib.suppress(OSError, ValueError):
        if os.path.realpath(a) == os.path.realpath(b):
            return True
    found = identity(a)
    return found is not None and found == identity(b)


def inside(path: str, directory: str) -> bool:
    """`path` (which need not exist) lies in `directory`, at any depth: by resolved name, or because one of
    its parent directories is `directory` by (device, inode)."""
    try:
        resolved = os.path.realpath(path)
        if resolved.startswith(os.path.join(os.path.realpath(directory), "")):
            return True
    except (OSError, ValueError):
        return False
    wanted = identity(directory)
    if wanted is None:
        return False
    parent = os.path.dirname(resolved)
    while True:
        if identity(parent) == wanted:
            return True
        up = os.path.dirname(parent)
        if up == parent:
            return False
        parent = up


def identities_in(directory: str, names: Callable[[str], bool] | None = None) -> set[Identity]:
    """(device, inode) of the regular files in `directory` (links followed) whose names `names` accepts: a file
    elsewhere that one of them links to, hard or soft, is one of them too."""
    found: set[Identity] = set()
    with contextlib.suppress(OSError, ValueError), os.scandir(directory) as entries:
        for entry in entries:
            if names is not None and not names(entry.name):
                continue
            with contextlib.suppress(OSError):
                info = entry.stat()
                if stat.S_ISREG(info.st_mode):
                    found.add(identity_of(info))
    return found
