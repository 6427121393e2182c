"""The Python line engine's reading of each format: parse, event time and render, for the reference engine.

The package keeps what a format is (pseudolog/formats: name, description, samples, patterns, columns, rules) and
compiles it to the layout spec the native core reads; here the format classes of the reference engine add the
Python reading back on top of those (subclasses, so the package's spec code still recognises them). The loaders
below hand out these classes for the built-in formats, `--log-format` and pattern files.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from pseudolog.formats import csvformat, jsonlines, registry
from pseudolog.formats import pattern as pattern_format
from tests.reference.compiler import ReferencePattern, reference_pattern
from tests.reference.timeparse import parse_iso

if TYPE_CHECKING:
    from tests.reference.core.fields import FieldScrubber
    from tests.reference.timeparse import TimeParser


class Format(Protocol):
    """The interface every reference format implements, whatever its codec (pattern, CSV, JSON)."""

    name: str
    description: str
    samples: tuple[str, ...]

    @property
    def specificity(self) -> int:
        """Formats with more structure are tried first by `auto`."""
        ...

    def parse(self, body: bytes) -> Any | None:
        """The parsed line, or None when the line does not fit (it is then scanned as free text)."""
        ...

    def event_time(self, parsed: Any, times: TimeParser, now: float) -> float | None:
        """The line's own time, or None when the line has none (or it does not parse)."""
        ...

    def render(self, body: bytes, parsed: Any, fields: FieldScrubber, window: int | None, time_ok: bool) -> bytes:
        """The line with every identifier replaced; everything else as it was."""
        ...


# Patterns ---------------------------------------------------------------------------------------------------

Parsed = tuple[ReferencePattern, re.Match[bytes]]


@dataclass(frozen=True)
class PatternFormat(pattern_format.PatternFormat):
    """Formats described by patterns: one anchored regex match per line, then field by field."""

    def parse(self, body: bytes) -> Parsed | None:
        for pattern in self.patterns:
            m = pattern.regex.fullmatch(body)
            if m is not None:
                return pattern, m
        return None

    def event_time(self, parsed: Parsed, times: TimeParser, now: float) -> float | None:
        pattern, m = parsed
        if pattern.time_index is None:
            return None
        spec = pattern.fields[pattern.time_index]
        return times.parse(spec.time_kind or "iso", m.group(pattern.time_index + 1), now)

    def render(self, body: bytes, parsed: Parsed, fields: FieldScrubber, window: int | None, time_ok: bool) -> bytes:
        pattern, m = parsed
        regs = m.regs  # every group's span at once
        parts: list[bytes] = []
        pos = 0
        field = fields.field
        for group, spec in pattern.work:
            start, end = regs[group]
            if start < 0:
                continue
            role = spec.role
            if role == "time" and time_ok and group - 1 == pattern.time_index:
                continue
            parts.append(body[pos:start])
            text = body[start:end]
            if role == "ipport":
                parts.append(fields.ipport(text, window))
            elif role == "message":
                parts.append(fields.message(text, window))
            else:
                parts.append(field(text, window, spec.agent))
            pos = end
        if not parts:
            return body
        parts.append(body[pos:])
        return b"".join(parts)


# JSON lines -------------------------------------------------------------------------------------------------

KEY_KINDS: dict[str, str] = {
    **dict.fromkeys(
        (
            "ip",
            "ip_address",
            "ipaddr",
            "client",
            "client_ip",
            "clientip",
            "remote_ip",
            "remote_addr",
            "remoteaddr",
            "src_ip",
            "source_ip",
            "dst_ip",
            "destination_ip",
            "peer_ip",
            "x_forwarded_for",
            "xff",
            "received",
            "contact_ip",
            "media_ip",
            "rtp_ip",
            "public_ip",
        ),
        "ip",
    ),
    **dict.fromkeys(
        (
            "caller",
            "callee",
            "calling",
            "called",
            "msisdn",
            "phone",
            "phone_number",
            "phonenumber",
            "number",
            "from_number",
            "to_number",
            "caller_id",
            "callerid",
            "caller_number",
            "callee_number",
            "cli",
            "clid",
            "ani",
            "dnis",
            "did",
            "a_number",
            "b_number",
            "anumber",
            "bnumber",
            "e164",
            "src_number",
            "dst_number",
            "caller_id_number",
            "destination_number",
            "mobile",
            "tel",
            "telephone",
            "dialed_number",
        ),
        "phone",
    ),
    **dict.fromkeys(("mac", "mac_address", "macaddress", "macaddr", "hwaddr", "hw_addr", "device_mac"), "mac"),
    **dict.fromkeys(("imei", "imeisv", "device_imei"), "imei"),
    **dict.fromkeys(("sip_instance", "instance_id", "sip_instance_id"), "device"),
}
SUFFIX_KINDS = (
    ("_ip", "ip"),
    ("_ipv4", "ip"),
    ("_ipv6", "ip"),
    ("_mac", "mac"),
    ("_imei", "imei"),
    ("_msisdn", "phone"),
    ("_phone", "phone"),
)
TIME_KEYS = ("@timestamp", "timestamp", "time", "ts", "datetime", "date", "event_time", "start_time", "logged_at")


def _key_name(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(".", "_").replace(" ", "_")


@lru_cache(maxsize=4096)
def _kind_of(rules: tuple[tuple[str, str], ...], key: str) -> str | None:
    """The kind a key names (`--json-field` rules first), memoised: a stream's objects repeat their keys."""
    name = _key_name(key)
    for rule_key, kind in rules:
        if _key_name(rule_key) == name:
            return None if kind == "text" else kind
    kind = KEY_KINDS.get(name)
    if kind is None:
        kind = next((k for suffix, k in SUFFIX_KINDS if name.endswith(suffix)), None)
    return kind


@dataclass(frozen=True)
class JsonLinesFormat(jsonlines.JsonLinesFormat):
    """JSON lines, read with orjson: every string value scanned; keys that say what they hold make their value
    that kind; the object re-encoded (compact) when a value changed, else the line kept byte for byte."""

    def with_rules(self, rules: tuple[tuple[str, str], ...]) -> JsonLinesFormat:
        return dataclasses.replace(self, rules=rules)

    def kind_of(self, key: str) -> str | None:
        return _kind_of(self.rules, key)

    def parse(self, body: bytes) -> dict[str, Any] | None:
        if body.lstrip()[:1] != b"{":
            return None
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None

    def event_time(self, obj: dict[str, Any], times: TimeParser, now: float) -> float | None:
        usec = obj.get("__REALTIME_TIMESTAMP")  # a systemd journal entry: microseconds since the epoch
        if isinstance(usec, str) and usec.isdigit():
            return int(usec) / 1e6
        for key in TIME_KEYS:
            value = obj.get(key)
            if isinstance(value, str):
                raw = value.encode("utf-8", "replace")
                for kind in ("iso", "clf", "epoch"):
                    t = times.parse(kind, raw, now)
                    if t is not None:
                        return t
            elif isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                return value / 1000.0 if value > 1e11 else float(value)
        return None

    def render(
        self, body: bytes, obj: dict[str, Any], fields: FieldScrubber, window: int | None, time_ok: bool
    ) -> bytes:
        walker = _Walker(self, fields, window)
        out = walker.value(obj, None)
        return orjson.dumps(out) if walker.changed else body


class _Walker:
    def __init__(self, fmt: JsonLinesFormat, fields: FieldScrubber, window: int | None) -> None:
        self.fmt = fmt
        self.fields = fields
        self.window = window
        self.changed = False

    def _str(self, text: str, kind: str | None) -> str:
        raw = text.encode("utf-8")
        out = self.fields.as_kind(kind, raw, self.window) if kind else self.fields.field(raw, self.window)
        if out != raw:
            self.changed = True
            return out.decode("utf-8")
        return text

    def value(self, value: Any, kind: str | None) -> Any:
        if isinstance(value, str):
            return self._str(value, kind)
        if isinstance(value, dict):
            return {self._str(k, None): self.value(v, self.fmt.kind_of(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, kind) for v in value]
        if isinstance(value, int) and not isinstance(value, bool) and kind in ("phone", "imei"):
            token = self._str(str(value), kind)
            return token if token != str(value) else value
        return value


# CSV records ------------------------------------------------------------------------------------------------

# What a column is: scanned as text, a phone column, a numeric column kept when numeric, the time column.
_TEXT, _PHONE, _KEEP, _TIME = range(4)
Span = tuple[int, int]  # start, end of a field's content (inside its quotes, if quoted)
CsvParsed = tuple[list[Span], bytes | None]  # the spans, and the text of the time column


# One field: quoted (its content inside the quotes, a doubled quote standing for one) or bare (no quote, no
# comma). Possessive throughout: runs of plain bytes are counted in C, and nothing backtracks into a field.
_FIELD = rb'(?:"([^"]*+(?:""[^"]*+)*+)"|([^",]*+))'


def fields_regex(min_columns: int, max_columns: int) -> re.Pattern[bytes]:
    """A record of min_columns to max_columns fields as one anchored match, two groups per field (quoted,
    bare): a record is split in C instead of a find per field (tests/test_formats.py holds it to a plain
    splitter). The optional fields nest, so field i is present only when every field before it is."""
    optional = b""
    for _ in range(max_columns - min_columns):
        optional = b"(?:," + _FIELD + optional + b")?"
    return re.compile(_FIELD + (b"," + _FIELD) * (min_columns - 1) + optional)


@dataclass(frozen=True)
class CsvFormat(csvformat.CsvFormat):
    """Delimited records with declared columns: each field rewritten in place (same column count, quotes and
    delimiters byte for byte); phone columns read as numbers, numeric columns kept, the time column kept when it
    parses, every other column scanned as text."""

    @cached_property
    def _fields(self) -> re.Pattern[bytes]:
        return fields_regex(self.min_columns, len(self.columns))

    @cached_property
    def _time_index(self) -> int | None:
        return None if self.time_column is None else self.columns.index(self.time_column)

    def spans(self, body: bytes) -> list[Span] | None:
        """Content spans of a record's fields, or None for a line that is not well-formed CSV of this format's
        column count."""
        m = self._fields.fullmatch(body)
        if m is None:
            return None
        regs = m.regs
        # The last group to close is the last present field's: field k (from 0) has groups 2k+1 and 2k+2.
        present = ((m.lastindex or 1) + 1) // 2
        quoted, bare = regs[1 : 2 * present : 2], regs[2 : 2 * present + 1 : 2]
        return [q if q[0] >= 0 else b for q, b in zip(quoted, bare, strict=True)]

    def parse(self, body: bytes) -> CsvParsed | None:
        if body.count(b",") + 1 < self.min_columns:
            return None
        spans = self.spans(body)
        if spans is None:
            return None
        time_text = None
        if self._time_index is not None:
            start, end = spans[self._time_index]
            time_text = body[start:end]
            if parse_iso(time_text) is None:
                return None  # the time column is what tells a CDR from any other comma-separated line
        return spans, time_text

    def event_time(self, parsed: CsvParsed, times: TimeParser, now: float) -> float | None:
        time_text = parsed[1]
        return None if time_text is None else times.parse("iso", time_text, now)

    @cached_property
    def _roles(self) -> tuple[int, ...]:
        """What each column is, by position: looked up once, not three set lookups per field of every record.
        The registry refuses a column named in two roles."""
        roles = {name: _PHONE for name in self.phone_columns} | {name: _KEEP for name in self.keep_columns}
        if self.time_column is not None:
            roles[self.time_column] = _TIME
        return tuple(roles.get(name, _TEXT) for name in self.columns)

    def render(self, body: bytes, parsed: CsvParsed, fields: FieldScrubber, window: int | None, time_ok: bool) -> bytes:
        parts: list[bytes] = []
        pos = 0
        scrub_field = fields.field
        for role, (start, end) in zip(self._roles, parsed[0], strict=False):
            parts.append(body[pos:start])
            text = body[start:end]
            if role == _TEXT or (role == _KEEP and not text.isdigit()) or (role == _TIME and not time_ok):
                parts.append(scrub_field(text, window) if text else text)
            elif role == _PHONE:
                parts.append(fields.context_phone(text, window))
            else:
                parts.append(text)
            pos = end
        parts.append(body[pos:])
        return b"".join(parts)


# Loaders ----------------------------------------------------------------------------------------------------

_READERS: dict[type, type] = {
    pattern_format.PatternFormat: PatternFormat,
    jsonlines.JsonLinesFormat: JsonLinesFormat,
    csvformat.CsvFormat: CsvFormat,
}


def reference(fmt: Any) -> Any:
    """A package format (what the pattern language made of a `.pattern` file or `--log-format`) as the
    reference engine's format, the same fields with the Python reading on top."""
    reader = _READERS.get(type(fmt))
    if reader is None:
        if isinstance(fmt, tuple(_READERS.values())):
            return fmt
        raise TypeError(f"no reference reading for {type(fmt).__name__}")
    fields = {f.name: getattr(fmt, f.name) for f in dataclasses.fields(fmt)}
    if reader is PatternFormat:
        fields["patterns"] = tuple(reference_pattern(p) for p in fmt.patterns)
    return reader(**fields)


def load_pattern_file(text: str, where: str) -> Format:
    return reference(registry.load_pattern_file(text, where))


@cache
def builtin_format(name: str) -> Format:
    return reference(registry.builtin_format(name))


@cache
def builtin_formats() -> dict[str, Format]:
    """All built-in formats, most specific first (the order `auto` tries them in)."""
    return {name: builtin_format(name) for name in registry.builtin_formats()}


@cache
def builtin_structured_formats() -> tuple[Format, ...]:
    """The built-in JSON and CSV formats (what a syslog payload may be in), most specific first."""
    return tuple(builtin_format(f.name) for f in registry.builtin_structured_formats())


def get_format(name: str) -> Format:
    registry.get_format(name)  # raises FormatError naming the known formats
    return builtin_format(name)


def format_from_string(log_format: str) -> PatternFormat:
    return reference(registry.format_from_string(log_format))
