"""The auditor behind `pseudolog scan`: a second, deliberately broader detector with its own code.

It shares nothing with the line engine (the native core; the Python reference engine lives in tests/reference), so
it can see what the engine misses. It looks for anything address-, number-, MAC- or IMEI-shaped that is not a
pseudonym, in the line as written, in its percent-decoded view (`%20`, `%2B`, `%3A` ...) and, where it holds JSON
escapes, in its JSON-decoded view (`\\u002b`, `\\"`, `\\/` ...: what a JSON reader sees), and gives each
candidate a score: how likely it is an identifier (1.0 sure, below 0.5 probably not: a software version, a random
hex id).

Pseudonyms pseudolog writes are blanked out first, in every form (`IP-...`, `PHONE+49-...`, `MAC-001565-...`,
`IMEI-35209900-...`, `DEV-...`; 16 letters of "ghjkmnpqrstvwxyz", never a digit), so a pseudonym is never
flagged and a raw value beside one still is.

Every rule is a regular expression without nested unbounded repetition plus bounded work per candidate, so the
cost is linear in the input.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

TOKEN = re.compile(
    rb"(?:IP|PHONE|MAC|IMEI|DEV)(?:\+[0-9]{1,4}|-[0-9A-Fa-f]{6}|-[0-9]{8})?-[ghjkmnpqrstvwxyz]{16}"
    rb"|MASKED"
)
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")
_JSON_ESCAPE = re.compile(rb'\\(?:u([0-9A-Fa-f]{4})|(["\\/])|[bfnrt])')
_ANY_CANDIDATE = re.compile(rb"[0-9]|[0-9A-Fa-f]:[0-9A-Fa-f]")

# --- addresses -------------------------------------------------------------------------------------------------
_IPV4 = re.compile(rb"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9]|\.[0-9])")
# A run of IPv6 characters with at least two colons; bounded so that each try is cheap.
_IPV6_RUN = re.compile(rb"[0-9A-Fa-f:.]{0,80}:[0-9A-Fa-f.]{0,80}:[0-9A-Fa-f:.]{0,80}")
# What before a dotted quad says "this is a software version": a product token (`Chrome/`, `Zoiper rv`, `rv:`), a
# version key (`version=`, `"app_version":"`, `fw=`), a firmware word (`SW `, `firmware `), or a model name
# (a word with letters and digits: `SIP-T46S `).
_VERSION_BEFORE = re.compile(
    rb"(?:(?:^|[\s(\";,])(?!(?:UDP|TCP|TLS|SCTP|WSS?|IPV4|IPv4|ip|IP|ipv4|host|addr|client)/)[A-Za-z][\w.+-]*/"
    rb"|(?i:rv|ver|version|v)"
    rb"|(?i:[a-z_]*(?:version|ver|fw|firmware|sw|build|release|rv))\"?\s*[=:]\s*\"?"
    rb"|(?:^|\s)(?i:sw|fw|firmware|version|v|ver|rev|build|release)\s"
    rb"|(?:^|\s)(?=[A-Za-z-]*[0-9])(?=[0-9-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9-]{2,}\s)$"
)

# --- devices ---------------------------------------------------------------------------------------------------
_MAC = re.compile(
    rb"(?<![0-9A-Fa-f:-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![0-9A-Fa-f]|[:-][0-9A-Fa-f])"
    rb"|(?<![0-9A-Fa-f.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![0-9A-Fa-f]|\.[0-9A-Fa-f])"
)
_BARE_HEX12 = re.compile(rb"(?<![0-9A-Za-z])(?=[a-fA-F]*[0-9])(?=[0-9]*[a-fA-F])[0-9A-Fa-f]{12}(?![0-9A-Za-z])")
_DEVICE_BEFORE = re.compile(
    rb"(?i:mac|devid|dev_id|device|deviceid|hwaddr|sn|serial|ether|lladdr|hw)[\s\"'=:_-]{0,3}$|(?i:sep)$|/$"
)
_DEVICE_AFTER = re.compile(rb"^(?i:\.cfg|\.xml|\.cnf|\.boot|-?\.?phone)")
_REPORTING_BODIES = {
    b"01",
    b"10",
    b"30",
    b"33",
    b"35",
    b"44",
    b"45",
    b"49",
    b"50",
    b"51",
    b"52",
    b"53",
    b"54",
    b"86",
    b"91",
    b"98",
    b"99",
}
_IMEI = re.compile(
    rb"(?<![0-9])(?:[0-9]{15,16}|[0-9]{2}-[0-9]{6}-[0-9]{6}-[0-9]{1,2}|[0-9]{8}-[0-9]{6}-[0-9]{1,2})(?![0-9])"
)

# --- numbers ---------------------------------------------------------------------------------------------------
# A number body: digits with the separators people write (`-`, `.`, `/`, blanks, `(0)`, form-encoded `+`), up to
# 40 bytes; the digits are counted afterwards.
_BODY = rb"\(?[0-9](?:[0-9]|[-./ ()+](?=[ (]?[0-9])){5,40}"
_MARKED = re.compile(
    rb"(?:(?<![\w+.])\+(?=\(?[1-9])|(?<![0-9A-Za-z.:,_-])00(?=[1-9])|[Tt][Ee][Ll]:|[Ss][Ii][Pp][Ss]?:)" + _BODY
)
_KEYED = re.compile(
    rb"(?<![A-Za-z0-9_])([A-Za-z][A-Za-z0-9_.-]{0,40})(?:\"\s*:\s*\"?|\s*[=:]\s*[\"']?|=\"|\s+[\"']?)" + _BODY
)
_QUOTED_DISPLAY = re.compile(rb"\"(\+?[0-9][0-9 ]{5,20})\"\s*<")
_SLASHED = re.compile(rb"(?<![0-9./:-])0[1-9][0-9]{1,4} ?/ ?[0-9]{2,4}(?:[ -]?[0-9]{1,5}){1,3}(?![0-9:])")
_AT_HOST = re.compile(rb"(?<![0-9A-Za-z.])\+?[0-9]{6,15}(?=@[A-Za-z0-9\[])")
_PATH_NUMBER = re.compile(
    rb"/(?i:numbers?|subscribers?|msisdns?|phones?|callers?|callees?|lines?|extensions?|dids?|users?|"
    rb"accounts?|mobiles?|clis?|anis?)/(\+?[0-9]{6,15})(?=[/?#;\s\"]|$)"
)
_BARE_NATIONAL = re.compile(rb"(?<![0-9A-Za-z.:_-])0[1-9][0-9]{8,12}(?![0-9A-Za-z.:_-])")
# Keys that name a party or a number (issue 22, shape 4), and keys that never do.
_PARTY_KEY = re.compile(
    rb"(?i)(?:user|ouser|num|number|nr|no|caller|callee|cli|cld|ani|dnis|msisdn|did|ext\w*|display\w*|from\w*|"
    rb"to|to_\w+|tou\w*|src|dst|source|dest\w*|calling|called|callerid|cid|cid_num|party|phone\w*|mobile|msn|"
    rb"destination|origin\w*|rpid|pai|diversion|redirect\w*|forward\w*|account\w*|clid|dnid|exten|connected\w*)$"
)
_NOT_PARTY = re.compile(
    rb"(?i)(?:port|size|len|length|count|cnt|dur|duration|time|timeout|ts|stamp|date|call_?id|callid|bytes|"
    rb"sec|secs|seq|cseq|status|code|pid|uid|gid|total|token|version|expires|rate|max|min|limit|id|_id|ms|"
    rb"pkts|packets|octets|jitter|loss|latency|bitrate|serial|session|uniqueid|linkedid|trunk_?id)$"
)
_PHONE_FORMAT_HINT = re.compile(
    rb"(?i)sip:|tel:|kamailio|opensips|asterisk|freeswitch|callerid|cdr|acc:|dialog|invite|registrar|"
    rb"\b(?:src|dst)_user|ouser|msisdn|caller|callee"
)


@dataclass(frozen=True, slots=True)
class Candidate:
    start: int  # byte offset in the line as written
    end: int
    kind: str  # ip, phone, mac, imei
    score: float
    value: bytes  # the text as read (decoded view for escaped candidates); printed only on request

    @property
    def shape(self) -> str:
        return shape_of(self.value)


_SHAPE = bytes.maketrans(b"0123456789abcdefABCDEF", b"9999999999xxxxxxXXXXXX")


def shape_of(value: bytes) -> str:
    """The value with every digit written as `9` and every hex letter as `x`/`X`: the form, not the value."""
    text = re.sub(rb"[G-Zg-z]", b"a", value).translate(_SHAPE)
    return re.sub(rb"[^\x20-\x7e]", b"?", text).decode("ascii")


def blank_tokens(line: bytes) -> bytes:
    """The line with every pseudonym pseudolog writes replaced by `~` of the same length."""
    if b"-" not in line and b"MASKED" not in line:
        return line
    return TOKEN.sub(lambda m: b"~" * (m.end() - m.start()), line)


def _luhn(digits: bytes) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ch - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _digits(text: bytes) -> bytes:
    return bytes(c for c in text if 48 <= c <= 57)


def _ipv4_ok(text: bytes) -> bool:
    return all(int(part) <= 255 for part in text.split(b"."))


def _ipv6_candidates(run: bytes, glued: bool) -> list[tuple[int, int]]:
    """(start, end) of the longest valid IPv6 address in a run, trying a bounded set of trims. A run glued to a
    word (`src:2001:db8::1`, `IPv6:2001:db8::25`) does not start an address with that word's tail."""
    if b"::" not in run and not 7 <= run.count(b":") <= 8:
        return []  # a time (`2026:10:15:32`), a fingerprint or a hex dump (`8c:e3:aa:...`), not an address
    starts = [] if glued and not run.startswith(b":") else [0]
    pos = 0
    for _ in range(8):
        pos = run.find(b":", pos) + 1
        if pos <= 0:
            break
        starts.append(pos)
    for s in starts:
        end = len(run)
        for _ in range(3):
            piece = run[s:end].rstrip(b".")
            if piece.count(b":") >= 2 and not piece.startswith(b":::"):
                try:
                    ipaddress.IPv6Address(piece.decode("ascii"))
                except ValueError:
                    pass
                else:
                    if piece not in (b"::",):
                        return [(s, s + len(piece))]
            cut = run.rfind(b":", s, end)
            if cut <= s:
                break
            end = cut
    return []


def _ipv6_score(piece: bytes) -> float:
    groups = [g for g in piece.split(b":") if g]
    digits = sum(1 for c in piece if 48 <= c <= 57)
    if len(groups) >= 3 or b"." in piece:
        return 0.9
    if len(groups) == 2 and digits:
        return 0.7
    if piece in (b"::1",) or (len(groups) == 1 and digits):
        return 0.6
    return 0.3


class Auditor:
    """Candidates in one line, with scores. Stateless; one instance serves any number of lines."""

    def candidates(self, line: bytes) -> list[Candidate]:
        if not _ANY_CANDIDATE.search(line):
            return []
        view = blank_tokens(line)
        found = self._view(view, None)
        if b"%" in view:
            found += self._decoded(view, _ESCAPE, _percent_decoded)
        if b"\\" in view:
            found += self._decoded(view, _JSON_ESCAPE, _json_decoded)
        return _best_of_overlaps(found)

    def _decoded(self, view: bytes, escape: re.Pattern[bytes], decode: Callable[[re.Match[bytes]], bytes]):
        """Candidates in the view with each `escape` replaced by what it stands for, at their places as written."""
        pieces: list[bytes] = []
        shrunk: list[tuple[int, int]] = []  # (decoded place after an escape, bytes saved up to there)
        last = saved = 0
        for m in escape.finditer(view):
            char = decode(m)
            pieces += (view[last : m.start()], char)
            saved += m.end() - m.start() - len(char)
            shrunk.append((m.start() - saved + (m.end() - m.start()), saved))
            last = m.end()
        if not shrunk:
            return []
        pieces.append(view[last:])
        return self._view(blank_tokens(b"".join(pieces)), shrunk)

    def _view(self, text: bytes, shrunk: list[tuple[int, int]] | None) -> list[Candidate]:
        out: list[Candidate] = []

        def to_raw(pos: int) -> int:
            """The place as written of decoded place `pos`: plus what the escapes before it saved."""
            if not shrunk:
                return pos
            k = bisect.bisect_right(shrunk, (pos, sys.maxsize))
            return pos + (shrunk[k - 1][1] if k else 0)

        def add(start: int, end: int, kind: str, score: float) -> None:
            if kind == "phone" and text[end : end + 1].isalpha():
                score = min(score, 0.3)  # glued to a word: a hex id or a token, not a number
            out.append(Candidate(to_raw(start), to_raw(end - 1) + 1, kind, score, text[start:end]))

        hint: list[bool] = []

        def phone_format() -> bool:  # asked rarely: only for short or bare numbers
            if not hint:
                hint.append(bool(_PHONE_FORMAT_HINT.search(text)))
            return hint[0]

        # MACs and IMEIs first: their shapes are the most specific.
        for m in _MAC.finditer(text):
            add(m.start(), m.end(), "mac", 0.9)
        for m in _IMEI.finditer(text):
            digits = _digits(m.group())
            if len(digits) == 15 and _luhn(digits):
                # a GSMA reporting body's prefix makes it an IMEI; a Luhn-valid thread id is one in ten
                add(m.start(), m.end(), "imei", 0.9 if digits[:2] in _REPORTING_BODIES else 0.4)
            elif len(digits) == 16:
                before = text[max(0, m.start() - 12) : m.start()].lower()
                if b"imei" in before:
                    add(m.start(), m.end(), "imei", 0.8)
        for m in _IPV4.finditer(text):
            if not _ipv4_ok(m.group()):
                continue
            before = text[max(0, m.start() - 48) : m.start()]
            score = 0.2 if _VERSION_BEFORE.search(before) else 0.9
            add(m.start(), m.end(), "ip", score)
        if text.count(b":") >= 2:
            for m in _IPV6_RUN.finditer(text):
                glued = m.start() > 0 and text[m.start() - 1 : m.start()].isalnum()
                for s, e in _ipv6_candidates(m.group(), glued):
                    piece = m.group()[s:e]
                    add(m.start() + s, m.start() + e, "ip", _ipv6_score(piece))
        for m in _MARKED.finditer(text):
            start, end = m.start(), _trim(text, m.start(), m.end())
            n = len(_digits(text[start:end]))
            if 7 <= n <= 17:
                add(start, end, "phone", 0.9 if text[start : start + 1] != b"0" else 0.8)
        for m in _PATH_NUMBER.finditer(text):
            add(m.start(1), m.end(1), "phone", 0.85)
        for m in _QUOTED_DISPLAY.finditer(text):
            if 6 <= len(_digits(m.group(1))) <= 15:
                add(m.start(1), _trim(text, m.start(1), m.end(1)), "phone", 0.85)
        for m in _AT_HOST.finditer(text):
            add(m.start(), m.end(), "phone", 0.8)
        for m in _SLASHED.finditer(text):
            if 7 <= len(_digits(m.group())) <= 15:
                add(m.start(), m.end(), "phone", 0.75)
        for m in _KEYED.finditer(text):
            key = m.group(1).rsplit(b".", 1)[-1]
            if _NOT_PARTY.search(key) or not _PARTY_KEY.search(key):
                continue
            start = m.end(1)
            while start < m.end() and not (48 <= text[start] <= 57 or text[start] == 40):
                start += 1
            end = _trim(text, start, m.end())
            n = len(_digits(text[start:end]))
            if 6 <= n <= 15 and (n >= 7 or phone_format()):
                add(start, end, "phone", 0.85 if n >= 7 else 0.6)
        for m in _BARE_NATIONAL.finditer(text):
            add(m.start(), m.end(), "phone", 0.6 if phone_format() else 0.4)
        for m in _BARE_HEX12.finditer(text):
            before = text[max(0, m.start() - 12) : m.start()]
            after = text[m.end() : m.end() + 8]
            context = _DEVICE_BEFORE.search(before) or _DEVICE_AFTER.match(after)
            add(m.start(), m.end(), "mac", 0.8 if context else 0.3)
        return out


def _percent_decoded(m: re.Match[bytes]) -> bytes:
    return bytes((int(m.group(1), 16),))


def _json_decoded(m: re.Match[bytes]) -> bytes:
    """What a JSON escape stands for, one byte: its ASCII character; `?` for any other; a blank for a control."""
    if m.group(1) is not None:
        code = int(m.group(1), 16)
        return bytes((code,)) if 0x20 <= code < 0x7F else b" " if code < 0x20 else b"?"
    return m.group(2) or b" "


_KIND_RANK = {"ip": 3, "mac": 2, "imei": 1, "phone": 0}


def _best_of_overlaps(found: list[Candidate]) -> list[Candidate]:
    """One candidate per overlapping group: the highest score, then ip > mac > imei > phone, then the longest."""
    found.sort(key=lambda c: c.start)
    kept: list[Candidate] = []
    for c in found:
        if kept and c.start < kept[-1].end:
            last = kept[-1]
            if (c.score, _KIND_RANK[c.kind], c.end - c.start) > (
                last.score,
                _KIND_RANK[last.kind],
                last.end - last.start,
            ):
                kept[-1] = c
            continue
        kept.append(c)
    return kept


def _trim(text: bytes, start: int, end: int) -> int:
    """End of a number body without trailing separators, cut where its blanks stop grouping one number: digits
    join across a blank only while the group before it has at most 4 digits and fewer than 11 digits are
    collected (`+49 30 123 4567 200 OK` is a number and a status code)."""
    digits = group = 0
    for pos in range(start, end):
        ch = text[pos]
        if 48 <= ch <= 57:
            digits += 1
            group += 1
        elif ch == 32:
            if group > 4 or digits >= 11:
                end = pos
                break
            group = 0
    while end > start and text[end - 1] in b"-./ (+":
        end -= 1
    if text[start:end].count(b"(") < text[start:end].count(b")"):
        while end > start and text[end - 1] == 41:
            end -= 1
    return end
