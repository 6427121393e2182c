"""Identifiers recognised by where they stand rather than by their shape alone.

- The user part of `sip:`, `sips:` and `tel:` URIs is a phone number when it is numeric (with visual
  separators): `sip:030123456@host`, `tel:+49-30-1234567;phone-context=...` (RFC 3966 context applied).
- `key=value` / `key: value` pairs whose key names a number (`from=`, `to=`, `caller=`, `msisdn=`, ...),
  a device (`mac=`, `SN:`, `DevId=`) or an IMEI (`imei=`).
- Provisioning file names that embed a MAC: `/001565abcdef.cfg`, `SEP001565ABCDEF.cnf.xml`.
Short numbers (fewer than six digits) in a phone context are internal extensions and stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tests.reference.detect import Found, hinted_matches, new_found, run_before
from tests.reference.detect.device import is_plausible_bare_mac, normalise_imei, normalise_mac
from tests.reference.detect.phone import CONTEXT_NUMBER_RE, context_number, normalise_phone, scan_after_mark

PHONE_KEYS = (
    "from|to|caller|callee|calling|called|number|msisdn|phone|tel|telephone|mobile|cli|clid|ani|dnis|cid"
    "|callerid|caller_id|calleridnum|callerid_num|cid_num|connectedlinenum|src|dst|did|dialed|dialled"
    "|destination|dest|fromuser|touser|from_user|to_user|ruri_user|rpid|pai|diversion|redirect|e164|cgpn|cdpn"
    "|a_number|b_number|anumber|bnumber|caller_number|callee_number|caller_id_number|destination_number"
    "|accountid|src_user|dst_user|effective_caller_id_number|origination_caller_id_number|callee_id_number"
    "|sip_from_user|sip_to_user|sip_req_user|rdnis|ani2|subscriber|calling_number|called_number"
)
MAC_KEYS = "mac|macaddr|mac_addr|mac_address|macaddress|hwaddr|hw_addr|sn|devid|dev_id|deviceid|device_id"
IMEI_KEYS = "imei|imeisv|device_imei"
PHONE_KEY_SET = frozenset(PHONE_KEYS.encode().split(b"|"))
MAC_KEY_SET = frozenset(MAC_KEYS.encode().split(b"|"))
IMEI_KEY_SET = frozenset(IMEI_KEYS.encode().split(b"|"))

# `key=`, `key:`, `"key": "` and `key = ` forms. The scan looks for where a value can start (a separator, blanks,
# an optional quote, then the first character of a number, MAC or IMEI) and reads the key backwards from there
# with C-level strips; a set lookup decides. A regex for the key itself must be tried at every position of the
# text (its leading lookbehind defeats the engine's prefix scan), which cost more than all the rest of the rule.
# Before the separator stands a blank, a quote or the last letter of a key: the lookbehind after the separator
# drops, in C, the colons of addresses, times and `sip:` that cannot follow a key (most of a SIP line's).
_KEY_ENDS = bytes(sorted({key[-1] for key in PHONE_KEY_SET | MAC_KEY_SET | IMEI_KEY_SET}))
KEYED_VALUE_RE = re.compile(
    rb"[=:](?<=[" + _KEY_ENDS + _KEY_ENDS.upper() + rb" \t\"'][=:])[ \t]*+[\"']?+(?=[0-9A-Fa-f+(%])"
)
_KEY_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
_WORD_BYTES = frozenset(_KEY_CHARS)
MAC_VALUE_AT = re.compile(
    rb"(?P<v>[0-9A-Fa-f]{12}|[0-9A-Fa-f]{2}(?:[:\-][0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}(?:\.[0-9A-Fa-f]{4}){2})"
    rb"(?![0-9A-Za-z])"
)
IMEI_VALUE_AT = re.compile(rb"(?P<v>[0-9]{14,16}|[0-9]{2}-[0-9]{6}-[0-9]{6}-[0-9]{1,2})(?![0-9])")
# User part of a SIP or tel URI, up to the first character that ends it.
URI_USER_RE = re.compile(
    rb"(?<![A-Za-z0-9])(?:(?i:sips?):(?P<s>(?:\+|%2[Bb])?[0-9(][0-9\-.()]*)(?=[;:][^@\s>\"']{0,64}@|@)"
    rb"|(?i:tel):(?P<t>(?:\+|%2[Bb])?[0-9(][0-9\-.()]*)(?![0-9A-Za-z]))"
)
# RFC 3966: a local number's global context, e.g. tel:1234567;phone-context=+4930
PHONE_CONTEXT_RE = re.compile(rb"[^@>\s\"']{0,64}?;(?i:phone-context)=(?P<ctx>\+[0-9][0-9\-.()]*)")
# Led by the `/` or `=` before the file name, which the regex engine skips to in C (a lookbehind there made it try
# every position). Its matches never end in `/` or `=`, so consuming one does not change which are found.
PROVISIONING_MAC_RE = re.compile(
    rb"[/=][A-Za-z0-9_\-]{0,16}?(?<![0-9A-Fa-f])(?P<v>[0-9A-Fa-f]{12})(?![0-9A-Fa-f])"
    rb"[A-Za-z0-9_\-.]{0,24}?\.(?i:cfg|cnf|xml|ini|boot|txt|conf|htm|html|json|bin|ld|tar|zip|rom|cnf\.xml)"
    rb"(?![A-Za-z0-9])"
)


def find_context(text: bytes, region: str) -> Iterator[Found]:
    """Every rule whose gate says it can match, in order (tests/test_detect_context.py holds the gated findings to
    those of every rule run). The scrubber runs the rules as detectors of their own (`GATED_RULES`)."""
    for gate, rule in GATED_RULES:
        if gate.search(text) is not None:
            yield from rule(text, region)


def keyed_values(text: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(lower-case key, where it starts, where its value starts) for every value that starts like a number,
    MAC or IMEI after a word that may be a key (one that ends like a key does)."""
    for m in KEYED_VALUE_RE.finditer(text):
        keyed = _key_before(text, m.start())
        if keyed is not None:
            yield keyed[0], keyed[1], m.end()


def keyed_numbers(text: bytes, region: str) -> Iterator[Found]:
    for key, key_start, pos in keyed_values(text):
        if key in PHONE_KEY_SET:
            if key == b"tel" and text[key_start:pos].lower() == b"tel:":
                continue  # a tel: URI, read by the URI rule with its phone-context
            found = _keyed_number(text, pos, region)
            if found is not None:
                yield found
        elif key in MAC_KEY_SET:
            v = MAC_VALUE_AT.match(text, pos)
            if v is not None:
                value = v.group("v")
                mac = None if len(value) == 12 and not is_plausible_bare_mac(value) else normalise_mac(value)
                if mac is not None:
                    yield new_found((v.start("v"), v.end("v"), "mac", mac))
        elif key in IMEI_KEY_SET:
            v = IMEI_VALUE_AT.match(text, pos)
            if v is not None:
                imei = normalise_imei(v.group("v"))
                if imei is not None:
                    yield new_found((v.start("v"), v.end("v"), "imei", imei))


_LONGEST_KEY = max(map(len, PHONE_KEY_SET | MAC_KEY_SET | IMEI_KEY_SET))


def _key_before(text: bytes, separator: int) -> tuple[bytes, int] | None:
    """(lower-case key, where it starts) for the separator at `separator`: the whole run of word characters
    before it, then an optional quote and blanks; None when the run could be no known key."""
    end = separator
    while end > 0 and text[end - 1] in b" \t":
        end -= 1
    if end > 0 and text[end - 1] in b"\"'":
        end -= 1
    return run_before(text, end, _KEY_CHARS, _LONGEST_KEY)


def _keyed_number(text: bytes, start: int, region: str) -> Found | None:
    """The number after a phone key, measured by the phone module's shape rule (blanks, parentheses)."""
    scanned = scan_after_mark(text, start)
    if scanned is None:
        return None
    end = scanned[0]
    if end < len(text) and _decimal_point_at(text, end):
        # `number=1234567.89` is no number; in `from=030123456/192.0.2.1` the last group belongs to an address,
        # and the number ends before it (as it does once the address is a token: filtering again changes nothing).
        end = _before_last_group(text, start, end)
        if end is None:
            return None
    elif end < len(text) and text[end] in _WORD_BYTES:
        return None  # `to=12abc`: the value runs on, it is no number
    norm = context_number(text[start:end], region)
    return None if norm is None else new_found((start, end, "phone", norm))


def _before_last_group(text: bytes, pos: int, end: int) -> int | None:
    """Where the separator before the number's last digit group stands, or None for a single group (or one
    after a parenthesis). A mark at `pos` (`+`, `%2B`) is never taken for a separator."""
    j = end
    while j > pos and 48 <= text[j - 1] <= 57:
        j -= 1
    if j - 1 > pos and text[j - 1] in b"-/ ":
        cut = j - 1
    elif j - 3 > pos and text[j - 3 : j] == b"%20":
        cut = j - 3
    else:
        return None
    return cut if 48 <= text[cut - 1] <= 57 else None


def _decimal_point_at(text: bytes, i: int) -> bool:
    return text[i] == 0x2E and i + 1 < len(text) and 48 <= text[i + 1] <= 57


# URI_USER_RE is led by a lookbehind, so the regex engine tries it at every position; the colon after the scheme
# is a literal it skips to in C. A match's colon stands three (`sip:`, `tel:`) or four (`sips:`) characters in.
_SCHEME_COLON = re.compile(rb":(?<=[PpSsLl]:)(?=(?:\+|%2[Bb])?[0-9(])")


def uri_users(text: bytes) -> Iterator[re.Match[bytes]]:
    """What `URI_USER_RE.finditer(text)` yields (tests/test_detect_context.py holds them equal), tried only where
    a scheme's colon can stand."""
    return hinted_matches(text, URI_USER_RE, _SCHEME_COLON, (4, 3))


def uri_numbers(text: bytes, region: str) -> Iterator[Found]:
    for m in uri_users(text):
        group = "s" if m.group("s") is not None else "t"
        value = m.group(group).rstrip(b".-(")
        if not CONTEXT_NUMBER_RE.fullmatch(value.replace(b".", b"")):
            continue
        norm = context_number(value, region)
        ctx = PHONE_CONTEXT_RE.match(text, m.start(group) + len(value))
        if ctx is not None and not value.startswith((b"+", b"%2B", b"%2b")):
            local = "".join(chr(c) for c in value if 48 <= c <= 57)
            prefix = "".join(chr(c) for c in ctx.group("ctx") if 48 <= c <= 57)
            norm = normalise_phone("+" + prefix + local, region)
        if norm is not None:
            yield new_found((m.start(group), m.start(group) + len(value), "phone", norm))


def provisioning_macs(text: bytes, region: str) -> Iterator[Found]:
    for m in PROVISIONING_MAC_RE.finditer(text):
        value = m.group("v")
        if not value.isalpha() and is_plausible_bare_mac(value):  # twelve hex digits, at least one a digit
            mac = normalise_mac(value)
            if mac is not None:
                yield new_found((m.start("v"), m.end("v"), "mac", mac))


# Each rule with its gate, in the order they run: what a rule needs in the text to find anything (`sip` or `tel:`;
# `=` or `:`; a provisioning file's extension). No gate reads a digit, so the scrubber decides them once per skeleton
# (scrub.py), where the rules' common gate was asked again on every new value. Every branch is led by a literal,
# so the regex engine skips to candidates in C (a class-led branch makes it try every position); the extensions'
# first letters are checked once per dot before the case-insensitive branches (half the cost on dotted addresses).
URI_GATE = re.compile(rb"p(?<=[Ss][Ii]p)|P(?<=[Ss][Ii]P)|:(?<=[Tt][Ee][Ll]:)")
KEYED_GATE = re.compile(rb"=|:")
PROVISIONING_GATE = re.compile(
    rb"\.(?=[BbCcHhIiJjLlRrTtXxZz])(?i:cfg|cnf|xml|ini|boot|txt|conf|htm|json|bin|ld|tar|zip|rom)"
)
GATED_RULES = ((URI_GATE, uri_numbers), (KEYED_GATE, keyed_numbers), (PROVISIONING_GATE, provisioning_macs))
# Every rule, for tests that hold the gates to them.
RULES = (uri_numbers, keyed_numbers, provisioning_macs)
