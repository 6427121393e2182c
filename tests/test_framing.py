"""Framing: partial lines wait for their newline; long lines are segmented at safe cuts."""

from tests.reference.framing import LineFramer, Piece


def flat(pieces: list[Piece]) -> list[bytes]:
    """Whole lines one by one (blocks opened up), segments as they are."""
    return [data for p in pieces for data in ([p.data] if p.segment else p.whole_lines())]


def test_partial_line_waits_for_newline():
    framer = LineFramer(4096)
    assert framer.feed(b"abc") == []
    pieces = framer.feed(b"def\nxy")
    assert flat(pieces) == [b"abcdef\n"]
    assert flat(framer.finish()) == [b"xy"]


def test_crlf_and_empty_lines_are_lines():
    framer = LineFramer(4096)
    assert flat(framer.feed(b"a\r\n\n\nb\n")) == [b"a\r\n", b"\n", b"\n", b"b\n"]


def test_complete_lines_of_one_read_come_as_one_block():
    framer = LineFramer(4096)
    pieces = framer.feed(b"a 192.0.2.1\nb\r\nc")
    assert len(pieces) == 1 and pieces[0].lines == [b"a 192.0.2.1", b"b\r"]
    assert pieces[0].data == b"a 192.0.2.1\nb\r\n"
    assert flat(framer.finish()) == [b"c"]


def test_long_line_is_cut_at_a_safe_place_and_rejoins():
    framer = LineFramer(4096)
    line = (b"word 192.0.2.1 " * 1000) + b"\n"
    pieces = framer.feed(line[:7000]) + framer.feed(line[7000:])
    assert all(p.segment for p in pieces)
    assert b"".join(p.data for p in pieces) == line
    assert all(len(p.data) <= 4096 for p in pieces)
    assert [p.last for p in pieces].count(True) == 1 and pieces[-1].last
    assert not any(p.masked_head or p.masked_tail for p in pieces)
    for p in pieces[:-1]:  # no cut splits an address
        assert p.data.endswith(b" ")


def test_unsafe_cut_is_marked_for_masking():
    framer = LineFramer(4096)
    pieces = framer.feed(b"1" * 10000 + b"\n")
    assert pieces[0].masked_tail and pieces[1].masked_head
    assert b"".join(p.data for p in pieces) == b"1" * 10000 + b"\n"


def test_pending_stays_bounded():
    framer = LineFramer(4096)
    for _ in range(100):
        framer.feed(b"x" * 1000)
        assert framer.pending <= 4096


def test_lines_after_a_long_line_in_the_same_read_are_kept():
    """A complete over-long line followed by more lines in one read: nothing after it may be lost."""
    framer = LineFramer(4096)
    data = b"a 192.0.2.1\n" + b"word " * 3000 + b"\n" + b"b 192.0.2.2\n" + b"c\n" + b"tail"
    pieces = framer.feed(data) + framer.finish()
    assert b"".join(p.data for p in pieces) == data
    whole = flat([p for p in pieces if not p.segment])
    assert whole == [b"a 192.0.2.1\n", b"b 192.0.2.2\n", b"c\n", b"tail"]


def test_framing_does_not_depend_on_read_sizes():
    data = (b"x" * 5000 + b" 1.2.3.4\n" + b"short\n") * 3 + b"end"
    reference = None
    for size in (1, 7, 100, 4096, 5000, 10**6):
        framer = LineFramer(4096)
        pieces = []
        for i in range(0, len(data), size):
            pieces += framer.feed(data[i : i + size])
        pieces += framer.finish()
        shape = [(data, p.segment, p.last) for p in pieces for data in ([p.data] if p.segment else p.whole_lines())]
        assert b"".join(p.data for p in pieces) == data
        reference = reference or shape
        assert shape == reference
