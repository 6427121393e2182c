"""Replace every identifier in a piece of text with its token.

Detectors run in priority order (context first: it knows the kind best; then MAC, IPv6, IPv4, phone,
IMEI); a span that overlaps one already claimed is dropped. Text without a digit, a colon or a dot can
hold no identifier and is returned at once. Results for format fields (user agents, referrers, client
addresses) are cached per window, because they repeat heavily.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter

from pseudolog.pseudonym import Pseudonymizer
from tests.reference.cache import BoundedCache
from tests.reference.detect import Found, new_found
from tests.reference.detect.context import (
    KEYED_GATE,
    PROVISIONING_GATE,
    URI_GATE,
    keyed_numbers,
    provisioning_macs,
    uri_numbers,
)
from tests.reference.detect.device import find_imei, find_mac
from tests.reference.detect.ip import find_ipv4, find_ipv6, whole_address
from tests.reference.detect.phone import find_international
from tests.reference.detect.sip import find_sip

# The shapes every detector needs, in one pass: text matching none of them holds no identifier and skips
# the detectors. It must stay a superset of what the detectors find (tests/test_prefilter.py checks that).
MAYBE_IDENTIFIER = re.compile(
    rb"[0-9](?:[0-9()/. \-]|%20){3,}[0-9]"  # numbers with separators, dotted quads, IMEIs
    rb"|:[0-9A-Fa-f]{0,4}:"  # IPv6
    rb"|[0-9A-Fa-f]{2}[:\-][0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12}"  # MAC forms
    rb"|\+\(?[0-9]|%2[BbDdEe]|%3[0-9AaBb]|%40|%5[BbDd]"  # +number, percent-encoded identifier characters
    rb"|(?i:instance)"  # +sip.instance
)
# The SIP rules need `<`, a quote, a channel technology and a slash (`PJSIP/`, `IAX2/`, `sofia/`), six digits and
# `@`, `user` or `instance`. Every branch leads with a literal and checks what stands before it afterwards, so
# the regex engine skips from one candidate character to the next in C; a case-insensitive or class-led branch
# makes it try every position (5x slower). `[0-9]` in `IAX2` keeps the trigger a skeleton form of itself.
_CHANNEL_TECHNOLOGIES = b"sip iax[0-9] dahdi local skype webrtc sofia rtc loopback".split()
_SIP_TRIGGER = (
    rb"<|\"|'|/(?:"
    + b"|".join(rb"(?<=(?i:" + name + rb")/)" for name in _CHANNEL_TECHNOLOGIES)
    + rb")|@(?<=[0-9]{6}@)|r(?<=(?i:se)r)|R(?<=(?i:se)R)|e(?<=(?i:nstanc)e)|E(?<=(?i:nstanc)E)"
)
# One cheap search per detector says whether it can find anything at all; each must stay a superset of its
# detector's findings (tests/test_prefilter.py checks that), so skipping a detector never misses anything.
TRIGGERS: dict[str, re.Pattern[bytes]] = {
    name: re.compile(regex)
    for name, regex in {
        # The context rules' own gates: none reads a digit, so they are asked once per skeleton.
        "uri": URI_GATE.pattern,
        "keyed": KEYED_GATE.pattern,
        "provisioning": PROVISIONING_GATE.pattern,
        "sip": _SIP_TRIGGER,
        # Each branch led by its separator, not the hex digit: the regex engine skips to separators in C.
        "mac": rb":(?<=[0-9A-Fa-f]{2}:)[0-9A-Fa-f]{2}[:\-]|-(?<=[0-9A-Fa-f]{2}-)[0-9A-Fa-f]{2}[:\-]"
        rb"|\.(?<=[0-9A-Fa-f]{4}\.)[0-9A-Fa-f]{4}\.",
        "ipv6": rb":[0-9A-Fa-f]{0,4}:",
        "ipv4": rb"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]",
        "phone": rb"\+\(?[1-9]|%2[Bb]|00\(?[1-9]",
        "imei": rb"[0-9]{14}|[- ](?<=[0-9]{2}[- ])[0-9]{6}[- ]|(?i:urn:gsma)",
    }.items()
}

# Texts that differ only in their digits meet the same triggers, and a new field value is mostly an old one
# with other numbers in it (a request with another phone number or IMEI). So the triggers are run on the
# value's skeleton, every digit written as 0, and their outcome is kept per skeleton: one translate and one
# dict lookup instead of eight searches. On a skeleton a digit literal of a trigger reads as 0 (`%2B` is
# `%0B` there), so the few triggers with digit literals have skeleton forms that accept every digit in those
# places; each skeleton form matches a skeleton wherever the plain form matches the text (tests/test_prefilter.py),
# so skipping by skeleton never skips a detector that could find something.
SKELETON = bytes.maketrans(b"123456789", b"000000000")
MAYBE_ON_SKELETON = re.compile(
    rb"[0-9](?:[0-9()/. \-]|%[0-9][0-9]){3,}[0-9]"
    rb"|:[0-9A-Fa-f]{0,4}:"
    rb"|[0-9A-Fa-f]{2}[:\-][0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12}"
    rb"|\+\(?[0-9]|%[0-9][BbDdEe]|%[0-9][0-9AaBb]"
    rb"|(?i:instance)"
)
TRIGGERS_ON_SKELETON: dict[str, re.Pattern[bytes]] = {
    **TRIGGERS,
    "phone": re.compile(rb"\+\(?[0-9]|%[0-9][Bb]|[0-9][0-9]\(?[0-9]"),
    # On a skeleton every digit is 0, so the digit runs can be literal and every branch literal-led (3x faster).
    "imei": re.compile(rb"00000000000000|-(?<=00-)0{6}[- ]| (?<=00 )0{6}[- ]|u(?i:rn:gsma)|U(?i:rn:gsma)"),
}
_SKELETONS_HELD = 4096
# Longer texts are neither remembered by skeleton nor cached as field values: they seldom repeat, and the caches'
# entry bounds would otherwise let a stream of long distinct values hold hundreds of megabytes.
_SKELETON_MAX = 512
FIELD_CACHE_MAX = 256
AGENT_CACHE_MAX = 512

# Fail-closed masking: every run of digits and hex letters with separators that holds a digit.
_MASKABLE = re.compile(rb"[0-9A-Fa-f][0-9A-Fa-f:.\-]*[0-9A-Fa-f]|[0-9]")
MASK = b"MASKED"
# The run of identifier characters at either end of a segment cut where no safe boundary was found.
# The word an unsafe cut split (letters too since the native engine's issue 22 fix: `2Ro|mhr/120.0.0.0`).
_BORDER_HEAD = re.compile(rb"[0-9A-Za-z_:.+\-%()/\[\]]*")
_BORDER_TAIL = re.compile(rb"[0-9A-Za-z_:.+\-%()/\[\]]*\Z")

# Percent-escapes of characters identifiers are made of (+ - . 0-9 : ; @ [ ]): an address or number written
# URL-encoded (`198%2E51%2E100%2E23`, `2001%3Adb8%3A%3A1`) is found in a decoded view of the text.
# (%2B alone does not need it: the phone and context rules read `%2B49...` directly.)
_RELEVANT_ESCAPE = re.compile(rb"%(?:2[DdEe]|3[0-9AaBb]|40|5[BbDd])")
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")

Detector = Callable[[bytes], Iterator[Found]]
# The detectors a skeleton selects: to run on plain text, and on a user agent (indexed by `in_agent`).
Selected = tuple[tuple[Detector, ...], tuple[Detector, ...]]
# What a skeleton that fails the prefilter selects: nothing, not even the percent-decoded view.
_NO_IDENTIFIER: Selected = ((), ())
# (scrubbed text, kinds replaced). No kinds: nothing was replaced and the text is the cache key itself (no copy).
FieldResult = tuple[bytes, tuple[str, ...]]
_IP_KIND = ("ip",)
_KIND_OF = attrgetter("kind")
# The few distinct kinds tuples, shared by every cache entry instead of one tuple each (memory).
_KINDS: dict[tuple[str, ...], tuple[str, ...]] = {}


def shared_kinds(kinds: tuple[str, ...]) -> tuple[str, ...]:
    if len(_KINDS) > 4096:
        return kinds
    return _KINDS.setdefault(kinds, kinds)


# Windows whose field caches are held at once: enough for lines interleaved across one boundary.
_WINDOWS_HELD = 2
# Which values a field cache holds: plain fields, user agents (True), or values a field's name says are of a kind
# (`"phone"` for a JSON `caller`).
Role = bool | str


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
    """The fail-closed fallback: hide every digit or hex run that could be (part of) an identifier (a run with a
    digit, or with a colon since the native engine's issue 22 fix: `::cead:bf`)."""
    return _MASKABLE.sub(lambda m: MASK if any(48 <= c <= 58 for c in m.group()) else m.group(), text)


def _claim(taken: list[Found], found: Found) -> bool:
    """Add a finding unless it overlaps one already taken. A finding that strictly contains the ones it
    overlaps replaces them: the longest identifier wins. Returns True for a partial overlap (neither span
    contains the other): the dropped finding may leave a fragment, so the result is filtered again.

    Called for every finding of every detector, and most overlaps are one detector finding again what another
    found (the context rule's `imei=` value, then the IMEI rule's): the single overlap is decided without the
    general case's comprehensions (tests/test_scrub.py holds it to them)."""
    if not taken:
        taken.append(found)
        return False
    start, end = found.start, found.end
    overlapping = [t for t in taken if t.start < end and start < t.end]
    if not overlapping:
        taken.append(found)
        return False
    if len(overlapping) == 1:
        t = overlapping[0]
        if t.start <= start and end <= t.end:
            return False  # inside (or the same as) one taken: nothing to add
        if start <= t.start and t.end <= end:
            taken.remove(t)  # strictly longer, as it is not inside t
            taken.append(found)
            return False
        return True
    if all(start <= t.start and t.end <= end for t in overlapping) and all(
        end - start > t.end - t.start for t in overlapping
    ):
        for t in overlapping:
            taken.remove(t)
        taken.append(found)
        return False
    return not any(t.start <= start and end <= t.end for t in overlapping)


# A partial overlap is filtered again until nothing changes; this many rounds at most.
_MAX_ROUNDS = 4
_HEX = frozenset(b"0123456789abcdefABCDEF")
_HEX_OR_COLON = _HEX | frozenset(b":")
_HEX_LETTERS = frozenset(b"abcdefABCDEF")
_HEX_LETTER_OR_COLON = _HEX_LETTERS | frozenset(b":")


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
            if c in _HEX or c == 0x25 or (c == 0x3A and _colon_group_follows(text, f.end + 1)):
                return True
            if c == 0x2E and not _word_follows(text, f.end + 1):
                return True
    return False


_NON_HEX_LETTERS = frozenset(b"ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ")


def _word_follows(text: bytes, i: int) -> bool:
    """After a dot at i-1: a word, not the rest of an identifier: letters, with one that is no hex digit before
    any other character (`.cfg`, `.xml`, `.example`). A provisioning file's MAC (`/001565abcdef.cfg`) or a
    host's address (`192.0.2.1.nip`) then takes one pass, not two; `.5`, `.cafe:` and `.be` still count."""
    n = len(text)
    while i < n and text[i] in _HEX_LETTERS:
        i += 1
    return i < n and text[i] in _NON_HEX_LETTERS


def _colon_group_follows(text: bytes, i: int) -> bool:
    """After a colon at i-1: more than a port (`:5060`): a hex letter, a colon, or digits followed by a colon,
    `%` or `.` (`:5101:...`, `:10556%101::36`), which may hold an address once the token has broken the run
    in front of it."""
    n = len(text)
    if i < n and text[i] in _HEX_LETTER_OR_COLON:
        return True
    while i < n and text[i] in _HEX:
        i += 1
    return i < n and text[i] in b":%."


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

    def __init__(self, pseudonymizer: Pseudonymizer, region: str, cache_size: int = 100_000) -> None:
        self.pseudonymizer = pseudonymizer
        self.region = region
        self.replaced: Counter[str] = Counter()
        self.cache_size = cache_size
        # Scrubbed field text per (window, role).
        self._field_caches: dict[tuple[int | None, Role], BoundedCache[bytes, FieldResult]] = {}
        detectors: dict[str, Detector] = {  # in priority order
            "uri": lambda t: uri_numbers(t, region),
            "keyed": lambda t: keyed_numbers(t, region),
            "provisioning": lambda t: provisioning_macs(t, region),
            "sip": lambda t: find_sip(t, region),
            "mac": find_mac,
            "ipv6": find_ipv6,
            "ipv4": find_ipv4,
            "phone": lambda t: find_international(t, region),
            "imei": find_imei,
        }
        self._detectors = tuple((TRIGGERS[name], detect) for name, detect in detectors.items())
        self._skeleton_triggers = tuple(TRIGGERS_ON_SKELETON[name] for name in detectors)
        self._by_skeleton: dict[bytes, Selected] = {}
        self._selections: dict[tuple[int, ...], Selected] = {}  # detector indices -> their functions
        self._agent_detectors = tuple(
            (trigger, (lambda t: find_ipv4(t, in_agent=True)) if d is find_ipv4 else d)
            for trigger, d in self._detectors
        )

    def find(self, text: bytes, in_agent: bool = False) -> list[Found]:
        """All identifiers in `text`, non-overlapping, in order of position. `in_agent`: the text is a
        user agent, where dotted quads after a product token are firmware versions."""
        return self._find(text, in_agent)[0]

    def _find(self, text: bytes, in_agent: bool) -> tuple[list[Found], bool]:
        run = self._selected(text, in_agent)
        if run is None:
            return [], False
        # The percent-decoded view is selected as a text is (the native engine's reading since session 29; it had
        # run every detector whose plain trigger the view met).
        return self._detect(text, run, lambda decoded: self._selected(decoded, in_agent) or ())

    def _selected(self, text: bytes, in_agent: bool) -> Sequence[Detector] | None:
        """The detectors for a text: None when it fails the prefilter; else those whose triggers its skeleton
        meets (remembered), or for a long text those whose triggers the text itself meets."""
        if len(text) > _SKELETON_MAX:
            if not MAYBE_IDENTIFIER.search(text):
                return None
            detectors = self._agent_detectors if in_agent else self._detectors
            return [detect for trigger, detect in detectors if trigger.search(text)]
        skeleton = text.translate(SKELETON)
        selected = self._by_skeleton.get(skeleton)
        if selected is None:
            selected = self._select(skeleton)
        if selected is _NO_IDENTIFIER:
            return None
        return selected[in_agent]

    def _select(self, skeleton: bytes) -> Selected:
        """The detectors whose triggers a skeleton meets, remembered; `_NO_IDENTIFIER` when it fails the prefilter.
        A skeleton that passes it and meets no trigger selects no detector but still has its percent-decoded view
        searched (`1%3A%3A` is `1::`)."""
        if not MAYBE_ON_SKELETON.search(skeleton):
            selected = _NO_IDENTIFIER
        else:
            selected = self._selection(
                tuple([i for i, trigger in enumerate(self._skeleton_triggers) if trigger.search(skeleton)])
            )
        if len(self._by_skeleton) >= _SKELETONS_HELD:
            self._by_skeleton.clear()
        self._by_skeleton[skeleton] = selected
        return selected

    def _selection(self, indices: tuple[int, ...]) -> Selected:
        selected = self._selections.get(indices)
        if selected is None:  # a few dozen combinations at most: built once each (SIP lines' skeletons never repeat)
            selected = self._selections[indices] = (
                tuple(self._detectors[i][1] for i in indices),
                tuple(self._agent_detectors[i][1] for i in indices),
            )
        return selected

    def detect(self, text: bytes, in_agent: bool = False) -> tuple[list[Found], bool]:
        """Every triggered detector over the text and over its percent-decoded view, without the prefilter."""
        detectors = self._agent_detectors if in_agent else self._detectors

        def triggered(view: bytes) -> list[Detector]:
            return [detect for trigger, detect in detectors if trigger.search(view)]

        return self._detect(text, triggered(text), triggered)

    def _detect(
        self, text: bytes, run: Sequence[Detector], decoded_run: Callable[[bytes], Sequence[Detector]]
    ) -> tuple[list[Found], bool]:
        """The findings of the detectors in `run` over the text, and of those `decoded_run` gives for its
        percent-decoded view; (findings in order, whether two overlapped partially)."""
        taken: list[Found] = []
        conflict = False
        for detect in run:
            for found in detect(text):
                conflict |= _claim(taken, found)
        if text.find(b"%") >= 0 and _RELEVANT_ESCAPE.search(text):
            decoded, offsets = percent_decoded(text)
            for detect in decoded_run(decoded):
                for found in detect(decoded):
                    moved = new_found((offsets[found.start], offsets[found.end], found.kind, found.normalised))
                    conflict |= _claim(taken, moved)
        taken.sort()
        return taken, conflict

    def _scrub(self, text: bytes, window: int | None, in_agent: bool) -> tuple[bytes, list[str]]:
        """The scrubbed text and the kinds replaced; filtered again while a partial overlap leaves work. A later
        round never reads a token an earlier one wrote: with `--ip-style prefix` a token is a valid address, and
        reading it again would give the address a second pseudonym on this line only."""
        kinds: list[str] = []
        tokens: list[tuple[int, int]] = []  # where the tokens written so far stand in `text`
        for _ in range(_MAX_ROUNDS):
            found, conflict = self._find(text, in_agent)
            if tokens:
                found = [f for f in found if not any(f.start < end and start < f.end for start, end in tokens)]
            if not found:
                break
            again = conflict or _touches_identifier_chars(text, found)
            text, tokens = self._replace(text, found, window, tokens)
            kinds.extend(map(_KIND_OF, found))
            if not again:
                break
        return text, kinds

    def scrub(self, text: bytes, window: int | None) -> bytes:
        """`text` with every identifier replaced by its token for `window`."""
        out, kinds = self._scrub(text, window, False)
        self.count(kinds)
        return out

    def field_cache(self, window: int | None, role: Role) -> BoundedCache[bytes, FieldResult]:
        """The cache of field results for one window and role (the hot loop reads its `young` dict directly). The
        caches of two windows are held, for lines around a window boundary; older ones are dropped whole."""
        cache = self._field_caches.get((window, role))
        if cache is None:
            windows = list(dict.fromkeys(held for held, _ in self._field_caches))
            if window not in windows and len(windows) >= _WINDOWS_HELD:
                for key in [key for key in self._field_caches if key[0] == windows[0]]:
                    del self._field_caches[key]
            # Plain fields get the room; user agents and kinded values are fewer and repeat: a quarter each.
            size = self.cache_size if role is False else self.cache_size // 4
            cache = self._field_caches[(window, role)] = BoundedCache(size)
        return cache

    @property
    def cached_fields(self) -> int:
        return sum(len(c) for c in self._field_caches.values())

    def field_result(self, text: bytes, window: int | None, in_agent: bool = False) -> FieldResult:
        """(scrubbed text, kinds replaced) for a field value, cached; the text is unchanged when no kinds
        are. The caller counts the kinds, so a hit counts like a fresh scrub."""
        cache = self.field_cache(window, in_agent)
        hit = cache.get(text)
        if hit is None:
            # A field that is exactly one address (a client column) skips the detectors: the scan would give
            # its token (tests/test_scrub.py holds them equal).
            address = whole_address(text)
            if address is not None:
                hit = (self.pseudonymizer.token("ip", address, window).encode("ascii"), _IP_KIND)
            else:
                out, kinds = self._scrub(text, window, in_agent)
                hit = (text if not kinds else out, shared_kinds(tuple(kinds)))
            if len(text) <= (AGENT_CACHE_MAX if in_agent else FIELD_CACHE_MAX):
                cache.put(text, hit)
        return hit

    def scrub_cached(self, text: bytes, window: int | None, in_agent: bool = False) -> bytes:
        """`scrub` for values that repeat (format fields): cached by (window, text)."""
        out, kinds = self.field_result(text, window, in_agent)
        self.count(kinds)
        return out

    def count(self, kinds: Sequence[str]) -> None:
        """Count the kinds replaced. Most fields replace none, and `Counter.update` costs a quarter of a
        microsecond even then (an ABC check on its argument): eleven times on every CDR record."""
        replaced = self.replaced
        for kind in kinds:
            replaced[kind] += 1

    def _replace(
        self, text: bytes, found: list[Found], window: int | None, tokens: list[tuple[int, int]]
    ) -> tuple[bytes, list[tuple[int, int]]]:
        """The text with each finding replaced by its token, and where every token stands in it: the ones
        written by earlier rounds (`tokens`, which no finding overlaps) moved by the length changes before them,
        and the new ones."""
        parts: list[bytes] = []
        spans: list[tuple[int, int]] = []
        earlier = iter(tokens)
        pending = next(earlier, None)
        pos = shift = 0
        token = self.pseudonymizer.token
        for f in found:
            while pending is not None and pending[0] < f.start:
                spans.append((pending[0] + shift, pending[1] + shift))
                pending = next(earlier, None)
            new = token(f.kind, f.normalised, window).encode("ascii")
            parts.append(text[pos : f.start])
            parts.append(new)
            spans.append((f.start + shift, f.start + shift + len(new)))
            shift += len(new) - (f.end - f.start)
            pos = f.end
        while pending is not None:
            spans.append((pending[0] + shift, pending[1] + shift))
            pending = next(earlier, None)
        parts.append(text[pos:])
        return b"".join(parts), spans
