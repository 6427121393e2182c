"""The native framer against the reference framer (tests/reference/framing.py): lines, partial tails, segments,
safe and unsafe cuts, and the context each segment carries from its line.

Expected difference: Python judged a blank at the very end of a segment window as if a blank followed it (it
only saw the window), so a cut could fall inside `+49 30 1234567`; the native framer reads the real next byte.
The reference here is Python's framer with that one change (`FixedFramer`); `test_window_end_blank` shows the
difference on the original.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference.framing import LineFramer, Piece

_core = pytest.importorskip("pseudolog._core")

CONTEXT_CARRY = 256


class FixedFramer(LineFramer):
    """LineFramer whose safe-cut search sees the byte after the window (the only change)."""

    lookahead = 1


def py_frame(chunks: list[bytes], max_line: int, framer_class=FixedFramer):
    framer = framer_class(max_line)
    pieces: list[Piece] = []
    for chunk in chunks:
        pieces += framer.feed(chunk)
    pieces += framer.finish()
    return [
        (data, p.segment, p.last, p.masked_head, p.masked_tail)
        for p in pieces
        for data in ([p.data] if p.segment else p.whole_lines())
    ]


def check(chunks: list[bytes], max_line: int) -> None:
    native = _core.frame(chunks, max_line)
    assert [n[:5] for n in native] == py_frame(chunks, max_line)
    # Each segment's context: the bytes of its line just before it, at most CONTEXT_CARRY of them.
    line = b""
    for data, segment, last, _, _, context in native:
        if segment:
            assert context == line[-CONTEXT_CARRY:] if line else context == b""
            line = b"" if last else line + data
        else:
            assert context == b""


PARTS = [b"x", b" ", b"1", b"\n", b"\r\n", b"=", b'"', b",", b"\xff\xfe", b"1.2.3.4 ", b"+49 30 1234567", b"(", b"\t"]


@given(st.lists(st.sampled_from(PARTS), max_size=200), st.integers(1, 60), st.integers(1, 80))
@settings(max_examples=1500, deadline=None)
def test_framing_agrees(parts, max_line, size):
    data = b"".join(parts)
    check([data[i : i + size] for i in range(0, len(data), size)], max_line)


@given(st.binary(max_size=3000), st.integers(1, 300), st.lists(st.integers(1, 500), min_size=1, max_size=5))
@settings(max_examples=500, deadline=None)
def test_random_bytes_and_read_sizes_agree(data, max_line, sizes):
    chunks, i, k = [], 0, 0
    while i < len(data):
        chunks.append(data[i : i + sizes[k % len(sizes)]])
        i += sizes[k % len(sizes)]
        k += 1
    check(chunks, max_line)


@pytest.mark.parametrize(
    ("data", "max_line"),
    [
        ((b"word 192.0.2.1 " * 1000) + b"\n", 4096),
        (b"1" * 10000 + b"\n", 4096),
        (b"a 192.0.2.1\n" + b"word " * 3000 + b"\n" + b"b 192.0.2.2\n" + b"c\n" + b"tail", 4096),
        ((b"x" * 5000 + b" 1.2.3.4\n" + b"short\n") * 3 + b"end", 4096),
        (b"".join(b"y" * (4096 - 7 - (i % 13)) + b" 198.51.100.23 +4930123456 " for i in range(40)), 4096),
        (b"a\r\n\n\nb\n", 4096),
    ],
    ids=["safe-cuts", "unsafe-cuts", "lines-after-long", "read-sizes", "borders", "crlf"],
)
def test_table(data, max_line):
    for size in (1, 7, 100, 4096, 5000, 10**6):
        check([data[i : i + size] for i in range(0, len(data), size)], max_line)


def test_window_end_blank():
    """The expected difference: the original cuts `+49 30 | 1234567` when the blank ends the window."""
    line = b"x" * 20 + b" +49 30 1234567\n"
    max_line = line.index(b"30 ") + 3
    original = py_frame([line], max_line, LineFramer)
    assert original[0][0].endswith(b"30 ")
    native = _core.frame([line], max_line)
    assert native[0][0] == b"x" * 20 + b" "


def _real_files():
    from pathlib import Path

    from tests.conftest import CORPORA

    skip = {"LICENSE", "COPYING", "README.txt", "README.md"}
    files = sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.name not in skip) if CORPORA.is_dir() else []
    return files + sorted((Path(__file__).resolve().parents[1] / "fuzz" / "regressions").glob("*"))


@pytest.mark.parametrize("path", _real_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_files_frame_alike(path):
    """The public corpora (skipped when absent) and the fuzz regressions, at limits that cut their long lines."""
    data = path.read_bytes()
    for max_line, size in ((64, 1000), (256, 4096), (4096, 65536)):
        check([data[i : i + size] for i in range(0, len(data), size)], max_line)


def _lines(data: bytes) -> list[bytes]:
    """The lines of a block, each with its "\n" (the last one may have none: `finish`'s partial line)."""
    *whole, rest = data.split(b"\n")
    return [line + b"\n" for line in whole] + ([rest] if rest else [])


def class_steps(framer, chunks: list[bytes]) -> list[tuple[list[tuple[bytes, bool, bool, bool, bool]], int, tuple]]:
    """Per feed (and the finish): the pieces as (data, segment, last, masked_head, masked_tail), `pending` and
    `mid_line`. A block of lines is compared line by line."""
    steps = []
    for chunk in [*chunks, None]:
        pieces = framer.feed(chunk) if chunk is not None else framer.finish()
        shape = [
            (line, p.segment, p.last, p.masked_head, p.masked_tail)
            for p in pieces
            for line in ([p.data] if p.segment else _lines(p.data))
        ]
        steps.append((shape, framer.pending, tuple(framer.mid_line)))
    return steps


@given(
    st.lists(st.sampled_from(PARTS), max_size=200),
    st.integers(1, 60),
    st.integers(1, 80),
    st.booleans(),
    st.booleans(),
)
@settings(max_examples=500, deadline=None)
def test_the_framer_class_agrees_feed_by_feed(parts, max_line, size, in_long_line, mask_head):
    """`_core.LineFramer`, what follow's sources read with: the same pieces, held bytes and mid-line state after
    every feed as the reference framer (a checkpoint's offset is the bytes read minus `pending`), also after a
    restart inside an over-long line (`resume_mid_line`)."""
    data = b"".join(parts)
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    native, reference = _core.LineFramer(max_line), FixedFramer(max_line)
    native.resume_mid_line(in_long_line, mask_head)
    reference.resume_mid_line(in_long_line, mask_head)
    assert class_steps(native, chunks) == class_steps(reference, chunks)


def test_the_framer_class_gives_segment_context_and_hides_bytes_in_its_repr():
    framer = _core.LineFramer(16)
    pieces = framer.feed(b"caller 0301234 word word word 198.51.100.23\nshort\n")
    assert [p.segment for p in pieces] == [True, True, True, False]
    assert pieces[1].context == pieces[0].data and pieces[0].context == b""
    assert b"".join(p.data for p in pieces) == b"caller 0301234 word word word 198.51.100.23\nshort\n"
    assert "198" not in repr(pieces[2]) and "0301234" not in repr(pieces[0])
    with pytest.raises(ValueError):
        _core.LineFramer(0)
