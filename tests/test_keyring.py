"""Keys that expire: rotate ahead, prune after retention, identical pseudonyms on every host."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from pseudolog.errors import KeyMaterialError
from pseudolog.keyring import Keyring, WindowKeyMissing, ensure_directory
from pseudolog.timeparse import parse_user_time

DAY = 86400
NOW = parse_user_time("2026-11-21T12:00:00Z")
LINES = b"2026-11-21T10:00:00Z a 192.0.2.1 +4930123456\n2026-11-22T10:00:00Z b 192.0.2.1\n"


@pytest.fixture
def ring(tmp_path):
    directory = tmp_path / "ring"
    ensure_directory(directory)
    keyring = Keyring(directory, DAY)
    keyring.rotate(NOW, 2 * DAY)
    return keyring


def test_rotate_creates_private_keys_ahead_and_never_replaces_them(ring):
    assert ring.windows() == [1795219200, 1795305600, 1795392000]
    before = {p.name: p.read_bytes() for p in ring.directory.iterdir()}
    assert all(len(v) == 32 for v in before.values())
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in ring.directory.iterdir())
    assert ring.directory.stat().st_mode & 0o777 == 0o700
    assert ring.rotate(NOW, 2 * DAY) == []
    assert {p.name: p.read_bytes() for p in ring.directory.iterdir()} == before


def test_prune_deletes_only_windows_past_retention(ring):
    removed = ring.prune(NOW + 3 * DAY, retention=DAY)
    assert removed == [(DAY, 1795219200), (DAY, 1795305600)]
    assert ring.windows() == [1795392000]
    with pytest.raises(WindowKeyMissing):
        Keyring(ring.directory, DAY).key_for(1795219200)


def test_open_keyring_is_refused(tmp_path):
    directory = tmp_path / "open"
    directory.mkdir(mode=0o755)
    os.chmod(directory, 0o755)
    with pytest.raises(KeyMaterialError, match="chmod 700"):
        Keyring(directory, DAY)


def _run(bin_, *args, stdin=LINES):
    return subprocess.run([bin_, *args], input=stdin, capture_output=True, timeout=120)


def test_hosts_sharing_a_keyring_agree(pseudolog_bin, ring, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(ring.directory, copy)
    a = _run(pseudolog_bin, "run", "--keyring", str(ring.directory))
    b = _run(pseudolog_bin, "run", "--keyring", str(copy))
    assert a.returncode == 0 and a.stdout == b.stdout and b"192.0.2.1" not in a.stdout
    first, second = a.stdout.split(b"\n")[:2]
    assert first.split()[2] != second.split()[2]  # separate windows, separate keys


def test_lookup_with_a_keyring_and_after_pruning(pseudolog_bin, ring):
    out = _run(pseudolog_bin, "run", "--keyring", str(ring.directory)).stdout
    token = _run(
        pseudolog_bin, "lookup", "--keyring", str(ring.directory), "--at", "2026-11-21T10:00:00Z", "ip", "192.0.2.1"
    ).stdout.strip()
    assert token and token in out
    pruned = _run(
        pseudolog_bin,
        "keys",
        "prune",
        "--keyring",
        str(ring.directory),
        "--retention",
        "1d",
        "--now",
        "2026-11-23T12:00:00Z",
    )
    assert pruned.returncode == 0
    gone = _run(
        pseudolog_bin, "lookup", "--keyring", str(ring.directory), "--at", "2026-11-21T10:00:00Z", "ip", "192.0.2.1"
    )
    assert gone.returncode != 0 and b"pruned" in gone.stderr and len(gone.stderr.splitlines()) == 1


def test_missing_window_key_fails_closed(pseudolog_bin, ring):
    line = b"2026-12-24T10:00:00Z far ahead 192.0.2.1 +4930123456\n"
    proc = _run(pseudolog_bin, "run", "--keyring", str(ring.directory), stdin=line)
    assert proc.returncode == 0
    assert b"192.0.2.1" not in proc.stdout and b"4930123456" not in proc.stdout
    assert b"keys rotate" in proc.stderr


def test_keyring_and_master_key_exclude_each_other(pseudolog_bin, ring, key_file):
    proc = _run(pseudolog_bin, "run", "--keyring", str(ring.directory), "--key-file", str(key_file))
    assert proc.returncode == 2 and b"not both" in proc.stderr
    static = _run(pseudolog_bin, "run", "--keyring", str(ring.directory), "--window", "none")
    assert static.returncode == 2 and b"window" in static.stderr


def test_keyring_with_jobs(pseudolog_bin, ring, tmp_path):
    log = tmp_path / "big.log"
    log.write_bytes(LINES * 60000)
    one = _run(pseudolog_bin, "run", "--keyring", str(ring.directory), "--now", "2026-11-21T12:00:00Z", str(log))
    two = _run(
        pseudolog_bin, "run", "--keyring", str(ring.directory), "--now", "2026-11-21T12:00:00Z", "--jobs", "2", str(log)
    )
    assert one.returncode == 0 and one.stdout == two.stdout


def test_prune_deletes_keys_of_every_window_length_by_their_own(pseudolog_bin, tmp_path):
    """Keys rotated with --window 1h are pruned by `keys prune` under the default --window (1d), each by its own
    window's end: a key kept because its length differs is crypto-shredding silently not done."""
    directory = tmp_path / "ring"
    rotate = ("keys", "rotate", "--keyring", str(directory), "--now", "2026-11-01T10:00:00Z")
    assert _run(pseudolog_bin, *rotate, "--window", "1h", "--ahead", "2h").returncode == 0
    assert _run(pseudolog_bin, *rotate, "--ahead", "1d").returncode == 0
    hourly = sorted(p.name for p in directory.iterdir() if p.name.startswith("3600-"))
    assert len(hourly) == 3
    prune = ("keys", "prune", "--keyring", str(directory), "--retention", "7d", "--now")
    # 7d before Nov 8 12:30: the hour keys of 10:00 and 11:00 on Nov 1 had ended; 12:00's and the days' had not
    pruned = _run(pseudolog_bin, *prune, "2026-11-08T12:30:00Z")
    assert pruned.returncode == 0 and b"deleted 2 window key(s)" in pruned.stderr
    assert sorted(p.name for p in directory.iterdir() if p.name.startswith("3600-")) == hourly[2:]
    everything = _run(pseudolog_bin, *prune, "2026-11-27T00:00:00Z")
    assert everything.returncode == 0 and list(directory.iterdir()) == []
