"""Built-in log formats: `.pattern` files shipped in the wheel (or read from the source tree).

A file declares its codec: `pattern` (the default: a pattern per line shape), `csv` (declared columns) or
`json` (JSON lines). Header keys:

    name, description, sample (repeatable), codec
    pattern (repeatable), time (the time field), require (FIELD=word|word: that field must contain one),
    ports (`unbracketed`: the program writes an IPv6 address and its port as `2001:db8::7:5060`, so a last
    decimal group is read as the port; `bracketed`, the default, reads `[2001:db8::7]:5060` only)
    columns, min_columns, phone (phone columns), keep (numeric columns), time (the time column)   -- csv
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from importlib import resources
from itertools import chain
from pathlib import Path

from pseudolog.errors import FormatError
from pseudolog.formats.base import Format
from pseudolog.formats.compiler import CompiledPattern, compile_elements
from pseudolog.formats.csvformat import CsvFormat
from pseudolog.formats.grammar import parse_pattern, parse_pattern_file
from pseudolog.formats.jsonlines import JsonLinesFormat
from pseudolog.formats.logformat import parse_log_format
from pseudolog.formats.pattern import PatternFormat


def _patterns_dir() -> Path:
    packaged = resources.files("pseudolog") / "builtin_patterns"
    if packaged.is_dir():
        return Path(str(packaged))
    raise FormatError("built-in patterns are missing from this installation")


def _single(values: dict[str, list[str]], key: str, where: str) -> str | None:
    found = values.get(key, [])
    if len(found) > 1:
        raise FormatError(f"{where}: {key!r} may appear once")
    return found[0] if found else None


def _required_words(values: dict[str, list[str]], where: str) -> dict[str, list[str]]:
    """`require: program=kamailio|opensips` -> {"program": ["kamailio", "opensips"]}."""
    rules = {}
    for rule in values.get("require", []):
        field_name, sep, words = rule.partition("=")
        if not sep or not words.strip():
            raise FormatError(f"{where}: require expects FIELD=word|word")
        rules[field_name.strip()] = [w.strip() for w in words.split("|") if w.strip()]
    return rules


def _pattern_format(name: str, values: dict[str, list[str]], where: str) -> PatternFormat:
    if "pattern" not in values:
        raise FormatError(f"{where}: a pattern format needs at least one pattern")
    time_field = _single(values, "time", where)
    required = _required_words(values, where)
    patterns: list[CompiledPattern] = []
    for i, text in enumerate(values["pattern"], start=1):
        label = f"{where}: pattern {i}"
        patterns.append(compile_elements(parse_pattern(text, label), label, time_field, required))
    for field_name in required:
        if not any(spec.name == field_name for p in patterns for spec in p.fields):
            raise FormatError(f"{where}: require names unknown field {field_name!r}")
    ports = _single(values, "ports", where) or "bracketed"
    if ports not in ("bracketed", "unbracketed"):
        raise FormatError(f"{where}: ports is bracketed or unbracketed, not {ports!r}")
    return PatternFormat(
        name,
        _single(values, "description", where) or "",
        tuple(patterns),
        tuple(values.get("sample", [])),
        unbracketed_ports=ports == "unbracketed",
    )


def _csv_format(name: str, values: dict[str, list[str]], where: str) -> CsvFormat:
    columns = tuple((_single(values, "columns", where) or "").split())
    if not columns:
        raise FormatError(f"{where}: a csv format needs columns")
    time_column = _single(values, "time", where)
    roles = {key: frozenset((_single(values, key, where) or "").split()) for key in ("phone", "keep")}
    roles["time"] = frozenset([time_column] if time_column else [])
    for key, names in roles.items():
        unknown = names - set(columns)
        if unknown:
            raise FormatError(f"{where}: {key} names unknown column {sorted(unknown)[0]!r}")
    twice = sorted(name for name, n in Counter(chain.from_iterable(roles.values())).items() if n > 1)
    if twice:
        raise FormatError(f"{where}: column {twice[0]!r} is named in more than one of phone, keep and time")
    min_text = _single(values, "min_columns", where) or str(len(columns))
    if not min_text.isdigit() or not 1 <= int(min_text) <= len(columns):
        raise FormatError(f"{where}: min_columns must be a whole number from 1 to the {len(columns)} columns")
    min_columns = int(min_text)
    if time_column and columns.index(time_column) >= min_columns:
        raise FormatError(f"{where}: the time column must be one of the first min_columns ({min_columns}) columns")
    return CsvFormat(
        name,
        _single(values, "description", where) or "",
        columns,
        min_columns,
        roles["phone"],
        roles["keep"],
        time_column,
        tuple(values.get("sample", [])),
    )


def load_pattern_file(text: str, where: str) -> Format:
    values: dict[str, list[str]] = {}
    for key, value in parse_pattern_file(text, where):
        values.setdefault(key, []).append(value)
    name = _single(values, "name", where)
    if not name:
        raise FormatError(f"{where}: a format needs a name")
    codec = _single(values, "codec", where) or "pattern"
    if codec == "pattern":
        return _pattern_format(name, values, where)
    if codec == "csv":
        return _csv_format(name, values, where)
    if codec == "json":
        return JsonLinesFormat(name, _single(values, "description", where) or "", tuple(values.get("sample", [])))
    raise FormatError(f"{where}: unknown codec {codec!r} (pattern, csv, json)")


@cache
def builtin_names() -> tuple[str, ...]:
    """The built-in formats' names: each `<name>.pattern` file declares the format `<name>`
    (tests/test_formats.py holds every file to it), so a format named on the command line loads one file."""
    return tuple(sorted(path.stem for path in _patterns_dir().glob("*.pattern")))


@cache
def builtin_format(name: str) -> Format:
    """One built-in format, loaded (parsed and compiled) on first use only."""
    return load_pattern_file(_pattern_text(name), f"{name}.pattern")


def _pattern_text(name: str) -> str:
    return (_patterns_dir() / f"{name}.pattern").read_text(encoding="utf-8")


@cache
def builtin_formats() -> dict[str, Format]:
    """All built-in formats, most specific first (the order `auto` tries them in)."""
    formats = _most_specific_first(map(builtin_format, builtin_names()))
    return {f.name: f for f in formats}


_STRUCTURED_CODEC = re.compile(r"^codec:\s*(?:json|csv)\s*$", re.MULTILINE)


@cache
def builtin_structured_formats() -> tuple[Format, ...]:
    """The built-in JSON and CSV formats (what a syslog payload may be in), most specific first, found by their
    `codec:` line without loading the pattern formats."""
    names = [name for name in builtin_names() if _STRUCTURED_CODEC.search(_pattern_text(name))]
    return tuple(_most_specific_first(map(builtin_format, names)))


def _most_specific_first(formats: Iterable[Format]) -> list[Format]:
    return sorted(formats, key=lambda f: (-f.specificity, f.name))


def get_format(name: str) -> Format:
    if name not in builtin_names():
        raise FormatError(f"--format: unknown format {name!r}; known: auto, text, " + ", ".join(builtin_names()))
    return builtin_format(name)


def format_from_string(log_format: str) -> PatternFormat:
    elements = parse_log_format(log_format)
    pattern = compile_elements(elements, "--log-format")
    return PatternFormat("custom", "from --log-format", (pattern,))
