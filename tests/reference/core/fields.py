"""What formats may do with a piece of a line: the bridge from a format's render() to the scrubber.

Formats decide where fields are; this decides what happens to a field of a given role, so every format
(pattern, CSV, JSON) pseudonymises the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pseudolog.lookup import normalisers
from tests.reference.detect.ip import normalise_ip
from tests.reference.detect.phone import MIN_CONTEXT_DIGITS, digit_count
from tests.reference.scrub import FIELD_CACHE_MAX, FieldResult, Scrubber, shared_kinds

if TYPE_CHECKING:
    from tests.reference.formats import Format

_NUMBER_CHARS = b"0123456789+-.() /"


def _number_shaped(raw: bytes) -> bool:
    """Only digits, `+` (or `%2B`) and the separators numbers are written with."""
    return bool(raw) and not raw.replace(b"%2B", b"+").translate(None, _NUMBER_CHARS)


class FieldScrubber:
    def __init__(self, scrubber: Scrubber, payload_formats: tuple[Format, ...] = ()) -> None:
        self.scrubber = scrubber
        self.payload_formats = payload_formats  # tried on syslog payloads: JSON lines, CDR records
        # A field whose values repeat (client address, user agent, referrer): cached by the scrubber.
        self.field = scrubber.scrub_cached
        self.pseudonymizer = scrubber.pseudonymizer
        self._normalisers = normalisers(scrubber.region)

    def text(self, text: bytes, window: int | None) -> bytes:
        """Free text, scanned whole."""
        return self.scrubber.scrub(text, window)

    def message(self, text: bytes, window: int | None) -> bytes:
        """A syslog payload: read with a structured format when one fits (a JSON object, a CDR record),
        else scanned as text."""
        for fmt in self.payload_formats:
            parsed = fmt.parse(text)
            if parsed is not None:
                return fmt.render(text, parsed, self, window, False)
        return self.text(text, window)

    def token(self, kind: str, normalised: str, window: int | None) -> bytes:
        self.scrubber.replaced[kind] += 1
        return self.pseudonymizer.token(kind, normalised, window).encode("ascii")

    def as_kind(self, kind: str, text: bytes, window: int | None) -> bytes:
        """A value that its field name says is `kind`: replaced whole when it reads as one, else scanned. Cached
        per window like other fields: a JSON stream's callers and client addresses repeat."""
        cache = self.scrubber.field_cache(window, kind)
        hit = cache.get(text)
        if hit is None:
            hit = self._as_kind(kind, text, window)
            if len(text) <= FIELD_CACHE_MAX:
                cache.put(text, hit)
        self.scrubber.count(hit[1])
        return hit[0]

    def _as_kind(self, kind: str, text: bytes, window: int | None) -> FieldResult:
        raw = text.strip()
        norm = None
        if kind != "phone" or _number_shaped(raw):
            try:
                norm = self._normalisers[kind](raw.decode("ascii"))
            except (KeyError, UnicodeDecodeError, ValueError):
                norm = None
        if norm is None:
            return self.scrubber.field_result(text, window)
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        token = self.pseudonymizer.token(kind, norm, window).encode("ascii")
        return lead + token + trail, shared_kinds((kind,))

    def context_phone(self, text: bytes, window: int | None) -> bytes:
        """A column that holds numbers (CDR src/dst): a number of six digits or more is a phone number,
        shorter ones are extensions; anything else is scanned as text."""
        raw = text.strip()
        if digit_count(raw) >= MIN_CONTEXT_DIGITS and _number_shaped(raw):
            return self.as_kind("phone", text, window)
        return self.field(text, window)

    def ipport(self, text: bytes, window: int | None) -> bytes:
        """`addr:port` where the format says so: split at the last colon, so HAProxy's IPv6 with its port
        glued on gets the address's pseudonym, not that of a longer address."""
        addr, sep, port = text.rpartition(b":")
        if sep and port.isdigit() and addr:
            bare = addr[1:-1] if addr[:1] == b"[" and addr[-1:] == b"]" else addr
            norm = normalise_ip(bare.decode("ascii", "replace"))
            if norm is not None:
                token = self.token("ip", norm, window)
                wrapped = b"[" + token + b"]" if bare is not addr else token
                return wrapped + b":" + port
        return self.field(text, window)
