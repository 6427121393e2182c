"""The reference engine's reading of a compiled pattern: one anchored Python regex per pattern and its column
layout, built from the elements the package's compiler kept (pseudolog/formats/compiler.py builds only the
native layout spec). Moved here with the Python line engine."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pseudolog.formats.compiler import CompiledPattern, FieldSpec
from pseudolog.formats.fieldtypes import FIELD_TYPES, QUOTED, field_regex
from pseudolog.formats.grammar import Field, Literal

# On a line without a backslash the escape branch of QUOTED never matches and the class loses nothing: the same
# matches.
QUOTED_WITHOUT_ESCAPES = r'[^"]*+'


@dataclass(frozen=True, slots=True)
class ColumnLayout:
    """The same pattern with every stretch between rewritable fields captured too, so a matched line is the
    concatenation of its `pieces`: a block of lines can then be rebuilt column by column (core/columns.py).
    Extra capturing groups change neither what matches nor where the fields are."""

    text: str  # the regex, compiled only where a column path is built (one pattern of one format per stream)
    pieces: tuple[int, ...]  # the groups that make up the line, in order (index into m.groups(), 0-based)
    fields: tuple[tuple[int, FieldSpec], ...]  # (index into m.groups(), field) of every rewritable field
    time: int | None  # index of the event time (inside a piece that is kept as it is)
    # The time field's own regex where the layout reads the time as a plain run up to the literal after it (a
    # character no time holds, like clf's `]`): a time text must then fullmatch it. A line matches the strict
    # pattern exactly when it matches this one and its time text fullmatches `time_check`: the run ends at the
    # first such character, where the strict time must end too (tests/test_fastpath.py).
    time_check: str | None = None

    def regex(self) -> re.Pattern[bytes]:
        regex = re.compile(self.text.encode("ascii"), re.DOTALL)
        assert regex.groups == len(self.pieces) + (self.time is not None), "field regexes must not capture"
        return regex

    def regex_without_escapes(self) -> re.Pattern[bytes]:
        """The same regex for lines without a backslash, where a quoted string is just a run of non-quotes."""
        return re.compile(self.text.replace(QUOTED, QUOTED_WITHOUT_ESCAPES).encode("ascii"), re.DOTALL)


@dataclass(frozen=True, slots=True)
class ReferencePattern:
    """A compiled pattern with the reference engine's regex reading beside its fields."""

    regex: re.Pattern[bytes]
    fields: tuple[FieldSpec, ...]
    time_index: int | None
    # (regex group, field) for every field that may need rewriting: number fields never do.
    work: tuple[tuple[int, FieldSpec], ...]
    columns: ColumnLayout
    spec: dict[str, Any]


def _literal_regex(text: str) -> str:
    parts = re.split(r"( +)", text)
    return "".join(" +" if p and p[0] == " " else re.escape(p) for p in parts if p)


@cache
def reference_pattern(pattern: CompiledPattern) -> ReferencePattern:
    """One anchored regex over the pattern's elements. A `require`d field must contain one of its words."""
    required = {name: "|".join(re.escape(w) for w in words) for name, words in pattern.required}
    regex_parts: list[str] = []
    # (regex without its group, field or None for a literal, the literal character after a field)
    segments: list[tuple[str, FieldSpec | None, str | None]] = []
    fields = iter(pattern.fields)
    elements = pattern.elements
    for i, element in enumerate(elements):
        if isinstance(element, Literal):
            regex_parts.append(_literal_regex(element.text))
            segments.append((regex_parts[-1], None, None))
            continue
        assert isinstance(element, Field)
        following = elements[i + 1] if i + 1 < len(elements) else None
        stop = following.text[0] if isinstance(following, Literal) else None
        words = required.get(element.name)
        guard = f"(?=[^ ]*?(?:{words}))" if words else ""
        regex_parts.append("(" + guard + field_regex(element.type, stop) + ")")
        segments.append((regex_parts[-1][1:-1], next(fields), stop))
    regex = re.compile(("".join(regex_parts)).encode("ascii"), re.DOTALL)
    work = tuple((i + 1, spec) for i, spec in enumerate(pattern.fields) if spec.role != "keep")
    time_spec = None if pattern.time_index is None else pattern.fields[pattern.time_index]
    columns = _column_layout(segments, time_spec)
    return ReferencePattern(regex, pattern.fields, pattern.time_index, work, columns, pattern.spec)


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
