"""The path identities every guard against writing over an input, a key or the keyring asks (`io/paths.py`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pseudolog.io.paths import identities_in, identity, inside, same_file
from pseudolog.keyring import KeyFile, KeyPlaces


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "ring" / "sub").mkdir(parents=True)
    (tmp_path / "ring" / "3600-0.key").write_bytes(b"k" * 32)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "target.key").write_bytes(b"t" * 32)
    (tmp_path / "ring" / "soft.key").symlink_to(tmp_path / "elsewhere" / "target.key")
    os.link(tmp_path / "ring" / "3600-0.key", tmp_path / "hard.key")
    (tmp_path / "ring-link").symlink_to(tmp_path / "ring")
    return tmp_path


def test_one_file_under_several_names(tree: Path) -> None:
    ring = tree / "ring"
    assert same_file(str(ring / "3600-0.key"), str(tree / "hard.key"))  # a hard link
    assert same_file(str(tree / "ring-link" / "3600-0.key"), str(ring / "3600-0.key"))  # through a linked directory
    assert same_file(str(ring / "sub" / ".." / "new.log"), str(ring / "new.log"))  # neither exists: by name
    assert not same_file(str(ring / "3600-0.key"), str(tree / "elsewhere" / "target.key"))
    assert identity(str(tree / "missing")) is None


def test_a_name_inside_a_directory_at_any_depth(tree: Path) -> None:
    ring = str(tree / "ring")
    assert inside(str(tree / "ring" / "new.log"), ring)
    assert inside(str(tree / "ring" / "sub" / "deeper" / "new.log"), ring)
    assert inside(str(tree / "ring-link" / "new.log"), ring) and inside(
        str(tree / "ring" / "x"), str(tree / "ring-link")
    )
    assert not inside(ring, ring)  # the directory itself is not in it
    assert not inside(str(tree / "ring-other" / "x.log"), ring)  # a shared prefix of the name is not enough
    assert not inside(str(tree / "elsewhere" / "x.log"), ring)


def test_the_files_of_a_directory_include_what_their_links_point_to(tree: Path) -> None:
    found = identities_in(str(tree / "ring"))
    assert identity(str(tree / "hard.key")) in found
    assert identity(str(tree / "elsewhere" / "target.key")) in found  # the keyring reads it as a key
    assert identity(str(tree / "ring" / "sub")) not in found  # a directory is no key
    assert identities_in(str(tree / "ring"), lambda name: name.endswith(".nothing")) == set()
    assert identities_in(str(tree / "missing")) == set()


def test_key_places_name_what_an_output_would_destroy(tree: Path) -> None:
    key = tree / "elsewhere" / "target.key"
    places = KeyPlaces((KeyFile("(--key-file)", str(key)),), str(tree / "ring"))
    assert places.at(str(key)) == "the key file (--key-file)"
    assert places.at(str(tree / "ring" / "soft.key")) == "the key file (--key-file)"
    assert places.at(str(tree / "hard.key")) == f"in keyring {tree / 'ring'}"
    assert places.at(str(tree / "ring-link" / "new.log")) == f"in keyring {tree / 'ring'}"
    assert places.at(str(tree / "ring-link")) == f"the keyring {tree / 'ring'}"
    assert places.at(str(tree / "out.log")) is None
    with open(tree / "hard.key", "rb") as opened:  # an open file, as standard output is
        assert places.at(info=os.fstat(opened.fileno())) == f"in keyring {tree / 'ring'}"
    fd_key = KeyPlaces((KeyFile("passed to --key-fd", None, identity(str(key))),), None)
    assert fd_key.at(str(tree / "ring" / "soft.key")) == "the key file passed to --key-fd"


def test_a_directory_mounted_twice_is_one_directory(tree: Path) -> None:
    """A keyring bind-mounted into a service (systemd's BindPaths=) has a second name no link resolves."""
    mirror = tree / "mirror"
    mirror.mkdir()
    probe = (
        "import sys; from pseudolog.io.paths import inside; "
        "sys.exit(0 if inside(sys.argv[1] + '/sub/x.log', sys.argv[2]) and not inside(sys.argv[3], sys.argv[2]) else 1)"
    )
    script = f'mount --bind "$1" "$2" && exec "{sys.executable}" -c "{probe}" "$2" "$1" "$3"'
    command = ["unshare", "--mount", "sh", "-c", script, "sh", str(tree / "ring"), str(mirror), str(tree / "x.log")]
    try:
        allowed = subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode == 0
    except FileNotFoundError:
        allowed = False
    if not allowed:
        pytest.skip("no mount namespace here (unshare --mount)")
    assert subprocess.run(command, capture_output=True).returncode == 0
