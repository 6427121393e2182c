"""Replace every identifier in a piece of text with its token.

Detectors run in priority order (context first: it knows the kind best; then MAC, IPv6, IPv4, phone,
IMEI); a span that overlaps one already claimed is dropped. Text without a digit, a colon or a dot can
hold no identifier and is returned at once. Results for format fields (user agents, referrers, client
addresses) are cached per window, because they repeat heavily.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator

from pseudolog.detect import Found
from pseudolog.detect.context import find_context
from pseudolog.detect.device import find_imei, find_mac
from pseudolog.detect.ip import find_ipv4, find_ipv6
from pseudolog.detect.phone import find_international
from pseudolog.detect.sip import find_sip
from pseudolog.pseudonym import Pseudonymizer

# An identifier needs a digit, or hex letters with ':' / '.' separators (an all-letter IPv6 or MAC).
_MAYBE_IDENTIFIER = re.compile(rb"[0-9]|[A-Fa-f]{2}[:.\-]|::")
# Fail-closed masking: every run of digits and hex letters with separators that holds a digit.
_MASKABLE = re.compile(rb"[0-9A-Fa-f][0-9A-Fa-f:.\-]*[0-9A-Fa-f]|[0-9]")
MASK = b"MASKED"
# The run of identifier characters at either end of a segment cut where no safe boundary was found.
_BORDER_HEAD = re.compile(rb"[0-9A-Fa-f:.+\-%()/\[\]]*")
_BORDER_TAIL = re.compile(rb"[0-9A-Fa-f:.+\-%()/\[\]]*\Z")

# Percent-escapes of characters identifiers are made of (+ - . 0-9 : ; @ [ ]): an address or number written
# URL-encoded (`198%2E51%2E100%2E23`, `2001%3Adb8%3A%3A1`) is found in a decoded view of the text.
_RELEVANT_ESCAPE = re.compile(rb"%(?:2[BbDdEe]|3[0-9AaBb]|40|5[BbDd])")
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")

Detector = Callable[[bytes], Iterator[Found]]


def percent_decoded(text: bytes) -> tuple[bytes, list[int]]:
    """The text with %XX escapes decoded, and for each decoded byte the offset it came from."""
    out = bytearray()
    offsets: list[int] = []
    pos = 0
    for m in _ESCAPE.finditer(text):
        out += text[pos : m.start()]
        offsets.extend(range(pos, m.start()))
        out.append(int(m.group(1), 16))
        offsets.append(m.start())
        pos = m.end()
    out += text[pos:]
    offsets.extend(range(pos, len(text) + 1))
    return bytes(out), offsets


def mask_line(text: bytes) -> bytes:
    """The fail-closed fallback: hide every digit or hex run that could be (part of) an identifier."""
    return _MASKABLE.sub(lambda m: MASK if any(48 <= c <= 57 for c in m.group()) else m.group(), text)


def _claim(taken: list[Found], found: Found) -> bool:
    """Add a finding unless it overlaps one already taken. A finding that strictly contains the ones it
    overlaps replaces them: the longest identifier wins. Returns True for a partial overlap (neither span
    contains the other): the dropped finding may leave a fragment, so the result is filtered again."""
    overlapping = [t for t in taken if not (found.end <= t.start or found.start >= t.end)]
    if not overlapping:
        taken.append(found)
        return False
    if all(found.start <= t.start and t.end <= found.end for t in overlapping) and all(
        found.end - found.start > t.end - t.start for t in overlapping
    ):
        for t in overlapping:
            taken.remove(t)
        taken.append(found)
        return False
    return not any(t.start <= found.start and found.end <= t.end for t in overlapping)


# A partial overlap is filtered again until nothing changes; this many rounds at most.
_MAX_ROUNDS = 4
_HEX = frozenset(b"0123456789abcdefABCDEF")
_HEX_OR_COLON = _HEX | frozenset(b":")
_HEX_LETTER_OR_COLON = frozenset(b"abcdefABCDEF:")


def _touches_identifier_chars(text: bytes, found: list[Found]) -> bool:
    """Whether a replaced span stands against characters that could extend an identifier (`4b8::<ip>`,
    `12<ip>`, `<ip>.5`): then what is left beside the token is checked once more. The common neighbours
    (`sip:`, `IP=`, `:5060`, blanks, quotes) do not count."""
    n = len(text)
    for f in found:
        if f.start > 0:
            c = text[f.start - 1]
            if c in _HEX or c in b".%" or (c == 0x3A and f.start > 1 and text[f.start - 2] in _HEX_OR_COLON):
                return True
        if f.end < n:
            c = text[f.end]
            if c in _HEX or c == 0x2E or (c == 0x3A and f.end + 1 < n and text[f.end + 1] in _HEX_LETTER_OR_COLON):
                return True
    return False


def split_border_runs(data: bytes, head: bool, tail: bool) -> tuple[bytes, bytes, bytes]:
    """(leading run, middle, trailing run) where the runs touch an unsafe cut (empty otherwise)."""
    first = b""
    if head:
        m = _BORDER_HEAD.match(data)
        assert m is not None
        first, data = data[: m.end()], data[m.end() :]
    last = b""
    if tail:
        m = _BORDER_TAIL.search(data)
        assert m is not None
        data, last = data[: m.start()], data[m.start() :]
    return first, data, last


class Scrubber:
    """Finds identifiers with all detectors and swaps in tokens for one window at a time."""

    def __init__(self, pseudonymizer: Pseudonymizer, region: str, cache_size: int = 50_000) -> None:
        self.pseudonymizer = pseudonymizer
        self.region = region
        self.replaced: Counter[str] = Counter()
        self._cache: dict[tuple[int | None, bool, bytes], tuple[bytes, tuple[str, ...]]] = {}
        self._cache_size = cache_size
        self._detectors: tuple[Detector, ...] = (
            lambda t: find_context(t, region),
            lambda t: find_sip(t, region),
            find_mac,
            find_ipv6,
            find_ipv4,
            lambda t: find_international(t, region),
            find_imei,
        )
        self._agent_detectors = tuple(
            (lambda t: find_ipv4(t, in_agent=True)) if d is find_ipv4 else d for d in self._detectors
        )

    def find(self, text: bytes, in_agent: bool = False) -> list[Found]:
        """All identifiers in `text`, non-overlapping, in order of position. `in_agent`: the text is a
        user agent, where dotted quads after a product token are firmware versions."""
        return self._find(text, in_agent)[0]

    def _find(self, text: bytes, in_agent: bool) -> tuple[list[Found], bool]:
        if not _MAYBE_IDENTIFIER.search(text):
            return [], False
        taken: list[Found] = []
        conflict = False
        detectors = self._agent_detectors if in_agent else self._detectors
        for detect in detectors:
            for found in detect(text):
                conflict |= _claim(taken, found)
        if b"%" in text and _RELEVANT_ESCAPE.search(text):
            decoded, offsets = percent_decoded(text)
            for detect in detectors:
                for found in detect(decoded):
                    conflict |= _claim(taken, found._replace(start=offsets[found.start], end=offsets[found.end]))
        taken.sort()
        return taken, conflict

    def _scrub(self, text: bytes, window: int | None, in_agent: bool) -> tuple[bytes, list[str]]:
        """The scrubbed text and the kinds replaced; filtered again while a partial overlap leaves work."""
        kinds: list[str] = []
        for _ in range(_MAX_ROUNDS):
            found, conflict = self._find(text, in_agent)
            if not found:
                break
            again = conflict or _touches_identifier_chars(text, found)
            text = self._replace(text, found, window)
            kinds.extend(f.kind for f in found)
            if not again:
                break
        return text, kinds

    def scrub(self, text: bytes, window: int | None) -> bytes:
        """`text` with every identifier replaced by its token for `window`."""
        return self._scrub(text, window, False)[0]

    def scrub_cached(self, text: bytes, window: int | None, in_agent: bool = False) -> bytes:
        """`scrub` for values that repeat (format fields): cached by (window, text)."""
        key = (window, in_agent, text)
        hit = self._cache.get(key)
        if hit is not None:
            for kind in hit[1]:
                self.replaced[kind] += 1
            return hit[0]
        out, kinds = self._scrub(text, window, in_agent)
        if len(self._cache) >= self._cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = (out, tuple(kinds))
        return out

    def _replace(self, text: bytes, found: list[Found], window: int | None) -> bytes:
        parts: list[bytes] = []
        pos = 0
        token = self.pseudonymizer.token
        for f in found:
            parts.append(text[pos : f.start])
            parts.append(token(f.kind, f.normalised, window).encode("ascii"))
            pos = f.end
            self.replaced[f.kind] += 1
        parts.append(text[pos:])
        return b"".join(parts)
