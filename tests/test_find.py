"""`pseudolog find` end to end: the installed script over what `run` and `follow --output-dir` wrote.

The raw log spans three daily windows; each raw line says which values it holds. `find`, given a value
in any of its written forms, must print exactly the pseudonymised lines of the raw lines that hold it.
"""

from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path

import orjson
import pytest

from tests.test_cli_e2e import run

PHONE, IP4, IP6 = "phone", "ip4", "ip6"
# (raw line, values it holds): three windows, several formats, decoys that share digits with the values.
RAW: list[tuple[str, frozenset[str]]] = [
    (
        '192.0.2.1 - - [20/Nov/2026:10:15:32 +0000] "GET /api/v1/calls?to=%2B49301234567 HTTP/1.1" 200 512 "-" '
        '"curl/8.4.0"',
        frozenset({IP4, PHONE}),
    ),
    (
        '198.51.100.7 - - [20/Nov/2026:11:00:00 +0000] "GET /api/v1/calls?to=%2B441234567890 HTTP/1.1" 200 512 '
        '"-" "curl/8.4.0"',
        frozenset(),
    ),
    ("2026-11-20T12:00:00Z INVITE from <sip:+49301234567@example.net> to <sip:+4930999999@example.net>", {PHONE}),
    ("2026-11-20T13:00:00Z login from 192.0.2.10 ok", frozenset()),
    ("2026-11-21T09:00:00Z acc: caller=030 1234567 callee=0301234568", {PHONE}),
    (
        '198.51.100.7 - - [21/Nov/2026:10:15:32 +0000] "GET /api/v1/calls?to=030%201234567 HTTP/1.1" 200 512 "-" '
        '"curl/8.4.0"',
        {PHONE},
    ),
    ("2026-11-21T11:00:00Z client [2001:db8::1]:5060 registered", {IP6}),
    ("2026-11-21T12:00:00Z client [2001:db8::10]:5060 registered", frozenset()),
    ('192.0.2.1 - - [22/Nov/2026:07:00:00 +0000] "GET /x HTTP/1.1" 200 512 "-" "curl/8.4.0"', {IP4}),
    ("2026-11-22T08:00:00Z from=+49301234568 to=+4930123456", frozenset()),
    ("2026-11-22T09:00:00Z ::ffff:192.0.2.1 connected", {IP4}),
    ("2026-11-22T10:00:00Z peer 192.0.2.100 ok", frozenset()),
]
RAW = [(line, frozenset(values)) for line, values in RAW]
FORMS = {
    PHONE: ["+49 30 1234567", "030 1234567", "tel:+49301234567", "%2B49301234567", "0049 30 1234567"],
    IP4: ["192.0.2.1", "::ffff:192.0.2.1"],
    IP6: ["2001:DB8:0:0:0:0:0:1", "[2001:db8::1]"],
}
KIND = {PHONE: "phone", IP4: "ip", IP6: "ip"}
SECRETS = [b"1234567", b"192.0.2.1", b"2001:db8::1", b"2001:DB8"]


def day(i: int) -> int:
    """The day of November a raw line is stamped with (its window)."""
    line = RAW[i][0]
    return int(line[line.index("/Nov") - 2 : line.index("/Nov")] if "/Nov" in line else line[8:10])


def raw_bytes() -> bytes:
    return "".join(line + "\n" for line, _ in RAW).encode()


def expected(values: set[str]) -> list[int]:
    return [i for i, (_, holds) in enumerate(RAW) if holds & values]


def no_secret(proc: subprocess.CompletedProcess) -> None:
    for secret in SECRETS:
        assert secret not in proc.stdout and secret not in proc.stderr
    assert b"Traceback" not in proc.stderr


@pytest.fixture
def written(pseudolog_bin: str, key_file: Path, tmp_path: Path):
    """What `run` wrote for RAW, with the given style options: (path, its lines)."""

    def write(*style: str) -> tuple[Path, list[bytes]]:
        out = tmp_path / ("p" + "".join(style).replace("-", "_") + ".log")
        proc = run(pseudolog_bin, "run", "--key-file", str(key_file), *style, "-o", str(out), stdin=raw_bytes())
        assert proc.returncode == 0, proc.stderr
        lines = out.read_bytes().splitlines()
        assert len(lines) == len(RAW)
        return out, lines

    return write


def find(bin_: str, key_file: Path, *args: str) -> subprocess.CompletedProcess:
    proc = run(bin_, "find", "--key-file", str(key_file), *args)
    no_secret(proc)
    return proc


@pytest.mark.parametrize(("value", "form"), [(v, f) for v, forms in FORMS.items() for f in forms])
def test_every_written_form_finds_exactly_the_lines_run_wrote_for_it(pseudolog_bin, key_file, written, value, form):
    """Three windows of `run` output: one value in any written form, its lines and no others."""
    path, lines = written()
    proc = find(pseudolog_bin, key_file, KIND[value], form, str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [lines[i] for i in expected({value})]
    assert proc.stderr == b""


@pytest.mark.parametrize(
    "style",
    [("--keep", "phone-country"), ("--ip-style", "prefix"), ("--ip-style", "prefix", "--keep", "phone-country")],
)
def test_kept_prefixes_and_prefix_preserving_ips(pseudolog_bin, key_file, written, style):
    """With the style `run` used, the tokens are derived the same way; with --ip-style prefix a token is an
    address, and an address sharing its leading digits (192.0.2.10, .100) is not a hit."""
    path, lines = written(*style)
    args = ["phone", "030 1234567", "ip", "192.0.2.1", "ip", "2001:db8::1"]
    proc = find(pseudolog_bin, key_file, *style, *args, str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [lines[i] for i in expected({PHONE, IP4, IP6})]
    # Without the style, the styled kinds' tokens differ: fewer lines are found.
    plain = find(pseudolog_bin, key_file, *args, str(path)).stdout.splitlines()
    assert set(plain) < set(proc.stdout.splitlines())


def test_several_inputs_are_named_like_grep(pseudolog_bin, key_file, written, tmp_path):
    path, lines = written()
    copy = tmp_path / "copy.log"
    copy.write_bytes(path.read_bytes())
    proc = find(pseudolog_bin, key_file, "ip", "192.0.2.1", str(path), str(copy))
    want = [f"{p}:{i + 1}:".encode() + lines[i] for p in (path, copy) for i in expected({IP4})]
    assert proc.stdout.splitlines() == want


def test_count_and_json_name_windows_and_kinds_never_values(pseudolog_bin, key_file, written):
    path, _ = written()
    args = ("phone", "+49 30 1234567", "ip", "192.0.2.1", str(path))
    count = find(pseudolog_bin, key_file, "--count", *args)
    assert count.returncode == 0
    assert count.stdout.decode().splitlines() == [
        "2026-11-20T00:00:00Z ip 1",
        "2026-11-20T00:00:00Z phone 2",
        "2026-11-21T00:00:00Z phone 2",
        "2026-11-22T00:00:00Z ip 2",
    ]
    hits = [orjson.loads(x) for x in find(pseudolog_bin, key_file, "--json", *args).stdout.splitlines()]
    assert hits[:2] == [
        {"file": str(path), "line": 1, "window": "2026-11-20T00:00:00Z", "kind": "phone", "value": 1},
        {"file": str(path), "line": 1, "window": "2026-11-20T00:00:00Z", "kind": "ip", "value": 2},
    ] or hits[:2] == [
        {"file": str(path), "line": 1, "window": "2026-11-20T00:00:00Z", "kind": "ip", "value": 2},
        {"file": str(path), "line": 1, "window": "2026-11-20T00:00:00Z", "kind": "phone", "value": 1},
    ]
    assert sorted((h["line"], h["kind"]) for h in hits) == sorted(
        [(i + 1, "phone") for i in expected({PHONE})] + [(i + 1, "ip") for i in expected({IP4})]
    )
    counted = find(pseudolog_bin, key_file, "--count", "--json", *args).stdout.splitlines()
    assert orjson.loads(counted[0]) == {"window": "2026-11-20T00:00:00Z", "kind": "ip", "lines": 1}


def test_from_and_to_limit_the_windows(pseudolog_bin, key_file, written):
    path, lines = written()
    proc = find(
        pseudolog_bin,
        key_file,
        "--from",
        "2026-11-21",
        "--to",
        "2026-11-21T23:59:59Z",
        "phone",
        "030 1234567",
        str(path),
    )
    assert proc.stdout.splitlines() == [lines[i] for i in expected({PHONE}) if day(i) == 21]


def test_nothing_found_exits_1_like_grep(pseudolog_bin, key_file, written):
    path, _ = written()
    proc = find(pseudolog_bin, key_file, "phone", "+49 30 7654321", str(path))
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, b"", b"")


def test_follow_output_dir_window_files(pseudolog_bin, key_file, written, tmp_path):
    """The window files of `follow --output-dir`: each is searched for its own window's tokens, hits are
    named FILE:LINE:, and with --from/--to files outside are never opened (a damaged one included)."""
    out = tmp_path / "out"
    proc = run(
        pseudolog_bin,
        "follow",
        "--key-file",
        str(key_file),
        "--state-dir",
        str(tmp_path / "st"),
        "--output-dir",
        str(out),
        "-",
        stdin=raw_bytes(),
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(out)) == ["2026-11-20.log", "2026-11-21.log", "2026-11-22.log"]
    _, lines = written()
    for value in FORMS:
        form = FORMS[value][-1]
        hits = find(pseudolog_bin, key_file, KIND[value], form, str(out))
        assert hits.returncode == 0, hits.stderr
        got = []
        for row in hits.stdout.splitlines():
            name, number, text = row.split(b":", 2)
            assert Path(name.decode()).read_bytes().splitlines()[int(number) - 1] == text
            got.append(text)
        assert got == [lines[i] for i in expected({value})]
    (out / "2026-11-20.log.gz").write_bytes(b"\x1f\x8bdamaged")
    proc = find(pseudolog_bin, key_file, "--from", "2026-11-21", "--to", "2026-11-22", "ip", "192.0.2.1", str(out))
    assert proc.returncode == 0, proc.stderr
    assert [r.split(b":", 2)[2] for r in proc.stdout.splitlines()] == [lines[i] for i in expected({IP4})[1:]]
    proc = find(pseudolog_bin, key_file, "ip", "192.0.2.1", str(out))
    assert proc.returncode == 3 and b"2026-11-20.log.gz" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1


def test_pruned_keyring_window_is_skipped_and_reported(pseudolog_bin, tmp_path):
    """Crypto-shredding doing its job: a window whose key was pruned cannot be searched; find says which
    and exits 5, and still prints the lines of the windows it could search."""
    ring = tmp_path / "ring"
    rotated = run(
        pseudolog_bin, "keys", "rotate", "--keyring", str(ring), "--now", "2026-11-20T00:00:00Z", "--ahead", "2d"
    )
    assert rotated.returncode == 0, rotated.stderr
    path = tmp_path / "p.log"
    proc = run(pseudolog_bin, "run", "--keyring", str(ring), "-o", str(path), stdin=raw_bytes())
    assert proc.returncode == 0, proc.stderr
    lines = path.read_bytes().splitlines()
    pruned = run(
        pseudolog_bin, "keys", "prune", "--keyring", str(ring), "--retention", "1d", "--now", "2026-11-22T00:00:00Z"
    )
    assert b"deleted 1" in pruned.stderr
    proc = run(pseudolog_bin, "find", "--keyring", str(ring), "phone", "+49 30 1234567", str(path))
    no_secret(proc)
    assert proc.returncode == 5
    assert proc.stdout.splitlines() == [lines[i] for i in expected({PHONE}) if day(i) != 20]
    err = proc.stderr.decode()
    assert len(err.splitlines()) == 1 and "2026-11-20T00:00:00Z" in err and "pruned" in err
    assert "find: 1 window(s) not searched" in err  # the neighbours searched just in case are not named


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_compressed_inputs(pseudolog_bin, key_file, written, tmp_path, suffix):
    path, lines = written()
    packed = tmp_path / ("p.log" + suffix)
    if suffix == ".gz":
        packed.write_bytes(gzip.compress(path.read_bytes()))
    else:
        zstandard = pytest.importorskip("zstandard")
        packed.write_bytes(zstandard.ZstdCompressor().compress(path.read_bytes()))
    proc = find(pseudolog_bin, key_file, "phone", "tel:+49301234567", str(packed))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [lines[i] for i in expected({PHONE})]


def test_large_input_in_chunks_keeps_line_numbers(pseudolog_bin, key_file, written, tmp_path):
    """Hits in a file of several MiB: read in large chunks, partial lines carried, numbers exact."""
    path, lines = written()
    filler = b"2026-11-21T10:00:00Z GET /static/app.js IP-ghjkmnpqrstvwxyz 200 " + b"x" * 150 + b"\n"
    big = tmp_path / "big.log"
    want = []
    with big.open("wb") as f:
        number = 0
        for block in range(12):
            for _ in range(1000 + block * 7):
                f.write(filler)
                number += 1
            f.write(lines[4] + b"\n")  # a phone hit in window 2026-11-21
            number += 1
            want.append(f"{number}:".encode() + lines[4])
        f.write(lines[5])  # the last line, without a newline
        want.append(f"{number + 1}:".encode() + lines[5])
    assert big.stat().st_size > 2 << 20
    proc = find(pseudolog_bin, key_file, "phone", "030 1234567", str(big), str(path))
    assert proc.returncode == 0, proc.stderr
    got = [row.split(b":", 1)[1] for row in proc.stdout.splitlines() if row.startswith(str(big).encode())]
    assert got == want


@pytest.mark.parametrize(
    ("args", "needle", "code"),
    [
        (("phone", "not a number", "F"), "value 1 is not a valid phone", 2),
        (("ip", "192.0.2.1", "ip", "999.1.1.1", "F"), "value 2 is not a valid ip", 2),
        (("F",), "give at least one KIND VALUE", 2),
        (("ip", "192.0.2.1", "/nonexistent/x.log"), "cannot read input /nonexistent/x.log", 3),
        (("--from", "yesterday-ish", "ip", "192.0.2.1", "F"), "--from", 2),
        (("--from", "2026-11-22", "--to", "2026-11-20", "ip", "192.0.2.1", "F"), "--from is after --to", 2),
    ],
)
def test_errors_are_one_line_without_the_value(pseudolog_bin, key_file, written, args, needle, code):
    path, _ = written()
    proc = find(pseudolog_bin, key_file, *(str(path) if a == "F" else a for a in args))
    assert proc.returncode == code
    err = proc.stderr.decode()
    assert len(err.splitlines()) == 1 and err.startswith("pseudolog: error: ") and needle in err
    assert b"not a number" not in proc.stderr and b"999.1.1.1" not in proc.stderr


def test_needs_the_real_key(pseudolog_bin, written):
    path, _ = written()
    proc = run(pseudolog_bin, "find", "ip", "192.0.2.1", str(path))
    assert proc.returncode == 2 and b"needs the key" in proc.stderr


def test_undated_lines_need_from_and_to(pseudolog_bin, key_file, tmp_path):
    src = tmp_path / "raw.log"
    src.write_bytes(b"no time here, caller=+49301234567\n")
    out = tmp_path / "p.log"
    run(pseudolog_bin, "run", "--key-file", str(key_file), "--now", "2026-11-21T10:00:00Z", "-o", str(out), str(src))
    proc = find(pseudolog_bin, key_file, "phone", "+49301234567", str(out))
    assert proc.returncode == 2 and b"--from and --to" in proc.stderr
    proc = find(
        pseudolog_bin, key_file, "--from", "2026-11-20", "--to", "2026-11-22", "phone", "+49301234567", str(out)
    )
    assert proc.returncode == 0 and proc.stdout == out.read_bytes()


def test_standard_input(pseudolog_bin, key_file, written):
    path, lines = written()
    proc = run(pseudolog_bin, "find", "--key-file", str(key_file), "ip", "2001:db8::1", stdin=path.read_bytes())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [lines[i] for i in expected({IP6})]


def test_values_from_a_file_stay_out_of_the_process_list(pseudolog_bin, key_file, written, tmp_path):
    path, lines = written()
    values = tmp_path / "request.txt"
    values.write_text("# subject-access request 2026-117\nphone +49 30 1234567\n\nip 2001:db8::1\n")
    proc = find(pseudolog_bin, key_file, "--values", str(values), str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [lines[i] for i in expected({PHONE, IP6})]
    values.write_text("phone\n")
    proc = find(pseudolog_bin, key_file, "--values", str(values), str(path))
    assert proc.returncode == 2 and b"line 1 of" in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_window_files_of_another_window_length_are_refused(pseudolog_bin, key_file, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "2026-11-22.log").write_bytes(b"x\n")  # day 20779 since 1970: odd, no 2-day window starts there
    for window in ("1h", "2d"):
        proc = find(pseudolog_bin, key_file, "--window", window, "ip", "192.0.2.1", str(out))
        assert proc.returncode == 2 and b"another window length" in proc.stderr, proc.stderr


def test_a_pipe_is_read_once_compressed_or_not(pseudolog_bin, key_file, written):
    """`<(zcat ...)`-style inputs: told gzip from plain by peeking, never by seeking back."""
    path, lines = written()
    script = f'"{pseudolog_bin}" find --key-file "{key_file}" ip 192.0.2.1 <(gzip -c "{path}") <(cat "{path}")'
    proc = subprocess.run(["bash", "-c", script], capture_output=True, timeout=60)
    no_secret(proc)
    assert proc.returncode == 0, proc.stderr
    assert [row.split(b":", 2)[2] for row in proc.stdout.splitlines()] == [lines[i] for i in expected({IP4})] * 2


def test_from_and_to_search_every_window_for_every_line(pseudolog_bin, key_file, tmp_path):
    """A line without a time got the window of run's --now: --from/--to that cover it find it, even in a
    block whose other lines are dated days earlier."""
    src = tmp_path / "raw.log"
    src.write_bytes(b"2026-11-21T10:00:00Z call ok\nno time here, caller=+49301234567\n2026-11-21T10:00:05Z bye\n")
    out = tmp_path / "p.log"
    run(pseudolog_bin, "run", "--key-file", str(key_file), "--now", "2026-11-25T10:00:00Z", "-o", str(out), str(src))
    wanted = out.read_bytes().splitlines()[1]
    proc = find(
        pseudolog_bin, key_file, "--from", "2026-11-20", "--to", "2026-11-26", "phone", "+4930 1234567", str(out)
    )
    assert (proc.returncode, proc.stdout) == (0, wanted + b"\n")
    # From the lines' own times alone, only 2026-11-21 (and its neighbours) is searched.
    assert find(pseudolog_bin, key_file, "phone", "+4930 1234567", str(out)).returncode == 1
