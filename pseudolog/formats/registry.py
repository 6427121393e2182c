"""Built-in log formats: `.pattern` files shipped in the wheel (or read from the source tree)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from pseudolog.errors import FormatError
from pseudolog.formats.compiler import CompiledPattern, compile_elements
from pseudolog.formats.grammar import parse_pattern, parse_pattern_file
from pseudolog.formats.logformat import parse_log_format


@dataclass(frozen=True)
class LogFormat:
    """A named format: one or more patterns tried in order, with a description and sample lines."""

    name: str
    description: str
    patterns: tuple[CompiledPattern, ...]
    samples: tuple[str, ...] = field(default=())

    def match(self, body: bytes) -> tuple[CompiledPattern, re.Match[bytes]] | None:
        for pattern in self.patterns:
            m = pattern.regex.fullmatch(body)
            if m is not None:
                return pattern, m
        return None

    @property
    def specificity(self) -> int:
        return max(len(p.fields) for p in self.patterns)


def _patterns_dir() -> Path:
    packaged = resources.files("pseudolog") / "builtin_patterns"
    if packaged.is_dir():
        return Path(str(packaged))
    source_tree = Path(__file__).resolve().parents[2] / "patterns"
    if source_tree.is_dir():
        return source_tree
    raise FormatError("built-in patterns are missing from this installation")


def load_pattern_file(text: str, where: str) -> LogFormat:
    entries = parse_pattern_file(text, where)
    values: dict[str, list[str]] = {}
    for key, value in entries:
        values.setdefault(key, []).append(value)
    for key in ("name", "description", "time"):
        if len(values.get(key, [])) > 1:
            raise FormatError(f"{where}: {key!r} may appear once")
    if "name" not in values or "pattern" not in values:
        raise FormatError(f"{where}: a format needs a name and at least one pattern")
    name = values["name"][0]
    time_field = values.get("time", [None])[0]
    patterns = tuple(
        compile_elements(parse_pattern(p, f"{where}: pattern {i}"), f"{where}: pattern {i}", time_field)
        for i, p in enumerate(values["pattern"], start=1)
    )
    return LogFormat(name, values.get("description", [""])[0], patterns, tuple(values.get("sample", [])))


@cache
def builtin_formats() -> dict[str, LogFormat]:
    """All built-in formats, most specific first (the order `auto` tries them in)."""
    formats: list[LogFormat] = []
    for path in sorted(_patterns_dir().glob("*.pattern")):
        formats.append(load_pattern_file(path.read_text(encoding="utf-8"), path.name))
    formats.sort(key=lambda f: (-f.specificity, f.name))
    return {f.name: f for f in formats}


def get_format(name: str) -> LogFormat:
    formats = builtin_formats()
    if name not in formats:
        raise FormatError(f"unknown format {name!r}; known: auto, text, " + ", ".join(sorted(formats)))
    return formats[name]


def format_from_string(log_format: str) -> LogFormat:
    elements = parse_log_format(log_format)
    pattern = compile_elements(elements, "--log-format")
    return LogFormat("custom", "from --log-format", (pattern,))
