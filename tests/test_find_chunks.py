"""find's chunking: reads of any size, partial lines carried, give the lines and numbers of a whole-file search."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from pseudolog._core import TokenSearcher

from pseudolog.find import clean_value, complete_lines, split_arguments

TOKENS = [b"IP-ghjkmnpqrstvwxyz", b"PHONE+49-zyxwvtsrqpnmkjhg", b"203.0.113.1"]
IPV4 = re.compile(rb"(?<![0-9.])203\.0\.113\.1(?![0-9]|\.[0-9])")
PIECES = [*TOKENS, b"\n", b" ", b"x", b"203.0.113.10", b"\r\n", b"IP-ghjk", b"7", b"."]


def hits_in_chunks(data: bytes, sizes: list[int]) -> list[tuple[int, bytes, list[int]]]:
    searcher = TokenSearcher(TOKENS, bytes([0, 0, 1]))
    reads, at = [], 0
    for size in sizes:
        reads.append(data[at : at + size])
        at += size
    reads.append(data[at:])
    out, base = [], 0
    for block in complete_lines(r for r in reads if r):
        newlines, lines = searcher.search(block)
        out += [(base + no + 1, block[start:end], pats) for no, start, end, pats in lines]
        base += newlines
    return out


def naive(data: bytes) -> list[tuple[int, bytes, list[int]]]:
    out = []
    for no, line in enumerate(data.split(b"\n"), start=1):
        found = [i for i, t in enumerate(TOKENS[:2]) if t in line]
        if IPV4.search(line):  # the IPv4 detector's own boundary
            found.append(2)
        if found:
            out.append((no, line, found))
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60), st.lists(st.integers(1, 40), max_size=20))
def test_any_read_sizes_give_the_whole_file_answer(pieces, sizes):
    data = b"".join(pieces)
    assert hits_in_chunks(data, sizes) == naive(data)


def test_arguments_and_written_forms():
    assert split_arguments(["phone", "+49 30 1", "IP", "192.0.2.1", "a.log", "b.log"]) == (
        [("phone", "+49 30 1"), ("ip", "192.0.2.1")],
        ["a.log", "b.log"],
    )
    assert clean_value("phone", "tel:+49-30-1234567;phone-context=x") == "+49-30-1234567"
    assert clean_value("phone", "sip:%2B49301234567@gw.example") == "+49301234567"
    assert clean_value("ip", "[2001:db8::1]") == "[2001:db8::1]"
