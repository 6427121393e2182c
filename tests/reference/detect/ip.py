"""IPv4 and IPv6 addresses in free text.

IPv4: four decimal octets 0-255; zero-padded octets are read as decimal, never octal (`010` is ten).
Not inside longer dotted runs (OIDs, `1.2.3.4.5`). A reduced user-agent version such as `Chrome/120.0.0.0`
(product token at a word start, version ending `.0.0`) is a version, not an address. Inside a user-agent
field (`in_agent`), a dotted quad right after `Product/` or after a model name with a digit and a blank
(`Yealink SIP-T46S 66.86.0.15`, `Grandstream GXP2170 1.0.11.23`) is a firmware version: phones put them there.
IPv6: every RFC 4291 / RFC 5952 text form (compressed, expanded, upper case, IPv4-mapped, zone ids,
bracketed, HAProxy's port glued on), checked by `ipaddress`. IPv4-mapped addresses normalise to the IPv4
address, so a dual-stack socket's `::ffff:192.0.2.1` and `192.0.2.1` get the same pseudonym.
"""

from __future__ import annotations

import re
import socket
import struct
from collections.abc import Iterator
from functools import lru_cache

from tests.reference.detect import Found, hinted_matches, new_found

_OCTET = rb"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|0?[0-9]?[0-9])"
IPV4_RE = re.compile(rb"(?<![0-9.])" + _OCTET + rb"(?:\." + _OCTET + rb"){3}(?![0-9]|\.[0-9])")
# A dotted quad written as normalise_ipv4 writes it (no leading zeros): its text is its normalised form.
_CANONICAL_OCTET = rb"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
CANONICAL_IPV4_RE = re.compile(_CANONICAL_OCTET + rb"(?:\." + _CANONICAL_OCTET + rb"){3}")

# A run of hex groups with at least two colons, an optional dotted IPv4 tail and an optional zone id.
IPV6_CANDIDATE_RE = re.compile(
    rb"(?<![0-9A-Za-z_:.])"
    rb"(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)"
    rb"[0-9A-Fa-f:]{2,45}(?:\.[0-9]{1,3}){0,3}"
    rb"(%[0-9A-Za-z_.\-]{1,32})?"
)
_TRAILING_PORT_RE = re.compile(rb":([0-9]{1,5})\Z")
_PRODUCT_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_PRODUCT_BOUNDARY = frozenset(b" \t(;,\"'[")
_TRANSPORTS = frozenset((b"UDP", b"TCP", b"TLS", b"WS", b"WSS", b"SCTP", b"IPV4", b"IPV6", b"DTLS"))
# A search, not `any()` over the bytes: an `any` that stops early leaves its generator to be closed, which costs
# a GeneratorExit (half a microsecond, once per SIP line).
_HEX_DIGIT = re.compile(rb"[0-9A-Fa-f]")


def normalise_ipv4(text: bytes | str) -> str:
    """A dotted quad (as IPV4_RE matches it) without leading zeros, read as decimal."""
    if isinstance(text, bytes):
        if CANONICAL_IPV4_RE.fullmatch(text):
            return text.decode("ascii")  # most addresses: a third of the cost of rewriting each octet
        text = text.decode("ascii")
    return ".".join(str(int(part)) for part in text.split("."))


def _is_version(text: bytes, start: int, end: int, in_agent: bool) -> bool:
    """A product token, then `/` (or a blank, in a user agent), then the dotted quad: a version."""
    if start == 0:
        return False
    separator = text[start - 1]
    if separator != 0x2F and not (in_agent and separator == 0x20):
        return False
    if not in_agent and not text.endswith(b".0.0", start, end):
        return False
    i = start - 1
    while i > 0 and text[i - 1] in _PRODUCT_CHARS:
        i -= 1
    product = text[i : start - 1]
    if not product or not product[:1].isalpha() or product.upper() in _TRANSPORTS:
        return False
    if separator == 0x20 and product.translate(None, b"0123456789") == product:  # no digit (and no generator)
        return False  # after a blank only a model name (SIP-T46S, GXP2170), not a word like "via"
    return in_agent or i == 0 or text[i - 1] in _PRODUCT_BOUNDARY


# Every match of IPV4_RE holds this within its first three characters (the last digit of the first octet, a dot,
# ...). IPV4_RE is led by a lookbehind, so the regex engine tries it at every position of the text; this one is
# led by a digit class, which the engine skips to in C.
_QUAD_HINT = re.compile(rb"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]")


def ipv4_matches(text: bytes) -> Iterator[re.Match[bytes]]:
    """What `IPV4_RE.finditer(text)` yields (tests/test_detect_ip.py holds them equal), trying IPV4_RE only
    where a hint is: the leftmost match starts at most two characters before the leftmost hint, or after it."""
    return hinted_matches(text, IPV4_RE, _QUAD_HINT, (2, 1, 0))


def find_ipv4(text: bytes, in_agent: bool = False) -> Iterator[Found]:
    for m in ipv4_matches(text):
        start, end = m.span()
        if _is_version(text, start, end, in_agent):
            continue
        yield new_found((start, end, "ip", normalise_ipv4(m.group())))


_DOTTED_TAIL = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")


@lru_cache(maxsize=4096)
def normalise_ipv6(text: str) -> str | None:
    """RFC 5952 form, or the IPv4 address for an IPv4-mapped one; None if `text` is no IPv6 address.
    A zero-padded dotted tail is read as decimal, as the IPv4 detector reads it. The C parser
    (`inet_pton`) does the work `ipaddress` would do about 20x slower; both accept the same texts and give
    the same form (tests/test_detect_ip.py holds them to it). Memoised: the addresses in a payload repeat (a
    few proxies and trunks), and a payload is not cached whole the way a format field is."""
    address = text.split("%", 1)[0]
    tail = _DOTTED_TAIL.search(address)
    if tail:
        address = address[: tail.start()] + ".".join(str(int(octet)) for octet in tail.groups())
    if not address.isascii():
        return None
    try:
        packed = socket.inet_pton(socket.AF_INET6, address)
    except (OSError, ValueError):
        return None
    if packed[:12] == _MAPPED_PREFIX:
        return socket.inet_ntop(socket.AF_INET, packed[12:])
    return compress_hextets(struct.unpack("!8H", packed))


_MAPPED_PREFIX = bytes(10) + b"\xff\xff"


def compress_hextets(hextets: tuple[int, ...]) -> str:
    """RFC 5952 text: lower-case hex without leading zeros, the longest run (first of equals) of two or
    more zero groups written `::`."""
    best_start, best_len, run_start, run_len = -1, 1, -1, 0
    for i, h in enumerate(hextets):
        if h == 0:
            if run_len == 0:
                run_start = i
            run_len += 1
            if run_len > best_len:
                best_start, best_len = run_start, run_len
        else:
            run_len = 0
    groups = [f"{h:x}" for h in hextets]
    if best_start < 0:
        return ":".join(groups)
    return ":".join(groups[:best_start]) + "::" + ":".join(groups[best_start + best_len :])


def _plausible_ipv6(candidate: bytes) -> bool:
    """Cheap shape check before `ipaddress`: timestamps like 10:00:00 have neither `::` nor 8 groups. (`find`
    rather than `in`: on CPython 3.11, `bytes in bytes` first tries the needle as an integer and builds a
    TypeError it then drops, three times the cost of the search; the detectors' gates avoid it too.)"""
    if candidate.find(b"::") >= 0:
        return _HEX_DIGIT.search(candidate) is not None
    colons = candidate.count(b":")
    return colons == 7 or (colons == 6 and candidate.find(b".") >= 0) or colons == 8


def parse_ipv6_candidate(candidate: bytes) -> tuple[str, int] | None:
    """(normalised, length of the address part) for an address, or one with a port glued on."""
    if not _plausible_ipv6(candidate):
        return None
    norm = normalise_ipv6(candidate.decode("ascii"))
    if norm is not None:
        return norm, len(candidate)
    m = _TRAILING_PORT_RE.search(candidate)
    if m:
        head = candidate[: m.start()]
        if _plausible_ipv6(head):
            norm = normalise_ipv6(head.decode("ascii"))
            if norm is not None:
                return norm, len(head)
    return None


_HEX_AND_COLONS = re.compile(rb"[0-9A-Fa-f:]{2,39}")
_ADDRESS_LEADS = frozenset(bytes((c,)) for c in b"0123456789abcdefABCDEF:")


def whole_address(text: bytes) -> str | None:
    """The normalised address when the whole text is one address in a form that is its own kind of field: a
    canonical dotted quad, or an IPv6 address in hex groups and colons (no dotted tail, zone, port or
    brackets). No other detector can claim part of such a text, so the scan would give it one token."""
    if text[:1] not in _ADDRESS_LEADS:
        return None  # a request, a user agent: most fields that reach here
    if CANONICAL_IPV4_RE.fullmatch(text):
        return text.decode("ascii")
    if text.find(b":") < 0 or not _HEX_AND_COLONS.fullmatch(text):
        return None
    parsed = parse_ipv6_candidate(text)
    return parsed[0] if parsed is not None and parsed[1] == len(text) else None


# Every match of IPV6_CANDIDATE_RE has its first colon within its first five characters, and a colon, at most
# four hex digits and a colon there. IPV6_CANDIDATE_RE is led by a lookbehind, so the regex engine tries it at
# every position of the text; this one is led by a literal colon, which the engine skips to in C.
_COLONS_HINT = re.compile(rb":[0-9A-Fa-f]{0,4}:")


def ipv6_candidates(text: bytes) -> Iterator[re.Match[bytes]]:
    """What `IPV6_CANDIDATE_RE.finditer(text)` yields (tests/test_detect_ip.py holds them equal), trying it only
    where a hint is: a match that starts at or before the leftmost hint has its first colon there, so it starts
    at most four characters before it; every other match starts after it."""
    return hinted_matches(text, IPV6_CANDIDATE_RE, _COLONS_HINT, (4, 3, 2, 1, 0))


def find_ipv6(text: bytes) -> Iterator[Found]:
    for m in ipv6_candidates(text):
        zone = m.group(1)
        addr_end = m.start(1) if zone else m.end()
        parsed = parse_ipv6_candidate(text[m.start() : addr_end])
        if parsed is None:
            continue
        norm, length = parsed
        yield new_found((m.start(), m.start() + length, "ip", norm))


def normalise_ip(text: str) -> str | None:
    """Normalised form of a user-given address (for lookup), or None."""
    value = text.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    if IPV4_RE.fullmatch(value.encode("ascii", "replace")):
        return normalise_ipv4(value)
    if ":" in value:
        return normalise_ipv6(value)
    return None
