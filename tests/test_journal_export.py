"""The journal export format reader and the entry layouts, without journalctl: any split of the stream
gives the same entries, binary fields included (a newline, a blank line or "=" inside)."""

from __future__ import annotations

import os
import shutil
import struct

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudolog.follow.journal import ExportParser, escape_control, journalctl_args, machine_id, to_json, to_line

NAMES = st.sampled_from([b"MESSAGE", b"_PID", b"SYSLOG_IDENTIFIER", b"CALLER", b"_HOSTNAME", b"X"])
VALUES = st.binary(max_size=40)


def encode(entries: list[list[tuple[bytes, bytes]]]) -> bytes:
    out = []
    for entry in entries:
        for name, value in entry:
            if b"\n" in value or not value.isascii():
                out.append(name + b"\n" + struct.pack("<Q", len(value)) + value + b"\n")
            else:
                out.append(name + b"=" + value + b"\n")
        out.append(b"\n")
    return b"".join(out)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.tuples(NAMES, VALUES), min_size=1, max_size=6), max_size=6),
    st.lists(st.integers(min_value=1, max_value=50), max_size=20),
)
def test_any_split_of_the_stream_reads_the_same_entries(entries, cuts):
    data = encode(entries)
    parser, got, pos = ExportParser(), [], 0
    for cut in cuts:
        got += parser.feed(data[pos : pos + cut])
        pos += cut
    got += parser.feed(data[pos:]) + parser.finish()
    assert got == entries


@pytest.mark.parametrize(
    "data",
    [b"MESSAGE\n\x05\x00\x00\x00\x00\x00\x00\x00abc", b"MESSAGE\n\x01\x00\x00\x00\x00\x00\x00\x00ab\n\n", b"NAME"],
)
def test_broken_export_data_is_an_error_not_an_entry(data):
    parser = ExportParser()
    with pytest.raises(ValueError):
        parser.feed(data)
        parser.finish()


def test_line_layout_is_rsyslogs_with_the_entry_time_in_utc():
    entry = [
        (b"__REALTIME_TIMESTAMP", b"1795256132000042"),
        (b"_HOSTNAME", b"sip1"),
        (b"SYSLOG_IDENTIFIER", b"kamailio"),
        (b"_PID", b"29264"),
        (b"MESSAGE", b"first\nsecond\ttab"),
    ]
    assert to_line(entry) == b"2026-11-21T10:15:32.000042+00:00 sip1 kamailio[29264]: first#012second#011tab\n"
    # no identifier: _COMM; no host: localhost; no pid: no brackets
    bare = [(b"__REALTIME_TIMESTAMP", b"1795256132000000"), (b"_COMM", b"coturn"), (b"MESSAGE", b"x")]
    assert to_line(bare) == b"2026-11-21T10:15:32.000000+00:00 localhost coturn: x\n"


def test_json_layout_keeps_every_field_and_lists_repeated_ones():
    entry = [(b"MESSAGE", b"a"), (b"TAG", b"1"), (b"TAG", b"2"), (b"RAW", b"\xff+4930123")]
    assert orjson.loads(to_json(entry)) == {"MESSAGE": "a", "TAG": ["1", "2"], "RAW": "\ufffd+4930123"}


def test_escape_control_matches_rsyslog():
    assert escape_control(b"a\nb\rc\x00\x7f\xc3\xa4") == b"a#012b#015c#000#177\xc3\xa4"


@pytest.mark.skipif(not os.path.exists("/etc/machine-id"), reason="no /etc/machine-id on this machine")
def test_the_system_journal_is_this_machines_in_every_selection():
    """--merge (a reboot must not hide entries) with this machine's id ANDed into each "+" group."""
    if shutil.which("journalctl") is None:
        pytest.skip("journalctl missing (Debian package systemd)")
    me = f"_MACHINE_ID={machine_id()}"
    args = journalctl_args(["kamailio"], ["coturn"], None, None)
    assert "--merge" in args
    assert args[args.index("--no-pager") + 1 :] == [
        me,
        "_SYSTEMD_UNIT=kamailio.service",
        "+",
        me,
        "SYSLOG_IDENTIFIER=coturn",
    ]
    assert journalctl_args([], [], None, None)[-1] == me
    assert not any(a.startswith("_MACHINE_ID") for a in journalctl_args(["x"], [], "/srv/journal", None))
