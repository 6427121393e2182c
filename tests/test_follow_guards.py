"""`pseudolog follow` never destroys what is not its own output, and refuses in one line what would: a file that
got the old output's inode number, date-named files it did not write, the key, its own input as standard
output, an input given twice; and `--check` refuses what a start refuses."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.test_cli_e2e import assert_one_line_error
from tests.test_follow import FMT, clean_env, line, line_count, start, stop, wait_for

FOREIGN = b"another program's data\n" * 100


def follow_args(key_file: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["--key-file", str(key_file), "--state-dir", str(tmp_path / "st"), *extra, *FMT]


def run_follow(bin_: str, *args: str, cwd: Path | None = None, **kw) -> subprocess.CompletedProcess:
    """A follow that is expected to refuse: it must end by itself (a start that does not would time out)."""
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(
        [bin_, "follow", *args], env=kw.pop("env", clean_env()), stderr=subprocess.PIPE, cwd=cwd, timeout=60, **kw
    )


def read_checkpoint(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "st" / "checkpoint.json").read_bytes())


def write_checkpoint(tmp_path: Path, document: dict) -> None:
    (tmp_path / "st" / "checkpoint.json").write_text(json.dumps(document))


def first_run(bin_: str, key_file: Path, tmp_path: Path, out: Path, src: Path, lines: int) -> None:
    proc = start(bin_, *follow_args(key_file, tmp_path, "-o", str(out)), str(src))
    wait_for(lambda: line_count(out) == lines, what="the first run's lines")
    stop(proc)


# -- A1: a restart cuts back only its own output -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "clean"),
    [("other1.log", True), ("other1.log", False), ("out.log.1", False)],
)
def test_a_file_that_got_the_old_outputs_inode_is_never_cut(pseudolog_bin, key_file, tmp_path, name, clean):
    """logrotate renamed and compressed the output while follow was stopped; the freed inode number went to
    another program's file (ext4 hands it out again at once: forged here in the checkpoint). After a clean stop
    nothing is cut at all; after a crash, only a rotation of the output that still ends as the checkpoint's
    fingerprint says would be."""
    logs = tmp_path / "logs"
    logs.mkdir()
    src, out = tmp_path / "in.log", logs / "out.log"
    src.write_bytes(line(1))
    first_run(pseudolog_bin, key_file, tmp_path, out, src, 1)
    other = logs / name
    other.write_bytes(FOREIGN)
    document = read_checkpoint(tmp_path)
    assert document["clean"] is True
    info = other.stat()
    document["outputs"][str(out)].update(dev=info.st_dev, ino=info.st_ino)
    document["clean"] = clean
    write_checkpoint(tmp_path, document)
    out.unlink()
    out.touch()
    proc = start(pseudolog_bin, *follow_args(key_file, tmp_path, "-o", str(out)), str(src))
    with src.open("ab") as f:
        f.write(line(2))
    wait_for(lambda: line_count(out) == 1, what="the new line")
    err = stop(proc)
    assert other.read_bytes() == FOREIGN
    assert b"written after the last checkpoint" not in err
    if name == "out.log.1":  # a rotation's name, but not what the checkpoint recorded
        assert b"does not hold what the last checkpoint recorded, so nothing was cut back" in err


@pytest.mark.parametrize("fingerprinted", [True, False])
def test_a_crash_then_a_rotation_cuts_the_renamed_output_back_only_when_the_checkpoint_proves_it(
    pseudolog_bin, key_file, tmp_path, fingerprinted
):
    """A crash left a line after the checkpoint in the output, which logrotate then renamed to out.log.1. With
    the fingerprint the checkpoint now holds, the renamed file is cut back and the line follows again in the
    new output. A checkpoint of the version before (no fingerprint) cuts nothing there, and says so."""
    src, out = tmp_path / "in.log", tmp_path / "out.log"
    src.write_bytes(line(1) + line(2))
    first_run(pseudolog_bin, key_file, tmp_path, out, src, 2)
    written = out.read_bytes()
    first = written.splitlines(keepends=True)[0]
    document = read_checkpoint(tmp_path)  # as if the crash came after line 1's checkpoint
    document["clean"] = False
    document["inputs"][str(src)]["current"]["offset"] = len(line(1))
    state = document["outputs"][str(out)]
    state["length"] = len(first)
    state["fingerprint"] = hashlib.sha256(first[-4096:]).hexdigest()
    if not fingerprinted:
        document["version"] = 1
        del document["clean"], state["fingerprint"]
    write_checkpoint(tmp_path, document)
    rotated = tmp_path / "out.log.1"
    out.rename(rotated)
    proc = start(pseudolog_bin, *follow_args(key_file, tmp_path, "-o", str(out)), str(src))
    wait_for(lambda: line_count(out) == 1, what="line 2 again")
    err = stop(proc)
    assert out.read_bytes() == written[len(first) :]
    if fingerprinted:
        assert rotated.read_bytes() == first
        assert b"written after the last checkpoint" in err
    else:
        assert rotated.read_bytes() == written
        assert b"cannot prove" in err and b"written after the last checkpoint" not in err


# -- A2: --output-dir deletes only window files it wrote -----------------------------------------------


@pytest.mark.parametrize("earlier", ["no checkpoint", "a checkpoint of -o"])
@pytest.mark.parametrize("check", [False, True])
def test_date_named_files_it_did_not_write_are_refused_and_kept(pseudolog_bin, key_file, tmp_path, earlier, check):
    src, arch = tmp_path / "in.log", tmp_path / "arch"
    src.write_bytes(line(1))
    if earlier == "a checkpoint of -o":
        first_run(pseudolog_bin, key_file, tmp_path, tmp_path / "out.log", src, 1)
    arch.mkdir()
    files = {arch / "2026-11-20.log": b"archive of 20 Nov\n", arch / "2025-01-01.log": b"old archive\n"}
    for path, data in files.items():
        path.write_bytes(data)
    extra = ["--check"] if check else []
    args = follow_args(key_file, tmp_path, "--output-dir", str(arch), "--retention", "7d", *extra)
    proc = run_follow(pseudolog_bin, *args, str(src))
    assert_one_line_error(proc, "date-named file(s) this follower did not write", "move them away")
    assert proc.returncode == 2
    assert {path: path.read_bytes() for path in files} == files


def test_a_window_file_begun_after_the_last_checkpoint_is_its_own(pseudolog_bin, key_file, tmp_path):
    """A new window file is listed in the checkpoint before anything is written to it: after a crash, what it
    holds past its listed length is cut back and follows again once (nothing doubled, nothing refused)."""
    src, out = tmp_path / "in.log", tmp_path / "out"
    src.write_bytes(line(1, day=21))
    proc = start(pseudolog_bin, *follow_args(key_file, tmp_path, "--output-dir", str(out)), str(src))
    wait_for(lambda: line_count(out / "2026-11-21.log") == 1, what="the first window file")
    wait_for(lambda: str(out / "2026-11-21.log") in read_checkpoint(tmp_path)["outputs"], what="its listing")
    proc.kill()
    proc.wait()
    document = read_checkpoint(tmp_path)
    state = document["outputs"][str(out / "2026-11-21.log")]
    assert state["length"] in (0, len((out / "2026-11-21.log").read_bytes()))
    proc = start(pseudolog_bin, *follow_args(key_file, tmp_path, "--output-dir", str(out)), str(src))
    with src.open("ab") as f:
        f.write(line(2, day=22))
    wait_for(lambda: line_count(out / "2026-11-22.log") == 1, what="the second window file")
    stop(proc)
    assert line_count(out / "2026-11-21.log") == 1


# -- A4: no output may be the key ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("-o", "KEY"), "is the key file"),
        (("-o", "out.log", "--metrics-file", "KEY"), "is the key file"),
        (("-o", "hard.key"), "is the key file"),
        (("-o", "link.key"), "is the key file"),
        (("--output-dir", "od"), "the key file (--key-file) lies in --output-dir od"),
    ],
)
def test_an_output_that_is_the_key_file_is_refused(pseudolog_bin, key_file, tmp_path, args, needle):
    os.link(key_file, tmp_path / "hard.key")
    (tmp_path / "od").mkdir()
    os.link(key_file, tmp_path / "od" / "2026-11-21.log")  # the window file of the input's line
    (tmp_path / "link.key").symlink_to(key_file)
    (tmp_path / "in.log").write_bytes(line(1))
    before = key_file.read_bytes()
    args = tuple(str(key_file) if a == "KEY" else a for a in args)
    proc = run_follow(pseudolog_bin, *follow_args(key_file, tmp_path, *args), "in.log", cwd=tmp_path)
    assert_one_line_error(proc, needle)
    assert proc.returncode == 2
    assert key_file.read_bytes() == before


@pytest.mark.parametrize("where", ["-o", "--metrics-file", "--output-dir"])
def test_an_output_in_the_keyring_is_refused(pseudolog_bin, tmp_path, where):
    ring = tmp_path / "ring"
    subprocess.run([pseudolog_bin, "keys", "rotate", "--keyring", str(ring), "--ahead", "1h"], check=True)
    keys = {p: p.read_bytes() for p in ring.iterdir()}
    (tmp_path / "in.log").write_bytes(line(1))
    target = str(ring / "x.log") if where != "--output-dir" else str(ring)
    args = ["--keyring", str(ring), "--state-dir", str(tmp_path / "st"), where, target, *FMT]
    if where == "--metrics-file":
        args += ["-o", str(tmp_path / "out.log")]
    proc = run_follow(pseudolog_bin, *args, str(tmp_path / "in.log"))
    assert_one_line_error(proc, f"{target} is", f"keyring {ring}", "must never be key material")
    assert proc.returncode == 2
    assert {p: p.read_bytes() for p in ring.iterdir()} == keys


def test_an_output_that_is_the_credential_is_refused(pseudolog_bin, key_file, tmp_path):
    creds = tmp_path / "creds"
    creds.mkdir()
    os.link(key_file, creds / "pseudolog.key")
    (tmp_path / "in.log").write_bytes(line(1))
    env = clean_env(CREDENTIALS_DIRECTORY=str(creds))
    args = ["--state-dir", str(tmp_path / "st"), "-o", str(key_file), *FMT, str(tmp_path / "in.log")]
    proc = run_follow(pseudolog_bin, *args, env=env)
    assert_one_line_error(proc, "is the key file (the credential pseudolog.key)")
    assert key_file.read_bytes() == (creds / "pseudolog.key").read_bytes() and key_file.stat().st_size == 32


# -- A5: standard output that is an input --------------------------------------------------------------


@pytest.mark.parametrize("extra", [(), ("-o", "-")])
def test_standard_output_appended_to_an_input_is_refused(pseudolog_bin, key_file, tmp_path, extra):
    """`follow app.log >> app.log` read its own output back and wrote it again until the disk was full."""
    app = tmp_path / "app.log"
    app.write_bytes(line(1))
    with app.open("ab") as stdout:
        proc = run_follow(pseudolog_bin, *follow_args(key_file, tmp_path, *extra), str(app), stdout=stdout)
    assert_one_line_error(proc, "standard output is input", "would destroy it")
    assert proc.returncode == 2
    assert app.read_bytes() == line(1)


# -- C3: a bare number is no duration ------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["retention = 7", "window = 3600", "retention = 7.5"])
def test_a_bare_number_for_a_duration_in_the_config_is_refused(pseudolog_bin, key_file, tmp_path, setting):
    config = tmp_path / "f.toml"
    config.write_text(f'state-dir = "st"\ninputs = ["in.log"]\noutput = "o.log"\n{setting}\n')
    proc = run_follow(pseudolog_bin, "--key-file", str(key_file), "--config", str(config), "--check", cwd=tmp_path)
    assert_one_line_error(proc, "not a bare number")
    assert proc.returncode == 2


# -- C8: one input given twice -------------------------------------------------------------------------


@pytest.mark.parametrize("second", ["a.log", "./a.log", "link.log", "hard.log"])
@pytest.mark.parametrize("check", [False, True])
def test_the_same_input_given_twice_is_refused(pseudolog_bin, key_file, tmp_path, second, check):
    (tmp_path / "a.log").write_bytes(line(1))
    (tmp_path / "link.log").symlink_to("a.log")
    os.link(tmp_path / "a.log", tmp_path / "hard.log")
    extra = ["--check"] if check else []
    args = follow_args(key_file, tmp_path, "-o", "o.log", *extra)
    proc = run_follow(pseudolog_bin, *args, "a.log", second, cwd=tmp_path)
    assert_one_line_error(proc, "is input a.log again")
    assert proc.returncode == 2
    assert not (tmp_path / "o.log").exists()


# -- C9 and C11: names that are not UTF-8; --check refuses what a start refuses ---------------------------


@pytest.mark.parametrize("option", ["-o", "--output-dir"])
@pytest.mark.parametrize("check", [False, True])
def test_an_output_name_that_is_not_utf8_is_one_line(pseudolog_bin, key_file, tmp_path, option, check):
    (tmp_path / "in.log").write_bytes(line(1))
    name = os.fsdecode(b"out\xff.log")
    extra = ["--check"] if check else []
    proc = run_follow(pseudolog_bin, *follow_args(key_file, tmp_path, option, name, *extra), "in.log", cwd=tmp_path)
    assert_one_line_error(proc, "out\\xff.log: its name is not UTF-8")
    assert proc.returncode == 2
    assert os.listdir(tmp_path) == ["in.log"] or sorted(os.listdir(tmp_path)) == ["in.log", "pseudolog.key"]


def test_a_config_file_that_is_not_utf8_is_one_line(pseudolog_bin, key_file, tmp_path):
    (tmp_path / "bad.toml").write_bytes(b'state-dir = "st"\ninputs = ["in.log"]\nformat = "\xff"\n')
    proc = run_follow(pseudolog_bin, "--key-file", str(key_file), "--config", "bad.toml", "--check", cwd=tmp_path)
    assert_one_line_error(proc, "config file bad.toml is not UTF-8 text")
    assert proc.returncode == 2


@pytest.mark.parametrize("check", [False, True])
def test_check_refuses_a_journal_dir_that_is_not_a_directory_as_a_start_does(pseudolog_bin, key_file, tmp_path, check):
    extra = ["--check"] if check else []
    args = follow_args(key_file, tmp_path, "-o", "o.log", "--journal", "--journal-dir", "/nonexistent-journal")
    proc = run_follow(pseudolog_bin, *args, *extra, cwd=tmp_path)
    assert_one_line_error(proc, "--journal-dir /nonexistent-journal is not a directory")
    assert proc.returncode == 2


def test_the_check_listing_names_files_without_their_identifiers(pseudolog_bin, key_file, tmp_path):
    """Per-host logs are named by address (rsyslog's %fromhost-ip%): `--check` is a status listing, and a status
    line never shows a raw identifier."""
    (tmp_path / "203.0.113.7.log").write_bytes(line(1))
    args = follow_args(key_file, tmp_path, "-o", "out-00491701234567.log", "--check")
    proc = run_follow(pseudolog_bin, *args, "203.0.113.7.log", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listing = proc.stdout.decode()
    assert "input: " in listing and "[ip].log" in listing and "out-[phone].log" in listing
    assert "203.0.113.7" not in listing and "1701234567" not in listing
