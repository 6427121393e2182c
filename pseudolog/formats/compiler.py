"""Compile pattern elements to what the native matcher is built from: the fields with their roles, the event
time's place and the layout spec (formats/spec.py). The native core matches lines (src/layout.rs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pseudolog.errors import FormatError
from pseudolog.formats.fieldtypes import FIELD_TYPES
from pseudolog.formats.grammar import Element, Field, Literal


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: str
    role: str
    time_kind: str | None
    agent: bool = False  # a user-agent field: dotted quads after a product token are versions


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    fields: tuple[FieldSpec, ...]
    time_index: int | None  # which field holds the event time
    # The plain layout spec the native matcher is built from (formats/spec.py).
    spec: dict[str, Any] = field(compare=False, hash=False)
    # What it was compiled from: the elements and, per field, the words it must contain one of (`require`).
    elements: tuple[Element, ...] = ()
    required: tuple[tuple[str, tuple[str, ...]], ...] = ()


def compile_elements(
    elements: list[Element],
    where: str,
    time_field: str | None = None,
    required: dict[str, list[str]] | None = None,
) -> CompiledPattern:
    """The fields of a pattern and its layout spec. `required` maps a field name to the words the field must
    contain one of."""
    fields: list[FieldSpec] = []
    for i, element in enumerate(elements):
        if isinstance(element, Literal):
            if not element.text.isascii():
                raise FormatError(f"{where}: cannot compile pattern (literal text must be ASCII)")
            continue
        assert isinstance(element, Field)
        if element.type not in FIELD_TYPES:
            known = ", ".join(sorted(FIELD_TYPES))
            raise FormatError(f"{where}: unknown field type {element.type!r} (known: {known})")
        following = elements[i + 1] if i + 1 < len(elements) else None
        if isinstance(following, Field):
            raise FormatError(f"{where}: field {element.name!r} must be followed by literal text")
        if not all(word.isascii() for word in (required or {}).get(element.name, [])):
            raise FormatError(f"{where}: cannot compile pattern (require words must be ASCII)")
        ft = FIELD_TYPES[element.type]
        agent = "agent" in element.name.lower()
        fields.append(FieldSpec(element.name, element.type, ft.role, ft.time_kind, agent))
    if not fields:
        raise FormatError(f"{where}: a pattern needs at least one field")
    time_index: int | None = None
    for index, spec in enumerate(fields):
        if spec.role == "time" and (time_field is None or spec.name == time_field):
            time_index = index
            break
    if time_field is not None and time_index is None:
        raise FormatError(f"{where}: time field {time_field!r} is not a time-typed field of the pattern")
    from pseudolog.formats.spec import pattern_spec

    words = {name: list(w) for name, w in (required or {}).items()}
    return CompiledPattern(
        tuple(fields),
        time_index,
        pattern_spec(elements, fields, time_index, words),
        tuple(elements),
        tuple((name, tuple(w)) for name, w in words.items()),
    )
