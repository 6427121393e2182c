"""Identifiers written with another layer of quoting (session 42's audit): JSON strings with escapes (`\\"`,
`\\u002b`, `\\/`), and a SIP instance id quoted again in plain text and CSV. Each was passed unchanged; the engine
now reads a JSON string with escapes as the text it stands for, and the instance rule takes the quoted forms."""

from __future__ import annotations

import json
import re

import pytest

from tests.test_leak_shapes import TOKEN as KIND_TOKEN
from tests.test_native_leak_shapes import native_lines

TOKEN = {**KIND_TOKEN, "device": re.compile(rb"DEV-[g-z]{16}")}

UUID = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
TS = '"ts":"2026-11-21T10:15:32Z"'

# (id, JSON line, raw values that must not be read back from any string of the output, kinds replaced)
JSON_ESCAPED = [
    ("keyed-ip-escaped-digits", f'{{{TS},"client_ip":"\\u0032\\u0030\\u0033.0.113.7"}}', ["203.0.113.7"], ["ip"]),
    ("plus-as-u002b", f'{{{TS},"msg":"call to \\u002b4930123456"}}', ["+4930123456", "4930123456"], ["phone"]),
    ("keyed-phone-escaped", f'{{{TS},"callee":"030\\u00312345678"}}', ["03012345678"], ["phone"]),
    (
        "mac-escaped-colons",
        f'{{{TS},"msg":"mac 00\\u003a15\\u003a65\\u003aab\\u003acd\\u003aef"}}',
        ["00:15:65:ab:cd:ef"],
        ["mac"],
    ),
    ("imei-escaped-digit", f'{{{TS},"msg":"imei 49015420323751\\u0038"}}', ["490154203237518"], ["imei"]),
    (
        "instance-in-contact",
        f'{{{TS},"contact":"<sip:a@h>;+sip.instance=\\"<urn:uuid:{UUID}>\\""}}',
        [UUID],
        ["device"],
    ),
    ("display-name-number", f'{{{TS},"from":"\\"0301234567\\" <sip:alice@pbx.example>"}}', ["0301234567"], ["phone"]),
    (
        "go-escaped-angle",
        f'{{{TS},"msg":"INVITE \\u003csip:0301234501@pbx.example\\u003e"}}',
        ["0301234501"],
        ["phone"],
    ),
    ("php-escaped-slash", f'{{{TS},"msg":"Dial(PJSIP\\/0301234567-0000001a)"}}', ["0301234567"], ["phone"]),
]


def strings(value: object) -> list[str]:
    """Every key and string in a decoded JSON document."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize(("line", "raw", "kinds"), [pytest.param(c[1], c[2], c[3], id=c[0]) for c in JSON_ESCAPED])
def test_an_escaped_json_string_hides_no_identifier(line, raw, kinds):
    (out,) = native_lines([line.encode()], format="json_lines")
    document = json.loads(out)  # still one JSON object
    text = " ".join(strings(document))
    for value in raw:
        assert value not in text, (f"a raw {kinds} value survived", out)
    for kind in kinds:
        assert TOKEN[kind].search(text.encode()), (f"no {kind} token", out)
    # Everything but the identifier reads back as it was.
    assert document["ts"] == "2026-11-21T10:15:32Z"


def test_an_escaped_string_with_no_identifier_keeps_its_bytes():
    line = f'{{{TS},"msg":"no identifier \\"here\\" \\u00e9 \\/path\\n"}}'.encode()
    assert native_lines([line], format="json_lines") == [line]


def test_a_string_with_an_identifier_is_written_back_as_equal_json():
    line = f'{{{TS},"msg":"line one\\nfrom 203.0.113.9 \\u00e9 \\"quoted\\" tab\\tend \\u0001"}}'
    (out,) = native_lines([line.encode()], format="json_lines")
    before, after = json.loads(line)["msg"], json.loads(out)["msg"]
    token = TOKEN["ip"].search(after.encode()).group().decode()
    assert after == before.replace("203.0.113.9", token)


def test_the_token_is_the_one_the_plain_value_gets():
    escaped, plain = native_lines(
        [
            f'{{{TS},"client_ip":"\\u0032\\u0030\\u0033.0.113.7"}}'.encode(),
            f'{{{TS},"client_ip":"203.0.113.7"}}'.encode(),
        ],
        format="json_lines",
    )
    assert escaped == plain


@pytest.mark.parametrize(
    "written",
    [
        '+sip.instance=\\"<urn:uuid:{u}>\\"',
        "+sip.instance='<urn:uuid:{u}>'",
        '+sip.instance = "<urn:uuid:{u}>"',
        '+sip.instance="&lt;urn:uuid:{u}&gt;"',
        "+sip.instance=%22%3Curn:uuid:{u}%3E%22",
    ],
)
def test_an_instance_id_quoted_again_in_text_is_replaced(written):
    (out,) = native_lines([f"Contact: <sip:a@192.0.2.1>;{written.format(u=UUID)}".encode()], format="text")
    assert UUID.encode() not in out and TOKEN["device"].search(out), out


def test_an_instance_id_in_a_csv_column_is_replaced():
    line = f'"1795256132","sip:a@h","<sip:a@h>;+sip.instance=""<urn:uuid:{UUID}>"""'
    (out,) = native_lines([line.encode()])
    assert UUID.encode() not in out and TOKEN["device"].search(out), out
