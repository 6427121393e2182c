"""A CDR record that does not fit its format's columns (cut short by a crash or a full disk, a stray quote, a
column too many) is scanned as free text, where a bare national number in `src` or `dst` is no phone number. Its
long digit runs are masked instead (session 42's audit, B3: they passed raw)."""

from __future__ import annotations

import pytest

from tests.test_native_leak_shapes import native_lines

RECORD = (
    '"","0301234567","030555123","from-internal","""Alice"" <0301234567>","PJSIP/0301234567-0000001a",'
    '"PJSIP/trunk-0000001b","Dial","PJSIP/030555123@trunk,30,tT","2026-11-21 10:15:32","2026-11-21 10:15:36",'
    '"2026-11-21 10:16:18",46,42,"ANSWERED","DOCUMENTATION","1795256132.26","","","1795256132.26",31'
)


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(RECORD[:40], id="cut-short"),
        pytest.param(RECORD + ',"x"', id="a-column-too-many"),
        pytest.param('"","0301234567,"030555123","from-internal","x"', id="a-stray-quote"),
    ],
)
def test_an_unfitted_record_leaks_no_number(line):
    (fitted, out) = native_lines([RECORD.encode(), line.encode()], format="asterisk_cdr")
    assert b"0301234567" not in fitted and b"030555123" not in fitted
    assert b"0301234567" not in out and b"030555123" not in out, out
    assert b"MASKED" in out


def test_dates_times_and_short_numbers_of_an_unfitted_record_stay():
    (out,) = native_lines([(RECORD + ',"x"').encode()], format="asterisk_cdr")
    assert b'"2026-11-21 10:15:32"' in out and b",46,42," in out and b'"ANSWERED"' in out


def test_other_formats_leave_an_unfitted_line_as_free_text():
    line = b"some line 0301234567 that fits no pattern"
    assert native_lines([line], format="nginx_combined") == [line]
