"""The pure processor chain: formats, time, windows, retention, fail-closed behaviour, byte fidelity."""

import re

import pytest

from pseudolog.timeparse import parse_user_time
from tests.conftest import NOW, process_with_times

DAY = 86400

# Realistic lines per built-in format, each with identifiers that must not survive.
CONFORMANCE = [
    (
        "nginx_combined",
        b'203.0.113.7 - - [21/Nov/2026:10:15:32 +0100] "GET /call?to=%2B4930123456&from=0301234567 HTTP/1.1" '
        b'200 512 "https://portal.example.com/?ip=198.51.100.4" "Mozilla/5.0 (X11) Chrome/120.0.0.0 Safari/537.36"',
        [b"203.0.113.7", b"4930123456", b"0301234567", b"198.51.100.4"],
        parse_user_time("2026-11-21T09:15:32Z"),
    ),
    (
        "nginx_main",
        b'10.0.0.5 - - [21/Nov/2026:10:15:32 +0000] "GET /prov/001565abcdef.cfg HTTP/1.1" 200 1024 "-" '
        b'"Yealink SIP-T46S 66.86.0.15" "198.51.100.23, 2001:db8::9"',
        [b"10.0.0.5", b"001565abcdef", b"198.51.100.23", b"2001:db8::9"],
        parse_user_time("2026-11-21T10:15:32Z"),
    ),
    (
        "apache_common",
        b'2001:db8::7 - frank [21/Nov/2026:10:15:32 +0000] "GET /u/00:15:65:ab:cd:ef HTTP/1.0" 200 2326',
        [b"2001:db8::7", b"00:15:65:ab:cd:ef"],
        parse_user_time("2026-11-21T10:15:32Z"),
    ),
    (
        "apache_vhost_combined",
        b'pbx.example.com:443 198.51.100.9 - - [21/Nov/2026:10:15:32 +0000] "GET /SEP001565ABCDEF.cnf.xml '
        b'HTTP/1.1" 200 5120 "-" "Cisco/SPA504G-7.6.2 imei=490154203237518"',
        [b"198.51.100.9", b"001565ABCDEF", b"490154203237518"],
        parse_user_time("2026-11-21T10:15:32Z"),
    ),
    (
        "haproxy_http",
        b"Nov 21 10:15:32 lb1 haproxy[760]: 2001:db8::1234:58430 [21/Nov/2026:10:15:32.439] https~ api/a1 "
        b'0/0/1/12/13 200 512 - - ---- 3/3/0/0/0 0/0 "GET /v1/numbers/+4930123456 HTTP/1.1"',
        [b"2001:db8::1234", b"4930123456"],
        parse_user_time("2026-11-21T10:15:32.439Z"),
    ),
    (
        "haproxy_tcp",
        b"Nov 21 10:15:32 lb1 haproxy[760]: 192.0.2.200:5060 [21/Nov/2026:10:15:32.001] sip-tcp sip/kam1 "
        b"1/0/5007 212 -- 1/1/1/1/0 0/0",
        [b"192.0.2.200"],
        parse_user_time("2026-11-21T10:15:32.001Z"),
    ),
    (
        "squid_native",
        b"1795256132.450    227 192.0.2.61 TCP_MISS/200 1050 GET http://prov.example.net/0015651a2b3c.cfg "
        b"- HIER_DIRECT/198.51.100.80 text/plain",
        [b"192.0.2.61", b"0015651a2b3c", b"198.51.100.80"],
        parse_user_time("2026-11-21T10:15:32.45Z"),
    ),
]


@pytest.mark.parametrize(("name", "line", "identifiers", "time"), CONFORMANCE, ids=[c[0] for c in CONFORMANCE])
def test_conformance(engine_factory, name, line, identifiers, time):
    """Each format: detected by auto, no identifier left, structure intact, timestamp parsed."""
    engine = engine_factory()
    out, record_times = process_with_times(engine, line + b"\n", NOW)
    # nginx's and Apache's "combined" are the same bytes: either name is right for such a line.
    same = {"nginx_combined", "apache_combined"}
    assert list(engine.formats) == [name] or {name, *engine.formats} <= same
    for ident in identifiers:
        assert ident not in out
    assert out.endswith(b"\n")
    fmt = next(c for c in engine.format_step.candidates if c.name == name)
    assert fmt.parse(out[:-1]) is not None  # still a valid line of its format
    assert record_times == [pytest.approx(time)]


def test_auto_detection_locks_and_restarts_per_input(engine_factory):
    engine = engine_factory()
    nginx = CONFORMANCE[0][1] + b"\n"
    for _ in range(3):
        engine.process(nginx, NOW)
    assert engine.format_step.detected in ("nginx_combined", "apache_combined")
    engine.start_input()
    assert engine.format_step.detected is None


def test_line_not_fitting_its_format_is_scanned_as_text(engine_factory):
    engine = engine_factory(format="nginx_combined")
    out = engine.process(b"garbage 192.0.2.1 +4930123456 [21/Nov/2026:10:00:00 +0000]\n", NOW)
    assert b"192.0.2.1" not in out and b"4930123456" not in out
    assert engine.formats == {"text": 1}


def _ip_token(out: bytes) -> bytes:
    return re.search(rb"IP-[g-z]{16}", out).group()


def test_window_follows_the_lines_own_time(engine_factory):
    engine = engine_factory(format="text")
    a = engine.process(b"2026-11-20T23:59:59Z 192.0.2.1\n", NOW)
    b = engine.process(b"2026-11-21T00:00:00Z 192.0.2.1\n", NOW)
    c = engine.process(b"2026-11-21T23:00:00Z 192.0.2.1\n", NOW)
    assert _ip_token(a) != _ip_token(b) == _ip_token(c)


def test_undated_lines_use_now(engine_factory):
    engine = engine_factory(format="text")
    assert _ip_token(engine.process(b"x 192.0.2.1\n", NOW)) == _ip_token(
        engine.process(b"2026-11-21T12:00:00Z 192.0.2.1\n", NOW)
    )
    assert _ip_token(engine.process(b"x 192.0.2.1\n", NOW)) != _ip_token(engine.process(b"x 192.0.2.1\n", NOW + DAY))


def test_static_key_ignores_time(engine_factory):
    engine = engine_factory(format="text", window=None)
    assert _ip_token(engine.process(b"2020-01-01T00:00:00Z 192.0.2.1\n", NOW)) == _ip_token(
        engine.process(b"2026-11-21T00:00:00Z 192.0.2.1\n", NOW)
    )


@pytest.mark.parametrize(
    ("age", "kept"),
    [(7 * DAY + 1, False), (7 * DAY, True), (7 * DAY - 1, True), (0, True), (-3600, True)],
)
def test_retention_keeps_exactly_the_window(engine_factory, age, kept):
    import time as _t

    engine = engine_factory(format="text", retention=7 * DAY)
    stamp = _t.strftime("%Y-%m-%dT%H:%M:%SZ", _t.gmtime(NOW - age)).encode()
    out = engine.process(stamp + b" 192.0.2.1\n", NOW)
    assert (out is not None) is kept
    assert engine.dropped.get("retention", 0) == (0 if kept else 1)


def test_retention_keeps_undated_lines(engine_factory):
    engine = engine_factory(format="text", retention=60)
    assert engine.process(b"no time here\n", NOW) == b"no time here\n"


@pytest.mark.parametrize(
    "line",
    [
        b"bytes \xff\xfe\x00 and \xc3\x28 stay 192.0.2.1 \t tab\r\n",
        b"\x00\x01\x02 192.0.2.1\n",
        b"caf\xc3\xa9 +4930123456 na\xefve\r\n",
        b"no newline at end 192.0.2.1",
    ],
)
def test_non_identifier_bytes_pass_byte_for_byte(engine_factory, line):
    engine = engine_factory(format="text")
    out = engine.process(line, NOW)
    token = re.compile(rb"(?:IP|PHONE)-[g-z]{16}")
    restored = token.sub(b"X", out)
    original = re.compile(rb"192\.0\.2\.1|\+4930123456").sub(b"X", line)
    assert restored == original


def test_internal_error_masks_the_line_and_goes_on(engine_factory, monkeypatch):
    engine = engine_factory(format="text")

    def broken(text, window):
        raise RuntimeError("detector bug")

    monkeypatch.setattr(engine.scrubber, "scrub", broken)
    out = engine.process(b"2026-11-21T10:00:00Z call from 192.0.2.1 to +4930123456\n", NOW)
    assert b"192.0.2.1" not in out and b"4930123456" not in out and b"call from" in out
    assert engine.errors == 1
    monkeypatch.undo()
    assert b"IP-" in engine.process(b"192.0.2.1\n", NOW)


def test_segments_of_long_lines_are_scanned(engine_factory):
    engine = engine_factory()
    out = engine.process_segment(b"a 192.0.2.1 b 19", NOW, ends_line=False, mask_tail=True)
    assert out == engine.process_segment(b"a 192.0.2.1 b ", NOW, ends_line=False) + b"MASKED"
    assert b"192.0.2.1" not in out
    tail = engine.process_segment(b"2.0.2.1 end\n", NOW, ends_line=True, mask_head=True)
    assert tail == b"MASKED end\n"
    assert engine.lines_in == engine.lines_out == 1
