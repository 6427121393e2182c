"""Compile pattern elements to one anchored regex: a known format is parsed with a single match."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from pseudolog.errors import FormatError
from pseudolog.formats.fieldtypes import FIELD_TYPES, QUOTED, QUOTED_WITHOUT_ESCAPES, field_regex
from pseudolog.formats.grammar import Element, Field, Literal


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: str
    role: str
    time_kind: str | None
    agent: bool = False  # a user-agent field: dotted quads after a product token are versions


@dataclass(frozen=True, slots=True)
class ColumnLayout:
    """The same pattern with every stretch between rewritable fields captured too, so a matched line is the
    concatenation of its `pieces`: a block of lines can then be rebuilt column by column (the reference engine's
    tests/reference/core/columns.py). Extra capturing groups change neither what matches nor where the fields
    are."""

    text: str  # the regex, compiled only where a column path is built (one pattern of one format per stream)
    pieces: tuple[int, ...]  # the groups that make up the line, in order (index into m.groups(), 0-based)
    fields: tuple[tuple[int, FieldSpec], ...]  # (index into m.groups(), field) of every rewritable field
    time: int | None  # index of the event time (inside a piece that is kept as it is)
    # The time field's own regex where the layout reads the time as a plain run up to the literal after it (a
    # character no time holds, like clf's `]`): a time text must then fullmatch it. The strict regex costs a
    # fifth of an nginx line's match; checked once per distinct time text, it costs nothing. A line matches the
    # strict pattern exactly when it matches this one and its time text fullmatches `time_check`: the run
    # ends at the first such character, where the strict time must end too (tests/test_fastpath.py).
    time_check: str | None = None

    def regex(self) -> re.Pattern[bytes]:
        regex = re.compile(self.text.encode("ascii"), re.DOTALL)
        assert regex.groups == len(self.pieces) + (self.time is not None), "field regexes must not capture"
        return regex

    def regex_without_escapes(self) -> re.Pattern[bytes]:
        """The same regex for lines without a backslash, where a quoted string is just a run of non-quotes: the
        regex engine runs a one-character negated class in a tight loop, 1.6x faster on nginx lines."""
        return re.compile(self.text.replace(QUOTED, QUOTED_WITHOUT_ESCAPES).encode("ascii"), re.DOTALL)


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    regex: re.Pattern[bytes]
    fields: tuple[FieldSpec, ...]
    time_index: int | None  # which field holds the event time
    # (regex group, field) for every field that may need rewriting: number fields never do.
    work: tuple[tuple[int, FieldSpec], ...] = ()
    columns: ColumnLayout | None = None
    # The plain layout spec the native matcher is built from (formats/spec.py); None when `require` came as a
    # ready regex alternation instead of words.
    spec: dict[str, Any] | None = field(default=None, compare=False, hash=False)


def _literal_regex(text: str) -> str:
    parts = re.split(r"( +)", text)
    return "".join(" +" if p and p[0] == " " else re.escape(p) for p in parts if p)


def compile_elements(
    elements: list[Element],
    where: str,
    time_field: str | None = None,
    required: dict[str, str] | dict[str, list[str]] | None = None,
) -> CompiledPattern:
    """One anchored regex. `required` maps a field name to the words (or a ready regex alternation) the field
    must contain one of."""
    words_of: dict[str, list[str]] | None = {}
    alternations: dict[str, str] = {}
    for name, words in (required or {}).items():
        if isinstance(words, str):
            alternations[name], words_of = words, None
        else:
            alternations[name] = "|".join(re.escape(w) for w in words)
            if words_of is not None:
                words_of[name] = list(words)
    required = alternations
    regex_parts: list[str] = []
    fields: list[FieldSpec] = []
    # (regex without its group, field or None for a literal, the literal character after a field)
    segments: list[tuple[str, FieldSpec | None, str | None]] = []
    for i, element in enumerate(elements):
        if isinstance(element, Literal):
            regex_parts.append(_literal_regex(element.text))
            segments.append((regex_parts[-1], None, None))
            continue
        assert isinstance(element, Field)
        if element.type not in FIELD_TYPES:
            known = ", ".join(sorted(FIELD_TYPES))
            raise FormatError(f"{where}: unknown field type {element.type!r} (known: {known})")
        following = elements[i + 1] if i + 1 < len(elements) else None
        if isinstance(following, Field):
            raise FormatError(f"{where}: field {element.name!r} must be followed by literal text")
        stop = following.text[0] if isinstance(following, Literal) else None
        ft = FIELD_TYPES[element.type]
        words = required.get(element.name)
        guard = f"(?=[^ ]*?(?:{words}))" if words else ""
        regex_parts.append("(" + guard + field_regex(element.type, stop) + ")")
        agent = "agent" in element.name.lower()
        fields.append(FieldSpec(element.name, element.type, ft.role, ft.time_kind, agent))
        segments.append((regex_parts[-1][1:-1], fields[-1], stop))
    if not fields:
        raise FormatError(f"{where}: a pattern needs at least one field")
    time_index: int | None = None
    for index, spec in enumerate(fields):
        if spec.role == "time" and (time_field is None or spec.name == time_field):
            time_index = index
            break
    if time_field is not None and time_index is None:
        raise FormatError(f"{where}: time field {time_field!r} is not a time-typed field of the pattern")
    try:
        regex = re.compile(("".join(regex_parts)).encode("ascii"), re.DOTALL)
    except (re.error, UnicodeEncodeError) as exc:
        raise FormatError(f"{where}: cannot compile pattern ({exc})") from None
    work = tuple((i + 1, spec) for i, spec in enumerate(fields) if spec.role != "keep")
    time_spec = None if time_index is None else fields[time_index]
    compiled = CompiledPattern(regex, tuple(fields), time_index, work, _column_layout(segments, time_spec))
    if words_of is None:
        return compiled
    from pseudolog.formats.spec import pattern_spec

    return replace(compiled, spec=pattern_spec(elements, compiled, words_of))


def _column_layout(
    segments: list[tuple[str, FieldSpec | None, str | None]], time_spec: FieldSpec | None
) -> ColumnLayout:
    """Rewritable fields keep their own group; each stretch between them (literals, number fields, the
    event time) becomes one group, with the time captured again inside it."""
    parts: list[str] = []
    pieces: list[int] = []
    work: list[tuple[int, FieldSpec]] = []
    time: int | None = None
    time_check: str | None = None
    groups = 0
    open_stretch = False
    for regex, spec, stop in segments:
        if spec is not None and spec.role != "keep" and spec is not time_spec:
            if open_stretch:
                parts.append(")")
                open_stretch = False
            parts.append("(" + regex + ")")
            work.append((groups, spec))
            pieces.append(groups)
            groups += 1
            continue
        if not open_stretch:
            parts.append("(")
            pieces.append(groups)
            groups += 1
            open_stretch = True
        if spec is None:
            parts.append(regex)
        elif spec is time_spec:
            own = FIELD_TYPES[spec.type]
            if stop is not None and stop not in own.chars and regex == own.regex:  # (no `require` guard in front)
                time_check, regex = regex, "[^" + re.escape(stop) + "]*+"
            parts.append("(" + regex + ")")
            time = groups
            groups += 1
        else:
            parts.append("(?:" + regex + ")")
    if open_stretch:
        parts.append(")")
    return ColumnLayout("".join(parts), tuple(pieces), tuple(work), time, time_check)
