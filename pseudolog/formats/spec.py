"""Compiled patterns -> plain layout specs: what the native matcher (src/layout.rs) is built from.

A spec is JSON-serialisable and needs neither pyparsing nor `re` to use. One pattern's spec:

    {"elements": [ELEMENT, ...], "fields": [[name, type, role, time_kind, agent], ...], "time_index": int}

    ELEMENT ::= ["lit", text, -1, "", []]          exact bytes
              | ["spaces", "", -1, "", []]         one or more spaces (a run of spaces in a literal)
              | ["field", stop, index, scan, words]

`scan` says how the field reads, decided from the very regex the Python compiler uses (so the two cannot drift:
an unknown regex is an error, not a guess): `any` (`.*`), `nonspace` (`\\S+`), `nonspace_not` (`[^\\s<stop>]++`),
`not` (`[^<stop>]*+`), `quoted` (backslash escapes), `int`, `num`, `sd`, `clf`, `iso`, `syslog`, `epoch`.
`stop` is the first character of the literal after the field ("" at the end); `words` the `require:` words (the
field's run of non-spaces must contain one). `time_index` is -1 when the pattern has no event time.

A format's spec: {"name", "codec": "pattern", "patterns": [PATTERN, ...], "specificity", "unbracketed_ports"}; the
csv and json codecs have their own small specs (`codec` "csv" with columns and roles, `codec` "json" with the
--json-field rules).

The built-in formats' specs are cached as JSON (`spec_cache_path()`), keyed by a hash of the pattern files, so a
start-up that finds the cache current needs no pyparsing at all.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pseudolog._core import sha256_hex
from pseudolog.errors import FormatError

SPEC_VERSION = 1
_QUOTED = r'[^"\\]*+(?:\\.[^"\\]*+)*+'
# The regexes of fieldtypes.py each native scanner reproduces. A field whose regex is not here has no native
# scanner: building its spec fails (tests/test_native_layout.py builds every built-in format's spec), so a
# change to fieldtypes.py cannot silently drift from src/layout/fieldtype.rs.
_FIXED_REGEXES = {
    "any": r".*",
    "quoted": _QUOTED,
    "int": r"-|[0-9]++",
    "num": r"-|[0-9]++(?:\.[0-9]++)?",
    "sd": r'-|(?:\[[^\]"\\]*+(?:(?:\\.|"' + _QUOTED + r'")[^\]"\\]*+)*+\])++',
    "clf": r"[0-9]{1,2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?: ?[+-][0-9]{4})?",
    "iso": r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?",
    "syslog": r"[A-Z][a-z]{2} {1,2}[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?",
    "epoch": r"[0-9]{9,11}(?:\.[0-9]+)?",
}


_SCAN_OF_REGEX = {regex: scan for scan, regex in _FIXED_REGEXES.items()}


def field_scan(type_name: str, stop: str | None) -> str:
    """The native scanner for a field of this type before this stop character."""
    from pseudolog.formats.fieldtypes import field_regex

    regex = field_regex(type_name, stop)
    scan = _SCAN_OF_REGEX.get(regex)
    if scan is not None:
        return scan
    if regex in (r"\S+", r"\S++"):
        return "nonspace"
    if stop is not None and regex == "[^" + re.escape(stop) + "]*+":
        return "not"
    if stop is not None and regex == r"[^\s" + re.escape(stop) + "]++":
        return "nonspace_not"
    raise FormatError(f"field type {type_name!r}: no native scanner for its regex")


def _literal_elements(text: str) -> list[list[Any]]:
    out: list[list[Any]] = []
    for part in re.split(r"( +)", text):
        if part:
            out.append(["spaces", "", -1, "", []] if part[0] == " " else ["lit", part, -1, "", []])
    return out


def pattern_spec(
    elements: list[Any], fields: list[Any], time_index: int | None, required: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """The spec of one pattern: its elements (grammar.Literal / grammar.Field, as compile_elements took them),
    the field specs compile_elements made of them and the event time's index."""
    from pseudolog.formats.grammar import Field, Literal

    required = required or {}
    out: list[list[Any]] = []
    index = 0
    for i, element in enumerate(elements):
        if isinstance(element, Literal):
            out.extend(_literal_elements(element.text))
            continue
        assert isinstance(element, Field)
        following = elements[i + 1] if i + 1 < len(elements) else None
        stop = following.text[0] if isinstance(following, Literal) else None
        words = [w for w in required.get(element.name, []) if w]
        out.append(["field", stop or "", index, field_scan(element.type, stop), words])
        index += 1
    specs = [[f.name, f.type, f.role, f.time_kind or "", int(f.agent)] for f in fields]
    if index != len(specs):  # pragma: no cover
        raise FormatError("layout spec: field count differs from the compiled pattern")
    return {"elements": out, "fields": specs, "time_index": -1 if time_index is None else time_index}


def format_spec(fmt: Any) -> dict[str, Any]:
    """The spec of a loaded format (pattern, csv or json codec)."""
    from pseudolog.formats.csvformat import CsvFormat
    from pseudolog.formats.jsonlines import JsonLinesFormat

    if isinstance(fmt, CsvFormat):
        roles = []
        for name in fmt.columns:
            role = "text"
            if name in fmt.phone_columns:
                role = "phone"
            elif name in fmt.keep_columns:
                role = "keep"
            elif name == fmt.time_column:
                role = "time"
            roles.append(role)
        return {
            "name": fmt.name,
            "codec": "csv",
            "columns": list(fmt.columns),
            "roles": roles,
            "min_columns": fmt.min_columns,
            "specificity": fmt.specificity,
        }
    if isinstance(fmt, JsonLinesFormat):
        return {"name": fmt.name, "codec": "json", "rules": [list(r) for r in fmt.rules], "specificity": 100}
    patterns = getattr(fmt, "native_specs", None)
    if patterns is None:
        raise FormatError(f"format {fmt.name!r} has no layout spec")
    return {
        "name": fmt.name,
        "codec": "pattern",
        "patterns": list(patterns),
        "specificity": fmt.specificity,
        "unbracketed_ports": fmt.unbracketed_ports,
    }


def _builtin_digest() -> str:
    """A hash of what the built-in specs are made from: the pattern files and the code that compiles them."""
    here = Path(__file__).resolve().parent
    parts = [f"spec-v{SPEC_VERSION}".encode()]
    for name in ("spec.py", "fieldtypes.py", "compiler.py", "grammar.py", "registry.py", "csvformat.py"):
        parts.append((here / name).read_bytes())
    patterns = here.parent / "builtin_patterns"  # in the package's directory (importlib.resources: ~4 ms of imports)
    for path in sorted(patterns.glob("*.pattern")):
        parts.append(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return sha256_hex(b"".join(parts))


# Cache files kept: each install (a virtualenv, a checkout) has its own digest and file, so two versions on one
# host do not rebuild the specs under each other; the oldest beyond these are removed when one is written.
CACHES_KEPT = 8


def spec_cache_path(digest: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pseudolog" / f"builtin-specs-v{SPEC_VERSION}-{digest[:16]}.json"


def _prune(directory: Path) -> None:
    """The oldest spec caches beyond CACHES_KEPT removed (another install's file is rebuilt if it was one)."""
    files = sorted(directory.glob("builtin-specs-v*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[CACHES_KEPT:]:
        old.unlink(missing_ok=True)


def builtin_specs(cache: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every built-in format's spec, most specific first: read from the JSON cache when it is current, else built
    (pyparsing) and written back. A cache that cannot be written only costs the next start-up the build."""
    digest = _builtin_digest()
    try:
        path = cache or spec_cache_path(digest)
    except RuntimeError:  # no home directory (a bare service account): build every time
        path = None
    if path is not None:
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            if cached.get("digest") == digest:
                return dict(cached["formats"])
        except (OSError, ValueError, AttributeError, KeyError, TypeError):
            pass
    from pseudolog.formats.registry import builtin_formats

    formats = {name: format_spec(fmt) for name, fmt in builtin_formats().items()}
    if path is None:
        return formats
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"digest": digest, "formats": formats}), encoding="utf-8")
        tmp.replace(path)
        if cache is None:
            _prune(path.parent)
    except OSError:
        pass
    return formats
