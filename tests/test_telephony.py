"""Telephony formats end to end through the engine: identifiers gone, structure intact, times parsed."""

from __future__ import annotations

import csv
import io
import re

import orjson
import pytest

from pseudolog.timeparse import parse_user_time
from tests.conftest import NOW, process_with_times

TOKEN = re.compile(rb"(?:IP|PHONE|MAC|IMEI|DEV)[-+][0-9A-Za-z+-]*?[g-z]{16}")

# (format, line, identifiers that must not survive, decoys that must, expected time or None for "now")
CONFORMANCE = [
    (
        "kamailio",
        b"Nov 21 10:15:32 sip1 /usr/sbin/kamailio[29264]: NOTICE: acc [acc.c:317]: acc_log_request(): ACC: request "
        b"accounted: timestamp=1795256132;method=INVITE;from_tag=eUC9UgGrD;call_id=2xJd0KCt-P;code=200;reason=OK;"
        b"calling=4930123456;called=0301234567;src_ip=198.51.100.7;to=<sip:+918866213320@sip.call.org>;"
        b"from=sip:918888888888@localhost;rate=0.000333333",
        [b"4930123456", b"301234567", b"198.51.100.7", b"918866213320", b"918888888888"],
        [b"1795256132", b"eUC9UgGrD", b"2xJd0KCt-P", b"0.000333333", b"acc.c:317"],
        "2026-11-21T10:15:32Z",
    ),
    (
        "kamailio",
        b"Nov 21 10:15:32 sp1 kamailio[9687]: NOTICE: <script>: New request on proxy - M=REGISTER R=sip:192.168.1.71 "
        b"F=sip:43993005@192.168.1.71 T=sip:43993005@192.168.1.71 IP=192.168.1.42:53152 (127.0.0.1:5060) "
        b"ID=8e40daa391b6e4d82b296c77eb0c6986@0.0.0.0 UA='Jitsi2.9.5521Linux'",
        [b"192.168.1.71", b"43993005", b"192.168.1.42", b"127.0.0.1"],
        [b"8e40daa391b6e4d82b296c77eb0c6986@", b":53152", b"Jitsi2.9.5521Linux"],
        "2026-11-21T10:15:32Z",
    ),
    (
        "asterisk_full",
        b'[2026-11-21 10:15:32] NOTICE[3477][C-000003bb] chan_sip.c: Call from \'"0301234567" <sip:0301234567@'
        b"192.0.2.10>' (198.51.100.4:10836) to extension '004930555123' rejected because extension not found",
        [b"0301234567", b"192.0.2.10", b"198.51.100.4", b"4930555123"],
        [b"C-000003bb", b":10836", b"chan_sip.c"],
        "2026-11-21T10:15:32Z",
    ),
    (
        "asterisk_full",
        b"[Nov 21 10:15:32] VERBOSE[1901][C-0000001a] app_dial.c: Called PJSIP/+4930123456@trunk from "
        b"PJSIP/0301234567-0000001a, dial string 9011+442037690237 Local/0309876543@from-internal-00000012;1",
        [b"4930123456", b"0301234567", b"442037690237", b"0309876543"],
        [b"-0000001a", b"9011", b"C-0000001a", b"-00000012;1"],
        "2026-11-21T10:15:32Z",
    ),
    (
        "asterisk_security",
        b'[2026-11-21 10:15:32] SECURITY[1204] res_security_log.c: SecurityEvent="InvalidAccountID",'
        b'EventTV="1795256132-500975",Severity="Error",Service="SIP",EventVersion="1",AccountID="0301234567",'
        b'SessionID="0x7f8ecc0421f8",LocalAddress="IPV4/UDP/192.0.2.10/5060",RemoteAddress="IPV4/UDP/198.51.100.4/5070"',
        [b"0301234567", b"192.0.2.10", b"198.51.100.4"],
        [b"1795256132-500975", b"0x7f8ecc0421f8", b"/5060", b"/5070"],
        "2026-11-21T10:15:32Z",
    ),
    (
        "freeswitch",
        b"095faf46-116f-11ed-9624-a79ea9c0433f 2026-11-21 10:15:32.455102 98.90% [INFO] sofia.c:10462 "
        b"sofia/internal/0301234567@198.51.100.84:5060 receiving invite from 198.51.100.84:15119 version: "
        b"1.10.7-release 64bit call-id: kx115e1zm6pg95u8azwn",
        [b"0301234567", b"198.51.100.84"],
        [b"095faf46-116f-11ed-9624-a79ea9c0433f", b"kx115e1zm6pg95u8azwn", b"1.10.7-release", b"98.90%"],
        "2026-11-21T10:15:32.455102Z",
    ),
    (
        "freeswitch",
        b"2026-11-21 10:15:32.767815 [WARNING] sofia_reg.c:1478 SIP auth failure (INVITE) on sofia profile "
        b"'internal' for [000972543480510@192.168.2.51] from ip 5.11.47.236",
        [b"972543480510", b"192.168.2.51", b"5.11.47.236"],
        [b"sofia_reg.c:1478"],
        "2026-11-21T10:15:32.767815Z",
    ),
    (
        "coturn",
        b"384: session 002000000000000017: realm <turn.example.com> user <1795256132:4915112345678> "
        b"remote:<18.197.248.40:46019>: incoming packet ALLOCATE processed, success",
        [b"4915112345678", b"18.197.248.40"],
        [b"002000000000000017", b"1795256132", b":46019", b"turn.example.com"],
        None,
    ),
    (
        "coturn",
        b"Nov 21 10:15:32 s1-2-sbg5 turnserver: 384: session 001000000000000008: peer 192.168.1.18 deleted",
        [b"192.168.1.18"],
        [b"001000000000000008", b"s1-2-sbg5"],
        "2026-11-21T10:15:32Z",
    ),
    (
        "syslog_rfc5424",
        b'<134>1 2026-11-21T10:15:32.001Z sbc1 kamailio 2929 ACC [meta sip-src="198.51.100.7"] ACC: call answered: '
        b"from=sip:+4930123456@carrier.example;to=sip:0301234567@pbx.example",
        [b"198.51.100.7", b"4930123456", b"0301234567"],
        [b"2929", b"carrier.example"],
        "2026-11-21T10:15:32.001Z",
    ),
    (
        "syslog_rfc3164",
        b'Nov 21 10:15:32 pbx1 asterisk[1838]: NOTICE[1901] chan_sip.c: Registration from \'"0301234567" '
        b"<sip:0301234567@192.0.2.10>' failed for '198.51.100.4:5060' - Wrong password",
        [b"0301234567", b"192.0.2.10", b"198.51.100.4"],
        [b"NOTICE[1901]", b"chan_sip.c", b":5060"],
        "2026-11-21T10:15:32Z",
    ),
    (
        "syslog_rfc3164",
        b'Nov 21 10:15:32 pbx1 provision[77]: REGISTER Contact: <sip:1000@192.0.2.5:5060>;+sip.instance="<urn:uuid:'
        b'00000000-0000-1000-8000-00156512abcd>";reg-id=1 From: "Bob" <sip:+4930555123@carrier.example>;tag=1 '
        b"P-Asserted-Identity: <tel:+49-30-555-124> Diversion: <sip:0301112223@pbx>;reason=unconditional "
        b"<urn:gsma:imei:35209900-176148-0> mac=00:15:65:12:ab:cd",
        [b"192.0.2.5", b"00156512abcd", b"4930555123", b"30-555-124", b"0301112223", b"35209900-176148", b"12:ab:cd"],
        [b"sip:1000@", b"reg-id=1", b"tag=1", b"reason=unconditional"],
        "2026-11-21T10:15:32Z",
    ),
]


@pytest.mark.parametrize(
    ("name", "line", "identifiers", "decoys", "time"),
    CONFORMANCE,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CONFORMANCE)],
)
def test_conformance(engine_factory, name, line, identifiers, decoys, time):
    engine = engine_factory()
    out, times = process_with_times(engine, line + b"\n", NOW)
    assert list(engine.formats) == [name]
    for ident in identifiers:
        assert ident not in out, ident
    for decoy in decoys:
        assert decoy in out, decoy
    assert times == [None if time is None else pytest.approx(parse_user_time(time))]
    assert engine.process(out, NOW) == out  # idempotent


CDR = (
    b'"acct7","0301234567","+4930555123","from-internal","""Alice"" <0301234567>","PJSIP/0301234567-0000001a",'
    b'"PJSIP/trunk-0000001b","Dial","PJSIP/+4930555123@trunk,30,tT","2026-11-21 10:15:32","2026-11-21 10:15:36",'
    b'"2026-11-21 10:16:18",46,42,"ANSWERED","DOCUMENTATION","1795256132.26","192.0.2.44","","1795256132.26",31'
)


def test_cdr_keeps_columns_quoting_and_decoys(engine_factory):
    engine = engine_factory()
    out = engine.process(CDR + b"\r\n", NOW)
    assert engine.formats == {"asterisk_cdr": 1}
    assert out.endswith(b"\r\n")
    before = next(csv.reader(io.StringIO(CDR.decode())))
    after = next(csv.reader(io.StringIO(out.decode())))
    assert len(after) == len(before) == 21
    assert out.count(b'"') == CDR.count(b'"')  # the same quoting
    for i in (1, 2, 4, 5, 8, 17):  # src, dst, clid, channel, lastdata, userfield (an address)
        assert after[i] != before[i]
        assert not re.search(r"\d{6}", after[i].replace("0000001a", "")), after[i]
    for i in (0, 3, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 19, 20):
        assert after[i] == before[i]
    assert after[4].startswith('"Alice" <PHONE-')


def test_cdr_extension_stays(engine_factory):
    line = CDR.replace(b'"0301234567","+4930555123"', b'"1000","2000"', 1)
    out = engine_factory(format="asterisk_cdr").process(line, NOW)
    assert out.split(b",")[1:3] == [b'"1000"', b'"2000"']


def test_same_subscriber_same_token_across_formats(engine_factory):
    """E.164 normalisation: one subscriber, one pseudonym, whatever the format and writing."""
    engine = engine_factory()
    lines = [
        b'203.0.113.7 - - [21/Nov/2026:10:15:32 +0100] "GET /c?to=%2B49301234567 HTTP/1.1" 200 5 "-" "-"',
        b"Nov 21 10:15:32 sip1 kamailio[1]: ACC: calling=0301234567;called=x",
        CDR.replace(b"0301234567", b"030 1234567", 1),
        b'{"ts":"2026-11-21T10:15:32Z","msisdn":"0049301234567"}',
        b"[2026-11-21 10:15:32] NOTICE[1] chan_sip.c: to extension '+49 30 1234567' rejected",
    ]
    tokens = set()
    for line in lines:
        engine.start_input()
        out = engine.process(line, NOW)
        found = re.findall(rb"PHONE-[g-z]{16}", out)
        assert found, out
        tokens.add(found[0])
    assert len(tokens) == 1


def test_json_lines_keys_order_numbers_and_kinds(engine_factory):
    line = (
        b'{"ts":"2026-11-21T10:15:32Z","client_ip":"203.0.113.7:5060","caller":"+4930123456","callee":4930999888,'
        b'"msisdn":"4915112345678","mac":"001565abcdef","imei":"490154203237518","duration":42,"mos":4.3,'
        b'"ok":true,"nested":{"hops":["198.51.100.1","sip:0301234567@pbx"],"note":"reach me at +49 151 1234567"},'
        b'"ua":"Yealink SIP-T46S 66.86.0.15","id":"a3f9c2e1b4d5"}'
    )
    engine = engine_factory()
    out = engine.process(line, NOW)
    assert engine.formats == {"json_lines": 1}
    before, after = orjson.loads(line), orjson.loads(out)
    assert list(after) == list(before)
    assert list(after["nested"]) == list(before["nested"])
    assert after["duration"] == 42 and after["mos"] == 4.3 and after["ok"] is True
    assert after["id"] == "a3f9c2e1b4d5"
    for raw in (
        b"203.0.113.7",
        b"4930123456",
        b"4930999888",
        b"4915112345678",
        b"001565abcdef",
        b"490154203237518",
        b"198.51.100.1",
        b"0301234567",
        b"151 1234567",
    ):
        assert raw not in out
    assert after["client_ip"].endswith(":5060") and after["callee"].startswith("PHONE-")
    assert after["mac"].startswith("MAC-")


def test_json_without_identifiers_is_byte_identical(engine_factory):
    line = b'{ "ts" : "2026-11-21T10:15:32Z",  "event": "heartbeat", "n": 1.50 }'
    assert engine_factory().process(line, NOW) == line


def test_json_field_rules(engine_factory):
    line = b'{"subscriber":"0301234567x","cpe":"0015.65ab.cdef","callee":"0301234567"}'
    engine = engine_factory(json_fields=(("subscriber", "phone"), ("cpe", "mac"), ("callee", "text")))
    out = orjson.loads(engine.process(line, NOW))
    assert out["cpe"].startswith("MAC-")
    assert out["callee"] == "0301234567"  # a rule of "text": scanned, and a bare national number is no phone
    assert out["subscriber"] == "0301234567x"  # not a number: scanned as text, nothing found


def test_json_inside_syslog_envelope(engine_factory):
    line = b'Nov 21 10:15:32 app1 cpaas[7]: {"caller":"0301234567","ip":"203.0.113.9"}'
    out = engine_factory().process(line, NOW)
    payload = orjson.loads(out.split(b": ", 1)[1])
    assert payload["caller"].startswith("PHONE-") and payload["ip"].startswith("IP-")


def test_cdr_inside_syslog_envelope(engine_factory):
    out = engine_factory(format="syslog_rfc3164").process(b"Nov 21 10:15:32 pbx asterisk[1]: " + CDR, NOW)
    assert b"0301234567" not in out and b"4930555123" not in out


def test_invalid_json_falls_back_to_text(engine_factory):
    engine = engine_factory()
    out = engine.process(b'{"caller": "+4930123456", broken', NOW)
    assert b"4930123456" not in out and engine.formats == {"text": 1}
